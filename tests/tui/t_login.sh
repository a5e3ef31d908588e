#!/usr/bin/env bash
# t_login: signing in. A wrong password stays on the form with libpq's
# message and hint and never shows the password; a login without a staff
# record is refused; an unreachable server says so; the right password shows
# name, branch and role in the header; --demo and --user pre-fill the form;
# quitting and signals restore the terminal.
. "$(dirname "$0")/lib.sh"

start_app
check_screen "login form shown" "Login name"
type_text "$OTPTUI_TELLER"
send Enter
type_text "wrong-secret-42"
check_screen "password shown masked" "***************"
check "typed password never on screen" bash -c '! tmux -L "$1" capture-pane -p -t t | grep -q wrong-secret' _ "$TUI_SOCK"
send Enter
check_screen "wrong password: libpq's message" "authentication failed for user \"$OTPTUI_TELLER\""
check_screen "wrong password: hint" "check the login name and password"
assert_screen_contains "Login name"
# the name is kept, the password field is empty and focused: type it again
type_text "$OTPTUI_PASSWORD"
send Enter
check_screen "signed in: login in header" "($OTPTUI_TELLER)"
check_screen "signed in: display name" "窓口花子"
check_screen "signed in: branch in header" "012 Chuo Branch"
check_screen "signed in: role in header" "teller"
check_screen "lookup screen after login" "Contract lookup"
send F10
code=$(wait_exit 5)
check "F10 quits with status 0 (got ${code:-none})" test "${code:-x}" = 0
check "terminal restored after F10" terminal_restored

# a login role without an otp.staff row
start_app --user "$OTPTUI_NOSTAFF"
wait_for "Login name"
type_text "$OTPTUI_NOSTAFF"
send Enter
check_screen "non-staff login refused" "not an active otpdesk staff member"
assert_screen_contains "Login name"
check "refused login keeps otpdesk running" app_alive

# the server cannot be reached (simulated: no socket there)
start_app --dsn "host=/nonexistent"
wait_for "Login name"
type_text "$OTPTUI_TELLER"
send Enter
type_text "$OTPTUI_PASSWORD"
send Enter
check_screen "unreachable server: heading" "cannot connect to the database"
check_screen "unreachable server: libpq's reason" "No such file or directory"
check_screen "unreachable server: hint" "is the database running?"
send F9
check_screen "F9 shows the error details" "Error details"
send Escape
check_absent "details popup closes" "Error details"

# --demo pre-fills demo_teller and its password (shown masked)
start_app --demo
check_screen "--demo pre-fills the login name" "demo_teller"
check_screen "--demo pre-fills the password masked" "***********"
if [ -n "${OTPTUI_SEEDED:-}" ]; then
	send Enter
	check_screen "--demo signs in as demo_teller" "(demo_teller)" 10
	# a service account (staff record, but only the verifier group) is refused
	start_app --demo --user demo_verifier
	wait_for "Login name"
	send Enter
	check_screen "service account refused" "is a service account and cannot sign in"
	assert_screen_contains "Login name"
fi

# SIGTERM and SIGINT end otpdesk cleanly with the terminal restored
start_app --user "$OTPTUI_TELLER"
wait_for "Login name"
pid=$(app_pid)
check "otpdesk is running" test -n "$pid"
[ -n "$pid" ] && kill -TERM "$pid"
code=$(wait_exit 5)
check "SIGTERM: exit status 143 (got ${code:-none})" test "${code:-x}" = 143
check "SIGTERM: terminal restored" terminal_restored
start_app
wait_for "Login name"
send C-c
code=$(wait_exit 5)
check "Ctrl-C: exit status 130 (got ${code:-none})" test "${code:-x}" = 130
check "Ctrl-C: terminal restored" terminal_restored
