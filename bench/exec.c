/* SPDX-License-Identifier: MIT */
/*
 * dxg-bench-exec: compute through opendxg next to the same compute done directly with host
 * Vulkan, in one run.
 *
 *   dispatch     one SPIR-V kernel (bench/shaders/lcg.comp), a large dispatch (sized so that
 *                the direct path takes at least 10 ms) and a small one (one workgroup), timed
 *                from submission to completion seen by the submitter:
 *                  direct   the benchmark opens the Vulkan device itself (lavapipe, or the first
 *                           device), records the dispatch once and times vkQueueSubmit + wait
 *                           for a VkFence;
 *                  opendxg  a user-space guest of a dxgd the benchmark starts: the same module
 *                           as a PROGRAM allocation, the data in a host-visible (zero-copy) or a
 *                           device-local allocation mapped in the GPU VA space, one command
 *                           buffer, SUBMIT to a hardware queue, wait for its progress fence.
 *   empty        submissions of empty command buffers per second, waiting for each one, and
 *                pipelined (all submitted, then one wait): the per-submission cost of each path.
 *   latency      fence signal-to-wake: a second process sleeps until a fence moves. For
 *                opendxg, the waiter is a forked copy of the user-space guest that sleeps on the
 *                VM's ring interrupt (uguest_wait_fence(), what a guest kernel does) while the
 *                parent (a) signals the fence with SIGNAL_FROM_CPU or (b) submits an empty
 *                command buffer whose progress fence the child waits for; the baseline is a
 *                plain eventfd write between two processes.
 *
 * Output: medians and ratios side by side. Nothing here is a pass/fail threshold; the program
 * fails only when something fails (a wrong result, an error). docs/bench.md explains it.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vulkan/vulkan.h>

#include <misc/d3dkmthk.h>
#include <misc/opendxg.h>
#include <opendxg/wire.h>

#include "bench_dxgd.h"
#include "lcg_comp_spv.h"
#include "uguest.h"

#define DEFAULT_SAMPLES 15u
#define QUICK_SAMPLES 3u
#define DEFAULT_SUBMITS 1000u
#define QUICK_SUBMITS 100u
#define DEFAULT_REGION "64M"

#define LOCAL_SIZE 64u
#define LARGE_N (1u << 20)
#define SMALL_N LOCAL_SIZE
#define SMALL_ITERATIONS 16u
/*
 * The large dispatch is sized for 25 ms on the direct path and accepted from 20 ms: the case
 * needs at least 10 ms, and a shared machine's speed moves between calibration and timing.
 */
#define LARGE_TARGET_NS 25000000ull
#define LARGE_ACCEPT_NS 20000000ull
#define DATA_BYTES ((uint64_t)LARGE_N * 4)
#define CMD_BYTES 4096u
/* Where each command buffer lives in the command area (offsets kept 256-aligned). */
#define CMD_SLOT(i) ((uint64_t)(i) * 512u)

struct options {
	const char *dxgd;
	const char *region_size;
	unsigned samples;
	unsigned submits;
	bool quick;
	bool json;
};

struct push {
	uint32_t n;
	uint32_t iterations;
};

enum { CASE_LARGE, CASE_SMALL, CASES };
static const char *const case_names[CASES] = { "large", "small" };

/*
 * What the per-submission rows submit: an empty command buffer (dxgd completes it without the
 * device once the queue's earlier work is done), and one holding a single BARRIER (it reaches
 * Vulkan: recorded, submitted, its completion reaped). Directly: an empty VkCommandBuffer, and
 * one with one vkCmdPipelineBarrier.
 */
enum { SUBMIT_EMPTY, SUBMIT_BARRIER, SUBMIT_KINDS };
static const char *const submit_names[SUBMIT_KINDS] = { "empty", "one BARRIER" };

/* The latency rows, in print order. */
enum { LAT_RAW, LAT_RELAY, LAT_SIGNAL, LAT_SUBMIT_EMPTY, LAT_SUBMIT_BARRIER, LATENCIES };
static const char *const latency_names[LATENCIES] = {
	"raw: eventfd write -> poll() wakes",
	"relay: eventfd -> process -> eventfd -> wakes",
	"SIGNAL_FROM_CPU -> fence waiter wakes",
	"empty SUBMIT -> progress fence waiter wakes",
	"one-BARRIER SUBMIT -> progress fence waiter wakes",
};
static const char *const latency_keys[LATENCIES] = {
	"raw_eventfd", "relay_eventfd", "signal_from_cpu", "empty_submit", "barrier_submit",
};

