// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics, process enumeration, feature queries, cache invalidation, heap transitions and
 * sharing with the host: the requests that are about an adapter or a device as a whole.
 *
 * Where WSL has a quirk that loses information, opendxg answers an errno instead (each case says
 * so below); everything else follows WSL's order of checks: a handle the caller does not hold is
 * -EINVAL, a handle of a connection that is gone (dxgd worker restart) -ENODEV.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/limits.h>

#include <misc/d3dkmthk.h>

#include "dxg.h"

/*
 * A device of the caller: -EINVAL when the caller did not create it (in its current host process),
 * then -ENODEV when its connection is gone, as WSL checks the handle before the device's state.
 */
static int dxg_misc_device(struct dxg_ioctl_ctx *ctx, u32 device, u32 *process, u64 *epoch)
{
	struct dxg_process *proc = ctx->proc;
	u32 host_adapter;
	int ret;

	if (!device)
		return -EINVAL;
	if (mutex_lock_killable(&proc->lock))
		return -EINTR;
	ret = dxg_process_device_adapter_locked(proc, device, &host_adapter);
	if (!ret)
		ret = dxg_process_host_current_locked(proc, ctx->ch, process, epoch);
	mutex_unlock(&proc->lock);
	return ret;
}

/*
 * The VM's adapter of a LUID, as the host lists it now (the caller need not have it open).
 * Return: 0; -ENODEV without a connection; -EINVAL for a LUID the host does not list.
 */
static int dxg_misc_find_luid(struct dxg_ioctl_ctx *ctx, const struct winluid *luid, u64 epoch,
			      struct dxgw_adapter_desc *desc)
{
	struct dxgw_adapter_desc *descs;
	u32 count = 0, i;
	int ret;

	descs = kmalloc_array(DXGW_MAX_ADAPTERS, sizeof(*descs), GFP_KERNEL);
	if (!descs)
		return -ENOMEM;
	ret = dxg_process_enum_host_adapters(ctx->ch, epoch, descs, &count);
	if (ret)
		goto out_free;
	ret = -EINVAL;
	for (i = 0; i < count; i++) {
		if (le32_to_cpu(descs[i].luid_low) == luid->a &&
		    le32_to_cpu(descs[i].luid_high) == (u32)luid->b) {
			*desc = descs[i];
			ret = 0;
			break;
		}
	}
out_free:
	kfree(descs);
	return ret;
}

/*
 * Nothing to flush: opendxg never defers heap transitions (host-visible memory is coherent
 * shared memory, device-local memory is the host's), so the request only checks the adapter.
 * WSL copies the struct back with the host's adapter handle in it; opendxg keeps host handles out
 * of user space and writes nothing.
 */
int dxg_ioctl_flush_heap_transitions(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_flushheaptransitions *args = data;
	struct dxg_adapter_ref ref;
	u32 process;

	return dxg_process_get_adapter(ctx->proc, ctx->ch, args->adapter.v, &ref, &process);
}

/* The allocation, offset and length are the host's to check, as in WSL. */
int dxg_ioctl_invalidate_cache(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_invalidatecache *args = data;
	struct dxgw_invalidate_cache_req req = {
		.device = cpu_to_le32(args->device.v),
		.allocation = cpu_to_le32(args->allocation.v),
		.offset = cpu_to_le64(args->offset),
		.length = cpu_to_le64(args->length),
	};
	struct dxg_call_args a = {
		.opcode = DXGW_OP_INVALIDATE_CACHE,
		.req = &req,
		.req_len = sizeof(req),
	};
	int ret;

	ret = dxg_misc_device(ctx, args->device.v, &a.process, &a.epoch);
	if (ret)
		return ret;
	return dxg_mem_call(ctx->ch, &a);
}

/*
 * The adapter is named by LUID among the VM's adapters. `process` 0 is the caller; otherwise it
 * is a pid in the caller's pid namespace of a process that has /dev/dxg open (WSL looks the number
 * up in every namespace). Deviation: an unknown LUID is -EINVAL; WSL returns 0 and writes nothing,
 * which leaves the caller reading its own uninitialized result. `process` comes back 0, as in
 * WSL, and the type and query are the host's to check.
 */
int dxg_ioctl_query_statistics(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_querystatistics *args = data;
	struct dxgw_query_statistics_req req = {
		.type = cpu_to_le32(args->type),
		.query = {
			cpu_to_le32(args->query[0]),
			cpu_to_le32(args->query[1]),
		},
	};
	struct dxg_call_args a = {
		.opcode = DXGW_OP_QUERY_STATISTICS,
		.req = &req,
		.req_len = sizeof(req),
		.reply_max = DXGW_QUERY_STATISTICS_RESULT_SIZE,
	};
	struct dxgw_adapter_desc desc;
	u32 target = 0;
	void *reply;
	int ret;

	BUILD_BUG_ON(sizeof(args->result) != DXGW_QUERY_STATISTICS_RESULT_SIZE);
	a.epoch = ctx->ch ? dxg_channel_epoch(ctx->ch) : 0;
	if (!a.epoch)
		return -ENODEV;
	if (args->process) {
		if (args->process > PID_MAX_LIMIT)
			return -EINVAL;
		ret = dxg_process_host_of_pid(args->process, a.epoch, &target);
		if (ret)
			return ret;
	}
	ret = dxg_misc_find_luid(ctx, &args->adapter_luid, a.epoch, &desc);
	if (ret)
		return ret;

	/* A caller that never opened an adapter gets its host process here, as at open in WSL. */
	if (mutex_lock_killable(&ctx->proc->lock))
		return -EINTR;
	ret = dxg_process_host_locked(ctx->proc, ctx->ch, a.epoch);
	a.process = ctx->proc->host_process;
	mutex_unlock(&ctx->proc->lock);
	if (ret)
		return ret;

	reply = kmalloc(DXGW_QUERY_STATISTICS_RESULT_SIZE, GFP_KERNEL);
	if (!reply)
		return -ENOMEM;
	req.adapter = desc.adapter;
	req.target = cpu_to_le32(target);
	a.reply = reply;
	ret = dxg_mem_call(ctx->ch, &a);
	if (!ret && a.reply_len != DXGW_QUERY_STATISTICS_RESULT_SIZE)
		ret = -EIO;
	if (!ret) {
		memcpy(args->result, reply, DXGW_QUERY_STATISTICS_RESULT_SIZE);
		args->process = 0;
	}
	kfree(reply);
	return ret;
}

