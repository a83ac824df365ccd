// SPDX-License-Identifier: MIT
// Push constant layout with an array of structs and a row-major matrix last: 88 bytes (a
// row-major mat2x3 spans 3 rows of 8 bytes).
#version 450
layout(local_size_x = 1) in;
layout(std430, set = 0, binding = 2) buffer Out { float values[]; };
struct Pair { float a; vec2 b; };
layout(push_constant) uniform Params {
	Pair pairs[2];
	layout(column_major) mat2x3 c;
	layout(row_major) mat2x3 r;
} params;
void main()
{
	values[0] = params.pairs[1].b.y + params.c[1][2] + params.r[1][2];
}
