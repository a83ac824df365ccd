/* SPDX-License-Identifier: MIT */
/*
 * A dxgd worker run directly (this program plays both its broker and its guest): after serving
 * a guest that leaves objects of every kind behind, it exits with status 0 when the broker closes
 * its socket and on SIGTERM, marks the region RESET and kicks the guest's control vector.
 *
 * The broker replaces workers with SIGKILL, so this is where a worker's orderly shutdown is
 * checked: in a sanitizer build LeakSanitizer runs at that exit and turns any allocation the
 * worker did not free into a non-zero status.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <misc/d3dkmthk.h>
#include <misc/opendxg.h>
#include <opendxg/region.h>
#include <opendxg/ring.h>
#include <opendxg/wire.h>

#include "harness.h"

#define REGION_SIZE (8u << 20)
#define DEADLINE_MS 30000
#define GENERATION 5u

/* The broker <-> worker messages of docs/internals.md (host/broker_proto.h). */
#define BW_READY 1u
#define BW_PEER_ATTACH 2u
#define BW_STATUS_REQ 3u
#define BW_STATUS_REPLY 4u

static const char *dxgd_exe;

struct worker {
	pid_t pid;
	int broker;			/* our end of the broker socket */
	int region_fd;
	unsigned char *region;
	int doorbell[DXG_VECTORS];	/* the worker's eventfds: we ring these */
	int guest[DXG_VECTORS];		/* ours: the worker kicks these */
	struct dxg_ring requests, replies;
	uint32_t adapters;
	uint64_t next_id;
};

static int left_ms(uint64_t deadline)
{
	uint64_t now = harness_now_ms();

	return now < deadline ? (int)(deadline - now) : 0;
}

/* In the child: put `fds` on 3, 4, 5, 6 (a source may already sit on a target) and exec. */
static void __attribute__((noreturn)) exec_worker(const int fds[4])
{
	char *const argv[] = {
		(char *)dxgd_exe, "--worker", "--vm-name", "exit-test", "--generation", "5",
		"--region-fd", "3", "--broker-fd", "4", "--doorbell-fds", "5,6",
		"--luid-seed", "0123456789abcdef", NULL,
	};
	int moved[4];

	for (int i = 0; i < 4; i++) {
		moved[i] = fcntl(fds[i], F_DUPFD, 10);
		if (moved[i] < 0)
			_exit(127);
	}
	for (int i = 0; i < 4; i++) {
		if (dup2(moved[i], 3 + i) < 0)
			_exit(127);
	}
	execv(dxgd_exe, argv);
	_exit(127);
}

static void start_worker(struct worker *w)
{
	struct { uint32_t type, size, adapter_count, generation; } ready;
	struct pollfd pfd;
	int pair[2];

	memset(w, 0, sizeof(*w));
	w->next_id = 1;
	w->region_fd = memfd_create("worker-exit-test", MFD_CLOEXEC);
	assert_true(w->region_fd >= 0);
	assert_int_equal(ftruncate(w->region_fd, REGION_SIZE), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
	for (unsigned v = 0; v < DXG_VECTORS; v++) {
		w->doorbell[v] = eventfd(0, EFD_CLOEXEC);
		w->guest[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		assert_true(w->doorbell[v] >= 0 && w->guest[v] >= 0);
	}
	w->pid = fork();
	assert_true(w->pid >= 0);
	if (w->pid == 0) {
		const int fds[4] = { w->region_fd, pair[1], w->doorbell[0], w->doorbell[1] };

		exec_worker(fds);
	}
	close(pair[1]);
	w->broker = pair[0];

	/* Vulkan start-up comes first, then the region is formatted, then BW_READY. */
	pfd = (struct pollfd){ .fd = w->broker, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, DEADLINE_MS), 1);
	assert_int_equal(recv(w->broker, &ready, sizeof(ready), 0), (ssize_t)sizeof(ready));
	assert_int_equal(ready.type, BW_READY);
	assert_int_equal(ready.size, sizeof(ready));
	assert_int_equal(ready.generation, GENERATION);
	w->adapters = ready.adapter_count;

	w->region = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, w->region_fd, 0);
	assert_true(w->region != MAP_FAILED);
}

/* BW_PEER_ATTACH with our two eventfds, as the broker does when a guest connects. */
static void attach_peer(struct worker *w)
{
	struct { uint32_t type, size, peer_id, vectors; } msg = {
		BW_PEER_ATTACH, sizeof(msg), 1, DXG_VECTORS,
	};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * DXG_VECTORS)];
	} control;
	struct iovec iov = { &msg, sizeof(msg) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	memset(&control, 0, sizeof(control));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * DXG_VECTORS);
	memcpy(CMSG_DATA(c), w->guest, sizeof(int) * DXG_VECTORS);
	assert_int_equal(sendmsg(w->broker, &mh, MSG_NOSIGNAL), (ssize_t)sizeof(msg));
}

