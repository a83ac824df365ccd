// SPDX-License-Identifier: MIT
/*
 * A GPU VA space: reservations (exact, anywhere, windows, overlaps, limits), mappings (replace,
 * trim, split), unmap, free, copy, unmap_allocation, translate, clone/swap batches, the entry
 * limit, and a randomized run against a page-array model.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <misc/d3dkmthk.h>

#include "gpuva.h"

#define PAGE DXGW_GPUVA_PAGE
#define VA_MIN DXGW_GPUVA_MIN
#define VA_LIMIT DXGW_GPUVA_LIMIT
#define PROT_W D3DDDIGPUVA_PROTECTION_WRITE
#define PROT_X D3DDDIGPUVA_PROTECTION_EXECUTE
#define PROT_ZERO D3DDDIGPUVA_PROTECTION_ZERO
#define PROT_NONE D3DDDIGPUVA_PROTECTION_NO_ACCESS
#define PROT_SYS D3DDDIGPUVA_PROTECTION_SYSTEM_USE_ONLY
#define RES_NO_ACCESS D3DDDIGPUVA_RESERVE_NO_ACCESS
#define RES_ZERO D3DDDIGPUVA_RESERVE_ZERO
#define RES_NO_COMMIT D3DDDIGPUVA_RESERVE_NO_COMMIT

/* Stand-ins for allocations: the space only compares their addresses. */
static char alloc_a, alloc_b, alloc_c;

static struct gpuva_target target(void *allocation, uint64_t pages, uint64_t offset_pages,
				  uint64_t protection)
{
	return (struct gpuva_target){
		.allocation = allocation,
		.allocation_size = pages * PAGE,
		.offset = offset_pages * PAGE,
		.protection = protection,
	};
}

static uint64_t reserve_ok(struct gpuva_space *s, uint64_t base, uint64_t minimum,
			   uint64_t maximum, uint64_t size)
{
	uint64_t va = 0;

	assert_int_equal(gpuva_reserve(s, base, minimum, maximum, size, RES_NO_ACCESS, &va), 0);
	assert_true(gpuva_check(s));
	return va;
}

static void map_ok(struct gpuva_space *s, uint64_t va, uint64_t pages, void *allocation,
		   uint64_t alloc_pages, uint64_t offset_pages, uint64_t protection)
{
	struct gpuva_target t = target(allocation, alloc_pages, offset_pages, protection);

	assert_int_equal(gpuva_map(s, va, pages * PAGE, &t), 0);
	assert_true(gpuva_check(s));
}

/* va must translate to `allocation` at `offset_pages` (readable; writable as `writable` says). */
static void assert_maps(const struct gpuva_space *s, uint64_t va, const void *allocation,
			uint64_t offset_pages, bool writable)
{
	void *got = NULL;
	uint64_t offset = UINT64_MAX;

	assert_int_equal(gpuva_translate(s, va, PAGE, false, &got, &offset), 0);
	assert_ptr_equal(got, allocation);
	assert_int_equal(offset, offset_pages * PAGE);
	assert_int_equal(gpuva_translate(s, va, PAGE, true, NULL, NULL), writable ? 0 : -EACCES);
}

static void assert_unmapped(const struct gpuva_space *s, uint64_t va)
{
	assert_int_equal(gpuva_translate(s, va, PAGE, false, NULL, NULL), -EFAULT);
}

static void test_reserve_exact(void **state)
{
	struct gpuva_space *s = gpuva_space_create(64);
	uint64_t va = 0;

	(void)state;
	assert_non_null(s);
	assert_true(gpuva_check(s));
	assert_int_equal(gpuva_reservation_count(s), 0);
	assert_int_equal(gpuva_reserve(s, 0x100000, 0, 0, 0x10000, RES_ZERO, &va), 0);
	assert_int_equal(va, 0x100000);
	/* The very first and the very last pages of the usable space. */
	assert_int_equal(reserve_ok(s, VA_MIN, 0, 0, PAGE), VA_MIN);
	assert_int_equal(reserve_ok(s, VA_LIMIT - PAGE, 0, 0, PAGE), VA_LIMIT - PAGE);
	/* Touching neighbours are not overlaps. */
	assert_int_equal(reserve_ok(s, 0x110000, 0, 0, PAGE), 0x110000);
	assert_int_equal(reserve_ok(s, 0x100000 - PAGE, 0, 0, PAGE), 0x100000 - PAGE);
	assert_int_equal(gpuva_reservation_count(s), 5);
	assert_int_equal(gpuva_mapping_count(s), 0);
	/* Every reservation type is accepted. */
	assert_int_equal(gpuva_reserve(s, 0x200000, 0, 0, PAGE, RES_NO_COMMIT, NULL), 0);
	assert_true(gpuva_check(s));
	gpuva_space_destroy(s);
	gpuva_space_destroy(NULL);
}

static void test_reserve_rejects_bad_ranges(void **state)
{
	struct gpuva_space *s = gpuva_space_create(64);
	const uint64_t r = 0x100000, rsize = 0x10000;
	const struct {
		uint64_t base, minimum, maximum, size;
		uint32_t type;
	} bad[] = {
		{ r, 0, 0, rsize, 0 },			/* the same range */
		{ r - PAGE, 0, 0, 2 * PAGE, 0 },	/* overlaps its first page */
		{ r + rsize - PAGE, 0, 0, 2 * PAGE, 0 },	/* overlaps its last page */
		{ r - PAGE, 0, 0, rsize + 2 * PAGE, 0 },	/* contains it */
		{ r + PAGE, 0, 0, PAGE, 0 },		/* inside it */
		{ 0x300000 + 1, 0, 0, PAGE, 0 },	/* misaligned base */
		{ 0x300000, 0, 0, PAGE + 1, 0 },	/* misaligned size */
		{ 0x300000, 0, 0, 0, 0 },		/* empty */
		{ 0, 0, 0, 0, 0 },
		{ 0, VA_MIN + 1, 0, PAGE, 0 },		/* misaligned window */
		{ 0, 0, 0x400001, PAGE, 0 },
		{ 0x300000, 0, 0, PAGE, 3 },		/* unknown reservation type */
		{ 0x300000, 0, 0, PAGE, UINT32_MAX },
		{ VA_MIN - PAGE, 0, 0, PAGE, 0 },	/* below the usable space */
		{ PAGE, 0, 0, PAGE, 0 },
		{ VA_LIMIT - PAGE, 0, 0, 2 * PAGE, 0 },	/* past its end */
		{ VA_LIMIT, 0, 0, PAGE, 0 },
		{ 0, 0, 0, VA_LIMIT, 0 },		/* larger than the space */
		{ UINT64_MAX - PAGE + 1, 0, 0, 2 * PAGE, 0 },	/* base + size wraps */
		{ 0x300000, 0, 0, UINT64_MAX - PAGE + 1, 0 },
		{ 0x300000, 0x400000, 0, PAGE, 0 },	/* base below the window */
		{ 0x300000, 0, 0x300000, PAGE, 0 },	/* base at the window's end */
		{ 0x300000, 0x300000, 0x302000, 3 * PAGE, 0 },	/* larger than the window */
		{ 0, 0x300000, 0x302000, 3 * PAGE, 0 },
		{ 0, 0x300000, 0x300000, PAGE, 0 },	/* empty window */
		{ 0, 0x400000, 0x300000, PAGE, 0 },	/* inverted window */
		{ 0, VA_LIMIT, 0, PAGE, 0 },		/* window past the space */
		{ 0, UINT64_MAX - PAGE + 1, 0, PAGE, 0 },
	};

	(void)state;
	assert_non_null(s);
	reserve_ok(s, r, 0, 0, rsize);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t va = 0x5a5a;

		if (gpuva_reserve(s, bad[i].base, bad[i].minimum, bad[i].maximum, bad[i].size,
				  bad[i].type, &va) != -EINVAL)
			fail_msg("case %zu accepted", i);
		assert_int_equal(va, 0x5a5a);
		assert_int_equal(gpuva_reservation_count(s), 1);
		assert_true(gpuva_check(s));
	}
	gpuva_space_destroy(s);
}

