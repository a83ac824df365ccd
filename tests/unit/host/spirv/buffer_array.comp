// SPDX-License-Identifier: MIT
// An array of two storage buffer descriptors at one binding: refused.
#version 450
layout(local_size_x = 1) in;
layout(std430, binding = 0) buffer Data { uint v[]; } bufs[2];
void main() { bufs[1].v[0] = bufs[0].v[0]; }
