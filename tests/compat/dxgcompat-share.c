// SPDX-License-Identifier: MIT
/*
 * dxgcompat-share: sharing across processes as WSL's dxgkrnl does it (0x3f..0x42, 0x44), with
 * opendxg's access rights (docs/abi.md).
 *
 *   - a monitored fence created SHARED without NT_SECURITY_SHARING is -EINVAL; SHAREOBJECTS of a
 *     SHARED|NT fence gives a new close-on-exec "dxgsyncobj" anon-inode fd per call; a count other
 *     than 1, a non-shared object, a device handle, an unknown access bit are -EINVAL
 *   - OPENSYNCOBJECTFROMNTHANDLE2: device 0, a bad fd, a pipe, /dev/null, a resource fd -> -EINVAL;
 *     a forked child that reopened /dev/dxg opens the fd: its own handle and CPU VA; the parent's
 *     CPU signal shows at the child's CPU VA; the child's signal reaches the parent
 *   - an fd shared with SYNCHRONIZE only: the opener may wait, its CPU signal is -EACCES
 *   - a child that never received an fd cannot reach the objects: the parent's handles are
 *     -EINVAL to it and the fd numbers mean nothing in it
 *   - resources: create_shared without create_resource or without nt_security_sharing -EINVAL;
 *     QUERYRESOURCEINFOFROMNTHANDLE sizes; OPENRESOURCEFROMNTHANDLE with a wrong allocation count
 *     or a too-small buffer -EINVAL, then both sides LOCK2 and see each other's bytes; adding an
 *     allocation to a shared (sealed) resource -EINVAL; a GENERIC_READ open maps read-only
 *   - the object outlives its creator's handle while the opener holds it; closing every fd and
 *     handle frees it (the host's per-VM counters come back to the baseline)
 *   - SHAREOBJECTWITHHOST: -EPERM with a valid device, -EINVAL with a bad one
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define ACCESS_SYNCHRONIZE 0x00100000u
#define ACCESS_GENERIC_READ 0x80000000u
#define ACCESS_GENERIC_ALL 0x10000000u
#define ACCESS_SHARED_SYNC_QUERY_STATE 0x1u
#define ACCESS_UNKNOWN_BIT 0x00000100u

#define FENCE_INITIAL 5u
#define ALLOC_SIZE (64u * 1024u)
#define ALLOC_COUNT 2u
#define RUNTIME_SIZE 16u
/* How long the host may take to drop objects after the last reference went (polled). */
#define RELEASE_TRIES 400u

struct parent_state {
	int fd;
	struct d3dkmthandle adapter, device, fence, resource;
	struct d3dkmthandle allocations[ALLOC_COUNT];
	volatile uint64_t *fence_cpu;
	uint8_t *maps[ALLOC_COUNT];
	int fence_fd, fence_sync_fd, resource_fd, resource_read_fd;
};

/* What the parent tells the child that never received an fd. */
struct foreign_view {
	struct d3dkmthandle fence, device, resource, allocation;
	int fence_fd;
};

static uint8_t pattern_byte(unsigned int which, size_t i)
{
	return (uint8_t)(which * 37u + i * 7u + 1u);
}

static void fill_pattern(uint8_t *p, size_t size, unsigned int which)
{
	for (size_t i = 0; i < size; i++)
		p[i] = pattern_byte(which, i);
}

static bool has_pattern(const volatile uint8_t *p, size_t size, unsigned int which)
{
	for (size_t i = 0; i < size; i++) {
		if (p[i] != pattern_byte(which, i))
			return false;
	}
	return true;
}

static int share_raw(int fd, const struct d3dkmthandle *objects, uint32_t count, uint32_t access,
		     uint64_t *shared)
{
	struct d3dkmt_shareobjects args = {
		.object_count = count,
		.objects = (uintptr_t)objects,
		.desired_access = access,
		.shared_handle = (uintptr_t)shared,
	};

	return compat_ioctl(fd, LX_DXSHAREOBJECTS, &args);
}

static int open_sync_nt(int fd, uint64_t nt_handle, struct d3dkmthandle device,
			struct d3dkmt_opensyncobjectfromnthandle2 *out)
{
	memset(out, 0, sizeof(*out));
	out->nt_handle = nt_handle;
	out->device = device;
	out->monitored_fence.engine_affinity = 1;
	return compat_ioctl(fd, LX_DXOPENSYNCOBJECTFROMNTHANDLE2, out);
}

static int query_resource_nt(int fd, uint64_t nt_handle, struct d3dkmthandle device,
			     struct d3dkmt_queryresourceinfofromnthandle *out)
{
	memset(out, 0, sizeof(*out));
	out->device = device;
	out->nt_handle = nt_handle;
	return compat_ioctl(fd, LX_DXQUERYRESOURCEINFOFROMNTHANDLE, out);
}

