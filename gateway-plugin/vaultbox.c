/*
 * vaultbox — the Kannel box of smsvault, main: reads [box] of smsvault.conf
 * (with the store's and core's keys), applies pending migrations, starts the
 * roles in order (workers, acker, sender), runs the bearerbox connection in
 * the main thread until the box stops, and then stops the roles in the order
 * that lets each finish its work: the workers ack what they committed and
 * the acker its reports while the connection is still open. The roles and
 * their threads are described in vaultbox_int.h.
 *
 * Under systemd (issue 13) it says STOPPING=1 on the way out (bb_conn.c says
 * READY=1 once connected); box_service.h reloads on SIGHUP and pings the
 * watchdog while the reader keeps turning.
 *
 * Nothing is lost when bearerbox or PostgreSQL go away: an MO is acked only
 * after its commit, so bearerbox re-sends it; a store failure rolls back and
 * is retried with back-off. This file does none of that work itself: it is
 * configuration, logging into Kannel's log, signals and the start/stop order.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vaultbox_int.h"

#include "alloc.h"
#include "box_service.h"
#include "config.h"
#include "log.h"
#include "notify.h"

/* ---- configuration: [box] of smsvault.conf, plus the store's and core's keys ---- */

static const struct config_key box_keys[] = {
    { "box", "bearerbox_host", CONFIG_STRING, "127.0.0.1", 0, 0, offsetof(struct box_config, bearerbox_host),
      "bearerbox host (its smsbox-port)" },
    { "box", "bearerbox_port", CONFIG_INT, "13001", 1, 65535, offsetof(struct box_config, bearerbox_port),
      "bearerbox smsbox-port" },
    { "box", "box_id", CONFIG_STRING, "vaultbox", 0, 0, offsetof(struct box_config, box_id),
      "box id sent to bearerbox; kannel.conf routes the short code to it (smsbox-route)" },
    { "box", "sender", CONFIG_STRING, "10659", 0, 0, offsetof(struct box_config, sender),
      "the service short code: sender of every reply (at most 20 characters)" },
    { "box", "workers", CONFIG_INT, "16", 1, 64, offsetof(struct box_config, workers),
      "worker threads (each one database connection); one phone always uses the same worker" },
    { "box", "batch_max", CONFIG_INT, "64", 1, 1000, offsetof(struct box_config, batch_max),
      "at most this many MO share one commit (each in its own savepoint)" },
    { "box", "batches_at_once", CONFIG_INT, "4", 1, 64, offsetof(struct box_config, batches_at_once),
      "at most this many workers run a batch at once (password commands aside); the others gather "
      "their MOs meanwhile, so load makes fewer, bigger commits" },
    { "box", "window", CONFIG_INT, "200", 1, 10000, offsetof(struct box_config, window),
      "MT written to bearerbox and not yet acked, at most" },
    { "box", "dlr_mask", CONFIG_INT, "3", 0, 31, offsetof(struct box_config, dlr_mask),
      "delivery reports asked for each MT (1 delivered, 2 failed, 8/16 SMSC ack/nack)" },
    { "box", "retry_delay", CONFIG_INT, "5", 1, 3600, offsetof(struct box_config, retry_delay_s),
      "seconds before an MT bearerbox refused for now (ack_failed_tmp) is sent again" },
    { "box", "instance_grace", CONFIG_INT, "15", 2, 3600, offsetof(struct box_config, instance_grace_s),
      "seconds after which the replies a vaultbox left in flight are sent again, once it is gone "
      "(its database session ended); a live one's are never taken" },
    { "box", "report_wait", CONFIG_INT, "172800", 0, 31536000, offsetof(struct box_config, report_wait_s),
      "seconds an accepted MT waits for its delivery report before it counts as sent (no report "
      "came); a later report still counts; 0: waits for ever" },
    { "box", "password_checks", CONFIG_INT, "1", 1, 64, offsetof(struct box_config, password_checks),
      "REG / LOGIN / PASS run at most this many at a time (argon2id needs 12 MiB each)" },
    { "box", "migrate", CONFIG_BOOL, "yes", 0, 0, offsetof(struct box_config, migrate),
      "apply pending database migrations at start" },
    { "box", "log_level", CONFIG_STRING, "info", 0, 0, offsetof(struct box_config, log_level),
      "debug, info, warn or error" },
    { "box", "log_file", CONFIG_STRING, "", 0, 0, offsetof(struct box_config, log_file),
      "write the log to this file too (reopened on SIGHUP; stderr then gets errors only); "
      "empty: stderr only, the journal under systemd" },
    { "box", "metrics_port", CONFIG_INT, "0", 0, 65535, offsetof(struct box_config, metrics_port),
      "serve GET /metrics (Prometheus) on 127.0.0.1 at this port; 0: off" },
    { "box", "metrics_db_interval", CONFIG_INT, "15", 0, 86400,
      offsetof(struct box_config, metrics_db_interval_s),
      "seconds between reads of the database gauges (users, space, outbox) for /metrics; 0: none "
      "(with several vaultbox on one database, one reading them is enough)" },
};
static const char *config_path;   /* NULL: defaults */

