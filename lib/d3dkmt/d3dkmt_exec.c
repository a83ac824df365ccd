// SPDX-License-Identifier: MIT
/*
 * libd3dkmt, execution (issue 4): synchronization objects, hardware queues, submission, device
 * state, priorities, clock calibration and escapes. Same rules as d3dkmt.c: one function per
 * ioctl, arguments zeroed before use, -errno returns.
 */
#include "d3dkmt.h"

#include <errno.h>
#include <string.h>

/* Most ioctls answer 0 or a negative errno; the few that pass NTSTATUS values say so. */
static int ioctl_status(int fd, unsigned long request, void *arg)
{
	int ret = d3dkmt_ioctl(fd, request, arg);

	return ret < 0 ? ret : 0;
}

/* ---- synchronization objects ---- */

int d3dkmt_create_sync_object(int fd, struct d3dkmthandle device,
			      struct d3dddi_synchronizationobjectinfo2 *info,
			      struct d3dkmthandle *sync_object)
{
	struct d3dkmt_createsynchronizationobject2 args;
	int ret;

	if (!info || !sync_object)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.device = device;
	args.info = *info;
	ret = ioctl_status(fd, LX_DXCREATESYNCHRONIZATIONOBJECT, &args);
	if (ret < 0)
		return ret;
	*info = args.info;
	*sync_object = args.sync_object;
	return 0;
}

int d3dkmt_create_monitored_fence(int fd, struct d3dkmthandle device, uint64_t initial_value,
				  uint32_t flags, struct d3dkmt_monitored_fence *fence)
{
	struct d3dddi_synchronizationobjectinfo2 info;
	struct d3dkmthandle handle;
	int ret;

	if (!fence)
		return -EINVAL;
	memset(&info, 0, sizeof(info));
	info.type = D3DDDI_MONITORED_FENCE;
	info.flags = flags;
	info.monitored_fence.initial_fence_value = initial_value;
	ret = d3dkmt_create_sync_object(fd, device, &info, &handle);
	if (ret < 0)
		return ret;
	fence->handle = handle;
	fence->value = (const volatile uint64_t *)(uintptr_t)
		       info.monitored_fence.fence_cpu_virtual_address;
	fence->gpu_va = info.monitored_fence.fence_gpu_virtual_address;
	return 0;
}

int d3dkmt_destroy_sync_object(int fd, struct d3dkmthandle sync_object)
{
	struct d3dkmt_destroysynchronizationobject args;

	memset(&args, 0, sizeof(args));
	args.sync_object = sync_object;
	return ioctl_status(fd, LX_DXDESTROYSYNCHRONIZATIONOBJECT, &args);
}

int d3dkmt_wait_from_cpu(int fd, struct d3dkmthandle device, const struct d3dkmthandle *objects,
			 const uint64_t *values, uint32_t count, uint32_t flags, int async_event)
{
	struct d3dkmt_waitforsynchronizationobjectfromcpu args;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.object_count = count;
	args.objects = (uintptr_t)objects;
	args.fence_values = (uintptr_t)values;
	/* The ABI says "no event" with 0, which is also a valid descriptor number: refuse it. */
	if (async_event == 0)
		return -EINVAL;
	args.async_event = async_event < 0 ? 0 : (uint64_t)async_event;
	args.flags = flags;
	return ioctl_status(fd, LX_DXWAITFORSYNCHRONIZATIONOBJECTFROMCPU, &args);
}

int d3dkmt_signal_from_cpu(int fd, struct d3dkmthandle device, const struct d3dkmthandle *objects,
			   const uint64_t *values, uint32_t count, uint32_t flags)
{
	struct d3dkmt_signalsynchronizationobjectfromcpu args;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.object_count = count;
	args.objects = (uintptr_t)objects;
	args.fence_values = (uintptr_t)values;
	args.flags = flags;
	return ioctl_status(fd, LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMCPU, &args);
}

