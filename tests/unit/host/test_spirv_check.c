// SPDX-License-Identifier: MIT
/*
 * The SPIR-V gate against real modules: GLSL compiled by glslangValidator, hostile modules
 * assembled by spirv-as (tests/unit/host/spirv, built into SPIRV_TEST_DIR), and headers and
 * instruction streams broken by hand. Every refusal must be -EINVAL with a reason, and where the
 * gate itself refuses, the reason must name what it refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spirv_check.h"

#ifndef SPIRV_TEST_DIR
#error "SPIRV_TEST_DIR must name the directory of the compiled test modules"
#endif

struct module {
	uint32_t *words;
	size_t size;
};

static struct module load(const char *name)
{
	char path[4096];
	struct module m = { 0 };
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/%s.spv", SPIRV_TEST_DIR, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0 && len % 4 == 0);
	rewind(f);
	m.size = (size_t)len;
	m.words = malloc(m.size);
	assert_non_null(m.words);
	assert_int_equal(fread(m.words, 1, m.size, f), m.size);
	fclose(f);
	return m;
}

/* Refused with -EINVAL, a non-empty one-line reason, and (when given) that reason names `what`. */
static void expect_refused(const void *code, size_t size, const char *what)
{
	struct spirv_info info;
	char why[SPIRV_CHECK_WHY_LEN];

	memset(why, 'x', sizeof(why));
	assert_int_equal(spirv_check(code, size, &info, why), -EINVAL);
	assert_non_null(memchr(why, '\0', sizeof(why)));
	assert_true(strlen(why) > 0);
	assert_null(strchr(why, '\n'));
	if (what && !strstr(why, what))
		fail_msg("reason '%s' does not mention '%s'", why, what);
	/* Nothing of a refused module leaks out as if it had been accepted. */
	assert_int_equal(info.entry_count, 0);
}

static void expect_file_refused(const char *name, const char *what)
{
	struct module m = load(name);

	expect_refused(m.words, m.size, what);
	free(m.words);
}

static void test_accepts_plain_compute(void **state)
{
	struct module m = load("compute");
	struct spirv_info info;
	char why[SPIRV_CHECK_WHY_LEN];

	(void)state;
	assert_int_equal(spirv_check(m.words, m.size, &info, why), 0);
	assert_string_equal(why, "");
	assert_int_equal(info.entry_count, 1);
	assert_string_equal(info.entry_names[0], "main");
	assert_int_equal(info.local_size[0][0], 8);
	assert_int_equal(info.local_size[0][1], 4);
	assert_int_equal(info.local_size[0][2], 2);
	assert_int_equal(info.features, 0);
	assert_int_equal(info.binding_mask, 0x1);
	assert_int_equal(info.push_constant_size, 0);
	/* info and why are optional. */
	assert_int_equal(spirv_check(m.words, m.size, NULL, NULL), 0);
	free(m.words);
}

static void test_reports_entry_name(void **state)
{
	struct module m = load("minimal");
	struct spirv_info info;
	char why[SPIRV_CHECK_WHY_LEN];

	(void)state;
	assert_int_equal(spirv_check(m.words, m.size, &info, why), 0);
	assert_int_equal(info.entry_count, 1);
	assert_string_equal(info.entry_names[0], "reduce_sum");
	assert_int_equal(info.local_size[0][0], 256);
	assert_int_equal(info.local_size[0][1], 1);
	assert_int_equal(info.local_size[0][2], 1);
	/* No resources at all. */
	assert_int_equal(info.binding_mask, 0);
	assert_int_equal(info.push_constant_size, 0);
	free(m.words);
}

/* The guest's bytes sit wherever the message put them. */
static void test_accepts_unaligned_code(void **state)
{
	struct module m = load("minimal");
	uint8_t *buf = malloc(m.size + 3);
	struct spirv_info info;

	(void)state;
	assert_non_null(buf);
	for (size_t shift = 1; shift <= 3; shift++) {
		memcpy(buf + shift, m.words, m.size);
		assert_int_equal(spirv_check(buf + shift, m.size, &info, NULL), 0);
		assert_string_equal(info.entry_names[0], "reduce_sum");
	}
	free(buf);
	free(m.words);
}

