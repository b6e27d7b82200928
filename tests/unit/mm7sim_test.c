/*
 * mm7sim_test — CUnit suite for the MMSC simulator's MM7 emitter and parser
 * (smsc/mm7_emit, smsc/mm7_parse).
 *
 * The emitter's DeliverReq, DeliveryReportReq and answers are compared
 * byte for byte with known-good files in tests/unit/mm7/ (one per dialect).
 * Those files were checked outside this suite when they were written: the
 * SOAP parts with xmllint --noout, the MIME structure with Python's email
 * parser (parts, Content-IDs, base64 bodies decoding to the input bytes).
 * MM7_WRITE_FIXTURES=1 rewrites them from the emitter (then check them
 * again the same way before committing).
 *
 * The same bytes are then read back through GMime and libxml2, which are
 * not ours: every part arrives byte-exact, the addresses and ids as
 * written. The parser is also given a SubmitReq written the way a VASP
 * writes one, and hostile bodies (DOCTYPE, not XML, too many parts).
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm7_emit.h"
#include "mm7_parse.h"

#ifndef MM7_FIXTURES
#error "MM7_FIXTURES (tests/unit/mm7) must be defined by the build"
#endif

static const char smil[] =
    "<smil><head><layout><root-layout width=\"160\" height=\"120\"/></layout></head>"
    "<body><par dur=\"5000ms\"><img src=\"beach.jpg\"/><text src=\"note.txt\"/></par></body></smil>";

static unsigned char jpeg[700];

static void parts_of(struct mms_pdu *p)
{
    size_t i;
    for (i = 0; i < sizeof jpeg; i++)
        jpeg[i] = (unsigned char)(i * 37 + 11);
    memcpy(jpeg, "\xff\xd8\xff\xe0", 4);
    mms_pdu_init(p, MMS_M_SEND_REQ);
    mms_pdu_add_part(p, "application/smil", "utf-8", "smil.xml", "<smil.xml>", "smil.xml",
                     (const unsigned char *)smil, strlen(smil));
    mms_pdu_add_part(p, "image/jpeg", NULL, "beach.jpg", "<beach.jpg>", "beach.jpg", jpeg,
                     sizeof jpeg);
    mms_pdu_add_part(p, "text/plain", "utf-8", "note.txt", "<note.txt>", "note.txt",
                     (const unsigned char *)"Greetings <&> 你好\r\n", strlen("Greetings <&> 你好\r\n"));
}

static void deliver_of(struct mm7_deliver *d, const struct mms_pdu *p)
{
    memset(d, 0, sizeof *d);
    d->transaction_id = "mmscsim-dlv-000001";
    d->relay_server_id = "mmscsim";
    d->linked_id = "mmscsim-lnk-000001";
    d->sender = "8613800000101";
    d->recipient = "10659";
    d->subject = "Holiday & <friends> 假日";
    d->timestamp = 1700000000;
    d->parts = p->parts;
    d->nparts = p->nparts;
    d->seed = 42;
}

/* Compare with tests/unit/mm7/<name>, or write it when asked to. */
static void against_fixture(const char *name, const struct mm7_http *h)
{
    char path[512];
    FILE *f;
    size_t n, cap = h->len + strlen(h->content_type) + 64;
    char *want = malloc(cap + 1), *got = malloc(cap + 1);
    int gl = snprintf(got, cap, "Content-Type: %s\r\n\r\n", h->content_type);

    memcpy(got + gl, h->body, h->len);
    snprintf(path, sizeof path, "%s/%s", MM7_FIXTURES, name);
    if (getenv("MM7_WRITE_FIXTURES")) {
        f = fopen(path, "wb");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        fwrite(got, 1, (size_t)gl + h->len, f);
        fclose(f);
    }
    f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    n = fread(want, 1, cap, f);
    fclose(f);
    CU_ASSERT_EQUAL(n, (size_t)gl + h->len);
    CU_ASSERT(n == (size_t)gl + h->len && memcmp(want, got, n) == 0);
    if (n != (size_t)gl + h->len || memcmp(want, got, n) != 0)
        fprintf(stderr, "\nmm7sim_test: %s differs from the emitter's output\n", path);
    free(want);
    free(got);
}

