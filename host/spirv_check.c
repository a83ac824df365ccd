// SPDX-License-Identifier: MIT
/*
 * Guest SPIR-V gate. Order of the checks, cheapest and most precise first:
 *   1. the header (size, endianness, magic, version, bound), by hand;
 *   2. one walk over every instruction: word counts inside the module, then opendxg's allow-lists
 *      (capabilities, extensions, extended instruction sets, addressing model, execution models,
 *      storage classes), collecting entry points and their LocalSize on the way;
 *   3. SPIRV-Tools' validator for the Vulkan 1.1 environment (types, layout, control flow...);
 *   4. LocalSize given through constants, resolved on the now valid module.
 * Steps 1 and 2 run first so that most hostile modules never reach the large C++ validator, and
 * so that a module that uses a forbidden feature is refused with that reason rather than with
 * whatever the validator happens to notice first.
 *
 * The point of the allow-lists: a guest kernel runs on the host's GPU with robustBufferAccess, so
 * every access through a descriptor binding is bounds-checked. Anything that lets a kernel form a
 * pointer from an integer, or pick among pointers at run time, steps outside that guarantee, and
 * the driver code that compiles such features is far less exercised against hostile input.
 * Everything that is not listed is refused; new entries need a reason here.
 *
 * The numeric values are from the SPIR-V specification (unified1); the spirv-headers package is
 * not needed for so few of them.
 */
#include "spirv_check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spirv-tools/libspirv.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "spirv_check reads little-endian SPIR-V words natively"
#endif

#define SPV_MAGIC 0x07230203u
#define SPV_MAGIC_SWAPPED 0x03022307u
#define SPV_HEADER_WORDS 5u
/* SPIR-V's universal limit on the id bound (spec section 2.17). */
#define SPV_MAX_ID_BOUND 0x3fffffu

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum spv_op {
	OP_EXTENSION = 10,
	OP_EXT_INST_IMPORT = 11,
	OP_MEMORY_MODEL = 14,
	OP_ENTRY_POINT = 15,
	OP_EXECUTION_MODE = 16,
	OP_CAPABILITY = 17,
	OP_TYPE_POINTER = 32,
	OP_TYPE_FORWARD_POINTER = 39,
	OP_CONSTANT = 43,
	OP_CONSTANT_COMPOSITE = 44,
	OP_SPEC_CONSTANT = 50,
	OP_SPEC_CONSTANT_COMPOSITE = 51,
	OP_VARIABLE = 59,
	OP_DECORATE = 71,
	OP_CONVERT_PTR_TO_U = 117,
	OP_CONVERT_U_TO_PTR = 120,
	OP_EXECUTION_MODE_ID = 331,
};

enum {
	ADDRESSING_LOGICAL = 0,
	MEMORY_MODEL_GLSL450 = 1,
	MEMORY_MODEL_VULKAN = 3,
	EXECUTION_MODEL_GLCOMPUTE = 5,
	EXECUTION_MODE_LOCAL_SIZE = 17,
	EXECUTION_MODE_LOCAL_SIZE_ID = 38,
	DECORATION_BUILTIN = 11,
	BUILTIN_WORKGROUP_SIZE = 25,
};

