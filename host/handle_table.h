/* SPDX-License-Identifier: MIT */
/*
 * The per-VM handle table of a dxgd worker: every object a guest can name (adapters, processes,
 * devices, contexts, ...) gets a handle in the WSL format (include/opendxg/handle.h) from here.
 *
 * One table per VM, so handles are unique within the VM and a handle of another process or of a
 * destroyed object fails every lookup deterministically. Freed slots go to the tail of a FIFO free
 * list and the table grows while fewer than HANDLE_TABLE_KEEP_FREE slots are free, so a freed
 * handle value is not reissued soon (a stale handle keeps failing instead of naming a new object);
 * the 2-bit uniqueness counter alone would repeat after three reuses.
 *
 * Not thread-safe: a worker serves its VM from one thread.
 */
#ifndef DXGD_HANDLE_TABLE_H
#define DXGD_HANDLE_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#define HANDLE_TABLE_CHUNK 1024u
#define HANDLE_TABLE_KEEP_FREE 128u
/* Default hard cap on live handles per VM. */
#define HANDLE_TABLE_DEFAULT_MAX_LIVE (1u << 20)

struct handle_entry;

struct handle_table {
	struct handle_entry *entries;
	uint32_t capacity;	/* entries allocated, index 0 included (never issued) */
	uint32_t capacity_limit;	/* capacity never grows beyond this */
	uint32_t max_live;
	uint32_t live;
	uint32_t free_count;
	uint32_t free_head;	/* 0 = empty list (index 0 is never on it) */
	uint32_t free_tail;
};

/*
 * max_live: hard cap on live handles (1..DXG_HANDLE_INDEX_MAX); the table may hold up to
 * HANDLE_TABLE_KEEP_FREE more slots than that, rounded up to a chunk, to delay reuse.
 */
void handle_table_init(struct handle_table *t, uint32_t max_live);
/*
 * Same with an explicit cap on slots (index 0 included, rounded down to what the handle format
 * can index), for tests that need a table whose free list runs empty.
 */
void handle_table_init_sized(struct handle_table *t, uint32_t max_live, uint32_t max_slots);
/* Frees the table's memory; the objects it points to belong to the caller. */
void handle_table_fini(struct handle_table *t);

/*
 * Issues a handle for `object` of `type` owned by `owner` (a process handle, or 0 for VM-scoped
 * objects). Returns the handle (never 0) in *handle and 0, or -ENOMEM when the live cap is
 * reached or memory runs out. `type` must not be DXG_HTYPE_FREE and `object` must not be NULL.
 */
int handle_table_alloc(struct handle_table *t, uint8_t type, uint32_t owner, void *object,
		       uint32_t *handle);

/*
 * Returns the object of a live handle whose instance bits are 0, index in range, uniqueness
 * counter current, type equal to `type` and owner equal to `owner`; NULL for anything else.
 */
void *handle_table_lookup(const struct handle_table *t, uint32_t handle, uint8_t type,
			  uint32_t owner);

/*
 * Makes later lookups of a live handle fail while its object is being torn down; the slot stays
 * allocated until handle_table_free(). Returns false for a handle that is not live.
 */
bool handle_table_mark_destroyed(struct handle_table *t, uint32_t handle);

/*
 * Frees a live handle (destroyed or not): its uniqueness counter advances and the slot goes to the
 * tail of the free list. Returns false (and changes nothing) for a handle that is not live.
 */
bool handle_table_free(struct handle_table *t, uint32_t handle);

static inline uint32_t handle_table_live(const struct handle_table *t)
{
	return t->live;
}

#endif /* DXGD_HANDLE_TABLE_H */
