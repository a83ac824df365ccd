// SPDX-License-Identifier: GPL-2.0
/*
 * The channel between this guest and dxgd: a shared region (ivshmem BAR2) with a request ring the
 * guest produces and a reply ring the guest consumes, plus doorbell interrupts both ways.
 *
 * Protocol duties of the guest (include/opendxg/region.h, ring.h, wire.h):
 * - touch the rings only while the region header says READY, after validating a private copy of
 *   the header; re-attach and send CONNECT whenever the generation changes (a worker restart);
 * - every request carries a fresh id; a reply is matched by id, so a waiter that gave up (killed,
 *   timed out) leaves a reply behind that is simply dropped;
 * - interrupts are hints: they are lost before MSI-X is enabled and coalesce afterwards, so every
 *   waiter also looks at the rings itself in DXG_POLL_SLICE_MS slices;
 * - the reply ring's consumer_sleeping flag stays 1: the host kicks after each reply it publishes.
 */
#include <linux/pci.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/delay.h>
#include <linux/random.h>
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/timekeeping.h>

#include "dxg.h"

/*
 * Replies are drained in batches with a reschedule in between, and at most DXG_DRAIN_LIMIT per
 * call: a host that never stops producing cannot keep one drainer (and recv_lock) forever. What
 * is left is found by the next interrupt or by a waiter's next poll.
 */
#define DXG_DRAIN_BATCH 64
#define DXG_DRAIN_LIMIT 1024

struct dxg_pending {
	struct list_head node;		/* on dxg_channel.pending until claimed or abandoned */
	u64 id;
	u16 opcode;
	void *reply;
	u32 reply_max;
	u32 reply_len;
	int result;
	bool answered;			/* the host replied: `result` is its verdict */
	u64 reply_ns;			/* when the drainer took the reply (ktime_get_ns()) */
	struct completion done;
};

static struct device *dxg_channel_dev(struct dxg_channel *ch)
{
	return &ch->pdev->dev;
}

static struct dxg_region_header *dxg_channel_header(struct dxg_channel *ch)
{
	return ch->region;
}

static void dxg_channel_kick(struct dxg_channel *ch)
{
	/* writel() is ordered after the ring stores to normal memory that precede it. */
	writel((DXG_HOST_PEER << 16) | DXG_VECTOR_RING, ch->regs + DXG_REG_DOORBELL);
}

static u32 dxg_region_state(struct dxg_channel *ch)
{
	/* Acquire: pairs with the host's release of READY after it formatted the rings. */
	return dxg_from_le32(dxg_load_acquire(&dxg_channel_header(ch)->state));
}

/*
 * No ordering: the value is only compared with the generation we connected in, as a hint to
 * reconnect; the connect work validates the header after an acquire of `state`.
 */
static u32 dxg_region_generation(struct dxg_channel *ch)
{
	return dxg_from_le32(READ_ONCE(dxg_channel_header(ch)->generation));
}

bool dxg_region_is_ours(const void *region, u64 size)
{
	const struct dxg_region_header *hdr = region;

	return size >= DXG_REGION_HEADER_SIZE &&
	       dxg_from_le64(READ_ONCE(hdr->magic)) == DXG_REGION_MAGIC;
}

/*
 * True for the first failure of a streak (cleared when the channel comes up): a channel that keeps
 * failing retries every DXG_RETRY_MAX_MS, and must not log each time.
 */
static bool dxg_channel_first_failure(struct dxg_channel *ch)
{
	bool first;

	spin_lock(&ch->lock);
	first = !ch->failure_logged;
	ch->failure_logged = true;
	spin_unlock(&ch->lock);
	return first;
}

/*
 * Checks the private copy of the header (dxg_region_parse(), shared with the user-space guest).
 * The host is more trusted than the guest, but a header that is wrong (another program's region, a
 * newer protocol, a bug) must end in a message and a channel that stays down, never in an access
 * outside the BAR.
 */
static int dxg_region_validate(struct dxg_channel *ch, const struct dxg_region_header *hdr,
			       struct dxg_region_layout *lay)
{
	u32 version = le32_to_cpu(hdr->version);
	const char *why;
	int ret;

	ret = dxg_region_parse(hdr, ch->region_size, lay, &why);
	if (ret == -EPROTONOSUPPORT) {
		if (dxg_channel_first_failure(ch))
			dev_err(dxg_channel_dev(ch),
				"host speaks protocol %u.%u, this driver %u.%u\n",
				version >> 16, version & 0xffff, DXG_PROTOCOL_MAJOR,
				DXG_PROTOCOL_MINOR);
		return -EPROTO;
	}
	if (ret) {
		if (dxg_channel_first_failure(ch))
			dev_err(dxg_channel_dev(ch), "region header rejected: %s\n", why);
		return ret;
	}
	/* A newer host may allow more; our own messages never exceed DXGW_MAX_MESSAGE. */
	lay->max_message = min(lay->max_message, DXGW_MAX_MESSAGE);
	return 0;
}

