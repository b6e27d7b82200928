#!/usr/bin/env bash
# gateway_echo_test.sh <build-dir> — end to end through the real gateway:
# phonesim -> smscsim -SMPP-> bearerbox (conf/kannel.conf) -> echobox, and the
# echo back. Checks byte-exact round trips (ASCII, GSM extension table,
# Chinese, emoji, 400-char GSM = 3 parts, 200-char Chinese = 3 UCS-2 parts),
# that delivery receipts arrive, and that bearerbox re-binds after smscsim
# drops the connection without losing a message, and that a throttled MT is
# resent. Starts everything on free loopback ports in a temp dir; the
# teardown of tests/e2e/lib.sh stops what it started, prints the logs on
# failure and fails on ERROR/PANIC in our own logs.
set -euo pipefail

BUILD=$(cd "${1:?usage: gateway_echo_test.sh <build-dir>}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

source "$ROOT/tests/e2e/lib.sh"
e2e_begin gateway-echo
e2e_ports

fail() { e2e_fail "$@"; }

ctl() { e2e_ctl "$@"; }

stat_of() { # stat_of <key>: a counter from smscsim STATS
    ctl STATS | tr ' ' '\n' | sed -n "s/^$1=//p"
}

hex_of() { e2e_hex "$1"; }

phone() { SV_SHORTCODE=10659 e2e_phone "$@"; }

check_echo() { # check_echo <name> <text>
    local got want
    want=$(hex_of "$2")
    got=$(phone --from 8613800000001 --hex --timeout 20000 "$2") || fail "$1: no reply"
    [[ $got == "$want" ]] || fail "$1: reply differs: sent $want got $got"
    echo "e2e: ok $1 (${#2} chars)"
}

e2e_start smscsim
e2e_start bearerbox
"$BUILD/bench/echobox" --port "$SV_BB_BOX_PORT" --box-id vaultbox --dlr-mask 3 \
    >>"$VAR/log/echobox.log" 2>&1 &
echobox_pid=$!
e2e_bg $echobox_pid
deadline=$((SECONDS + 20))
until grep -q "echobox: identified" "$VAR/log/echobox.log"; do
    ((SECONDS < deadline)) || fail "echobox did not identify"
    kill -0 "$echobox_pid" 2>/dev/null || fail "echobox died"
    sleep 0.05
done

check_echo ascii "hello smsvault"
check_echo gsm-extension '€[]{}~|^\@'
check_echo chinese "短信保险箱测试"
check_echo emoji "save 😀👍 ok"
check_echo gsm-400-3-parts "$(printf 'GSM%.0s' {1..133})!"
check_echo chinese-200-3-parts "$(printf '中文短信%.0s' {1..50})"
sent=6

# delivery receipts: one per MT (Kannel asks for the first part only), each acked
deadline=$((SECONDS + 20))
until (($(stat_of receipts_acked) >= sent)); do
    ((SECONDS < deadline)) || fail "receipts: $(stat_of receipts_acked) of $sent acked"
    sleep 0.1
done
until grep -Eq "echobox: counters .* dlr=([6-9]|[1-9][0-9])" "$VAR/log/echobox.log"; do
    ((SECONDS < deadline)) || fail "echobox did not get $sent delivery reports"
    sleep 0.1
done
echo "e2e: ok receipts ($(stat_of receipts_acked) acked by bearerbox, reached the box)"

# re-bind: smscsim drops the SMPP connection; an MO sent while the link is
# down and one racing the drop must both come back.
binds=$(stat_of binds)
phone --from 8613800000002 --hex --timeout 30000 "before drop" >"$VAR/race.out" &
race_pid=$!
[[ $(ctl FAULT drop=1) == OK ]] || fail "FAULT drop refused"
want=$(hex_of "during outage")
got=$(phone --from 8613800000003 --hex --timeout 30000 "during outage") || fail "rebind: no reply"
[[ $got == "$want" ]] || fail "rebind: reply differs"
wait "$race_pid" || fail "rebind: MO racing the drop got no reply"
[[ $(<"$VAR/race.out") == "$(hex_of "before drop")" ]] || fail "rebind: racing reply differs"
(($(stat_of binds) > binds)) || fail "rebind: no new bind"
echo "e2e: ok rebind after drop (binds $binds -> $(stat_of binds))"

# throttling: every submit_sm refused with ESME_RTHROTTLED; bearerbox must
# keep the MT and resend it (sms-resend-freq) once the SMSC accepts again.
[[ $(ctl FAULT throttle=1) == OK ]] || fail "FAULT throttle refused"
phone --from 8613800000004 --hex --timeout 30000 "throttled" >"$VAR/throttle.out" &
throttle_pid=$!
deadline=$((SECONDS + 20))
until (($(stat_of throttled) >= 1)); do
    ((SECONDS < deadline)) || fail "throttle: no submit was throttled"
    sleep 0.05
done
[[ $(ctl FAULT throttle=0) == OK ]] || fail "FAULT throttle=0 refused"
wait "$throttle_pid" || fail "throttle: MT lost after ESME_RTHROTTLED"
[[ $(<"$VAR/throttle.out") == "$(hex_of throttled)" ]] || fail "throttle: reply differs"
echo "e2e: ok throttled submit resent ($(stat_of throttled) throttled)"

e2e_pass
