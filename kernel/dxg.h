/* SPDX-License-Identifier: GPL-2.0 */
/*
 * opendxg guest driver: private declarations shared by the module's files.
 *
 * Files, one concern each (glue vs core as in vboxguest):
 *   dxg_drv.c        module init/exit, /dev/dxg file operations, ivshmem PCI glue (probe/remove,
 *                    BARs, MSI-X vectors)
 *   dxg_transport.c  the channel: region header validation, ring attach, CONNECT, dxg_call(),
 *                    reply draining, generation changes (worker restarts)
 *   dxg_process.c    per-process state (one per thread group): host process, adapter handles,
 *                    the devices' adapters
 *   dxg_mem.c        CPU mappings of the shared region (LOCK2, paging queue fences): the pseudo
 *                    filesystem, mappings and views, the fault handler, revocation
 *   dxg_ioctl.c      the ioctl dispatcher (one copy-in/copy-out choke point), the table, and the
 *                    adapter, device and context handlers
 *   dxg_ioctl_mem.c  the memory handlers (allocations, residency, paging queues, GPU VAs)
 *   dxg_fence.c      watching fence slots: blocking CPU waits, eventfd waits, CPU notifications,
 *                    sync file fences
 *   dxg_ioctl_sync.c the synchronization object handlers (create, destroy, signal, wait)
 *   dxg_ioctl_exec.c the execution handlers (hardware queues, submission, priorities, device
 *                    state, clock calibration, escapes)
 *   dxg_ioctl_share.c sharing between processes: share descriptors (SHAREOBJECTS) and what
 *                    opens them (OPEN...FROMNTHANDLE, QUERYRESOURCEINFOFROMNTHANDLE)
 *   dxg_syncfile.c   sync files: a dma_fence per (monitored fence, value), their descriptors
 *   dxg_ioctl_misc.c statistics, process enumeration, feature queries, cache invalidation, heap
 *                    transitions, sharing with the host
 *
 * Lock order (outermost first; never take an outer lock while holding an inner one):
 *
 *   dxg_global.process_lock    (mutex)  the process list; never held across a host call
 *   dxg_global.channel_rwsem   (rwsem)  read: an ioctl or a release uses dxg_global.channel;
 *                                       write: PCI probe/remove publish or retract the channel
 *   dxg_process.lock           (mutex)  a process's adapter table, host process handle, views,
 *                                       device and context tables; may be held across host
 *                                       calls, and across vm_mmap()/vm_munmap(); never across
 *                                       a blocking fence wait
 *   mm->mmap_lock              (rwsem)  the kernel's; taken by vm_mmap(), vm_munmap() and our
 *                                       VMA checks under dxg_process.lock, held by the kernel
 *                                       around the fault handler. Nothing that runs under it
 *                                       (fault, file release) takes a process lock or calls
 *                                       the host, so the order cannot invert.
 *   dxg_channel.send_lock      (mutex)  request ring producer (ring.local)
 *   dxg_channel.recv_lock      (mutex)  reply ring consumer and the receive scratch buffer
 *   dxg_mem.revoke_lock        (rwsem)  read: a fault from its check to its insert; write:
 *                                       flipping a mapping's `live` or the accepted epoch (also
 *                                       by a drainer that finds the channel broken, under
 *                                       recv_lock). Nothing is taken under it but the page
 *                                       table locks of vmf_insert_pfn(); zapping
 *                                       (unmap_mapping_range, i_mmap_rwsem) happens after it
 *                                       is released.
 *   dxg_channel.lock           (spinlock) state, generation, epoch, request ids, pending list
 *   dxg_channel.fence_lock     (spinlock) fence_epoch, the fence watch lists and counters (also
 *                                       the per-process counters of them); nothing is taken
 *                                       under it but an eventfd's own wait queue lock
 *                                       (eventfd_signal()), and it is never taken together
 *                                       with dxg_channel.lock
 *   dxg_sync_point.lock        (spinlock, irq-safe) a sync file fence's own (dma_fence): taken
 *                                       by dma_fence_signal() after fence_lock is released, and
 *                                       by fence callbacks; also under recv_lock when a drainer
 *                                       ends the epoch. Innermost.
 *
 * The connect work (dxg_channel.connect_work, delayed work that re-arms itself while the channel is
 * down) takes send_lock, recv_lock, lock and fence_lock; it never takes channel_rwsem or a process lock, so PCI
 * remove may cancel it (cancel_delayed_work_sync) while holding nothing. It is queued or re-armed
 * only under `lock` and only while `removing` is clear, so nothing queues it after the cancel.
 *
 * channel_rwsem, dxg_process.lock and send_lock can be held across host calls (30 s each at
 * worst): the ioctl path takes them killably. Teardown (release) takes them uninterruptibly.
 */
