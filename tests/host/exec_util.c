/* SPDX-License-Identifier: MIT */
#include "exec_util.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "axpy_comp_spv.h"
#include "lcg_comp_spv.h"

static void read_caps(struct xproc *p)
{
	struct opendxg_adapter_caps caps;

	memset(&caps, 0, sizeof(caps));
	assert_int_equal(uguest_query_adapter_info(p->g, p->process, p->adapter,
						   OPENDXG_QAI_ADAPTER_CAPS, &caps,
						   sizeof(caps)), 0);
	/* A protocol 1.2 host fills the execution limits. */
	assert_true(le32toh(caps.size) >= sizeof(caps));
	for (int i = 0; i < 3; i++)
		p->max_workgroup_count[i] = le32toh(caps.max_workgroup_count[i]);
	p->max_binding_size = le32toh(caps.max_binding_size);
	p->timestamp_valid_bits = le32toh(caps.timestamp_valid_bits);
	p->timestamp_period_ps = le32toh(caps.timestamp_period_ps);
	assert_true(le32toh(caps.max_push_constants) >= OPENDXG_CMD_MAX_PUSH_CONSTANTS);
}

void xproc_open(struct uguest *g, const char *name, struct xproc *p)
{
	memset(p, 0, sizeof(*p));
	p->g = g;
	assert_int_equal(harness_open_first_adapter(g, name, &p->process, &p->adapter), 0);
	assert_int_equal(uguest_create_device(g, p->process, p->adapter, 0, &p->device), 0);
	read_caps(p);
	p->context = xcontext(p, 0);
	p->hw_context = xcontext(p, D3DDDI_CREATECONTEXT_FLAG_HW_QUEUE_SUPPORTED);
	assert_int_equal(uguest_create_hw_queue(g, p->process, p->hw_context, 0, NULL, 0, &p->hw),
			 0);
	assert_int_equal(uguest_fence_value(g, p->hw.fence_offset), 0);
	assert_int_equal(uguest_create_paging_queue(g, p->process, p->device, 0, &p->pq), 0);
	/* The command area: the host reads it, nothing writes it through the GPU. */
	xbuf_create(p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, XCMD_BYTES, 0, &p->cmd);
	assert_int_equal(uguest_create_fence(g, p->process, p->device, 0, &p->done), 0);
}

void xproc_close(struct xproc *p)
{
	assert_int_equal(uguest_destroy_process(p->g, p->process), 0);
	memset(p, 0, sizeof(*p));
}

uint32_t xcontext(struct xproc *p, uint32_t flags)
{
	const struct uguest_context_args args = { .device = p->device, .flags = flags };
	uint32_t context;

	assert_int_equal(uguest_create_context(p->g, p->process, &args, &context), 0);
	return context;
}

void xbuf_create(struct xproc *p, uint32_t kind, uint64_t size, uint64_t protection,
		 struct xbuf *b)
{
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->size = size;
	assert_int_equal(uguest_alloc(p->g, p->process, p->device, kind, size, &b->allocation),
			 0);
	assert_int_equal(uguest_map_allocation(p->g, p->process, &p->pq, b->allocation, size,
					       protection, &b->va), 0);
	assert_true(b->va >= DXGW_GPUVA_MIN && b->va % DXGW_GPUVA_PAGE == 0);
	if (kind == OPENDXG_ALLOC_KIND_HOST_VISIBLE) {
		struct uguest_lock l;

		assert_int_equal(uguest_lock(p->g, p->process, p->device, b->allocation, &l), 0);
		b->cpu = uguest_lock_ptr(p->g, &l);
		assert_non_null(b->cpu);
	}
}

void xbuf_destroy(struct xproc *p, struct xbuf *b)
{
	uint64_t pages = (b->size + DXGW_GPUVA_PAGE - 1) / DXGW_GPUVA_PAGE;

	assert_int_equal(uguest_free_gpu_va(p->g, p->process, p->adapter, b->va,
					    pages * DXGW_GPUVA_PAGE), 0);
	assert_int_equal(uguest_free(p->g, p->process, p->device, b->allocation), 0);
	memset(b, 0, sizeof(*b));
}

