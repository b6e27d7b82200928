/*
 * webconf — key table of the [web] section (see webconf.h).
 */
#include "webconf.h"

#include <stddef.h>

#ifndef SMSVAULT_STATIC_DIR
#define SMSVAULT_STATIC_DIR "/usr/share/smsvault/static"   /* CMake sets it from the install prefix */
#endif

#define K(name, type, def, min, max, field, help) \
    { "web", name, type, def, min, max, offsetof(struct web_config, field), help }

const struct config_key webconf_keys[] = {
    K("listen", CONFIG_STRING, "127.0.0.1", 0, 0, listen, "IPv4 address to listen on (loopback by default)"),
    K("port", CONFIG_INT, "8080", 0, 65535, port, "TCP port of the page and API"),
    K("threads", CONFIG_INT, "4", 1, 64, threads, "worker threads (one database connection each)"),
    K("per_ip_limit", CONFIG_INT, "32", 1, 10000, per_ip_limit,
      "concurrent connections per client address (the one idle longest gives way to a new one)"),
    K("max_connections", CONFIG_INT, "512", 1, 100000, max_connections, "concurrent connections in all"),
    K("connection_timeout", CONFIG_INT, "30", 1, 3600, conn_timeout_s, "seconds an idle connection is kept"),
    K("header_timeout", CONFIG_INT, "10", 1, 3600, header_timeout_s,
      "seconds for a whole request head, from connecting or from the previous answer"),
    K("body_min_rate", CONFIG_BYTES, "1K", 1, 1LL << 30, body_min_rate,
      "bytes per second a request body must average once header_timeout has passed"),
    K("json_body_max", CONFIG_BYTES, "64K", 1024, 1LL << 24, json_body_max, "largest JSON request body"),
    K("upload_body_max", CONFIG_BYTES, "64M", 1024, 1LL << 31, upload_body_max, "largest import / MMS body"),
    K("export_streams", CONFIG_INT, "8", 1, WEB_EXPORT_STREAMS_MAX, export_streams,
      "downloads sent at once in all (each holds a database connection while the browser reads it)"),
    K("export_streams_per_user", CONFIG_INT, "2", 1, WEB_EXPORT_STREAMS_MAX, export_streams_per_user,
      "downloads one account may have running at once"),
    K("session_idle", CONFIG_INT, "1800", 60, 86400 * 30, session_idle_s, "seconds of inactivity that end a session"),
    K("session_absolute", CONFIG_INT, "43200", 300, 86400 * 90, session_absolute_s, "seconds after login that end a session"),
    K("secure_cookie", CONFIG_BOOL, "no", 0, 0, secure_cookie, "mark the session cookie Secure (set when served over TLS)"),
    K("tls_cert", CONFIG_STRING, "", 0, 0, tls_cert,
      "PEM certificate chain: serve HTTPS here (empty: plain HTTP, e.g. behind nginx); reread on SIGHUP"),
    K("tls_key", CONFIG_STRING, "", 0, 0, tls_key, "PEM private key of tls_cert; reread on SIGHUP"),
    K("trusted_proxies", CONFIG_STRING, "", 0, 0, trusted_proxies,
      "IPv4 addresses or address/bits of reverse proxies whose X-Forwarded-For is believed"),
    K("static_dir", CONFIG_STRING, SMSVAULT_STATIC_DIR, 0, 0, static_dir, "directory of the page (HTML, CSS, JS)"),
    K("log_level", CONFIG_STRING, "info", 0, 0, log_level, "debug, info, warn or error"),
    K("log_file", CONFIG_STRING, "", 0, 0, log_file,
      "append the log to this file (reopened on SIGHUP); empty: stderr, the journal under systemd"),
    K("code_ttl", CONFIG_INT, "600", 60, 3600, code_ttl_s, "seconds a phone binding code stays valid"),
    K("metrics_port", CONFIG_INT, "0", 0, 65535, metrics_port,
      "serve GET /metrics (Prometheus) on 127.0.0.1 at this port, never the page's; 0: off"),
    K("phone_prefixes", CONFIG_STRING, "86", 0, 0, phone_prefixes,
      "codes are texted only to numbers whose international digits start with one of these (e.g. 86, 852)"),
    K("codes_per_account", CONFIG_INT, "3", 1, 1000, codes_per_account,
      "phone-linking codes one account may ask for in an hour"),
    K("codes_per_number", CONFIG_INT, "3", 1, 1000, codes_per_number,
      "phone-linking codes texted to one number in an hour, whichever accounts ask"),
    K("codes_per_address", CONFIG_INT, "10", 1, 100000, codes_per_address,
      "phone-linking codes asked for from one client address in an hour"),
    K("codes_per_hour", CONFIG_INT, "100", 1, 1000000, codes_per_hour,
      "phone-linking codes texted in all in an hour (the budget)"),
};

const size_t webconf_nkeys = sizeof webconf_keys / sizeof webconf_keys[0];
