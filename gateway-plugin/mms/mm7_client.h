/*
 * mm7_client — the MM7 client side of vaultmms (issue 9, "Download",
 * path 1): one SubmitReq to one MMSC on libcurl, and what its answer means
 * for the delivery — done (with the MMSC's MessageID, which its
 * DeliveryReportReq will name), retry later, or give up.
 *
 * One recipient per request (MMSCs may refuse several with 3003), the
 * envelope in the schema's order (mm7_emit_submit), the MM as a
 * multipart/related attachment (mm7_mime_build), SOAPAction "", HTTP Basic
 * when the MMSC has credentials, and no "Expect: 100-continue" — curl adds
 * it to POSTs over 1 MB and many MMSCs mishandle it. Redirects are not
 * followed, the answer is read up to a cap, and its status is taken from a
 * SubmitRsp or a Fault's detail whether the HTTP status is 200 or 500.
 *
 * It does not decide when to send nor keep state between calls: the
 * delivery mechanism (outbox requests of kind MMS) calls it, records the
 * MessageID (store_mm7_submitted) and schedules retries (mm7_backoff_s).
 */
#ifndef SMSVAULT_MM7_CLIENT_H
#define SMSVAULT_MM7_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "mm7.h"
#include "mm7_conf.h"
#include "mm7_mime.h"
#include "mm7_soap.h"

/* Once per process, before threads start (curl_global_init). */
void mm7_client_init(void);

/* One MMS for one phone. */
struct mm7_client_message {
    const char *transaction_id;  /* the submission's id: the same on every retry of it */
    const char *recipient;       /* the phone's number */
    const char *subject;         /* NULL: none */
    const char *linked_id;       /* the MO's LinkedID when this answers one; NULL */
    const struct mm7_part *parts;
    size_t nparts;               /* at least 1 */
    time_t now;                  /* TimeStamp (0: the clock) */
};

struct mm7_client_result {
    enum mm7_outcome outcome;
    int status;                  /* the MM7 status of the answer; 0: there was none */
    long http_status;            /* 0: no HTTP answer (connection refused, reset, timeout) */
    char *message_id;            /* MM7_DONE: the MMSC's MessageID (NULL if it gave none) */
    char reason[200];            /* one line for the log and the outbox's reason */
};
void mm7_client_result_cleanup(struct mm7_client_result *r);

/*
 * What an answer means. transport_ok false: no HTTP answer at all. env and
 * parsed: the answer's envelope as read (parsed != MM7_OK: it could not be).
 * A status wins over the HTTP status: 1xxx done; 2xxx and 4xxx (but 4006)
 * permanent; 3xxx and 4006 retry. Without one: HTTP 5xx, 408, 429, an
 * empty or unreadable 200 retry (a blank 200 is no proof of delivery);
 * other HTTP 4xx and 3xx (a wrong URL or credentials) are permanent.
 */
enum mm7_outcome mm7_client_classify(bool transport_ok, long http_status, enum mm7_result parsed,
                                     const struct mm7_envelope *env, int *status_out);

/* POST one SubmitReq to mmsc->url and classify the answer. Always fills out. */
void mm7_client_submit(const struct mmsc_config *mmsc, const struct mm7_client_message *msg,
                       struct mm7_client_result *out);

#endif