uint32_t xprogram(struct xproc *p, const uint32_t *code, uint32_t code_bytes)
{
	struct uguest_alloc_desc d = {
		.kind = OPENDXG_ALLOC_KIND_PROGRAM,
		.size = code_bytes,
		.code_size = code_bytes,
		.code = code,
	};
	struct uguest_create_allocation_args args = { .device = p->device, .descs = &d,
						      .count = 1 };
	struct uguest_alloc_result res;

	assert_int_equal(uguest_create_allocation(p->g, p->process, &args, NULL, &res), 0);
	return res.allocation;
}

const uint32_t *xaxpy_spirv(uint32_t *bytes)
{
	*bytes = sizeof(axpy_comp_spv);
	return axpy_comp_spv;
}

void xprograms(struct xproc *p, struct xprograms *out)
{
	out->axpy = xprogram(p, axpy_comp_spv, sizeof(axpy_comp_spv));
	out->lcg = xprogram(p, lcg_comp_spv, sizeof(lcg_comp_spv));
}

void xcmd_begin(struct xproc *p, struct uguest_cmdbuf *cb)
{
	uguest_cmd_init(cb, p->cmd.cpu, XCMD_BYTES);
}

uint32_t xcmd_end(struct uguest_cmdbuf *cb)
{
	int len = uguest_cmd_finish(cb);

	assert_true(len >= (int)OPENDXG_CMD_HEADER_SIZE);
	return (uint32_t)len;
}

int xsubmit(struct xproc *p, uint32_t queue, uint32_t len, uint64_t progress_value)
{
	return uguest_submit(p->g, p->process, queue, 0, p->cmd.va, len, progress_value);
}

void xdrain(struct xproc *p, uint32_t queue)
{
	uint64_t value = ++p->done_value;

	assert_int_equal(uguest_signal_on_queue(p->g, p->process, 0, &queue, 1, &p->done.handle,
						&value, 1), 0);
	assert_int_equal(uguest_wait_fence(p->g, p->done.fence_offset, value), 0);
	assert_true(uguest_fence_value(p->g, p->done.fence_offset) == value);
}

void xrun_on(struct xproc *p, uint32_t context, uint32_t len)
{
	assert_int_equal(xsubmit(p, context, len, 0), 0);
	xdrain(p, context);
}

void xrun(struct xproc *p, uint32_t len)
{
	xrun_on(p, p->context, len);
}

void xrun_hw(struct xproc *p, uint32_t len)
{
	uint64_t value = ++p->hw_value;

	assert_int_equal(xsubmit(p, p->hw.queue, len, value), 0);
	assert_int_equal(uguest_wait_fence(p->g, p->hw.fence_offset, value), 0);
	assert_true(uguest_fence_value(p->g, p->hw.fence_offset) == value);
}

uint32_t xexecution_state(struct xproc *p)
{
	struct uguest_device_state s;

	assert_int_equal(uguest_get_device_state(p->g, p->process, p->device,
						 D3DKMT_DEVICESTATE_EXECUTION, &s), 0);
	return s.execution_state;
}

uint32_t lcg_reference(uint32_t v, uint32_t iterations)
{
	for (uint32_t k = 0; k < iterations; k++)
		v = v * 1664525u + 1013904223u;
	return v;
}

void xcmd_axpy(struct uguest_cmdbuf *cb, const struct xprograms *progs, const struct xbuf *x,
	       const struct xbuf *y, uint32_t n, uint32_t a)
{
	const struct uguest_cmd_binding b[2] = {
		{ .va = x->va, .size = (uint64_t)n * 4, .binding = 0,
		  .flags = OPENDXG_BINDING_READ_ONLY },
		{ .va = y->va, .size = (uint64_t)n * 4, .binding = 1 },
	};
	const struct axpy_push push = { .a = htole32(a), .n = htole32(n) };

	uguest_cmd_dispatch(cb, progs->axpy, "main", (n + AXPY_LOCAL_SIZE - 1) / AXPY_LOCAL_SIZE,
			    1, 1, b, 2, &push, sizeof(push));
}