/* Called with ch->lock held. Completes every waiter with `err`. */
static void dxg_fail_pending_locked(struct dxg_channel *ch, int err)
{
	struct dxg_pending *p, *tmp;

	list_for_each_entry_safe(p, tmp, &ch->pending, node) {
		list_del_init(&p->node);
		p->result = err;
		complete(&p->done);
	}
}

/*
 * Every host object of the connection is gone or going, the pages the host named in it with them:
 * CPU mappings of the region stop working before anyone can reuse those pages, and fence waits
 * on its slots end (blocking ones with -ENODEV, eventfd ones signalled).
 */
static void dxg_channel_go_down(struct dxg_channel *ch, int err)
{
	spin_lock(&ch->lock);
	ch->state = DXG_CHANNEL_DOWN;
	ch->epoch = 0;
	dxg_fail_pending_locked(ch, err);
	spin_unlock(&ch->lock);
	wake_up_all(&ch->space_wq);
	dxg_mem_end_epoch();
	dxg_fence_end_epoch(ch);
}

/*
 * An attempt now: a control interrupt, a generation change, an ioctl on a down channel. If the
 * work waits for its backoff it runs at once instead; if it is running it runs once more.
 * Under the lock, so that dxg_channel_stop() cannot miss a work item queued late.
 */
static void dxg_channel_schedule_connect(struct dxg_channel *ch)
{
	spin_lock(&ch->lock);
	if (!ch->removing)
		mod_delayed_work(system_long_wq, &ch->connect_work, 0);
	spin_unlock(&ch->lock);
}

/*
 * The channel is down and nothing may ever kick it: a worker that was only stopped (SIGSTOP, a
 * debugger, an overloaded host) keeps its generation and sends no control interrupt when it
 * continues, and a corrupt ring does not mend itself. Retry later, with a doubling delay, so a
 * host that stays broken costs one attempt per DXG_RETRY_MAX_MS. An attempt already queued
 * (a kick) is left alone.
 */
static void dxg_channel_schedule_retry(struct dxg_channel *ch)
{
	spin_lock(&ch->lock);
	if (!ch->removing && ch->state == DXG_CHANNEL_DOWN &&
	    queue_delayed_work(system_long_wq, &ch->connect_work,
			       msecs_to_jiffies(ch->retry_delay_ms)))
		ch->retry_delay_ms = min_t(u32, ch->retry_delay_ms * 2, DXG_RETRY_MAX_MS);
	spin_unlock(&ch->lock);
}

/* The host broke the ring protocol: fail everything, and attach the rings afresh later. */
static void dxg_channel_broken(struct dxg_channel *ch, const char *why)
{
	if (dxg_channel_first_failure(ch))
		dev_err(dxg_channel_dev(ch), "%s; channel down, retrying\n", why);
	dxg_channel_go_down(ch, -EIO);
	dxg_channel_schedule_retry(ch);
}

/*
 * A ring index or record that makes no sense. If the header no longer says READY in the
 * generation we connected in, the host is restarting the worker and reformatted the rings under
 * us: that is a reconnect (-ENODEV for the waiters, as for any restart), not a broken host. The
 * header loads are ordered after the acquire load of the ring index that found the fault; its
 * partner is the host's INIT store and full barrier before it touches the rings (protocol.md
 * 2.3), so a reformatted index implies that INIT, or the new generation, is visible here.
 *
 * Return: the errno the pending calls were failed with: -ENODEV (restart) or -EIO (broken).
 */
static int dxg_channel_ring_fault(struct dxg_channel *ch, const char *why)
{
	u32 generation;

	spin_lock(&ch->lock);
	generation = ch->generation;
	spin_unlock(&ch->lock);
	if (dxg_region_state(ch) != DXG_REGION_STATE_READY ||
	    dxg_region_generation(ch) != generation) {
		dxg_channel_go_down(ch, -ENODEV);
		dxg_channel_schedule_connect(ch);
		return -ENODEV;
	}
	dxg_channel_broken(ch, why);
	return -EIO;
}

/*
 * An ioctl found the channel down and the host READY: the host may be back without telling us
 * (a stopped worker that continues sends no control interrupt). Try now rather than after the
 * backoff, but not while an attempt runs and at most every DXG_KICK_INTERVAL_MS, so that a
 * program polling a broken host cannot drive attempts back to back. The caller does not wait.
 */
static void dxg_channel_kick_connect(struct dxg_channel *ch)
{
	bool kick;

	spin_lock(&ch->lock);
	kick = !ch->attempt_running &&
	       time_after(jiffies, ch->attempt_end + msecs_to_jiffies(DXG_KICK_INTERVAL_MS));
	spin_unlock(&ch->lock);
	if (kick)
		dxg_channel_schedule_connect(ch);
}

