// SPDX-License-Identifier: MIT
// A combined image sampler (UniformConstant): refused.
#version 450
layout(local_size_x = 1) in;
layout(binding = 0) uniform sampler2D tex;
layout(std430, binding = 1) buffer Out { vec4 dst[]; };
void main() { dst[0] = texelFetch(tex, ivec2(0), 0); }
