// SPDX-License-Identifier: MIT
/*
 * Reporting and helpers shared by the guest test programs (see dxgtest.h).
 */
#include "dxgtest.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Per-process counters. A forked child starts its own (tap_fork), so the state is only ever
 * touched by one thread of one process at a time: tests call the tap_* functions from the main
 * thread and hand results back from worker threads by value.
 */
static struct {
	const char *program;
	unsigned int passed;
	unsigned int failed;
	bool in_child;
} tap;

static void tap_vprint(bool cond, const char *fmt, va_list ap)
{
	unsigned int number = tap.passed + tap.failed + 1;

	if (cond)
		tap.passed++;
	else
		tap.failed++;
	if (tap.in_child)
		printf("    %s - ", cond ? "ok" : "not ok");
	else
		printf("%s %u - ", cond ? "ok" : "not ok", number);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

bool tap_ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vprint(cond, fmt, ap);
	va_end(ap);
	return cond;
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs(tap.in_child ? "    # " : "# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

const char *errno_name(int err)
{
	static _Thread_local char unknown[24];
	const char *name = err ? strerrorname_np(err) : "0";

	if (name)
		return name;
	snprintf(unknown, sizeof(unknown), "errno %d", err);
	return unknown;
}

bool tap_ret0(int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vprint(ret == 0, fmt, ap);
	va_end(ap);
	if (ret != 0)
		tap_diag("  got %d (%s), want 0", ret, ret < 0 ? errno_name(-ret) : "positive");
	return ret == 0;
}

bool tap_errno(int ret, int want_errno, const char *fmt, ...)
{
	bool cond = ret == -want_errno;
	va_list ap;

	va_start(ap, fmt);
	tap_vprint(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		tap_diag("  got %d (%s), want -%s", ret, ret < 0 ? errno_name(-ret) : "success",
			 errno_name(want_errno));
	return cond;
}

static void print_summary(void)
{
	printf("%s: %u passed, %u failed\n", tap.program ? tap.program : "test", tap.passed,
	       tap.failed);
	fflush(stdout);
}

static void on_watchdog(int sig)
{
	(void)sig;
	/* Only async-signal-safe calls here: the main thread may be inside printf. */
	static const char msg[] = "not ok - watchdog: the test hung (a driver or daemon bug?)\n";
	ssize_t ignored = write(STDOUT_FILENO, msg, sizeof(msg) - 1);

	(void)ignored;
	_exit(1);
}

void tap_begin(const char *program, unsigned int timeout_s)
{
	tap.program = program;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# %s\n", program);
	signal(SIGALRM, on_watchdog);
	alarm(timeout_s);
}

int tap_end(void)
{
	alarm(0);
	print_summary();
	return tap.failed == 0 && tap.passed > 0 ? 0 : 1;
}

void tap_skip_all(const char *fmt, ...)
{
	va_list ap;

	fputs("# SKIP ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	print_summary();
	exit(DXGTEST_EXIT_SKIP);
}

pid_t tap_fork(void)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		tap.passed = 0;
		tap.failed = 0;
		tap.in_child = true;
		/* The parent's watchdog covers the child's wait; the child must not outlive it. */
		alarm(0);
	}
	return pid;
}

void tap_child_exit(void)
{
	fflush(stdout);
	_exit(tap.failed == 0 ? 0 : 1);
}

bool tap_wait_child(pid_t pid, const char *what)
{
	int status = 0;
	pid_t got;

	do {
		got = waitpid(pid, &status, 0);
	} while (got < 0 && errno == EINTR);
	if (got < 0)
		return tap_ok(false, "%s (waitpid: %s)", what, errno_name(errno));
	if (WIFSIGNALED(status))
		return tap_ok(false, "%s (killed by signal %d)", what, WTERMSIG(status));
	return tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", what);
}

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