struct results {
	char device[256];
	uint32_t n[CASES], iterations[CASES];
	double direct_ms[CASES], hv_ms[CASES], dl_ms[CASES];
	/* Submissions per second: [kind][wait each, pipelined]. */
	double direct_rate[SUBMIT_KINDS][2], odx_rate[SUBMIT_KINDS][2];
	double latency_us[LATENCIES], latency_p90[LATENCIES];	/* LAT_*: median and p90 */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Nearest-rank percentile of sorted values. */
static double percentile(const double *sorted, unsigned n, unsigned pct)
{
	unsigned rank = (n * pct + 99) / 100;

	return sorted[rank ? rank - 1 : 0];
}

static uint32_t lcg_reference(uint32_t v, uint32_t iterations)
{
	for (uint32_t k = 0; k < iterations; k++)
		v = v * 1664525u + 1013904223u;
	return v;
}

static void fill_data(uint32_t *d, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		d[i] = i * 2654435761u;
}

static bool check_data(const uint32_t *d, uint32_t n, uint32_t iterations, const char *what)
{
	for (uint32_t i = 0; i < n; i++) {
		if (d[i] != lcg_reference(i * 2654435761u, iterations)) {
			fprintf(stderr, "dxg-bench-exec: %s: element %u is %#x, expected %#x\n", what,
				i, d[i], lcg_reference(i * 2654435761u, iterations));
			return false;
		}
	}
	return true;
}

/* ---- direct Vulkan ---- */

struct direct {
	VkInstance instance;
	VkPhysicalDevice phys;
	VkDevice dev;
	VkQueue queue;
	uint32_t family;
	VkBuffer buffer;
	VkDeviceMemory memory;
	uint32_t *data;
	VkShaderModule module;
	VkDescriptorSetLayout set_layout;
	VkPipelineLayout layout;
	VkPipeline pipeline;
	VkDescriptorPool pool;
	VkDescriptorSet set;
	VkCommandPool cmd_pool;
	VkCommandBuffer dispatch[CASES];
	VkCommandBuffer empty;
	VkCommandBuffer barrier;
	VkFence fence;
	char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
};

#define VK_TRY(call) \
	do { \
		VkResult r_ = (call); \
		if (r_ != VK_SUCCESS) { \
			fprintf(stderr, "dxg-bench-exec: %s: VkResult %d\n", #call, (int)r_); \
			return -EIO; \
		} \
	} while (0)

/* The device dxgd would use first: a CPU device (lavapipe) if there is one, else the first. */
static int direct_pick_device(struct direct *v)
{
	VkPhysicalDevice devs[16];
	uint32_t count = 16;

	VK_TRY(vkEnumeratePhysicalDevices(v->instance, &count, devs));
	if (count == 0)
		return -ENODEV;
	v->phys = devs[0];
	for (uint32_t i = 0; i < count; i++) {
		VkPhysicalDeviceProperties p;

		vkGetPhysicalDeviceProperties(devs[i], &p);
		if (p.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU) {
			v->phys = devs[i];
			break;
		}
	}
	{
		VkPhysicalDeviceProperties p;
		VkQueueFamilyProperties fams[16];
		uint32_t nfam = 16;

		vkGetPhysicalDeviceProperties(v->phys, &p);
		snprintf(v->name, sizeof(v->name), "%s", p.deviceName);
		vkGetPhysicalDeviceQueueFamilyProperties(v->phys, &nfam, fams);
		for (v->family = 0; v->family < nfam; v->family++)
			if (fams[v->family].queueFlags & VK_QUEUE_COMPUTE_BIT)
				break;
		if (v->family == nfam)
			return -ENODEV;
	}
	return 0;
}

static int direct_memory_type(struct direct *v, uint32_t bits, VkMemoryPropertyFlags want)
{
	VkPhysicalDeviceMemoryProperties mp;

	vkGetPhysicalDeviceMemoryProperties(v->phys, &mp);
	for (uint32_t i = 0; i < mp.memoryTypeCount; i++)
		if ((bits & (1u << i)) && (mp.memoryTypes[i].propertyFlags & want) == want)
			return (int)i;
	return -1;
}

static int direct_open(struct direct *v)
{
	const VkApplicationInfo app = {
		.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
		.pApplicationName = "dxg-bench-exec",
		.apiVersion = VK_API_VERSION_1_1,
	};
	const VkInstanceCreateInfo ici = {
		.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
		.pApplicationInfo = &app,
	};
	const float prio = 1.0f;
	VkDeviceQueueCreateInfo qci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
		.queueCount = 1,
		.pQueuePriorities = &prio,
	};
	const VkDeviceCreateInfo dci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
		.queueCreateInfoCount = 1,
		.pQueueCreateInfos = &qci,
	};
	const VkDescriptorSetLayoutBinding binding = {
		.binding = 0,
		.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
		.descriptorCount = 1,
		.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
	};
	const VkPushConstantRange range = {
		.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
		.size = sizeof(struct push),
	};
	const VkDescriptorPoolSize pool_size = {
		.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, .descriptorCount = 1,
	};
	VkMemoryRequirements req;
	int type;
	int ret;

	VK_TRY(vkCreateInstance(&ici, NULL, &v->instance));
	ret = direct_pick_device(v);
	if (ret)
		return ret;
	qci.queueFamilyIndex = v->family;
	VK_TRY(vkCreateDevice(v->phys, &dci, NULL, &v->dev));
	vkGetDeviceQueue(v->dev, v->family, 0, &v->queue);

