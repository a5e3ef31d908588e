#!/usr/bin/env bash
# t_idle: with --idle-lock 3 the screen locks after 3 idle seconds and hides
# everything; a wrong password keeps it locked; the right one unlocks and
# what was typed before is still there.
. "$(dirname "$0")/lib.sh"

start_app --idle-lock 3
login || not_ok "login"
type_text 98000000
check_screen "idle lock engages" "Screen locked" 8
check "locked: typed search hidden" bash -c '! tmux -L "$1" capture-pane -p -t t | grep -q 98000000' _ "$TUI_SOCK"
check "locked: lookup screen hidden" bash -c '! tmux -L "$1" capture-pane -p -t t | grep -q "credential ID"' _ "$TUI_SOCK"
send Escape
send F2
check_screen "Esc and F-keys do not unlock" "Screen locked" 1
type_text "not-the-password"
send Enter
check_screen "wrong password refused" "authentication failed for user \"$OTPTUI_TELLER\""
assert_screen_contains "Screen locked"
type_text "$OTPTUI_PASSWORD"
send Enter
check_absent "right password unlocks" "Screen locked"
check_screen "typed search kept" "98000000"
type_text 02
send Enter
check_screen "search works after unlocking" "9800000002 山田花子"
