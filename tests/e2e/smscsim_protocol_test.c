/*
 * smscsim_protocol_test — CUnit suite that speaks raw SMPP 3.4 over TCP to a
 * real smscsim (no Kannel) and reads the handset side through its control
 * port. Each test starts its own smscsim on free loopback ports with a
 * config file in a temp dir, and stops it by PID (it must exit 0: ASan would
 * report leaks there); its log is printed when a test failed.
 *
 * PDUs are packed with libsmpp34 where it can (submit_sm, TLVs, unpacking
 * deliver_sm) and by hand where it cannot (a bind with interface_version
 * 0x50, an unknown command id). Some tests run phonesim against the same
 * smscsim, the test playing bearerbox and the box (how replies are
 * collected, business cards, raw UCS-2). It is not a load test: see bench/.
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>

#include "simcodec.h"
#include "smsudh.h"

#ifndef SMSCSIM_PATH
#error "SMSCSIM_PATH (the smscsim binary) must be defined by the build"
#endif
#ifndef PHONESIM_PATH
#error "PHONESIM_PATH (the phonesim binary) must be defined by the build"
#endif

#define SYSID "smsvault"
#define PASSWORD "secret"
#define RESP_TIMEOUT_MS 300
#define RETRY_DELAY_MS 50
#define REASM_TIMEOUT_MS 500

/* ---- the simulator under test ------------------------------------------ */

static struct {
    pid_t pid;
    int smpp_port, ctl_port;
    char dir[64], log[96];
} sim = { -1, 0, 0, "", "" };

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int free_port(void)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &al) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static int tcp_connect(int port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Read one '\n'-terminated line (without it) within timeout_ms. */
static int read_line(int fd, char *out, size_t cap, int timeout_ms)
{
    size_t n = 0;
    int64_t deadline = now_ms() + timeout_ms;

    while (n + 1 < cap) {
        struct pollfd p = { fd, POLLIN, 0 };
        int64_t left = deadline - now_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return -1;
        if (read(fd, out + n, 1) != 1)
            return -1;
        if (out[n] == '\n') {
            out[n] = '\0';
            return 0;
        }
        n++;
    }
    return -1;
}

/* One control-port request, one answer line (empty on failure). */
static void ctl(char *ans, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void ctl(char *ans, size_t cap, const char *fmt, ...)
{
    char line[4096];
    va_list ap;
    int fd = tcp_connect(sim.ctl_port), n;

    ans[0] = '\0';
    va_start(ap, fmt);
    n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    line[n++] = '\n';
    if (fd < 0)
        return;
    if (write(fd, line, (size_t)n) == n && read_line(fd, ans, cap, 10000) != 0)
        ans[0] = '\0';
    close(fd);
}

/* A counter from STATS, or -1. */
static long long stat_of(const char *key)
{
    char ans[2048], pat[64];
    const char *p;

    ctl(ans, sizeof ans, "STATS");
    snprintf(pat, sizeof pat, " %s=", key);
    p = strstr(ans, pat);
    return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

/* Start smscsim with extra [smscsim] lines; 0 once its control port answers. */
static int sim_start(const char *extra)
{
    char conf[128], ans[64];
    FILE *f;
    int64_t deadline;

    snprintf(sim.dir, sizeof sim.dir, "/tmp/smscsim-test.XXXXXX");
    if (!mkdtemp(sim.dir))
        return -1;
    snprintf(conf, sizeof conf, "%s/smsvault.conf", sim.dir);
    snprintf(sim.log, sizeof sim.log, "%s/smscsim.log", sim.dir);
    sim.smpp_port = free_port();
    do
        sim.ctl_port = free_port();
    while (sim.ctl_port == sim.smpp_port);
    f = fopen(conf, "w");
    if (!f)
        return -1;
    fprintf(f,
            "[smscsim]\nsmpp_port = %d\ncontrol_port = %d\nsystem_id = " SYSID "\n"
            "password = " PASSWORD "\nresp_timeout_ms = %d\nretry_delay_ms = %d\n"
            "reassembly_timeout_ms = %d\nlog_level = debug\n%s",
            sim.smpp_port, sim.ctl_port, RESP_TIMEOUT_MS, RETRY_DELAY_MS, REASM_TIMEOUT_MS,
            extra ? extra : "");
    fclose(f);
    sim.pid = fork();
    if (sim.pid < 0)
        return -1;
    if (sim.pid == 0) {
        FILE *lf = freopen(sim.log, "w", stderr);
        if (!lf || dup2(fileno(stderr), STDOUT_FILENO) < 0)
            _exit(126);
        execl(SMSCSIM_PATH, "smscsim", "--config", conf, (char *)NULL);
        _exit(127);
    }
    for (deadline = now_ms() + 15000; now_ms() < deadline;) {
        int st;
        ctl(ans, sizeof ans, "PING");
        if (strcmp(ans, "PONG") == 0)
            return 0;
        if (waitpid(sim.pid, &st, WNOHANG) == sim.pid) {
            sim.pid = -1;
            return -1;
        }
        usleep(20000);
    }
    kill(sim.pid, SIGKILL);
    waitpid(sim.pid, NULL, 0);
    sim.pid = -1;
    return -1;
}

static void print_log(void)
{
    char line[1024];
    FILE *f = fopen(sim.log, "r");
    fprintf(stderr, "===== %s\n", sim.log);
    while (f && fgets(line, sizeof line, f))
        fputs(line, stderr);
    if (f)
        fclose(f);
}

/* Stop smscsim by its PID; it must exit 0 and its log must hold no ERROR. */
static void sim_stop(unsigned failures_before)
{
    int st = -1, i;
    bool clean_log = true;
    char line[1024], path[128];
    FILE *f;

    if (sim.pid > 0) {
        kill(sim.pid, SIGTERM);
        for (i = 0; i < 500 && waitpid(sim.pid, &st, WNOHANG) == 0; i++)
            usleep(10000);
        if (i == 500) {
            kill(sim.pid, SIGKILL);
            waitpid(sim.pid, &st, 0);
        }
        CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    sim.pid = -1;
    f = fopen(sim.log, "r");
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "ERROR") || strstr(line, "AddressSanitizer"))
            clean_log = false;
    if (f)
        fclose(f);
    CU_ASSERT_TRUE(clean_log);
    if (CU_get_number_of_failures() != failures_before) {
        print_log();
        return; /* keep the temp dir */
    }
    unlink(sim.log);
    snprintf(path, sizeof path, "%s/smsvault.conf", sim.dir);
    unlink(path);
    rmdir(sim.dir);
}

#define SIM_START(extra)                                             \
    unsigned failures_ = CU_get_number_of_failures();                \
    if (sim_start(extra) != 0)                                       \
        print_log();                                                 \
    CU_ASSERT_EQUAL_FATAL(sim.pid > 0 && sim.ctl_port > 0, 1)
#define SIM_STOP() sim_stop(failures_)

/* ---- a raw SMPP client ---------------------------------------------------- */

#define MAXPDU 4096
#define QUEUE 64

struct cli {
    int fd;
    uint32_t seq;
    /* deliver_sm that arrived while we waited for something else */
    unsigned char *queued[QUEUE];
    size_t qlen[QUEUE], nq;
};

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void cli_open(struct cli *c)
{
    memset(c, 0, sizeof *c);
    c->seq = 1;
    c->fd = tcp_connect(sim.smpp_port);
    CU_ASSERT_FATAL(c->fd >= 0);
}

static void cli_close(struct cli *c)
{
    size_t i;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    for (i = 0; i < c->nq; i++)
        free(c->queued[i]);
    c->nq = 0;
}

static int read_full(int fd, unsigned char *p, size_t n, int64_t deadline)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd pf = { fd, POLLIN, 0 };
        int64_t left = deadline - now_ms();
        ssize_t r;
        if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
            return -1; /* timeout */
        r = read(fd, p + got, n - got);
        if (r <= 0)
            return 0; /* closed */
        got += (size_t)r;
    }
    return 1;
}