static void test_reserve_anywhere_and_windows(void **state)
{
	struct gpuva_space *s = gpuva_space_create(64);
	uint64_t va;

	(void)state;
	assert_non_null(s);
	/* Lowest first, packed. */
	assert_int_equal(reserve_ok(s, 0, 0, 0, 2 * PAGE), VA_MIN);
	assert_int_equal(reserve_ok(s, 0, 0, 0, 2 * PAGE), VA_MIN + 2 * PAGE);
	/* With a block at 0x20000, a 0x10000 range does not fit the 0xc000 hole before it. */
	reserve_ok(s, 0x20000, 0, 0, 0x10000);
	assert_int_equal(reserve_ok(s, 0, 0, 0, 0x10000), 0x30000);
	/* A smaller one does. */
	assert_int_equal(reserve_ok(s, 0, 0, 0, 0xc000), VA_MIN + 4 * PAGE);

	/* A window: two fit, the third finds no room. */
	assert_int_equal(reserve_ok(s, 0, 0x100000, 0x110000, 0x8000), 0x100000);
	assert_int_equal(reserve_ok(s, 0, 0x100000, 0x110000, 0x8000), 0x108000);
	assert_int_equal(gpuva_reserve(s, 0, 0x100000, 0x110000, PAGE, 0, &va), -ENOMEM);
	/* The window's hole between reservations is found. */
	assert_int_equal(gpuva_free(s, 0x100000, 0x8000), 0);
	assert_int_equal(reserve_ok(s, 0, 0x100000, 0x110000, 0x4000), 0x100000);
	assert_int_equal(reserve_ok(s, 0, 0x100000, 0x110000, 0x4000), 0x104000);
	assert_int_equal(gpuva_reserve(s, 0, 0x100000, 0x110000, PAGE, 0, &va), -ENOMEM);
	/* A window starting inside a reservation begins after it. */
	assert_int_equal(reserve_ok(s, 0, 0x10c000, 0x200000, PAGE), 0x110000);
	/* A minimum below DXGW_GPUVA_MIN is clamped up; the hole below 0x20000 is full now. */
	assert_int_equal(reserve_ok(s, 0, 0, 0x30000 + 0x20000, PAGE), 0x40000);
	/* A maximum past the limit is clamped down. */
	assert_int_equal(reserve_ok(s, 0, VA_LIMIT - 2 * PAGE, UINT64_MAX - PAGE + 1, 2 * PAGE),
			 VA_LIMIT - 2 * PAGE);
	assert_int_equal(gpuva_reserve(s, 0, VA_LIMIT - 2 * PAGE, 0, PAGE, 0, &va), -ENOMEM);
	/* An exact base obeys the window too. */
	assert_int_equal(reserve_ok(s, 0x500000, 0x500000, 0x501000, PAGE), 0x500000);
	assert_true(gpuva_check(s));
	gpuva_space_destroy(s);
}

static void test_map_replaces_trims_and_splits(void **state)
{
	struct gpuva_space *s = gpuva_space_create(64);
	uint64_t r;

	(void)state;
	assert_non_null(s);
	r = reserve_ok(s, 0x100000, 0, 0, 16 * PAGE);
	map_ok(s, r, 16, &alloc_a, 32, 0, PROT_W);
	assert_int_equal(gpuva_mapping_count(s), 1);
	for (uint64_t p = 0; p < 16; p++)
		assert_maps(s, r + p * PAGE, &alloc_a, p, true);

	/* B in the middle splits A in two; A's right part keeps its own offsets. */
	map_ok(s, r + 4 * PAGE, 4, &alloc_b, 4, 0, 0);
	assert_int_equal(gpuva_mapping_count(s), 3);
	assert_maps(s, r + 3 * PAGE, &alloc_a, 3, true);
	assert_maps(s, r + 4 * PAGE, &alloc_b, 0, false);
	assert_maps(s, r + 7 * PAGE, &alloc_b, 3, false);
	assert_maps(s, r + 8 * PAGE, &alloc_a, 8, true);
	assert_maps(s, r + 15 * PAGE, &alloc_a, 15, true);

	/* C over [2, 10) trims A's left part, swallows B, trims A's right part. */
	map_ok(s, r + 2 * PAGE, 8, &alloc_c, 8, 0, PROT_W | PROT_X);
	assert_int_equal(gpuva_mapping_count(s), 3);
	assert_maps(s, r + 1 * PAGE, &alloc_a, 1, true);
	assert_maps(s, r + 2 * PAGE, &alloc_c, 0, true);
	assert_maps(s, r + 9 * PAGE, &alloc_c, 7, true);
	assert_maps(s, r + 10 * PAGE, &alloc_a, 10, true);

	/* The same range again: an exact replacement. */
	map_ok(s, r + 2 * PAGE, 8, &alloc_b, 16, 8, PROT_W);
	assert_int_equal(gpuva_mapping_count(s), 3);
	assert_maps(s, r + 2 * PAGE, &alloc_b, 8, true);

	/* A mapping ending exactly at another's start trims nothing. */
	map_ok(s, r, 2, &alloc_c, 2, 0, 0);
	assert_int_equal(gpuva_mapping_count(s), 3);
	assert_maps(s, r, &alloc_c, 0, false);
	assert_maps(s, r + 2 * PAGE, &alloc_b, 8, true);

	/* Everything at once. */
	map_ok(s, r, 16, &alloc_a, 16, 0, PROT_W);
	assert_int_equal(gpuva_mapping_count(s), 1);
	assert_maps(s, r + 5 * PAGE, &alloc_a, 5, true);
	gpuva_space_destroy(s);
}

