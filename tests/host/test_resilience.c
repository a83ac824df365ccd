/* SPDX-License-Identifier: MIT */
/*
 * The broker under hostile or broken neighbours: it leaks no fds and leaves no zombies across
 * guest connects, disconnects and worker restarts; a hung (stopped) worker costs only its own VM
 * a "worker": null in the status; control clients that connect and say nothing are dropped
 * without holding anything up; a guest peer that saturates its own eventfds cannot make the
 * broker block on a kick; and running out of fds makes the broker back off, not spin.
 *
 * Waits are bounded by generous deadlines that only turn a hang into a failure.
 */
#include <dirent.h>
#include <endian.h>
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "harness.h"

#define DEADLINE_MS 30000
/* The broker serves at most this many control clients at once (docs/dxgd.md). */
#define CONTROL_MAX_CLIENTS 16

static struct uguest *vm1_guest;

static int connect_unix(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- /proc ---- */

static unsigned count_fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	unsigned n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The one-letter state of /proc/PID/stat ('R', 'S', 'T', 'Z', ...), or 0 when it is gone. */
static char process_state(pid_t pid)
{
	char path[64], buf[512], *paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold anything, the state follows the last ')'. */
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren[2] : 0;
}

/* The broker's children (its workers, and any it has not reaped yet). */
static unsigned list_children(pid_t pid, pid_t *out, unsigned max)
{
	char path[64], buf[1024], *p, *end;
	unsigned n = 0;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(len >= 0);
	buf[len] = '\0';
	for (p = buf;; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		if (n < max)
			out[n] = (pid_t)v;
		n++;
	}
	return n;
}

/* ---- control socket ---- */

struct vm_status {
	long long worker_pid;
	long long generation;
	bool connected;
	bool has_worker;	/* the worker's own report is present (not null) */
	char state[16];
};

/* Fetches `status` and extracts VM `name`; false when the broker gave no (valid) answer. */
static bool vm_status(const char *name, struct vm_status *out)
{
	char *text = harness_control_status(&harness_dxgd);
	struct json_object *doc = text && *text ? json_tokener_parse(text) : NULL;
	struct json_object *vms, *v;
	bool found = false;

	memset(out, 0, sizeof(*out));
	free(text);
	if (!doc)
		return false;
	if (json_object_object_get_ex(doc, "vms", &vms)) {
		for (size_t i = 0; i < json_object_array_length(vms); i++) {
			struct json_object *o = json_object_array_get_idx(vms, i);

			if (!json_object_object_get_ex(o, "name", &v) ||
			    strcmp(json_object_get_string(v), name) != 0)
				continue;
			found = true;
			out->worker_pid = json_object_object_get_ex(o, "worker_pid", &v) && v ?
					  json_object_get_int64(v) : -1;
			out->generation = json_object_object_get_ex(o, "generation", &v) ?
					  json_object_get_int64(v) : -1;
			out->connected = json_object_object_get_ex(o, "connected", &v) &&
					 json_object_get_boolean(v);
			out->has_worker = json_object_object_get_ex(o, "worker", &v) && v &&
					  json_object_is_type(v, json_type_object);
			if (json_object_object_get_ex(o, "worker_state", &v))
				snprintf(out->state, sizeof(out->state), "%s",
					 json_object_get_string(v));
		}
	}
	json_object_put(doc);
	return found;
}

/* Waits until VM `name` has a ready worker that answers, no guest, and generation > `above`. */
static void wait_idle_ready(const char *name, long long above, struct vm_status *st)
{
	uint64_t deadline = harness_now_ms() + DEADLINE_MS;

	for (;;) {
		if (vm_status(name, st) && strcmp(st->state, "ready") == 0 && st->has_worker &&
		    !st->connected && st->generation > above)
			return;
		assert_true(harness_now_ms() < deadline);
		harness_sleep_ms(20);
	}
}

/* ---- a raw ivshmem client (what QEMU's ivshmem-doorbell does, without checks) ---- */

struct raw_peer {
	int sock;
	int fds[1 + 2 * DXG_VECTORS];	/* region, peer 0's vectors, our own vectors */
	unsigned nfds;
};

/* Reads the 7 setup messages (3 + 2 vectors x 2 peers); false when refused or cut short. */
static bool raw_setup(int sock, struct raw_peer *p)
{
	unsigned messages = 0;

	memset(p, 0, sizeof(*p));
	p->sock = sock;
	if (p->sock < 0)
		return false;
	while (messages < 3 + 2 * DXG_VECTORS) {
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(int))];
		} control;
		int64_t value;
		struct iovec iov = { &value, sizeof(value) };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
		};
		struct pollfd pfd = { .fd = p->sock, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, DEADLINE_MS) != 1)
			return false;
		/* Messages are 8 bytes each and never split on a unix stream in practice. */
		n = recvmsg(p->sock, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
		if (n != (ssize_t)sizeof(value))
			return false;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			int fd;

			if (c->cmsg_type != SCM_RIGHTS)
				continue;
			memcpy(&fd, CMSG_DATA(c), sizeof(fd));
			if (p->nfds < sizeof(p->fds) / sizeof(p->fds[0]))
				p->fds[p->nfds++] = fd;
			else
				close(fd);
		}
		/* The second message is our id; -1 means refused. */
		if (messages == 1 && (int64_t)le64toh((uint64_t)value) < 0)
			return false;
		messages++;
	}
	return p->nfds == 1 + 2 * DXG_VECTORS;
}

