// SPDX-License-Identifier: MIT
/*
 * Reporting, sysfs and kernel-log helpers shared by the guest test programs (see guestsys.h).
 */
#include "guestsys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/wait.h>
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

void tap_start(const char *program, unsigned int timeout_s)
{
	tap.program = program;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_watchdog);
	alarm(timeout_s);
}

void tap_begin(const char *program, unsigned int timeout_s)
{
	tap_start(program, timeout_s);
	printf("# %s\n", program);
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
	exit(TAP_EXIT_SKIP);
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

int guest_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

int guest_kmsg(const char *line)
{
	return guest_write_file("/dev/kmsg", line);
}

bool guest_find_opendxg_device(char *bdf, size_t size)
{
	DIR *dir = opendir(GUEST_OPENDXG_DRIVER_DIR);
	struct dirent *e;
	bool found = false;

	if (!dir)
		return false;
	while ((e = readdir(dir))) {
		/* Device links are named like 0000:00:02.0. */
		if (strchr(e->d_name, ':') && strlen(e->d_name) < size) {
			strcpy(bdf, e->d_name);
			found = true;
			break;
		}
	}
	closedir(dir);
	return found;
}

static int write_driver_attribute(const char *attribute, const char *bdf)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", GUEST_OPENDXG_DRIVER_DIR, attribute);
	return guest_write_file(path, bdf);
}

int guest_bind_opendxg(const char *bdf)
{
	return write_driver_attribute("bind", bdf);
}

int guest_unbind_opendxg(const char *bdf)
{
	return write_driver_attribute("unbind", bdf);
}

unsigned int guest_klog_count(const char *after, const char *const *words, size_t word_count)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	unsigned int count = 0;
	bool seen = !after;
	char *buf, *line, *save = NULL;
	size_t i;
	int len;

	if (size <= 0)
		return 0;
	buf = calloc(1, (size_t)size + 1);
	if (!buf)
		return 0;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	for (line = len > 0 ? strtok_r(buf, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (after && strstr(line, after)) {
			seen = true;
			continue;
		}
		if (!seen || !strstr(line, "opendxg"))
			continue;
		for (i = 0; i < word_count; i++) {
			if (strstr(line, words[i])) {
				tap_diag("kernel: %s", line);
				count++;
				break;
			}
		}
	}
	free(buf);
	return count;
}

int guest_enum_adapters(int fd, struct d3dkmt_adapterinfo *info, uint32_t capacity)
{
	struct d3dkmt_enumadapters3 args = {
		.filter = D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY,
		.adapter_count = capacity,
		.adapters = (uintptr_t)info,
	};

	if (ioctl(fd, LX_DXENUMADAPTERS3, &args) < 0)
		return -errno;
	return (int)args.adapter_count;
}
