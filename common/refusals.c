/*
 * refusals — the per-process refusal counters (see refusals.h).
 */
#include "refusals.h"

#include <stdatomic.h>

#include "metrics.h"

static atomic_ullong counts[REFUSAL_COUNT];
static struct metric *metric;   /* smsvault_refusals_total{rule}, once declared */

/* NULL-terminated: the metric's label values */
static const char *const names[REFUSAL_COUNT + 1] = {
    [REFUSAL_LOGIN_THROTTLED] = "login_throttled",
    [REFUSAL_CODE_PREFIX] = "code_prefix",
    [REFUSAL_CODE_PAIR_LOCKED] = "code_pair_locked",
    [REFUSAL_CODE_PER_ACCOUNT] = "code_per_account",
    [REFUSAL_CODE_PER_NUMBER] = "code_per_number",
    [REFUSAL_CODE_PER_ADDRESS] = "code_per_address",
    [REFUSAL_CODE_BUDGET] = "code_budget",
    [REFUSAL_CODE_CONFIRM_LOCKED] = "code_confirm_locked",
    [REFUSAL_EXPORT_PER_USER] = "export_per_user",
    [REFUSAL_EXPORT_BUSY] = "export_busy",
};

void refusals_count(enum refusal r)
{
    if ((unsigned)r < REFUSAL_COUNT) {
        atomic_fetch_add_explicit(&counts[r], 1, memory_order_relaxed);
        metric_inc(metric, (size_t)r);
    }
}

void refusals_declare_metrics(struct metrics *reg)
{
    static const struct metric_label rule[] = { { "rule", names } };
    metric = metrics_counter(reg, "smsvault_refusals_total",
                             "Requests refused to protect users and others (issue 11), by the rule that "
                             "stopped them: logins of a throttled name, phone-linking codes not texted.",
                             rule, 1, 0);
}

unsigned long long refusals_get(enum refusal r)
{
    return (unsigned)r < REFUSAL_COUNT ? atomic_load_explicit(&counts[r], memory_order_relaxed) : 0;
}

const char *refusals_name(enum refusal r)
{
    return (unsigned)r < REFUSAL_COUNT && names[r] ? names[r] : "?";
}
