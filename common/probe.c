/*
 * probe — one HEAD / to our own listener (see probe.h).
 */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Wait for events on fd until deadline; 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, long long deadline)
{
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = { fd, events, 0 };
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        return r < 0 ? -1 : r > 0;
    }
}

bool probe_http(const char *addr, unsigned port, int timeout_ms, char *why, size_t whylen)
{
    static const char req[] = "HEAD / HTTP/1.0\r\nHost: localhost\r\nUser-Agent: vaultweb-watchdog\r\n\r\n";
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    long long deadline = now_ms() + timeout_ms;
    bool ok = false;
    int fd = -1;

    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        snprintf(why, whylen, "bad listen address %s", addr);
        goto out;
    }
    if (sa.sin_addr.s_addr == htonl(INADDR_ANY))
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(why, whylen, "socket: %s", strerror(errno));
        goto out;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) {
        snprintf(why, whylen, "connect to %s:%u: %s", addr, port, strerror(errno));
        goto out;
    }
    int err = 0;
    socklen_t elen = sizeof err;
    if (wait_fd(fd, POLLOUT, deadline) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err) {
        snprintf(why, whylen, "connect to %s:%u: %s", addr, port, err ? strerror(err) : "no answer in time");
        goto out;
    }
    if (send(fd, req, sizeof req - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof req - 1)) {
        snprintf(why, whylen, "send to %s:%u: %s", addr, port, strerror(errno));
        goto out;
    }
    /* the first byte of a reply, or the server's orderly close, is an answer */
    char c;
    while (!ok) {
        int w = wait_fd(fd, POLLIN, deadline);
        if (w != 1) {
            snprintf(why, whylen, "%s:%u did not answer a request within %d ms", addr, port, timeout_ms);
            goto out;
        }
        ssize_t n = recv(fd, &c, 1, 0);
        if (n >= 0 || errno == ECONNRESET) {
            ok = true;   /* a reset too: the server accepted and closed (its connection limit) */
        } else if (errno != EINTR && errno != EAGAIN) {
            snprintf(why, whylen, "read from %s:%u: %s", addr, port, strerror(errno));
            goto out;
        }
    }
out:
    if (fd >= 0)
        close(fd);
    return ok;
}
