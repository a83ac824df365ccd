// A compute kernel that reaches memory through a raw device address (buffer_reference, the
// PhysicalStorageBufferAddresses capability): valid SPIR-V that opendxg's allow-list refuses,
// because a kernel may touch memory only through bounded bindings (dxgtest-memory).
#version 450
#extension GL_EXT_buffer_reference : require

layout(local_size_x = 1) in;

layout(buffer_reference, std430) buffer Words {
	uint values[];
};

layout(push_constant) uniform Args {
	Words target;
} args;

void main()
{
	args.target.values[0] = 42u;
}
