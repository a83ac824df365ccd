// SPDX-License-Identifier: MIT
/*
 * dxgc-reduce: the sum of 1M uint32 values (--n to change) by a two-pass workgroup reduction:
 * pass 1 has REDUCE_GROUPS workgroups write one partial sum each into a device-local buffer;
 * after a BARRIER, pass 2 (the same kernel, one workgroup) sums the partials into a host-visible
 * result. Values are below 1024 so no sum of up to 4M of them wraps, and the result must equal
 * the CPU's exactly.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "sample.h"
#include "reduce_comp_spv.h"

#define REDUCE_GROUPS 1024u

struct reduce_push {
	uint32_t n;
};

int main(int argc, char **argv)
{
	struct dxgc_buffer *values_buf = NULL, *partials_buf = NULL, *result_buf = NULL;
	struct dxgc_program *program = NULL;
	struct dxgc_cmdlist *list = NULL;
	uint64_t seed = 0x9e3779b97f4a7c15ull, fence = 0, want = 0;
	uint32_t *values, got;
	struct sample s;
	uint64_t bytes;
	int ret;

	sample_start(&s, "dxgc-reduce", 1u << 20, 4u << 20, argc, argv);
	bytes = s.n * sizeof(uint32_t);
	values = malloc(bytes);
	if (!values)
		return sample_fail(&s, "host memory", -ENOMEM);
	for (uint64_t i = 0; i < s.n; i++) {
		values[i] = (uint32_t)(sample_random(&seed) >> 54);	/* 0..1023 */
		want += values[i];
	}

	if ((ret = dxgc_buffer_create(s.dev, DXGC_MEMORY_DEVICE_LOCAL, bytes, &values_buf)) < 0 ||
	    (ret = dxgc_buffer_create(s.dev, DXGC_MEMORY_DEVICE_LOCAL,
				      REDUCE_GROUPS * sizeof(uint32_t), &partials_buf)) < 0 ||
	    (ret = dxgc_buffer_create(s.dev, DXGC_MEMORY_HOST_VISIBLE, sizeof(uint32_t),
				      &result_buf)) < 0)
		return sample_fail(&s, "create the buffers", ret);
	if ((ret = dxgc_program_create(s.dev, reduce_comp_spv, sizeof(reduce_comp_spv),
				       &program)) < 0)
		return sample_fail(&s, "create the program", ret);
	if ((ret = dxgc_buffer_upload(values_buf, 0, values, bytes)) < 0)
		return sample_fail(&s, "upload the values", ret);

	struct reduce_push pass1_push = { .n = (uint32_t)s.n };
	struct reduce_push pass2_push = { .n = REDUCE_GROUPS };
	struct dxgc_binding pass1_bindings[2] = {
		{ .buffer = values_buf, .size = DXGC_WHOLE_SIZE, .flags = DXGC_BINDING_READ_ONLY },
		{ .buffer = partials_buf, .size = DXGC_WHOLE_SIZE },
	};
	struct dxgc_binding pass2_bindings[2] = {
		{ .buffer = partials_buf, .size = DXGC_WHOLE_SIZE,
		  .flags = DXGC_BINDING_READ_ONLY },
		{ .buffer = result_buf, .size = DXGC_WHOLE_SIZE },
	};
	struct dxgc_dispatch pass1 = {
		.program = program,
		.groups = { REDUCE_GROUPS, 1, 1 },
		.bindings = pass1_bindings,
		.binding_count = 2,
		.push_constants = &pass1_push,
		.push_constant_size = sizeof(pass1_push),
	};
	struct dxgc_dispatch pass2 = {
		.program = program,
		.groups = { 1, 1, 1 },
		.bindings = pass2_bindings,
		.binding_count = 2,
		.push_constants = &pass2_push,
		.push_constant_size = sizeof(pass2_push),
	};

	/* The result starts at a value no correct sum has, so a dispatch that did not run shows. */
	*(volatile uint32_t *)dxgc_buffer_map(result_buf) = UINT32_MAX;
	if ((ret = dxgc_cmdlist_create(s.dev, &list)) < 0 ||
	    (ret = dxgc_cmd_dispatch(list, &pass1)) < 0 || (ret = dxgc_cmd_barrier(list)) < 0 ||
	    (ret = dxgc_cmd_dispatch(list, &pass2)) < 0)
		return sample_fail(&s, "record the two passes", ret);
	if ((ret = dxgc_submit(s.dev, list, &fence)) < 0)
		return sample_fail(&s, "submit", ret);
	if ((ret = dxgc_wait(s.dev, fence)) < 0)
		return sample_fail(&s, "wait for the reduction", ret);
	if ((ret = dxgc_buffer_download(result_buf, 0, &got, sizeof(got))) < 0)
		return sample_fail(&s, "read the result", ret);

	dxgc_cmdlist_destroy(list);
	dxgc_program_destroy(program);
	dxgc_buffer_destroy(values_buf);
	dxgc_buffer_destroy(partials_buf);
	dxgc_buffer_destroy(result_buf);
	free(values);
	return sample_finish(&s, got == want,
			     "sum of %" PRIu64 " uint32 values in 2 passes (%u workgroups, then 1): "
			     "GPU %" PRIu32 ", CPU %" PRIu64 ", %s", s.n, REDUCE_GROUPS, got, want,
			     got == want ? "exact" : "DIFFERENT");
}
