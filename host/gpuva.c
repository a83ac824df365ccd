// SPDX-License-Identifier: MIT
/*
 * One GPU VA space as two sorted arrays (reservations by base, mappings by address).
 *
 * Arrays rather than trees because the entry limit keeps them short, a lookup is a binary
 * search, and a clone for an all-or-nothing UPDATE batch is two memcpy calls. An edit is a
 * memmove, O(n) in the worst case, which is the same order as the clone every batch pays anyway.
 *
 * Every mutation first computes what it will need (entries, capacity, scratch memory), fails
 * with nothing touched when it cannot have it, and only then edits: that is how a failed
 * operation changes nothing.
 *
 * Ranges are checked without ever computing base + size of an unchecked pair, so a size that
 * would wrap is simply a range that does not fit.
 */
#include "gpuva.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <misc/d3dkmthk.h>

#define GPUVA_PROTECTION_MASK \
	(D3DDDIGPUVA_PROTECTION_WRITE | D3DDDIGPUVA_PROTECTION_EXECUTE | \
	 D3DDDIGPUVA_PROTECTION_ZERO | D3DDDIGPUVA_PROTECTION_NO_ACCESS | \
	 D3DDDIGPUVA_PROTECTION_SYSTEM_USE_ONLY)

/* Pages under these protections never show the allocation's bytes (see gpuva_translate). */
#define GPUVA_PROTECTION_HIDDEN (D3DDDIGPUVA_PROTECTION_ZERO | D3DDDIGPUVA_PROTECTION_NO_ACCESS)

struct gpuva_reservation {
	uint64_t base;
	uint64_t size;
	uint32_t type;			/* D3DDDIGPUVA_RESERVE_* */
};

struct gpuva_mapping {
	uint64_t va;
	uint64_t size;
	void *allocation;
	uint64_t allocation_size;
	uint64_t offset;		/* of va in the allocation */
	uint64_t protection;
};

struct gpuva_space {
	uint32_t max_entries;		/* reservations + mappings */
	uint32_t reservation_count;
	uint32_t reservation_capacity;
	uint32_t mapping_count;
	uint32_t mapping_capacity;
	struct gpuva_reservation *reservations;	/* sorted by base, disjoint */
	struct gpuva_mapping *mappings;		/* sorted by va, disjoint, in reservations */
};

static bool page_aligned(uint64_t v)
{
	return v % DXGW_GPUVA_PAGE == 0;
}

/* [base, base + size) inside [lo, hi), lo <= hi, without computing base + size. */
static bool range_inside(uint64_t base, uint64_t size, uint64_t lo, uint64_t hi)
{
	return base >= lo && size <= hi - lo && base - lo <= hi - lo - size;
}

/* A non-empty, page-aligned range of the usable space. */
static bool range_valid(uint64_t base, uint64_t size)
{
	return size && page_aligned(base) && page_aligned(size) &&
	       range_inside(base, size, DXGW_GPUVA_MIN, DXGW_GPUVA_LIMIT);
}

static uint64_t reservation_end(const struct gpuva_reservation *r)
{
	return r->base + r->size;
}

static uint64_t mapping_end(const struct gpuva_mapping *m)
{
	return m->va + m->size;
}

