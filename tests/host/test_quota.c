/* SPDX-License-Identifier: MIT */
/*
 * Per-VM memory quotas through dxgd (docs/dxgd.md): two VMs served at the same time, each with
 * quota_bytes = 4 MiB per adapter from `--vm-limits`; vm0 also with max_allocations = 100.
 * The quota holds exactly (+0 bytes succeeds, +1 byte is -ENOMEM), one VM at its quota leaves
 * the other untouched, everything is back at the baseline after teardown, the budget that
 * QUERY_VIDEO_MEMORY reports is the quota's, reservations hold room, memory a VM filled and
 * freed reaches the next tenant zeroed, and the ini file's quota keys work the same way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <misc/d3dkmthk.h>
#include <misc/opendxg.h>

#include "harness.h"

#define KiB 1024ull
#define MiB (1024ull * 1024ull)
#define QUOTA (4 * MiB)

static struct uguest *guests[2];
static uint32_t observer[2], adapter[2];
static struct opendxg_vm_stats baseline[2];
static const char *dxgd_exe;

struct proc {
	unsigned vm;
	uint32_t handle;
	uint32_t device;
};

static void stats(unsigned vm, struct opendxg_vm_stats *s)
{
	assert_int_equal(harness_vm_stats(guests[vm], observer[vm], adapter[vm], s), 0);
}

static int test_setup(void **state)
{
	(void)state;
	for (unsigned vm = 0; vm < 2; vm++) {
		if (!guests[vm] && harness_connect(&harness_dxgd, vm, NULL, &guests[vm]) != 0)
			return -1;
		if (uguest_handshake(guests[vm], 0, NULL) != 0 ||
		    harness_open_first_adapter(guests[vm], "observer", &observer[vm],
					       &adapter[vm]) != 0 ||
		    harness_vm_stats(guests[vm], observer[vm], adapter[vm], &baseline[vm]) != 0)
			return -1;
	}
	return 0;
}

static void expect_empty(unsigned vm)
{
	struct opendxg_vm_stats s;

	stats(vm, &s);
	assert_int_equal(s.processes, 1);
	assert_int_equal(s.devices, 0);
	assert_int_equal(s.allocations, 0);
	assert_int_equal(s.handles, baseline[vm].handles);
	assert_true(s.host_visible_bytes == 0 && s.device_local_bytes == 0 &&
		    s.program_bytes == 0 && s.evicted_bytes == 0);
	assert_true(s.quota_bytes == QUOTA);
}

static struct proc new_proc(unsigned vm, const char *name)
{
	struct proc p = { .vm = vm };

	assert_int_equal(uguest_create_process(guests[vm], 1, name, &p.handle), 0);
	assert_int_equal(uguest_open_adapter(guests[vm], p.handle, adapter[vm]), 0);
	assert_int_equal(uguest_create_device(guests[vm], p.handle, adapter[vm], 0, &p.device), 0);
	return p;
}

static int alloc(const struct proc *p, uint32_t kind, uint64_t size, uint32_t *h)
{
	return uguest_alloc(guests[p->vm], p->handle, p->device, kind, size, h);
}

static void end_proc(const struct proc *p)
{
	assert_int_equal(uguest_destroy_process(guests[p->vm], p->handle), 0);
}

static bool all_bytes(const unsigned char *p, uint64_t n, unsigned char v)
{
	for (uint64_t i = 0; i < n; i++) {
		if (p[i] != v)
			return false;
	}
	return true;
}

static void test_quota_exact_two_vms(void **state)
{
	struct proc a0 = new_proc(0, "a0"), b0 = new_proc(0, "b0"), a1 = new_proc(1, "a1");
	struct opendxg_vm_stats s0, s1;
	uint32_t h, x;

	(void)state;
	/* vm0: host-visible, device-local and a second process, summing to exactly the quota. */
	assert_int_equal(alloc(&a0, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 2 * MiB - 100, &h), 0);
	assert_int_equal(alloc(&b0, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 1 * MiB, &h), 0);
	assert_int_equal(alloc(&a1, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 3 * MiB, &h), 0);
	assert_int_equal(alloc(&a0, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 1 * MiB - 4096, &h), 0);
	/* +1 byte (a page) fails in both processes; +0 bytes succeeds. */
	assert_int_equal(alloc(&a0, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4097, &x), -ENOMEM);
	assert_int_equal(alloc(&b0, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 4097, &x), -ENOMEM);
	assert_int_equal(alloc(&b0, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096, &h), 0);
	assert_int_equal(alloc(&a0, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1, &x), -ENOMEM);
	stats(0, &s0);
	assert_true(s0.host_visible_bytes + s0.device_local_bytes == QUOTA);

	/* vm1 is unaffected by vm0 at its quota: it has its own 1 MiB left, exactly. */
	assert_int_equal(alloc(&a1, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 1 * MiB, &h), 0);
	assert_int_equal(alloc(&a1, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 1, &x), -ENOMEM);
	stats(1, &s1);
	assert_true(s1.host_visible_bytes == 3 * MiB && s1.device_local_bytes == 1 * MiB);
	assert_int_equal(s1.allocations, 2);
	stats(0, &s0);
	assert_int_equal(s0.allocations, 4);

	/* Freeing in one VM gives room in that VM only. */
	end_proc(&b0);
	assert_int_equal(alloc(&a1, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1, &x), -ENOMEM);
	assert_int_equal(alloc(&a0, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 1 * MiB + 4096, &h), 0);
	assert_int_equal(alloc(&a0, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 1, &x), -ENOMEM);

	end_proc(&a0);
	end_proc(&a1);
	expect_empty(0);
	expect_empty(1);
}

