/* SPDX-License-Identifier: MIT */
/*
 * Execution through dxgd and a user-space guest (real dxgd, real lavapipe): every packet type of
 * the command buffer format (COPY at odd alignments, FILL, DISPATCH checked against a CPU
 * reference, BARRIER ordering, TIMESTAMP values increasing and bracketed by clock calibrations)
 * on host-visible and device-local memory, submitted to contexts and hardware queues; progress
 * fences; NULL_RENDERING; queues destroyed with queued work; scheduling priorities; device state;
 * clock calibration; the context statistics escape; and the VM's counters back at their baseline
 * after every test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "exec_util.h"

#define KiB 1024u

static struct uguest *g;
static uint32_t observer, adapter;
static struct opendxg_vm_stats baseline;
static char *baseline_counters;

static int test_setup(void **state)
{
	(void)state;
	if (!g && harness_connect(&harness_dxgd, 0, NULL, &g) != 0)
		return -1;
	if (uguest_handshake(g, 0, NULL) != 0 ||
	    harness_open_first_adapter(g, "observer", &observer, &adapter) != 0 ||
	    harness_vm_stats(g, observer, adapter, &baseline) != 0)
		return -1;
	free(baseline_counters);
	baseline_counters = xworker_counters(0);
	return 0;
}

static void expect_baseline(void)
{
	struct opendxg_vm_stats s;
	char *now;

	assert_int_equal(harness_vm_stats(g, observer, adapter, &s), 0);
	assert_int_equal(s.processes, baseline.processes);
	assert_int_equal(s.devices, baseline.devices);
	assert_int_equal(s.contexts, baseline.contexts);
	assert_int_equal(s.handles, baseline.handles);
	assert_int_equal(s.allocations, 0);
	assert_int_equal(s.gpu_va_ranges, 0);
	assert_true(s.host_visible_bytes == 0 && s.device_local_bytes == 0 &&
		    s.program_bytes == 0);
	now = xworker_counters(0);
	assert_string_equal(now, baseline_counters);
	free(now);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pattern(void *mem, size_t n, unsigned seed)
{
	unsigned char *p = mem;

	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 31u + seed + (i >> 8));
}

static void expect_words(const void *mem, size_t first, size_t count, uint32_t value)
{
	const uint32_t *w = mem;

	for (size_t i = first; i < first + count; i++)
		assert_int_equal(w[i], value);
}

/* ---- packets ---- */

/* COPY at odd offsets and FILL, through host-visible and device-local memory, on both queues. */
static void test_copy_fill(void **state)
{
	struct xproc p;
	struct xbuf a, b, c, d;
	struct uguest_cmdbuf cb;
	unsigned char *pa, *pb, *pc;

	(void)state;
	xproc_open(g, "copyfill", &p);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 64 * KiB, D3DDDIGPUVA_PROTECTION_WRITE, &a);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 64 * KiB, D3DDDIGPUVA_PROTECTION_WRITE, &b);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 64 * KiB, D3DDDIGPUVA_PROTECTION_WRITE, &c);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 64 * KiB, D3DDDIGPUVA_PROTECTION_WRITE, &d);
	pa = a.cpu;
	pb = b.cpu;
	pc = c.cpu;
	pattern(pa, 64 * KiB, 3);

	/* On the context: an odd copy and a fill side by side (disjoint: no barrier needed). */
	xcmd_begin(&p, &cb);
	uguest_cmd_copy(&cb, a.va + 3, b.va + 5, 1001);
	uguest_cmd_fill(&cb, b.va + 4 * KiB, 8 * KiB, 0xdeadbeefu);
	xrun(&p, xcmd_end(&cb));
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(pb[i], 0);
	assert_memory_equal(pb + 5, pa + 3, 1001);
	for (size_t i = 1006; i < 4 * KiB; i++)
		assert_int_equal(pb[i], 0);
	expect_words(pb, 1 * KiB, 2 * KiB, 0xdeadbeefu);
	for (size_t i = 12 * KiB; i < 64 * KiB; i++)
		assert_int_equal(pb[i], 0);

	/* On the hardware queue: host-visible -> device-local, a fill there, and back. */
	xcmd_begin(&p, &cb);
	uguest_cmd_copy(&cb, a.va, d.va, 64 * KiB);
	uguest_cmd_barrier(&cb);
	uguest_cmd_fill(&cb, d.va + 12 * KiB, 4 * KiB, 0x01020304u);
	uguest_cmd_barrier(&cb);
	uguest_cmd_copy(&cb, d.va, c.va, 64 * KiB);
	xrun_hw(&p, xcmd_end(&cb));
	assert_memory_equal(pc, pa, 12 * KiB);
	expect_words(pc, 3 * KiB, 1 * KiB, 0x01020304u);
	assert_memory_equal(pc + 16 * KiB, pa + 16 * KiB, 48 * KiB);

	/* Device-local contents persist across command buffers. */
	memset(pc, 0, 64 * KiB);
	xcmd_begin(&p, &cb);
	uguest_cmd_copy(&cb, d.va + 12 * KiB + 1, c.va + 7, 17);
	xrun(&p, xcmd_end(&cb));
	for (size_t i = 0; i < 17; i++)
		assert_int_equal(pc[7 + i], ((const unsigned char[]){ 4, 3, 2, 1 })[(i + 1) % 4]);
	assert_int_equal(pc[6], 0);
	assert_int_equal(pc[24], 0);
	xproc_close(&p);
	expect_baseline();
}

