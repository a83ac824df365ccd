/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Layout of a VM's shared region (ivshmem BAR2, or the memfd a user-space guest maps).
 *
 * The host daemon creates and formats the region; the guest only reads the header, except for
 * guest_generation. All multi-byte
 * fields are little-endian. The layout is described by offsets so the host can grow or move parts
 * without breaking older guests; a guest validates every offset and size against the region size
 * before it touches anything (see dxg_region_validate()).
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

/* "ODXGRGN1" read as a little-endian u64. */
#define DXG_REGION_MAGIC 0x314e47524758444fULL

/* Major changes are incompatible; minor changes only add features behind feature bits. */
#define DXG_PROTOCOL_MAJOR 1
#define DXG_PROTOCOL_MINOR 0
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

#endif /* OPENDXG_REGION_H */