static void test_map_rejects_bad_requests(void **state)
{
	struct gpuva_space *s = gpuva_space_create(64);
	uint64_t r1, r2, r3;
	struct gpuva_target ok = target(&alloc_a, 8, 0, PROT_W);

	(void)state;
	assert_non_null(s);
	r1 = reserve_ok(s, 0x100000, 0, 0, 8 * PAGE);
	r2 = reserve_ok(s, r1 + 8 * PAGE, 0, 0, 8 * PAGE);	/* touches r1 */
	r3 = reserve_ok(s, VA_LIMIT - 4 * PAGE, 0, 0, 4 * PAGE);
	map_ok(s, r1, 8, &alloc_b, 8, 0, 0);

	const struct {
		uint64_t va, size;
		struct gpuva_target t;
	} bad[] = {
		{ 0x200000, PAGE, ok },				/* no reservation */
		{ r1 - PAGE, 2 * PAGE, ok },			/* starts before r1 */
		{ r1 + 7 * PAGE, 2 * PAGE, ok },		/* r1 and r2: not one reservation */
		{ r2 + 7 * PAGE, 2 * PAGE, ok },		/* past r2's end */
		{ r1 + 1, PAGE, ok },				/* misaligned va */
		{ r1, PAGE + 1, ok },				/* misaligned size */
		{ r1, 0, ok },					/* empty */
		{ 0, PAGE, ok },
		{ r3, UINT64_MAX - PAGE + 1, ok },		/* va + size wraps */
		{ r1, 9 * PAGE, target(&alloc_a, 16, 0, 0) },	/* bigger than r1 */
		{ r1, PAGE, target(NULL, 8, 0, 0) },		/* no allocation */
		{ r1, PAGE, target(&alloc_a, 8, 0, 1ull << 5) },	/* unknown protection */
		{ r1, PAGE, target(&alloc_a, 8, 0, 1ull << 63) },
		{ r1, 2 * PAGE, target(&alloc_a, 8, 7, 0) },	/* past the allocation's end */
		{ r1, PAGE, target(&alloc_a, 8, 8, 0) },
		{ r1, PAGE, target(&alloc_a, 0, 0, 0) },
		{ r1, PAGE, { &alloc_a, 8 * PAGE, 1, 0 } },	/* misaligned offset */
		{ r1, 2 * PAGE, { &alloc_a, 5000, 0, 0 } },	/* allocation not page sized */
		{ r1, PAGE, { &alloc_a, UINT64_MAX, UINT64_MAX - PAGE + 1, 0 } },	/* wraps */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (gpuva_map(s, bad[i].va, bad[i].size, &bad[i].t) != -EINVAL)
			fail_msg("case %zu accepted", i);
		assert_int_equal(gpuva_mapping_count(s), 1);
		assert_maps(s, r1, &alloc_b, 0, false);
		assert_true(gpuva_check(s));
	}
	assert_int_equal(gpuva_map(s, r1, PAGE, NULL), -EINVAL);
	/* The last page of the usable space maps fine. */
	map_ok(s, VA_LIMIT - PAGE, 1, &alloc_a, 1, 0, PROT_W);
	assert_maps(s, VA_LIMIT - PAGE, &alloc_a, 0, true);
	gpuva_space_destroy(s);
}

static void test_unmap_partial(void **state)
{
	struct gpuva_space *s = gpuva_space_create(64);
	uint64_t r, other;

	(void)state;
	assert_non_null(s);
	r = reserve_ok(s, 0x100000, 0, 0, 16 * PAGE);
	other = reserve_ok(s, r + 16 * PAGE, 0, 0, 4 * PAGE);
	map_ok(s, r, 16, &alloc_a, 16, 0, PROT_W);
	map_ok(s, other, 4, &alloc_b, 4, 0, PROT_W);

	/* The middle: A splits around the hole. */
	assert_int_equal(gpuva_unmap(s, r + 4 * PAGE, 4 * PAGE), 0);
	assert_int_equal(gpuva_mapping_count(s), 3);
	assert_maps(s, r + 3 * PAGE, &alloc_a, 3, true);
	for (uint64_t p = 4; p < 8; p++)
		assert_unmapped(s, r + p * PAGE);
	assert_maps(s, r + 8 * PAGE, &alloc_a, 8, true);
	/* The front: trimmed. */
	assert_int_equal(gpuva_unmap(s, r, 2 * PAGE), 0);
	assert_unmapped(s, r + PAGE);
	assert_maps(s, r + 2 * PAGE, &alloc_a, 2, true);
	/* Over a hole and the start of a mapping. */
	assert_int_equal(gpuva_unmap(s, r + 6 * PAGE, 4 * PAGE), 0);
	assert_unmapped(s, r + 9 * PAGE);
	assert_maps(s, r + 10 * PAGE, &alloc_a, 10, true);
	/* Nothing mapped there: fine, nothing changes. */
	assert_int_equal(gpuva_unmap(s, r + 4 * PAGE, 2 * PAGE), 0);
	assert_int_equal(gpuva_mapping_count(s), 3);

	/* Not inside one reservation: refused, nothing changes. */
	assert_int_equal(gpuva_unmap(s, r + 15 * PAGE, 2 * PAGE), -EINVAL);
	assert_int_equal(gpuva_unmap(s, r - PAGE, 2 * PAGE), -EINVAL);
	assert_int_equal(gpuva_unmap(s, 0x800000, PAGE), -EINVAL);
	assert_int_equal(gpuva_unmap(s, r + 1, PAGE), -EINVAL);
	assert_int_equal(gpuva_unmap(s, r, 0), -EINVAL);
	assert_int_equal(gpuva_unmap(s, r, UINT64_MAX - PAGE + 1), -EINVAL);
	assert_maps(s, r + 15 * PAGE, &alloc_a, 15, true);
	assert_maps(s, other, &alloc_b, 0, true);

	/* The whole reservation. */
	assert_int_equal(gpuva_unmap(s, r, 16 * PAGE), 0);
	assert_int_equal(gpuva_mapping_count(s), 1);
	assert_int_equal(gpuva_reservation_count(s), 2);
	assert_maps(s, other, &alloc_b, 0, true);
	assert_true(gpuva_check(s));
	gpuva_space_destroy(s);
}

static void test_free_is_exact(void **state)
{
	struct gpuva_space *s = gpuva_space_create(64);
	uint64_t r, other;

	(void)state;
	assert_non_null(s);
	r = reserve_ok(s, 0x100000, 0, 0, 16 * PAGE);
	other = reserve_ok(s, r + 16 * PAGE, 0, 0, 4 * PAGE);
	map_ok(s, r, 4, &alloc_a, 4, 0, PROT_W);
	map_ok(s, r + 8 * PAGE, 8, &alloc_b, 8, 0, PROT_W);
	map_ok(s, other, 4, &alloc_c, 4, 0, PROT_W);

	const struct {
		uint64_t base, size;
	} bad[] = {
		{ r, 8 * PAGE }, { r + 4 * PAGE, 12 * PAGE }, { r, 17 * PAGE }, { r, 20 * PAGE },
		{ r, 0 }, { r + PAGE, 15 * PAGE }, { r - PAGE, 17 * PAGE }, { 0x800000, PAGE },
		{ 0, 0 }, { r + 1, 16 * PAGE }, { r, UINT64_MAX },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (gpuva_free(s, bad[i].base, bad[i].size) != -EINVAL)
			fail_msg("case %zu accepted", i);
		assert_int_equal(gpuva_reservation_count(s), 2);
		assert_int_equal(gpuva_mapping_count(s), 3);
	}

	assert_int_equal(gpuva_free(s, r, 16 * PAGE), 0);
	assert_int_equal(gpuva_reservation_count(s), 1);
	assert_int_equal(gpuva_mapping_count(s), 1);
	assert_unmapped(s, r);
	assert_unmapped(s, r + 8 * PAGE);
	assert_maps(s, other, &alloc_c, 0, true);
	assert_int_equal(gpuva_free(s, r, 16 * PAGE), -EINVAL);
	/* The range is free again, for a different shape. */
	assert_int_equal(reserve_ok(s, 0, 0x100000, 0, 20 * PAGE), other + 4 * PAGE);
	assert_int_equal(reserve_ok(s, 0, 0x100000, 0, 16 * PAGE), r);
	assert_true(gpuva_check(s));
	gpuva_space_destroy(s);
}