/* Index of the first reservation that ends after va (the count when none does). */
static uint32_t reservation_ending_after(const struct gpuva_space *s, uint64_t va)
{
	uint32_t lo = 0, hi = s->reservation_count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (reservation_end(&s->reservations[mid]) > va)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Index of the first mapping that ends after va (the count when none does). */
static uint32_t mapping_ending_after(const struct gpuva_space *s, uint64_t va)
{
	uint32_t lo = 0, hi = s->mapping_count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (mapping_end(&s->mappings[mid]) > va)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Index of the first mapping that starts at or after va. */
static uint32_t mapping_starting_from(const struct gpuva_space *s, uint64_t va)
{
	uint32_t lo = 0, hi = s->mapping_count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (s->mappings[mid].va >= va)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* True when [va, va + size) is a valid range inside one reservation. */
static bool inside_one_reservation(const struct gpuva_space *s, uint64_t va, uint64_t size)
{
	const struct gpuva_reservation *r;
	uint32_t i;

	if (!range_valid(va, size))
		return false;
	i = reservation_ending_after(s, va);
	if (i >= s->reservation_count)
		return false;
	r = &s->reservations[i];
	return range_inside(va, size, r->base, reservation_end(r));
}

static uint64_t entries_used(const struct gpuva_space *s)
{
	return (uint64_t)s->reservation_count + s->mapping_count;
}

/*
 * Makes room for `needed` elements. Growth doubles (amortised O(1) appends) but never past the
 * entry limit, which no array can outgrow. realloc keeps the old block on failure, so -ENOMEM
 * leaves the array as it was.
 */
static int reserve_capacity(void **array, uint32_t *capacity, uint64_t needed, size_t elem,
			    uint32_t max_entries)
{
	uint64_t cap = *capacity ? 2ull * *capacity : 16;
	void *grown;

	if (needed <= *capacity)
		return 0;
	if (cap > max_entries)
		cap = max_entries;
	if (cap < needed)
		cap = needed;
	grown = realloc(*array, cap * elem);
	if (!grown)
		return -ENOMEM;
	*array = grown;
	*capacity = (uint32_t)cap;
	return 0;
}

/*
 * The one primitive behind map, unmap, copy and free: the mappings over [lo, hi) become
 * exactly `pieces` (sorted, disjoint, inside [lo, hi), not aliasing the space). A mapping that
 * straddles lo keeps its part below lo, one that straddles hi its part from hi on (one mapping
 * straddling both is split in two). -ENOMEM, with nothing changed, when the result would pass
 * the entry limit or the array cannot grow.
 */
static int replace_mappings(struct gpuva_space *s, uint64_t lo, uint64_t hi,
			    const struct gpuva_mapping *pieces, uint32_t piece_count)
{
	/* lo < hi, so a mapping starting at or past hi also ends past lo: first <= end. */
	uint32_t first = mapping_ending_after(s, lo);
	uint32_t end = mapping_starting_from(s, hi);
	struct gpuva_mapping left, right;
	bool keep_left, keep_right;
	uint32_t middle, at;
	uint64_t new_count;
	int ret;

	keep_left = first < end && s->mappings[first].va < lo;
	keep_right = first < end && mapping_end(&s->mappings[end - 1]) > hi;
	middle = keep_left + piece_count + keep_right;
	new_count = (uint64_t)s->mapping_count - (end - first) + middle;
	if (s->reservation_count + new_count > s->max_entries)
		return -ENOMEM;
	ret = reserve_capacity((void **)&s->mappings, &s->mapping_capacity, new_count,
			       sizeof(*s->mappings), s->max_entries);
	if (ret)
		return ret;

	/* Copies first: the memmove below may overwrite the originals. */
	if (keep_left) {
		left = s->mappings[first];
		left.size = lo - left.va;
	}
	if (keep_right) {
		uint64_t cut;

		right = s->mappings[end - 1];
		cut = hi - right.va;
		right.va = hi;
		right.size -= cut;
		right.offset += cut;
	}
	/* The array is still NULL when nothing was ever mapped: no pointer arithmetic on it. */
	if (s->mapping_count > end)
		memmove(&s->mappings[first + middle], &s->mappings[end],
			(s->mapping_count - end) * sizeof(*s->mappings));
	at = first;
	if (keep_left)
		s->mappings[at++] = left;
	if (piece_count)
		memcpy(&s->mappings[at], pieces, piece_count * sizeof(*pieces));
	at += piece_count;
	if (keep_right)
		s->mappings[at] = right;
	s->mapping_count = (uint32_t)new_count;
	return 0;
}

struct gpuva_space *gpuva_space_create(uint32_t max_entries)
{
	struct gpuva_space *s = calloc(1, sizeof(*s));

	if (s)
		s->max_entries = max_entries;
	return s;
}

void gpuva_space_destroy(struct gpuva_space *s)
{
	if (!s)
		return;
	free(s->reservations);
	free(s->mappings);
	free(s);
}

/* Allocates exactly the used lengths: a clone is usually short-lived (one UPDATE batch). */
static void *dup_array(const void *array, uint32_t count, size_t elem, bool *failed)
{
	void *copy;

	if (!count)
		return NULL;
	copy = malloc(count * elem);
	if (!copy)
		*failed = true;
	else
		memcpy(copy, array, count * elem);
	return copy;
}

struct gpuva_space *gpuva_space_clone(const struct gpuva_space *s)
{
	struct gpuva_space *c = calloc(1, sizeof(*c));
	bool failed = false;

	if (!c)
		return NULL;
	c->max_entries = s->max_entries;
	c->reservations = dup_array(s->reservations, s->reservation_count,
				    sizeof(*s->reservations), &failed);
	c->mappings = dup_array(s->mappings, s->mapping_count, sizeof(*s->mappings), &failed);
	if (failed) {
		gpuva_space_destroy(c);
		return NULL;
	}
	c->reservation_count = c->reservation_capacity = s->reservation_count;
	c->mapping_count = c->mapping_capacity = s->mapping_count;
	return c;
}

void gpuva_space_swap(struct gpuva_space *a, struct gpuva_space *b)
{
	struct gpuva_space t = *a;

	*a = *b;
	*b = t;
}

/* The lowest range of `size` bytes in [lo, hi) that no reservation touches, and its index. */
static bool find_hole(const struct gpuva_space *s, uint64_t lo, uint64_t hi, uint64_t size,
		      uint64_t *base, uint32_t *index)
{
	uint64_t cursor = lo;
	uint32_t i;

	for (i = reservation_ending_after(s, lo); ; i++) {
		const struct gpuva_reservation *r = i < s->reservation_count ?
						    &s->reservations[i] : NULL;
		uint64_t hole_end = r && r->base < hi ? r->base : hi;

		if (hole_end > cursor && hole_end - cursor >= size) {
			*base = cursor;
			*index = i;
			return true;
		}
		if (!r || r->base >= hi)
			return false;
		if (reservation_end(r) > cursor)
			cursor = reservation_end(r);
	}
}

int gpuva_reserve(struct gpuva_space *s, uint64_t base, uint64_t minimum, uint64_t maximum,
		  uint64_t size, uint32_t reservation_type, uint64_t *va)
{
	uint64_t lo = minimum > DXGW_GPUVA_MIN ? minimum : DXGW_GPUVA_MIN;
	uint64_t hi = maximum && maximum < DXGW_GPUVA_LIMIT ? maximum : DXGW_GPUVA_LIMIT;
	uint32_t index;
	int ret;

	if (reservation_type > D3DDDIGPUVA_RESERVE_NO_COMMIT)
		return -EINVAL;
	if (!size || !page_aligned(size) || !page_aligned(base) || !page_aligned(minimum) ||
	    !page_aligned(maximum) || lo >= hi || size > hi - lo)
		return -EINVAL;
	if (base) {
		if (!range_inside(base, size, lo, hi))
			return -EINVAL;
		index = reservation_ending_after(s, base);
		if (index < s->reservation_count && s->reservations[index].base < base + size)
			return -EINVAL;
	} else if (!find_hole(s, lo, hi, size, &base, &index)) {
		return -ENOMEM;
	}
	if (entries_used(s) >= s->max_entries)
		return -ENOMEM;
	ret = reserve_capacity((void **)&s->reservations, &s->reservation_capacity,
			       (uint64_t)s->reservation_count + 1, sizeof(*s->reservations),
			       s->max_entries);
	if (ret)
		return ret;

	memmove(&s->reservations[index + 1], &s->reservations[index],
		(s->reservation_count - index) * sizeof(*s->reservations));
	s->reservations[index] = (struct gpuva_reservation){
		.base = base, .size = size, .type = reservation_type,
	};
	s->reservation_count++;
	if (va)
		*va = base;
	return 0;
}

int gpuva_free(struct gpuva_space *s, uint64_t base, uint64_t size)
{
	uint32_t i = reservation_ending_after(s, base);
	int ret;

	if (i >= s->reservation_count || s->reservations[i].base != base ||
	    s->reservations[i].size != size)
		return -EINVAL;
	/* Cannot fail: mappings never straddle a reservation's edge, so none is cut. */
	ret = replace_mappings(s, base, base + size, NULL, 0);
	if (ret)
		return ret;
	memmove(&s->reservations[i], &s->reservations[i + 1],
		(s->reservation_count - i - 1) * sizeof(*s->reservations));
	s->reservation_count--;
	return 0;
}

static bool target_valid(const struct gpuva_target *t, uint64_t size)
{
	return t && t->allocation && page_aligned(t->offset) &&
	       !(t->protection & ~GPUVA_PROTECTION_MASK) &&
	       range_inside(t->offset, size, 0, t->allocation_size);
}

int gpuva_map(struct gpuva_space *s, uint64_t va, uint64_t size, const struct gpuva_target *t)
{
	struct gpuva_mapping m;

	if (!target_valid(t, size) || !inside_one_reservation(s, va, size))
		return -EINVAL;
	m = (struct gpuva_mapping){
		.va = va,
		.size = size,
		.allocation = t->allocation,
		.allocation_size = t->allocation_size,
		.offset = t->offset,
		.protection = t->protection,
	};
	return replace_mappings(s, va, va + size, &m, 1);
}

int gpuva_map_new(struct gpuva_space *s, uint64_t minimum, uint64_t maximum, uint64_t size,
		  const struct gpuva_target *t, uint64_t *va)
{
	uint64_t base;
	int ret;

	/* Everything map could refuse is checked first, so no reservation is made in vain. */
	if (!target_valid(t, size))
		return -EINVAL;
	ret = gpuva_reserve(s, 0, minimum, maximum, size, D3DDDIGPUVA_RESERVE_NO_ACCESS, &base);
	if (ret)
		return ret;
	ret = gpuva_map(s, base, size, t);
	if (ret) {
		/* Only -ENOMEM (entry limit or memory) gets here; the free cannot fail. */
		gpuva_free(s, base, size);
		return ret;
	}
	if (va)
		*va = base;
	return 0;
}

int gpuva_unmap(struct gpuva_space *s, uint64_t va, uint64_t size)
{
	if (!inside_one_reservation(s, va, size))
		return -EINVAL;
	return replace_mappings(s, va, va + size, NULL, 0);
}

int gpuva_copy(struct gpuva_space *s, uint64_t src, uint64_t dst, uint64_t size)
{
	uint32_t first, end, count, i;
	struct gpuva_mapping *pieces = NULL;
	int ret;

	if (!inside_one_reservation(s, src, size) || !inside_one_reservation(s, dst, size))
		return -EINVAL;
	first = mapping_ending_after(s, src);
	end = mapping_starting_from(s, src + size);
	count = end > first ? end - first : 0;
	/* The source is read into scratch memory first, so an overlapping destination is safe. */
	if (count) {
		pieces = malloc(count * sizeof(*pieces));
		if (!pieces)
			return -ENOMEM;
	}
	for (i = 0; i < count; i++) {
		struct gpuva_mapping m = s->mappings[first + i];
		uint64_t lo = m.va > src ? m.va : src;
		uint64_t hi = mapping_end(&m) < src + size ? mapping_end(&m) : src + size;

		m.offset += lo - m.va;
		m.va = lo - src + dst;
		m.size = hi - lo;
		pieces[i] = m;
	}
	ret = replace_mappings(s, dst, dst + size, pieces, count);
	free(pieces);
	return ret;
}

void gpuva_unmap_allocation(struct gpuva_space *s, const void *allocation)
{
	uint32_t kept = 0;

	for (uint32_t i = 0; i < s->mapping_count; i++) {
		if (s->mappings[i].allocation != allocation)
			s->mappings[kept++] = s->mappings[i];
	}
	s->mapping_count = kept;
}

int gpuva_translate(const struct gpuva_space *s, uint64_t va, uint64_t len, bool write,
		    void **allocation, uint64_t *offset)
{
	uint32_t i = mapping_ending_after(s, va);
	const struct gpuva_mapping *m;

	if (!len || i >= s->mapping_count)
		return -EFAULT;
	m = &s->mappings[i];
	if (!range_inside(va, len, m->va, mapping_end(m)))
		return -EFAULT;
	if ((m->protection & GPUVA_PROTECTION_HIDDEN) ||
	    (write && !(m->protection & D3DDDIGPUVA_PROTECTION_WRITE)))
		return -EACCES;
	if (allocation)
		*allocation = m->allocation;
	if (offset)
		*offset = m->offset + (va - m->va);
	return 0;
}

uint32_t gpuva_reservation_count(const struct gpuva_space *s)
{
	return s->reservation_count;
}

uint32_t gpuva_mapping_count(const struct gpuva_space *s)
{
	return s->mapping_count;
}

bool gpuva_check(const struct gpuva_space *s)
{
	uint32_t r = 0;

	if (entries_used(s) > s->max_entries || s->reservation_count > s->reservation_capacity ||
	    s->mapping_count > s->mapping_capacity)
		return false;
	if ((s->reservation_count && !s->reservations) || (s->mapping_count && !s->mappings))
		return false;
	for (uint32_t i = 0; i < s->reservation_count; i++) {
		const struct gpuva_reservation *res = &s->reservations[i];

		if (!range_valid(res->base, res->size) ||
		    res->type > D3DDDIGPUVA_RESERVE_NO_COMMIT)
			return false;
		if (i && reservation_end(&s->reservations[i - 1]) > res->base)
			return false;
	}
	for (uint32_t i = 0; i < s->mapping_count; i++) {
		const struct gpuva_mapping *m = &s->mappings[i];

		if (!range_valid(m->va, m->size) || !m->allocation || !page_aligned(m->offset) ||
		    !range_inside(m->offset, m->size, 0, m->allocation_size) ||
		    (m->protection & ~GPUVA_PROTECTION_MASK))
			return false;
		if (i && mapping_end(&s->mappings[i - 1]) > m->va)
			return false;
		/* Both arrays are sorted, so the owning reservation only moves forward. */
		while (r < s->reservation_count && reservation_end(&s->reservations[r]) <= m->va)
			r++;
		if (r >= s->reservation_count ||
		    !range_inside(m->va, m->size, s->reservations[r].base,
				  reservation_end(&s->reservations[r])))
			return false;
	}
	return true;
}
