// SPDX-License-Identifier: GPL-2.0
/*
 * The memory ioctls: allocations and resources, CPU mappings (LOCK2), residency, priorities,
 * offer/reclaim, paging queues and GPU virtual addresses. Their table lines are in dxg_ioctl.c.
 *
 * Each handler gets the dispatcher's kernel copy of its argument, checks it fully (known flag
 * bits, counts within WSL's limits, sizes, handles nonzero, exactly-one-of rules), copies the
 * arrays it points to once, builds the wire request (include/opendxg/wire.h, "0x04xx memory")
 * and calls the host. A request that does not fit the channel's largest message is the caller's
 * too-large argument: -EINVAL. Adapter handles are the process's local ones (translated to the
 * host adapter); every other handle is the host's, passed through, and the host checks type and
 * owner. Fields named reserved* are padding of the Windows layouts and are never read (see
 * dxg_ioctl.c).
 *
 * Destructions that free pages a process may have mapped (DESTROYALLOCATION2, DESTROYPAGINGQUEUE,
 * and DESTROYDEVICE in dxg_ioctl.c) hold the process lock from the revocation of those mappings
 * to the end of the host call (dxg_mem.c), so no LOCK2 of the same process can map them again in
 * between. LOCK2 and UNLOCK2 hold it across their host call too, which keeps the host's lock
 * count and the guest's views in step.
 */
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/overflow.h>

#include <misc/d3dkmthk.h>
#include <misc/opendxg.h>

#include "dxg.h"

#define DXG_ALLOCATIONINFO_FLAGS					\
	(D3DDDI_ALLOCATIONINFO_FLAG_PRIMARY |				\
	 D3DDDI_ALLOCATIONINFO_FLAG_STEREO |				\
	 D3DDDI_ALLOCATIONINFO_FLAG_OVERRIDE_PRIORITY)

/* Display allocations: opendxg adapters have no display. */
#define DXG_ALLOCATIONINFO_DISPLAY					\
	(D3DDDI_ALLOCATIONINFO_FLAG_PRIMARY | D3DDDI_ALLOCATIONINFO_FLAG_STEREO)

#define DXG_CREATE_SHARED_NEEDS						\
	(D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE |			\
	 D3DKMT_CREATEALLOCATION_FLAG_NT_SECURITY_SHARING)

#define DXG_DESTROYALLOCATION2_FLAGS					\
	(D3DDDICB_DESTROYALLOCATION2_FLAG_ASSUME_NOT_IN_USE |		\
	 D3DDDICB_DESTROYALLOCATION2_FLAG_SYNCHRONOUS_DESTROY |		\
	 D3DDDICB_DESTROYALLOCATION2_FLAG_SYSTEM_USE_ONLY)

#define DXG_OFFER_FLAGS							\
	(D3DKMT_OFFER_FLAG_OFFER_IMMEDIATELY | D3DKMT_OFFER_FLAG_ALLOW_DECOMMIT)

#define DXG_MAKERESIDENT_FLAGS						\
	(D3DDDI_MAKERESIDENT_FLAG_CANT_TRIM_FURTHER | D3DDDI_MAKERESIDENT_FLAG_MUST_SUCCEED)

#define DXG_EVICT_FLAGS							\
	(D3DDDI_EVICT_FLAG_EVICT_ONLY_IF_NECESSARY | D3DDDI_EVICT_FLAG_NOT_WRITTEN_TO)

#define DXG_UPDATEALLOCPROPERTY_MASK					\
	(D3DDDI_UPDATEALLOCPROPERTY_SET_ACCESSED_PHYSICALLY |		\
	 D3DDDI_UPDATEALLOCPROPERTY_SET_SUPPORTED_SEGMENT_SET |		\
	 D3DDDI_UPDATEALLOCPROPERTY_SET_PREFERRED_SEGMENT)

#define DXG_GPUVA_PROTECTION						\
	(D3DDDIGPUVA_PROTECTION_WRITE | D3DDDIGPUVA_PROTECTION_EXECUTE |	\
	 D3DDDIGPUVA_PROTECTION_ZERO | D3DDDIGPUVA_PROTECTION_NO_ACCESS |	\
	 D3DDDIGPUVA_PROTECTION_SYSTEM_USE_ONLY)

/* ---- helpers (also used by dxg_ioctl_sync.c and dxg_ioctl_exec.c) ---- */

/* Bytes of a u32 list on the wire: zero padded to a multiple of 8. */
size_t dxg_list_size(u32 count)
{
	return ALIGN((size_t)count * sizeof(u32), 8);
}

/*
 * Copies @count u32s (handles: each nonzero) from user memory once. Return: the array (kvfree()
 * it), or ERR_PTR(-EFAULT, -EINVAL for a 0 handle, -ENOMEM).
 */
u32 *dxg_copy_u32s(u64 user, u32 count, bool handles)
{
	u32 *values;
	u32 i;

	values = kvmalloc_array(count, sizeof(*values), GFP_KERNEL);
	if (!values)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(values, u64_to_user_ptr(user), array_size(count, sizeof(*values)))) {
		kvfree(values);
		return ERR_PTR(-EFAULT);
	}
	for (i = 0; handles && i < count; i++) {
		if (!values[i]) {
			kvfree(values);
			return ERR_PTR(-EINVAL);
		}
	}
	return values;
}

/* Copies @count u64s from user memory once. Return: as dxg_copy_u32s() (no -EINVAL). */
u64 *dxg_copy_u64s(u64 user, u32 count)
{
	u64 *values;

	values = kvmalloc_array(count, sizeof(*values), GFP_KERNEL);
	if (!values)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(values, u64_to_user_ptr(user), array_size(count, sizeof(*values)))) {
		kvfree(values);
		return ERR_PTR(-EFAULT);
	}
	return values;
}

/* Writes a u32 list in wire format; the padding is already zero (kvzalloc()). */
void dxg_put_list(void *dst, const u32 *values, u32 count)
{
	__le32 *out = dst;
	u32 i;

	for (i = 0; i < count; i++)
		out[i] = cpu_to_le32(values[i]);
}

/* Writes u64 values in wire format. */
void dxg_put_u64s(void *dst, const u64 *values, u32 count)
{
	__le64 *out = dst;
	u32 i;

	for (i = 0; i < count; i++)
		out[i] = cpu_to_le64(values[i]);
}

/* Reads a wire u32 list, as dxg_put_list() wrote it. */
static void dxg_get_list(u32 *dst, const void *src, u32 count)
{
	const __le32 *in = src;
	u32 i;

	for (i = 0; i < count; i++)
		dst[i] = le32_to_cpu(in[i]);
}

/* A request larger than the channel's largest message is the caller's too-large argument. */
int dxg_mem_call(struct dxg_channel *ch, struct dxg_call_args *a)
{
	int ret = dxg_call(ch, a);

	return ret == -EMSGSIZE ? -EINVAL : ret;
}

