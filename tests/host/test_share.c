/* SPDX-License-Identifier: MIT */
/*
 * Sharing sync objects between processes of one VM through dxgd and a user-space guest (real
 * dxgd, real lavapipe): a shared monitored fence seen and moved through the creator's and an
 * opened handle (slots of both processes and the share's own slot), queue waits across
 * processes (WAIT_ON_QUEUE through an opened handle, WAIT_SHARE_ON_QUEUE on the share), access
 * rights (-EACCES), what may not be shared (-EINVAL), the creator leaving while the opener
 * keeps working, a hardware queue's progress fence shared the sync-file way (its share slot
 * takes DXGW_FENCE_VALUE_ERROR when the last handle goes), share ids useless in another VM,
 * and the VM's counters back at their baseline once every descriptor and handle is gone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exec_util.h"

#define SHARED_NT (D3DDDI_SYNCOBJ_FLAG_SHARED | D3DDDI_SYNCOBJ_FLAG_NT_SECURITY_SHARING)

static struct uguest *g;
static uint32_t observer, adapter;
static char *baseline_counters;

static int test_setup(void **state)
{
	(void)state;
	if (!g && harness_connect(&harness_dxgd, 0, NULL, &g) != 0)
		return -1;
	if (uguest_handshake(g, 0, NULL) != 0 ||
	    harness_open_first_adapter(g, "observer", &observer, &adapter) != 0)
		return -1;
	free(baseline_counters);
	baseline_counters = xworker_counters(0);
	return 0;
}

static void expect_baseline(void)
{
	char *now = xworker_counters(0);

	assert_string_equal(now, baseline_counters);
	free(now);
}

static uint64_t slot(uint64_t offset)
{
	return uguest_fence_value(g, offset);
}

static struct uguest_sync_object shared_fence(struct xproc *p, uint64_t initial)
{
	struct uguest_sync_object o;

	assert_int_equal(uguest_create_sync_object(g, p->process, p->device,
						   D3DDDI_MONITORED_FENCE, SHARED_NT, initial, 0,
						   &o), 0);
	return o;
}

static void signal_cpu(struct xproc *p, uint32_t object, uint64_t v)
{
	assert_int_equal(uguest_signal_from_cpu(g, p->process, p->device, 0, &object, &v, 1), 0);
}

/* Queues a signal of p->done behind `queue` and returns the value it will take. */
static uint64_t mark_done(struct xproc *p, uint32_t queue)
{
	uint64_t v = ++p->done_value;

	assert_int_equal(uguest_signal_on_queue(g, p->process, 0, &queue, 1, &p->done.handle, &v,
						1), 0);
	return v;
}

