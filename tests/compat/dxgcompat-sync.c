// SPDX-License-Identifier: MIT
/*
 * dxgcompat-sync: synchronization objects of the WSL ABI (0x10 CREATESYNCHRONIZATIONOBJECT, 0x11
 * SIGNALSYNCHRONIZATIONOBJECT, 0x12 WAITFORSYNCHRONIZATIONOBJECT, 0x1d
 * DESTROYSYNCHRONIZATIONOBJECT, 0x31 SIGNAL...FROMCPU, 0x32 SIGNAL...FROMGPU, 0x33
 * SIGNAL...FROMGPU2, 0x3a WAIT...FROMCPU, 0x3b WAIT...FROMGPU), against the WSL driver's
 * semantics with raw ioctls.
 *
 * - A monitored fence's value is a u64 the driver maps into the caller (fence_cpu_virtual_address);
 *   the CPU signals it (0x31) and waits for it (0x3a): async_event 0 blocks without a timeout,
 *   an eventfd makes the call return at once and the eventfd fires when the values are reached;
 *   WAIT_ANY is satisfied by one object.
 * - Queue signals and waits (0x11, 0x12, 0x32, 0x33, 0x3b) are ordered on their context: a
 *   signal queued behind a wait happens only after the wait is satisfied.
 * - Counts: at most 32 objects waited on or signalled (-EINVAL above, and for 0); bad, zero and
 *   destroyed handles are -EINVAL; DESTROYSYNCHRONIZATIONOBJECT twice is -EINVAL; a CPU
 *   notification whose event is not an eventfd is -EINVAL.
 */
#include "guestsys.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_ADAPTERS 16
#define GARBAGE_HANDLE 0x7ffffc03u
#define TOO_MANY 33		/* D3DDDI_MAX_OBJECT_WAITED_ON / _SIGNALED + 1 */

static int dxg_fd = -1;

static int dxg(unsigned long request, void *arg)
{
	int ret = ioctl(dxg_fd, request, arg);

	return ret < 0 ? -errno : ret;
}

struct fence {
	struct d3dkmthandle handle;
	const volatile uint64_t *cpu;
	uint64_t gpu;
};

static int create_sync(struct d3dkmthandle device, uint32_t type, uint64_t value0,
		       struct d3dkmt_createsynchronizationobject2 *args)
{
	memset(args, 0, sizeof(*args));
	args->device = device;
	args->info.type = type;
	switch (type) {
	case D3DDDI_SYNCHRONIZATION_MUTEX:
		args->info.synchronization_mutex.initial_state = (uint32_t)value0;
		break;
	case D3DDDI_SEMAPHORE:
		args->info.semaphore.max_count = 4;
		args->info.semaphore.initial_count = (uint32_t)value0;
		break;
	case D3DDDI_FENCE:
		args->info.fence.fence_value = value0;
		break;
	case D3DDDI_CPU_NOTIFICATION:
		args->info.cpu_notification.event = value0;
		break;
	case D3DDDI_MONITORED_FENCE:
		args->info.monitored_fence.initial_fence_value = value0;
		break;
	default:
		break;
	}
	return dxg(LX_DXCREATESYNCHRONIZATIONOBJECT, args);
}

static int create_fence(struct d3dkmthandle device, uint64_t initial, struct fence *fence)
{
	struct d3dkmt_createsynchronizationobject2 args;
	int ret = create_sync(device, D3DDDI_MONITORED_FENCE, initial, &args);

	fence->handle = args.sync_object;
	fence->cpu = (const volatile uint64_t *)(uintptr_t)
		args.info.monitored_fence.fence_cpu_virtual_address;
	fence->gpu = args.info.monitored_fence.fence_gpu_virtual_address;
	return ret;
}

static int destroy_sync(struct d3dkmthandle handle)
{
	struct d3dkmt_destroysynchronizationobject args = { .sync_object = handle };

	return dxg(LX_DXDESTROYSYNCHRONIZATIONOBJECT, &args);
}

static int signal_cpu(struct d3dkmthandle device, const struct d3dkmthandle *objects,
		      const uint64_t *values, uint32_t count)
{
	struct d3dkmt_signalsynchronizationobjectfromcpu args;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.object_count = count;
	args.objects = (uintptr_t)objects;
	args.fence_values = (uintptr_t)values;
	return dxg(LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMCPU, &args);
}

