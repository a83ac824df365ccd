// SPDX-License-Identifier: MIT
/*
 * Jobs on one vk_device's compute queue.
 *
 * Every program shares one pipeline layout: set 0 with OPENDXG_CMD_MAX_BINDINGS storage buffers
 * and a OPENDXG_CMD_MAX_PUSH_CONSTANTS-byte compute push constant range. A module uses a subset
 * of it (spirv_check() guarantees that), so one descriptor set layout serves every dispatch and
 * a job writes only the descriptors its program uses; the rest stay unwritten, which Vulkan
 * allows for descriptors a pipeline does not statically use.
 *
 * A job is one primary command buffer with its own fence, descriptor pool (one set per dispatch)
 * and timestamp query pool. These live in a job record that is recycled once the job is reaped,
 * so a steady stream of small jobs creates no Vulkan objects. The submitting thread (the worker's
 * loop) owns the command pool, the records and the programs; the completion thread only waits
 * for fences, in submission order, and marks records done under `lock`. A record is freed or
 * reused only once done, so the completion thread never sees one go away under it.
 *
 * The heap is imported once at open: the guest's pages themselves become a VkDeviceMemory (host
 * pointer import) with one VkBuffer over all of it; operations name sub-ranges of that buffer.
 * The import needs a host-coherent memory type, since guest writes are plain stores that nothing
 * flushes: vkQueueSubmit makes them visible to the device, and the job's trailing barrier plus
 * its fence make the device's writes visible to the host.
 */
#include "vk_exec.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* Idle job records kept for reuse; more than this in flight at once are freed when reaped. */
#define IDLE_JOBS_KEPT 32u
/* Queries 0 and 1 of a timed job bracket it; TIMESTAMP operations use the ones after. */
#define JOB_TIME_QUERIES 2u

struct vk_program {
	struct vk_exec *exec;
	atomic_uint refs;
	VkShaderModule module;
	struct spirv_info info;
	VkPipeline pipelines[SPIRV_MAX_ENTRY_POINTS];	/* created on first use */
};

struct exec_job {
	struct exec_job *next;
	uint64_t cookie;
	VkCommandBuffer cmd;
	VkFence fence;
	VkDescriptorPool descriptor_pool;	/* VK_NULL_HANDLE until a job dispatches */
	uint32_t descriptor_set_capacity;
	uint32_t descriptor_capacity;
	VkQueryPool query_pool;		/* VK_NULL_HANDLE until a job needs queries */
	uint32_t query_capacity;
	bool timed;			/* queries 0 and 1 hold the job's start and end */
	uint64_t submit_ns;		/* CLOCK_MONOTONIC at vkQueueSubmit */
	/* Under vk_exec.lock: set by the completion thread when the job is not `timed`. */
	uint64_t host_time_ns;
	uint32_t program_count;
	uint32_t program_capacity;
	struct vk_program **programs;	/* one reference per dispatch */
	/* Under vk_exec.lock: set by the completion thread. */
	bool done;
	int status;
};

struct vk_exec {
	struct vk_device *device;
	VkDevice vk;
	VkPhysicalDeviceLimits limits;
	struct cmdbuf_limits cmd_limits;
	uint32_t queue_family;
	double timestamp_period;	/* ns per tick; 0 without timestamps */
	uint64_t timestamp_mask;	/* the valid bits of a timestamp */
	/*
	 * Time jobs with timestamp queries. Not on CPU devices: lavapipe's queries cost more than a
	 * small job (about 0.15 ms each job here), so there the completion thread times jobs with
	 * the host clock instead, from the later of submission and the previous job's completion
	 * (jobs run one after another on the queue) to the fence wait's return.
	 */
	bool query_timing;

	VkCommandPool command_pool;
	VkPipelineCache pipeline_cache;
	VkDescriptorSetLayout set_layout;
	VkPipelineLayout pipeline_layout;

	void *heap;
	uint64_t heap_size;
	VkBuffer heap_buffer;
	VkDeviceMemory heap_memory;
	bool heap_counted;		/* heap_memory counted by vk_device_count_allocation() */
	bool heap_usable;

	PFN_vkGetCalibratedTimestampsEXT get_calibrated_timestamps;	/* NULL: use a job */
	int notify_fd;

	/* Submitting thread only. */
	uint32_t live_programs;
	uint32_t pending;		/* submitted, not reaped */
	struct exec_job *idle_jobs;
	uint32_t idle_job_count;

	/* Shared with the completion thread. */
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* a job was queued, a job completed, or stop */
	struct exec_job *head, *tail;	/* submitted and not reaped, in submission order */
	struct exec_job *waiting;	/* the first job not yet completed; NULL: all done */
	bool stop;
	bool lost;			/* sticky: a fence wait failed, every later submit is -EIO */
	uint64_t last_done_ns;		/* when the previous job's fence wait returned */
	pthread_t thread;
	bool thread_started;
};

