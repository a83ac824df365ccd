// SPDX-License-Identifier: MIT
/*
 * The shared heap's allocator: argument checks, exact-free rejection, best fit, coalescing,
 * fragmentation, 100k live extents, and a randomized run against a page bitmap model.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "heap.h"

#define PAGE ((uint64_t)HEAP_PAGE)
#define BASE (0x40000ull)	/* a heap does not start at region offset 0 */

static uint64_t alloc_ok(struct dxg_heap *h, uint64_t pages)
{
	uint64_t offset = UINT64_MAX;

	assert_int_equal(heap_alloc(h, pages * PAGE, &offset), 0);
	assert_int_equal(offset % PAGE, 0);
	assert_true(offset >= h->base && offset - h->base + pages * PAGE <= h->size);
	return offset;
}

/* A snapshot of everything the public struct says, to prove that a refused call changed nothing. */
struct heap_counters {
	uint64_t free_bytes;
	uint32_t free_extents;
	uint32_t used_extents;
	uint64_t largest;
};

static struct heap_counters counters(const struct dxg_heap *h)
{
	return (struct heap_counters){
		.free_bytes = h->free_bytes,
		.free_extents = h->free_extents,
		.used_extents = h->used_extents,
		.largest = heap_largest_free(h),
	};
}

static void assert_unchanged(const struct dxg_heap *h, struct heap_counters before)
{
	struct heap_counters now = counters(h);

	assert_true(heap_check(h));
	assert_int_equal(now.free_bytes, before.free_bytes);
	assert_int_equal(now.free_extents, before.free_extents);
	assert_int_equal(now.used_extents, before.used_extents);
	assert_int_equal(now.largest, before.largest);
}

static void test_init_rejects_bad_geometry(void **state)
{
	struct dxg_heap h;

	(void)state;
	assert_int_equal(heap_init(&h, BASE + 1, 16 * PAGE), -EINVAL);
	assert_int_equal(heap_init(&h, BASE, 16 * PAGE + 512), -EINVAL);
	/* base + size wraps. */
	assert_int_equal(heap_init(&h, UINT64_MAX - PAGE + 1, 2 * PAGE), -EINVAL);
	/* More pages than the 32-bit extent counters could describe. */
	assert_int_equal(heap_init(&h, 0, (UINT32_MAX + 1ull) * PAGE), -EINVAL);
	/* A failed init leaves a zeroed struct that heap_fini accepts. */
	assert_null(h.first);
	assert_int_equal(h.size, 0);
	heap_fini(&h);
	heap_fini(&h);
}

static void test_empty_heap(void **state)
{
	struct dxg_heap h;
	uint64_t offset;

	(void)state;
	assert_int_equal(heap_init(&h, BASE, 0), 0);
	assert_true(heap_check(&h));
	assert_int_equal(h.free_bytes, 0);
	assert_int_equal(h.free_extents, 0);
	assert_int_equal(heap_largest_free(&h), 0);
	assert_int_equal(heap_alloc(&h, PAGE, &offset), -ENOMEM);
	assert_int_equal(heap_free(&h, BASE, PAGE), -EINVAL);
	heap_fini(&h);
}

static void test_alloc_rejects_bad_sizes(void **state)
{
	static const uint64_t bad[] = { 0, 1, PAGE - 1, PAGE + 1, 3 * PAGE - 8, UINT64_MAX };
	struct dxg_heap h;
	struct heap_counters before;
	uint64_t offset = 0x1234;

	(void)state;
	assert_int_equal(heap_init(&h, BASE, 16 * PAGE), 0);
	alloc_ok(&h, 3);
	before = counters(&h);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(heap_alloc(&h, bad[i], &offset), -EINVAL);
		assert_unchanged(&h, before);
	}
	/* Aligned but larger than anything free, the whole heap and the address space. */
	assert_int_equal(heap_alloc(&h, 14 * PAGE, &offset), -ENOMEM);
	assert_int_equal(heap_alloc(&h, 17 * PAGE, &offset), -ENOMEM);
	assert_int_equal(heap_alloc(&h, UINT64_MAX - PAGE + 1, &offset), -ENOMEM);
	assert_unchanged(&h, before);
	assert_int_equal(offset, 0x1234);
	heap_fini(&h);
}

