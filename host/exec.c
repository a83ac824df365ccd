// SPDX-License-Identifier: MIT
/*
 * Queues, submission and scheduling (exec.h; docs/internals.md "Queues and jobs").
 *
 * One thread does everything here. Re-entrancy is avoided by construction: only exec_run()
 * starts queue items, and it is called at two places only (after a request, after a completion
 * poll), never from inside a teardown. Teardowns (destroying a queue, memory.c freeing
 * backing) may reap completions through exec_adapter_idle(); reaping only finishes jobs and
 * records that the queues should be looked at again (vm_exec.schedule).
 */
#include "exec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <misc/d3dkmthk.h>
#include <misc/opendxg.h>
#include <opendxg/handle.h>

#include "cmdbuf.h"
#include "log.h"
#include "memory.h"
#include "reply_buf.h"
#include "spirv_check.h"

#define REAP_BATCH 32u

enum item_kind {
	ITEM_JOB,
	ITEM_SIGNAL,
	ITEM_WAIT,
	ITEM_WAIT_SHARE,
	ITEM_GPU_VA,
};

/*
 * One SIGNAL_ON_QUEUE: a marker item on each of its queues points here. The objects are
 * signalled when the last marker is reached; a marker dropped by a broken queue signals them as
 * errors at once, one dropped by a destroyed queue cancels the signal. Either way the remaining
 * markers then pass without effect.
 */
struct signal_join {
	uint32_t markers;		/* marker items still pointing here */
	uint32_t pending;		/* markers not reached yet */
	bool done;
	uint32_t flags;			/* D3DDDICB_SIGNAL_FLAG_* */
	uint32_t count;
	struct dxg_sync_object *objects[DXGW_MAX_SYNC_OBJECTS];
	uint64_t values[DXGW_MAX_SYNC_OBJECTS];
};

struct exec_job {
	/* Where it counts (QUERY_STATISTICS): its process's and its adapter's numbers. */
	struct dxg_exec_stats *process_stats, *adapter_stats;
	bool finished;			/* counted as completed: not dropped when freed */
	uint64_t sequence;		/* 1-based SUBMIT number on its queue */
	uint64_t progress_value;	/* hardware queues: what the progress fence takes */
	bool null_rendering;
	struct cmdbuf cb;
	struct vk_program **programs;	/* per dispatch, one reference each */
	uint32_t *entries;		/* per dispatch: exec_device_ops.program_entry() */
};

struct queue_item {
	struct obj_list link;		/* exec_queue.items; exec_adapter.inflight while running */
	enum item_kind kind;
	struct exec_queue *queue;
	uint64_t bytes;			/* what it counts in dxg_vm_counters.queued_bytes */
	uint64_t cookie;		/* vk_job.cookie while in flight */
	union {
		struct exec_job job;
		struct signal_join *join;
		struct {
			uint32_t count;
			struct dxg_sync_object *objects[DXGW_MAX_SYNC_OBJECTS];
			uint64_t values[DXGW_MAX_SYNC_OBJECTS];
		} wait;
		struct {
			struct sync_state *state;	/* the object, not a handle */
			uint64_t value;
		} wait_share;
		struct {
			struct dxg_sync_object *fence;	/* NULL: none */
			uint64_t value;
			struct gpu_va_update *update;
		} gpu_va;
	};
};

struct exec_queue {
	/* vm_exec.active while it may have items (exec_run() unlinks it once it has none). */
	struct obj_list active_link;
	bool active;
	struct exec_context *ctx;
	struct exec_hw_queue *hwq;	/* NULL: the context's own queue */
	struct obj_list items;
	uint32_t item_count;
	struct queue_item *running;	/* the job in flight: at most one per queue */
	uint64_t sequence;		/* SUBMITs accepted */
	uint64_t last_progress;		/* hardware queues: the last progress_fence_value taken */
};

struct exec_hw_queue {
	struct obj_list link;		/* exec_context.hw_queues */
	uint32_t handle;		/* DXG_HTYPE_HWQUEUE */
	struct exec_context *ctx;
	uint32_t flags;			/* D3DDDI_CREATEHWQUEUE_FLAG_* */
	uint32_t priv_size;		/* recorded, as for contexts */
	struct dxg_sync_object *progress;
	struct exec_queue queue;
};

struct exec_context {
	struct dxg_context *context;
	struct exec_queue queue;
	struct obj_list hw_queues;
	uint32_t state;			/* D3DKMT_DEVICEEXECUTION_*: ACTIVE until it breaks */
	int32_t priority[2];		/* [in_process]: stored for the scheduler of issue 6 */
	uint64_t submitted;
	uint64_t completed;
	uint64_t gpu_time_ns;
};

/* What a PROGRAM allocation became on its adapter (dxg_allocation.program). */
struct exec_program {
	struct vk_program *vk;		/* NULL when the module cannot run here */
	int error;			/* -EINVAL, cached: the module will not do better later */
	uint32_t binding_mask;
	uint32_t push_constant_size;
};

struct exec_adapter {
	struct vk_exec *x;		/* opened by the first SUBMIT */
	int error;			/* sticky failure to open */
	struct cmdbuf_limits limits;
	struct obj_list inflight;	/* running jobs, in submission order */
	uint32_t inflight_count;
};

struct vm_exec {
	const struct exec_device_ops *ops;	/* NULL: no execution */
	int notify_fd;
	struct exec_adapter adapters[DXGW_MAX_ADAPTERS];
	struct obj_list active;
	bool schedule;			/* something changed: exec_run() has work */
	bool running;			/* inside exec_run() */
	uint64_t next_cookie;
	unsigned char *scratch;		/* the private copy of a command buffer being submitted */
	uint32_t scratch_size;
	struct dxg_ratelimit log;
};

/* ---- Vulkan ---- */

const struct exec_device_ops exec_vulkan_ops = {
	.open = vk_exec_open,
	.close = vk_exec_close,
	.limits = vk_exec_limits,
	.timestamp_period = vk_exec_timestamp_period,
	.program_create = vk_program_create,
	.program_ref = vk_program_ref,
	.program_unref = vk_program_unref,
	.program_entry = vk_program_entry,
	.submit = vk_exec_submit,
	.reap = vk_exec_reap,
	.wait_idle = vk_exec_wait_idle,
	.calibrate = vk_exec_calibrate,
};

/* ---- helpers ---- */

static struct vm_exec *xvm(const struct dxg_vm *vm)
{
	return vm->exec;
}

static uint32_t queue_adapter(const struct exec_queue *q)
{
	return q->ctx->context->device->adapter->index;
}

static struct dxg_device *queue_device(const struct exec_queue *q)
{
	return q->ctx->context->device;
}

static bool ctx_broken(const struct exec_context *ctx)
{
	return ctx->state != D3DKMT_DEVICEEXECUTION_ACTIVE;
}

void exec_sync_changed(struct dxg_vm *vm)
{
	if (vm->exec)
		vm->exec->schedule = true;
}

static void queue_init(struct exec_queue *q, struct exec_context *ctx, struct exec_hw_queue *hwq)
{
	obj_list_init(&q->active_link);
	obj_list_init(&q->items);
	q->ctx = ctx;
	q->hwq = hwq;
}

/* May `extra` more items of `bytes` in all go on queue `q`? */
static bool items_fit(const struct dxg_vm *vm, const struct exec_queue *q, uint32_t extra,
		      uint64_t bytes)
{
	const struct dxg_vm_limits *l = &vm->limits;

	return q->item_count < l->max_queue_items &&
	       vm->counters.queue_items + extra <= l->max_vm_queue_items &&
	       bytes <= l->max_queued_bytes - (vm->counters.queued_bytes < l->max_queued_bytes ?
					      vm->counters.queued_bytes : l->max_queued_bytes);
}

