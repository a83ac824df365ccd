// SPDX-License-Identifier: GPL-2.0
/*
 * Sharing between processes of the VM, the WSL way: SHAREOBJECTS turns a sync object or resource
 * handle into a file descriptor (WSL's "NT handle"), and OPENSYNCOBJECTFROMNTHANDLE2,
 * QUERYRESOURCEINFOFROMNTHANDLE and OPENRESOURCEFROMNTHANDLE give the process that holds such a
 * descriptor handles of its own on the object. Their table lines are in dxg_ioctl.c.
 *
 * A descriptor is an anonymous-inode file ("dxgsyncobj" or "dxgresource", as in WSL) whose private
 * data is a struct dxg_share: the host's share id (include/opendxg/wire.h, "0x07xx"), what it
 * names, the access rights it grants and the connection it belongs to. Nothing in it refers to
 * the process that made it: a descriptor is passed over unix sockets, inherited, and closed
 * wherever and whenever its last reference goes, possibly after its creator exited. Each
 * descriptor holds one host reference on the share (one SHARE_OBJECT each) and its release drops
 * it (CLOSE_SHARE, VM scope), unless the connection changed meanwhile: a restarted worker forgot
 * the share, and the descriptor is then only good for -ENODEV.
 *
 * The share id never leaves the kernel, so only a process that was given the descriptor can name
 * the share. The host enforces the access rights; the guest only carries them from the descriptor
 * to the open request.
 *
 * Access rights: WSL ignores desired_access. opendxg honours it without breaking WSL callers
 * (which pass 0 or GENERIC_ALL: everything); see dxg_share_access().
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <misc/d3dkmthk.h>
#include <misc/opendxg.h>

#include "dxg.h"

/* Windows access mask bits SHAREOBJECTS may be given (winnt.h, d3dkmthk.h values). */
#define DXG_GENERIC_READ 0x80000000u
#define DXG_GENERIC_WRITE 0x40000000u
#define DXG_GENERIC_EXECUTE 0x20000000u
#define DXG_GENERIC_ALL 0x10000000u
#define DXG_SYNCHRONIZE 0x00100000u
#define DXG_STANDARD_RIGHTS 0x000f0000u
#define DXG_SHARED_SYNC_QUERY_STATE 0x00000001u
#define DXG_SHARED_SYNC_MODIFY_STATE 0x00000002u

/* Bits that grant nothing beyond what the others grant, but are not errors. */
#define DXG_ACCESS_NEUTRAL (DXG_STANDARD_RIGHTS | DXG_GENERIC_EXECUTE | DXG_GENERIC_ALL)
#define DXG_ACCESS_SYNC_BITS						\
	(DXG_ACCESS_NEUTRAL | DXG_SYNCHRONIZE | DXG_SHARED_SYNC_QUERY_STATE |	\
	 DXG_SHARED_SYNC_MODIFY_STATE | DXG_GENERIC_READ | DXG_GENERIC_WRITE)
#define DXG_ACCESS_RESOURCE_BITS (DXG_ACCESS_NEUTRAL | DXG_GENERIC_READ | DXG_GENERIC_WRITE)

/* What a share descriptor holds; immutable once the file exists. */
struct dxg_share {
	u64 share_id;
	u64 epoch;			/* the connection that knows share_id */
	u32 kind;			/* DXGW_SHARE_KIND_* */
	u32 access;			/* DXGW_ACCESS_* granted to whoever opens it */
	u32 sync_type;			/* sync objects: D3DDDI_*; resources: 0 */
};

/**
 * dxg_close_share_on() - drop one host reference on a share
 * @ch: the channel, or NULL (nothing is sent)
 * @share_id: the share
 * @epoch: the connection it was made in
 *
 * VM scope: the process that made the share may be gone. Nothing is sent when the connection
 * changed (the host forgot the share). Inside an ioctl (channel_rwsem already held for reading;
 * taking it again could deadlock behind a waiting writer).
 *
 * Return: 0, or the errno of the host call (-ENODEV for a stale @epoch).
 */
