# scripts/svc/vaultbox.sh — start/stop vaultbox (the Kannel box of smsvault)
# for ./smsvault, tests and bench. Source it, then
# svc_vaultbox_start <vardir> / svc_vaultbox_stop <vardir>.
# Reads SV_BUILD (build directory) and SV_CONF (the stack's smsvault.conf,
# written by sv_conf_write in scripts/lib.sh); optional SV_VAULTBOX_ENV
# (environment assignments for the process, tests only). Writes
# <vardir>/log/vaultbox.log and its pid files in <vardir>/run (sv_start_bg).
# Ready = vaultbox created its ready file (<vardir>/run/vaultbox.ready:
# connected and identified to bearerbox), within a deadline; a vaultbox that
# is not ready by then is stopped again.

_svc_vb_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$_svc_vb_root/scripts/lib.sh"   # sv_start_bg, sv_stop_pidfile

svc_vaultbox_start() {
    local vardir=$1 conf=${SV_CONF:-} pid ready deadline
    : "${SV_BUILD:?SV_BUILD (build directory) not set}"
    [[ -n $conf ]] || { echo "svc: vaultbox: SV_CONF (smsvault.conf from sv_conf_write) not set" >&2; return 1; }
    "$SV_BUILD/gateway-plugin/vaultbox" --check-config --config "$conf" >/dev/null || return 1
    ready=$vardir/run/vaultbox.ready
    # before the ready file is removed: it is the running one's (sv_start_bg
    # would refuse too, but only after that)
    if sv_running vaultbox "$vardir"; then
        sv_say "vaultbox already runs (pid $(sv_pid vaultbox "$vardir")); not starting another"
        return 1
    fi
    mkdir -p "$vardir/run"
    rm -f "$ready"
    # shellcheck disable=SC2086
    sv_start_bg vaultbox "$vardir" env ${SV_VAULTBOX_ENV:-} "$SV_BUILD/gateway-plugin/vaultbox" \
        --config "$conf" --ready-file "$ready" || return 1
    pid=$(sv_pid vaultbox "$vardir")
    deadline=$((SECONDS + 30))
    until [[ -f $ready ]]; do
        if ! sv_pid_alive "$pid" || ((SECONDS >= deadline)); then
            echo "svc: vaultbox not ready (log: $vardir/log/vaultbox.log)" >&2
            svc_vaultbox_stop "$vardir"
            return 1
        fi
        sleep 0.05
    done
}

# its /metrics listener, when the stack has one (it connects to bearerbox)
svc_vaultbox_ports() { [ -z "${SV_BOX_METRICS_PORT:-}" ] || echo "$SV_BOX_METRICS_PORT"; }

svc_vaultbox_stop() {
    sv_stop_pidfile "$1/run/vaultbox.pid" vaultbox
    rm -f "$1/run/vaultbox.ready"
}
