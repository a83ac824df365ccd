// SPDX-License-Identifier: MIT
/*
 * fuzz-ring: include/opendxg/ring.h against a hostile peer. The ring lives in buffers of exactly
 * its size (control block, data) so AddressSanitizer sees every access outside it, and the peer is
 * played by the input, one operation at a time, between our calls.
 *
 * Input: u8 scenario, u8 size selector, le32 max_payload, le32 our initial index, le32 the peer's
 * initial index, then operations (u8 opcode + arguments) until the input ends. Scenarios:
 *   0  we consume; the input is a hostile producer (tail, record prefixes, data bytes)
 *   1  we produce; the input is a hostile consumer (head, sleeping flag)
 *   2  honest producer and consumer: payloads come out in order, byte for byte
 * In 0 and 1 every call's result is compared with a small model of the ring contract (what the
 * header promises: which bad index or prefix is -EPROTO, when there is space), and the bytes the
 * call may touch are checked: a consume touches only its own index, a produce only its record.
 *
 * FUZZ_RING_TRACE=1 prints the ring set-up and every checked call, for reproducing a crash.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opendxg/ring.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool trace;

#define CHECK(cond) \
	do { \
		if (!(cond)) \
			check_failed(#cond, __LINE__); \
	} while (0)

static __attribute__((noreturn)) void check_failed(const char *what, int line)
{
	fprintf(stderr, "fuzz-ring: invariant violated (line %d): %s\n", line, what);
	__builtin_trap();
}

struct reader {
	const uint8_t *data;
	size_t size;
	size_t pos;
};

static bool more(const struct reader *in)
{
	return in->pos < in->size;
}

/* Reads past the end give zeros: a short input still runs, with default arguments. */
static uint8_t take_u8(struct reader *in)
{
	return more(in) ? in->data[in->pos++] : 0;
}

static uint16_t take_u16(struct reader *in)
{
	uint16_t lo = take_u8(in);

	return (uint16_t)(lo | (uint16_t)take_u8(in) << 8);
}

static uint32_t take_u32(struct reader *in)
{
	uint32_t lo = take_u16(in);

	return lo | (uint32_t)take_u16(in) << 16;
}

/* One shared ring: control block and data, each allocated to its exact size. */
struct shared_ring {
	struct dxg_ring_ctrl *ctrl;
	unsigned char *data;
	unsigned char *shadow;		/* copy of data before a call, to see what it wrote */
	uint32_t size;
	uint32_t max_payload;
};

static void shared_init(struct shared_ring *s, uint32_t size, uint32_t max_payload)
{
	s->ctrl = calloc(1, sizeof(*s->ctrl));
	s->data = calloc(1, size);
	s->shadow = malloc(size);
	if (!s->ctrl || !s->data || !s->shadow)
		abort();
	s->size = size;
	s->max_payload = max_payload;
}

static void shared_fini(struct shared_ring *s)
{
	free(s->ctrl);
	free(s->data);
	free(s->shadow);
}

static uint32_t shared_load(const dxg_le32 *word)
{
	return dxg_from_le32(__atomic_load_n(word, __ATOMIC_RELAXED));
}

static void shared_store(dxg_le32 *word, uint32_t v)
{
	__atomic_store_n(word, dxg_to_le32(v), __ATOMIC_RELAXED);
}

static uint32_t ring_byte_le32(const struct shared_ring *s, uint32_t pos)
{
	uint32_t v = 0;

	for (uint32_t i = 0; i < 4; i++)
		v |= (uint32_t)s->data[(pos + i) & (s->size - 1)] << (8 * i);
	return v;
}

static void put_ring_le32(struct shared_ring *s, uint32_t pos, uint32_t v)
{
	for (uint32_t i = 0; i < 4; i++)
		s->data[(pos + i) & (s->size - 1)] = (unsigned char)(v >> (8 * i));
}

/* The byte pattern of a payload: seeded, so a model can recompute it without storing it. */
static unsigned char pattern_byte(uint32_t seed, uint32_t i)
{
	return (unsigned char)((seed * 131u + i * 7u + (i >> 8)) & 0xff);
}