int d3dkmt_signal_sync_object2(int fd, struct d3dkmthandle context,
			       const struct d3dkmthandle *contexts, uint32_t context_count,
			       const struct d3dkmthandle *objects, uint32_t count, uint32_t flags,
			       uint64_t fence_value)
{
	struct d3dkmt_signalsynchronizationobject2 args;

	/* The ABI carries the lists inline: longer ones cannot be expressed at all. */
	if (count > D3DDDI_MAX_OBJECT_SIGNALED || context_count >= D3DDDI_MAX_BROADCAST_CONTEXT ||
	    (count && !objects) || (context_count && !contexts))
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.context = context;
	args.object_count = count;
	if (count)
		memcpy(args.object_array, objects, count * sizeof(*objects));
	args.flags = flags;
	args.context_count = context_count;
	if (context_count)
		memcpy(args.contexts, contexts, context_count * sizeof(*contexts));
	args.fence_value = fence_value;
	return ioctl_status(fd, LX_DXSIGNALSYNCHRONIZATIONOBJECT, &args);
}

int d3dkmt_wait_sync_object2(int fd, struct d3dkmthandle context,
			     const struct d3dkmthandle *objects, uint32_t count,
			     uint64_t fence_value)
{
	struct d3dkmt_waitforsynchronizationobject2 args;

	if (count > D3DDDI_MAX_OBJECT_WAITED_ON || (count && !objects))
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.context = context;
	args.object_count = count;
	if (count)
		memcpy(args.object_array, objects, count * sizeof(*objects));
	args.fence_value = fence_value;
	return ioctl_status(fd, LX_DXWAITFORSYNCHRONIZATIONOBJECT, &args);
}

int d3dkmt_signal_from_gpu(int fd, struct d3dkmthandle context,
			   const struct d3dkmthandle *objects, const uint64_t *values,
			   uint32_t count)
{
	struct d3dkmt_signalsynchronizationobjectfromgpu args;

	memset(&args, 0, sizeof(args));
	args.context = context;
	args.object_count = count;
	args.objects = (uintptr_t)objects;
	args.monitored_fence_values = (uintptr_t)values;
	return ioctl_status(fd, LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMGPU, &args);
}

int d3dkmt_signal_from_gpu2(int fd, const struct d3dkmthandle *contexts, uint32_t context_count,
			    const struct d3dkmthandle *objects, const uint64_t *values,
			    uint32_t count, uint32_t flags)
{
	struct d3dkmt_signalsynchronizationobjectfromgpu2 args;

	memset(&args, 0, sizeof(args));
	args.object_count = count;
	args.objects = (uintptr_t)objects;
	args.flags = flags;
	args.context_count = context_count;
	args.contexts = (uintptr_t)contexts;
	args.monitored_fence_values = (uintptr_t)values;
	return ioctl_status(fd, LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMGPU2, &args);
}

int d3dkmt_wait_from_gpu(int fd, struct d3dkmthandle context, const struct d3dkmthandle *objects,
			 const uint64_t *values, uint32_t count)
{
	struct d3dkmt_waitforsynchronizationobjectfromgpu args;

	memset(&args, 0, sizeof(args));
	args.context = context;
	args.object_count = count;
	args.objects = (uintptr_t)objects;
	args.monitored_fence_values = (uintptr_t)values;
	return ioctl_status(fd, LX_DXWAITFORSYNCHRONIZATIONOBJECTFROMGPU, &args);
}

int d3dkmt_wait_paging_queue(int fd, struct d3dkmthandle device,
			     const struct d3dkmt_paging_queue *queue, uint64_t value)
{
	if (!queue)
		return -EINVAL;
	if (queue->fence && d3dkmt_fence_value(queue->fence) >= value)
		return 0;
	return d3dkmt_wait_from_cpu(fd, device, &queue->sync_object, &value, 1, 0, -1);
}

/* ---- queues and submission ---- */

int d3dkmt_create_hw_queue(int fd, struct d3dkmthandle context, uint32_t flags,
			   const void *priv_data, uint32_t priv_data_size,
			   struct d3dkmt_hw_queue *queue)
{
	struct d3dkmt_createhwqueue args;
	int ret;

	if (!queue)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.context = context;
	args.flags = flags;
	args.priv_drv_data_size = priv_data_size;
	args.priv_drv_data = (uintptr_t)priv_data;
	ret = ioctl_status(fd, LX_DXCREATEHWQUEUE, &args);
	if (ret < 0)
		return ret;
	queue->handle = args.queue;
	queue->progress_fence = args.queue_progress_fence;
	queue->progress = (const volatile uint64_t *)(uintptr_t)args.queue_progress_fence_cpu_va;
	queue->progress_gpu_va = args.queue_progress_fence_gpu_va;
	return 0;
}

