// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/dxg ioctls: one dispatcher, one table, one handler per request.
 *
 * The dispatcher is the only place that touches the argument in user memory: it checks the whole
 * 32-bit code against the table (size, direction and type included: -ENOTTY otherwise, like an
 * empty slot) and the caller's thread group, copies exactly _IOC_SIZE bytes in, hands the handler
 * that kernel copy, and copies back only the handler's output fields. Handlers validate the copy
 * (known flag bits, counts, sizes, handles) before they use it; they touch user memory only for
 * the secondary buffers an argument points to.
 *
 * Fields named reserved* in the structs handled here are not reserved words but alignment padding
 * of the Windows layout (or, for createdevice.reserved3, the upper half of Windows' handle/pointer
 * union). libdxg copies its callers' Windows structs through unchanged, so they may hold garbage;
 * the WSL driver ignores them and so do we: checking them would make unchanged WSL user space fail
 * at random. They are never read.
 *
 * When copying the outputs back fails after a handler created something, the table's undo hook
 * destroys it again, so a bad output pointer never leaks a handle. When it succeeds, the commit
 * hook (if any) publishes what must not exist before the caller has its number: a new file
 * descriptor is installed only there, because an installed descriptor cannot be taken back.
 *
 * A handler may return a positive NTSTATUS success code (DXG_STATUS_PENDING): the outputs are
 * copied back and the ioctl returns it, as WSL does.
 *
 * Adding a request is one table line plus its handler. The memory handlers live in
 * dxg_ioctl_mem.c, the synchronization handlers in dxg_ioctl_sync.c, the execution handlers in
 * dxg_ioctl_exec.c.
 */
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/stddef.h>
#include <linux/build_bug.h>

#include <misc/d3dkmthk.h>

#include "dxg.h"

typedef int (*dxg_ioctl_handler)(struct dxg_ioctl_ctx *ctx, void *args);
typedef void (*dxg_ioctl_undo)(struct dxg_ioctl_ctx *ctx, void *args);
typedef void (*dxg_ioctl_commit)(struct dxg_ioctl_ctx *ctx, void *args);

struct dxg_ioctl_desc {
	unsigned int cmd;
	dxg_ioctl_handler handler;
	dxg_ioctl_undo undo;		/* after a failed copy-out of a successful call */
	dxg_ioctl_commit commit;	/* after the copy-out of a successful call */
	u16 out_offset;			/* outputs, copied back on success and -EOVERFLOW */
	u16 out_size;
};

#define DXG_CREATEDEVICE_FLAGS						\
	(D3DKMT_CREATEDEVICE_FLAG_LEGACY_MODE |				\
	 D3DKMT_CREATEDEVICE_FLAG_REQUEST_VSYNC |			\
	 D3DKMT_CREATEDEVICE_FLAG_DISABLE_GPU_TIMEOUT |			\
	 D3DKMT_CREATEDEVICE_FLAG_GDI_DEVICE)

#define DXG_CREATECONTEXT_FLAGS						\
	(D3DDDI_CREATECONTEXT_FLAG_NULL_RENDERING |			\
	 D3DDDI_CREATECONTEXT_FLAG_INITIAL_DATA |			\
	 D3DDDI_CREATECONTEXT_FLAG_DISABLE_GPU_TIMEOUT |		\
	 D3DDDI_CREATECONTEXT_FLAG_SYNCHRONIZATION_ONLY |		\
	 D3DDDI_CREATECONTEXT_FLAG_HW_QUEUE_SUPPORTED)

#define DXG_ENUMADAPTERS_FILTERS					\
	(D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY | D3DKMT_ENUMADAPTERS_FILTER_DISPLAY_ONLY)

/* What the guest asserts about every adapter's type, whatever the host says (as WSL does). */
#define DXG_ADAPTERTYPE_CLEARED						\
	(D3DKMT_ADAPTERTYPE_DISPLAY_SUPPORTED |				\
	 D3DKMT_ADAPTERTYPE_POST_DEVICE |				\
	 D3DKMT_ADAPTERTYPE_INDIRECT_DISPLAY_DEVICE |			\
	 D3DKMT_ADAPTERTYPE_ACG_SUPPORTED |				\
	 D3DKMT_ADAPTERTYPE_SUPPORT_SET_TIMINGS_FROM_VIDPN)

/* ---- adapters ---- */

/*
 * The adapters of the current connection, optionally without the compute-only ones. *epoch is 0
 * (and *present 0) when no device is connected: enumeration then simply finds nothing.
 */
static int dxg_enum_present(struct dxg_ioctl_ctx *ctx, bool include_compute_only,
			    struct dxgw_adapter_desc *descs, u32 *present, u64 *epoch)
{
	u32 count = 0, i, kept = 0;
	int ret;

	*present = 0;
	*epoch = ctx->ch ? dxg_channel_epoch(ctx->ch) : 0;
	if (!*epoch)
		return 0;
	ret = dxg_process_enum_host_adapters(ctx->ch, *epoch, descs, &count);
	if (ret)
		return ret;
	for (i = 0; i < count; i++) {
		if (!include_compute_only &&
		    (le32_to_cpu(descs[i].flags) & DXGW_ADAPTER_COMPUTE_ONLY))
			continue;
		descs[kept++] = descs[i];
	}
	*present = kept;
	return 0;
}