static void test_copy(void **state)
{
	struct gpuva_space *s = gpuva_space_create(64);
	uint64_t r1, r2;

	(void)state;
	assert_non_null(s);
	r1 = reserve_ok(s, 0x100000, 0, 0, 12 * PAGE);
	r2 = reserve_ok(s, 0x200000, 0, 0, 12 * PAGE);
	/* r1: hole, A [2, 6), hole, B [8, 10) read-only at B's page 3, hole. */
	map_ok(s, r1 + 2 * PAGE, 4, &alloc_a, 4, 0, PROT_W);
	map_ok(s, r1 + 8 * PAGE, 2, &alloc_b, 8, 3, PROT_X);
	/* r2 fully mapped by C: the copy must replace it, holes included. */
	map_ok(s, r2, 12, &alloc_c, 12, 0, PROT_W);

	assert_int_equal(gpuva_copy(s, r1, r2, 12 * PAGE), 0);
	assert_true(gpuva_check(s));
	assert_int_equal(gpuva_mapping_count(s), 4);
	for (uint64_t p = 0; p < 12; p++) {
		if (p >= 2 && p < 6)
			assert_maps(s, r2 + p * PAGE, &alloc_a, p - 2, true);
		else if (p >= 8 && p < 10)
			assert_maps(s, r2 + p * PAGE, &alloc_b, p - 8 + 3, false);
		else
			assert_unmapped(s, r2 + p * PAGE);
	}
	/* The source is untouched. */
	assert_maps(s, r1 + 2 * PAGE, &alloc_a, 0, true);
	assert_maps(s, r1 + 9 * PAGE, &alloc_b, 4, false);

	/* A clipped source [4, 9) into r2 [0, 5): A's tail, a hole, B's head. */
	map_ok(s, r2, 12, &alloc_c, 12, 0, PROT_W);
	assert_int_equal(gpuva_copy(s, r1 + 4 * PAGE, r2, 5 * PAGE), 0);
	assert_maps(s, r2, &alloc_a, 2, true);
	assert_maps(s, r2 + PAGE, &alloc_a, 3, true);
	assert_unmapped(s, r2 + 2 * PAGE);
	assert_unmapped(s, r2 + 3 * PAGE);
	assert_maps(s, r2 + 4 * PAGE, &alloc_b, 3, false);
	assert_maps(s, r2 + 5 * PAGE, &alloc_c, 5, true);
	assert_true(gpuva_check(s));

	/* Overlapping, inside one reservation: as if the source were read first. */
	map_ok(s, r2, 8, &alloc_c, 12, 0, PROT_W);
	assert_int_equal(gpuva_copy(s, r2, r2 + 2 * PAGE, 6 * PAGE), 0);
	assert_maps(s, r2, &alloc_c, 0, true);
	assert_maps(s, r2 + PAGE, &alloc_c, 1, true);
	for (uint64_t p = 2; p < 8; p++)
		assert_maps(s, r2 + p * PAGE, &alloc_c, p - 2, true);
	assert_true(gpuva_check(s));
	/* And the other direction. */
	map_ok(s, r2, 8, &alloc_c, 12, 0, PROT_W);
	assert_int_equal(gpuva_copy(s, r2 + 2 * PAGE, r2, 6 * PAGE), 0);
	for (uint64_t p = 0; p < 6; p++)
		assert_maps(s, r2 + p * PAGE, &alloc_c, p + 2, true);
	assert_maps(s, r2 + 6 * PAGE, &alloc_c, 6, true);
	/* Onto itself: nothing changes but the entries' boundaries. */
	assert_int_equal(gpuva_copy(s, r2, r2, 12 * PAGE), 0);
	assert_maps(s, r2 + 3 * PAGE, &alloc_c, 5, true);
	assert_true(gpuva_check(s));

	/* Either range outside one reservation: refused. */
	assert_int_equal(gpuva_copy(s, r1 + 8 * PAGE, r2, 8 * PAGE), -EINVAL);
	assert_int_equal(gpuva_copy(s, r1, r2 + 8 * PAGE, 8 * PAGE), -EINVAL);
	assert_int_equal(gpuva_copy(s, 0x800000, r2, PAGE), -EINVAL);
	assert_int_equal(gpuva_copy(s, r1, r2, 0), -EINVAL);
	assert_int_equal(gpuva_copy(s, r1 + 1, r2, PAGE), -EINVAL);
	assert_int_equal(gpuva_copy(s, r1, r2, UINT64_MAX - PAGE + 1), -EINVAL);
	assert_maps(s, r2 + 3 * PAGE, &alloc_c, 5, true);
	gpuva_space_destroy(s);
}

static void test_unmap_allocation(void **state)
{
	struct gpuva_space *s = gpuva_space_create(64);
	uint64_t r1, r2;

	(void)state;
	assert_non_null(s);
	r1 = reserve_ok(s, 0x100000, 0, 0, 8 * PAGE);
	r2 = reserve_ok(s, 0x200000, 0, 0, 8 * PAGE);
	for (uint64_t p = 0; p < 8; p++)
		map_ok(s, r1 + p * PAGE, 1, p % 2 ? &alloc_a : &alloc_b, 8, p, PROT_W);
	map_ok(s, r2, 8, &alloc_a, 8, 0, PROT_W);
	assert_int_equal(gpuva_mapping_count(s), 9);

	gpuva_unmap_allocation(s, &alloc_a);
	assert_true(gpuva_check(s));
	assert_int_equal(gpuva_mapping_count(s), 4);
	assert_int_equal(gpuva_reservation_count(s), 2);
	for (uint64_t p = 0; p < 8; p++) {
		if (p % 2)
			assert_unmapped(s, r1 + p * PAGE);
		else
			assert_maps(s, r1 + p * PAGE, &alloc_b, p, true);
	}
	assert_unmapped(s, r2);
	/* Unknown or already removed allocations: nothing to do. */
	gpuva_unmap_allocation(s, &alloc_a);
	gpuva_unmap_allocation(s, &alloc_c);
	gpuva_unmap_allocation(s, NULL);
	assert_int_equal(gpuva_mapping_count(s), 4);
	/* The reservations still take mappings. */
	map_ok(s, r2, 8, &alloc_c, 8, 0, PROT_W);
	gpuva_space_destroy(s);
}

