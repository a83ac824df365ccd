// SPDX-License-Identifier: MIT
/*
 * Synchronization objects (sync.h; semantics in wire.h "0x05xx" and docs/dxgd.md).
 *
 * Requests naming several objects resolve and check all of them first (handle, owner, device,
 * type, duplicates, values), then change anything: a failed request changes nothing.
 */
#include "sync.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <misc/d3dkmthk.h>
#include <opendxg/handle.h>

#include "exec.h"
#include "log.h"
#include "memory.h"

static uint64_t sync_mark_epoch;

struct dxg_sync_object *sync_find(struct dxg_vm *vm, const struct dxg_process *p,
				  uint32_t handle)
{
	return handle_table_lookup(&vm->handles, handle, DXG_HTYPE_SYNCOBJECT, p->handle);
}

static bool has_slot(uint32_t type)
{
	return type == D3DDDI_MONITORED_FENCE || type == D3DDDI_CPU_NOTIFICATION;
}

/* The host's value is the truth; the slot is the guest's copy (hostile memory, never read). */
static void store_slot(struct dxg_vm *vm, uint64_t slot, uint64_t value)
{
	if (!slot)
		return;
	/* Pairs with the guest's acquire load of the slot before it decides a wait is over. */
	dxg_store_release(memory_fence_slot(vm, slot), dxg_to_le64(value));
	vm->fence_kick = true;
}

/* The share's slot: the value, or the error once nothing can signal the object any more. */
static void store_share_slot(struct dxg_vm *vm, const struct sync_state *st)
{
	store_slot(vm, st->share_slot, st->orphaned ? DXGW_FENCE_VALUE_ERROR : st->value);
}

/* The state's value changed: every handle's copy and slot, and the share's slot, follow. */
static void state_publish(struct dxg_vm *vm, struct sync_state *st)
{
	for (struct obj_list *it = st->handles.next; it != &st->handles; it = it->next) {
		struct dxg_sync_object *h = obj_container_of(it, struct dxg_sync_object, state_link);

		h->value = st->value;
		store_slot(vm, h->slot, st->value);
	}
	store_share_slot(vm, st);
}

void sync_state_ref(struct sync_state *st)
{
	st->refs++;
}

void sync_state_unref(struct dxg_vm *vm, struct sync_state *st)
{
	(void)vm;
	if (--st->refs == 0)
		free(st);
}

/*
 * A new handle of device `d` (and a slot when the type has one) on `st`, or on a new state of
 * `type` and `flags` when `st` is NULL; unlinked from the device. The slot holds the value.
 */
static int new_object(struct dxg_vm *vm, struct dxg_device *d, struct sync_state *st,
		      uint32_t type, uint32_t flags, enum sync_owner owner, uint32_t access,
		      struct dxg_sync_object **out)
{
	struct dxg_sync_object *s = calloc(1, sizeof(*s));
	struct sync_state *fresh = NULL;
	int ret;

	if (!s)
		return -ENOMEM;
	if (!st) {
		fresh = st = calloc(1, sizeof(*st));
		if (!st) {
			free(s);
			return -ENOMEM;
		}
		st->type = type;
		st->flags = flags;
		st->queue_fence = owner != SYNC_OWNER_DEVICE;
		obj_list_init(&st->handles);
	}
	obj_list_init(&s->link);
	obj_list_init(&s->state_link);
	s->type = st->type;
	s->flags = st->flags;
	s->value = st->value;
	s->max_count = st->max_count;
	s->owner = owner;
	s->access = access;
	s->device = d;
	s->refs = 1;
	if (has_slot(st->type)) {
		ret = memory_fence_slot_alloc(vm, d->process->handle, &s->slot);
		if (ret) {
			free(fresh);
			free(s);
			return ret;
		}
	}
	if (handle_table_alloc(&vm->handles, DXG_HTYPE_SYNCOBJECT, d->process->handle, s,
			       &s->handle)) {
		if (s->slot)
			memory_fence_slot_free(vm, s->slot);
		free(fresh);
		free(s);
		return -ENOMEM;
	}
	s->state = st;
	sync_state_ref(st);
	st->handle_count++;
	obj_list_add_tail(&st->handles, &s->state_link);
	store_slot(vm, s->slot, st->value);
	*out = s;
	return 0;
}

