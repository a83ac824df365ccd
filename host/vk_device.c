// SPDX-License-Identifier: MIT
/*
 * The worker's logical device and its device-local buffers.
 *
 * Device-local memory is treated as memory the CPU cannot see, even where it can (lavapipe, and
 * integrated GPUs, make every type host visible): buffers are zeroed with vkCmdFillBuffer and
 * read or written through one host-visible staging buffer with vkCmdCopyBuffer, so the code path
 * that runs here is the one a discrete GPU needs. The staging buffer is small and fixed
 * (VK_STAGING_BYTES); large transfers go through it in chunks.
 *
 * One mutex serializes the queue, the command buffer, the fence and the staging buffer: a transfer
 * is record, submit, wait, so at most one is in flight and nothing outlives the call.
 */
#include "vk_device.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "spirv_check.h"

/* Bounded so that a 1 GiB buffer costs no 1 GiB of host memory to read or write. */
#define VK_STAGING_BYTES (4ull << 20)

struct vk_device {
	struct vk_adapter adapter;	/* what vk_backend found (vk_exec's limits): a copy */
	VkInstance instance;
	VkPhysicalDevice physical_device;
	VkPhysicalDeviceLimits limits;
	VkDevice device;
	VkQueue queue;
	VkCommandPool pool;
	VkCommandBuffer cmd;
	VkFence fence;
	VkPhysicalDeviceMemoryProperties memory;
	uint64_t max_buffer;
	uint64_t max_allocation;	/* maxMemoryAllocationSize */
	uint32_t max_allocation_count;	/* maxMemoryAllocationCount */
	uint32_t spirv_features;
	bool external_memory_host;
	bool calibrated_timestamps;
	char name[VK_ADAPTER_NAME_LEN];

	/* Everything below is under `lock`. */
	pthread_mutex_t lock;
	bool broken;			/* sticky: device lost, or a submission in limbo */
	uint32_t allocation_count;	/* live VkDeviceMemory objects, the staging one included */
	VkBuffer staging;
	VkDeviceMemory staging_memory;
	uint8_t *staging_map;
};

struct vk_buffer {
	struct vk_device *device;
	VkBuffer buffer;
	VkDeviceMemory memory;
	uint64_t size;			/* what the caller asked for */
};

