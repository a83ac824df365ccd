// SPDX-License-Identifier: MIT
/*
 * libd3dkmt, issue 5: sharing between processes, sync files, statistics, process enumeration,
 * feature queries, cache invalidation and heap transitions. Same rules as d3dkmt.c: one function
 * per ioctl, arguments zeroed before use, -errno returns.
 *
 * The ABI passes descriptors ("NT handles", sync files) as __u64; the wrappers use int, as every
 * other descriptor in C, and refuse negative ones before the kernel sees them.
 */
#include "d3dkmt.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static int ioctl_status(int fd, unsigned long request, void *arg)
{
	int ret = d3dkmt_ioctl(fd, request, arg);

	return ret < 0 ? ret : 0;
}

/* A descriptor the kernel wrote as a __u64: anything beyond INT_MAX is a broken driver. */
static int descriptor_out(uint64_t value, int *out)
{
	if (value > INT_MAX)
		return -EPROTO;
	*out = (int)value;
	return 0;
}

/* ---- sharing ---- */

int d3dkmt_share_objects(int fd, const struct d3dkmthandle *objects, uint32_t count,
			 uint32_t desired_access, int *nt_handle)
{
	struct d3dkmt_shareobjects args;
	int ret;

	if (!nt_handle)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.object_count = count;
	args.objects = (uintptr_t)objects;
	args.desired_access = desired_access;
	ret = ioctl_status(fd, LX_DXSHAREOBJECTS, &args);
	if (ret < 0)
		return ret;
	return descriptor_out(args.shared_handle, nt_handle);
}

int d3dkmt_open_sync_object_from_nt_handle2(int fd, int nt_handle, struct d3dkmthandle device,
					    uint32_t flags, struct d3dkmthandle *sync_object,
					    struct d3dkmt_monitored_fence *fence)
{
	struct d3dkmt_opensyncobjectfromnthandle2 args;
	int ret;

	if (!sync_object || nt_handle < 0)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.nt_handle = (uint64_t)nt_handle;
	args.device = device;
	args.flags = flags;
	ret = ioctl_status(fd, LX_DXOPENSYNCOBJECTFROMNTHANDLE2, &args);
	if (ret < 0)
		return ret;
	*sync_object = args.sync_object;
	if (fence) {
		fence->handle = args.sync_object;
		fence->value = (const volatile uint64_t *)(uintptr_t)
			       args.monitored_fence.fence_value_cpu_va;
		fence->gpu_va = args.monitored_fence.fence_value_gpu_va;
	}
	return 0;
}

int d3dkmt_query_resource_info_from_nt_handle(int fd, struct d3dkmthandle device, int nt_handle,
					      void *runtime_data, uint32_t runtime_data_size,
					      struct d3dkmt_shared_resource_info *info)
{
	struct d3dkmt_queryresourceinfofromnthandle args;
	int ret;

	if (!info || nt_handle < 0)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.device = device;
	args.nt_handle = (uint64_t)nt_handle;
	args.private_runtime_data = (uintptr_t)runtime_data;
	args.private_runtime_data_size = runtime_data_size;
	ret = ioctl_status(fd, LX_DXQUERYRESOURCEINFOFROMNTHANDLE, &args);
	if (ret < 0)
		return ret;
	info->private_runtime_data_size = args.private_runtime_data_size;
	info->total_priv_drv_data_size = args.total_priv_drv_data_size;
	info->resource_priv_drv_data_size = args.resource_priv_drv_data_size;
	info->allocation_count = args.allocation_count;
	return 0;
}

int d3dkmt_open_resource_from_nt_handle(int fd, struct d3dkmt_openresourcefromnthandle *args)
{
	if (!args)
		return -EINVAL;
	return ioctl_status(fd, LX_DXOPENRESOURCEFROMNTHANDLE, args);
}

int d3dkmt_share_object_with_host(int fd, struct d3dkmthandle device, struct d3dkmthandle object,
				  uint64_t *vail_nt_handle)
{
	struct d3dkmt_shareobjectwithhost args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.device_handle = device;
	args.object_handle = object;
	ret = ioctl_status(fd, LX_DXSHAREOBJECTWITHHOST, &args);
	if (ret < 0)
		return ret;
	if (vail_nt_handle)
		*vail_nt_handle = args.object_vail_nt_handle;
	return 0;
}

/* ---- sync files ---- */

int d3dkmt_create_sync_file(int fd, struct d3dkmthandle device,
			    struct d3dkmthandle monitored_fence, uint64_t value, int *sync_file)
{
	struct d3dkmt_createsyncfile args;
	int ret;

	if (!sync_file)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.device = device;
	args.monitored_fence = monitored_fence;
	args.fence_value = value;
	ret = ioctl_status(fd, LX_DXCREATESYNCFILE, &args);
	if (ret < 0)
		return ret;
	return descriptor_out(args.sync_file_handle, sync_file);
}

