/* SPDX-License-Identifier: MIT */
/*
 * Synchronization objects through dxgd and a user-space guest (real dxgd, real lavapipe):
 * monitored fences (initial values, SIGNAL_FROM_CPU, the rewind rule, GET_FENCE_SLOTS for own,
 * paging-queue and hardware-queue fences), creation rules of every type, queue waits and signals
 * ordered across two queues (a queue waiting for a fence the CPU signals later, a second queue
 * signalling it), mutexes, semaphores (never beyond max_count), plain fences, CPU notifications,
 * waits on destroyed objects, fences of broken contexts (UINT64_MAX, or kept with
 * NO_SIGNAL_MAX_VALUE_ON_TDR), the guest-side CPU waits (all, any, timeout), and the VM's
 * counters back at their baseline after every test.
 *
 * Negative checks ("this fence is still 0") are made after a round trip and can only pass wrongly
 * when dxgd is slow, never fail wrongly: nothing here depends on timing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exec_util.h"

static struct uguest *g;
static uint32_t observer, adapter;
static struct opendxg_vm_stats baseline;
static char *baseline_counters;

static int test_setup(void **state)
{
	(void)state;
	if (!g && harness_connect(&harness_dxgd, 0, NULL, &g) != 0)
		return -1;
	/* CONNECT forgets every object: each test starts from an empty VM and one observer. */
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
	now = xworker_counters(0);
	assert_string_equal(now, baseline_counters);
	free(now);
}

static uint64_t value_of(const struct uguest_sync_object *o)
{
	return uguest_fence_value(g, o->fence_offset);
}

static void signal_cpu(struct xproc *p, const struct uguest_sync_object *o, uint64_t v)
{
	assert_int_equal(uguest_signal_from_cpu(g, p->process, p->device, 0, &o->handle, &v, 1), 0);
}

static int signal_queue(struct xproc *p, uint32_t queue, uint32_t object, uint64_t v)
{
	return uguest_signal_on_queue(g, p->process, 0, &queue, 1, &object, &v, 1);
}

static int wait_queue(struct xproc *p, uint32_t queue, uint32_t object, uint64_t v)
{
	return uguest_wait_on_queue(g, p->process, queue, &object, &v, 1);
}

static struct uguest_sync_object new_object(struct xproc *p, uint32_t type, uint32_t flags,
					    uint64_t v0, uint64_t v1)
{
	struct uguest_sync_object o;

	assert_int_equal(uguest_create_sync_object(g, p->process, p->device, type, flags, v0, v1,
						   &o), 0);
	assert_int_not_equal(o.handle, 0);
	return o;
}

/* ---- monitored fences and CPU signals ---- */

static void test_fence_values_and_rewind(void **state)
{
	struct xproc p, other;
	struct uguest_sync_object f, h;
	uint64_t v[2];
	uint32_t both[2];

	(void)state;
	xproc_open(g, "fences", &p);
	xproc_open(g, "fences-other", &other);
	f = new_object(&p, D3DDDI_MONITORED_FENCE, 0, 7, 0);
	assert_true(f.fence_offset % 8 == 0 && f.fence_offset != 0);
	assert_true(f.fence_gpu_va == 0);
	assert_true(value_of(&f) == 7);

	signal_cpu(&p, &f, 10);
	assert_true(value_of(&f) == 10);
	/* The same value again is no rewind. */
	signal_cpu(&p, &f, 10);
	assert_true(value_of(&f) == 10);
	/* Backwards needs ALLOW_FENCE_REWIND, and a refused signal leaves the value alone. */
	v[0] = 9;
	assert_int_equal(uguest_signal_from_cpu(g, p.process, p.device, 0, &f.handle, v, 1),
			 -EINVAL);
	assert_true(value_of(&f) == 10);
	assert_int_equal(uguest_signal_from_cpu(g, p.process, p.device,
						D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND, &f.handle,
						v, 1), 0);
	assert_true(value_of(&f) == 9);
	/* Two fences at once: all or nothing. */
	h = new_object(&p, D3DDDI_MONITORED_FENCE, 0, 100, 0);
	both[0] = f.handle;
	both[1] = h.handle;
	v[0] = 20;
	v[1] = 50;
	assert_int_equal(uguest_signal_from_cpu(g, p.process, p.device, 0, both, v, 2), -EINVAL);
	assert_true(value_of(&f) == 9 && value_of(&h) == 100);
	v[1] = 200;
	assert_int_equal(uguest_signal_from_cpu(g, p.process, p.device, 0, both, v, 2), 0);
	assert_true(value_of(&f) == 20 && value_of(&h) == 200);
	/* Large values survive the trip as they are. */
	v[0] = 0x123456789abcdefull;
	assert_int_equal(uguest_signal_from_cpu(g, p.process, p.device, 0, &f.handle, v, 1), 0);
	assert_true(value_of(&f) == 0x123456789abcdefull);

	/* Flags other than the rewind, counts, foreign and non-fence objects. */
	v[0] = 1ull << 60;
	assert_int_equal(uguest_signal_from_cpu(g, p.process, p.device,
						D3DDDICB_SIGNAL_FLAG_SIGNAL_AT_SUBMISSION,
						&f.handle, v, 1), -EINVAL);
	assert_int_equal(uguest_signal_from_cpu(g, p.process, p.device, 0, &f.handle, v, 0),
			 -EINVAL);
	{
		uint32_t many[DXGW_MAX_SYNC_OBJECTS + 1];
		uint64_t values[DXGW_MAX_SYNC_OBJECTS + 1];

		for (uint32_t i = 0; i <= DXGW_MAX_SYNC_OBJECTS; i++) {
			many[i] = f.handle;
			values[i] = 1ull << 60;
		}
		assert_int_equal(uguest_signal_from_cpu(g, p.process, p.device, 0, many, values,
							DXGW_MAX_SYNC_OBJECTS + 1), -EINVAL);
	}
	assert_int_equal(uguest_signal_from_cpu(g, other.process, other.device, 0, &f.handle, v,
						1), -EINVAL);
	assert_int_equal(uguest_signal_from_cpu(g, other.process, p.device, 0, &f.handle, v, 1),
			 -EINVAL);
	{
		struct uguest_sync_object m = new_object(&p, D3DDDI_SYNCHRONIZATION_MUTEX, 0, 0, 0);

		assert_int_equal(uguest_signal_from_cpu(g, p.process, p.device, 0, &m.handle, v,
							1), -EINVAL);
		assert_true(m.fence_offset == 0);
	}
	assert_true(value_of(&f) == 0x123456789abcdefull);
	xproc_close(&p);
	xproc_close(&other);
	expect_baseline();
}

