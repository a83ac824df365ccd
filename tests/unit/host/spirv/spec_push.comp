// SPDX-License-Identifier: MIT
// A push constant array sized by a specialization constant: the host cannot know its size,
// refused.
#version 450
layout(local_size_x = 1) in;
layout(constant_id = 0) const uint N = 4;
layout(std430, binding = 0) buffer Out { uint dst[]; };
layout(push_constant) uniform Params { uint v[N]; } params;
void main() { dst[0] = params.v[0]; }