static int vk_errno(VkResult res)
{
	switch (res) {
	case VK_SUCCESS:
		return 0;
	case VK_ERROR_OUT_OF_HOST_MEMORY:
	case VK_ERROR_OUT_OF_DEVICE_MEMORY:
	case VK_ERROR_TOO_MANY_OBJECTS:
	case VK_ERROR_FRAGMENTED_POOL:
	case VK_ERROR_OUT_OF_POOL_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- completion thread ---- */

static void notify(struct vk_exec *x)
{
	const uint64_t one = 1;

	/* An eventfd write fails only if the counter would overflow: the loop is reading it. */
	if (x->notify_fd >= 0 && write(x->notify_fd, &one, sizeof(one)) != sizeof(one))
		log_warn("vk_exec: cannot signal the completion eventfd");
}

/*
 * Waits for each job's fence in submission order. Jobs complete in that order anyway: each one
 * starts with a barrier on everything before it.
 */
static void *completion_main(void *arg)
{
	struct vk_exec *x = arg;

	pthread_mutex_lock(&x->lock);
	for (;;) {
		struct exec_job *job = x->waiting;
		uint64_t done_ns;
		VkResult res;

		if (!job) {
			if (x->stop)
				break;
			pthread_cond_wait(&x->cond, &x->lock);
			continue;
		}
		pthread_mutex_unlock(&x->lock);
		/* No timeout of our own: a hung device comes back as VK_ERROR_DEVICE_LOST. */
		res = vkWaitForFences(x->vk, 1, &job->fence, VK_TRUE, UINT64_MAX);
		if (res != VK_SUCCESS) {
			log_error("vk_exec: waiting for a job failed (%d): device lost", (int)res);
			vk_device_set_lost(x->device);
		}
		done_ns = monotonic_ns();
		pthread_mutex_lock(&x->lock);
		if (res != VK_SUCCESS) {
			x->lost = true;
			job->status = -EIO;
		}
		if (!job->timed) {
			uint64_t start = job->submit_ns > x->last_done_ns ? job->submit_ns
									   : x->last_done_ns;

			job->host_time_ns = done_ns > start ? done_ns - start : 0;
		}
		x->last_done_ns = done_ns;
		job->done = true;
		x->waiting = job->next;
		pthread_cond_broadcast(&x->cond);
		pthread_mutex_unlock(&x->lock);
		notify(x);
		pthread_mutex_lock(&x->lock);
	}
	pthread_mutex_unlock(&x->lock);
	return NULL;
}

/* ---- job records ---- */

static void job_destroy(struct vk_exec *x, struct exec_job *job)
{
	if (!job)
		return;
	if (job->cmd != VK_NULL_HANDLE)
		vkFreeCommandBuffers(x->vk, x->command_pool, 1, &job->cmd);
	vkDestroyFence(x->vk, job->fence, NULL);
	vkDestroyDescriptorPool(x->vk, job->descriptor_pool, NULL);
	vkDestroyQueryPool(x->vk, job->query_pool, NULL);
	free(job->programs);
	free(job);
}

static int job_new(struct vk_exec *x, struct exec_job **out)
{
	VkCommandBufferAllocateInfo cmd_info = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
		.commandPool = x->command_pool,
		.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
		.commandBufferCount = 1,
	};
	VkFenceCreateInfo fence_info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
	struct exec_job *job = calloc(1, sizeof(*job));
	VkResult res;

	if (!job)
		return -ENOMEM;
	res = vkAllocateCommandBuffers(x->vk, &cmd_info, &job->cmd);
	if (res != VK_SUCCESS) {
		job->cmd = VK_NULL_HANDLE;
		job_destroy(x, job);
		return vk_errno(res);
	}
	res = vkCreateFence(x->vk, &fence_info, NULL, &job->fence);
	if (res != VK_SUCCESS) {
		job_destroy(x, job);
		return vk_errno(res);
	}
	*out = job;
	return 0;
}

static int job_get(struct vk_exec *x, struct exec_job **out)
{
	struct exec_job *job = x->idle_jobs;

	if (!job)
		return job_new(x, out);
	x->idle_jobs = job->next;
	x->idle_job_count--;
	job->next = NULL;
	*out = job;
	return 0;
}

static void job_release_programs(struct exec_job *job)
{
	for (uint32_t i = 0; i < job->program_count; i++)
		vk_program_unref(job->programs[i]);
	job->program_count = 0;
}

/*
 * Back to the idle list, ready for the next job: the fence unsignaled, the descriptor sets
 * freed. The command buffer is reset by its next vkBeginCommandBuffer and the queries by the
 * next job's vkCmdResetQueryPool. `job` must not be in flight.
 */
static void job_put(struct vk_exec *x, struct exec_job *job)
{
	bool reusable = x->idle_job_count < IDLE_JOBS_KEPT && !x->lost;

	job_release_programs(job);
	job->done = false;
	job->status = 0;
	job->timed = false;
	job->next = NULL;
	if (reusable && vkResetFences(x->vk, 1, &job->fence) != VK_SUCCESS)
		reusable = false;
	if (reusable && job->descriptor_pool != VK_NULL_HANDLE &&
	    vkResetDescriptorPool(x->vk, job->descriptor_pool, 0) != VK_SUCCESS)
		reusable = false;
	if (!reusable) {
		job_destroy(x, job);
		return;
	}
	job->next = x->idle_jobs;
	x->idle_jobs = job;
	x->idle_job_count++;
}

/* Grows the record's pools to what the job needs; the old ones are idle (nothing in flight). */
static int job_reserve(struct vk_exec *x, struct exec_job *job, uint32_t sets,
		       uint32_t descriptors, uint32_t queries, uint32_t programs)
{
	VkResult res;

	if (programs > job->program_capacity) {
		struct vk_program **p = realloc(job->programs, programs * sizeof(*p));

		if (!p)
			return -ENOMEM;
		job->programs = p;
		job->program_capacity = programs;
	}
	if (sets > job->descriptor_set_capacity || descriptors > job->descriptor_capacity) {
		VkDescriptorPoolSize size = {
			.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
			.descriptorCount = descriptors > job->descriptor_capacity ?
					   descriptors : job->descriptor_capacity,
		};
		VkDescriptorPoolCreateInfo info = {
			.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
			.maxSets = sets > job->descriptor_set_capacity ?
				   sets : job->descriptor_set_capacity,
			.poolSizeCount = 1,
			.pPoolSizes = &size,
		};

		/* A pool of zero descriptors is invalid; a dispatch without bindings needs no set. */
		if (size.descriptorCount == 0)
			size.descriptorCount = 1;
		vkDestroyDescriptorPool(x->vk, job->descriptor_pool, NULL);
		job->descriptor_pool = VK_NULL_HANDLE;
		job->descriptor_set_capacity = 0;
		job->descriptor_capacity = 0;
		res = vkCreateDescriptorPool(x->vk, &info, NULL, &job->descriptor_pool);
		if (res != VK_SUCCESS) {
			job->descriptor_pool = VK_NULL_HANDLE;
			return vk_errno(res);
		}
		job->descriptor_set_capacity = info.maxSets;
		job->descriptor_capacity = size.descriptorCount;
	}
	if (queries > job->query_capacity) {
		VkQueryPoolCreateInfo info = {
			.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
			.queryType = VK_QUERY_TYPE_TIMESTAMP,
			.queryCount = queries,
		};

		vkDestroyQueryPool(x->vk, job->query_pool, NULL);
		job->query_pool = VK_NULL_HANDLE;
		job->query_capacity = 0;
		res = vkCreateQueryPool(x->vk, &info, NULL, &job->query_pool);
		if (res != VK_SUCCESS) {
			job->query_pool = VK_NULL_HANDLE;
			return vk_errno(res);
		}
		job->query_capacity = queries;
	}
	return 0;
}

/* ---- programs ---- */

int vk_program_create(struct vk_exec *x, const void *code, size_t size,
		      const struct spirv_info *info, struct vk_program **out)
{
	VkShaderModuleCreateInfo module_info = {
		.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
		.codeSize = size,
	};
	uint32_t *words;
	struct vk_program *p;
	VkResult res;

	*out = NULL;
	if (!code || size == 0 || size % 4 || !info)
		return -EINVAL;
	if (info->entry_count == 0 || info->entry_count > SPIRV_MAX_ENTRY_POINTS)
		return -EINVAL;
	/* A capability whose feature is not enabled is undefined behaviour, not a driver error. */
	if (info->features & ~vk_device_spirv_features(x->device)) {
		log_warn("vk_exec: program needs features 0x%x the device lacks",
			 info->features & ~vk_device_spirv_features(x->device));
		return -EINVAL;
	}
	if ((info->binding_mask >> OPENDXG_CMD_MAX_BINDINGS) ||
	    info->push_constant_size > OPENDXG_CMD_MAX_PUSH_CONSTANTS)
		return -EINVAL;
	for (uint32_t i = 0; i < info->entry_count; i++) {
		if (!memchr(info->entry_names[i], '\0', SPIRV_ENTRY_NAME_LEN))
			return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	/* pCode is an array of words: the caller's copy may sit at any alignment. */
	words = malloc(size);
	if (!p || !words) {
		free(p);
		free(words);
		return -ENOMEM;
	}
	memcpy(words, code, size);
	module_info.pCode = words;
	res = vkCreateShaderModule(x->vk, &module_info, NULL, &p->module);
	free(words);
	if (res != VK_SUCCESS) {
		free(p);
		log_warn("vk_exec: vkCreateShaderModule failed (%d)", (int)res);
		return res == VK_ERROR_INVALID_SHADER_NV ? -EINVAL : vk_errno(res);
	}
	p->exec = x;
	atomic_init(&p->refs, 1);
	p->info = *info;
	x->live_programs++;
	*out = p;
	return 0;
}

void vk_program_ref(struct vk_program *p)
{
	atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
}

void vk_program_unref(struct vk_program *p)
{
	struct vk_exec *x;

	if (!p || atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
		return;
	x = p->exec;
	for (uint32_t i = 0; i < SPIRV_MAX_ENTRY_POINTS; i++)
		vkDestroyPipeline(x->vk, p->pipelines[i], NULL);
	vkDestroyShaderModule(x->vk, p->module, NULL);
	x->live_programs--;
	free(p);
}

int vk_program_entry(const struct vk_program *p, const char *name)
{
	if (!name)
		return -EINVAL;
	for (uint32_t i = 0; i < p->info.entry_count; i++) {
		if (strncmp(p->info.entry_names[i], name, SPIRV_ENTRY_NAME_LEN) == 0 &&
		    strlen(name) < SPIRV_ENTRY_NAME_LEN)
			return (int)i;
	}
	return -EINVAL;
}

uint32_t vk_program_binding_mask(const struct vk_program *p)
{
	return p->info.binding_mask;
}

uint32_t vk_exec_live_programs(const struct vk_exec *x)
{
	return x->live_programs;
}

/*
 * The entry point's pipeline, compiled on first use. A module that passed spirv_check() but
 * that the driver cannot compile is the program's fault: -EINVAL, like an unknown entry point.
 */
static int program_pipeline(struct vk_program *p, uint32_t entry, VkPipeline *out)
{
	struct vk_exec *x = p->exec;
	VkComputePipelineCreateInfo info = {
		.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
		.stage = {
			.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
			.stage = VK_SHADER_STAGE_COMPUTE_BIT,
			.module = p->module,
			.pName = p->info.entry_names[entry],
		},
		.layout = x->pipeline_layout,
		.basePipelineIndex = -1,
	};
	VkResult res;

	if (p->pipelines[entry] == VK_NULL_HANDLE) {
		res = vkCreateComputePipelines(x->vk, x->pipeline_cache, 1, &info, NULL,
					       &p->pipelines[entry]);
		if (res != VK_SUCCESS) {
			p->pipelines[entry] = VK_NULL_HANDLE;
			log_warn("vk_exec: cannot create the pipeline of '%s' (%d)",
				 p->info.entry_names[entry], (int)res);
			return vk_errno(res) == -ENOMEM ? -ENOMEM : -EINVAL;
		}
	}
	*out = p->pipelines[entry];
	return 0;
}

/* ---- jobs ---- */

struct job_plan {
	uint32_t descriptor_sets;
	uint32_t descriptors;
	uint32_t timestamps;
	uint32_t dispatches;
};

/* Resolves a reference to a VkBuffer and offset, checking that [offset, +size) lies inside. */
static int resolve(const struct vk_exec *x, const struct vk_ref *ref, uint64_t size,
		   VkBuffer *buffer, uint64_t *offset)
{
	uint64_t limit;

	if (ref->buffer) {
		limit = vk_buffer_size(ref->buffer);
		*buffer = vk_buffer_handle(ref->buffer);
	} else {
		if (!x->heap_usable)
			return -EOPNOTSUPP;
		limit = x->heap_size;
		*buffer = x->heap_buffer;
	}
	if (ref->offset > limit || size > limit - ref->offset)
		return -EINVAL;
	*offset = ref->offset;
	return 0;
}

static int check_copy(const struct vk_exec *x, const struct vk_job_op *op)
{
	VkBuffer src, dst;
	uint64_t s, d, n = op->copy.size;
	int err;

	if (n == 0)
		return -EINVAL;
	err = resolve(x, &op->copy.src, n, &src, &s);
	if (!err)
		err = resolve(x, &op->copy.dst, n, &dst, &d);
	if (err)
		return err;
	/* Overlapping regions are undefined in vkCmdCopyBuffer. */
	if (src == dst && s < d + n && d < s + n)
		return -EINVAL;
	return 0;
}

static int check_fill(const struct vk_exec *x, const struct vk_job_op *op)
{
	VkBuffer dst;
	uint64_t d;
	int err;

	if (op->fill.size < 4 || op->fill.size % 4 || op->fill.dst.offset % 4)
		return -EINVAL;
	err = resolve(x, &op->fill.dst, op->fill.size, &dst, &d);
	return err;
}

static int check_timestamp(const struct vk_exec *x, const struct vk_job_op *op)
{
	VkBuffer dst;
	uint64_t d;

	if (x->cmd_limits.timestamp_valid_bits == 0 || op->timestamp.dst.offset % 8)
		return -EINVAL;
	return resolve(x, &op->timestamp.dst, sizeof(uint64_t), &dst, &d);
}

/* Everything vkCmdDispatch's valid usage needs, and the pipeline (compiled here if new). */
static int check_dispatch(struct vk_exec *x, const struct vk_job_op *op)
{
	const struct vk_program *p = op->dispatch.program;
	uint32_t seen = 0;
	VkPipeline pipeline;
	int err;

	if (!p || p->exec != x || op->dispatch.entry >= p->info.entry_count)
		return -EINVAL;
	for (int i = 0; i < 3; i++) {
		if (op->dispatch.group_count[i] > x->limits.maxComputeWorkGroupCount[i])
			return -EINVAL;
	}
	if (op->dispatch.binding_count > OPENDXG_CMD_MAX_BINDINGS ||
	    op->dispatch.push_constant_size > OPENDXG_CMD_MAX_PUSH_CONSTANTS)
		return -EINVAL;
	for (uint32_t i = 0; i < op->dispatch.binding_count; i++) {
		const struct vk_job_binding *b = &op->dispatch.bindings[i];
		VkBuffer buffer;
		uint64_t offset;

		if (b->binding >= OPENDXG_CMD_MAX_BINDINGS || (seen & (1u << b->binding)))
			return -EINVAL;
		seen |= 1u << b->binding;
		if (b->size == 0 || b->size > x->limits.maxStorageBufferRange ||
		    b->ref.offset % x->limits.minStorageBufferOffsetAlignment)
			return -EINVAL;
		err = resolve(x, &b->ref, b->size, &buffer, &offset);
		if (err)
			return err;
	}
	/* A binding the shader uses but the job did not write would be undefined behaviour. */
	if (seen != p->info.binding_mask)
		return -EINVAL;
	return program_pipeline(op->dispatch.program, op->dispatch.entry, &pipeline);
}

static int check_job(struct vk_exec *x, const struct vk_job *job, struct job_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	if (job->op_count && !job->ops)
		return -EINVAL;
	for (uint32_t i = 0; i < job->op_count; i++) {
		const struct vk_job_op *op = &job->ops[i];
		int err;

		switch (op->type) {
		case OPENDXG_CMD_COPY:
			err = check_copy(x, op);
			break;
		case OPENDXG_CMD_FILL:
			err = check_fill(x, op);
			break;
		case OPENDXG_CMD_DISPATCH:
			err = check_dispatch(x, op);
			plan->dispatches++;
			if (op->dispatch.binding_count) {
				plan->descriptor_sets++;
				plan->descriptors += op->dispatch.binding_count;
			}
			break;
		case OPENDXG_CMD_BARRIER:
			err = 0;
			break;
		case OPENDXG_CMD_TIMESTAMP:
			err = check_timestamp(x, op);
			plan->timestamps++;
			break;
		default:
			err = -EINVAL;
			break;
		}
		if (err)
			return err;
	}
	if (plan->timestamps > UINT32_MAX - JOB_TIME_QUERIES)
		return -EINVAL;
	return 0;
}

/*
 * BARRIER operations and the barriers around a job: every earlier write, by a shader or a
 * transfer, complete and visible to every later read or write.
 */
static void full_barrier(VkCommandBuffer cmd, VkPipelineStageFlags dst_stage,
			 VkAccessFlags dst_access)
{
	VkMemoryBarrier barrier = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
		.dstAccessMask = dst_access,
	};

	vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, dst_stage, 0, 1, &barrier,
			     0, NULL, 0, NULL);
}

#define DEVICE_ACCESS (VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | \
		       VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT)

