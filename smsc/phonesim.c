/*
 * phonesim — a handset on smscsim's control port (and an MMS user agent on
 * an MMSC's MM1 URL), and a load generator.
 *
 * One call is one exchange, as a person has with the service:
 *   1. What reached the phone before this call is taken off the network
 *      first: MMS notifications (WAP push, port 2948) are fetched and
 *      printed like any MMS that comes back; texts and cards are earlier
 *      commands' replies and go to stderr as "earlier:", never to stdout.
 *   2. The message is sent: a text MO, a binary MO (--bin-data), a business
 *      card (--vcard FILE: port 9204 Smart Messaging), raw UCS-2 octets
 *      (--ucs2-hex), or an MMS (--mms FILE...: m-send-req to --mmsc).
 *   3. Replies are printed as they arrive, each once, until they stop: the
 *      first may take --timeout ms, each later one must follow the one
 *      before within --quiet ms, and the whole wait ends at --deadline ms;
 *      or, with --expect N, once N arrived (exit 1 when fewer did).
 * Replies cannot be matched to the MO that caused them (an SMS reply names
 * no MO), so what is "this command's" is what came after it was sent and
 * before the replies stopped; draining first keeps an earlier command's
 * late replies out of it.
 *
 * Text replies print whole (smscsim re-assembles concatenated MT), one per
 * line, --hex as UTF-8 hex for byte-exact comparisons; a port-9204 reply as
 * its vCard (phone_vcard.c); an MMS as its parts (phone_mms.c).
 * --load is the load generator (phone_load.c).
 */
#include <curl/curl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "phonesim.h"
#include "simcodec.h"
#include "smsudh.h"

struct opts o;

int64_t phone_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- one MT -------------------------------------------------------------- */

/* Handle one "MT src dst TEXT hex" / "MT src dst BIN dc udh data" line.
 * earlier: it reached the phone before this call sent anything. Returns
 * -1 when an MMS could not be fetched. */
static int handle_mt(char *line, bool earlier)
{
    char *argv[8], *save = NULL, *tok;
    int argc = 0, rc = 0;
    unsigned char *data = NULL, *udh = NULL;
    size_t n = 0, ul = 0;
    FILE *out = earlier ? stderr : stdout;
    const char *tag = earlier ? "phonesim: earlier: " : "";

    for (tok = strtok_r(line, " ", &save); tok && argc < 8; tok = strtok_r(NULL, " ", &save))
        argv[argc++] = tok;
    if (argc == 5 && strcmp(argv[3], "TEXT") == 0) {
        if (o.hex)
            fprintf(out, "%s%s\n", tag, argv[4]);
        else if (simcodec_unhex(argv[4], strlen(argv[4]), &data, &n)) {
            fputs(tag, out);
            fwrite(data, 1, n, out);
            fputc('\n', out);
        }
    } else if (argc == 7 && strcmp(argv[3], "BIN") == 0) {
        struct smsudh u;
        memset(&u, 0, sizeof u);
        if (!simcodec_unhex(argv[6], strlen(argv[6]), &data, &n) ||
            (strcmp(argv[5], "-") != 0 &&
             (!simcodec_unhex(argv[5], strlen(argv[5]), &udh, &ul) ||
              !smsudh_parse(udh, ul, &u)))) {
            fprintf(out, "%sBIN undecodable\n", tag);
        } else if (u.ports && u.dst_port == SMSUDH_PORT_WAP_PUSH) {
            /* an MMS notification: printed whenever it arrived */
            rc = phone_mms_push(argv[1], data, n);
        } else if (u.ports && u.dst_port == SMSUDH_PORT_VCARD) {
            if (earlier)
                fputs(tag, out);
            phone_vcard_print(out, argv[1], data, n);
        } else {
            fprintf(out, "%sBIN dc=%s udh=%s data=%s\n", tag, argv[4], argv[5], argv[6]);
        }
    } else {
        fprintf(out, "%s?\n", tag);
    }
    fflush(out);
    free(data);
    free(udh);
    return rc;
}

/* ---- one exchange ---------------------------------------------------------- */

static bool sends_something(void)
{
    return o.text || o.bin_data || o.vcard_file || o.ucs2_hex || o.mms;
}

