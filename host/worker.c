// SPDX-License-Identifier: MIT
/*
 * The per-VM worker: maps and formats the VM's shared region, owns the VM's objects and Vulkan
 * instance, and serves the request ring from one epoll loop that also listens to the broker.
 *
 * Everything in the region is written by a hostile guest as far as this process is concerned:
 * records are copied out of the ring once (dxg_ring_consume) and validated by wire_decode.c
 * before anything acts on them; a ring whose indices or framing are impossible marks the VM
 * broken for good (no more ring access) while the worker keeps answering the broker.
 *
 * GPU work completes asynchronously: vk_exec's completion thread writes the VM's notify eventfd
 * (exec.h), which this loop watches; on a wake-up it reaps completions, writes fences and runs
 * the queue items they unblocked. Whenever a fence slot changed the guest gets a DXG_VECTOR_RING
 * interrupt, so its fence waiters look again. Nothing on the GPU side ever blocks the ring
 * service, except the waits for jobs in flight that destroying their memory or queue needs.
 */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <opendxg/region.h>
#include <opendxg/ring.h>
#include <opendxg/wire.h>

#include "broker_proto.h"
#include "exec.h"
#include "log.h"
#include "memory.h"
#include "objects.h"
#include "vk_backend.h"
#include "worker_dispatch.h"
#include "worker_region.h"
#include "worker_status.h"

/* Records served per pass before the loop looks at the broker and signals again. */
#define WORKER_BATCH 64
/*
 * Sleeping on the rings still wakes up this often to re-check them: a guest that forgets a
 * doorbell is slowed down, not stalled forever.
 */
#define WORKER_RECHECK_MS 1000
#define WORKER_MAX_POLL_US 1000000u
#define BROKER_MAX_FDS 8
#define BROKER_MAX_MESSAGE 256

struct worker_options {
	const char *vm_name;
	uint32_t generation;
	int region_fd;
	int broker_fd;
	int doorbell_fds[DXG_VECTORS];
	uint64_t luid_seed;
	uint32_t poll_us;
	enum dxg_log_level log_level;
	struct vm_memory_quota quota;
	struct dxg_vm_limits limits;	/* object limits; the execution ones are configurable */
};

enum epoll_tag {
	TAG_DOORBELL = 0,	/* + vector */
	TAG_BROKER = DXG_VECTORS,
	TAG_SIGNAL,
	TAG_EXEC,		/* job completions (exec_notify_fd()) */
};

enum serve_result {
	SERVE_MORE,		/* the batch ran out: come back soon */
	SERVE_IDLE,		/* the request ring is empty */
	SERVE_NO_SPACE,		/* the reply ring cannot take the largest reply */
	SERVE_BROKEN,
};

struct worker {
	struct worker_options opt;
	unsigned char *region;
	uint64_t region_size;
	struct region_layout layout;
	bool formatted;
	struct dxg_ring requests;	/* we consume */
	struct dxg_ring replies;	/* we produce */
	unsigned char *record;		/* private copy of one request record */
	unsigned char *reply;
	uint32_t reply_cap;
	int epoll_fd;
	int signal_fd;
	int peer_fds[DXG_VECTORS];	/* the guest peer's eventfds, -1 until attached */
	uint32_t peer_id;
	struct vk_backend vk;
	struct dxg_vm vm;
	bool vm_ready;
	bool rings_synced;	/* the guest acknowledged this generation (region.h) */
	bool broken;
	bool stop;
	struct dxg_ratelimit reject_log;
	struct dxg_ratelimit kick_log;
};

/* ---- command line ---- */

static bool parse_u64(const char *s, int base, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull skips blanks and accepts a sign; neither belongs in a number we are given. */
	if (!s || !*s || *s == ' ' || *s == '\t' || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || end == s || *end || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_fd(const char *s, int *fd)
{
	uint64_t v;

	if (!parse_u64(s, 10, INT_MAX, &v) || fcntl((int)v, F_GETFD) < 0)
		return false;
	*fd = (int)v;
	return true;
}

static bool parse_doorbell_fds(const char *s, int fds[DXG_VECTORS])
{
	char buf[64];
	char *save = NULL;
	char *tok;
	unsigned n = 0;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return false;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == DXG_VECTORS || !parse_fd(tok, &fds[n]))
			return false;
		n++;
	}
	return n == DXG_VECTORS;
}

