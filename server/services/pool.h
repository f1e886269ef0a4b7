/*
 * server/services/pool.h - a small pool of threads of its own for slow work
 * (argon2id), with a bounded queue, so that password hashing never runs on
 * the threads that serve /verify and /token, and a flood of logins cannot
 * queue unbounded work: when the queue is full, submit fails at once and the
 * caller answers 503.
 *
 * A job may carry a time before which it must not start (a throttled login is
 * delayed this way without holding any thread).
 */
#ifndef JOTD_SERVICES_POOL_H
#define JOTD_SERVICES_POOL_H

#include <stdint.h>

typedef struct jotd_job {
    void (*run)(struct jotd_job *job);
    uint64_t not_before_ns; /* jotd_mono_ns() time; 0: at once */
    struct jotd_job *next;
} jotd_job;

typedef struct jotd_pool jotd_pool;

jotd_pool *jotd_pool_new(unsigned workers, unsigned queue_max);
/* 0, or -1 when the queue is full or the pool is stopping (the job was not
 * taken). */
int jotd_pool_submit(jotd_pool *p, jotd_job *job);
/* Jobs waiting (not yet running). */
unsigned jotd_pool_depth(jotd_pool *p);
/* Refuse new jobs and start the delayed ones at once (shutdown). */
void jotd_pool_shutdown(jotd_pool *p);
/* Run every job still queued (delays are cut short), then join the
 * threads and free the pool. */
void jotd_pool_free(jotd_pool *p);

#endif