/*
 * Capabilities a module may declare, and the device feature each one needs (the caller compares
 * spirv_info.features with what the device enabled: declaring a capability whose feature is off
 * is undefined behaviour in the driver). Deliberately absent, so refused:
 * - Addresses, Kernel, Linkage: the OpenCL model: physical pointers that are plain integers,
 *   generic address space, and imports resolved by a linker we do not run;
 * - PhysicalStorageBufferAddresses: a 64-bit integer turned into a pointer to any device memory
 *   the process can address (other allocations, other VMs' buffers on the same device): the
 *   direct escape from bounded bindings;
 * - VariablePointers, VariablePointersStorageBuffer: pointers chosen at run time (OpSelect/OpPhi,
 *   pointers stored in functions); robustness for them is per driver and historically weak;
 * - Int64Atomics: not a pointer escape, but an optional feature (shaderBufferInt64Atomics) the
 *   host neither enables nor reports to guests; keeping it out keeps the enabled feature set the
 *   same on every adapter. Add it here with its feature bit when a guest runtime needs it;
 * - StorageInputOutput16, Geometry, Tessellation, image/sampler and ray-tracing capabilities:
 *   graphics or image features; opendxg guests have buffers and compute kernels only;
 * - float controls (DenormPreserve, RoundingModeRTE...): harmless, but each needs a per-device
 *   property check the host does not do yet;
 * - the old SubgroupBallotKHR/SubgroupVoteKHR: GroupNonUniform* covers them;
 * - anything added to SPIR-V after this list was written.
 */
struct capability_rule {
	uint32_t capability;
	uint32_t features;
};

static const struct capability_rule allowed_capabilities[] = {
	{ 0, 0 },		/* Matrix: implied by Shader */
	{ 1, 0 },		/* Shader */
	{ 9, SPIRV_FEATURE_FLOAT16 },
	{ 10, SPIRV_FEATURE_FLOAT64 },
	{ 11, SPIRV_FEATURE_INT64 },
	{ 22, SPIRV_FEATURE_INT16 },
	{ 39, SPIRV_FEATURE_INT8 },
	{ 61, SPIRV_FEATURE_SUBGROUP_BASIC },
	{ 62, SPIRV_FEATURE_SUBGROUP_VOTE },
	{ 63, SPIRV_FEATURE_SUBGROUP_ARITHMETIC },
	{ 64, SPIRV_FEATURE_SUBGROUP_BALLOT },
	{ 65, SPIRV_FEATURE_SUBGROUP_SHUFFLE },
	{ 66, SPIRV_FEATURE_SUBGROUP_SHUFFLE_RELATIVE },
	{ 67, SPIRV_FEATURE_SUBGROUP_CLUSTERED },
	{ 68, SPIRV_FEATURE_SUBGROUP_QUAD },
	{ 4433, SPIRV_FEATURE_STORAGE_BUFFER_16BIT },	/* StorageBuffer16BitAccess */
	{ 4434, SPIRV_FEATURE_UNIFORM_16BIT },		/* UniformAndStorageBuffer16BitAccess */
	{ 4435, SPIRV_FEATURE_PUSH_CONSTANT_16BIT },	/* StoragePushConstant16 */
	{ 4448, SPIRV_FEATURE_STORAGE_BUFFER_8BIT },	/* StorageBuffer8BitAccess */
	{ 4449, SPIRV_FEATURE_UNIFORM_8BIT },		/* UniformAndStorageBuffer8BitAccess */
	{ 4450, SPIRV_FEATURE_PUSH_CONSTANT_8BIT },	/* StoragePushConstant8 */
	{ 5345, SPIRV_FEATURE_VULKAN_MEMORY_MODEL },
	{ 5346, SPIRV_FEATURE_VULKAN_MEMORY_MODEL_DEVICE_SCOPE },
};

/*
 * Extensions, with the Vulkan version or feature they need. Refused, among others:
 * SPV_KHR_physical_storage_buffer and SPV_EXT_physical_storage_buffer (integer-to-pointer, see
 * PhysicalStorageBufferAddresses), SPV_KHR_variable_pointers (run-time pointer selection),
 * SPV_KHR_shader_draw_parameters and every graphics-only extension (compute only),
 * SPV_KHR_non_semantic_info (debug printf and friends: nothing to print to on the host).
 */
struct extension_rule {
	const char *name;
	uint32_t features;
};

static const struct extension_rule allowed_extensions[] = {
	{ "SPV_KHR_storage_buffer_storage_class", 0 },	/* core in Vulkan 1.1 */
	{ "SPV_KHR_16bit_storage", 0 },			/* core in Vulkan 1.1 */
	{ "SPV_KHR_8bit_storage", SPIRV_FEATURE_VULKAN_1_2 },
	{ "SPV_KHR_vulkan_memory_model", SPIRV_FEATURE_VULKAN_1_2 },
};

