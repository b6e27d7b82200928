/*
 * vaultbox — the Kannel box of smsvault: the adapter between bearerbox's box
 * protocol and the SMS command engine (core/) on PostgreSQL (store/).
 *
 * Threads (all gwthreads, so gwlib may poll in any of them):
 *   main     connects to bearerbox's smsbox port (identify with box id,
 *            TCP_NODELAY), reads every message and hands it on: MO to the
 *            worker chosen by a hash of the sender, MT acks and delivery
 *            reports to the acker. Reconnects with back-off.
 *   workers  one store connection and one core each. A worker takes what
 *            is queued (up to batch_max MO), opens one transaction and runs
 *            every MO in a savepoint of its own: store_mo_seen(uuid) (a
 *            re-delivered MO is acked without running again), core_handle
 *            (which queues the replies in the outbox). The MOs are acked
 *            only after COMMIT. One phone always lands on the same worker,
 *            so its commands run in order; different phones run in parallel.
 *   sender   claims queued outbox rows (store_outbox_claim) and writes them
 *            as MT (mt_reply, boxc_id, dlr_mask, outbox id in dlr_url);
 *            LISTEN/NOTIFY wakes it for rows others wrote (web page, codes).
 *            Each process start is one outbox instance with a random id,
 *            whose lease the sender holds and renews on its own connection
 *            (store_outbox_hold): several vaultbox processes with the same
 *            box id share the outbox, and the rows this one left SENDING on
 *            a lost bearerbox connection — only its own — are requeued before
 *            anything else is written on a new one. At start and every few
 *            seconds it requeues the rows of instances that are gone
 *            (store_outbox_requeue_orphans: a killed vaultbox's replies).
 *   acker    applies bearerbox's MT acks (submitted / failed / retry) and
 *            delivery reports (delivered / failed) in batched transactions,
 *            and acks the reports after commit.
 *
 * Under systemd (issue 13) it says READY=1 once connected to bearerbox and
 * STOPPING=1 on the way out; box_service.h reloads on SIGHUP and pings the
 * watchdog while the main thread keeps turning.
 *
 * Nothing is lost when bearerbox or PostgreSQL go away: an MO is acked only
 * after its commit, so bearerbox re-sends it; a store failure rolls back and
 * is retried with back-off. It does not parse commands (core/) nor speak
 * SQL (store/); it is the only place that sees Kannel types.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gwlib/gwlib.h"
#include "gw/msg.h"
#include "gw/shared.h"
#include "gw/sms.h"
#include "gw/dlr.h"
/* gwmem.h forbids malloc/free by macro; memory from common/ and store/ is
 * plain libc memory and is freed with plain free(). */
#undef malloc
#undef calloc
#undef realloc
#undef free
#undef strdup

#include "alloc.h"
#include "box_service.h"
#include "config.h"
#include "core.h"
#include "core_mo.h"
#include "log.h"
#include "notify.h"
#include "smstext.h"
#include "store.h"

/* ---- configuration: [box] of smsvault.conf, plus the store's and core's keys ---- */

struct box_config {
    char *bearerbox_host;
    long long bearerbox_port;
    char *box_id;
    char *sender;
    long long workers;
    long long batch_max;
    long long window;
    long long dlr_mask;
    long long retry_delay_s;
    long long instance_grace_s;
    long long password_checks;
    bool migrate;
    char *log_level;
    char *log_file;
};

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
    { "box", "window", CONFIG_INT, "200", 1, 10000, offsetof(struct box_config, window),
      "MT written to bearerbox and not yet acked, at most" },
    { "box", "dlr_mask", CONFIG_INT, "3", 0, 31, offsetof(struct box_config, dlr_mask),
      "delivery reports asked for each MT (1 delivered, 2 failed, 8/16 SMSC ack/nack)" },
    { "box", "retry_delay", CONFIG_INT, "5", 1, 3600, offsetof(struct box_config, retry_delay_s),
      "seconds before an MT bearerbox refused for now (ack_failed_tmp) is sent again" },
    { "box", "instance_grace", CONFIG_INT, "15", 2, 3600, offsetof(struct box_config, instance_grace_s),
      "seconds after which the replies a vaultbox left in flight are sent again, once it is gone "
      "(its database session ended); a live one's are never taken" },
    { "box", "password_checks", CONFIG_INT, "1", 1, 64, offsetof(struct box_config, password_checks),
      "REG / LOGIN / PASS run at most this many at a time (argon2id needs 12 MiB each)" },
    { "box", "migrate", CONFIG_BOOL, "yes", 0, 0, offsetof(struct box_config, migrate),
      "apply pending database migrations at start" },
    { "box", "log_level", CONFIG_STRING, "info", 0, 0, offsetof(struct box_config, log_level),
      "debug, info, warn or error" },
    { "box", "log_file", CONFIG_STRING, "", 0, 0, offsetof(struct box_config, log_file),
      "write the log to this file too (reopened on SIGHUP; stderr then gets errors only); "
      "empty: stderr only, the journal under systemd" },
};
static const char *const box_other_sections[] = { "web", "ctl", "vaultctl", "vaultweb", NULL };
static const char *config_path;   /* NULL: defaults */