static void queue_append(struct dxg_vm *vm, struct exec_queue *q, struct queue_item *it)
{
	struct vm_exec *xe = xvm(vm);

	it->queue = q;
	obj_list_add_tail(&q->items, &it->link);
	q->item_count++;
	vm->counters.queue_items++;
	vm->counters.queued_bytes += it->bytes;
	if (!q->active) {
		obj_list_add_tail(&xe->active, &q->active_link);
		q->active = true;
	}
	xe->schedule = true;
}

static struct queue_item *queue_head(const struct exec_queue *q)
{
	return obj_container_of(q->items.next, struct queue_item, link);
}

/* Takes the head off the queue; it keeps counting in queued_bytes until item_free(). */
static struct queue_item *queue_pop(struct dxg_vm *vm, struct exec_queue *q)
{
	struct queue_item *it = queue_head(q);

	obj_list_del(&it->link);
	q->item_count--;
	vm->counters.queue_items--;
	return it;
}

static void job_release(struct dxg_vm *vm, struct exec_job *job)
{
	const struct exec_device_ops *ops = xvm(vm)->ops;

	for (uint32_t i = 0; job->programs && i < job->cb.dispatch_count; i++) {
		if (job->programs[i])
			ops->program_unref(job->programs[i]);
	}
	free(job->programs);
	free(job->entries);
	cmdbuf_free(&job->cb);
}

static void join_put(struct dxg_vm *vm, struct signal_join *join)
{
	if (--join->markers)
		return;
	for (uint32_t i = 0; i < join->count; i++)
		sync_unref(vm, join->objects[i]);
	free(join);
}

/* Frees an item that was never queued (nothing counted it). */
static void item_release(struct dxg_vm *vm, struct queue_item *it)
{
	switch (it->kind) {
	case ITEM_JOB:
		job_release(vm, &it->job);
		break;
	case ITEM_SIGNAL:
		join_put(vm, it->join);
		break;
	case ITEM_WAIT:
		for (uint32_t i = 0; i < it->wait.count; i++)
			sync_unref(vm, it->wait.objects[i]);
		break;
	case ITEM_WAIT_SHARE:
		sync_state_unref(vm, it->wait_share.state);
		break;
	case ITEM_GPU_VA:
		if (it->gpu_va.fence)
			sync_unref(vm, it->gpu_va.fence);
		memory_gpu_va_update_free(it->gpu_va.update);
		break;
	}
	free(it);
}

/* QUERY_STATISTICS numbers: a job counts for its process and for its adapter alike. */
static void stats_submitted(struct dxg_exec_stats *st)
{
	st->jobs_submitted++;
}

static void stats_completed(struct dxg_exec_stats *st, int status, uint64_t gpu_time_ns)
{
	st->jobs_completed++;
	st->jobs_failed += status != 0;
	st->running_time_ns += gpu_time_ns;
}

/* A job freed without having completed was dropped unrun (its queue broke or went). */
static void job_account_end(struct exec_job *job)
{
	/* A job freed before SUBMIT accepted it was never counted. */
	if (!job->process_stats || job->finished)
		return;
	job->process_stats->jobs_dropped++;
	job->adapter_stats->jobs_dropped++;
}

/* Frees an item that was queued and is on no list any more (popped, or reaped). */
static void item_free(struct dxg_vm *vm, struct queue_item *it)
{
	vm->counters.queued_bytes -= it->bytes;
	if (it->kind == ITEM_JOB)
		job_account_end(&it->job);
	item_release(vm, it);
}

/*
 * Drops everything queued on `q` (not the job in flight). With `errors` (the queue broke) the
 * signals it would have made are made as errors; without (it is being destroyed) they never
 * happen (wire.h DESTROY_HW_QUEUE).
 */
static void drop_items(struct dxg_vm *vm, struct exec_queue *q, bool errors)
{
	while (!obj_list_empty(&q->items)) {
		struct queue_item *it = queue_pop(vm, q);

		if (it->kind == ITEM_SIGNAL && !it->join->done) {
			it->join->done = true;
			for (uint32_t i = 0; errors && i < it->join->count; i++)
				sync_signal_error(vm, it->join->objects[i]);
		}
		item_free(vm, it);
	}
}

static const char *state_name(uint32_t state)
{
	switch (state) {
	case D3DKMT_DEVICEEXECUTION_RESET:
		return "reset (MARK_DEVICE_ERROR)";
	case D3DKMT_DEVICEEXECUTION_HUNG:
		return "hung (the device failed a job)";
	case D3DKMT_DEVICEEXECUTION_ERROR_OUTOFMEMORY:
		return "out of memory";
	case D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT:
		return "DMA fault (bad command buffer)";
	case D3DKMT_DEVICEEXECUTION_ERROR_DMAPAGEFAULT:
		return "DMA page fault";
	default:
		return "error";
	}
}

/*
 * The context breaks for good (exec.h). `fault` (may be NULL) is a page fault to report through
 * GET_DEVICE_STATE. A job already in flight finishes, but writes no progress fence.
 */
static void break_context(struct dxg_vm *vm, struct exec_context *ctx, uint32_t state,
			  const struct dxg_page_fault *fault)
{
	struct dxg_device *d = ctx->context->device;

	if (ctx_broken(ctx))
		return;
	ctx->state = state;
	vm->counters.contexts_broken++;
	if (d->execution_state == D3DKMT_DEVICEEXECUTION_ACTIVE) {
		d->execution_state = state;
		d->broken_context = ctx->context->handle;
	}
	if (fault && !d->has_fault) {
		d->has_fault = true;
		d->fault = *fault;
	}
	dxg_log_limited(&xvm(vm)->log, DXG_LOG_INFO, "process 0x%x context 0x%x broken: %s",
			d->process->handle, ctx->context->handle, state_name(state));
	drop_items(vm, &ctx->queue, true);
	for (struct obj_list *it = ctx->hw_queues.next; it != &ctx->hw_queues; it = it->next) {
		struct exec_hw_queue *hwq = obj_container_of(it, struct exec_hw_queue, link);

		drop_items(vm, &hwq->queue, true);
		sync_fence_set(vm, hwq->progress, DXGW_FENCE_VALUE_ERROR);
	}
	xvm(vm)->schedule = true;
}

/* ---- adapters ---- */

/* The adapter's vk_exec, opened on first use. */
static int adapter_exec(struct dxg_vm *vm, uint32_t index, struct exec_adapter **out)
{
	struct vm_exec *xe = xvm(vm);
	struct exec_adapter *ea = &xe->adapters[index];
	struct vk_exec_setup setup;
	struct vk_device *dev;
	unsigned char *region = memory_region(vm);
	int ret;

	if (!xe->ops)
		return -ENODEV;
	if (!ea->x && !ea->error) {
		ret = memory_adapter_device(vm, index, &dev);
		if (ret)
			return ret;
		setup = (struct vk_exec_setup){
			.heap = region && memory_heap_offset(vm) ? region + memory_heap_offset(vm)
								 : NULL,
			.heap_size = memory_heap_size(vm),
			.notify_fd = xe->notify_fd,
		};
		ret = xe->ops->open(dev, &setup, &ea->x);
		if (ret) {
			ea->x = NULL;
			dxg_log_limited(&xe->log, DXG_LOG_WARN,
					"adapter %u: cannot execute jobs (%d)", index, ret);
			/* Memory may come back; a device that cannot execute will not. */
			if (ret != -ENOMEM)
				ea->error = -ENODEV;
			return ret == -ENOMEM ? ret : -ENODEV;
		}
		xe->ops->limits(ea->x, &ea->limits);
	}
	if (ea->error)
		return ea->error;
	*out = ea;
	return 0;
}

