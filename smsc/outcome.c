/*
 * outcome — see outcome.h. The rule list is a small array scanned linearly
 * (a simulator has a handful of rules); it is not a routing table.
 */
#include "outcome.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* message_state values from SMPP 3.4 section 5.2.28 */
static const struct outcome states[] = {
    { "DELIVRD", 2, 0, true },
    { "EXPIRED", 3, 3, false },
    { "DELETED", 4, 4, false },
    { "UNDELIV", 5, 5, false },
    { "ACCEPTD", 6, 0, false },
    { "UNKNOWN", 7, 7, false },
    { "REJECTD", 8, 8, false },
};

#define MAX_PREFIX 20

struct rule {
    char prefix[MAX_PREFIX + 1];
    const struct outcome *o;
};

struct outcome_rules {
    size_t n;
    struct rule r[];
};

static const char smppsim_table[] = "1=EXPIRED,2=DELETED,3=UNDELIV,4=ACCEPTD,5=REJECTD";

static const struct outcome *state_named(const char *name, size_t n)
{
    size_t i;
    for (i = 0; i < sizeof states / sizeof states[0]; i++)
        if (strlen(states[i].stat) == n && strncmp(states[i].stat, name, n) == 0)
            return &states[i];
    return NULL;
}

enum outcome_result outcome_rules_parse(const char *spec, struct outcome_rules **out, char *err,
                                        size_t errlen)
{
    struct outcome_rules *rules = NULL;
    enum outcome_result rc = OUTCOME_BAD_SPEC;
    const char *p;
    size_t cap = 1;

    if (strcmp(spec, "smppsim") == 0)
        spec = smppsim_table;
    for (p = spec; *p; p++)
        if (*p == ',' || *p == ' ')
            cap++;
    rules = xcalloc(1, sizeof *rules + cap * sizeof rules->r[0]);
    p = spec;
    for (;;) {
        size_t len, plen;
        const char *eq, *stat;
        const struct outcome *o;
        while (*p == ',' || *p == ' ')
            p++;
        if (!*p)
            break;
        if (*p == '+')
            p++;
        len = strcspn(p, ", ");
        eq = memchr(p, '=', len);
        plen = eq ? (size_t)(eq - p) : 0;
        stat = eq ? eq + 1 : NULL;
        if (!eq || plen == 0 || plen > MAX_PREFIX || strspn(p, "0123456789") < plen) {
            snprintf(err, errlen, "rule \"%.*s\": want <digits>=<STAT>", (int)len, p);
            goto out;
        }
        if (!(o = state_named(stat, len - plen - 1))) {
            snprintf(err, errlen,
                     "rule \"%.*s\": stat must be DELIVRD, EXPIRED, DELETED, UNDELIV, ACCEPTD, "
                     "UNKNOWN or REJECTD", (int)len, p);
            goto out;
        }
        memcpy(rules->r[rules->n].prefix, p, plen);
        rules->r[rules->n].o = o;
        rules->n++;
        p += len;
    }
    *out = rules;
    rules = NULL;
    rc = OUTCOME_OK;
out:
    free(rules);
    return rc;
}

void outcome_rules_free(struct outcome_rules *rules)
{
    free(rules);
}

const struct outcome *outcome_for(const struct outcome_rules *rules, const char *dst)
{
    const struct outcome *best = &states[0];
    size_t i, best_len = 0;

    if (*dst == '+')
        dst++;
    for (i = 0; rules && i < rules->n; i++) {
        size_t n = strlen(rules->r[i].prefix);
        if (n > best_len && strncmp(dst, rules->r[i].prefix, n) == 0) {
            best = rules->r[i].o;
            best_len = n;
        }
    }
    return best;
}
