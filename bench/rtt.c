/* SPDX-License-Identifier: MIT */
/*
 * dxg-bench-rtt: null request round trip through dxgd, next to the raw shared-memory ping-pong it
 * is built on, in one run, so the ratio between the two says what dxgd's own work costs.
 *
 *   raw   two processes, one memfd with a request ring and a reply ring from ring.h, 32-byte
 *         records (the size of a NOP and its reply); the server flips the reply flag and sends
 *         the record back. This is the floor: the transport and nothing else.
 *   dxgd  the user-space guest (lib/uguest) sends DXGW_OP_NOP to a dxgd this program starts and
 *         waits for the reply: the same transport plus dxgd's worker loop, decoder and dispatcher.
 *
 * Each runs in two wake-up modes:
 *   block  both sides sleep when idle (eventfd + the rings' suppression handshake)
 *   spin   the client busy-polls. The raw server busy-polls too; dxgd's worker does so only when
 *          dxgd can pass a poll interval to it (see docs/bench.md), otherwise it sleeps on its
 *          eventfd and the table says so.
 * and with a fixed placement: the client on one CPU, the server (raw server, or dxgd and its
 * worker) on the same CPU or on another one. A blocking round trip is two wake-ups, and a wake-up
 * is a context switch on one CPU but an inter-processor interrupt (on an idle machine, also a CPU
 * leaving its idle state) across two: an order of magnitude apart. Left to the scheduler, each path
 * would land on either at random and their ratio would mean nothing. Rows: block on one CPU,
 * block on two CPUs, spin on two CPUs (spinning on one CPU only measures the time slice).
 *
 * Output: median, p90 and p99 per path and mode, in microseconds, and opendxg/raw ratios. No
 * thresholds: this is a measurement, not a test. docs/bench.md explains how to read it.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <opendxg/ring.h>
#include <opendxg/wire.h>

#include "bench_dxgd.h"
#include "uguest.h"

#define DEFAULT_ITERATIONS 20000u
#define DEFAULT_WARMUP 2000u
#define RAW_RING_SIZE (256u * 1024u)	/* dxgd's ring size for small regions */
#define RAW_MAX_PAYLOAD 4096u
#define RAW_OP_STOP 0xffffu
#define SERVER_IDLE_TIMEOUT_MS 60000
#define WORKER_POLL_US "50"

enum mode { MODE_BLOCK, MODE_SPIN };
static const char *const mode_names[] = { "block", "spin" };

/* One row of the table: a wake-up mode and whether client and server share a CPU. */
struct config {
	enum mode mode;
	bool two_cpus;
	const char *label;
};

static const struct config configs[] = {
	{ MODE_BLOCK, false, "block/1cpu" },
	{ MODE_BLOCK, true, "block/2cpu" },
	{ MODE_SPIN, true, "spin/2cpu" },
};
#define CONFIG_COUNT (sizeof(configs) / sizeof(configs[0]))

/* The CPUs a row runs on: the client's and the server's (the same one for 1cpu rows). */
struct placement {
	int client_cpu;
	int server_cpu;
};

struct summary {
	double median_us;
	double p90_us;
	double p99_us;
	double mean_us;
};

struct options {
	const char *dxgd;
	unsigned iterations;
	unsigned warmup;
	bool json;
	bool run_mode[2];
};

/* ---- statistics ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted samples. */
static double percentile_us(const uint64_t *sorted, unsigned n, unsigned pct)
{
	unsigned rank = (unsigned)(((uint64_t)pct * n + 99) / 100);

	if (rank == 0)
		rank = 1;
	return (double)sorted[rank - 1] / 1000.0;
}

static struct summary summarize(uint64_t *samples, unsigned n)
{
	struct summary s;
	double sum = 0;

	qsort(samples, n, sizeof(*samples), cmp_u64);
	for (unsigned i = 0; i < n; i++)
		sum += (double)samples[i];
	s.median_us = percentile_us(samples, n, 50);
	s.p90_us = percentile_us(samples, n, 90);
	s.p99_us = percentile_us(samples, n, 99);
	s.mean_us = sum / n / 1000.0;
	return s;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
}

/* ---- raw shared-memory ping-pong ---- */

