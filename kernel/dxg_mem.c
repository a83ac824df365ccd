// SPDX-License-Identifier: GPL-2.0
/*
 * CPU mappings of the shared region: LOCK2 maps a host-visible allocation's heap pages, and
 * CREATEPAGINGQUEUE, CREATEHWQUEUE and CREATESYNCHRONIZATIONOBJECT (monitored fences) the page
 * holding the new fence, read-only, into the calling process.
 *
 * /dev/dxg has no mmap (WSL ABI): the ioctl maps by itself, with vm_mmap() of an internal file.
 * Every such file is a file of one inode of a private pseudo filesystem, so the driver owns one
 * address_space whose file offsets are region offsets: a VMA's pgoff is the region page it starts
 * at. unmap_mapping_range() over a region range then removes the page table entries of every
 * process that maps those pages, without walking anybody's mm. That is how UNLOCK2, destruction,
 * process teardown and worker restarts take pages away before the host may give them to someone
 * else.
 *
 * Nothing is mapped eagerly. The fault handler inserts the BAR2 page (write-back cached, like the
 * driver's own memremap() of BAR2, which reserved that memory type for the range) while the VMA's
 * mapping is live and belongs to the current connection, and answers SIGBUS otherwise. A
 * revocation clears `live` (or the epoch) under the write side of revoke_lock and then zaps; a
 * fault holds the read side from its check to its insert, so nothing it inserts outlives the zap.
 *
 * Objects:
 * - struct dxg_mapping: pages of the region, granted by the host in one connection. Referenced by
 *   the process's view and by every file mapped from it; a VMA holds its file, so a VMA never
 *   outlives its mapping, and vm_private_data needs no reference of its own.
 * - struct dxg_view: a process's use of a mapping, in its `views` table under the process lock,
 *   keyed by the allocation (LOCK2), or by the paging queue, hardware queue or sync object whose
 *   fence it maps. It records which destructions take the pages away: of the allocation, its
 *   resource, its device, the last reference to its adapter, the fence's owner, and for a
 *   hardware queue's fence its context.
 *
 * VMAs are VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY: a fork child does not
 * inherit them (MADV_DOFORK is refused for VM_IO), and they cannot grow, be split or be moved
 * (may_split and mremap refuse), so a view's VMA stays exactly [address, address + size).
 */
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/rwsem.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "dxg.h"

#define DXG_MEM_FS_MAGIC 0x4f44584du	/* "ODXM" */

struct dxg_mapping {
	struct kref ref;
	unsigned long pfn;		/* BAR2 page frame of the first page */
	pgoff_t first_page;		/* region page index: the pgoff of every VMA of it */
	unsigned long pages;
	u64 epoch;			/* the connection whose host named these pages */
	bool live;			/* under dxg_mem.revoke_lock */
};

struct dxg_view {
	u32 handle;			/* the allocation (LOCK2), or the fence's queue or sync object */
	bool fence;
	bool revoking;			/* marked by the revocation that is in progress */
	u32 device;
	u32 context;			/* a hardware queue's fence: its context; else 0 */
	u32 fence_object;		/* a fence: its sync object handle; else 0 */
	u32 resource;			/* LOCK2: the allocation's resource, or 0 */
	u32 adapter;			/* the device's host adapter */
	u32 locks;			/* LOCK2 calls not yet undone by UNLOCK2 */
	bool read_only;			/* LOCK2 of an allocation opened without WRITE access */
	unsigned long address;		/* the VMA vm_mmap() made in the process; 0: none */
	struct dxg_mapping *map;
};

static struct {
	struct vfsmount *mnt;
	struct inode *inode;		/* the one address_space of every mapping */
	/* read: a fault from its check to its insert; write: flipping `live` or `epoch` */
	struct rw_semaphore revoke_lock;
	u64 epoch;			/* the connection faults accept; 0: none */
} dxg_mem = {
	.revoke_lock = __RWSEM_INITIALIZER(dxg_mem.revoke_lock),
};

/* ---- the pseudo filesystem ---- */