static int send_it(struct ctl *c)
{
    char *cmd = NULL, *ans = NULL;
    int rc = -1;

    if (o.mms)
        return phone_mms_send();
    if (o.vcard_file)
        return phone_vcard_send(c);
    if (o.text)
        return ctl_send_mo(c, o.from, o.to, o.text);
    if (o.ucs2_hex)
        cmd = xasprintf("MOUCS2 %s %s %s\n", o.from, o.to, o.ucs2_hex);
    else
        cmd = xasprintf("MOBIN %s %s %s %s\n", o.from, o.to, o.bin_udh ? o.bin_udh : "-",
                        o.bin_data);
    ans = ctl_request(c, cmd);
    if (ans && strncmp(ans, "OK ", 3) == 0)
        rc = 0;
    else
        fprintf(stderr, "phonesim: smscsim refused the MO: %s\n", ans ? ans : "connection lost");
    free(cmd);
    free(ans);
    return rc;
}

static int run_once(void)
{
    struct ctl c;
    int got = 0, rc = 1, failed = 0;
    int64_t start, deadline, last = 0;
    char *line;

    if (!ctl_open(&c)) {
        fprintf(stderr, "phonesim: cannot connect to smscsim control %s:%d\n", o.host, o.port);
        return 2;
    }
    /* 1. what came before this call (a call that sends nothing is there to
     * show just that: then it is not "earlier") */
    while ((line = ctl_wait_mt(&c, o.from, 0)) != NULL && strcmp(line, "TIMEOUT") != 0) {
        failed |= handle_mt(line, sends_something()) != 0;
        free(line);
    }
    if (!line) {
        fprintf(stderr, "phonesim: control connection lost\n");
        goto out;
    }
    free(line);
    /* 2. this call's message */
    if (sends_something() && send_it(&c) != 0)
        goto out;
    /* 3. its replies, until they stop */
    start = phone_now_us();
    deadline = start + o.deadline_ms * 1000;
    for (;;) {
        int64_t now = phone_now_us(), until;
        if (o.expect > 0 && got >= o.expect)
            break;
        /* an MMS was answered by its m-send-conf: what follows is not awaited */
        if (o.expect > 0 || (got == 0 && sends_something() && !o.mms))
            until = start + o.timeout_ms * 1000;
        else
            until = (got == 0 ? start : last) + o.quiet_ms * 1000;
        if (until > deadline)
            until = deadline;
        if (until <= now)
            break;
        line = ctl_wait_mt(&c, o.from, (long)((until - now + 999) / 1000));
        if (!line) {
            fprintf(stderr, "phonesim: control connection lost\n");
            goto out;
        }
        if (strcmp(line, "TIMEOUT") == 0) {
            free(line);
            break;
        }
        failed |= handle_mt(line, false) != 0;
        free(line);
        got++;
        last = phone_now_us();
    }
    if (o.expect > 0 && got < o.expect) {
        fprintf(stderr, "phonesim: timeout: %d of %d replies to %s within %ld ms\n", got, o.expect,
                o.from, o.timeout_ms);
        goto out;
    }
    /* a text (or card) sent and nothing back: the service did not answer.
     * An MMS is answered by its m-send-conf; what follows is a bonus. */
    if (o.expect == 0 && got == 0 && sends_something() && !o.mms) {
        fprintf(stderr, "phonesim: no reply to %s within %ld ms\n", o.from, o.timeout_ms);
        goto out;
    }
    rc = failed ? 1 : 0;
out:
    close(c.fd);
    return rc;
}

