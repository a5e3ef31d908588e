#!/usr/bin/env bash
# t_audit: the auditor's screens. Makes its own events first (a request
# submitted by the teller on contract 9720000001, the same teller's refused
# attempt to approve it, 120 events on 9720000002 for paging), seals them as
# the batch service, then as the auditor: the log browser (contract and
# outcome filters, keyset paging forward and back, Home), an event in full
# with its JSON details and hashes, chain verification against the real
# sealed count, the exception report counting the refused attempt and its
# jump back to the log; a teller whose auditor membership was withdrawn gets
# the server's refusal in words; the Japanese catalogue once.
. "$(dirname "$0")/lib.sh"
TUI_WATCHDOG=170

OTPCTL="$TUI_TOP/$BUILD/bin/otpctl"
as() {	# as LOGIN otpctl-args...: run otpctl as a fixture login (password = login)
	local u=$1
	shift
	env -u PGUSER -u PGPASSFILE OTP_DSN="dbname=$OTPTUI_DB" OTP_USER="$u" OTP_PASSWORD="$u" "$OTPCTL" "$@"
}

# ---- events of our own ---------------------------------------------------------
sql "INSERT INTO otp.contract (contract_id, name_kanji, name_kana, address, branch_code, opened) VALUES
  ('9720000001', '監査一郎', 'カンサイチロウ', '東京都中央区監査1-1', '012', '2011-01-01'),
  ('9720000002', '監査二郎', 'カンサジロウ', '東京都中央区監査2-2', '012', '2011-02-01');
INSERT INTO otp.token (contract_id, credential_id, state, failure_count, locked_at, registered_at) VALUES
  ('9720000001', 'TUIC00000001', 'LOCKED', 5, now() - interval '1 hour', now() - interval '90 days'),
  ('9720000002', 'TUIC00000002', 'ACTIVE', 0, NULL, now() - interval '90 days');" >/dev/null

receipt=$(as "$OTPTUI_TELLER" request submit --contract 9720000001 --kind unlock --form AUD-0001 \
	--doc drivers_licence --name-match yes --address-match yes --seal match | awk -F'\t' '$1 == "receipt" { print $2 }')
check "teller submitted a request on 9720000001 (receipt $receipt)" test -n "$receipt"
approve_out=$(as "$OTPTUI_TELLER" request approve "$receipt" 2>&1)
check "the teller may not approve: refused by the server" bash -c '[[ $1 == *"not permitted"* ]]' _ "$approve_out"
sql "SELECT otp.audit('test.bulk', 'success', 'otp_teller', '012', '9720000002', NULL, NULL,
                      jsonb_build_object('n', g, 'note', 'paging event ' || g))
     FROM generate_series(1, 120) g" >/dev/null
