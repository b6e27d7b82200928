/*
 * mm7_conf — [mms] and [mmsc.NAME] of smsvault.conf (see mm7_conf.h).
 */
#include "mm7_conf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "limit.h"
#include "mm7_soap.h"
#include "mms_retrieve.h"

#define MMS(f) offsetof(struct mms_config, f)
#define MMSC(f) offsetof(struct mmsc_config, f)

const struct config_key mms_config_keys[] = {
    { "mms", "listen", CONFIG_STRING, "127.0.0.1", 0, 0, MMS(listen), "address the MM7 endpoint listens on" },
    { "mms", "port", CONFIG_INT, "8088", 1, 65535, MMS(port), "its port (POST /mm7/NAME for [mmsc.NAME])" },
    { "mms", "threads", CONFIG_INT, "4", 1, 64, MMS(threads), "HTTP worker threads, one database connection each" },
    { "mms", "max_connections", CONFIG_INT, "64", 1, 10000, MMS(max_connections), "connections at once" },
    { "mms", "per_ip_limit", CONFIG_INT, "16", 1, 10000, MMS(per_ip_limit), "connections at once from one address" },
    { "mms", "connection_timeout", CONFIG_INT, "30", 1, 3600, MMS(connection_timeout_s),
      "seconds an idle or trickling connection is kept" },
    { "mms", "body_max", CONFIG_BYTES, "3M", 64 << 10, 64 << 20, MMS(body_max),
      "largest request body; a larger one is refused (2004) before it is read" },
    { "mms", "parts_max", CONFIG_INT, "32", 1, LIMIT_MMS_PARTS_MAX, MMS(parts_max), "parts of one MMS (SMIL, images, text...)" },
    { "mms", "depth_max", CONFIG_INT, "3", 1, 8, MMS(depth_max), "multipart levels inside one MMS" },
    { "mms", "delivery", CONFIG_STRING, "mm7", 0, 0, MMS(delivery),
      "how GET M<n> reaches the phone: mm7 (SubmitReq to the MMSC) or direct (WAP push and retrieval URL)" },
    { "mms", "sender", CONFIG_STRING, "10659", 0, 0, MMS(sender),
      "the service short code: the sender of an MMS delivered by the direct path" },
    { "mms", "retrieve_listen", CONFIG_STRING, "127.0.0.1", 0, 0, MMS(retrieve_listen),
      "address of the direct path's retrieval URL (GET /mms/r/TOKEN), which handsets fetch; only with delivery = direct" },
    { "mms", "retrieve_port", CONFIG_INT, "8089", 1, 65535, MMS(retrieve_port), "its port" },
    { "mms", "retrieve_url_base", CONFIG_STRING, "", 0, 0, MMS(retrieve_url_base),
      "http(s)://host[:port] handsets reach it at (behind the operator's proxy); empty: http://retrieve_listen:retrieve_port" },
    { "mms", "retrieve_ttl", CONFIG_INT, "604800", 60, LIMIT_RETRIEVAL_TTL_MAX, MMS(retrieve_ttl_s),
      "seconds a retrieval URL stays valid (the notification's expiry)" },
    { "mms", "submit_mmsc", CONFIG_STRING, "", 0, 0, MMS(submit_mmsc),
      "delivery = mm7: the [mmsc.NAME] that takes our SubmitReq (empty: the first with a url)" },
    { "mms", "retry_min", CONFIG_INT, "30", 1, 86400, MMS(retry_min_s),
      "seconds before a SubmitReq that got a 3xxx or no answer is tried again (doubled each time)" },
    { "mms", "retry_max", CONFIG_INT, "1800", 1, 86400, MMS(retry_max_s), "the longest wait between two tries" },
    { "mms", "submit_attempts", CONFIG_INT, "20", 1, 1000, MMS(submit_attempts),
      "tries of one SubmitReq before the delivery fails and the phone is told" },
    { "mms", "instance_grace", CONFIG_INT, "30", 1, 86400, MMS(instance_grace_s),
      "seconds after which the deliveries a vaultmms that is gone had claimed are taken by another" },
    { "mms", "report_wait", CONFIG_INT, "172800", 0, 31536000, MMS(report_wait_s),
      "seconds an accepted delivery waits for its report (MMSC delivery report, or the phone's fetch) "
      "before it counts as sent; a later report still counts; 0: waits for ever" },
    { "mms", "migrate", CONFIG_BOOL, "yes", 0, 0, MMS(migrate), "apply pending database migrations at start" },
    { "mms", "log_level", CONFIG_STRING, "info", 0, 0, MMS(log_level), "debug, info, warn or error" },
    { "mms", "metrics_port", CONFIG_INT, "0", 0, 65535, MMS(metrics_port),
      "serve GET /metrics (Prometheus: MM7 requests, MMS received) on 127.0.0.1 at this port; 0: off" },
};
const size_t mms_config_nkeys = sizeof mms_config_keys / sizeof mms_config_keys[0];