/* Buffers of one OPENRESOURCEFROMNTHANDLE call. */
struct open_buffers {
	struct d3dddi_openallocationinfo2 info[ALLOC_COUNT + 1];
	uint8_t runtime[RUNTIME_SIZE];
	uint8_t total[ALLOC_COUNT * sizeof(struct opendxg_alloc_priv)];
	uint8_t resource_priv[16];
};

static int open_resource_nt(int fd, uint64_t nt_handle, struct d3dkmthandle device,
			    uint32_t count, int32_t runtime_size, uint32_t total_size,
			    struct open_buffers *b, struct d3dkmt_openresourcefromnthandle *out)
{
	memset(out, 0, sizeof(*out));
	memset(b, 0, sizeof(*b));
	out->device = device;
	out->nt_handle = nt_handle;
	out->allocation_count = count;
	out->open_alloc_info = (uintptr_t)b->info;
	out->private_runtime_data_size = runtime_size;
	out->private_runtime_data = (uintptr_t)b->runtime;
	out->resource_priv_drv_data_size = sizeof(b->resource_priv);
	out->resource_priv_drv_data = (uintptr_t)b->resource_priv;
	out->total_priv_drv_data_size = total_size;
	out->total_priv_drv_data = (uintptr_t)b->total;
	return compat_ioctl(fd, LX_DXOPENRESOURCEFROMNTHANDLE, out);
}

/* One host-visible allocation created with @flags (and a resource when @resource is set). */
static int create_with_flags(int fd, struct d3dkmthandle device, uint32_t flags,
			     struct d3dkmthandle resource, struct d3dkmthandle *allocation)
{
	struct opendxg_alloc_priv priv;
	struct d3dddi_allocationinfo2 info = { 0 };
	struct d3dkmt_createallocation args = { .device = device, .resource = resource };
	int ret;

	compat_alloc_priv(&priv, OPENDXG_ALLOC_KIND_HOST_VISIBLE, ALLOC_SIZE);
	info.priv_drv_data = (uintptr_t)&priv;
	info.priv_drv_data_size = sizeof(priv);
	args.alloc_count = 1;
	args.allocation_info = (uintptr_t)&info;
	args.flags = flags;
	ret = compat_ioctl(fd, LX_DXCREATEALLOCATION, &args);
	if (ret >= 0) {
		*allocation = info.allocation;
		if (args.resource.v)
			compat_destroy_resource(fd, device, args.resource);
		else
			compat_destroy_allocation(fd, device, info.allocation);
	}
	return ret;
}

static bool fd_is_anon_inode(int fd, const char *name)
{
	char path[64], target[128], want[96];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	snprintf(want, sizeof(want), "anon_inode:%s", name);
	tap_diag("fd %d is %s", fd, target);
	return strcmp(target, want) == 0;
}

static bool fd_is_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	return flags >= 0 && (flags & FD_CLOEXEC);
}

/* The permissions /proc/self/maps gives the mapping that contains @address ("rw-s"...). */
static bool mapping_perms(const void *address, char perms[5])
{
	uintptr_t want = (uintptr_t)address;
	char line[512];
	bool found = false;
	FILE *maps = fopen("/proc/self/maps", "r");

	if (!maps)
		return false;
	while (!found && fgets(line, sizeof(line), maps)) {
		unsigned long start, end;

		if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) == 3 && want >= start &&
		    want < end)
			found = true;
	}
	fclose(maps);
	return found;
}

static sigjmp_buf fault_jump;

static void on_fault(int sig)
{
	siglongjmp(fault_jump, sig);
}

