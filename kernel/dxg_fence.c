// SPDX-License-Identifier: GPL-2.0
/*
 * Watching fence slots: the guest's side of CPU waits and CPU notifications.
 *
 * Monitored fences (and CPU notification counters) are u64 slots in the region's fence storage.
 * The host is their only writer: it stores a new value (little-endian, release) and then kicks
 * DXG_VECTOR_RING (wire.h, "0x05xx"). The guest never asks the host to wait for it: a CPU wait
 * resolves its objects to slots once (DXGW_OP_GET_FENCE_SLOTS, dxg_ioctl_sync.c) and then
 * watches them here, re-checking after every ring interrupt.
 *
 * - Blocking waits (dxg_fence_wait()) sleep on the channel's fence_wq. The ring interrupt wakes
 *   it after the host's store, and the waiter queues itself (prepare_to_wait(), which implies a
 *   full barrier) before it loads the slots, so a value stored after the check is followed by a
 *   wake-up that finds it queued. Interrupts are hints (ivshmem-notes): the waiter also wakes
 *   every DXG_POLL_SLICE_MS and looks at the rings itself.
 * - Eventfd waits (struct dxg_fence_async) and CPU notification objects (struct dxg_fence_notify)
 *   are records on the channel's lists. The interrupt queues fence_work at once; the work checks
 *   every record, signals fired waits (and drops them) and notifications whose count moved. While
 *   any record exists the work also re-arms itself every DXG_FENCE_POLL_MS.
 *
 * Records belong to a connection: fence_epoch names it, a record is only added while it is the
 * caller's, and when the channel goes down (worker restart, broken ring, PCI remove) every record
 * goes with fence_epoch = 0: eventfd waits are signalled (their waiter must learn that the wait is
 * over; the next call tells it the device is gone), notifications dropped, blocking waiters woken
 * to return -ENODEV. So a record never outlives the mapping of the region it reads: PCI remove
 * ends the epoch before it unmaps BAR2, and a blocking waiter is inside an ioctl, which remove
 * waits for.
 *
 * Sync file fences (struct dxg_sync_point, dxg_syncfile.c) are a third kind of record: they
 * belong to no process (a sync file outlives its creator and travels between processes) and
 * watch the share's own slot, which no process can destroy. The list holds a reference on each,
 * so a point is never freed while it is watched and its release never has to unlink it (it may
 * run in any context). A point leaves the list exactly once, signalled: at its value, with -EIO
 * when the slot holds DXGW_FENCE_VALUE_ERROR (no handle on the object is left, nothing can
 * signal it any more), or with -ENODEV when the connection ends. dma_fence requires that every
 * fence signals in finite time: those three cases cover every way the slot can stop moving.
 * Points are signalled after fence_lock is dropped: dma_fence callbacks run in dma_fence_signal()
 * and may take locks of their own.
 *
 * Records name their process (for its counters and for dxg_fence_forget()); a process removes all
 * of its records before it is freed, under fence_lock, so the pointer is valid while a record is
 * on a list. Whoever takes a record off a list (under fence_lock) owns it, and updates the
 * process's counters while still holding the lock.
 */
#include <linux/eventfd.h>
#include <linux/list.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "dxg.h"

/* A pending WAITFORSYNCHRONIZATIONOBJECTFROMCPU with an eventfd. */
struct dxg_fence_async {
	struct list_head node;		/* dxg_channel.fence_async */
	struct dxg_process *proc;
	u32 device;
	u32 adapter;			/* the device's host adapter */
	u32 count;
	bool wait_any;
	struct eventfd_ctx *event;
	u32 handles[DXGW_MAX_SYNC_OBJECTS];
	u64 offsets[DXGW_MAX_SYNC_OBJECTS];
	u64 values[DXGW_MAX_SYNC_OBJECTS];
};

/* A CPU_NOTIFICATION sync object: its slot counts the signals it received. */
struct dxg_fence_notify {
	struct list_head node;		/* dxg_channel.fence_notify */
	struct dxg_process *proc;
	u32 handle;
	u32 device;
	u32 adapter;
	u64 offset;
	u64 last;			/* the count the eventfd was last signalled for */
	struct eventfd_ctx *event;
};