void xcmd_lcg(struct uguest_cmdbuf *cb, const struct xprograms *progs, const struct xbuf *d,
	      uint32_t n, uint32_t iterations)
{
	const struct uguest_cmd_binding b = { .va = d->va, .size = (uint64_t)n * 4 };
	const struct lcg_push push = { .n = htole32(n), .iterations = htole32(iterations) };

	uguest_cmd_dispatch(cb, progs->lcg, "main", (n + LCG_LOCAL_SIZE - 1) / LCG_LOCAL_SIZE, 1,
			    1, &b, 1, &push, sizeof(push));
}

void xcheck_axpy(struct xproc *p, const struct xprograms *progs, uint32_t n, uint32_t a)
{
	xcheck_axpy_on(p, progs, p->context, n, a);
}

void xcheck_axpy_on(struct xproc *p, const struct xprograms *progs, uint32_t context,
		    uint32_t n, uint32_t a)
{
	struct xbuf x, y;
	struct uguest_cmdbuf cb;
	uint32_t *xs, *ys;

	xbuf_create(p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, (uint64_t)n * 4,
		    D3DDDIGPUVA_PROTECTION_WRITE, &x);
	xbuf_create(p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, (uint64_t)n * 4,
		    D3DDDIGPUVA_PROTECTION_WRITE, &y);
	xs = x.cpu;
	ys = y.cpu;
	for (uint32_t i = 0; i < n; i++) {
		xs[i] = i * 7u + 1u;
		ys[i] = i ^ 0x5a5au;
	}
	xcmd_begin(p, &cb);
	xcmd_axpy(&cb, progs, &x, &y, n, a);
	xrun_on(p, context, xcmd_end(&cb));
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(ys[i], a * (i * 7u + 1u) + (i ^ 0x5a5au));
	xbuf_destroy(p, &x);
	xbuf_destroy(p, &y);
}

/* Counters that only grow (requests served, jobs run): not part of "nothing left behind". */
static bool is_running_total(const char *key)
{
	static const char *const totals[] = {
		"requests", "rejected", "jobs_submitted", "jobs_completed", "contexts_broken",
	};

	for (size_t i = 0; i < sizeof(totals) / sizeof(totals[0]); i++)
		if (strcmp(key, totals[i]) == 0)
			return true;
	return false;
}

/* Appends "key=value " for every integer member of `o` except the running totals. */
static void append_ints(char **out, size_t *len, const char *prefix, struct json_object *o)
{
	json_object_object_foreach(o, key, value) {
		char item[160];
		size_t n;

		if (!json_object_is_type(value, json_type_int) || is_running_total(key))
			continue;
		n = (size_t)snprintf(item, sizeof(item), "%s.%s=%lld ", prefix, key,
				     (long long)json_object_get_int64(value));
		*out = realloc(*out, *len + n + 1);
		assert_non_null(*out);
		memcpy(*out + *len, item, n + 1);
		*len += n;
	}
}

char *xworker_counters(unsigned vm)
{
	char *json = harness_control_status(&harness_dxgd), name[16];
	struct json_object *doc, *vms, *worker = NULL, *counters, *adapters;
	char *out = calloc(1, 1);
	size_t len = 0;

	assert_non_null(json);
	assert_non_null(out);
	snprintf(name, sizeof(name), "vm%u", vm);
	doc = json_tokener_parse(json);
	free(json);
	assert_non_null(doc);
	assert_true(json_object_object_get_ex(doc, "vms", &vms));
	for (size_t i = 0; i < json_object_array_length(vms); i++) {
		struct json_object *o = json_object_array_get_idx(vms, i), *n;

		if (json_object_object_get_ex(o, "name", &n) &&
		    strcmp(json_object_get_string(n), name) == 0)
			json_object_object_get_ex(o, "worker", &worker);
	}
	assert_non_null(worker);
	assert_true(json_object_object_get_ex(worker, "counters", &counters));
	append_ints(&out, &len, "counters", counters);
	if (json_object_object_get_ex(worker, "adapters", &adapters)) {
		for (size_t i = 0; i < json_object_array_length(adapters); i++) {
			struct json_object *a = json_object_array_get_idx(adapters, i);
			char prefix[32];

			json_object_object_foreach(a, key, value) {
				if (!json_object_is_type(value, json_type_object))
					continue;
				snprintf(prefix, sizeof(prefix), "adapter%zu.%s", i, key);
				append_ints(&out, &len, prefix, value);
			}
		}
	}
	json_object_put(doc);
	return out;
}
