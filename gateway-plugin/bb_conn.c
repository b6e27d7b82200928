/*
 * bb_conn — vaultbox's one connection to bearerbox's smsbox port: connect and
 * identify with the box id (TCP_NODELAY), read every message and route it —
 * an MO to the worker of its sender, an MT ack (through the sender's table of
 * MT in flight) and a delivery report to the acker — and write, from any
 * thread, through bb_write. A lost connection is made again with back-off.
 * When bearerbox shuts down or restarts (cmd_shutdown, cmd_restart) the box
 * stays up: no more MT are written, what the workers and the acker hold is
 * acked, the connection is closed and made again once bearerbox is back
 * (with --exit-on-bearerbox-shutdown, cmd_shutdown stops the box instead).
 * Each connection has a generation number, so that an ack meant for one
 * connection is never written on the next: bearerbox would not know its
 * message, and re-sends it anyway.
 *
 * It runs nothing it reads (the workers, the acker and the sender do) and
 * keeps no message: bb_write consumes its Msg on every path. The wire
 * itself (connect and identify, socket options, one read, the ack Msg) is
 * bb_link's, which bench/echobox uses too.
 */
#include <stdatomic.h>
#include <stdio.h>

#include "vaultbox_int.h"

#include "bb_link.h"

#include "gw/sms.h"

#include "box_service.h"
#include "log.h"
#include "notify.h"

static Mutex *bb_lock;
static Connection *bb_conn;
static atomic_uint latest_gen;        /* of bb_conn, or of the last one: 0 before the first, +1 for each */
static atomic_bool mt_open;           /* MT may be written: connected, and bearerbox is not going away */

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

unsigned bb_mt_generation(void)
{
    return atomic_load(&mt_open) ? atomic_load(&latest_gen) : 0;
}

/*
 * Write msg to bearerbox if the connection is still generation conn_gen (0:
 * any) and, for an MT, bearerbox is not going away. Consumes msg on every
 * path (write_to_bearerbox_real always destroys it, and it is destroyed
 * here when not written). Returns true when written.
 */
