/*
 * mmscsim — the operator's MMSC on one machine, for the smsvault tests:
 *
 *   MM1 (handsets, --mm1-port): POST an m-send-req; one to a short code of
 *       the VASP (--short-code) becomes an MM7 DeliverReq to --vasp-url in
 *       the --dialect chosen, one to a phone number a WAP push to it; the
 *       handset gets m-send-conf at once (store and forward). GET
 *       /mm1/r/<token> gives an m-retrieve-conf; POST m-notifyresp-ind or
 *       m-acknowledge-ind marks it retrieved (and sends the VASP its
 *       DeliveryReportReq when it asked for one).
 *   MM7 (the VASP, --mm7-port): POST a SubmitReq; answered SubmitRsp with a
 *       MessageID, the MM stored and each recipient notified by a WAP push
 *       (m-notification-ind in a WSP push to port 2948) that smscsim puts
 *       in the handset's inbox (control command MTBIN, as over the MMSC's
 *       own SMSC link).
 *   control (--control-port): fault knobs, down/up, counters, messages.
 *
 * The VASP queue retries what the VASP does not accept (HTTP or transport
 * error, no status, 3xxx/4xxx) with doubling delays; 2xxx is final. See
 * smsc/MMSC.md for the URLs and knobs. Everything listens on 127.0.0.1;
 * nothing survives a restart. Not a real MMSC: no MM3/MM4, no transcoding,
 * no content classes beyond one size cap.
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "log.h"
#include "mm7_parse.h"
#include "mmscsim.h"

#define MAX_MESSAGES 10000

struct mmsc mmsc = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .daemon_lock = PTHREAD_MUTEX_INITIALIZER,
    .next_id = 1,
};

int64_t mmsc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- shared helpers ------------------------------------------------------- */

bool mmsc_collect(struct mmsc_req **ctx, void **con_cls, const char *upload, size_t *upload_len,
                  size_t cap)
{
    struct mmsc_req *r = *con_cls;

    if (!r) {
        r = xcalloc(1, sizeof *r);
        *con_cls = r;
        *ctx = r;
        return false; /* the headers: the body follows */
    }
    *ctx = r;
    if (*upload_len > 0) {
        if (r->len + *upload_len > cap) {
            r->too_big = true;
        } else {
            r->body = xgrow(r->body, &r->cap, r->len + *upload_len + 1);
            memcpy(r->body + r->len, upload, *upload_len);
            r->len += *upload_len;
        }
        *upload_len = 0;
        return false;
    }
    return true;
}

enum MHD_Result mmsc_answer(struct MHD_Connection *c, unsigned status, const char *ctype,
                            const void *body, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result rc;

    if (ctype)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct mmsc_req *r = *con_cls;
    if (r) {
        free(r->body);
        free(r);
        *con_cls = NULL;
    }
}

struct mmsc_msg *mmsc_msg_new(void)
{
    struct mmsc_msg *m = xcalloc(1, sizeof *m), **pp;
    unsigned char rnd[16];

    m->id = mmsc.next_id++;
    snprintf(m->message_id, sizeof m->message_id, "mmscsim-%06u", m->id);
    snprintf(m->tid, sizeof m->tid, "mmscsim-T%06u", m->id);
    randombytes_buf(rnd, sizeof rnd); /* an unguessable retrieval URL */
    sodium_bin2hex(m->token, sizeof m->token, rnd, sizeof rnd);
    m->next = mmsc.msgs;
    mmsc.msgs = m;
    if (++mmsc.nmsgs > MAX_MESSAGES) { /* the oldest goes */
        for (pp = &mmsc.msgs; (*pp)->next; pp = &(*pp)->next)
            ;
        mms_pdu_cleanup(&(*pp)->mm);
        free(*pp);
        *pp = NULL;
        mmsc.nmsgs--;
    }
    return m;
}

bool mmsc_is_short_code(const char *number)
{
    const char *p = mmsc.cfg.short_codes;
    size_t n = strlen(number);

    while (p && *p) {
        size_t k = strcspn(p, ",");
        if (k == n && strncmp(p, number, n) == 0)
            return true;
        p += k;
        if (*p == ',')
            p++;
    }
    return false;
}

void mmsc_msisdn(const char *address, char *out, size_t cap)
{
    char tmp[160];
    if (!mms_pdu_address_value(address, tmp, sizeof tmp))
        tmp[0] = '\0';
    snprintf(out, cap, "%s", tmp[0] == '+' ? tmp + 1 : tmp);
}

