// SPDX-License-Identifier: MIT
#include "broker.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker_proto.h"
#include "ivshmem_server.h"
#include "log.h"

/* Worker fds, fixed by the worker command line (docs/internals.md). */
#define WORKER_REGION_FD 3
#define WORKER_BROKER_FD 4
#define WORKER_DOORBELL_FD0 5
#define WORKER_FD_COUNT (int)(2 + DXG_VECTORS)

/* Worker messages handled per wakeup, so one chatty worker cannot starve the others. */
#define WORKER_MESSAGES_PER_WAKEUP 16

static const char *const log_level_names[] = {
	[DXG_LOG_ERROR] = "error",
	[DXG_LOG_WARN] = "warn",
	[DXG_LOG_INFO] = "info",
	[DXG_LOG_DEBUG] = "debug",
};

const char *worker_state_name(enum worker_state state)
{
	switch (state) {
	case WORKER_STOPPED:
		return "stopped";
	case WORKER_STARTING:
		return "starting";
	case WORKER_READY:
		return "ready";
	case WORKER_STOPPING:
		return "stopping";
	case WORKER_BACKOFF:
		return "backoff";
	}
	return "unknown";
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* --- region ------------------------------------------------------------------------------- */

static bool region_create(struct vm *vm)
{
	char name[64];
	void *header;

	snprintf(name, sizeof(name), "opendxg-%s", vm->cfg->name);
	vm->region_fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (vm->region_fd < 0) {
		log_error("vm %s: memfd_create: %s", vm->cfg->name, strerror(errno));
		return false;
	}
	if (ftruncate(vm->region_fd, (off_t)vm->cfg->region_size) < 0) {
		log_error("vm %s: cannot size the region to %" PRIu64 " bytes: %s", vm->cfg->name,
			  vm->cfg->region_size, strerror(errno));
		return false;
	}
	/*
	 * The size is part of the contract with QEMU (BAR2) and the worker: nobody may change it.
	 * Writes stay allowed, the guest and the worker share the pages.
	 */
	if (fcntl(vm->region_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		log_error("vm %s: cannot seal the region: %s", vm->cfg->name, strerror(errno));
		return false;
	}
	header = mmap(NULL, DXG_REGION_HEADER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      vm->region_fd, 0);
	if (header == MAP_FAILED) {
		log_error("vm %s: cannot map the region header: %s", vm->cfg->name,
			  strerror(errno));
		return false;
	}
	vm->header = header;
	for (unsigned v = 0; v < DXG_VECTORS; v++) {
		vm->server_fds[v] = eventfd(0, EFD_CLOEXEC);
		if (vm->server_fds[v] < 0) {
			log_error("vm %s: eventfd: %s", vm->cfg->name, strerror(errno));
			return false;
		}
	}
	return true;
}

static void kick_guest(struct vm *vm, unsigned vector)
{
	if (vm->client_fd < 0)
		return;
	/* Fails only when the counter would overflow: the guest has plenty of kicks pending. */
	if (eventfd_write(vm->client_fds[vector], 1) < 0 && errno != EAGAIN)
		log_debug("vm %s: kick guest: %s", vm->cfg->name, strerror(errno));
}

/*
 * Tells the guest the worker is gone: state RESET, then a kick on the control vector so a guest
 * waiting for a reply re-reads the header. The new worker bumps the generation and sets READY.
 * This is the broker's only write into a region, and it never reads one.
 */
static void region_mark_reset(struct vm *vm)
{
	if (!vm->header)
		return;
	/* Pairs with the guest's acquire load of `state` before it trusts the rings. */
	__atomic_store_n(&vm->header->state, dxg_to_le32(DXG_REGION_STATE_RESET),
			 __ATOMIC_RELEASE);
	kick_guest(vm, DXG_VECTOR_CONTROL);
}

/* --- worker ------------------------------------------------------------------------------- */

static void worker_start(struct vm *vm);
static void worker_handle_link(struct loop_source *source, uint32_t events);

static bool send_to_worker(struct vm *vm, const void *msg, size_t len, const int *fds,
			   unsigned nfds)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * DXG_VECTORS)];
	} control;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (vm->worker_sock < 0)
		return false;
	if (nfds) {
		struct cmsghdr *cmsg;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
	}
	do {
		n = sendmsg(vm->worker_sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len)
		return true;
	log_warn("vm %s: cannot send to worker %d: %s", vm->cfg->name, (int)vm->worker_pid,
		 n < 0 ? strerror(errno) : "short write");
	return false;
}

