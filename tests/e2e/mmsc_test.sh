#!/usr/bin/env bash
# mmsc_test.sh <build dir> — the simulated MMS network end to end, without
# Kannel or smsvault: phonesim (the handset) <-MM1-> mmscsim (the
# operator's MMSC) <-MM7-> vasp_stub (tests/e2e/vasp_stub.c, a VASP that
# records what it is posted), with smscsim carrying the MMSC's WAP pushes
# to the handset.
#
#  - an MMS from the handset to the short code reaches the VASP as a
#    DeliverReq in each dialect, every part byte-exact, with Basic auth;
#  - the MMSC retries 3xxx, gives up on 2xxx, posts twice with dup, pads
#    with pad, holds everything while down and delivers once up again;
#  - a SubmitReq from the VASP reaches the handset by WAP push + HTTP
#    retrieval byte-exact (SHA-256 and saved files), the handset's
#    m-notifyresp-ind becomes a DeliveryReportReq to the VASP;
#  - SubmitReq fault knobs: any status, HTTP 500, an empty 200, a delay
#    past the client's timeout, a slow body, oversize content, no auth.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/svc/mmscsim.sh
source "$E2E_ROOT/scripts/svc/mmscsim.sh"
e2e_begin mmsc
e2e_ports
SV_MMSC_MM1_PORT=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_BB_ADMIN_PORT" "$SV_BB_BOX_PORT")
SV_MMSC_MM7_PORT=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_MMSC_MM1_PORT")
SV_MMSC_CTL_PORT=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_MMSC_MM1_PORT" "$SV_MMSC_MM7_PORT")
STUB=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_MMSC_MM1_PORT" "$SV_MMSC_MM7_PORT" "$SV_MMSC_CTL_PORT")
MM1=$SV_MMSC_MM1_PORT MM7=$SV_MMSC_MM7_PORT MCTL=$SV_MMSC_CTL_PORT
export SV_MMSC_MM1_PORT SV_MMSC_MM7_PORT SV_MMSC_CTL_PORT
export SV_MMSC_VASP_URL=http://127.0.0.1:$STUB/mm7
export SV_MMSCSIM_ARGS="--vasp-user vasp --vasp-password vsecret --mm7-user smsvault --mm7-password s3cret --retry-ms 200 --retry-max-ms 1000 --max-attempts 5 --vasp-timeout-ms 5000"
A=8613800000101 B=8613800000102

ok() { echo "e2e: ok $*"; }

e2e_start smscsim
mkdir -p "$VAR/vasp" "$VAR/saved"
sv_start_bg vasp_stub "$VAR" "$BUILD/smsc/vasp_stub" --port "$STUB" --dir "$VAR/vasp" \
    --user vasp --password vsecret
e2e_defer "sv_stop_bg vasp_stub '$VAR'"
sv_wait_tcp "$STUB" 10 "$(sv_pid vasp_stub "$VAR")" || e2e_fail "vasp_stub did not start"
e2e_start mmscsim

