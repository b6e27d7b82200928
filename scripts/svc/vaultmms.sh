# scripts/svc/vaultmms.sh — start/stop vaultmms (the MM7 gateway plugin) for
# ./smsvault and the e2e suites (sourced after scripts/lib.sh). Reads
# SV_BUILD, SV_CONF (the stack's smsvault.conf, written by sv_conf_write;
# its [mms] port is SV_MMS_PORT when set, retrieve_port SV_MMS_RETRIEVE_PORT) and optional SV_VAULTMMS_ENV
# (environment assignments for the process, tests only: the
# SMSVAULT_TEST_DIE_AFTER_COMMIT hook). Writes <vardir>/log/vaultmms.log and
# its pid files in <vardir>/run (sv_start_bg). Ready = vaultmms created its
# ready file (<vardir>/run/vaultmms.ready: it listens), within a deadline; a
# vaultmms that is not ready by then (or exits: its port is taken, its
# configuration refused) is stopped again.

svc_vaultmms_start() {
  local vardir=$1 bin=$SV_BUILD/gateway-plugin/mms/vaultmms conf=${SV_CONF:-} pid ready deadline
  [ -x "$bin" ] || { sv_say "vaultmms: $bin is not built"; return 1; }
  [ -n "$conf" ] || { sv_say "vaultmms: SV_CONF (smsvault.conf from sv_conf_write) not set"; return 1; }
  "$bin" --config "$conf" --check-config >/dev/null || { sv_say "vaultmms: bad configuration in $conf"; return 1; }
  if sv_running vaultmms "$vardir"; then
    sv_say "vaultmms already runs (pid $(sv_pid vaultmms "$vardir")); not starting another"
    return 1
  fi
  ready=$vardir/run/vaultmms.ready
  mkdir -p "$vardir/run"
  rm -f "$ready"
  # shellcheck disable=SC2086
  sv_start_bg vaultmms "$vardir" env ${SV_VAULTMMS_ENV:-} "$bin" --config "$conf" --ready-file "$ready" || return 1
  pid=$(sv_pid vaultmms "$vardir")
  deadline=$((SECONDS + 30))
  until [ -f "$ready" ]; do
    if ! sv_pid_alive "$pid" || ((SECONDS >= deadline)); then
      sv_say "vaultmms not ready (log: $vardir/log/vaultmms.log)"
      tail -n 20 "$vardir/log/vaultmms.log" >&2
      svc_vaultmms_stop "$vardir"
      return 1
    fi
    sleep 0.05
  done
  sv_say "vaultmms: MM7 endpoint http://127.0.0.1:${SV_MMS_PORT:-8088}/mm7/NAME"
}

# its MM7 port, its metrics port, and the retrieval URL's when the stack delivers directly
svc_vaultmms_ports() {
  local p=${SV_MMS_PORT:-8088}
  if [ -n "${SV_CONF:-}" ] && [ -f "$SV_CONF" ] && [ "$(sv_conf_get "$SV_CONF" mms delivery)" = direct ]; then
    p+=" $(sv_conf_get "$SV_CONF" mms retrieve_port)"
  fi
  [ -z "${SV_MMS_METRICS_PORT:-}" ] || p+=" $SV_MMS_METRICS_PORT"
  echo "$p"
}

svc_vaultmms_stop() {
  sv_stop_pidfile "$1/run/vaultmms.pid" vaultmms
  rm -f "$1/run/vaultmms.ready"
}
