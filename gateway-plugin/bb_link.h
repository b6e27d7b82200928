/*
 * bb_link — the wire side of a Kannel box's connection to bearerbox's smsbox
 * port, for every box of ours (vaultbox's bb_conn.c, bench/echobox): connect
 * and identify with a box id (admin cmd_identify, so that bearerbox routes to
 * the box through smsbox-route), TCP_NODELAY on our writes and TCP_QUICKACK
 * re-armed after each read, one read with a named answer, and the ack of an
 * MO or a delivery report.
 *
 * It keeps no state and no thread, and decides nothing: when to reconnect,
 * what a message means and who may write are the box's (bb_conn.c has the
 * lock, the generations and the hand-over).
 */
#ifndef SMSVAULT_BB_LINK_H
#define SMSVAULT_BB_LINK_H

#include "gwlib/gwlib.h"
#include "gw/msg.h"

/* A connection to host:port that has identified as box_id, or NULL when
 * bearerbox cannot be reached or the identify could not be written. */
Connection *bb_link_open(const char *host, long port, const char *box_id);

/* What bb_link_read found. */
enum bb_link_read {
    BB_LINK_MSG,       /* *msg is a message, the caller's */
    BB_LINK_NOTHING,   /* nothing within the timeout */
    BB_LINK_LOST,      /* the connection is closed or broken: destroy it */
};
/* Wait up to timeout_s for one message from bearerbox. */
enum bb_link_read bb_link_read(Connection *conn, Msg **msg, double timeout_s);

/* The ack of sms (an MO or a delivery report) with status (ack_success,
 * ack_failed, ...): a new Msg for the caller to write. */
Msg *bb_link_ack(const Msg *sms, int status);

#endif
