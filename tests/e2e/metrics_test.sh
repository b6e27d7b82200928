#!/usr/bin/env bash
# metrics_test.sh <build-dir> — GET /metrics of vaultbox and vaultweb on the
# real stack (smscsim, bearerbox, vaultbox, vaultweb, PostgreSQL), issue 13:
#   * each daemon serves the text format on 127.0.0.1:metrics_port only, and
#     Prometheus's promtool accepts it (parser and lint); the page's port has
#     no /metrics;
#   * after a known set of actions — three SAVEs (one grows the space), a
#     GET, a LOGIN with a wrong password by SMS, a failed web login, an
#     unauthenticated and an unknown API call, a phone-binding code the SMSC
#     reports undeliverable — every counter moved by exactly what was done:
#     MO received / applied, commands by command and result, MT queued /
#     submitted / delivered / failed by kind, login failures on both
#     channels, space growth (as many as space_grants has new rows), web
#     requests by route, method and code with their latency counts, and
#     nothing that did not happen (duplicates, gave-up, retries, reconnects);
#   * the database gauges equal what the database says;
#   * vaultctl status prints both endpoints and the database at a glance;
#   * with reports off (dlr_mask = 0), an accepted reply is sent (6): final,
#     and not counted among the MT waiting for a report;
#   * with reports on and none coming (the SMSC sends none), a reply is sent
#     (6) once [box] report_wait has passed, counted as unreported.
# Needs the test cluster of ./smsvault test (SMSVAULT_TEST_PGADMIN).
set -euo pipefail

BUILD=$(cd "${1:?usage: metrics_test.sh <build-dir>}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

source "$ROOT/tests/e2e/lib.sh"
e2e_begin metrics-e2e
e2e_ports
SV_WEB_PORT=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_BB_ADMIN_PORT" "$SV_BB_BOX_PORT")
BOX_M=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_BB_ADMIN_PORT" "$SV_BB_BOX_PORT" "$SV_WEB_PORT")
WEB_M=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_BB_ADMIN_PORT" "$SV_BB_BOX_PORT" "$SV_WEB_PORT" "$BOX_M")
export SV_WEB_PORT
WEB=http://127.0.0.1:$SV_WEB_PORT
e2e_db metrics_e2e
# a small space that the first SAVE makes grow (then 4 KiB leave room for
# the next ones); the database gauges read every second
e2e_conf "[quota]
initial = 2K
threshold = 2K
step = 4K
[box]
metrics_port = $BOX_M
metrics_db_interval = 1
[web]
metrics_port = $WEB_M"

fail() { e2e_fail "$@"; }
sql() { psql -X -tA "$SMSVAULT_PGURI" -c "$1"; }
sv_promtool >/dev/null || fail "no promtool (sv_promtool in scripts/lib.sh)"
scrape() { e2e_scrape "$@"; }   # <port> <file>
value() { e2e_metric "$@"; }    # <file> <series>
moved() { e2e_moved "$@"; }     # <before> <after> <series> <n>
# until_value <port> <series> <want> <what>: poll the endpoint (30 s at most)
until_value() {
    local deadline=$((SECONDS + 30)) f=$VAR/poll.txt
    while :; do
        curl -fsS --max-time 5 "http://127.0.0.1:$1/metrics" >"$f" || true
        awk -v v="$(value "$f" "$2")" -v w="$3" 'BEGIN { exit !(v == w) }' && return 0
        ((SECONDS < deadline)) || fail "$4: $2 is $(value "$f" "$2") (want $3)"
        sleep 0.2
    done
}
until_sql() { e2e_until_sql "$@"; }   # <query> <want> <what>

e2e_start smscsim
e2e_start bearerbox
e2e_start vaultbox
e2e_start vaultweb

# ---- where they listen
for p in "$BOX_M" "$WEB_M"; do
    addrs=$(ss -Hltn "sport = :$p" | awk '{ print $4 }' | sort -u | paste -sd, -)
    [[ $addrs == "127.0.0.1:$p" ]] || fail "metrics port $p listens on '$addrs', not 127.0.0.1 only"
done
code=$(curl -s -o /dev/null -w '%{http_code}' "$WEB/metrics")
[[ $code == 404 ]] || fail "the page's port answers /metrics with $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$BOX_M/other")
[[ $code == 404 ]] || fail "metrics port answers /other with $code"
echo "e2e: ok /metrics on 127.0.0.1 only, not on the page's port"