static void worker_fail_status_waiters(struct vm *vm)
{
	struct broker *broker = vm->broker;

	while (vm->status_count) {
		uint64_t id = vm->status_waiters[vm->status_head];

		vm->status_head = (vm->status_head + 1) % BROKER_STATUS_QUEUE;
		vm->status_count--;
		control_worker_status(broker, id, vm->index, NULL, 0);
	}
	vm->status_head = 0;
}

static void worker_close_link(struct vm *vm)
{
	loop_remove(&vm->broker->loop, vm->worker_source);
	vm->worker_source = NULL;
	close_fd(&vm->worker_sock);
	worker_fail_status_waiters(vm);
}

/*
 * Kills the worker; the restart happens when it is reaped (SIGCHLD), never here, so a new
 * worker can never overlap the old one on the region. `failed`: the worker misbehaved (counted
 * as a crash), as opposed to a deliberate restart.
 */
static void worker_stop(struct vm *vm, bool failed, const char *why)
{
	if (vm->worker_pid <= 0 || vm->worker_state == WORKER_STOPPING)
		return;
	dxg_log(failed ? DXG_LOG_WARN : DXG_LOG_INFO,
		"vm %s: stopping worker %d (generation %u): %s", vm->cfg->name,
		(int)vm->worker_pid, vm->generation, why);
	if (kill(vm->worker_pid, SIGKILL) < 0 && errno != ESRCH)
		log_error("vm %s: kill %d: %s", vm->cfg->name, (int)vm->worker_pid,
			  strerror(errno));
	vm->worker_state = WORKER_STOPPING;
	vm->stop_failed = failed;
	worker_close_link(vm);
	region_mark_reset(vm);
}

static void worker_attach_peer(struct vm *vm)
{
	struct bw_peer_attach msg = {
		.hdr = { .type = BW_PEER_ATTACH, .size = sizeof(msg) },
		.peer_id = vm->peer_id,
		.vectors = DXG_VECTORS,
	};

	if (vm->client_fd < 0 || vm->worker_state != WORKER_READY || vm->peer_attached)
		return;
	if (!send_to_worker(vm, &msg, sizeof(msg), vm->client_fds, DXG_VECTORS)) {
		worker_stop(vm, true, "cannot hand it the guest peer");
		return;
	}
	vm->peer_attached = true;
	log_debug("vm %s: guest peer %u attached to worker %d", vm->cfg->name, vm->peer_id,
		  (int)vm->worker_pid);
}

/* Starts now, or after BROKER_RESTART_DELAY_MS when the worker keeps dying. */
static void worker_schedule_start(struct vm *vm)
{
	uint64_t now = loop_now_ms();

	if (vm->starts >= BROKER_RESTART_BURST &&
	    now - vm->start_history[vm->starts % BROKER_RESTART_BURST] <
		    BROKER_RESTART_WINDOW_MS) {
		log_warn("vm %s: %d worker starts within %u s, next start in %u ms", vm->cfg->name,
			 BROKER_RESTART_BURST, BROKER_RESTART_WINDOW_MS / 1000,
			 BROKER_RESTART_DELAY_MS);
		vm->worker_state = WORKER_BACKOFF;
		vm->restart_at_ms = now + BROKER_RESTART_DELAY_MS;
		return;
	}
	worker_start(vm);
}

static void worker_start_failed(struct vm *vm)
{
	vm->worker_state = WORKER_BACKOFF;
	vm->restart_at_ms = loop_now_ms() + BROKER_RESTART_DELAY_MS;
}

/*
 * In the forked child: only async-signal-safe calls until exec. The broker is single-threaded,
 * so nothing is locked at fork time either way.
 */
