/* SPDX-License-Identifier: MIT */
/*
 * A hostile guest against dxgd: malformed records get exact error replies (or none, when not even
 * the request id is readable) and the VM keeps working; corrupt ring indices break only the guilty
 * VM, never the other VM or dxgd itself.
 *
 * Expected errors (host/wire_decode.h, docs/protocol.md):
 *   record shorter than the request id (16 bytes)  no reply, counted as rejected
 *   bad envelope (size, flags, status, reserved)   -EPROTO
 *   unknown opcode                                 -ENOSYS
 *   bad body, or hdr.process wrong for the opcode  -EINVAL
 */
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

/* Request ids for raw records: bit 63 set, never used by uguest_send(). */
#define RAW_ID(n) ((1ull << 63) | (uint64_t)(n))

#define OFF_SIZE 0
#define OFF_OPCODE 4
#define OFF_FLAGS 6
#define OFF_ID 8
#define OFF_PROCESS 16
#define OFF_STATUS 20
#define OFF_RESERVED 24

static struct uguest *vm[2];
static uint32_t observer[2], adapter[2];
static uint64_t next_raw_id;

static struct uguest *guest(unsigned i)
{
	if (!vm[i]) {
		assert_int_equal(harness_connect(&harness_dxgd, i, NULL, &vm[i]), 0);
		assert_int_equal(harness_open_first_adapter(vm[i], "observer", &observer[i],
							    &adapter[i]), 0);
	}
	return vm[i];
}

static uint64_t rejected(unsigned i)
{
	struct opendxg_vm_stats s;

	assert_int_equal(harness_vm_stats(guest(i), observer[i], adapter[i], &s), 0);
	return s.rejected;
}

static void put32(unsigned char *rec, size_t off, uint32_t v)
{
	v = htole32(v);
	memcpy(rec + off, &v, sizeof(v));
}

static void put16(unsigned char *rec, size_t off, uint16_t v)
{
	v = htole16(v);
	memcpy(rec + off, &v, sizeof(v));
}

/* Sends `rec` (its id field is overwritten with a fresh raw id) and returns the reply status. */
static int raw_call(struct uguest *g, unsigned char *rec, uint32_t len)
{
	uint64_t id = RAW_ID(++next_raw_id);
	uint64_t le = htole64(id);
	uint32_t body_len = 1;
	int ret;

	assert_true(len >= OFF_ID + 8);
	memcpy(rec + OFF_ID, &le, sizeof(le));
	assert_int_equal(uguest_send_raw(g, rec, len), 0);
	ret = uguest_wait(g, id, NULL, 0, &body_len);
	/* An error reply has no body. */
	if (ret < 0)
		assert_int_equal(body_len, 0);
	return ret;
}

/* The VM still answers, and nothing arrived that nobody asked for. */
static void expect_vm_healthy(struct uguest *g)
{
	assert_int_equal(uguest_nop(g), 0);
	assert_int_equal(uguest_pending_replies(g), 0);
}

/* Records too short to carry a request id: nothing can be answered, each is counted. */
static void test_short_records(void **state)
{
	struct uguest *g = guest(0);
	unsigned char rec[16];
	uint64_t before = rejected(0);

	(void)state;
	for (uint32_t len = 1; len < 16; len++) {
		memset(rec, (int)(0x11 * len), sizeof(rec));
		assert_int_equal(uguest_send_raw(g, rec, len), 0);
	}
	expect_vm_healthy(g);
	assert_int_equal(rejected(0), before + 15);
}

/* 16..31 bytes: the id is readable, the header is not complete. */
static void test_truncated_header(void **state)
{
	struct uguest *g = guest(0);
	unsigned char rec[32];
	uint64_t before = rejected(0);

	(void)state;
	for (uint32_t len = 16; len < 32; len++) {
		memset(rec, 0, sizeof(rec));
		harness_build_request(rec, DXGW_OP_NOP, 0, 0, NULL, 0);
		put32(rec, OFF_SIZE, len);
		assert_int_equal(raw_call(g, rec, len), -EPROTO);
	}
	expect_vm_healthy(g);
	assert_int_equal(rejected(0), before + 16);
}

