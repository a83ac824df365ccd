/* SPDX-License-Identifier: MIT */
/*
 * The gate every guest SPIR-V module passes before the host keeps it (OPENDXG_ALLOC_KIND_PROGRAM):
 * SPIRV-Tools validation for the Vulkan 1.1 environment, then opendxg's allow-list:
 * - a compute module only: every entry point is GLCompute, at least one exists;
 * - addressing model Logical; capabilities from the allow-list only (no Addresses,
 *   PhysicalStorageBufferAddresses, VariablePointers(StorageBuffer), Int64Atomics... see
 *   spirv_check.c for the list and why each one is there);
 * - extensions from the allow-list only (no SPV_KHR/EXT_physical_storage_buffer, no
 *   SPV_KHR_variable_pointers).
 * So a guest kernel can reach memory only through bounded descriptor bindings.
 */
#ifndef DXGD_SPIRV_CHECK_H
#define DXGD_SPIRV_CHECK_H

#include <stddef.h>
#include <stdint.h>

#define SPIRV_CHECK_WHY_LEN 256u
#define SPIRV_MAX_ENTRY_POINTS 64u
#define SPIRV_ENTRY_NAME_LEN 64u

/*
 * Device features a module needs beyond core Vulkan 1.1 compute, from its capabilities and
 * extensions (spirv_info.features). Before the module reaches the driver, the caller checks them
 * against vk_device_spirv_features(): a capability whose feature is not enabled on the device is
 * undefined behaviour in the driver, not an error it reports.
 */
#define SPIRV_FEATURE_INT64				(1u << 0)
#define SPIRV_FEATURE_FLOAT64				(1u << 1)
#define SPIRV_FEATURE_INT16				(1u << 2)
#define SPIRV_FEATURE_INT8				(1u << 3)
#define SPIRV_FEATURE_FLOAT16				(1u << 4)
#define SPIRV_FEATURE_STORAGE_BUFFER_16BIT		(1u << 5)
#define SPIRV_FEATURE_UNIFORM_16BIT			(1u << 6)
#define SPIRV_FEATURE_PUSH_CONSTANT_16BIT		(1u << 7)
#define SPIRV_FEATURE_STORAGE_BUFFER_8BIT		(1u << 8)
#define SPIRV_FEATURE_UNIFORM_8BIT			(1u << 9)
#define SPIRV_FEATURE_PUSH_CONSTANT_8BIT		(1u << 10)
#define SPIRV_FEATURE_VULKAN_MEMORY_MODEL		(1u << 11)
#define SPIRV_FEATURE_VULKAN_MEMORY_MODEL_DEVICE_SCOPE	(1u << 12)
/* Subgroup operations (GroupNonUniform*) the device supports in compute shaders. */
#define SPIRV_FEATURE_SUBGROUP_BASIC			(1u << 13)
#define SPIRV_FEATURE_SUBGROUP_VOTE			(1u << 14)
#define SPIRV_FEATURE_SUBGROUP_ARITHMETIC		(1u << 15)
#define SPIRV_FEATURE_SUBGROUP_BALLOT			(1u << 16)
#define SPIRV_FEATURE_SUBGROUP_SHUFFLE			(1u << 17)
#define SPIRV_FEATURE_SUBGROUP_SHUFFLE_RELATIVE		(1u << 18)
#define SPIRV_FEATURE_SUBGROUP_CLUSTERED		(1u << 19)
#define SPIRV_FEATURE_SUBGROUP_QUAD			(1u << 20)
/* SPIR-V extensions that are core only from Vulkan 1.2 (SPV_KHR_8bit_storage...). */
#define SPIRV_FEATURE_VULKAN_1_2			(1u << 21)
/*
 * shaderSubgroupExtendedTypes: subgroup operations on 8, 16 or 64-bit types. No capability says
 * so; set whenever a module has both subgroup and such type capabilities (conservative).
 */
#define SPIRV_FEATURE_SUBGROUP_EXTENDED_TYPES		(1u << 22)

struct spirv_info {
	uint32_t entry_count;
	char entry_names[SPIRV_MAX_ENTRY_POINTS][SPIRV_ENTRY_NAME_LEN];
	/*
	 * LocalSize, or the BuiltIn WorkgroupSize constant that overrides it; a component given by
	 * a specialization constant is 0 (the pipeline's specialization decides it).
	 */
	uint32_t local_size[SPIRV_MAX_ENTRY_POINTS][3];
	uint32_t features;		/* SPIRV_FEATURE_* the module needs */
	/*
	 * The module's resources, which must fit opendxg's one pipeline layout (else spirv_check()
	 * is -EINVAL): storage buffers only (StorageBuffer storage class, or Uniform with
	 * BufferBlock), all in descriptor set 0, bindings < 16; bit n set when binding n is used.
	 * push_constant_size: bytes the push constant block spans (highest member Offset + its
	 * size), <= 128; 0 without one.
	 */
	uint32_t binding_mask;
	uint32_t push_constant_size;
};

/*
 * `code` is the module, `size` bytes, at any alignment. It must be the caller's private copy, and
 * the very bytes later given to the driver: checking memory the guest can still write would be a
 * time-of-check/time-of-use hole. Returns 0 and fills `info` (may be NULL), or -EINVAL with a
 * one-line reason in `why` (SPIRV_CHECK_WHY_LEN bytes, may be NULL; the text quotes the guest's
 * module, so log it rate-limited), or -ENOMEM. Keeps no state: callable from any thread.
 */
int spirv_check(const void *code, size_t size, struct spirv_info *info, char *why);

#endif /* DXGD_SPIRV_CHECK_H */