int dxg_close_share_on(struct dxg_channel *ch, u64 share_id, u64 epoch)
{
	struct dxgw_close_share_req req = {
		.share_id = cpu_to_le64(share_id),
	};
	struct dxg_call_args a = {
		.opcode = DXGW_OP_CLOSE_SHARE,
		/* A release must get its message out; the host answers at once. */
		.flags = DXG_CALL_UNKILLABLE,
		.epoch = epoch,
		.req = &req,
		.req_len = sizeof(req),
	};

	/* dxg_call() refuses a stale epoch without sending anything. */
	return ch ? dxg_call(ch, &a) : -ENODEV;
}

/**
 * dxg_close_share() - dxg_close_share_on() outside an ioctl
 * @share_id: the share
 * @epoch: the connection it was made in
 *
 * For releases: descriptors and sync files go wherever their last reference goes, in any
 * process or none (a work item), with no lock of ours held.
 *
 * Return: as dxg_close_share_on().
 */
int dxg_close_share(u64 share_id, u64 epoch)
{
	int ret;

	down_read(&dxg_global.channel_rwsem);
	ret = dxg_close_share_on(dxg_global.channel, share_id, epoch);
	up_read(&dxg_global.channel_rwsem);
	return ret;
}

static int dxg_share_release(struct inode *inode, struct file *file)
{
	struct dxg_share *share = file->private_data;

	dxg_close_share(share->share_id, share->epoch);
	kfree(share);
	return 0;
}

/* Like WSL's: no read, write, poll or ioctl; the descriptor only names the share. */
static const struct file_operations dxg_share_fops = {
	.owner = THIS_MODULE,
	.release = dxg_share_release,
	.llseek = noop_llseek,
};

/*
 * The DXGW_ACCESS_* rights of a desired_access for a share of @kind. 0 and GENERIC_ALL grant
 * everything (what WSL callers pass); STANDARD_RIGHTS_* and GENERIC_EXECUTE grant nothing more.
 * Sync objects: SYNCHRONIZE, DXGK_SHARED_SYNC_QUERY_STATE and GENERIC_READ grant WAIT,
 * DXGK_SHARED_SYNC_MODIFY_STATE and GENERIC_WRITE grant SIGNAL. Resources: GENERIC_READ grants
 * READ and GENERIC_WRITE grants WRITE. Any other bit is -EINVAL.
 */
static int dxg_share_access(u32 desired, u32 kind, u32 *access)
{
	bool all = !desired || (desired & DXG_GENERIC_ALL);

	*access = 0;
	if (kind == DXGW_SHARE_KIND_SYNC_OBJECT) {
		if (desired & ~DXG_ACCESS_SYNC_BITS)
			return -EINVAL;
		if (all || (desired & (DXG_SYNCHRONIZE | DXG_SHARED_SYNC_QUERY_STATE |
				       DXG_GENERIC_READ)))
			*access |= DXGW_ACCESS_WAIT;
		if (all || (desired & (DXG_SHARED_SYNC_MODIFY_STATE | DXG_GENERIC_WRITE)))
			*access |= DXGW_ACCESS_SIGNAL;
		return 0;
	}
	if (desired & ~DXG_ACCESS_RESOURCE_BITS)
		return -EINVAL;
	if (all || (desired & DXG_GENERIC_READ))
		*access |= DXGW_ACCESS_READ;
	if (all || (desired & DXG_GENERIC_WRITE))
		*access |= DXGW_ACCESS_WRITE;
	return 0;
}

/*
 * 0x3f: one object per call (WSL's limit), a new descriptor per call. The descriptor number is
 * written to *shared_handle before it is installed, so a bad pointer leaves no descriptor behind
 * (its release closes the share again). object_attr is ignored, as in WSL.
 */
