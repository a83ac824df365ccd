// y = a * x + y over the first n elements; x at binding 0, y at binding 3 (the bindings a
// module uses need not be contiguous: one pipeline layout serves every program).
// test_vk_exec.c runs it on device-local buffers and on heap memory.
#version 450

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer X {
	float x[];
};

layout(std430, binding = 3) buffer Y {
	float y[];
};

layout(push_constant) uniform Params {
	float a;
	uint n;
} params;

void main()
{
	uint i = gl_GlobalInvocationID.x;

	if (i < params.n)
		y[i] = params.a * x[i] + y[i];
}
