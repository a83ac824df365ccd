// SPDX-License-Identifier: GPL-2.0
/*
 * The synchronization object ioctls: create and destroy, signal and wait on queues (contexts and
 * hardware queues: the host runs those), signal from the CPU, and wait from the CPU (the guest
 * does that itself, dxg_fence.c). Their table lines are in dxg_ioctl.c.
 *
 * Every handler checks its copy of the argument fully (counts within WSL's limits: 1..32 objects,
 * 1..64 queues; known flag bits; handles nonzero), copies the arrays it points to once, builds the
 * wire request (include/opendxg/wire.h, "0x05xx") and calls the host, which checks type and
 * owner of every handle. The legacy SIGNALSYNCHRONIZATIONOBJECT and WAITFORSYNCHRONIZATIONOBJECT
 * carry one fence_value for all their objects; FROMGPU, FROMGPU2 and WAITFROMGPU read their union
 * as a user pointer to one u64 value per object. Enqueueing a CPU event (signal flag
 * ENQUEUE_CPU_EVENT) is not supported: -EINVAL.
 *
 * A monitored fence is mapped read-only into its creator like a paging queue's fence (dxg_mem.c);
 * a CPU notification object gets a record that signals its eventfd whenever the host counts a
 * signal in its slot (dxg_fence.c). Creation and destruction hold the process lock across the host
 * call, so a destroyed object's mapping or record is gone before a new object of the process can
 * be given its slot.
 */
#include <linux/eventfd.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <misc/d3dkmthk.h>

#include "dxg.h"

/* What a queue signal may ask for: ENQUEUE_CPU_EVENT and INTERNAL0 are not supported. */
#define DXG_QUEUE_SIGNAL_FLAGS						\
	(D3DDDICB_SIGNAL_FLAG_SIGNAL_AT_SUBMISSION | D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND)

/* ---- helpers ---- */

/* Copies an inline handle array of an argument struct; every handle must be nonzero. */
static int dxg_copy_handles(u32 *dst, const struct d3dkmthandle *src, u32 count)
{
	u32 i;

	for (i = 0; i < count; i++) {
		if (!src[i].v)
			return -EINVAL;
		dst[i] = src[i].v;
	}
	return 0;
}

/* An eventfd named by a u64 argument. WSL's -EINVAL for anything that is not one. */
static struct eventfd_ctx *dxg_get_eventfd(u64 fd)
{
	struct eventfd_ctx *event;

	if (fd > INT_MAX)
		return ERR_PTR(-EINVAL);
	event = eventfd_ctx_fdget((int)fd);
	return IS_ERR(event) ? ERR_PTR(-EINVAL) : event;
}

/* A request on host handles of the calling process. */
static int dxg_sync_call(struct dxg_ioctl_ctx *ctx, struct dxg_call_args *a)
{
	int ret;

	ret = dxg_process_host_current(ctx->proc, ctx->ch, &a->process, &a->epoch);
	if (ret)
		return ret;
	return dxg_mem_call(ctx->ch, a);
}

/*
 * DXGW_OP_SIGNAL_ON_QUEUE: every queue gets a marker; once all are reached the objects take
 * their values. Counts and handles are checked by the callers.
 */
static int dxg_signal_on_queues(struct dxg_ioctl_ctx *ctx, const u32 *queues, u32 queue_count,
				const u32 *objects, u32 object_count, const u64 *values,
				u32 flags)
{
	struct dxgw_signal_on_queue_req *req;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_SIGNAL_ON_QUEUE,
	};
	u8 *p;
	int ret;

	if (flags & ~DXG_QUEUE_SIGNAL_FLAGS)
		return -EINVAL;
	a.req_len = sizeof(*req) + dxg_list_size(queue_count) + dxg_list_size(object_count) +
		    object_count * sizeof(u64);
	req = kvzalloc(a.req_len, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	req->queue_count = cpu_to_le32(queue_count);
	req->object_count = cpu_to_le32(object_count);
	req->flags = cpu_to_le32(flags);
	p = (u8 *)(req + 1);
	dxg_put_list(p, queues, queue_count);
	p += dxg_list_size(queue_count);
	dxg_put_list(p, objects, object_count);
	p += dxg_list_size(object_count);
	dxg_put_u64s(p, values, object_count);
	a.req = req;
	ret = dxg_sync_call(ctx, &a);
	kvfree(req);
	return ret;
}

