#!/usr/bin/env bash
# t_helpdesk: the helpdesk status screen answers a caller in plain words:
# LOCKED (why, when, what to bring), ACTIVE with failures (tries left),
# STOPPED, UNREGISTERED, a fraud hold (transfer, no promise), an APPROVED
# request (the DB's eligible date), an unknown or malformed ID; setting and
# lifting a fraud hold (and a teller refused by the server); Japanese; and
# the request sections of the contract detail screen. Uses only contracts
# 9800000002-05 (read only) and its own 9710000001-03, and cancels its
# request at the end so no open request is left behind.
TUI_WATCHDOG=${TUI_WATCHDOG:-180}	# many screens; slow under the sanitizer
. "$(dirname "$0")/lib.sh"

OTPCTL="$TUI_TOP/$BUILD/bin/otpctl"

# check_text DESC TEXT: like check_screen, but the answer's sentences are
# word-wrapped, so screen and TEXT are compared with all white space removed.
check_text() {
	local want end
	want=$(printf '%s' "$2" | tr -d ' \n')
	end=$(_deadline 10)
	while [ "$(_now_ms)" -lt "$end" ]; do
		screen | tr -d ' \n' | grep -qF -- "$want" && { ok "$1"; return; }
		sleep 0.1
	done
	not_ok "$1 (expected \"$2\")"
}
as() {	# as LOGIN otpctl-args...: otpctl as a fixture login
	local who=$1
	shift
	OTP_DSN="dbname=$OTPTUI_DB" OTP_USER=$who OTP_PASSWORD=$who "$OTPCTL" "$@"
}

# our own contracts: 01 ACTIVE with 3 wrong codes, 02 LOCKED (for the request)
sql "DELETE FROM otp.failure WHERE contract_id LIKE '971000000_';
     INSERT INTO otp.contract (contract_id, name_kanji, name_kana, address, branch_code, opened) VALUES
       ('9710000001', '照会一子', 'ヘルプイチコ', '東京都中央区月島1-1', '012', '2011-01-01'),
       ('9710000002', '照会二郎', 'ヘルプジロウ', '東京都中央区月島2-2', '012', '2011-02-02')
     ON CONFLICT (contract_id) DO NOTHING;
     INSERT INTO otp.token (contract_id, credential_id, state, failure_count, locked_at, registered_at) VALUES
       ('9710000001', 'TUIH00000001', 'ACTIVE', 3, NULL, now() - interval '30 days'),
       ('9710000002', 'TUIH00000002', 'LOCKED', 5, now() - interval '90 minutes', now() - interval '60 days')
     ON CONFLICT DO NOTHING;
     INSERT INTO otp.failure (token_id, contract_id, at, reason, failure_no, client)
     SELECT t.token_id, t.contract_id, now() - (40 - g) * interval '1 minute', 'WRONG_CODE', g, '203.0.113.' || g
     FROM otp.token t, generate_series(1, 3) g WHERE t.contract_id = '9710000001';" >/dev/null ||
	not_ok "creating the test contracts"

