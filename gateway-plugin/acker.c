/*
 * acker — vaultbox's receipt path: bearerbox's acks of our MT (submitted,
 * refused, refused for now: retry later) and the delivery reports of the
 * SMSC (delivered, failed) are applied to the outbox rows in batched
 * transactions by one thread, in outbox-id order (a batch that is not full
 * waits 10 ms for more: one commit for many), and a report is acked to
 * bearerbox after the commit. A batch is one statement
 * (store_outbox_mark_many) when it can be: the ack and the report of one
 * row in the same batch become one change, to the final state; a row with
 * a retry among its events, or a batch the store refused as a whole, goes
 * event by event. Reports are keyed by the outbox id alone (it rides in
 * dlr_url): bearerbox hands a report to any connection of our box id,
 * often not the process that sent the MT.
 *
 * It does not read from bearerbox (bb_conn.c queues the events here) nor
 * know which MT are in flight (sender.c does).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "vaultbox_int.h"

#include "gw/dlr.h"

#include "alloc.h"
#include "log.h"

enum ack_kind { EV_MT_ACK, EV_DLR };

struct ack_event {
    enum ack_kind kind;
    long long outbox_id;          /* -1: a report that is not for one of our MT */
    int mt_status;                /* EV_MT_ACK: ack_success, ack_buffered, ack_failed, ack_failed_tmp */
    char mt_uuid[UUID_STR_LEN + 1]; /* EV_MT_ACK: the MT's Kannel uuid */
    Msg *dlr;                     /* EV_DLR: the report (owned), acked after commit */
    unsigned conn_gen;            /* EV_DLR: the connection it came on */
    bool dropped;                 /* the store refused it: not applied, not tried again */
    struct store_outbox_moved mark; /* what the last attempt did to the row */
    enum box_mt_stage stage;      /* ... and what that counts as, once committed */
    bool in_fold;                 /* the last attempt applied it in a folded mark */
    size_t seq;                   /* its place in the batch as it came */
};

#define ACK_BATCH_MAX 500   /* events in one transaction, at most */
/* A batch is a commit: one that is not full waits this long for more
 * (at most one batch per 10 ms, so a few hundred per second under load, not
 * one per event; an ack and its row's report more often share a batch and
 * fold into one change). No one waits for a mark: a reply is sent before
 * its ack, and a report's ack to bearerbox only frees its spool. */
#define ACK_LINGER_S 0.01

/* What bearerbox's ack makes of a row: submitted, waiting for its report,
 * when the sender asks for one that can end it (sender.c sets [box]
 * dlr_mask on every MT); else sent, final (migration 014). A row sent
 * before a restart that changed dlr_mask is judged by the new one. */
static enum store_outbox_state accepted_state(void)
{
    return settings.box.dlr_mask & (DLR_SUCCESS | DLR_FAIL | DLR_SMSC_FAIL) ? OUTBOX_SUBMITTED : OUTBOX_SENT;
}

static List *ack_queue;
static atomic_size_t reports_unacked;   /* EV_DLR queued or in a batch */
static long acker_thread;

static enum store_result apply_event(struct store *s, struct ack_event *e)
{
    e->mark.moved = false;
    if (e->kind == EV_MT_ACK) {
        switch (e->mt_status) {
        case ack_success:
        case ack_buffered:
            e->stage = BOX_MT_SUBMITTED;
            return accepted_state() == OUTBOX_SENT ? store_outbox_mark_sent(s, e->outbox_id, e->mt_uuid, &e->mark)
                                                   : store_outbox_mark_submitted(s, e->outbox_id, e->mt_uuid, &e->mark);
        case ack_failed:
            e->stage = BOX_MT_FAILED;
            return store_outbox_mark_failed(s, e->outbox_id, "refused by bearerbox", &e->mark);
        default: return store_outbox_retry(s, e->outbox_id, (int)settings.box.retry_delay_s);
        }
    }
    long long id = e->outbox_id;
    if (id < 0)
        return STORE_OK;   /* not one of ours */
    long mask = e->dlr->sms.dlr_mask;
    /* keyed by the outbox id alone: bearerbox hands a report to any
     * connection of our box id, often not the instance that sent the MT */
    log_debug("vaultbox: dlr outbox_id=%lld mask=%ld", id, mask);
    if (mask & DLR_SUCCESS) {
        e->stage = BOX_MT_DELIVERED;
        return store_outbox_mark_delivered(s, id, &e->mark);
    }
    if (mask & (DLR_FAIL | DLR_SMSC_FAIL)) {
        char why[48];
        snprintf(why, sizeof why, "delivery report mask=%ld", mask);
        e->stage = BOX_MT_FAILED;
        return store_outbox_mark_failed(s, id, why, &e->mark);
    }
    return STORE_OK;   /* buffered / accepted by the SMSC: nothing final yet */
}