static void test_fence_across_processes(void **state)
{
	struct xproc a, b;
	struct uguest_sync_object f;
	struct uguest_share sh;
	struct uguest_opened_sync_object o;
	uint64_t off, v, done;

	(void)state;
	xproc_open(g, "share-a", &a);
	xproc_open(g, "share-b", &b);
	f = shared_fence(&a, 5);
	assert_int_equal(uguest_share_object(g, a.process, f.handle, 0, &sh), 0);
	assert_true(sh.share_id != 0);
	assert_int_equal(sh.kind, DXGW_SHARE_KIND_SYNC_OBJECT);
	assert_int_equal(sh.sync_type, D3DDDI_MONITORED_FENCE);
	assert_true(sh.fence_offset != 0 && sh.fence_offset != f.fence_offset);
	assert_true(slot(sh.fence_offset) == 5);

	/* A second SHARE_OBJECT is one more reference to the same share. */
	{
		struct uguest_share again;

		assert_int_equal(uguest_share_object(g, a.process, f.handle, 0, &again), 0);
		assert_true(again.share_id == sh.share_id);
		assert_true(again.fence_offset == sh.fence_offset);
		assert_int_equal(uguest_close_share(g, sh.share_id), 0);
	}

	assert_int_equal(uguest_open_shared_sync_object(g, b.process, b.device,
							DXGW_ACCESS_SYNC_ALL, sh.share_id, &o), 0);
	assert_int_equal(o.type, D3DDDI_MONITORED_FENCE);
	assert_true(o.fence_value == 5);
	assert_true(o.fence_offset != 0 && o.fence_offset != f.fence_offset &&
		    o.fence_offset != sh.fence_offset);
	assert_true(slot(o.fence_offset) == 5);
	/* B's slot is in B's pages, never in A's. */
	assert_true(o.fence_offset / 4096 != f.fence_offset / 4096);

	/* One value, moved through either handle. */
	signal_cpu(&a, f.handle, 7);
	assert_true(slot(o.fence_offset) == 7 && slot(sh.fence_offset) == 7);
	signal_cpu(&b, o.handle, 9);
	assert_true(slot(f.fence_offset) == 9 && slot(sh.fence_offset) == 9);
	/* The rewind rule applies to the object, whatever handle names it. */
	v = 8;
	assert_int_equal(uguest_signal_from_cpu(g, a.process, a.device, 0, &f.handle, &v, 1),
			 -EINVAL);

	/* B's queue waits through B's handle; A's CPU signal lets B's work run. */
	v = 12;
	assert_int_equal(uguest_wait_on_queue(g, b.process, b.context, &o.handle, &v, 1), 0);
	done = mark_done(&b, b.context);
	assert_int_equal(uguest_nop(g), 0);
	assert_true(slot(b.done.fence_offset) < done);
	signal_cpu(&a, f.handle, 12);
	assert_int_equal(uguest_wait_fence(g, b.done.fence_offset, done), 0);

	/* WAIT_SHARE_ON_QUEUE: the share, not a handle; A signals on its own queue. */
	assert_int_equal(uguest_wait_share_on_queue(g, b.process, b.hw.queue, sh.share_id, 15), 0);
	done = mark_done(&b, b.hw.queue);
	assert_int_equal(uguest_nop(g), 0);
	assert_true(slot(b.done.fence_offset) < done);
	v = 15;
	assert_int_equal(uguest_signal_on_queue(g, a.process, 0, &a.context, 1, &f.handle, &v, 1),
			 0);
	assert_int_equal(uguest_wait_fence(g, b.done.fence_offset, done), 0);
	assert_true(slot(f.fence_offset) == 15 && slot(o.fence_offset) == 15);
	/* Already reached: nothing waits. */
	assert_int_equal(uguest_wait_share_on_queue(g, b.process, b.context, sh.share_id, 3), 0);
	xdrain(&b, b.context);

	/* The same object through two handles of one request is named twice. */
	{
		struct uguest_opened_sync_object o2;
		uint32_t both[2];
		uint64_t vals[2] = { 16, 16 };

		assert_int_equal(uguest_open_shared_sync_object(g, b.process, b.device,
								DXGW_ACCESS_SYNC_ALL, sh.share_id,
								&o2), 0);
		assert_true(o2.fence_value == 15);
		both[0] = o.handle;
		both[1] = o2.handle;
		assert_int_equal(uguest_signal_from_cpu(g, b.process, b.device, 0, both, vals, 2),
				 -EINVAL);
		assert_int_equal(uguest_destroy_sync_object(g, b.process, o2.handle), 0);
		/* Destroying one handle destroys only that handle. */
		signal_cpu(&b, o.handle, 16);
		assert_true(slot(f.fence_offset) == 16);
	}

	/* Everything goes: the share with its last reference, the object with its last handle. */
	off = sh.fence_offset;
	assert_int_equal(uguest_close_share(g, sh.share_id), 0);
	assert_int_equal(uguest_close_share(g, sh.share_id), -EINVAL);
	assert_int_equal(uguest_open_shared_sync_object(g, b.process, b.device,
							DXGW_ACCESS_SYNC_ALL, sh.share_id, &o),
			 -EINVAL);
	(void)off;
	xproc_close(&a);
	xproc_close(&b);
	expect_baseline();
}