/* One slot's value, at an offset checked with dxg_fence_check_slots(). */
static u64 dxg_fence_read(struct dxg_channel *ch, u64 offset)
{
	__le64 *slot = (__le64 *)((u8 *)ch->region + offset);

	/*
	 * Acquire: pairs with the host's release store of the value, so whatever the host wrote
	 * before it (a command buffer's results in host-visible memory) is visible to a waiter
	 * that sees the value.
	 */
	return le64_to_cpu(virt_load_acquire(slot));
}

/* Whether all (or, for @wait_any, one) of the slots reached their values. */
static bool dxg_fence_reached(struct dxg_channel *ch, const u64 *offsets, const u64 *values,
			      u32 count, bool wait_any)
{
	u32 i;

	for (i = 0; i < count; i++) {
		if (dxg_fence_read(ch, offsets[i]) >= values[i]) {
			if (wait_any)
				return true;
		} else if (!wait_any) {
			return false;
		}
	}
	return !wait_any;
}

static void dxg_fence_async_free(struct dxg_fence_async *w, bool signal)
{
	if (signal)
		eventfd_signal(w->event, 1);
	eventfd_ctx_put(w->event);
	kfree(w);
}

static void dxg_fence_notify_free(struct dxg_fence_notify *n)
{
	eventfd_ctx_put(n->event);
	kfree(n);
}

/* Takes a record off its list. Called with fence_lock held. */
static void dxg_fence_unlink_async_locked(struct dxg_channel *ch, struct dxg_fence_async *w,
					  struct list_head *to)
{
	list_move_tail(&w->node, to);
	w->proc->fence_async--;
	ch->fence_records--;
}

static void dxg_fence_unlink_notify_locked(struct dxg_channel *ch, struct dxg_fence_notify *n,
					   struct list_head *to)
{
	list_move_tail(&n->node, to);
	n->proc->fence_notify--;
	ch->fence_records--;
}

/* Whether a sync point's slot reached its value (or the error value). Under fence_lock. */
static bool dxg_fence_point_done(struct dxg_channel *ch, const struct dxg_sync_point *point,
				 int *error)
{
	u64 now = dxg_fence_read(ch, point->offset);

	*error = now == DXGW_FENCE_VALUE_ERROR ? -EIO : 0;
	return *error || now >= point->value;
}

/*
 * Takes a point off the list with its verdict (@error, 0: reached); the list's reference goes to
 * @to. Under fence_lock. Only the list's owner signals a point, so it cannot be signalled yet.
 */
static void dxg_fence_unlink_point_locked(struct dxg_channel *ch, struct dxg_sync_point *point,
					  int error, struct list_head *to)
{
	if (error)
		dma_fence_set_error(&point->base, error);
	list_move_tail(&point->node, to);
	ch->fence_records--;
}

/* Signals the points of a private list and drops them (outside fence_lock). */
static void dxg_fence_signal_points(struct list_head *points)
{
	struct dxg_sync_point *point, *tmp;

	list_for_each_entry_safe(point, tmp, points, node) {
		list_del_init(&point->node);
		dma_fence_signal(&point->base);
		dma_fence_put(&point->base);
	}
}

