/* SPDX-License-Identifier: MIT */
/*
 * dxgd through the user-space guest: attaching like QEMU, CONNECT, NOP, adapter enumeration in
 * two VMs, several outstanding requests, and the one-guest-per-VM rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

static struct uguest *vm[2];

static struct uguest *guest(unsigned i)
{
	if (!vm[i])
		assert_int_equal(harness_connect(&harness_dxgd, i, NULL, &vm[i]), 0);
	return vm[i];
}

static void test_connect_info(void **state)
{
	struct uguest *g = guest(0);
	const struct dxg_region_header *h;
	struct uguest_info info;
	uint64_t size;

	(void)state;
	uguest_get_info(g, &info);
	assert_true(info.peer_id >= 1);
	assert_true(info.generation >= 1);
	assert_int_equal(info.host_version >> 16, DXG_PROTOCOL_MAJOR);
	assert_int_equal(info.connect_version >> 16, DXG_PROTOCOL_MAJOR);
	assert_true(info.max_message >= sizeof(struct dxgw_hdr));
	assert_int_equal(info.region_size, 8u << 20);
	assert_true(info.adapter_count >= 1);
	/* We asked for no features, so none are granted. */
	assert_int_equal(info.features, 0);
	assert_int_equal(uguest_generation(g), info.generation);

	h = uguest_region(g, &size);
	assert_int_equal(size, 8u << 20);
	assert_int_equal(dxg_from_le64(h->magic), DXG_REGION_MAGIC);
	assert_int_equal(dxg_from_le32(h->generation), info.generation);
	assert_int_equal(dxg_from_le32(h->state), DXG_REGION_STATE_READY);
}

static void test_nop(void **state)
{
	struct uguest *g = guest(0);
	struct uguest_stats before, after;

	(void)state;
	uguest_get_stats(g, &before);
	for (int i = 0; i < 2000; i++)
		assert_int_equal(uguest_nop(g), 0);
	uguest_get_stats(g, &after);
	assert_int_equal(after.requests - before.requests, 2000);
	assert_int_equal(after.replies - before.replies, 2000);
	assert_int_equal(uguest_pending_replies(g), 0);
}

/* CONNECT again: same generation, same answer. */
static void test_handshake_again(void **state)
{
	struct uguest *g = guest(0);
	struct uguest_info first, again;

	(void)state;
	uguest_get_info(g, &first);
	assert_int_equal(uguest_handshake(g, 0, &again), 0);
	assert_int_equal(again.generation, first.generation);
	assert_int_equal(again.adapter_count, first.adapter_count);
	/* Unknown feature bits are not granted. */
	assert_int_equal(uguest_handshake(g, ~0ull, &again), 0);
	assert_int_equal(again.features, 0);
}

static void test_enum_adapters_two_vms(void **state)
{
	struct uguest_adapter a0[DXGW_MAX_ADAPTERS], a1[DXGW_MAX_ADAPTERS];
	struct uguest_info info0, info1;
	uint32_t n0, n1;

	(void)state;
	assert_int_equal(uguest_enum_adapters(guest(0), a0, DXGW_MAX_ADAPTERS, &n0), 0);
	assert_int_equal(uguest_enum_adapters(guest(1), a1, DXGW_MAX_ADAPTERS, &n1), 0);
	uguest_get_info(guest(0), &info0);
	uguest_get_info(guest(1), &info1);
	assert_true(n0 >= 1);
	assert_int_equal(n0, n1);
	assert_int_equal(n0, info0.adapter_count);
	assert_int_equal(n1, info1.adapter_count);
	for (uint32_t i = 0; i < n0; i++) {
		printf("adapter %u: handle 0x%x luid 0x%08x:0x%08x flags 0x%x\n", i, a0[i].handle,
		       a0[i].luid_high, a0[i].luid_low, a0[i].flags);
		assert_int_not_equal(a0[i].handle, 0);
		assert_true(a0[i].luid_low != 0 || a0[i].luid_high != 0);
		/* One physical device, one LUID, in every VM. */
		assert_int_equal(a0[i].luid_low, a1[i].luid_low);
		assert_int_equal(a0[i].luid_high, a1[i].luid_high);
		assert_int_equal(a0[i].flags, a1[i].flags);
		assert_true(a0[i].flags & DXGW_ADAPTER_COMPUTE_ONLY);
		assert_int_equal(a0[i].flags & ~(DXGW_ADAPTER_COMPUTE_ONLY | DXGW_ADAPTER_SOFTWARE), 0);
		for (uint32_t j = 0; j < i; j++)
			assert_false(a0[i].luid_low == a0[j].luid_low &&
				     a0[i].luid_high == a0[j].luid_high);
	}

	/* A short buffer still reports the full count. */
	assert_int_equal(uguest_enum_adapters(guest(0), a0, 0, &n1), 0);
	assert_int_equal(n1, n0);
}