static void test_dispatch_reference(void **state)
{
	const uint32_t n = 10000, a_value = 3;
	struct xproc p;
	struct xprograms progs;
	struct xbuf x, y, dx, dy, out;
	struct uguest_cmdbuf cb;
	uint32_t *xs, *ys, *os;

	(void)state;
	xproc_open(g, "dispatch", &p);
	xprograms(&p, &progs);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 64 * KiB, D3DDDIGPUVA_PROTECTION_WRITE, &x);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 64 * KiB, D3DDDIGPUVA_PROTECTION_WRITE, &y);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 64 * KiB, D3DDDIGPUVA_PROTECTION_WRITE,
		    &out);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 64 * KiB, D3DDDIGPUVA_PROTECTION_WRITE,
		    &dx);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 64 * KiB, D3DDDIGPUVA_PROTECTION_WRITE,
		    &dy);
	xs = x.cpu;
	ys = y.cpu;
	os = out.cpu;
	for (uint32_t i = 0; i < 16 * KiB; i++) {
		xs[i] = i * 2654435761u;
		ys[i] = ~i;
	}

	/* Host-visible: n is not a multiple of the workgroup size; y beyond n is untouched. */
	xcmd_begin(&p, &cb);
	xcmd_axpy(&cb, &progs, &x, &y, n, a_value);
	xrun(&p, xcmd_end(&cb));
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(ys[i], a_value * (i * 2654435761u) + ~i);
	for (uint32_t i = n; i < 16 * KiB; i++)
		assert_int_equal(ys[i], ~i);

	/* Device-local: upload, dispatch, download, in one buffer ordered by barriers. */
	for (uint32_t i = 0; i < 16 * KiB; i++)
		ys[i] = i;
	xcmd_begin(&p, &cb);
	uguest_cmd_copy(&cb, x.va, dx.va, 64 * KiB);
	uguest_cmd_copy(&cb, y.va, dy.va, 64 * KiB);
	uguest_cmd_barrier(&cb);
	xcmd_axpy(&cb, &progs, &dx, &dy, n, 7);
	uguest_cmd_barrier(&cb);
	uguest_cmd_copy(&cb, dy.va, out.va, 64 * KiB);
	xrun_hw(&p, xcmd_end(&cb));
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(os[i], 7u * (i * 2654435761u) + i);
	for (uint32_t i = n; i < 16 * KiB; i++)
		assert_int_equal(os[i], i);

	/* A second program, many iterations, a different push constant block. */
	for (uint32_t i = 0; i < 4096; i++)
		os[i] = i * 13u;
	xcmd_begin(&p, &cb);
	xcmd_lcg(&cb, &progs, &out, 4096, 100);
	xrun(&p, xcmd_end(&cb));
	for (uint32_t i = 0; i < 4096; i++)
		assert_int_equal(os[i], lcg_reference(i * 13u, 100));

	/* A group count of 0 in any dimension runs nothing. */
	memcpy(os, ys, 64 * KiB);
	xcmd_begin(&p, &cb);
	{
		const struct uguest_cmd_binding bind = { .va = out.va, .size = 64 * KiB };
		const struct lcg_push push = { .n = 16 * KiB, .iterations = 5 };

		uguest_cmd_dispatch(&cb, progs.lcg, "main", 0, 1, 1, &bind, 1, &push, sizeof(push));
		uguest_cmd_dispatch(&cb, progs.lcg, "main", 256, 0, 1, &bind, 1, &push,
				    sizeof(push));
		uguest_cmd_dispatch(&cb, progs.lcg, "main", 256, 1, 0, &bind, 1, &push,
				    sizeof(push));
	}
	xrun(&p, xcmd_end(&cb));
	assert_memory_equal(os, ys, 64 * KiB);
	xproc_close(&p);
	expect_baseline();
}

