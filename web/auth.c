/*
 * auth — accounts and sessions for the page (issue 5): register, log in,
 * log out, change password, who am I, and binding a phone by a one-time
 * code texted through the outbox.
 *
 * Sessions: the store makes 32 random bytes and keeps only their SHA-256;
 * the browser holds them in an HttpOnly, SameSite=Strict cookie (Secure when
 * served over TLS, ours or a trusted proxy's, or when the config says so).
 * Every login issues a new id and ends the one the browser came with.
 * Failed logins slow down per name tried in the store, accounts and unknown
 * names alike (shared with SMS LOGIN); unknown user and wrong password get
 * the same answer. Codes go only to numbers under [web] phone_prefixes and
 * within the store's hourly limits; each refusal is counted
 * (common/refusals.h). Passwords and codes are never logged. This file is
 * not the CSRF gate (server.c) and holds no SQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "http.h"
#include "items.h"
#include "json.h"
#include "lang.h"
#include "log.h"
#include "msisdn.h"
#include "refusals.h"
#include "routes.h"
#include "server.h"
#include "web_metrics.h"

/* migration 006 recognises codes queued before it by this text's start */
#define CODE_TEXT "smsvault code: %s (valid for a few minutes). Type it on the web page to link this phone."
#define THROTTLED_TEXT "Too many failed attempts with this name; wait and try again."
#define LOCKED_TEXT "Too many wrong codes for this number; wait and try again."

static void set_cookie(struct http_req *q, struct http_resp *r, const char *token)
{
    char *c = xasprintf("%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s", SERVER_COOKIE, token,
                        q->cfg->session_absolute_s, q->cfg->secure_cookie || q->secure ? "; Secure" : "");
    http_header(r, "Set-Cookie", c);
    free(c);
}

static void clear_cookie(struct http_req *q, struct http_resp *r)
{
    char *c = xasprintf("%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s", SERVER_COOKIE,
                        q->cfg->secure_cookie || q->secure ? "; Secure" : "");
    http_header(r, "Set-Cookie", c);
    free(c);
}

/* A 429 for a refusal with a wait, counted as why (common/refusals.h):
 * Retry-After, the table's code, message, the seconds in "retry_after" and
 * the limit in "refused" (its refusals_name). */
static void answer_wait(struct http_resp *r, enum refusal why, const char *message, int retry_after)
{
    refusals_count(why);
    char ra[24];
    if (retry_after < 1)
        retry_after = 1;
    snprintf(ra, sizeof ra, "%d", retry_after);
    http_header(r, "Retry-After", ra);
    /* refused: which limit, so that the page can say it in its own language */
    http_store_error_say(r, STORE_THROTTLED, message,
                         json_pack("{s:i, s:s}", "retry_after", retry_after, "refused", refusals_name(why)));
}

/* A fresh session (and cookie) for user_id in place of the one the request
 * carried, which ends. */
static enum store_result replace_session(struct http_req *q, struct http_resp *r, const char *user_id)
{
    char token[STORE_TOKEN_LEN];
    if (q->token[0])
        store_session_delete(q->store, q->token);
    enum store_result res = store_session_create(q->store, user_id, (int)q->cfg->session_idle_s,
                                                 (int)q->cfg->session_absolute_s, token);
    if (res == STORE_OK)
        set_cookie(q, r, token);
    return res;
}

static json_t *me_json(struct http_req *q, const char *user_id, enum store_result *res)
{
    struct store_user u = { 0 };
    char **phones = NULL;
    size_t nphones = 0;
    json_t *j = NULL, *usage = NULL;
    if ((*res = store_user_get(q->store, user_id, &u)) != STORE_OK)
        goto out;
    if ((*res = store_phone_list(q->store, user_id, &phones, &nphones)) != STORE_OK)
        goto out;
    if ((usage = items_usage_json(q->store, user_id, res)) == NULL)
        goto out;
    json_t *ph = json_array();
    for (size_t i = 0; i < nphones; i++)
        json_array_append_new(ph, json_string(phones[i]));
    /* The page checks file sizes against upload_max before sending them. */
    j = json_pack("{s:s, s:s, s:b, s:o, s:o, s:{s:I, s:I, s:I}}", "username", u.username, "lang", u.lang,
                  "lang_chosen", u.lang_chosen, "usage", usage, "phones", ph, "limits", "upload_max",
                  (json_int_t)q->cfg->upload_body_max, "mms_max", (json_int_t)LIMIT_MMS_MAX, "select_max",
                  (json_int_t)LIMIT_DELETE_MAX);
    usage = NULL;
out:
    json_decref(usage);
    store_strings_free(phones, nphones);
    store_user_cleanup(&u);
    return j;
}

