#!/usr/bin/env bash
# t_restart: the database server really restarts during a session. A
# throwaway cluster of our own (OTP_VAR, as tests/db/test_audit_crash.c does;
# never the shared one) is migrated and seeded; the teller signs in, the
# server is stopped (immediate mode, as in a crash), a search typed meanwhile
# shows the lost-connection banner and keeps the input, a new-request form
# keeps what was typed; the server comes back and otpdesk reconnects by
# itself, finishes the pending search, and the form submits.
. "$(dirname "$0")/lib.sh"

PGCTL="$TUI_TOP/scripts/pgctl"
OTPCTL="$TUI_TOP/$BUILD/bin/otpctl"
RVAR="/tmp/otptui-restart-$$"
cluster() { OTP_VAR="$RVAR" "$PGCTL" "$@"; }
on_exit() {
	local rc=$?
	stop_app
	cluster destroy >/dev/null 2>&1
	rm -rf "$RVAR"
	(exit $rc)
	tui_finish
}
trap on_exit EXIT

cluster start >/dev/null 2>&1 || not_ok "throwaway cluster starts"
eval "$(cluster env)"	# PGHOST PGPORT PGUSER PGPASSFILE of the throwaway cluster
export PGDATABASE=otpdesk
R="host=$PGHOST port=$PGPORT dbname=otpdesk"
rsql() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d otpdesk -c "$1"; }
TELLER="tui_rteller_$$"
{
	OTP_DSN="$R" "$OTPCTL" db migrate &&
		OTP_DSN="$R" "$OTPCTL" demo seed --contracts 30 &&
		rsql "CREATE ROLE $TELLER LOGIN PASSWORD '$TELLER' IN ROLE otp_teller;
		      INSERT INTO otp.staff (login, display_name, branch_code)
		      SELECT '$TELLER', '再起動窓口', branch_code FROM otp.contract c
		      JOIN otp.token t USING (contract_id) WHERE t.state = 'ACTIVE'
		      GROUP BY branch_code HAVING count(*) >= 2 ORDER BY count(*) DESC, branch_code LIMIT 1;
		      UPDATE otp.token SET state = 'LOCKED', failure_count = 5, locked_at = now()
		      WHERE contract_id = (SELECT max(contract_id) FROM otp.contract JOIN otp.token USING (contract_id)
		                           WHERE state = 'ACTIVE' AND branch_code =
		                                 (SELECT branch_code FROM otp.staff WHERE login = '$TELLER'))"
} >"$TEST_TMP/setup.log" 2>&1
check "throwaway cluster migrated and seeded" test $? -eq 0 || cat "$TEST_TMP/setup.log"
branch=$(rsql "SELECT branch_code FROM otp.staff WHERE login = '$TELLER'")
c1=$(rsql "SELECT contract_id FROM otp.contract WHERE branch_code = '$branch' ORDER BY contract_id LIMIT 1")
locked=$(rsql "SELECT contract_id FROM otp.contract JOIN otp.token USING (contract_id)
               WHERE branch_code = '$branch' AND state = 'LOCKED' ORDER BY contract_id LIMIT 1")
check "test contracts found ($c1, locked $locked)" test -n "$c1" -a -n "$locked"

start_app -s 80x24 --dsn "$R"
login "$TELLER" "$TELLER" || not_ok "login on the throwaway cluster"

# 1. a search typed while the server is down
cluster immediate-stop >/dev/null 2>&1
check "server stopped" bash -c '! psql -X -q -d otpdesk -c "SELECT 1" >/dev/null 2>&1'
type_text "$c1"
send Enter
check_screen "banner: connection lost" "connection lost — reconnecting…" 10
assert_screen_contains "$c1"
check "otpdesk still running while the server is down" app_alive
cluster start >/dev/null 2>&1
check_screen "server back: the pending search completes" "$c1 " 20
check_absent "banner gone after the reconnect" "connection lost" 5
check_screen "status says reconnected" "reconnected to the database"

# 2. a new-request form typed in while the server goes down and comes back
send F4
wait_for "New request"
send 2
wait_for "New request (UNLOCK / RESET)"
type_text "$locked"
wait_for "token: LOCKED" 10
cluster immediate-stop >/dev/null 2>&1
send Tab Tab
type_text "RS-1"
send Tab Right
send Tab y y y
type_text "再起動中に入力"
check_screen "the form keeps what was typed while the server is down" "再起動中に入力"
cluster start >/dev/null 2>&1
sleep 1
send F2
check_screen "confirmation after the restart" "Submit this request?" 15
send y
check_screen "submitted after the restart: receipt number" "Write this receipt number on the paper form." 20
check "stored on the restarted server" \
	test "$(rsql "SELECT count(*) FROM otp.request WHERE contract_id = '$locked' AND form_no = 'RS-1'")" = 1