/*
 * BARRIER orders everything: fill, then a dispatch reading what the fill wrote, then a copy of
 * the result, then a dispatch on the copy; and ten dispatches on one buffer, each after a
 * barrier, accumulate exactly.
 */
static void test_barrier_ordering(void **state)
{
	const uint32_t n = 4096;
	struct xproc p;
	struct xprograms progs;
	struct xbuf x, y, z;
	struct uguest_cmdbuf cb;
	uint32_t *xs, *ys, *zs;

	(void)state;
	xproc_open(g, "barrier", &p);
	xprograms(&p, &progs);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, n * 4, D3DDDIGPUVA_PROTECTION_WRITE, &x);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, n * 4, D3DDDIGPUVA_PROTECTION_WRITE, &y);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, n * 4, D3DDDIGPUVA_PROTECTION_WRITE, &z);
	xs = x.cpu;
	zs = z.cpu;
	for (uint32_t i = 0; i < n; i++) {
		xs[i] = i + 1;
		zs[i] = 0xffffffffu;
	}
	xcmd_begin(&p, &cb);
	uguest_cmd_fill(&cb, y.va, n * 4, 5);
	uguest_cmd_barrier(&cb);
	xcmd_axpy(&cb, &progs, &x, &y, n, 9);
	uguest_cmd_barrier(&cb);
	uguest_cmd_copy(&cb, y.va, z.va, n * 4);
	uguest_cmd_barrier(&cb);
	xcmd_lcg(&cb, &progs, &z, n, 3);
	xrun(&p, xcmd_end(&cb));
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(zs[i], lcg_reference(9u * (i + 1) + 5, 3));

	/* Ten read-modify-writes of one buffer, each behind a barrier. */
	xbuf_create(&p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, n * 4, D3DDDIGPUVA_PROTECTION_WRITE, &y);
	ys = y.cpu;
	for (uint32_t i = 0; i < n; i++)
		ys[i] = i;
	xcmd_begin(&p, &cb);
	for (int k = 0; k < 10; k++) {
		if (k)
			uguest_cmd_barrier(&cb);
		xcmd_axpy(&cb, &progs, &x, &y, n, 2);
	}
	xrun_hw(&p, xcmd_end(&cb));
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(ys[i], i + 20u * (i + 1));
	xproc_close(&p);
	expect_baseline();
}

/*
 * TIMESTAMP values increase through a buffer (a dispatch between two of them, barriers around)
 * and across buffers, and lie between two clock calibrations taken before and after.
 */
