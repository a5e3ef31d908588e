# lib.sh: helpers for the tmux-driven otpdesk tests; sourced by every
# tests/tui/t_*.sh, which tests/tui/run.sh runs against a fresh database.
#
# Each test gets a pinned environment (TERM, LANG, TZ, HOME), its own private
# tmux server (tmux -L otptui-PID -f /dev/null) and a watchdog that ends a
# hung test. Screens are read with capture-pane and polled (wait_for), never
# slept on. Checks are counted; at exit the test writes "passed failed" to
# $TUI_RESULT_DIR/<test> and prints a closing line.
#
#   start_app [-s WxH] [-l LOCALE] [-t TERM] [-e VAR=VALUE] ARGS...
#                                          run otpdesk ARGS in a fresh pane
#   send KEYS...                           tmux key names (Enter, F5, Escape, C-l)
#   type_text TEXT                         literal text (UTF-8 ok)
#   wait_for TEXT [SECONDS]                poll the screen until TEXT shows
#   wait_gone TEXT [SECONDS]               poll until TEXT is gone
#   check_screen DESC TEXT [SECONDS]       a counted wait_for
#   check_absent DESC TEXT [SECONDS]       a counted wait_gone
#   assert_screen_contains TEXT            counted, no waiting
#   check DESC COMMAND...                  counted: COMMAND succeeds
#   resize W H                             resize the window
#   screen_ansi_matches REGEX              a line with colour escapes matches
#   login [USER] [PASSWORD]                sign in as the test teller
#   sql QUERY                              superuser query on the test database
# shellcheck shell=bash

set -u

TUI_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
BUILD=${BUILD:-build}
APP="$TUI_TOP/$BUILD/bin/otpdesk"
TEST_NAME=$(basename "$0" .sh)
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/otptui.XXXXXX")
TUI_SOCK="otptui-$$"
TUI_WATCHDOG=${TUI_WATCHDOG:-60}
tests_passed=0
tests_failed=0

# the pinned environment: the app and tmux see only this
export HOME="$TEST_TMP" TZ=Asia/Tokyo LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color
export TMUX_TMPDIR="$TEST_TMP"	# the server's socket goes away with the test
unset LANGUAGE NO_COLOR TMUX OTP_DSN OTP_TUI_TIMING

: "${OTPTUI_DB:?run through tests/tui/run.sh}"

tm() { tmux -L "$TUI_SOCK" -f /dev/null "$@"; }

ok() {
	tests_passed=$((tests_passed + 1))
	echo "ok - $TEST_NAME: $1"
}

not_ok() {
	tests_failed=$((tests_failed + 1))
	echo "not ok - $TEST_NAME: $1"
	if tm has-session -t t 2>/dev/null; then
		echo "  --- screen ---"
		tm capture-pane -p -t t 2>/dev/null | sed 's/^/  | /'
		echo "  --------------"
	fi
}

tui_finish() {
	local rc=$?
	trap - EXIT TERM INT
	[ -n "${WATCHDOG_PID:-}" ] && kill "$WATCHDOG_PID" 2>/dev/null
	stop_app
	tm kill-server 2>/dev/null
	check_sanitizer_logs
	rm -rf "$TEST_TMP"
	if [ "$tests_passed" -eq 0 ] && [ "$tests_failed" -eq 0 ] && [ "$rc" -ne 0 ]; then
		tests_failed=1
		echo "not ok - $TEST_NAME: died (status $rc) before any check"
	fi
	[ -n "${TUI_RESULT_DIR:-}" ] && echo "$tests_passed $tests_failed" > "$TUI_RESULT_DIR/$TEST_NAME"
	echo "# $TEST_NAME: $tests_passed passed, $tests_failed failed"
	[ "$tests_failed" -eq 0 ]
	exit $?
}

