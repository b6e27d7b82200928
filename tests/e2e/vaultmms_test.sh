#!/usr/bin/env bash
# vaultmms_test.sh <build-dir> — vaultmms end to end: the real program on a
# free loopback port against a database of its own in the test cluster,
# posted to by curl as an operator MMSC would (MM7 DeliverReq, SOAP with
# attachments). A phone's MMS (SMIL + JPEG + text) is archived byte-exact,
# charged (vaultctl fsck agrees) and answered "Saved as M1" through the
# outbox; a duplicate DeliverReq is answered 1000 and stored once; an
# unbound phone gets the hint and nothing is stored; wrong credentials, a
# wrong path, an oversize body and a DOCTYPE are refused with the right
# Faults; vaultmms killed -9 between its commit and its answer (the test
# hook) — the MMSC's retry is answered 1000 and the MMS is stored once.
# The direct path's retrieval listener ([mms] delivery = direct, a port of
# its own): a delivery's URL serves the m-retrieve-conf once, then the same
# 404 as a token never made; the handset's m-notifyresp-ind posted there
# marks the delivery delivered; other paths, methods and oversize bodies
# are refused. An accepted MMS with no answer within [mms] report_wait
# counts as sent, and in the metrics as unreported.
#
# Needs the test cluster of ./smsvault test (SMSVAULT_TEST_PGADMIN); creates
# and drops a database of its own there. A free loopback port, a temp dir;
# the teardown of tests/e2e/lib.sh stops what it started (each vaultmms by
# its PID), prints logs on failure and fails on ERROR/PANIC in our logs.
set -euo pipefail

