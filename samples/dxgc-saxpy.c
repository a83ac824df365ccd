// SPDX-License-Identifier: MIT
/*
 * dxgc-saxpy: y = a * x + y over 1M floats (--n to change) in device-local buffers, uploaded and
 * downloaded through libdxgc's staging path, checked element by element against the CPU.
 *
 * The GPU may fuse the multiply and the add (one rounding instead of two), so an element may
 * differ from the CPU's a*x+y by an ulp: the tolerance is 2 ulps of the result's magnitude.
 */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sample.h"
#include "saxpy_comp_spv.h"

#define GROUP_SIZE 256u

struct saxpy_push {
	float a;
	uint32_t n;
};

int main(int argc, char **argv)
{
	struct dxgc_buffer *x_buf = NULL, *y_buf = NULL;
	struct dxgc_program *program = NULL;
	struct dxgc_cmdlist *list = NULL;
	uint64_t seed = 0x5a3b1c9d2e4f6071ull, fence = 0, mismatches = 0, first_bad = 0;
	const float a = 2.5f;
	float *x, *y, *result;
	double max_error = 0.0;
	struct sample s;
	uint64_t bytes;
	int ret;

	sample_start(&s, "dxgc-saxpy", 1u << 20, 65535u * GROUP_SIZE, argc, argv);
	bytes = s.n * sizeof(float);
	x = malloc(bytes);
	y = malloc(bytes);
	result = malloc(bytes);
	if (!x || !y || !result)
		return sample_fail(&s, "host memory", -ENOMEM);
	for (uint64_t i = 0; i < s.n; i++) {
		x[i] = sample_random_float(&seed) * 100.0f;
		y[i] = sample_random_float(&seed) * 100.0f;
	}

	struct saxpy_push push = { .a = a, .n = (uint32_t)s.n };
	struct dxgc_binding bindings[2] = {
		{ .size = DXGC_WHOLE_SIZE, .flags = DXGC_BINDING_READ_ONLY },
		{ .size = DXGC_WHOLE_SIZE },
	};
	struct dxgc_dispatch dispatch = {
		.groups = { (uint32_t)((s.n + GROUP_SIZE - 1) / GROUP_SIZE), 1, 1 },
		.bindings = bindings,
		.binding_count = 2,
		.push_constants = &push,
		.push_constant_size = sizeof(push),
	};

	if ((ret = dxgc_buffer_create(s.dev, DXGC_MEMORY_DEVICE_LOCAL, bytes, &x_buf)) < 0 ||
	    (ret = dxgc_buffer_create(s.dev, DXGC_MEMORY_DEVICE_LOCAL, bytes, &y_buf)) < 0)
		return sample_fail(&s, "create the device-local buffers", ret);
	if ((ret = dxgc_program_create(s.dev, saxpy_comp_spv, sizeof(saxpy_comp_spv),
				       &program)) < 0)
		return sample_fail(&s, "create the program", ret);
	if ((ret = dxgc_buffer_upload(x_buf, 0, x, bytes)) < 0 ||
	    (ret = dxgc_buffer_upload(y_buf, 0, y, bytes)) < 0)
		return sample_fail(&s, "upload x and y", ret);

	bindings[0].buffer = x_buf;
	bindings[1].buffer = y_buf;
	dispatch.program = program;
	if ((ret = dxgc_cmdlist_create(s.dev, &list)) < 0 ||
	    (ret = dxgc_cmd_dispatch(list, &dispatch)) < 0)
		return sample_fail(&s, "record the dispatch", ret);
	if ((ret = dxgc_submit(s.dev, list, &fence)) < 0)
		return sample_fail(&s, "submit", ret);
	if ((ret = dxgc_wait(s.dev, fence)) < 0)
		return sample_fail(&s, "wait for the dispatch", ret);
	if ((ret = dxgc_buffer_download(y_buf, 0, result, bytes)) < 0)
		return sample_fail(&s, "download y", ret);

	for (uint64_t i = 0; i < s.n; i++) {
		float want = a * x[i] + y[i];
		double error = fabs((double)result[i] - (double)want);
		double tolerance = 2.0 * FLT_EPSILON * fmax(fabs((double)want), 1.0);

		if (error > max_error)
			max_error = error;
		if (!(error <= tolerance) && mismatches++ == 0)
			first_bad = i;
	}
	if (mismatches)
		fprintf(stderr, "dxgc-saxpy: %" PRIu64 " mismatches; first at %" PRIu64
			": got %.9g, want %.9g\n", mismatches, first_bad, result[first_bad],
			a * x[first_bad] + y[first_bad]);

	dxgc_cmdlist_destroy(list);
	dxgc_program_destroy(program);
	dxgc_buffer_destroy(x_buf);
	dxgc_buffer_destroy(y_buf);
	free(x);
	free(y);
	free(result);
	return sample_finish(&s, mismatches == 0,
			     "y = %.1f*x + y, n = %" PRIu64 " floats (device-local, %" PRIu64
			     " workgroups), max abs error %.3g, %" PRIu64 " mismatches",
			     a, s.n, (s.n + GROUP_SIZE - 1) / GROUP_SIZE, max_error, mismatches);
}