static void test_timestamps(void **state)
{
	struct xproc p;
	struct xprograms progs;
	struct xbuf ts, work;
	struct uguest_cmdbuf cb;
	struct uguest_clock_calibration before, after;
	const uint64_t *t;
	uint32_t len;

	(void)state;
	xproc_open(g, "timestamps", &p);
	xprograms(&p, &progs);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4 * KiB, D3DDDIGPUVA_PROTECTION_WRITE, &ts);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 256 * KiB, D3DDDIGPUVA_PROTECTION_WRITE,
		    &work);
	t = ts.cpu;
	xcmd_begin(&p, &cb);
	uguest_cmd_timestamp(&cb, ts.va);
	uguest_cmd_barrier(&cb);
	xcmd_lcg(&cb, &progs, &work, 64 * KiB, 200);
	uguest_cmd_barrier(&cb);
	uguest_cmd_timestamp(&cb, ts.va + 8);
	uguest_cmd_barrier(&cb);
	uguest_cmd_timestamp(&cb, ts.va + 16);
	len = xcmd_end(&cb);
	if (p.timestamp_valid_bits == 0) {
		/* An adapter without timestamps refuses the packet. */
		assert_int_equal(xsubmit(&p, p.context, len, 0), -EINVAL);
		xproc_close(&p);
		expect_baseline();
		return;
	}
	assert_true(p.timestamp_period_ps > 0);
	assert_int_equal(uguest_query_clock_calibration(g, p.process, p.adapter, 0, &before), 0);
	xrun(&p, len);
	/* Into device-local memory too, read back through a COPY behind a barrier. */
	xcmd_begin(&p, &cb);
	uguest_cmd_timestamp(&cb, ts.va + 24);
	uguest_cmd_timestamp(&cb, work.va + 64);
	uguest_cmd_barrier(&cb);
	uguest_cmd_copy(&cb, work.va + 64, ts.va + 32, 8);
	xrun_hw(&p, xcmd_end(&cb));
	assert_int_equal(uguest_query_clock_calibration(g, p.process, p.adapter, 0, &after), 0);
	print_message("timestamps: %llu %llu %llu %llu (calibration %llu .. %llu, %llu Hz)\n",
		      (unsigned long long)t[0], (unsigned long long)t[1],
		      (unsigned long long)t[2], (unsigned long long)t[3],
		      (unsigned long long)before.gpu_clock_counter,
		      (unsigned long long)after.gpu_clock_counter,
		      (unsigned long long)before.gpu_frequency);
	assert_true(t[0] < t[1]);
	assert_true(t[1] <= t[2]);
	assert_true(t[2] <= t[3]);
	assert_true(t[2] <= t[4]);
	assert_true(before.gpu_clock_counter <= t[0]);
	assert_true(t[3] <= after.gpu_clock_counter && t[4] <= after.gpu_clock_counter);
	/* The destination must be 8-aligned. */
	xcmd_begin(&p, &cb);
	uguest_cmd_timestamp(&cb, ts.va + 4);
	assert_int_equal(xsubmit(&p, xcontext(&p, 0), xcmd_end(&cb), 0), -EINVAL);
	xproc_close(&p);
	expect_baseline();
}

static void test_clock_calibration(void **state)
{
	struct xproc p;
	struct uguest_clock_calibration c1, c2;
	uint32_t stranger;
	uint64_t t0, t1;

	(void)state;
	xproc_open(g, "clock", &p);
	t0 = now_ns();
	assert_int_equal(uguest_query_clock_calibration(g, p.process, p.adapter, 0, &c1), 0);
	t1 = now_ns();
	/* The host's clock is ours (same machine): it was read during the call. */
	assert_true(t0 <= c1.host_clock_ns && c1.host_clock_ns <= t1);
	assert_true(c1.gpu_frequency > 0);
	assert_int_equal(uguest_query_clock_calibration(g, p.process, p.adapter, 0, &c2), 0);
	assert_true(c2.gpu_clock_counter >= c1.gpu_clock_counter);
	assert_true(c2.host_clock_ns >= c1.host_clock_ns);
	assert_true(c2.gpu_frequency == c1.gpu_frequency);
	/* One node only; the adapter must be open in the process. */
	assert_int_equal(uguest_query_clock_calibration(g, p.process, p.adapter, 1, &c2), -EINVAL);
	assert_int_equal(uguest_create_process(g, 1, "stranger", &stranger), 0);
	assert_int_equal(uguest_query_clock_calibration(g, stranger, p.adapter, 0, &c2), -EINVAL);
	assert_int_equal(uguest_destroy_process(g, stranger), 0);
	xproc_close(&p);
	expect_baseline();
}