static void test_alloc_free_roundtrip(void **state)
{
	struct dxg_heap h;
	uint64_t a, b, c;

	(void)state;
	assert_int_equal(heap_init(&h, BASE, 16 * PAGE), 0);
	assert_true(heap_check(&h));
	assert_int_equal(h.free_extents, 1);
	assert_int_equal(heap_largest_free(&h), 16 * PAGE);

	a = alloc_ok(&h, 1);
	b = alloc_ok(&h, 2);
	c = alloc_ok(&h, 13);
	/* Best fit carves from the low end of the single free extent, so allocations pack. */
	assert_int_equal(a, BASE);
	assert_int_equal(b, BASE + PAGE);
	assert_int_equal(c, BASE + 3 * PAGE);
	assert_int_equal(h.free_bytes, 0);
	assert_int_equal(h.free_extents, 0);
	assert_int_equal(h.used_extents, 3);
	assert_int_equal(heap_largest_free(&h), 0);
	assert_true(heap_check(&h));

	assert_int_equal(heap_free(&h, b, 2 * PAGE), 0);
	assert_int_equal(h.free_extents, 1);
	assert_int_equal(heap_largest_free(&h), 2 * PAGE);
	/* The freed pages are handed out again. */
	assert_int_equal(alloc_ok(&h, 2), b);
	assert_int_equal(heap_free(&h, a, PAGE), 0);
	assert_int_equal(heap_free(&h, b, 2 * PAGE), 0);
	assert_int_equal(heap_free(&h, c, 13 * PAGE), 0);
	assert_int_equal(h.free_extents, 1);
	assert_int_equal(h.used_extents, 0);
	assert_int_equal(h.free_bytes, 16 * PAGE);
	assert_true(heap_check(&h));
	heap_fini(&h);
	heap_fini(&h);
}

static void test_free_must_be_exact(void **state)
{
	struct dxg_heap h;
	struct heap_counters before;
	uint64_t a, b;

	(void)state;
	assert_int_equal(heap_init(&h, BASE, 16 * PAGE), 0);
	a = alloc_ok(&h, 2);
	b = alloc_ok(&h, 3);
	before = counters(&h);

	const struct {
		uint64_t offset, size;
	} bad[] = {
		{ a, PAGE },			/* the first half of an extent */
		{ a + PAGE, PAGE },		/* the second half */
		{ a, 3 * PAGE },		/* runs into the next extent */
		{ a, 5 * PAGE },		/* two extents at once */
		{ a, 0 },
		{ a + 1, 2 * PAGE },		/* misaligned */
		{ b + 3 * PAGE, PAGE },		/* free pages */
		{ b + 3 * PAGE, 11 * PAGE },	/* the whole free extent */
		{ BASE - PAGE, PAGE },		/* below the heap */
		{ BASE + 16 * PAGE, PAGE },	/* past it */
		{ UINT64_MAX - PAGE + 1, PAGE },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(heap_free(&h, bad[i].offset, bad[i].size), -EINVAL);
		assert_unchanged(&h, before);
	}

	assert_int_equal(heap_free(&h, a, 2 * PAGE), 0);
	/* A double free is an inexact free too. */
	before = counters(&h);
	assert_int_equal(heap_free(&h, a, 2 * PAGE), -EINVAL);
	assert_unchanged(&h, before);
	assert_int_equal(heap_free(&h, b, 3 * PAGE), 0);
	assert_int_equal(heap_free(&h, b, 3 * PAGE), -EINVAL);
	assert_int_equal(h.free_extents, 1);
	heap_fini(&h);
}

