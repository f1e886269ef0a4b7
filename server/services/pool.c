/* server/services/pool.c - see pool.h */
#include "services/pool.h"

#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdlib.h>
#include <time.h>

#include "base/mem.h"
#include "base/clock.h"
#include "base/log.h"

struct jotd_pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t *threads;
    unsigned nthreads;
    unsigned queue_max;
    unsigned depth;
    int stopping;
    jotd_job *head; /* sorted by not_before_ns */
};

static void *worker(void *arg)
{
    jotd_pool *p = arg;
    /* Hashing is the slow, CPU-bound work that a flood of logins brings:
     * a lower priority than the HTTP threads' (nice 5, about a quarter of
     * their CPU share under contention; Linux applies it to this thread
     * alone) keeps /verify and /token answering at speed meanwhile, and
     * costs logins nothing when the CPU is otherwise idle. A failure
     * changes nothing else. */
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 5);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        if (!p->head) {
            if (p->stopping)
                break;
            pthread_cond_wait(&p->cond, &p->lock);
            continue;
        }
        uint64_t now = jotd_mono_ns();
        jotd_job *j = p->head;
        if (j->not_before_ns > now && !p->stopping) {
            /* The earliest job is delayed: sleep until it is due (or until
             * something new arrives). The condition variable uses
             * CLOCK_MONOTONIC, like jotd_mono_ns. */
            struct timespec ts;
            ts.tv_sec = (time_t)(j->not_before_ns / 1000000000u);
            ts.tv_nsec = (long)(j->not_before_ns % 1000000000u);
            pthread_cond_timedwait(&p->cond, &p->lock, &ts);
            continue;
        }
        p->head = j->next;
        p->depth--;
        pthread_mutex_unlock(&p->lock);
        j->run(j);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

jotd_pool *jotd_pool_new(unsigned workers, unsigned queue_max)
{
    jotd_pool *p = jotd_xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cond, &ca);
    pthread_condattr_destroy(&ca);
    p->queue_max = queue_max;
    p->threads = jotd_xcalloc(workers, sizeof *p->threads);
    for (unsigned i = 0; i < workers; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
            jotd_log("fatal", "cannot start the password hashing threads", NULL);
            abort();
        }
        p->nthreads++;
    }
    return p;
}

int jotd_pool_submit(jotd_pool *p, jotd_job *job)
{
    pthread_mutex_lock(&p->lock);
    if (p->stopping || p->depth >= p->queue_max) {
        pthread_mutex_unlock(&p->lock);
        return -1;
    }
    jotd_job **pp = &p->head;
    while (*pp && (*pp)->not_before_ns <= job->not_before_ns)
        pp = &(*pp)->next;
    job->next = *pp;
    *pp = job;
    p->depth++;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

unsigned jotd_pool_depth(jotd_pool *p)
{
    pthread_mutex_lock(&p->lock);
    unsigned d = p->depth;
    pthread_mutex_unlock(&p->lock);
    return d;
}

void jotd_pool_shutdown(jotd_pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

void jotd_pool_free(jotd_pool *p)
{
    if (!p)
        return;
    jotd_pool_shutdown(p);
    for (unsigned i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    free(p->threads);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