BUILD=$(cd "${1:?usage: vaultmms_test.sh <build-dir>}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$ROOT/tests/e2e/lib.sh"
e2e_begin mms-e2e
fail() { e2e_fail "$@"; }
sql() { psql -X -tA "$SMSVAULT_PGURI" -c "$1"; }

VAULTCTL=$BUILD/store/vaultctl
e2e_db mms
export SV_BUILD=$BUILD SV_MMS_PORT SV_MMS_RETRIEVE_PORT
SV_MMS_PORT=$(sv_free_port)
SV_MMS_RETRIEVE_PORT=$(sv_free_port "$SV_MMS_PORT")
MMS_M=$(sv_free_port "$SV_MMS_PORT" "$SV_MMS_RETRIEVE_PORT")
URL=http://127.0.0.1:$SV_MMS_PORT/mm7/sim
RURL=http://127.0.0.1:$SV_MMS_RETRIEVE_PORT/mms/r
# the shipped [mmsc.sim] (allowed from loopback) with this suite's credentials
e2e_conf "[mms]
threads = 2
body_max = 256K
metrics_port = $MMS_M
delivery = direct
[mmsc.sim]
incoming_username = mmsc
incoming_password = s3cret-mm7"

# deliver_req <file> <tid> <sender number> <subject>: a DeliverReq in the
# 3GPP example's shape, CRLF line ends, the MM a multipart/related of a
# SMIL part, the JPEG (base64) and a UTF-8 text
deliver_req() {
    local out=$1 tid=$2 from=$3 subject=$4
    {
        printf '%s\r\n' "--=_outer_1a2b" "Content-Type: text/xml; charset=\"utf-8\"" \
            "Content-ID: <mm7-soap-1a2b@mmsc.example>" ""
        printf '%s\r\n' '<?xml version="1.0" encoding="UTF-8"?>' \
            '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Header>' \
            "<mm7:TransactionID xmlns:mm7=\"$NS\" env:mustUnderstand=\"1\">$tid</mm7:TransactionID>" \
            "</env:Header><env:Body><mm7:DeliverReq xmlns:mm7=\"$NS\"><mm7:MM7Version>6.8.0</mm7:MM7Version>" \
            "<mm7:MMSRelayServerID>mmsc-sim-1</mm7:MMSRelayServerID><mm7:LinkedID>lnk-$tid</mm7:LinkedID>" \
            "<mm7:Sender><mm7:Number>$from/TYPE=PLMN</mm7:Number></mm7:Sender>" \
            "<mm7:Recipients><mm7:To><mm7:ShortCode>10659</mm7:ShortCode></mm7:To></mm7:Recipients>" \
            "<mm7:TimeStamp>2026-11-27T10:15:02Z</mm7:TimeStamp><mm7:Subject>$subject</mm7:Subject>" \
            "<mm7:Content href=\"cid:mms-body-1a2b@mmsc.example\"/></mm7:DeliverReq></env:Body></env:Envelope>"
        printf '%s\r\n' "--=_outer_1a2b" \
            "Content-Type: multipart/related; boundary=\"=_inner_1a2b\"; type=\"application/smil\"; start=\"<smil>\"" \
            "Content-ID: <mms-body-1a2b@mmsc.example>" "" \
            "--=_inner_1a2b" "Content-Type: application/smil; charset=\"utf-8\"" "Content-ID: <smil>" \
            "Content-Location: smil.xml" ""
        cat "$VAR/smil.xml"
        printf '\r\n%s\r\n' "--=_inner_1a2b"
        printf '%s\r\n' "Content-Type: image/jpeg; name=\"beach.jpg\"" "Content-ID: <img1>" \
            "Content-Transfer-Encoding: base64" ""
        base64 -w 76 "$VAR/beach.jpg" | sed 's/$/\r/'
        printf '%s\r\n' "--=_inner_1a2b" "Content-Type: text/plain; charset=\"utf-8\"" "Content-ID: <txt1>" \
            "Content-Location: text.txt" ""
        cat "$VAR/text.txt"
        printf '\r\n%s\r\n' "--=_inner_1a2b--" "--=_outer_1a2b--"
    } >"$out"
}

CT='multipart/related; boundary="=_outer_1a2b"; type="text/xml"; start="<mm7-soap-1a2b@mmsc.example>"'
NS=http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4

# post <file> [curl args...]: POST it as the MMSC; prints "HTTP-status MM7-status"
post() {
    local file=$1 code body status
    shift
    body=$VAR/answer.xml
    rm -f "$body"
    code=$(curl -s -o "$body" -w '%{http_code}' -u mmsc:s3cret-mm7 -H "Content-Type: $CT" -H 'SOAPAction: ""' \
        --data-binary "@$file" "$@" "$URL") || code=000
    status=$(grep -o '<mm7:StatusCode>[0-9]*' "$body" 2>/dev/null | grep -o '[0-9]*$' || true)
    echo "$code ${status:-none}"
}

# the MMS: a 20 KB "JPEG" of random bytes (NUL and CR LF included), SMIL, Chinese text
head -c 20000 /dev/urandom >"$VAR/beach.jpg"
printf '\xff\xd8\r\n\x00' | dd of="$VAR/beach.jpg" conv=notrunc status=none
printf '%s' '<smil><body><par dur="5000ms"><img src="cid:img1"/><text src="cid:txt1"/></par></body></smil>' \
    >"$VAR/smil.xml"
printf '%s' '海边的问候 🌊' >"$VAR/text.txt"
size=$(($(stat -c %s "$VAR/beach.jpg") + $(stat -c %s "$VAR/smil.xml") + $(stat -c %s "$VAR/text.txt")))

# metrics <file>: vaultmms's /metrics (promtool accepts it); moved <before> <after> <series> <n>
metrics() { e2e_scrape "$MMS_M" "$1"; }
moved() { e2e_moved "$@"; }

e2e_start vaultmms
metrics "$VAR/m0.txt"
printf 'pass1234\n' | "$VAULTCTL" user add alice >/dev/null || fail "vaultctl user add"
A=+8613800000001 U=+8613800000009
sql "INSERT INTO phones (user_id, msisdn, msisdn_key) SELECT id, '$A', '8613800000001' FROM users
     WHERE username = 'alice'" >/dev/null

# --- a bound phone's MMS: stored byte-exact, charged, answered, the phone told
deliver_req "$VAR/d1" mmsc-dlv-0001 8613800000001 Holiday
[[ $(post "$VAR/d1") == "200 1000" ]] || fail "DeliverReq not answered 200/1000: $(cat "$VAR/answer.xml")"
grep -q '<mm7:TransactionID[^>]*>mmsc-dlv-0001</mm7:TransactionID>' "$VAR/answer.xml" \
    || fail "the answer does not echo the TransactionID"
[[ $(sql "SELECT count(*) FROM mms") == 1 ]] || fail "MMS not stored"
[[ $(sql "SELECT subject || '|' || nparts || '|' || size_bytes || '|' || peer FROM mms") == "Holiday|3|$size|" ]] \
    || fail "MMS row: $(sql "SELECT subject, nparts, size_bytes, peer FROM mms")"
# the user's own, as the phone sent it (issue 10): the sent box, From the phone
[[ $(sql "SELECT msg_box || '|' || (SELECT string_agg(type::text, ',') FROM mms_addrs) FROM mms") == "2|137" ]] \
    || fail "MMS box and addresses: $(sql "SELECT msg_box FROM mms") $(sql "SELECT * FROM mms_addrs")"
want=$(sha256sum "$VAR/beach.jpg" | cut -c1-64)
got=$(sql "SELECT encode(sha256(data), 'hex') FROM mms_parts WHERE seq = 1")
[[ $got == "$want" ]] || fail "the JPEG is not byte-exact"
[[ $(sql "SELECT string_agg(content_type || ' ' || content_id, ',' ORDER BY seq) FROM mms_parts") == \
    "application/smil; charset=utf-8 smil,image/jpeg img1,text/plain; charset=utf-8 txt1" ]] \
    || fail "parts: $(sql "SELECT seq, content_type, content_id, name FROM mms_parts")"
[[ $(sql "SELECT convert_from(data, 'UTF8') FROM mms_parts WHERE seq = 2") == '海边的问候 🌊' ]] \
    || fail "the text part is not byte-exact"
[[ $(sql "SELECT used_bytes FROM users WHERE username = 'alice'") == "$size" ]] || fail "not charged"
"$VAULTCTL" fsck >/dev/null || fail "vaultctl fsck: used bytes differ from the items"
[[ $(sql "SELECT count(*) FROM outbox WHERE msisdn = '$A' AND text LIKE 'Saved as M1.%'") == 1 ]] \
    || fail "no 'Saved as M1' SMS queued: $(sql "SELECT msisdn, text FROM outbox")"
echo "e2e: ok DeliverReq archived byte-exact, charged $size bytes, 'Saved as M1' queued"

# --- the same DeliverReq again (the MMSC did not see our answer): stored once
[[ $(post "$VAR/d1") == "200 1000" ]] || fail "duplicate DeliverReq not answered 1000"
[[ $(sql "SELECT count(*) FROM mms") == 1 ]] || fail "duplicate DeliverReq stored twice"
[[ $(sql "SELECT count(*) FROM outbox") == 1 ]] || fail "duplicate DeliverReq told the phone twice"
echo "e2e: ok duplicate DeliverReq answered 1000, stored once"

# --- an unbound phone: 1000, nothing stored, the registration hint (in
# Chinese: the MMS's text is)
deliver_req "$VAR/d2" mmsc-dlv-0002 8613800000009 Hello
[[ $(post "$VAR/d2") == "200 1000" ]] || fail "unbound phone's DeliverReq not answered 1000"
[[ $(sql "SELECT count(*) FROM mms") == 1 ]] || fail "an unbound phone's MMS was stored"
[[ $(sql "SELECT count(*) FROM outbox WHERE msisdn = '8613800000009' AND text LIKE '本机未开通%注册%'") == 1 ]] \
    || fail "no registration hint for the unbound phone: $(sql "SELECT msisdn, text FROM outbox")"
echo "e2e: ok unbound phone: 1000, not stored, hint queued"

# --- refused before the body is read, and hostile envelopes
code=$(curl -s -o /dev/null -w '%{http_code}' -u mmsc:wrong -H "Content-Type: $CT" --data-binary "@$VAR/d1" "$URL")
[[ $code == 401 ]] || fail "wrong credentials: HTTP $code, want 401"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Content-Type: $CT" --data-binary "@$VAR/d1" "$URL")
[[ $code == 401 ]] || fail "no credentials: HTTP $code, want 401"
code=$(curl -s -o /dev/null -w '%{http_code}' -u mmsc:s3cret-mm7 --data-binary "@$VAR/d1" \
    "http://127.0.0.1:$SV_MMS_PORT/mm7/nosuchmmsc")
[[ $code == 404 ]] || fail "unknown MMSC path: HTTP $code, want 404"
head -c 300000 /dev/zero | tr '\0' 'x' >"$VAR/big"
[[ $(post "$VAR/big") == "413 2004" ]] || fail "oversize body not refused 413/2004"
printf '%s' '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' \
    '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><x>&e;</x></env:Body></env:Envelope>' \
    >"$VAR/xxe"
got=$(curl -s -w ' %{http_code}' -u mmsc:s3cret-mm7 -H 'Content-Type: text/xml' --data-binary "@$VAR/xxe" "$URL")
[[ $got == *"<mm7:StatusCode>4004</mm7:StatusCode>"*" 500" ]] || fail "DOCTYPE not refused 500/4004: $got"
[[ $got != *root:* ]] || fail "an external entity was read"
[[ $(sql "SELECT count(*) FROM mms") == 1 && $(sql "SELECT count(*) FROM outbox") == 2 ]] \
    || fail "a refused request wrote something"
echo "e2e: ok refused: wrong/no credentials 401, unknown path 404, oversize 413/2004, DOCTYPE 500/4004"

# --- the metrics (issue 13): MMS in by outcome, MM7 answers by operation and class
metrics "$VAR/m1.txt"
moved "$VAR/m0.txt" "$VAR/m1.txt" 'smsvault_mms_received_total{outcome="stored"}' 1
moved "$VAR/m0.txt" "$VAR/m1.txt" 'smsvault_mms_received_total{outcome="again"}' 1
moved "$VAR/m0.txt" "$VAR/m1.txt" 'smsvault_mms_received_total{outcome="unbound"}' 1
moved "$VAR/m0.txt" "$VAR/m1.txt" 'smsvault_mms_received_total{outcome="no-space"}' 0
moved "$VAR/m0.txt" "$VAR/m1.txt" 'smsvault_mm7_requests_total{operation="DeliverReq",status_class="1xxx"}' 3
moved "$VAR/m0.txt" "$VAR/m1.txt" 'smsvault_mm7_requests_total{operation="refused",status_class="4xxx"}' 2
moved "$VAR/m0.txt" "$VAR/m1.txt" 'smsvault_mm7_requests_total{operation="refused",status_class="2xxx"}' 1
grep -qE '^smsvault_build_info\{program="vaultmms",' "$VAR/m1.txt" || fail "vaultmms build_info"
echo "e2e: ok vaultmms /metrics: 3 DeliverReq (stored, again, unbound), 3 refused, as done"

# --- killed -9 between the commit and the answer: the retry is answered
# 1000 and the MMS is stored once
svc_vaultmms_stop "$VAR"
SV_VAULTMMS_ENV=SMSVAULT_TEST_DIE_AFTER_COMMIT=1 e2e_start vaultmms
deliver_req "$VAR/d3" mmsc-dlv-0003 +8613800000001 Sunset
got=$(post "$VAR/d3")
[[ $got == "000 none" ]] || fail "the hooked vaultmms answered ($got) instead of dying"
deadline=$((SECONDS + 20))
while sv_running vaultmms "$VAR"; do
    ((SECONDS < deadline)) || fail "the test hook did not end vaultmms"
    sleep 0.05
done
[[ $(sql "SELECT count(*) FROM mms WHERE subject = 'Sunset'") == 1 ]] || fail "the MMS was not committed before the kill"
e2e_start vaultmms
[[ $(post "$VAR/d3") == "200 1000" ]] || fail "retry after the kill not answered 1000"
[[ $(sql "SELECT count(*) FROM mms WHERE subject = 'Sunset'") == 1 ]] || fail "retry after the kill stored twice"
[[ $(sql "SELECT count(*) FROM outbox WHERE text LIKE 'Saved as M2.%'") == 1 ]] || fail "M2 told twice or not at all"
"$VAULTCTL" fsck >/dev/null || fail "vaultctl fsck after the kill"
echo "e2e: ok killed -9 between commit and answer: the retry answered 1000, stored once"

# --- MMS out on the MM7 path: DeliveryReportReq for an MMS we submitted
# (an outbox row and its submission made as the store makes them) and for a
# MessageID we never submitted, counted by what they said
metrics "$VAR/r0.txt"
oid=$(sql "INSERT INTO outbox (user_id, msisdn, text, channel) SELECT id, '$A', 'mms M1', 'mms' FROM users
           WHERE username = 'alice' RETURNING id")
oid=${oid%%$'\n'*}
sql "INSERT INTO mm7_submissions (outbox_id, mmsc, message_id) VALUES ($oid, 'sim', 'msg-e2e-1')" >/dev/null
report() {   # report <tid> <MessageID> <MMStatus>: prints "HTTP-status MM7-status"
    printf '%s' "<E:Envelope xmlns:E=\"http://schemas.xmlsoap.org/soap/envelope/\"><E:Header>" \
        "<m:TransactionID xmlns:m=\"$NS\">$1</m:TransactionID></E:Header><E:Body>" \
        "<m:DeliveryReportReq xmlns:m=\"$NS\"><m:MM7Version>6.8.0</m:MM7Version><m:MessageID>$2</m:MessageID>" \
        "<m:Recipient><m:Number>$A</m:Number></m:Recipient><m:MMStatus>$3</m:MMStatus>" \
        "</m:DeliveryReportReq></E:Body></E:Envelope>" >"$VAR/report.xml"
    CT='text/xml; charset="utf-8"' post "$VAR/report.xml"
}
[[ $(report dr-e2e-1 msg-e2e-1 Retrieved) == "200 1000" ]] || fail "DeliveryReportReq Retrieved not answered 1000"
[[ $(sql "SELECT state FROM outbox WHERE id = $oid") == 3 ]] || fail "the report did not deliver the outbox row"
# the MMSC's retry of the same report: answered the same, counted apart
[[ $(report dr-e2e-1b msg-e2e-1 Retrieved) == "200 1000" ]] || fail "a repeated DeliveryReportReq not answered 1000"
got=$(report dr-e2e-2 msg-never Retrieved)
[[ $got == *" 2005" ]] || fail "a report of an unknown MessageID: $got"
metrics "$VAR/r1.txt"
moved "$VAR/r0.txt" "$VAR/r1.txt" 'smsvault_mms_sent_results_total{path="mm7",result="delivered"}' 1
moved "$VAR/r0.txt" "$VAR/r1.txt" 'smsvault_mms_sent_results_total{path="mm7",result="again"}' 1
moved "$VAR/r0.txt" "$VAR/r1.txt" 'smsvault_mms_sent_results_total{path="mm7",result="unknown"}' 1
moved "$VAR/r0.txt" "$VAR/r1.txt" 'smsvault_mm7_requests_total{operation="DeliveryReportReq",status_class="1xxx"}' 2
echo "e2e: ok DeliveryReportReq: the submitted MMS delivered and counted once (its repeat apart), an unknown MessageID counted apart"

# --- the direct path's retrieval URL. A delivery of M1 made as the store
# makes one: 16 random bytes, their SHA-256 stored, the token base64url.
head -c 16 /dev/urandom >"$VAR/raw"
token=$(base64 -w0 "$VAR/raw" | tr '+/' '-_' | tr -d '=')
did=$(sql "INSERT INTO mms_retrievals (token_hash, user_id, mms_n, msisdn, expires_at)
           SELECT sha256(decode('$(od -An -v -tx1 "$VAR/raw" | tr -d ' \n')', 'hex')), id, 1, '$A',
                  now() + interval '1 hour' FROM users WHERE username = 'alice' RETURNING id")
did=${did%%$'\n'*}   # the id, without psql's "INSERT 0 1" (no pipe to head: psql could die of SIGPIPE)
[[ $did =~ ^[0-9]+$ ]] || fail "no delivery row: $did"
got=$(curl -s -o "$VAR/conf.bin" -w '%{http_code} %{content_type}' "$RURL/$token")
[[ $got == "200 application/vnd.wap.mms-message" ]] || fail "GET of the retrieval URL: $got"
[[ $(od -An -N2 -tx1 "$VAR/conf.bin" | tr -d ' ') == 8c84 ]] || fail "the answer is not an m-retrieve-conf"
(($(stat -c %s "$VAR/conf.bin") > size)) || fail "the m-retrieve-conf is smaller than the MMS"
grep -qF "smsvault-d$did" "$VAR/conf.bin" || fail "the m-retrieve-conf does not name delivery $did"
# once: then the same answer as a token never made
got=$(curl -s -o "$VAR/again.bin" -w '%{http_code}' "$RURL/$token")
curl -s -o "$VAR/never.bin" "$RURL/AAAAAAAAAAAAAAAAAAAAAA"
[[ $got == 404 ]] && cmp -s "$VAR/again.bin" "$VAR/never.bin" || fail "a used token: $got, or not the unknown answer"
# the handset's m-notifyresp-ind (type 0x83, its Transaction-Id, MMS 1.2, status Retrieved)
{ printf '\x8c\x83\x98smsvault-d%s\x00\x8d\x92\x95\x81' "$did"; } >"$VAR/notifyresp"
got=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/vnd.wap.mms-message' \
    --data-binary "@$VAR/notifyresp" "$RURL/$token")
[[ $got == 200 ]] || fail "m-notifyresp-ind: HTTP $got"
[[ $(sql "SELECT state FROM mms_retrievals WHERE id = $did") == 2 ]] || fail "the delivery is not marked delivered"
[[ $(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$VAR/notifyresp" "$RURL/$token") == 404 ]] ||
    fail "a second m-notifyresp-ind was taken"
for probe in "GET $RURL/" "GET http://127.0.0.1:$SV_MMS_RETRIEVE_PORT/mm7/sim" "DELETE $RURL/$token"; do
    read -r method url <<<"$probe"
    got=$(curl -s -o /dev/null -w '%{http_code}' -X "$method" "$url")
    [[ ($method == GET && $got == 404) || ($method == DELETE && $got == 405) ]] || fail "$probe: HTTP $got"
done
head -c 5000 /dev/zero >"$VAR/big-answer"
[[ $(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$VAR/big-answer" "$RURL/$token") == 413 ]] ||
    fail "an oversize answer was read"
! grep -qF "$token" "$VAR/log/vaultmms.log" || fail "the token is in the log"
metrics "$VAR/r2.txt"
moved "$VAR/r1.txt" "$VAR/r2.txt" 'smsvault_mms_sent_results_total{path="direct",result="fetched"}' 1
moved "$VAR/r1.txt" "$VAR/r2.txt" 'smsvault_mms_sent_results_total{path="direct",result="delivered"}' 1
# the used token's GET, the never-made token's GET, the second notifyresp
moved "$VAR/r1.txt" "$VAR/r2.txt" 'smsvault_mms_sent_results_total{path="direct",result="unknown"}' 3
echo "e2e: ok retrieval URL: served once, then the unknown token's 404; notifyresp marks it delivered; 404/405/413; counted"

# --- an accepted MMS whose answer never comes: after [mms] report_wait it
# counts as sent (outbox state 6), once, and the metric says so. Restarted
# with report_wait = 1 and the lease (which sweeps) renewed every second.
oid=$(sql "INSERT INTO outbox (user_id, msisdn, text, channel, state, updated_at) SELECT id, '$A', 'mms M1 quiet',
           'mms', 2, now() - interval '1 minute' FROM users WHERE username = 'alice' RETURNING id")
oid=${oid%%$'\n'*}
svc_vaultmms_stop "$VAR"
printf '[mms]\nreport_wait = 1\ninstance_grace = 5\n' >>"$SV_CONF"
e2e_start vaultmms
deadline=$((SECONDS + 20))
until [[ $(sql "SELECT state FROM outbox WHERE id = $oid") == 6 ]]; do
    ((SECONDS < deadline)) || fail "an accepted MMS with no report was not counted as sent after report_wait"
    sleep 0.2
done
sleep 1.5   # a sweep more: what is settled is settled once
metrics "$VAR/r4.txt"
# every sent MMS row is this process's doing (report_wait was two days
# before), and its counters started at zero with it
want=$(sql "SELECT count(*) FROM outbox WHERE channel = 'mms' AND state = 6")
moved /dev/null "$VAR/r4.txt" 'smsvault_mms_sent_results_total{path="direct",result="unreported"}' "$want"
echo "e2e: ok no answer within [mms] report_wait: the MMS counted as sent (state 6) and as unreported, once"

e2e_pass