/* A generation or state change whose control interrupt we missed: reconnect. */
static void dxg_channel_check_generation(struct dxg_channel *ch)
{
	enum dxg_channel_state state;
	u32 generation;

	spin_lock(&ch->lock);
	state = ch->state;
	generation = ch->generation;
	spin_unlock(&ch->lock);

	if (state == DXG_CHANNEL_CONNECTING)
		return;
	if (dxg_region_state(ch) != DXG_REGION_STATE_READY) {
		if (state == DXG_CHANNEL_UP)
			dxg_channel_schedule_connect(ch);
		return;
	}
	if (dxg_region_generation(ch) != generation)
		dxg_channel_schedule_connect(ch);
}

/*
 * The opcodes whose work may continue after the reply: their replies may carry the positive
 * DXGW_STATUS_PENDING with a body (wire.h), which the ioctl returns as its value, as WSL does.
 */
static bool dxg_opcode_may_pend(u16 opcode)
{
	return opcode == DXGW_OP_MAKE_RESIDENT || opcode == DXGW_OP_RECLAIM;
}

/* Valid host status: a negative errno that user space may see. */
static int dxg_status_to_errno(s32 status)
{
	if (status >= 0 || status < -MAX_ERRNO)
		return -EIO;
	/* 512..530 are kernel-internal codes (ERESTARTSYS...); they must not reach user space. */
	if (status <= -512 && status >= -530)
		return -EIO;
	return status;
}

/* Matches one reply (a private copy of the record) to its waiter. */
static void dxg_dispatch_reply(struct dxg_channel *ch, const void *buf, u32 len)
{
	struct dxg_pending *p = NULL, *it;
	struct dxgw_hdr hdr;
	u32 size, body_len, copy;
	s32 status;
	u16 flags;
	u64 id;

	if (len < sizeof(hdr)) {
		dev_err_ratelimited(dxg_channel_dev(ch), "dropping a %u-byte reply\n", len);
		return;
	}
	memcpy(&hdr, buf, sizeof(hdr));
	size = le32_to_cpu(hdr.size);
	flags = le16_to_cpu(hdr.flags);
	id = le64_to_cpu(hdr.request_id);
	status = (s32)le32_to_cpu(hdr.status);

	spin_lock(&ch->lock);
	list_for_each_entry(it, &ch->pending, node) {
		if (it->id == id) {
			p = it;
			/* Claimed: an abandoning waiter now waits for our complete(). */
			list_del_init(&p->node);
			break;
		}
	}
	spin_unlock(&ch->lock);

	if (!p) {
		/* The late reply of a waiter that was killed or timed out. */
		dev_dbg(dxg_channel_dev(ch), "dropping reply to unknown request %llu\n", id);
		return;
	}

	if (size != len || !(flags & DXGW_FLAG_REPLY) || (flags & ~DXGW_FLAGS_MASK) ||
	    le16_to_cpu(hdr.opcode) != p->opcode) {
		dev_err_ratelimited(dxg_channel_dev(ch),
				    "malformed reply to opcode %#x (size %u/%u, flags %#x)\n",
				    p->opcode, size, len, flags);
		p->result = -EIO;
	} else if (status && !(status == DXGW_STATUS_PENDING && dxg_opcode_may_pend(p->opcode))) {
		/* A reply with a non-zero status has no body. */
		p->result = dxg_status_to_errno(status);
		p->answered = true;
	} else {
		p->reply_ns = ktime_get_ns();
		/* Longer bodies come from newer hosts: keep what we know, zero what is missing. */
		body_len = len - sizeof(hdr);
		copy = min(body_len, p->reply_max);
		if (copy)
			memcpy(p->reply, (const u8 *)buf + sizeof(hdr), copy);
		if (p->reply_max > copy)
			memset((u8 *)p->reply + copy, 0, p->reply_max - copy);
		p->reply_len = copy;
		p->result = status;
		p->answered = true;
	}
	complete(&p->done);
}

/* Called with ch->recv_lock held. */
static void dxg_drain_replies_locked(struct dxg_channel *ch)
{
	bool consumed = false;
	int count;
	int len;

	spin_lock(&ch->lock);
	/* Down: the rings may be mid-format by a restarting host, or corrupt. */
	if (ch->state == DXG_CHANNEL_DOWN) {
		spin_unlock(&ch->lock);
		return;
	}
	spin_unlock(&ch->lock);

	for (count = 1; count <= DXG_DRAIN_LIMIT; count++) {
		len = dxg_ring_consume(&ch->rep, ch->scratch, ch->max_message);
		if (len == 0)
			break;
		if (len < 0) {
			dxg_channel_ring_fault(ch, "reply ring corrupt");
			return;
		}
		consumed = true;
		dxg_dispatch_reply(ch, ch->scratch, len);
		if (count % DXG_DRAIN_BATCH == 0)
			cond_resched();
	}
	/* The host may wait for reply ring space; partner: its prepare_wait barrier. */
	if (consumed && dxg_ring_consumer_should_kick(&ch->rep))
		dxg_channel_kick(ch);
}