static void free_all_in_order(struct dxg_heap *h, const uint64_t *offsets, const size_t *order,
			      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(heap_free(h, offsets[order[i]], PAGE), 0);
		assert_true(heap_check(h));
	}
	assert_int_equal(h->free_extents, 1);
	assert_int_equal(h->used_extents, 0);
	assert_int_equal(h->free_bytes, h->size);
	assert_int_equal(heap_largest_free(h), h->size);
}

static void test_coalescing_restores_one_extent(void **state)
{
	enum { N = 64 };
	struct dxg_heap h;
	uint64_t offsets[N];
	size_t order[N];

	(void)state;
	assert_int_equal(heap_init(&h, BASE, N * PAGE), 0);
	for (int pattern = 0; pattern < 4; pattern++) {
		for (size_t i = 0; i < N; i++)
			offsets[i] = alloc_ok(&h, 1);
		assert_int_equal(h.free_extents, 0);
		for (size_t i = 0; i < N; i++) {
			switch (pattern) {
			case 0:	/* ascending: every free merges with its left neighbour */
				order[i] = i;
				break;
			case 1:	/* descending: with its right neighbour */
				order[i] = N - 1 - i;
				break;
			case 2:	/* odd ones first, then each even one bridges two */
				order[i] = i < N / 2 ? 2 * i + 1 : 2 * (i - N / 2);
				break;
			default: /* a fixed scramble: 37 is coprime to 64 */
				order[i] = (i * 37 + 11) % N;
				break;
			}
		}
		if (pattern == 2) {
			for (size_t i = 0; i < N / 2; i++)
				assert_int_equal(heap_free(&h, offsets[order[i]], PAGE), 0);
			/* Odd pages freed: 32 separate holes, nothing merged yet. */
			assert_int_equal(h.free_extents, N / 2);
			assert_int_equal(heap_largest_free(&h), PAGE);
			assert_true(heap_check(&h));
			free_all_in_order(&h, offsets, order + N / 2, N / 2);
		} else {
			free_all_in_order(&h, offsets, order, N);
		}
	}
	heap_fini(&h);
}

static void test_best_fit(void **state)
{
	struct dxg_heap h;
	uint64_t hole5, hole2a, hole3, hole2b, tail;
	uint64_t sep[4];

	(void)state;
	/* Holes of 5, 2, 3 and 2 pages, each followed by a used page, then a 16-page tail. */
	assert_int_equal(heap_init(&h, BASE, 32 * PAGE), 0);
	hole5 = alloc_ok(&h, 5);
	sep[0] = alloc_ok(&h, 1);
	hole2a = alloc_ok(&h, 2);
	sep[1] = alloc_ok(&h, 1);
	hole3 = alloc_ok(&h, 3);
	sep[2] = alloc_ok(&h, 1);
	hole2b = alloc_ok(&h, 2);
	sep[3] = alloc_ok(&h, 1);
	tail = BASE + 16 * PAGE;
	assert_int_equal(heap_free(&h, hole5, 5 * PAGE), 0);
	assert_int_equal(heap_free(&h, hole2a, 2 * PAGE), 0);
	assert_int_equal(heap_free(&h, hole3, 3 * PAGE), 0);
	assert_int_equal(heap_free(&h, hole2b, 2 * PAGE), 0);
	assert_int_equal(h.free_extents, 5);
	assert_true(heap_check(&h));

	/* Two equal best fits: the lower address wins, then the other one. */
	assert_int_equal(alloc_ok(&h, 2), hole2a);
	assert_int_equal(alloc_ok(&h, 2), hole2b);
	/* 3 pages: the 3-page hole, not the 5-page one that comes first. */
	assert_int_equal(alloc_ok(&h, 3), hole3);
	/* 4 pages: the 5-page hole beats the 16-page tail and leaves one page behind. */
	assert_int_equal(alloc_ok(&h, 4), hole5);
	assert_int_equal(alloc_ok(&h, 1), hole5 + 4 * PAGE);
	/* Only the tail is left. */
	assert_int_equal(h.free_extents, 1);
	assert_int_equal(heap_largest_free(&h), 16 * PAGE);
	assert_int_equal(alloc_ok(&h, 1), tail);
	(void)sep;
	assert_true(heap_check(&h));
	heap_fini(&h);
}

