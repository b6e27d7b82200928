/*
 * sender — vaultbox's outbox sender: one thread renders the delivery
 * requests of its channel (GET, "send to my phone": core_render_pending, in
 * one transaction: each request becomes its text and binary rows), then
 * writes outbox rows to bearerbox as MT (mt_reply, boxc_id, dlr_mask, the
 * outbox id in dlr_url; a binary row as 8-bit data with its UDH: a
 * port-9204 business card, which bearerbox concatenates when long), at most
 * `window` unacked at a time. The rows come two ways: the replies the MO
 * workers hand over in memory after their commit (already SENDING for this
 * instance: no claim, no NOTIFY), and the rows it claims from the queue
 * (store_outbox_claim) — those others wrote (the web page, codes), replies
 * that had to queue behind a row of their phone, and whatever a reconnect
 * requeued; LISTEN/NOTIFY wakes it for those, and it claims at least once a
 * second (retries). Both are sent merged in queue order (place, id), so
 * that a phone's replies keep their order. Each process start is one
 * outbox instance with a random id, whose lease the sender holds and renews
 * on its own connection (store_outbox_hold): several vaultbox processes
 * with the same box id share the outbox, and the rows this one left SENDING
 * on a lost bearerbox connection — only its own — are requeued, and what it
 * was handed forgotten, before anything else is written on a new one (the
 * commit gate: a worker's commit and hand-over never straddle that). At
 * start and every few seconds it requeues the rows of instances that are
 * gone (store_outbox_requeue_orphans: a killed vaultbox's replies, handed
 * over or claimed). It keeps the table of MT in flight, by Kannel uuid,
 * that bb_conn.c looks acks up in.
 *
 * It does not apply acks or delivery reports to the outbox (acker.c does)
 * nor read from bearerbox.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vaultbox_int.h"

#include "gw/sms.h"

#include "alloc.h"
#include "core_render.h"
#include "log.h"
#include "smstext.h"

static char instance[STORE_ID_LEN];   /* this process start's outbox instance id */
static atomic_int mt_inflight;         /* MT written, ack not yet seen */
static Dict *mt_awaiting_ack;          /* MT uuid -> long long *outbox id */
static long sender_thread;

/* The replies handed over by the workers, not yet taken by the sender. */
static struct {
    pthread_mutex_t mu;
    struct store_outbox_row *rows;
    size_t n, cap;
    long long *unsure;           /* ids to requeue (sender_requeue_unsure) */
    size_t nunsure, unsure_cap;
} handed = { .mu = PTHREAD_MUTEX_INITIALIZER };
static atomic_bool lease_ok;      /* the lease is held: workers may hand over */

/* The commit gate (vaultbox_int.h): workers between COMMIT and hand-over,
 * and whether the sender is requeueing (no commit starts then). */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int commits;
    bool requeueing;
} gate = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

/*
 * The window: the sender sleeps while `window` MT are unacked, and the ack
 * that makes room wakes it. gwthread_wakeup writes to the sleeper's wake
 * pipe, so a wakeup that comes before the sleep ends it at once: none is
 * lost, and no lock of our own is needed.
 */
static void window_wait(double s)
{
    if (atomic_load(&mt_inflight) >= settings.box.window)
        gwthread_sleep(s);
}

/* An outbox row as MT: GSM 03.38 text goes as coding 0 with UTF-8 (bearerbox
 * converts), anything else as coding 2 with UTF-16BE; a binary row as
 * coding 1 (8-bit) with its UDH in udhdata (esm_class UDHI). bearerbox
 * splits long messages into concatenated parts, adding its concatenation IE
 * to the UDH (gw/sms.c sms_split). Our outbox id rides in dlr_url. */
