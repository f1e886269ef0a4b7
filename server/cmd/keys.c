/* server/cmd/keys.c - jotd keys rotate, jotd keys list (see cmd.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/mem.h"
#include "cmd/cmd.h"
#include "services/keyring.h"
#include "services/seal.h"
#include "store/store.h"

int jotd_cmd_keys(const jotd_config *cfg, const char *sub, int now_flag)
{
    char err[512];
    jotd_store *store = NULL;
    if (jotd_store_open(cfg->store, &store, err, sizeof err) != JOTD_STORE_OK) {
        fprintf(stderr, "jotd: %s\n", err);
        return 1;
    }
    int rc = 1;
    int64_t now = jotd_now();
    if (strcmp(sub, "list") == 0) {
        rc = jotd_keys_print(store, cfg, now, stdout) == 0 ? 0 : 1;
        if (rc)
            fprintf(stderr, "jotd: cannot read the keys\n");
    } else {
        int have = jotd_keys_exist(store);
        uint8_t master[JOTD_MASTER_KEY_LEN];
        if (have < 0) {
            fprintf(stderr, "jotd: cannot read the keys\n");
        } else if (jotd_master_key_load(cfg, !have, master, err, sizeof err) != 0) {
            fprintf(stderr, "jotd: %s\n", err);
        } else {
            /* The first key signs at once: there is nothing to wait for. */
            int64_t at = (now_flag || !have) ? now : now + cfg->key_publish_delay;
            char kid[64];
            char signer[64] = "none";
            if (jotd_keys_generate(store, cfg, master, now, at, kid, err, sizeof err) != 0) {
                fprintf(stderr, "jotd: %s\n", err);
            } else if (jotd_keys_signing_at(store, at, signer) != 0 || strcmp(signer, kid) != 0) {
                /* The promise is that this key signs from `at`: say so if
                 * another key in the store would (a newer one activating
                 * at the same time cannot, keys are ordered by insertion). */
                fprintf(stderr, "jotd: key %s was added but key %s signs at that time; see jotd keys list\n", kid,
                        signer);
            } else {
                time_t t = (time_t)at;
                struct tm tm;
                char when[32];
                gmtime_r(&t, &tm);
                strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
                printf("added key %s (%s), published now, signing from %s\n", kid, cfg->alg, when);
                rc = 0;
            }
            jot_wipe(master, sizeof master);
        }
    }
    jotd_store_close(store);
    return rc;
}
