// SPDX-License-Identifier: MIT
/*
 * dxgd broker, tested from the outside: the command line and config file checks, the ivshmem
 * server protocol as QEMU sees it, the one-guest-per-VM rule, the control socket, worker restarts
 * (guest disconnect, worker crash) and SIGTERM cleanup.
 *
 * Usage: test_broker PATH-TO-DXGD. Exit 0 pass, 1 fail. Waits are bounded by generous deadlines
 * that only turn a hang into a failure; nothing here measures time.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEADLINE_MS 30000
/* Every path the test makes is a possible socket path: it must fit sun_path. */
#define TEST_PATH_MAX 108

static const char *dxgd_path;
static char tmpdir[48];
static int failures;
static pid_t daemon_pid = -1;

#define CHECK(cond, ...)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);     \
			fprintf(stderr, __VA_ARGS__);                                      \
			fputc('\n', stderr);                                               \
			failures++;                                                        \
			return false;                                                      \
		}                                                                          \
	} while (0)

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void path_in_tmp(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", tmpdir, name);
}

static bool write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return false;
	fputs(text, f);
	return fclose(f) == 0;
}

/* Starts dxgd with `args` (NULL-terminated); stdout/stderr go to /dev/null when quiet. */
static pid_t spawn_dxgd(const char *const *args, bool quiet)
{
	const char *argv[32];
	size_t n = 0;
	pid_t pid;

	argv[n++] = dxgd_path;
	for (size_t i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		if (quiet) {
			int null_fd = open("/dev/null", O_WRONLY);

			dup2(null_fd, STDOUT_FILENO);
			dup2(null_fd, STDERR_FILENO);
		}
		execv(dxgd_path, (char *const *)argv);
		_exit(126);
	}
	return pid;
}

/* Waits for pid with a deadline; kills it if the deadline passes. Returns the wait status. */
static int wait_exit(pid_t pid)
{
	uint64_t deadline = now_ms() + DEADLINE_MS;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		sleep_ms(10);
	}
}

static int run_dxgd(const char *const *args)
{
	pid_t pid = spawn_dxgd(args, true);

	return pid < 0 ? -1 : wait_exit(pid);
}

static bool exited_with(int status, int code)
{
	return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Reads one ivshmem message: 8 bytes little-endian, with at most one fd. Returns 1 for a
 * message, 0 for EOF before any byte, -1 on error or timeout.
 */
static int recv_ivshmem(int sock, int64_t *value, int *fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} control;
	uint8_t bytes[8];
	size_t got = 0;

	*value = 0;
	*fd = -1;
	while (got < sizeof(bytes)) {
		struct pollfd pfd = { .fd = sock, .events = POLLIN };
		struct iovec iov = { .iov_base = bytes + got, .iov_len = sizeof(bytes) - got };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
		};
		ssize_t n;

		if (poll(&pfd, 1, DEADLINE_MS) != 1)
			return -1;
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0)
			return errno == ECONNRESET && got == 0 ? 0 : -1;
		if (n == 0)
			return got == 0 ? 0 : -1;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

				if (count != 1 || *fd >= 0)
					return -1;
				memcpy(fd, CMSG_DATA(c), sizeof(int));
			}
		}
		got += (size_t)n;
	}
	*value = (int64_t)((uint64_t)bytes[0] | (uint64_t)bytes[1] << 8 |
			   (uint64_t)bytes[2] << 16 | (uint64_t)bytes[3] << 24 |
			   (uint64_t)bytes[4] << 32 | (uint64_t)bytes[5] << 40 |
			   (uint64_t)bytes[6] << 48 | (uint64_t)bytes[7] << 56);
	return 1;
}

static bool is_eventfd(int fd)
{
	char link[64], target[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "anon_inode:[eventfd]") == 0;
}

struct ivshmem_client {
	int sock;
	int64_t peer_id;
	int region_fd;
	int server_fds[2];
	int own_fds[2];
};