const struct config_key mmsc_config_keys[] = {
    { "mmsc", "url", CONFIG_STRING, "", 0, 0, MMSC(url), "its MM7 URL for our SubmitReq (empty: it only posts to us)" },
    { "mmsc", "username", CONFIG_STRING, "", 0, 0, MMSC(username), "our HTTP Basic user at that URL" },
    { "mmsc", "password", CONFIG_STRING, "", 0, 0, MMSC(password), "our HTTP Basic password there" },
    { "mmsc", "incoming_username", CONFIG_STRING, "", 0, 0, MMSC(incoming_username),
      "the HTTP Basic user it must present to us" },
    { "mmsc", "incoming_password", CONFIG_STRING, "", 0, 0, MMSC(incoming_password), "and its password" },
    { "mmsc", "allow", CONFIG_STRING, "", 0, 0, MMSC(allow),
      "addresses or CIDR ranges it posts from, comma-separated (empty: any, then credentials are required)" },
    { "mmsc", "vaspid", CONFIG_STRING, "smsvault", 0, 0, MMSC(vaspid), "our VASPID at this operator" },
    { "mmsc", "vasid", CONFIG_STRING, "archive", 0, 0, MMSC(vasid), "our VASID" },
    { "mmsc", "service_code", CONFIG_STRING, "", 0, 0, MMSC(service_code), "ServiceCode for charging (empty: none)" },
    { "mmsc", "shortcode", CONFIG_STRING, "10659", 0, 0, MMSC(shortcode), "the sender of our SubmitReq" },
    { "mmsc", "namespace", CONFIG_STRING, MM7_NS_DEFAULT, 0, 0, MMSC(ns), "MM7 namespace of our SubmitReq" },
    { "mmsc", "version", CONFIG_STRING, MM7_VERSION_DEFAULT, 0, 0, MMSC(version), "MM7Version of our SubmitReq" },
    { "mmsc", "fault_http_status", CONFIG_INT, "500", 200, 500, MMSC(fault_http_status),
      "HTTP status of our SOAP Faults: 500 (SOAP 1.1) or 200 (what Mbuni sends)" },
    { "mmsc", "timeout", CONFIG_INT, "30", 1, 600, MMSC(timeout_s), "seconds a SubmitReq may take" },
    { "mmsc", "delivery_report", CONFIG_BOOL, "yes", 0, 0, MMSC(delivery_report),
      "ask for a DeliveryReportReq for every SubmitReq" },
};
const size_t mmsc_config_nkeys = sizeof mmsc_config_keys / sizeof mmsc_config_keys[0];

/* One allow-list entry: an address, or an address/prefix-length. */
struct net {
    int family;
    unsigned char addr[16];
    int bits;
};

static bool parse_net(const char *text, size_t len, struct net *n)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *slash = strchr(buf, '/');
    long bits = -1;
    if (slash) {
        char *end;
        *slash = '\0';
        bits = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end != '\0')
            return false;
    }
    if (inet_pton(AF_INET, buf, n->addr) == 1) {
        n->family = AF_INET;
        n->bits = bits < 0 ? 32 : (int)bits;
        return n->bits <= 32;
    }
    if (inet_pton(AF_INET6, buf, n->addr) == 1) {
        n->family = AF_INET6;
        n->bits = bits < 0 ? 128 : (int)bits;
        return n->bits <= 128;
    }
    return false;
}

static bool prefix_equal(const unsigned char *a, const unsigned char *b, int bits)
{
    int full = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[full] & mask) == (b[full] & mask);
}

/* Calls fn for each entry of the list; false when one does not parse. */
static bool each_net(const char *list, bool (*fn)(const struct net *, void *), void *ctx)
{
    const char *p = list;
    while (p && *p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        size_t len = strcspn(p, ", ");
        struct net n;
        if (!parse_net(p, len, &n))
            return false;
        if (fn && fn(&n, ctx))
            return true;
        p += len;
    }
    return true;
}

struct match {
    int family;
    unsigned char addr[16];
    bool found;
};

static bool net_matches(const struct net *n, void *ctx)
{
    struct match *m = ctx;
    if (n->family == m->family && prefix_equal(n->addr, m->addr, n->bits))
        m->found = true;
    return m->found;
}

