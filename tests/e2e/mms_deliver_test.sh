#!/usr/bin/env bash
# mms_deliver_test.sh <build-dir> — GET M1 delivers a real MMS (issue 9,
# "Download"), on the whole simulated network. The phone sends a JPEG +
# text MMS (phonesim -> mmscsim -> DeliverReq -> vaultmms: archived), then:
#   1. mm7: GET M1 -> vaultmms's SubmitReq -> mmscsim -> WAP push -> the
#      phone fetches from mmscsim: both parts byte-exact (SHA-256 of the
#      files); mmscsim's DeliveryReportReq makes the outbox request
#      delivered (queued -> sending -> submitted -> delivered), which the
#      web API shows on the MMS.
#   2. the web's "send to my phone" for the MMS: the same way (the API's
#      answer, the MMS at the phone, delivery state on /api/mms/1).
#   3. the MMSC down: the SubmitReq is retried (back-off) until it is back,
#      then delivered once.
#   4. a 2xxx from the MMSC: failed, the user told by SMS — in English, and
#      in Chinese for a Chinese account.
#   5. vaultmms killed -9 between claim and submit: another vaultmms takes
#      the request over once the dead one's lease is gone: delivered.
#   6. direct: vaultmms with [mms] delivery = direct: the m-notification-ind
#      goes as binary SMS through vaultbox, bearerbox and smscsim, the phone
#      fetches vaultmms's one-time retrieval URL and answers there:
#      byte-exact, delivered.
# Needs the test cluster of ./smsvault test (SMSVAULT_TEST_PGADMIN); every
# process on free loopback ports in a temp dir (tests/e2e/lib.sh).
set -euo pipefail