static bool raw_connect(const char *path, struct raw_peer *p)
{
	return raw_setup(connect_unix(path), p);
}

static void raw_close(struct raw_peer *p);

/* Right after a disconnect the broker may not have noticed it yet and refuse us: retry. */
static bool raw_connect_retry(const char *path, struct raw_peer *p)
{
	for (int attempt = 0; attempt < 100; attempt++) {
		if (raw_connect(path, p))
			return true;
		raw_close(p);
		harness_sleep_ms(20);
	}
	return false;
}

static int raw_own_fd(const struct raw_peer *p, unsigned vector)
{
	return p->fds[1 + DXG_VECTORS + vector];
}

static void raw_close(struct raw_peer *p)
{
	for (unsigned i = 0; i < p->nfds; i++)
		close(p->fds[i]);
	if (p->sock >= 0)
		close(p->sock);
	p->nfds = 0;
	p->sock = -1;
}

/* Sends `cmd` with one fd attached (SCM_RIGHTS) and returns the answer (malloc'ed). */
static char *control_with_fd(const char *cmd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { (void *)cmd, strlen(cmd) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	int sock = connect_unix(harness_dxgd.control_socket);
	int passed = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char *out = calloc(1, 4096);
	size_t len = 0;

	assert_true(sock >= 0 && passed >= 0 && out);
	memset(&control, 0, sizeof(control));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &passed, sizeof(int));
	assert_int_equal(sendmsg(sock, &mh, MSG_NOSIGNAL), (ssize_t)strlen(cmd));
	close(passed);
	for (;;) {
		struct pollfd pfd = { .fd = sock, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, DEADLINE_MS) != 1)
			break;
		n = read(sock, out + len, 4095 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(sock);
	return out;
}

/*
 * A guest peer can drive its own eventfds to the counter's maximum; a blocking kick would then
 * hang whoever writes next (the broker when a worker goes away, the worker on every reply).
 */
static void test_saturated_guest_eventfds(void **state)
{
	const uint64_t full = 0xfffffffffffffffeull;
	struct raw_peer peer;
	struct vm_status st, st1;
	long long gen;

	(void)state;
	wait_idle_ready("vm0", 0, &st);
	gen = st.generation;
	assert_true(raw_connect_retry(harness_dxgd.vm_socket[0], &peer));
	/*
	 * The worker kicks both vectors once it is handed our peer; after that nobody kicks us
	 * until the worker goes. The fds' flags are the broker's (one open file): leave them.
	 */
	for (unsigned v = 0; v < DXG_VECTORS; v++) {
		struct pollfd pfd = { .fd = raw_own_fd(&peer, v), .events = POLLIN };

		assert_int_equal(poll(&pfd, 1, DEADLINE_MS), 1);
	}
	for (unsigned v = 0; v < DXG_VECTORS; v++) {
		int fd = raw_own_fd(&peer, v);
		int attempts = 0;

		for (;;) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			uint64_t pending;

			if (poll(&pfd, 1, 0) == 1)
				assert_int_equal(read(fd, &pending, sizeof(pending)),
						 (ssize_t)sizeof(pending));
			if (write(fd, &full, sizeof(full)) == (ssize_t)sizeof(full))
				break;
			/* Only a non-blocking fd gets here: a late kick refilled it. */
			assert_int_equal(errno, EAGAIN);
			assert_true(++attempts < 1000);
		}
	}

	/* The worker goes away: the broker marks the region RESET and kicks vector 1. */
	assert_int_equal(kill((pid_t)st.worker_pid, SIGKILL), 0);
	/* The next worker is handed the saturated fds and kicks both vectors at once. */
	{
		uint64_t deadline = harness_now_ms() + DEADLINE_MS;

		for (;;) {
			assert_true(vm_status("vm0", &st));
			if (strcmp(st.state, "ready") == 0 && st.has_worker && st.generation > gen)
				break;
			assert_true(harness_now_ms() < deadline);
			harness_sleep_ms(20);
		}
	}
	assert_true(st.connected);
	/* Neither the broker nor the other VM noticed anything. */
	assert_true(vm_status("vm1", &st1));
	assert_true(st1.has_worker);
	assert_int_equal(uguest_nop(vm1_guest), 0);

	raw_close(&peer);
	wait_idle_ready("vm0", st.generation, &st);
}