struct ack_batch {
    struct ack_event **events;
    size_t n;
    bool one_by_one;   /* the folded statement was refused: event by event */
};

/* What a report asks of its row: OUTBOX_DELIVERED, OUTBOX_FAILED, or
 * OUTBOX_QUEUED for nothing final yet (buffered, accepted by the SMSC). */
static enum store_outbox_state dlr_state(const struct ack_event *e)
{
    long mask = e->dlr->sms.dlr_mask;
    if (mask & DLR_SUCCESS)
        return OUTBOX_DELIVERED;
    if (mask & (DLR_FAIL | DLR_SMSC_FAIL))
        return OUTBOX_FAILED;
    return OUTBOX_QUEUED;
}

static int mark_by_id(const void *a, const void *b)
{
    long long x = ((const struct store_outbox_mark *)a)->id, y = ((const struct store_outbox_mark *)b)->id;
    return (x > y) - (x < y);
}

/*
 * The batch's acks and reports folded into one mark per row, in id order
 * (marks has room for b->n); a row that has a retry (ack_failed_tmp) among
 * its events is left out and *rest says so: those run one by one, in order.
 * The reasons live in why[] (one per event).
 */
static size_t fold(const struct ack_batch *b, struct store_outbox_mark *marks, char (*why)[48], bool *rest)
{
    size_t n = 0;
    bool acked[ACK_BATCH_MAX] = { false };   /* per mark: an ack of bearerbox counted in it */
    *rest = false;
    for (size_t i = 0; i < b->n; i++) {
        struct ack_event *e = b->events[i];
        if (e->outbox_id < 0)
            continue;
        if (e->kind == EV_MT_ACK && e->mt_status != ack_success && e->mt_status != ack_buffered &&
            e->mt_status != ack_failed) {
            *rest = true;
            continue;
        }
        enum store_outbox_state st = e->kind == EV_DLR ? dlr_state(e)
                                     : e->mt_status == ack_failed ? OUTBOX_FAILED : OUTBOX_SUBMITTED;
        if (st == OUTBOX_QUEUED)
            continue;
        size_t k = 0;
        while (k < n && marks[k].id != e->outbox_id)
            k++;
        if (k == n) {
            marks[n++] = (struct store_outbox_mark){ .id = e->outbox_id, .state = OUTBOX_QUEUED };
        }
        struct store_outbox_mark *m = &marks[k];
        /* a final state is never changed; submitted only from before it.
         * But a report can come before its MT's ack: that ack still says
         * bearerbox accepted the MT, and is counted as submitted when the
         * row moves (metrics_e2e saw one reply short of submitted) */
        if (m->state == OUTBOX_DELIVERED || m->state == OUTBOX_FAILED) {
            if (st == OUTBOX_SUBMITTED && !acked[k]) {
                acked[k] = true;
                e->in_fold = true;
                e->stage = BOX_MT_SUBMITTED;
                m->kannel_uuid = e->mt_uuid;
            }
            continue;
        }
        if (st == OUTBOX_SUBMITTED)
            acked[k] = true;
        /* the event changed the mark: counted if its row moves */
        e->in_fold = true;
        e->stage = st == OUTBOX_SUBMITTED   ? BOX_MT_SUBMITTED
                   : st == OUTBOX_DELIVERED ? BOX_MT_DELIVERED
                                            : BOX_MT_FAILED;
        if (st == OUTBOX_SUBMITTED) {
            m->state = accepted_state();   /* or sent: no report will come */
            m->kannel_uuid = e->mt_uuid;
            continue;
        }
        m->state = st;
        if (st == OUTBOX_FAILED) {
            if (e->kind == EV_DLR)
                snprintf(why[i], sizeof why[i], "delivery report mask=%ld", e->dlr->sms.dlr_mask);
            else
                snprintf(why[i], sizeof why[i], "refused by bearerbox");
            m->reason = why[i];
        }
    }
    /* a row with a retry goes one by one with all its events */
    for (size_t i = 0; *rest && i < b->n; i++) {
        const struct ack_event *e = b->events[i];
        if (e->kind != EV_MT_ACK || e->mt_status == ack_success || e->mt_status == ack_buffered ||
            e->mt_status == ack_failed)
            continue;
        for (size_t k = 0; k < n; k++)
            if (marks[k].id == e->outbox_id)
                marks[k--] = marks[--n];
        for (size_t j = 0; j < b->n; j++)
            if (b->events[j]->outbox_id == e->outbox_id)
                b->events[j]->in_fold = false;
    }
    size_t kept = 0;
    for (size_t k = 0; k < n; k++)
        if (marks[k].state != OUTBOX_QUEUED)
            marks[kept++] = marks[k];
    qsort(marks, kept, sizeof *marks, mark_by_id);
    return kept;
}

