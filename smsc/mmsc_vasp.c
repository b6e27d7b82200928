/*
 * mmsc_vasp — mmscsim's requests to the VASP: DeliverReq for an MM a
 * handset sent to the VASP's short code, DeliveryReportReq when a handset
 * acknowledged an MM the VASP submitted. One thread posts them in order of
 * their due time with libcurl (SOAPAction "", an empty Expect:, Basic auth
 * when set). An answer whose Status/StatusCode (in a Rsp or a Fault, with
 * HTTP 200 or 500) is 1xxx is done; 2xxx is final (the request is dropped
 * and counted failed); anything else — 3xxx, 4xxx, an empty or unreadable
 * answer, another HTTP status, no connection, a timeout — is tried again
 * after retry_ms, doubling up to retry_max_ms, at most max_attempts times.
 * The dup knob posts each DeliverReq twice with the same TransactionID (a
 * VASP must store it once); the pad knob makes it oversize; while down,
 * nothing is posted.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "log.h"
#include "mm7_parse.h"
#include "mmscsim.h"

#define ANSWER_MAX (1u << 20)

static unsigned next_tid = 1;

static void enqueue(struct mmsc_job *j);

/* A job for http (consumed), due now, queued. */
static struct mmsc_job *add_job(enum mmsc_job_kind kind, const char *tid, struct mm7_http *http)
{
    struct mmsc_job *j = xcalloc(1, sizeof *j);
    j->kind = kind;
    snprintf(j->tid, sizeof j->tid, "%s", tid);
    j->http = *http;
    memset(http, 0, sizeof *http);
    j->due_ms = mmsc_now_ms();
    enqueue(j);
    return j;
}

static void enqueue(struct mmsc_job *j)
{
    struct mmsc_job **pp = &mmsc.jobs;
    while (*pp)
        pp = &(*pp)->next;
    *pp = j;
    mmsc.njobs++;
    pthread_cond_broadcast(&mmsc.wake);
}

void mmsc_vasp_deliver(const char *sender, const char *short_code, const struct mms_pdu *mm)
{
    struct mm7_deliver d;
    struct mm7_http http;
    struct mmsc_job *j;
    char tid[64], lid[64];
    unsigned n = next_tid++;

    snprintf(tid, sizeof tid, "mmscsim-dlv-%06u", n);
    snprintf(lid, sizeof lid, "mmscsim-lnk-%06u", n);
    memset(&d, 0, sizeof d);
    d.transaction_id = tid;
    d.relay_server_id = "mmscsim";
    d.linked_id = lid;
    d.sender = sender;
    d.recipient = short_code;
    d.subject = mm->subject;
    d.timestamp = time(NULL);
    d.parts = mm->parts;
    d.nparts = mm->nparts;
    d.pad = mmsc.fault.pad > 0 ? (size_t)mmsc.fault.pad : 0;
    d.seed = n;
    mm7_emit_deliver_req(mmsc.dialect, &d, &http);
    j = add_job(JOB_DELIVER, tid, &http);
    if (mmsc.fault.dup) {
        /* the same request again, as an MMSC that did not see the answer */
        http = j->http;
        http.body = xmalloc(j->http.len);
        memcpy(http.body, j->http.body, j->http.len);
        add_job(JOB_DELIVER, tid, &http);
        mmsc.stats.deliver_dups++;
    }
    log_info("mmscsim: queued DeliverReq tid=%s to=%s dialect=%s bytes=%zu dup=%d", tid,
             short_code, mm7_dialect_name(mmsc.dialect), j->http.len, mmsc.fault.dup);
}

void mmsc_vasp_report(const struct mmsc_msg *msg, const char *mm_status)
{
    struct mm7_report r;
    struct mm7_http http;
    char tid[64];

    snprintf(tid, sizeof tid, "mmscsim-dlr-%06u", next_tid++);
    r.transaction_id = tid;
    r.relay_server_id = "mmscsim";
    r.message_id = msg->message_id;
    r.recipient = msg->to;
    r.sender = msg->from;
    r.date = time(NULL);
    r.mm_status = mm_status;
    r.status_text = NULL;
    mm7_emit_delivery_report_req(mmsc.dialect, &r, &http);
    add_job(JOB_REPORT, tid, &http);
    log_info("mmscsim: queued DeliveryReportReq tid=%s message_id=%s status=%s", tid,
             msg->message_id, mm_status);
}

/* ---- posting ------------------------------------------------------------------- */

struct answer {
    unsigned char *p;
    size_t len, cap;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct answer *a = ud;
    size_t n = size * nmemb;
    if (a->len + n > ANSWER_MAX)
        return 0;
    a->p = xgrow(a->p, &a->cap, a->len + n + 1);
    memcpy(a->p + a->len, ptr, n);
    a->len += n;
    return n;
}

enum outcome { DONE, FINAL, AGAIN };