/* ---- jobs ---- */

static void complete_job(struct dxg_vm *vm, struct exec_queue *q, struct queue_item *it,
			 int status, uint64_t gpu_time_ns)
{
	struct exec_context *ctx = q->ctx;

	if (q->running == it)
		q->running = NULL;
	vm->counters.jobs_completed++;
	it->job.finished = true;
	stats_completed(it->job.process_stats, status, gpu_time_ns);
	stats_completed(it->job.adapter_stats, status, gpu_time_ns);
	if (status) {
		/* The device failed the job: what it wrote is unknown, the context cannot go on. */
		break_context(vm, ctx, D3DKMT_DEVICEEXECUTION_HUNG, NULL);
	} else {
		ctx->completed++;
		ctx->gpu_time_ns += gpu_time_ns;
		if (q->hwq && !ctx_broken(ctx))
			sync_fence_set(vm, q->hwq->progress, it->job.progress_value);
	}
	item_free(vm, it);
	xvm(vm)->schedule = true;
}

/* Reaps every completion the adapter has, in submission order. */
static void reap_adapter(struct dxg_vm *vm, struct exec_adapter *ea)
{
	const struct exec_device_ops *ops = xvm(vm)->ops;
	struct vk_completion done[REAP_BATCH];
	uint32_t n;

	while (ea->inflight_count && (n = ops->reap(ea->x, done, REAP_BATCH)) > 0) {
		for (uint32_t i = 0; i < n; i++) {
			struct queue_item *it = NULL;

			/* Completions come in submission order: the head, unless a backend lies. */
			for (struct obj_list *l = ea->inflight.next; l != &ea->inflight;
			     l = l->next) {
				struct queue_item *c = obj_container_of(l, struct queue_item, link);

				if (c->cookie == done[i].cookie) {
					it = c;
					break;
				}
			}
			if (!it) {
				log_error("completion of unknown job %llu ignored",
					  (unsigned long long)done[i].cookie);
				continue;
			}
			obj_list_del(&it->link);
			ea->inflight_count--;
			complete_job(vm, it->queue, it, done[i].status, done[i].gpu_time_ns);
		}
	}
}

void exec_adapter_idle(struct dxg_vm *vm, uint32_t index)
{
	struct vm_exec *xe = xvm(vm);
	struct exec_adapter *ea;

	if (!xe || index >= DXGW_MAX_ADAPTERS)
		return;
	ea = &xe->adapters[index];
	if (!ea->x || !ea->inflight_count)
		return;
	xe->ops->wait_idle(ea->x);
	reap_adapter(vm, ea);
}

/*
 * One GPU VA of a starting job to device memory: the allocation must be mapped with the access
 * asked for and backed now. Fills `fault` (va, flags) on failure.
 */
static int translate_ref(struct dxg_vm *vm, const struct dxg_process *p, uint32_t index,
			 uint64_t va, uint64_t len, bool write, struct vk_ref *ref,
			 struct dxg_page_fault *fault)
{
	struct dxg_allocation *a;
	uint64_t off;
	int ret = memory_translate_gpu_va(p, index, va, len, write, &a, &off);

	fault->va = va;
	fault->flags = write ? DXGW_FAULT_WRITE : 0;
	if (ret) {
		if (ret != -EACCES)
			fault->flags |= DXGW_FAULT_NOT_MAPPED;
		return -EFAULT;
	}
	switch (a->kind) {
	case OPENDXG_ALLOC_KIND_HOST_VISIBLE:
		ref->buffer = NULL;
		ref->offset = a->heap_offset - memory_heap_offset(vm) + off;
		return 0;
	case OPENDXG_ALLOC_KIND_DEVICE_LOCAL:
		/*
		 * Evicted or discarded contents are not there to be used: reported as not mapped.
		 * The mapping may cover the page-rounded tail; the buffer has `size` bytes only.
		 */
		if (!a->buffer || a->discarded || off > a->size || len > a->size - off) {
			fault->flags |= DXGW_FAULT_NOT_MAPPED;
			return -EFAULT;
		}
		ref->buffer = a->buffer;
		ref->offset = off;
		return 0;
	default:
		/* Program memory is never an operand: mapped, but without the access. */
		return -EFAULT;
	}
}

static int translate_job(struct dxg_vm *vm, const struct exec_queue *q, const struct exec_job *job,
			 struct vk_job_op *ops, struct dxg_page_fault *fault)
{
	const struct dxg_process *p = queue_device(q)->process;
	const uint32_t index = queue_adapter(q);
	int ret = 0;

	for (uint32_t i = 0; i < job->cb.op_count && !ret; i++) {
		const struct cmdbuf_op *op = &job->cb.ops[i];
		struct vk_job_op *o = &ops[i];
		const struct cmdbuf_dispatch *cd;
		uint32_t di;

		o->type = op->type;
		fault->packet = op->offset;
		switch (op->type) {
		case OPENDXG_CMD_COPY:
			o->copy.size = op->copy.size;
			ret = translate_ref(vm, p, index, op->copy.src_va, op->copy.size, false,
					    &o->copy.src, fault);
			if (!ret)
				ret = translate_ref(vm, p, index, op->copy.dst_va, op->copy.size,
						    true, &o->copy.dst, fault);
			break;
		case OPENDXG_CMD_FILL:
			o->fill.size = op->fill.size;
			o->fill.value = op->fill.value;
			ret = translate_ref(vm, p, index, op->fill.dst_va, op->fill.size, true,
					    &o->fill.dst, fault);
			break;
		case OPENDXG_CMD_DISPATCH:
			cd = op->dispatch;
			di = (uint32_t)(cd - job->cb.dispatches);
			o->dispatch.program = job->programs[di];
			o->dispatch.entry = job->entries[di];
			memcpy(o->dispatch.group_count, cd->group_count,
			       sizeof(o->dispatch.group_count));
			o->dispatch.binding_count = cd->binding_count;
			o->dispatch.push_constant_size = cd->push_constant_size;
			memcpy(o->dispatch.push_constants, cd->push_constants,
			       sizeof(o->dispatch.push_constants));
			for (uint32_t b = 0; b < cd->binding_count && !ret; b++) {
				const struct cmdbuf_binding *cbb = &cd->bindings[b];
				struct vk_job_binding *jb = &o->dispatch.bindings[b];

				jb->binding = cbb->binding;
				jb->size = cbb->size;
				ret = translate_ref(vm, p, index, cbb->va, cbb->size,
						    !(cbb->flags & OPENDXG_BINDING_READ_ONLY),
						    &jb->ref, fault);
			}
			break;
		case OPENDXG_CMD_TIMESTAMP:
			ret = translate_ref(vm, p, index, op->timestamp.dst_va, 8, true,
					    &o->timestamp.dst, fault);
			break;
		default:	/* BARRIER */
			break;
		}
	}
	fault->sequence = job->sequence;
	return ret;
}

static uint32_t submit_error_state(int err)
{
	switch (err) {
	case -ENOMEM:
		return D3DKMT_DEVICEEXECUTION_ERROR_OUTOFMEMORY;
	case -EIO:
		return D3DKMT_DEVICEEXECUTION_HUNG;
	default:
		return D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT;
	}
}

/*
 * The queue's head job starts (it is off the queue already): its GPU VAs translate now (WDDM:
 * updates queued before it apply), then it goes to the device. A job with nothing to do
 * completes here: the queue's previous job has completed, so its order is kept.
 */