/*
 * Storage classes a pointer type or variable may use. Refused: CrossWorkgroup and Generic
 * (OpenCL), Output (no compute outputs), AtomicCounter, PhysicalStorageBuffer (raw addresses),
 * and the ray-tracing and task/mesh classes. Image (11) stays: texel pointers are bounded by the
 * image descriptor like any other binding.
 */
static bool storage_class_allowed(uint32_t sc)
{
	switch (sc) {
	case 0:		/* UniformConstant */
	case 1:		/* Input: compute built-ins */
	case 2:		/* Uniform */
	case 4:		/* Workgroup */
	case 6:		/* Private */
	case 7:		/* Function */
	case 9:		/* PushConstant */
	case 11:	/* Image */
	case 12:	/* StorageBuffer */
		return true;
	default:
		return false;
	}
}

static void set_why(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_why(char *why, const char *fmt, ...)
{
	va_list ap;

	if (!why)
		return;
	va_start(ap, fmt);
	vsnprintf(why, SPIRV_CHECK_WHY_LEN, fmt, ap);
	va_end(ap);
}

/*
 * One printable line for logs: the validator's messages span lines (they quote the offending
 * instruction), and names quoted from the module are the guest's bytes.
 */
static void flatten_line(char *str)
{
	for (unsigned char *p = (unsigned char *)str; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
		else if (*p >= 0x80)
			*p = '?';
	}
}

/* What the walk keeps about the entry points until their sizes can be resolved. */
struct walk_state {
	struct spirv_info info;
	uint32_t entry_ids[SPIRV_MAX_ENTRY_POINTS];
	/* LocalSizeId operands per entry point; 0 where LocalSize gave literals (no id is 0). */
	uint32_t local_size_ids[SPIRV_MAX_ENTRY_POINTS][3];
	uint32_t workgroup_size_id;	/* the constant decorated BuiltIn WorkgroupSize, or 0 */
	bool memory_model_seen;
};

static int check_header(const uint32_t *words, size_t word_count, char *why)
{
	uint32_t version = words[1];
	uint32_t bound = words[3];

	if (words[0] == SPV_MAGIC_SWAPPED) {
		set_why(why, "big-endian SPIR-V module (only little-endian is accepted)");
		return -EINVAL;
	}
	if (words[0] != SPV_MAGIC) {
		set_why(why, "bad SPIR-V magic 0x%08x", words[0]);
		return -EINVAL;
	}
	/* Vulkan 1.1 consumes SPIR-V 1.0 to 1.3; the version's high and low bytes must be 0. */
	if ((version & 0xff0000ffu) != 0 || ((version >> 16) & 0xff) != 1 ||
	    ((version >> 8) & 0xff) > 3) {
		set_why(why, "SPIR-V version word 0x%08x is not 1.0..1.3 (Vulkan 1.1)", version);
		return -EINVAL;
	}
	if (bound == 0 || bound > SPV_MAX_ID_BOUND) {
		set_why(why, "id bound %u outside 1..%u", bound, SPV_MAX_ID_BOUND);
		return -EINVAL;
	}
	if (words[4] != 0) {
		set_why(why, "reserved header word (schema) is 0x%08x, not 0", words[4]);
		return -EINVAL;
	}
	if (word_count == SPV_HEADER_WORDS) {
		set_why(why, "module has a header but no instructions");
		return -EINVAL;
	}
	return 0;
}

/*
 * A literal string operand starting at words[first] of an instruction of `word_count` words: its
 * NUL must lie inside the instruction. Returns its length, or -1.
 */
static long literal_string(const uint32_t *inst, uint32_t word_count, uint32_t first)
{
	const char *s = (const char *)&inst[first];
	size_t room = (size_t)(word_count - first) * 4u;
	const char *nul;

	if (first >= word_count)
		return -1;
	nul = memchr(s, '\0', room);
	return nul ? (long)(nul - s) : -1;
}

static int check_capability(const uint32_t *inst, uint32_t wc, struct walk_state *st, char *why)
{
	uint32_t cap;

	if (wc != 2) {
		set_why(why, "OpCapability with %u words", wc);
		return -EINVAL;
	}
	cap = inst[1];
	for (size_t i = 0; i < ARRAY_SIZE(allowed_capabilities); i++) {
		if (allowed_capabilities[i].capability == cap) {
			st->info.features |= allowed_capabilities[i].features;
			return 0;
		}
	}
	switch (cap) {
	case 4:
		set_why(why, "capability Addresses is not allowed (physical pointers)");
		break;
	case 5:
		set_why(why, "capability Linkage is not allowed (unresolved imports)");
		break;
	case 6:
		set_why(why, "capability Kernel is not allowed (OpenCL kernels)");
		break;
	case 12:
		set_why(why, "capability Int64Atomics is not allowed (feature not enabled)");
		break;
	case 4441:
		set_why(why, "capability VariablePointersStorageBuffer is not allowed "
			"(run-time pointer selection)");
		break;
	case 4442:
		set_why(why, "capability VariablePointers is not allowed "
			"(run-time pointer selection)");
		break;
	case 5347:
		set_why(why, "capability PhysicalStorageBufferAddresses is not allowed "
			"(integer-to-pointer escapes bounded bindings)");
		break;
	default:
		set_why(why, "capability %u is not in opendxg's allow-list", cap);
		break;
	}
	return -EINVAL;
}

static int check_extension(const uint32_t *inst, uint32_t wc, struct walk_state *st, char *why)
{
	long len = literal_string(inst, wc, 1);
	const char *name = (const char *)&inst[1];

	if (len < 0) {
		set_why(why, "OpExtension name is not NUL-terminated");
		return -EINVAL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(allowed_extensions); i++) {
		if (strcmp(allowed_extensions[i].name, name) == 0) {
			st->info.features |= allowed_extensions[i].features;
			return 0;
		}
	}
	/* %.*s: the name came from the guest; cut it so the reason keeps its start. */
	set_why(why, "extension '%.*s' is not in opendxg's allow-list", 96, name);
	return -EINVAL;
}

/*
 * Only GLSL.std.450: OpenCL.std belongs to the Kernel model, and the NonSemantic.* sets need
 * SPV_KHR_non_semantic_info, which is refused.
 */
static int check_ext_inst_import(const uint32_t *inst, uint32_t wc, char *why)
{
	long len = literal_string(inst, wc, 2);
	const char *name = (const char *)&inst[2];

	if (len < 0) {
		set_why(why, "OpExtInstImport name is missing or not NUL-terminated");
		return -EINVAL;
	}
	if (strcmp(name, "GLSL.std.450") != 0) {
		set_why(why, "extended instruction set '%.*s' is not allowed", 96, name);
		return -EINVAL;
	}
	return 0;
}

static int check_memory_model(const uint32_t *inst, uint32_t wc, struct walk_state *st, char *why)
{
	if (wc != 3) {
		set_why(why, "OpMemoryModel with %u words", wc);
		return -EINVAL;
	}
	if (inst[1] != ADDRESSING_LOGICAL) {
		set_why(why, "addressing model %u is not Logical "
			"(pointers would be plain addresses)", inst[1]);
		return -EINVAL;
	}
	if (inst[2] != MEMORY_MODEL_GLSL450 && inst[2] != MEMORY_MODEL_VULKAN) {
		set_why(why, "memory model %u is neither GLSL450 nor Vulkan", inst[2]);
		return -EINVAL;
	}
	st->memory_model_seen = true;
	return 0;
}

static int check_entry_point(const uint32_t *inst, uint32_t wc, struct walk_state *st, char *why)
{
	uint32_t n = st->info.entry_count;
	long len;

	if (wc < 4) {
		set_why(why, "OpEntryPoint with %u words", wc);
		return -EINVAL;
	}
	/* Vertex, fragment, kernel... stages: compute kernels are all a guest may submit. */
	if (inst[1] != EXECUTION_MODEL_GLCOMPUTE) {
		set_why(why, "entry point with execution model %u: only GLCompute (5) is allowed",
			inst[1]);
		return -EINVAL;
	}
	len = literal_string(inst, wc, 3);
	if (len < 0) {
		set_why(why, "entry point name is not NUL-terminated");
		return -EINVAL;
	}
	if ((size_t)len >= SPIRV_ENTRY_NAME_LEN) {
		set_why(why, "entry point name of %ld bytes (at most %u)", len,
			SPIRV_ENTRY_NAME_LEN - 1);
		return -EINVAL;
	}
	if (n >= SPIRV_MAX_ENTRY_POINTS) {
		set_why(why, "more than %u entry points", SPIRV_MAX_ENTRY_POINTS);
		return -EINVAL;
	}
	memcpy(st->info.entry_names[n], &inst[3], (size_t)len);
	st->info.entry_names[n][len] = '\0';
	st->entry_ids[n] = inst[2];
	st->info.entry_count = n + 1;
	return 0;
}

/*
 * Records LocalSize / LocalSizeId for the entry points of that function. Other modes pass: for
 * GLCompute the validator refuses those that make no sense. A mode naming an id that is no entry
 * point is left to the validator too.
 */
static void note_execution_mode(const uint32_t *inst, uint32_t wc, bool by_id,
				struct walk_state *st)
{
	uint32_t mode;

	if (wc < 3)
		return;
	mode = inst[2];
	if (wc != 6 || mode != (by_id ? EXECUTION_MODE_LOCAL_SIZE_ID : EXECUTION_MODE_LOCAL_SIZE))
		return;
	for (uint32_t e = 0; e < st->info.entry_count; e++) {
		if (st->entry_ids[e] != inst[1])
			continue;
		for (int k = 0; k < 3; k++) {
			if (by_id) {
				st->local_size_ids[e][k] = inst[3 + k];
				st->info.local_size[e][k] = 0;
			} else {
				st->local_size_ids[e][k] = 0;
				st->info.local_size[e][k] = inst[3 + k];
			}
		}
	}
}

#define SUBGROUP_FEATURES (SPIRV_FEATURE_SUBGROUP_BASIC | SPIRV_FEATURE_SUBGROUP_VOTE | \
			   SPIRV_FEATURE_SUBGROUP_ARITHMETIC | SPIRV_FEATURE_SUBGROUP_BALLOT | \
			   SPIRV_FEATURE_SUBGROUP_SHUFFLE | \
			   SPIRV_FEATURE_SUBGROUP_SHUFFLE_RELATIVE | \
			   SPIRV_FEATURE_SUBGROUP_CLUSTERED | SPIRV_FEATURE_SUBGROUP_QUAD)