/*
 * Drains what the host replied and looks for a generation change: what an interrupt would have
 * made happen, for waiters whose slice ended without one.
 */
void dxg_channel_poll(struct dxg_channel *ch)
{
	mutex_lock(&ch->recv_lock);
	dxg_drain_replies_locked(ch);
	mutex_unlock(&ch->recv_lock);
	dxg_channel_check_generation(ch);
}

void dxg_channel_ring_irq(struct dxg_channel *ch)
{
	dxg_channel_poll(ch);
	/* The same vector reports freed request ring space and new fence values. */
	wake_up_all(&ch->space_wq);
	dxg_fence_kick(ch);
}

void dxg_channel_control_irq(struct dxg_channel *ch)
{
	dxg_channel_schedule_connect(ch);
}

u64 dxg_channel_epoch(struct dxg_channel *ch)
{
	enum dxg_channel_state state;
	u64 epoch;

	spin_lock(&ch->lock);
	state = ch->state;
	epoch = state == DXG_CHANNEL_UP ? ch->epoch : 0;
	spin_unlock(&ch->lock);
	/*
	 * Down: a host that became ready while we were down, and whose kick we missed, or one
	 * that is back in the same generation. This call still fails; a later one may not.
	 */
	if (state == DXG_CHANNEL_DOWN) {
		dxg_channel_check_generation(ch);
		if (dxg_region_state(ch) == DXG_REGION_STATE_READY)
			dxg_channel_kick_connect(ch);
	}
	return epoch;
}

/**
 * dxg_channel_mem_layout() - where the heap and the fence storage of a connection lie
 * @ch: the channel
 * @epoch: the connection the caller's host reply belongs to
 * @lay: out, the BAR2 address and the two parts, as the connection's header said
 *
 * Return: 0, or -ENODEV when @epoch is no longer the channel's connection.
 */
int dxg_channel_mem_layout(struct dxg_channel *ch, u64 epoch, struct dxg_mem_layout *lay)
{
	int ret = -ENODEV;

	spin_lock(&ch->lock);
	if (ch->state == DXG_CHANNEL_UP && ch->epoch == epoch) {
		lay->region_phys = ch->region_phys;
		lay->heap_offset = ch->heap_offset;
		lay->heap_size = ch->heap_size;
		lay->fence_offset = ch->fence_offset;
		lay->fence_size = ch->fence_size;
		ret = 0;
	}
	spin_unlock(&ch->lock);
	return ret;
}

/* Called with ch->lock held. */
static int dxg_channel_usable_locked(struct dxg_channel *ch, u64 epoch, bool connect)
{
	if (connect)
		return ch->state == DXG_CHANNEL_CONNECTING ? 0 : -ENODEV;
	/* A handle from an earlier connection names nothing (or something else) on the host. */
	if (ch->state != DXG_CHANNEL_UP || epoch != ch->epoch)
		return -ENODEV;
	return 0;
}

static bool dxg_request_space_or_down(struct dxg_channel *ch, u32 need)
{
	s64 space = dxg_ring_space(&ch->req);

	return space < 0 || space >= need || READ_ONCE(ch->state) == DXG_CHANNEL_DOWN;
}

/*
 * One slice of waiting for request ring space, with the ring's two-flag handshake. Returns 0 to
 * try again, -ETIMEDOUT past the deadline, -EINTR when killed. Called with send_lock held.
 */
static int dxg_wait_request_space(struct dxg_channel *ch, u32 need, u32 flags,
				  unsigned long deadline)
{
	long slice = msecs_to_jiffies(DXG_POLL_SLICE_MS);
	long left = (long)(deadline - jiffies);
	long r;

	if (left <= 0)
		return -ETIMEDOUT;
	slice = min(slice, left);
	if (!dxg_ring_producer_prepare_wait(&ch->req, need)) {
		if (flags & DXG_CALL_UNKILLABLE) {
			wait_event_timeout(ch->space_wq, dxg_request_space_or_down(ch, need),
					   slice);
		} else {
			r = wait_event_killable_timeout(ch->space_wq,
							dxg_request_space_or_down(ch, need),
							slice);
			if (r < 0) {
				dxg_ring_producer_end_wait(&ch->req);
				return -EINTR;
			}
		}
	}
	dxg_ring_producer_end_wait(&ch->req);
	return 0;
}