/* ---- queues ---- */

static void test_hw_queue_progress(void **state)
{
	struct xproc p;
	struct uguest_hw_queue q2;
	struct xbuf buf;
	struct uguest_cmdbuf cb;
	uint32_t *w;
	uint32_t len;

	(void)state;
	xproc_open(g, "progress", &p);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 16 * KiB, D3DDDIGPUVA_PROTECTION_WRITE,
		    &buf);
	w = buf.cpu;
	/* Pipelined: three buffers, values with gaps, one wait for the last. */
	for (uint32_t k = 0; k < 3; k++) {
		xcmd_begin(&p, &cb);
		uguest_cmd_fill(&cb, buf.va + k * 4 * KiB, 4 * KiB, 0x100u + k);
		assert_int_equal(xsubmit(&p, p.hw.queue, xcmd_end(&cb), (uint64_t)(k + 1) * 10), 0);
	}
	assert_int_equal(uguest_wait_fence(g, p.hw.fence_offset, 30), 0);
	assert_true(uguest_fence_value(g, p.hw.fence_offset) == 30);
	for (uint32_t k = 0; k < 3; k++)
		expect_words(w, k * KiB, KiB, 0x100u + k);
	p.hw_value = 30;

	/* A second hardware queue of the same context has its own fence. */
	assert_int_equal(uguest_create_hw_queue(g, p.process, p.hw_context, 0, NULL, 0, &q2), 0);
	assert_true(q2.fence_offset != p.hw.fence_offset && q2.progress_fence != p.hw.progress_fence);
	assert_true(uguest_fence_value(g, q2.fence_offset) == 0);
	xcmd_begin(&p, &cb);
	uguest_cmd_fill(&cb, buf.va + 12 * KiB, 4 * KiB, 0x200u);
	len = xcmd_end(&cb);
	assert_int_equal(xsubmit(&p, q2.queue, len, 1), 0);
	assert_int_equal(uguest_wait_fence(g, q2.fence_offset, 1), 0);
	expect_words(w, 3 * KiB, KiB, 0x200u);
	assert_true(uguest_fence_value(g, p.hw.fence_offset) == 30);

	/* NULL_RENDERING: validated, the fence moves, nothing is written. */
	xcmd_begin(&p, &cb);
	uguest_cmd_fill(&cb, buf.va, 16 * KiB, 0x300u);
	len = xcmd_end(&cb);
	assert_int_equal(uguest_submit(g, p.process, q2.queue,
				       D3DKMT_SUBMITCOMMAND_FLAG_NULL_RENDERING, p.cmd.va, len, 2),
			 0);
	assert_int_equal(uguest_wait_fence(g, q2.fence_offset, 2), 0);
	expect_words(w, 0, KiB, 0x100u);
	expect_words(w, 3 * KiB, KiB, 0x200u);
	assert_int_equal(uguest_submit(g, p.process, p.context,
				       D3DKMT_SUBMITCOMMAND_FLAG_NULL_RENDERING, p.cmd.va, len, 0),
			 0);
	xdrain(&p, p.context);
	expect_words(w, 0, KiB, 0x100u);

	/* Progress values must grow; a context takes none. */
	assert_int_equal(xsubmit(&p, q2.queue, len, 2), -EINVAL);
	assert_int_equal(xsubmit(&p, xcontext(&p, 0), len, 1), -EINVAL);
	/* Creation rules: a foreign context, private data beyond the limit. */
	{
		struct xproc other;
		struct uguest_hw_queue bad;

		xproc_open(g, "progress-other", &other);
		assert_int_equal(uguest_create_hw_queue(g, other.process, p.hw_context, 0, NULL, 0,
							&bad), -EINVAL);
		assert_int_equal(uguest_create_hw_queue(g, p.process, p.device, 0, NULL, 0, &bad),
				 -EINVAL);
		assert_int_equal(uguest_create_hw_queue(g, p.process, p.hw_context, 0, NULL,
							DXGW_MAX_HWQUEUE_PRIV + 1, &bad), -EINVAL);
		xproc_close(&other);
	}
	assert_int_equal(uguest_destroy_hw_queue(g, p.process, q2.queue), 0);
	xproc_close(&p);
	expect_baseline();
}