/* local_size_x_id: x comes from a specialization constant, so the host reports 0 for it. */
static void test_spec_constant_local_size(void **state)
{
	struct module m = load("spec_size");
	struct spirv_info info;

	(void)state;
	assert_int_equal(spirv_check(m.words, m.size, &info, NULL), 0);
	assert_int_equal(info.entry_count, 1);
	assert_int_equal(info.local_size[0][0], 0);
	assert_int_equal(info.local_size[0][1], 4);
	assert_int_equal(info.local_size[0][2], 1);
	free(m.words);
}

static void test_reports_features(void **state)
{
	struct module m = load("features");
	struct spirv_info info;

	(void)state;
	assert_int_equal(spirv_check(m.words, m.size, &info, NULL), 0);
	assert_int_equal(info.features,
			 SPIRV_FEATURE_INT64 | SPIRV_FEATURE_STORAGE_BUFFER_16BIT |
			 SPIRV_FEATURE_SUBGROUP_BASIC | SPIRV_FEATURE_SUBGROUP_ARITHMETIC |
			 SPIRV_FEATURE_SUBGROUP_EXTENDED_TYPES);
	assert_int_equal(info.local_size[0][0], 64);
	assert_int_equal(info.binding_mask, 0x3);
	free(m.words);

	m = load("memory_model");
	assert_int_equal(spirv_check(m.words, m.size, &info, NULL), 0);
	assert_int_equal(info.features,
			 SPIRV_FEATURE_VULKAN_MEMORY_MODEL |
			 SPIRV_FEATURE_VULKAN_MEMORY_MODEL_DEVICE_SCOPE | SPIRV_FEATURE_VULKAN_1_2);
	free(m.words);
}

/* What a module binds: the binding mask and the push constant block's span. */
static void expect_resources(const char *name, uint32_t mask, uint32_t push_size)
{
	struct module m = load(name);
	struct spirv_info info;
	char why[SPIRV_CHECK_WHY_LEN];

	if (spirv_check(m.words, m.size, &info, why) != 0)
		fail_msg("%s refused: %s", name, why);
	if (info.binding_mask != mask || info.push_constant_size != push_size)
		fail_msg("%s: binding mask 0x%x, push constants %u; expected 0x%x, %u", name,
			 info.binding_mask, info.push_constant_size, mask, push_size);
	free(m.words);
}

static void test_reports_resources(void **state)
{
	(void)state;
	/* Bindings 0, 3, 15 and 7, which no code uses: declared is bound. */
	expect_resources("resources", 0x8089, 92);
	/* The SPIR-V 1.0 spelling of storage buffers counts the same. */
	expect_resources("buffer_block", 0x6, 0);
	/* Arrays of structs at their stride; a row-major mat2x3 spans 3 rows of 8 bytes. */
	expect_resources("push_layout", 0x4, 88);
	/* Offset 64 + uvec2 + a 16-bit member: 74, not rounded to a multiple of 4. */
	expect_resources("push_offset", 0x2, 74);
	expect_resources("push_max", 0x1, 128);
	expect_resources("spec_size", 0x1, 0);
}

static void test_refuses_resources_outside_layout(void **state)
{
	(void)state;
	expect_file_refused("set1", "descriptor set 1");
	expect_file_refused("binding16", "binding 16");
	expect_file_refused("buffer_array", "array of descriptors");
	expect_file_refused("uniform_block", "uniform buffer");
	expect_file_refused("image", "UniformConstant");
	expect_file_refused("sampler", "UniformConstant");
	expect_file_refused("push_too_big", "push constant block of 132 bytes");
	expect_file_refused("spec_push", "specialization");
	/* The size walk follows types only so deep (each level is a recursion). */
	expect_file_refused("push_deep", "nest deeper");
	/* Valid SPIR-V, but a DescriptorSet the gate would have to resolve through a group. */
	expect_file_refused("decoration_group", "decoration groups");
}

