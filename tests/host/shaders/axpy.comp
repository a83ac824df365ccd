// y[i] = a * x[i] + y[i] on unsigned integers (exact, so the CPU reference is too): the kernel
// the execution host tests check results with. Compiled at build time and embedded.
#version 450

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer X {
	uint x[];
};

layout(std430, set = 0, binding = 1) buffer Y {
	uint y[];
};

layout(push_constant) uniform Push {
	uint a;
	uint n;
} pc;

void main()
{
	uint i = gl_GlobalInvocationID.x;

	if (i < pc.n)
		y[i] = pc.a * x[i] + y[i];
}
