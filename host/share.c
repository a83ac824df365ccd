// SPDX-License-Identifier: MIT
/*
 * Shares (share.h; wire.h "0x07xx"). The table is two small hash tables over one list of
 * shares: by id (every opcode names a share by id) and by the object held (an object has at
 * most one share, so SHARE_OBJECT finds the existing one). The objects themselves are sync.c's
 * (struct sync_state) and memory.c's (struct mem_share); a share holds one reference to its
 * object for as long as it lives.
 */
#include "share.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "exec.h"
#include "memory.h"
#include "sync.h"

#define SHARE_BUCKET_BITS 12u
#define SHARE_BUCKETS (1u << SHARE_BUCKET_BITS)

struct share {
	struct obj_list link;		/* vm_shares.all */
	struct share *id_next;		/* vm_shares.by_id chain */
	struct share *object_next;	/* vm_shares.by_object chain */
	uint64_t id;
	uint32_t kind;			/* DXGW_SHARE_KIND_* */
	uint32_t refs;			/* SHARE_OBJECT calls not closed yet, >= 1 */
	struct sync_state *sync;	/* KIND_SYNC_OBJECT */
	struct mem_share *mem;		/* KIND_RESOURCE */
};

struct vm_shares {
	uint64_t next_id;
	uint32_t count;
	struct obj_list all;
	struct share *by_id[SHARE_BUCKETS];
	struct share *by_object[SHARE_BUCKETS];
};

static uint32_t hash64(uint64_t v)
{
	return (uint32_t)((v * 0x9e3779b97f4a7c15ull) >> (64u - SHARE_BUCKET_BITS));
}

static const void *share_object(const struct share *sh)
{
	return sh->kind == DXGW_SHARE_KIND_SYNC_OBJECT ? (const void *)sh->sync
						       : (const void *)sh->mem;
}

static uint32_t object_bucket(const void *object)
{
	return hash64((uint64_t)(uintptr_t)object);
}

/*
 * Ids start at a random point so that they say nothing about how many shares other VMs or
 * earlier workers made, and so that a guessed id is unlikely to name anything.
 */
static uint64_t random_start(void)
{
	uint64_t v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		v = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 16);
		v *= 0x9e3779b97f4a7c15ull;
	}
	return v;
}

int share_vm_init(struct dxg_vm *vm)
{
	struct vm_shares *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	obj_list_init(&t->all);
	t->next_id = random_start();
	vm->shares = t;
	return 0;
}

static struct share *find_id(const struct vm_shares *t, uint64_t id)
{
	for (struct share *sh = t->by_id[hash64(id)]; sh; sh = sh->id_next) {
		if (sh->id == id)
			return sh;
	}
	return NULL;
}

static struct share *find_object(const struct vm_shares *t, const void *object)
{
	for (struct share *sh = t->by_object[object_bucket(object)]; sh; sh = sh->object_next) {
		if (share_object(sh) == object)
			return sh;
	}
	return NULL;
}

static void unlink_chain(struct share **head, struct share *sh, bool by_id)
{
	for (struct share **pp = head; *pp; pp = by_id ? &(*pp)->id_next : &(*pp)->object_next) {
		if (*pp == sh) {
			*pp = by_id ? sh->id_next : sh->object_next;
			return;
		}
	}
}

/* Never 0, never one in use (a full turn of the 64-bit counter cannot happen in practice). */
static uint64_t new_id(struct vm_shares *t)
{
	uint64_t id;

	do {
		id = t->next_id++;
	} while (id == 0 || find_id(t, id));
	return id;
}

/* Puts a new share with one reference on `object` (its hold already taken) into the table. */
static struct share *insert_share(struct vm_shares *t, uint32_t kind, struct sync_state *sync,
				  struct mem_share *mem)
{
	struct share *sh = calloc(1, sizeof(*sh));
	uint32_t b;

	if (!sh)
		return NULL;
	sh->kind = kind;
	sh->sync = sync;
	sh->mem = mem;
	sh->refs = 1;
	sh->id = new_id(t);
	b = hash64(sh->id);
	sh->id_next = t->by_id[b];
	t->by_id[b] = sh;
	b = object_bucket(share_object(sh));
	sh->object_next = t->by_object[b];
	t->by_object[b] = sh;
	obj_list_add_tail(&t->all, &sh->link);
	t->count++;
	return sh;
}

