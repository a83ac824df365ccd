/* SPDX-License-Identifier: MIT */
/*
 * Execution in one VM (wire.h "0x06xx", docs/dxgd.md "Execution", docs/internals.md "Queues and
 * jobs"): every context has a queue of its own, CREATE_HW_QUEUE adds hardware queues with a
 * progress fence. A queue runs its items in order: jobs (SUBMIT: a command buffer copied out of
 * the guest's memory, parsed by cmdbuf.c and checked against the process's objects), signal
 * markers (SIGNAL_ON_QUEUE: one shared join across up to DXGW_MAX_QUEUES queues), waits
 * (WAIT_ON_QUEUE) and queued GPU VA updates (UPDATE_GPU_VA with a fence not yet reached).
 *
 * Scheduling is per adapter: the head item of every queue runs as soon as it can, with at most
 * one job in flight per queue; jobs are translated (GPU VAs to device memory) when they start
 * and go to the adapter's vk_exec. Its completion thread writes the VM's notify eventfd
 * (exec_notify_fd()); the worker's loop then calls exec_poll(), which reaps completed jobs,
 * writes progress fences and lets the queues move on. Nothing here blocks except the waits for
 * jobs in flight that destruction needs (exec_adapter_idle()).
 *
 * A context breaks (sticky) on a malformed command buffer (D3DKMT_DEVICEEXECUTION_ERROR_DMAFAULT,
 * and SUBMIT is -EINVAL), on a GPU VA that does not translate when its job starts
 * (ERROR_DMAPAGEFAULT), on MARK_DEVICE_ERROR (RESET) or when the device fails a job (HUNG):
 * its queued work is dropped, signals it would have made are made as errors
 * (sync_signal_error()), its hardware queues' progress fences jump to DXGW_FENCE_VALUE_ERROR,
 * and SUBMIT, SIGNAL_ON_QUEUE and WAIT_ON_QUEUE naming it are -ENODEV. Nothing else breaks.
 *
 * Handlers return 0 or a negative errno (-EINVAL, -ENODEV, -ENOMEM; the per-VM limits of
 * struct dxg_vm_limits give -ENOMEM).
 */
#ifndef DXGD_EXEC_H
#define DXGD_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "objects.h"
#include "sync.h"
#include "vk_exec.h"
#include "wire_decode.h"

struct exec_program;
struct gpu_va_update;

/*
 * Where jobs run: host/vk_exec.h by default (exec_vulkan_ops). Tests and the fuzzer may plug in
 * their own backend, as memory.h lets them plug in device memory; `open` gets whatever vk_device
 * the VM's struct mem_device_ops opened. The functions mean what their vk_exec.h namesakes do.
 */
struct exec_device_ops {
	int (*open)(struct vk_device *d, const struct vk_exec_setup *setup, struct vk_exec **out);
	void (*close)(struct vk_exec *x);
	void (*limits)(const struct vk_exec *x, struct cmdbuf_limits *out);
	double (*timestamp_period)(const struct vk_exec *x);
	int (*program_create)(struct vk_exec *x, const void *code, size_t size,
			      const struct spirv_info *info, struct vk_program **out);
	void (*program_ref)(struct vk_program *p);
	void (*program_unref)(struct vk_program *p);
	int (*program_entry)(const struct vk_program *p, const char *name);
	int (*submit)(struct vk_exec *x, const struct vk_job *job);
	uint32_t (*reap)(struct vk_exec *x, struct vk_completion *out, uint32_t max);
	void (*wait_idle)(struct vk_exec *x);
	int (*calibrate)(struct vk_exec *x, uint64_t *gpu_ticks, uint64_t *host_ns);
};

extern const struct exec_device_ops exec_vulkan_ops;

/* Called by vm_init()/vm_fini() (after every process is gone). `ops` NULL: no execution. */
int exec_vm_init(struct dxg_vm *vm, const struct exec_device_ops *ops);
void exec_vm_fini(struct dxg_vm *vm);

/*
 * The eventfd job completions are reported on (non-blocking; -1 before exec_vm_init()). When
 * it is readable, call exec_poll().
 */
int exec_notify_fd(const struct dxg_vm *vm);
/* Drains the eventfd, reaps completed jobs on every adapter and runs what can run. */
void exec_poll(struct dxg_vm *vm);
/*
 * Runs every queue item that became runnable (signals, waits, job starts). worker_dispatch()
 * calls it after each request; anything that writes fences outside a request (memory.c's
 * deferred restore) must call it too.
 */
void exec_run(struct dxg_vm *vm);
/* Something a queue may wait for changed (a fence moved, an object was destroyed). */
void exec_sync_changed(struct dxg_vm *vm);

/* objects.c: a context's execution state (queue) is made with it and destroyed with it. */
int exec_context_create(struct dxg_vm *vm, struct dxg_context *c);
/* Waits for the context's jobs in flight, drops its queued work, destroys its hardware queues. */
void exec_context_destroy(struct dxg_vm *vm, struct dxg_context *c);

/*
 * memory.c: before it frees or reuses memory a job may use (destroying an allocation, evicting
 * or discarding device-local contents), wait for every job in flight on the adapter and reap
 * them. Queued jobs have not been translated yet: they fault if their memory is gone by then.
 */
void exec_adapter_idle(struct dxg_vm *vm, uint32_t index);
/* memory.c: a PROGRAM allocation goes; jobs that use its module keep their own reference. */
void exec_program_release(struct dxg_vm *vm, struct exec_program *program);

/*
 * memory.c, UPDATE_GPU_VA: whether the update must wait on context `c` (the fence has not
 * reached `value`, or the context has items queued that must see the old mappings), and the
 * queueing itself: exec takes `u` on success (0), -ENODEV for a broken context, -ENOMEM at the
 * limits. A queued update that fails when it runs breaks the context (ERROR_DMAFAULT).
 */
bool exec_gpu_va_update_must_queue(const struct dxg_context *c, const struct dxg_sync_object *fence,
				   uint64_t value);
int exec_queue_gpu_va_update(struct dxg_vm *vm, struct dxg_context *c,
			     struct dxg_sync_object *fence, uint64_t value,
			     struct gpu_va_update *u);

/*
 * WAIT_SHARE_ON_QUEUE (share.c resolves the share; `st` NULL: none): later work of `queue`
 * waits until the object reaches `value` or loses its last handle. The item holds the object.
 * -EINVAL (bad queue, no share, not a monitored fence), -ENODEV (broken queue), -ENOMEM.
 */
int exec_wait_share_on_queue(struct dxg_vm *vm, struct dxg_process *p, uint32_t queue,
			     struct sync_state *st, uint64_t value);

/* SIGNAL_ON_QUEUE, WAIT_ON_QUEUE and the 0x06xx opcodes. */
int exec_handle_request(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
			unsigned char *reply, uint32_t reply_cap, uint32_t *reply_len);

/*
 * Checks the execution state against its own counters (queue items and bytes, jobs in flight,
 * hardware queues, broken contexts' queues empty). Returns NULL or what is wrong; for tests and
 * the fuzzer.
 */
const char *exec_check(const struct dxg_vm *vm);

#endif /* DXGD_EXEC_H */
