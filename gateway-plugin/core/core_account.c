/*
 * core_account — the account commands of the SMS engine: HELP, REG and
 * LOGIN (which bind the sending phone to the account), PASS and LANG.
 * Called by the dispatcher in core.c with arity checked (core_int.h).
 *
 * Not here: password rules, hashing and login throttling (store/users.c:
 * per name tried, so that an unknown name is answered like an account);
 * which language a reply is in (core.c, see there).
 */
#include "core_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "refusals.h"

/* The commands, and where to forward a text to keep it (issue 8). */
enum core_result core_cmd_help(struct core_ctx *x)
{
    /* HELP C: what C<n> names (issue 10) */
    size_t len = x->args_len;
    while (len && (x->args[len - 1] == ' ' || x->args[len - 1] == '\t' || x->args[len - 1] == '\n'))
        len--;
    static const char *const about_c[] = { "C", "CONTACT", "CONTACTS", "联系人" };
    for (size_t i = 0; i < sizeof about_c / sizeof about_c[0]; i++)
        if (len == strlen(about_c[i]) && strncasecmp(x->args, about_c[i], len) == 0)
            return core_say(x, T_HELP_CONTACTS);
    const char *fwd = x->cfg->forward_shortcode;
    return fwd && fwd[0] ? core_say(x, T_HELP_FORWARD, fwd) : core_say(x, T_HELP);
}

static enum core_result bind_and_greet(struct core_ctx *x, const char *user_id, enum core_text_id ok,
                                       const char *username, const char *space)
{
    enum store_result r = store_phone_bind(x->s, x->mo->msisdn, user_id);
    if (r != STORE_OK)
        return core_from_store(x, "phone_bind", r);
    x->bound = true;
    snprintf(x->user_id, sizeof x->user_id, "%s", user_id);
    return space ? core_say(x, ok, username, space) : core_say(x, ok, username);
}

/* Patent step 1: register with user name and password from the phone. */
enum core_result core_cmd_reg(struct core_ctx *x)
{
    char id[STORE_ID_LEN], space[32];
    struct store_user u = { 0 };
    enum store_result r = store_user_create(x->s, x->argv[0], x->argv[1],
                                            x->lang == CORE_ZH ? "zh" : "en", id);
    switch (r) {
    case STORE_OK: break;
    case STORE_INVALID:
        return core_say(x, T_REG_INVALID, LIMIT_USERNAME_MIN, LIMIT_USERNAME_MAX, LIMIT_PASSWORD_MIN,
                        LIMIT_PASSWORD_MAX);
    case STORE_CONFLICT: return core_say(x, T_REG_TAKEN, x->argv[0]);
    case STORE_NO_SPACE: return core_say(x, T_REG_FULL);
    default: return core_from_store(x, "user_create", r);
    }
    r = store_user_get(x->s, id, &u);
    if (r != STORE_OK)
        return core_from_store(x, "user_get", r);
    core_text_bytes(u.allocated_bytes, space, sizeof space);
    enum core_result cr = bind_and_greet(x, id, T_REG_OK, u.username, space);
    store_user_cleanup(&u);
    return cr;
}

/* The store's wait as the phone shows it (issue 11, point 5): the real
 * wait rounded up — seconds under a minute, whole minutes from a minute on
 * (the store's waits end at 15 minutes). The same for every name tried,
 * account or not. */
static enum core_result say_throttled(struct core_ctx *x, int wait_s)
{
    refusals_count(REFUSAL_LOGIN_THROTTLED);
    if (wait_s < 1)
        wait_s = 1;
    if (wait_s < 60)
        return core_say(x, T_LOGIN_THROTTLED_S, wait_s);
    return core_say(x, T_LOGIN_THROTTLED_MIN, (wait_s + 59) / 60);
}

/* Patent step 1: the same name and password from a new (or lost) phone. */
enum core_result core_cmd_login(struct core_ctx *x)
{
    char id[STORE_ID_LEN];
    int wait_s = 0;
    enum store_result r = store_user_login(x->s, x->argv[0], x->argv[1], id, &wait_s);
    switch (r) {
    case STORE_OK: break;
    case STORE_DENIED:
    case STORE_INVALID:
    case STORE_NOT_FOUND: return core_say(x, T_LOGIN_DENIED);
    case STORE_THROTTLED: return say_throttled(x, wait_s);
    default: return core_from_store(x, "user_login", r);
    }
    /* the account's chosen language follows it to the new phone */
    struct store_user u = { 0 };
    if ((r = store_user_get(x->s, id, &u)) != STORE_OK)
        return core_from_store(x, "user_get", r);
    if (u.lang_chosen)
        x->lang = core_lang_of(u.lang);
    store_user_cleanup(&u);
    return bind_and_greet(x, id, T_LOGIN_OK, x->argv[0], NULL);
}

enum core_result core_cmd_pass(struct core_ctx *x)
{
    int wait_s = 0;
    enum store_result r = store_user_set_password(x->s, x->user_id, x->argv[0], x->argv[1], &wait_s);
    switch (r) {
    case STORE_OK: return core_say(x, T_PASS_OK);
    case STORE_DENIED: return core_say(x, T_PASS_DENIED);
    case STORE_INVALID: return core_say(x, T_PASS_INVALID, LIMIT_PASSWORD_MIN, LIMIT_PASSWORD_MAX);
    case STORE_THROTTLED: return say_throttled(x, wait_s);
    default: return core_from_store(x, "user_set_password", r);
    }
}

enum core_result core_cmd_lang(struct core_ctx *x)
{
    const char *w = x->argv[0];
    enum core_lang l;
    if (strcasecmp(w, "EN") == 0 || strcasecmp(w, "ENGLISH") == 0 || strcmp(w, "英文") == 0 ||
        strcmp(w, "英语") == 0)
        l = CORE_EN;
    else if (strcasecmp(w, "ZH") == 0 || strcasecmp(w, "CN") == 0 || strcmp(w, "中文") == 0)
        l = CORE_ZH;
    else
        return core_usage(x);
    enum store_result r = store_user_set_lang(x->s, x->user_id, l == CORE_ZH ? "zh" : "en");
    if (r != STORE_OK)
        return core_from_store(x, "user_set_lang", r);
    x->lang = l;
    return core_say(x, T_LANG_OK);
}
