/*
 * notify — sd_notify datagrams and the reload / watchdog loop (see notify.h).
 */
#include "notify.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

enum notify_result notify_send_to(const char *socket_name, const char *state)
{
    struct sockaddr_un sa;
    size_t n = socket_name ? strlen(socket_name) : 0, len = strlen(state);
    socklen_t salen;
    enum notify_result rc = NOTIFY_ERR;
    int fd = -1;

    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    errno = EINVAL;
    if (n < 2 || n >= sizeof sa.sun_path)
        goto out;
    if (socket_name[0] == '@') {
        /* abstract namespace: a leading NUL, and the length says where it ends */
        memcpy(sa.sun_path + 1, socket_name + 1, n - 1);
        salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    } else if (socket_name[0] == '/') {
        memcpy(sa.sun_path, socket_name, n);
        salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    } else {
        goto out;
    }
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto out;
    if (sendto(fd, state, len, MSG_NOSIGNAL, (const struct sockaddr *)&sa, salen) == (ssize_t)len)
        rc = NOTIFY_OK;
out:
    if (fd >= 0) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return rc;
}

enum notify_result notify_send(const char *state)
{
    const char *name = getenv("NOTIFY_SOCKET");
    if (name == NULL || name[0] == '\0')
        return NOTIFY_UNSET;
    enum notify_result rc = notify_send_to(name, state);
    if (rc != NOTIFY_OK) {
        /* the first word names the message; STATUS= text may be long */
        log_warn("notify: send-failed socket=%s message=%.*s errno=%d", name, (int)strcspn(state, "=\n"),
                 state, errno);
    }
    return rc;
}

enum notify_result notify_sendf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return notify_send(buf);
}

static long long parse_ll(const char *s)
{
    char *end;
    if (s == NULL || *s == '\0')
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end != '\0' || v <= 0)
        return -1;
    return v;
}

long long notify_watchdog_usec(void)
{
    long long usec = parse_ll(getenv("WATCHDOG_USEC"));
    if (usec <= 0)
        return 0;
    const char *pid = getenv("WATCHDOG_PID");
    if (pid != NULL && parse_ll(pid) != (long long)getpid())
        return 0;   /* meant for another process (we were forked or exec'd) */
    return usec;
}

int notify_block_sighup(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    return pthread_sigmask(SIG_BLOCK, &set, NULL) == 0 ? 0 : -1;
}

static long long mono_usec(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

void notify_loop_init(struct notify_loop *l)
{
    l->watchdog_usec = notify_watchdog_usec();
    l->next_ping_usec = 0;
    l->unhealthy = false;
}

static void watchdog_check(struct notify_loop *l)
{
    long long now = mono_usec();
    if (l->watchdog_usec <= 0 || now < l->next_ping_usec)
        return;
    char why[200] = "";
    bool ok = l->healthy == NULL || l->healthy(l->ctx, why, sizeof why);
    if (!ok) {
        /* no ping: systemd ends the process with SIGABRT once WatchdogSec passes */
        if (!l->unhealthy) {
            log_error("notify: watchdog-withheld reason=\"%s\"", why);
            notify_sendf("STATUS=unhealthy: %s", why);
        }
        l->unhealthy = true;
        l->next_ping_usec = now + l->watchdog_usec / 4;   /* look again soon */
        return;
    }
    if (l->unhealthy) {
        log_warn("notify: watchdog-resumed");
        notify_send("STATUS=healthy again");
    }
    l->unhealthy = false;
    notify_send("WATCHDOG=1");
    l->next_ping_usec = now + l->watchdog_usec / 2;   /* sd_watchdog_enabled(3): every half interval */
}

void notify_loop_turn(struct notify_loop *l, int timeout_ms)
{
    sigset_t set;
    struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    if (sigtimedwait(&set, NULL, &ts) == SIGHUP) {
        if (l->reload) {
            notify_send("RELOADING=1");
            l->reload(l->ctx);
            notify_send("READY=1");
        }
    }
    watchdog_check(l);
}

void notify_loop_run(struct notify_loop *l)
{
    while (!l->stopping(l->ctx)) {
        int ms = 1000;
        if (l->watchdog_usec > 0) {
            long long left = (l->next_ping_usec - mono_usec()) / 1000;
            if (left < ms)
                ms = left < 0 ? 0 : (int)left;
        }
        notify_loop_turn(l, ms);
    }
}
