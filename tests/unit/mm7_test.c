/*
 * mm7_test — CUnit suite for vaultmms's MM7 reading and writing (no
 * database, no network): DeliverReq in the dialects of real MMSCs (the
 * 3GPP example style, a Nokia MC5.0 style with /TYPE=PLMN and base64 parts
 * in a nested multipart, an Mbuni style, a Vibes style labelled utf-16),
 * quoted-printable and base64 parts byte-exact, a multipart sent as base64;
 * hostile input (DOCTYPE and entities, billion laughs, deep nesting, huge
 * part counts, truncated MIME, bad base64, missing start, a wrong boundary,
 * non-UTF-8 subjects, oversize); and what we write (DeliverRsp, Fault,
 * SubmitReq in schema order, the SubmitReq MIME read back byte-exact).
 * The samples are written for this suite in the style of those MMSCs.
 */
#include <CUnit/Basic.h>
#include <glib.h>
#include <stdbool.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "buf.h"
#include "mm7.h"
#include "mm7_mime.h"
#include "mm7_request.h"
#include "mm7_soap.h"

#define NS6 "http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4"
#define NS5 "http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-5-MM7-1-2"
#define ENV "http://schemas.xmlsoap.org/soap/envelope/"

static const struct mm7_limits LIM = { 64 * 1024, 1024 * 1024, 32, 3 };

/* A growing body, kept NUL-terminated (the tests search it as text). */
static void put(struct buf *b, const void *p, size_t n)
{
    buf_append(b, p, n);
    buf_cstr(b);
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

/* base64 in 76-character lines, CRLF-separated */
static void put_b64(struct buf *b, const void *data, size_t n)
{
    gchar *enc = g_base64_encode(data, n);
    size_t len = strlen(enc);
    for (size_t i = 0; i < len; i += 76) {
        put(b, enc + i, len - i < 76 ? len - i : 76);
        puts_(b, "\r\n");
    }
    g_free(enc);
}

static bool contains(const void *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp((const char *)hay + i, needle, n) == 0)
            return true;
    return false;
}

static enum mm7_result parse(const char *ct, const struct buf *body, struct mm7_request *r)
{
    return mm7_request_parse(ct, body->data, body->len, &LIM, r);
}

static unsigned char gif[] = { 'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff,
                               '!', 0xf9, 4, 1, 0, 0, 0, 0, ',', 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 'D', 1, 0, ';' };

/* ---- dialects ---- */

/* The 3GPP example style: the MM7 namespace as the default one (no
 * prefix), a TransactionID wrapped in newlines and tabs, an odd start
 * Content-ID, headers without a space after the colon, a space after the
 * boundary lines, a comment in the Body, the Sender as RFC2822Address and a
 * Content href that does not match the attachment's Content-ID (the
 * example's own typo). */
static void test_dialect_3gpp(void)
{
    const char *ct = "multipart/related; boundary=\"NextPart_000_0917\"; type=\"text/xml\"; "
                     "start=\"</cmvt256/mm7-deliver>\"";
    struct buf b = { 0 };
    puts_(&b, "--NextPart_000_0917 \r\nContent-Type:text/xml; charset=\"utf-8\"\r\n"
              "Content-ID: </cmvt256/mm7-deliver>\r\n\r\n"
              "<?xml version=\"1.0\"?>\r\n<env:Envelope xmlns:env=\"" ENV "\">\r\n <env:Header>\r\n"
              "  <mm7:TransactionID xmlns:mm7=\"" NS6 "\" env:mustUnderstand=\"1\">\r\n\t\t\tvas00917-dlvr\r\n"
              "\t\t</mm7:TransactionID>\r\n </env:Header>\r\n <env:Body>\r\n  <!-- a DeliverReq -->\r\n"
              "  <DeliverReq xmlns=\"" NS6 "\">\r\n   <MM7Version>6.7.0</MM7Version>\r\n"
              "   <VASPID>TNN</VASPID>\r\n   <VASID>Weather</VASID>\r\n"
              "   <MMSRelayServerID>240.110.75.34</MMSRelayServerID>\r\n   <LinkedID>wthr0917</LinkedID>\r\n"
              "   <Sender>\r\n    <RFC2822Address>97254265781@OMMS.com</RFC2822Address>\r\n   </Sender>\r\n"
              "   <TimeStamp>2002-04-15T14:35:21-05:00</TimeStamp>\r\n   <Priority>Normal</Priority>\r\n"
              "   <Subject>Weather report</Subject>\r\n   <Content href=\"cid:forecast-0917-86453\"/>\r\n"
              "  </DeliverReq>\r\n </env:Body>\r\n</env:Envelope>\r\n"
              "--NextPart_000_0917 \r\nContent-Type:text/plain;charset=\"utf-8\"\r\n"
              "Content-ID:<forecast-09170-86453>\r\n\r\nShanghai, sunny\r\n--NextPart_000_0917--\r\n");
    struct mm7_request r;
    CU_ASSERT_EQUAL_FATAL(parse(ct, &b, &r), MM7_OK);
    CU_ASSERT_EQUAL(r.env.op, MM7_OP_DELIVER_REQ);
    CU_ASSERT_STRING_EQUAL(r.env.transaction_id, "vas00917-dlvr");
    CU_ASSERT_STRING_EQUAL(r.env.ns, NS6);
    CU_ASSERT_STRING_EQUAL(r.env.version, "6.7.0");
    CU_ASSERT_STRING_EQUAL(r.env.linked_id, "wthr0917");
    CU_ASSERT_STRING_EQUAL(r.env.subject, "Weather report");
    CU_ASSERT_EQUAL(r.env.sender.kind, MM7_ADDR_EMAIL);
    CU_ASSERT_STRING_EQUAL(r.env.sender.msisdn, "97254265781");
    struct tm tm = { .tm_year = 102, .tm_mon = 3, .tm_mday = 15, .tm_hour = 19, .tm_min = 35, .tm_sec = 21 };
    CU_ASSERT_EQUAL(r.env.timestamp, timegm(&tm));
    CU_ASSERT_EQUAL_FATAL(r.nparts, 1);
    CU_ASSERT_STRING_EQUAL(r.parts[0].content_type, "text/plain; charset=utf-8");
    CU_ASSERT_STRING_EQUAL(r.parts[0].content_id, "forecast-09170-86453");
    CU_ASSERT_EQUAL(r.parts[0].len, strlen("Shanghai, sunny"));
    CU_ASSERT(memcmp(r.parts[0].data, "Shanghai, sunny", r.parts[0].len) == 0);
    mm7_request_cleanup(&r);
    buf_cleanup(&b);
}

/* A Nokia MC5.0 style: mm7p6a0: prefixes, numbers with /TYPE=PLMN, the MM a
 * nested multipart/related with capitalised Type= and Start=, base64 parts
 * (BASE64 in capitals), a SMIL part with Name= and Charset=, an image known
 * by its Content-Location only. */