int d3dkmt_wait_sync_file(int fd, struct d3dkmthandle context, int sync_file)
{
	struct d3dkmt_waitsyncfile args;

	if (sync_file < 0)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.sync_file_handle = (uint64_t)sync_file;
	args.context = context;
	return ioctl_status(fd, LX_DXWAITSYNCFILE, &args);
}

int d3dkmt_open_sync_object_from_sync_file(int fd, struct d3dkmthandle device, int sync_file,
					   struct d3dkmt_monitored_fence *fence,
					   uint64_t *fence_value)
{
	struct d3dkmt_opensyncobjectfromsyncfile args;
	int ret;

	if (!fence || sync_file < 0)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.sync_file_handle = (uint64_t)sync_file;
	args.device = device;
	ret = ioctl_status(fd, LX_DXOPENSYNCOBJECTFROMSYNCFILE, &args);
	if (ret < 0)
		return ret;
	fence->handle = args.syncobj;
	fence->value = (const volatile uint64_t *)(uintptr_t)args.fence_value_cpu_va;
	fence->gpu_va = args.fence_value_gpu_va;
	if (fence_value)
		*fence_value = args.fence_value;
	return 0;
}

/* ---- statistics and queries ---- */

int d3dkmt_query_statistics(int fd, uint32_t type, struct winluid luid, pid_t pid, uint32_t query,
			    void *result, size_t size)
{
	struct d3dkmt_querystatistics *args;
	int ret;

	if (pid < 0 || (size && !result))
		return -EINVAL;
	/* 808 bytes: too big for a small thread's stack to take lightly. */
	args = calloc(1, sizeof(*args));
	if (!args)
		return -ENOMEM;
	args->type = type;
	args->adapter_luid = luid;
	args->process = (uint64_t)pid;
	args->query[0] = query;
	ret = ioctl_status(fd, LX_DXQUERYSTATISTICS, args);
	if (ret == 0 && size)
		memcpy(result, args->result,
		       size < sizeof(args->result) ? size : sizeof(args->result));
	free(args);
	return ret;
}

int d3dkmt_enum_processes(int fd, struct winluid luid, uint32_t *pids, uint32_t *count)
{
	struct d3dkmt_enumprocesses args;
	int ret;

	if (!count)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.adapter_luid = luid;
	args.buffer = (uintptr_t)pids;
	args.buffer_count = pids ? *count : 0;
	ret = ioctl_status(fd, LX_DXENUMPROCESSES, &args);
	/* The count comes back on success and with -EOVERFLOW. */
	if (ret == 0 || ret == -EOVERFLOW) {
		if (args.buffer_count > UINT32_MAX)
			return -EPROTO;
		*count = (uint32_t)args.buffer_count;
	}
	/* A NULL buffer asks for the count: the kernel says -EOVERFLOW, as WSL does. */
	if (ret == -EOVERFLOW && !pids)
		return 0;
	return ret;
}

int d3dkmt_enum_processes_alloc(int fd, struct winluid luid, uint32_t **pids, uint32_t *count)
{
	uint32_t want = 0, got;
	uint32_t *buf;
	int ret, tries;

	if (!pids || !count)
		return -EINVAL;
	ret = d3dkmt_enum_processes(fd, luid, NULL, &want);
	/* Processes may open the adapter between the calls: ask again with the new count. */
	for (tries = 0; ret == 0 && tries < 8; tries++) {
		if (!want) {
			*pids = NULL;
			*count = 0;
			return 0;
		}
		buf = calloc(want, sizeof(*buf));
		if (!buf)
			return -ENOMEM;
		got = want;
		ret = d3dkmt_enum_processes(fd, luid, buf, &got);
		if (ret == 0) {
			*pids = buf;
			*count = got;
			return 0;
		}
		free(buf);
		if (ret != -EOVERFLOW)
			return ret;
		want = got;
		ret = 0;
	}
	return ret < 0 ? ret : -EAGAIN;
}

int d3dkmt_is_feature_enabled(int fd, struct d3dkmthandle adapter, uint32_t feature_id,
			      struct dxgk_isfeatureenabled_result *result)
{
	struct d3dkmt_isfeatureenabled args;
	int ret;

	if (!result)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.adapter = adapter;
	args.feature_id = feature_id;
	ret = ioctl_status(fd, LX_DXISFEATUREENABLED, &args);
	if (ret < 0)
		return ret;
	*result = args.result;
	return 0;
}

int d3dkmt_flush_heap_transitions(int fd, struct d3dkmthandle adapter)
{
	struct d3dkmt_flushheaptransitions args;

	memset(&args, 0, sizeof(args));
	args.adapter = adapter;
	return ioctl_status(fd, LX_DXFLUSHHEAPTRANSITIONS, &args);
}

int d3dkmt_invalidate_cache(int fd, struct d3dkmthandle device, struct d3dkmthandle allocation,
			    uint64_t offset, uint64_t length)
{
	struct d3dkmt_invalidatecache args;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.allocation = allocation;
	args.offset = offset;
	args.length = length;
	return ioctl_status(fd, LX_DXINVALIDATECACHE, &args);
}