/* Out of memory, whichever pool ran out, is -ENOMEM: the caller may free something and retry. */
static int vk_errno(VkResult res)
{
	switch (res) {
	case VK_SUCCESS:
		return 0;
	case VK_ERROR_OUT_OF_HOST_MEMORY:
	case VK_ERROR_OUT_OF_DEVICE_MEMORY:
	case VK_ERROR_TOO_MANY_OBJECTS:	/* maxMemoryAllocationCount */
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/*
 * The version the device is driven at: the lower of the device's and the instance's. This must
 * match vk_backend_init(), which asks for Vulkan 1.2 when the loader has it and 1.1 otherwise;
 * chaining a 1.2 structure into a device used at 1.1 is invalid usage.
 */
static uint32_t effective_api_version(const struct vk_adapter *adapter)
{
	PFN_vkEnumerateInstanceVersion enumerate_version =
		(PFN_vkEnumerateInstanceVersion)vkGetInstanceProcAddr(VK_NULL_HANDLE,
								      "vkEnumerateInstanceVersion");
	uint32_t loader = VK_API_VERSION_1_0;
	uint32_t instance;

	if (enumerate_version && enumerate_version(&loader) != VK_SUCCESS)
		loader = VK_API_VERSION_1_0;
	instance = loader >= VK_API_VERSION_1_2 ? VK_API_VERSION_1_2 : VK_API_VERSION_1_1;
	return adapter->api_version < instance ? adapter->api_version : instance;
}

/*
 * Picks a memory type among `type_bits` that has every flag of `want` and none of `avoid`;
 * returns the index or -1.
 */
static int find_memory_type(const VkPhysicalDeviceMemoryProperties *mem, uint32_t type_bits,
			    VkMemoryPropertyFlags want, VkMemoryPropertyFlags avoid)
{
	for (uint32_t i = 0; i < mem->memoryTypeCount && i < VK_MAX_MEMORY_TYPES; i++) {
		VkMemoryPropertyFlags flags = mem->memoryTypes[i].propertyFlags;

		if ((type_bits & (1u << i)) && (flags & want) == want && !(flags & avoid))
			return (int)i;
	}
	return -1;
}

/* Types no plain buffer should land in: protected, lazily allocated, or vendor-special. */
#define MEMORY_TYPE_NEVER (VK_MEMORY_PROPERTY_PROTECTED_BIT | \
			   VK_MEMORY_PROPERTY_LAZILY_ALLOCATED_BIT | \
			   VK_MEMORY_PROPERTY_DEVICE_COHERENT_BIT_AMD | \
			   VK_MEMORY_PROPERTY_DEVICE_UNCACHED_BIT_AMD)

/*
 * Device-local memory the CPU cannot map first (a discrete GPU's VRAM, leaving the small
 * host-visible window to others), then any device-local type. Vulkan guarantees a device-local
 * heap; a buffer whose types exclude it still gets memory, with a warning.
 */
static int pick_device_local_type(struct vk_device *d, uint32_t type_bits)
{
	int type;

	type = find_memory_type(&d->memory, type_bits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT,
				VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | MEMORY_TYPE_NEVER);
	if (type < 0)
		type = find_memory_type(&d->memory, type_bits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT,
					MEMORY_TYPE_NEVER);
	if (type < 0) {
		type = find_memory_type(&d->memory, type_bits, 0, MEMORY_TYPE_NEVER);
		if (type >= 0)
			log_warn("vulkan: '%s': no device-local memory type for buffers, using %d",
				 d->name, type);
	}
	return type;
}

/* Host-visible and coherent (no flushes), cached when possible (reads back at memory speed). */
static int pick_staging_type(struct vk_device *d, uint32_t type_bits)
{
	const VkMemoryPropertyFlags coherent = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
					       VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
	int type;

	type = find_memory_type(&d->memory, type_bits,
				coherent | VK_MEMORY_PROPERTY_HOST_CACHED_BIT, MEMORY_TYPE_NEVER);
	if (type < 0)
		type = find_memory_type(&d->memory, type_bits, coherent, MEMORY_TYPE_NEVER);
	return type;
}

/* A VkBuffer with its own memory of the chosen kind. */
static int create_bound_buffer(struct vk_device *d, VkDeviceSize size, bool staging,
			       VkBuffer *buffer_out, VkDeviceMemory *memory_out)
{
	VkBufferCreateInfo buffer_info = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.size = size,
		.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT |
			 (staging ? 0 : VK_BUFFER_USAGE_STORAGE_BUFFER_BIT),
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	};
	VkMemoryAllocateInfo alloc_info = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO };
	VkMemoryRequirements req;
	VkBuffer buffer = VK_NULL_HANDLE;
	VkDeviceMemory memory = VK_NULL_HANDLE;
	VkResult res;
	int type;
	int err;

	res = vkCreateBuffer(d->device, &buffer_info, NULL, &buffer);
	if (res != VK_SUCCESS)
		return vk_errno(res);
	vkGetBufferMemoryRequirements(d->device, buffer, &req);
	/* Alignment padding may push a buffer near the limit past what one allocation may be. */
	if (req.size > d->max_allocation) {
		err = -ENOMEM;
		goto err_destroy_buffer;
	}
	type = staging ? pick_staging_type(d, req.memoryTypeBits)
		       : pick_device_local_type(d, req.memoryTypeBits);
	if (type < 0) {
		log_error("vulkan: '%s': no memory type for a %s buffer (type bits 0x%x)", d->name,
			  staging ? "staging" : "device", req.memoryTypeBits);
		err = -EIO;
		goto err_destroy_buffer;
	}
	alloc_info.allocationSize = req.size;
	alloc_info.memoryTypeIndex = (uint32_t)type;
	res = vkAllocateMemory(d->device, &alloc_info, NULL, &memory);
	if (res != VK_SUCCESS) {
		err = vk_errno(res);
		goto err_destroy_buffer;
	}
	res = vkBindBufferMemory(d->device, buffer, memory, 0);
	if (res != VK_SUCCESS) {
		err = vk_errno(res);
		goto err_free_memory;
	}
	*buffer_out = buffer;
	*memory_out = memory;
	return 0;

