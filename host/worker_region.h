/* SPDX-License-Identifier: MIT */
/*
 * The worker's side of the shared region (include/opendxg/region.h): where each part goes for a
 * given region size, and formatting it for a new generation.
 */
#ifndef DXGD_WORKER_REGION_H
#define DXGD_WORKER_REGION_H

#include <stdbool.h>
#include <stdint.h>

#include <opendxg/ring.h>

#define REGION_RING_MIN_DATA (256u * 1024u)
#define REGION_RING_MAX_DATA (1024u * 1024u)
/* Fence storage: region/32, clamped, a page multiple (room for one page per process). */
#define REGION_FENCE_MIN (16u * 1024u)
#define REGION_FENCE_MAX (16u * 1024u * 1024u)

struct region_layout {
	uint64_t region_size;
	uint64_t request_ctrl;
	uint64_t request_data;
	uint32_t request_size;
	uint64_t reply_ctrl;
	uint64_t reply_data;
	uint32_t reply_size;
	uint64_t fence_offset;
	uint64_t fence_size;
	uint64_t heap_offset;
	uint64_t heap_size;
	uint32_t max_message;	/* largest record payload on either ring */
};

/*
 * Lays out a region of `region_size` bytes (a power of two, DXG_REGION_MIN_SIZE..
 * DXG_REGION_MAX_SIZE): header page, both ring control blocks in the next page, request data,
 * reply data (each region/16 clamped to 256 KiB..1 MiB), fence storage (region/32 clamped to
 * 16 KiB..16 MiB), then the heap.
 * max_message is DXGW_MAX_MESSAGE, or less when a ring's half cannot hold it. Returns 0 or -EINVAL.
 */
int region_layout_compute(uint64_t region_size, struct region_layout *l);

/*
 * Checks a layout the way a guest checks the header: every part inside the region, aligned, no
 * overlaps, rings a valid power of two that hold a max_message record in half. The worker runs it
 * on its own layout before publishing it.
 */
bool region_layout_valid(const struct region_layout *l);

/*
 * Marks the region INIT (guests must stop using the rings) before the worker prepares anything
 * else, so a guest never mistakes the previous generation's READY for ours.
 */
void region_begin_init(void *base);

/*
 * Formats the region for `generation`: zeroes everything after the header (punching holes in the
 * memfd `fd` where possible, so untouched heap pages cost no memory), writes the header and both
 * ring control blocks, and finally publishes state READY with release ordering.
 */
void region_format(void *base, int fd, const struct region_layout *l, uint32_t generation);

/* Publishes a new state (READY or RESET) after everything written before it. */
void region_set_state(void *base, uint32_t state);

/*
 * Attaches the worker's views of the two rings of a layout that passed region_layout_valid():
 * `requests` as consumer, `replies` as producer. Reads nothing from the region: the guest can
 * write the control blocks at any time, even between region_format() and this call, so both
 * private indices start at 0 and the generation handshake sets them later. Returns 0, or
 * -EINVAL for a layout whose rings cannot be attached (a host bug).
 */
int region_attach_rings(void *base, const struct region_layout *l, struct dxg_ring *requests,
			struct dxg_ring *replies);

#endif /* DXGD_WORKER_REGION_H */
