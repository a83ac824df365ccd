/* SPDX-License-Identifier: MIT */
/*
 * Ring stress test: one producer thread and one consumer thread push millions of records of
 * varying sizes through include/opendxg/ring.h and the consumer checks that none is lost,
 * duplicated, reordered or damaged.
 *
 * Both sides use the notification-suppression protocol for real: the consumer sleeps when the
 * ring is empty, the producer sleeps when it is full, and each wakes the other only when the
 * peer's flag says it sleeps. Every sleep is a futex wait or a blocking eventfd read WITHOUT a
 * timeout, so a lost wake-up hangs the test and the meson test timeout turns the hang into a
 * failure. Counting kicks and sleeps shows that both paths were exercised.
 *
 * Variants (each a separate ring):
 *   heap-futex     ring in ordinary memory, private futexes
 *   memfd-futex    ring in a memfd mapped twice: producer and consumer use different mappings of
 *                  the same pages, as the guest and the host do; shared futexes in the memfd
 *   small-eventfd  the smallest ring (4 KiB) with 256-byte payloads, so wrap-around and "full"
 *                  happen all the time; eventfds
 *
 * Usage: ring_stress [--messages N] [--spin N]  (N messages for heap-futex, N/2 for
 * memfd-futex, N/4 for small-eventfd, whose every message costs a system call)
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <opendxg/ring.h>

#define MIN_PAYLOAD 8u
#define MAX_PAYLOAD 256u
#define DEFAULT_MESSAGES 10000000ull
/* The consumer re-checks the ring for this many pause loops before it announces that it sleeps. */
#define DEFAULT_SPIN 64u
/* The consumer gives space back to a waiting producer at least this often, not only when empty. */
#define KICK_CHECK_EVERY 16u

enum wake_kind { WAKE_FUTEX_PRIVATE, WAKE_FUTEX_SHARED, WAKE_EVENTFD };

/*
 * One direction of wake-ups. For futexes the word is a counter: the waiter samples it *before*
 * the suppression re-check, the kicker bumps it before FUTEX_WAKE, so a kick that races with the
 * waiter makes FUTEX_WAIT return at once instead of being lost. An eventfd keeps its count by
 * itself.
 */
struct waker {
	enum wake_kind kind;
	uint32_t *wait_word;	/* the waiter's view of the counter */
	uint32_t *kick_word;	/* the kicker's view: another mapping of the same word for memfd */
	int efd;
};

struct stats {
	uint64_t messages;
	uint64_t bytes;
	uint64_t kicks;		/* wake-ups sent to the peer */
	uint64_t sleeps;	/* waits entered */
	uint64_t no_sleep;	/* re-check after announcing found work: sleep skipped */
};

struct variant {
	const char *name;
	struct dxg_ring producer;
	struct dxg_ring consumer;
	struct waker data_ready;	/* producer -> consumer */
	struct waker space_free;	/* consumer -> producer */
	uint64_t messages;
	unsigned int spin;
	struct stats prod;
	struct stats cons;
};

__attribute__((noreturn)) static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
}

static uint32_t waker_arm(const struct waker *w)
{
	if (w->kind == WAKE_EVENTFD)
		return 0;
	return __atomic_load_n(w->wait_word, __ATOMIC_SEQ_CST);
}

static void waker_wait(const struct waker *w, uint32_t token)
{
	uint64_t value;

	if (w->kind == WAKE_EVENTFD) {
		if (read(w->efd, &value, sizeof(value)) != sizeof(value) && errno != EINTR)
			die("eventfd read");
		return;
	}
	/* No timeout on purpose: a lost wake-up must hang. EAGAIN = a kick came after arming. */
	if (syscall(SYS_futex, w->wait_word,
		    w->kind == WAKE_FUTEX_PRIVATE ? FUTEX_WAIT_PRIVATE : FUTEX_WAIT,
		    token, NULL, NULL, 0) < 0 && errno != EAGAIN && errno != EINTR)
		die("futex wait");
}