static void test_create_rules(void **state)
{
	struct xproc p;
	struct uguest_sync_object o;
	const uint32_t dev_flags_bad[] = {
		D3DDDI_SYNCOBJ_FLAG_SHARED, 0x100u, 0x80000000u,
	};

	(void)state;
	xproc_open(g, "create", &p);
	/* Every type with good values. */
	o = new_object(&p, D3DDDI_SYNCHRONIZATION_MUTEX, 0, 1, 0);
	assert_true(o.fence_offset == 0);
	o = new_object(&p, D3DDDI_SEMAPHORE, 0, 3, 3);
	o = new_object(&p, D3DDDI_FENCE, 0, 5, 0);
	o = new_object(&p, D3DDDI_CPU_NOTIFICATION, 0, 0, 0);
	assert_true(o.fence_offset != 0 && value_of(&o) == 0);
	o = new_object(&p, D3DDDI_MONITORED_FENCE,
		       D3DDDI_SYNCOBJ_FLAG_NO_SIGNAL_MAX_VALUE_ON_TDR, UINT64_MAX - 1, 0);
	assert_true(value_of(&o) == UINT64_MAX - 1);
	/* Bad values, unused values not zero, unknown and display-only types, flags. */
	assert_int_equal(uguest_create_sync_object(g, p.process, p.device,
						   D3DDDI_SYNCHRONIZATION_MUTEX, 0, 2, 0, &o),
			 -EINVAL);
	assert_int_equal(uguest_create_sync_object(g, p.process, p.device,
						   D3DDDI_SYNCHRONIZATION_MUTEX, 0, 0, 1, &o),
			 -EINVAL);
	assert_int_equal(uguest_create_sync_object(g, p.process, p.device, D3DDDI_SEMAPHORE, 0,
						   0, 0, &o), -EINVAL);
	assert_int_equal(uguest_create_sync_object(g, p.process, p.device, D3DDDI_SEMAPHORE, 0,
						   2, 3, &o), -EINVAL);
	assert_int_equal(uguest_create_sync_object(g, p.process, p.device, D3DDDI_SEMAPHORE, 0,
						   (uint64_t)INT32_MAX + 1, 0, &o), -EINVAL);
	assert_int_equal(uguest_create_sync_object(g, p.process, p.device, D3DDDI_FENCE, 0, 1, 1,
						   &o), -EINVAL);
	assert_int_equal(uguest_create_sync_object(g, p.process, p.device,
						   D3DDDI_CPU_NOTIFICATION, 0, 1, 0, &o), -EINVAL);
	assert_int_equal(uguest_create_sync_object(g, p.process, p.device,
						   D3DDDI_MONITORED_FENCE, 0, 1, 1, &o), -EINVAL);
	assert_int_equal(uguest_create_sync_object(g, p.process, p.device,
						   D3DDDI_PERIODIC_MONITORED_FENCE, 0, 0, 0, &o),
			 -EINVAL);
	assert_int_equal(uguest_create_sync_object(g, p.process, p.device, 0, 0, 0, 0, &o),
			 -EINVAL);
	assert_int_equal(uguest_create_sync_object(g, p.process, p.device, 7, 0, 0, 0, &o),
			 -EINVAL);
	for (size_t i = 0; i < sizeof(dev_flags_bad) / sizeof(dev_flags_bad[0]); i++)
		assert_int_equal(uguest_create_sync_object(g, p.process, p.device,
							   D3DDDI_MONITORED_FENCE,
							   dev_flags_bad[i], 0, 0, &o), -EINVAL);
	/* NT_SECURITY_SHARING alone is recorded; with SHARED the object may be shared. */
	o = new_object(&p, D3DDDI_MONITORED_FENCE, D3DDDI_SYNCOBJ_FLAG_NT_SECURITY_SHARING, 0, 0);
	o = new_object(&p, D3DDDI_MONITORED_FENCE,
		       D3DDDI_SYNCOBJ_FLAG_SHARED | D3DDDI_SYNCOBJ_FLAG_NT_SECURITY_SHARING, 0, 0);
	/* A device that is not the process's, or not a device. */
	assert_int_equal(uguest_create_sync_object(g, observer, p.device, D3DDDI_MONITORED_FENCE,
						   0, 0, 0, &o), -EINVAL);
	assert_int_equal(uguest_create_sync_object(g, p.process, p.context,
						   D3DDDI_MONITORED_FENCE, 0, 0, 0, &o), -EINVAL);
	xproc_close(&p);
	expect_baseline();
}

