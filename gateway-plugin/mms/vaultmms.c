/*
 * vaultmms — smsvault's second gateway plugin (issue 9): the MM7 VASP
 * endpoint that an operator's MMSC posts to (3GPP TS 23.140, SOAP 1.1 with
 * attachments over HTTP), on PostgreSQL through store/. It is its own
 * program and does not use Kannel: replies to the phone are outbox rows
 * that vaultbox sends.
 *
 * HTTP (libmicrohttpd, a pool of [mms] threads, one store connection each):
 *   POST /mm7/NAME   on [mms] listen:port, for the operator's MMSCs: a
 *                    request of MMSC [mmsc.NAME]: DeliverReq,
 *                    DeliveryReportReq, ReadReplyReq (mm7_vasp.c has the rules)
 *   GET|POST /mms/r/TOKEN   with [mms] delivery = direct, on a listener of
 *                    its own ([mms] retrieve_listen:retrieve_port), for
 *                    handsets: the direct path's one-time retrieval URL
 *                    and the handset's answer there (mms_retrieve.c)
 * MM7: checked before the body is read, in this order: the route (404, 405),
 * the peer against the MMSC's allow-list (403), its HTTP Basic credentials
 * (401), Content-Length against [mms] body_max (413); bytes past body_max
 * are not kept and the request is refused when it ends. Refusals carry a
 * SOAP Fault (4001 not identified, 2004 content refused) like every answer.
 * Retrieval: a path that is not /mms/r/TOKEN is 404, a method not GET or
 * POST 405, a POST body over MMS_RETRIEVE_POST_MAX 413.
 *
 * Delivery of MMS to phones (GET M3, the web's "send to my phone"): one
 * thread, mms_deliver.c, claims the outbox's requests of channel mms and
 * delivers each by [mms] delivery (mm7 SubmitReq, or direct: a WAP push
 * that vaultbox sends and the retrieval URL above).
 *
 * Under systemd (Type=notify, packaging/systemd/vaultmms.service.in):
 * READY=1 once its listeners listen, STOPPING=1 on SIGTERM, WATCHDOG=1
 * while its service thread turns and each listener answers a HEAD / of
 * its own (common/probe.h: a hung HTTP server is restarted), and
 * SIGHUP re-reads [mms] log_level; every other setting needs a restart. A
 * conninfo "@NAME" is read from the credential NAME (LoadCredential=).
 *
 * Test hooks: SMSVAULT_TEST_DIE_AFTER_CLAIM=n (mms_deliver.h);
 * SMSVAULT_TEST_DIE_AFTER_COMMIT=n kills the process (SIGKILL,
 * as kill -9 would) right after the n-th DeliverReq commit, before its
 * answer is sent — the window in which an MMSC sends a DeliverReq again
 * that was already stored (tests/e2e/vaultmms_test.sh).
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <libxml/parser.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "mm7_client.h"
#include "mm7_conf.h"
#include "mm7_mime.h"
#include "mm7_request.h"
#include "mm7_vasp.h"
#include "mms_deliver.h"
#include "mms_retrieve.h"
#include "notify.h"
#include "probe.h"
#include "store.h"

static struct mms_config cfg;
static struct mmsc_config mmscs[MM7_MMSC_MAX];
static size_t nmmscs;
static struct store_config store_cfg;
static struct mm7_vasp vasp;
static struct mms_retrieve retrieval;

/* ---- metrics (issue 13): GET /metrics on 127.0.0.1:[mms] metrics_port ----
 * Every answer by operation and MM7 status class, what became of each
 * DeliverReq committed (MMS in), and what is known of the MMS we sent
 * (MMS out): on the direct path each fetch of the retrieval URL and the
 * handset's answer, on the MM7 path each DeliveryReportReq, on either what
 * had no answer within [mms] report_wait; and each try
 * of the sender (mms_deliver.c: a SubmitReq, or the direct path's WAP push
 * handed to vaultbox) by what became of its request. */

