// SPDX-License-Identifier: MIT
/*
 * The dxgc samples' common start-up and reporting (sample.h).
 */
#include "sample.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double sample_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* "vm1: " inside a vm-run guest, where several guests print side by side; else nothing. */
static const char *guest_prefix(char *buf, size_t size)
{
	const char *vm = getenv("DXG_VM_NAME");

	if (!vm || !*vm)
		return "";
	snprintf(buf, size, "%s: ", vm);
	return buf;
}

static void usage(const char *name, FILE *to)
{
	fprintf(to, "usage: %s [--adapter INDEX] [--n COUNT]\n"
		"Runs one compute kernel on an opendxg adapter through libdxgc and checks the\n"
		"result against a CPU reference. Exit status: 0 match, 1 mismatch, 2 usage,\n"
		"3 device error.\n", name);
}

static int parse_u64(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 0);
	if (errno || end == text || *end || text[0] == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

void sample_start(struct sample *s, const char *name, uint64_t default_n, uint64_t max_n,
		  int argc, char **argv)
{
	const struct dxgc_device_info *info;
	uint64_t adapter = 0;
	char prefix[40];
	int ret;

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->n = default_n;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(name, stdout);
			exit(0);
		}
		if (i + 1 < argc && strcmp(argv[i], "--adapter") == 0 &&
		    parse_u64(argv[i + 1], &adapter) == 0 && adapter < UINT32_MAX) {
			i++;
			continue;
		}
		if (i + 1 < argc && strcmp(argv[i], "--n") == 0 &&
		    parse_u64(argv[i + 1], &s->n) == 0 && s->n >= 1 && s->n <= max_n) {
			i++;
			continue;
		}
		fprintf(stderr, "%s: bad argument '%s' (--n is 1..%" PRIu64 ")\n", name, argv[i],
			max_n);
		usage(name, stderr);
		exit(SAMPLE_EXIT_USAGE);
	}
	s->start_ms = sample_now_ms();
	ret = dxgc_device_open_index((uint32_t)adapter, &s->dev);
	if (ret < 0) {
		fprintf(stderr, "%s%s: cannot open adapter %" PRIu64 ": %s%s\n",
			guest_prefix(prefix, sizeof(prefix)), name, adapter, strerror(-ret),
			ret == -ENOENT ? " (is opendxg.ko loaded and dxgd running?)" : "");
		exit(SAMPLE_EXIT_DEVICE);
	}
	info = dxgc_device_info(s->dev);
	printf("%s%s: adapter %" PRIu64 " \"%s\" (%s), LUID %08x:%08x\n",
	       guest_prefix(prefix, sizeof(prefix)), name, adapter, info->name, info->driver,
	       info->luid.b, info->luid.a);
}

int sample_fail(struct sample *s, const char *what, int err)
{
	struct dxgc_fault fault;
	char prefix[40];

	fprintf(stderr, "%s%s: %s: %s\n", guest_prefix(prefix, sizeof(prefix)), s->name, what,
		strerror(-err));
	if (s->dev && dxgc_device_status(s->dev, &fault) == -ENODEV) {
		fprintf(stderr, "%s: device lost: %s", s->name,
			dxgc_execution_state_name(fault.execution_state));
		if (fault.has_page_fault)
			fprintf(stderr, ", page fault at GPU VA 0x%" PRIx64 " (%s)", fault.address,
				fault.flags & DXGK_PAGE_FAULT_WRITE ? "write" : "read");
		fputc('\n', stderr);
	}
	dxgc_device_close(s->dev);
	s->dev = NULL;
	return SAMPLE_EXIT_DEVICE;
}

int sample_finish(struct sample *s, int pass, const char *fmt, ...)
{
	char prefix[40];
	va_list ap;

	printf("%s%s: ", guest_prefix(prefix, sizeof(prefix)), s->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (%.0f ms): %s\n", sample_now_ms() - s->start_ms, pass ? "PASS" : "FAIL");
	fflush(stdout);
	dxgc_device_close(s->dev);
	s->dev = NULL;
	return pass ? 0 : SAMPLE_EXIT_MISMATCH;
}
