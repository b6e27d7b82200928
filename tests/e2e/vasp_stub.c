/*
 * vasp_stub — a tiny MM7 VASP for tests/e2e/mmsc_test.sh (not smsvault's
 * vaultmms): it listens on 127.0.0.1:--port, records every MM7 request it
 * is posted under --dir, and answers it (DeliverReq -> DeliverRsp,
 * DeliveryReportReq -> DeliveryReportRsp) with 1000, or with what
 * GET /_stub?status=N&count=K said for the next K requests (a 2xxx-4xxx
 * status as a Fault with HTTP 500). With --user/--password it wants HTTP
 * Basic auth and answers 401 without it.
 *
 * Request n is written as <dir>/<n>/ (renamed into place when complete):
 *   request      "Content-Type: ..." CRLF CRLF, then the body as received
 *   info         kind= tid= ns= version= sender= recipients= message_id= parts=
 *   part-<k>     each part of the MM, decoded (base64 undone), and
 *   part-<k>.type  its content type
 * The parsing is smsc/mm7_parse's (GMime + libxml2).
 */
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "mm7_emit.h"
#include "mm7_parse.h"

static struct {
    const char *dir, *user, *password;
    int port;
    pthread_mutex_t lock;
    unsigned seq;
    int status, count, http;
} st = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct req {
    unsigned char *body;
    size_t len, cap;
};

static void write_file(const char *dir, const char *name, const void *d, size_t n)
{
    char path[600];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if ((f = fopen(path, "wb")) != NULL) {
        fwrite(d, 1, n, f);
        fclose(f);
    }
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *ct,
                             const void *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
                                                             MHD_RESPMEM_MUST_COPY);
    enum MHD_Result rc;
    if (ct)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ct);
    rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_len, void **con_cls)
{
    struct req *r = *con_cls;
    char dir[512], tmp[512], err[160], *info;
    const char *ct;
    struct mm7_msg m;
    struct mm7_answer a;
    struct mm7_http h;
    int status = 1000, http;
    unsigned n;
    size_t i;
    enum MHD_Result rc;

    if (strcmp(url, "/_stub") == 0) {
        const char *s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "status");
        const char *k = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "count");
        const char *hs = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "http");
        pthread_mutex_lock(&st.lock);
        st.status = s ? atoi(s) : 0;
        st.count = k ? atoi(k) : 1;
        st.http = hs ? atoi(hs) : 0;
        pthread_mutex_unlock(&st.lock);
        return reply(c, MHD_HTTP_OK, "text/plain", "OK\n", 3);
    }
    if (!r) {
        *con_cls = xcalloc(1, sizeof *r);
        return MHD_YES;
    }
    if (*upload_len) {
        r->body = xgrow(r->body, &r->cap, r->len + *upload_len + 1);
        memcpy(r->body + r->len, upload, *upload_len);
        r->len += *upload_len;
        *upload_len = 0;
        return MHD_YES;
    }
    if (st.user) {
        char *pass = NULL, *user = MHD_basic_auth_get_username_password(c, &pass);
        int ok = user && pass && strcmp(user, st.user) == 0 && strcmp(pass, st.password) == 0;
        MHD_free(user);
        MHD_free(pass);
        if (!ok) {
            struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"",
                                                                        MHD_RESPMEM_PERSISTENT);
            rc = MHD_queue_basic_auth_fail_response(c, "vasp_stub", resp);
            MHD_destroy_response(resp);
            return rc;
        }
    }
    ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    pthread_mutex_lock(&st.lock);
    n = ++st.seq;
    if (st.count > 0 && st.status) {
        status = st.status;
        st.count--;
    }
    http = st.http;
    pthread_mutex_unlock(&st.lock);

    snprintf(tmp, sizeof tmp, "%s/tmp-%u", st.dir, n);
    snprintf(dir, sizeof dir, "%s/%u", st.dir, n);
    mkdir(tmp, 0755);
    {
        char *head = xasprintf("Content-Type: %s\r\n\r\n", ct ? ct : "");
        size_t hl = strlen(head);
        unsigned char *all = xmalloc(hl + r->len + 1);
        memcpy(all, head, hl);
        if (r->len)
            memcpy(all + hl, r->body, r->len);
        write_file(tmp, "request", all, hl + r->len);
        free(all);
        free(head);
    }
    if (mm7_parse(ct, r->body, r->len, &m, err, sizeof err) != 0)
        status = 2007;
    info = xasprintf("kind=%s tid=%s ns=%s version=%s sender=%s recipients=", m.kind,
                     m.transaction_id, m.ns, m.version, m.sender);
    for (i = 0; i < m.nrecipients; i++) {
        char *t = xasprintf("%s%s%s", info, i ? "," : "", m.recipients[i]);
        free(info);
        info = t;
    }
    {
        char *t = xasprintf("%s message_id=%s parts=%zu answered=%d\n", info, m.message_id,
                            m.content.nparts, status);
        free(info);
        info = t;
    }
    write_file(tmp, "info", info, strlen(info));
    free(info);
    for (i = 0; i < m.content.nparts; i++) {
        char name[32];
        const char *type = m.content.parts[i].content_type ? m.content.parts[i].content_type : "";
        snprintf(name, sizeof name, "part-%zu", i + 1);
        write_file(tmp, name, m.content.parts[i].data, m.content.parts[i].len);
        snprintf(name, sizeof name, "part-%zu.type", i + 1);
        write_file(tmp, name, type, strlen(type));
    }
    rename(tmp, dir);

    memset(&a, 0, sizeof a);
    a.ns = m.ns[0] ? m.ns : mm7_dialect_ns(MM7_3GPP);
    a.version = m.version[0] ? m.version : mm7_dialect_version(MM7_3GPP);
    a.transaction_id = m.transaction_id;
    a.req_kind = m.kind[0] ? m.kind : "DeliverReq";
    a.status = status;
    mm7_emit_answer(MM7_3GPP, &a, &h);
    rc = reply(c, http ? (unsigned)http : status < 2000 ? MHD_HTTP_OK : 500, h.content_type,
               h.body, h.len);
    mm7_http_cleanup(&h);
    mm7_msg_cleanup(&m);
    return rc;
}

static void done(void *cls, struct MHD_Connection *c, void **con_cls,
                 enum MHD_RequestTerminationCode toe)
{
    struct req *r = *con_cls;
    if (r) {
        free(r->body);
        free(r);
    }
    *con_cls = NULL;
}

int main(int argc, char **argv)
{
    struct sockaddr_in a;
    struct MHD_Daemon *d;
    sigset_t sigs;
    int i, sig;

    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0)
            st.port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--dir") == 0)
            st.dir = argv[i + 1];
        else if (strcmp(argv[i], "--user") == 0)
            st.user = argv[i + 1];
        else if (strcmp(argv[i], "--password") == 0)
            st.password = argv[i + 1];
    }
    if (!st.port || !st.dir || (!st.user) != (!st.password)) {
        fprintf(stderr, "usage: vasp_stub --port N --dir DIR [--user U --password P]\n");
        return 2;
    }
    mm7_parse_init();
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)st.port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD,
                         (uint16_t)st.port, NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR,
                         (struct sockaddr *)&a, MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
                         MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "vasp_stub: cannot listen on 127.0.0.1:%d\n", st.port);
        return 1;
    }
    fprintf(stderr, "vasp_stub: ready port=%d\n", st.port);
    sigwait(&sigs, &sig);
    MHD_stop_daemon(d);
    return 0;
}
