// SPDX-License-Identifier: MIT
#include "worker_region.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <opendxg/region.h>
#include <opendxg/ring.h>
#include <opendxg/wire.h>

#include "log.h"

int region_layout_compute(uint64_t region_size, struct region_layout *l)
{
	uint64_t ring = region_size / 16;
	uint64_t fence = region_size / 32;
	uint64_t half_payload;

	memset(l, 0, sizeof(*l));
	if (region_size < DXG_REGION_MIN_SIZE || region_size > DXG_REGION_MAX_SIZE ||
	    (region_size & (region_size - 1)))
		return -EINVAL;
	if (ring < REGION_RING_MIN_DATA)
		ring = REGION_RING_MIN_DATA;
	if (ring > REGION_RING_MAX_DATA)
		ring = REGION_RING_MAX_DATA;
	/*
	 * Every process with a paging queue holds at least one whole fence page (the guest maps it
	 * into that process), so the storage grows with the region; a power of two region size
	 * keeps it a page multiple.
	 */
	if (fence < REGION_FENCE_MIN)
		fence = REGION_FENCE_MIN;
	if (fence > REGION_FENCE_MAX)
		fence = REGION_FENCE_MAX;

	l->region_size = region_size;
	/* Both control blocks share the page after the header; data starts page aligned. */
	l->request_ctrl = DXG_REGION_HEADER_SIZE;
	l->reply_ctrl = DXG_REGION_HEADER_SIZE + sizeof(struct dxg_ring_ctrl);
	l->request_data = DXG_REGION_HEADER_SIZE + DXG_PAGE_SIZE;
	l->request_size = (uint32_t)ring;
	l->reply_data = l->request_data + ring;
	l->reply_size = (uint32_t)ring;
	l->fence_offset = l->reply_data + ring;
	l->fence_size = fence;
	l->heap_offset = l->fence_offset + l->fence_size;
	l->heap_size = region_size - l->heap_offset;

	/* A record of max_message must fit in half a ring (dxg_ring_attach). */
	half_payload = (ring / 2 - DXG_RING_PREFIX) & ~(uint64_t)(DXG_RING_ALIGN - 1);
	l->max_message = half_payload < DXGW_MAX_MESSAGE ? (uint32_t)half_payload : DXGW_MAX_MESSAGE;
	return region_layout_valid(l) ? 0 : -EINVAL;
}

static bool range_inside(uint64_t off, uint64_t size, uint64_t region)
{
	return off <= region && size <= region - off;
}

static bool ranges_disjoint(uint64_t a, uint64_t asize, uint64_t b, uint64_t bsize)
{
	return a + asize <= b || b + bsize <= a;
}

bool region_layout_valid(const struct region_layout *l)
{
	const uint64_t ctrl = sizeof(struct dxg_ring_ctrl);
	struct {
		uint64_t off, size;
	} parts[] = {
		{ 0, DXG_REGION_HEADER_SIZE },
		{ l->request_ctrl, ctrl },
		{ l->reply_ctrl, ctrl },
		{ l->request_data, l->request_size },
		{ l->reply_data, l->reply_size },
		{ l->fence_offset, l->fence_size },
		{ l->heap_offset, l->heap_size },
	};
	const size_t n = sizeof(parts) / sizeof(parts[0]);

	if (!dxg_ring_size_valid(l->request_size) || !dxg_ring_size_valid(l->reply_size))
		return false;
	if (l->max_message < sizeof(struct dxgw_hdr) || l->max_message > DXGW_MAX_MESSAGE ||
	    dxg_ring_record_size(l->max_message) > l->request_size / 2 ||
	    dxg_ring_record_size(l->max_message) > l->reply_size / 2)
		return false;
	if ((l->request_ctrl | l->reply_ctrl | l->request_data | l->reply_data) & 63)
		return false;
	if ((l->fence_offset | l->fence_size | l->heap_offset | l->heap_size) &
	    (DXG_PAGE_SIZE - 1))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!range_inside(parts[i].off, parts[i].size, l->region_size))
			return false;
		for (size_t j = i + 1; j < n; j++) {
			if (!ranges_disjoint(parts[i].off, parts[i].size, parts[j].off, parts[j].size))
				return false;
		}
	}
	return true;
}

