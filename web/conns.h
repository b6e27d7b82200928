/*
 * conns — vaultweb's table of open connections, for what libmicrohttpd does
 * not do (issue 11, point 4): a deadline for a request's headers, a minimum
 * rate for its body, and a per-address connection limit that is fair.
 *
 * libmicrohttpd's own timeout is an idle timeout (each byte resets it), so a
 * client dripping a byte every few seconds stays for ever, and its own
 * per-address limit then refuses every other client behind that address.
 * Here, a connection must deliver a whole request head within
 * header_timeout seconds of opening or of its previous answer, and a body
 * must average body_min_rate bytes a second once header_timeout seconds
 * have passed; a reaper thread cuts those that do not (shutdown(2) of the
 * socket: libmicrohttpd then sees the end and closes it as usual). When an
 * address is at its limit, a new connection takes the place of that
 * address's connection that has waited longest without a request in
 * progress; only when every one of them is busy with a request is the new
 * one refused. Addresses of trusted proxies have no per-address limit (the
 * proxy limits its clients; see conf/nginx-smsvault.conf).
 *
 * It knows sockets and clocks, not HTTP: server.c tells it when a request's
 * head and body arrive and when the answer is done.
 */
#ifndef SMSVAULT_WEB_CONNS_H
#define SMSVAULT_WEB_CONNS_H

#include <stdbool.h>
#include <stddef.h>

struct conns;
struct conn_slot;

struct conns_limits {
    int header_timeout_s;         /* head complete within this, from open or the last answer */
    long long body_min_rate;      /* bytes/s a body must average after header_timeout_s */
    int per_address;              /* concurrent connections of one address */
};

/* Starts the reaper thread; NULL on failure (logged). */
struct conns *conns_new(const struct conns_limits *lim);
void conns_free(struct conns *c);   /* stops the reaper; NULL is a no-op */

/* A connection opened (fd borrowed; addr is its printable address). May cut
 * another connection of the same address, or this one, to keep the limit.
 * exempt: no per-address limit (a trusted proxy). Never NULL. */
struct conn_slot *conns_open(struct conns *c, int fd, const char *addr, bool exempt);
void conns_close(struct conns *c, struct conn_slot *s);   /* the slot is freed */

void conns_head_done(struct conns *c, struct conn_slot *s);             /* body phase starts */
void conns_body_bytes(struct conns *c, struct conn_slot *s, size_t n);
void conns_body_done(struct conns *c, struct conn_slot *s);             /* the handler runs: no deadline */
void conns_answer_done(struct conns *c, struct conn_slot *s);           /* waiting for the next head */

#endif
