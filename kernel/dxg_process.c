// SPDX-License-Identifier: GPL-2.0
/*
 * Per-process state. As in WSL, a process is a thread group: every /dev/dxg file it opens shares
 * one struct dxg_process, and only that thread group may use those files (a child that inherits
 * one after fork() gets -ENOTTY and opens /dev/dxg itself).
 *
 * The guest keeps per process: the host process handle, a table of adapter handles, for the CPU
 * mappings of memory and fences the views (dxg_mem.c), the host adapter of each device it created
 * and the device of each context it created, and (on the channel's lists, dxg_fence.c) its
 * pending eventfd waits and CPU notification objects.
 * Adapter handles are issued here (WSL format, include/opendxg/handle.h); each one holds one
 * OPEN_ADAPTER reference on the host. Every other handle is the host's and passes through.
 *
 * Host state is scoped by the channel's epoch (one per connection): after a worker restart the
 * host process and every host reference are gone, the old adapter handles fail with -ENODEV, and
 * the next enumeration creates a new host process. The views and the device and context tables
 * belong to the host process: they are dropped when a new one is created (its fence records went
 * with the old connection already).
 */
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <linux/lockdep.h>

#include "dxg.h"

struct dxg_process *dxg_process_get_current(void)
{
	struct pid *tgid = task_tgid(current);
	struct dxg_process *proc, *fresh;

	/* Allocated up front so that the list lock is never held across an allocation. */
	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL);
	if (!fresh)
		return ERR_PTR(-ENOMEM);

	mutex_lock(&dxg_global.process_lock);
	list_for_each_entry(proc, &dxg_global.processes, node) {
		if (proc->tgid == tgid) {
			kref_get(&proc->ref);
			mutex_unlock(&dxg_global.process_lock);
			kfree(fresh);
			return proc;
		}
	}
	kref_init(&fresh->ref);
	fresh->tgid = get_pid(tgid);
	fresh->tgid_nr = task_tgid_nr(current);
	get_task_comm(fresh->comm, current);
	mutex_init(&fresh->lock);
	xa_init_flags(&fresh->adapters, XA_FLAGS_ALLOC1);
	fresh->adapter_unique = 1;
	xa_init(&fresh->views);
	xa_init(&fresh->devices);
	xa_init(&fresh->contexts);
	list_add(&fresh->node, &dxg_global.processes);
	mutex_unlock(&dxg_global.process_lock);
	return fresh;
}

bool dxg_process_is_current(const struct dxg_process *proc)
{
	return proc->tgid == task_tgid(current);
}

/*
 * ---- other processes (ENUMPROCESSES, QUERYSTATISTICS) ----
 *
 * These look at processes other than the caller without their locks: a process's lock may be
 * held across a host call, and dxg_global.process_lock must not wait for one. A process on the
 * list cannot be freed while process_lock is held; its adapter entries are freed after an RCU
 * grace period; its host process handle is published before its epoch.
 */

static bool dxg_process_holds_luid(struct dxg_process *proc, u32 luid_low, u32 luid_high)
{
	struct dxg_adapter_ref *ref;
	unsigned long index;
	bool found = false;

	/* The LUID fields are written before an entry is stored and never change. */
	rcu_read_lock();
	xa_for_each(&proc->adapters, index, ref) {
		if (ref->luid_low == luid_low && ref->luid_high == luid_high) {
			found = true;
			break;
		}
	}
	rcu_read_unlock();
	return found;
}

/**
 * dxg_process_enum_users() - the processes that hold an adapter handle of a LUID
 * @luid_low: the adapter's LUID, low part
 * @luid_high: the adapter's LUID, high part
 * @pids: out, the first @capacity of them; may be NULL when @capacity is 0
 * @capacity: entries of @pids
 * @count: out, how many such processes the caller's pid namespace can see
 * @held: out, whether any process holds such a handle, visible to the caller or not
 *
 * Handles of earlier connections count too: WSL lists the processes of a stopped adapter. A
 * process is named by its thread group id as the caller's active pid namespace numbers it;
 * processes that namespace cannot see are left out.
 *
 * Return: 0, or -EINTR.
 */
