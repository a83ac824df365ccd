// SPDX-License-Identifier: MIT
/*
 * libdxgc devices: opening an adapter for compute, device state, submission and fence waits.
 */
#include "dxgc_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* How long a paging operation may take before the runtime gives up on the host. */
#define PAGING_TIMEOUT_MS 120000u

int dxgc_fail(int err, const char *fmt, ...)
{
	/* Threads may race to set it: they all store the same value. */
	static int debug = -1;
	int on = __atomic_load_n(&debug, __ATOMIC_RELAXED);
	va_list ap;

	if (on < 0) {
		const char *env = getenv("DXGC_DEBUG");

		on = env && *env && strcmp(env, "0") != 0;
		__atomic_store_n(&debug, on, __ATOMIC_RELAXED);
	}
	if (!on)
		return err;
	va_start(ap, fmt);
	fputs("dxgc: ", stderr);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(-err));
	va_end(ap);
	return err;
}

void dxgc_link_add(struct dxgc_device *dev, struct dxgc_link *head, struct dxgc_link *link)
{
	pthread_mutex_lock(&dev->objects_lock);
	link->next = head->next;
	link->prev = head;
	head->next->prev = link;
	head->next = link;
	pthread_mutex_unlock(&dev->objects_lock);
}

void dxgc_link_del(struct dxgc_device *dev, struct dxgc_link *link)
{
	pthread_mutex_lock(&dev->objects_lock);
	link->prev->next = link->next;
	link->next->prev = link->prev;
	link->prev = link->next = link;
	pthread_mutex_unlock(&dev->objects_lock);
}

static void link_init(struct dxgc_link *head)
{
	head->prev = head->next = head;
}

static uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * The fallback for drivers without the CPU wait ioctl: polls @fence until it reaches @value or
 * @timeout_ms (UINT32_MAX: never) passed.
 */
static int poll_fence(const volatile uint64_t *fence, uint64_t value, unsigned int timeout_ms)
{
	const struct timespec pause = { .tv_sec = 0, .tv_nsec = 100 * 1000 };
	uint64_t deadline = monotonic_ms() + timeout_ms;

	while (d3dkmt_fence_value(fence) < value) {
		if (timeout_ms != UINT32_MAX && monotonic_ms() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&pause, NULL);
	}
	return 0;
}

/*
 * Waits until monitored fence @object (mapped at @fence) reaches @value, for at most @timeout_ms
 * (UINT32_MAX: no limit; signals never end such a wait). A blocking WAITFORSYNCHRONIZATIONOBJECT
 * FROMCPU has no timeout, so a limited wait hands the kernel an eventfd and polls that instead.
 */
static int wait_fence(struct dxgc_device *dev, struct d3dkmthandle object,
		      const volatile uint64_t *fence, uint64_t value, unsigned int timeout_ms)
{
	uint64_t deadline;
	struct pollfd pfd;
	int ret;

	if (d3dkmt_fence_value(fence) >= value)
		return 0;
	if (!__atomic_load_n(&dev->cpu_wait, __ATOMIC_RELAXED))
		return poll_fence(fence, value, timeout_ms);
	if (timeout_ms == UINT32_MAX) {
		do {
			ret = d3dkmt_wait_from_cpu(dev->fd, dev->device, &object, &value, 1, 0, -1);
		} while (ret == -EINTR);
		if (ret == -ENOTTY) {
			__atomic_store_n(&dev->cpu_wait, false, __ATOMIC_RELAXED);
			return poll_fence(fence, value, timeout_ms);
		}
		return ret < 0 ? dxgc_fail(ret, "WAITFORSYNCHRONIZATIONOBJECTFROMCPU") : 0;
	}
	if (timeout_ms == 0)
		return -ETIMEDOUT;

	pfd.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (pfd.fd < 0)
		return dxgc_fail(-errno, "eventfd");
	pfd.events = POLLIN;
	/*
	 * Descriptor 0 means "no event" in the ABI; it can only be ours when the process closed
	 * stdin. Then the fallback polls.
	 */
	ret = pfd.fd == 0 ? -ENOTTY :
	      d3dkmt_wait_from_cpu(dev->fd, dev->device, &object, &value, 1, 0, pfd.fd);
	if (ret == -ENOTTY) {
		close(pfd.fd);
		if (pfd.fd != 0)
			__atomic_store_n(&dev->cpu_wait, false, __ATOMIC_RELAXED);
		return poll_fence(fence, value, timeout_ms);
	}
	if (ret < 0) {
		close(pfd.fd);
		return dxgc_fail(ret, "WAITFORSYNCHRONIZATIONOBJECTFROMCPU (eventfd)");
	}
	deadline = monotonic_ms() + timeout_ms;
	ret = -ETIMEDOUT;
	for (;;) {
		uint64_t now = monotonic_ms();
		int n;

		if (d3dkmt_fence_value(fence) >= value) {
			ret = 0;
			break;
		}
		if (now >= deadline)
			break;
		n = poll(&pfd, 1, (int)(deadline - now));
		if (n < 0 && errno != EINTR) {
			ret = dxgc_fail(-errno, "poll");
			break;
		}
	}
	/* The kernel holds its own reference to the eventfd: closing ours leaves nothing wrong. */
	close(pfd.fd);
	return ret;
}

