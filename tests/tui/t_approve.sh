#!/usr/bin/env bash
# t_approve: the request detail (view_reqdetail) and its actions. The
# submitting teller and a second teller cannot approve (the server refuses;
# the screen says why in plain words); the supervisor approves after a y/n
# confirmation; reject needs a reason; a teller cancels; the fraud hold
# banner; Japanese. Contracts: 9800000008 and our own 97000002NN.
TUI_WATCHDOG=${TUI_WATCHDOG:-150}
. "$(dirname "$0")/lib.sh"

OTPCTL="$TUI_TOP/$BUILD/bin/otpctl"
as() {
	local who=$1
	shift
	OTP_DSN="dbname=$OTPTUI_DB" OTP_USER="$who" OTP_PASSWORD="$who" "$OTPCTL" "$@"
}
submit() {	# submit CONTRACT FORM [NOTES]
	as "$OTPTUI_TELLER" request submit --contract "$1" --kind unlock --form "$2" --doc drivers_licence \
		--name-match yes --address-match yes --seal match ${3:+--notes "$3"} | awk '$1 == "receipt" { print $2 }'
}
state_of() { sql "SELECT state FROM otp.request WHERE receipt_no = '$1'"; }
open_request() {	# open_request RECEIPT: through the queue's search
	send F4
	wait_for "Branch queue"
	send 3
	wait_for "Showing:"
	send /
	type_text "$1"
	send Enter
	wait_for "(only this receipt)"
	send Enter
	wait_for "Request $1"
}

sql "INSERT INTO otp.contract (contract_id, name_kanji, name_kana, address, branch_code, opened) VALUES
  ('9700000201', '承認一郎', 'ショウニンイチロウ', '東京都中央区承認1', '012', '2010-01-01'),
  ('9700000202', '取消二郎', 'トリケシジロウ', '東京都中央区取消2', '012', '2010-01-01'),
  ('9700000203', '保留三郎', 'ホリュウサブロウ', '東京都中央区保留3', '012', '2010-01-01') ON CONFLICT DO NOTHING;
  INSERT INTO otp.token (contract_id, credential_id, state, failure_count, locked_at, registered_at)
  SELECT c, 'TUIP' || right(c, 8), 'LOCKED', 5, now(), now() - interval '90 days'
  FROM unnest(ARRAY['9700000201', '9700000202', '9700000203']) c ON CONFLICT DO NOTHING" >/dev/null

ra=$(submit 9800000008 P-8 "免許証確認済")
rr=$(submit 9700000201 P-201)
rc=$(submit 9700000202 P-202)
rh=$(submit 9700000203 P-203)
check "requests submitted" test -n "$ra" -a -n "$rr" -a -n "$rc" -a -n "$rh"

# the submitting teller: the detail shows everything, approval is refused
start_app -s 80x24
login "$OTPTUI_TELLER" || not_ok "login"
open_request "$ra"
check_screen "detail: kind and receipt" "UNLOCK request $ra"
assert_screen_contains "SUBMITTED (waiting for approval)"
assert_screen_contains "9800000008  中村八重  ナカムラヤエ"
assert_screen_contains "Driver's licence"
assert_screen_contains "name matches: yes, address matches: yes"
assert_screen_contains "ID checked by        $OTPTUI_TELLER"
assert_screen_contains "matches the registered seal; checked by $OTPTUI_TELLER"
assert_screen_contains "窓口花子 ($OTPTUI_TELLER)"
assert_screen_contains "免許証確認済"
assert_screen_contains "eligible"
send F6
check_screen "approval asks y/n" "Approve UNLOCK request $ra"
send y
check_screen "submitter refused in plain words" "you submitted this request, and only a supervisor other than you may"
check "still SUBMITTED" test "$(state_of "$ra")" = SUBMITTED
send F9
check_screen "F9 keeps the server's message" "request.approve is not permitted for $OTPTUI_TELLER"
assert_screen_contains "OD001"
send Escape
check "refusal audited" test "$(sql "SELECT count(*) FROM otp.audit_event WHERE event = 'request.approve' AND outcome = 'refused' AND actor = '$OTPTUI_TELLER'")" -ge 1

# the teller cancels another request with a reason
send Escape
wait_for "Showing:"
send /
send C-u
type_text "$rc"
send Enter
wait_for "(only this receipt)"
send Enter
wait_for "Request $rc"
send F8
check_screen "cancel asks for a reason" "Reason for cancelling"
send Enter
check_screen "empty reason refused" "a reason is required"
type_text "お客様の申し出により取下げ"
send Enter
check_screen "cancelled; reloaded" "CANCELLED"
check_screen "history shows the cancel reason" "reason: お客様の申し出により取下げ"
check "CANCELLED in the database" test "$(state_of "$rc")" = CANCELLED
send F8
check_screen "a cancelled request cannot be cancelled again" "is not available here"