static void test_translate_bounds(void **state)
{
	struct gpuva_space *s = gpuva_space_create(64);
	uint64_t r, offset = 0;
	void *allocation = NULL;

	(void)state;
	assert_non_null(s);
	r = reserve_ok(s, 0x100000, 0, 0, 8 * PAGE);
	map_ok(s, r, 4, &alloc_a, 8, 1, PROT_W);
	/* Contiguous with the first, in VA and in the allocation, but an entry of its own. */
	map_ok(s, r + 4 * PAGE, 2, &alloc_a, 8, 5, PROT_W);

	/* Byte granular inside a mapping. */
	assert_int_equal(gpuva_translate(s, r + 0x123, 1, false, &allocation, &offset), 0);
	assert_ptr_equal(allocation, &alloc_a);
	assert_int_equal(offset, PAGE + 0x123);
	assert_int_equal(gpuva_translate(s, r, 4 * PAGE, true, NULL, &offset), 0);
	assert_int_equal(offset, PAGE);
	assert_int_equal(gpuva_translate(s, r + 4 * PAGE - 1, 1, true, NULL, &offset), 0);
	assert_int_equal(offset, 5 * PAGE - 1);

	/* Crossing the end of the mapping, even into the next one: -EFAULT. */
	assert_int_equal(gpuva_translate(s, r + 4 * PAGE - 1, 2, false, NULL, NULL), -EFAULT);
	assert_int_equal(gpuva_translate(s, r, 4 * PAGE + 1, false, NULL, NULL), -EFAULT);
	assert_int_equal(gpuva_translate(s, r + 5 * PAGE, 2 * PAGE, false, NULL, NULL), -EFAULT);
	/* Holes, the reserved but unmapped tail, outside everything, len 0, wrapping. */
	assert_int_equal(gpuva_translate(s, r + 6 * PAGE, 1, false, NULL, NULL), -EFAULT);
	assert_int_equal(gpuva_translate(s, r - 1, 1, false, NULL, NULL), -EFAULT);
	assert_int_equal(gpuva_translate(s, 0, 1, false, NULL, NULL), -EFAULT);
	assert_int_equal(gpuva_translate(s, r, 0, false, NULL, NULL), -EFAULT);
	assert_int_equal(gpuva_translate(s, r, UINT64_MAX, false, NULL, NULL), -EFAULT);
	assert_int_equal(gpuva_translate(s, UINT64_MAX, 1, false, NULL, NULL), -EFAULT);
	assert_int_equal(gpuva_translate(s, UINT64_MAX, UINT64_MAX, false, NULL, NULL), -EFAULT);
	/* Nothing is written on failure. */
	allocation = NULL;
	offset = 77;
	assert_int_equal(gpuva_translate(s, r + 7 * PAGE, 1, false, &allocation, &offset), -EFAULT);
	assert_null(allocation);
	assert_int_equal(offset, 77);
	gpuva_space_destroy(s);
}

static void test_translate_protection(void **state)
{
	static const struct {
		uint64_t protection;
		int read, write;
	} cases[] = {
		{ 0, 0, -EACCES },
		{ PROT_W, 0, 0 },
		{ PROT_X, 0, -EACCES },
		{ PROT_W | PROT_X, 0, 0 },
		{ PROT_W | PROT_SYS, 0, 0 },
		{ PROT_NONE, -EACCES, -EACCES },
		{ PROT_NONE | PROT_W, -EACCES, -EACCES },
		{ PROT_ZERO, -EACCES, -EACCES },
		{ PROT_ZERO | PROT_W, -EACCES, -EACCES },
	};
	static const uint32_t types[] = { RES_NO_ACCESS, RES_ZERO, RES_NO_COMMIT };

	(void)state;
	/* The reservation type never matters for mapped pages (see gpuva.h). */
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		struct gpuva_space *s = gpuva_space_create(64);
		uint64_t r = 0;

		assert_non_null(s);
		assert_int_equal(gpuva_reserve(s, 0, 0, 0, 16 * PAGE, types[t], &r), 0);
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct gpuva_target tg = target(&alloc_a, 1, 0, cases[i].protection);
			uint64_t va = r + i * PAGE;

			assert_int_equal(gpuva_map(s, va, PAGE, &tg), 0);
			if (gpuva_translate(s, va, 8, false, NULL, NULL) != cases[i].read ||
			    gpuva_translate(s, va, 8, true, NULL, NULL) != cases[i].write)
				fail_msg("type %zu, protection %#llx", t,
					 (unsigned long long)cases[i].protection);
		}
		/* An unmapped page of any type faults. */
		assert_unmapped(s, r + 15 * PAGE);
		gpuva_space_destroy(s);
	}
}

static void test_map_new(void **state)
{
	struct gpuva_space *s = gpuva_space_create(64);
	struct gpuva_target t = target(&alloc_a, 8, 2, PROT_W);
	struct gpuva_target bad = target(&alloc_a, 8, 7, PROT_W);
	uint64_t va = 0, va2 = 0;

	(void)state;
	assert_non_null(s);
	assert_int_equal(gpuva_map_new(s, 0, 0, 4 * PAGE, &t, &va), 0);
	assert_int_equal(va, VA_MIN);
	assert_int_equal(gpuva_reservation_count(s), 1);
	assert_int_equal(gpuva_mapping_count(s), 1);
	assert_maps(s, va + 3 * PAGE, &alloc_a, 5, true);
	assert_int_equal(gpuva_map_new(s, 0x100000, 0, 2 * PAGE, &t, &va2), 0);
	assert_int_equal(va2, 0x100000);

	/* Refused before anything is reserved. */
	assert_int_equal(gpuva_map_new(s, 0, 0, 2 * PAGE, &bad, &va), -EINVAL);
	assert_int_equal(gpuva_map_new(s, 0, 0, 2 * PAGE, NULL, &va), -EINVAL);
	assert_int_equal(gpuva_map_new(s, 0, 0, 0, &t, &va), -EINVAL);
	assert_int_equal(gpuva_map_new(s, 0, 0, PAGE + 1, &t, &va), -EINVAL);
	assert_int_equal(gpuva_map_new(s, 0x100000, 0x102000, 2 * PAGE, &t, &va), -ENOMEM);
	assert_int_equal(va, VA_MIN);
	assert_int_equal(gpuva_reservation_count(s), 2);
	assert_int_equal(gpuva_mapping_count(s), 2);

	/* The implicit reservation is an ordinary one. */
	assert_int_equal(gpuva_free(s, va, 2 * PAGE), -EINVAL);
	assert_int_equal(gpuva_free(s, va, 4 * PAGE), 0);
	assert_int_equal(gpuva_mapping_count(s), 1);
	assert_true(gpuva_check(s));
	gpuva_space_destroy(s);
}