static void start_job(struct dxg_vm *vm, struct exec_queue *q, struct queue_item *it)
{
	struct vm_exec *xe = xvm(vm);
	struct exec_adapter *ea = &xe->adapters[queue_adapter(q)];
	struct exec_job *job = &it->job;
	struct dxg_page_fault fault;
	struct vk_job_op *ops;
	struct vk_job vj;
	int ret;

	if (job->null_rendering || job->cb.op_count == 0) {
		complete_job(vm, q, it, 0, 0);
		return;
	}
	ops = calloc(job->cb.op_count, sizeof(*ops));
	if (!ops) {
		break_context(vm, q->ctx, D3DKMT_DEVICEEXECUTION_ERROR_OUTOFMEMORY, NULL);
		item_free(vm, it);
		return;
	}
	memset(&fault, 0, sizeof(fault));
	ret = translate_job(vm, q, job, ops, &fault);
	if (ret) {
		break_context(vm, q->ctx, D3DKMT_DEVICEEXECUTION_ERROR_DMAPAGEFAULT, &fault);
		free(ops);
		item_free(vm, it);
		return;
	}
	it->cookie = ++xe->next_cookie;
	vj = (struct vk_job){ .cookie = it->cookie, .op_count = job->cb.op_count, .ops = ops };
	ret = xe->ops->submit(ea->x, &vj);
	free(ops);
	if (ret) {
		dxg_log_limited(&xe->log, DXG_LOG_WARN, "submitting a job failed (%d)", ret);
		break_context(vm, q->ctx, submit_error_state(ret), NULL);
		item_free(vm, it);
		return;
	}
	q->running = it;
	obj_list_add_tail(&ea->inflight, &it->link);
	ea->inflight_count++;
}

/* ---- scheduling ---- */

static bool wait_ready(const struct queue_item *it)
{
	for (uint32_t i = 0; i < it->wait.count; i++) {
		if (!sync_wait_ready(it->wait.objects[i], it->wait.values[i]))
			return false;
	}
	return true;
}

/* Runs the queue's head items for as long as they can run. */
static void run_queue(struct dxg_vm *vm, struct exec_queue *q)
{
	while (!q->running && !obj_list_empty(&q->items)) {
		struct queue_item *it = queue_head(q);
		struct signal_join *join;
		int ret;

		switch (it->kind) {
		case ITEM_WAIT:
			/* All or nothing: a wait never holds one mutex while blocked on another. */
			if (!wait_ready(it))
				return;
			for (uint32_t i = 0; i < it->wait.count; i++)
				sync_wait_acquire(it->wait.objects[i]);
			item_free(vm, queue_pop(vm, q));
			break;
		case ITEM_WAIT_SHARE:
			if (!sync_state_wait_ready(it->wait_share.state, it->wait_share.value))
				return;
			item_free(vm, queue_pop(vm, q));
			break;
		case ITEM_SIGNAL:
			join = queue_pop(vm, q)->join;
			if (!join->done && --join->pending == 0) {
				join->done = true;
				for (uint32_t i = 0; i < join->count; i++)
					sync_signal(vm, join->objects[i], join->values[i],
						    join->flags);
			}
			item_free(vm, it);
			break;
		case ITEM_GPU_VA:
			if (it->gpu_va.fence &&
			    !sync_wait_ready(it->gpu_va.fence, it->gpu_va.value))
				return;
			queue_pop(vm, q);
			ret = memory_gpu_va_update_apply(vm, it->gpu_va.update);
			item_free(vm, it);
			if (ret) {
				dxg_log_limited(&xvm(vm)->log, DXG_LOG_INFO,
						"queued GPU VA update failed (%d)", ret);
				break_context(vm, q->ctx, D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT,
					      NULL);
			}
			break;
		case ITEM_JOB:
			start_job(vm, q, queue_pop(vm, q));
			break;
		}
	}
}

void exec_run(struct dxg_vm *vm)
{
	struct vm_exec *xe = xvm(vm);

	if (!xe || xe->running)
		return;
	xe->running = true;
	/*
	 * Each pass looks at every queue with items once; a pass that changed something (a signal,
	 * a job start or completion) may have unblocked a queue already looked at: go again.
	 * Every change consumes an item, so this ends.
	 */
	while (xe->schedule) {
		xe->schedule = false;
		for (struct obj_list *l = xe->active.next, *next; l != &xe->active; l = next) {
			struct exec_queue *q = obj_container_of(l, struct exec_queue, active_link);

			run_queue(vm, q);
			/* Only requests destroy queues, never this loop: next stays valid. */
			next = l->next;
			if (obj_list_empty(&q->items)) {
				obj_list_del(&q->active_link);
				q->active = false;
			}
		}
	}
	xe->running = false;
}

void exec_poll(struct dxg_vm *vm)
{
	struct vm_exec *xe = xvm(vm);
	uint64_t v;

	if (!xe)
		return;
	/*
	 * Drain first, then reap: a completion after the reap writes the eventfd again and the
	 * loop comes back, so none is left behind.
	 */
	if (read(xe->notify_fd, &v, sizeof(v)) < 0 && errno != EAGAIN && errno != EINTR)
		log_warn("reading the completion eventfd: %m");
	for (uint32_t i = 0; i < DXGW_MAX_ADAPTERS; i++) {
		if (xe->adapters[i].x && xe->adapters[i].inflight_count)
			reap_adapter(vm, &xe->adapters[i]);
	}
	exec_run(vm);
}

int exec_notify_fd(const struct dxg_vm *vm)
{
	return vm->exec ? vm->exec->notify_fd : -1;
}

/* ---- VM and contexts ---- */

int exec_vm_init(struct dxg_vm *vm, const struct exec_device_ops *ops)
{
	struct vm_exec *xe = calloc(1, sizeof(*xe));

	if (!xe)
		return -ENOMEM;
	xe->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (xe->notify_fd < 0) {
		free(xe);
		return -ENOMEM;
	}
	xe->ops = ops;
	xe->log = (struct dxg_ratelimit)DXG_RATELIMIT_INIT(5000, 5);
	obj_list_init(&xe->active);
	for (uint32_t i = 0; i < DXGW_MAX_ADAPTERS; i++)
		obj_list_init(&xe->adapters[i].inflight);
	vm->exec = xe;
	return 0;
}

void exec_vm_fini(struct dxg_vm *vm)
{
	struct vm_exec *xe = xvm(vm);

	if (!xe)
		return;
	for (uint32_t i = 0; i < DXGW_MAX_ADAPTERS; i++) {
		struct exec_adapter *ea = &xe->adapters[i];

		if (!ea->x)
			continue;
		/* Every queue is gone by now, so nothing is in flight; reap whatever a bug left. */
		exec_adapter_idle(vm, i);
		xe->ops->close(ea->x);
	}
	close(xe->notify_fd);
	free(xe->scratch);
	free(xe);
	vm->exec = NULL;
}

int exec_context_create(struct dxg_vm *vm, struct dxg_context *c)
{
	struct exec_context *ctx = calloc(1, sizeof(*ctx));

	(void)vm;
	if (!ctx)
		return -ENOMEM;
	ctx->context = c;
	ctx->state = D3DKMT_DEVICEEXECUTION_ACTIVE;
	queue_init(&ctx->queue, ctx, NULL);
	obj_list_init(&ctx->hw_queues);
	c->exec = ctx;
	return 0;
}

/* Waits for the queue's job in flight, then drops what is queued (signals never happen). */
static void queue_fini(struct dxg_vm *vm, struct exec_queue *q)
{
	if (q->running)
		exec_adapter_idle(vm, queue_adapter(q));
	drop_items(vm, q, false);
	if (q->active) {
		obj_list_del(&q->active_link);
		q->active = false;
	}
}

static void destroy_hw_queue(struct dxg_vm *vm, struct exec_hw_queue *hwq)
{
	handle_table_mark_destroyed(&vm->handles, hwq->handle);
	queue_fini(vm, &hwq->queue);
	obj_list_del(&hwq->link);
	sync_destroy(vm, hwq->progress);
	vm->counters.hw_queues--;
	handle_table_free(&vm->handles, hwq->handle);
	free(hwq);
}

