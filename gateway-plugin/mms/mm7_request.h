/*
 * mm7_request — one request an MMSC posts to us, read whole: the HTTP body
 * split by mm7_mime, its envelope read by mm7_soap, and for a DeliverReq
 * the multimedia message it carries, flattened into parts. Pure parsing
 * (no store, no network): this is what the fuzz harness drives. The rules
 * of what happens next are mm7_vasp's.
 */
#ifndef SMSVAULT_MM7_REQUEST_H
#define SMSVAULT_MM7_REQUEST_H

#include <stddef.h>

#include "mm7.h"
#include "mm7_mime.h"
#include "mm7_soap.h"

struct mm7_request {
    struct mm7_envelope env;
    struct mm7_part *parts;    /* DeliverReq: the MM's parts, in order */
    size_t nparts;
    size_t bytes;              /* their total size */
};

/*
 * Read body (len bytes, already within the caller's body cap) whose HTTP
 * Content-Type is content_type. On MM7_OK the envelope is read; for a
 * DeliverReq the parts are too (at least one). On any other result
 * out->env.transaction_id / ns / version are set when the envelope could be
 * read, for the fault's header. out must be cleaned up either way.
 */
/* Once per process, before any other call: GMime and libxml2. */
void mm7_request_init(void);

enum mm7_result mm7_request_parse(const char *content_type, const void *body, size_t len,
                                  const struct mm7_limits *lim, struct mm7_request *out);
void mm7_request_cleanup(struct mm7_request *r);

/* Hex SHA-256 over what the DeliverReq says and carries (sender, subject,
 * every part's type, Content-ID, name and bytes): a retry of one message
 * has the same, another message under a reused TransactionID has not. */
void mm7_request_digest(const struct mm7_request *r, char out[65]);

#endif
