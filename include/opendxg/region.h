/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Layout of a VM's shared region (ivshmem BAR2, or the memfd a user-space guest maps).
 *
 * The host daemon creates and formats the region; the guest only reads the header, except for
 * guest_generation and the two ring starts. All multi-byte fields are little-endian. The layout is
 * described by offsets so the host can grow or move parts without breaking older guests; a guest
 * validates a private copy of the header with dxg_region_parse() before it touches anything else.
 *
 *   0x0000  struct dxg_region_header (one page)
 *   ....    request ring  (guest -> host): control block, then data
 *   ....    reply ring    (host -> guest): control block, then data
 *   ....    fence storage (u64 monitored-fence values, host writes, guest reads)
 *   ....    heap          (host-visible allocations, 4 KiB aligned)
 *
 * Doorbell vectors (ivshmem "(peer << 16) | vector"):
 *   DXG_VECTOR_RING     "look at the rings": a request was published (guest -> host) or a reply was
 *                       published / ring space was freed (host -> guest). Interrupts coalesce, so a
 *                       kick only ever means "re-check ring state".
 *   DXG_VECTOR_CONTROL  the region's generation or state changed (a worker restart): re-read header.
 */
#ifndef OPENDXG_REGION_H
#define OPENDXG_REGION_H

#include "compat.h"
#include "ring.h"

/* "ODXGRGN1" read as a little-endian u64. */
#define DXG_REGION_MAGIC 0x314e47524758444fULL

/* Major changes are incompatible; minor changes only add features behind feature bits. */
#define DXG_PROTOCOL_MAJOR 1
#define DXG_PROTOCOL_MINOR 3
#define DXG_PROTOCOL_VERSION ((DXG_PROTOCOL_MAJOR << 16) | DXG_PROTOCOL_MINOR)

#define DXG_REGION_HEADER_SIZE 4096u
#define DXG_REGION_MIN_SIZE (1u << 20)		/* 1 MiB: header + two small rings */
#define DXG_REGION_MAX_SIZE (1ull << 36)	/* 64 GiB */
#define DXG_PAGE_SIZE 4096u

#define DXG_VECTOR_RING 0u
#define DXG_VECTOR_CONTROL 1u
#define DXG_VECTORS 2u

/* Region state, written by the host. */
#define DXG_REGION_STATE_INIT 0u	/* being formatted; guests must not use the rings */
#define DXG_REGION_STATE_READY 1u	/* a worker serves the rings */
#define DXG_REGION_STATE_RESET 2u	/* the worker is gone; a new generation follows */

/* Host feature bits (dxg_region_header.host_features). None defined yet in protocol 1.0. */
#define DXG_FEATURE_MASK 0ull

/*
 * One ring's place in the region. ctrl_offset points at a struct dxg_ring_ctrl; data_offset at
 * data_size bytes of ring data (a power of two). Both 64-byte aligned, both inside the region.
 */
struct dxg_region_ring {
	dxg_le64 ctrl_offset;
	dxg_le64 data_offset;
	dxg_le32 data_size;
	dxg_le32 reserved;		/* MBZ */
};
DXG_ASSERT_SIZE(struct dxg_region_ring, 24);

struct dxg_region_header {
	dxg_le64 magic;			/* DXG_REGION_MAGIC */
	dxg_le32 version;		/* DXG_PROTOCOL_VERSION of the host */
	dxg_le32 header_size;		/* DXG_REGION_HEADER_SIZE */
	dxg_le64 region_size;		/* equals the BAR / memfd size */
	dxg_le64 host_features;		/* DXG_FEATURE_* the host offers */
	/*
	 * Bumped by the host each time a worker (re)formats the rings. A guest remembers the
	 * generation it connected in; a different value means every host object it knew is gone.
	 */
	dxg_le32 generation;
	dxg_le32 state;			/* DXG_REGION_STATE_* */
	dxg_le32 max_message_size;	/* largest ring record payload either side may send */
	/*
	 * Written by the guest (with guest_request_start/guest_reply_start below): the generation
	 * it attached its rings to. The host formats it to 0 and serves the rings only once it
	 * equals `generation`. A guest attaching to a generation takes its private ring indices
	 * from shared memory, writes them to guest_request_start (its request tail) and
	 * guest_reply_start (its reply head), then publishes guest_generation (release) and rings
	 * the doorbell. The host, on seeing the acknowledgment (acquire), starts both rings at the
	 * declared indices. This closes the restart race: an index the guest stored for the old
	 * generation after a new worker formatted the rings is simply where the new rings start,
	 * and records the guest publishes after acknowledging are never skipped.
	 */
	dxg_le32 guest_generation;
	struct dxg_region_ring request_ring;	/* guest produces, host consumes */
	struct dxg_region_ring reply_ring;	/* host produces, guest consumes */
	dxg_le64 fence_offset;		/* fence storage: u64 slots, page aligned */
	dxg_le64 fence_size;
	dxg_le64 heap_offset;		/* host-visible allocation heap, page aligned */
	dxg_le64 heap_size;
	dxg_le32 guest_request_start;	/* guest writes: its request tail at acknowledgment */
	dxg_le32 guest_reply_start;	/* guest writes: its reply head at acknowledgment */
	dxg_le64 reserved[15];		/* MBZ; pads the header to 256 bytes */
};
DXG_ASSERT_SIZE(struct dxg_region_header, 256);