A=8613700000021 B=8613700000022 UNDELIVERABLE=8613900000099
e2e_expect $A "REG metrics pass1234" "Welcome metrics!"
e2e_web webby POST /api/register '{"username":"webby","password":"pass12345"}'
[[ $WS == 201 ]] || fail "web register: HTTP $WS: $WB"
[[ $(e2e_ctl "FAULT outcomes=$UNDELIVERABLE=UNDELIV") == OK* ]] || fail "smscsim FAULT outcomes"
until_sql "SELECT count(*) FROM outbox WHERE state NOT IN (3, 4)" 0 "the welcome not delivered"
until_value "$BOX_M" 'smsvault_mt_delivered_total{kind="reply"}' 1 "the welcome's report"
grants0=$(sql "SELECT count(*) FROM space_grants WHERE NOT initial")
scrape "$BOX_M" "$VAR/box0.txt"
scrape "$WEB_M" "$VAR/web0.txt"

# ---- what is done
e2e_expect $A "SAVE metrics one" "Your space grew to"
e2e_expect $A "SAVE metrics two" "Saved as 2."
e2e_expect $A "SAVE metrics three" "Saved as 3."
e2e_expect $A "GET 1" "metrics one"
e2e_expect $B "LOGIN webby wrongpass1" "Wrong user name or password"
e2e_web intruder POST /api/login '{"username":"webby","password":"wrongpass1"}'
[[ $WS == 403 ]] || fail "wrong web login: HTTP $WS: $WB"
e2e_web intruder GET /api/me
[[ $WS == 401 ]] || fail "/api/me without a session: HTTP $WS"
e2e_web intruder GET /api/no-such-thing
[[ $WS == 404 ]] || fail "unknown API path: HTTP $WS"
e2e_web webby POST /api/phone/start "{\"msisdn\":\"$UNDELIVERABLE\"}"
[[ $WS == 202 ]] || fail "phone code: HTTP $WS: $WB"
until_sql "SELECT count(*) FROM outbox WHERE state NOT IN (3, 4, 5)" 0 "MT not final (5: a request rendered)"
until_value "$BOX_M" 'smsvault_mt_failed_total{kind="code"}' 1 "the code's failure report"
until_value "$BOX_M" 'smsvault_mt_delivered_total{kind="item"}' 1 "the item's report"
until_value "$BOX_M" 'smsvault_mt_delivered_total{kind="reply"}' 5 "the replies' reports"
scrape "$BOX_M" "$VAR/box1.txt"
scrape "$WEB_M" "$VAR/web1.txt"

# ---- vaultbox: exactly what was done
b0=$VAR/box0.txt b1=$VAR/box1.txt
moved $b0 $b1 smsvault_mo_received_total 5
moved $b0 $b1 smsvault_mo_applied_total 5
moved $b0 $b1 smsvault_mo_duplicates_total 0
moved $b0 $b1 smsvault_mo_gave_up_total 0
moved $b0 $b1 'smsvault_commands_total{command="SAVE",result="ok"}' 3
moved $b0 $b1 'smsvault_commands_total{command="GET",result="ok"}' 1
moved $b0 $b1 'smsvault_commands_total{command="LOGIN",result="denied"}' 1
moved $b0 $b1 'smsvault_commands_total{command="REG",result="ok"}' 0
moved $b0 $b1 'smsvault_login_failures_total{channel="sms",reason="denied"}' 1
moved $b0 $b1 'smsvault_mt_queued_total{kind="reply"}' 4
moved $b0 $b1 'smsvault_mt_queued_total{kind="item"}' 1
moved $b0 $b1 'smsvault_mt_queued_total{kind="code"}' 0
moved $b0 $b1 'smsvault_mt_submitted_total{kind="reply"}' 4
moved $b0 $b1 'smsvault_mt_submitted_total{kind="item"}' 1
moved $b0 $b1 'smsvault_mt_submitted_total{kind="code"}' 1
moved $b0 $b1 'smsvault_mt_delivered_total{kind="reply"}' 4
moved $b0 $b1 'smsvault_mt_delivered_total{kind="item"}' 1
moved $b0 $b1 'smsvault_mt_delivered_total{kind="code"}' 0
moved $b0 $b1 'smsvault_mt_failed_total{kind="code"}' 1
moved $b0 $b1 'smsvault_mt_failed_total{kind="reply"}' 0
grants=$(($(sql "SELECT count(*) FROM space_grants WHERE NOT initial") - grants0))
[[ $grants == 1 ]] || fail "space_grants has $grants new growth rows (want 1: the first SAVE)"
moved $b0 $b1 smsvault_space_grants_total "$grants"
moved $b0 $b1 smsvault_db_reconnects_total 0
moved $b0 $b1 'smsvault_store_tx_retries_total{role="worker"}' 0
moved $b0 $b1 smsvault_bearerbox_reconnects_total 0
[[ $(value $b1 smsvault_bearerbox_connected) == 1 ]] || fail "smsvault_bearerbox_connected is not 1"
grep -qE '^smsvault_build_info\{program="vaultbox",version="[0-9.]+"\} 1$' $b1 || fail "vaultbox build_info"

