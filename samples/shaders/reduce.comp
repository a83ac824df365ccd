// One pass of a sum: every workgroup adds up its share of `values` (a grid-stride loop, then a
// tree in shared memory) and writes one partial sum per workgroup. dxgc-reduce runs it twice:
// over the data with many workgroups, then over their partial sums with one. Integer addition
// is associative, so the result is exact whatever the order.
#version 450

#define GROUP_SIZE 256

layout(local_size_x = GROUP_SIZE) in;

layout(std430, binding = 0) readonly buffer Values {
	uint values[];
};

layout(std430, binding = 1) writeonly buffer Partials {
	uint partials[];
};

layout(push_constant) uniform Params {
	uint n;
} params;

shared uint sums[GROUP_SIZE];

void main()
{
	uint lid = gl_LocalInvocationID.x;
	uint stride = gl_NumWorkGroups.x * GROUP_SIZE;
	uint sum = 0;

	for (uint i = gl_GlobalInvocationID.x; i < params.n; i += stride)
		sum += values[i];
	sums[lid] = sum;
	barrier();
	for (uint half_size = GROUP_SIZE / 2; half_size > 0; half_size /= 2) {
		if (lid < half_size)
			sums[lid] += sums[lid + half_size];
		barrier();
	}
	if (lid == 0)
		partials[gl_WorkGroupID.x] = sums[0];
}