/* 50 guest connects and disconnects, plus worker restarts: no fd and no child left behind. */
static void test_no_fd_or_zombie_leaks(void **state)
{
	struct vm_status st0, st1;
	pid_t children[8];
	unsigned fds_before, fds_after, n;
	uint32_t process;

	(void)state;
	/* Counted with no guest attached anywhere, before and after. */
	uguest_close(vm1_guest);
	vm1_guest = NULL;
	wait_idle_ready("vm0", 0, &st0);
	wait_idle_ready("vm1", 0, &st1);
	fds_before = count_fds(harness_dxgd.pid);

	for (int round = 0; round < 50; round++) {
		struct raw_peer peer, second;

		assert_true(raw_connect_retry(harness_dxgd.vm_socket[0], &peer));
		if (round % 5 == 0) {
			/* A second guest is refused while the first is attached. */
			assert_false(raw_connect(harness_dxgd.vm_socket[0], &second));
			raw_close(&second);
		}
		if (round % 3 == 0) {
			/* A client that sends is dropped; fds it attaches are not kept either. */
			char *reply;

			assert_int_equal(send(peer.sock, "x", 1, MSG_NOSIGNAL), 1);
			reply = control_with_fd("ping\n");
			assert_string_equal(reply, "{\"ok\":true}\n");
			free(reply);
		}
		raw_close(&peer);
	}

	/* Real guests, each followed by a worker restart, and two crashed workers. */
	for (int round = 0; round < 3; round++) {
		struct uguest *g;
		struct uguest_options opt = { 0 };

		wait_idle_ready("vm0", 0, &st0);
		opt.min_generation = (uint32_t)st0.generation;
		assert_int_equal(harness_connect(&harness_dxgd, 0, &opt, &g), 0);
		assert_int_equal(uguest_create_process(g, 1, "leaky", &process), 0);
		uguest_close(g);
	}
	for (int round = 0; round < 2; round++) {
		wait_idle_ready("vm1", 0, &st1);
		assert_int_equal(kill((pid_t)st1.worker_pid, SIGKILL), 0);
		wait_idle_ready("vm1", st1.generation, &st1);
	}
	wait_idle_ready("vm0", 0, &st0);

	fds_after = count_fds(harness_dxgd.pid);
	assert_int_equal(fds_after, fds_before);
	/* Exactly the two current workers: everything else was reaped. */
	n = list_children(harness_dxgd.pid, children, 8);
	assert_int_equal(n, 2);
	for (unsigned i = 0; i < n; i++) {
		assert_true(children[i] == (pid_t)st0.worker_pid ||
			    children[i] == (pid_t)st1.worker_pid);
		assert_true(process_state(children[i]) != 'Z');
	}
}