static struct box_config cfg;

/* Test hook (tests/e2e): SMSVAULT_TEST_DIE_AFTER_COMMIT=n makes the n-th
 * committed batch end the process before its MOs are acked — the window in
 * which bearerbox re-sends an MO that was already applied. */
static long die_after_commit;
static const char *ready_file;   /* --ready-file: created once connected to bearerbox */
static atomic_long commits;
static struct core_config core_cfg;
static char instance[STORE_ID_LEN];   /* this process start's outbox instance id */
static struct store_config store_cfg;

/* ---- the bearerbox connection, shared; every write goes through bb_write ---- */

static Mutex *bb_lock;
static Semaphore *hash_slots;          /* password checks at once (argon2id memory) */
static Connection *bb_conn;
static atomic_uint bb_gen;            /* 0: not connected; +1 for every new connection */
static atomic_int mt_inflight;         /* MT written, ack not yet seen */
static Dict *mt_pending;               /* MT uuid -> long long *outbox id */

/*
 * Write msg to bearerbox if the connection is still generation gen (0: any).
 * Consumes msg on every path (write_to_bearerbox_real always destroys it,
 * and it is destroyed here when not written). Returns true when written.
 */
static bool bb_write(Msg *msg, unsigned gen)
{
    bool ok = false;
    mutex_lock(bb_lock);
    if (bb_conn != NULL && (gen == 0 || gen == atomic_load(&bb_gen))) {
        write_to_bearerbox_real(bb_conn, msg);
        msg = NULL;
        ok = conn_flush(bb_conn) != -1;
    }
    mutex_unlock(bb_lock);
    if (msg)
        msg_destroy(msg);
    return ok;
}

static void bb_ack(const Msg *m, int status, unsigned gen)
{
    Msg *a = msg_create(ack);
    a->ack.nack = status;
    a->ack.time = m->sms.time;
    uuid_copy(a->ack.id, m->sms.id);
    bb_write(a, gen);
}

/* TCP_NODELAY: without it each box write waits ~40 ms for a delayed ACK.
 * TCP_QUICKACK is re-armed after each read (Linux drops it by itself). */
static void tune_socket(Connection *conn, bool nodelay)
{
    int fd = conn_get_id(conn), on = 1;
    if (nodelay)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
}

static bool stopping(void)
{
    return program_status == shutting_down;
}

/* Sleep up to s seconds in small steps so shutdown is not delayed. */
static void nap(double s)
{
    for (double t = 0; t < s && !stopping(); t += 0.1)
        gwthread_sleep(0.1);
}

static struct store *open_store(const char *who)
{
    struct store *s = NULL;
    double backoff = 0.2;
    while (!stopping()) {
        if (store_open(&store_cfg, &s) == STORE_OK)
            return s;
        log_warn("vaultbox: database unavailable thread=%s retry_s=%.1f", who, backoff);
        nap(backoff);
        backoff = backoff < 5 ? backoff * 2 : 5;
    }
    return NULL;
}

/* ---- MO: Kannel Msg -> core_mo ---- */

struct mo_item {
    Msg *msg;
    unsigned gen;        /* connection it came on: acks go only there */
    int errors;          /* CORE_ERR seen for this MO */
    bool hashes;         /* REG / LOGIN / PASS: runs in a transaction of its own */
};

enum mo_outcome { MO_PENDING = 0, MO_DONE, MO_DUP, MO_GAVE_UP };