static void client_close(struct ivshmem_client *c)
{
	if (c->sock >= 0)
		close(c->sock);
	if (c->region_fd >= 0)
		close(c->region_fd);
	for (int v = 0; v < 2; v++) {
		if (c->server_fds[v] >= 0)
			close(c->server_fds[v]);
		if (c->own_fds[v] >= 0)
			close(c->own_fds[v]);
	}
	c->sock = c->region_fd = -1;
	c->server_fds[0] = c->server_fds[1] = c->own_fds[0] = c->own_fds[1] = -1;
}

/* Connects like QEMU's ivshmem-doorbell with vectors=2 and checks every setup message. */
static bool client_connect(const char *socket_path, uint64_t region_size, int64_t expect_id,
			   struct ivshmem_client *c)
{
	int64_t value;
	int fd, r;
	struct stat st;
	int seals;

	c->sock = c->region_fd = -1;
	c->server_fds[0] = c->server_fds[1] = c->own_fds[0] = c->own_fds[1] = -1;
	c->sock = connect_unix(socket_path);
	CHECK(c->sock >= 0, "connect %s: %s", socket_path, strerror(errno));

	r = recv_ivshmem(c->sock, &value, &fd);
	CHECK(r == 1 && value == 0 && fd < 0, "version message: r=%d value=%lld fd=%d", r,
	      (long long)value, fd);
	r = recv_ivshmem(c->sock, &value, &fd);
	CHECK(r == 1 && fd < 0 && value == expect_id, "id message: r=%d value=%lld fd=%d", r,
	      (long long)value, fd);
	c->peer_id = value;
	r = recv_ivshmem(c->sock, &value, &c->region_fd);
	CHECK(r == 1 && value == -1 && c->region_fd >= 0, "shm message: r=%d value=%lld", r,
	      (long long)value);
	CHECK(fstat(c->region_fd, &st) == 0 && (uint64_t)st.st_size == region_size,
	      "region size %lld, expected %llu", (long long)st.st_size,
	      (unsigned long long)region_size);
	seals = fcntl(c->region_fd, F_GET_SEALS);
	CHECK(seals >= 0 && (seals & F_SEAL_SHRINK) && (seals & F_SEAL_GROW) &&
	      !(seals & F_SEAL_WRITE), "region seals 0x%x", seals);
	for (int v = 0; v < 2; v++) {
		r = recv_ivshmem(c->sock, &value, &c->server_fds[v]);
		CHECK(r == 1 && value == 0 && c->server_fds[v] >= 0 && is_eventfd(c->server_fds[v]),
		      "peer 0 vector %d: r=%d value=%lld", v, r, (long long)value);
	}
	for (int v = 0; v < 2; v++) {
		r = recv_ivshmem(c->sock, &value, &c->own_fds[v]);
		CHECK(r == 1 && value == expect_id && c->own_fds[v] >= 0 &&
		      is_eventfd(c->own_fds[v]), "own vector %d: r=%d value=%lld", v, r,
		      (long long)value);
	}
	return true;
}