struct vaultbox_settings settings;

/* ---- logging into Kannel's log ---- */

static void kannel_sink(enum log_level level, const char *line, void *ctx)
{
    switch (level) {
    case LOG_DEBUG: debug("vaultbox", 0, "%s", line); break;
    case LOG_INFO: info(0, "%s", line); break;
    case LOG_WARN: warning(0, "%s", line); break;
    default: error(0, "%s", line); break;
    }
}

/* box_service's SIGHUP: the file read again, of which only log_level applies */
static int reread_log_level(enum log_level *level, char *err, size_t errlen)
{
    struct box_config nb = { 0 };
    struct core_config nc = { 0 };
    struct store_config ns = { 0 };
    struct config_part parts[] = {
        { box_keys, sizeof box_keys / sizeof box_keys[0], &nb },
        { core_config_keys, core_config_nkeys, &nc },
        { store_config_keys, store_config_nkeys, &ns },
    };
    int rc = config_load(config_path, parts, 3, config_smsvault_sections, err, errlen) == CONFIG_OK ? 0 : -1;
    if (rc == 0 && !log_level_parse(nb.log_level, level)) {
        snprintf(err, errlen, "[box] log_level: expected debug, info, warn or error");
        rc = -1;
    }
    config_free(parts, 3);
    return rc;
}

static void on_signal(int sig)
{
    program_status = shutting_down;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: vaultbox [--config smsvault.conf] [--check-config] [--ready-file PATH]\n"
               "                [--exit-on-bearerbox-shutdown]\n"
               "  Reads [box], [database], [quota], [login] of smsvault.conf (default:\n"
               "  $SMSVAULT_CONF, else ./smsvault.conf; without a file: defaults, and the\n"
               "  database from $SMSVAULT_PGURI). --ready-file is created once the box\n"
               "  is connected to bearerbox (for scripts that wait for it). When bearerbox\n"
               "  shuts down or restarts, vaultbox acks what it holds, closes the connection\n"
               "  and connects again with back-off (MOs wait in bearerbox meanwhile);\n"
               "  --exit-on-bearerbox-shutdown makes it exit instead, as Kannel's smsbox does.\n");
}

