// A fragment shader: valid SPIR-V, but not a compute module, so the host must refuse it as a
// PROGRAM allocation (dxgtest-memory).
#version 450

layout(location = 0) out vec4 color;

void main()
{
	color = vec4(1.0, 0.0, 0.0, 1.0);
}
