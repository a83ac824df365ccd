// SPDX-License-Identifier: GPL-2.0
/*
 * Sync files: CREATESYNCFILE makes a standard sync_file (poll, SYNC_IOC_*, importable by any
 * driver that takes sync files) whose fence signals when a monitored fence reaches a value;
 * WAITSYNCFILE makes a queue wait for it on the GPU; OPENSYNCOBJECTFROMSYNCFILE gives a process a
 * handle on the monitored fence behind it. Their table lines are in dxg_ioctl.c.
 *
 * The fence (struct dxg_sync_point, dxg.h) holds a share of the monitored fence made for it
 * (DXGW_OP_SHARE_OBJECT with DXGW_SHARE_SYNC_FILE): a VM-scoped reference that works after its
 * creator exited and in any process the sync file reaches, and that has a fence slot of its own
 * which no process can destroy. dxg_fence.c watches that slot and signals the fence (-EIO when
 * the object can no longer be signalled, -ENODEV when the worker restarted). The share is
 * closed when the fence's last reference goes, which may happen in any context, atomic
 * included: the release only queues a work item that sends CLOSE_SHARE.
 *
 * Unlike WSL (whose fences are signalled by host events and which takes any handle), opendxg
 * checks what the handle is: the host answers the share's kind and type, and anything but a
 * monitored fence is -EINVAL. A sync file that is not one of ours (another driver's, or a merge
 * that contains another driver's fence) is -EINVAL in WAITSYNCFILE and OPENSYNCOBJECTFROMSYNCFILE
 * where WSL dereferences a NULL pointer.
 */
#include <linux/dma-fence.h>
#include <linux/dma-fence-unwrap.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sync_file.h>
#include <linux/workqueue.h>

#include <misc/d3dkmthk.h>

#include "dxg.h"

/* Fences alive at once, VM-wide (each holds a host share and a watch record): -ENOMEM beyond. */
#define DXG_MAX_SYNC_POINTS 65536

static atomic_t dxg_sync_points = ATOMIC_INIT(0);

static const char *dxg_sync_point_driver_name(struct dma_fence *fence)
{
	return DXG_DRIVER_NAME;
}

static const char *dxg_sync_point_timeline_name(struct dma_fence *fence)
{
	return "monitored_fence";
}

/*
 * Where released points send their CLOSE_SHARE. The module's own queue: dxg_exit() destroys it,
 * which waits for a release still returning from its work function after its module_put().
 */
static struct workqueue_struct *dxg_sync_release_wq;

int dxg_syncfile_init(void)
{
	dxg_sync_release_wq = alloc_workqueue("opendxg_syncfile", 0, 0);
	return dxg_sync_release_wq ? 0 : -ENOMEM;
}

void dxg_syncfile_exit(void)
{
	destroy_workqueue(dxg_sync_release_wq);
}

/* Process context, no lock held: CLOSE_SHARE may sleep for the host's reply. */
static void dxg_sync_point_release_work(struct work_struct *work)
{
	struct dxg_sync_point *point = container_of(work, struct dxg_sync_point, release_work);

	dxg_close_share(point->share_id, point->epoch);
	atomic_dec(&dxg_sync_points);
	/* RCU readers of the fence (dma_fence_get_rcu()) may still look at it. */
	dma_fence_free(&point->base);
	/* The point's module reference: see dxg_sync_point_create(). */
	module_put(THIS_MODULE);
}

/* Any context (dma_fence_put() may be called with interrupts off): defer the host call. */
static void dxg_sync_point_release(struct dma_fence *fence)
{
	struct dxg_sync_point *point = container_of(fence, struct dxg_sync_point, base);

	INIT_WORK(&point->release_work, dxg_sync_point_release_work);
	queue_work(dxg_sync_release_wq, &point->release_work);
}

/*
 * No .signaled: only dxg_fence.c signals a point, exactly once, so that it can set the error
 * first (dma_fence_is_signaled() would signal it itself when .signaled says yes). .use_64bit_seqno:
 * the seqno is the monitored fence value, a u64 that only grows.
 */
static const struct dma_fence_ops dxg_sync_point_ops = {
	.use_64bit_seqno = true,
	.get_driver_name = dxg_sync_point_driver_name,
	.get_timeline_name = dxg_sync_point_timeline_name,
	.release = dxg_sync_point_release,
};

static struct dxg_sync_point *dxg_to_sync_point(struct dma_fence *fence)
{
	return fence->ops == &dxg_sync_point_ops ?
		container_of(fence, struct dxg_sync_point, base) : NULL;
}