static int record_dispatch(struct vk_exec *x, struct exec_job *job, const struct vk_job_op *op)
{
	struct vk_program *p = op->dispatch.program;
	unsigned char push[OPENDXG_CMD_MAX_PUSH_CONSTANTS] = { 0 };
	uint32_t push_size = op->dispatch.push_constant_size;
	VkPipeline pipeline;
	int err;

	job->programs[job->program_count++] = p;
	vk_program_ref(p);
	if (!op->dispatch.group_count[0] || !op->dispatch.group_count[1] ||
	    !op->dispatch.group_count[2])
		return 0;
	err = program_pipeline(p, op->dispatch.entry, &pipeline);
	if (err)
		return err;
	vkCmdBindPipeline(job->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);

	if (op->dispatch.binding_count) {
		VkDescriptorSetAllocateInfo alloc = {
			.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
			.descriptorPool = job->descriptor_pool,
			.descriptorSetCount = 1,
			.pSetLayouts = &x->set_layout,
		};
		VkDescriptorBufferInfo infos[OPENDXG_CMD_MAX_BINDINGS];
		VkWriteDescriptorSet writes[OPENDXG_CMD_MAX_BINDINGS];
		VkDescriptorSet set;
		VkResult res;

		res = vkAllocateDescriptorSets(x->vk, &alloc, &set);
		if (res != VK_SUCCESS)
			return vk_errno(res);
		for (uint32_t i = 0; i < op->dispatch.binding_count; i++) {
			const struct vk_job_binding *b = &op->dispatch.bindings[i];

			infos[i] = (VkDescriptorBufferInfo){
				.buffer = b->ref.buffer ? vk_buffer_handle(b->ref.buffer)
							: x->heap_buffer,
				.offset = b->ref.offset,
				.range = b->size,
			};
			writes[i] = (VkWriteDescriptorSet){
				.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
				.dstSet = set,
				.dstBinding = b->binding,
				.descriptorCount = 1,
				.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
				.pBufferInfo = &infos[i],
			};
		}
		vkUpdateDescriptorSets(x->vk, op->dispatch.binding_count, writes, 0, NULL);
		vkCmdBindDescriptorSets(job->cmd, VK_PIPELINE_BIND_POINT_COMPUTE,
					x->pipeline_layout, 0, 1, &set, 0, NULL);
	}

	/*
	 * Every push constant the shader uses must be set: push what the module declares, zero
	 * beyond what the job gave, so a short block reads zeros, not stale values.
	 */
	memcpy(push, op->dispatch.push_constants, push_size);
	if (p->info.push_constant_size > push_size)
		push_size = p->info.push_constant_size;
	push_size = (push_size + 3) & ~3u;
	if (push_size)
		vkCmdPushConstants(job->cmd, x->pipeline_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
				   push_size, push);
	vkCmdDispatch(job->cmd, op->dispatch.group_count[0], op->dispatch.group_count[1],
		      op->dispatch.group_count[2]);
	return 0;
}

