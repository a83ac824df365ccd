// SPDX-License-Identifier: MIT
/*
 * The shared heap's allocator.
 *
 * The extents (free and used) tile the heap exactly, so a doubly linked list in address order
 * gives every extent its neighbours in O(1): that is all coalescing needs. Two AVL trees answer
 * the other questions in O(log n): the free extents keyed by (size, offset) give the best fit
 * (and the largest free extent), the used extents keyed by offset let heap_free() prove that it
 * was handed exactly what heap_alloc() gave out. An extent is free or used, never both, so it
 * lives in exactly one tree and one set of tree links per extent suffices.
 */
#include "heap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct heap_extent {
	uint64_t offset;		/* region offset */
	uint64_t size;			/* bytes, page multiple, > 0 */
	struct heap_extent *prev;	/* address order; the extents tile the heap */
	struct heap_extent *next;
	struct heap_extent *left;	/* in free_by_size when free, used_by_offset when used */
	struct heap_extent *right;
	int height;			/* AVL height of the subtree, a leaf is 1 */
	bool used;
};

/*
 * Tree order. Free extents sort by size first so the leftmost extent of at least a given size
 * is the best fit, and by offset second so equal sizes have a strict, deterministic order.
 * Used extents do not overlap, so their offset alone is unique.
 */
static bool extent_before(const struct heap_extent *a, const struct heap_extent *b, bool by_size)
{
	if (by_size && a->size != b->size)
		return a->size < b->size;
	return a->offset < b->offset;
}

static int subtree_height(const struct heap_extent *e)
{
	return e ? e->height : 0;
}

static void update_height(struct heap_extent *e)
{
	int l = subtree_height(e->left), r = subtree_height(e->right);

	e->height = (l > r ? l : r) + 1;
}

static struct heap_extent *rotate_right(struct heap_extent *e)
{
	struct heap_extent *l = e->left;

	e->left = l->right;
	l->right = e;
	update_height(e);
	update_height(l);
	return l;
}

static struct heap_extent *rotate_left(struct heap_extent *e)
{
	struct heap_extent *r = e->right;

	e->right = r->left;
	r->left = e;
	update_height(e);
	update_height(r);
	return r;
}

/* Restores the AVL balance of a subtree whose children differ in height by at most 2. */
static struct heap_extent *rebalance(struct heap_extent *e)
{
	int balance = subtree_height(e->left) - subtree_height(e->right);

	if (balance > 1) {
		if (subtree_height(e->left->left) < subtree_height(e->left->right))
			e->left = rotate_left(e->left);
		return rotate_right(e);
	}
	if (balance < -1) {
		if (subtree_height(e->right->right) < subtree_height(e->right->left))
			e->right = rotate_right(e->right);
		return rotate_left(e);
	}
	update_height(e);
	return e;
}

/* Recursion depth is the AVL height, below 1.45 * log2(n + 2): at most 46 for 2^32 extents. */
static struct heap_extent *tree_insert(struct heap_extent *root, struct heap_extent *e,
				       bool by_size)
{
	if (!root) {
		e->left = NULL;
		e->right = NULL;
		e->height = 1;
		return e;
	}
	if (extent_before(e, root, by_size))
		root->left = tree_insert(root->left, e, by_size);
	else
		root->right = tree_insert(root->right, e, by_size);
	return rebalance(root);
}

static struct heap_extent *tree_remove_min(struct heap_extent *root, struct heap_extent **min)
{
	if (!root->left) {
		*min = root;
		return root->right;
	}
	root->left = tree_remove_min(root->left, min);
	return rebalance(root);
}

/* `e` must be in the tree: its key leads the descent straight to it. */
static struct heap_extent *tree_remove(struct heap_extent *root, struct heap_extent *e,
				       bool by_size)
{
	struct heap_extent *successor;

	if (root == e) {
		if (!e->left)
			return e->right;
		if (!e->right)
			return e->left;
		e->right = tree_remove_min(e->right, &successor);
		successor->left = e->left;
		successor->right = e->right;
		return rebalance(successor);
	}
	if (extent_before(e, root, by_size))
		root->left = tree_remove(root->left, e, by_size);
	else
		root->right = tree_remove(root->right, e, by_size);
	return rebalance(root);
}

static void remove_free(struct dxg_heap *h, struct heap_extent *e)
{
	h->free_by_size = tree_remove(h->free_by_size, e, true);
}

static void insert_free(struct dxg_heap *h, struct heap_extent *e)
{
	h->free_by_size = tree_insert(h->free_by_size, e, true);
}

static void remove_used(struct dxg_heap *h, struct heap_extent *e)
{
	h->used_by_offset = tree_remove(h->used_by_offset, e, false);
}

static void insert_used(struct dxg_heap *h, struct heap_extent *e)
{
	h->used_by_offset = tree_insert(h->used_by_offset, e, false);
}

static struct heap_extent *find_used(const struct dxg_heap *h, uint64_t offset)
{
	struct heap_extent *e = h->used_by_offset;

	while (e && e->offset != offset)
		e = offset < e->offset ? e->left : e->right;
	return e;
}

/* The leftmost free extent of at least `size` bytes: the smallest, lowest-addressed fit. */
static struct heap_extent *find_best_fit(const struct dxg_heap *h, uint64_t size)
{
	struct heap_extent *e = h->free_by_size, *best = NULL;

	while (e) {
		if (e->size >= size) {
			best = e;
			e = e->left;
		} else {
			e = e->right;
		}
	}
	return best;
}

static void unlink_extent(struct dxg_heap *h, struct heap_extent *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		h->first = e->next;
	if (e->next)
		e->next->prev = e->prev;
}