/* DXGW_OP_WAIT_ON_QUEUE: later work on the queue waits for the objects. */
static int dxg_wait_on_queue(struct dxg_ioctl_ctx *ctx, u32 queue, const u32 *objects,
			     u32 count, const u64 *values)
{
	struct dxgw_wait_on_queue_req *req;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_WAIT_ON_QUEUE,
	};
	int ret;

	if (!queue)
		return -EINVAL;
	a.req_len = sizeof(*req) + dxg_list_size(count) + count * sizeof(u64);
	req = kvzalloc(a.req_len, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	req->queue = cpu_to_le32(queue);
	req->object_count = cpu_to_le32(count);
	dxg_put_list(req + 1, objects, count);
	dxg_put_u64s((u8 *)(req + 1) + dxg_list_size(count), values, count);
	a.req = req;
	ret = dxg_sync_call(ctx, &a);
	kvfree(req);
	return ret;
}

/*
 * The common part of the ioctls whose handle and value arrays are user pointers: copies them once
 * (values: one per object) and signals on the queues, or waits on queues[0].
 */
static int dxg_queue_op_user(struct dxg_ioctl_ctx *ctx, bool signal, const u32 *queues,
			     u32 queue_count, u64 user_objects, u32 object_count, u64 user_values,
			     u32 flags)
{
	u32 *objects;
	u64 *values;
	int ret;

	if (!object_count || object_count > DXGW_MAX_SYNC_OBJECTS)
		return -EINVAL;
	objects = dxg_copy_u32s(user_objects, object_count, true);
	if (IS_ERR(objects))
		return PTR_ERR(objects);
	values = dxg_copy_u64s(user_values, object_count);
	if (IS_ERR(values)) {
		ret = PTR_ERR(values);
		goto out_free_objects;
	}
	if (signal)
		ret = dxg_signal_on_queues(ctx, queues, queue_count, objects, object_count,
					   values, flags);
	else
		ret = dxg_wait_on_queue(ctx, queues[0], objects, object_count, values);
	kvfree(values);
out_free_objects:
	kvfree(objects);
	return ret;
}

/* A user array of 1..DXGW_MAX_QUEUES queue handles, copied once. */
static u32 *dxg_copy_queues(u64 user, u32 count)
{
	if (!count || count > DXGW_MAX_QUEUES)
		return ERR_PTR(-EINVAL);
	return dxg_copy_u32s(user, count, true);
}

/* ---- creation and destruction ---- */

/*
 * The object's fence mapping (monitored fences) is revoked before the request and dropped or
 * brought back after it; the host's yes also ends the CPU notification record and the eventfd
 * waits that name the object. Also the undo of the objects opened from shares and sync files.
 */
int dxg_destroy_sync_object(struct dxg_ioctl_ctx *ctx, u32 handle)
{
	struct dxg_process *proc = ctx->proc;
	struct dxgw_destroy_req req = {
		.handle = cpu_to_le32(handle),
	};
	struct dxg_call_args a = {
		.opcode = DXGW_OP_DESTROY_SYNC_OBJECT,
		.req = &req,
		.req_len = sizeof(req),
	};
	bool gone;
	int ret;

	if (!handle)
		return -EINVAL;
	if (mutex_lock_killable(&proc->lock))
		return -EINTR;
	ret = dxg_process_host_current_locked(proc, ctx->ch, &a.process, &a.epoch);
	if (ret)
		goto out_unlock;
	dxg_mem_revoke_locked(proc, DXG_REVOKE_FENCE, &handle, 1);
	ret = dxg_call(ctx->ch, &a);
	gone = !dxg_host_refused(ret, &a);
	dxg_mem_revoke_finish_locked(proc, gone, true);
	if (gone)
		dxg_fence_forget(ctx->ch, proc, DXG_FORGET_SYNC_OBJECT, handle);
out_unlock:
	mutex_unlock(&proc->lock);
	return ret;
}