int dxg_ioctl_share_objects(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_shareobjects *args = data;
	struct dxgw_share_object_req req = { 0 };
	struct dxgw_share_object_reply reply;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_SHARE_OBJECT,
		.req = &req,
		.req_len = sizeof(req),
		.reply = &reply,
		.reply_max = sizeof(reply),
	};
	struct dxg_share *share;
	struct file *file;
	u32 object;
	int fd, ret;

	if (args->object_count != 1)
		return -EINVAL;
	if (copy_from_user(&object, u64_to_user_ptr(args->objects), sizeof(object)))
		return -EFAULT;
	/* Not a valid mask for either kind: refused before the host is asked. */
	if (!object || (args->desired_access & ~(DXG_ACCESS_SYNC_BITS | DXG_ACCESS_RESOURCE_BITS)))
		return -EINVAL;

	ret = dxg_process_host_current(ctx->proc, ctx->ch, &a.process, &a.epoch);
	if (ret)
		return ret;
	req.object = cpu_to_le32(object);
	ret = dxg_reply_check(dxg_call(ctx->ch, &a), &a, sizeof(reply));
	if (ret)
		return ret;

	share = kzalloc(sizeof(*share), GFP_KERNEL);
	if (!share) {
		ret = -ENOMEM;
		goto err_close;
	}
	share->share_id = le64_to_cpu(reply.share_id);
	share->epoch = a.epoch;
	share->kind = le32_to_cpu(reply.kind);
	share->sync_type = le32_to_cpu(reply.sync_type);
	if (!share->share_id || (share->kind != DXGW_SHARE_KIND_SYNC_OBJECT &&
				 share->kind != DXGW_SHARE_KIND_RESOURCE)) {
		ret = -EIO;
		goto err_free_share;
	}
	ret = dxg_share_access(args->desired_access, share->kind, &share->access);
	if (ret)
		goto err_free_share;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_free_share;
	}
	file = anon_inode_getfile(share->kind == DXGW_SHARE_KIND_SYNC_OBJECT ?
				  "dxgsyncobj" : "dxgresource", &dxg_share_fops, share, O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		put_unused_fd(fd);
		goto err_free_share;
	}
	if (put_user((u64)fd, (u64 __user *)u64_to_user_ptr(args->shared_handle))) {
		put_unused_fd(fd);
		/* The release (deferred to our return to user space) closes the share. */
		fput(file);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;

err_free_share:
	kfree(share);
err_close:
	dxg_close_share_on(ctx->ch, le64_to_cpu(reply.share_id), a.epoch);
	return ret;
}

/*
 * The share a descriptor names, copied. Anything but a share descriptor of @kind (a bad number,
 * another file, a descriptor of the other kind) is -EINVAL as in WSL.
 */
static int dxg_share_from_fd(u64 fd, u32 kind, struct dxg_share *out)
{
	struct file *file;
	int ret = 0;

	if (fd > INT_MAX)
		return -EINVAL;
	file = fget((unsigned int)fd);
	if (!file)
		return -EINVAL;
	if (file->f_op != &dxg_share_fops ||
	    ((struct dxg_share *)file->private_data)->kind != kind)
		ret = -EINVAL;
	else
		*out = *(struct dxg_share *)file->private_data;
	fput(file);
	return ret;
}

/**
 * dxg_open_shared_sync_object() - a handle of the caller on a shared sync object
 * @ctx: the ioctl's context
 * @device: a device of the caller (any adapter)
 * @share_id: the share, from a descriptor or a sync file
 * @share_epoch: the connection of @share_id
 * @access: DXGW_ACCESS_* the handle gets
 * @handle: out, the new sync object handle
 * @type: out, its D3DDDI_* type
 * @cpu_va: out, for a monitored fence the CPU address of its value (its slot's page is mapped
 *	read-only into the caller, as for CREATESYNCHRONIZATIONOBJECT2); else untouched
 *
 * Return: 0; -EINVAL for a device that is not the caller's; -EACCES when @access grants nothing;
 * -ENODEV when @share_epoch is stale; the errno of the host call or of the mapping (the handle is
 * then destroyed again).
 */
