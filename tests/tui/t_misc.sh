#!/usr/bin/env bash
# t_misc: command-line options (--version, --help, bad values), -n N frames,
# the monochrome fallback (NO_COLOR, a terminal without colours) and LANG=ja
# taken from the environment.
. "$(dirname "$0")/lib.sh"

check "--version prints the version" bash -c '"$1" --version | grep -qE "^otpdesk [0-9]+\.[0-9]+"' _ "$APP"
check "--help lists the options" bash -c '"$1" --help | grep -q -- "--idle-lock SECONDS"' _ "$APP"
check "--lang xx is a usage error (status 2)" bash -c '"$1" --lang xx </dev/null >/dev/null 2>&1; [ $? -eq 2 ]' _ "$APP"
check "--idle-lock 0 is a usage error" bash -c '"$1" --idle-lock 0 </dev/null >/dev/null 2>&1; [ $? -eq 2 ]' _ "$APP"
check "unknown option is a usage error" bash -c '"$1" --frobnicate </dev/null >/dev/null 2>&1; [ $? -eq 2 ]' _ "$APP"
check "no terminal: refuses with a message" bash -c '"$1" </dev/null 2>&1 | grep -q "needs a terminal"' _ "$APP"
check "--help in Japanese" bash -c 'LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 "$1" --help | grep -q "使い方"' _ "$APP"

start_app -n 3
code=$(wait_exit 5)
check "-n 3: exits by itself with status 0 (got ${code:-none})" test "${code:-x}" = 0
check "-n 3: terminal restored" terminal_restored

start_app -e NO_COLOR=1
login || not_ok "login"
type_text 9800000002
send Enter
wait_for "9800000002 山田花子"
check "NO_COLOR: no colour escapes" bash -c '! tmux -L "$1" capture-pane -e -p -t t | grep -qE "\[(3[0-7]|4[0-7])m"' _ "$TUI_SOCK"
check "NO_COLOR: LOCKED still stands out (bold)" screen_ansi_matches '9800000002 .*\e\[[0-9;]*1m(\e\[[0-9;]*m)*LOCKED'
send F10
wait_exit 5 >/dev/null

start_app -t vt100
login || not_ok "login on vt100"
check_screen "vt100 (no colours): lookup screen works" "Contract lookup"
send F10
wait_exit 5 >/dev/null

start_app -l ja_JP.UTF-8
check_screen "LANG=ja_JP.UTF-8 selects Japanese" "ログイン名"
