/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for include/opendxg/ring.h: the single-producer single-consumer byte ring shared by
 * the guest driver, dxgd and the user-space guest.
 *
 * Each test builds one ring in ordinary memory and attaches two views to it, a producer and a
 * consumer, exactly as the two sides of the shared region do. Hostile cases write the shared index
 * and prefix words directly, the way a malicious peer would, and check that the honest side answers
 * -EPROTO without moving its own index.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <opendxg/ring.h>

#define TEST_RING_SIZE 4096u
#define TEST_MAX_PAYLOAD 512u
#define FILL_BYTE 0xa5

struct ring_pair {
	struct dxg_ring_ctrl ctrl __attribute__((aligned(64)));
	unsigned char data[TEST_RING_SIZE] __attribute__((aligned(64)));
	struct dxg_ring producer;
	struct dxg_ring consumer;
	unsigned char buf[TEST_RING_SIZE];
};

/*
 * Formats the ring, sets both shared indices to `start` (so tests can begin anywhere, including
 * just below 2^32) and attaches both sides, which then pick `start` up as their private index.
 */
static struct ring_pair *pair_new(uint32_t start, uint32_t max_payload)
{
	struct ring_pair *p;

	p = aligned_alloc(64, sizeof(*p));
	assert_non_null(p);
	memset(p, 0, sizeof(*p));
	memset(p->data, FILL_BYTE, sizeof(p->data));
	dxg_ring_format(&p->ctrl);
	p->ctrl.tail = dxg_to_le32(start);
	p->ctrl.head = dxg_to_le32(start);
	assert_int_equal(dxg_ring_attach(&p->producer, &p->ctrl, p->data, TEST_RING_SIZE,
					 max_payload, true), 0);
	assert_int_equal(dxg_ring_attach(&p->consumer, &p->ctrl, p->data, TEST_RING_SIZE,
					 max_payload, false), 0);
	assert_int_equal(p->producer.local, start);
	assert_int_equal(p->consumer.local, start);
	return p;
}

static uint32_t shared_tail(const struct ring_pair *p)
{
	return dxg_from_le32(p->ctrl.tail);
}

static uint32_t shared_head(const struct ring_pair *p)
{
	return dxg_from_le32(p->ctrl.head);
}

/* Byte `i` of the payload of message number `seq`: differs per message and per position. */
static unsigned char pattern_byte(uint32_t seq, uint32_t i)
{
	return (unsigned char)(seq * 37u + i * 11u + (i >> 8) + 1u);
}

static void fill_pattern(unsigned char *buf, uint32_t len, uint32_t seq)
{
	for (uint32_t i = 0; i < len; i++)
		buf[i] = pattern_byte(seq, i);
}

static void check_pattern(const unsigned char *buf, uint32_t len, uint32_t seq)
{
	for (uint32_t i = 0; i < len; i++)
		assert_int_equal(buf[i], pattern_byte(seq, i));
}

/* Produces one patterned message of `len` bytes and expects `expect` back. */
static void produce_seq(struct ring_pair *p, uint32_t len, uint32_t seq, int expect)
{
	unsigned char msg[TEST_RING_SIZE];

	fill_pattern(msg, len, seq);
	assert_int_equal(dxg_ring_produce(&p->producer, msg, len), expect);
}

static void consume_seq(struct ring_pair *p, uint32_t len, uint32_t seq)
{
	memset(p->buf, 0, sizeof(p->buf));
	assert_int_equal(dxg_ring_consume(&p->consumer, p->buf, sizeof(p->buf)), (int)len);
	check_pattern(p->buf, len, seq);
}

/* Writes a record prefix straight into the ring, as a hostile producer would. */
static void poke_prefix(struct ring_pair *p, uint32_t pos, uint32_t len, uint32_t mbz)
{
	dxg_le32 prefix[2] = { dxg_to_le32(len), dxg_to_le32(mbz) };

	memcpy(p->data + (pos & (TEST_RING_SIZE - 1)), prefix, sizeof(prefix));
}

/* ---- basic behaviour ---- */

