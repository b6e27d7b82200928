/*
 * rules — the store's rules that need no database: what a username and a
 * password may be (see store.h). They live apart from users.c so that the
 * web page can check a form before it asks the store, and the engine's
 * tests' fake store (tests/unit/fake_store.c) can apply the very same rules
 * without libpq. Not here: uniqueness of names and password hashing
 * (users.c, in the database's transaction).
 */
#include "store.h"

#include <string.h>

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

bool store_password_valid(const char *password)
{
    if (password == NULL)
        return false;
    size_t len = strnlen(password, LIMIT_PASSWORD_MAX + 1);
    return len >= LIMIT_PASSWORD_MIN && len <= LIMIT_PASSWORD_MAX;
}