static void test_bad_envelope(void **state)
{
	struct uguest *g = guest(0);
	unsigned char rec[64];
	uint64_t before = rejected(0);
	uint32_t len, count = 0;

	(void)state;
	/* hdr.size disagrees with the record length, including huge values. */
	static const uint32_t sizes[] = { 0, 1, 31, 33, 40, 48, 0x7fffffffu, 0xffffffffu };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		len = harness_build_request(rec, DXGW_OP_NOP, 0, 0, NULL, 0);
		put32(rec, OFF_SIZE, sizes[i]);
		assert_int_equal(raw_call(g, rec, len), -EPROTO);
		count++;
	}
	/* A record longer than hdr.size says (trailing bytes). */
	len = harness_build_request(rec, DXGW_OP_NOP, 0, 0, NULL, 0);
	assert_int_equal(raw_call(g, rec, len + 8), -EPROTO);
	count++;

	/* Any flag bit in a request, including the reply flag. */
	for (uint32_t bit = 0; bit < 16; bit++) {
		len = harness_build_request(rec, DXGW_OP_NOP, 0, 0, NULL, 0);
		put16(rec, OFF_FLAGS, (uint16_t)(1u << bit));
		assert_int_equal(raw_call(g, rec, len), -EPROTO);
		count++;
	}
	/* Non-zero status or reserved bytes. */
	for (uint32_t byte = 0; byte < 4; byte++) {
		len = harness_build_request(rec, DXGW_OP_NOP, 0, 0, NULL, 0);
		rec[OFF_STATUS + byte] = 0x80;
		assert_int_equal(raw_call(g, rec, len), -EPROTO);
		count++;
	}
	for (uint32_t byte = 0; byte < 8; byte++) {
		len = harness_build_request(rec, DXGW_OP_NOP, 0, 0, NULL, 0);
		rec[OFF_RESERVED + byte] = 1;
		assert_int_equal(raw_call(g, rec, len), -EPROTO);
		count++;
	}
	expect_vm_healthy(g);
	assert_int_equal(rejected(0), before + count);
}

static void test_unknown_opcodes(void **state)
{
	static const uint16_t opcodes[] = {
		0x0000, 0x0003, 0x000f, 0x0012, 0x00ff, 0x0104, 0x0202, 0x0302, 0x040c, 0x0414,
		0x0424, 0x0506, 0x0609, 0x0706, 0x0803, 0x0900, 0x8001, 0xffff,
	};
	struct uguest *g = guest(0);
	unsigned char rec[64];
	uint64_t before = rejected(0);

	(void)state;
	for (size_t i = 0; i < sizeof(opcodes) / sizeof(opcodes[0]); i++) {
		uint32_t len = harness_build_request(rec, opcodes[i], 0, 0, NULL, 0);

		assert_int_equal(raw_call(g, rec, len), -ENOSYS);
		/* With a process and a body it is the same answer. */
		len = harness_build_request(rec, opcodes[i], 0, observer[0], rec, 16);
		assert_int_equal(raw_call(g, rec, len), -ENOSYS);
	}
	expect_vm_healthy(g);
	assert_int_equal(rejected(0), before + 2 * sizeof(opcodes) / sizeof(opcodes[0]));
}