/* Next PDU off the wire into buf: its length, 0 on EOF, -1 on timeout. */
static int recv_pdu(struct cli *c, unsigned char *buf, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    int r = read_full(c->fd, buf, 4, deadline);
    uint32_t len;

    if (r <= 0)
        return r;
    len = get_u32(buf);
    CU_ASSERT_FATAL(len >= 16 && len <= MAXPDU);
    r = read_full(c->fd, buf + 4, len - 4, deadline);
    return r <= 0 ? r : (int)len;
}

static void send_bytes(struct cli *c, const unsigned char *p, size_t n)
{
    CU_ASSERT_EQUAL_FATAL(write(c->fd, p, n), (ssize_t)n);
}

/* Wait for command cmd with sequence seq (any seq if 0); deliver_sm seen
 * meanwhile are queued for cli_deliver. Returns its length, or <= 0. */
static int cli_expect(struct cli *c, uint32_t cmd, uint32_t seq, unsigned char *buf,
                      int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int left = (int)(deadline - now_ms()), n;
        if (left <= 0)
            return -1;
        n = recv_pdu(c, buf, left);
        if (n <= 0)
            return n;
        if (get_u32(buf + 4) == cmd && (seq == 0 || get_u32(buf + 12) == seq))
            return n;
        if (get_u32(buf + 4) == DELIVER_SM && c->nq < QUEUE) {
            c->queued[c->nq] = malloc((size_t)n);
            memcpy(c->queued[c->nq], buf, (size_t)n);
            c->qlen[c->nq++] = (size_t)n;
        }
    }
}

/* Next deliver_sm (queued first) into buf: its length, or <= 0. */
static int cli_deliver(struct cli *c, unsigned char *buf, int timeout_ms)
{
    if (c->nq > 0) {
        int n = (int)c->qlen[0];
        memcpy(buf, c->queued[0], c->qlen[0]);
        free(c->queued[0]);
        memmove(c->queued, c->queued + 1, (c->nq - 1) * sizeof c->queued[0]);
        memmove(c->qlen, c->qlen + 1, (c->nq - 1) * sizeof c->qlen[0]);
        c->nq--;
        return n;
    }
    return cli_expect(c, DELIVER_SM, 0, buf, timeout_ms);
}

static void send_header(struct cli *c, uint32_t cmd, uint32_t status, uint32_t seq)
{
    unsigned char h[16];
    put_u32(h, 16);
    put_u32(h + 4, cmd);
    put_u32(h + 8, status);
    put_u32(h + 12, seq);
    send_bytes(c, h, sizeof h);
}

/* Hand-packed bind (libsmpp34 refuses interface_version != 0x34); returns
 * the resp's command_status, and its system_id into sysid_out if given. */
static uint32_t cli_bind(struct cli *c, uint32_t cmd, const char *sysid, const char *pw,
                         unsigned version, char *sysid_out, size_t cap)
{
    unsigned char b[256], r[MAXPDU];
    size_t o = 16;
    uint32_t seq = c->seq++;
    int n;

    memcpy(b + o, sysid, strlen(sysid) + 1), o += strlen(sysid) + 1;
    memcpy(b + o, pw, strlen(pw) + 1), o += strlen(pw) + 1;
    b[o++] = 0;           /* system_type "" */
    b[o++] = (unsigned char)version;
    b[o++] = 0;           /* addr_ton */
    b[o++] = 0;           /* addr_npi */
    b[o++] = 0;           /* address_range "" */
    put_u32(b, (uint32_t)o);
    put_u32(b + 4, cmd);
    put_u32(b + 8, 0);
    put_u32(b + 12, seq);
    send_bytes(c, b, o);
    n = cli_expect(c, cmd | 0x80000000u, seq, r, 5000);
    CU_ASSERT_FATAL(n >= 16);
    if (sysid_out) {
        snprintf(sysid_out, cap, "%.*s", n > 16 ? (int)strnlen((char *)r + 16, (size_t)n - 16) : 0,
                 (char *)r + 16);
    }
    return get_u32(r + 8);
}

static void cli_bind_ok(struct cli *c)
{
    CU_ASSERT_EQUAL_FATAL(cli_bind(c, BIND_TRANSCEIVER, SYSID, PASSWORD, 0x34, NULL, 0), ESME_ROK);
}

struct submit {
    const char *src, *dst;
    unsigned esm_class, dc, rd;
    const unsigned char *sm;
    size_t smlen;
    int sar_ref, sar_total, sar_seq; /* sar_total 0: no SAR TLVs */
};

static void add_tlv(submit_sm_t *s, uint16_t tag, uint16_t len, unsigned v)
{
    tlv_t t;
    memset(&t, 0, sizeof t);
    t.tag = tag;
    t.length = len;
    if (len == 1)
        t.value.val08 = (uint8_t)v;
    else
        t.value.val16 = (uint16_t)v;
    build_tlv(&s->tlv, &t);
}

/* Send a submit_sm; returns its sequence number. */
static uint32_t cli_submit_send(struct cli *c, const struct submit *m)
{
    submit_sm_t *s = calloc(1, sizeof *s);
    unsigned char b[MAXPDU];
    int n = 0, rc;

    s->command_id = SUBMIT_SM;
    s->sequence_number = c->seq++;
    s->source_addr_ton = TON_Alphanumeric;
    s->source_addr_npi = NPI_Unknown;
    snprintf((char *)s->source_addr, sizeof s->source_addr, "%s", m->src);
    s->dest_addr_ton = TON_International;
    s->dest_addr_npi = NPI_ISDN_E163_E164;
    snprintf((char *)s->destination_addr, sizeof s->destination_addr, "%s", m->dst);
    s->esm_class = (uint8_t)m->esm_class;
    s->data_coding = (uint8_t)m->dc;
    s->registered_delivery = (uint8_t)m->rd;
    s->sm_length = (uint8_t)m->smlen;
    memcpy(s->short_message, m->sm, m->smlen);
    if (m->sar_total) {
        add_tlv(s, TLVID_sar_msg_ref_num, 2, (unsigned)m->sar_ref);
        add_tlv(s, TLVID_sar_total_segments, 1, (unsigned)m->sar_total);
        add_tlv(s, TLVID_sar_segment_seqnum, 1, (unsigned)m->sar_seq);
    }
    rc = smpp34_pack2(b, sizeof b, &n, s);
    destroy_tlv(s->tlv);
    uint32_t seq = s->sequence_number;
    free(s);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    send_bytes(c, b, (size_t)n);
    return seq;
}

