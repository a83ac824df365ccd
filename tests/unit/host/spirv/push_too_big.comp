// SPDX-License-Identifier: MIT
// A push constant block of 132 bytes: refused.
#version 450
layout(local_size_x = 1) in;
layout(std430, binding = 0) buffer Out { uint dst[]; };
layout(push_constant) uniform Params { uint v[32]; uint one_more; } params;
void main() { dst[0] = params.v[31] + params.one_more; }