static void link_object(struct dxg_vm *vm, struct dxg_sync_object *s)
{
	obj_list_add_tail(&s->device->sync_objects, &s->link);
	vm->counters.sync_objects++;
	if (s->owner == SYNC_OWNER_DEVICE)
		vm->counters.user_sync_objects++;
}

int sync_create_queue_fence(struct dxg_vm *vm, struct dxg_device *d, enum sync_owner owner,
			    struct dxg_sync_object **out)
{
	int ret = new_object(vm, d, NULL, D3DDDI_MONITORED_FENCE, 0, owner, DXGW_ACCESS_SYNC_ALL,
			     out);

	if (ret)
		return ret;
	link_object(vm, *out);
	return 0;
}

void sync_ref(struct dxg_sync_object *s)
{
	s->refs++;
}

void sync_unref(struct dxg_vm *vm, struct dxg_sync_object *s)
{
	(void)vm;
	if (--s->refs == 0)
		free(s);
}

void sync_destroy(struct dxg_vm *vm, struct dxg_sync_object *s)
{
	struct sync_state *st = s->state;

	if (!s->device)
		return;
	handle_table_mark_destroyed(&vm->handles, s->handle);
	obj_list_del(&s->link);
	vm->counters.sync_objects--;
	if (s->owner == SYNC_OWNER_DEVICE)
		vm->counters.user_sync_objects--;
	/* The guest can no longer name the handle, so nobody waits on its slot: it may go now. */
	if (s->slot)
		memory_fence_slot_free(vm, s->slot);
	s->slot = 0;
	s->device = NULL;
	s->state = NULL;
	obj_list_del(&s->state_link);
	/* A share may still hold the object, but nothing can signal it any more: sync files end. */
	if (--st->handle_count == 0) {
		st->orphaned = true;
		store_share_slot(vm, st);
	}
	sync_state_unref(vm, st);
	handle_table_free(&vm->handles, s->handle);
	/* Queue waits naming it are satisfied from now on: let them look again. */
	exec_sync_changed(vm);
	sync_unref(vm, s);
}

void sync_device_destroy(struct dxg_vm *vm, struct dxg_device *d)
{
	while (!obj_list_empty(&d->sync_objects)) {
		struct dxg_sync_object *s = obj_container_of(d->sync_objects.next,
							     struct dxg_sync_object, link);

		if (s->owner != SYNC_OWNER_DEVICE)
			log_error("sync object 0x%x outlived its queue", s->handle);
		sync_destroy(vm, s);
	}
}

void sync_fence_set(struct dxg_vm *vm, struct dxg_sync_object *s, uint64_t value)
{
	if (!s->device)
		return;
	s->state->value = value;
	state_publish(vm, s->state);
	exec_sync_changed(vm);
}

void sync_signal(struct dxg_vm *vm, struct dxg_sync_object *s, uint64_t value, uint32_t flags)
{
	struct sync_state *st = s->state;

	if (!s->device)
		return;
	switch (st->type) {
	case D3DDDI_FENCE:
	case D3DDDI_MONITORED_FENCE:
		/*
		 * Without ALLOW_FENCE_REWIND a fence never goes back, even when another signal
		 * overtook this one between the request and now (it was checked at the request).
		 */
		if (value < st->value && !(flags & D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND))
			value = st->value;
		sync_fence_set(vm, s, value);
		return;
	case D3DDDI_SYNCHRONIZATION_MUTEX:
		st->value = 0;
		break;
	case D3DDDI_SEMAPHORE:
		if (st->value < st->max_count)
			st->value++;
		break;
	default:	/* CPU_NOTIFICATION: the guest wakes its eventfd when the count moves */
		st->value++;
		break;
	}
	state_publish(vm, st);
	exec_sync_changed(vm);
}