/* DXGW_OP_SHARE_OBJECT for a sync file: the share of a monitored fence of the caller. */
static int dxg_sync_file_share(struct dxg_ioctl_ctx *ctx, u32 device, u32 object,
			       u64 *share_id, u64 *offset, u64 *epoch)
{
	struct dxgw_share_object_req req = {
		.object = cpu_to_le32(object),
		.flags = cpu_to_le32(DXGW_SHARE_SYNC_FILE),
	};
	struct dxgw_share_object_reply reply;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_SHARE_OBJECT,
		.req = &req,
		.req_len = sizeof(req),
		.reply = &reply,
		.reply_max = sizeof(reply),
	};
	u32 adapter;
	int ret;

	if (mutex_lock_killable(&ctx->proc->lock))
		return -EINTR;
	ret = dxg_process_host_current_locked(ctx->proc, ctx->ch, &a.process, &a.epoch);
	/* Every device of the process is in its table: another is not the process's. */
	if (!ret)
		ret = dxg_process_device_adapter_locked(ctx->proc, device, &adapter);
	mutex_unlock(&ctx->proc->lock);
	if (ret)
		return ret;
	ret = dxg_reply_check(dxg_call(ctx->ch, &a), &a, sizeof(reply));
	if (ret)
		return ret;
	*share_id = le64_to_cpu(reply.share_id);
	*offset = le64_to_cpu(reply.fence_offset);
	*epoch = a.epoch;
	if (le32_to_cpu(reply.kind) != DXGW_SHARE_KIND_SYNC_OBJECT ||
	    le32_to_cpu(reply.sync_type) != D3DDDI_MONITORED_FENCE)
		ret = -EINVAL;
	else if (!*share_id)
		ret = -EIO;
	else
		ret = dxg_fence_check_slots(ctx->ch, a.epoch, offset, 1);
	if (ret)
		dxg_close_share_on(ctx->ch, *share_id, a.epoch);
	return ret;
}

/* A new fence for (share, value), watched from now on; the caller owns the one reference. */
static struct dxg_sync_point *dxg_sync_point_create(struct dxg_channel *ch, u64 share_id,
						    u64 offset, u64 epoch, u64 value)
{
	struct dxg_sync_point *point;

	if (atomic_inc_return(&dxg_sync_points) > DXG_MAX_SYNC_POINTS) {
		atomic_dec(&dxg_sync_points);
		return NULL;
	}
	point = kzalloc(sizeof(*point), GFP_KERNEL);
	if (!point) {
		atomic_dec(&dxg_sync_points);
		return NULL;
	}
	/*
	 * The ops live in this module and the fence may outlive every file of it (another
	 * driver may hold it): the module stays until the release work ran.
	 */
	__module_get(THIS_MODULE);
	spin_lock_init(&point->lock);
	INIT_LIST_HEAD(&point->node);
	point->share_id = share_id;
	point->epoch = epoch;
	point->offset = offset;
	point->value = value;
	dma_fence_init(&point->base, &dxg_sync_point_ops, &point->lock,
		       dma_fence_context_alloc(1), value);
	dxg_fence_watch_point(ch, point);
	return point;
}

/* What the dispatcher installs (commit) or drops (undo) once the output is copied, or not. */
struct dxg_sync_file_out {
	int fd;
	struct file *file;
};

/*
 * 0x45: the sync file's descriptor (O_CLOEXEC) is written to sync_file_handle by the dispatcher
 * and installed only after that succeeded (dxg_ioctl_create_sync_file_commit()), so a bad
 * argument pointer leaves no descriptor behind. The device must be the caller's; the host checks
 * that monitored_fence is a monitored fence of the process (no check ties it to the device,
 * as in WSL).
 */