#define SMALL_OR_WIDE_TYPES (SPIRV_FEATURE_INT8 | SPIRV_FEATURE_INT16 | SPIRV_FEATURE_INT64 | \
			     SPIRV_FEATURE_FLOAT16)

static int walk_instructions(const uint32_t *words, size_t word_count, struct walk_state *st,
			     char *why)
{
	size_t at = SPV_HEADER_WORDS;

	while (at < word_count) {
		const uint32_t *inst = &words[at];
		uint32_t wc = inst[0] >> 16;
		uint32_t op = inst[0] & 0xffffu;
		int err = 0;

		if (wc == 0) {
			set_why(why, "instruction at word %zu has a word count of 0", at);
			return -EINVAL;
		}
		if (wc > word_count - at) {
			set_why(why, "instruction at word %zu (opcode %u, %u words) runs past "
				"the end of the module (%zu words)", at, op, wc, word_count);
			return -EINVAL;
		}

		switch (op) {
		case OP_CAPABILITY:
			err = check_capability(inst, wc, st, why);
			break;
		case OP_EXTENSION:
			err = check_extension(inst, wc, st, why);
			break;
		case OP_EXT_INST_IMPORT:
			err = check_ext_inst_import(inst, wc, why);
			break;
		case OP_MEMORY_MODEL:
			err = check_memory_model(inst, wc, st, why);
			break;
		case OP_ENTRY_POINT:
			err = check_entry_point(inst, wc, st, why);
			break;
		case OP_EXECUTION_MODE:
			note_execution_mode(inst, wc, false, st);
			break;
		case OP_EXECUTION_MODE_ID:
			note_execution_mode(inst, wc, true, st);
			break;
		case OP_TYPE_POINTER:
		case OP_TYPE_FORWARD_POINTER:
			/* OpTypePointer %result Class %type; OpTypeForwardPointer %ptr Class */
			if (wc >= 3 && !storage_class_allowed(inst[2])) {
				set_why(why, "pointer type in storage class %u is not allowed",
					inst[2]);
				err = -EINVAL;
			}
			break;
		case OP_VARIABLE:
			/* OpVariable %type %result StorageClass [initializer] */
			if (wc >= 4 && !storage_class_allowed(inst[3])) {
				set_why(why, "variable in storage class %u is not allowed",
					inst[3]);
				err = -EINVAL;
			}
			break;
		case OP_CONVERT_PTR_TO_U:
		case OP_CONVERT_U_TO_PTR:
			/* The capabilities above already forbid them; refuse the act itself too. */
			set_why(why, "pointer/integer conversion (opcode %u) is not allowed", op);
			err = -EINVAL;
			break;
		case OP_DECORATE:
			if (wc == 4 && inst[2] == DECORATION_BUILTIN &&
			    inst[3] == BUILTIN_WORKGROUP_SIZE)
				st->workgroup_size_id = inst[1];
			break;
		default:
			break;
		}
		if (err)
			return err;
		at += wc;
	}
	if (!st->memory_model_seen) {
		set_why(why, "no OpMemoryModel");
		return -EINVAL;
	}
	if (st->info.entry_count == 0) {
		set_why(why, "no entry point (a GLCompute entry point is required)");
		return -EINVAL;
	}
	if ((st->info.features & SUBGROUP_FEATURES) && (st->info.features & SMALL_OR_WIDE_TYPES))
		st->info.features |= SPIRV_FEATURE_SUBGROUP_EXTENDED_TYPES;
	return 0;
}