int main(int argc, char **argv)
{
    static const struct option long_options[] = {
        { "config", required_argument, NULL, 'c' }, { "check-config", no_argument, NULL, 'C' },
        { "ready-file", required_argument, NULL, 'r' }, { "help", no_argument, NULL, 'h' },
        { "exit-on-bearerbox-shutdown", no_argument, NULL, 'x' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = getenv("SMSVAULT_CONF");
    bool check_only = false;
    int opt, rc = 0;

    while ((opt = getopt_long(argc, argv, "c:Cr:h", long_options, NULL)) != -1) {
        switch (opt) {
        case 'r': settings.ready_file = optarg; break;
        case 'x': settings.exit_on_bearerbox_shutdown = true; break;
        case 'c': path = optarg; break;
        case 'C': check_only = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (path == NULL && access("smsvault.conf", R_OK) == 0)
        path = "smsvault.conf";
    struct config_part parts[] = {
        { box_keys, sizeof box_keys / sizeof box_keys[0], &settings.box },
        { core_config_keys, core_config_nkeys, &settings.core },
        { store_config_keys, store_config_nkeys, &settings.store },
    };
    char err[600];
    if (config_load(path, parts, 3, config_smsvault_sections, err, sizeof err) != CONFIG_OK) {
        fprintf(stderr, "vaultbox: %s\n", err);
        return 2;
    }
    if (path == NULL && getenv("SMSVAULT_PGURI")) {
        free(settings.store.conninfo);
        settings.store.conninfo = xstrdup(getenv("SMSVAULT_PGURI"));
    }
    config_path = path;
    enum log_level level;
    if (!log_level_parse(settings.box.log_level, &level)) {
        fprintf(stderr, "vaultbox: %s: [box] log-level: expected debug, info, warn or error\n",
                path ? path : "(defaults)");
        rc = 2;
        goto out_config;
    }
    if (strlen(settings.box.sender) == 0 || strlen(settings.box.sender) > 20 ||
        strlen(settings.box.box_id) == 0) {
        fprintf(stderr, "vaultbox: %s: [box] sender must be 1-20 characters, box-id not empty\n",
                path ? path : "(defaults)");
        rc = 2;
        goto out_config;
    }
    if (!core_config_check(&settings.core, err, sizeof err)) {
        fprintf(stderr, "vaultbox: %s: %s\n", path ? path : "(defaults)", err);
        rc = 2;
        goto out_config;
    }
    if (check_only) {
        printf("# %s\n", path ? path : "(defaults)");
        config_print(parts, 3);
        goto out_config;
    }

    if (store_config_resolve(&settings.store, err, sizeof err) != 0) {
        fprintf(stderr, "vaultbox: %s\n", err);
        rc = 2;
        goto out_config;
    }

    if (getenv("SMSVAULT_TEST_DIE_AFTER_COMMIT"))
        settings.die_after_commit = atol(getenv("SMSVAULT_TEST_DIE_AFTER_COMMIT"));
    if (getenv("SMSVAULT_TEST_LOSE_CLAIM"))
        settings.lose_claim = atol(getenv("SMSVAULT_TEST_LOSE_CLAIM"));
    if (getenv("SMSVAULT_TEST_ROLLBACK_BATCH"))
        settings.rollback_batch = atol(getenv("SMSVAULT_TEST_ROLLBACK_BATCH"));
    if (getenv("SMSVAULT_TEST_LOSE_COMMIT"))
        settings.lose_commit = atol(getenv("SMSVAULT_TEST_LOSE_COMMIT"));
    bool to_file = settings.box.log_file[0] != '\0';
    notify_block_sighup();   /* before any thread: SIGHUP waits for box_service */
    gwlib_init();
    box_service_set_levels(level, to_file);
    if (to_file && log_open(settings.box.log_file, box_service_gw_level(level), GW_NON_EXCL) < 0) {
        rc = 1;
        goto out_gw;
    }
    log_set_sink(kannel_sink, NULL);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);

    if (settings.box.migrate) {
        struct store *s = box_store_open("main");
        if (s == NULL || store_migrate(s) != STORE_OK) {
            log_error("vaultbox: migrations failed");
            store_free(s);
            rc = 1;
            goto out_gw;
        }
        store_free(s);
    }
    box_metrics_init();
    if (!box_metrics_start(err, sizeof err)) {
        log_error("vaultbox: %s", err);
        box_metrics_stop();
        rc = 1;
        goto out_gw;
    }
    bb_init();
    workers_start();
    acker_start();
    sender_start();
    long service = box_service_start(reread_log_level, to_file);
    log_info("vaultbox: started box_id=%s instance=%s workers=%lld sender=%s", settings.box.box_id,
             sender_instance(), settings.box.workers, settings.box.sender);

    bb_run();

    notify_send("STOPPING=1");
    log_info("vaultbox: stopping");
    workers_stop();   /* they ack what they committed: the connection is still open */
    acker_stop();
    sender_stop();
    gwthread_join(service);
    box_metrics_stop();
    bb_cleanup();
    if (settings.ready_file)
        unlink(settings.ready_file);
    log_info("vaultbox: stopped");
out_gw:
    log_set_sink(NULL, NULL);
    gwlib_shutdown();
out_config:
    config_free(parts, 3);
    return rc;
}
