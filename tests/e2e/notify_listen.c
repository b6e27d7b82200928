/*
 * notify_listen — systemd's side of sd_notify for the e2e suites: binds a
 * datagram socket at PATH and appends every datagram it receives to OUT,
 * one per line with newlines shown as '|' ("READY=1|STATUS=..."), until
 * SIGTERM. It is a test tool, not a service manager: it starts nothing.
 *
 *   notify_listen PATH OUT
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig) { stop = 1; }

int main(int argc, char **argv)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (argc != 3 || strlen(argv[1]) >= sizeof sa.sun_path) {
        fprintf(stderr, "usage: notify_listen PATH OUT\n");
        return 2;
    }
    FILE *out = fopen(argv[2], "a");
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    memcpy(sa.sun_path, argv[1], strlen(argv[1]));
    unlink(argv[1]);
    if (out == NULL || fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        perror("notify_listen");
        return 1;
    }
    struct sigaction act = { .sa_handler = on_term };   /* no SA_RESTART: recv returns */
    sigaction(SIGTERM, &act, NULL);
    while (!stop) {
        char buf[4096];
        ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
        if (n <= 0)
            continue;
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] == '\n')
                buf[i] = '|';
        buf[n] = '\0';
        fprintf(out, "%s\n", buf);
        fflush(out);
    }
    unlink(argv[1]);
    fclose(out);
    close(fd);
    return 0;
}
