/* SPDX-License-Identifier: MIT */
/*
 * QUERYADAPTERINFO through dxgd: the WSL types a WSL user-mode stack asks for (57, 31, 65, 70)
 * and opendxg's own types, their exact sizes, and the errors for everything else.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <misc/opendxg.h>

#include "harness.h"

/* D3DKMT_ADAPTERTYPE bits (WSL ABI). */
#define ADAPTERTYPE_RENDER_SUPPORTED (1u << 0)
#define ADAPTERTYPE_DISPLAY_SUPPORTED (1u << 1)
#define ADAPTERTYPE_SOFTWARE_DEVICE (1u << 2)
#define ADAPTERTYPE_PARAVIRTUALIZED (1u << 7)
#define ADAPTERTYPE_COMPUTE_ONLY (1u << 11)

static struct uguest *g;
static uint32_t process, adapter, adapter_flags;

static void setup_once(void)
{
	struct uguest_adapter a[DXGW_MAX_ADAPTERS];
	uint32_t n;

	if (g)
		return;
	assert_int_equal(harness_connect(&harness_dxgd, 0, NULL, &g), 0);
	assert_int_equal(harness_open_first_adapter(g, "qai-test", &process, &adapter), 0);
	assert_int_equal(uguest_enum_adapters(g, a, DXGW_MAX_ADAPTERS, &n), 0);
	adapter_flags = a[0].flags;
}