/* A hardware queue destroyed with work queued behind a wait: that work never runs. */
static void test_destroy_queue_drops_queued(void **state)
{
	struct xproc p;
	struct uguest_sync_object f, later;
	struct uguest_hw_queue q2;
	struct xbuf buf;
	struct uguest_cmdbuf cb;
	uint64_t one = 1;
	uint32_t *w;

	(void)state;
	xproc_open(g, "dropqueue", &p);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4 * KiB, D3DDDIGPUVA_PROTECTION_WRITE,
		    &buf);
	w = buf.cpu;
	assert_int_equal(uguest_create_fence(g, p.process, p.device, 0, &f), 0);
	assert_int_equal(uguest_create_fence(g, p.process, p.device, 0, &later), 0);
	assert_int_equal(uguest_create_hw_queue(g, p.process, p.hw_context, 0, NULL, 0, &q2), 0);
	assert_int_equal(uguest_wait_on_queue(g, p.process, q2.queue, &f.handle, &one, 1), 0);
	xcmd_begin(&p, &cb);
	uguest_cmd_fill(&cb, buf.va, 4 * KiB, 0xbadu);
	assert_int_equal(xsubmit(&p, q2.queue, xcmd_end(&cb), 1), 0);
	assert_int_equal(uguest_signal_on_queue(g, p.process, 0, &q2.queue, 1, &later.handle, &one,
						1), 0);
	assert_int_equal(uguest_destroy_hw_queue(g, p.process, q2.queue), 0);
	assert_int_equal(uguest_signal_from_cpu(g, p.process, p.device, 0, &f.handle, &one, 1), 0);
	/* The rest of the context still runs; the dropped fill and signal never happen. */
	xcmd_begin(&p, &cb);
	uguest_cmd_fill(&cb, buf.va + 2 * KiB, 2 * KiB, 0x600du);
	xrun_hw(&p, xcmd_end(&cb));
	xdrain(&p, p.context);
	expect_words(w, 0, 512, 0);
	expect_words(w, 512, 512, 0x600du);
	assert_true(uguest_fence_value(g, later.fence_offset) == 0);
	assert_int_equal(xsubmit(&p, q2.queue, OPENDXG_CMD_HEADER_SIZE, 2), -EINVAL);
	xproc_close(&p);
	expect_baseline();
}

static void test_priorities(void **state)
{
	struct xproc p, other;
	int32_t prio;

	(void)state;
	xproc_open(g, "priority", &p);
	xproc_open(g, "priority-other", &other);
	for (int32_t v = DXGW_PRIORITY_MIN; v <= DXGW_PRIORITY_MAX; v++) {
		for (int in_process = 0; in_process < 2; in_process++) {
			assert_int_equal(uguest_set_scheduling_priority(g, p.process, p.context, v,
									in_process), 0);
			assert_int_equal(uguest_get_scheduling_priority(g, p.process, p.context,
									in_process, &prio), 0);
			assert_int_equal(prio, v);
		}
	}
	assert_int_equal(uguest_set_scheduling_priority(g, p.process, p.context, 8, false),
			 -EINVAL);
	assert_int_equal(uguest_set_scheduling_priority(g, p.process, p.context, -8, true),
			 -EINVAL);
	assert_int_equal(uguest_set_scheduling_priority(g, other.process, p.context, 0, false),
			 -EINVAL);
	assert_int_equal(uguest_get_scheduling_priority(g, other.process, p.context, false, &prio),
			 -EINVAL);
	assert_int_equal(uguest_set_scheduling_priority(g, p.process, p.device, 0, false),
			 -EINVAL);
	/* in_process is 0 or 1. */
	{
		struct dxgw_scheduling_priority_req req = {
			.context = htole32(p.context),
			.in_process = htole32(2),
		};

		assert_int_equal(uguest_call(g, DXGW_OP_SET_SCHEDULING_PRIORITY, p.process, &req,
					     sizeof(req), NULL, 0, NULL), -EINVAL);
	}
	/* Priorities do not change results. */
	{
		struct xprograms progs;

		xprograms(&p, &progs);
		assert_int_equal(uguest_set_scheduling_priority(g, p.process, p.context, -7, false),
				 0);
		xcheck_axpy(&p, &progs, 1000, 5);
	}
	xproc_close(&p);
	xproc_close(&other);
	expect_baseline();
}

