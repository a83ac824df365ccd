// C = A * B for row-major M x K and K x N matrices, in 16 x 16 tiles: each workgroup computes
// one tile of C, staging the matching tiles of A and B through shared memory so that every
// element of A and B is read from the buffers once per workgroup instead of once per product.
#version 450

#define TILE 16

layout(local_size_x = TILE, local_size_y = TILE) in;

layout(std430, binding = 0) readonly buffer MatrixA {
	float a[];
};

layout(std430, binding = 1) readonly buffer MatrixB {
	float b[];
};

layout(std430, binding = 2) writeonly buffer MatrixC {
	float c[];
};

layout(push_constant) uniform Params {
	uint m;
	uint n;
	uint k;
} params;

shared float tile_a[TILE][TILE];
shared float tile_b[TILE][TILE];

void main()
{
	uint row = gl_GlobalInvocationID.y;
	uint col = gl_GlobalInvocationID.x;
	uint local_row = gl_LocalInvocationID.y;
	uint local_col = gl_LocalInvocationID.x;
	float acc = 0.0;

	for (uint t = 0; t < (params.k + TILE - 1) / TILE; t++) {
		uint a_col = t * TILE + local_col;
		uint b_row = t * TILE + local_row;

		// Out-of-range elements load as 0, so edge tiles need no special case below.
		tile_a[local_row][local_col] =
			row < params.m && a_col < params.k ? a[row * params.k + a_col] : 0.0;
		tile_b[local_row][local_col] =
			b_row < params.k && col < params.n ? b[b_row * params.n + col] : 0.0;
		barrier();
		for (uint i = 0; i < TILE; i++)
			acc += tile_a[local_row][i] * tile_b[i][local_col];
		// Nobody may overwrite the tiles for step t + 1 while others still read them.
		barrier();
	}
	if (row < params.m && col < params.n)
		c[row * params.n + col] = acc;
}