static unsigned char *pattern_alloc(uint32_t seed, uint32_t offset, uint32_t len)
{
	unsigned char *p = malloc(len ? len : 1);

	if (!p)
		abort();
	for (uint32_t i = 0; i < len; i++)
		p[i] = pattern_byte(seed, offset + i);
	return p;
}

/* ---- model of the contract (ring.h comments) ---- */

static int64_t model_available(const struct shared_ring *s, uint32_t local)
{
	uint32_t avail = shared_load(&s->ctrl->tail) - local;

	if (avail > s->size || (avail & (DXG_RING_ALIGN - 1)))
		return -EPROTO;
	return avail;
}

static int64_t model_space(const struct shared_ring *s, uint32_t local)
{
	uint32_t head = shared_load(&s->ctrl->head);
	uint32_t used = local - head;

	if (used > s->size || (head & (DXG_RING_ALIGN - 1)))
		return -EPROTO;
	return (int64_t)s->size - used;
}

static int model_consume(const struct shared_ring *s, uint32_t local, uint32_t bufsize)
{
	int64_t avail = model_available(s, local);
	uint32_t len, mbz;

	if (avail <= 0)
		return (int)avail;
	len = ring_byte_le32(s, local);
	mbz = ring_byte_le32(s, local + 4);
	if (len == 0 || len > s->max_payload || len > bufsize || mbz != 0 ||
	    dxg_ring_record_size(len) > avail)
		return -EPROTO;
	return (int)len;
}

static int model_produce(const struct shared_ring *s, uint32_t local, uint64_t payload)
{
	int64_t space;

	if (payload == 0 || payload > s->max_payload)
		return -EMSGSIZE;
	space = model_space(s, local);
	if (space < 0)
		return (int)space;
	if ((uint64_t)space < dxg_ring_record_size((uint32_t)payload))
		return -EAGAIN;
	return 0;
}

/* ---- checked calls ---- */

static uint32_t pick_bufsize(const struct shared_ring *s, uint16_t v)
{
	/* Mostly the documented "at least max_payload"; sometimes less, which must be -EPROTO. */
	if (v & 0x8000)
		return (v & 0x7fff) % s->max_payload + 1;
	return s->max_payload;
}

static void checked_consume(struct shared_ring *s, struct dxg_ring *r, uint32_t bufsize)
{
	const uint32_t local = r->local;
	const uint32_t head = shared_load(&s->ctrl->head);
	const int64_t avail = model_available(s, local);
	const int expect = model_consume(s, local, bufsize);
	unsigned char *buf = malloc(bufsize);
	int n;

	if (!buf)
		abort();
	memcpy(s->shadow, s->data, s->size);
	n = dxg_ring_consume(r, buf, bufsize);
	if (trace)
		fprintf(stderr, "consume: head %#x tail %#x bufsize %u -> %d (model %d)\n", local,
			shared_load(&s->ctrl->tail), bufsize, n, expect);
	CHECK(n == expect);
	CHECK(n >= 0 || n == -EPROTO);
	CHECK(n <= (int)s->max_payload && n <= (int)bufsize);
	/* The consumer never writes ring data. */
	CHECK(memcmp(s->shadow, s->data, s->size) == 0);
	if (n > 0) {
		CHECK(avail > 0 && dxg_ring_record_size((uint32_t)n) <= (uint64_t)avail);
		CHECK(r->local == local + dxg_ring_record_size((uint32_t)n));
		CHECK(shared_load(&s->ctrl->head) == r->local);
		for (uint32_t i = 0; i < (uint32_t)n; i++)
			CHECK(buf[i] == s->data[(local + DXG_RING_PREFIX + i) & (s->size - 1)]);
	} else {
		CHECK(r->local == local);
		CHECK(shared_load(&s->ctrl->head) == head);
	}
	free(buf);
}

/*
 * A produce either writes exactly one well-formed record into free space and publishes it, or
 * changes nothing at all.
 */
