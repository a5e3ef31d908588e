#!/usr/bin/env bash
# t_queue: the branch queue (view_queue): requests of the branch sorted by
# due date, overdue ones marked '!' and drawn in red, the state filter (F6),
# search by contract ID and receipt number, keyset paging, Enter opens the
# request. Works only on its own contracts 97000001NN, whose requests it
# closes again at the end.
TUI_WATCHDOG=${TUI_WATCHDOG:-120}
. "$(dirname "$0")/lib.sh"

OTPCTL="$TUI_TOP/$BUILD/bin/otpctl"
as() {	# as LOGIN otpctl-args...
	local who=$1
	shift
	OTP_DSN="dbname=$OTPTUI_DB" OTP_USER="$who" OTP_PASSWORD="$who" "$OTPCTL" "$@"
}
submit() {	# submit CONTRACT FORM: prints the receipt number
	as "$OTPTUI_TELLER" request submit --contract "$1" --kind unlock --form "$2" --doc drivers_licence \
		--name-match yes --address-match yes --seal match | awk '$1 == "receipt" { print $2 }'
}

# 22 LOCKED contracts of branch 012 for this test
sql "INSERT INTO otp.contract (contract_id, name_kanji, name_kana, address, branch_code, opened)
  SELECT '97000001' || lpad(g::text, 2, '0'), '列' || chr(19968 + g) || '子', 'レツ' || chr(12449 + g * 2),
         '東京都中央区列' || g, '012', '2010-01-01' FROM generate_series(1, 22) g ON CONFLICT DO NOTHING;
  INSERT INTO otp.token (contract_id, credential_id, state, failure_count, locked_at, registered_at)
  SELECT '97000001' || lpad(g::text, 2, '0'), 'TUIQ' || lpad(g::text, 8, '0'), 'LOCKED', 5, now(), now() - interval '90 days'
  FROM generate_series(1, 22) g ON CONFLICT DO NOTHING" >/dev/null

r1=$(submit 9700000101 Q-1)
r2=$(submit 9700000102 Q-2)
r3=$(submit 9700000103 Q-3)
check "three requests submitted with otpctl" test -n "$r1" -a -n "$r2" -a -n "$r3"
as "$OTPTUI_SUPERVISOR" request approve "$r2" >/dev/null
# r3 becomes overdue: received long ago (as superuser, on our own contract only)
sql "UPDATE otp.request SET received_at = '2026-01-05 10:00+09', day1 = '2026-01-05', eligible = '2026-01-06',
  due = '2026-01-07' WHERE receipt_no = '$r3' AND contract_id = '9700000103'" >/dev/null
check "r3 is due long ago in the database" test "$(sql "SELECT due FROM otp.request WHERE receipt_no = '$r3'")" = 2026-01-07
for g in $(seq 4 22); do submit "97000001$(printf %02d "$g")" "Q-$g" >/dev/null; done

start_app -s 80x24
login "$OTPTUI_SUPERVISOR" "$OTPTUI_SUPERVISOR" || not_ok "login"
send F4
wait_for "Branch queue"
send 3
check_screen "queue opens" "Showing: all open requests"
check_screen "overdue request listed first" "! $r3"
assert_screen_contains "2026-01-07"
send Down
check "overdue row drawn in red (not selected)" screen_ansi_matches "\\e\\[[0-9;]*31m(\\e\\[[0-9;]*m)*! $r3"
send Up
check "overdue row is the first row" bash -c 'tmux -L "$1" capture-pane -p -t t | grep -E "^(!| ) [0-9]{3}-" | head -1 | grep -qF "$2"' _ "$TUI_SOCK" "$r3"
check_screen "name column" "列丁子"
assert_screen_contains "窓口花子"
assert_screen_contains "! = overdue (1 on this page)"
due1=$(sql "SELECT due FROM otp.request WHERE receipt_no = '$r1'")
check "due date of r1 shown on its row" bash -c 'tmux -L "$1" capture-pane -p -t t | grep -F "$2" | grep -qF "$3"' _ "$TUI_SOCK" "$r1" "$due1"
check "rows sorted by due date" bash -c 'tmux -L "$1" capture-pane -p -t t | grep -oE "[0-9]{4}-[0-9]{2}-[0-9]{2} *$" | sed "s/ *$//" > "$2/dues"; sort -c "$2/dues"' _ "$TUI_SOCK" "$TEST_TMP"

# paging: 22 own + others; page 1 shows 17 rows
check_screen "footer says more" "(more: PgDn)"
send NPage
check_screen "second page" "page 2, requests 18-"
assert_screen_contains "(previous: PgUp)"
send PPage
check_screen "back on page 1" "page 1, requests 1-17"
check_screen "page 1 again starts with the overdue one" "! $r3"

# filters
send F6
check_screen "filter: waiting for approval" "Showing: waiting for approval"
check_absent "approved request not in the SUBMITTED list" "$r2"
send F6
check_screen "filter: approved" "Showing: approved, waiting for execution"
check_screen "approved request listed" "$r2"
check_absent "submitted request not in the APPROVED list" "$r1"
send F6
check_screen "filter: closed" "Showing: closed (newest first)"
send F6
check_screen "filter: back to all open" "Showing: all open requests"

# search by contract ID, then by receipt number
send /
type_text 9700000102
send Enter
check_screen "search by contract" "(only 9700000102)"
check_screen "the contract's request" "$r2"
check_absent "others filtered out" "$r1"
send /
send C-u
type_text "$r1"
send Enter
check_screen "search by receipt number" "(only this receipt)"
assert_screen_contains "requests 1-1"
send /
send C-u
type_text "12-34"
send Enter
check_screen "malformed search explained" "search for a contract ID (10 digits) or a receipt number"
send C-u Enter
check_screen "empty search shows everything again" "page 1, requests 1-17"

# Enter opens the request; back, the queue is read again
send Enter
check_screen "Enter opens the selected request" "Request $r3"
assert_screen_contains "OVERDUE"
send Escape
check_screen "back on the queue" "Showing: all open requests"

send F1
check_screen "help lists the queue keys" "show: all open / waiting for approval /"
assert_screen_contains "search by contract ID or receipt number"
send Escape

# a teller sees the queue too
start_app -s 80x24
login "$OTPTUI_TELLER" || not_ok "login"
send F4
wait_for "Branch queue"
send 3
check_screen "teller sees the branch queue" "! $r3"

sql "UPDATE otp.request SET state = 'CANCELLED', cancelled_by = 'tui_test', cancelled_at = now(), cancel_reason = 't_queue cleanup'
  WHERE contract_id LIKE '97000001%' AND state IN ('SUBMITTED', 'APPROVED')" >/dev/null 2>&1 || true