static void test_access_rights(void **state)
{
	struct xproc a, b;
	struct uguest_sync_object f;
	struct uguest_share sh, other;
	struct uguest_opened_sync_object waiter, signaller, bad;
	uint64_t v = 3, off;

	(void)state;
	xproc_open(g, "access-a", &a);
	xproc_open(g, "access-b", &b);
	f = shared_fence(&a, 1);
	assert_int_equal(uguest_share_object(g, a.process, f.handle, 0, &sh), 0);
	assert_int_equal(uguest_open_shared_sync_object(g, b.process, b.device, DXGW_ACCESS_WAIT,
							sh.share_id, &waiter), 0);
	assert_int_equal(uguest_open_shared_sync_object(g, b.process, b.device,
							DXGW_ACCESS_SIGNAL, sh.share_id,
							&signaller), 0);
	/* Access 0 or unknown bits: the decoder's -EINVAL. */
	assert_int_equal(uguest_open_shared_sync_object(g, b.process, b.device, 0, sh.share_id,
							&bad), -EINVAL);
	assert_int_equal(uguest_open_shared_sync_object(g, b.process, b.device, 0x4, sh.share_id,
							&bad), -EINVAL);

	/* WAIT only: no signal, CPU or queue. */
	assert_int_equal(uguest_signal_from_cpu(g, b.process, b.device, 0, &waiter.handle, &v, 1),
			 -EACCES);
	assert_int_equal(uguest_signal_on_queue(g, b.process, 0, &b.context, 1, &waiter.handle,
						&v, 1), -EACCES);
	assert_int_equal(uguest_get_fence_slots(g, b.process, b.device, &waiter.handle, 1, &off),
			 0);
	assert_true(off == waiter.fence_offset);
	v = 1;
	assert_int_equal(uguest_wait_on_queue(g, b.process, b.context, &waiter.handle, &v, 1), 0);
	/* A WAIT-only handle cannot make a descriptor granting more; a sync file is fine. */
	assert_int_equal(uguest_share_object(g, b.process, waiter.handle, 0, &other), -EACCES);
	assert_int_equal(uguest_share_object(g, b.process, waiter.handle, DXGW_SHARE_SYNC_FILE,
					     &other), 0);
	assert_true(other.share_id == sh.share_id);
	assert_int_equal(uguest_close_share(g, other.share_id), 0);

	/* SIGNAL only: no waits. */
	v = 4;
	assert_int_equal(uguest_signal_from_cpu(g, b.process, b.device, 0, &signaller.handle, &v,
						1), 0);
	assert_true(slot(f.fence_offset) == 4 && slot(waiter.fence_offset) == 4);
	assert_int_equal(uguest_wait_on_queue(g, b.process, b.context, &signaller.handle, &v, 1),
			 -EACCES);
	assert_int_equal(uguest_get_fence_slots(g, b.process, b.device, &signaller.handle, 1,
						&off), -EACCES);
	assert_int_equal(uguest_share_object(g, b.process, signaller.handle, DXGW_SHARE_SYNC_FILE,
					     &other), -EACCES);
	v = 5;
	assert_int_equal(uguest_signal_on_queue(g, b.process, 0, &b.context, 1, &signaller.handle,
						&v, 1), 0);
	xdrain(&b, b.context);
	assert_true(slot(f.fence_offset) == 5);

	assert_int_equal(uguest_close_share(g, sh.share_id), 0);
	xproc_close(&a);
	xproc_close(&b);
	expect_baseline();
}

