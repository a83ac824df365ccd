// SPDX-License-Identifier: MIT
/*
 * vk_device on the first real Vulkan adapter (lavapipe on machines without a GPU): buffers are
 * zero when created, whatever the memory held before; reads and writes at any offset and length
 * land exactly where asked, across staging chunks; bad ranges are -EINVAL; nothing leaks over
 * many create/destroy cycles.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"
#include "spirv_check.h"
#include "vk_backend.h"
#include "vk_device.h"

#define MiB (1024ull * 1024ull)

struct fixture {
	struct vk_backend vk;
	struct vk_device *dev;
};

static int open_first_adapter(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	int err;

	if (!fx)
		return -1;
	dxg_log_init("test-vk-device", DXG_LOG_WARN);
	vk_backend_init(&fx->vk, 1, 1);
	/* lavapipe is a dependency (mesa-vulkan-drivers): no adapter is a failure, not a skip. */
	if (fx->vk.adapter_count == 0) {
		print_error("no Vulkan adapter (is mesa-vulkan-drivers installed?)\n");
		vk_backend_fini(&fx->vk);
		free(fx);
		return -1;
	}
	err = vk_device_open(&fx->vk.adapters[0], fx->vk.instance, &fx->dev);
	if (err) {
		print_error("vk_device_open: %d\n", err);
		vk_backend_fini(&fx->vk);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int close_adapter(void **state)
{
	struct fixture *fx = *state;

	vk_device_close(fx->dev);
	vk_backend_fini(&fx->vk);
	free(fx);
	return 0;
}

static struct vk_device *dev_of(void **state)
{
	return ((struct fixture *)*state)->dev;
}

static void expect_all(const uint8_t *p, uint64_t len, uint8_t value)
{
	for (uint64_t i = 0; i < len; i++) {
		if (p[i] != value)
			fail_msg("byte %llu is 0x%02x, expected 0x%02x", (unsigned long long)i,
				 p[i], value);
	}
}

/* Reads the whole buffer and checks every byte against `value`. */
static void expect_buffer_filled(struct vk_buffer *b, uint8_t value)
{
	uint64_t size = vk_buffer_size(b);
	uint8_t *data = malloc(size);

	assert_non_null(data);
	memset(data, value ^ 0xff, size);
	assert_int_equal(vk_buffer_read(b, 0, data, size), 0);
	expect_all(data, size, value);
	free(data);
}

static void test_limits(void **state)
{
	struct vk_device *d = dev_of(state);
	uint64_t max = vk_device_max_buffer(d);

	/* Every Vulkan device allows 1 GiB allocations (maxMemoryAllocationSize's minimum). */
	assert_true(max >= 1024 * MiB);
	assert_int_equal(max % 4, 0);
	/* lavapipe has all of these; a device with less would need another expectation here. */
	assert_true(vk_device_spirv_features(d) & SPIRV_FEATURE_INT64);
	assert_true(vk_device_spirv_features(d) & SPIRV_FEATURE_SUBGROUP_BASIC);
}

/* Fresh buffers of awkward sizes: every byte reads back as zero. */
static void test_new_buffers_are_zero(void **state)
{
	static const uint64_t sizes[] = { 1, 2, 3, 4095, 4 * MiB + 3, 64 * MiB };
	struct vk_device *d = dev_of(state);

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct vk_buffer *b = NULL;

		assert_int_equal(vk_buffer_create(d, sizes[i], &b), 0);
		assert_non_null(b);
		assert_int_equal(vk_buffer_size(b), sizes[i]);
		expect_buffer_filled(b, 0);
		vk_buffer_destroy(b);
	}
}

/*
 * Device memory the driver hands out again still holds what the last owner wrote (lavapipe
 * recycles it through malloc): a buffer written, destroyed and created again must read zero.
 */
static void test_no_stale_data(void **state)
{
	static const uint64_t sizes[] = { 4096, 65537, 4 * MiB + 3 };
	struct vk_device *d = dev_of(state);

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *pattern = malloc(sizes[i]);
		struct vk_buffer *b;

		assert_non_null(pattern);
		memset(pattern, 0xa5, sizes[i]);
		for (int round = 0; round < 3; round++) {
			assert_int_equal(vk_buffer_create(d, sizes[i], &b), 0);
			expect_buffer_filled(b, 0);
			assert_int_equal(vk_buffer_write(b, 0, pattern, sizes[i]), 0);
			expect_buffer_filled(b, 0xa5);
			vk_buffer_destroy(b);
		}
		free(pattern);
	}
}

static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Writes and reads at odd offsets and lengths, some spanning the 4 MiB staging chunks, against a
 * host copy of what the buffer must hold; the bytes around each write must not move.
 */