static int dxg_mem_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, DXG_MEM_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * No .owner: the internal mount lives from module init to exit and must not pin the module (it
 * could never be unloaded). Each mapping file pins it instead, through its file operations.
 */
static struct file_system_type dxg_mem_fs_type = {
	.name = "opendxg-mem",
	.init_fs_context = dxg_mem_init_fs_context,
	.kill_sb = kill_anon_super,
};

int dxg_mem_init(void)
{
	struct inode *inode;

	dxg_mem.mnt = kern_mount(&dxg_mem_fs_type);
	if (IS_ERR(dxg_mem.mnt))
		return PTR_ERR(dxg_mem.mnt);
	inode = alloc_anon_inode(dxg_mem.mnt->mnt_sb);
	if (IS_ERR(inode)) {
		kern_unmount(dxg_mem.mnt);
		return PTR_ERR(inode);
	}
	dxg_mem.inode = inode;
	return 0;
}

/* Every mapping file holds a module reference, so none is left here. */
void dxg_mem_exit(void)
{
	iput(dxg_mem.inode);
	kern_unmount(dxg_mem.mnt);
}

/* ---- connections ---- */

/*
 * Called before the channel goes up in @epoch (dxg_transport.c): no mapping of that epoch exists
 * yet, so this only lets the coming ones fault.
 */
void dxg_mem_begin_epoch(u64 epoch)
{
	down_write(&dxg_mem.revoke_lock);
	dxg_mem.epoch = epoch;
	up_write(&dxg_mem.revoke_lock);
}

/*
 * The connection ended (worker restart, broken ring, PCI remove): the host forgot every object and
 * reuses the pages, so every mapping of the old epoch stops working now. The processes' views stay
 * until they are purged (dxg_mem_purge_locked()) or torn down; their VMAs fault with SIGBUS.
 */
void dxg_mem_end_epoch(void)
{
	down_write(&dxg_mem.revoke_lock);
	dxg_mem.epoch = 0;
	up_write(&dxg_mem.revoke_lock);
	unmap_mapping_range(dxg_mem.inode->i_mapping, 0, 0, 1);
}

/* ---- mappings and their VMAs ---- */

static void dxg_mapping_free(struct kref *ref)
{
	kfree(container_of(ref, struct dxg_mapping, ref));
}

static void dxg_mapping_put(struct dxg_mapping *map)
{
	kref_put(&map->ref, dxg_mapping_free);
}

static void dxg_mapping_zap(struct dxg_mapping *map)
{
	unmap_mapping_range(dxg_mem.inode->i_mapping, (loff_t)map->first_page << PAGE_SHIFT,
			    (loff_t)map->pages << PAGE_SHIFT, 1);
}

static vm_fault_t dxg_mapping_fault(struct vm_fault *vmf)
{
	struct dxg_mapping *map = vmf->vma->vm_private_data;
	pgoff_t index = vmf->pgoff - map->first_page;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	down_read(&dxg_mem.revoke_lock);
	if (map->live && map->epoch == dxg_mem.epoch && vmf->pgoff >= map->first_page &&
	    index < map->pages)
		ret = vmf_insert_pfn(vmf->vma, vmf->address, map->pfn + index);
	up_read(&dxg_mem.revoke_lock);
	return ret;
}

/* A view's VMA is all of its mapping: no partial munmap or mprotect, no move. */
static int dxg_mapping_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return -EINVAL;
}

static int dxg_mapping_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

static const struct vm_operations_struct dxg_vm_ops = {
	.fault = dxg_mapping_fault,
	.may_split = dxg_mapping_may_split,
	.mremap = dxg_mapping_mremap,
};

static int dxg_mapping_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct dxg_mapping *map = file->private_data;

	/* Only what the file was made for: remap_file_pages() could ask for other pages. */
	if (vma->vm_pgoff != map->first_page || vma_pages(vma) != map->pages)
		return -EINVAL;
	/* Private and writable would be copy-on-write, which a PFN mapping cannot be. */
	if ((vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE)
		return -EINVAL;
	/* 6.1: vm_flags is written directly (6.3 and later: vm_flags_set()). */
	vma->vm_flags |= VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY;
	vma->vm_ops = &dxg_vm_ops;
	vma->vm_private_data = map;
	return 0;
}