/* The host refused the request: it then changed nothing (every request is all or nothing). */
bool dxg_host_refused(int ret, const struct dxg_call_args *a)
{
	return ret < 0 && a->answered;
}

/* A reply body shorter than its fixed part is a broken host. */
int dxg_reply_check(int ret, const struct dxg_call_args *a, u32 need)
{
	if (ret >= 0 && a->reply_len < need)
		return -EIO;
	return ret;
}

/*
 * Copies the values of a struct dxgw_values_reply (QUERY_RESIDENCY, GET_PRIORITY) to user memory.
 * Called with a reply of at least sizeof(*reply) + dxg_list_size(count) bytes.
 */
static int dxg_values_to_user(const struct dxgw_values_reply *reply, u32 reply_len, u32 count,
			      u64 user)
{
	u32 *values;
	int ret = 0;

	if (le32_to_cpu(reply->count) != count ||
	    reply_len < sizeof(*reply) + count * sizeof(u32))
		return -EIO;
	values = kvmalloc_array(count, sizeof(*values), GFP_KERNEL);
	if (!values)
		return -ENOMEM;
	dxg_get_list(values, reply + 1, count);
	if (copy_to_user(u64_to_user_ptr(user), values, array_size(count, sizeof(*values))))
		ret = -EFAULT;
	kvfree(values);
	return ret;
}

/* ---- allocations ---- */

/* One allocation's KMD private data (struct opendxg_alloc_priv), checked. */
struct dxg_alloc_kmd {
	u32 kind;
	u32 priority;
	u64 size;
	u32 code_size;			/* PROGRAM: SPIR-V bytes after the header; else 0 */
	u64 code;			/* user address of the SPIR-V */
};

static int dxg_parse_alloc_info(const struct d3dddi_allocationinfo2 *info,
				struct dxg_alloc_kmd *kmd)
{
	struct opendxg_alloc_priv priv;
	u32 size = info->priv_drv_data_size;

	/* Existing system memory: the host cannot reach guest pages. Display: no display. */
	if (info->sysmem || (info->flags & ~DXG_ALLOCATIONINFO_FLAGS) ||
	    (info->flags & DXG_ALLOCATIONINFO_DISPLAY))
		return -EINVAL;
	if (size < sizeof(priv))
		return -EINVAL;
	if (copy_from_user(&priv, u64_to_user_ptr(info->priv_drv_data), sizeof(priv)))
		return -EFAULT;
	/* Version 1 is the only one known: its header is exactly the struct. */
	if (priv.version != OPENDXG_ALLOC_PRIV_VERSION || priv.header_size != sizeof(priv) ||
	    priv.flags || priv.reserved || !priv.size)
		return -EINVAL;

