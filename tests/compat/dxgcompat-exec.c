// SPDX-License-Identifier: MIT
/*
 * dxgcompat-exec: execution in the WSL ABI (0x18 CREATEHWQUEUE, 0x1b DESTROYHWQUEUE, 0x34
 * SUBMITCOMMANDTOHWQUEUE, 0x35 SUBMITSIGNALSYNCOBJECTSTOHWQUEUE, 0x36
 * SUBMITWAITFORSYNCOBJECTSTOHWQUEUE, 0x0f SUBMITCOMMAND), against the WSL driver's semantics with
 * raw ioctls. The command buffers are opendxg's format (docs/cmdbuf.md), as a UMD would write
 * them; their results are compared with the same computation on the CPU, read through LOCK2.
 *
 * - A hardware queue comes with a progress fence mapped into the caller; SUBMITCOMMANDTOHWQUEUE
 *   makes it take the submission's progress_fence_id once the buffer completed.
 * - A wait queued on a hardware queue holds back everything behind it until the CPU signals;
 *   a signal queued on it happens after what was submitted before.
 * - Broadcast limits: SUBMITSIGNALSYNCOBJECTSTOHWQUEUE takes 1..64 queues, SUBMITCOMMAND 1..64
 *   contexts (-EINVAL outside); bad, zero and destroyed queue handles are -EINVAL.
 */
#include "guestsys.h"

#include <misc/opendxg.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_ADAPTERS 16
#define GARBAGE_HANDLE 0x7ffffc03u
#define DATA_SIZE (32u * 1024u)
#define CMD_SIZE 4096u
#define CHUNK 4096u
#define FILL_VALUE 0xa51234c3u
#define FILL_VALUE2 0x11223344u

static int dxg_fd = -1;

static int dxg(unsigned long request, void *arg)
{
	int ret = ioctl(dxg_fd, request, arg);

	return ret < 0 ? -errno : ret;
}

struct buffer {
	struct d3dkmthandle allocation;
	unsigned char *cpu;
	uint64_t gpu_va;
};

struct setup {
	struct d3dkmthandle adapter;
	struct d3dkmthandle device;
	struct d3dkmthandle context;
	struct d3dkmthandle paging_queue;
	struct d3dkmthandle paging_fence;
	struct d3dkmthandle queue;
	struct d3dkmthandle progress;
	const volatile uint64_t *progress_cpu;
	struct buffer data;
	struct buffer cmd;
};

static int wait_fence(const struct setup *s, struct d3dkmthandle fence, uint64_t value)
{
	struct d3dkmt_waitforsynchronizationobjectfromcpu args;

	memset(&args, 0, sizeof(args));
	args.device = s->device;
	args.object_count = 1;
	args.objects = (uintptr_t)&fence;
	args.fence_values = (uintptr_t)&value;
	return dxg(LX_DXWAITFORSYNCHRONIZATIONOBJECTFROMCPU, &args);
}

static int signal_fence(const struct setup *s, struct d3dkmthandle fence, uint64_t value)
{
	struct d3dkmt_signalsynchronizationobjectfromcpu args;

	memset(&args, 0, sizeof(args));
	args.device = s->device;
	args.object_count = 1;
	args.objects = (uintptr_t)&fence;
	args.fence_values = (uintptr_t)&value;
	return dxg(LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMCPU, &args);
}

static int create_fence(const struct setup *s, struct d3dkmthandle *fence,
			const volatile uint64_t **cpu)
{
	struct d3dkmt_createsynchronizationobject2 args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.device = s->device;
	args.info.type = D3DDDI_MONITORED_FENCE;
	ret = dxg(LX_DXCREATESYNCHRONIZATIONOBJECT, &args);
	*fence = args.sync_object;
	if (cpu)
		*cpu = (const volatile uint64_t *)(uintptr_t)
			args.info.monitored_fence.fence_cpu_virtual_address;
	return ret;
}

static void destroy_fence(struct d3dkmthandle fence)
{
	struct d3dkmt_destroysynchronizationobject args = { .sync_object = fence };

	dxg(LX_DXDESTROYSYNCHRONIZATIONOBJECT, &args);
}