static void test_empty(void **state)
{
	struct ring_pair *p = pair_new(0, TEST_MAX_PAYLOAD);

	(void)state;
	assert_int_equal(dxg_ring_available(&p->consumer), 0);
	assert_int_equal(dxg_ring_space(&p->producer), TEST_RING_SIZE);
	assert_int_equal(dxg_ring_consume(&p->consumer, p->buf, sizeof(p->buf)), 0);
	assert_int_equal(shared_head(p), 0);
	free(p);
}

static void test_produce_consume_one(void **state)
{
	struct ring_pair *p = pair_new(0, TEST_MAX_PAYLOAD);

	(void)state;
	assert_int_equal(dxg_ring_produce(&p->producer, "hello", 5), 0);
	/* 8-byte prefix + 5 bytes padded to 8. */
	assert_int_equal(shared_tail(p), 16);
	assert_int_equal(dxg_ring_available(&p->consumer), 16);
	assert_int_equal(dxg_ring_space(&p->producer), TEST_RING_SIZE - 16);
	assert_int_equal(dxg_ring_consume(&p->consumer, p->buf, sizeof(p->buf)), 5);
	assert_memory_equal(p->buf, "hello", 5);
	assert_int_equal(shared_head(p), 16);
	assert_int_equal(dxg_ring_consume(&p->consumer, p->buf, sizeof(p->buf)), 0);
	assert_int_equal(dxg_ring_space(&p->producer), TEST_RING_SIZE);
	free(p);
}

static void test_record_size(void **state)
{
	(void)state;
	assert_int_equal(dxg_ring_record_size(1), 16);
	assert_int_equal(dxg_ring_record_size(8), 16);
	assert_int_equal(dxg_ring_record_size(9), 24);
	assert_int_equal(dxg_ring_record_size(32), 40);
}

/* Fills the ring with 504-byte payloads (512-byte records) until it refuses. */
static void test_full_ring(void **state)
{
	struct ring_pair *p = pair_new(0, TEST_MAX_PAYLOAD);
	unsigned char snapshot[TEST_RING_SIZE];
	uint32_t n;

	(void)state;
	for (n = 0; n < TEST_RING_SIZE / 512; n++)
		produce_seq(p, 504, n, 0);
	assert_int_equal(dxg_ring_space(&p->producer), 0);
	assert_int_equal(shared_tail(p), TEST_RING_SIZE);

	/* Full: -EAGAIN, and neither the data nor the tail moved. */
	memcpy(snapshot, p->data, sizeof(snapshot));
	produce_seq(p, 1, 99, -EAGAIN);
	produce_seq(p, 504, 99, -EAGAIN);
	assert_memory_equal(snapshot, p->data, sizeof(snapshot));
	assert_int_equal(shared_tail(p), TEST_RING_SIZE);
	assert_int_equal(p->producer.local, TEST_RING_SIZE);

	/* Freeing one record makes room for exactly one record of that size. */
	consume_seq(p, 504, 0);
	produce_seq(p, 505, 99, -EAGAIN);
	produce_seq(p, 504, n, 0);
	for (uint32_t i = 1; i <= n; i++)
		consume_seq(p, 504, i);
	assert_int_equal(dxg_ring_available(&p->consumer), 0);
	free(p);
}

/* A record exactly as large as the free space fits; one byte more does not. */
static void test_exact_fit(void **state)
{
	uint32_t max = TEST_RING_SIZE / 2 - DXG_RING_PREFIX;	/* 2040: record of exactly half */
	struct ring_pair *p = pair_new(0, max);

	(void)state;
	produce_seq(p, 1000, 0, 0);				/* 1008 */
	produce_seq(p, max, 1, 0);				/* 2048 -> 3056 used */
	assert_int_equal(dxg_ring_space(&p->producer), TEST_RING_SIZE - 3056);
	produce_seq(p, TEST_RING_SIZE - 3056 - DXG_RING_PREFIX + 1, 2, -EAGAIN);
	produce_seq(p, TEST_RING_SIZE - 3056 - DXG_RING_PREFIX, 2, 0);	/* 1032 payload */
	assert_int_equal(dxg_ring_space(&p->producer), 0);
	produce_seq(p, 1, 3, -EAGAIN);
	consume_seq(p, 1000, 0);
	consume_seq(p, max, 1);
	consume_seq(p, TEST_RING_SIZE - 3056 - DXG_RING_PREFIX, 2);
	assert_int_equal(dxg_ring_space(&p->producer), TEST_RING_SIZE);

	/* Now at offset 0 again (4096 mod 4096): two max records fill the ring exactly. */
	produce_seq(p, max, 4, 0);
	produce_seq(p, max, 5, 0);
	produce_seq(p, 1, 6, -EAGAIN);
	consume_seq(p, max, 4);
	consume_seq(p, max, 5);
	free(p);
}

