// SPDX-License-Identifier: MIT
/*
 * Raw-ioctl set-up helpers of the WSL compatibility suite (see compat.h).
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define COMPAT_MAX_ADAPTERS 16u
/* A worker restart re-announces the adapters within seconds; TCG guests can be slow. */
#define COMPAT_ADAPTER_TRIES 400u
#define COMPAT_ADAPTER_RETRY_MS 50u

int compat_ioctl(int fd, unsigned long code, void *args)
{
	int ret = ioctl(fd, code, args);

	return ret < 0 ? -errno : ret;
}

int compat_open(void)
{
	int fd = open("/dev/dxg", O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int compat_open_or_skip(void)
{
	int fd = compat_open();

	if (fd < 0)
		tap_skip_all("no /dev/dxg: %s", errno_name(-fd));
	return fd;
}

void compat_sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int compat_close_adapter(int fd, struct d3dkmthandle adapter)
{
	struct d3dkmt_closeadapter args = { .adapter_handle = adapter };

	return compat_ioctl(fd, LX_DXCLOSEADAPTER, &args);
}

int compat_first_adapter(int fd, struct d3dkmthandle *adapter, struct winluid *luid)
{
	struct d3dkmt_adapterinfo info[COMPAT_MAX_ADAPTERS];
	int count = 0;

	for (unsigned int attempt = 0; attempt < COMPAT_ADAPTER_TRIES; attempt++) {
		memset(info, 0, sizeof(info));
		count = guest_enum_adapters(fd, info, COMPAT_MAX_ADAPTERS);
		if (count != 0)
			break;
		compat_sleep_ms(COMPAT_ADAPTER_RETRY_MS);
	}
	if (count < 0)
		return count;
	if (count == 0)
		return -ENODEV;
	for (int i = 1; i < count; i++)
		compat_close_adapter(fd, info[i].adapter_handle);
	*adapter = info[0].adapter_handle;
	if (luid)
		*luid = info[0].adapter_luid;
	return 0;
}

void compat_first_adapter_or_skip(int fd, struct d3dkmthandle *adapter, struct winluid *luid)
{
	int ret = compat_first_adapter(fd, adapter, luid);

	if (ret < 0)
		tap_skip_all("no adapter: %s", errno_name(-ret));
}

int compat_create_device(int fd, struct d3dkmthandle adapter, struct d3dkmthandle *device)
{
	struct d3dkmt_createdevice args = { .adapter = adapter };
	int ret = compat_ioctl(fd, LX_DXCREATEDEVICE, &args);

	if (ret >= 0)
		*device = args.device;
	return ret;
}

int compat_destroy_device(int fd, struct d3dkmthandle device)
{
	struct d3dkmt_destroydevice args = { .device = device };

	return compat_ioctl(fd, LX_DXDESTROYDEVICE, &args);
}

int compat_create_context(int fd, struct d3dkmthandle device, struct d3dkmthandle *context)
{
	struct d3dkmt_createcontextvirtual args = {
		.device = device,
		.engine_affinity = 1,
		.client_hint = D3DKMT_CLIENTHINT_CDD,
	};
	int ret = compat_ioctl(fd, LX_DXCREATECONTEXTVIRTUAL, &args);

	if (ret >= 0)
		*context = args.context;
	return ret;
}

int compat_destroy_context(int fd, struct d3dkmthandle context)
{
	struct d3dkmt_destroycontext args = { .context = context };

	return compat_ioctl(fd, LX_DXDESTROYCONTEXT, &args);
}

void compat_alloc_priv(struct opendxg_alloc_priv *priv, uint32_t kind, uint64_t size)
{
	memset(priv, 0, sizeof(*priv));
	priv->version = OPENDXG_ALLOC_PRIV_VERSION;
	priv->kind = kind;
	priv->header_size = sizeof(*priv);
	priv->size = size;
}

int compat_create_host_visible(int fd, struct d3dkmthandle device, uint64_t size,
			       struct d3dkmthandle *allocation)
{
	struct opendxg_alloc_priv priv;
	struct d3dddi_allocationinfo2 info = { 0 };
	struct d3dkmt_createallocation args = { 0 };
	int ret;

	compat_alloc_priv(&priv, OPENDXG_ALLOC_KIND_HOST_VISIBLE, size);
	info.priv_drv_data = (uintptr_t)&priv;
	info.priv_drv_data_size = sizeof(priv);
	args.device = device;
	args.alloc_count = 1;
	args.allocation_info = (uintptr_t)&info;
	ret = compat_ioctl(fd, LX_DXCREATEALLOCATION, &args);
	if (ret >= 0)
		*allocation = info.allocation;
	return ret;
}

int compat_create_shared_resource(int fd, struct d3dkmthandle device, uint64_t size,
				  uint32_t count, uint32_t runtime_size,
				  struct d3dkmthandle *resource, struct d3dkmthandle *allocations)
{
	struct opendxg_alloc_priv *priv = calloc(count, sizeof(*priv));
	struct d3dddi_allocationinfo2 *info = calloc(count, sizeof(*info));
	uint8_t *runtime = runtime_size ? malloc(runtime_size) : NULL;
	struct d3dkmt_createallocation args = { 0 };
	int ret = -ENOMEM;

	if (!priv || !info || (runtime_size && !runtime))
		goto out;
	for (uint32_t i = 0; i < runtime_size; i++)
		runtime[i] = (uint8_t)(0xa0 + i);
	for (uint32_t i = 0; i < count; i++) {
		compat_alloc_priv(&priv[i], OPENDXG_ALLOC_KIND_HOST_VISIBLE, size);
		info[i].priv_drv_data = (uintptr_t)&priv[i];
		info[i].priv_drv_data_size = sizeof(priv[i]);
	}
	args.device = device;
	args.private_runtime_data = (uintptr_t)runtime;
	args.private_runtime_data_size = runtime_size;
	args.alloc_count = count;
	args.allocation_info = (uintptr_t)info;
	args.flags = D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE |
		     D3DKMT_CREATEALLOCATION_FLAG_CREATE_SHARED |
		     D3DKMT_CREATEALLOCATION_FLAG_NT_SECURITY_SHARING;
	ret = compat_ioctl(fd, LX_DXCREATEALLOCATION, &args);
	if (ret >= 0) {
		*resource = args.resource;
		for (uint32_t i = 0; i < count; i++)
			allocations[i] = info[i].allocation;
	}
out:
	free(priv);
	free(info);
	free(runtime);
	return ret;
}

int compat_destroy_allocation(int fd, struct d3dkmthandle device, struct d3dkmthandle allocation)
{
	struct d3dkmt_destroyallocation2 args = {
		.device = device,
		.allocations = (uintptr_t)&allocation,
		.alloc_count = 1,
	};

	return compat_ioctl(fd, LX_DXDESTROYALLOCATION2, &args);
}

int compat_destroy_resource(int fd, struct d3dkmthandle device, struct d3dkmthandle resource)
{
	struct d3dkmt_destroyallocation2 args = { .device = device, .resource = resource };

	return compat_ioctl(fd, LX_DXDESTROYALLOCATION2, &args);
}

int compat_lock2(int fd, struct d3dkmthandle device, struct d3dkmthandle allocation, void **cpu)
{
	struct d3dkmt_lock2 args = { .device = device, .allocation = allocation };
	int ret = compat_ioctl(fd, LX_DXLOCK2, &args);

	if (ret >= 0)
		*cpu = (void *)(uintptr_t)args.data;
	return ret;
}

int compat_unlock2(int fd, struct d3dkmthandle device, struct d3dkmthandle allocation)
{
	struct d3dkmt_unlock2 args = { .device = device, .allocation = allocation };

	return compat_ioctl(fd, LX_DXUNLOCK2, &args);
}

int compat_create_monitored_fence(int fd, struct d3dkmthandle device, uint32_t flags,
				  uint64_t initial, struct d3dkmthandle *fence,
				  volatile uint64_t **cpu_va)
{
	struct d3dkmt_createsynchronizationobject2 args = { .device = device };
	int ret;

	args.info.type = D3DDDI_MONITORED_FENCE;
	args.info.flags = flags;
	args.info.monitored_fence.initial_fence_value = initial;
	args.info.monitored_fence.engine_affinity = 1;
	ret = compat_ioctl(fd, LX_DXCREATESYNCHRONIZATIONOBJECT, &args);
	if (ret >= 0) {
		*fence = args.sync_object;
		if (cpu_va)
			*cpu_va = (volatile uint64_t *)(uintptr_t)
					  args.info.monitored_fence.fence_cpu_virtual_address;
	}
	return ret;
}

int compat_destroy_sync(int fd, struct d3dkmthandle sync_object)
{
	struct d3dkmt_destroysynchronizationobject args = { .sync_object = sync_object };

	return compat_ioctl(fd, LX_DXDESTROYSYNCHRONIZATIONOBJECT, &args);
}

int compat_signal_cpu(int fd, struct d3dkmthandle device, struct d3dkmthandle fence,
		      uint64_t value)
{
	struct d3dkmt_signalsynchronizationobjectfromcpu args = {
		.device = device,
		.object_count = 1,
		.objects = (uintptr_t)&fence,
		.fence_values = (uintptr_t)&value,
	};

	return compat_ioctl(fd, LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMCPU, &args);
}

int compat_wait_cpu(int fd, struct d3dkmthandle device, struct d3dkmthandle fence,
		    uint64_t value)
{
	struct d3dkmt_waitforsynchronizationobjectfromcpu args = {
		.device = device,
		.object_count = 1,
		.objects = (uintptr_t)&fence,
		.fence_values = (uintptr_t)&value,
	};

	return compat_ioctl(fd, LX_DXWAITFORSYNCHRONIZATIONOBJECTFROMCPU, &args);
}

int compat_share(int fd, struct d3dkmthandle object, uint32_t access)
{
	uint64_t shared = UINT64_MAX;
	struct d3dkmt_shareobjects args = {
		.object_count = 1,
		.objects = (uintptr_t)&object,
		.desired_access = access,
		.shared_handle = (uintptr_t)&shared,
	};
	int ret = compat_ioctl(fd, LX_DXSHAREOBJECTS, &args);

	if (ret < 0)
		return ret;
	return shared > INT32_MAX ? -ERANGE : (int)shared;
}

int compat_usage(int fd, struct d3dkmthandle adapter, uint32_t group, uint64_t *usage)
{
	struct d3dkmt_queryvideomemoryinfo args = { .adapter = adapter,
						    .memory_segment_group = group };
	int ret = compat_ioctl(fd, LX_DXQUERYVIDEOMEMORYINFO, &args);

	if (ret >= 0)
		*usage = args.current_usage;
	return ret;
}

int compat_vm_stats(int fd, struct d3dkmthandle adapter, struct opendxg_vm_stats *stats)
{
	struct d3dkmt_queryadapterinfo args = {
		.adapter = adapter,
		.type = OPENDXG_QAI_VM_STATS,
		.private_data = (uintptr_t)stats,
		.private_data_size = sizeof(*stats),
	};

	memset(stats, 0, sizeof(*stats));
	return compat_ioctl(fd, LX_DXQUERYADAPTERINFO, &args);
}

int compat_read_all(int fd, void *buf, size_t size)
{
	uint8_t *p = buf;

	while (size) {
		ssize_t n = read(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

int compat_write_all(int fd, const void *buf, size_t size)
{
	const uint8_t *p = buf;

	while (size) {
		ssize_t n = write(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		size -= (size_t)n;
	}
	return 0;
}