static bool vm_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 31)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

static bool bad_option(const char *what, const char *value)
{
	fprintf(stderr, "dxgd --worker: invalid %s%s%s\n", what, value ? ": " : "",
		value ? value : "");
	return false;
}

static bool parse_options(int argc, char **argv, struct worker_options *opt)
{
	enum {
		OPT_WORKER = 1000, OPT_VM_NAME, OPT_GENERATION, OPT_REGION_FD, OPT_BROKER_FD,
		OPT_DOORBELL_FDS, OPT_LUID_SEED, OPT_LOG_LEVEL, OPT_POLL_US, OPT_QUOTA_BYTES,
		OPT_MAX_ALLOCATIONS, OPT_MAX_GPUVA_ENTRIES, OPT_MAX_SYNC_OBJECTS, OPT_MAX_HW_QUEUES,
		OPT_MAX_QUEUE_ITEMS, OPT_MAX_VM_QUEUE_ITEMS, OPT_MAX_QUEUED_BYTES,
	};
	static const struct option longopts[] = {
		{ "worker", no_argument, NULL, OPT_WORKER },
		{ "vm-name", required_argument, NULL, OPT_VM_NAME },
		{ "generation", required_argument, NULL, OPT_GENERATION },
		{ "region-fd", required_argument, NULL, OPT_REGION_FD },
		{ "broker-fd", required_argument, NULL, OPT_BROKER_FD },
		{ "doorbell-fds", required_argument, NULL, OPT_DOORBELL_FDS },
		{ "luid-seed", required_argument, NULL, OPT_LUID_SEED },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "poll-us", required_argument, NULL, OPT_POLL_US },
		{ "quota-bytes", required_argument, NULL, OPT_QUOTA_BYTES },
		{ "max-allocations", required_argument, NULL, OPT_MAX_ALLOCATIONS },
		{ "max-gpuva-entries", required_argument, NULL, OPT_MAX_GPUVA_ENTRIES },
		{ "max-sync-objects", required_argument, NULL, OPT_MAX_SYNC_OBJECTS },
		{ "max-hw-queues", required_argument, NULL, OPT_MAX_HW_QUEUES },
		{ "max-queue-items", required_argument, NULL, OPT_MAX_QUEUE_ITEMS },
		{ "max-vm-queue-items", required_argument, NULL, OPT_MAX_VM_QUEUE_ITEMS },
		{ "max-queued-bytes", required_argument, NULL, OPT_MAX_QUEUED_BYTES },
		{ NULL, 0, NULL, 0 },
	};
	const struct vm_memory_quota default_quota = VM_MEMORY_DEFAULT_QUOTA;
	const struct dxg_vm_limits default_limits = DXG_VM_DEFAULT_LIMITS;
	bool have_generation = false;
	uint64_t v;
	int c;

	memset(opt, 0, sizeof(*opt));
	opt->region_fd = opt->broker_fd = -1;
	opt->doorbell_fds[0] = opt->doorbell_fds[1] = -1;
	opt->log_level = DXG_LOG_INFO;
	opt->quota = default_quota;
	opt->limits = default_limits;
	/* The broker may have parsed its own options already: 0 re-initializes GNU getopt. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_WORKER:
			break;
		case OPT_VM_NAME:
			if (!vm_name_valid(optarg))
				return bad_option("--vm-name", optarg);
			opt->vm_name = optarg;
			break;
		case OPT_GENERATION:
			if (!parse_u64(optarg, 10, UINT32_MAX, &v))
				return bad_option("--generation", optarg);
			opt->generation = (uint32_t)v;
			have_generation = true;
			break;
		case OPT_REGION_FD:
			if (!parse_fd(optarg, &opt->region_fd))
				return bad_option("--region-fd", optarg);
			break;
		case OPT_BROKER_FD:
			if (!parse_fd(optarg, &opt->broker_fd))
				return bad_option("--broker-fd", optarg);
			break;
		case OPT_DOORBELL_FDS:
			if (!parse_doorbell_fds(optarg, opt->doorbell_fds))
				return bad_option("--doorbell-fds", optarg);
			break;
		case OPT_LUID_SEED:
			if (!parse_u64(optarg, 16, UINT64_MAX, &opt->luid_seed))
				return bad_option("--luid-seed", optarg);
			break;
		case OPT_LOG_LEVEL:
			if (!dxg_log_parse_level(optarg, &opt->log_level))
				return bad_option("--log-level", optarg);
			break;
		case OPT_POLL_US:
			if (!parse_u64(optarg, 10, WORKER_MAX_POLL_US, &v))
				return bad_option("--poll-us", optarg);
			opt->poll_us = (uint32_t)v;
			break;
		case OPT_QUOTA_BYTES:
			/* Plain bytes; UINT64_MAX (MEM_QUOTA_UNLIMITED) means no quota. */
			if (!parse_u64(optarg, 10, UINT64_MAX, &opt->quota.quota_bytes))
				return bad_option("--quota-bytes", optarg);
			break;
		case OPT_MAX_ALLOCATIONS:
			if (!parse_u64(optarg, 10, UINT32_MAX, &v))
				return bad_option("--max-allocations", optarg);
			opt->quota.max_allocations = (uint32_t)v;
			break;
		case OPT_MAX_GPUVA_ENTRIES:
			if (!parse_u64(optarg, 10, UINT32_MAX, &v) || v == 0)
				return bad_option("--max-gpuva-entries", optarg);
			opt->quota.max_gpuva_entries = (uint32_t)v;
			break;
		/* Execution limits (docs/dxgd.md "Execution"): 0 would forbid the feature. */
		case OPT_MAX_SYNC_OBJECTS:
			if (!parse_u64(optarg, 10, UINT32_MAX, &v))
				return bad_option("--max-sync-objects", optarg);
			opt->limits.max_sync_objects = (uint32_t)v;
			break;
		case OPT_MAX_HW_QUEUES:
			if (!parse_u64(optarg, 10, UINT32_MAX, &v))
				return bad_option("--max-hw-queues", optarg);
			opt->limits.max_hw_queues = (uint32_t)v;
			break;
		case OPT_MAX_QUEUE_ITEMS:
			if (!parse_u64(optarg, 10, UINT32_MAX, &v))
				return bad_option("--max-queue-items", optarg);
			opt->limits.max_queue_items = (uint32_t)v;
			break;
		case OPT_MAX_VM_QUEUE_ITEMS:
			if (!parse_u64(optarg, 10, UINT32_MAX, &v))
				return bad_option("--max-vm-queue-items", optarg);
			opt->limits.max_vm_queue_items = (uint32_t)v;
			break;
		case OPT_MAX_QUEUED_BYTES:
			if (!parse_u64(optarg, 10, UINT64_MAX, &opt->limits.max_queued_bytes))
				return bad_option("--max-queued-bytes", optarg);
			break;
		default:
			return bad_option("option", NULL);
		}
	}
	if (optind != argc)
		return bad_option("argument", argv[optind]);
	if (!opt->vm_name || !have_generation || opt->region_fd < 0 || opt->broker_fd < 0 ||
	    opt->doorbell_fds[0] < 0)
		return bad_option("command line", "--vm-name, --generation, --region-fd, "
				   "--broker-fd and --doorbell-fds are required");
	return true;
}