/*
 * A payload that crosses the end of the data area is split in two; the prefix never is. Start
 * each record at every 8-byte slot before the end and use every length 1..80, so the split falls
 * at every payload offset and every length modulo 8. Padding bytes must be zero, wherever they
 * land.
 */
static void test_wrap_every_offset(void **state)
{
	uint32_t seq = 0;

	(void)state;
	for (uint32_t slots = 1; slots <= 12; slots++) {
		for (uint32_t len = 1; len <= 80; len++) {
			uint32_t start = TEST_RING_SIZE * 3 - slots * DXG_RING_ALIGN;
			struct ring_pair *p = pair_new(start, TEST_MAX_PAYLOAD);
			uint32_t rec = dxg_ring_record_size(len);
			dxg_le32 prefix[2];

			produce_seq(p, len, seq, 0);
			assert_int_equal(shared_tail(p), start + rec);

			/* The prefix sits whole at the start slot. */
			memcpy(prefix, p->data + (start & (TEST_RING_SIZE - 1)), sizeof(prefix));
			assert_int_equal(dxg_from_le32(prefix[0]), len);
			assert_int_equal(prefix[1], 0);
			for (uint32_t i = len; i < rec - DXG_RING_PREFIX; i++) {
				uint32_t pos = (start + DXG_RING_PREFIX + i) & (TEST_RING_SIZE - 1);

				assert_int_equal(p->data[pos], 0);
			}
			/* Bytes past the record are untouched. */
			assert_int_equal(p->data[(start + rec) & (TEST_RING_SIZE - 1)], FILL_BYTE);

			consume_seq(p, len, seq);
			assert_int_equal(shared_head(p), start + rec);
			free(p);
			seq++;
		}
	}
}

/*
 * Free-running indices wrap past 2^32: start just below UINT32_MAX and push several ring sizes of
 * traffic through, with the ring often full, checking every byte.
 */
static void test_index_wrap_u32(void **state)
{
	static const uint32_t starts[] = {
		UINT32_MAX - 7, UINT32_MAX - 15, UINT32_MAX - 511, UINT32_MAX - TEST_RING_SIZE + 1,
	};

	(void)state;
	for (size_t s = 0; s < sizeof(starts) / sizeof(starts[0]); s++) {
		struct ring_pair *p = pair_new(starts[s], TEST_MAX_PAYLOAD);
		uint32_t produced = 0, consumed = 0;

		assert_int_equal(starts[s] % DXG_RING_ALIGN, 0);
		while (consumed < 200) {
			/* Produce until full, then consume half of what is queued. */
			for (;;) {
				uint32_t len = 1 + (produced * 53u) % TEST_MAX_PAYLOAD;
				unsigned char msg[TEST_MAX_PAYLOAD];
				int ret;

				fill_pattern(msg, len, produced);
				ret = dxg_ring_produce(&p->producer, msg, len);
				if (ret == -EAGAIN)
					break;
				assert_int_equal(ret, 0);
				produced++;
			}
			assert_true(dxg_ring_space(&p->producer) >= 0);
			for (uint32_t todo = (produced - consumed + 1) / 2; todo; todo--) {
				consume_seq(p, 1 + (consumed * 53u) % TEST_MAX_PAYLOAD, consumed);
				consumed++;
			}
		}
		while (consumed < produced) {
			consume_seq(p, 1 + (consumed * 53u) % TEST_MAX_PAYLOAD, consumed);
			consumed++;
		}
		/* Both indices really went past 2^32 and agree. */
		assert_true(shared_tail(p) < starts[s]);
		assert_int_equal(shared_tail(p), shared_head(p));
		assert_int_equal(dxg_ring_space(&p->producer), TEST_RING_SIZE);
		free(p);
	}
}

