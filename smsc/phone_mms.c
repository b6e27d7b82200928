/*
 * phone_mms — the handset's MMS user agent on MM1 (OMA MMS, common/mms_pdu):
 *
 * Send: the files given become an m-send-req (content types from the file
 * extensions, each part named after its file, From the insert-address
 * token, To the short code /TYPE=PLMN), POSTed to the MMSC URL (--mmsc)
 * with Content-Type application/vnd.wap.mms-message and the header
 * X-MSISDN: <from>, as an operator's WAP gateway adds it; the m-send-conf
 * answer is printed.
 *
 * Receive: a WAP push SMS to port 2948 holds an m-notification-ind. Its
 * X-Mms-Content-Location is fetched with HTTP GET (immediate retrieval),
 * the m-retrieve-conf is printed part by part (content type, size,
 * SHA-256) and saved under --save-dir, and an m-notifyresp-ind (status
 * Retrieved, the notification's Transaction-Id) is POSTed back: to --mmsc
 * when the Content-Location is on the same host and port (the operator's
 * MMSC), else to the Content-Location URL itself (the direct path, where
 * the sender serves the retrieval URL and takes the acknowledgement there).
 *
 * It is not a full user agent: no deferred retrieval, no read reports, no
 * SMIL of its own.
 */
#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "mms_pdu.h"
#include "phonesim.h"
#include "smsudh.h"

#define HTTP_MAX (8u << 20)     /* an answer longer than this is refused */
#define HTTP_TIMEOUT_MS 15000
#define FILE_MAX (4u << 20)

/* ---- content types ---------------------------------------------------------- */

static const struct {
    const char *ext, *type, *charset;
} types[] = {
    { "jpg", "image/jpeg", NULL },   { "jpeg", "image/jpeg", NULL },
    { "png", "image/png", NULL },    { "gif", "image/gif", NULL },
    { "bmp", "image/bmp", NULL },    { "wbmp", "image/vnd.wap.wbmp", NULL },
    { "txt", "text/plain", "utf-8" }, { "smil", "application/smil", "utf-8" },
    { "amr", "audio/amr", NULL },    { "3gp", "video/3gpp", NULL },
    { "mp4", "video/mp4", NULL },    { "mp3", "audio/mpeg", NULL },
    { "mid", "audio/midi", NULL },   { "vcf", "text/x-vcard", "utf-8" },
};

static void type_of(const char *name, const char **type, const char **charset)
{
    const char *dot = strrchr(name, '.');
    size_t i;

    *type = "application/octet-stream";
    *charset = NULL;
    if (!dot)
        return;
    for (i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(dot + 1, types[i].ext) == 0) {
            *type = types[i].type;
            *charset = types[i].charset;
            return;
        }
}

/* ---- HTTP (libcurl) ----------------------------------------------------------- */

struct body {
    unsigned char *p;
    size_t len, cap;
    bool over;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct body *b = ud;
    size_t n = size * nmemb;

    if (b->len + n > HTTP_MAX) {
        b->over = true;
        return 0; /* stops the transfer */
    }
    b->p = xgrow(b->p, &b->cap, b->len + n + 1);
    memcpy(b->p + b->len, ptr, n);
    b->len += n;
    return n;
}

/* GET (body NULL) or POST a PDU; the answer in *out. Returns the HTTP
 * status, or -1 with the reason on stderr. */
static long http(const char *url, const unsigned char *body, size_t len, struct body *out)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = NULL;
    char msisdn[96];
    long status = -1;
    CURLcode rc;

    memset(out, 0, sizeof *out);
    if (!h)
        return -1;
    snprintf(msisdn, sizeof msisdn, "X-MSISDN: %s", o.from);
    hdr = curl_slist_append(hdr, msisdn);
    hdr = curl_slist_append(hdr, "Accept: " MMS_PDU_CONTENT_TYPE);
    hdr = curl_slist_append(hdr, "Expect:");
    if (body) {
        hdr = curl_slist_append(hdr, "Content-Type: " MMS_PDU_CONTENT_TYPE);
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "phonesim (smsvault handset simulator)");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)HTTP_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    else
        fprintf(stderr, "phonesim: %s %s: %s\n", body ? "POST" : "GET", url,
                out->over ? "answer too long" : curl_easy_strerror(rc));
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return status;
}

/* scheme://host:port of a URL, into out. */
static void origin(const char *url, char *out, size_t cap)
{
    const char *p = strstr(url, "://");
    size_t n;

    p = p ? p + 3 : url;
    n = strcspn(p, "/?#");
    snprintf(out, cap, "%.*s", (int)(p - url + (ptrdiff_t)n), url);
}

/* ---- sending -------------------------------------------------------------------- */

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data;

    if (!f) {
        fprintf(stderr, "phonesim: cannot read %s: %s\n", path, strerror(errno));
        return NULL;
    }
    data = xmalloc(FILE_MAX + 1);
    *len = fread(data, 1, FILE_MAX + 1, f);
    fclose(f);
    if (*len > FILE_MAX) {
        fprintf(stderr, "phonesim: %s is over %u bytes\n", path, FILE_MAX);
        free(data);
        return NULL;
    }
    return data;
}

