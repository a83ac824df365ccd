// SPDX-License-Identifier: MIT
/*
 * /dev/dxg helpers of the libd3dkmt-based guest test programs (see dxgtest.h).
 */
#include "dxgtest.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int dxgtest_open_or_skip(void)
{
	int fd = d3dkmt_open();

	if (fd == -ENOENT || fd == -ENODEV || fd == -ENXIO)
		tap_skip_all("cannot open " D3DKMT_DEVICE_PATH " (%s): opendxg driver not loaded",
			     errno_name(-fd));
	if (fd < 0) {
		tap_ok(false, "open " D3DKMT_DEVICE_PATH ": %s", errno_name(-fd));
		exit(tap_end());
	}
	return fd;
}

struct d3dkmt_adapterinfo *dxgtest_adapters_or_skip(int fd, uint32_t *count)
{
	struct d3dkmt_adapterinfo *adapters = NULL;
	int ret;

	ret = d3dkmt_enum_adapters_alloc(fd, D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY, &adapters,
					 count);
	if (ret < 0) {
		tap_ok(false, "enumerate adapters: %s", errno_name(-ret));
		exit(tap_end());
	}
	if (*count == 0)
		tap_skip_all("no adapter: is the opendxg device attached, dxgd running?");
	return adapters;
}

bool dxgtest_stats_equal(const struct opendxg_vm_stats *x, const struct opendxg_vm_stats *y)
{
	return x->processes == y->processes && x->open_adapters == y->open_adapters &&
	       x->devices == y->devices && x->contexts == y->contexts;
}

void dxgtest_diag_stats(const char *label, const struct opendxg_vm_stats *s)
{
	tap_diag("%s: processes %u, open adapters %u, devices %u, contexts %u, handles %u", label,
		 s->processes, s->open_adapters, s->devices, s->contexts, s->handles);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int dxgtest_wait_stats(int fd, struct d3dkmthandle adapter, const struct opendxg_vm_stats *want,
		       struct opendxg_vm_stats *got, unsigned int max_wait_ms)
{
	const unsigned int step_ms = 20;

	for (unsigned int waited = 0;; waited += step_ms) {
		int ret = d3dkmt_query_vm_stats(fd, adapter, got);

		if (ret < 0)
			return ret;
		if (dxgtest_stats_equal(got, want) && got->handles == want->handles)
			return 0;
		if (waited >= max_wait_ms)
			return -ETIMEDOUT;
		sleep_ms(step_ms);
	}
}

int dxgtest_write_all(int fd, const void *buf, size_t size)
{
	const char *p = buf;

	while (size > 0) {
		ssize_t n = write(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

int dxgtest_read_all(int fd, void *buf, size_t size)
{
	char *p = buf;

	while (size > 0) {
		ssize_t n = read(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		size -= (size_t)n;
	}
	return 0;
}