/*
 * The common part of ENUMADAPTERS2/3 once the arguments are checked: count only, or open a new
 * handle for every present adapter (each call does, as in WSL) and fill the caller's array.
 */
static int dxg_enum_adapters(struct dxg_ioctl_ctx *ctx, bool include_compute_only,
			     bool count_only, u32 capacity, u64 user_array, u32 *count)
{
	struct d3dkmt_adapterinfo *info = NULL;
	struct dxgw_adapter_desc *descs;
	u32 present, opened = 0, i;
	u64 epoch;
	int ret;

	descs = kmalloc_array(DXGW_MAX_ADAPTERS, sizeof(*descs), GFP_KERNEL);
	if (!descs)
		return -ENOMEM;
	ret = dxg_enum_present(ctx, include_compute_only, descs, &present, &epoch);
	if (ret)
		goto out_free_descs;
	if (count_only) {
		*count = present;
		goto out_free_descs;
	}
	if (capacity < present) {
		/* The dispatcher copies the count back with -EOVERFLOW. */
		*count = present;
		ret = -EOVERFLOW;
		goto out_free_descs;
	}
	if (!present) {
		*count = 0;
		goto out_free_descs;
	}

	info = kvcalloc(present, sizeof(*info), GFP_KERNEL);
	if (!info) {
		ret = -ENOMEM;
		goto out_free_descs;
	}
	if (mutex_lock_killable(&ctx->proc->lock)) {
		ret = -EINTR;
		goto out_free_info;
	}
	for (opened = 0; opened < present; opened++) {
		ret = dxg_process_open_adapter_locked(ctx->proc, ctx->ch, epoch, &descs[opened],
						      &info[opened].adapter_handle.v);
		if (ret)
			goto err_close_opened;
		info[opened].adapter_luid.a = le32_to_cpu(descs[opened].luid_low);
		info[opened].adapter_luid.b = le32_to_cpu(descs[opened].luid_high);
	}
	mutex_unlock(&ctx->proc->lock);

	if (copy_to_user(u64_to_user_ptr(user_array), info,
			 array_size(present, sizeof(*info)))) {
		ret = -EFAULT;
		/* Killed: the handles stay in the table; the dying process's teardown frees it. */
		if (mutex_lock_killable(&ctx->proc->lock))
			goto out_free_info;
		goto err_close_opened;
	}
	*count = present;
	/* Kept for the undo hook, should the count fail to reach the caller. */
	ctx->scratch = info;
	goto out_free_descs;

err_close_opened:
	for (i = 0; i < opened; i++)
		dxg_process_close_adapter_locked(ctx->proc, ctx->ch, info[i].adapter_handle.v);
	mutex_unlock(&ctx->proc->lock);
out_free_info:
	kvfree(info);
out_free_descs:
	kfree(descs);
	return ret;
}

static void dxg_enum_adapters_undo(struct dxg_ioctl_ctx *ctx, u32 count)
{
	struct d3dkmt_adapterinfo *info = ctx->scratch;
	u32 i;

	for (i = 0; info && i < count; i++)
		dxg_process_close_adapter(ctx->proc, ctx->ch, info[i].adapter_handle.v);
}

/*
 * WSL's order of checks: a NULL array counts; a count that is too small gets -EOVERFLOW (with the
 * needed count written back, which WSL omits); more than D3DKMT_ADAPTERS_MAX is -EINVAL. WSL hides
 * compute-only adapters here; every opendxg adapter is compute-only, so they are listed.
 */
static int dxg_ioctl_enum_adapters2(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_enumadapters2 *args = data;

	if (args->adapters && args->num_adapters > D3DKMT_ADAPTERS_MAX)
		return -EINVAL;
	return dxg_enum_adapters(ctx, true, !args->adapters, args->num_adapters, args->adapters,
				 &args->num_adapters);
}

static void dxg_ioctl_enum_adapters2_undo(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_enumadapters2 *args = data;

	dxg_enum_adapters_undo(ctx, args->num_adapters);
}

/*
 * As the current WSL driver: compute-only adapters are listed only with the COMPUTE_ONLY filter
 * bit, DISPLAY_ONLY changes nothing (there are no display adapters). The count query counts what
 * the same filter would list.
 */
static int dxg_ioctl_enum_adapters3(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_enumadapters3 *args = data;
	bool count_only = !args->adapters || !args->adapter_count;

	if (args->filter & ~DXG_ENUMADAPTERS_FILTERS)
		return -EINVAL;
	if (!count_only && args->adapter_count > D3DKMT_ENUMADAPTERS3_MAX)
		return -EINVAL;
	return dxg_enum_adapters(ctx, args->filter & D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY,
				 count_only, args->adapter_count, args->adapters,
				 &args->adapter_count);
}

static void dxg_ioctl_enum_adapters3_undo(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_enumadapters3 *args = data;

	dxg_enum_adapters_undo(ctx, args->adapter_count);
}