/* A host-visible allocation, locked for the CPU and mapped at a GPU VA of its own. */
static int create_buffer(const struct setup *s, uint32_t size, struct buffer *buf)
{
	struct opendxg_alloc_priv priv;
	struct d3dddi_allocationinfo2 info;
	struct d3dkmt_createallocation create;
	struct d3dkmt_lock2 lock;
	struct d3dddi_reservegpuvirtualaddress reserve;
	struct d3dddi_mapgpuvirtualaddress map;
	int ret;

	memset(&priv, 0, sizeof(priv));
	priv.version = OPENDXG_ALLOC_PRIV_VERSION;
	priv.kind = OPENDXG_ALLOC_KIND_HOST_VISIBLE;
	priv.header_size = sizeof(priv);
	priv.size = size;
	memset(&info, 0, sizeof(info));
	info.priv_drv_data = (uintptr_t)&priv;
	info.priv_drv_data_size = sizeof(priv);
	memset(&create, 0, sizeof(create));
	create.device = s->device;
	create.alloc_count = 1;
	create.allocation_info = (uintptr_t)&info;
	ret = dxg(LX_DXCREATEALLOCATION, &create);
	if (ret < 0)
		return ret;
	buf->allocation = info.allocation;

	memset(&lock, 0, sizeof(lock));
	lock.device = s->device;
	lock.allocation = buf->allocation;
	ret = dxg(LX_DXLOCK2, &lock);
	if (ret < 0)
		return ret;
	buf->cpu = (unsigned char *)(uintptr_t)lock.data;

	memset(&reserve, 0, sizeof(reserve));
	reserve.adapter = s->adapter;
	reserve.size = size;
	ret = dxg(LX_DXRESERVEGPUVIRTUALADDRESS, &reserve);
	if (ret < 0)
		return ret;
	memset(&map, 0, sizeof(map));
	map.paging_queue = s->paging_queue;
	map.base_address = reserve.virtual_address;
	map.allocation = buf->allocation;
	map.size_in_pages = size / 4096;
	map.protection = D3DDDIGPUVA_PROTECTION_WRITE;
	ret = dxg(LX_DXMAPGPUVIRTUALADDRESS, &map);
	if (ret < 0)
		return ret;
	buf->gpu_va = map.virtual_address;
	return wait_fence(s, s->paging_fence, map.paging_fence_value);
}

/* Appends packets to a command buffer being written at @base (CPU side of the cmd buffer). */
struct cmd_writer {
	unsigned char *base;
	uint32_t size;
	uint32_t packets;
};

static void cmd_begin(struct cmd_writer *w, unsigned char *base)
{
	w->base = base;
	w->size = OPENDXG_CMD_HEADER_SIZE;
	w->packets = 0;
}

static void cmd_put(struct cmd_writer *w, const void *packet, uint32_t size)
{
	memcpy(w->base + w->size, packet, size);
	w->size += size;
	w->packets++;
}

static void cmd_fill(struct cmd_writer *w, uint64_t dst, uint64_t size, uint32_t value)
{
	struct opendxg_cmd_fill fill;

	memset(&fill, 0, sizeof(fill));
	fill.hdr.type = OPENDXG_CMD_FILL;
	fill.hdr.size = sizeof(fill);
	fill.dst_va = dst;
	fill.size = size;
	fill.value = value;
	cmd_put(w, &fill, sizeof(fill));
}

static void cmd_copy(struct cmd_writer *w, uint64_t src, uint64_t dst, uint64_t size)
{
	struct opendxg_cmd_copy copy;

	memset(&copy, 0, sizeof(copy));
	copy.hdr.type = OPENDXG_CMD_COPY;
	copy.hdr.size = sizeof(copy);
	copy.src_va = src;
	copy.dst_va = dst;
	copy.size = size;
	cmd_put(w, &copy, sizeof(copy));
}

static void cmd_barrier(struct cmd_writer *w)
{
	struct opendxg_cmd_packet barrier = { .type = OPENDXG_CMD_BARRIER, .size = 8 };

	cmd_put(w, &barrier, sizeof(barrier));
}