/* Well-formed envelopes with bad bodies: -EINVAL, and nothing is created. */
static void test_bad_bodies(void **state)
{
	struct uguest *g = guest(0);
	unsigned char rec[512], body[256];
	uint64_t before = rejected(0);
	uint32_t len, count = 0, p = observer[0], a = adapter[0];
	struct opendxg_vm_stats s0, s1;

#define EXPECT_EINVAL(op, process, blen)                                          \
	do {                                                                      \
		len = harness_build_request(rec, (op), 0, (process), body, (blen)); \
		assert_int_equal(raw_call(g, rec, len), -EINVAL);                 \
		count++;                                                          \
	} while (0)

	(void)state;
	assert_int_equal(harness_vm_stats(g, p, a, &s0), 0);

	/* Bodies where none belongs, or of the wrong length. */
	memset(body, 0, sizeof(body));
	EXPECT_EINVAL(DXGW_OP_NOP, 0, 8);
	EXPECT_EINVAL(DXGW_OP_ENUM_ADAPTERS, 0, 8);
	EXPECT_EINVAL(DXGW_OP_DESTROY_PROCESS, p, 8);
	EXPECT_EINVAL(DXGW_OP_CONNECT, 0, 15);
	EXPECT_EINVAL(DXGW_OP_CONNECT, 0, 17);
	EXPECT_EINVAL(DXGW_OP_CREATE_PROCESS, 0, 23);
	EXPECT_EINVAL(DXGW_OP_OPEN_ADAPTER, p, 4);
	EXPECT_EINVAL(DXGW_OP_CREATE_DEVICE, p, 16);
	EXPECT_EINVAL(DXGW_OP_DESTROY_DEVICE, p, 0);
	EXPECT_EINVAL(DXGW_OP_QUERY_ADAPTER_INFO, p, 15);
	EXPECT_EINVAL(DXGW_OP_CREATE_CONTEXT_VIRTUAL, p, 23);

	/* hdr.process must be 0 exactly for VM-scoped opcodes. */
	EXPECT_EINVAL(DXGW_OP_NOP, p, 0);
	EXPECT_EINVAL(DXGW_OP_ENUM_ADAPTERS, 1, 0);
	EXPECT_EINVAL(DXGW_OP_DESTROY_PROCESS, 0, 0);
	put32(body, 0, a);
	EXPECT_EINVAL(DXGW_OP_OPEN_ADAPTER, 0, 8);

	/* Reserved body fields. */
	memset(body, 0, sizeof(body));
	put32(body, 0, DXG_PROTOCOL_VERSION);
	put32(body, 4, 1);
	EXPECT_EINVAL(DXGW_OP_CONNECT, 0, 16);
	memset(body, 0, sizeof(body));
	put32(body, 4, 1);
	EXPECT_EINVAL(DXGW_OP_CREATE_PROCESS, 0, 24);
	memset(body, 0, sizeof(body));
	put32(body, 0, a);
	put32(body, 4, 1);
	EXPECT_EINVAL(DXGW_OP_OPEN_ADAPTER, p, 8);
	EXPECT_EINVAL(DXGW_OP_CLOSE_ADAPTER, p, 8);
	put32(body, 0, 0x40);
	EXPECT_EINVAL(DXGW_OP_DESTROY_DEVICE, p, 8);
	EXPECT_EINVAL(DXGW_OP_DESTROY_CONTEXT, p, 8);

	/* QUERY_ADAPTER_INFO: data_size must match the data that follows and be 1..128 KiB. */
	static const uint32_t qai_sizes[][2] = {
		/* data_size, bytes that follow */
		{ 4, 8 }, { 8, 4 }, { 0, 0 }, { 0xffffffffu, 4 }, { 0x80000000u, 0 },
		{ DXGW_MAX_QAI_DATA + 1, 4 },
	};
	for (size_t i = 0; i < sizeof(qai_sizes) / sizeof(qai_sizes[0]); i++) {
		memset(body, 0, sizeof(body));
		put32(body, 0, a);
		put32(body, 4, OPENDXG_QAI_VM_STATS);
		put32(body, 8, qai_sizes[i][0]);
		EXPECT_EINVAL(DXGW_OP_QUERY_ADAPTER_INFO, p, 16 + qai_sizes[i][1]);
	}
	memset(body, 0, sizeof(body));
	put32(body, 0, a);
	put32(body, 4, QAI_ADAPTERTYPE_RENDER);
	put32(body, 8, 4);
	put32(body, 12, 1);	/* reserved0 */
	EXPECT_EINVAL(DXGW_OP_QUERY_ADAPTER_INFO, p, 20);

	/* CREATE_CONTEXT_VIRTUAL: priv_size must match what follows and stay within 128 KiB. */
	static const uint32_t priv_sizes[][2] = {
		{ 10, 5 }, { 5, 10 }, { 0xffffffffu, 0 }, { 0xffffffffu, 8 },
		{ DXGW_MAX_CONTEXT_PRIV + 1, 0 },
	};
	for (size_t i = 0; i < sizeof(priv_sizes) / sizeof(priv_sizes[0]); i++) {
		memset(body, 0, sizeof(body));
		put32(body, 0, 0x40);		/* device: never reached */
		put32(body, 8, 1);		/* engine affinity */
		put32(body, 20, priv_sizes[i][0]);
		EXPECT_EINVAL(DXGW_OP_CREATE_CONTEXT_VIRTUAL, p, 24 + priv_sizes[i][1]);
	}
#undef EXPECT_EINVAL

	expect_vm_healthy(g);
	assert_int_equal(rejected(0), before + count);
	/* Nothing was created by any of it. */
	assert_int_equal(harness_vm_stats(g, p, a, &s1), 0);
	assert_int_equal(s1.processes, s0.processes);
	assert_int_equal(s1.open_adapters, s0.open_adapters);
	assert_int_equal(s1.devices, s0.devices);
	assert_int_equal(s1.contexts, s0.contexts);
	assert_int_equal(s1.handles, s0.handles);
}

