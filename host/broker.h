/* SPDX-License-Identifier: MIT */
/*
 * The dxgd broker: owns every VM's region memfd, eventfds and socket, serves the ivshmem
 * protocol as peer 0, runs one worker process per VM and answers the control socket. It never
 * reads guest-controlled data: the only thing it writes into a region is the header's state word
 * (RESET when a worker is gone).
 *
 * Everything runs on one thread in one epoll loop (broker_loop.h).
 */
#ifndef DXGD_BROKER_H
#define DXGD_BROKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <opendxg/region.h>

#include "broker_loop.h"
#include "broker_socket.h"
#include "config.h"
#include "log.h"

/* Restart policy: immediate restarts, but after this many starts within the window, wait. */
#define BROKER_RESTART_BURST 5
#define BROKER_RESTART_WINDOW_MS 10000u
#define BROKER_RESTART_DELAY_MS 1000u

/*
 * A listening socket whose accept() fails for lack of fds or memory stays readable: it is not
 * watched for this long, so the loop neither spins nor floods the log until resources return.
 */
#define BROKER_ACCEPT_RETRY_MS 200u

/* Outstanding BW_STATUS_REQ per worker; more concurrent status queries get "worker": null. */
#define BROKER_STATUS_QUEUE 32

enum worker_state {
	WORKER_STOPPED,		/* none (only during startup and shutdown) */
	WORKER_STARTING,	/* forked, no BW_READY yet; killed at start_deadline_ms */
	WORKER_READY,		/* sent BW_READY for its generation */
	WORKER_STOPPING,	/* killed, waiting to reap it */
	WORKER_BACKOFF,		/* restart delayed until restart_at_ms */
};

struct broker;

struct vm {
	struct broker *broker;
	const struct dxgd_vm_config *cfg;
	size_t index;

	int region_fd;
	struct dxg_region_header *header;	/* first page, for the state word only */
	int server_fds[DXG_VECTORS];		/* peer 0: the guest rings these */

	int listen_fd;
	struct loop_source *listen_source;
	struct socket_file socket_file;

	/* The one guest peer (QEMU) and its eventfds (the worker rings these). */
	int client_fd;
	struct loop_source *client_source;
	int client_fds[DXG_VECTORS];
	uint16_t peer_id;
	uint16_t next_peer_id;
	bool peer_attached;			/* the current worker got BW_PEER_ATTACH */

	pid_t worker_pid;
	int worker_sock;
	struct loop_source *worker_source;
	enum worker_state worker_state;
	bool stop_failed;			/* WORKER_STOPPING because it misbehaved */
	uint32_t generation;
	uint32_t starts;
	uint32_t crashes;
	uint32_t adapter_count;
	uint64_t ready_at_ms;
	uint64_t restart_at_ms;
	uint64_t start_deadline_ms;		/* WORKER_STARTING: not ready by then, killed */
	uint64_t start_history[BROKER_RESTART_BURST];

	/* Control clients waiting for this worker's BW_STATUS_REPLY, oldest first. */
	uint64_t status_waiters[BROKER_STATUS_QUEUE];
	unsigned status_head;
	unsigned status_count;
};

struct control_client;

struct broker {
	const struct dxgd_config *cfg;
	struct loop loop;
	bool running;
	uint64_t luid_seed;
	pid_t pid;

	struct vm *vms;
	size_t vm_count;

	int signal_fd;
	struct loop_source *signal_source;

	int control_fd;
	struct loop_source *control_source;
	struct socket_file control_file;
	struct control_client *clients;
	size_t client_count;
	uint64_t next_client_id;

	uint8_t *rx_buf;			/* BW_MAX_PACKET, for worker messages */
};

/* Runs the broker until SIGTERM/SIGINT. Returns the process exit status. */
int broker_run(const struct dxgd_config *cfg);

const char *worker_state_name(enum worker_state state);

/*
 * After accept() on the listener `source` failed with errno `err`: nothing to do when no
 * connection was pending (EAGAIN, EINTR, ECONNABORTED); otherwise logs `what` (rate limited by
 * `rl`) and pauses the listener for BROKER_ACCEPT_RETRY_MS.
 */
void broker_accept_failed(struct broker *broker, struct loop_source *source, int err,
			  const char *what, struct dxg_ratelimit *rl);

/*
 * Asks the VM's worker for its status on behalf of control client `client_id`. False when the
 * worker cannot answer now (not ready, queue full, socket full): the caller reports null.
 */
bool broker_request_status(struct vm *vm, uint64_t client_id);

/* broker_control.c */
bool control_start(struct broker *broker);
void control_stop(struct broker *broker);
/* A worker answered (json/len), or will not answer (json == NULL). */
void control_worker_status(struct broker *broker, uint64_t client_id, size_t vm_index,
			   const char *json, size_t len);
/* Expires control clients whose deadline passed; returns ms until the next deadline or -1. */
int control_run_timers(struct broker *broker, uint64_t now_ms);

#endif /* DXGD_BROKER_H */