static uint32_t le32_at(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static void caps_query(struct opendxg_adapter_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	assert_int_equal(uguest_query_adapter_info(g, process, adapter, OPENDXG_QAI_ADAPTER_CAPS,
						   caps, sizeof(*caps)), 0);
}

static void test_adapter_type_render(void **state)
{
	unsigned char data[4];
	uint32_t bits;

	(void)state;
	setup_once();
	memset(data, 0xff, sizeof(data));
	assert_int_equal(uguest_query_adapter_info(g, process, adapter, QAI_ADAPTERTYPE_RENDER,
						   data, sizeof(data)), 0);
	bits = le32_at(data);
	printf("ADAPTERTYPE_RENDER: 0x%08x\n", bits);
	assert_true(bits & ADAPTERTYPE_COMPUTE_ONLY);
	assert_false(bits & ADAPTERTYPE_DISPLAY_SUPPORTED);
	/* Software device exactly when enumeration said so. */
	assert_int_equal(!!(bits & ADAPTERTYPE_SOFTWARE_DEVICE),
			 !!(adapter_flags & DXGW_ADAPTER_SOFTWARE));
}

static void test_device_ids(void **state)
{
	struct opendxg_adapter_caps caps;
	unsigned char data[QAI_DEVICE_IDS_SIZE];

	(void)state;
	setup_once();
	caps_query(&caps);
	/* PhysicalAdapterIndex 0 (input), then vendor, device, subvendor, subsystem, revision, bus. */
	memset(data, 0, sizeof(data));
	assert_int_equal(uguest_query_adapter_info(g, process, adapter,
						   QAI_PHYSICALADAPTERDEVICEIDS, data,
						   sizeof(data)), 0);
	printf("device ids: vendor 0x%x device 0x%x\n", le32_at(data + 4), le32_at(data + 8));
	assert_int_equal(le32_at(data + 0), 0);
	assert_int_equal(le32_at(data + 4), le32toh(caps.vendor_id));
	assert_int_equal(le32_at(data + 8), le32toh(caps.device_id));

	/* Only physical adapter 0 exists. */
	memset(data, 0, sizeof(data));
	data[0] = 1;
	assert_int_equal(uguest_query_adapter_info(g, process, adapter,
						   QAI_PHYSICALADAPTERDEVICEIDS, data,
						   sizeof(data)), -EINVAL);
}

/*
 * Decodes UTF-16LE up to the first NUL into ASCII ('?' for anything else). Returns false when
 * there is no terminator within `units`.
 */
static bool utf16_to_ascii(const unsigned char *in, uint32_t units, char *out, size_t out_size)
{
	size_t n = 0;

	for (uint32_t i = 0; i < units; i++) {
		uint16_t c = (uint16_t)(in[2 * i] | in[2 * i + 1] << 8);

		if (c == 0) {
			out[n] = '\0';
			return true;
		}
		if (n + 1 < out_size)
			out[n++] = c < 0x80 ? (char)c : '?';
	}
	return false;
}

static void test_driver_description(void **state)
{
	struct opendxg_adapter_caps caps;
	unsigned char *data = malloc(QAI_DRIVER_DESCRIPTION_SIZE);
	char text[QAI_DRIVER_DESCRIPTION_SIZE / 2];

	(void)state;
	setup_once();
	assert_non_null(data);
	memset(data, 0xff, QAI_DRIVER_DESCRIPTION_SIZE);
	assert_int_equal(uguest_query_adapter_info(g, process, adapter, QAI_DRIVER_DESCRIPTION,
						   data, QAI_DRIVER_DESCRIPTION_SIZE), 0);
	assert_true(utf16_to_ascii(data, QAI_DRIVER_DESCRIPTION_SIZE / 2, text, sizeof(text)));
	printf("driver description: \"%s\"\n", text);
	assert_non_null(strstr(text, "llvmpipe"));
	/* The same name as the caps report (UTF-8 there, UTF-16 here; ASCII on lavapipe). */
	caps_query(&caps);
	assert_string_equal(text, caps.device_name);
	/* Everything after the terminator is zero: no stale host bytes. */
	for (size_t i = 2 * (strlen(text) + 1); i < QAI_DRIVER_DESCRIPTION_SIZE; i++)
		assert_int_equal(data[i], 0);
	free(data);
}

static void test_wddm_2_7_caps(void **state)
{
	unsigned char data[4];

	(void)state;
	setup_once();
	memset(data, 0xff, sizeof(data));
	assert_int_equal(uguest_query_adapter_info(g, process, adapter, QAI_WDDM_2_7_CAPS, data,
						   sizeof(data)), 0);
	printf("WDDM_2_7_CAPS: 0x%08x\n", le32_at(data));
	/* Four defined bits: HwSchSupported, HwSchEnabled, HwSchEnabledByDefault, IndependentVidPn. */
	assert_int_equal(le32_at(data) & ~0xfu, 0);
}

static void test_opendxg_caps(void **state)
{
	struct opendxg_adapter_caps caps;

	(void)state;
	setup_once();
	caps_query(&caps);
	printf("caps: \"%s\" driver \"%s\" vendor 0x%x type %u flags 0x%x invocations %u\n",
	       caps.device_name, caps.driver_name, le32toh(caps.vendor_id),
	       le32toh(caps.device_type), le32toh(caps.flags),
	       le32toh(caps.max_workgroup_invocations));
	assert_int_equal(le32toh(caps.version), 1);
	assert_int_equal(le32toh(caps.size), sizeof(caps));
	assert_non_null(memchr(caps.device_name, '\0', sizeof(caps.device_name)));
	assert_non_null(memchr(caps.driver_name, '\0', sizeof(caps.driver_name)));
	assert_non_null(strstr(caps.device_name, "llvmpipe"));
	assert_int_equal(le32toh(caps.device_type), OPENDXG_DEVICE_TYPE_CPU);
	assert_true(le32toh(caps.flags) & OPENDXG_CAPS_COMPUTE_ONLY);
	assert_true(le32toh(caps.flags) & OPENDXG_CAPS_SOFTWARE);
	assert_true(le32toh(caps.max_workgroup_invocations) > 0);
	assert_true(le32toh(caps.max_workgroup_size[0]) > 0);
	assert_int_equal(caps.reserved0, 0);
	for (size_t i = 0; i < sizeof(caps.reserved) / sizeof(caps.reserved[0]); i++)
		assert_int_equal(caps.reserved[i], 0);
}

static void test_vm_stats(void **state)
{
	struct opendxg_vm_stats s;

	(void)state;
	setup_once();
	assert_int_equal(harness_vm_stats(g, process, adapter, &s), 0);
	assert_int_equal(s.version, 1);
	assert_int_equal(s.size, sizeof(s));
	assert_int_equal(s.generation, uguest_generation(g));
	assert_int_equal(s.processes, 1);
	assert_int_equal(s.open_adapters, 1);
	assert_int_equal(s.devices, 0);
	assert_int_equal(s.contexts, 0);
	assert_true(s.handles >= 1);
	assert_true(s.requests >= 4);
}

/* Every type has exactly one size; everything else is -EINVAL. */
static void test_bad_sizes(void **state)
{
	static const struct {
		uint32_t type;
		uint32_t size;
	} types[] = {
		{ QAI_ADAPTERTYPE_RENDER, 4 },
		{ QAI_PHYSICALADAPTERDEVICEIDS, QAI_DEVICE_IDS_SIZE },
		{ QAI_DRIVER_DESCRIPTION, QAI_DRIVER_DESCRIPTION_SIZE },
		{ QAI_WDDM_2_7_CAPS, 4 },
	};
	unsigned char *data = calloc(1, DXGW_MAX_QAI_DATA + 1);

	(void)state;
	setup_once();
	assert_non_null(data);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		uint32_t t = types[i].type, size = types[i].size;

		assert_int_equal(uguest_query_adapter_info(g, process, adapter, t, data, size - 1),
				 -EINVAL);
		assert_int_equal(uguest_query_adapter_info(g, process, adapter, t, data, size + 1),
				 -EINVAL);
		assert_int_equal(uguest_query_adapter_info(g, process, adapter, t, data, 1),
				 size == 1 ? 0 : -EINVAL);
		assert_int_equal(uguest_query_adapter_info(g, process, adapter, t, data,
							   DXGW_MAX_QAI_DATA), -EINVAL);
		/* Zero and over-limit sizes are refused by the decoder, whatever the type. */
		assert_int_equal(uguest_query_adapter_info(g, process, adapter, t, data, 0),
				 -EINVAL);
		assert_int_equal(uguest_query_adapter_info(g, process, adapter, t, data,
							   DXGW_MAX_QAI_DATA + 1), -EINVAL);
	}
	free(data);
	assert_int_equal(uguest_nop(g), 0);
}

