// SPDX-License-Identifier: MIT
/*
 * dxgtest-reconnect: a channel that failed to connect comes back by itself when the host does,
 * without a generation change and without a control interrupt (docs/kernel.md, "The channel").
 *
 * The case: dxgd's worker is stopped (SIGSTOP) while the driver connects. CONNECT times out,
 * the channel stays down, and when the worker continues it is the same worker (same generation):
 * it has no reason to ring the control vector. The driver must retry on its own.
 *
 * How it is made to happen, with the driver's own code paths:
 * 1. unbind opendxg from its PCI device and write MARKER_UNBOUND to the kernel log; the host side
 *    (vm-run --host-during tests/vm/host-stop-worker.sh) waits for it on the console and stops
 *    the worker;
 * 2. after a pause that covers the host's console poll, bind again: probe's first attempt sends
 *    CONNECT to the stopped worker and gives up after its timeout; the channel is down;
 * 3. check that it really is down (enumeration finds 0 adapters, opening the known LUID fails
 *    with ENODEV), then write MARKER_DOWN; the host side continues the worker;
 * 4. without touching /dev/dxg, wait (bounded, not a timing check) for the driver's "connected"
 *    message: its own retries, not an ioctl, must bring it back; then enumeration finds the
 *    adapter, which can be opened, a device created and destroyed, closed; the kernel log holds
 *    one "not connected" message for the whole failure streak, not one per retry.
 *
 *   host: tests/vm/host-stop-worker.sh DXGCTL --stop-after-marker "dxgtest-reconnect: unbound"
 *         --cont-after-marker "dxgtest-reconnect: down"
 *
 * Exit status 0 (passed), 1 (failed), 77 (no bound opendxg device, or no adapter at the start).
 *
 * Build by hand: gcc -static -O2 -I include/uapi tests/vm/dxgtest-reconnect.c tests/vm/guestsys.c
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <misc/d3dkmthk.h>

#include "guestsys.h"

#define MARKER_UNBOUND "dxgtest-reconnect: unbound"
#define MARKER_DOWN "dxgtest-reconnect: down"
/* The host polls the console every 0.2 s; this leaves it ample time to stop the worker. */
#define STOP_GRACE_SECONDS 5
/* Bounded wait for the channel to come back after the worker continues (not a timing check). */
#define RECONNECT_DEADLINE_SECONDS 90
#define MAX_ADAPTERS 64

static const char *program = "dxgtest-reconnect";