#ifndef DXG_H
#define DXG_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/rwsem.h>
#include <linux/kref.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/completion.h>
#include <linux/xarray.h>
#include <linux/atomic.h>
#include <linux/sched.h>
#include <linux/dma-fence.h>

#include <opendxg/region.h>
#include <opendxg/ring.h>
#include <opendxg/wire.h>
#include <opendxg/handle.h>

#define DXG_DRIVER_NAME "opendxg"

struct eventfd_ctx;

/* ivshmem-doorbell BAR0 registers. */
#define DXG_REG_INTR_MASK 0x00
#define DXG_REG_INTR_STATUS 0x04
#define DXG_REG_IV_POSITION 0x08
#define DXG_REG_DOORBELL 0x0c
#define DXG_HOST_PEER 0u	/* dxgd is always ivshmem peer 0 */

/* How long the guest waits for the host; see docs/kernel.md for the errno each one yields. */
#define DXG_READY_TIMEOUT_MS 10000	/* region state READY after a (re)start */
#define DXG_CALL_TIMEOUT_MS 30000	/* one request: ring space + reply */
#define DXG_POLL_SLICE_MS 100		/* waiters re-check the rings this often */
#define DXG_CONNECT_TIMEOUT_MS 10000	/* CONNECT: the host has just formatted the region */
/* A channel left down retries on its own, with this backoff (doubling); reset when it connects. */
#define DXG_RETRY_FIRST_MS 1000
#define DXG_RETRY_MAX_MS 30000
/* An ioctl on a down channel starts an attempt at once, at most this often. */
#define DXG_KICK_INTERVAL_MS 1000
/*
 * Fence watching (dxg_fence.c): eventfd waits and CPU notifications are checked on every ring
 * interrupt and, as a safety net for an interrupt that never came, this often while any exist.
 */
#define DXG_FENCE_POLL_MS 1000

/* Per-process cap on open adapter handles (each holds a host reference). */
#define DXG_MAX_ADAPTER_HANDLES 4096u
/* Per-process caps on pending eventfd waits and CPU notification objects (-ENOMEM beyond). */
#define DXG_MAX_ASYNC_WAITS 4096u
#define DXG_MAX_CPU_NOTIFICATIONS 4096u

enum dxg_channel_state {
	DXG_CHANNEL_DOWN,	/* no usable rings: not yet connected, resetting or broken */
	DXG_CHANNEL_CONNECTING,	/* rings attached; only CONNECT may be sent */
	DXG_CHANNEL_UP,		/* connected in `epoch` */
};

/* One VM-to-host channel: an ivshmem-doorbell device whose BAR2 holds a dxgd region. */
struct dxg_channel {
	struct pci_dev *pdev;
	void __iomem *regs;		/* BAR0 */
	void *region;			/* BAR2, memremap(MEMREMAP_WB) */
	phys_addr_t region_phys;	/* BAR2, for CPU mappings in processes */
	u64 region_size;

