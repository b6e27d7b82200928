/*
 * phonesim.h — what the files of the phonesim executable share; private to
 * it. phonesim.c is the program (options, the one-shot exchange: drain,
 * send, collect replies until they stop); phone_ctl.c the smscsim control
 * connection; phone_load.c the load generator; phone_vcard.c business
 * cards on port 9204; phone_mms.c MMS over MM1 (HTTP) and WAP push.
 */
#ifndef SMSVAULT_PHONESIM_H
#define SMSVAULT_PHONESIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct opts {
    char host[64];
    int port;
    const char *from, *to, *text, *template_text, *bin_udh, *bin_data;
    const char *vcard_file, *ucs2_hex, *mmsc, *subject, *save_dir;
    const char *const *mms_files;
    int nmms;
    bool vcard_ref16, mms, hex, load;
    int expect;                /* 0: until the replies stop */
    long timeout_ms;           /* wait for the first reply */
    long quiet_ms;             /* after a reply, wait this long for another */
    long deadline_ms;          /* the whole exchange, at most */
    int phones, inflight;
    double rate, duration;
    unsigned long long from_base;
};

extern struct opts o;

int64_t phone_now_us(void);

/* ---- phone_ctl.c: one control connection ---------------------------------- */

struct ctl {
    int fd;
    char buf[1 << 16];
    size_t len;
};

/* Connect to smscsim's control port (o.host:o.port): true when connected. */
bool ctl_open(struct ctl *c);
/* Write all of s[0..n): true when written, false when the connection failed. */
bool ctl_write(struct ctl *c, const char *s, size_t n);
/* One line without its newline (malloc'd), or NULL on EOF. */
char *ctl_read_line(struct ctl *c);
/* A request line (with "\n") and its one answer line (malloc'd), or NULL. */
char *ctl_request(struct ctl *c, const char *line);
/* Send a text MO; 0 when smscsim accepted it. */
int ctl_send_mo(struct ctl *c, const char *from, const char *to, const char *text);
/* WAIT for the next MT to msisdn: the MT line, "TIMEOUT", or NULL. */
char *ctl_wait_mt(struct ctl *c, const char *msisdn, long timeout_ms);

/* ---- phone_load.c ------------------------------------------------------------ */

int phone_load(void);

/* ---- phone_vcard.c ----------------------------------------------------------- */

/* Send the .vcf file as a Smart Messaging binary MO to port 9204. */
int phone_vcard_send(struct ctl *c);
/* Print a port-9204 MT (already re-assembled by smscsim) as a vCard. */
void phone_vcard_print(FILE *out, const char *src, const unsigned char *data, size_t len);

/* ---- phone_mms.c ------------------------------------------------------------- */

/* Send o.mms_files as an m-send-req to o.mmsc; 0 on m-send-conf Ok. */
int phone_mms_send(void);
/* A WAP push to port 2948: decode the m-notification-ind, fetch, print
 * and save the MMS, answer m-notifyresp-ind. 0 when the MMS was fetched. */
int phone_mms_push(const char *src, const unsigned char *data, size_t len);

#endif