static void test_budget_and_reservations(void **state)
{
	struct proc p = new_proc(0, "budget"), q = new_proc(0, "reserver");
	struct uguest *g = guests[0];
	struct uguest_video_memory vm;
	uint32_t h, x;

	(void)state;
	assert_int_equal(uguest_query_video_memory(g, p.handle, adapter[0],
						   D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL, &vm), 0);
	assert_true(vm.budget == QUOTA && vm.current_usage == 0 && vm.current_reservation == 0);
	assert_int_equal(alloc(&p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1 * MiB, &h), 0);
	assert_int_equal(uguest_query_video_memory(g, p.handle, adapter[0],
						   D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL, &vm), 0);
	assert_true(vm.budget == QUOTA && vm.current_usage == 1 * MiB);
	assert_int_equal(uguest_query_video_memory(g, q.handle, adapter[0],
						   D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL, &vm), 0);
	assert_true(vm.budget == 3 * MiB && vm.current_usage == 0);
	/* A reservation beyond what is left is -ENOMEM; one that fits holds the room. */
	assert_int_equal(uguest_change_reservation(g, q.handle, adapter[0],
						   D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL,
						   3 * MiB + 1), -ENOMEM);
	assert_int_equal(uguest_change_reservation(g, q.handle, adapter[0],
						   D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL, 2 * MiB),
			 0);
	assert_int_equal(alloc(&p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 1 * MiB + 1, &x), -ENOMEM);
	assert_int_equal(alloc(&q, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 2 * MiB, &x), 0);
	assert_int_equal(uguest_query_video_memory(g, q.handle, adapter[0],
						   D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL, &vm), 0);
	assert_true(vm.current_usage == 2 * MiB && vm.current_reservation == 2 * MiB);
	assert_true(vm.budget == 3 * MiB);
	/* Reservations of a process that goes are released with it. */
	end_proc(&q);
	assert_int_equal(alloc(&p, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 3 * MiB, &x), 0);
	end_proc(&p);
	expect_empty(0);
}

static void test_max_allocations(void **state)
{
	struct proc p = new_proc(0, "count"), other = new_proc(1, "count");
	uint32_t h;

	(void)state;
	for (int i = 0; i < 100; i++)
		assert_int_equal(alloc(&p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1, &h), 0);
	assert_int_equal(alloc(&p, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1, &h), -ENOMEM);
	/* vm1 has no such limit. */
	for (int i = 0; i < 101; i++)
		assert_int_equal(alloc(&other, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1, &h), 0);
	end_proc(&p);
	end_proc(&other);
	expect_empty(0);
	expect_empty(1);
}

/* vm0 fills its whole quota of host-visible memory with a pattern and frees it; vm1 and a new
 * process of vm0 allocate everything they may and find only zeros. */
static void test_zero_across_tenants(void **state)
{
	struct proc a = new_proc(0, "filler");
	uint32_t h[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		struct uguest_lock l;

		assert_int_equal(alloc(&a, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1 * MiB, &h[i]), 0);
		assert_int_equal(uguest_lock(guests[0], a.handle, a.device, h[i], &l), 0);
		memset(uguest_lock_ptr(guests[0], &l), 0xa5, l.size);
	}
	end_proc(&a);
	for (unsigned vm = 0; vm < 2; vm++) {
		struct proc b = new_proc(vm, "next");
		struct uguest_lock l;
		uint32_t x;

		assert_int_equal(alloc(&b, OPENDXG_ALLOC_KIND_HOST_VISIBLE, QUOTA, &h[0]), 0);
		assert_int_equal(alloc(&b, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1, &x), -ENOMEM);
		assert_int_equal(uguest_lock(guests[vm], b.handle, b.device, h[0], &l), 0);
		assert_true(all_bytes(uguest_lock_ptr(guests[vm], &l), l.size, 0));
		end_proc(&b);
		expect_empty(vm);
	}
}