/* Sends `command` (shutting down the write side when `half_close`), returns the reply text. */
static char *control_request(const char *control, const char *command, bool half_close)
{
	int fd = connect_unix(control);
	size_t len = 0, cap = 4096;
	char *buf;

	if (fd < 0)
		return NULL;
	if (write(fd, command, strlen(command)) != (ssize_t)strlen(command)) {
		close(fd);
		return NULL;
	}
	if (half_close)
		shutdown(fd, SHUT_WR);
	buf = malloc(cap);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (!buf || poll(&pfd, 1, DEADLINE_MS) != 1)
			goto fail;
		if (len + 1 == cap) {
			char *grown = realloc(buf, cap * 2);

			if (!grown)
				goto fail;
			buf = grown;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

static struct json_object *control_json(const char *control, const char *command)
{
	char *text = control_request(control, command, false);
	struct json_object *obj;

	if (!text)
		return NULL;
	obj = json_tokener_parse(text);
	free(text);
	return obj;
}

static struct json_object *status_vm(struct json_object *status, const char *name)
{
	struct json_object *vms;

	if (!json_object_object_get_ex(status, "vms", &vms) ||
	    !json_object_is_type(vms, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(vms); i++) {
		struct json_object *vm = json_object_array_get_idx(vms, i);
		struct json_object *n;

		if (json_object_object_get_ex(vm, "name", &n) &&
		    strcmp(json_object_get_string(n), name) == 0)
			return vm;
	}
	return NULL;
}

static int64_t field_int(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

static bool field_is_null(struct json_object *obj, const char *key)
{
	struct json_object *v;

	return obj && json_object_object_get_ex(obj, key, &v) && v == NULL;
}

static int field_bool(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return -1;
	return json_object_get_boolean(v);
}

/* Polls `status` until vm `name` has a ready-or-starting worker of a generation above `above`. */
static bool wait_generation(const char *control, const char *name, int64_t above,
			    int64_t *generation, int64_t *pid, struct json_object **last)
{
	uint64_t deadline = now_ms() + DEADLINE_MS;

	for (;;) {
		struct json_object *st = control_json(control, "status\n");
		struct json_object *vm = status_vm(st, name);
		int64_t gen = field_int(vm, "generation");
		int64_t wpid = field_int(vm, "worker_pid");

		if (gen > above && wpid > 0) {
			*generation = gen;
			*pid = wpid;
			*last = st;
			return true;
		}
		json_object_put(st);
		if (now_ms() > deadline)
			return false;
		sleep_ms(20);
	}
}

static bool wait_for_path(const char *path, pid_t daemon)
{
	uint64_t deadline = now_ms() + DEADLINE_MS;
	struct stat st;

	while (stat(path, &st) < 0) {
		if (waitpid(daemon, NULL, WNOHANG) == daemon || now_ms() > deadline)
			return false;
		sleep_ms(10);
	}
	return true;
}

static bool test_usage_errors(void)
{
	static const char *const cases[][6] = {
		{ NULL },
		{ "--vm", "bad/name:/tmp/x", NULL },
		{ "--vm", "toolongname-0123456789012345678901:/tmp/x", NULL },
		{ "--vm", "vm0:/tmp/x:3M", NULL },
		{ "--vm", "vm0:/tmp/x:512K", NULL },
		{ "--vm", "vm0:/tmp/x:1x", NULL },
		{ "--vm", "vm0", NULL },
		{ "--vm", "vm0:", NULL },
		{ "--vm", "vm0:/tmp/x", "--vm", "vm0:/tmp/y", NULL },
		{ "--vm", "a:/tmp/x", "--vm", "b:/tmp/x", NULL },
		{ "--vm", "a:/tmp/x", "--log-level", "loud", NULL },
		{ "--vm", "a:/tmp/x", "--bogus", NULL },
		{ "--vm", "a:/tmp/x", "stray", NULL },
		{ "--vm", "a:/tmp/x", "--control", "/tmp/x", NULL },
		{ "--config", "/nonexistent/dxgd.ini", NULL },
	};
	static const struct {
		const char *name;
		const char *text;
	} files[] = {
		{ "no-socket", "[vm a]\n" },
		{ "bad-size", "[vm a]\nsocket=/tmp/a\nsize=3M\n" },
		{ "small-size", "[vm a]\nsocket=/tmp/a\nsize=64K\n" },
		{ "dup-name", "[vm a]\nsocket=/tmp/a\n[vm a]\nsocket=/tmp/b\n" },
		{ "dup-socket", "[vm a]\nsocket=/tmp/a\n[vm b]\nsocket=/tmp/a\n" },
		{ "unknown-key", "[vm a]\nsocket=/tmp/a\ncolor=red\n" },
		{ "unknown-section", "[gpu]\nx=1\n" },
		{ "bad-name", "[vm a b]\nsocket=/tmp/a\n" },
		{ "syntax", "[vm a]\nsocket\n" },
		{ "bad-level", "[dxgd]\nlog_level=loud\n[vm a]\nsocket=/tmp/a\n" },
	};
	char path[TEST_PATH_MAX];
	int status;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		status = run_dxgd(cases[i]);
		CHECK(exited_with(status, 2), "case %zu (%s %s): status 0x%x", i,
		      cases[i][0] ? cases[i][0] : "(none)", cases[i][0] ? cases[i][1] : "",
		      status);
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const char *args[] = { "--config", path, NULL };

		snprintf(path, sizeof(path), "%s/%s.ini", tmpdir, files[i].name);
		CHECK(write_file(path, files[i].text), "write %s", path);
		status = run_dxgd(args);
		CHECK(exited_with(status, 2), "config '%s': status 0x%x", files[i].name, status);
	}
	{
		const char *help[] = { "--help", NULL };
		const char *version[] = { "--version", NULL };

		CHECK(exited_with(run_dxgd(help), 0), "--help");
		CHECK(exited_with(run_dxgd(version), 0), "--version");
	}
	return true;
}

/* A path that is not a socket must never be replaced: startup fails (status 1). */
static bool test_refuses_non_socket(void)
{
	char file[TEST_PATH_MAX], arg[TEST_PATH_MAX + 16], control[TEST_PATH_MAX];
	const char *args[] = { "--vm", arg, "--control", control, NULL };
	struct stat st;

	path_in_tmp(file, sizeof(file), "not-a-socket");
	path_in_tmp(control, sizeof(control), "nsctl.sock");
	snprintf(arg, sizeof(arg), "x:%s:1M", file);
	CHECK(write_file(file, "keep me\n"), "write");
	CHECK(exited_with(run_dxgd(args), 1), "dxgd started over a regular file");
	CHECK(stat(file, &st) == 0 && S_ISREG(st.st_mode), "the regular file was touched");
	CHECK(stat(control, &st) < 0 && errno == ENOENT, "control socket created after failure");
	unlink(file);
	return true;
}

/* Leaves a socket file nobody listens on, like a daemon killed with SIGKILL. */
static bool make_stale_socket(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0, "bind %s", path);
	close(fd);
	return true;
}

static bool test_daemon(void)
{
	char config[TEST_PATH_MAX], control[TEST_PATH_MAX], sock0[TEST_PATH_MAX];
	char sock1[TEST_PATH_MAX], sock2[TEST_PATH_MAX], vm2_arg[TEST_PATH_MAX + 16];
	char text[4 * TEST_PATH_MAX + 256];
	const char *args[] = { "--config", config, "--vm", vm2_arg, NULL };
	struct ivshmem_client c1, c2;
	struct json_object *st, *vm;
	int64_t gen0, gen1, pid0, pid1, old_pid1, vm1_gen, vm1_pid;
	int64_t value;
	pid_t daemon;
	char *reply;
	int fd, r, status, passed_fd;

	path_in_tmp(config, sizeof(config), "dxgd.ini");
	path_in_tmp(control, sizeof(control), "run/control.sock");
	path_in_tmp(sock0, sizeof(sock0), "run/vm0.sock");
	path_in_tmp(sock1, sizeof(sock1), "vm1.sock");
	path_in_tmp(sock2, sizeof(sock2), "vm2.sock");
	snprintf(vm2_arg, sizeof(vm2_arg), "vm2:%s:4M", sock2);
	snprintf(text, sizeof(text),
		 "; broker test\n[dxgd]\ncontrol = %s\nlog_level = info\n\n"
		 "[vm vm0]\nsocket = %s\nsize = 1M\n\n[vm vm1]\nsocket = %s\nsize = 2M\n"
		 "mode = 0660\n",
		 control, sock0, sock1);
	CHECK(write_file(config, text), "write config");
	if (!make_stale_socket(sock1))
		return false;

	daemon = spawn_dxgd(args, false);
	CHECK(daemon > 0, "spawn");
	daemon_pid = daemon;
	CHECK(wait_for_path(control, daemon), "control socket never appeared");

	/* Every VM socket listens by the time the control socket exists. */
	{
		struct stat s;

		CHECK(stat(sock0, &s) == 0 && S_ISSOCK(s.st_mode), "vm0 socket");
		CHECK(stat(sock1, &s) == 0 && S_ISSOCK(s.st_mode) && (s.st_mode & 0777) == 0660,
		      "vm1 socket mode %o", s.st_mode & 0777);
		CHECK(stat(sock2, &s) == 0 && S_ISSOCK(s.st_mode) && (s.st_mode & 0777) == 0600,
		      "vm2 socket mode %o", s.st_mode & 0777);
	}

	if (!client_connect(sock0, 1u << 20, 1, &c1))
		return false;

	/*
	 * A second guest on the same VM is refused: version 0, then peer id -1 (which QEMU
	 * rejects, so it fails to start instead of hanging on EOF), then EOF.
	 */
	fd = connect_unix(sock0);
	CHECK(fd >= 0, "second connect");
	r = recv_ivshmem(fd, &value, &passed_fd);
	CHECK(r == 1 && value == 0 && passed_fd < 0, "refusal version: r=%d value=%lld", r,
	      (long long)value);
	r = recv_ivshmem(fd, &value, &passed_fd);
	CHECK(r == 1 && value == -1 && passed_fd < 0, "refusal id: r=%d value=%lld", r,
	      (long long)value);
	r = recv_ivshmem(fd, &value, &passed_fd);
	CHECK(r == 0, "refused client got r=%d (value %lld), expected EOF", r, (long long)value);
	close(fd);

	/* Other VMs are independent: vm2 serves its own first peer. */
	if (!client_connect(sock2, 4u << 20, 1, &c2))
		return false;
	/* Clients never send in the ivshmem protocol: one that does is dropped. */
	CHECK(write(c2.sock, "x", 1) == 1, "write to vm2");
	r = recv_ivshmem(c2.sock, &value, &passed_fd);
	CHECK(r == 0, "a client that sent data was kept (r=%d)", r);
	client_close(&c2);

	reply = control_request(control, "ping\n", false);
	CHECK(reply && strcmp(reply, "{\"ok\":true}\n") == 0, "ping reply '%s'", reply);
	free(reply);
	reply = control_request(control, "ping", true);
	CHECK(reply && strcmp(reply, "{\"ok\":true}\n") == 0, "half-closed ping reply '%s'", reply);
	free(reply);
	reply = control_request(control, "reboot\n", false);
	CHECK(reply && strcmp(reply, "{\"error\":\"unknown command\"}\n") == 0,
	      "unknown command reply '%s'", reply);
	free(reply);

	st = control_json(control, "status\n");
	CHECK(st != NULL, "status is not JSON");
	{
		struct json_object *v, *vms;

		CHECK(json_object_object_get_ex(st, "version", &v) &&
		      json_object_is_type(v, json_type_string), "version");
		CHECK(json_object_object_get_ex(st, "vms", &vms) &&
		      json_object_array_length(vms) == 3, "three VMs");
		CHECK(strcmp(json_object_get_string(json_object_object_get(
				     json_object_array_get_idx(vms, 0), "name")), "vm0") == 0 &&
		      strcmp(json_object_get_string(json_object_object_get(
				     json_object_array_get_idx(vms, 2), "name")), "vm2") == 0,
		      "VM order follows the configuration");
	}
	vm = status_vm(st, "vm0");
	CHECK(field_bool(vm, "connected") == 1 && field_int(vm, "peer_id") == 1, "vm0 connected");
	CHECK(field_int(vm, "region_size") == 1 << 20, "vm0 region_size");
	CHECK(strcmp(json_object_get_string(json_object_object_get(vm, "socket")), sock0) == 0,
	      "vm0 socket");
	CHECK(json_object_object_get_ex(vm, "worker", NULL), "vm0 has a worker field");
	gen0 = field_int(vm, "generation");
	pid0 = field_int(vm, "worker_pid");
	CHECK(gen0 >= 1 && pid0 > 0, "vm0 generation %lld pid %lld", (long long)gen0,
	      (long long)pid0);
	vm = status_vm(st, "vm1");
	CHECK(field_bool(vm, "connected") == 0 && field_is_null(vm, "peer_id"), "vm1 idle");
	CHECK(field_int(vm, "region_size") == 2 << 20, "vm1 region_size");
	vm1_gen = field_int(vm, "generation");
	vm1_pid = field_int(vm, "worker_pid");
	json_object_put(st);

	/* Guest disconnect: the VM's worker is replaced, the next guest gets the next peer id. */
	client_close(&c1);
	CHECK(wait_generation(control, "vm0", gen0, &gen1, &pid1, &st),
	      "vm0 worker was not restarted after the guest left");
	CHECK(pid1 != pid0, "same worker pid after restart");
	vm = status_vm(st, "vm0");
	CHECK(field_bool(vm, "connected") == 0, "vm0 still connected");
	CHECK(field_int(vm, "worker_crashes") == 0, "a deliberate restart counted as a crash");
	json_object_put(st);
	if (!client_connect(sock0, 1u << 20, 2, &c1))
		return false;

	/*
	 * A worker crash while a guest is attached: the guest stays connected (ivshmem peers
	 * cannot reconnect), gets a kick on its control vector, and the next worker takes over.
	 */
	CHECK(kill((pid_t)pid1, SIGKILL) == 0, "kill vm0 worker");
	CHECK(wait_generation(control, "vm0", gen1, &gen1, &pid1, &st),
	      "vm0 worker was not restarted after a crash");
	vm = status_vm(st, "vm0");
	CHECK(field_bool(vm, "connected") == 1 && field_int(vm, "peer_id") == 2,
	      "vm0 guest lost across a worker restart");
	json_object_put(st);
	{
		struct pollfd pfd = { .fd = c1.own_fds[1], .events = POLLIN };
		uint64_t kicks = 0;

		CHECK(poll(&pfd, 1, DEADLINE_MS) == 1 &&
		      read(c1.own_fds[1], &kicks, sizeof(kicks)) == (ssize_t)sizeof(kicks) &&
		      kicks >= 1, "no kick on the guest's control vector");
	}

	/* A crashed worker is replaced with the next generation. */
	CHECK(vm1_pid > 0 && kill((pid_t)vm1_pid, SIGKILL) == 0, "kill vm1 worker %lld",
	      (long long)vm1_pid);
	old_pid1 = vm1_pid;
	CHECK(wait_generation(control, "vm1", vm1_gen, &vm1_gen, &vm1_pid, &st),
	      "vm1 worker was not restarted after a crash");
	CHECK(vm1_pid != old_pid1, "vm1 worker pid unchanged");
	vm = status_vm(st, "vm1");
	CHECK(field_int(vm, "worker_crashes") == 1, "vm1 crash count %lld",
	      (long long)field_int(vm, "worker_crashes"));
	json_object_put(st);

	/* SIGTERM: exit 0, no socket file and no worker left behind. */
	CHECK(kill(daemon, SIGTERM) == 0, "SIGTERM");
	status = wait_exit(daemon);
	daemon_pid = -1;
	CHECK(exited_with(status, 0), "dxgd exit status 0x%x", status);
	{
		struct stat s;
		const char *paths[] = { control, sock0, sock1, sock2 };

		for (size_t i = 0; i < 4; i++)
			CHECK(lstat(paths[i], &s) < 0 && errno == ENOENT, "%s left behind",
			      paths[i]);
	}
	CHECK(kill((pid_t)pid1, 0) < 0 && errno == ESRCH, "vm0 worker survived");
	CHECK(kill((pid_t)vm1_pid, 0) < 0 && errno == ESRCH, "vm1 worker survived");
	/* The guest side sees the daemon go away. */
	r = recv_ivshmem(c1.sock, &value, &passed_fd);
	CHECK(r == 0, "guest socket not closed (r=%d)", r);
	client_close(&c1);
	return true;
}

static void remove_tree(const char *dir)
{
	char cmd[sizeof(tmpdir) + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
	const char *base = getenv("TMPDIR");

	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-DXGD\n", argv[0]);
		return 1;
	}
	dxgd_path = argv[1];
	/* Socket paths must stay short (108 bytes), so not under a deep build directory. */
	snprintf(tmpdir, sizeof(tmpdir), "%s/dxgd-broker-XXXXXX",
		 base && strlen(base) < 24 ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);

	if (test_usage_errors())
		printf("ok usage errors\n");
	if (test_refuses_non_socket())
		printf("ok refuses non-socket\n");
	if (test_daemon())
		printf("ok daemon\n");

	if (daemon_pid > 0) {
		/* A failed check left it running; its workers die with it (PR_SET_PDEATHSIG). */
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, NULL, 0);
	}
	remove_tree(tmpdir);
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return 1;
	}
	return 0;
}
