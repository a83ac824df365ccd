// A minimal compute kernel for the PROGRAM allocation tests: adds one to every element of a
// storage buffer. Compiled at build time (glslangValidator) and embedded in dxgtest-memory.
#version 450

layout(local_size_x = 64) in;

layout(std430, binding = 0) buffer Data {
	uint values[];
} data;

void main()
{
	data.values[gl_GlobalInvocationID.x] += 1u;
}