/* The share goes with its last reference: its hold on the object goes with it. */
static void remove_share(struct dxg_vm *vm, struct share *sh)
{
	struct vm_shares *t = vm->shares;

	unlink_chain(&t->by_id[hash64(sh->id)], sh, true);
	unlink_chain(&t->by_object[object_bucket(share_object(sh))], sh, false);
	obj_list_del(&sh->link);
	t->count--;
	if (sh->kind == DXGW_SHARE_KIND_SYNC_OBJECT)
		sync_share_detach(vm, sh->sync);
	else
		memory_share_put(vm, sh->mem);
	free(sh);
}

void share_vm_reset(struct dxg_vm *vm)
{
	struct vm_shares *t = vm->shares;

	if (!t)
		return;
	while (!obj_list_empty(&t->all))
		remove_share(vm, obj_container_of(t->all.next, struct share, link));
}

void share_vm_fini(struct dxg_vm *vm)
{
	share_vm_reset(vm);
	free(vm->shares);
	vm->shares = NULL;
}

static void put_reply(unsigned char *reply, const struct share *sh, uint32_t *reply_len)
{
	struct dxgw_share_object_reply r;

	memset(&r, 0, sizeof(r));
	r.share_id = dxg_to_le64(sh->id);
	r.kind = dxg_to_le32(sh->kind);
	if (sh->kind == DXGW_SHARE_KIND_SYNC_OBJECT) {
		r.sync_type = dxg_to_le32(sh->sync->type);
		r.fence_offset = dxg_to_le64(sh->sync->share_slot);
	}
	memcpy(reply, &r, sizeof(r));
	*reply_len = sizeof(r);
}

static int share_sync_object(struct dxg_vm *vm, struct dxg_sync_object *s, bool sync_file,
			     struct share **out)
{
	struct vm_shares *t = vm->shares;
	struct share *sh;
	int ret = sync_share_check(s, sync_file);

	if (ret)
		return ret;
	sh = find_object(t, s->state);
	if (sh) {
		if (sh->refs >= DXG_MAX_SHARE_REFS)
			return -ENOMEM;
		sh->refs++;
		*out = sh;
		return 0;
	}
	if (t->count >= DXG_MAX_SHARES)
		return -ENOMEM;
	ret = sync_share_attach(vm, s->state);
	if (ret)
		return ret;
	sh = insert_share(t, DXGW_SHARE_KIND_SYNC_OBJECT, s->state, NULL);
	if (!sh) {
		sync_share_detach(vm, s->state);
		return -ENOMEM;
	}
	*out = sh;
	return 0;
}

static int share_resource(struct dxg_vm *vm, struct dxg_process *p, uint32_t handle,
			  struct share **out)
{
	struct vm_shares *t = vm->shares;
	struct mem_share *m;
	struct share *sh;
	int ret = memory_share_resource(vm, p, handle, &m);

	if (ret)
		return ret;
	sh = find_object(t, m);
	if (sh) {
		/* The share already holds the memory once: that hold is enough. */
		memory_share_put(vm, m);
		if (sh->refs >= DXG_MAX_SHARE_REFS)
			return -ENOMEM;
		sh->refs++;
		*out = sh;
		return 0;
	}
	sh = t->count < DXG_MAX_SHARES ? insert_share(t, DXGW_SHARE_KIND_RESOURCE, NULL, m) : NULL;
	if (!sh) {
		memory_share_put(vm, m);
		return -ENOMEM;
	}
	*out = sh;
	return 0;
}

static int share_object_request(struct dxg_vm *vm, struct dxg_process *p,
				const struct dxgw_request *req, unsigned char *reply,
				uint32_t reply_cap, uint32_t *reply_len)
{
	const bool sync_file = req->share_object.flags & DXGW_SHARE_SYNC_FILE;
	struct dxg_sync_object *s = sync_find(vm, p, req->share_object.object);
	struct share *sh;
	int ret;

	if (reply_cap < sizeof(struct dxgw_share_object_reply))
		return -ENOMEM;
	if (s)
		ret = share_sync_object(vm, s, sync_file, &sh);
	else if (sync_file)
		ret = -EINVAL;		/* sync files are made of monitored fences only */
	else
		ret = share_resource(vm, p, req->share_object.object, &sh);
	if (ret)
		return ret;
	put_reply(reply, sh, reply_len);
	return 0;
}