static Msg *mt_from_row(const struct store_outbox_row *row)
{
    Msg *m = msg_create(sms);
    m->sms.sms_type = mt_reply;
    m->sms.sender = octstr_create(settings.box.sender);
    m->sms.receiver = octstr_create(row->msisdn);
    if (row->kind == OUTBOX_BINARY) {
        m->sms.coding = DC_8BIT;
        m->sms.msgdata = octstr_create_from_data((const char *)row->data, (long)row->data_len);
        if (row->udh_len)
            m->sms.udhdata = octstr_create_from_data((const char *)row->udh, (long)row->udh_len);
    } else if (smstext_is_gsm(row->text, row->text_len)) {
        m->sms.coding = DC_7BIT;
        m->sms.msgdata = octstr_create_from_data(row->text, (long)row->text_len);
    } else {
        unsigned char *ucs2 = NULL;
        size_t ucs2_len = 0;
        if (smstext_utf8_to_ucs2(row->text, row->text_len, &ucs2, &ucs2_len) != SMSTEXT_OK)
            ucs2_len = 0;   /* the store keeps valid UTF-8 only */
        m->sms.coding = DC_UCS2;
        m->sms.msgdata = octstr_create_from_data((const char *)ucs2, (long)ucs2_len);
        free(ucs2);
    }
    m->sms.boxc_id = octstr_create(settings.box.box_id);
    m->sms.time = time(NULL);
    if (settings.box.dlr_mask > 0) {
        m->sms.dlr_mask = settings.box.dlr_mask;
        m->sms.dlr_url = octstr_format("%lld", row->id);
    }
    return m;
}

static void awaiting_ack_clear(void)
{
    List *keys = dict_keys(mt_awaiting_ack);
    Octstr *k;
    while ((k = gwlist_extract_first(keys)) != NULL) {
        free(dict_remove(mt_awaiting_ack, k));
        octstr_destroy(k);
    }
    gwlist_destroy(keys, NULL);
    atomic_store(&mt_inflight, 0);
}

bool sender_acked(const char *uuid, long long *outbox_id)
{
    Octstr *key = octstr_create(uuid);
    long long *outbox_id_p = dict_remove(mt_awaiting_ack, key);
    octstr_destroy(key);
    if (outbox_id_p == NULL)
        return false;
    *outbox_id = *outbox_id_p;
    free(outbox_id_p);
    if (atomic_fetch_sub(&mt_inflight, 1) >= (int)settings.box.window)
        gwthread_wakeup(sender_thread);   /* it was full: the sender may be waiting */
    return true;
}

/* Whether workers may hand replies over (the lease is held), said in the
 * log when it changes. */
static void handover_set(bool on)
{
    if (atomic_exchange(&lease_ok, on) != on)
        log_info("vaultbox: hand-over-%s instance=%s", on ? "on" : "off", instance);
}

const char *sender_handover_instance(void)
{
    return atomic_load(&lease_ok) ? instance : NULL;
}

void sender_commit_enter(void)
{
    pthread_mutex_lock(&gate.mu);
    while (gate.requeueing)
        pthread_cond_wait(&gate.cv, &gate.mu);
    gate.commits++;
    pthread_mutex_unlock(&gate.mu);
}

void sender_commit_leave(void)
{
    pthread_mutex_lock(&gate.mu);
    if (--gate.commits == 0)
        pthread_cond_broadcast(&gate.cv);
    pthread_mutex_unlock(&gate.mu);
}

/* Close the gate: wait for the commits under way (and their hand-overs). */
static void gate_close(void)
{
    pthread_mutex_lock(&gate.mu);
    gate.requeueing = true;
    while (gate.commits > 0)
        pthread_cond_wait(&gate.cv, &gate.mu);
    pthread_mutex_unlock(&gate.mu);
}

static void gate_open(void)
{
    pthread_mutex_lock(&gate.mu);
    gate.requeueing = false;
    pthread_cond_broadcast(&gate.cv);
    pthread_mutex_unlock(&gate.mu);
}

