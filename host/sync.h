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
 * Objects are refcounted: the queue items that name one (exec.c) keep it alive after it was
 * destroyed; a destroyed object satisfies every wait and ignores every signal.
 */
#ifndef DXGD_SYNC_H
#define DXGD_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "objects.h"
#include "wire_decode.h"

enum sync_owner {
	SYNC_OWNER_DEVICE,		/* CREATE_SYNC_OBJECT: the guest destroys it */
	SYNC_OWNER_PAGING_QUEUE,	/* goes with its paging queue */
	SYNC_OWNER_HW_QUEUE,		/* a hardware queue's progress fence */
};

struct dxg_sync_object {
	struct obj_list link;		/* dxg_device.sync_objects, until destroyed */
	uint32_t handle;		/* DXG_HTYPE_SYNCOBJECT, owned by the process */
	uint32_t type;			/* D3DDDI_SYNCHRONIZATION_MUTEX .. D3DDDI_MONITORED_FENCE */
	uint32_t flags;			/* D3DDDI_SYNCOBJ_FLAG_* (DXGW_SYNC_OBJECT_FLAGS) */
	enum sync_owner owner;
	struct dxg_device *device;	/* NULL once destroyed */
	uint32_t refs;			/* 1 while alive, plus one per queue item naming it */
	uint64_t slot;			/* region offset of its fence slot; 0: none */
	/*
	 * FENCE, MONITORED_FENCE: the value reached. CPU_NOTIFICATION: signals received.
	 * SEMAPHORE: the count. MUTEX: 1 while owned.
	 */
	uint64_t value;
	uint64_t max_count;		/* SEMAPHORE */
	uint64_t mark;			/* duplicate detection within one request */
};

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

/* CREATE_SYNC_OBJECT, DESTROY_SYNC_OBJECT, SIGNAL_FROM_CPU, GET_FENCE_SLOTS. */
int sync_handle_request(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
			unsigned char *reply, uint32_t reply_cap, uint32_t *reply_len);

#endif /* DXGD_SYNC_H */
