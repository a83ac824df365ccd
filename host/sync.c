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
static void store_slot(struct dxg_vm *vm, struct dxg_sync_object *s)
{
	if (!s->slot)
		return;
	/* Pairs with the guest's acquire load of the slot before it decides a wait is over. */
	dxg_store_release(memory_fence_slot(vm, s->slot), dxg_to_le64(s->value));
	vm->fence_kick = true;
}

/* A new object of device `d` with a handle (and a slot when its type has one), unlinked. */
static int new_object(struct dxg_vm *vm, struct dxg_device *d, uint32_t type, uint32_t flags,
		      enum sync_owner owner, struct dxg_sync_object **out)
{
	struct dxg_sync_object *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	obj_list_init(&s->link);
	s->type = type;
	s->flags = flags;
	s->owner = owner;
	s->device = d;
	s->refs = 1;
	if (has_slot(type)) {
		ret = memory_fence_slot_alloc(vm, d->process->handle, &s->slot);
		if (ret) {
			free(s);
			return ret;
		}
	}
	if (handle_table_alloc(&vm->handles, DXG_HTYPE_SYNCOBJECT, d->process->handle, s,
			       &s->handle)) {
		if (s->slot)
			memory_fence_slot_free(vm, s->slot);
		free(s);
		return -ENOMEM;
	}
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
	int ret = new_object(vm, d, D3DDDI_MONITORED_FENCE, 0, owner, out);

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
	if (!s->device)
		return;
	handle_table_mark_destroyed(&vm->handles, s->handle);
	obj_list_del(&s->link);
	vm->counters.sync_objects--;
	if (s->owner == SYNC_OWNER_DEVICE)
		vm->counters.user_sync_objects--;
	/* The guest can no longer name the object, so nobody waits on the slot: it may go now. */
	if (s->slot)
		memory_fence_slot_free(vm, s->slot);
	s->slot = 0;
	s->device = NULL;
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
	s->value = value;
	store_slot(vm, s);
	exec_sync_changed(vm);
}

void sync_signal(struct dxg_vm *vm, struct dxg_sync_object *s, uint64_t value, uint32_t flags)
{
	if (!s->device)
		return;
	switch (s->type) {
	case D3DDDI_FENCE:
	case D3DDDI_MONITORED_FENCE:
		/*
		 * Without ALLOW_FENCE_REWIND a fence never goes back, even when another signal
		 * overtook this one between the request and now (it was checked at the request).
		 */
		if (value < s->value && !(flags & D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND))
			value = s->value;
		sync_fence_set(vm, s, value);
		break;
	case D3DDDI_SYNCHRONIZATION_MUTEX:
		s->value = 0;
		exec_sync_changed(vm);
		break;
	case D3DDDI_SEMAPHORE:
		if (s->value < s->max_count)
			s->value++;
		exec_sync_changed(vm);
		break;
	default:	/* CPU_NOTIFICATION: the guest wakes its eventfd when the count moves */
		s->value++;
		store_slot(vm, s);
		break;
	}
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
	if (!s->device)
		return true;
	switch (s->type) {
	case D3DDDI_SYNCHRONIZATION_MUTEX:
		return s->value == 0;
	case D3DDDI_SEMAPHORE:
		return s->value > 0;
	default:
		return s->value >= value;
	}
}

void sync_wait_acquire(struct dxg_sync_object *s)
{
	if (!s->device)
		return;
	if (s->type == D3DDDI_SYNCHRONIZATION_MUTEX)
		s->value = 1;
	else if (s->type == D3DDDI_SEMAPHORE)
		s->value--;
}

uint32_t sync_slot_count(const struct dxg_vm *vm)
{
	uint32_t n = 0;

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
	int ret;

	if (!d)
		return -EINVAL;
	if (reply_cap < sizeof(r))
		return -ENOMEM;
	if (vm->counters.user_sync_objects >= vm->limits.max_sync_objects)
		return -ENOMEM;
	ret = new_object(vm, d, req->create_sync_object.type, req->create_sync_object.flags,
			 SYNC_OWNER_DEVICE, &s);
	if (ret)
		return ret;
	/* The decoder bounded the values per type. */
	switch (s->type) {
	case D3DDDI_SYNCHRONIZATION_MUTEX:
		s->value = req->create_sync_object.value0;	/* 1: created owned */
		break;
	case D3DDDI_SEMAPHORE:
		s->max_count = req->create_sync_object.value0;
		s->value = req->create_sync_object.value1;
		break;
	case D3DDDI_FENCE:
	case D3DDDI_MONITORED_FENCE:
		s->value = req->create_sync_object.value0;
		break;
	default:
		break;
	}
	link_object(vm, s);
	store_slot(vm, s);
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

		if (!s || s->device != d || s->mark == mark)
			return -EINVAL;
		s->mark = mark;
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
		if (objects[i]->type != D3DDDI_MONITORED_FENCE ||
		    objects[i]->owner != SYNC_OWNER_DEVICE)
			return -EINVAL;
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
		dxg_le64 le = dxg_to_le64(objects[i]->slot);

		memcpy(reply + 8u * i, &le, sizeof(le));
	}
	*reply_len = n * 8u;
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