int heap_init(struct dxg_heap *h, uint64_t base, uint64_t size)
{
	struct heap_extent *all;

	memset(h, 0, sizeof(*h));
	if ((base | size) % HEAP_PAGE || size > UINT64_MAX - base ||
	    size / HEAP_PAGE > UINT32_MAX)
		return -EINVAL;
	if (size) {
		all = calloc(1, sizeof(*all));
		if (!all)
			return -ENOMEM;
		all->offset = base;
		all->size = size;
		h->first = all;
		insert_free(h, all);
		h->free_extents = 1;
	}
	h->base = base;
	h->size = size;
	h->free_bytes = size;
	return 0;
}

void heap_fini(struct dxg_heap *h)
{
	struct heap_extent *e = h->first, *next;

	while (e) {
		next = e->next;
		free(e);
		e = next;
	}
	memset(h, 0, sizeof(*h));
}

int heap_alloc(struct dxg_heap *h, uint64_t size, uint64_t *offset)
{
	struct heap_extent *fit, *carved;

	if (!size || size % HEAP_PAGE)
		return -EINVAL;
	fit = find_best_fit(h, size);
	if (!fit)
		return -ENOMEM;

	if (fit->size == size) {
		remove_free(h, fit);
		fit->used = true;
		insert_used(h, fit);
		h->free_extents--;
		carved = fit;
	} else {
		/* Allocate before touching anything: a failure must leave the heap as it was. */
		carved = calloc(1, sizeof(*carved));
		if (!carved)
			return -ENOMEM;
		/* The remainder's key changes, so it leaves the tree while it shrinks. */
		remove_free(h, fit);
		carved->offset = fit->offset;
		carved->size = size;
		carved->used = true;
		fit->offset += size;
		fit->size -= size;
		insert_free(h, fit);

		carved->prev = fit->prev;
		carved->next = fit;
		if (fit->prev)
			fit->prev->next = carved;
		else
			h->first = carved;
		fit->prev = carved;
		insert_used(h, carved);
	}
	h->used_extents++;
	h->free_bytes -= size;
	*offset = carved->offset;
	return 0;
}

int heap_free(struct dxg_heap *h, uint64_t offset, uint64_t size)
{
	struct heap_extent *e = find_used(h, offset), *prev, *next;

	if (!e || e->size != size)
		return -EINVAL;

	remove_used(h, e);
	e->used = false;
	h->used_extents--;
	h->free_bytes += size;
	h->free_extents++;

	prev = e->prev;
	if (prev && !prev->used) {
		remove_free(h, prev);
		prev->size += e->size;
		unlink_extent(h, e);
		free(e);
		e = prev;
		h->free_extents--;
	}
	next = e->next;
	if (next && !next->used) {
		remove_free(h, next);
		e->size += next->size;
		unlink_extent(h, next);
		free(next);
		h->free_extents--;
	}
	insert_free(h, e);
	return 0;
}

uint64_t heap_largest_free(const struct dxg_heap *h)
{
	const struct heap_extent *e = h->free_by_size;

	if (!e)
		return 0;
	while (e->right)
		e = e->right;
	return e->size;
}

/*
 * Checks one tree: order against the bounds inherited from the ancestors, heights, balance and
 * that every member is of the right kind. Returns the member count, or -1 on a violation.
 */
static int64_t check_tree(const struct heap_extent *e, bool by_size, const struct heap_extent *lo,
			  const struct heap_extent *hi)
{
	int64_t l, r;
	int lh, rh;

	if (!e)
		return 0;
	if (e->used == by_size)
		return -1;
	if ((lo && !extent_before(lo, e, by_size)) || (hi && !extent_before(e, hi, by_size)))
		return -1;
	lh = subtree_height(e->left);
	rh = subtree_height(e->right);
	if (e->height != (lh > rh ? lh : rh) + 1 || lh - rh > 1 || rh - lh > 1)
		return -1;
	l = check_tree(e->left, by_size, lo, e);
	r = check_tree(e->right, by_size, e, hi);
	if (l < 0 || r < 0)
		return -1;
	return l + r + 1;
}

/* True when the descent by e's key ends at e itself: e is a member, not just a look-alike. */
static bool tree_holds(const struct heap_extent *root, const struct heap_extent *e, bool by_size)
{
	while (root && root != e)
		root = extent_before(e, root, by_size) ? root->left : root->right;
	return root == e;
}

bool heap_check(const struct dxg_heap *h)
{
	const struct heap_extent *e, *prev = NULL;
	uint64_t expect = h->base, free_bytes = 0;
	uint64_t free_count = 0, used_count = 0;

	if ((h->base | h->size) % HEAP_PAGE || h->size > UINT64_MAX - h->base)
		return false;
	for (e = h->first; e; prev = e, e = e->next) {
		if (e->prev != prev || e->offset != expect || !e->size || e->size % HEAP_PAGE ||
		    e->size > h->base + h->size - expect)
			return false;
		if (!e->used && prev && !prev->used)
			return false;	/* two touching free extents: a missed coalesce */
		if (e->used) {
			used_count++;
			if (!tree_holds(h->used_by_offset, e, false))
				return false;
		} else {
			free_count++;
			free_bytes += e->size;
			if (!tree_holds(h->free_by_size, e, true))
				return false;
		}
		expect += e->size;
	}
	if (expect != h->base + h->size)
		return false;
	if (free_count != h->free_extents || used_count != h->used_extents ||
	    free_bytes != h->free_bytes)
		return false;
	/* The list's members are all in their trees; equal counts mean nothing else is. */
	return check_tree(h->free_by_size, true, NULL, NULL) == (int64_t)free_count &&
	       check_tree(h->used_by_offset, false, NULL, NULL) == (int64_t)used_count;
}
