// SPDX-License-Identifier: MIT
// A storage buffer in descriptor set 1: refused.
#version 450
layout(local_size_x = 1) in;
layout(std430, set = 1, binding = 0) buffer Data { uint v[]; };
void main() { v[0] = 1u; }
