/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Single-producer single-consumer byte ring in shared memory, shared verbatim by the guest kernel
 * module, the host daemon and the user-space guest.
 *
 * Shared state (struct dxg_ring_ctrl) holds free-running u32 byte indices: the producer owns
 * `tail`, the consumer owns `head`; each side keeps its own index privately (`local`) and only ever
 * *writes* it to shared memory, never reads it back. The other side's index is read, checked
 * (0 <= tail - head <= size, 8-byte aligned) and treated as hostile: a bad value is -EPROTO and the
 * caller marks the peer broken.
 *
 * Records are an 8-byte prefix (le32 payload length, le32 MBZ) followed by the payload, padded to
 * 8 bytes. The data size is a power of two, so a prefix never wraps; a payload may, and is copied
 * in two pieces. The consumer copies each record into private memory exactly once, before anyone
 * looks at it (no double fetch).
 *
 * Notification suppression (no lost wake-ups), the classic two-flag handshake:
 *   consumer about to sleep:  store sleeping=1; full barrier; load tail  -> not empty? don't sleep
 *   producer after publish:   store tail;       full barrier; load sleeping -> set? kick
 * Either the consumer sees the new tail, or the producer sees sleeping=1 (both barriers are full,
 * store->load). The producer waiting for space uses the same handshake on `producer_waiting`/head.
 */
#ifndef OPENDXG_RING_H
#define OPENDXG_RING_H

#include "compat.h"

#define DXG_RING_ALIGN 8u
#define DXG_RING_PREFIX 8u
#define DXG_RING_MIN_SIZE 4096u
#define DXG_RING_MAX_SIZE (1u << 30)

/* Each index on its own cache line so the two sides do not false-share. */
struct dxg_ring_ctrl {
	dxg_le32 tail;			/* producer writes */
	dxg_le32 pad0[15];
	dxg_le32 head;			/* consumer writes */
	dxg_le32 pad1[15];
	dxg_le32 consumer_sleeping;	/* consumer writes: kick me after publishing */
	dxg_le32 pad2[15];
	dxg_le32 producer_waiting;	/* producer writes: kick me after freeing space */
	dxg_le32 pad3[15];
};
DXG_ASSERT_SIZE(struct dxg_ring_ctrl, 256);

struct dxg_ring {
	struct dxg_ring_ctrl *ctrl;	/* shared */
	unsigned char *data;		/* shared, `size` bytes */
	uint32_t size;			/* power of two */
	uint32_t local;			/* private copy of our own index (tail or head) */
	uint32_t max_payload;		/* largest payload accepted from or sent to the peer */
};

static inline bool dxg_ring_size_valid(uint64_t size)
{
	return size >= DXG_RING_MIN_SIZE && size <= DXG_RING_MAX_SIZE && (size & (size - 1)) == 0;
}

static inline uint32_t dxg_ring_record_size(uint32_t payload)
{
	return DXG_RING_PREFIX + ((payload + DXG_RING_ALIGN - 1) & ~(DXG_RING_ALIGN - 1));
}

/*
 * Formats a fresh ring (the host does this before the region is marked READY). Both indices start
 * at 0 and nobody sleeps or waits.
 */
static inline void dxg_ring_format(struct dxg_ring_ctrl *ctrl)
{
	memset(ctrl, 0, sizeof(*ctrl));
}

/*
 * Attaches one side to a ring. `as_producer` picks which shared index becomes our private one: a
 * guest that (re)attaches to a ring the host formatted earlier continues from the published index,
 * because the host keeps its own private copy and would treat a rewound index as corruption.
 * Returns -EINVAL for an impossible size (max_payload must fit in half the ring).
 */