int d3dkmt_destroy_hw_queue(int fd, struct d3dkmthandle queue)
{
	struct d3dkmt_destroyhwqueue args;

	memset(&args, 0, sizeof(args));
	args.queue = queue;
	return ioctl_status(fd, LX_DXDESTROYHWQUEUE, &args);
}

int d3dkmt_submit_command_args(int fd, struct d3dkmt_submitcommand *args)
{
	return ioctl_status(fd, LX_DXSUBMITCOMMAND, args);
}

int d3dkmt_submit_command(int fd, struct d3dkmthandle context, uint64_t command_buffer,
			  uint32_t length, uint32_t flags)
{
	struct d3dkmt_submitcommand args;

	memset(&args, 0, sizeof(args));
	args.command_buffer = command_buffer;
	args.command_length = length;
	args.flags = flags;
	args.broadcast_context_count = 1;
	args.broadcast_context[0] = context;
	return d3dkmt_submit_command_args(fd, &args);
}

int d3dkmt_submit_to_hw_queue(int fd, struct d3dkmthandle queue, uint64_t progress_value,
			      uint64_t command_buffer, uint32_t length)
{
	struct d3dkmt_submitcommandtohwqueue args;

	memset(&args, 0, sizeof(args));
	args.hwqueue = queue;
	args.hwqueue_progress_fence_id = progress_value;
	args.command_buffer = command_buffer;
	args.command_length = length;
	return ioctl_status(fd, LX_DXSUBMITCOMMANDTOHWQUEUE, &args);
}

int d3dkmt_signal_hw_queues(int fd, const struct d3dkmthandle *queues, uint32_t queue_count,
			    const struct d3dkmthandle *objects, const uint64_t *values,
			    uint32_t count, uint32_t flags)
{
	struct d3dkmt_submitsignalsyncobjectstohwqueue args;

	memset(&args, 0, sizeof(args));
	args.flags = flags;
	args.hwqueue_count = queue_count;
	args.hwqueues = (uintptr_t)queues;
	args.object_count = count;
	args.objects = (uintptr_t)objects;
	args.fence_values = (uintptr_t)values;
	return ioctl_status(fd, LX_DXSUBMITSIGNALSYNCOBJECTSTOHWQUEUE, &args);
}

int d3dkmt_wait_hw_queue(int fd, struct d3dkmthandle queue, const struct d3dkmthandle *objects,
			 const uint64_t *values, uint32_t count)
{
	struct d3dkmt_submitwaitforsyncobjectstohwqueue args;

	memset(&args, 0, sizeof(args));
	args.hwqueue = queue;
	args.object_count = count;
	args.objects = (uintptr_t)objects;
	args.fence_values = (uintptr_t)values;
	return ioctl_status(fd, LX_DXSUBMITWAITFORSYNCOBJECTSTOHWQUEUE, &args);
}

/* ---- device state, priorities, clocks, escapes ---- */

int d3dkmt_get_device_state(int fd, struct d3dkmt_getdevicestate *state)
{
	if (!state)
		return -EINVAL;
	return ioctl_status(fd, LX_DXGETDEVICESTATE, state);
}

int d3dkmt_get_execution_state(int fd, struct d3dkmthandle device, uint32_t *execution_state)
{
	struct d3dkmt_getdevicestate args;
	int ret;

	if (!execution_state)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.device = device;
	args.state_type = D3DKMT_DEVICESTATE_EXECUTION;
	ret = d3dkmt_get_device_state(fd, &args);
	if (ret == 0)
		*execution_state = args.execution_state;
	return ret;
}

int d3dkmt_get_page_fault(int fd, struct d3dkmthandle device,
			  struct d3dkmt_devicepagefault_state *fault)
{
	struct d3dkmt_getdevicestate args;
	int ret;

	if (!fault)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.device = device;
	args.state_type = D3DKMT_DEVICESTATE_PAGE_FAULT;
	ret = d3dkmt_get_device_state(fd, &args);
	if (ret == 0)
		*fault = args.page_fault_state;
	return ret;
}

