/* SPDX-License-Identifier: MIT */
/*
 * The broker's event loop: one epoll set, single thread. A handler may remove any source,
 * itself included, at any time: removed sources are unregistered at once but freed only after
 * the current batch of events is dispatched, so a stale event later in the same batch finds a
 * source marked removed (and is skipped) instead of freed memory or a recycled fd.
 */
#ifndef DXGD_BROKER_LOOP_H
#define DXGD_BROKER_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop_source;
typedef void (*loop_handler)(struct loop_source *source, uint32_t events);

struct loop_source {
	int fd;			/* not owned: the owner closes it after loop_remove() */
	loop_handler handler;
	void *data;
	uint32_t events;	/* what the source waits for (while paused: once resumed) */
	bool removed;
	bool paused;
	uint64_t resume_ms;
	struct loop_source *next_removed;
	struct loop_source *next_paused;
};

struct loop {
	int epoll_fd;
	struct loop_source *removed;
	struct loop_source *paused;
};

bool loop_init(struct loop *loop);
void loop_fini(struct loop *loop);
struct loop_source *loop_add(struct loop *loop, int fd, uint32_t events, loop_handler handler,
			     void *data);
bool loop_modify(struct loop *loop, struct loop_source *source, uint32_t events);
/* Unregisters the source (NULL is allowed). The fd stays open. */
void loop_remove(struct loop *loop, struct loop_source *source);
/*
 * Stops delivering the source's events for `ms` milliseconds, then resumes by itself. For a
 * level-triggered fd the handler cannot drain for now (a listening socket while accept() fails
 * for lack of fds or memory), which would otherwise wake the loop again at once, forever.
 */
void loop_pause(struct loop *loop, struct loop_source *source, uint32_t ms);
/* Waits up to timeout_ms (-1: forever) and dispatches what arrived. False on a fatal error. */
bool loop_dispatch(struct loop *loop, int timeout_ms);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t loop_now_ms(void);

#endif /* DXGD_BROKER_LOOP_H */
