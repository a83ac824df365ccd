// SPDX-License-Identifier: MIT
#include "fuzz_vm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <misc/opendxg.h>

/*
 * Adapter names cover what the UTF-8 -> UTF-16 conversion of QUERYADAPTERINFO must survive:
 * multi-byte and 4-byte sequences, invalid bytes, and the longest name Vulkan can report.
 */
static void fake_adapter(struct vk_adapter *a, uint32_t index)
{
	static const uint32_t types[FUZZ_VM_MAX_ADAPTERS] = {
		OPENDXG_DEVICE_TYPE_CPU,
		OPENDXG_DEVICE_TYPE_DISCRETE,
		OPENDXG_DEVICE_TYPE_INTEGRATED,
	};

	memset(a, 0, sizeof(*a));
	switch (index) {
	case 0:
		snprintf(a->name, sizeof(a->name), "fuzz cpu \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
		break;
	case 1:
		memset(a->name, 'g', sizeof(a->name) - 1);
		break;
	default:
		/* Stray continuation, overlong, surrogate, > U+10FFFF, truncated at the end. */
		snprintf(a->name, sizeof(a->name),
			 "bad \x80\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xe2\x82");
		break;
	}
	snprintf(a->driver_name, sizeof(a->driver_name), "fuzzdrv%u", index);
	a->vendor_id = 0x10005;
	a->device_id = 0x1000 + index;
	a->device_type = types[index];
	a->api_version = (1u << 22) | (3u << 12);
	a->driver_version = 1;
	a->max_workgroup_size[0] = 1024;
	a->max_workgroup_size[1] = 1024;
	a->max_workgroup_size[2] = 64;
	a->max_workgroup_invocations = 1024;
	a->max_shared_memory = 32768;
	a->subgroup_size = 8;
	/* Periods the caps conversion must clamp rather than overflow, or zero when not a number. */
	a->timestamp_period_ns = index == 2 ? 1e30f : index == 1 ? NAN : 1.0f;
	a->device_uuid[0] = (uint8_t)(index + 1);
	a->device_local_bytes = 1ull << 32;
	a->external_memory_host = index != 1;
	a->luid_low = 0x1000u + index;
	a->luid_high = 0x10u;
}

void fuzz_vm_start(struct fuzz_vm *f, uint8_t config)
{
	const struct dxg_vm_limits defaults = DXG_VM_DEFAULT_LIMITS;
	const struct dxg_vm_limits small = FUZZ_VM_SMALL_LIMITS;
	uint32_t count = config & FUZZ_VM_CONFIG_ADAPTERS_MASK;

	memset(f, 0, sizeof(*f));
	f->config = config;
	for (uint32_t i = 0; i < count; i++)
		fake_adapter(&f->adapters[i], i);
	f->vk.adapters = f->adapters;
	f->vk.adapter_count = count;
	/* Burst 0: rejections are counted by the limiter, never printed (keeps fuzzing quiet). */
	f->reject_log = (struct dxg_ratelimit)DXG_RATELIMIT_INIT(1000, 0);
	if (vm_init(&f->vm, &f->vk, FUZZ_VM_GENERATION, FUZZ_VM_HEAP_SIZE,
		    (config & FUZZ_VM_CONFIG_SMALL_LIMITS) ? &small : &defaults)) {
		fprintf(stderr, "fuzz_vm: vm_init failed\n");
		abort();
	}
}

void fuzz_vm_stop(struct fuzz_vm *f)
{
	vm_fini(&f->vm);
}
