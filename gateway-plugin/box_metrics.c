/*
 * box_metrics — what vaultbox counts for Prometheus (issue 13, "Watching
 * it"), its `GET /metrics` on 127.0.0.1:[box] metrics_port, and the poller
 * that reads the database-wide gauges every [box] metrics_db_interval
 * seconds. Only what the box alone knows: MO received and how each ended,
 * MT by kind through queued / submitted / delivered / failed, commands by
 * name and outcome, transaction retries, bearerbox (re)connections, and,
 * through the store, database reconnects and space growth. What bearerbox's
 * status page already gives Kannel's exporters (its queues, SMSC links,
 * this box's connection as bearerbox sees it) is not repeated.
 *
 * Everything is counted after the commit that made it true, so a rolled-back
 * attempt that runs again is counted once. The database gauges come from one
 * cheap statement (store_gauges_get: one scan of users, index counts of the
 * outbox) in a gwthread of its own with its own connection, never on the
 * scrape; with several vaultbox processes on one database each reports the
 * same figures (take max() of them, or give the others metrics_db_interval
 * = 0). It does not serve HTTP itself (common/metrics_http) nor decide
 * anything about messages.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vaultbox_int.h"

#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "refusals.h"

static struct metrics *reg;
static struct metrics_http *http;
static long poller = -1;

static struct {
    struct metric *mo_received, *mo_applied, *mo_duplicates, *mo_gave_up;
    struct metric *mt[BOX_MT_STAGES];
    struct metric *commands, *login_failures, *tx_retries;
    struct metric *bb_connected, *bb_reconnects;
    struct metric *users, *allocated, *used, *capacity, *outbox, *oldest_queued, *db_read_at;
} m;

static const char *const roles[] = { "worker", "acker", "other", NULL };
static const char *const outbox_states[] = { "queued", "sending", "submitted", NULL };
static const char *const login_reasons[] = { "denied", "throttled", NULL };
static const char *const channels[] = { "sms", NULL };

void box_metrics_init(void)
{
    static const struct metric_label kind[] = { { "kind", store_mt_purpose_names } };
    static const struct metric_label command[] = { { "command", core_command_names },
                                                   { "result", core_outcome_names } };
    static const struct metric_label role[] = { { "role", roles } };
    static const struct metric_label state[] = { { "state", outbox_states } };
    static const struct metric_label login[] = { { "channel", channels }, { "reason", login_reasons } };
    static const char *const mt_names[BOX_MT_STAGES][2] = {
        { "smsvault_mt_queued_total", "MT queued in the outbox (committed), by kind." },
        { "smsvault_mt_submitted_total", "MT bearerbox accepted (ack success or buffered), by kind." },
        { "smsvault_mt_delivered_total", "MT a delivery report said were delivered, by kind." },
        { "smsvault_mt_failed_total", "MT that failed for good (refused by bearerbox, or a failure report), by kind." },
        { "smsvault_mt_unreported_total",
          "MT accepted whose delivery report did not come within [box] report_wait: counted as sent, by kind." },
    };
    reg = metrics_new();
    metrics_declare_process(reg, "vaultbox", SMSVAULT_VERSION);
    m.mo_received = metrics_counter(reg, "smsvault_mo_received_total", "MO bearerbox handed to this box.", NULL,
                                    0, 0);
    m.mo_applied = metrics_counter(reg, "smsvault_mo_applied_total",
                                   "MO run and committed, then acked (each once).", NULL, 0, 0);
    m.mo_duplicates = metrics_counter(reg, "smsvault_mo_duplicates_total",
                                      "MO bearerbox sent again after they were applied: acked, not run again.",
                                      NULL, 0, 0);
    m.mo_gave_up = metrics_counter(reg, "smsvault_mo_gave_up_total",
                                   "MO the database refused three times: recorded as seen and acked, not run.",
                                   NULL, 0, 0);
    for (int i = 0; i < BOX_MT_STAGES; i++)
        m.mt[i] = metrics_counter(reg, mt_names[i][0], mt_names[i][1], kind, 1, 0);
    m.commands = metrics_counter(reg, "smsvault_commands_total",
                                 "SMS commands run and committed, by command and what they came to.", command, 2,
                                 METRIC_SPARSE);
    m.login_failures = metrics_counter(reg, "smsvault_login_failures_total",
                                       "LOGIN refused: a wrong user name or password, or throttled.", login, 2, 0);
    m.tx_retries = metrics_counter(reg, "smsvault_store_tx_retries_total",
                                   "Transactions rolled back and run again (serialization, deadlock, lost "
                                   "connection), by the role that ran them.",
                                   role, 1, 0);
    m.bb_connected = metrics_gauge(reg, "smsvault_bearerbox_connected",
                                   "1 while this box is connected to bearerbox and may send.", NULL, 0, 0);
    m.bb_reconnects = metrics_counter(reg, "smsvault_bearerbox_reconnects_total",
                                      "Connections to bearerbox made again after one was lost or closed.", NULL, 0, 0);
    store_metrics_declare(reg);
    refusals_declare_metrics(reg);   /* SMS LOGIN / PASS of a throttled name */
    if (settings.box.metrics_port > 0 && settings.box.metrics_db_interval_s > 0) {
        m.users = metrics_gauge(reg, "smsvault_users", "Accounts in the database.", NULL, 0, 0);
        m.allocated = metrics_gauge(reg, "smsvault_space_allocated_bytes",
                                    "Space allocated to all users together.", NULL, 0, 0);
        m.used = metrics_gauge(reg, "smsvault_space_used_bytes", "Space the users' items take.", NULL, 0, 0);
        m.capacity = metrics_gauge(reg, "smsvault_space_capacity_bytes",
                                   "The server's capacity: allocations never add up to more ([quota] capacity).",
                                   NULL, 0, 0);
        m.outbox = metrics_gauge(reg, "smsvault_outbox_messages",
                                 "MT on their way: queued, written to bearerbox (sending), or awaiting a "
                                 "delivery report (submitted).",
                                 state, 1, 0);
        m.oldest_queued = metrics_gauge(reg, "smsvault_outbox_oldest_queued_age_seconds",
                                        "Age of the oldest queued MT; 0 when none waits.", NULL, 0, 0);
        m.db_read_at = metrics_gauge(reg, "smsvault_db_stats_timestamp_seconds",
                                     "When the database gauges were last read (Unix time); 0: not yet.", NULL, 0, 0);
    }
}

