/* SPDX-License-Identifier: MIT */
/*
 * Object lifetimes through dxgd: processes, adapter references, devices and contexts; cascading
 * destruction; exact errors for foreign, destroyed and wrong-typed handles; and the VM's counters
 * (OPENDXG_QAI_VM_STATS) returning to their baseline after every test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <misc/opendxg.h>
#include <opendxg/handle.h>

#include "harness.h"

/* d3dddi_createcontextflags.hw_queue_supported and D3DKMT_CLIENTHINT_CDD, as libdxg's test uses. */
#define CONTEXT_FLAG_HW_QUEUE_SUPPORTED (1u << 4)
#define CLIENT_HINT_CDD 2u

static struct uguest *g;
/* The observer: a process with the adapter open that only reads the counters. */
static uint32_t observer, adapter;
static struct opendxg_vm_stats baseline;

static void stats(struct opendxg_vm_stats *s)
{
	assert_int_equal(harness_vm_stats(g, observer, adapter, s), 0);
}

/*
 * Each test starts from a fresh CONNECT (which destroys every process of the VM), with one
 * observer process, and must leave the counters where it found them.
 */
static int test_setup(void **state)
{
	(void)state;
	if (!g && harness_connect(&harness_dxgd, 0, NULL, &g) != 0)
		return -1;
	if (uguest_handshake(g, 0, NULL) != 0 ||
	    harness_open_first_adapter(g, "observer", &observer, &adapter) != 0 ||
	    harness_vm_stats(g, observer, adapter, &baseline) != 0)
		return -1;
	if (baseline.processes != 1 || baseline.open_adapters != 1 || baseline.devices != 0 ||
	    baseline.contexts != 0)
		return -1;
	return 0;
}

static void expect_baseline(void)
{
	struct opendxg_vm_stats s;

	stats(&s);
	assert_int_equal(s.processes, baseline.processes);
	assert_int_equal(s.open_adapters, baseline.open_adapters);
	assert_int_equal(s.devices, baseline.devices);
	assert_int_equal(s.contexts, baseline.contexts);
	assert_int_equal(s.handles, baseline.handles);
}

static uint32_t new_process(const char *name)
{
	uint32_t p;

	assert_int_equal(uguest_create_process(g, 1234, name, &p), 0);
	assert_int_not_equal(p, 0);
	return p;
}

static uint32_t new_device(uint32_t p)
{
	uint32_t d;

	assert_int_equal(uguest_create_device(g, p, adapter, 0, &d), 0);
	assert_int_not_equal(d, 0);
	return d;
}

static uint32_t new_context(uint32_t p, uint32_t device)
{
	struct uguest_context_args args = {
		.device = device,
		.node_ordinal = 0,
		.engine_affinity = 1,
		.flags = CONTEXT_FLAG_HW_QUEUE_SUPPORTED,
		.client_hint = CLIENT_HINT_CDD,
	};
	uint32_t c;

	assert_int_equal(uguest_create_context(g, p, &args, &c), 0);
	assert_int_not_equal(c, 0);
	return c;
}

/* The full ladder up and down, with the counters at every step. */
static void test_lifecycle(void **state)
{
	struct opendxg_vm_stats s;
	uint32_t p, d, c;

	(void)state;
	p = new_process("lifecycle");
	stats(&s);
	assert_int_equal(s.processes, baseline.processes + 1);
	assert_int_equal(s.handles, baseline.handles + 1);

	assert_int_equal(uguest_open_adapter(g, p, adapter), 0);
	stats(&s);
	assert_int_equal(s.open_adapters, baseline.open_adapters + 1);

	d = new_device(p);
	c = new_context(p, d);
	stats(&s);
	assert_int_equal(s.devices, 1);
	assert_int_equal(s.contexts, 1);
	assert_int_equal(s.handles, baseline.handles + 3);
	/* Handles use the WSL format: instance bits zero, index non-zero, and all distinct. */
	assert_int_equal(dxg_handle_instance(d), 0);
	assert_int_equal(dxg_handle_instance(c), 0);
	assert_int_not_equal(dxg_handle_index(d), 0);
	assert_true(d != c && d != p && c != p && d != adapter);

	assert_int_equal(uguest_destroy_context(g, p, c), 0);
	assert_int_equal(uguest_destroy_device(g, p, d), 0);
	assert_int_equal(uguest_close_adapter(g, p, adapter), 0);
	assert_int_equal(uguest_destroy_process(g, p), 0);
	expect_baseline();
}

