#!/usr/bin/env bash
# bench.sh [build-dir] — round-trip benchmark of the SMS path, one box at a time:
# phonesim load -> smscsim -SMPP-> bearerbox -> <box> -> back to the handset.
# Every box gets a fresh stack (smscsim + bearerbox from conf/kannel.conf) on
# free loopback ports in a temp dir. Prints one row per box: round trips/s,
# p50/p99 latency, and peak RSS (VmHWM) of bearerbox, smscsim and the box.
#
# Knobs (env): BENCH_DURATION=10 s, BENCH_INFLIGHT=200, BENCH_PHONES=400,
# BENCH_RATE=0 (0 = as fast as the in-flight window allows),
# BENCH_TEMPLATE='SAVE load %n', SV_SMSCSIM_ARGS (e.g. --no-quickack).
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

# The boxes compared side by side. Each name needs a box_cmd_<name> below.
BOXES=(echobox)
# BOXES+=(vaultbox)     # when gateway-plugin/ has it: one line to compare both

box_cmd_echobox() { # both identify as "vaultbox": that is what smsbox-route routes to
    echo "$SV_BUILD/bench/echobox --port $SV_BB_BOX_PORT --box-id vaultbox --dlr-mask 0 --log-level warning"
}
box_cmd_vaultbox() {
    echo "$SV_BUILD/gateway-plugin/vaultbox --config $VAR/smsvault.conf"
}

# shellcheck source=scripts/svc/bearerbox.sh
source "$ROOT/scripts/svc/smscsim.sh"
source "$ROOT/scripts/svc/bearerbox.sh"

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
        svc_bearerbox_stop "$VAR"
        svc_smscsim_stop "$VAR"
    fi
}
trap stop_stack EXIT

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
    # shellcheck disable=SC2046
    $(box_cmd_"$name") >>"$VAR/log/$name.log" 2>&1 &
    box_pid=$!
    # ready = one round trip completes (the box identified and is routed to)
    deadline=$((SECONDS + 30))
    until "$SV_BUILD/smsc/phonesim" --control "127.0.0.1:$SV_SMSC_CTL_PORT" --from 8613700000000 \
        --to 10659 --timeout 1000 "warm up" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || { echo "bench: $name not ready (logs in $VAR/log)" >&2; return 1; }
    done
    load=$("$SV_BUILD/smsc/phonesim" --control "127.0.0.1:$SV_SMSC_CTL_PORT" --load --to 10659 \
        --phones "$PHONES" --inflight "$INFLIGHT" --rate "$RATE" --duration "$DURATION" \
        --template "$TEMPLATE" --timeout 30000) || true
    bb_pid=$(<"$VAR/run/bearerbox.pid")
    sm_pid=$(<"$VAR/run/smscsim.pid")
    printf '%-10s %s bearerbox_hwm_kb=%s smscsim_hwm_kb=%s box_hwm_kb=%s\n' "$name" \
        "${load#load: }" "$(hwm_kb "$bb_pid")" "$(hwm_kb "$sm_pid")" "$(hwm_kb "$box_pid")"
    stop_stack
    rm -rf "$VAR"
    VAR=
}

echo "bench: duration=${DURATION}s inflight=$INFLIGHT phones=$PHONES rate=$RATE build=$SV_BUILD"
for box in "${BOXES[@]}"; do
    run_box "$box"
done
