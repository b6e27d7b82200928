#!/usr/bin/env bash
# shipped_conf_test.sh <build-dir> — the configuration a deployment edits,
# loaded as it is shipped. conf/smsvault.conf: every program that reads it
# accepts it with --check-config, every key the file sets is read by one of
# them with the file's value, and a copy with an unknown section is refused
# naming file:line (the check can fail). conf/kannel.conf: bearerbox starts
# on it and binds its SMPP link to smscsim, with only the lines the file's
# header marks substituted (ports, short codes, spool and log paths: the copy
# is compared with the file line by line); Kannel logs no warning about it;
# a copy with an unknown key makes bearerbox refuse to start. The two files
# agree on the short code, the forward short code (the second smsbox-route),
# the box id and bearerbox's smsbox port.
#
# Not here: the programs' behaviour under these settings (the other suites
# run the same files through sv_conf_write). No database needed.
set -euo pipefail

BUILD=$(cd "${1:?usage: shipped_conf_test.sh <build-dir>}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SMSVAULT_CONF_FILE=$ROOT/conf/smsvault.conf
KANNEL_CONF_FILE=$ROOT/conf/kannel.conf

source "$ROOT/tests/e2e/lib.sh"
e2e_begin shipped-conf
# the programs must read the file, not the environment
unset SMSVAULT_PGURI SMSVAULT_CONF
fail() { e2e_fail "$@"; }

# Every program that reads smsvault.conf, and how it checks a file. A new
# daemon adds its name and its line here.
PROGRAMS=(vaultctl vaultbox vaultweb vaultmms)
check_config() { # check_config <program> <file>
    case $1 in
    vaultctl) "$BUILD/store/vaultctl" --config "$2" --check-config ;;
    vaultbox) "$BUILD/gateway-plugin/vaultbox" --config "$2" --check-config ;;
    vaultweb) "$BUILD/web/vaultweb" -c "$2" --check-config ;;
    vaultmms) "$BUILD/gateway-plugin/mms/vaultmms" --config "$2" --check-config ;;
    *) fail "no --check-config known for $1" ;;
    esac
}

# ---- conf/smsvault.conf ----------------------------------------------------