/* Submit and wait for the resp: its command_status; message_id copied out. */
static uint32_t cli_submit(struct cli *c, const struct submit *m, char *msgid, size_t cap)
{
    unsigned char r[MAXPDU];
    uint32_t seq = cli_submit_send(c, m);
    int n = cli_expect(c, SUBMIT_SM_RESP, seq, r, 5000);

    CU_ASSERT_FATAL(n >= 16);
    if (msgid)
        snprintf(msgid, cap, "%.*s", n > 16 ? (int)strnlen((char *)r + 16, (size_t)n - 16) : 0,
                 (char *)r + 16);
    return get_u32(r + 8);
}

static void text_submit(struct submit *m, const char *src, const char *dst, const char *text,
                        unsigned rd)
{
    memset(m, 0, sizeof *m);
    m->src = src;
    m->dst = dst;
    m->rd = rd;
    m->sm = (const unsigned char *)text;
    m->smlen = strlen(text);
}

/* A received deliver_sm, unpacked. */
struct dlv {
    uint32_t seq;
    unsigned esm_class, dc;
    unsigned char sm[256];
    size_t smlen;
    char src[21], dst[21];
    char text[256];
    char receipted_id[66];
    int message_state; /* -1: no TLV */
};

static void unpack_deliver(const unsigned char *buf, int n, struct dlv *out)
{
    deliver_sm_t d;
    tlv_t *t;

    memset(&d, 0, sizeof d);
    memset(out, 0, sizeof *out);
    out->message_state = -1;
    CU_ASSERT_EQUAL_FATAL(smpp34_unpack(DELIVER_SM, &d, buf, n), 0);
    out->seq = d.sequence_number;
    out->esm_class = d.esm_class;
    out->dc = d.data_coding;
    memcpy(out->sm, d.short_message, d.sm_length);
    out->smlen = d.sm_length;
    snprintf(out->src, sizeof out->src, "%s", (char *)d.source_addr);
    snprintf(out->dst, sizeof out->dst, "%s", (char *)d.destination_addr);
    memcpy(out->text, d.short_message, d.sm_length);
    out->text[d.sm_length] = '\0';
    for (t = d.tlv; t; t = t->next) {
        if (t->tag == TLVID_receipted_message_id)
            snprintf(out->receipted_id, sizeof out->receipted_id, "%.*s", (int)t->length,
                     (char *)t->value.octet);
        else if (t->tag == TLVID_message_state)
            out->message_state = t->value.val08;
    }
    destroy_tlv(d.tlv);
}

static void send_deliver_resp(struct cli *c, uint32_t seq, uint32_t status)
{
    unsigned char r[17];
    put_u32(r, 17);
    put_u32(r + 4, DELIVER_SM_RESP);
    put_u32(r + 8, status);
    put_u32(r + 12, seq);
    r[16] = 0; /* message_id "" */
    send_bytes(c, r, sizeof r);
}

/* Next deliver_sm, unpacked, and answered with status (unless answer is false). */
static int next_deliver(struct cli *c, struct dlv *d, int timeout_ms, bool answer,
                        uint32_t status)
{
    unsigned char b[MAXPDU];
    int n = cli_deliver(c, b, timeout_ms);
    if (n < 16)
        return -1;
    unpack_deliver(b, n, d);
    if (answer)
        send_deliver_resp(c, d->seq, status);
    return 0;
}

/* The handset's next MT line through the control port's WAIT. */
static void wait_mt(char *ans, size_t cap, const char *msisdn, int timeout_ms)
{
    ctl(ans, cap, "WAIT %s %d", msisdn, timeout_ms);
}

static void expect_text_mt(const char *src, const char *dst, const char *text)
{
    char ans[2048], want[2048], hex[1024];
    simcodec_hex((const unsigned char *)text, strlen(text), hex);
    snprintf(want, sizeof want, "MT %s %s TEXT %s", src, dst, hex);
    wait_mt(ans, sizeof ans, dst, 5000);
    CU_ASSERT_STRING_EQUAL(ans, want);
}

/* One MO of text from 447700900001 to 10659, queued at the SMSC for the
 * bound ESME; the control port says OK. */