int dxg_process_enum_users(u32 luid_low, u32 luid_high, u32 *pids, u32 capacity, u32 *count,
			   bool *held)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct dxg_process *proc;
	pid_t nr;
	u32 n = 0;

	*held = false;
	if (mutex_lock_killable(&dxg_global.process_lock))
		return -EINTR;
	list_for_each_entry(proc, &dxg_global.processes, node) {
		if (!dxg_process_holds_luid(proc, luid_low, luid_high))
			continue;
		*held = true;
		nr = pid_nr_ns(proc->tgid, ns);
		if (!nr)
			continue;
		if (n < capacity)
			pids[n] = nr;
		n++;
	}
	mutex_unlock(&dxg_global.process_lock);
	*count = n;
	return 0;
}

/**
 * dxg_process_host_of_pid() - the host process of another guest process, named by its pid
 * @nr: a thread group id as the caller's active pid namespace numbers it
 * @epoch: the channel's current epoch
 * @process: out, the host process handle
 *
 * If the process is switching to a newer connection meanwhile, the handle may be of that one:
 * dxg_call() then refuses the request made with @epoch.
 *
 * Return: 0; -EINVAL when no process of that pid has /dev/dxg open or it has no host process in
 * @epoch; -EINTR.
 */
int dxg_process_host_of_pid(pid_t nr, u64 epoch, u32 *process)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct dxg_process *proc;
	int ret = -EINVAL;

	if (nr <= 0 || !epoch)
		return -EINVAL;
	if (mutex_lock_killable(&dxg_global.process_lock))
		return -EINTR;
	list_for_each_entry(proc, &dxg_global.processes, node) {
		if (pid_nr_ns(proc->tgid, ns) != nr)
			continue;
		/* Pairs with dxg_process_host_locked(): the handle is of this epoch (or newer). */
		if (smp_load_acquire(&proc->host_epoch) == epoch) {
			*process = READ_ONCE(proc->host_process);
			ret = 0;
		}
		break;
	}
	mutex_unlock(&dxg_global.process_lock);
	return ret;
}

/*
 * The host frees everything the process owned (devices, contexts, memory, adapter references).
 * Its CPU mappings are revoked first: the host reuses the pages once the process is gone. The
 * VMAs are left to the process (it may be another task's final fput() that runs this, or none
 * with a mm at all); they fault with SIGBUS.
 */
static void dxg_process_destroy(struct dxg_process *proc)
{
	struct dxg_adapter_ref *ref;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_DESTROY_PROCESS,
		/* Often called from an exiting task, where a killable wait would not wait. */
		.flags = DXG_CALL_UNKILLABLE,
		.process = proc->host_process,
		.epoch = proc->host_epoch,
	};
	unsigned long index;

	/* Nobody else holds the process any more; the lock only keeps the helpers' rules. */
	mutex_lock(&proc->lock);
	dxg_mem_purge_locked(proc, false);
	mutex_unlock(&proc->lock);
	xa_destroy(&proc->views);
	xa_destroy(&proc->devices);
	xa_destroy(&proc->contexts);

	down_read(&dxg_global.channel_rwsem);
	/*
	 * The fence records name the process: they go before it is freed. Without a channel there
	 * are none (PCI remove ended the epoch, which dropped them all).
	 */
	dxg_fence_forget(dxg_global.channel, proc, DXG_FORGET_PROCESS, 0);
	/* A stale epoch is refused by dxg_call(): the host already forgot the process. */
	if (proc->host_epoch && dxg_global.channel)
		dxg_call(dxg_global.channel, &a);
	up_read(&dxg_global.channel_rwsem);

	xa_for_each(&proc->adapters, index, ref)
		kfree(ref);
	xa_destroy(&proc->adapters);
	mutex_destroy(&proc->lock);
	put_pid(proc->tgid);
	kfree(proc);
}

static void dxg_process_unlink(struct kref *ref)
	__releases(&dxg_global.process_lock)
{
	struct dxg_process *proc = container_of(ref, struct dxg_process, ref);

	/* A new open by the same thread group from now on creates a new process. */
	list_del(&proc->node);
	mutex_unlock(&dxg_global.process_lock);
}

void dxg_process_put(struct dxg_process *proc)
{
	if (kref_put_mutex(&proc->ref, dxg_process_unlink, &dxg_global.process_lock))
		dxg_process_destroy(proc);
}

/**
 * dxg_process_host_locked() - make sure the process exists on the host in @epoch
 * @proc: the process, its lock held
 * @ch: the channel
 * @epoch: the channel's current epoch
 *
 * Return: 0, or the errno of DXGW_OP_CREATE_PROCESS.
 */
