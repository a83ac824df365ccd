/* SPDX-License-Identifier: MIT */
/*
 * A worker's logical Vulkan device on one adapter, created on first use, and the device-local
 * buffers carved from it (OPENDXG_ALLOC_KIND_DEVICE_LOCAL allocations).
 *
 * The device is created with one compute queue, robustBufferAccess on (guest kernels must not
 * reach outside their bindings; issue 4 runs them here) and VK_EXT_external_memory_host when the
 * adapter has it. Transfers (zeroing, eviction and restore) run synchronously on that queue:
 * callers get their data or an error, never a half-done copy.
 *
 * Functions return 0 or a negative errno: -ENOMEM (host or device memory), -ENODEV (no usable
 * device, e.g. no robustBufferAccess), -EIO (the Vulkan driver failed or the device was lost;
 * once lost, every later transfer is -EIO), -EINVAL (bad range). Thread-safe: transfers are
 * serialized on the device.
 */
#ifndef DXGD_VK_DEVICE_H
#define DXGD_VK_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include <vulkan/vulkan.h>

#include "vk_backend.h"

struct vk_device;
struct vk_buffer;

int vk_device_open(const struct vk_adapter *adapter, VkInstance instance,
		   struct vk_device **out);
void vk_device_close(struct vk_device *d);

/*
 * Largest single device-local buffer this device accepts: maxMemoryAllocationSize, bounded by the
 * largest device-local heap (not maxStorageBufferRange, which bounds one descriptor's view).
 */
uint64_t vk_device_max_buffer(const struct vk_device *d);

/*
 * The SPIRV_FEATURE_* bits (spirv_check.h) this device enabled or supports: a module whose
 * spirv_info.features has a bit outside this mask must not reach the driver.
 */
uint32_t vk_device_spirv_features(const struct vk_device *d);

/*
 * A device-local buffer of `size` bytes (>= 1), every byte zero when this returns 0. Its usage
 * includes storage (dispatch bindings) and transfers (copy, fill, timestamp read-back). Sizes above
 * vk_device_max_buffer() are -ENOMEM. Buffers must be destroyed before their device is closed.
 */
int vk_buffer_create(struct vk_device *d, uint64_t size, struct vk_buffer **out);
void vk_buffer_destroy(struct vk_buffer *b);
uint64_t vk_buffer_size(const struct vk_buffer *b);

/*
 * Copies between a buffer and host memory through a staging buffer, in chunks of a few MiB;
 * [offset, +len) must lie inside the buffer (len 0 is a no-op). Any offset and length: no
 * alignment is needed.
 */
int vk_buffer_read(struct vk_buffer *b, uint64_t offset, void *dst, uint64_t len);
int vk_buffer_write(struct vk_buffer *b, uint64_t offset, const void *src, uint64_t len);

/*
 * For vk_exec.c, which records its own work on the same device and queue. The handles stay valid
 * until vk_device_close(); the adapter is a copy of the one the device was opened on.
 */
const struct vk_adapter *vk_device_adapter(const struct vk_device *d);
VkInstance vk_device_instance(const struct vk_device *d);
VkPhysicalDevice vk_device_physical(const struct vk_device *d);
VkDevice vk_device_handle(const struct vk_device *d);
const VkPhysicalDeviceLimits *vk_device_limits(const struct vk_device *d);
bool vk_device_has_external_memory_host(const struct vk_device *d);
bool vk_device_has_calibrated_timestamps(const struct vk_device *d);	/* enabled */
VkBuffer vk_buffer_handle(const struct vk_buffer *b);

/*
 * vkQueueSubmit of one batch on the device's queue, serialized with the transfers above (the
 * queue is externally synchronized). -EIO once the device is lost or a submission failed in a
 * way that may have left work in flight; -ENOMEM when nothing was submitted.
 */
int vk_device_submit(struct vk_device *d, const VkSubmitInfo *submit, VkFence fence);
/* Marks the device lost (a fence wait said so): every later transfer and submit is -EIO. */
void vk_device_set_lost(struct vk_device *d);
bool vk_device_lost(struct vk_device *d);
/*
 * Every VkDeviceMemory on the device counts against maxMemoryAllocationCount, including memory
 * vk_exec imports: count it here first (-ENOMEM at the limit), uncount it once freed.
 */
int vk_device_count_allocation(struct vk_device *d);
void vk_device_uncount_allocation(struct vk_device *d);

#endif /* DXGD_VK_DEVICE_H */
