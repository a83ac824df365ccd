// y = a * x + y over n floats: one invocation per element. dxgc-saxpy binds x read-only at 0
// and y read-write at 1, and passes a and n as push constants.
#version 450

layout(local_size_x = 256) in;

layout(std430, binding = 0) readonly buffer X {
	float x[];
};

layout(std430, binding = 1) buffer Y {
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
