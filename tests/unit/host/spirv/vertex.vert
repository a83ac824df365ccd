// SPDX-License-Identifier: MIT
// A valid graphics shader: refused, guests submit compute kernels only.
#version 450
void main()
{
	gl_Position = vec4(0.0);
}
