/*
 * webconf — the [web] section of smsvault.conf: where vaultweb listens, how
 * many threads, per-IP and timeout limits, body caps, session lifetimes,
 * the secure-cookie flag, the static directory (by default where the
 * package installs the page: SMSVAULT_STATIC_DIR, set by CMake) and logging. The [database]/[quota]
 * keys belong to the store (store_config_keys); this module only lists them
 * next to ours for config_load. It does not start anything.
 */
#ifndef SMSVAULT_WEB_WEBCONF_H
#define SMSVAULT_WEB_WEBCONF_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct web_config {
    char *listen;                 /* dotted IPv4 address, default 127.0.0.1 */
    long long port;
    long long threads;            /* MHD worker threads = store connections */
    long long per_ip_limit;       /* concurrent connections per client address */
    long long max_connections;
    long long conn_timeout_s;     /* idle connection timeout */
    long long json_body_max;      /* cap for JSON bodies */
    long long upload_body_max;    /* cap for imports and MMS */
    long long session_idle_s;
    long long session_absolute_s;
    bool secure_cookie;           /* add Secure (behind TLS) */
    char *static_dir;
    char *log_level;
    char *log_file;               /* empty: stderr (the journal under systemd) */
    long long code_ttl_s;         /* phone binding code lifetime */
    long long metrics_port;       /* GET /metrics on 127.0.0.1 (not the page's port); 0: off */
};

extern const struct config_key webconf_keys[];
extern const size_t webconf_nkeys;

#endif
