// SPDX-License-Identifier: MIT
#include "worker_status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "memory.h"
#include "vk_backend.h"

/* json_object_object_add takes ownership and tolerates NULL values; only the root can fail us. */
static void add_int(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

/* This VM's memory on one adapter; quota_bytes is null when unlimited. */
static struct json_object *memory_json(const struct dxg_vm *vm, uint32_t index)
{
	struct json_object *o = json_object_new_object();
	struct memory_stats m;

	if (!o)
		return NULL;
	memory_adapter_stats(vm, index, &m);
	add_int(o, "allocations", m.allocations);
	add_int(o, "resources", m.resources);
	add_int(o, "paging_queues", m.paging_queues);
	add_int(o, "gpu_va_ranges", m.gpu_va_ranges);
	add_int(o, "host_visible_bytes", (int64_t)m.bytes[MEM_CAT_HOST_VISIBLE]);
	add_int(o, "device_local_bytes", (int64_t)m.bytes[MEM_CAT_DEVICE_LOCAL]);
	add_int(o, "program_bytes", (int64_t)m.bytes[MEM_CAT_PROGRAM]);
	add_int(o, "evicted_bytes", (int64_t)m.bytes[MEM_CAT_EVICTED]);
	add_int(o, "claimed_bytes", (int64_t)m.claimed);
	if (m.quota_bytes == MEM_QUOTA_UNLIMITED)
		json_object_object_add(o, "quota_bytes", NULL);
	else
		add_int(o, "quota_bytes", (int64_t)m.quota_bytes);
	return o;
}

static struct json_object *heap_json(const struct dxg_vm *vm)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	add_int(o, "size", (int64_t)memory_heap_size(vm));
	add_int(o, "largest_free", (int64_t)memory_heap_largest_free(vm));
	return o;
}

static struct json_object *adapters_json(const struct dxg_vm *vm)
{
	struct json_object *list = json_object_new_array();

	for (uint32_t i = 0; list && i < vm->adapter_count; i++) {
		const struct dxg_adapter *a = &vm->adapters[i];
		struct json_object *o = json_object_new_object();
		char luid[32];

		if (!o)
			continue;
		snprintf(luid, sizeof(luid), "0x%08x:0x%08x", a->vk->luid_high, a->vk->luid_low);
		add_int(o, "handle", a->handle);
		json_object_object_add(o, "luid", json_object_new_string(luid));
		json_object_object_add(o, "name", json_object_new_string(a->vk->name));
		add_int(o, "vendor_id", a->vk->vendor_id);
		add_int(o, "device_id", a->vk->device_id);
		json_object_object_add(o, "device_type",
				       json_object_new_string(vk_device_type_name(a->vk->device_type)));
		add_int(o, "device_local_bytes", (int64_t)a->vk->device_local_bytes);
		json_object_object_add(o, "memory", memory_json(vm, i));
		json_object_array_add(list, o);
	}
	return list;
}

static struct json_object *processes_json(const struct dxg_vm *vm)
{
	struct json_object *list = json_object_new_array();

	for (const struct obj_list *it = vm->processes.next; list && it != &vm->processes;
	     it = it->next) {
		const struct dxg_process *p = obj_container_of(it, const struct dxg_process, link);
		struct json_object *o = json_object_new_object();

		if (!o)
			continue;
		add_int(o, "handle", p->handle);
		add_int(o, "pid", p->pid);
		json_object_object_add(o, "name", json_object_new_string(p->name));
		add_int(o, "open_adapters", p->open_adapters);
		add_int(o, "devices", p->device_count);
		add_int(o, "contexts", p->context_count);
		json_object_array_add(list, o);
	}
	return list;
}

static struct json_object *counters_json(const struct dxg_vm *vm)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	add_int(o, "processes", vm->counters.processes);
	add_int(o, "open_adapters", vm->counters.open_adapters);
	add_int(o, "devices", vm->counters.devices);
	add_int(o, "contexts", vm->counters.contexts);
	add_int(o, "handles", handle_table_live(&vm->handles));
	add_int(o, "requests", (int64_t)vm->counters.requests);
	add_int(o, "rejected", (int64_t)vm->counters.rejected);
	add_int(o, "sync_objects", vm->counters.sync_objects);
	add_int(o, "hw_queues", vm->counters.hw_queues);
	add_int(o, "queued_items", vm->counters.queue_items);
	add_int(o, "queued_bytes", (int64_t)vm->counters.queued_bytes);
	add_int(o, "contexts_broken", (int64_t)vm->counters.contexts_broken);
	add_int(o, "jobs_submitted", (int64_t)vm->counters.jobs_submitted);
	add_int(o, "jobs_completed", (int64_t)vm->counters.jobs_completed);
	return o;
}

static char *render(const struct dxg_vm *vm, bool broken, bool with_processes, size_t *len)
{
	struct json_object *root = json_object_new_object();
	const char *text;
	char *copy = NULL;

	if (!root)
		return NULL;
	add_int(root, "generation", vm->generation);
	json_object_object_add(root, "broken", json_object_new_boolean(broken));
	json_object_object_add(root, "adapters", adapters_json(vm));
	if (with_processes) {
		json_object_object_add(root, "processes", processes_json(vm));
	} else {
		json_object_object_add(root, "processes", json_object_new_array());
		json_object_object_add(root, "processes_truncated", json_object_new_boolean(1));
	}
	json_object_object_add(root, "counters", counters_json(vm));
	json_object_object_add(root, "heap", heap_json(vm));
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	if (text) {
		*len = strlen(text);
		copy = strdup(text);
	}
	json_object_put(root);
	return copy;
}

char *worker_status_json(const struct dxg_vm *vm, bool broken, size_t max_len, size_t *len)
{
	char *text = render(vm, broken, true, len);

	if (text && *len > max_len) {
		free(text);
		text = render(vm, broken, false, len);
	}
	return text;
}