as "$OTPTUI_BATCH" audit seal >/dev/null 2>&1
check "every event sealed" test "$(sql "SELECT count(*) FROM otp.audit_event WHERE seq IS NULL")" -eq 0
sealed=$(sql "SELECT max(seq) FROM otp.audit_event")
refused_now=$(sql "SELECT count(*) FROM otp.audit_event WHERE outcome = 'refused' AND reason_code = 'OD001'
                   AND at >= date_trunc('month', now() AT TIME ZONE 'Asia/Tokyo') AT TIME ZONE 'Asia/Tokyo'")

# ---- the browser -----------------------------------------------------------------
start_app
login "$OTPTUI_AUDITOR" "$OTPTUI_AUDITOR" || not_ok "auditor login"
send F4
check_screen "menu offers the audit log to the auditor" "5  Audit log"
send 5
check_screen "audit log opens" "Audit log"
check_screen "newest first: our bulk events" "test.bulk"
assert_screen_contains "none: every event, newest first"

# filter by contract (the form keeps what is typed)
send F2
check_screen "filter form" "Filter the audit log"
type_text 9720000002
send Enter
check_screen "contract filter applied" "Contract=9720000002"
check_screen "title names the contract" "Audit log: contract 9720000002"
check_screen "first page" "page 1, 21 events, older: PgDn"
check "only that contract's events" bash -c '! tmux -L "$1" capture-pane -p -t t | grep -q "request.approve"' _ "$TUI_SOCK"
first_top=$(screen | grep -m1 "test.bulk")
send PageDown
check_screen "PgDn: page 2" "page 2, 21 events"
send PageDown
check_screen "PgDn: page 3" "page 3, 21 events"
page3_top=$(screen | grep -m1 "test.bulk")
check "page 3 shows other events than page 1" test "$page3_top" != "$first_top"
send PageUp
check_screen "PgUp: back to page 2" "page 2, 21 events"
send PageDown
check_screen "PgDn again: page 3" "page 3, 21 events"
check "page 3 again starts at the same event" test "$(screen | grep -m1 "test.bulk")" == "$page3_top"
send Home
check_screen "Home: newest page" "page 1, 21 events"
check "page 1 again" test "$(screen | grep -m1 "test.bulk")" == "$first_top"
for i in 1 2 3 4 5; do send PageDown; done
check_screen "last page: no older events" "page 6, 15 events, no older events"

# event detail with its JSON
send Home
wait_for "page 1, 21 events"
send Enter
check_screen "event detail opens" "Details (JSON)"
assert_screen_contains "\"note\": \"paging event 120\""
assert_screen_contains "Prev hash"
check "hash shown (64 hex digits)" bash -c 'tmux -L "$1" capture-pane -p -t t | grep -Eq "Hash +[0-9a-f]{64}"' _ "$TUI_SOCK"
send Escape
check_screen "back in the browser" "page 1, 21 events"

# outcome = refused (over every contract)
send F2
wait_for "Filter the audit log"
send C-x
for i in 1 2 3 4 5; do send Tab; done
type_text refused
send Enter
check_screen "outcome filter applied" "Outcome=Refused"
check_screen "the teller's refused approval is listed" "request.approve"
check "refused is drawn in red" screen_ansi_matches 'request\.approve.*\e\[[0-9;]*31m(\e\[[0-9;]*m)*Refused'
check "no successful events under refused" bash -c '! tmux -L "$1" capture-pane -p -t t | grep -q "test.bulk"' _ "$TUI_SOCK"
check_screen "the short detail line shows the refusal" "OD001 request.approve is not permitted"
send Enter
check_screen "refused event in full" "\"message\": \"request.approve is not permitted"
send Escape

# contract 9720000001: the submitted request (the contract's log also holds
# the teller's refused approval of it, which names the request: filter on
# the event too)
send F2
wait_for "Filter the audit log"
send C-x
type_text 9720000001
send Tab Tab Tab Tab
type_text request.submit
send Enter
check_screen "request on our contract" "request.submit"
send Enter
check_screen "request details JSON" "\"form_no\": \"AUD-0001\""
send Escape

# ---- chain verification -----------------------------------------------------------
send F6
check_screen "verification result OK" "OK: the chain is intact" 60
check_screen "event count = the sealed events" "$sealed events verified (seq 1..$sealed)"
assert_screen_contains "NOT checked: no public key available"
send Escape

# ---- exception report ---------------------------------------------------------------
send F4
check_screen "exception report" "refused privilege attempts"
check "refused privilege attempts counted ($refused_now)" bash -c \
	'tmux -L "$1" capture-pane -p -t t | grep -Eq "^ *>? +$2 +refused privilege attempts"' _ "$TUI_SOCK" "$refused_now"
assert_screen_contains "approved by the submitter 0: OK"
send Down
send Enter
check_screen "the category's items" "request.approve"
send Enter
check_screen "Enter opens the log filtered on the item" "Actor (login)=$OTPTUI_TELLER"
assert_screen_contains "Outcome=Refused"
check_screen "with the refused attempt" "request.approve"
send Escape
send Escape
check_screen "back in the browser" "Audit log: contract 9720000001"

# resizing keeps the browser alive
resize 80 24
check_screen "80x24: still the browser" "Audit log: contract 9720000001"
resize 60 20
check_screen "60x20: enlarge message" "enlarge"
resize 100 30
check_screen "back to 100x30" "request.submit"
check "otpdesk still running" app_alive

# ---- a teller: the server refuses -----------------------------------------------------
# The menu offers the log only to auditors; the server is what decides. A
# teller who was an auditor when signing in loses the membership, then opens it.
sql "GRANT otp_auditor TO $OTPTUI_TELLER" >/dev/null
start_app
login "$OTPTUI_TELLER" "$OTPTUI_TELLER" || not_ok "teller login"
sql "REVOKE otp_auditor FROM $OTPTUI_TELLER" >/dev/null
send F4
wait_for "5  Audit log"
send 5
check_screen "teller: the refusal in words" "The server refused to show the audit log:"
assert_screen_contains "searching the audit log requires otp_auditor"
send F9
check_screen "F9 shows the SQLSTATE" "OD001"
send Escape
check "teller: otpdesk still running" app_alive

# ---- Japanese ---------------------------------------------------------------------------
start_app -l ja_JP.UTF-8
login "$OTPTUI_AUDITOR" "$OTPTUI_AUDITOR" || not_ok "auditor login (ja)"
send F4
wait_for "監査ログ"
send 5
check_screen "Japanese: the audit log title" "監査ログ"
check_screen "Japanese: headings" "結果"
send F4
check_screen "Japanese: exception report" "権限外の操作（拒否）"
