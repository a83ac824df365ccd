// SPDX-License-Identifier: MIT
#include "ivshmem_server.h"

#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"

/* A client gets this long in total to make room in its socket for the setup messages. */
#define SEND_TIMEOUT_MS 500

/* One int64 little-endian message, with `fd` attached when fd >= 0. */
static bool send_message(int sock, int64_t value, int fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	int64_t le = (int64_t)htole64((uint64_t)value);
	struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int waited_ms = 0;

	if (fd >= 0) {
		struct cmsghdr *cmsg;

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	for (;;) {
		ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);

		if (n == (ssize_t)sizeof(le))
			return true;
		if (n >= 0) {
			/* 8 bytes into an empty stream socket are never split in practice. */
			log_warn("ivshmem client: short write (%zd bytes)", n);
			return false;
		}
		if (errno == EINTR)
			continue;
		if (errno == EPIPE || errno == ECONNRESET) {
			/* Gone already: a probe (another dxgd checking the socket) or a quitter. */
			log_info("ivshmem client disconnected during setup");
			return false;
		}
		if (errno != EAGAIN || waited_ms >= SEND_TIMEOUT_MS) {
			log_warn("ivshmem client: send failed: %s",
				 errno == EAGAIN ? "client does not read" : strerror(errno));
			return false;
		}
		struct pollfd pfd = { .fd = sock, .events = POLLOUT };

		if (poll(&pfd, 1, 50) < 0 && errno != EINTR) {
			log_warn("ivshmem client: poll: %s", strerror(errno));
			return false;
		}
		waited_ms += 50;
	}
}

bool ivshmem_send_setup(int client_fd, uint16_t peer_id, int region_fd, const int *server_fds,
			const int *client_fds, unsigned vectors)
{
	if (!send_message(client_fd, IVSHMEM_PROTOCOL_VERSION, -1) ||
	    !send_message(client_fd, peer_id, -1) ||
	    !send_message(client_fd, -1, region_fd))
		return false;
	for (unsigned v = 0; v < vectors; v++) {
		if (!send_message(client_fd, IVSHMEM_SERVER_PEER_ID, server_fds[v]))
			return false;
	}
	for (unsigned v = 0; v < vectors; v++) {
		if (!send_message(client_fd, peer_id, client_fds[v]))
			return false;
	}
	return true;
}

void ivshmem_refuse(int client_fd)
{
	if (send_message(client_fd, IVSHMEM_PROTOCOL_VERSION, -1))
		send_message(client_fd, IVSHMEM_REFUSED_ID, -1);
}
