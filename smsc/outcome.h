/*
 * outcome — smscsim's deterministic delivery outcome by destination prefix
 * (the idea of SMPPSim's DeterministicLifeCycleManager): a rule list such as
 * "4479=UNDELIV,4478=EXPIRED,555=REJECTD" decides what the receipt of an MT
 * says, so a gateway's failed-delivery handling can be tested on purpose.
 * The longest matching prefix wins; a leading '+' is ignored on both sides;
 * a destination no rule matches is DELIVRD. The word "smppsim" stands for
 * SMPPSim's first-digit table (1 EXPIRED, 2 DELETED, 3 UNDELIV, 4 ACCEPTD,
 * 5 REJECTD).
 *
 * Pure: no sockets, no libsmpp34; it does not send receipts, smscsim does.
 */
#ifndef SMSVAULT_OUTCOME_H
#define SMSVAULT_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>

/* One final state: receipt "stat:" word, message_state TLV value (SMPP 3.4
 * 5.2.28), "err:" code, and whether the handset got the message. */
struct outcome {
    const char *stat;
    unsigned char message_state;
    int err;
    bool delivered;
};

struct outcome_rules;

enum outcome_result { OUTCOME_OK, OUTCOME_BAD_SPEC };

/* Parse spec (comma- or space-separated prefix=STAT; "" = no rules). On
 * OUTCOME_OK *out is a new rule list (outcome_rules_free); on
 * OUTCOME_BAD_SPEC err says which rule is wrong and *out is untouched. */
enum outcome_result outcome_rules_parse(const char *spec, struct outcome_rules **out, char *err,
                                        size_t errlen);
void outcome_rules_free(struct outcome_rules *rules);

/* The outcome for an MT to dst (rules may be NULL: always DELIVRD). */
const struct outcome *outcome_for(const struct outcome_rules *rules, const char *dst);

#endif