/* Destroying a process takes its devices, contexts and adapter references with it. */
static void test_destroy_process_cascades(void **state)
{
	struct opendxg_vm_stats s;
	uint32_t p, d[3];

	(void)state;
	p = new_process("cascade");
	assert_int_equal(uguest_open_adapter(g, p, adapter), 0);
	assert_int_equal(uguest_open_adapter(g, p, adapter), 0);
	for (int i = 0; i < 3; i++) {
		d[i] = new_device(p);
		new_context(p, d[i]);
		new_context(p, d[i]);
	}
	stats(&s);
	assert_int_equal(s.devices, 3);
	assert_int_equal(s.contexts, 6);
	assert_int_equal(s.open_adapters, baseline.open_adapters + 2);

	assert_int_equal(uguest_destroy_process(g, p), 0);
	expect_baseline();
	/* The process and everything it had are gone. */
	assert_int_equal(uguest_destroy_process(g, p), -EINVAL);
	assert_int_equal(uguest_destroy_device(g, observer, d[0]), -EINVAL);
}

/* The last adapter reference takes the process's devices on that adapter with it. */
static void test_close_adapter_cascades(void **state)
{
	struct opendxg_vm_stats s;
	uint32_t p, d;

	(void)state;
	p = new_process("close");
	assert_int_equal(uguest_open_adapter(g, p, adapter), 0);
	assert_int_equal(uguest_open_adapter(g, p, adapter), 0);
	d = new_device(p);
	new_context(p, d);

	/* One of two references: the device stays. */
	assert_int_equal(uguest_close_adapter(g, p, adapter), 0);
	stats(&s);
	assert_int_equal(s.devices, 1);
	assert_int_equal(s.contexts, 1);
	new_context(p, d);

	assert_int_equal(uguest_close_adapter(g, p, adapter), 0);
	stats(&s);
	assert_int_equal(s.devices, 0);
	assert_int_equal(s.contexts, 0);
	assert_int_equal(uguest_destroy_device(g, p, d), -EINVAL);
	/* No reference left to close. */
	assert_int_equal(uguest_close_adapter(g, p, adapter), -EINVAL);
	assert_int_equal(uguest_destroy_process(g, p), 0);
	expect_baseline();
}

/* Process B names process A's objects: every use is -EINVAL and A's objects survive. */
static void test_foreign_handles(void **state)
{
	struct uguest_context_args args = { .engine_affinity = 1 };
	uint32_t a, b, da, ca, dummy;

	(void)state;
	a = new_process("owner");
	b = new_process("intruder");
	assert_int_equal(uguest_open_adapter(g, a, adapter), 0);
	assert_int_equal(uguest_open_adapter(g, b, adapter), 0);
	da = new_device(a);
	ca = new_context(a, da);

	args.device = da;
	assert_int_equal(uguest_create_context(g, b, &args, &dummy), -EINVAL);
	assert_int_equal(uguest_destroy_context(g, b, ca), -EINVAL);
	assert_int_equal(uguest_destroy_device(g, b, da), -EINVAL);
	/* A process handle is not a capability for another process's objects either. */
	assert_int_equal(uguest_destroy_device(g, observer, da), -EINVAL);

	/* A still owns and uses them. */
	new_context(a, da);
	assert_int_equal(uguest_destroy_context(g, a, ca), 0);
	assert_int_equal(uguest_destroy_device(g, a, da), 0);
	assert_int_equal(uguest_destroy_process(g, a), 0);
	assert_int_equal(uguest_destroy_process(g, b), 0);
	expect_baseline();
}

