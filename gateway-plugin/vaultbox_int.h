/*
 * vaultbox_int.h — what the files of the vaultbox executable share; private
 * to it (not a library, included by nothing else). vaultbox is the Kannel box
 * of smsvault: the adapter between bearerbox's box protocol and the SMS
 * command engine (core/) on PostgreSQL (store/). One file per role:
 *
 *   vaultbox.c    main: the configuration, starting and stopping the rest.
 *   bb_conn.c     the bearerbox connection: connect and identify, read and
 *                 route every message, write (bb_write), reconnect, and the
 *                 hand-over when bearerbox shuts down or restarts; the wire
 *                 side is bb_link.c, which bench/echobox shares.
 *   mo_workers.c  the MO workers: batches in one transaction, a savepoint
 *                 per MO, store_mo_seen dedupe, acks after commit.
 *   acker.c       MT acks and delivery reports applied to the outbox.
 *   sender.c      the outbox written as MT: claim, lease, requeue, window,
 *                 and the replies the workers hand over in memory.
 *   retry.c       waiting and trying again: shutdown-aware sleeps, one
 *                 back-off, the store connection that comes back, and
 *                 box_tx_run, a transaction that may be run again.
 *   box_metrics.c what the roles count for Prometheus, GET /metrics, and
 *                 the poller of the database gauges (issue 13).
 *   box_service.c the systemd side: SIGHUP reload, watchdog (box_service.h).
 *
 * Threads (all gwthreads, so gwlib may poll in any of them): main is the
 * reader (bb_run); then the workers, the acker and the sender. What more than
 * one file needs is here: the settings (written by main before any thread
 * starts, read-only after) and each role's entry points; each role's own
 * state is static in its file. Nothing here parses commands (core/) or
 * speaks SQL (store/); these files are the only ones that see Kannel types.
 */
#ifndef SMSVAULT_VAULTBOX_INT_H
#define SMSVAULT_VAULTBOX_INT_H

#include <stdbool.h>

#include "gwlib/gwlib.h"
#include "gw/msg.h"
#include "gw/shared.h"
/* gwmem.h forbids malloc/free by macro; memory from common/ and store/ is
 * plain libc memory and is freed with plain free(). */
#undef malloc
#undef calloc
#undef realloc
#undef free
#undef strdup

#include "core.h"
#include "store.h"

/* ---- settings (vaultbox.c fills them before any thread starts) ---------- */

/* [box] of smsvault.conf */
struct box_config {
    char *bearerbox_host;
    long long bearerbox_port;
    char *box_id;
    char *sender;
    long long workers;
    long long batch_max;
    long long batches_at_once;
    long long window;
    long long dlr_mask;
    long long retry_delay_s;
    long long instance_grace_s;
    long long report_wait_s;          /* 0: submitted rows wait for their report for ever */
    long long password_checks;
    bool migrate;
    char *log_level;
    char *log_file;
    long long metrics_port;           /* 0: no /metrics */
    long long metrics_db_interval_s;  /* 0: no database gauges */
};

struct vaultbox_settings {
    struct box_config box;
    struct core_config core;     /* core's keys ([quota], [login], ...) */
    struct store_config store;   /* [database] */
    const char *ready_file;      /* --ready-file: created once connected to bearerbox */
    /* Test hook (tests/e2e): SMSVAULT_TEST_DIE_AFTER_COMMIT=n makes the n-th
     * committed batch end the process before its MOs are acked — the window
     * in which bearerbox re-sends an MO that was already applied. */
    long die_after_commit;
    /* Test hook: SMSVAULT_TEST_LOSE_CLAIM=n makes the sender take its n-th
     * claim that claimed rows as failed (the rows SENDING by this live
     * instance on the server, none here) — a claim whose answer a crash or
     * failover took after its commit. */
    long lose_claim;
    /* Test hook: SMSVAULT_TEST_ROLLBACK_BATCH=n rolls the n-th MO batch
     * attempt that handed replies over back instead of committing it (then
     * it runs again): nothing of it may reach a phone. */
    long rollback_batch;
    /* Test hook: SMSVAULT_TEST_LOSE_COMMIT=n takes the n-th committed MO
     * batch as not committed (its answer lost: a crash, a failover): the
     * batch runs again, finds its MOs seen, and its handed-over replies,
     * SENDING on the server and never given to the sender, are requeued. */
    long lose_commit;
    /* --exit-on-bearerbox-shutdown: exit when bearerbox shuts down (Kannel's
     * smsbox does); by default vaultbox stays up and connects again */
    bool exit_on_bearerbox_shutdown;
};

