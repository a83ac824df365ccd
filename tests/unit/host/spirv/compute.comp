// SPDX-License-Identifier: MIT
// The plain kernel a guest runtime sends: one storage buffer, fixed local size.
#version 450
layout(local_size_x = 8, local_size_y = 4, local_size_z = 2) in;
layout(std430, set = 0, binding = 0) buffer Data { uint values[]; };
void main()
{
	values[gl_GlobalInvocationID.x] += 1u;
}