	spinlock_t lock;		/* the fields up to failure_logged */
	enum dxg_channel_state state;
	bool removing;			/* sticky: PCI remove started, never go up again */
	u32 generation;			/* region generation of the current connection */
	u64 epoch;			/* unique per connection; host handles are scoped by it */
	u64 next_id;			/* random start: old replies cannot match */
	struct list_head pending;	/* struct dxg_pending, waiting for a reply */
	u32 adapter_count;		/* from the CONNECT reply, informational */
	/* The connection's heap and fence storage (header copy validated by dxg_region_parse()). */
	u64 heap_offset;
	u64 heap_size;
	u64 fence_offset;
	u64 fence_size;
	u32 retry_delay_ms;		/* the next automatic retry, while down */
	bool attempt_running;		/* the connect work is trying */
	unsigned long attempt_end;	/* jiffies: the last attempt ended (ioctl kicks) */
	bool failure_logged;		/* one message per failure streak; cleared when up */

	struct mutex send_lock;		/* req */
	struct dxg_ring req;		/* guest produces */
	wait_queue_head_t space_wq;	/* producers waiting for request ring space */

	struct mutex recv_lock;		/* rep, scratch */
	struct dxg_ring rep;		/* guest consumes */
	void *scratch;			/* one reply record, copied out of the ring once */
	u32 max_message;		/* largest record payload either side sends */

	/* Runs at once on a kick, or re-arms itself with a backoff while the channel is down. */
	struct delayed_work connect_work;
	struct completion first_attempt;	/* the first connect attempt finished */

	/* Fence watching (dxg_fence.c). */
	spinlock_t fence_lock;		/* the fields up to fence_records */
	u64 fence_epoch;		/* the connection whose fence slots are watched; 0: none */
	struct list_head fence_async;	/* struct dxg_fence_async: pending eventfd waits */
	struct list_head fence_notify;	/* struct dxg_fence_notify: CPU notification objects */
	struct list_head fence_points;	/* struct dxg_sync_point: sync file fences not yet signalled */
	u32 fence_records;		/* entries of the three lists */
	wait_queue_head_t fence_wq;	/* blocking CPU waits; woken by every ring interrupt */
	struct delayed_work fence_work;	/* checks the lists: at once on an interrupt, else slowly */
};

/* Flags for dxg_call(). */
/* Teardown (a dying task must still get its message out), or a reply that must not be lost. */
#define DXG_CALL_UNKILLABLE 0x1u

struct dxg_call_args {
	u16 opcode;
	u32 flags;			/* DXG_CALL_* */
	u32 process;			/* host process handle, 0 for VM-scoped opcodes */
	u64 epoch;			/* the connection `process` and any handles belong to */
	const void *req;		/* request body (after struct dxgw_hdr) */
	u32 req_len;
	void *reply;			/* reply body; a missing tail is zeroed */
	u32 reply_max;
	u32 reply_len;			/* out: body bytes received (at most reply_max) */
	bool answered;			/* out: the host replied (see dxg_call()) */
	u64 reply_ns;			/* out: ktime_get_ns() when the drainer took the reply */
	u32 timeout_ms;			/* 0: DXG_CALL_TIMEOUT_MS */
};

/* Where the region's parts lie, for CPU mappings (dxg_channel_mem_layout()). */
struct dxg_mem_layout {
	phys_addr_t region_phys;
	u64 heap_offset;
	u64 heap_size;
	u64 fence_offset;
	u64 fence_size;
};

struct dxg_global {
	struct mutex process_lock;	/* processes */
	struct list_head processes;

	struct rw_semaphore channel_rwsem;	/* channel */
	struct dxg_channel *channel;	/* NULL while no opendxg device is bound */
	unsigned long device_claimed;	/* bit 0: one opendxg device at a time */
	atomic64_t epoch_counter;
};

extern struct dxg_global dxg_global;

/* A local adapter handle: issued by the guest (as in WSL); every other handle is the host's. */
struct dxg_adapter_ref {
	u32 handle;			/* the WSL-format value user space holds */
	u32 host_adapter;
	u64 epoch;			/* connection the host reference was taken in */
	u32 luid_low;
	u32 luid_high;
	u32 flags;			/* DXGW_ADAPTER_* */
	struct rcu_head rcu;		/* freed after a grace period: see dxg_process_enum_users() */
};

