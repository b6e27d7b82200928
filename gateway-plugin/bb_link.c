/*
 * bb_link — connect, identify, read and ack on bearerbox's smsbox port, the
 * same for every box of ours (see bb_link.h). No state; Kannel's
 * connect_to_bearerbox_real / read_from_bearerbox_real / write_to_bearerbox_real
 * under names that say what they answer.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "bb_link.h"

#include "gw/shared.h"

/* TCP_NODELAY: without it each box write waits ~40 ms for a delayed ACK.
 * TCP_QUICKACK so that bearerbox's next write (it runs Nagle on this
 * socket) does not wait for ours; Linux drops quick-ack mode by itself, so
 * it is re-armed after every read. */
static void tune_socket(Connection *conn, int nodelay)
{
    int fd = conn_get_id(conn), on = 1;
    if (nodelay)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
}

Connection *bb_link_open(const char *host, long port, const char *box_id)
{
    Octstr *h = octstr_create(host);
    Connection *conn = connect_to_bearerbox_real(h, (int)port, 0, NULL);
    octstr_destroy(h);
    if (conn == NULL)
        return NULL;
    tune_socket(conn, 1);
    Msg *id = msg_create(admin);
    id->admin.command = cmd_identify;
    id->admin.boxc_id = octstr_create(box_id);
    write_to_bearerbox_real(conn, id);   /* always consumes id */
    if (conn_flush(conn) == -1) {
        conn_destroy(conn);
        return NULL;
    }
    return conn;
}

enum bb_link_read bb_link_read(Connection *conn, Msg **msg, double timeout_s)
{
    Msg *m = NULL;
    int ret = read_from_bearerbox_real(conn, &m, timeout_s);   /* -1 lost, 0 read, 1 timeout */
    if (ret == -1)
        return BB_LINK_LOST;
    if (ret != 0 || m == NULL)
        return BB_LINK_NOTHING;
    tune_socket(conn, 0);
    *msg = m;
    return BB_LINK_MSG;
}

Msg *bb_link_ack(const Msg *sms, int status)
{
    Msg *ack_msg = msg_create(ack);
    ack_msg->ack.nack = status;
    ack_msg->ack.time = sms->sms.time;
    uuid_copy(ack_msg->ack.id, sms->sms.id);
    return ack_msg;
}