static struct metrics *reg;
static struct metric *m_requests, *m_received, *m_results, *m_sent;
static const char *const paths[] = { "direct", "mm7", NULL };
static const char *const results[] = { "fetched", "delivered", "rejected", "deferred", "failed", "pending",
                                       "again", "unknown", "unavailable", "not-an-answer", "unreported", NULL };
static const char *const operations[] = { "DeliverReq", "DeliveryReportReq", "ReadReplyReq", "refused", "other",
                                          NULL };
static const char *const status_classes[] = { "1xxx", "2xxx", "3xxx", "4xxx", "other", NULL };
static const char *const outcomes[] = { "stored", "again", "unbound", "no-space", NULL };
static const char *const sends[] = { "submitted", "retry", "failed", NULL };

static void metrics_declare(void)
{
    static const struct metric_label req[] = { { "operation", operations }, { "status_class", status_classes } };
    static const struct metric_label out[] = { { "outcome", outcomes } };
    reg = metrics_new();
    metrics_declare_process(reg, "vaultmms", SMSVAULT_VERSION);
    m_requests = metrics_counter(reg, "smsvault_mm7_requests_total",
                                 "MM7 requests from the MMSCs answered, by operation and MM7 status class "
                                 "(1xxx success, 2xxx client, 3xxx server, 4xxx service errors).",
                                 req, 2, METRIC_SPARSE);
    m_received = metrics_counter(reg, "smsvault_mms_received_total",
                                 "DeliverReq committed, by what became of the MMS: stored, again (an MMSC's "
                                 "retry, answered as the first time), unbound phone, no space.",
                                 out, 1, 0);
    static const struct metric_label res[] = { { "path", paths }, { "result", results } };
    m_results = metrics_counter(reg, "smsvault_mms_sent_results_total",
                                "What is known of the MMS sent to phones, by path: direct, the retrieval URL "
                                "(fetched; the handset's answer: delivered, rejected, deferred; unknown: no such "
                                "delivery, used or expired; unavailable: the archive could not be read; "
                                "not-an-answer), mm7, each DeliveryReportReq (delivered, failed, pending; "
                                "again: a final outcome reported once more; unknown: no such submission); on "
                                "either, unreported: accepted, no answer or report within [mms] report_wait, "
                                "now counted as sent.",
                                res, 2, METRIC_SPARSE);
    static const struct metric_label sent[] = { { "path", paths }, { "result", sends } };
    m_sent = metrics_counter(reg, "smsvault_mms_sent_total",
                             "Tries to send an MMS to a phone, by path (mm7: a SubmitReq; direct: the WAP push "
                             "handed to vaultbox) and what became of the request: submitted, retry (later), "
                             "failed (for good, the user told by SMS).",
                             sent, 2, METRIC_SPARSE);
    store_metrics_declare(reg);
}

static void count_result(size_t path, size_t result)
{
    size_t v[] = { path, result };
    metric_inc(m_results, metric_series(m_results, v));
}

/* mms_deliver's hook (another thread: the counters are atomic). */
static void count_sent(const char *path, const char *result)
{
    long p = metric_value_index(m_sent, 0, path), r = metric_value_index(m_sent, 1, result);
    if (p >= 0 && r >= 0) {
        size_t v[] = { (size_t)p, (size_t)r };
        metric_inc(m_sent, metric_series(m_sent, v));
    }
}

/* mms_deliver's sweep (another thread) */
static void count_unreported(const char *path, long long n)
{
    long p = metric_value_index(m_results, 0, path), r = metric_value_index(m_results, 1, "unreported");
    if (p >= 0 && r >= 0 && n > 0) {
        size_t v[] = { (size_t)p, (size_t)r };
        metric_add(m_results, metric_series(m_results, v), (uint64_t)n);
    }
}

static void count_retrieval(const struct mms_retrieve_answer *a)
{
    long o = a->outcome ? metric_value_index(m_results, 1, a->outcome) : -1;
    if (o >= 0)
        count_result(0, (size_t)o);
}