static void waker_kick(const struct waker *w)
{
	uint64_t one = 1;

	if (w->kind == WAKE_EVENTFD) {
		if (write(w->efd, &one, sizeof(one)) != sizeof(one))
			die("eventfd write");
		return;
	}
	__atomic_fetch_add(w->kick_word, 1, __ATOMIC_SEQ_CST);
	if (syscall(SYS_futex, w->kick_word,
		    w->kind == WAKE_FUTEX_PRIVATE ? FUTEX_WAKE_PRIVATE : FUTEX_WAKE,
		    1, NULL, NULL, 0) < 0)
		die("futex wake");
}

static uint32_t message_len(uint64_t seq)
{
	uint64_t mix = seq * 0x9E3779B97F4A7C15ull;

	return MIN_PAYLOAD + (uint32_t)((mix >> 40) % (MAX_PAYLOAD - MIN_PAYLOAD + 1));
}

/* Payload: the sequence number, then 64-bit words derived from it (the tail word cut short). */
static void message_fill(unsigned char *buf, uint64_t seq, uint32_t len)
{
	uint64_t le = htole64(seq);

	memcpy(buf, &le, sizeof(le));
	for (uint32_t off = 8, k = 1; off < len; off += 8, k++) {
		uint64_t word = htole64((seq * 0xD1B54A32D192ED03ull) ^ (k * 0x94D049BB133111EBull));
		uint32_t n = len - off < 8 ? len - off : 8;

		memcpy(buf + off, &word, n);
	}
}

static void *producer_main(void *arg)
{
	struct variant *v = arg;
	unsigned char msg[MAX_PAYLOAD];

	for (uint64_t seq = 0; seq < v->messages; seq++) {
		uint32_t len = message_len(seq);
		int ret;

		message_fill(msg, seq, len);
		while ((ret = dxg_ring_produce(&v->producer, msg, len)) == -EAGAIN) {
			uint32_t token = waker_arm(&v->space_free);

			if (dxg_ring_producer_prepare_wait(&v->producer, dxg_ring_record_size(len))) {
				v->prod.no_sleep++;
			} else {
				v->prod.sleeps++;
				waker_wait(&v->space_free, token);
			}
			dxg_ring_producer_end_wait(&v->producer);
		}
		if (ret) {
			fprintf(stderr, "%s: produce seq %" PRIu64 ": %s\n", v->name, seq,
				strerror(-ret));
			exit(1);
		}
		v->prod.messages++;
		v->prod.bytes += len;
		if (dxg_ring_producer_should_kick(&v->producer)) {
			v->prod.kicks++;
			waker_kick(&v->data_ready);
		}
	}
	return NULL;
}

static void consumer_check(const struct variant *v, uint64_t expect, const unsigned char *got,
			   int len)
{
	unsigned char want[MAX_PAYLOAD];
	uint64_t seq;

	memcpy(&seq, got, sizeof(seq));
	seq = le64toh(seq);
	if (seq != expect || (uint32_t)len != message_len(expect)) {
		fprintf(stderr, "%s: expected seq %" PRIu64 " (len %u), got seq %" PRIu64
			" (len %d): message lost, duplicated or reordered\n",
			v->name, expect, message_len(expect), seq, len);
		exit(1);
	}
	message_fill(want, expect, (uint32_t)len);
	if (memcmp(want, got, (size_t)len) != 0) {
		fprintf(stderr, "%s: seq %" PRIu64 ": payload damaged\n", v->name, expect);
		exit(1);
	}
}

static bool consumer_spin(struct variant *v)
{
	for (unsigned int i = 0; i < v->spin; i++) {
		if (dxg_ring_available(&v->consumer) != 0)
			return true;
		cpu_relax();
	}
	return false;
}

