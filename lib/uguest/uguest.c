/* SPDX-License-Identifier: MIT */
/*
 * uguest: the user-space guest. See uguest.h for the contract and docs/uguest.md for the design.
 *
 * The host side is dxgd, which we test, so replies are checked as strictly as the guest driver
 * would: a malformed reply is a dxgd bug and ends the connection with -EPROTO.
 */
#include "uguest.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <misc/d3dkmthk.h>
#include <misc/opendxg.h>

/* ivshmem server protocol version (QEMU docs/specs/ivshmem-spec.rst). */
#define IVSHMEM_PROTOCOL_VERSION 0
#define IVSHMEM_MAX_PEER 0xffff

/* Unclaimed replies kept at most; the oldest is dropped beyond this (its waiter gave up). */
#define STASH_MAX 65536u
/* Spin iterations between clock reads and socket checks in SPIN mode. */
#define SPIN_BATCH 1024u
/* While waiting for READY, re-read the header at least this often: an early kick can be lost. */
#define READY_POLL_MS 10

struct stashed_reply {
	struct stashed_reply *next;
	uint64_t request_id;
	int32_t status;
	uint32_t body_len;
	unsigned char body[];
};

/* The reply currently in g->rx, after validation. */
struct reply_view {
	uint64_t request_id;
	int32_t status;
	uint32_t body_len;
	const unsigned char *body;
};

struct uguest {
	int sock;
	int own_efd[DXG_VECTORS];	/* dxgd writes these to interrupt us */
	int host_efd[DXG_VECTORS];	/* we write these: the doorbell */
	uint32_t peer_id;

	unsigned char *region;
	uint64_t region_size;
	struct dxg_region_header *hdr;
	struct dxg_region_layout layout;	/* from the validated header copy */
	struct dxg_ring req;		/* we produce */
	struct dxg_ring rep;		/* we consume */
	uint32_t max_message;
	unsigned char *rx;		/* one reply record, private copy */
	unsigned char *tx;		/* one request record, staged */

	enum uguest_wait_mode wait_mode;
	uint32_t timeout_ms;
	uint64_t next_id;
	int broken;			/* sticky negative errno, 0 while healthy */

	/* Partial ivshmem message from the socket after connect (announcements of other peers). */
	unsigned char sock_buf[8];
	uint32_t sock_got;
	bool sock_msg_had_fd;

	struct stashed_reply *stash_head, *stash_tail;
	uint32_t stash_count;

	struct uguest_info info;
	struct uguest_stats stats;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t deadline_after(uint32_t timeout_ms)
{
	return now_ns() + (uint64_t)timeout_ms * 1000000ull;
}

/* poll() timeout until `deadline`, rounded up so we never wake just before it. */
static int remaining_ms(uint64_t deadline)
{
	uint64_t now = now_ns();
	uint64_t ms;

	if (now >= deadline)
		return 0;
	ms = (deadline - now + 999999) / 1000000;
	return ms > 60000 ? 60000 : (int)ms;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Takes every fd out of SCM_RIGHTS messages: the first goes to *fd, extras are closed. */
static bool take_fds(struct msghdr *msg, int *fd)
{
	bool ok = !(msg->msg_flags & MSG_CTRUNC);

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*fd < 0)
				*fd = f;
			else
				close(f);
		}
	}
	return ok;
}

/*
 * Receives up to `len` bytes (and any fds) without blocking. Returns bytes read, 0 at EOF,
 * -EAGAIN when nothing is there, or -errno.
 */
static ssize_t recv_some(int sock, void *buf, size_t len, int *fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	ssize_t n;

	do {
		n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (!take_fds(&msg, fd)) {
		close_fd(fd);
		return -EPROTO;
	}
	return n;
}

/*
 * Reads one ivshmem message (an int64 LE, optionally with one fd) before `deadline`. The socket is
 * a byte stream, so a message may arrive in pieces; the fd rides on its first byte.
 */
static int recv_ivshmem_msg(int sock, uint64_t deadline, int64_t *value, int *fd)
{
	unsigned char buf[8];
	size_t got = 0;
	uint64_t le;

	*fd = -1;
	while (got < sizeof(buf)) {
		struct pollfd pfd = { .fd = sock, .events = POLLIN };
		ssize_t n = recv_some(sock, buf + got, sizeof(buf) - got, fd);

		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0) {
			close_fd(fd);
			return -ECONNRESET;
		}
		if (n != -EAGAIN) {
			close_fd(fd);
			return (int)n;
		}
		if (poll(&pfd, 1, remaining_ms(deadline)) == 0) {
			close_fd(fd);
			return -ETIMEDOUT;
		}
	}
	memcpy(&le, buf, sizeof(le));
	*value = (int64_t)le64toh(le);
	return 0;
}

/*
 * Handles what dxgd sends on the socket after connecting: announcements of other peers (we keep
 * none of their fds) and disconnects. Peer 0 going away, or EOF, means dxgd is gone.
 */
static void handle_socket(struct uguest *g)
{
	for (;;) {
		int fd = -1;
		ssize_t n = recv_some(g->sock, g->sock_buf + g->sock_got,
				      sizeof(g->sock_buf) - g->sock_got, &fd);
		uint64_t le;

		if (fd >= 0)
			g->sock_msg_had_fd = true;
		close_fd(&fd);
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			g->broken = n == 0 ? -ECONNRESET : (int)n;
			return;
		}
		g->sock_got += (uint32_t)n;
		if (g->sock_got < sizeof(g->sock_buf))
			continue;
		memcpy(&le, g->sock_buf, sizeof(le));
		if (le64toh(le) == 0 && !g->sock_msg_had_fd)
			g->broken = -ECONNRESET;
		g->sock_got = 0;
		g->sock_msg_had_fd = false;
	}
}

static void drain_eventfd(int fd)
{
	uint64_t value;

	while (read(fd, &value, sizeof(value)) == sizeof(value))
		;
}

int uguest_kick(struct uguest *g)
{
	uint64_t one = 1;

	/*
	 * The eventfd write is a system call, so it is ordered after our earlier stores to the
	 * region as seen by dxgd, which reads them after its own wake-up.
	 */
	if (write(g->host_efd[DXG_VECTOR_RING], &one, sizeof(one)) != sizeof(one) && errno != EAGAIN)
		return -errno;
	g->stats.kicks++;
	return 0;
}

/* ---- region header ---- */

/*
 * Checks a private copy of the header before anything is used, with the same code as the guest
 * driver (dxg_region_parse()): the region is another party's memory and may change under us.
 * Called once the state word says READY.
 */
static int region_validate(struct uguest *g)
{
	struct dxg_region_header copy;
	const char *why;

	memcpy(&copy, g->hdr, sizeof(copy));
	if (dxg_region_parse(&copy, g->region_size, &g->layout, &why))
		return -EPROTO;
	return 0;
}

static int region_wait_ready(struct uguest *g, uint32_t min_generation, uint64_t deadline)
{
	for (;;) {
		/* Acquire pairs with the worker's release of READY after formatting everything. */
		uint32_t state = dxg_from_le32(dxg_load_acquire(&g->hdr->state));
		uint32_t gen = dxg_from_le32(dxg_read_once(g->hdr->generation));
		struct pollfd pfd[2] = {
			{ .fd = g->own_efd[DXG_VECTOR_CONTROL], .events = POLLIN },
			{ .fd = g->sock, .events = POLLIN },
		};
		int ms;

		if (state == DXG_REGION_STATE_READY && gen >= min_generation) {
			g->info.generation = gen;
			return region_validate(g);
		}
		ms = remaining_ms(deadline);
		if (ms == 0)
			return -ETIMEDOUT;
		if (poll(pfd, 2, ms < READY_POLL_MS ? ms : READY_POLL_MS) < 0 && errno != EINTR)
			return -errno;
		if (pfd[0].revents)
			drain_eventfd(g->own_efd[DXG_VECTOR_CONTROL]);
		if (pfd[1].revents) {
			handle_socket(g);
			if (g->broken)
				return g->broken;
		}
	}
}

/* -ENODEV (sticky) once the worker we attached to is gone or the region is being reformatted. */
static int region_check(struct uguest *g)
{
	uint32_t state = dxg_from_le32(dxg_read_once(g->hdr->state));
	uint32_t gen = dxg_from_le32(dxg_read_once(g->hdr->generation));

	if (state != DXG_REGION_STATE_READY || gen != g->info.generation)
		g->broken = -ENODEV;
	return g->broken;
}

/* ---- replies ---- */

/*
 * Takes one record from the reply ring into g->rx and validates it. Returns 1 with *view filled,
 * 0 when the ring is empty, or a negative errno (sticky). Every record freed is reported to dxgd
 * if it waits for reply space.
 */
static int rx_one(struct uguest *g, struct reply_view *view)
{
	struct dxgw_hdr h;
	int32_t status;
	int n;

	n = dxg_ring_consume(&g->rep, g->rx, g->max_message);
	if (n == 0)
		return 0;
	if (n < 0)
		return g->broken = n;
	g->stats.replies++;
	/* Partner: dxgd's producer_prepare_wait on the reply ring. */
	if (dxg_ring_consumer_should_kick(&g->rep))
		uguest_kick(g);

	if ((uint32_t)n < sizeof(h))
		return g->broken = -EPROTO;
	memcpy(&h, g->rx, sizeof(h));
	status = (int32_t)dxg_from_le32(h.status);
	/* The only positive status is PENDING (a success whose work goes on: it has a body). */
	if (dxg_from_le32(h.size) != (uint32_t)n || dxg_from_le16(h.flags) != DXGW_FLAG_REPLY ||
	    h.reserved != 0 || (status > 0 && status != DXGW_STATUS_PENDING) ||
	    (status < 0 && (uint32_t)n != sizeof(h))) {
		fprintf(stderr, "uguest: malformed reply (size %u/%d, flags %#x, status %d)\n",
			dxg_from_le32(h.size), n, dxg_from_le16(h.flags), status);
		return g->broken = -EPROTO;
	}
	view->request_id = dxg_from_le64(h.request_id);
	view->status = status;
	view->body_len = (uint32_t)n - (uint32_t)sizeof(h);
	view->body = g->rx + sizeof(h);
	return 1;
}

static void stash_free_head(struct uguest *g)
{
	struct stashed_reply *s = g->stash_head;

	g->stash_head = s->next;
	if (!g->stash_head)
		g->stash_tail = NULL;
	g->stash_count--;
	free(s);
}

static int stash_add(struct uguest *g, const struct reply_view *v)
{
	struct stashed_reply *s = malloc(sizeof(*s) + v->body_len);

	if (!s)
		return -ENOMEM;
	s->next = NULL;
	s->request_id = v->request_id;
	s->status = v->status;
	s->body_len = v->body_len;
	memcpy(s->body, v->body, v->body_len);
	if (g->stash_tail)
		g->stash_tail->next = s;
	else
		g->stash_head = s;
	g->stash_tail = s;
	if (++g->stash_count > STASH_MAX)
		stash_free_head(g);
	return 0;
}

static int deliver(int32_t status, const unsigned char *body, uint32_t body_len,
		   void *reply_body, uint32_t reply_max, uint32_t *reply_len)
{
	uint32_t n = body_len < reply_max ? body_len : reply_max;

	if (reply_max) {
		memcpy(reply_body, body, n);
		memset((unsigned char *)reply_body + n, 0, reply_max - n);
	}
	if (reply_len)
		*reply_len = body_len;
	return status;
}

