// dst[i] = src[i] * mul + add for i < n, with i flattened over all three dimensions of the
// dispatch, so any group count shape covers a known range. The guest execution tests (dxgtest-
// exec) use it for every dispatch whose result they check.
#version 450

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer Src {
	uint src[];
};

layout(std430, binding = 1) buffer Dst {
	uint dst[];
};

layout(push_constant) uniform Params {
	uint mul;
	uint add;
	uint n;
} params;

void main()
{
	uint width = gl_NumWorkGroups.x * 64u;
	uint i = gl_GlobalInvocationID.x + width * (gl_GlobalInvocationID.y +
						    gl_NumWorkGroups.y * gl_GlobalInvocationID.z);

	if (i < params.n)
		dst[i] = src[i] * params.mul + params.add;
}