static void queue_mo(const char *text)
{
    char ans[256], hex[256];
    simcodec_hex((const unsigned char *)text, strlen(text), hex);
    ctl(ans, sizeof ans, "MO 447700900001 10659 %s", hex);
    CU_ASSERT_EQUAL(strncmp(ans, "OK ", 3), 0);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_bind(void)
{
    struct cli a, b;
    char sysid[32];

    SIM_START(NULL);
    cli_open(&a);
    CU_ASSERT_EQUAL(cli_bind(&a, BIND_TRANSCEIVER, SYSID, "wrong", 0x34, NULL, 0), ESME_RINVPASWD);
    CU_ASSERT_EQUAL(cli_bind(&a, BIND_TRANSCEIVER, "nobody", PASSWORD, 0x34, NULL, 0),
                    ESME_RINVSYSID);
    CU_ASSERT_EQUAL(cli_bind(&a, BIND_TRANSCEIVER, SYSID, PASSWORD, 0x50, NULL, 0),
                    ESME_RBINDFAIL);
    CU_ASSERT_EQUAL(stat_of("bound"), 0);
    CU_ASSERT_EQUAL(cli_bind(&a, BIND_TRANSCEIVER, SYSID, PASSWORD, 0x34, sysid, sizeof sysid),
                    ESME_ROK);
    CU_ASSERT_STRING_EQUAL(sysid, "smscsim");
    CU_ASSERT_EQUAL(cli_bind(&a, BIND_TRANSMITTER, SYSID, PASSWORD, 0x34, NULL, 0), ESME_RALYBND);
    /* a second bind at the same time, on its own connection */
    cli_open(&b);
    CU_ASSERT_EQUAL(cli_bind(&b, BIND_RECEIVER, SYSID, PASSWORD, 0x34, NULL, 0), ESME_ROK);
    CU_ASSERT_EQUAL(stat_of("bound"), 2);
    CU_ASSERT_EQUAL(stat_of("binds"), 2);
    CU_ASSERT_EQUAL(stat_of("bind_fail"), 4);
    cli_close(&a);
    cli_close(&b);
    SIM_STOP();
}

static void test_link_commands(void)
{
    struct cli c;
    struct submit m;
    unsigned char r[MAXPDU];

    SIM_START(NULL);
    cli_open(&c);
    text_submit(&m, "10659", "4412345", "too early", 0);
    CU_ASSERT_EQUAL(cli_submit(&c, &m, NULL, 0), ESME_RINVBNDSTS);
    send_header(&c, ENQUIRE_LINK, 0, 77);
    CU_ASSERT_EQUAL(cli_expect(&c, ENQUIRE_LINK_RESP, 77, r, 5000), 16);
    CU_ASSERT_EQUAL(get_u32(r + 8), ESME_ROK);
    send_header(&c, 0x00000111, 0, 78); /* no such command */
    CU_ASSERT_EQUAL(cli_expect(&c, GENERIC_NACK, 78, r, 5000), 16);
    CU_ASSERT_EQUAL(get_u32(r + 8), ESME_RINVCMDID);
    cli_bind_ok(&c);
    send_header(&c, UNBIND, 0, 79);
    CU_ASSERT_EQUAL(cli_expect(&c, UNBIND_RESP, 79, r, 5000), 16);
    CU_ASSERT_EQUAL(get_u32(r + 8), ESME_ROK);
    /* SMPP 3.4 §2.2, §4.2: the ESME that unbound closes the connection; the
     * SMSC keeps it open until then (a timeout, not EOF) and still answers */
    CU_ASSERT_EQUAL(recv_pdu(&c, r, 300), -1);
    send_header(&c, ENQUIRE_LINK, 0, 80);
    CU_ASSERT_EQUAL(cli_expect(&c, ENQUIRE_LINK_RESP, 80, r, 5000), 16);
    /* ... but the session is over: no submit, no second bind on it */
    CU_ASSERT_EQUAL(cli_submit(&c, &m, NULL, 0), ESME_RINVBNDSTS);
    CU_ASSERT_EQUAL(cli_bind(&c, BIND_TRANSCEIVER, SYSID, PASSWORD, 0x34, NULL, 0), ESME_RINVBNDSTS);
    CU_ASSERT_EQUAL(stat_of("bound"), 0);
    cli_close(&c);
    SIM_STOP();
}

/* What bearerbox does on a graceful shutdown: it unbinds while a deliver_sm
 * is in flight and answers it after our unbind_resp, then closes. The MO is
 * delivered once: the answer counts, nothing is sent again on the next
 * bind. Without the answer (closed first) it is sent again: at least once. */
static void test_resp_after_unbind(void)
{
    struct cli c;
    struct dlv d, again;
    unsigned char r[MAXPDU];

    SIM_START(NULL);
    cli_open(&c);
    cli_bind_ok(&c);
    queue_mo("SAVE once");
    CU_ASSERT_EQUAL_FATAL(next_deliver(&c, &d, 5000, false, 0), 0);
    send_header(&c, UNBIND, 0, 90);
    CU_ASSERT_EQUAL(cli_expect(&c, UNBIND_RESP, 90, r, 5000), 16);
    send_deliver_resp(&c, d.seq, ESME_ROK);
    send_header(&c, ENQUIRE_LINK, 0, 91);   /* read in order: the resp was read first */
    CU_ASSERT_EQUAL(cli_expect(&c, ENQUIRE_LINK_RESP, 91, r, 5000), 16);
    CU_ASSERT_EQUAL(stat_of("mo_parts_acked"), 1);
    cli_close(&c);
    cli_open(&c);
    cli_bind_ok(&c);
    CU_ASSERT_EQUAL(next_deliver(&c, &again, RESP_TIMEOUT_MS * 3, false, 0), -1);
    CU_ASSERT_EQUAL(stat_of("inflight"), 0);
    /* the same without the answer: closed after the unbind, sent again */
    queue_mo("SAVE once");
    CU_ASSERT_EQUAL_FATAL(next_deliver(&c, &d, 5000, false, 0), 0);
    send_header(&c, UNBIND, 0, 92);
    CU_ASSERT_EQUAL(cli_expect(&c, UNBIND_RESP, 92, r, 5000), 16);
    cli_close(&c);
    cli_open(&c);
    cli_bind_ok(&c);
    CU_ASSERT_EQUAL_FATAL(next_deliver(&c, &again, 5000, true, ESME_ROK), 0);
    CU_ASSERT_STRING_EQUAL(again.text, "SAVE once");
    cli_close(&c);
    SIM_STOP();
}

static void test_submit_receipt(void)
{
    struct cli c;
    struct submit m;
    struct dlv d;
    char id[80], want[100];

    SIM_START(NULL);
    cli_open(&c);
    cli_bind_ok(&c);
    text_submit(&m, "10659", "4412345", "hello handset", 1);
    CU_ASSERT_EQUAL(cli_submit(&c, &m, id, sizeof id), ESME_ROK);
    CU_ASSERT_TRUE(id[0] != '\0');
    CU_ASSERT_EQUAL_FATAL(next_deliver(&c, &d, 5000, true, ESME_ROK), 0);
    CU_ASSERT_EQUAL(d.esm_class, 0x04);
    CU_ASSERT_STRING_EQUAL(d.src, "4412345");
    CU_ASSERT_STRING_EQUAL(d.dst, "10659");
    snprintf(want, sizeof want, "id:%s ", id);
    CU_ASSERT_PTR_NOT_NULL(strstr(d.text, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(d.text, "stat:DELIVRD"));
    CU_ASSERT_PTR_NOT_NULL(strstr(d.text, "text:hello handset"));
    CU_ASSERT_STRING_EQUAL(d.receipted_id, id);
    CU_ASSERT_EQUAL(d.message_state, 2);
    expect_text_mt("10659", "4412345", "hello handset");
    /* a second submit gets a different id */
    text_submit(&m, "10659", "4412345", "again", 0);
    CU_ASSERT_EQUAL(cli_submit(&c, &m, want, sizeof want), ESME_ROK);
    CU_ASSERT_STRING_NOT_EQUAL(want, id);
    expect_text_mt("10659", "4412345", "again");
    CU_ASSERT_EQUAL(stat_of("receipts_acked"), 1);
    CU_ASSERT_EQUAL(stat_of("receipts_sent"), 1); /* registered_delivery=0: none */
    cli_close(&c);
    SIM_STOP();
}

static void test_concat(void)
{
    struct cli c;
    struct submit m;
    char ans[256];
    static const unsigned char u1[] = { 0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01, 'H', 'e', 'l', 'l', 'o', ' ' };
    static const unsigned char u2[] = { 0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x02, 'U', 'D', 'H', '1', '6' };

    SIM_START(NULL);
    cli_open(&c);
    cli_bind_ok(&c);
    /* SAR TLVs, parts out of order */
    text_submit(&m, "10659", "4400001", "world", 0);
    m.sar_ref = 0xBEEF, m.sar_total = 2, m.sar_seq = 2;
    CU_ASSERT_EQUAL(cli_submit(&c, &m, NULL, 0), ESME_ROK);
    wait_mt(ans, sizeof ans, "4400001", 0);
    CU_ASSERT_STRING_EQUAL(ans, "TIMEOUT"); /* half a message is not delivered */
    CU_ASSERT_EQUAL(stat_of("mt_pending"), 1);
    text_submit(&m, "10659", "4400001", "Hello ", 0);
    m.sar_ref = 0xBEEF, m.sar_total = 2, m.sar_seq = 1;
    CU_ASSERT_EQUAL(cli_submit(&c, &m, NULL, 0), ESME_ROK);
    expect_text_mt("10659", "4400001", "Hello world");
    /* 16-bit reference UDH */
    memset(&m, 0, sizeof m);
    m.src = "10659", m.dst = "4400002", m.esm_class = 0x40;
    m.sm = u1, m.smlen = sizeof u1;
    CU_ASSERT_EQUAL(cli_submit(&c, &m, NULL, 0), ESME_ROK);
    m.sm = u2, m.smlen = sizeof u2;
    CU_ASSERT_EQUAL(cli_submit(&c, &m, NULL, 0), ESME_ROK);
    expect_text_mt("10659", "4400002", "Hello UDH16");
    CU_ASSERT_EQUAL(stat_of("mt_pending"), 0);
    CU_ASSERT_EQUAL(stat_of("mt_done"), 2);
    cli_close(&c);
    SIM_STOP();
}

static void test_port_binary(void)
{
    struct cli c;
    struct submit m;
    char ans[256];
    static const unsigned char sm[] = { 0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0xFF, 0x01, 0x80 };

    SIM_START(NULL);
    cli_open(&c);
    cli_bind_ok(&c);
    memset(&m, 0, sizeof m);
    m.src = "10659", m.dst = "4400003", m.esm_class = 0x40, m.dc = 4;
    m.sm = sm, m.smlen = sizeof sm;
    CU_ASSERT_EQUAL(cli_submit(&c, &m, NULL, 0), ESME_ROK);
    wait_mt(ans, sizeof ans, "4400003", 5000);
    CU_ASSERT_STRING_EQUAL(ans, "MT 10659 4400003 BIN 4 0605040b8423f0 00ff0180");
    cli_close(&c);
    SIM_STOP();
}

/* A long binary MO: every deliver_sm is 8-bit with UDHI, carries the port
 * IEs and a concatenation IE (8- or 16-bit reference), and the parts join
 * to the bytes sent. */
static void binary_mo_parts(bool ref16)
{
    struct cli c;
    struct dlv d;
    char ans[2048], cmd[1400], hex[700];
    unsigned char data[300], joined[300];
    size_t o = 0, k, i;
    unsigned ref = 0;

    for (i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 11);
    simcodec_hex(data, sizeof data, hex);
    SIM_START(NULL);
    cli_open(&c);
    cli_bind_ok(&c);
    snprintf(cmd, sizeof cmd, "MOBIN 4400010 10659 06050423f40000 %s%s", hex, ref16 ? " ref16" : "");
    ctl(ans, sizeof ans, "%s", cmd);
    CU_ASSERT_EQUAL(strncmp(ans, "OK ", 3), 0);
    for (k = 0; k < 3; k++) {
        struct smsudh u;
        size_t ul;
        CU_ASSERT_EQUAL_FATAL(next_deliver(&c, &d, 5000, true, ESME_ROK), 0);
        CU_ASSERT_EQUAL(d.esm_class & 0x40, 0x40);
        CU_ASSERT_EQUAL(d.dc, 4);
        CU_ASSERT_STRING_EQUAL(d.src, "4400010");
        ul = (size_t)d.sm[0] + 1;
        CU_ASSERT_EQUAL_FATAL(ul, ref16 ? 13u : 12u);
        CU_ASSERT_TRUE_FATAL(smsudh_parse(d.sm, ul, &u));
        CU_ASSERT(u.ports && u.dst_port == SMSUDH_PORT_VCARD && u.src_port == 0);
        CU_ASSERT(u.concat && u.ref16 == ref16 && u.total == 3 && u.seq == (int)k + 1);
        if (k == 0)
            ref = u.ref;
        CU_ASSERT_EQUAL(u.ref, ref);
        CU_ASSERT(d.smlen <= 140);
        memcpy(joined + o, d.sm + ul, d.smlen - ul);
        o += d.smlen - ul;
    }
    CU_ASSERT_EQUAL(o, sizeof data);
    CU_ASSERT_EQUAL(memcmp(joined, data, sizeof data), 0);
    cli_close(&c);
    SIM_STOP();
}

static void test_binary_mo(void)
{
    binary_mo_parts(false);
    binary_mo_parts(true);
}

/* Raw UCS-2 octets reach the ESME as they are: a lone high surrogate. */
static void test_ucs2_raw_mo(void)
{
    struct cli c;
    struct dlv d;
    char ans[256];

    SIM_START(NULL);
    cli_open(&c);
    cli_bind_ok(&c);
    ctl(ans, sizeof ans, "MOUCS2 4400011 10659 D83D0041");
    CU_ASSERT_EQUAL(strncmp(ans, "OK ", 3), 0);
    CU_ASSERT_EQUAL_FATAL(next_deliver(&c, &d, 5000, true, ESME_ROK), 0);
    CU_ASSERT_EQUAL(d.dc, 8);
    CU_ASSERT_EQUAL(d.esm_class & 0x40, 0);
    CU_ASSERT_EQUAL_FATAL(d.smlen, 4);
    CU_ASSERT_EQUAL(memcmp(d.sm, "\xD8\x3D\x00\x41", 4), 0);
    /* the text MO of the same thing is refused: it is not UTF-8 */
    ctl(ans, sizeof ans, "MO 4400011 10659 eda0bd41");
    CU_ASSERT_STRING_EQUAL(ans, "ERR encoding");
    ctl(ans, sizeof ans, "MOUCS2 4400011 10659 zz");
    CU_ASSERT_STRING_EQUAL(ans, "ERR hex");
    cli_close(&c);
    SIM_STOP();
}

/* MTBIN puts a binary MT in the handset's inbox without SMPP; a
 * concatenated port-addressed MT by SMPP reaches the handset joined, with
 * part 1's UDH. */
static void test_binary_mt(void)
{
    struct cli c;
    struct submit m;
    char ans[512];
    static const unsigned char p1[] = { 0x0B, 0x05, 0x04, 0x23, 0xF4, 0x00, 0x00,
                                        0x00, 0x03, 0x77, 0x02, 0x01, 'B', 'E', 'G' };
    static const unsigned char p2[] = { 0x0B, 0x05, 0x04, 0x23, 0xF4, 0x00, 0x00,
                                        0x00, 0x03, 0x77, 0x02, 0x02, 'I', 'N' };

    SIM_START(NULL);
    ctl(ans, sizeof ans, "MTBIN 10659 4400012 0605040b8423f0 0106aabb");
    CU_ASSERT_STRING_EQUAL(ans, "OK");
    wait_mt(ans, sizeof ans, "4400012", 5000);
    CU_ASSERT_STRING_EQUAL(ans, "MT 10659 4400012 BIN 4 0605040b8423f0 0106aabb");
    ctl(ans, sizeof ans, "MTBIN 10659 4400012 0705 00");
    CU_ASSERT_STRING_EQUAL(ans, "ERR udh");
    CU_ASSERT_EQUAL(stat_of("mt_injected"), 1);

    cli_open(&c);
    cli_bind_ok(&c);
    memset(&m, 0, sizeof m);
    m.src = "10659", m.dst = "4400013", m.esm_class = 0x40, m.dc = 4;
    m.sm = p2, m.smlen = sizeof p2; /* second part first */
    CU_ASSERT_EQUAL(cli_submit(&c, &m, NULL, 0), ESME_ROK);
    m.sm = p1, m.smlen = sizeof p1;
    CU_ASSERT_EQUAL(cli_submit(&c, &m, NULL, 0), ESME_ROK);
    wait_mt(ans, sizeof ans, "4400013", 5000);
    CU_ASSERT_STRING_EQUAL(ans, "MT 10659 4400013 BIN 4 0b050423f400000003770201 424547494e");
    cli_close(&c);
    SIM_STOP();
}

/* ---- phonesim against this smscsim (the test plays bearerbox + box) ------- */

struct phone_run {
    pid_t pid;
    char out[128], err[128];
};

/* Start phonesim with these arguments (NULL-terminated) after the control
 * port; its stdout and stderr go to files in the test's directory. */
static void phone_start(struct phone_run *r, const char *const *args)
{
    static int n;
    char port[16];
    const char *argv[24];
    int i = 0, k;

    snprintf(r->out, sizeof r->out, "%s/phone-%d.out", sim.dir, n);
    snprintf(r->err, sizeof r->err, "%s/phone-%d.err", sim.dir, n++);
    snprintf(port, sizeof port, "127.0.0.1:%d", sim.ctl_port);
    argv[i++] = "phonesim";
    argv[i++] = "--control";
    argv[i++] = port;
    for (k = 0; args[k] && i < 23; k++)
        argv[i++] = args[k];
    argv[i] = NULL;
    r->pid = fork();
    CU_ASSERT_FATAL(r->pid >= 0);
    if (r->pid == 0) {
        if (!freopen(r->out, "w", stdout) || !freopen(r->err, "w", stderr))
            _exit(126);
        execv(PHONESIM_PATH, (char *const *)argv);
        _exit(127);
    }
}

/* Wait for phonesim; its exit status, and what it printed (malloc'd). */
static int phone_wait(struct phone_run *r, char **out, char **err)
{
    int st = 0, i;
    FILE *f;
    long n;
    char **bufs[2] = { out, err };
    const char *paths[2] = { r->out, r->err };

    for (i = 0; i < 3000 && waitpid(r->pid, &st, WNOHANG) == 0; i++)
        usleep(10000);
    if (i == 3000) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, &st, 0);
    }
    for (i = 0; i < 2; i++) {
        *bufs[i] = calloc(1, 65536);
        if ((f = fopen(paths[i], "r")) != NULL) {
            n = (long)fread(*bufs[i], 1, 65535, f);
            (*bufs[i])[n < 0 ? 0 : n] = '\0';
            fclose(f);
        }
        unlink(paths[i]);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void submit_text(struct cli *c, const char *dst, const char *text)
{
    struct submit m;
    text_submit(&m, "10659", dst, text, 0);
    CU_ASSERT_EQUAL(cli_submit(c, &m, NULL, 0), ESME_ROK);
}

/* Issue 8: a multi-reply command prints every reply once and nothing of
 * another command's; --expect N stops at N and leaves the rest for later. */
static void test_phonesim_replies(void)
{
    static const char *const get[] = { "--from", "4400020", "--to", "10659", "--quiet", "800",
                                       "--timeout", "5000", "GET 1-3", NULL };
    static const char *const help[] = { "--from", "4400020", "--to", "10659", "--expect", "1",
                                        "--timeout", "5000", "HELP", NULL };
    static const char *const look[] = { "--from", "4400020", "--to", "10659", "--quiet", "300",
                                        NULL };
    struct cli c;
    struct dlv d;
    struct phone_run r;
    char *out, *err;
    int i;

    SIM_START(NULL);
    cli_open(&c);
    cli_bind_ok(&c);
    submit_text(&c, "4400020", "stale reply"); /* left over from an earlier command */
    phone_start(&r, get);
    CU_ASSERT_EQUAL_FATAL(next_deliver(&c, &d, 5000, true, ESME_ROK), 0);
    CU_ASSERT_STRING_EQUAL(d.text, "GET 1-3");
    for (i = 1; i <= 3; i++) {
        char t[32];
        snprintf(t, sizeof t, "reply %d", i);
        usleep(150000); /* well inside the quiet period */
        submit_text(&c, "4400020", t);
    }
    CU_ASSERT_EQUAL(phone_wait(&r, &out, &err), 0);
    CU_ASSERT_STRING_EQUAL(out, "reply 1\nreply 2\nreply 3\n");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "earlier: stale reply"));
    free(out);
    free(err);

    phone_start(&r, help);
    CU_ASSERT_EQUAL_FATAL(next_deliver(&c, &d, 5000, true, ESME_ROK), 0);
    CU_ASSERT_STRING_EQUAL(d.text, "HELP");
    submit_text(&c, "4400020", "help 1");
    CU_ASSERT_EQUAL(phone_wait(&r, &out, &err), 0);
    CU_ASSERT_STRING_EQUAL(out, "help 1\n");
    free(out);
    free(err);
    submit_text(&c, "4400020", "help 2"); /* the rest of that command's answer */
    phone_start(&r, look); /* sends nothing: shows what is there */
    CU_ASSERT_EQUAL(phone_wait(&r, &out, &err), 0);
    CU_ASSERT_STRING_EQUAL(out, "help 2\n");
    free(out);
    free(err);
    cli_close(&c);
    SIM_STOP();
}

