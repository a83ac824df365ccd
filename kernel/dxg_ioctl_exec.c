// SPDX-License-Identifier: GPL-2.0
/*
 * The execution ioctls: hardware queues, command buffer submission, context scheduling
 * priorities, device state, MARKDEVICEASERROR, QUERYCLOCKCALIBRATION and ESCAPE. Their table
 * lines are in dxg_ioctl.c.
 *
 * As everywhere, each handler checks its copy of the argument fully and builds one wire request
 * (include/opendxg/wire.h, "0x06xx"); the host owns the queues and checks every handle, and
 * validates command buffers (docs/cmdbuf.md), which it copies out of host-visible memory during
 * SUBMIT. The WDDM 1.x parts of the submission structs (private driver data, written primaries,
 * history buffers, present history token) are bounded as WSL bounds them and otherwise ignored:
 * opendxg's command buffers carry everything in their packets.
 *
 * A hardware queue's progress fence is mapped read-only into the creator like a monitored fence
 * (dxg_mem.c); its view also records the queue's context, whose destruction takes it away.
 */
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <misc/d3dkmthk.h>
#include <misc/opendxg.h>

#include "dxg.h"

#define DXG_ESCAPE_FLAGS						\
	(D3DDDI_ESCAPE_FLAG_HARDWARE_ACCESS |				\
	 D3DDDI_ESCAPE_FLAG_DEVICE_STATUS_QUERY |			\
	 D3DDDI_ESCAPE_FLAG_CHANGE_FRAME_LATENCY |			\
	 D3DDDI_ESCAPE_FLAG_NO_ADAPTER_SYNCHRONIZATION |		\
	 D3DDDI_ESCAPE_FLAG_VIRTUAL_MACHINE_DATA |			\
	 D3DDDI_ESCAPE_FLAG_DRIVER_KNOWN_ESCAPE |			\
	 D3DDDI_ESCAPE_FLAG_DRIVER_COMMON_ESCAPE)

/* A request on host handles of the calling process. */
static int dxg_exec_call(struct dxg_ioctl_ctx *ctx, struct dxg_call_args *a)
{
	int ret;

	ret = dxg_process_host_current(ctx->proc, ctx->ch, &a->process, &a->epoch);
	if (ret)
		return ret;
	return dxg_mem_call(ctx->ch, a);
}

/* ---- hardware queues ---- */

/* Maps the new queue's progress fence; the queue goes again if that fails. */
static int dxg_hwqueue_map_fence(struct dxg_ioctl_ctx *ctx, struct d3dkmt_createhwqueue *args,
				 const struct dxgw_create_hw_queue_reply *reply,
				 struct dxg_mem_grant *grant, struct dxg_call_args *a)
{
	struct dxgw_destroy_req destroy = {
		.handle = reply->queue,
	};
	int ret = -EIO;

	if (grant->handle && le32_to_cpu(reply->progress_fence))
		ret = dxg_mem_map_fence_locked(ctx->proc, ctx->ch, grant,
					       le64_to_cpu(reply->fence_offset),
					       &args->queue_progress_fence_cpu_va);
	if (!ret)
		return 0;
	if (grant->handle) {
		/* Nothing was mapped: only the host object goes. */
		a->opcode = DXGW_OP_DESTROY_HW_QUEUE;
		a->req = &destroy;
		a->req_len = sizeof(destroy);
		a->reply = NULL;
		a->reply_max = 0;
		dxg_call(ctx->ch, a);
	}
	return ret;
}

/*
 * Outputs: the queue, its progress fence (a monitored fence the host signals with each
 * SUBMITCOMMANDTOHWQUEUE's progress fence id once that buffer completed), the fence's CPU address
 * (its u64, mapped read-only) and GPU address (the host's; 0 for now). The private data (at most
 * 128 KiB) goes to the host, which records its size only. A context the process did not create in
 * this connection is -EINVAL without a host call.
 */
