/*
 * mm7_client — SubmitReq on libcurl (see mm7_client.h).
 */
#include "mm7_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "log.h"
#include "mm7_request.h"

#define ANSWER_MAX (256 * 1024)   /* bytes of an answer we read: a SubmitRsp is small */

void mm7_client_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void mm7_client_result_cleanup(struct mm7_client_result *r)
{
    if (r == NULL)
        return;
    free(r->message_id);
    r->message_id = NULL;
}

enum mm7_outcome mm7_client_classify(bool transport_ok, long http_status, enum mm7_result parsed,
                                     const struct mm7_envelope *env, int *status_out)
{
    *status_out = 0;
    if (!transport_ok)
        return MM7_RETRY;
    if (parsed == MM7_OK && env && env->status_code >= 1000 && env->status_code <= 9999) {
        *status_out = env->status_code;
        return mm7_outcome_of(env->status_code);
    }
    if (http_status >= 500 || http_status == 408 || http_status == 429 || (http_status >= 200 && http_status < 300))
        return MM7_RETRY;
    return MM7_PERMANENT;
}

/* The answer, read up to ANSWER_MAX bytes. */
struct sink {
    struct buf b;
    bool over;
};

static size_t on_body(char *p, size_t size, size_t n, void *user)
{
    struct sink *s = user;
    size_t k = size * n;
    if (s->b.len + k > ANSWER_MAX) {
        s->over = true;
        return 0;   /* ends the transfer */
    }
    buf_append(&s->b, p, k);
    return k;
}

/* The request body: envelope and MM. */
static void build(const struct mmsc_config *m, const struct mm7_client_message *msg, struct mm7_body *body)
{
    char *soap_cid = xasprintf("soap-%s@smsvault", msg->transaction_id);
    char *content_cid = xasprintf("mms-%s@smsvault", msg->transaction_id);
    struct mm7_submit q = {
        .transaction_id = msg->transaction_id, .ns = m->ns, .version = m->version, .vaspid = m->vaspid,
        .vasid = m->vasid, .sender_shortcode = m->shortcode, .recipient = msg->recipient,
        .service_code = m->service_code, .linked_id = msg->linked_id,
        .timestamp = msg->now ? msg->now : time(NULL), .expiry = "P7D", .delivery_report = m->delivery_report,
        .subject = msg->subject, .content_cid = content_cid, .allow_adaptations = true,
    };
    size_t xlen = 0;
    char *xml = mm7_emit_submit(&q, &xlen);
    mm7_mime_build(xml, xlen, soap_cid, content_cid, msg->parts, msg->nparts, body);
    free(xml);
    free(soap_cid);
    free(content_cid);
}

void mm7_client_submit(const struct mmsc_config *mmsc, const struct mm7_client_message *msg,
                       struct mm7_client_result *out)
{
    memset(out, 0, sizeof *out);
    out->outcome = MM7_RETRY;
    if (mmsc->url == NULL || mmsc->url[0] == '\0' || msg->nparts == 0) {
        out->outcome = MM7_PERMANENT;
        snprintf(out->reason, sizeof out->reason, "mm7: [mmsc.%s] has no url, or the MMS no parts", mmsc->name);
        return;
    }
    struct mm7_body body = { 0 };
    build(mmsc, msg, &body);
    struct sink answer = { 0 };
    char errbuf[CURL_ERROR_SIZE] = "";
    char *ct_header = xasprintf("Content-Type: %s", body.content_type);
    struct curl_slist *headers = NULL;
    headers = curl_slist_append(headers, ct_header);
    headers = curl_slist_append(headers, "SOAPAction: \"\"");
    headers = curl_slist_append(headers, "Expect:");   /* no 100-continue, whatever the size */
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, mmsc->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    if (mmsc->username && mmsc->username[0]) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, mmsc->username);
        curl_easy_setopt(h, CURLOPT_PASSWORD, mmsc->password ? mmsc->password : "");
    }
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, mmsc->timeout_s < 10 ? mmsc->timeout_s : 10L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)mmsc->timeout_s);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "smsvault-vaultmms");
    CURLcode cc = curl_easy_perform(h);
    long http = 0;
    char *ct = NULL;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
    bool transport_ok = cc == CURLE_OK && http > 0;
    out->http_status = transport_ok ? http : 0;

    struct mm7_request rsp = { 0 };
    enum mm7_result parsed = MM7_E_XML;
    if (transport_ok && answer.b.len > 0) {
        static const struct mm7_limits lim = { ANSWER_MAX, ANSWER_MAX, 8, 2 };
        parsed = mm7_request_parse(ct ? ct : "text/xml", buf_cstr(&answer.b), answer.b.len, &lim, &rsp);
    }
    int status = 0;
    out->outcome = mm7_client_classify(transport_ok, out->http_status, parsed, &rsp.env, &status);
    out->status = status;
    if (out->outcome == MM7_DONE && mm7_one_line(rsp.env.message_id))
        out->message_id = xstrdup(rsp.env.message_id);
    if (!transport_ok)
        snprintf(out->reason, sizeof out->reason, "mm7: no answer from %s: %.120s", mmsc->name,
                 errbuf[0] ? errbuf : curl_easy_strerror(cc));
    else if (status)
        snprintf(out->reason, sizeof out->reason, "mm7: %s answered HTTP %ld status %d %s", mmsc->name, http, status,
                 mm7_status_text(status));
    else
        snprintf(out->reason, sizeof out->reason, "mm7: %s answered HTTP %ld without an MM7 status%s", mmsc->name,
                 http, answer.over ? " (answer too long)" : "");
    log_info("mm7: submit mmsc=%s tid=%s to=%s http=%ld status=%d outcome=%s message=%s", mmsc->name,
             msg->transaction_id, msg->recipient, out->http_status, status,
             out->outcome == MM7_DONE ? "done" : out->outcome == MM7_RETRY ? "retry" : "permanent",
             out->message_id ? out->message_id : "-");
    mm7_request_cleanup(&rsp);
    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    free(ct_header);
    buf_cleanup(&answer.b);
    mm7_body_cleanup(&body);
}
