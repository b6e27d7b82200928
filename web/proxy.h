/*
 * proxy — which peers are trusted reverse proxies ([web] trusted_proxies),
 * and the client address of a request (issue 11 point 4, issue 13): the
 * peer's own address, except when the peer is a trusted proxy, where it is
 * the right-most X-Forwarded-For entry that is not itself a trusted proxy
 * (X-Real-IP when there is no X-Forwarded-For). A forwarded address from
 * anyone else is ignored: any client can write those headers. Also whether
 * a trusted proxy says the browser spoke HTTPS (X-Forwarded-Proto). IPv4
 * addresses and CIDR blocks, like [web] listen. It knows no HTTP library.
 */
#ifndef SMSVAULT_WEB_PROXY_H
#define SMSVAULT_WEB_PROXY_H

#include <stdbool.h>
#include <stddef.h>

#define PROXY_ADDR_LEN 64

struct proxy_list;

/* "127.0.0.1, 10.0.0.0/8": comma- or space-separated; "" is the empty list.
 * true on success (*out owned by the caller), false with the reason in err. */
bool proxy_list_parse(const char *spec, struct proxy_list **out, char *err, size_t errlen);
void proxy_list_free(struct proxy_list *l);   /* NULL is a no-op */
bool proxy_trusted(const struct proxy_list *l, const char *addr);
/* The client address of a request from peer; xff and real_ip may be NULL. */
void proxy_client(const struct proxy_list *l, const char *peer, const char *xff, const char *real_ip,
                  char out[PROXY_ADDR_LEN]);
/* Did a trusted proxy say the browser used HTTPS? */
bool proxy_says_https(const struct proxy_list *l, const char *peer, const char *proto);

#endif