/* The wire values of a new object, from the union member its type selects. */
static int dxg_sync_object_values(const struct d3dddi_synchronizationobjectinfo2 *info,
				  struct dxgw_create_sync_object_req *req)
{
	switch (info->type) {
	case D3DDDI_SYNCHRONIZATION_MUTEX:
		req->value0 = cpu_to_le64(info->synchronization_mutex.initial_state);
		return 0;
	case D3DDDI_SEMAPHORE:
		req->value0 = cpu_to_le64(info->semaphore.max_count);
		req->value1 = cpu_to_le64(info->semaphore.initial_count);
		return 0;
	case D3DDDI_FENCE:
		req->value0 = cpu_to_le64(info->fence.fence_value);
		return 0;
	case D3DDDI_MONITORED_FENCE:
		req->value0 = cpu_to_le64(info->monitored_fence.initial_fence_value);
		return 0;
	case D3DDDI_CPU_NOTIFICATION:
		return 0;
	default:
		/* PERIODIC_MONITORED_FENCE needs a display; other values are no type. */
		return -EINVAL;
	}
}

/*
 * After the host created the object: map a monitored fence's page, or start watching a CPU
 * notification's slot (the record takes @event). Called with the process lock held.
 */
static int dxg_sync_object_attach(struct dxg_ioctl_ctx *ctx, struct d3dkmt_createsynchronizationobject2 *args,
				  const struct dxgw_create_sync_object_reply *reply,
				  const struct dxg_mem_grant *grant, struct eventfd_ctx **event)
{
	struct d3dddi_synchronizationobject_monitored_fence *mf = &args->info.monitored_fence;
	u64 offset = le64_to_cpu(reply->fence_offset);
	int ret;

	switch (args->info.type) {
	case D3DDDI_MONITORED_FENCE:
		ret = dxg_mem_map_fence_locked(ctx->proc, ctx->ch, grant, offset,
					       &mf->fence_cpu_virtual_address);
		if (ret)
			return ret;
		mf->fence_gpu_virtual_address = le64_to_cpu(reply->fence_gpu_va);
		return 0;
	case D3DDDI_CPU_NOTIFICATION:
		ret = dxg_fence_check_slots(ctx->ch, grant->epoch, &offset, 1);
		if (ret)
			return ret;
		ret = dxg_fence_add_notification(ctx->ch, ctx->proc, grant->epoch, grant->handle,
						 grant->device, grant->adapter, offset, *event);
		*event = NULL;
		return ret;
	default:
		return 0;
	}
}


/**
 * dxg_sync_object_host_destroy() - undo a sync object the host just created
 * @ch: the channel
 * @a: the call that created it (its process and epoch are reused)
 * @handle: the new object
 *
 * For a creation that failed in the guest before anything was mapped or recorded: only the host
 * object goes. Best effort: a failure leaves it to the process's teardown.
 */
void dxg_sync_object_host_destroy(struct dxg_channel *ch, struct dxg_call_args *a, u32 handle)
{
	struct dxgw_destroy_req destroy = {
		.handle = cpu_to_le32(handle),
	};

	a->opcode = DXGW_OP_DESTROY_SYNC_OBJECT;
	a->req = &destroy;
	a->req_len = sizeof(destroy);
	a->reply = NULL;
	a->reply_max = 0;
	dxg_call(ch, a);
}

/*
 * Outputs: sync_object, info.shared_handle (always 0: NT sharing goes through SHAREOBJECTS, as in
 * WSL; the host requires NT_SECURITY_SHARING with SHARED) and, for a monitored fence,
 * its CPU address (the u64 in its page, mapped read-only into the caller) and GPU address (the
 * host's; 0 while fences are not in GPU VA spaces). The eventfd of a CPU notification is checked
 * before anything else happens.
 */
