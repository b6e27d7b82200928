# scripts/svc/vaultweb.sh — start and stop vaultweb for ./smsvault and the
# e2e suites (sourced after scripts/lib.sh). Reads SV_BUILD, SV_WEB_PORT (the
# port SV_CONF names) and SV_CONF (the stack's smsvault.conf, written by
# sv_conf_write). Readiness: the page answers, polled with a deadline. It
# does not build anything or start PostgreSQL.

svc_vaultweb_ready() {
  curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$1/" && sv_running vaultweb "$2"
}

svc_vaultweb_start() {
  local vardir=$1 bin=$SV_BUILD/web/vaultweb conf port=${SV_WEB_PORT:-8080}
  [ -x "$bin" ] || { sv_say "vaultweb: $bin is not built"; return 1; }
  if sv_running vaultweb "$vardir"; then
    sv_say "vaultweb already running: http://127.0.0.1:$port/"
    return 0
  fi
  conf=${SV_CONF:-}
  [ -n "$conf" ] || { sv_say "vaultweb: SV_CONF (smsvault.conf from sv_conf_write) not set"; return 1; }
  "$bin" -c "$conf" --check-config >/dev/null || { sv_say "vaultweb: bad configuration in $conf"; return 1; }
  sv_start_bg vaultweb "$vardir" "$bin" -c "$conf"
  if ! sv_wait_for "vaultweb on port $port" 20 svc_vaultweb_ready "$port" "$vardir"; then
    tail -n 20 "$vardir/log/vaultweb.log" >&2
    sv_stop_bg vaultweb "$vardir"
    return 1
  fi
  sv_say "vaultweb: http://127.0.0.1:$port/"
}

svc_vaultweb_stop() {
  sv_stop_bg vaultweb "$1"
}
