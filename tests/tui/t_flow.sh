#!/usr/bin/env bash
# t_flow: one locked token unlocked end to end through otpdesk, as the
# branch and the back office really do it (issue 7's acceptance test):
#   1. the teller finds contract 9800000006 (LOCKED), opens the contract,
#      F2 starts a new request for it, fills in the paper form and gets a
#      receipt number;
#   2. the same teller tries to approve it and is refused with the reason;
#   3. the supervisor finds it in the branch queue and approves it;
#   4. the batch (`otpctl unlock run-due --as-of` the eligible day) executes it;
#   5. the helpdesk sees the token ACTIVE;
#   6. the auditor sees the submission, the teller's refused approval, the
#      approval and the execution in the audit browser filtered on the
#      contract, and the refused approval again filtered on the teller.
# Contract 9800000006 is reserved for this test.
. "$(dirname "$0")/lib.sh"

C=9800000006
RECEIPT_RE='[0-9]{3}-[0-9]{8}-[0-9]{4,}'
OTPCTL="$TUI_TOP/$BUILD/bin/otpctl"
as() {
	local who=$1
	shift
	OTP_DSN="dbname=$OTPTUI_DB" OTP_USER="$who" OTP_PASSWORD="$who" "$OTPCTL" "$@"
}

check "the token starts LOCKED" test "$(sql "SELECT state FROM otp.token WHERE contract_id = '$C'")" = LOCKED

# ---- 1. teller: lookup → contract → F2 new request → receipt -----------------
start_app -s 80x24
login || not_ok "teller login"
type_text "$C"
send Enter
check_screen "lookup finds the locked contract" "伊藤六郎"
send Enter
check_screen "contract detail" "Contract $C"
send F2
check_screen "F2 on the contract: the form for this contract" "New request (UNLOCK / RESET)"
check_screen "form shows the contract" "伊藤六郎"
assert_screen_contains "token: LOCKED"
send Tab
type_text "F-6006"
send Tab Right
send Tab y y y
type_text "来店 本人確認済"
send F2
check_screen "confirmation" "Submit this request?"
send y
check_screen "receipt number for the paper form" "Write this receipt number on the paper form."
receipt=$(screen | grep -oE "$RECEIPT_RE" | head -1)
check "receipt number shown ($receipt)" test -n "$receipt"
check "request stored as SUBMITTED" \
	test "$(sql "SELECT state || ' ' || kind FROM otp.request WHERE receipt_no = '$receipt'")" = "SUBMITTED UNLOCK"

# ---- 2. the same teller cannot approve it ----------------------------------
send F3
check_screen "the request opens" "Request $receipt"
send F6
check_screen "approval asks" "Approve UNLOCK request $receipt"
send y
check_screen "the submitter is refused, with the reason" "you submitted this request"
check "still SUBMITTED" test "$(sql "SELECT state FROM otp.request WHERE receipt_no = '$receipt'")" = SUBMITTED
# back on the contract, which reads itself again: the open request is shown
send Escape
wait_for "Write this receipt number"
send Escape
check_screen "the contract shows its new open request" "$receipt"
check_screen "F3 OpenReq offered on the bar" "F3 OpenReq"
send F10
wait_exit 5 >/dev/null

# ---- 3. supervisor: queue → the request → approve ----------------------------
start_app -s 80x24
login "$OTPTUI_SUPERVISOR" "$OTPTUI_SUPERVISOR" || not_ok "supervisor login"
send F4
wait_for "Branch queue"
send 3
check_screen "the queue lists the request" "$receipt"
send /
type_text "$receipt"
send Enter
wait_for "(only this receipt)"
send Enter
check_screen "supervisor opens the request" "Request $receipt"
assert_screen_contains "SUBMITTED (waiting for approval)"
send F6
wait_for "Approve UNLOCK request $receipt"
send y
check_screen "approved" "APPROVED"
check "stored as APPROVED by the supervisor" \
	test "$(sql "SELECT state || ' ' || decided_by FROM otp.request WHERE receipt_no = '$receipt'")" = "APPROVED $OTPTUI_SUPERVISOR"
