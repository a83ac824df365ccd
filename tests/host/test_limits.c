/* SPDX-License-Identifier: MIT */
/*
 * A guest that floods dxgd: creating processes, devices and contexts stops at the VM's quotas
 * with -ENOMEM (docs/protocol.md section 6) and gives every unit back on DESTROY_PROCESS and on
 * CONNECT, round after round; a guest that never reads its replies stalls only its own rings and
 * gets every reply once it reads again; a doorbell storm costs only its own VM. The other VM
 * notices none of it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <misc/opendxg.h>

#include "harness.h"

/* The per-VM quotas of docs/protocol.md (DXG_VM_DEFAULT_LIMITS in the worker). */
#define MAX_PROCESSES 1024u
#define MAX_DEVICES 4096u
#define MAX_CONTEXTS 16384u

#define DEADLINE_MS 30000
/* Request ids for hand-made records: bit 63 set, never used by uguest_send(). */
#define RAW_ID(n) ((1ull << 63) | (uint64_t)(n))

static struct uguest *vm[2];
static uint32_t observer[2], adapter[2];
static struct opendxg_vm_stats baseline;

static void stats(unsigned i, struct opendxg_vm_stats *s)
{
	assert_int_equal(harness_vm_stats(vm[i], observer[i], adapter[i], s), 0);
}

/* A fresh CONNECT and one observer process in each VM. */
static int test_setup(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		if (!vm[i] && harness_connect(&harness_dxgd, i, NULL, &vm[i]) != 0)
			return -1;
		if (uguest_handshake(vm[i], 0, NULL) != 0 ||
		    harness_open_first_adapter(vm[i], "observer", &observer[i], &adapter[i]) != 0)
			return -1;
	}
	return harness_vm_stats(vm[0], observer[0], adapter[0], &baseline) ? -1 : 0;
}

static void expect_baseline(void)
{
	struct opendxg_vm_stats s;

	stats(0, &s);
	assert_int_equal(s.processes, baseline.processes);
	assert_int_equal(s.open_adapters, baseline.open_adapters);
	assert_int_equal(s.devices, baseline.devices);
	assert_int_equal(s.contexts, baseline.contexts);
	assert_int_equal(s.handles, baseline.handles);
}

/* The other VM can still create and destroy everything. */
static void expect_other_vm_unaffected(void)
{
	struct uguest_context_args args = { .engine_affinity = 1 };
	uint32_t p, d, c;

	assert_int_equal(uguest_create_process(vm[1], 2, "bystander", &p), 0);
	assert_int_equal(uguest_open_adapter(vm[1], p, adapter[1]), 0);
	assert_int_equal(uguest_create_device(vm[1], p, adapter[1], 0, &d), 0);
	args.device = d;
	assert_int_equal(uguest_create_context(vm[1], p, &args, &c), 0);
	assert_int_equal(uguest_destroy_process(vm[1], p), 0);
}

/*
 * Fills VM 0 to every quota: processes (the observer counts), then devices and contexts in a
 * process of their own. Returns that process; `processes` receives the others.
 */
static uint32_t flood(uint32_t *processes, uint32_t *count)
{
	struct uguest_context_args args = { .engine_affinity = 1 };
	uint32_t p, owner, d = 0;
	uint32_t n = 0;
	int ret;

	assert_int_equal(uguest_create_process(vm[0], 3, "owner", &owner), 0);
	assert_int_equal(uguest_open_adapter(vm[0], owner, adapter[0]), 0);
	for (;;) {
		ret = uguest_create_process(vm[0], 4, "flood", &p);
		if (ret)
			break;
		assert_true(n < MAX_PROCESSES);
		processes[n++] = p;
	}
	assert_int_equal(ret, -ENOMEM);
	/* The observer and the owner are the other two. */
	assert_int_equal(n, MAX_PROCESSES - 2);
	*count = n;

	for (n = 0;; n++) {
		ret = uguest_create_device(vm[0], owner, adapter[0], 0, &d);
		if (ret)
			break;
		assert_true(n < MAX_DEVICES);
		/* Contexts spread over the devices, four each (4096 * 4 = the context quota). */
		args.device = d;
		for (int k = 0; k < 4; k++) {
			uint32_t c;

			assert_int_equal(uguest_create_context(vm[0], owner, &args, &c), 0);
		}
	}
	assert_int_equal(ret, -ENOMEM);
	assert_int_equal(n, MAX_DEVICES);
	{
		uint32_t c;

		/* Both quotas are full now; the last device still exists to try on. */
		args.device = d;
		assert_int_equal(uguest_create_context(vm[0], owner, &args, &c), -ENOMEM);
		assert_int_equal(uguest_create_process(vm[0], 5, "one more", &p), -ENOMEM);
	}
	{
		struct opendxg_vm_stats s;

		stats(0, &s);
		assert_int_equal(s.processes, MAX_PROCESSES);
		assert_int_equal(s.devices, MAX_DEVICES);
		assert_int_equal(s.contexts, MAX_CONTEXTS);
	}
	return owner;
}

/* DESTROY_PROCESS gives every unit of every quota back, every time. */
static void test_flood_then_destroy(void **state)
{
	static uint32_t processes[MAX_PROCESSES];
	uint32_t count;

	(void)state;
	for (int round = 0; round < 2; round++) {
		uint32_t owner = flood(processes, &count);

		expect_other_vm_unaffected();
		assert_int_equal(uguest_destroy_process(vm[0], owner), 0);
		for (uint32_t i = 0; i < count; i++)
			assert_int_equal(uguest_destroy_process(vm[0], processes[i]), 0);
		expect_baseline();
	}
}

