// SPDX-License-Identifier: MIT
#include "objects.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <misc/d3dkmthk.h>
#include <opendxg/handle.h>

#include "exec.h"
#include "memory.h"
#include "share.h"
#include "sync.h"

void sanitize_name(char *name)
{
	for (; *name; name++) {
		unsigned char c = (unsigned char)*name;

		if (c < 0x20 || c > 0x7e)
			*name = '?';
	}
}

/*
 * Jobs run on whatever vk_device the memory device ops open: Vulkan execution needs Vulkan
 * devices, so a VM with other device ops executes only with execution ops of its own.
 */
static const struct exec_device_ops *exec_ops_for(const struct vm_memory_setup *setup)
{
	if (setup && setup->exec_ops)
		return setup->exec_ops;
	if (setup && setup->device_ops && setup->device_ops != &mem_vulkan_device_ops)
		return NULL;
	return &exec_vulkan_ops;
}

int vm_init(struct dxg_vm *vm, const struct vk_backend *vk, uint32_t generation,
	    const struct dxg_vm_limits *limits, const struct vm_memory_setup *mem_setup)
{
	memset(vm, 0, sizeof(*vm));
	vm->limits = *limits;
	vm->generation = generation;
	vm->heap_size = mem_setup && mem_setup->region ? mem_setup->heap_size : 0;
	obj_list_init(&vm->processes);
	handle_table_init(&vm->handles, limits->max_handles);
	for (uint32_t i = 0; i < vk->adapter_count && i < DXGW_MAX_ADAPTERS; i++) {
		struct dxg_adapter *a = &vm->adapters[i];

		a->index = i;
		a->vk = &vk->adapters[i];
		if (handle_table_alloc(&vm->handles, DXG_HTYPE_ADAPTER, 0, a, &a->handle)) {
			handle_table_fini(&vm->handles);
			return -ENOMEM;
		}
		vm->adapter_count++;
	}
	if (memory_vm_init(vm, vk, mem_setup)) {
		handle_table_fini(&vm->handles);
		return -ENOMEM;
	}
	if (exec_vm_init(vm, exec_ops_for(mem_setup))) {
		memory_vm_fini(vm);
		handle_table_fini(&vm->handles);
		return -ENOMEM;
	}
	if (share_vm_init(vm)) {
		exec_vm_fini(vm);
		memory_vm_fini(vm);
		handle_table_fini(&vm->handles);
		return -ENOMEM;
	}
	return 0;
}

void vm_fini(struct dxg_vm *vm)
{
	vm_destroy_all_processes(vm);
	share_vm_fini(vm);
	/* Jobs and programs are gone with the processes; vk_exec goes before its device. */
	exec_vm_fini(vm);
	memory_vm_fini(vm);
	handle_table_fini(&vm->handles);
	memset(vm, 0, sizeof(*vm));
}

struct dxg_adapter *vm_find_adapter(struct dxg_vm *vm, uint32_t handle)
{
	return handle_table_lookup(&vm->handles, handle, DXG_HTYPE_ADAPTER, 0);
}

struct dxg_process *vm_find_process(struct dxg_vm *vm, uint32_t handle)
{
	return handle_table_lookup(&vm->handles, handle, DXG_HTYPE_PROCESS, 0);
}

/*
 * The destroy_* helpers below tear down one object after its children; each releases its handle
 * last so that a lookup during teardown never finds a half-destroyed object.
 */
static void destroy_context(struct dxg_vm *vm, struct dxg_context *c)
{
	struct dxg_device *d = c->device;

	handle_table_mark_destroyed(&vm->handles, c->handle);
	/* Its jobs in flight finish first; queued work is dropped. */
	exec_context_destroy(vm, c);
	obj_list_del(&c->link);
	d->context_count--;
	d->process->context_count--;
	vm->counters.contexts--;
	handle_table_free(&vm->handles, c->handle);
	free(c);
}

static void destroy_device(struct dxg_vm *vm, struct dxg_device *d)
{
	handle_table_mark_destroyed(&vm->handles, d->handle);
	/*
	 * Contexts first: their queued work names the device's memory and sync objects, and their
	 * jobs in flight use its memory. Queue items hold references to sync objects, so the
	 * objects can go last whatever other queues still name them.
	 */
	while (!obj_list_empty(&d->contexts))
		destroy_context(vm, obj_container_of(d->contexts.next, struct dxg_context, link));
	memory_device_destroy(vm, d);
	sync_device_destroy(vm, d);
	obj_list_del(&d->link);
	d->process->device_count--;
	vm->counters.devices--;
	handle_table_free(&vm->handles, d->handle);
	free(d);
}

void vm_destroy_process(struct dxg_vm *vm, struct dxg_process *p)
{
	handle_table_mark_destroyed(&vm->handles, p->handle);
	while (!obj_list_empty(&p->devices))
		destroy_device(vm, obj_container_of(p->devices.next, struct dxg_device, link));
	memory_process_destroy(vm, p);
	vm->counters.open_adapters -= p->open_adapters;
	obj_list_del(&p->link);
	vm->counters.processes--;
	handle_table_free(&vm->handles, p->handle);
	free(p);
}

void vm_destroy_all_processes(struct dxg_vm *vm)
{
	while (!obj_list_empty(&vm->processes))
		vm_destroy_process(vm, obj_container_of(vm->processes.next, struct dxg_process, link));
	/* The descriptors holding the shares died with the guest driver that made them. */
	share_vm_reset(vm);
}