/* A business card from a .vcf file: 8-bit MO to port 9204 in 16-bit
 * concatenated parts; a port-9204 MT (two parts) printed as the card. */
static void test_phonesim_vcard(void)
{
    static const char card[] =
        "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8:张;伟\r\nFN;CHARSET=UTF-8:张伟\r\n"
        "TEL;CELL:+8613800000009\r\nTEL;HOME:+862088888888\r\nTEL;WORK:+862066666666\r\n"
        "EMAIL:zhang.wei@example.org\r\nADR;HOME:;;1 Road;Guangzhou;;510000;China\r\n"
        "NOTE:a card long enough for three parts of a Smart Messaging MO, whatever the phone\r\n"
        "END:VCARD\r\n";
    char path[128], *out, *err;
    const char *args[] = { "--from", "4400021", "--to", "10659", "--quiet", "500", "--vcard",
                           path, "--vcard-ref16", NULL };
    unsigned char joined[1024], mt[200];
    size_t o = 0, k, ml;
    struct cli c;
    struct dlv d;
    struct submit m;
    struct phone_run r;
    FILE *f;

    SIM_START(NULL);
    snprintf(path, sizeof path, "%s/card.vcf", sim.dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f = fopen(path, "wb"));
    fwrite(card, 1, sizeof card - 1, f);
    fclose(f);
    CU_ASSERT_FATAL(sizeof card - 1 > 2 * 127 && sizeof card - 1 <= 3 * 127);
    cli_open(&c);
    cli_bind_ok(&c);
    phone_start(&r, args);
    for (k = 0; k < 3; k++) {
        struct smsudh u;
        size_t ul;
        CU_ASSERT_EQUAL_FATAL(next_deliver(&c, &d, 5000, true, ESME_ROK), 0);
        CU_ASSERT_EQUAL(d.dc, 4);
        CU_ASSERT_EQUAL(d.esm_class & 0x40, 0x40);
        ul = (size_t)d.sm[0] + 1;
        CU_ASSERT_TRUE_FATAL(smsudh_parse(d.sm, ul, &u));
        CU_ASSERT(u.ports && u.dst_port == 9204 && u.concat && u.ref16 && u.total == 3);
        CU_ASSERT_EQUAL(memcmp(d.sm, "\x0c\x05\x04\x23\xf4\x00\x00\x08\x04", 9), 0);
        memcpy(joined + o, d.sm + ul, d.smlen - ul);
        o += d.smlen - ul;
    }
    CU_ASSERT_EQUAL(o, sizeof card - 1);
    CU_ASSERT_EQUAL(memcmp(joined, card, sizeof card - 1), 0);
    /* the service answers with a card, in two parts (8-bit reference) */
    static const char back[] = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:李娜\r\nTEL:+8613900000001\r\nEND:VCARD\r\n";
    size_t half = (sizeof back - 1) / 2;
    for (k = 0; k < 2; k++) {
        static const unsigned char udh[] = { 0x0B, 0x05, 0x04, 0x23, 0xF4, 0x00, 0x00,
                                             0x00, 0x03, 0x5A, 0x02 };
        memcpy(mt, udh, sizeof udh);
        mt[sizeof udh] = (unsigned char)(k + 1);
        ml = sizeof udh + 1;
        memcpy(mt + ml, back + k * half, k ? sizeof back - 1 - half : half);
        ml += k ? sizeof back - 1 - half : half;
        memset(&m, 0, sizeof m);
        m.src = "10659", m.dst = "4400021", m.esm_class = 0x40, m.dc = 4;
        m.sm = mt, m.smlen = ml;
        CU_ASSERT_EQUAL(cli_submit(&c, &m, NULL, 0), ESME_ROK);
    }
    CU_ASSERT_EQUAL(phone_wait(&r, &out, &err), 0);
    char want[128];
    snprintf(want, sizeof want, "VCARD from=10659 bytes=%zu name=李娜 tel=+8613900000001\n",
             sizeof back - 1);
    CU_ASSERT_STRING_EQUAL(out, want);
    free(out);
    free(err);
    unlink(path);
    cli_close(&c);
    SIM_STOP();
}