/* The folded mark that applied event e, or NULL. */
static const struct store_outbox_mark *folded(const struct store_outbox_mark *marks, size_t n,
                                              const struct ack_event *e)
{
    for (size_t k = 0; k < n; k++)
        if (marks[k].id == e->outbox_id)
            return &marks[k];
    return NULL;
}

/*
 * Every event of the batch not dropped. A statement that fails ends the
 * PostgreSQL transaction (what follows would fail too, and COMMIT would roll
 * back): the event the store refused is dropped, logged, and the others run
 * again without it, at once. Acked after the commit like the rest, a dropped
 * report is not sent again by bearerbox; a dropped MT ack leaves its row
 * SENDING, sent again once this connection or process ends, like any row
 * whose ack was lost.
 */
static enum tx_step batch_attempt(struct store *s, void *ctx)
{
    struct ack_batch *b = ctx;
    struct store_outbox_mark marks[ACK_BATCH_MAX];
    char why[ACK_BATCH_MAX][48];
    size_t nmarks = 0;
    for (size_t i = 0; i < b->n; i++) {
        b->events[i]->mark.moved = false;
        b->events[i]->in_fold = false;
    }
    if (!b->one_by_one) {
        bool rest;
        nmarks = fold(b, marks, why, &rest);
        enum store_result r = store_outbox_mark_many(s, marks, nmarks);
        if (r == STORE_RETRY)
            return TX_RETRY;
        if (r != STORE_OK) {
            log_warn("vaultbox: ack-batch-refused events=%zu result=%s: one by one", b->n, store_result_name(r));
            b->one_by_one = true;
            return TX_REDO;
        }
        for (size_t i = 0; i < b->n; i++) {
            const struct store_outbox_mark *m = b->events[i]->in_fold ? folded(marks, nmarks, b->events[i]) : NULL;
            if (m)
                b->events[i]->mark = m->done;
        }
        if (!rest)
            return TX_COMMIT;
    }
    for (size_t i = 0; i < b->n; i++) {
        struct ack_event *e = b->events[i];
        if (e->dropped || (!b->one_by_one && (e->outbox_id < 0 || folded(marks, nmarks, e))))
            continue;
        enum store_result r = apply_event(s, e);
        switch (r) {
        case STORE_OK:
        case STORE_NOT_FOUND:   /* the row is gone (its user deleted) */
        case STORE_INVALID:     /* refused before any statement ran */
            break;
        case STORE_RETRY: return TX_RETRY;
        default:
            e->dropped = true;
            log_error("vaultbox: ack-dropped outbox_id=%lld event=%s result=%s", e->outbox_id,
                      e->kind == EV_DLR ? "report" : "mt-ack", store_result_name(r));
            return TX_REDO;
        }
    }
    return TX_COMMIT;
}

