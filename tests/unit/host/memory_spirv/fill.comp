// A minimal compute kernel: fills a storage buffer with its invocation index. The program
// allocation tests send it as a valid module (tests/unit/host/test_memory.c, tests/host).
#version 450

layout(local_size_x = 64) in;

layout(std430, binding = 0) buffer Out {
	uint values[];
};

void main()
{
	values[gl_GlobalInvocationID.x] = gl_GlobalInvocationID.x;
}