static void dxg_fence_work_fn(struct work_struct *work)
{
	struct dxg_channel *ch = container_of(to_delayed_work(work), struct dxg_channel,
					      fence_work);
	struct dxg_fence_async *w, *wtmp;
	struct dxg_sync_point *point, *ptmp;
	struct dxg_fence_notify *n;
	LIST_HEAD(fired);
	LIST_HEAD(points);
	bool again;
	u64 count;
	int error;

	spin_lock(&ch->fence_lock);
	list_for_each_entry_safe(w, wtmp, &ch->fence_async, node) {
		if (dxg_fence_reached(ch, w->offsets, w->values, w->count, w->wait_any))
			dxg_fence_unlink_async_locked(ch, w, &fired);
	}
	/*
	 * Signalled under the lock: a notification may be destroyed as soon as it is released, and
	 * eventfd_signal() only takes the eventfd's own wait queue lock (it may be called from any
	 * context).
	 */
	list_for_each_entry(n, &ch->fence_notify, node) {
		count = dxg_fence_read(ch, n->offset);
		if (count != n->last) {
			n->last = count;
			eventfd_signal(n->event, 1);
		}
	}
	list_for_each_entry_safe(point, ptmp, &ch->fence_points, node) {
		if (dxg_fence_point_done(ch, point, &error))
			dxg_fence_unlink_point_locked(ch, point, error, &points);
	}
	again = ch->fence_records != 0;
	spin_unlock(&ch->fence_lock);

	list_for_each_entry_safe(w, wtmp, &fired, node)
		dxg_fence_async_free(w, true);
	dxg_fence_signal_points(&points);
	if (again)
		queue_delayed_work(system_wq, &ch->fence_work, msecs_to_jiffies(DXG_FENCE_POLL_MS));
}

void dxg_fence_init(struct dxg_channel *ch)
{
	spin_lock_init(&ch->fence_lock);
	INIT_LIST_HEAD(&ch->fence_async);
	INIT_LIST_HEAD(&ch->fence_notify);
	INIT_LIST_HEAD(&ch->fence_points);
	init_waitqueue_head(&ch->fence_wq);
	INIT_DELAYED_WORK(&ch->fence_work, dxg_fence_work_fn);
}

/* Called before the channel goes up in @epoch (dxg_transport.c): no record of it exists yet. */
void dxg_fence_begin_epoch(struct dxg_channel *ch, u64 epoch)
{
	spin_lock(&ch->fence_lock);
	ch->fence_epoch = epoch;
	spin_unlock(&ch->fence_lock);
}

/*
 * The connection ended: its slots mean nothing any more (the host reformats the region). Blocking
 * waiters see fence_epoch change after the wake-up; eventfd waits are signalled and dropped;
 * notifications dropped (their objects died with the connection); sync file fences signalled
 * with -ENODEV (the host forgot their shares).
 */
void dxg_fence_end_epoch(struct dxg_channel *ch)
{
	struct dxg_fence_async *w, *wtmp;
	struct dxg_fence_notify *n, *ntmp;
	struct dxg_sync_point *point, *ptmp;
	LIST_HEAD(async);
	LIST_HEAD(notify);
	LIST_HEAD(points);

	spin_lock(&ch->fence_lock);
	ch->fence_epoch = 0;
	list_for_each_entry_safe(w, wtmp, &ch->fence_async, node)
		dxg_fence_unlink_async_locked(ch, w, &async);
	list_for_each_entry_safe(n, ntmp, &ch->fence_notify, node)
		dxg_fence_unlink_notify_locked(ch, n, &notify);
	list_for_each_entry_safe(point, ptmp, &ch->fence_points, node)
		dxg_fence_unlink_point_locked(ch, point, -ENODEV, &points);
	spin_unlock(&ch->fence_lock);
	/* Partner: the waiter's prepare_to_wait() before it reads fence_epoch. */
	wake_up_all(&ch->fence_wq);
	dxg_fence_signal_points(&points);

	list_for_each_entry_safe(w, wtmp, &async, node)
		dxg_fence_async_free(w, true);
	list_for_each_entry_safe(n, ntmp, &notify, node)
		dxg_fence_notify_free(n);
}

/* Waits for a running check; the lists are empty when this is called (the epoch ended). */
void dxg_fence_stop(struct dxg_channel *ch)
{
	cancel_delayed_work_sync(&ch->fence_work);
}

/*
 * A ring interrupt: the host may have written fence values. Blocking waiters check for
 * themselves; the records are checked by the work. The count is read under the lock: an ioctl
 * adds a record and checks its slots in one critical section, so either that check saw the
 * host's value or this sees the record.
 */
void dxg_fence_kick(struct dxg_channel *ch)
{
	bool records;

	wake_up_all(&ch->fence_wq);
	spin_lock(&ch->fence_lock);
	records = ch->fence_records != 0;
	spin_unlock(&ch->fence_lock);
	if (records)
		mod_delayed_work(system_wq, &ch->fence_work, 0);
}