static void test_what_may_be_shared(void **state)
{
	struct xproc a;
	struct uguest_sync_object o;
	struct uguest_share sh;
	struct uguest_opened_sync_object opened;

	(void)state;
	xproc_open(g, "rules", &a);
	/* Not created SHARED. */
	assert_int_equal(uguest_create_fence(g, a.process, a.device, 0, &o), 0);
	assert_int_equal(uguest_share_object(g, a.process, o.handle, 0, &sh), -EINVAL);
	/* SHARED without NT_SECURITY_SHARING cannot be created; NT alone shares nothing. */
	assert_int_equal(uguest_create_sync_object(g, a.process, a.device, D3DDDI_MONITORED_FENCE,
						   D3DDDI_SYNCOBJ_FLAG_SHARED, 0, 0, &o), -EINVAL);
	assert_int_equal(uguest_create_sync_object(g, a.process, a.device, D3DDDI_MONITORED_FENCE,
						   D3DDDI_SYNCOBJ_FLAG_NT_SECURITY_SHARING, 0, 0,
						   &o), 0);
	assert_int_equal(uguest_share_object(g, a.process, o.handle, 0, &sh), -EINVAL);
	/* A queue's fence only as a sync file; a mutex never as a sync file. */
	assert_int_equal(uguest_share_object(g, a.process, a.hw.progress_fence, 0, &sh), -EINVAL);
	assert_int_equal(uguest_share_object(g, a.process, a.pq.sync_object, 0, &sh), -EINVAL);
	assert_int_equal(uguest_create_sync_object(g, a.process, a.device,
						   D3DDDI_SYNCHRONIZATION_MUTEX, SHARED_NT, 0, 0,
						   &o), 0);
	assert_int_equal(uguest_share_object(g, a.process, o.handle, DXGW_SHARE_SYNC_FILE, &sh),
			 -EINVAL);
	/* A shared mutex has no slot anywhere. */
	assert_int_equal(uguest_share_object(g, a.process, o.handle, 0, &sh), 0);
	assert_int_equal(sh.sync_type, D3DDDI_SYNCHRONIZATION_MUTEX);
	assert_true(sh.fence_offset == 0);
	assert_int_equal(uguest_open_shared_sync_object(g, a.process, a.device,
							DXGW_ACCESS_SYNC_ALL, sh.share_id,
							&opened), 0);
	assert_true(opened.fence_offset == 0 && opened.fence_value == 0);
	/* A share of a sync object is no resource, and no mutex is waited on as a share. */
	assert_int_equal(uguest_query_shared_resource(g, a.process, a.device, sh.share_id, NULL,
						      NULL), -EINVAL);
	assert_int_equal(uguest_wait_share_on_queue(g, a.process, a.context, sh.share_id, 1),
			 -EINVAL);
	assert_int_equal(uguest_close_share(g, sh.share_id), 0);
	/* Not an object, another process's, unknown shares. */
	assert_int_equal(uguest_share_object(g, a.process, a.device, 0, &sh), -EINVAL);
	assert_int_equal(uguest_share_object(g, observer, opened.handle, 0, &sh), -EINVAL);
	assert_int_equal(uguest_open_shared_sync_object(g, a.process, a.device,
							DXGW_ACCESS_SYNC_ALL, 0x1234, &opened),
			 -EINVAL);
	assert_int_equal(uguest_wait_share_on_queue(g, a.process, a.context, 0x1234, 1), -EINVAL);
	assert_int_equal(uguest_close_share(g, 0x1234), -EINVAL);
	xproc_close(&a);
	expect_baseline();
}

/* The creator leaves; the opener keeps the object; the last handle makes the share slot fail. */
static void test_creator_leaves(void **state)
{
	struct xproc a, b;
	struct uguest_sync_object f;
	struct uguest_share sh;
	struct uguest_opened_sync_object o;
	uint64_t done;

	(void)state;
	xproc_open(g, "leave-a", &a);
	xproc_open(g, "leave-b", &b);
	f = shared_fence(&a, 2);
	assert_int_equal(uguest_share_object(g, a.process, f.handle, 0, &sh), 0);
	assert_int_equal(uguest_open_shared_sync_object(g, b.process, b.device,
							DXGW_ACCESS_SYNC_ALL, sh.share_id, &o), 0);
	assert_int_equal(uguest_destroy_sync_object(g, a.process, f.handle), 0);
	xproc_close(&a);
	signal_cpu(&b, o.handle, 6);
	assert_true(slot(o.fence_offset) == 6 && slot(sh.fence_offset) == 6);
	/* A queue wait on the share: satisfied once nothing can signal the object any more. */
	assert_int_equal(uguest_wait_share_on_queue(g, b.process, b.context, sh.share_id, 100),
			 0);
	done = mark_done(&b, b.context);
	assert_int_equal(uguest_nop(g), 0);
	assert_true(slot(b.done.fence_offset) < done);
	assert_int_equal(uguest_destroy_sync_object(g, b.process, o.handle), 0);
	assert_int_equal(uguest_wait_fence(g, b.done.fence_offset, done), 0);
	assert_true(slot(sh.fence_offset) == DXGW_FENCE_VALUE_ERROR);
	/* The share still holds the object: it can be opened again (and keeps its error). */
	assert_int_equal(uguest_open_shared_sync_object(g, b.process, b.device, DXGW_ACCESS_WAIT,
							sh.share_id, &o), 0);
	assert_true(o.fence_value == 6 && slot(o.fence_offset) == 6);
	assert_true(slot(sh.fence_offset) == DXGW_FENCE_VALUE_ERROR);
	assert_int_equal(uguest_close_share(g, sh.share_id), 0);
	xproc_close(&b);
	expect_baseline();
}