	kmd->kind = priv.kind;
	kmd->size = priv.size;
	kmd->priority = info->flags & D3DDDI_ALLOCATIONINFO_FLAG_OVERRIDE_PRIORITY ?
			info->priority : 0;
	kmd->code_size = 0;
	kmd->code = 0;
	switch (priv.kind) {
	case OPENDXG_ALLOC_KIND_HOST_VISIBLE:
	case OPENDXG_ALLOC_KIND_DEVICE_LOCAL:
		return size == priv.header_size ? 0 : -EINVAL;
	case OPENDXG_ALLOC_KIND_PROGRAM:
		if (priv.size > DXGW_MAX_ALLOC_PRIV || priv.size % sizeof(u32) ||
		    size != priv.header_size + priv.size)
			return -EINVAL;
		kmd->code_size = priv.size;
		kmd->code = info->priv_drv_data + priv.header_size;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * Destroys a resource (@count 0) or standalone allocations of a device. What the process mapped of
 * them is revoked before the request and dropped after it, or brought back if the host refused.
 * Also used by OPENRESOURCEFROMNTHANDLE (dxg_ioctl_share.c) to undo an opened resource.
 */
int dxg_destroy_allocations(struct dxg_ioctl_ctx *ctx, u32 device, u32 resource,
			    const u32 *handles, u32 count, u32 flags)
{
	struct dxg_process *proc = ctx->proc;
	struct dxgw_destroy_allocation_req *req;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_DESTROY_ALLOCATION,
	};
	int ret;

	a.req_len = sizeof(*req) + dxg_list_size(count);
	req = kvzalloc(a.req_len, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	req->device = cpu_to_le32(device);
	req->resource = cpu_to_le32(resource);
	req->alloc_count = cpu_to_le32(count);
	req->flags = cpu_to_le32(flags);
	dxg_put_list(req + 1, handles, count);
	a.req = req;

	if (mutex_lock_killable(&proc->lock)) {
		ret = -EINTR;
		goto out_free_req;
	}
	ret = dxg_process_host_current_locked(proc, ctx->ch, &a.process, &a.epoch);
	if (ret)
		goto out_unlock;
	if (count)
		dxg_mem_revoke_locked(proc, DXG_REVOKE_ALLOCATIONS, handles, count);
	else
		dxg_mem_revoke_locked(proc, DXG_REVOKE_RESOURCE, &resource, 1);
	ret = dxg_mem_call(ctx->ch, &a);
	dxg_mem_revoke_finish_locked(proc, !dxg_host_refused(ret, &a), true);
out_unlock:
	mutex_unlock(&proc->lock);
out_free_req:
	kvfree(req);
	return ret;
}

/* Builds the CREATE_ALLOCATION body; the KMD data of @info is checked into @kmd first. */
static int dxg_build_create_allocation(const struct d3dkmt_createallocation *args,
				       const struct d3dddi_allocationinfo2 *info,
				       struct dxg_alloc_kmd *kmd, void **body, u32 *body_len)
{
	u32 count = args->alloc_count, runtime_size = args->private_runtime_data_size;
	struct dxgw_create_allocation_req *req;
	struct dxgw_alloc_desc *desc;
	u64 private_total = runtime_size;
	size_t len, code_total = 0;
	u8 *code;
	u32 i;
	int ret;

	for (i = 0; i < count; i++) {
		ret = dxg_parse_alloc_info(&info[i], &kmd[i]);
		if (ret)
			return ret;
		/* Runtime data and every allocation's KMD data together, as WSL bounds them. */
		private_total += info[i].priv_drv_data_size;
		if (private_total > DXGW_MAX_ALLOC_PRIV)
			return -EINVAL;
		code_total += ALIGN(kmd[i].code_size, 8);
	}

	len = sizeof(*req) + ALIGN(runtime_size, 8) + count * sizeof(*desc) + code_total;
	/* Beyond any message: the channel would refuse it anyway. */
	if (len > DXGW_MAX_BODY)
		return -EINVAL;
	req = kvzalloc(len, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	req->device = cpu_to_le32(args->device.v);
	req->resource = cpu_to_le32(args->resource.v);
	req->flags = cpu_to_le32(args->flags);
	req->alloc_count = cpu_to_le32(count);
	req->runtime_data_size = cpu_to_le32(runtime_size);
	if (runtime_size && copy_from_user(req + 1, u64_to_user_ptr(args->private_runtime_data),
					   runtime_size)) {
		ret = -EFAULT;
		goto err_free_req;
	}
	desc = (struct dxgw_alloc_desc *)((u8 *)(req + 1) + ALIGN(runtime_size, 8));
	code = (u8 *)(desc + count);
	for (i = 0; i < count; i++) {
		desc[i].kind = cpu_to_le32(kmd[i].kind);
		desc[i].size = cpu_to_le64(kmd[i].size);
		desc[i].priority = cpu_to_le32(kmd[i].priority);
		desc[i].code_size = cpu_to_le32(kmd[i].code_size);
		if (!kmd[i].code_size)
			continue;
		if (copy_from_user(code, u64_to_user_ptr(kmd[i].code), kmd[i].code_size)) {
			ret = -EFAULT;
			goto err_free_req;
		}
		code += ALIGN(kmd[i].code_size, 8);
	}
	*body = req;
	*body_len = len;
	return 0;

err_free_req:
	kvfree(req);
	return ret;
}

/*
 * Checks the reply and collects the new handles. The resource is the new one (CREATE_RESOURCE),
 * the one joined, or 0 for standalone allocations.
 */
static int dxg_create_allocation_result(const struct d3dkmt_createallocation *args,
					const struct dxgw_create_allocation_reply *reply,
					u32 reply_len, u32 *handles, u32 *resource)
{
	const struct dxgw_alloc_result *result = (const void *)(reply + 1);
	u32 count = args->alloc_count, i;

	if (reply_len < sizeof(*reply) + count * sizeof(*result) ||
	    le32_to_cpu(reply->alloc_count) != count)
		return -EIO;
	*resource = le32_to_cpu(reply->resource);
	if (args->flags & D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE ?
	    !*resource : *resource != args->resource.v)
		return -EIO;
	for (i = 0; i < count; i++) {
		handles[i] = le32_to_cpu(result[i].allocation);
		if (!handles[i])
			return -EIO;
	}
	return 0;
}

/*
 * Undoes a creation whose outputs did not reach the caller. Allocations that joined an existing
 * resource cannot be destroyed alone (the wire destroys a resource's allocations only with it):
 * they stay with their resource.
 */
static void dxg_create_allocation_revert(struct dxg_ioctl_ctx *ctx,
					 const struct d3dkmt_createallocation *args,
					 u32 resource, const u32 *handles)
{
	if (args->flags & D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE)
		dxg_destroy_allocations(ctx, args->device.v, resource, NULL, 0, 0);
	else if (!resource)
		dxg_destroy_allocations(ctx, args->device.v, 0, handles, args->alloc_count, 0);
}

/*
 * The handles go into each allocation_info[i].allocation of the caller's array; resource and
 * global_share (always 0: sharing goes through NT handles) are the dispatcher's outputs. opendxg
 * defines no resource-level KMD data, so priv_drv_data_size must be 0.
 */
int dxg_ioctl_create_allocation(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_createallocation *args = data;
	struct d3dddi_allocationinfo2 __user *uinfo = u64_to_user_ptr(args->allocation_info);
	u32 count = args->alloc_count, flags = args->flags, resource;
	struct dxgw_create_allocation_reply *reply = NULL;
	struct d3dddi_allocationinfo2 *info;
	struct dxg_alloc_kmd *kmd = NULL;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_CREATE_ALLOCATION,
	};
	void *req = NULL;
	u32 *handles = NULL;
	u32 i;
	int ret;

	if (!args->device.v || !count || count > D3DKMT_CREATEALLOCATION_MAX ||
	    (flags & ~DXGW_CREATE_ALLOCATION_FLAGS) || args->priv_drv_data_size ||
	    args->private_runtime_data_size > DXGW_MAX_ALLOC_PRIV)
		return -EINVAL;
	if ((flags & D3DKMT_CREATEALLOCATION_FLAG_CREATE_SHARED) &&
	    (flags & DXG_CREATE_SHARED_NEEDS) != DXG_CREATE_SHARED_NEEDS)
		return -EINVAL;
	/* A new resource starts from nothing; only a new resource keeps runtime data. */
	if (flags & D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE ? args->resource.v :
	    args->private_runtime_data_size)
		return -EINVAL;

	info = kvmalloc_array(count, sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	if (copy_from_user(info, uinfo, array_size(count, sizeof(*info)))) {
		ret = -EFAULT;
		goto out_free;
	}
	kmd = kvmalloc_array(count, sizeof(*kmd), GFP_KERNEL);
	handles = kvmalloc_array(count, sizeof(*handles), GFP_KERNEL);
	a.reply_max = sizeof(*reply) + count * sizeof(struct dxgw_alloc_result);
	reply = kvmalloc(a.reply_max, GFP_KERNEL);
	if (!kmd || !handles || !reply) {
		ret = -ENOMEM;
		goto out_free;
	}
	ret = dxg_build_create_allocation(args, info, kmd, &req, &a.req_len);
	if (ret)
		goto out_free;
	a.req = req;
	a.reply = reply;

	ret = dxg_process_host_current(ctx->proc, ctx->ch, &a.process, &a.epoch);
	if (ret)
		goto out_free;
	ret = dxg_mem_call(ctx->ch, &a);
	if (ret)
		goto out_free;
	ret = dxg_create_allocation_result(args, reply, a.reply_len, handles, &resource);
	if (ret)
		goto out_free;

	for (i = 0; i < count; i++) {
		if (put_user(handles[i], &uinfo[i].allocation.v)) {
			dxg_create_allocation_revert(ctx, args, resource, handles);
			ret = -EFAULT;
			goto out_free;
		}
	}
	args->resource.v = resource;
	args->global_share.v = 0;
	/* For the undo hook, should resource not reach the caller. */
	ctx->scratch = handles;
	handles = NULL;

out_free:
	kvfree(handles);
	kvfree(reply);
	kvfree(req);
	kvfree(kmd);
	kvfree(info);
	return ret;
}

void dxg_ioctl_create_allocation_undo(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_createallocation *args = data;

	dxg_create_allocation_revert(ctx, args, args->resource.v, ctx->scratch);
}

/* Exactly one of a resource (all its allocations) and a list of standalone allocations. */
int dxg_ioctl_destroy_allocation2(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_destroyallocation2 *args = data;
	u32 count = args->alloc_count;
	u32 *handles = NULL;
	int ret;

	if (!args->device.v || (args->flags & ~DXG_DESTROYALLOCATION2_FLAGS) ||
	    !args->resource.v == !count || count > D3DKMT_CREATEALLOCATION_MAX)
		return -EINVAL;
	if (count) {
		handles = dxg_copy_u32s(args->allocations, count, true);
		if (IS_ERR(handles))
			return PTR_ERR(handles);
	}
	ret = dxg_destroy_allocations(ctx, args->device.v, args->resource.v, handles, count,
				      args->flags);
	kvfree(handles);
	return ret;
}

/* ---- CPU mappings ---- */

static int dxg_unlock_allocation(struct dxg_ioctl_ctx *ctx, u32 device, u32 allocation)
{
	struct dxg_process *proc = ctx->proc;
	struct dxgw_lock_req req = {
		.device = cpu_to_le32(device),
		.allocation = cpu_to_le32(allocation),
	};
	struct dxg_call_args a = {
		.opcode = DXGW_OP_UNLOCK,
		.req = &req,
		.req_len = sizeof(req),
	};
	int ret;

	if (mutex_lock_killable(&proc->lock))
		return -EINTR;
	ret = dxg_process_host_current_locked(proc, ctx->ch, &a.process, &a.epoch);
	if (!ret)
		ret = dxg_call(ctx->ch, &a);
	if (!ret)
		dxg_mem_unlock_locked(proc, allocation);
	mutex_unlock(&proc->lock);
	return ret;
}

/*
 * One host LOCK per call (the host counts them, and so does the view). The first lock maps the
 * allocation's heap pages write-back cached into the caller; later ones return the same address.
 * An allocation the process opened from a share without WRITE access is mapped read-only (the
 * host says so with DXGW_LOCK_READ_ONLY): a store through the address is a SIGSEGV.
 */
int dxg_ioctl_lock2(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_lock2 *args = data;
	struct dxg_process *proc = ctx->proc;
	struct dxgw_lock_req req = {
		.device = cpu_to_le32(args->device.v),
		.allocation = cpu_to_le32(args->allocation.v),
	};
	struct dxgw_lock_reply reply;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_LOCK,
		.req = &req,
		.req_len = sizeof(req),
		.reply = &reply,
		.reply_max = sizeof(reply),
	};
	struct dxg_mem_grant grant;
	int ret;

	if (!args->device.v || !args->allocation.v || args->flags)
		return -EINVAL;
	if (mutex_lock_killable(&proc->lock))
		return -EINTR;
	ret = dxg_process_host_current_locked(proc, ctx->ch, &a.process, &a.epoch);
	if (ret)
		goto out_unlock;
	ret = dxg_call(ctx->ch, &a);
	if (ret)
		goto out_unlock;
	/* Protocol 1.2 hosts answer without flags; the missing tail reads as zero. */
	if (a.reply_len < offsetof(struct dxgw_lock_reply, flags)) {
		ret = -EIO;
		goto err_host_unlock;
	}

	grant = (struct dxg_mem_grant) {
		.epoch = a.epoch,
		.handle = args->allocation.v,
		.device = args->device.v,
		.resource = le32_to_cpu(reply.resource),
		.offset = le64_to_cpu(reply.region_offset),
		.size = le64_to_cpu(reply.size),
		/* An allocation opened from a share without WRITE access (a 24-byte reply: 0). */
		.read_only = le32_to_cpu(reply.flags) & DXGW_LOCK_READ_ONLY,
	};
	/*
	 * The adapter decides which CLOSEADAPTER revokes the mapping: take the one the process
	 * created the device on, and insist that the host agrees.
	 */
	ret = dxg_process_device_adapter_locked(proc, grant.device, &grant.adapter);
	if (ret || grant.adapter != le32_to_cpu(reply.adapter)) {
		ret = -EIO;
		goto err_host_unlock;
	}
	ret = dxg_mem_lock_locked(proc, ctx->ch, &grant, &args->data);
	if (ret)
		goto err_host_unlock;
	mutex_unlock(&proc->lock);
	return 0;

err_host_unlock:
	/* Not mapped: the host's count must not keep this lock. */
	a.opcode = DXGW_OP_UNLOCK;
	a.reply = NULL;
	a.reply_max = 0;
	dxg_call(ctx->ch, &a);
out_unlock:
	mutex_unlock(&proc->lock);
	return ret;
}

void dxg_ioctl_lock2_undo(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_lock2 *args = data;

	dxg_unlock_allocation(ctx, args->device.v, args->allocation.v);
}

/* The last unlock unmaps the allocation from the caller (if the VMA is still there). */
int dxg_ioctl_unlock2(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_unlock2 *args = data;

	if (!args->device.v || !args->allocation.v)
		return -EINVAL;
	return dxg_unlock_allocation(ctx, args->device.v, args->allocation.v);
}

/* ---- video memory ---- */

static int dxg_video_memory_call(struct dxg_ioctl_ctx *ctx, u16 opcode, u64 process, u32 adapter,
				 u32 segment_group, u32 physical_adapter_index, u64 reservation,
				 struct dxgw_video_memory_reply *reply)
{
	struct dxgw_video_memory_req req = {
		.segment_group = cpu_to_le32(segment_group),
		.reservation = cpu_to_le64(reservation),
	};
	struct dxg_call_args a = {
		.opcode = opcode,
		.req = &req,
		.req_len = sizeof(req),
		.reply = reply,
		.reply_max = reply ? sizeof(*reply) : 0,
	};
	struct dxg_adapter_ref ref;
	int ret;

	/* Only the calling process (WSL); an opendxg adapter is one physical adapter. */
	if (process || physical_adapter_index ||
	    segment_group > D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL)
		return -EINVAL;
	ret = dxg_process_get_adapter(ctx->proc, ctx->ch, adapter, &ref, &a.process);
	if (ret)
		return ret;
	req.adapter = cpu_to_le32(ref.host_adapter);
	a.epoch = ref.epoch;
	return dxg_reply_check(dxg_call(ctx->ch, &a), &a, a.reply_max);
}

int dxg_ioctl_query_video_memory_info(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_queryvideomemoryinfo *args = data;
	struct dxgw_video_memory_reply reply;
	int ret;

	ret = dxg_video_memory_call(ctx, DXGW_OP_QUERY_VIDEO_MEMORY, args->process,
				    args->adapter.v, args->memory_segment_group,
				    args->physical_adapter_index, 0, &reply);
	if (ret)
		return ret;
	args->budget = le64_to_cpu(reply.budget);
	args->current_usage = le64_to_cpu(reply.current_usage);
	args->current_reservation = le64_to_cpu(reply.current_reservation);
	args->available_for_reservation = le64_to_cpu(reply.available_for_reservation);
	return 0;
}

int dxg_ioctl_change_video_memory_reservation(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_changevideomemoryreservation *args = data;

	return dxg_video_memory_call(ctx, DXGW_OP_CHANGE_RESERVATION, args->process,
				     args->adapter.v, args->memory_segment_group,
				     args->physical_adapter_index, args->reservation, NULL);
}

/* ---- residency status and priorities ---- */

/*
 * QUERY_RESIDENCY, SET_PRIORITY and GET_PRIORITY: exactly one of a resource (one value for all of
 * it) and a list of allocations (one value each). SET sends the caller's values; the others
 * answer them into the caller's array.
 */
static int dxg_alloc_list_call(struct dxg_ioctl_ctx *ctx, u16 opcode, u32 device, u32 resource,
			       u64 user_handles, u32 count, u64 user_values)
{
	bool set = opcode == DXGW_OP_SET_PRIORITY;
	u32 values_count = count ? count : 1;
	struct dxgw_alloc_list_req *req;
	struct dxgw_values_reply *reply = NULL;
	struct dxg_call_args a = {
		.opcode = opcode,
	};
	u32 *handles = NULL, *values = NULL;
	int ret;

	if (!device || !resource == !count || count > D3DKMT_MAKERESIDENT_ALLOC_MAX)
		return -EINVAL;
	if (count) {
		handles = dxg_copy_u32s(user_handles, count, true);
		if (IS_ERR(handles))
			return PTR_ERR(handles);
	}
	if (set) {
		values = dxg_copy_u32s(user_values, values_count, false);
		if (IS_ERR(values)) {
			ret = PTR_ERR(values);
			values = NULL;
			goto out_free;
		}
	}

	a.req_len = sizeof(*req) + dxg_list_size(count) + (set ? dxg_list_size(values_count) : 0);
	req = kvzalloc(a.req_len, GFP_KERNEL);
	if (!req) {
		ret = -ENOMEM;
		goto out_free;
	}
	req->device = cpu_to_le32(device);
	req->resource = cpu_to_le32(resource);
	req->count = cpu_to_le32(count);
	dxg_put_list(req + 1, handles, count);
	if (set)
		dxg_put_list((u8 *)(req + 1) + dxg_list_size(count), values, values_count);
	a.req = req;
	if (!set) {
		a.reply_max = sizeof(*reply) + dxg_list_size(values_count);
		reply = kvmalloc(a.reply_max, GFP_KERNEL);
		if (!reply) {
			ret = -ENOMEM;
			goto out_free_req;
		}
		a.reply = reply;
	}

	ret = dxg_process_host_current(ctx->proc, ctx->ch, &a.process, &a.epoch);
	if (!ret)
		ret = dxg_reply_check(dxg_mem_call(ctx->ch, &a), &a, a.reply_max);
	if (!ret && !set)
		ret = dxg_values_to_user(reply, a.reply_len, values_count, user_values);
	kvfree(reply);
out_free_req:
	kvfree(req);
out_free:
	kvfree(values);
	kvfree(handles);
	return ret;
}

int dxg_ioctl_query_allocation_residency(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_queryallocationresidency *args = data;

	return dxg_alloc_list_call(ctx, DXGW_OP_QUERY_RESIDENCY, args->device.v, args->resource.v,
				   args->allocations, args->allocation_count,
				   args->residency_status);
}

int dxg_ioctl_set_allocation_priority(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_setallocationpriority *args = data;

	return dxg_alloc_list_call(ctx, DXGW_OP_SET_PRIORITY, args->device.v, args->resource.v,
				   args->allocation_list, args->allocation_count,
				   args->priorities);
}

int dxg_ioctl_get_allocation_priority(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_getallocationpriority *args = data;

	return dxg_alloc_list_call(ctx, DXGW_OP_GET_PRIORITY, args->device.v, args->resource.v,
				   args->allocation_list, args->allocation_count,
				   args->priorities);
}

/* ---- offer and reclaim ---- */

/*
 * The handle list of OFFER and RECLAIM: exactly one of resources and allocations, 1..10240 of
 * them. *@resources says which.
 */
static u32 *dxg_copy_offer_list(u64 resources, u64 allocations, u32 count, u32 *is_resources)
{
	if ((!resources == !allocations) || !count || count > D3DKMT_MAKERESIDENT_ALLOC_MAX)
		return ERR_PTR(-EINVAL);
	*is_resources = !!resources;
	return dxg_copy_u32s(resources ? resources : allocations, count, true);
}

int dxg_ioctl_offer_allocations(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_offerallocations *args = data;
	u32 count = args->allocation_count, is_resources;
	struct dxgw_offer_req *req;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_OFFER,
	};
	u32 *handles;
	int ret;

	if (!args->device.v || (args->flags & ~DXG_OFFER_FLAGS) ||
	    args->priority < D3DKMT_OFFER_PRIORITY_LOW ||
	    args->priority > D3DKMT_OFFER_PRIORITY_AUTO)
		return -EINVAL;
	handles = dxg_copy_offer_list(args->resources, args->allocations, count, &is_resources);
	if (IS_ERR(handles))
		return PTR_ERR(handles);
	a.req_len = sizeof(*req) + dxg_list_size(count);
	req = kvzalloc(a.req_len, GFP_KERNEL);
	if (!req) {
		ret = -ENOMEM;
		goto out_free_handles;
	}
	req->device = cpu_to_le32(args->device.v);
	req->count = cpu_to_le32(count);
	req->priority = cpu_to_le32(args->priority);
	req->flags = cpu_to_le32(args->flags);
	req->resources = cpu_to_le32(is_resources);
	dxg_put_list(req + 1, handles, count);
	a.req = req;

	ret = dxg_process_host_current(ctx->proc, ctx->ch, &a.process, &a.epoch);
	if (!ret)
		ret = dxg_mem_call(ctx->ch, &a);
	kvfree(req);
out_free_handles:
	kvfree(handles);
	return ret;
}

/*
 * May return DXG_STATUS_PENDING: wait for the paging queue's fence to reach paging_fence_value.
 * The per-handle results are written only if the caller passed an array for them.
 */
int dxg_ioctl_reclaim_allocations2(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_reclaimallocations2 *args = data;
	u32 count = args->allocation_count, is_resources;
	struct dxgw_reclaim_reply *reply = NULL;
	struct dxgw_reclaim_req *req = NULL;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_RECLAIM,
	};
	u32 *handles;
	int ret, status;

