#!/usr/bin/env bash
# soak_test.sh <build-dir> [--mo N] [--minutes M] [--short] — the fault
# matrix as one run (`./smsvault soak`; the short form is in ./smsvault
# test). The whole stack on this machine: the database as a pg_auto_failover
# cluster (scripts/pgha.sh), smscsim, bearerbox, one vaultbox, vaultweb.
# PHONES phones send N tagged SAVEs between them, each once the reply to
# the one before came (or 90 s passed: that reply is missing); two web users
# upload one-SMS backups meanwhile, each retried until answered 200. As the
# load goes, the faults come one by one, each when its share of the SAVEs is
# stored (and each put right before the next):
#   full:  vaultbox -9 x3 and dying between a commit and its ack x2
#          (SMSVAULT_TEST_DIE_AFTER_COMMIT: the process ends right after its
#          k-th commit, before the acks; bearerbox re-sends those MOs and
#          store_mo_seen must catch them), PostgreSQL's primary stopped
#          -m immediate x2 (its keeper starts it again), the primary's machine
#          lost x1 (failover; the old node comes back as a standby), bearerbox
#          restarted gracefully and killed -9, the SMSC dropping its links
#          and throttling submits, vaultweb -9 under uploads;
#   short: vaultbox between commit and ack, vaultweb -9, bearerbox
#          graceful restart, SMSC drop, failover.
# Then it waits until everything is answered and prints one line: SAVEs
# sent, stored once, lost, duplicated; replies missing and duplicated;
# uploads acknowledged, lost, duplicated; fsck; drain time (from the last
# fault put right to everything answered and no reply left to send); and
# what was injected. Fails when anything acknowledged is lost or doubled
# (but for an SMS the SMSC delivers again after a broken link: counted),
# a reply is missing, or fsck differs; replies sent twice are allowed (at
# least once) and counted. --minutes M (default 30) bounds the run.
#
# Skips (exit 77) when pg_auto_failover cannot be installed. Free loopback
# ports, a temp dir; the teardown of tests/e2e/lib.sh stops what it started
# and fails on ERROR/PANIC in our logs but for the lines the faults cause
# (e2e_allow_log below).
set -euo pipefail

BUILD=$(cd "${1:?usage: soak_test.sh <build-dir> [--mo N] [--minutes M] [--short]}" && pwd)
shift
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MO=10000 MINUTES=30 SHORT=
while (($#)); do
    case $1 in
        --mo) MO=${2:?--mo N}; shift 2 ;;
        --minutes) MINUTES=${2:?--minutes M}; shift 2 ;;
        --short) SHORT=1; MO=${MO_SHORT:-600}; shift ;;
        *) echo "soak: unknown argument $1" >&2; exit 2 ;;
    esac
done
PHONES=$((MO >= 2000 ? 50 : 20))
PER=$(((MO + PHONES - 1) / PHONES))
MO=$((PER * PHONES))

source "$ROOT/tests/e2e/lib.sh"
e2e_ha_or_skip
e2e_begin soak
e2e_ports
e2e_ha_stack soak
e2e_conf "[box]
instance_grace = 4"
# what the faults make our programs log: a database that does not answer
# (stopped, failing over), and Kannel's connection code while bearerbox or
# the SMSC link is away
e2e_allow_log 'store: connect-failed '
e2e_allow_bearerbox_away

fail() { e2e_fail "$@"; }
sql() { psql -X -tA "$SMSVAULT_PGURI" -c "$1"; }
T0=$SECONDS
DEADLINE=$((SECONDS + MINUTES * 60))
e2e_start smscsim
e2e_start bearerbox
e2e_start vaultbox
e2e_start vaultweb

ph_of() { echo $((8613300000000 + $1)); }
reg_pids=()
for i in $(seq 1 "$PHONES"); do
    e2e_expect "$(ph_of "$i")" "REG soak$i pass1234" "Welcome soak$i!" >/dev/null &
    reg_pids+=($!)
