/*
 * notify — systemd's service notification protocol, without libsystemd, and
 * the small service loop a daemon runs in one of its threads.
 *
 * The protocol (sd_notify(3), "Notes"; stable since systemd 209) is one
 * datagram of newline-separated KEY=VALUE lines ("READY=1", "STOPPING=1",
 * "WATCHDOG=1", "RELOADING=1", "STATUS=text") to the AF_UNIX socket named in
 * $NOTIFY_SOCKET: an absolute path, or "@name" for a socket in the abstract
 * namespace. $WATCHDOG_USEC (with $WATCHDOG_PID naming this process) is the
 * watchdog interval of the unit's WatchdogSec=.
 *
 * The loop waits for SIGHUP (which the daemon keeps blocked in every thread)
 * and calls the daemon's reload; and while the daemon says it is healthy it
 * sends WATCHDOG=1 every half interval. What "healthy" and "reload" mean is
 * the daemon's business; this module only keeps the rhythm.
 *
 * Without $NOTIFY_SOCKET (not started by systemd, or Type= is not notify)
 * every send is a quiet no-op. Nothing here reads or writes a unit file.
 */
#ifndef SMSVAULT_NOTIFY_H
#define SMSVAULT_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

enum notify_result {
    NOTIFY_OK = 0,
    NOTIFY_UNSET,   /* no $NOTIFY_SOCKET: nobody to tell */
    NOTIFY_ERR,     /* a bad socket name, or the datagram was not sent */
};

/* Send state ("READY=1\nSTATUS=...") to $NOTIFY_SOCKET. */
enum notify_result notify_send(const char *state);
enum notify_result notify_sendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Send to the socket named socket_name (a path or "@abstract"). */
enum notify_result notify_send_to(const char *socket_name, const char *state);

/* The unit's watchdog interval in microseconds, or 0 when there is none for
 * this process ($WATCHDOG_USEC unset or bad, or $WATCHDOG_PID another pid). */
long long notify_watchdog_usec(void);

/* Block SIGHUP in the calling thread. Call it in main before any thread is
 * started, so that every thread inherits the mask and SIGHUP waits for the
 * loop's sigtimedwait instead of interrupting a system call somewhere. */
int notify_block_sighup(void);

/* The daemon's side of the loop. why receives a one-line reason when
 * healthy() says no (logged once, and shown in `systemctl status`). */
struct notify_loop {
    bool (*healthy)(void *ctx, char *why, size_t whylen);   /* NULL: always */
    void (*reload)(void *ctx);                              /* NULL: SIGHUP ignored */
    bool (*stopping)(void *ctx);                            /* the loop ends when true */
    void *ctx;
    /* kept by the loop (notify_loop_init sets them) */
    long long watchdog_usec;    /* 0: no watchdog pings */
    long long next_ping_usec;   /* CLOCK_MONOTONIC; 0: due now */
    bool unhealthy;             /* the last check said no */
};

/* Fill the loop's own fields (reads $WATCHDOG_USEC). */
void notify_loop_init(struct notify_loop *l);
/* One turn: wait up to timeout_ms for SIGHUP and reload on it, then send
 * WATCHDOG=1 if a ping is due and healthy() agrees. */
void notify_loop_turn(struct notify_loop *l, int timeout_ms);
/* Turn (at most a second at a time) until stopping() says so. */
void notify_loop_run(struct notify_loop *l);

#endif