	if (!args->paging_queue.v)
		return -EINVAL;
	handles = dxg_copy_offer_list(args->resources, args->allocations, count, &is_resources);
	if (IS_ERR(handles))
		return PTR_ERR(handles);
	a.req_len = sizeof(*req) + dxg_list_size(count);
	req = kvzalloc(a.req_len, GFP_KERNEL);
	a.reply_max = sizeof(*reply) + dxg_list_size(count);
	reply = kvmalloc(a.reply_max, GFP_KERNEL);
	if (!req || !reply) {
		ret = -ENOMEM;
		goto out_free;
	}
	req->paging_queue = cpu_to_le32(args->paging_queue.v);
	req->count = cpu_to_le32(count);
	req->resources = cpu_to_le32(is_resources);
	dxg_put_list(req + 1, handles, count);
	a.req = req;
	a.reply = reply;

	ret = dxg_process_host_current(ctx->proc, ctx->ch, &a.process, &a.epoch);
	if (ret)
		goto out_free;
	status = dxg_reply_check(dxg_mem_call(ctx->ch, &a), &a, sizeof(*reply));
	if (status < 0) {
		ret = status;
		goto out_free;
	}
	args->paging_fence_value = le64_to_cpu(reply->paging_fence_value);
	if (le32_to_cpu(reply->count) != count ||
	    a.reply_len < sizeof(*reply) + count * sizeof(u32)) {
		ret = -EIO;
		goto out_free;
	}
	dxg_get_list(handles, reply + 1, count);
	if (args->results &&
	    copy_to_user(u64_to_user_ptr(args->results), handles, count * sizeof(u32))) {
		ret = -EFAULT;
		goto out_free;
	}
	ret = status;
out_free:
	kvfree(reply);
	kvfree(req);
	kvfree(handles);
	return ret;
}