/* Per thread group; shared by every /dev/dxg file the process opened. */
struct dxg_process {
	struct kref ref;		/* one per open file */
	struct list_head node;		/* dxg_global.processes */
	struct pid *tgid;		/* held: an identity, not a number that can be reused */
	pid_t tgid_nr;			/* for the host's display only */
	char comm[TASK_COMM_LEN];

	struct mutex lock;		/* the fields below */
	u32 host_process;		/* valid while host_epoch is the channel's epoch */
	u64 host_epoch;			/* 0: never created */
	struct xarray adapters;		/* handle index -> struct dxg_adapter_ref */
	u32 adapter_cursor;		/* cyclic index allocation: a freed index is reused late */
	u32 adapter_unique;		/* 1..3, the WSL handle's uniqueness bits */
	u32 adapter_count;
	/* Of the host process of host_epoch; dropped with it: */
	struct xarray views;		/* allocation, queue or sync object -> struct dxg_view */
	struct xarray devices;		/* device handle -> host adapter (xa value) */
	struct xarray contexts;		/* context handle -> its device handle (xa value) */

	/* Under the channel's fence_lock (dxg_fence.c): */
	u32 fence_async;		/* pending eventfd waits */
	u32 fence_notify;		/* CPU notification objects */
};

/* What the host granted a process to map (dxg_mem.c). */
struct dxg_mem_grant {
	u64 epoch;			/* the connection of the host's reply */
	/* The allocation (LOCK), or the paging queue, hardware queue or sync object (fence). */
	u32 handle;
	u32 device;
	u32 context;			/* a hardware queue's fence: its context; else 0 */
	u32 fence_object;		/* a fence: its sync object handle; else 0 */
	u32 resource;			/* LOCK: the allocation's resource, or 0 */
	u32 adapter;			/* the device's host adapter */
	u64 offset;			/* LOCK: region offset, page aligned */
	u64 size;			/* LOCK: bytes, page multiple */
	bool read_only;			/* LOCK: DXGW_LOCK_READ_ONLY (opened without WRITE access) */
};

/* What a host call about to be made destroys (dxg_mem_revoke_locked()). */
enum dxg_revoke_by {
	DXG_REVOKE_ALLOCATIONS,
	DXG_REVOKE_RESOURCE,
	DXG_REVOKE_DEVICE,
	DXG_REVOKE_ADAPTER,		/* the process's last reference to a host adapter */
	DXG_REVOKE_FENCE,		/* the fence of a paging queue, hardware queue or sync object */
	DXG_REVOKE_CONTEXT,		/* the fences of a context's hardware queues */
	DXG_REVOKE_ALL,
};

/* What a destruction takes away from the fence watch lists (dxg_fence_forget()). */
enum dxg_forget_by {
	DXG_FORGET_SYNC_OBJECT,
	DXG_FORGET_DEVICE,
	DXG_FORGET_ADAPTER,		/* a host adapter: the devices on it */
	DXG_FORGET_PROCESS,		/* teardown: everything of the process */
};

/*
 * A sync file's fence (dxg_syncfile.c): signalled when the share's fence slot reaches @value.
 * While it waits, dxg_fence.c holds a reference and watches the slot (dxg_fence_watch_point()).
 */
struct dxg_sync_point {
	struct dma_fence base;		/* first: dma_fence_free() frees the whole point */
	spinlock_t lock;		/* base's */
	struct list_head node;		/* dxg_channel.fence_points while watched */
	u64 share_id;			/* the VM-scoped share the point holds (DXGW_SHARE_SYNC_FILE) */
	u64 epoch;			/* the connection of share_id and offset */
	u64 offset;			/* the share's own fence slot, checked */
	u64 value;
	struct work_struct release_work;	/* CLOSE_SHARE after the last reference */
};