int dxg_process_host_locked(struct dxg_process *proc, struct dxg_channel *ch, u64 epoch)
{
	struct dxgw_create_process_req req = {
		.pid = cpu_to_le32(proc->tgid_nr),
	};
	struct dxgw_create_process_reply reply;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_CREATE_PROCESS,
		/*
		 * The reply carries the only name of a host object that owns everything else the
		 * process creates: a caller killed before it arrived would leak that object (no
		 * DESTROY_PROCESS without its handle). The host answers at once unless it is
		 * broken, and the wait is bounded by DXG_CALL_TIMEOUT_MS either way.
		 */
		.flags = DXG_CALL_UNKILLABLE,
		.epoch = epoch,
		.req = &req,
		.req_len = sizeof(req),
		.reply = &reply,
		.reply_max = sizeof(reply),
	};
	u32 handle;
	int ret;

	lockdep_assert_held(&proc->lock);
	if (!epoch)
		return -ENODEV;
	if (proc->host_epoch == epoch)
		return 0;

	/* The old host process died with its connection, and with it what these tables name. */
	dxg_mem_purge_locked(proc, true);
	xa_destroy(&proc->devices);
	xa_destroy(&proc->contexts);

	strscpy_pad(req.name, proc->comm, sizeof(req.name));
	ret = dxg_call(ch, &a);
	if (ret)
		return ret;
	handle = le32_to_cpu(reply.process);
	if (!handle)
		return -EIO;
	WRITE_ONCE(proc->host_process, handle);
	/* Pairs with dxg_process_host_of_pid(), which reads the epoch without the lock. */
	smp_store_release(&proc->host_epoch, epoch);
	return 0;
}

/**
 * dxg_process_host_current() - the host process for a call on a host-issued handle
 * @proc: the process
 * @ch: the channel, or NULL when no device is bound
 * @process: out, the host process handle
 * @epoch: out, the epoch it belongs to
 *
 * Return: 0; -ENODEV when there is no connected device or the process's host objects died with an
 * earlier connection; -EINVAL when the process never created anything on the host, so no handle
 * it passes can be valid.
 */
int dxg_process_host_current(struct dxg_process *proc, struct dxg_channel *ch, u32 *process,
			     u64 *epoch)
{
	int ret;

	if (mutex_lock_killable(&proc->lock))
		return -EINTR;
	ret = dxg_process_host_current_locked(proc, ch, process, epoch);
	mutex_unlock(&proc->lock);
	return ret;
}

/* As dxg_process_host_current(), with the process lock held. */
int dxg_process_host_current_locked(struct dxg_process *proc, struct dxg_channel *ch,
				    u32 *process, u64 *epoch)
{
	u64 current_epoch = ch ? dxg_channel_epoch(ch) : 0;

	lockdep_assert_held(&proc->lock);
	if (!current_epoch)
		return -ENODEV;
	if (!proc->host_epoch)
		return -EINVAL;
	if (proc->host_epoch != current_epoch)
		return -ENODEV;
	*process = proc->host_process;
	*epoch = current_epoch;
	return 0;
}

/**
 * dxg_process_enum_host_adapters() - the VM's adapters as the host lists them
 * @ch: the channel
 * @epoch: the channel's current epoch
 * @descs: out, DXGW_MAX_ADAPTERS entries
 * @count: out, entries filled
 *
 * Return: 0, an errno from dxg_call(), or -EIO for a malformed reply.
 */
int dxg_process_enum_host_adapters(struct dxg_channel *ch, u64 epoch,
				   struct dxgw_adapter_desc *descs, u32 *count)
{
	const size_t reply_size = sizeof(struct dxgw_enum_adapters_reply) +
				  DXGW_MAX_ADAPTERS * sizeof(struct dxgw_adapter_desc);
	struct dxgw_enum_adapters_reply *reply;
	struct dxg_call_args a = {
		.opcode = DXGW_OP_ENUM_ADAPTERS,
		.epoch = epoch,
		.reply_max = reply_size,
	};
	u32 n, i;
	int ret;

	reply = kmalloc(reply_size, GFP_KERNEL);
	if (!reply)
		return -ENOMEM;
	a.reply = reply;
	ret = dxg_call(ch, &a);
	if (ret)
		goto out_free_reply;