static int dxg_ioctl_open_adapter_from_luid(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_openadapterfromluid *args = data;
	struct dxgw_adapter_desc *descs;
	u32 present, i;
	u64 epoch;
	int ret;

	descs = kmalloc_array(DXGW_MAX_ADAPTERS, sizeof(*descs), GFP_KERNEL);
	if (!descs)
		return -ENOMEM;
	ret = dxg_enum_present(ctx, true, descs, &present, &epoch);
	if (ret)
		goto out_free_descs;
	if (!epoch) {
		ret = -ENODEV;
		goto out_free_descs;
	}
	/* An unknown LUID is -EINVAL, as in WSL. */
	ret = -EINVAL;
	for (i = 0; i < present; i++) {
		if (le32_to_cpu(descs[i].luid_low) != args->adapter_luid.a ||
		    le32_to_cpu(descs[i].luid_high) != args->adapter_luid.b)
			continue;
		if (mutex_lock_killable(&ctx->proc->lock)) {
			ret = -EINTR;
			break;
		}
		ret = dxg_process_open_adapter_locked(ctx->proc, ctx->ch, epoch, &descs[i],
						      &args->adapter_handle.v);
		mutex_unlock(&ctx->proc->lock);
		break;
	}
out_free_descs:
	kfree(descs);
	return ret;
}

static void dxg_ioctl_open_adapter_from_luid_undo(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_openadapterfromluid *args = data;

	dxg_process_close_adapter(ctx->proc, ctx->ch, args->adapter_handle.v);
}

/* As in WSL, closing handle 0 is a no-op that succeeds (cleanup paths rely on it). */
static int dxg_ioctl_close_adapter(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_closeadapter *args = data;

	if (!args->adapter_handle.v)
		return 0;
	return dxg_process_close_adapter(ctx->proc, ctx->ch, args->adapter_handle.v);
}

/* WSL's view of every paravirtualized adapter, applied to the host's answer. */
static void dxg_fixup_adapter_type(void *data, const struct dxg_adapter_ref *ref)
{
	struct d3dkmt_adaptertype type;

	memcpy(&type, data, sizeof(type));
	type.value |= D3DKMT_ADAPTERTYPE_PARAVIRTUALIZED;
	type.value &= ~DXG_ADAPTERTYPE_CLEARED;
	if (ref->flags & DXGW_ADAPTER_COMPUTE_ONLY)
		type.value |= D3DKMT_ADAPTERTYPE_COMPUTE_ONLY;
	else
		type.value &= ~D3DKMT_ADAPTERTYPE_COMPUTE_ONLY;
	memcpy(data, &type, sizeof(type));
}

/*
 * The data is opaque to the guest (the host answers every type, opendxg's private ones
 * included) except for the adapter type, which the guest corrects as WSL does.
 */
static int dxg_ioctl_query_adapter_info(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_queryadapterinfo *args = data;
	u32 size = args->private_data_size;
	struct dxgw_query_adapter_info_reply *reply;
	struct dxgw_query_adapter_info_req *req;
	struct dxg_adapter_ref ref;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_QUERY_ADAPTER_INFO,
	};
	int ret;

	if (size == 0 || size > D3DKMT_MAX_PRIVATE_DATA_SIZE)
		return -EINVAL;
	ret = dxg_process_get_adapter(ctx->proc, ctx->ch, args->adapter.v, &ref, &a.process);
	if (ret)
		return ret;

	req = kvzalloc(sizeof(*req) + size, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	/* Some query types take input in the buffer. */
	if (copy_from_user(req + 1, u64_to_user_ptr(args->private_data), size)) {
		ret = -EFAULT;
		goto out_free_req;
	}
	req->adapter = cpu_to_le32(ref.host_adapter);
	req->type = cpu_to_le32(args->type);
	req->data_size = cpu_to_le32(size);

	reply = kvmalloc(sizeof(*reply) + size, GFP_KERNEL);
	if (!reply) {
		ret = -ENOMEM;
		goto out_free_req;
	}
	a.epoch = ref.epoch;
	a.req = req;
	a.req_len = sizeof(*req) + size;
	a.reply = reply;
	a.reply_max = sizeof(*reply) + size;
	ret = dxg_call(ctx->ch, &a);
	if (ret)
		goto out_free_reply;
	if (a.reply_len != sizeof(*reply) + size || le32_to_cpu(reply->data_size) != size) {
		ret = -EIO;
		goto out_free_reply;
	}

	if ((args->type == KMTQAITYPE_ADAPTERTYPE ||
	     args->type == KMTQAITYPE_ADAPTERTYPE_RENDER) &&
	    size >= sizeof(struct d3dkmt_adaptertype))
		dxg_fixup_adapter_type(reply + 1, &ref);

	if (copy_to_user(u64_to_user_ptr(args->private_data), reply + 1, size))
		ret = -EFAULT;
out_free_reply:
	kvfree(reply);
out_free_req:
	kvfree(req);
	return ret;
}

/* ---- devices and contexts: host handles, passed through; the host checks owner and type ---- */