static void test_device_state(void **state)
{
	struct xproc p, other;
	struct uguest_device_state s;

	(void)state;
	xproc_open(g, "state", &p);
	xproc_open(g, "state-other", &other);
	assert_int_equal(uguest_get_device_state(g, p.process, p.device,
						 D3DKMT_DEVICESTATE_EXECUTION, &s), 0);
	assert_int_equal(s.execution_state, D3DKMT_DEVICEEXECUTION_ACTIVE);
	assert_int_equal(s.broken_context, 0);
	assert_int_equal(uguest_get_device_state(g, p.process, p.device,
						 D3DKMT_DEVICESTATE_PAGE_FAULT, &s), -EINVAL);
	assert_int_equal(uguest_get_device_state(g, p.process, p.device,
						 D3DKMT_DEVICESTATE_PRESENT, &s), -EINVAL);
	assert_int_equal(uguest_get_device_state(g, p.process, p.device, 99, &s), -EINVAL);
	assert_int_equal(uguest_get_device_state(g, other.process, p.device,
						 D3DKMT_DEVICESTATE_EXECUTION, &s), -EINVAL);
	assert_int_equal(uguest_get_device_state(g, p.process, p.context,
						 D3DKMT_DEVICESTATE_EXECUTION, &s), -EINVAL);
	xproc_close(&p);
	xproc_close(&other);
	expect_baseline();
}

static void context_stats(struct xproc *p, uint32_t context,
			  struct opendxg_escape_context_stats *out, int expect)
{
	const struct uguest_escape_args args = {
		.adapter = p->adapter,
		.device = p->device,
		.context = context,
		.type = D3DKMT_ESCAPE_DRIVERPRIVATE,
	};

	memset(out, 0, sizeof(*out));
	out->hdr.code = htole32(OPENDXG_ESCAPE_CONTEXT_STATS);
	out->hdr.size = htole32(sizeof(*out));
	assert_int_equal(uguest_escape(g, p->process, &args, out, sizeof(*out)), expect);
	if (expect)
		return;
	out->execution_state = le32toh(out->execution_state);
	out->queued = le32toh(out->queued);
	out->submitted = le64toh(out->submitted);
	out->completed = le64toh(out->completed);
	out->gpu_time_ns = le64toh(out->gpu_time_ns);
}