static void __attribute__((noreturn)) worker_exec(struct vm *vm, int child_sock, char **argv)
{
	int sources[WORKER_FD_COUNT];
	int moved[WORKER_FD_COUNT];
	sigset_t empty;

	/* No orphaned worker may outlive a broker that died without cleaning up. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != vm->broker->pid)
		_exit(127);
	/* The broker blocks these for its signalfd, and exec keeps the mask and SIG_IGN. */
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&empty);
	sigprocmask(SIG_SETMASK, &empty, NULL);

	sources[0] = vm->region_fd;
	sources[1] = child_sock;
	for (unsigned v = 0; v < DXG_VECTORS; v++)
		sources[2 + v] = vm->server_fds[v];
	/*
	 * Two steps, because a source may already sit on a target number: first move every
	 * source above the targets, then dup2 into place (dup2 clears close-on-exec).
	 */
	for (int i = 0; i < WORKER_FD_COUNT; i++) {
		moved[i] = fcntl(sources[i], F_DUPFD_CLOEXEC, WORKER_REGION_FD + WORKER_FD_COUNT);
		if (moved[i] < 0)
			_exit(127);
	}
	for (int i = 0; i < WORKER_FD_COUNT; i++) {
		if (dup2(moved[i], WORKER_REGION_FD + i) < 0)
			_exit(127);
	}
	close_range(WORKER_REGION_FD + WORKER_FD_COUNT, ~0u, 0);
	execv("/proc/self/exe", argv);
	{
		static const char msg[] = "dxgd: cannot exec the worker (/proc/self/exe)\n";
		ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);

		(void)ignored;
	}
	_exit(127);
}

static void worker_start(struct vm *vm)
{
	struct broker *broker = vm->broker;
	char generation[16], seed[24], doorbells[32], region_fd[8], broker_fd[8], poll_us[16];
	char limit_values[8][24];
	char *argv[18 + 16 + 1] = {
		"dxgd", "--worker",
		"--vm-name", (char *)vm->cfg->name,
		"--generation", generation,
		"--region-fd", region_fd,
		"--broker-fd", broker_fd,
		"--doorbell-fds", doorbells,
		"--luid-seed", seed,
		"--log-level", (char *)log_level_names[dxg_log_get_level()],
		"--poll-us", poll_us,
	};
	/* Limits go to the worker only when configured: otherwise its defaults apply. */
	const struct { const char *option; uint64_t value; } limits[] = {
		{ "--quota-bytes", vm->cfg->quota_bytes },
		{ "--max-allocations", vm->cfg->max_allocations },
		{ "--max-gpuva-entries", vm->cfg->max_gpuva_entries },
		{ "--max-sync-objects", vm->cfg->max_sync_objects },
		{ "--max-hw-queues", vm->cfg->max_hw_queues },
		{ "--max-queue-items", vm->cfg->max_queue_items },
		{ "--max-vm-queue-items", vm->cfg->max_vm_queue_items },
		{ "--max-queued-bytes", vm->cfg->max_queued_bytes },
	};
	int argc = 18;
	int pair[2];
	size_t off = 0;
	uint64_t started_ms;
	pid_t pid;

	snprintf(generation, sizeof(generation), "%u", vm->generation + 1);
	snprintf(seed, sizeof(seed), "%016" PRIx64, broker->luid_seed);
	snprintf(poll_us, sizeof(poll_us), "%u", broker->cfg->worker_poll_us);
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		if (limits[i].value == DXGD_LIMIT_DEFAULT)
			continue;
		snprintf(limit_values[i], sizeof(limit_values[i]), "%" PRIu64, limits[i].value);
		argv[argc++] = (char *)limits[i].option;
		argv[argc++] = limit_values[i];
	}
	argv[argc] = NULL;
	snprintf(region_fd, sizeof(region_fd), "%d", WORKER_REGION_FD);
	snprintf(broker_fd, sizeof(broker_fd), "%d", WORKER_BROKER_FD);
	for (unsigned v = 0; v < DXG_VECTORS; v++)
		off += (size_t)snprintf(doorbells + off, sizeof(doorbells) - off, "%s%d",
					v ? "," : "", WORKER_DOORBELL_FD0 + (int)v);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
		log_error("vm %s: socketpair: %s", vm->cfg->name, strerror(errno));
		worker_start_failed(vm);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_error("vm %s: fork: %s", vm->cfg->name, strerror(errno));
		close(pair[0]);
		close(pair[1]);
		worker_start_failed(vm);
		return;
	}
	if (pid == 0)
		worker_exec(vm, pair[1], argv);
	close(pair[1]);

	started_ms = loop_now_ms();
	vm->generation++;
	vm->start_history[vm->starts % BROKER_RESTART_BURST] = started_ms;
	vm->starts++;
	vm->worker_pid = pid;
	vm->worker_state = WORKER_STARTING;
	vm->start_deadline_ms = started_ms + (uint64_t)broker->cfg->worker_start_timeout_s * 1000u;
	vm->peer_attached = false;
	vm->adapter_count = 0;
	vm->worker_sock = pair[0];
	if (fcntl(vm->worker_sock, F_SETFL, O_NONBLOCK) < 0)
		log_warn("vm %s: cannot make the worker socket non-blocking: %s", vm->cfg->name,
			 strerror(errno));
	vm->worker_source = loop_add(&broker->loop, vm->worker_sock, EPOLLIN, worker_handle_link,
				     vm);
	if (!vm->worker_source) {
		worker_stop(vm, false, "cannot watch its socket");
		return;
	}
	log_info("vm %s: started worker %d (generation %u)", vm->cfg->name, (int)pid,
		 vm->generation);
}