/* Writes the header; returns the buffer's length. */
static uint32_t cmd_end(struct cmd_writer *w)
{
	struct opendxg_cmd_header header;

	memset(&header, 0, sizeof(header));
	header.magic = OPENDXG_CMD_MAGIC;
	header.version_major = OPENDXG_CMD_VERSION_MAJOR;
	header.version_minor = OPENDXG_CMD_VERSION_MINOR;
	header.size = w->size;
	header.packet_count = w->packets;
	memcpy(w->base, &header, sizeof(header));
	return w->size;
}

static int submit_to_queue(struct d3dkmthandle queue, uint64_t progress, uint64_t cmd_va,
			   uint32_t length)
{
	struct d3dkmt_submitcommandtohwqueue args;

	memset(&args, 0, sizeof(args));
	args.hwqueue = queue;
	args.hwqueue_progress_fence_id = progress;
	args.command_buffer = cmd_va;
	args.command_length = length;
	return dxg(LX_DXSUBMITCOMMANDTOHWQUEUE, &args);
}

static bool chunk_is(const unsigned char *data, const unsigned char *want, uint32_t size)
{
	return memcmp(data, want, size) == 0;
}

/* FILL then COPY on the hardware queue, checked byte by byte against the CPU's answer. */
static void test_fill_copy(struct setup *s)
{
	static unsigned char expect[DATA_SIZE];
	struct cmd_writer w;
	uint64_t va = s->data.gpu_va;
	uint32_t length;
	bool same = true;

	for (uint32_t i = 0; i < CHUNK; i++)
		s->data.cpu[i] = (unsigned char)(i * 13 + 5);
	cmd_begin(&w, s->cmd.cpu);
	cmd_fill(&w, va + 2 * CHUNK, CHUNK, FILL_VALUE);
	cmd_copy(&w, va, va + 4 * CHUNK, CHUNK);
	/* The second copy reads what FILL wrote: a BARRIER orders them (docs/cmdbuf.md 5). */
	cmd_barrier(&w);
	cmd_copy(&w, va + 2 * CHUNK, va + 6 * CHUNK, CHUNK);
	length = cmd_end(&w);

	memset(expect, 0, sizeof(expect));
	for (uint32_t i = 0; i < CHUNK; i++) {
		unsigned char fill = (unsigned char)(FILL_VALUE >> (8 * (i % 4)));

		expect[i] = (unsigned char)(i * 13 + 5);
		expect[2 * CHUNK + i] = fill;
		expect[4 * CHUNK + i] = expect[i];
		expect[6 * CHUNK + i] = fill;
	}

	tap_ok(*s->progress_cpu == 0, "the progress fence starts at 0 (%llu)",
	       (unsigned long long)*s->progress_cpu);
	if (!tap_ret0(submit_to_queue(s->queue, 1, s->cmd.gpu_va, length),
		      "SUBMITCOMMANDTOHWQUEUE: FILL, COPY, BARRIER, COPY (%u bytes)", length))
		return;
	tap_ret0(wait_fence(s, s->progress, 1), "wait for the progress fence to reach 1");
	tap_ok(*s->progress_cpu >= 1, "the progress fence CPU VA shows 1 (%llu)",
	       (unsigned long long)*s->progress_cpu);
	for (uint32_t c = 0; c < DATA_SIZE / CHUNK; c++) {
		if (!chunk_is(s->data.cpu + c * CHUNK, expect + c * CHUNK, CHUNK)) {
			tap_diag("chunk %u differs (first byte 0x%02x, want 0x%02x)", c,
				 s->data.cpu[c * CHUNK], expect[c * CHUNK]);
			same = false;
		}
	}
	tap_ok(same, "the result bytes equal the CPU computation (32 KiB through LOCK2)");
}