static void test_dialect_nokia(void)
{
    const char *smil = "<smil><head><layout><root-layout width=\"160\" height=\"120\"/>"
                       "<region id=\"Image\" top=\"0\" left=\"0\" height=\"100%\" width=\"100%\"/></layout></head>"
                       "<body><par dur=\"4000ms\"><img src=\"pic.gif\" region=\"Image\"></img></par></body></smil>\r\n";
    const char *ct = "multipart/related; boundary=\"Nokia-mm-messageHandler-BoUnDaRy-=_-1234\"; "
                     "type=\"text/xml\"; start=\"<CQU2-EG1S>\"";
    struct buf b = { 0 };
    puts_(&b, "\r\n--Nokia-mm-messageHandler-BoUnDaRy-=_-1234\r\nContent-Type: text/xml; charset=\"utf-8\"\r\n"
              "Content-ID: <CQU2-EG1S>\r\n\r\n<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
              "<soap:Envelope xmlns:soap=\"" ENV "\">\r\n  <soap:Header>\r\n"
              "    <mm7p6a0:TransactionID soap:mustUnderstand=\"1\" soap:encodingStyle=\"\" "
              "xmlns:mm7p6a0=\"" NS6 "\" xmlns:soap=\"" ENV "\">4E073C7AQ479306TW2</mm7p6a0:TransactionID>\r\n"
              "</soap:Header>\r\n  <soap:Body>\r\n    <mm7p6a0:DeliverReq xmlns:mm7p6a0=\"" NS6 "\">\r\n"
              "  <mm7p6a0:MM7Version>6.8.0</mm7p6a0:MM7Version>\r\n"
              "  <mm7p6a0:MMSRelayServerID>Nokia MMS Center MC5.0</mm7p6a0:MMSRelayServerID>\r\n"
              "  <mm7p6a0:LinkedID>0402105226100000000000001</mm7p6a0:LinkedID>\r\n"
              "  <mm7p6a0:Sender>\r\n    <mm7p6a0:Number>+8613800000001/TYPE=PLMN</mm7p6a0:Number>\r\n"
              "  </mm7p6a0:Sender>\r\n  <mm7p6a0:Recipients>\r\n    <mm7p6a0:To>\r\n"
              "      <mm7p6a0:Number>10659/TYPE=PLMN</mm7p6a0:Number>\r\n    </mm7p6a0:To>\r\n"
              "  </mm7p6a0:Recipients>\r\n  <mm7p6a0:TimeStamp>2010-04-02T10:52:26Z</mm7p6a0:TimeStamp>\r\n"
              "  <mm7p6a0:Priority>Normal</mm7p6a0:Priority>\r\n  <mm7p6a0:Subject>Bomb</mm7p6a0:Subject>\r\n"
              "  <mm7p6a0:Content href=\"cid:57626X20-1VO9\">\r\n  </mm7p6a0:Content>\r\n"
              "</mm7p6a0:DeliverReq>\r\n</soap:Body>\r\n</soap:Envelope>\r\n\r\n"
              "--Nokia-mm-messageHandler-BoUnDaRy-=_-1234\r\nContent-Id: <57626X20-1VO9>\r\n"
              "Content-Type: multipart/related; Type=\"application/smil\"; Start=\"<AAAA>\"; "
              "boundary=\"Nokia-mm-messageHandler-BoUnDaRy-=_-5678\"\r\n\r\n"
              "--Nokia-mm-messageHandler-BoUnDaRy-=_-5678\r\n"
              "Content-Type: application/smil; Name=main.smil; Charset=UTF-8\r\nContent-ID: <AAAA>\r\n"
              "Content-Transfer-Encoding: BASE64\r\n\r\n");
    put_b64(&b, smil, strlen(smil));
    puts_(&b, "--Nokia-mm-messageHandler-BoUnDaRy-=_-5678\r\nContent-Type: image/gif; Name=pic.gif\r\n"
              "Content-Location: pic.gif\r\nContent-Transfer-Encoding: BASE64\r\n\r\n");
    put_b64(&b, gif, sizeof gif);
    puts_(&b, "--Nokia-mm-messageHandler-BoUnDaRy-=_-5678--\r\n\r\n--Nokia-mm-messageHandler-BoUnDaRy-=_-1234--\r\n");
    struct mm7_request r;
    CU_ASSERT_EQUAL_FATAL(parse(ct, &b, &r), MM7_OK);
    CU_ASSERT_STRING_EQUAL(r.env.transaction_id, "4E073C7AQ479306TW2");
    CU_ASSERT_EQUAL(r.env.sender.kind, MM7_ADDR_NUMBER);
    CU_ASSERT_STRING_EQUAL(r.env.sender.value, "+8613800000001/TYPE=PLMN");
    CU_ASSERT_STRING_EQUAL(r.env.sender.msisdn, "+8613800000001");
    CU_ASSERT_STRING_EQUAL(r.env.to.msisdn, "10659");
    CU_ASSERT_STRING_EQUAL(r.env.relay_server_id, "Nokia MMS Center MC5.0");
    CU_ASSERT_EQUAL_FATAL(r.nparts, 2);
    CU_ASSERT_STRING_EQUAL(r.parts[0].content_type, "application/smil; charset=utf-8");
    CU_ASSERT_STRING_EQUAL(r.parts[0].content_id, "AAAA");
    CU_ASSERT_STRING_EQUAL(r.parts[0].name, "main.smil");
    CU_ASSERT_EQUAL(r.parts[0].len, strlen(smil));
    CU_ASSERT(memcmp(r.parts[0].data, smil, strlen(smil)) == 0);
    CU_ASSERT_STRING_EQUAL(r.parts[1].content_type, "image/gif");
    CU_ASSERT_PTR_NULL(r.parts[1].content_id);
    CU_ASSERT_STRING_EQUAL(r.parts[1].location, "pic.gif");
    CU_ASSERT_STRING_EQUAL(r.parts[1].name, "pic.gif");
    CU_ASSERT_EQUAL(r.parts[1].len, sizeof gif);
    CU_ASSERT(memcmp(r.parts[1].data, gif, sizeof gif) == 0);
    mm7_request_cleanup(&r);
    buf_cleanup(&b);
}

/* An Mbuni style: SOAP-ENV and mm7: prefixes, a REL-5 namespace, the MM's
 * Content-ID without <> and the href as "cid: x" in the mm7 namespace
 * (mm7:href), an 8-bit binary image holding NUL and CR LF bytes, a
 * quoted-printable Chinese text. */