int dxg_ioctl_create_hwqueue(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_createhwqueue *args = data;
	u32 size = args->priv_drv_data_size;
	struct dxg_process *proc = ctx->proc;
	struct dxgw_create_hw_queue_req *req;
	struct dxgw_create_hw_queue_reply reply;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_CREATE_HW_QUEUE,
		.reply = &reply,
		.reply_max = sizeof(reply),
	};
	struct dxg_mem_grant grant = {
		.context = args->context.v,
	};
	int ret;

	if (!args->context.v || (args->flags & ~D3DDDI_CREATEHWQUEUE_FLAG_DISABLE_GPU_TIMEOUT) ||
	    size > DXGW_MAX_HWQUEUE_PRIV)
		return -EINVAL;
	a.req_len = sizeof(*req) + size;
	req = kvzalloc(a.req_len, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	if (size && copy_from_user(req + 1, u64_to_user_ptr(args->priv_drv_data), size)) {
		ret = -EFAULT;
		goto out_free_req;
	}
	req->context = cpu_to_le32(args->context.v);
	req->flags = cpu_to_le32(args->flags);
	req->priv_size = cpu_to_le32(size);
	a.req = req;

	if (mutex_lock_killable(&proc->lock)) {
		ret = -EINTR;
		goto out_free_req;
	}
	ret = dxg_process_host_current_locked(proc, ctx->ch, &a.process, &a.epoch);
	if (!ret)
		ret = dxg_process_context_device_locked(proc, args->context.v, &grant.device);
	if (!ret)
		ret = dxg_process_device_adapter_locked(proc, grant.device, &grant.adapter);
	if (ret)
		goto out_unlock;
	ret = dxg_reply_check(dxg_mem_call(ctx->ch, &a), &a, sizeof(reply));
	if (ret)
		goto out_unlock;
	grant.epoch = a.epoch;
	grant.handle = le32_to_cpu(reply.queue);
	grant.fence_object = le32_to_cpu(reply.progress_fence);
	ret = dxg_hwqueue_map_fence(ctx, args, &reply, &grant, &a);
	if (ret)
		goto out_unlock;
	args->queue.v = grant.handle;
	args->queue_progress_fence.v = le32_to_cpu(reply.progress_fence);
	args->queue_progress_fence_gpu_va = le64_to_cpu(reply.fence_gpu_va);
out_unlock:
	mutex_unlock(&proc->lock);
out_free_req:
	kvfree(req);
	return ret;
}

void dxg_ioctl_create_hwqueue_undo(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_createhwqueue *args = data;

	dxg_destroy_queue(ctx, DXGW_OP_DESTROY_HW_QUEUE, args->queue.v);
}

int dxg_ioctl_destroy_hwqueue(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_destroyhwqueue *args = data;

	return dxg_destroy_queue(ctx, DXGW_OP_DESTROY_HW_QUEUE, args->queue.v);
}

/* ---- submission ---- */

static int dxg_submit(struct dxg_ioctl_ctx *ctx, u32 queue, u32 flags, u64 command_buffer,
		      u32 length, u64 progress_fence_value)
{
	struct dxgw_submit_req req = {
		.queue = cpu_to_le32(queue),
		.flags = cpu_to_le32(flags),
		.command_buffer = cpu_to_le64(command_buffer),
		.length = cpu_to_le32(length),
		.progress_fence_value = cpu_to_le64(progress_fence_value),
	};
	struct dxg_call_args a = {
		.opcode = DXGW_OP_SUBMIT,
		.req = &req,
		.req_len = sizeof(req),
	};

	return dxg_exec_call(ctx, &a);
}

/*
 * One engine per adapter: exactly one broadcast context (WSL allows 1..64: more is -EINVAL
 * here). The buffer's length and contents are the host's to check; a malformed buffer is -EINVAL
 * and breaks the context (wire.h, "0x06xx").
 */