int dxg_ioctl_create_sync_object(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_createsynchronizationobject2 *args = data;
	struct d3dddi_synchronizationobjectinfo2 *info = &args->info;
	struct dxg_process *proc = ctx->proc;
	struct dxgw_create_sync_object_req req = {
		.device = cpu_to_le32(args->device.v),
		.type = cpu_to_le32(info->type),
		.flags = cpu_to_le32(info->flags),
	};
	struct dxgw_create_sync_object_reply reply;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_CREATE_SYNC_OBJECT,
		.req = &req,
		.req_len = sizeof(req),
		.reply = &reply,
		.reply_max = sizeof(reply),
	};
	struct dxg_mem_grant grant = {
		.device = args->device.v,
	};
	struct eventfd_ctx *event = NULL;
	int ret;

	if (!args->device.v || (info->flags & ~DXGW_SYNC_OBJECT_FLAGS))
		return -EINVAL;
	ret = dxg_sync_object_values(info, &req);
	if (ret)
		return ret;
	if (info->type == D3DDDI_CPU_NOTIFICATION) {
		event = dxg_get_eventfd(info->cpu_notification.event);
		if (IS_ERR(event))
			return PTR_ERR(event);
	}

	if (mutex_lock_killable(&proc->lock)) {
		ret = -EINTR;
		goto out_put_event;
	}
	ret = dxg_process_host_current_locked(proc, ctx->ch, &a.process, &a.epoch);
	if (ret)
		goto out_unlock;
	/* Every device of the process is in its table: another is not the process's. */
	ret = dxg_process_device_adapter_locked(proc, args->device.v, &grant.adapter);
	if (ret)
		goto out_unlock;
	ret = dxg_reply_check(dxg_call(ctx->ch, &a), &a, sizeof(reply));
	if (ret)
		goto out_unlock;
	grant.epoch = a.epoch;
	grant.handle = le32_to_cpu(reply.sync_object);
	grant.fence_object = grant.handle;
	if (!grant.handle) {
		ret = -EIO;
		goto out_unlock;
	}
	ret = dxg_sync_object_attach(ctx, args, &reply, &grant, &event);
	if (ret) {
		dxg_sync_object_host_destroy(ctx->ch, &a, grant.handle);
		goto out_unlock;
	}
	args->sync_object.v = grant.handle;
	info->shared_handle.v = 0;
out_unlock:
	mutex_unlock(&proc->lock);
out_put_event:
	if (event)
		eventfd_ctx_put(event);
	return ret;
}

void dxg_ioctl_create_sync_object_undo(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_createsynchronizationobject2 *args = data;

	dxg_destroy_sync_object(ctx, args->sync_object.v);
}

int dxg_ioctl_destroy_sync_object(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_destroysynchronizationobject *args = data;

	return dxg_destroy_sync_object(ctx, args->sync_object.v);
}

/* ---- signals and waits on queues ---- */

/*
 * 0x11, the legacy signal: `context` and context_count more contexts (0..63) each get a marker;
 * every object takes the one fence_value.
 */
int dxg_ioctl_signal_sync_object(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_signalsynchronizationobject2 *args = data;
	u32 count = args->object_count, queue_count = args->context_count + 1;
	u32 queues[DXGW_MAX_QUEUES], objects[DXGW_MAX_SYNC_OBJECTS];
	u64 values[DXGW_MAX_SYNC_OBJECTS];
	u32 i;

	if (!args->context.v || !count || count > DXGW_MAX_SYNC_OBJECTS ||
	    args->context_count >= D3DDDI_MAX_BROADCAST_CONTEXT)
		return -EINVAL;
	queues[0] = args->context.v;
	if (dxg_copy_handles(queues + 1, args->contexts, args->context_count) ||
	    dxg_copy_handles(objects, args->object_array, count))
		return -EINVAL;
	for (i = 0; i < count; i++)
		values[i] = args->fence_value;
	return dxg_signal_on_queues(ctx, queues, queue_count, objects, count, values,
				    args->flags);
}

/* 0x12, the legacy wait: the context waits until every object reaches the one fence_value. */
int dxg_ioctl_wait_sync_object(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_waitforsynchronizationobject2 *args = data;
	u32 count = args->object_count, objects[DXGW_MAX_SYNC_OBJECTS];
	u64 values[DXGW_MAX_SYNC_OBJECTS];
	u32 i;

	if (!args->context.v || !count || count > DXGW_MAX_SYNC_OBJECTS ||
	    dxg_copy_handles(objects, args->object_array, count))
		return -EINVAL;
	for (i = 0; i < count; i++)
		values[i] = args->fence_value;
	return dxg_wait_on_queue(ctx, args->context.v, objects, count, values);
}

/* 0x32: one context, one value per object behind the union's pointer. */
int dxg_ioctl_signal_sync_object_gpu(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_signalsynchronizationobjectfromgpu *args = data;
	u32 queue = args->context.v;

	if (!queue)
		return -EINVAL;
	return dxg_queue_op_user(ctx, true, &queue, 1, args->objects, args->object_count,
				 args->monitored_fence_values, 0);
}