static void test_bad_type(void **state)
{
	static const uint32_t bad_types[] = {
		0, 1, 14, 16, 58, 64, 69, 71, 0xffffffffu, 0x4f440000u, 0x4f440003u,
	};
	unsigned char data[64] = { 0 };

	(void)state;
	setup_once();
	for (size_t i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
		for (uint32_t size = 4; size <= sizeof(data); size *= 4)
			assert_int_equal(uguest_query_adapter_info(g, process, adapter,
								   bad_types[i], data, size),
					 -EINVAL);
	}
}

/* Only an adapter the process has open can be queried. */
static void test_adapter_not_open(void **state)
{
	unsigned char data[4];
	uint32_t other;

	(void)state;
	setup_once();
	assert_int_equal(uguest_create_process(g, 2, "not-open", &other), 0);
	assert_int_equal(uguest_query_adapter_info(g, other, adapter, QAI_ADAPTERTYPE_RENDER, data,
						   sizeof(data)), -EINVAL);
	/* Not an adapter handle at all. */
	assert_int_equal(uguest_query_adapter_info(g, process, 0, QAI_ADAPTERTYPE_RENDER, data,
						   sizeof(data)), -EINVAL);
	assert_int_equal(uguest_query_adapter_info(g, process, process, QAI_ADAPTERTYPE_RENDER,
						   data, sizeof(data)), -EINVAL);
	assert_int_equal(uguest_query_adapter_info(g, process, adapter ^ 0x40u,
						   QAI_ADAPTERTYPE_RENDER, data, sizeof(data)),
			 -EINVAL);
	/* After closing its last reference, not even the owner can query it. */
	assert_int_equal(uguest_open_adapter(g, other, adapter), 0);
	assert_int_equal(uguest_query_adapter_info(g, other, adapter, QAI_ADAPTERTYPE_RENDER, data,
						   sizeof(data)), 0);
	assert_int_equal(uguest_close_adapter(g, other, adapter), 0);
	assert_int_equal(uguest_query_adapter_info(g, other, adapter, QAI_ADAPTERTYPE_RENDER, data,
						   sizeof(data)), -EINVAL);
	assert_int_equal(uguest_destroy_process(g, other), 0);
}

/* The second VM answers the same queries with the same adapter, and only its own stats. */
static void test_second_vm(void **state)
{
	struct opendxg_adapter_caps caps0, caps1;
	struct opendxg_vm_stats s;
	struct uguest *g1;
	uint32_t p1, a1;

	(void)state;
	setup_once();
	caps_query(&caps0);
	assert_int_equal(harness_connect(&harness_dxgd, 1, NULL, &g1), 0);
	assert_int_equal(harness_open_first_adapter(g1, "qai-vm1", &p1, &a1), 0);
	memset(&caps1, 0, sizeof(caps1));
	assert_int_equal(uguest_query_adapter_info(g1, p1, a1, OPENDXG_QAI_ADAPTER_CAPS, &caps1,
						   sizeof(caps1)), 0);
	assert_memory_equal(caps0.device_uuid, caps1.device_uuid, sizeof(caps0.device_uuid));
	assert_string_equal(caps0.device_name, caps1.device_name);
	/* VM 0 has a second process from earlier tests; VM 1 sees only its own one. */
	assert_int_equal(harness_vm_stats(g1, p1, a1, &s), 0);
	assert_int_equal(s.processes, 1);
	assert_int_equal(s.open_adapters, 1);
	uguest_close(g1);
}

static void test_shutdown(void **state)
{
	(void)state;
	harness_shutdown(&g, 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adapter_type_render),
		cmocka_unit_test(test_device_ids),
		cmocka_unit_test(test_driver_description),
		cmocka_unit_test(test_wddm_2_7_caps),
		cmocka_unit_test(test_opendxg_caps),
		cmocka_unit_test(test_vm_stats),
		cmocka_unit_test(test_bad_sizes),
		cmocka_unit_test(test_bad_type),
		cmocka_unit_test(test_adapter_not_open),
		cmocka_unit_test(test_second_vm),
		cmocka_unit_test(test_shutdown),
	};

	return harness_run(argc, argv, "host-qai", tests, sizeof(tests) / sizeof(tests[0]), 2);
}