/* Looks for `id` among stashed replies; delivers and frees it. 1 if found. */
static bool stash_take(struct uguest *g, uint64_t id, void *reply_body, uint32_t reply_max,
		       uint32_t *reply_len, int *status)
{
	struct stashed_reply **link = &g->stash_head, *prev = NULL;

	for (struct stashed_reply *s = g->stash_head; s; prev = s, s = s->next) {
		if (s->request_id != id) {
			link = &s->next;
			continue;
		}
		*status = deliver(s->status, s->body, s->body_len, reply_body, reply_max, reply_len);
		*link = s->next;
		if (g->stash_tail == s)
			g->stash_tail = prev;
		g->stash_count--;
		free(s);
		return true;
	}
	return false;
}

/* Moves every reply now in the ring to the stash. */
static int rx_stash_all(struct uguest *g)
{
	struct reply_view v;
	int ret;

	while ((ret = rx_one(g, &v)) > 0) {
		ret = stash_add(g, &v);
		if (ret)
			return ret;
	}
	return ret;
}

/*
 * Sleeps in poll() on our ring and control eventfds and the socket until `deadline`. The caller
 * has announced what it waits for through the ring flags and re-checked, so any event that
 * matters kicks our ring eventfd. Returns 0 (re-check everything) or a sticky error.
 */
static int sleep_on_host(struct uguest *g, uint64_t deadline)
{
	struct pollfd pfd[3] = {
		{ .fd = g->own_efd[DXG_VECTOR_RING], .events = POLLIN },
		{ .fd = g->own_efd[DXG_VECTOR_CONTROL], .events = POLLIN },
		{ .fd = g->sock, .events = POLLIN },
	};
	int ms = remaining_ms(deadline);

	if (ms == 0)
		return 0;
	g->stats.sleeps++;
	if (poll(pfd, 3, ms) < 0 && errno != EINTR)
		return -errno;
	if (pfd[0].revents)
		drain_eventfd(g->own_efd[DXG_VECTOR_RING]);
	if (pfd[1].revents)
		drain_eventfd(g->own_efd[DXG_VECTOR_CONTROL]);
	if (pfd[2].revents)
		handle_socket(g);
	return g->broken;
}

/* In SPIN mode: every SPIN_BATCH rounds, notice a hang-up and read the clock. */
static bool spin_round(struct uguest *g, uint32_t *round, uint64_t deadline)
{
	cpu_relax();
	if (++*round % SPIN_BATCH)
		return true;
	handle_socket(g);
	return !g->broken && now_ns() < deadline;
}

int uguest_wait(struct uguest *g, uint64_t request_id, void *reply_body, uint32_t reply_max,
		uint32_t *reply_len)
{
	uint64_t deadline = deadline_after(g->timeout_ms);
	uint32_t round = 0;
	struct reply_view v;
	int ret, status;

	if (stash_take(g, request_id, reply_body, reply_max, reply_len, &status))
		return status;
	if (g->broken)
		return g->broken;

	for (;;) {
		while ((ret = rx_one(g, &v)) > 0) {
			if (v.request_id == request_id)
				return deliver(v.status, v.body, v.body_len, reply_body, reply_max,
					       reply_len);
			ret = stash_add(g, &v);
			if (ret)
				return ret;
		}
		if (ret < 0 || region_check(g))
			return g->broken ? g->broken : ret;

		if (g->wait_mode == UGUEST_WAIT_SPIN) {
			if (!spin_round(g, &round, deadline))
				return g->broken ? g->broken : -ETIMEDOUT;
			continue;
		}
		if (now_ns() >= deadline)
			return -ETIMEDOUT;
		ret = 0;
		/* Partner: dxgd's producer_should_kick after publishing a reply. */
		if (!dxg_ring_consumer_prepare_sleep(&g->rep))
			ret = sleep_on_host(g, deadline);
		dxg_ring_consumer_wake(&g->rep);
		if (ret)
			return ret;
	}
}

/* ---- requests ---- */

/*
 * Publishes one record, waiting for space if the ring is full. While it waits it keeps taking
 * replies: dxgd may be blocked on a full reply ring and would never free request space otherwise.
 */
static int tx_record(struct uguest *g, const void *rec, uint32_t len)
{
	uint64_t deadline = 0;
	uint32_t round = 0;
	int ret;

	/*
	 * Never write into rings a new worker may be formatting: a stale index published there
	 * would look like corruption to it. (The window between this check and the store below
	 * remains; the worker then marks the VM broken and a reconnect repairs it.)
	 */
	if (g->broken || region_check(g))
		return g->broken;
	while ((ret = dxg_ring_produce(&g->req, rec, len)) == -EAGAIN) {
		if (!deadline)
			deadline = deadline_after(g->timeout_ms);
		ret = rx_stash_all(g);
		if (ret < 0 || region_check(g))
			return g->broken ? g->broken : ret;
		if (g->wait_mode == UGUEST_WAIT_SPIN) {
			if (!spin_round(g, &round, deadline))
				return g->broken ? g->broken : -ETIMEDOUT;
			continue;
		}
		if (now_ns() >= deadline)
			return -ETIMEDOUT;
		/*
		 * Announce both things that may unblock us: space in the request ring (partner:
		 * dxgd's consumer_should_kick) and a reply to take (partner: dxgd's
		 * producer_should_kick), then re-check both before sleeping.
		 */
		if (!dxg_ring_producer_prepare_wait(&g->req, dxg_ring_record_size(len)) &&
		    !dxg_ring_consumer_prepare_sleep(&g->rep))
			ret = sleep_on_host(g, deadline);
		dxg_ring_consumer_wake(&g->rep);
		dxg_ring_producer_end_wait(&g->req);
		if (ret)
			return ret;
	}
	if (ret == -EPROTO)
		g->broken = ret;
	if (ret)
		return ret;
	g->stats.requests++;
	/* Partner: the barrier in dxgd's consumer_prepare_sleep on the request ring. */
	if (dxg_ring_producer_should_kick(&g->req))
		return uguest_kick(g);
	return 0;
}

static int send_parts(struct uguest *g, uint16_t opcode, uint32_t process, const void *a,
		      uint32_t alen, const void *b, uint32_t blen, uint64_t *request_id)
{
	struct dxgw_hdr h = { 0 };
	uint64_t total = sizeof(h) + (uint64_t)alen + blen;
	int ret;

	if (total > g->max_message)
		return -EMSGSIZE;
	h.size = dxg_to_le32((uint32_t)total);
	h.opcode = dxg_to_le16(opcode);
	h.request_id = dxg_to_le64(g->next_id);
	h.process = dxg_to_le32(process);
	memcpy(g->tx, &h, sizeof(h));
	if (alen)
		memcpy(g->tx + sizeof(h), a, alen);
	if (blen)
		memcpy(g->tx + sizeof(h) + alen, b, blen);
	ret = tx_record(g, g->tx, (uint32_t)total);
	if (ret)
		return ret;
	*request_id = g->next_id;
	/* Bit 63 stays clear: those ids belong to raw records built by tests. */
	g->next_id = (g->next_id + 1) & ~(1ull << 63);
	if (!g->next_id)
		g->next_id = 1;
	return 0;
}

int uguest_send(struct uguest *g, uint16_t opcode, uint32_t process, const void *body,
		uint32_t body_len, uint64_t *request_id)
{
	return send_parts(g, opcode, process, body, body_len, NULL, 0, request_id);
}

int uguest_call(struct uguest *g, uint16_t opcode, uint32_t process, const void *body,
		uint32_t body_len, void *reply_body, uint32_t reply_max, uint32_t *reply_len)
{
	uint64_t id;
	int ret = uguest_send(g, opcode, process, body, body_len, &id);

	if (ret)
		return ret;
	return uguest_wait(g, id, reply_body, reply_max, reply_len);
}

int uguest_send_raw(struct uguest *g, const void *record, uint32_t len)
{
	if (len == 0 || len > g->req.max_payload)
		return -EMSGSIZE;
	return tx_record(g, record, len);
}

uint32_t uguest_pending_replies(const struct uguest *g)
{
	return g->stash_count;
}

void uguest_discard_replies(struct uguest *g)
{
	while (g->stash_head)
		stash_free_head(g);
}

/* ---- connect / close ---- */

static int connect_socket(const char *path, int *out)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int sock;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = -errno;

		close(sock);
		return err;
	}
	*out = sock;
	return 0;
}

/*
 * The ivshmem client side of the handshake: version, our peer id, the region fd, then every
 * peer's eventfds (one message per vector). We keep peer 0's (dxgd: our doorbell) and our own
 * (our interrupts); fds of any other peer are closed.
 */
static int ivshmem_handshake(struct uguest *g, uint64_t deadline, int *shm_fd)
{
	uint32_t host_n = 0, own_n = 0;
	int64_t value;
	int fd, ret;

	ret = recv_ivshmem_msg(g->sock, deadline, &value, &fd);
	if (ret)
		return ret;
	close_fd(&fd);
	if (value != IVSHMEM_PROTOCOL_VERSION)
		return -EPROTO;

	ret = recv_ivshmem_msg(g->sock, deadline, &value, &fd);
	if (ret)
		return ret;
	close_fd(&fd);
	/* dxgd turns away a second guest with peer id -1: the VM is taken. */
	if (value == -1)
		return -EBUSY;
	if (value <= 0 || value > IVSHMEM_MAX_PEER)
		return -EPROTO;
	g->peer_id = (uint32_t)value;

	ret = recv_ivshmem_msg(g->sock, deadline, &value, shm_fd);
	if (ret)
		return ret;
	if (value != -1 || *shm_fd < 0)
		return -EPROTO;

	while (host_n < DXG_VECTORS || own_n < DXG_VECTORS) {
		ret = recv_ivshmem_msg(g->sock, deadline, &value, &fd);
		if (ret)
			return ret;
		if (value < 0 || value > IVSHMEM_MAX_PEER) {
			close_fd(&fd);
			return -EPROTO;
		}
		if (fd < 0) {
			/* A peer left; if it is dxgd itself, there is nobody to talk to. */
			if (value == 0)
				return -ECONNRESET;
			continue;
		}
		if (value == 0 && host_n < DXG_VECTORS)
			g->host_efd[host_n++] = fd;
		else if (value == g->peer_id && own_n < DXG_VECTORS)
			g->own_efd[own_n++] = fd;
		else
			close(fd);
	}
	/* We drain our eventfds after poll() says they are readable; never block in read(). */
	for (int i = 0; i < (int)DXG_VECTORS; i++)
		if (fcntl(g->own_efd[i], F_SETFL, fcntl(g->own_efd[i], F_GETFL) | O_NONBLOCK) < 0)
			return -errno;
	return 0;
}

static int map_region(struct uguest *g, int shm_fd)
{
	struct stat st;
	void *p;

	if (fstat(shm_fd, &st) < 0)
		return -errno;
	if (st.st_size < (off_t)DXG_REGION_MIN_SIZE || (uint64_t)st.st_size > DXG_REGION_MAX_SIZE)
		return -EPROTO;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	g->region = p;
	g->region_size = (uint64_t)st.st_size;
	g->hdr = p;
	return 0;
}

