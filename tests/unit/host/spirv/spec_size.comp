// SPDX-License-Identifier: MIT
// x from a specialization constant (WorkgroupSize built-in): the host cannot know it, reports 0.
#version 450
layout(local_size_x_id = 0, local_size_y = 4, local_size_z = 1) in;
layout(std430, set = 0, binding = 0) buffer Data { uint values[]; };
void main()
{
	values[gl_GlobalInvocationID.x] = gl_WorkGroupSize.x;
}
