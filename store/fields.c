/*
 * fields — the names of the fields of an SMS Backup & Restore file that the
 * store keeps as written (store.h, migration 011 names the source). A name
 * is the XML attribute and the column. They need no database, so that the
 * importers and exporters (web/) read and write them without libpq; the
 * SQL that uses them is in sms.c and mms.c.
 */
#include "store.h"

/* <sms> */
const char *const store_sms_fields[STORE_SMS_NFIELDS] = {
    [STORE_SMS_PROTOCOL] = "protocol", [STORE_SMS_SUBJECT] = "subject", [STORE_SMS_TOA] = "toa",
    [STORE_SMS_SC_TOA] = "sc_toa", [STORE_SMS_SERVICE_CENTER] = "service_center", [STORE_SMS_READ] = "read",
    [STORE_SMS_STATUS] = "status", [STORE_SMS_LOCKED] = "locked", [STORE_SMS_SUB_ID] = "sub_id",
    [STORE_SMS_READABLE_DATE] = "readable_date", [STORE_SMS_CONTACT_NAME] = "contact_name",
};

/* <mms> */
const char *const store_mms_fields[STORE_MMS_NFIELDS] = {
    [STORE_MMS_M_TYPE] = "m_type", [STORE_MMS_CT_T] = "ct_t", [STORE_MMS_CT_L] = "ct_l",
    [STORE_MMS_CT_CLS] = "ct_cls", [STORE_MMS_SUB_CS] = "sub_cs", [STORE_MMS_RETR_ST] = "retr_st",
    [STORE_MMS_D_TM] = "d_tm", [STORE_MMS_EXP] = "exp", [STORE_MMS_LOCKED] = "locked",
    [STORE_MMS_M_ID] = "m_id", [STORE_MMS_RETR_TXT] = "retr_txt", [STORE_MMS_READ] = "read",
    [STORE_MMS_RPT_A] = "rpt_a", [STORE_MMS_PRI] = "pri", [STORE_MMS_RESP_TXT] = "resp_txt",
    [STORE_MMS_D_RPT] = "d_rpt", [STORE_MMS_RR] = "rr", [STORE_MMS_READ_STATUS] = "read_status",
    [STORE_MMS_RESP_ST] = "resp_st", [STORE_MMS_ST] = "st", [STORE_MMS_RETR_TXT_CS] = "retr_txt_cs",
    [STORE_MMS_TR_ID] = "tr_id", [STORE_MMS_M_CLS] = "m_cls", [STORE_MMS_V] = "v", [STORE_MMS_M_SIZE] = "m_size",
    [STORE_MMS_TEXT_ONLY] = "text_only", [STORE_MMS_SEEN] = "seen", [STORE_MMS_READABLE_DATE] = "readable_date",
    [STORE_MMS_CONTACT_NAME] = "contact_name",
};
/* A part's (seq is kept in column xml_seq: seq is the part's place). */
const char *const store_part_fields[STORE_PART_NFIELDS] = {
    [STORE_PART_SEQ] = "seq", [STORE_PART_CHSET] = "chset", [STORE_PART_CD] = "cd", [STORE_PART_FN] = "fn",
    [STORE_PART_CTT_S] = "ctt_s", [STORE_PART_CTT_T] = "ctt_t",
};