/*
 * Waits until dxgd adopted the ring starts we declared (protocol.md 2.3): it publishes them as its
 * request head and reply tail. Until then both read as formatted (0); if our starts are not 0 (an
 * index stored for the previous generation after the format) the rings would look corrupt to our
 * first send. dxgd does not kick on adoption, so poll briefly; it adopts as soon as our kick wakes
 * it. The acquire loads pair with dxgd's release stores of the adopted indices.
 */
static int wait_rings_adopted(struct uguest *g, uint32_t request_start, uint32_t reply_start)
{
	uint64_t deadline = deadline_after(g->timeout_ms);

	for (;;) {
		if (dxg_from_le32(dxg_load_acquire(&g->req.ctrl->head)) == request_start &&
		    dxg_from_le32(dxg_load_acquire(&g->rep.ctrl->tail)) == reply_start)
			return 0;
		if (dxg_from_le32(dxg_load_acquire(&g->hdr->state)) != DXG_REGION_STATE_READY ||
		    dxg_from_le32(dxg_read_once(g->hdr->generation)) != g->info.generation)
			return -ENODEV;
		if (now_ns() >= deadline)
			return -ETIMEDOUT;
		usleep(100);
	}
}

static int attach_rings(struct uguest *g)
{
	const struct dxg_region_layout *l = &g->layout;
	bool acked_before;
	int ret;

	/* Only the validated copy of the header decides where things are (region_validate()). */
	g->max_message = l->max_message;
	ret = dxg_ring_attach(&g->req, (void *)(g->region + l->ring_ctrl[0]),
			      g->region + l->ring_data[0], l->ring_size[0], g->max_message, true);
	if (!ret)
		ret = dxg_ring_attach(&g->rep, (void *)(g->region + l->ring_ctrl[1]),
				      g->region + l->ring_data[1], l->ring_size[1], g->max_message,
				      false);
	if (ret)
		return -EPROTO;
	g->rx = malloc(g->max_message);
	g->tx = malloc(g->max_message);
	if (!g->rx || !g->tx)
		return -ENOMEM;

	/*
	 * Acknowledge the generation with the indices our rings start at: dxgd starts its side
	 * exactly there (region.h, guest_generation). The release orders the declared starts
	 * before the acknowledgement; the kick wakes dxgd, which does not look at the rings
	 * before it sees the acknowledgement.
	 */
	acked_before = dxg_from_le32(dxg_read_once(g->hdr->guest_generation)) == g->info.generation;
	g->hdr->guest_request_start = dxg_to_le32(g->req.local);
	g->hdr->guest_reply_start = dxg_to_le32(g->rep.local);
	dxg_store_release(&g->hdr->guest_generation, dxg_to_le32(g->info.generation));
	ret = uguest_kick(g);
	if (ret)
		return ret;
	/* dxgd adopts once per generation; after an earlier acknowledgment it serves as it is. */
	if (!acked_before) {
		ret = wait_rings_adopted(g, g->req.local, g->rep.local);
		if (ret)
			return ret;
	}

	g->info.peer_id = g->peer_id;
	g->info.host_version = dxg_from_le32(g->hdr->version);
	g->info.max_message = g->max_message;
	g->info.region_size = g->region_size;
	g->info.host_features = dxg_from_le64(g->hdr->host_features);
	return 0;
}

int uguest_connect(const char *socket_path, const struct uguest_options *opt, struct uguest **out)
{
	struct uguest_options defaults = { .wait_mode = UGUEST_WAIT_BLOCK };
	struct uguest *g;
	uint64_t deadline;
	int shm_fd = -1, ret;

	*out = NULL;
	if (!opt)
		opt = &defaults;
	if (opt->wait_mode != UGUEST_WAIT_BLOCK && opt->wait_mode != UGUEST_WAIT_SPIN)
		return -EINVAL;
	if (opt->flags & ~UGUEST_F_NO_CONNECT)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->sock = -1;
	for (int i = 0; i < (int)DXG_VECTORS; i++)
		g->own_efd[i] = g->host_efd[i] = -1;
	g->wait_mode = opt->wait_mode;
	g->timeout_ms = opt->timeout_ms ? opt->timeout_ms : UGUEST_DEFAULT_TIMEOUT_MS;
	g->next_id = 1;
	deadline = deadline_after(g->timeout_ms);

	ret = connect_socket(socket_path, &g->sock);
	if (!ret)
		ret = ivshmem_handshake(g, deadline, &shm_fd);
	if (!ret)
		ret = map_region(g, shm_fd);
	close_fd(&shm_fd);
	if (!ret)
		ret = region_wait_ready(g, opt->min_generation, deadline);
	if (!ret)
		ret = attach_rings(g);
	if (!ret && !(opt->flags & UGUEST_F_NO_CONNECT))
		ret = uguest_handshake(g, 0, NULL);
	if (ret) {
		uguest_close(g);
		return ret;
	}
	*out = g;
	return 0;
}

void uguest_close(struct uguest *g)
{
	if (!g)
		return;
	uguest_discard_replies(g);
	close_fd(&g->sock);
	for (int i = 0; i < (int)DXG_VECTORS; i++) {
		close_fd(&g->own_efd[i]);
		close_fd(&g->host_efd[i]);
	}
	if (g->region)
		munmap(g->region, g->region_size);
	free(g->rx);
	free(g->tx);
	free(g);
}

/* ---- accessors ---- */

void uguest_get_info(const struct uguest *g, struct uguest_info *info)
{
	*info = g->info;
}

uint32_t uguest_generation(const struct uguest *g)
{
	return g->info.generation;
}

void uguest_get_stats(const struct uguest *g, struct uguest_stats *stats)
{
	*stats = g->stats;
}

void uguest_set_timeout(struct uguest *g, uint32_t timeout_ms)
{
	g->timeout_ms = timeout_ms ? timeout_ms : UGUEST_DEFAULT_TIMEOUT_MS;
}

void uguest_set_wait_mode(struct uguest *g, enum uguest_wait_mode mode)
{
	g->wait_mode = mode;
}

void *uguest_region(const struct uguest *g, uint64_t *size)
{
	if (size)
		*size = g->region_size;
	return g->region;
}

struct dxg_ring *uguest_request_ring(struct uguest *g)
{
	return &g->req;
}

struct dxg_ring *uguest_reply_ring(struct uguest *g)
{
	return &g->rep;
}

/* ---- typed helpers ---- */

int uguest_handshake(struct uguest *g, uint64_t guest_features, struct uguest_info *info)
{
	struct dxgw_connect_req req = {
		.guest_version = dxg_to_le32(DXG_PROTOCOL_VERSION),
		.guest_features = dxg_to_le64(guest_features),
	};
	struct dxgw_connect_reply rep;
	uint32_t len;
	int ret;

	ret = uguest_call(g, DXGW_OP_CONNECT, 0, &req, sizeof(req), &rep, sizeof(rep), &len);
	if (ret)
		return ret;
	if (len < sizeof(rep) || dxg_from_le32(rep.generation) != g->info.generation)
		return g->broken = -EPROTO;
	g->info.connect_version = dxg_from_le32(rep.host_version);
	g->info.adapter_count = dxg_from_le32(rep.adapter_count);
	g->info.features = dxg_from_le64(rep.features);
	if (info)
		*info = g->info;
	return 0;
}

int uguest_nop(struct uguest *g)
{
	return uguest_call(g, DXGW_OP_NOP, 0, NULL, 0, NULL, 0, NULL);
}

int uguest_create_process(struct uguest *g, uint32_t pid, const char *name, uint32_t *process)
{
	struct dxgw_create_process_req req = { .pid = dxg_to_le32(pid) };
	struct dxgw_create_process_reply rep;
	uint32_t len;
	int ret;

	if (name)
		memcpy(req.name, name, strnlen(name, sizeof(req.name)));
	ret = uguest_call(g, DXGW_OP_CREATE_PROCESS, 0, &req, sizeof(req), &rep, sizeof(rep), &len);
	if (ret)
		return ret;
	if (len < sizeof(rep))
		return -EPROTO;
	*process = dxg_from_le32(rep.process);
	return 0;
}

int uguest_destroy_process(struct uguest *g, uint32_t process)
{
	return uguest_call(g, DXGW_OP_DESTROY_PROCESS, process, NULL, 0, NULL, 0, NULL);
}

int uguest_enum_adapters(struct uguest *g, struct uguest_adapter *adapters, uint32_t max,
			 uint32_t *count)
{
	unsigned char buf[sizeof(struct dxgw_enum_adapters_reply) +
			  DXGW_MAX_ADAPTERS * sizeof(struct dxgw_adapter_desc)];
	struct dxgw_enum_adapters_reply rep;
	uint32_t len, n;
	int ret;

	ret = uguest_call(g, DXGW_OP_ENUM_ADAPTERS, 0, NULL, 0, buf, sizeof(buf), &len);
	if (ret)
		return ret;
	memcpy(&rep, buf, sizeof(rep));
	n = dxg_from_le32(rep.count);
	if (len < sizeof(rep) || n > DXGW_MAX_ADAPTERS ||
	    len < sizeof(rep) + n * sizeof(struct dxgw_adapter_desc))
		return -EPROTO;
	for (uint32_t i = 0; i < n && i < max; i++) {
		struct dxgw_adapter_desc d;

		memcpy(&d, buf + sizeof(rep) + i * sizeof(d), sizeof(d));
		adapters[i] = (struct uguest_adapter){
			.handle = dxg_from_le32(d.adapter),
			.luid_low = dxg_from_le32(d.luid_low),
			.luid_high = dxg_from_le32(d.luid_high),
			.flags = dxg_from_le32(d.flags),
		};
	}
	*count = n;
	return 0;
}

static int adapter_op(struct uguest *g, uint16_t op, uint32_t process, uint32_t adapter)
{
	struct dxgw_adapter_req req = { .adapter = dxg_to_le32(adapter) };

	return uguest_call(g, op, process, &req, sizeof(req), NULL, 0, NULL);
}

int uguest_open_adapter(struct uguest *g, uint32_t process, uint32_t adapter)
{
	return adapter_op(g, DXGW_OP_OPEN_ADAPTER, process, adapter);
}

int uguest_close_adapter(struct uguest *g, uint32_t process, uint32_t adapter)
{
	return adapter_op(g, DXGW_OP_CLOSE_ADAPTER, process, adapter);
}

int uguest_query_adapter_info(struct uguest *g, uint32_t process, uint32_t adapter, uint32_t type,
			      void *data, uint32_t size)
{
	struct dxgw_query_adapter_info_req req = {
		.adapter = dxg_to_le32(adapter),
		.type = dxg_to_le32(type),
		.data_size = dxg_to_le32(size),
	};
	struct dxgw_query_adapter_info_reply rep;
	uint32_t len;
	uint64_t id;
	unsigned char *buf;
	int ret;

	/* Sizes are dxgd's to judge (tests send bad ones); only what cannot be sent is refused. */
	ret = send_parts(g, DXGW_OP_QUERY_ADAPTER_INFO, process, &req, sizeof(req), data, size, &id);
	if (ret)
		return ret;
	buf = malloc(sizeof(rep) + (size_t)size);
	if (!buf)
		return -ENOMEM;
	ret = uguest_wait(g, id, buf, sizeof(rep) + size, &len);
	if (!ret) {
		memcpy(&rep, buf, sizeof(rep));
		if (len != sizeof(rep) + size || dxg_from_le32(rep.data_size) != size)
			ret = -EPROTO;
		else
			memcpy(data, buf + sizeof(rep), size);
	}
	free(buf);
	return ret;
}