/* 0x33: 1..64 contexts behind a pointer, one value per object behind the union's pointer. */
int dxg_ioctl_signal_sync_object_gpu2(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_signalsynchronizationobjectfromgpu2 *args = data;
	u32 *queues;
	int ret;

	if (args->flags & ~DXG_QUEUE_SIGNAL_FLAGS || !args->object_count ||
	    args->object_count > DXGW_MAX_SYNC_OBJECTS)
		return -EINVAL;
	queues = dxg_copy_queues(args->contexts, args->context_count);
	if (IS_ERR(queues))
		return PTR_ERR(queues);
	ret = dxg_queue_op_user(ctx, true, queues, args->context_count, args->objects,
				args->object_count, args->monitored_fence_values, args->flags);
	kvfree(queues);
	return ret;
}

/* 0x3b: the context waits for one value per object behind the union's pointer. */
int dxg_ioctl_wait_sync_object_gpu(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_waitforsynchronizationobjectfromgpu *args = data;
	u32 queue = args->context.v;

	if (!queue)
		return -EINVAL;
	return dxg_queue_op_user(ctx, false, &queue, 1, args->objects, args->object_count,
				 args->monitored_fence_values, 0);
}

/* 0x35: 1..64 hardware queues each get a marker. */
int dxg_ioctl_submit_signal_to_hwqueue(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_submitsignalsyncobjectstohwqueue *args = data;
	u32 *queues;
	int ret;

	if (args->flags & ~DXG_QUEUE_SIGNAL_FLAGS || !args->object_count ||
	    args->object_count > DXGW_MAX_SYNC_OBJECTS)
		return -EINVAL;
	queues = dxg_copy_queues(args->hwqueues, args->hwqueue_count);
	if (IS_ERR(queues))
		return PTR_ERR(queues);
	ret = dxg_queue_op_user(ctx, true, queues, args->hwqueue_count, args->objects,
				args->object_count, args->fence_values, args->flags);
	kvfree(queues);
	return ret;
}

/* 0x36: later work on the hardware queue waits for the objects. */
int dxg_ioctl_submit_wait_to_hwqueue(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_submitwaitforsyncobjectstohwqueue *args = data;
	u32 queue = args->hwqueue.v;

	if (!queue)
		return -EINVAL;
	return dxg_queue_op_user(ctx, false, &queue, 1, args->objects, args->object_count,
				 args->fence_values, 0);
}

/* ---- the CPU side ---- */

/*
 * 0x31: monitored fences of the device take their values at once (the host writes the slots and
 * kicks, which wakes the guest's CPU waiters). Only ALLOW_FENCE_REWIND is a meaningful flag.
 */
int dxg_ioctl_signal_sync_object_cpu(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_signalsynchronizationobjectfromcpu *args = data;
	u32 count = args->object_count;
	struct dxgw_signal_from_cpu_req *req = NULL;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_SIGNAL_FROM_CPU,
	};
	u32 *objects;
	u64 *values = NULL;
	int ret;

	if (!args->device.v || !count || count > DXGW_MAX_SYNC_OBJECTS ||
	    (args->flags & ~D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND))
		return -EINVAL;
	objects = dxg_copy_u32s(args->objects, count, true);
	if (IS_ERR(objects))
		return PTR_ERR(objects);
	values = dxg_copy_u64s(args->fence_values, count);
	if (IS_ERR(values)) {
		ret = PTR_ERR(values);
		values = NULL;
		goto out_free;
	}
	a.req_len = sizeof(*req) + dxg_list_size(count) + count * sizeof(u64);
	req = kvzalloc(a.req_len, GFP_KERNEL);
	if (!req) {
		ret = -ENOMEM;
		goto out_free;
	}
	req->device = cpu_to_le32(args->device.v);
	req->count = cpu_to_le32(count);
	req->flags = cpu_to_le32(args->flags);
	dxg_put_list(req + 1, objects, count);
	dxg_put_u64s((u8 *)(req + 1) + dxg_list_size(count), values, count);
	a.req = req;
	ret = dxg_sync_call(ctx, &a);
out_free:
	kvfree(req);
	kvfree(values);
	kvfree(objects);
	return ret;
}

