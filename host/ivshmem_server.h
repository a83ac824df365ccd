/* SPDX-License-Identifier: MIT */
/*
 * The ivshmem server protocol (QEMU docs/specs/ivshmem-spec.rst), server side, for exactly one
 * guest peer: the daemon itself is peer 0.
 */
#ifndef DXGD_IVSHMEM_SERVER_H
#define DXGD_IVSHMEM_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#define IVSHMEM_PROTOCOL_VERSION 0
/* QEMU rejects ids above this (doorbell writes carry the peer id in 16 bits). */
#define IVSHMEM_MAX_PEER_ID 65535u
#define IVSHMEM_SERVER_PEER_ID 0u

/*
 * Sends the whole setup to a freshly accepted client: the protocol version, its peer id, the
 * shared memory fd, then peer 0 (the daemon) with one eventfd per vector, then the client's own
 * id with its eventfds. Peer 0 is announced before the client's own vectors so that QEMU knows
 * peer 0 before the guest can possibly ring it (QEMU drops doorbells to unknown peers).
 *
 * `client_fd` is non-blocking; a client that does not drain its socket within a bounded time is
 * given up on. Returns false after logging.
 */
bool ivshmem_send_setup(int client_fd, uint16_t peer_id, int region_fd, const int *server_fds,
			const int *client_fds, unsigned vectors);

/*
 * Turns a client away. Closing the socket alone is not enough: QEMU 7.2 reads the setup in a
 * loop that spins forever on EOF (ivshmem_recv_msg), so a refused QEMU would hang at 100% CPU
 * instead of failing. It gets the version, then peer id IVSHMEM_REFUSED_ID (no fd), which QEMU
 * rejects ("server sent invalid ID message") and fails to start; then the socket is closed.
 */
#define IVSHMEM_REFUSED_ID (-1)
void ivshmem_refuse(int client_fd);

#endif /* DXGD_IVSHMEM_SERVER_H */