/* The context every ioctl handler gets from the dispatcher. */
struct dxg_ioctl_ctx {
	struct dxg_process *proc;
	struct dxg_channel *ch;		/* NULL while no opendxg device is bound */
	void *scratch;			/* a handler's leftovers for its undo hook; kvfree()d */
	/*
	 * The argument in user memory, for the rare output that WSL writes on failure
	 * (ENUMPROCESSES' count with -EINVAL); handlers otherwise never touch it.
	 */
	void __user *uarg;
};

/* dxg_transport.c */
struct dxg_channel *dxg_channel_create(struct pci_dev *pdev, void __iomem *regs, void *region,
				       phys_addr_t region_phys, u64 region_size);
void dxg_channel_destroy(struct dxg_channel *ch);
void dxg_channel_start(struct dxg_channel *ch);
void dxg_channel_stop(struct dxg_channel *ch);
void dxg_channel_ring_irq(struct dxg_channel *ch);
void dxg_channel_control_irq(struct dxg_channel *ch);
u64 dxg_channel_epoch(struct dxg_channel *ch);
int dxg_channel_mem_layout(struct dxg_channel *ch, u64 epoch, struct dxg_mem_layout *lay);
int dxg_call(struct dxg_channel *ch, struct dxg_call_args *args);
void dxg_channel_poll(struct dxg_channel *ch);
bool dxg_region_is_ours(const void *region, u64 size);

/* dxg_process.c */
struct dxg_process *dxg_process_get_current(void);
void dxg_process_put(struct dxg_process *proc);
bool dxg_process_is_current(const struct dxg_process *proc);
int dxg_process_host_locked(struct dxg_process *proc, struct dxg_channel *ch, u64 epoch);
int dxg_process_host_current(struct dxg_process *proc, struct dxg_channel *ch, u32 *process,
			     u64 *epoch);
int dxg_process_host_current_locked(struct dxg_process *proc, struct dxg_channel *ch,
				    u32 *process, u64 *epoch);
int dxg_process_enum_host_adapters(struct dxg_channel *ch, u64 epoch,
				   struct dxgw_adapter_desc *descs, u32 *count);
int dxg_process_open_adapter_locked(struct dxg_process *proc, struct dxg_channel *ch, u64 epoch,
				    const struct dxgw_adapter_desc *desc, u32 *handle);
int dxg_process_close_adapter_locked(struct dxg_process *proc, struct dxg_channel *ch, u32 handle);
int dxg_process_close_adapter(struct dxg_process *proc, struct dxg_channel *ch, u32 handle);
int dxg_process_get_adapter(struct dxg_process *proc, struct dxg_channel *ch, u32 handle,
			    struct dxg_adapter_ref *ref, u32 *process);
int dxg_process_get_adapter_locked(struct dxg_process *proc, struct dxg_channel *ch, u32 handle,
				   struct dxg_adapter_ref *ref, u32 *process);
int dxg_process_add_device_locked(struct dxg_process *proc, u64 epoch, u32 device,
				  u32 host_adapter);
void dxg_process_forget_device_locked(struct dxg_process *proc, u32 device);
void dxg_process_forget_adapter_devices_locked(struct dxg_process *proc, u32 host_adapter);
int dxg_process_device_adapter_locked(struct dxg_process *proc, u32 device, u32 *host_adapter);
int dxg_process_add_context_locked(struct dxg_process *proc, u64 epoch, u32 context, u32 device);
void dxg_process_forget_context_locked(struct dxg_process *proc, u32 context);
int dxg_process_context_device_locked(struct dxg_process *proc, u32 context, u32 *device);
int dxg_process_enum_users(u32 luid_low, u32 luid_high, u32 *pids, u32 capacity, u32 *count,
			   bool *held);
int dxg_process_host_of_pid(pid_t nr, u64 epoch, u32 *process);