int phone_mms_send(void)
{
    struct mms_pdu req, conf;
    unsigned char *pdu = NULL;
    size_t n = 0;
    struct body ans = { NULL, 0, 0, false };
    char tid[64], to[64];
    long status;
    int i, rc = -1;

    mms_pdu_init(&req, MMS_M_SEND_REQ);
    memset(&conf, 0, sizeof conf);
    snprintf(tid, sizeof tid, "phonesim-%ld-%ld", (long)getpid(), (long)time(NULL));
    req.transaction_id = xstrdup(tid);
    req.from_insert = true;
    snprintf(to, sizeof to, "%s/TYPE=PLMN", o.to);
    mms_pdu_add_address(&req.to, &req.nto, to);
    if (o.subject)
        req.subject = xstrdup(o.subject);
    req.message_class = MMS_CLASS_PERSONAL;
    req.date = time(NULL);
    req.has_date = true;
    for (i = 0; i < o.nmms; i++) {
        const char *path = o.mms_files[i], *base = strrchr(path, '/'), *type, *charset;
        size_t len = 0;
        unsigned char *data = read_file(path, &len);
        char cid[300];
        if (!data)
            goto out;
        base = base ? base + 1 : path;
        type_of(base, &type, &charset);
        snprintf(cid, sizeof cid, "<%s>", base);
        mms_pdu_add_part(&req, type, charset, base, cid, base, data, len);
        free(data);
    }
    if (mms_pdu_encode(&req, &pdu, &n) != MMS_PDU_OK) {
        fprintf(stderr, "phonesim: cannot encode the m-send-req (a file name that is not UTF-8?)\n");
        goto out;
    }
    status = http(o.mmsc, pdu, n, &ans);
    if (status < 0)
        goto out;
    if (status != 200) {
        fprintf(stderr, "phonesim: MMSC %s answered HTTP %ld\n", o.mmsc, status);
        goto out;
    }
    if (mms_pdu_decode(ans.p, ans.len, &conf) != MMS_PDU_OK || conf.type != MMS_M_SEND_CONF) {
        fprintf(stderr, "phonesim: MMSC %s answered something that is not an m-send-conf\n",
                o.mmsc);
        goto out;
    }
    printf("MMS sent tid=%s parts=%d bytes=%zu status=0x%02x%s%s%s%s\n", tid, o.nmms, n,
           conf.response_status, conf.message_id ? " message_id=" : "",
           conf.message_id ? conf.message_id : "", conf.response_text ? " text=" : "",
           conf.response_text ? conf.response_text : "");
    fflush(stdout);
    rc = conf.response_status == MMS_RESPONSE_OK ? 0 : -1;
out:
    mms_pdu_cleanup(&req);
    mms_pdu_cleanup(&conf);
    free(pdu);
    free(ans.p);
    return rc;
}

/* ---- receiving -------------------------------------------------------------------- */

static void safe_name(const char *in, char *out, size_t cap)
{
    size_t i;
    for (i = 0; in[i] && i + 1 < cap; i++) {
        char ch = in[i];
        out[i] = ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '.' || ch == '-' || ch == '_') ? ch : '_';
    }
    out[i] = '\0';
    if (out[0] == '.' || out[0] == '\0')
        out[0] = '_';
}

/* mkdir -p: true when path is a directory now. */
static bool mkdirs(const char *path)
{
    char tmp[1024];
    size_t i, n = strlen(path);

    if (n >= sizeof tmp)
        return false;
    memcpy(tmp, path, n + 1);
    for (i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == '\0') {
            char c = tmp[i];
            tmp[i] = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return false;
            tmp[i] = c;
        }
    }
    return true;
}

/* Print (and save) each part of a retrieved MMS. */
static void print_mms(const struct mms_pdu *m, const char *tid)
{
    char dir[900] = "", from[64] = "?";
    size_t i;

    if (m->from)
        mms_pdu_address_value(m->from, from, sizeof from);
    if (o.save_dir) {
        char a[64], b[128];
        safe_name(o.from, a, sizeof a);
        safe_name(tid, b, sizeof b);
        snprintf(dir, sizeof dir, "%s/%s/%s", o.save_dir, a, b);
        if (!mkdirs(dir)) {
            fprintf(stderr, "phonesim: cannot create %s: %s\n", dir, strerror(errno));
            dir[0] = '\0';
        }
    }
    printf("MMS from=%s subject=%s parts=%zu message_id=%s\n", from,
           m->subject ? m->subject : "", m->nparts, m->message_id ? m->message_id : "");
    for (i = 0; i < m->nparts; i++) {
        const struct mms_part *p = &m->parts[i];
        unsigned char sum[crypto_hash_sha256_BYTES];
        char hex[2 * crypto_hash_sha256_BYTES + 1], name[128], path[1200] = "";
        crypto_hash_sha256(sum, p->data, p->len);
        sodium_bin2hex(hex, sizeof hex, sum, sizeof sum);
        safe_name(p->name ? p->name : p->content_location ? p->content_location : "part", name,
                  sizeof name);
        if (dir[0]) {
            FILE *f;
            snprintf(path, sizeof path, "%s/%zu-%s", dir, i + 1, name);
            if (!(f = fopen(path, "wb")) || fwrite(p->data, 1, p->len, f) != p->len ||
                fclose(f) != 0) {
                fprintf(stderr, "phonesim: cannot write %s: %s\n", path, strerror(errno));
                path[0] = '\0';
            }
        }
        printf("  part=%zu type=%s%s%s size=%zu sha256=%s name=%s%s%s\n", i + 1,
               p->content_type ? p->content_type : "?", p->charset ? ";charset=" : "",
               p->charset ? p->charset : "", p->len, hex, p->name ? p->name : "",
               path[0] ? " file=" : "", path);
    }
    fflush(stdout);
}