/* A wait on the queue holds back the buffer behind it until the CPU signals. */
static void test_queue_wait_signal(struct setup *s)
{
	struct d3dkmt_submitwaitforsyncobjectstohwqueue wait_args;
	struct d3dkmt_submitsignalsyncobjectstohwqueue signal_args;
	struct d3dkmthandle gate = { 0 }, done = { 0 };
	struct d3dkmthandle queues[D3DDDI_MAX_BROADCAST_CONTEXT + 1];
	struct cmd_writer w;
	uint64_t one = 1, five = 5;
	uint32_t length;

	if (!tap_ret0(create_fence(s, &gate, NULL), "a gate fence") ||
	    !tap_ret0(create_fence(s, &done, NULL), "a done fence"))
		goto out;

	memset(&wait_args, 0, sizeof(wait_args));
	wait_args.hwqueue = s->queue;
	wait_args.object_count = 1;
	wait_args.objects = (uintptr_t)&gate;
	wait_args.fence_values = (uintptr_t)&one;
	tap_ret0(dxg(LX_DXSUBMITWAITFORSYNCOBJECTSTOHWQUEUE, &wait_args),
		 "SUBMITWAITFORSYNCOBJECTSTOHWQUEUE: the queue waits for the gate >= 1");

	cmd_begin(&w, s->cmd.cpu + 2048);
	length = cmd_end(&w);
	tap_ret0(submit_to_queue(s->queue, 2, s->cmd.gpu_va + 2048, length),
		 "SUBMITCOMMANDTOHWQUEUE of an empty buffer, progress 2, behind the wait");

	memset(&signal_args, 0, sizeof(signal_args));
	signal_args.hwqueue_count = 1;
	signal_args.hwqueues = (uintptr_t)&s->queue;
	signal_args.object_count = 1;
	signal_args.objects = (uintptr_t)&done;
	signal_args.fence_values = (uintptr_t)&five;
	tap_ret0(dxg(LX_DXSUBMITSIGNALSYNCOBJECTSTOHWQUEUE, &signal_args),
		 "SUBMITSIGNALSYNCOBJECTSTOHWQUEUE: then the done fence = 5");

	tap_ok(*s->progress_cpu == 1, "the progress fence stays at 1 while the queue waits (%llu)",
	       (unsigned long long)*s->progress_cpu);
	tap_ret0(signal_fence(s, gate, 1), "the CPU opens the gate");
	tap_ret0(wait_fence(s, s->progress, 2), "the progress fence reaches 2");
	tap_ret0(wait_fence(s, done, 5), "the done fence reaches 5");

	for (int i = 0; i <= D3DDDI_MAX_BROADCAST_CONTEXT; i++)
		queues[i] = s->queue;
	signal_args.hwqueues = (uintptr_t)queues;
	signal_args.hwqueue_count = 0;
	tap_errno(dxg(LX_DXSUBMITSIGNALSYNCOBJECTSTOHWQUEUE, &signal_args), EINVAL,
		  "SUBMITSIGNALSYNCOBJECTSTOHWQUEUE on 0 queues -> EINVAL");
	signal_args.hwqueue_count = D3DDDI_MAX_BROADCAST_CONTEXT + 1;
	tap_errno(dxg(LX_DXSUBMITSIGNALSYNCOBJECTSTOHWQUEUE, &signal_args), EINVAL,
		  "SUBMITSIGNALSYNCOBJECTSTOHWQUEUE on 65 queues -> EINVAL");
	signal_args.hwqueue_count = 1;
	queues[0] = (struct d3dkmthandle){ GARBAGE_HANDLE };
	tap_errno(dxg(LX_DXSUBMITSIGNALSYNCOBJECTSTOHWQUEUE, &signal_args), EINVAL,
		  "SUBMITSIGNALSYNCOBJECTSTOHWQUEUE on a garbage queue -> EINVAL");
	wait_args.hwqueue = (struct d3dkmthandle){ 0 };
	tap_errno(dxg(LX_DXSUBMITWAITFORSYNCOBJECTSTOHWQUEUE, &wait_args), EINVAL,
		  "SUBMITWAITFORSYNCOBJECTSTOHWQUEUE on queue 0 -> EINVAL");
	wait_args.hwqueue = s->queue;
	wait_args.object_count = D3DDDI_MAX_OBJECT_WAITED_ON + 1;
	tap_errno(dxg(LX_DXSUBMITWAITFORSYNCOBJECTSTOHWQUEUE, &wait_args), EINVAL,
		  "SUBMITWAITFORSYNCOBJECTSTOHWQUEUE of 33 objects -> EINVAL");
out:
	if (gate.v)
		destroy_fence(gate);
	if (done.v)
		destroy_fence(done);
}