static int checked_produce(struct shared_ring *s, struct dxg_ring *r, uint32_t alen,
			   uint32_t blen, uint32_t seed)
{
	const uint32_t local = r->local;
	const uint32_t tail = shared_load(&s->ctrl->tail);
	const uint32_t payload = alen + blen;
	const int expect = model_produce(s, local, payload);
	unsigned char *a = pattern_alloc(seed, 0, alen);
	unsigned char *b = blen ? pattern_alloc(seed, alen, blen) : NULL;
	int ret;

	memcpy(s->shadow, s->data, s->size);
	ret = dxg_ring_produce2(r, a, alen, b, blen);
	if (trace)
		fprintf(stderr, "produce: tail %#x head %#x payload %u+%u -> %d (model %d)\n",
			local, shared_load(&s->ctrl->head), alen, blen, ret, expect);
	CHECK(ret == expect);
	if (ret == 0) {
		const uint32_t rec = dxg_ring_record_size(payload);

		CHECK(r->local == local + rec);
		CHECK(shared_load(&s->ctrl->tail) == r->local);
		/* The expected ring: the old bytes with exactly this record written over them. */
		for (uint32_t d = 0; d < rec; d++) {
			unsigned char want;

			if (d < 4)
				want = (unsigned char)(payload >> (8 * d));
			else if (d < DXG_RING_PREFIX)
				want = 0;
			else if (d - DXG_RING_PREFIX < payload)
				want = pattern_byte(seed, d - DXG_RING_PREFIX);
			else
				want = 0;
			s->shadow[(local + d) & (s->size - 1)] = want;
		}
		CHECK(memcmp(s->shadow, s->data, s->size) == 0);
	} else {
		CHECK(r->local == local);
		CHECK(shared_load(&s->ctrl->tail) == tail);
		CHECK(memcmp(s->shadow, s->data, s->size) == 0);
	}
	free(a);
	free(b);
	return ret;
}

/*
 * An index a peer writes: with bit 0 of `v` set, one near `base` (bits 5.. count 8-byte steps,
 * bit 1 adds the misalignment in bits 2..4), which is what a buggy peer plausibly writes;
 * otherwise `v` itself, any value at all.
 */
static uint32_t hostile_index(const struct shared_ring *s, uint32_t base, uint32_t v, bool forward)
{
	uint32_t step;

	if (!(v & 1))
		return v;
	step = ((v >> 5) % (s->size / DXG_RING_ALIGN + 2)) * DXG_RING_ALIGN;
	if (v & 2)
		step += (v >> 2) & (DXG_RING_ALIGN - 1);
	return forward ? base + step : base - step;
}

/* ---- scenario 0: we consume, the input produces ---- */

enum consumer_op {
	C_CONSUME,
	C_SET_TAIL,
	C_WRITE_PREFIX,
	C_WRITE_BYTES,
	C_FRIENDLY_PRODUCE,
	C_SLEEP,
	C_OPS
};

