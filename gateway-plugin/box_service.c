/*
 * box_service — vaultbox's SIGHUP and watchdog thread (see box_service.h).
 * A gwthread, so that gwlib's log functions may be called from it.
 */
#include "box_service.h"

#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "gwlib/gwlib.h"
#include "gw/shared.h"

#include "notify.h"

static atomic_llong beat_ms;          /* the main thread's last turn, CLOCK_MONOTONIC */
static atomic_bool connecting;        /* it is inside a connect to bearerbox */
static long long limit_ms = 5000;     /* a beat older than this is a hang */
static box_reread_fn *reread;
static bool log_to_file;

static long long mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void box_service_beat(bool in_connect)
{
    atomic_store(&beat_ms, mono_ms());
    atomic_store(&connecting, in_connect);
}

int box_service_gw_level(enum log_level level)
{
    return level == LOG_DEBUG ? GW_DEBUG : level == LOG_INFO ? GW_INFO : level == LOG_WARN ? GW_WARNING : GW_ERROR;
}

void box_service_set_levels(enum log_level level, bool to_file)
{
    enum output_level gl = box_service_gw_level(level);
    log_set_level(level);
    if (to_file) {
        log_set_log_level(gl);
        log_set_output_level(gl > GW_ERROR ? gl : GW_ERROR);
    } else {
        log_set_output_level(gl);
    }
}

static bool healthy(void *ctx, char *why, size_t whylen)
{
    long long age = mono_ms() - atomic_load(&beat_ms);
    bool in_connect = atomic_load(&connecting);
    if (age <= (in_connect ? 150000 : limit_ms))
        return true;
    snprintf(why, whylen, "the bearerbox reader has not turned for %lld s%s", age / 1000,
             in_connect ? " (connecting)" : "");
    return false;
}

static void reload(void *ctx)
{
    enum log_level level;
    char err[700];
    if (reread(&level, err, sizeof err) != 0) {
        log_error("vaultbox: reload-refused error=\"%s\"", err);   /* keep running as configured */
        return;
    }
    box_service_set_levels(level, log_to_file);
    log_reopen();
    static const char *const names[] = { "debug", "info", "warn", "error" };
    log_info("vaultbox: reloaded log_level=%s (other keys take effect at the next start)", names[level]);
}

static bool stopping(void *ctx)
{
    return program_status == shutting_down;
}

static void service_main(void *arg)
{
    struct notify_loop loop = { healthy, reload, stopping, NULL, 0, 0, false };
    notify_loop_init(&loop);
    if (loop.watchdog_usec / 2000 > limit_ms)
        limit_ms = loop.watchdog_usec / 2000;
    notify_loop_run(&loop);
}

long box_service_start(box_reread_fn *fn, bool to_file)
{
    reread = fn;
    log_to_file = to_file;
    box_service_beat(false);
    return gwthread_create(service_main, NULL);
}