static void test_fragmentation_enomem(void **state)
{
	enum { N = 64 };
	struct dxg_heap h;
	struct heap_counters before;
	uint64_t offsets[N], offset;

	(void)state;
	assert_int_equal(heap_init(&h, BASE, N * PAGE), 0);
	for (size_t i = 0; i < N; i++)
		offsets[i] = alloc_ok(&h, 1);
	for (size_t i = 0; i < N; i += 2)
		assert_int_equal(heap_free(&h, offsets[i], PAGE), 0);
	/* Half the heap is free, but in single pages: two pages in a row do not exist. */
	assert_int_equal(h.free_bytes, N / 2 * PAGE);
	assert_int_equal(heap_largest_free(&h), PAGE);
	before = counters(&h);
	assert_int_equal(heap_alloc(&h, 2 * PAGE, &offset), -ENOMEM);
	assert_int_equal(heap_alloc(&h, N / 2 * PAGE, &offset), -ENOMEM);
	assert_unchanged(&h, before);
	/* Freeing one used page between two holes makes a 3-page extent. */
	assert_int_equal(heap_free(&h, offsets[5], PAGE), 0);
	assert_int_equal(heap_largest_free(&h), 3 * PAGE);
	assert_int_equal(alloc_ok(&h, 2), offsets[4]);
	assert_true(heap_check(&h));
	heap_fini(&h);
}

/*
 * The end of the 64-bit range: offsets near UINT64_MAX must not wrap anywhere. The highest
 * heap ends one page short of 2^64, since base + size itself must be representable.
 */
static void test_heap_at_top_of_range(void **state)
{
	const uint64_t end = UINT64_MAX - PAGE + 1;
	const uint64_t base = end - 16 * PAGE;
	struct dxg_heap h;
	uint64_t a, b;

	(void)state;
	assert_int_equal(heap_init(&h, base + PAGE, 16 * PAGE), -EINVAL);
	assert_int_equal(heap_init(&h, base, 16 * PAGE), 0);
	a = alloc_ok(&h, 15);
	b = alloc_ok(&h, 1);
	assert_int_equal(a, base);
	assert_int_equal(b, end - PAGE);
	assert_true(heap_check(&h));
	assert_int_equal(heap_free(&h, b, 2 * PAGE), -EINVAL);
	assert_int_equal(heap_free(&h, b, PAGE), 0);
	assert_int_equal(heap_free(&h, a, 15 * PAGE), 0);
	assert_int_equal(heap_largest_free(&h), 16 * PAGE);
	assert_true(heap_check(&h));
	heap_fini(&h);
}

/*
 * 100k live extents: what a 400 MiB heap of single pages looks like. Every call here is
 * O(log n); an O(n) scan per call would make this test take minutes instead of well under a
 * second.
 */