int dxg_open_shared_sync_object(struct dxg_ioctl_ctx *ctx, u32 device, u64 share_id,
				u64 share_epoch, u32 access, u32 *handle, u32 *type, u64 *cpu_va)
{
	struct dxg_process *proc = ctx->proc;
	struct dxgw_open_shared_sync_object_req req = {
		.device = cpu_to_le32(device),
		.access = cpu_to_le32(access),
		.share_id = cpu_to_le64(share_id),
	};
	struct dxgw_open_shared_sync_object_reply reply;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_OPEN_SHARED_SYNC_OBJECT,
		.req = &req,
		.req_len = sizeof(req),
		.reply = &reply,
		.reply_max = sizeof(reply),
	};
	struct dxg_mem_grant grant = {
		.device = device,
	};
	int ret;

	if (!device)
		return -EINVAL;
	/* A descriptor that grants nothing cannot be used for anything. */
	if (!access)
		return -EACCES;
	/* The mapping and the host object are made under the lock, as in create (dxg_ioctl_sync.c). */
	if (mutex_lock_killable(&proc->lock))
		return -EINTR;
	ret = dxg_process_host_current_locked(proc, ctx->ch, &a.process, &a.epoch);
	if (ret)
		goto out_unlock;
	ret = dxg_process_device_adapter_locked(proc, device, &grant.adapter);
	if (ret)
		goto out_unlock;
	if (a.epoch != share_epoch) {
		ret = -ENODEV;
		goto out_unlock;
	}
	ret = dxg_reply_check(dxg_call(ctx->ch, &a), &a, sizeof(reply));
	if (ret)
		goto out_unlock;
	grant.epoch = a.epoch;
	grant.handle = le32_to_cpu(reply.sync_object);
	grant.fence_object = grant.handle;
	*type = le32_to_cpu(reply.type);
	if (!grant.handle) {
		ret = -EIO;
		goto out_unlock;
	}
	if (*type == D3DDDI_MONITORED_FENCE) {
		ret = dxg_mem_map_fence_locked(proc, ctx->ch, &grant,
					       le64_to_cpu(reply.fence_offset), cpu_va);
		if (ret) {
			dxg_sync_object_host_destroy(ctx->ch, &a, grant.handle);
			goto out_unlock;
		}
	}
	*handle = grant.handle;
out_unlock:
	mutex_unlock(&proc->lock);
	return ret;
}

/*
 * 0x40: a handle of the share's type, with the descriptor's access. For a monitored fence the
 * union gets the CPU address of its value and GPU address 0 (fences are not in GPU VA spaces);
 * for other types it is returned as given. flags: known D3DDDI_SYNCOBJ_FLAG_* bits only; the
 * opened handle keeps the object's own flags (WSL forwards them to a host that ignores them too).
 */
int dxg_ioctl_open_sync_object_nt(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_opensyncobjectfromnthandle2 *args = data;
	struct dxg_share share;
	u32 handle, type;
	u64 cpu_va = 0;
	int ret;

	args->sync_object.v = 0;
	if (!args->device.v || (args->flags & ~DXGW_SYNC_OBJECT_FLAGS))
		return -EINVAL;
	ret = dxg_share_from_fd(args->nt_handle, DXGW_SHARE_KIND_SYNC_OBJECT, &share);
	if (ret)
		return ret;
	ret = dxg_open_shared_sync_object(ctx, args->device.v, share.share_id, share.epoch,
					  share.access, &handle, &type, &cpu_va);
	if (ret)
		return ret;
	args->sync_object.v = handle;
	if (type == D3DDDI_MONITORED_FENCE) {
		args->monitored_fence.fence_value_cpu_va = cpu_va;
		args->monitored_fence.fence_value_gpu_va = 0;
	}
	return 0;
}

void dxg_ioctl_open_sync_object_nt_undo(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_opensyncobjectfromnthandle2 *args = data;

	dxg_destroy_sync_object(ctx, args->sync_object.v);
}

/* DXGW_OP_QUERY_SHARED_RESOURCE for a resource descriptor and a device of the caller. */
static int dxg_query_shared_resource(struct dxg_ioctl_ctx *ctx, u32 device,
				     const struct dxg_share *share,
				     struct dxgw_query_shared_resource_reply *reply)
{
	struct dxgw_query_shared_resource_req req = {
		.device = cpu_to_le32(device),
		.share_id = cpu_to_le64(share->share_id),
	};
	struct dxg_call_args a = {
		.opcode = DXGW_OP_QUERY_SHARED_RESOURCE,
		.req = &req,
		.req_len = sizeof(req),
		.reply = reply,
		.reply_max = sizeof(*reply),
	};
	u32 adapter;
	int ret;

