#!/usr/bin/env bash
# t_request: the teller's new-request form (view_request): the contract is
# looked up as it is typed, malformed contract IDs, form numbers and dates
# are explained while typing, the document list shows each type's rules, a
# My Number in the notes is flagged and never sent, refusals (seal
# mismatch) keep every field with the server's reason, and a correct UNLOCK
# gets a receipt number that exists in the database. Contracts: 9800000007
# and our own 9700000001 (RESET).
TUI_WATCHDOG=${TUI_WATCHDOG:-120}
. "$(dirname "$0")/lib.sh"

RECEIPT_RE='[0-9]{3}-[0-9]{8}-[0-9]{4,}'

sql "INSERT INTO otp.contract (contract_id, name_kanji, name_kana, address, branch_code, opened) VALUES
  ('9700000001', '請求一子', 'セイキュウイチコ', '東京都中央区湊1-1', '012', '2011-01-01')
  ON CONFLICT DO NOTHING;
  INSERT INTO otp.token (contract_id, credential_id, state, failure_count, registered_at)
  VALUES ('9700000001', 'TUIR00000001', 'ACTIVE', 0, now() - interval '30 days') ON CONFLICT DO NOTHING" >/dev/null

start_app -s 80x24
login || not_ok "login"

# the menu offers the form to a teller
send F4
check_screen "menu lists New request" "New request"
assert_screen_contains "Branch queue"
send 2
check_screen "form opens" "New request (UNLOCK / RESET)"
assert_screen_contains "10 digits, from the paper form"

# contract ID validated as typed
type_text 98000x
check_screen "non-digit in contract ID explained" "'x' at position 6 is not a digit"
send BSpace
check_screen "incomplete ID counts digits" "5 of 10 digits"
type_text 00007
check_screen "valid ID: the contract is shown" "渡辺七海  ワタナベナナミ"
assert_screen_contains "branch 012"
assert_screen_contains "token: LOCKED"

# form number validated as typed
send Tab Tab
type_text "A-12/3"
check_screen "bad form number character" "only A-Z a-z 0-9 and - allowed"
send BSpace BSpace
check_absent "fixed form number: no complaint" "only A-Z a-z"

# identity document list with rules
send Tab Enter
check_screen "document menu opens" "[not accepted today]"
assert_screen_contains "Driver's licence (運転免許証)"
send Down Down Down
check_screen "passport rules shown as the cursor moves" "accepted today; issue date needed: no address if"
send Down
check_screen "health insurance card: not accepted today" "NOT accepted today"
assert_screen_contains "accepted until 2025-12-01"
send Up Enter
check_screen "passport chosen: issue date asked" "YYYY-MM-DD, as printed on the document"
type_text 2021-13-01
check_screen "impossible date explained" "a date is YYYY-MM-DD, e.g. 2019-04-01"
send C-u
type_text 2021-06-01
check_screen "new passport needs a second document" "choose a document that shows the address"
send Tab Right
check_screen "second document chosen" "Driver's licence (運転免許証)"

# answers: name yes, address yes, seal NO
send Tab
send y y n
check_screen "seal mismatch warned in the form" "mismatch: the server will refuse"

# notes: a My Number is warned as typed and never sent
type_text "電話 1234-5678-9012 です"
check_screen "My Number warned as typed" "WARNING: may be a My Number (12 digits): never record it"
send F2
check_screen "My Number refused at submit" "may be a My Number: remove them"
check "nothing was stored" bash -c '[ "$(psql -X -A -t -d "$OTPTUI_DB" -c "SELECT count(*) FROM otp.request WHERE contract_id = '"'"'9800000007'"'"'")" = 0 ]'
send C-u
type_text "本人来店"
check_absent "warning gone" "WARNING: may be a My Number"

# submit with the seal mismatch: confirmation, then the server's refusal
send F2
check_screen "confirmation summary" "Submit this request?"
assert_screen_contains "DOES NOT MATCH"
send y
check_screen "seal mismatch refused with the server's reason" "seal check failed"
check_screen "fields kept after the refusal" "A-12"
assert_screen_contains "本人来店"
assert_screen_contains "2021-06-01"
assert_screen_contains "渡辺七海"