struct raw_pair {
	unsigned char *mem;
	size_t size;
	int to_server;		/* eventfd: client -> server */
	int to_client;		/* eventfd: server -> client */
	pid_t server;
	enum mode mode;
	struct dxg_ring req, rep;	/* this process's views */
};

static void kick(int efd)
{
	uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
		perror("eventfd write");
		exit(1);
	}
}

/*
 * Sleeps until `efd` is readable (the caller announced its sleep and re-checked). Returns false
 * after `timeout_ms` without a kick.
 */
static bool sleep_on(int efd, int timeout_ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t value;
	int n;

	do {
		n = poll(&pfd, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return false;
	if (read(efd, &value, sizeof(value)) < 0 && errno != EAGAIN)
		return false;
	return true;
}

static void raw_attach(struct raw_pair *p, bool server)
{
	unsigned char *req_ctrl = p->mem, *rep_ctrl = p->mem + 256;
	unsigned char *req_data = p->mem + 4096, *rep_data = req_data + RAW_RING_SIZE;

	if (dxg_ring_attach(&p->req, (void *)req_ctrl, req_data, RAW_RING_SIZE, RAW_MAX_PAYLOAD,
			    !server) ||
	    dxg_ring_attach(&p->rep, (void *)rep_ctrl, rep_data, RAW_RING_SIZE, RAW_MAX_PAYLOAD,
			    server)) {
		fprintf(stderr, "raw: ring attach failed\n");
		exit(1);
	}
}

/* The server: the same duties as dxgd's worker loop, minus decoding and dispatching. */
__attribute__((noreturn)) static void raw_server(struct raw_pair *p)
{
	unsigned char buf[RAW_MAX_PAYLOAD];

	raw_attach(p, true);
	for (;;) {
		int n = dxg_ring_consume(&p->req, buf, sizeof(buf));

		if (n > 0) {
			struct dxgw_hdr h;

			memcpy(&h, buf, sizeof(h));
			if (dxg_from_le16(h.opcode) == RAW_OP_STOP)
				_exit(0);
			h.flags = dxg_to_le16(DXGW_FLAG_REPLY);
			memcpy(buf, &h, sizeof(h));
			/* The client keeps one request in flight: the reply ring always has room. */
			if (dxg_ring_produce(&p->rep, buf, (uint32_t)n))
				_exit(1);
			/* Like dxgd's worker: one kick for "reply published" and "space freed". */
			if (dxg_ring_producer_should_kick(&p->rep) ||
			    dxg_ring_consumer_should_kick(&p->req))
				kick(p->to_client);
			continue;
		}
		if (n < 0)
			_exit(1);
		if (p->mode == MODE_SPIN) {
			cpu_relax();
			continue;
		}
		if (!dxg_ring_consumer_prepare_sleep(&p->req) &&
		    !sleep_on(p->to_server, SERVER_IDLE_TIMEOUT_MS))
			_exit(2);
		dxg_ring_consumer_wake(&p->req);
	}
}

static int raw_start(struct raw_pair *p, enum mode mode, int server_cpu)
{
	int fd;

	memset(p, 0, sizeof(*p));
	p->mode = mode;
	p->size = 4096 + 2 * (size_t)RAW_RING_SIZE;
	fd = memfd_create("dxg-bench-raw", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)p->size) < 0)
		return -errno;
	p->mem = mmap(NULL, p->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p->mem == MAP_FAILED)
		return -errno;
	dxg_ring_format((void *)p->mem);
	dxg_ring_format((void *)(p->mem + 256));
	p->to_server = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->to_client = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->to_server < 0 || p->to_client < 0)
		return -errno;
	p->server = fork();
	if (p->server < 0)
		return -errno;
	if (p->server == 0) {
		if (bench_pin_to_cpu(server_cpu))
			_exit(126);
		raw_server(p);
	}
	raw_attach(p, false);
	return 0;
}

static int raw_send(struct raw_pair *p, uint16_t opcode, uint64_t id)
{
	struct dxgw_hdr h = {
		.size = dxg_to_le32(sizeof(h)),
		.opcode = dxg_to_le16(opcode),
		.request_id = dxg_to_le64(id),
	};
	int ret = dxg_ring_produce(&p->req, &h, sizeof(h));

	if (ret)
		return ret;
	if (dxg_ring_producer_should_kick(&p->req))
		kick(p->to_server);
	return 0;
}