/* POST the job; what the answer means. */
static enum outcome post(const struct mmsc_job *j, int *status_out, long *http_out)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = NULL;
    struct answer a = { NULL, 0, 0 };
    struct mm7_msg m;
    char ct[600], err[160], *actype = NULL, userpwd[256];
    long http = 0;
    enum outcome o = AGAIN;
    CURLcode rc;

    *status_out = 0;
    *http_out = 0;
    if (!h)
        return AGAIN;
    snprintf(ct, sizeof ct, "Content-Type: %s", j->http.content_type);
    hdr = curl_slist_append(hdr, ct);
    hdr = curl_slist_append(hdr, "SOAPAction: \"\"");
    hdr = curl_slist_append(hdr, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, mmsc.cfg.vasp_url);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)j->http.body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->http.len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "mmscsim (smsvault MMSC simulator)");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, mmsc.cfg.vasp_timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (mmsc.cfg.vasp_user) {
        snprintf(userpwd, sizeof userpwd, "%s:%s", mmsc.cfg.vasp_user, mmsc.cfg.vasp_password);
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERPWD, userpwd);
    }
    rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        log_info("mmscsim: post tid=%s: %s", j->tid, curl_easy_strerror(rc));
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &actype);
    *http_out = http;
    /* the status wherever it is, with HTTP 200 or 500 alike */
    if (a.len > 0 && mm7_parse(actype ? actype : "text/xml", a.p, a.len, &m, err, sizeof err) == 0) {
        *status_out = m.status;
        if (m.status >= 1000 && m.status < 2000)
            o = DONE;
        else if (m.status >= 2000 && m.status < 3000)
            o = FINAL;
    }
    if (a.len > 0)
        mm7_msg_cleanup(&m);
out:
    free(a.p);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return o;
}

/* The first job that is due, unlinked; NULL and *wait_ms until the next. */
static struct mmsc_job *take_due(int64_t now, int64_t *wait_ms)
{
    struct mmsc_job **pp, *j;
    int64_t next = -1;

    for (pp = &mmsc.jobs; (j = *pp) != NULL; pp = &j->next) {
        if (j->due_ms <= now) {
            *pp = j->next;
            j->next = NULL;
            mmsc.njobs--;
            return j;
        }
        if (next < 0 || j->due_ms < next)
            next = j->due_ms;
    }
    *wait_ms = next < 0 ? 1000 : next - now;
    return NULL;
}

void *mmsc_vasp_main(void *arg)
{
    pthread_mutex_lock(&mmsc.lock);
    while (!mmsc.stopping) {
        int64_t now = mmsc_now_ms(), wait = 1000;
        struct mmsc_job *j = NULL;
        enum outcome o;
        int status;
        long http;

        if (!mmsc.fault.down && mmsc.cfg.vasp_url)
            j = take_due(now, &wait);
        if (!j) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            if (wait > 1000)
                wait = 1000;
            ts.tv_sec += (time_t)(wait / 1000);
            ts.tv_nsec += (long)(wait % 1000) * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&mmsc.wake, &mmsc.lock, &ts);
            continue;
        }
        j->attempts++;
        if (j->kind == JOB_DELIVER)
            mmsc.stats.deliver_attempts++;
        else
            mmsc.stats.report_attempts++;
        pthread_mutex_unlock(&mmsc.lock);
        o = post(j, &status, &http);
        pthread_mutex_lock(&mmsc.lock);
        log_info("mmscsim: %s tid=%s attempt=%d http=%ld status=%d -> %s",
                 j->kind == JOB_DELIVER ? "DeliverReq" : "DeliveryReportReq", j->tid, j->attempts,
                 http, status, o == DONE ? "done" : o == FINAL ? "failed" : "again");
        if (o == AGAIN && j->attempts < mmsc.cfg.max_attempts) {
            long delay = mmsc.cfg.retry_ms;
            int k;
            for (k = 1; k < j->attempts && delay < mmsc.cfg.retry_max_ms; k++)
                delay *= 2;
            if (delay > mmsc.cfg.retry_max_ms)
                delay = mmsc.cfg.retry_max_ms;
            j->due_ms = mmsc_now_ms() + delay;
            if (j->kind == JOB_DELIVER)
                mmsc.stats.deliver_retries++;
            else
                mmsc.stats.report_retries++;
            enqueue(j);
            continue;
        }
        if (j->kind == JOB_DELIVER) {
            if (o == DONE)
                mmsc.stats.deliver_ok++;
            else
                mmsc.stats.deliver_failed++;
        } else {
            if (o == DONE)
                mmsc.stats.report_ok++;
            else
                mmsc.stats.report_failed++;
        }
        if (o != DONE)
            log_warn("mmscsim: gave up %s tid=%s after %d attempts status=%d",
                     j->kind == JOB_DELIVER ? "DeliverReq" : "DeliveryReportReq", j->tid,
                     j->attempts, status);
        mm7_http_cleanup(&j->http);
        free(j);
    }
    pthread_mutex_unlock(&mmsc.lock);
    return arg;
}
