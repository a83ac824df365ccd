/* SPDX-License-Identifier: MIT */
/*
 * dxg-bench-membw: CPU bandwidth into a locked host-visible allocation, next to plain malloc()ed
 * memory of the same size, in one run.
 *
 * A host-visible allocation is a range of pages of the VM's shared region (a memfd that dxgd
 * creates and maps MAP_SHARED, write-back cached), handed to the guest by LOCK2 so that the CPU
 * writes where the GPU reads, with no copy. The question this answers: does that memory behave
 * like ordinary memory for the CPU? The benchmark starts its own dxgd, attaches a user-space guest
 * (lib/uguest: the same region mapping a QEMU guest gets through BAR2, without the virtualisation),
 * creates and LOCKs one allocation per size through the wire protocol, and times three loops on
 * the allocation and on a malloc()ed buffer, alternating sample by sample:
 *
 *   write  memset of the whole buffer
 *   read   a 64-bit sum over the whole buffer (a checksum the compiler cannot drop)
 *   copy   memcpy from a separate malloc()ed source into the buffer
 *
 * Output: median GB/s per loop and memory, and the ratio region/malloc. No thresholds: this is a
 * measurement, not a test. docs/bench.md explains how to read it.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <opendxg/wire.h>
#include <misc/opendxg.h>

#include "bench_dxgd.h"
#include "uguest.h"

#define DEFAULT_SAMPLES 15u
#define MIN_BYTES_PER_SAMPLE (64ull << 20)	/* each sample loops over at least this much */
#define DEFAULT_REGION "256M"			/* room for the 64 MiB allocation and more */

static const uint64_t default_sizes[] = { 64ull << 10, 4ull << 20, 64ull << 20 };
#define SIZE_COUNT (sizeof(default_sizes) / sizeof(default_sizes[0]))

enum loop { LOOP_WRITE, LOOP_READ, LOOP_COPY, LOOP_COUNT };
static const char *const loop_names[LOOP_COUNT] = { "write", "read", "copy" };

struct options {
	const char *dxgd;
	const char *region_size;
	unsigned samples;
	bool json;
};

/* Median GB/s of one loop on one size, for both memories. */
struct row {
	uint64_t size;
	double region_gbps[LOOP_COUNT];
	double malloc_gbps[LOOP_COUNT];
};

