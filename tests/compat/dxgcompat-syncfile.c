// SPDX-License-Identifier: MIT
/*
 * dxgcompat-syncfile: sync files as WSL's dxgkrnl makes them (0x45..0x47), docs/abi.md.
 *
 *   - CREATESYNCFILE on a monitored fence: a close-on-exec sync_file fd; poll() is not ready
 *     while the fence is below the value (also at value - 1), POLLIN once it reaches it;
 *     SYNC_IOC_FILE_INFO shows one fence, active then signalled
 *   - CREATESYNCFILE with device 0 or an unknown device, or on an object that is no monitored
 *     fence (a context, an unknown handle) -> -EINVAL
 *   - WAITSYNCFILE: a pipe, /dev/null -> -EINVAL; a merged sync file of two opendxg fences ->
 *     0 (opendxg waits on each; it refuses only arrays holding foreign fences); an unknown
 *     context -> -EINVAL; a sync file -> 0, and the wait is queued on the
 *     context: a later GPU signal of another fence on that context moves only after the sync
 *     file's fence reached its value
 *   - OPENSYNCOBJECTFROMSYNCFILE: a handle, the fence value and a CPU VA that follows the
 *     fence; the handle may wait but its CPU signal is -EACCES (sync files grant wait only);
 *     a pipe or an unknown device -> -EINVAL
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sync_file.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define SHARED_NT (D3DDDI_SYNCOBJ_FLAG_SHARED | D3DDDI_SYNCOBJ_FLAG_NT_SECURITY_SHARING)
#define UNKNOWN_HANDLE ((struct d3dkmthandle){ 0x7fffffc0u })

struct state {
	int fd;
	struct d3dkmthandle adapter, device, context;
};

static int create_sync_file(int fd, struct d3dkmthandle device, struct d3dkmthandle fence,
			    uint64_t value)
{
	struct d3dkmt_createsyncfile args = {
		.device = device,
		.monitored_fence = fence,
		.fence_value = value,
		.sync_file_handle = UINT64_MAX,
	};
	int ret = compat_ioctl(fd, LX_DXCREATESYNCFILE, &args);

	if (ret < 0)
		return ret;
	return args.sync_file_handle > INT32_MAX ? -ERANGE : (int)args.sync_file_handle;
}

static int wait_sync_file(int fd, int sync_file, struct d3dkmthandle context)
{
	struct d3dkmt_waitsyncfile args = { .sync_file_handle = (uint64_t)sync_file,
					    .context = context };

	return compat_ioctl(fd, LX_DXWAITSYNCFILE, &args);
}

static int open_from_sync_file(int fd, int sync_file, struct d3dkmthandle device,
			       struct d3dkmt_opensyncobjectfromsyncfile *out)
{
	memset(out, 0, sizeof(*out));
	out->sync_file_handle = (uint64_t)sync_file;
	out->device = device;
	return compat_ioctl(fd, LX_DXOPENSYNCOBJECTFROMSYNCFILE, out);
}

/* poll() with @timeout_ms: the revents, or -errno. */
static int poll_in(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret = poll(&pfd, 1, timeout_ms);

	if (ret < 0)
		return -errno;
	return ret == 0 ? 0 : pfd.revents;
}

/* SYNC_IOC_FILE_INFO: the status (1 signalled, 0 active) and the number of fences. */
static int sync_file_status(int sync_file, int *status, uint32_t *fences)
{
	struct sync_fence_info info[2];
	struct sync_file_info args = { 0 };

	memset(info, 0, sizeof(info));
	if (ioctl(sync_file, SYNC_IOC_FILE_INFO, &args) < 0)
		return -errno;
	*fences = args.num_fences;
	if (args.num_fences > 2)
		return -E2BIG;
	args.sync_fence_info = (uintptr_t)info;
	if (ioctl(sync_file, SYNC_IOC_FILE_INFO, &args) < 0)
		return -errno;
	*status = args.status;
	tap_diag("sync file \"%s\": status %d, %u fence(s), driver \"%s\", timeline \"%s\"",
		 args.name, args.status, args.num_fences, info[0].driver_name,
		 info[0].obj_name);
	return 0;
}