done
for p in "${reg_pids[@]}"; do wait "$p" || fail "a phone did not register"; done
for u in 1 2; do e2e_web_register "$VAR/web$u.jar" "soakweb$u"; done
echo "e2e: soak: $PHONES phones x $PER SAVEs, 2 web users; cluster $(sv_ha_states "$HA" | paste -sd, -)"

# phone <i>: SAVE 1..PER, each once the reply to the one before came: a
# "Saved as j" with j above every number this phone got so far (an SMS the
# SMSC delivered again after a bearerbox -9 takes a number of its own, so
# the numbers may run ahead of k). Every reply is appended to replies.<i>,
# "MISS k" when none came for SAVE k within 90 s.
phone() {
    local i=$1 ph k out j high=0 deadline fresh
    ph=$(ph_of "$i")
    for ((k = 1; k <= PER; k++)); do
        out=$("$BUILD/smsc/phonesim" --control "127.0.0.1:$SV_SMSC_CTL_PORT" --to "$SV_SHORTCODE" --from "$ph" \
            --expect 1 --timeout 90000 "SAVE soak $ph $k" 2>/dev/null) || out=
        deadline=$((SECONDS + 90))
        while :; do
            # phonesim may print two replies that were waiting: every one counts
            fresh=
            for j in $(sed -n 's/^Saved as \([0-9]*\)\..*/\1/p' <<<"$out"); do
                echo "$j" >>"$VAR/replies.$i"
                if ((j > high)); then
                    high=$j
                    fresh=1
                fi
            done
            [[ -n $fresh ]] && break
            if ((SECONDS >= deadline)); then
                echo "MISS $k" >>"$VAR/replies.$i"
                break
            fi
            out=$(e2e_wait_mt "$ph" 10000) || out=
        done
    done
}
# uploader <u>: one backup file after another until $VAR/stop exists; each
# sent again (the same file) until answered 200; the count of 200s in
# acked.<u>, uploads never answered in 120 s in unacked.<u>
uploader() {
    local u=$1 k=0 acked=0 unacked=0
    until [[ -e $VAR/stop ]]; do
        k=$((k + 1))
        e2e_backup_sms "$VAR/up$u.xml" "soak web$u $k" $((1700000000000 + k * 1000))
        if e2e_web_upload "$VAR/web$u.jar" "$VAR/up$u.xml" 120 >/dev/null; then
            acked=$((acked + 1))
        else
            unacked=$((unacked + 1))
        fi
        sleep 0.3
    done
    echo "$acked" >"$VAR/acked.$u"
    echo "$unacked" >"$VAR/unacked.$u"
}

load_pids=()
for i in $(seq 1 "$PHONES"); do
    phone "$i" &
    load_pids+=($!)
    e2e_bg $!
done
web_pids=()
for u in 1 2; do
    uploader "$u" &
    web_pids+=($!)
    e2e_bg $!
done

stored() { sql "SELECT count(*) FROM sms WHERE body LIKE 'soak 86%'" 2>/dev/null || echo 0; }
phones_done() {
    local p
    for p in "${load_pids[@]}"; do kill -0 "$p" 2>/dev/null && return 1; done
    return 0
}
# at <fraction %>: wait until that share of the SAVEs is stored
at() {
    until (($(stored) * 100 >= MO * $1)) || phones_done; do
        ((SECONDS < DEADLINE)) || fail "--minutes $MINUTES passed at $(stored) of $MO SAVEs"
        sleep 0.2
    done
}
say() { echo "e2e: soak +$((SECONDS - T0))s at $(stored)/$MO: $*"; }
declare -A done_faults
count() { done_faults[$1]=$((${done_faults[$1]:-0} + 1)); }