BUILD=$(cd "${1:?usage: mms_deliver_test.sh <build-dir>}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$ROOT/tests/e2e/lib.sh"
# shellcheck source=scripts/svc/mmscsim.sh
source "$ROOT/scripts/svc/mmscsim.sh"
e2e_begin mms-deliver
fail() { e2e_fail "$@"; }
ok() { echo "e2e: ok $*"; }
sql() { psql -X -tA "$SMSVAULT_PGURI" -c "$1"; }

e2e_ports
e2e_mms_ports
export SV_MMSCSIM_ARGS="--retry-ms 200 --retry-max-ms 800"
# quick retries of our SubmitReq, and a quick take-over of a dead vaultmms's claims
QUICK=$'[mms]\nretry_min = 1\nretry_max = 2\nsubmit_attempts = 100\ninstance_grace = 2'
e2e_db mms_deliver
e2e_conf "$QUICK"

e2e_start smscsim
e2e_start bearerbox
e2e_start vaultbox
e2e_start vaultmms
e2e_start mmscsim
e2e_start vaultweb
echo "e2e: stack up in $((SECONDS - E2E_T0)) s"

A=8613800000301 B=8613800000302
mms_phone() { e2e_mms_phone "$@"; }
sha() { sha256sum "$1" | cut -c1-64; }
# the newest request for MMS 1 of user $1: its derived state (outbox.c) and attempts
req_state() {
    sql "SELECT o.state FROM outbox o JOIN users u ON u.id = o.user_id
         WHERE u.username = '$1' AND o.kind = 1 AND o.item_kind = 1 ORDER BY o.id DESC LIMIT 1"
}
req_is() { [[ $(req_state "$1") == "$2" ]]; }

{ printf '\xff\xd8\xff\xe0\x00\r\n'; head -c 40000 /dev/urandom; } >"$VAR/photo.jpg"
printf '海边的问候 🌊\r\nGreetings from the beach\n' >"$VAR/note.txt"

# pushed_mms <pushes before> <what>: once mmscsim pushed one more MMS
# notification, what the phone has (phonesim sending nothing: it fetches)
pushed_mms() {
    sv_wait_for "$2: the MMSC's push" 60 mstat_ge pushes $(($1 + 1)) || fail "$2: no push: $(mctl stats)"
    e2e_phone --from "$A" --timeout 1000 || true
}
# got_mms <phonesim output> <what>: one MMS with the two files, byte-exact
got_mms() {
    grep -q "^MMS from=.* parts=2 " <<<"$1" || fail "$2: no MMS reached the phone: $1"
    grep -q "^  part=1 type=image/jpeg size=$(stat -c %s "$VAR/photo.jpg") sha256=$(sha "$VAR/photo.jpg") " <<<"$1" ||
        fail "$2: the JPEG is not byte-exact: $1"
    grep -q "^  part=2 type=text/plain;charset=utf-8 size=$(stat -c %s "$VAR/note.txt") sha256=$(sha "$VAR/note.txt") " \
        <<<"$1" || fail "$2: the text is not byte-exact: $1"
}

e2e_expect "$A" "REG alice alicepass1" "alice"
out=$(mms_phone "$A" --expect 1 --timeout 30000 --subject "Beach" --mms "$VAR/photo.jpg" "$VAR/note.txt") ||
    fail "the phone's MMS: no 'Saved' SMS: $out"
grep -q "^Saved as M1\." <<<"$out" || fail "not saved as M1: $out"
[[ $(sql "SELECT peer || '|' || source || '|' || nparts FROM mms WHERE n = 1") == "|mm7|2" ]] ||
    fail "M1 row: $(sql "SELECT peer, source, nparts FROM mms")"
ok "the phone's JPEG + text MMS archived as M1 (the user's own: no peer)"

# ---- 1. mm7: GET M1
out=$(e2e_phone --from "$A" --timeout 30000 "GET M1") || fail "GET M1 (mm7): $out"
got_mms "$out" "GET M1 by MM7"
sv_wait_for "the request delivered (DeliveryReportReq)" 30 req_is alice 3 || fail "GET M1: state $(req_state alice)"
grep -q "path=mm7 mmsc=sim submitted attempt=1" "$VAR/log/vaultmms.log" || fail "no SubmitReq logged"
[[ $(sql "SELECT count(*) FROM mm7_submissions WHERE mm_status = 'Retrieved'") == 1 ]] ||
    fail "MessageID/report not kept: $(sql "SELECT * FROM mm7_submissions")"
ok "GET M1 by MM7: SubmitReq, WAP push, fetch: byte-exact; delivered by the DeliveryReportReq"

# ---- 2. the web's "send to my phone"
jar=$VAR/alice.jar
code=$(curl -sS -o "$VAR/login" -w '%{http_code}' -c "$jar" -H 'X-Smsvault-Csrf: 1' \
    -H 'Content-Type: application/json' --data '{"username":"alice","password":"alicepass1"}' "$WEB/api/login")
[[ $code == 200 ]] || fail "web login: $code $(cat "$VAR/login")"
curl -sS -f -b "$jar" "$WEB/api/mms/1" >"$VAR/item" || fail "GET /api/mms/1"
[[ $(jq -r '.delivery.state + " " + .delivery.phone' "$VAR/item") == "delivered +$A" ]] ||
    fail "the page does not show GET's delivery: $(jq -c .delivery "$VAR/item")"
pushes=$(mstat pushes)
curl -sS -f -b "$jar" -H 'X-Smsvault-Csrf: 1' -H 'Content-Type: application/json' \
    --data '{"kind":"mms","ns":[1]}' "$WEB/api/send" >"$VAR/send" || fail "POST /api/send"
[[ $(jq -r '.queued' "$VAR/send") == 1 ]] || fail "send: $(cat "$VAR/send")"
out=$(pushed_mms "$pushes" "send to my phone")
got_mms "$out" "send to my phone"
web_delivered() {
    curl -sS -f -b "$jar" "$WEB/api/mms/1" >"$VAR/item" && [[ $(jq -r .delivery.state "$VAR/item") == delivered ]]
}
sv_wait_for "the page shows the web's request delivered" 30 web_delivered ||
    fail "web delivery: $(jq -c .delivery "$VAR/item")"
ok "the web's send to my phone: the same way, byte-exact, the page shows it delivered"

# ---- 3. the MMSC down: retried with back-off until it is back
pushes=$(mstat pushes)
[[ $(mctl down) == OK ]] || fail "mmscsim down"
e2e_phone --from "$A" --timeout 500 --quiet 200 "GET M1" >/dev/null 2>&1 || true
retried() { (($(grep -c "path=mm7 retry attempt=" "$VAR/log/vaultmms.log") >= 2)); }
sv_wait_for "vaultmms retrying the SubmitReq" 30 retried || fail "no retries: $(tail -5 "$VAR/log/vaultmms.log")"
[[ $(req_state alice) == 0 || $(req_state alice) == 1 ]] || fail "down: state $(req_state alice)"
[[ $(mctl up) == OK ]] || fail "mmscsim up"
out=$(pushed_mms "$pushes" "MMSC back")
got_mms "$out" "MMSC back"
sv_wait_for "delivered after the MMSC came back" 30 req_is alice 3 || fail "after down: state $(req_state alice)"
attempts=$(sql "SELECT attempts FROM outbox WHERE kind = 1 ORDER BY id DESC LIMIT 1")
((attempts >= 2)) || fail "attempts $attempts"
ok "the MMSC down: $attempts tries with back-off, delivered once it was back"

# ---- 4. a 2xxx: failed, the user told (English, and Chinese)
[[ $(mctl "fault?status=2004&count=1") == OK ]] || fail "fault"
out=$(e2e_phone --from "$A" --timeout 30000 "GET M1") || fail "GET M1 (2004): no reply"
grep -q "^M1 could not be delivered to your phone as an MMS" <<<"$out" || fail "2004: the user was not told: $out"
req_is alice 4 || fail "2004: state $(req_state alice)"
[[ $(sql "SELECT reason FROM outbox WHERE kind = 1 ORDER BY id DESC LIMIT 1") == *"status 2004"* ]] ||
    fail "2004: reason $(sql "SELECT reason FROM outbox WHERE kind = 1 ORDER BY id DESC LIMIT 1")"
e2e_expect "$B" "注册 bob bobpass123" "bob"
out=$(mms_phone "$B" --expect 1 --timeout 30000 --subject "海边" --mms "$VAR/photo.jpg" "$VAR/note.txt") ||
    fail "bob's MMS: $out"
[[ $(mctl "fault?status=2001&count=1") == OK ]] || fail "fault"
out=$(e2e_phone --from "$B" --timeout 30000 "下载 M1") || fail "下载 M1 (2001): no reply"
grep -q "^彩信 M1 未能发送到您的手机" <<<"$out" || fail "2001: the Chinese user was not told in Chinese: $out"
req_is bob 4 || fail "2001: state $(req_state bob)"
curl -sS -f -b "$jar" "$WEB/api/mms/1" >"$VAR/item"
[[ $(jq -r .delivery.state "$VAR/item") == failed ]] || fail "the page: $(jq -c .delivery "$VAR/item")"
ok "2004 / 2001: failed, the user told by SMS (en, zh), the page shows failed"
# what vaultmms counted of its tries so far (one process since the start)
e2e_scrape "$SV_MMS_METRICS_PORT" "$VAR/metrics"
sent() { sed -n "s/^smsvault_mms_sent_total{path=\"mm7\",result=\"$1\"} //p" "$VAR/metrics"; }
(($(sent submitted) >= 3 && $(sent retry) >= 1 && $(sent failed) == 2)) ||
    fail "/metrics: $(grep '^smsvault_mms_sent_total' "$VAR/metrics")"
ok "/metrics counted the SubmitReq tries: $(grep '^smsvault_mms_sent_total' "$VAR/metrics" | tr '\n' ' ')"

# ---- 5. vaultmms killed -9 between claim and submit: delivered by the next one
svc_vaultmms_stop "$VAR"
SV_VAULTMMS_ENV=SMSVAULT_TEST_DIE_AFTER_CLAIM=1 e2e_start vaultmms
e2e_phone --from "$A" --timeout 500 --quiet 200 "GET M1" >/dev/null 2>&1 || true
dead() { ! sv_running vaultmms "$VAR"; }
sv_wait_for "vaultmms killed after its claim" 30 dead || fail "the test hook did not fire"
grep -q "test hook: killed after claim 1" "$VAR/log/vaultmms.log" || fail "not killed by the hook"
req_is alice 1 || fail "killed: the request is $(req_state alice), not claimed"
submits=$(mstat mm7_submit_ok) pushes=$(mstat pushes)
e2e_start vaultmms
out=$(pushed_mms "$pushes" "after kill -9")
got_mms "$out" "after kill -9"
sv_wait_for "delivered after the take-over" 30 req_is alice 3 || fail "after kill: state $(req_state alice)"
[[ $(mstat mm7_submit_ok) == $((submits + 1)) ]] || fail "submitted $(($(mstat mm7_submit_ok) - submits)) times"
ok "vaultmms killed -9 between claim and submit: the next one took the request over, delivered once"

# ---- 6. direct: WAP push through vaultbox, the phone fetches vaultmms's URL
svc_vaultmms_stop "$VAR"
e2e_conf "$QUICK"$'\ndelivery = direct'
e2e_start vaultmms
sms_before=$(sql "SELECT count(*) FROM outbox WHERE kind = 2")
out=$(e2e_phone --from "$A" --timeout 30000 "GET M1") || fail "GET M1 (direct): $out"
got_mms "$out" "GET M1 directly"
grep -q "^MMS from=$SV_SHORTCODE" <<<"$out" || fail "direct: not from the short code: $out"
sv_wait_for "delivered by the handset's answer" 30 req_is alice 3 || fail "direct: state $(req_state alice)"
[[ $(sql "SELECT count(*) FROM outbox WHERE kind = 2 AND channel = 'sms' AND state IN (2, 3)") -gt $sms_before ]] ||
    fail "the push was not sent by vaultbox: $(sql "SELECT id, kind, channel, state FROM outbox WHERE kind = 2")"
[[ $(sql "SELECT state FROM mms_retrievals ORDER BY id DESC LIMIT 1") == 2 ]] || fail "retrieval not delivered"
grep -q "retrieve .* fetched d=" "$VAR/log/vaultmms.log" || fail "the phone did not fetch from vaultmms"
curl -sS -f -b "$jar" "$WEB/api/mms/1" >"$VAR/item"
[[ $(jq -r .delivery.state "$VAR/item") == delivered ]] || fail "the page: $(jq -c .delivery "$VAR/item")"
ok "GET M1 directly: WAP push via vaultbox/Kannel, fetched from vaultmms: byte-exact, delivered"
e2e_pass
