// SPDX-License-Identifier: MIT
#include "bench_dxgd.h"

#include <errno.h>
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

#define DXGD_START_TIMEOUT_MS 20000
#define DXGD_MAX_EXTRA_ARGS 8

const char *bench_find_dxgd(const char *given)
{
	/* Returned to the caller: lives as long as the process, set once by main(). */
	static char path[PATH_MAX];
	char self[PATH_MAX];
	ssize_t n;

	if (given)
		return given;
	if (getenv("DXGD"))
		return getenv("DXGD");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s/../host/dxgd", dirname(self));
	return access(path, X_OK) == 0 ? path : NULL;
}

int bench_pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

void bench_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int bench_dxgd_start(struct bench_dxgd *d, const char *exe, const char *region_size,
		     const char *const *extra_args, int pin_cpu)
{
	const char *argv[8 + DXGD_MAX_EXTRA_ARGS] = { exe, "--vm", NULL, "--control", NULL,
						       "--log-level", "warn" };
	size_t argc = 7;
	char vm_arg[200];
	struct stat st;

	memset(d, 0, sizeof(*d));
	d->pid = -1;
	snprintf(d->dir, sizeof(d->dir), "/tmp/dxg-bench-XXXXXX");
	if (!mkdtemp(d->dir))
		return -errno;
	snprintf(d->vm_socket, sizeof(d->vm_socket), "%s/vm.sock", d->dir);
	snprintf(d->control_socket, sizeof(d->control_socket), "%s/control.sock", d->dir);
	snprintf(vm_arg, sizeof(vm_arg), "bench:%s:%s", d->vm_socket, region_size);
	argv[2] = vm_arg;
	argv[4] = d->control_socket;
	for (; extra_args && *extra_args; extra_args++) {
		if (argc == 7 + DXGD_MAX_EXTRA_ARGS)
			return -E2BIG;
		argv[argc++] = *extra_args;
	}
	argv[argc] = NULL;

	d->pid = fork();
	if (d->pid < 0)
		return -errno;
	if (d->pid == 0) {
		if (pin_cpu >= 0 && bench_pin_to_cpu(pin_cpu))
			_exit(126);
		execv(exe, (char *const *)argv);
		perror("exec dxgd");
		_exit(127);
	}
	/* dxgd creates the control socket once every VM socket listens. */
	for (int waited = 0; waited < DXGD_START_TIMEOUT_MS; waited += 10) {
		int status;

		if (stat(d->control_socket, &st) == 0)
			return 0;
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			d->pid = -1;
			return -ECHILD;
		}
		bench_sleep_ms(10);
	}
	return -ETIMEDOUT;
}

void bench_dxgd_stop(struct bench_dxgd *d)
{
	int status;

	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		waitpid(d->pid, &status, 0);
	}
	unlink(d->vm_socket);
	unlink(d->control_socket);
	rmdir(d->dir);
}