static void ring_doorbell(struct worker *w)
{
	assert_int_equal(eventfd_write(w->doorbell[DXG_VECTOR_RING], 1), 0);
}

/* The guest's side of protocol.md 2.3: check the header, attach both rings, acknowledge. */
static void attach_guest(struct worker *w)
{
	struct dxg_region_header *h = (struct dxg_region_header *)w->region;
	uint32_t max = dxg_from_le32(h->max_message_size);

	assert_int_equal(dxg_from_le32(dxg_load_acquire(&h->state)), DXG_REGION_STATE_READY);
	assert_true(dxg_from_le64(h->magic) == DXG_REGION_MAGIC);
	assert_int_equal(dxg_from_le32(h->generation), GENERATION);
	assert_int_equal(dxg_ring_attach(&w->requests,
		(struct dxg_ring_ctrl *)(w->region + dxg_from_le64(h->request_ring.ctrl_offset)),
		w->region + dxg_from_le64(h->request_ring.data_offset),
		dxg_from_le32(h->request_ring.data_size), max, true), 0);
	assert_int_equal(dxg_ring_attach(&w->replies,
		(struct dxg_ring_ctrl *)(w->region + dxg_from_le64(h->reply_ring.ctrl_offset)),
		w->region + dxg_from_le64(h->reply_ring.data_offset),
		dxg_from_le32(h->reply_ring.data_size), max, false), 0);
	h->guest_request_start = dxg_to_le32(w->requests.local);
	h->guest_reply_start = dxg_to_le32(w->replies.local);
	dxg_store_release(&h->guest_generation, dxg_to_le32(GENERATION));
	ring_doorbell(w);
}

/* One request, one reply; returns the reply status, the body goes to `out`. */
static int call(struct worker *w, uint16_t opcode, uint32_t process, const void *body,
		uint32_t len, void *out, uint32_t out_len)
{
	static unsigned char rec[DXGW_MAX_MESSAGE];
	uint64_t id = w->next_id++;
	uint64_t deadline = harness_now_ms() + DEADLINE_MS;
	struct dxgw_hdr h;
	int n;

	n = (int)harness_build_request(rec, opcode, id, process, body, len);
	assert_int_equal(dxg_ring_produce(&w->requests, rec, (uint32_t)n), 0);
	ring_doorbell(w);
	for (;;) {
		struct pollfd pfd = { .fd = w->guest[DXG_VECTOR_RING], .events = POLLIN };

		n = dxg_ring_consume(&w->replies, rec, sizeof(rec));
		assert_true(n >= 0);
		if (n > 0)
			break;
		/* Short polls: we never announce sleeping, so the worker need not kick us. */
		assert_true(left_ms(deadline) > 0);
		poll(&pfd, 1, 10);
	}
	assert_true((size_t)n >= sizeof(h));
	memcpy(&h, rec, sizeof(h));
	assert_true(dxg_from_le64(h.request_id) == id);
	assert_int_equal(dxg_from_le16(h.opcode), opcode);
	assert_int_equal(dxg_from_le32(h.size), (uint32_t)n);
	if (out) {
		assert_int_equal((uint32_t)n - sizeof(h), out_len);
		memcpy(out, rec + sizeof(h), out_len);
	}
	return (int)dxg_from_le32(h.status);
}

