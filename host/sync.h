/* SPDX-License-Identifier: MIT */
/*
 * Synchronization objects of one VM (wire.h "0x05xx", docs/dxgd.md "Execution"): mutexes,
 * semaphores, fences, CPU notifications and monitored fences, owned by a device of a process.
 * The fences of paging queues (memory.h) and the progress fences of hardware queues (exec.h) are
 * the same kind of object, owned by their queue, so every DXG_HTYPE_SYNCOBJECT handle names a
 * struct dxg_sync_object and nothing else.
 *
 * Monitored fences and CPU notifications own a u64 slot in the region's fence storage, in a page
 * of their process (memory.c hands the slots out). The host is the only writer: the value here
 * is the truth, the slot a little-endian mirror stored with release semantics after the value
 * changed; every store sets dxg_vm.fence_kick so the worker interrupts the guest.
 *
 * Handles are refcounted: the queue items that name one (exec.c) keep it alive after it was
 * destroyed; a destroyed handle satisfies every wait and ignores every signal made through it.
 * The object behind the handles (struct sync_state) may have several: shares (share.h) let
 * other processes open handles of their own, each with its own slot and access rights.
 */
#ifndef DXGD_SYNC_H
#define DXGD_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "objects.h"
#include "wire_decode.h"

enum sync_owner {
	SYNC_OWNER_DEVICE,		/* CREATE_SYNC_OBJECT or an opened share: the guest destroys it */
	SYNC_OWNER_PAGING_QUEUE,	/* goes with its paging queue */
	SYNC_OWNER_HW_QUEUE,		/* a hardware queue's progress fence */
};

/*
 * The object itself, apart from its handles: one per object, shared by every handle on it (the
 * creator's and those opened through a share, in any process). The value here is the truth;
 * every handle keeps a copy of it (dxg_sync_object.value) and a slot that mirror it, and so
 * does the share's own slot. Refcounted: one per live handle, one for the share holding it, one
 * per WAIT_SHARE_ON_QUEUE item.
 */
struct sync_state {
	uint32_t type;
	uint32_t flags;			/* the creator's D3DDDI_SYNCOBJ_FLAG_* */
	bool queue_fence;		/* a paging or hardware queue's fence: only its queue moves it */
	bool orphaned;			/* its last handle went (sticky): nothing signals it any more */
	uint32_t refs;
	uint32_t handle_count;
	struct obj_list handles;	/* live handles (dxg_sync_object.state_link) */
	/*
	 * FENCE, MONITORED_FENCE: the value reached. CPU_NOTIFICATION: signals received.
	 * SEMAPHORE: the count. MUTEX: 1 while owned.
	 */
	uint64_t value;
	uint64_t max_count;		/* SEMAPHORE */
	uint64_t share_slot;		/* the share's own slot (monitored fences), 0: none */
	uint64_t mark;			/* duplicate detection within one request */
};

/* A handle on a sync object. */
struct dxg_sync_object {
	struct obj_list link;		/* dxg_device.sync_objects, until destroyed */
	struct obj_list state_link;	/* sync_state.handles, until destroyed */
	uint32_t handle;		/* DXG_HTYPE_SYNCOBJECT, owned by the process */
	uint32_t access;		/* DXGW_ACCESS_WAIT | DXGW_ACCESS_SIGNAL; creators have both */
	enum sync_owner owner;
	struct dxg_device *device;	/* NULL once destroyed */
	struct sync_state *state;	/* NULL once destroyed */
	uint32_t refs;			/* 1 while alive, plus one per queue item naming it */
	uint64_t slot;			/* region offset of its fence slot; 0: none */
	/*
	 * Copies of the state's, kept equal by sync.c for readers (type and flags never change,
	 * value is rewritten whenever the state's changes; frozen once destroyed).
	 */
	uint32_t type;			/* D3DDDI_SYNCHRONIZATION_MUTEX .. D3DDDI_MONITORED_FENCE */
	uint32_t flags;			/* D3DDDI_SYNCOBJ_FLAG_* (DXGW_SYNC_OBJECT_FLAGS) */
	uint64_t value;
	uint64_t max_count;
};

/*
 * The owner of the share slots' fence page: never a process handle (a handle's instance bits
 * are 0), so no process's pages are mixed with them and none is mapped into a process.
 */
#define SYNC_SHARE_SLOT_OWNER 0xffffffffu

static inline bool sync_is_fence(const struct dxg_sync_object *s)
{
	return s->type == D3DDDI_FENCE || s->type == D3DDDI_MONITORED_FENCE;
}

/* A live sync object of process `p` (any owner), or NULL. */
struct dxg_sync_object *sync_find(struct dxg_vm *vm, const struct dxg_process *p,
				  uint32_t handle);

/*
 * A monitored fence owned by a paging queue or hardware queue of device `d`, value 0, with a
 * slot and a handle. Returns 0 or -ENOMEM (no slot, handle or memory).
 */
int sync_create_queue_fence(struct dxg_vm *vm, struct dxg_device *d, enum sync_owner owner,
			    struct dxg_sync_object **out);