/* ---- guest notification ---- */

static void kick_guest(struct worker *w, unsigned vector)
{
	const uint64_t one = 1;
	int fd = w->peer_fds[vector];

	/* Before the broker attached a peer there is nobody to interrupt. */
	if (fd < 0)
		return;
	/* EAGAIN means the counter is saturated: the guest has a pending interrupt anyway. */
	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		dxg_log_limited(&w->kick_log, DXG_LOG_WARN, "kicking the guest (vector %u): %s",
				vector, strerror(errno));
}

/* A fence slot changed (a signal, a completed job, a paging operation): wake guest waiters. */
static void kick_fence_waiters(struct worker *w)
{
	if (vm_take_fence_kick(&w->vm))
		kick_guest(w, DXG_VECTOR_RING);
}

static void mark_broken(struct worker *w, const char *why)
{
	if (w->broken)
		return;
	w->broken = true;
	log_error("VM marked broken: %s; no longer serving its rings", why);
}

/* ---- ring service ---- */

/*
 * The rings are served only after the guest acknowledged this generation in the header. At that
 * moment we start both rings at the indices the guest declared with its acknowledgment: a
 * request tail or reply head that the guest stored for the previous generation, after we
 * formatted the rings, is then just the new start instead of garbage, and whatever the guest
 * published after acknowledging is still ahead of us. The acquire pairs with the guest's
 * release of guest_generation, which follows its stores of the declared starts.
 */