/* One NOP-shaped round trip; the reply's id and flag are checked like uguest does. */
static int raw_round_trip(struct raw_pair *p, uint64_t id)
{
	unsigned char buf[RAW_MAX_PAYLOAD];
	int ret = raw_send(p, DXGW_OP_NOP, id);

	if (ret)
		return ret;
	for (;;) {
		int n = dxg_ring_consume(&p->rep, buf, sizeof(buf));

		if (n > 0) {
			struct dxgw_hdr h;

			memcpy(&h, buf, sizeof(h));
			if ((uint32_t)n != sizeof(h) || dxg_from_le64(h.request_id) != id ||
			    dxg_from_le16(h.flags) != DXGW_FLAG_REPLY)
				return -EPROTO;
			return 0;
		}
		if (n < 0)
			return n;
		if (p->mode == MODE_SPIN) {
			cpu_relax();
			continue;
		}
		if (!dxg_ring_consumer_prepare_sleep(&p->rep) &&
		    !sleep_on(p->to_client, SERVER_IDLE_TIMEOUT_MS))
			return -ETIMEDOUT;
		dxg_ring_consumer_wake(&p->rep);
	}
}

static void raw_stop(struct raw_pair *p)
{
	int status;

	if (p->server > 0) {
		if (raw_send(p, RAW_OP_STOP, 0) != 0)
			kill(p->server, SIGKILL);
		waitpid(p->server, &status, 0);
	}
	if (p->mem && p->mem != MAP_FAILED)
		munmap(p->mem, p->size);
	close(p->to_server);
	close(p->to_client);
}

static int bench_raw(enum mode mode, const struct placement *pl, const struct options *o,
		     uint64_t *samples)
{
	struct raw_pair p;
	int ret = raw_start(&p, mode, pl->server_cpu);

	for (unsigned i = 0; !ret && i < o->warmup; i++)
		ret = raw_round_trip(&p, i + 1);
	for (unsigned i = 0; !ret && i < o->iterations; i++) {
		uint64_t t0 = now_ns();

		ret = raw_round_trip(&p, o->warmup + i + 1);
		samples[i] = now_ns() - t0;
	}
	raw_stop(&p);
	if (ret)
		fprintf(stderr, "raw %s: %s\n", mode_names[mode], strerror(-ret));
	return ret;
}

/* ---- dxgd through the user-space guest ---- */

/* True when `dxgd --help` mentions `option` (the bench adapts to what the daemon offers). */
static bool dxgd_has_option(const char *exe, const char *option)
{
	char cmd[PATH_MAX + 64], line[512];
	bool found = false;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "'%s' --help 2>&1", exe);
	f = popen(cmd, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, option))
			found = true;
	pclose(f);
	return found;
}

static int bench_dxgd(const char *exe, enum mode mode, bool worker_polls,
		      const struct placement *pl, const struct options *o, uint64_t *samples)
{
	struct uguest_options uo = {
		.wait_mode = mode == MODE_SPIN ? UGUEST_WAIT_SPIN : UGUEST_WAIT_BLOCK,
	};
	const char *poll_args[] = { "--worker-poll-us", WORKER_POLL_US, NULL };
	struct bench_dxgd d;
	struct uguest *g = NULL;
	int ret;

	ret = bench_dxgd_start(&d, exe, "8M", worker_polls ? poll_args : NULL, pl->server_cpu);
	if (!ret)
		ret = uguest_connect(d.vm_socket, &uo, &g);
	for (unsigned i = 0; !ret && i < o->warmup; i++)
		ret = uguest_nop(g);
	for (unsigned i = 0; !ret && i < o->iterations; i++) {
		uint64_t t0 = now_ns();

		ret = uguest_nop(g);
		samples[i] = now_ns() - t0;
	}
	uguest_close(g);
	bench_dxgd_stop(&d);
	if (ret)
		fprintf(stderr, "dxgd %s: %s\n", mode_names[mode], strerror(-ret));
	return ret;
}