static int record_job(struct vk_exec *x, struct exec_job *job, const struct vk_job *desc,
		      uint32_t query_count)
{
	VkCommandBufferBeginInfo begin = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
		.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
	};
	uint32_t next_query = JOB_TIME_QUERIES;
	VkResult res;
	int err = 0;

	res = vkBeginCommandBuffer(job->cmd, &begin);
	if (res != VK_SUCCESS)
		return vk_errno(res);
	if (query_count)
		vkCmdResetQueryPool(job->cmd, job->query_pool, 0, query_count);
	/* The job starts after everything before it on the queue (other jobs, transfers). */
	full_barrier(job->cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, DEVICE_ACCESS);
	if (job->timed)
		vkCmdWriteTimestamp(job->cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, job->query_pool, 0);

	for (uint32_t i = 0; i < desc->op_count && !err; i++) {
		const struct vk_job_op *op = &desc->ops[i];
		VkBuffer src, dst;
		uint64_t s, d;

		switch (op->type) {
		case OPENDXG_CMD_COPY: {
			VkBufferCopy region = { .size = op->copy.size };

			resolve(x, &op->copy.src, op->copy.size, &src, &s);
			resolve(x, &op->copy.dst, op->copy.size, &dst, &d);
			region.srcOffset = s;
			region.dstOffset = d;
			vkCmdCopyBuffer(job->cmd, src, dst, 1, &region);
			break;
		}
		case OPENDXG_CMD_FILL:
			resolve(x, &op->fill.dst, op->fill.size, &dst, &d);
			vkCmdFillBuffer(job->cmd, dst, d, op->fill.size, op->fill.value);
			break;
		case OPENDXG_CMD_DISPATCH:
			err = record_dispatch(x, job, op);
			break;
		case OPENDXG_CMD_BARRIER:
			full_barrier(job->cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, DEVICE_ACCESS);
			break;
		case OPENDXG_CMD_TIMESTAMP:
			/* After everything before it in the job has completed. */
			resolve(x, &op->timestamp.dst, sizeof(uint64_t), &dst, &d);
			vkCmdWriteTimestamp(job->cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
					    job->query_pool, next_query);
			vkCmdCopyQueryPoolResults(job->cmd, job->query_pool, next_query, 1, dst, d,
						  sizeof(uint64_t),
						  VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
			next_query++;
			break;
		}
	}

	if (job->timed)
		vkCmdWriteTimestamp(job->cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
				    job->query_pool, 1);
	/* The fence then makes the job's writes visible to the host (the guest's heap pages). */
	full_barrier(job->cmd, VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
	res = vkEndCommandBuffer(job->cmd);
	if (!err && res != VK_SUCCESS)
		err = vk_errno(res);
	return err;
}

static bool exec_lost(struct vk_exec *x)
{
	bool lost;

	pthread_mutex_lock(&x->lock);
	lost = x->lost;
	pthread_mutex_unlock(&x->lock);
	return lost;
}

int vk_exec_submit(struct vk_exec *x, const struct vk_job *desc)
{
	VkSubmitInfo submit = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.commandBufferCount = 1,
	};
	struct job_plan plan;
	struct exec_job *job;
	uint32_t queries;
	int err;

	if (!desc)
		return -EINVAL;
	if (exec_lost(x))
		return -EIO;
	err = check_job(x, desc, &plan);
	if (err)
		return err;
	/* Slots 0 and 1 time the job; TIMESTAMP packets use the ones after them. */
	queries = (x->query_timing || plan.timestamps) ? JOB_TIME_QUERIES + plan.timestamps : 0;
	err = job_get(x, &job);
	if (err)
		return err;
	err = job_reserve(x, job, plan.descriptor_sets, plan.descriptors, queries,
			  plan.dispatches);
	if (err)
		goto err_put;
	job->cookie = desc->cookie;
	job->timed = x->query_timing;
	err = record_job(x, job, desc, queries);
	if (err)
		goto err_put;

	submit.pCommandBuffers = &job->cmd;
	job->submit_ns = monotonic_ns();
	err = vk_device_submit(x->device, &submit, job->fence);
	if (err) {
		if (err == -EIO) {
			pthread_mutex_lock(&x->lock);
			x->lost = true;
			pthread_mutex_unlock(&x->lock);
		}
		goto err_put;
	}
	pthread_mutex_lock(&x->lock);
	if (x->tail)
		x->tail->next = job;
	else
		x->head = job;
	x->tail = job;
	if (!x->waiting)
		x->waiting = job;
	pthread_cond_broadcast(&x->cond);
	pthread_mutex_unlock(&x->lock);
	x->pending++;
	return 0;

err_put:
	job_put(x, job);
	return err;
}