/* After a successful register or login: a new session (cookie) for user id
 * and the account summary as the answer, with status; a store failure
 * answers instead. */
static void start_session(struct http_req *q, struct http_resp *r, const char *id, unsigned status)
{
    enum store_result res = replace_session(q, r, id);
    json_t *me = res == STORE_OK ? me_json(q, id, &res) : NULL;
    if (me == NULL)
        http_store_error(r, res);
    else
        http_json(r, status, me);
}

void auth_register(struct http_req *q, struct http_resp *r)
{
    char err[160], id[STORE_ID_LEN];
    const char *user, *pass, *lang;
    json_t *in = http_json_body(q, r);
    if (in == NULL)
        return;
    if (!json_field_str(in, "username", true, 64, &user, NULL, err, sizeof err) ||
        !json_field_str(in, "password", true, 1024, &pass, NULL, err, sizeof err) ||
        !json_field_str(in, "lang", false, 2, &lang, NULL, err, sizeof err)) {
        http_error(r, 400, "invalid", err);
        goto out;
    }
    if (!store_username_valid(user)) {
        http_errorf(r, 400, "invalid",
                    "A username is %d to %d letters, digits, '_', '.' or '-', starting with a letter or digit.",
                    LIMIT_USERNAME_MIN, LIMIT_USERNAME_MAX);
        goto out;
    }
    if (!store_password_valid(pass)) {
        http_errorf(r, 400, "invalid", "A password is %d to %d characters.", LIMIT_PASSWORD_MIN,
                    LIMIT_PASSWORD_MAX);
        goto out;
    }
    if (lang == NULL || (strcmp(lang, "en") != 0 && strcmp(lang, "zh") != 0))
        lang = "en";
    enum store_result res = store_user_create(q->store, user, pass, lang, id);
    if (res != STORE_OK) {
        http_store_error_say(r, res, res == STORE_CONFLICT ? "That username is taken; pick another." : NULL, NULL);
        goto out;
    }
    log_info("web: registered user=%s", id);
    start_session(q, r, id, 201);
out:
    json_decref(in);
}

void auth_login(struct http_req *q, struct http_resp *r)
{
    char err[160], id[STORE_ID_LEN];
    const char *user, *pass;
    int retry_after = 0;
    json_t *in = http_json_body(q, r);
    if (in == NULL)
        return;
    if (!json_field_str(in, "username", true, 256, &user, NULL, err, sizeof err) ||
        !json_field_str(in, "password", true, 1024, &pass, NULL, err, sizeof err)) {
        http_error(r, 400, "invalid", err);
        goto out;
    }
    /* unknown user, malformed name and wrong password are one STORE_DENIED;
     * any name is throttled alike, account or not (issue 11, point 1) */
    enum store_result res = store_user_login(q->store, user, pass, id, &retry_after);
    if (res == STORE_THROTTLED) {
        answer_wait(r, REFUSAL_LOGIN_THROTTLED, THROTTLED_TEXT, retry_after);
        log_info("web: login throttled retry_after=%d", retry_after);
        web_count_login_failure(true);
        goto out;
    }
    if (res != STORE_OK) {
        if (res == STORE_DENIED) {
            log_info("web: login denied");
            web_count_login_failure(false);
        }
        http_store_error(r, res);
        goto out;
    }
    log_info("web: login user=%s", id);
    start_session(q, r, id, 200);
out:
    json_decref(in);
}

void auth_logout(struct http_req *q, struct http_resp *r)
{
    enum store_result res = store_session_delete(q->store, q->token);
    if (res != STORE_OK && res != STORE_NOT_FOUND) {
        http_store_error(r, res);
        return;
    }
    clear_cookie(q, r);
    http_json(r, 200, json_pack("{s:b}", "ok", 1));
}

