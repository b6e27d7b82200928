# scripts/svc/mmscsim.sh — start/stop mmscsim (the operator's MMSC simulator,
# smsc/MMSC.md) for ./smsvault and the tests. Source it, then:
# svc_mmscsim_start <vardir> / svc_mmscsim_stop <vardir>. Reads SV_BUILD,
# SV_MMSC_MM1_PORT, SV_MMSC_MM7_PORT, SV_MMSC_CTL_PORT, SV_SMSC_CTL_PORT
# (its WAP pushes go through smscsim), SV_SHORTCODE; optional SV_CONF (the
# stack's smsvault.conf: then mmscsim is the MMSC of its [mmsc.NAME],
# SV_MMSC_NAME or sim — it posts DeliverReq to vaultmms's /mm7/NAME on
# SV_MMS_PORT with that section's incoming_username/incoming_password, and
# takes SubmitReq only with its username/password: one file says both
# sides), SV_MMSC_VASP_URL (where DeliverReq goes instead) and
# SV_MMSCSIM_ARGS (extra flags after those, e.g. --dialect nokia
# --retry-ms 200). Writes <vardir>/log/mmscsim.log and its pid files in
# <vardir>/run (sv_start_bg). Ready = its three ports accept connections
# within a deadline; a mmscsim that is not ready by then is stopped again.

_svc_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$_svc_root/scripts/lib.sh"

# svc_mmscsim_conf_args: the flags that make mmscsim the MMSC of SV_CONF's
# [mmsc.NAME], one a line (nothing without SV_CONF)
svc_mmscsim_conf_args() {
    local conf=${SV_CONF:-} sec="mmsc.${SV_MMSC_NAME:-sim}" v
    [ -n "$conf" ] && [ -f "$conf" ] || return 0
    [ -n "${SV_MMSC_VASP_URL:-}" ] ||
        printf '%s\n' --vasp-url "http://127.0.0.1:${SV_MMS_PORT:-8088}/mm7/${SV_MMSC_NAME:-sim}"
    v=$(sv_conf_get "$conf" "$sec" incoming_username)
    [ -z "$v" ] || printf '%s\n' --vasp-user "$v" --vasp-password "$(sv_conf_get "$conf" "$sec" incoming_password)"
    v=$(sv_conf_get "$conf" "$sec" username)
    [ -z "$v" ] || printf '%s\n' --mm7-user "$v" --mm7-password "$(sv_conf_get "$conf" "$sec" password)"
}

svc_mmscsim_start() {
    local vardir=$1 p vasp=() conf_args=()
    : "${SV_BUILD:?SV_BUILD (build directory) not set}"
    : "${SV_MMSC_MM1_PORT:?}" "${SV_MMSC_MM7_PORT:?}" "${SV_MMSC_CTL_PORT:?}" "${SV_SMSC_CTL_PORT:?}"
    [ -n "${SV_MMSC_VASP_URL:-}" ] && vasp=(--vasp-url "$SV_MMSC_VASP_URL")
    mapfile -t conf_args < <(svc_mmscsim_conf_args)
    # shellcheck disable=SC2086
    sv_start_bg mmscsim "$vardir" "$SV_BUILD/smsc/mmscsim" --mm1-port "$SV_MMSC_MM1_PORT" \
        --mm7-port "$SV_MMSC_MM7_PORT" --control-port "$SV_MMSC_CTL_PORT" \
        --smsc-control "127.0.0.1:$SV_SMSC_CTL_PORT" --short-code "${SV_SHORTCODE:-10659}" \
        "${vasp[@]}" "${conf_args[@]}" ${SV_MMSCSIM_ARGS:-} || return 1
    for p in "$SV_MMSC_MM1_PORT" "$SV_MMSC_MM7_PORT" "$SV_MMSC_CTL_PORT"; do
        if ! sv_wait_tcp "$p" 10 "$(sv_pid mmscsim "$vardir")"; then
            echo "svc: mmscsim did not come up on 127.0.0.1:$p (log: $vardir/log/mmscsim.log)" >&2
            svc_mmscsim_stop "$vardir"
            return 1
        fi
    done
}

svc_mmscsim_ports() { echo "$SV_MMSC_MM1_PORT $SV_MMSC_MM7_PORT $SV_MMSC_CTL_PORT"; }

svc_mmscsim_stop() {
    sv_stop_pidfile "$1/run/mmscsim.pid" mmscsim
}