static void test_destroyed_handles(void **state)
{
	struct uguest_context_args args = { .engine_affinity = 1 };
	uint32_t p, d, c, d2, dummy;

	(void)state;
	p = new_process("stale");
	assert_int_equal(uguest_open_adapter(g, p, adapter), 0);
	d = new_device(p);
	c = new_context(p, d);
	assert_int_equal(uguest_destroy_context(g, p, c), 0);
	assert_int_equal(uguest_destroy_context(g, p, c), -EINVAL);
	assert_int_equal(uguest_destroy_device(g, p, d), 0);
	assert_int_equal(uguest_destroy_device(g, p, d), -EINVAL);
	args.device = d;
	assert_int_equal(uguest_create_context(g, p, &args, &dummy), -EINVAL);

	/* A slot reused by a new device does not revive the old handle. */
	d2 = new_device(p);
	if (dxg_handle_index(d2) == dxg_handle_index(d))
		assert_int_not_equal(d2, d);
	assert_int_equal(uguest_destroy_device(g, p, d), -EINVAL);
	assert_int_equal(uguest_destroy_device(g, p, d2), 0);

	/* A destroyed process handle names nothing. */
	assert_int_equal(uguest_destroy_process(g, p), 0);
	assert_int_equal(uguest_open_adapter(g, p, adapter), -EINVAL);
	assert_int_equal(uguest_create_device(g, p, adapter, 0, &dummy), -EINVAL);
	expect_baseline();
}

static void test_wrong_types(void **state)
{
	struct uguest_context_args args = { .engine_affinity = 1 };
	uint32_t p, d, c, dummy;

	(void)state;
	p = new_process("types");
	assert_int_equal(uguest_open_adapter(g, p, adapter), 0);
	d = new_device(p);
	c = new_context(p, d);

	assert_int_equal(uguest_destroy_device(g, p, c), -EINVAL);
	assert_int_equal(uguest_destroy_device(g, p, p), -EINVAL);
	assert_int_equal(uguest_destroy_device(g, p, adapter), -EINVAL);
	assert_int_equal(uguest_destroy_context(g, p, d), -EINVAL);
	assert_int_equal(uguest_destroy_context(g, p, p), -EINVAL);
	assert_int_equal(uguest_create_device(g, p, d, 0, &dummy), -EINVAL);
	assert_int_equal(uguest_open_adapter(g, p, d), -EINVAL);
	assert_int_equal(uguest_open_adapter(g, p, p), -EINVAL);
	args.device = c;
	assert_int_equal(uguest_create_context(g, p, &args, &dummy), -EINVAL);
	args.device = adapter;
	assert_int_equal(uguest_create_context(g, p, &args, &dummy), -EINVAL);
	/* A device or context handle in hdr.process is not a process. */
	assert_int_equal(uguest_destroy_process(g, d), -EINVAL);
	assert_int_equal(uguest_destroy_process(g, c), -EINVAL);
	assert_int_equal(uguest_create_device(g, d, adapter, 0, &dummy), -EINVAL);
	assert_int_equal(uguest_destroy_process(g, adapter), -EINVAL);

	assert_int_equal(uguest_destroy_process(g, p), 0);
	expect_baseline();
}

static void test_needs_open_adapter(void **state)
{
	uint32_t p, dummy;

	(void)state;
	p = new_process("closed");
	assert_int_equal(uguest_create_device(g, p, adapter, 0, &dummy), -EINVAL);
	assert_int_equal(uguest_close_adapter(g, p, adapter), -EINVAL);
	assert_int_equal(uguest_open_adapter(g, p, 0), -EINVAL);
	assert_int_equal(uguest_open_adapter(g, p, 0xffffffffu), -EINVAL);
	assert_int_equal(uguest_destroy_process(g, p), 0);
	expect_baseline();
}