ctl() { curl -sS -f "http://127.0.0.1:$MCTL/$1"; }
mstat() { ctl stats | tr ' ' '\n' | sed -n "s/^$1=//p"; }
mstat_is() { [[ $(mstat "$1") == "$2" ]]; }
stub_count() { find "$VAR/vasp" -mindepth 1 -maxdepth 1 -name '[0-9]*' | wc -l; }
stub_has() { [[ $(stub_count) -ge $1 ]]; }
info() { cat "$VAR/vasp/$1/info"; }
field() { info "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
phone() {
    "$BUILD/smsc/phonesim" --control "127.0.0.1:$SV_SMSC_CTL_PORT" --to 10659 \
        --mmsc "http://127.0.0.1:$MM1/mm1" --save-dir "$VAR/saved" --quiet 500 "$@"
}
submit() { # submit <body file> [curl args...]: SubmitReq to the MMSC; prints the HTTP status
    local body=$1; shift
    curl -sS -o "$VAR/answer" -w '%{http_code}' -u smsvault:s3cret \
        -H 'Content-Type: multipart/related; boundary="outer"; type="text/xml"; start="<soap-1>"' \
        -H 'SOAPAction: ""' --data-binary "@$body" "$@" "http://127.0.0.1:$MM7/mm7"
}

# ---- the handset's files
{ printf '\xff\xd8\xff\xe0'; head -c 4000 /dev/urandom; } >"$VAR/beach.jpg"
printf 'Greetings from the beach 你好\n' >"$VAR/note.txt"
printf '<smil><body><par><img src="beach.jpg"/><text src="note.txt"/></par></body></smil>' >"$VAR/pres.smil"
files=("$VAR/beach.jpg" "$VAR/note.txt" "$VAR/pres.smil")

# ---- 1. MO in each dialect: DeliverReq to the VASP, parts byte-exact
declare -A marker=([3gpp]='<DeliverReq xmlns=' [nokia]='<mm7p6a0:DeliverReq' [mbuni]='<SOAP-ENV:Envelope')
n=0
for d in 3gpp nokia mbuni; do
    [[ $(ctl "fault?dialect=$d") == OK ]] || e2e_fail "dialect $d"
    out=$(phone --from "$A" --subject "Holiday $d" --mms "${files[@]}") || e2e_fail "MMS send ($d): $out"
    grep -q '^MMS sent .*status=0x80 message_id=mmscsim-' <<<"$out" || e2e_fail "no m-send-conf Ok: $out"
    n=$((n + 1))
    sv_wait_for "DeliverReq $n" 20 stub_has "$n" || e2e_fail "no DeliverReq ($d)"
    [[ $(field $n kind) == DeliverReq && $(field $n parts) == 3 && $(field $n recipients) == *10659* &&
        $(field $n sender) == *$A* ]] || e2e_fail "DeliverReq $d: $(info $n)"
    grep -qF "${marker[$d]}" "$VAR/vasp/$n/request" || e2e_fail "DeliverReq is not in the $d dialect"
    for k in 1 2 3; do
        cmp -s "$VAR/vasp/$n/part-$k" "${files[$((k - 1))]}" || e2e_fail "$d part $k differs"
    done
    [[ $(cat "$VAR/vasp/$n/part-1.type") == image/jpeg && $(cat "$VAR/vasp/$n/part-3.type") == application/smil ]] ||
        e2e_fail "$d part types"
    ok "MO MMS -> DeliverReq ($d dialect), 3 parts byte-exact, Basic auth"
done
ctl "fault?dialect=3gpp" >/dev/null

# ---- 2. 3xxx is retried with the same TransactionID, 2xxx is final
curl -sf "http://127.0.0.1:$STUB/_stub?status=3000&count=2" >/dev/null
retries=$(mstat deliver_retries)
phone --from "$A" --mms "$VAR/note.txt" >/dev/null || e2e_fail "MMS send (retry)"
sv_wait_for "three attempts" 20 stub_has $((n + 3)) || e2e_fail "no retries"
[[ $(field $((n + 1)) answered) == 3000 && $(field $((n + 2)) answered) == 3000 &&
    $(field $((n + 3)) answered) == 1000 ]] || e2e_fail "answers: $(info $((n + 3)))"
[[ $(field $((n + 1)) tid) == "$(field $((n + 3)) tid)" ]] || e2e_fail "a retry changed the TransactionID"
[[ $(mstat deliver_retries) -ge $((retries + 2)) ]] || e2e_fail "deliver_retries"
n=$((n + 3))
ok "3000 retried twice with the same TransactionID, then 1000"
curl -sf "http://127.0.0.1:$STUB/_stub?status=2007&count=1" >/dev/null
failed=$(mstat deliver_failed)
phone --from "$A" --mms "$VAR/note.txt" >/dev/null || e2e_fail "MMS send (2007)"
sv_wait_for "deliver_failed" 20 mstat_is deliver_failed $((failed + 1)) || e2e_fail "2007 not final"
n=$((n + 1))
stub_has $((n + 1)) && e2e_fail "a 2007 was posted again"
ok "2007 is final: posted once, counted failed"

# ---- 3. duplicates and oversize
ctl "fault?dup=1" >/dev/null
phone --from "$A" --mms "$VAR/note.txt" >/dev/null || e2e_fail "MMS send (dup)"
sv_wait_for "two DeliverReq" 20 stub_has $((n + 2)) || e2e_fail "no duplicate"
[[ $(field $((n + 1)) tid) == "$(field $((n + 2)) tid)" ]] || e2e_fail "dup: TransactionIDs differ"
n=$((n + 2))
ok "dup: the same DeliverReq posted twice"
ctl "fault?dup=0&pad=200000" >/dev/null
phone --from "$A" --mms "$VAR/note.txt" >/dev/null || e2e_fail "MMS send (pad)"
n=$((n + 1))
sv_wait_for "padded DeliverReq" 20 stub_has "$n" || e2e_fail "no padded DeliverReq"
[[ $(field $n parts) == 2 && $(wc -c <"$VAR/vasp/$n/part-2") -eq 200000 ]] ||
    e2e_fail "pad: $(info $n)"
ctl "fault?pad=0" >/dev/null
ok "pad: a 200000-byte part added"

# ---- 4. down: MM7 refuses connections, nothing goes to the VASP; up: it does
[[ $(ctl down) == OK ]] || e2e_fail "down"
set +e
curl -sS -o /dev/null "http://127.0.0.1:$MM7/mm7" -d x 2>/dev/null
rc=$?
set -e
[[ $rc -eq 7 ]] || e2e_fail "down: MM7 still answers (curl rc $rc)"
phone --from "$A" --mms "$VAR/note.txt" >/dev/null || e2e_fail "MMS send while down"
sv_wait_for "queued while down" 10 mstat_is queue 1 || e2e_fail "not queued while down"
stub_has $((n + 1)) && e2e_fail "posted while down"
[[ $(ctl up) == OK ]] || e2e_fail "up"
n=$((n + 1))
sv_wait_for "DeliverReq after up" 20 stub_has "$n" || e2e_fail "not delivered after up"
ok "down: connections refused, MO held; up: delivered"

# ---- 5. SubmitReq -> WAP push -> retrieval -> DeliveryReportReq
printf 'Hello from the archive' >"$VAR/text.txt"
gif64='R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=='
printf '%s' "$gif64" | base64 -d >"$VAR/dot.gif"
ns=http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4
submit_req() { # submit_req <file> <recipient> [extra bytes in the text part]
    {
        printf -- '--outer\r\nContent-Type: text/xml; charset="utf-8"\r\nContent-ID: <soap-1>\r\n\r\n'
        printf '<?xml version="1.0" encoding="UTF-8"?>\r\n<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">'
        printf '<env:Header><mm7:TransactionID xmlns:mm7="%s" env:mustUnderstand="1">vasp-sub-1</mm7:TransactionID></env:Header>' "$ns"
        printf '<env:Body><mm7:SubmitReq xmlns:mm7="%s"><mm7:MM7Version>6.8.0</mm7:MM7Version>' "$ns"
        printf '<mm7:SenderIdentification><mm7:VASPID>smsvault</mm7:VASPID><mm7:SenderAddress><mm7:ShortCode>10659</mm7:ShortCode></mm7:SenderAddress></mm7:SenderIdentification>'
        printf '<mm7:Recipients><mm7:To><mm7:Number>+%s</mm7:Number></mm7:To></mm7:Recipients>' "$2"
        printf '<mm7:DeliveryReport>true</mm7:DeliveryReport><mm7:Subject>Archived MMS #3</mm7:Subject>'
        printf '<mm7:Content href="cid:mms-3"/></mm7:SubmitReq></env:Body></env:Envelope>\r\n'
        printf -- '--outer\r\nContent-Type: multipart/mixed; boundary="inner"\r\nContent-ID: <mms-3>\r\n\r\n'
        printf -- '--inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Location: text.txt\r\n\r\n'
        cat "$VAR/text.txt"
        head -c "${3:-0}" /dev/zero | tr '\0' x
        printf '\r\n--inner\r\nContent-Type: image/gif; name="dot.gif"\r\nContent-ID: <img1>\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        printf '%s\r\n--inner--\r\n--outer--\r\n' "$gif64"
    } >"$1"
}
submit_req "$VAR/submit.txt" "$B"
[[ $(submit "$VAR/submit.txt") == 200 ]] || e2e_fail "SubmitReq: $(cat "$VAR/answer")"
grep -q '<StatusCode>1000</StatusCode>' "$VAR/answer" || e2e_fail "SubmitRsp: $(cat "$VAR/answer")"
mid=$(sed -n 's/.*<MessageID>\([^<]*\)<.*/\1/p' "$VAR/answer")
grep -q "$ns" "$VAR/answer" && grep -q 'vasp-sub-1' "$VAR/answer" || e2e_fail "SubmitRsp namespace/tid not echoed"
sv_wait_for "the push" 10 mstat_is pushes 1 || e2e_fail "no push"
out=$(phone --from "$B") || e2e_fail "retrieval: $out"
grep -q "^MMS from=10659 subject=Archived MMS #3 parts=2 message_id=$mid" <<<"$out" || e2e_fail "retrieved: $out"
for f in text.txt dot.gif; do
    sum=$(sha256sum "$VAR/$f" | cut -d' ' -f1)
    line=$(grep "name=$f\|file=.*$f" <<<"$out" | head -1)
    [[ $line == *"sha256=$sum"* ]] || e2e_fail "$f: checksum differs: $line"
    saved=$(sed -n 's/.* file=//p' <<<"$line")
    cmp -s "$saved" "$VAR/$f" || e2e_fail "$f: saved file differs"
done
[[ $(grep -c '^  part=' <<<"$out") == 2 ]] || e2e_fail "parts: $out"
n=$((n + 1))
sv_wait_for "DeliveryReportReq" 20 stub_has "$n" || e2e_fail "no DeliveryReportReq"
[[ $(field $n kind) == DeliveryReportReq && $(field $n message_id) == "$mid" ]] || e2e_fail "report: $(info $n)"
grep -q 'MMStatus>Retrieved<' "$VAR/vasp/$n/request" || e2e_fail "report MMStatus"
ctl messages | grep -q "message_id=$mid .*state=reported" || e2e_fail "message state: $(ctl messages)"
ok "SubmitReq -> push -> retrieval byte-exact (sha256, saved) -> DeliveryReportReq Retrieved"

# a handset whose MMSC setting is another host (the direct path) sends its
# m-notifyresp-ind to the Content-Location URL itself
[[ $(submit "$VAR/submit.txt") == 200 ]] || e2e_fail "SubmitReq (direct): $(cat "$VAR/answer")"
mid2=$(sed -n 's/.*<MessageID>\([^<]*\)<.*/\1/p' "$VAR/answer")
out=$("$BUILD/smsc/phonesim" --control "127.0.0.1:$SV_SMSC_CTL_PORT" --to 10659 --from "$B" \
    --mmsc http://127.0.0.1:1/mm1 --quiet 500) || e2e_fail "retrieval (direct): $out"
grep -q "^MMS from=10659 .*message_id=$mid2" <<<"$out" || e2e_fail "retrieved (direct): $out"
n=$((n + 1))
sv_wait_for "DeliveryReportReq (direct)" 20 stub_has "$n" || e2e_fail "no report for an ack at the retrieval URL"
[[ $(field $n message_id) == "$mid2" ]] || e2e_fail "report (direct): $(info $n)"
ok "an m-notifyresp-ind posted to the retrieval URL (MMSC setting elsewhere) counts"

# a phone that fetches again finds nothing waiting; a wrong token is 404
out=$(phone --from "$B") && [[ -z $out ]] || e2e_fail "second look: $out"
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MM1/mm1/r/0123456789abcdef") == 404 ]] ||
    e2e_fail "unknown retrieval token"

# ---- 6. SubmitReq fault knobs
[[ $(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/xml' --data-binary @"$VAR/submit.txt" \
    "http://127.0.0.1:$MM7/mm7") == 401 ]] || e2e_fail "no credentials accepted"
ctl "fault?status=2004&count=1" >/dev/null
[[ $(submit "$VAR/submit.txt") == 500 ]] && grep -q '<StatusCode>2004</StatusCode>' "$VAR/answer" ||
    e2e_fail "status knob: $(cat "$VAR/answer")"
[[ $(submit "$VAR/submit.txt") == 200 ]] || e2e_fail "count=1 did not end the fault"
ctl "fault?http=500&count=1" >/dev/null
[[ $(submit "$VAR/submit.txt") == 500 ]] && grep -q '<StatusCode>3000</StatusCode>' "$VAR/answer" ||
    e2e_fail "http knob"
ctl "fault?empty=1&count=1" >/dev/null
[[ $(submit "$VAR/submit.txt") == 200 && ! -s $VAR/answer ]] || e2e_fail "empty knob"
ctl "fault?status=4006&http=200&count=1" >/dev/null
[[ $(submit "$VAR/submit.txt") == 200 ]] && grep -q '<StatusCode>4006</StatusCode>' "$VAR/answer" ||
    e2e_fail "a fault with HTTP 200"
ctl "fault?delay_ms=3000&count=1" >/dev/null
set +e
submit "$VAR/submit.txt" --max-time 1 >/dev/null 2>&1
rc=$?
set -e
[[ $rc -eq 28 ]] || e2e_fail "delay knob: curl rc $rc, no timeout"
ctl "fault?slow_bps=400&count=1" >/dev/null
[[ $(submit "$VAR/submit.txt") == 200 ]] && grep -q '</env:Envelope>' "$VAR/answer" ||
    e2e_fail "slow body incomplete"
ctl "fault?max_message=40" >/dev/null
[[ $(submit "$VAR/submit.txt") == 500 ]] && grep -q '<StatusCode>2004</StatusCode>' "$VAR/answer" ||
    e2e_fail "oversize not refused"
ctl reset >/dev/null
ctl "fault?max_message=614400" >/dev/null
[[ $(submit "$VAR/submit.txt") == 200 ]] || e2e_fail "after reset"
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MCTL/fault?bogus=1") == 400 ]] ||
    e2e_fail "unknown knob accepted"
ok "SubmitReq knobs: 401, status, HTTP 500, empty 200, fault in 200, delay, slow body, oversize"
echo "e2e: mmsc: $(mstat deliver_ok) DeliverReq delivered, $(mstat pushes) pushes"
e2e_pass