void sender_hand_over(struct store_outbox_row *rows, size_t count)
{
    if (count == 0) {
        free(rows);
        return;
    }
    pthread_mutex_lock(&handed.mu);
    if (handed.n + count > handed.cap) {
        handed.cap = (handed.n + count) * 2;
        handed.rows = xrealloc(handed.rows, handed.cap * sizeof *handed.rows);
    }
    memcpy(handed.rows + handed.n, rows, count * sizeof *rows);   /* the strings move with them */
    handed.n += count;
    pthread_mutex_unlock(&handed.mu);
    free(rows);
    gwthread_wakeup(sender_thread);
}

void sender_requeue_unsure(long long *ids, size_t count)
{
    pthread_mutex_lock(&handed.mu);
    if (handed.nunsure + count > handed.unsure_cap) {
        handed.unsure_cap = (handed.nunsure + count) * 2;
        handed.unsure = xrealloc(handed.unsure, handed.unsure_cap * sizeof *handed.unsure);
    }
    memcpy(handed.unsure + handed.nunsure, ids, count * sizeof *ids);
    handed.nunsure += count;
    pthread_mutex_unlock(&handed.mu);
    free(ids);
    gwthread_wakeup(sender_thread);
}

/* The rows to write, in queue order: handed over and claimed, not yet
 * written (all SENDING by this instance). */
struct pending {
    struct store_outbox_row *rows;
    size_t n, cap, first;   /* rows[first..n) are still to write */
};

static void pending_add(struct pending *p, struct store_outbox_row *rows, size_t count)
{
    if (count == 0)
        return;
    if (p->first > 0) {   /* drop what was written */
        memmove(p->rows, p->rows + p->first, (p->n - p->first) * sizeof *p->rows);
        p->n -= p->first;
        p->first = 0;
    }
    if (p->n + count > p->cap) {
        p->cap = (p->n + count) * 2;
        p->rows = xrealloc(p->rows, p->cap * sizeof *p->rows);
    }
    memcpy(p->rows + p->n, rows, count * sizeof *rows);
    p->n += count;
}