/* Bounds a guest accepts for max_message_size (a host must offer at least one page). */
#define DXG_REGION_MIN_MESSAGE 4096u
#define DXG_REGION_MAX_MESSAGE (16u << 20)

/* What dxg_region_parse() extracts from a validated header; index 0 request ring, 1 reply ring. */
struct dxg_region_layout {
	uint32_t generation;
	uint32_t max_message;
	uint64_t ring_ctrl[2];
	uint64_t ring_data[2];
	uint32_t ring_size[2];
	uint64_t fence_offset;
	uint64_t fence_size;
	uint64_t heap_offset;
	uint64_t heap_size;
};

static inline bool dxg_region_range_ok(uint64_t offset, uint64_t len, uint64_t first,
				       uint64_t region_size, uint64_t align)
{
	return offset % align == 0 && offset >= first && len <= region_size &&
	       offset <= region_size - len;
}

/*
 * dxg_region_parse() - validate a header and extract its layout. @h must be a private copy (the
 * host may change the shared header at any time); @mapped_size is what the guest really mapped.
 * Checks: magic, protocol major, region_size == @mapped_size, header_size (>= the struct, 64-byte
 * aligned, inside the region), max_message_size within the DXG_REGION_*_MESSAGE bounds, each ring's
 * data size (a power of two holding two maximal records), control blocks and data 64-byte aligned,
 * fence storage and heap page aligned, everything after the header, inside the region and
 * non-overlapping. Reserved words are not checked: a later minor version may use them.
 * Returns 0, -EPROTONOSUPPORT for another protocol major, or -EPROTO; *@why names the failed check.
 */
static inline int dxg_region_parse(const struct dxg_region_header *h, uint64_t mapped_size,
				   struct dxg_region_layout *lay, const char **why)
{
	const struct dxg_region_ring *rings[2] = { &h->request_ring, &h->reply_ring };
	uint32_t header_size = dxg_from_le32(h->header_size);
	uint64_t start[6], len[6];
	int i, j;

	*why = "bad magic";
	if (dxg_from_le64(h->magic) != DXG_REGION_MAGIC)
		return -EPROTO;
	*why = "unsupported protocol major version";
	if (dxg_from_le32(h->version) >> 16 != DXG_PROTOCOL_MAJOR)
		return -EPROTONOSUPPORT;
	*why = "region or header size";
	if (dxg_from_le64(h->region_size) != mapped_size ||
	    header_size < sizeof(*h) || header_size % 64 || header_size > mapped_size)
		return -EPROTO;
	lay->generation = dxg_from_le32(h->generation);
	lay->max_message = dxg_from_le32(h->max_message_size);
	*why = "max_message_size";
	if (lay->max_message < DXG_REGION_MIN_MESSAGE ||
	    lay->max_message > DXG_REGION_MAX_MESSAGE)
		return -EPROTO;

	*why = "ring placement or size";
	for (i = 0; i < 2; i++) {
		lay->ring_ctrl[i] = dxg_from_le64(rings[i]->ctrl_offset);
		lay->ring_data[i] = dxg_from_le64(rings[i]->data_offset);
		lay->ring_size[i] = dxg_from_le32(rings[i]->data_size);
		if (!dxg_ring_size_valid(lay->ring_size[i]) ||
		    dxg_ring_record_size(lay->max_message) > lay->ring_size[i] / 2 ||
		    !dxg_region_range_ok(lay->ring_ctrl[i], sizeof(struct dxg_ring_ctrl),
					 header_size, mapped_size, 64) ||
		    !dxg_region_range_ok(lay->ring_data[i], lay->ring_size[i], header_size,
					 mapped_size, 64))
			return -EPROTO;
		start[2 * i] = lay->ring_ctrl[i];
		len[2 * i] = sizeof(struct dxg_ring_ctrl);
		start[2 * i + 1] = lay->ring_data[i];
		len[2 * i + 1] = lay->ring_size[i];
	}
	lay->fence_offset = dxg_from_le64(h->fence_offset);
	lay->fence_size = dxg_from_le64(h->fence_size);
	lay->heap_offset = dxg_from_le64(h->heap_offset);
	lay->heap_size = dxg_from_le64(h->heap_size);
	*why = "fence or heap placement";
	if (!dxg_region_range_ok(lay->fence_offset, lay->fence_size, header_size, mapped_size,
				 DXG_PAGE_SIZE) || lay->fence_size % DXG_PAGE_SIZE ||
	    !dxg_region_range_ok(lay->heap_offset, lay->heap_size, header_size, mapped_size,
				 DXG_PAGE_SIZE) || lay->heap_size % DXG_PAGE_SIZE)
		return -EPROTO;
	start[4] = lay->fence_offset;
	len[4] = lay->fence_size;
	start[5] = lay->heap_offset;
	len[5] = lay->heap_size;

	*why = "overlapping parts";
	for (i = 0; i < 6; i++)
		for (j = i + 1; j < 6; j++)
			if (len[i] && len[j] && start[i] < start[j] + len[j] &&
			    start[j] < start[i] + len[i])
				return -EPROTO;
	*why = NULL;
	return 0;
}

#endif /* OPENDXG_REGION_H */
