// SPDX-License-Identifier: MIT
// The Vulkan memory model (SPV_KHR_vulkan_memory_model): allowed, needs Vulkan 1.2 features.
#version 450
#pragma use_vulkan_memory_model
#extension GL_KHR_memory_scope_semantics : require
layout(local_size_x = 32) in;
layout(std430, set = 0, binding = 0) coherent buffer Data { uint values[]; };
void main()
{
	atomicAdd(values[0], 1u, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelaxed);
}
