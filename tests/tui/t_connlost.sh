#!/usr/bin/env bash
# t_connlost: the server ends the session (pg_terminate_backend) while new
# logins are refused: otpdesk shows the banner, keeps the typed input, retries
# every couple of seconds and finishes the search once logins work again.
. "$(dirname "$0")/lib.sh"

restore() { sql "ALTER ROLE $OTPTUI_TELLER LOGIN" >/dev/null 2>&1; }
trap 'restore; tui_finish' EXIT

start_app
login || not_ok "login"
sql "ALTER ROLE $OTPTUI_TELLER NOLOGIN" >/dev/null
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
     WHERE usename = '$OTPTUI_TELLER' AND datname = '$OTPTUI_DB'" >/dev/null
type_text 9800000001
send Enter
check_screen "banner: connection lost" "connection lost — reconnecting…"
check_screen "retries counted" "(attempt 2)" 6
assert_screen_contains "9800000001"
check "still running" app_alive
send F9
check_screen "F9 shows why the reconnect fails" "not permitted to log in"
send Escape
restore
check_screen "reconnected: the pending search completes" "9800000001 山田太郎" 10
check_absent "banner gone" "connection lost" 2
check_screen "status says reconnected" "reconnected to the database"