/* The legacy path: SUBMITCOMMAND on the context, then a signal queued on the same context. */
static void test_submit_command(struct setup *s)
{
	struct d3dkmt_submitcommand submit;
	struct d3dkmt_signalsynchronizationobject2 signal2;
	struct d3dkmthandle fence = { 0 };
	struct cmd_writer w;
	uint32_t length;
	bool same = true;

	if (!tap_ret0(create_fence(s, &fence, NULL), "a fence for SUBMITCOMMAND"))
		return;
	cmd_begin(&w, s->cmd.cpu + 1024);
	cmd_fill(&w, s->data.gpu_va + CHUNK, CHUNK, FILL_VALUE2);
	length = cmd_end(&w);

	memset(&submit, 0, sizeof(submit));
	submit.command_buffer = s->cmd.gpu_va + 1024;
	submit.command_length = length;
	submit.broadcast_context_count = 0;
	submit.broadcast_context[0] = s->context;
	tap_errno(dxg(LX_DXSUBMITCOMMAND, &submit), EINVAL,
		  "SUBMITCOMMAND to 0 contexts -> EINVAL");
	submit.broadcast_context_count = D3DDDI_MAX_BROADCAST_CONTEXT + 1;
	tap_errno(dxg(LX_DXSUBMITCOMMAND, &submit), EINVAL,
		  "SUBMITCOMMAND to 65 contexts -> EINVAL");
	/* opendxg also refuses 2..64 contexts: one engine per adapter (docs/kernel.md, 0x0f). */
	submit.broadcast_context_count = 1;
	if (!tap_ret0(dxg(LX_DXSUBMITCOMMAND, &submit), "SUBMITCOMMAND of a FILL on the context"))
		goto out;
	memset(&signal2, 0, sizeof(signal2));
	signal2.context = s->context;
	signal2.object_count = 1;
	signal2.object_array[0] = fence;
	signal2.fence_value = 1;
	tap_ret0(dxg(LX_DXSIGNALSYNCHRONIZATIONOBJECT, &signal2),
		 "SIGNALSYNCHRONIZATIONOBJECT behind it");
	tap_ret0(wait_fence(s, fence, 1), "the fence reaches 1");
	for (uint32_t i = 0; i < CHUNK; i++)
		if (s->data.cpu[CHUNK + i] != (unsigned char)(FILL_VALUE2 >> (8 * (i % 4))))
			same = false;
	tap_ok(same, "the context's FILL result is in memory when its signal arrived");
out:
	destroy_fence(fence);
}

static void test_queue_handles(struct setup *s)
{
	struct d3dkmt_createhwqueue create;
	struct d3dkmt_destroyhwqueue destroy;

	memset(&create, 0, sizeof(create));
	create.context = (struct d3dkmthandle){ 0 };
	tap_errno(dxg(LX_DXCREATEHWQUEUE, &create), EINVAL, "CREATEHWQUEUE on context 0 -> EINVAL");
	create.context = (struct d3dkmthandle){ GARBAGE_HANDLE };
	tap_errno(dxg(LX_DXCREATEHWQUEUE, &create), EINVAL,
		  "CREATEHWQUEUE on a garbage context -> EINVAL");

	tap_errno(submit_to_queue((struct d3dkmthandle){ 0 }, 10, s->cmd.gpu_va, 16), EINVAL,
		  "SUBMITCOMMANDTOHWQUEUE on queue 0 -> EINVAL");
	tap_errno(submit_to_queue((struct d3dkmthandle){ GARBAGE_HANDLE }, 10, s->cmd.gpu_va, 16),
		  EINVAL, "SUBMITCOMMANDTOHWQUEUE on a garbage queue -> EINVAL");
	tap_errno(submit_to_queue(s->context, 10, s->cmd.gpu_va, 16), EINVAL,
		  "SUBMITCOMMANDTOHWQUEUE on a context handle -> EINVAL");

	destroy.queue = s->queue;
	tap_ret0(dxg(LX_DXDESTROYHWQUEUE, &destroy), "DESTROYHWQUEUE");
	tap_errno(dxg(LX_DXDESTROYHWQUEUE, &destroy), EINVAL, "DESTROYHWQUEUE twice -> EINVAL");
	tap_errno(submit_to_queue(s->queue, 10, s->cmd.gpu_va, 16), EINVAL,
		  "SUBMITCOMMANDTOHWQUEUE on a destroyed queue -> EINVAL");
	destroy.queue = (struct d3dkmthandle){ 0 };
	tap_errno(dxg(LX_DXDESTROYHWQUEUE, &destroy), EINVAL,
		  "DESTROYHWQUEUE of queue 0 -> EINVAL");
}