uint32_t vk_exec_reap(struct vk_exec *x, struct vk_completion *out, uint32_t max)
{
	struct exec_job *reaped = NULL, **last = &reaped;
	uint32_t n = 0;

	pthread_mutex_lock(&x->lock);
	while (n < max && x->head && x->head->done) {
		struct exec_job *job = x->head;

		x->head = job->next;
		if (!x->head)
			x->tail = NULL;
		job->next = NULL;
		*last = job;
		last = &job->next;
		n++;
	}
	pthread_mutex_unlock(&x->lock);

	n = 0;
	while (reaped) {
		struct exec_job *job = reaped;
		struct vk_completion *c = &out[n++];
		uint64_t t[JOB_TIME_QUERIES];

		reaped = job->next;
		c->cookie = job->cookie;
		c->status = job->status;
		c->gpu_time_ns = job->timed ? 0 : job->host_time_ns;
		/* The fence signaled, so the queries are available: no waiting here. */
		if (job->timed && job->status == 0 &&
		    vkGetQueryPoolResults(x->vk, job->query_pool, 0, JOB_TIME_QUERIES, sizeof(t), t,
					  sizeof(t[0]), VK_QUERY_RESULT_64_BIT) == VK_SUCCESS) {
			uint64_t ticks = ((t[1] & x->timestamp_mask) - (t[0] & x->timestamp_mask)) &
					 x->timestamp_mask;

			c->gpu_time_ns = (uint64_t)((double)ticks * x->timestamp_period + 0.5);
		}
		x->pending--;
		job_put(x, job);
	}
	return n;
}

