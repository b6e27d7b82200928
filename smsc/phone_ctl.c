/*
 * phone_ctl — phonesim's connection to smscsim's control port (the line
 * protocol of control.c): connect, write a request, read answer lines of
 * any length. Blocking sockets, one per thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "phonesim.h"
#include "simcodec.h"

bool ctl_open(struct ctl *c)
{
    struct sockaddr_in a;
    int on = 1;

    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return false;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)o.port);
    if (inet_pton(AF_INET, o.host, &a.sin_addr) != 1 ||
        connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(c->fd);
        c->fd = -1;
        return false;
    }
    return true;
}

bool ctl_write(struct ctl *c, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        s += w;
        n -= (size_t)w;
    }
    return true;
}

char *ctl_read_line(struct ctl *c)
{
    struct buf line = { 0 };

    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        if (nl) {
            size_t k = (size_t)(nl - c->buf);
            buf_append(&line, c->buf, k);
            memmove(c->buf, nl + 1, c->len - k - 1);
            c->len -= k + 1;
            return buf_steal(&line, NULL);
        }
        if (c->len == sizeof c->buf) { /* long line: move what we have aside */
            buf_append(&line, c->buf, c->len);
            c->len = 0;
        }
        ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            buf_cleanup(&line);
            return NULL;
        }
        c->len += (size_t)r;
    }
}

char *ctl_request(struct ctl *c, const char *line)
{
    if (!ctl_write(c, line, strlen(line)))
        return NULL;
    return ctl_read_line(c);
}

int ctl_send_mo(struct ctl *c, const char *from, const char *to, const char *text)
{
    size_t tl = strlen(text);
    char *hex = xmalloc(tl * 2 + 1), *cmd, *ans;
    int rc = -1;

    simcodec_hex((const unsigned char *)text, tl, hex);
    cmd = xasprintf("MO %s %s %s\n", from, to, hex);
    if ((ans = ctl_request(c, cmd)) != NULL) {
        rc = strncmp(ans, "OK ", 3) == 0 ? 0 : -1;
        if (rc != 0)
            fprintf(stderr, "phonesim: smscsim refused the MO: %s\n", ans);
        free(ans);
    }
    free(hex);
    free(cmd);
    return rc;
}

char *ctl_wait_mt(struct ctl *c, const char *msisdn, long timeout_ms)
{
    char cmd[96];
    snprintf(cmd, sizeof cmd, "WAIT %s %ld\n", msisdn, timeout_ms < 0 ? 0 : timeout_ms);
    return ctl_request(c, cmd);
}