/* A created handle: the host's answer, which is never 0. */
static int dxg_call_for_handle(struct dxg_channel *ch, struct dxg_call_args *a, u32 *handle)
{
	struct dxgw_handle_reply reply;
	int ret;

	a->reply = &reply;
	a->reply_max = sizeof(reply);
	ret = dxg_call(ch, a);
	if (ret)
		return ret;
	*handle = le32_to_cpu(reply.handle);
	return *handle ? 0 : -EIO;
}

/*
 * The host destroys the device with its contexts, hardware queues, sync objects, allocations and
 * paging queues: what the process mapped of them is revoked before the request (dxg_mem.c), and
 * brought back if the host refuses. Afterwards the eventfd waits on the device are signalled and
 * its CPU notifications dropped (dxg_fence.c): their slots may go to new objects.
 */
static int dxg_destroy_device(struct dxg_ioctl_ctx *ctx, u32 device)
{
	struct dxg_process *proc = ctx->proc;
	struct dxgw_destroy_req req = {
		.handle = cpu_to_le32(device),
	};
	struct dxg_call_args a = {
		.opcode = DXGW_OP_DESTROY_DEVICE,
		.req = &req,
		.req_len = sizeof(req),
	};
	bool gone;
	int ret;

	if (!device)
		return -EINVAL;
	if (mutex_lock_killable(&proc->lock))
		return -EINTR;
	ret = dxg_process_host_current_locked(proc, ctx->ch, &a.process, &a.epoch);
	if (ret)
		goto out_unlock;
	dxg_mem_revoke_locked(proc, DXG_REVOKE_DEVICE, &device, 1);
	ret = dxg_call(ctx->ch, &a);
	gone = !(ret < 0 && a.answered);
	dxg_mem_revoke_finish_locked(proc, gone, true);
	if (gone) {
		dxg_process_forget_device_locked(proc, device);
		dxg_fence_forget(ctx->ch, proc, DXG_FORGET_DEVICE, device);
	}
out_unlock:
	mutex_unlock(&proc->lock);
	return ret;
}

/*
 * The legacy outputs (command buffer, allocation and patch lists) belong to the WDDM 1.x model:
 * WSL ignores their input values and so does opendxg; they are not written back. The device's
 * adapter is recorded for the paging queues created on it (dxg_process.c).
 */
static int dxg_ioctl_create_device(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_createdevice *args = data;
	struct dxgw_create_device_req req = { 0 };
	struct dxg_adapter_ref ref;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_CREATE_DEVICE,
		.req = &req,
		.req_len = sizeof(req),
	};
	int ret;

	if (args->flags & ~DXG_CREATEDEVICE_FLAGS)
		return -EINVAL;
	ret = dxg_process_get_adapter(ctx->proc, ctx->ch, args->adapter.v, &ref, &a.process);
	if (ret)
		return ret;
	req.adapter = cpu_to_le32(ref.host_adapter);
	req.flags = cpu_to_le32(args->flags);
	a.epoch = ref.epoch;
	ret = dxg_call_for_handle(ctx->ch, &a, &args->device.v);
	if (ret)
		return ret;

	/* Killed meanwhile: the device is left to the process's teardown. */
	if (mutex_lock_killable(&ctx->proc->lock))
		return -EINTR;
	ret = dxg_process_add_device_locked(ctx->proc, ref.epoch, args->device.v,
					    ref.host_adapter);
	mutex_unlock(&ctx->proc->lock);
	if (ret && ret != -ENODEV)
		dxg_destroy_device(ctx, args->device.v);
	return ret;
}

static void dxg_ioctl_create_device_undo(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_createdevice *args = data;

	dxg_destroy_device(ctx, args->device.v);
}

static int dxg_ioctl_destroy_device(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_destroydevice *args = data;

	return dxg_destroy_device(ctx, args->device.v);
}

/*
 * The process records the context's device (dxg_process.c): hardware queues created on it map
 * their progress fences, which its device's destruction must take away.
 */
static int dxg_ioctl_create_context_virtual(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_createcontextvirtual *args = data;
	u32 size = args->priv_drv_data_size;
	struct dxgw_create_context_req *req;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_CREATE_CONTEXT_VIRTUAL,
	};
	int ret;

	if ((args->flags & ~DXG_CREATECONTEXT_FLAGS) ||
	    size > D3DKMT_MAX_PRIVATE_DATA_SIZE || !args->device.v)
		return -EINVAL;
	ret = dxg_process_host_current(ctx->proc, ctx->ch, &a.process, &a.epoch);
	if (ret)
		return ret;

	req = kvzalloc(sizeof(*req) + size, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	if (size && copy_from_user(req + 1, u64_to_user_ptr(args->priv_drv_data), size)) {
		ret = -EFAULT;
		goto out_free_req;
	}
	req->device = cpu_to_le32(args->device.v);
	req->node_ordinal = cpu_to_le32(args->node_ordinal);
	req->engine_affinity = cpu_to_le32(args->engine_affinity);
	req->flags = cpu_to_le32(args->flags);
	req->client_hint = cpu_to_le32(args->client_hint);
	req->priv_size = cpu_to_le32(size);
	a.req = req;
	a.req_len = sizeof(*req) + size;
	ret = dxg_call_for_handle(ctx->ch, &a, &args->context.v);
	if (ret)
		goto out_free_req;

	/* Killed meanwhile: the context is left to the process's teardown. */
	if (mutex_lock_killable(&ctx->proc->lock)) {
		ret = -EINTR;
		goto out_free_req;
	}
	ret = dxg_process_add_context_locked(ctx->proc, a.epoch, args->context.v,
					     args->device.v);
	mutex_unlock(&ctx->proc->lock);
	if (ret && ret != -ENODEV)
		dxg_destroy_context(ctx, args->context.v);
out_free_req:
	kvfree(req);
	return ret;
}