static int run_validator(const uint32_t *words, size_t word_count, char *why)
{
	spv_const_binary_t binary = { .code = words, .wordCount = word_count };
	spv_diagnostic diagnostic = NULL;
	spv_validator_options options;
	spv_context context;
	spv_result_t res;

	/* A context holds pointers to static grammar tables: cheap, and no state between calls. */
	context = spvContextCreate(SPV_ENV_VULKAN_1_1);
	options = spvValidatorOptionsCreate();
	if (!context || !options) {
		if (options)
			spvValidatorOptionsDestroy(options);
		if (context)
			spvContextDestroy(context);
		set_why(why, "out of memory for the SPIR-V validator");
		return -ENOMEM;
	}
	res = spvValidateWithOptions(context, options, &binary, &diagnostic);
	if (res != SPV_SUCCESS) {
		if (diagnostic && diagnostic->error)
			set_why(why, "spirv-val: %s", diagnostic->error);
		else
			set_why(why, "spirv-val failed (%d) without a message", (int)res);
	}
	spvDiagnosticDestroy(diagnostic);
	spvValidatorOptionsDestroy(options);
	spvContextDestroy(context);
	if (res == SPV_ERROR_OUT_OF_MEMORY)
		return -ENOMEM;
	return res == SPV_SUCCESS ? 0 : -EINVAL;
}