void sync_signal_error(struct dxg_vm *vm, struct dxg_sync_object *s)
{
	if (!s->device)
		return;
	if (sync_is_fence(s)) {
		if (!(s->flags & D3DDDI_SYNCOBJ_FLAG_NO_SIGNAL_MAX_VALUE_ON_TDR))
			sync_fence_set(vm, s, DXGW_FENCE_VALUE_ERROR);
		return;
	}
	sync_signal(vm, s, 0, 0);
}

bool sync_wait_ready(const struct dxg_sync_object *s, uint64_t value)
{
	const struct sync_state *st = s->state;

	if (!s->device)
		return true;
	switch (st->type) {
	case D3DDDI_SYNCHRONIZATION_MUTEX:
		return st->value == 0;
	case D3DDDI_SEMAPHORE:
		return st->value > 0;
	default:
		return st->value >= value;
	}
}

void sync_wait_acquire(struct dxg_sync_object *s)
{
	struct sync_state *st = s->state;

	if (!s->device)
		return;
	if (st->type == D3DDDI_SYNCHRONIZATION_MUTEX)
		st->value = 1;
	else if (st->type == D3DDDI_SEMAPHORE)
		st->value--;
	else
		return;
	/* Mutexes and semaphores have no slots: only the handles' copies follow. */
	for (struct obj_list *it = st->handles.next; it != &st->handles; it = it->next)
		obj_container_of(it, struct dxg_sync_object, state_link)->value = st->value;
}

uint32_t sync_slot_count(const struct dxg_vm *vm)
{
	uint32_t n = share_fence_slot_count(vm);

	for (const struct obj_list *pl = vm->processes.next; pl != &vm->processes; pl = pl->next) {
		const struct dxg_process *p = obj_container_of(pl, const struct dxg_process, link);

		for (const struct obj_list *dl = p->devices.next; dl != &p->devices;
		     dl = dl->next) {
			const struct dxg_device *d = obj_container_of(dl, const struct dxg_device,
								      link);

			for (const struct obj_list *it = d->sync_objects.next;
			     it != &d->sync_objects; it = it->next) {
				const struct dxg_sync_object *s =
					obj_container_of(it, const struct dxg_sync_object, link);

				n += s->slot != 0;
			}
		}
	}
	return n;
}

/* ---- sharing ---- */

int sync_share_check(const struct dxg_sync_object *s, bool sync_file)
{
	if (sync_file) {
		if (s->type != D3DDDI_MONITORED_FENCE)
			return -EINVAL;
		return sync_can_wait(s) ? 0 : -EACCES;
	}
	/* The decoder let SHARED in only with NT_SECURITY_SHARING; queue fences have neither. */
	if (!(s->flags & D3DDDI_SYNCOBJ_FLAG_SHARED) || sync_host_signalled(s))
		return -EINVAL;
	/* A descriptor may grant every right: only a handle that has them all may make one. */
	return (s->access & DXGW_ACCESS_SYNC_ALL) == DXGW_ACCESS_SYNC_ALL ? 0 : -EACCES;
}

int sync_share_attach(struct dxg_vm *vm, struct sync_state *st)
{
	if (st->type == D3DDDI_MONITORED_FENCE && !st->share_slot) {
		int ret = memory_fence_slot_alloc(vm, SYNC_SHARE_SLOT_OWNER, &st->share_slot);

		if (ret) {
			st->share_slot = 0;
			return ret;
		}
		store_share_slot(vm, st);
	}
	sync_state_ref(st);
	return 0;
}

void sync_share_detach(struct dxg_vm *vm, struct sync_state *st)
{
	if (st->share_slot)
		memory_fence_slot_free(vm, st->share_slot);
	st->share_slot = 0;
	sync_state_unref(vm, st);
}

bool sync_state_wait_ready(const struct sync_state *st, uint64_t value)
{
	return st->orphaned || st->value >= value;
}