static void test_hundred_thousand_extents(void **state)
{
	enum { LIVE = 100000, TAIL = 50000, CYCLES = 10000 };
	struct dxg_heap h;
	uint64_t *offsets = malloc(LIVE * sizeof(*offsets));
	uint64_t offset;

	(void)state;
	assert_non_null(offsets);
	assert_int_equal(heap_init(&h, BASE, (uint64_t)(LIVE + TAIL) * PAGE), 0);
	for (size_t i = 0; i < LIVE; i++) {
		offsets[i] = alloc_ok(&h, 1);
		assert_int_equal(offsets[i], BASE + i * PAGE);
	}
	assert_int_equal(h.used_extents, LIVE);
	assert_true(heap_check(&h));

	/* Every other page freed: 50k one-page holes plus the tail. */
	for (size_t i = 0; i < LIVE; i += 2)
		assert_int_equal(heap_free(&h, offsets[i], PAGE), 0);
	assert_int_equal(h.free_extents, LIVE / 2 + 1);
	assert_int_equal(h.used_extents, LIVE / 2);
	assert_true(heap_check(&h));

	/* Create/destroy cycles of a 3-page allocation: only the tail fits, the holes stay. */
	for (size_t i = 0; i < CYCLES; i++) {
		assert_int_equal(heap_alloc(&h, 3 * PAGE, &offset), 0);
		assert_int_equal(offset, BASE + (uint64_t)LIVE * PAGE);
		assert_int_equal(heap_free(&h, offset, 3 * PAGE), 0);
	}
	assert_int_equal(h.free_extents, LIVE / 2 + 1);

	/* One-page allocations fill the holes lowest first, before touching the tail. */
	for (size_t i = 0; i < LIVE; i += 2)
		assert_int_equal(alloc_ok(&h, 1), offsets[i]);
	assert_int_equal(h.free_extents, 1);
	assert_int_equal(heap_largest_free(&h), (uint64_t)TAIL * PAGE);
	assert_true(heap_check(&h));

	/* Free everything from the middle outwards; it all coalesces back into one extent. */
	for (size_t i = 0; i < LIVE / 2; i++) {
		assert_int_equal(heap_free(&h, offsets[LIVE / 2 + i], PAGE), 0);
		assert_int_equal(heap_free(&h, offsets[LIVE / 2 - 1 - i], PAGE), 0);
	}
	assert_int_equal(h.free_extents, 1);
	assert_int_equal(h.used_extents, 0);
	assert_int_equal(h.free_bytes, h.size);
	assert_true(heap_check(&h));
	heap_fini(&h);
	free(offsets);
}

/* xorshift64*: a fixed seed makes every run (and every failure) reproducible. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

enum { MODEL_PAGES = 512, MODEL_MAX_LIVE = 512 };

struct heap_model {
	bool used[MODEL_PAGES];
	struct {
		uint32_t page, pages;
	} live[MODEL_MAX_LIVE];
	uint32_t live_count;
};

/* The model's best fit: smallest run of free pages that holds `pages`, lowest first. */
static bool model_best_fit(const struct heap_model *m, uint32_t pages, uint32_t *at)
{
	uint32_t best_len = UINT32_MAX;
	bool found = false;

	for (uint32_t p = 0; p < MODEL_PAGES;) {
		uint32_t run = 0;

		if (m->used[p]) {
			p++;
			continue;
		}
		while (p + run < MODEL_PAGES && !m->used[p + run])
			run++;
		if (run >= pages && run < best_len) {
			best_len = run;
			*at = p;
			found = true;
		}
		p += run;
	}
	return found;
}

/* Free runs of the model: their count, their total and the longest must match the heap's. */
static void assert_matches_model(const struct dxg_heap *h, const struct heap_model *m,
				 uint32_t step)
{
	uint32_t runs = 0, free_pages = 0, longest = 0, run = 0;

	for (uint32_t p = 0; p <= MODEL_PAGES; p++) {
		if (p < MODEL_PAGES && !m->used[p]) {
			run++;
			free_pages++;
			continue;
		}
		if (run) {
			runs++;
			if (run > longest)
				longest = run;
		}
		run = 0;
	}
	if (!heap_check(h) || h->free_extents != runs || h->free_bytes != free_pages * PAGE ||
	    heap_largest_free(h) != longest * PAGE || h->used_extents != m->live_count)
		fail_msg("heap and model differ after step %u", step);
}

