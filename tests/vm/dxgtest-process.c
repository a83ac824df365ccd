// SPDX-License-Identifier: MIT
/*
 * dxgtest-process: /dev/dxg state belongs to one process (thread group), and goes away with it.
 *
 *   a) a forked child using the parent's descriptor gets ENOTTY, and works with its own
 *   b) handles do not cross processes: each side's device/context handles are EINVAL to the other
 *   c) a child that exits (or is SIGKILLed) holding adapters, devices and contexts leaves nothing
 *      behind on the host: the VM counters return to the parent's baseline
 *   d) closing /dev/dxg releases everything at once, while the process lives on; closing a second
 *      descriptor of the same process does not
 *   e) closing a process's last handle of an adapter destroys its devices there (as in WSL)
 *
 * The host's per-VM counters (OPENDXG_QAI_VM_STATS) are the witness: they count the host's objects,
 * so "back to baseline" means the guest driver really told the host.
 */
#include "dxgtest.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Generous: a release is one ring round trip, but TCG guests can be very slow. */
#define RELEASE_WAIT_MS 20000u

struct shared_objects {
	struct d3dkmthandle adapter;
	struct d3dkmthandle device;
	struct d3dkmthandle context;
};

static const struct d3dkmt_context_params default_context = {
	.engine_affinity = 1,
	.client_hint = D3DKMT_CLIENTHINT_CDD,
};

/* Parent-side state every scenario needs. */
struct parent {
	int fd;
	struct d3dkmt_adapterinfo *adapters;
	uint32_t count;
	struct d3dkmthandle stats_adapter;	/* the parent's own handle for VM_STATS */
	struct opendxg_vm_stats baseline;
};

/* Opens /dev/dxg in a child, enumerates, and makes @devices devices with one context each. */
static int child_make_objects(int *fd_out, struct shared_objects *first, int devices)
{
	struct d3dkmt_adapterinfo *adapters = NULL;
	uint32_t count = 0;
	int fd, ret;

	fd = d3dkmt_open();
	if (!tap_ok(fd >= 0, "child opens /dev/dxg itself"))
		return fd;
	ret = d3dkmt_enum_adapters_alloc(fd, D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY, &adapters,
					 &count);
	if (!tap_ok(ret == 0 && count > 0, "child enumerates %u adapters", count))
		return ret < 0 ? ret : -ENODEV;
	memset(first, 0, sizeof(*first));
	first->adapter = adapters[0].adapter_handle;
	for (int i = 0; i < devices; i++) {
		struct d3dkmthandle device, context;

		ret = d3dkmt_create_device(fd, adapters[0].adapter_handle, 0, &device);
		if (!tap_ret0(ret, "child CreateDevice %d", i))
			break;
		ret = d3dkmt_create_context_virtual(fd, device, &default_context, &context);
		if (!tap_ret0(ret, "child CreateContextVirtual %d", i))
			break;
		if (i == 0) {
			first->device = device;
			first->context = context;
		}
	}
	free(adapters);
	*fd_out = fd;
	return ret;
}

static void expect_baseline(struct parent *p, const char *what)
{
	struct opendxg_vm_stats now;
	int ret;

	ret = dxgtest_wait_stats(p->fd, p->stats_adapter, &p->baseline, &now, RELEASE_WAIT_MS);
	if (!tap_ret0(ret, "%s: VM counters back at baseline", what)) {
		dxgtest_diag_stats("baseline", &p->baseline);
		dxgtest_diag_stats("now", &now);
	}
}

/* The counters while a child holds @devices devices and contexts: exactly that much more. */
static void expect_child_objects(struct parent *p, int devices, const char *what)
{
	const struct opendxg_vm_stats *base = &p->baseline;
	struct opendxg_vm_stats now;
	int ret;

	ret = d3dkmt_query_vm_stats(p->fd, p->stats_adapter, &now);
	/* How many adapter references one handle costs is the driver's business: more is all. */
	if (!tap_ok(ret == 0 && now.processes == base->processes + 1 &&
			    now.devices == base->devices + (uint32_t)devices &&
			    now.contexts == base->contexts + (uint32_t)devices &&
			    now.open_adapters > base->open_adapters,
		    "%s: VM counters show the child's process, adapters, %d devices and contexts",
		    what, devices)) {
		dxgtest_diag_stats("baseline", base);
		dxgtest_diag_stats("now", &now);
	}
}