static int dxg_mapping_file_release(struct inode *inode, struct file *file)
{
	dxg_mapping_put(file->private_data);
	return 0;
}

static const struct file_operations dxg_mapping_fops = {
	.owner = THIS_MODULE,
	.mmap = dxg_mapping_file_mmap,
	.release = dxg_mapping_file_release,
	.llseek = noop_llseek,
};

/*
 * Maps all of @map into the current process: read-write for allocations, read-only for fences and
 * for allocations opened from a share without WRITE access (an O_RDONLY file gives the VMA no
 * VM_MAYWRITE, so mprotect() cannot add write access).
 */
static int dxg_mapping_mmap(struct dxg_mapping *map, bool writable, unsigned long *address)
{
	struct file *file;
	unsigned long addr;

	/* The file's reference, dropped by __fput() through fops_put(); we are inside an ioctl. */
	__module_get(THIS_MODULE);
	ihold(dxg_mem.inode);
	file = alloc_file_pseudo(dxg_mem.inode, dxg_mem.mnt, "opendxg-region",
				 writable ? O_RDWR : O_RDONLY, &dxg_mapping_fops);
	if (IS_ERR(file)) {
		iput(dxg_mem.inode);
		module_put(THIS_MODULE);
		return PTR_ERR(file);
	}
	kref_get(&map->ref);
	file->private_data = map;
	addr = vm_mmap(file, 0, map->pages << PAGE_SHIFT,
		       writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED,
		       (unsigned long)map->first_page << PAGE_SHIFT);
	/* The VMA, if any, holds its own reference. */
	fput(file);
	if (IS_ERR_VALUE(addr))
		return (int)addr;
	*address = addr;
	return 0;
}

/*
 * Whether the VMA at the view's address is still the one we made: the process may have unmapped
 * it and put something else there, or exec()ed (same thread group, new mm).
 */
static bool dxg_view_mapped(const struct dxg_view *view)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	bool ours;

	if (!view->address || !mm)
		return false;
	mmap_read_lock(mm);
	vma = find_vma(mm, view->address);
	ours = vma && vma->vm_start == view->address && vma->vm_ops == &dxg_vm_ops &&
	       vma->vm_private_data == view->map;
	mmap_read_unlock(mm);
	return ours;
}

/*
 * Removes the view's VMA from the current process if it is still ours. do_munmap() is not
 * exported, so the check and vm_munmap() are two steps: a thread that replaces the VMA in
 * between (munmap and mmap at the same address) races only against its own process.
 */
static void dxg_view_munmap(struct dxg_view *view)
{
	if (dxg_view_mapped(view))
		vm_munmap(view->address, view->map->pages << PAGE_SHIFT);
	view->address = 0;
}

/* Called with the revocation's pages zapped (or never mapped). */
static void dxg_view_free(struct dxg_process *proc, struct dxg_view *view, bool unmap)
{
	xa_erase(&proc->views, view->handle);
	if (unmap)
		dxg_view_munmap(view);
	dxg_mapping_put(view->map);
	kfree(view);
}

/* ---- grants ---- */

static bool dxg_range_inside(u64 offset, u64 size, u64 part_offset, u64 part_size)
{
	return offset >= part_offset && size <= part_size &&
	       offset - part_offset <= part_size - size;
}

static int dxg_mapping_create(const struct dxg_mem_layout *lay, u64 epoch, u64 offset, u64 size,
			      struct dxg_mapping **out)
{
	struct dxg_mapping *map;