# correct it and submit: receipt number
send Up
send y
send F2
check_screen "confirmation again" "Submit this request?"
send n
check_screen "n goes back to the form" "not submitted: the form is as you left it"
send F2
wait_for "Submit this request?"
send y
check_screen "receipt shown" "Write this receipt number on the paper form."
receipt=$(screen | grep -oE "$RECEIPT_RE" | head -1)
check "receipt number matches the pattern" test -n "$receipt"
check "receipt exists in the database as SUBMITTED" \
	test "$(sql "SELECT state || ' ' || kind || ' ' || form_no || ' ' || doc_type || ' ' || doc2_type FROM otp.request WHERE receipt_no = '$receipt'")" = "SUBMITTED UNLOCK A-12 passport drivers_licence"
check "notes stored as typed" test "$(sql "SELECT notes FROM otp.request WHERE receipt_no = '$receipt'")" = "本人来店"
assert_screen_contains "eligible:"
check "dates shown are the stored ones" bash -c 'screen_dates=$(tmux -L "$1" capture-pane -p -t t | grep -oE "Day 1: [0-9-]+ +eligible: [0-9-]+ +due: [0-9-]+" | tr -s " "); db=$(psql -X -A -t -d "$OTPTUI_DB" -c "SELECT '"'"'Day 1: '"'"' || day1 || '"'"' eligible: '"'"' || eligible || '"'"' due: '"'"' || due FROM otp.request WHERE receipt_no = '"'"'$2'"'"'"); [ "$screen_dates" = "$db" ]' _ "$TUI_SOCK" "$receipt"

# F3 opens the new request
send F3
check_screen "F3 opens the request" "Request $receipt"
send Escape
check_screen "back to the receipt" "Write this receipt number"

# a second request for the same token: refused, server names the open one
send F6
check_screen "F6: an empty form" "10 digits, from the paper form"
type_text 9800000007
wait_for "渡辺七海"
send Tab Tab
type_text B-1
send Tab Right
send Tab y y y
send F2
wait_for "Submit this request?"
send y
check_screen "open request refused" "is already open for contract"

# RESET for our own ACTIVE contract, with the plain-words explanation
send F6
type_text 9700000001
check_screen "own contract shown" "請求一子"
send Tab r
check_screen "RESET explained in plain words" "RESET: lost or changed phone; revokes the credential"
send Tab
type_text R-7
send Tab Right
send Tab y y y
send F2
wait_for "Submit this request?"
check_screen "summary says RESET revokes" "RESET (the credential is revoked"
send y
check_screen "RESET receipt" "Write this receipt number on the paper form."
r2=$(screen | grep -oE "$RECEIPT_RE" | head -1)
check "RESET stored" test "$(sql "SELECT kind FROM otp.request WHERE receipt_no = '$r2'")" = "RESET"

# opened with a contract ID argument is covered by F6 + typing; a contract of
# another branch is not found
send F6
type_text 9834000001
check_screen "another branch's contract is not found" "no contract with contract ID 9834000001"

# resizing below the minimum and back keeps what was typed
send F6
type_text 9800000007
wait_for "渡辺七海"
send Tab Tab
type_text Z-99
resize 60 20
check_screen "small window: enlarge message" "enlarge the window"
resize 80 24
check_screen "back at 80x24: the form is intact" "Z-99"
assert_screen_contains "渡辺七海"
resize 120 40
check_screen "larger window: the form is drawn" "Z-99"
resize 80 24

send F1
check_screen "help lists the form's keys" "submit: check the form, then confirm with y"
check_screen "help lists the kind keys" "request kind: UNLOCK or RESET"
send Escape

# clean up what this test made (its requests must not disturb others)
sql "UPDATE otp.request SET state = 'CANCELLED', cancelled_by = 'tui_test', cancelled_at = now(), cancel_reason = 't_request cleanup' WHERE contract_id IN ('9800000007', '9700000001') AND state IN ('SUBMITTED', 'APPROVED')" >/dev/null 2>&1 || true