int dxg_ioctl_update_alloc_property(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dddi_updateallocproperty *args = data;
	struct dxgw_update_alloc_property_req req = {
		.paging_queue = cpu_to_le32(args->paging_queue.v),
		.allocation = cpu_to_le32(args->allocation.v),
		.supported_segment_set = cpu_to_le32(args->supported_segment_set),
		.preferred_segment = cpu_to_le32(args->preferred_segment),
		.flags = cpu_to_le32(args->flags),
		.property_mask = cpu_to_le32(args->property_mask),
	};
	struct dxgw_paging_reply reply;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_UPDATE_ALLOC_PROPERTY,
		.req = &req,
		.req_len = sizeof(req),
		.reply = &reply,
		.reply_max = sizeof(reply),
	};
	int ret;

	if (!args->paging_queue.v || !args->allocation.v ||
	    (args->flags & ~D3DDDI_UPDATEALLOCPROPERTY_FLAG_ACCESSED_PHYSICALLY) ||
	    !args->property_mask || (args->property_mask & ~DXG_UPDATEALLOCPROPERTY_MASK))
		return -EINVAL;
	ret = dxg_process_host_current(ctx->proc, ctx->ch, &a.process, &a.epoch);
	if (ret)
		return ret;
	ret = dxg_reply_check(dxg_call(ctx->ch, &a), &a, sizeof(reply));
	if (ret)
		return ret;
	args->paging_fence_value = le64_to_cpu(reply.paging_fence_value);
	return 0;
}