err_free_memory:
	vkFreeMemory(d->device, memory, NULL);
err_destroy_buffer:
	vkDestroyBuffer(d->device, buffer, NULL);
	return err;
}

/*
 * Called with the lock held. `fatal`: the call leaves work in flight in an unknown state (a
 * submission or a wait failed), so the queue, command buffer and fence must not be reused; the
 * device is then broken for good, like a lost one, and every later transfer fails fast.
 */
static int note_result(struct vk_device *d, VkResult res, const char *what, bool fatal)
{
	if (res == VK_SUCCESS)
		return 0;
	if (res == VK_ERROR_DEVICE_LOST)
		fatal = true;
	if (fatal && !d->broken)
		log_error("vulkan: '%s': %s failed (%d): device unusable from now on", d->name,
			  what, (int)res);
	else if (vk_errno(res) == -EIO)
		log_error("vulkan: '%s': %s failed (%d)", d->name, what, (int)res);
	if (fatal) {
		d->broken = true;
		return -EIO;
	}
	return vk_errno(res);
}

/*
 * Starts a transfer. The barrier orders it after any earlier device work on these buffers
 * (issue 4's dispatches, the previous transfer): a fence wait makes the earlier submission
 * complete, but only a barrier makes its writes visible to the transfer stage.
 */
static int transfer_begin(struct vk_device *d)
{
	VkCommandBufferBeginInfo begin = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
		.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
	};
	VkMemoryBarrier barrier = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_MEMORY_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
	};
	VkResult res;

	if (d->broken)
		return -EIO;
	res = vkResetCommandPool(d->device, d->pool, 0);
	if (res != VK_SUCCESS)
		return note_result(d, res, "vkResetCommandPool", false);
	res = vkBeginCommandBuffer(d->cmd, &begin);
	if (res != VK_SUCCESS)
		return note_result(d, res, "vkBeginCommandBuffer", false);
	vkCmdPipelineBarrier(d->cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT,
			     VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &barrier, 0, NULL, 0, NULL);
	return 0;
}

/*
 * Ends, submits and waits. The closing barrier makes the transfer's writes visible to the host
 * (the staging read-back) and to later device work: a fence alone does neither.
 */
static int transfer_finish(struct vk_device *d)
{
	VkMemoryBarrier barrier = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_HOST_READ_BIT | VK_ACCESS_MEMORY_READ_BIT |
				 VK_ACCESS_MEMORY_WRITE_BIT,
	};
	VkSubmitInfo submit = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.commandBufferCount = 1,
		.pCommandBuffers = &d->cmd,
	};
	VkResult res;

	vkCmdPipelineBarrier(d->cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
			     VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0, 1,
			     &barrier, 0, NULL, 0, NULL);
	res = vkEndCommandBuffer(d->cmd);
	if (res != VK_SUCCESS)
		return note_result(d, res, "vkEndCommandBuffer", false);
	res = vkQueueSubmit(d->queue, 1, &submit, d->fence);
	/* Out of memory leaves nothing submitted (the spec says so); anything else may not. */
	if (res != VK_SUCCESS)
		return note_result(d, res, "vkQueueSubmit", vk_errno(res) == -EIO);
	/* No timeout of our own: a hung device comes back as VK_ERROR_DEVICE_LOST. */
	res = vkWaitForFences(d->device, 1, &d->fence, VK_TRUE, UINT64_MAX);
	if (res != VK_SUCCESS)
		return note_result(d, res, "vkWaitForFences", true);
	res = vkResetFences(d->device, 1, &d->fence);
	return note_result(d, res, "vkResetFences", true);
}

