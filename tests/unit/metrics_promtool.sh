#!/usr/bin/env bash
# metrics_promtool.sh <build-dir> — Prometheus's own checker on our text
# exposition: metrics_test writes a registry that uses every feature (labels,
# escaped label values and HELP, a sparse metric, histograms, NaN), and
# `promtool check metrics` (Prometheus's parser, then its lint of names,
# HELP texts and units; exit 0 only when it has nothing to say) must accept
# it as it is. promtool comes out of Debian's prometheus package without
# installing it (sv_promtool in scripts/lib.sh).
set -euo pipefail
BUILD=$(cd "${1:?usage: metrics_promtool.sh <build-dir>}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$ROOT/scripts/lib.sh"
promtool=$(sv_promtool) || { echo "FAIL: no promtool (sv_promtool)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$BUILD/common/metrics_test" "$tmp/sample.txt"
# what it checks must be there: every kind of line
for want in '^# TYPE smsvault_sample_request_duration_seconds histogram$' \
    '^smsvault_sample_request_duration_seconds_bucket\{route="/b",le="\+Inf"\} 1$' \
    '^smsvault_sample_odd_labels\{value="quote\\"back\\\\slash"\} -0.25$' \
    '^smsvault_sample_odd_labels\{value="new\\nline"\} 0$' '^smsvault_sample_nan NaN$' \
    '^smsvault_build_info\{program="metrics_test",version="0.0.0"\} 1$'; do
    grep -qE -- "$want" "$tmp/sample.txt" || { echo "FAIL: no line matching $want"; cat "$tmp/sample.txt"; exit 1; }
done
if ! out=$("$promtool" check metrics <"$tmp/sample.txt" 2>&1); then
    echo "FAIL: promtool check metrics:"
    echo "$out"
    cat "$tmp/sample.txt"
    exit 1
fi
# and promtool does find faults: a counter without _total, a bad escape
printf '# HELP bad A counter.\n# TYPE bad counter\nbad 1\n' >"$tmp/bad1.txt"
printf '# HELP b_total B.\n# TYPE b_total counter\nb_total{v="a\nb"} 1\n' >"$tmp/bad2.txt"
for f in bad1 bad2; do
    if "$promtool" check metrics <"$tmp/$f.txt" >/dev/null 2>&1; then
        echo "FAIL: promtool accepted $f: it would not catch our faults either"
        exit 1
    fi
done
echo "1 passed, 0 failed: promtool check metrics accepts the exposition ($(wc -l <"$tmp/sample.txt") lines)"