/* ---- driver ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dxg-bench-rtt [--dxgd PATH] [--iterations N] [--warmup N] [--mode block|spin]\n"
		"                     [--json]\n"
		"Null request round trip through dxgd (user-space guest, DXGW_OP_NOP) next to a raw\n"
		"shared-memory ping-pong, in blocking and spinning wake-up modes. Reports median, p90\n"
		"and p99 in microseconds and the opendxg/raw ratios. See docs/bench.md.\n");
}

static bool parse_count(const char *s, unsigned min, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s < '0' || *s > '9' || *end || v < min || v > 100000000ul)
		return false;
	*out = (unsigned)v;
	return true;
}

static bool parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_DXGD = 256, OPT_ITERATIONS, OPT_WARMUP, OPT_MODE, OPT_JSON };
	static const struct option longopts[] = {
		{ "dxgd", required_argument, NULL, OPT_DXGD },
		{ "iterations", required_argument, NULL, OPT_ITERATIONS },
		{ "warmup", required_argument, NULL, OPT_WARMUP },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct options){
		.iterations = DEFAULT_ITERATIONS,
		.warmup = DEFAULT_WARMUP,
		.run_mode = { true, true },
	};
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DXGD:
			o->dxgd = optarg;
			break;
		case OPT_ITERATIONS:
			if (!parse_count(optarg, 1, &o->iterations))
				return false;
			break;
		case OPT_WARMUP:
			if (!parse_count(optarg, 0, &o->warmup))
				return false;
			break;
		case OPT_MODE:
			if (strcmp(optarg, "block") == 0)
				o->run_mode[MODE_SPIN] = false;
			else if (strcmp(optarg, "spin") == 0)
				o->run_mode[MODE_BLOCK] = false;
			else
				return false;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return false;
		}
	}
	return optind == argc;
}

struct result {
	bool done;
	bool worker_polls;
	struct placement cpus;
	struct summary raw, dxgd;
};

static void print_table(const struct options *o, const struct result *r, const char *exe)
{
	bool spin_without_worker_poll = false;

	printf("opendxg null round trip: %u iterations after %u warm-up, microseconds\n",
	       o->iterations, o->warmup);
	printf("dxgd: %s\n\n", exe);
	printf("%-11s %-14s %9s %9s %9s %9s\n", "mode", "path", "median", "p90", "p99", "mean");
	for (size_t c = 0; c < CONFIG_COUNT; c++) {
		const char *label = configs[c].label;

		if (!r[c].done)
			continue;
		printf("%-11s %-14s %9.2f %9.2f %9.2f %9.2f\n", label, "raw shm",
		       r[c].raw.median_us, r[c].raw.p90_us, r[c].raw.p99_us, r[c].raw.mean_us);
		printf("%-11s %-14s %9.2f %9.2f %9.2f %9.2f\n", label, "dxgd (uguest)",
		       r[c].dxgd.median_us, r[c].dxgd.p90_us, r[c].dxgd.p99_us, r[c].dxgd.mean_us);
		printf("%-11s %-14s %9.2f %9.2f %9.2f %9.2f\n\n", label, "ratio dxgd/raw",
		       r[c].dxgd.median_us / r[c].raw.median_us, r[c].dxgd.p90_us / r[c].raw.p90_us,
		       r[c].dxgd.p99_us / r[c].raw.p99_us, r[c].dxgd.mean_us / r[c].raw.mean_us);
		if (configs[c].mode == MODE_SPIN && !r[c].worker_polls)
			spin_without_worker_poll = true;
	}
	for (size_t c = 0; c < CONFIG_COUNT; c++)
		if (r[c].done)
			printf("%s: client on CPU %d, server on CPU %d\n", configs[c].label,
			       r[c].cpus.client_cpu, r[c].cpus.server_cpu);
	if (spin_without_worker_poll)
		printf("note: spin mode: dxgd offers no --worker-poll-us, so only the client spins;\n"
		       "      dxgd's worker still sleeps on its eventfd (the raw server spins).\n");
}

static void print_summary_json(const char *name, const struct summary *s, const char *tail)
{
	printf("      \"%s\": { \"median_us\": %.3f, \"p90_us\": %.3f, \"p99_us\": %.3f, "
	       "\"mean_us\": %.3f }%s\n", name, s->median_us, s->p90_us, s->p99_us, s->mean_us, tail);
}

static void print_json(const struct options *o, const struct result *r)
{
	bool first = true;

	printf("{\n  \"benchmark\": \"null_round_trip\",\n  \"iterations\": %u,\n"
	       "  \"warmup\": %u,\n  \"modes\": [\n", o->iterations, o->warmup);
	for (size_t c = 0; c < CONFIG_COUNT; c++) {
		if (!r[c].done)
			continue;
		printf("%s    {\n      \"mode\": \"%s\",\n      \"cpus\": %d,\n"
		       "      \"client_cpu\": %d,\n      \"server_cpu\": %d,\n"
		       "      \"dxgd_worker_polls\": %s,\n",
		       first ? "" : ",\n", mode_names[configs[c].mode], configs[c].two_cpus ? 2 : 1,
		       r[c].cpus.client_cpu, r[c].cpus.server_cpu,
		       r[c].worker_polls ? "true" : "false");
		print_summary_json("raw", &r[c].raw, ",");
		print_summary_json("dxgd", &r[c].dxgd, ",");
		printf("      \"ratio\": { \"median\": %.3f, \"p90\": %.3f, \"p99\": %.3f, "
		       "\"mean\": %.3f }\n    }",
		       r[c].dxgd.median_us / r[c].raw.median_us, r[c].dxgd.p90_us / r[c].raw.p90_us,
		       r[c].dxgd.p99_us / r[c].raw.p99_us, r[c].dxgd.mean_us / r[c].raw.mean_us);
		first = false;
	}
	printf("\n  ]\n}\n");
}

/* The first two CPUs this process may run on; second is -1 when there is only one. */
static int pick_cpus(int *first, int *second)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	*first = *second = -1;
	for (int cpu = 0; cpu < CPU_SETSIZE && *second < 0; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		if (*first < 0)
			*first = cpu;
		else
			*second = cpu;
	}
	return *first < 0 ? -ENODEV : 0;
}