uint32_t vk_exec_pending(const struct vk_exec *x)
{
	return x->pending;
}

void vk_exec_wait_idle(struct vk_exec *x)
{
	pthread_mutex_lock(&x->lock);
	while (x->waiting)
		pthread_cond_wait(&x->cond, &x->lock);
	pthread_mutex_unlock(&x->lock);
}

/* ---- limits, calibration ---- */

void vk_exec_limits(const struct vk_exec *x, struct cmdbuf_limits *out)
{
	*out = x->cmd_limits;
}

bool vk_exec_heap_usable(const struct vk_exec *x)
{
	return x->heap_usable;
}

double vk_exec_timestamp_period(const struct vk_exec *x)
{
	return x->timestamp_period;
}

/*
 * With VK_EXT_calibrated_timestamps: the driver samples both clocks together. Of a few samples
 * the one with the smallest deviation is kept (a preemption between the two reads widens it).
 */
static int calibrate_ext(struct vk_exec *x, uint64_t *gpu_ticks, uint64_t *host_ns)
{
	const VkCalibratedTimestampInfoEXT infos[2] = {
		{ .sType = VK_STRUCTURE_TYPE_CALIBRATED_TIMESTAMP_INFO_EXT,
		  .timeDomain = VK_TIME_DOMAIN_DEVICE_EXT },
		{ .sType = VK_STRUCTURE_TYPE_CALIBRATED_TIMESTAMP_INFO_EXT,
		  .timeDomain = VK_TIME_DOMAIN_CLOCK_MONOTONIC_EXT },
	};
	uint64_t best_deviation = UINT64_MAX;

	for (int i = 0; i < 3; i++) {
		uint64_t ts[2], deviation;
		VkResult res;

		res = x->get_calibrated_timestamps(x->vk, 2, infos, ts, &deviation);
		if (res != VK_SUCCESS)
			return vk_errno(res);
		if (deviation < best_deviation) {
			best_deviation = deviation;
			*gpu_ticks = ts[0] & x->timestamp_mask;
			*host_ns = ts[1];
		}
	}
	return 0;
}

int vk_exec_calibrate_with_job(struct vk_exec *x, uint64_t *gpu_ticks, uint64_t *host_ns)
{
	VkCommandBufferBeginInfo begin = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
		.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
	};
	VkSubmitInfo submit = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.commandBufferCount = 1,
	};
	struct exec_job *job;
	uint64_t before, after, ticks;
	VkResult res;
	int err;

	if (!x->timestamp_mask)
		return -EOPNOTSUPP;
	if (exec_lost(x))
		return -EIO;
	/* A busy queue would delay the timestamp past the midpoint taken below. */
	vk_exec_wait_idle(x);
	err = job_get(x, &job);
	if (err)
		return err;
	err = job_reserve(x, job, 0, 0, 1, 0);
	if (err)
		goto out;
	res = vkBeginCommandBuffer(job->cmd, &begin);
	if (res != VK_SUCCESS) {
		err = vk_errno(res);
		goto out;
	}
	vkCmdResetQueryPool(job->cmd, job->query_pool, 0, 1);
	vkCmdWriteTimestamp(job->cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, job->query_pool, 0);
	res = vkEndCommandBuffer(job->cmd);
	if (res != VK_SUCCESS) {
		err = vk_errno(res);
		goto out;
	}
	submit.pCommandBuffers = &job->cmd;
	before = monotonic_ns();
	err = vk_device_submit(x->device, &submit, job->fence);
	if (err)
		goto out;
	res = vkWaitForFences(x->vk, 1, &job->fence, VK_TRUE, UINT64_MAX);
	after = monotonic_ns();
	if (res == VK_SUCCESS)
		res = vkGetQueryPoolResults(x->vk, job->query_pool, 0, 1, sizeof(ticks), &ticks,
					    sizeof(ticks), VK_QUERY_RESULT_64_BIT |
					    VK_QUERY_RESULT_WAIT_BIT);
	if (res != VK_SUCCESS) {
		vk_device_set_lost(x->device);
		pthread_mutex_lock(&x->lock);
		x->lost = true;
		pthread_mutex_unlock(&x->lock);
		err = -EIO;
		goto out;
	}
	*gpu_ticks = ticks & x->timestamp_mask;
	*host_ns = before + (after - before) / 2;
out:
	job_put(x, job);
	return err;
}

int vk_exec_calibrate(struct vk_exec *x, uint64_t *gpu_ticks, uint64_t *host_ns)
{
	if (!x->timestamp_mask)
		return -EOPNOTSUPP;
	if (x->get_calibrated_timestamps)
		return calibrate_ext(x, gpu_ticks, host_ns);
	return vk_exec_calibrate_with_job(x, gpu_ticks, host_ns);
}