static void test_entry_limit(void **state)
{
	struct gpuva_space *s = gpuva_space_create(3);
	struct gpuva_space *none = gpuva_space_create(0);
	struct gpuva_target t = target(&alloc_b, 4, 0, PROT_W);
	uint64_t r, va = 0;

	(void)state;
	assert_non_null(s);
	assert_non_null(none);
	assert_int_equal(gpuva_reserve(none, 0, 0, 0, PAGE, 0, &va), -ENOMEM);
	assert_int_equal(gpuva_reservation_count(none), 0);
	gpuva_space_destroy(none);

	r = reserve_ok(s, 0x100000, 0, 0, 16 * PAGE);
	map_ok(s, r, 16, &alloc_a, 16, 0, PROT_W);	/* 2 entries */
	/* A split needs 3 mappings + 1 reservation: one too many, and nothing changes. */
	assert_int_equal(gpuva_map(s, r + 4 * PAGE, 4 * PAGE, &t), -ENOMEM);
	assert_int_equal(gpuva_mapping_count(s), 1);
	assert_maps(s, r + 5 * PAGE, &alloc_a, 5, true);
	/* A trim at the front needs one more entry only: that is the third. */
	assert_int_equal(gpuva_map(s, r, 4 * PAGE, &t), 0);
	assert_int_equal(gpuva_mapping_count(s), 2);
	/* Full now: an unmap that splits a mapping needs an entry too. */
	assert_int_equal(gpuva_unmap(s, r + 8 * PAGE, 2 * PAGE), -ENOMEM);
	assert_maps(s, r + 9 * PAGE, &alloc_a, 9, true);
	assert_int_equal(gpuva_reserve(s, 0, 0, 0, PAGE, 0, &va), -ENOMEM);
	assert_int_equal(gpuva_reserve(s, 0x200000, 0, 0, PAGE, 0, &va), -ENOMEM);
	assert_int_equal(gpuva_map_new(s, 0, 0, PAGE, &t, &va), -ENOMEM);
	assert_int_equal(gpuva_copy(s, r, r + 8 * PAGE, 8 * PAGE), -ENOMEM);
	assert_int_equal(gpuva_reservation_count(s), 1);
	assert_int_equal(gpuva_mapping_count(s), 2);
	/* Replacing in place or unmapping whole entries needs no new one. */
	assert_int_equal(gpuva_map(s, r, 4 * PAGE, &t), 0);
	assert_int_equal(gpuva_unmap(s, r, 4 * PAGE), 0);
	assert_int_equal(gpuva_mapping_count(s), 1);
	/* One entry free: map_new needs two, and leaves no reservation behind. */
	assert_int_equal(gpuva_map_new(s, 0, 0, PAGE, &t, &va), -ENOMEM);
	assert_int_equal(gpuva_reservation_count(s), 1);
	assert_int_equal(reserve_ok(s, 0, 0, 0, PAGE), VA_MIN);
	assert_int_equal(gpuva_free(s, VA_MIN, PAGE), 0);
	assert_int_equal(gpuva_free(s, r, 16 * PAGE), 0);
	assert_int_equal(gpuva_map_new(s, 0, 0, PAGE, &t, &va), 0);
	assert_true(gpuva_check(s));
	gpuva_space_destroy(s);
}

static void test_clone_swap_batches(void **state)
{
	struct gpuva_space *s = gpuva_space_create(16);
	struct gpuva_space *empty = gpuva_space_create(16);
	struct gpuva_space *c, *ec;
	struct gpuva_target t = target(&alloc_b, 8, 0, 0);
	uint64_t r;

	(void)state;
	assert_non_null(s);
	assert_non_null(empty);
	ec = gpuva_space_clone(empty);
	assert_non_null(ec);
	assert_true(gpuva_check(ec));
	assert_int_equal(gpuva_reservation_count(ec), 0);
	gpuva_space_destroy(ec);
	gpuva_space_destroy(empty);

	r = reserve_ok(s, 0x100000, 0, 0, 16 * PAGE);
	map_ok(s, r, 16, &alloc_a, 16, 0, PROT_W);

	/* A batch whose third operation fails: the space never sees the first two. */
	c = gpuva_space_clone(s);
	assert_non_null(c);
	assert_true(gpuva_check(c));
	assert_int_equal(gpuva_map(c, r, 8 * PAGE, &t), 0);
	assert_int_equal(gpuva_unmap(c, r + 8 * PAGE, 8 * PAGE), 0);
	assert_int_equal(gpuva_map(c, r + 16 * PAGE, PAGE, &t), -EINVAL);
	gpuva_space_destroy(c);
	assert_int_equal(gpuva_mapping_count(s), 1);
	assert_maps(s, r, &alloc_a, 0, true);
	assert_maps(s, r + 15 * PAGE, &alloc_a, 15, true);

	/* A batch that succeeds: swapped in whole; the clone then holds the old state. */
	c = gpuva_space_clone(s);
	assert_non_null(c);
	assert_int_equal(gpuva_map(c, r, 8 * PAGE, &t), 0);
	assert_int_equal(gpuva_unmap(c, r + 8 * PAGE, 8 * PAGE), 0);
	assert_int_equal(gpuva_reserve(c, 0x200000, 0, 0, PAGE, 0, NULL), 0);
	/* The original did not move while the clone changed. */
	assert_maps(s, r, &alloc_a, 0, true);
	assert_int_equal(gpuva_reservation_count(s), 1);
	gpuva_space_swap(s, c);
	assert_true(gpuva_check(s));
	assert_true(gpuva_check(c));
	assert_maps(s, r, &alloc_b, 0, false);
	assert_unmapped(s, r + 8 * PAGE);
	assert_int_equal(gpuva_reservation_count(s), 2);
	assert_maps(c, r + 8 * PAGE, &alloc_a, 8, true);
	assert_int_equal(gpuva_reservation_count(c), 1);
	gpuva_space_destroy(c);

	/* The clone keeps the entry limit, and grows past its exact-size arrays. */
	c = gpuva_space_clone(s);
	assert_non_null(c);
	for (uint64_t p = 0; p < 14; p++) {
		/* 3 entries used, 13 left. */
		assert_int_equal(gpuva_reserve(c, 0x300000 + 2 * p * PAGE, 0, 0, PAGE, 0, NULL),
				 p < 13 ? 0 : -ENOMEM);
	}
	assert_true(gpuva_check(c));
	assert_int_equal(gpuva_reservation_count(s), 2);
	gpuva_space_destroy(c);
	gpuva_space_destroy(s);
}

/* ---- randomized run against a page-array model ---- */

enum {
	AREA_PAGES = 96,	/* the model covers [VA_MIN, VA_MIN + 96 pages) */
	MODEL_ALLOCS = 4,
	MODEL_MAX_ENTRIES = 24,	/* small, so the entry limit is hit often */
	MODEL_STEPS = 20000,
};

static char model_allocations[MODEL_ALLOCS];
static const uint32_t model_alloc_pages[MODEL_ALLOCS] = { 8, 16, 32, 64 };
static const uint64_t model_protections[] = {
	0, PROT_W, PROT_W | PROT_X, PROT_X, PROT_NONE, PROT_ZERO, PROT_W | PROT_SYS,
};

/*
 * Per page: the reservation id and the mapping id (0: none), the allocation, its page and the
 * protection. A mapping id stands for one entry of the space: a map or a copied piece gets a
 * fresh id, a trimmed or split mapping keeps its id in every part. Parts of one id are never
 * adjacent (only a new id can fill the gap between them), so the number of entries is the
 * number of runs of equal ids: the model predicts the entry limit exactly.
 */
struct va_model {
	uint32_t res[AREA_PAGES];
	uint32_t seg[AREA_PAGES];
	uint8_t alloc[AREA_PAGES];
	uint32_t alloc_page[AREA_PAGES];
	uint64_t prot[AREA_PAGES];
	uint32_t next_id;
};