int main(int argc, char **argv)
{
	struct result results[CONFIG_COUNT] = { 0 };
	struct options o;
	const char *exe;
	uint64_t *samples;
	bool worker_poll_option;
	int cpu0 = -1, cpu1 = -1, ret;

	if (!parse_options(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	exe = bench_find_dxgd(o.dxgd);
	if (!exe || access(exe, X_OK) != 0) {
		fprintf(stderr, "dxg-bench-rtt: no dxgd binary (use --dxgd PATH or $DXGD)\n");
		return 2;
	}
	ret = pick_cpus(&cpu0, &cpu1);
	if (ret) {
		fprintf(stderr, "dxg-bench-rtt: cannot read the CPU affinity: %s\n", strerror(-ret));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	worker_poll_option = dxgd_has_option(exe, "--worker-poll-us");
	samples = calloc(o.iterations, sizeof(*samples));
	if (!samples)
		return 1;

	for (size_t c = 0; c < CONFIG_COUNT; c++) {
		const struct config *cfg = &configs[c];
		struct result *r = &results[c];

		if (!o.run_mode[cfg->mode])
			continue;
		if (cfg->two_cpus && cpu1 < 0) {
			fprintf(stderr, "%s: skipped, this process may use only one CPU\n", cfg->label);
			continue;
		}
		r->cpus.client_cpu = cpu0;
		r->cpus.server_cpu = cfg->two_cpus ? cpu1 : cpu0;
		r->worker_polls = cfg->mode == MODE_SPIN && worker_poll_option;
		if (!o.json)
			fprintf(stderr, "running %s...\n", cfg->label);
		if (bench_pin_to_cpu(r->cpus.client_cpu) ||
		    bench_raw(cfg->mode, &r->cpus, &o, samples))
			return 1;
		r->raw = summarize(samples, o.iterations);
		if (bench_dxgd(exe, cfg->mode, r->worker_polls, &r->cpus, &o, samples))
			return 1;
		r->dxgd = summarize(samples, o.iterations);
		r->done = true;
	}
	if (o.json)
		print_json(&o, results);
	else
		print_table(&o, results, exe);
	free(samples);
	return 0;
}