	n = le32_to_cpu(reply->count);
	if (a.reply_len < sizeof(*reply) || n > DXGW_MAX_ADAPTERS ||
	    a.reply_len < sizeof(*reply) + n * sizeof(*descs)) {
		ret = -EIO;
		goto out_free_reply;
	}
	memcpy(descs, reply + 1, n * sizeof(*descs));
	for (i = 0; i < n; i++) {
		if (!descs[i].adapter) {
			ret = -EIO;
			goto out_free_reply;
		}
	}
	*count = n;
out_free_reply:
	kfree(reply);
	return ret;
}

static struct dxg_adapter_ref *dxg_process_find_adapter_locked(struct dxg_process *proc,
							       u32 handle)
{
	struct dxg_adapter_ref *ref;

	/* Index, uniqueness bits and instance bits must all match what we issued. */
	ref = xa_load(&proc->adapters, dxg_handle_index(handle));
	if (!ref || ref->handle != handle)
		return NULL;
	return ref;
}

static int dxg_process_send_adapter_op(struct dxg_process *proc, struct dxg_channel *ch,
				       u16 opcode, u32 host_adapter, u64 epoch)
{
	struct dxgw_adapter_req req = {
		.adapter = cpu_to_le32(host_adapter),
	};
	struct dxg_call_args a = {
		.opcode = opcode,
		.process = proc->host_process,
		.epoch = epoch,
		.req = &req,
		.req_len = sizeof(req),
	};

	return dxg_call(ch, &a);
}

/**
 * dxg_process_open_adapter_locked() - issue a new adapter handle
 * @proc: the process, its lock held
 * @ch: the channel
 * @epoch: the channel's current epoch
 * @desc: the host adapter, as enumerated in @epoch
 * @handle: out, the new local handle
 *
 * Creates the host process if needed and takes one host reference on the adapter.
 *
 * Return: 0; -ENOMEM when the process holds too many adapter handles; an errno of the host call.
 */
int dxg_process_open_adapter_locked(struct dxg_process *proc, struct dxg_channel *ch, u64 epoch,
				    const struct dxgw_adapter_desc *desc, u32 *handle)
{
	struct dxg_adapter_ref *ref;
	u32 index;
	int ret;

	lockdep_assert_held(&proc->lock);
	if (proc->adapter_count >= DXG_MAX_ADAPTER_HANDLES)
		return -ENOMEM;
	ret = dxg_process_host_locked(proc, ch, epoch);
	if (ret)
		return ret;

	ref = kzalloc(sizeof(*ref), GFP_KERNEL);
	if (!ref)
		return -ENOMEM;
	ref->host_adapter = le32_to_cpu(desc->adapter);
	ref->luid_low = le32_to_cpu(desc->luid_low);
	ref->luid_high = le32_to_cpu(desc->luid_high);
	ref->flags = le32_to_cpu(desc->flags);
	ref->epoch = epoch;

	/* Cyclic: a closed handle's index comes back only after the whole space was used. */
	ret = xa_alloc_cyclic(&proc->adapters, &index, ref,
			      XA_LIMIT(1, DXG_HANDLE_INDEX_MAX), &proc->adapter_cursor,
			      GFP_KERNEL);
	if (ret < 0)
		goto err_free_ref;
	ref->handle = dxg_handle_make(index, proc->adapter_unique);
	proc->adapter_unique = proc->adapter_unique % DXG_HANDLE_UNIQUE_MAX + 1;

	ret = dxg_process_send_adapter_op(proc, ch, DXGW_OP_OPEN_ADAPTER, ref->host_adapter,
					  epoch);
	if (ret)
		goto err_erase_index;

	proc->adapter_count++;
	*handle = ref->handle;
	return 0;

err_erase_index:
	xa_erase(&proc->adapters, index);
	/* dxg_process_enum_users() may be reading it. */
	kfree_rcu(ref, rcu);
	return ret;

err_free_ref:
	kfree(ref);
	return ret;
}

/* Whether the process holds another reference to @host_adapter in @epoch than @handle. */
static bool dxg_process_adapter_shared_locked(struct dxg_process *proc, u32 host_adapter,
					      u64 epoch)
{
	struct dxg_adapter_ref *ref;
	unsigned long index;

	xa_for_each(&proc->adapters, index, ref) {
		if (ref->host_adapter == host_adapter && ref->epoch == epoch)
			return true;
	}
	return false;
}

/*
 * The process's last reference to a host adapter is closing: the host destroys the process's
 * devices on it, and with them their allocations and paging queues (protocol.md 5.6), so the
 * pages they had mapped are revoked before the request. Called with the handle already erased.
 */
