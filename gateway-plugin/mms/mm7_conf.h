/*
 * mm7_conf — vaultmms's part of smsvault.conf: [mms] (our endpoint, the caps
 * on what an MMSC may post, the delivery path) and one [mmsc.NAME] per
 * operator MMSC (where to send SubmitReq and with which credentials and
 * identities, what it must present to post to us). Tables for common/config,
 * the checks across keys, and the peer allow-list. No I/O but the checks'
 * messages.
 */
#ifndef SMSVAULT_MM7_CONF_H
#define SMSVAULT_MM7_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "config.h"

struct mms_config {
    char *listen;                  /* loopback by default */
    long long port;
    long long threads;             /* HTTP worker threads, one database connection each */
    long long max_connections;
    long long per_ip_limit;
    long long connection_timeout_s;
    long long body_max;            /* bytes of a request body: refused before it is read */
    long long parts_max;           /* parts of one MMS */
    long long depth_max;           /* multipart levels inside one MMS */
    char *delivery;                /* how GET M<n> reaches the phone: "mm7" (SubmitReq) or "direct" (WAP push) */
    char *sender;                  /* the service short code: From of an MMS delivered directly */
    char *retrieve_listen;         /* the direct path's retrieval URL, for handsets: its own listener */
    long long retrieve_port;
    char *retrieve_url_base;       /* scheme://host[:port] handsets reach it at ("": from listen and port) */
    long long retrieve_ttl_s;      /* seconds a retrieval URL stays valid (X-Mms-Expiry) */
    char *submit_mmsc;             /* delivery = mm7: NAME of the [mmsc.NAME] we submit to ("": the first with a url) */
    long long retry_min_s, retry_max_s;   /* back-off of a SubmitReq tried again (mm7_backoff_s) */
    long long submit_attempts;     /* tries of one SubmitReq before it fails */
    long long instance_grace_s;    /* a gone vaultmms's claimed deliveries are requeued after this */
    long long report_wait_s;       /* an accepted delivery with no report after this counts as sent; 0: never */
    bool migrate;
    char *log_level;
    long long metrics_port;        /* GET /metrics on 127.0.0.1; 0: off */
};

#define MM7_MMSC_MAX 16

struct mmsc_config {
    char *name;                    /* NAME of [mmsc.NAME]: its endpoint is POST /mm7/NAME */
    char *url;                     /* its MM7 URL for our SubmitReq ("": it only posts to us) */
    char *username, *password;     /* our HTTP Basic credentials at that URL */
    char *incoming_username, *incoming_password;   /* what it must present to us */
    char *allow;                   /* addresses or CIDR ranges it posts from, comma-separated */
    char *vaspid, *vasid, *service_code, *shortcode;
    char *ns, *version;            /* MM7 namespace and MM7Version of our SubmitReq */
    long long fault_http_status;   /* HTTP status of our Faults: 500 (SOAP 1.1) or 200 (Mbuni) */
    long long timeout_s;           /* a SubmitReq that takes longer is retried */
    bool delivery_report;          /* ask for DeliveryReportReq */
};

extern const struct config_key mms_config_keys[];
extern const size_t mms_config_nkeys;
extern const struct config_key mmsc_config_keys[];
extern const size_t mmsc_config_nkeys;

/* What config_load cannot check key by key: a known delivery path, a
 * sender and a retrieval URL base that an SMS and a handset can use, every
 * MMSC with Basic credentials or an allow-list (or both) that parses.
 * CONFIG_OK, or CONFIG_INVALID with a message naming the section in err. */
enum config_result mm7_conf_check(const struct mms_config *c, const struct mmsc_config *mmscs,
                                  size_t n, char *err, size_t errlen);

/* The retrieval URL of token: retrieve_url_base (or http://listen:port)
 * + MMS_RETRIEVE_PATH + token. Returns 0, or -1 when it does not fit in cap. */
int mm7_conf_retrieve_url(const struct mms_config *c, const char *token, char *out, size_t cap);

/* True when the MMSC has no allow-list, or peer is in it. */
bool mm7_conf_peer_allowed(const struct mmsc_config *m, const struct sockaddr *peer);

/* True when the MMSC needs no credentials, or user/password are its own
 * (compared in constant time). */
bool mm7_conf_credentials_ok(const struct mmsc_config *m, const char *user, const char *password);

#endif
