/*
 * server/services/throttle.h - failed logins counted within a window per
 * (username, client address), per client address and per username, and
 * signups per client address. An attempt is admitted, slowed or refused
 * before any password is hashed, and the check and the count happen under
 * one lock: attempts still in flight count as failures, so parallel
 * attempts cannot slip past the limit together.
 *
 * The policy (docs/security.md): a client is refused (429) for a username
 * once it has itself failed pair_limit times for it, and for every username
 * once its address has failed addr_limit times. Failures for a username
 * from other clients never refuse a client that has not failed: they only
 * slow every attempt for that username down (a second, once they reach
 * pair_limit), so that nobody can lock a user out by guessing wrong
 * passwords for them. A client's own failures for a username slow its next
 * attempts down (1 s, 2 s, 4 s, 8 s after slow_after).
 */
#ifndef JOTD_SERVICES_THROTTLE_H
#define JOTD_SERVICES_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct jotd_throttle jotd_throttle;

typedef struct jotd_throttle_params {
    unsigned pair_limit;   /* failures per (username, address) before 429 */
    unsigned addr_limit;   /* failures per address before 429 */
    unsigned slow_after;   /* a pair's failures before its attempts wait */
    int64_t window;        /* seconds in which failures count */
    unsigned signup_limit; /* signups per address per signup_window */
    int64_t signup_window;
    size_t max_entries;    /* per table */
    uint64_t seed;         /* keys the tables' hash: names come from clients */
} jotd_throttle_params;

jotd_throttle *jotd_throttle_new(const jotd_throttle_params *p);
void jotd_throttle_free(jotd_throttle *t);

/* Admit one login attempt: 0 with *delay_ms (0: none) to wait before
 * checking the password, or -1 (refused: answer 429) with *retry_after in
 * seconds. The limits count failures and attempts still in flight.
 * Every admitted attempt must be ended with jotd_throttle_end. */
int jotd_throttle_begin(jotd_throttle *t, const char *user, const char *addr, int64_t now, unsigned *delay_ms,
                        unsigned *retry_after);
enum { JOTD_ATTEMPT_FAILED = 0, JOTD_ATTEMPT_SUCCEEDED = 1, JOTD_ATTEMPT_CANCELLED = 2 };
void jotd_throttle_end(jotd_throttle *t, const char *user, const char *addr, int outcome, int64_t now);
/* Admit one signup from addr (each attempt counts, taken names too): 0, or
 * -1 (answer 429) with *retry_after in seconds. */
int jotd_throttle_signup(jotd_throttle *t, const char *addr, int64_t now, unsigned *retry_after);
/* Forget entries whose window has passed. */
void jotd_throttle_sweep(jotd_throttle *t, int64_t now);

#endif