/* Writes one byte at @p: true when that faulted (SIGSEGV or SIGBUS). */
static bool write_faults(volatile uint8_t *p)
{
	struct sigaction sa = { .sa_handler = on_fault }, old_segv, old_bus;
	bool faulted;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	if (sigsetjmp(fault_jump, 1) == 0) {
		p[0] = (uint8_t)(p[0] ^ 0xff);
		faulted = false;
	} else {
		faulted = true;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return faulted;
}

static void check_create_rules(struct parent_state *p)
{
	struct d3dkmthandle scratch, fence;
	uint64_t shared = 0;
	int ret;

	tap_diag("creation and SHAREOBJECTS rules");
	tap_errno(compat_create_monitored_fence(p->fd, p->device, D3DDDI_SYNCOBJ_FLAG_SHARED, 0,
						&scratch, NULL),
		  EINVAL, "a monitored fence SHARED without NT_SECURITY_SHARING -> EINVAL");
	ret = compat_create_monitored_fence(p->fd, p->device, 0, 0, &fence, NULL);
	if (tap_ret0(ret, "a non-shared monitored fence")) {
		tap_errno(share_raw(p->fd, &fence, 1, 0, &shared), EINVAL,
			  "SHAREOBJECTS of a non-shared fence -> EINVAL");
		compat_destroy_sync(p->fd, fence);
	}
	{
		struct d3dkmthandle two[2] = { p->fence, p->fence };

		tap_errno(share_raw(p->fd, two, 0, 0, &shared), EINVAL,
			  "SHAREOBJECTS with object_count 0 -> EINVAL");
		tap_errno(share_raw(p->fd, two, 2, 0, &shared), EINVAL,
			  "SHAREOBJECTS with object_count 2 -> EINVAL");
	}
	tap_errno(share_raw(p->fd, &p->device, 1, 0, &shared), EINVAL,
		  "SHAREOBJECTS of a device handle -> EINVAL");
	tap_errno(share_raw(p->fd, &(struct d3dkmthandle){ 0x7fffffc0u }, 1, 0, &shared), EINVAL,
		  "SHAREOBJECTS of an unknown handle -> EINVAL");
	tap_errno(share_raw(p->fd, &p->fence, 1, ACCESS_UNKNOWN_BIT, &shared), EINVAL,
		  "SHAREOBJECTS with an unknown access bit -> EINVAL");
	tap_errno(share_raw(p->fd, &p->fence, 1, 0, NULL), EFAULT,
		  "SHAREOBJECTS with a NULL shared_handle -> EFAULT");

	tap_errno(create_with_flags(p->fd, p->device, D3DKMT_CREATEALLOCATION_FLAG_CREATE_SHARED,
				    (struct d3dkmthandle){ 0 }, &scratch),
		  EINVAL, "CREATEALLOCATION create_shared without create_resource -> EINVAL");
	tap_errno(create_with_flags(p->fd, p->device,
				    D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE |
					    D3DKMT_CREATEALLOCATION_FLAG_CREATE_SHARED,
				    (struct d3dkmthandle){ 0 }, &scratch),
		  EINVAL, "CREATEALLOCATION create_shared without nt_security_sharing -> EINVAL");
}

static void check_sync_fds(struct parent_state *p)
{
	int again;

	tap_diag("the fence's fds");
	if (!tap_ok(p->fence_fd >= 0, "SHAREOBJECTS of the SHARED|NT fence -> an fd (%s)",
		    p->fence_fd < 0 ? errno_name(-p->fence_fd) : "ok"))
		return;
	tap_ok(fd_is_cloexec(p->fence_fd), "the fd is close-on-exec");
	tap_ok(fd_is_anon_inode(p->fence_fd, "dxgsyncobj"), "the fd is the anon inode dxgsyncobj");
	again = compat_share(p->fd, p->fence, 0);
	tap_ok(again >= 0 && again != p->fence_fd, "each SHAREOBJECTS gives a new fd (%d, %d)",
	       p->fence_fd, again);
	if (again >= 0)
		close(again);
	tap_ok(p->fence_sync_fd >= 0, "SHAREOBJECTS with SYNCHRONIZE only -> an fd (%s)",
	       p->fence_sync_fd < 0 ? errno_name(-p->fence_sync_fd) : "ok");
	again = compat_share(p->fd, p->fence, ACCESS_SHARED_SYNC_QUERY_STATE);
	tap_ok(again >= 0, "SHAREOBJECTS of a fence with DXGK_SHARED_SYNC_QUERY_STATE -> an fd (%s)",
	       again < 0 ? errno_name(-again) : "ok");
	if (again >= 0)
		close(again);
}

static void check_open_sync_misuse(struct parent_state *p)
{
	struct d3dkmt_opensyncobjectfromnthandle2 out;
	int pipe_fds[2], null_fd;

	tap_diag("OPENSYNCOBJECTFROMNTHANDLE2 misuse");
	if (p->fence_fd >= 0) {
		tap_errno(open_sync_nt(p->fd, (uint64_t)p->fence_fd, (struct d3dkmthandle){ 0 }, &out),
			  EINVAL, "device 0 -> EINVAL");
		tap_errno(open_sync_nt(p->fd, (uint64_t)p->fence_fd,
				       (struct d3dkmthandle){ 0x7fffffc0u }, &out),
			  EINVAL, "an unknown device -> EINVAL");
	}
	tap_errno(open_sync_nt(p->fd, 9999, p->device, &out), EINVAL, "a closed fd number -> EINVAL");
	if (tap_ok(pipe(pipe_fds) == 0, "a pipe")) {
		tap_errno(open_sync_nt(p->fd, (uint64_t)pipe_fds[0], p->device, &out), EINVAL,
			  "a pipe fd -> EINVAL");
		close(pipe_fds[0]);
		close(pipe_fds[1]);
	}
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	tap_errno(open_sync_nt(p->fd, (uint64_t)null_fd, p->device, &out), EINVAL,
		  "/dev/null -> EINVAL");
	if (null_fd >= 0)
		close(null_fd);
	tap_errno(open_sync_nt(p->fd, (uint64_t)p->fd, p->device, &out), EINVAL,
		  "the /dev/dxg fd itself -> EINVAL");
	if (p->resource_fd >= 0)
		tap_errno(open_sync_nt(p->fd, (uint64_t)p->resource_fd, p->device, &out), EINVAL,
			  "a resource's fd -> EINVAL");
}

static void check_resource_misuse(struct parent_state *p)
{
	struct d3dkmt_queryresourceinfofromnthandle q;

	tap_diag("resource fds");
	if (!tap_ok(p->resource_fd >= 0, "SHAREOBJECTS of the shared resource -> an fd (%s)",
		    p->resource_fd < 0 ? errno_name(-p->resource_fd) : "ok"))
		return;
	tap_ok(fd_is_cloexec(p->resource_fd), "the resource fd is close-on-exec");
	tap_ok(fd_is_anon_inode(p->resource_fd, "dxgresource"),
	       "the fd is the anon inode dxgresource");
	tap_errno(share_raw(p->fd, &p->resource, 1, ACCESS_SHARED_SYNC_QUERY_STATE,
			    &(uint64_t){ 0 }),
		  EINVAL, "a resource shared with DXGK_SHARED_SYNC_QUERY_STATE -> EINVAL");
	tap_errno(share_raw(p->fd, &p->allocations[0], 1, 0, &(uint64_t){ 0 }), EINVAL,
		  "SHAREOBJECTS of an allocation handle -> EINVAL");
	tap_errno(query_resource_nt(p->fd, 9999, p->device, &q), EINVAL,
		  "QUERYRESOURCEINFOFROMNTHANDLE of a closed fd number -> EINVAL");
	if (p->fence_fd >= 0)
		tap_errno(query_resource_nt(p->fd, (uint64_t)p->fence_fd, p->device, &q), EINVAL,
			  "QUERYRESOURCEINFOFROMNTHANDLE of a sync object's fd -> EINVAL");
	tap_errno(query_resource_nt(p->fd, (uint64_t)p->resource_fd,
				    (struct d3dkmthandle){ 0x7fffffc0u }, &q),
		  EINVAL, "QUERYRESOURCEINFOFROMNTHANDLE with an unknown device -> EINVAL");
	{
		struct opendxg_alloc_priv priv;
		struct d3dddi_allocationinfo2 info = { 0 };
		struct d3dkmt_createallocation args = { .device = p->device,
							.resource = p->resource };

		compat_alloc_priv(&priv, OPENDXG_ALLOC_KIND_HOST_VISIBLE, ALLOC_SIZE);
		info.priv_drv_data = (uintptr_t)&priv;
		info.priv_drv_data_size = sizeof(priv);
		args.alloc_count = 1;
		args.allocation_info = (uintptr_t)&info;
		tap_errno(compat_ioctl(p->fd, LX_DXCREATEALLOCATION, &args), EINVAL,
			  "adding an allocation to a shared (sealed) resource -> EINVAL");
	}
}

static void child_sync(struct parent_state *p, int to_parent, int from_parent)
{
	struct d3dkmt_opensyncobjectfromnthandle2 full, waiter;
	struct d3dkmthandle adapter, device;
	volatile uint64_t *cpu;
	char step = 0;
	int fd = compat_open();

	if (!tap_ok(fd >= 0, "child: opens /dev/dxg itself") ||
	    !tap_ret0(compat_first_adapter(fd, &adapter, NULL), "child: an adapter") ||
	    !tap_ret0(compat_create_device(fd, adapter, &device), "child: a device"))
		goto out;
	if (!tap_ret0(open_sync_nt(fd, (uint64_t)p->fence_fd, device, &full),
		      "child: OPENSYNCOBJECTFROMNTHANDLE2 of the fence fd"))
		goto out;
	cpu = (volatile uint64_t *)(uintptr_t)full.monitored_fence.fence_value_cpu_va;
	tap_ok(full.sync_object.v != 0 && cpu != NULL,
	       "child: its own handle 0x%08x and CPU VA %p", full.sync_object.v, (void *)cpu);
	if (cpu)
		tap_ok(*cpu == FENCE_INITIAL, "child: the CPU VA reads the initial value %u (%llu)",
		       FENCE_INITIAL, (unsigned long long)*cpu);
	compat_write_all(to_parent, "R", 1);
	compat_read_all(from_parent, &step, 1);
	if (tap_ret0(compat_wait_cpu(fd, device, full.sync_object, 42),
		     "child: waits for the parent's CPU signal 42") && cpu)
		tap_ok(*cpu == 42, "child: its CPU VA reads 42 (%llu)", (unsigned long long)*cpu);
	tap_ret0(compat_signal_cpu(fd, device, full.sync_object, 43),
		 "child: signals 43 through the fully shared handle");
	if (p->fence_sync_fd >= 0 &&
	    tap_ret0(open_sync_nt(fd, (uint64_t)p->fence_sync_fd, device, &waiter),
		     "child: opens the SYNCHRONIZE-only fd")) {
		tap_errno(compat_signal_cpu(fd, device, waiter.sync_object, 44), EACCES,
			  "child: CPU signal through the SYNCHRONIZE-only handle -> EACCES");
		tap_ret0(compat_wait_cpu(fd, device, waiter.sync_object, 43),
			 "child: waits through the SYNCHRONIZE-only handle");
		tap_ret0(compat_destroy_sync(fd, waiter.sync_object),
			 "child: destroys the SYNCHRONIZE-only handle");
	}
	tap_ret0(compat_destroy_sync(fd, full.sync_object), "child: destroys its fence handle");
	tap_ret0(compat_destroy_device(fd, device), "child: destroys its device");
out:
	compat_write_all(to_parent, "T", 1);
	if (fd >= 0)
		close(fd);
}

static void child_resource(struct parent_state *p, int to_parent, int from_parent)
{
	struct d3dkmt_queryresourceinfofromnthandle q;
	struct d3dkmt_openresourcefromnthandle o;
	struct open_buffers b;
	struct d3dkmthandle adapter, device;
	const uint32_t total = ALLOC_COUNT * sizeof(struct opendxg_alloc_priv);
	void *maps[ALLOC_COUNT] = { 0 };
	char step = 0;
	int fd = compat_open();
	bool opened = false;

	if (!tap_ok(fd >= 0, "child: opens /dev/dxg itself") ||
	    !tap_ret0(compat_first_adapter(fd, &adapter, NULL), "child: an adapter") ||
	    !tap_ret0(compat_create_device(fd, adapter, &device), "child: a device"))
		goto out;
	if (tap_ret0(query_resource_nt(fd, (uint64_t)p->resource_fd, device, &q),
		     "child: QUERYRESOURCEINFOFROMNTHANDLE"))
		tap_ok(q.private_runtime_data_size == RUNTIME_SIZE &&
			       q.resource_priv_drv_data_size == 0 &&
			       q.total_priv_drv_data_size == total &&
			       q.allocation_count == ALLOC_COUNT,
		       "child: runtime %u, resource %u, total %u bytes, %u allocations "
		       "(want %u, 0, %u, %u)",
		       q.private_runtime_data_size, q.resource_priv_drv_data_size,
		       q.total_priv_drv_data_size, q.allocation_count, RUNTIME_SIZE, total,
		       ALLOC_COUNT);
	tap_errno(open_resource_nt(fd, (uint64_t)p->resource_fd, device, ALLOC_COUNT - 1,
				   RUNTIME_SIZE, total, &b, &o),
		  EINVAL, "child: OPENRESOURCEFROMNTHANDLE with one allocation too few -> EINVAL");
	tap_errno(open_resource_nt(fd, (uint64_t)p->resource_fd, device, ALLOC_COUNT + 1,
				   RUNTIME_SIZE, total, &b, &o),
		  EINVAL, "child: ... with one allocation too many -> EINVAL");
	tap_errno(open_resource_nt(fd, (uint64_t)p->resource_fd, device, ALLOC_COUNT,
				   RUNTIME_SIZE, total - 1, &b, &o),
		  EINVAL, "child: ... with a total private data buffer 1 byte short -> EINVAL");
	tap_errno(open_resource_nt(fd, (uint64_t)p->resource_fd, device, ALLOC_COUNT,
				   RUNTIME_SIZE - 1, total, &b, &o),
		  EINVAL, "child: ... with a runtime data buffer 1 byte short -> EINVAL");
	tap_errno(open_resource_nt(fd, (uint64_t)p->fence_fd, device, ALLOC_COUNT, RUNTIME_SIZE,
				   total, &b, &o),
		  EINVAL, "child: ... of a sync object's fd -> EINVAL");
	opened = tap_ret0(open_resource_nt(fd, (uint64_t)p->resource_fd, device, ALLOC_COUNT,
					   RUNTIME_SIZE, total, &b, &o),
			  "child: OPENRESOURCEFROMNTHANDLE");
	if (!opened)
		goto out;
	{
		bool runtime_ok = true, info_ok = o.resource.v != 0 &&
						  o.total_priv_drv_data_size == total;
		const struct opendxg_alloc_priv *privs = (const void *)b.total;

		for (uint32_t i = 0; i < RUNTIME_SIZE; i++)
			runtime_ok &= b.runtime[i] == (uint8_t)(0xa0 + i);
		for (uint32_t i = 0; i < ALLOC_COUNT; i++) {
			info_ok &= b.info[i].allocation.v != 0 &&
				   b.info[i].priv_drv_data_size == sizeof(struct opendxg_alloc_priv) &&
				   b.info[i].priv_drv_data ==
					   (uintptr_t)b.total + i * sizeof(struct opendxg_alloc_priv) &&
				   privs[i].kind == OPENDXG_ALLOC_KIND_HOST_VISIBLE &&
				   privs[i].size == ALLOC_SIZE;
		}
		tap_ok(runtime_ok, "child: the runtime private data came back byte for byte");
		tap_ok(info_ok, "child: resource 0x%08x, allocations 0x%08x 0x%08x with their KMD data",
		       o.resource.v, b.info[0].allocation.v, b.info[1].allocation.v);
		tap_ok(o.keyed_mutex.v == 0 && o.sync_object.v == 0,
		       "child: no keyed mutex, no sync object (WSL leaves them untouched)");
	}
	for (uint32_t i = 0; i < ALLOC_COUNT; i++) {
		if (!tap_ret0(compat_lock2(fd, device, b.info[i].allocation, &maps[i]),
			      "child: LOCK2 of opened allocation %u", i))
			goto out;
	}
	tap_ok(has_pattern(maps[0], ALLOC_SIZE, 1), "child: allocation 0 holds the parent's bytes");
	fill_pattern(maps[1], ALLOC_SIZE, 2);
	compat_write_all(to_parent, "U", 1);
	/* The parent destroys its handles and closes its fds: we still hold the resource. */
	compat_read_all(from_parent, &step, 1);
	tap_ok(has_pattern(maps[0], ALLOC_SIZE, 1),
	       "child: the resource outlives the creator's handles (allocation 0 unchanged)");
	for (uint32_t i = 0; i < ALLOC_COUNT; i++)
		compat_unlock2(fd, device, b.info[i].allocation);

	/* GENERIC_READ: the mapping this open gives is read-only. */
	if (p->resource_read_fd >= 0) {
		struct open_buffers rb;
		struct d3dkmt_openresourcefromnthandle ro;
		void *map = NULL;
		char perms[5] = "";

		if (tap_ret0(open_resource_nt(fd, (uint64_t)p->resource_read_fd, device,
					      ALLOC_COUNT, RUNTIME_SIZE, total, &rb, &ro),
			     "child: opens the GENERIC_READ fd") &&
		    tap_ret0(compat_lock2(fd, device, rb.info[0].allocation, &map),
			     "child: LOCK2 through the read-only open")) {
			tap_ok(has_pattern(map, ALLOC_SIZE, 1), "child: it reads the bytes");
			tap_ok(mapping_perms(map, perms) && perms[0] == 'r' && perms[1] == '-',
			       "child: /proc/self/maps shows it read-only (%s)", perms);
			tap_ok(write_faults(map), "child: a write to it faults");
			tap_ok(has_pattern(map, ALLOC_SIZE, 1), "child: the bytes are unchanged");
			compat_unlock2(fd, device, rb.info[0].allocation);
			tap_ret0(compat_destroy_resource(fd, device, ro.resource),
				 "child: destroys the read-only open");
		}
	}
	tap_ret0(compat_destroy_resource(fd, device, o.resource), "child: destroys its resource");
	tap_ret0(compat_destroy_device(fd, device), "child: destroys its device");
out:
	compat_write_all(to_parent, "X", 1);
	if (fd >= 0)
		close(fd);
}

static void check_foreign_child(int to_child, struct parent_state *p)
{
	struct foreign_view view = {
		.fence = p->fence,
		.device = p->device,
		.resource = p->resource,
		.allocation = p->allocations[0],
		.fence_fd = p->fence_fd,
	};

	compat_write_all(to_child, &view, sizeof(view));
}

static void foreign_child(int from_parent)
{
	struct foreign_view view;
	struct d3dkmt_opensyncobjectfromnthandle2 out;
	struct d3dkmthandle adapter, device;
	void *map;
	int fd;

	if (!tap_ret0(compat_read_all(from_parent, &view, sizeof(view)),
		      "foreign child: the parent's handle values"))
		return;
	fd = compat_open();
	if (!tap_ok(fd >= 0, "foreign child: opens /dev/dxg") ||
	    !tap_ret0(compat_first_adapter(fd, &adapter, NULL), "foreign child: an adapter") ||
	    !tap_ret0(compat_create_device(fd, adapter, &device), "foreign child: a device"))
		return;
	tap_errno(compat_signal_cpu(fd, device, view.fence, 99), EINVAL,
		  "foreign child: the parent's fence handle -> EINVAL");
	tap_errno(compat_wait_cpu(fd, device, view.fence, 1), EINVAL,
		  "foreign child: waiting on the parent's fence handle -> EINVAL");
	tap_errno(compat_lock2(fd, device, view.allocation, &map), EINVAL,
		  "foreign child: LOCK2 of the parent's allocation handle -> EINVAL");
	tap_errno(compat_lock2(fd, view.device, view.allocation, &map), EINVAL,
		  "foreign child: the parent's device handle -> EINVAL");
	if (view.fence_fd >= 0) {
		int ret = open_sync_nt(fd, (uint64_t)view.fence_fd, device, &out);

		tap_errno(ret, EINVAL, "foreign child: the parent's fd number %d -> EINVAL",
			  view.fence_fd);
	}
	compat_destroy_device(fd, device);
	close(fd);
}

static bool stats_back(const struct opendxg_vm_stats *base, const struct opendxg_vm_stats *now)
{
	return now->allocations == base->allocations && now->resources == base->resources &&
	       now->host_visible_bytes == base->host_visible_bytes &&
	       now->sync_objects == base->sync_objects && now->devices == base->devices &&
	       now->processes == base->processes;
}

static void check_share_with_host(struct parent_state *p)
{
	struct d3dkmt_shareobjectwithhost args = { .device_handle = p->device,
						   .object_handle = p->fence };

	tap_errno(compat_ioctl(p->fd, LX_DXSHAREOBJECTWITHHOST, &args), EPERM,
		  "SHAREOBJECTWITHHOST with a valid device -> EPERM");
	args.device_handle.v = 0x7fffffc0u;
	tap_errno(compat_ioctl(p->fd, LX_DXSHAREOBJECTWITHHOST, &args), EINVAL,
		  "SHAREOBJECTWITHHOST with an unknown device -> EINVAL");
	args.device_handle.v = 0;
	tap_errno(compat_ioctl(p->fd, LX_DXSHAREOBJECTWITHHOST, &args), EINVAL,
		  "SHAREOBJECTWITHHOST with device 0 -> EINVAL");
}

int main(void)
{
	struct parent_state p = { .fence_fd = -1, .fence_sync_fd = -1, .resource_fd = -1,
				  .resource_read_fd = -1 };
	struct opendxg_vm_stats base, now;
	uint64_t usage_before = 0, usage_after = 0;
	int to_foreign[2], to_parent[2], to_child[2];
	pid_t foreign, child;
	char step = 0;
	int ret;

	tap_begin("dxgcompat-share", 600);
	signal(SIGPIPE, SIG_IGN);
	p.fd = compat_open_or_skip();
	compat_first_adapter_or_skip(p.fd, &p.adapter, NULL);
	if (!tap_ret0(compat_create_device(p.fd, p.adapter, &p.device), "a device"))
		return tap_end();
	tap_ret0(compat_vm_stats(p.fd, p.adapter, &base), "baseline VM counters");
	compat_usage(p.fd, p.adapter, D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL, &usage_before);

	/* A child forked before anything is shared: it never receives an fd. */
	if (!tap_ok(pipe(to_foreign) == 0 && pipe(to_parent) == 0 && pipe(to_child) == 0,
		    "pipes"))
		return tap_end();
	foreign = tap_fork();
	if (foreign == 0) {
		close(to_foreign[1]);
		foreign_child(to_foreign[0]);
		tap_child_exit();
	}
	close(to_foreign[0]);

	ret = compat_create_monitored_fence(p.fd, p.device,
					    D3DDDI_SYNCOBJ_FLAG_SHARED |
						    D3DDDI_SYNCOBJ_FLAG_NT_SECURITY_SHARING,
					    FENCE_INITIAL, &p.fence, &p.fence_cpu);
	if (!tap_ret0(ret, "a SHARED|NT_SECURITY_SHARING monitored fence"))
		return tap_end();
	ret = compat_create_shared_resource(p.fd, p.device, ALLOC_SIZE, ALLOC_COUNT, RUNTIME_SIZE,
					    &p.resource, p.allocations);
	if (!tap_ret0(ret, "a shared resource of %u host-visible allocations", ALLOC_COUNT))
		return tap_end();
	if (compat_usage(p.fd, p.adapter, D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL, &usage_after) >= 0)
		tap_ok(usage_after == usage_before + ALLOC_COUNT * ALLOC_SIZE,
		       "non-local usage grew by %u bytes (%llu -> %llu)", ALLOC_COUNT * ALLOC_SIZE,
		       (unsigned long long)usage_before, (unsigned long long)usage_after);
	for (uint32_t i = 0; i < ALLOC_COUNT; i++) {
		void *map = NULL;

		if (tap_ret0(compat_lock2(p.fd, p.device, p.allocations[i], &map),
			     "parent: LOCK2 of allocation %u", i))
			p.maps[i] = map;
	}
	if (p.maps[0])
		fill_pattern(p.maps[0], ALLOC_SIZE, 1);

	check_create_rules(&p);
	p.fence_fd = compat_share(p.fd, p.fence, 0);
	p.fence_sync_fd = compat_share(p.fd, p.fence, ACCESS_SYNCHRONIZE);
	p.resource_fd = compat_share(p.fd, p.resource, ACCESS_GENERIC_ALL);
	p.resource_read_fd = compat_share(p.fd, p.resource, ACCESS_GENERIC_READ);
	check_sync_fds(&p);
	check_open_sync_misuse(&p);
	check_resource_misuse(&p);
	check_share_with_host(&p);
	check_foreign_child(to_foreign[1], &p);
	tap_wait_child(foreign, "a child without the fd cannot reach the objects");
	close(to_foreign[1]);

	if (p.fence_fd < 0 || p.resource_fd < 0) {
		tap_diag("nothing shared: the cross-process part is left out");
		return tap_end();
	}
	child = tap_fork();
	if (child == 0) {
		close(to_parent[0]);
		close(to_child[1]);
		child_sync(&p, to_parent[1], to_child[0]);
		child_resource(&p, to_parent[1], to_child[0]);
		tap_child_exit();
	}
	close(to_parent[1]);
	close(to_child[0]);

	/* The fence: the child opened it, we signal 42, it answers with 43. */
	if (compat_read_all(to_parent[0], &step, 1) == 0 && step == 'R') {
		tap_ret0(compat_signal_cpu(p.fd, p.device, p.fence, 42), "parent: CPU signal 42");
		compat_write_all(to_child[1], "S", 1);
	}
	compat_read_all(to_parent[0], &step, 1);
	if (step == 'T' && tap_ret0(compat_wait_cpu(p.fd, p.device, p.fence, 43),
				    "parent: sees the child's signal 43"))
		tap_ok(p.fence_cpu && *p.fence_cpu == 43, "parent: its CPU VA reads 43");

	/* The resource: the child wrote allocation 1 through its own mapping. */
	if (compat_read_all(to_parent[0], &step, 1) == 0 && step == 'U') {
		tap_ok(p.maps[1] && has_pattern(p.maps[1], ALLOC_SIZE, 2),
		       "parent: allocation 1 holds the child's bytes");
		for (uint32_t i = 0; i < ALLOC_COUNT; i++)
			compat_unlock2(p.fd, p.device, p.allocations[i]);
		tap_ret0(compat_destroy_resource(p.fd, p.device, p.resource),
			 "parent: destroys its resource while the child holds it");
		close(p.resource_fd);
		close(p.resource_read_fd);
		p.resource_fd = p.resource_read_fd = -1;
		compat_write_all(to_child[1], "V", 1);
	}
	compat_read_all(to_parent[0], &step, 1);
	tap_wait_child(child, "the child opened, used and released the shared objects");

	tap_ret0(compat_destroy_sync(p.fd, p.fence), "parent: destroys its fence");
	close(p.fence_fd);
	close(p.fence_sync_fd);
	for (unsigned int i = 0; i < RELEASE_TRIES; i++) {
		if (compat_vm_stats(p.fd, p.adapter, &now) < 0 || stats_back(&base, &now))
			break;
		compat_sleep_ms(50);
	}
	if (!tap_ok(stats_back(&base, &now),
		    "every fd and handle closed: the host holds nothing more than at the start")) {
		tap_diag("allocations %u/%u resources %u/%u host-visible %llu/%llu sync %u/%u",
			 base.allocations, now.allocations, base.resources, now.resources,
			 (unsigned long long)base.host_visible_bytes,
			 (unsigned long long)now.host_visible_bytes, base.sync_objects,
			 now.sync_objects);
	}
	if (compat_usage(p.fd, p.adapter, D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL, &usage_after) >= 0)
		tap_ok(usage_after == usage_before, "non-local usage is back to %llu (%llu)",
		       (unsigned long long)usage_before, (unsigned long long)usage_after);
	compat_destroy_device(p.fd, p.device);
	close(p.fd);
	return tap_end();
}
