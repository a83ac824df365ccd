// `iterations` steps of a linear congruential generator on every element: work whose length the
// test chooses (long-running jobs for in-flight cases), with an exact CPU reference.
#version 450

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) buffer Data {
	uint d[];
};

layout(push_constant) uniform Push {
	uint n;
	uint iterations;
} pc;

void main()
{
	uint i = gl_GlobalInvocationID.x;

	if (i >= pc.n)
		return;
	uint v = d[i];
	for (uint k = 0u; k < pc.iterations; k++)
		v = v * 1664525u + 1013904223u;
	d[i] = v;
}