/*
 * opendxg has no host-side consumer of objects shared with the host (WSL's is VAIL), so after
 * checking the arguments the answer is -EPERM, which libdxg turns into STATUS_NOT_SUPPORTED. WSL
 * checks nothing in the guest and lets the host refuse.
 */
int dxg_ioctl_share_object_with_host(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_shareobjectwithhost *args = data;
	u32 process;
	u64 epoch;
	int ret;

	ret = dxg_misc_device(ctx, args->device_handle.v, &process, &epoch);
	if (ret)
		return ret;
	if (!args->object_handle.v)
		return -EINVAL;
	return -EPERM;
}

/* WSL writes the count back on every failure after the copy-in; the dispatcher only on success. */
static int dxg_enum_processes_fail(struct dxg_ioctl_ctx *ctx, int ret)
{
	u64 zero = 0;

	if (copy_to_user(ctx->uarg + offsetof(struct d3dkmt_enumprocesses, buffer_count), &zero,
			 sizeof(zero)))
		return -EFAULT;
	return ret;
}

/*
 * The processes that hold an adapter handle of the LUID (from any connection: WSL lists those of
 * a stopped adapter too) and that the caller's pid namespace can see, by their pid there. WSL
 * matches the namespace exactly; opendxg also lists processes of namespaces below the caller's,
 * whose pids the caller can name (QUERYSTATISTICS takes them). A LUID neither held nor listed by
 * the host is -EINVAL with the count 0. A NULL buffer or one too small is -EOVERFLOW with the
 * count needed; the count is written back as a whole __u64 (WSL writes its low half).
 */
int dxg_ioctl_enum_processes(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_enumprocesses *args = data;
	struct dxgw_adapter_desc desc;
	u32 count, filled, *pids;
	bool held;
	u64 epoch;
	int ret;

	ret = dxg_process_enum_users(args->adapter_luid.a, args->adapter_luid.b, NULL, 0, &count,
				     &held);
	if (ret)
		return ret;
	if (!held) {
		epoch = ctx->ch ? dxg_channel_epoch(ctx->ch) : 0;
		ret = epoch ? dxg_misc_find_luid(ctx, &args->adapter_luid, epoch, &desc) : -EINVAL;
		if (ret == -ENODEV)
			ret = -EINVAL;
		if (ret)
			return dxg_enum_processes_fail(ctx, ret);
	}
	if (!args->buffer || count > args->buffer_count) {
		args->buffer_count = count;
		return -EOVERFLOW;
	}
	if (!count) {
		args->buffer_count = 0;
		return 0;
	}

	pids = kvmalloc_array(count, sizeof(*pids), GFP_KERNEL);
	if (!pids)
		return -ENOMEM;
	/* Processes may have come or gone since the count. */
	ret = dxg_process_enum_users(args->adapter_luid.a, args->adapter_luid.b, pids, count,
				     &filled, &held);
	if (ret)
		goto out_free;
	if (filled > args->buffer_count) {
		args->buffer_count = filled;
		ret = -EOVERFLOW;
		goto out_free;
	}
	filled = min(filled, count);
	if (copy_to_user(u64_to_user_ptr(args->buffer), pids, array_size(filled, sizeof(*pids)))) {
		ret = -EFAULT;
		goto out_free;
	}
	args->buffer_count = filled;
out_free:
	kvfree(pids);
	return ret;
}

/*
 * The host answers for an adapter the caller holds. The feature id is not checked (WSL forwards
 * any); the host knows which it supports.
 */
int dxg_ioctl_is_feature_enabled(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_isfeatureenabled *args = data;
	struct dxgw_is_feature_enabled_reply reply;
	struct dxgw_is_feature_enabled_req req;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_IS_FEATURE_ENABLED,
		.req = &req,
		.req_len = sizeof(req),
		.reply = &reply,
		.reply_max = sizeof(reply),
	};
	struct dxg_adapter_ref ref;
	u32 version, value;
	int ret;

	ret = dxg_process_get_adapter(ctx->proc, ctx->ch, args->adapter.v, &ref, &a.process);
	if (ret)
		return ret;
	req.adapter = cpu_to_le32(ref.host_adapter);
	req.feature_id = cpu_to_le32(args->feature_id);
	a.epoch = ref.epoch;
	ret = dxg_reply_check(dxg_mem_call(ctx->ch, &a), &a, sizeof(reply));
	if (ret)
		return ret;
	version = le32_to_cpu(reply.version);
	value = le32_to_cpu(reply.value);
	/* Both are u16 in the ABI: wider values are a broken host. */
	if (version > U16_MAX || value > U16_MAX)
		return -EIO;
	args->result.version = version;
	args->result.value = value;
	return 0;
}
