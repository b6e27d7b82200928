/*
 * bb_conn — vaultbox's one connection to bearerbox's smsbox port: connect and
 * identify with the box id (TCP_NODELAY), read every message and route it —
 * an MO to the worker of its sender, an MT ack (through the sender's table of
 * MT in flight) and a delivery report to the acker, bearerbox's shutdown to
 * the whole box — and write, from any thread, through bb_write. A lost
 * connection is made again with back-off. Each connection has a generation
 * number, so that an ack meant for one connection is never written on the
 * next: bearerbox would not know its message, and re-sends it anyway.
 *
 * It runs nothing it reads (the workers, the acker and the sender do) and
 * keeps no message: bb_write consumes its Msg on every path.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "vaultbox_int.h"

#include "gw/sms.h"

#include "log.h"

static Mutex *bb_lock;
static Connection *bb_conn;
static atomic_uint latest_gen;        /* of bb_conn, or of the last one: 0 before the first, +1 for each */

void bb_init(void)
{
    bb_lock = mutex_create();
}

void bb_cleanup(void)
{
    if (bb_conn)
        conn_destroy(bb_conn);
    bb_conn = NULL;
    mutex_destroy(bb_lock);
}

unsigned bb_generation(void)
{
    return atomic_load(&latest_gen);
}

/*
 * Write msg to bearerbox if the connection is still generation conn_gen (0: any).
 * Consumes msg on every path (write_to_bearerbox_real always destroys it,
 * and it is destroyed here when not written). Returns true when written.
 */
bool bb_write(Msg *msg, unsigned conn_gen)
{
    bool ok = false;
    mutex_lock(bb_lock);
    if (bb_conn != NULL && (conn_gen == 0 || conn_gen == atomic_load(&latest_gen))) {
        write_to_bearerbox_real(bb_conn, msg);
        msg = NULL;
        ok = conn_flush(bb_conn) != -1;
    }
    mutex_unlock(bb_lock);
    if (msg)
        msg_destroy(msg);
    return ok;
}

void bb_ack(const Msg *sms, int status, unsigned conn_gen)
{
    Msg *ack_msg = msg_create(ack);
    ack_msg->ack.nack = status;
    ack_msg->ack.time = sms->sms.time;
    uuid_copy(ack_msg->ack.id, sms->sms.id);
    bb_write(ack_msg, conn_gen);
}

/* TCP_NODELAY: without it each box write waits ~40 ms for a delayed ACK.
 * TCP_QUICKACK is re-armed after each read (Linux drops it by itself). */
static void tune_socket(Connection *conn, bool nodelay)
{
    int fd = conn_get_id(conn), on = 1;
    if (nodelay)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
}

static Connection *connect_and_identify(void)
{
    Octstr *host = octstr_create(settings.box.bearerbox_host);
    Connection *conn = connect_to_bearerbox_real(host, (int)settings.box.bearerbox_port, 0, NULL);
    octstr_destroy(host);
    if (conn == NULL)
        return NULL;
    tune_socket(conn, true);
    Msg *id = msg_create(admin);
    id->admin.command = cmd_identify;
    id->admin.boxc_id = octstr_create(settings.box.box_id);
    write_to_bearerbox_real(conn, id);   /* always consumes id */
    if (conn_flush(conn) == -1) {
        conn_destroy(conn);
        return NULL;
    }
    return conn;
}

static void dispatch(Msg *msg, unsigned conn_gen)
{
    if (msg_type(msg) == sms && msg->sms.sms_type == mo) {
        workers_submit(msg, conn_gen);
        return;
    }
    if (msg_type(msg) == sms && msg->sms.sms_type == report_mo) {
        acker_dlr(msg, conn_gen);
        return;
    }
    if (msg_type(msg) == ack) {
        char uuid[UUID_STR_LEN + 1];
        long long outbox_id;
        uuid_unparse(msg->ack.id, uuid);
        if (sender_acked(uuid, &outbox_id))   /* else not ours, or from a lost connection */
            acker_mt_ack(outbox_id, (int)msg->ack.nack, uuid);
    } else if (msg_type(msg) == admin && msg->admin.command == cmd_shutdown) {
        log_info("vaultbox: shutdown requested by bearerbox");
        program_status = shutting_down;
    }
    msg_destroy(msg);
}

void bb_run(void)
{
    struct backoff b;
    backoff_init(&b, 0.2);
    while (!box_stopping()) {
        if (bb_conn == NULL) {
            Connection *conn = connect_and_identify();
            if (conn == NULL) {
                log_warn("vaultbox: bearerbox unavailable host=%s port=%lld retry_s=%.1f",
                         settings.box.bearerbox_host, settings.box.bearerbox_port, b.delay_s);
                backoff_wait(&b);
                continue;
            }
            mutex_lock(bb_lock);
            bb_conn = conn;
            atomic_fetch_add(&latest_gen, 1);
            mutex_unlock(bb_lock);
            backoff_reset(&b);
            log_info("vaultbox: connected box_id=%s bearerbox=%s:%lld", settings.box.box_id,
                     settings.box.bearerbox_host, settings.box.bearerbox_port);
            if (settings.ready_file) {
                FILE *f = fopen(settings.ready_file, "w");
                if (f)
                    fclose(f);
            }
        }
        Msg *msg = NULL;
        int ret = read_from_bearerbox_real(bb_conn, &msg, 1.0);
        if (ret == -1) {
            if (box_stopping())
                break;
            log_warn("vaultbox: bearerbox connection lost, reconnecting");
            mutex_lock(bb_lock);
            conn_destroy(bb_conn);
            bb_conn = NULL;
            mutex_unlock(bb_lock);
            continue;
        }
        if (ret == 0 && msg != NULL) {
            tune_socket(bb_conn, false);
            dispatch(msg, atomic_load(&latest_gen));
        }
    }
}
