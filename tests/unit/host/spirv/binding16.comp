// SPDX-License-Identifier: MIT
// A storage buffer at binding 16: refused.
#version 450
layout(local_size_x = 1) in;
layout(std430, binding = 16) buffer Data { uint v[]; };
void main() { v[0] = 1u; }