/* --ucs2-hex: the octets as they are, a lone high surrogate included. */
static void test_phonesim_ucs2(void)
{
    static const char *const args[] = { "--from", "4400022", "--to", "10659", "--quiet", "300",
                                        "--ucs2-hex", "D83D0041", NULL };
    struct cli c;
    struct dlv d;
    struct phone_run r;
    char *out, *err;

    SIM_START(NULL);
    cli_open(&c);
    cli_bind_ok(&c);
    phone_start(&r, args);
    CU_ASSERT_EQUAL_FATAL(next_deliver(&c, &d, 5000, true, ESME_ROK), 0);
    CU_ASSERT_EQUAL(d.dc, 8);
    CU_ASSERT_EQUAL_FATAL(d.smlen, 4);
    CU_ASSERT_EQUAL(memcmp(d.sm, "\xD8\x3D\x00\x41", 4), 0);
    submit_text(&c, "4400022", "Unreadable text");
    CU_ASSERT_EQUAL(phone_wait(&r, &out, &err), 0);
    CU_ASSERT_STRING_EQUAL(out, "Unreadable text\n");
    free(out);
    free(err);
    cli_close(&c);
    SIM_STOP();
}

static void test_faults(void)
{
    struct cli c;
    struct submit m;
    unsigned char r[MAXPDU];
    char ans[256];
    uint32_t seqs[400];
    int i, throttled = 0, n;
    int64_t t0, elapsed;

    SIM_START(NULL);
    cli_open(&c);
    cli_bind_ok(&c);
    /* throttle: about half of 400 submits refused with 0x58 */
    ctl(ans, sizeof ans, "FAULT throttle=0.5");
    CU_ASSERT_STRING_EQUAL(ans, "OK");
    text_submit(&m, "10659", "4400004", "t", 0);
    for (i = 0; i < 400; i++)
        seqs[i] = cli_submit_send(&c, &m);
    for (i = 0; i < 400; i++) {
        n = cli_expect(&c, SUBMIT_SM_RESP, seqs[i], r, 10000);
        CU_ASSERT_FATAL(n >= 16);
        if (get_u32(r + 8) == ESME_RTHROTTLED)
            throttled++;
        else
            CU_ASSERT_EQUAL(get_u32(r + 8), ESME_ROK);
    }
    CU_ASSERT(throttled >= 130 && throttled <= 270); /* 400 x 0.5 +- 7 sigma */
    CU_ASSERT_EQUAL(stat_of("throttled"), throttled);
    ctl(ans, sizeof ans, "FAULT throttle=0");
    for (i = 0; i < 20; i++)
        CU_ASSERT_EQUAL(cli_submit(&c, &m, NULL, 0), ESME_ROK);

    /* delay: submit_sm_resp no sooner than delay_ms (no upper bound) */
    ctl(ans, sizeof ans, "FAULT delay_ms=400");
    CU_ASSERT_STRING_EQUAL(ans, "OK");
    t0 = now_ms();
    CU_ASSERT_EQUAL(cli_submit(&c, &m, NULL, 0), ESME_ROK);
    elapsed = now_ms() - t0;
    CU_ASSERT(elapsed >= 399);
    ctl(ans, sizeof ans, "FAULT delay_ms=0");

    ctl(ans, sizeof ans, "FAULT bogus=1");
    CU_ASSERT_STRING_EQUAL(ans, "ERR unknown knob bogus");

    /* drop: the connection closes */
    ctl(ans, sizeof ans, "FAULT drop=1");
    CU_ASSERT_STRING_EQUAL(ans, "OK");
    CU_ASSERT_EQUAL(cli_expect(&c, 0xFFFFFFFFu, 0, r, 5000), 0);
    CU_ASSERT_EQUAL(stat_of("drops"), 1);
    CU_ASSERT_EQUAL(stat_of("bound"), 0);
    cli_close(&c);
    SIM_STOP();
}