/* Fill mo from msg; *owned receives converted text to free. */
static void mo_from_msg(Msg *msg, struct core_mo *mo, char **owned)
{
    Octstr *udh = msg->sms.udhdata, *data = msg->sms.msgdata;
    memset(mo, 0, sizeof *mo);
    mo->msisdn = msg->sms.sender ? octstr_get_cstr(msg->sms.sender) : "";
    mo->shortcode = msg->sms.receiver ? octstr_get_cstr(msg->sms.receiver) : NULL;
    mo->at = msg->sms.time > 0 ? (time_t)msg->sms.time : time(NULL);
    core_mo_decode(msg->sms.coding == DC_8BIT   ? CORE_CODING_8BIT
                   : msg->sms.coding == DC_UCS2 ? CORE_CODING_UCS2
                                                : CORE_CODING_TEXT,
                   udh ? (const unsigned char *)octstr_get_cstr(udh) : NULL,
                   udh ? (size_t)octstr_len(udh) : 0, data ? octstr_get_cstr(data) : NULL,
                   data ? (size_t)octstr_len(data) : 0, mo, owned);
}

/* ---- workers ---- */

struct worker {
    int no;
    List *queue;         /* struct mo_item * */
    long thread;
};

static struct worker *workers;

static void uuid_text(const uuid_t id, char out[UUID_STR_LEN + 1])
{
    uuid_unparse(id, out);
}

/* One MO inside the open transaction. Returns false when the whole
 * transaction must be rolled back and retried (the store asked to). */
static bool run_one(struct store *s, struct core *core, struct mo_item *it, enum mo_outcome *out)
{
    char uuid[UUID_STR_LEN + 1];
    struct core_mo mo;
    struct core_replies rep;
    char *owned = NULL;
    enum store_result r;
    enum core_result cr;

    uuid_text(it->msg->sms.id, uuid);
    if (store_tx_savepoint(s) != STORE_OK)
        return false;
    r = store_mo_seen(s, uuid);
    if (r == STORE_CONFLICT) {
        /* bearerbox re-sent an MO we applied: ack it, do not run it again */
        store_tx_release(s);
        log_info("vaultbox: mo-duplicate uuid=%s", uuid);
        *out = MO_DUP;
        return true;
    }
    if (r != STORE_OK) {
        store_tx_rollback_to(s);
        return false;
    }
    mo_from_msg(it->msg, &mo, &owned);
    core_replies_init(&rep);
    cr = core_handle(core, s, &mo, &rep);
    log_debug("vaultbox: mo uuid=%s msisdn=%s cmd=%s result=%s replies=%zu", uuid, mo.msisdn, rep.cmd,
              core_result_name(cr), rep.count);
    core_replies_cleanup(&rep);
    free(owned);
    if (cr == CORE_OK || cr == CORE_IGNORED) {
        *out = MO_DONE;
        return store_tx_release(s) == STORE_OK;
    }
    store_tx_rollback_to(s);
    if (cr == CORE_RETRY)
        return false;
    /* CORE_ERR: the store refused this MO; try it again in a later
     * transaction, and after three failures record it as seen and move on
     * rather than block the phone's queue for ever */
    if (++it->errors >= 3) {
        log_error("vaultbox: mo-gave-up uuid=%s msisdn=%s errors=%d", uuid, mo.msisdn, it->errors);
        if (store_tx_savepoint(s) != STORE_OK)
            return false;
        if (store_mo_seen(s, uuid) != STORE_OK) {
            store_tx_rollback_to(s);
            return false;
        }
        store_tx_release(s);
        *out = MO_GAVE_UP;
    }
    return true;
}

/*
 * A password command (argon2id, 12 MiB) takes a slot of hash_slots before its
 * transaction begins and gives it back after commit: a worker never waits
 * for a slot while its transaction holds row locks another slot holder may
 * need (that would deadlock where PostgreSQL cannot see it).
 */