/**
 * dxg_destroy_context() - destroy a context and its hardware queues
 * @ctx: the ioctl's context
 * @context: the host's context handle
 *
 * The hardware queues' progress fence mappings are revoked before the request, and dropped (or
 * brought back, if the host refused) after it.
 *
 * Return: 0, or the errno of the host call (as DESTROYDEVICE for handle 0 and a stale process).
 */
int dxg_destroy_context(struct dxg_ioctl_ctx *ctx, u32 context)
{
	struct dxg_process *proc = ctx->proc;
	struct dxgw_destroy_req req = {
		.handle = cpu_to_le32(context),
	};
	struct dxg_call_args a = {
		.opcode = DXGW_OP_DESTROY_CONTEXT,
		.req = &req,
		.req_len = sizeof(req),
	};
	bool gone;
	int ret;

	/* Handle 0 is never issued; no need to ask the host. */
	if (!context)
		return -EINVAL;
	if (mutex_lock_killable(&proc->lock))
		return -EINTR;
	ret = dxg_process_host_current_locked(proc, ctx->ch, &a.process, &a.epoch);
	if (ret)
		goto out_unlock;
	dxg_mem_revoke_locked(proc, DXG_REVOKE_CONTEXT, &context, 1);
	ret = dxg_call(ctx->ch, &a);
	gone = !dxg_host_refused(ret, &a);
	if (gone)
		dxg_mem_forget_queue_fences_locked(proc, ctx->ch);
	dxg_mem_revoke_finish_locked(proc, gone, true);
	if (gone)
		dxg_process_forget_context_locked(proc, context);
out_unlock:
	mutex_unlock(&proc->lock);
	return ret;
}

static void dxg_ioctl_create_context_virtual_undo(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_createcontextvirtual *args = data;

	dxg_destroy_context(ctx, args->context.v);
}

static int dxg_ioctl_destroy_context(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_destroycontext *args = data;

	return dxg_destroy_context(ctx, args->context.v);
}

/* ---- the table ---- */

/* The argument struct must be exactly what the ioctl code says. */
#define DXG_CHECK_SIZE(code, type) BUILD_BUG_ON_ZERO(sizeof(type) != _IOC_SIZE(code))

/*
 * A request whose output is the field range first..last of its argument struct; commit_fn (or
 * NULL) runs once the outputs reached the caller.
 */
#define DXG_IOCTL_OUT_COMMIT(code, fn, undo_fn, commit_fn, type, first, last)	\
	[_IOC_NR(code)] = {							\
		.cmd = (code),							\
		.handler = (fn),						\
		.undo = (undo_fn),						\
		.commit = (commit_fn),						\
		.out_offset = offsetof(type, first) + DXG_CHECK_SIZE(code, type), \
		.out_size = offsetofend(type, last) - offsetof(type, first),	\
	}

#define DXG_IOCTL_OUT(code, fn, undo_fn, type, first, last)			\
	DXG_IOCTL_OUT_COMMIT(code, fn, undo_fn, NULL, type, first, last)

/* A request without outputs in its argument struct. */
#define DXG_IOCTL(code, fn, type)						\
	[_IOC_NR(code)] = {							\
		.cmd = (code) + DXG_CHECK_SIZE(code, type),			\
		.handler = (fn),						\
	}