int dxgc_wait_paging(struct dxgc_device *dev, uint64_t value)
{
	int ret = wait_fence(dev, dev->paging.sync_object, dev->paging.fence, value,
			     PAGING_TIMEOUT_MS);

	return ret < 0 ? dxgc_fail(ret, "paging fence %llu", (unsigned long long)value) : 0;
}

/* ---- opening ---- */

static int open_objects(struct dxgc_device *dev)
{
	struct d3dkmt_context_params params = {
		.engine_affinity = 1,
		.client_hint = D3DKMT_CLIENTHINT_OPENCL,
	};
	int ret;

	ret = d3dkmt_query_opendxg_caps(dev->fd, dev->adapter, &dev->info.caps);
	if (ret < 0)
		return dxgc_fail(ret, "adapter caps");
	memcpy(dev->info.name, dev->info.caps.device_name, sizeof(dev->info.name));
	memcpy(dev->info.driver, dev->info.caps.driver_name, sizeof(dev->info.driver));
	ret = d3dkmt_create_device(dev->fd, dev->adapter, 0, &dev->device);
	if (ret < 0)
		return dxgc_fail(ret, "CREATEDEVICE");
	ret = d3dkmt_create_context_virtual(dev->fd, dev->device, &params, &dev->context);
	if (ret < 0)
		return dxgc_fail(ret, "CREATECONTEXTVIRTUAL");
	ret = d3dkmt_create_hw_queue(dev->fd, dev->context, 0, NULL, 0, &dev->queue);
	if (ret < 0)
		return dxgc_fail(ret, "CREATEHWQUEUE");
	if (!dev->queue.progress)
		return dxgc_fail(-EPROTO, "CREATEHWQUEUE gave no progress fence mapping");
	ret = d3dkmt_create_paging_queue(dev->fd, dev->device, D3DDDI_PAGINGQUEUE_PRIORITY_NORMAL,
					 &dev->paging);
	if (ret < 0)
		return dxgc_fail(ret, "CREATEPAGINGQUEUE");
	return 0;
}

/* Opens /dev/dxg and sets up everything but the adapter handle. */
static int device_alloc(struct dxgc_device **out)
{
	struct dxgc_device *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return -ENOMEM;
	dev->fd = d3dkmt_open();
	if (dev->fd < 0) {
		int ret = dev->fd;

		free(dev);
		return dxgc_fail(ret, "open " D3DKMT_DEVICE_PATH);
	}
	dev->cpu_wait = true;
	pthread_mutex_init(&dev->objects_lock, NULL);
	pthread_mutex_init(&dev->submit_lock, NULL);
	pthread_mutex_init(&dev->transfer_lock, NULL);
	link_init(&dev->objects_buffers);
	link_init(&dev->objects_programs);
	link_init(&dev->objects_cmdlists);
	*out = dev;
	return 0;
}

static int device_finish_open(struct dxgc_device *dev, struct dxgc_device **out)
{
	int ret = open_objects(dev);

	if (ret < 0) {
		dxgc_device_close(dev);
		return ret;
	}
	*out = dev;
	return 0;
}

int dxgc_adapter_count(void)
{
	struct d3dkmt_adapterinfo *adapters = NULL;
	uint32_t count = 0;
	int fd, ret;

	fd = d3dkmt_open();
	if (fd < 0)
		return fd;
	ret = d3dkmt_enum_adapters_alloc(fd, D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY, &adapters,
					 &count);
	free(adapters);
	d3dkmt_close(fd);	/* closing the descriptor closes the adapter handles too */
	return ret < 0 ? ret : (int)count;
}