/*
 * Asks for the features a guest module may need (spirv_check.h) where the device has them, and
 * records them as SPIRV_FEATURE_* bits; robustBufferAccess is mandatory.
 */
static int choose_features(struct vk_device *d, uint32_t api_version,
			   VkPhysicalDeviceFeatures2 *enable,
			   VkPhysicalDevice16BitStorageFeatures *enable16,
			   VkPhysicalDeviceVulkan12Features *enable12)
{
	VkPhysicalDeviceVulkan12Features has12 = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
	};
	VkPhysicalDevice16BitStorageFeatures has16 = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
	};
	VkPhysicalDeviceFeatures2 has = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
		.pNext = &has16,
	};
	bool v12 = api_version >= VK_API_VERSION_1_2;
	uint32_t f = 0;

	if (v12)
		has16.pNext = &has12;
	vkGetPhysicalDeviceFeatures2(d->physical_device, &has);
	if (!has.features.robustBufferAccess) {
		log_error("vulkan: '%s' lacks robustBufferAccess: guest kernels could reach "
			  "outside their bindings; not using it", d->name);
		return -ENODEV;
	}

	memset(enable, 0, sizeof(*enable));
	memset(enable16, 0, sizeof(*enable16));
	memset(enable12, 0, sizeof(*enable12));
	enable->sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
	enable->pNext = enable16;
	enable16->sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES;
	enable12->sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES;
	if (v12)
		enable16->pNext = enable12;

	enable->features.robustBufferAccess = VK_TRUE;
#define TAKE(has_struct, enable_struct, field, bit)			\
	do {								\
		if ((has_struct).field) {				\
			(enable_struct)->field = VK_TRUE;		\
			f |= (bit);					\
		}							\
	} while (0)
	TAKE(has.features, &enable->features, shaderInt64, SPIRV_FEATURE_INT64);
	TAKE(has.features, &enable->features, shaderFloat64, SPIRV_FEATURE_FLOAT64);
	TAKE(has.features, &enable->features, shaderInt16, SPIRV_FEATURE_INT16);
	TAKE(has16, enable16, storageBuffer16BitAccess, SPIRV_FEATURE_STORAGE_BUFFER_16BIT);
	TAKE(has16, enable16, uniformAndStorageBuffer16BitAccess, SPIRV_FEATURE_UNIFORM_16BIT);
	TAKE(has16, enable16, storagePushConstant16, SPIRV_FEATURE_PUSH_CONSTANT_16BIT);
	if (v12) {
		f |= SPIRV_FEATURE_VULKAN_1_2;
		TAKE(has12, enable12, shaderInt8, SPIRV_FEATURE_INT8);
		TAKE(has12, enable12, shaderFloat16, SPIRV_FEATURE_FLOAT16);
		TAKE(has12, enable12, storageBuffer8BitAccess, SPIRV_FEATURE_STORAGE_BUFFER_8BIT);
		TAKE(has12, enable12, uniformAndStorageBuffer8BitAccess,
		     SPIRV_FEATURE_UNIFORM_8BIT);
		TAKE(has12, enable12, storagePushConstant8, SPIRV_FEATURE_PUSH_CONSTANT_8BIT);
		TAKE(has12, enable12, vulkanMemoryModel, SPIRV_FEATURE_VULKAN_MEMORY_MODEL);
		TAKE(has12, enable12, vulkanMemoryModelDeviceScope,
		     SPIRV_FEATURE_VULKAN_MEMORY_MODEL_DEVICE_SCOPE);
		TAKE(has12, enable12, shaderSubgroupExtendedTypes,
		     SPIRV_FEATURE_SUBGROUP_EXTENDED_TYPES);
	}
#undef TAKE
	d->spirv_features |= f;
	return 0;
}