/* The largest record the ring carries, with a valid header and a body no opcode accepts. */
static void test_max_size_record(void **state)
{
	struct uguest *g = guest(0);
	struct uguest_info info;
	unsigned char *rec;
	uint64_t before = rejected(0);

	(void)state;
	uguest_get_info(g, &info);
	rec = malloc(info.max_message);
	assert_non_null(rec);
	memset(rec, 0xa5, info.max_message);
	harness_build_request(rec, DXGW_OP_NOP, 0, 0, NULL, 0);
	put32(rec, OFF_SIZE, info.max_message);
	assert_int_equal(raw_call(g, rec, info.max_message), -EINVAL);
	harness_build_request(rec, 0x7777, 0, 0, NULL, 0);
	put32(rec, OFF_SIZE, info.max_message);
	assert_int_equal(raw_call(g, rec, info.max_message), -ENOSYS);
	/* One byte more does not even fit the ring. */
	assert_int_equal(uguest_send_raw(g, rec, info.max_message + 1), -EMSGSIZE);
	free(rec);
	expect_vm_healthy(g);
	assert_int_equal(rejected(0), before + 2);
}

/* Random bytes of random lengths: everything rejected, nothing breaks. */
static void test_random_garbage(void **state)
{
	struct uguest *g = guest(0);
	const unsigned count = 3000;
	unsigned char rec[2048];
	uint64_t before = rejected(0);
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (unsigned i = 0; i < count; i++) {
		uint32_t len;

		for (size_t j = 0; j < sizeof(rec); j += 8) {
			/* xorshift64: reproducible garbage */
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(rec + j, &x, 8);
		}
		len = 1 + (uint32_t)(x % sizeof(rec));
		assert_int_equal(uguest_send_raw(g, rec, len), 0);
	}
	/* Replies to records whose random id was readable are parked; drop them. */
	assert_int_equal(uguest_nop(g), 0);
	printf("random garbage: %u records, %u error replies\n", count, uguest_pending_replies(g));
	uguest_discard_replies(g);
	expect_vm_healthy(g);
	assert_int_equal(rejected(0), before + count);
	/* The other VM never noticed. */
	expect_vm_healthy(guest(1));
	assert_int_equal(rejected(1), 0);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Waits (bounded) until dxgd's status reports VM `name`'s worker as broken. */
static void wait_until_broken(const char *name)
{
	for (int i = 0; i < 1000; i++) {
		char *json = harness_control_status(&harness_dxgd);
		int broken = json ? harness_json_worker_bool(json, name, "broken") : -1;

		free(json);
		if (broken == 1)
			return;
		sleep_ms(10);
	}
	fail_msg("dxgd never reported VM %s as broken", name);
}

static void expect_not_broken(const char *name)
{
	char *json = harness_control_status(&harness_dxgd);

	assert_non_null(json);
	assert_int_equal(harness_json_worker_bool(json, name, "broken"), 0);
	free(json);
}

/*
 * The guilty VM is broken for good (until its guest reconnects); the other VM keeps working,
 * with its objects; dxgd stays up.
 */
static void expect_isolated_breakage(void)
{
	struct uguest *g0 = vm[0];
	struct opendxg_vm_stats s;

	wait_until_broken("vm0");
	uguest_set_timeout(g0, 300);
	assert_int_equal(uguest_nop(g0), -ETIMEDOUT);

	assert_true(harness_alive(&harness_dxgd));
	expect_not_broken("vm1");
	for (int i = 0; i < 1000; i++)
		assert_int_equal(uguest_nop(guest(1)), 0);
	assert_int_equal(harness_vm_stats(guest(1), observer[1], adapter[1], &s), 0);
	assert_int_equal(s.processes, 1);

	/* A new guest on the broken VM gets a fresh worker and a clean VM. */
	uint32_t gen = uguest_generation(g0);
	struct uguest_options opt = { .min_generation = gen + 1 };

	uguest_close(g0);
	vm[0] = NULL;
	assert_int_equal(harness_connect(&harness_dxgd, 0, &opt, &vm[0]), 0);
	assert_true(uguest_generation(vm[0]) > gen);
	assert_int_equal(harness_open_first_adapter(vm[0], "observer", &observer[0], &adapter[0]),
			 0);
	expect_vm_healthy(vm[0]);
	assert_int_equal(rejected(0), 0);
	expect_not_broken("vm0");
}

/* An impossible request-ring tail: the worker must stop reading that ring. */
static void test_corrupt_request_tail(void **state)
{
	static const uint32_t bad[] = { 4, 0x1000000u, 0xfffffff8u };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct uguest *g0 = guest(0);
		struct dxg_ring *req = uguest_request_ring(g0);

		guest(1);
		expect_vm_healthy(g0);
		/* Misaligned, more than a ring ahead, or behind the head. */
		dxg_store_release(&req->ctrl->tail, dxg_to_le32(req->local + bad[i]));
		assert_int_equal(uguest_kick(g0), 0);
		expect_isolated_breakage();
	}
}

