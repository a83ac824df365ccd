// SPDX-License-Identifier: MIT
/*
 * dxgtest-handshake: the generation handshake race of protocol.md 2.3, made to happen.
 *
 * The race: a guest stores a ring index for the old generation (its request tail, its reply
 * head) after a new worker formatted the rings. The guest then attaches with that index,
 * declares it, and the worker adopts it. Between the declaration and the adoption the shared
 * request head and reply tail still read 0, so the guest must not use the rings before the host
 * adopted its starts, or they look corrupt to it.
 *
 * How it is forced, with the driver's own code paths:
 * 1. unbind opendxg from its PCI device (the channel goes away) and map BAR2 through sysfs;
 * 2. write a marker to the kernel log; the host side (vm-run --host-during) waits for it on the
 *    console and kills dxgd's worker; the broker starts a new one, which formats the region;
 * 3. wait until the header shows the new generation READY, then store a request tail and a reply
 *    head far from 0 through BAR2 (sysfs resource2): the late stores of the old generation;
 * 4. bind the driver again: it attaches to those indices, declares them and sends CONNECT.
 * Then the driver must be connected: an enumeration finds the adapters, a device and a context
 * can be made, and the kernel log has no complaint about a corrupt ring. Unbound once more, the
 * header must show our late indices as the declared starts (so the race really was set up);
 * the last bind leaves the guest as it was.
 *
 *   host: wait for "dxgtest-handshake: unbound" in $VMRUN_DIR/vm0.console, then kill the worker.
 *
 * Exit status 0 (passed), 1 (failed), 77 (no bound opendxg device, or no adapter at the start).
 *
 * Build by hand: gcc -static -O2 -I include/uapi -I include tests/vm/dxgtest-handshake.c \
 *                tests/vm/guestsys.c
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
#include <sys/mman.h>
#include <unistd.h>

#include <misc/d3dkmthk.h>
#include <opendxg/region.h>
#include <opendxg/ring.h>

#include "guestsys.h"

#define MARKER "dxgtest-handshake: unbound"
/* Old-generation indices far from anything a fresh ring holds (8-byte aligned). */
#define STALE_REQUEST_TAIL 0x10000008u
#define STALE_REPLY_HEAD 0x20000010u

static const char *program = "dxgtest-handshake";

static unsigned int ring_complaints(void)
{
	static const char *const complaints[] = { "corrupt", "malformed" };

	return guest_klog_count(NULL, complaints, sizeof(complaints) / sizeof(complaints[0]));
}

static uint32_t le32_load(const volatile dxg_le32 *p)
{
	return dxg_from_le32(__atomic_load_n(p, __ATOMIC_ACQUIRE));
}

