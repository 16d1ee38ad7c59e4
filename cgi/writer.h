/*
 * Group commit: one writer process owns the database's write
 * connection; the workers send it sealed rows and wait for its answer,
 * which comes only after the COMMIT (synchronous=FULL) that holds the
 * row. Each worker has its own SOCK_SEQPACKET socketpair to the writer,
 * made by the parent before it forks anyone (bench/README.md, "What
 * would meet the targets").
 */
#ifndef TIPLINE_WRITER_H
#define TIPLINE_WRITER_H

#include <signal.h>
#include <stdint.h>

#include "store.h"

/* A worker's end. gen points into memory shared with the parent, which
 * bumps it when the writer dies: a worker waiting for an answer then
 * gives up at once (503) instead of waiting out its timeout. */
struct writer {
	int			 fd;
	int			 timeout_ms;
	uint64_t		 next_id;
	const volatile uint32_t	*gen;
};

/* A worker's end of its socketpair: a send blocks at most a moment at a
 * time (so that the writer's death is noticed), ids start at random (so
 * that an answer meant for the slot's previous worker is not taken). */
void		writer_init(struct writer *, int fd, int timeout_ms,
		    const volatile uint32_t *gen);

/* What store_insert answers, through the writer; STORE_ERR when the
 * writer did not answer within timeout_ms or died meanwhile. */
enum store_res	writer_insert(struct writer *, const unsigned char
		    nonce[TOKEN_NONCE], const char *ref, const char *day,
		    const char *expires, const unsigned char *env,
		    size_t envlen, const struct store_receipt *rc,
		    char dupref[REF_LEN + 1]);

/* The same with a report's files (store_file): their heads go with the
 * row, their chunks stay in the spool file files[0].fd (every file's
 * fd is that one, offsets from 0 one after another), whose descriptor
 * goes with the row's first message; the writer reads the chunks from
 * it inside the report's transaction. */
enum store_res	writer_insert_files(struct writer *, const unsigned char
		    nonce[TOKEN_NONCE], const char *ref, const char *day,
		    const char *expires, const unsigned char *env,
		    size_t envlen, const struct store_receipt *rc,
		    const struct store_file *files, size_t nfiles,
		    char dupref[REF_LEN + 1]);

/* The writer process: takes the write lock when a row is ready on
 * fds[0..n-1], then every row ready by then, stores them in one
 * transaction (store_batch_begin, store_batch_finish), answers each.
 * Returns when *stop is set (after the batch in hand). */
int		writer_run(struct store *, const int *fds, int n,
		    const volatile sig_atomic_t *stop);

#endif
