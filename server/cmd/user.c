/* server/cmd/user.c - jotd user add (see cmd.h). */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "base/mem.h"
#include "cmd/cmd.h"
#include "services/users.h"
#include "store/store.h"

static int read_password(char *buf, size_t cap, size_t *len)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO);
    if (tty) {
        fprintf(stderr, "Password: ");
        fflush(stderr);
        if (tcgetattr(STDIN_FILENO, &old) == 0) {
            quiet = old;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        } else {
            tty = 0;
        }
    }
    size_t n = 0;
    int c;
    while (n < cap && (c = getchar()) != EOF && c != '\n')
        buf[n++] = (char)c;
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fprintf(stderr, "\n");
    }
    if (n == cap)
        return -1;
    if (n && buf[n - 1] == '\r')
        n--;
    *len = n;
    return 0;
}

int jotd_cmd_user_add(const jotd_config *cfg, const char *name, const char *role)
{
    char pw[JOTD_PASSWORD_MAX + 2];
    size_t len = 0;
    if (read_password(pw, sizeof pw, &len) != 0) {
        jot_wipe(pw, sizeof pw);
        fprintf(stderr, "jotd: the password is longer than %d bytes\n", JOTD_PASSWORD_MAX);
        return 1;
    }
    char err[512];
    jotd_store *store = NULL;
    if (jotd_store_open(cfg->store, &store, err, sizeof err) != JOTD_STORE_OK) {
        jot_wipe(pw, sizeof pw);
        fprintf(stderr, "jotd: %s\n", err);
        return 1;
    }
    char id[64];
    int rc = jotd_user_add(cfg, store, name, role ? role : cfg->default_role, pw, len, id, sizeof id, err,
                                sizeof err);
    jot_wipe(pw, sizeof pw);
    jotd_store_close(store);
    if (rc != 0) {
        fprintf(stderr, "jotd: %s\n", err);
        return 1;
    }
    printf("added user %s (id %s, role %s)\n", name, id, role ? role : cfg->default_role);
    return 0;
}