# a second teller: refused too, with the plain reason for non-supervisors
start_app -s 80x24
login "$OTPTUI_TELLER2" "$OTPTUI_TELLER2" || not_ok "login teller2"
open_request "$ra"
send F6
wait_for "Approve UNLOCK request"
send y
check_screen "second teller refused" "only a supervisor may approve or reject a request"
check "still SUBMITTED after teller2" test "$(state_of "$ra")" = SUBMITTED

# the supervisor: n keeps it, y approves; state shows APPROVED
start_app -s 80x24
login "$OTPTUI_SUPERVISOR" "$OTPTUI_SUPERVISOR" || not_ok "login supervisor"
open_request "$ra"
send F6
wait_for "Approve UNLOCK request"
send n
check_screen "n: not approved" "not approved"
check "n changed nothing" test "$(state_of "$ra")" = SUBMITTED
send F6
wait_for "Approve UNLOCK request"
send y
check_screen "approved: state shown" "APPROVED (waiting for the batch)"
check_screen "history: approved by the supervisor" "approved by 役席一郎 ($OTPTUI_SUPERVISOR)"
assert_screen_contains "next: the batch executes it from"
check "APPROVED in the database" test "$(state_of "$ra")" = APPROVED
send F6
check_screen "approve is greyed once approved" "is not available here"

# reject with a reason
send Escape
wait_for "Showing:"
send /
send C-u
type_text "$rr"
send Enter
wait_for "(only this receipt)"
send Enter
wait_for "Request $rr"
send F7
check_screen "reject asks for a reason" "Reason for rejecting"
type_text "1234 5678 9012"
send Enter
check_screen "My Number in a reason refused" "may be a My Number"
send C-u
type_text "届出印の再確認が必要"
send Enter
check_screen "rejected" "REJECTED"
check_screen "reject reason in the history" "reason: 届出印の再確認が必要"
assert_screen_contains "rejected by 役席一郎 ($OTPTUI_SUPERVISOR)"
check "REJECTED with the reason in the database" test "$(sql "SELECT state || ' ' || reject_reason FROM otp.request WHERE receipt_no = '$rr'")" = "REJECTED 届出印の再確認が必要"

# fraud hold: banner, and the server refuses the approval (OD006)
sql "INSERT INTO otp.fraud_hold (contract_id, reason, set_by) VALUES ('9700000203', 't_approve hold', 'tui_test')" >/dev/null
send Escape
wait_for "Showing:"
send /
send C-u
type_text "$rh"
send Enter
wait_for "(only this receipt)"
send Enter
check_screen "fraud hold banner" "FRAUD HOLD on this contract"
send F6
wait_for "Approve UNLOCK request"
send y
check_screen "approval under a hold refused with the server's reason" "is under a fraud hold"

send F1
check_screen "help lists the detail keys" "approve the request (supervisor; asks y/n)"
assert_screen_contains "cancel the request with a reason"
send Escape

# Japanese
start_app -s 80x24 -l ja_JP.UTF-8
login "$OTPTUI_SUPERVISOR" "$OTPTUI_SUPERVISOR" || not_ok "login ja"
send F4
check_screen "ja: menu entry" "店内の申請一覧"
send 3
check_screen "ja: queue heading" "受付番号"
send /
type_text "$ra"
send Enter
wait_for "$ra"
send Enter
check_screen "ja: detail" "承認済（バッチ実行待ち）"
assert_screen_contains "届出印と一致"
send F8
check_screen "ja: cancel prompt" "取消の理由"
type_text "テスト後の取消"
send Enter
check_screen "ja: cancelled" "状態                 取消"
send Down Down Down Down Down Down
check_screen "ja: cancelled" "理由: テスト後の取消"
check "approved request cancelled (clean-up through the screen)" test "$(state_of "$ra")" = CANCELLED

sql "UPDATE otp.fraud_hold SET lifted_by = 'tui_test', lifted_at = now(), lift_reason = 't_approve cleanup' WHERE contract_id = '9700000203' AND lifted_at IS NULL" >/dev/null 2>&1 || true
sql "UPDATE otp.request SET state = 'CANCELLED', cancelled_by = 'tui_test', cancelled_at = now(), cancel_reason = 't_approve cleanup'
  WHERE contract_id IN ('9800000008', '9700000201', '9700000202', '9700000203') AND state IN ('SUBMITTED', 'APPROVED')" >/dev/null 2>&1 || true