static int dxg_process_close_last_adapter_locked(struct dxg_process *proc, struct dxg_channel *ch,
						 u32 host_adapter, u64 epoch)
{
	struct dxg_call_args a = {
		.opcode = DXGW_OP_CLOSE_ADAPTER,
		.process = proc->host_process,
		.epoch = epoch,
	};
	struct dxgw_adapter_req req = {
		.adapter = cpu_to_le32(host_adapter),
	};
	bool gone;
	int ret;

	dxg_mem_revoke_locked(proc, DXG_REVOKE_ADAPTER, &host_adapter, 1);
	a.req = &req;
	a.req_len = sizeof(req);
	ret = dxg_call(ch, &a);
	/* Refused by the host: nothing was destroyed. Otherwise it may have been. */
	gone = !(ret < 0 && a.answered);
	dxg_mem_revoke_finish_locked(proc, gone, true);
	if (gone) {
		dxg_process_forget_adapter_devices_locked(proc, host_adapter);
		dxg_fence_forget(ch, proc, DXG_FORGET_ADAPTER, host_adapter);
	}
	return ret;
}

/**
 * dxg_process_close_adapter_locked() - close one adapter handle
 * @proc: the process, its lock held
 * @ch: the channel, or NULL
 * @handle: the local handle
 *
 * The handle is gone when this returns, whatever the host answered. A handle from an earlier
 * connection is only forgotten: its host reference died with that connection. Called in the
 * process (an ioctl): closing its last reference to an adapter unmaps what its devices had
 * mapped.
 *
 * Return: 0; -EINVAL for a handle this process does not hold (0 included: WSL returns 0 there, but
 * a handle that was never issued is a caller bug worth reporting); the host's errno for
 * DXGW_OP_CLOSE_ADAPTER.
 */
int dxg_process_close_adapter_locked(struct dxg_process *proc, struct dxg_channel *ch, u32 handle)
{
	struct dxg_adapter_ref *ref;
	u64 epoch;
	int ret = 0;

	lockdep_assert_held(&proc->lock);
	ref = dxg_process_find_adapter_locked(proc, handle);
	if (!ref)
		return -EINVAL;
	xa_erase(&proc->adapters, dxg_handle_index(handle));
	proc->adapter_count--;
	epoch = ch ? dxg_channel_epoch(ch) : 0;
	if (epoch && ref->epoch == epoch) {
		if (dxg_process_adapter_shared_locked(proc, ref->host_adapter, epoch))
			ret = dxg_process_send_adapter_op(proc, ch, DXGW_OP_CLOSE_ADAPTER,
							  ref->host_adapter, epoch);
		else
			ret = dxg_process_close_last_adapter_locked(proc, ch, ref->host_adapter,
								    epoch);
	}
	/* dxg_process_enum_users() may be reading it. */
	kfree_rcu(ref, rcu);
	return ret;
}

int dxg_process_close_adapter(struct dxg_process *proc, struct dxg_channel *ch, u32 handle)
{
	int ret;

	if (mutex_lock_killable(&proc->lock))
		return -EINTR;
	ret = dxg_process_close_adapter_locked(proc, ch, handle);
	mutex_unlock(&proc->lock);
	return ret;
}

/**
 * dxg_process_get_adapter() - translate a local adapter handle for a host call
 * @proc: the process
 * @ch: the channel, or NULL
 * @handle: the local handle
 * @ref: out, a copy of the handle's entry
 * @process: out, the host process handle that holds the reference
 *
 * Return: 0; -EINVAL for a handle this process does not hold; -ENODEV when there is no connected
 * device or the handle belongs to an earlier connection.
 */
int dxg_process_get_adapter(struct dxg_process *proc, struct dxg_channel *ch, u32 handle,
			    struct dxg_adapter_ref *ref, u32 *process)
{
	int ret;

	if (mutex_lock_killable(&proc->lock))
		return -EINTR;
	ret = dxg_process_get_adapter_locked(proc, ch, handle, ref, process);
	mutex_unlock(&proc->lock);
	return ret;
}

/* As dxg_process_get_adapter(), with the process lock held. */
int dxg_process_get_adapter_locked(struct dxg_process *proc, struct dxg_channel *ch, u32 handle,
				   struct dxg_adapter_ref *ref, u32 *process)
{
	struct dxg_adapter_ref *entry;
	u64 epoch;