# stop_app: end the running otpdesk (SIGHUP, as when its terminal goes away)
# and wait until it is gone, so that sanitizer reports are written.
stop_app() {
	local pid end
	pid=$(app_pid)
	[ -n "$pid" ] || return 0
	kill -HUP "$pid" 2>/dev/null
	end=$(_deadline 5)
	while kill -0 "$pid" 2>/dev/null && [ "$(_now_ms)" -lt "$end" ]; do sleep 0.05; done
}

# A sanitizer build (make SAN=1) writes its reports to $TEST_TMP/san.*:
# any report is a failed check.
check_sanitizer_logs() {
	local f
	for f in "$TEST_TMP"/san.*; do
		[ -e "$f" ] || continue
		tests_failed=$((tests_failed + 1))
		echo "not ok - $TEST_NAME: sanitizer report $(basename "$f")"
		sed 's/^/  | /' "$f" | head -40
	done
}

on_watchdog() {
	not_ok "watchdog: no progress within ${TUI_WATCHDOG}s"
	exit 1
}

trap tui_finish EXIT
trap on_watchdog TERM
( sleep "$TUI_WATCHDOG"; kill -TERM $$ 2>/dev/null ) >/dev/null 2>&1 &
WATCHDOG_PID=$!

# start_app [-s WxH] [-l LOCALE] [-t TERM] [-e VAR=VALUE] ARGS...: otpdesk
# (with --dsn for the test database) in a new tmux session "t".
# The pane keeps running a shell after otpdesk exits and records its exit
# status and the terminal modes, so tests can check the terminal was restored.
start_app() {
	local size=100x30 lang=C.UTF-8 term=$TERM extra=()
	while [ $# -gt 0 ]; do
		case $1 in
		-s) size=$2; shift 2 ;;
		-l) lang=$2; shift 2 ;;
		-t) term=$2; shift 2 ;;
		-e) extra+=("$2"); shift 2 ;;
		*) break ;;
		esac
	done
	stop_app
	tm kill-session -t t 2>/dev/null
	rm -f "$TEST_TMP/exit" "$TEST_TMP/stty"
	cat > "$TEST_TMP/app.sh" <<EOF
#!/bin/sh
trap : INT
"\$@"
rc=\$?
stty -a > "$TEST_TMP/stty.tmp" 2>&1; mv "$TEST_TMP/stty.tmp" "$TEST_TMP/stty"
echo "\$rc" > "$TEST_TMP/exit.tmp"; mv "$TEST_TMP/exit.tmp" "$TEST_TMP/exit"
echo "otpdesk exited with status \$rc"
exec sleep 3600
EOF
	chmod +x "$TEST_TMP/app.sh"
	local cmd
	cmd=$(printf '%q ' env -u PGUSER -u PGDATABASE -u PGPASSFILE -u PGPASSWORD \
		"PGHOST=$PGHOST" "PGPORT=$PGPORT" "TERM=$term" "LANG=$lang" "LC_ALL=$lang" \
		"TZ=$TZ" "HOME=$HOME" ${OTP_TUI_TIMING:+"OTP_TUI_TIMING=$OTP_TUI_TIMING"} \
		"ASAN_OPTIONS=log_path=$TEST_TMP/san.asan" "UBSAN_OPTIONS=log_path=$TEST_TMP/san.ubsan:print_stacktrace=1" \
		${extra[@]+"${extra[@]}"} \
		"$TEST_TMP/app.sh" "$APP" --dsn "dbname=$OTPTUI_DB" "$@")
	# an idle session keeps the server alive between apps (a server that is
	# shutting down refuses new sessions: "server exited unexpectedly")
	tm has-session -t keep 2>/dev/null || tm new-session -d -s keep -x 20 -y 5 "exec sleep 100000"
	local try
	for try in 1 2 3; do
		tm new-session -d -s t -x "${size%x*}" -y "${size#*x}" "$cmd" && return 0
		sleep 0.2
	done
	not_ok "tmux could not start a session"
	return 1
}

