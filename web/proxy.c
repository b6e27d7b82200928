/*
 * proxy — trusted proxies and the client address (see proxy.h).
 */
#include "proxy.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"

struct net4 {
    uint32_t net, mask;
};

struct proxy_list {
    size_t n;
    struct net4 v[];
};

static bool parse_addr(const char *s, uint32_t *out)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1)
        return false;
    *out = ntohl(a.s_addr);
    return true;
}

bool proxy_list_parse(const char *spec, struct proxy_list **out, char *err, size_t errlen)
{
    size_t len = spec ? strlen(spec) : 0;
    struct proxy_list *l = xcalloc(1, sizeof *l + (len / 2 + 1) * sizeof l->v[0]);
    char *copy = xstrdup(spec ? spec : ""), *save = NULL;
    for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
        char *slash = strchr(tok, '/');
        long bits = 32;
        if (slash) {
            char *end;
            *slash = '\0';
            bits = strtol(slash + 1, &end, 10);
            if (*end || end == slash + 1 || bits < 0 || bits > 32)
                bits = -1;
        }
        uint32_t a;
        if (bits < 0 || !parse_addr(tok, &a)) {
            snprintf(err, errlen, "trusted_proxies: '%s' is not an IPv4 address or address/bits", tok);
            free(copy);
            free(l);
            return false;
        }
        uint32_t mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
        l->v[l->n].net = a & mask;
        l->v[l->n].mask = mask;
        l->n++;
    }
    free(copy);
    *out = l;
    return true;
}

void proxy_list_free(struct proxy_list *l) { free(l); }

bool proxy_trusted(const struct proxy_list *l, const char *addr)
{
    uint32_t a;
    if (l == NULL || addr == NULL || !parse_addr(addr, &a))
        return false;
    for (size_t i = 0; i < l->n; i++)
        if ((a & l->v[i].mask) == l->v[i].net)
            return true;
    return false;
}

/* One forwarded entry, trimmed, as a checked address (IPv4 or IPv6 text). */
static bool entry(const char *s, size_t n, char out[PROXY_ADDR_LEN])
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= PROXY_ADDR_LEN)
        return false;
    char buf[PROXY_ADDR_LEN];
    memcpy(buf, s, n);
    buf[n] = '\0';
    unsigned char bin[16];
    if (inet_pton(AF_INET, buf, bin) != 1 && inet_pton(AF_INET6, buf, bin) != 1)
        return false;
    memcpy(out, buf, n + 1);
    return true;
}

void proxy_client(const struct proxy_list *l, const char *peer, const char *xff, const char *real_ip,
                  char out[PROXY_ADDR_LEN])
{
    snprintf(out, PROXY_ADDR_LEN, "%s", peer ? peer : "?");
    if (!proxy_trusted(l, peer))
        return;
    char cand[PROXY_ADDR_LEN];
    if (xff && *xff) {
        /* right to left: the nearest hop first; stop at the first that is
         * not one of ours (what lies left of it, anyone could have written) */
        const char *end = xff + strlen(xff);
        while (end > xff) {
            const char *start = end;
            while (start > xff && start[-1] != ',')
                start--;
            if (!entry(start, (size_t)(end - start), cand))
                return;   /* garbage from the proxy's side: keep the proxy's own address */
            snprintf(out, PROXY_ADDR_LEN, "%s", cand);
            if (!proxy_trusted(l, cand))
                return;
            end = start > xff ? start - 1 : xff;
        }
        return;
    }
    if (real_ip && entry(real_ip, strlen(real_ip), cand))
        snprintf(out, PROXY_ADDR_LEN, "%s", cand);
}

bool proxy_says_https(const struct proxy_list *l, const char *peer, const char *proto)
{
    return proto && strcasecmp(proto, "https") == 0 && proxy_trusted(l, peer);
}