	if (!device)
		return -EINVAL;
	if (mutex_lock_killable(&ctx->proc->lock))
		return -EINTR;
	ret = dxg_process_host_current_locked(ctx->proc, ctx->ch, &a.process, &a.epoch);
	if (!ret)
		ret = dxg_process_device_adapter_locked(ctx->proc, device, &adapter);
	mutex_unlock(&ctx->proc->lock);
	if (ret)
		return ret;
	if (a.epoch != share->epoch)
		return -ENODEV;
	ret = dxg_reply_check(dxg_call(ctx->ch, &a), &a, sizeof(*reply));
	if (ret)
		return ret;
	/* The counts size what OPENRESOURCEFROMNTHANDLE copies: the host's word is checked. */
	if (!le32_to_cpu(reply->allocation_count) ||
	    le32_to_cpu(reply->allocation_count) > DXGW_MAX_ALLOCATIONS ||
	    le32_to_cpu(reply->runtime_data_size) > DXGW_MAX_ALLOC_PRIV)
		return -EIO;
	return 0;
}

/*
 * 0x41: what OPENRESOURCEFROMNTHANDLE needs. opendxg resources have no resource-level KMD data,
 * and each allocation's KMD data is its struct opendxg_alloc_priv header (the allocation's kind
 * and size; a PROGRAM's code is not handed out again). private_runtime_data is not read, as in
 * WSL.
 */
int dxg_ioctl_query_resource_info_nt(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_queryresourceinfofromnthandle *args = data;
	struct dxgw_query_shared_resource_reply reply;
	struct dxg_share share;
	u32 count;
	int ret;

	ret = dxg_share_from_fd(args->nt_handle, DXGW_SHARE_KIND_RESOURCE, &share);
	if (ret)
		return ret;
	ret = dxg_query_shared_resource(ctx, args->device.v, &share, &reply);
	if (ret)
		return ret;
	count = le32_to_cpu(reply.allocation_count);
	args->private_runtime_data_size = le32_to_cpu(reply.runtime_data_size);
	args->resource_priv_drv_data_size = 0;
	args->total_priv_drv_data_size = count * sizeof(struct opendxg_alloc_priv);
	args->allocation_count = count;
	return 0;
}

/* The KMD private data an opened allocation gets: the header CREATEALLOCATION was given. */
static void dxg_opened_alloc_priv(const struct dxgw_shared_allocation *alloc,
				  struct opendxg_alloc_priv *priv)
{
	memset(priv, 0, sizeof(*priv));
	priv->version = OPENDXG_ALLOC_PRIV_VERSION;
	priv->kind = le32_to_cpu(alloc->kind);
	priv->header_size = sizeof(*priv);
	priv->size = le64_to_cpu(alloc->size);
}

/*
 * Fills the caller's buffers from an OPEN_SHARED_RESOURCE reply (checked by the caller): the
 * runtime data, the allocations' KMD data back to back in total_priv_drv_data, and one whole
 * d3dddi_openallocationinfo2 per allocation whose priv_drv_data points at its part of that
 * buffer (WSL and Windows write these entries: callers pass them empty).
 */
static int dxg_open_resource_outputs(const struct d3dkmt_openresourcefromnthandle *args,
				     const struct dxgw_shared_allocation *allocs, u32 count,
				     const void *runtime, u32 runtime_size)
{
	struct d3dddi_openallocationinfo2 *infos;
	struct opendxg_alloc_priv *privs;
	int ret = -ENOMEM;
	u32 i;

	infos = kvcalloc(count, sizeof(*infos), GFP_KERNEL);
	privs = kvcalloc(count, sizeof(*privs), GFP_KERNEL);
	if (!infos || !privs)
		goto out_free;
	for (i = 0; i < count; i++) {
		dxg_opened_alloc_priv(&allocs[i], &privs[i]);
		infos[i].allocation.v = le32_to_cpu(allocs[i].allocation);
		infos[i].priv_drv_data = args->total_priv_drv_data + (u64)i * sizeof(*privs);
		infos[i].priv_drv_data_size = sizeof(*privs);
	}
	ret = -EFAULT;
	if (runtime_size &&
	    copy_to_user(u64_to_user_ptr(args->private_runtime_data), runtime, runtime_size))
		goto out_free;
	if (copy_to_user(u64_to_user_ptr(args->total_priv_drv_data), privs,
			 array_size(count, sizeof(*privs))) ||
	    copy_to_user(u64_to_user_ptr(args->open_alloc_info), infos,
			 array_size(count, sizeof(*infos))))
		goto out_free;
	ret = 0;
out_free:
	kvfree(privs);
	kvfree(infos);
	return ret;
}

