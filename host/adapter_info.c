// SPDX-License-Identifier: MIT
#include "adapter_info.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <misc/opendxg.h>
#include <opendxg/compat.h>

#include "memory.h"

static void put_le16(unsigned char *p, uint16_t v)
{
	dxg_le16 le = dxg_to_le16(v);

	memcpy(p, &le, sizeof(le));
}

static void put_le32(unsigned char *p, uint32_t v)
{
	dxg_le32 le = dxg_to_le32(v);

	memcpy(p, &le, sizeof(le));
}

/* Decodes one UTF-8 sequence at *s (not NUL); advances *s; returns U+FFFD for invalid input. */
static uint32_t utf8_next(const unsigned char **s)
{
	const unsigned char *p = *s;
	uint32_t cp, min;
	int extra;

	if (p[0] < 0x80) {
		*s = p + 1;
		return p[0];
	} else if ((p[0] & 0xe0) == 0xc0) {
		cp = p[0] & 0x1f;
		extra = 1;
		min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		cp = p[0] & 0x0f;
		extra = 2;
		min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		cp = p[0] & 0x07;
		extra = 3;
		min = 0x10000;
	} else {
		*s = p + 1;
		return 0xfffd;
	}
	for (int i = 1; i <= extra; i++) {
		/* Stops at the NUL terminator too, since 0x00 is not a continuation byte. */
		if ((p[i] & 0xc0) != 0x80) {
			*s = p + i;
			return 0xfffd;
		}
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	*s = p + 1 + extra;
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0xfffd;
	return cp;
}

uint32_t utf8_to_utf16le(const char *in, unsigned char *out, uint32_t units)
{
	const unsigned char *s = (const unsigned char *)in;
	uint32_t n = 0;

	while (*s) {
		uint32_t cp = utf8_next(&s);

		if (cp >= 0x10000) {
			if (n + 2 >= units)
				break;
			cp -= 0x10000;
			put_le16(out + 2 * n++, (uint16_t)(0xd800 + (cp >> 10)));
			put_le16(out + 2 * n++, (uint16_t)(0xdc00 + (cp & 0x3ff)));
		} else {
			if (n + 1 >= units)
				break;
			put_le16(out + 2 * n++, (uint16_t)cp);
		}
	}
	put_le16(out + 2 * n, 0);
	return n;
}

static uint32_t adapter_type_bits(const struct vk_adapter *vk)
{
	/* Compute only: no render or display support; the guest sees a paravirtualized adapter. */
	uint32_t bits = D3DKMT_ADAPTERTYPE_PARAVIRTUALIZED | D3DKMT_ADAPTERTYPE_COMPUTE_ONLY;

	if (vk->device_type == OPENDXG_DEVICE_TYPE_CPU)
		bits |= D3DKMT_ADAPTERTYPE_SOFTWARE_DEVICE;
	return bits;
}

static void fill_device_ids(const struct vk_adapter *vk, unsigned char *out)
{
	/* physical_adapter_index stays 0; no PCI subsystem, revision or bus behind Vulkan. */
	put_le32(out + offsetof(struct d3dkmt_query_device_ids, device_ids.vendor_id),
		 vk->vendor_id);
	put_le32(out + offsetof(struct d3dkmt_query_device_ids, device_ids.device_id),
		 vk->device_id);
}

/*
 * opendxg's private queries grow by appending fields: a caller passes the size it knows (at least
 * the version and size words) and gets min(its size, ours) bytes, with `size` saying how many are
 * valid. An older caller gets the prefix it understands; a newer one learns what this host filled.
 */
#define OPENDXG_QAI_MIN_SIZE (2u * sizeof(uint32_t))

static void put_versioned(unsigned char *out, uint32_t out_size, void *full, uint32_t full_size)
{
	uint32_t n = out_size < full_size ? out_size : full_size;

	put_le32((unsigned char *)full + sizeof(uint32_t), n);
	memcpy(out, full, n);
}

static void fill_adapter_caps(const struct dxg_vm *vm, const struct vk_adapter *vk,
			      unsigned char *out, uint32_t out_size)
{
	struct opendxg_adapter_caps c;
	uint32_t flags = OPENDXG_CAPS_COMPUTE_ONLY;
	double period_ps = (double)vk->timestamp_period_ns * 1000.0;

	if (vk->device_type == OPENDXG_DEVICE_TYPE_CPU)
		flags |= OPENDXG_CAPS_SOFTWARE;
	if (vk->external_memory_host)
		flags |= OPENDXG_CAPS_EXTERNAL_MEMORY_HOST;
	if (!(period_ps >= 0.0))
		period_ps = 0.0;
	if (period_ps > (double)UINT32_MAX - 1.0)
		period_ps = (double)UINT32_MAX - 1.0;

	memset(&c, 0, sizeof(c));
	c.version = dxg_to_le32(1);
	c.vendor_id = dxg_to_le32(vk->vendor_id);
	c.device_id = dxg_to_le32(vk->device_id);
	c.device_type = dxg_to_le32(vk->device_type);
	c.api_version = dxg_to_le32(vk->api_version);
	c.driver_version = dxg_to_le32(vk->driver_version);
	c.flags = dxg_to_le32(flags);
	c.device_local_bytes = dxg_to_le64(vk->device_local_bytes);
	c.host_visible_bytes = dxg_to_le64(vm->heap_size);
	for (int i = 0; i < 3; i++)
		c.max_workgroup_size[i] = dxg_to_le32(vk->max_workgroup_size[i]);
	c.max_workgroup_invocations = dxg_to_le32(vk->max_workgroup_invocations);
	c.max_shared_memory = dxg_to_le32(vk->max_shared_memory);
	c.subgroup_size = dxg_to_le32(vk->subgroup_size);
	c.timestamp_period_ps = dxg_to_le32((uint32_t)(period_ps + 0.5));
	/* The limits cmdbuf_parse() checks against (vk_exec_limits() reads the same fields). */
	for (int i = 0; i < 3; i++)
		c.max_workgroup_count[i] = dxg_to_le32(vk->max_workgroup_count[i]);
	c.max_binding_size = dxg_to_le32(vk->max_binding_size);
	c.max_push_constants = dxg_to_le32(vk->max_push_constants);
	c.timestamp_valid_bits = dxg_to_le32(vk->timestamp_valid_bits);
	memcpy(c.device_uuid, vk->device_uuid, sizeof(c.device_uuid));
	snprintf(c.device_name, sizeof(c.device_name), "%s", vk->name);
	snprintf(c.driver_name, sizeof(c.driver_name), "%s", vk->driver_name);
	put_versioned(out, out_size, &c, sizeof(c));
}

static void fill_vm_stats(const struct dxg_vm *vm, const struct dxg_adapter *a,
			  unsigned char *out, uint32_t out_size)
{
	struct opendxg_vm_stats s;
	struct memory_stats m;

	memset(&s, 0, sizeof(s));
	s.version = dxg_to_le32(1);
	s.generation = dxg_to_le32(vm->generation);
	s.processes = dxg_to_le32(vm->counters.processes);
	s.open_adapters = dxg_to_le32(vm->counters.open_adapters);
	s.devices = dxg_to_le32(vm->counters.devices);
	s.contexts = dxg_to_le32(vm->counters.contexts);
	s.handles = dxg_to_le32(handle_table_live(&vm->handles));
	s.requests = dxg_to_le64(vm->counters.requests);
	s.rejected = dxg_to_le64(vm->counters.rejected);
	/* Memory: this VM on the queried adapter only. */
	memory_adapter_stats(vm, a->index, &m);
	s.allocations = dxg_to_le32(m.allocations);
	s.resources = dxg_to_le32(m.resources);
	s.paging_queues = dxg_to_le32(m.paging_queues);
	s.gpu_va_ranges = dxg_to_le32(m.gpu_va_ranges);
	s.host_visible_bytes = dxg_to_le64(m.bytes[MEM_CAT_HOST_VISIBLE]);
	s.device_local_bytes = dxg_to_le64(m.bytes[MEM_CAT_DEVICE_LOCAL]);
	s.program_bytes = dxg_to_le64(m.bytes[MEM_CAT_PROGRAM]);
	s.evicted_bytes = dxg_to_le64(m.bytes[MEM_CAT_EVICTED]);
	s.quota_bytes = dxg_to_le64(m.quota_bytes);
	s.jobs_submitted = dxg_to_le64(vm->counters.jobs_submitted);
	s.jobs_completed = dxg_to_le64(vm->counters.jobs_completed);
	s.sync_objects = dxg_to_le32(vm->counters.sync_objects);
	s.hw_queues = dxg_to_le32(vm->counters.hw_queues);
	put_versioned(out, out_size, &s, sizeof(s));
}

int adapter_info_query(const struct dxg_vm *vm, const struct dxg_adapter *a, uint32_t type,
		       const unsigned char *in, uint32_t size, unsigned char *out)
{
	const struct vk_adapter *vk = a->vk;

	memset(out, 0, size);
	switch (type) {
	case KMTQAITYPE_ADAPTERTYPE:
	case KMTQAITYPE_ADAPTERTYPE_RENDER:
		if (size != sizeof(uint32_t))
			return -EINVAL;
		put_le32(out, adapter_type_bits(vk));
		return 0;
	case KMTQAITYPE_PHYSICALADAPTERDEVICEIDS:
		/* One physical adapter per opendxg adapter: only index 0 exists. */
		if (size != sizeof(struct d3dkmt_query_device_ids) || dxg_get_le32(in) != 0)
			return -EINVAL;
		fill_device_ids(vk, out);
		return 0;
	case KMTQAITYPE_DRIVER_DESCRIPTION:
	case KMTQAITYPE_DRIVER_DESCRIPTION_RENDER:
		if (size != sizeof(struct d3dkmt_driver_description))
			return -EINVAL;
		utf8_to_utf16le(vk->name, out, D3DKMT_DRIVER_DESCRIPTION_CHARS);
		return 0;
	case KMTQAITYPE_WDDM_2_7_CAPS:
		if (size != sizeof(uint32_t))
			return -EINVAL;
		/* The host schedules every context itself: hardware scheduling, always on. */
		put_le32(out, D3DKMT_WDDM_2_7_CAPS_HWSCH_SUPPORTED | D3DKMT_WDDM_2_7_CAPS_HWSCH_ENABLED);
		return 0;
	case OPENDXG_QAI_ADAPTER_CAPS:
		if (size < OPENDXG_QAI_MIN_SIZE)
			return -EINVAL;
		fill_adapter_caps(vm, vk, out, size);
		return 0;
	case OPENDXG_QAI_VM_STATS:
		if (size < OPENDXG_QAI_MIN_SIZE)
			return -EINVAL;
		fill_vm_stats(vm, a, out, size);
		return 0;
	default:
		return -EINVAL;
	}
}