/* A record prefix that lies about its length: same outcome. */
static void test_corrupt_record_prefix(void **state)
{
	struct uguest *g0 = guest(0);
	struct dxg_ring *req = uguest_request_ring(g0);
	uint32_t off = req->local & (req->size - 1);
	dxg_le32 prefix[2] = { dxg_to_le32(req->size), 0 };	/* longer than what follows */

	(void)state;
	guest(1);
	memcpy(req->data + off, prefix, sizeof(prefix));
	dxg_store_release(&req->ctrl->tail, dxg_to_le32(req->local + 64));
	assert_int_equal(uguest_kick(g0), 0);
	expect_isolated_breakage();
}

/* An impossible reply-ring head (the guest is that ring's consumer): the worker stops replying. */
static void test_corrupt_reply_head(void **state)
{
	struct uguest *g0 = guest(0);
	struct dxg_ring *rep = uguest_reply_ring(g0);
	uint64_t id;

	(void)state;
	guest(1);
	expect_vm_healthy(g0);
	dxg_store_release(&rep->ctrl->head, dxg_to_le32(rep->local + 0x10000008u));
	/* The next reply cannot be written: the request is consumed, the VM marked broken. */
	assert_int_equal(uguest_send(g0, DXGW_OP_NOP, 0, NULL, 0, &id), 0);
	expect_isolated_breakage();
}

static void test_shutdown(void **state)
{
	(void)state;
	harness_shutdown(vm, 2);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_records),
		cmocka_unit_test(test_truncated_header),
		cmocka_unit_test(test_bad_envelope),
		cmocka_unit_test(test_unknown_opcodes),
		cmocka_unit_test(test_bad_bodies),
		cmocka_unit_test(test_max_size_record),
		cmocka_unit_test(test_random_garbage),
		cmocka_unit_test(test_corrupt_request_tail),
		cmocka_unit_test(test_corrupt_record_prefix),
		cmocka_unit_test(test_corrupt_reply_head),
		cmocka_unit_test(test_shutdown),
	};

	return harness_run(argc, argv, "host-hostile", tests, sizeof(tests) / sizeof(tests[0]), 2);
}
