// SPDX-License-Identifier: MIT
// Storage buffers 0, 3, 7 (declared, never used) and 15, and a push constant block whose last
// member is an array: binding mask 0x8089, push constants 92 bytes.
#version 450
layout(local_size_x = 64) in;
layout(std430, set = 0, binding = 0) buffer A { uint a[]; };
layout(std430, set = 0, binding = 3) readonly buffer B { uint b[]; };
layout(std430, set = 0, binding = 15) buffer C { uint c[]; };
layout(std430, set = 0, binding = 7) buffer Unused { uint u[]; };
layout(push_constant) uniform Params {
	uint n;
	vec3 scale;
	mat3 m;
	float w[3];
} params;
void main()
{
	uint i = gl_GlobalInvocationID.x;
	if (i < params.n)
		a[i] = b[i] + c[i] + uint(params.scale.x + params.m[1][2] + params.w[2]);
}
