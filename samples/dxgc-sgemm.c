// SPDX-License-Identifier: MIT
/*
 * dxgc-sgemm: C = A * B for 256 x 256 float matrices (--n for another size), with a tiled
 * shared-memory kernel over host-visible buffers (zero copy: the CPU writes A and B where the
 * GPU reads them), timed with TIMESTAMP packets when the adapter has timestamps, and checked
 * against a double-precision CPU product.
 *
 * Each element sums K products in float, in an order the CPU does not know, so the tolerance
 * grows with K: K * FLT_EPSILON * max|a| * max|b| * 2 bounds the rounding error of any order.
 */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"
#include "sgemm_comp_spv.h"

#define TILE 16u

struct sgemm_push {
	uint32_t m, n, k;
};

int main(int argc, char **argv)
{
	struct dxgc_buffer *a_buf = NULL, *b_buf = NULL, *c_buf = NULL, *t_buf = NULL;
	struct dxgc_program *program = NULL;
	struct dxgc_cmdlist *list = NULL;
	uint64_t seed = 0x0123456789abcdefull, fence = 0, mismatches = 0, first_bad = 0;
	double max_error = 0.0, tolerance, gpu_ms = -1.0;
	float *a, *b, *c;
	const uint64_t *ticks = NULL;
	struct sample s;
	uint32_t dim;
	uint64_t bytes;
	int ret;

	sample_start(&s, "dxgc-sgemm", 256, 2048, argc, argv);
	dim = (uint32_t)s.n;
	bytes = (uint64_t)dim * dim * sizeof(float);

	if ((ret = dxgc_buffer_create(s.dev, DXGC_MEMORY_HOST_VISIBLE, bytes, &a_buf)) < 0 ||
	    (ret = dxgc_buffer_create(s.dev, DXGC_MEMORY_HOST_VISIBLE, bytes, &b_buf)) < 0 ||
	    (ret = dxgc_buffer_create(s.dev, DXGC_MEMORY_HOST_VISIBLE, bytes, &c_buf)) < 0 ||
	    (ret = dxgc_buffer_create(s.dev, DXGC_MEMORY_HOST_VISIBLE, 16, &t_buf)) < 0)
		return sample_fail(&s, "create the host-visible buffers", ret);
	a = dxgc_buffer_map(a_buf);
	b = dxgc_buffer_map(b_buf);
	c = dxgc_buffer_map(c_buf);
	for (uint64_t i = 0; i < (uint64_t)dim * dim; i++) {
		a[i] = sample_random_float(&seed);
		b[i] = sample_random_float(&seed);
	}
	if ((ret = dxgc_program_create(s.dev, sgemm_comp_spv, sizeof(sgemm_comp_spv),
				       &program)) < 0)
		return sample_fail(&s, "create the program", ret);

	struct sgemm_push push = { .m = dim, .n = dim, .k = dim };
	struct dxgc_binding bindings[3] = {
		{ .buffer = a_buf, .size = DXGC_WHOLE_SIZE, .flags = DXGC_BINDING_READ_ONLY },
		{ .buffer = b_buf, .size = DXGC_WHOLE_SIZE, .flags = DXGC_BINDING_READ_ONLY },
		{ .buffer = c_buf, .size = DXGC_WHOLE_SIZE },
	};
	struct dxgc_dispatch dispatch = {
		.program = program,
		.groups = { (dim + TILE - 1) / TILE, (dim + TILE - 1) / TILE, 1 },
		.bindings = bindings,
		.binding_count = 3,
		.push_constants = &push,
		.push_constant_size = sizeof(push),
	};
	int timed = dxgc_device_info(s.dev)->caps.timestamp_valid_bits > 0;

	if ((ret = dxgc_cmdlist_create(s.dev, &list)) < 0)
		return sample_fail(&s, "create a command list", ret);
	/* Timestamps on both sides of the dispatch, each behind a barrier so they bracket it. */
	if (timed && ((ret = dxgc_cmd_timestamp(list, t_buf, 0)) < 0 ||
		      (ret = dxgc_cmd_barrier(list)) < 0))
		return sample_fail(&s, "record the first timestamp", ret);
	if ((ret = dxgc_cmd_dispatch(list, &dispatch)) < 0)
		return sample_fail(&s, "record the dispatch", ret);
	if (timed && ((ret = dxgc_cmd_barrier(list)) < 0 ||
		      (ret = dxgc_cmd_timestamp(list, t_buf, 8)) < 0))
		return sample_fail(&s, "record the second timestamp", ret);
	if ((ret = dxgc_submit(s.dev, list, &fence)) < 0)
		return sample_fail(&s, "submit", ret);
	if ((ret = dxgc_wait(s.dev, fence)) < 0)
		return sample_fail(&s, "wait for the dispatch", ret);
	if (timed) {
		ticks = dxgc_buffer_map(t_buf);
		if (ticks[1] >= ticks[0])
			gpu_ms = dxgc_timestamp_ns(s.dev, ticks[1] - ticks[0]) / 1e6;
	}

	tolerance = 2.0 * dim * FLT_EPSILON;	/* |a|, |b| < 1 */
	for (uint32_t row = 0; row < dim; row++) {
		for (uint32_t col = 0; col < dim; col++) {
			double want = 0.0, error;

			for (uint32_t k = 0; k < dim; k++)
				want += (double)a[(uint64_t)row * dim + k] *
					(double)b[(uint64_t)k * dim + col];
			error = fabs((double)c[(uint64_t)row * dim + col] - want);
			if (error > max_error)
				max_error = error;
			if (!(error <= tolerance) && mismatches++ == 0)
				first_bad = (uint64_t)row * dim + col;
		}
	}
	if (mismatches)
		fprintf(stderr, "dxgc-sgemm: %" PRIu64 " mismatches; first at row %" PRIu64
			", column %" PRIu64 ": got %.9g\n", mismatches, first_bad / dim,
			first_bad % dim, c[first_bad]);

	char gpu_time[48] = "";

	if (gpu_ms >= 0.0)
		snprintf(gpu_time, sizeof(gpu_time), ", GPU time %.3f ms", gpu_ms);
	dxgc_cmdlist_destroy(list);
	dxgc_program_destroy(program);
	dxgc_buffer_destroy(a_buf);
	dxgc_buffer_destroy(b_buf);
	dxgc_buffer_destroy(c_buf);
	dxgc_buffer_destroy(t_buf);
	return sample_finish(&s, mismatches == 0,
			     "C = A*B, %ux%u x %ux%u floats (host-visible, %ux%u workgroups of "
			     "%ux%u)%s, max abs error %.3g (tolerance %.3g), %" PRIu64
			     " mismatches", dim, dim, dim, dim, (dim + TILE - 1) / TILE,
			     (dim + TILE - 1) / TILE, TILE, TILE, gpu_time, max_error, tolerance,
			     mismatches);
}