static uint64_t next_random(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

/* splitmix64's finaliser: independent-looking bits from the same step's random word. */
static uint64_t remix(uint64_t r)
{
	r = (r ^ (r >> 30)) * 0xBF58476D1CE4E5B9ull;
	r = (r ^ (r >> 27)) * 0x94D049BB133111EBull;
	return r ^ (r >> 31);
}

static uint64_t page_va(uint32_t page)
{
	return VA_MIN + (uint64_t)page * PAGE;
}

static uint32_t model_runs(const uint32_t *ids)
{
	uint32_t runs = 0;

	for (uint32_t p = 0; p < AREA_PAGES; p++)
		runs += ids[p] && (p == 0 || ids[p - 1] != ids[p]);
	return runs;
}

static uint32_t model_entries(const struct va_model *m)
{
	return model_runs(m->res) + model_runs(m->seg);
}

static bool model_inside_one_reservation(const struct va_model *m, uint32_t page, uint32_t n)
{
	if (!n || page >= AREA_PAGES || n > AREA_PAGES - page || !m->res[page])
		return false;
	for (uint32_t p = page; p < page + n; p++) {
		if (m->res[p] != m->res[page])
			return false;
	}
	return true;
}

static void model_clear_mapping(struct va_model *m, uint32_t p)
{
	m->seg[p] = 0;
	m->alloc[p] = 0;
	m->alloc_page[p] = 0;
	m->prot[p] = 0;
}

/*
 * Picks a range for map, unmap or copy. Three times in four it starts on a random page and, if
 * that page is reserved, stays inside its reservation (the interesting, mostly valid case);
 * otherwise the range is random and mostly invalid. *n is at most max_n.
 */
static void pick_range(const struct va_model *m, uint64_t r, uint32_t max_n, uint32_t *page,
		       uint32_t *n)
{
	uint32_t end;

	*page = (uint32_t)(r % AREA_PAGES);
	if ((r >> 8) % 4 == 0 || !m->res[*page]) {
		*n = 1 + (uint32_t)((r >> 10) % max_n);
		return;
	}
	for (end = *page; end < AREA_PAGES && m->res[end] == m->res[*page]; end++)
		;
	if (end - *page < max_n)
		max_n = end - *page;
	*n = 1 + (uint32_t)((r >> 10) % max_n);
}

/* Compares a result with the model's prediction; the step number makes failures findable. */
static void expect_rc(int got, int want, uint32_t step, const char *what)
{
	if (got != want)
		fail_msg("step %u: %s returned %d, model says %d", step, what, got, want);
}

static int model_reserve(struct gpuva_space *s, struct va_model *m, uint64_t r, uint32_t step)
{
	uint32_t n = 1 + (r >> 8) % 12, type = (r >> 16) % 3, page = 0;
	bool anywhere = (r >> 20) & 1;
	uint64_t va = 0;
	int want = 0, got;

	if (anywhere) {
		uint32_t lo = (r >> 21) % 4 == 0 ? (uint32_t)((r >> 24) % AREA_PAGES) : 0;
		bool found = false;

		if (n > AREA_PAGES - lo) {
			want = -EINVAL;
		} else {
			for (page = lo; page + n <= AREA_PAGES && !found; page++) {
				found = true;
				for (uint32_t p = page; p < page + n; p++)
					found &= !m->res[p];
			}
			page--;
			if (!found || model_entries(m) >= MODEL_MAX_ENTRIES)
				want = -ENOMEM;
		}
		got = gpuva_reserve(s, 0, lo ? page_va(lo) : 0, page_va(AREA_PAGES), n * PAGE,
				    type, &va);
	} else {
		page = (r >> 24) % AREA_PAGES;
		if (n > AREA_PAGES - page) {
			want = -EINVAL;
		} else {
			for (uint32_t p = page; p < page + n; p++) {
				if (m->res[p])
					want = -EINVAL;
			}
			if (!want && model_entries(m) >= MODEL_MAX_ENTRIES)
				want = -ENOMEM;
		}
		got = gpuva_reserve(s, page_va(page), 0, page_va(AREA_PAGES), n * PAGE, type, &va);
	}
	expect_rc(got, want, step, "reserve");
	if (!got) {
		if (va != page_va(page))
			fail_msg("step %u: reserved at %#llx, model says page %u", step,
				 (unsigned long long)va, page);
		m->next_id++;
		for (uint32_t p = page; p < page + n; p++)
			m->res[p] = m->next_id;
	}
	return got;
}

static int model_free(struct gpuva_space *s, struct va_model *m, uint64_t r, uint32_t step)
{
	uint32_t page = (r >> 8) % AREA_PAGES, first = page, end = page;
	uint64_t base, size;
	int want = -EINVAL, got;

	if (m->res[page]) {
		while (first && m->res[first - 1] == m->res[page])
			first--;
		while (end < AREA_PAGES && m->res[end] == m->res[page])
			end++;
		base = page_va(first);
		size = (uint64_t)(end - first) * PAGE;
		switch ((r >> 16) % 4) {
		case 0:
			size += PAGE;
			break;
		case 1:
			base += PAGE;
			size -= PAGE;
			break;
		default:
			want = 0;
			break;
		}
	} else {
		base = page_va(page);
		size = PAGE;
	}
	got = gpuva_free(s, base, size);
	expect_rc(got, want, step, "free");
	if (!got) {
		for (uint32_t p = first; p < end; p++) {
			m->res[p] = 0;
			model_clear_mapping(m, p);
		}
	}
	return got;
}

static int model_map(struct gpuva_space *s, struct va_model *m, uint64_t r, uint32_t step)
{
	uint32_t page, n, k = (r >> 24) % MODEL_ALLOCS, offset;
	uint64_t prot = model_protections[(r >> 36) % 7];
	bool bad_prot = (r >> 40) % 64 == 0;
	struct gpuva_target t = {
		.allocation = &model_allocations[k],
		.allocation_size = (uint64_t)model_alloc_pages[k] * PAGE,
		.protection = bad_prot ? prot | (1ull << 9) : prot,
	};
	struct va_model next = *m;
	int want = 0, got;

	pick_range(m, remix(r), 16, &page, &n);
	/* Mostly an offset that fits the allocation, sometimes any offset. */
	if ((r >> 46) % 8 && n <= model_alloc_pages[k])
		offset = (r >> 28) % (model_alloc_pages[k] - n + 1);
	else
		offset = (r >> 28) % model_alloc_pages[k];
	t.offset = (uint64_t)offset * PAGE;
	if (bad_prot || !model_inside_one_reservation(m, page, n) ||
	    offset + n > model_alloc_pages[k]) {
		want = -EINVAL;
	} else {
		next.next_id++;
		for (uint32_t i = 0; i < n; i++) {
			next.seg[page + i] = next.next_id;
			next.alloc[page + i] = (uint8_t)k;
			next.alloc_page[page + i] = offset + i;
			next.prot[page + i] = prot;
		}
		if (model_entries(&next) > MODEL_MAX_ENTRIES)
			want = -ENOMEM;
	}
	got = gpuva_map(s, page_va(page), n * PAGE, &t);
	expect_rc(got, want, step, "map");
	if (!got)
		*m = next;
	return got;
}

static int model_unmap(struct gpuva_space *s, struct va_model *m, uint64_t r, uint32_t step)
{
	uint32_t page, n;
	struct va_model next = *m;
	int want = 0, got;

	pick_range(m, remix(r), 12, &page, &n);
	if (!model_inside_one_reservation(m, page, n)) {
		want = -EINVAL;
	} else {
		for (uint32_t i = 0; i < n; i++)
			model_clear_mapping(&next, page + i);
		if (model_entries(&next) > MODEL_MAX_ENTRIES)
			want = -ENOMEM;
	}
	got = gpuva_unmap(s, page_va(page), n * PAGE);
	expect_rc(got, want, step, "unmap");
	if (!got)
		*m = next;
	return got;
}

static int model_copy(struct gpuva_space *s, struct va_model *m, uint64_t r, uint32_t step)
{
	uint32_t src, dst, n, dst_n;
	struct va_model next = *m;
	int want = 0, got;

	pick_range(m, remix(r), 10, &src, &n);
	pick_range(m, remix(~r), 10, &dst, &dst_n);
	if (dst_n < n)
		n = dst_n;
	if (!model_inside_one_reservation(m, src, n) || !model_inside_one_reservation(m, dst, n)) {
		want = -EINVAL;
	} else {
		/* Reads come from *m, writes go to next: the source is read first. */
		for (uint32_t i = 0; i < n; i++) {
			if (!m->seg[src + i]) {
				model_clear_mapping(&next, dst + i);
				continue;
			}
			if (i == 0 || m->seg[src + i - 1] != m->seg[src + i])
				next.next_id++;
			next.seg[dst + i] = next.next_id;
			next.alloc[dst + i] = m->alloc[src + i];
			next.alloc_page[dst + i] = m->alloc_page[src + i];
			next.prot[dst + i] = m->prot[src + i];
		}
		if (model_entries(&next) > MODEL_MAX_ENTRIES)
			want = -ENOMEM;
	}
	got = gpuva_copy(s, page_va(src), page_va(dst), n * PAGE);
	expect_rc(got, want, step, "copy");
	if (!got)
		*m = next;
	return got;
}

static int model_unmap_allocation(struct gpuva_space *s, struct va_model *m, uint64_t r)
{
	uint8_t k = (uint8_t)((r >> 8) % MODEL_ALLOCS);

	gpuva_unmap_allocation(s, &model_allocations[k]);
	for (uint32_t p = 0; p < AREA_PAGES; p++) {
		if (m->seg[p] && m->alloc[p] == k)
			model_clear_mapping(m, p);
	}
	return 0;
}

static int model_step(struct gpuva_space *s, struct va_model *m, uint64_t r, uint32_t step)
{
	switch (r % 16) {
	case 0: case 1: case 2:
		return model_reserve(s, m, r, step);
	case 3: case 4:
		return model_free(s, m, r, step);
	case 5: case 6: case 7: case 8: case 9:
		return model_map(s, m, r, step);
	case 10: case 11:
		return model_unmap(s, m, r, step);
	case 12: case 13:
		return model_copy(s, m, r, step);
	default:
		return model_unmap_allocation(s, m, r);
	}
}

static int expected_translate(const struct va_model *m, uint32_t page, uint32_t n, bool write)
{
	if (!n || page + n > AREA_PAGES || !m->seg[page])
		return -EFAULT;
	for (uint32_t p = page; p < page + n; p++) {
		if (m->seg[p] != m->seg[page])
			return -EFAULT;
	}
	if (m->prot[page] & (PROT_NONE | PROT_ZERO))
		return -EACCES;
	if (write && !(m->prot[page] & PROT_W))
		return -EACCES;
	return 0;
}

static void assert_space_matches_model(const struct gpuva_space *s, const struct va_model *m,
				       uint64_t r, uint32_t step)
{
	uint32_t span_page = (r >> 8) % AREA_PAGES, span = 1 + (r >> 16) % 8;

	if (!gpuva_check(s))
		fail_msg("step %u: gpuva_check failed", step);
	if (gpuva_reservation_count(s) != model_runs(m->res) ||
	    gpuva_mapping_count(s) != model_runs(m->seg))
		fail_msg("step %u: %u reservations, %u mappings; model says %u, %u", step,
			 gpuva_reservation_count(s), gpuva_mapping_count(s), model_runs(m->res),
			 model_runs(m->seg));
	for (uint32_t p = 0; p < AREA_PAGES; p++) {
		for (int write = 0; write < 2; write++) {
			void *allocation = NULL;
			uint64_t offset = 0;
			int got = gpuva_translate(s, page_va(p), PAGE, write, &allocation, &offset);

			expect_rc(got, expected_translate(m, p, 1, write), step, "translate");
			if (!got && (allocation != &model_allocations[m->alloc[p]] ||
				     offset != (uint64_t)m->alloc_page[p] * PAGE))
				fail_msg("step %u: page %u translates wrongly", step, p);
		}
	}
	/* One multi-page span per step: it must lie inside one entry. */
	expect_rc(gpuva_translate(s, page_va(span_page), span * PAGE, false, NULL, NULL),
		  expected_translate(m, span_page, span, false), step, "span translate");
}

static void test_randomized_against_model(void **state)
{
	struct gpuva_space *s = gpuva_space_create(MODEL_MAX_ENTRIES);
	struct va_model *m = calloc(1, sizeof(*m));
	uint64_t seed = 0xD1B54A32D192ED03ull;
	uint32_t ok = 0, failed = 0, batches = 0, batches_applied = 0;

	(void)state;
	assert_non_null(s);
	assert_non_null(m);
	for (uint32_t step = 0; step < MODEL_STEPS; step++) {
		uint64_t r = next_random(&seed);

		if (r % 64 == 63) {
			/* An UPDATE-style batch: all or nothing through clone and swap. */
			struct gpuva_space *c = gpuva_space_clone(s);
			struct va_model next = *m;
			uint32_t ops = 1 + (r >> 8) % 3;
			bool all_ok = true;

			assert_non_null(c);
			for (uint32_t i = 0; i < ops && all_ok; i++)
				all_ok = model_step(c, &next, next_random(&seed), step) == 0;
			if (all_ok) {
				gpuva_space_swap(s, c);
				*m = next;
				batches_applied++;
			}
			gpuva_space_destroy(c);
			batches++;
		} else if (model_step(s, m, r, step)) {
			failed++;
		} else {
			ok++;
		}
		assert_space_matches_model(s, m, next_random(&seed), step);
	}
	/* Both outcomes, and both batch outcomes, must have happened many times. */
	assert_true(ok > 5000);
	assert_true(failed > 2000);
	assert_true(batches_applied > 20);
	assert_true(batches - batches_applied > 20);
	gpuva_space_destroy(s);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reserve_exact),
		cmocka_unit_test(test_reserve_rejects_bad_ranges),
		cmocka_unit_test(test_reserve_anywhere_and_windows),
		cmocka_unit_test(test_map_replaces_trims_and_splits),
		cmocka_unit_test(test_map_rejects_bad_requests),
		cmocka_unit_test(test_unmap_partial),
		cmocka_unit_test(test_free_is_exact),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_unmap_allocation),
		cmocka_unit_test(test_translate_bounds),
		cmocka_unit_test(test_translate_protection),
		cmocka_unit_test(test_map_new),
		cmocka_unit_test(test_entry_limit),
		cmocka_unit_test(test_clone_swap_batches),
		cmocka_unit_test(test_randomized_against_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