static void scenario_inherited_fd(struct parent *p)
{
	pid_t pid;

	tap_diag("a) inherited descriptor");
	pid = tap_fork();
	if (pid == 0) {
		struct shared_objects own;
		uint32_t count = 0;
		struct d3dkmthandle device;
		int fd = -1;

		tap_errno(d3dkmt_enum_adapters3(p->fd, 0, NULL, &count), ENOTTY,
			  "child: EnumAdapters3 on the parent's fd -> ENOTTY");
		tap_errno(d3dkmt_create_device(p->fd, p->stats_adapter, 0, &device), ENOTTY,
			  "child: CreateDevice on the parent's fd -> ENOTTY");
		tap_errno(d3dkmt_close_adapter(p->fd, p->stats_adapter), ENOTTY,
			  "child: CloseAdapter on the parent's fd -> ENOTTY");
		if (child_make_objects(&fd, &own, 1) == 0) {
			tap_ret0(d3dkmt_destroy_context(fd, own.context), "child: DestroyContext");
			tap_ret0(d3dkmt_destroy_device(fd, own.device), "child: DestroyDevice");
			tap_ret0(d3dkmt_close_adapter(fd, own.adapter), "child: CloseAdapter");
		}
		/* Dropping the child's reference to the parent's file must not hurt the parent. */
		close(p->fd);
		tap_child_exit();
	}
	tap_wait_child(pid, "a) child: parent's fd is ENOTTY, its own fd works");
	expect_baseline(p, "a) after the child exited");
	tap_ret0(d3dkmt_query_vm_stats(p->fd, p->stats_adapter, &(struct opendxg_vm_stats){ 0 }),
		 "a) the parent's adapter handle still works");
}

static void scenario_foreign_handles(struct parent *p)
{
	int to_child[2], to_parent[2];
	struct shared_objects mine = { 0 }, theirs = { 0 };
	struct d3dkmthandle scratch;
	char done = 0;
	pid_t pid;
	int ret;

	tap_diag("b) handles of another process");
	if (!tap_ok(pipe(to_child) == 0 && pipe(to_parent) == 0, "b) pipes"))
		return;
	pid = tap_fork();
	if (pid == 0) {
		struct shared_objects own, parents;
		int fd = -1;

		close(to_child[1]);
		close(to_parent[0]);
		if (child_make_objects(&fd, &own, 1) != 0)
			memset(&own, 0, sizeof(own));
		dxgtest_write_all(to_parent[1], &own, sizeof(own));
		if (!tap_ret0(dxgtest_read_all(to_child[0], &parents, sizeof(parents)),
			      "child: read the parent's handles"))
			tap_child_exit();
		tap_errno(d3dkmt_destroy_context(fd, parents.context), EINVAL,
			  "child: DestroyContext on the parent's context -> EINVAL");
		tap_errno(d3dkmt_create_context_virtual(fd, parents.device, &default_context,
							&scratch),
			  EINVAL, "child: CreateContextVirtual on the parent's device -> EINVAL");
		tap_errno(d3dkmt_destroy_device(fd, parents.device), EINVAL,
			  "child: DestroyDevice on the parent's device -> EINVAL");
		/* Wait until the parent has tried our handles, then keep ours to the end. */
		dxgtest_read_all(to_child[0], &done, 1);
		tap_ret0(d3dkmt_destroy_context(fd, own.context), "child: own context survived");
		tap_ret0(d3dkmt_destroy_device(fd, own.device), "child: own device survived");
		tap_child_exit();
	}
	close(to_child[0]);
	close(to_parent[1]);

	mine.adapter = p->stats_adapter;
	ret = d3dkmt_create_device(p->fd, p->stats_adapter, 0, &mine.device);
	if (tap_ret0(ret, "b) parent CreateDevice"))
		ret = d3dkmt_create_context_virtual(p->fd, mine.device, &default_context,
						    &mine.context);
	tap_ret0(ret, "b) parent CreateContextVirtual");
	if (tap_ret0(dxgtest_read_all(to_parent[0], &theirs, sizeof(theirs)),
		     "b) read the child's handles") && theirs.device.v != 0) {
		tap_diag("b) parent device 0x%08x context 0x%08x, "
			 "child device 0x%08x context 0x%08x", mine.device.v, mine.context.v,
			 theirs.device.v, theirs.context.v);
		tap_errno(d3dkmt_destroy_context(p->fd, theirs.context), EINVAL,
			  "b) DestroyContext on the child's context -> EINVAL");
		tap_errno(d3dkmt_destroy_device(p->fd, theirs.device), EINVAL,
			  "b) DestroyDevice on the child's device -> EINVAL");
	}
	dxgtest_write_all(to_child[1], &mine, sizeof(mine));
	dxgtest_write_all(to_child[1], &done, 1);
	tap_wait_child(pid, "b) child: the parent's handles are EINVAL, its own survive");
	close(to_child[1]);
	close(to_parent[0]);

	if (ret == 0) {
		tap_ret0(d3dkmt_destroy_context(p->fd, mine.context),
			 "b) the parent's context survived the child");
		tap_ret0(d3dkmt_destroy_device(p->fd, mine.device),
			 "b) the parent's device survived the child");
	}
	expect_baseline(p, "b) after the child exited");
}

