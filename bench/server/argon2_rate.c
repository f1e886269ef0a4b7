/*
 * bench/server/argon2_rate.c - the raw argon2id rate (RFC 9106) on this
 * machine, the floor of jotd's login/s.
 *
 *   argon2-rate THREADS SECONDS [MEMORY_KIB ITERATIONS PARALLELISM]
 *
 * Each of THREADS threads checks a password against one argon2id hash in
 * the PHC string format (argon2id_verify, the very call jotd's login makes,
 * with jotd's defaults m = 19456 KiB, t = 2, p = 1, a 16-byte salt and a
 * 32-byte hash) again and again for SECONDS of wall-clock time. Every check
 * must succeed, and a wrong password is refused once before timing, so
 * nothing measured is a no-op.
 *
 * Prints: threads=N hashes=K seconds=S cpu_seconds=T rate=R cpu_rate=C (T
 * the CPU time of the process while hashing): R hashes per
 * wall-clock second, every thread together; C hashes per CPU-second of the
 * process (steadier than R on a shared machine: it does not count the time
 * other programs had the cores). Exit 0, 1 when argon2 fails, 2 on a usage
 * error.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <argon2.h>

#define SALT_LEN 16
#define HASH_LEN 32
#define MAX_THREADS 64

static const char password[] = "correct horse battery staple";
static char encoded[256];
static double deadline;
static atomic_ulong total;
static atomic_int failed;

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
    (void)arg;
    unsigned long n = 0;
    /* The deadline is checked between hashes: a thread may overrun it by
     * one hash, which the caller's clock includes. */
    while (now_s() < deadline) {
        if (argon2id_verify(encoded, password, sizeof password - 1) != ARGON2_OK) {
            atomic_store(&failed, 1);
            break;
        }
        n++;
    }
    atomic_fetch_add(&total, n);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 6) {
        fputs("usage: argon2-rate THREADS SECONDS [MEMORY_KIB ITERATIONS PARALLELISM]\n", stderr);
        return 2;
    }
    int threads = atoi(argv[1]);
    double seconds = strtod(argv[2], NULL);
    uint32_t m = 19456, t = 2, p = 1;
    if (argc == 6) {
        m = (uint32_t)strtoul(argv[3], NULL, 10);
        t = (uint32_t)strtoul(argv[4], NULL, 10);
        p = (uint32_t)strtoul(argv[5], NULL, 10);
    }
    if (threads < 1 || threads > MAX_THREADS || !(seconds > 0 && seconds <= 600)) {
        fputs("argon2-rate: THREADS 1..64, SECONDS 0..600\n", stderr);
        return 2;
    }

    /* A fixed salt is fine here: the hash protects nothing, and the cost of
     * argon2id does not depend on the salt's value. */
    uint8_t salt[SALT_LEN];
    for (size_t i = 0; i < SALT_LEN; i++)
        salt[i] = (uint8_t)(i * 7 + 1);
    int rc = argon2id_hash_encoded(t, m, p, password, sizeof password - 1, salt, SALT_LEN, HASH_LEN, encoded,
                                   sizeof encoded);
    if (rc != ARGON2_OK) {
        fprintf(stderr, "argon2-rate: %s\n", argon2_error_message(rc));
        return 1;
    }
    if (argon2id_verify(encoded, "wrong password", 14) == ARGON2_OK) {
        fputs("argon2-rate: a wrong password was accepted\n", stderr);
        return 1;
    }

    pthread_t tid[MAX_THREADS];
    double c0 = cpu_s();
    double t0 = now_s();
    deadline = t0 + seconds;
    for (int i = 0; i < threads; i++)
        if (pthread_create(&tid[i], NULL, worker, NULL) != 0) {
            fputs("argon2-rate: pthread_create failed\n", stderr);
            return 1;
        }
    for (int i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    double el = now_s() - t0;
    double cpu = cpu_s() - c0;
    if (atomic_load(&failed)) {
        fputs("argon2-rate: a check of the right password failed\n", stderr);
        return 1;
    }
    unsigned long n = atomic_load(&total);
    printf("threads=%d hashes=%lu seconds=%.3f cpu_seconds=%.3f rate=%.2f cpu_rate=%.2f m=%u t=%u p=%u\n", threads,
           n, el, cpu, (double)n / el, cpu > 0 ? (double)n / cpu : 0.0, m, t, p);
    return 0;
}