static void worker_protocol_error(struct vm *vm, const char *what)
{
	log_error("vm %s: worker %d sent %s", vm->cfg->name, (int)vm->worker_pid, what);
	worker_stop(vm, true, "protocol error");
}

static void close_passed_fds(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			close(fd);
		}
	}
}

static void worker_handle_message(struct vm *vm, const uint8_t *buf, size_t len)
{
	struct bw_hdr hdr;

	if (len < sizeof(hdr)) {
		worker_protocol_error(vm, "a runt message");
		return;
	}
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.size != len) {
		worker_protocol_error(vm, "a message whose size field does not match");
		return;
	}
	switch (hdr.type) {
	case BW_READY: {
		struct bw_ready ready;

		if (len != sizeof(ready)) {
			worker_protocol_error(vm, "a BW_READY of the wrong size");
			return;
		}
		if (vm->worker_state != WORKER_STARTING) {
			worker_protocol_error(vm, "a second BW_READY");
			return;
		}
		memcpy(&ready, buf, sizeof(ready));
		if (ready.generation != vm->generation)
			log_warn("vm %s: worker reports generation %u, expected %u", vm->cfg->name,
				 ready.generation, vm->generation);
		vm->worker_state = WORKER_READY;
		vm->adapter_count = ready.adapter_count;
		vm->ready_at_ms = loop_now_ms();
		log_info("vm %s: worker %d ready (generation %u, %u adapter%s)", vm->cfg->name,
			 (int)vm->worker_pid, vm->generation, ready.adapter_count,
			 ready.adapter_count == 1 ? "" : "s");
		worker_attach_peer(vm);
		/* A guest that saw RESET waits for the new generation: tell it to look. */
		kick_guest(vm, DXG_VECTOR_CONTROL);
		return;
	}
	case BW_STATUS_REPLY: {
		uint64_t id;

		if (vm->status_count == 0) {
			log_warn("vm %s: unsolicited status reply from worker %d, ignored",
				 vm->cfg->name, (int)vm->worker_pid);
			return;
		}
		id = vm->status_waiters[vm->status_head];
		vm->status_head = (vm->status_head + 1) % BROKER_STATUS_QUEUE;
		vm->status_count--;
		control_worker_status(vm->broker, id, vm->index, (const char *)buf + sizeof(hdr),
				      len - sizeof(hdr));
		return;
	}
	default:
		worker_protocol_error(vm, "an unknown message type");
		return;
	}
}