static bool rings_sync(struct worker *w)
{
	const struct dxg_region_header *h = (const struct dxg_region_header *)w->region;
	uint32_t acked = dxg_from_le32(dxg_load_acquire(&h->guest_generation));
	uint32_t tail, head;

	if (acked != w->opt.generation)
		return false;
	/* Read once: the guest may change them again, but we start exactly where we read. */
	tail = dxg_from_le32(dxg_read_once(h->guest_request_start));
	head = dxg_from_le32(dxg_read_once(h->guest_reply_start));
	if ((tail | head) & (DXG_RING_ALIGN - 1)) {
		mark_broken(w, "misaligned ring index at the generation handshake");
		return false;
	}
	w->requests.local = tail;
	dxg_store_release(&w->requests.ctrl->head, dxg_to_le32(tail));
	w->replies.local = head;
	dxg_store_release(&w->replies.ctrl->tail, dxg_to_le32(head));
	w->rings_synced = true;
	log_debug("guest acknowledged generation %u", acked);
	return true;
}

static uint32_t largest_reply_record(const struct worker *w)
{
	return dxg_ring_record_size(w->layout.max_message);
}

/*
 * A PENDING reply (a restore of evicted contents) promised that the work follows the reply: let
 * the guest see the reply first (kick it if it sleeps on the reply ring), then do the copy and
 * write the paging fence, and kick once more so a guest waiting for the fence looks again.
 */
static void finish_after_reply(struct worker *w, bool *produced)
{
	if (dxg_ring_producer_should_kick(&w->replies))
		kick_guest(w, DXG_VECTOR_RING);
	*produced = false;
	memory_after_reply(&w->vm);
	/* The fence it wrote may release queued work (a GPU VA update waiting on it). */
	exec_run(&w->vm);
	w->vm.fence_kick = false;
	kick_guest(w, DXG_VECTOR_RING);
}

/* `*consumed_out` tells whether the pass took at least one request. */
static enum serve_result serve_batch(struct worker *w, bool *consumed_out)
{
	const uint32_t need = largest_reply_record(w);
	enum serve_result result = SERVE_MORE;
	bool consumed = false, produced = false;