/* c) A child leaves objects behind and exits normally (@kill false) or is SIGKILLed. */
static void scenario_exit_without_cleanup(struct parent *p, bool kill_it)
{
	const char *what = kill_it ? "c) SIGKILLed child" : "c) exiting child";
	const int devices = 3;
	int ready[2];
	char byte = 0;
	pid_t pid;

	tap_diag("%s", what);
	if (!tap_ok(pipe(ready) == 0, "%s: pipe", what))
		return;
	pid = tap_fork();
	if (pid == 0) {
		struct shared_objects own;
		struct d3dkmthandle extra;
		int fd = -1;

		close(ready[0]);
		child_make_objects(&fd, &own, devices);
		/* One more adapter handle, through the other open path. */
		if (fd >= 0) {
			struct d3dkmt_adapterinfo info[1];
			uint32_t n = 1;

			if (d3dkmt_enum_adapters2(fd, info, &n) == 0 && n > 0)
				d3dkmt_open_adapter_from_luid(fd, info[0].adapter_luid, &extra);
		}
		dxgtest_write_all(ready[1], &byte, 1);
		if (kill_it) {
			for (;;)
				pause();
		}
		/* Leave with everything still open: no close(), no destroy. */
		tap_child_exit();
	}
	close(ready[1]);
	if (tap_ret0(dxgtest_read_all(ready[0], &byte, 1), "%s: child created its objects", what))
		expect_child_objects(p, devices, what);
	close(ready[0]);
	if (kill_it) {
		kill(pid, SIGKILL);
		int status = 0;

		tap_ok(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
			       WTERMSIG(status) == SIGKILL,
		       "%s: child died of SIGKILL", what);
	} else {
		tap_wait_child(pid, "c) child exited holding its objects");
	}
	expect_baseline(p, what);
}

static void scenario_close_releases(struct parent *p)
{
	int ready[2], go[2];
	char byte = 0;
	pid_t pid;

	tap_diag("d) close releases");
	if (!tap_ok(pipe(ready) == 0 && pipe(go) == 0, "d) pipes"))
		return;
	pid = tap_fork();
	if (pid == 0) {
		struct shared_objects own;
		int fd = -1, second;

		close(ready[0]);
		close(go[1]);
		/* A second descriptor of the same process: closing it must release nothing. */
		second = d3dkmt_open();
		tap_ok(second >= 0, "child: second descriptor opened");
		if (child_make_objects(&fd, &own, 2) == 0 && second >= 0) {
			struct d3dkmthandle context;

			d3dkmt_close(second);
			tap_ret0(d3dkmt_create_context_virtual(fd, own.device, &default_context,
							       &context),
				 "child: objects survive closing a second descriptor");
			tap_ret0(d3dkmt_destroy_context(fd, context), "child: DestroyContext");
		}
		d3dkmt_close(fd);
		dxgtest_write_all(ready[1], &byte, 1);
		/* Stay alive until the parent has looked at the counters. */
		dxgtest_read_all(go[0], &byte, 1);
		tap_child_exit();
	}
	close(ready[1]);
	close(go[0]);
	if (tap_ret0(dxgtest_read_all(ready[0], &byte, 1), "d) child closed its descriptor"))
		expect_baseline(p, "d) child alive, descriptor closed");
	dxgtest_write_all(go[1], &byte, 1);
	tap_wait_child(pid, "d) child: a second descriptor's close releases nothing");
	close(ready[0]);
	close(go[1]);
}

