# scripts/svc/bearerbox.sh — start/stop Kannel's bearerbox with a copy of
# conf/kannel.conf in which only the lines its header marks are substituted
# (ports, short codes, spool and log paths; comments are left alone). Source
# it, then svc_bearerbox_start <vardir> / svc_bearerbox_stop <vardir>. Reads
# SV_BB_ADMIN_PORT, SV_BB_BOX_PORT, SV_SMSC_PORT; optional SV_SHORTCODE (the
# first smsbox-route's shortcode), SV_FORWARD_SHORTCODE (the second's),
# SV_KANNEL_CONF (template, default conf/kannel.conf), SV_BEARERBOX (binary,
# default bearerbox on PATH or /usr/sbin/bearerbox).
# Ready = the smsbox port accepts connections AND the SMPP link is bound
# (bearerbox's admin status page says "online"), within a deadline; a
# bearerbox that is not ready by then is stopped again. Kannel writes its
# own log (<vardir>/log/bearerbox.log, from the file); its stdout and stderr
# go to <vardir>/log/bearerbox.stdout.

_svc_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$_svc_root/scripts/lib.sh"

# svc_bearerbox_conf <vardir>: write <vardir>/kannel.conf, print its path.
# Each marked setting must be in the template exactly once: a file edited
# past its markers fails here, naming the line, instead of running the stack
# on the file's own ports.
svc_bearerbox_conf() {
    local vardir=$1 tpl=${SV_KANNEL_CONF:-$_svc_root/conf/kannel.conf} re n
    for re in '^admin-port = ' '^smsbox-port = ' '^port = 2775$'; do
        if [[ $(grep -c -- "$re" "$tpl") != 1 ]]; then
            echo "svc: $tpl: want exactly one line matching /$re/ (see the file's header)" >&2
            return 1
        fi
    done
    n=$(grep -c -- '^shortcode = ".*"$' "$tpl" || true)
    if ((n != 1 && n != 2)); then
        echo "svc: $tpl: want one or two lines matching /^shortcode = \".*\"\$/ (see the file's header)" >&2
        return 1
    fi
    mkdir -p "$vardir/spool/store" "$vardir/spool/dlr" "$vardir/log"
    # the first shortcode line is the service's route, the second the forward code's
    sed -e "s|^admin-port = .*|admin-port = $SV_BB_ADMIN_PORT|" \
        -e "s|^smsbox-port = .*|smsbox-port = $SV_BB_BOX_PORT|" \
        -e "s|^port = 2775\$|port = $SV_SMSC_PORT|" \
        -e "/^#/!s|/var/spool/kannel|$vardir/spool|g" \
        -e "/^#/!s|/var/log/kannel|$vardir/log|g" \
        "$tpl" |
        awk -v a="${SV_SHORTCODE:-}" -v b="${SV_FORWARD_SHORTCODE:-}" '
            /^shortcode = ".*"$/ {
                k++
                if (k == 1 && a != "") $0 = "shortcode = \"" a "\""
                if (k == 2 && b != "") $0 = "shortcode = \"" b "\""
            }
            { print }' >"$vardir/kannel.conf"
    echo "$vardir/kannel.conf"
}

# _svc_bb_online <deadline_s>: poll the admin status until the smsc is online.
_svc_bb_online() {
    local deadline=$((SECONDS + $1)) status
    while ((SECONDS < deadline)); do
        status=$(exec 3<>"/dev/tcp/127.0.0.1/$SV_BB_ADMIN_PORT" &&
            printf 'GET /status.txt HTTP/1.0\r\n\r\n' >&3 && timeout 2 cat <&3) 2>/dev/null
        if grep -q "online" <<<"$status"; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

svc_bearerbox_start() {
    local vardir=$1 conf bin=${SV_BEARERBOX:-$(command -v bearerbox || echo /usr/sbin/bearerbox)}
    : "${SV_BB_ADMIN_PORT:?}" "${SV_BB_BOX_PORT:?}" "${SV_SMSC_PORT:?}"
    conf=$(svc_bearerbox_conf "$vardir") || return 1
    # -v 2: warnings and worse on stderr. Without it bearerbox writes every PDU
    # dump (debug) to stderr: ~100 MB per 10k round trips, and slower.
    sv_start_bg --log "$vardir/log/bearerbox.stdout" bearerbox "$vardir" "$bin" -v 2 "$conf" || return 1
    if ! sv_wait_tcp "$SV_BB_BOX_PORT" 20 "$(sv_pid bearerbox "$vardir")" || ! _svc_bb_online 20; then
        echo "svc: bearerbox not ready (log: $vardir/log/bearerbox.log)" >&2
        svc_bearerbox_stop "$vardir"
        return 1
    fi
}

svc_bearerbox_ports() { echo "$SV_BB_ADMIN_PORT $SV_BB_BOX_PORT"; }

svc_bearerbox_stop() {
    sv_stop_pidfile "$1/run/bearerbox.pid" bearerbox
}