static int dxg_send_request(struct dxg_channel *ch, const struct dxgw_hdr *hdr,
			    const struct dxg_call_args *a, bool connect, unsigned long deadline)
{
	u32 need = dxg_ring_record_size(sizeof(*hdr) + a->req_len);
	int ret;

	/* The holder may wait up to its deadline for ring space: a killed caller need not. */
	if (a->flags & DXG_CALL_UNKILLABLE)
		mutex_lock(&ch->send_lock);
	else if (mutex_lock_killable(&ch->send_lock))
		return -EINTR;
	for (;;) {
		spin_lock(&ch->lock);
		ret = dxg_channel_usable_locked(ch, a->epoch, connect);
		spin_unlock(&ch->lock);
		if (ret)
			break;
		if (sizeof(*hdr) + a->req_len > ch->max_message) {
			ret = -EMSGSIZE;
			break;
		}
		ret = dxg_ring_produce2(&ch->req, hdr, sizeof(*hdr), a->req, a->req_len);
		if (ret != -EAGAIN)
			break;
		ret = dxg_wait_request_space(ch, need, a->flags, deadline);
		if (ret)
			break;
	}
	/* Partner of the barrier in dxg_ring_producer_should_kick(): the host's prepare_sleep. */
	if (!ret && dxg_ring_producer_should_kick(&ch->req))
		dxg_channel_kick(ch);
	mutex_unlock(&ch->send_lock);

	if (ret == -EPROTO)
		ret = dxg_channel_ring_fault(ch, "request ring head corrupt");
	return ret;
}

/*
 * The waiter gives up. Returns true when it did before anyone claimed the request; false when a
 * drainer (or a channel failure) already owns it, in which case its result is final once we
 * return and the caller should use it.
 */
static bool dxg_abandon(struct dxg_channel *ch, struct dxg_pending *p)
{
	bool on_list;

	spin_lock(&ch->lock);
	on_list = !list_empty(&p->node);
	if (on_list)
		list_del_init(&p->node);
	spin_unlock(&ch->lock);
	if (on_list)
		return true;
	/* Claimed: the claimer is copying the reply into our buffer and completes promptly. */
	wait_for_completion(&p->done);
	return false;
}

static int dxg_wait_reply(struct dxg_channel *ch, struct dxg_pending *p,
			  struct dxg_call_args *a, unsigned long deadline)
{
	long slice = msecs_to_jiffies(DXG_POLL_SLICE_MS);
	long left, r;
	int ret;

	for (;;) {
		left = (long)(deadline - jiffies);
		if (left <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		if (a->flags & DXG_CALL_UNKILLABLE)
			r = wait_for_completion_timeout(&p->done, min(slice, left));
		else
			r = wait_for_completion_killable_timeout(&p->done, min(slice, left));
		if (r > 0)
			goto done;
		if (r < 0) {
			ret = -EINTR;
			break;
		}
		/* No interrupt within the slice: lost, coalesced, or the host is slow. Look. */
		dxg_channel_poll(ch);
		if (completion_done(&p->done))
			goto done;
	}
	if (dxg_abandon(ch, p)) {
		if (ret == -ETIMEDOUT && !a->timeout_ms)
			dev_warn_ratelimited(dxg_channel_dev(ch),
					     "no reply to opcode %#x within %u ms\n", p->opcode,
					     DXG_CALL_TIMEOUT_MS);
		return ret;
	}
done:
	a->reply_len = p->reply_len;
	a->answered = p->answered;
	a->reply_ns = p->reply_ns;
	return p->result;
}

static int dxg_transact(struct dxg_channel *ch, struct dxg_call_args *a, bool connect)
{
	unsigned long deadline = jiffies +
		msecs_to_jiffies(a->timeout_ms ? a->timeout_ms : DXG_CALL_TIMEOUT_MS);
	struct dxg_pending p = {
		.opcode = a->opcode,
		.reply = a->reply,
		.reply_max = a->reply_max,
	};
	struct dxgw_hdr hdr;
	int ret;

	a->reply_len = 0;
	a->answered = false;
	a->reply_ns = 0;
	if (a->req_len > DXGW_MAX_BODY || (a->req_len && !a->req) ||
	    (a->reply_max && !a->reply))
		return -EINVAL;
	INIT_LIST_HEAD(&p.node);
	init_completion(&p.done);

	spin_lock(&ch->lock);
	ret = dxg_channel_usable_locked(ch, a->epoch, connect);
	if (!ret) {
		p.id = ch->next_id++;
		list_add_tail(&p.node, &ch->pending);
	}
	spin_unlock(&ch->lock);
	if (ret)
		return ret;

	memset(&hdr, 0, sizeof(hdr));
	hdr.size = cpu_to_le32(sizeof(hdr) + a->req_len);
	hdr.opcode = cpu_to_le16(a->opcode);
	hdr.request_id = cpu_to_le64(p.id);
	hdr.process = cpu_to_le32(a->process);

	ret = dxg_send_request(ch, &hdr, a, connect, deadline);
	if (ret) {
		/* Not sent: the only other owner can be a channel failure, which is final. */
		dxg_abandon(ch, &p);
		return ret;
	}
	return dxg_wait_reply(ch, &p, a, deadline);
}

/**
 * dxg_call() - send one request to the host and wait for its reply
 * @ch: the channel
 * @a: opcode, host process and the epoch it belongs to, request body, reply buffer
 *
 * The reply body is copied into @a->reply (at most @a->reply_max bytes; a shorter body is
 * zero-extended) and its length stored in @a->reply_len.
 *
 * @a->answered tells whether the host answered: only then is a failure known to have changed
 * nothing on the host (every request is all or nothing); after -EINTR, -ETIMEDOUT or -EIO the
 * host may have acted on it.
 *
 * Return: 0; DXGW_STATUS_PENDING (positive, with the reply body) for the opcodes whose work goes
 * on after the reply (MAKE_RESIDENT, RECLAIM); the host's status (a negative errno); -ENODEV when
 * the channel is down or was reconnected since @a->epoch; -ETIMEDOUT after DXG_CALL_TIMEOUT_MS;
 * -EINTR when the caller was killed (not with DXG_CALL_UNKILLABLE); -EIO when the host broke the
 * protocol; -EMSGSIZE when the request exceeds the host's message size.
 */
int dxg_call(struct dxg_channel *ch, struct dxg_call_args *a)
{
	if (!a->epoch)
		return -ENODEV;
	return dxg_transact(ch, a, false);
}

static int dxg_wait_ready(struct dxg_channel *ch)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(DXG_READY_TIMEOUT_MS);

