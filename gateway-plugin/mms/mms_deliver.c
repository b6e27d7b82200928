/*
 * mms_deliver — vaultmms's sender thread (see mms_deliver.h).
 */
#include "mms_deliver.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "core_text.h"
#include "log.h"
#include "mm7.h"
#include "mm7_client.h"
#include "mms_direct.h"

#define CLAIM_BATCH 8   /* requests claimed at once: each is settled before the next claim */

static const struct mms_deliver_config *conf;
static pthread_t thread;
static atomic_bool stopping;
static char instance[STORE_ID_LEN];
static long claims;

const struct mmsc_config *mms_deliver_mmsc(const struct mms_config *c, const struct mmsc_config *mmscs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool named = c->submit_mmsc && c->submit_mmsc[0];
        if (named ? strcmp(mmscs[i].name, c->submit_mmsc) == 0 : mmscs[i].url && mmscs[i].url[0])
            return &mmscs[i];
    }
    return NULL;
}

static double monotonic_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Sleep up to s seconds, less when stopping. */
static void nap(double s)
{
    for (double t = 0; t < s && !atomic_load(&stopping); t += 0.1) {
        struct timespec ts = { 0, 100 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
}

static enum core_lang user_lang(struct store *s, const char *user_id)
{
    struct store_user u = { 0 };
    enum core_lang lang = CORE_EN;
    if (user_id[0] && store_user_get(s, user_id, &u) == STORE_OK) {
        lang = strcmp(u.lang, "zh") == 0 ? CORE_ZH : CORE_EN;
        store_user_cleanup(&u);
    }
    return lang;
}

/* The request failed for good: marked so, and (when its user is still
 * there) the phone told by text, in one transaction. */
static enum store_result fail(struct store *s, const struct store_outbox_request *rq, enum core_text_id notice,
                              const char *reason)
{
    enum store_result rc = store_tx_begin(s);
    if (rc != STORE_OK)
        return rc;
    rc = store_outbox_mark_failed(s, rq->id, reason, NULL);
    if (rc == STORE_OK && rq->user_id[0]) {
        char name[32];
        snprintf(name, sizeof name, "M%lld", rq->n);
        char *text = notice == T_ITEM_GONE ? core_text_reply(notice, user_lang(s, rq->user_id), name)
                                           : core_text_reply(notice, user_lang(s, rq->user_id), rq->n);
        struct store_outbox_new o = { .user_id = rq->user_id, .msisdn = rq->msisdn, .text = text,
                                      .text_len = strlen(text) };
        long long id = 0;
        rc = store_outbox_enqueue(s, &o, &id);
        free(text);
    }
    if (rc == STORE_OK)
        rc = store_tx_commit(s);
    else
        store_tx_rollback(s);
    log_info("mms: deliver outbox_id=%lld failed why=\"%s\" store=%s", rq->id, reason, store_result_name(rc));
    return rc;
}

/* The archived MMS of a request. STORE_NOT_FOUND: it (or its user) is gone. */
static enum store_result read_mms(struct store *s, const struct store_outbox_request *rq, struct store_mms *m,
                                  struct store_mms_part **parts, size_t *nparts)
{
    if (rq->user_id[0] == '\0')
        return STORE_NOT_FOUND;
    enum store_result rc = store_mms_get(s, rq->user_id, rq->n, m);
    if (rc != STORE_OK)
        return rc;
    rc = store_mms_parts(s, rq->user_id, rq->n, parts, nparts);
    if (rc != STORE_OK)
        store_mms_cleanup(m);
    return rc;
}

/* ---- mm7: one SubmitReq ---- */

/* A try whose settlement was committed (rc STORE_OK), counted. */
static void counted(enum store_result rc, const char *path, const char *result)
{
    if (rc == STORE_OK && conf->count)
        conf->count(path, result);
}

static enum store_result submit_mm7(struct store *s, const struct store_outbox_request *rq,
                                    const struct store_mms *m, const struct store_mms_part *sp, size_t n)
{
    const struct mms_config *c = conf->mms;
    const struct mmsc_config *mmsc = mms_deliver_mmsc(c, conf->mmscs, conf->nmmscs);
    if (mmsc == NULL)
        return fail(s, rq, T_MMS_UNDELIVERED, "mm7: no [mmsc.NAME] with a url to submit to");
    struct mm7_part *parts = xcalloc(n, sizeof *parts);
    for (size_t i = 0; i < n; i++) {
        /* borrowed: not freed with mm7_parts_free */
        parts[i].content_type = sp[i].content_type;
        parts[i].content_id = sp[i].content_id[0] ? sp[i].content_id : NULL;
        parts[i].location = sp[i].name[0] ? sp[i].name : NULL;
        parts[i].name = sp[i].name[0] ? sp[i].name : NULL;
        parts[i].data = sp[i].data;
        parts[i].len = sp[i].len;
    }
    char tid[48];
    snprintf(tid, sizeof tid, "smsvault-o%lld", rq->id);
    struct mm7_client_message msg = { .transaction_id = tid, .recipient = rq->msisdn,
                                      .subject = m->subject[0] ? m->subject : NULL, .parts = parts, .nparts = n };
    struct mm7_client_result res;
    mm7_client_submit(mmsc, &msg, &res);
    free(parts);
    enum store_result rc;
    int attempt = rq->attempts + 1;
    if (res.outcome == MM7_DONE) {
        rc = res.message_id ? store_mm7_submitted(s, rq->id, mmsc->name, res.message_id)
                            : store_outbox_mark_submitted(s, rq->id, NULL, NULL);
        log_info("mms: deliver outbox_id=%lld n=%lld path=mm7 mmsc=%s submitted attempt=%d store=%s", rq->id, rq->n,
                 mmsc->name, attempt, store_result_name(rc));
        counted(rc, "mm7", "submitted");
    } else if (res.outcome == MM7_RETRY && attempt < c->submit_attempts) {
        int delay = mm7_backoff_s(attempt, (int)c->retry_min_s, (int)c->retry_max_s);
        rc = store_outbox_retry(s, rq->id, delay);
        log_info("mms: deliver outbox_id=%lld path=mm7 retry attempt=%d in_s=%d (%s)", rq->id, attempt, delay,
                 res.reason);
        counted(rc, "mm7", "retry");
    } else {
        rc = fail(s, rq, T_MMS_UNDELIVERED, res.reason);
        counted(rc, "mm7", "failed");
    }
    mm7_client_result_cleanup(&res);
    return rc;
}

/* ---- direct: a token, the WAP push for vaultbox, in one transaction ---- */

static enum store_result submit_direct(struct store *s, const struct store_outbox_request *rq,
                                       const struct store_mms *m)
{
    const struct mms_config *c = conf->mms;
    char token[STORE_RETRIEVAL_TOKEN_LEN], url[512];
    long long did = 0;
    struct mms_direct_sms *sms = NULL;
    struct store_outbox_mt *mts = NULL;
    size_t count = 0;
    enum store_result rc = store_tx_begin(s);
    if (rc != STORE_OK)
        return rc;
    rc = store_mms_retrieval_create(s, rq->user_id, rq->n, rq->msisdn, rq->id, (int)c->retrieve_ttl_s, token, &did);
    if (rc == STORE_OK && mm7_conf_retrieve_url(c, token, url, sizeof url) != 0)
        rc = STORE_INVALID;
    if (rc == STORE_OK) {
        struct mms_direct_notice nt = { .id = did, .url = url, .sender = c->sender, .subject = m->subject,
                                        .size = (uint64_t)m->size_bytes, .expiry_s = (long)c->retrieve_ttl_s };
        if (mms_direct_notification(&nt, &sms, &count) != MMS_DIRECT_OK)
            rc = STORE_INVALID;
    }
    if (rc == STORE_OK) {
        mts = xcalloc(count, sizeof *mts);
        for (size_t i = 0; i < count; i++)
            mts[i] = (struct store_outbox_mt){ .kind = OUTBOX_BINARY, .udh = sms[i].udh, .udh_len = sms[i].udhlen,
                                               .data = sms[i].data, .data_len = sms[i].len,
                                               .coding = STORE_CODING_8BIT };
        rc = store_outbox_handoff(s, rq->id, STORE_CHANNEL_SMS, mts, count);
    }
    if (rc == STORE_OK)
        rc = store_tx_commit(s);
    else
        store_tx_rollback(s);
    explicit_bzero(token, sizeof token);
    explicit_bzero(url, sizeof url);
    free(mts);
    free(sms);
    log_info("mms: deliver outbox_id=%lld n=%lld path=direct delivery=%lld push_sms=%zu store=%s", rq->id, rq->n,
             did, count, store_result_name(rc));
    if (rc == STORE_INVALID) {
        rc = fail(s, rq, T_MMS_UNDELIVERED, "direct: the notification cannot be built");
        counted(rc, "direct", "failed");
        return rc;
    }
    counted(rc, "direct", "submitted");
    return rc;
}

/* One claimed request, settled (or left claimed on a store failure: the
 * next sweep requeues it). */
static enum store_result deliver(struct store *s, const struct store_outbox_request *rq)
{
    struct store_mms m = { 0 };
    struct store_mms_part *parts = NULL;
    size_t n = 0;
    enum store_result rc = read_mms(s, rq, &m, &parts, &n);
    if (rc == STORE_NOT_FOUND)
        return fail(s, rq, T_ITEM_GONE, "the item was deleted before it was sent");
    if (rc != STORE_OK)
        return rc;
    if (strcmp(conf->mms->delivery, "direct") == 0)
        rc = submit_direct(s, rq, &m);
    else
        rc = submit_mm7(s, rq, &m, parts, n);
    store_mms_cleanup(&m);
    store_mms_parts_free(parts, n);
    return rc;
}

static struct store *open_store(void)
{
    double wait = 0.2;
    while (!atomic_load(&stopping)) {
        struct store *s = NULL;
        if (store_open(conf->store, &s) == STORE_OK)
            return s;
        log_warn("mms: deliver: database unavailable retry_s=%.1f", wait);
        nap(wait);
        wait = wait * 2 < 5 ? wait * 2 : 5;
    }
    return NULL;
}

/* Renew the lease and requeue the requests of gone instances; and
 * deliveries accepted longer ago than [mms] report_wait, with no report
 * since (an MMSC that sends none, a phone that never fetched), count as
 * sent — a batch each time. */
static bool lease_renew(struct store *s)
{
    enum store_result r = store_outbox_hold(s, instance);
    if (r == STORE_CONFLICT)
        log_warn("mms: deliver: lease-held-by-old-session instance=%s", instance);
    else if (r != STORE_OK)
        return false;
    if (store_outbox_requeue_orphans(s, (int)conf->mms->instance_grace_s, NULL) != STORE_OK)
        return false;
    if (conf->mms->report_wait_s == 0)
        return true;
    long long counts[STORE_MT_PURPOSES], n = 0;
    if (store_outbox_settle_unreported(s, STORE_CHANNEL_MMS, (int)conf->mms->report_wait_s, 500, counts) !=
        STORE_OK)
        return false;
    for (int k = 0; k < STORE_MT_PURPOSES; k++)
        n += counts[k];
    if (n > 0 && conf->count_unreported)
        conf->count_unreported(conf->mms->delivery, n);
    return true;
}

static void *deliver_main(void *arg)
{
    (void)arg;
    struct store *s = open_store();
    bool listening = false;
    double lease_every = conf->mms->instance_grace_s / 5.0 < 1 ? 1 : conf->mms->instance_grace_s / 5.0;
    double next_lease = 0, trouble = 0.1;
    while (s != NULL && !atomic_load(&stopping)) {
        if (monotonic_s() >= next_lease) {
            if (!lease_renew(s))
                goto trouble;
            next_lease = monotonic_s() + lease_every;
        }
        if (!listening) {
            if (store_outbox_listen(s) != STORE_OK)
                goto trouble;
            listening = true;
        }
        struct store_outbox_request *rqs = NULL;
        size_t count = 0;
        enum store_result r = store_outbox_claim_requests(s, instance, STORE_CHANNEL_MMS, CLAIM_BATCH, &rqs, &count);
        if (r == STORE_NOT_FOUND) {
            log_warn("mms: deliver: lease-lost instance=%s", instance);
            next_lease = 0;
            nap(0.1);
            continue;
        }
        if (r != STORE_OK)
            goto trouble;
        trouble = 0.1;
        bool failed = false;
        for (size_t i = 0; i < count; i++) {
            if (conf->die_after_claim > 0 && ++claims == conf->die_after_claim) {
                log_warn("mms: test hook: killed after claim %ld, before the submission", claims);
                raise(SIGKILL);
            }
            /* a store failure leaves this and the rest claimed: requeued
             * on the next reconnect (below) or by the sweep */
            if (!failed && deliver(s, &rqs[i]) != STORE_OK)
                failed = true;
        }
        store_outbox_requests_free(rqs, count);
        if (failed) {
            store_ping(s);
            store_outbox_requeue_sending(s, instance, NULL);
            goto trouble;
        }
        if (count == 0) {
            /* a timeout looks again: retries come due without a notify */
            r = store_outbox_wait(s, 1000);
            if (r == STORE_RETRY || r == STORE_ERR)
                listening = false;
        }
        continue;
trouble:
        listening = false;
        nap(trouble);
        trouble = trouble * 2 < 5 ? trouble * 2 : 5;
        store_ping(s);
    }
    if (s != NULL && store_outbox_release(s, instance) != STORE_OK)
        log_warn("mms: deliver: lease-release-failed instance=%s", instance);
    store_free(s);
    return NULL;
}

void mms_deliver_start(const struct mms_deliver_config *cfg)
{
    conf = cfg;
    store_outbox_instance_new(instance);
    atomic_store(&stopping, false);
    pthread_create(&thread, NULL, deliver_main, NULL);
    log_info("mms: deliver: instance=%s path=%s", instance, cfg->mms->delivery);
}

void mms_deliver_stop(void)
{
    atomic_store(&stopping, true);
    pthread_join(thread, NULL);
}
