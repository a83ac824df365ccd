// SPDX-License-Identifier: MIT
// A valid graphics shader: refused, guests submit compute kernels only.
#version 450
layout(location = 0) out vec4 color;
void main()
{
	color = vec4(1.0);
}