	while (dxg_region_state(ch) != DXG_REGION_STATE_READY) {
		if (READ_ONCE(ch->removing))
			return -ENODEV;
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		msleep(20);
	}
	return 0;
}

/* Attaches both rings as the layout says. Called with send_lock and recv_lock held. */
static int dxg_attach_rings_locked(struct dxg_channel *ch,
				   const struct dxg_region_layout *lay)
{
	u8 *base = ch->region;
	int ret;

	ret = dxg_ring_attach(&ch->req, (struct dxg_ring_ctrl *)(base + lay->ring_ctrl[0]),
			      base + lay->ring_data[0], lay->ring_size[0], lay->max_message,
			      true);
	if (ret)
		return ret;
	ret = dxg_ring_attach(&ch->rep, (struct dxg_ring_ctrl *)(base + lay->ring_ctrl[1]),
			      base + lay->ring_data[1], lay->ring_size[1], lay->max_message,
			      false);
	if (ret)
		return ret;
	/*
	 * We always want to hear about replies. The return value (records already there) does not
	 * matter: the first waiter's poll finds them.
	 */
	dxg_ring_consumer_prepare_sleep(&ch->rep);
	/*
	 * Acknowledge the generation, declaring where our rings start. The host serves the rings
	 * only from this store on and starts them at the declared indices, so an index we stored
	 * for an older generation cannot be misread and nothing we publish later is skipped.
	 * Release: the declared starts (and consumer_sleeping above) come first; partner: the
	 * host's acquire load of guest_generation before it reads the starts. Then wake the host,
	 * which does not look at the rings before it sees the acknowledgment.
	 */
	WRITE_ONCE(dxg_channel_header(ch)->guest_request_start, cpu_to_le32(ch->req.local));
	WRITE_ONCE(dxg_channel_header(ch)->guest_reply_start, cpu_to_le32(ch->rep.local));
	dxg_store_release(&dxg_channel_header(ch)->guest_generation,
			  dxg_to_le32(lay->generation));
	dxg_channel_kick(ch);
	return 0;
}

/*
 * Waits until the host has adopted the ring starts we declared with our acknowledgment
 * (protocol.md 2.3): it then publishes them as its request head and reply tail, and neither
 * moves before we produce a request. Until then both still read as formatted (0), so if our
 * starts are not 0 (a store of ours for the previous generation landed after the format: the race
 * the handshake exists for) the rings would look corrupt to the first producer or drainer.
 * The acquire loads pair with the host's release stores of the adopted indices.
 */
