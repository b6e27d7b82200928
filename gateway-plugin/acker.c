/*
 * acker — vaultbox's receipt path: bearerbox's acks of our MT (submitted,
 * refused, refused for now: retry later) and the delivery reports of the
 * SMSC (delivered, failed) are applied to the outbox rows in batched
 * transactions by one thread, and a report is acked to bearerbox after the
 * commit. Reports are keyed by the outbox id alone (it rides in dlr_url):
 * bearerbox hands a report to any connection of our box id, often not the
 * process that sent the MT.
 *
 * It does not read from bearerbox (bb_conn.c queues the events here) nor
 * know which MT are in flight (sender.c does).
 */
#include <stdio.h>
#include <string.h>

#include "vaultbox_int.h"

#include "gw/dlr.h"

#include "alloc.h"
#include "log.h"

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
static long acker_thread;

static enum store_result apply_event(struct store *s, struct ack_event *e)
{
    if (e->kind == EV_MT_ACK) {
        switch (e->nack) {
        case ack_success:
        case ack_buffered: return store_outbox_mark_submitted(s, e->outbox_id, e->uuid);
        case ack_failed: return store_outbox_mark_failed(s, e->outbox_id, "refused by bearerbox");
        default: return store_outbox_retry(s, e->outbox_id, (int)settings.box.retry_delay_s);
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
    struct store *s = box_store_open("acker");
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
            if (box_stopping())
                break;
            box_nap(backoff);
            backoff = backoff < 5 ? backoff * 2 : 5;
            if (!store_ping(s)) {
                store_free(s);
                s = box_store_open("acker");
            }
        }
        for (size_t i = 0; i < n; i++) {
            if (batch[i]->dlr) {
                if (s != NULL && !box_stopping())
                    bb_ack(batch[i]->dlr, ack_success, batch[i]->gen);
                msg_destroy(batch[i]->dlr);
            }
            free(batch[i]);
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

void acker_mt_ack(long long outbox_id, int nack, const char *uuid)
{
    struct ack_event *e = xcalloc(1, sizeof *e);
    e->kind = EV_MT_ACK;
    e->outbox_id = outbox_id;
    e->nack = nack;
    snprintf(e->uuid, sizeof e->uuid, "%s", uuid);
    gwlist_produce(ack_queue, e);
}

void acker_dlr(Msg *msg, unsigned gen)
{
    struct ack_event *e = xcalloc(1, sizeof *e);
    e->kind = EV_DLR;
    e->dlr = msg;
    e->gen = gen;
    gwlist_produce(ack_queue, e);
}

void acker_stop(void)
{
    gwlist_remove_producer(ack_queue);
    gwthread_join(acker_thread);
    gwlist_destroy(ack_queue, NULL);
}