# ---- vaultweb
w0=$VAR/web0.txt w1=$VAR/web1.txt
moved $w0 $w1 'smsvault_http_requests_total{route="/api/login",method="POST",code="403"}' 1
moved $w0 $w1 'smsvault_http_requests_total{route="/api/me",method="GET",code="401"}' 1
moved $w0 $w1 'smsvault_http_requests_total{route="unknown",method="GET",code="404"}' 1
moved $w0 $w1 'smsvault_http_requests_total{route="/api/phone/start",method="POST",code="202"}' 1
moved $w0 $w1 'smsvault_http_requests_total{route="/api/register",method="POST",code="201"}' 0
moved $w0 $w1 'smsvault_http_request_duration_seconds_count{route="/api/login",method="POST"}' 1
moved $w0 $w1 'smsvault_http_request_duration_seconds_bucket{route="/api/login",method="POST",le="+Inf"}' 1
moved $w0 $w1 'smsvault_login_failures_total{channel="web",reason="denied"}' 1
moved $w0 $w1 'smsvault_login_failures_total{channel="web",reason="throttled"}' 0
moved $w0 $w1 'smsvault_mt_queued_total{kind="code"}' 1
moved $w0 $w1 'smsvault_http_refused_total{reason="body_too_large"}' 0
grep -qE '^smsvault_build_info\{program="vaultweb",version="[0-9.]+"\} 1$' $w1 || fail "vaultweb build_info"

# ---- the database gauges, as the database says (read every second)
until_value "$BOX_M" smsvault_users "$(sql "SELECT count(*) FROM users")" "smsvault_users"
until_value "$BOX_M" smsvault_space_used_bytes "$(sql "SELECT sum(used_bytes) FROM users")" "space used"
until_value "$BOX_M" smsvault_space_allocated_bytes "$(sql "SELECT sum(allocated_bytes) FROM users")" "space allocated"
until_value "$BOX_M" 'smsvault_outbox_messages{state="queued"}' 0 "outbox queued"
until_value "$BOX_M" 'smsvault_outbox_messages{state="submitted"}' \
    "$(sql "SELECT count(*) FROM outbox WHERE state = 2")" "outbox submitted"
echo "e2e: ok database gauges equal the database"

# ---- vaultctl status: the same at a glance
out=$("$BUILD/store/vaultctl" --config "$SV_CONF" status --metrics "127.0.0.1:$BOX_M" --metrics "127.0.0.1:$WEB_M") ||
    fail "vaultctl status: $out"
users=$(sql "SELECT count(*) FROM users")
grep -qE "^database +users $users " <<<"$out" || fail "vaultctl status: no database line: $out"
grep -qE "^outbox +queued 0 " <<<"$out" || fail "vaultctl status: no outbox line: $out"
grep -qE "^http://127\.0\.0\.1:$BOX_M/metrics +program=\"vaultbox\"" <<<"$out" || fail "vaultctl status: no vaultbox: $out"
grep -qE "^ +smsvault_mo_received_total +$(value $b1 smsvault_mo_received_total)\$" <<<"$out" ||
    fail "vaultctl status: MO received not as served: $out"