/* dxg_fence.c */
void dxg_fence_init(struct dxg_channel *ch);
void dxg_fence_begin_epoch(struct dxg_channel *ch, u64 epoch);
void dxg_fence_end_epoch(struct dxg_channel *ch);
void dxg_fence_stop(struct dxg_channel *ch);
void dxg_fence_kick(struct dxg_channel *ch);
int dxg_fence_check_slots(struct dxg_channel *ch, u64 epoch, const u64 *offsets, u32 count);
int dxg_fence_wait(struct dxg_channel *ch, u64 epoch, const u64 *offsets, const u64 *values,
		   u32 count, bool wait_any);
int dxg_fence_wait_async(struct dxg_channel *ch, struct dxg_process *proc, u64 epoch,
			 u32 device, u32 adapter, const u32 *handles, const u64 *offsets,
			 const u64 *values, u32 count, bool wait_any, struct eventfd_ctx *event);
int dxg_fence_add_notification(struct dxg_channel *ch, struct dxg_process *proc, u64 epoch,
			       u32 handle, u32 device, u32 adapter, u64 offset,
			       struct eventfd_ctx *event);
void dxg_fence_forget(struct dxg_channel *ch, struct dxg_process *proc, enum dxg_forget_by by,
		      u32 value);
void dxg_fence_watch_point(struct dxg_channel *ch, struct dxg_sync_point *point);

/* dxg_mem.c */
int dxg_mem_init(void);
void dxg_mem_exit(void);
void dxg_mem_begin_epoch(u64 epoch);
void dxg_mem_end_epoch(void);
int dxg_mem_lock_locked(struct dxg_process *proc, struct dxg_channel *ch,
			const struct dxg_mem_grant *grant, u64 *address);
void dxg_mem_unlock_locked(struct dxg_process *proc, u32 allocation);
int dxg_mem_map_fence_locked(struct dxg_process *proc, struct dxg_channel *ch,
			     const struct dxg_mem_grant *grant, u64 fence_offset, u64 *address);
void dxg_mem_revoke_locked(struct dxg_process *proc, enum dxg_revoke_by by, const u32 *handles,
			   u32 count);
void dxg_mem_revoke_finish_locked(struct dxg_process *proc, bool gone, bool unmap);
void dxg_mem_forget_queue_fences_locked(struct dxg_process *proc, struct dxg_channel *ch);
void dxg_mem_purge_locked(struct dxg_process *proc, bool unmap);

/* dxg_ioctl.c */
long dxg_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* dxg_ioctl_mem.c: helpers shared by the handler files */
size_t dxg_list_size(u32 count);
u32 *dxg_copy_u32s(u64 user, u32 count, bool handles);
u64 *dxg_copy_u64s(u64 user, u32 count);
void dxg_put_list(void *dst, const u32 *values, u32 count);
void dxg_put_u64s(void *dst, const u64 *values, u32 count);
int dxg_mem_call(struct dxg_channel *ch, struct dxg_call_args *a);
/* Destroys a paging queue or hardware queue (@opcode), with its fence mapping and eventfd waits. */
int dxg_destroy_queue(struct dxg_ioctl_ctx *ctx, u16 opcode, u32 queue);
bool dxg_host_refused(int ret, const struct dxg_call_args *a);
int dxg_destroy_allocations(struct dxg_ioctl_ctx *ctx, u32 device, u32 resource,
			    const u32 *handles, u32 count, u32 flags);
int dxg_reply_check(int ret, const struct dxg_call_args *a, u32 need);

