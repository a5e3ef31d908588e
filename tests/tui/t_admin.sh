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