/* ---- counting ---- */

void box_count_mo_received(void)
{
    metric_inc(m.mo_received, 0);
}

void box_count_mo_end(enum box_mo_end end)
{
    metric_inc(end == BOX_MO_APPLIED ? m.mo_applied : end == BOX_MO_DUPLICATE ? m.mo_duplicates : m.mo_gave_up, 0);
}

void box_count_command(const char *cmd, enum core_outcome outcome)
{
    long c = metric_value_index(m.commands, 0, cmd);
    if (c < 0)
        c = metric_value_index(m.commands, 0, "unknown");
    size_t v[] = { (size_t)c, (size_t)outcome };
    metric_inc(m.commands, metric_series(m.commands, v));
    if (strcmp(cmd, "LOGIN") == 0 && (outcome == CORE_OUT_DENIED || outcome == CORE_OUT_THROTTLED)) {
        size_t w[] = { 0, outcome == CORE_OUT_THROTTLED ? 1 : 0 };
        metric_inc(m.login_failures, metric_series(m.login_failures, w));
    }
}

void box_count_mt(enum box_mt_stage stage, enum store_mt_purpose kind, size_t n)
{
    if (n > 0 && (unsigned)kind < STORE_MT_PURPOSES)
        metric_add(m.mt[stage], (size_t)kind, n);
}

void box_count_tx_retry(const char *role)
{
    long r = metric_value_index(m.tx_retries, 0, role);
    metric_inc(m.tx_retries, (size_t)(r >= 0 ? r : 2));
}

void box_count_bearerbox(bool connected)
{
    static bool ever;   /* the reader thread only */
    if (connected && ever)
        metric_inc(m.bb_reconnects, 0);
    if (connected)
        ever = true;
    metric_set(m.bb_connected, 0, connected ? 1 : 0);
}

/* ---- the database poller ---- */

static void poller_main(void *arg)
{
    struct store *s = NULL;
    bool failing = false;
    while (!box_stopping()) {
        if (s == NULL)
            s = box_store_open("metrics");
        if (s == NULL)
            break;   /* stopping */
        struct store_gauges g;
        enum store_result r = store_gauges_get(s, &g);
        if (r == STORE_OK) {
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            metric_set(m.users, 0, (double)g.users);
            metric_set(m.allocated, 0, (double)g.allocated_bytes);
            metric_set(m.used, 0, (double)g.used_bytes);
            metric_set(m.capacity, 0, (double)g.capacity_bytes);
            metric_set(m.outbox, 0, (double)g.outbox_queued);
            metric_set(m.outbox, 1, (double)g.outbox_sending);
            metric_set(m.outbox, 2, (double)g.outbox_submitted);
            metric_set(m.oldest_queued, 0, g.oldest_queued_age_s);
            metric_set(m.db_read_at, 0, (double)now.tv_sec);
            failing = false;
        } else {
            if (!failing)
                log_warn("vaultbox: metrics-db-read-failed result=%s", store_result_name(r));
            failing = true;
            store_ping(s);
        }
        box_nap((double)settings.box.metrics_db_interval_s);
    }
    store_free(s);
}

bool box_metrics_start(char *err, size_t errlen)
{
    if (settings.box.metrics_port == 0)
        return true;   /* counted all the same (a few atomics), served to nobody */
    http = metrics_http_start(reg, (unsigned)settings.box.metrics_port, err, errlen);
    if (http == NULL)
        return false;
    log_info("vaultbox: metrics http://127.0.0.1:%lld/metrics db_interval_s=%lld", settings.box.metrics_port,
             settings.box.metrics_db_interval_s);
    if (settings.box.metrics_db_interval_s > 0)
        poller = gwthread_create(poller_main, NULL);
    return true;
}

void box_metrics_stop(void)
{
    if (poller >= 0)
        gwthread_join(poller);
    poller = -1;
    metrics_http_stop(http);
    http = NULL;
    store_metrics_declare(NULL);
    refusals_declare_metrics(NULL);
    metrics_free(reg);
    reg = NULL;
    memset(&m, 0, sizeof m);   /* counting from now on counts into nothing */
}
