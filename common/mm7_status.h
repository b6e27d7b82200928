/*
 * mm7_status — the text of an MM7 status code (3GPP TS 23.140, the table of
 * MM7 status codes: "1000 Success", "4004 Validation error", ...), for the
 * StatusText and faultstring of what vaultmms and the MMSC simulator write.
 * One table for both, like the MMS encapsulation in mms_pdu: it is the
 * standard's list, not either side's behaviour.
 *
 * It does not say what a code means to the sender (retry or not: each side
 * decides) nor parse or write MM7.
 */
#ifndef SMSVAULT_MM7_STATUS_H
#define SMSVAULT_MM7_STATUS_H

/* The code's text; a code the table lacks gets its class's general text
 * (1xxx "Success", 2xxx "Client error", 3xxx "Server Error", 4xxx "General
 * service error"), any other "Unknown status". */
const char *mm7_status_text(int code);

#endif