/* Subgroup operations are properties, not features: nothing to enable, only to report. */
static uint32_t subgroup_features(const VkPhysicalDeviceSubgroupProperties *sg)
{
	static const struct {
		VkSubgroupFeatureFlags vk;
		uint32_t spirv;
	} map[] = {
		{ VK_SUBGROUP_FEATURE_BASIC_BIT, SPIRV_FEATURE_SUBGROUP_BASIC },
		{ VK_SUBGROUP_FEATURE_VOTE_BIT, SPIRV_FEATURE_SUBGROUP_VOTE },
		{ VK_SUBGROUP_FEATURE_ARITHMETIC_BIT, SPIRV_FEATURE_SUBGROUP_ARITHMETIC },
		{ VK_SUBGROUP_FEATURE_BALLOT_BIT, SPIRV_FEATURE_SUBGROUP_BALLOT },
		{ VK_SUBGROUP_FEATURE_SHUFFLE_BIT, SPIRV_FEATURE_SUBGROUP_SHUFFLE },
		{ VK_SUBGROUP_FEATURE_SHUFFLE_RELATIVE_BIT,
		  SPIRV_FEATURE_SUBGROUP_SHUFFLE_RELATIVE },
		{ VK_SUBGROUP_FEATURE_CLUSTERED_BIT, SPIRV_FEATURE_SUBGROUP_CLUSTERED },
		{ VK_SUBGROUP_FEATURE_QUAD_BIT, SPIRV_FEATURE_SUBGROUP_QUAD },
	};
	uint32_t f = 0;

	if (!(sg->supportedStages & VK_SHADER_STAGE_COMPUTE_BIT))
		return 0;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (sg->supportedOperations & map[i].vk)
			f |= map[i].spirv;
	}
	return f;
}

/*
 * maxMemoryAllocationSize bounds one allocation, hence one buffer (each has its own memory); no
 * buffer can outgrow the largest device-local heap either. maxStorageBufferRange is not a limit
 * here: it bounds what one descriptor can expose to a shader, not the memory behind it.
 */
static void read_limits(struct vk_device *d)
{
	VkPhysicalDeviceSubgroupProperties subgroup = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES,
	};
	VkPhysicalDeviceMaintenance3Properties maint3 = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES,
		.pNext = &subgroup,
	};
	VkPhysicalDeviceProperties2 props = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
		.pNext = &maint3,
	};
	uint64_t largest_heap = 0;

	vkGetPhysicalDeviceProperties2(d->physical_device, &props);
	vkGetPhysicalDeviceMemoryProperties(d->physical_device, &d->memory);
	for (uint32_t i = 0; i < d->memory.memoryHeapCount && i < VK_MAX_MEMORY_HEAPS; i++) {
		const VkMemoryHeap *heap = &d->memory.memoryHeaps[i];

		if ((heap->flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) && heap->size > largest_heap)
			largest_heap = heap->size;
	}
	d->limits = props.properties.limits;
	d->max_allocation = maint3.maxMemoryAllocationSize;
	d->max_allocation_count = props.properties.limits.maxMemoryAllocationCount;
	d->max_buffer = d->max_allocation < largest_heap ? d->max_allocation : largest_heap;
	/* Buffers are rounded up to 4 bytes (vkCmdFillBuffer): the rounded size must fit too. */
	d->max_buffer &= ~(uint64_t)3;
	d->spirv_features |= subgroup_features(&subgroup);
}