static void test_dialect_mbuni(void)
{
    unsigned char jpeg[300];
    for (size_t i = 0; i < sizeof jpeg; i++)
        jpeg[i] = (unsigned char)(i * 37 + 11);
    jpeg[0] = 0xff, jpeg[1] = 0xd8, jpeg[50] = 0, jpeg[100] = '\r', jpeg[101] = '\n';
    const char *text = "新年快乐 = 100%";   /* as QP: =E6=96=B0... and "=3D" */
    const char *ct = "multipart/related; type=\"text/xml\"; start=\"<soap-start>\"; "
                     "boundary=\"----=_Part_15_1602.1346\"";
    struct buf b = { 0 };
    puts_(&b, "------=_Part_15_1602.1346\r\nContent-Type: text/xml; charset=utf-8\r\nContent-ID: <soap-start>\r\n\r\n"
              "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"" ENV "\"><SOAP-ENV:Header><mm7:TransactionID xmlns:mm7=\"" NS5
              "\" SOAP-ENV:mustUnderstand=\"1\">11398c6a2e9f0001</mm7:TransactionID></SOAP-ENV:Header>"
              "<SOAP-ENV:Body><mm7:DeliverReq xmlns:mm7=\"" NS5 "\"><mm7:MM7Version>5.3.0</mm7:MM7Version>"
              "<mm7:MMSRelayServerID>mbuni</mm7:MMSRelayServerID><mm7:Sender><mm7:Number>8613800000002</mm7:Number>"
              "</mm7:Sender><mm7:Recipients><mm7:To><mm7:ShortCode>10659</mm7:ShortCode></mm7:To></mm7:Recipients>"
              "<mm7:TimeStamp>2012-09-03T15:55:25.000+02:00</mm7:TimeStamp><mm7:Subject>&lt;hi&gt; &amp; 你好"
              "</mm7:Subject><mm7:Content mm7:href=\"cid: content_15\"/></mm7:DeliverReq></SOAP-ENV:Body>"
              "</SOAP-ENV:Envelope>\r\n------=_Part_15_1602.1346\r\n"
              "Content-Type: multipart/related; type=\"application/smil\"; start=\"<smil>\";\r\n"
              "\tboundary=\"----=_Part_25_1829.1346\"\r\nContent-ID: content_15\r\n\r\n"
              "------=_Part_25_1829.1346\r\nContent-Type: application/smil; name=\"smil.xml\"\r\n"
              "Content-ID: <smil>\r\nContent-Location: smil.xml\r\n\r\n<smil><body><par dur=\"5000ms\">"
              "<img src=\"DCIM_11.jpg\"/><text src=\"t.txt\"/></par></body></smil>\r\n"
              "------=_Part_25_1829.1346\r\nContent-Type: image/jpeg; name=\"DCIM_11.jpg\"\r\n"
              "Content-ID: <DCIM_11>\r\nContent-Location: DCIM_11.jpg\r\nContent-Transfer-Encoding: binary\r\n\r\n");
    put(&b, jpeg, sizeof jpeg);
    puts_(&b, "\r\n------=_Part_25_1829.1346\r\nContent-Type: text/plain; charset=utf-8\r\n"
              "Content-Disposition: attachment; filename=\"t.txt\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
              "=E6=96=B0=E5=B9=B4=E5=BF=AB=E4=B9=90 =3D 100%\r\n------=_Part_25_1829.1346--\r\n"
              "------=_Part_15_1602.1346--\r\n");
    struct mm7_request r;
    CU_ASSERT_EQUAL_FATAL(parse(ct, &b, &r), MM7_OK);
    CU_ASSERT_STRING_EQUAL(r.env.ns, NS5);
    CU_ASSERT_STRING_EQUAL(r.env.version, "5.3.0");
    CU_ASSERT_STRING_EQUAL(r.env.subject, "<hi> & 你好");
    CU_ASSERT_STRING_EQUAL(r.env.sender.msisdn, "8613800000002");
    CU_ASSERT_EQUAL(r.env.to.kind, MM7_ADDR_SHORTCODE);
    CU_ASSERT_STRING_EQUAL(r.env.content_href, "cid: content_15");
    CU_ASSERT_EQUAL_FATAL(r.nparts, 3);
    CU_ASSERT_STRING_EQUAL(r.parts[0].content_type, "application/smil");
    CU_ASSERT_STRING_EQUAL(r.parts[0].name, "smil.xml");
    CU_ASSERT_STRING_EQUAL(r.parts[1].content_id, "DCIM_11");
    CU_ASSERT_EQUAL(r.parts[1].len, sizeof jpeg);
    CU_ASSERT(memcmp(r.parts[1].data, jpeg, sizeof jpeg) == 0);
    CU_ASSERT_STRING_EQUAL(r.parts[2].name, "t.txt");
    CU_ASSERT_EQUAL(r.parts[2].len, strlen(text));
    CU_ASSERT(memcmp(r.parts[2].data, text, strlen(text)) == 0);
    CU_ASSERT_EQUAL(r.bytes, r.parts[0].len + sizeof jpeg + strlen(text));
    mm7_request_cleanup(&r);
    buf_cleanup(&b);
}

/* A Vibes style: no start parameter, the envelope labelled utf-16 while its
 * bytes are UTF-8 (its MIME part names no charset), Content-Id without <>,
 * the MM one base64 image. */
static void test_dialect_vibes(void)
{
    const char *ct = "multipart/related; boundary=\"vibes-b\"; type=\"text/xml\"";
    struct buf b = { 0 };
    puts_(&b, "--vibes-b\r\nContent-Type: text/xml\r\nContent-Id: 549710183.1414695261747.sun-soap\r\n\r\n"
              "<?xml version=\"1.0\" encoding=\"utf-16\"?><soapenv:Envelope xmlns:soapenv=\"" ENV "\">"
              "<soapenv:Header><TransactionID xmlns=\"" NS6 "\">vb-1</TransactionID></soapenv:Header>"
              "<soapenv:Body><DeliverReq xmlns=\"" NS6 "\"><MM7Version>6.8.0</MM7Version>"
              "<Sender><Number>13800000003</Number></Sender><Subject>café</Subject>"
              "<Content href=\"cid:549710184.img\" allowAdaptations=\"true\"/></DeliverReq></soapenv:Body>"
              "</soapenv:Envelope>\r\n--vibes-b\r\nContent-Type: image/gif\r\nContent-Id: 549710184.img\r\n"
              "Content-Transfer-Encoding: base64\r\n\r\n");
    put_b64(&b, gif, sizeof gif);
    puts_(&b, "--vibes-b--\r\n");
    struct mm7_request r;
    CU_ASSERT_EQUAL_FATAL(parse(ct, &b, &r), MM7_OK);
    CU_ASSERT_STRING_EQUAL(r.env.transaction_id, "vb-1");
    CU_ASSERT_STRING_EQUAL(r.env.subject, "café");
    CU_ASSERT_STRING_EQUAL(r.env.sender.msisdn, "13800000003");
    CU_ASSERT_EQUAL_FATAL(r.nparts, 1);
    CU_ASSERT_STRING_EQUAL(r.parts[0].content_id, "549710184.img");
    CU_ASSERT(r.parts[0].len == sizeof gif && memcmp(r.parts[0].data, gif, sizeof gif) == 0);
    mm7_request_cleanup(&r);
    buf_cleanup(&b);
}

/* A DeliverReq envelope around an MM given as a whole (ct, bytes). */
static void build_deliver(struct buf *b, const char *subject_xml, const char *mm_headers, const char *mm_body)
{
    puts_(b, "--outer\r\nContent-Type: text/xml; charset=utf-8\r\nContent-ID: <env>\r\n\r\n"
             "<env:Envelope xmlns:env=\"" ENV "\"><env:Header><mm7:TransactionID xmlns:mm7=\"" NS6
             "\">t-1</mm7:TransactionID></env:Header><env:Body><mm7:DeliverReq xmlns:mm7=\"" NS6 "\">"
             "<mm7:MM7Version>6.8.0</mm7:MM7Version><mm7:Sender><mm7:Number>+8613800000001</mm7:Number>"
             "</mm7:Sender><mm7:Subject>");
    puts_(b, subject_xml);
    puts_(b, "</mm7:Subject><mm7:Content href=\"cid:mm\"/></mm7:DeliverReq></env:Body></env:Envelope>\r\n"
             "--outer\r\nContent-ID: <mm>\r\n");
    puts_(b, mm_headers);
    puts_(b, "\r\n");
    puts_(b, mm_body);
    puts_(b, "\r\n--outer--\r\n");
}