/* A full ring whose indices straddle 2^32 is still recognised as full, not as corrupt. */
static void test_full_across_u32_wrap(void **state)
{
	struct ring_pair *p = pair_new(UINT32_MAX - 2047, TEST_MAX_PAYLOAD);

	(void)state;
	for (uint32_t n = 0; n < TEST_RING_SIZE / 512; n++)
		produce_seq(p, 504, n, 0);
	assert_int_equal(shared_tail(p), (uint32_t)(UINT32_MAX - 2047 + TEST_RING_SIZE));
	assert_int_equal(dxg_ring_space(&p->producer), 0);
	assert_int_equal(dxg_ring_available(&p->consumer), TEST_RING_SIZE);
	produce_seq(p, 1, 9, -EAGAIN);
	for (uint32_t n = 0; n < TEST_RING_SIZE / 512; n++)
		consume_seq(p, 504, n);
	free(p);
}

/* produce2 publishes a header and a body as one record without a staging copy. */
static void test_produce2_gather(void **state)
{
	struct ring_pair *p = pair_new(TEST_RING_SIZE - 16, TEST_MAX_PAYLOAD);
	unsigned char hdr[32], body[TEST_MAX_PAYLOAD], expect[132];

	(void)state;
	fill_pattern(hdr, sizeof(hdr), 1);
	fill_pattern(body, sizeof(body), 2);
	memcpy(expect, hdr, sizeof(hdr));
	memcpy(expect + sizeof(hdr), body, 100);

	/* Starts 16 bytes before the end: the header crosses the end of the data area. */
	assert_int_equal(dxg_ring_produce2(&p->producer, hdr, sizeof(hdr), body, 100), 0);
	assert_int_equal(dxg_ring_consume(&p->consumer, p->buf, sizeof(p->buf)), 132);
	assert_memory_equal(p->buf, expect, sizeof(expect));

	/* No body. */
	assert_int_equal(dxg_ring_produce2(&p->producer, hdr, sizeof(hdr), NULL, 0), 0);
	assert_int_equal(dxg_ring_consume(&p->consumer, p->buf, sizeof(p->buf)), 32);
	assert_memory_equal(p->buf, hdr, sizeof(hdr));

	/* Empty first part, body only. */
	assert_int_equal(dxg_ring_produce2(&p->producer, hdr, 0, body, 7), 0);
	assert_int_equal(dxg_ring_consume(&p->consumer, p->buf, sizeof(p->buf)), 7);
	assert_memory_equal(p->buf, body, 7);

	/* The sum of both parts is what max_payload limits, and it must not wrap around. */
	assert_int_equal(dxg_ring_produce2(&p->producer, hdr, 32, body, TEST_MAX_PAYLOAD - 31),
			 -EMSGSIZE);
	assert_int_equal(dxg_ring_produce2(&p->producer, hdr, UINT32_MAX, body, 2), -EMSGSIZE);
	assert_int_equal(dxg_ring_produce2(&p->producer, hdr, 2, body, UINT32_MAX), -EMSGSIZE);
	assert_int_equal(dxg_ring_produce2(&p->producer, hdr, 32, body, TEST_MAX_PAYLOAD - 32), 0);
	assert_int_equal(dxg_ring_consume(&p->consumer, p->buf, sizeof(p->buf)), TEST_MAX_PAYLOAD);
	assert_memory_equal(p->buf, hdr, 32);
	assert_memory_equal(p->buf + 32, body, TEST_MAX_PAYLOAD - 32);
	free(p);
}