static bool has_device_extension(VkPhysicalDevice pd, const char *name)
{
	VkExtensionProperties *props;
	uint32_t count = 0;
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

static int create_device(struct vk_device *d, const struct vk_adapter *adapter)
{
	const char *extensions[2];
	uint32_t extension_count = 0;
	const float priority = 1.0f;
	VkDeviceQueueCreateInfo queue_info = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
		.queueFamilyIndex = adapter->compute_queue_family,
		.queueCount = 1,
		.pQueuePriorities = &priority,
	};
	VkPhysicalDeviceFeatures2 features;
	VkPhysicalDevice16BitStorageFeatures features16;
	VkPhysicalDeviceVulkan12Features features12;
	VkDeviceCreateInfo info = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
		.queueCreateInfoCount = 1,
		.pQueueCreateInfos = &queue_info,
	};
	VkResult res;
	int err;

	err = choose_features(d, effective_api_version(adapter), &features, &features16,
			      &features12);
	if (err)
		return err;
	/* Issue 4 imports the VM's heap pages as device memory with it, when it is there. */
	if (adapter->external_memory_host) {
		extensions[extension_count++] = VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME;
		d->external_memory_host = true;
	}
	/* vk_exec_calibrate() pairs GPU and CLOCK_MONOTONIC timestamps with it, when it is there. */
	if (has_device_extension(d->physical_device,
				 VK_EXT_CALIBRATED_TIMESTAMPS_EXTENSION_NAME)) {
		extensions[extension_count++] = VK_EXT_CALIBRATED_TIMESTAMPS_EXTENSION_NAME;
		d->calibrated_timestamps = true;
	}
	info.pNext = &features;
	info.enabledExtensionCount = extension_count;
	info.ppEnabledExtensionNames = extension_count ? extensions : NULL;
	res = vkCreateDevice(d->physical_device, &info, NULL, &d->device);
	if (res != VK_SUCCESS) {
		d->device = VK_NULL_HANDLE;
		log_error("vulkan: '%s': vkCreateDevice failed (%d)", d->name, (int)res);
		if (res == VK_ERROR_INITIALIZATION_FAILED || res == VK_ERROR_FEATURE_NOT_PRESENT ||
		    res == VK_ERROR_EXTENSION_NOT_PRESENT)
			return -ENODEV;
		return vk_errno(res);
	}
	vkGetDeviceQueue(d->device, adapter->compute_queue_family, 0, &d->queue);
	return 0;
}

static int create_transfer_objects(struct vk_device *d, uint32_t queue_family)
{
	VkCommandPoolCreateInfo pool_info = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
		.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
		.queueFamilyIndex = queue_family,
	};
	VkCommandBufferAllocateInfo cmd_info = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
		.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
		.commandBufferCount = 1,
	};
	VkFenceCreateInfo fence_info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
	void *map;
	VkResult res;
	int err;

	res = vkCreateCommandPool(d->device, &pool_info, NULL, &d->pool);
	if (res != VK_SUCCESS)
		return vk_errno(res);
	cmd_info.commandPool = d->pool;
	res = vkAllocateCommandBuffers(d->device, &cmd_info, &d->cmd);
	if (res != VK_SUCCESS)
		return vk_errno(res);
	res = vkCreateFence(d->device, &fence_info, NULL, &d->fence);
	if (res != VK_SUCCESS)
		return vk_errno(res);
	err = create_bound_buffer(d, VK_STAGING_BYTES, true, &d->staging, &d->staging_memory);
	if (err)
		return err;
	d->allocation_count = 1;
	res = vkMapMemory(d->device, d->staging_memory, 0, VK_WHOLE_SIZE, 0, &map);
	if (res != VK_SUCCESS)
		return vk_errno(res);
	d->staging_map = map;
	return 0;
}

/* Safe on a partly opened device: every handle is either valid or VK_NULL_HANDLE. */
static void destroy_device(struct vk_device *d)
{
	if (d->device != VK_NULL_HANDLE) {
		/* Transfers wait for themselves; this only covers a device lost mid-transfer. */
		vkDeviceWaitIdle(d->device);
		if (d->staging_map)
			vkUnmapMemory(d->device, d->staging_memory);
		vkDestroyBuffer(d->device, d->staging, NULL);
		vkFreeMemory(d->device, d->staging_memory, NULL);
		vkDestroyFence(d->device, d->fence, NULL);
		vkDestroyCommandPool(d->device, d->pool, NULL);	/* frees d->cmd */
		vkDestroyDevice(d->device, NULL);
	}
	pthread_mutex_destroy(&d->lock);
	free(d);
}

