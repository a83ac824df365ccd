// SPDX-License-Identifier: MIT
/* The worker's handle table: format, lookups, delayed reuse, uniqueness wrap, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <opendxg/handle.h>

#include "handle_table.h"

static int obj_a, obj_b;

static uint32_t alloc_ok(struct handle_table *t, uint8_t type, uint32_t owner, void *obj)
{
	uint32_t h = 0;

	assert_int_equal(handle_table_alloc(t, type, owner, obj, &h), 0);
	assert_int_not_equal(h, 0);
	return h;
}

static void test_first_handle_format(void **state)
{
	struct handle_table t;
	uint32_t h;

	(void)state;
	handle_table_init(&t, 100);
	h = alloc_ok(&t, DXG_HTYPE_DEVICE, 0x1234, &obj_a);
	/* Index 1 (index 0 is never issued), uniqueness 1, instance 0. */
	assert_int_equal(h, dxg_handle_make(1, 1));
	assert_int_equal(h, 0x40000040u);
	assert_int_equal(dxg_handle_instance(h), 0);
	assert_int_equal(handle_table_live(&t), 1);
	handle_table_fini(&t);
}

static void test_lookup_checks_everything(void **state)
{
	struct handle_table t;
	uint32_t h;

	(void)state;
	handle_table_init(&t, 100);
	h = alloc_ok(&t, DXG_HTYPE_DEVICE, 0x1234, &obj_a);
	assert_ptr_equal(handle_table_lookup(&t, h, DXG_HTYPE_DEVICE, 0x1234), &obj_a);
	/* Wrong type, wrong owner, VM scope vs process scope. */
	assert_null(handle_table_lookup(&t, h, DXG_HTYPE_CONTEXT, 0x1234));
	assert_null(handle_table_lookup(&t, h, DXG_HTYPE_DEVICE, 0x1235));
	assert_null(handle_table_lookup(&t, h, DXG_HTYPE_DEVICE, 0));
	assert_null(handle_table_lookup(&t, h, DXG_HTYPE_FREE, 0x1234));
	/* Instance bits, other uniqueness values, index 0, indices past the table. */
	assert_null(handle_table_lookup(&t, h | 1u, DXG_HTYPE_DEVICE, 0x1234));
	assert_null(handle_table_lookup(&t, h | 0x20u, DXG_HTYPE_DEVICE, 0x1234));
	for (uint32_t u = 0; u <= DXG_HANDLE_UNIQUE_MAX; u++) {
		if (u != 1)
			assert_null(handle_table_lookup(&t, dxg_handle_make(1, u), DXG_HTYPE_DEVICE,
							0x1234));
	}
	assert_null(handle_table_lookup(&t, 0, DXG_HTYPE_DEVICE, 0x1234));
	assert_null(handle_table_lookup(&t, dxg_handle_make(0, 1), DXG_HTYPE_DEVICE, 0x1234));
	assert_null(handle_table_lookup(&t, dxg_handle_make(2, 1), DXG_HTYPE_DEVICE, 0x1234));
	assert_null(handle_table_lookup(&t, dxg_handle_make(DXG_HANDLE_INDEX_MAX, 1),
					DXG_HTYPE_DEVICE, 0x1234));
	assert_null(handle_table_lookup(&t, 0xffffffffu, DXG_HTYPE_DEVICE, 0x1234));
	handle_table_fini(&t);
}

static void test_alloc_rejects_bad_arguments(void **state)
{
	struct handle_table t;
	uint32_t h = 0;

	(void)state;
	handle_table_init(&t, 100);
	assert_int_equal(handle_table_alloc(&t, DXG_HTYPE_FREE, 0, &obj_a, &h), -ENOMEM);
	assert_int_equal(handle_table_alloc(&t, DXG_HTYPE_DEVICE, 0, NULL, &h), -ENOMEM);
	assert_int_equal(handle_table_live(&t), 0);
	handle_table_fini(&t);
}