static inline int dxg_ring_attach(struct dxg_ring *r, struct dxg_ring_ctrl *ctrl, void *data,
				  uint32_t size, uint32_t max_payload, bool as_producer)
{
	/* max_payload is bounded before it is rounded up, so the rounding cannot wrap to small. */
	if (!dxg_ring_size_valid(size) || max_payload == 0 || max_payload > size / 2 ||
	    dxg_ring_record_size(max_payload) > size / 2)
		return -EINVAL;
	r->ctrl = ctrl;
	r->data = (unsigned char *)data;
	r->size = size;
	r->max_payload = max_payload;
	if (as_producer)
		r->local = dxg_from_le32(dxg_read_once(ctrl->tail));
	else
		r->local = dxg_from_le32(dxg_read_once(ctrl->head));
	/* Our own index came from shared memory once; reject garbage now rather than later. */
	if (r->local & (DXG_RING_ALIGN - 1))
		return -EPROTO;
	return 0;
}

static inline void dxg_ring_copy_in(struct dxg_ring *r, uint32_t pos, const void *src, uint32_t len)
{
	uint32_t off = pos & (r->size - 1);
	uint32_t first = r->size - off;

	if (len <= first) {
		memcpy(r->data + off, src, len);
	} else {
		memcpy(r->data + off, src, first);
		memcpy(r->data, (const unsigned char *)src + first, len - first);
	}
}

static inline void dxg_ring_copy_out(const struct dxg_ring *r, uint32_t pos, void *dst, uint32_t len)
{
	uint32_t off = pos & (r->size - 1);
	uint32_t first = r->size - off;

	if (len <= first) {
		memcpy(dst, r->data + off, len);
	} else {
		memcpy(dst, r->data + off, first);
		memcpy((unsigned char *)dst + first, r->data, len - first);
	}
}

/* ---- producer side ---- */

/*
 * Free bytes, or -EPROTO when the consumer's published head is impossible.
 * Acquire on head pairs with the consumer's release in dxg_ring_consume(): once we see the new head,
 * the consumer has finished copying the bytes it gave back, so we may overwrite them.
 */
static inline int64_t dxg_ring_space(const struct dxg_ring *r)
{
	uint32_t head = dxg_from_le32(dxg_load_acquire(&r->ctrl->head));
	uint32_t used = r->local - head;

	if (used > r->size || (head & (DXG_RING_ALIGN - 1)))
		return -EPROTO;
	return (int64_t)(r->size - used);
}

/*
 * Publishes one record whose payload is `a` followed by `b` (b may be NULL), so a header and a body
 * need no staging copy. Returns 0, -EAGAIN when the ring lacks space (nothing written), -EMSGSIZE
 * for a payload over max_payload, or -EPROTO when the consumer corrupted its head.
 */
static inline int dxg_ring_produce2(struct dxg_ring *r, const void *a, uint32_t alen,
				    const void *b, uint32_t blen)
{
	uint32_t payload = alen + blen;
	uint32_t rec, pad;
	int64_t space;
	dxg_le32 prefix[2];
	static const unsigned char zeros[DXG_RING_ALIGN];

	if (payload == 0 || payload < alen || payload > r->max_payload)
		return -EMSGSIZE;
	rec = dxg_ring_record_size(payload);
	space = dxg_ring_space(r);
	if (space < 0)
		return (int)space;
	if ((uint64_t)space < rec)
		return -EAGAIN;

	prefix[0] = dxg_to_le32(payload);
	prefix[1] = 0;
	dxg_ring_copy_in(r, r->local, prefix, sizeof(prefix));
	dxg_ring_copy_in(r, r->local + DXG_RING_PREFIX, a, alen);
	if (blen)
		dxg_ring_copy_in(r, r->local + DXG_RING_PREFIX + alen, b, blen);
	pad = rec - DXG_RING_PREFIX - payload;
	if (pad)
		dxg_ring_copy_in(r, r->local + DXG_RING_PREFIX + payload, zeros, pad);

	r->local += rec;
	/* Release: the record bytes above are visible before the consumer can see the new tail. */
	dxg_store_release(&r->ctrl->tail, dxg_to_le32(r->local));
	return 0;
}

static inline int dxg_ring_produce(struct dxg_ring *r, const void *msg, uint32_t len)
{
	return dxg_ring_produce2(r, msg, len, NULL, 0);
}

/*
 * After publishing: must the consumer be kicked? The full barrier orders our tail store before the
 * load of consumer_sleeping; its partner is the barrier in dxg_ring_consumer_prepare_sleep().
 */