static void test_mo_retry(void)
{
    struct cli c;
    struct dlv d1, d2, d3, extra;

    SIM_START(NULL);
    cli_open(&c);
    cli_bind_ok(&c);
    queue_mo("hi there");
    /* 1: not answered -> re-sent after resp_timeout_ms */
    CU_ASSERT_EQUAL_FATAL(next_deliver(&c, &d1, 5000, false, 0), 0);
    CU_ASSERT_STRING_EQUAL(d1.text, "hi there");
    CU_ASSERT_EQUAL(d1.esm_class, 0);
    CU_ASSERT_EQUAL_FATAL(next_deliver(&c, &d2, 5000, false, 0), 0);
    CU_ASSERT_STRING_EQUAL(d2.text, "hi there");
    CU_ASSERT_STRING_EQUAL(d2.src, "447700900001");
    CU_ASSERT_NOT_EQUAL(d2.seq, d1.seq);
    CU_ASSERT_EQUAL(stat_of("resp_timeouts"), 1);
    /* a late answer to attempt 1 does not count as delivered */
    send_deliver_resp(&c, d1.seq, ESME_ROK);
    /* 2: answered 0x64 (temporary) -> re-sent after retry_delay_ms */
    send_deliver_resp(&c, d2.seq, ESME_RX_T_APPN);
    CU_ASSERT_EQUAL_FATAL(next_deliver(&c, &d3, 5000, false, 0), 0);
    CU_ASSERT_STRING_EQUAL(d3.text, "hi there");
    CU_ASSERT_EQUAL(stat_of("mo_parts_acked"), 0);
    CU_ASSERT_EQUAL(stat_of("temp_errors"), 1);
    /* 3: answered OK -> done, nothing more comes */
    send_deliver_resp(&c, d3.seq, ESME_ROK);
    CU_ASSERT_EQUAL(next_deliver(&c, &extra, RESP_TIMEOUT_MS * 3, false, 0), -1);
    CU_ASSERT_EQUAL(stat_of("mo_parts_acked"), 1);
    CU_ASSERT_EQUAL(stat_of("mo_retries"), 2);
    CU_ASSERT_EQUAL(stat_of("resp_timeouts"), 1);
    CU_ASSERT_EQUAL(stat_of("inflight"), 0);
    CU_ASSERT_EQUAL(stat_of("ready"), 0);
    cli_close(&c);
    SIM_STOP();
}

