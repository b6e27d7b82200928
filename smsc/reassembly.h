/*
 * reassembly — smscsim's re-assembly of concatenated MT (UDH 8/16-bit
 * references or SAR TLVs) into one message for the handset, with expiry of
 * messages whose remaining parts never arrive, so that a lost part cannot
 * grow the simulator's memory forever.
 *
 * Pure bookkeeping: no sockets, no libsmpp34, no clock of its own (the
 * caller passes "now" in milliseconds), so tests/unit/smsc_parts_test.c
 * drives it directly. It does not decode text: the caller decodes the joined
 * user data once (a surrogate pair or GSM escape may straddle parts).
 */
#ifndef SMSVAULT_REASSEMBLY_H
#define SMSVAULT_REASSEMBLY_H

#include <stddef.h>
#include <stdint.h>

struct reassembly;

/* One received submit_sm's user data (borrowed). */
struct reassembly_part {
    const char *src, *dst;
    unsigned dc;                 /* data_coding */
    const unsigned char *udh;    /* with its length octet; may be NULL */
    size_t udhlen;
    unsigned ref;                /* caller keeps UDH and SAR references apart */
    int total, seq;              /* total <= 1: a single-part message */
    const unsigned char *data;   /* user data after the UDH */
    size_t len;
};

/* A finished message (owned by the caller: reassembly_msg_cleanup). The
 * data_coding and UDH are those of part 1. */
struct reassembly_msg {
    char src[24], dst[24];
    unsigned dc;
    unsigned char *udh;
    size_t udhlen;
    unsigned char *data;
    size_t len;
};

enum reassembly_result {
    REASSEMBLY_COMPLETE,  /* *out holds the whole message */
    REASSEMBLY_PENDING,   /* stored; more parts to come */
    REASSEMBLY_DUPLICATE, /* that part was already held: ignored */
};

/* Incomplete messages older than timeout_ms are dropped by _expire. */
struct reassembly *reassembly_new(int64_t timeout_ms);
void reassembly_free(struct reassembly *r);

/* Add one part received at now_ms. *out is written only on COMPLETE. */
enum reassembly_result reassembly_add(struct reassembly *r, int64_t now_ms,
                                      const struct reassembly_part *part,
                                      struct reassembly_msg *out);
void reassembly_msg_cleanup(struct reassembly_msg *m);

/* Drop every incomplete message whose first part came timeout_ms or more
 * before now_ms (logged at warn, without content). Returns how many. */
size_t reassembly_expire(struct reassembly *r, int64_t now_ms);

/* Incomplete messages held now. */
size_t reassembly_pending(const struct reassembly *r);

/* When the oldest incomplete message expires, or -1 if none is held. */
int64_t reassembly_next_expiry(const struct reassembly *r);

#endif