static void worker_handle_link(struct loop_source *source, uint32_t events)
{
	struct vm *vm = source->data;
	uint8_t *buf = vm->broker->rx_buf;

	(void)events;
	for (int i = 0; i < WORKER_MESSAGES_PER_WAKEUP && vm->worker_sock >= 0; i++) {
		union {
			struct cmsghdr hdr;
			char buf[CMSG_SPACE(sizeof(int) * 8)];
		} control;
		struct iovec iov = { .iov_base = buf, .iov_len = BW_MAX_PACKET };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
		};
		ssize_t n = recvmsg(vm->worker_sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			log_warn("vm %s: worker socket: %s", vm->cfg->name, strerror(errno));
			worker_stop(vm, true, "its socket failed");
			return;
		}
		if (n == 0) {
			/* It closed its end: dead or broken. Either way it is replaced. */
			worker_stop(vm, true, "it closed the broker socket");
			return;
		}
		if (mh.msg_controllen) {
			close_passed_fds(&mh);
			worker_protocol_error(vm, "file descriptors");
			return;
		}
		if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
			worker_protocol_error(vm, "an oversized message");
			return;
		}
		worker_handle_message(vm, buf, (size_t)n);
	}
}

bool broker_request_status(struct vm *vm, uint64_t client_id)
{
	struct bw_hdr req = { .type = BW_STATUS_REQ, .size = sizeof(req) };
	unsigned tail;

	if (vm->worker_state != WORKER_READY || vm->status_count == BROKER_STATUS_QUEUE)
		return false;
	if (!send_to_worker(vm, &req, sizeof(req), NULL, 0))
		return false;
	tail = (vm->status_head + vm->status_count) % BROKER_STATUS_QUEUE;
	vm->status_waiters[tail] = client_id;
	vm->status_count++;
	return true;
}

static void worker_exited(struct vm *vm, int status)
{
	bool expected = vm->worker_state == WORKER_STOPPING && !vm->stop_failed;

	if (WIFSIGNALED(status))
		dxg_log(expected ? DXG_LOG_INFO : DXG_LOG_ERROR,
			"vm %s: worker %d (generation %u) killed by signal %d%s", vm->cfg->name,
			(int)vm->worker_pid, vm->generation, WTERMSIG(status),
			WCOREDUMP(status) ? " (core dumped)" : "");
	else
		dxg_log(expected ? DXG_LOG_INFO : DXG_LOG_ERROR,
			"vm %s: worker %d (generation %u) exited with status %d", vm->cfg->name,
			(int)vm->worker_pid, vm->generation, WEXITSTATUS(status));
	if (!expected)
		vm->crashes++;
	worker_close_link(vm);
	vm->worker_pid = 0;
	vm->worker_state = WORKER_STOPPED;
	/* Again, now that it is certainly dead: a worker killed mid-format may have set READY. */
	region_mark_reset(vm);
	if (vm->broker->running)
		worker_schedule_start(vm);
}

static void reap_children(struct broker *broker)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid <= 0)
			return;
		for (size_t i = 0; i < broker->vm_count; i++) {
			if (broker->vms[i].worker_pid == pid) {
				worker_exited(&broker->vms[i], status);
				break;
			}
		}
	}
}

/* --- guest peer --------------------------------------------------------------------------- */

static void guest_handle_socket(struct loop_source *source, uint32_t events);

static void guest_close(struct vm *vm)
{
	loop_remove(&vm->broker->loop, vm->client_source);
	vm->client_source = NULL;
	close_fd(&vm->client_fd);
	for (unsigned v = 0; v < DXG_VECTORS; v++)
		close_fd(&vm->client_fds[v]);
	vm->peer_attached = false;
}

static void guest_disconnected(struct vm *vm)
{
	log_info("vm %s: guest peer %u disconnected", vm->cfg->name, vm->peer_id);
	guest_close(vm);
	/* The next guest must find a clean VM: none of this guest's objects may survive. */
	if (vm->worker_state == WORKER_STARTING || vm->worker_state == WORKER_READY)
		worker_stop(vm, false, "guest disconnected");
}