/*
 * The value of a 32-bit integer constant defined by `id`, for the resolution of sizes given by
 * constants. Spec constants (and anything else) yield 0: the pipeline decides them. Runs on a
 * validated module only, so a found OpConstant has the 4 words of a 32-bit integer.
 */
static uint32_t constant_value(const uint32_t *words, size_t word_count, uint32_t id)
{
	size_t at = SPV_HEADER_WORDS;

	while (at < word_count) {
		uint32_t wc = words[at] >> 16;
		uint32_t op = words[at] & 0xffffu;

		if (wc == 0)
			break;
		if (op == OP_CONSTANT && wc == 4 && words[at + 2] == id)
			return words[at + 3];
		if ((op == OP_SPEC_CONSTANT || op == OP_CONSTANT) && wc >= 3 && words[at + 2] == id)
			return 0;
		at += wc;
	}
	return 0;
}

/* A BuiltIn WorkgroupSize constant overrides every LocalSize (SPIR-V: WorkgroupSize). */
static void resolve_workgroup_size(const uint32_t *words, size_t word_count, struct walk_state *st)
{
	size_t at = SPV_HEADER_WORDS;
	uint32_t size[3] = { 0, 0, 0 };

	while (at < word_count) {
		uint32_t wc = words[at] >> 16;
		uint32_t op = words[at] & 0xffffu;

		if (wc == 0)
			break;
		if ((op == OP_CONSTANT_COMPOSITE || op == OP_SPEC_CONSTANT_COMPOSITE) && wc == 6 &&
		    words[at + 2] == st->workgroup_size_id) {
			for (int k = 0; k < 3; k++)
				size[k] = constant_value(words, word_count, words[at + 3 + k]);
			break;
		}
		at += wc;
	}
	for (uint32_t e = 0; e < st->info.entry_count; e++)
		memcpy(st->info.local_size[e], size, sizeof(size));
}

