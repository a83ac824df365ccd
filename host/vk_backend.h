/* SPDX-License-Identifier: MIT */
/*
 * The worker's Vulkan backend: one instance per worker, and a description of every host physical
 * device that can run compute. Every field a guest can see through the wire protocol or
 * QUERYADAPTERINFO is gathered here once, at start-up, before the region is marked READY.
 */
#ifndef DXGD_VK_BACKEND_H
#define DXGD_VK_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include <vulkan/vulkan.h>

#define VK_ADAPTER_NAME_LEN 256u
#define VK_ADAPTER_DRIVER_NAME_LEN 64u

struct vk_adapter {
	VkPhysicalDevice physical_device;
	char name[VK_ADAPTER_NAME_LEN];		/* UTF-8, NUL terminated */
	char driver_name[VK_ADAPTER_DRIVER_NAME_LEN];	/* "" when the driver does not say */
	uint32_t vendor_id;
	uint32_t device_id;
	uint32_t device_type;		/* VkPhysicalDeviceType == OPENDXG_DEVICE_TYPE_* */
	uint32_t api_version;
	uint32_t driver_version;
	uint32_t max_workgroup_size[3];
	uint32_t max_workgroup_invocations;
	uint32_t max_shared_memory;
	uint32_t subgroup_size;
	float timestamp_period_ns;
	/* Execution limits (opendxg_adapter_caps, cmdbuf_limits): one source for both. */
	uint32_t max_workgroup_count[3];
	uint32_t max_binding_size;	/* maxStorageBufferRange, rounded down to a multiple of 4 */
	uint32_t max_push_constants;	/* maxPushConstantsSize */
	uint32_t timestamp_valid_bits;	/* of compute_queue_family; 0: no timestamps */
	uint8_t device_uuid[16];
	uint64_t device_local_bytes;
	bool external_memory_host;
	uint32_t compute_queue_family;
	/* Stable for one daemon run and equal in every VM: derived from the seed and the UUID. */
	uint32_t luid_low;
	uint32_t luid_high;		/* bit 31 clear: the WSL LUID HighPart is signed */
};

struct vk_backend {
	VkInstance instance;		/* VK_NULL_HANDLE when Vulkan is unavailable */
	struct vk_adapter *adapters;
	uint32_t adapter_count;
};

/*
 * Creates the instance and describes every compute-capable physical device. Never fails: when the
 * loader, an instance or any device is missing, the backend has fewer (maybe zero) adapters and a
 * warning is logged. Devices without a compute queue family are skipped.
 */
void vk_backend_init(struct vk_backend *vk, uint64_t luid_seed, uint32_t max_adapters);
void vk_backend_fini(struct vk_backend *vk);

/* The LUID of a device: a 64-bit hash of (seed, uuid), high part positive, never 0. */
void vk_backend_derive_luid(uint64_t seed, const uint8_t uuid[16], uint32_t *low, uint32_t *high);

const char *vk_device_type_name(uint32_t device_type);

#endif /* DXGD_VK_BACKEND_H */
