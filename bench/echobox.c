/*
 * echobox — the smallest useful Kannel box, for end-to-end tests and
 * benchmarks: it connects to bearerbox's smsbox port, identifies with a box
 * id (admin cmd_identify, so bearerbox routes to it through smsbox-route),
 * answers every MO with its own text (MT mt_reply to the sender, same coding
 * and UDH), and acks each MO after the reply is written. Delivery reports are
 * counted and acked. No database, no command parsing: it is the baseline a
 * real box (vaultbox) is compared with in scripts/bench.sh.
 *
 * Logs `echobox: event key=value` through Kannel's logger; every second in
 * which something changed it logs one `echobox: counters ...` line.
 *
 * The bearerbox connection (connect, identify, socket options, read, ack) is
 * gateway-plugin's bb_link, vaultbox's own: the baseline measures the same
 * wire code. echobox is a Kannel box like vaultbox, so it may use
 * gateway-plugin's Kannel side, and nothing else of ours.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gwlib/gwlib.h"
#include "gw/msg.h"
#include "gw/shared.h"

#include "bb_link.h"

static struct {
    char *host;
    int port;
    char *box_id;
    long dlr_mask;
} opt = { "127.0.0.1", 13001, "echobox", 3 };

static unsigned long n_mo, n_mt_acked, n_mt_failed, n_dlr, n_other;

static void on_signal(int sig)
{
    (void)sig;
    program_status = shutting_down;
}

static void send_ack(Connection *conn, Msg *msg, int status)
{
    write_to_bearerbox_real(conn, bb_link_ack(msg, status));   /* consumes the ack */
}

/* The echo: same text, coding and UDH back to the sender (consumes nothing). */
static void echo(Connection *conn, Msg *mo)
{
    Msg *mt = msg_create(sms);

    mt->sms.sms_type = mt_reply;
    mt->sms.sender = octstr_duplicate(mo->sms.receiver);
    mt->sms.receiver = octstr_duplicate(mo->sms.sender);
    mt->sms.msgdata = mo->sms.msgdata ? octstr_duplicate(mo->sms.msgdata) : octstr_create("");
    mt->sms.udhdata = mo->sms.udhdata ? octstr_duplicate(mo->sms.udhdata) : NULL;
    mt->sms.coding = mo->sms.coding;
    mt->sms.smsc_id = mo->sms.smsc_id ? octstr_duplicate(mo->sms.smsc_id) : NULL;
    mt->sms.boxc_id = octstr_create(opt.box_id);
    mt->sms.time = time(NULL);
    if (opt.dlr_mask > 0) {
        mt->sms.dlr_mask = opt.dlr_mask;
        mt->sms.dlr_url = octstr_create("echobox");
    }
    write_to_bearerbox_real(conn, mt);
}

static void handle(Connection *conn, Msg *msg)
{
    if (msg_type(msg) == sms && msg->sms.sms_type == mo) {
        n_mo++;
        echo(conn, msg);
        send_ack(conn, msg, ack_success); /* after the reply is written */
    } else if (msg_type(msg) == sms && msg->sms.sms_type == report_mo) {
        n_dlr++;
        debug("echobox", 0, "echobox: dlr received mask=%ld", msg->sms.dlr_mask);
        send_ack(conn, msg, ack_success);
    } else if (msg_type(msg) == ack) {
        if (msg->ack.nack == ack_success || msg->ack.nack == ack_buffered)
            n_mt_acked++;
        else
            n_mt_failed++;
    } else if (msg_type(msg) == admin && msg->admin.command == cmd_shutdown) {
        info(0, "echobox: shutdown requested by bearerbox");
        program_status = shutting_down;
    } else {
        n_other++;
    }
    conn_flush(conn);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: echobox [--host H] [--port SMSBOX_PORT] [--box-id ID] [--dlr-mask N]\n"
               "               [--log-level debug|info|warning|error]\n");
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "host", required_argument, NULL, 'H' },  { "port", required_argument, NULL, 'p' },
        { "box-id", required_argument, NULL, 'i' }, { "dlr-mask", required_argument, NULL, 'd' },
        { "log-level", required_argument, NULL, 'l' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int o, level = GW_INFO, backoff = 1;
    unsigned long last_sum = 0;
    time_t last_report = 0;
    Connection *conn = NULL;

    while ((o = getopt_long(argc, argv, "H:p:i:d:l:h", lo, NULL)) != -1) {
        switch (o) {
        case 'H': opt.host = optarg; break;
        case 'p': opt.port = atoi(optarg); break;
        case 'i': opt.box_id = optarg; break;
        case 'd': opt.dlr_mask = atol(optarg); break;
        case 'l':
            level = strcmp(optarg, "debug") == 0 ? GW_DEBUG : strcmp(optarg, "info") == 0 ? GW_INFO
                    : strcmp(optarg, "warning") == 0 ? GW_WARNING : GW_ERROR;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    gwlib_init();
    log_set_output_level(level);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);

    while (program_status != shutting_down) {
        Msg *msg = NULL;
        enum bb_link_read got;
        time_t now;

        if (conn == NULL) {
            conn = bb_link_open(opt.host, opt.port, opt.box_id);
            if (conn == NULL) {
                /* bearerbox not up yet or gone: back off, up to 5 s */
                warning(0, "echobox: connect failed retry_s=%d", backoff);
                gwthread_sleep(backoff);
                backoff = backoff < 5 ? backoff + 1 : 5;
                continue;
            }
            backoff = 1;
            info(0, "echobox: identified box_id=%s bearerbox=%s:%d", opt.box_id, opt.host, opt.port);
        }
        got = bb_link_read(conn, &msg, 1.0);
        if (got == BB_LINK_LOST) {
            if (program_status == shutting_down)
                break;
            warning(0, "echobox: bearerbox connection lost, reconnecting");
            conn_destroy(conn);
            conn = NULL;
            continue;
        }
        if (got == BB_LINK_MSG) {
            handle(conn, msg);
            msg_destroy(msg);
        }
        now = time(NULL);
        if (now != last_report && n_mo + n_mt_acked + n_dlr + n_mt_failed != last_sum) {
            last_sum = n_mo + n_mt_acked + n_dlr + n_mt_failed;
            last_report = now;
            info(0, "echobox: counters mo=%lu mt_acked=%lu mt_failed=%lu dlr=%lu other=%lu", n_mo,
                 n_mt_acked, n_mt_failed, n_dlr, n_other);
        }
    }
    info(0, "echobox: counters mo=%lu mt_acked=%lu mt_failed=%lu dlr=%lu other=%lu", n_mo,
         n_mt_acked, n_mt_failed, n_dlr, n_other);
    info(0, "echobox: stopped");
    if (conn)
        conn_destroy(conn);
    gwlib_shutdown();
    return 0;
}