/* Several requests in flight from one thread; replies claimed in the opposite order. */
static void test_outstanding_requests(void **state)
{
	struct uguest *g = guest(0);
	uint64_t ids[16];
	unsigned char body[1100];
	uint32_t len;

	(void)state;
	for (int i = 0; i < 15; i++)
		assert_int_equal(uguest_send(g, DXGW_OP_NOP, 0, NULL, 0, &ids[i]), 0);
	assert_int_equal(uguest_send(g, DXGW_OP_ENUM_ADAPTERS, 0, NULL, 0, &ids[15]), 0);
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < i; j++)
			assert_true(ids[i] != ids[j]);

	/* Claiming the last one first parks the other fifteen replies. */
	assert_int_equal(uguest_wait(g, ids[15], body, sizeof(body), &len), 0);
	assert_true(len >= sizeof(struct dxgw_enum_adapters_reply) +
			   sizeof(struct dxgw_adapter_desc));
	assert_int_equal(uguest_pending_replies(g), 15);
	for (int i = 14; i >= 0; i--) {
		assert_int_equal(uguest_wait(g, ids[i], NULL, 0, &len), 0);
		assert_int_equal(len, 0);
	}
	assert_int_equal(uguest_pending_replies(g), 0);
}

/* Enough requests in flight to fill the request ring: sending must wait for space, not fail. */
static void test_fill_request_ring(void **state)
{
	struct uguest *g = guest(1);
	const uint32_t count = 40000;	/* 40 bytes a record: more than both rings hold */
	static uint64_t ids[40000];

	(void)state;
	for (uint32_t i = 0; i < count; i++)
		assert_int_equal(uguest_send(g, DXGW_OP_NOP, 0, NULL, 0, &ids[i]), 0);
	for (uint32_t i = 0; i < count; i++)
		assert_int_equal(uguest_wait(g, ids[i], NULL, 0, NULL), 0);
	assert_int_equal(uguest_pending_replies(g), 0);
}

/* Waiting for a reply that never comes times out with -ETIMEDOUT and nothing else breaks. */
static void test_wait_timeout(void **state)
{
	struct uguest *g = guest(0);

	(void)state;
	uguest_set_timeout(g, 200);
	assert_int_equal(uguest_wait(g, 0x7fff0000ull, NULL, 0, NULL), -ETIMEDOUT);
	uguest_set_timeout(g, 0);
	assert_int_equal(uguest_nop(g), 0);
}

/* A busy-polling guest gets the same answers. */
static void test_spin_mode(void **state)
{
	struct uguest *g = guest(0);
	struct uguest_adapter a[4];
	uint32_t n;

	(void)state;
	uguest_set_wait_mode(g, UGUEST_WAIT_SPIN);
	for (int i = 0; i < 2000; i++)
		assert_int_equal(uguest_nop(g), 0);
	assert_int_equal(uguest_enum_adapters(g, a, 4, &n), 0);
	assert_true(n >= 1);
	uguest_set_wait_mode(g, UGUEST_WAIT_BLOCK);
	assert_int_equal(uguest_nop(g), 0);
}

/* One region, one guest: a second client on the same socket is refused; the first carries on. */
static void test_second_guest_refused(void **state)
{
	struct uguest_options opt = { .timeout_ms = 2000 };
	struct uguest *second = NULL;
	int ret;

	(void)state;
	guest(0);
	ret = uguest_connect(harness_dxgd.vm_socket[0], &opt, &second);
	assert_null(second);
	assert_int_equal(ret, -EBUSY);
	assert_int_equal(uguest_nop(guest(0)), 0);
}

static void test_bad_connect_options(void **state)
{
	struct uguest_options opt = { .flags = 0x80 };
	struct uguest *g = (struct uguest *)&opt;

	(void)state;
	assert_int_equal(uguest_connect(harness_dxgd.vm_socket[0], &opt, &g), -EINVAL);
	assert_null(g);
	assert_int_equal(uguest_connect("/nonexistent/opendxg.sock", NULL, &g), -ENOENT);
}

static void test_shutdown(void **state)
{
	(void)state;
	harness_shutdown(vm, 2);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_info),
		cmocka_unit_test(test_nop),
		cmocka_unit_test(test_handshake_again),
		cmocka_unit_test(test_enum_adapters_two_vms),
		cmocka_unit_test(test_outstanding_requests),
		cmocka_unit_test(test_fill_request_ring),
		cmocka_unit_test(test_wait_timeout),
		cmocka_unit_test(test_spin_mode),
		cmocka_unit_test(test_second_guest_refused),
		cmocka_unit_test(test_bad_connect_options),
		cmocka_unit_test(test_shutdown),
	};

	return harness_run(argc, argv, "host-connect", tests, sizeof(tests) / sizeof(tests[0]), 2);
}