static const char *OUTER = "multipart/related; boundary=outer; type=\"text/xml\"; start=\"<env>\"";

/* A multipart that an MMSC sent as base64 (MIME forbids it; it happens). */
static void test_multipart_sent_as_base64(void)
{
    const char *inner = "--in\r\nContent-Type: text/plain\r\n\r\nhello\r\n--in\r\nContent-Type: image/gif\r\n"
                        "Content-Transfer-Encoding: base64\r\n\r\nR0lGODlh\r\n--in--\r\n";
    gchar *enc = g_base64_encode((const guchar *)inner, strlen(inner));
    struct buf b = { 0 };
    build_deliver(&b, "x", "Content-Type: multipart/mixed; boundary=in\r\nContent-Transfer-Encoding: base64\r\n", enc);
    g_free(enc);
    struct mm7_request r;
    CU_ASSERT_EQUAL_FATAL(parse(OUTER, &b, &r), MM7_OK);
    CU_ASSERT_EQUAL_FATAL(r.nparts, 2);
    CU_ASSERT(r.parts[0].len == 5 && memcmp(r.parts[0].data, "hello", 5) == 0);
    CU_ASSERT(r.parts[1].len == 6 && memcmp(r.parts[1].data, "GIF89a", 6) == 0);
    mm7_request_cleanup(&r);
    buf_cleanup(&b);
}

/* A DeliveryReportReq comes as a bare text/xml body. */
static void test_delivery_report_bare_xml(void)
{
    struct buf b = { 0 };
    puts_(&b, "<?xml version=\"1.0\"?><S:Envelope xmlns:S=\"" ENV "\"><S:Header><m:TransactionID xmlns:m=\"" NS6
              "\">dr-7</m:TransactionID></S:Header><S:Body><m:DeliveryReportReq xmlns:m=\"" NS6 "\">"
              "<m:MM7Version>6.8.0</m:MM7Version><m:MessageID> sim-msg-000042 </m:MessageID>"
              "<m:Recipient><m:Number>+8613800000001</m:Number></m:Recipient>"
              "<m:Sender><m:ShortCode>10659</m:ShortCode></m:Sender><m:Date>2026-11-27T10:21:00Z</m:Date>"
              "<m:MMStatus>Retrieved</m:MMStatus><m:StatusText>ok</m:StatusText></m:DeliveryReportReq>"
              "</S:Body></S:Envelope>");
    struct mm7_request r;
    CU_ASSERT_EQUAL_FATAL(parse("text/xml; charset=\"utf-8\"", &b, &r), MM7_OK);
    CU_ASSERT_EQUAL(r.env.op, MM7_OP_DELIVERY_REPORT_REQ);
    CU_ASSERT_STRING_EQUAL(r.env.message_id, "sim-msg-000042");
    CU_ASSERT_STRING_EQUAL(r.env.mm_status, "Retrieved");
    CU_ASSERT_STRING_EQUAL(r.env.recipient.msisdn, "+8613800000001");
    CU_ASSERT_EQUAL(r.nparts, 0);
    mm7_request_cleanup(&r);
    buf_cleanup(&b);
}

/* ---- hostile input ---- */

static enum mm7_result parse_xml(const char *xml, struct mm7_envelope *e)
{
    return mm7_soap_parse(xml, strlen(xml), NULL, 64 * 1024, e);
}