int vm_create_process(struct dxg_vm *vm, uint32_t pid, const char *name, uint32_t *handle)
{
	struct dxg_process *p;

	if (vm->counters.processes >= vm->limits.max_processes)
		return -ENOMEM;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pid = pid;
	snprintf(p->name, sizeof(p->name), "%s", name);
	sanitize_name(p->name);
	obj_list_init(&p->devices);
	if (handle_table_alloc(&vm->handles, DXG_HTYPE_PROCESS, 0, p, &p->handle)) {
		free(p);
		return -ENOMEM;
	}
	obj_list_add_tail(&vm->processes, &p->link);
	vm->counters.processes++;
	*handle = p->handle;
	return 0;
}

int process_open_adapter(struct dxg_vm *vm, struct dxg_process *p, uint32_t adapter)
{
	struct dxg_adapter *a = vm_find_adapter(vm, adapter);

	if (!a)
		return -EINVAL;
	if (p->adapter_refs[a->index] >= vm->limits.max_adapter_refs ||
	    vm->counters.open_adapters >= vm->limits.max_open_adapters)
		return -ENOMEM;
	p->adapter_refs[a->index]++;
	p->open_adapters++;
	vm->counters.open_adapters++;
	return 0;
}

int process_close_adapter(struct dxg_vm *vm, struct dxg_process *p, uint32_t adapter)
{
	struct dxg_adapter *a = process_find_open_adapter(vm, p, adapter);
	struct obj_list *it, *next;

	if (!a)
		return -EINVAL;
	p->adapter_refs[a->index]--;
	p->open_adapters--;
	vm->counters.open_adapters--;
	if (p->adapter_refs[a->index])
		return 0;
	/* The process can no longer name the adapter: its devices there are unreachable. */
	for (it = p->devices.next; it != &p->devices; it = next) {
		struct dxg_device *d = obj_container_of(it, struct dxg_device, link);

		next = it->next;
		if (d->adapter == a)
			destroy_device(vm, d);
	}
	memory_process_adapter_closed(vm, p, a->index);
	return 0;
}

struct dxg_adapter *process_find_open_adapter(struct dxg_vm *vm, struct dxg_process *p,
					      uint32_t adapter)
{
	struct dxg_adapter *a = vm_find_adapter(vm, adapter);

	if (!a || p->adapter_refs[a->index] == 0)
		return NULL;
	return a;
}

int process_create_device(struct dxg_vm *vm, struct dxg_process *p, uint32_t adapter,
			  uint32_t flags, uint32_t *handle)
{
	struct dxg_adapter *a = process_find_open_adapter(vm, p, adapter);
	struct dxg_device *d;

	if (!a)
		return -EINVAL;
	if (vm->counters.devices >= vm->limits.max_devices)
		return -ENOMEM;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->process = p;
	d->adapter = a;
	d->flags = flags;
	obj_list_init(&d->contexts);
	obj_list_init(&d->allocations);
	obj_list_init(&d->resources);
	obj_list_init(&d->paging_queues);
	obj_list_init(&d->sync_objects);
	d->execution_state = D3DKMT_DEVICEEXECUTION_ACTIVE;
	if (handle_table_alloc(&vm->handles, DXG_HTYPE_DEVICE, p->handle, d, &d->handle)) {
		free(d);
		return -ENOMEM;
	}
	obj_list_add_tail(&p->devices, &d->link);
	p->device_count++;
	vm->counters.devices++;
	*handle = d->handle;
	return 0;
}

int process_destroy_device(struct dxg_vm *vm, struct dxg_process *p, uint32_t device)
{
	struct dxg_device *d = handle_table_lookup(&vm->handles, device, DXG_HTYPE_DEVICE, p->handle);

	if (!d)
		return -EINVAL;
	destroy_device(vm, d);
	return 0;
}

int process_create_context(struct dxg_vm *vm, struct dxg_process *p,
			   const struct context_params *params, uint32_t *handle)
{
	struct dxg_device *d = handle_table_lookup(&vm->handles, params->device, DXG_HTYPE_DEVICE,
						   p->handle);
	struct dxg_context *c;

	if (!d)
		return -EINVAL;
	if (params->node_ordinal >= DXG_ADAPTER_NODES)
		return -EINVAL;
	/* 0 lets the host pick; otherwise only engines the node has. */
	if (params->engine_affinity & ~DXG_NODE_ENGINE_MASK)
		return -EINVAL;
	if (vm->counters.contexts >= vm->limits.max_contexts)
		return -ENOMEM;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->device = d;
	c->node_ordinal = params->node_ordinal;
	c->engine_affinity = params->engine_affinity;
	c->flags = params->flags;
	c->client_hint = params->client_hint;
	c->priv_size = params->priv_size;
	if (exec_context_create(vm, c)) {
		free(c);
		return -ENOMEM;
	}
	if (handle_table_alloc(&vm->handles, DXG_HTYPE_CONTEXT, p->handle, c, &c->handle)) {
		exec_context_destroy(vm, c);
		free(c);
		return -ENOMEM;
	}
	obj_list_add_tail(&d->contexts, &c->link);
	d->context_count++;
	p->context_count++;
	vm->counters.contexts++;
	*handle = c->handle;
	return 0;
}

int process_destroy_context(struct dxg_vm *vm, struct dxg_process *p, uint32_t context)
{
	struct dxg_context *c = handle_table_lookup(&vm->handles, context, DXG_HTYPE_CONTEXT,
						    p->handle);

	if (!c)
		return -EINVAL;
	destroy_context(vm, c);
	return 0;
}
