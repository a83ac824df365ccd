/* SPDX-License-Identifier: MIT */
/*
 * One GPU virtual address space (WDDM 2.0 model): a worker keeps one per (process, adapter).
 *
 * The space holds reservations (disjoint ranges inside [DXGW_GPUVA_MIN, DXGW_GPUVA_LIMIT)) and,
 * inside each reservation, mappings of allocation pages. Every address and size is a multiple
 * of DXGW_GPUVA_PAGE. The space knows allocations only as opaque pointers plus their size, so
 * it is usable (and testable) without the object model.
 *
 * Rules:
 * - reserve: base != 0 places the range exactly (it must not overlap any reservation and must
 *   lie in [max(minimum, DXGW_GPUVA_MIN), maximum or DXGW_GPUVA_LIMIT)); base == 0 picks the
 *   lowest free range of that window. Misaligned, zero or out-of-window sizes: -EINVAL; no room
 *   or the space's entry limit reached: -ENOMEM.
 *   Details: minimum and maximum must be page aligned too; a maximum past DXGW_GPUVA_LIMIT is
 *   clamped to it; an empty window, an overlapping exact base and an unknown reservation type
 *   are -EINVAL.
 * - map: [va, va + size) must lie inside one reservation; mappings already there are replaced
 *   (partially overlapped ones are trimmed or split), as WDDM remaps. The allocation range
 *   [offset, offset + size) must lie inside the allocation: -EINVAL otherwise. The allocation
 *   must not be NULL and the protection must hold only D3DDDIGPUVA_PROTECTION_* bits (-EINVAL).
 * - map_new: reserve (base 0, type D3DDDIGPUVA_RESERVE_NO_ACCESS) then map the whole new range;
 *   the implicit reservation is freed like any other. On failure neither step remains.
 * - unmap: every mapping page in [va, va + size) is removed; the range must lie inside one
 *   reservation.
 * - free: [base, base + size) must be exactly one reservation; its mappings go with it.
 * - copy: [src, src + size) and [dst, dst + size) must each lie inside one reservation. dst
 *   becomes an image of src: mapped pages map the same allocation pages with the same
 *   protection, holes become holes. Overlapping ranges work as if src were read first.
 * - translate: [va, va + len) must lie inside one mapping, with write access when asked for.
 * An operation that fails changes nothing.
 *
 * Entries: every reservation and every mapping is one entry, and max_entries bounds their sum.
 * Mappings are never merged, so a map adds one entry, and trimming or splitting the mappings it
 * replaces (or that unmap or copy cut) can add one more; whatever would pass the limit is -ENOMEM.
 *
 * Reservation types describe the pages that hold no mapping (NO_ACCESS: they fault; ZERO: they
 * read as zero; NO_COMMIT: the driver's business). They do not restrict mappings placed in the
 * reservation later: a mapped page obeys its mapping's protection only, so translate succeeds in
 * a NO_ACCESS reservation once the page is mapped. translate reports every unmapped page as
 * -EFAULT whatever the type; making a ZERO reservation's holes read as zero is up to the caller.
 */
#ifndef DXGD_GPUVA_H
#define DXGD_GPUVA_H

#include <stdbool.h>
#include <stdint.h>

#include <opendxg/wire.h>

struct gpuva_space;

/* max_entries bounds reservations plus mappings (see Entries). NULL: out of memory. */
struct gpuva_space *gpuva_space_create(uint32_t max_entries);
void gpuva_space_destroy(struct gpuva_space *s);
/*
 * A deep copy, for all-or-nothing batches: apply the batch to the clone, swap it in on success,
 * destroy whichever holds the loser. NULL: no memory. swap exchanges everything, the entry
 * limit included.
 */
struct gpuva_space *gpuva_space_clone(const struct gpuva_space *s);
void gpuva_space_swap(struct gpuva_space *a, struct gpuva_space *b);

int gpuva_reserve(struct gpuva_space *s, uint64_t base, uint64_t minimum, uint64_t maximum,
		  uint64_t size, uint32_t reservation_type, uint64_t *va);
int gpuva_free(struct gpuva_space *s, uint64_t base, uint64_t size);

struct gpuva_target {
	void *allocation;		/* opaque to the space */
	uint64_t allocation_size;	/* bytes */
	uint64_t offset;		/* into the allocation, page aligned */
	uint64_t protection;		/* D3DDDIGPUVA_PROTECTION_* */
};

int gpuva_map(struct gpuva_space *s, uint64_t va, uint64_t size, const struct gpuva_target *t);
int gpuva_map_new(struct gpuva_space *s, uint64_t minimum, uint64_t maximum, uint64_t size,
		  const struct gpuva_target *t, uint64_t *va);
int gpuva_unmap(struct gpuva_space *s, uint64_t va, uint64_t size);
/* Copies the mappings of [src, src + size) to [dst, dst + size) (UPDATE_GPU_VA COPY). */
int gpuva_copy(struct gpuva_space *s, uint64_t src, uint64_t dst, uint64_t size);

/* Removes every mapping of `allocation` (it is being destroyed); reservations stay. */
void gpuva_unmap_allocation(struct gpuva_space *s, const void *allocation);

/*
 * GPU VA -> (allocation, byte offset). -EFAULT when [va, va + len) is not inside one mapping
 * (len 0 or overflowing included), -EACCES when the mapping has D3DDDIGPUVA_PROTECTION_NO_ACCESS
 * or _ZERO (its pages do not show the allocation's bytes, for reads either), or when `write`
 * and the mapping lacks D3DDDIGPUVA_PROTECTION_WRITE. allocation and offset may be NULL.
 */
int gpuva_translate(const struct gpuva_space *s, uint64_t va, uint64_t len, bool write,
		    void **allocation, uint64_t *offset);

uint32_t gpuva_reservation_count(const struct gpuva_space *s);
uint32_t gpuva_mapping_count(const struct gpuva_space *s);
/* Invariants: sorted, disjoint, aligned, mappings inside their reservation. For tests. */
bool gpuva_check(const struct gpuva_space *s);

#endif /* DXGD_GPUVA_H */