/**
 * dxg_fence_check_slots() - validate the host's slot offsets before anything reads them
 * @ch: the channel
 * @epoch: the connection the offsets were answered in
 * @offsets: region offsets
 * @count: entries of @offsets
 *
 * Return: 0; -EIO when one is not an aligned u64 inside the fence storage; -ENODEV when @epoch
 * is no longer the channel's connection.
 */
int dxg_fence_check_slots(struct dxg_channel *ch, u64 epoch, const u64 *offsets, u32 count)
{
	struct dxg_mem_layout lay;
	u32 i;
	int ret;

	ret = dxg_channel_mem_layout(ch, epoch, &lay);
	if (ret)
		return ret;
	for (i = 0; i < count; i++) {
		if (!IS_ALIGNED(offsets[i], sizeof(u64)) || lay.fence_size < sizeof(u64) ||
		    offsets[i] < lay.fence_offset ||
		    offsets[i] - lay.fence_offset > lay.fence_size - sizeof(u64))
			return -EIO;
	}
	return 0;
}

/**
 * dxg_fence_wait() - sleep until fence slots reach their values
 * @ch: the channel (the caller is inside an ioctl: it stays mapped)
 * @epoch: the connection of the slots
 * @offsets: region offsets, checked with dxg_fence_check_slots()
 * @values: the values to reach (a slot at or above its value is reached)
 * @count: entries of both
 * @wait_any: one reached slot is enough
 *
 * Interruptible, without a timeout (the WSL semantics of WAITFORSYNCHRONIZATIONOBJECTFROMCPU
 * with no event).
 *
 * Return: 0; -ENODEV when the connection ends (a worker restart); -ERESTARTSYS when a signal
 * arrives (user space sees -EINTR unless the handler restarts the call, which then waits anew).
 */
int dxg_fence_wait(struct dxg_channel *ch, u64 epoch, const u64 *offsets, const u64 *values,
		   u32 count, bool wait_any)
{
	long slice = msecs_to_jiffies(DXG_POLL_SLICE_MS);
	DEFINE_WAIT(wait);
	int ret;

	for (;;) {
		prepare_to_wait(&ch->fence_wq, &wait, TASK_INTERRUPTIBLE);
		if (READ_ONCE(ch->fence_epoch) != epoch) {
			ret = -ENODEV;
			break;
		}
		if (dxg_fence_reached(ch, offsets, values, count, wait_any)) {
			ret = 0;
			break;
		}
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		if (schedule_timeout(slice))
			continue;
		/*
		 * A whole slice without a wake-up: the interrupt may be lost, or a restart's control
		 * interrupt. Look at the rings and the header as a dxg_call() waiter does (we are
		 * TASK_RUNNING again, so the poll may sleep).
		 */
		dxg_channel_poll(ch);
	}
	finish_wait(&ch->fence_wq, &wait);
	return ret;
}

/**
 * dxg_fence_wait_async() - signal an eventfd once fence slots reach their values
 * @ch: the channel
 * @proc: the waiting process
 * @epoch: the connection of the slots
 * @device: the device the objects were resolved on, and @adapter its host adapter
 * @adapter: see @device
 * @handles: the objects, for DESTROYSYNCHRONIZATIONOBJECT (dxg_fence_forget())
 * @offsets: region offsets, checked with dxg_fence_check_slots()
 * @values: the values to reach
 * @count: entries of the three arrays
 * @wait_any: one reached slot is enough
 * @event: the eventfd; the reference passes to this function whatever it returns
 *
 * Already reached: the eventfd is signalled now. Otherwise a record watches the slots until they
 * are reached, the connection ends, one of the objects or the device is destroyed (the eventfd
 * is signalled in all three cases), or the process goes (dropped).
 *
 * Return: 0; -ENODEV when @epoch is no longer the channel's connection; -ENOMEM when the process
 * has DXG_MAX_ASYNC_WAITS pending.
 */