int dxg_ioctl_create_sync_file(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_createsyncfile *args = data;
	struct dxg_sync_file_out *out;
	struct dxg_sync_point *point;
	struct sync_file *sync_file;
	u64 share_id, offset, epoch;
	int ret;

	if (!args->device.v || !args->monitored_fence.v)
		return -EINVAL;
	out = kvzalloc(sizeof(*out), GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	ret = dxg_sync_file_share(ctx, args->device.v, args->monitored_fence.v, &share_id,
				  &offset, &epoch);
	if (ret)
		goto err_free_out;
	point = dxg_sync_point_create(ctx->ch, share_id, offset, epoch, args->fence_value);
	if (!point) {
		dxg_close_share_on(ctx->ch, share_id, epoch);
		ret = -ENOMEM;
		goto err_free_out;
	}
	/* From here on the point's release closes the share. */
	sync_file = sync_file_create(&point->base);
	dma_fence_put(&point->base);
	if (!sync_file) {
		ret = -ENOMEM;
		goto err_free_out;
	}
	out->fd = get_unused_fd_flags(O_CLOEXEC);
	if (out->fd < 0) {
		ret = out->fd;
		fput(sync_file->file);
		goto err_free_out;
	}
	out->file = sync_file->file;
	args->sync_file_handle = out->fd;
	ctx->scratch = out;
	return 0;

err_free_out:
	kvfree(out);
	return ret;
}

void dxg_ioctl_create_sync_file_commit(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct dxg_sync_file_out *out = ctx->scratch;

	fd_install(out->fd, out->file);
}

void dxg_ioctl_create_sync_file_undo(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct dxg_sync_file_out *out = ctx->scratch;

	put_unused_fd(out->fd);
	fput(out->file);
}

static void dxg_sync_points_put(struct dxg_sync_point **points, u32 count)
{
	while (count)
		dma_fence_put(&points[--count]->base);
}

/*
 * The opendxg fences of a sync file, each with a reference, at most @max. -EINVAL for a
 * descriptor that is no sync file, or whose fence is (or contains) one that is not ours.
 */
static int dxg_sync_file_points(u64 fd, struct dxg_sync_point **points, u32 max, u32 *count)
{
	struct dma_fence_unwrap iter;
	struct dma_fence *fence, *f;
	int ret = 0;
	u32 n = 0;

	if (fd > INT_MAX)
		return -EINVAL;
	fence = sync_file_get_fence((int)fd);
	if (!fence)
		return -EINVAL;
	dma_fence_unwrap_for_each(f, &iter, fence) {
		struct dxg_sync_point *point = dxg_to_sync_point(f);

		if (!point || n == max) {
			ret = -EINVAL;
			break;
		}
		dma_fence_get(f);
		points[n++] = point;
	}
	dma_fence_put(fence);
	if (!ret && !n)
		ret = -EINVAL;
	if (ret) {
		dxg_sync_points_put(points, n);
		return ret;
	}
	*count = n;
	return 0;
}

/*
 * 0x46: later work on the context waits (on the GPU) until the monitored fence reaches the sync
 * file's value. A merged sync file of opendxg fences waits for each of them (at most
 * DXGW_MAX_SYNC_OBJECTS). A fence of a restarted worker is -ENODEV.
 */
int dxg_ioctl_wait_sync_file(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_waitsyncfile *args = data;
	struct dxg_sync_point *points[DXGW_MAX_SYNC_OBJECTS];
	struct dxgw_wait_share_on_queue_req req = {
		.queue = cpu_to_le32(args->context.v),
	};
	struct dxg_call_args a = {
		.opcode = DXGW_OP_WAIT_SHARE_ON_QUEUE,
		.req = &req,
		.req_len = sizeof(req),
	};
	u32 count, device, i;
	int ret;

	ret = dxg_sync_file_points(args->sync_file_handle, points, ARRAY_SIZE(points), &count);
	if (ret)
		return ret;
	if (!args->context.v) {
		ret = -EINVAL;
		goto out_put;
	}
	if (mutex_lock_killable(&ctx->proc->lock)) {
		ret = -EINTR;
		goto out_put;
	}
	ret = dxg_process_host_current_locked(ctx->proc, ctx->ch, &a.process, &a.epoch);
	if (!ret)
		ret = dxg_process_context_device_locked(ctx->proc, args->context.v, &device);
	mutex_unlock(&ctx->proc->lock);
	if (ret)
		goto out_put;
	for (i = 0; i < count; i++) {
		if (points[i]->epoch != a.epoch) {
			ret = -ENODEV;
			goto out_put;
		}
	}
	for (i = 0; i < count && !ret; i++) {
		req.share_id = cpu_to_le64(points[i]->share_id);
		req.value = cpu_to_le64(points[i]->value);
		ret = dxg_call(ctx->ch, &a);
	}
out_put:
	dxg_sync_points_put(points, count);
	return ret;
}

/*
 * 0x47: a monitored fence handle (WAIT access only: a sync file lets its holder wait, not signal)
 * on a device of the caller, mapped as CREATESYNCHRONIZATIONOBJECT2 maps one. fence_value is the
 * sync file's value; WSL returns value + 1 once the fence has signalled (its host event bumps the
 * value), a quirk opendxg does not copy. The sync file must hold exactly one opendxg fence.
 */
int dxg_ioctl_open_sync_object_sync_file(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_opensyncobjectfromsyncfile *args = data;
	struct dxg_sync_point *point;
	u32 count, handle, type;
	u64 cpu_va = 0;
	int ret;

	args->syncobj.v = 0;
	ret = dxg_sync_file_points(args->sync_file_handle, &point, 1, &count);
	if (ret)
		return ret;
	ret = dxg_open_shared_sync_object(ctx, args->device.v, point->share_id, point->epoch,
					  DXGW_ACCESS_WAIT, &handle, &type, &cpu_va);
	if (ret)
		goto out_put;
	if (type != D3DDDI_MONITORED_FENCE) {
		/* The share was checked to be a monitored fence: the host is broken. */
		dxg_destroy_sync_object(ctx, handle);
		ret = -EIO;
		goto out_put;
	}
	args->syncobj.v = handle;
	args->fence_value = point->value;
	args->fence_value_cpu_va = cpu_va;
	args->fence_value_gpu_va = 0;
out_put:
	dma_fence_put(&point->base);
	return ret;
}

void dxg_ioctl_open_sync_object_sync_file_undo(struct dxg_ioctl_ctx *ctx, void *data)
{
	struct d3dkmt_opensyncobjectfromsyncfile *args = data;

	dxg_destroy_sync_object(ctx, args->syncobj.v);
}