/* ---- options ------------------------------------------------------------------ */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phonesim --control HOST:PORT --from MSISDN --to SHORTCODE [reply options] TEXT\n"
            "       phonesim ... --bin-data HEX [--bin-udh HEX]     8-bit MO\n"
            "       phonesim ... --vcard FILE.vcf [--vcard-ref16]   business card to port 9204\n"
            "       phonesim ... --ucs2-hex HEX                     raw UCS-2 octets (D83D0041)\n"
            "       phonesim ... --mmsc URL --mms FILE... [--subject S]   MMS (m-send-req)\n"
            "       phonesim ... (nothing to send)                  print what reached the phone\n"
            "  reply options: [--expect N | --quiet MS] [--timeout MS] [--deadline MS] [--hex]\n"
            "                 [--mmsc URL] [--save-dir DIR]\n"
            "    without --expect: wait up to --timeout (10000) for the first reply, then\n"
            "    until none came for --quiet (2000) ms, at most --deadline (60000) ms.\n"
            "    MMS notifications (WAP push) are fetched and printed; parts saved under\n"
            "    --save-dir; m-notifyresp-ind goes to --mmsc when the MMS is on that host.\n"
            "       phonesim --control HOST:PORT --load --to CODE [--phones N] [--inflight M]\n"
            "                [--rate MO_PER_S] [--duration S] [--template 'SAVE load %%n']\n"
            "                [--from-base MSISDN] [--expect N] [--timeout MS]\n");
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "control", required_argument, NULL, 'c' }, { "from", required_argument, NULL, 'f' },
        { "to", required_argument, NULL, 't' },      { "expect", required_argument, NULL, 'e' },
        { "timeout", required_argument, NULL, 'T' }, { "hex", no_argument, NULL, 'x' },
        { "load", no_argument, NULL, 'L' },          { "phones", required_argument, NULL, 'P' },
        { "inflight", required_argument, NULL, 'I' }, { "rate", required_argument, NULL, 'r' },
        { "duration", required_argument, NULL, 'd' }, { "template", required_argument, NULL, 'm' },
        { "from-base", required_argument, NULL, 'b' }, { "bin-udh", required_argument, NULL, 'u' },
        { "bin-data", required_argument, NULL, 'D' }, { "quiet", required_argument, NULL, 'q' },
        { "deadline", required_argument, NULL, 'Z' }, { "vcard", required_argument, NULL, 'V' },
        { "vcard-ref16", no_argument, NULL, 'R' },    { "ucs2-hex", required_argument, NULL, 'U' },
        { "mms", no_argument, NULL, 'M' },            { "mmsc", required_argument, NULL, 'C' },
        { "subject", required_argument, NULL, 'S' },  { "save-dir", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
    };
    const char *control = NULL;
    char *colon;
    int opt, rc, given = 0;

    o.expect = -1;
    o.timeout_ms = 10000;
    o.quiet_ms = 2000;
    o.deadline_ms = 60000;
    o.phones = 100;
    o.inflight = 50;
    o.duration = 10;
    o.template_text = "SAVE load %n";
    o.from_base = 8613900000000ULL;
    while ((opt = getopt_long(argc, argv, "c:f:t:e:T:xLP:I:r:d:m:b:u:D:q:Z:V:RU:MC:S:s:h", lo,
                              NULL)) != -1) {
        switch (opt) {
        case 'c': control = optarg; break;
        case 'f': o.from = optarg; break;
        case 't': o.to = optarg; break;
        case 'e': o.expect = atoi(optarg); break;
        case 'T': o.timeout_ms = atol(optarg); break;
        case 'x': o.hex = true; break;
        case 'L': o.load = true; break;
        case 'P': o.phones = atoi(optarg); break;
        case 'I': o.inflight = atoi(optarg); break;
        case 'r': o.rate = atof(optarg); break;
        case 'd': o.duration = atof(optarg); break;
        case 'm': o.template_text = optarg; break;
        case 'b': o.from_base = strtoull(optarg, NULL, 10); break;
        case 'u': o.bin_udh = optarg; break;
        case 'D': o.bin_data = optarg; given++; break;
        case 'q': o.quiet_ms = atol(optarg); break;
        case 'Z': o.deadline_ms = atol(optarg); break;
        case 'V': o.vcard_file = optarg; given++; break;
        case 'R': o.vcard_ref16 = true; break;
        case 'U': o.ucs2_hex = optarg; given++; break;
        case 'M': o.mms = true; given++; break;
        case 'C': o.mmsc = optarg; break;
        case 'S': o.subject = optarg; break;
        case 's': o.save_dir = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!control || !(colon = strrchr(control, ':')) || (size_t)(colon - control) >= sizeof o.host ||
        !o.to || o.expect < -1 || o.timeout_ms < 0 || o.quiet_ms < 0 || o.deadline_ms < 0) {
        usage(stderr);
        return 2;
    }
    memcpy(o.host, control, (size_t)(colon - control));
    o.port = atoi(colon + 1);
    if (o.load) {
        if (o.expect < 0)
            o.expect = 1;
        if (o.phones < 1 || o.inflight < 1 || o.duration <= 0) {
            usage(stderr);
            return 2;
        }
        if (o.inflight > o.phones)
            o.inflight = o.phones; /* one MO in flight per handset */
        return phone_load();
    }
    if (o.expect < 0)
        o.expect = 0; /* until the replies stop */
    if (o.deadline_ms < o.timeout_ms)
        o.deadline_ms = o.timeout_ms;
    /* one thing to send at most: a text, or one of the options */
    if (!o.from || given > 1 || (given == 1 && !o.mms && optind < argc) ||
        (!o.mms && argc - optind > 1) || (o.mms && (optind >= argc || !o.mmsc))) {
        usage(stderr);
        return 2;
    }
    if (o.mms) {
        o.mms_files = (const char *const *)argv + optind;
        o.nmms = argc - optind;
    } else if (optind < argc) {
        o.text = argv[optind];
    }
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        fprintf(stderr, "phonesim: libsodium or libcurl did not initialise\n");
        return 2;
    }
    rc = run_once();
    curl_global_cleanup();
    return rc;
}