/* ---- control endpoint ------------------------------------------------------ */

struct knobs {
    struct mmsc_faults f;
    enum mm7_dialect dialect;
    long long max_message;
    char bad[64];
};

static enum MHD_Result knob(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct knobs *k = cls;
    const char *v = value ? value : "";
    long n = strtol(v, NULL, 10);

    if (strcmp(key, "status") == 0)
        k->f.status = (int)n;
    else if (strcmp(key, "http") == 0)
        k->f.http = (int)n;
    else if (strcmp(key, "empty") == 0)
        k->f.empty = n != 0;
    else if (strcmp(key, "delay_ms") == 0)
        k->f.delay_ms = n;
    else if (strcmp(key, "slow_bps") == 0)
        k->f.slow_bps = n;
    else if (strcmp(key, "count") == 0)
        k->f.count = n;
    else if (strcmp(key, "dup") == 0)
        k->f.dup = n != 0;
    else if (strcmp(key, "pad") == 0)
        k->f.pad = strtoll(v, NULL, 10);
    else if (strcmp(key, "dlr") == 0)
        snprintf(k->f.dlr_status, sizeof k->f.dlr_status, "%s", v);
    else if (strcmp(key, "max_message") == 0)
        k->max_message = strtoll(v, NULL, 10);
    else if (strcmp(key, "dialect") == 0) {
        if (!mm7_dialect_parse(v, &k->dialect))
            snprintf(k->bad, sizeof k->bad, "dialect %s", v);
    } else
        snprintf(k->bad, sizeof k->bad, "knob %s", key);
    return MHD_YES;
}

static int mm7_daemon_start(void);

static void mm7_daemon_stop(void)
{
    pthread_mutex_lock(&mmsc.daemon_lock);
    if (mmsc.mm7) {
        MHD_stop_daemon(mmsc.mm7); /* the listening socket closes: connections refused */
        mmsc.mm7 = NULL;
    }
    pthread_mutex_unlock(&mmsc.daemon_lock);
}

static char *stats_line(void)
{
    char *s;
    pthread_mutex_lock(&mmsc.lock);
    s = xasprintf(
        "STATS mm1_send_req=%llu mm1_send_refused=%llu mm1_retrieve=%llu mm1_retrieve_unknown=%llu "
        "mm1_notifyresp=%llu mm1_ack=%llu pushes=%llu push_failed=%llu mm7_requests=%llu "
        "mm7_submit_ok=%llu mm7_faults=%llu mm7_auth_fail=%llu deliver_attempts=%llu "
        "deliver_ok=%llu deliver_retries=%llu deliver_failed=%llu deliver_dups=%llu "
        "report_attempts=%llu report_ok=%llu report_retries=%llu report_failed=%llu "
        "queue=%zu messages=%zu down=%d dialect=%s\n",
        mmsc.stats.mm1_send_req, mmsc.stats.mm1_send_refused, mmsc.stats.mm1_retrieve,
        mmsc.stats.mm1_retrieve_unknown, mmsc.stats.mm1_notifyresp, mmsc.stats.mm1_ack,
        mmsc.stats.pushes, mmsc.stats.push_failed, mmsc.stats.mm7_requests,
        mmsc.stats.mm7_submit_ok, mmsc.stats.mm7_faults, mmsc.stats.mm7_auth_fail,
        mmsc.stats.deliver_attempts, mmsc.stats.deliver_ok, mmsc.stats.deliver_retries,
        mmsc.stats.deliver_failed, mmsc.stats.deliver_dups, mmsc.stats.report_attempts,
        mmsc.stats.report_ok, mmsc.stats.report_retries, mmsc.stats.report_failed, mmsc.njobs,
        mmsc.nmsgs, mmsc.fault.down ? 1 : 0, mm7_dialect_name(mmsc.dialect));
    pthread_mutex_unlock(&mmsc.lock);
    return s;
}

static char *messages_text(void)
{
    struct mmsc_msg *m;
    char *s = xstrdup(""), *t;

    pthread_mutex_lock(&mmsc.lock);
    for (m = mmsc.msgs; m; m = m->next) {
        t = xasprintf("%sMSG id=%u message_id=%s from=%s to=%s parts=%zu via=%s state=%s\n", s,
                      m->id, m->message_id, m->from, m->to, m->mm.nparts,
                      m->from_vasp ? "mm7" : "mm1",
                      m->reported ? "reported" : m->retrieved ? "retrieved"
                                               : m->fetched ? "fetched" : "notified");
        free(s);
        s = t;
    }
    pthread_mutex_unlock(&mmsc.lock);
    return s;
}

