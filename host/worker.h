/* SPDX-License-Identifier: MIT */
/*
 * The per-VM worker process of dxgd. The broker fork+execs `dxgd --worker ...` and main() hands
 * over to worker_main() (see docs/internals.md, "Worker invocation").
 */
#ifndef DXGD_WORKER_H
#define DXGD_WORKER_H

/*
 * argv[0] is the program name and argv[1] "--worker"; the options of docs/internals.md follow.
 * Returns the process exit status: 0 after an orderly shutdown (broker gone, SIGTERM/SIGINT),
 * 2 for a bad command line, 1 for any other start-up failure.
 */
int worker_main(int argc, char **argv);

#endif /* DXGD_WORKER_H */