static bool set_up(struct setup *s)
{
	struct d3dkmt_createdevice device_args;
	struct d3dkmt_createcontextvirtual context_args;
	struct d3dkmt_createpagingqueue paging_args;
	struct d3dkmt_createhwqueue queue_args;

	memset(&device_args, 0, sizeof(device_args));
	device_args.adapter = s->adapter;
	if (!tap_ret0(dxg(LX_DXCREATEDEVICE, &device_args), "CREATEDEVICE"))
		return false;
	s->device = device_args.device;
	memset(&context_args, 0, sizeof(context_args));
	context_args.device = s->device;
	context_args.engine_affinity = 1;
	context_args.flags = D3DDDI_CREATECONTEXT_FLAG_HW_QUEUE_SUPPORTED;
	if (!tap_ret0(dxg(LX_DXCREATECONTEXTVIRTUAL, &context_args),
		      "CREATECONTEXTVIRTUAL with HW_QUEUE_SUPPORTED"))
		return false;
	s->context = context_args.context;
	memset(&paging_args, 0, sizeof(paging_args));
	paging_args.device = s->device;
	if (!tap_ret0(dxg(LX_DXCREATEPAGINGQUEUE, &paging_args), "CREATEPAGINGQUEUE"))
		return false;
	s->paging_queue = paging_args.paging_queue;
	s->paging_fence = paging_args.sync_object;

	memset(&queue_args, 0, sizeof(queue_args));
	queue_args.context = s->context;
	if (!tap_ret0(dxg(LX_DXCREATEHWQUEUE, &queue_args), "CREATEHWQUEUE"))
		return false;
	s->queue = queue_args.queue;
	s->progress = queue_args.queue_progress_fence;
	s->progress_cpu = (const volatile uint64_t *)(uintptr_t)
		queue_args.queue_progress_fence_cpu_va;
	if (!tap_ok(s->queue.v != 0 && s->progress.v != 0 && s->progress_cpu != NULL,
		    "the queue has a handle, a progress fence and its CPU VA"))
		return false;
	if (!tap_ret0(create_buffer(s, DATA_SIZE, &s->data),
		      "a 32 KiB host-visible data buffer, locked and GPU-mapped"))
		return false;
	return tap_ret0(create_buffer(s, CMD_SIZE, &s->cmd),
			"a 4 KiB host-visible command buffer, locked and GPU-mapped");
}

int main(void)
{
	struct d3dkmt_adapterinfo adapters[MAX_ADAPTERS];
	struct d3dkmt_enumadapters3 enum_args;
	struct setup s;

	tap_begin("dxgcompat-exec", 240);
	dxg_fd = open("/dev/dxg", O_RDONLY | O_CLOEXEC);
	if (dxg_fd < 0)
		tap_skip_all("no /dev/dxg: %s", errno_name(errno));
	memset(&enum_args, 0, sizeof(enum_args));
	enum_args.filter = D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY;
	enum_args.adapter_count = MAX_ADAPTERS;
	enum_args.adapters = (uintptr_t)adapters;
	if (dxg(LX_DXENUMADAPTERS3, &enum_args) < 0 || enum_args.adapter_count == 0)
		tap_skip_all("no adapter");

	memset(&s, 0, sizeof(s));
	s.adapter = adapters[0].adapter_handle;
	if (set_up(&s)) {
		test_fill_copy(&s);
		test_queue_wait_signal(&s);
		test_submit_command(&s);
		test_queue_handles(&s);
	}
	if (s.device.v) {
		struct d3dkmt_destroydevice destroy = { .device = s.device };

		tap_ret0(dxg(LX_DXDESTROYDEVICE, &destroy),
			 "DESTROYDEVICE takes its queues, buffers and fences with it");
	}
	for (uint32_t i = 0; i < enum_args.adapter_count; i++) {
		struct d3dkmt_closeadapter close_args = {
			.adapter_handle = adapters[i].adapter_handle,
		};

		dxg(LX_DXCLOSEADAPTER, &close_args);
	}
	close(dxg_fd);
	return tap_end();
}