void exec_context_destroy(struct dxg_vm *vm, struct dxg_context *c)
{
	struct exec_context *ctx = c->exec;

	if (!ctx)
		return;
	while (!obj_list_empty(&ctx->hw_queues))
		destroy_hw_queue(vm, obj_container_of(ctx->hw_queues.next, struct exec_hw_queue,
						      link));
	queue_fini(vm, &ctx->queue);
	free(ctx);
	c->exec = NULL;
}

void exec_program_release(struct dxg_vm *vm, struct exec_program *program)
{
	if (program->vk)
		xvm(vm)->ops->program_unref(program->vk);
	free(program);
}

/* ---- requests ---- */

static struct dxg_context *find_context(struct dxg_vm *vm, const struct dxg_process *p,
					uint32_t handle)
{
	return handle_table_lookup(&vm->handles, handle, DXG_HTYPE_CONTEXT, p->handle);
}

/* A context's own queue or a hardware queue of process `p`. */
static struct exec_queue *find_queue(struct dxg_vm *vm, const struct dxg_process *p,
				     uint32_t handle)
{
	struct dxg_context *c = find_context(vm, p, handle);
	struct exec_hw_queue *hwq;

	if (c)
		return c->exec ? &c->exec->queue : NULL;
	hwq = handle_table_lookup(&vm->handles, handle, DXG_HTYPE_HWQUEUE, p->handle);
	return hwq ? &hwq->queue : NULL;
}

static struct dxg_device *find_device(struct dxg_vm *vm, const struct dxg_process *p,
				      uint32_t handle)
{
	return handle_table_lookup(&vm->handles, handle, DXG_HTYPE_DEVICE, p->handle);
}

/*
 * Resolves an object list of a 0x05xx queue request: live objects of `p` on device `d`, each
 * named once, through one handle (a mutex named twice in one wait could never be acquired).
 */
static int resolve_objects(struct dxg_vm *vm, const struct dxg_process *p,
			   const struct dxg_device *d, const unsigned char *list, uint32_t n,
			   struct dxg_sync_object **out)
{
	for (uint32_t i = 0; i < n; i++) {
		out[i] = sync_find(vm, p, dxgw_list_get(list, i));
		if (!out[i] || out[i]->device != d)
			return -EINVAL;
		for (uint32_t j = 0; j < i; j++) {
			if (out[j]->state == out[i]->state)
				return -EINVAL;
		}
	}
	return 0;
}

static struct queue_item *new_item(enum item_kind kind, uint64_t extra_bytes)
{
	struct queue_item *it = calloc(1, sizeof(*it));

	if (it) {
		it->kind = kind;
		it->bytes = sizeof(*it) + extra_bytes;
		obj_list_init(&it->link);
	}
	return it;
}

static int signal_on_queue(struct dxg_vm *vm, struct dxg_process *p,
			   const struct dxgw_request *req)
{
	const uint32_t nq = req->signal_on_queue.queue_count;
	const uint32_t no = req->signal_on_queue.object_count;
	const uint32_t flags = req->signal_on_queue.flags;
	struct exec_queue *queues[DXGW_MAX_QUEUES];
	struct dxg_sync_object *objects[DXGW_MAX_SYNC_OBJECTS];
	struct queue_item *items[DXGW_MAX_QUEUES];
	struct signal_join *join;
	struct dxg_device *d = NULL;
	bool broken = false;
	int ret;

	for (uint32_t i = 0; i < nq; i++) {
		queues[i] = find_queue(vm, p, dxgw_list_get(req->signal_on_queue.queues, i));
		if (!queues[i] || (d && queue_device(queues[i]) != d))
			return -EINVAL;
		d = queue_device(queues[i]);
		for (uint32_t j = 0; j < i; j++) {
			if (queues[j] == queues[i])
				return -EINVAL;
		}
		broken |= ctx_broken(queues[i]->ctx);
	}
	ret = resolve_objects(vm, p, d, req->signal_on_queue.objects, no, objects);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < no; i++) {
		uint64_t v = dxgw_value_get(req->signal_on_queue.values, i);

		/* Paging and progress fences move with their own queue only (waits are fine). */
		if (sync_host_signalled(objects[i]))
			return -EINVAL;
		if (sync_is_fence(objects[i]) && v < objects[i]->value &&
		    !(flags & D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND))
			return -EINVAL;
	}
	for (uint32_t i = 0; i < no; i++) {
		if (!sync_can_signal(objects[i]))
			return -EACCES;
	}
	/*
	 * A broken queue makes no signal (-ENODEV), but what waits for it must not wait forever:
	 * the objects get the error signal a dropped marker would have given them.
	 */
	if (broken) {
		for (uint32_t i = 0; i < no; i++)
			sync_signal_error(vm, objects[i]);
		return -ENODEV;
	}
	/* SIGNAL_AT_SUBMISSION: the signal does not wait for the queues' work. */
	if (flags & D3DDDICB_SIGNAL_FLAG_SIGNAL_AT_SUBMISSION) {
		for (uint32_t i = 0; i < no; i++)
			sync_signal(vm, objects[i], dxgw_value_get(req->signal_on_queue.values, i),
				    flags);
		return 0;
	}
	for (uint32_t i = 0; i < nq; i++) {
		if (!items_fit(vm, queues[i], nq, sizeof(struct queue_item) * nq + sizeof(*join)))
			return -ENOMEM;
	}
	join = calloc(1, sizeof(*join));
	memset(items, 0, sizeof(items));
	for (uint32_t i = 0; join && i < nq; i++) {
		items[i] = new_item(ITEM_SIGNAL, i == 0 ? sizeof(*join) : 0);
		if (!items[i]) {
			for (uint32_t j = 0; j < i; j++)
				free(items[j]);
			free(join);
			join = NULL;
		}
	}
	if (!join)
		return -ENOMEM;
	join->markers = join->pending = nq;
	join->flags = flags;
	join->count = no;
	for (uint32_t i = 0; i < no; i++) {
		join->objects[i] = objects[i];
		join->values[i] = dxgw_value_get(req->signal_on_queue.values, i);
		sync_ref(objects[i]);
	}
	for (uint32_t i = 0; i < nq; i++) {
		items[i]->join = join;
		queue_append(vm, queues[i], items[i]);
	}
	return 0;
}

static int wait_on_queue(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req)
{
	const uint32_t n = req->wait_on_queue.object_count;
	struct exec_queue *q = find_queue(vm, p, req->wait_on_queue.queue);
	struct dxg_sync_object *objects[DXGW_MAX_SYNC_OBJECTS];
	struct queue_item *it;
	int ret;

	if (!q)
		return -EINVAL;
	ret = resolve_objects(vm, p, queue_device(q), req->wait_on_queue.objects, n, objects);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < n; i++) {
		if (objects[i]->type == D3DDDI_CPU_NOTIFICATION)
			return -EINVAL;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (!sync_can_wait(objects[i]))
			return -EACCES;
	}
	if (ctx_broken(q->ctx))
		return -ENODEV;
	if (!items_fit(vm, q, 1, sizeof(*it)))
		return -ENOMEM;
	it = new_item(ITEM_WAIT, 0);
	if (!it)
		return -ENOMEM;
	it->wait.count = n;
	for (uint32_t i = 0; i < n; i++) {
		it->wait.objects[i] = objects[i];
		it->wait.values[i] = dxgw_value_get(req->wait_on_queue.values, i);
		sync_ref(objects[i]);
	}
	queue_append(vm, q, it);
	return 0;
}