static int signal_one(struct d3dkmthandle device, struct d3dkmthandle object, uint64_t value)
{
	return signal_cpu(device, &object, &value, 1);
}

static int wait_cpu(struct d3dkmthandle device, const struct d3dkmthandle *objects,
		    const uint64_t *values, uint32_t count, int event, uint32_t flags)
{
	struct d3dkmt_waitforsynchronizationobjectfromcpu args;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.object_count = count;
	args.objects = (uintptr_t)objects;
	args.fence_values = (uintptr_t)values;
	args.async_event = event > 0 ? (uint64_t)event : 0;
	args.flags = flags;
	return dxg(LX_DXWAITFORSYNCHRONIZATIONOBJECTFROMCPU, &args);
}

static int wait_one(struct d3dkmthandle device, struct d3dkmthandle object, uint64_t value)
{
	return wait_cpu(device, &object, &value, 1, 0, 0);
}

/* Whether the eventfd has fired, without waiting (a state, not a timing). */
static bool event_fired(int event)
{
	struct pollfd pfd = { .fd = event, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

/* Blocks until the eventfd fires (the program's watchdog catches a hang). */
static bool event_wait(int event)
{
	uint64_t count = 0;

	return read(event, &count, sizeof(count)) == sizeof(count) && count >= 1;
}

static void test_create(struct d3dkmthandle device)
{
	struct d3dkmt_createsynchronizationobject2 args;
	static const struct {
		uint32_t type;
		uint64_t value0;
		const char *name;
	} kinds[] = {
		{ D3DDDI_SYNCHRONIZATION_MUTEX, 0, "mutex" },
		{ D3DDDI_SEMAPHORE, 1, "semaphore" },
		{ D3DDDI_FENCE, 0, "fence" },
	};
	int event, pipes[2];

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (tap_ret0(create_sync(device, kinds[i].type, kinds[i].value0, &args),
			     "CREATESYNCHRONIZATIONOBJECT %s", kinds[i].name))
			tap_ret0(destroy_sync(args.sync_object), "DESTROYSYNCHRONIZATIONOBJECT %s",
				 kinds[i].name);
	}

	event = eventfd(0, EFD_CLOEXEC);
	if (tap_ok(event >= 0, "eventfd") &&
	    tap_ret0(create_sync(device, D3DDDI_CPU_NOTIFICATION, (uint64_t)event, &args),
		     "CREATESYNCHRONIZATIONOBJECT CPU notification on an eventfd"))
		destroy_sync(args.sync_object);
	if (tap_ok(pipe(pipes) == 0, "pipe")) {
		tap_errno(create_sync(device, D3DDDI_CPU_NOTIFICATION, (uint64_t)pipes[0], &args),
			  EINVAL, "CPU notification on a pipe (not an eventfd) -> EINVAL");
		close(pipes[0]);
		close(pipes[1]);
	}
	if (event >= 0)
		close(event);

	/*
	 * opendxg refuses periodic monitored fences (docs/kernel.md, 0x10: type 1..5): they need a
	 * display's vsync, and opendxg adapters are compute-only.
	 */
	memset(&args, 0, sizeof(args));
	args.device = device;
	args.info.type = D3DDDI_PERIODIC_MONITORED_FENCE;
	tap_errno(dxg(LX_DXCREATESYNCHRONIZATIONOBJECT, &args), EINVAL,
		  "CREATESYNCHRONIZATIONOBJECT periodic monitored fence -> EINVAL");
	tap_errno(create_sync((struct d3dkmthandle){ 0 }, D3DDDI_MONITORED_FENCE, 0, &args), EINVAL,
		  "CREATESYNCHRONIZATIONOBJECT on device 0 -> EINVAL");
	tap_errno(create_sync(device, 0, 0, &args), EINVAL,
		  "CREATESYNCHRONIZATIONOBJECT of type 0 -> EINVAL");
}

struct signaller {
	struct d3dkmthandle device;
	struct d3dkmthandle object;
	uint64_t value;
	int ret;
};

static void *signal_thread(void *arg)
{
	struct signaller *s = arg;

	s->ret = signal_one(s->device, s->object, s->value);
	return NULL;
}

static void test_cpu_signal_wait(struct d3dkmthandle device)
{
	struct fence a = { 0 }, b = { 0 };
	struct d3dkmthandle pair[2];
	uint64_t values[2];
	struct signaller signaller;
	pthread_t thread;
	int event;

	if (!tap_ret0(create_fence(device, 5, &a), "CREATESYNCHRONIZATIONOBJECT monitored fence "
		      "at 5"))
		return;
	/*
	 * WSL returns the host's GPU VA of the fence too; opendxg documents 0 there (fences are not
	 * mapped in GPU VA spaces, docs/protocol.md CREATE_SYNC_OBJECT), so only the CPU VA counts.
	 */
	tap_ok(a.cpu != NULL, "the fence has a CPU VA (GPU VA 0x%llx)", (unsigned long long)a.gpu);
	if (a.cpu)
		tap_ok(*a.cpu == 5, "the CPU VA reads the initial value (%llu)",
		       (unsigned long long)*a.cpu);

	tap_ret0(signal_one(device, a.handle, 7), "SIGNAL...FROMCPU to 7");
	tap_ret0(wait_one(device, a.handle, 7), "WAIT...FROMCPU (blocking) for 7 returns");
	tap_ok(*a.cpu >= 7, "the CPU VA shows 7 (%llu)", (unsigned long long)*a.cpu);
	tap_ret0(wait_one(device, a.handle, 3), "WAIT...FROMCPU for a value already passed");

	/* A blocking wait that another thread satisfies. */
	signaller.device = device;
	signaller.object = a.handle;
	signaller.value = 20;
	signaller.ret = -1;
	if (tap_ok(pthread_create(&thread, NULL, signal_thread, &signaller) == 0,
		   "start a signalling thread")) {
		tap_ret0(wait_one(device, a.handle, 20),
			 "a blocking wait for 20 ends when another thread signals 20");
		pthread_join(thread, NULL);
		tap_ret0(signaller.ret, "the thread's SIGNAL...FROMCPU");
	}

	event = eventfd(0, EFD_CLOEXEC);
	if (!tap_ok(event >= 0, "eventfd"))
		goto out;
	if (tap_ret0(wait_cpu(device, &a.handle, &(uint64_t){ 30 }, 1, event, 0),
		     "WAIT...FROMCPU for 30 with an eventfd returns at once")) {
		tap_ok(!event_fired(event), "the eventfd has not fired before the signal");
		tap_ret0(signal_one(device, a.handle, 30), "SIGNAL...FROMCPU to 30");
		tap_ok(event_wait(event), "the eventfd fires once the fence reaches 30");
	}

	if (tap_ret0(create_fence(device, 0, &b), "a second monitored fence")) {
		pair[0] = a.handle;
		pair[1] = b.handle;
		values[0] = 1000;
		values[1] = 1;
		if (tap_ret0(wait_cpu(device, pair, values, 2, event,
				      D3DDDI_WAITFORSYNCOBJECTFROMCPU_FLAG_WAIT_ANY),
			     "WAIT_ANY on two fences with an eventfd")) {
			tap_ok(!event_fired(event), "neither fence is there yet: no event");
			tap_ret0(signal_one(device, b.handle, 1), "signal only the second fence");
			tap_ok(event_wait(event), "WAIT_ANY fires for one of the two fences");
		}
		tap_ret0(wait_cpu(device, pair, values, 2, 0,
				  D3DDDI_WAITFORSYNCOBJECTFROMCPU_FLAG_WAIT_ANY),
			 "a blocking WAIT_ANY with one fence reached returns");
		tap_ret0(signal_cpu(device, pair, values, 2), "SIGNAL...FROMCPU of two fences");
		tap_ret0(wait_cpu(device, pair, values, 2, 0, 0),
			 "a blocking wait for all of two fences returns");
	}
	tap_errno(wait_cpu(device, &a.handle, &(uint64_t){ 1 }, 1, dxg_fd, 0), EINVAL,
		  "WAIT...FROMCPU with /dev/dxg as the event (not an eventfd) -> EINVAL");
	close(event);
out:
	if (b.handle.v)
		destroy_sync(b.handle);
	tap_ret0(destroy_sync(a.handle), "DESTROYSYNCHRONIZATIONOBJECT monitored fence");
	tap_errno(destroy_sync(a.handle), EINVAL, "DESTROYSYNCHRONIZATIONOBJECT twice -> EINVAL");
	tap_errno(destroy_sync((struct d3dkmthandle){ 0 }), EINVAL,
		  "DESTROYSYNCHRONIZATIONOBJECT of handle 0 -> EINVAL");
	tap_errno(signal_one(device, a.handle, 40), EINVAL,
		  "SIGNAL...FROMCPU of a destroyed fence -> EINVAL");
	tap_errno(wait_one(device, a.handle, 1), EINVAL,
		  "WAIT...FROMCPU of a destroyed fence -> EINVAL");
}

static void test_limits(struct d3dkmthandle device, struct d3dkmthandle context)
{
	struct d3dkmthandle objects[TOO_MANY];
	uint64_t values[TOO_MANY];
	struct fence fence = { 0 };
	struct d3dkmt_signalsynchronizationobject2 signal2;
	struct d3dkmt_waitforsynchronizationobject2 wait2;
	struct d3dkmt_signalsynchronizationobjectfromgpu from_gpu;
	struct d3dkmt_signalsynchronizationobjectfromgpu2 from_gpu2;
	struct d3dkmt_waitforsynchronizationobjectfromgpu wait_gpu;

	if (!tap_ret0(create_fence(device, 0, &fence), "a monitored fence for the limits"))
		return;
	for (int i = 0; i < TOO_MANY; i++) {
		objects[i] = fence.handle;
		values[i] = 1;
	}
	tap_errno(signal_cpu(device, objects, values, TOO_MANY), EINVAL,
		  "SIGNAL...FROMCPU of 33 objects -> EINVAL");
	tap_errno(signal_cpu(device, objects, values, 0), EINVAL,
		  "SIGNAL...FROMCPU of 0 objects -> EINVAL");
	tap_errno(wait_cpu(device, objects, values, TOO_MANY, 0, 0), EINVAL,
		  "WAIT...FROMCPU of 33 objects -> EINVAL");
	tap_errno(wait_cpu(device, objects, values, 0, 0, 0), EINVAL,
		  "WAIT...FROMCPU of 0 objects -> EINVAL");
	tap_errno(signal_one(device, (struct d3dkmthandle){ 0 }, 1), EINVAL,
		  "SIGNAL...FROMCPU of handle 0 -> EINVAL");
	tap_errno(signal_one(device, (struct d3dkmthandle){ GARBAGE_HANDLE }, 1), EINVAL,
		  "SIGNAL...FROMCPU of a garbage handle -> EINVAL");
	tap_errno(wait_one(device, (struct d3dkmthandle){ GARBAGE_HANDLE }, 1), EINVAL,
		  "WAIT...FROMCPU of a garbage handle -> EINVAL");
	tap_errno(wait_one(device, context, 1), EINVAL,
		  "WAIT...FROMCPU of a context handle (not a sync object) -> EINVAL");
	tap_errno(wait_one((struct d3dkmthandle){ GARBAGE_HANDLE }, fence.handle, 1), EINVAL,
		  "WAIT...FROMCPU on a garbage device -> EINVAL");

	memset(&signal2, 0, sizeof(signal2));
	signal2.context = context;
	signal2.object_count = TOO_MANY;
	tap_errno(dxg(LX_DXSIGNALSYNCHRONIZATIONOBJECT, &signal2), EINVAL,
		  "SIGNALSYNCHRONIZATIONOBJECT of 33 objects -> EINVAL");
	signal2.object_count = 1;
	signal2.object_array[0] = fence.handle;
	signal2.context_count = D3DDDI_MAX_BROADCAST_CONTEXT;
	tap_errno(dxg(LX_DXSIGNALSYNCHRONIZATIONOBJECT, &signal2), EINVAL,
		  "SIGNALSYNCHRONIZATIONOBJECT with 64 more contexts -> EINVAL");

	memset(&wait2, 0, sizeof(wait2));
	wait2.context = context;
	wait2.object_count = TOO_MANY;
	tap_errno(dxg(LX_DXWAITFORSYNCHRONIZATIONOBJECT, &wait2), EINVAL,
		  "WAITFORSYNCHRONIZATIONOBJECT of 33 objects -> EINVAL");

	memset(&from_gpu, 0, sizeof(from_gpu));
	from_gpu.context = context;
	from_gpu.object_count = TOO_MANY;
	from_gpu.objects = (uintptr_t)objects;
	from_gpu.monitored_fence_values = (uintptr_t)values;
	tap_errno(dxg(LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMGPU, &from_gpu), EINVAL,
		  "SIGNAL...FROMGPU of 33 objects -> EINVAL");

	memset(&from_gpu2, 0, sizeof(from_gpu2));
	from_gpu2.object_count = TOO_MANY;
	from_gpu2.objects = (uintptr_t)objects;
	from_gpu2.context_count = 1;
	from_gpu2.contexts = (uintptr_t)&context;
	from_gpu2.monitored_fence_values = (uintptr_t)values;
	tap_errno(dxg(LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMGPU2, &from_gpu2), EINVAL,
		  "SIGNAL...FROMGPU2 of 33 objects -> EINVAL");
	from_gpu2.object_count = 1;
	from_gpu2.context_count = 0;
	tap_errno(dxg(LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMGPU2, &from_gpu2), EINVAL,
		  "SIGNAL...FROMGPU2 on 0 contexts -> EINVAL");

	memset(&wait_gpu, 0, sizeof(wait_gpu));
	wait_gpu.context = context;
	wait_gpu.object_count = TOO_MANY;
	wait_gpu.objects = (uintptr_t)objects;
	wait_gpu.monitored_fence_values = (uintptr_t)values;
	tap_errno(dxg(LX_DXWAITFORSYNCHRONIZATIONOBJECTFROMGPU, &wait_gpu), EINVAL,
		  "WAIT...FROMGPU of 33 objects -> EINVAL");
	wait_gpu.object_count = 1;
	wait_gpu.context = (struct d3dkmthandle){ GARBAGE_HANDLE };
	tap_errno(dxg(LX_DXWAITFORSYNCHRONIZATIONOBJECTFROMGPU, &wait_gpu), EINVAL,
		  "WAIT...FROMGPU on a garbage context -> EINVAL");

	destroy_sync(fence.handle);
}

/*
 * Queue ordering on one context: wait(W >= 1), then signal(S = 2) behind it. S cannot move
 * before W is signalled from the CPU, whatever the timing.
 */
static void test_queue_order(struct d3dkmthandle device, struct d3dkmthandle context)
{
	struct fence w = { 0 }, s = { 0 }, g = { 0 };
	struct d3dkmt_waitforsynchronizationobject2 wait2;
	struct d3dkmt_signalsynchronizationobject2 signal2;
	struct d3dkmt_waitforsynchronizationobjectfromgpu wait_gpu;
	struct d3dkmt_signalsynchronizationobjectfromgpu from_gpu;
	struct d3dkmt_signalsynchronizationobjectfromgpu2 from_gpu2;
	uint64_t one = 1, value;

	if (!tap_ret0(create_fence(device, 0, &w), "fence W") ||
	    !tap_ret0(create_fence(device, 0, &s), "fence S") ||
	    !tap_ret0(create_fence(device, 0, &g), "fence G"))
		goto out;

	memset(&wait2, 0, sizeof(wait2));
	wait2.context = context;
	wait2.object_count = 1;
	wait2.object_array[0] = w.handle;
	wait2.fence_value = 1;
	tap_ret0(dxg(LX_DXWAITFORSYNCHRONIZATIONOBJECT, &wait2),
		 "WAITFORSYNCHRONIZATIONOBJECT: the context waits for W >= 1");
	memset(&signal2, 0, sizeof(signal2));
	signal2.context = context;
	signal2.object_count = 1;
	signal2.object_array[0] = s.handle;
	signal2.fence_value = 2;
	tap_ret0(dxg(LX_DXSIGNALSYNCHRONIZATIONOBJECT, &signal2),
		 "SIGNALSYNCHRONIZATIONOBJECT: then signals S = 2");
	tap_ok(*s.cpu == 0, "S has not moved while the context waits for W (%llu)",
	       (unsigned long long)*s.cpu);
	tap_ret0(signal_one(device, w.handle, 1), "the CPU signals W = 1");
	tap_ret0(wait_one(device, s.handle, 2), "the CPU sees S reach 2");

	/* The same with the pointer-based variants. */
	value = 3;
	memset(&wait_gpu, 0, sizeof(wait_gpu));
	wait_gpu.context = context;
	wait_gpu.object_count = 1;
	wait_gpu.objects = (uintptr_t)&w.handle;
	wait_gpu.monitored_fence_values = (uintptr_t)&value;
	tap_ret0(dxg(LX_DXWAITFORSYNCHRONIZATIONOBJECTFROMGPU, &wait_gpu),
		 "WAIT...FROMGPU: the context waits for W >= 3");
	memset(&from_gpu, 0, sizeof(from_gpu));
	from_gpu.context = context;
	from_gpu.object_count = 1;
	from_gpu.objects = (uintptr_t)&s.handle;
	from_gpu.monitored_fence_values = (uintptr_t)&(uint64_t){ 4 };
	tap_ret0(dxg(LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMGPU, &from_gpu),
		 "SIGNAL...FROMGPU: then signals S = 4");
	memset(&from_gpu2, 0, sizeof(from_gpu2));
	from_gpu2.object_count = 1;
	from_gpu2.objects = (uintptr_t)&g.handle;
	from_gpu2.context_count = 1;
	from_gpu2.contexts = (uintptr_t)&context;
	from_gpu2.monitored_fence_values = (uintptr_t)&one;
	tap_ret0(dxg(LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMGPU2, &from_gpu2),
		 "SIGNAL...FROMGPU2: then signals G = 1");
	tap_ok(*s.cpu == 2 && *g.cpu == 0, "S and G wait behind W (S %llu, G %llu)",
	       (unsigned long long)*s.cpu, (unsigned long long)*g.cpu);
	tap_ret0(signal_one(device, w.handle, 3), "the CPU signals W = 3");
	tap_ret0(wait_one(device, s.handle, 4), "the CPU sees S reach 4");
	tap_ret0(wait_one(device, g.handle, 1), "the CPU sees G reach 1");
out:
	if (w.handle.v)
		destroy_sync(w.handle);
	if (s.handle.v)
		destroy_sync(s.handle);
	if (g.handle.v)
		destroy_sync(g.handle);
}

int main(void)
{
	struct d3dkmt_adapterinfo adapters[MAX_ADAPTERS];
	struct d3dkmt_enumadapters3 enum_args;
	struct d3dkmt_createdevice device_args;
	struct d3dkmt_createcontextvirtual context_args;
	struct d3dkmthandle device;

	tap_begin("dxgcompat-sync", 180);
	dxg_fd = open("/dev/dxg", O_RDONLY | O_CLOEXEC);
	if (dxg_fd < 0)
		tap_skip_all("no /dev/dxg: %s", errno_name(errno));
	memset(&enum_args, 0, sizeof(enum_args));
	enum_args.filter = D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY;
	enum_args.adapter_count = MAX_ADAPTERS;
	enum_args.adapters = (uintptr_t)adapters;
	if (dxg(LX_DXENUMADAPTERS3, &enum_args) < 0 || enum_args.adapter_count == 0)
		tap_skip_all("no adapter");
	memset(&device_args, 0, sizeof(device_args));
	device_args.adapter = adapters[0].adapter_handle;
	if (!tap_ret0(dxg(LX_DXCREATEDEVICE, &device_args), "CREATEDEVICE"))
		return tap_end();
	device = device_args.device;
	memset(&context_args, 0, sizeof(context_args));
	context_args.device = device;
	context_args.engine_affinity = 1;
	if (!tap_ret0(dxg(LX_DXCREATECONTEXTVIRTUAL, &context_args), "CREATECONTEXTVIRTUAL"))
		return tap_end();

	test_create(device);
	test_cpu_signal_wait(device);
	test_limits(device, context_args.context);
	test_queue_order(device, context_args.context);

	{
		struct d3dkmt_destroydevice destroy = { .device = device };

		tap_ret0(dxg(LX_DXDESTROYDEVICE, &destroy), "DESTROYDEVICE");
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