bool bb_write(Msg *msg, unsigned conn_gen)
{
    bool ok = false;
    mutex_lock(bb_lock);
    if (bb_conn != NULL && (conn_gen == 0 || conn_gen == atomic_load(&latest_gen)) &&
        (msg_type(msg) != sms || atomic_load(&mt_open))) {
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
    bb_write(bb_link_ack(sms, status), conn_gen);
}

/* What a message from bearerbox means for the connection. */
enum bb_news {
    BB_CARRY_ON,
    BB_GOING_AWAY,   /* bearerbox shuts down or restarts: answer what is owed, close */
};

static enum bb_news dispatch(Msg *msg, unsigned conn_gen)
{
    enum bb_news news = BB_CARRY_ON;
    if (msg_type(msg) == sms && msg->sms.sms_type == mo) {
        box_count_mo_received();
        workers_submit(msg, conn_gen);
        return news;
    }
    if (msg_type(msg) == sms && msg->sms.sms_type == report_mo) {
        acker_dlr(msg, conn_gen);
        return news;
    }
    if (msg_type(msg) == ack) {
        char uuid[UUID_STR_LEN + 1];
        long long outbox_id;
        uuid_unparse(msg->ack.id, uuid);
        if (sender_acked(uuid, &outbox_id))   /* else not ours, or from a lost connection */
            acker_mt_ack(outbox_id, (int)msg->ack.nack, uuid);
    } else if (msg_type(msg) == admin && msg->admin.command == cmd_shutdown &&
               settings.exit_on_bearerbox_shutdown) {
        log_info("vaultbox: shutdown requested by bearerbox");
        program_status = shutting_down;
    } else if (msg_type(msg) == admin &&
               (msg->admin.command == cmd_shutdown || msg->admin.command == cmd_restart)) {
        log_info("vaultbox: bearerbox is %s; reconnecting once it is back",
                 msg->admin.command == cmd_restart ? "restarting" : "shutting down");
        news = BB_GOING_AWAY;
    }
    msg_destroy(msg);
    return news;
}

/* Closes bb_conn (bb_write writes nothing until the next one). */
static void close_conn(void)
{
    mutex_lock(bb_lock);
    atomic_store(&mt_open, false);
    conn_destroy(bb_conn);
    bb_conn = NULL;
    mutex_unlock(bb_lock);
    box_count_bearerbox(false);
}

/*
 * bearerbox told us it shuts down (or restarts): it refuses new MT from now
 * on, sends no more MO, and waits for us to close the connection before it
 * exits (Kannel's smsbox exits). We write no more MT, let the workers and the
 * acker ack what they hold — bearerbox drops those from its store — and
 * close, at most HANDOVER_MAX_S later: what is still unacked then, bearerbox
 * sends again once it is back, and store_mo_seen catches the MOs.
 */
#define HANDOVER_MAX_S 5.0

void bb_run(void)
{
    struct backoff b;
    double handover_until = -1;   /* >= 0: bearerbox is going away; close by then */
    backoff_init(&b, 0.2);
    while (!box_stopping()) {
        box_service_beat(bb_conn == NULL);
        if (bb_conn == NULL) {
            Connection *conn = bb_link_open(settings.box.bearerbox_host,
                                            (long)settings.box.bearerbox_port, settings.box.box_id);
            if (conn == NULL) {
                log_warn("vaultbox: bearerbox unavailable host=%s port=%lld retry_s=%.1f",
                         settings.box.bearerbox_host, settings.box.bearerbox_port, b.delay_s);
                backoff_wait(&b);
                continue;
            }
            mutex_lock(bb_lock);
            bb_conn = conn;
            atomic_fetch_add(&latest_gen, 1);
            atomic_store(&mt_open, true);
            mutex_unlock(bb_lock);
            backoff_reset(&b);
            box_count_bearerbox(true);
            log_info("vaultbox: connected box_id=%s bearerbox=%s:%lld", settings.box.box_id,
                     settings.box.bearerbox_host, settings.box.bearerbox_port);
            notify_sendf("READY=1\nSTATUS=connected to bearerbox %s:%lld as box %s",
                         settings.box.bearerbox_host, settings.box.bearerbox_port, settings.box.box_id);
            if (settings.ready_file) {
                FILE *f = fopen(settings.ready_file, "w");
                if (f)
                    fclose(f);
            }
        }
        if (handover_until >= 0) {
            size_t unacked = workers_unacked() + acker_unacked();
            if (unacked == 0 || box_monotonic_s() >= handover_until) {
                log_info("vaultbox: bearerbox connection closed for its shutdown unacked=%zu", unacked);
                notify_send("STATUS=bearerbox shut down, connecting again once it is back");
                close_conn();
                handover_until = -1;
                /* not at once: the bearerbox going away may still take a connection */
                backoff_wait(&b);
                continue;
            }
        }
        Msg *msg = NULL;
        enum bb_link_read got = bb_link_read(bb_conn, &msg, handover_until >= 0 ? 0.1 : 1.0);
        if (got == BB_LINK_LOST) {
            if (box_stopping())
                break;
            if (handover_until < 0)
                log_warn("vaultbox: bearerbox connection lost, reconnecting");
            else
                log_info("vaultbox: bearerbox closed the connection for its shutdown");
            notify_send("STATUS=bearerbox connection lost, reconnecting");
            close_conn();
            handover_until = -1;
            continue;
        }
        if (got == BB_LINK_MSG) {
            if (dispatch(msg, atomic_load(&latest_gen)) == BB_GOING_AWAY && handover_until < 0) {
                atomic_store(&mt_open, false);
                handover_until = box_monotonic_s() + HANDOVER_MAX_S;
            }
        }
    }
}