/* A stopped worker: status still answers (that VM's worker is null), the other VM works. */
static void test_stopped_worker(void **state)
{
	struct vm_status st, st1;
	uint64_t deadline;
	pid_t pid;

	(void)state;
	wait_idle_ready("vm0", 0, &st);
	pid = (pid_t)st.worker_pid;
	assert_int_equal(kill(pid, SIGSTOP), 0);
	deadline = harness_now_ms() + DEADLINE_MS;
	while (process_state(pid) != 'T') {
		assert_true(harness_now_ms() < deadline);
		harness_sleep_ms(10);
	}

	for (int i = 0; i < 3; i++) {
		assert_true(vm_status("vm0", &st));
		assert_false(st.has_worker);
		assert_int_equal(st.worker_pid, pid);
		assert_string_equal(st.state, "ready");
		assert_true(vm_status("vm1", &st1));
		assert_true(st1.has_worker);
		assert_int_equal(uguest_nop(vm1_guest), 0);
	}

	/* Resumed, it answers again (its late answers to the expired requests are dropped). */
	assert_int_equal(kill(pid, SIGCONT), 0);
	deadline = harness_now_ms() + DEADLINE_MS;
	for (;;) {
		assert_true(vm_status("vm0", &st));
		if (st.has_worker)
			break;
		assert_true(harness_now_ms() < deadline);
		harness_sleep_ms(20);
	}
	assert_int_equal(st.worker_pid, pid);
}

/* A guest that leaves while its worker is stopped gets a fresh worker all the same. */
static void test_stopped_worker_replaced(void **state)
{
	struct vm_status st;
	struct raw_peer peer;
	long long gen;
	pid_t pid;

	(void)state;
	wait_idle_ready("vm0", 0, &st);
	gen = st.generation;
	pid = (pid_t)st.worker_pid;
	assert_true(raw_connect_retry(harness_dxgd.vm_socket[0], &peer));
	assert_int_equal(kill(pid, SIGSTOP), 0);
	raw_close(&peer);
	wait_idle_ready("vm0", gen, &st);
	assert_true(st.worker_pid != pid);
	assert_int_equal(process_state(pid), 0);
}

/* Control clients that connect and never finish a command are dropped; nothing waits on them. */
static void test_silent_control_clients(void **state)
{
	int idle[CONTROL_MAX_CLIENTS - 1];
	const unsigned count = sizeof(idle) / sizeof(idle[0]);
	struct vm_status st;
	uint64_t deadline;

	(void)state;
	for (unsigned i = 0; i < count; i++) {
		idle[i] = connect_unix(harness_dxgd.control_socket);
		assert_true(idle[i] >= 0);
		/* Half of them start a command and never end it. */
		if (i % 2)
			assert_int_equal(send(idle[i], "sta", 3, MSG_NOSIGNAL), 3);
	}
	/* The last free slot is served at once, and the guests carry on. */
	assert_true(vm_status("vm1", &st));
	assert_true(st.has_worker);
	assert_int_equal(uguest_nop(vm1_guest), 0);

	/* Each silent client is closed by the broker, without a word. */
	deadline = harness_now_ms() + DEADLINE_MS;
	for (unsigned i = 0; i < count; i++) {
		struct pollfd pfd = { .fd = idle[i], .events = POLLIN };
		char byte;
		int left = (int)(deadline - harness_now_ms());

		assert_true(left > 0);
		assert_int_equal(poll(&pfd, 1, left), 1);
		assert_int_equal(read(idle[i], &byte, 1), 0);
		close(idle[i]);
	}
	assert_true(vm_status("vm0", &st));
}