static void deliver_dialect(enum mm7_dialect d, const char *fixture, const char *want_sender,
                            const char *want_recipient)
{
    struct mms_pdu p;
    struct mm7_deliver r;
    struct mm7_http h;
    struct mm7_msg m;
    char err[160];
    size_t i;

    parts_of(&p);
    deliver_of(&r, &p);
    mm7_emit_deliver_req(d, &r, &h);
    CU_ASSERT_PTR_NOT_NULL(strstr(h.content_type, "multipart/related"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h.content_type, "type=\"text/xml\""));
    against_fixture(fixture, &h);

    /* read back with GMime + libxml2 */
    CU_ASSERT_EQUAL_FATAL(mm7_parse(h.content_type, h.body, h.len, &m, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(m.kind, "DeliverReq");
    CU_ASSERT_STRING_EQUAL(m.ns, mm7_dialect_ns(d));
    CU_ASSERT_STRING_EQUAL(m.version, mm7_dialect_version(d));
    CU_ASSERT_STRING_EQUAL(m.transaction_id, "mmscsim-dlv-000001"); /* trimmed (3gpp) */
    CU_ASSERT_STRING_EQUAL(m.sender, want_sender);
    CU_ASSERT_EQUAL_FATAL(m.nrecipients, 1);
    CU_ASSERT_STRING_EQUAL(m.recipients[0], want_recipient);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m.subject);
    CU_ASSERT_STRING_EQUAL(m.subject, "Holiday & <friends> 假日");
    CU_ASSERT_TRUE_FATAL(m.has_content);
    CU_ASSERT_EQUAL_FATAL(m.content.nparts, p.nparts);
    for (i = 0; i < p.nparts; i++) {
        CU_ASSERT_STRING_EQUAL(m.content.parts[i].content_type, p.parts[i].content_type);
        CU_ASSERT_EQUAL(m.content.parts[i].len, p.parts[i].len);
        CU_ASSERT(m.content.parts[i].len == p.parts[i].len &&
                  memcmp(m.content.parts[i].data, p.parts[i].data, p.parts[i].len) == 0);
        CU_ASSERT_PTR_NOT_NULL(m.content.parts[i].name);
    }
    mm7_msg_cleanup(&m);

    /* oversize: one more part of pad octets */
    r.pad = 5000;
    mm7_http_cleanup(&h);
    mm7_emit_deliver_req(d, &r, &h);
    CU_ASSERT_EQUAL_FATAL(mm7_parse(h.content_type, h.body, h.len, &m, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(m.content.nparts, p.nparts + 1);
    CU_ASSERT_EQUAL(m.content.parts[p.nparts].len, 5000);
    mm7_msg_cleanup(&m);
    mm7_http_cleanup(&h);
    mms_pdu_cleanup(&p);
}

static void test_deliver_3gpp(void)
{
    deliver_dialect(MM7_3GPP, "deliver-3gpp.txt", "+8613800000101", "10659");
}

static void test_deliver_nokia(void)
{
    deliver_dialect(MM7_NOKIA, "deliver-nokia.txt", "+8613800000101/TYPE=PLMN", "10659/TYPE=PLMN");
}

static void test_deliver_mbuni(void)
{
    deliver_dialect(MM7_MBUNI, "deliver-mbuni.txt", "+8613800000101", "10659");
}

static void test_report_and_answers(void)
{
    static const char *const names[] = { "report-3gpp.txt", "report-nokia.txt", "report-mbuni.txt" };
    struct mm7_report r = { "mmscsim-dlr-000007", "mmscsim", "mmscsim-000003", "8613800000101",
                            "10659", 1700000100, "Retrieved", "retrieved by the handset" };
    struct mm7_http h;
    struct mm7_msg m;
    char err[160];
    int d;

    for (d = MM7_3GPP; d <= MM7_MBUNI; d++) {
        mm7_emit_delivery_report_req((enum mm7_dialect)d, &r, &h);
        CU_ASSERT_STRING_EQUAL(h.content_type, "text/xml; charset=\"utf-8\"");
        against_fixture(names[d], &h);
        CU_ASSERT_EQUAL_FATAL(mm7_parse(h.content_type, h.body, h.len, &m, err, sizeof err), 0);
        CU_ASSERT_STRING_EQUAL(m.kind, "DeliveryReportReq");
        CU_ASSERT_STRING_EQUAL(m.message_id, "mmscsim-000003");
        CU_ASSERT_STRING_EQUAL(m.transaction_id, "mmscsim-dlr-000007");
        CU_ASSERT_PTR_NOT_NULL(strstr((char *)h.body, "MMStatus>Retrieved</"));
        mm7_msg_cleanup(&m);
        mm7_http_cleanup(&h);
    }

    /* SubmitRsp in the request's namespace and version */
    struct mm7_answer a = { MM7_NS_PREFIX "REL-5-MM7-1-2", "5.3.0", "vasp-sub-9", "SubmitReq",
                            1000, NULL, "mmscsim-000009" };
    mm7_emit_answer(MM7_NOKIA, &a, &h);
    against_fixture("submit-rsp-nokia.txt", &h);
    CU_ASSERT_EQUAL_FATAL(mm7_parse(h.content_type, h.body, h.len, &m, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(m.kind, "SubmitRsp");
    CU_ASSERT_STRING_EQUAL(m.ns, MM7_NS_PREFIX "REL-5-MM7-1-2");
    CU_ASSERT_STRING_EQUAL(m.version, "5.3.0");
    CU_ASSERT_EQUAL(m.status, 1000);
    CU_ASSERT_STRING_EQUAL(m.status_text, "Success");
    CU_ASSERT_STRING_EQUAL(m.message_id, "mmscsim-000009");
    CU_ASSERT_STRING_EQUAL(m.transaction_id, "vasp-sub-9");
    mm7_msg_cleanup(&m);
    mm7_http_cleanup(&h);

    /* a Fault with RSErrorRsp 3000 */
    a.status = 3000;
    mm7_emit_answer(MM7_3GPP, &a, &h);
    against_fixture("fault-3gpp.txt", &h);
    CU_ASSERT_EQUAL_FATAL(mm7_parse(h.content_type, h.body, h.len, &m, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(m.kind, "Fault");
    CU_ASSERT_EQUAL(m.status, 3000);
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)h.body, "<faultcode>env:Server</faultcode>"));
    CU_ASSERT_PTR_NULL(strstr((char *)h.body, "MessageID"));
    mm7_msg_cleanup(&m);
    mm7_http_cleanup(&h);
    a.status = 2004;
    mm7_emit_answer(MM7_MBUNI, &a, &h);
    CU_ASSERT_EQUAL_FATAL(mm7_parse(h.content_type, h.body, h.len, &m, err, sizeof err), 0);
    CU_ASSERT_EQUAL(m.status, 2004);
    CU_ASSERT_STRING_EQUAL(m.status_text, "Multimedia content refused");
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)h.body, "SOAP-ENV:Client"));
    mm7_msg_cleanup(&m);
    mm7_http_cleanup(&h);
    CU_ASSERT_STRING_EQUAL(mm7_status_text(4006), "Service unavailable");
    CU_ASSERT_STRING_EQUAL(mm7_status_text(3999), "Server Error");
}

/* A SubmitReq as a VASP writes it: no start parameter, Content-ID without
 * <>, href without cid:, a base64 image, a REL-5 namespace in the Header
 * and a REL-6 one in the Body. */
static const char submit_ct[] = "multipart/related; boundary=\"outer\"; type=\"text/xml\"";
static const char submit_body[] =
    "--outer\r\n"
    "Content-Type: text/xml; charset=\"utf-8\"\r\n"
    "Content-ID: soap-1\r\n"
    "\r\n"
    "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n"
    "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">"
    "<soapenv:Header><a:TransactionID xmlns:a=\"" MM7_NS_PREFIX "REL-5-MM7-1-2\" "
    "soapenv:mustUnderstand=\"1\">\n  vasp-42 \n</a:TransactionID></soapenv:Header>"
    "<soapenv:Body><SubmitReq xmlns=\"" MM7_NS_PREFIX "REL-6-MM7-1-4\">"
    "<MM7Version>6.8.0</MM7Version>"
    "<SenderIdentification><VASPID>smsvault</VASPID><VASID>archive</VASID>"
    "<SenderAddress><ShortCode>10659</ShortCode></SenderAddress></SenderIdentification>"
    "<Recipients><To><Number>+8613800000101</Number></To><Cc><Number>8613800000102/TYPE=PLMN</Number></Cc></Recipients>"
    "<ServiceCode>ARCHIVE-GET</ServiceCode><DeliveryReport>true</DeliveryReport>"
    "<Subject>Archived MMS #3</Subject>"
    "<Content href=\"mms-3\" allowAdaptations=\"true\"/></SubmitReq></soapenv:Body></soapenv:Envelope>\r\n"
    "--outer\r\n"
    "Content-Type: multipart/mixed; boundary=\"inner\"\r\n"
    "Content-ID: mms-3\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Location: text.txt\r\n"
    "\r\n"
    "Hello from the archive\r\n"
    "--inner\r\n"
    "Content-Type: image/gif; name=\"dot.gif\"\r\n"
    "Content-ID: <img1>\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==\r\n"
    "--inner--\r\n"
    "--outer--\r\n";

static void test_parse_submit(void)
{
    struct mm7_msg m;
    char err[160];

    CU_ASSERT_EQUAL_FATAL(mm7_parse(submit_ct, (const unsigned char *)submit_body,
                                    strlen(submit_body), &m, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(m.kind, "SubmitReq");
    CU_ASSERT_STRING_EQUAL(m.ns, MM7_NS_PREFIX "REL-6-MM7-1-4");
    CU_ASSERT_STRING_EQUAL(m.version, "6.8.0");
    CU_ASSERT_STRING_EQUAL(m.transaction_id, "vasp-42");
    CU_ASSERT_STRING_EQUAL(m.sender, "10659");
    CU_ASSERT_EQUAL_FATAL(m.nrecipients, 2);
    CU_ASSERT_STRING_EQUAL(m.recipients[0], "+8613800000101");
    CU_ASSERT_STRING_EQUAL(m.recipients[1], "8613800000102/TYPE=PLMN");
    CU_ASSERT_TRUE(m.delivery_report);
    CU_ASSERT_STRING_EQUAL(m.subject, "Archived MMS #3");
    CU_ASSERT_STRING_EQUAL(m.content_href, "mms-3");
    CU_ASSERT_TRUE_FATAL(m.has_content);
    CU_ASSERT_EQUAL_FATAL(m.content.nparts, 2);
    CU_ASSERT_STRING_EQUAL(m.content.parts[0].content_type, "text/plain");
    CU_ASSERT_STRING_EQUAL(m.content.parts[0].charset, "utf-8");
    CU_ASSERT_STRING_EQUAL(m.content.parts[0].content_location, "text.txt");
    CU_ASSERT_EQUAL(m.content.parts[0].len, 22);
    CU_ASSERT_STRING_EQUAL(m.content.parts[1].content_type, "image/gif");
    CU_ASSERT_STRING_EQUAL(m.content.parts[1].name, "dot.gif");
    CU_ASSERT_STRING_EQUAL(m.content.parts[1].content_id, "<img1>");
    CU_ASSERT_EQUAL(m.content.parts[1].len, 43); /* base64 decoded */
    CU_ASSERT_EQUAL(memcmp(m.content.parts[1].data, "GIF89a", 6), 0);
    mm7_msg_cleanup(&m);

    /* a report without attachments, bare text/xml */
    static const char dr[] =
        "<e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\"><e:Body>"
        "<DeliverRsp xmlns=\"" MM7_NS_PREFIX "REL-6-MM7-1-4\"><MM7Version>6.8.0</MM7Version>"
        "<Status><StatusCode>1000</StatusCode></Status></DeliverRsp></e:Body></e:Envelope>";
    CU_ASSERT_EQUAL_FATAL(mm7_parse("text/xml", (const unsigned char *)dr, strlen(dr), &m, err,
                                    sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(m.kind, "DeliverRsp");
    CU_ASSERT_EQUAL(m.status, 1000);
    CU_ASSERT_FALSE(m.has_content);
    mm7_msg_cleanup(&m);
}

static void test_parse_hostile(void)
{
    struct mm7_msg m;
    char err[160];
    static const char doctype[] =
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/hostname\">]>"
        "<e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\"><e:Body>"
        "<SubmitReq>&e;</SubmitReq></e:Body></e:Envelope>";
    static const char notxml[] = "<e:Envelope><unclosed>";
    static const char noenv[] = "<Body><SubmitReq/></Body>";

    CU_ASSERT_EQUAL(mm7_parse("text/xml", (const unsigned char *)doctype, strlen(doctype), &m, err,
                              sizeof err), 2007);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "DOCTYPE"));
    mm7_msg_cleanup(&m);
    CU_ASSERT_EQUAL(mm7_parse("text/xml", (const unsigned char *)notxml, strlen(notxml), &m, err,
                              sizeof err), 2007);
    mm7_msg_cleanup(&m);
    CU_ASSERT_EQUAL(mm7_parse("text/xml", (const unsigned char *)noenv, strlen(noenv), &m, err,
                              sizeof err), 2007);
    mm7_msg_cleanup(&m);
    CU_ASSERT_EQUAL(mm7_parse("text/xml\r\nX-Evil: 1", (const unsigned char *)noenv, strlen(noenv),
                              &m, err, sizeof err), 2007);
    mm7_msg_cleanup(&m);
    CU_ASSERT_EQUAL(mm7_parse(NULL, (const unsigned char *)"", 0, &m, err, sizeof err), 2007);
    mm7_msg_cleanup(&m);

    /* an MM of 70 parts: refused */
    size_t cap = 70 * 80 + 2000, o = 0;
    char *big = malloc(cap);
    o += (size_t)snprintf(big + o, cap - o, "--o\r\nContent-Type: text/xml\r\n\r\n"
                          "<e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\">"
                          "<e:Body><SubmitReq/></e:Body></e:Envelope>\r\n"
                          "--o\r\nContent-Type: multipart/mixed; boundary=\"i\"\r\n\r\n");
    for (int i = 0; i < 70; i++)
        o += (size_t)snprintf(big + o, cap - o, "--i\r\nContent-Type: text/plain\r\n\r\nx\r\n");
    o += (size_t)snprintf(big + o, cap - o, "--i--\r\n--o--\r\n");
    CU_ASSERT_EQUAL(mm7_parse("multipart/related; boundary=o", (unsigned char *)big, o, &m, err,
                              sizeof err), 2007);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "parts"));
    mm7_msg_cleanup(&m);
    free(big);
}

int main(void)
{
    mm7_parse_init();
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("mm7", NULL, NULL);
    CU_add_test(s, "DeliverReq, 3GPP example style: known bytes, read back", test_deliver_3gpp);
    CU_add_test(s, "DeliverReq, Nokia MC5.0 style: known bytes, read back", test_deliver_nokia);
    CU_add_test(s, "DeliverReq, Mbuni style: known bytes, read back", test_deliver_mbuni);
    CU_add_test(s, "DeliveryReportReq, SubmitRsp, Faults", test_report_and_answers);
    CU_add_test(s, "a VASP's SubmitReq: liberal on ids, namespaces, base64", test_parse_submit);
    CU_add_test(s, "DOCTYPE, not XML, no envelope, 70 parts refused", test_parse_hostile);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