int exec_wait_share_on_queue(struct dxg_vm *vm, struct dxg_process *p, uint32_t queue,
			     struct sync_state *st, uint64_t value)
{
	struct exec_queue *q = find_queue(vm, p, queue);
	struct queue_item *it;

	if (!q || !st || st->type != D3DDDI_MONITORED_FENCE)
		return -EINVAL;
	if (ctx_broken(q->ctx))
		return -ENODEV;
	if (!items_fit(vm, q, 1, sizeof(*it)))
		return -ENOMEM;
	it = new_item(ITEM_WAIT_SHARE, 0);
	if (!it)
		return -ENOMEM;
	it->wait_share.state = st;
	it->wait_share.value = value;
	sync_state_ref(st);
	queue_append(vm, q, it);
	return 0;
}

static int create_hw_queue(struct dxg_vm *vm, struct dxg_process *p,
			   const struct dxgw_request *req, struct reply_buf *reply)
{
	struct dxg_context *c = find_context(vm, p, req->create_hw_queue.context);
	struct exec_hw_queue *hwq;
	unsigned char *r;
	int ret;

	if (!c || !c->exec)
		return -EINVAL;
	/* A broken context stays broken: a new queue on it could run nothing. */
	if (ctx_broken(c->exec))
		return -ENODEV;
	if (vm->counters.hw_queues >= vm->limits.max_hw_queues)
		return -ENOMEM;
	r = reply_take(reply, sizeof(struct dxgw_create_hw_queue_reply));
	hwq = calloc(1, sizeof(*hwq));
	if (!r || !hwq) {
		free(hwq);
		return -ENOMEM;
	}
	hwq->ctx = c->exec;
	hwq->flags = req->create_hw_queue.flags;
	hwq->priv_size = req->create_hw_queue.priv_size;
	queue_init(&hwq->queue, c->exec, hwq);
	ret = sync_create_queue_fence(vm, c->device, SYNC_OWNER_HW_QUEUE, &hwq->progress);
	if (ret) {
		free(hwq);
		return ret;
	}
	if (handle_table_alloc(&vm->handles, DXG_HTYPE_HWQUEUE, p->handle, hwq, &hwq->handle)) {
		sync_destroy(vm, hwq->progress);
		free(hwq);
		return -ENOMEM;
	}
	obj_list_add_tail(&c->exec->hw_queues, &hwq->link);
	vm->counters.hw_queues++;
	PUT32(r, struct dxgw_create_hw_queue_reply, queue, hwq->handle);
	PUT32(r, struct dxgw_create_hw_queue_reply, progress_fence, hwq->progress->handle);
	PUT64(r, struct dxgw_create_hw_queue_reply, fence_offset, hwq->progress->slot);
	return 0;
}

static int destroy_hw_queue_request(struct dxg_vm *vm, struct dxg_process *p, uint32_t handle)
{
	struct exec_hw_queue *hwq = handle_table_lookup(&vm->handles, handle, DXG_HTYPE_HWQUEUE,
							p->handle);

	if (!hwq)
		return -EINVAL;
	destroy_hw_queue(vm, hwq);
	return 0;
}

/* The module of a PROGRAM allocation on its adapter, made (and cached) on first use. */
static int program_get(struct dxg_vm *vm, struct exec_adapter *ea, struct dxg_allocation *a,
		       struct exec_program **out, char *why)
{
	const struct exec_device_ops *ops = xvm(vm)->ops;
	struct exec_program *prog;
	struct spirv_info *info;
	int ret;

	if (!a->program) {
		prog = calloc(1, sizeof(*prog));
		info = malloc(sizeof(*info));
		if (!prog || !info) {
			free(prog);
			free(info);
			return -ENOMEM;
		}
		/* The code was validated at creation; this only gathers what the checks need. */
		ret = spirv_check(a->code, a->size, info, why);
		if (!ret)
			ret = ops->program_create(ea->x, a->code, a->size, info, &prog->vk);
		if (ret == -ENOMEM) {
			free(info);
			free(prog);
			return ret;
		}
		if (ret) {
			prog->vk = NULL;
			prog->error = -EINVAL;
			snprintf(why, CMDBUF_WHY_LEN,
				 "program 0x%x cannot run on this adapter (%d)", a->handle, ret);
		} else {
			prog->binding_mask = info->binding_mask;
			prog->push_constant_size = info->push_constant_size;
		}
		free(info);
		a->program = prog;
	}
	if (a->program->error)
		return a->program->error;
	*out = a->program;
	return 0;
}

/*
 * What the parser cannot know: every DISPATCH names a PROGRAM allocation of the process on the
 * queue's device whose module has the entry point, exactly the bindings given, and a push
 * constant block no larger than the bytes given (a smaller block only reads part of them; a
 * larger one would read bytes the guest never wrote). Takes a program reference per dispatch.
 */
static int check_programs(struct dxg_vm *vm, struct dxg_process *p, const struct dxg_device *d,
			  struct exec_adapter *ea, struct exec_job *job, char *why)
{
	const struct exec_device_ops *ops = xvm(vm)->ops;
	const uint32_t n = job->cb.dispatch_count;

	if (!n)
		return 0;
	job->programs = calloc(n, sizeof(*job->programs));
	job->entries = calloc(n, sizeof(*job->entries));
	if (!job->programs || !job->entries)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		const struct cmdbuf_dispatch *cd = &job->cb.dispatches[i];
		struct dxg_allocation *a = memory_find_allocation(vm, p, cd->program);
		struct exec_program *prog;
		int entry, ret;

		if (!a || a->kind != OPENDXG_ALLOC_KIND_PROGRAM || a->device != d) {
			snprintf(why, CMDBUF_WHY_LEN,
				 "dispatch %u: 0x%x is no program of the device", i, cd->program);
			return -EINVAL;
		}
		ret = program_get(vm, ea, a, &prog, why);
		if (ret)
			return ret;
		entry = ops->program_entry(prog->vk, cd->entry_point);
		if (entry < 0) {
			snprintf(why, CMDBUF_WHY_LEN, "dispatch %u: no such entry point", i);
			return -EINVAL;
		}
		if (cd->binding_mask != prog->binding_mask ||
		    cd->push_constant_size < prog->push_constant_size) {
			snprintf(why, CMDBUF_WHY_LEN,
				 "dispatch %u: bindings 0x%x, %u push bytes; program: 0x%x, %u",
				 i, cd->binding_mask, cd->push_constant_size, prog->binding_mask,
				 prog->push_constant_size);
			return -EINVAL;
		}
		ops->program_ref(prog->vk);
		job->programs[i] = prog->vk;
		job->entries[i] = (uint32_t)entry;
	}
	return 0;
}

/* What a parsed job costs the worker (queued_bytes). */
static uint64_t job_bytes(const struct cmdbuf *cb)
{
	return (uint64_t)cb->op_count * sizeof(struct cmdbuf_op) +
	       (uint64_t)cb->dispatch_count * (sizeof(struct cmdbuf_dispatch) +
					       sizeof(struct vk_program *) + sizeof(uint32_t));
}

/* A SUBMIT whose command buffer is bad: -EINVAL, and its context breaks (wire.h). */
static int reject_buffer(struct dxg_vm *vm, struct exec_queue *q, const char *why)
{
	dxg_log_limited(&xvm(vm)->log, DXG_LOG_INFO, "SUBMIT rejected: %s", why);
	break_context(vm, q->ctx, D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT, NULL);
	return -EINVAL;
}