static void resolve_local_sizes(const uint32_t *words, size_t word_count, struct walk_state *st)
{
	if (st->workgroup_size_id) {
		resolve_workgroup_size(words, word_count, st);
		return;
	}
	for (uint32_t e = 0; e < st->info.entry_count; e++) {
		for (int k = 0; k < 3; k++) {
			if (st->local_size_ids[e][k])
				st->info.local_size[e][k] =
					constant_value(words, word_count, st->local_size_ids[e][k]);
		}
	}
}

int spirv_check(const void *code, size_t size, struct spirv_info *info, char *why)
{
	struct walk_state *st = NULL;
	uint32_t *words = NULL;
	size_t word_count;
	int err;

	if (why)
		why[0] = '\0';
	if (info)
		memset(info, 0, sizeof(*info));
	if (!code || size < SPV_HEADER_WORDS * 4u) {
		set_why(why, "%zu bytes is too short for a SPIR-V module (header is %u bytes)",
			size, SPV_HEADER_WORDS * 4u);
		return -EINVAL;
	}
	if (size % 4u) {
		set_why(why, "size %zu is not a multiple of 4", size);
		return -EINVAL;
	}
	word_count = size / 4u;

	/* Aligned words for the walk and the validator; `code` may sit at any byte. */
	words = malloc(size);
	st = calloc(1, sizeof(*st));
	if (!words || !st) {
		set_why(why, "out of memory");
		err = -ENOMEM;
		goto out;
	}
	memcpy(words, code, size);

	err = check_header(words, word_count, why);
	if (!err)
		err = walk_instructions(words, word_count, st, why);
	if (!err)
		err = run_validator(words, word_count, why);
	if (err)
		goto out;
	resolve_local_sizes(words, word_count, st);
	if (info)
		*info = st->info;
out:
	if (err && why)
		flatten_line(why);
	free(st);
	free(words);
	return err;
}