int dxg_ioctl_submit_command(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_submitcommand *args = data;

	if (args->broadcast_context_count != 1 || !args->broadcast_context[0].v ||
	    (args->flags & ~D3DKMT_SUBMITCOMMAND_FLAG_NULL_RENDERING) ||
	    args->priv_drv_data_size > D3DKMT_MAX_PRIVATE_DATA_SIZE ||
	    args->num_primaries > D3DDDI_MAX_WRITTEN_PRIMARIES ||
	    args->num_history_buffers > D3DKMT_SUBMIT_MAX_HISTORY_BUFFERS)
		return -EINVAL;
	return dxg_submit(ctx, args->broadcast_context[0].v, args->flags, args->command_buffer,
			  args->command_length, 0);
}

/* hwqueue_progress_fence_id is the value the queue's progress fence takes at completion. */
int dxg_ioctl_submit_command_to_hwqueue(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_submitcommandtohwqueue *args = data;

	if (!args->hwqueue.v || args->priv_drv_data_size > D3DKMT_MAX_PRIVATE_DATA_SIZE ||
	    args->num_primaries > D3DDDI_MAX_WRITTEN_PRIMARIES)
		return -EINVAL;
	return dxg_submit(ctx, args->hwqueue.v, 0, args->command_buffer, args->command_length,
			  args->hwqueue_progress_fence_id);
}

/* ---- scheduling priorities ---- */

static int dxg_set_priority(struct dxg_ioctl_ctx *ctx, u32 context, s32 priority,
			    bool in_process)
{
	struct dxgw_scheduling_priority_req req = {
		.context = cpu_to_le32(context),
		.priority = cpu_to_le32((u32)priority),
		.in_process = cpu_to_le32(in_process),
	};
	struct dxg_call_args a = {
		.opcode = DXGW_OP_SET_SCHEDULING_PRIORITY,
		.req = &req,
		.req_len = sizeof(req),
	};

	if (!context || priority < DXGW_PRIORITY_MIN || priority > DXGW_PRIORITY_MAX)
		return -EINVAL;
	return dxg_exec_call(ctx, &a);
}

static int dxg_get_priority(struct dxg_ioctl_ctx *ctx, u32 context, bool in_process,
			    s32 *priority)
{
	struct dxgw_scheduling_priority_req req = {
		.context = cpu_to_le32(context),
		.in_process = cpu_to_le32(in_process),
	};
	struct dxgw_priority_reply reply;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_GET_SCHEDULING_PRIORITY,
		.req = &req,
		.req_len = sizeof(req),
		.reply = &reply,
		.reply_max = sizeof(reply),
	};
	int ret;

	if (!context)
		return -EINVAL;
	ret = dxg_reply_check(dxg_exec_call(ctx, &a), &a, sizeof(reply));
	if (!ret)
		*priority = (s32)le32_to_cpu(reply.priority);
	return ret;
}

int dxg_ioctl_set_context_priority(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_setcontextschedulingpriority *args = data;

	return dxg_set_priority(ctx, args->context.v, args->priority, false);
}

int dxg_ioctl_set_context_inprocess_priority(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_setcontextinprocessschedulingpriority *args = data;

	return dxg_set_priority(ctx, args->context.v, args->priority, true);
}

int dxg_ioctl_get_context_priority(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_getcontextschedulingpriority *args = data;

	return dxg_get_priority(ctx, args->context.v, false, &args->priority);
}

int dxg_ioctl_get_context_inprocess_priority(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_getcontextinprocessschedulingpriority *args = data;

	return dxg_get_priority(ctx, args->context.v, true, &args->priority);
}

/* ---- device state ---- */

/*
 * EXECUTION and PAGE_FAULT (the host's -EINVAL when no context faulted); the other states are
 * about presentation: -EINVAL. Outputs: state_type (unchanged) and the union, zeroed except the
 * member the type selects. A page fault reports the faulting GPU VA, the 1-based number of the
 * faulting submission on its queue as the "primitive API sequence number", WRITE for a write
 * access, and the general page-fault error code; stage and bind table entry are unknown (0).
 */
