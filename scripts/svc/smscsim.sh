# scripts/svc/smscsim.sh — start/stop smscsim for ./smsvault, tests and bench.
# Source it, then: svc_smscsim_start <vardir> / svc_smscsim_stop <vardir>.
# Reads SV_BUILD (build directory), SV_SMSC_PORT, SV_SMSC_CTL_PORT; optional
# SV_SMSCSIM_ARGS (extra flags, e.g. --no-quickack). Writes
# <vardir>/log/smscsim.log and its pid files in <vardir>/run (sv_start_bg).
# Ready = the control port accepts connections within a deadline; a
# smscsim that is not ready by then is stopped again.

_svc_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$_svc_root/scripts/lib.sh"

svc_smscsim_start() {
    local vardir=$1
    : "${SV_BUILD:?SV_BUILD (build directory) not set}"
    : "${SV_SMSC_PORT:?}" "${SV_SMSC_CTL_PORT:?}"
    # shellcheck disable=SC2086
    sv_start_bg smscsim "$vardir" "$SV_BUILD/smsc/smscsim" --port "$SV_SMSC_PORT" \
        --control-port "$SV_SMSC_CTL_PORT" ${SV_SMSCSIM_ARGS:-} || return 1
    if ! sv_wait_tcp "$SV_SMSC_CTL_PORT" 10 "$(sv_pid smscsim "$vardir")"; then
        echo "svc: smscsim did not come up on 127.0.0.1:$SV_SMSC_CTL_PORT (log: $vardir/log/smscsim.log)" >&2
        svc_smscsim_stop "$vardir"
        return 1
    fi
}

svc_smscsim_ports() { echo "$SV_SMSC_PORT $SV_SMSC_CTL_PORT"; }

svc_smscsim_stop() {
    sv_stop_pidfile "$1/run/smscsim.pid" smscsim
}
