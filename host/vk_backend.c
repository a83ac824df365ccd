// SPDX-License-Identifier: MIT
#include "vk_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

const char *vk_device_type_name(uint32_t device_type)
{
	switch (device_type) {
	case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
		return "integrated";
	case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
		return "discrete";
	case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
		return "virtual";
	case VK_PHYSICAL_DEVICE_TYPE_CPU:
		return "cpu";
	default:
		return "other";
	}
}

/* Copies a fixed-size C string, cutting it to fit (device names are 256 bytes, ours may be less). */
static void copy_string(char *dst, size_t dst_size, const char *src, size_t src_size)
{
	size_t len = strnlen(src, src_size);

	if (len >= dst_size)
		len = dst_size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* splitmix64's finalizer: spreads FNV-1a's weak high bits over the whole word. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

void vk_backend_derive_luid(uint64_t seed, const uint8_t uuid[16], uint32_t *low, uint32_t *high)
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a offset basis */

	for (int i = 0; i < 8; i++) {
		h ^= (uint8_t)(seed >> (8 * i));
		h *= 0x100000001b3ull;
	}
	for (int i = 0; i < 16; i++) {
		h ^= uuid[i];
		h *= 0x100000001b3ull;
	}
	h = mix64(h);
	*low = (uint32_t)h;
	*high = (uint32_t)(h >> 32) & 0x7fffffffu;
	/* LUID 0 means "no adapter" to D3DKMT callers. */
	if (*low == 0 && *high == 0)
		*low = 1;
}

static uint32_t instance_api_version(void)
{
	PFN_vkEnumerateInstanceVersion enumerate_version =
		(PFN_vkEnumerateInstanceVersion)vkGetInstanceProcAddr(VK_NULL_HANDLE,
								      "vkEnumerateInstanceVersion");
	uint32_t version = VK_API_VERSION_1_0;

	if (enumerate_version && enumerate_version(&version) != VK_SUCCESS)
		version = VK_API_VERSION_1_0;
	return version;
}

static bool has_device_extension(VkPhysicalDevice pd, const char *name)
{
	uint32_t count = 0;
	VkExtensionProperties *props;
	bool found = false;

	if (vkEnumerateDeviceExtensionProperties(pd, NULL, &count, NULL) != VK_SUCCESS || !count)
		return false;
	props = calloc(count, sizeof(*props));
	if (!props)
		return false;
	if (vkEnumerateDeviceExtensionProperties(pd, NULL, &count, props) == VK_SUCCESS) {
		for (uint32_t i = 0; i < count && !found; i++)
			found = strcmp(props[i].extensionName, name) == 0;
	}
	free(props);
	return found;
}