static inline bool dxg_ring_producer_should_kick(const struct dxg_ring *r)
{
	dxg_full_barrier();
	return dxg_from_le32(dxg_read_once(r->ctrl->consumer_sleeping)) != 0;
}

/*
 * Before sleeping for space: announce it, then re-check. Returns true when `need` bytes are already
 * free (or the head is corrupt) and the caller must not sleep. Partner: the barrier in
 * dxg_ring_consumer_should_kick().
 */
static inline bool dxg_ring_producer_prepare_wait(struct dxg_ring *r, uint32_t need)
{
	int64_t space;

	dxg_write_once(r->ctrl->producer_waiting, dxg_to_le32(1));
	dxg_full_barrier();
	space = dxg_ring_space(r);
	return space < 0 || (uint64_t)space >= need;
}

static inline void dxg_ring_producer_end_wait(struct dxg_ring *r)
{
	dxg_write_once(r->ctrl->producer_waiting, dxg_to_le32(0));
}

/* ---- consumer side ---- */

/*
 * Bytes published and not yet consumed, or -EPROTO when the producer's tail is impossible.
 * Acquire on tail pairs with the producer's release in dxg_ring_produce2(): the record bytes are
 * visible once the tail is.
 */
static inline int64_t dxg_ring_available(const struct dxg_ring *r)
{
	uint32_t tail = dxg_from_le32(dxg_load_acquire(&r->ctrl->tail));
	uint32_t avail = tail - r->local;

	if (avail > r->size || (avail & (DXG_RING_ALIGN - 1)))
		return -EPROTO;
	return avail;
}

/*
 * Copies the next record's payload into `buf` (at least max_payload bytes) and gives its space
 * back. Returns the payload length, 0 when the ring is empty, or -EPROTO when the producer wrote
 * an impossible tail or length (the ring is then unusable: mark the peer broken).
 */
static inline int dxg_ring_consume(struct dxg_ring *r, void *buf, uint32_t bufsize)
{
	dxg_le32 prefix[2];
	uint32_t len;
	int64_t avail = dxg_ring_available(r);

	if (avail <= 0)
		return (int)avail;
	if (avail < DXG_RING_PREFIX)
		return -EPROTO;
	dxg_ring_copy_out(r, r->local, prefix, sizeof(prefix));
	len = dxg_from_le32(prefix[0]);
	if (len == 0 || len > r->max_payload || len > bufsize || prefix[1] != 0 ||
	    dxg_ring_record_size(len) > (uint64_t)avail)
		return -EPROTO;
	dxg_ring_copy_out(r, r->local + DXG_RING_PREFIX, buf, len);
	r->local += dxg_ring_record_size(len);
	/* Release: our copy-out is complete before the producer may reuse the space. */
	dxg_store_release(&r->ctrl->head, dxg_to_le32(r->local));
	return (int)len;
}

/*
 * After consuming: must the producer be kicked because it waits for space? Partner: the barrier in
 * dxg_ring_producer_prepare_wait().
 */
static inline bool dxg_ring_consumer_should_kick(const struct dxg_ring *r)
{
	dxg_full_barrier();
	return dxg_from_le32(dxg_read_once(r->ctrl->producer_waiting)) != 0;
}

/*
 * Before sleeping: announce it, then re-check the tail. Returns true when records (or a corrupt
 * tail) arrived meanwhile and the caller must not sleep; call dxg_ring_consumer_wake() then, and
 * after every wake-up. Partner: the barrier in dxg_ring_producer_should_kick().
 */
static inline bool dxg_ring_consumer_prepare_sleep(struct dxg_ring *r)
{
	dxg_write_once(r->ctrl->consumer_sleeping, dxg_to_le32(1));
	dxg_full_barrier();
	return dxg_ring_available(r) != 0;
}

static inline void dxg_ring_consumer_wake(struct dxg_ring *r)
{
	dxg_write_once(r->ctrl->consumer_sleeping, dxg_to_le32(0));
}

#endif /* OPENDXG_RING_H */
