# scripts/svc/vaultbox.sh — start/stop vaultbox (the Kannel box of smsvault)
# for ./smsvault, tests and bench. Source it, then
# svc_vaultbox_start <vardir> / svc_vaultbox_stop <vardir>.
# Reads SV_BUILD (build directory) and SV_CONF (the stack's smsvault.conf,
# written by sv_conf_write in scripts/lib.sh); optional SV_VAULTBOX_ENV
# (environment assignments for the process, tests only). Writes
# <vardir>/log/vaultbox.log and <vardir>/run/vaultbox.pid. Ready = vaultbox
# created its ready file (<vardir>/run/vaultbox.ready: connected and
# identified to bearerbox), within a deadline.

_svc_vb_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$_svc_vb_root/scripts/lib.sh"   # sv_stop_pidfile

svc_vaultbox_start() {
    local vardir=$1 conf=${SV_CONF:-} pid log ready deadline
    : "${SV_BUILD:?SV_BUILD (build directory) not set}"
    [[ -n $conf ]] || { echo "svc: vaultbox: SV_CONF (smsvault.conf from sv_conf_write) not set" >&2; return 1; }
    mkdir -p "$vardir/log" "$vardir/run"
    "$SV_BUILD/gateway-plugin/vaultbox" --check-config --config "$conf" >/dev/null || return 1
    log=$vardir/log/vaultbox.log
    ready=$vardir/run/vaultbox.ready
    rm -f "$ready"
    # shellcheck disable=SC2086
    env ${SV_VAULTBOX_ENV:-} "$SV_BUILD/gateway-plugin/vaultbox" --config "$conf" --ready-file "$ready" \
        >>"$log" 2>&1 &
    pid=$!
    echo "$pid" >"$vardir/run/vaultbox.pid"
    deadline=$((SECONDS + 30))
    until [[ -f $ready ]]; do
        if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
            echo "svc: vaultbox not ready (log: $log)" >&2
            return 1
        fi
        sleep 0.05
    done
}

svc_vaultbox_stop() {
    sv_stop_pidfile "$1/run/vaultbox.pid" vaultbox
    rm -f "$1/run/vaultbox.ready"
}