static void guest_handle_socket(struct loop_source *source, uint32_t events)
{
	struct vm *vm = source->data;
	char byte;
	ssize_t n;

	if (events & EPOLLIN) {
		/*
		 * The ivshmem protocol has no client-to-server messages: a client that sends is
		 * not QEMU and is dropped, like one that hung up. recv() without a control buffer
		 * makes the kernel discard any fds it attached.
		 */
		n = recv(vm->client_fd, &byte, 1, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n > 0)
			log_warn("vm %s: guest peer %u sent data, which QEMU never does; dropping it",
				 vm->cfg->name, vm->peer_id);
		guest_disconnected(vm);
		return;
	}
	if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))
		guest_disconnected(vm);
}

void broker_accept_failed(struct broker *broker, struct loop_source *source, int err,
			  const char *what, struct dxg_ratelimit *rl)
{
	if (err == EAGAIN || err == EINTR || err == ECONNABORTED)
		return;
	/*
	 * EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection stays queued and the socket readable,
	 * so retrying at once would spin. Try again a little later.
	 */
	dxg_log_limited(rl, DXG_LOG_WARN, "%s: accept: %s; retrying in %u ms", what,
			strerror(err), BROKER_ACCEPT_RETRY_MS);
	loop_pause(&broker->loop, source, BROKER_ACCEPT_RETRY_MS);
}

static void guest_accept(struct loop_source *source, uint32_t events)
{
	static struct dxg_ratelimit refuse_rl = DXG_RATELIMIT_INIT(10000, 5);
	static struct dxg_ratelimit accept_rl = DXG_RATELIMIT_INIT(10000, 5);
	struct vm *vm = source->data;
	uint16_t peer_id;
	int fd;

	(void)events;
	fd = accept4(vm->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		int err = errno;
		char what[64];

		snprintf(what, sizeof(what), "vm %s", vm->cfg->name);
		broker_accept_failed(vm->broker, source, err, what, &accept_rl);
		return;
	}
	if (vm->client_fd >= 0) {
		/* One region, one guest: a second QEMU on the same socket fails to start. */
		dxg_log_limited(&refuse_rl, DXG_LOG_WARN, "vm %s: refused a second ivshmem client "
				"(guest peer %u is connected)", vm->cfg->name, vm->peer_id);
		ivshmem_refuse(fd);
		close(fd);
		return;
	}

	for (unsigned v = 0; v < DXG_VECTORS; v++) {
		/*
		 * Non-blocking: the guest peer holds these too and can drive a counter to its
		 * maximum, where a blocking kick would stall the broker (every VM) or the worker.
		 * A kick that finds the counter full is dropped: the guest has one pending anyway.
		 */
		vm->client_fds[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vm->client_fds[v] < 0) {
			log_error("vm %s: eventfd: %s", vm->cfg->name, strerror(errno));
			goto err_close;
		}
	}
	peer_id = vm->next_peer_id;
	vm->next_peer_id = peer_id == IVSHMEM_MAX_PEER_ID ? 1 : peer_id + 1;
	if (!ivshmem_send_setup(fd, peer_id, vm->region_fd, vm->server_fds, vm->client_fds,
				DXG_VECTORS)) {
		log_info("vm %s: ivshmem setup of peer %u failed, dropped", vm->cfg->name, peer_id);
		goto err_close;
	}
	vm->client_fd = fd;
	vm->peer_id = peer_id;
	vm->client_source = loop_add(&vm->broker->loop, fd, EPOLLIN | EPOLLRDHUP,
				     guest_handle_socket, vm);
	if (!vm->client_source) {
		guest_close(vm);
		return;
	}
	log_info("vm %s: guest peer %u connected", vm->cfg->name, peer_id);
	worker_attach_peer(vm);
	return;

err_close:
	for (unsigned v = 0; v < DXG_VECTORS; v++)
		close_fd(&vm->client_fds[v]);
	close(fd);
}

/* --- signals, timers, lifecycle ------------------------------------------------------------ */

