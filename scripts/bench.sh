#!/usr/bin/env bash
# bench.sh [build-dir] — round-trip benchmark of the SMS path, one box at a time:
# phonesim load -> smscsim -SMPP-> bearerbox -> <box> -> back to the handset.
# Every box gets a fresh stack (smscsim + bearerbox from conf/kannel.conf) on
# free loopback ports in a temp dir. Prints one row per box: round trips/s,
# p50/p99 latency, and peak RSS (VmHWM) of bearerbox, smscsim and the box.
# (a) vaultbox: SAVE from many registered phones, each committed to
# PostgreSQL before its ack; then the same again paced to half the rate it
# sustained (the p99 target holds there). (b) echobox: the same load answered
# from memory. Last line: the ratio a/b and the targets (a/b >= 0.5, p99 <
# 100 ms at half rate, vaultbox peak RSS < 32 MB).
#
# PostgreSQL for vaultbox: $SMSVAULT_PGURI's server (a fresh database next to
# it is created and dropped), else a private cluster started through
# scripts/lib.sh on a free port and stopped at the end.
#
# Knobs (env): BENCH_DURATION=10 s, BENCH_INFLIGHT=200, BENCH_PHONES=400 (keep it
# >= BENCH_INFLIGHT: phonesim uses numbers past it, which have no account),
# BENCH_RATE=0 (0 = as fast as the in-flight window allows),
# BENCH_TEMPLATE='SAVE load %n', SV_SMSCSIM_ARGS (e.g. --no-quickack),
# BENCH_VAULTBOX_CONF (extra [box] lines for vaultbox, e.g. "workers = 8"),
# BENCH_DLR_MASK=0 (delivery reports for both boxes).
# Use a build without sanitizers for figures: cmake -S . -B build-bench
# -DCMAKE_BUILD_TYPE=Release && cmake --build build-bench -j2.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export SV_BUILD=$(cd "${1:-${SV_BUILD:-$ROOT/build}}" && pwd)
DURATION=${BENCH_DURATION:-10}
INFLIGHT=${BENCH_INFLIGHT:-200}
PHONES=${BENCH_PHONES:-400}
RATE=${BENCH_RATE:-0}
TEMPLATE=${BENCH_TEMPLATE:-SAVE load %n}
# Delivery reports asked for each MT, the same for every box (vaultbox's own
# default is 3; each report costs bearerbox a spool file and the box a write).
DLR_MASK=${BENCH_DLR_MASK:-0}

# the short code both boxes are reached at (conf/kannel.conf's smsbox-route,
# substituted by scripts/svc/bearerbox.sh)
export SV_SHORTCODE=${SV_SHORTCODE:-10659}

# The boxes compared side by side: vaultbox starts through
# scripts/svc/vaultbox.sh, any other from its box_cmd_<name> below.
BOXES=(vaultbox echobox)
[[ -x $SV_BUILD/gateway-plugin/vaultbox ]] || BOXES=(echobox)

box_cmd_echobox() { # both identify as "vaultbox": that is what smsbox-route routes to
    echo "$SV_BUILD/bench/echobox --port $SV_BB_BOX_PORT --box-id vaultbox --dlr-mask $DLR_MASK --log-level warning"
}

# shellcheck source=scripts/svc/bearerbox.sh
source "$ROOT/scripts/svc/smscsim.sh"
source "$ROOT/scripts/svc/bearerbox.sh"
# shellcheck source=scripts/svc/vaultbox.sh
source "$ROOT/scripts/svc/vaultbox.sh"

# ---- PostgreSQL for vaultbox ----
BENCH_DB=
PG_STARTED=
pg_setup() {
    local base
    if [[ -n ${SMSVAULT_PGURI:-} ]]; then
        base=$SMSVAULT_PGURI
    else
        sv_pg_stop bench
        sv_pg_start bench "$(sv_free_port)"
        PG_STARTED=1
        base=$(sv_pg_uri bench postgres)
    fi
    BENCH_ADMIN=$(sv_pg_dbconn "$base" postgres)
    BENCH_DB=sv_bench_$$
    SMSVAULT_PGURI=$(sv_pg_createdb "$BENCH_ADMIN" "$BENCH_DB") || exit 1
    export SMSVAULT_PGURI
}
pg_teardown() {
    if [[ -n $BENCH_DB ]]; then
        sv_pg_dropdb "$BENCH_ADMIN" "$BENCH_DB"
        BENCH_DB=
    fi
    if [[ -n $PG_STARTED ]]; then
        sv_pg_stop bench
        PG_STARTED=
    fi
}

hwm_kb() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null || echo 0; }

VAR=
box_pid=
stop_stack() {
    if [[ -n $box_pid ]] && kill -0 "$box_pid" 2>/dev/null; then
        kill -TERM "$box_pid"
        wait "$box_pid" 2>/dev/null || true
    fi
    box_pid=
    if [[ -n $VAR ]]; then
        svc_vaultbox_stop "$VAR"
        svc_bearerbox_stop "$VAR"
        svc_smscsim_stop "$VAR"
    fi
}
trap 'stop_stack; pg_teardown' EXIT

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<" $2"; }