static void test_free_and_destroyed(void **state)
{
	struct handle_table t;
	uint32_t h, h2;

	(void)state;
	handle_table_init(&t, 100);
	h = alloc_ok(&t, DXG_HTYPE_CONTEXT, 7, &obj_a);
	h2 = alloc_ok(&t, DXG_HTYPE_CONTEXT, 7, &obj_b);
	assert_true(handle_table_mark_destroyed(&t, h));
	assert_null(handle_table_lookup(&t, h, DXG_HTYPE_CONTEXT, 7));
	assert_ptr_equal(handle_table_lookup(&t, h2, DXG_HTYPE_CONTEXT, 7), &obj_b);
	assert_int_equal(handle_table_live(&t), 2);
	assert_true(handle_table_free(&t, h));
	assert_int_equal(handle_table_live(&t), 1);
	/* Freeing twice, a stale value or garbage changes nothing. */
	assert_false(handle_table_free(&t, h));
	assert_false(handle_table_mark_destroyed(&t, h));
	assert_false(handle_table_free(&t, 0));
	assert_false(handle_table_free(&t, h2 | 1u));
	assert_false(handle_table_free(&t, dxg_handle_make(500, 1)));
	assert_int_equal(handle_table_live(&t), 1);
	assert_true(handle_table_free(&t, h2));
	assert_int_equal(handle_table_live(&t), 0);
	handle_table_fini(&t);
}

/*
 * A freed slot goes to the tail of the free list, behind every slot that was free before it, and
 * the table grows while fewer than HANDLE_TABLE_KEEP_FREE are free: the first slot comes back
 * only after the rest of the first chunk (1022 slots) has been handed out.
 */
static void test_reuse_is_delayed_fifo(void **state)
{
	struct handle_table t;
	uint32_t first, second, h = 0;

	(void)state;
	handle_table_init(&t, 1u << 20);
	first = alloc_ok(&t, DXG_HTYPE_DEVICE, 1, &obj_a);
	second = alloc_ok(&t, DXG_HTYPE_DEVICE, 1, &obj_a);
	assert_true(handle_table_free(&t, first));
	assert_true(handle_table_free(&t, second));
	for (uint32_t i = 3; i < HANDLE_TABLE_CHUNK; i++) {
		h = alloc_ok(&t, DXG_HTYPE_DEVICE, 1, &obj_b);
		assert_int_equal(dxg_handle_index(h), i);
	}
	/* Slots 1 and 2 come back in the order they were freed, with the next uniqueness. */
	h = alloc_ok(&t, DXG_HTYPE_DEVICE, 1, &obj_b);
	assert_int_equal(h, dxg_handle_make(1, 2));
	h = alloc_ok(&t, DXG_HTYPE_DEVICE, 1, &obj_b);
	assert_int_equal(h, dxg_handle_make(2, 2));
	/* The stale values still fail; the chunk the table grew by comes next. */
	assert_null(handle_table_lookup(&t, first, DXG_HTYPE_DEVICE, 1));
	assert_null(handle_table_lookup(&t, second, DXG_HTYPE_DEVICE, 1));
	h = alloc_ok(&t, DXG_HTYPE_DEVICE, 1, &obj_b);
	assert_int_equal(dxg_handle_index(h), HANDLE_TABLE_CHUNK);
	handle_table_fini(&t);
}

/* Uniqueness runs 1, 2, 3, 1: 0 is never issued, so a zeroed high part never matches. */
static void test_unique_wraps_without_zero(void **state)
{
	struct handle_table t;
	const uint32_t slots = HANDLE_TABLE_CHUNK - 1;	/* slots of the first chunk */
	uint32_t seen[5];

	(void)state;
	handle_table_init(&t, 16);
	for (int round = 0; round < 5; round++) {
		for (uint32_t i = 0; i < slots; i++) {
			uint32_t h = alloc_ok(&t, DXG_HTYPE_SYNCOBJECT, 0, &obj_a);

			assert_int_equal(dxg_handle_index(h), i + 1);
			assert_int_not_equal(dxg_handle_unique(h), 0);
			if (i == 0)
				seen[round] = h;
			assert_true(handle_table_free(&t, h));
		}
	}
	assert_int_equal(seen[0], dxg_handle_make(1, 1));
	assert_int_equal(seen[1], dxg_handle_make(1, 2));
	assert_int_equal(seen[2], dxg_handle_make(1, 3));
	assert_int_equal(seen[3], dxg_handle_make(1, 1));
	assert_int_equal(seen[4], dxg_handle_make(1, 2));
	assert_int_equal(t.capacity, HANDLE_TABLE_CHUNK);	/* no growth while all is free */
	handle_table_fini(&t);
}