	/*
	 * The host hands out 4 KiB pages; a larger CPU page would map its neighbours too. The BAR
	 * itself is at least 1 MiB aligned.
	 */
	if (PAGE_SIZE != DXG_PAGE_SIZE)
		return -EOPNOTSUPP;
	if (!size || !PAGE_ALIGNED(offset) || !PAGE_ALIGNED(size) ||
	    !PAGE_ALIGNED(lay->region_phys))
		return -EIO;
	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map)
		return -ENOMEM;
	kref_init(&map->ref);
	map->pfn = (lay->region_phys + offset) >> PAGE_SHIFT;
	map->first_page = offset >> PAGE_SHIFT;
	map->pages = size >> PAGE_SHIFT;
	map->epoch = epoch;
	map->live = true;
	*out = map;
	return 0;
}

static int dxg_view_create(struct dxg_process *proc, const struct dxg_mem_grant *grant,
			   bool fence, struct dxg_mapping *map, struct dxg_view **out)
{
	struct dxg_view *view;
	int ret;

	view = kzalloc(sizeof(*view), GFP_KERNEL);
	if (!view)
		return -ENOMEM;
	view->handle = grant->handle;
	view->fence = fence;
	view->device = grant->device;
	view->context = grant->context;
	view->fence_object = grant->fence_object;
	view->resource = grant->resource;
	view->adapter = grant->adapter;
	view->read_only = grant->read_only;
	view->map = map;
	ret = xa_insert(&proc->views, grant->handle, view, GFP_KERNEL);
	if (ret) {
		kfree(view);
		/* A handle that names a live view of the other kind: the host is confused. */
		return ret == -EBUSY ? -EIO : ret;
	}
	*out = view;
	return 0;
}

/**
 * dxg_mem_lock_locked() - map a locked allocation into the current process
 * @proc: the process, its lock held; its views belong to the host process of @grant->epoch
 * @ch: the channel
 * @grant: the host's LOCK reply and what it was asked
 * @address: out, the allocation's CPU address
 *
 * The first lock maps the pages; later ones count and return the same address, mapping again
 * only if the process unmapped the VMA itself meanwhile.
 *
 * Return: 0; -EIO when the host named pages outside the heap, or other pages than before; -ENODEV
 * when the connection ended; -ENOMEM; the errno of vm_mmap().
 */
int dxg_mem_lock_locked(struct dxg_process *proc, struct dxg_channel *ch,
			const struct dxg_mem_grant *grant, u64 *address)
{
	struct dxg_mem_layout lay;
	struct dxg_mapping *map;
	struct dxg_view *view;
	unsigned long addr;
	int ret;

	lockdep_assert_held(&proc->lock);
	ret = dxg_channel_mem_layout(ch, grant->epoch, &lay);
	if (ret)
		return ret;
	/* Never trust the host's numbers to map anything but heap pages. */
	if (!dxg_range_inside(grant->offset, grant->size, lay.heap_offset, lay.heap_size))
		return -EIO;

	view = xa_load(&proc->views, grant->handle);
	if (view) {
		if (view->fence || view->map->first_page != grant->offset >> PAGE_SHIFT ||
		    view->map->pages != grant->size >> PAGE_SHIFT || view->locks == U32_MAX ||
		    view->read_only != grant->read_only)
			return -EIO;
		if (!dxg_view_mapped(view)) {
			ret = dxg_mapping_mmap(view->map, !view->read_only, &addr);
			if (ret)
				return ret;
			view->address = addr;
		}
		view->locks++;
		*address = view->address;
		return 0;
	}

	ret = dxg_mapping_create(&lay, grant->epoch, grant->offset, grant->size, &map);
	if (ret)
		return ret;
	ret = dxg_view_create(proc, grant, false, map, &view);
	if (ret) {
		dxg_mapping_put(map);
		return ret;
	}
	ret = dxg_mapping_mmap(map, !grant->read_only, &view->address);
	if (ret) {
		dxg_view_free(proc, view, false);
		return ret;
	}
	view->locks = 1;
	*address = view->address;
	return 0;
}

/* Revokes one view for good: called in the process, with its lock held. */
static void dxg_view_destroy(struct dxg_process *proc, struct dxg_view *view)
{
	down_write(&dxg_mem.revoke_lock);
	view->map->live = false;
	up_write(&dxg_mem.revoke_lock);
	dxg_mapping_zap(view->map);
	dxg_view_free(proc, view, true);
}