static void test_refuses_bad_sizes(void **state)
{
	struct module m = load("minimal");

	(void)state;
	expect_refused(NULL, 0, "too short");
	expect_refused(m.words, 0, "too short");
	expect_refused(m.words, 3, "too short");
	expect_refused(m.words, 16, "too short");
	expect_refused(m.words, 19, "too short");
	expect_refused(m.words, m.size - 1, "multiple of 4");
	expect_refused(m.words, m.size - 2, "multiple of 4");
	expect_refused(m.words, 21, "multiple of 4");
	/* A header alone is no module. */
	expect_refused(m.words, 20, "no instructions");
	free(m.words);
}

static void test_refuses_bad_header(void **state)
{
	struct module m = load("minimal");
	uint32_t *copy = malloc(m.size);
	size_t n = m.size / 4;

	(void)state;
	assert_non_null(copy);

	memcpy(copy, m.words, m.size);
	copy[0] = 0x07230204;
	expect_refused(copy, m.size, "magic");

	/* The whole module byte-swapped: valid SPIR-V for a big-endian producer, refused here. */
	for (size_t i = 0; i < n; i++)
		copy[i] = __builtin_bswap32(m.words[i]);
	expect_refused(copy, m.size, "big-endian");

	memcpy(copy, m.words, m.size);
	copy[1] = 0x00010400;	/* SPIR-V 1.4: beyond Vulkan 1.1 */
	expect_refused(copy, m.size, "version");
	copy[1] = 0x00020000;
	expect_refused(copy, m.size, "version");
	copy[1] = 0x00010301;	/* low byte must be 0 */
	expect_refused(copy, m.size, "version");

	memcpy(copy, m.words, m.size);
	copy[3] = 0;
	expect_refused(copy, m.size, "bound");
	copy[3] = 0x400000;
	expect_refused(copy, m.size, "bound");

	memcpy(copy, m.words, m.size);
	copy[4] = 1;
	expect_refused(copy, m.size, "schema");

	free(copy);
	free(m.words);
}

/* Index of the first instruction with `opcode`. */
static size_t find_instruction(const uint32_t *words, size_t n, uint32_t opcode)
{
	for (size_t at = 5; at < n && (words[at] >> 16);) {
		if ((words[at] & 0xffff) == opcode)
			return at;
		at += words[at] >> 16;
	}
	fail_msg("opcode %u not found", opcode);
	return 0;
}

static void test_refuses_broken_instruction_stream(void **state)
{
	struct module m = load("minimal");
	uint32_t *copy = malloc(m.size);
	size_t n = m.size / 4;
	size_t entry = find_instruction(m.words, n, 15);	/* OpEntryPoint, 5+ words */

	(void)state;
	assert_non_null(copy);

	/* Cut in the middle of OpEntryPoint: the instruction claims words the module lacks. */
	expect_refused(m.words, (entry + 2) * 4, "past the end");

	memcpy(copy, m.words, m.size);
	copy[5] &= 0xffff;	/* first instruction: word count 0 would loop forever */
	expect_refused(copy, m.size, "word count of 0");

	memcpy(copy, m.words, m.size);
	copy[5] |= 0xffffu << 16;
	expect_refused(copy, m.size, "past the end");

	/* The last instruction grows by one word past the end. */
	memcpy(copy, m.words, m.size);
	copy[n - 1] += 1u << 16;
	expect_refused(copy, m.size, "past the end");

	/* An entry point name without its NUL inside the instruction. */
	memcpy(copy, m.words, m.size);
	copy[entry] = (4u << 16) | 15;	/* model, id, one word of name: "redu" */
	expect_refused(copy, m.size, NULL);

	free(copy);
	free(m.words);
}

static void test_refuses_graphics_stages(void **state)
{
	(void)state;
	expect_file_refused("fragment", "execution model 4");
	expect_file_refused("vertex", "execution model 0");
	expect_file_refused("kernel_entry", "execution model 6");
}

