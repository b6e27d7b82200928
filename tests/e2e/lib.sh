# tests/e2e/lib.sh — what the end-to-end suites share: the operator network
# (smscsim + bearerbox) on free loopback ports, the simulated phone, the
# smscsim control port, failing with the logs. Sourced by the suites after
# they set BUILD (the build directory) and VAR (their temp dir).

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/svc/smscsim.sh
source "$E2E_ROOT/scripts/svc/smscsim.sh"     # and scripts/lib.sh
# shellcheck source=scripts/svc/bearerbox.sh
source "$E2E_ROOT/scripts/svc/bearerbox.sh"
# shellcheck source=scripts/svc/vaultbox.sh
source "$E2E_ROOT/scripts/svc/vaultbox.sh"

# e2e_ports — four free loopback ports for smscsim (SMPP, control) and
# bearerbox (admin, smsbox), exported with the build directory.
e2e_ports() {
    SV_SMSC_PORT=$(sv_free_port)
    SV_SMSC_CTL_PORT=$(sv_free_port "$SV_SMSC_PORT")
    SV_BB_ADMIN_PORT=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT")
    SV_BB_BOX_PORT=$(sv_free_port "$SV_SMSC_PORT" "$SV_SMSC_CTL_PORT" "$SV_BB_ADMIN_PORT")
    export SV_BUILD=$BUILD SV_SMSC_PORT SV_SMSC_CTL_PORT SV_BB_ADMIN_PORT SV_BB_BOX_PORT
    export SV_SHORTCODE=${SV_SHORTCODE:-10659}
}

# e2e_conf [INI lines] — the suite's smsvault.conf: sv_conf_write (the shipped
# conf/smsvault.conf, this stack's database and ports, then the lines given),
# written to $VAR/smsvault.conf and exported as SV_CONF for the svc scripts.
e2e_conf() {
    export SV_CONF=$VAR/smsvault.conf
    SV_CONF_EXTRA=${1:-} sv_conf_write "$SV_CONF"
}

e2e_fail() {
    echo "e2e: FAIL: $*" >&2
    exit 1
}

# e2e_logs <file...> — the tail of each log, for a failed run.
e2e_logs() {
    local f
    for f in "$@"; do
        echo "===== $f (last 60 lines without debug)"
        grep -v ' DEBUG: ' "$f" 2>/dev/null | tail -n 60 || true
    done
}

# e2e_ctl <request...> — one smscsim control request, its one answer line.
e2e_ctl() {
    local ans
    exec 5<>"/dev/tcp/127.0.0.1/$SV_SMSC_CTL_PORT"
    printf '%s\n' "$*" >&5
    IFS= read -r -t 10 ans <&5 || true
    exec 5>&-
    echo "$ans"
}

# e2e_wait_mt <msisdn> [timeout_ms] — the next MT to msisdn, as text.
e2e_wait_mt() {
    local ans f ms=${2:-60000}
    exec 5<>"/dev/tcp/127.0.0.1/$SV_SMSC_CTL_PORT"
    printf 'WAIT %s %s\n' "$1" "$ms" >&5
    IFS= read -r -t $((ms / 1000 + 10)) ans <&5 || true
    exec 5>&-
    read -r -a f <<<"$ans"
    [[ ${f[3]:-} == TEXT ]] || return 1
    printf '%b' "$(sed 's/../\\x&/g' <<<"${f[4]}")"
}

# e2e_phone <phonesim args...> — a simulated phone texting the short code.
e2e_phone() { "$BUILD/smsc/phonesim" --control "127.0.0.1:$SV_SMSC_CTL_PORT" --to "$SV_SHORTCODE" "$@"; }

e2e_hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }

# e2e_expect <msisdn> <text> <reply>: text from msisdn is answered with a
# reply containing the given text (grep -F); fails otherwise.
e2e_expect() {
    local got
    got=$(e2e_phone --from "$1" --timeout 20000 "$2") || e2e_fail "'$2' from $1: no reply"
    grep -qF -- "$3" <<<"$got" || e2e_fail "'$2' from $1: expected '$3', got: $got"
    echo "e2e: ok $1 '${2:0:40}' -> '${3}'"
}

# e2e_expect_exact <msisdn> <command> <text>: the one reply is text, byte-exact
e2e_expect_exact() {
    local got want
    want=$(e2e_hex "$3")
    got=$(e2e_phone --from "$1" --hex --timeout 20000 "$2") || e2e_fail "'$2' from $1: no reply"
    [[ $got == "$want" ]] || e2e_fail "'$2' from $1: reply differs: want $want got $got"
    echo "e2e: ok $1 '$2' byte-exact (${#3} chars)"
}