static struct share *find_kind(struct dxg_vm *vm, uint64_t id, uint32_t kind)
{
	struct share *sh = find_id(vm->shares, id);

	return sh && sh->kind == kind ? sh : NULL;
}

int share_handle_request(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
			 unsigned char *reply, uint32_t reply_cap, uint32_t *reply_len)
{
	struct share *sh;

	*reply_len = 0;
	switch (req->opcode) {
	case DXGW_OP_SHARE_OBJECT:
		return share_object_request(vm, p, req, reply, reply_cap, reply_len);
	case DXGW_OP_OPEN_SHARED_SYNC_OBJECT:
		sh = find_kind(vm, req->open_shared_sync_object.share_id,
			       DXGW_SHARE_KIND_SYNC_OBJECT);
		if (!sh)
			return -EINVAL;
		return sync_open_shared(vm, p, req->open_shared_sync_object.device,
					req->open_shared_sync_object.access, sh->sync, reply,
					reply_cap, reply_len);
	case DXGW_OP_QUERY_SHARED_RESOURCE:
		sh = find_kind(vm, req->query_shared_resource.share_id, DXGW_SHARE_KIND_RESOURCE);
		if (!sh)
			return -EINVAL;
		return memory_share_query(vm, p, req->query_shared_resource.device, sh->mem, reply,
					  reply_cap, reply_len);
	case DXGW_OP_OPEN_SHARED_RESOURCE:
		sh = find_kind(vm, req->open_shared_resource.share_id, DXGW_SHARE_KIND_RESOURCE);
		if (!sh)
			return -EINVAL;
		return memory_share_open(vm, p, req, sh->mem, reply, reply_cap, reply_len);
	case DXGW_OP_WAIT_SHARE_ON_QUEUE:
		sh = find_kind(vm, req->wait_share_on_queue.share_id, DXGW_SHARE_KIND_SYNC_OBJECT);
		return exec_wait_share_on_queue(vm, p, req->wait_share_on_queue.queue,
						sh ? sh->sync : NULL,
						req->wait_share_on_queue.value);
	default:
		return -ENOSYS;
	}
}

int share_close(struct dxg_vm *vm, uint64_t share_id)
{
	struct share *sh = vm->shares ? find_id(vm->shares, share_id) : NULL;

	if (!sh)
		return -EINVAL;
	if (--sh->refs == 0)
		remove_share(vm, sh);
	return 0;
}

uint32_t share_count(const struct dxg_vm *vm)
{
	return vm->shares ? vm->shares->count : 0;
}

uint32_t share_fence_slot_count(const struct dxg_vm *vm)
{
	const struct vm_shares *t = vm->shares;
	uint32_t n = 0;

	if (!t)
		return 0;
	for (const struct obj_list *it = t->all.next; it != &t->all; it = it->next) {
		const struct share *sh = obj_container_of(it, const struct share, link);

		n += sh->kind == DXGW_SHARE_KIND_SYNC_OBJECT && sh->sync->share_slot != 0;
	}
	return n;
}

const char *share_check(const struct dxg_vm *vm)
{
	const struct vm_shares *t = vm->shares;
	uint32_t n = 0;

	if (!t)
		return NULL;
	for (const struct obj_list *it = t->all.next; it != &t->all; it = it->next) {
		const struct share *sh = obj_container_of(it, const struct share, link);
		const char *why;

		if (++n > t->count)
			return "more shares than counted";
		if (sh->id == 0 || find_id(t, sh->id) != sh)
			return "share not found by its id";
		if (sh->refs == 0 || sh->refs > DXG_MAX_SHARE_REFS)
			return "share references";
		if (sh->kind == DXGW_SHARE_KIND_SYNC_OBJECT) {
			if (!sh->sync || sh->mem)
				return "sync object share without its object";
			why = sync_state_check((struct dxg_vm *)vm, sh->sync);
			if (why)
				return why;
		} else if (sh->kind != DXGW_SHARE_KIND_RESOURCE || !sh->mem || sh->sync) {
			return "resource share without its memory";
		}
		if (find_object(t, share_object(sh)) != sh)
			return "object with two shares, or not found by its object";
	}
	if (n != t->count)
		return "share count";
	return n <= DXG_MAX_SHARES ? NULL : "too many shares";
}