static int dxg_wait_rings_adopted(struct dxg_channel *ch, u32 generation, u32 request_start,
				  u32 reply_start)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(DXG_CONNECT_TIMEOUT_MS);

	for (;;) {
		if (dxg_from_le32(dxg_load_acquire(&ch->req.ctrl->head)) == request_start &&
		    dxg_from_le32(dxg_load_acquire(&ch->rep.ctrl->tail)) == reply_start)
			return 0;
		if (READ_ONCE(ch->removing))
			return -ENODEV;
		/* Restarted again before adopting: start over with the new generation. */
		if (dxg_region_state(ch) != DXG_REGION_STATE_READY ||
		    dxg_region_generation(ch) != generation)
			return -EAGAIN;
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		usleep_range(200, 1000);
	}
}

static int dxg_channel_send_connect(struct dxg_channel *ch, u32 generation, u32 *adapters)
{
	struct dxgw_connect_req req = {
		.guest_version = cpu_to_le32(DXG_PROTOCOL_VERSION),
		.guest_features = cpu_to_le64(0),
	};
	struct dxgw_connect_reply reply;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_CONNECT,
		.flags = DXG_CALL_UNKILLABLE,
		.req = &req,
		.req_len = sizeof(req),
		.reply = &reply,
		.reply_max = sizeof(reply),
		.timeout_ms = DXG_CONNECT_TIMEOUT_MS,
	};
	u32 host_version;
	int ret;

	ret = dxg_transact(ch, &a, true);
	if (ret)
		return ret;
	host_version = le32_to_cpu(reply.host_version);
	if (a.reply_len < sizeof(reply) || host_version >> 16 != DXG_PROTOCOL_MAJOR) {
		if (dxg_channel_first_failure(ch))
			dev_err(dxg_channel_dev(ch), "bad CONNECT reply (host version %#x)\n",
				host_version);
		return -EPROTO;
	}
	/* The host restarted between our READY check and CONNECT: start over. */
	if (le32_to_cpu(reply.generation) != generation)
		return -EAGAIN;
	*adapters = le32_to_cpu(reply.adapter_count);
	return 0;
}

static int dxg_channel_connect(struct dxg_channel *ch)
{
	struct dxg_region_header hdr;
	struct dxg_region_layout lay;
	void *scratch = NULL;
	bool up;
	u32 generation, adapters, request_start = 0, reply_start = 0;
	u64 epoch;
	int ret;

	spin_lock(&ch->lock);
	up = ch->state == DXG_CHANNEL_UP;
	generation = ch->generation;
	spin_unlock(&ch->lock);
	if (up && dxg_region_state(ch) == DXG_REGION_STATE_READY &&
	    dxg_region_generation(ch) == generation)
		return 0;

	/* Every host object we knew is gone (or about to be): fail their users now. */
	dxg_channel_go_down(ch, -ENODEV);

	ret = dxg_wait_ready(ch);
	if (ret)
		return ret;

	/* One copy of the header; only the validated copy is used from here on. */
	memcpy(&hdr, ch->region, sizeof(hdr));
	/*
	 * Remember the generation even if this attempt fails: a waiter that sees it change
	 * reconnects at once; otherwise the retry backoff (or an ioctl's kick) decides.
	 */
	spin_lock(&ch->lock);
	ch->generation = le32_to_cpu(hdr.generation);
	spin_unlock(&ch->lock);
	ret = dxg_region_validate(ch, &hdr, &lay);
	if (ret)
		return ret;

	scratch = kvmalloc(lay.max_message, GFP_KERNEL);
	if (!scratch)
		return -ENOMEM;

	/* The channel stays DOWN until the host has adopted our starts: nobody uses the rings. */
	mutex_lock(&ch->send_lock);
	mutex_lock(&ch->recv_lock);
	ret = dxg_attach_rings_locked(ch, &lay);
	if (!ret) {
		swap(ch->scratch, scratch);
		ch->max_message = lay.max_message;
		request_start = ch->req.local;
		reply_start = ch->rep.local;
	}
	mutex_unlock(&ch->recv_lock);
	mutex_unlock(&ch->send_lock);
	if (ret && dxg_channel_first_failure(ch))
		dev_err(dxg_channel_dev(ch), "cannot attach the rings: %d\n", ret);
	kvfree(scratch);
	if (ret)
		return ret;

	/* A host that saw an acknowledgment of this generation before does not adopt again. */
	if (le32_to_cpu(hdr.guest_generation) != lay.generation) {
		ret = dxg_wait_rings_adopted(ch, lay.generation, request_start, reply_start);
		if (ret)
			return ret;
	}
	spin_lock(&ch->lock);
	if (ch->removing)
		ret = -ENODEV;
	else
		ch->state = DXG_CHANNEL_CONNECTING;
	spin_unlock(&ch->lock);
	if (ret)
		return ret;

	ret = dxg_channel_send_connect(ch, lay.generation, &adapters);
	if (ret) {
		dxg_channel_go_down(ch, -ENODEV);
		return ret;
	}

	/*
	 * Faults on CPU mappings accept the new epoch before the first call in it can map a
	 * page; if the channel goes down meanwhile, nothing of that epoch is ever mapped.
	 */
	epoch = atomic64_inc_return(&dxg_global.epoch_counter);
	dxg_mem_begin_epoch(epoch);
	dxg_fence_begin_epoch(ch, epoch);
	spin_lock(&ch->lock);
	if (ch->removing || ch->state != DXG_CHANNEL_CONNECTING) {
		ret = -ENODEV;
	} else {
		ch->state = DXG_CHANNEL_UP;
		ch->epoch = epoch;
		ch->heap_offset = lay.heap_offset;
		ch->heap_size = lay.heap_size;
		ch->fence_offset = lay.fence_offset;
		ch->fence_size = lay.fence_size;
		ch->adapter_count = adapters;
		ch->retry_delay_ms = DXG_RETRY_FIRST_MS;
		ch->failure_logged = false;
	}
	spin_unlock(&ch->lock);
	if (ret)
		return ret;

	dev_info(dxg_channel_dev(ch), "connected: protocol %u.%u, generation %u, %u adapter(s)\n",
		 DXG_PROTOCOL_MAJOR, DXG_PROTOCOL_MINOR, lay.generation, adapters);
	return 0;
}

