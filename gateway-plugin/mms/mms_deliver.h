/*
 * mms_deliver — vaultmms's sender (issue 9, "Download"): the outbox's
 * delivery requests of channel STORE_CHANNEL_MMS (GET M3, the web's "send
 * to my phone" for an MMS) delivered as real MMS, by the deployment's path
 * ([mms] delivery):
 *
 *   mm7     one SubmitReq to the MMSC (mm7_client: one recipient, schema
 *           order, empty Expect:), the request's TransactionID the same on
 *           every try of it ("smsvault-o<outbox id>"). 1xxx: submitted,
 *           the MessageID kept (store_mm7_submitted) for the MMSC's
 *           DeliveryReportReq, which makes it delivered or failed
 *           (mm7_vasp). 3xxx, 4006, HTTP and transport errors: tried again
 *           after mm7_backoff_s([mms] retry_min doubling to retry_max),
 *           [mms] submit_attempts tries in all. 2xxx (and other 4xxx): failed.
 *   direct  a retrieval token (store_mms_retrieval_create), the
 *           m-notification-ind naming its URL in a WAP push (mms_direct),
 *           queued as binary SMS children on channel sms
 *           (store_outbox_handoff) that vaultbox sends through Kannel; the
 *           request is then submitted, and delivered when the handset has
 *           fetched and answered (mms_retrieve), all in one transaction.
 *
 * A request that fails for good tells the phone by SMS, in the account's
 * language, through the normal outbox (in the transaction that marks it
 * failed); an MMS deleted before it was sent is failed with the notice
 * that GET gives for any deleted item.
 *
 * Claims follow vaultbox's sender: this process start is one outbox
 * instance holding a lease on its own connection (store_outbox_hold,
 * renewed well within [mms] instance_grace); requests are claimed
 * (store_outbox_claim_requests: sending, claimed_by us) before anything
 * leaves, so that a vaultmms killed between claim and submit leaves them
 * to the next sweep (store_outbox_requeue_orphans, run by every instance)
 * — delivered at least once, never lost. What may double: a SubmitReq the
 * MMSC accepted just before the kill, whose answer was not recorded, is
 * sent again (same TransactionID; an MMSC that does not dedupe on it
 * delivers the MMS twice). The direct path commits its token and push
 * rows in one transaction with the claim's settlement: nothing doubles there
 * on our side.
 *
 * Test hook: SMSVAULT_TEST_DIE_AFTER_CLAIM=n kills the process (SIGKILL)
 * right after its n-th claimed request, before the request goes out.
 */
#ifndef SMSVAULT_MMS_DELIVER_H
#define SMSVAULT_MMS_DELIVER_H

#include <stdbool.h>
#include <stddef.h>

#include "mm7_conf.h"
#include "store.h"

struct mms_deliver_config {
    const struct mms_config *mms;
    const struct mmsc_config *mmscs;
    size_t nmmscs;
    const struct store_config *store;
    long die_after_claim;        /* the test hook; 0: off */
    /* called once per request settled by a try, after its commit: path
     * "mm7" or "direct", result "submitted", "retry", "failed" (may be NULL) */
    void (*count)(const char *path, const char *result);
    /* called when the sweep of a lease renewal settled n > 0 deliveries
     * that were accepted and had no report within [mms] report_wait (now
     * sent): path as above, the deployment's (may be NULL) */
    void (*count_unreported)(const char *path, long long n);
};

/* The MMSC that takes our SubmitReq: [mms] submit_mmsc when set, else the
 * first [mmsc.NAME] with a url. NULL: none. */
const struct mmsc_config *mms_deliver_mmsc(const struct mms_config *c, const struct mmsc_config *mmscs, size_t n);

/* Start the sender thread (cfg is borrowed for its life). */
void mms_deliver_start(const struct mms_deliver_config *cfg);
/* Stop it (clean: the lease is released, claimed requests go to the next sweep). */
void mms_deliver_stop(void);

#endif
