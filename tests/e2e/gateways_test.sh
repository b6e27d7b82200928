#!/usr/bin/env bash
# gateways_test.sh <build-dir> [phones saves] — several gateways on one
# database (docs/DESIGN.md "Scaling out"): two SMSC links (two smscsim, the
# operator's two SMSC nodes: an MT submitted to either reaches the handset)
# each bound by its own bearerbox, each bearerbox with two vaultbox
# processes of one box id, all four sharing the test cluster's database.
# Half the phones text through one SMSC, half through the other; each phone
# sends SAVE 1..n, each once the reply to the one before came (through
# either SMSC). Under that load one vaultbox is killed -9 and started again,
# then one bearerbox is killed -9 and started again. Asserts: every phone
# got every reply; no SAVE is lost; every SAVE is stored exactly once, in the
# order the phone sent them, but for what the SMSC delivers again after the
# bearerbox -9 (SMPP's at least once, counted and bounded below); all four vaultbox
# processes took MOs; every reply was sent and accepted (its delivery report
# may be lost with the killed bearerbox: counted). Prints the counts.
#
# Needs the test cluster of ./smsvault test (SMSVAULT_TEST_PGADMIN); free
# loopback ports, a temp dir; the teardown of tests/e2e/lib.sh stops what it
# started and fails on ERROR/PANIC in our logs but for Kannel's own
# connection lines while a bearerbox is away (e2e_allow_log below).
set -euo pipefail