static void test_fence_slots(void **state)
{
	struct xproc p, other;
	struct uguest_sync_object f, m, foreign;
	uint32_t handles[3];
	uint64_t slots[3];

	(void)state;
	xproc_open(g, "slots", &p);
	xproc_open(g, "slots-other", &other);
	f = new_object(&p, D3DDDI_MONITORED_FENCE, 0, 3, 0);
	m = new_object(&p, D3DDDI_SYNCHRONIZATION_MUTEX, 0, 0, 0);
	foreign = new_object(&other, D3DDDI_MONITORED_FENCE, 0, 0, 0);
	/* Own fence, paging-queue fence, hardware-queue progress fence, in order. */
	handles[0] = f.handle;
	handles[1] = p.pq.sync_object;
	handles[2] = p.hw.progress_fence;
	assert_int_equal(uguest_get_fence_slots(g, p.process, p.device, handles, 3, slots), 0);
	assert_true(slots[0] == f.fence_offset);
	assert_true(slots[1] == p.pq.fence_offset);
	assert_true(slots[2] == p.hw.fence_offset);
	/* Slots of one process never coincide; another process's slots are in other pages. */
	assert_true(slots[0] != slots[1] && slots[1] != slots[2] && slots[0] != slots[2]);
	assert_true(foreign.fence_offset / 4096 != f.fence_offset / 4096);
	/* Not a monitored fence, another process's fence, through another device, counts. */
	assert_int_equal(uguest_get_fence_slots(g, p.process, p.device, &m.handle, 1, slots),
			 -EINVAL);
	assert_int_equal(uguest_get_fence_slots(g, p.process, p.device, &foreign.handle, 1, slots),
			 -EINVAL);
	assert_int_equal(uguest_get_fence_slots(g, other.process, other.device, &f.handle, 1,
						slots), -EINVAL);
	assert_int_equal(uguest_get_fence_slots(g, p.process, other.device, &f.handle, 1, slots),
			 -EINVAL);
	assert_int_equal(uguest_get_fence_slots(g, p.process, p.device, handles, 0, slots),
			 -EINVAL);
	/* Queue-owned fences go only with their queue. */
	assert_int_equal(uguest_destroy_sync_object(g, p.process, p.hw.progress_fence), -EINVAL);
	assert_int_equal(uguest_destroy_sync_object(g, p.process, p.pq.sync_object), -EINVAL);
	/* A destroyed fence is gone, and its handle with it. */
	assert_int_equal(uguest_destroy_sync_object(g, other.process, f.handle), -EINVAL);
	assert_int_equal(uguest_destroy_sync_object(g, p.process, f.handle), 0);
	assert_int_equal(uguest_destroy_sync_object(g, p.process, f.handle), -EINVAL);
	assert_int_equal(uguest_get_fence_slots(g, p.process, p.device, &f.handle, 1, slots),
			 -EINVAL);
	/* Destroying the hardware queue takes its fence along. */
	assert_int_equal(uguest_destroy_hw_queue(g, p.process, p.hw.queue), 0);
	assert_int_equal(uguest_get_fence_slots(g, p.process, p.device, &p.hw.progress_fence, 1,
						slots), -EINVAL);
	assert_int_equal(uguest_destroy_hw_queue(g, p.process, p.hw.queue), -EINVAL);
	xproc_close(&p);
	xproc_close(&other);
	expect_baseline();
}

/* ---- queue waits and signals ---- */

/*
 * Queue A (a context) waits for fence F, which the CPU signals later; then a second queue B (a
 * hardware queue) signals F. G, signalled on A behind each wait, shows when A moved on.
 */