/* Destroys an object of any owner (its queue's teardown, or DESTROY_SYNC_OBJECT). */
void sync_destroy(struct dxg_vm *vm, struct dxg_sync_object *s);
/* Destroys every object left on the device (teardown; queue fences went with their queues). */
void sync_device_destroy(struct dxg_vm *vm, struct dxg_device *d);

void sync_ref(struct dxg_sync_object *s);
void sync_unref(struct dxg_vm *vm, struct dxg_sync_object *s);

/*
 * Sets a fence's value (any value: rewinds and DXGW_FENCE_VALUE_ERROR included), stores the
 * mirror and asks for a kick. Queues waiting on it are re-examined (exec_sync_changed()).
 */
void sync_fence_set(struct dxg_vm *vm, struct dxg_sync_object *s, uint64_t value);

/*
 * A signal reached on a queue (SIGNAL_ON_QUEUE): a fence takes `value` (never lower unless
 * `flags` has ALLOW_FENCE_REWIND), a mutex is released, a semaphore counts up to its maximum,
 * a CPU notification counts one more signal.
 */
void sync_signal(struct dxg_vm *vm, struct dxg_sync_object *s, uint64_t value, uint32_t flags);
/*
 * A signal that will never happen because its queue broke: fences jump to
 * DXGW_FENCE_VALUE_ERROR (unless created with NO_SIGNAL_MAX_VALUE_ON_TDR); the other types are
 * signalled as usual so that nothing waits forever on a dead queue.
 */
void sync_signal_error(struct dxg_vm *vm, struct dxg_sync_object *s);

/* Whether a queue wait for (s, value) can proceed now; a destroyed object always can. */
bool sync_wait_ready(const struct dxg_sync_object *s, uint64_t value);
/* Takes what the wait consumes (a mutex's ownership, a semaphore's count); after ..._ready. */
void sync_wait_acquire(struct dxg_sync_object *s);

/* Fence slots held by live objects (memory_check() compares them with the slot allocator). */
uint32_t sync_slot_count(const struct dxg_vm *vm);

/*
 * Access checks of a live handle: SIGNAL_FROM_CPU and SIGNAL_ON_QUEUE need DXGW_ACCESS_SIGNAL,
 * waits (queue waits, GET_FENCE_SLOTS, UPDATE_GPU_VA fences) DXGW_ACCESS_WAIT: -EACCES.
 */
static inline bool sync_can_signal(const struct dxg_sync_object *s)
{
	return s->access & DXGW_ACCESS_SIGNAL;
}

static inline bool sync_can_wait(const struct dxg_sync_object *s)
{
	return s->access & DXGW_ACCESS_WAIT;
}

/* Only the queue moves its fences (a queue's own handle, or one opened through a share). */
static inline bool sync_host_signalled(const struct dxg_sync_object *s)
{
	return s->owner != SYNC_OWNER_DEVICE || (s->state && s->state->queue_fence);
}

/* ---- sharing (share.c) ---- */

void sync_state_ref(struct sync_state *st);
void sync_state_unref(struct dxg_vm *vm, struct sync_state *st);

/*
 * SHARE_OBJECT of handle `s` (live, of the caller): -EINVAL unless `sync_file` and s is a
 * monitored fence, or not `sync_file` and s was created SHARED (queue fences never are);
 * -EACCES for a handle that could not pass on what the descriptor grants (a sync file: WAIT;
 * else all rights).
 */
int sync_share_check(const struct dxg_sync_object *s, bool sync_file);
/*
 * A share starts holding `st` (one reference): monitored fences get the share's own slot,
 * mirroring the value. -ENOMEM without a slot. sync_share_detach() undoes it.
 */
int sync_share_attach(struct dxg_vm *vm, struct sync_state *st);
void sync_share_detach(struct dxg_vm *vm, struct sync_state *st);
/*
 * OPEN_SHARED_SYNC_OBJECT: a new handle of `p` on its device `device` for `st` with `access`;
 * the reply is struct dxgw_open_shared_sync_object_reply.
 */
int sync_open_shared(struct dxg_vm *vm, struct dxg_process *p, uint32_t device, uint32_t access,
		     struct sync_state *st, unsigned char *reply, uint32_t reply_cap,
		     uint32_t *reply_len);
/* WAIT_SHARE_ON_QUEUE: the value is reached, or no handle is left to signal it. */
bool sync_state_wait_ready(const struct sync_state *st, uint64_t value);
/* Checks a state against its handles and slots: NULL or what is wrong (share_check()). */
const char *sync_state_check(struct dxg_vm *vm, const struct sync_state *st);
/* share.c: the share slots (sync_slot_count() counts them). */
uint32_t share_fence_slot_count(const struct dxg_vm *vm);

/* CREATE_SYNC_OBJECT, DESTROY_SYNC_OBJECT, SIGNAL_FROM_CPU, GET_FENCE_SLOTS. */
int sync_handle_request(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
			unsigned char *reply, uint32_t reply_cap, uint32_t *reply_len);

#endif /* DXGD_SYNC_H */