static void count_answer(const struct mm7_answer *a)
{
    long op = metric_value_index(m_requests, 0, a->what);
    size_t cls = a->status >= 1000 && a->status < 5000 ? (size_t)(a->status / 1000 - 1) : 4;
    size_t v[] = { op >= 0 ? (size_t)op : 4, cls };
    metric_inc(m_requests, metric_series(m_requests, v));
    bool report = strcmp(a->what, "DeliveryReportReq") == 0;
    long o = a->outcome[0] ? metric_value_index(report ? m_results : m_received, report ? 1 : 0, a->outcome) : -1;
    if (o >= 0 && report)
        count_result(1, (size_t)o);
    else if (o >= 0)
        metric_inc(m_received, (size_t)o);
}

/* ---- the test hook ---- */

static long die_after_commit;
static atomic_long commits;

static void count_commit(void *ctx)
{
    if (atomic_fetch_add(&commits, 1) + 1 == die_after_commit) {
        log_warn("vaultmms: test hook: killed after commit %ld, before the answer", die_after_commit);
        raise(SIGKILL);
    }
}

/* ---- one store connection per HTTP thread ---- */

static pthread_key_t store_key;

static void store_destroy(void *p) { store_free(p); }

static struct store *thread_store(void)
{
    struct store *s = pthread_getspecific(store_key);
    if (s && !store_ping(s)) {
        store_free(s);
        s = NULL;
        pthread_setspecific(store_key, NULL);
    }
    if (s == NULL && store_open(&store_cfg, &s) == STORE_OK)
        pthread_setspecific(store_key, s);
    return s;
}

/* ---- HTTP ---- */

/* One request on either listener. */
struct request {
    const struct mmsc_config *mmsc;   /* MM7: the MMSC it is from; retrieval: NULL */
    struct buf body;
    bool too_large;
    bool answered;     /* refused before the body: the rest of it is read and dropped */
};

/* The body, as libmicrohttpd hands it over in chunks: kept up to max
 * bytes (more is read and dropped, and too_large set). True once it is
 * complete and the request is not answered yet: answer it now. */
static bool body_complete(struct request *rq, const char *data, size_t *size, size_t max)
{
    if (rq->answered) {
        *size = 0;
        return false;
    }
    if (*size > 0) {
        if (rq->body.len + *size > max)
            rq->too_large = true;
        else
            buf_append(&rq->body, data, *size);
        *size = 0;
        return false;
    }
    rq->answered = true;
    return true;
}

static const struct mmsc_config *mmsc_by_path(const char *url)
{
    static const char prefix[] = "/mm7/";
    if (strncmp(url, prefix, sizeof prefix - 1) != 0)
        return NULL;
    const char *name = url + sizeof prefix - 1;
    for (size_t i = 0; i < nmmscs; i++)
        if (strcmp(mmscs[i].name, name) == 0)
            return &mmscs[i];
    return NULL;
}

static void peer_text(struct MHD_Connection *conn, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, cap, "?");
    if (ci == NULL || ci->client_addr == NULL)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, (socklen_t)cap);
}

static enum MHD_Result send_text(struct MHD_Connection *conn, int status, const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ok;
}