/* ---- paging queues and residency ---- */

/**
 * dxg_destroy_queue() - destroy a paging queue or a hardware queue on the host
 * @ctx: the ioctl's context
 * @opcode: DXGW_OP_DESTROY_PAGING_QUEUE or DXGW_OP_DESTROY_HW_QUEUE
 * @queue: the queue's handle
 *
 * The queue's fence mapping goes before the queue (and its fence slot) does; once the host
 * destroyed it, eventfd waits on its fence end (dxg_mem_forget_queue_fences_locked()).
 *
 * Return: 0, -EINVAL for handle 0, -EINTR, or the errno of the host call.
 */
int dxg_destroy_queue(struct dxg_ioctl_ctx *ctx, u16 opcode, u32 queue)
{
	struct dxg_process *proc = ctx->proc;
	struct dxgw_destroy_req req = {
		.handle = cpu_to_le32(queue),
	};
	struct dxg_call_args a = {
		.opcode = opcode,
		.req = &req,
		.req_len = sizeof(req),
	};
	int ret;

	if (!queue)
		return -EINVAL;
	if (mutex_lock_killable(&proc->lock))
		return -EINTR;
	ret = dxg_process_host_current_locked(proc, ctx->ch, &a.process, &a.epoch);
	if (!ret) {
		bool gone;

		dxg_mem_revoke_locked(proc, DXG_REVOKE_FENCE, &queue, 1);
		ret = dxg_call(ctx->ch, &a);
		gone = !dxg_host_refused(ret, &a);
		if (gone)
			dxg_mem_forget_queue_fences_locked(proc, ctx->ch);
		dxg_mem_revoke_finish_locked(proc, gone, true);
	}
	mutex_unlock(&proc->lock);
	return ret;
}

/*
 * The queue's paging fence is mapped read-only into the caller: fence_cpu_virtual_address points
 * at its u64 in the mapped fence page.
 */
int dxg_ioctl_create_paging_queue(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_createpagingqueue *args = data;
	struct dxg_process *proc = ctx->proc;
	struct dxgw_create_paging_queue_req req = {
		.device = cpu_to_le32(args->device.v),
		.priority = cpu_to_le32((u32)args->priority),
	};
	struct dxgw_create_paging_queue_reply reply;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_CREATE_PAGING_QUEUE,
		.req = &req,
		.req_len = sizeof(req),
		.reply = &reply,
		.reply_max = sizeof(reply),
	};
	struct dxg_mem_grant grant = {
		.device = args->device.v,
	};
	struct dxgw_destroy_req destroy = { 0 };
	int ret;

	if (!args->device.v || args->priority < D3DDDI_PAGINGQUEUE_PRIORITY_BELOW_NORMAL ||
	    args->priority > D3DDDI_PAGINGQUEUE_PRIORITY_ABOVE_NORMAL ||
	    args->physical_adapter_index)
		return -EINVAL;
	if (mutex_lock_killable(&proc->lock))
		return -EINTR;
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
	grant.handle = le32_to_cpu(reply.paging_queue);
	grant.fence_object = le32_to_cpu(reply.sync_object);
	if (!grant.handle || !grant.fence_object) {
		ret = -EIO;
		goto err_destroy;
	}
	ret = dxg_mem_map_fence_locked(proc, ctx->ch, &grant, le64_to_cpu(reply.fence_offset),
				       &args->fence_cpu_virtual_address);
	if (ret)
		goto err_destroy;
	args->paging_queue.v = grant.handle;
	args->sync_object.v = le32_to_cpu(reply.sync_object);
	mutex_unlock(&proc->lock);
	return 0;

err_destroy:
	if (grant.handle) {
		destroy.handle = cpu_to_le32(grant.handle);
		a.opcode = DXGW_OP_DESTROY_PAGING_QUEUE;
		a.req = &destroy;
		a.req_len = sizeof(destroy);
		a.reply = NULL;
		a.reply_max = 0;
		dxg_call(ctx->ch, &a);
	}
out_unlock:
	mutex_unlock(&proc->lock);
	return ret;
}