	VK_TRY(vkCreateBuffer(v->dev, &(VkBufferCreateInfo){
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.size = DATA_BYTES,
		.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
	}, NULL, &v->buffer));
	vkGetBufferMemoryRequirements(v->dev, v->buffer, &req);
	type = direct_memory_type(v, req.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
					  VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
	if (type < 0)
		return -ENODEV;
	VK_TRY(vkAllocateMemory(v->dev, &(VkMemoryAllocateInfo){
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.allocationSize = req.size,
		.memoryTypeIndex = (uint32_t)type,
	}, NULL, &v->memory));
	VK_TRY(vkBindBufferMemory(v->dev, v->buffer, v->memory, 0));
	VK_TRY(vkMapMemory(v->dev, v->memory, 0, VK_WHOLE_SIZE, 0, (void **)&v->data));

	VK_TRY(vkCreateShaderModule(v->dev, &(VkShaderModuleCreateInfo){
		.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
		.codeSize = sizeof(lcg_comp_spv),
		.pCode = lcg_comp_spv,
	}, NULL, &v->module));
	VK_TRY(vkCreateDescriptorSetLayout(v->dev, &(VkDescriptorSetLayoutCreateInfo){
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
		.bindingCount = 1,
		.pBindings = &binding,
	}, NULL, &v->set_layout));
	VK_TRY(vkCreatePipelineLayout(v->dev, &(VkPipelineLayoutCreateInfo){
		.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
		.setLayoutCount = 1,
		.pSetLayouts = &v->set_layout,
		.pushConstantRangeCount = 1,
		.pPushConstantRanges = &range,
	}, NULL, &v->layout));
	VK_TRY(vkCreateComputePipelines(v->dev, VK_NULL_HANDLE, 1, &(VkComputePipelineCreateInfo){
		.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
		.stage = {
			.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
			.stage = VK_SHADER_STAGE_COMPUTE_BIT,
			.module = v->module,
			.pName = "main",
		},
		.layout = v->layout,
	}, NULL, &v->pipeline));
	VK_TRY(vkCreateDescriptorPool(v->dev, &(VkDescriptorPoolCreateInfo){
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
		.maxSets = 1,
		.poolSizeCount = 1,
		.pPoolSizes = &pool_size,
	}, NULL, &v->pool));
	VK_TRY(vkAllocateDescriptorSets(v->dev, &(VkDescriptorSetAllocateInfo){
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
		.descriptorPool = v->pool,
		.descriptorSetCount = 1,
		.pSetLayouts = &v->set_layout,
	}, &v->set));
	vkUpdateDescriptorSets(v->dev, 1, &(VkWriteDescriptorSet){
		.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
		.dstSet = v->set,
		.descriptorCount = 1,
		.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
		.pBufferInfo = &(VkDescriptorBufferInfo){ .buffer = v->buffer, .range = DATA_BYTES },
	}, 0, NULL);
	VK_TRY(vkCreateCommandPool(v->dev, &(VkCommandPoolCreateInfo){
		.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
		.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
		.queueFamilyIndex = v->family,
	}, NULL, &v->cmd_pool));
	{
		VkCommandBuffer cbs[CASES + 2];

		VK_TRY(vkAllocateCommandBuffers(v->dev, &(VkCommandBufferAllocateInfo){
			.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
			.commandPool = v->cmd_pool,
			.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
			.commandBufferCount = CASES + 2,
		}, cbs));
		for (int i = 0; i < CASES; i++)
			v->dispatch[i] = cbs[i];
		v->empty = cbs[CASES];
		v->barrier = cbs[CASES + 1];
	}
	VK_TRY(vkBeginCommandBuffer(v->empty, &(VkCommandBufferBeginInfo){
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
	}));
	VK_TRY(vkEndCommandBuffer(v->empty));
	VK_TRY(vkBeginCommandBuffer(v->barrier, &(VkCommandBufferBeginInfo){
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
	}));
	vkCmdPipelineBarrier(v->barrier, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT,
			     VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0, 1, &(VkMemoryBarrier){
				     .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
				     .srcAccessMask = VK_ACCESS_MEMORY_WRITE_BIT,
				     .dstAccessMask = VK_ACCESS_MEMORY_READ_BIT |
						      VK_ACCESS_MEMORY_WRITE_BIT,
			     }, 0, NULL, 0, NULL);
	VK_TRY(vkEndCommandBuffer(v->barrier));
	VK_TRY(vkCreateFence(v->dev, &(VkFenceCreateInfo){
		.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO,
	}, NULL, &v->fence));
	return 0;
}

/*
 * Records the dispatch once; the timed loop only submits it. The barrier after it makes the
 * results visible to the host, as opendxg's jobs end with one too.
 */
static int direct_record(struct direct *v, int c, uint32_t n, uint32_t iterations)
{
	const struct push push = { n, iterations };
	VkCommandBuffer cb = v->dispatch[c];

	VK_TRY(vkResetCommandBuffer(cb, 0));
	VK_TRY(vkBeginCommandBuffer(cb, &(VkCommandBufferBeginInfo){
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
	}));
	vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, v->pipeline);
	vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, v->layout, 0, 1, &v->set, 0,
				NULL);
	vkCmdPushConstants(cb, v->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(push), &push);
	vkCmdDispatch(cb, (n + LOCAL_SIZE - 1) / LOCAL_SIZE, 1, 1);
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT,
			     0, 1, &(VkMemoryBarrier){
				     .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
				     .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
				     .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
			     }, 0, NULL, 0, NULL);
	VK_TRY(vkEndCommandBuffer(cb));
	return 0;
}

/* Submits `cb` (count times, a fence on the last) and waits: nanoseconds for all of it. */
static int direct_run(struct direct *v, VkCommandBuffer cb, unsigned count, uint64_t *ns)
{
	const VkSubmitInfo si = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.commandBufferCount = 1,
		.pCommandBuffers = &cb,
	};
	uint64_t t0 = now_ns();

	for (unsigned i = 0; i < count; i++)
		VK_TRY(vkQueueSubmit(v->queue, 1, &si, i + 1 == count ? v->fence : VK_NULL_HANDLE));
	VK_TRY(vkWaitForFences(v->dev, 1, &v->fence, VK_TRUE, UINT64_MAX));
	*ns = now_ns() - t0;
	VK_TRY(vkResetFences(v->dev, 1, &v->fence));
	return 0;
}

static void direct_close(struct direct *v)
{
	if (!v->dev) {
		if (v->instance)
			vkDestroyInstance(v->instance, NULL);
		return;
	}
	vkDeviceWaitIdle(v->dev);
	if (v->fence)
		vkDestroyFence(v->dev, v->fence, NULL);
	if (v->cmd_pool)
		vkDestroyCommandPool(v->dev, v->cmd_pool, NULL);
	if (v->pool)
		vkDestroyDescriptorPool(v->dev, v->pool, NULL);
	if (v->pipeline)
		vkDestroyPipeline(v->dev, v->pipeline, NULL);
	if (v->layout)
		vkDestroyPipelineLayout(v->dev, v->layout, NULL);
	if (v->set_layout)
		vkDestroyDescriptorSetLayout(v->dev, v->set_layout, NULL);
	if (v->module)
		vkDestroyShaderModule(v->dev, v->module, NULL);
	if (v->buffer)
		vkDestroyBuffer(v->dev, v->buffer, NULL);
	if (v->memory)
		vkFreeMemory(v->dev, v->memory, NULL);
	vkDestroyDevice(v->dev, NULL);
	vkDestroyInstance(v->instance, NULL);
}

/* ---- opendxg through a user-space guest ---- */

struct odx_buf {
	uint32_t allocation;
	uint64_t va;
	void *cpu;			/* host-visible only */
};

struct odx {
	struct uguest *g;
	uint32_t process, adapter, device, hw_context, program;
	struct uguest_hw_queue hw;
	uint64_t hw_value;
	struct uguest_paging_queue pq;
	struct odx_buf hv, dl, cmd;
	uint32_t cmd_len[8];		/* per CMD_SLOT */
};