int dxg_fence_wait_async(struct dxg_channel *ch, struct dxg_process *proc, u64 epoch,
			 u32 device, u32 adapter, const u32 *handles, const u64 *offsets,
			 const u64 *values, u32 count, bool wait_any, struct eventfd_ctx *event)
{
	struct dxg_fence_async *w;
	bool reached = false, start = false;
	int ret = 0;

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w) {
		eventfd_ctx_put(event);
		return -ENOMEM;
	}
	w->proc = proc;
	w->device = device;
	w->adapter = adapter;
	w->count = count;
	w->wait_any = wait_any;
	w->event = event;
	memcpy(w->handles, handles, count * sizeof(*handles));
	memcpy(w->offsets, offsets, count * sizeof(*offsets));
	memcpy(w->values, values, count * sizeof(*values));

	/* Check and add in one section: see dxg_fence_kick(). */
	spin_lock(&ch->fence_lock);
	if (ch->fence_epoch != epoch) {
		ret = -ENODEV;
	} else if (dxg_fence_reached(ch, offsets, values, count, wait_any)) {
		reached = true;
	} else if (proc->fence_async >= DXG_MAX_ASYNC_WAITS) {
		ret = -ENOMEM;
	} else {
		list_add_tail(&w->node, &ch->fence_async);
		proc->fence_async++;
		start = ch->fence_records++ == 0;
		w = NULL;
	}
	spin_unlock(&ch->fence_lock);

	if (w) {
		dxg_fence_async_free(w, reached);
		return ret;
	}
	/* The first record starts the safety-net polling. */
	if (start)
		queue_delayed_work(system_wq, &ch->fence_work, msecs_to_jiffies(DXG_FENCE_POLL_MS));
	return 0;
}

/**
 * dxg_fence_add_notification() - signal an eventfd whenever a CPU notification's count moves
 * @ch: the channel
 * @proc: the owning process
 * @epoch: the connection the object was created in
 * @handle: the sync object
 * @device: its device, and @adapter the device's host adapter
 * @adapter: see @device
 * @offset: its slot, checked with dxg_fence_check_slots()
 * @event: the eventfd; the reference passes to this function whatever it returns
 *
 * The record lives until DESTROYSYNCHRONIZATIONOBJECT, the destruction of its device (also by the
 * last CLOSEADAPTER), the process's teardown, or the end of the connection (dxg_fence_forget(),
 * dxg_fence_end_epoch()).
 *
 * Return: 0; -ENODEV when @epoch is no longer the channel's connection; -ENOMEM (also when the
 * process has DXG_MAX_CPU_NOTIFICATIONS).
 */
int dxg_fence_add_notification(struct dxg_channel *ch, struct dxg_process *proc, u64 epoch,
			       u32 handle, u32 device, u32 adapter, u64 offset,
			       struct eventfd_ctx *event)
{
	struct dxg_fence_notify *n;
	bool start = false;
	int ret = 0;

	n = kzalloc(sizeof(*n), GFP_KERNEL);
	if (!n) {
		eventfd_ctx_put(event);
		return -ENOMEM;
	}
	n->proc = proc;
	n->handle = handle;
	n->device = device;
	n->adapter = adapter;
	n->offset = offset;
	n->event = event;

	spin_lock(&ch->fence_lock);
	if (ch->fence_epoch != epoch) {
		ret = -ENODEV;
	} else if (proc->fence_notify >= DXG_MAX_CPU_NOTIFICATIONS) {
		ret = -ENOMEM;
	} else {
		/*
		 * The host stored the count 0 before it answered CREATE_SYNC_OBJECT: anything more
		 * is a signal that came before this record (another thread may know the handle).
		 */
		n->last = dxg_fence_read(ch, offset);
		if (n->last)
			eventfd_signal(event, 1);
		list_add_tail(&n->node, &ch->fence_notify);
		proc->fence_notify++;
		start = ch->fence_records++ == 0;
		n = NULL;
	}
	spin_unlock(&ch->fence_lock);

	if (n) {
		dxg_fence_notify_free(n);
		return ret;
	}
	if (start)
		queue_delayed_work(system_wq, &ch->fence_work, msecs_to_jiffies(DXG_FENCE_POLL_MS));
	return 0;
}

