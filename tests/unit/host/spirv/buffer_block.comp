// SPDX-License-Identifier: MIT
// Storage buffers the SPIR-V 1.0 way (Uniform storage class, BufferBlock), built for Vulkan 1.0:
// accepted, mask 0x6.
#version 450
layout(local_size_x = 1) in;
layout(std430, binding = 1) buffer In { uint src[]; };
layout(std430, binding = 2) buffer Out { uint dst[]; };
void main() { dst[gl_GlobalInvocationID.x] = src[gl_GlobalInvocationID.x]; }