int dxgc_device_open_index(uint32_t index, struct dxgc_device **out)
{
	struct d3dkmt_adapterinfo *adapters = NULL;
	struct dxgc_device *dev;
	uint32_t count = 0;
	int ret;

	if (!out)
		return -EINVAL;
	ret = device_alloc(&dev);
	if (ret < 0)
		return ret;
	ret = d3dkmt_enum_adapters_alloc(dev->fd, D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY,
					 &adapters, &count);
	if (ret < 0) {
		dxgc_device_close(dev);
		return dxgc_fail(ret, "ENUMADAPTERS3");
	}
	/* Enumeration opened every adapter: keep the chosen one, close the others. */
	for (uint32_t i = 0; i < count; i++) {
		if (i == index) {
			dev->adapter = adapters[i].adapter_handle;
			dev->info.luid = adapters[i].adapter_luid;
		} else {
			d3dkmt_close_adapter(dev->fd, adapters[i].adapter_handle);
		}
	}
	free(adapters);
	if (index >= count) {
		dxgc_device_close(dev);
		return dxgc_fail(-ENOENT, "adapter %u (%u present)", index, count);
	}
	dev->info.index = index;
	return device_finish_open(dev, out);
}

int dxgc_device_open(struct dxgc_device **out)
{
	return dxgc_device_open_index(0, out);
}

int dxgc_device_open_luid(struct winluid luid, struct dxgc_device **out)
{
	struct dxgc_device *dev;
	int ret;

	if (!out)
		return -EINVAL;
	ret = device_alloc(&dev);
	if (ret < 0)
		return ret;
	ret = d3dkmt_open_adapter_from_luid(dev->fd, luid, &dev->adapter);
	if (ret < 0) {
		dxgc_device_close(dev);
		return dxgc_fail(ret, "OPENADAPTERFROMLUID %08x:%08x", luid.b, luid.a);
	}
	dev->info.luid = luid;
	dev->info.index = UINT32_MAX;
	return device_finish_open(dev, out);
}

void dxgc_device_close(struct dxgc_device *dev)
{
	if (!dev)
		return;
	if (dev->queue.handle.v)
		dxgc_finish(dev);
	/* What the caller left behind: user memory only, DESTROYDEVICE frees the rest. */
	dev->closing = true;
	while (dev->objects_cmdlists.next != &dev->objects_cmdlists)
		dxgc_cmdlist_release((struct dxgc_cmdlist *)dev->objects_cmdlists.next);
	while (dev->objects_programs.next != &dev->objects_programs)
		dxgc_program_release((struct dxgc_program *)dev->objects_programs.next);
	while (dev->objects_buffers.next != &dev->objects_buffers)
		dxgc_buffer_release((struct dxgc_buffer *)dev->objects_buffers.next);
	dev->staging = NULL;
	dev->transfer_list = NULL;
	dev->cmd_alloc = NULL;
	/*
	 * Host objects belong to the process, not to the descriptor: closing this descriptor frees
	 * nothing while the process has another one open (a second device, say). DESTROYDEVICE
	 * takes the device's contexts, queues, allocations and fences with it; the adapter
	 * reference goes with CLOSEADAPTER.
	 */
	if (dev->device.v)
		d3dkmt_destroy_device(dev->fd, dev->device);
	if (dev->adapter.v)
		d3dkmt_close_adapter(dev->fd, dev->adapter);
	d3dkmt_close(dev->fd);
	pthread_mutex_destroy(&dev->objects_lock);
	pthread_mutex_destroy(&dev->submit_lock);
	pthread_mutex_destroy(&dev->transfer_lock);
	free(dev);
}

const struct dxgc_device_info *dxgc_device_info(const struct dxgc_device *dev)
{
	return &dev->info;
}

void dxgc_device_handles(const struct dxgc_device *dev, struct dxgc_handles *out)
{
	out->fd = dev->fd;
	out->adapter = dev->adapter;
	out->device = dev->device;
	out->context = dev->context;
	out->queue = dev->queue;
	out->paging_queue = dev->paging;
}

double dxgc_timestamp_ns(const struct dxgc_device *dev, uint64_t ticks)
{
	return (double)ticks * (double)dev->info.caps.timestamp_period_ps / 1000.0;
}

/* ---- state ---- */

const char *dxgc_execution_state_name(uint32_t execution_state)
{
	switch (execution_state) {
	case D3DKMT_DEVICEEXECUTION_ACTIVE:
		return "ACTIVE";
	case D3DKMT_DEVICEEXECUTION_RESET:
		return "RESET";
	case D3DKMT_DEVICEEXECUTION_HUNG:
		return "HUNG";
	case D3DKMT_DEVICEEXECUTION_STOPPED:
		return "STOPPED";
	case D3DKMT_DEVICEEXECUTION_ERROR_OUTOFMEMORY:
		return "ERROR_OUTOFMEMORY";
	case D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT:
		return "ERROR_DMAFAULT";
	case D3DKMT_DEVICEEXECUTION_ERROR_DMAPAGEFAULT:
		return "ERROR_DMAPAGEFAULT";
	default:
		return "?";
	}
}