/* By outbox id, and as they came for one id (an ack before its report): every
 * batch of every vaultbox process locks outbox rows in the same order, so
 * two processes' ackers — the ack of a row goes to the process that sent it,
 * its report to any — never wait for each other in a circle. */
static int by_row(const void *a, const void *b)
{
    const struct ack_event *x = *(struct ack_event *const *)a, *y = *(struct ack_event *const *)b;
    if (x->outbox_id != y->outbox_id)
        return x->outbox_id < y->outbox_id ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void acker_main(void *arg)
{
    struct store *s = box_store_open("acker");
    struct ack_event *events[ACK_BATCH_MAX];
    struct ack_batch b = { events, 0, false };
    struct ack_event *first;

    while ((first = gwlist_consume(ack_queue)) != NULL) {
        struct ack_event *more;
        b.n = 0;
        b.one_by_one = false;
        events[b.n++] = first;
        while (b.n < ACK_BATCH_MAX && (more = gwlist_extract_first(ack_queue)) != NULL)
            events[b.n++] = more;
        if (b.n < ACK_BATCH_MAX && !box_stopping()) {
            gwthread_sleep(ACK_LINGER_S);
            while (b.n < ACK_BATCH_MAX && (more = gwlist_extract_first(ack_queue)) != NULL)
                events[b.n++] = more;
        }
        for (size_t i = 0; i < b.n; i++)
            events[i]->seq = i;
        qsort(events, b.n, sizeof events[0], by_row);
        bool committed = box_tx_run(&s, "acker", batch_attempt, NULL, &b);
        for (size_t i = 0; i < b.n; i++) {
            /* a row moved by the committed attempt: counted once, whatever
             * repeated reports come later */
            if (committed && !events[i]->dropped && events[i]->mark.moved)
                box_count_mt(events[i]->stage, events[i]->mark.purpose, 1);
            if (events[i]->dlr) {
                if (committed)
                    bb_ack(events[i]->dlr, ack_success, events[i]->conn_gen);   /* after commit */
                msg_destroy(events[i]->dlr);
                atomic_fetch_sub(&reports_unacked, 1);
            }
            free(events[i]);
        }
    }
    store_free(s);
}

void acker_start(void)
{
    ack_queue = gwlist_create();
    gwlist_add_producer(ack_queue);
    acker_thread = gwthread_create(acker_main, NULL);
}

void acker_mt_ack(long long outbox_id, int status, const char *uuid)
{
    struct ack_event *e = xcalloc(1, sizeof *e);
    e->kind = EV_MT_ACK;
    e->outbox_id = outbox_id;
    e->mt_status = status;
    snprintf(e->mt_uuid, sizeof e->mt_uuid, "%s", uuid);
    gwlist_produce(ack_queue, e);
}

void acker_dlr(Msg *msg, unsigned conn_gen)
{
    struct ack_event *e = xcalloc(1, sizeof *e);
    atomic_fetch_add(&reports_unacked, 1);
    e->kind = EV_DLR;
    e->dlr = msg;
    e->conn_gen = conn_gen;
    /* our outbox id rides in dlr_url (sender.c) */
    if (msg->sms.dlr_url == NULL ||
        sscanf(octstr_get_cstr(msg->sms.dlr_url), "%lld", &e->outbox_id) != 1)
        e->outbox_id = -1;
    /* keyed by the outbox id alone: bearerbox hands a report to any
     * connection of our box id, often not the instance that sent the MT */
    log_debug("vaultbox: dlr outbox_id=%lld mask=%ld", e->outbox_id, msg->sms.dlr_mask);
    gwlist_produce(ack_queue, e);
}

size_t acker_unacked(void)
{
    return atomic_load(&reports_unacked);
}

void acker_stop(void)
{
    gwlist_remove_producer(ack_queue);
    gwthread_join(acker_thread);
    gwlist_destroy(ack_queue, NULL);
}