static int handle_call(struct uguest *g, uint16_t op, uint32_t process, const void *body,
		       uint32_t body_len, uint32_t *handle)
{
	struct dxgw_handle_reply rep;
	uint32_t len;
	int ret = uguest_call(g, op, process, body, body_len, &rep, sizeof(rep), &len);

	if (ret)
		return ret;
	if (len < sizeof(rep))
		return -EPROTO;
	*handle = dxg_from_le32(rep.handle);
	return 0;
}

int uguest_create_device(struct uguest *g, uint32_t process, uint32_t adapter, uint32_t flags,
			 uint32_t *device)
{
	struct dxgw_create_device_req req = {
		.adapter = dxg_to_le32(adapter),
		.flags = dxg_to_le32(flags),
	};

	return handle_call(g, DXGW_OP_CREATE_DEVICE, process, &req, sizeof(req), device);
}

static int destroy_op(struct uguest *g, uint16_t op, uint32_t process, uint32_t handle)
{
	struct dxgw_destroy_req req = { .handle = dxg_to_le32(handle) };

	return uguest_call(g, op, process, &req, sizeof(req), NULL, 0, NULL);
}

int uguest_destroy_device(struct uguest *g, uint32_t process, uint32_t device)
{
	return destroy_op(g, DXGW_OP_DESTROY_DEVICE, process, device);
}

int uguest_create_context(struct uguest *g, uint32_t process,
			  const struct uguest_context_args *args, uint32_t *context)
{
	struct dxgw_create_context_req req = {
		.device = dxg_to_le32(args->device),
		.node_ordinal = dxg_to_le32(args->node_ordinal),
		.engine_affinity = dxg_to_le32(args->engine_affinity),
		.flags = dxg_to_le32(args->flags),
		.client_hint = dxg_to_le32(args->client_hint),
		.priv_size = dxg_to_le32(args->priv_size),
	};
	struct dxgw_handle_reply rep;
	uint32_t len;
	uint64_t id;
	int ret;

	ret = send_parts(g, DXGW_OP_CREATE_CONTEXT_VIRTUAL, process, &req, sizeof(req), args->priv,
			 args->priv ? args->priv_size : 0, &id);
	if (ret)
		return ret;
	ret = uguest_wait(g, id, &rep, sizeof(rep), &len);
	if (ret)
		return ret;
	if (len < sizeof(rep))
		return -EPROTO;
	*context = dxg_from_le32(rep.handle);
	return 0;
}

int uguest_destroy_context(struct uguest *g, uint32_t process, uint32_t context)
{
	return destroy_op(g, DXGW_OP_DESTROY_CONTEXT, process, context);
}

/* ---- memory ---- */

static uint32_t list_bytes(uint32_t count)
{
	return (count * 4u + 7u) & ~7u;
}

static uint32_t pad8(uint32_t n)
{
	return (n + 7u) & ~7u;
}

static void put_list(unsigned char *p, const uint32_t *values, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++) {
		dxg_le32 le = dxg_to_le32(values[i]);

		memcpy(p + 4u * i, &le, sizeof(le));
	}
}

/* Sends `body` (len bytes, freed here) and copies the reply body into `out` (out_len bytes). */
static int call_owned(struct uguest *g, uint16_t op, uint32_t process, unsigned char *body,
		      uint32_t len, void *out, uint32_t out_len)
{
	uint32_t got = 0;
	int ret;

	if (!body)
		return -ENOMEM;
	ret = uguest_call(g, op, process, body, len, out, out_len, &got);
	free(body);
	if (ret >= 0 && out_len && got < out_len)
		return -EPROTO;
	return ret;
}

int uguest_create_allocation(struct uguest *g, uint32_t process,
			     const struct uguest_create_allocation_args *args,
			     uint32_t *resource, struct uguest_alloc_result *results)
{
	const uint32_t fixed = sizeof(struct dxgw_create_allocation_req);
	uint64_t len = fixed + (uint64_t)pad8(args->runtime_data_size) +
		       (uint64_t)args->count * sizeof(struct dxgw_alloc_desc);
	uint32_t reply_len = (uint32_t)(sizeof(struct dxgw_create_allocation_reply) +
					(uint64_t)args->count * sizeof(struct dxgw_alloc_result));
	struct dxgw_create_allocation_req req = {
		.device = dxg_to_le32(args->device),
		.resource = dxg_to_le32(args->resource),
		.flags = dxg_to_le32(args->flags),
		.alloc_count = dxg_to_le32(args->count),
		.runtime_data_size = dxg_to_le32(args->runtime_data_size),
	};
	unsigned char *body, *reply, *p;
	struct dxgw_create_allocation_reply head;
	int ret;

	for (uint32_t i = 0; i < args->count; i++)
		len += args->descs[i].code ? pad8(args->descs[i].code_size) : 0;
	if (len > g->max_message || args->count > DXGW_MAX_ALLOCATIONS)
		return -EMSGSIZE;
	body = calloc(1, (size_t)len);
	reply = malloc(reply_len);
	if (!body || !reply) {
		free(body);
		free(reply);
		return -ENOMEM;
	}
	memcpy(body, &req, sizeof(req));
	p = body + fixed;
	if (args->runtime_data_size)
		memcpy(p, args->runtime_data, args->runtime_data_size);
	p += pad8(args->runtime_data_size);
	for (uint32_t i = 0; i < args->count; i++) {
		const struct uguest_alloc_desc *d = &args->descs[i];
		struct dxgw_alloc_desc w = {
			.kind = dxg_to_le32(d->kind),
			.flags = dxg_to_le32(d->flags),
			.size = dxg_to_le64(d->size),
			.priority = dxg_to_le32(d->priority),
			.code_size = dxg_to_le32(d->code_size),
		};

		memcpy(p, &w, sizeof(w));
		p += sizeof(w);
	}
	for (uint32_t i = 0; i < args->count; i++) {
		if (!args->descs[i].code)
			continue;
		memcpy(p, args->descs[i].code, args->descs[i].code_size);
		p += pad8(args->descs[i].code_size);
	}
	ret = call_owned(g, DXGW_OP_CREATE_ALLOCATION, process, body, (uint32_t)len, reply,
			 reply_len);
	if (ret == 0) {
		memcpy(&head, reply, sizeof(head));
		if (dxg_from_le32(head.alloc_count) != args->count) {
			ret = -EPROTO;
		} else {
			if (resource)
				*resource = dxg_from_le32(head.resource);
			for (uint32_t i = 0; results && i < args->count; i++) {
				struct dxgw_alloc_result r;

				memcpy(&r, reply + sizeof(head) + i * sizeof(r), sizeof(r));
				results[i].allocation = dxg_from_le32(r.allocation);
				results[i].charged = dxg_from_le64(r.charged);
			}
		}
	}
	free(reply);
	return ret;
}

int uguest_alloc(struct uguest *g, uint32_t process, uint32_t device, uint32_t kind,
		 uint64_t size, uint32_t *allocation)
{
	const struct uguest_alloc_desc desc = { .kind = kind, .size = size };
	const struct uguest_create_allocation_args args = {
		.device = device,
		.descs = &desc,
		.count = 1,
	};
	struct uguest_alloc_result result;
	int ret = uguest_create_allocation(g, process, &args, NULL, &result);

	if (!ret)
		*allocation = result.allocation;
	return ret;
}

int uguest_destroy_allocations(struct uguest *g, uint32_t process, uint32_t device,
			       uint32_t resource, const uint32_t *allocations, uint32_t count,
			       uint32_t flags)
{
	const uint32_t fixed = sizeof(struct dxgw_destroy_allocation_req);
	struct dxgw_destroy_allocation_req req = {
		.device = dxg_to_le32(device),
		.resource = dxg_to_le32(resource),
		.alloc_count = dxg_to_le32(count),
		.flags = dxg_to_le32(flags),
	};
	unsigned char *body = calloc(1, fixed + list_bytes(count));

	if (body) {
		memcpy(body, &req, sizeof(req));
		put_list(body + fixed, allocations, count);
	}
	return call_owned(g, DXGW_OP_DESTROY_ALLOCATION, process, body, fixed + list_bytes(count),
			  NULL, 0);
}

int uguest_free(struct uguest *g, uint32_t process, uint32_t device, uint32_t allocation)
{
	return uguest_destroy_allocations(g, process, device, 0, &allocation, 1, 0);
}

int uguest_lock(struct uguest *g, uint32_t process, uint32_t device, uint32_t allocation,
		struct uguest_lock *out)
{
	struct dxgw_lock_req req = {
		.device = dxg_to_le32(device),
		.allocation = dxg_to_le32(allocation),
	};
	struct dxgw_lock_reply rep;
	uint32_t len;
	int ret = uguest_call(g, DXGW_OP_LOCK, process, &req, sizeof(req), &rep, sizeof(rep), &len);

	if (ret)
		return ret;
	if (len < sizeof(rep))
		return -EPROTO;
	out->region_offset = dxg_from_le64(rep.region_offset);
	out->size = dxg_from_le64(rep.size);
	out->resource = dxg_from_le32(rep.resource);
	out->adapter = dxg_from_le32(rep.adapter);
	return 0;
}

int uguest_unlock(struct uguest *g, uint32_t process, uint32_t device, uint32_t allocation)
{
	struct dxgw_lock_req req = {
		.device = dxg_to_le32(device),
		.allocation = dxg_to_le32(allocation),
	};

	return uguest_call(g, DXGW_OP_UNLOCK, process, &req, sizeof(req), NULL, 0, NULL);
}

void *uguest_lock_ptr(const struct uguest *g, const struct uguest_lock *lock)
{
	const struct dxg_region_layout *l = &g->layout;

	/* What a guest driver checks before it maps: page aligned, inside the heap. */
	if (lock->region_offset % DXG_PAGE_SIZE || lock->size % DXG_PAGE_SIZE ||
	    lock->region_offset < l->heap_offset || lock->size > l->heap_size ||
	    lock->region_offset - l->heap_offset > l->heap_size - lock->size)
		return NULL;
	return g->region + lock->region_offset;
}

static int video_memory_call(struct uguest *g, uint16_t op, uint32_t process, uint32_t adapter,
			     uint32_t group, uint64_t reservation, void *out, uint32_t out_len)
{
	struct dxgw_video_memory_req req = {
		.adapter = dxg_to_le32(adapter),
		.segment_group = dxg_to_le32(group),
		.reservation = dxg_to_le64(reservation),
	};
	uint32_t len;
	int ret = uguest_call(g, op, process, &req, sizeof(req), out, out_len, &len);

	if (!ret && len < out_len)
		return -EPROTO;
	return ret;
}

int uguest_query_video_memory(struct uguest *g, uint32_t process, uint32_t adapter,
			      uint32_t segment_group, struct uguest_video_memory *out)
{
	struct dxgw_video_memory_reply rep;
	int ret = video_memory_call(g, DXGW_OP_QUERY_VIDEO_MEMORY, process, adapter, segment_group,
				    0, &rep, sizeof(rep));

	if (ret)
		return ret;
	out->budget = dxg_from_le64(rep.budget);
	out->current_usage = dxg_from_le64(rep.current_usage);
	out->current_reservation = dxg_from_le64(rep.current_reservation);
	out->available_for_reservation = dxg_from_le64(rep.available_for_reservation);
	return 0;
}