static void *consumer_main(void *arg)
{
	struct variant *v = arg;
	unsigned char buf[MAX_PAYLOAD];
	uint64_t expect = 0;
	unsigned int since_kick_check = 0;

	while (expect < v->messages) {
		int len = dxg_ring_consume(&v->consumer, buf, sizeof(buf));

		if (len > 0) {
			consumer_check(v, expect, buf, len);
			expect++;
			v->cons.messages++;
			v->cons.bytes += (uint64_t)len;
			if (++since_kick_check < KICK_CHECK_EVERY)
				continue;
		} else if (len < 0) {
			fprintf(stderr, "%s: consume after seq %" PRIu64 ": %s\n", v->name, expect,
				strerror(-len));
			exit(1);
		}
		/* Space was given back (or the ring is drained): wake a producer waiting for it. */
		since_kick_check = 0;
		if (dxg_ring_consumer_should_kick(&v->consumer)) {
			v->cons.kicks++;
			waker_kick(&v->space_free);
		}
		if (len > 0 || consumer_spin(v))
			continue;

		uint32_t token = waker_arm(&v->data_ready);

		if (dxg_ring_consumer_prepare_sleep(&v->consumer)) {
			v->cons.no_sleep++;
		} else {
			v->cons.sleeps++;
			waker_wait(&v->data_ready, token);
		}
		dxg_ring_consumer_wake(&v->consumer);
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_variant(struct variant *v)
{
	pthread_t prod, cons;
	double start = now_s(), elapsed;
	int ret;

	if ((ret = pthread_create(&cons, NULL, consumer_main, v)) != 0 ||
	    (ret = pthread_create(&prod, NULL, producer_main, v)) != 0) {
		fprintf(stderr, "pthread_create: %s\n", strerror(ret));
		return 1;
	}
	pthread_join(prod, NULL);
	pthread_join(cons, NULL);
	elapsed = now_s() - start;

	printf("%-14s ring %6u B  messages %10" PRIu64 "  bytes %11" PRIu64 "  %5.2f s\n"
	       "               producer: kicks %9" PRIu64 "  sleeps %9" PRIu64
	       "  skipped sleeps %8" PRIu64 "\n"
	       "               consumer: kicks %9" PRIu64 "  sleeps %9" PRIu64
	       "  skipped sleeps %8" PRIu64 "\n",
	       v->name, v->producer.size, v->cons.messages, v->cons.bytes, elapsed,
	       v->prod.kicks, v->prod.sleeps, v->prod.no_sleep,
	       v->cons.kicks, v->cons.sleeps, v->cons.no_sleep);

	if (v->cons.messages != v->messages || v->prod.messages != v->messages ||
	    v->cons.bytes != v->prod.bytes) {
		fprintf(stderr, "%s: counts differ\n", v->name);
		return 1;
	}
	if (dxg_ring_available(&v->consumer) != 0 ||
	    dxg_ring_space(&v->producer) != (int64_t)v->producer.size) {
		fprintf(stderr, "%s: ring not empty at the end\n", v->name);
		return 1;
	}
	return 0;
}

static void attach_both(struct variant *v, struct dxg_ring_ctrl *pctrl, void *pdata,
			struct dxg_ring_ctrl *cctrl, void *cdata, uint32_t size)
{
	dxg_ring_format(pctrl);
	if (dxg_ring_attach(&v->producer, pctrl, pdata, size, MAX_PAYLOAD, true) ||
	    dxg_ring_attach(&v->consumer, cctrl, cdata, size, MAX_PAYLOAD, false)) {
		fprintf(stderr, "%s: attach failed\n", v->name);
		exit(1);
	}
}

/* Ring in ordinary memory; private futex words in the same allocation. */
static int run_heap_futex(uint64_t messages, unsigned int spin)
{
	const uint32_t size = 64 * 1024;
	struct variant v = { .name = "heap-futex", .messages = messages, .spin = spin };
	unsigned char *mem = aligned_alloc(4096, 4096 + size);
	int ret;

	if (!mem)
		die("aligned_alloc");
	memset(mem, 0, 4096 + size);
	attach_both(&v, (void *)mem, mem + 4096, (void *)mem, mem + 4096, size);
	v.data_ready = (struct waker){ WAKE_FUTEX_PRIVATE, (uint32_t *)(mem + 1024),
				       (uint32_t *)(mem + 1024), -1 };
	v.space_free = (struct waker){ WAKE_FUTEX_PRIVATE, (uint32_t *)(mem + 1088),
				       (uint32_t *)(mem + 1088), -1 };
	ret = run_variant(&v);
	free(mem);
	return ret;
}

/*
 * Ring in a memfd mapped twice: the producer only touches mapping A, the consumer only mapping B.
 * Shared (not private) futexes, because the two sides wait and wake through different addresses.
 */
static int run_memfd_futex(uint64_t messages, unsigned int spin)
{
	const uint32_t size = 64 * 1024;
	const size_t total = 4096 + size;
	struct variant v = { .name = "memfd-futex", .messages = messages, .spin = spin };
	unsigned char *a, *b;
	int fd, ret;

	fd = memfd_create("ring-stress", MFD_CLOEXEC);
	if (fd < 0)
		die("memfd_create");
	if (ftruncate(fd, (off_t)total) < 0)
		die("ftruncate");
	a = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	b = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (a == MAP_FAILED || b == MAP_FAILED)
		die("mmap");
	if (a == b) {
		fprintf(stderr, "memfd-futex: both mappings at one address\n");
		return 1;
	}
	attach_both(&v, (void *)a, a + 4096, (void *)b, b + 4096, size);
	/* The consumer waits on B's view of a word the producer bumps through A, and vice versa. */
	v.data_ready = (struct waker){ WAKE_FUTEX_SHARED, (uint32_t *)(b + 1024),
				       (uint32_t *)(a + 1024), -1 };
	v.space_free = (struct waker){ WAKE_FUTEX_SHARED, (uint32_t *)(a + 1088),
				       (uint32_t *)(b + 1088), -1 };
	ret = run_variant(&v);
	munmap(a, total);
	munmap(b, total);
	close(fd);
	return ret;
}

/* The smallest ring: a 264-byte record takes 1/16 of it, so it wraps and fills constantly. */
static int run_small_eventfd(uint64_t messages, unsigned int spin)
{
	const uint32_t size = DXG_RING_MIN_SIZE;
	struct variant v = { .name = "small-eventfd", .messages = messages, .spin = spin };
	unsigned char *mem = aligned_alloc(4096, 4096 + size);
	int ret;

	if (!mem)
		die("aligned_alloc");
	memset(mem, 0, 4096 + size);
	attach_both(&v, (void *)mem, mem + 4096, (void *)mem, mem + 4096, size);
	v.data_ready = (struct waker){ WAKE_EVENTFD, NULL, NULL, eventfd(0, EFD_CLOEXEC) };
	v.space_free = (struct waker){ WAKE_EVENTFD, NULL, NULL, eventfd(0, EFD_CLOEXEC) };
	if (v.data_ready.efd < 0 || v.space_free.efd < 0)
		die("eventfd");
	ret = run_variant(&v);
	close(v.data_ready.efd);
	close(v.space_free.efd);
	free(mem);
	return ret;
}

__attribute__((noreturn)) static void usage(void)
{
	fprintf(stderr, "usage: ring_stress [--messages N] [--spin N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t messages = DEFAULT_MESSAGES;
	unsigned int spin = DEFAULT_SPIN;
	int failed = 0;

	for (int i = 1; i < argc; i++) {
		char *end;

		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--messages") == 0)
			messages = strtoull(argv[++i], &end, 0);
		else if (strcmp(argv[i], "--spin") == 0)
			spin = (unsigned int)strtoul(argv[++i], &end, 0);
		else
			usage();
		if (*end)
			usage();
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	failed |= run_heap_futex(messages, spin);
	failed |= run_memfd_futex(messages / 2, spin);
	failed |= run_small_eventfd(messages / 4, spin);
	printf("%s\n", failed ? "FAIL" : "ok");
	return failed;
}