static void test_write_read_odd_ranges(void **state)
{
	const uint64_t size = 8 * MiB + 5;
	struct vk_device *d = dev_of(state);
	uint8_t *shadow = calloc(1, size);
	uint8_t *data = malloc(size);
	uint8_t *back = malloc(size);
	uint64_t rng = 12345;
	struct vk_buffer *b;
	struct {
		uint64_t offset, len;
	} ranges[] = {
		{ 0, 1 }, { 1, 1 }, { 3, 5 }, { 4093, 7 }, { size - 1, 1 }, { size - 3, 3 },
		{ 1, 4 * MiB + 1 },		/* one byte more than a chunk */
		{ 4 * MiB - 2, 5 },		/* across the first chunk boundary, in one call */
		{ 7, 8 * MiB - 9 },		/* three chunks */
	};

	(void)state;
	assert_non_null(shadow);
	assert_non_null(data);
	assert_non_null(back);
	assert_int_equal(vk_buffer_create(d, size, &b), 0);

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]) + 40; i++) {
		uint64_t offset, len;

		if (i < sizeof(ranges) / sizeof(ranges[0])) {
			offset = ranges[i].offset;
			len = ranges[i].len;
		} else {
			offset = next_random(&rng) % size;
			uint64_t room = size - offset < 70000 ? size - offset : 70000;

			len = 1 + next_random(&rng) % room;
		}
		for (uint64_t k = 0; k < len; k++)
			data[k] = (uint8_t)next_random(&rng);
		assert_int_equal(vk_buffer_write(b, offset, data, len), 0);
		memcpy(shadow + offset, data, len);

		/* The range itself, read back through an odd window around it. */
		memset(back, 0, len);
		assert_int_equal(vk_buffer_read(b, offset, back, len), 0);
		assert_memory_equal(back, data, len);
		if (offset >= 3 && offset + len + 2 <= size) {
			assert_int_equal(vk_buffer_read(b, offset - 3, back, len + 5), 0);
			assert_memory_equal(back, shadow + offset - 3, len + 5);
		}
	}

	/* Everything, in one read and then in odd-sized pieces. */
	assert_int_equal(vk_buffer_read(b, 0, back, size), 0);
	assert_memory_equal(back, shadow, size);
	for (uint64_t at = 0; at < size;) {
		uint64_t len = 1 + next_random(&rng) % (3 * MiB);

		if (len > size - at)
			len = size - at;
		assert_int_equal(vk_buffer_read(b, at, back + at, len), 0);
		at += len;
	}
	assert_memory_equal(back, shadow, size);

	vk_buffer_destroy(b);
	free(back);
	free(data);
	free(shadow);
}

static void test_bad_ranges(void **state)
{
	struct vk_device *d = dev_of(state);
	const uint64_t size = 4095;
	uint8_t byte = 0x5a, out[8];
	struct vk_buffer *b;

	assert_int_equal(vk_buffer_create(d, size, &b), 0);

	assert_int_equal(vk_buffer_read(b, size, out, 1), -EINVAL);
	assert_int_equal(vk_buffer_write(b, size, &byte, 1), -EINVAL);
	assert_int_equal(vk_buffer_read(b, size - 1, out, 2), -EINVAL);
	assert_int_equal(vk_buffer_write(b, size - 1, &byte, 2), -EINVAL);
	assert_int_equal(vk_buffer_read(b, 0, out, size + 1), -EINVAL);
	assert_int_equal(vk_buffer_read(b, size + 1, out, 0), -EINVAL);
	/* offset + len wraps around 2^64 */
	assert_int_equal(vk_buffer_read(b, UINT64_MAX, out, 2), -EINVAL);
	assert_int_equal(vk_buffer_write(b, 2, &byte, UINT64_MAX), -EINVAL);
	assert_int_equal(vk_buffer_read(b, 0, NULL, 1), -EINVAL);
	assert_int_equal(vk_buffer_write(b, 0, NULL, 1), -EINVAL);
	/* Empty ranges inside the buffer are fine, even at its end. */
	assert_int_equal(vk_buffer_read(b, size, out, 0), 0);
	assert_int_equal(vk_buffer_write(b, 0, NULL, 0), 0);
	/* The failed writes changed nothing. */
	expect_buffer_filled(b, 0);
	vk_buffer_destroy(b);

	assert_int_equal(vk_buffer_create(d, 0, &b), -EINVAL);
	assert_null(b);
	assert_int_equal(vk_buffer_create(d, vk_device_max_buffer(d) + 1, &b), -ENOMEM);
	assert_null(b);
	assert_int_equal(vk_buffer_create(d, UINT64_MAX, &b), -ENOMEM);
	assert_null(b);
}

/* Many short-lived buffers: no handle, memory or staging state is left behind (ASan's LSan). */
static void test_create_destroy_cycles(void **state)
{
	struct vk_device *d = dev_of(state);
	const uint64_t size = 65536 + 3;

	for (int i = 0; i < 200; i++) {
		uint8_t tail[3] = { 0xff, 0xff, 0xff };
		uint8_t mark = (uint8_t)(i + 1);
		struct vk_buffer *b;

		assert_int_equal(vk_buffer_create(d, size, &b), 0);
		assert_int_equal(vk_buffer_read(b, size - 3, tail, 3), 0);
		expect_all(tail, 3, 0);
		assert_int_equal(vk_buffer_write(b, size - 1, &mark, 1), 0);
		assert_int_equal(vk_buffer_read(b, size - 1, tail, 1), 0);
		assert_int_equal(tail[0], mark);
		vk_buffer_destroy(b);
	}
}

/* Several live buffers keep their own contents. */
static void test_buffers_are_independent(void **state)
{
	struct vk_device *d = dev_of(state);
	struct vk_buffer *b[4];
	uint8_t buf[1000];

	for (int i = 0; i < 4; i++)
		assert_int_equal(vk_buffer_create(d, sizeof(buf), &b[i]), 0);
	for (int i = 0; i < 4; i++) {
		memset(buf, 0x10 + i, sizeof(buf));
		assert_int_equal(vk_buffer_write(b[i], 0, buf, sizeof(buf)), 0);
	}
	for (int i = 0; i < 4; i++) {
		expect_buffer_filled(b[i], (uint8_t)(0x10 + i));
		vk_buffer_destroy(b[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_new_buffers_are_zero),
		cmocka_unit_test(test_no_stale_data),
		cmocka_unit_test(test_write_read_odd_ranges),
		cmocka_unit_test(test_bad_ranges),
		cmocka_unit_test(test_create_destroy_cycles),
		cmocka_unit_test(test_buffers_are_independent),
	};

	return cmocka_run_group_tests(tests, open_first_adapter, close_adapter);
}