static const struct dxg_ioctl_desc dxg_ioctls[LX_DXG_IOCTL_MAX + 1] = {
	DXG_IOCTL_OUT(LX_DXOPENADAPTERFROMLUID, dxg_ioctl_open_adapter_from_luid,
		      dxg_ioctl_open_adapter_from_luid_undo, struct d3dkmt_openadapterfromluid,
		      adapter_handle, adapter_handle),
	DXG_IOCTL_OUT(LX_DXCREATEDEVICE, dxg_ioctl_create_device, dxg_ioctl_create_device_undo,
		      struct d3dkmt_createdevice, device, device),
	DXG_IOCTL_OUT(LX_DXCREATECONTEXTVIRTUAL, dxg_ioctl_create_context_virtual,
		      dxg_ioctl_create_context_virtual_undo, struct d3dkmt_createcontextvirtual,
		      context, context),
	DXG_IOCTL(LX_DXDESTROYCONTEXT, dxg_ioctl_destroy_context, struct d3dkmt_destroycontext),
	DXG_IOCTL_OUT(LX_DXCREATEALLOCATION, dxg_ioctl_create_allocation,
		      dxg_ioctl_create_allocation_undo, struct d3dkmt_createallocation,
		      resource, global_share),
	DXG_IOCTL_OUT(LX_DXCREATEPAGINGQUEUE, dxg_ioctl_create_paging_queue,
		      dxg_ioctl_create_paging_queue_undo, struct d3dkmt_createpagingqueue,
		      paging_queue, fence_cpu_virtual_address),
	DXG_IOCTL_OUT(LX_DXRESERVEGPUVIRTUALADDRESS, dxg_ioctl_reserve_gpu_va,
		      dxg_ioctl_reserve_gpu_va_undo, struct d3dddi_reservegpuvirtualaddress,
		      virtual_address, paging_fence_value),
	DXG_IOCTL(LX_DXQUERYADAPTERINFO, dxg_ioctl_query_adapter_info,
		  struct d3dkmt_queryadapterinfo),
	DXG_IOCTL_OUT(LX_DXQUERYVIDEOMEMORYINFO, dxg_ioctl_query_video_memory_info, NULL,
		      struct d3dkmt_queryvideomemoryinfo, budget, available_for_reservation),
	DXG_IOCTL_OUT(LX_DXMAKERESIDENT, dxg_ioctl_make_resident, NULL,
		      struct d3dddi_makeresident, paging_fence_value, num_bytes_to_trim),
	DXG_IOCTL_OUT(LX_DXMAPGPUVIRTUALADDRESS, dxg_ioctl_map_gpu_va, NULL,
		      struct d3dddi_mapgpuvirtualaddress, virtual_address, paging_fence_value),
	DXG_IOCTL(LX_DXDESTROYALLOCATION2, dxg_ioctl_destroy_allocation2,
		  struct d3dkmt_destroyallocation2),
	DXG_IOCTL_OUT(LX_DXENUMADAPTERS2, dxg_ioctl_enum_adapters2, dxg_ioctl_enum_adapters2_undo,
		      struct d3dkmt_enumadapters2, num_adapters, num_adapters),
	DXG_IOCTL(LX_DXCLOSEADAPTER, dxg_ioctl_close_adapter, struct d3dkmt_closeadapter),
	DXG_IOCTL(LX_DXCHANGEVIDEOMEMORYRESERVATION, dxg_ioctl_change_video_memory_reservation,
		  struct d3dkmt_changevideomemoryreservation),
	DXG_IOCTL(LX_DXDESTROYDEVICE, dxg_ioctl_destroy_device, struct d3dkmt_destroydevice),
	DXG_IOCTL(LX_DXDESTROYPAGINGQUEUE, dxg_ioctl_destroy_paging_queue,
		  struct d3dddi_destroypagingqueue),
	DXG_IOCTL_OUT(LX_DXEVICT, dxg_ioctl_evict, NULL, struct d3dkmt_evict, num_bytes_to_trim,
		      num_bytes_to_trim),
	DXG_IOCTL(LX_DXFREEGPUVIRTUALADDRESS, dxg_ioctl_free_gpu_va,
		  struct d3dkmt_freegpuvirtualaddress),
	DXG_IOCTL_OUT(LX_DXLOCK2, dxg_ioctl_lock2, dxg_ioctl_lock2_undo, struct d3dkmt_lock2, data,
		      data),
	DXG_IOCTL(LX_DXOFFERALLOCATIONS, dxg_ioctl_offer_allocations,
		  struct d3dkmt_offerallocations),
	DXG_IOCTL(LX_DXQUERYALLOCATIONRESIDENCY, dxg_ioctl_query_allocation_residency,
		  struct d3dkmt_queryallocationresidency),
	DXG_IOCTL_OUT(LX_DXRECLAIMALLOCATIONS2, dxg_ioctl_reclaim_allocations2, NULL,
		      struct d3dkmt_reclaimallocations2, paging_fence_value, paging_fence_value),
	DXG_IOCTL(LX_DXSETALLOCATIONPRIORITY, dxg_ioctl_set_allocation_priority,
		  struct d3dkmt_setallocationpriority),
	DXG_IOCTL(LX_DXUNLOCK2, dxg_ioctl_unlock2, struct d3dkmt_unlock2),
	DXG_IOCTL_OUT(LX_DXUPDATEALLOCPROPERTY, dxg_ioctl_update_alloc_property, NULL,
		      struct d3dddi_updateallocproperty, paging_fence_value, paging_fence_value),
	DXG_IOCTL(LX_DXUPDATEGPUVIRTUALADDRESS, dxg_ioctl_update_gpu_va,
		  struct d3dkmt_updategpuvirtualaddress),
	DXG_IOCTL(LX_DXGETALLOCATIONPRIORITY, dxg_ioctl_get_allocation_priority,
		  struct d3dkmt_getallocationpriority),
	DXG_IOCTL_OUT(LX_DXENUMADAPTERS3, dxg_ioctl_enum_adapters3, dxg_ioctl_enum_adapters3_undo,
		      struct d3dkmt_enumadapters3, adapter_count, adapter_count),
	/* synchronization objects (dxg_ioctl_sync.c) */
	DXG_IOCTL_OUT(LX_DXCREATESYNCHRONIZATIONOBJECT, dxg_ioctl_create_sync_object,
		      dxg_ioctl_create_sync_object_undo, struct d3dkmt_createsynchronizationobject2,
		      info, sync_object),
	DXG_IOCTL(LX_DXDESTROYSYNCHRONIZATIONOBJECT, dxg_ioctl_destroy_sync_object,
		  struct d3dkmt_destroysynchronizationobject),
	DXG_IOCTL(LX_DXSIGNALSYNCHRONIZATIONOBJECT, dxg_ioctl_signal_sync_object,
		  struct d3dkmt_signalsynchronizationobject2),
	DXG_IOCTL(LX_DXWAITFORSYNCHRONIZATIONOBJECT, dxg_ioctl_wait_sync_object,
		  struct d3dkmt_waitforsynchronizationobject2),
	DXG_IOCTL(LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMCPU, dxg_ioctl_signal_sync_object_cpu,
		  struct d3dkmt_signalsynchronizationobjectfromcpu),
	DXG_IOCTL(LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMGPU, dxg_ioctl_signal_sync_object_gpu,
		  struct d3dkmt_signalsynchronizationobjectfromgpu),
	DXG_IOCTL(LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMGPU2, dxg_ioctl_signal_sync_object_gpu2,
		  struct d3dkmt_signalsynchronizationobjectfromgpu2),
	DXG_IOCTL(LX_DXWAITFORSYNCHRONIZATIONOBJECTFROMCPU, dxg_ioctl_wait_sync_object_cpu,
		  struct d3dkmt_waitforsynchronizationobjectfromcpu),
	DXG_IOCTL(LX_DXWAITFORSYNCHRONIZATIONOBJECTFROMGPU, dxg_ioctl_wait_sync_object_gpu,
		  struct d3dkmt_waitforsynchronizationobjectfromgpu),
	DXG_IOCTL(LX_DXSUBMITSIGNALSYNCOBJECTSTOHWQUEUE, dxg_ioctl_submit_signal_to_hwqueue,
		  struct d3dkmt_submitsignalsyncobjectstohwqueue),
	DXG_IOCTL(LX_DXSUBMITWAITFORSYNCOBJECTSTOHWQUEUE, dxg_ioctl_submit_wait_to_hwqueue,
		  struct d3dkmt_submitwaitforsyncobjectstohwqueue),
	/* execution (dxg_ioctl_exec.c) */
	DXG_IOCTL_OUT(LX_DXCREATEHWQUEUE, dxg_ioctl_create_hwqueue, dxg_ioctl_create_hwqueue_undo,
		      struct d3dkmt_createhwqueue, queue, queue_progress_fence_gpu_va),
	DXG_IOCTL(LX_DXDESTROYHWQUEUE, dxg_ioctl_destroy_hwqueue, struct d3dkmt_destroyhwqueue),
	DXG_IOCTL(LX_DXSUBMITCOMMAND, dxg_ioctl_submit_command, struct d3dkmt_submitcommand),
	DXG_IOCTL(LX_DXSUBMITCOMMANDTOHWQUEUE, dxg_ioctl_submit_command_to_hwqueue,
		  struct d3dkmt_submitcommandtohwqueue),
	DXG_IOCTL(LX_DXSETCONTEXTSCHEDULINGPRIORITY, dxg_ioctl_set_context_priority,
		  struct d3dkmt_setcontextschedulingpriority),
	DXG_IOCTL(LX_DXSETCONTEXTINPROCESSSCHEDULINGPRIORITY,
		  dxg_ioctl_set_context_inprocess_priority,
		  struct d3dkmt_setcontextinprocessschedulingpriority),
	DXG_IOCTL_OUT(LX_DXGETCONTEXTSCHEDULINGPRIORITY, dxg_ioctl_get_context_priority, NULL,
		      struct d3dkmt_getcontextschedulingpriority, priority, priority),
	DXG_IOCTL_OUT(LX_DXGETCONTEXTINPROCESSSCHEDULINGPRIORITY,
		      dxg_ioctl_get_context_inprocess_priority, NULL,
		      struct d3dkmt_getcontextinprocessschedulingpriority, priority, priority),
	DXG_IOCTL_OUT(LX_DXGETDEVICESTATE, dxg_ioctl_get_device_state, NULL,
		      struct d3dkmt_getdevicestate, state_type, state_reserved),
	DXG_IOCTL(LX_DXMARKDEVICEASERROR, dxg_ioctl_mark_device_as_error,
		  struct d3dkmt_markdeviceaserror),
	DXG_IOCTL_OUT(LX_DXQUERYCLOCKCALIBRATION, dxg_ioctl_query_clock_calibration, NULL,
		      struct d3dkmt_queryclockcalibration, clock_data, clock_data),
	DXG_IOCTL(LX_DXESCAPE, dxg_ioctl_escape, struct d3dkmt_escape),
	DXG_IOCTL(LX_DXSHAREOBJECTS, dxg_ioctl_share_objects, struct d3dkmt_shareobjects),
	DXG_IOCTL_OUT(LX_DXOPENSYNCOBJECTFROMNTHANDLE2, dxg_ioctl_open_sync_object_nt,
		      dxg_ioctl_open_sync_object_nt_undo, struct d3dkmt_opensyncobjectfromnthandle2,
		      sync_object, monitored_fence),
	DXG_IOCTL_OUT(LX_DXQUERYRESOURCEINFOFROMNTHANDLE, dxg_ioctl_query_resource_info_nt, NULL,
		      struct d3dkmt_queryresourceinfofromnthandle, private_runtime_data_size,
		      allocation_count),
	DXG_IOCTL_OUT(LX_DXOPENRESOURCEFROMNTHANDLE, dxg_ioctl_open_resource_nt,
		      dxg_ioctl_open_resource_nt_undo, struct d3dkmt_openresourcefromnthandle,
		      total_priv_drv_data_size, resource),
	DXG_IOCTL_OUT_COMMIT(LX_DXCREATESYNCFILE, dxg_ioctl_create_sync_file,
			     dxg_ioctl_create_sync_file_undo, dxg_ioctl_create_sync_file_commit,
			     struct d3dkmt_createsyncfile, sync_file_handle, sync_file_handle),
	DXG_IOCTL(LX_DXWAITSYNCFILE, dxg_ioctl_wait_sync_file, struct d3dkmt_waitsyncfile),
	DXG_IOCTL_OUT(LX_DXOPENSYNCOBJECTFROMSYNCFILE, dxg_ioctl_open_sync_object_sync_file,
		      dxg_ioctl_open_sync_object_sync_file_undo,
		      struct d3dkmt_opensyncobjectfromsyncfile, syncobj, fence_value_gpu_va),
	DXG_IOCTL(LX_DXFLUSHHEAPTRANSITIONS, dxg_ioctl_flush_heap_transitions,
		  struct d3dkmt_flushheaptransitions),
	DXG_IOCTL(LX_DXINVALIDATECACHE, dxg_ioctl_invalidate_cache, struct d3dkmt_invalidatecache),
	DXG_IOCTL_OUT(LX_DXQUERYSTATISTICS, dxg_ioctl_query_statistics, NULL,
		      struct d3dkmt_querystatistics, type, query),
	DXG_IOCTL(LX_DXSHAREOBJECTWITHHOST, dxg_ioctl_share_object_with_host,
		  struct d3dkmt_shareobjectwithhost),
	DXG_IOCTL_OUT(LX_DXENUMPROCESSES, dxg_ioctl_enum_processes, NULL,
		      struct d3dkmt_enumprocesses, buffer_count, buffer_count),
	DXG_IOCTL_OUT(LX_DXISFEATUREENABLED, dxg_ioctl_is_feature_enabled, NULL,
		      struct d3dkmt_isfeatureenabled, result, result),
};