	for (int i = 0; i < WORKER_BATCH; i++) {
		int64_t space = dxg_ring_space(&w->replies);
		uint32_t reply_len;
		int n, ret;

		if (space < 0) {
			mark_broken(w, "impossible head in the reply ring");
			result = SERVE_BROKEN;
			break;
		}
		/* Never consume a request whose reply might not fit: replies are never dropped. */
		if ((uint64_t)space < need) {
			result = SERVE_NO_SPACE;
			break;
		}
		n = dxg_ring_consume(&w->requests, w->record, w->layout.max_message);
		if (n < 0) {
			mark_broken(w, "impossible tail or record in the request ring");
			result = SERVE_BROKEN;
			break;
		}
		if (n == 0) {
			result = SERVE_IDLE;
			break;
		}
		consumed = true;
		reply_len = worker_dispatch(&w->vm, w->record, (uint32_t)n, w->reply, w->reply_cap,
					    &w->reject_log);
		if (!reply_len)
			continue;
		/* Space was checked above and only a guest moving its head backwards can shrink it. */
		ret = dxg_ring_produce(&w->replies, w->reply, reply_len);
		if (ret == -EMSGSIZE) {
			/* Cannot happen (replies are never longer than max_message): a host bug. */
			log_error("reply of %u bytes exceeds the ring's limit; dropped", reply_len);
			continue;
		}
		if (ret) {
			mark_broken(w, ret == -EAGAIN ? "reply ring head moved backwards"
						      : "impossible head in the reply ring");
			result = SERVE_BROKEN;
			break;
		}
		produced = true;
		if (memory_has_deferred(&w->vm))
			finish_after_reply(w, &produced);
	}
	/* One kick covers both reasons: it only tells the guest to look at the rings. */
	if ((produced && dxg_ring_producer_should_kick(&w->replies)) ||
	    (consumed && dxg_ring_consumer_should_kick(&w->requests)))
		kick_guest(w, DXG_VECTOR_RING);
	*consumed_out = consumed;
	return result;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Is there work for the state serve_batch() stopped in? */
static bool ring_ready(struct worker *w, enum serve_result state)
{
	int64_t v;

	if (state == SERVE_IDLE)
		return dxg_ring_available(&w->requests) != 0;
	v = dxg_ring_space(&w->replies);
	return v < 0 || (uint64_t)v >= largest_reply_record(w);
}

/* --poll-us: busy-poll after serving, before sleeping, trading a CPU for wake-up latency. */
static bool spin_for_work(struct worker *w, enum serve_result state)
{
	uint64_t deadline;

	if (!w->opt.poll_us)
		return false;
	deadline = monotonic_ns() + (uint64_t)w->opt.poll_us * 1000u;
	do {
		for (int i = 0; i < 64; i++) {
			if (ring_ready(w, state))
				return true;
			cpu_relax();
		}
	} while (monotonic_ns() < deadline);
	return false;
}

/* ---- broker ---- */

static bool send_packet(struct worker *w, struct iovec *iov, int iovcnt, bool wait)
{
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };

	for (int tries = 0;; tries++) {
		struct pollfd pfd = { .fd = w->opt.broker_fd, .events = POLLOUT };

		if (sendmsg(w->opt.broker_fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
			return true;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || !wait || tries == 10) {
			log_warn("sending to the broker: %s", strerror(errno));
			return false;
		}
		poll(&pfd, 1, 100);
	}
}

static bool send_ready(struct worker *w)
{
	struct bw_ready msg = {
		.hdr = { .type = BW_READY, .size = sizeof(msg) },
		.adapter_count = w->vm.adapter_count,
		.generation = w->opt.generation,
	};
	struct iovec iov = { &msg, sizeof(msg) };

	return send_packet(w, &iov, 1, true);
}

static void send_status(struct worker *w)
{
	static const char fallback[] = "{\"error\":\"out of memory\"}";
	size_t len = 0;
	char *json = worker_status_json(&w->vm, w->broken, BW_MAX_PACKET - sizeof(struct bw_hdr),
					&len);
	const char *body = json ? json : fallback;
	struct bw_hdr hdr;
	struct iovec iov[2];

	if (!json)
		len = sizeof(fallback) - 1;
	hdr.type = BW_STATUS_REPLY;
	hdr.size = (uint32_t)(sizeof(hdr) + len);
	iov[0] = (struct iovec){ &hdr, sizeof(hdr) };
	iov[1] = (struct iovec){ (void *)body, len };
	/* Status is best effort: a busy broker must not stall the VM's rings. */
	send_packet(w, iov, 2, false);
	free(json);
}

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

static void attach_peer(struct worker *w, const struct bw_peer_attach *msg, int *fds, int nfds)
{
	int n = nfds < (int)DXG_VECTORS ? nfds : (int)DXG_VECTORS;

	if (msg->vectors < (uint32_t)n)
		n = (int)msg->vectors;
	if (n < 1) {
		log_warn("broker: peer %u attached without eventfds; ignored", msg->peer_id);
		return;
	}
	close_fds(w->peer_fds, DXG_VECTORS);
	for (int i = 0; i < n; i++) {
		w->peer_fds[i] = fds[i];
		fds[i] = -1;
	}
	w->peer_id = msg->peer_id;
	log_info("guest peer %u attached (%d vectors)", msg->peer_id, n);
	/*
	 * The guest may have looked at the header before this generation was READY, and any
	 * interrupt sent before it enabled MSI-X is lost: ask it to re-read both.
	 */
	if (n > (int)DXG_VECTOR_CONTROL)
		kick_guest(w, DXG_VECTOR_CONTROL);
	kick_guest(w, DXG_VECTOR_RING);
}

static void handle_broker(struct worker *w)
{
	union {
		struct bw_hdr hdr;
		struct bw_peer_attach attach;
		unsigned char bytes[BROKER_MAX_MESSAGE];
	} msg;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * BROKER_MAX_FDS)];
	} control;
	struct iovec iov = { msg.bytes, sizeof(msg.bytes) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	int fds[BROKER_MAX_FDS];
	int nfds = 0;
	ssize_t n;

	n = recvmsg(w->opt.broker_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		log_error("broker socket: %s; exiting", strerror(errno));
		w->stop = true;
		return;
	}
	if (n == 0) {
		log_info("broker closed the connection; exiting");
		w->stop = true;
		return;
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; (i + 1) * sizeof(int) <= c->cmsg_len - CMSG_LEN(0); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (nfds < BROKER_MAX_FDS)
				fds[nfds++] = fd;
			else
				close(fd);
		}
	}

	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		log_warn("broker: truncated message ignored");
	} else if ((size_t)n < sizeof(struct bw_hdr) || msg.hdr.size != (uint32_t)n) {
		log_warn("broker: malformed message ignored (%zd bytes)", n);
	} else if (msg.hdr.type == BW_PEER_ATTACH && n == sizeof(struct bw_peer_attach)) {
		attach_peer(w, &msg.attach, fds, nfds);
	} else if (msg.hdr.type == BW_STATUS_REQ && n == sizeof(struct bw_hdr)) {
		send_status(w);
	} else {
		log_warn("broker: unexpected message type %u (%zd bytes) ignored", msg.hdr.type, n);
	}
	close_fds(fds, nfds);
}

/* ---- event loop ---- */

