/* SPDX-License-Identifier: MIT */
/* Listening unix sockets of the broker (VM sockets and the control socket). */
#ifndef DXGD_BROKER_SOCKET_H
#define DXGD_BROKER_SOCKET_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

/* A socket file the broker created: unlinked at exit only if it is still the same file. */
struct socket_file {
	char path[DXGD_SOCKET_PATH_MAX + 1];
	dev_t dev;
	ino_t ino;
	bool created;
};

/*
 * Binds and listens on `path` (non-blocking, close-on-exec) and applies `access`. Creates missing
 * parent directories (mode 0755). An existing socket file is replaced only if nobody listens on
 * it; any other existing file is an error. Returns the fd, or -1 after logging why.
 */
int socket_listen(const char *path, const struct dxgd_socket_access *access,
		  struct socket_file *file);
void socket_file_unlink(struct socket_file *file);

#endif /* DXGD_BROKER_SOCKET_H */
