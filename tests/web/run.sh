#!/usr/bin/env bash
# tests/web/run.sh <vaultweb binary> <work dir> <test file...> — start a
# PostgreSQL-backed vaultweb on a free loopback port (a fresh database in
# the cluster that ./smsvault test started), wait until it answers,
# run the node tests against it, stop it by PID, and fail on ERROR lines in
# its log. Screenshots land in <work dir>/screenshots.
set -euo pipefail
bin=$1 work=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
SV_ROOT=$(cd "$here/../.." && pwd)
. "$SV_ROOT/scripts/lib.sh"

command -v node >/dev/null || sv_die "node is not installed"
if [ ! -d "$here/node_modules/playwright-core" ]; then
  (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

mkdir -p "$work/screenshots"
port=$(sv_free_port)
[ -n "${SMSVAULT_TEST_PGADMIN:-}" ] || sv_die "SMSVAULT_TEST_PGADMIN is not set (run through ./smsvault test)"
dbname=web_$(basename "$1" .test.mjs)
db=$(sv_pg_createdb "$SMSVAULT_TEST_PGADMIN" "$dbname") || exit 1
conf=$work/vaultweb.conf
log=$work/vaultweb.log
: >"$log"
SMSVAULT_PGURI=$db SV_WEB_PORT=$port SV_CONF_EXTRA="[quota]
initial = 256K
threshold = 64K
step = 256K
user_cap = 2M
[login]
free_failures = 3
[web]
threads = 4
upload_body_max = 4M" sv_conf_write "$conf"
# A suite that needs other [web] values (short deadlines, TLS...) ships them
# beside it as <name>.conf, appended to the [web] section (@WORK@ is the work
# dir); <name>.setup.sh, if there, runs first with the work dir (it makes the
# suite's test CA and certificates). With tls_cert set the page is HTTPS and
# the suite gets the CA as SV_WEB_CA.
extra="${1%.test.mjs}.conf"
setup="${1%.test.mjs}.setup.sh"
[ -f "$setup" ] && bash "$setup" "$work"
scheme=http curl_ca=()
if [ -f "$extra" ]; then
  sed "s|@WORK@|$work|g" "$extra" >>"$conf"
  if grep -q '^tls_cert *= *[^ ]' "$extra"; then
    scheme=https curl_ca=(--cacert "$work/ca.pem")
    export SV_WEB_CA=$work/ca.pem NODE_EXTRA_CA_CERTS=$work/ca.pem
  fi
fi
"$bin" -c "$conf" --check-config >/dev/null

"$bin" -c "$conf" >>"$log" 2>&1 </dev/null &
pid=$!
cleanup() {
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  wait "$pid" 2>/dev/null || true
  sv_pg_dropdb "$SMSVAULT_TEST_PGADMIN" "$dbname"
}
trap cleanup EXIT
ready() { curl -fsS -o /dev/null --max-time 2 "${curl_ca[@]}" "$scheme://127.0.0.1:$port/" && kill -0 "$pid"; }
if ! sv_wait_for "vaultweb" 30 ready; then
  cat "$log"
  exit 1
fi

rc=0
SV_WEB_URL="$scheme://127.0.0.1:$port" SV_WEB_SHOTS="$work/screenshots" SV_WEB_WORK="$work" \
  SV_WEB_PID=$pid SV_WEB_LOG=$log SV_WEB_PORT=$port \
  node --test --test-concurrency=1 "$@" || rc=$?
cleanup
trap - EXIT
if grep -E 'ERROR|PANIC' "$log"; then
  echo "vaultweb logged errors (above)"
  rc=1
fi
[ $rc -eq 0 ] || { echo "--- vaultweb log (last 40 lines) ---"; tail -n 40 "$log"; }
exit $rc