static void test_doctype_and_entities_refused(void)
{
    struct mm7_envelope e;
    const char *xxe = "<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                      "<env:Envelope xmlns:env=\"" ENV "\"><env:Header><TransactionID>&x;</TransactionID>"
                      "</env:Header><env:Body><DeliverReq/></env:Body></env:Envelope>";
    CU_ASSERT_EQUAL(parse_xml(xxe, &e), MM7_E_DOCTYPE);
    CU_ASSERT_PTR_NULL(e.transaction_id);
    mm7_envelope_cleanup(&e);
    /* billion laughs: stopped at the DOCTYPE, nothing expanded */
    struct buf b = { 0 };
    puts_(&b, "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
    for (int i = 1; i <= 9; i++) {
        /* each level names the one below ten times */
        char below[8], line[200];
        snprintf(below, sizeof below, "%.0d", i - 1);   /* "" for the first level: &lol; */
        snprintf(line, sizeof line, "<!ENTITY lol%d \"&lol%s;&lol%s;&lol%s;&lol%s;&lol%s;&lol%s;&lol%s;&lol%s;&lol%s;&lol%s;\">",
                 i, below, below, below, below, below, below, below, below, below, below);
        puts_(&b, line);
    }
    puts_(&b, "]><env:Envelope xmlns:env=\"" ENV "\"><env:Body><x>&lol9;</x></env:Body></env:Envelope>");
    CU_ASSERT_EQUAL(parse_xml(b.data, &e), MM7_E_DOCTYPE);
    mm7_envelope_cleanup(&e);
    buf_cleanup(&b);
    /* a DOCTYPE without an internal subset, and one in a UTF-16 document */
    CU_ASSERT_EQUAL(parse_xml("<!DOCTYPE Envelope SYSTEM \"http://evil.example/x.dtd\"><Envelope/>", &e), MM7_E_DOCTYPE);
    mm7_envelope_cleanup(&e);
    const char *u8 = "<!DOCTYPE a [<!ENTITY b \"c\">]><a>&b;</a>";
    gsize n = 0;
    gchar *u16 = g_convert(u8, -1, "UTF-16LE", "UTF-8", NULL, &n, NULL);
    char *bom = xmalloc(n + 2);
    bom[0] = (char)0xff, bom[1] = (char)0xfe;
    memcpy(bom + 2, u16, n);
    CU_ASSERT_EQUAL(mm7_soap_parse(bom, n + 2, NULL, 64 * 1024, &e), MM7_E_DOCTYPE);
    mm7_envelope_cleanup(&e);
    g_free(u16);
    free(bom);
    /* the status a DOCTYPE is answered with */
    CU_ASSERT_EQUAL(mm7_result_status(MM7_E_DOCTYPE), MM7_VALIDATION_ERROR);
}

static void test_envelope_errors(void)
{
    struct mm7_envelope e;
    CU_ASSERT_EQUAL(parse_xml("<env:Envelope xmlns:env=\"" ENV "\"><env:Body><DeliverReq>", &e), MM7_E_XML);
    mm7_envelope_cleanup(&e);
    CU_ASSERT_EQUAL(parse_xml("<html><body>hello</body></html>", &e), MM7_E_NOT_SOAP);
    mm7_envelope_cleanup(&e);
    CU_ASSERT_EQUAL(parse_xml("<E:Envelope xmlns:E=\"" ENV "\"><E:Body>  </E:Body></E:Envelope>", &e), MM7_E_NOT_SOAP);
    mm7_envelope_cleanup(&e);
    /* no TransactionID in a request */
    CU_ASSERT_EQUAL(parse_xml("<E:Envelope xmlns:E=\"" ENV "\"><E:Body><DeliverReq xmlns=\"" NS6 "\"/></E:Body>"
                              "</E:Envelope>", &e), MM7_E_MISSING);
    mm7_envelope_cleanup(&e);
    /* a vendor dialect that is not 3GPP MM7 (Vodafone PT's MM7SubmitReq):
     * unsupported, with its TransactionID kept for the fault */
    CU_ASSERT_EQUAL(parse_xml("<E:Envelope xmlns:E=\"" ENV "\"><E:Header><TransactionID>v-1</TransactionID></E:Header>"
                              "<E:Body><MM7SubmitReq xmlns=\"urn:MM7Submit.Req\"/></E:Body></E:Envelope>", &e),
                    MM7_E_UNSUPPORTED);
    CU_ASSERT_STRING_EQUAL(e.transaction_id, "v-1");
    mm7_envelope_cleanup(&e);
    /* over the cap before parsing */
    char big[200];
    memset(big, ' ', sizeof big);
    CU_ASSERT_EQUAL(mm7_soap_parse(big, sizeof big, NULL, 100, &e), MM7_E_TOO_LARGE);
    mm7_envelope_cleanup(&e);
}

/* A Subject in Latin-1 or GB18030 inside an envelope that says UTF-8: read,
 * not refused (the MMS is not lost for a stray byte). */
static void test_non_utf8_subject(void)
{
    struct mm7_envelope e;
    const char *pre = "<E:Envelope xmlns:E=\"" ENV "\"><E:Header><TransactionID>s-1</TransactionID></E:Header>"
                      "<E:Body><DeliverReq xmlns=\"" NS6 "\"><Subject>";
    const char *post = "</Subject></DeliverReq></E:Body></E:Envelope>";
    char buf[512];
    snprintf(buf, sizeof buf, "%s%s%s", pre, "caf\xe9 cr\xe8me", post);
    CU_ASSERT_EQUAL_FATAL(parse_xml(buf, &e), MM7_OK);
    /* GB18030 does not take these bytes as Chinese; Latin-1 does what was meant */
    CU_ASSERT_TRUE(g_utf8_validate(e.subject, -1, NULL));
    mm7_envelope_cleanup(&e);
    snprintf(buf, sizeof buf, "%s%s%s", pre, "\xc4\xe3\xba\xc3", post);   /* 你好 in GBK */
    CU_ASSERT_EQUAL_FATAL(parse_xml(buf, &e), MM7_OK);
    CU_ASSERT_STRING_EQUAL(e.subject, "你好");
    mm7_envelope_cleanup(&e);
    /* what the charset of the MIME part says wins */
    snprintf(buf, sizeof buf, "%s%s%s", pre, "\xe9t\xe9", post);
    CU_ASSERT_EQUAL_FATAL(mm7_soap_parse(buf, strlen(buf), "iso-8859-1", 4096, &e), MM7_OK);
    CU_ASSERT_STRING_EQUAL(e.subject, "été");
    mm7_envelope_cleanup(&e);
    /* a charset nobody knows: read as UTF-8 */
    snprintf(buf, sizeof buf, "%s%s%s", pre, "ok", post);
    CU_ASSERT_EQUAL_FATAL(mm7_soap_parse(buf, strlen(buf), "x-no-such-charset", 4096, &e), MM7_OK);
    CU_ASSERT_STRING_EQUAL(e.subject, "ok");
    mm7_envelope_cleanup(&e);
}

static void test_mime_structure_hostile(void)
{
    struct mm7_request r;
    struct buf b = { 0 };
    /* a wrong boundary: no part found, so no envelope */
    build_deliver(&b, "x", "Content-Type: text/plain\r\n", "hi");
    CU_ASSERT_EQUAL(mm7_request_parse("multipart/related; boundary=nothere", b.data, b.len, &LIM, &r), MM7_E_MIME);
    mm7_request_cleanup(&r);
    /* no boundary parameter at all */
    CU_ASSERT_EQUAL(mm7_request_parse("multipart/related", b.data, b.len, &LIM, &r), MM7_E_MIME);
    mm7_request_cleanup(&r);
    /* missing start: the first XML part is the envelope */
    CU_ASSERT_EQUAL(mm7_request_parse("multipart/related; boundary=outer", b.data, b.len, &LIM, &r), MM7_OK);
    CU_ASSERT_EQUAL(r.nparts, 1);
    mm7_request_cleanup(&r);
    /* truncated: cut in the middle of the MM, or of the envelope (no closing boundary) */
    size_t cut = (size_t)(strstr(b.data, "\r\nhi\r\n") - b.data) + 3;
    CU_ASSERT_EQUAL(mm7_request_parse(OUTER, b.data, cut, &LIM, &r), MM7_E_MIME);
    mm7_request_cleanup(&r);
    CU_ASSERT_EQUAL(mm7_request_parse(OUTER, b.data, 120, &LIM, &r), MM7_E_MIME);
    mm7_request_cleanup(&r);
    buf_cleanup(&b);
    /* bad base64 in a part: refused, not decoded into other bytes */
    build_deliver(&b, "x", "Content-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n", "R0lG*ODlh!!\r\nAAAA");
    CU_ASSERT_EQUAL(parse(OUTER, &b, &r), MM7_E_CONTENT);
    CU_ASSERT_EQUAL(mm7_result_status(MM7_E_CONTENT), MM7_CONTENT_REFUSED);
    mm7_request_cleanup(&r);
    buf_cleanup(&b);
    build_deliver(&b, "x", "Content-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n", "R0lGODlhA");  /* 9 chars */
    CU_ASSERT_EQUAL(parse(OUTER, &b, &r), MM7_E_CONTENT);
    mm7_request_cleanup(&r);
    buf_cleanup(&b);
    /* missing padding is forgiven */
    build_deliver(&b, "x", "Content-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n", "R0lGODlhAQ");
    CU_ASSERT_EQUAL(parse(OUTER, &b, &r), MM7_OK);
    mm7_request_cleanup(&r);
    buf_cleanup(&b);
    /* an empty multipart as the MM: nothing to store */
    build_deliver(&b, "x", "Content-Type: multipart/mixed; boundary=in\r\n", "--in--");
    CU_ASSERT_EQUAL(parse(OUTER, &b, &r), MM7_E_CONTENT);
    mm7_request_cleanup(&r);
    buf_cleanup(&b);
    /* a DeliverReq without any attachment */
    build_deliver(&b, "x", "Content-Type: text/plain\r\n", "hi");
    char *second = strstr(b.data + 2, "--outer\r\nContent-ID: <mm>");
    strcpy(second, "--outer--\r\n");
    b.len = strlen(b.data);
    CU_ASSERT_EQUAL(parse(OUTER, &b, &r), MM7_E_CONTENT);
    mm7_request_cleanup(&r);
    buf_cleanup(&b);
}

static void test_part_counts_and_depth_bounded(void)
{
    struct mm7_request r;
    /* 10,000 tiny parts: refused before GMime builds them */
    struct buf mm = { 0 };
    for (int i = 0; i < 10000; i++)
        puts_(&mm, "--in\r\n\r\nx\r\n");
    puts_(&mm, "--in--");
    struct buf b = { 0 };
    build_deliver(&b, "x", "Content-Type: multipart/mixed; boundary=in\r\n", mm.data);
    CU_ASSERT_EQUAL(parse(OUTER, &b, &r), MM7_E_PARTS);
    mm7_request_cleanup(&r);
    buf_cleanup(&b);
    buf_cleanup(&mm);
    /* one part more than parts_max */
    for (int i = 0; i < LIM.parts_max + 1; i++)
        puts_(&mm, "--in\r\nContent-Type: text/plain\r\n\r\nx\r\n");
    puts_(&mm, "--in--");
    build_deliver(&b, "x", "Content-Type: multipart/mixed; boundary=in\r\n", mm.data);
    CU_ASSERT_EQUAL(parse(OUTER, &b, &r), MM7_E_PARTS);
    mm7_request_cleanup(&r);
    buf_cleanup(&b);
    buf_cleanup(&mm);
    /* nesting: depth_max levels are fine, one more is not, 2,000 do not crash */
    int depths[] = { LIM.depth_max, LIM.depth_max + 1, 2000 };
    enum mm7_result want[] = { MM7_OK, MM7_E_PARTS, MM7_E_PARTS };
    for (int t = 0; t < 3; t++) {
        struct buf nest = { 0 };
        for (int d = 1; d < depths[t]; d++) {
            char line[96];
            snprintf(line, sizeof line, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", d, d + 1);
            puts_(&nest, line);
        }
        char leaf[96];
        snprintf(leaf, sizeof leaf, "--b%d\r\nContent-Type: text/plain\r\n\r\nleaf\r\n--b%d--\r\n", depths[t], depths[t]);
        puts_(&nest, leaf);
        for (int d = depths[t] - 1; d >= 1; d--) {
            char line[32];
            snprintf(line, sizeof line, "--b%d--\r\n", d);
            puts_(&nest, line);
        }
        build_deliver(&b, "x", "Content-Type: multipart/mixed; boundary=b1\r\n", nest.data);
        struct mm7_limits lim = LIM;
        lim.parts_max = 64;
        enum mm7_result got = mm7_request_parse(OUTER, b.data, b.len, &lim, &r);
        if (t == 2) {
            CU_ASSERT_NOT_EQUAL(got, MM7_OK);
        } else {
            CU_ASSERT_EQUAL(got, want[t]);
        }
        if (t == 0 && got == MM7_OK) {
            CU_ASSERT_EQUAL(r.nparts, 1);
            CU_ASSERT(r.nparts == 1 && r.parts[0].len == 4 && memcmp(r.parts[0].data, "leaf", 4) == 0);
        }
        mm7_request_cleanup(&r);
        buf_cleanup(&b);
        buf_cleanup(&nest);
    }
}

static void test_size_caps(void)
{
    struct mm7_request r;
    struct mm7_limits lim = LIM;
    lim.part_max = 10;
    struct buf b = { 0 };
    build_deliver(&b, "x", "Content-Type: text/plain\r\n", "0123456789A");
    CU_ASSERT_EQUAL(mm7_request_parse(OUTER, b.data, b.len, &lim, &r), MM7_E_TOO_LARGE);
    mm7_request_cleanup(&r);
    lim.part_max = 11;
    CU_ASSERT_EQUAL(mm7_request_parse(OUTER, b.data, b.len, &lim, &r), MM7_OK);
    mm7_request_cleanup(&r);
    lim.soap_max = 100;   /* the envelope alone is larger */
    CU_ASSERT_EQUAL(mm7_request_parse(OUTER, b.data, b.len, &lim, &r), MM7_E_TOO_LARGE);
    mm7_request_cleanup(&r);
    buf_cleanup(&b);
}

/* ---- addresses and dates ---- */

static void test_addresses_and_dates(void)
{
    struct {
        enum mm7_addr_kind kind;
        const char *value, *msisdn;
    } cases[] = {
        { MM7_ADDR_NUMBER, "+3859100010010/TYPE=PLMN", "+3859100010010" },
        { MM7_ADDR_NUMBER, "+86 138-0000-0001", "+8613800000001" },
        { MM7_ADDR_NUMBER, "8613800000001/type=plmn", "8613800000001" },
        { MM7_ADDR_EMAIL, "97254265781@OMMS.com", "97254265781" },
        { MM7_ADDR_EMAIL, "+8613800000001/TYPE=PLMN@mms.example", "+8613800000001" },
        { MM7_ADDR_EMAIL, "alice@example.com", "" },
        { MM7_ADDR_TEXT, "13800000003", "13800000003" },
        { MM7_ADDR_SHORTCODE, "10659", "10659" },
        { MM7_ADDR_NUMBER, "12345678901234567890123", "" },   /* too long for a number */
        { MM7_ADDR_NUMBER, "Alice", "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mm7_address a = { cases[i].kind, xstrdup(cases[i].value), "", false };
        mm7_address_normalise(&a);
        CU_ASSERT_STRING_EQUAL(a.msisdn, cases[i].msisdn);
        mm7_address_cleanup(&a);
    }
    CU_ASSERT_EQUAL(mm7_parse_datetime("1970-01-01T00:01:40Z"), 100);
    CU_ASSERT_EQUAL(mm7_parse_datetime("1970-01-01T01:01:40+01:00"), 100);
    CU_ASSERT_EQUAL(mm7_parse_datetime("1970-01-01T00:01:40.123"), 100);
    CU_ASSERT_EQUAL(mm7_parse_datetime("\n 1970-01-01T00:01:40Z \n"), 100);
    CU_ASSERT_EQUAL(mm7_parse_datetime("P7D"), -1);
    CU_ASSERT_EQUAL(mm7_parse_datetime("2026-13-01T00:00:00Z"), -1);
    CU_ASSERT_EQUAL(mm7_parse_datetime("2026-01-01T00:00:00+2"), -1);
    char out[32];
    mm7_format_datetime(100, out);
    CU_ASSERT_STRING_EQUAL(out, "1970-01-01T00:01:40Z");
    char *c = mm7_cid_normalise("  cid: <a@b>  ");
    CU_ASSERT_STRING_EQUAL(c, "a@b");
    free(c);
    CU_ASSERT_PTR_NULL(mm7_cid_normalise("<>"));
}

static void test_status_outcomes(void)
{
    CU_ASSERT_EQUAL(mm7_outcome_of(1000), MM7_DONE);
    CU_ASSERT_EQUAL(mm7_outcome_of(1100), MM7_DONE);
    CU_ASSERT_EQUAL(mm7_outcome_of(2004), MM7_PERMANENT);
    CU_ASSERT_EQUAL(mm7_outcome_of(3000), MM7_RETRY);
    CU_ASSERT_EQUAL(mm7_outcome_of(3003), MM7_RETRY);
    CU_ASSERT_EQUAL(mm7_outcome_of(4006), MM7_RETRY);
    CU_ASSERT_EQUAL(mm7_outcome_of(4004), MM7_PERMANENT);
    CU_ASSERT_EQUAL(mm7_outcome_of(4007), MM7_PERMANENT);
    CU_ASSERT_EQUAL(mm7_outcome_of(0), MM7_RETRY);
    CU_ASSERT_STRING_EQUAL(mm7_status_text(2007), "Message format corrupt");
    CU_ASSERT_STRING_EQUAL(mm7_status_text(2999), "Client error");
    CU_ASSERT_EQUAL(mm7_backoff_s(1, 30, 3600), 30);
    CU_ASSERT_EQUAL(mm7_backoff_s(2, 30, 3600), 60);
    CU_ASSERT_EQUAL(mm7_backoff_s(4, 30, 3600), 240);
    CU_ASSERT_EQUAL(mm7_backoff_s(40, 30, 3600), 3600);
}

/* ---- writing ---- */

static void test_emit_response_echoes(void)
{
    size_t len = 0;
    char *xml = mm7_emit_response(MM7_OP_DELIVER_RSP, "tid <&> 1", NS5, "5.3.0", 1000, NULL, &len);
    CU_ASSERT_EQUAL(strlen(xml), len);
    CU_ASSERT_PTR_NOT_NULL(strstr(xml, "mustUnderstand=\"1\""));
    struct mm7_envelope e;
    CU_ASSERT_EQUAL_FATAL(mm7_soap_parse(xml, len, "utf-8", 64 * 1024, &e), MM7_OK);
    CU_ASSERT_EQUAL(e.op, MM7_OP_DELIVER_RSP);
    CU_ASSERT_STRING_EQUAL(e.transaction_id, "tid <&> 1");
    CU_ASSERT_STRING_EQUAL(e.ns, NS5);
    CU_ASSERT_STRING_EQUAL(e.version, "5.3.0");
    CU_ASSERT_EQUAL(e.status_code, 1000);
    CU_ASSERT_STRING_EQUAL(e.status_detail, "Success");
    mm7_envelope_cleanup(&e);
    free(xml);

    xml = mm7_emit_fault(NULL, NULL, NULL, 2004, "too many parts", &len);
    CU_ASSERT_EQUAL_FATAL(mm7_soap_parse(xml, len, NULL, 64 * 1024, &e), MM7_OK);
    CU_ASSERT_EQUAL(e.op, MM7_OP_FAULT);
    CU_ASSERT_EQUAL(e.status_code, 2004);
    CU_ASSERT_STRING_EQUAL(e.fault_code, "env:Client");
    CU_ASSERT_STRING_EQUAL(e.ns, MM7_NS_DEFAULT);
    CU_ASSERT_STRING_EQUAL(e.version, MM7_VERSION_DEFAULT);
    CU_ASSERT_PTR_NOT_NULL(strstr(xml, "VASPErrorRsp"));
    mm7_envelope_cleanup(&e);
    free(xml);
    xml = mm7_emit_fault("t", NULL, NULL, 4006, NULL, &len);
    CU_ASSERT_PTR_NOT_NULL(strstr(xml, "env:Server"));
    free(xml);
}

/* The element names of node's element children, comma-separated. */
static void child_names(xmlNode *n, char *out, size_t cap)
{
    out[0] = '\0';
    for (xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (out[0])
            strncat(out, ",", cap - strlen(out) - 1);
        strncat(out, (const char *)c->name, cap - strlen(out) - 1);
    }
}

static void test_emit_submit_schema_order(void)
{
    struct mm7_submit q = { .transaction_id = "sv-sub-42", .vaspid = "smsvault", .vasid = "archive",
                            .sender_shortcode = "10659", .recipient = "+8613800000001",
                            .service_code = "ARCHIVE-GET", .timestamp = 100, .expiry = "P7D",
                            .delivery_report = true, .subject = "M3 <b>&amp;", .content_cid = "mms-3@smsvault",
                            .allow_adaptations = true };
    size_t len;
    char *xml = mm7_emit_submit(&q, &len);
    xmlDocPtr doc = xmlReadMemory(xml, (int)len, "s.xml", NULL, XML_PARSE_NONET);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    xmlNode *env = xmlDocGetRootElement(doc), *body = NULL;
    for (xmlNode *c = env->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "Body") == 0)
            body = c;
    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    xmlNode *req = body->children;
    while (req && req->type != XML_ELEMENT_NODE)
        req = req->next;
    CU_ASSERT_STRING_EQUAL((const char *)req->name, "SubmitReq");
    CU_ASSERT_STRING_EQUAL((const char *)req->ns->href, MM7_NS_DEFAULT);
    char names[512];
    child_names(req, names, sizeof names);
    CU_ASSERT_STRING_EQUAL(names, "MM7Version,SenderIdentification,Recipients,ServiceCode,MessageClass,"
                                  "TimeStamp,ExpiryDate,DeliveryReport,Priority,Subject,Content");
    xmlFreeDoc(doc);
    struct mm7_envelope e;
    CU_ASSERT_EQUAL_FATAL(mm7_soap_parse(xml, len, NULL, 64 * 1024, &e), MM7_OK);
    CU_ASSERT_EQUAL(e.op, MM7_OP_SUBMIT_REQ);
    CU_ASSERT_STRING_EQUAL(e.subject, "M3 <b>&amp;");
    CU_ASSERT_STRING_EQUAL(e.content_href, "cid:mms-3@smsvault");
    CU_ASSERT_STRING_EQUAL(e.transaction_id, "sv-sub-42");
    mm7_envelope_cleanup(&e);
    CU_ASSERT_PTR_NOT_NULL(strstr(xml, "<mm7:SenderIdentification><mm7:VASPID>smsvault</mm7:VASPID>"
                                       "<mm7:VASID>archive</mm7:VASID><mm7:SenderAddress><mm7:ShortCode>10659"));
    CU_ASSERT_PTR_NOT_NULL(strstr(xml, "<mm7:Recipients><mm7:To><mm7:Number>+8613800000001</mm7:Number>"
                                       "</mm7:To></mm7:Recipients>"));
    free(xml);
    /* a linked reply: LinkedID right after ServiceCode */
    q.linked_id = "lnk-1";
    q.service_code = NULL;
    xml = mm7_emit_submit(&q, &len);
    CU_ASSERT_PTR_NOT_NULL(strstr(xml, "</mm7:Recipients><mm7:LinkedID>lnk-1</mm7:LinkedID><mm7:MessageClass>"));
    free(xml);
}

/* A SubmitReq body read back the way an MMSC would: the envelope and each
 * part byte-exact with its Content-ID and name, SMIL as start. */
static void test_mime_build_round_trip(void)
{
    unsigned char bin[2000];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (unsigned char)(i * 131 + 7);
    const char *smil = "<smil><body><par><img src=\"cid:img1\"/><text src=\"cid:t1\"/></par></body></smil>";
    const char *text = "生日快乐\r\nline two\n";
    struct mm7_part parts[] = {
        { "application/smil", "smil", NULL, "smil.xml", (unsigned char *)smil, strlen(smil) },
        { "image/jpeg", "img1", NULL, "cake.jpg", bin, sizeof bin },
        { "text/plain; charset=utf-8", "t1", NULL, "t.txt", (unsigned char *)text, strlen(text) },
    };
    struct mm7_submit q = { .transaction_id = "rt-1", .recipient = "+8613800000001", .timestamp = 1,
                            .content_cid = "mms-1@smsvault" };
    size_t xlen;
    char *xml = mm7_emit_submit(&q, &xlen);
    struct mm7_body body;
    mm7_mime_build(xml, xlen, "soap-rt-1@smsvault", "mms-1@smsvault", parts, 3, &body);
    CU_ASSERT_PTR_NOT_NULL(strstr(body.content_type, "multipart/related"));
    CU_ASSERT_PTR_NOT_NULL(strstr(body.content_type, "start=\"<soap-rt-1@smsvault>\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(body.content_type, "type=\"text/xml\""));
    CU_ASSERT_PTR_NULL(strchr(body.content_type, '\n'));
    CU_ASSERT_TRUE(contains(body.data, body.len, "\r\n"));
    CU_ASSERT_TRUE(contains(body.data, body.len, "start=\"<smil>\""));

    struct mm7_request r;
    CU_ASSERT_EQUAL_FATAL(mm7_request_parse(body.content_type, body.data, body.len, &LIM, &r), MM7_OK);
    CU_ASSERT_EQUAL(r.env.op, MM7_OP_SUBMIT_REQ);
    CU_ASSERT_STRING_EQUAL(r.env.transaction_id, "rt-1");
    struct mm7_mime *m = NULL;
    CU_ASSERT_EQUAL_FATAL(mm7_mime_parse(body.content_type, body.data, body.len, &LIM, &m), MM7_OK);
    size_t slen;
    const unsigned char *soap = mm7_mime_soap(m, &slen, NULL);
    /* the envelope went as 8bit with CRLF line ends: the same XML */
    size_t k = 0;
    char *nocr = xmalloc(slen + 1);
    for (size_t i = 0; i < slen; i++)
        if (soap[i] != '\r')
            nocr[k++] = (char)soap[i];
    CU_ASSERT(k == xlen && memcmp(nocr, xml, xlen) == 0);
    free(nocr);
    struct mm7_part *got = NULL;
    size_t n = 0;
    CU_ASSERT_EQUAL_FATAL(mm7_mime_content(m, "cid:mms-1@smsvault", &LIM, &got, &n), MM7_OK);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    for (size_t i = 0; i < 3; i++) {
        CU_ASSERT_STRING_EQUAL(got[i].content_type, parts[i].content_type);
        CU_ASSERT_STRING_EQUAL(got[i].content_id, parts[i].content_id);
        CU_ASSERT_STRING_EQUAL(got[i].name, parts[i].name);
        CU_ASSERT(got[i].len == parts[i].len && memcmp(got[i].data, parts[i].data, parts[i].len) == 0);
    }
    mm7_parts_free(got, n);
    mm7_mime_free(m);
    mm7_request_cleanup(&r);
    mm7_body_cleanup(&body);
    /* one part: the MM is that part itself */
    mm7_mime_build(xml, xlen, "s", "c", &parts[1], 1, &body);
    CU_ASSERT_EQUAL_FATAL(mm7_mime_parse(body.content_type, body.data, body.len, &LIM, &m), MM7_OK);
    CU_ASSERT_EQUAL_FATAL(mm7_mime_content(m, "cid:c", &LIM, &got, &n), MM7_OK);
    CU_ASSERT(n == 1 && got[0].len == sizeof bin && memcmp(got[0].data, bin, sizeof bin) == 0);
    mm7_parts_free(got, n);
    mm7_mime_free(m);
    mm7_body_cleanup(&body);
    free(xml);
}

static void test_digest_tells_retry_from_reuse(void)
{
    struct buf b1 = { 0 }, b2 = { 0 };
    build_deliver(&b1, "same", "Content-Type: text/plain\r\n", "one");
    build_deliver(&b2, "same", "Content-Type: text/plain\r\n", "two");
    struct mm7_request r1, r2, r3;
    CU_ASSERT_EQUAL_FATAL(parse(OUTER, &b1, &r1), MM7_OK);
    CU_ASSERT_EQUAL_FATAL(parse(OUTER, &b2, &r2), MM7_OK);
    /* the same message with another MIME boundary: the same digest */
    char *alt = xstrdup(b1.data);
    for (char *p = alt; (p = strstr(p, "outer")); p += 5)
        memcpy(p, "OUTER", 5);
    CU_ASSERT_EQUAL_FATAL(mm7_request_parse("multipart/related; boundary=OUTER; start=\"<env>\"", alt, strlen(alt),
                                            &LIM, &r3), MM7_OK);
    char d1[65], d2[65], d3[65];
    mm7_request_digest(&r1, d1);
    mm7_request_digest(&r2, d2);
    mm7_request_digest(&r3, d3);
    CU_ASSERT_EQUAL(strlen(d1), 64);
    CU_ASSERT_STRING_NOT_EQUAL(d1, d2);
    CU_ASSERT_STRING_EQUAL(d1, d3);
    mm7_request_cleanup(&r1);
    mm7_request_cleanup(&r2);
    mm7_request_cleanup(&r3);
    free(alt);
    buf_cleanup(&b1);
    buf_cleanup(&b2);
}

int main(void)
{
    mm7_request_init();
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite s = CU_add_suite("mm7", NULL, NULL);
    CU_add_test(s, "3GPP example style DeliverReq", test_dialect_3gpp);
    CU_add_test(s, "Nokia style: /TYPE=PLMN, nested multipart, base64", test_dialect_nokia);
    CU_add_test(s, "Mbuni style: prefixes, REL-5, cid without <>, binary, QP", test_dialect_mbuni);
    CU_add_test(s, "Vibes style: utf-16 label on UTF-8, no start", test_dialect_vibes);
    CU_add_test(s, "a multipart sent as base64", test_multipart_sent_as_base64);
    CU_add_test(s, "DeliveryReportReq as bare text/xml", test_delivery_report_bare_xml);
    CU_add_test(s, "DOCTYPE, entities, billion laughs refused", test_doctype_and_entities_refused);
    CU_add_test(s, "envelope errors", test_envelope_errors);
    CU_add_test(s, "non-UTF-8 subjects are read", test_non_utf8_subject);
    CU_add_test(s, "hostile MIME structure", test_mime_structure_hostile);
    CU_add_test(s, "part counts and nesting depth bounded", test_part_counts_and_depth_bounded);
    CU_add_test(s, "size caps", test_size_caps);
    CU_add_test(s, "addresses and dates", test_addresses_and_dates);
    CU_add_test(s, "status codes and outcomes", test_status_outcomes);
    CU_add_test(s, "responses echo the request", test_emit_response_echoes);
    CU_add_test(s, "SubmitReq in schema order", test_emit_submit_schema_order);
    CU_add_test(s, "SubmitReq MIME read back byte-exact", test_mime_build_round_trip);
    CU_add_test(s, "digest tells a retry from a reused TransactionID", test_digest_tells_retry_from_reuse);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    xmlCleanupParser();
    return failed ? 1 : 0;
}