static int by_place(const void *a, const void *b)
{
    const struct store_outbox_row *x = a, *y = b;
    if (x->place != y->place)
        return x->place < y->place ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Forget every row still to write (requeued on the server, or the box stops). */
static void pending_clear(struct pending *p)
{
    for (size_t i = p->first; i < p->n; i++)
        store_outbox_row_cleanup(&p->rows[i]);
    p->n = p->first = 0;
}

/* Take what the workers handed over into p; *unsure / *nunsure: the ids to
 * requeue, taken (to free). */
static void take_handed(struct pending *p, long long **unsure, size_t *nunsure)
{
    pthread_mutex_lock(&handed.mu);
    pending_add(p, handed.rows, handed.n);
    handed.n = 0;
    *unsure = handed.unsure;
    *nunsure = handed.nunsure;
    handed.unsure = NULL;
    handed.nunsure = handed.unsure_cap = 0;
    pthread_mutex_unlock(&handed.mu);
}

/* Forget what was handed over and not yet taken (requeued on the server). */
static void handed_drop(void)
{
    pthread_mutex_lock(&handed.mu);
    store_outbox_rows_free(handed.rows, handed.n);
    handed.rows = NULL;
    handed.n = handed.cap = 0;
    pthread_mutex_unlock(&handed.mu);
}

/*
 * Renew this instance's lease (and take its lock again after a reconnect),
 * then requeue the rows of gone instances. False on a store failure.
 */
static bool lease_renew(struct store *s, long long *swept)
{
    enum store_result r = store_outbox_hold(s, instance);
    if (r == STORE_CONFLICT) {
        /* our previous session still holds the lock: it stands for us */
        log_warn("vaultbox: lease-held-by-old-session instance=%s", instance);
    } else if (r != STORE_OK) {
        return false;
    }
    return store_outbox_requeue_orphans(s, (int)settings.box.instance_grace_s, swept) == STORE_OK;
}

#define SETTLE_BATCH 500   /* rows settled as unreported in one statement, at most */

/* Accepted MT whose report did not come within [box] report_wait count as
 * sent (store_outbox_settle_unreported): a few batches a turn, so that a
 * backlog (rows written with reports off before migration 014) never
 * holds sending up for long. False on a store failure. */
static bool settle_unreported(struct store *s)
{
    for (int turn = 0; turn < 4 && !box_stopping(); turn++) {
        long long counts[STORE_MT_PURPOSES], n = 0;
        if (store_outbox_settle_unreported(s, STORE_CHANNEL_SMS, (int)settings.box.report_wait_s, SETTLE_BATCH,
                                           counts) != STORE_OK)
            return false;
        for (int k = 0; k < STORE_MT_PURPOSES; k++) {
            box_count_mt(BOX_MT_UNREPORTED, (enum store_mt_purpose)k, (size_t)counts[k]);
            n += counts[k];
        }
        if (n < SETTLE_BATCH)
            break;
    }
    return true;
}

/* What the sender loop carries from one turn to the next. */
struct sender_loop {
    struct store *s;
    struct backoff backoff;
    bool listening;
};

/* The store failed: wait, check the connection (store_ping reconnects a
 * lost one) and LISTEN again on the next turn. */
static void store_trouble(struct sender_loop *loop)
{
    loop->listening = false;
    backoff_wait(&loop->backoff);
    store_ping(loop->s);
}

#define RENDER_BATCH 50   /* delivery requests rendered in one transaction, at most */

/* The delivery requests of our channel become their MT (core_render.h), in
 * one transaction: a request is rendered once, its rows queued, or nothing
 * happened. False on a store failure (rolled back: they are taken again). */
static bool render_requests(struct store *s)
{
    for (int turn = 0; turn < 4 && !box_stopping(); turn++) {
        size_t n = 0;
        if (store_tx_begin(s) != STORE_OK)
            return false;
        enum core_result cr = core_render_pending(&settings.core, s, STORE_CHANNEL_SMS, RENDER_BATCH, &n);
        if (cr != CORE_OK || store_tx_commit(s) != STORE_OK) {
            store_tx_rollback(s);
            return false;
        }
        if (n > 0)
            log_debug("vaultbox: rendered requests=%zu", n);
        if (n < RENDER_BATCH)
            break;   /* none left */
    }
    return true;
}

/* A new bearerbox connection (or a claim whose answer was lost): what was
 * in flight is unknown, so everything SENDING by this instance is requeued
 * and sent again (possible duplicate, never a loss), and what the sender
 * was handed and had not written is forgotten with it — behind the closed
 * commit gate, so that no worker's hand-over falls between the two. */
static bool requeue_mine(struct store *s, struct pending *pend)
{
    gate_close();
    awaiting_ack_clear();
    enum store_result r = store_outbox_requeue_sending(s, instance, NULL);
    if (r == STORE_OK) {
        handed_drop();
        pending_clear(pend);
    }
    gate_open();
    return r == STORE_OK;
}

/* The ids a lost commit may have handed over, requeued (the old way); true
 * when done (or none), else they are kept for the next turn. */
static bool requeue_unsure(struct store *s, long long *ids, size_t n)
{
    for (size_t i = 0; i < n; i += LIMIT_OUTBOX_MARKS_MAX) {
        size_t k = n - i < LIMIT_OUTBOX_MARKS_MAX ? n - i : LIMIT_OUTBOX_MARKS_MAX;
        if (store_outbox_requeue_ids(s, instance, ids + i, k, NULL) != STORE_OK) {
            long long *rest = xmalloc((n - i) * sizeof *rest);
            memcpy(rest, ids + i, (n - i) * sizeof *rest);
            free(ids);
            sender_requeue_unsure(rest, n - i);
            return false;
        }
    }
    free(ids);
    return true;
}

/* Write pend's rows in queue order while the window has room; a row whose
 * write failed (the connection went) stays, requeued with the next one. */
static void write_pending(struct pending *pend, int room, unsigned write_gen)
{
    if (pend->n - pend->first > 1)
        qsort(pend->rows + pend->first, pend->n - pend->first, sizeof *pend->rows, by_place);
    while (pend->first < pend->n && room-- > 0) {
        struct store_outbox_row *row = &pend->rows[pend->first];
        Msg *mt = mt_from_row(row);
        char uuid[UUID_STR_LEN + 1];
        uuid_unparse(mt->sms.id, uuid);
        Octstr *key = octstr_create(uuid);
        long long *outbox_id_p = xmalloc(sizeof *outbox_id_p);
        *outbox_id_p = row->id;
        /* before the write: the ack may come at once */
        dict_put(mt_awaiting_ack, key, outbox_id_p);
        atomic_fetch_add(&mt_inflight, 1);
        if (!bb_write(mt, write_gen)) {
            /* connection gone: the row stays SENDING and is requeued on the next one */
            free(dict_remove(mt_awaiting_ack, key));
            atomic_fetch_sub(&mt_inflight, 1);
            octstr_destroy(key);
            return;
        }
        octstr_destroy(key);
        store_outbox_row_cleanup(row);
        pend->first++;
    }
}

/* Nothing to do: wait for a notification, a hand-over or an ack that makes
 * room (gwthread_wakeup), at most until the next claim is due. True when a
 * NOTIFY came (claim); false with *listening cleared when the connection
 * failed. */
static bool wait_for_work(struct store *s, double until_s, bool *listening)
{
    /* one may have come with an answer already read */
    enum store_result r = store_outbox_wait(s, 0);
    double left = until_s - box_monotonic_s();
    int fd = store_outbox_socket(s);
    if (r == STORE_NOT_FOUND && left > 0 && fd >= 0) {
        (void)gwthread_pollfd(fd, POLLIN, left > 1 ? 1 : left);
        r = store_outbox_wait(s, 0);
    }
    if (r == STORE_RETRY || r == STORE_ERR)
        *listening = false;
    return r == STORE_OK;
}

static void sender_main(void *arg)
{
    struct sender_loop loop = { .s = box_store_open("sender") };
    struct pending pend = { 0 };
    bool render_due = true;   /* requests may wait (at start: whatever was queued before) */
    bool claim_due = true;    /* the queue may hold rows for us (a NOTIFY, a requeue, a full claim) */
    double next_claim_s = 0;  /* and at least once a second: retries whose time came, a NOTIFY missed */
    unsigned write_gen = 0;   /* the connection MT go on; what the one before left SENDING was requeued */
    /* renewed well within the grace, so a live instance is never taken for gone */
    double lease_every_s = settings.box.instance_grace_s / 5.0 < 1 ? 1 : settings.box.instance_grace_s / 5.0;
    double next_lease_s = 0;
    /* unreported rows looked for a few times within the wait, at least once a minute */
    double settle_every_s = settings.box.report_wait_s / 4.0 < 1    ? 1
                            : settings.box.report_wait_s / 4.0 > 60 ? 60
                                                                    : settings.box.report_wait_s / 4.0;
    double next_settle_s = 0;
    long claims_with_rows = 0;   /* for the test hook settings.lose_claim */

    backoff_init(&loop.backoff, 0.1);
    while (loop.s != NULL && !box_stopping()) {
        struct store *s = loop.s;
        enum store_result r;
        if (box_monotonic_s() >= next_lease_s) {
            long long swept = 0;
            if (!lease_renew(s, &swept)) {
                handover_set(false);
                store_trouble(&loop);
                continue;
            }
            handover_set(true);
            claim_due = claim_due || swept > 0;
            next_lease_s = box_monotonic_s() + lease_every_s;
        }
        if (settings.box.report_wait_s > 0 && box_monotonic_s() >= next_settle_s) {
            if (!settle_unreported(s)) {
                store_trouble(&loop);
                continue;
            }
            next_settle_s = box_monotonic_s() + settle_every_s;
        }
        if (!loop.listening) {
            if (store_outbox_listen(s) != STORE_OK) {
                store_trouble(&loop);
                continue;
            }
            loop.listening = true;
        }
        unsigned conn_gen = bb_mt_generation();
        if (conn_gen == 0) {
            box_nap(0.1);
            continue;
        }
        if (conn_gen != write_gen) {
            if (!requeue_mine(s, &pend)) {
                store_trouble(&loop);
                continue;
            }
            write_gen = conn_gen;
            claim_due = true;
        }
        long long *unsure = NULL;
        size_t nunsure = 0;
        take_handed(&pend, &unsure, &nunsure);
        if (nunsure > 0) {
            if (!requeue_unsure(s, unsure, nunsure)) {
                store_trouble(&loop);
                continue;
            }
            claim_due = true;
        } else {
            free(unsure);
        }
        int room = (int)settings.box.window - atomic_load(&mt_inflight);
        if (room <= 0) {
            window_wait(0.1);
            continue;
        }
        if (render_due) {
            if (!render_requests(s)) {
                store_trouble(&loop);
                continue;
            }
            render_due = false;   /* the claim says whether more wait */
            claim_due = true;     /* their rows */
        }
        size_t todo = pend.n - pend.first;
        if ((claim_due || box_monotonic_s() >= next_claim_s) && (size_t)room > todo) {
            struct store_outbox_row *rows = NULL;
            size_t count = 0;
            int want = room - (int)todo < 200 ? room - (int)todo : 200;
            /* the claim says whether requests wait: rendered on the next turn
             * (no round trips for it while there are none) */
            r = store_outbox_claim(s, instance, STORE_CHANNEL_SMS, want, &rows, &count, &render_due);
            if (r == STORE_OK && count > 0 && settings.lose_claim > 0 && ++claims_with_rows == settings.lose_claim) {
                log_warn("vaultbox: test-hook claim-answer-lost rows=%zu", count);
                store_outbox_rows_free(rows, count);
                rows = NULL;
                count = 0;
                r = STORE_RETRY;
            }
            if (r == STORE_NOT_FOUND) {
                /* the lock went with a lost database session: take it again
                 * first; meanwhile replies are queued, not handed over */
                log_warn("vaultbox: lease-lost instance=%s", instance);
                handover_set(false);
                next_lease_s = 0;
                box_nap(0.1);
                continue;
            }
            if (r != STORE_OK) {
                /* the claim may have committed with only its answer lost (the
                 * connection broke between the two: a crash, a failover): its
                 * rows are then SENDING by this instance, which lives, so no
                 * sweep takes them. Taken as a new bearerbox connection: what is
                 * SENDING by us is requeued before the next claim (an MT in
                 * flight may go twice, at least once; none is left behind). */
                write_gen = 0;
                store_trouble(&loop);
                continue;
            }
            pending_add(&pend, rows, count);
            free(rows);   /* the rows moved into pend */
            claim_due = count == (size_t)want;   /* more may wait */
            next_claim_s = box_monotonic_s() + 1.0;
        }
        backoff_reset(&loop.backoff);
        write_pending(&pend, room, write_gen);
        if (pend.first == pend.n && !claim_due && !render_due && wait_for_work(s, next_claim_s, &loop.listening))
            claim_due = true;
    }
    /* clean stop: what is still SENDING (in flight, or handed over and not
     * written) goes to the next sweep, by any instance */
    handover_set(false);
    if (loop.s != NULL && store_outbox_release(loop.s, instance) != STORE_OK)
        log_warn("vaultbox: lease-release-failed instance=%s", instance);
    pending_clear(&pend);
    free(pend.rows);
    store_free(loop.s);
}

void sender_start(void)
{
    mt_awaiting_ack = dict_create(1024, NULL);
    store_outbox_instance_new(instance);
    sender_thread = gwthread_create(sender_main, NULL);
}

const char *sender_instance(void)
{
    return instance;
}

void sender_stop(void)
{
    gwthread_join(sender_thread);
    awaiting_ack_clear();
    dict_destroy(mt_awaiting_ack);
    handed_drop();
    free(handed.unsure);
    handed.unsure = NULL;
    handed.nunsure = handed.unsure_cap = 0;
}
