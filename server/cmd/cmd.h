/*
 * server/cmd/cmd.h - the jotd subcommands, one file each; main.c parses the
 * command line and the settings, then calls one. Each returns the exit
 * status: 0 success, 1 failure (said on stderr).
 */
#ifndef JOTD_CMD_H
#define JOTD_CMD_H

#include "config.h"

/* jotd serve: until SIGTERM or SIGINT, then drain and exit 0 (serve.c). */
int jotd_cmd_serve(const jotd_config *cfg);
/* jotd user add NAME [--role ROLE]: the password from stdin (user.c). */
int jotd_cmd_user_add(const jotd_config *cfg, const char *name, const char *role);
/* jotd keys rotate [--now] | jotd keys list (keys.c). */
int jotd_cmd_keys(const jotd_config *cfg, const char *sub, int now_flag);
/* jotd migrate: bring the store's schema up to date (migrate.c). */
int jotd_cmd_migrate(const jotd_config *cfg);

#endif
