# scripts/svc/smscsim.sh — start/stop smscsim for ./smsvault, tests and bench.
# Source it, then: svc_smscsim_start <vardir> / svc_smscsim_stop <vardir>.
# Reads SV_BUILD (build directory), SV_SMSC_PORT, SV_SMSC_CTL_PORT; optional
# SV_SMSCSIM_ARGS (extra flags, e.g. --no-quickack). Writes
# <vardir>/log/smscsim.log and <vardir>/run/smscsim.pid. Helpers come from
# scripts/lib.sh.

_svc_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$_svc_root/scripts/lib.sh"

svc_smscsim_start() {
    local vardir=$1 pid
    : "${SV_BUILD:?SV_BUILD (build directory) not set}"
    : "${SV_SMSC_PORT:?}" "${SV_SMSC_CTL_PORT:?}"
    mkdir -p "$vardir/log" "$vardir/run"
    # shellcheck disable=SC2086
    "$SV_BUILD/smsc/smscsim" --port "$SV_SMSC_PORT" --control-port "$SV_SMSC_CTL_PORT" \
        ${SV_SMSCSIM_ARGS:-} >>"$vardir/log/smscsim.log" 2>&1 &
    pid=$!
    echo "$pid" >"$vardir/run/smscsim.pid"
    if ! sv_wait_tcp "$SV_SMSC_CTL_PORT" 10 "$pid"; then
        echo "svc: smscsim did not come up on 127.0.0.1:$SV_SMSC_CTL_PORT (log: $vardir/log/smscsim.log)" >&2
        return 1
    fi
}

svc_smscsim_stop() {
    sv_stop_pidfile "$1/run/smscsim.pid" smscsim
}