static int submit(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req)
{
	struct vm_exec *xe = xvm(vm);
	const uint32_t len = req->submit.length;
	const uint64_t progress = req->submit.progress_fence_value;
	struct exec_queue *q = find_queue(vm, p, req->submit.queue);
	struct exec_adapter *ea;
	struct dxg_allocation *a;
	struct dxg_device *d;
	struct queue_item *it;
	char why[CMDBUF_WHY_LEN] = "";
	uint64_t off;
	int ret;

	if (!q)
		return -EINVAL;
	d = queue_device(q);
	if (ctx_broken(q->ctx))
		return -ENODEV;
	/* The progress fence only moves forward; the error value is the broken queue's. */
	if (q->hwq ? progress <= q->last_progress || progress == DXGW_FENCE_VALUE_ERROR : progress)
		return -EINVAL;
	if (!items_fit(vm, q, 1, sizeof(*it)))
		return -ENOMEM;
	ret = adapter_exec(vm, d->adapter->index, &ea);
	if (ret)
		return ret;

	/* From here on the command buffer is at fault: its context breaks. */
	ret = memory_translate_gpu_va(p, d->adapter->index, req->submit.command_buffer, len, false,
				      &a, &off);
	if (ret || a->kind != OPENDXG_ALLOC_KIND_HOST_VISIBLE)
		return reject_buffer(vm, q, "the command buffer is not in one readable "
				     "host-visible mapping");
	if (xe->scratch_size < len) {
		unsigned char *grown = realloc(xe->scratch, len);

		if (!grown)
			return -ENOMEM;
		xe->scratch = grown;
		xe->scratch_size = len;
	}
	/* The one read of the guest's bytes: everything below uses the private copy. */
	memcpy(xe->scratch, memory_region(vm) + a->heap_offset + off, len);
	it = new_item(ITEM_JOB, 0);
	if (!it)
		return -ENOMEM;
	ret = cmdbuf_parse(xe->scratch, len, &ea->limits, &it->job.cb, why, NULL);
	if (!ret) {
		it->bytes += job_bytes(&it->job.cb);
		if (!items_fit(vm, q, 1, it->bytes))
			ret = -ENOMEM;
		else
			ret = check_programs(vm, p, d, ea, &it->job, why);
	}
	if (ret) {
		item_release(vm, it);
		return ret == -EINVAL ? reject_buffer(vm, q, why) : ret;
	}
	it->job.sequence = ++q->sequence;
	it->job.progress_value = progress;
	it->job.null_rendering =
		(req->submit.flags & D3DKMT_SUBMITCOMMAND_FLAG_NULL_RENDERING) ||
		(q->ctx->context->flags & D3DDDI_CREATECONTEXT_FLAG_NULL_RENDERING);
	if (q->hwq)
		q->last_progress = progress;
	q->ctx->submitted++;
	vm->counters.jobs_submitted++;
	it->job.process_stats = &p->exec_stats[d->adapter->index];
	it->job.adapter_stats = &d->adapter->exec_stats;
	stats_submitted(it->job.process_stats);
	stats_submitted(it->job.adapter_stats);
	queue_append(vm, q, it);
	return 0;
}

static int scheduling_priority(struct dxg_vm *vm, struct dxg_process *p,
			       const struct dxgw_request *req, struct reply_buf *reply)
{
	struct dxg_context *c = find_context(vm, p, req->scheduling_priority.context);
	const uint32_t which = req->scheduling_priority.in_process;
	unsigned char *r;

	if (!c || !c->exec)
		return -EINVAL;
	if (req->opcode == DXGW_OP_SET_SCHEDULING_PRIORITY) {
		c->exec->priority[which] = req->scheduling_priority.priority;
		return 0;
	}
	r = reply_take(reply, sizeof(struct dxgw_priority_reply));
	if (!r)
		return -ENOMEM;
	PUT32(r, struct dxgw_priority_reply, priority, (uint32_t)c->exec->priority[which]);
	return 0;
}

static int get_device_state(struct dxg_vm *vm, struct dxg_process *p,
			    const struct dxgw_request *req, struct reply_buf *reply)
{
	struct dxg_device *d = find_device(vm, p, req->get_device_state.device);
	unsigned char *r;

	if (!d)
		return -EINVAL;
	if (req->get_device_state.state_type == D3DKMT_DEVICESTATE_PAGE_FAULT && !d->has_fault)
		return -EINVAL;
	r = reply_take(reply, sizeof(struct dxgw_device_state_reply));
	if (!r)
		return -ENOMEM;
	PUT32(r, struct dxgw_device_state_reply, execution_state, d->execution_state);
	PUT32(r, struct dxgw_device_state_reply, broken_context, d->broken_context);
	/* The fault fields answer PAGE_FAULT only (protocol.md 5.13). */
	if (req->get_device_state.state_type == D3DKMT_DEVICESTATE_PAGE_FAULT) {
		PUT64(r, struct dxgw_device_state_reply, fault_sequence, d->fault.sequence);
		PUT64(r, struct dxgw_device_state_reply, fault_va, d->fault.va);
		PUT32(r, struct dxgw_device_state_reply, fault_flags, d->fault.flags);
		PUT32(r, struct dxgw_device_state_reply, fault_packet, d->fault.packet);
	}
	return 0;
}

static int mark_device_error(struct dxg_vm *vm, struct dxg_process *p,
			     const struct dxgw_request *req)
{
	struct dxg_device *d = find_device(vm, p, req->mark_device_error.device);

	if (!d)
		return -EINVAL;
	for (struct obj_list *it = d->contexts.next; it != &d->contexts; it = it->next) {
		struct dxg_context *c = obj_container_of(it, struct dxg_context, link);

		break_context(vm, c->exec, D3DKMT_DEVICEEXECUTION_RESET, NULL);
	}
	/* A device without contexts is marked all the same (the first error stays). */
	if (d->execution_state == D3DKMT_DEVICEEXECUTION_ACTIVE)
		d->execution_state = D3DKMT_DEVICEEXECUTION_RESET;
	return 0;
}

static int clock_calibration(struct dxg_vm *vm, struct dxg_process *p,
			     const struct dxgw_request *req, struct reply_buf *reply)
{
	struct dxg_adapter *a = process_find_open_adapter(vm, p, req->clock_calibration.adapter);
	const struct exec_device_ops *ops = xvm(vm)->ops;
	struct exec_adapter *ea;
	uint64_t ticks, ns, frequency = 0;
	double period;
	unsigned char *r;
	int ret;

	if (!a)
		return -EINVAL;
	ret = adapter_exec(vm, a->index, &ea);
	if (ret)
		return ret;
	r = reply_take(reply, sizeof(struct dxgw_clock_calibration_reply));
	if (!r)
		return -ENOMEM;
	ret = ops->calibrate(ea->x, &ticks, &ns);
	if (ret) {
		reply->len = 0;
		return ret;
	}
	period = ops->timestamp_period(ea->x);
	if (period > 0)
		frequency = (uint64_t)(1e9 / period + 0.5);
	PUT64(r, struct dxgw_clock_calibration_reply, gpu_frequency, frequency);
	PUT64(r, struct dxgw_clock_calibration_reply, gpu_clock_counter, ticks);
	PUT64(r, struct dxgw_clock_calibration_reply, host_clock_ns, ns);
	return 0;
}

static uint32_t context_queued(const struct exec_context *ctx)
{
	uint32_t n = ctx->queue.item_count;

	for (const struct obj_list *it = ctx->hw_queues.next; it != &ctx->hw_queues; it = it->next)
		n += obj_container_of(it, const struct exec_hw_queue, link)->queue.item_count;
	return n;
}

static int escape(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
		  struct reply_buf *reply)
{
	const uint32_t size = req->escape.priv_size;
	struct dxg_adapter *a = process_find_open_adapter(vm, p, req->escape.adapter);
	struct dxg_device *d = NULL;
	struct dxg_context *c = NULL;
	struct exec_context *ctx;
	unsigned char *head, *out;

