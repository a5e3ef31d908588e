#!/usr/bin/env bash
# run.sh: the otpdesk TUI tests. Creates a fresh database otptui_<pid> on the
# private cluster, migrates it with otpctl, loads test data (otpctl demo seed
# when that command exists, plus a small fixture of our own) and two logins
# (a teller of branch 012 and a login without a staff record), runs every
# tests/tui/t_*.sh (each drives the real otpdesk in tmux), drops the database
# and the logins, and ends with the line "tui: N passed, N failed".
#
#   BUILD=build-tui tests/tui/run.sh [t_lookup ...]
#
# OTP_TEST_RESULT=FILE receives "passed failed" (scripts/check.sh uses it).
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd -P)
cd "$top"
export BUILD=${BUILD:-build}
OTPCTL="$top/$BUILD/bin/otpctl"
OTPDESK="$top/$BUILD/bin/otpdesk"

passed=0
failed=0
report() {
	echo "tui: $passed passed, $failed failed"
	[ -n "${OTP_TEST_RESULT:-}" ] && echo "$passed $failed" > "$OTP_TEST_RESULT"
}
die() {
	echo "run.sh: $*" >&2
	failed=$((failed + 1))
	report
	exit 1
}

for tool in tmux psql createdb dropdb perl; do
	command -v "$tool" >/dev/null || die "$tool is not installed (make deps)"
done
[ -x "$OTPDESK" ] && [ -x "$OTPCTL" ] || die "build first: make BUILD=$BUILD"
# shellcheck disable=SC1091
[ -f var/pgenv ] || scripts/pgctl start >/dev/null || die "the private cluster does not start"
. var/pgenv
psql -X -q -d postgres -c 'SELECT 1' >/dev/null 2>&1 || scripts/pgctl start >/dev/null ||
	die "the private cluster does not answer"

pid=$$
export OTPTUI_DB="otptui_$pid"
export OTPTUI_TELLER="tui_teller_$pid"
export OTPTUI_PASSWORD="$OTPTUI_TELLER"	# the demo convention: password = login name
export OTPTUI_NOSTAFF="tui_nostaff_$pid"
export OTPTUI_TELLER2="tui_teller2_$pid" OTPTUI_SUPERVISOR="tui_super_$pid" OTPTUI_HELPDESK="tui_help_$pid"
export OTPTUI_AUDITOR="tui_audit_$pid" OTPTUI_ADMIN="tui_admin_$pid" OTPTUI_BATCH="tui_batch_$pid"
results=$(mktemp -d "${TMPDIR:-/tmp}/otptui-results.XXXXXX")

psql_su() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

drop_run() {	# drop_run PID: the database and logins of one run
	dropdb --if-exists --force "otptui_$1" 2>/dev/null
	local r
	for r in teller nostaff teller2 super help audit admin batch; do
		psql_su -d postgres -c "DROP ROLE IF EXISTS tui_${r}_$1" >/dev/null 2>&1
	done
}

