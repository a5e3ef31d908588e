#!/usr/bin/env bash
# t_admin: the administrator's screens. As the fixture's administrator: the
# staff list, a new teller login (its password never on screen) that can
# then sign in, its groups and password changed, deactivated (then its
# sign-in is refused); a closing day of branch 034 added and removed; the
# lock threshold changed and restored. A login that lost the administrators'
# group during its session gets the server's refusal in plain words. The
# login made here is dropped at the end and the policy restored even when a
# check fails.
. "$(dirname "$0")/lib.sh"

TUI_WATCHDOG=150
NEW="tui_new_$$"
PW1="Pw1-$$-geheim"
PW2="Pw2-$$-himitsu"
DAY="2031-12-29"

threshold0=$(sql "SELECT lock_threshold FROM otp.policy")
cleanup_admin() {
	sql "UPDATE otp.policy SET lock_threshold = $threshold0" >/dev/null 2>&1
	sql "DELETE FROM otp.branch_closing_day WHERE branch_code = '034' AND day = '$DAY'" >/dev/null 2>&1
	sql "DELETE FROM otp.staff WHERE login = '$NEW'" >/dev/null 2>&1
	sql "DROP ROLE IF EXISTS $NEW" >/dev/null 2>&1
}
# restore what other tests depend on, then lib.sh's own summary
trap 'cleanup_admin; tui_finish' EXIT

# no_secret: neither password is anywhere on the screen
no_secret() { ! screen | grep -qF -e "$PW1" -e "$PW2"; }

open_admin() {
	send F4
	wait_for "6  Administration" 10 || wait_for "6  管理" 1
	send 6
}

start_app
login "$OTPTUI_ADMIN" "$OTPTUI_ADMIN" || not_ok "admin login"
open_admin
check_screen "Administration: the staff list" "1 Staff"
check_screen "staff list: the administrator" "$OTPTUI_ADMIN"
assert_screen_contains "管理三郎"
assert_screen_contains "$OTPTUI_TELLER"
assert_screen_contains "窓口花子"
assert_screen_contains "役席一郎"

# ---- a new teller login
send F2
check_screen "new login form" "New staff login"
type_text "Bad-Name"
check_screen "login name checked as typed" "lowercase letters, digits and _"
send C-u
type_text "$NEW"
check_absent "a good login name: no complaint" "lowercase letters, digits and _"
send Enter
type_text "新人太郎"
send Enter
send C-u
type_text 999
check_screen "unknown branch flagged" "no such branch"
send C-u
type_text "012"
check_screen "branch name shown" "Chuo Branch"
send Enter
type_text "$PW1"
send Enter
type_text "${PW1}x"
check_screen "different passwords flagged" "the two passwords differ"
send BSpace
check_absent "same passwords: no complaint" "the two passwords differ"
check "the password is not on the screen" no_secret
send Enter
send F2
check_screen "no group: refused locally" "choose at least one group"
send Space
check_screen "teller switched on" "[x] 1 teller"
send F2
check_screen "create asks y/n" "Create login $NEW for 新人太郎 in branch 012, groups:"
check "the password is not in the question" no_secret
send y
check_screen "login created" "login $NEW created in branch 012"
check "the password never showed" no_secret
check "staff row and login role exist" test "$(sql "SELECT count(*) FROM otp.staff s JOIN pg_roles r ON r.rolname = s.login WHERE login = '$NEW' AND r.rolcanlogin")" = 1
check "new login is in otp_teller" test "$(sql "SELECT pg_has_role('$NEW', 'otp_teller', 'MEMBER')")" = t

# ---- its groups: teller + admin (for the refusal below)
send /
type_text "$NEW"
send Enter
check_screen "the new login in the list" "新人太郎"
send Enter
check_screen "groups form" "Administration: groups of $NEW"
send Tab Tab Tab Tab
send Space
send F2
check_screen "groups change asks y/n with old → new" "teller → teller, admin"
send y
check_screen "groups saved" "groups of $NEW are now: teller, admin"
check "server has the new groups" test "$(sql "SELECT pg_has_role('$NEW', 'otp_admin', 'MEMBER')")" = t

# ---- its password: reset
send /
type_text "$NEW"
send Enter
send F6
check_screen "password form" "new password for $NEW"
type_text "$PW2"
send Enter
type_text "$PW2"
check "the new password is not on the screen" no_secret
send F2
check_screen "password asks y/n" "Set the new password for $NEW"
send y
check_screen "password set" "new password set for $NEW"
check "the passwords never showed" no_secret