extern struct vaultbox_settings settings;

/* ---- retry.c: waiting and trying again ----------------------------------- */

/* The box is shutting down (SIGTERM, or bearerbox told it to). */
bool box_stopping(void);
/* Sleep up to s seconds in small steps, so that shutdown is not delayed. */
void box_nap(double s);
/* Seconds on the monotonic clock. */
double box_monotonic_s(void);

/* The wait between attempts: first_s, doubled after each wait, at most
 * BACKOFF_MAX_S; reset after a success. */
#define BACKOFF_MAX_S 5.0
struct backoff {
    double first_s;
    double delay_s;     /* the next wait */
};
void backoff_init(struct backoff *b, double first_s);
void backoff_reset(struct backoff *b);
/* Sleep delay_s (less when the box stops), then double it. */
void backoff_wait(struct backoff *b);

/* A store connection for thread `who`, retried with back-off until the
 * database answers; NULL only when the box stops first. */
struct store *box_store_open(const char *who);

/* What one attempt at a transaction's work asks for. */
enum tx_step {
    TX_COMMIT,   /* commit it */
    TX_RETRY,    /* roll back, wait (back-off), run it again: the store said STORE_RETRY */
    TX_REDO,     /* roll back and run it again at once: the attempt changed what it will
                    do (it dropped a part the store refused); never asked for ever */
};
/* One attempt, inside the transaction box_tx_run began on s. It may run
 * again after a rollback, so it starts from what ctx says is still to do. */
typedef enum tx_step tx_work_fn(struct store *s, void *ctx);
/* Right after each COMMIT tried (committed: it succeeded; if not, whether
 * it took effect is unknown when the connection broke), before any wait:
 * returns what box_tx_run goes on with (committed, or false for a test
 * hook that takes a commit's answer as lost). */
typedef bool tx_done_fn(void *ctx, bool committed);
/*
 * Run work in a transaction on *sp until one attempt commits: TX_REDO rolls
 * back and runs it again at once; TX_RETRY or a failed COMMIT rolls back,
 * waits with back-off, reconnects a lost store (*sp is replaced; NULL when
 * the box stopped first) and runs work again. done (may be NULL) is told
 * of each COMMIT tried. True once an attempt committed; false when the box
 * stops (or the store is gone) first: then nothing of the last attempt is
 * committed.
 */
bool box_tx_run(struct store **sp, const char *who, tx_work_fn *work, tx_done_fn *done, void *ctx);

/* ---- bb_conn.c: the bearerbox connection --------------------------------- */

void bb_init(void);
/* Connects, reads and routes until the box stops; reconnects when the
 * connection is lost or bearerbox shuts down or restarts. */
void bb_run(void);
void bb_cleanup(void);   /* after every other thread is joined */
/* The generation of the connection MT may be written on now (one more for
 * every new connection), or 0: not connected, or bearerbox is going away. */
unsigned bb_mt_generation(void);
/* Write msg if the connection is still generation conn_gen (0: any) — and,
 * for an MT, while bb_mt_generation() is not 0. Consumes msg on every path.
 * True when written. */
bool bb_write(Msg *msg, unsigned conn_gen);
/* Ack sms (an MO or a delivery report) with status (ack_success, ...) on
 * connection conn_gen. */
