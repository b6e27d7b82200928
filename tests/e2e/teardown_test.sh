#!/usr/bin/env bash
# teardown_test.sh <build-dir> — the shared teardown of tests/e2e/lib.sh
# stops what a suite started also when the suite fails: a child suite
# starts smscsim and ends by e2e_fail, by a command that fails under
# set -e, or by e2e_pass; each time its smscsim (the PID it recorded) must
# be gone afterwards, and the child must exit 0 only when it passed. Before
# the fix, a failed suite's teardown took its own services for another
# process's (a bare `return` in sv_pidfile_ours, run from the EXIT trap,
# returned the failed command's status) and left them running.
set -euo pipefail

BUILD=$(cd "${1:?usage: teardown_test.sh <build-dir>}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$ROOT/tests/e2e/lib.sh"
e2e_begin teardown
fail() { e2e_fail "$@"; }

# child <how>: a suite that starts smscsim, says its PID, and ends <how>
cat >"$VAR/child.sh" <<CHILD
#!/usr/bin/env bash
set -euo pipefail
BUILD=$BUILD
source "$ROOT/tests/e2e/lib.sh"
e2e_begin teardown-child
e2e_ports
e2e_start smscsim
echo "pid \$(sv_pid smscsim "\$VAR")"
case \$1 in
    fail) e2e_fail "on purpose" ;;
    errexit) false ;;
    pass) e2e_pass ;;
esac
CHILD
for how in fail errexit pass; do
    rc=0
    out=$(bash "$VAR/child.sh" "$how" 2>&1) || rc=$?
    pid=$(sed -n 's/^pid //p' <<<"$out")
    [[ $pid =~ ^[0-9]+$ ]] || fail "$how: the child did not start smscsim: $out"
    if [[ $how == pass ]]; then ((rc == 0)) || fail "a passing child exits $rc: $out"; else
        ((rc != 0)) || fail "a $how child exits 0"; fi
    if sv_pid_alive "$pid"; then
        kill "$pid"
        fail "$how: the child's smscsim (pid $pid) still runs after its teardown: $(grep 'left alone' <<<"$out")"
    fi
    rm -rf "$(sed -n 's/^e2e: FAILED; state kept in //p' <<<"$out")"
    echo "e2e: ok a child suite that ends by $how: its smscsim is stopped"
done
e2e_pass
