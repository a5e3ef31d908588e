#!/usr/bin/env bash
# t_lookup: contract ID and credential lookups, the detail screen (token
# state, failures, fraud hold), malformed and unknown input, another
# branch's contract, state colours and the timing file.
. "$(dirname "$0")/lib.sh"

export OTP_TUI_TIMING="$TEST_TMP/timing"
start_app
login || not_ok "login"

type_text 9800000002
send Enter
check_screen "lookup by contract ID: kanji name" "9800000002 山田花子"
assert_screen_contains "ヤマダハナコ"
assert_screen_contains "LOCKED"
assert_screen_contains "5/5"
check "LOCKED is drawn in red" screen_ansi_matches '9800000002 .*\e\[[0-9;]*31m(\e\[[0-9;]*m)*LOCKED'

send Enter
check_screen "detail: title" "Contract 9800000002"
check_screen "detail: credential ID" "TUIA00000002"
assert_screen_contains "東京都中央区日本橋1-2"
assert_screen_contains "5 (locks at 5)"
assert_screen_contains "Locked at"
check_screen "detail: recent failures listed" "Recent failed attempts (6, newest first)"
assert_screen_contains "code reused"
assert_screen_contains "attempt while locked"
assert_screen_contains "192.0.2.5"
check "detail: no fraud hold banner" bash -c '! tmux -L "$1" capture-pane -p -t t | grep -q "FRAUD HOLD"' _ "$TUI_SOCK"
send Escape
check_screen "Esc goes back to the results" "1 contract; Enter opens it"

# credential ID, typed in lower case
send /
send C-u
type_text tuia00000001
send Enter
check_screen "lookup by credential ID" "9800000001 山田太郎"

# full-width digits are folded to ASCII
send /
send C-u
type_text "９８０００００００５"
send Enter
check_screen "full-width contract ID" "9800000005 高橋三郎"
check "ACTIVE is drawn in green" screen_ansi_matches '9800000005 .*\e\[[0-9;]*32m(\e\[[0-9;]*m)*ACTIVE'
send Enter
check_screen "detail: fraud hold banner" "FRAUD HOLD since"
assert_screen_contains "不審な海外ログインの申告あり"
send Escape

send /
send C-u
type_text 9800000004
send Enter
wait_for "9800000004 鈴木次郎"
send Enter
check_screen "unregistered token: no failures" "(no failed attempts recorded)"
assert_screen_contains "UNREGISTERED"
send Escape

# malformed and unknown input
send /
send C-u
type_text 12345
send Enter
check_screen "malformed ID: the db layer's message" "contract ID must be 10 digits, not 5"
send F9
check_screen "F9: error details popup" "Error details"
assert_screen_contains "invalid input"
send Escape
check_absent "F9 popup closed" "Error details"

send /
send C-u
type_text 98000000x1
send Enter
check_screen "non-digit in contract ID" "contract ID must be 10 digits (found 'x' at position 9)"

send /
send C-u
type_text OTPD1234
send Enter
check_screen "malformed credential ID" "credential ID must be 4 capital letters and 8 digits"

send /
send C-u
type_text 9899999999
send Enter
check_screen "unknown contract: not found" "no contract with contract ID 9899999999"
assert_screen_contains "(no contracts)"

# a contract of branch 034 is out of the 012 teller's scope
send /
send C-u
type_text 9834000001
send Enter
check_screen "other branch's contract is not shown" "no contract with contract ID 9834000001"

send /
send C-u
send Enter
check_screen "empty search explains itself" "type a contract ID, a credential ID or the start of the kana name"

check "timing file has one line per lookup refresh" \
	bash -c '[ "$(grep -cE "^[0-9]+\.[0-9]{3}$" "$1")" -ge 8 ]' _ "$OTP_TUI_TIMING"

send F1
check_screen "help lists the lookup keys" "next page of names"
assert_screen_contains "Keys: Contract lookup"
send Escape
check_absent "help closes" "Keys: Contract lookup"