static void run_batch(struct store **sp, struct core *core, struct mo_item **items, size_t n)
{
    enum mo_outcome *out = xcalloc(n, sizeof *out);
    double backoff = 0.1;
    size_t left = n;
    bool slot = n == 1 && items[0]->hashes;

    if (slot)
        semaphore_down(hash_slots);
    while (left > 0) {
        struct store *s = *sp;
        bool ok = store_tx_begin(s) == STORE_OK;
        for (size_t i = 0; ok && i < n; i++)
            if (out[i] == MO_PENDING)
                ok = run_one(s, core, items[i], &out[i]);
        if (ok && store_tx_commit(s) == STORE_OK) {
            if (die_after_commit > 0 && atomic_fetch_add(&commits, 1) + 1 == die_after_commit) {
                log_warn("vaultbox: test-hook exit after commit, before ack");
                _exit(3);
            }
            left = 0;
            for (size_t i = 0; i < n; i++) {
                if (out[i] == MO_PENDING) {
                    left++;
                    continue;
                }
                if (items[i]->msg) {
                    bb_ack(items[i]->msg, ack_success, items[i]->gen);   /* after commit */
                    msg_destroy(items[i]->msg);
                    items[i]->msg = NULL;
                }
            }
            backoff = 0.1;
            continue;
        }
        /* nothing of this attempt committed */
        store_tx_rollback(s);
        for (size_t i = 0; i < n; i++)
            if (items[i]->msg)   /* not acked: run again */
                out[i] = MO_PENDING;
        if (stopping()) {
            /* not acked: bearerbox keeps them and re-sends them to the next vaultbox */
            break;
        }
        log_warn("vaultbox: batch-retry size=%zu retry_s=%.1f", n, backoff);
        nap(backoff);
        backoff = backoff < 5 ? backoff * 2 : 5;
        if (!store_ping(s)) {
            store_free(s);
            *sp = open_store("worker");
            if (*sp == NULL)
                break;
        }
    }
    if (slot)
        semaphore_up(hash_slots);
    for (size_t i = 0; i < n; i++) {
        if (items[i]->msg)
            msg_destroy(items[i]->msg);
        free(items[i]);
    }
    free(out);
}

static void worker_main(void *arg)
{
    struct worker *w = arg;
    struct store *s = open_store("worker");
    struct core *core = core_new(&core_cfg);
    struct mo_item **batch = xcalloc((size_t)cfg.batch_max, sizeof *batch);
    struct mo_item *first, *held = NULL;

    while ((first = held ? held : gwlist_consume(w->queue)) != NULL) {
        size_t n = 0;
        held = NULL;
        batch[n++] = first;
        struct mo_item *more;
        /* a password command runs alone (see run_batch): it ends a batch */
        while (!first->hashes && n < (size_t)cfg.batch_max &&
               (more = gwlist_extract_first(w->queue)) != NULL) {
            if (more->hashes) {
                held = more;
                break;
            }
            batch[n++] = more;
        }
        if (s == NULL) {
            for (size_t i = 0; i < n; i++) {   /* shutting down before the database came */
                msg_destroy(batch[i]->msg);
                free(batch[i]);
            }
            continue;
        }
        run_batch(&s, core, batch, n);
    }
    free(batch);
    core_free(core);
    store_free(s);
}

/* ---- acker: MT acks and delivery reports ---- */

enum ack_kind { EV_MT_ACK, EV_DLR };

struct ack_event {
    enum ack_kind kind;
    long long outbox_id;
    int nack;
    char uuid[UUID_STR_LEN + 1];
    Msg *dlr;
    unsigned gen;
};

static List *ack_queue;

static enum store_result apply_event(struct store *s, struct ack_event *e)
{
    if (e->kind == EV_MT_ACK) {
        switch (e->nack) {
        case ack_success:
        case ack_buffered: return store_outbox_mark_submitted(s, e->outbox_id, e->uuid);
        case ack_failed: return store_outbox_mark_failed(s, e->outbox_id, "refused by bearerbox");
        default: return store_outbox_retry(s, e->outbox_id, (int)cfg.retry_delay_s);
        }
    }
    Msg *d = e->dlr;
    long long id = 0;
    if (d->sms.dlr_url == NULL || sscanf(octstr_get_cstr(d->sms.dlr_url), "%lld", &id) != 1)
        return STORE_OK;   /* not one of ours */
    long mask = d->sms.dlr_mask;
    /* keyed by the outbox id alone: bearerbox hands a report to any
     * connection of our box id, often not the instance that sent the MT */
    log_debug("vaultbox: dlr outbox_id=%lld mask=%ld", id, mask);
    if (mask & DLR_SUCCESS)
        return store_outbox_mark_delivered(s, id);
    if (mask & (DLR_FAIL | DLR_SMSC_FAIL)) {
        char why[48];
        snprintf(why, sizeof why, "delivery report mask=%ld", mask);
        return store_outbox_mark_failed(s, id, why);
    }
    return STORE_OK;   /* buffered / accepted by the SMSC: nothing final yet */
}

