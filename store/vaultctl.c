/*
 * vaultctl — the operator's command line for the store: apply migrations,
 * create and list users, check space accounting (fsck), print stats, and
 * export or import a user's whole archive (archive/, the page's own code).
 * It is a thin shell over store.h; it never speaks SQL itself.
 *
 *   vaultctl [--config FILE] migrate
 *   vaultctl [--config FILE] user add <name> [en|zh]   (password: first line of stdin)
 *   vaultctl [--config FILE] user list
 *   vaultctl [--config FILE] fsck [--repair]
 *   vaultctl [--config FILE] stats
 *   vaultctl [--config FILE] export <user> <file>   (and <file>.vcf)
 *   vaultctl [--config FILE] import <user> <file>   (and <file>.vcf, if there)
 *   vaultctl [--config FILE] --check-config
 *
 * The environment variable SMSVAULT_PGURI, when set, replaces [database]
 * conninfo (handy for scripts and tests). A conninfo "@NAME" is read from
 * the credential NAME in $CREDENTIALS_DIRECTORY (credential.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "config.h"
#include "log.h"
#include "store.h"
#include "vaultctl_archive.h"
#include "vaultctl_status.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: vaultctl [--config FILE] COMMAND\n"
            "  migrate                 apply the schema migrations not yet applied\n"
            "  user add NAME [en|zh]   create an account; the password is read from stdin\n"
            "  user list               list the accounts\n"
            "  fsck [--repair]         compare each user's used bytes with its items\n"
            "  stats                   counts, space and outbox states\n"
            "  export USER FILE        USER's SMS and MMS to FILE (SMS Backup & Restore XML)\n"
            "                          and contacts to FILE.vcf (vCard), as the page exports\n"
            "  import USER FILE        FILE (and FILE.vcf, if there) into USER's archive;\n"
            "                          what is there already is not added again\n"
            "  status [--metrics HOST:PORT]...\n"
            "                          users, space and the outbox at a glance, and each\n"
            "                          daemon's /metrics (its [box]/[web] metrics_port)\n"
            "  --check-config          print the configuration and exit\n"
            "SMSVAULT_PGURI in the environment overrides [database] conninfo; a conninfo\n"
            "@NAME is read from $CREDENTIALS_DIRECTORY/NAME (systemd's LoadCredential=).\n");
}

static int fail(const char *what, enum store_result rc)
{
    fprintf(stderr, "vaultctl: %s: %s\n", what, store_result_name(rc));
    return 1;
}

static int cmd_migrate(struct store *s)
{
    enum store_result rc = store_migrate(s);
    if (rc != STORE_OK)
        return fail("migrate", rc);
    int v = 0;
    if ((rc = store_schema_version(s, &v)) != STORE_OK)
        return fail("schema version", rc);
    printf("schema version %d\n", v);
    return 0;
}

static int cmd_user_add(struct store *s, const char *name, const char *lang)
{
    char line[1024];
    if (fgets(line, sizeof line, stdin) == NULL) {
        fprintf(stderr, "vaultctl: user add: no password on stdin\n");
        return 1;
    }
    line[strcspn(line, "\r\n")] = '\0';
    char id[STORE_ID_LEN];
    enum store_result rc = store_user_create(s, name, line, lang, id);
    memset(line, 0, sizeof line);
    if (rc == STORE_INVALID) {
        fprintf(stderr, "vaultctl: user add: username must be %d-%d of A-Z a-z 0-9 _ . - starting with a "
                        "letter or digit; password %d-%d bytes; language en or zh\n",
                LIMIT_USERNAME_MIN, LIMIT_USERNAME_MAX, LIMIT_PASSWORD_MIN, LIMIT_PASSWORD_MAX);
        return 1;
    }
    if (rc == STORE_CONFLICT) {
        fprintf(stderr, "vaultctl: user add: username taken\n");
        return 1;
    }
    if (rc != STORE_OK)
        return fail("user add", rc);
    printf("%s %s\n", id, name);
    return 0;
}

static int cmd_user_list(struct store *s)
{
    struct store_user *v = NULL;
    size_t n = 0;
    enum store_result rc = store_user_list(s, &v, &n);
    if (rc != STORE_OK)
        return fail("user list", rc);
    printf("%-36s  %-32s  %-4s  %14s  %14s  %s\n", "id", "username", "lang", "used", "allocated", "created");
    for (size_t i = 0; i < n; i++) {
        char when[32];
        struct tm tm;
        gmtime_r(&v[i].created_at, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        printf("%-36s  %-32s  %-4s  %14lld  %14lld  %s\n", v[i].id, v[i].username, v[i].lang,
               v[i].used_bytes, v[i].allocated_bytes, when);
    }
    store_user_list_free(v, n);
    return 0;
}

static int cmd_fsck(struct store *s, bool repair)
{
    struct store_fsck_row *rows = NULL;
    size_t n = 0;
    enum store_result rc = store_fsck(s, repair, &rows, &n);
    if (rc != STORE_OK)
        return fail("fsck", rc);
    for (size_t i = 0; i < n; i++)
        printf("%s %s recorded=%lld actual=%lld%s\n", rows[i].user_id, rows[i].username,
               rows[i].recorded_bytes, rows[i].actual_bytes, repair ? " repaired" : "");
    printf("fsck: %zu user(s) %s\n", n, n == 0 ? "differ: none, all consistent" : repair ? "repaired" : "differ");
    store_fsck_rows_free(rows, n);
    return n > 0 && !repair ? 1 : 0;
}

static int cmd_stats(struct store *s)
{
    struct store_stats st;
    enum store_result rc = store_stats_get(s, &st);
    if (rc != STORE_OK)
        return fail("stats", rc);
    printf("users %lld\nphones %lld\nsms %lld\nmms %lld\ncontacts %lld\n"
           "allocated_bytes %lld\nused_bytes %lld\ncapacity_bytes %lld\n"
           "outbox_queued %lld\noutbox_sending %lld\noutbox_submitted %lld\n"
           "outbox_delivered %lld\noutbox_failed %lld\noutbox_sent %lld\n",
           st.users, st.phones, st.sms, st.mms, st.contacts, st.allocated_bytes, st.used_bytes,
           st.capacity_bytes, st.outbox_queued, st.outbox_sending, st.outbox_submitted,
           st.outbox_delivered, st.outbox_failed, st.outbox_sent);
    return 0;
}

/* status's arguments: pairs of --metrics HOST:PORT (cmd is argv[-1]). */
static bool status_args_ok(int n, char **args)
{
    if (strcmp(args[-1], "status") != 0 || n % 2 != 0)
        return false;
    for (int k = 0; k < n; k += 2)
        if (strcmp(args[k], "--metrics") != 0 || strchr(args[k + 1], ':') == NULL)
            return false;
    return true;
}