grep -qE '^ +smsvault_mt_failed_total +1 +kind="code" 1$' <<<"$out" || fail "vaultctl status: MT failed: $out"
grep -qE "^http://127\.0\.0\.1:$WEB_M/metrics +program=\"vaultweb\"" <<<"$out" || fail "vaultctl status: no vaultweb: $out"
grep -qE '^ +smsvault_http_request_duration_seconds +count [0-9]+, mean' <<<"$out" ||
    fail "vaultctl status: no latency line: $out"
if "$BUILD/store/vaultctl" --config "$SV_CONF" status --metrics "127.0.0.1:$SV_SMSC_CTL_PORT" >"$VAR/st.out" 2>&1; then
    fail "vaultctl status said all is well with an endpoint that is no metrics listener"
fi
grep -q "unreachable" "$VAR/st.out" || fail "vaultctl status: a bad endpoint not said: $(cat "$VAR/st.out")"
echo "e2e: ok vaultctl status"
echo "$out" | head -n 12

# ---- reports off: an accepted MT is sent, final, and waits for nothing
svc_vaultbox_stop "$VAR"
printf '[box]\ndlr_mask = 0\n' >>"$SV_CONF"
e2e_start vaultbox
scrape "$BOX_M" "$VAR/box2.txt"
submitted=$(sql "SELECT count(*) FROM outbox WHERE state = 2")
e2e_expect $A "SAVE metrics four" "Saved as 4."
until_sql "SELECT count(*) FROM outbox WHERE state = 6 AND text LIKE 'Saved as 4.%'" 1 "the reply (reports off) not sent"
[[ $(sql "SELECT count(*) FROM outbox WHERE state = 2") == "$submitted" ]] ||
    fail "a reply sent with reports off counts as waiting for a report"
until_value "$BOX_M" 'smsvault_outbox_messages{state="submitted"}' "$submitted" "outbox submitted, reports off"
scrape "$BOX_M" "$VAR/box3.txt"
moved $VAR/box2.txt $VAR/box3.txt 'smsvault_mt_submitted_total{kind="reply"}' 1
moved $VAR/box2.txt $VAR/box3.txt 'smsvault_mt_delivered_total{kind="reply"}' 0
grep -qE '^outbox_sent [1-9]' <<<"$("$BUILD/store/vaultctl" --config "$SV_CONF" stats)" || fail "vaultctl stats: no sent row"
echo "e2e: ok reports off: the reply sent (6), not counted as waiting for a report"

# ---- reports on, but none comes: after [box] report_wait the reply counts as sent
svc_vaultbox_stop "$VAR"
printf '[box]\ndlr_mask = 3\nreport_wait = 2\n' >>"$SV_CONF"
[[ $(e2e_ctl "FAULT receipts=off") == OK* ]] || fail "smscsim FAULT receipts=off"
# rows still waiting now are settled too, once older than 2 s
waiting_ids=$(sql "SELECT coalesce(string_agg(id::text, ','), '0') FROM outbox WHERE state = 2")
e2e_start vaultbox
e2e_expect $A "SAVE metrics five" "Saved as 5."
until_sql "SELECT count(*) FROM outbox WHERE state = 6 AND text LIKE 'Saved as 5.%'" 1 \
    "the reply whose report never came, not sent after report_wait"
until_sql "SELECT count(*) FROM outbox WHERE state = 2" 0 "rows still waiting for a report after report_wait"
until_value "$BOX_M" 'smsvault_outbox_messages{state="submitted"}' 0 "outbox submitted, none reported"
scrape "$BOX_M" "$VAR/box5.txt"
# the restarted vaultbox counts from 0
want=$(($(sql "SELECT count(*) FROM outbox WHERE id IN ($waiting_ids) AND state = 6") + 1))
unreported=0
for k in reply code item; do
    unreported=$((unreported + $(value $VAR/box5.txt "smsvault_mt_unreported_total{kind=\"$k\"}")))
done
((unreported == want)) || fail "smsvault_mt_unreported_total is $unreported (want $want)"
moved /dev/null $VAR/box5.txt 'smsvault_mt_submitted_total{kind="reply"}' 1
moved /dev/null $VAR/box5.txt 'smsvault_mt_delivered_total{kind="reply"}' 0
echo "e2e: ok no report within report_wait: the reply sent (6), counted as unreported ($unreported)"
e2e_pass