const char *sync_state_check(struct dxg_vm *vm, const struct sync_state *st)
{
	uint32_t n = 0;

	for (const struct obj_list *it = st->handles.next; it != &st->handles; it = it->next) {
		const struct dxg_sync_object *h =
			obj_container_of(it, const struct dxg_sync_object, state_link);

		if (h->state != st || !h->device || h->value != st->value || h->type != st->type)
			return "sync handle differs from its object";
		if (h->slot && dxg_from_le64(*memory_fence_slot(vm, h->slot)) != st->value)
			return "sync handle slot differs from its object's value";
		n++;
	}
	if (n != st->handle_count)
		return "sync object handle count";
	if (st->refs < n + 1u)
		return "sync object references";
	if (n == 0 && !st->orphaned)
		return "sync object without handles not orphaned";
	if ((st->share_slot != 0) != (st->type == D3DDDI_MONITORED_FENCE))
		return "share slot of a sync object";
	if (st->share_slot &&
	    dxg_from_le64(*memory_fence_slot(vm, st->share_slot)) !=
		    (st->orphaned ? DXGW_FENCE_VALUE_ERROR : st->value))
		return "share slot differs from its object's value";
	return NULL;
}

/* ---- requests ---- */

static struct dxg_device *find_device(struct dxg_vm *vm, struct dxg_process *p, uint32_t handle)
{
	return handle_table_lookup(&vm->handles, handle, DXG_HTYPE_DEVICE, p->handle);
}

static int create_sync_object(struct dxg_vm *vm, struct dxg_process *p,
			      const struct dxgw_request *req, unsigned char *reply,
			      uint32_t reply_cap, uint32_t *reply_len)
{
	struct dxg_device *d = find_device(vm, p, req->create_sync_object.device);
	struct dxgw_create_sync_object_reply r;
	struct dxg_sync_object *s;
	struct sync_state *st;
	int ret;

	if (!d)
		return -EINVAL;
	if (reply_cap < sizeof(r))
		return -ENOMEM;
	if (vm->counters.user_sync_objects >= vm->limits.max_sync_objects)
		return -ENOMEM;
	ret = new_object(vm, d, NULL, req->create_sync_object.type, req->create_sync_object.flags,
			 SYNC_OWNER_DEVICE, DXGW_ACCESS_SYNC_ALL, &s);
	if (ret)
		return ret;
	st = s->state;
	/* The decoder bounded the values per type. */
	switch (st->type) {
	case D3DDDI_SYNCHRONIZATION_MUTEX:
		st->value = req->create_sync_object.value0;	/* 1: created owned */
		break;
	case D3DDDI_SEMAPHORE:
		st->max_count = req->create_sync_object.value0;
		st->value = req->create_sync_object.value1;
		break;
	case D3DDDI_FENCE:
	case D3DDDI_MONITORED_FENCE:
		st->value = req->create_sync_object.value0;
		break;
	default:
		break;
	}
	s->max_count = st->max_count;
	link_object(vm, s);
	state_publish(vm, st);
	memset(&r, 0, sizeof(r));
	r.sync_object = dxg_to_le32(s->handle);
	r.fence_offset = dxg_to_le64(s->slot);
	memcpy(reply, &r, sizeof(r));
	*reply_len = sizeof(r);
	return 0;
}

/*
 * Resolves `count` handles of a 0x05xx list: live objects of process `p` on device `d`, no
 * handle twice. Returns 0 or -EINVAL.
 */
static int resolve_objects(struct dxg_vm *vm, struct dxg_process *p, const struct dxg_device *d,
			   const unsigned char *list, uint32_t count,
			   struct dxg_sync_object **out)
{
	uint64_t mark = ++sync_mark_epoch;

	for (uint32_t i = 0; i < count; i++) {
		struct dxg_sync_object *s = sync_find(vm, p, dxgw_list_get(list, i));

		/* Two handles on one object are the same object named twice. */
		if (!s || s->device != d || s->state->mark == mark)
			return -EINVAL;
		s->state->mark = mark;
		out[i] = s;
	}
	return 0;
}

