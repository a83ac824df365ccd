// SPDX-License-Identifier: MIT
// A uniform buffer (Uniform + Block): not part of opendxg's layout, refused.
#version 450
layout(local_size_x = 1) in;
layout(std140, binding = 0) uniform Params { uint n; };
layout(std430, binding = 1) buffer Out { uint dst[]; };
void main() { dst[0] = n; }