	if (!a)
		return -EINVAL;
	if (req->escape.device) {
		d = find_device(vm, p, req->escape.device);
		if (!d || d->adapter != a)
			return -EINVAL;
	}
	if (req->escape.context) {
		c = find_context(vm, p, req->escape.context);
		if (!c || c->device->adapter != a || (d && c->device != d))
			return -EINVAL;
	}
	if (req->escape.code != OPENDXG_ESCAPE_CONTEXT_STATS || !c ||
	    size < sizeof(struct opendxg_escape_context_stats))
		return -EINVAL;
	head = reply_take(reply, sizeof(struct dxgw_escape_reply));
	out = reply_take(reply, size);
	if (!head || !out)
		return -ENOMEM;
	ctx = c->exec;
	/* Answered in place: the header as it came, the counters, zeros beyond what we know. */
	PUT32(head, struct dxgw_escape_reply, priv_size, size);
	memcpy(out, req->escape.priv, sizeof(struct opendxg_escape_header));
	PUT32(out, struct opendxg_escape_context_stats, execution_state, ctx->state);
	PUT32(out, struct opendxg_escape_context_stats, queued, context_queued(ctx));
	PUT64(out, struct opendxg_escape_context_stats, submitted, ctx->submitted);
	PUT64(out, struct opendxg_escape_context_stats, completed, ctx->completed);
	PUT64(out, struct opendxg_escape_context_stats, gpu_time_ns, ctx->gpu_time_ns);
	return 0;
}

int exec_handle_request(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
			unsigned char *reply, uint32_t reply_cap, uint32_t *reply_len)
{
	struct reply_buf r = { .data = reply, .cap = reply_cap };
	int ret;

	switch (req->opcode) {
	case DXGW_OP_SIGNAL_ON_QUEUE:
		ret = signal_on_queue(vm, p, req);
		break;
	case DXGW_OP_WAIT_ON_QUEUE:
		ret = wait_on_queue(vm, p, req);
		break;
	case DXGW_OP_CREATE_HW_QUEUE:
		ret = create_hw_queue(vm, p, req, &r);
		break;
	case DXGW_OP_DESTROY_HW_QUEUE:
		ret = destroy_hw_queue_request(vm, p, req->destroy.handle);
		break;
	case DXGW_OP_SUBMIT:
		ret = submit(vm, p, req);
		break;
	case DXGW_OP_SET_SCHEDULING_PRIORITY:
	case DXGW_OP_GET_SCHEDULING_PRIORITY:
		ret = scheduling_priority(vm, p, req, &r);
		break;
	case DXGW_OP_GET_DEVICE_STATE:
		ret = get_device_state(vm, p, req, &r);
		break;
	case DXGW_OP_MARK_DEVICE_ERROR:
		ret = mark_device_error(vm, p, req);
		break;
	case DXGW_OP_QUERY_CLOCK_CALIBRATION:
		ret = clock_calibration(vm, p, req, &r);
		break;
	case DXGW_OP_ESCAPE:
		ret = escape(vm, p, req, &r);
		break;
	default:
		ret = -ENOSYS;
		break;
	}
	*reply_len = ret < 0 ? 0 : r.len;
	return ret;
}

/* ---- queued GPU VA updates ---- */

bool exec_gpu_va_update_must_queue(const struct dxg_context *c, const struct dxg_sync_object *fence,
				   uint64_t value)
{
	if (fence && !sync_wait_ready(fence, value))
		return true;
	/* Work queued on the context has not translated its addresses yet: it goes first. */
	return c->exec && !obj_list_empty(&c->exec->queue.items);
}

int exec_queue_gpu_va_update(struct dxg_vm *vm, struct dxg_context *c,
			     struct dxg_sync_object *fence, uint64_t value,
			     struct gpu_va_update *u)
{
	struct exec_queue *q = &c->exec->queue;
	uint64_t bytes = memory_gpu_va_update_bytes(u);
	struct queue_item *it;

	if (ctx_broken(c->exec))
		return -ENODEV;
	if (!items_fit(vm, q, 1, sizeof(*it) + bytes))
		return -ENOMEM;
	it = new_item(ITEM_GPU_VA, bytes);
	if (!it)
		return -ENOMEM;
	it->gpu_va.fence = fence;
	it->gpu_va.value = value;
	it->gpu_va.update = u;
	if (fence)
		sync_ref(fence);
	queue_append(vm, q, it);
	return 0;
}

/* ---- invariants ---- */

static const char *check_queue(const struct exec_queue *q, uint32_t *items, uint64_t *bytes)
{
	uint32_t n = 0;

	for (const struct obj_list *it = q->items.next; it != &q->items; it = it->next) {
		const struct queue_item *qi = obj_container_of(it, const struct queue_item, link);

		if (qi->queue != q)
			return "queue item on another queue";
		n++;
		*bytes += qi->bytes;
	}
	if (n != q->item_count)
		return "queue item count";
	if (n && !q->active)
		return "queue with items is not active";
	if (n && ctx_broken(q->ctx))
		return "broken context with queued work";
	if (q->running) {
		if (q->running->queue != q || q->running->kind != ITEM_JOB)
			return "running item";
		*bytes += q->running->bytes;
	}
	*items += n;
	return NULL;
}

const char *exec_check(const struct dxg_vm *vm)
{
	const struct vm_exec *xe = xvm(vm);
	uint32_t items = 0, hw_queues = 0, running = 0, inflight = 0;
	uint64_t bytes = 0;
	const char *why = NULL;

	if (!xe)
		return NULL;
	for (const struct obj_list *pl = vm->processes.next; !why && pl != &vm->processes;
	     pl = pl->next) {
		const struct dxg_process *p = obj_container_of(pl, const struct dxg_process, link);

		for (const struct obj_list *dl = p->devices.next; !why && dl != &p->devices;
		     dl = dl->next) {
			const struct dxg_device *d = obj_container_of(dl, const struct dxg_device,
								      link);

			for (const struct obj_list *cl = d->contexts.next;
			     !why && cl != &d->contexts; cl = cl->next) {
				const struct dxg_context *c =
					obj_container_of(cl, const struct dxg_context, link);
				const struct exec_context *ctx = c->exec;

				if (!ctx || ctx->context != c)
					return "context without execution state";
				why = check_queue(&ctx->queue, &items, &bytes);
				running += ctx->queue.running != NULL;
				for (const struct obj_list *hl = ctx->hw_queues.next;
				     !why && hl != &ctx->hw_queues; hl = hl->next) {
					const struct exec_hw_queue *hwq = obj_container_of(
						hl, const struct exec_hw_queue, link);

					hw_queues++;
					if (hwq->ctx != ctx || hwq->queue.hwq != hwq ||
					    handle_table_lookup(&vm->handles, hwq->handle,
								DXG_HTYPE_HWQUEUE,
								p->handle) != hwq ||
					    hwq->progress->device != d ||
					    hwq->progress->owner != SYNC_OWNER_HW_QUEUE)
						why = "hardware queue handles or fence";
					else
						why = check_queue(&hwq->queue, &items, &bytes);
					running += hwq->queue.running != NULL;
				}
			}
		}
	}
	for (uint32_t i = 0; !why && i < DXGW_MAX_ADAPTERS; i++)
		inflight += xe->adapters[i].inflight_count;
	if (!why && items != vm->counters.queue_items)
		why = "VM queue item count";
	if (!why && bytes != vm->counters.queued_bytes)
		why = "VM queued bytes";
	if (!why && hw_queues != vm->counters.hw_queues)
		why = "VM hardware queue count";
	if (!why && running != inflight)
		why = "running jobs differ from the jobs in flight";
	return why;
}