int dxgc_device_status(struct dxgc_device *dev, struct dxgc_fault *fault)
{
	struct d3dkmt_devicepagefault_state pf;
	uint32_t state = 0;
	int ret;

	if (fault)
		memset(fault, 0, sizeof(*fault));
	ret = d3dkmt_get_execution_state(dev->fd, dev->device, &state);
	if (ret < 0)
		return dxgc_fail(ret, "GETDEVICESTATE");
	if (fault)
		fault->execution_state = state;
	if (state == D3DKMT_DEVICEEXECUTION_ACTIVE)
		return 0;
	/* Only a context that took a page fault has an address; the others are -EINVAL here. */
	if (fault && d3dkmt_get_page_fault(dev->fd, dev->device, &pf) == 0) {
		fault->has_page_fault = 1;
		fault->address = pf.faulted_virtual_address;
		fault->flags = pf.page_fault_flags;
		fault->sequence = pf.faulted_primitive_api_sequence_number;
	}
	return -ENODEV;
}

/* ---- submission and waits ---- */

/* Makes the command allocation hold at least @size bytes. Called under submit_lock. */
static int reserve_cmd_alloc(struct dxgc_device *dev, uint32_t size)
{
	struct dxgc_buffer *bigger;
	uint64_t capacity = DXGC_CMD_ALLOC_MIN;
	int ret;

	if (dev->cmd_alloc && dev->cmd_alloc->size >= size)
		return 0;
	while (capacity < size)
		capacity *= 2;
	ret = dxgc_buffer_create_internal(dev, DXGC_MEMORY_HOST_VISIBLE, capacity, &bigger);
	if (ret < 0)
		return ret;
	/* The host copied every earlier buffer during its submit ioctl: the old one is free. */
	dxgc_buffer_release(dev->cmd_alloc);
	dev->cmd_alloc = bigger;
	return 0;
}

int dxgc_submit(struct dxgc_device *dev, struct dxgc_cmdlist *list, uint64_t *fence_value)
{
	uint32_t size;
	uint64_t value;
	int ret;

	if (!dev || !list || list->dev != dev)
		return -EINVAL;
	size = d3dkmt_cmdbuf_finish(&list->cb);
	pthread_mutex_lock(&dev->submit_lock);
	ret = reserve_cmd_alloc(dev, size);
	if (ret < 0)
		goto out;
	memcpy(dev->cmd_alloc->cpu, list->cb.data, size);
	value = dev->last_submitted + 1;
	ret = d3dkmt_submit_to_hw_queue(dev->fd, dev->queue.handle, value, dev->cmd_alloc->gpu_va,
					size);
	if (ret < 0) {
		dxgc_fail(ret, "SUBMITCOMMANDTOHWQUEUE (%u bytes, %u commands)", size,
			  list->cb.packet_count);
		goto out;
	}
	__atomic_store_n(&dev->last_submitted, value, __ATOMIC_RELEASE);
	if (fence_value)
		*fence_value = value;
out:
	pthread_mutex_unlock(&dev->submit_lock);
	return ret;
}

uint64_t dxgc_fence_completed(const struct dxgc_device *dev)
{
	return d3dkmt_fence_value(dev->queue.progress);
}

uint64_t dxgc_fence_submitted(const struct dxgc_device *dev)
{
	return __atomic_load_n(&dev->last_submitted, __ATOMIC_ACQUIRE);
}

static int wait_progress(struct dxgc_device *dev, uint64_t value, unsigned int timeout_ms)
{
	int ret;

	if (!dev || value > dxgc_fence_submitted(dev))
		return -EINVAL;
	ret = wait_fence(dev, dev->queue.progress_fence, dev->queue.progress, value, timeout_ms);
	if (ret < 0)
		return ret;
	/* A broken queue sets its progress fence to the maximum: every wait ends, in error. */
	if (dxgc_fence_completed(dev) == UINT64_MAX)
		return dxgc_fail(-ENODEV, "the device was lost (progress fence at its maximum)");
	return 0;
}

int dxgc_wait(struct dxgc_device *dev, uint64_t fence_value)
{
	return wait_progress(dev, fence_value, UINT32_MAX);
}

int dxgc_wait_timeout(struct dxgc_device *dev, uint64_t fence_value, unsigned int timeout_ms)
{
	if (timeout_ms == UINT32_MAX)
		timeout_ms--;
	return wait_progress(dev, fence_value, timeout_ms);
}

int dxgc_finish(struct dxgc_device *dev)
{
	if (!dev)
		return -EINVAL;
	return wait_progress(dev, dxgc_fence_submitted(dev), UINT32_MAX);
}
