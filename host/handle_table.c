// SPDX-License-Identifier: MIT
#include "handle_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <opendxg/handle.h>

struct handle_entry {
	void *object;
	uint32_t owner;		/* process handle, 0 for VM-scoped objects */
	uint32_t next_free;	/* free list link, 0 = end */
	uint8_t type;		/* DXG_HTYPE_*, DXG_HTYPE_FREE for a free slot */
	uint8_t unique;		/* 1..DXG_HANDLE_UNIQUE_MAX */
	bool destroyed;
};

static uint32_t round_up_chunk(uint64_t n)
{
	return (uint32_t)((n + HANDLE_TABLE_CHUNK - 1) / HANDLE_TABLE_CHUNK * HANDLE_TABLE_CHUNK);
}

void handle_table_init_sized(struct handle_table *t, uint32_t max_live, uint32_t max_slots)
{
	memset(t, 0, sizeof(*t));
	if (max_slots > DXG_HANDLE_INDEX_MAX + 1)
		max_slots = DXG_HANDLE_INDEX_MAX + 1;
	if (max_slots < 2)
		max_slots = 2;
	/* Slot 0 is never issued, so at most max_slots - 1 handles can be live. */
	if (max_live > max_slots - 1)
		max_live = max_slots - 1;
	if (max_live == 0)
		max_live = 1;
	t->max_live = max_live;
	t->capacity_limit = max_slots;
}

void handle_table_init(struct handle_table *t, uint32_t max_live)
{
	uint64_t slots;

	if (max_live > DXG_HANDLE_INDEX_MAX)
		max_live = DXG_HANDLE_INDEX_MAX;
	/* Room for the live handles plus the slots that age on the free list (+1: slot 0). */
	slots = round_up_chunk((uint64_t)max_live + HANDLE_TABLE_KEEP_FREE + 1);
	if (slots > (uint64_t)DXG_HANDLE_INDEX_MAX + 1)
		slots = (uint64_t)DXG_HANDLE_INDEX_MAX + 1;
	handle_table_init_sized(t, max_live, (uint32_t)slots);
}

void handle_table_fini(struct handle_table *t)
{
	free(t->entries);
	memset(t, 0, sizeof(*t));
}

static void free_list_append(struct handle_table *t, uint32_t index)
{
	t->entries[index].next_free = 0;
	/* An empty list has no tail to link from (the WSL#12476 crash): start a new list instead. */
	if (t->free_count == 0)
		t->free_head = index;
	else
		t->entries[t->free_tail].next_free = index;
	t->free_tail = index;
	t->free_count++;
}

static bool grow(struct handle_table *t)
{
	uint32_t old = t->capacity;
	uint32_t new_cap;
	struct handle_entry *entries;

	if (old >= t->capacity_limit)
		return false;
	new_cap = old + HANDLE_TABLE_CHUNK;
	if (new_cap > t->capacity_limit)
		new_cap = t->capacity_limit;
	entries = realloc(t->entries, (size_t)new_cap * sizeof(*entries));
	if (!entries)
		return false;
	memset(entries + old, 0, (size_t)(new_cap - old) * sizeof(*entries));
	t->entries = entries;
	t->capacity = new_cap;
	for (uint32_t i = old ? old : 1; i < new_cap; i++) {
		entries[i].unique = 1;
		free_list_append(t, i);
	}
	return true;
}

int handle_table_alloc(struct handle_table *t, uint8_t type, uint32_t owner, void *object,
		       uint32_t *handle)
{
	struct handle_entry *e;
	uint32_t index;

	if (type == DXG_HTYPE_FREE || !object || t->live >= t->max_live)
		return -ENOMEM;
	/*
	 * Reuse a freed slot only while enough others are free: the freed slots age in FIFO order,
	 * so a stale handle keeps failing for at least HANDLE_TABLE_KEEP_FREE allocations.
	 */
	if (t->free_count < HANDLE_TABLE_KEEP_FREE)
		grow(t);	/* best effort: at the limit, reuse sooner rather than fail */
	if (t->free_count == 0)
		return -ENOMEM;

	index = t->free_head;
	e = &t->entries[index];
	t->free_head = e->next_free;
	t->free_count--;
	if (t->free_count == 0)
		t->free_tail = 0;

	e->object = object;
	e->owner = owner;
	e->type = type;
	e->destroyed = false;
	e->next_free = 0;
	t->live++;
	*handle = dxg_handle_make(index, e->unique);
	return 0;
}

static struct handle_entry *live_entry(const struct handle_table *t, uint32_t handle)
{
	uint32_t index = dxg_handle_index(handle);
	struct handle_entry *e;

	if (dxg_handle_instance(handle) != 0 || index == 0 || index >= t->capacity)
		return NULL;
	e = &t->entries[index];
	if (e->type == DXG_HTYPE_FREE || e->unique != dxg_handle_unique(handle))
		return NULL;
	return e;
}

void *handle_table_lookup(const struct handle_table *t, uint32_t handle, uint8_t type,
			  uint32_t owner)
{
	struct handle_entry *e = live_entry(t, handle);

	if (!e || e->destroyed || e->type != type || e->owner != owner)
		return NULL;
	return e->object;
}

bool handle_table_mark_destroyed(struct handle_table *t, uint32_t handle)
{
	struct handle_entry *e = live_entry(t, handle);

	if (!e)
		return false;
	e->destroyed = true;
	return true;
}

bool handle_table_free(struct handle_table *t, uint32_t handle)
{
	struct handle_entry *e = live_entry(t, handle);

	if (!e)
		return false;
	e->object = NULL;
	e->owner = 0;
	e->type = DXG_HTYPE_FREE;
	e->destroyed = false;
	/* 1 -> 2 -> 3 -> 1: the value with unique 0 is never issued. */
	e->unique = (uint8_t)(e->unique % DXG_HANDLE_UNIQUE_MAX + 1);
	t->live--;
	free_list_append(t, dxg_handle_index(handle));
	return true;
}