static void test_live_cap(void **state)
{
	struct handle_table t;
	uint32_t h[4], extra = 0;

	(void)state;
	handle_table_init(&t, 4);
	for (int i = 0; i < 4; i++)
		h[i] = alloc_ok(&t, DXG_HTYPE_DEVICE, 9, &obj_a);
	assert_int_equal(handle_table_alloc(&t, DXG_HTYPE_DEVICE, 9, &obj_a, &extra), -ENOMEM);
	assert_int_equal(extra, 0);
	assert_int_equal(handle_table_live(&t), 4);
	assert_true(handle_table_free(&t, h[2]));
	extra = alloc_ok(&t, DXG_HTYPE_DEVICE, 9, &obj_b);
	assert_ptr_equal(handle_table_lookup(&t, extra, DXG_HTYPE_DEVICE, 9), &obj_b);
	assert_int_equal(handle_table_alloc(&t, DXG_HTYPE_DEVICE, 9, &obj_a, &extra), -ENOMEM);
	handle_table_fini(&t);
}

/*
 * WSL#12476: freeing a handle while the free list is empty must start a new list, not link from a
 * tail that does not exist. Fill every slot, free one, and check the list works afterwards.
 */
static void test_free_into_empty_free_list(void **state)
{
	struct handle_table t;
	const uint32_t slots = 64;
	uint32_t handles[64];
	uint32_t h = 0;

	(void)state;
	handle_table_init_sized(&t, slots - 1, slots);
	for (uint32_t i = 1; i < slots; i++)
		handles[i] = alloc_ok(&t, DXG_HTYPE_DEVICE, 0, &obj_a);
	assert_int_equal(t.free_count, 0);
	assert_int_equal(handle_table_alloc(&t, DXG_HTYPE_DEVICE, 0, &obj_a, &h), -ENOMEM);

	assert_true(handle_table_free(&t, handles[17]));
	assert_int_equal(t.free_count, 1);
	h = alloc_ok(&t, DXG_HTYPE_DEVICE, 0, &obj_b);
	/* At the slot limit the table reuses at once rather than fail. */
	assert_int_equal(h, dxg_handle_make(17, 2));
	assert_int_equal(t.free_count, 0);

	/* Free everything, in an order that is not the allocation order; all slots come back. */
	assert_true(handle_table_free(&t, h));
	for (uint32_t i = slots - 1; i >= 1; i--) {
		if (i != 17)
			assert_true(handle_table_free(&t, handles[i]));
	}
	assert_int_equal(handle_table_live(&t), 0);
	assert_int_equal(t.free_count, slots - 1);
	h = alloc_ok(&t, DXG_HTYPE_DEVICE, 0, &obj_a);
	assert_int_equal(h, dxg_handle_make(17, 3));	/* freed first, reused first */
	for (uint32_t i = 2; i < slots; i++)
		alloc_ok(&t, DXG_HTYPE_DEVICE, 0, &obj_a);
	assert_int_equal(handle_table_live(&t), slots - 1);
	assert_int_equal(handle_table_alloc(&t, DXG_HTYPE_DEVICE, 0, &obj_a, &h), -ENOMEM);
	handle_table_fini(&t);
}

/* Grown to its limit, the table keeps working and never issues an index past the format. */
static void test_growth_limit(void **state)
{
	struct handle_table t;
	uint32_t h = 0;

	(void)state;
	handle_table_init(&t, 3000);
	assert_int_equal(t.capacity_limit, 4096);	/* 3000 + 128 + 1, rounded to chunks */
	for (uint32_t i = 0; i < 3000; i++)
		alloc_ok(&t, DXG_HTYPE_RESOURCE, 5, &obj_a);
	assert_int_equal(handle_table_alloc(&t, DXG_HTYPE_RESOURCE, 5, &obj_a, &h), -ENOMEM);
	assert_true(t.capacity <= t.capacity_limit);
	handle_table_fini(&t);

	handle_table_init_sized(&t, UINT32_MAX, UINT32_MAX);
	assert_int_equal(t.capacity_limit, DXG_HANDLE_INDEX_MAX + 1);
	assert_int_equal(t.max_live, DXG_HANDLE_INDEX_MAX);
	handle_table_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_handle_format),
		cmocka_unit_test(test_lookup_checks_everything),
		cmocka_unit_test(test_alloc_rejects_bad_arguments),
		cmocka_unit_test(test_free_and_destroyed),
		cmocka_unit_test(test_reuse_is_delayed_fifo),
		cmocka_unit_test(test_unique_wraps_without_zero),
		cmocka_unit_test(test_live_cap),
		cmocka_unit_test(test_free_into_empty_free_list),
		cmocka_unit_test(test_growth_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