int vk_device_open(const struct vk_adapter *adapter, VkInstance instance,
		   struct vk_device **out)
{
	struct vk_device *d;
	int err;

	*out = NULL;
	if (!adapter || adapter->physical_device == VK_NULL_HANDLE || instance == VK_NULL_HANDLE)
		return -ENODEV;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->lock, NULL);
	d->adapter = *adapter;
	d->instance = instance;
	d->physical_device = adapter->physical_device;
	memcpy(d->name, adapter->name, sizeof(d->name));
	d->name[sizeof(d->name) - 1] = '\0';

	read_limits(d);
	err = create_device(d, adapter);
	if (!err)
		err = create_transfer_objects(d, adapter->compute_queue_family);
	if (err) {
		log_error("vulkan: '%s': cannot open the device (%s)", d->name, strerror(-err));
		destroy_device(d);
		return err;
	}
	log_info("vulkan: '%s': device open (largest buffer %" PRIu64 " bytes%s)", d->name,
		 d->max_buffer, d->external_memory_host ? ", external_memory_host" : "");
	*out = d;
	return 0;
}

void vk_device_close(struct vk_device *d)
{
	if (d)
		destroy_device(d);
}

uint64_t vk_device_max_buffer(const struct vk_device *d)
{
	return d->max_buffer;
}

uint32_t vk_device_spirv_features(const struct vk_device *d)
{
	return d->spirv_features;
}

const struct vk_adapter *vk_device_adapter(const struct vk_device *d)
{
	return &d->adapter;
}

VkInstance vk_device_instance(const struct vk_device *d)
{
	return d->instance;
}

VkPhysicalDevice vk_device_physical(const struct vk_device *d)
{
	return d->physical_device;
}

VkDevice vk_device_handle(const struct vk_device *d)
{
	return d->device;
}

const VkPhysicalDeviceLimits *vk_device_limits(const struct vk_device *d)
{
	return &d->limits;
}

bool vk_device_has_external_memory_host(const struct vk_device *d)
{
	return d->external_memory_host;
}

bool vk_device_has_calibrated_timestamps(const struct vk_device *d)
{
	return d->calibrated_timestamps;
}

int vk_device_submit(struct vk_device *d, const VkSubmitInfo *submit, VkFence fence)
{
	VkResult res;
	int err;

	pthread_mutex_lock(&d->lock);
	if (d->broken) {
		pthread_mutex_unlock(&d->lock);
		return -EIO;
	}
	res = vkQueueSubmit(d->queue, 1, submit, fence);
	/* As in transfer_finish(): only out of memory surely leaves nothing submitted. */
	err = note_result(d, res, "vkQueueSubmit", vk_errno(res) == -EIO);
	pthread_mutex_unlock(&d->lock);
	return err;
}

void vk_device_set_lost(struct vk_device *d)
{
	pthread_mutex_lock(&d->lock);
	if (!d->broken)
		log_error("vulkan: '%s': device lost: unusable from now on", d->name);
	d->broken = true;
	pthread_mutex_unlock(&d->lock);
}

bool vk_device_lost(struct vk_device *d)
{
	bool lost;

	pthread_mutex_lock(&d->lock);
	lost = d->broken;
	pthread_mutex_unlock(&d->lock);
	return lost;
}

int vk_device_count_allocation(struct vk_device *d)
{
	int err = 0;

	pthread_mutex_lock(&d->lock);
	if (d->allocation_count >= d->max_allocation_count)
		err = -ENOMEM;
	else
		d->allocation_count++;
	pthread_mutex_unlock(&d->lock);
	return err;
}

void vk_device_uncount_allocation(struct vk_device *d)
{
	pthread_mutex_lock(&d->lock);
	d->allocation_count--;
	pthread_mutex_unlock(&d->lock);
}

VkBuffer vk_buffer_handle(const struct vk_buffer *b)
{
	return b->buffer;
}

