#!/usr/bin/env bash
# check.sh: run every test suite (called by `make check`). Each suite runs even
# if an earlier one failed; the last line adds them up as "N passed, N failed"
# and the exit status is non-zero if anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$top"
BUILD=${BUILD:-build}
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0

run_suite() {
	local name=$1; shift
	echo
	echo "=== $name ==="
	if OTP_TEST_RESULT="$results/$name" "$@"; then :; else status=1; fi
	[ -s "$results/$name" ] || { echo "$name: did not report results" >&2; echo "0 1" > "$results/$name"; status=1; }
}

run_suite unit "$BUILD/tests/unit-tests"

if scripts/pgctl start; then
	# shellcheck disable=SC1091
	. var/pgenv
	run_suite db "$BUILD/tests/db-tests"
	if [ -x tests/tui/run.sh ]; then
		run_suite tui env BUILD="$BUILD" tests/tui/run.sh
	fi
else
	echo "check: the private PostgreSQL cluster did not start" >&2
	echo "0 1" > "$results/cluster"
	status=1
fi

passed=0 failed=0
for f in "$results"/*; do
	read -r p fl < "$f"
	passed=$((passed + p)); failed=$((failed + fl))
done
echo
echo "=== summary (unit + db + tui) ==="
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] || status=1
exit $status