int dxg_ioctl_get_device_state(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_getdevicestate *args = data;
	struct d3dkmt_devicepagefault_state *fault = &args->page_fault_state;
	struct dxgw_get_device_state_req req = {
		.device = cpu_to_le32(args->device.v),
		.state_type = cpu_to_le32(args->state_type),
	};
	struct dxgw_device_state_reply reply;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_GET_DEVICE_STATE,
		.req = &req,
		.req_len = sizeof(req),
		.reply = &reply,
		.reply_max = sizeof(reply),
	};
	int ret;

	if (!args->device.v || (args->state_type != D3DKMT_DEVICESTATE_EXECUTION &&
				args->state_type != D3DKMT_DEVICESTATE_PAGE_FAULT))
		return -EINVAL;
	ret = dxg_reply_check(dxg_exec_call(ctx, &a), &a, sizeof(reply));
	if (ret)
		return ret;
	memset(args->state_reserved, 0, sizeof(args->state_reserved));
	if (args->state_type == D3DKMT_DEVICESTATE_EXECUTION) {
		args->execution_state = le32_to_cpu(reply.execution_state);
		return 0;
	}
	fault->faulted_primitive_api_sequence_number = le64_to_cpu(reply.fault_sequence);
	fault->faulted_virtual_address = le64_to_cpu(reply.fault_va);
	fault->faulted_pipeline_stage = DXGK_RENDER_PIPELINE_STAGE_UNKNOWN;
	if (le32_to_cpu(reply.fault_flags) & DXGW_FAULT_WRITE)
		fault->page_fault_flags |= DXGK_PAGE_FAULT_WRITE;
	fault->fault_error_code = DXGK_GENERAL_ERROR_PAGE_FAULT << DXGK_FAULT_ERROR_CODE_SHIFT;
	return 0;
}

/* Every context of the device breaks (D3DKMT_DEVICEEXECUTION_RESET). */
int dxg_ioctl_mark_device_as_error(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_markdeviceaserror *args = data;
	struct dxgw_mark_device_error_req req = {
		.device = cpu_to_le32(args->device.v),
		.reason = cpu_to_le32(args->reason),
	};
	struct dxg_call_args a = {
		.opcode = DXGW_OP_MARK_DEVICE_ERROR,
		.req = &req,
		.req_len = sizeof(req),
	};

	if (!args->device.v || (args->reason != D3DKMT_DEVICE_ERROR_REASON_GENERIC &&
				args->reason != D3DKMT_DEVICE_ERROR_REASON_DRIVER_ERROR))
		return -EINVAL;
	return dxg_exec_call(ctx, &a);
}

/* ---- clock calibration ---- */

/*
 * The GPU frequency and counter are the host's. cpu_clock_counter is this guest's CLOCK_MONOTONIC
 * in nanoseconds (ktime_get_ns()) taken when the reply was taken off the ring: the host's clock
 * is not the guest's, and the reply's arrival is the guest's closest observation of the moment
 * the host read the GPU counter (late by at most the reply's latency). flags: 0.
 */
int dxg_ioctl_query_clock_calibration(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_queryclockcalibration *args = data;
	struct dxgw_clock_calibration_req req = {
		.node_ordinal = cpu_to_le32(args->node_ordinal),
	};
	struct dxgw_clock_calibration_reply reply;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_QUERY_CLOCK_CALIBRATION,
		.req = &req,
		.req_len = sizeof(req),
		.reply = &reply,
		.reply_max = sizeof(reply),
	};
	struct dxg_adapter_ref ref;
	int ret;

	if (args->physical_adapter_index)
		return -EINVAL;
	ret = dxg_process_get_adapter(ctx->proc, ctx->ch, args->adapter.v, &ref, &a.process);
	if (ret)
		return ret;
	req.adapter = cpu_to_le32(ref.host_adapter);
	a.epoch = ref.epoch;
	ret = dxg_reply_check(dxg_call(ctx->ch, &a), &a, sizeof(reply));
	if (ret)
		return ret;
	args->clock_data.gpu_frequency = le64_to_cpu(reply.gpu_frequency);
	args->clock_data.gpu_clock_counter = le64_to_cpu(reply.gpu_clock_counter);
	args->clock_data.cpu_clock_counter = a.reply_ns;
	args->clock_data.flags = 0;
	return 0;
}

