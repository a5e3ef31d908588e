#!/usr/bin/env bash
# t_resize: below 80x24 only the centered "enlarge the window" message is
# shown (and nothing crashes, even at 20x10); growing back redraws the screen
# with its state; a kana page is re-read for the new height.
. "$(dirname "$0")/lib.sh"

start_app -s 100x30
login || not_ok "login"
type_text テスト
send Enter
check_screen "results at 100x30" "page 1, contracts 1-22"
resize 60 20
check_screen "60x20: enlarge message" "enlarge the window (min 80x24, now 60x20)"
check "60x20: nothing else drawn" bash -c '[ "$(tmux -L "$1" capture-pane -p -t t | grep -c .)" -le 2 ]' _ "$TUI_SOCK"
check "60x20: still running" app_alive
resize 20 10
check_screen "20x10: message wrapped" "20x10)"
check "20x10: still running" app_alive
send x
check "20x10: keys do not crash it" app_alive
resize 100 30
check_screen "back to 100x30: screen redrawn" "page 1, contracts 1-22"
assert_screen_contains "Contract lookup"
resize 80 24
check_screen "80x24: page re-read for the new height" "page 1, contracts 1-16"
assert_screen_contains "F10 Quit"
resize 120 40
check_screen "120x40: longer page" "page 1, contracts 1-32"
send F10
code=$(wait_exit 5)
check "quit after resizing: status 0 (got ${code:-none})" test "${code:-x}" = 0
check "terminal restored" terminal_restored