static void acker_main(void *arg)
{
    struct store *s = open_store("acker");
    struct ack_event *batch[500];
    struct ack_event *first;

    while ((first = gwlist_consume(ack_queue)) != NULL) {
        size_t n = 0;
        batch[n++] = first;
        struct ack_event *more;
        while (n < 500 && (more = gwlist_extract_first(ack_queue)) != NULL)
            batch[n++] = more;
        double backoff = 0.1;
        while (s != NULL) {
            bool ok = store_tx_begin(s) == STORE_OK;
            for (size_t i = 0; ok && i < n; i++) {
                enum store_result r = apply_event(s, batch[i]);
                if (r == STORE_RETRY || r == STORE_ERR)
                    ok = r != STORE_RETRY;   /* an error on one row is logged by the store, skipped */
            }
            if (ok && store_tx_commit(s) == STORE_OK)
                break;
            store_tx_rollback(s);
            if (stopping())
                break;
            nap(backoff);
            backoff = backoff < 5 ? backoff * 2 : 5;
            if (!store_ping(s)) {
                store_free(s);
                s = open_store("acker");
            }
        }
        for (size_t i = 0; i < n; i++) {
            if (batch[i]->dlr) {
                if (s != NULL && !stopping())
                    bb_ack(batch[i]->dlr, ack_success, batch[i]->gen);
                msg_destroy(batch[i]->dlr);
            }
            free(batch[i]);
        }
    }
    store_free(s);
}

/* ---- sender: outbox -> MT ---- */

static pthread_cond_t window_cond = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t window_mx = PTHREAD_MUTEX_INITIALIZER;

static void window_signal(void)
{
    pthread_mutex_lock(&window_mx);
    pthread_cond_signal(&window_cond);
    pthread_mutex_unlock(&window_mx);
}

static void window_wait_ms(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (long)ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&window_mx);
    if (atomic_load(&mt_inflight) >= cfg.window)
        pthread_cond_timedwait(&window_cond, &window_mx, &ts);
    pthread_mutex_unlock(&window_mx);
}

/* An outbox row as MT: GSM 03.38 text goes as coding 0 with UTF-8 (bearerbox
 * converts), anything else as coding 2 with UTF-16BE; bearerbox splits long
 * texts into concatenated parts. Our outbox id rides in dlr_url. */
static Msg *mt_from_row(const struct store_outbox_row *row)
{
    Msg *m = msg_create(sms);
    m->sms.sms_type = mt_reply;
    m->sms.sender = octstr_create(cfg.sender);
    m->sms.receiver = octstr_create(row->msisdn);
    if (smstext_is_gsm(row->text, row->text_len)) {
        m->sms.coding = DC_7BIT;
        m->sms.msgdata = octstr_create_from_data(row->text, (long)row->text_len);
    } else {
        unsigned char *u = NULL;
        size_t ul = 0;
        if (smstext_utf8_to_ucs2(row->text, row->text_len, &u, &ul) != 0)
            ul = 0;   /* the store keeps valid UTF-8 only */
        m->sms.coding = DC_UCS2;
        m->sms.msgdata = octstr_create_from_data((const char *)u, (long)ul);
        free(u);
    }
    m->sms.boxc_id = octstr_create(cfg.box_id);
    m->sms.time = time(NULL);
    if (cfg.dlr_mask > 0) {
        m->sms.dlr_mask = cfg.dlr_mask;
        m->sms.dlr_url = octstr_format("%lld", row->id);
    }
    return m;
}

static void pending_clear(void)
{
    List *keys = dict_keys(mt_pending);
    Octstr *k;
    while ((k = gwlist_extract_first(keys)) != NULL) {
        free(dict_remove(mt_pending, k));
        octstr_destroy(k);
    }
    gwlist_destroy(keys, NULL);
    atomic_store(&mt_inflight, 0);
}

static double mono_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * Renew this instance's lease (and take its lock again after a reconnect),
 * then requeue the rows of gone instances. False on a store failure.
 */
static bool lease_renew(struct store *s)
{
    enum store_result r = store_outbox_hold(s, instance);
    if (r == STORE_CONFLICT) {
        /* our previous session still holds the lock: it stands for us */
        log_warn("vaultbox: lease-held-by-old-session instance=%s", instance);
    } else if (r != STORE_OK) {
        return false;
    }
    return store_outbox_requeue_orphans(s, (int)cfg.instance_grace_s, NULL) == STORE_OK;
}

