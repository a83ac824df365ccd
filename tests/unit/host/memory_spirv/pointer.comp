// A compute kernel that dereferences a raw device address (buffer_reference, hence the
// PhysicalStorageBuffer64 addressing model): valid SPIR-V that opendxg's allow-list must refuse.
#version 450
#extension GL_EXT_buffer_reference : require

layout(local_size_x = 1) in;

layout(buffer_reference, std430) buffer Target {
	uint value;
};

layout(push_constant) uniform Args {
	Target target;
};

void main()
{
	target.value = 42u;
}
