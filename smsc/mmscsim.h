/*
 * mmscsim.h — what the files of the mmscsim executable share; private to
 * it. mmscsim.c is the program (settings, the three HTTP servers, the
 * control endpoint, the message store); mmsc_mm1.c the handsets' side
 * (m-send-req in, m-retrieve-conf out, acknowledgements, the WAP push
 * through smscsim); mmsc_mm7.c the VASP's SubmitReq; mmsc_vasp.c the
 * queue of requests to the VASP (DeliverReq, DeliveryReportReq) with its
 * retries.
 *
 * All shared state is one struct mmsc under one mutex; HTTP handlers run on
 * libmicrohttpd's per-connection threads, the VASP queue on its own thread.
 */
#ifndef SMSVAULT_MMSCSIM_H
#define SMSVAULT_MMSCSIM_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mm7_emit.h"
#include "mms_pdu.h"

struct mmsc_settings {
    int mm1_port, mm7_port, control_port;
    const char *host;            /* in the URLs handed out (loopback) */
    const char *vasp_url;        /* where DeliverReq and DeliveryReportReq go */
    const char *vasp_user, *vasp_password;   /* Basic auth towards the VASP, or NULL */
    const char *short_codes;     /* comma-separated: recipients that are the VASP */
    const char *mm7_user, *mm7_password;     /* Basic auth the VASP must give, or NULL */
    const char *smsc_control;    /* smscsim control HOST:PORT for WAP pushes */
    const char *push_sender;     /* source address of the pushes */
    long retry_ms, retry_max_ms; /* first retry delay, doubling up to this */
    int max_attempts;
    long vasp_timeout_ms;
    long long max_message;       /* MM size an MMSC accepts (SubmitReq 2004 / m-send-conf) */
    long expiry_s;               /* X-Mms-Expiry of notifications */
};

/* Fault knobs (control endpoint /fault), all off by default. */
struct mmsc_faults {
    int status;            /* answer SubmitReq with this MM7 status */
    int http;              /* HTTP status of the answer (a fault: 500 unless set) */
    bool empty;            /* HTTP 200 with an empty body */
    long delay_ms;         /* hold each answer this long (a timeout for the VASP) */
    long slow_bps;         /* trickle each answer body at this many bytes/s */
    long count;            /* the answer faults apply to this many SubmitReq; -1: all */
    bool dup;              /* post each DeliverReq twice with the same TransactionID */
    long long pad;         /* add a part of this many bytes to each DeliverReq */
    bool down;             /* MM7 port closed and nothing posted to the VASP */
    char dlr_status[32];   /* MMStatus of delivery reports */
};

/* An MM for a handset: stored until fetched (MM1 retrieval URL). */
struct mmsc_msg {
    unsigned id;
    char message_id[40], token[40], tid[40];
    char from[96], to[64];        /* sender address; recipient MSISDN (digits) */
    struct mms_pdu mm;            /* subject and parts */
    bool from_vasp, want_report, fetched, retrieved, reported;
    struct mmsc_msg *next;
};

enum mmsc_job_kind { JOB_DELIVER, JOB_REPORT };

/* One POST to the VASP, kept until answered or given up. */
struct mmsc_job {
    enum mmsc_job_kind kind;
    char tid[64];
    struct mm7_http http;
    int attempts;
    int64_t due_ms;
    struct mmsc_job *next;
};

struct mmsc {
    struct mmsc_settings cfg;
    enum mm7_dialect dialect;
    pthread_mutex_t lock;
    pthread_cond_t wake;        /* the VASP queue: a job, a knob, or stopping */
    struct mmsc_faults fault;
    struct mmsc_msg *msgs;
    size_t nmsgs;
    unsigned next_id;
    struct mmsc_job *jobs;
    size_t njobs;
    bool stopping;
    pthread_mutex_t daemon_lock; /* the MM7 daemon goes down and up */
    struct MHD_Daemon *mm1, *mm7, *ctl;
    struct {
        unsigned long long mm1_send_req, mm1_send_refused, mm1_retrieve, mm1_retrieve_unknown,
            mm1_notifyresp, mm1_ack, pushes, push_failed, mm7_requests, mm7_submit_ok,
            mm7_faults, mm7_auth_fail, deliver_attempts, deliver_ok, deliver_retries,
            deliver_failed, deliver_dups, report_attempts, report_ok, report_retries,
            report_failed;
    } stats;
};

extern struct mmsc mmsc;

int64_t mmsc_now_ms(void);

/* ---- mmscsim.c: HTTP request bodies and answers --------------------------- */

/* A request being read (libmicrohttpd calls the handler once per chunk). */
struct mmsc_req {
    unsigned char *body;
    size_t len, cap;
    bool too_big;
};

/* Collect the body; returns true once it is complete (then handle it). */
bool mmsc_collect(struct mmsc_req **ctx, void **con_cls, const char *upload, size_t *upload_len,
                  size_t cap);
/* Answer with bytes (copied) and a Content-Type (NULL: none). */
enum MHD_Result mmsc_answer(struct MHD_Connection *c, unsigned status, const char *ctype,
                            const void *body, size_t len);

/* A new message in the store (lock held by the caller); its id, message
 * id, token and tid are set. Consumes nothing; mm is zeroed for the caller
 * to fill. */
struct mmsc_msg *mmsc_msg_new(void);
bool mmsc_is_short_code(const char *number);
/* "+86.../TYPE=PLMN" -> "86..." */
void mmsc_msisdn(const char *address, char *out, size_t cap);

/* ---- mmsc_mm1.c ---------------------------------------------------------- */

enum MHD_Result mmsc_mm1_handler(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_len, void **con_cls);
/* What a notification needs of a message, copied under the lock so that
 * the push itself runs without it. */
struct mmsc_notice {
    unsigned id;
    char tid[40], from[96], to[64], token[40];
    char subject[256];
    bool has_subject;
    uint64_t size;
};
void mmsc_notice_of(const struct mmsc_msg *m, struct mmsc_notice *n);
/* Notify the handset (WAP push through smscsim); lock NOT held. True when
 * smscsim took the push (counted in stats.pushes, else push_failed). */
bool mmsc_push(const struct mmsc_notice *n);

/* ---- mmsc_mm7.c ---------------------------------------------------------- */

enum MHD_Result mmsc_mm7_handler(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_len, void **con_cls);

/* ---- mmsc_vasp.c --------------------------------------------------------- */

/* Queue a DeliverReq for an MM a handset sent to a short code (lock held). */
void mmsc_vasp_deliver(const char *sender, const char *short_code, const struct mms_pdu *mm);
/* Queue a DeliveryReportReq for msg (lock held). */
void mmsc_vasp_report(const struct mmsc_msg *msg, const char *mm_status);
/* The queue's thread. */
void *mmsc_vasp_main(void *arg);

#endif