/**
 * dxg_mem_unlock_locked() - undo one LOCK2 of an allocation in the current process
 * @proc: the process, its lock held
 * @allocation: the allocation the host has just unlocked
 *
 * At the last unlock the mapping is revoked and its VMA unmapped. An allocation without a view
 * (its mapping was dropped by a worker restart) is fine.
 */
void dxg_mem_unlock_locked(struct dxg_process *proc, u32 allocation)
{
	struct dxg_view *view;

	lockdep_assert_held(&proc->lock);
	view = xa_load(&proc->views, allocation);
	if (!view || view->fence)
		return;
	if (--view->locks == 0)
		dxg_view_destroy(proc, view);
}

/**
 * dxg_mem_map_fence_locked() - map the page of a monitored fence read-only
 * @proc: the process, its lock held
 * @ch: the channel
 * @grant: the fence's owner (handle: a paging queue, hardware queue or sync object), its device,
 *	its context (hardware queues) and adapter, the epoch; offset and size are ignored
 * @fence_offset: the region offset of the fence's u64, from the host
 * @address: out, the CPU address of the fence value
 *
 * Return: 0; -EIO when the fence is not an aligned u64 inside the fence storage or the queue
 * already has a view; -ENODEV; -ENOMEM; the errno of vm_mmap().
 */
int dxg_mem_map_fence_locked(struct dxg_process *proc, struct dxg_channel *ch,
			     const struct dxg_mem_grant *grant, u64 fence_offset, u64 *address)
{
	struct dxg_mem_layout lay;
	struct dxg_mapping *map;
	struct dxg_view *view;
	int ret;

	lockdep_assert_held(&proc->lock);
	ret = dxg_channel_mem_layout(ch, grant->epoch, &lay);
	if (ret)
		return ret;
	if (!IS_ALIGNED(fence_offset, sizeof(u64)) ||
	    !dxg_range_inside(fence_offset, sizeof(u64), lay.fence_offset, lay.fence_size))
		return -EIO;
	/* The host keeps this page for this process's fences only (protocol.md 5.11). */
	ret = dxg_mapping_create(&lay, grant->epoch, round_down(fence_offset, PAGE_SIZE),
				 PAGE_SIZE, &map);
	if (ret)
		return ret;
	ret = dxg_view_create(proc, grant, true, map, &view);
	if (ret) {
		dxg_mapping_put(map);
		return ret;
	}
	ret = dxg_mapping_mmap(map, false, &view->address);
	if (ret) {
		dxg_view_free(proc, view, false);
		return ret;
	}
	*address = view->address + offset_in_page(fence_offset);
	return 0;
}

/* ---- revocation ---- */

static bool dxg_view_matches(const struct dxg_view *view, enum dxg_revoke_by by, u32 value)
{
	switch (by) {
	case DXG_REVOKE_RESOURCE:
		return !view->fence && view->resource == value;
	case DXG_REVOKE_DEVICE:
		return view->device == value;
	case DXG_REVOKE_ADAPTER:
		return view->adapter == value;
	case DXG_REVOKE_FENCE:
		return view->fence && view->handle == value;
	case DXG_REVOKE_CONTEXT:
		return view->fence && view->context == value;
	case DXG_REVOKE_ALL:
		return true;
	default:
		return false;
	}
}

static void dxg_view_mark(struct dxg_view *view, unsigned long *count)
{
	if (view->revoking)
		return;
	view->revoking = true;
	view->map->live = false;
	(*count)++;
}

/**
 * dxg_mem_revoke_locked() - take pages away before a host call that may free them
 * @proc: the process, its lock held until dxg_mem_revoke_finish_locked()
 * @by: what the host call destroys
 * @handles: DXG_REVOKE_ALLOCATIONS: the allocations; otherwise @handles[0] is the resource,
 *	device, host adapter, fence owner or context (nothing for DXG_REVOKE_ALL)
 * @count: entries of @handles
 *
 * The matching views stop working at once (their VMAs fault with SIGBUS): once the host has freed
 * the pages it may give them to another process, so they are revoked before the request is sent,
 * not after the reply. dxg_mem_revoke_finish_locked() then drops them or, if the host refused the
 * request, brings them back.
 */