/* Kernel log lines of opendxg that contain `what`, counted after the line holding `after`. */
static unsigned int klog_count_after(const char *after, const char *what)
{
	return guest_klog_count(after, &what, 1);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void close_adapters(int fd, const struct d3dkmt_adapterinfo *info, int count)
{
	struct d3dkmt_closeadapter ca = { 0 };
	int i;

	for (i = 0; i < count; i++) {
		ca.adapter_handle = info[i].adapter_handle;
		ioctl(fd, LX_DXCLOSEADAPTER, &ca);
	}
}

/* Open /dev/dxg, enumerate, close the handles again: the adapter count or -errno. */
static int count_adapters(struct d3dkmt_adapterinfo *first)
{
	struct d3dkmt_adapterinfo info[MAX_ADAPTERS];
	int fd, n;

	fd = open("/dev/dxg", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = guest_enum_adapters(fd, info, MAX_ADAPTERS);
	if (n > 0) {
		if (first)
			*first = info[0];
		close_adapters(fd, info, n);
	}
	close(fd);
	return n;
}

/* Open the adapter by LUID, create and destroy a device, close: 0 or the first -errno. */
static int use_adapter(struct winluid luid)
{
	struct d3dkmt_openadapterfromluid oa = { .adapter_luid = luid };
	struct d3dkmt_createdevice cd = { 0 };
	struct d3dkmt_destroydevice dd = { 0 };
	struct d3dkmt_closeadapter ca = { 0 };
	int fd, ret = 0;

	fd = open("/dev/dxg", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, LX_DXOPENADAPTERFROMLUID, &oa) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	cd.adapter = oa.adapter_handle;
	if (ioctl(fd, LX_DXCREATEDEVICE, &cd) < 0) {
		ret = -errno;
	} else {
		dd.device = cd.device;
		if (ioctl(fd, LX_DXDESTROYDEVICE, &dd) < 0)
			ret = -errno;
	}
	ca.adapter_handle = oa.adapter_handle;
	if (ioctl(fd, LX_DXCLOSEADAPTER, &ca) < 0 && !ret)
		ret = -errno;
	close(fd);
	return ret;
}

int main(void)
{
	struct d3dkmt_adapterinfo first;
	struct d3dkmt_openadapterfromluid oa = { 0 };
	char bdf[64];
	double start, waited;
	int fd, n, ret;

	tap_start(program, 240);
	if (!guest_find_opendxg_device(bdf, sizeof(bdf)))
		tap_skip_all("opendxg is bound to no device");
	n = count_adapters(&first);
	if (n <= 0 || use_adapter(first.adapter_luid))
		tap_skip_all("the channel does not work (%d adapters)", n);
	printf("# device %s, %d adapter(s), LUID %#x:%#x\n", bdf, n, first.adapter_luid.a,
	       first.adapter_luid.b);

	if (!tap_ok(guest_unbind_opendxg(bdf) == 0, "unbind opendxg from %s", bdf))
		return tap_end();
	/* The host side stops the worker when it sees this on the console. */
	guest_kmsg("<4>" MARKER_UNBOUND "; the worker is being stopped\n");
	sleep(STOP_GRACE_SECONDS);

	/* Probe's first attempt: CONNECT to a stopped worker times out and the channel stays down. */
	if (!tap_ok(guest_bind_opendxg(bdf) == 0, "bind opendxg to %s while the worker is stopped",
		    bdf))
		return tap_end();

	n = count_adapters(NULL);
	tap_ok(n == 0, "the channel is down: enumeration finds 0 adapters (%d)", n);
	fd = open("/dev/dxg", O_RDWR | O_CLOEXEC);
	if (tap_ok(fd >= 0, "open /dev/dxg while down")) {
		oa.adapter_luid = first.adapter_luid;
		ret = ioctl(fd, LX_DXOPENADAPTERFROMLUID, &oa) < 0 ? errno : 0;
		tap_ok(ret == ENODEV, "OPENADAPTERFROMLUID while down: ENODEV (%s)", strerror(ret));
		if (!ret) {
			struct d3dkmt_closeadapter ca = { .adapter_handle = oa.adapter_handle };

			ioctl(fd, LX_DXCLOSEADAPTER, &ca);
		}
		close(fd);
	}

	/* The host side continues the worker: same process, same generation, no control kick. */
	guest_kmsg("<4>" MARKER_DOWN "; the worker may continue\n");

	/*
	 * No ioctl meanwhile (an ioctl on a down channel may start an attempt itself): the driver
	 * must come back on its own retries. Its "connected" message says when.
	 */
	start = now_seconds();
	do {
		ret = (int)klog_count_after(MARKER_DOWN, "connected:");
		if (ret > 0)
			break;
		usleep(250000);
	} while (now_seconds() - start < RECONNECT_DEADLINE_SECONDS);
	waited = now_seconds() - start;
	if (!tap_ok(ret > 0, "the driver reconnected by itself (after %.1f s, no ioctl)", waited))
		return tap_end();
	n = count_adapters(&first);
	if (!tap_ok(n > 0, "enumeration finds the adapter again (%d)", n))
		return tap_end();

	ret = use_adapter(first.adapter_luid);
	tap_ok(ret == 0, "open the adapter, create and destroy a device, close (%s)",
	      ret ? strerror(-ret) : "ok");
	ret = (int)klog_count_after(MARKER_UNBOUND, "not connected");
	tap_ok(ret == 1, "one \"not connected\" message for the whole failure streak (%d)", ret);
	return tap_end();
}
