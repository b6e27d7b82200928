/*
 * webconf — the [web] section of smsvault.conf: where vaultweb listens, how
 * many threads, per-IP and timeout limits, body caps, session lifetimes,
 * the secure-cookie flag, the static directory (by default where the
 * package installs the page: SMSVAULT_STATIC_DIR, set by CMake), logging,
 * the metrics port and the limits of phone-linking codes. The [database]/[quota]
 * keys belong to the store (store_config_keys); this module only lists them
 * next to ours for config_load. It does not start anything.
 */
#ifndef SMSVAULT_WEB_WEBCONF_H
#define SMSVAULT_WEB_WEBCONF_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* the most export_streams may be (transfer.c keeps a table this long) */
#define WEB_EXPORT_STREAMS_MAX 256

struct web_config {
    char *listen;                 /* dotted IPv4 address, default 127.0.0.1 */
    long long port;
    long long threads;            /* MHD worker threads = store connections */
    long long per_ip_limit;       /* concurrent connections per client address */
    long long max_connections;
    long long conn_timeout_s;     /* idle connection timeout */
    long long header_timeout_s;   /* a request head must be complete within this */
    long long body_min_rate;      /* bytes/s a request body must average */
    long long json_body_max;      /* cap for JSON bodies */
    long long upload_body_max;    /* cap for imports and MMS */
    long long export_streams;     /* downloads at once, in all (transfer.c) ... */
    long long export_streams_per_user;   /* ... and of one account */
    long long session_idle_s;
    long long session_absolute_s;
    bool secure_cookie;           /* add Secure (behind TLS) */
    char *tls_cert;               /* PEM chain: vaultweb speaks HTTPS itself ("" = plain HTTP) */
    char *tls_key;                /* PEM private key of tls_cert */
    char *trusted_proxies;        /* peers whose X-Forwarded-For / -Proto are believed */
    char *static_dir;
    char *log_level;
    char *log_file;               /* empty: stderr (the journal under systemd) */
    long long code_ttl_s;         /* phone binding code lifetime */
    long long metrics_port;       /* GET /metrics on 127.0.0.1 (not the page's port); 0: off */
    /* phone-linking codes (issue 11, point 2: no SMS pumping) */
    char *phone_prefixes;         /* numbers a code may be texted to (msisdn_has_prefix) */
    long long codes_per_account;  /* codes an hour: one account may ask for ... */
    long long codes_per_number;   /* ... one number may receive, from any account ... */
    long long codes_per_address;  /* ... one client address may ask for ... */
    long long codes_per_hour;     /* ... and all together (the budget) */
};

extern const struct config_key webconf_keys[];
extern const size_t webconf_nkeys;

#endif