int uguest_change_reservation(struct uguest *g, uint32_t process, uint32_t adapter,
			      uint32_t segment_group, uint64_t reservation)
{
	return video_memory_call(g, DXGW_OP_CHANGE_RESERVATION, process, adapter, segment_group,
				 reservation, NULL, 0);
}

/* QUERY_RESIDENCY, SET_PRIORITY, GET_PRIORITY. */
static int alloc_list_call(struct uguest *g, uint16_t op, uint32_t process, uint32_t device,
			   uint32_t resource, const uint32_t *allocations, uint32_t count,
			   const uint32_t *in_values, uint32_t *out_values)
{
	const uint32_t fixed = sizeof(struct dxgw_alloc_list_req);
	const uint32_t nvalues = count ? count : 1;
	uint32_t len = fixed + list_bytes(count) + (in_values ? list_bytes(nvalues) : 0);
	uint32_t reply_len = out_values ? (uint32_t)sizeof(struct dxgw_values_reply) +
					  list_bytes(nvalues) : 0;
	struct dxgw_alloc_list_req req = {
		.device = dxg_to_le32(device),
		.resource = dxg_to_le32(resource),
		.count = dxg_to_le32(count),
	};
	unsigned char *body = calloc(1, len);
	unsigned char *reply = reply_len ? malloc(reply_len) : NULL;
	int ret;

	if (body) {
		memcpy(body, &req, sizeof(req));
		put_list(body + fixed, allocations, count);
		if (in_values)
			put_list(body + fixed + list_bytes(count), in_values, nvalues);
	}
	if (reply_len && !reply) {
		free(body);
		return -ENOMEM;
	}
	ret = call_owned(g, op, process, body, len, reply, reply_len);
	if (ret == 0 && out_values) {
		struct dxgw_values_reply head;

		memcpy(&head, reply, sizeof(head));
		if (dxg_from_le32(head.count) != nvalues)
			ret = -EPROTO;
		for (uint32_t i = 0; !ret && i < nvalues; i++)
			out_values[i] = dxg_get_le32(reply + sizeof(head) + 4u * i);
	}
	free(reply);
	return ret;
}

int uguest_query_residency(struct uguest *g, uint32_t process, uint32_t device,
			   uint32_t resource, const uint32_t *allocations, uint32_t count,
			   uint32_t *values)
{
	return alloc_list_call(g, DXGW_OP_QUERY_RESIDENCY, process, device, resource, allocations,
			       count, NULL, values);
}

int uguest_get_priority(struct uguest *g, uint32_t process, uint32_t device, uint32_t resource,
			const uint32_t *allocations, uint32_t count, uint32_t *values)
{
	return alloc_list_call(g, DXGW_OP_GET_PRIORITY, process, device, resource, allocations,
			       count, NULL, values);
}

int uguest_set_priority(struct uguest *g, uint32_t process, uint32_t device, uint32_t resource,
			const uint32_t *allocations, uint32_t count, const uint32_t *priorities)
{
	return alloc_list_call(g, DXGW_OP_SET_PRIORITY, process, device, resource, allocations,
			       count, priorities, NULL);
}

int uguest_offer(struct uguest *g, uint32_t process, uint32_t device, uint32_t priority,
		 uint32_t flags, bool resources, const uint32_t *handles, uint32_t count)
{
	const uint32_t fixed = sizeof(struct dxgw_offer_req);
	struct dxgw_offer_req req = {
		.device = dxg_to_le32(device),
		.count = dxg_to_le32(count),
		.priority = dxg_to_le32(priority),
		.flags = dxg_to_le32(flags),
		.resources = dxg_to_le32(resources ? 1 : 0),
	};
	unsigned char *body = calloc(1, fixed + list_bytes(count));

	if (body) {
		memcpy(body, &req, sizeof(req));
		put_list(body + fixed, handles, count);
	}
	return call_owned(g, DXGW_OP_OFFER, process, body, fixed + list_bytes(count), NULL, 0);
}

int uguest_reclaim(struct uguest *g, uint32_t process, uint32_t paging_queue, bool resources,
		   const uint32_t *handles, uint32_t count, uint32_t *results,
		   uint64_t *fence_value)
{
	const uint32_t fixed = sizeof(struct dxgw_reclaim_req);
	const uint32_t reply_len = (uint32_t)sizeof(struct dxgw_reclaim_reply) + list_bytes(count);
	struct dxgw_reclaim_req req = {
		.paging_queue = dxg_to_le32(paging_queue),
		.count = dxg_to_le32(count),
		.resources = dxg_to_le32(resources ? 1 : 0),
	};
	unsigned char *body = calloc(1, fixed + list_bytes(count));
	unsigned char *reply = malloc(reply_len);
	struct dxgw_reclaim_reply head;
	int ret;

	if (body) {
		memcpy(body, &req, sizeof(req));
		put_list(body + fixed, handles, count);
	}
	if (!reply) {
		free(body);
		return -ENOMEM;
	}
	ret = call_owned(g, DXGW_OP_RECLAIM, process, body, fixed + list_bytes(count), reply,
			 reply_len);
	if (ret == 0) {
		memcpy(&head, reply, sizeof(head));
		if (dxg_from_le32(head.count) != count)
			ret = -EPROTO;
		if (fence_value)
			*fence_value = dxg_from_le64(head.paging_fence_value);
		for (uint32_t i = 0; !ret && results && i < count; i++)
			results[i] = dxg_get_le32(reply + sizeof(head) + 4u * i);
	}
	free(reply);
	return ret;
}

int uguest_update_alloc_property(struct uguest *g, uint32_t process,
				 const struct uguest_alloc_property *args, uint64_t *fence_value)
{
	struct dxgw_update_alloc_property_req req = {
		.paging_queue = dxg_to_le32(args->paging_queue),
		.allocation = dxg_to_le32(args->allocation),
		.supported_segment_set = dxg_to_le32(args->supported_segment_set),
		.preferred_segment = dxg_to_le32(args->preferred_segment),
		.flags = dxg_to_le32(args->flags),
		.property_mask = dxg_to_le32(args->property_mask),
	};
	struct dxgw_paging_reply rep;
	uint32_t len;
	int ret = uguest_call(g, DXGW_OP_UPDATE_ALLOC_PROPERTY, process, &req, sizeof(req), &rep,
			      sizeof(rep), &len);

	if (ret)
		return ret;
	if (len < sizeof(rep))
		return -EPROTO;
	if (fence_value)
		*fence_value = dxg_from_le64(rep.paging_fence_value);
	return 0;
}

int uguest_create_paging_queue(struct uguest *g, uint32_t process, uint32_t device,
			       int32_t priority, struct uguest_paging_queue *out)
{
	struct dxgw_create_paging_queue_req req = {
		.device = dxg_to_le32(device),
		.priority = dxg_to_le32((uint32_t)priority),
	};
	struct dxgw_create_paging_queue_reply rep;
	uint32_t len;
	int ret = uguest_call(g, DXGW_OP_CREATE_PAGING_QUEUE, process, &req, sizeof(req), &rep,
			      sizeof(rep), &len);

	if (ret)
		return ret;
	if (len < sizeof(rep))
		return -EPROTO;
	out->paging_queue = dxg_from_le32(rep.paging_queue);
	out->sync_object = dxg_from_le32(rep.sync_object);
	out->fence_offset = dxg_from_le64(rep.fence_offset);
	return 0;
}

int uguest_destroy_paging_queue(struct uguest *g, uint32_t process, uint32_t paging_queue)
{
	return destroy_op(g, DXGW_OP_DESTROY_PAGING_QUEUE, process, paging_queue);
}

static int residency_call(struct uguest *g, uint16_t op, uint32_t process, const void *req,
			  uint32_t req_len, const uint32_t *allocations, uint32_t count,
			  const uint32_t *priorities, uint64_t *first, uint64_t *second)
{
	uint32_t len = req_len + list_bytes(count) + (priorities ? list_bytes(count) : 0);
	unsigned char *body = calloc(1, len);
	struct dxgw_residency_reply rep;
	int ret;

	if (body) {
		memcpy(body, req, req_len);
		put_list(body + req_len, allocations, count);
		if (priorities)
			put_list(body + req_len + list_bytes(count), priorities, count);
	}
	ret = call_owned(g, op, process, body, len, &rep, sizeof(rep));
	if (ret >= 0) {
		if (first)
			*first = dxg_from_le64(rep.paging_fence_value);
		if (second)
			*second = dxg_from_le64(rep.num_bytes_to_trim);
	}
	return ret;
}

int uguest_make_resident(struct uguest *g, uint32_t process, uint32_t paging_queue,
			 const uint32_t *allocations, uint32_t count, const uint32_t *priorities,
			 uint32_t flags, uint64_t *fence_value)
{
	struct dxgw_make_resident_req req = {
		.paging_queue = dxg_to_le32(paging_queue),
		.count = dxg_to_le32(count),
		.flags = dxg_to_le32(flags),
		.has_priorities = dxg_to_le32(priorities ? 1 : 0),
	};

	return residency_call(g, DXGW_OP_MAKE_RESIDENT, process, &req, sizeof(req), allocations,
			      count, priorities, fence_value, NULL);
}

int uguest_evict(struct uguest *g, uint32_t process, uint32_t device, const uint32_t *allocations,
		 uint32_t count, uint32_t flags, uint64_t *bytes_to_trim)
{
	struct dxgw_evict_req req = {
		.device = dxg_to_le32(device),
		.count = dxg_to_le32(count),
		.flags = dxg_to_le32(flags),
	};

	return residency_call(g, DXGW_OP_EVICT, process, &req, sizeof(req), allocations, count,
			      NULL, NULL, bytes_to_trim);
}

static bool fence_offset_ok(const struct uguest *g, uint64_t offset)
{
	const struct dxg_region_layout *l = &g->layout;

	return offset % 8 == 0 && offset >= l->fence_offset &&
	       offset - l->fence_offset <= l->fence_size - 8;
}

uint64_t uguest_fence_value(const struct uguest *g, uint64_t fence_offset)
{
	const dxg_le64 *slot;

	if (!fence_offset_ok(g, fence_offset))
		return 0;
	slot = (const dxg_le64 *)(g->region + fence_offset);
	/* Pairs with the worker's release store of the value. */
	return dxg_from_le64(dxg_load_acquire(slot));
}

static bool fences_reached(const struct uguest *g, const uint64_t *offsets,
			   const uint64_t *values, uint32_t count, bool wait_any, uint32_t *which)
{
	for (uint32_t i = 0; i < count; i++) {
		bool reached = uguest_fence_value(g, offsets[i]) >= values[i];

		if (reached && wait_any) {
			if (which)
				*which = i;
			return true;
		}
		if (!reached && !wait_any)
			return false;
	}
	return !wait_any;
}