/* Send an answer (consumes its body) and log the exchange. */
static enum MHD_Result send_answer(struct MHD_Connection *conn, const struct mmsc_config *mmsc,
                                   struct mm7_answer *a, bool ask_auth)
{
    char peer[64];
    peer_text(conn, peer, sizeof peer);
    log_info("vaultmms: mmsc=%s peer=%s op=%s http=%d status=%d", mmsc->name, peer, a->what, a->http_status,
             a->status);
    count_answer(a);
    struct MHD_Response *r = MHD_create_response_from_buffer(a->len, a->body, MHD_RESPMEM_MUST_FREE);
    a->body = NULL;
    MHD_add_response_header(r, "Content-Type", MM7_ANSWER_CONTENT_TYPE);
    enum MHD_Result ok = ask_auth ? MHD_queue_basic_auth_fail_response(conn, "vaultmms", r)
                                  : MHD_queue_response(conn, (unsigned)a->http_status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result refuse(struct MHD_Connection *conn, const struct mmsc_config *mmsc, int http, int status,
                              const char *detail)
{
    struct mm7_answer a;
    mm7_vasp_refuse(mmsc, http, status, detail, &a);
    return send_answer(conn, mmsc, &a, http == MHD_HTTP_UNAUTHORIZED);
}

/* Route, peer, credentials and announced size: before any body byte is read. */
static enum MHD_Result check_headers(struct MHD_Connection *conn, const char *url, const char *method,
                                     struct request *rq)
{
    const struct mmsc_config *mmsc = mmsc_by_path(url);
    if (mmsc == NULL)
        return send_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
    if (strcmp(method, "POST") != 0)
        return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "POST only\n");
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!mm7_conf_peer_allowed(mmsc, ci ? ci->client_addr : NULL))
        return refuse(conn, mmsc, MHD_HTTP_FORBIDDEN, MM7_IMPROPER_IDENTIFICATION, "peer not allowed");
    char *password = NULL;
    char *user = MHD_basic_auth_get_username_password(conn, &password);
    bool ok = mm7_conf_credentials_ok(mmsc, user, password);
    MHD_free(user);
    MHD_free(password);
    if (!ok)
        return refuse(conn, mmsc, MHD_HTTP_UNAUTHORIZED, MM7_IMPROPER_IDENTIFICATION, "credentials");
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > (unsigned long long)cfg.body_max)
        return refuse(conn, mmsc, MHD_HTTP_CONTENT_TOO_LARGE, MM7_CONTENT_REFUSED, "body over the cap");
    rq->mmsc = mmsc;
    rq->answered = false;
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size,
                                  void **con_cls)
{
    struct request *rq = *con_cls;
    if (rq == NULL) {
        rq = xcalloc(1, sizeof *rq);
        rq->answered = true;   /* unless the checks let it through */
        *con_cls = rq;
        return check_headers(conn, url, method, rq);
    }
    if (!body_complete(rq, upload_data, upload_size, (size_t)cfg.body_max))
        return MHD_YES;
    if (rq->too_large)
        return refuse(conn, rq->mmsc, MHD_HTTP_CONTENT_TOO_LARGE, MM7_CONTENT_REFUSED, "body over the cap");
    struct store *s = thread_store();
    struct mm7_answer a;
    if (s == NULL) {
        log_warn("vaultmms: database unavailable: answering 4006");
        mm7_vasp_refuse(rq->mmsc, (int)rq->mmsc->fault_http_status, MM7_SERVICE_UNAVAILABLE, NULL, &a);
    } else {
        const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        mm7_vasp_handle(&vasp, rq->mmsc, s, ct, rq->body.data, rq->body.len, &a);
    }
    return send_answer(conn, rq->mmsc, &a, false);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct request *rq = *con_cls;
    if (rq == NULL)
        return;
    buf_cleanup(&rq->body);
    free(rq);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[256];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    log_warn("vaultmms: http: %s", line);
}

/* ---- the direct path's retrieval URL, for handsets ---- */

static enum MHD_Result send_retrieval(struct MHD_Connection *conn, const char *method,
                                      struct mms_retrieve_answer *a)
{
    char peer[64];
    peer_text(conn, peer, sizeof peer);
    log_info("vaultmms: retrieve peer=%s method=%s http=%d %s", peer, method, a->http_status, a->what);
    count_retrieval(a);
    struct MHD_Response *r = MHD_create_response_from_buffer(a->len, a->body, MHD_RESPMEM_MUST_FREE);
    a->body = NULL;
    if (a->content_type)
        MHD_add_response_header(r, "Content-Type", a->content_type);
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)a->http_status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result on_retrieve(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                   const char *version, const char *upload_data, size_t *upload_size,
                                   void **con_cls)
{
    struct request *rq = *con_cls;
    static const char path[] = MMS_RETRIEVE_PATH;
    const char *token = strncmp(url, path, sizeof path - 1) == 0 ? url + sizeof path - 1 : NULL;
    struct mms_retrieve_answer a = { 0 };
    if (rq == NULL) {
        rq = xcalloc(1, sizeof *rq);
        rq->answered = true;   /* unless the checks let it through */
        *con_cls = rq;
        if (token == NULL || token[0] == '\0' || strchr(token, '/'))
            return send_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
        bool get = strcmp(method, "GET") == 0;
        if (!get && strcmp(method, "POST") != 0)
            return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or POST\n");
        if (get) {
            mms_retrieve_get(&retrieval, thread_store(), token, &a);
            return send_retrieval(conn, method, &a);
        }
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > MMS_RETRIEVE_POST_MAX)
            return send_text(conn, MHD_HTTP_CONTENT_TOO_LARGE, "too large\n");
        rq->answered = false;
        return MHD_YES;
    }
    if (!body_complete(rq, upload_data, upload_size, MMS_RETRIEVE_POST_MAX))
        return MHD_YES;
    if (rq->too_large)
        return send_text(conn, MHD_HTTP_CONTENT_TOO_LARGE, "too large\n");
    mms_retrieve_post(&retrieval, thread_store(), token, rq->body.data, rq->body.len, &a);
    return send_retrieval(conn, method, &a);
}