/* Enumerate, make a device and a context, destroy them, close: 0 or the first -errno. */
static int use_the_channel(void)
{
	struct d3dkmt_adapterinfo info[64];
	struct d3dkmt_createdevice cd = { 0 };
	struct d3dkmt_createcontextvirtual cc = { .client_hint = D3DKMT_CLIENTHINT_VULKAN };
	struct d3dkmt_destroydevice dd = { 0 };
	struct d3dkmt_closeadapter ca = { 0 };
	int fd, n, i, ret = 0;

	fd = open("/dev/dxg", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = guest_enum_adapters(fd, info, 64);
	if (n <= 0) {
		close(fd);
		return n ? n : -ENODEV;
	}
	cd.adapter = info[0].adapter_handle;
	if (ioctl(fd, LX_DXCREATEDEVICE, &cd) < 0) {
		ret = -errno;
	} else {
		cc.device = cd.device;
		if (ioctl(fd, LX_DXCREATECONTEXTVIRTUAL, &cc) < 0)
			ret = -errno;
		dd.device = cd.device;
		if (ioctl(fd, LX_DXDESTROYDEVICE, &dd) < 0 && !ret)
			ret = -errno;
	}
	for (i = 0; i < n; i++) {
		ca.adapter_handle = info[i].adapter_handle;
		if (ioctl(fd, LX_DXCLOSEADAPTER, &ca) < 0 && !ret)
			ret = -errno;
	}
	close(fd);
	return ret;
}

int main(void)
{
	char bdf[64], path[256];
	struct dxg_region_header *hdr;
	struct dxg_ring_ctrl *req_ctrl, *rep_ctrl;
	uint64_t req_off, rep_off, map_size;
	uint32_t generation, new_generation;
	unsigned int i;
	int fd, ret;
	void *map;

	tap_start(program, 240);
	if (!guest_find_opendxg_device(bdf, sizeof(bdf)))
		tap_skip_all("opendxg is bound to no device");
	ret = use_the_channel();
	if (ret)
		tap_skip_all("the channel does not work: %s", strerror(-ret));

	/* Unbound first: BAR2 cannot be mapped through sysfs while the driver has it. */
	if (!tap_ok(guest_unbind_opendxg(bdf) == 0, "unbind opendxg from %s", bdf))
		return tap_end();

	/* The header page first, then as far as the ring control blocks reach. */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource2", bdf);
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (!tap_ok(fd >= 0, "open %s", path))
		return tap_end();
	map = mmap(NULL, DXG_REGION_HEADER_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (!tap_ok(map != MAP_FAILED, "map the region header"))
		return tap_end();
	hdr = map;
	req_off = dxg_from_le64(hdr->request_ring.ctrl_offset);
	rep_off = dxg_from_le64(hdr->reply_ring.ctrl_offset);
	munmap(map, DXG_REGION_HEADER_SIZE);
	map_size = (req_off > rep_off ? req_off : rep_off) + sizeof(struct dxg_ring_ctrl);
	map_size = (map_size + 4095) & ~(uint64_t)4095;
	if (!tap_ok(map_size <= (64u << 20), "ring control blocks in the first 64 MiB (%#llx)",
		   (unsigned long long)map_size))
		return tap_end();
	map = mmap(NULL, map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!tap_ok(map != MAP_FAILED, "map the region up to the ring control blocks"))
		return tap_end();
	hdr = map;
	req_ctrl = (struct dxg_ring_ctrl *)((char *)map + req_off);
	rep_ctrl = (struct dxg_ring_ctrl *)((char *)map + rep_off);
	generation = le32_load(&hdr->generation);
	printf("# device %s, generation %u\n", bdf, generation);

	/* The host side kills the worker when it sees this on the console. */
	guest_kmsg("<4>" MARKER "; waiting for a worker restart\n");

	for (i = 0; i < 1200; i++) {
		new_generation = le32_load(&hdr->generation);
		if (new_generation != generation &&
		    le32_load(&hdr->state) == DXG_REGION_STATE_READY)
			break;
		usleep(100000);
	}
	if (!tap_ok(i < 1200, "the host restarted the worker (generation %u -> %u)", generation,
		   new_generation))
		return tap_end();
	if (!tap_ok(le32_load(&hdr->guest_generation) == 0, "nobody acknowledged generation %u yet",
		   new_generation))
		return tap_end();

	/* The old generation's late stores: after the format, before the acknowledgment. */
	__atomic_store_n(&req_ctrl->tail, dxg_to_le32(STALE_REQUEST_TAIL), __ATOMIC_RELEASE);
	__atomic_store_n(&rep_ctrl->head, dxg_to_le32(STALE_REPLY_HEAD), __ATOMIC_RELEASE);

	/* Binding revokes our mapping (the driver claims BAR2): do not touch it meanwhile. */
	munmap(map, map_size);
	tap_ok(guest_bind_opendxg(bdf) == 0, "bind opendxg to %s again", bdf);

	/*
	 * Probe waits for the first connection, which must succeed at once: the driver would retry a
	 * failed one, but the failure this test provokes (rings taken for corrupt) leaves a complaint
	 * in the kernel log, checked below.
	 */
	ret = use_the_channel();
	tap_ok(ret == 0, "enumerate, create a device and a context on the new generation (%s)",
	      ret ? strerror(-ret) : "ok");
	tap_ok(ring_complaints() == 0, "kernel log: no corrupt-ring complaint");

	/* Did the driver really attach to the late indices? Look, unbound, then bind again. */
	if (!tap_ok(guest_unbind_opendxg(bdf) == 0, "unbind again to look at the header"))
		return tap_end();
	map = mmap(NULL, DXG_REGION_HEADER_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (tap_ok(map != MAP_FAILED, "map the region header again")) {
		hdr = map;
		tap_ok(le32_load(&hdr->guest_generation) == new_generation,
		      "the driver acknowledged generation %u", new_generation);
		tap_ok(le32_load(&hdr->guest_request_start) == STALE_REQUEST_TAIL &&
		      le32_load(&hdr->guest_reply_start) == STALE_REPLY_HEAD,
		      "it declared the late indices as its starts (%#x, %#x)",
		      le32_load(&hdr->guest_request_start), le32_load(&hdr->guest_reply_start));
		munmap(map, DXG_REGION_HEADER_SIZE);
	}
	close(fd);
	tap_ok(guest_bind_opendxg(bdf) == 0, "bind opendxg again");
	ret = use_the_channel();
	tap_ok(ret == 0, "the channel works after the second bind (%s)",
	      ret ? strerror(-ret) : "ok");
	return tap_end();
}
