// A kernel that takes as long as asked: every invocation runs `iterations` steps of a linear
// congruential generator from its own index and stores the result, which the CPU can recompute.
// dxgtest-exec uses it for work that is still running or queued when a process dies.
#version 450

layout(local_size_x = 64) in;

layout(std430, binding = 0) buffer Out {
	uint values[];
};

layout(push_constant) uniform Params {
	uint iterations;
} params;

void main()
{
	uint x = gl_GlobalInvocationID.x;

	for (uint i = 0; i < params.iterations; i++)
		x = x * 1664525u + 1013904223u;
	values[gl_GlobalInvocationID.x] = x;
}