send() { tm send-keys -t t "$@"; }
type_text() { tm send-keys -t t -l "$1"; }
screen() { tm capture-pane -p -t t 2>/dev/null; }

_deadline() { echo $(( $(date +%s%N) / 1000000 + ${1:-10} * 1000 )); }
_now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

wait_for() {
	local text=$1 end
	end=$(_deadline "${2:-10}")
	while [ "$(_now_ms)" -lt "$end" ]; do
		screen | grep -qF -- "$text" && return 0
		sleep 0.1
	done
	return 1
}

wait_gone() {
	local text=$1 end
	end=$(_deadline "${2:-10}")
	while [ "$(_now_ms)" -lt "$end" ]; do
		screen | grep -qF -- "$text" || return 0
		sleep 0.1
	done
	return 1
}

check_screen() {
	if wait_for "$2" "${3:-10}"; then ok "$1"; else not_ok "$1 (expected \"$2\")"; fi
}

check_absent() {
	if wait_gone "$2" "${3:-10}"; then ok "$1"; else not_ok "$1 (\"$2\" still shown)"; fi
}

assert_screen_contains() {
	if screen | grep -qF -- "$1"; then ok "screen shows \"$1\""; else not_ok "screen shows \"$1\""; fi
}

check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# screen_ansi_matches REGEX: some line of the screen, captured with its
# colour escapes, matches the Perl REGEX (write \e for ESC).
screen_ansi_matches() {
	tm capture-pane -e -p -t t 2>/dev/null |
		perl -CSD -Mutf8 -ne 'BEGIN { $re = shift @ARGV } $f = 1 if /$re/; END { exit !$f }' "$1"
}

resize() { tm resize-window -t t -x "$1" -y "$2"; }

# The otpdesk process (child of the pane's shell), empty once it exited.
app_pid() {
	local sh
	sh=$(tm display-message -p -t t '#{pane_pid}' 2>/dev/null) || return 0
	ps -o pid= -o comm= --ppid "$sh" 2>/dev/null | awk '$2 == "otpdesk" { print $1 }'
}

app_alive() { [ -n "$(app_pid)" ]; }

# wait_exit [SECONDS]: wait until otpdesk has exited; prints its status.
wait_exit() {
	local end
	end=$(_deadline "${1:-10}")
	while [ "$(_now_ms)" -lt "$end" ]; do
		[ -f "$TEST_TMP/exit" ] && { cat "$TEST_TMP/exit"; return 0; }
		sleep 0.1
	done
	return 1
}

# terminal_restored: after exit the tty is back in canonical mode with echo.
terminal_restored() {
	[ -f "$TEST_TMP/stty" ] && grep -qw icanon "$TEST_TMP/stty" && grep -qw echo "$TEST_TMP/stty" &&
		! grep -qw -- -icanon "$TEST_TMP/stty" && ! grep -qw -- -echo "$TEST_TMP/stty"
}

sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$OTPTUI_DB" -c "$1"; }

# login [USER] [PASSWORD]: fill the form and wait for the lookup screen.
login() {
	local user=${1:-$OTPTUI_TELLER} pass=${2:-$OTPTUI_PASSWORD}
	wait_for "Login name" 10 || wait_for "ログイン名" 1 || return 1
	type_text "$user"
	send Enter
	type_text "$pass"
	send Enter
	wait_for "$user)" 10
}

# display_col LINE TEXT: the display column (0-based) where TEXT starts in
# LINE, counting East Asian wide characters as two columns.
display_col() {
	perl -CSA -Mutf8 -e '
		my ($line, $text) = @ARGV;
		my $i = index($line, $text);
		exit 1 if $i < 0;
		my $w = 0;
		$w += (/\p{Ea=W}|\p{Ea=F}/ ? 2 : 1) for split //, substr($line, 0, $i);
		print "$w\n";' "$1" "$2"
}