static void test_max_payload(void **state)
{
	struct ring_pair *p = pair_new(0, TEST_MAX_PAYLOAD);
	uint32_t tail;

	(void)state;
	produce_seq(p, TEST_MAX_PAYLOAD, 0, 0);
	tail = shared_tail(p);
	produce_seq(p, TEST_MAX_PAYLOAD + 1, 1, -EMSGSIZE);
	assert_int_equal(dxg_ring_produce(&p->producer, p->buf, UINT32_MAX), -EMSGSIZE);
	assert_int_equal(shared_tail(p), tail);
	consume_seq(p, TEST_MAX_PAYLOAD, 0);

	/*
	 * The consumer enforces its own limit: a record longer than it accepts is a protocol
	 * violation even when the producer's (larger) limit allowed it.
	 */
	p->consumer.max_payload = 100;
	produce_seq(p, 101, 2, 0);
	assert_int_equal(dxg_ring_consume(&p->consumer, p->buf, sizeof(p->buf)), -EPROTO);
	assert_int_equal(shared_head(p), tail);
	free(p);
}

/* A caller buffer smaller than the record refuses the record instead of overflowing. */
static void test_small_buffer(void **state)
{
	struct ring_pair *p = pair_new(0, TEST_MAX_PAYLOAD);

	(void)state;
	produce_seq(p, 64, 0, 0);
	assert_int_equal(dxg_ring_consume(&p->consumer, p->buf, 63), -EPROTO);
	assert_int_equal(shared_head(p), 0);
	free(p);
}

static void test_zero_length(void **state)
{
	struct ring_pair *p = pair_new(0, TEST_MAX_PAYLOAD);

	(void)state;
	assert_int_equal(dxg_ring_produce(&p->producer, p->buf, 0), -EMSGSIZE);
	assert_int_equal(dxg_ring_produce2(&p->producer, p->buf, 0, p->buf, 0), -EMSGSIZE);
	assert_int_equal(shared_tail(p), 0);
	assert_int_equal(p->data[0], FILL_BYTE);
	free(p);
}

/* Padding after the payload is zeroed, so no stale ring bytes leak to the peer. */
static void test_padding_zeroed(void **state)
{
	struct ring_pair *p = pair_new(0, TEST_MAX_PAYLOAD);

	(void)state;
	for (uint32_t len = 1; len <= 16; len++) {
		uint32_t start = p->producer.local & (TEST_RING_SIZE - 1);
		uint32_t rec = dxg_ring_record_size(len);

		produce_seq(p, len, len, 0);
		assert_int_equal(p->data[start + 4], 0);	/* MBZ prefix word */
		assert_int_equal(p->data[start + 7], 0);
		for (uint32_t i = DXG_RING_PREFIX + len; i < rec; i++)
			assert_int_equal(p->data[start + i], 0);
		assert_int_equal(p->data[start + rec], FILL_BYTE);
		consume_seq(p, len, len);
	}
	free(p);
}

/* ---- notification suppression ---- */

static void test_consumer_sleep_handshake(void **state)
{
	struct ring_pair *p = pair_new(0, TEST_MAX_PAYLOAD);

	(void)state;
	/* Nobody sleeps: the producer need not kick. */
	produce_seq(p, 8, 0, 0);
	assert_false(dxg_ring_producer_should_kick(&p->producer));

	/* Something arrived: the consumer must not sleep (and it has announced it, then takes back). */
	assert_true(dxg_ring_consumer_prepare_sleep(&p->consumer));
	assert_int_equal(dxg_from_le32(p->ctrl.consumer_sleeping), 1);
	dxg_ring_consumer_wake(&p->consumer);
	assert_int_equal(p->ctrl.consumer_sleeping, 0);
	consume_seq(p, 8, 0);

	/* Empty: the consumer may sleep; from now on each publish must kick. */
	assert_false(dxg_ring_consumer_prepare_sleep(&p->consumer));
	assert_int_equal(dxg_from_le32(p->ctrl.consumer_sleeping), 1);
	produce_seq(p, 8, 1, 0);
	assert_true(dxg_ring_producer_should_kick(&p->producer));
	produce_seq(p, 8, 2, 0);
	assert_true(dxg_ring_producer_should_kick(&p->producer));

	/* Woken: the flag is cleared and the producer stops kicking. */
	dxg_ring_consumer_wake(&p->consumer);
	assert_false(dxg_ring_producer_should_kick(&p->producer));
	consume_seq(p, 8, 1);
	consume_seq(p, 8, 2);

	/* A corrupt tail also means "do not sleep": the caller must consume and see -EPROTO. */
	p->ctrl.tail = dxg_to_le32(3);
	assert_true(dxg_ring_consumer_prepare_sleep(&p->consumer));
	dxg_ring_consumer_wake(&p->consumer);
	free(p);
}