vb_pid() { cat "$VAR/run/vaultbox.pid"; }
wait_gone() {  # wait_gone <pid> <seconds>
    local deadline=$((SECONDS + $2))
    while kill -0 "$1" 2>/dev/null; do
        ((SECONDS < deadline)) || return 1
        wait "$1" 2>/dev/null || true
        sleep 0.05
    done
}
f_vaultbox_kill() {
    local p
    p=$(vb_pid)
    kill -KILL "$p"
    wait_gone "$p" 10 || fail "vaultbox did not die"
    rm -f "$VAR/run/vaultbox.pid"
    e2e_start vaultbox
    count vaultbox-9
    say "vaultbox killed -9 and started again"
}
f_commit_ack() {
    local p k=$((20 + RANDOM % 20))
    svc_vaultbox_stop "$VAR"
    SV_VAULTBOX_ENV="SMSVAULT_TEST_DIE_AFTER_COMMIT=$k" e2e_start vaultbox
    p=$(vb_pid)
    wait_gone "$p" 60 || fail "vaultbox did not end after its commit $k"
    rm -f "$VAR/run/vaultbox.pid"
    e2e_start vaultbox
    count commit-ack
    say "vaultbox ended between commit $k and its acks; started again"
}
f_pg_immediate() {
    local p
    pg_settled
    p=$(sv_ha_primary "$HA")
    [[ -n $p ]] || fail "no primary to stop"
    sv_ha_as "$HADIR" "$SV_PGBIN/pg_ctl" -D "$HADIR/$p" -m immediate stop >/dev/null 2>&1 ||
        fail "pg_ctl stop -m immediate on $p"
    count pg-immediate
    say "PostgreSQL $p stopped -m immediate (its keeper starts it again)"
    sv_ha_wait "$HA" 60 "a primary again" test_primary || fail "no primary after the immediate stop"
}
test_primary() { sv_ha_settled "$HA" && psql -X -q "$SMSVAULT_PGURI" -c "SELECT 1" >/dev/null 2>&1; }
f_failover() {
    local p q
    pg_settled
    p=$(sv_ha_primary "$HA")
    sv_ha_kill "$HA" "$p"
    count failover
    sv_ha_wait "$HA" 60 "a new primary" test_new_primary "$p" || fail "no new primary after losing $p"
    q=$(sv_ha_primary "$HA")
    say "primary $p lost (killed -9 with its keeper): $q promoted; $p comes back as a standby"
    # it rejoins (pg_rewind, catching up) while the load goes on; the next
    # database fault waits for it (pg_settled)
    sv_ha_node_start "$HA" "$p" || fail "$p did not start again"
}
pg_settled() { sv_ha_wait "$HA" 120 "the cluster to settle" sv_ha_settled "$HA" || fail "the cluster did not settle"; }
test_new_primary() { local q; q=$(sv_ha_primary "$HA"); [[ -n $q && $q != "$1" ]]; }
bb_pid() { cat "$VAR/run/bearerbox.pid"; }
f_bb_restart() {
    local p
    p=$(bb_pid)
    kill -TERM "$p"
    wait_gone "$p" 30 || fail "bearerbox did not exit after SIGTERM"
    rm -f "$VAR/run/bearerbox.pid" "$VAR/run/bearerbox.start"
    svc_bearerbox_start "$VAR" || fail "bearerbox did not start again"
    count bb-restart
    say "bearerbox restarted gracefully"
}
# when the link between the SMSC and bearerbox broke without a goodbye (a
# bearerbox -9, the SMSC dropping it): see the duplicates' rule at the end
T_LINK_BREAKS=()
f_bb_kill() {
    local p
    p=$(bb_pid)
    T_LINK_BREAKS+=("$(date +%s.%N)")
    kill -KILL "$p"
    wait_gone "$p" 10 || fail "bearerbox did not die"
    rm -f "$VAR/run/bearerbox.pid" "$VAR/run/bearerbox.start"
    sleep 1
    svc_bearerbox_start "$VAR" || fail "bearerbox did not start again"
    count bb-9
    say "bearerbox killed -9 and started again"
}
f_smsc_drop() {
    T_LINK_BREAKS+=("$(date +%s.%N)")
    [[ $(e2e_ctl FAULT drop=1) == OK* ]] || fail "smscsim FAULT drop"
    count smsc-drop
    say "SMSC dropped its SMPP links (bearerbox binds again)"
}
f_smsc_throttle() {
    [[ $(e2e_ctl FAULT throttle=0.3) == OK* ]] || fail "smscsim FAULT throttle"
    sleep 3
    [[ $(e2e_ctl FAULT throttle=0) == OK* ]] || fail "smscsim FAULT throttle=0"
    count smsc-throttle
    say "SMSC throttled 30% of submits for 3 s"
}
f_web_kill() {
    local p
    p=$(cat "$VAR/run/vaultweb.pid")
    kill -KILL "$p"
    wait_gone "$p" 10 || fail "vaultweb did not die"
    rm -f "$VAR/run/vaultweb.pid"
    e2e_start vaultweb >/dev/null
    count web-9
    say "vaultweb killed -9 under uploads and started again"
}

