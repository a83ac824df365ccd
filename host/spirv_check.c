// SPDX-License-Identifier: MIT
/*
 * Guest SPIR-V gate. Order of the checks, cheapest and most precise first:
 *   1. the header (size, endianness, magic, version, bound), by hand;
 *   2. one walk over every instruction: word counts inside the module, then opendxg's allow-lists
 *      (capabilities, extensions, extended instruction sets, addressing model, execution models,
 *      storage classes), collecting entry points and their LocalSize on the way;
 *   3. SPIRV-Tools' validator for the Vulkan 1.1 environment (types, layout, control flow...);
 *   4. LocalSize given through constants, resolved on the now valid module;
 *   5. the module's resources against opendxg's one pipeline layout (storage buffers 0..15 of
 *      set 0, one push constant range of at most 128 bytes), also on the valid module, so the
 *      types and decorations it reads are known to be well formed.
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
	OP_TYPE_BOOL = 20,
	OP_TYPE_INT = 21,
	OP_TYPE_FLOAT = 22,
	OP_TYPE_VECTOR = 23,
	OP_TYPE_MATRIX = 24,
	OP_TYPE_ARRAY = 28,
	OP_TYPE_RUNTIME_ARRAY = 29,
	OP_TYPE_STRUCT = 30,
	OP_FUNCTION = 54,
	OP_MEMBER_DECORATE = 72,
	OP_GROUP_DECORATE = 74,
	OP_GROUP_MEMBER_DECORATE = 75,
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
	DECORATION_BLOCK = 2,
	DECORATION_BUFFER_BLOCK = 3,
	DECORATION_ROW_MAJOR = 4,
	DECORATION_ARRAY_STRIDE = 6,
	DECORATION_MATRIX_STRIDE = 7,
	DECORATION_BINDING = 33,
	DECORATION_DESCRIPTOR_SET = 34,
	DECORATION_OFFSET = 35,
	STORAGE_CLASS_UNIFORM_CONSTANT = 0,
	STORAGE_CLASS_UNIFORM = 2,
	STORAGE_CLASS_FUNCTION = 7,
	STORAGE_CLASS_PUSH_CONSTANT = 9,
	STORAGE_CLASS_STORAGE_BUFFER = 12,
};

/*
 * opendxg's one pipeline layout (docs/cmdbuf.md, DISPATCH): storage buffers 0..15 of descriptor
 * set 0, and one push constant range from offset 0. The numbers are those of misc/opendxg.h
 * (OPENDXG_CMD_MAX_BINDINGS, OPENDXG_CMD_MAX_PUSH_CONSTANTS); this file keeps to its own header.
 */
#define LAYOUT_MAX_BINDINGS 16u
#define LAYOUT_MAX_PUSH_CONSTANTS 128u
/* Types nest at most this deep inside a push constant block (arrays of structs of arrays...). */
#define LAYOUT_MAX_TYPE_DEPTH 32u

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

/*
 * ---- step 5: resources ----
 *
 * Reads the module's global variables, types and decorations into three tables sorted by id
 * (binary search: a module's id bound says nothing about how many ids it really uses, so no
 * table is indexed by id). Every rule fails closed: a decoration the code does not find (because
 * a decoration group carried it, say) is a refusal, never a default.
 */
struct id_def {
	uint32_t id;
	uint32_t at;			/* word index of the defining instruction */
};

struct id_decoration {
	uint32_t id;
	uint32_t member;		/* UINT32_MAX for OpDecorate */
	uint32_t decoration;
	uint32_t value;			/* first literal operand, 0 without one */
};

struct layout_state {
	const uint32_t *words;
	struct id_def *defs;
	size_t def_count;
	struct id_decoration *decorations;
	size_t decoration_count;
	int64_t *struct_spans;		/* per def: memoized span of a struct, -2 = not yet */
	char *why;
};

#define NO_MEMBER UINT32_MAX
/* A span larger than any limit: the exact number no longer matters. */
#define SPAN_HUGE ((int64_t)1 << 40)

static int compare_defs(const void *a, const void *b)
{
	const struct id_def *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int compare_decorations(const void *a, const void *b)
{
	const struct id_decoration *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->member != y->member)
		return x->member < y->member ? -1 : 1;
	if (x->decoration != y->decoration)
		return x->decoration < y->decoration ? -1 : 1;
	return x->value < y->value ? -1 : x->value > y->value;
}

/* The defining instruction of `id` (a type, constant or global variable), or NULL. */
static const uint32_t *find_def(const struct layout_state *ls, uint32_t id, size_t *index)
{
	struct id_def key = { .id = id };
	const struct id_def *d = bsearch(&key, ls->defs, ls->def_count, sizeof(key), compare_defs);

	if (!d)
		return NULL;
	if (index)
		*index = (size_t)(d - ls->defs);
	return ls->words + d->at;
}

