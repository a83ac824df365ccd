/* SPDX-License-Identifier: MIT */
/*
 * The allocator of a VM's shared heap (the region part that holds host-visible allocations).
 *
 * It hands out page-aligned, page-multiple extents of [base, base + size) with best fit and
 * coalesces neighbours on free. Its metadata lives only in worker memory, never in the region:
 * the guest can write every byte of the region, so nothing it could corrupt may steer the
 * allocator. The allocator neither touches nor zeroes the memory it manages; callers zero what
 * they hand to a tenant.
 *
 * Best fit is exact and deterministic: the smallest free extent that holds the request, the
 * lowest-addressed one among equals, carved from its low end. Allocation, free and
 * heap_largest_free() cost O(log n) in the number of extents; heap_check() is O(n log n).
 * A heap is not thread safe (the worker serialises its calls) and has no global state.
 *
 * Functions return 0 or a negative errno.
 */
#ifndef DXGD_HEAP_H
#define DXGD_HEAP_H

#include <stdbool.h>
#include <stdint.h>

#define HEAP_PAGE 4096u

struct heap_extent;

struct dxg_heap {
	uint64_t base;			/* region offset of the heap, page aligned */
	uint64_t size;			/* page multiple */
	uint64_t free_bytes;
	uint32_t free_extents;
	uint32_t used_extents;
	/* Private to heap.c: the extents in address order and the two lookup trees. */
	struct heap_extent *first;
	struct heap_extent *free_by_size;
	struct heap_extent *used_by_offset;
};

/*
 * base and size must be page aligned, base + size must not wrap and the heap may hold at most
 * UINT32_MAX pages (the extent counters are 32-bit): -EINVAL otherwise. size may be 0 (an empty
 * heap). -ENOMEM when the first extent's metadata cannot be allocated.
 */
int heap_init(struct dxg_heap *h, uint64_t base, uint64_t size);
/* Frees the metadata and zeroes *h: a second heap_fini(), or one after a failed init, is fine. */
void heap_fini(struct dxg_heap *h);

/*
 * Carves `size` bytes (a page multiple, > 0: else -EINVAL) and returns the region offset.
 * -ENOMEM when no free extent is large enough (fragmentation included) or metadata allocation fails.
 */
int heap_alloc(struct dxg_heap *h, uint64_t size, uint64_t *offset);

/*
 * Returns an extent heap_alloc() handed out, exactly (same offset and size). Anything else is a
 * host bug: -EINVAL, and the heap is left unchanged.
 */
int heap_free(struct dxg_heap *h, uint64_t offset, uint64_t size);

/* The size of the largest free extent, 0 when nothing is free. */
uint64_t heap_largest_free(const struct dxg_heap *h);

/*
 * Checks every invariant: the extents tile [base, base + size) in address order, are page
 * aligned and non-empty, no two free ones touch (coalesced), both trees are ordered, balanced
 * and hold exactly the free respectively used extents, and the counters match. For tests.
 */
bool heap_check(const struct dxg_heap *h);

#endif /* DXGD_HEAP_H */