static void test_producer_wait_handshake(void **state)
{
	struct ring_pair *p = pair_new(0, TEST_MAX_PAYLOAD);
	uint32_t n;

	(void)state;
	assert_false(dxg_ring_consumer_should_kick(&p->consumer));
	for (n = 0; n < TEST_RING_SIZE / 512; n++)
		produce_seq(p, 504, n, 0);
	produce_seq(p, 504, n, -EAGAIN);

	/* Full: the producer may wait; the consumer, after freeing space, must kick it. */
	assert_false(dxg_ring_producer_prepare_wait(&p->producer, 512));
	assert_int_equal(dxg_from_le32(p->ctrl.producer_waiting), 1);
	consume_seq(p, 504, 0);
	assert_true(dxg_ring_consumer_should_kick(&p->consumer));

	/* Enough space now: prepare_wait says "do not sleep". */
	assert_true(dxg_ring_producer_prepare_wait(&p->producer, 512));
	/* But not for more than is free. */
	assert_false(dxg_ring_producer_prepare_wait(&p->producer, 1024));
	dxg_ring_producer_end_wait(&p->producer);
	assert_int_equal(p->ctrl.producer_waiting, 0);
	assert_false(dxg_ring_consumer_should_kick(&p->consumer));

	/* A corrupt head also means "do not sleep": the caller must produce and see -EPROTO. */
	p->ctrl.head = dxg_to_le32(TEST_RING_SIZE * 4);
	assert_true(dxg_ring_producer_prepare_wait(&p->producer, 512));
	dxg_ring_producer_end_wait(&p->producer);
	produce_seq(p, 8, 0, -EPROTO);
	free(p);
}

/* ---- hostile producer (seen by the consumer) ---- */

static void expect_consume_eproto(struct ring_pair *p)
{
	uint32_t head = shared_head(p);
	uint32_t local = p->consumer.local;

	assert_int_equal(dxg_ring_consume(&p->consumer, p->buf, sizeof(p->buf)), -EPROTO);
	assert_int_equal(shared_head(p), head);
	assert_int_equal(p->consumer.local, local);
}

static void test_hostile_tail(void **state)
{
	static const uint32_t bad_tails[] = {
		TEST_RING_SIZE + 8,	/* more than the ring holds */
		UINT32_MAX - 7,		/* behind the head: "negative" fill */
		0x80000000u,
		4, 1, 15,		/* not 8-aligned */
		TEST_RING_SIZE + 1,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad_tails) / sizeof(bad_tails[0]); i++) {
		struct ring_pair *p = pair_new(0, TEST_MAX_PAYLOAD);

		p->ctrl.tail = dxg_to_le32(bad_tails[i]);
		assert_int_equal(dxg_ring_available(&p->consumer), -EPROTO);
		expect_consume_eproto(p);
		free(p);
	}

	/* The same relative checks hold with indices near 2^32. */
	struct ring_pair *p = pair_new(UINT32_MAX - 15, TEST_MAX_PAYLOAD);

	p->ctrl.tail = dxg_to_le32(UINT32_MAX - 15 + TEST_RING_SIZE + 8);
	expect_consume_eproto(p);
	free(p);
}