/* The extension is enabled; it is used only when it offers both clocks vk_exec pairs. */
static void find_calibration(struct vk_exec *x)
{
	PFN_vkGetPhysicalDeviceCalibrateableTimeDomainsEXT get_domains;
	VkPhysicalDevice pd = vk_device_physical(x->device);
	VkTimeDomainEXT domains[8];
	uint32_t count = 8;
	bool device = false, monotonic = false;
	VkResult res;

	if (!vk_device_has_calibrated_timestamps(x->device) || !x->timestamp_mask)
		return;
	get_domains = (PFN_vkGetPhysicalDeviceCalibrateableTimeDomainsEXT)vkGetInstanceProcAddr(
		vk_device_instance(x->device), "vkGetPhysicalDeviceCalibrateableTimeDomainsEXT");
	if (!get_domains)
		return;
	res = get_domains(pd, &count, domains);
	if (res != VK_SUCCESS && res != VK_INCOMPLETE)
		return;
	for (uint32_t i = 0; i < count; i++) {
		device |= domains[i] == VK_TIME_DOMAIN_DEVICE_EXT;
		monotonic |= domains[i] == VK_TIME_DOMAIN_CLOCK_MONOTONIC_EXT;
	}
	if (device && monotonic)
		x->get_calibrated_timestamps = (PFN_vkGetCalibratedTimestampsEXT)
			vkGetDeviceProcAddr(x->vk, "vkGetCalibratedTimestampsEXT");
}

/* ---- open, close ---- */

/* A host-coherent type among `type_bits`: nothing flushes the guest's stores. */
static int pick_heap_type(VkPhysicalDevice pd, uint32_t type_bits)
{
	const VkMemoryPropertyFlags want = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
					   VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
	VkPhysicalDeviceMemoryProperties mem;

	vkGetPhysicalDeviceMemoryProperties(pd, &mem);
	for (uint32_t i = 0; i < mem.memoryTypeCount && i < VK_MAX_MEMORY_TYPES; i++) {
		if ((type_bits & (1u << i)) && (mem.memoryTypes[i].propertyFlags & want) == want &&
		    !(mem.memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_PROTECTED_BIT))
			return (int)i;
	}
	return -1;
}

/*
 * Imports the heap's pages. Any failure leaves the heap unusable (jobs naming it are
 * -EOPNOTSUPP) but the device usable for device-local memory: a warning, not an error.
 */
static void import_heap(struct vk_exec *x)
{
	VkPhysicalDeviceExternalMemoryHostPropertiesEXT host_props = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT,
	};
	VkPhysicalDeviceProperties2 props = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
		.pNext = &host_props,
	};
	VkExternalMemoryBufferCreateInfo external = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT,
	};
	VkBufferCreateInfo buffer_info = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.pNext = &external,
		.size = x->heap_size,
		.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
			 VK_BUFFER_USAGE_TRANSFER_DST_BIT,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	};
	VkMemoryHostPointerPropertiesEXT pointer_props = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT,
	};
	VkImportMemoryHostPointerInfoEXT import = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT,
		.pHostPointer = x->heap,
	};
	VkMemoryAllocateInfo alloc = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &import,
		.allocationSize = x->heap_size,
	};
	PFN_vkGetMemoryHostPointerPropertiesEXT get_pointer_props;
	VkPhysicalDevice pd = vk_device_physical(x->device);
	VkMemoryRequirements req;
	const char *why;
	VkResult res;
	int type;

	if (!x->heap || !x->heap_size)
		return;
	if (!vk_device_has_external_memory_host(x->device)) {
		why = "no VK_EXT_external_memory_host";
		goto unusable;
	}
	vkGetPhysicalDeviceProperties2(pd, &props);
	if ((uintptr_t)x->heap % host_props.minImportedHostPointerAlignment ||
	    x->heap_size % host_props.minImportedHostPointerAlignment) {
		why = "heap not aligned to minImportedHostPointerAlignment";
		goto unusable;
	}
	get_pointer_props = (PFN_vkGetMemoryHostPointerPropertiesEXT)vkGetDeviceProcAddr(
		x->vk, "vkGetMemoryHostPointerPropertiesEXT");
	if (!get_pointer_props) {
		why = "no vkGetMemoryHostPointerPropertiesEXT";
		goto unusable;
	}
	res = get_pointer_props(x->vk, VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT,
				x->heap, &pointer_props);
	if (res != VK_SUCCESS) {
		why = "the driver cannot import these pages";
		goto unusable;
	}
	res = vkCreateBuffer(x->vk, &buffer_info, NULL, &x->heap_buffer);
	if (res != VK_SUCCESS) {
		x->heap_buffer = VK_NULL_HANDLE;
		why = "vkCreateBuffer failed";
		goto unusable;
	}
	vkGetBufferMemoryRequirements(x->vk, x->heap_buffer, &req);
	type = pick_heap_type(pd, req.memoryTypeBits & pointer_props.memoryTypeBits);
	if (req.size > x->heap_size || type < 0) {
		why = type < 0 ? "no host-coherent memory type for imported pages"
			       : "the heap buffer needs more memory than the heap";
		goto unusable;
	}
	if (vk_device_count_allocation(x->device)) {
		why = "maxMemoryAllocationCount reached";
		goto unusable;
	}
	x->heap_counted = true;
	alloc.memoryTypeIndex = (uint32_t)type;
	res = vkAllocateMemory(x->vk, &alloc, NULL, &x->heap_memory);
	if (res != VK_SUCCESS) {
		x->heap_memory = VK_NULL_HANDLE;
		why = "vkAllocateMemory (import) failed";
		goto unusable;
	}
	res = vkBindBufferMemory(x->vk, x->heap_buffer, x->heap_memory, 0);
	if (res != VK_SUCCESS) {
		why = "vkBindBufferMemory failed";
		goto unusable;
	}
	x->heap_usable = true;
	return;

unusable:
	log_warn("vk_exec: the heap (%" PRIu64 " bytes) cannot be imported: %s; "
		 "host-visible memory cannot be used by jobs", x->heap_size, why);
	vkDestroyBuffer(x->vk, x->heap_buffer, NULL);
	x->heap_buffer = VK_NULL_HANDLE;
	vkFreeMemory(x->vk, x->heap_memory, NULL);
	x->heap_memory = VK_NULL_HANDLE;
	if (x->heap_counted)
		vk_device_uncount_allocation(x->device);
	x->heap_counted = false;
}