static void handle_signal(struct loop_source *source, uint32_t events)
{
	struct broker *broker = source->data;
	struct signalfd_siginfo si;

	(void)events;
	while (read(broker->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap_children(broker);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("received %s, shutting down",
				 si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			broker->running = false;
			break;
		case SIGHUP:
			log_info("SIGHUP ignored (dxgd has nothing to reload)");
			break;
		default:
			break;
		}
	}
}

/*
 * A worker that never sends BW_READY (hung in its Vulkan driver, say) would leave its VM without
 * service forever: it is killed like a crashed one, and the reaper restarts it through the usual
 * backoff, so a worker that always hangs costs one start per timeout at most.
 */
static void worker_check_start_deadline(struct vm *vm, uint64_t now)
{
	if (vm->worker_state != WORKER_STARTING || vm->start_deadline_ms > now)
		return;
	log_warn("vm %s: worker %d not ready after %u s; killing it", vm->cfg->name,
		 (int)vm->worker_pid, vm->broker->cfg->worker_start_timeout_s);
	worker_stop(vm, true, "start timeout");
}

static void next_deadline(int *timeout, uint64_t at_ms, uint64_t now)
{
	uint64_t wait = at_ms > now ? at_ms - now : 0;

	if (*timeout < 0 || wait < (uint64_t)*timeout)
		*timeout = (int)wait;
}

static int run_timers(struct broker *broker)
{
	uint64_t now = loop_now_ms();
	int timeout = control_run_timers(broker, now);

	for (size_t i = 0; i < broker->vm_count && broker->running; i++) {
		struct vm *vm = &broker->vms[i];

		if (vm->worker_state == WORKER_BACKOFF && vm->restart_at_ms <= now)
			worker_start(vm);
		worker_check_start_deadline(vm, now);
		if (vm->worker_state == WORKER_BACKOFF)
			next_deadline(&timeout, vm->restart_at_ms, now);
		else if (vm->worker_state == WORKER_STARTING)
			next_deadline(&timeout, vm->start_deadline_ms, now);
	}
	return timeout;
}

static bool setup_signals(struct broker *broker)
{
	sigset_t mask;

	/*
	 * Dispositions survive exec: a parent that ignored SIGCHLD would make the kernel reap our
	 * workers behind our back. SIGPIPE is ignored so a closed stderr pipe cannot kill us.
	 */
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		log_error("sigprocmask: %s", strerror(errno));
		return false;
	}
	broker->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (broker->signal_fd < 0) {
		log_error("signalfd: %s", strerror(errno));
		return false;
	}
	broker->signal_source = loop_add(&broker->loop, broker->signal_fd, EPOLLIN, handle_signal,
					 broker);
	return broker->signal_source != NULL;
}

static void vm_init(struct broker *broker, struct vm *vm, size_t index)
{
	memset(vm, 0, sizeof(*vm));
	vm->broker = broker;
	vm->cfg = &broker->cfg->vms[index];
	vm->index = index;
	vm->region_fd = -1;
	vm->listen_fd = -1;
	vm->client_fd = -1;
	vm->worker_sock = -1;
	vm->next_peer_id = 1;
	for (unsigned v = 0; v < DXG_VECTORS; v++) {
		vm->server_fds[v] = -1;
		vm->client_fds[v] = -1;
	}
}

static bool vm_listen(struct vm *vm)
{
	vm->listen_fd = socket_listen(vm->cfg->socket, &vm->cfg->access, &vm->socket_file);
	if (vm->listen_fd < 0)
		return false;
	vm->listen_source = loop_add(&vm->broker->loop, vm->listen_fd, EPOLLIN, guest_accept, vm);
	if (!vm->listen_source)
		return false;
	log_info("vm %s: listening on %s (region %" PRIu64 " MiB)", vm->cfg->name,
		 vm->cfg->socket, vm->cfg->region_size >> 20);
	return true;
}