int uguest_wait_fences(struct uguest *g, const uint64_t *fence_offsets, const uint64_t *values,
		       uint32_t count, bool wait_any, uint32_t *which)
{
	uint64_t deadline = deadline_after(g->timeout_ms);
	uint32_t round = 0;

	if (count == 0)
		return -EINVAL;
	for (uint32_t i = 0; i < count; i++)
		if (!fence_offset_ok(g, fence_offsets[i]))
			return -EINVAL;
	for (;;) {
		int ret;

		/*
		 * dxgd stores a fence (release) before it rings our ring vector, and we drain the
		 * eventfd only after poll() returned, before this re-read: a store that happened
		 * before a drained kick is visible here, and one after it leaves the eventfd
		 * readable for the next poll(). Nothing is lost, so there is no periodic re-check.
		 */
		if (fences_reached(g, fence_offsets, values, count, wait_any, which))
			return 0;
		if (g->broken || region_check(g))
			return g->broken;
		if (g->wait_mode == UGUEST_WAIT_SPIN) {
			if (!spin_round(g, &round, deadline))
				return g->broken ? g->broken : -ETIMEDOUT;
			continue;
		}
		if (now_ns() >= deadline)
			return -ETIMEDOUT;
		ret = sleep_on_host(g, deadline);
		if (ret)
			return ret;
	}
}

int uguest_wait_fence(struct uguest *g, uint64_t fence_offset, uint64_t value)
{
	return uguest_wait_fences(g, &fence_offset, &value, 1, false, NULL);
}

int uguest_reserve_gpu_va(struct uguest *g, uint32_t process,
			  const struct uguest_reserve_gpu_va *args, uint64_t *va,
			  uint64_t *fence_value)
{
	struct dxgw_reserve_gpu_va_req req = {
		.adapter = dxg_to_le32(args->adapter),
		.paging_queue = dxg_to_le32(args->paging_queue),
		.base_address = dxg_to_le64(args->base_address),
		.minimum_address = dxg_to_le64(args->minimum_address),
		.maximum_address = dxg_to_le64(args->maximum_address),
		.size = dxg_to_le64(args->size),
		.reservation_type = dxg_to_le32(args->reservation_type),
		.driver_protection = dxg_to_le64(args->driver_protection),
	};
	struct dxgw_gpu_va_reply rep;
	uint32_t len;
	int ret = uguest_call(g, DXGW_OP_RESERVE_GPU_VA, process, &req, sizeof(req), &rep,
			      sizeof(rep), &len);

	if (ret)
		return ret;
	if (len < sizeof(rep))
		return -EPROTO;
	*va = dxg_from_le64(rep.virtual_address);
	if (fence_value)
		*fence_value = dxg_from_le64(rep.paging_fence_value);
	return 0;
}

int uguest_map_gpu_va(struct uguest *g, uint32_t process, const struct uguest_map_gpu_va *args,
		      uint64_t *va, uint64_t *fence_value)
{
	struct dxgw_map_gpu_va_req req = {
		.paging_queue = dxg_to_le32(args->paging_queue),
		.allocation = dxg_to_le32(args->allocation),
		.base_address = dxg_to_le64(args->base_address),
		.minimum_address = dxg_to_le64(args->minimum_address),
		.maximum_address = dxg_to_le64(args->maximum_address),
		.offset_in_pages = dxg_to_le64(args->offset_in_pages),
		.size_in_pages = dxg_to_le64(args->size_in_pages),
		.protection = dxg_to_le64(args->protection),
		.driver_protection = dxg_to_le64(args->driver_protection),
	};
	struct dxgw_gpu_va_reply rep;
	uint32_t len;
	int ret = uguest_call(g, DXGW_OP_MAP_GPU_VA, process, &req, sizeof(req), &rep, sizeof(rep),
			      &len);

	if (ret)
		return ret;
	if (len < sizeof(rep))
		return -EPROTO;
	*va = dxg_from_le64(rep.virtual_address);
	if (fence_value)
		*fence_value = dxg_from_le64(rep.paging_fence_value);
	return 0;
}

int uguest_free_gpu_va(struct uguest *g, uint32_t process, uint32_t adapter, uint64_t base,
		       uint64_t size)
{
	struct dxgw_free_gpu_va_req req = {
		.adapter = dxg_to_le32(adapter),
		.base_address = dxg_to_le64(base),
		.size = dxg_to_le64(size),
	};

	return uguest_call(g, DXGW_OP_FREE_GPU_VA, process, &req, sizeof(req), NULL, 0, NULL);
}

int uguest_update_gpu_va(struct uguest *g, uint32_t process, uint32_t device, uint32_t context,
			 uint32_t fence_object, uint64_t fence_value, uint32_t flags,
			 const struct uguest_gpu_va_op *ops, uint32_t count)
{
	const uint32_t fixed = sizeof(struct dxgw_update_gpu_va_req);
	uint64_t len = fixed + (uint64_t)count * sizeof(struct dxgw_gpu_va_op);
	struct dxgw_update_gpu_va_req req = {
		.device = dxg_to_le32(device),
		.context = dxg_to_le32(context),
		.fence_object = dxg_to_le32(fence_object),
		.num_operations = dxg_to_le32(count),
		.fence_value = dxg_to_le64(fence_value),
		.flags = dxg_to_le32(flags),
	};
	unsigned char *body;

	if (len > g->max_message)
		return -EMSGSIZE;
	body = calloc(1, (size_t)len);
	if (body) {
		memcpy(body, &req, sizeof(req));
		for (uint32_t i = 0; i < count; i++) {
			struct dxgw_gpu_va_op w = {
				.operation = dxg_to_le32(ops[i].operation),
				.base_address = dxg_to_le64(ops[i].base_address),
				.size = dxg_to_le64(ops[i].size),
				.dest_address = dxg_to_le64(ops[i].dest_address),
				.allocation = dxg_to_le32(ops[i].allocation),
				.allocation_offset = dxg_to_le64(ops[i].allocation_offset),
				.protection = dxg_to_le64(ops[i].protection),
				.driver_protection = dxg_to_le64(ops[i].driver_protection),
			};

			memcpy(body + fixed + (size_t)i * sizeof(w), &w, sizeof(w));
		}
	}
	return call_owned(g, DXGW_OP_UPDATE_GPU_VA, process, body, (uint32_t)len, NULL, 0);
}

int uguest_map_allocation(struct uguest *g, uint32_t process,
			  const struct uguest_paging_queue *queue, uint32_t allocation,
			  uint64_t size, uint64_t protection, uint64_t *va)
{
	const struct uguest_map_gpu_va args = {
		.paging_queue = queue->paging_queue,
		.allocation = allocation,
		.size_in_pages = (size + DXG_PAGE_SIZE - 1) / DXG_PAGE_SIZE,
		.protection = protection,
	};
	uint64_t fence;
	int ret = uguest_map_gpu_va(g, process, &args, va, &fence);

	if (ret)
		return ret;
	/* WDDM: the mapping is usable once the paging fence reaches the value the reply names. */
	return uguest_wait_fence(g, queue->fence_offset, fence);
}

/* ---- synchronization objects ---- */

static void put_values(unsigned char *p, const uint64_t *values, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++) {
		dxg_le64 le = dxg_to_le64(values[i]);

		memcpy(p + 8u * i, &le, sizeof(le));
	}
}

int uguest_create_sync_object(struct uguest *g, uint32_t process, uint32_t device, uint32_t type,
			      uint32_t flags, uint64_t value0, uint64_t value1,
			      struct uguest_sync_object *out)
{
	struct dxgw_create_sync_object_req req = {
		.device = dxg_to_le32(device),
		.type = dxg_to_le32(type),
		.flags = dxg_to_le32(flags),
		.value0 = dxg_to_le64(value0),
		.value1 = dxg_to_le64(value1),
	};
	struct dxgw_create_sync_object_reply rep;
	uint32_t len;
	int ret = uguest_call(g, DXGW_OP_CREATE_SYNC_OBJECT, process, &req, sizeof(req), &rep,
			      sizeof(rep), &len);

	if (ret)
		return ret;
	if (len < sizeof(rep))
		return -EPROTO;
	out->handle = dxg_from_le32(rep.sync_object);
	out->fence_offset = dxg_from_le64(rep.fence_offset);
	out->fence_gpu_va = dxg_from_le64(rep.fence_gpu_va);
	return 0;
}

int uguest_create_fence(struct uguest *g, uint32_t process, uint32_t device, uint64_t initial,
			struct uguest_sync_object *out)
{
	return uguest_create_sync_object(g, process, device, D3DDDI_MONITORED_FENCE, 0, initial, 0,
					 out);
}

int uguest_destroy_sync_object(struct uguest *g, uint32_t process, uint32_t sync_object)
{
	return destroy_op(g, DXGW_OP_DESTROY_SYNC_OBJECT, process, sync_object);
}

int uguest_signal_from_cpu(struct uguest *g, uint32_t process, uint32_t device, uint32_t flags,
			   const uint32_t *objects, const uint64_t *values, uint32_t count)
{
	const uint32_t fixed = sizeof(struct dxgw_signal_from_cpu_req);
	const uint32_t len = fixed + list_bytes(count) + 8u * count;
	struct dxgw_signal_from_cpu_req req = {
		.device = dxg_to_le32(device),
		.count = dxg_to_le32(count),
		.flags = dxg_to_le32(flags),
	};
	unsigned char *body;

	/* Counts are dxgd's to judge; only what cannot be sent is refused here. */
	if ((uint64_t)fixed + list_bytes(count) + 8ull * count > g->max_message)
		return -EMSGSIZE;
	body = calloc(1, len);
	if (body) {
		memcpy(body, &req, sizeof(req));
		put_list(body + fixed, objects, count);
		put_values(body + fixed + list_bytes(count), values, count);
	}
	return call_owned(g, DXGW_OP_SIGNAL_FROM_CPU, process, body, len, NULL, 0);
}

int uguest_get_fence_slots(struct uguest *g, uint32_t process, uint32_t device,
			   const uint32_t *objects, uint32_t count, uint64_t *offsets)
{
	const uint32_t fixed = sizeof(struct dxgw_get_fence_slots_req);
	const uint32_t len = fixed + list_bytes(count);
	struct dxgw_get_fence_slots_req req = {
		.device = dxg_to_le32(device),
		.count = dxg_to_le32(count),
	};
	unsigned char *body, *reply;
	int ret;

	if ((uint64_t)count * 8u > g->max_message)
		return -EMSGSIZE;
	body = calloc(1, len);
	reply = malloc(count ? 8u * count : 1u);
	if (body) {
		memcpy(body, &req, sizeof(req));
		put_list(body + fixed, objects, count);
	}
	if (!reply) {
		free(body);
		return -ENOMEM;
	}
	ret = call_owned(g, DXGW_OP_GET_FENCE_SLOTS, process, body, len, reply, 8u * count);
	for (uint32_t i = 0; ret == 0 && i < count; i++)
		offsets[i] = dxg_get_le64(reply + 8u * i);
	free(reply);
	return ret;
}

int uguest_signal_on_queue(struct uguest *g, uint32_t process, uint32_t flags,
			   const uint32_t *queues, uint32_t queue_count, const uint32_t *objects,
			   const uint64_t *values, uint32_t object_count)
{
	const uint32_t fixed = sizeof(struct dxgw_signal_on_queue_req);
	uint64_t len = fixed + (uint64_t)list_bytes(queue_count) + list_bytes(object_count) +
		       8ull * object_count;
	struct dxgw_signal_on_queue_req req = {
		.queue_count = dxg_to_le32(queue_count),
		.object_count = dxg_to_le32(object_count),
		.flags = dxg_to_le32(flags),
	};
	unsigned char *body;

	if (len > g->max_message)
		return -EMSGSIZE;
	body = calloc(1, (size_t)len);
	if (body) {
		unsigned char *p = body + fixed;

		memcpy(body, &req, sizeof(req));
		put_list(p, queues, queue_count);
		p += list_bytes(queue_count);
		put_list(p, objects, object_count);
		p += list_bytes(object_count);
		put_values(p, values, object_count);
	}
	return call_owned(g, DXGW_OP_SIGNAL_ON_QUEUE, process, body, (uint32_t)len, NULL, 0);
}