static void test_queue_wait_cpu_then_queue(void **state)
{
	struct xproc p;
	struct uguest_sync_object f, gf, h;
	uint32_t a, b, both[2];
	uint64_t one = 1;

	(void)state;
	xproc_open(g, "order", &p);
	a = p.context;
	b = p.hw.queue;
	f = new_object(&p, D3DDDI_MONITORED_FENCE, 0, 0, 0);
	gf = new_object(&p, D3DDDI_MONITORED_FENCE, 0, 0, 0);
	h = new_object(&p, D3DDDI_MONITORED_FENCE, 0, 0, 0);

	/* A fence already reached does not hold a queue. */
	assert_int_equal(wait_queue(&p, a, f.handle, 0), 0);
	assert_int_equal(signal_queue(&p, a, gf.handle, 1), 0);
	assert_int_equal(uguest_wait_fence(g, gf.fence_offset, 1), 0);

	/* A waits for F >= 1; the CPU signals it later. */
	assert_int_equal(wait_queue(&p, a, f.handle, 1), 0);
	assert_int_equal(signal_queue(&p, a, gf.handle, 2), 0);
	assert_int_equal(uguest_nop(g), 0);
	assert_true(value_of(&gf) == 1);
	signal_cpu(&p, &f, 1);
	assert_int_equal(uguest_wait_fence(g, gf.fence_offset, 2), 0);
	assert_true(value_of(&gf) == 2);

	/* A waits for F >= 2; queue B signals it. */
	assert_int_equal(wait_queue(&p, a, f.handle, 2), 0);
	assert_int_equal(signal_queue(&p, a, gf.handle, 3), 0);
	assert_int_equal(uguest_nop(g), 0);
	assert_true(value_of(&gf) == 2);
	assert_int_equal(signal_queue(&p, b, f.handle, 2), 0);
	assert_int_equal(uguest_wait_fence(g, gf.fence_offset, 3), 0);
	assert_true(value_of(&f) == 2 && value_of(&gf) == 3);

	/* One signal behind two queues happens once both reached it: B is held by F >= 3. */
	assert_int_equal(wait_queue(&p, b, f.handle, 3), 0);
	both[0] = a;
	both[1] = b;
	assert_int_equal(uguest_signal_on_queue(g, p.process, 0, both, 2, &h.handle, &one, 1), 0);
	assert_int_equal(signal_queue(&p, a, gf.handle, 4), 0);
	assert_int_equal(uguest_wait_fence(g, gf.fence_offset, 4), 0);
	assert_true(value_of(&h) == 0);
	signal_cpu(&p, &f, 3);
	assert_int_equal(uguest_wait_fence(g, h.fence_offset, 1), 0);

	/* A wait for two objects waits for both. */
	{
		uint32_t objs[2] = { f.handle, h.handle };
		uint64_t vals[2] = { 4, 2 };

		assert_int_equal(uguest_wait_on_queue(g, p.process, a, objs, vals, 2), 0);
		assert_int_equal(signal_queue(&p, a, gf.handle, 5), 0);
		signal_cpu(&p, &f, 4);
		assert_int_equal(uguest_nop(g), 0);
		assert_true(value_of(&gf) == 4);
		signal_cpu(&p, &h, 2);
		assert_int_equal(uguest_wait_fence(g, gf.fence_offset, 5), 0);
	}
	xproc_close(&p);
	expect_baseline();
}

/* Work queued behind a wait does not run before it: a FILL waits for the CPU's signal. */
static void test_queue_wait_holds_work(void **state)
{
	struct xproc p;
	struct uguest_sync_object f;
	struct uguest_cmdbuf cb;
	struct xbuf buf;
	uint32_t *words;

	(void)state;
	xproc_open(g, "holds", &p);
	f = new_object(&p, D3DDDI_MONITORED_FENCE, 0, 0, 0);
	xbuf_create(&p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096, D3DDDIGPUVA_PROTECTION_WRITE, &buf);
	words = buf.cpu;
	assert_int_equal(wait_queue(&p, p.hw.queue, f.handle, 1), 0);
	xcmd_begin(&p, &cb);
	uguest_cmd_fill(&cb, buf.va, 4096, 0x11223344u);
	assert_int_equal(xsubmit(&p, p.hw.queue, xcmd_end(&cb), 1), 0);
	/* The command area may be reused once SUBMIT answered: a second buffer, other value. */
	xcmd_begin(&p, &cb);
	uguest_cmd_fill(&cb, buf.va, 2048, 0x55667788u);
	assert_int_equal(xsubmit(&p, p.hw.queue, xcmd_end(&cb), 2), 0);
	assert_int_equal(uguest_nop(g), 0);
	assert_int_equal(words[0], 0);
	assert_int_equal(words[1023], 0);
	assert_true(uguest_fence_value(g, p.hw.fence_offset) == 0);
	signal_cpu(&p, &f, 1);
	assert_int_equal(uguest_wait_fence(g, p.hw.fence_offset, 2), 0);
	/* In order: the first fill, then the second over half of it. */
	for (int i = 0; i < 512; i++)
		assert_int_equal(words[i], 0x55667788u);
	for (int i = 512; i < 1024; i++)
		assert_int_equal(words[i], 0x11223344u);
	xproc_close(&p);
	expect_baseline();
}