/* The same quota from an ini file, in a dxgd of its own. */
static void test_config_file(void **state)
{
	struct dxgd_instance d;
	char dir[] = "/tmp/opendxg-quota-XXXXXX";
	char ini[128], sock[160], body[512];
	const char *args[] = { "--config", ini, NULL };
	struct opendxg_vm_stats s;
	struct uguest *cg = NULL;
	uint32_t p, a, dev, h;
	FILE *fp;
	int ret = -1;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(ini, sizeof(ini), "%s/dxgd.ini", dir);
	snprintf(sock, sizeof(sock), "%s/cfg.sock", dir);
	snprintf(body, sizeof(body),
		 "[vm cfgvm]\nsocket = %s\nsize = 8M\nquota_bytes = 64K\nmax_allocations = 3\n"
		 "max_gpuva_entries = 8\nmax_sync_objects = 2\nmax_hw_queues = 1\n", sock);
	fp = fopen(ini, "w");
	assert_non_null(fp);
	fputs(body, fp);
	fclose(fp);
	assert_int_equal(harness_start(&d, dxgd_exe, 1, args), 0);
	for (int i = 0; i < 50 && ret; i++) {
		ret = uguest_connect(sock, NULL, &cg);
		if (ret)
			harness_sleep_ms(20);
	}
	assert_int_equal(ret, 0);
	assert_int_equal(harness_open_first_adapter(cg, "cfg", &p, &a), 0);
	assert_int_equal(uguest_create_device(cg, p, a, 0, &dev), 0);
	assert_int_equal(uguest_alloc(cg, p, dev, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 64 * KiB, &h), 0);
	assert_int_equal(uguest_alloc(cg, p, dev, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1, &h), -ENOMEM);
	assert_int_equal(harness_vm_stats(cg, p, a, &s), 0);
	assert_true(s.quota_bytes == 64 * KiB);
	/* The execution limits reach the worker too (docs/dxgd.md, "Execution limits"). */
	{
		const struct uguest_context_args cargs = { .device = dev, .engine_affinity = 1 };
		struct uguest_sync_object so;
		struct uguest_hw_queue q;
		uint32_t ctx;

		assert_int_equal(uguest_create_context(cg, p, &cargs, &ctx), 0);
		assert_int_equal(uguest_create_hw_queue(cg, p, ctx, 0, NULL, 0, &q), 0);
		assert_int_equal(uguest_create_hw_queue(cg, p, ctx, 0, NULL, 0, &q), -ENOMEM);
		for (int i = 0; i < 2; i++)
			assert_int_equal(uguest_create_fence(cg, p, dev, 0, &so), 0);
		assert_int_equal(uguest_create_fence(cg, p, dev, 0, &so), -ENOMEM);
		assert_int_equal(harness_vm_stats(cg, p, a, &s), 0);
		assert_int_equal(s.hw_queues, 1);
		/* Two fences of ours and the hardware queue's progress fence. */
		assert_int_equal(s.sync_objects, 3);
	}
	uguest_close(cg);
	assert_int_equal(harness_stop(&d), 0);
	unlink(ini);
	rmdir(dir);
}

/* Runs dxgd with one VM and `args`; returns its exit status (it must exit by itself). */
static int run_dxgd(const char *const *args)
{
	const char *argv[16] = { dxgd_exe, "--vm", "vm0:/tmp/opendxg-quota-never.sock",
				 "--control", "/tmp/opendxg-quota-never.ctl" };
	int argc = 5, status;
	pid_t pid;

	for (; *args; args++)
		argv[argc++] = *args;
	argv[argc] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDERR_FILENO);
		execv(dxgd_exe, (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Every mistake in --vm-limits is a usage error (status 2) before anything starts. */
static void test_bad_limits(void **state)
{
	static const char *const bad[] = {
		"nosuch:quota_bytes=1M", "vm0:quota_bytes=abc", "vm0:quota_bytes=-1",
		"vm0:bogus=1", "vm0:max_gpuva_entries=0", "vm0:max_allocations=4294967296",
		"vm0:max_hw_queues=-1", "vm0:max_queued_bytes=18446744073709551615",
		"vm0", "vm0:", "vm0:quota_bytes", ":quota_bytes=1M",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[] = { "--vm-limits", bad[i], NULL };

		assert_int_equal(run_dxgd(args), 2);
	}
}

static void test_shutdown(void **state)
{
	(void)state;
	harness_shutdown(guests, 2);
}

int main(int argc, char **argv)
{
	static const char *const limits[] = {
		"--vm-limits", "vm0:quota_bytes=4M,max_allocations=100",
		"--vm-limits", "vm1:quota_bytes=4194304",
		NULL,
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_quota_exact_two_vms, test_setup),
		cmocka_unit_test_setup(test_budget_and_reservations, test_setup),
		cmocka_unit_test_setup(test_max_allocations, test_setup),
		cmocka_unit_test_setup(test_zero_across_tenants, test_setup),
		cmocka_unit_test(test_config_file),
		cmocka_unit_test(test_bad_limits),
		cmocka_unit_test(test_shutdown),
	};

	harness_region = "16M";
	dxgd_exe = harness_dxgd_path(argc, argv);
	return harness_run_args(argc, argv, "host-quota", tests, sizeof(tests) / sizeof(tests[0]),
				2, limits);
}