static enum MHD_Result ctl_handler(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *upload,
                                   size_t *upload_len, void **con_cls)
{
    char *text = NULL;
    enum MHD_Result rc;
    unsigned status = MHD_HTTP_OK;

    if (strcmp(url, "/ping") == 0) {
        text = xstrdup("PONG\n");
    } else if (strcmp(url, "/stats") == 0) {
        text = stats_line();
    } else if (strcmp(url, "/messages") == 0) {
        text = messages_text();
    } else if (strcmp(url, "/fault") == 0 || strcmp(url, "/reset") == 0) {
        struct knobs k;
        pthread_mutex_lock(&mmsc.lock);
        memset(&k, 0, sizeof k);
        if (strcmp(url, "/fault") == 0)
            k.f = mmsc.fault;
        k.f.down = mmsc.fault.down;
        k.dialect = mmsc.dialect;
        k.max_message = mmsc.cfg.max_message;
        snprintf(k.f.dlr_status, sizeof k.f.dlr_status, "%s",
                 strcmp(url, "/fault") == 0 ? mmsc.fault.dlr_status : "Retrieved");
        pthread_mutex_unlock(&mmsc.lock);
        if (strcmp(url, "/fault") == 0)
            MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, knob, &k);
        if (k.bad[0]) {
            text = xasprintf("ERR unknown %s\n", k.bad);
            status = MHD_HTTP_BAD_REQUEST;
        } else {
            pthread_mutex_lock(&mmsc.lock);
            if (k.f.count == 0 && (k.f.status || k.f.http || k.f.empty || k.f.delay_ms ||
                                   k.f.slow_bps))
                k.f.count = -1; /* no count given: every SubmitReq */
            mmsc.fault = k.f;
            mmsc.dialect = k.dialect;
            mmsc.cfg.max_message = k.max_message;
            pthread_cond_broadcast(&mmsc.wake);
            pthread_mutex_unlock(&mmsc.lock);
            log_info("mmscsim: fault status=%d http=%d empty=%d delay_ms=%ld slow_bps=%ld "
                     "count=%ld dup=%d pad=%lld dlr=%s dialect=%s max_message=%lld",
                     k.f.status, k.f.http, k.f.empty, k.f.delay_ms, k.f.slow_bps, k.f.count,
                     k.f.dup, k.f.pad, k.f.dlr_status, mm7_dialect_name(k.dialect),
                     k.max_message);
            text = xstrdup("OK\n");
        }
    } else if (strcmp(url, "/down") == 0) {
        pthread_mutex_lock(&mmsc.lock);
        mmsc.fault.down = true;
        pthread_mutex_unlock(&mmsc.lock);
        mm7_daemon_stop();
        log_info("mmscsim: down (MM7 refuses connections, nothing goes to the VASP)");
        text = xstrdup("OK\n");
    } else if (strcmp(url, "/up") == 0) {
        if (mm7_daemon_start() != 0) {
            text = xstrdup("ERR cannot listen again\n");
            status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        } else {
            pthread_mutex_lock(&mmsc.lock);
            mmsc.fault.down = false;
            pthread_cond_broadcast(&mmsc.wake);
            pthread_mutex_unlock(&mmsc.lock);
            log_info("mmscsim: up");
            text = xstrdup("OK\n");
        }
    } else {
        text = xstrdup("ERR unknown request\n");
        status = MHD_HTTP_NOT_FOUND;
    }
    rc = mmsc_answer(c, status, "text/plain", text, strlen(text));
    free(text);
    return rc;
}

/* ---- daemons -------------------------------------------------------------------- */

static struct MHD_Daemon *listen_on(int port, MHD_AccessHandlerCallback h)
{
    struct sockaddr_in a;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* loopback only */
    /* a thread per connection: a handler may sleep (delay, slow bodies)
     * without holding up the other connections */
    return MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                                MHD_USE_ERROR_LOG,
                            (uint16_t)port, NULL, NULL, h, NULL, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&a, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                            MHD_OPTION_CONNECTION_TIMEOUT, 120u, MHD_OPTION_END);
}

static int mm7_daemon_start(void)
{
    int rc = 0;
    pthread_mutex_lock(&mmsc.daemon_lock);
    if (!mmsc.mm7 && !(mmsc.mm7 = listen_on(mmsc.cfg.mm7_port, mmsc_mm7_handler)))
        rc = -1;
    pthread_mutex_unlock(&mmsc.daemon_lock);
    return rc;
}

