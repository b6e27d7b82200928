/*
 * text2pcap_hex — what the tshark tests' sample programs (mms_pdu_samples,
 * mms_direct_samples) share: packets written as text2pcap hex dumps (one
 * packet per offset run from 000000), for the *_tshark_test.sh scripts to
 * wrap into pcaps and decode with tshark's dissectors. Test code only.
 */
#ifndef SMSVAULT_TEXT2PCAP_HEX_H
#define SMSVAULT_TEXT2PCAP_HEX_H

#include <stddef.h>
#include <stdio.h>

/* Open DIR/NAME for writing; NULL on failure. */
FILE *t2p_open(const char *dir, const char *name);
/* One packet: prefix (plen bytes, may be 0) then data. */
void t2p_packet(FILE *f, const void *prefix, size_t plen, const unsigned char *data, size_t len);
/* Close; 0 or -1. */
int t2p_close(FILE *f);

/* DIR/NAME holding one packet: prefix (a C string, or NULL) then data. */
int t2p_dump(const char *dir, const char *name, const char *prefix, const unsigned char *data, size_t len);
/* DIR/NAME holding one HTTP message: start_line, Host, Content-Type
 * application/vnd.wap.mms-message and Content-Length, then the PDU. */
int t2p_http(const char *dir, const char *name, const char *start_line, const unsigned char *pdu, size_t len);

/* DIR/NAME holding data as one line of hex (what tshark prints for bytes). */
int t2p_hexfile(const char *dir, const char *name, const unsigned char *data, size_t len);

#endif