static void dxg_channel_connect_work(struct work_struct *work)
{
	struct dxg_channel *ch = container_of(to_delayed_work(work), struct dxg_channel,
					      connect_work);
	int tries = 3;
	int ret;

	spin_lock(&ch->lock);
	ch->attempt_running = true;
	spin_unlock(&ch->lock);
	do {
		ret = dxg_channel_connect(ch);
	} while (ret == -EAGAIN && --tries);
	spin_lock(&ch->lock);
	ch->attempt_running = false;
	ch->attempt_end = jiffies;
	spin_unlock(&ch->lock);

	if (ret && !READ_ONCE(ch->removing)) {
		/* Once per failure streak; the retries that follow are silent. */
		if (dxg_channel_first_failure(ch))
			dev_warn(dxg_channel_dev(ch),
				 "not connected to the host (%d); retrying\n", ret);
		dxg_channel_schedule_retry(ch);
	}
	complete_all(&ch->first_attempt);
}

struct dxg_channel *dxg_channel_create(struct pci_dev *pdev, void __iomem *regs, void *region,
				       phys_addr_t region_phys, u64 region_size)
{
	struct dxg_channel *ch;

	ch = kzalloc(sizeof(*ch), GFP_KERNEL);
	if (!ch)
		return NULL;
	ch->pdev = pdev;
	ch->regs = regs;
	ch->region = region;
	ch->region_phys = region_phys;
	ch->region_size = region_size;
	spin_lock_init(&ch->lock);
	ch->state = DXG_CHANNEL_DOWN;
	INIT_LIST_HEAD(&ch->pending);
	/* Replies left in the ring by a previous driver instance must not match our ids. */
	ch->next_id = get_random_u64();
	mutex_init(&ch->send_lock);
	init_waitqueue_head(&ch->space_wq);
	mutex_init(&ch->recv_lock);
	ch->retry_delay_ms = DXG_RETRY_FIRST_MS;
	ch->attempt_end = jiffies;
	INIT_DELAYED_WORK(&ch->connect_work, dxg_channel_connect_work);
	init_completion(&ch->first_attempt);
	dxg_fence_init(ch);
	return ch;
}

/* Called after the interrupts were freed: nothing queues the fence work any more. */
void dxg_channel_destroy(struct dxg_channel *ch)
{
	dxg_fence_stop(ch);
	kvfree(ch->scratch);
	kfree(ch);
}

/*
 * Starts connecting and waits a while for the first attempt, so that /dev/dxg finds the adapters
 * as soon as the module load returns; a host that is not ready does not hold up the boot longer.
 */
void dxg_channel_start(struct dxg_channel *ch)
{
	dxg_channel_schedule_connect(ch);
	wait_for_completion_timeout(&ch->first_attempt,
				    msecs_to_jiffies(DXG_READY_TIMEOUT_MS + DXG_POLL_SLICE_MS));
}

/*
 * Fails every waiter and stops reconnecting. Afterwards only ioctls already inside the channel
 * (and the interrupt threads) may still read the region header; PCI remove frees the interrupts
 * and waits for those ioctls before it unmaps the region.
 */
void dxg_channel_stop(struct dxg_channel *ch)
{
	spin_lock(&ch->lock);
	ch->removing = true;
	spin_unlock(&ch->lock);
	dxg_channel_go_down(ch, -ENODEV);
	/* Also stops a pending retry; a running attempt sees `removing` and does not re-arm. */
	cancel_delayed_work_sync(&ch->connect_work);
	/* The fence lists are empty now; an interrupt may still queue the work, which finds none. */
	dxg_fence_stop(ch);
}