if [[ -n $SHORT ]]; then
    faults=(f_commit_ack f_web_kill f_bb_restart f_smsc_drop f_failover)
else
    faults=(f_vaultbox_kill f_bb_restart f_pg_immediate f_commit_ack f_smsc_drop f_web_kill f_vaultbox_kill
        f_failover f_smsc_throttle f_commit_ack f_bb_kill f_pg_immediate f_vaultbox_kill)
fi
nf=${#faults[@]}
for ((f = 0; f < nf; f++)); do
    at $(((f + 1) * 90 / (nf + 1)))
    phones_done && { say "the load ended before ${faults[$f]}"; break; }
    "${faults[$f]}"
done
t_last=$(date +%s.%N)

# --- drain: every phone done, no reply left to send
for p in "${load_pids[@]}"; do
    while kill -0 "$p" 2>/dev/null; do
        ((SECONDS < DEADLINE)) || fail "--minutes $MINUTES passed while the phones waited for replies"
        sleep 0.2
    done
    wait "$p" || true
done
touch "$VAR/stop"
for p in "${web_pids[@]}"; do wait "$p" || true; done
until [[ $(sql "SELECT count(*) FROM outbox WHERE state IN (0, 1)") == 0 ]]; do
    ((SECONDS < DEADLINE)) || fail "replies still queued at the deadline"
    sleep 0.2
done
t_drained=$(date +%s.%N)
# replies sent again may still be on their way: read them too
for i in $(seq 1 "$PHONES"); do
    e2e_saved_left "$(ph_of "$i")" 2000 "$VAR/replies.$i" &
    load_pids+=($!)
done
for p in "${load_pids[@]}"; do wait "$p" 2>/dev/null || true; done

# --- the line
n=$(sql "SELECT count(*) FROM sms WHERE body LIKE 'soak 86%'")
d=$(sql "SELECT count(DISTINCT body) FROM sms WHERE body LIKE 'soak 86%'")
once=$(sql "SELECT count(*) FROM (SELECT body FROM sms WHERE body LIKE 'soak 86%' GROUP BY body HAVING count(*) = 1) x")
lost=$((MO - d)) dup=$((n - d)) resent=0
# SMPP's at least once when the SMSC link breaks without a goodbye (a
# bearerbox -9, the SMSC dropping the link): a deliver_sm bearerbox had
# taken into its store but whose resp the SMSC never read is delivered again
# under a new Kannel uuid — as a real SMSC does (gateways_test.sh). A SAVE
# stored twice, the first copy within 30 s of such a break (bearerbox may
# hand it to vaultbox just after) and the second after it, is allowed and
# counted; any other doubling fails.
if ((${#T_LINK_BREAKS[@]})); then
    breaks=$(printf 'to_timestamp(%s),' "${T_LINK_BREAKS[@]}")
    resent=$(sql "WITH d AS (SELECT min(saved_at) AS a, max(saved_at) AS b FROM sms WHERE body LIKE 'soak 86%'
                             GROUP BY body HAVING count(*) = 2)
                  SELECT count(*) FROM d WHERE EXISTS (SELECT 1 FROM unnest(ARRAY[${breaks%,}]) t
                    WHERE a BETWEEN t - interval '30 seconds' AND t + interval '30 seconds' AND b > t)")
fi
# replies: each phone's SMS (its SAVEs as stored, a re-sent one too) is one
# number, "Saved as j"; it counts as answered when the phone read it or the
# SMSC reported it delivered to the handset (a reply in the handset's inbox
# that a phonesim run took and left unprinted as it exited is no loss);
# missing = numbers neither; duplicated = numbers the phone read twice
missing=0 rdup=0
for i in $(seq 1 "$PHONES"); do
    f=$VAR/replies.$i
    ph=$(ph_of "$i")
    rows=$(sql "SELECT count(*) FROM sms WHERE body LIKE 'soak $ph %'")
    got=$({ grep -E '^[0-9]+$' "$f" 2>/dev/null || true; } | wc -l)
    read_n=$({ grep -E '^[0-9]+$' "$f" 2>/dev/null || true; } | sort -un | wc -l)
    answered=$({ grep -E '^[0-9]+$' "$f" 2>/dev/null || true
        sql "SELECT substring(text FROM '^Saved as ([0-9]+)[.]') FROM outbox
             WHERE msisdn IN ('$ph', '+$ph') AND state = 3 AND text LIKE 'Saved as %'"; } |
        grep -E '^[0-9]+$' | sort -un | awk -v r="$rows" '$1 >= 1 && $1 <= r' | wc -l)
    missing=$((missing + rows - answered))
    rdup=$((rdup + got - read_n))
done
acked=$(($(cat "$VAR/acked.1") + $(cat "$VAR/acked.2")))
unacked=$(($(cat "$VAR/unacked.1") + $(cat "$VAR/unacked.2")))
wn=$(sql "SELECT count(*) FROM sms WHERE body LIKE 'soak web%'")
wd=$(sql "SELECT count(DISTINCT body) FROM sms WHERE body LIKE 'soak web%'")
if fsck_out=$("$BUILD/store/vaultctl" fsck 2>&1) && grep -q "all consistent" <<<"$fsck_out"; then fsck=clean; else fsck=DIFFERS; fi
landed=$(grep -c "vaultbox: mo-duplicate" "$VAR/log/vaultbox.log" || true)
drain=$(awk -v a="$t_last" -v b="$t_drained" 'BEGIN { printf "%.1f", b - a }')
injected=
for k in vaultbox-9 commit-ack pg-immediate failover bb-restart bb-9 smsc-drop smsc-throttle web-9; do
    [[ -n ${done_faults[$k]:-} ]] && injected+="${injected:+ }$k x${done_faults[$k]}"
done
echo "soak: sent $MO stored-once $once lost $lost duplicated $dup (re-sent by the SMSC after a broken link: $resent);" \
    "replies missing $missing duplicated $rdup;" \
    "uploads acked $acked stored-once $wd lost $((acked - wd > 0 ? acked - wd : 0)) duplicated $((wn - wd)) unanswered $unacked;" \
    "fsck $fsck; drain ${drain}s; faults: $injected (MOs re-sent after commit, caught: $landed); $((SECONDS - T0)) s"
((lost == 0)) || fail "$lost SAVE(s) lost"
((dup == resent)) || fail "$((dup - resent)) SAVE(s) stored twice other than re-sent by the SMSC after a broken link"
((missing == 0)) || fail "$missing reply/replies missing"
((wd >= acked && wn == wd)) || fail "uploads: $acked acknowledged, $wd stored, $((wn - wd)) twice"
((unacked == 0)) || fail "$unacked upload(s) never answered"
[[ $fsck == clean ]] || fail "fsck: $fsck_out"
((${done_faults[commit-ack]:-0} == 0 || landed > 0)) || fail "no MO was re-sent after a commit: the commit-ack kills did not land"
e2e_pass