/* ---- listeners ---- */

static struct MHD_Daemon *start_http(const char *listen, long long port, MHD_AccessHandlerCallback handler,
                                     MHD_RequestCompletedCallback completed)
{
    struct sockaddr_storage ss = { 0 };
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, listen, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, listen, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        flags |= MHD_USE_IPv6;
    } else {
        log_error("vaultmms: \"%s\" is not an IP address", listen);
        return NULL;
    }
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL,
                            MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg.threads,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg.max_connections,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg.per_ip_limit,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg.connection_timeout_s,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                            MHD_OPTION_END);
}

/* ---- start ---- */

static void usage(FILE *f)
{
    fprintf(f, "usage: vaultmms [--config smsvault.conf] [--check-config] [--ready-file PATH]\n"
               "  Reads [mms], every [mmsc.NAME], [database], [quota], [login] of smsvault.conf\n"
               "  (default: $SMSVAULT_CONF, else ./smsvault.conf; without a file: defaults, and\n"
               "  the database from $SMSVAULT_PGURI). Serves POST /mm7/NAME for [mmsc.NAME].\n"
               "  --ready-file is created once the endpoint listens.\n");
}

/* ---- the service thread: SIGHUP and the watchdog (common/notify.h) ---- */

static const char *config_path;
static atomic_bool stopping;

/* SIGHUP: [mms] log_level from the file again. */
static void service_reload(void *ctx)
{
    (void)ctx;
    struct mms_config c = { 0 };
    struct store_config sc = { 0 };
    static struct mmsc_config m[MM7_MMSC_MAX];   /* only the service thread reloads */
    memset(m, 0, sizeof m);
    struct config_part parts[] = { { mms_config_keys, mms_config_nkeys, &c },
                                   { store_config_keys, store_config_nkeys, &sc } };
    struct config_named named = { "mmsc", mmsc_config_keys, mmsc_config_nkeys, m, sizeof m[0], MM7_MMSC_MAX,
                                  offsetof(struct mmsc_config, name), 0 };
    char err[600];
    enum log_level lvl;
    if (config_load_named(config_path, parts, 2, &named, 1, config_smsvault_sections, err, sizeof err) !=
        CONFIG_OK)
        log_error("vaultmms: reload-refused error=\"%s\"", err);   /* keep running as configured */
    else if (!log_level_parse(c.log_level, &lvl))
        log_error("vaultmms: reload-refused error=\"[mms] log_level: %s\"", c.log_level);
    else {
        log_set_level(lvl);
        log_info("vaultmms: reloaded file=%s log_level=%s (other keys take effect at restart)",
                 config_path ? config_path : "-", c.log_level);
    }
    config_free(parts, 2);
    config_free_named(&named, 1);
}

/* The listeners the watchdog asks: the MM7 endpoint, and the retrieval
 * URL's on the direct path. Set before the service thread starts. */
static struct {
    const char *addr;
    unsigned port;
} probes[2];
static size_t nprobes;

static bool service_healthy(void *ctx, char *why, size_t whylen)
{
    (void)ctx;
    for (size_t i = 0; i < nprobes; i++)
        if (!probe_http(probes[i].addr, probes[i].port, 5000, why, whylen))
            return false;
    return true;
}