static void drain_eventfd(int fd)
{
	uint64_t v;

	/* One read resets an eventfd's counter; EAGAIN just means another wake-up took it. */
	while (read(fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

static void handle_signal(struct worker *w)
{
	struct signalfd_siginfo si;

	if (read(w->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		log_info("signal %u: exiting", si.ssi_signo);
		w->stop = true;
	}
}

static int run(struct worker *w)
{
	struct epoll_event events[8];

	while (!w->stop) {
		enum { ARMED_NONE, ARMED_SLEEP, ARMED_WAIT } armed = ARMED_NONE;
		int timeout = -1;
		int n;

		if (!w->broken && !w->rings_synced && !rings_sync(w)) {
			/* The guest rings the doorbell right after its acknowledgement. */
			timeout = w->broken ? -1 : WORKER_RECHECK_MS;
		} else if (!w->broken) {
			bool consumed;
			enum serve_result r = serve_batch(w, &consumed);

			timeout = WORKER_RECHECK_MS;
			if (r == SERVE_MORE) {
				timeout = 0;
			} else if (r == SERVE_IDLE || r == SERVE_NO_SPACE) {
				/*
				 * Spin only right after serving, when the next request is likely
				 * close: a pass that found nothing (the periodic re-check, a stray
				 * doorbell, a guest that stopped reading) must not burn the CPU.
				 */
				if (consumed && spin_for_work(w, r)) {
					timeout = 0;
				} else if (r == SERVE_IDLE) {
					/* Announce the sleep, then re-check: no lost wake-up (ring.h). */
					if (dxg_ring_consumer_prepare_sleep(&w->requests)) {
						dxg_ring_consumer_wake(&w->requests);
						timeout = 0;
					} else {
						armed = ARMED_SLEEP;
					}
				} else {
					if (dxg_ring_producer_prepare_wait(&w->replies,
									   largest_reply_record(w))) {
						dxg_ring_producer_end_wait(&w->replies);
						timeout = 0;
					} else {
						armed = ARMED_WAIT;
					}
				}
			} else {
				timeout = -1;	/* just broken: only the broker matters now */
			}
			kick_fence_waiters(w);
		}

		n = epoll_wait(w->epoll_fd, events, (int)(sizeof(events) / sizeof(events[0])),
			       timeout);
		if (armed == ARMED_SLEEP)
			dxg_ring_consumer_wake(&w->requests);
		else if (armed == ARMED_WAIT)
			dxg_ring_producer_end_wait(&w->replies);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("epoll_wait: %s", strerror(errno));
			return 1;
		}
		for (int i = 0; i < n; i++) {
			uint32_t tag = events[i].data.u32;

			if (tag < DXG_VECTORS)
				drain_eventfd(w->opt.doorbell_fds[tag]);
			else if (tag == TAG_BROKER)
				handle_broker(w);
			else if (tag == TAG_SIGNAL)
				handle_signal(w);
			else if (tag == TAG_EXEC)
				exec_poll(&w->vm);
		}
		kick_fence_waiters(w);
	}
	return 0;
}

/* ---- start-up and shutdown ---- */

static bool epoll_watch(struct worker *w, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	if (epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_error("epoll_ctl(%d): %s", fd, strerror(errno));
		return false;
	}
	return true;
}

static bool setup_events(struct worker *w)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		log_error("sigprocmask: %s", strerror(errno));
		return false;
	}
	signal(SIGPIPE, SIG_IGN);
	w->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	w->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (w->signal_fd < 0 || w->epoll_fd < 0) {
		log_error("signalfd/epoll: %s", strerror(errno));
		return false;
	}
	for (unsigned v = 0; v < DXG_VECTORS; v++) {
		int fd = w->opt.doorbell_fds[v];
		int fl = fcntl(fd, F_GETFL);

		/* QEMU makes these non-blocking too (shared open file); we never block on them. */
		if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
		    !epoll_watch(w, fd, TAG_DOORBELL + v))
			return false;
	}
	return epoll_watch(w, w->opt.broker_fd, TAG_BROKER) &&
	       epoll_watch(w, w->signal_fd, TAG_SIGNAL);
}

static bool map_region(struct worker *w)
{
	struct stat st;
	void *p;

	if (fstat(w->opt.region_fd, &st) < 0) {
		log_error("region fd: %s", strerror(errno));
		return false;
	}
	if (region_layout_compute((uint64_t)st.st_size, &w->layout)) {
		log_error("region size %lld is not a power of two in [%u, %llu]",
			  (long long)st.st_size, DXG_REGION_MIN_SIZE,
			  (unsigned long long)DXG_REGION_MAX_SIZE);
		return false;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, w->opt.region_fd, 0);
	if (p == MAP_FAILED) {
		log_error("mmap of the region: %s", strerror(errno));
		return false;
	}
	w->region = p;
	w->region_size = (uint64_t)st.st_size;
	return true;
}

static bool attach_rings(struct worker *w)
{
	if (region_attach_rings(w->region, &w->layout, &w->requests, &w->replies)) {
		log_error("ring attach failed (host bug in the layout)");
		return false;
	}
	return true;
}