static void test_refuses_physical_storage_buffer(void **state)
{
	(void)state;
	expect_file_refused("psb", "PhysicalStorageBufferAddresses");
	expect_file_refused("psb_extension", "SPV_KHR_physical_storage_buffer");
	expect_file_refused("psb_addressing", "addressing model");
}

static void test_refuses_variable_pointers(void **state)
{
	(void)state;
	expect_file_refused("variable_pointers", "VariablePointers");
	expect_file_refused("variable_pointers_sb", "VariablePointersStorageBuffer");
}

static void test_refuses_opencl_and_linkage(void **state)
{
	(void)state;
	expect_file_refused("opencl", "Addresses");
	expect_file_refused("linkage", "Linkage");
	expect_file_refused("cross_workgroup", "storage class 5");
	expect_file_refused("debug_printf", "SPV_KHR_non_semantic_info");
}

static void test_refuses_invalid_module(void **state)
{
	(void)state;
	/* Allowed by every list: only the validator knows better. */
	expect_file_refused("type_mismatch", "spirv-val");
	expect_file_refused("no_entry", "no entry point");
	expect_file_refused("long_name", "entry point name");
}

/*
 * A module with `count` GLCompute entry points, each its own function named "kN" with LocalSize
 * N+1, written word by word (spirv-as would need a 64-function source).
 */
static size_t build_many_entries(uint32_t *w, uint32_t count)
{
	const uint32_t id_void = 1, id_fn = 2, first_fn = 3;
	uint32_t bound = first_fn + 2 * count;
	size_t n = 0;

	w[n++] = 0x07230203;
	w[n++] = 0x00010000;
	w[n++] = 0;
	w[n++] = bound;
	w[n++] = 0;
	w[n++] = (2u << 16) | 17;	/* OpCapability Shader */
	w[n++] = 1;
	w[n++] = (3u << 16) | 14;	/* OpMemoryModel Logical GLSL450 */
	w[n++] = 0;
	w[n++] = 1;
	for (uint32_t k = 0; k < count; k++) {
		char name[8];
		/* A literal string takes the fewest words that hold it and its NUL. */
		uint32_t name_words;

		memset(name, 0, sizeof(name));
		name_words = (uint32_t)snprintf(name, sizeof(name), "k%u", k) / 4 + 1;
		w[n++] = ((3 + name_words) << 16) | 15;	/* OpEntryPoint GLCompute %fn "kN" */
		w[n++] = 5;
		w[n++] = first_fn + 2 * k;
		memcpy(&w[n], name, name_words * 4);
		n += name_words;
	}
	for (uint32_t k = 0; k < count; k++) {
		w[n++] = (6u << 16) | 16;	/* OpExecutionMode %fn LocalSize k+1 1 1 */
		w[n++] = first_fn + 2 * k;
		w[n++] = 17;
		w[n++] = k + 1;
		w[n++] = 1;
		w[n++] = 1;
	}
	w[n++] = (2u << 16) | 19;		/* OpTypeVoid */
	w[n++] = id_void;
	w[n++] = (3u << 16) | 33;		/* OpTypeFunction %void */
	w[n++] = id_fn;
	w[n++] = id_void;
	for (uint32_t k = 0; k < count; k++) {
		w[n++] = (5u << 16) | 54;	/* OpFunction %void None %fn */
		w[n++] = id_void;
		w[n++] = first_fn + 2 * k;
		w[n++] = 0;
		w[n++] = id_fn;
		w[n++] = (2u << 16) | 248;	/* OpLabel */
		w[n++] = first_fn + 2 * k + 1;
		w[n++] = (1u << 16) | 253;	/* OpReturn */
		w[n++] = (1u << 16) | 56;	/* OpFunctionEnd */
	}
	return n;
}

