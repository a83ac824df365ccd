// SPDX-License-Identifier: MIT
#include "broker_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define LISTEN_BACKLOG 16

static bool make_parent_dirs(const char *path)
{
	char dir[DXGD_SOCKET_PATH_MAX + 1];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return true;
	*slash = '\0';
	for (char *p = dir + 1; ; p++) {
		bool last = (*p == '\0');

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			log_error("cannot create directory %s: %s", dir, strerror(errno));
			return false;
		}
		if (last)
			break;
		*p = '/';
	}
	return true;
}

static void fill_addr(struct sockaddr_un *addr, const char *path)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	snprintf(addr->sun_path, sizeof(addr->sun_path), "%s", path);
}

/*
 * A socket file left by a daemon that died is unlinked; one that still accepts connections
 * belongs to a running daemon and is left alone.
 */
static bool remove_stale_socket(const char *path)
{
	struct sockaddr_un addr;
	struct stat st;
	int probe, ret, err;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return true;
		log_error("cannot stat %s: %s", path, strerror(errno));
		return false;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_error("%s exists and is not a socket; refusing to replace it", path);
		return false;
	}
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (probe < 0) {
		log_error("socket: %s", strerror(errno));
		return false;
	}
	fill_addr(&addr, path);
	ret = connect(probe, (struct sockaddr *)&addr, sizeof(addr));
	err = errno;
	close(probe);
	if (ret == 0 || err == EAGAIN || err == EINPROGRESS) {
		log_error("%s is in use (another dxgd is listening on it)", path);
		return false;
	}
	if (err != ECONNREFUSED) {
		log_error("cannot probe %s: %s", path, strerror(err));
		return false;
	}
	log_info("removing stale socket %s", path);
	if (unlink(path) < 0 && errno != ENOENT) {
		log_error("cannot remove stale socket %s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

int socket_listen(const char *path, const struct dxgd_socket_access *access,
		  struct socket_file *file)
{
	struct sockaddr_un addr;
	struct stat st;
	int fd;

	memset(file, 0, sizeof(*file));
	if (!make_parent_dirs(path) || !remove_stale_socket(path))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		log_error("socket: %s", strerror(errno));
		return -1;
	}
	fill_addr(&addr, path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		log_error("cannot bind %s: %s", path, strerror(errno));
		goto err_close;
	}
	snprintf(file->path, sizeof(file->path), "%s", path);
	if (stat(path, &st) == 0) {
		file->dev = st.st_dev;
		file->ino = st.st_ino;
	}
	file->created = true;
	/* Access is settled before listen(), so no client connects under the wrong mode. */
	if (access->group != (gid_t)-1 && chown(path, (uid_t)-1, access->group) < 0) {
		log_error("cannot give %s to group %u: %s", path, (unsigned)access->group,
			  strerror(errno));
		goto err_unlink;
	}
	if (chmod(path, access->mode) < 0) {
		log_error("cannot chmod %s: %s", path, strerror(errno));
		goto err_unlink;
	}
	if (listen(fd, LISTEN_BACKLOG) < 0) {
		log_error("cannot listen on %s: %s", path, strerror(errno));
		goto err_unlink;
	}
	return fd;

err_unlink:
	socket_file_unlink(file);
err_close:
	close(fd);
	return -1;
}

void socket_file_unlink(struct socket_file *file)
{
	struct stat st;

	if (!file->created)
		return;
	file->created = false;
	/* Someone may have replaced the file since (another daemon): keep theirs. */
	if (lstat(file->path, &st) < 0 || st.st_dev != file->dev || st.st_ino != file->ino)
		return;
	if (unlink(file->path) < 0)
		log_warn("cannot remove %s: %s", file->path, strerror(errno));
}