/*
 * e) As in WSL, an adapter's devices belong to the process's open references to it: closing the
 * last handle of an adapter destroys the devices (and contexts) made on it.
 */
static void scenario_last_adapter_handle(struct parent *p)
{
	struct winluid luid = p->adapters[0].adapter_luid;
	pid_t pid;

	tap_diag("e) closing the last adapter handle");
	pid = tap_fork();
	if (pid == 0) {
		struct d3dkmthandle adapter, device, context;
		struct opendxg_vm_stats now, want;
		int fd = d3dkmt_open();

		/* OpenAdapterFromLuid only: this is then the process's one handle. */
		if (!tap_ok(fd >= 0, "child opens /dev/dxg") ||
		    !tap_ret0(d3dkmt_open_adapter_from_luid(fd, luid, &adapter),
			      "child: OpenAdapterFromLuid") ||
		    !tap_ret0(d3dkmt_create_device(fd, adapter, 0, &device),
			      "child: CreateDevice") ||
		    !tap_ret0(d3dkmt_create_context_virtual(fd, device, &default_context, &context),
			      "child: CreateContextVirtual"))
			tap_child_exit();
		tap_ret0(d3dkmt_close_adapter(fd, adapter),
			 "child: CloseAdapter (the last handle)");
		tap_errno(d3dkmt_destroy_context(fd, context), EINVAL,
			  "child: its context is gone -> EINVAL");
		tap_errno(d3dkmt_destroy_device(fd, device), EINVAL,
			  "child: its device is gone -> EINVAL");
		/* The parent's descriptor is not ours: ask through a new handle of our own. */
		if (tap_ret0(d3dkmt_open_adapter_from_luid(fd, luid, &adapter), "child: reopen") &&
		    tap_ret0(d3dkmt_query_vm_stats(fd, adapter, &now), "child: VM counters")) {
			want = p->baseline;
			want.processes += 1;
			want.open_adapters += 1;
			if (!tap_ok(dxgtest_stats_equal(&now, &want),
				    "child: the host holds no device or context of it")) {
				dxgtest_diag_stats("want", &want);
				dxgtest_diag_stats("now", &now);
			}
		}
		tap_child_exit();
	}
	tap_wait_child(pid, "e) child: closing its last adapter handle destroyed its devices");
	expect_baseline(p, "e) after the child exited");
}

int main(void)
{
	struct parent p = { 0 };
	int ret;

	tap_begin("dxgtest-process", 600);
	/* A child killed while we write to its pipe must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	p.fd = dxgtest_open_or_skip();
	p.adapters = dxgtest_adapters_or_skip(p.fd, &p.count);
	p.stats_adapter = p.adapters[0].adapter_handle;
	ret = d3dkmt_query_vm_stats(p.fd, p.stats_adapter, &p.baseline);
	if (!tap_ret0(ret, "baseline VM counters"))
		return tap_end();
	dxgtest_diag_stats("baseline", &p.baseline);
	tap_ok(p.baseline.processes >= 1, "the baseline counts this process");

	scenario_inherited_fd(&p);
	scenario_foreign_handles(&p);
	scenario_exit_without_cleanup(&p, false);
	scenario_exit_without_cleanup(&p, true);
	scenario_close_releases(&p);
	scenario_last_adapter_handle(&p);

	for (uint32_t i = 0; i < p.count; i++)
		d3dkmt_close_adapter(p.fd, p.adapters[i].adapter_handle);
	free(p.adapters);
	d3dkmt_close(p.fd);
	return tap_end();
}