static int signal_from_cpu(struct dxg_vm *vm, struct dxg_process *p,
			   const struct dxgw_request *req)
{
	const uint32_t n = req->signal_from_cpu.count;
	const bool rewind = req->signal_from_cpu.flags & D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND;
	struct dxg_device *d = find_device(vm, p, req->signal_from_cpu.device);
	struct dxg_sync_object *objects[DXGW_MAX_SYNC_OBJECTS];
	int ret;

	if (!d)
		return -EINVAL;
	ret = resolve_objects(vm, p, d, req->signal_from_cpu.handles, n, objects);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t v = dxgw_value_get(req->signal_from_cpu.values, i);

		/* The queues' fences belong to the host: only their queue moves them. */
		if (objects[i]->type != D3DDDI_MONITORED_FENCE || sync_host_signalled(objects[i]))
			return -EINVAL;
		if (!sync_can_signal(objects[i]))
			return -EACCES;
		if (v < objects[i]->value && !rewind)
			return -EINVAL;
	}
	for (uint32_t i = 0; i < n; i++)
		sync_fence_set(vm, objects[i], dxgw_value_get(req->signal_from_cpu.values, i));
	return 0;
}

static int get_fence_slots(struct dxg_vm *vm, struct dxg_process *p,
			   const struct dxgw_request *req, unsigned char *reply,
			   uint32_t reply_cap, uint32_t *reply_len)
{
	const uint32_t n = req->get_fence_slots.count;
	struct dxg_device *d = find_device(vm, p, req->get_fence_slots.device);
	struct dxg_sync_object *objects[DXGW_MAX_SYNC_OBJECTS];
	int ret;

	if (!d)
		return -EINVAL;
	if (reply_cap < n * 8u)
		return -ENOMEM;
	ret = resolve_objects(vm, p, d, req->get_fence_slots.handles, n, objects);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < n; i++) {
		if (objects[i]->type != D3DDDI_MONITORED_FENCE)
			return -EINVAL;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (!sync_can_wait(objects[i]))
			return -EACCES;
	}
	for (uint32_t i = 0; i < n; i++) {
		dxg_le64 le = dxg_to_le64(objects[i]->slot);

		memcpy(reply + 8u * i, &le, sizeof(le));
	}
	*reply_len = n * 8u;
	return 0;
}

int sync_open_shared(struct dxg_vm *vm, struct dxg_process *p, uint32_t device, uint32_t access,
		     struct sync_state *st, unsigned char *reply, uint32_t reply_cap,
		     uint32_t *reply_len)
{
	struct dxg_device *d = find_device(vm, p, device);
	struct dxgw_open_shared_sync_object_reply r;
	struct dxg_sync_object *s;
	int ret;

	*reply_len = 0;
	if (!d)
		return -EINVAL;
	if (reply_cap < sizeof(r))
		return -ENOMEM;
	/* An opened handle is the guest's to destroy: it counts as one of its objects. */
	if (vm->counters.user_sync_objects >= vm->limits.max_sync_objects)
		return -ENOMEM;
	ret = new_object(vm, d, st, st->type, st->flags, SYNC_OWNER_DEVICE, access, &s);
	if (ret)
		return ret;
	link_object(vm, s);
	memset(&r, 0, sizeof(r));
	r.sync_object = dxg_to_le32(s->handle);
	r.type = dxg_to_le32(st->type);
	r.fence_offset = dxg_to_le64(s->slot);
	if (sync_is_fence(s))
		r.fence_value = dxg_to_le64(st->value);
	memcpy(reply, &r, sizeof(r));
	*reply_len = sizeof(r);
	return 0;
}

int sync_handle_request(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
			unsigned char *reply, uint32_t reply_cap, uint32_t *reply_len)
{
	struct dxg_sync_object *s;

	*reply_len = 0;
	switch (req->opcode) {
	case DXGW_OP_CREATE_SYNC_OBJECT:
		return create_sync_object(vm, p, req, reply, reply_cap, reply_len);
	case DXGW_OP_DESTROY_SYNC_OBJECT:
		s = sync_find(vm, p, req->destroy.handle);
		/* A queue's fence goes with its queue. */
		if (!s || s->owner != SYNC_OWNER_DEVICE)
			return -EINVAL;
		sync_destroy(vm, s);
		return 0;
	case DXGW_OP_SIGNAL_FROM_CPU:
		return signal_from_cpu(vm, p, req);
	case DXGW_OP_GET_FENCE_SLOTS:
		return get_fence_slots(vm, p, req, reply, reply_cap, reply_len);
	default:
		return -ENOSYS;
	}
}