static bool service_stopping(void *ctx)
{
    (void)ctx;
    return atomic_load(&stopping);
}

static void *service_main(void *arg)
{
    (void)arg;
    struct notify_loop loop = { service_healthy, service_reload, service_stopping, NULL, 0, 0, false };
    notify_loop_init(&loop);
    notify_loop_run(&loop);
    return NULL;
}

static int wait_for_signal(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig = 0;
    sigwait(&set, &sig);
    return sig;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "config", required_argument, NULL, 'c' }, { "check-config", no_argument, NULL, 'C' },
        { "ready-file", required_argument, NULL, 'r' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = getenv("SMSVAULT_CONF"), *ready_file = NULL;
    bool check = false;
    int o, rc = 0;
    while ((o = getopt_long(argc, argv, "c:Cr:h", lo, NULL)) != -1) {
        switch (o) {
        case 'c': path = optarg; break;
        case 'C': check = true; break;
        case 'r': ready_file = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (path == NULL && access("smsvault.conf", R_OK) == 0)
        path = "smsvault.conf";
    struct config_part parts[] = {
        { mms_config_keys, mms_config_nkeys, &cfg },
        { store_config_keys, store_config_nkeys, &store_cfg },
    };
    struct config_named named = { "mmsc", mmsc_config_keys, mmsc_config_nkeys, mmscs, sizeof mmscs[0],
                                  MM7_MMSC_MAX, offsetof(struct mmsc_config, name), 0 };
    char err[600];
    if (config_load_named(path, parts, 2, &named, 1, config_smsvault_sections, err, sizeof err) != CONFIG_OK) {
        fprintf(stderr, "vaultmms: %s\n", err);
        config_free(parts, 2);
        config_free_named(&named, 1);
        return 2;
    }
    nmmscs = named.count;
    if (path == NULL && getenv("SMSVAULT_PGURI")) {
        free(store_cfg.conninfo);
        store_cfg.conninfo = xstrdup(getenv("SMSVAULT_PGURI"));
    }
    enum log_level lvl;
    if (!log_level_parse(cfg.log_level, &lvl)) {
        snprintf(err, sizeof err, "[mms] log_level: expected debug, info, warn or error");
        rc = 2;
    } else if (mm7_conf_check(&cfg, mmscs, nmmscs, err, sizeof err) != CONFIG_OK) {
        rc = 2;
    } else if (nmmscs == 0) {
        snprintf(err, sizeof err, "no [mmsc.NAME] section: no MMSC could post to vaultmms");
        rc = 2;
    }
    if (rc != 0) {
        fprintf(stderr, "vaultmms: %s: %s\n", path ? path : "(defaults)", err);
        goto out_config;
    }
    if (check) {
        printf("# %s\n", path ? path : "(defaults)");
        config_print(parts, 2);
        config_fprint_named(stdout, &named, 1);
        goto out_config;
    }
    log_set_level(lvl);
    config_path = path;
    if (store_config_resolve(&store_cfg, err, sizeof err) != 0) {
        fprintf(stderr, "vaultmms: %s\n", err);
        rc = 2;
        goto out_config;
    }
    if (getenv("SMSVAULT_TEST_DIE_AFTER_COMMIT"))
        die_after_commit = atol(getenv("SMSVAULT_TEST_DIE_AFTER_COMMIT"));

    mm7_request_init();
    mm7_client_init();   /* for SubmitReq */
    vasp.lim = (struct mm7_limits){ .soap_max = 64 << 10, .part_max = (size_t)cfg.body_max,
                                    .parts_max = (int)cfg.parts_max, .depth_max = (int)cfg.depth_max };
    vasp.after_commit = die_after_commit > 0 ? count_commit : NULL;
    pthread_key_create(&store_key, store_destroy);
    if (cfg.migrate) {
        struct store *s = NULL;
        enum store_result mr = store_open(&store_cfg, &s);
        if (mr == STORE_OK)
            mr = store_migrate(s);
        store_free(s);
        if (mr != STORE_OK) {
            log_error("vaultmms: migrations failed: %s", store_result_name(mr));
            rc = 1;
            goto out_config;
        }
    }
    /* the HTTP threads inherit this mask: the signals come to sigwait */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    notify_block_sighup();   /* for the service thread's sigtimedwait */
    signal(SIGPIPE, SIG_IGN);
    metrics_declare();
    struct metrics_http *metrics = NULL;
    if (cfg.metrics_port > 0 &&
        (metrics = metrics_http_start(reg, (unsigned)cfg.metrics_port, err, sizeof err)) == NULL) {
        log_error("vaultmms: %s", err);
        rc = 1;
        goto out_metrics;
    }
    struct MHD_Daemon *d = start_http(cfg.listen, cfg.port, on_request, on_completed), *rd = NULL;
    if (d == NULL) {
        log_error("vaultmms: cannot listen on %s port %lld", cfg.listen, cfg.port);
        rc = 1;
        goto out_metrics;
    }
    log_info("vaultmms: listening on %s:%lld mmscs=%zu delivery=%s threads=%lld", cfg.listen, cfg.port, nmmscs,
             cfg.delivery, cfg.threads);
    if (strcmp(cfg.delivery, "direct") == 0) {
        retrieval.sender = cfg.sender;
        rd = start_http(cfg.retrieve_listen, cfg.retrieve_port, on_retrieve, on_completed);
        if (rd == NULL) {
            log_error("vaultmms: cannot listen on %s port %lld (retrieve_listen, retrieve_port)",
                      cfg.retrieve_listen, cfg.retrieve_port);
            MHD_stop_daemon(d);
            rc = 1;
            goto out_metrics;
        }
        log_info("vaultmms: retrieval URL on %s:%lld", cfg.retrieve_listen, cfg.retrieve_port);
    }
    probes[nprobes].addr = cfg.listen;
    probes[nprobes++].port = (unsigned)cfg.port;
    if (rd) {
        probes[nprobes].addr = cfg.retrieve_listen;
        probes[nprobes++].port = (unsigned)cfg.retrieve_port;
    }
    struct mms_deliver_config dc = { .mms = &cfg, .mmscs = mmscs, .nmmscs = nmmscs, .store = &store_cfg,
                                     .die_after_claim = getenv("SMSVAULT_TEST_DIE_AFTER_CLAIM")
                                                            ? atol(getenv("SMSVAULT_TEST_DIE_AFTER_CLAIM")) : 0,
                                     .count = count_sent,
                                     .count_unreported = count_unreported };
    if (strcmp(cfg.delivery, "mm7") == 0 && mms_deliver_mmsc(&cfg, mmscs, nmmscs) == NULL)
        log_warn("vaultmms: delivery = mm7 but no [mmsc.NAME] has a url: every GET M<n> will fail");
    mms_deliver_start(&dc);
    if (ready_file) {
        FILE *f = fopen(ready_file, "w");
        if (f)
            fclose(f);
    }
    pthread_t service_thread;
    bool service_started = pthread_create(&service_thread, NULL, service_main, NULL) == 0;
    if (!service_started)
        log_warn("vaultmms: no service thread: SIGHUP and the watchdog are not answered");
    notify_sendf("READY=1\nSTATUS=MM7 on %s:%lld, %zu MMSC(s)%s", cfg.listen, cfg.port, nmmscs,
                 rd ? ", retrieval URL" : "");
    int sig = wait_for_signal();
    log_info("vaultmms: stopping (signal %d)", sig);
    notify_send("STOPPING=1");
    atomic_store(&stopping, true);
    if (service_started)
        pthread_join(service_thread, NULL);
    mms_deliver_stop();
    if (rd)
        MHD_stop_daemon(rd);
    MHD_stop_daemon(d);
    if (ready_file)
        unlink(ready_file);
    log_info("vaultmms: stopped");
    xmlCleanupParser();
out_metrics:
    metrics_http_stop(metrics);
    store_metrics_declare(NULL);
    metrics_free(reg);
out_config:
    config_free(parts, 2);
    config_free_named(&named, 1);
    return rc;
}