static void run_consumer(struct reader *in, struct shared_ring *s, struct dxg_ring *r)
{
	while (more(in)) {
		switch (take_u8(in) % C_OPS) {
		case C_CONSUME:
			checked_consume(s, r, pick_bufsize(s, take_u16(in)));
			break;
		case C_SET_TAIL:
			shared_store(&s->ctrl->tail,
				     hostile_index(s, r->local, take_u32(in), true));
			break;
		case C_WRITE_PREFIX: {
			/* A prefix at one of the next slots; mostly a length near max_payload. */
			uint32_t at = r->local + (uint32_t)take_u8(in) * DXG_RING_ALIGN;
			uint32_t len = take_u32(in);
			uint32_t mbz = take_u8(in) == 0xff ? take_u32(in) : 0;

			if (len & 0x80000000u)
				len = (len & 0xffff) % (s->max_payload + 16);
			put_ring_le32(s, at, len);
			put_ring_le32(s, at + 4, mbz);
			break;
		}
		case C_WRITE_BYTES: {
			uint32_t at = take_u16(in);
			uint32_t n = take_u8(in);

			for (uint32_t i = 0; i < n; i++)
				s->data[(at + i) & (s->size - 1)] = take_u8(in);
			break;
		}
		case C_FRIENDLY_PRODUCE: {
			/* A well-behaved record wherever the (hostile) tail now points. */
			struct dxg_ring p = *r;
			uint32_t len = take_u16(in) % (s->max_payload + 1);
			unsigned char *msg = pattern_alloc(take_u8(in), 0, len);

			p.local = shared_load(&s->ctrl->tail);
			(void)dxg_ring_produce(&p, msg, len);
			free(msg);
			break;
		}
		case C_SLEEP: {
			const int64_t avail = model_available(s, r->local);

			CHECK(dxg_ring_consumer_prepare_sleep(r) == (avail != 0));
			CHECK(shared_load(&s->ctrl->consumer_sleeping) == 1);
			shared_store(&s->ctrl->producer_waiting, take_u8(in) & 1);
			CHECK(dxg_ring_consumer_should_kick(r) ==
			      (shared_load(&s->ctrl->producer_waiting) != 0));
			dxg_ring_consumer_wake(r);
			CHECK(shared_load(&s->ctrl->consumer_sleeping) == 0);
			break;
		}
		}
	}
	/* Drain what is left, as the worker does before it sleeps. */
	for (int i = 0; i < 64 && model_available(s, r->local) > 0; i++) {
		if (model_consume(s, r->local, s->max_payload) < 0)
			break;
		checked_consume(s, r, s->max_payload);
	}
}

/* ---- scenario 1: we produce, the input consumes ---- */

enum producer_op {
	P_PRODUCE,
	P_SET_HEAD,
	P_SPACE,
	P_WAIT,
	P_FRIENDLY_CONSUME,
	P_KICK,
	P_OPS
};

static void run_producer(struct reader *in, struct shared_ring *s, struct dxg_ring *r)
{
	while (more(in)) {
		switch (take_u8(in) % P_OPS) {
		case P_PRODUCE: {
			uint32_t alen = take_u16(in) % (s->max_payload + 16);
			uint32_t blen =
				take_u8(in) & 0x80 ? take_u16(in) % (s->max_payload + 1) : 0;

			checked_produce(s, r, alen, blen, take_u8(in));
			break;
		}
		case P_SET_HEAD:
			shared_store(&s->ctrl->head,
				     hostile_index(s, r->local, take_u32(in), false));
			break;
		case P_SPACE:
			CHECK(dxg_ring_space(r) == model_space(s, r->local));
			break;
		case P_WAIT: {
			uint32_t need = take_u16(in);
			int64_t space = model_space(s, r->local);

			CHECK(dxg_ring_producer_prepare_wait(r, need) ==
			      (space < 0 || (uint64_t)space >= need));
			CHECK(shared_load(&s->ctrl->producer_waiting) == 1);
			dxg_ring_producer_end_wait(r);
			CHECK(shared_load(&s->ctrl->producer_waiting) == 0);
			break;
		}
		case P_FRIENDLY_CONSUME: {
			/* A consumer that reads from wherever the (hostile) head now points. */
			struct dxg_ring c = *r;
			unsigned char *buf = malloc(s->max_payload);

			if (!buf)
				abort();
			c.local = shared_load(&s->ctrl->head);
			(void)dxg_ring_consume(&c, buf, s->max_payload);
			free(buf);
			break;
		}
		case P_KICK:
			shared_store(&s->ctrl->consumer_sleeping, take_u8(in) & 1);
			CHECK(dxg_ring_producer_should_kick(r) ==
			      (shared_load(&s->ctrl->consumer_sleeping) != 0));
			break;
		}
	}
}

/* ---- scenario 2: both sides honest ---- */

#define PAIR_QUEUE (DXG_RING_MIN_SIZE << 3)	/* > records that fit in the largest ring */

struct pair_entry {
	uint32_t len;
	uint32_t seed;
};

static void run_pair(struct reader *in, struct shared_ring *s, struct dxg_ring *prod,
		     struct dxg_ring *cons)
{
	static struct pair_entry queue[PAIR_QUEUE];
	uint32_t first = 0, count = 0, used = 0;
	unsigned char *buf = malloc(s->max_payload);