void dxg_ioctl_create_paging_queue_undo(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_createpagingqueue *args = data;

	dxg_destroy_queue(ctx, DXGW_OP_DESTROY_PAGING_QUEUE, args->paging_queue.v);
}

int dxg_ioctl_destroy_paging_queue(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dddi_destroypagingqueue *args = data;

	return dxg_destroy_queue(ctx, DXGW_OP_DESTROY_PAGING_QUEUE, args->paging_queue.v);
}

/*
 * May return DXG_STATUS_PENDING: an evicted allocation's contents are being restored; wait for
 * the paging queue's fence to reach paging_fence_value. The priority list is optional.
 */
int dxg_ioctl_make_resident(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dddi_makeresident *args = data;
	u32 count = args->alloc_count;
	struct dxgw_make_resident_req *req;
	struct dxgw_residency_reply reply;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_MAKE_RESIDENT,
		.reply = &reply,
		.reply_max = sizeof(reply),
	};
	u32 *handles, *priorities = NULL;
	int ret;

	if (!args->paging_queue.v || !count || count > D3DKMT_MAKERESIDENT_ALLOC_MAX ||
	    (args->flags & ~DXG_MAKERESIDENT_FLAGS))
		return -EINVAL;
	handles = dxg_copy_u32s(args->allocation_list, count, true);
	if (IS_ERR(handles))
		return PTR_ERR(handles);
	if (args->priority_list) {
		priorities = dxg_copy_u32s(args->priority_list, count, false);
		if (IS_ERR(priorities)) {
			ret = PTR_ERR(priorities);
			priorities = NULL;
			goto out_free;
		}
	}
	a.req_len = sizeof(*req) + dxg_list_size(count) * (priorities ? 2 : 1);
	req = kvzalloc(a.req_len, GFP_KERNEL);
	if (!req) {
		ret = -ENOMEM;
		goto out_free;
	}
	req->paging_queue = cpu_to_le32(args->paging_queue.v);
	req->count = cpu_to_le32(count);
	req->flags = cpu_to_le32(args->flags);
	req->has_priorities = cpu_to_le32(!!priorities);
	dxg_put_list(req + 1, handles, count);
	if (priorities)
		dxg_put_list((u8 *)(req + 1) + dxg_list_size(count), priorities, count);
	a.req = req;

	ret = dxg_process_host_current(ctx->proc, ctx->ch, &a.process, &a.epoch);
	if (!ret)
		ret = dxg_reply_check(dxg_mem_call(ctx->ch, &a), &a, sizeof(reply));
	if (ret >= 0) {
		args->paging_fence_value = le64_to_cpu(reply.paging_fence_value);
		args->num_bytes_to_trim = le64_to_cpu(reply.num_bytes_to_trim);
	}
	kvfree(req);
out_free:
	kvfree(priorities);
	kvfree(handles);
	return ret;
}

int dxg_ioctl_evict(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_evict *args = data;
	u32 count = args->alloc_count;
	struct dxgw_evict_req *req;
	struct dxgw_residency_reply reply;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_EVICT,
		.reply = &reply,
		.reply_max = sizeof(reply),
	};
	u32 *handles;
	int ret;

	if (!args->device.v || !count || count > D3DKMT_MAKERESIDENT_ALLOC_MAX ||
	    (args->flags & ~DXG_EVICT_FLAGS))
		return -EINVAL;
	handles = dxg_copy_u32s(args->allocations, count, true);
	if (IS_ERR(handles))
		return PTR_ERR(handles);
	a.req_len = sizeof(*req) + dxg_list_size(count);
	req = kvzalloc(a.req_len, GFP_KERNEL);
	if (!req) {
		ret = -ENOMEM;
		goto out_free_handles;
	}
	req->device = cpu_to_le32(args->device.v);
	req->count = cpu_to_le32(count);
	req->flags = cpu_to_le32(args->flags);
	dxg_put_list(req + 1, handles, count);
	a.req = req;

	ret = dxg_process_host_current(ctx->proc, ctx->ch, &a.process, &a.epoch);
	if (!ret)
		ret = dxg_reply_check(dxg_mem_call(ctx->ch, &a), &a, sizeof(reply));
	if (!ret)
		args->num_bytes_to_trim = le64_to_cpu(reply.num_bytes_to_trim);
	kvfree(req);
out_free_handles:
	kvfree(handles);
	return ret;
}

/* ---- GPU virtual addresses ---- */

/*
 * As on Windows the handle names an adapter or a paging queue: one of the process's adapter
 * handles is translated to the host adapter, anything else goes to the host as a paging queue.
 */
int dxg_ioctl_reserve_gpu_va(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dddi_reservegpuvirtualaddress *args = data;
	struct dxgw_reserve_gpu_va_req req = {
		.base_address = cpu_to_le64(args->base_address),
		.minimum_address = cpu_to_le64(args->minimum_address),
		.maximum_address = cpu_to_le64(args->maximum_address),
		.size = cpu_to_le64(args->size),
		.reservation_type = cpu_to_le32(args->reservation_type),
		.driver_protection = cpu_to_le64(args->driver_protection),
	};
	struct dxgw_gpu_va_reply reply;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_RESERVE_GPU_VA,
		.req = &req,
		.req_len = sizeof(req),
		.reply = &reply,
		.reply_max = sizeof(reply),
	};
	struct dxg_adapter_ref ref;
	int ret;

	if (!args->adapter.v || !args->size ||
	    args->reservation_type > D3DDDIGPUVA_RESERVE_NO_COMMIT)
		return -EINVAL;
	ret = dxg_process_get_adapter(ctx->proc, ctx->ch, args->adapter.v, &ref, &a.process);
	if (!ret) {
		req.adapter = cpu_to_le32(ref.host_adapter);
		a.epoch = ref.epoch;
	} else if (ret == -EINVAL) {
		req.paging_queue = cpu_to_le32(args->adapter.v);
		ret = dxg_process_host_current(ctx->proc, ctx->ch, &a.process, &a.epoch);
	}
	if (ret)
		return ret;
	ret = dxg_reply_check(dxg_call(ctx->ch, &a), &a, sizeof(reply));
	if (ret)
		return ret;
	args->virtual_address = le64_to_cpu(reply.virtual_address);
	args->paging_fence_value = le64_to_cpu(reply.paging_fence_value);
	return 0;
}

static int dxg_free_gpu_va(struct dxg_ioctl_ctx *ctx, u32 adapter, u64 base, u64 size)
{
	struct dxgw_free_gpu_va_req req = {
		.base_address = cpu_to_le64(base),
		.size = cpu_to_le64(size),
	};
	struct dxg_call_args a = {
		.opcode = DXGW_OP_FREE_GPU_VA,
		.req = &req,
		.req_len = sizeof(req),
	};
	struct dxg_adapter_ref ref;
	int ret;

	if (!adapter || !size)
		return -EINVAL;
	ret = dxg_process_get_adapter(ctx->proc, ctx->ch, adapter, &ref, &a.process);
	if (ret)
		return ret;
	req.adapter = cpu_to_le32(ref.host_adapter);
	a.epoch = ref.epoch;
	return dxg_call(ctx->ch, &a);
}