# ---- a closing day of branch 034: add, then remove
send 2
check_screen "branches tab" "Minato Branch"
send /
type_text 034
send Enter
send F4
check_screen "closing days of 034" "closing days of 034"
type_text "2031-02-30"
check_screen "impossible date flagged" "a date as YYYY-MM-DD"
send C-u
type_text "$DAY"
send Enter
type_text "年末臨時休業"
send Enter
check_screen "add asks y/n" "Close branch 034 on $DAY"
send y
check_screen "closing day added" "$DAY is now a closing day of branch 034"
assert_screen_contains "年末臨時休業"
check "server has the closing day" test "$(sql "SELECT reason FROM otp.branch_closing_day WHERE branch_code = '034' AND day = '$DAY'")" = "年末臨時休業"
send Tab Tab
send F8
check_screen "remove asks y/n" "Open branch 034 again on $DAY"
send y
check_screen "closing day removed" "$DAY is no longer a closing day of branch 034"
check "server no longer has it" test "$(sql "SELECT count(*) FROM otp.branch_closing_day WHERE branch_code = '034' AND day = '$DAY'")" = 0
send Escape

# ---- the policy: lock threshold changed and restored
send 3
check_screen "policy tab" "$threshold0 failed attempts lock a token"
send Enter
check_screen "policy form" "The bank's policy"
send C-u
type_text 11
check_screen "out of range flagged" "failed attempts (1-10)"
send C-u
type_text 7
send F2
check_screen "policy asks y/n with old → new" "$threshold0 → 7"
send y
check_screen "policy changed" "the policy is changed"
check_screen "policy tab shows the new threshold" "7 failed attempts lock a token"
check "server has threshold 7" test "$(sql "SELECT lock_threshold FROM otp.policy")" = 7
send Enter
send C-u
type_text "$threshold0"
send F2
check_screen "restore asks y/n" "7 → $threshold0"
send y
check_screen "policy restored" "$threshold0 failed attempts lock a token"
check "server has the threshold back" test "$(sql "SELECT lock_threshold FROM otp.policy")" = "$threshold0"

# ---- the new login signs in with its new password and sees its name
start_app
login "$NEW" "$PW2" || not_ok "new login signs in"
check_screen "the new login's name in the header" "新人太郎 ($NEW)"
check "the password is not on the screen" no_secret
send F4
check_screen "menu offers Administration while it is an admin" "6  Administration"
# its admin group is taken away while it is signed in: now only a teller
sql "REVOKE otp_admin FROM $NEW"
send 6
check_screen "teller: the server's refusal in plain words" "The database refused to show this to your login."
assert_screen_contains "permission denied for view staff"
assert_screen_contains "ask an administrator"
send F7
check_screen "teller: no change offered without a list" "is not available here"

# ---- deactivate it: then its sign-in is refused
start_app
login "$OTPTUI_ADMIN" "$OTPTUI_ADMIN" || not_ok "admin login again"
open_admin
wait_for "$OTPTUI_ADMIN"
send /
type_text "$NEW"
send Enter
send F7
check_screen "deactivate asks y/n" "Deactivate login $NEW (新人太郎)?"
send n
check_screen "n: nothing changed" "nothing was changed"
send F7
send y
check_screen "login deactivated" "login $NEW is deactivated"
check "server: inactive, NOLOGIN" test "$(sql "SELECT s.active::text || r.rolcanlogin::text FROM otp.staff s JOIN pg_roles r ON r.rolname = s.login WHERE login = '$NEW'")" = falsefalse
send /
type_text "$OTPTUI_ADMIN"
send Enter
send F7
send y
check_screen "deactivating oneself: the server's refusal" "an administrator cannot deactivate their own login"

start_app
wait_for "Login name"
type_text "$NEW"
send Enter
type_text "$PW2"
send Enter
check_screen "deactivated login cannot sign in" "not permitted to log in"
check "the password is not on the screen" no_secret

# ---- Japanese
start_app -l ja_JP.UTF-8
login "$OTPTUI_ADMIN" "$OTPTUI_ADMIN" || not_ok "admin login (ja)"
open_admin
check_screen "ja: staff tab" "1 職員"
assert_screen_contains "2 店舗"
assert_screen_contains "管理三郎"
send 3
check_screen "ja: lock threshold" "ロック閾値"
send 2
send F4
check_screen "ja: closing days" "休業日"