/* CONNECT forgets everything at once, quotas included, every time. */
static void test_flood_then_connect(void **state)
{
	static uint32_t processes[MAX_PROCESSES];
	struct opendxg_vm_stats s;
	uint32_t count;

	(void)state;
	for (int round = 0; round < 2; round++) {
		flood(processes, &count);
		assert_int_equal(uguest_handshake(vm[0], 0, NULL), 0);
		assert_int_equal(harness_open_first_adapter(vm[0], "observer", &observer[0],
							    &adapter[0]), 0);
		stats(0, &s);
		assert_int_equal(s.processes, 1);
		assert_int_equal(s.open_adapters, 1);
		assert_int_equal(s.devices, 0);
		assert_int_equal(s.contexts, 0);
		assert_int_equal(s.handles, baseline.handles);
		expect_other_vm_unaffected();
	}
}

/*
 * A guest that publishes requests and never reads a reply: the worker fills the reply ring,
 * stops consuming (it never drops a reply) and keeps answering the broker; once the guest reads,
 * every request gets its reply, in order.
 */
static void test_never_reads_replies(void **state)
{
	struct dxg_ring *requests = uguest_request_ring(vm[0]);
	struct dxg_ring *replies = uguest_reply_ring(vm[0]);
	static unsigned char reply[DXGW_MAX_MESSAGE];
	unsigned char rec[sizeof(struct dxgw_hdr)];
	const uint32_t record = dxg_ring_record_size(sizeof(rec));
	const uint32_t largest = dxg_ring_record_size(replies->max_payload);
	/* The worker consumes while the reply ring has room for the largest reply. */
	const uint64_t answerable = (replies->size - largest) / record + 1;
	const uint32_t head0 = requests->local;
	uint64_t sent = 0, received = 0, deadline;
	uint32_t head;
	int ret;

	(void)state;
	assert_int_equal(uguest_pending_replies(vm[0]), 0);
	/* Publish until the request ring is full and the worker has stopped consuming. */
	deadline = harness_now_ms() + DEADLINE_MS;
	for (;;) {
		harness_build_request(rec, DXGW_OP_NOP, RAW_ID(sent + 1), 0, NULL, 0);
		ret = dxg_ring_produce(requests, rec, sizeof(rec));
		if (ret == 0) {
			sent++;
			if (sent % 64 == 0)
				assert_int_equal(uguest_kick(vm[0]), 0);
			continue;
		}
		assert_int_equal(ret, -EAGAIN);
		assert_int_equal(uguest_kick(vm[0]), 0);
		head = dxg_from_le32(dxg_load_acquire(&requests->ctrl->head));
		assert_true(head - head0 <= answerable * record);
		if (head - head0 == answerable * record)
			break;
		assert_true(harness_now_ms() < deadline);
		harness_sleep_ms(1);
	}
	assert_true(sent > answerable);

	/* Stalled on its own rings only: the broker and the other VM still get answers. */
	{
		char *status = harness_control_status(&harness_dxgd);

		assert_non_null(status);
		assert_int_equal(harness_json_worker_bool(status, "vm0", "broken"), 0);
		assert_int_equal(harness_json_worker_bool(status, "vm1", "broken"), 0);
		free(status);
	}
	expect_other_vm_unaffected();
	/* Kicked again and again meanwhile, it still took no request it could not answer. */
	assert_int_equal(uguest_kick(vm[0]), 0);
	head = dxg_from_le32(dxg_load_acquire(&requests->ctrl->head));
	assert_true(head - head0 == answerable * record);

	/* Reading again: every request is answered, in order, none twice. */
	deadline = harness_now_ms() + DEADLINE_MS;
	while (received < sent) {
		int n = dxg_ring_consume(replies, reply, sizeof(reply));
		struct dxgw_hdr h;

		assert_true(n >= 0);
		if (n == 0) {
			assert_int_equal(uguest_kick(vm[0]), 0);
			assert_true(harness_now_ms() < deadline);
			harness_sleep_ms(1);
			continue;
		}
		assert_int_equal(n, sizeof(h));
		memcpy(&h, reply, sizeof(h));
		assert_int_equal(dxg_from_le16(h.opcode), DXGW_OP_NOP);
		assert_int_equal(dxg_from_le16(h.flags), DXGW_FLAG_REPLY);
		assert_int_equal(h.status, 0);
		received++;
		assert_true(dxg_from_le64(h.request_id) == RAW_ID(received));
		if (received % 64 == 0)
			assert_int_equal(uguest_kick(vm[0]), 0);
	}
	assert_int_equal(uguest_nop(vm[0]), 0);
	assert_int_equal(uguest_pending_replies(vm[0]), 0);
	expect_baseline();
}

/* Ringing the doorbell in a tight loop wakes only this VM's worker. */
static void test_doorbell_storm(void **state)
{
	(void)state;
	for (int i = 0; i < 200000; i++)
		assert_int_equal(uguest_kick(vm[0]), 0);
	assert_int_equal(uguest_nop(vm[1]), 0);
	assert_int_equal(uguest_nop(vm[0]), 0);
	expect_other_vm_unaffected();
	expect_baseline();
}

static void test_shutdown(void **state)
{
	(void)state;
	harness_shutdown(vm, 2);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_flood_then_destroy, test_setup),
		cmocka_unit_test_setup(test_flood_then_connect, test_setup),
		cmocka_unit_test_setup(test_never_reads_replies, test_setup),
		cmocka_unit_test_setup(test_doorbell_storm, test_setup),
		cmocka_unit_test(test_shutdown),
	};

	return harness_run(argc, argv, "limits", tests, sizeof(tests) / sizeof(tests[0]), 2);
}