static void test_entry_point_capacity(void **state)
{
	uint32_t *w = calloc(8192, sizeof(*w));
	struct spirv_info info;
	char why[SPIRV_CHECK_WHY_LEN];
	size_t n;

	(void)state;
	assert_non_null(w);
	n = build_many_entries(w, SPIRV_MAX_ENTRY_POINTS);
	if (spirv_check(w, n * 4, &info, why) != 0)
		fail_msg("%u entry points refused: %s", SPIRV_MAX_ENTRY_POINTS, why);
	assert_int_equal(info.entry_count, SPIRV_MAX_ENTRY_POINTS);
	for (uint32_t k = 0; k < SPIRV_MAX_ENTRY_POINTS; k++) {
		char name[8];

		snprintf(name, sizeof(name), "k%u", k);
		assert_string_equal(info.entry_names[k], name);
		assert_int_equal(info.local_size[k][0], k + 1);
		assert_int_equal(info.local_size[k][1], 1);
	}

	n = build_many_entries(w, SPIRV_MAX_ENTRY_POINTS + 1);
	expect_refused(w, n * 4, "more than 64 entry points");
	free(w);
}

/*
 * Random damage to valid modules: whatever the walk or the validator makes of it, the answer is
 * 0 or -EINVAL with a reason, never a crash or a read outside the module (ASan builds check).
 */
static void test_survives_mutations(void **state)
{
	static const char *const names[] = { "compute", "features", "spec_size", "psb" };
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	unsigned accepted = 0, refused = 0;

	(void)state;
	for (size_t f = 0; f < sizeof(names) / sizeof(names[0]); f++) {
		struct module m = load(names[f]);
		size_t n = m.size / 4;
		uint32_t *copy = malloc(m.size);

		assert_non_null(copy);
		for (int iter = 0; iter < 500; iter++) {
			char why[SPIRV_CHECK_WHY_LEN];
			int flips = 1 + iter % 4;
			size_t size = m.size;
			int ret;

			memcpy(copy, m.words, m.size);
			for (int k = 0; k < flips; k++) {
				rng ^= rng << 13;
				rng ^= rng >> 7;
				rng ^= rng << 17;
				size_t at = 5 + (size_t)(rng % (n - 5));

				switch ((rng >> 32) % 4) {
				case 0:	/* one bit */
					copy[at] ^= 1u << ((rng >> 40) % 32);
					break;
				case 1:	/* a word count */
					copy[at] = (copy[at] & 0xffff) |
						   (uint32_t)((rng >> 40) % 8) << 16;
					break;
				case 2:	/* a small operand value */
					copy[at] = (uint32_t)((rng >> 40) % 64);
					break;
				default:	/* shorter module */
					size = at * 4;
					break;
				}
			}
			ret = spirv_check(copy, size, NULL, why);
			if (ret == 0) {
				accepted++;
			} else {
				assert_int_equal(ret, -EINVAL);
				assert_true(strlen(why) > 0);
				refused++;
			}
		}
		free(copy);
		free(m.words);
	}
	/* The damage must mostly be caught; a few harmless edits may pass. */
	assert_true(refused > accepted);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_plain_compute),
		cmocka_unit_test(test_reports_entry_name),
		cmocka_unit_test(test_accepts_unaligned_code),
		cmocka_unit_test(test_spec_constant_local_size),
		cmocka_unit_test(test_reports_features),
		cmocka_unit_test(test_reports_resources),
		cmocka_unit_test(test_refuses_resources_outside_layout),
		cmocka_unit_test(test_refuses_bad_sizes),
		cmocka_unit_test(test_refuses_bad_header),
		cmocka_unit_test(test_refuses_broken_instruction_stream),
		cmocka_unit_test(test_refuses_graphics_stages),
		cmocka_unit_test(test_refuses_physical_storage_buffer),
		cmocka_unit_test(test_refuses_variable_pointers),
		cmocka_unit_test(test_refuses_opencl_and_linkage),
		cmocka_unit_test(test_refuses_invalid_module),
		cmocka_unit_test(test_entry_point_capacity),
		cmocka_unit_test(test_survives_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