/* A hardware queue's progress fence as a sync file (CREATESYNCFILE of a queue fence). */
static void test_sync_file_of_queue_fence(void **state)
{
	struct xproc a, b;
	struct uguest_share sh;
	struct uguest_opened_sync_object o;
	struct uguest_cmdbuf cb;
	uint64_t v = 50, done, last;

	(void)state;
	xproc_open(g, "file-a", &a);
	xproc_open(g, "file-b", &b);
	xcmd_begin(&a, &cb);
	xrun_hw(&a, xcmd_end(&cb));
	assert_int_equal(uguest_share_object(g, a.process, a.hw.progress_fence,
					     DXGW_SHARE_SYNC_FILE, &sh), 0);
	assert_int_equal(sh.sync_type, D3DDDI_MONITORED_FENCE);
	assert_true(slot(sh.fence_offset) == a.hw_value);
	assert_int_equal(uguest_open_shared_sync_object(g, b.process, b.device,
							DXGW_ACCESS_SYNC_ALL, sh.share_id, &o), 0);
	assert_true(o.fence_value == a.hw_value);
	/* Only its queue moves a queue's fence, whatever rights the handle has. */
	assert_int_equal(uguest_signal_from_cpu(g, b.process, b.device, 0, &o.handle, &v, 1),
			 -EINVAL);
	assert_int_equal(uguest_signal_on_queue(g, b.process, 0, &b.context, 1, &o.handle, &v, 1),
			 -EINVAL);
	/* WAITSYNCFILE: B's work waits for A's next command buffer. */
	assert_int_equal(uguest_wait_share_on_queue(g, b.process, b.context, sh.share_id,
						    a.hw_value + 1), 0);
	done = mark_done(&b, b.context);
	assert_int_equal(uguest_nop(g), 0);
	assert_true(slot(b.done.fence_offset) < done);
	xcmd_begin(&a, &cb);
	xrun_hw(&a, xcmd_end(&cb));
	assert_int_equal(uguest_wait_fence(g, b.done.fence_offset, done), 0);
	assert_true(slot(o.fence_offset) == a.hw_value && slot(sh.fence_offset) == a.hw_value);
	/* The queue goes with A; B's handle is the last one, then none is left. */
	last = a.hw_value;
	xproc_close(&a);
	assert_true(slot(sh.fence_offset) == last);
	assert_int_equal(uguest_destroy_sync_object(g, b.process, o.handle), 0);
	assert_true(slot(sh.fence_offset) == DXGW_FENCE_VALUE_ERROR);
	assert_int_equal(uguest_close_share(g, sh.share_id), 0);
	xproc_close(&b);
	expect_baseline();
}

/* A share id means nothing in another VM; CONNECT forgets every share. */
static void test_other_vm_and_connect(void **state)
{
	struct xproc a;
	struct uguest_sync_object f;
	struct uguest_share sh;
	struct uguest_opened_sync_object o;
	struct uguest *g1 = NULL;
	uint32_t p1, adapter1, device1;

	(void)state;
	xproc_open(g, "vm0", &a);
	f = shared_fence(&a, 1);
	assert_int_equal(uguest_share_object(g, a.process, f.handle, 0, &sh), 0);
	assert_int_equal(harness_connect(&harness_dxgd, 1, NULL, &g1), 0);
	assert_int_equal(harness_open_first_adapter(g1, "vm1", &p1, &adapter1), 0);
	assert_int_equal(uguest_create_device(g1, p1, adapter1, 0, &device1), 0);
	assert_int_equal(uguest_open_shared_sync_object(g1, p1, device1, DXGW_ACCESS_SYNC_ALL,
							sh.share_id, &o), -EINVAL);
	assert_int_equal(uguest_close_share(g1, sh.share_id), -EINVAL);
	uguest_close(g1);
	/* Still there in its own VM, until CONNECT. */
	assert_int_equal(uguest_open_shared_sync_object(g, a.process, a.device, DXGW_ACCESS_WAIT,
							sh.share_id, &o), 0);
	assert_int_equal(uguest_handshake(g, 0, NULL), 0);
	assert_int_equal(uguest_close_share(g, sh.share_id), -EINVAL);
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
		cmocka_unit_test_setup(test_fence_across_processes, test_setup),
		cmocka_unit_test_setup(test_access_rights, test_setup),
		cmocka_unit_test_setup(test_what_may_be_shared, test_setup),
		cmocka_unit_test_setup(test_creator_leaves, test_setup),
		cmocka_unit_test_setup(test_sync_file_of_queue_fence, test_setup),
		cmocka_unit_test_setup(test_other_vm_and_connect, test_setup),
		cmocka_unit_test(test_shutdown),
	};

	return harness_run(argc, argv, "host-share", tests, sizeof(tests) / sizeof(tests[0]), 2);
}