int uguest_wait_on_queue(struct uguest *g, uint32_t process, uint32_t queue,
			 const uint32_t *objects, const uint64_t *values, uint32_t count)
{
	const uint32_t fixed = sizeof(struct dxgw_wait_on_queue_req);
	uint64_t len = fixed + (uint64_t)list_bytes(count) + 8ull * count;
	struct dxgw_wait_on_queue_req req = {
		.queue = dxg_to_le32(queue),
		.object_count = dxg_to_le32(count),
	};
	unsigned char *body;

	if (len > g->max_message)
		return -EMSGSIZE;
	body = calloc(1, (size_t)len);
	if (body) {
		memcpy(body, &req, sizeof(req));
		put_list(body + fixed, objects, count);
		put_values(body + fixed + list_bytes(count), values, count);
	}
	return call_owned(g, DXGW_OP_WAIT_ON_QUEUE, process, body, (uint32_t)len, NULL, 0);
}

/* ---- sharing ---- */

int uguest_share_object(struct uguest *g, uint32_t process, uint32_t object, uint32_t flags,
			struct uguest_share *out)
{
	struct dxgw_share_object_req req = {
		.object = dxg_to_le32(object),
		.flags = dxg_to_le32(flags),
	};
	struct dxgw_share_object_reply rep;
	uint32_t len;
	int ret = uguest_call(g, DXGW_OP_SHARE_OBJECT, process, &req, sizeof(req), &rep,
			      sizeof(rep), &len);

	if (ret)
		return ret;
	if (len < sizeof(rep))
		return -EPROTO;
	out->share_id = dxg_from_le64(rep.share_id);
	out->kind = dxg_from_le32(rep.kind);
	out->sync_type = dxg_from_le32(rep.sync_type);
	out->fence_offset = dxg_from_le64(rep.fence_offset);
	return 0;
}

int uguest_close_share(struct uguest *g, uint64_t share_id)
{
	struct dxgw_close_share_req req = { .share_id = dxg_to_le64(share_id) };

	return uguest_call(g, DXGW_OP_CLOSE_SHARE, 0, &req, sizeof(req), NULL, 0, NULL);
}

int uguest_open_shared_sync_object(struct uguest *g, uint32_t process, uint32_t device,
				   uint32_t access, uint64_t share_id,
				   struct uguest_opened_sync_object *out)
{
	struct dxgw_open_shared_sync_object_req req = {
		.device = dxg_to_le32(device),
		.access = dxg_to_le32(access),
		.share_id = dxg_to_le64(share_id),
	};
	struct dxgw_open_shared_sync_object_reply rep;
	uint32_t len;
	int ret = uguest_call(g, DXGW_OP_OPEN_SHARED_SYNC_OBJECT, process, &req, sizeof(req), &rep,
			      sizeof(rep), &len);

	if (ret)
		return ret;
	if (len < sizeof(rep))
		return -EPROTO;
	out->handle = dxg_from_le32(rep.sync_object);
	out->type = dxg_from_le32(rep.type);
	out->fence_offset = dxg_from_le64(rep.fence_offset);
	out->fence_gpu_va = dxg_from_le64(rep.fence_gpu_va);
	out->fence_value = dxg_from_le64(rep.fence_value);
	return 0;
}

int uguest_query_shared_resource(struct uguest *g, uint32_t process, uint32_t device,
				 uint64_t share_id, uint32_t *allocation_count,
				 uint32_t *runtime_data_size)
{
	struct dxgw_query_shared_resource_req req = {
		.device = dxg_to_le32(device),
		.share_id = dxg_to_le64(share_id),
	};
	struct dxgw_query_shared_resource_reply rep;
	uint32_t len;
	int ret = uguest_call(g, DXGW_OP_QUERY_SHARED_RESOURCE, process, &req, sizeof(req), &rep,
			      sizeof(rep), &len);

	if (ret)
		return ret;
	if (len < sizeof(rep))
		return -EPROTO;
	if (allocation_count)
		*allocation_count = dxg_from_le32(rep.allocation_count);
	if (runtime_data_size)
		*runtime_data_size = dxg_from_le32(rep.runtime_data_size);
	return 0;
}

int uguest_open_shared_resource(struct uguest *g, uint32_t process, uint32_t device,
				uint32_t access, uint64_t share_id, uint32_t allocation_count,
				uint32_t *resource, struct uguest_shared_allocation *allocations,
				void *runtime_data, uint32_t runtime_data_max,
				uint32_t *runtime_data_size)
{
	struct dxgw_open_shared_resource_req req = {
		.device = dxg_to_le32(device),
		.access = dxg_to_le32(access),
		.share_id = dxg_to_le64(share_id),
		.allocation_count = dxg_to_le32(allocation_count),
	};
	const uint32_t head = sizeof(struct dxgw_open_shared_resource_reply);
	const uint64_t cap = head + 16ull * allocation_count + DXGW_MAX_ALLOC_PRIV;
	struct dxgw_open_shared_resource_reply rep;
	uint32_t len = 0, count, data_size;
	unsigned char *buf;
	int ret;

	if (allocation_count > DXGW_MAX_ALLOCATIONS)
		return -EINVAL;
	buf = calloc(1, (size_t)cap);
	if (!buf)
		return -ENOMEM;
	ret = uguest_call(g, DXGW_OP_OPEN_SHARED_RESOURCE, process, &req, sizeof(req), buf,
			  (uint32_t)cap, &len);
	if (ret)
		goto out;
	ret = -EPROTO;
	if (len < head)
		goto out;
	memcpy(&rep, buf, sizeof(rep));
	count = dxg_from_le32(rep.allocation_count);
	data_size = dxg_from_le32(rep.runtime_data_size);
	if (count != allocation_count || data_size > DXGW_MAX_ALLOC_PRIV ||
	    len < head + 16ull * count + data_size)
		goto out;
	for (uint32_t i = 0; i < count; i++) {
		struct dxgw_shared_allocation a;

		memcpy(&a, buf + head + 16u * i, sizeof(a));
		allocations[i].allocation = dxg_from_le32(a.allocation);
		allocations[i].kind = dxg_from_le32(a.kind);
		allocations[i].size = dxg_from_le64(a.size);
	}
	if (runtime_data)
		memcpy(runtime_data, buf + head + 16u * count,
		       data_size < runtime_data_max ? data_size : runtime_data_max);
	if (runtime_data_size)
		*runtime_data_size = data_size;
	if (resource)
		*resource = dxg_from_le32(rep.resource);
	ret = 0;
out:
	free(buf);
	return ret;
}

int uguest_wait_share_on_queue(struct uguest *g, uint32_t process, uint32_t queue,
			       uint64_t share_id, uint64_t value)
{
	struct dxgw_wait_share_on_queue_req req = {
		.queue = dxg_to_le32(queue),
		.share_id = dxg_to_le64(share_id),
		.value = dxg_to_le64(value),
	};

	return uguest_call(g, DXGW_OP_WAIT_SHARE_ON_QUEUE, process, &req, sizeof(req), NULL, 0,
			   NULL);
}

/* ---- statistics and queries ---- */

int uguest_query_statistics(struct uguest *g, uint32_t process, uint32_t adapter, uint32_t type,
			    const uint32_t query[2], uint32_t target, void *result)
{
	struct dxgw_query_statistics_req req = {
		.adapter = dxg_to_le32(adapter),
		.type = dxg_to_le32(type),
		.query = { dxg_to_le32(query ? query[0] : 0), dxg_to_le32(query ? query[1] : 0) },
		.target = dxg_to_le32(target),
	};
	uint32_t len;
	int ret = uguest_call(g, DXGW_OP_QUERY_STATISTICS, process, &req, sizeof(req), result,
			      DXGW_QUERY_STATISTICS_RESULT_SIZE, &len);

	if (ret)
		return ret;
	return len < DXGW_QUERY_STATISTICS_RESULT_SIZE ? -EPROTO : 0;
}

int uguest_is_feature_enabled(struct uguest *g, uint32_t process, uint32_t adapter,
			      uint32_t feature_id, uint32_t *version, uint32_t *value)
{
	struct dxgw_is_feature_enabled_req req = {
		.adapter = dxg_to_le32(adapter),
		.feature_id = dxg_to_le32(feature_id),
	};
	struct dxgw_is_feature_enabled_reply rep;
	uint32_t len;
	int ret = uguest_call(g, DXGW_OP_IS_FEATURE_ENABLED, process, &req, sizeof(req), &rep,
			      sizeof(rep), &len);

	if (ret)
		return ret;
	if (len < sizeof(rep))
		return -EPROTO;
	if (version)
		*version = dxg_from_le32(rep.version);
	if (value)
		*value = dxg_from_le32(rep.value);
	return 0;
}

int uguest_invalidate_cache(struct uguest *g, uint32_t process, uint32_t device,
			    uint32_t allocation, uint64_t offset, uint64_t length)
{
	struct dxgw_invalidate_cache_req req = {
		.device = dxg_to_le32(device),
		.allocation = dxg_to_le32(allocation),
		.offset = dxg_to_le64(offset),
		.length = dxg_to_le64(length),
	};

	return uguest_call(g, DXGW_OP_INVALIDATE_CACHE, process, &req, sizeof(req), NULL, 0,
			   NULL);
}

/* ---- execution ---- */

int uguest_create_hw_queue(struct uguest *g, uint32_t process, uint32_t context, uint32_t flags,
			   const void *priv, uint32_t priv_size, struct uguest_hw_queue *out)
{
	struct dxgw_create_hw_queue_req req = {
		.context = dxg_to_le32(context),
		.flags = dxg_to_le32(flags),
		.priv_size = dxg_to_le32(priv_size),
	};
	struct dxgw_create_hw_queue_reply rep;
	uint32_t len;
	uint64_t id;
	int ret;

	ret = send_parts(g, DXGW_OP_CREATE_HW_QUEUE, process, &req, sizeof(req), priv,
			 priv ? priv_size : 0, &id);
	if (ret)
		return ret;
	ret = uguest_wait(g, id, &rep, sizeof(rep), &len);
	if (ret)
		return ret;
	if (len < sizeof(rep))
		return -EPROTO;
	out->queue = dxg_from_le32(rep.queue);
	out->progress_fence = dxg_from_le32(rep.progress_fence);
	out->fence_offset = dxg_from_le64(rep.fence_offset);
	out->fence_gpu_va = dxg_from_le64(rep.fence_gpu_va);
	return 0;
}

int uguest_destroy_hw_queue(struct uguest *g, uint32_t process, uint32_t queue)
{
	return destroy_op(g, DXGW_OP_DESTROY_HW_QUEUE, process, queue);
}