BUILD=$(cd "${1:?usage: gateways_test.sh <build-dir> [phones saves]}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PHONES=${2:-16} SAVES=${3:-15}
loop_pids=()

source "$ROOT/tests/e2e/lib.sh"
e2e_begin gw-e2e
e2e_db gw_e2e
e2e_allow_bearerbox_away
fail() { e2e_fail "$@"; }
sql() { psql -X -tA "$SMSVAULT_PGURI" -c "$1"; }

# Gateway g (1, 2): its smscsim and bearerbox in $VAR/g<g>, its ports in
# G<g>_*; gw <g> exports them for the svc scripts.
taken=()
port() { local p; p=$(sv_free_port "${taken[@]}"); taken+=("$p"); echo "$p"; }
for g in 1 2; do
    declare "G${g}_SMSC=$(port)" "G${g}_CTL=$(port)" "G${g}_ADMIN=$(port)" "G${g}_BOX=$(port)"
done
gw() {
    local v
    for v in SMSC CTL ADMIN BOX; do declare -g "G_$v=G$1_$v"; done
    export SV_SMSC_PORT=${!G_SMSC} SV_SMSC_CTL_PORT=${!G_CTL} SV_BB_ADMIN_PORT=${!G_ADMIN} SV_BB_BOX_PORT=${!G_BOX}
    export SV_BUILD=$BUILD SV_SHORTCODE=10659 SV_CONF=$VAR/g$1/smsvault.conf
}
for g in 1 2; do
    gw $g
    mkdir -p "$VAR/g$g"
    # 4 workers each (4 processes share the database); debug: the MOs each took
    SV_CONF_EXTRA="[box]
workers = 4
instance_grace = 4
log_level = debug" sv_conf_write "$SV_CONF"
    e2e_start smscsim "$VAR/g$g"
    e2e_start bearerbox "$VAR/g$g"
    e2e_start vaultbox "$VAR/g${g}a"
    e2e_start vaultbox "$VAR/g${g}b"
done
echo "e2e: two gateways up: smscsim+bearerbox+2 vaultbox each, one database"

# ctl_at <port> <request...>: one control request, its answer line
ctl_at() {
    local ans
    exec 5<>"/dev/tcp/127.0.0.1/$1"
    shift
    printf '%s\n' "$*" >&5
    IFS= read -r -t 20 ans <&5 || true
    exec 5>&-
    echo "$ans"
}
ph_of() { echo $((8613400000000 + $1)); }
own_ctl() { if (($1 % 2)); then echo "$G1_CTL"; else echo "$G2_CTL"; fi; }

# phone_saves <i> <tag> <first> <last>: phone i texts through its own SMSC
# and reads the replies from both (the other SMSC's MT reach it too);
# a reply sent again (at least once: a number seen before) is read past and
# counted in dups.<i>.
# Fails, saying why, when a reply is wrong or missing for 90 s.
phone_saves() {
    local i=$1 tag=$2 k ph ans f text j deadline mine other high=0
    ph=$(ph_of "$i") mine=$(own_ctl "$i")
    other=$G1_CTL
    [[ $mine == "$G1_CTL" ]] && other=$G2_CTL
    for ((k = $3; k <= $4; k++)); do
        ans=$(ctl_at "$mine" MO "$ph" 10659 "$(e2e_hex "$([[ $tag == REG ]] && echo "REG gw$i pass1234" || echo "SAVE $tag $ph $k")")")
        [[ $ans == OK* ]] || { echo "phone $ph MO $k: $ans" >&2; return 1; }
        deadline=$((SECONDS + 90))
        while :; do
            ((SECONDS < deadline)) || { echo "phone $ph: no reply to $tag $k" >&2; return 1; }
            for p in "$mine" "$other"; do
                read -r -a f <<<"$(ctl_at "$p" WAIT "$ph" 150)"
                [[ ${f[3]:-} == TEXT ]] || continue
                text=$(printf '%b' "$(sed 's/../\\x&/g' <<<"${f[4]}")")
                if [[ $tag == REG ]]; then
                    [[ $text == "Welcome gw$i!"* ]] && break 3
                    echo "phone $ph REG: $text" >&2
                    return 1
                fi
                # the reply to this SAVE has a number above every one seen:
                # an SMS the SMSC delivered again after the bearerbox -9
                # took a number of its own, so numbers may run ahead of k
                j=$(sed -n 's/^Saved as \([0-9]*\)\..*/\1/p' <<<"$text")
                [[ -n $j ]] || { echo "phone $ph SAVE $k: '$text'" >&2; return 1; }
                if ((j > high)); then
                    high=$j
                    continue 3
                fi
                echo "$j" >>"$VAR/dups.$i"
            done
        done
    done
}

for i in $(seq 1 "$PHONES"); do
    phone_saves "$i" REG 1 1 &
    loop_pids+=($!)
done
for p in "${loop_pids[@]}"; do wait "$p" || fail "a phone did not register"; done
loop_pids=()
for i in $(seq 1 "$PHONES"); do
    phone_saves "$i" two 1 "$SAVES" &
    loop_pids+=($!)
    e2e_bg $!
done
total=$((PHONES * SAVES))
stored() { sql "SELECT count(*) FROM sms WHERE body LIKE 'two %'"; }
until_stored() {
    local deadline=$((SECONDS + 90))
    until (($(stored) >= $1)); do
        ((SECONDS < deadline)) || fail "load stalled at $(stored) of $total"
        sleep 0.05
    done
}

# --- one vaultbox killed -9, started again
until_stored $((total / 4))
vb=$(cat "$VAR/g1a/run/vaultbox.pid")
kill -KILL "$vb"
echo "e2e: vaultbox g1a killed -9 at $(stored) of $total SAVEs"
while kill -0 "$vb" 2>/dev/null; do wait "$vb" 2>/dev/null || true; sleep 0.05; done
rm -f "$VAR/g1a/run/vaultbox.pid"
gw 1
e2e_start vaultbox "$VAR/g1a"

# --- one bearerbox killed -9, started again (its spool keeps what it took)
until_stored $((total / 2))
bb=$(cat "$VAR/g2/run/bearerbox.pid")
t_bb=$(date +%s.%N)
kill -KILL "$bb"
echo "e2e: bearerbox g2 killed -9 at $(stored) of $total SAVEs"
while kill -0 "$bb" 2>/dev/null; do sleep 0.05; done
rm -f "$VAR/g2/run/bearerbox.pid"
sleep 1
gw 2
svc_bearerbox_start "$VAR/g2" || fail "bearerbox g2 did not start again"

for p in "${loop_pids[@]}"; do
    wait "$p" || fail "a phone missed a reply"
done
loop_pids=()

# --- counts
n=$(stored)
d=$(sql "SELECT count(DISTINCT body) FROM sms WHERE body LIKE 'two %'")
# per phone, the SAVEs' first copies numbered in the order the phone sent them
misordered=$(sql "WITH f AS (SELECT user_id, split_part(body, ' ', 3)::int AS k, min(n) AS n FROM sms
                             WHERE body LIKE 'two %' GROUP BY user_id, body)
                  SELECT count(*) FROM (SELECT k, lag(k) OVER (PARTITION BY user_id ORDER BY n) AS pk FROM f) x
                  WHERE k < pk")
# A SAVE stored twice is allowed only as SMPP's at least once through the
# killed bearerbox: it had taken the deliver_sm (in its spool, handed on)
# but died before its deliver_sm_resp, so the SMSC delivered it again after
# the restart under a new Kannel uuid — Kannel's own "some messages can
# duplicate when the system is taken down violently". So: a phone of SMSC
# 2, the first copy within 30 s of the kill (bearerbox may hand it to
# vaultbox just after it restarts), the second after it. Any other twice
# stored SAVE fails (an MO bearerbox re-sends keeps its uuid: mo_seen).
resent=$(sql "SELECT count(*) FROM (SELECT body FROM sms WHERE body LIKE 'two %' GROUP BY body
              HAVING count(*) = 2 AND split_part(body, ' ', 2)::bigint % 2 = 0
                 AND min(saved_at) BETWEEN to_timestamp($t_bb) - interval '30 seconds'
                                       AND to_timestamp($t_bb) + interval '30 seconds'
                 AND max(saved_at) > to_timestamp($t_bb)) x")
dups=$({ cat "$VAR"/dups.* 2>/dev/null || true; } | wc -l)
# every reply sent and accepted by a bearerbox (submitted or delivered): none
# left queued or in flight (a delivery request, kind 1, is rendered into
# children that are sent: its own state 5 is theirs, not one to wait for). A receipt the SMSC sent while the killed
# bearerbox had not yet written its DLR entry is lost with it (Kannel logs
# "FAILED Receive DLR"): that reply stays submitted, counted below.
deadline=$((SECONDS + 60))
until [[ $(sql "SELECT count(*) FROM outbox WHERE state NOT IN (2, 3) AND NOT (kind = 1 AND state = 5)") == 0 &&
         $(sql "SELECT count(*) FROM outbox WHERE state = 2 AND updated_at > now() - interval '5 seconds'") == 0 ]]; do
    ((SECONDS < deadline)) || fail "replies not sent: $(sql "SELECT state, count(*) FROM outbox GROUP BY state" | paste -sd' ' -)"
    sleep 0.2
done
receipts_lost=$(sql "SELECT count(*) FROM outbox WHERE state = 2")
mos=()
for v in g1a g1b g2a g2b; do
    mos+=("$v=$(grep -c 'vaultbox: mo uuid=' "$VAR/$v/log/vaultbox.log" || true)")
done
via1=$(sql "SELECT count(*) FROM sms WHERE body LIKE 'two %' AND split_part(body, ' ', 2)::bigint % 2 = 1")
echo "e2e: gateways: SAVEs sent $total stored $n once $d lost $((total - d)) duplicated $((n - d))" \
    "(SMSC re-sent after bearerbox -9: $resent)" \
    "misordered $misordered; via SMSC 1 $via1, via SMSC 2 $((d - via1)); MOs ${mos[*]}; replies sent again $dups," \
    "receipts lost with the killed bearerbox $receipts_lost"
((d == total)) || fail "$((total - d)) SAVE(s) lost"
((n - d == resent)) || fail "$((n - d - resent)) SAVE(s) stored twice other than re-sent by the SMSC after bearerbox -9"
((misordered == 0)) || fail "$misordered SAVE(s) out of the phone's order"
for m in "${mos[@]}"; do
    ((${m#*=} > 0)) || fail "vaultbox ${m%=*} took no MO"
done
e2e_pass
