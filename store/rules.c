/*
 * rules — the store's rules that need no database: what a username and a
 * password may be, when two names are one (the fold), and how much the
 * space grows for an upload (see store.h). They live apart from users.c and space.c so that the web page
 * can check a form before it asks the store, and the engine's tests' fake
 * store (tests/unit/fake_store.c) can apply the very same rules without
 * libpq. Not here: uniqueness of names and password hashing (users.c),
 * locking, charging and recording growth (space.c) — all in the
 * database's transaction.
 */
#include "store.h"

#include <string.h>

#include "alloc.h"

static bool ascii_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool store_username_valid(const char *username)
{
    if (username == NULL)
        return false;
    size_t len = strnlen(username, LIMIT_USERNAME_MAX + 1);
    if (len < LIMIT_USERNAME_MIN || len > LIMIT_USERNAME_MAX || !ascii_alnum(username[0]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!ascii_alnum(username[i]) && username[i] != '_' && username[i] != '.' && username[i] != '-')
            return false;
    return true;
}

char *store_username_fold(const char *name)
{
    char *f = xstrdup(name);
    for (char *c = f; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    return f;
}

bool store_password_valid(const char *password)
{
    if (password == NULL)
        return false;
    size_t len = strnlen(password, LIMIT_PASSWORD_MAX + 1);
    return len >= LIMIT_PASSWORD_MIN && len <= LIMIT_PASSWORD_MAX;
}

static long long min_ll(long long a, long long b) { return a < b ? a : b; }
static long long max_ll(long long a, long long b) { return a > b ? a : b; }

/* patent step 2: space grows by 10 MiB (step) when under 1 MiB (threshold)
 * would be left after storing — by more when the upload needs it — within
 * the per-user cap */
long long store_space_wanted(const struct store_space_rule *rule, long long allocated, long long used,
                             long long size)
{
    if (allocated - used - size >= rule->threshold)
        return 0;
    long long need = used + size + rule->threshold - allocated;   /* leaves threshold free */
    return max_ll(0, min_ll(max_ll(rule->step, need), rule->user_cap - allocated));
}

/* ... and within the server capacity that is left */
bool store_space_grant(const struct store_space_rule *rule, long long allocated, long long used, long long size,
                       long long capacity_left, long long *allocation_out)
{
    long long grow = min_ll(store_space_wanted(rule, allocated, used, size), max_ll(0, capacity_left));
    *allocation_out = allocated + grow;
    return used + size <= allocated + grow;
}