/* Write-type system calls the process has made (/proc/PID/io syscw): its log lines, mostly. */
static unsigned long long write_syscalls(pid_t pid)
{
	char path[64], line[128];
	unsigned long long n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
	f = fopen(path, "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "syscw: %llu", &n) == 1)
			break;
	fclose(f);
	return n;
}

static int lowest_free_fd(pid_t pid)
{
	char path[64];

	for (int fd = 0;; fd++) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
		if (access(path, F_OK) < 0)
			return fd;
	}
}

/*
 * Out of fds, accept() fails and leaves the connection queued, so the listening socket stays
 * readable: the broker must back off instead of spinning (and logging) at full speed, and must
 * serve the waiting clients once fds are back.
 */
static void test_accept_without_fds(void **state)
{
	const pid_t broker = harness_dxgd.pid;
	struct rlimit saved, low;
	unsigned long long writes;
	struct vm_status st;
	struct raw_peer peer;
	char answer[64];
	int ctl, guest;
	ssize_t n;

	(void)state;
	wait_idle_ready("vm0", 0, &st);
	assert_int_equal(prlimit(broker, RLIMIT_NOFILE, NULL, &saved), 0);
	low = saved;
	low.rlim_cur = (rlim_t)lowest_free_fd(broker);
	assert_int_equal(prlimit(broker, RLIMIT_NOFILE, &low, NULL), 0);

	/* Both connections wait in the listen backlogs. */
	ctl = connect_unix(harness_dxgd.control_socket);
	assert_true(ctl >= 0);
	assert_int_equal(send(ctl, "ping\n", 5, MSG_NOSIGNAL), 5);
	guest = connect_unix(harness_dxgd.vm_socket[0]);
	assert_true(guest >= 0);
	writes = write_syscalls(broker);
	harness_sleep_ms(1000);
	writes = write_syscalls(broker) - writes;
	assert_int_equal(prlimit(broker, RLIMIT_NOFILE, &saved, NULL), 0);
	/*
	 * A count, not a time: each listener logs the failure at most 5 times per 10 s. A broker
	 * that retried at once would have written a line per attempt, without end.
	 */
	assert_true(writes <= 20);

	/* Nothing was lost: both clients are served once fds are available again. */
	{
		struct pollfd pfd = { .fd = ctl, .events = POLLIN };

		assert_int_equal(poll(&pfd, 1, DEADLINE_MS), 1);
		n = read(ctl, answer, sizeof(answer) - 1);
		assert_true(n > 0);
		answer[n] = '\0';
		assert_string_equal(answer, "{\"ok\":true}\n");
		close(ctl);
	}
	assert_true(raw_setup(guest, &peer));
	raw_close(&peer);
	wait_idle_ready("vm0", 0, &st);
}

static void test_shutdown(void **state)
{
	(void)state;
	uguest_close(vm1_guest);
	vm1_guest = NULL;
	harness_expect_clean_exit();
}

static int connect_vm1(void **state)
{
	(void)state;
	if (!vm1_guest)
		return harness_connect(&harness_dxgd, 1, NULL, &vm1_guest) == 0 ? 0 : -1;
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_saturated_guest_eventfds, connect_vm1),
		cmocka_unit_test(test_no_fd_or_zombie_leaks),
		cmocka_unit_test_setup(test_stopped_worker, connect_vm1),
		cmocka_unit_test(test_stopped_worker_replaced),
		cmocka_unit_test_setup(test_silent_control_clients, connect_vm1),
		cmocka_unit_test(test_accept_without_fds),
		cmocka_unit_test(test_shutdown),
	};

	return harness_run(argc, argv, "resilience", tests, sizeof(tests) / sizeof(tests[0]), 2);
}