cleanup() {
	if [ -n "${OTPTUI_KEEP_DB:-}" ]; then
		echo "run.sh: kept database $OTPTUI_DB" >&2
	else
		drop_run "$pid"
	fi
	rm -rf "$results"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# leftovers of runs that died
for d in $(psql -X -A -t -d postgres -c "SELECT datname FROM pg_database WHERE datname ~ '^otptui_[0-9]+\$'"); do
	p=${d#otptui_}
	kill -0 "$p" 2>/dev/null || drop_run "$p"
done

setup_log="$results/setup.log"
setup_fail() { cat "$setup_log" >&2; die "$1"; }
createdb "$OTPTUI_DB" >"$setup_log" 2>&1 || setup_fail "createdb $OTPTUI_DB failed"
OTP_DSN="dbname=$OTPTUI_DB" "$OTPCTL" db migrate >>"$setup_log" 2>&1 || setup_fail "otpctl db migrate failed"

if "$OTPCTL" help demo >/dev/null 2>&1; then
	OTP_DSN="dbname=$OTPTUI_DB" "$OTPCTL" demo seed --contracts 40 >>"$setup_log" 2>&1 ||
		setup_fail "otpctl demo seed failed"
	export OTPTUI_SEEDED=1
fi

# Our own fixture, added to whatever the seed made. Contract IDs 98xxxxxxxx
# and the kana prefix テスト are kept for the tests.
psql_su -d "$OTPTUI_DB" >/dev/null <<SQL || die "loading the fixture failed"
INSERT INTO otp.branch (code, name, name_en, head_office) VALUES
  ('000', '本店営業部', 'Head Office', true),
  ('012', '中央支店', 'Chuo Branch', false),
  ('034', '港支店', 'Minato Branch', false)
ON CONFLICT (code) DO NOTHING;

INSERT INTO otp.contract (contract_id, name_kanji, name_kana, address, branch_code, opened) VALUES
  ('9800000001', '山田太郎', 'ヤマダタロウ', '東京都中央区日本橋1-1', '012', '2015-04-01'),
  ('9800000002', '山田花子', 'ヤマダハナコ', '東京都中央区日本橋1-2', '012', '2016-05-01'),
  ('9800000003', '佐藤一郎', 'サトウイチロウ', '東京都中央区京橋2-1', '012', '2017-06-01'),
  ('9800000004', '鈴木次郎', 'スズキジロウ', '東京都中央区京橋2-2', '012', '2018-07-01'),
  ('9800000005', '高橋三郎', 'タカハシサブロウ', '東京都中央区銀座3-3', '012', '2019-08-01'),
  ('9834000001', '港花子', 'ミナトハナコ', '東京都港区芝1-1', '034', '2020-01-15');
-- 40 contracts whose kana starts with テスト, kanji names of 2 to 5 characters
INSERT INTO otp.contract (contract_id, name_kanji, name_kana, address, branch_code, opened)
SELECT '98100000' || lpad(g::text, 2, '0'),
       '試験' || repeat('郎', g % 4) || chr(19968 + g),
       'テスト' || chr(12449 + (g * 2)),
       '東京都中央区試験' || g, '012', date '2020-01-01' + g
FROM generate_series(1, 40) g;

INSERT INTO otp.token (contract_id, credential_id, state, failure_count, locked_at, registered_at, stopped_at)
VALUES
  ('9800000001', 'TUIA00000001', 'ACTIVE', 0, NULL, now() - interval '100 days', NULL),
  ('9800000002', 'TUIA00000002', 'LOCKED', 5, now() - interval '1 hour', now() - interval '200 days', NULL),
  ('9800000003', 'TUIA00000003', 'STOPPED', 2, NULL, now() - interval '300 days', now() - interval '3 days'),
  ('9800000004', NULL, 'UNREGISTERED', 0, NULL, NULL, NULL),
  ('9800000005', 'TUIA00000005', 'ACTIVE', 1, NULL, now() - interval '50 days', NULL),
  ('9834000001', 'TUIA00000034', 'ACTIVE', 0, NULL, now() - interval '10 days', NULL);
INSERT INTO otp.token (contract_id, credential_id, state, failure_count, locked_at, registered_at)
SELECT c.contract_id, 'TUIB' || lpad(right(c.contract_id, 2), 8, '0'),
       (ARRAY['ACTIVE', 'LOCKED', 'STOPPED', 'UNREGISTERED'])[1 + g % 4],
       CASE WHEN g % 4 = 1 THEN 5 ELSE g % 3 END,
       CASE WHEN g % 4 = 1 THEN now() - g * interval '1 hour' END,
       now() - g * interval '1 day'
FROM otp.contract c, generate_series(1, 40) g
WHERE c.contract_id = '98100000' || lpad(g::text, 2, '0');
UPDATE otp.token SET credential_id = NULL, registered_at = NULL
WHERE state = 'UNREGISTERED' AND contract_id LIKE '981%';

INSERT INTO otp.failure (token_id, contract_id, at, reason, failure_no, client)
SELECT t.token_id, t.contract_id, now() - (70 - g) * interval '1 minute',
       (ARRAY['WRONG_CODE', 'REPLAY', 'WRONG_CODE', 'MALFORMED', 'WRONG_CODE'])[g], g, '192.0.2.' || g
FROM otp.token t, generate_series(1, 5) g WHERE t.contract_id = '9800000002';
INSERT INTO otp.failure (token_id, contract_id, at, reason, failure_no, client)
SELECT t.token_id, t.contract_id, now() - interval '5 minutes', 'LOCKED', NULL, 'web'
FROM otp.token t WHERE t.contract_id = '9800000002';

INSERT INTO otp.fraud_hold (contract_id, reason, set_by)
VALUES ('9800000005', '不審な海外ログインの申告あり', 'tui_test');

CREATE ROLE $OTPTUI_TELLER LOGIN PASSWORD '$OTPTUI_PASSWORD' IN ROLE otp_teller;
INSERT INTO otp.staff (login, display_name, branch_code) VALUES ('$OTPTUI_TELLER', '窓口花子', '012');
CREATE ROLE $OTPTUI_NOSTAFF LOGIN PASSWORD '$OTPTUI_NOSTAFF' IN ROLE otp_teller;

-- one login per group (password = login name): a second teller and a
-- supervisor of branch 012, helpdesk, auditor and administrator of the head
-- office, and the batch service account
CREATE ROLE $OTPTUI_TELLER2 LOGIN PASSWORD '$OTPTUI_TELLER2' IN ROLE otp_teller;
CREATE ROLE $OTPTUI_SUPERVISOR LOGIN PASSWORD '$OTPTUI_SUPERVISOR' IN ROLE otp_supervisor;
CREATE ROLE $OTPTUI_HELPDESK LOGIN PASSWORD '$OTPTUI_HELPDESK' IN ROLE otp_helpdesk;
CREATE ROLE $OTPTUI_AUDITOR LOGIN PASSWORD '$OTPTUI_AUDITOR' IN ROLE otp_auditor;
CREATE ROLE $OTPTUI_ADMIN LOGIN PASSWORD '$OTPTUI_ADMIN' IN ROLE otp_admin;
CREATE ROLE $OTPTUI_BATCH LOGIN PASSWORD '$OTPTUI_BATCH' IN ROLE otp_batch;
INSERT INTO otp.staff (login, display_name, branch_code) VALUES
  ('$OTPTUI_TELLER2', '窓口次郎', '012'),
  ('$OTPTUI_SUPERVISOR', '役席一郎', '012'),
  ('$OTPTUI_HELPDESK', '照会花子', '000'),
  ('$OTPTUI_AUDITOR', '監査太郎', '000'),
  ('$OTPTUI_ADMIN', '管理三郎', '000'),
  ('$OTPTUI_BATCH', 'バッチ', '000');

-- locked contracts kept for the request screens: 06 for the whole
-- teller→supervisor→batch→helpdesk→auditor flow (t_flow), 07 and 08 for the
-- request form and queue tests
INSERT INTO otp.contract (contract_id, name_kanji, name_kana, address, branch_code, opened) VALUES
  ('9800000006', '伊藤六郎', 'イトウロクロウ', '東京都中央区八丁堀6-6', '012', '2014-03-01'),
  ('9800000007', '渡辺七海', 'ワタナベナナミ', '東京都中央区新川7-7', '012', '2013-02-01'),
  ('9800000008', '中村八重', 'ナカムラヤエ', '東京都中央区入船8-8', '012', '2012-01-10');
INSERT INTO otp.token (contract_id, credential_id, state, failure_count, locked_at, registered_at)
VALUES
  ('9800000006', 'TUIA00000006', 'LOCKED', 5, now() - interval '2 hours', now() - interval '400 days'),
  ('9800000007', 'TUIA00000007', 'LOCKED', 5, now() - interval '3 hours', now() - interval '500 days'),
  ('9800000008', 'TUIA00000008', 'LOCKED', 5, now() - interval '4 hours', now() - interval '600 days');
INSERT INTO otp.failure (token_id, contract_id, at, reason, failure_no, client)
SELECT t.token_id, t.contract_id, now() - interval '2 hours' - (6 - g) * interval '3 minutes', 'WRONG_CODE', g,
       '198.51.100.' || g
FROM otp.token t, generate_series(1, 5) g WHERE t.contract_id IN ('9800000006', '9800000007', '9800000008');
SQL

tests=()
if [ $# -gt 0 ]; then
	for n in "$@"; do tests+=("tests/tui/${n%.sh}.sh"); done
else
	tests=(tests/tui/t_*.sh)
fi

export TUI_RESULT_DIR="$results"
start=$(date +%s)
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	echo "=== $name"
	bash "$t"
	if [ -s "$results/$name" ]; then
		read -r p f < "$results/$name"
	else
		echo "not ok - $name: reported no results"
		p=0 f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "# tui tests took $(( $(date +%s) - start ))s"
report
[ "$failed" -eq 0 ]