static struct dxg_region_header *header(void *base)
{
	return base;
}

void region_set_state(void *base, uint32_t state)
{
	/* Release: everything written before (header, rings) is visible once the state is. */
	dxg_store_release(&header(base)->state, dxg_to_le32(state));
}

void region_begin_init(void *base)
{
	region_set_state(base, DXG_REGION_STATE_INIT);
	/* The INIT store must be visible before any store that dismantles the old generation. */
	dxg_full_barrier();
}

static void fill_ring(struct dxg_region_ring *r, uint64_t ctrl, uint64_t data, uint32_t size)
{
	r->ctrl_offset = dxg_to_le64(ctrl);
	r->data_offset = dxg_to_le64(data);
	r->data_size = dxg_to_le32(size);
	r->reserved = 0;
}

void region_format(void *base, int fd, const struct region_layout *l, uint32_t generation)
{
	struct dxg_region_header *h = header(base);
	unsigned char *bytes = base;
	uint64_t rest = l->region_size - DXG_REGION_HEADER_SIZE;

	/*
	 * Punching holes gives back the old generation's pages and reads back as zeros; the fallback
	 * writes zeros (a memfd always supports it, the fallback is for other shared memory).
	 */
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, DXG_REGION_HEADER_SIZE,
		      (off_t)rest) != 0) {
		log_debug("region: hole punching failed (%s); zeroing", strerror(errno));
		memset(bytes + DXG_REGION_HEADER_SIZE, 0, rest);
	}

	/* Everything but `state` (INIT since region_begin_init) is rewritten from scratch. */
	memset(bytes + sizeof(*h), 0, DXG_REGION_HEADER_SIZE - sizeof(*h));
	h->magic = dxg_to_le64(DXG_REGION_MAGIC);
	h->version = dxg_to_le32(DXG_PROTOCOL_VERSION);
	h->header_size = dxg_to_le32(DXG_REGION_HEADER_SIZE);
	h->region_size = dxg_to_le64(l->region_size);
	h->host_features = dxg_to_le64(DXG_FEATURE_MASK);
	h->generation = dxg_to_le32(generation);
	h->max_message_size = dxg_to_le32(l->max_message);
	h->guest_generation = 0;
	fill_ring(&h->request_ring, l->request_ctrl, l->request_data, l->request_size);
	fill_ring(&h->reply_ring, l->reply_ctrl, l->reply_data, l->reply_size);
	h->fence_offset = dxg_to_le64(l->fence_offset);
	h->fence_size = dxg_to_le64(l->fence_size);
	h->heap_offset = dxg_to_le64(l->heap_offset);
	h->heap_size = dxg_to_le64(l->heap_size);
	h->guest_request_start = 0;
	h->guest_reply_start = 0;
	memset(h->reserved, 0, sizeof(h->reserved));
	dxg_ring_format((struct dxg_ring_ctrl *)(bytes + l->request_ctrl));
	dxg_ring_format((struct dxg_ring_ctrl *)(bytes + l->reply_ctrl));

	region_set_state(base, DXG_REGION_STATE_READY);
}

static int attach_ring(struct dxg_ring *r, unsigned char *base, uint64_t ctrl, uint64_t data,
		       uint32_t size, uint32_t max_message, bool as_producer)
{
	/*
	 * dxg_ring_attach() takes our own index from the control block it is given. The shared one
	 * is guest-writable, and a misaligned value there would fail the attach (and the worker with
	 * it), so attach to a private blank block and only then point at the shared one.
	 */
	struct dxg_ring_ctrl blank;
	int ret;

	memset(&blank, 0, sizeof(blank));
	ret = dxg_ring_attach(r, &blank, base + data, size, max_message, as_producer);
	r->ctrl = (struct dxg_ring_ctrl *)(base + ctrl);
	return ret;
}

int region_attach_rings(void *base, const struct region_layout *l, struct dxg_ring *requests,
			struct dxg_ring *replies)
{
	unsigned char *bytes = base;

	if (attach_ring(requests, bytes, l->request_ctrl, l->request_data, l->request_size,
			l->max_message, false) ||
	    attach_ring(replies, bytes, l->reply_ctrl, l->reply_data, l->reply_size,
			l->max_message, true))
		return -EINVAL;
	return 0;
}