/* Leaves objects of every kind behind and asks for the status once. */
static void populate(struct worker *w)
{
	struct dxgw_connect_req connect = { .guest_version = dxg_to_le32(DXG_PROTOCOL_VERSION) };
	struct dxgw_connect_reply connected;
	struct dxgw_create_process_req cp = { .pid = dxg_to_le32(1), .name = "leftover" };
	struct dxgw_create_process_reply process;
	struct {
		struct dxgw_enum_adapters_reply head;
		struct dxgw_adapter_desc desc[1];
	} adapters;
	uint32_t p = 0, adapter;

	assert_int_equal(call(w, DXGW_OP_CONNECT, 0, &connect, sizeof(connect), &connected,
			      sizeof(connected)), 0);
	assert_int_equal(dxg_from_le32(connected.adapter_count), w->adapters);
	if (w->adapters != 1)
		skip();
	for (int i = 0; i < 3; i++) {
		assert_int_equal(call(w, DXGW_OP_CREATE_PROCESS, 0, &cp, sizeof(cp), &process,
				      sizeof(process)), 0);
		p = dxg_from_le32(process.process);
	}
	assert_int_equal(call(w, DXGW_OP_ENUM_ADAPTERS, 0, NULL, 0, &adapters, sizeof(adapters)),
			 0);
	adapter = adapters.desc[0].adapter;
	{
		struct dxgw_adapter_req open = { .adapter = adapter };
		struct dxgw_create_device_req cd = { .adapter = adapter };
		struct dxgw_handle_reply device;
		struct {
			struct dxgw_create_context_req req;
			unsigned char priv[64];
		} cc;
		struct {
			struct dxgw_query_adapter_info_req req;
			unsigned char data[8192];
		} qai;
		struct {
			struct dxgw_query_adapter_info_reply head;
			unsigned char data[8192];
		} info;

		assert_int_equal(call(w, DXGW_OP_OPEN_ADAPTER, p, &open, sizeof(open), NULL, 0),
				 0);
		assert_int_equal(call(w, DXGW_OP_CREATE_DEVICE, p, &cd, sizeof(cd), &device,
				      sizeof(device)), 0);
		memset(&cc, 0x5a, sizeof(cc));
		cc.req = (struct dxgw_create_context_req){
			.device = device.handle,
			.engine_affinity = dxg_to_le32(1),
			.priv_size = dxg_to_le32(sizeof(cc.priv)),
		};
		assert_int_equal(call(w, DXGW_OP_CREATE_CONTEXT_VIRTUAL, p, &cc, sizeof(cc),
				      &device, sizeof(device)), 0);
		memset(&qai, 0, sizeof(qai));
		qai.req.adapter = adapter;
		qai.req.type = dxg_to_le32(KMTQAITYPE_DRIVER_DESCRIPTION);
		qai.req.data_size = dxg_to_le32(sizeof(qai.data));
		assert_int_equal(call(w, DXGW_OP_QUERY_ADAPTER_INFO, p, &qai, sizeof(qai), &info,
				      sizeof(info)), 0);
	}
	{
		struct { uint32_t type, size; } req = { BW_STATUS_REQ, 8 };
		static char status[1u << 20];
		struct pollfd pfd = { .fd = w->broker, .events = POLLIN };
		ssize_t n;

		assert_int_equal(send(w->broker, &req, sizeof(req), MSG_NOSIGNAL), 8);
		assert_int_equal(poll(&pfd, 1, DEADLINE_MS), 1);
		n = recv(w->broker, status, sizeof(status) - 1, 0);
		assert_true(n > 8);
		status[n] = '\0';
		assert_non_null(strstr(status + 8, "\"processes\":3"));
	}
}

/* Forgets the control-vector kicks so far (attaching a peer kicks it too). */
static void drain_control(struct worker *w)
{
	uint64_t kicks;

	if (eventfd_read(w->guest[DXG_VECTOR_CONTROL], &kicks) < 0)
		assert_int_equal(errno, EAGAIN);
}

/* Waits for the worker; asserts status 0, the region RESET and a kick on the control vector. */
static void expect_orderly_exit(struct worker *w)
{
	struct dxg_region_header *h = (struct dxg_region_header *)w->region;
	uint64_t deadline = harness_now_ms() + DEADLINE_MS;
	uint64_t kicks = 0;
	int status;
	pid_t r;

	while ((r = waitpid(w->pid, &status, WNOHANG)) == 0) {
		assert_true(left_ms(deadline) > 0);
		poll(NULL, 0, 10);
	}
	assert_int_equal(r, w->pid);
	if (WIFSIGNALED(status))
		fail_msg("worker killed by signal %d", WTERMSIG(status));
	/* A sanitizer report (LeakSanitizer: 23) ends up here as a non-zero status. */
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(dxg_from_le32(dxg_load_acquire(&h->state)), DXG_REGION_STATE_RESET);
	assert_int_equal(eventfd_read(w->guest[DXG_VECTOR_CONTROL], &kicks), 0);
	assert_true(kicks >= 1);
}

static void cleanup(struct worker *w)
{
	munmap(w->region, REGION_SIZE);
	close(w->region_fd);
	if (w->broker >= 0)
		close(w->broker);
	for (unsigned v = 0; v < DXG_VECTORS; v++) {
		close(w->doorbell[v]);
		close(w->guest[v]);
	}
}

static void test_broker_closes(void **state)
{
	struct worker w;

	(void)state;
	start_worker(&w);
	attach_peer(&w);
	attach_guest(&w);
	populate(&w);
	drain_control(&w);
	close(w.broker);
	w.broker = -1;
	expect_orderly_exit(&w);
	cleanup(&w);
}

static void test_sigterm(void **state)
{
	struct worker w;

	(void)state;
	start_worker(&w);
	attach_peer(&w);
	/* A second attach replaces the first peer's eventfds (the old ones are closed). */
	attach_peer(&w);
	attach_guest(&w);
	populate(&w);
	drain_control(&w);
	assert_int_equal(kill(w.pid, SIGTERM), 0);
	expect_orderly_exit(&w);
	cleanup(&w);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_broker_closes),
		cmocka_unit_test(test_sigterm),
	};

	dxgd_exe = harness_dxgd_path(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("worker exit", tests, NULL, NULL);
}