static int create_layouts(struct vk_exec *x)
{
	VkDescriptorSetLayoutBinding bindings[OPENDXG_CMD_MAX_BINDINGS];
	VkDescriptorSetLayoutCreateInfo set_info = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
		.bindingCount = OPENDXG_CMD_MAX_BINDINGS,
		.pBindings = bindings,
	};
	const VkPushConstantRange push = {
		.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
		.offset = 0,
		.size = OPENDXG_CMD_MAX_PUSH_CONSTANTS,
	};
	VkPipelineLayoutCreateInfo layout_info = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
		.setLayoutCount = 1,
		.pSetLayouts = &x->set_layout,
		.pushConstantRangeCount = 1,
		.pPushConstantRanges = &push,
	};
	VkResult res;

	/*
	 * 128 bytes of push constants is every device's minimum; 16 storage buffers per stage is
	 * not (the minimum is 4), but every desktop driver and lavapipe have more.
	 */
	if (x->limits.maxPerStageDescriptorStorageBuffers < OPENDXG_CMD_MAX_BINDINGS ||
	    x->limits.maxPushConstantsSize < OPENDXG_CMD_MAX_PUSH_CONSTANTS) {
		log_error("vk_exec: the device cannot bind %u storage buffers and %u bytes of "
			  "push constants", OPENDXG_CMD_MAX_BINDINGS,
			  OPENDXG_CMD_MAX_PUSH_CONSTANTS);
		return -ENODEV;
	}
	for (uint32_t i = 0; i < OPENDXG_CMD_MAX_BINDINGS; i++) {
		bindings[i] = (VkDescriptorSetLayoutBinding){
			.binding = i,
			.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
			.descriptorCount = 1,
			.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
		};
	}
	res = vkCreateDescriptorSetLayout(x->vk, &set_info, NULL, &x->set_layout);
	if (res != VK_SUCCESS) {
		x->set_layout = VK_NULL_HANDLE;
		return vk_errno(res);
	}
	res = vkCreatePipelineLayout(x->vk, &layout_info, NULL, &x->pipeline_layout);
	if (res != VK_SUCCESS) {
		x->pipeline_layout = VK_NULL_HANDLE;
		return vk_errno(res);
	}
	return 0;
}

static int create_objects(struct vk_exec *x)
{
	VkCommandPoolCreateInfo pool_info = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
		/* Command buffers are re-recorded when their record is reused. */
		.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
		.queueFamilyIndex = x->queue_family,
	};
	VkPipelineCacheCreateInfo cache_info = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
	};
	VkResult res;

	res = vkCreateCommandPool(x->vk, &pool_info, NULL, &x->command_pool);
	if (res != VK_SUCCESS) {
		x->command_pool = VK_NULL_HANDLE;
		return vk_errno(res);
	}
	res = vkCreatePipelineCache(x->vk, &cache_info, NULL, &x->pipeline_cache);
	if (res != VK_SUCCESS) {
		x->pipeline_cache = VK_NULL_HANDLE;
		return vk_errno(res);
	}
	return create_layouts(x);
}

/* Safe on a partly opened vk_exec: every handle is valid or VK_NULL_HANDLE. */
static void destroy_exec(struct vk_exec *x)
{
	if (x->thread_started) {
		pthread_mutex_lock(&x->lock);
		x->stop = true;
		pthread_cond_broadcast(&x->cond);
		pthread_mutex_unlock(&x->lock);
		pthread_join(x->thread, NULL);
	}
	while (x->idle_jobs) {
		struct exec_job *job = x->idle_jobs;

		x->idle_jobs = job->next;
		job_destroy(x, job);
	}
	if (x->live_programs)
		log_error("vk_exec: closed with %u programs still referenced", x->live_programs);
	vkDestroyBuffer(x->vk, x->heap_buffer, NULL);
	vkFreeMemory(x->vk, x->heap_memory, NULL);
	if (x->heap_counted)
		vk_device_uncount_allocation(x->device);
	vkDestroyPipelineLayout(x->vk, x->pipeline_layout, NULL);
	vkDestroyDescriptorSetLayout(x->vk, x->set_layout, NULL);
	vkDestroyPipelineCache(x->vk, x->pipeline_cache, NULL);
	vkDestroyCommandPool(x->vk, x->command_pool, NULL);
	pthread_cond_destroy(&x->cond);
	pthread_mutex_destroy(&x->lock);
	free(x);
}

int vk_exec_open(struct vk_device *d, const struct vk_exec_setup *setup, struct vk_exec **out)
{
	const struct vk_adapter *adapter = vk_device_adapter(d);
	struct vk_exec *x;
	int err;

	*out = NULL;
	if (!setup)
		return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->cond, NULL);
	x->device = d;
	x->vk = vk_device_handle(d);
	x->limits = *vk_device_limits(d);
	x->queue_family = adapter->compute_queue_family;
	x->heap = setup->heap;
	x->heap_size = setup->heap ? setup->heap_size : 0;
	x->notify_fd = setup->notify_fd;

	for (int i = 0; i < 3; i++)
		x->cmd_limits.max_workgroup_count[i] = adapter->max_workgroup_count[i];
	x->cmd_limits.max_binding_size = adapter->max_binding_size;
	x->cmd_limits.timestamp_valid_bits = adapter->timestamp_valid_bits;
	if (adapter->timestamp_valid_bits) {
		x->timestamp_period = adapter->timestamp_period_ns;
		x->timestamp_mask = adapter->timestamp_valid_bits >= 64 ?
				    UINT64_MAX : (1ull << adapter->timestamp_valid_bits) - 1;
		x->query_timing = adapter->device_type != OPENDXG_DEVICE_TYPE_CPU;
	}

	err = create_objects(x);
	if (err)
		goto err_destroy;
	import_heap(x);
	find_calibration(x);
	err = pthread_create(&x->thread, NULL, completion_main, x);
	if (err) {
		err = -err;
		goto err_destroy;
	}
	x->thread_started = true;
	log_info("vk_exec: ready (heap %s, timestamps %s, calibration %s)",
		 x->heap_usable ? "imported" : "not usable",
		 x->timestamp_mask ? "yes" : "no",
		 x->get_calibrated_timestamps ? "VK_EXT_calibrated_timestamps" : "by a job");
	*out = x;
	return 0;

err_destroy:
	destroy_exec(x);
	return err;
}

void vk_exec_close(struct vk_exec *x)
{
	struct vk_completion scratch[16];

	if (!x)
		return;
	vk_exec_wait_idle(x);
	while (vk_exec_reap(x, scratch, sizeof(scratch) / sizeof(scratch[0])))
		;
	destroy_exec(x);
}