static void test_hostile_prefix(void **state)
{
	struct ring_pair *p;

	(void)state;
	/* Length 0. */
	p = pair_new(0, TEST_MAX_PAYLOAD);
	poke_prefix(p, 0, 0, 0);
	p->ctrl.tail = dxg_to_le32(16);
	expect_consume_eproto(p);
	free(p);

	/* Longer than max_payload, with the tail covering it. */
	p = pair_new(0, TEST_MAX_PAYLOAD);
	poke_prefix(p, 0, TEST_MAX_PAYLOAD + 1, 0);
	p->ctrl.tail = dxg_to_le32(dxg_ring_record_size(TEST_MAX_PAYLOAD + 1));
	expect_consume_eproto(p);
	free(p);

	/* Huge lengths that would overflow a 32-bit record-size computation. */
	for (uint32_t len = UINT32_MAX - 8; len != 0; len++) {
		p = pair_new(0, TEST_MAX_PAYLOAD);
		poke_prefix(p, 0, len, 0);
		p->ctrl.tail = dxg_to_le32(16);
		expect_consume_eproto(p);
		free(p);
	}

	/* Longer than what was published (record runs past the tail). */
	p = pair_new(0, TEST_MAX_PAYLOAD);
	poke_prefix(p, 0, 9, 0);		/* needs 24 bytes */
	p->ctrl.tail = dxg_to_le32(16);
	expect_consume_eproto(p);
	free(p);

	/* Second record runs past the tail; the first is still delivered. */
	p = pair_new(0, TEST_MAX_PAYLOAD);
	produce_seq(p, 8, 0, 0);
	poke_prefix(p, 16, 100, 0);
	p->ctrl.tail = dxg_to_le32(16 + 16);
	consume_seq(p, 8, 0);
	expect_consume_eproto(p);
	free(p);

	/* Non-zero MBZ word. */
	for (uint32_t bit = 0; bit < 32; bit++) {
		p = pair_new(0, TEST_MAX_PAYLOAD);
		poke_prefix(p, 0, 8, 1u << bit);
		p->ctrl.tail = dxg_to_le32(16);
		expect_consume_eproto(p);
		free(p);
	}
}

/* ---- hostile consumer (seen by the producer) ---- */

static void expect_produce_eproto(struct ring_pair *p)
{
	uint32_t tail = shared_tail(p);
	unsigned char snapshot[TEST_RING_SIZE];

	memcpy(snapshot, p->data, sizeof(snapshot));
	assert_int_equal(dxg_ring_space(&p->producer), -EPROTO);
	produce_seq(p, 8, 0, -EPROTO);
	assert_int_equal(shared_tail(p), tail);
	assert_memory_equal(snapshot, p->data, sizeof(snapshot));
}

static void test_hostile_head(void **state)
{
	struct ring_pair *p;

	(void)state;
	/* Head beyond the tail. */
	p = pair_new(64, TEST_MAX_PAYLOAD);
	p->ctrl.head = dxg_to_le32(72);
	expect_produce_eproto(p);
	free(p);

	/* Head more than a ring behind the tail. */
	p = pair_new(TEST_RING_SIZE + 64, TEST_MAX_PAYLOAD);
	p->ctrl.head = dxg_to_le32(56);
	expect_produce_eproto(p);
	free(p);

	/* Misaligned head, otherwise plausible. */
	p = pair_new(64, TEST_MAX_PAYLOAD);
	p->ctrl.head = dxg_to_le32(60);
	expect_produce_eproto(p);
	free(p);

	/* Head beyond the tail across 2^32. */
	p = pair_new(UINT32_MAX - 7, TEST_MAX_PAYLOAD);
	p->ctrl.head = dxg_to_le32(8);
	expect_produce_eproto(p);
	free(p);
}

/* ---- attach ---- */

static void test_attach_bad_sizes(void **state)
{
	static const uint32_t bad_sizes[] = {
		0, 8, 2048, 4095, 4097, 3 * 4096, 4096 + 8, (1u << 30) + 4096, 1u << 31,
		UINT32_MAX,
	};
	static const uint32_t bad_max_payloads[] = {
		0,
		TEST_RING_SIZE / 2 - DXG_RING_PREFIX + 1,	/* record larger than half */
		TEST_RING_SIZE,
		UINT32_MAX - 7,		/* record size computation must not wrap to small */
		UINT32_MAX - 1,
		UINT32_MAX,
	};
	struct dxg_ring_ctrl ctrl __attribute__((aligned(64)));
	struct dxg_ring r;
	unsigned char data[1];

	(void)state;
	dxg_ring_format(&ctrl);
	for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		assert_int_equal(dxg_ring_attach(&r, &ctrl, data, bad_sizes[i], 64, true), -EINVAL);
		assert_int_equal(dxg_ring_attach(&r, &ctrl, data, bad_sizes[i], 64, false), -EINVAL);
	}
	for (size_t i = 0; i < sizeof(bad_max_payloads) / sizeof(bad_max_payloads[0]); i++) {
		assert_int_equal(dxg_ring_attach(&r, &ctrl, data, TEST_RING_SIZE,
						 bad_max_payloads[i], true), -EINVAL);
		assert_int_equal(dxg_ring_attach(&r, &ctrl, data, TEST_RING_SIZE,
						 bad_max_payloads[i], false), -EINVAL);
	}
	/* The limits themselves are fine. */
	assert_int_equal(dxg_ring_attach(&r, &ctrl, data, DXG_RING_MIN_SIZE,
					 DXG_RING_MIN_SIZE / 2 - DXG_RING_PREFIX, true), 0);
	assert_int_equal(dxg_ring_attach(&r, &ctrl, data, DXG_RING_MAX_SIZE, 1, false), 0);
	assert_int_equal(dxg_ring_attach(&r, &ctrl, data, DXG_RING_MAX_SIZE,
					 DXG_RING_MAX_SIZE / 2 - DXG_RING_PREFIX, false), 0);
}

