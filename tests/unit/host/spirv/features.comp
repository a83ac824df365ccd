// SPDX-License-Identifier: MIT
// Allowed optional features: 64-bit integers, 16-bit storage, subgroup arithmetic.
#version 450
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_EXT_shader_16bit_storage : require
#extension GL_KHR_shader_subgroup_arithmetic : require
layout(local_size_x = 64) in;
layout(std430, set = 0, binding = 0) buffer Wide { uint64_t wide[]; };
layout(std430, set = 0, binding = 1) buffer Narrow { uint16_t narrow[]; };
void main()
{
	uint i = gl_GlobalInvocationID.x;
	wide[i] += uint64_t(subgroupAdd(uint(narrow[i])));
}
