/*
 * cli/util.h - helpers shared by the `jot` subcommands: bounded file
 * reading, wiping, number and duration parsing, key loading and the one-line
 * error format of the contract ("jot: ..." on stderr).
 */
#ifndef JOT_CLI_UTIL_H
#define JOT_CLI_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <jot/jot.h>

/* The exit codes of the contract. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_REJECT 1 /* a token was rejected, or a check failed */
#define CLI_EXIT_USAGE 2  /* a usage error, an unreadable file, a bad key */

/* The largest file (key, secret, claims, token on stdin) read by default. */
#define CLI_MAX_FILE ((size_t)1024 * 1024)

/* The subcommands, each given argv with argv[0] the subcommand's name. */
int cli_sign(int argc, char **argv);
int cli_verify(int argc, char **argv);
int cli_decode(int argc, char **argv);
int cli_keygen(int argc, char **argv);
int cli_jwk(int argc, char **argv);
int cli_jwks(int argc, char **argv);

/* Print "jot: " and the formatted message as one line on stderr. Control
 * characters in the message are replaced so that the line stays one line. */
void cli_err(const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* The usual answers to a bad command line: "jot: CMD: unknown option ...",
 * with a hint to CMD --help. They return CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Report the option getopt_long just refused (c is '?' or ':'). */
int cli_bad_option(const char *cmd, int c, char **argv);

/* Overwrite n bytes so the compiler cannot drop the stores. NULL is ok. */
void cli_wipe(void *p, size_t n);
/* Wipe n bytes, then free. NULL is ok. */
void cli_wipe_free(void *p, size_t n);

/* Read a whole file, or stdin when path is "-", into a new NUL-terminated
 * buffer of at most max bytes (the NUL not counted). Every intermediate copy
 * is wiped, since the file may hold a secret. On failure returns -1 after
 * printing one error line naming the file (never its contents), except for
 * a file over max when too_big is not NULL: then *too_big is set and the
 * caller reports it. The caller releases *out with
 * cli_wipe_free(*out, *len). */
int cli_read_file(const char *path, size_t max, char **out, size_t *len, int *too_big);

/* The name shown in messages for a path ("stdin" for "-"). */
const char *cli_path_name(const char *path);

/* Parse a decimal integer, with an optional leading '-' when allow_negative.
 * Returns 0, or -1 for anything else (empty, junk, overflow). */
int cli_parse_int64(const char *s, int allow_negative, int64_t *out);

/* Parse a duration: plain seconds or a number with one suffix s, m, h or d
 * ("900", "15m", "2h", "30d"). Non-negative, bounded to a few hundred
 * million years so that now + duration cannot overflow. 0 or -1. */
int cli_parse_duration(const char *s, int64_t *out);

/* Parse an algorithm name for signing or verifying. "none" and unknown names
 * print a usage error for cmd and give JOT_ALG_UNSET. */
jot_alg cli_parse_alg(const char *cmd, const char *name);

/* Load every key that a file holds (PEM, JWK or JWKS, told apart by
 * jot_keyset_load) into a new set. Prints an error and returns
 * CLI_EXIT_USAGE on failure, else CLI_EXIT_OK. */
int cli_load_keyset(const char *path, jot_keyset **out);

/* Add a reference to every key of src to dst. CLI_EXIT_OK or an error
 * printed and CLI_EXIT_USAGE. */
int cli_keyset_merge(jot_keyset *dst, const jot_keyset *src);

/* An HMAC key from all the raw bytes of a file (RFC 7518 3.2). Prints an
 * error (never the bytes) and returns CLI_EXIT_USAGE on failure. */
int cli_load_secret(const char *path, jot_key **out);

/* A one-line explanation of a key loading failure for path. */
void cli_key_error(const char *path, jot_status st);

/* Split a comma-separated list into newly allocated strings appended to
 * *items (which grows). Empty elements are refused. 0, or -1 with nothing
 * appended on an empty element or no memory. */
int cli_split_list(const char *list, char ***items, size_t *count);
void cli_free_list(char **items, size_t count);

/* Write all of buf to fd. 0 or -1 (errno set). */
int cli_write_all(int fd, const char *buf, size_t len);

/* Print s and a newline on stdout; CLI_EXIT_OK, or an error printed and
 * CLI_EXIT_USAGE when stdout cannot be written. */
int cli_print_line(const char *s);

/* Abort-free handling of memory exhaustion for the CLI: print and return
 * CLI_EXIT_USAGE. */
int cli_nomem(void);

#endif