static void test_mutex(void **state)
{
	struct xproc p;
	struct uguest_sync_object m, gf;
	uint32_t a, b;

	(void)state;
	xproc_open(g, "mutex", &p);
	a = p.context;
	b = p.hw.queue;
	gf = new_object(&p, D3DDDI_MONITORED_FENCE, 0, 0, 0);
	/* Created owned: A's acquire waits until B releases it. */
	m = new_object(&p, D3DDDI_SYNCHRONIZATION_MUTEX, 0, 1, 0);
	assert_int_equal(wait_queue(&p, a, m.handle, 0), 0);
	assert_int_equal(signal_queue(&p, a, gf.handle, 1), 0);
	assert_int_equal(uguest_nop(g), 0);
	assert_true(value_of(&gf) == 0);
	assert_int_equal(signal_queue(&p, b, m.handle, 0), 0);
	assert_int_equal(uguest_wait_fence(g, gf.fence_offset, 1), 0);
	/* Now A owns it: B's acquire waits until A releases. */
	assert_int_equal(wait_queue(&p, b, m.handle, 0), 0);
	assert_int_equal(signal_queue(&p, b, gf.handle, 2), 0);
	assert_int_equal(uguest_nop(g), 0);
	assert_true(value_of(&gf) == 1);
	assert_int_equal(signal_queue(&p, a, m.handle, 0), 0);
	assert_int_equal(uguest_wait_fence(g, gf.fence_offset, 2), 0);
	/* A mutex has no slot to wait on from the CPU. */
	assert_true(m.fence_offset == 0);
	xproc_close(&p);
	expect_baseline();
}

