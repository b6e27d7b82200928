/*
 * refusals — per-process counts of what smsvault refused in order to protect
 * its users and others (issue 11): logins of a throttled name,
 * phone-linking codes not texted, by the rule that stopped them, and
 * downloads beyond the ones that may run at once. One atomic
 * counter each, bumped where the refusal is answered (web/auth.c;
 * gateway-plugin/core/core_account.c for SMS LOGIN and PASS) and read
 * without a lock by whoever reports them: vaultweb's and vaultbox's
 * /metrics serve them as smsvault_refusals_total{rule=refusals_name()}
 * (refusals_declare_metrics). Counts start at 0 with the process and are not
 * stored; the decisions themselves are the store's and the web's, not here.
 */
#ifndef SMSVAULT_REFUSALS_H
#define SMSVAULT_REFUSALS_H

enum refusal {
    REFUSAL_LOGIN_THROTTLED = 0,  /* a login or password check of a throttled name */
    REFUSAL_CODE_PREFIX,          /* a code asked for a number outside [web] phone_prefixes */
    REFUSAL_CODE_PAIR_LOCKED,     /* a code asked for an (account, number) with five wrong tries */
    REFUSAL_CODE_PER_ACCOUNT,     /* the account's codes of the hour were used up */
    REFUSAL_CODE_PER_NUMBER,      /* the number's codes of the hour were used up */
    REFUSAL_CODE_PER_ADDRESS,     /* the client address's codes of the hour were used up */
    REFUSAL_CODE_BUDGET,          /* the hour's codes in all were used up */
    REFUSAL_CODE_CONFIRM_LOCKED,  /* a code typed for a locked (account, number) */
    REFUSAL_EXPORT_PER_USER,      /* a download while the account's [web] export_streams_per_user ran */
    REFUSAL_EXPORT_BUSY,          /* a download while [web] export_streams in all ran */
    REFUSAL_COUNT
};

void refusals_count(enum refusal r);
unsigned long long refusals_get(enum refusal r);
/* A metric label: "login_throttled", "code_prefix", ... ("?" out of range). */
const char *refusals_name(enum refusal r);

/* Count into smsvault_refusals_total{rule} of reg from now on too (NULL:
 * stop). Before the threads that refuse start. */
struct metrics;
void refusals_declare_metrics(struct metrics *reg);

#endif
