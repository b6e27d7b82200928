/*
 * sender — vaultbox's outbox sender: one thread renders the delivery
 * requests of its channel (GET, "send to my phone": core_render_pending, in
 * one transaction: each request becomes its text and binary rows), then
 * claims queued outbox rows (store_outbox_claim) and writes them to
 * bearerbox as MT (mt_reply, boxc_id, dlr_mask, the outbox id in dlr_url;
 * a binary row as 8-bit data with its UDH: a port-9204 business card, which
 * bearerbox concatenates when long), at most `window` unacked at a time;
 * LISTEN/NOTIFY wakes it for rows others wrote (the web page, codes). Each
 * process start is one outbox instance with a random id, whose lease the
 * sender holds and renews on its own connection (store_outbox_hold): several
 * vaultbox processes with the same box id share the outbox, and the rows
 * this one left SENDING on a lost bearerbox connection — only its own — are
 * requeued before anything else is written on a new one. At start and every
 * few seconds it requeues the rows of instances that are gone
 * (store_outbox_requeue_orphans: a killed vaultbox's replies). It keeps the
 * table of MT in flight, by Kannel uuid, that bb_conn.c looks acks up in.
 *
 * It does not apply acks or delivery reports to the outbox (acker.c does)
 * nor read from bearerbox.
 */
#include <stdatomic.h>
#include <stdlib.h>
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
    return store_outbox_requeue_orphans(s, (int)settings.box.instance_grace_s, NULL) == STORE_OK;
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

static void sender_main(void *arg)
{
    struct sender_loop loop = { .s = box_store_open("sender") };
    bool render_due = true;   /* requests may wait (at start: whatever was queued before) */
    unsigned write_gen = 0;   /* the connection MT go on; what the one before left SENDING was requeued */
    /* renewed well within the grace, so a live instance is never taken for gone */
    double lease_every_s = settings.box.instance_grace_s / 5.0 < 1 ? 1 : settings.box.instance_grace_s / 5.0;
    double next_lease_s = 0;
    long claims_with_rows = 0;   /* for the test hook settings.lose_claim */

    backoff_init(&loop.backoff, 0.1);
    while (loop.s != NULL && !box_stopping()) {
        struct store *s = loop.s;
        enum store_result r;
        if (box_monotonic_s() >= next_lease_s) {
            if (!lease_renew(s)) {
                store_trouble(&loop);
                continue;
            }
            next_lease_s = box_monotonic_s() + lease_every_s;
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
            /* a new bearerbox connection: what was in flight on the old one
             * is unknown, send it again (possible duplicate, never a loss) */
            awaiting_ack_clear();
            if (store_outbox_requeue_sending(s, instance, NULL) != STORE_OK) {
                store_trouble(&loop);
                continue;
            }
            write_gen = conn_gen;
        }
        int room = (int)settings.box.window - atomic_load(&mt_inflight);
        if (room <= 0) {
            window_wait(0.1);
            continue;
        }
        if (render_due && !render_requests(s)) {
            store_trouble(&loop);
            continue;
        }
        struct store_outbox_row *rows = NULL;
        size_t count = 0;
        /* the claim says whether requests wait: rendered on the next turn
         * (no round trips for it while there are none) */
        r = store_outbox_claim(s, instance, STORE_CHANNEL_SMS, room < 200 ? room : 200, &rows, &count,
                               &render_due);
        if (r == STORE_OK && count > 0 && settings.lose_claim > 0 && ++claims_with_rows == settings.lose_claim) {
            log_warn("vaultbox: test-hook claim-answer-lost rows=%zu", count);
            store_outbox_rows_free(rows, count);
            rows = NULL;
            count = 0;
            r = STORE_RETRY;
        }
        if (r == STORE_NOT_FOUND) {
            /* the lock went with a lost database session: take it again first */
            log_warn("vaultbox: lease-lost instance=%s", instance);
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
        backoff_reset(&loop.backoff);
        for (size_t i = 0; i < count; i++) {
            Msg *mt = mt_from_row(&rows[i]);
            char uuid[UUID_STR_LEN + 1];
            uuid_unparse(mt->sms.id, uuid);
            Octstr *key = octstr_create(uuid);
            long long *outbox_id_p = xmalloc(sizeof *outbox_id_p);
            *outbox_id_p = rows[i].id;
            /* before the write: the ack may come at once */
            dict_put(mt_awaiting_ack, key, outbox_id_p);
            atomic_fetch_add(&mt_inflight, 1);
            if (!bb_write(mt, write_gen)) {
                /* connection gone: the row stays SENDING and is requeued on the next one */
                free(dict_remove(mt_awaiting_ack, key));
                atomic_fetch_sub(&mt_inflight, 1);
                octstr_destroy(key);
                break;
            }
            octstr_destroy(key);
        }
        store_outbox_rows_free(rows, count);
        if (count == 0 && !render_due) {
            r = store_outbox_wait(s, 1000);
            if (r == STORE_RETRY || r == STORE_ERR)
                loop.listening = false;
        }
    }
    /* clean stop: what is still SENDING goes to the next sweep, by any instance */
    if (loop.s != NULL && store_outbox_release(loop.s, instance) != STORE_OK)
        log_warn("vaultbox: lease-release-failed instance=%s", instance);
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
}