/* Kills and reaps every worker; blocking is fine here, SIGKILL cannot be ignored. */
static void stop_all_workers(struct broker *broker)
{
	for (size_t i = 0; i < broker->vm_count; i++) {
		struct vm *vm = &broker->vms[i];

		if (vm->worker_pid <= 0)
			continue;
		kill(vm->worker_pid, SIGKILL);
		while (waitpid(vm->worker_pid, NULL, 0) < 0 && errno == EINTR)
			;
		vm->worker_pid = 0;
		vm->worker_state = WORKER_STOPPED;
		worker_close_link(vm);
		region_mark_reset(vm);
	}
}

static void vm_fini(struct vm *vm)
{
	struct loop *loop = &vm->broker->loop;

	guest_close(vm);
	loop_remove(loop, vm->listen_source);
	vm->listen_source = NULL;
	close_fd(&vm->listen_fd);
	socket_file_unlink(&vm->socket_file);
	if (vm->header)
		munmap(vm->header, DXG_REGION_HEADER_SIZE);
	vm->header = NULL;
	for (unsigned v = 0; v < DXG_VECTORS; v++)
		close_fd(&vm->server_fds[v]);
	close_fd(&vm->region_fd);
}

/* Fds 0-2 must be open, or a socket could land on "stderr" and receive log lines. */
static bool ensure_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		int null_fd = open("/dev/null", O_RDWR);

		if (null_fd < 0)
			return false;
		if (null_fd != fd) {
			dup2(null_fd, fd);
			close(null_fd);
		}
	}
	return true;
}

int broker_run(const struct dxgd_config *cfg)
{
	struct broker broker = {
		.cfg = cfg,
		.running = true,
		.signal_fd = -1,
		.control_fd = -1,
		.next_client_id = 1,
	};
	int status = 1;
	size_t listening = 0;

	if (!ensure_std_fds())
		return 1;
	broker.pid = getpid();
	/* Sockets get their mode with chmod(); directories we create are meant to be 0755. */
	umask(022);
	if (getrandom(&broker.luid_seed, sizeof(broker.luid_seed), 0) !=
	    (ssize_t)sizeof(broker.luid_seed)) {
		log_error("getrandom: %s", strerror(errno));
		return 1;
	}
	if (!loop_init(&broker.loop))
		return 1;
	broker.rx_buf = malloc(BW_MAX_PACKET);
	broker.vms = calloc(cfg->vm_count, sizeof(*broker.vms));
	if (!broker.rx_buf || !broker.vms) {
		log_error("out of memory");
		goto out;
	}
	broker.vm_count = cfg->vm_count;
	for (size_t i = 0; i < cfg->vm_count; i++)
		vm_init(&broker, &broker.vms[i], i);
	if (!setup_signals(&broker))
		goto out;

	for (size_t i = 0; i < broker.vm_count; i++) {
		if (!region_create(&broker.vms[i]))
			goto out;
	}
	for (; listening < broker.vm_count; listening++) {
		if (!vm_listen(&broker.vms[listening]))
			goto out;
	}
	/*
	 * Workers start before the first accept, so the region is usually READY by the time
	 * QEMU maps it (the guest waits for READY regardless).
	 */
	for (size_t i = 0; i < broker.vm_count; i++)
		worker_start(&broker.vms[i]);
	/* Last: the control socket's existence tells scripts that every VM socket listens. */
	if (!control_start(&broker))
		goto out;
	log_info("dxgd ready: %zu VM%s, control socket %s", broker.vm_count,
		 broker.vm_count == 1 ? "" : "s", cfg->control);

	while (broker.running) {
		int timeout = run_timers(&broker);

		if (!broker.running)
			break;
		if (!loop_dispatch(&broker.loop, timeout))
			goto out;
	}
	status = 0;

out:
	broker.running = false;
	stop_all_workers(&broker);
	control_stop(&broker);
	for (size_t i = 0; i < broker.vm_count; i++)
		vm_fini(&broker.vms[i]);
	loop_remove(&broker.loop, broker.signal_source);
	close_fd(&broker.signal_fd);
	loop_fini(&broker.loop);
	free(broker.vms);
	free(broker.rx_buf);
	if (status == 0)
		log_info("dxgd stopped");
	return status;
}