static bool find_compute_queue_family(VkPhysicalDevice pd, uint32_t *family,
				      uint32_t *timestamp_valid_bits)
{
	uint32_t count = 0;
	VkQueueFamilyProperties *props;
	bool found = false;

	vkGetPhysicalDeviceQueueFamilyProperties(pd, &count, NULL);
	if (!count)
		return false;
	props = calloc(count, sizeof(*props));
	if (!props)
		return false;
	vkGetPhysicalDeviceQueueFamilyProperties(pd, &count, props);
	/* Prefer a compute-only family (a real GPU's async compute queue), else any with compute. */
	for (uint32_t i = 0; i < count && !found; i++) {
		if ((props[i].queueFlags & VK_QUEUE_COMPUTE_BIT) &&
		    !(props[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) && props[i].queueCount) {
			*family = i;
			found = true;
		}
	}
	for (uint32_t i = 0; i < count && !found; i++) {
		if ((props[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && props[i].queueCount) {
			*family = i;
			found = true;
		}
	}
	if (found)
		*timestamp_valid_bits = props[*family].timestampValidBits;
	free(props);
	return found;
}

static bool describe_device(VkPhysicalDevice pd, uint64_t luid_seed, struct vk_adapter *a)
{
	VkPhysicalDeviceDriverProperties driver = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES,
	};
	VkPhysicalDeviceSubgroupProperties subgroup = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES,
	};
	VkPhysicalDeviceIDProperties id = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES,
		.pNext = &subgroup,
	};
	VkPhysicalDeviceProperties2 props2 = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
		.pNext = &id,
	};
	VkPhysicalDeviceProperties basic;
	VkPhysicalDeviceMemoryProperties mem;
	const VkPhysicalDeviceLimits *limits;

	memset(a, 0, sizeof(*a));
	vkGetPhysicalDeviceProperties(pd, &basic);
	if (basic.apiVersion < VK_API_VERSION_1_1) {
		log_warn("vulkan: skipping '%s': Vulkan %u.%u < 1.1", basic.deviceName,
			 VK_API_VERSION_MAJOR(basic.apiVersion),
			 VK_API_VERSION_MINOR(basic.apiVersion));
		return false;
	}
	/* Driver properties are core in 1.2; chaining them into an older device is not allowed. */
	if (basic.apiVersion >= VK_API_VERSION_1_2)
		subgroup.pNext = &driver;
	vkGetPhysicalDeviceProperties2(pd, &props2);
	limits = &props2.properties.limits;

	if (!find_compute_queue_family(pd, &a->compute_queue_family,
				       &a->timestamp_valid_bits)) {
		log_warn("vulkan: skipping '%s': no compute queue family",
			 props2.properties.deviceName);
		return false;
	}

	a->physical_device = pd;
	copy_string(a->name, sizeof(a->name), props2.properties.deviceName,
		    sizeof(props2.properties.deviceName));
	if (basic.apiVersion >= VK_API_VERSION_1_2)
		copy_string(a->driver_name, sizeof(a->driver_name), driver.driverName,
			    sizeof(driver.driverName));
	a->vendor_id = props2.properties.vendorID;
	a->device_id = props2.properties.deviceID;
	a->device_type = (uint32_t)props2.properties.deviceType;
	a->api_version = props2.properties.apiVersion;
	a->driver_version = props2.properties.driverVersion;
	for (int i = 0; i < 3; i++)
		a->max_workgroup_size[i] = limits->maxComputeWorkGroupSize[i];
	a->max_workgroup_invocations = limits->maxComputeWorkGroupInvocations;
	a->max_shared_memory = limits->maxComputeSharedMemorySize;
	a->timestamp_period_ns = limits->timestampPeriod;
	for (int i = 0; i < 3; i++)
		a->max_workgroup_count[i] = limits->maxComputeWorkGroupCount[i];
	/* DISPATCH binding sizes are multiples of 4 (docs/cmdbuf.md). */
	a->max_binding_size = limits->maxStorageBufferRange & ~3u;
	a->max_push_constants = limits->maxPushConstantsSize;
	/* A timestamp without a period to convert it is of no use to anyone. */
	if (!(limits->timestampPeriod > 0.0f))
		a->timestamp_valid_bits = 0;
	a->subgroup_size = subgroup.subgroupSize;
	memcpy(a->device_uuid, id.deviceUUID, sizeof(a->device_uuid));

	vkGetPhysicalDeviceMemoryProperties(pd, &mem);
	for (uint32_t i = 0; i < mem.memoryHeapCount && i < VK_MAX_MEMORY_HEAPS; i++) {
		if (mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
			a->device_local_bytes += mem.memoryHeaps[i].size;
	}
	a->external_memory_host = has_device_extension(pd, VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
	vk_backend_derive_luid(luid_seed, a->device_uuid, &a->luid_low, &a->luid_high);
	return true;
}

/* Two devices with the same UUID (the same device behind two drivers) must not share a LUID. */
static void make_luids_unique(struct vk_backend *vk, uint64_t luid_seed)
{
	for (uint32_t i = 1; i < vk->adapter_count; i++) {
		struct vk_adapter *a = &vk->adapters[i];
		uint64_t salt = 0;
		bool clash;

		do {
			clash = false;
			for (uint32_t j = 0; j < i; j++) {
				if (vk->adapters[j].luid_low == a->luid_low &&
				    vk->adapters[j].luid_high == a->luid_high) {
					clash = true;
					break;
				}
			}
			if (clash)
				vk_backend_derive_luid(luid_seed ^ mix64(++salt), a->device_uuid,
						       &a->luid_low, &a->luid_high);
		} while (clash);
	}
}

void vk_backend_init(struct vk_backend *vk, uint64_t luid_seed, uint32_t max_adapters)
{
	VkApplicationInfo app = {
		.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
		.pApplicationName = "dxgd",
		.applicationVersion = 1,
		.pEngineName = "opendxg",
		.engineVersion = 1,
	};
	VkInstanceCreateInfo info = {
		.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
		.pApplicationInfo = &app,
	};
	VkPhysicalDevice *devices = NULL;
	uint32_t count = 0;
	uint32_t version;
	VkResult res;

	memset(vk, 0, sizeof(*vk));
	version = instance_api_version();
	if (version < VK_API_VERSION_1_1) {
		log_warn("vulkan: loader offers only Vulkan 1.0; serving without adapters");
		return;
	}
	app.apiVersion = version >= VK_API_VERSION_1_2 ? VK_API_VERSION_1_2 : VK_API_VERSION_1_1;
	res = vkCreateInstance(&info, NULL, &vk->instance);
	if (res != VK_SUCCESS) {
		log_warn("vulkan: vkCreateInstance failed (%d); serving without adapters", (int)res);
		vk->instance = VK_NULL_HANDLE;
		return;
	}
	res = vkEnumeratePhysicalDevices(vk->instance, &count, NULL);
	if (res != VK_SUCCESS || count == 0)
		goto no_devices;
	devices = calloc(count, sizeof(*devices));
	vk->adapters = calloc(count, sizeof(*vk->adapters));
	if (!devices || !vk->adapters)
		goto no_devices;
	res = vkEnumeratePhysicalDevices(vk->instance, &count, devices);
	if (res != VK_SUCCESS && res != VK_INCOMPLETE)
		goto no_devices;
	for (uint32_t i = 0; i < count && vk->adapter_count < max_adapters; i++) {
		if (describe_device(devices[i], luid_seed, &vk->adapters[vk->adapter_count]))
			vk->adapter_count++;
	}
	free(devices);
	devices = NULL;
	if (vk->adapter_count == 0)
		goto no_devices;
	make_luids_unique(vk, luid_seed);
	for (uint32_t i = 0; i < vk->adapter_count; i++) {
		const struct vk_adapter *a = &vk->adapters[i];

		log_info("vulkan: adapter %u: '%s' (%s, %04x:%04x, luid 0x%08x:0x%08x%s)", i, a->name,
			 vk_device_type_name(a->device_type), a->vendor_id, a->device_id,
			 a->luid_high, a->luid_low,
			 a->external_memory_host ? ", external_memory_host" : "");
	}
	return;

no_devices:
	free(devices);
	free(vk->adapters);
	vk->adapters = NULL;
	vk->adapter_count = 0;
	log_warn("vulkan: no usable physical device; serving without adapters");
}

void vk_backend_fini(struct vk_backend *vk)
{
	free(vk->adapters);
	if (vk->instance != VK_NULL_HANDLE)
		vkDestroyInstance(vk->instance, NULL);
	memset(vk, 0, sizeof(*vk));
}
