/*
 * mm7_client_test — CUnit suite for vaultmms's MM7 client against a small
 * MMSC of its own (libmicrohttpd on a free loopback port, in this process):
 * what goes on the wire (POST, multipart/related with start and type,
 * SOAPAction "", HTTP Basic, no "Expect:" even for a body over 1 MB, one
 * recipient, the MM byte-exact) and what each answer means — a SubmitRsp
 * 1000 with its MessageID done; Faults 3xxx / 4006 retried, 2xxx / 4xxx
 * permanent, whether they come as HTTP 500 or 200; an empty 200, HTTP 503,
 * a refused connection and a timeout retried; HTTP 401 permanent.
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "buf.h"
#include "mm7_client.h"
#include "mm7_request.h"

#define NS6 "http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4"
#define ENV "http://schemas.xmlsoap.org/soap/envelope/"

/* ---- a scripted MMSC ---- */

static struct {
    /* the answer to give */
    unsigned http;
    const char *content_type;
    const char *body;
    int delay_ms;
    /* what the last request was */
    char method[8];
    char *content_type_in, *soapaction, *expect, *auth_user, *auth_pass;
    bool has_expect;
    char *body_in;
    size_t body_len;
    int requests;
} mmsc;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *data, size_t *size, void **con_cls)
{
    struct buf *u = *con_cls;   /* the request body */
    if (u == NULL) {
        *con_cls = xcalloc(1, sizeof *u);
        return MHD_YES;
    }
    if (*size) {
        buf_append(u, data, *size);
        *size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&lock);
    snprintf(mmsc.method, sizeof mmsc.method, "%s", method);
    free(mmsc.content_type_in);
    free(mmsc.soapaction);
    free(mmsc.body_in);
    free(mmsc.auth_user);
    free(mmsc.auth_pass);
    mmsc.content_type_in = dup_or_null(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"));
    mmsc.soapaction = dup_or_null(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "SOAPAction"));
    mmsc.has_expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Expect") != NULL;
    char *pass = NULL;
    char *user = MHD_basic_auth_get_username_password(c, &pass);
    mmsc.auth_user = dup_or_null(user);
    mmsc.auth_pass = dup_or_null(pass);
    MHD_free(user);
    MHD_free(pass);
    mmsc.body_in = buf_steal(u, &mmsc.body_len);
    mmsc.requests++;
    unsigned http = mmsc.http;
    const char *ct = mmsc.content_type;
    char *body = xstrdup(mmsc.body ? mmsc.body : "");   /* the test may free its own meanwhile */
    int delay = mmsc.delay_ms;
    pthread_mutex_unlock(&lock);
    if (delay) {
        struct timespec ts = { delay / 1000, (delay % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (ct)
        MHD_add_response_header(r, "Content-Type", ct);
    enum MHD_Result ok = MHD_queue_response(c, http, r);
    MHD_destroy_response(r);
    return ok;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    struct buf *u = *con_cls;
    if (u) {
        buf_cleanup(u);
        free(u);
    }
    *con_cls = NULL;
}

static struct MHD_Daemon *daemon_;
static char url[64];

static void answer(unsigned http, const char *ct, const char *body)
{
    pthread_mutex_lock(&lock);
    mmsc.http = http;
    mmsc.content_type = ct;
    mmsc.body = body;
    mmsc.delay_ms = 0;
    pthread_mutex_unlock(&lock);
}

/* ---- the client's side ---- */

static struct mmsc_config M = {
    .name = "sim", .username = "smsvault", .password = "pa:ss", .vaspid = "smsvault", .vasid = "archive",
    .service_code = "ARCHIVE-GET", .shortcode = "10659", .ns = NS6, .version = "6.8.0", .timeout_s = 5,
    .delivery_report = true, .fault_http_status = 500,
};

static unsigned char *big;
static const size_t BIG = 1500 * 1000;   /* over 1 MB as base64: curl would send Expect: 100-continue */

static struct mm7_part parts[3];

static void submit(struct mm7_client_result *r, size_t nparts)
{
    struct mm7_client_message msg = { .transaction_id = "sv-42", .recipient = "+8613800000001",
                                      .subject = "Archived MMS M3", .parts = parts, .nparts = nparts,
                                      .now = 1700000000 };
    mm7_client_submit(&M, &msg, r);
}

static char *submit_rsp(int status, const char *message_id)
{
    return xasprintf("<?xml version=\"1.0\"?><env:Envelope xmlns:env=\"" ENV "\"><env:Header>"
                     "<mm7:TransactionID xmlns:mm7=\"" NS6 "\">sv-42</mm7:TransactionID></env:Header><env:Body>"
                     "<mm7:SubmitRsp xmlns:mm7=\"" NS6 "\"><mm7:MM7Version>6.8.0</mm7:MM7Version><mm7:Status>"
                     "<mm7:StatusCode>%d</mm7:StatusCode><mm7:StatusText>x</mm7:StatusText></mm7:Status>"
                     "%s%s%s</mm7:SubmitRsp></env:Body></env:Envelope>",
                     status, message_id ? "<mm7:MessageID>" : "", message_id ? message_id : "",
                     message_id ? "</mm7:MessageID>" : "");
}

static char *fault(int status)
{
    return xasprintf("<soap:Envelope xmlns:soap=\"" ENV "\"><soap:Body><soap:Fault><faultcode>Client</faultcode>"
                     "<faultstring>error</faultstring><detail><mm7p6a0:RSErrorRsp xmlns:mm7p6a0=\"" NS6 "\">"
                     "<mm7p6a0:MM7Version>6.8.0</mm7p6a0:MM7Version><mm7p6a0:Status><mm7p6a0:StatusCode>%d"
                     "</mm7p6a0:StatusCode></mm7p6a0:Status></mm7p6a0:RSErrorRsp></detail></soap:Fault></soap:Body>"
                     "</soap:Envelope>", status);
}

static void test_start(void)
{
    big = xmalloc(BIG);
    for (size_t i = 0; i < BIG; i++)
        big[i] = (unsigned char)(i * 7 + (i >> 8));
    const char *smil = "<smil><body><par><img src=\"cid:img1\"/><text src=\"cid:t1\"/></par></body></smil>";
    parts[0] = (struct mm7_part){ "application/smil", "smil", NULL, "smil.xml", (unsigned char *)smil, strlen(smil) };
    parts[1] = (struct mm7_part){ "image/jpeg", "img1", NULL, "photo.jpg", big, BIG };
    parts[2] = (struct mm7_part){ "text/plain; charset=utf-8", "t1", NULL, "t.txt", (unsigned char *)"生日快乐", 12 };
    struct sockaddr_in lo = { .sin_family = AF_INET, .sin_port = 0 };   /* loopback, a free port */
    lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
                               on_request, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
                               MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&lo, MHD_OPTION_END);
    CU_ASSERT_PTR_NOT_NULL_FATAL(daemon_);
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/mm7", di->port);
    M.url = url;
}

/* What reaches the MMSC, and a SubmitRsp 1000 with a MessageID. */
static void test_request_on_the_wire_and_done(void)
{
    char *rsp = submit_rsp(1000, "sim-msg-000042");
    answer(200, "text/xml; charset=utf-8", rsp);
    struct mm7_client_result r;
    submit(&r, 3);
    CU_ASSERT_EQUAL(r.outcome, MM7_DONE);
    CU_ASSERT_EQUAL(r.status, 1000);
    CU_ASSERT_EQUAL(r.http_status, 200);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r.message_id);
    CU_ASSERT_STRING_EQUAL(r.message_id, "sim-msg-000042");
    mm7_client_result_cleanup(&r);
    free(rsp);

    CU_ASSERT_STRING_EQUAL(mmsc.method, "POST");
    CU_ASSERT_FALSE(mmsc.has_expect);   /* the body is over 1 MB: curl would have sent one */
    CU_ASSERT_TRUE(mmsc.body_len > 1024 * 1024);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mmsc.soapaction);
    CU_ASSERT_STRING_EQUAL(mmsc.soapaction, "\"\"");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mmsc.auth_user);
    CU_ASSERT_STRING_EQUAL(mmsc.auth_user, "smsvault");
    CU_ASSERT_STRING_EQUAL(mmsc.auth_pass, "pa:ss");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mmsc.content_type_in);
    CU_ASSERT_PTR_NOT_NULL(strstr(mmsc.content_type_in, "multipart/related"));
    CU_ASSERT_PTR_NOT_NULL(strstr(mmsc.content_type_in, "type=\"text/xml\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(mmsc.content_type_in, "start=\"<soap-sv-42@smsvault>\""));

    /* read it as an MMSC would */
    static const struct mm7_limits lim = { 64 * 1024, 4 << 20, 16, 3 };
    struct mm7_request q;
    CU_ASSERT_EQUAL_FATAL(mm7_request_parse(mmsc.content_type_in, mmsc.body_in, mmsc.body_len, &lim, &q), MM7_OK);
    CU_ASSERT_EQUAL(q.env.op, MM7_OP_SUBMIT_REQ);
    CU_ASSERT_STRING_EQUAL(q.env.transaction_id, "sv-42");
    CU_ASSERT_STRING_EQUAL(q.env.ns, NS6);
    CU_ASSERT_STRING_EQUAL(q.env.subject, "Archived MMS M3");
    CU_ASSERT_STRING_EQUAL(q.env.to.msisdn, "+8613800000001");
    CU_ASSERT_STRING_EQUAL(q.env.content_href, "cid:mms-sv-42@smsvault");
    mm7_request_cleanup(&q);
    /* one recipient only, and the identities of the config */
    CU_ASSERT_PTR_NOT_NULL(strstr(mmsc.body_in, "<mm7:VASPID>smsvault</mm7:VASPID><mm7:VASID>archive</mm7:VASID>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(mmsc.body_in, "<mm7:ServiceCode>ARCHIVE-GET</mm7:ServiceCode>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(mmsc.body_in, "<mm7:DeliveryReport>true</mm7:DeliveryReport>"));
    const char *first = strstr(mmsc.body_in, "<mm7:To>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(first);
    CU_ASSERT_PTR_NULL(strstr(first + 1, "<mm7:To>"));
    /* the MM byte-exact */
    struct mm7_mime *m = NULL;
    CU_ASSERT_EQUAL_FATAL(mm7_mime_parse(mmsc.content_type_in, mmsc.body_in, mmsc.body_len, &lim, &m), MM7_OK);
    struct mm7_part *got = NULL;
    size_t n = 0;
    CU_ASSERT_EQUAL_FATAL(mm7_mime_content(m, "cid:mms-sv-42@smsvault", &lim, &got, &n), MM7_OK);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    for (size_t i = 0; i < n; i++)
        CU_ASSERT(got[i].len == parts[i].len && memcmp(got[i].data, parts[i].data, parts[i].len) == 0);
    mm7_parts_free(got, n);
    mm7_mime_free(m);
}

struct expect {
    unsigned http;
    const char *ct;
    int status;            /* a Fault with this status; 0: the body below */
    const char *body;
    enum mm7_outcome outcome;
    int want_status;
};

static void test_answers_classified(void)
{
    const struct expect cases[] = {
        { 500, "text/xml", 3001, NULL, MM7_RETRY, 3001 },        /* server error: later */
        { 500, "text/xml", 4006, NULL, MM7_RETRY, 4006 },        /* service unavailable: later */
        { 500, "text/xml", 2002, NULL, MM7_PERMANENT, 2002 },    /* address error: never */
        { 500, "text/xml", 4004, NULL, MM7_PERMANENT, 4004 },
        { 200, "text/xml", 3000, NULL, MM7_RETRY, 3000 },        /* a Fault as HTTP 200 (Mbuni) */
        { 200, "text/xml", 2004, NULL, MM7_PERMANENT, 2004 },
        { 200, "text/xml", 0, "", MM7_RETRY, 0 },                /* a blank 200 proves nothing */
        { 200, "text/html", 0, "<html>ok</html>", MM7_RETRY, 0 },
        { 503, "text/plain", 0, "busy", MM7_RETRY, 0 },
        { 401, "text/plain", 0, "who are you", MM7_PERMANENT, 0 },
        { 404, "text/plain", 0, "no such path", MM7_PERMANENT, 0 },
        /* no status element, a number as faultstring: Mbuni's client reads it */
        { 500, "text/xml", 0, "<e:Envelope xmlns:e=\"" ENV "\"><e:Body><e:Fault><faultcode>Server</faultcode>"
                              "<faultstring>3002</faultstring></e:Fault></e:Body></e:Envelope>", MM7_RETRY, 3002 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = cases[i].status ? fault(cases[i].status) : xstrdup(cases[i].body);
        answer(cases[i].http, cases[i].ct, body);
        struct mm7_client_result r;
        submit(&r, 1);
        CU_ASSERT_EQUAL(r.outcome, cases[i].outcome);
        CU_ASSERT_EQUAL(r.status, cases[i].want_status);
        CU_ASSERT_EQUAL(r.http_status, (long)cases[i].http);
        CU_ASSERT_PTR_NULL(r.message_id);
        CU_ASSERT_TRUE(strlen(r.reason) > 0);
        if (r.outcome != cases[i].outcome)
            fprintf(stderr, "case %zu: %s\n", i, r.reason);
        mm7_client_result_cleanup(&r);
        free(body);
    }
}

static void test_transport_errors_retried(void)
{
    /* slower than the timeout */
    char *rsp = submit_rsp(1000, "late");
    answer(200, "text/xml", rsp);
    pthread_mutex_lock(&lock);
    mmsc.delay_ms = 2500;
    pthread_mutex_unlock(&lock);
    long t = M.timeout_s;
    M.timeout_s = 1;
    struct mm7_client_result r;
    submit(&r, 1);
    CU_ASSERT_EQUAL(r.outcome, MM7_RETRY);
    CU_ASSERT_EQUAL(r.http_status, 0);
    mm7_client_result_cleanup(&r);
    M.timeout_s = t;
    free(rsp);
    /* nobody listening */
    MHD_stop_daemon(daemon_);
    daemon_ = NULL;
    submit(&r, 1);
    CU_ASSERT_EQUAL(r.outcome, MM7_RETRY);
    CU_ASSERT_EQUAL(r.http_status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.reason, "no answer"));
    mm7_client_result_cleanup(&r);
    /* no URL configured: nothing to retry */
    M.url = "";
    submit(&r, 1);
    CU_ASSERT_EQUAL(r.outcome, MM7_PERMANENT);
    mm7_client_result_cleanup(&r);
}

static void test_classify_pure(void)
{
    struct mm7_envelope e = { .status_code = 1000 };
    int st;
    CU_ASSERT_EQUAL(mm7_client_classify(true, 500, MM7_OK, &e, &st), MM7_DONE);   /* the status wins */
    CU_ASSERT_EQUAL(st, 1000);
    CU_ASSERT_EQUAL(mm7_client_classify(false, 0, MM7_E_XML, NULL, &st), MM7_RETRY);
    CU_ASSERT_EQUAL(mm7_client_classify(true, 429, MM7_E_XML, NULL, &st), MM7_RETRY);
    CU_ASSERT_EQUAL(mm7_client_classify(true, 302, MM7_E_XML, NULL, &st), MM7_PERMANENT);
    CU_ASSERT_EQUAL(st, 0);
}

static void test_stop(void)
{
    if (daemon_)
        MHD_stop_daemon(daemon_);
    free(big);
    free(mmsc.content_type_in);
    free(mmsc.soapaction);
    free(mmsc.body_in);
    free(mmsc.auth_user);
    free(mmsc.auth_pass);
}

int main(void)
{
    mm7_request_init();
    mm7_client_init();
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite s = CU_add_suite("mm7_client", NULL, NULL);
    CU_add_test(s, "start a scripted MMSC", test_start);
    CU_add_test(s, "SubmitReq on the wire; SubmitRsp 1000 done", test_request_on_the_wire_and_done);
    CU_add_test(s, "answers classified: retry or permanent", test_answers_classified);
    CU_add_test(s, "timeouts and refused connections retried", test_transport_errors_retried);
    CU_add_test(s, "classification", test_classify_pure);
    CU_add_test(s, "stop", test_stop);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