/* Arguments up to this size live on the stack; larger ones (up to 464 bytes) are allocated. */
#define DXG_STACK_ARGS 128

/**
 * dxg_ioctl() - the one entry point for every /dev/dxg request
 * @file: an open /dev/dxg
 * @cmd: the full 32-bit request code
 * @arg: the user address of the argument struct
 *
 * Return: the handler's result; -ENOTTY for an unknown or empty slot, a code whose size, direction
 * or type differs from the table, or a caller outside the thread group that opened @file; -EFAULT
 * when the argument cannot be copied in, or its outputs cannot be copied out.
 */
long dxg_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct dxg_ioctl_ctx ctx = {
		.proc = file->private_data,
		.uarg = (void __user *)arg,
	};
	void __user *uarg = (void __user *)arg;
	u64 stack_args[DXG_STACK_ARGS / sizeof(u64)];
	const struct dxg_ioctl_desc *desc;
	unsigned int nr = _IOC_NR(cmd);
	unsigned int size;
	void *args;
	long ret;

	if (_IOC_TYPE(cmd) != LX_DXG_IOCTL_TYPE || nr >= ARRAY_SIZE(dxg_ioctls))
		return -ENOTTY;
	nr = array_index_nospec(nr, ARRAY_SIZE(dxg_ioctls));
	desc = &dxg_ioctls[nr];
	if (!desc->handler || desc->cmd != cmd)
		return -ENOTTY;
	/* WSL: a descriptor inherited across fork() is not the child's. */
	if (!dxg_process_is_current(ctx.proc))
		return -ENOTTY;

	size = _IOC_SIZE(cmd);
	args = size <= sizeof(stack_args) ? stack_args : kmalloc(size, GFP_KERNEL);
	if (!args)
		return -ENOMEM;
	if (copy_from_user(args, uarg, size)) {
		ret = -EFAULT;
		goto out_free_args;
	}

	/* Only PCI probe/remove write-lock it, briefly; still, a killed caller need not wait. */
	if (down_read_killable(&dxg_global.channel_rwsem)) {
		ret = -EINTR;
		goto out_free_args;
	}
	ctx.ch = dxg_global.channel;
	ret = desc->handler(&ctx, args);
	if ((ret >= 0 || ret == -EOVERFLOW) && desc->out_size &&
	    copy_to_user(uarg + desc->out_offset, (u8 *)args + desc->out_offset,
			 desc->out_size)) {
		if (ret >= 0 && desc->undo)
			desc->undo(&ctx, args);
		ret = -EFAULT;
	} else if (ret >= 0 && desc->commit) {
		desc->commit(&ctx, args);
	}
	up_read(&dxg_global.channel_rwsem);
	kvfree(ctx.scratch);

out_free_args:
	if (args != stack_args)
		kfree(args);
	return ret;
}
