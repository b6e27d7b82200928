# scripts/svc/vaultweb.sh — start and stop vaultweb for ./smsvault and the
# e2e suites (sourced after scripts/lib.sh). Reads SV_BUILD, SV_WEB_PORT (the
# port SV_CONF names) and SV_CONF (the stack's smsvault.conf, written by
# sv_conf_write). Writes <vardir>/log/vaultweb.log and its pid files in
# <vardir>/run (sv_start_bg). Ready = the page answers while the process we
# started runs, within a deadline; a vaultweb that is not ready by then (or
# that exits, e.g. because its port is taken) is stopped again. It does not
# build anything or start PostgreSQL.

svc_vaultweb_start() {
  local vardir=$1 bin=$SV_BUILD/web/vaultweb conf=${SV_CONF:-} port=${SV_WEB_PORT:-8080} deadline
  [ -x "$bin" ] || { sv_say "vaultweb: $bin is not built"; return 1; }
  [ -n "$conf" ] || { sv_say "vaultweb: SV_CONF (smsvault.conf from sv_conf_write) not set"; return 1; }
  "$bin" -c "$conf" --check-config >/dev/null || { sv_say "vaultweb: bad configuration in $conf"; return 1; }
  sv_start_bg vaultweb "$vardir" "$bin" -c "$conf" || return 1
  deadline=$((SECONDS + 20))
  until curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/" 2>/dev/null && sv_running vaultweb "$vardir" &&
    sv_port_pids "$port" | grep -qx "$(sv_pid vaultweb "$vardir")"; do
    if ! sv_running vaultweb "$vardir" || ((SECONDS >= deadline)); then
      sv_say "vaultweb not ready on port $port (log: $vardir/log/vaultweb.log)"
      tail -n 20 "$vardir/log/vaultweb.log" >&2
      sv_stop_bg vaultweb "$vardir"
      return 1
    fi
    sleep 0.1
  done
  sv_say "vaultweb: http://127.0.0.1:$port/"
}

svc_vaultweb_ports() {
  echo "${SV_WEB_PORT:-8080}"
  [ -z "${SV_WEB_METRICS_PORT:-}" ] || echo "$SV_WEB_METRICS_PORT"
}

svc_vaultweb_stop() {
  sv_stop_bg vaultweb "$1"
}