	lockdep_assert_held(&proc->lock);
	entry = dxg_process_find_adapter_locked(proc, handle);
	if (!entry)
		return -EINVAL;
	epoch = ch ? dxg_channel_epoch(ch) : 0;
	if (!epoch || entry->epoch != epoch)
		return -ENODEV;
	*ref = *entry;
	*process = proc->host_process;
	return 0;
}

/*
 * ---- devices ----
 *
 * The host adapter of every device the process created in its host process's connection: it says
 * which CPU mappings (allocations, paging queue fences) the last CLOSE_ADAPTER of an adapter takes
 * away.
 */

/**
 * dxg_process_add_device_locked() - record a device the host has just created
 * @proc: the process, its lock held
 * @epoch: the connection the device was created in
 * @device: the host's device handle
 * @host_adapter: its adapter
 *
 * Return: 0; -ENODEV when the process's host process is no longer of @epoch (the device died with
 * it); -ENOMEM.
 */
int dxg_process_add_device_locked(struct dxg_process *proc, u64 epoch, u32 device,
				  u32 host_adapter)
{
	lockdep_assert_held(&proc->lock);
	if (proc->host_epoch != epoch)
		return -ENODEV;
	return xa_err(xa_store(&proc->devices, device, xa_mk_value(host_adapter), GFP_KERNEL));
}

/* The host destroyed the device, and with it its contexts. */
void dxg_process_forget_device_locked(struct dxg_process *proc, u32 device)
{
	unsigned long index;
	void *entry;

	lockdep_assert_held(&proc->lock);
	xa_erase(&proc->devices, device);
	xa_for_each(&proc->contexts, index, entry) {
		if (xa_to_value(entry) == device)
			xa_erase(&proc->contexts, index);
	}
}

void dxg_process_forget_adapter_devices_locked(struct dxg_process *proc, u32 host_adapter)
{
	unsigned long index;
	void *entry;

	lockdep_assert_held(&proc->lock);
	xa_for_each(&proc->devices, index, entry) {
		if (xa_to_value(entry) == host_adapter)
			dxg_process_forget_device_locked(proc, index);
	}
}

/**
 * dxg_process_device_adapter_locked() - the host adapter of a device of the process
 * @proc: the process, its lock held
 * @device: the host's device handle
 * @host_adapter: out
 *
 * Return: 0, or -EINVAL for a device the process did not create in this connection.
 */
int dxg_process_device_adapter_locked(struct dxg_process *proc, u32 device, u32 *host_adapter)
{
	void *entry;

	lockdep_assert_held(&proc->lock);
	entry = xa_load(&proc->devices, device);
	if (!entry)
		return -EINVAL;
	*host_adapter = xa_to_value(entry);
	return 0;
}

/*
 * ---- contexts ----
 *
 * The device of every context the process created in its host process's connection: a hardware
 * queue's fence mapping records it (DESTROYDEVICE and the last CLOSEADAPTER take it away), and
 * CREATEHWQUEUE on a context not in it is -EINVAL without a host call.
 */

/**
 * dxg_process_add_context_locked() - record a context the host has just created
 * @proc: the process, its lock held
 * @epoch: the connection the context was created in
 * @context: the host's context handle
 * @device: its device
 *
 * Return: 0; -ENODEV when the process's host process is no longer of @epoch; -ENOMEM.
 */
int dxg_process_add_context_locked(struct dxg_process *proc, u64 epoch, u32 context, u32 device)
{
	lockdep_assert_held(&proc->lock);
	if (proc->host_epoch != epoch)
		return -ENODEV;
	return xa_err(xa_store(&proc->contexts, context, xa_mk_value(device), GFP_KERNEL));
}

void dxg_process_forget_context_locked(struct dxg_process *proc, u32 context)
{
	lockdep_assert_held(&proc->lock);
	xa_erase(&proc->contexts, context);
}

/**
 * dxg_process_context_device_locked() - the device of a context of the process
 * @proc: the process, its lock held
 * @context: the host's context handle
 * @device: out
 *
 * Return: 0, or -EINVAL for a context the process did not create in this connection.
 */
int dxg_process_context_device_locked(struct dxg_process *proc, u32 context, u32 *device)
{
	void *entry;

	lockdep_assert_held(&proc->lock);
	entry = xa_load(&proc->contexts, context);
	if (!entry)
		return -EINVAL;
	*device = xa_to_value(entry);
	return 0;
}