# "[section] key = value" per key the file sets, sizes (10M) in bytes as the
# programs print them
awk '
    /^[ \t]*[;#]/ || /^[ \t]*$/ { next }
    /^\[/ { s = $0; gsub(/[][ \t]/, "", s); next }
    {
        k = $0; sub(/[ \t]*=.*/, "", k)
        v = $0; sub(/^[^=]*=[ \t]*/, "", v); sub(/[ \t]+$/, "", v)
        if (v ~ /^[0-9]+[KMGT]$/) {
            m = substr(v, length(v)); v = substr(v, 1, length(v) - 1)
            v = sprintf("%.0f", v * 2 ^ (m == "K" ? 10 : m == "M" ? 20 : m == "G" ? 30 : 40))
        }
        printf "[%s] %s = %s\n", s, k, v
    }' "$SMSVAULT_CONF_FILE" | sed 's/ $//' | sort -u >"$VAR/file.keys"
(($(wc -l <"$VAR/file.keys") > 20)) || fail "read only $(wc -l <"$VAR/file.keys") keys from $SMSVAULT_CONF_FILE"

for p in "${PROGRAMS[@]}"; do
    check_config "$p" "$SMSVAULT_CONF_FILE" >"$VAR/$p.check" 2>&1 ||
        fail "$p --check-config refuses $SMSVAULT_CONF_FILE: $(cat "$VAR/$p.check")"
    # its lines are "[section] key = value    ; help" (a named section: [mmsc.sim])
    sed -n 's/^\(\[[A-Za-z0-9_.-]*\] [a-z0-9_]* = .*\)    ; .*$/\1/p' "$VAR/$p.check" | sed 's/ $//' |
        sort -u >"$VAR/$p.keys"
    [[ -s $VAR/$p.keys ]] || fail "$p --check-config printed no settings: $(cat "$VAR/$p.check")"
    echo "e2e: ok $p --check-config accepts conf/smsvault.conf ($(wc -l <"$VAR/$p.keys") settings)"
done

# every key of the file is read by some program, and each program that reads
# it has the file's value (a value printed differently was not applied)
while IFS= read -r line; do
    key=${line%% =*}
    readers=0
    for p in "${PROGRAMS[@]}"; do
        got=$(grep -F -- "$key =" "$VAR/$p.keys" | head -n 1 || true)
        [[ -n $got ]] || continue
        readers=$((readers + 1))
        [[ $got == "$line" || $got == "$key = ********" ]] || fail "$p has '$got', the file says '$line'"
    done
    ((readers > 0)) || fail "no program reads '$line' of conf/smsvault.conf"
done <"$VAR/file.keys"
echo "e2e: ok every one of the $(wc -l <"$VAR/file.keys") keys of conf/smsvault.conf is read with the file's value"

# the check can fail: an unknown section is refused with file:line, and the
# refusal is clean (under the sanitizer build, no LeakSanitizer report: vaultweb
# leaked the defaults it had read before the bad line)
cp "$SMSVAULT_CONF_FILE" "$VAR/bad.conf"
printf '[no_such_section]\nkey = 1\n' >>"$VAR/bad.conf"
bad_line=$(wc -l <"$VAR/bad.conf")
for p in "${PROGRAMS[@]}"; do
    if out=$(check_config "$p" "$VAR/bad.conf" 2>&1); then
        fail "$p --check-config accepts an unknown section: $out"
    fi
    grep -qF "$VAR/bad.conf:$bad_line" <<<"$out" || fail "$p does not name $VAR/bad.conf:$bad_line: $out"
    ! grep -q 'Sanitizer' <<<"$out" || fail "$p refuses $VAR/bad.conf with a sanitizer report: $out"
done
echo "e2e: ok every program refuses an unknown section, naming file:line, leaking nothing"

# ---- conf/kannel.conf --------------------------------------------------------

# kannel_value <key> [n]: the value of the n-th (default: first) uncommented "key = value" line
kannel_value() { sed -n "s/^$1 = \"\{0,1\}\([^\"]*\)\"\{0,1\}\$/\1/p" "$KANNEL_CONF_FILE" | sed -n "${2:-1}p"; }
box_value() { sed -n "s/^\[box\] $1 = //p" "$VAR/vaultbox.keys"; }
[[ $(kannel_value shortcode) == "$(box_value sender)" ]] ||
    fail "short code: kannel.conf routes '$(kannel_value shortcode)', smsvault.conf sends from '$(box_value sender)'"
# the second smsbox-route: the forward short code (texts saved as they are)
[[ $(kannel_value shortcode 2) == "$(box_value forward_shortcode)" ]] ||
    fail "forward short code: kannel.conf routes '$(kannel_value shortcode 2)', smsvault.conf saves '$(box_value forward_shortcode)'"
[[ $(kannel_value smsbox-id 2) == "$(box_value box_id)" ]] ||
    fail "box id: kannel.conf routes the forward code to '$(kannel_value smsbox-id 2)', not '$(box_value box_id)'"
[[ $(kannel_value smsbox-id) == "$(box_value box_id)" ]] ||
    fail "box id: kannel.conf routes to '$(kannel_value smsbox-id)', vaultbox identifies as '$(box_value box_id)'"
[[ $(kannel_value smsbox-port) == "$(box_value bearerbox_port)" ]] ||
    fail "smsbox port: kannel.conf '$(kannel_value smsbox-port)', smsvault.conf '$(box_value bearerbox_port)'"
echo "e2e: ok both files agree: short code $(box_value sender), forward code $(box_value forward_shortcode), box id $(box_value box_id), smsbox port $(box_value bearerbox_port)"

e2e_ports
conf=$(svc_bearerbox_conf "$VAR") || fail "the stack cannot substitute conf/kannel.conf"

# The copy differs from the shipped file in the marked settings only: line
# for line, each changed line is one of them, and every one of them changed
# (the short code only when SV_SHORTCODE differs from the file's).
(($(wc -l <"$conf") == $(wc -l <"$KANNEL_CONF_FILE"))) || fail "the copy has another number of lines"
want="access-log admin-port dlr-spool log-file port smsbox-port store-location"
[[ ${SV_SHORTCODE:-} == "$(kannel_value shortcode)" || -z ${SV_SHORTCODE:-} ]] || want+=" shortcode"
[[ ${SV_FORWARD_SHORTCODE:-} == "$(kannel_value shortcode 2)" || -z ${SV_FORWARD_SHORTCODE:-} ]] || want+=" shortcode"
changed=$(paste -d '\n' "$KANNEL_CONF_FILE" "$conf" | paste - - | awk -F '\t' '$1 != $2 { print $2 }')
got=$(sed 's/ = .*//' <<<"$changed" | sort | paste -sd ' ')
want=$(tr ' ' '\n' <<<"$want" | sort | paste -sd ' ')
[[ $got == "$want" ]] || fail "the copy changes [$got], want [$want]: $changed"
grep -q '^#' <<<"$changed" && fail "the copy changes a comment: $changed"
echo "e2e: ok the copy bearerbox runs differs from conf/kannel.conf in: $got"

# bearerbox reads the file: an unknown key makes it refuse to start
sed 's/^group = core$/group = core\nno-such-key = 1/' "$conf" >"$VAR/bad-kannel.conf"
rc=0
timeout 20 "${SV_BEARERBOX:-$(command -v bearerbox || echo /usr/sbin/bearerbox)}" -v 1 "$VAR/bad-kannel.conf" \
    >"$VAR/bad-kannel.out" 2>&1 || rc=$?
((rc != 0 && rc != 124)) || fail "bearerbox did not refuse an unknown key (exit $rc)"
grep -q "may not contain field 'no-such-key'" "$VAR/bad-kannel.out" ||
    fail "bearerbox refused the copy for another reason: $(head -n 5 "$VAR/bad-kannel.out")"
echo "e2e: ok bearerbox refuses a copy with an unknown key"

e2e_start smscsim
e2e_start bearerbox   # ready = smsbox port open and the SMPP link to smscsim online
if grep -E 'WARNING|ERROR|PANIC' "$VAR/log/bearerbox.log" "$VAR/log/bearerbox.stdout"; then
    fail "Kannel complains about conf/kannel.conf (above)"
fi
echo "e2e: ok bearerbox runs on conf/kannel.conf: SMPP link to smscsim online, smsbox port $SV_BB_BOX_PORT open"

e2e_pass