static void check_create_and_poll(struct state *s)
{
	struct d3dkmthandle fence;
	volatile uint64_t *cpu = NULL;
	uint32_t fences = 0;
	int status = -1, sf, flags;

	tap_diag("CREATESYNCFILE and poll");
	if (!tap_ret0(compat_create_monitored_fence(s->fd, s->device, 0, 0, &fence, &cpu),
		      "a monitored fence at 0"))
		return;
	sf = create_sync_file(s->fd, s->device, fence, 10);
	if (!tap_ok(sf >= 0, "CREATESYNCFILE for value 10 -> an fd (%s)",
		    sf < 0 ? errno_name(-sf) : "ok"))
		goto out;
	flags = fcntl(sf, F_GETFD);
	tap_ok(flags >= 0 && (flags & FD_CLOEXEC), "the sync file fd is close-on-exec");
	tap_ok(poll_in(sf, 0) == 0, "poll: not ready at 0");
	if (tap_ret0(sync_file_status(sf, &status, &fences), "SYNC_IOC_FILE_INFO"))
		tap_ok(status == 0 && fences == 1, "one fence, active (status %d, %u fences)",
		       status, fences);
	tap_ret0(compat_signal_cpu(s->fd, s->device, fence, 9), "CPU signal 9");
	tap_ret0(compat_wait_cpu(s->fd, s->device, fence, 9), "the fence reached 9");
	tap_ok(poll_in(sf, 0) == 0, "poll: still not ready at value - 1");
	tap_ret0(compat_signal_cpu(s->fd, s->device, fence, 10), "CPU signal 10");
	tap_ok(poll_in(sf, -1) & POLLIN, "poll: POLLIN once the fence reached 10");
	if (tap_ret0(sync_file_status(sf, &status, &fences), "SYNC_IOC_FILE_INFO again"))
		tap_ok(status == 1, "signalled (status %d)", status);
	tap_ok(cpu && *cpu == 10, "the fence's CPU VA reads 10");
	close(sf);
	sf = create_sync_file(s->fd, s->device, fence, 3);
	if (tap_ok(sf >= 0, "CREATESYNCFILE for a value already reached -> an fd")) {
		tap_ok(poll_in(sf, -1) & POLLIN, "poll: POLLIN");
		close(sf);
	}
out:
	compat_destroy_sync(s->fd, fence);
}

static void check_create_misuse(struct state *s)
{
	struct d3dkmthandle fence;

	tap_diag("CREATESYNCFILE misuse");
	if (!tap_ret0(compat_create_monitored_fence(s->fd, s->device, 0, 0, &fence, NULL),
		      "a monitored fence"))
		return;
	tap_errno(create_sync_file(s->fd, (struct d3dkmthandle){ 0 }, fence, 1), EINVAL,
		  "device 0 -> EINVAL");
	tap_errno(create_sync_file(s->fd, UNKNOWN_HANDLE, fence, 1), EINVAL,
		  "an unknown device -> EINVAL");
	tap_errno(create_sync_file(s->fd, s->device, s->context, 1), EINVAL,
		  "a context instead of a monitored fence -> EINVAL");
	tap_errno(create_sync_file(s->fd, s->device, s->device, 1), EINVAL,
		  "the device instead of a monitored fence -> EINVAL");
	tap_errno(create_sync_file(s->fd, s->device, UNKNOWN_HANDLE, 1), EINVAL,
		  "an unknown object -> EINVAL");
	tap_errno(compat_ioctl(s->fd, LX_DXCREATESYNCFILE, NULL), EFAULT,
		  "NULL arguments -> EFAULT");
	compat_destroy_sync(s->fd, fence);
}

static void check_wait(struct state *s)
{
	struct d3dkmthandle shared, later;
	volatile uint64_t *later_cpu = NULL;
	int pipe_fds[2], null_fd, sf, other;

	tap_diag("WAITSYNCFILE");
	if (pipe(pipe_fds) == 0) {
		tap_errno(wait_sync_file(s->fd, pipe_fds[0], s->context), EINVAL,
			  "a pipe -> EINVAL");
		close(pipe_fds[0]);
		close(pipe_fds[1]);
	}
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	tap_errno(wait_sync_file(s->fd, null_fd, s->context), EINVAL, "/dev/null -> EINVAL");
	if (null_fd >= 0)
		close(null_fd);
	tap_errno(wait_sync_file(s->fd, 9999, s->context), EINVAL, "a closed fd number -> EINVAL");
	if (!tap_ret0(compat_create_monitored_fence(s->fd, s->device, SHARED_NT, 0, &shared, NULL),
		      "a shared monitored fence at 0") ||
	    !tap_ret0(compat_create_monitored_fence(s->fd, s->device, 0, 0, &later, &later_cpu),
		      "a second monitored fence at 0"))
		return;
	sf = create_sync_file(s->fd, s->device, shared, 5);
	other = create_sync_file(s->fd, s->device, later, 7);
	if (!tap_ok(sf >= 0 && other >= 0, "sync files for 5 and 7"))
		goto out;
	tap_errno(wait_sync_file(s->fd, sf, UNKNOWN_HANDLE), EINVAL,
		  "an unknown context -> EINVAL");
	{
		struct sync_merge_data merge = { .name = "compat-merged", .fd2 = other };
		struct d3dkmthandle spare;

		/*
		 * On a context of its own, destroyed unsatisfied: the second fence never reaches 7,
		 * and the ordering check below must not wait behind it.
		 */
		if (tap_ok(ioctl(sf, SYNC_IOC_MERGE, &merge) == 0, "SYNC_IOC_MERGE of the two") &&
		    tap_ret0(compat_create_context(s->fd, s->device, &spare), "a spare context")) {
			tap_ret0(wait_sync_file(s->fd, merge.fence, spare),
				 "a merged sync file of two opendxg fences -> 0");
			close(merge.fence);
			compat_destroy_context(s->fd, spare);
		}
	}
	if (!tap_ret0(wait_sync_file(s->fd, sf, s->context), "WAITSYNCFILE on the context"))
		goto out;
	{
		struct d3dkmt_signalsynchronizationobjectfromgpu args = {
			.context = s->context,
			.object_count = 1,
			.objects = (uintptr_t)&later,
		};
		uint64_t value = 1;

		args.monitored_fence_values = (uintptr_t)&value;
		tap_ret0(compat_ioctl(s->fd, LX_DXSIGNALSYNCHRONIZATIONOBJECTFROMGPU, &args),
			 "then SIGNALSYNCHRONIZATIONOBJECTFROMGPU of the second fence to 1");
	}
	tap_ret0(compat_signal_cpu(s->fd, s->device, shared, 4), "CPU signal of the first to 4");
	tap_ret0(compat_wait_cpu(s->fd, s->device, shared, 4), "the first fence reached 4");
	tap_ok(later_cpu && *later_cpu == 0,
	       "the GPU signal queued behind the sync file has not run at 4");
	tap_ret0(compat_signal_cpu(s->fd, s->device, shared, 5), "CPU signal of the first to 5");
	if (tap_ret0(compat_wait_cpu(s->fd, s->device, later, 1),
		     "the queued GPU signal runs once the sync file's fence reached 5"))
		tap_ok(later_cpu && *later_cpu == 1, "the second fence's CPU VA reads 1");
out:
	if (sf >= 0)
		close(sf);
	if (other >= 0)
		close(other);
	compat_destroy_sync(s->fd, later);
	compat_destroy_sync(s->fd, shared);
}