/*
 * A reservation named by a paging queue cannot be freed again: FREE_GPU_VA takes an adapter, and
 * the guest does not know the queue's. It stays until the process or the device goes.
 */
void dxg_ioctl_reserve_gpu_va_undo(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dddi_reservegpuvirtualaddress *args = data;

	dxg_free_gpu_va(ctx, args->adapter.v, args->virtual_address, args->size);
}

/*
 * No undo: a mapping the caller did not hear of is only ever in its own address space, and the
 * wire has no way to take one mapping back by queue.
 */
int dxg_ioctl_map_gpu_va(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dddi_mapgpuvirtualaddress *args = data;
	struct dxgw_map_gpu_va_req req = {
		.paging_queue = cpu_to_le32(args->paging_queue.v),
		.allocation = cpu_to_le32(args->allocation.v),
		.base_address = cpu_to_le64(args->base_address),
		.minimum_address = cpu_to_le64(args->minimum_address),
		.maximum_address = cpu_to_le64(args->maximum_address),
		.offset_in_pages = cpu_to_le64(args->offset_in_pages),
		.size_in_pages = cpu_to_le64(args->size_in_pages),
		.protection = cpu_to_le64(args->protection),
		.driver_protection = cpu_to_le64(args->driver_protection),
	};
	struct dxgw_gpu_va_reply reply;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_MAP_GPU_VA,
		.req = &req,
		.req_len = sizeof(req),
		.reply = &reply,
		.reply_max = sizeof(reply),
	};
	int ret;

	if (!args->paging_queue.v || !args->allocation.v || !args->size_in_pages ||
	    (args->protection & ~DXG_GPUVA_PROTECTION))
		return -EINVAL;
	ret = dxg_process_host_current(ctx->proc, ctx->ch, &a.process, &a.epoch);
	if (ret)
		return ret;
	ret = dxg_reply_check(dxg_call(ctx->ch, &a), &a, sizeof(reply));
	if (ret)
		return ret;
	args->virtual_address = le64_to_cpu(reply.virtual_address);
	args->paging_fence_value = le64_to_cpu(reply.paging_fence_value);
	return 0;
}

int dxg_ioctl_free_gpu_va(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_freegpuvirtualaddress *args = data;

	return dxg_free_gpu_va(ctx, args->adapter.v, args->base_address, args->size);
}

/* One operation in wire format; fields an operation does not use stay zero. */
static int dxg_put_gpu_va_op(struct dxgw_gpu_va_op *w,
			     const struct d3dddi_updategpuvirtualaddress_operation *op)
{
	w->operation = cpu_to_le32(op->operation);
	switch (op->operation) {
	case D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP:
		if (!op->map.allocation.v)
			return -EINVAL;
		w->base_address = cpu_to_le64(op->map.base_address);
		w->size = cpu_to_le64(op->map.size);
		w->allocation = cpu_to_le32(op->map.allocation.v);
		w->allocation_offset = cpu_to_le64(op->map.allocation_offset);
		return 0;
	case D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP_PROTECT:
		if (!op->map_protect.allocation.v ||
		    (op->map_protect.protection & ~DXG_GPUVA_PROTECTION))
			return -EINVAL;
		w->base_address = cpu_to_le64(op->map_protect.base_address);
		w->size = cpu_to_le64(op->map_protect.size);
		w->allocation = cpu_to_le32(op->map_protect.allocation.v);
		w->allocation_offset = cpu_to_le64(op->map_protect.allocation_offset);
		w->protection = cpu_to_le64(op->map_protect.protection);
		w->driver_protection = cpu_to_le64(op->map_protect.driver_protection);
		return 0;
	case D3DDDI_UPDATEGPUVIRTUALADDRESS_UNMAP:
		if (op->unmap.protection & ~DXG_GPUVA_PROTECTION)
			return -EINVAL;
		w->base_address = cpu_to_le64(op->unmap.base_address);
		w->size = cpu_to_le64(op->unmap.size);
		w->protection = cpu_to_le64(op->unmap.protection);
		return 0;
	case D3DDDI_UPDATEGPUVIRTUALADDRESS_COPY:
		w->base_address = cpu_to_le64(op->copy.source_address);
		w->size = cpu_to_le64(op->copy.size);
		w->dest_address = cpu_to_le64(op->copy.dest_address);
		return 0;
	default:
		return -EINVAL;
	}
}

int dxg_ioctl_update_gpu_va(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_updategpuvirtualaddress *args = data;
	struct d3dddi_updategpuvirtualaddress_operation *ops;
	u32 count = args->num_operations, i;
	struct dxgw_update_gpu_va_req *req = NULL;
	struct dxgw_gpu_va_op *wops;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_UPDATE_GPU_VA,
	};
	int ret;

	if (!args->device.v || !args->context.v || !count ||
	    count > D3DKMT_UPDATEGPUVA_MAX_OPERATIONS ||
	    (args->flags & ~D3DKMT_UPDATEGPUVIRTUALADDRESS_FLAG_DO_NOT_WAIT))
		return -EINVAL;
	ops = kvmalloc_array(count, sizeof(*ops), GFP_KERNEL);
	if (!ops)
		return -ENOMEM;
	if (copy_from_user(ops, u64_to_user_ptr(args->operations),
			   array_size(count, sizeof(*ops)))) {
		ret = -EFAULT;
		goto out_free;
	}
	a.req_len = sizeof(*req) + count * sizeof(*wops);
	req = kvzalloc(a.req_len, GFP_KERNEL);
	if (!req) {
		ret = -ENOMEM;
		goto out_free;
	}
	req->device = cpu_to_le32(args->device.v);
	req->context = cpu_to_le32(args->context.v);
	req->fence_object = cpu_to_le32(args->fence_object.v);
	req->num_operations = cpu_to_le32(count);
	req->fence_value = cpu_to_le64(args->fence_value);
	req->flags = cpu_to_le32(args->flags);
	wops = (struct dxgw_gpu_va_op *)(req + 1);
	for (i = 0; i < count; i++) {
		ret = dxg_put_gpu_va_op(&wops[i], &ops[i]);
		if (ret)
			goto out_free;
	}
	a.req = req;

	ret = dxg_process_host_current(ctx->proc, ctx->ch, &a.process, &a.epoch);
	if (!ret)
		ret = dxg_mem_call(ctx->ch, &a);
out_free:
	kvfree(req);
	kvfree(ops);
	return ret;
}