static void cleanup(struct worker *w)
{
	if (w->formatted) {
		/* Tell the guest this generation is over; the broker starts the next one. */
		region_set_state(w->region, DXG_REGION_STATE_RESET);
		if (w->peer_fds[DXG_VECTOR_CONTROL] >= 0)
			kick_guest(w, DXG_VECTOR_CONTROL);
	}
	if (w->vm_ready)
		vm_fini(&w->vm);
	vk_backend_fini(&w->vk);
	if (w->region)
		munmap(w->region, (size_t)w->region_size);
	free(w->record);
	free(w->reply);
	close_fds(w->peer_fds, DXG_VECTORS);
	if (w->epoll_fd >= 0)
		close(w->epoll_fd);
	if (w->signal_fd >= 0)
		close(w->signal_fd);
}

int worker_main(int argc, char **argv)
{
	struct vm_memory_setup mem_setup;
	struct worker w;
	char role[48];
	int sndbuf = (int)BW_MAX_PACKET;
	int status = 1;

	memset(&w, 0, sizeof(w));
	w.epoll_fd = w.signal_fd = -1;
	w.peer_fds[0] = w.peer_fds[1] = -1;
	w.reject_log = (struct dxg_ratelimit)DXG_RATELIMIT_INIT(5000, 10);
	w.kick_log = (struct dxg_ratelimit)DXG_RATELIMIT_INIT(5000, 3);
	if (!parse_options(argc, argv, &w.opt))
		return 2;
	snprintf(role, sizeof(role), "worker %s", w.opt.vm_name);
	dxg_log_init(role, w.opt.log_level);

	if (!setup_events(&w) || !map_region(&w))
		goto out;
	/* From here on, guests stop trusting the previous generation's rings. */
	region_begin_init(w.region);

	/* Vulkan start-up is slow (lavapipe compiles): finish it before any guest can ask. */
	vk_backend_init(&w.vk, w.opt.luid_seed, DXGW_MAX_ADAPTERS);
	mem_setup = (struct vm_memory_setup){
		.region = w.region,
		.region_fd = w.opt.region_fd,
		.fence_offset = w.layout.fence_offset,
		.fence_size = w.layout.fence_size,
		.heap_offset = w.layout.heap_offset,
		.heap_size = w.layout.heap_size,
		.quota = w.opt.quota,
	};
	if (vm_init(&w.vm, &w.vk, w.opt.generation, &w.opt.limits, &mem_setup)) {
		log_error("out of memory setting up the VM");
		goto out;
	}
	w.vm_ready = true;
	if (!epoll_watch(&w, exec_notify_fd(&w.vm), TAG_EXEC))
		goto out;
	w.reply_cap = worker_dispatch_reply_cap(w.layout.max_message);
	w.record = malloc(w.layout.max_message);
	w.reply = malloc(w.reply_cap);
	if (!w.record || !w.reply) {
		log_error("out of memory for the message buffers");
		goto out;
	}

	region_format(w.region, w.opt.region_fd, &w.layout, w.opt.generation);
	w.formatted = true;
	if (!attach_rings(&w))
		goto out;
	log_info("generation %u ready: region %llu bytes, rings 2 x %u bytes, max message %u, "
		 "heap %llu bytes, %u adapter(s)%s",
		 w.opt.generation, (unsigned long long)w.region_size, w.layout.request_size,
		 w.layout.max_message, (unsigned long long)w.layout.heap_size, w.vm.adapter_count,
		 w.opt.poll_us ? ", polling" : "");
	if (w.opt.quota.quota_bytes != MEM_QUOTA_UNLIMITED)
		log_info("memory quota %llu bytes per adapter, %u allocations, %u GPU VA entries",
			 (unsigned long long)w.opt.quota.quota_bytes, w.opt.quota.max_allocations,
			 w.opt.quota.max_gpuva_entries);

	/* Lets status replies with many processes go out in one packet (best effort). */
	setsockopt(w.opt.broker_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (!send_ready(&w))
		goto out;
	status = run(&w);
out:
	cleanup(&w);
	return status;
}