void bb_ack(const Msg *sms, int status, unsigned conn_gen);

/* ---- mo_workers.c: the MO workers ---------------------------------------- */

void workers_start(void);
/* Queue an MO that arrived on connection conn_gen; consumes msg. */
void workers_submit(Msg *msg, unsigned conn_gen);
void workers_stop(void);   /* runs what is queued, then joins */
/* MOs submitted and not yet acked nor let go (bb_run waits for them when
 * bearerbox goes away). */
size_t workers_unacked(void);

/* ---- acker.c: MT acks and delivery reports ------------------------------- */

void acker_start(void);
/* bearerbox's ack (status: ack_success, ack_failed, ...) for the MT of
 * outbox row outbox_id, whose Kannel uuid is uuid. */
void acker_mt_ack(long long outbox_id, int status, const char *uuid);
/* A delivery report that arrived on connection conn_gen; consumes msg. */
void acker_dlr(Msg *msg, unsigned conn_gen);
void acker_stop(void);
/* Delivery reports handed to the acker and not yet acked nor let go. */
size_t acker_unacked(void);

/* ---- sender.c: the outbox as MT ------------------------------------------ */

/* Creates this process start's outbox instance and starts the sender. */
void sender_start(void);
const char *sender_instance(void);
/* bearerbox acked the MT with Kannel uuid: true and *outbox_id when it is
 * one this process wrote and still waits for (it no longer does). */
bool sender_acked(const char *uuid, long long *outbox_id);
/*
 * Replies handed over in memory (store_outbox_hand_over). A worker asks
 * sender_handover_instance() before each batch (NULL: the lease is not held
 * now, queue the old way); around its COMMIT and the hand-over that follows
 * it holds the commit gate (sender_commit_enter / _leave), which the sender
 * closes while it requeues what it has SENDING after a reconnect and
 * forgets what it was handed: a row is then either requeued and forgotten,
 * or committed after the requeue and sent from memory, never both nor
 * neither. sender_hand_over consumes rows (only rows of a committed
 * transaction); sender_requeue_unsure consumes ids of rows a commit whose
 * answer was lost may have handed over (requeued by the sender, the old way).
 */
const char *sender_handover_instance(void);
void sender_commit_enter(void);
void sender_commit_leave(void);
void sender_hand_over(struct store_outbox_row *rows, size_t count);
void sender_requeue_unsure(long long *ids, size_t count);
void sender_stop(void);   /* joins; after bb_run returned */

/* ---- box_metrics.c: counting for Prometheus (after the commit that made
 * each thing true) ---- */

/* Declare the metrics (before any thread starts); box_metrics_start serves
 * them (metrics_port) and starts the database poller; false with err when
 * the port cannot be had. box_metrics_stop after every role stopped. */
void box_metrics_init(void);
bool box_metrics_start(char *err, size_t errlen);
void box_metrics_stop(void);

void box_count_mo_received(void);
enum box_mo_end { BOX_MO_APPLIED, BOX_MO_DUPLICATE, BOX_MO_GAVE_UP };
void box_count_mo_end(enum box_mo_end end);
/* One committed command: its name (core_replies.cmd) and outcome. */
void box_count_command(const char *cmd, enum core_outcome outcome);
enum box_mt_stage { BOX_MT_QUEUED, BOX_MT_SUBMITTED, BOX_MT_DELIVERED, BOX_MT_FAILED, BOX_MT_UNREPORTED,
                    BOX_MT_STAGES };
void box_count_mt(enum box_mt_stage stage, enum store_mt_purpose kind, size_t n);
/* box_tx_run rolled back to run again; role: "worker", "acker". */
void box_count_tx_retry(const char *role);
/* The reader connected to bearerbox (a reconnect after the first) or lost it. */
void box_count_bearerbox(bool connected);

#endif
