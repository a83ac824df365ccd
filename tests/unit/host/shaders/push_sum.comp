// Writes the sum of its four push constant words to out[0]: a job that gives fewer words than
// the block declares must see zeros in the rest (vk_exec pushes the declared size, zero padded).
#version 450

layout(local_size_x = 1) in;

layout(std430, binding = 2) writeonly buffer Out {
	uint sum;
};

layout(push_constant) uniform Params {
	uint v[4];
} params;

void main()
{
	sum = params.v[0] + params.v[1] + params.v[2] + params.v[3];
}
