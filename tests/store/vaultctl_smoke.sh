#!/bin/bash
# vaultctl_smoke — runs the real vaultctl against a fresh database in the test
# cluster of ./smsvault test (SMSVAULT_TEST_PGADMIN): migrate (twice), user
# add (good, taken, bad password), user list, stats, fsck finding and
# repairing a planted drift, config errors naming file:line, and a conninfo
# read from a systemd credential. Usage: vaultctl_smoke.sh /path/to/vaultctl
set -u
VAULTCTL=$1
. "$(dirname "$0")/lib.sh"
store_suite_db vaultctl

# the version is the number of the newest file in store/migrations
latest=$(ls "$(dirname "$0")/../../store/migrations" | sed -n 's/^\([0-9][0-9][0-9]\)_.*\.sql$/\1/p' | sort | tail -n 1)
latest=$((10#${latest:-0}))
out=$("$VAULTCTL" migrate 2>&1); check "migrate" 0 $?
contains "migrate prints the version" "$out" "schema version $latest"
out=$("$VAULTCTL" migrate 2>&1); check "migrate again" 0 $?
contains "second migrate is a no-op" "$out" "schema version $latest"
if grep -q "store: migrated" <<<"$out"; then echo "FAIL: second migrate applied something: $out"; fails=$((fails + 1)); fi

out=$(echo "correct horse" | "$VAULTCTL" user add smoke1 2>&1); check "user add" 0 $?
contains "user add prints name" "$out" "smoke1"
out=$(echo "correct horse" | "$VAULTCTL" user add SMOKE1 2>&1); check "user add taken" 1 $?
contains "taken is explained" "$out" "username taken"
out=$(echo "short" | "$VAULTCTL" user add smoke2 2>&1); check "user add short password" 1 $?
out=$(echo "password 3 '; DROP TABLE users; --" | "$VAULTCTL" user add smoke3 zh 2>&1); check "user add zh" 0 $?
out=$("$VAULTCTL" user list 2>&1); check "user list" 0 $?
contains "list has smoke1" "$out" "smoke1"
contains "list has smoke3 in zh" "$out" "zh"

out=$("$VAULTCTL" stats 2>&1); check "stats" 0 $?
contains "stats counts users" "$out" "users 2"
contains "stats counts allocation" "$out" "allocated_bytes 20971520"

out=$("$VAULTCTL" fsck 2>&1); check "fsck clean" 0 $?
psql -q "$uri" -c "UPDATE users SET used_bytes = 42 WHERE username = 'smoke1'" >/dev/null
out=$("$VAULTCTL" fsck 2>&1); check "fsck finds drift" 1 $?
contains "fsck names the user" "$out" "smoke1 recorded=42 actual=0"
out=$("$VAULTCTL" fsck --repair 2>&1); check "fsck --repair" 0 $?
out=$("$VAULTCTL" fsck 2>&1); check "fsck clean after repair" 0 $?

printf '[quota]\nstep = lots\n' >"$tmp/bad.conf"
out=$("$VAULTCTL" --config "$tmp/bad.conf" --check-config 2>&1); check "bad config refused" 2 $?
contains "bad config names file:line" "$out" "$tmp/bad.conf:2"
printf '[database]\nconninfo = x\n[web]\nport = 1\n' >"$tmp/ok.conf"
out=$("$VAULTCTL" --config "$tmp/ok.conf" --check-config 2>&1); check "config with other sections" 0 $?
out=$("$VAULTCTL" frobnicate 2>&1); check "unknown command" 2 $?

# conninfo = @NAME: the connection string comes from a systemd credential
# ($CREDENTIALS_DIRECTORY/NAME, what LoadCredential= in the units provides)
mkdir -m 0700 "$tmp/creds"
printf '%s\n' "$uri" >"$tmp/creds/smsvault.conninfo"
printf '[database]\nconninfo = @smsvault.conninfo\n' >"$tmp/cred.conf"
out=$(env -u SMSVAULT_PGURI CREDENTIALS_DIRECTORY="$tmp/creds" "$VAULTCTL" --config "$tmp/cred.conf" stats 2>&1)
check "conninfo from a credential" 0 $?
contains "credential reaches the database" "$out" "users 2"
out=$(env -u SMSVAULT_PGURI -u CREDENTIALS_DIRECTORY "$VAULTCTL" --config "$tmp/cred.conf" stats 2>&1)
check "credential outside systemd refused" 2 $?
contains "says where the credential comes from" "$out" "LoadCredential=smsvault.conninfo"
out=$(env -u SMSVAULT_PGURI CREDENTIALS_DIRECTORY="$tmp" "$VAULTCTL" --config "$tmp/cred.conf" stats 2>&1)
check "missing credential refused" 2 $?
contains "names the file looked for" "$out" "$tmp/smsvault.conninfo"

store_suite_end