static void check_open(struct state *s)
{
	struct d3dkmt_opensyncobjectfromsyncfile out;
	struct d3dkmthandle fence;
	volatile uint64_t *opened_cpu;
	int pipe_fds[2], sf;

	tap_diag("OPENSYNCOBJECTFROMSYNCFILE");
	if (!tap_ret0(compat_create_monitored_fence(s->fd, s->device, SHARED_NT, 10, &fence, NULL),
		      "a shared monitored fence at 10"))
		return;
	sf = create_sync_file(s->fd, s->device, fence, 20);
	if (!tap_ok(sf >= 0, "a sync file for 20"))
		goto out;
	if (pipe(pipe_fds) == 0) {
		tap_errno(open_from_sync_file(s->fd, pipe_fds[0], s->device, &out), EINVAL,
			  "a pipe -> EINVAL");
		close(pipe_fds[0]);
		close(pipe_fds[1]);
	}
	tap_errno(open_from_sync_file(s->fd, sf, UNKNOWN_HANDLE, &out), EINVAL,
		  "an unknown device -> EINVAL");
	if (!tap_ret0(open_from_sync_file(s->fd, sf, s->device, &out), "OPENSYNCOBJECTFROMSYNCFILE"))
		goto out;
	opened_cpu = (volatile uint64_t *)(uintptr_t)out.fence_value_cpu_va;
	tap_ok(out.syncobj.v != 0 && out.syncobj.v != fence.v && opened_cpu,
	       "a new handle 0x%08x and a CPU VA", out.syncobj.v);
	tap_ok(out.fence_value == 20, "fence_value is the sync file's 20 (%llu)",
	       (unsigned long long)out.fence_value);
	if (opened_cpu)
		tap_ok(*opened_cpu == 10, "its CPU VA reads the fence's current 10 (%llu)",
		       (unsigned long long)*opened_cpu);
	tap_errno(compat_signal_cpu(s->fd, s->device, out.syncobj, 20), EACCES,
		  "a CPU signal through the opened handle -> EACCES (wait only)");
	tap_ret0(compat_signal_cpu(s->fd, s->device, fence, 20), "CPU signal 20 (own handle)");
	if (tap_ret0(compat_wait_cpu(s->fd, s->device, out.syncobj, 20),
		     "a CPU wait through the opened handle") &&
	    opened_cpu)
		tap_ok(*opened_cpu == 20, "its CPU VA follows: 20 (%llu)",
		       (unsigned long long)*opened_cpu);
	tap_ok(poll_in(sf, -1) & POLLIN, "the sync file is signalled");
	tap_ret0(compat_destroy_sync(s->fd, out.syncobj), "destroy the opened handle");
out:
	if (sf >= 0)
		close(sf);
	compat_destroy_sync(s->fd, fence);
}

int main(void)
{
	struct state s;

	tap_begin("dxgcompat-syncfile", 300);
	s.fd = compat_open_or_skip();
	compat_first_adapter_or_skip(s.fd, &s.adapter, NULL);
	if (!tap_ret0(compat_create_device(s.fd, s.adapter, &s.device), "a device") ||
	    !tap_ret0(compat_create_context(s.fd, s.device, &s.context), "a context"))
		return tap_end();
	check_create_and_poll(&s);
	check_create_misuse(&s);
	check_wait(&s);
	check_open(&s);
	compat_destroy_context(s.fd, s.context);
	compat_destroy_device(s.fd, s.device);
	close(s.fd);
	return tap_end();
}