static void test_escape_context_stats(void **state)
{
	struct xproc p, other;
	struct xprograms progs;
	struct xbuf buf;
	struct uguest_sync_object f;
	struct uguest_cmdbuf cb;
	struct opendxg_escape_context_stats st;
	uint64_t one = 1;
	uint32_t len;

	(void)state;
	xproc_open(g, "escape", &p);
	xproc_open(g, "escape-other", &other);
	xprograms(&p, &progs);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 64 * KiB, D3DDDIGPUVA_PROTECTION_WRITE,
		    &buf);
	context_stats(&p, p.context, &st, 0);
	assert_int_equal(le32toh(st.hdr.code), OPENDXG_ESCAPE_CONTEXT_STATS);
	assert_int_equal(st.execution_state, D3DKMT_DEVICEEXECUTION_ACTIVE);
	assert_int_equal(st.queued, 0);
	assert_true(st.submitted == 0 && st.completed == 0);

	for (int k = 0; k < 3; k++) {
		xcmd_begin(&p, &cb);
		xcmd_lcg(&cb, &progs, &buf, 16 * KiB, 10);
		xrun(&p, xcmd_end(&cb));
	}
	context_stats(&p, p.context, &st, 0);
	assert_true(st.submitted == 3 && st.completed == 3);
	assert_int_equal(st.queued, 0);

	/* Held behind a wait: the items are counted as queued, then complete. */
	assert_int_equal(uguest_create_fence(g, p.process, p.device, 0, &f), 0);
	assert_int_equal(uguest_wait_on_queue(g, p.process, p.context, &f.handle, &one, 1), 0);
	xcmd_begin(&p, &cb);
	xcmd_lcg(&cb, &progs, &buf, 1024, 1);
	len = xcmd_end(&cb);
	assert_int_equal(xsubmit(&p, p.context, len, 0), 0);
	assert_int_equal(xsubmit(&p, p.context, len, 0), 0);
	context_stats(&p, p.context, &st, 0);
	assert_true(st.queued >= 2);
	assert_true(st.submitted == 5 && st.completed == 3);
	assert_int_equal(uguest_signal_from_cpu(g, p.process, p.device, 0, &f.handle, &one, 1), 0);
	xdrain(&p, p.context);
	context_stats(&p, p.context, &st, 0);
	assert_true(st.submitted == 5 && st.completed == 5);
	assert_int_equal(st.queued, 0);
	/* Hardware queues count for their context. */
	xcmd_begin(&p, &cb);
	xrun_hw(&p, xcmd_end(&cb));
	context_stats(&p, p.hw_context, &st, 0);
	assert_true(st.submitted == 1 && st.completed == 1);

	/* Another process's context, no context, a short or lying header, unknown codes/types. */
	context_stats(&p, other.context, &st, -EINVAL);
	context_stats(&p, 0, &st, -EINVAL);
	{
		const struct uguest_escape_args args = {
			.adapter = p.adapter, .context = p.context,
			.type = D3DKMT_ESCAPE_DRIVERPRIVATE,
		};
		struct opendxg_escape_context_stats raw;

		memset(&raw, 0, sizeof(raw));
		raw.hdr.code = htole32(OPENDXG_ESCAPE_CONTEXT_STATS);
		raw.hdr.size = htole32(sizeof(raw) + 8);
		assert_int_equal(uguest_escape(g, p.process, &args, &raw, sizeof(raw)), -EINVAL);
		raw.hdr.size = htole32(sizeof(raw));
		assert_int_equal(uguest_escape(g, p.process, &args, &raw, 4), -EINVAL);
		raw.hdr.code = htole32(0x4f45ffffu);
		assert_int_equal(uguest_escape(g, p.process, &args, &raw, sizeof(raw)), -EINVAL);
		raw.hdr.code = htole32(OPENDXG_ESCAPE_CONTEXT_STATS);
		{
			struct uguest_escape_args other_type = args;

			other_type.type = 1;
			assert_int_equal(uguest_escape(g, p.process, &other_type, &raw,
						       sizeof(raw)), -EINVAL);
		}
		assert_int_equal(uguest_escape(g, other.process, &args, &raw, sizeof(raw)),
				 -EINVAL);
	}
	xproc_close(&p);
	xproc_close(&other);
	expect_baseline();
}

static void test_shutdown(void **state)
{
	(void)state;
	free(baseline_counters);
	baseline_counters = NULL;
	harness_shutdown(&g, 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_copy_fill, test_setup),
		cmocka_unit_test_setup(test_dispatch_reference, test_setup),
		cmocka_unit_test_setup(test_barrier_ordering, test_setup),
		cmocka_unit_test_setup(test_timestamps, test_setup),
		cmocka_unit_test_setup(test_clock_calibration, test_setup),
		cmocka_unit_test_setup(test_hw_queue_progress, test_setup),
		cmocka_unit_test_setup(test_destroy_queue_drops_queued, test_setup),
		cmocka_unit_test_setup(test_priorities, test_setup),
		cmocka_unit_test_setup(test_device_state, test_setup),
		cmocka_unit_test_setup(test_escape_context_stats, test_setup),
		cmocka_unit_test(test_shutdown),
	};

	harness_region = "64M";
	return harness_run(argc, argv, "host-exec", tests, sizeof(tests) / sizeof(tests[0]), 1);
}