# ---- LOCKED: why, when, what to bring ------------------------------------------
start_app -s 80x24
login "$OTPTUI_HELPDESK" "$OTPTUI_HELPDESK" || not_ok "helpdesk login"
send F4
check_screen "menu offers the helpdesk screen" "4  Helpdesk status"
send 4
check_screen "helpdesk screen asks for an ID" "Contract or credential ID"
assert_screen_contains "Helpdesk hours: weekdays 8:45–17:15"
type_text 9800000002
send Enter
locked=$(sql "SELECT to_char(locked_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') FROM otp.token
              WHERE contract_id = '9800000002'")
check_text "LOCKED in plain words with the time and count" \
	"The security code app is LOCKED since $locked after 5 wrong codes (the limit is 5)."
check_text "what to bring" "Bring the unlock application form with the registered seal (届出印) and a photo ID"
check_text "how long it takes" "unlock completes within 2–3 business days counting the application day."
assert_screen_contains "Driver's licence"
assert_screen_contains "My Number card (front side only)"
check "LOCKED sentence drawn in red" screen_ansi_matches '\e\[[0-9;]*31m(\e\[[0-9;]*m)*The security code app is LOCKED'
check_screen "more below: indicator" "(more: Down, PgDn)"
send End
check_screen "failures heading" "Failed attempts (6, newest first)"
t5=$(sql "SELECT to_char(at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI:SS') FROM otp.failure
          WHERE contract_id = '9800000002' AND failure_no = 5")
check_screen "the 5th wrong code with its time and reason" "$t5    5 wrong code"
assert_screen_contains "code reused"
assert_screen_contains "(no requests)"
send Home
check_screen "Home: back to the top" "What happened"

# ---- wrong and malformed IDs -----------------------------------------------------
send /
type_text 9899999999
send Enter
check_text "unknown contract: a clear message" "No contract was found for 9899999999"
send C-u
type_text 12345
send Enter
check_screen "malformed ID: the db layer's message" "contract ID must be 10 digits, not 5"

# ---- ACTIVE with failures: tries left (credential ID, lower case) ------------------
send C-u
type_text tuih00000001
send Enter
check_text "ACTIVE with failures" "The security code app is ACTIVE, but 3 wrong codes were entered"
check_text "tries remaining" "2 more wrong codes lock the app: 2 of 5 tries remain."

# ---- STOPPED, UNREGISTERED, fraud hold: typing on the answer starts a new ID --------
type_text 9800000003
send Enter
check_screen "STOPPED explained" "The security code app is STOPPED since"
check_text "STOPPED needs a reset" "A stopped app cannot be unlocked: it needs a reset"
type_text 9800000004
send Enter
check_text "UNREGISTERED explained" "No security code app is registered for this contract"
check_screen "UNREGISTERED: how to register" "How to register:"
type_text 9800000005
send Enter
check_screen "fraud hold: banner" "FRAUD HOLD since"
assert_screen_contains "不審な海外ログインの申告あり"
check_text "fraud hold: no promise, transfer" "Do not promise an unlock: transfer the call to the fraud team."
check "fraud hold: no documents advice" bash -c '! tmux -L "$1" capture-pane -p -t t | grep -q "Bring the unlock"' _ "$TUI_SOCK"

# ---- an APPROVED request: the expected unlock date is the DB's eligible date ---------
sub=$(as "$OTPTUI_TELLER" request submit --contract 9710000002 --kind unlock --form HD-0001 \
	--doc drivers_licence --name-match yes --address-match yes --seal match 2>&1)
receipt=$(printf '%s\n' "$sub" | awk -F'\t' '$1 == "receipt" { print $2 }')
check "teller submitted an UNLOCK ($receipt)" test -n "$receipt"
type_text 9710000002
send Enter
check_text "SUBMITTED: waits for approval" "Nothing more to bring: request $receipt waits for approval"
as "$OTPTUI_SUPERVISOR" request approve "$receipt" >/dev/null 2>&1
check "supervisor approved" test "$(sql "SELECT state FROM otp.request WHERE receipt_no = '$receipt'")" = APPROVED
eligible=$(sql "SELECT eligible FROM otp.request WHERE receipt_no = '$receipt'")
due=$(sql "SELECT due FROM otp.request WHERE receipt_no = '$receipt'")
send F5
check_text "APPROVED: unlocked on the eligible date" "the app will be unlocked on $eligible."
check_text "APPROVED: nothing more to bring" "Nothing more to bring: request $receipt is approved"

# ---- the contract detail screen: open request and history ----------------------------
send F3
check_screen "F3: contract detail" "Contract 9710000002"
check_screen "detail: open request with its due date" "Open request"
check "detail: receipt, kind and state of the open request" bash -c \
	'tmux -L "$1" capture-pane -p -t t | grep -qE "^ Open request +$2  UNLOCK  APPROVED"' _ "$TUI_SOCK" "$receipt"
check "detail: its due date" bash -c \
	'tmux -L "$1" capture-pane -p -t t | grep -qF "Due date       $2 (eligible from $3)"' _ "$TUI_SOCK" "$due" "$eligible"
send End
check_screen "detail: history of requests" "Requests (1, newest first)"
check "detail: history row (receipt, kind, state, dates)" bash -c \
	'tmux -L "$1" capture-pane -p -t t | grep -qE "^ +$2 +UNLOCK +APPROVED +[0-9-]{10} [0-9:]{5} +$3 +$4"' \
	_ "$TUI_SOCK" "$receipt" "$eligible" "$due"
send Escape
check_screen "Esc: back to the helpdesk answer" "Helpdesk status: 9710000002"

# ---- set and lift a fraud hold ----------------------------------------------------------
type_text 9710000001
send Enter
wait_for "Helpdesk status: 9710000001"
send F6
check_screen "F6: hold dialog" "Set a fraud hold on 9710000001"
send Enter
check_screen "a reason is required" "type the reason first"
type_text "本人以外からの入電"
send Enter
check_screen "confirmation y/n" "Set a fraud hold on contract 9710000001? (y: yes, n: no)"
send n
check_absent "n: back to the reason" "(y: yes, n: no)"
assert_screen_contains "本人以外からの入電"
send Enter
wait_for "(y: yes, n: no)"
send y
check_screen "hold set" "fraud hold set on contract 9710000001"
check_screen "hold shown on the answer" "FRAUD HOLD since"
check "hold stored with the reason" test \
	"$(sql "SELECT count(*) FROM otp.fraud_hold WHERE contract_id = '9710000001' AND lifted_at IS NULL
	        AND reason = '本人以外からの入電' AND set_by = '$OTPTUI_HELPDESK'")" = 1
send F6
check_screen "F6 again: lift dialog" "Lift the fraud hold on 9710000001"
type_text "ご本人と確認済み"
send Enter
wait_for "(y: yes, n: no)"
send y
check_screen "hold lifted" "fraud hold on contract 9710000001 lifted"
check_absent "no hold banner any more" "FRAUD HOLD since"
check "hold lifted in the DB" test \
	"$(sql "SELECT count(*) FROM otp.fraud_hold WHERE contract_id = '9710000001' AND lifted_at IS NULL")" = 0

# ---- a teller sees the screen too, but the server refuses a hold ------------------------
start_app -s 80x24
login "$OTPTUI_TELLER" "$OTPTUI_TELLER" || not_ok "teller login"
send F4
check_screen "teller's menu has the helpdesk screen" "4  Helpdesk status"
send 4
wait_for "Contract or credential ID"
type_text 9710000001
send Enter
wait_for "Helpdesk status: 9710000001"
send F6
type_text "teller try"
send Enter
wait_for "(y: yes, n: no)"
send y
check_screen "teller: the server refuses the hold" "fraud_hold.set is not permitted"
check_screen "teller: the reason is kept" "teller try"
send Escape
check_screen "Esc cancels the dialog" "cancelled: the fraud hold is unchanged"
check "no hold was stored" test \
	"$(sql "SELECT count(*) FROM otp.fraud_hold WHERE contract_id = '9710000001' AND lifted_at IS NULL")" = 0

# ---- Japanese ------------------------------------------------------------------------
start_app -s 80x24 -l ja_JP.UTF-8
login "$OTPTUI_HELPDESK" "$OTPTUI_HELPDESK" || not_ok "helpdesk login (ja)"
send F4
check_screen "ja: menu entry" "ヘルプデスク照会"
send 4
check_screen "ja: ID field" "契約番号またはクレデンシャルID"
type_text 9800000002
send Enter
check_text "ja: LOCKED explained" "5 回の誤入力により $locked からロック中です"
check_text "ja: what to bring" "ロック解除の申請書に届出印と顔写真付きの本人確認書類"
assert_screen_contains "運転免許証"
type_text 9710000002
send Enter
check_text "ja: approved request date" "$eligible にロックが解除"

# ---- leave nothing open ----------------------------------------------------------------
as "$OTPTUI_TELLER" request cancel "$receipt" --reason "t_helpdesk cleanup" >/dev/null 2>&1
check "request cancelled at the end" test "$(sql "SELECT state FROM otp.request WHERE receipt_no = '$receipt'")" = CANCELLED