#define TRY(call) \
	do { \
		int r_ = (call); \
		if (r_ < 0) { \
			fprintf(stderr, "dxg-bench-exec: %s: %s\n", #call, strerror(-r_)); \
			return r_; \
		} \
	} while (0)

static int odx_buf(struct odx *o, uint32_t kind, uint64_t size, uint64_t protection,
		   struct odx_buf *b)
{
	TRY(uguest_alloc(o->g, o->process, o->device, kind, size, &b->allocation));
	TRY(uguest_map_allocation(o->g, o->process, &o->pq, b->allocation, size, protection,
				  &b->va));
	if (kind == OPENDXG_ALLOC_KIND_HOST_VISIBLE) {
		struct uguest_lock l;

		TRY(uguest_lock(o->g, o->process, o->device, b->allocation, &l));
		b->cpu = uguest_lock_ptr(o->g, &l);
		if (!b->cpu)
			return -EPROTO;
	}
	return 0;
}

static int odx_open(struct odx *o, const char *socket_path)
{
	struct uguest_adapter adapters[4];
	struct uguest_context_args ctx = {
		.flags = D3DDDI_CREATECONTEXT_FLAG_HW_QUEUE_SUPPORTED,
	};
	struct uguest_alloc_desc prog = {
		.kind = OPENDXG_ALLOC_KIND_PROGRAM,
		.size = sizeof(lcg_comp_spv),
		.code_size = sizeof(lcg_comp_spv),
		.code = lcg_comp_spv,
	};
	struct uguest_create_allocation_args args = { .descs = &prog, .count = 1 };
	struct uguest_alloc_result res;
	uint32_t count = 0;

	memset(o, 0, sizeof(*o));
	TRY(uguest_connect(socket_path, NULL, &o->g));
	TRY(uguest_enum_adapters(o->g, adapters, 4, &count));
	if (count == 0)
		return -ENODEV;
	o->adapter = adapters[0].handle;
	TRY(uguest_create_process(o->g, (uint32_t)getpid(), "bench-exec", &o->process));
	TRY(uguest_open_adapter(o->g, o->process, o->adapter));
	TRY(uguest_create_device(o->g, o->process, o->adapter, 0, &o->device));
	ctx.device = o->device;
	TRY(uguest_create_context(o->g, o->process, &ctx, &o->hw_context));
	TRY(uguest_create_hw_queue(o->g, o->process, o->hw_context, 0, NULL, 0, &o->hw));
	TRY(uguest_create_paging_queue(o->g, o->process, o->device, 0, &o->pq));
	args.device = o->device;
	TRY(uguest_create_allocation(o->g, o->process, &args, NULL, &res));
	o->program = res.allocation;
	TRY(odx_buf(o, OPENDXG_ALLOC_KIND_HOST_VISIBLE, DATA_BYTES, D3DDDIGPUVA_PROTECTION_WRITE,
		    &o->hv));
	TRY(odx_buf(o, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, DATA_BYTES, D3DDDIGPUVA_PROTECTION_WRITE,
		    &o->dl));
	TRY(odx_buf(o, OPENDXG_ALLOC_KIND_HOST_VISIBLE, CMD_BYTES, 0, &o->cmd));
	return 0;
}

static void odx_close(struct odx *o)
{
	if (!o->g)
		return;
	if (o->process)
		uguest_destroy_process(o->g, o->process);
	uguest_close(o->g);
	o->g = NULL;
}

/* Builds a command buffer in slot `slot` of the command area: a dispatch, or nothing. */
static int odx_build(struct odx *o, unsigned slot, const struct odx_buf *data, uint32_t n,
		     uint32_t iterations)
{
	struct uguest_cmdbuf cb;
	int len;

	uguest_cmd_init(&cb, (unsigned char *)o->cmd.cpu + CMD_SLOT(slot), 512);
	if (data) {
		const struct uguest_cmd_binding b = { .va = data->va, .size = (uint64_t)n * 4 };
		const struct push push = { htole32(n), htole32(iterations) };

		uguest_cmd_dispatch(&cb, o->program, "main", (n + LOCAL_SIZE - 1) / LOCAL_SIZE, 1,
				    1, &b, 1, &push, sizeof(push));
	}
	len = uguest_cmd_finish(&cb);
	if (len < 0)
		return len;
	o->cmd_len[slot] = (uint32_t)len;
	return 0;
}

static int odx_submit(struct odx *o, unsigned slot)
{
	return uguest_submit(o->g, o->process, o->hw.queue, 0, o->cmd.va + CMD_SLOT(slot),
			     o->cmd_len[slot], ++o->hw_value);
}

/* Submits slot `slot` `count` times and waits for the last: nanoseconds for all of it. */
static int odx_run(struct odx *o, unsigned slot, unsigned count, uint64_t *ns)
{
	uint64_t t0 = now_ns();

	for (unsigned i = 0; i < count; i++)
		TRY(odx_submit(o, slot));
	TRY(uguest_wait_fence(o->g, o->hw.fence_offset, o->hw_value));
	*ns = now_ns() - t0;
	return 0;
}

/* Device-local data: filled and read back through COPY packets from the host-visible buffer. */
static int odx_copy(struct odx *o, const struct odx_buf *from, const struct odx_buf *to,
		    uint64_t size)
{
	uint64_t ns;

	{
		struct uguest_cmdbuf cb;
		int len;

		uguest_cmd_init(&cb, (unsigned char *)o->cmd.cpu + CMD_SLOT(7), 512);
		uguest_cmd_copy(&cb, from->va, to->va, size);
		len = uguest_cmd_finish(&cb);
		if (len < 0)
			return len;
		o->cmd_len[7] = (uint32_t)len;
	}
	return odx_run(o, 7, 1, &ns);
}

/* ---- the dispatch comparison ---- */

enum { SLOT_LARGE_HV, SLOT_LARGE_DL, SLOT_SMALL_HV, SLOT_SMALL_DL, SLOT_EMPTY, SLOT_BARRIER };

/* One correct run on each path before anything is timed: a wrong result ends the benchmark. */
static int verify(struct direct *v, struct odx *o, int c, uint32_t n, uint32_t iterations)
{
	uint64_t ns;

	fill_data(v->data, n);
	TRY(direct_run(v, v->dispatch[c], 1, &ns));
	if (!check_data(v->data, n, iterations, "direct"))
		return -EIO;
	fill_data(o->hv.cpu, n);
	TRY(odx_run(o, c == CASE_LARGE ? SLOT_LARGE_HV : SLOT_SMALL_HV, 1, &ns));
	if (!check_data(o->hv.cpu, n, iterations, "opendxg host-visible"))
		return -EIO;
	fill_data(o->hv.cpu, n);
	TRY(odx_copy(o, &o->hv, &o->dl, (uint64_t)n * 4));
	memset(o->hv.cpu, 0, (size_t)n * 4);
	TRY(odx_run(o, c == CASE_LARGE ? SLOT_LARGE_DL : SLOT_SMALL_DL, 1, &ns));
	TRY(odx_copy(o, &o->dl, &o->hv, (uint64_t)n * 4));
	if (!check_data(o->hv.cpu, n, iterations, "opendxg device-local"))
		return -EIO;
	return 0;
}

/* Iterations that make the large dispatch take LARGE_TARGET_NS on the direct path. */
static int calibrate_large(struct direct *v, uint32_t *iterations)
{
	uint32_t it = 16;

	for (int round = 0; round < 8; round++) {
		uint64_t ns, best = UINT64_MAX;

		TRY(direct_record(v, CASE_LARGE, LARGE_N, it));
		for (int k = 0; k < 3; k++) {
			TRY(direct_run(v, v->dispatch[CASE_LARGE], 1, &ns));
			if (ns < best)
				best = ns;
		}
		if (best >= LARGE_ACCEPT_NS || it >= (1u << 20))
			break;
		{
			double scale = (double)LARGE_TARGET_NS / (double)(best ? best : 1);
			uint64_t next = (uint64_t)((double)it * (scale > 16 ? 16 : scale) + 1);

			it = next > (1u << 20) ? (1u << 20) : (uint32_t)next;
		}
	}
	*iterations = it;
	return 0;
}

static int bench_dispatch(struct direct *v, struct odx *o, const struct options *opt,
			  struct results *r)
{
	double *d = calloc(opt->samples, sizeof(double));
	double *h = calloc(opt->samples, sizeof(double));
	double *l = calloc(opt->samples, sizeof(double));
	int ret = -ENOMEM;

	if (!d || !h || !l)
		goto out;
	r->n[CASE_LARGE] = LARGE_N;
	r->n[CASE_SMALL] = SMALL_N;
	r->iterations[CASE_SMALL] = SMALL_ITERATIONS;
	ret = calibrate_large(v, &r->iterations[CASE_LARGE]);
	if (ret)
		goto out;
	ret = direct_record(v, CASE_SMALL, SMALL_N, SMALL_ITERATIONS);
	for (int c = 0; !ret && c < CASES; c++) {
		unsigned hv_slot = c == CASE_LARGE ? SLOT_LARGE_HV : SLOT_SMALL_HV;
		unsigned dl_slot = c == CASE_LARGE ? SLOT_LARGE_DL : SLOT_SMALL_DL;

		ret = odx_build(o, hv_slot, &o->hv, r->n[c], r->iterations[c]);
		if (!ret)
			ret = odx_build(o, dl_slot, &o->dl, r->n[c], r->iterations[c]);
		if (!ret)
			ret = verify(v, o, c, r->n[c], r->iterations[c]);
		if (!opt->json && !ret)
			fprintf(stderr, "timing the %s dispatch (%u elements x %u iterations)...\n",
				case_names[c], r->n[c], r->iterations[c]);
		/* Alternate sample by sample: drift (frequency, neighbours) hits every path alike. */
		for (unsigned i = 0; !ret && i < opt->samples; i++) {
			uint64_t ns_d = 0, ns_h = 0, ns_l = 0;

			ret = direct_run(v, v->dispatch[c], 1, &ns_d);
			if (!ret)
				ret = odx_run(o, hv_slot, 1, &ns_h);
			if (!ret)
				ret = odx_run(o, dl_slot, 1, &ns_l);
			d[i] = (double)ns_d / 1e6;
			h[i] = (double)ns_h / 1e6;
			l[i] = (double)ns_l / 1e6;
		}
		if (!ret) {
			r->direct_ms[c] = median(d, opt->samples);
			r->hv_ms[c] = median(h, opt->samples);
			r->dl_ms[c] = median(l, opt->samples);
		}
	}
out:
	free(d);
	free(h);
	free(l);
	return ret;
}

static int bench_submissions(struct direct *v, struct odx *o, const struct options *opt,
			     struct results *r)
{
	double *ds = calloc(opt->samples, sizeof(double)), *os = calloc(opt->samples, sizeof(double));
	double *dp = calloc(opt->samples, sizeof(double)), *op = calloc(opt->samples, sizeof(double));
	int ret = -ENOMEM;

	if (!ds || !os || !dp || !op)
		goto out;
	ret = odx_build(o, SLOT_EMPTY, NULL, 0, 0);
	if (!ret) {
		struct uguest_cmdbuf cb;

		uguest_cmd_init(&cb, (unsigned char *)o->cmd.cpu + CMD_SLOT(SLOT_BARRIER), 512);
		uguest_cmd_barrier(&cb);
		ret = uguest_cmd_finish(&cb);
		if (ret > 0) {
			o->cmd_len[SLOT_BARRIER] = (uint32_t)ret;
			ret = 0;
		}
	}
	for (int kind = 0; !ret && kind < SUBMIT_KINDS; kind++) {
		VkCommandBuffer dcb = kind == SUBMIT_EMPTY ? v->empty : v->barrier;
		unsigned slot = kind == SUBMIT_EMPTY ? SLOT_EMPTY : SLOT_BARRIER;

		if (!opt->json)
			fprintf(stderr, "timing %u submissions (%s) per sample...\n", opt->submits,
				submit_names[kind]);
		for (unsigned i = 0; !ret && i < opt->samples; i++) {
			uint64_t total = 0, ns = 0;

			/* One at a time: submit, wait, next. */
			for (unsigned k = 0; !ret && k < opt->submits; k++) {
				ret = direct_run(v, dcb, 1, &ns);
				total += ns;
			}
			ds[i] = (double)opt->submits * 1e9 / (double)(total ? total : 1);
			total = 0;
			for (unsigned k = 0; !ret && k < opt->submits; k++) {
				ret = odx_run(o, slot, 1, &ns);
				total += ns;
			}
			os[i] = (double)opt->submits * 1e9 / (double)(total ? total : 1);
			/* Pipelined: every submission first, one wait for the last. */
			if (!ret)
				ret = direct_run(v, dcb, opt->submits, &ns);
			dp[i] = (double)opt->submits * 1e9 / (double)(ns ? ns : 1);
			if (!ret)
				ret = odx_run(o, slot, opt->submits, &ns);
			op[i] = (double)opt->submits * 1e9 / (double)(ns ? ns : 1);
		}
		if (!ret) {
			r->direct_rate[kind][0] = median(ds, opt->samples);
			r->odx_rate[kind][0] = median(os, opt->samples);
			r->direct_rate[kind][1] = median(dp, opt->samples);
			r->odx_rate[kind][1] = median(op, opt->samples);
		}
	}
out:
	free(ds);
	free(os);
	free(dp);
	free(op);
	return ret;
}

/* ---- fence signal-to-wake latency ---- */

/* Shared between the signalling parent and the waiting child (MAP_SHARED anonymous page). */
struct wake_shared {
	volatile uint64_t ready;	/* the child is about to wait for round `ready` */
	volatile uint64_t woke;		/* the child saw round `woke` */
	volatile uint64_t woke_ns;	/* when (CLOCK_MONOTONIC: one clock for both processes) */
	volatile int failed;
};

/*
 * WAKE_RAW: one eventfd write wakes the waiter (one wake-up). WAKE_RELAY: a relay process
 * sleeps on one eventfd and writes the waiter's (two wake-ups, the shape of a guest's doorbell
 * to the host plus the host's interrupt back). WAKE_SIGNAL, WAKE_SUBMIT: through dxgd.
 */
enum wake_kind { WAKE_RAW, WAKE_RELAY, WAKE_SIGNAL, WAKE_SUBMIT };


struct wake_setup {
	enum wake_kind kind;
	int efd;			/* WAKE_RAW, WAKE_RELAY: the one the parent writes */
	int efd_relay;			/* WAKE_RELAY: the one the relay writes */
	struct odx *o;			/* WAKE_SIGNAL, WAKE_SUBMIT */
	struct uguest_sync_object fence;	/* WAKE_SIGNAL */
	uint64_t base;			/* WAKE_SUBMIT: progress value before round 1 */
	unsigned slot;			/* WAKE_SUBMIT: the command buffer submitted */
};

/*
 * The parent polls with short sleeps instead of spinning: on a small machine a spinning parent
 * would take the CPU that dxgd's worker or the waking child needs, and inflate what is measured
 * (which is timed by the child's clock, so the polling interval does not enter it).
 */
static void wait_until(volatile uint64_t *word, uint64_t value, volatile int *failed)
{
	const struct timespec pause = { .tv_nsec = 20000 };

	while (__atomic_load_n(word, __ATOMIC_SEQ_CST) < value && !*failed)
		nanosleep(&pause, NULL);
}

/*
 * Sends the signal (SIGNAL_FROM_CPU of one fence, or SUBMIT of the empty buffer) without
 * waiting for dxgd's reply: the parent collects the reply only after the child woke, so it is
 * not running (spinning for the reply) while the wake-up happens.
 */
static int wake_send(struct wake_setup *w, uint64_t round, uint64_t *request_id)
{
	struct odx *o = w->o;

	if (w->kind == WAKE_SIGNAL) {
		struct {
			struct dxgw_signal_from_cpu_req req;
			dxg_le32 handles[2];
			dxg_le64 value;
		} body;

		memset(&body, 0, sizeof(body));
		body.req.device = dxg_to_le32(o->device);
		body.req.count = dxg_to_le32(1);
		body.handles[0] = dxg_to_le32(w->fence.handle);
		body.value = dxg_to_le64(round);
		return uguest_send(o->g, DXGW_OP_SIGNAL_FROM_CPU, o->process, &body, sizeof(body),
				   request_id);
	} else {
		struct dxgw_submit_req req;

		memset(&req, 0, sizeof(req));
		req.queue = dxg_to_le32(o->hw.queue);
		req.command_buffer = dxg_to_le64(o->cmd.va + CMD_SLOT(w->slot));
		req.length = dxg_to_le32(o->cmd_len[w->slot]);
		req.progress_fence_value = dxg_to_le64(++o->hw_value);
		return uguest_send(o->g, DXGW_OP_SUBMIT, o->process, &req, sizeof(req),
				   request_id);
	}
}

/* The child: for each round, announce, sleep until the fence (or eventfd) moves, record. */
__attribute__((noreturn)) static void wake_child(struct wake_shared *sh, const struct wake_setup *w,
						 unsigned rounds)
{
	for (uint64_t round = 1; round <= rounds; round++) {
		int ret = 0;

		__atomic_store_n(&sh->ready, round, __ATOMIC_SEQ_CST);
		if (w->kind == WAKE_RAW || w->kind == WAKE_RELAY) {
			int fd = w->kind == WAKE_RAW ? w->efd : w->efd_relay;
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			uint64_t v;

			if (poll(&pfd, 1, 10000) != 1 || read(fd, &v, sizeof(v)) != sizeof(v))
				ret = -ETIMEDOUT;
		} else if (w->kind == WAKE_SIGNAL) {
			ret = uguest_wait_fence(w->o->g, w->fence.fence_offset, round);
		} else {
			ret = uguest_wait_fence(w->o->g, w->o->hw.fence_offset, w->base + round);
		}
		sh->woke_ns = now_ns();
		if (ret) {
			sh->failed = 1;
			_exit(1);
		}
		__atomic_store_n(&sh->woke, round, __ATOMIC_SEQ_CST);
	}
	_exit(0);
}

/* The relay of WAKE_RELAY: wakes on the parent's eventfd, writes the waiter's. */
__attribute__((noreturn)) static void relay_child(const struct wake_setup *w, unsigned rounds)
{
	for (unsigned round = 1; round <= rounds; round++) {
		struct pollfd pfd = { .fd = w->efd, .events = POLLIN };
		uint64_t v;

		if (poll(&pfd, 1, 10000) != 1 || read(w->efd, &v, sizeof(v)) != sizeof(v) ||
		    write(w->efd_relay, &v, sizeof(v)) != sizeof(v))
			_exit(1);
	}
	_exit(0);
}

/*
 * `rounds` wake-ups; the first 10% are warm-up. The parent lets the child fall asleep (1 ms)
 * before each signal, then measures from just before its signal to the child's wake.
 */
static int wake_bench(struct wake_setup *w, unsigned rounds, double *median_us, double *p90_us)
{
	struct wake_shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned warmup = rounds / 10, timed = rounds - warmup, got = 0;
	double *samples = calloc(timed, sizeof(double));
	int status, ret = 0;
	pid_t pid, relay = -1;

	if (sh == MAP_FAILED || !samples) {
		free(samples);
		return -ENOMEM;
	}
	memset((void *)sh, 0, sizeof(*sh));
	if (w->kind == WAKE_SUBMIT)
		w->base = w->o->hw_value;
	/* The parent must not consume the interrupt the child sleeps on: it spins for replies. */
	if (w->o)
		uguest_set_wait_mode(w->o->g, UGUEST_WAIT_SPIN);
	fflush(NULL);
	if (w->kind == WAKE_RELAY) {
		relay = fork();
		if (relay < 0) {
			ret = -errno;
			goto out;
		}
		if (relay == 0)
			relay_child(w, rounds);
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto out;
	}
	if (pid == 0) {
		if (w->o)
			uguest_set_wait_mode(w->o->g, UGUEST_WAIT_BLOCK);
		wake_child(sh, w, rounds);
	}
	for (uint64_t round = 1; round <= rounds && !ret; round++) {
		uint64_t t0, id = 0;

		wait_until(&sh->ready, round, &sh->failed);
		bench_sleep_ms(1);
		t0 = now_ns();
		if (w->kind == WAKE_RAW || w->kind == WAKE_RELAY) {
			uint64_t one = 1;

			if (write(w->efd, &one, sizeof(one)) != sizeof(one))
				ret = -errno;
		} else {
			ret = wake_send(w, round, &id);
		}
		wait_until(&sh->woke, round, &sh->failed);
		if (sh->failed)
			ret = -ETIMEDOUT;
		if (!ret && w->o)
			ret = uguest_wait(w->o->g, id, NULL, 0, NULL);
		if (!ret && round > warmup)
			samples[got++] = (double)(sh->woke_ns - t0) / 1e3;
	}
	if (ret)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (!ret && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		ret = -EIO;
	if (relay > 0) {
		if (ret)
			kill(relay, SIGKILL);
		waitpid(relay, &status, 0);
		if (!ret && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
			ret = -EIO;
	}
	if (!ret) {
		*median_us = median(samples, got);
		*p90_us = percentile(samples, got, 90);
	}
out:
	if (w->o)
		uguest_set_wait_mode(w->o->g, UGUEST_WAIT_BLOCK);
	munmap((void *)sh, sizeof(*sh));
	free(samples);
	return ret;
}

static int bench_latency(struct odx *o, const struct options *opt, struct results *r)
{
	unsigned rounds = opt->quick ? 20 : 200;
	struct wake_setup w[LATENCIES] = {
		[LAT_RAW] = { .kind = WAKE_RAW, .efd = -1, .efd_relay = -1 },
		[LAT_RELAY] = { .kind = WAKE_RELAY, .efd = -1, .efd_relay = -1 },
		[LAT_SIGNAL] = { .kind = WAKE_SIGNAL, .o = o },
		[LAT_SUBMIT_EMPTY] = { .kind = WAKE_SUBMIT, .o = o, .slot = SLOT_EMPTY },
		[LAT_SUBMIT_BARRIER] = { .kind = WAKE_SUBMIT, .o = o, .slot = SLOT_BARRIER },
	};
	int ret = 0;

	if (!opt->json)
		fprintf(stderr, "timing %u fence wake-ups per path...\n", rounds);
	w[LAT_RAW].efd = eventfd(0, EFD_CLOEXEC);
	w[LAT_RELAY].efd = eventfd(0, EFD_CLOEXEC);
	w[LAT_RELAY].efd_relay = eventfd(0, EFD_CLOEXEC);
	if (w[LAT_RAW].efd < 0 || w[LAT_RELAY].efd < 0 || w[LAT_RELAY].efd_relay < 0)
		ret = -errno;
	if (!ret)
		ret = uguest_create_fence(o->g, o->process, o->device, 0, &w[LAT_SIGNAL].fence);
	for (int i = 0; !ret && i < LATENCIES; i++)
		ret = wake_bench(&w[i], rounds, &r->latency_us[i], &r->latency_p90[i]);
	for (int i = LAT_RAW; i <= LAT_RELAY; i++) {
		if (w[i].efd >= 0)
			close(w[i].efd);
		if (w[i].efd_relay >= 0)
			close(w[i].efd_relay);
	}
	return ret;
}

/* ---- driver ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dxg-bench-exec [--dxgd PATH] [--samples N] [--submits N] [--quick]\n"
		"                      [--region-size SIZE] [--json]\n"
		"The same SPIR-V kernel dispatched directly with host Vulkan and through opendxg\n"
		"(a user-space guest of a dxgd this program starts): a large (>= 10 ms) and a\n"
		"small dispatch, empty submissions per second, and fence signal-to-wake latency.\n"
		"Medians and ratios, no thresholds. --quick: a short smoke run.\n"
		"See docs/bench.md.\n");
}

static bool parse_count(const char *s, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s < '1' || *s > '9' || *end || v > 1000000)
		return false;
	*out = (unsigned)v;
	return true;
}

static bool parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_DXGD = 256, OPT_SAMPLES, OPT_SUBMITS, OPT_QUICK, OPT_REGION, OPT_JSON };
	static const struct option longopts[] = {
		{ "dxgd", required_argument, NULL, OPT_DXGD },
		{ "samples", required_argument, NULL, OPT_SAMPLES },
		{ "submits", required_argument, NULL, OPT_SUBMITS },
		{ "quick", no_argument, NULL, OPT_QUICK },
		{ "region-size", required_argument, NULL, OPT_REGION },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool samples_set = false, submits_set = false;
	int c;

	*o = (struct options){ .samples = DEFAULT_SAMPLES, .submits = DEFAULT_SUBMITS,
			       .region_size = DEFAULT_REGION };
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DXGD:
			o->dxgd = optarg;
			break;
		case OPT_SAMPLES:
			if (!parse_count(optarg, &o->samples))
				return false;
			samples_set = true;
			break;
		case OPT_SUBMITS:
			if (!parse_count(optarg, &o->submits))
				return false;
			submits_set = true;
			break;
		case OPT_QUICK:
			o->quick = true;
			break;
		case OPT_REGION:
			o->region_size = optarg;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return false;
		}
	}
	if (o->quick && !samples_set)
		o->samples = QUICK_SAMPLES;
	if (o->quick && !submits_set)
		o->submits = QUICK_SUBMITS;
	return optind == argc;
}

static void print_table(const struct options *o, const struct results *r, const char *exe)
{
	printf("opendxg execution vs direct host Vulkan: medians of %u samples%s\n", o->samples,
	       o->quick ? " (quick run)" : "");
	printf("device: %s; dxgd: %s (region %s)\n\n", r->device, exe, o->region_size);

	printf("dispatch of lcg.comp          direct    opendxg host-visible    "
	       "opendxg device-local\n");
	printf("%-29s %9s %10s %12s %10s %12s\n", "", "ms", "ms", "throughput", "ms",
	       "throughput");
	for (int c = 0; c < CASES; c++) {
		char what[64];

		snprintf(what, sizeof(what), "%s (%u x %u it)", case_names[c], r->n[c],
			 r->iterations[c]);
		printf("%-29s %9.3f %10.3f %12.2f %10.3f %12.2f\n", what, r->direct_ms[c],
		       r->hv_ms[c], r->direct_ms[c] / r->hv_ms[c], r->dl_ms[c],
		       r->direct_ms[c] / r->dl_ms[c]);
	}
	printf("(throughput: dispatches per second through opendxg / directly; 1.00 = no cost)\n");
	if (r->direct_ms[CASE_LARGE] < 10.0)
		printf("note: the large dispatch took less than 10 ms on this run (the machine got "
		       "faster after calibration)\n");
	if (r->direct_ms[CASE_SMALL] > 0.1)
		printf("note: the small dispatch took more than 100 us directly on this run\n");
	printf("\n");

	printf("submissions per second (%u per sample)      direct/s    opendxg/s   opendxg/direct\n",
	       o->submits);
	for (int kind = 0; kind < SUBMIT_KINDS; kind++) {
		for (int mode = 0; mode < 2; mode++) {
			char what[64];

			snprintf(what, sizeof(what), "%s, %s", submit_names[kind],
				 mode ? "pipelined (one wait)" : "submit+wait each");
			printf("%-42s %10.0f %12.0f %16.3f\n", what, r->direct_rate[kind][mode],
			       r->odx_rate[kind][mode],
			       r->odx_rate[kind][mode] / r->direct_rate[kind][mode]);
		}
	}
	printf("\n");

	printf("fence signal-to-wake, us (a second process sleeps)   median      p90  vs relay\n");
	for (int i = 0; i < LATENCIES; i++)
		printf("%-50s %8.1f %8.1f %9.2f\n", latency_names[i], r->latency_us[i],
		       r->latency_p90[i], r->latency_us[i] / r->latency_us[LAT_RELAY]);
}

static void print_json(const struct options *o, const struct results *r)
{
	printf("{\n  \"benchmark\": \"execution\",\n  \"samples\": %u,\n  \"quick\": %s,\n"
	       "  \"device\": \"%s\",\n  \"dispatch\": [\n", o->samples, o->quick ? "true" : "false",
	       r->device);
	for (int c = 0; c < CASES; c++)
		printf("    { \"case\": \"%s\", \"elements\": %u, \"iterations\": %u, "
		       "\"direct_ms\": %.4f, \"host_visible_ms\": %.4f, \"device_local_ms\": %.4f, "
		       "\"throughput_host_visible\": %.4f, \"throughput_device_local\": %.4f }%s\n",
		       case_names[c], r->n[c], r->iterations[c], r->direct_ms[c], r->hv_ms[c],
		       r->dl_ms[c], r->direct_ms[c] / r->hv_ms[c], r->direct_ms[c] / r->dl_ms[c],
		       c + 1 < CASES ? "," : "");
	printf("  ],\n  \"submissions\": { \"per_sample\": %u", o->submits);
	for (int kind = 0; kind < SUBMIT_KINDS; kind++) {
		printf(",\n    \"%s\": {", kind == SUBMIT_EMPTY ? "empty" : "barrier");
		for (int mode = 0; mode < 2; mode++)
			printf("%s \"%s\": { \"direct_per_s\": %.1f, \"opendxg_per_s\": %.1f, "
			       "\"ratio\": %.4f }", mode ? "," : "",
			       mode ? "pipelined" : "wait_each", r->direct_rate[kind][mode],
			       r->odx_rate[kind][mode],
			       r->odx_rate[kind][mode] / r->direct_rate[kind][mode]);
		printf(" }");
	}
	printf(" },\n");
	printf("  \"wake_latency_us\": {");
	for (int i = 0; i < LATENCIES; i++)
		printf("%s\n    \"%s\": { \"median\": %.2f, \"p90\": %.2f, "
		       "\"ratio_to_relay\": %.3f }", i ? "," : "", latency_keys[i],
		       r->latency_us[i], r->latency_p90[i],
		       r->latency_us[i] / r->latency_us[LAT_RELAY]);
	printf(" }\n}\n");
}

int main(int argc, char **argv)
{
	struct direct v = { 0 };
	struct odx o = { 0 };
	struct results r = { 0 };
	struct bench_dxgd d;
	struct options opt;
	const char *exe;
	int ret;

	if (!parse_options(argc, argv, &opt)) {
		usage(stderr);
		return 2;
	}
	exe = bench_find_dxgd(opt.dxgd);
	if (!exe || access(exe, X_OK) != 0) {
		fprintf(stderr, "dxg-bench-exec: no dxgd binary (use --dxgd PATH or $DXGD)\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	ret = direct_open(&v);
	if (ret) {
		fprintf(stderr, "dxg-bench-exec: open the Vulkan device: %s\n", strerror(-ret));
		direct_close(&v);
		return 1;
	}
	snprintf(r.device, sizeof(r.device), "%s", v.name);
	ret = bench_dxgd_start(&d, exe, opt.region_size, NULL, -1);
	if (ret) {
		fprintf(stderr, "dxg-bench-exec: start dxgd: %s\n", strerror(-ret));
		direct_close(&v);
		return 1;
	}
	ret = odx_open(&o, d.vm_socket);
	if (!ret)
		ret = bench_dispatch(&v, &o, &opt, &r);
	if (!ret)
		ret = bench_submissions(&v, &o, &opt, &r);
	if (!ret)
		ret = bench_latency(&o, &opt, &r);
	odx_close(&o);
	bench_dxgd_stop(&d);
	direct_close(&v);
	if (ret) {
		fprintf(stderr, "dxg-bench-exec: failed: %s\n", strerror(-ret));
		return 1;
	}
	if (opt.json)
		print_json(&opt, &r);
	else
		print_table(&opt, &r, exe);
	return 0;
}