static void test_attach_index(void **state)
{
	struct dxg_ring_ctrl ctrl __attribute__((aligned(64)));
	unsigned char data[TEST_RING_SIZE];
	struct dxg_ring r;

	(void)state;
	/* Each side picks up its own published index, and only its own is checked. */
	dxg_ring_format(&ctrl);
	ctrl.tail = dxg_to_le32(0x1234);
	ctrl.head = dxg_to_le32(0x1000);
	assert_int_equal(dxg_ring_attach(&r, &ctrl, data, TEST_RING_SIZE, 64, false), 0);
	assert_int_equal(r.local, 0x1000);
	assert_int_equal(dxg_ring_attach(&r, &ctrl, data, TEST_RING_SIZE, 64, true), -EPROTO);

	ctrl.tail = dxg_to_le32(0x1238);
	assert_int_equal(dxg_ring_attach(&r, &ctrl, data, TEST_RING_SIZE, 64, true), 0);
	assert_int_equal(r.local, 0x1238);
	assert_int_equal(dxg_ring_attach(&r, &ctrl, data, TEST_RING_SIZE, 64, false), 0);
	assert_int_equal(r.local, 0x1000);

	ctrl.head = dxg_to_le32(0x1001);
	assert_int_equal(dxg_ring_attach(&r, &ctrl, data, TEST_RING_SIZE, 64, false), -EPROTO);
	assert_int_equal(dxg_ring_attach(&r, &ctrl, data, TEST_RING_SIZE, 64, true), 0);
}

/* A freshly formatted ring is all zero: indices, flags and padding. */
static void test_format(void **state)
{
	struct dxg_ring_ctrl ctrl;
	static const struct dxg_ring_ctrl zero;

	(void)state;
	memset(&ctrl, 0xff, sizeof(ctrl));
	dxg_ring_format(&ctrl);
	assert_memory_equal(&ctrl, &zero, sizeof(ctrl));
	assert_int_equal(offsetof(struct dxg_ring_ctrl, head) % 64, 0);
	assert_int_equal(offsetof(struct dxg_ring_ctrl, consumer_sleeping) % 64, 0);
	assert_int_equal(offsetof(struct dxg_ring_ctrl, producer_waiting) % 64, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_produce_consume_one),
		cmocka_unit_test(test_record_size),
		cmocka_unit_test(test_full_ring),
		cmocka_unit_test(test_exact_fit),
		cmocka_unit_test(test_wrap_every_offset),
		cmocka_unit_test(test_index_wrap_u32),
		cmocka_unit_test(test_full_across_u32_wrap),
		cmocka_unit_test(test_produce2_gather),
		cmocka_unit_test(test_max_payload),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_zero_length),
		cmocka_unit_test(test_padding_zeroed),
		cmocka_unit_test(test_consumer_sleep_handshake),
		cmocka_unit_test(test_producer_wait_handshake),
		cmocka_unit_test(test_hostile_tail),
		cmocka_unit_test(test_hostile_prefix),
		cmocka_unit_test(test_hostile_head),
		cmocka_unit_test(test_attach_bad_sizes),
		cmocka_unit_test(test_attach_index),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