/* dxg_ioctl_mem.c: handlers and undo hooks for the table in dxg_ioctl.c */
int dxg_ioctl_create_allocation(struct dxg_ioctl_ctx *ctx, void *data);
void dxg_ioctl_create_allocation_undo(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_destroy_allocation2(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_lock2(struct dxg_ioctl_ctx *ctx, void *data);
void dxg_ioctl_lock2_undo(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_unlock2(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_query_video_memory_info(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_change_video_memory_reservation(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_query_allocation_residency(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_set_allocation_priority(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_get_allocation_priority(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_offer_allocations(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_reclaim_allocations2(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_update_alloc_property(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_create_paging_queue(struct dxg_ioctl_ctx *ctx, void *data);
void dxg_ioctl_create_paging_queue_undo(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_destroy_paging_queue(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_make_resident(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_evict(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_reserve_gpu_va(struct dxg_ioctl_ctx *ctx, void *data);
void dxg_ioctl_reserve_gpu_va_undo(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_map_gpu_va(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_free_gpu_va(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_update_gpu_va(struct dxg_ioctl_ctx *ctx, void *data);

/* dxg_ioctl.c: shared with the other handler files */
int dxg_destroy_context(struct dxg_ioctl_ctx *ctx, u32 context);

/* dxg_ioctl_sync.c */
int dxg_destroy_sync_object(struct dxg_ioctl_ctx *ctx, u32 handle);
void dxg_sync_object_host_destroy(struct dxg_channel *ch, struct dxg_call_args *a, u32 handle);
int dxg_ioctl_create_sync_object(struct dxg_ioctl_ctx *ctx, void *data);
void dxg_ioctl_create_sync_object_undo(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_destroy_sync_object(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_signal_sync_object(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_wait_sync_object(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_signal_sync_object_cpu(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_signal_sync_object_gpu(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_signal_sync_object_gpu2(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_wait_sync_object_cpu(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_wait_sync_object_gpu(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_submit_signal_to_hwqueue(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_submit_wait_to_hwqueue(struct dxg_ioctl_ctx *ctx, void *data);

/* dxg_ioctl_exec.c */
int dxg_ioctl_create_hwqueue(struct dxg_ioctl_ctx *ctx, void *data);
void dxg_ioctl_create_hwqueue_undo(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_destroy_hwqueue(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_submit_command(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_submit_command_to_hwqueue(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_set_context_priority(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_set_context_inprocess_priority(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_get_context_priority(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_get_context_inprocess_priority(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_get_device_state(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_mark_device_as_error(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_query_clock_calibration(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_escape(struct dxg_ioctl_ctx *ctx, void *data);

/* dxg_ioctl_share.c: NT-handle sharing (share descriptors) */
int dxg_ioctl_share_objects(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_open_sync_object_nt(struct dxg_ioctl_ctx *ctx, void *data);
void dxg_ioctl_open_sync_object_nt_undo(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_query_resource_info_nt(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_open_resource_nt(struct dxg_ioctl_ctx *ctx, void *data);
void dxg_ioctl_open_resource_nt_undo(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_open_shared_sync_object(struct dxg_ioctl_ctx *ctx, u32 device, u64 share_id,
				u64 share_epoch, u32 access, u32 *handle, u32 *type, u64 *cpu_va);
int dxg_close_share_on(struct dxg_channel *ch, u64 share_id, u64 epoch);
int dxg_close_share(u64 share_id, u64 epoch);

/* dxg_syncfile.c: sync files over monitored fences */
int dxg_syncfile_init(void);
void dxg_syncfile_exit(void);
int dxg_ioctl_create_sync_file(struct dxg_ioctl_ctx *ctx, void *data);
void dxg_ioctl_create_sync_file_undo(struct dxg_ioctl_ctx *ctx, void *data);
void dxg_ioctl_create_sync_file_commit(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_wait_sync_file(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_open_sync_object_sync_file(struct dxg_ioctl_ctx *ctx, void *data);
void dxg_ioctl_open_sync_object_sync_file_undo(struct dxg_ioctl_ctx *ctx, void *data);

/* dxg_ioctl_misc.c: statistics, processes, features, cache and heap requests */
int dxg_ioctl_flush_heap_transitions(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_invalidate_cache(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_query_statistics(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_share_object_with_host(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_enum_processes(struct dxg_ioctl_ctx *ctx, void *data);
int dxg_ioctl_is_feature_enabled(struct dxg_ioctl_ctx *ctx, void *data);

#endif /* DXG_H */