static void sender_main(void *arg)
{
    struct store *s = open_store("sender");
    unsigned seen_gen = 0;
    bool listening = false;
    double backoff = 0.1;
    /* renewed well within the grace, so a live instance is never taken for gone */
    double beat = cfg.instance_grace_s / 5.0 < 1 ? 1 : cfg.instance_grace_s / 5.0, next_beat = 0;

    while (s != NULL && !stopping()) {
        enum store_result r;
        if (mono_s() >= next_beat) {
            if (!lease_renew(s)) {
                listening = false;
                nap(backoff);
                backoff = backoff < 5 ? backoff * 2 : 5;
                store_ping(s);
                continue;
            }
            next_beat = mono_s() + beat;
        }
        if (!listening) {
            if (store_outbox_listen(s) != STORE_OK) {
                nap(backoff);
                backoff = backoff < 5 ? backoff * 2 : 5;
                store_ping(s);
                continue;
            }
            listening = true;
        }
        unsigned g = atomic_load(&bb_gen);
        if (g == 0) {
            nap(0.1);
            continue;
        }
        if (g != seen_gen) {
            /* a new bearerbox connection: what was in flight on the old one
             * is unknown, send it again (possible duplicate, never a loss) */
            long long n = 0;
            pending_clear();
            if (store_outbox_requeue_sending(s, instance, &n) != STORE_OK) {
                listening = false;
                nap(backoff);
                backoff = backoff < 5 ? backoff * 2 : 5;
                store_ping(s);
                continue;
            }
            seen_gen = g;
        }
        int room = (int)cfg.window - atomic_load(&mt_inflight);
        if (room <= 0) {
            window_wait_ms(100);
            continue;
        }
        struct store_outbox_row *rows = NULL;
        size_t count = 0;
        r = store_outbox_claim(s, instance, room < 200 ? room : 200, &rows, &count);
        if (r == STORE_NOT_FOUND) {
            /* the lock went with a lost database session: take it again first */
            log_warn("vaultbox: lease-lost instance=%s", instance);
            next_beat = 0;
            nap(0.1);
            continue;
        }
        if (r != STORE_OK) {
            listening = false;
            nap(backoff);
            backoff = backoff < 5 ? backoff * 2 : 5;
            store_ping(s);
            continue;
        }
        backoff = 0.1;
        for (size_t i = 0; i < count; i++) {
            Msg *m = mt_from_row(&rows[i]);
            char uuid[UUID_STR_LEN + 1];
            uuid_text(m->sms.id, uuid);
            Octstr *key = octstr_create(uuid);
            long long *idp = xmalloc(sizeof *idp);
            *idp = rows[i].id;
            dict_put(mt_pending, key, idp);   /* before the write: the ack may come at once */
            atomic_fetch_add(&mt_inflight, 1);
            if (!bb_write(m, seen_gen)) {
                /* connection gone: the row stays SENDING and is requeued on the next one */
                free(dict_remove(mt_pending, key));
                atomic_fetch_sub(&mt_inflight, 1);
                octstr_destroy(key);
                break;
            }
            octstr_destroy(key);
        }
        store_outbox_rows_free(rows, count);
        if (count == 0) {
            r = store_outbox_wait(s, 1000);
            if (r == STORE_RETRY || r == STORE_ERR)
                listening = false;
        }
    }
    /* clean stop: what is still SENDING goes to the next sweep, by any instance */
    if (s != NULL && store_outbox_release(s, instance) != STORE_OK)
        log_warn("vaultbox: lease-release-failed instance=%s", instance);
    store_free(s);
}

/* ---- main: the bearerbox connection and the reader ---- */

static Connection *connect_and_identify(void)
{
    Octstr *host = octstr_create(cfg.bearerbox_host);
    Connection *conn = connect_to_bearerbox_real(host, (int)cfg.bearerbox_port, 0, NULL);
    octstr_destroy(host);
    if (conn == NULL)
        return NULL;
    tune_socket(conn, true);
    Msg *id = msg_create(admin);
    id->admin.command = cmd_identify;
    id->admin.boxc_id = octstr_create(cfg.box_id);
    write_to_bearerbox_real(conn, id);   /* always consumes id */
    if (conn_flush(conn) == -1) {
        conn_destroy(conn);
        return NULL;
    }
    return conn;
}

static unsigned long hash_msisdn(const Octstr *s)
{
    unsigned long h = 5381;
    if (s == NULL)
        return 0;
    for (long i = 0; i < octstr_len(s); i++)
        h = h * 33 + (unsigned char)octstr_get_char(s, i);
    return h;
}