void auth_password(struct http_req *q, struct http_resp *r)
{
    char err[160];
    const char *old, *new;
    json_t *in = http_json_body(q, r);
    if (in == NULL)
        return;
    if (!json_field_str(in, "old", true, 1024, &old, NULL, err, sizeof err) ||
        !json_field_str(in, "new", true, 1024, &new, NULL, err, sizeof err)) {
        http_error(r, 400, "invalid", err);
        goto out;
    }
    if (!store_password_valid(new)) {
        http_errorf(r, 400, "invalid", "A password is %d to %d characters.", LIMIT_PASSWORD_MIN,
                    LIMIT_PASSWORD_MAX);
        goto out;
    }
    int retry_after = 0;
    enum store_result res = store_user_set_password(q->store, q->user_id, old, new, &retry_after);
    if (res == STORE_THROTTLED) {
        answer_wait(r, REFUSAL_LOGIN_THROTTLED, THROTTLED_TEXT, retry_after);
        goto out;
    }
    if (res != STORE_OK) {
        http_store_error_say(r, res, res == STORE_DENIED ? "The current password is wrong." : NULL, NULL);
        goto out;
    }
    /* The store ended every session of this user; this browser gets a new one. */
    q->token[0] = '\0';
    res = replace_session(q, r, q->user_id);
    if (res != STORE_OK) {
        http_store_error(r, res);
        goto out;
    }
    log_info("web: password changed user=%s", q->user_id);
    http_json(r, 200, json_pack("{s:b}", "ok", 1));
out:
    json_decref(in);
}

void auth_me(struct http_req *q, struct http_resp *r)
{
    enum store_result res;
    json_t *me = me_json(q, q->user_id, &res);
    if (me == NULL)
        http_store_error(r, res);
    else
        http_json(r, 200, me);
}

/* What the page needs before anyone logs in: its language, from the
 * browser's Accept-Language (lang.h; after login the page speaks the
 * account's, me's "lang"), and the limits its texts name (common/limit.h). */
void auth_page(struct http_req *q, struct http_resp *r)
{
    http_json(r, 200, json_pack("{s:s, s:{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}}", "lang",
                                lang_from_accept(http_header_in(q, "Accept-Language")), "limits", "username_min",
                                LIMIT_USERNAME_MIN, "username_max", LIMIT_USERNAME_MAX, "password_min",
                                LIMIT_PASSWORD_MIN, "password_max", LIMIT_PASSWORD_MAX, "phone_digits_min",
                                LIMIT_PHONE_DIGITS_MIN, "phone_digits_max", LIMIT_PHONE_DIGITS_MAX,
                                "contact_digits_min", LIMIT_CONTACT_DIGITS_MIN, "select_max", LIMIT_DELETE_MAX,
                                "send_max", LIMIT_SEND_MAX));
}

/* The language switch on the page is the account's LANG choice (issue 10):
 * the same as SMS "LANG EN|ZH", so the SMS replies follow it too. */
void auth_lang_set(struct http_req *q, struct http_resp *r)
{
    char err[160];
    const char *lang;
    json_t *in = http_json_body(q, r);
    if (in == NULL)
        return;
    if (!json_field_str(in, "lang", true, 2, &lang, NULL, err, sizeof err) ||
        (strcmp(lang, "en") != 0 && strcmp(lang, "zh") != 0)) {
        http_error(r, 400, "invalid", "lang is en or zh.");
        goto out;
    }
    enum store_result res = store_user_set_lang(q->store, q->user_id, lang);
    if (res != STORE_OK) {
        http_store_error(r, res);
        goto out;
    }
    log_info("web: lang user=%s lang=%s", q->user_id, lang);
    auth_me(q, r);
out:
    json_decref(in);
}

/* The "msisdn" field, a phone number (msisdn_is_phone); false after
 * answering 400. */
static bool read_msisdn(struct http_req *q, struct http_resp *r, json_t *in, const char **msisdn)
{
    char err[160];
    if (!json_field_str(in, "msisdn", true, LIMIT_PEER_MAX, msisdn, NULL, err, sizeof err)) {
        http_error(r, 400, "invalid", err);
        return false;
    }
    if (!msisdn_is_phone(*msisdn)) {
        http_errorf(r, 400, "invalid",
                    "A phone number is %d to %d digits; '+', spaces, '-', '.' and brackets may go between them.",
                    LIMIT_PHONE_DIGITS_MIN, LIMIT_PHONE_DIGITS_MAX);
        return false;
    }
    return true;
}

/* The refusal counted for each limit of store_phone_code_start. */
static const enum refusal code_refusal[] = {
    [STORE_CODE_PAIR_LOCKED] = REFUSAL_CODE_PAIR_LOCKED, [STORE_CODE_PER_ACCOUNT] = REFUSAL_CODE_PER_ACCOUNT,
    [STORE_CODE_PER_NUMBER] = REFUSAL_CODE_PER_NUMBER,   [STORE_CODE_PER_ADDRESS] = REFUSAL_CODE_PER_ADDRESS,
    [STORE_CODE_BUDGET] = REFUSAL_CODE_BUDGET,
};