send F10
wait_exit 5 >/dev/null

# ---- 4. the batch on the eligible day ----------------------------------------
# The batch never accepts a future as-of day, and the eligible day is one or
# two business days ahead. As the database tests do, the superuser moves the
# request (received, day 1, eligible, due) back by whole days so that its
# eligible day is today; the batch then runs as it would on that day.
sql "UPDATE otp.request SET received_at = received_at - s.d * interval '1 day', day1 = day1 - s.d,
       eligible = eligible - s.d, due = due - s.d
     FROM (SELECT eligible - (now() AT TIME ZONE 'Asia/Tokyo')::date AS d FROM otp.request
           WHERE receipt_no = '$receipt') s
     WHERE receipt_no = '$receipt'" >/dev/null
eligible=$(sql "SELECT eligible FROM otp.request WHERE receipt_no = '$receipt'")
before=$(sql "SELECT (eligible - 1)::text FROM otp.request WHERE receipt_no = '$receipt'")
as "$OTPTUI_BATCH" unlock run-due --as-of "$before" >/dev/null 2>&1
check "not executed with --as-of the day before eligible ($before)" \
	test "$(sql "SELECT state FROM otp.request WHERE receipt_no = '$receipt'")" = APPROVED
out=$(as "$OTPTUI_BATCH" unlock run-due --as-of "$eligible" 2>&1)
check "run-due --as-of $eligible executes it" \
	test "$(sql "SELECT state FROM otp.request WHERE receipt_no = '$receipt'")" = EXECUTED
check "run-due reports it (output: $(echo "$out" | tail -1))" bash -c 'grep -q "1 executed" <<<"$1"' _ "$out"
check "the token is ACTIVE again with no failures" \
	test "$(sql "SELECT state || ' ' || failure_count FROM otp.token WHERE contract_id = '$C'")" = "ACTIVE 0"

# ---- 5. helpdesk sees the token ACTIVE --------------------------------------
start_app -s 80x24
login "$OTPTUI_HELPDESK" "$OTPTUI_HELPDESK" || not_ok "helpdesk login"
send F4
wait_for "Helpdesk status"
send 4
wait_for "Helpdesk"
type_text "$C"
send Enter
check_screen "helpdesk: the token is ACTIVE" "The security code app is ACTIVE"
send F10
wait_exit 5 >/dev/null

# ---- 6. auditor: every step in the audit browser -----------------------------
start_app -s 100x30
login "$OTPTUI_AUDITOR" "$OTPTUI_AUDITOR" || not_ok "auditor login"
send F4
wait_for "Audit log"
send 5
wait_for "Audit log"
send F2
wait_for "Filter the audit log"
type_text "$C"
send Enter
check_screen "audit browser filtered on the contract" "Contract=$C"
check_screen "submission audited" "request.submit"
assert_screen_contains "request.approve"
assert_screen_contains "request.execute"
check "the approval is listed as a success" bash -c \
	'tmux -L "$1" capture-pane -p -t t | grep "request.approve" | grep -q "Success"' _ "$TUI_SOCK"
# the teller's refused attempt names the request (048), so it is in the
# contract's log too; and it is found by the actor
check "the refused approval is in the contract's log" bash -c \
	'tmux -L "$1" capture-pane -p -t t | grep "request.approve" | grep -q "Refused"' _ "$TUI_SOCK"
send F2
wait_for "Filter the audit log"
send C-x Tab Tab
type_text "$OTPTUI_TELLER"
send Enter
check_screen "filtered on the teller" "Actor (login)=$OTPTUI_TELLER"
check "the teller's refused approval is listed" bash -c \
	'tmux -L "$1" capture-pane -p -t t | grep "request.approve" | grep -q "Refused"' _ "$TUI_SOCK"
send F10
wait_exit 5 >/dev/null