static void test_reassembly_expiry(void)
{
    struct cli c;
    struct submit m;
    char ans[256];
    unsigned char part[16] = { 0x05, 0x00, 0x03, 0x00, 0x03, 0x01, 'x' };
    int i;
    int64_t t0, deadline;

    SIM_START(NULL);
    cli_open(&c);
    cli_bind_ok(&c);
    memset(&m, 0, sizeof m);
    m.src = "10659", m.dst = "4400005", m.esm_class = 0x40;
    m.sm = part, m.smlen = 7;
    /* 200 messages of which only part 1 of 3 ever arrives */
    t0 = now_ms();
    for (i = 0; i < 200; i++) {
        part[3] = (unsigned char)i;
        CU_ASSERT_EQUAL(cli_submit(&c, &m, NULL, 0), ESME_ROK);
    }
    CU_ASSERT(stat_of("mt_pending") > 0);
    for (deadline = now_ms() + 10000; now_ms() < deadline && stat_of("mt_expired") < 200;)
        usleep(20000);
    CU_ASSERT_EQUAL(stat_of("mt_expired"), 200);
    CU_ASSERT_EQUAL(stat_of("mt_pending"), 0);
    CU_ASSERT(now_ms() - t0 >= REASM_TIMEOUT_MS);
    wait_mt(ans, sizeof ans, "4400005", 0);
    CU_ASSERT_STRING_EQUAL(ans, "TIMEOUT");
    /* re-assembly still works afterwards */
    part[3] = 7;
    for (i = 1; i <= 3; i++) {
        part[5] = (unsigned char)i;
        part[6] = (unsigned char)('a' + i - 1);
        CU_ASSERT_EQUAL(cli_submit(&c, &m, NULL, 0), ESME_ROK);
    }
    expect_text_mt("10659", "4400005", "abc");
    cli_close(&c);
    SIM_STOP();
}

/* A receipt for an MT to dst with registered_delivery rd: its stat and state. */
static void expect_outcome(struct cli *c, const char *dst, const char *stat, int state,
                           bool delivered)
{
    struct submit m;
    struct dlv d;
    char id[80], want[64], ans[256];

    text_submit(&m, "10659", dst, "outcome", 1);
    CU_ASSERT_EQUAL_FATAL(cli_submit(c, &m, id, sizeof id), ESME_ROK);
    CU_ASSERT_EQUAL_FATAL(next_deliver(c, &d, 5000, true, ESME_ROK), 0);
    CU_ASSERT_STRING_EQUAL(d.receipted_id, id);
    snprintf(want, sizeof want, "stat:%s ", stat);
    CU_ASSERT_PTR_NOT_NULL(strstr(d.text, want));
    CU_ASSERT_EQUAL(d.message_state, state);
    wait_mt(ans, sizeof ans, dst, delivered ? 5000 : 0);
    CU_ASSERT_EQUAL(strncmp(ans, "MT ", 3) == 0, delivered);
}

static void test_outcomes(void)
{
    struct cli c;
    struct submit m;
    struct dlv d;
    char ans[256], id[80];

    SIM_START("receipt_outcomes = 4479=UNDELIV,44790=EXPIRED,+555=REJECTD\n");
    cli_open(&c);
    cli_bind_ok(&c);
    expect_outcome(&c, "447912345", "UNDELIV", 5, false);
    expect_outcome(&c, "447901234", "EXPIRED", 3, false); /* longest prefix wins */
    expect_outcome(&c, "+5551234", "REJECTD", 8, false);
    expect_outcome(&c, "4412345", "DELIVRD", 2, true);
    CU_ASSERT_EQUAL(stat_of("mt_undelivered"), 3);
    CU_ASSERT_EQUAL(stat_of("receipts_failed"), 3);

    /* registered_delivery=2: failures only. The DELIVRD one goes first, so
     * the first receipt being the UNDELIV one shows the other was not sent. */
    text_submit(&m, "10659", "4412345", "quiet", 2);
    CU_ASSERT_EQUAL(cli_submit(&c, &m, NULL, 0), ESME_ROK);
    text_submit(&m, "10659", "447912345", "loud", 2);
    CU_ASSERT_EQUAL(cli_submit(&c, &m, id, sizeof id), ESME_ROK);
    CU_ASSERT_EQUAL_FATAL(next_deliver(&c, &d, 5000, true, ESME_ROK), 0);
    CU_ASSERT_STRING_EQUAL(d.receipted_id, id);
    expect_text_mt("10659", "4412345", "quiet");

    /* at run time through the control port */
    ctl(ans, sizeof ans, "FAULT outcomes=66=DELETED");
    CU_ASSERT_STRING_EQUAL(ans, "OK");
    expect_outcome(&c, "6612", "DELETED", 4, false);
    expect_outcome(&c, "447912345", "DELIVRD", 2, true); /* replaced, not added */
    ctl(ans, sizeof ans, "FAULT outcomes=66=LOST");
    CU_ASSERT_EQUAL(strncmp(ans, "ERR outcomes:", 13), 0);
    expect_outcome(&c, "6612", "DELETED", 4, false); /* a bad spec changes nothing */
    ctl(ans, sizeof ans, "FAULT outcomes=-");
    expect_outcome(&c, "6612", "DELIVRD", 2, true);
    cli_close(&c);
    SIM_STOP();
}

static void test_bad_outcomes_config(void)
{
    char cmd[512];
    int rc;

    snprintf(cmd, sizeof cmd, "%s --outcomes 4479=NOPE --check-config >/dev/null 2>&1",
             SMSCSIM_PATH);
    rc = system(cmd);
    CU_ASSERT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
    snprintf(cmd, sizeof cmd, "%s --outcomes smppsim --check-config >/dev/null 2>&1",
             SMSCSIM_PATH);
    rc = system(cmd);
    CU_ASSERT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
}

int main(void)
{
    CU_pSuite s;
    unsigned failures;

    signal(SIGPIPE, SIG_IGN);
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    s = CU_add_suite("smscsim_protocol", NULL, NULL);
    CU_add_test(s, "bind errors, bind ok, two binds", test_bind);
    CU_add_test(s, "submit before bind, enquire_link, unknown command, unbind", test_link_commands);
    CU_add_test(s, "a deliver_sm answered after the ESME's unbind is delivered once", test_resp_after_unbind);
    CU_add_test(s, "submit_sm and its DELIVRD receipt", test_submit_receipt);
    CU_add_test(s, "concatenated MT by SAR TLVs and 16-bit UDH", test_concat);
    CU_add_test(s, "port-addressed 8-bit MT stays binary", test_port_binary);
    CU_add_test(s, "binary MO to port 9204: UDHI, 8-bit, 8/16-bit concatenation", test_binary_mo);
    CU_add_test(s, "raw UCS-2 MO with a lone surrogate", test_ucs2_raw_mo);
    CU_add_test(s, "binary MT: MTBIN, concatenated port 9204 joined", test_binary_mt);
    CU_add_test(s, "phonesim: every reply once, none of another command's", test_phonesim_replies);
    CU_add_test(s, "phonesim: business card to port 9204 and back", test_phonesim_vcard);
    CU_add_test(s, "phonesim: raw UCS-2 octets", test_phonesim_ucs2);
    CU_add_test(s, "faults: throttle, delay, drop", test_faults);
    CU_add_test(s, "MO deliver_sm retried after timeout and 0x64", test_mo_retry);
    CU_add_test(s, "incomplete concatenated MT expires", test_reassembly_expiry);
    CU_add_test(s, "receipt outcome by destination prefix", test_outcomes);
    CU_add_test(s, "bad receipt_outcomes refused", test_bad_outcomes_config);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failures = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failures == 0 ? 0 : 1;
}