/* Called with the lock held. */
static int fill_zero(struct vk_buffer *b)
{
	struct vk_device *d = b->device;
	int err;

	err = transfer_begin(d);
	if (err)
		return err;
	/* The buffer's size is a multiple of 4, so VK_WHOLE_SIZE reaches its last byte. */
	vkCmdFillBuffer(d->cmd, b->buffer, 0, VK_WHOLE_SIZE, 0);
	return transfer_finish(d);
}

int vk_buffer_create(struct vk_device *d, uint64_t size, struct vk_buffer **out)
{
	struct vk_buffer *b;
	int err;

	*out = NULL;
	if (size == 0)
		return -EINVAL;
	if (size > d->max_buffer)
		return -ENOMEM;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->device = d;
	b->size = size;
	/*
	 * Going past maxMemoryAllocationCount (4096 on many GPUs) is invalid usage, not an error
	 * the driver must report: the count is enforced here; every buffer is one allocation.
	 */
	err = vk_device_count_allocation(d);
	if (err) {
		free(b);
		return err;
	}
	err = create_bound_buffer(d, (size + 3) & ~(uint64_t)3, false, &b->buffer, &b->memory);
	if (err) {
		vk_device_uncount_allocation(d);
		free(b);
		return err;
	}
	/* Device memory comes from the driver as it was left: another VM's data, maybe. */
	pthread_mutex_lock(&d->lock);
	err = fill_zero(b);
	pthread_mutex_unlock(&d->lock);
	if (err) {
		vk_buffer_destroy(b);
		return err;
	}
	*out = b;
	return 0;
}

void vk_buffer_destroy(struct vk_buffer *b)
{
	struct vk_device *d;

	if (!b)
		return;
	d = b->device;
	vkDestroyBuffer(d->device, b->buffer, NULL);
	vkFreeMemory(d->device, b->memory, NULL);
	vk_device_uncount_allocation(d);
	free(b);
}

uint64_t vk_buffer_size(const struct vk_buffer *b)
{
	return b->size;
}

static bool range_ok(const struct vk_buffer *b, uint64_t offset, uint64_t len)
{
	return offset <= b->size && len <= b->size - offset;
}

int vk_buffer_read(struct vk_buffer *b, uint64_t offset, void *dst, uint64_t len)
{
	struct vk_device *d = b->device;
	uint8_t *out = dst;
	int err = 0;

	if (!range_ok(b, offset, len) || (len && !dst))
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	for (uint64_t done = 0; done < len && !err;) {
		uint64_t n = len - done < VK_STAGING_BYTES ? len - done : VK_STAGING_BYTES;
		VkBufferCopy region = { .srcOffset = offset + done, .dstOffset = 0, .size = n };

		err = transfer_begin(d);
		if (err)
			break;
		vkCmdCopyBuffer(d->cmd, b->buffer, d->staging, 1, &region);
		err = transfer_finish(d);
		if (!err) {
			memcpy(out + done, d->staging_map, n);
			done += n;
		}
	}
	pthread_mutex_unlock(&d->lock);
	return err;
}

int vk_buffer_write(struct vk_buffer *b, uint64_t offset, const void *src, uint64_t len)
{
	struct vk_device *d = b->device;
	const uint8_t *in = src;
	int err = 0;

	if (!range_ok(b, offset, len) || (len && !src))
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	for (uint64_t done = 0; done < len && !err;) {
		uint64_t n = len - done < VK_STAGING_BYTES ? len - done : VK_STAGING_BYTES;
		VkBufferCopy region = { .srcOffset = 0, .dstOffset = offset + done, .size = n };

		/* Coherent memory: vkQueueSubmit makes these host writes visible to the device. */
		memcpy(d->staging_map, in + done, n);
		err = transfer_begin(d);
		if (err)
			break;
		vkCmdCopyBuffer(d->cmd, d->staging, b->buffer, 1, &region);
		err = transfer_finish(d);
		if (!err)
			done += n;
	}
	pthread_mutex_unlock(&d->lock);
	return err;
}
