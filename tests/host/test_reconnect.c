/* SPDX-License-Identifier: MIT */
/*
 * Guest disconnects and worker restarts: a reconnecting guest always finds a new generation and a
 * clean VM; a worker that dies is replaced without the other VM noticing, and its guest sees the
 * generation change (-ENODEV) instead of hanging.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <misc/opendxg.h>

#include "harness.h"

static struct uguest *vm[2];
static uint32_t observer[2], adapter[2];

static void attach(unsigned i, uint32_t min_generation)
{
	struct uguest_options opt = { .min_generation = min_generation };

	assert_int_equal(harness_connect(&harness_dxgd, i, &opt, &vm[i]), 0);
	assert_true(uguest_generation(vm[i]) >= min_generation);
	assert_int_equal(harness_open_first_adapter(vm[i], "observer", &observer[i], &adapter[i]),
			 0);
}

static void vm_stats(unsigned i, struct opendxg_vm_stats *s)
{
	assert_int_equal(harness_vm_stats(vm[i], observer[i], adapter[i], s), 0);
}

/* Leaves objects behind, disconnects, reconnects: none of them survived. */
static void test_reconnect_clean_vm(void **state)
{
	struct opendxg_vm_stats s;

	(void)state;
	attach(0, 0);
	for (int round = 0; round < 4; round++) {
		uint32_t gen = uguest_generation(vm[0]);
		uint32_t p, d, c;
		struct uguest_context_args args = { .engine_affinity = 1 };

		assert_int_equal(uguest_create_process(vm[0], 1, "leftover", &p), 0);
		assert_int_equal(uguest_open_adapter(vm[0], p, adapter[0]), 0);
		assert_int_equal(uguest_create_device(vm[0], p, adapter[0], 0, &d), 0);
		args.device = d;
		assert_int_equal(uguest_create_context(vm[0], p, &args, &c), 0);
		vm_stats(0, &s);
		assert_int_equal(s.processes, 2);
		assert_int_equal(s.generation, gen);

		uguest_close(vm[0]);
		vm[0] = NULL;
		attach(0, gen + 1);
		assert_true(uguest_generation(vm[0]) > gen);
		vm_stats(0, &s);
		printf("round %d: generation %u -> %u\n", round, gen, s.generation);
		assert_int_equal(s.generation, uguest_generation(vm[0]));
		assert_int_equal(s.processes, 1);
		assert_int_equal(s.open_adapters, 1);
		assert_int_equal(s.devices, 0);
		assert_int_equal(s.contexts, 0);
		assert_int_equal(s.rejected, 0);
		/* The old handles mean nothing to the new worker. */
		assert_int_equal(uguest_destroy_device(vm[0], observer[0], d), -EINVAL);
		if (p != observer[0])
			assert_int_equal(uguest_destroy_process(vm[0], p), -EINVAL);
	}
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static long long worker_pid(const char *name)
{
	char *json = harness_control_status(&harness_dxgd);
	long long pid;

	assert_non_null(json);
	pid = harness_json_vm_number(json, name, "worker_pid");
	free(json);
	return pid;
}

/*
 * Killing VM 0's worker (what the watchdog or a crash does): VM 0's guest gets -ENODEV, not a
 * hang; VM 1 keeps its worker, generation and objects; a reconnect finds a clean VM.
 */
static void test_worker_killed(void **state)
{
	struct opendxg_vm_stats s1_before, s1_after;
	uint32_t gen0, gen1, p1, d1;
	long long pid0, pid1;

	(void)state;
	if (!vm[0])
		attach(0, 0);
	attach(1, 0);
	gen0 = uguest_generation(vm[0]);
	gen1 = uguest_generation(vm[1]);
	assert_int_equal(uguest_create_process(vm[1], 7, "survivor", &p1), 0);
	assert_int_equal(uguest_open_adapter(vm[1], p1, adapter[1]), 0);
	assert_int_equal(uguest_create_device(vm[1], p1, adapter[1], 0, &d1), 0);
	vm_stats(1, &s1_before);

	pid0 = worker_pid("vm0");
	pid1 = worker_pid("vm1");
	assert_true(pid0 > 0 && pid1 > 0 && pid0 != pid1);
	assert_int_equal(kill((pid_t)pid0, SIGKILL), 0);

	/* The broker marks the region RESET and kicks the control vector: no waiting 10 s. */
	uguest_set_timeout(vm[0], 10000);
	assert_int_equal(uguest_nop(vm[0]), -ENODEV);
	/* Sticky: the old rings are never touched again. */
	assert_int_equal(uguest_nop(vm[0]), -ENODEV);

	assert_true(harness_alive(&harness_dxgd));
	assert_int_equal(uguest_nop(vm[1]), 0);
	assert_int_equal(uguest_generation(vm[1]), gen1);
	vm_stats(1, &s1_after);
	assert_int_equal(s1_after.generation, gen1);
	assert_int_equal(s1_after.processes, s1_before.processes);
	assert_int_equal(s1_after.devices, s1_before.devices);
	assert_int_equal(uguest_destroy_device(vm[1], p1, d1), 0);
	assert_int_equal(worker_pid("vm1"), pid1);

	/* VM 0 comes back with a new worker once its guest reconnects. */
	uguest_close(vm[0]);
	vm[0] = NULL;
	attach(0, gen0 + 1);
	assert_true(worker_pid("vm0") != pid0);
	assert_int_equal(uguest_nop(vm[0]), 0);
}

/* A guest that disconnects in the middle of requests leaves nothing stuck behind. */
static void test_disconnect_with_requests_in_flight(void **state)
{
	uint32_t gen;
	uint64_t id;

	(void)state;
	if (!vm[0])
		attach(0, 0);
	gen = uguest_generation(vm[0]);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(uguest_send(vm[0], DXGW_OP_ENUM_ADAPTERS, 0, NULL, 0, &id), 0);
	uguest_close(vm[0]);
	vm[0] = NULL;
	attach(0, gen + 1);
	assert_int_equal(uguest_nop(vm[0]), 0);
	assert_int_equal(uguest_pending_replies(vm[0]), 0);
}

/* Worker restarts come back even when they happen in a burst (the broker may delay them). */
static void test_restart_burst(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++) {
		uint32_t gen;

		if (!vm[1])
			attach(1, 0);
		gen = uguest_generation(vm[1]);
		assert_int_equal(kill((pid_t)worker_pid("vm1"), SIGKILL), 0);
		assert_int_equal(uguest_nop(vm[1]), -ENODEV);
		uguest_close(vm[1]);
		vm[1] = NULL;
		attach(1, gen + 1);
		assert_int_equal(uguest_nop(vm[1]), 0);
		sleep_ms(1);
	}
}

static void test_shutdown(void **state)
{
	(void)state;
	harness_shutdown(vm, 2);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reconnect_clean_vm),
		cmocka_unit_test(test_worker_killed),
		cmocka_unit_test(test_disconnect_with_requests_in_flight),
		cmocka_unit_test(test_restart_burst),
		cmocka_unit_test(test_shutdown),
	};

	return harness_run(argc, argv, "host-reconnect", tests, sizeof(tests) / sizeof(tests[0]), 2);
}
