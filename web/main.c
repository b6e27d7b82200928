/*
 * vaultweb — the management page and JSON API of smsvault (issue 5).
 *
 *   vaultweb [-c smsvault.conf] [--check-config]
 *
 * Reads the [web] section and the store's [database]/[quota] keys, applies
 * pending migrations, serves until SIGINT/SIGTERM; SIGHUP rereads the TLS
 * certificate and key. It serves HTTPS itself when [web] tls_cert and
 * tls_key are set, or plain HTTP on loopback behind a TLS proxy such as
 * conf/nginx-smsvault.conf (set trusted_proxies to its address).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "msisdn.h"
#include "proxy.h"
#include "server.h"
#include "store.h"
#include "webconf.h"

static void usage(void)
{
    fprintf(stderr, "usage: vaultweb [-c smsvault.conf] [--check-config]\n");
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    bool check = false;
    int rc = 1;
    struct web_config web = { 0 };
    struct store_config sc = { 0 };
    struct server *srv = NULL;
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
    char err[512];
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

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);   /* worker threads inherit the mask */
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
    srv = server_start(&web, &sc);
    if (srv == NULL)
        goto out;
    printf("vaultweb: listening on %s://%s:%u/\n", server_tls(srv) ? "https" : "http", web.listen, server_port(srv));
    fflush(stdout);
    int sig = 0;
    while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
        server_reload(srv);
    log_info("web: stopping signal=%d", sig);
    rc = 0;
out:
    server_stop(srv);
    config_free(parts, 2);
    return rc;
}