/*
 * 0x42: a resource handle of the caller and a handle per allocation, naming the creator's memory.
 * Every size is checked first and a wrong one is -EINVAL, as in WSL (never -EOVERFLOW):
 * allocation_count must equal the resource's; the runtime data and total KMD data buffers must
 * be large enough (a negative runtime size is -EINVAL, where WSL compares it unsigned). Outputs:
 * the resource handle, total_priv_drv_data_size (the bytes written), the buffers above. Keyed
 * mutexes are not supported: keyed_mutex and sync_object are left as they are, as in WSL.
 */
int dxg_ioctl_open_resource_nt(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_openresourcefromnthandle *args = data;
	struct dxgw_query_shared_resource_reply query;
	struct dxgw_open_shared_resource_req req = { 0 };
	struct dxgw_open_shared_resource_reply *reply;
	const struct dxgw_shared_allocation *allocs;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_OPEN_SHARED_RESOURCE,
		.req = &req,
		.req_len = sizeof(req),
	};
	struct dxg_share share;
	u32 count, runtime_size, total;
	int ret;

	ret = dxg_share_from_fd(args->nt_handle, DXGW_SHARE_KIND_RESOURCE, &share);
	if (ret)
		return ret;
	ret = dxg_query_shared_resource(ctx, args->device.v, &share, &query);
	if (ret)
		return ret;
	count = le32_to_cpu(query.allocation_count);
	runtime_size = le32_to_cpu(query.runtime_data_size);
	total = count * sizeof(struct opendxg_alloc_priv);
	if (args->allocation_count != count || args->private_runtime_data_size < 0 ||
	    (u32)args->private_runtime_data_size < runtime_size ||
	    args->total_priv_drv_data_size < total)
		return -EINVAL;

	a.reply_max = sizeof(*reply) + count * sizeof(*allocs) + round_up(runtime_size, 8);
	reply = kvzalloc(a.reply_max, GFP_KERNEL);
	if (!reply)
		return -ENOMEM;
	a.reply = reply;
	req.device = cpu_to_le32(args->device.v);
	req.access = cpu_to_le32(share.access);
	req.share_id = cpu_to_le64(share.share_id);
	req.allocation_count = cpu_to_le32(count);
	ret = dxg_process_host_current(ctx->proc, ctx->ch, &a.process, &a.epoch);
	if (ret)
		goto out_free;
	if (a.epoch != share.epoch) {
		ret = -ENODEV;
		goto out_free;
	}
	ret = dxg_call(ctx->ch, &a);
	if (ret)
		goto out_free;
	args->resource.v = le32_to_cpu(reply->resource);
	if (!args->resource.v) {
		ret = -EIO;
		goto out_free;
	}
	/* The resource cannot change once shared; a host that says otherwise is broken. */
	if (a.reply_len < a.reply_max || le32_to_cpu(reply->allocation_count) != count ||
	    le32_to_cpu(reply->runtime_data_size) != runtime_size) {
		ret = -EIO;
		goto err_destroy;
	}
	allocs = (const struct dxgw_shared_allocation *)(reply + 1);
	ret = dxg_open_resource_outputs(args, allocs, count, allocs + count, runtime_size);
	if (ret)
		goto err_destroy;
	args->total_priv_drv_data_size = total;
	goto out_free;

err_destroy:
	dxg_destroy_allocations(ctx, args->device.v, args->resource.v, NULL, 0, 0);
	args->resource.v = 0;
out_free:
	kvfree(reply);
	return ret;
}

void dxg_ioctl_open_resource_nt_undo(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_openresourcefromnthandle *args = data;

	dxg_destroy_allocations(ctx, args->device.v, args->resource.v, NULL, 0, 0);
}