bool mm7_conf_peer_allowed(const struct mmsc_config *m, const struct sockaddr *peer)
{
    if (m->allow == NULL || m->allow[0] == '\0')
        return true;
    if (peer == NULL)
        return false;
    struct match mt = { 0 };
    if (peer->sa_family == AF_INET) {
        mt.family = AF_INET;
        memcpy(mt.addr, &((const struct sockaddr_in *)(const void *)peer)->sin_addr, 4);
    } else if (peer->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)peer)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) {   /* ::ffff:127.0.0.1 is 127.0.0.1 */
            mt.family = AF_INET;
            memcpy(mt.addr, a->s6_addr + 12, 4);
        } else {
            mt.family = AF_INET6;
            memcpy(mt.addr, a->s6_addr, 16);
        }
    } else {
        return false;
    }
    each_net(m->allow, net_matches, &mt);
    return mt.found;
}

int mm7_conf_retrieve_url(const struct mms_config *c, const char *token, char *out, size_t cap)
{
    int n;
    if (c->retrieve_url_base[0])
        n = snprintf(out, cap, "%s" MMS_RETRIEVE_PATH "%s", c->retrieve_url_base, token);
    else if (strchr(c->retrieve_listen, ':'))
        n = snprintf(out, cap, "http://[%s]:%lld" MMS_RETRIEVE_PATH "%s", c->retrieve_listen, c->retrieve_port,
                     token);
    else
        n = snprintf(out, cap, "http://%s:%lld" MMS_RETRIEVE_PATH "%s", c->retrieve_listen, c->retrieve_port, token);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* Equal strings, in time that depends on their lengths only. */
static bool same_secret(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = (unsigned char)(la != lb);
    for (size_t i = 0; i < la && i < lb; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

bool mm7_conf_credentials_ok(const struct mmsc_config *m, const char *user, const char *password)
{
    if (m->incoming_username == NULL || m->incoming_username[0] == '\0')
        return true;
    if (user == NULL || password == NULL)
        return false;
    bool u = same_secret(user, m->incoming_username);
    bool p = same_secret(password, m->incoming_password ? m->incoming_password : "");
    return u && p;
}

enum config_result mm7_conf_check(const struct mms_config *c, const struct mmsc_config *mmscs,
                                  size_t n, char *err, size_t errlen)
{
    if (strcmp(c->delivery, "mm7") != 0 && strcmp(c->delivery, "direct") != 0) {
        snprintf(err, errlen, "[mms] delivery: expected mm7 or direct, got \"%s\"", c->delivery);
        return CONFIG_INVALID;
    }
    if (c->sender[0] == '\0' || strlen(c->sender) > 20 || strspn(c->sender, "0123456789+") != strlen(c->sender)) {
        snprintf(err, errlen, "[mms] sender: a short code of 1-20 digits");
        return CONFIG_INVALID;
    }
    if (c->retry_max_s < c->retry_min_s) {
        snprintf(err, errlen, "[mms] retry_max is less than retry_min");
        return -1;
    }
    if (c->submit_mmsc[0]) {
        size_t i = 0;
        while (i < n && strcmp(mmscs[i].name, c->submit_mmsc) != 0)
            i++;
        if (i == n || mmscs[i].url[0] == '\0') {
            snprintf(err, errlen, "[mms] submit_mmsc: no [mmsc.%s] with a url", c->submit_mmsc);
            return -1;
        }
    }
    const char *b = c->retrieve_url_base;
    if (b[0] && ((strncmp(b, "http://", 7) != 0 && strncmp(b, "https://", 8) != 0) || strlen(b) > 200 ||
                 strcspn(b, " \t\r\n?#") != strlen(b) || b[strlen(b) - 1] == '/')) {
        snprintf(err, errlen, "[mms] retrieve_url_base: http://host[:port] or https://..., no path ending in /, "
                              "no query, at most 200 characters");
        return CONFIG_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        const struct mmsc_config *m = &mmscs[i];
        bool creds = m->incoming_username[0] != '\0';
        if (!creds && m->allow[0] == '\0') {
            snprintf(err, errlen, "[mmsc.%s]: set incoming_username and incoming_password, or allow, or both "
                                  "(an MMSC endpoint open to anyone is refused)", m->name);
            return CONFIG_INVALID;
        }
        if (creds && m->incoming_password[0] == '\0') {
            snprintf(err, errlen, "[mmsc.%s] incoming_password is empty", m->name);
            return CONFIG_INVALID;
        }
        if (!each_net(m->allow, NULL, NULL)) {
            snprintf(err, errlen, "[mmsc.%s] allow: \"%s\" is not a list of addresses or CIDR ranges",
                     m->name, m->allow);
            return CONFIG_INVALID;
        }
        if (m->fault_http_status != 200 && m->fault_http_status != 500) {
            snprintf(err, errlen, "[mmsc.%s] fault_http_status: 200 or 500", m->name);
            return CONFIG_INVALID;
        }
        if (m->shortcode[0] == '\0' || strlen(m->shortcode) > 20) {
            snprintf(err, errlen, "[mmsc.%s] shortcode: 1-20 characters", m->name);
            return CONFIG_INVALID;
        }
    }
    return CONFIG_OK;
}