static void dispatch(Msg *msg, unsigned gen)
{
    if (msg_type(msg) == sms && msg->sms.sms_type == mo) {
        struct mo_item *it = xcalloc(1, sizeof *it);
        struct core_mo m;
        char *owned = NULL;
        it->msg = msg;
        it->gen = gen;
        mo_from_msg(msg, &m, &owned);
        it->hashes = core_mo_hashes_password(&m);
        free(owned);
        gwlist_produce(workers[hash_msisdn(msg->sms.sender) % (unsigned long)cfg.workers].queue, it);
        return;
    }
    if (msg_type(msg) == sms && msg->sms.sms_type == report_mo) {
        struct ack_event *e = xcalloc(1, sizeof *e);
        e->kind = EV_DLR;
        e->dlr = msg;
        e->gen = gen;
        gwlist_produce(ack_queue, e);
        return;
    }
    if (msg_type(msg) == ack) {
        char uuid[UUID_STR_LEN + 1];
        uuid_text(msg->ack.id, uuid);
        Octstr *key = octstr_create(uuid);
        long long *idp = dict_remove(mt_pending, key);
        octstr_destroy(key);
        if (idp != NULL) {
            struct ack_event *e = xcalloc(1, sizeof *e);
            e->kind = EV_MT_ACK;
            e->outbox_id = *idp;
            e->nack = (int)msg->ack.nack;
            memcpy(e->uuid, uuid, sizeof e->uuid);
            free(idp);
            gwlist_produce(ack_queue, e);
            if (atomic_fetch_sub(&mt_inflight, 1) <= (int)cfg.window)
                window_signal();
        }
    } else if (msg_type(msg) == admin && msg->admin.command == cmd_shutdown) {
        log_info("vaultbox: shutdown requested by bearerbox");
        program_status = shutting_down;
    }
    msg_destroy(msg);
}