/*
 * Decoration `decoration` of `id` (or of its member `member`): 0 when absent, 1 with its value,
 * -1 when it is there twice with different values (whichever the driver took, we would have
 * checked the other one).
 */
static int find_decoration(const struct layout_state *ls, uint32_t id, uint32_t member,
			   uint32_t decoration, uint32_t *value)
{
	size_t lo = 0, hi = ls->decoration_count;
	struct id_decoration key = { id, member, decoration, 0 };

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (compare_decorations(&ls->decorations[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == ls->decoration_count || ls->decorations[lo].id != id ||
	    ls->decorations[lo].member != member || ls->decorations[lo].decoration != decoration)
		return 0;
	*value = ls->decorations[lo].value;
	for (size_t i = lo + 1; i < ls->decoration_count; i++) {
		const struct id_decoration *d = &ls->decorations[i];

		if (d->id != id || d->member != member || d->decoration != decoration)
			break;
		if (d->value != *value)
			return -1;
	}
	return 1;
}

static bool has_decoration(const struct layout_state *ls, uint32_t id, uint32_t member,
			   uint32_t decoration)
{
	uint32_t value;

	return find_decoration(ls, id, member, decoration, &value) != 0;
}

static bool is_definition(uint32_t op)
{
	return (op >= OP_TYPE_BOOL && op <= OP_TYPE_POINTER) || op == OP_CONSTANT ||
	       op == OP_SPEC_CONSTANT || op == OP_VARIABLE;
}

/* Result id of a definition: word 1 for types, word 2 for constants and variables. */
static uint32_t def_result(const uint32_t *inst, uint32_t op)
{
	return (op == OP_CONSTANT || op == OP_SPEC_CONSTANT || op == OP_VARIABLE) ? inst[2] :
										     inst[1];
}

/*
 * Fills the tables from the module's declarations, which all precede its first function (the
 * validator checked the layout of the module). Decoration groups are refused: what they apply
 * would have to be resolved first, and no compiler we know emits them for Vulkan.
 */
static int collect_layout(const uint32_t *words, size_t word_count, struct layout_state *ls)
{
	size_t defs = 0, decorations = 0, end = SPV_HEADER_WORDS;

	for (size_t at = SPV_HEADER_WORDS; at < word_count; at += words[at] >> 16) {
		uint32_t op = words[at] & 0xffffu;

		if (op == OP_FUNCTION)
			break;
		if (op == OP_GROUP_DECORATE || op == OP_GROUP_MEMBER_DECORATE) {
			set_why(ls->why, "decoration groups (OpGroupDecorate) are not supported");
			return -EINVAL;
		}
		if (is_definition(op))
			defs++;
		else if (op == OP_DECORATE || op == OP_MEMBER_DECORATE)
			decorations++;
		end = at + (words[at] >> 16);
	}

	ls->words = words;
	ls->defs = calloc(defs ? defs : 1, sizeof(*ls->defs));
	ls->struct_spans = calloc(defs ? defs : 1, sizeof(*ls->struct_spans));
	ls->decorations = calloc(decorations ? decorations : 1, sizeof(*ls->decorations));
	if (!ls->defs || !ls->struct_spans || !ls->decorations) {
		set_why(ls->why, "out of memory");
		return -ENOMEM;
	}
	for (size_t at = SPV_HEADER_WORDS; at < end; at += words[at] >> 16) {
		const uint32_t *inst = &words[at];
		uint32_t wc = inst[0] >> 16;
		uint32_t op = inst[0] & 0xffffu;

		if (is_definition(op)) {
			ls->defs[ls->def_count].id = def_result(inst, op);
			ls->defs[ls->def_count].at = (uint32_t)at;
			ls->struct_spans[ls->def_count] = -2;
			ls->def_count++;
		} else if (op == OP_DECORATE) {
			ls->decorations[ls->decoration_count++] = (struct id_decoration){
				inst[1], NO_MEMBER, inst[2], wc > 3 ? inst[3] : 0 };
		} else if (op == OP_MEMBER_DECORATE) {
			ls->decorations[ls->decoration_count++] = (struct id_decoration){
				inst[1], inst[2], inst[3], wc > 4 ? inst[4] : 0 };
		}
	}
	qsort(ls->defs, ls->def_count, sizeof(*ls->defs), compare_defs);
	qsort(ls->decorations, ls->decoration_count, sizeof(*ls->decorations),
	      compare_decorations);
	return 0;
}

static int64_t type_span(struct layout_state *ls, uint32_t id, uint32_t matrix_stride,
			 bool row_major, unsigned depth);

/* An explicitly laid out struct: the furthest any member reaches (Offset + its span). */
static int64_t struct_span(struct layout_state *ls, const uint32_t *inst, size_t index,
			   unsigned depth)
{
	uint32_t wc = inst[0] >> 16;
	uint32_t id = inst[1];
	int64_t span = 0;

	if (ls->struct_spans[index] != -2)
		return ls->struct_spans[index];
	for (uint32_t m = 0; m + 2 < wc; m++) {
		uint32_t offset, stride = 0, value;
		int64_t member;

		if (find_decoration(ls, id, m, DECORATION_OFFSET, &offset) != 1) {
			set_why(ls->why, "push constant struct %%%u member %u has no single Offset",
				id, m);
			return -1;
		}
		if (find_decoration(ls, id, m, DECORATION_MATRIX_STRIDE, &value) == 1)
			stride = value;
		member = type_span(ls, inst[2 + m], stride,
				   has_decoration(ls, id, m, DECORATION_ROW_MAJOR), depth + 1);
		if (member < 0)
			return -1;
		if ((int64_t)offset + member > span)
			span = (int64_t)offset + member;
	}
	if (span > SPAN_HUGE)
		span = SPAN_HUGE;
	ls->struct_spans[index] = span;
	return span;
}

/*
 * The bytes a value of type `id` spans inside a push constant block, or -1 with the reason set.
 * Arrays and matrices count every element and column at its stride (the trailing padding of the
 * last one included, as in a C struct); matrix_stride/row_major come from the enclosing struct
 * member. Clamped to SPAN_HUGE, which fails the size limit anyway.
 */
static int64_t type_span(struct layout_state *ls, uint32_t id, uint32_t matrix_stride,
			 bool row_major, unsigned depth)
{
	const uint32_t *inst, *length, *column;
	uint32_t stride, count;
	uint64_t elements;
	size_t index;
	int64_t span;

	if (depth > LAYOUT_MAX_TYPE_DEPTH) {
		set_why(ls->why, "push constant types nest deeper than %u", LAYOUT_MAX_TYPE_DEPTH);
		return -1;
	}
	inst = find_def(ls, id, &index);
	if (!inst) {
		set_why(ls->why, "push constant member type %%%u is not defined", id);
		return -1;
	}
	switch (inst[0] & 0xffffu) {
	case OP_TYPE_INT:
	case OP_TYPE_FLOAT:
		return inst[2] / 8;
	case OP_TYPE_VECTOR:
		span = type_span(ls, inst[2], 0, false, depth + 1);
		return span < 0 ? -1 : span * inst[3];
	case OP_TYPE_MATRIX:
		column = find_def(ls, inst[2], NULL);
		if (matrix_stride == 0 || !column || (column[0] & 0xffffu) != OP_TYPE_VECTOR) {
			set_why(ls->why, "push constant matrix %%%u without a MatrixStride", id);
			return -1;
		}
		/* Column-major: one stride per column; row-major: one per row. */
		count = row_major ? column[3] : inst[3];
		return (int64_t)count * matrix_stride;
	case OP_TYPE_ARRAY:
		length = find_def(ls, inst[3], NULL);
		if (!length || (length[0] & 0xffffu) != OP_CONSTANT) {
			set_why(ls->why, "push constant array %%%u has a length that is not a "
				"constant (specialization constants cannot size the layout)", id);
			return -1;
		}
		elements = (length[0] >> 16) > 4 ? (uint64_t)length[3] | (uint64_t)length[4] << 32 :
						   length[3];
		if (find_decoration(ls, id, NO_MEMBER, DECORATION_ARRAY_STRIDE, &stride) != 1 ||
		    stride == 0) {
			set_why(ls->why, "push constant array %%%u without a single ArrayStride",
				id);
			return -1;
		}
		/* The element must be laid out too (no bool inside, for one). */
		if (type_span(ls, inst[2], matrix_stride, row_major, depth + 1) < 0)
			return -1;
		if (elements > (uint64_t)SPAN_HUGE / stride)
			return SPAN_HUGE;
		return (int64_t)(elements * stride);
	case OP_TYPE_STRUCT:
		return struct_span(ls, inst, index, depth);
	default:
		set_why(ls->why, "push constant member type %%%u (opcode %u) has no explicit layout",
			id, inst[0] & 0xffffu);
		return -1;
	}
}

/* A storage buffer variable: one descriptor of set 0, below binding 16. */
static int check_storage_buffer(struct layout_state *ls, uint32_t var, uint32_t pointee,
				uint32_t *mask)
{
	const uint32_t *type = find_def(ls, pointee, NULL);
	uint32_t set, binding;
	int found;

	if (!type || (type[0] & 0xffffu) != OP_TYPE_STRUCT) {
		set_why(ls->why, "storage buffer %%%u is an array of descriptors "
			"(opendxg binds one buffer per binding)", var);
		return -EINVAL;
	}
	found = find_decoration(ls, var, NO_MEMBER, DECORATION_DESCRIPTOR_SET, &set);
	if (found != 1) {
		set_why(ls->why, "storage buffer %%%u has %s DescriptorSet", var,
			found ? "more than one" : "no");
		return -EINVAL;
	}
	if (set != 0) {
		set_why(ls->why, "storage buffer %%%u in descriptor set %u (only set 0 exists)",
			var, set);
		return -EINVAL;
	}
	found = find_decoration(ls, var, NO_MEMBER, DECORATION_BINDING, &binding);
	if (found != 1) {
		set_why(ls->why, "storage buffer %%%u has %s Binding", var,
			found ? "more than one" : "no");
		return -EINVAL;
	}
	if (binding >= LAYOUT_MAX_BINDINGS) {
		set_why(ls->why, "storage buffer %%%u at binding %u (bindings 0..%u exist)", var,
			binding, LAYOUT_MAX_BINDINGS - 1);
		return -EINVAL;
	}
	*mask |= 1u << binding;
	return 0;
}

/* One module-scope variable against the layout. */
static int check_variable(struct layout_state *ls, const uint32_t *var_inst,
			  struct spirv_info *info)
{
	uint32_t var = var_inst[2], sc = var_inst[3];
	const uint32_t *pointer = find_def(ls, var_inst[1], NULL);
	const uint32_t *pointee;
	uint32_t pointee_id;
	int64_t span;

	if (!pointer || (pointer[0] & 0xffffu) != OP_TYPE_POINTER) {
		set_why(ls->why, "variable %%%u does not have a pointer type", var);
		return -EINVAL;
	}
	pointee_id = pointer[3];
	pointee = find_def(ls, pointee_id, NULL);
	switch (sc) {
	case STORAGE_CLASS_STORAGE_BUFFER:
		return check_storage_buffer(ls, var, pointee_id, &info->binding_mask);
	case STORAGE_CLASS_UNIFORM:
		/* SPIR-V 1.0 style storage buffers: Uniform storage class, BufferBlock struct. */
		if (pointee && (pointee[0] & 0xffffu) == OP_TYPE_STRUCT &&
		    has_decoration(ls, pointee_id, NO_MEMBER, DECORATION_BUFFER_BLOCK))
			return check_storage_buffer(ls, var, pointee_id, &info->binding_mask);
		if (pointee && (pointee[0] & 0xffffu) != OP_TYPE_STRUCT)
			set_why(ls->why, "Uniform variable %%%u is an array of descriptors "
				"(opendxg binds one storage buffer per binding)", var);
		else
			set_why(ls->why, "uniform buffer %%%u (Uniform + Block) is not supported: "
				"opendxg binds storage buffers only", var);
		return -EINVAL;
	case STORAGE_CLASS_UNIFORM_CONSTANT:
		set_why(ls->why, "UniformConstant variable %%%u (an image, sampler or similar) is "
			"not supported: opendxg binds storage buffers only", var);
		return -EINVAL;
	case STORAGE_CLASS_PUSH_CONSTANT:
		span = type_span(ls, pointee_id, 0, false, 0);
		if (span < 0)
			return -EINVAL;
		if (span > LAYOUT_MAX_PUSH_CONSTANTS) {
			set_why(ls->why, "push constant block of %lld bytes (at most %u)",
				(long long)span, LAYOUT_MAX_PUSH_CONSTANTS);
			return -EINVAL;
		}
		if ((uint32_t)span > info->push_constant_size)
			info->push_constant_size = (uint32_t)span;
		return 0;
	default:
		/* Input built-ins, Workgroup, Private: nothing bound from outside. */
		return 0;
	}
}

static int check_resources(const uint32_t *words, size_t word_count, struct spirv_info *info,
			   char *why)
{
	struct layout_state ls = { .why = why };
	int err;

	err = collect_layout(words, word_count, &ls);
	for (size_t i = 0; !err && i < ls.def_count; i++) {
		const uint32_t *inst = words + ls.defs[i].at;

		/* Defs come from before the first function: every variable here is global. */
		if ((inst[0] & 0xffffu) == OP_VARIABLE && inst[3] != STORAGE_CLASS_FUNCTION)
			err = check_variable(&ls, inst, info);
	}
	free(ls.defs);
	free(ls.struct_spans);
	free(ls.decorations);
	return err;
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
	err = check_resources(words, word_count, &st->info, why);
	if (err)
		goto out;
	if (info)
		*info = st->info;
out:
	if (err && why)
		flatten_line(why);
	free(st);
	free(words);
	return err;
}