/* m-notifyresp-ind (Retrieved) for the notification's transaction. */
static void acknowledge(const char *tid, const char *url)
{
    struct mms_pdu r;
    unsigned char *pdu = NULL;
    size_t n = 0;
    struct body ans;
    char a[512] = "", b[512] = "";
    const char *to = url;
    long status;

    if (o.mmsc) {
        origin(url, a, sizeof a);
        origin(o.mmsc, b, sizeof b);
        if (strcmp(a, b) == 0)
            to = o.mmsc;
    }
    mms_pdu_init(&r, MMS_M_NOTIFYRESP_IND);
    r.transaction_id = xstrdup(tid);
    r.status = MMS_STATUS_RETRIEVED;
    if (mms_pdu_encode(&r, &pdu, &n) == MMS_PDU_OK) {
        status = http(to, pdu, n, &ans);
        if (status >= 0 && (status < 200 || status > 299))
            fprintf(stderr, "phonesim: m-notifyresp-ind to %s: HTTP %ld\n", to, status);
        free(ans.p);
    }
    mms_pdu_cleanup(&r);
    free(pdu);
}

int phone_mms_push(const char *src, const unsigned char *data, size_t len)
{
    struct mms_pdu_push push;
    struct mms_pdu ind, conf;
    struct body got = { NULL, 0, 0, false };
    enum mms_pdu_result r;
    long status;
    int rc = -1;

    memset(&ind, 0, sizeof ind);
    memset(&conf, 0, sizeof conf);
    if ((r = mms_pdu_push_decode(data, len, &push)) != MMS_PDU_OK) {
        printf("MMS notification from=%s FAILED: WAP push %s\n", src, mms_pdu_result_text(r));
        goto out;
    }
    if (strcmp(push.content_type, MMS_PDU_CONTENT_TYPE) != 0) {
        printf("WAP push from=%s type=%s (not MMS) ignored\n", src,
               push.content_type[0] ? push.content_type : "?");
        rc = 0;
        goto out;
    }
    if ((r = mms_pdu_decode(push.body, push.body_len, &ind)) != MMS_PDU_OK ||
        ind.type != MMS_M_NOTIFICATION_IND || !ind.content_location || !ind.transaction_id) {
        printf("MMS notification from=%s FAILED: not an m-notification-ind (%s)\n", src,
               r == MMS_PDU_OK ? mms_pdu_type_name(ind.type) : mms_pdu_result_text(r));
        goto out;
    }
    fprintf(stderr, "phonesim: MMS notification tid=%s size=%llu url=%s\n", ind.transaction_id,
            (unsigned long long)ind.message_size, ind.content_location);
    status = http(ind.content_location, NULL, 0, &got);
    if (status != 200) {
        printf("MMS tid=%s FAILED: GET %s: %s%ld\n", ind.transaction_id, ind.content_location,
               status < 0 ? "no answer " : "HTTP ", status);
        goto out;
    }
    if ((r = mms_pdu_decode(got.p, got.len, &conf)) != MMS_PDU_OK ||
        conf.type != MMS_M_RETRIEVE_CONF) {
        printf("MMS tid=%s FAILED: the answer is not an m-retrieve-conf (%s)\n",
               ind.transaction_id,
               r == MMS_PDU_OK ? mms_pdu_type_name(conf.type) : mms_pdu_result_text(r));
        goto out;
    }
    if (conf.retrieve_status && conf.retrieve_status != MMS_RETRIEVE_OK) {
        printf("MMS tid=%s FAILED: retrieve status 0x%02x %s\n", ind.transaction_id,
               conf.retrieve_status, conf.retrieve_text ? conf.retrieve_text : "");
        goto out;
    }
    print_mms(&conf, ind.transaction_id);
    acknowledge(ind.transaction_id, ind.content_location);
    rc = 0;
out:
    mms_pdu_cleanup(&ind);
    mms_pdu_cleanup(&conf);
    free(got.p);
    fflush(stdout);
    return rc;
}