/* DXGW_OP_GET_FENCE_SLOTS: the region offsets of the objects' values, checked. */
static int dxg_get_fence_slots(struct dxg_ioctl_ctx *ctx, u32 process, u64 epoch, u32 device,
			       const u32 *objects, u32 count, u64 *offsets)
{
	struct dxgw_get_fence_slots_req *req;
	__le64 *reply;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_GET_FENCE_SLOTS,
		.process = process,
		.epoch = epoch,
	};
	u32 i;
	int ret = -ENOMEM;

	a.req_len = sizeof(*req) + dxg_list_size(count);
	a.reply_max = count * sizeof(*reply);
	req = kzalloc(a.req_len, GFP_KERNEL);
	reply = kmalloc(a.reply_max, GFP_KERNEL);
	if (!req || !reply)
		goto out_free;
	req->device = cpu_to_le32(device);
	req->count = cpu_to_le32(count);
	dxg_put_list(req + 1, objects, count);
	a.req = req;
	a.reply = reply;
	ret = dxg_reply_check(dxg_call(ctx->ch, &a), &a, a.reply_max);
	if (ret)
		goto out_free;
	for (i = 0; i < count; i++)
		offsets[i] = le64_to_cpu(reply[i]);
	ret = dxg_fence_check_slots(ctx->ch, epoch, offsets, count);
out_free:
	kfree(reply);
	kfree(req);
	return ret;
}

/*
 * 0x3a: the guest resolves the objects (monitored fences of the device, paging and hardware queue
 * fences included) to their slots and watches them itself. async_event 0: an interruptible sleep
 * without a timeout until all (WAIT_ANY: one) reached their values; an eventfd: the call returns
 * at once and the eventfd is signalled when they do (at once if they already did).
 */
int dxg_ioctl_wait_sync_object_cpu(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_waitforsynchronizationobjectfromcpu *args = data;
	u32 count = args->object_count, process, adapter;
	bool wait_any = args->flags & D3DDDI_WAITFORSYNCOBJECTFROMCPU_FLAG_WAIT_ANY;
	struct dxg_process *proc = ctx->proc;
	u64 offsets[DXGW_MAX_SYNC_OBJECTS];
	struct eventfd_ctx *event = NULL;
	u64 *values = NULL, epoch;
	u32 *objects;
	int ret;

	if (!args->device.v || !count || count > DXGW_MAX_SYNC_OBJECTS ||
	    (args->flags & ~D3DDDI_WAITFORSYNCOBJECTFROMCPU_FLAG_WAIT_ANY))
		return -EINVAL;
	if (args->async_event) {
		event = dxg_get_eventfd(args->async_event);
		if (IS_ERR(event))
			return PTR_ERR(event);
	}
	objects = dxg_copy_u32s(args->objects, count, true);
	if (IS_ERR(objects)) {
		ret = PTR_ERR(objects);
		objects = NULL;
		goto out_free;
	}
	values = dxg_copy_u64s(args->fence_values, count);
	if (IS_ERR(values)) {
		ret = PTR_ERR(values);
		values = NULL;
		goto out_free;
	}

	/*
	 * An eventfd wait is recorded under the process lock, so that a destruction of its
	 * objects or device (which holds the lock across its host call) comes before the lookup or
	 * finds the record.
	 */
	if (mutex_lock_killable(&proc->lock)) {
		ret = -EINTR;
		goto out_free;
	}
	ret = dxg_process_host_current_locked(proc, ctx->ch, &process, &epoch);
	if (!ret)
		ret = dxg_process_device_adapter_locked(proc, args->device.v, &adapter);
	if (!ret)
		ret = dxg_get_fence_slots(ctx, process, epoch, args->device.v, objects, count,
					  offsets);
	if (!ret && event) {
		ret = dxg_fence_wait_async(ctx->ch, proc, epoch, args->device.v, adapter, objects,
					   offsets, values, count, wait_any, event);
		event = NULL;
	}
	mutex_unlock(&proc->lock);
	if (!ret && !args->async_event)
		ret = dxg_fence_wait(ctx->ch, epoch, offsets, values, count, wait_any);
out_free:
	if (event)
		eventfd_ctx_put(event);
	kvfree(values);
	kvfree(objects);
	return ret;
}
