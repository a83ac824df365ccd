// SPDX-License-Identifier: MIT
// An explicit member offset and a 16-bit member last: the block spans 74 bytes, not rounded up.
#version 450
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_int16 : require
layout(local_size_x = 1) in;
layout(std430, set = 0, binding = 1) buffer Out { uvec2 values[]; };
layout(push_constant) uniform Params { layout(offset = 64) uvec2 v; uint16_t tail; } params;
void main() { values[0] = params.v + uint(params.tail); }