/* ---- escapes ---- */

/*
 * The driver-known escapes WSL answers in the guest: translating an allocation or resource handle
 * is the identity (user space holds the host's handles). Return: 1 when answered here.
 */
static int dxg_escape_known(const struct d3dkmt_escape *args)
{
	u32 type;

	if (args->type != D3DKMT_ESCAPE_DRIVERPRIVATE ||
	    !(args->flags & D3DDDI_ESCAPE_FLAG_DRIVER_KNOWN_ESCAPE))
		return 0;
	if (args->priv_drv_data_size < sizeof(type))
		return -EINVAL;
	if (get_user(type, (u32 __user *)u64_to_user_ptr(args->priv_drv_data)))
		return -EFAULT;
	return type == D3DDDI_DRIVERESCAPETYPE_TRANSLATEALLOCATIONHANDLE ||
	       type == D3DDDI_DRIVERESCAPETYPE_TRANSLATERESOURCEHANDLE;
}

/*
 * The private data (8 bytes .. 128 KiB: an opendxg escape header and its body) is copied in once,
 * answered in place by the host (same size) and copied back. Which escapes exist is the host's
 * business (DRIVERPRIVATE with an opendxg code; otherwise -EINVAL); device and context are passed
 * through for the host to check.
 */
int dxg_ioctl_escape(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_escape *args = data;
	u32 size = args->priv_drv_data_size;
	struct dxgw_escape_reply *reply = NULL;
	struct dxgw_escape_req *req = NULL;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_ESCAPE,
	};
	struct dxg_adapter_ref ref;
	int ret;

	if ((args->flags & ~DXG_ESCAPE_FLAGS) || size > DXGW_MAX_ESCAPE_DATA)
		return -EINVAL;
	ret = dxg_process_get_adapter(ctx->proc, ctx->ch, args->adapter.v, &ref, &a.process);
	if (ret)
		return ret;
	ret = dxg_escape_known(args);
	if (ret)
		return ret < 0 ? ret : 0;
	if (size < sizeof(struct opendxg_escape_header))
		return -EINVAL;

	a.req_len = sizeof(*req) + size;
	a.reply_max = sizeof(*reply) + size;
	req = kvzalloc(a.req_len, GFP_KERNEL);
	reply = kvmalloc(a.reply_max, GFP_KERNEL);
	if (!req || !reply) {
		ret = -ENOMEM;
		goto out_free;
	}
	if (copy_from_user(req + 1, u64_to_user_ptr(args->priv_drv_data), size)) {
		ret = -EFAULT;
		goto out_free;
	}
	req->adapter = cpu_to_le32(ref.host_adapter);
	req->device = cpu_to_le32(args->device.v);
	req->context = cpu_to_le32(args->context.v);
	req->type = cpu_to_le32(args->type);
	req->flags = cpu_to_le32(args->flags);
	req->priv_size = cpu_to_le32(size);
	a.epoch = ref.epoch;
	a.req = req;
	a.reply = reply;
	ret = dxg_mem_call(ctx->ch, &a);
	if (ret)
		goto out_free;
	if (a.reply_len != a.reply_max || le32_to_cpu(reply->priv_size) != size) {
		ret = -EIO;
		goto out_free;
	}
	if (copy_to_user(u64_to_user_ptr(args->priv_drv_data), reply + 1, size))
		ret = -EFAULT;
out_free:
	kvfree(reply);
	kvfree(req);
	return ret;
}