static void test_context_arguments(void **state)
{
	static unsigned char priv[4096];
	struct uguest_context_args args = { .engine_affinity = 1 };
	struct opendxg_vm_stats s;
	uint32_t p, d, c;

	(void)state;
	p = new_process("ctxargs");
	assert_int_equal(uguest_open_adapter(g, p, adapter), 0);
	d = new_device(p);
	args.device = d;

	/* One node with one engine; affinity 0 lets the host choose. */
	args.node_ordinal = 1;
	assert_int_equal(uguest_create_context(g, p, &args, &c), -EINVAL);
	args.node_ordinal = 0;
	args.engine_affinity = 2;
	assert_int_equal(uguest_create_context(g, p, &args, &c), -EINVAL);
	args.engine_affinity = 0;
	assert_int_equal(uguest_create_context(g, p, &args, &c), 0);
	assert_int_equal(uguest_destroy_context(g, p, c), 0);
	args.engine_affinity = 1;
	/* Unknown flag bits. */
	args.flags = 1u << 31;
	assert_int_equal(uguest_create_context(g, p, &args, &c), -EINVAL);
	args.flags = 0;
	/* Private driver data is accepted (and not kept). */
	args.priv = priv;
	args.priv_size = sizeof(priv);
	assert_int_equal(uguest_create_context(g, p, &args, &c), 0);
	stats(&s);
	assert_int_equal(s.contexts, 1);

	/* Unknown device flag bits. */
	assert_int_equal(uguest_create_device(g, p, adapter, 1u << 31, &c), -EINVAL);
	/* Unknown flag bits make a request malformed (counted); bad node or engine values do not. */
	stats(&s);
	assert_int_equal(s.rejected, baseline.rejected + 2);

	assert_int_equal(uguest_destroy_process(g, p), 0);
	expect_baseline();
}

/* Many processes and objects at once, then all gone again. */
static void test_many_objects(void **state)
{
	uint32_t p[64], d;

	(void)state;
	for (int i = 0; i < 64; i++) {
		p[i] = new_process("many");
		assert_int_equal(uguest_open_adapter(g, p[i], adapter), 0);
		d = new_device(p[i]);
		new_context(p[i], d);
		new_context(p[i], d);
	}
	for (int i = 0; i < 64; i += 2)
		assert_int_equal(uguest_destroy_process(g, p[i]), 0);
	for (int i = 1; i < 64; i += 2)
		assert_int_equal(uguest_close_adapter(g, p[i], adapter), 0);
	for (int i = 1; i < 64; i += 2)
		assert_int_equal(uguest_destroy_process(g, p[i]), 0);
	expect_baseline();
}

/* Process names are display only: any bytes are accepted. */
static void test_process_names(void **state)
{
	static const char *const names[] = { "", "a", "exactly-16-chars", "\x01\x7f\xff\n\t",
					      "longer than sixteen characters" };
	uint32_t p;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(uguest_create_process(g, (uint32_t)i, names[i], &p), 0);
		assert_int_equal(uguest_destroy_process(g, p), 0);
	}
	expect_baseline();
}

/* CONNECT forgets every object of the VM: a new guest driver instance knows none of them. */
static void test_connect_forgets(void **state)
{
	struct opendxg_vm_stats s;
	uint32_t p, d, old_observer = observer;

	(void)state;
	p = new_process("forgotten");
	assert_int_equal(uguest_open_adapter(g, p, adapter), 0);
	d = new_device(p);
	assert_int_equal(uguest_handshake(g, 0, NULL), 0);
	assert_int_equal(uguest_destroy_device(g, p, d), -EINVAL);
	assert_int_equal(uguest_destroy_process(g, p), -EINVAL);
	assert_int_equal(uguest_destroy_process(g, old_observer), -EINVAL);

	assert_int_equal(harness_open_first_adapter(g, "observer", &observer, &adapter), 0);
	stats(&s);
	assert_int_equal(s.processes, 1);
	assert_int_equal(s.devices, 0);
	assert_int_equal(s.handles, baseline.handles);
}

static void test_shutdown(void **state)
{
	(void)state;
	harness_shutdown(&g, 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_lifecycle, test_setup),
		cmocka_unit_test_setup(test_destroy_process_cascades, test_setup),
		cmocka_unit_test_setup(test_close_adapter_cascades, test_setup),
		cmocka_unit_test_setup(test_foreign_handles, test_setup),
		cmocka_unit_test_setup(test_destroyed_handles, test_setup),
		cmocka_unit_test_setup(test_wrong_types, test_setup),
		cmocka_unit_test_setup(test_needs_open_adapter, test_setup),
		cmocka_unit_test_setup(test_context_arguments, test_setup),
		cmocka_unit_test_setup(test_many_objects, test_setup),
		cmocka_unit_test_setup(test_process_names, test_setup),
		cmocka_unit_test_setup(test_connect_forgets, test_setup),
		cmocka_unit_test(test_shutdown),
	};

	return harness_run(argc, argv, "host-objects", tests, sizeof(tests) / sizeof(tests[0]), 2);
}
