/*
 * vaultweb — the management page and JSON API of smsvault (issue 5).
 *
 *   vaultweb [-c smsvault.conf] [--check-config]
 *
 * Reads the [web] section and the store's [database]/[quota] keys, applies
 * pending migrations, serves until SIGINT/SIGTERM. It serves HTTPS itself
 * when [web] tls_cert and tls_key are set, or plain HTTP on loopback behind
 * a TLS proxy such as conf/nginx-smsvault.conf (set trusted_proxies to its
 * address).
 *
 * Under systemd (Type=notify, issue 13) it says READY=1 once the listener
 * is up and STOPPING=1 on the way out. A service thread reloads on SIGHUP
 * (log_level and log_file: the log file is reopened after logrotate; the
 * TLS certificate and key are reread; other keys take effect at the next
 * start) and, with WatchdogSec=, pings the watchdog while vaultweb is
 * healthy: while a HEAD / to its own listener is answered (probe.h).
 * [web] metrics_port serves GET /metrics on 127.0.0.1 (web_metrics.h).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "config.h"
#include "log.h"
#include "metrics_http.h"
#include "msisdn.h"
#include "notify.h"
#include "probe.h"
#include "proxy.h"
#include "server.h"
#include "store.h"
#include "web_metrics.h"
#include "webconf.h"

static void usage(void)
{
    fprintf(stderr, "usage: vaultweb [-c smsvault.conf] [--check-config]\n");
}

/* What the service thread needs: where we listen, what to reload from. */
struct service {
    struct server *srv;
    const char *config_path;
    const char *listen;
    unsigned port;
    int probe_ms;
    atomic_bool stop;
};

static bool service_healthy(void *ctx, char *why, size_t whylen)
{
    struct service *sv = ctx;
    return probe_http(sv->listen, sv->port, sv->probe_ms, why, whylen);
}

/* Apply log_level and log_file from cfg; false (logged) when one is bad. */
static bool apply_logging(const struct web_config *cfg, const char *path)
{
    enum log_level level;
    if (!log_level_parse(cfg->log_level, &level)) {
        log_error("web: bad-config file=%s key=[web]log_level value=%s", path ? path : "-", cfg->log_level);
        return false;
    }
    log_set_level(level);
    if (log_set_file(cfg->log_file) != 0) {
        log_error("web: log-file-failed path=%s errno=%d", cfg->log_file, errno);
        return false;
    }
    return true;
}

/* SIGHUP: read the file again; only logging changes while running. */
static void service_reload(void *ctx)
{
    struct service *sv = ctx;
    struct web_config web = { 0 };
    struct store_config sc = { 0 };
    const struct config_part parts[] = {
        { webconf_keys, webconf_nkeys, &web },
        { store_config_keys, store_config_nkeys, &sc },
    };
    char err[512];
    if (config_load(sv->config_path, parts, 2, config_smsvault_sections, err, sizeof err) != CONFIG_OK) {
        log_error("web: reload-refused error=\"%s\"", err);   /* keep running as configured */
    } else if (apply_logging(&web, sv->config_path)) {
        log_info("web: reloaded file=%s log_level=%s log_file=%s (other keys take effect at restart)",
                 sv->config_path ? sv->config_path : "-", web.log_level, web.log_file[0] ? web.log_file : "-");
    }
    config_free(parts, 2);
    server_reload(sv->srv);   /* the TLS certificate and key, from the files the server was started with */
}

static bool service_stopping(void *ctx)
{
    return atomic_load(&((struct service *)ctx)->stop);
}