static void test_semaphore(void **state)
{
	struct xproc p;
	struct uguest_sync_object s, gf;
	uint32_t a, b;

	(void)state;
	xproc_open(g, "semaphore", &p);
	a = p.context;
	b = p.hw.queue;
	gf = new_object(&p, D3DDDI_MONITORED_FENCE, 0, 0, 0);
	s = new_object(&p, D3DDDI_SEMAPHORE, 0, 2, 1);
	/* One count: the first wait passes, the second waits for a signal. */
	assert_int_equal(wait_queue(&p, a, s.handle, 0), 0);
	assert_int_equal(signal_queue(&p, a, gf.handle, 1), 0);
	assert_int_equal(uguest_wait_fence(g, gf.fence_offset, 1), 0);
	assert_int_equal(wait_queue(&p, a, s.handle, 0), 0);
	assert_int_equal(signal_queue(&p, a, gf.handle, 2), 0);
	assert_int_equal(uguest_nop(g), 0);
	assert_true(value_of(&gf) == 1);
	assert_int_equal(signal_queue(&p, b, s.handle, 0), 0);
	assert_int_equal(uguest_wait_fence(g, gf.fence_offset, 2), 0);
	/* Three signals count only to max_count (2): the third of three waits is held. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(signal_queue(&p, b, s.handle, 0), 0);
	xdrain(&p, b);
	for (uint64_t v = 3; v <= 5; v++) {
		assert_int_equal(wait_queue(&p, a, s.handle, 0), 0);
		assert_int_equal(signal_queue(&p, a, gf.handle, v), 0);
	}
	assert_int_equal(uguest_wait_fence(g, gf.fence_offset, 4), 0);
	assert_int_equal(uguest_nop(g), 0);
	assert_true(value_of(&gf) == 4);
	assert_int_equal(signal_queue(&p, b, s.handle, 0), 0);
	assert_int_equal(uguest_wait_fence(g, gf.fence_offset, 5), 0);
	xproc_close(&p);
	expect_baseline();
}

/* A plain (not monitored) fence: queues wait for values, the CPU cannot see it. */
static void test_plain_fence(void **state)
{
	struct xproc p;
	struct uguest_sync_object f, gf;
	uint64_t slot;

	(void)state;
	xproc_open(g, "plain", &p);
	gf = new_object(&p, D3DDDI_MONITORED_FENCE, 0, 0, 0);
	f = new_object(&p, D3DDDI_FENCE, 0, 2, 0);
	assert_true(f.fence_offset == 0);
	assert_int_equal(uguest_get_fence_slots(g, p.process, p.device, &f.handle, 1, &slot),
			 -EINVAL);
	assert_int_equal(wait_queue(&p, p.context, f.handle, 2), 0);
	assert_int_equal(signal_queue(&p, p.context, gf.handle, 1), 0);
	assert_int_equal(uguest_wait_fence(g, gf.fence_offset, 1), 0);
	assert_int_equal(wait_queue(&p, p.context, f.handle, 5), 0);
	assert_int_equal(signal_queue(&p, p.context, gf.handle, 2), 0);
	assert_int_equal(uguest_nop(g), 0);
	assert_true(value_of(&gf) == 1);
	assert_int_equal(signal_queue(&p, p.hw.queue, f.handle, 5), 0);
	assert_int_equal(uguest_wait_fence(g, gf.fence_offset, 2), 0);
	xproc_close(&p);
	expect_baseline();
}

static void test_cpu_notification(void **state)
{
	struct xproc p;
	struct uguest_sync_object n;
	uint64_t v = 1;

	(void)state;
	xproc_open(g, "notify", &p);
	n = new_object(&p, D3DDDI_CPU_NOTIFICATION, 0, 0, 0);
	/* The slot counts the signals the object received. */
	assert_int_equal(signal_queue(&p, p.context, n.handle, 0), 0);
	assert_int_equal(uguest_wait_fence(g, n.fence_offset, 1), 0);
	assert_int_equal(signal_queue(&p, p.hw.queue, n.handle, 0), 0);
	assert_int_equal(signal_queue(&p, p.context, n.handle, 0), 0);
	assert_int_equal(uguest_wait_fence(g, n.fence_offset, 3), 0);
	xdrain(&p, p.context);
	xdrain(&p, p.hw.queue);
	assert_true(value_of(&n) == 3);
	/* It cannot be waited on by a queue, nor signalled from the CPU. */
	assert_int_equal(wait_queue(&p, p.context, n.handle, 1), -EINVAL);
	assert_int_equal(uguest_signal_from_cpu(g, p.process, p.device, 0, &n.handle, &v, 1),
			 -EINVAL);
	xproc_close(&p);
	expect_baseline();
}

static void test_queue_signal_rules(void **state)
{
	struct xproc p, other;
	struct uguest_sync_object f, foreign;
	uint32_t queues[DXGW_MAX_QUEUES + 1], objs[DXGW_MAX_SYNC_OBJECTS + 1];
	uint64_t vals[DXGW_MAX_SYNC_OBJECTS + 1];

	(void)state;
	xproc_open(g, "rules", &p);
	xproc_open(g, "rules-other", &other);
	f = new_object(&p, D3DDDI_MONITORED_FENCE, 0, 10, 0);
	foreign = new_object(&other, D3DDDI_MONITORED_FENCE, 0, 0, 0);
	/* Backwards on a queue: refused when queued unless ALLOW_FENCE_REWIND. */
	vals[0] = 5;
	assert_int_equal(signal_queue(&p, p.context, f.handle, 5), -EINVAL);
	assert_int_equal(uguest_signal_on_queue(g, p.process,
						D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND,
						&p.context, 1, &f.handle, vals, 1), 0);
	xdrain(&p, p.context);
	assert_true(value_of(&f) == 5);
	/* Counts. */
	for (uint32_t i = 0; i <= DXGW_MAX_SYNC_OBJECTS; i++) {
		objs[i] = f.handle;
		vals[i] = 100;
	}
	for (uint32_t i = 0; i <= DXGW_MAX_QUEUES; i++)
		queues[i] = p.context;
	assert_int_equal(uguest_signal_on_queue(g, p.process, 0, queues, 0, objs, vals, 1),
			 -EINVAL);
	assert_int_equal(uguest_signal_on_queue(g, p.process, 0, queues, 1, objs, vals, 0),
			 -EINVAL);
	assert_int_equal(uguest_signal_on_queue(g, p.process, 0, queues, DXGW_MAX_QUEUES + 1,
						objs, vals, 1), -EINVAL);
	assert_int_equal(uguest_signal_on_queue(g, p.process, 0, queues, 1, objs, vals,
						DXGW_MAX_SYNC_OBJECTS + 1), -EINVAL);
	assert_int_equal(uguest_wait_on_queue(g, p.process, p.context, objs, vals, 0), -EINVAL);
	assert_int_equal(uguest_wait_on_queue(g, p.process, p.context, objs, vals,
					      DXGW_MAX_SYNC_OBJECTS + 1), -EINVAL);
	/* Queues of two devices; objects of another process; queues of another process. */
	queues[1] = other.context;
	assert_int_equal(uguest_signal_on_queue(g, p.process, 0, queues, 2, objs, vals, 1),
			 -EINVAL);
	assert_int_equal(signal_queue(&p, p.context, foreign.handle, 1), -EINVAL);
	assert_int_equal(wait_queue(&p, p.context, foreign.handle, 1), -EINVAL);
	assert_int_equal(signal_queue(&p, other.context, f.handle, 200), -EINVAL);
	assert_int_equal(wait_queue(&p, other.context, f.handle, 1), -EINVAL);
	/* Not a queue. */
	assert_int_equal(signal_queue(&p, p.device, f.handle, 200), -EINVAL);
	assert_int_equal(wait_queue(&p, f.handle, f.handle, 1), -EINVAL);
	/* Flags the guest driver keeps to itself, and unknown ones. */
	vals[0] = 300;
	assert_int_equal(uguest_signal_on_queue(g, p.process,
						D3DDDICB_SIGNAL_FLAG_ENQUEUE_CPU_EVENT,
						&p.context, 1, &f.handle, vals, 1), -EINVAL);
	assert_int_equal(uguest_signal_on_queue(g, p.process, D3DDDICB_SIGNAL_FLAG_INTERNAL0,
						&p.context, 1, &f.handle, vals, 1), -EINVAL);
	assert_int_equal(uguest_signal_on_queue(g, p.process, 0x100u, &p.context, 1, &f.handle,
						vals, 1), -EINVAL);
	xdrain(&p, p.context);
	assert_true(value_of(&f) == 5);
	xproc_close(&p);
	xproc_close(&other);
	expect_baseline();
}

/* A queue waiting for an object that is destroyed moves on: nobody can signal it any more. */
static void test_wait_on_destroyed(void **state)
{
	struct xproc p;
	struct uguest_sync_object f, gf;

	(void)state;
	xproc_open(g, "destroyed", &p);
	f = new_object(&p, D3DDDI_MONITORED_FENCE, 0, 0, 0);
	gf = new_object(&p, D3DDDI_MONITORED_FENCE, 0, 0, 0);
	assert_int_equal(wait_queue(&p, p.context, f.handle, 1), 0);
	assert_int_equal(signal_queue(&p, p.context, gf.handle, 1), 0);
	assert_int_equal(uguest_nop(g), 0);
	assert_true(value_of(&gf) == 0);
	assert_int_equal(uguest_destroy_sync_object(g, p.process, f.handle), 0);
	assert_int_equal(uguest_wait_fence(g, gf.fence_offset, 1), 0);
	xproc_close(&p);
	expect_baseline();
}

/*
 * A broken context drops its queued work; the signals it would have made set monitored fences
 * to UINT64_MAX, except those created with NO_SIGNAL_MAX_VALUE_ON_TDR; later signals and waits
 * on it are -ENODEV. MARK_DEVICE_ERROR breaks every context of the device (RESET).
 */
static void test_broken_context_fences(void **state)
{
	struct xproc p, other;
	struct uguest_sync_object f, gf, keep;
	struct uguest_device_state ds;

	(void)state;
	xproc_open(g, "broken", &p);
	xproc_open(g, "bystander", &other);
	f = new_object(&p, D3DDDI_MONITORED_FENCE, 0, 0, 0);
	gf = new_object(&p, D3DDDI_MONITORED_FENCE, 0, 0, 0);
	keep = new_object(&p, D3DDDI_MONITORED_FENCE, D3DDDI_SYNCOBJ_FLAG_NO_SIGNAL_MAX_VALUE_ON_TDR,
			  0, 0);
	assert_int_equal(xexecution_state(&p), D3DKMT_DEVICEEXECUTION_ACTIVE);
	assert_int_equal(uguest_get_device_state(g, p.process, p.device,
						 D3DKMT_DEVICESTATE_PAGE_FAULT, &ds), -EINVAL);
	assert_int_equal(wait_queue(&p, p.context, f.handle, 1), 0);
	assert_int_equal(signal_queue(&p, p.context, gf.handle, 1), 0);
	assert_int_equal(signal_queue(&p, p.context, keep.handle, 1), 0);
	/* The hardware queue: an empty command buffer held behind the same wait. */
	assert_int_equal(wait_queue(&p, p.hw.queue, f.handle, 1), 0);
	{
		struct uguest_cmdbuf cb;

		xcmd_begin(&p, &cb);
		assert_int_equal(xsubmit(&p, p.hw.queue, xcmd_end(&cb), 1), 0);
	}
	assert_int_equal(uguest_mark_device_error(g, p.process, p.device, 1), -EINVAL);
	assert_int_equal(uguest_mark_device_error(g, other.process, p.device,
						  D3DKMT_DEVICE_ERROR_REASON_GENERIC), -EINVAL);
	assert_int_equal(uguest_mark_device_error(g, p.process, p.device,
						  D3DKMT_DEVICE_ERROR_REASON_GENERIC), 0);
	assert_int_equal(uguest_wait_fence(g, gf.fence_offset, UINT64_MAX), 0);
	assert_int_equal(uguest_wait_fence(g, p.hw.fence_offset, UINT64_MAX), 0);
	assert_int_equal(uguest_nop(g), 0);
	assert_true(value_of(&keep) == 0);
	assert_true(value_of(&f) == 0);
	/* Future signals on the broken queues are -ENODEV and give their fences the error value. */
	{
		struct uguest_sync_object later1, later2;

		later1 = new_object(&p, D3DDDI_MONITORED_FENCE, 0, 0, 0);
		later2 = new_object(&p, D3DDDI_MONITORED_FENCE, 0, 0, 0);
		assert_int_equal(signal_queue(&p, p.context, later1.handle, 2), -ENODEV);
		assert_int_equal(signal_queue(&p, p.hw.queue, later2.handle, 2), -ENODEV);
		assert_true(value_of(&later1) == UINT64_MAX && value_of(&later2) == UINT64_MAX);
	}
	assert_int_equal(wait_queue(&p, p.context, f.handle, 0), -ENODEV);
	assert_int_equal(wait_queue(&p, p.hw.queue, f.handle, 1), -ENODEV);
	assert_int_equal(xsubmit(&p, p.context, OPENDXG_CMD_HEADER_SIZE, 0), -ENODEV);
	assert_int_equal(xexecution_state(&p), D3DKMT_DEVICEEXECUTION_RESET);
	/* The CPU can still signal the device's fences; another process is untouched. */
	signal_cpu(&p, &f, 1);
	assert_true(value_of(&f) == 1);
	assert_int_equal(xexecution_state(&other), D3DKMT_DEVICEEXECUTION_ACTIVE);
	xdrain(&other, other.context);
	xdrain(&other, other.hw.queue);
	xproc_close(&p);
	xproc_close(&other);
	expect_baseline();
}

/* ---- guest-side CPU waits ---- */

static void test_cpu_waits(void **state)
{
	struct xproc p;
	struct uguest_sync_object f[DXGW_MAX_SYNC_OBJECTS];
	uint64_t offsets[DXGW_MAX_SYNC_OBJECTS], values[DXGW_MAX_SYNC_OBJECTS];
	uint32_t which = 0;

	(void)state;
	xproc_open(g, "waits", &p);
	for (uint32_t i = 0; i < DXGW_MAX_SYNC_OBJECTS; i++) {
		f[i] = new_object(&p, D3DDDI_MONITORED_FENCE, 0, 0, 0);
		offsets[i] = f[i].fence_offset;
		values[i] = 1;
	}
	/* Wait-any: the one queue signal that happens is the one reported. */
	assert_int_equal(signal_queue(&p, p.hw.queue, f[17].handle, 1), 0);
	assert_int_equal(uguest_wait_fences(g, offsets, values, DXGW_MAX_SYNC_OBJECTS, true,
					    &which), 0);
	assert_int_equal(which, 17);
	/* Wait-all times out while one is missing, then succeeds. */
	for (uint32_t i = 0; i < DXGW_MAX_SYNC_OBJECTS - 1; i++)
		signal_cpu(&p, &f[i], 1);
	uguest_set_timeout(g, 200);
	assert_int_equal(uguest_wait_fences(g, offsets, values, DXGW_MAX_SYNC_OBJECTS, false,
					    NULL), -ETIMEDOUT);
	uguest_set_timeout(g, 0);
	assert_int_equal(signal_queue(&p, p.context, f[DXGW_MAX_SYNC_OBJECTS - 1].handle, 1), 0);
	assert_int_equal(uguest_wait_fences(g, offsets, values, DXGW_MAX_SYNC_OBJECTS, false,
					    NULL), 0);
	/* Offsets outside the fence storage are the waiter's own -EINVAL. */
	offsets[3] = 8;
	assert_int_equal(uguest_wait_fences(g, offsets, values, 4, false, NULL), -EINVAL);
	assert_int_equal(uguest_wait_fences(g, offsets, values, 0, true, NULL), -EINVAL);
	/* Spinning waits see the same values. */
	uguest_set_wait_mode(g, UGUEST_WAIT_SPIN);
	signal_cpu(&p, &f[0], 9);
	assert_int_equal(uguest_wait_fence(g, f[0].fence_offset, 9), 0);
	assert_int_equal(signal_queue(&p, p.hw.queue, f[0].handle, 10), 0);
	assert_int_equal(uguest_wait_fence(g, f[0].fence_offset, 10), 0);
	uguest_set_wait_mode(g, UGUEST_WAIT_BLOCK);
	xproc_close(&p);
	expect_baseline();
}

/* Fence values only move forward, through many signals from the CPU and from two queues. */
static void test_monotonic_many_signals(void **state)
{
	struct xproc p;
	struct uguest_sync_object f;
	uint64_t last = 0;

	(void)state;
	xproc_open(g, "monotonic", &p);
	f = new_object(&p, D3DDDI_MONITORED_FENCE, 0, 0, 0);
	for (uint64_t v = 1; v <= 300; v++) {
		uint64_t now;

		if (v % 3 == 0)
			signal_cpu(&p, &f, v);
		else
			assert_int_equal(signal_queue(&p, v % 3 == 1 ? p.context : p.hw.queue,
						      f.handle, v), 0);
		now = value_of(&f);
		assert_true(now >= last && now <= v);
		last = now;
	}
	assert_int_equal(uguest_wait_fence(g, f.fence_offset, 300), 0);
	xproc_close(&p);
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
		cmocka_unit_test_setup(test_fence_values_and_rewind, test_setup),
		cmocka_unit_test_setup(test_create_rules, test_setup),
		cmocka_unit_test_setup(test_fence_slots, test_setup),
		cmocka_unit_test_setup(test_queue_wait_cpu_then_queue, test_setup),
		cmocka_unit_test_setup(test_queue_wait_holds_work, test_setup),
		cmocka_unit_test_setup(test_mutex, test_setup),
		cmocka_unit_test_setup(test_semaphore, test_setup),
		cmocka_unit_test_setup(test_plain_fence, test_setup),
		cmocka_unit_test_setup(test_cpu_notification, test_setup),
		cmocka_unit_test_setup(test_queue_signal_rules, test_setup),
		cmocka_unit_test_setup(test_wait_on_destroyed, test_setup),
		cmocka_unit_test_setup(test_broken_context_fences, test_setup),
		cmocka_unit_test_setup(test_cpu_waits, test_setup),
		cmocka_unit_test_setup(test_monotonic_many_signals, test_setup),
		cmocka_unit_test(test_shutdown),
	};

	return harness_run(argc, argv, "host-sync", tests, sizeof(tests) / sizeof(tests[0]), 1);
}