int uguest_submit(struct uguest *g, uint32_t process, uint32_t queue, uint32_t flags,
		  uint64_t command_buffer, uint32_t length, uint64_t progress_fence_value)
{
	struct dxgw_submit_req req = {
		.queue = dxg_to_le32(queue),
		.flags = dxg_to_le32(flags),
		.command_buffer = dxg_to_le64(command_buffer),
		.length = dxg_to_le32(length),
		.progress_fence_value = dxg_to_le64(progress_fence_value),
	};

	return uguest_call(g, DXGW_OP_SUBMIT, process, &req, sizeof(req), NULL, 0, NULL);
}

int uguest_set_scheduling_priority(struct uguest *g, uint32_t process, uint32_t context,
				   int32_t priority, bool in_process)
{
	struct dxgw_scheduling_priority_req req = {
		.context = dxg_to_le32(context),
		.priority = dxg_to_le32((uint32_t)priority),
		.in_process = dxg_to_le32(in_process ? 1 : 0),
	};

	return uguest_call(g, DXGW_OP_SET_SCHEDULING_PRIORITY, process, &req, sizeof(req), NULL, 0,
			   NULL);
}

int uguest_get_scheduling_priority(struct uguest *g, uint32_t process, uint32_t context,
				   bool in_process, int32_t *priority)
{
	struct dxgw_scheduling_priority_req req = {
		.context = dxg_to_le32(context),
		.in_process = dxg_to_le32(in_process ? 1 : 0),
	};
	struct dxgw_priority_reply rep;
	uint32_t len;
	int ret = uguest_call(g, DXGW_OP_GET_SCHEDULING_PRIORITY, process, &req, sizeof(req), &rep,
			      sizeof(rep), &len);

	if (ret)
		return ret;
	if (len < sizeof(rep))
		return -EPROTO;
	*priority = (int32_t)dxg_from_le32(rep.priority);
	return 0;
}

int uguest_get_device_state(struct uguest *g, uint32_t process, uint32_t device,
			    uint32_t state_type, struct uguest_device_state *out)
{
	struct dxgw_get_device_state_req req = {
		.device = dxg_to_le32(device),
		.state_type = dxg_to_le32(state_type),
	};
	struct dxgw_device_state_reply rep;
	uint32_t len;
	int ret = uguest_call(g, DXGW_OP_GET_DEVICE_STATE, process, &req, sizeof(req), &rep,
			      sizeof(rep), &len);

	if (ret)
		return ret;
	if (len < sizeof(rep))
		return -EPROTO;
	out->execution_state = dxg_from_le32(rep.execution_state);
	out->broken_context = dxg_from_le32(rep.broken_context);
	out->fault_sequence = dxg_from_le64(rep.fault_sequence);
	out->fault_va = dxg_from_le64(rep.fault_va);
	out->fault_flags = dxg_from_le32(rep.fault_flags);
	out->fault_packet = dxg_from_le32(rep.fault_packet);
	return 0;
}

int uguest_mark_device_error(struct uguest *g, uint32_t process, uint32_t device,
			     uint32_t reason)
{
	struct dxgw_mark_device_error_req req = {
		.device = dxg_to_le32(device),
		.reason = dxg_to_le32(reason),
	};

	return uguest_call(g, DXGW_OP_MARK_DEVICE_ERROR, process, &req, sizeof(req), NULL, 0,
			   NULL);
}

int uguest_query_clock_calibration(struct uguest *g, uint32_t process, uint32_t adapter,
				   uint32_t node_ordinal, struct uguest_clock_calibration *out)
{
	struct dxgw_clock_calibration_req req = {
		.adapter = dxg_to_le32(adapter),
		.node_ordinal = dxg_to_le32(node_ordinal),
	};
	struct dxgw_clock_calibration_reply rep;
	uint32_t len;
	int ret = uguest_call(g, DXGW_OP_QUERY_CLOCK_CALIBRATION, process, &req, sizeof(req), &rep,
			      sizeof(rep), &len);

	if (ret)
		return ret;
	if (len < sizeof(rep))
		return -EPROTO;
	out->gpu_frequency = dxg_from_le64(rep.gpu_frequency);
	out->gpu_clock_counter = dxg_from_le64(rep.gpu_clock_counter);
	out->host_clock_ns = dxg_from_le64(rep.host_clock_ns);
	return 0;
}

int uguest_escape(struct uguest *g, uint32_t process, const struct uguest_escape_args *args,
		  void *data, uint32_t size)
{
	struct dxgw_escape_req req = {
		.adapter = dxg_to_le32(args->adapter),
		.device = dxg_to_le32(args->device),
		.context = dxg_to_le32(args->context),
		.type = dxg_to_le32(args->type),
		.flags = dxg_to_le32(args->flags),
		.priv_size = dxg_to_le32(size),
	};
	struct dxgw_escape_reply rep;
	unsigned char *buf;
	uint32_t len;
	uint64_t id;
	int ret;

	ret = send_parts(g, DXGW_OP_ESCAPE, process, &req, sizeof(req), data, size, &id);
	if (ret)
		return ret;
	buf = malloc(sizeof(rep) + (size_t)size);
	if (!buf)
		return -ENOMEM;
	ret = uguest_wait(g, id, buf, sizeof(rep) + size, &len);
	if (!ret) {
		/* Escapes answer in place: exactly the size that went out. */
		memcpy(&rep, buf, sizeof(rep));
		if (len != sizeof(rep) + size || dxg_from_le32(rep.priv_size) != size)
			ret = -EPROTO;
		else
			memcpy(data, buf + sizeof(rep), size);
	}
	free(buf);
	return ret;
}

/* ---- command buffer builder ---- */

void uguest_cmd_init(struct uguest_cmdbuf *cb, void *mem, uint32_t capacity)
{
	*cb = (struct uguest_cmdbuf){ .data = mem, .capacity = capacity };
	if (!mem || capacity < OPENDXG_CMD_HEADER_SIZE) {
		cb->error = -ENOSPC;
		return;
	}
	memset(mem, 0, OPENDXG_CMD_HEADER_SIZE);
	cb->size = OPENDXG_CMD_HEADER_SIZE;
}

/* Room for `size` more bytes (zeroed), or NULL with the sticky error set. */
static unsigned char *cmd_reserve(struct uguest_cmdbuf *cb, uint32_t size)
{
	unsigned char *p;

	if (cb->error)
		return NULL;
	if (size > cb->capacity - cb->size) {
		cb->error = -ENOSPC;
		return NULL;
	}
	p = cb->data + cb->size;
	memset(p, 0, size);
	cb->size += size;
	cb->packet_count++;
	return p;
}

static void cmd_packet_header(unsigned char *p, uint32_t type, uint32_t size)
{
	struct opendxg_cmd_packet h = {
		.type = dxg_to_le16((uint16_t)type),
		.size = dxg_to_le32(size),
	};

	memcpy(p, &h, sizeof(h));
}

void uguest_cmd_copy(struct uguest_cmdbuf *cb, uint64_t src_va, uint64_t dst_va, uint64_t size)
{
	struct opendxg_cmd_copy c = {
		.src_va = dxg_to_le64(src_va),
		.dst_va = dxg_to_le64(dst_va),
		.size = dxg_to_le64(size),
	};
	unsigned char *p = cmd_reserve(cb, sizeof(c));

	if (!p)
		return;
	memcpy(p, &c, sizeof(c));
	cmd_packet_header(p, OPENDXG_CMD_COPY, sizeof(c));
}

void uguest_cmd_fill(struct uguest_cmdbuf *cb, uint64_t dst_va, uint64_t size, uint32_t value)
{
	struct opendxg_cmd_fill f = {
		.dst_va = dxg_to_le64(dst_va),
		.size = dxg_to_le64(size),
		.value = dxg_to_le32(value),
	};
	unsigned char *p = cmd_reserve(cb, sizeof(f));

	if (!p)
		return;
	memcpy(p, &f, sizeof(f));
	cmd_packet_header(p, OPENDXG_CMD_FILL, sizeof(f));
}

void uguest_cmd_dispatch(struct uguest_cmdbuf *cb, uint32_t program, const char *entry,
			 uint32_t groups_x, uint32_t groups_y, uint32_t groups_z,
			 const struct uguest_cmd_binding *bindings, uint32_t binding_count,
			 const void *push, uint32_t push_size)
{
	struct opendxg_cmd_dispatch d = {
		.program = dxg_to_le32(program),
		.group_count = { dxg_to_le32(groups_x), dxg_to_le32(groups_y),
				 dxg_to_le32(groups_z) },
		.binding_count = dxg_to_le32(binding_count),
		.push_constant_size = dxg_to_le32(push_size),
	};
	const char *name = entry ? entry : "main";
	uint64_t size = sizeof(d) + (uint64_t)binding_count * sizeof(struct opendxg_cmd_binding) +
			pad8(push_size);
	unsigned char *p;

	if (cb->error)
		return;
	/* Layout needs: the name fits with its NUL, and the packet size fits its u32 field. */
	if (strlen(name) >= sizeof(d.entry_point) || size > UINT32_MAX ||
	    (push_size && !push)) {
		cb->error = -EINVAL;
		return;
	}
	p = cmd_reserve(cb, (uint32_t)size);
	if (!p)
		return;
	memcpy(d.entry_point, name, strlen(name));
	memcpy(p, &d, sizeof(d));
	cmd_packet_header(p, OPENDXG_CMD_DISPATCH, (uint32_t)size);
	p += sizeof(d);
	for (uint32_t i = 0; i < binding_count; i++) {
		struct opendxg_cmd_binding b = {
			.va = dxg_to_le64(bindings[i].va),
			.size = dxg_to_le64(bindings[i].size),
			.binding = dxg_to_le32(bindings[i].binding),
			.flags = dxg_to_le32(bindings[i].flags),
		};

		memcpy(p, &b, sizeof(b));
		p += sizeof(b);
	}
	if (push_size)
		memcpy(p, push, push_size);
}

void uguest_cmd_barrier(struct uguest_cmdbuf *cb)
{
	unsigned char *p = cmd_reserve(cb, sizeof(struct opendxg_cmd_packet));

	if (p)
		cmd_packet_header(p, OPENDXG_CMD_BARRIER, sizeof(struct opendxg_cmd_packet));
}

void uguest_cmd_timestamp(struct uguest_cmdbuf *cb, uint64_t dst_va)
{
	struct opendxg_cmd_timestamp t = { .dst_va = dxg_to_le64(dst_va) };
	unsigned char *p = cmd_reserve(cb, sizeof(t));

	if (!p)
		return;
	memcpy(p, &t, sizeof(t));
	cmd_packet_header(p, OPENDXG_CMD_TIMESTAMP, sizeof(t));
}

void uguest_cmd_raw(struct uguest_cmdbuf *cb, const void *bytes, uint32_t size)
{
	unsigned char *p = cmd_reserve(cb, size);

	if (p && size)
		memcpy(p, bytes, size);
}

int uguest_cmd_finish(struct uguest_cmdbuf *cb)
{
	struct opendxg_cmd_header h = {
		.magic = dxg_to_le32(OPENDXG_CMD_MAGIC),
		.version_major = dxg_to_le16(OPENDXG_CMD_VERSION_MAJOR),
		.version_minor = dxg_to_le16(OPENDXG_CMD_VERSION_MINOR),
		.size = dxg_to_le32(cb->size),
		.packet_count = dxg_to_le32(cb->packet_count),
	};

	if (cb->error)
		return cb->error;
	memcpy(cb->data, &h, sizeof(h));
	return (int)cb->size;
}