	if (!buf)
		abort();
	while (more(in)) {
		uint8_t op = take_u8(in);

		if (op & 1) {
			uint32_t alen = take_u16(in) % (s->max_payload + 8);
			uint32_t blen = op & 2 ? take_u8(in) : 0;
			uint32_t seed = take_u8(in);
			int ret = checked_produce(s, prod, alen, blen, seed);

			CHECK(ret != -EPROTO);
			CHECK(ret != -EAGAIN || s->size - used < dxg_ring_record_size(alen + blen));
			if (ret == 0) {
				CHECK(count < PAIR_QUEUE);
				queue[(first + count++) % PAIR_QUEUE] =
					(struct pair_entry){ alen + blen, seed };
				used += dxg_ring_record_size(alen + blen);
			}
		} else {
			int n = dxg_ring_consume(cons, buf, s->max_payload);

			if (count == 0) {
				CHECK(n == 0);
				continue;
			}
			CHECK(n == (int)queue[first].len);
			for (uint32_t i = 0; i < (uint32_t)n; i++)
				CHECK(buf[i] == pattern_byte(queue[first].seed, i));
			used -= dxg_ring_record_size((uint32_t)n);
			first = (first + 1) % PAIR_QUEUE;
			count--;
		}
		CHECK(shared_load(&s->ctrl->tail) - shared_load(&s->ctrl->head) == used);
	}
	free(buf);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *t = getenv("FUZZ_RING_TRACE");

	(void)argc;
	(void)argv;
	trace = t && *t && strcmp(t, "0") != 0;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader in = { data, size, 0 };
	struct shared_ring s;
	struct dxg_ring r, peer;
	const uint8_t scenario = take_u8(&in) % 3;
	const uint32_t ring_size = DXG_RING_MIN_SIZE << (take_u8(&in) & 3);
	uint32_t max_payload = take_u32(&in);
	const uint32_t own_index = take_u32(&in);
	const uint32_t peer_index = take_u32(&in);
	const bool as_producer = scenario != 0;
	bool attach_ok;
	int ret;

	/* Mostly a usable max_payload; with the top bit set any value (attach refuses most). */
	if (!(max_payload & 0x80000000u))
		max_payload = max_payload % (ring_size / 2) + 1;
	attach_ok = max_payload != 0 && max_payload <= ring_size / 2 &&
		    dxg_ring_record_size(max_payload) <= ring_size / 2;

	shared_init(&s, ring_size, max_payload);
	if (scenario == 2) {
		/* Honest sides start together, anywhere in the u32 index space (wrap included). */
		shared_store(&s.ctrl->tail, own_index & ~(DXG_RING_ALIGN - 1));
		shared_store(&s.ctrl->head, own_index & ~(DXG_RING_ALIGN - 1));
	} else {
		shared_store(as_producer ? &s.ctrl->tail : &s.ctrl->head, own_index);
		shared_store(as_producer ? &s.ctrl->head : &s.ctrl->tail, peer_index);
	}

	ret = dxg_ring_attach(&r, s.ctrl, s.data, ring_size, max_payload, as_producer);
	if (trace)
		fprintf(stderr, "scenario %u: size %u max_payload %u own %#x peer %#x -> %d\n",
			scenario, ring_size, max_payload, own_index, peer_index, ret);
	if (!attach_ok) {
		CHECK(ret == -EINVAL);
		goto out;
	}
	if (scenario != 2 && (own_index & (DXG_RING_ALIGN - 1))) {
		CHECK(ret == -EPROTO);
		goto out;
	}
	CHECK(ret == 0);
	CHECK(r.local == (scenario == 2 ? (own_index & ~(DXG_RING_ALIGN - 1)) : own_index));

	switch (scenario) {
	case 0:
		run_consumer(&in, &s, &r);
		break;
	case 1:
		run_producer(&in, &s, &r);
		break;
	default:
		CHECK(dxg_ring_attach(&peer, s.ctrl, s.data, ring_size, max_payload, false) == 0);
		run_pair(&in, &s, &r, &peer);
		break;
	}
out:
	shared_fini(&s);
	return 0;
}