run_box() { # run_box <name>: prints one result row
    local name=$1 load bb_pid sm_pid deadline
    VAR=$(mktemp -d /tmp/sv-bench.XXXXXX)
    SV_SMSC_PORT=$(sv_free_port)
    SV_SMSC_CTL_PORT=$(sv_free_port "$SV_SMSC_PORT")
    SV_BB_ADMIN_PORT=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT")
    SV_BB_BOX_PORT=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_BB_ADMIN_PORT")
    export SV_SMSC_PORT SV_SMSC_CTL_PORT SV_BB_ADMIN_PORT SV_BB_BOX_PORT
    svc_smscsim_start "$VAR"
    svc_bearerbox_start "$VAR"
    if [[ $name == vaultbox ]]; then
        export SV_CONF=$VAR/smsvault.conf
        SV_CONF_EXTRA="[box]
log_level = warn
dlr_mask = $DLR_MASK
${BENCH_VAULTBOX_CONF:-}" sv_conf_write "$SV_CONF"
        svc_vaultbox_start "$VAR" || { echo "bench: vaultbox did not start" >&2; return 1; }
        box_pid=$(<"$VAR/run/vaultbox.pid")
        # every load phone has an account (16 registrations at a time)
        seq 0 $((PHONES - 1)) | xargs -P 16 -I{} sh -c '"$1/smsc/phonesim" --control "127.0.0.1:$2" \
            --from $((8613900000000 + {})) --to "$3" --expect 1 --timeout 300000 "REG bench{} pass1234" >/dev/null' \
            sh "$SV_BUILD" "$SV_SMSC_CTL_PORT" "$SV_SHORTCODE" || { echo "bench: registration failed" >&2; return 1; }
        # registration hashes passwords (argon2id: 12 MiB each): report that
        # peak apart and measure the SAVE load from here (5 = reset VmHWM)
        echo "vaultbox   registration of $PHONES phones: box_hwm_kb=$(hwm_kb "$box_pid")"
        echo 5 >"/proc/$box_pid/clear_refs" 2>/dev/null || true
    else
        # shellcheck disable=SC2046
        $(box_cmd_"$name") >>"$VAR/log/$name.log" 2>&1 &
        box_pid=$!
    fi
    # ready = one round trip completes (the box identified and is routed to)
    deadline=$((SECONDS + 30))
    until "$SV_BUILD/smsc/phonesim" --control "127.0.0.1:$SV_SMSC_CTL_PORT" --from 8613700000000 \
        --to "$SV_SHORTCODE" --expect 1 --timeout 1000 "warm up" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || { echo "bench: $name not ready (logs in $VAR/log)" >&2; return 1; }
    done
    load=$("$SV_BUILD/smsc/phonesim" --control "127.0.0.1:$SV_SMSC_CTL_PORT" --load --to "$SV_SHORTCODE" \
        --from-base 8613900000000 --phones "$PHONES" --inflight "$INFLIGHT" --rate "$RATE" \
        --duration "$DURATION" --template "$TEMPLATE" --timeout 30000) || true
    bb_pid=$(<"$VAR/run/bearerbox.pid")
    sm_pid=$(<"$VAR/run/smscsim.pid")
    printf '%-10s %s bearerbox_hwm_kb=%s smscsim_hwm_kb=%s box_hwm_kb=%s\n' "$name" \
        "${load#load: }" "$(hwm_kb "$bb_pid")" "$(hwm_kb "$sm_pid")" "$(hwm_kb "$box_pid")"
    eval "rate_$name=$(field rt_per_s "$load")"
    eval "hwm_$name=$(hwm_kb "$box_pid")"
    if [[ $name == vaultbox ]]; then
        # the latency target is at half the sustained rate
        local half
        half=$(awk -v r="$(field rt_per_s "$load")" 'BEGIN { printf "%d", r / 2 }')
        if ((half > 0)); then
            load=$("$SV_BUILD/smsc/phonesim" --control "127.0.0.1:$SV_SMSC_CTL_PORT" --load --to "$SV_SHORTCODE" \
                --from-base 8613900000000 --phones "$PHONES" --inflight "$INFLIGHT" --rate "$half" \
                --duration "$DURATION" --template "$TEMPLATE" --timeout 30000) || true
            printf '%-10s %s (paced to %s/s)\n' "vaultbox/2" "${load#load: }" "$half"
            p99_half=$(field p99_ms "$load")
        fi
        hwm_vaultbox=$(hwm_kb "$box_pid")
    fi
    stop_stack
    rm -rf "$VAR"
    VAR=
}

echo "bench: duration=${DURATION}s inflight=$INFLIGHT phones=$PHONES rate=$RATE dlr_mask=$DLR_MASK build=$SV_BUILD"
rate_vaultbox= rate_echobox= hwm_vaultbox= p99_half=
for box in "${BOXES[@]}"; do
    [[ $box == vaultbox ]] && pg_setup
    run_box "$box"
    [[ $box == vaultbox ]] && pg_teardown
done
if [[ -n $rate_vaultbox && -n $rate_echobox ]]; then
    awk -v a="$rate_vaultbox" -v b="$rate_echobox" -v p="${p99_half:-0}" -v m="${hwm_vaultbox:-0}" 'BEGIN {
        r = b > 0 ? a / b : 0
        printf "bench: vaultbox/echobox=%.2f (target >= 0.5: %s)", r, (r >= 0.5 ? "ok" : "MISSED")
        printf " vaultbox_p99_at_half_rate_ms=%.1f (target < 100: %s)", p, (p < 100 ? "ok" : "MISSED")
        printf " vaultbox_hwm_mb=%.1f (target < 32: %s)\n", m / 1024, (m < 32768 ? "ok" : "MISSED")
    }'
fi