static void reader_loop(void)
{
    double backoff = 0.2;
    while (!stopping()) {
        box_service_beat(bb_conn == NULL);
        if (bb_conn == NULL) {
            Connection *c = connect_and_identify();
            if (c == NULL) {
                log_warn("vaultbox: bearerbox unavailable host=%s port=%lld retry_s=%.1f", cfg.bearerbox_host,
                         cfg.bearerbox_port, backoff);
                nap(backoff);
                backoff = backoff < 5 ? backoff * 2 : 5;
                continue;
            }
            mutex_lock(bb_lock);
            bb_conn = c;
            atomic_fetch_add(&bb_gen, 1);
            mutex_unlock(bb_lock);
            backoff = 0.2;
            log_info("vaultbox: connected box_id=%s bearerbox=%s:%lld", cfg.box_id, cfg.bearerbox_host,
                     cfg.bearerbox_port);
            notify_sendf("READY=1\nSTATUS=connected to bearerbox %s:%lld as box %s", cfg.bearerbox_host,
                         cfg.bearerbox_port, cfg.box_id);
            if (ready_file) {
                FILE *f = fopen(ready_file, "w");
                if (f)
                    fclose(f);
            }
        }
        Msg *msg = NULL;
        int ret = read_from_bearerbox_real(bb_conn, &msg, 1.0);
        if (ret == -1) {
            if (stopping())
                break;
            log_warn("vaultbox: bearerbox connection lost, reconnecting");
            notify_send("STATUS=bearerbox connection lost, reconnecting");
            mutex_lock(bb_lock);
            conn_destroy(bb_conn);
            bb_conn = NULL;
            mutex_unlock(bb_lock);
            continue;
        }
        if (ret == 0 && msg != NULL) {
            tune_socket(bb_conn, false);
            dispatch(msg, atomic_load(&bb_gen));
        }
    }
}

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
    int rc = config_load(config_path, parts, 3, box_other_sections, err, errlen);
    if (rc == 0 && log_level_parse(nb.log_level, level) != 0) {
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
               "  Reads [box], [database], [quota], [login] of smsvault.conf (default:\n"
               "  $SMSVAULT_CONF, else ./smsvault.conf; without a file: defaults, and the\n"
               "  database from $SMSVAULT_PGURI). --ready-file is created once the box\n"
               "  is connected to bearerbox (for scripts that wait for it).\n");
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "config", required_argument, NULL, 'c' }, { "check-config", no_argument, NULL, 'C' },
        { "ready-file", required_argument, NULL, 'r' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = getenv("SMSVAULT_CONF");
    bool check = false;
    int o, rc = 0;

    while ((o = getopt_long(argc, argv, "c:Cr:h", lo, NULL)) != -1) {
        switch (o) {
        case 'r': ready_file = optarg; break;
        case 'c': path = optarg; break;
        case 'C': check = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (path == NULL && access("smsvault.conf", R_OK) == 0)
        path = "smsvault.conf";
    struct config_part parts[] = {
        { box_keys, sizeof box_keys / sizeof box_keys[0], &cfg },
        { core_config_keys, core_config_nkeys, &core_cfg },
        { store_config_keys, store_config_nkeys, &store_cfg },
    };
    char err[600];
    if (config_load(path, parts, 3, box_other_sections, err, sizeof err) != 0) {
        fprintf(stderr, "vaultbox: %s\n", err);
        return 2;
    }
    if (path == NULL && getenv("SMSVAULT_PGURI")) {
        free(store_cfg.conninfo);
        store_cfg.conninfo = xstrdup(getenv("SMSVAULT_PGURI"));
    }
    config_path = path;
    enum log_level lvl;
    if (log_level_parse(cfg.log_level, &lvl) != 0) {
        fprintf(stderr, "vaultbox: %s: [box] log-level: expected debug, info, warn or error\n",
                path ? path : "(defaults)");
        rc = 2;
        goto out_config;
    }
    if (strlen(cfg.sender) == 0 || strlen(cfg.sender) > 20 || strlen(cfg.box_id) == 0) {
        fprintf(stderr, "vaultbox: %s: [box] sender must be 1-20 characters, box-id not empty\n",
                path ? path : "(defaults)");
        rc = 2;
        goto out_config;
    }
    if (check) {
        printf("# %s\n", path ? path : "(defaults)");
        config_print(parts, 3);
        goto out_config;
    }

    if (store_config_resolve(&store_cfg, err, sizeof err) != 0) {
        fprintf(stderr, "vaultbox: %s\n", err);
        rc = 2;
        goto out_config;
    }

    if (getenv("SMSVAULT_TEST_DIE_AFTER_COMMIT"))
        die_after_commit = atol(getenv("SMSVAULT_TEST_DIE_AFTER_COMMIT"));
    notify_block_sighup();   /* before any thread: SIGHUP waits for box_service */
    gwlib_init();
    box_service_set_levels(lvl, cfg.log_file[0] != '\0');
    if (cfg.log_file[0] && log_open(cfg.log_file, box_service_gw_level(lvl), GW_NON_EXCL) < 0) {
        rc = 1;
        goto out_gw;
    }
    log_set_sink(kannel_sink, NULL);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);

    if (cfg.migrate) {
        struct store *s = open_store("main");
        if (s == NULL || store_migrate(s) != STORE_OK) {
            log_error("vaultbox: migrations failed");
            store_free(s);
            rc = 1;
            goto out_gw;
        }
        store_free(s);
    }
    bb_lock = mutex_create();
    hash_slots = semaphore_create(cfg.password_checks);
    mt_pending = dict_create(1024, NULL);
    ack_queue = gwlist_create();
    gwlist_add_producer(ack_queue);
    workers = xcalloc((size_t)cfg.workers, sizeof *workers);
    for (long long i = 0; i < cfg.workers; i++) {
        workers[i].no = (int)i;
        workers[i].queue = gwlist_create();
        gwlist_add_producer(workers[i].queue);
        workers[i].thread = gwthread_create(worker_main, &workers[i]);
    }
    long acker = gwthread_create(acker_main, NULL);
    store_outbox_instance_new(instance);
    long sender = gwthread_create(sender_main, NULL);
    long service = box_service_start(reread_log_level, cfg.log_file[0] != '\0');
    log_info("vaultbox: started box_id=%s instance=%s workers=%lld sender=%s", cfg.box_id, instance,
             cfg.workers, cfg.sender);

    reader_loop();

    notify_send("STOPPING=1");
    log_info("vaultbox: stopping");
    for (long long i = 0; i < cfg.workers; i++)
        gwlist_remove_producer(workers[i].queue);
    for (long long i = 0; i < cfg.workers; i++) {
        gwthread_join(workers[i].thread);
        gwlist_destroy(workers[i].queue, NULL);
    }
    gwlist_remove_producer(ack_queue);
    gwthread_join(acker);
    gwthread_join(sender);
    gwthread_join(service);
    gwlist_destroy(ack_queue, NULL);
    if (bb_conn)
        conn_destroy(bb_conn);
    pending_clear();
    dict_destroy(mt_pending);
    mutex_destroy(bb_lock);
    semaphore_destroy(hash_slots);
    free(workers);
    if (ready_file)
        unlink(ready_file);
    log_info("vaultbox: stopped");
out_gw:
    log_set_sink(NULL, NULL);
    gwlib_shutdown();
out_config:
    config_free(parts, 3);
    return rc;
}