void dxg_mem_revoke_locked(struct dxg_process *proc, enum dxg_revoke_by by, const u32 *handles,
			   u32 count)
{
	struct dxg_view *view;
	unsigned long index, marked = 0;
	u32 i;

	lockdep_assert_held(&proc->lock);
	down_write(&dxg_mem.revoke_lock);
	if (by == DXG_REVOKE_ALLOCATIONS) {
		for (i = 0; i < count; i++) {
			view = xa_load(&proc->views, handles[i]);
			if (view && !view->fence)
				dxg_view_mark(view, &marked);
		}
	} else {
		xa_for_each(&proc->views, index, view) {
			if (dxg_view_matches(view, by, by == DXG_REVOKE_ALL ? 0 : handles[0]))
				dxg_view_mark(view, &marked);
		}
	}
	up_write(&dxg_mem.revoke_lock);
	if (!marked)
		return;
	xa_for_each(&proc->views, index, view) {
		if (view->revoking)
			dxg_mapping_zap(view->map);
	}
}

/**
 * dxg_mem_forget_queue_fences_locked() - end the CPU waits on fences of queues being destroyed
 * @proc: the process, its lock held between dxg_mem_revoke_locked() and
 *	dxg_mem_revoke_finish_locked()
 * @ch: the channel
 *
 * For a host call that destroyed paging queues or hardware queues (the views being revoked): their
 * fences go with them, so eventfd waits naming those fences end as for a destroyed sync object
 * (dxg_fence_forget()). A sync object's own fence is forgotten by DESTROYSYNCHRONIZATIONOBJECT.
 */
void dxg_mem_forget_queue_fences_locked(struct dxg_process *proc, struct dxg_channel *ch)
{
	struct dxg_view *view;
	unsigned long index;

	lockdep_assert_held(&proc->lock);
	xa_for_each(&proc->views, index, view) {
		if (view->revoking && view->fence && view->fence_object &&
		    view->fence_object != view->handle)
			dxg_fence_forget(ch, proc, DXG_FORGET_SYNC_OBJECT, view->fence_object);
	}
}

/**
 * dxg_mem_revoke_finish_locked() - end the revocation of dxg_mem_revoke_locked()
 * @proc: the process, its lock held since then
 * @gone: the host freed (or may have freed) the objects: drop the views; false: the host refused
 *	the request, which then changed nothing, so the views work again
 * @unmap: called in the process (an ioctl): also unmap the dropped views' VMAs
 */
void dxg_mem_revoke_finish_locked(struct dxg_process *proc, bool gone, bool unmap)
{
	struct dxg_view *view;
	unsigned long index;

	lockdep_assert_held(&proc->lock);
	if (gone) {
		xa_for_each(&proc->views, index, view) {
			if (view->revoking)
				dxg_view_free(proc, view, unmap);
		}
		return;
	}
	down_write(&dxg_mem.revoke_lock);
	xa_for_each(&proc->views, index, view) {
		if (view->revoking) {
			view->revoking = false;
			view->map->live = true;
		}
	}
	up_write(&dxg_mem.revoke_lock);
}

/**
 * dxg_mem_purge_locked() - drop every view of the process
 * @proc: the process, its lock held (or its last reference, at teardown)
 * @unmap: called in the process: also unmap the VMAs
 *
 * For a new host process (the old one died with its connection) and for teardown: the process's
 * pages are revoked and zapped before the host may reuse them (DESTROY_PROCESS follows at
 * teardown).
 */
void dxg_mem_purge_locked(struct dxg_process *proc, bool unmap)
{
	dxg_mem_revoke_locked(proc, DXG_REVOKE_ALL, NULL, 0);
	dxg_mem_revoke_finish_locked(proc, true, unmap);
}