static void test_randomized_against_bitmap(void **state)
{
	enum { STEPS = 100000 };
	struct dxg_heap h;
	struct heap_model *m = calloc(1, sizeof(*m));
	uint64_t seed = 0x9E3779B97F4A7C15ull;
	uint32_t allocs = 0, frees = 0, enomem = 0, rejected = 0;

	(void)state;
	assert_non_null(m);
	assert_int_equal(heap_init(&h, BASE, MODEL_PAGES * PAGE), 0);
	for (uint32_t step = 0; step < STEPS; step++) {
		uint64_t r = next_random(&seed);
		uint32_t choice = r % 100;

		if (choice < 52 && m->live_count < MODEL_MAX_LIVE) {
			/* Mostly small sizes, sometimes large ones that fragmentation refuses. */
			uint32_t pages = (r >> 8) % 8 == 0 ? 1 + (r >> 16) % 64 : 1 + (r >> 16) % 6;
			uint64_t offset = 0;
			uint32_t at = 0;
			bool fits = model_best_fit(m, pages, &at);
			int ret = heap_alloc(&h, pages * PAGE, &offset);

			if (!fits) {
				if (ret != -ENOMEM)
					fail_msg("step %u: alloc %u pages: %d, want -ENOMEM", step,
						 pages, ret);
				enomem++;
			} else {
				if (ret || offset != BASE + at * PAGE)
					fail_msg("step %u: alloc %u pages at page %u, got %d/%#llx",
						 step, pages, at, ret, (unsigned long long)offset);
				for (uint32_t p = at; p < at + pages; p++)
					m->used[p] = true;
				m->live[m->live_count].page = at;
				m->live[m->live_count].pages = pages;
				m->live_count++;
				allocs++;
			}
		} else if (choice < 95 && m->live_count) {
			uint32_t i = (r >> 8) % m->live_count;
			uint32_t page = m->live[i].page, pages = m->live[i].pages;

			if (choice >= 90) {
				/* An inexact free of a live extent: a page short or too many. */
				uint32_t wrong = (r >> 32) & 1 || pages == 1 ?
						 pages + 1 : pages - 1;

				if (heap_free(&h, BASE + page * PAGE, wrong * PAGE) != -EINVAL)
					fail_msg("step %u: inexact free accepted", step);
				rejected++;
			} else {
				if (heap_free(&h, BASE + page * PAGE, pages * PAGE))
					fail_msg("step %u: exact free refused", step);
				for (uint32_t p = page; p < page + pages; p++)
					m->used[p] = false;
				m->live[i] = m->live[--m->live_count];
				frees++;
			}
		} else {
			/* A free of a random aligned range: valid only for a live extent. */
			uint32_t page = (r >> 8) % MODEL_PAGES, pages = 1 + (r >> 24) % 4;
			bool live = false;

			for (uint32_t i = 0; i < m->live_count; i++)
				live |= m->live[i].page == page && m->live[i].pages == pages;
			if (!live) {
				if (heap_free(&h, BASE + page * PAGE, pages * PAGE) != -EINVAL)
					fail_msg("step %u: free of a non-extent accepted", step);
				rejected++;
			}
		}
		assert_matches_model(&h, m, step);
	}
	/* The run must have exercised every path, not just one. */
	assert_true(allocs > 10000);
	assert_true(frees > 10000);
	assert_true(enomem > 100);
	assert_true(rejected > 1000);

	while (m->live_count) {
		m->live_count--;
		assert_int_equal(heap_free(&h, BASE + m->live[m->live_count].page * PAGE,
					   m->live[m->live_count].pages * PAGE), 0);
	}
	assert_int_equal(h.free_extents, 1);
	assert_true(heap_check(&h));
	heap_fini(&h);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_bad_geometry),
		cmocka_unit_test(test_empty_heap),
		cmocka_unit_test(test_alloc_rejects_bad_sizes),
		cmocka_unit_test(test_alloc_free_roundtrip),
		cmocka_unit_test(test_free_must_be_exact),
		cmocka_unit_test(test_coalescing_restores_one_extent),
		cmocka_unit_test(test_best_fit),
		cmocka_unit_test(test_fragmentation_enomem),
		cmocka_unit_test(test_heap_at_top_of_range),
		cmocka_unit_test(test_hundred_thousand_extents),
		cmocka_unit_test(test_randomized_against_bitmap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