/* ---- the program ----------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mmscsim --mm1-port N --mm7-port N --control-port N [options]\n"
            "  --vasp-url URL          DeliverReq / DeliveryReportReq go here (MM7 VASP)\n"
            "  --vasp-user U --vasp-password P   Basic auth towards the VASP\n"
            "  --short-code CODES      comma-separated short codes that are the VASP (10659)\n"
            "  --mm7-user U --mm7-password P     Basic auth the VASP's SubmitReq must carry\n"
            "  --dialect 3gpp|nokia|mbuni        how DeliverReq looks (3gpp)\n"
            "  --smsc-control HOST:PORT          smscsim's control port, for WAP pushes\n"
            "  --push-sender ADDR      source address of the pushes (mmsc)\n"
            "  --retry-ms N --retry-max-ms N --max-attempts N   VASP retries (1000, 30000, 20)\n"
            "  --vasp-timeout-ms N     per POST to the VASP (10000)\n"
            "  --max-message BYTES     largest MM accepted (614400)\n"
            "  --expiry S              X-Mms-Expiry of notifications (604800)\n"
            "  --log-level L           debug|info|warn|error (info)\n"
            "  --check-config          print the settings and exit\n"
            "URLs: MM1  http://127.0.0.1:<mm1>/mm1 (POST), /mm1/r/<token> (GET)\n"
            "      MM7  http://127.0.0.1:<mm7>/mm7 (POST SubmitReq)\n"
            "      control http://127.0.0.1:<control>/fault?k=v&..., /down, /up, /reset,\n"
            "              /stats, /messages, /ping — see smsc/MMSC.md\n");
}

static void print_settings(void)
{
    const struct mmsc_settings *s = &mmsc.cfg;
    printf("mm1_port = %d\nmm7_port = %d\ncontrol_port = %d\nhost = %s\nvasp_url = %s\n"
           "vasp_user = %s\nvasp_password = %s\nshort_codes = %s\nmm7_user = %s\n"
           "mm7_password = %s\ndialect = %s\nsmsc_control = %s\npush_sender = %s\n"
           "retry_ms = %ld\nretry_max_ms = %ld\nmax_attempts = %d\nvasp_timeout_ms = %ld\n"
           "max_message = %lld\nexpiry = %ld\n",
           s->mm1_port, s->mm7_port, s->control_port, s->host, s->vasp_url ? s->vasp_url : "",
           s->vasp_user ? s->vasp_user : "", s->vasp_password ? "********" : "", s->short_codes,
           s->mm7_user ? s->mm7_user : "", s->mm7_password ? "********" : "",
           mm7_dialect_name(mmsc.dialect), s->smsc_control ? s->smsc_control : "",
           s->push_sender, s->retry_ms, s->retry_max_ms, s->max_attempts, s->vasp_timeout_ms,
           s->max_message, s->expiry_s);
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "mm1-port", required_argument, NULL, '1' },     { "mm7-port", required_argument, NULL, '7' },
        { "control-port", required_argument, NULL, 'c' }, { "vasp-url", required_argument, NULL, 'v' },
        { "vasp-user", required_argument, NULL, 'u' },    { "vasp-password", required_argument, NULL, 'p' },
        { "short-code", required_argument, NULL, 's' },   { "mm7-user", required_argument, NULL, 'U' },
        { "mm7-password", required_argument, NULL, 'P' }, { "dialect", required_argument, NULL, 'd' },
        { "smsc-control", required_argument, NULL, 'S' }, { "push-sender", required_argument, NULL, 'F' },
        { "retry-ms", required_argument, NULL, 'r' },     { "retry-max-ms", required_argument, NULL, 'R' },
        { "max-attempts", required_argument, NULL, 'a' }, { "vasp-timeout-ms", required_argument, NULL, 't' },
        { "max-message", required_argument, NULL, 'm' },  { "expiry", required_argument, NULL, 'e' },
        { "log-level", required_argument, NULL, 'l' },    { "check-config", no_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },               { NULL, 0, NULL, 0 },
    };
    struct mmsc_settings *s = &mmsc.cfg;
    bool check = false;
    const char *level = "info";
    enum log_level lvl;
    pthread_t worker;
    sigset_t sigs;
    int opt, sig = 0, rc = 1;

    s->host = "127.0.0.1";
    s->short_codes = "10659";
    s->push_sender = "mmsc";
    s->retry_ms = 1000;
    s->retry_max_ms = 30000;
    s->max_attempts = 20;
    s->vasp_timeout_ms = 10000;
    s->max_message = 600 * 1024;
    s->expiry_s = 7 * 24 * 3600;
    snprintf(mmsc.fault.dlr_status, sizeof mmsc.fault.dlr_status, "Retrieved");
    while ((opt = getopt_long(argc, argv, "1:7:c:v:u:p:s:U:P:d:S:F:r:R:a:t:m:e:l:kh", lo, NULL)) !=
           -1) {
        switch (opt) {
        case '1': s->mm1_port = atoi(optarg); break;
        case '7': s->mm7_port = atoi(optarg); break;
        case 'c': s->control_port = atoi(optarg); break;
        case 'v': s->vasp_url = optarg; break;
        case 'u': s->vasp_user = optarg; break;
        case 'p': s->vasp_password = optarg; break;
        case 's': s->short_codes = optarg; break;
        case 'U': s->mm7_user = optarg; break;
        case 'P': s->mm7_password = optarg; break;
        case 'd':
            if (!mm7_dialect_parse(optarg, &mmsc.dialect)) {
                fprintf(stderr, "mmscsim: --dialect is 3gpp, nokia or mbuni\n");
                return 2;
            }
            break;
        case 'S': s->smsc_control = optarg; break;
        case 'F': s->push_sender = optarg; break;
        case 'r': s->retry_ms = atol(optarg); break;
        case 'R': s->retry_max_ms = atol(optarg); break;
        case 'a': s->max_attempts = atoi(optarg); break;
        case 't': s->vasp_timeout_ms = atol(optarg); break;
        case 'm': s->max_message = atoll(optarg); break;
        case 'e': s->expiry_s = atol(optarg); break;
        case 'l': level = optarg; break;
        case 'k': check = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (s->mm1_port < 1 || s->mm1_port > 65535 || s->mm7_port < 1 || s->mm7_port > 65535 ||
        s->control_port < 1 || s->control_port > 65535 || s->retry_ms < 1 || s->max_attempts < 1 ||
        s->max_message < 1 || !log_level_parse(level, &lvl) || optind != argc ||
        (!s->mm7_user) != (!s->mm7_password) || (!s->vasp_user) != (!s->vasp_password)) {
        usage(stderr);
        return 2;
    }
    if (check) {
        print_settings();
        return 0;
    }
    log_set_level(lvl);
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return 1;
    mm7_parse_init();
    signal(SIGPIPE, SIG_IGN);
    /* the signals wait for main's sigwait; every thread started now inherits the mask */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    mmsc.mm1 = listen_on(s->mm1_port, mmsc_mm1_handler);
    mmsc.ctl = listen_on(s->control_port, ctl_handler);
    if (!mmsc.mm1 || !mmsc.ctl || mm7_daemon_start() != 0) {
        log_error("mmscsim: listen failed mm1_port=%d mm7_port=%d control_port=%d errno=%d",
                  s->mm1_port, s->mm7_port, s->control_port, errno);
        goto out;
    }
    if (pthread_create(&worker, NULL, mmsc_vasp_main, NULL) != 0)
        goto out;
    log_info("mmscsim: ready mm1_port=%d mm7_port=%d control_port=%d dialect=%s vasp=%s",
             s->mm1_port, s->mm7_port, s->control_port, mm7_dialect_name(mmsc.dialect),
             s->vasp_url ? s->vasp_url : "-");
    sigwait(&sigs, &sig);
    log_info("mmscsim: stopping signal=%d", sig);
    pthread_mutex_lock(&mmsc.lock);
    mmsc.stopping = true;
    pthread_cond_broadcast(&mmsc.wake);
    pthread_mutex_unlock(&mmsc.lock);
    pthread_join(worker, NULL);
    rc = 0;
out:
    mm7_daemon_stop();
    if (mmsc.mm1)
        MHD_stop_daemon(mmsc.mm1);
    if (mmsc.ctl)
        MHD_stop_daemon(mmsc.ctl);
    while (mmsc.msgs) {
        struct mmsc_msg *m = mmsc.msgs;
        mmsc.msgs = m->next;
        mms_pdu_cleanup(&m->mm);
        free(m);
    }
    while (mmsc.jobs) {
        struct mmsc_job *j = mmsc.jobs;
        mmsc.jobs = j->next;
        mm7_http_cleanup(&j->http);
        free(j);
    }
    curl_global_cleanup();
    return rc;
}
