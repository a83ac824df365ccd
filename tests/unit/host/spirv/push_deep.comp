// SPDX-License-Identifier: MIT
// A push constant array of 40 dimensions: types nested deeper than the gate follows, refused.
#version 450
layout(local_size_x = 1) in;
layout(std430, binding = 0) buffer Out { uint dst[]; };
layout(push_constant) uniform Params { uint v[1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1]; } params;
void main() { dst[0] = params.v[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]; }
