// SPDX-License-Identifier: MIT
#include "fuzz_vm.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <misc/opendxg.h>

#include "memory.h"

/* ---- device-local memory without a GPU ---- */

struct fake_buffer {
	uint64_t size;
	unsigned char *data;
};

static uint64_t device_used;
static int device_token;

static int fake_open(const struct vk_adapter *a, VkInstance instance, struct vk_device **out)
{
	(void)a;
	(void)instance;
	*out = (struct vk_device *)&device_token;
	return 0;
}

static void fake_close(struct vk_device *d)
{
	(void)d;
}

static uint64_t fake_max_buffer(const struct vk_device *d)
{
	(void)d;
	return FUZZ_VM_DEVICE_BYTES;
}

static int fake_create(struct vk_device *d, uint64_t size, struct vk_buffer **out)
{
	struct fake_buffer *b;

	(void)d;
	if (size > FUZZ_VM_DEVICE_BYTES - device_used)
		return -ENOMEM;
	b = calloc(1, sizeof(*b));
	if (!b || !(b->data = calloc(1, size))) {
		free(b);
		return -ENOMEM;
	}
	b->size = size;
	device_used += size;
	*out = (struct vk_buffer *)b;
	return 0;
}

static void fake_destroy(struct vk_buffer *vb)
{
	struct fake_buffer *b = (struct fake_buffer *)vb;

	device_used -= b->size;
	free(b->data);
	free(b);
}

/* memory.c only asks for whole buffers; anything else would be a host bug the fuzzer finds. */
static int fake_read(struct vk_buffer *vb, uint64_t off, void *dst, uint64_t len)
{
	struct fake_buffer *b = (struct fake_buffer *)vb;

	if (off > b->size || len > b->size - off)
		abort();
	memcpy(dst, b->data + off, len);
	return 0;
}

static int fake_write(struct vk_buffer *vb, uint64_t off, const void *src, uint64_t len)
{
	struct fake_buffer *b = (struct fake_buffer *)vb;

	if (off > b->size || len > b->size - off)
		abort();
	memcpy(b->data + off, src, len);
	return 0;
}

static const struct mem_device_ops fake_device_ops = {
	.open = fake_open,
	.close = fake_close,
	.max_buffer = fake_max_buffer,
	.buffer_create = fake_create,
	.buffer_destroy = fake_destroy,
	.buffer_read = fake_read,
	.buffer_write = fake_write,
};

uint64_t fuzz_vm_device_bytes(void)
{
	return device_used;
}

/* One region for the whole process: untouched pages cost nothing, zeroing punches holes. */
static unsigned char *region;
static int region_fd = -1;

unsigned char *fuzz_vm_region(void)
{
	return region;
}

static void map_region(void)
{
	if (region)
		return;
	region_fd = memfd_create("fuzz-vm-region", MFD_CLOEXEC);
	if (region_fd < 0 || ftruncate(region_fd, (off_t)FUZZ_VM_REGION_SIZE) != 0) {
		perror("fuzz_vm: region");
		abort();
	}
	region = mmap(NULL, FUZZ_VM_REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, region_fd, 0);
	if (region == MAP_FAILED) {
		perror("fuzz_vm: mmap");
		abort();
	}
}

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
	const struct vm_memory_quota default_quota = VM_MEMORY_DEFAULT_QUOTA;
	const struct vm_memory_quota small_quota = FUZZ_VM_SMALL_MEMORY;
	const bool small_limits = config & FUZZ_VM_CONFIG_SMALL_LIMITS;
	uint32_t count = config & FUZZ_VM_CONFIG_ADAPTERS_MASK;
	struct vm_memory_setup setup;

	memset(f, 0, sizeof(*f));
	f->config = config;
	for (uint32_t i = 0; i < count; i++)
		fake_adapter(&f->adapters[i], i);
	f->vk.adapters = f->adapters;
	f->vk.adapter_count = count;
	/* Burst 0: rejections are counted by the limiter, never printed (keeps fuzzing quiet). */
	f->reject_log = (struct dxg_ratelimit)DXG_RATELIMIT_INIT(1000, 0);
	map_region();
	setup = (struct vm_memory_setup){
		.region = region,
		.region_fd = region_fd,
		.fence_offset = FUZZ_VM_FENCE_OFFSET,
		.fence_size = FUZZ_VM_FENCE_SIZE,
		.heap_offset = FUZZ_VM_HEAP_OFFSET,
		.heap_size = FUZZ_VM_HEAP_SIZE,
		.quota = small_limits ? small_quota : default_quota,
		.device_ops = &fake_device_ops,
	};
	if (vm_init(&f->vm, &f->vk, FUZZ_VM_GENERATION, small_limits ? &small : &defaults,
		    &setup)) {
		fprintf(stderr, "fuzz_vm: vm_init failed\n");
		abort();
	}
}

void fuzz_vm_stop(struct fuzz_vm *f)
{
	vm_fini(&f->vm);
}