static int cmd_status(struct store *s, int n, char **args)
{
    const char *endpoints[32];
    size_t count = 0;
    for (int k = 1; k < n && count < sizeof endpoints / sizeof endpoints[0]; k += 2)
        endpoints[count++] = args[k];
    return vaultctl_status(s, endpoints, count);
}

int main(int argc, char **argv)
{
    const char *config_path = NULL;
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "--config") == 0) {
        config_path = argv[i + 1];
        i += 2;
    }
    if (i >= argc) {
        usage();
        return 2;
    }
    struct store_config cfg = { 0 };
    struct config_part part = { store_config_keys, store_config_nkeys, &cfg };
    char err[800];
    if (config_load(config_path, &part, 1, config_smsvault_sections, err, sizeof err) != CONFIG_OK) {
        fprintf(stderr, "vaultctl: %s\n", err);
        config_free(&part, 1);
        return 2;
    }
    const char *env = getenv("SMSVAULT_PGURI");
    if (env && env[0]) {
        free(cfg.conninfo);
        cfg.conninfo = xstrdup(env);
    }
    int status = 2;
    struct store *s = NULL;
    const char *cmd = argv[i];
    if (strcmp(cmd, "--check-config") == 0) {
        config_print(&part, 1);
        status = 0;
        goto out;
    }
    if (store_config_resolve(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "vaultctl: %s\n", err);
        goto out;
    }
    bool known = (strcmp(cmd, "migrate") == 0 && argc == i + 1) ||
                 (strcmp(cmd, "user") == 0 && i + 1 < argc &&
                  ((strcmp(argv[i + 1], "add") == 0 && (argc == i + 3 || argc == i + 4)) ||
                   (strcmp(argv[i + 1], "list") == 0 && argc == i + 2))) ||
                 (strcmp(cmd, "fsck") == 0 && (argc == i + 1 ||
                  (argc == i + 2 && strcmp(argv[i + 1], "--repair") == 0))) ||
                 (strcmp(cmd, "stats") == 0 && argc == i + 1) ||
                 ((strcmp(cmd, "export") == 0 || strcmp(cmd, "import") == 0) && argc == i + 3) ||
                 status_args_ok(argc - i - 1, argv + i + 1);
    if (!known) {
        usage();
        goto out;
    }
    enum store_result rc = store_open(&cfg, &s);
    if (rc != STORE_OK) {
        status = fail("connect", rc);
        goto out;
    }
    if (strcmp(cmd, "migrate") == 0)
        status = cmd_migrate(s);
    else if (strcmp(cmd, "user") == 0 && strcmp(argv[i + 1], "add") == 0)
        status = cmd_user_add(s, argv[i + 2], argc == i + 4 ? argv[i + 3] : "en");
    else if (strcmp(cmd, "user") == 0)
        status = cmd_user_list(s);
    else if (strcmp(cmd, "fsck") == 0)
        status = cmd_fsck(s, argc == i + 2);
    else if (strcmp(cmd, "stats") == 0)
        status = cmd_stats(s);
    else if (strcmp(cmd, "export") == 0)
        status = vaultctl_export(s, argv[i + 1], argv[i + 2]);
    else if (strcmp(cmd, "import") == 0)
        status = vaultctl_import(s, argv[i + 1], argv[i + 2]);
    else
        status = cmd_status(s, argc - i - 1, argv + i + 1);
out:
    store_free(s);
    config_free(&part, 1);
    return status;
}