static bool dxg_fence_async_matches(const struct dxg_fence_async *w, enum dxg_forget_by by,
				    u32 value)
{
	u32 i;

	switch (by) {
	case DXG_FORGET_SYNC_OBJECT:
		for (i = 0; i < w->count; i++) {
			if (w->handles[i] == value)
				return true;
		}
		return false;
	case DXG_FORGET_DEVICE:
		return w->device == value;
	case DXG_FORGET_ADAPTER:
		return w->adapter == value;
	default:
		return true;
	}
}

static bool dxg_fence_notify_matches(const struct dxg_fence_notify *n, enum dxg_forget_by by,
				     u32 value)
{
	switch (by) {
	case DXG_FORGET_SYNC_OBJECT:
		return n->handle == value;
	case DXG_FORGET_DEVICE:
		return n->device == value;
	case DXG_FORGET_ADAPTER:
		return n->adapter == value;
	default:
		return true;
	}
}

/**
 * dxg_fence_forget() - drop a process's records that a destruction makes meaningless
 * @ch: the channel, or NULL (no device bound: no records exist)
 * @proc: the process
 * @by: what was destroyed
 * @value: the sync object, device or host adapter (unused for DXG_FORGET_PROCESS)
 *
 * Called after the host destroyed the objects (and for the process, at teardown): their slots may
 * be handed to new objects of the process. Eventfd waits that named them are signalled: the
 * objects cannot be signalled any more, which the host treats the same way for queue waits (wire.h
 * DESTROY_SYNC_OBJECT). At teardown nobody is left to wait, so they are only dropped.
 */
void dxg_fence_forget(struct dxg_channel *ch, struct dxg_process *proc, enum dxg_forget_by by,
		      u32 value)
{
	struct dxg_fence_async *w, *wtmp;
	struct dxg_fence_notify *n, *ntmp;
	LIST_HEAD(async);
	LIST_HEAD(notify);

	if (!ch)
		return;
	spin_lock(&ch->fence_lock);
	list_for_each_entry_safe(w, wtmp, &ch->fence_async, node) {
		if (w->proc == proc && dxg_fence_async_matches(w, by, value))
			dxg_fence_unlink_async_locked(ch, w, &async);
	}
	list_for_each_entry_safe(n, ntmp, &ch->fence_notify, node) {
		if (n->proc == proc && dxg_fence_notify_matches(n, by, value))
			dxg_fence_unlink_notify_locked(ch, n, &notify);
	}
	spin_unlock(&ch->fence_lock);

	list_for_each_entry_safe(w, wtmp, &async, node)
		dxg_fence_async_free(w, by != DXG_FORGET_PROCESS);
	list_for_each_entry_safe(n, ntmp, &notify, node)
		dxg_fence_notify_free(n);
}

/**
 * dxg_fence_watch_point() - signal a sync file's fence when its share's slot reaches its value
 * @ch: the channel
 * @point: the point, initialized, with share_id, epoch, value and an offset checked with
 *	dxg_fence_check_slots(); not yet signalled and not yet watched
 *
 * The point is always resolved: watched (the list takes a reference), or signalled now because
 * it is reached already (-EIO for the error value) or its connection is no longer the channel's
 * (-ENODEV).
 */
void dxg_fence_watch_point(struct dxg_channel *ch, struct dxg_sync_point *point)
{
	bool start = false;
	LIST_HEAD(now);
	int error = 0;

	dma_fence_get(&point->base);
	/* Check and add in one section: see dxg_fence_kick(). */
	spin_lock(&ch->fence_lock);
	if (ch->fence_epoch != point->epoch)
		error = -ENODEV;
	if (error || dxg_fence_point_done(ch, point, &error)) {
		if (error)
			dma_fence_set_error(&point->base, error);
		list_add_tail(&point->node, &now);
	} else {
		list_add_tail(&point->node, &ch->fence_points);
		start = ch->fence_records++ == 0;
	}
	spin_unlock(&ch->fence_lock);

	dxg_fence_signal_points(&now);
	if (start)
		queue_delayed_work(system_wq, &ch->fence_work, msecs_to_jiffies(DXG_FENCE_POLL_MS));
}