int d3dkmt_mark_device_as_error(int fd, struct d3dkmthandle device, uint32_t reason)
{
	struct d3dkmt_markdeviceaserror args;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.reason = reason;
	return ioctl_status(fd, LX_DXMARKDEVICEASERROR, &args);
}

int d3dkmt_set_context_scheduling_priority(int fd, struct d3dkmthandle context, int32_t priority)
{
	struct d3dkmt_setcontextschedulingpriority args;

	memset(&args, 0, sizeof(args));
	args.context = context;
	args.priority = priority;
	return ioctl_status(fd, LX_DXSETCONTEXTSCHEDULINGPRIORITY, &args);
}

int d3dkmt_get_context_scheduling_priority(int fd, struct d3dkmthandle context,
					   int32_t *priority)
{
	struct d3dkmt_getcontextschedulingpriority args;
	int ret;

	if (!priority)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.context = context;
	ret = ioctl_status(fd, LX_DXGETCONTEXTSCHEDULINGPRIORITY, &args);
	if (ret == 0)
		*priority = args.priority;
	return ret;
}

int d3dkmt_set_context_in_process_scheduling_priority(int fd, struct d3dkmthandle context,
						      int32_t priority)
{
	struct d3dkmt_setcontextinprocessschedulingpriority args;

	memset(&args, 0, sizeof(args));
	args.context = context;
	args.priority = priority;
	return ioctl_status(fd, LX_DXSETCONTEXTINPROCESSSCHEDULINGPRIORITY, &args);
}

int d3dkmt_get_context_in_process_scheduling_priority(int fd, struct d3dkmthandle context,
						      int32_t *priority)
{
	struct d3dkmt_getcontextinprocessschedulingpriority args;
	int ret;

	if (!priority)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.context = context;
	ret = ioctl_status(fd, LX_DXGETCONTEXTINPROCESSSCHEDULINGPRIORITY, &args);
	if (ret == 0)
		*priority = args.priority;
	return ret;
}

int d3dkmt_query_clock_calibration(int fd, struct d3dkmthandle adapter, uint32_t node_ordinal,
				   struct d3dkmt_clock_calibration *clock)
{
	struct d3dkmt_queryclockcalibration args;
	int ret;

	if (!clock)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.adapter = adapter;
	args.node_ordinal = node_ordinal;
	ret = ioctl_status(fd, LX_DXQUERYCLOCKCALIBRATION, &args);
	if (ret < 0)
		return ret;
	/* Member reads through the packed struct: the compiler emits unaligned-safe loads. */
	clock->gpu_frequency = args.clock_data.gpu_frequency;
	clock->gpu_clock_counter = args.clock_data.gpu_clock_counter;
	clock->cpu_clock_counter = args.clock_data.cpu_clock_counter;
	clock->flags = args.clock_data.flags;
	return 0;
}

int d3dkmt_escape(int fd, struct d3dkmt_escape *args)
{
	if (!args)
		return -EINVAL;
	return ioctl_status(fd, LX_DXESCAPE, args);
}

int d3dkmt_escape_context_stats(int fd, struct d3dkmthandle adapter, struct d3dkmthandle device,
				struct d3dkmthandle context,
				struct opendxg_escape_context_stats *stats)
{
	struct d3dkmt_escape args;
	int ret;

	if (!stats)
		return -EINVAL;
	memset(stats, 0, sizeof(*stats));
	stats->hdr.code = OPENDXG_ESCAPE_CONTEXT_STATS;
	stats->hdr.size = sizeof(*stats);
	memset(&args, 0, sizeof(args));
	args.adapter = adapter;
	args.device = device;
	args.type = D3DKMT_ESCAPE_DRIVERPRIVATE;
	args.priv_drv_data = (uintptr_t)stats;
	args.priv_drv_data_size = sizeof(*stats);
	args.context = context;
	ret = d3dkmt_escape(fd, &args);
	if (ret < 0)
		return ret;
	/* Escapes answer in place: a header that changed means we do not understand the answer. */
	if (stats->hdr.code != OPENDXG_ESCAPE_CONTEXT_STATS || stats->hdr.size != sizeof(*stats))
		return -EPROTO;
	return 0;
}