/* ---- timing and loops ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Tells the compiler the buffer's contents are observed, so no store to it is dead. */
static void escape(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static volatile uint64_t checksum_sink;

__attribute__((noinline)) static uint64_t sum_words(const uint64_t *words, uint64_t count)
{
	uint64_t a = 0, b = 0, c = 0, d = 0, i;

	/* Four accumulators, so the loop is bound by loads rather than by one add chain. */
	for (i = 0; i + 4 <= count; i += 4) {
		a += words[i];
		b += words[i + 1];
		c += words[i + 2];
		d += words[i + 3];
	}
	for (; i < count; i++)
		a += words[i];
	return a + b + c + d;
}

/* One sample: @passes passes of @loop over @size bytes at @buf. Returns GB/s (10^9 bytes). */
static double run_sample(enum loop loop, void *buf, const void *source, uint64_t size,
			 unsigned passes)
{
	uint64_t t0 = now_ns(), elapsed;

	for (unsigned p = 0; p < passes; p++) {
		switch (loop) {
		case LOOP_WRITE:
			memset(buf, (int)(p & 0xff), size);
			escape(buf);
			break;
		case LOOP_READ:
			checksum_sink += sum_words(buf, size / 8);
			break;
		case LOOP_COPY:
			memcpy(buf, source, size);
			escape(buf);
			break;
		default:
			break;
		}
	}
	elapsed = now_ns() - t0;
	return elapsed ? (double)size * passes / (double)elapsed : 0;
}

/* ---- dxgd and the user-space guest ---- */

/* The objects one allocation needs: a process, an open adapter and a device. */
struct session {
	struct uguest *g;
	uint32_t process;
	uint32_t adapter;
	uint32_t device;
	unsigned char *region;
	uint64_t region_size;
};

static int session_open(struct session *s, const char *socket_path)
{
	struct uguest_adapter adapters[4];
	uint32_t count = 0;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = uguest_connect(socket_path, NULL, &s->g);
	if (!ret)
		ret = uguest_create_process(s->g, (uint32_t)getpid(), "membw", &s->process);
	if (!ret)
		ret = uguest_enum_adapters(s->g, adapters, 4, &count);
	if (!ret && count == 0)
		ret = -ENODEV;
	if (!ret) {
		s->adapter = adapters[0].handle;
		ret = uguest_open_adapter(s->g, s->process, s->adapter);
	}
	if (!ret)
		ret = uguest_create_device(s->g, s->process, s->adapter, 0, &s->device);
	if (!ret)
		s->region = uguest_region(s->g, &s->region_size);
	return ret;
}

static void session_close(struct session *s)
{
	if (!s->g)
		return;
	if (s->device)
		uguest_destroy_device(s->g, s->process, s->device);
	if (s->process)
		uguest_destroy_process(s->g, s->process);
	uguest_close(s->g);
}

/* DXGW_OP_CREATE_ALLOCATION of one host-visible allocation: its handle, or a negative errno. */
static int create_host_visible(struct session *s, uint64_t size, uint32_t *allocation)
{
	struct {
		struct dxgw_create_allocation_req req;
		struct dxgw_alloc_desc desc;
	} body;
	struct {
		struct dxgw_create_allocation_reply reply;
		struct dxgw_alloc_result result;
	} answer;
	uint32_t len = 0;
	int ret;

	memset(&body, 0, sizeof(body));
	body.req.device = dxg_to_le32(s->device);
	body.req.alloc_count = dxg_to_le32(1);
	body.desc.kind = dxg_to_le32(OPENDXG_ALLOC_KIND_HOST_VISIBLE);
	body.desc.size = dxg_to_le64(size);
	ret = uguest_call(s->g, DXGW_OP_CREATE_ALLOCATION, s->process, &body, sizeof(body), &answer,
			  sizeof(answer), &len);
	if (ret)
		return ret;
	if (len < sizeof(answer) || dxg_from_le32(answer.reply.alloc_count) != 1)
		return -EPROTO;
	*allocation = dxg_from_le32(answer.result.allocation);
	return 0;
}

static int destroy_allocation(struct session *s, uint32_t allocation)
{
	struct {
		struct dxgw_destroy_allocation_req req;
		dxg_le32 handles[2];	/* one handle, padded to 8 bytes */
	} body;

	memset(&body, 0, sizeof(body));
	body.req.device = dxg_to_le32(s->device);
	body.req.alloc_count = dxg_to_le32(1);
	body.handles[0] = dxg_to_le32(allocation);
	return uguest_call(s->g, DXGW_OP_DESTROY_ALLOCATION, s->process, &body, sizeof(body), NULL,
			   0, NULL);
}

/* DXGW_OP_LOCK: the allocation's bytes in our mapping of the region. */
static int lock_allocation(struct session *s, uint32_t allocation, uint64_t size, void **data)
{
	struct dxgw_lock_req req;
	struct dxgw_lock_reply reply;
	uint64_t offset, mapped;
	uint32_t len = 0;
	int ret;

	memset(&req, 0, sizeof(req));
	req.device = dxg_to_le32(s->device);
	req.allocation = dxg_to_le32(allocation);
	ret = uguest_call(s->g, DXGW_OP_LOCK, s->process, &req, sizeof(req), &reply, sizeof(reply),
			  &len);
	if (ret)
		return ret;
	offset = dxg_from_le64(reply.region_offset);
	mapped = dxg_from_le64(reply.size);
	/* The reply comes from across the trust boundary like any other: check it before use. */
	if (len < sizeof(reply) || mapped < size || offset > s->region_size ||
	    mapped > s->region_size - offset)
		return -EPROTO;
	*data = s->region + offset;
	return 0;
}

static int unlock_allocation(struct session *s, uint32_t allocation)
{
	struct dxgw_lock_req req;

	memset(&req, 0, sizeof(req));
	req.device = dxg_to_le32(s->device);
	req.allocation = dxg_to_le32(allocation);
	return uguest_call(s->g, DXGW_OP_UNLOCK, s->process, &req, sizeof(req), NULL, 0, NULL);
}

/* ---- one size ---- */

static int bench_size(struct session *s, uint64_t size, const struct options *o, struct row *row)
{
	double *region_samples = calloc(o->samples, sizeof(double));
	double *malloc_samples = calloc(o->samples, sizeof(double));
	unsigned passes = (unsigned)(size >= MIN_BYTES_PER_SAMPLE ? 1
								   : MIN_BYTES_PER_SAMPLE / size);
	void *heap = aligned_alloc(4096, size), *source = aligned_alloc(4096, size), *region = NULL;
	uint32_t allocation = 0;
	int ret;

	row->size = size;
	if (!region_samples || !malloc_samples || !heap || !source) {
		ret = -ENOMEM;
		goto out;
	}
	ret = create_host_visible(s, size, &allocation);
	if (ret) {
		fprintf(stderr, "create a %llu-byte allocation: %s\n", (unsigned long long)size,
			strerror(-ret));
		goto out;
	}
	ret = lock_allocation(s, allocation, size, &region);
	if (ret) {
		fprintf(stderr, "lock: %s\n", strerror(-ret));
		goto out_destroy;
	}
	/* First touches fault pages in; neither memory should pay for that inside the timing. */
	memset(heap, 1, size);
	memset(source, 2, size);
	memset(region, 1, size);

	for (int loop = 0; loop < LOOP_COUNT; loop++) {
		/* Alternate sample by sample: drift (frequency, neighbours) hits both alike. */
		for (unsigned i = 0; i < o->samples; i++) {
			malloc_samples[i] = run_sample(loop, heap, source, size, passes);
			region_samples[i] = run_sample(loop, region, source, size, passes);
		}
		row->malloc_gbps[loop] = median(malloc_samples, o->samples);
		row->region_gbps[loop] = median(region_samples, o->samples);
	}
	unlock_allocation(s, allocation);
out_destroy:
	destroy_allocation(s, allocation);
out:
	free(region_samples);
	free(malloc_samples);
	free(heap);
	free(source);
	return ret;
}

/* ---- driver ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dxg-bench-membw [--dxgd PATH] [--samples N] [--region-size SIZE] [--json]\n"
		"CPU write, read and copy bandwidth into a locked host-visible allocation (the\n"
		"shared region, through a user-space guest) next to malloc()ed memory of the same\n"
		"size, for 64 KiB, 4 MiB and 64 MiB. Reports median GB/s and the region/malloc\n"
		"ratio.\n"
		"See docs/bench.md.\n");
}

static bool parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_DXGD = 256, OPT_SAMPLES, OPT_REGION, OPT_JSON };
	static const struct option longopts[] = {
		{ "dxgd", required_argument, NULL, OPT_DXGD },
		{ "samples", required_argument, NULL, OPT_SAMPLES },
		{ "region-size", required_argument, NULL, OPT_REGION },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	*o = (struct options){ .samples = DEFAULT_SAMPLES, .region_size = DEFAULT_REGION };
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DXGD:
			o->dxgd = optarg;
			break;
		case OPT_SAMPLES:
			o->samples = (unsigned)strtoul(optarg, &end, 10);
			if (*optarg < '1' || *optarg > '9' || *end || o->samples > 100000)
				return false;
			break;
		case OPT_REGION:
			o->region_size = optarg;
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

static void print_size(char *out, size_t len, uint64_t size)
{
	if (size >= (1ull << 20))
		snprintf(out, len, "%llu MiB", (unsigned long long)(size >> 20));
	else
		snprintf(out, len, "%llu KiB", (unsigned long long)(size >> 10));
}

static void print_table(const struct options *o, const struct row *rows, size_t n,
			const char *exe)
{
	printf("opendxg host-visible memory vs malloc: CPU bandwidth, median of %u samples, GB/s\n",
	       o->samples);
	printf("dxgd: %s (region %s)\n\n", exe, o->region_size);
	printf("%-8s %-6s %12s %12s %14s\n", "size", "loop", "malloc", "region", "region/malloc");
	for (size_t i = 0; i < n; i++) {
		char size[32];

		print_size(size, sizeof(size), rows[i].size);
		for (int loop = 0; loop < LOOP_COUNT; loop++)
			printf("%-8s %-6s %12.2f %12.2f %14.2f\n", size, loop_names[loop],
			       rows[i].malloc_gbps[loop], rows[i].region_gbps[loop],
			       rows[i].region_gbps[loop] / rows[i].malloc_gbps[loop]);
		printf("\n");
	}
}

static void print_json(const struct options *o, const struct row *rows, size_t n)
{
	printf("{\n  \"benchmark\": \"host_visible_bandwidth\",\n  \"samples\": %u,\n"
	       "  \"unit\": \"GB/s\",\n  \"sizes\": [\n", o->samples);
	for (size_t i = 0; i < n; i++) {
		printf("    { \"bytes\": %llu", (unsigned long long)rows[i].size);
		for (int loop = 0; loop < LOOP_COUNT; loop++)
			printf(",\n      \"%s\": { \"malloc\": %.3f, \"region\": %.3f, "
			       "\"ratio\": %.3f }",
			       loop_names[loop], rows[i].malloc_gbps[loop],
			       rows[i].region_gbps[loop],
			       rows[i].region_gbps[loop] / rows[i].malloc_gbps[loop]);
		printf(" }%s\n", i + 1 < n ? "," : "");
	}
	printf("  ]\n}\n");
}

int main(int argc, char **argv)
{
	struct row rows[SIZE_COUNT];
	struct session s = { 0 };
	struct bench_dxgd d;
	struct options o;
	const char *exe;
	size_t done = 0;
	int ret;

	if (!parse_options(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	exe = bench_find_dxgd(o.dxgd);
	if (!exe || access(exe, X_OK) != 0) {
		fprintf(stderr, "dxg-bench-membw: no dxgd binary (use --dxgd PATH or $DXGD)\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	ret = bench_dxgd_start(&d, exe, o.region_size, NULL, -1);
	if (ret) {
		fprintf(stderr, "dxg-bench-membw: start dxgd: %s\n", strerror(-ret));
		return 1;
	}
	ret = session_open(&s, d.vm_socket);
	if (ret)
		fprintf(stderr, "dxg-bench-membw: attach and open a device: %s\n", strerror(-ret));
	for (size_t i = 0; !ret && i < SIZE_COUNT; i++) {
		if (!o.json)
			fprintf(stderr, "running %llu bytes...\n",
				(unsigned long long)default_sizes[i]);
		ret = bench_size(&s, default_sizes[i], &o, &rows[i]);
		if (!ret)
			done++;
	}
	session_close(&s);
	bench_dxgd_stop(&d);
	if (ret)
		return 1;
	if (o.json)
		print_json(&o, rows, done);
	else
		print_table(&o, rows, done, exe);
	return 0;
}
