// SPDX-License-Identifier: MIT
// A push constant block of exactly 128 bytes: the largest accepted.
#version 450
layout(local_size_x = 1) in;
layout(std430, binding = 0) buffer Out { uint dst[]; };
layout(push_constant) uniform Params { uint v[31]; uint last; } params;
void main() { dst[0] = params.v[30] + params.last; }