static void *service_main(void *arg)
{
    struct service *sv = arg;
    struct notify_loop loop = { service_healthy, service_reload, service_stopping, sv, 0, 0, false };
    notify_loop_init(&loop);
    notify_loop_run(&loop);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    bool check = false;
    int rc = 1;
    struct web_config web = { 0 };
    struct store_config sc = { 0 };
    struct server *srv = NULL;
    struct metrics *reg = NULL;
    struct metrics_http *metrics = NULL;
    struct service sv = { 0 };
    pthread_t service_thread;
    bool service_started = false;
    bool archive_started = false;
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "--check-config") == 0)
            check = true;
        else {
            usage();
            return 2;
        }
    }
    const struct config_part parts[] = {
        { webconf_keys, webconf_nkeys, &web },
        { store_config_keys, store_config_nkeys, &sc },
    };
    char err[800];
    if (config_load(path, parts, 2, config_smsvault_sections, err, sizeof err) != CONFIG_OK) {
        fprintf(stderr, "vaultweb: %s\n", err);
        return 1;
    }
    enum log_level level;
    if (!log_level_parse(web.log_level, &level)) {
        fprintf(stderr, "vaultweb: %s: [web] log_level must be debug, info, warn or error\n", path ? path : "-");
        goto out;
    }
    log_set_level(level);
    if (web.metrics_port != 0 && web.metrics_port == web.port) {
        /* the figures are for the operator, never on the public port */
        fprintf(stderr, "vaultweb: %s: [web] metrics_port must not be the page's port %lld\n", path ? path : "-",
                web.port);
        goto out;
    }
    struct proxy_list *pl = NULL;
    if (!proxy_list_parse(web.trusted_proxies, &pl, err, sizeof err)) {
        fprintf(stderr, "vaultweb: %s: [web] %s\n", path ? path : "-", err);
        goto out;
    }
    proxy_list_free(pl);
    if (!msisdn_prefixes_valid(web.phone_prefixes)) {
        fprintf(stderr, "vaultweb: %s: [web] phone_prefixes must be digits separated by commas or spaces, "
                "at least one (e.g. 86)\n", path ? path : "-");
        goto out;
    }
    if ((web.tls_cert[0] == '\0') != (web.tls_key[0] == '\0')) {
        fprintf(stderr, "vaultweb: %s: [web] tls_cert and tls_key go together\n", path ? path : "-");
        goto out;
    }
    if (check) {
        config_print(parts, 2);
        rc = 0;
        goto out;
    }
    if (store_config_resolve(&sc, err, sizeof err) != 0) {
        fprintf(stderr, "vaultweb: %s\n", err);
        goto out;
    }
    if (!apply_logging(&web, path))
        goto out;

    /* SIGINT/SIGTERM wait for main's sigwait, SIGHUP for the service
     * thread's; every thread started from here on inherits the mask */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    sigdelset(&set, SIGHUP);
    signal(SIGPIPE, SIG_IGN);

    struct store *s = NULL;
    enum store_result res = store_open(&sc, &s);
    if (res == STORE_OK)
        res = store_migrate(s);
    store_free(s);
    if (res != STORE_OK) {
        log_error("web: database not ready result=%s", store_result_name(res));
        goto out;
    }
    reg = web_metrics_init();
    archive_init();   /* before the server's threads import */
    archive_started = true;
    srv = server_start(&web, &sc);
    if (srv == NULL)
        goto out;
    if (web.metrics_port > 0) {
        metrics = metrics_http_start(reg, (unsigned)web.metrics_port, err, sizeof err);
        if (metrics == NULL) {
            log_error("web: %s", err);
            goto out;
        }
        log_info("web: metrics http://127.0.0.1:%lld/metrics", web.metrics_port);
    }
    const char *scheme = server_tls(srv) ? "https" : "http";
    printf("vaultweb: listening on %s://%s:%u/\n", scheme, web.listen, server_port(srv));
    fflush(stdout);
    notify_sendf("READY=1\nSTATUS=listening on %s://%s:%u/", scheme, web.listen, server_port(srv));

    sv.srv = srv;
    sv.config_path = path;
    sv.listen = web.listen;
    sv.port = server_port(srv);
    sv.probe_ms = 5000;
    if (pthread_create(&service_thread, NULL, service_main, &sv) == 0)
        service_started = true;
    else
        log_error("web: service-thread-failed (no reload on SIGHUP, no watchdog pings)");

    int sig = 0;
    sigwait(&set, &sig);
    notify_send("STOPPING=1");
    log_info("web: stopping signal=%d", sig);
    rc = 0;
out:
    if (service_started) {
        atomic_store(&sv.stop, true);   /* it looks at least once a second */
        pthread_join(service_thread, NULL);
    }
    metrics_http_stop(metrics);
    server_stop(srv);
    if (archive_started)
        archive_cleanup();   /* the server's threads have ended */
    web_metrics_free(reg);
    config_free(parts, 2);
    return rc;
}