/* Issue 11, point 2: every code is an SMS that costs and lands on a phone.
 * Only numbers under [web] phone_prefixes, and within the store's hourly
 * limits (per account, number, client address, in all). */
void auth_phone_start(struct http_req *q, struct http_resp *r)
{
    const char *msisdn;
    json_t *in = http_json_body(q, r);
    if (in == NULL)
        return;
    if (!read_msisdn(q, r, in, &msisdn))
        goto out;
    if (!msisdn_has_prefix(msisdn, q->cfg->phone_prefixes)) {
        refusals_count(REFUSAL_CODE_PREFIX);
        char *msg = xasprintf("Codes are texted only to numbers in international form starting with %s.",
                              q->cfg->phone_prefixes);
        http_store_error_say(r, STORE_INVALID, msg, json_pack("{s:s, s:s}", "refused",
                                                              refusals_name(REFUSAL_CODE_PREFIX), "prefixes",
                                                              q->cfg->phone_prefixes));
        free(msg);
        log_info("web: phone code refused user=%s limit=%s", q->user_id, refusals_name(REFUSAL_CODE_PREFIX));
        goto out;
    }
    const struct store_code_request rq = {
        .user_id = q->user_id, .msisdn = msisdn, .client = q->client,
        .text_template = CODE_TEXT, .ttl_s = (int)q->cfg->code_ttl_s,
        .limits = { (int)q->cfg->codes_per_account, (int)q->cfg->codes_per_number,
                    (int)q->cfg->codes_per_address, (int)q->cfg->codes_per_hour },
    };
    enum store_code_limit hit = STORE_CODE_BUDGET;
    int retry_after = 0;
    enum store_result res = store_phone_code_start(q->store, &rq, &hit, &retry_after);
    if (res == STORE_THROTTLED) {
        answer_wait(r, code_refusal[hit], hit == STORE_CODE_PAIR_LOCKED ? LOCKED_TEXT
                    : "Too many codes were asked for; wait and try again.", retry_after);
        log_info("web: phone code refused user=%s limit=%s retry_after=%d", q->user_id,
                 refusals_name(code_refusal[hit]), retry_after);
        goto out;
    }
    if (res != STORE_OK) {
        http_store_error(r, res);
        goto out;
    }
    log_info("web: phone code sent user=%s", q->user_id);
    web_count_mt(STORE_MT_CODE, 1);
    http_json(r, 202, json_pack("{s:b, s:I}", "ok", 1, "ttl", (json_int_t)q->cfg->code_ttl_s));
out:
    json_decref(in);
}

void auth_phone_confirm(struct http_req *q, struct http_resp *r)
{
    char err[160];
    const char *msisdn, *code;
    json_t *in = http_json_body(q, r);
    if (in == NULL)
        return;
    if (!read_msisdn(q, r, in, &msisdn))
        goto out;
    if (!json_field_str(in, "code", true, 16, &code, NULL, err, sizeof err)) {
        http_error(r, 400, "invalid", err);
        goto out;
    }
    int retry_after = 0;
    enum store_result res = store_phone_code_confirm(q->store, q->user_id, msisdn, code, &retry_after);
    if (res == STORE_THROTTLED) {
        answer_wait(r, REFUSAL_CODE_CONFIRM_LOCKED, LOCKED_TEXT, retry_after);
        goto out;
    }
    if (res != STORE_OK) {
        http_store_error_say(r, res, res == STORE_DENIED ? "Wrong or expired code; ask for a new one." : NULL,
                             NULL);
        goto out;
    }
    log_info("web: phone bound user=%s", q->user_id);
    auth_me(q, r);
out:
    json_decref(in);
}

void auth_phone_unbind(struct http_req *q, struct http_resp *r)
{
    const char *msisdn;
    json_t *in = http_json_body(q, r);
    if (in == NULL)
        return;
    if (!read_msisdn(q, r, in, &msisdn))
        goto out;
    /* another user's phone answers 404 and stays bound */
    enum store_result res = store_phone_unbind(q->store, q->user_id, msisdn);
    if (res != STORE_OK) {
        http_store_error(r, res);
        goto out;
    }
    auth_me(q, r);
out:
    json_decref(in);
}
