#!/usr/bin/env bash
# t_paging: kana prefix search a screenful at a time; next/previous page
# through the stack of page-start keys; hiragana input is folded to katakana.
. "$(dirname "$0")/lib.sh"

total=$(sql "SELECT count(*) FROM otp.contract WHERE name_kana LIKE 'テスト%' AND branch_code = '012'")
last=$(sql "SELECT contract_id FROM otp.contract WHERE name_kana LIKE 'テスト%' AND branch_code = '012'
            ORDER BY name_kana DESC, contract_id DESC LIMIT 1")
first=$(sql "SELECT contract_id FROM otp.contract WHERE name_kana LIKE 'テスト%' AND branch_code = '012'
             ORDER BY name_kana, contract_id LIMIT 1")
# 30 lines: 4 for header, title, status, F-keys; 4 for search, hint, headings, footer
page=22

start_app -s 100x30
login || not_ok "login"
type_text テスト
send Enter
check_screen "first page" "page 1, contracts 1-$page (more: PgDn)"
assert_screen_contains "$first"
send NPage
check_screen "PgDn: second page" "page 2, contracts $((page + 1))-$((page * 2 < total ? page * 2 : total))"
check_absent "second page does not repeat the first row" "$first " 2
if [ "$total" -le $((page * 2)) ]; then
	check_screen "last row on the last page" "$last"
	check "no more pages: PgDn greyed and refused" bash -c 'tmux -L "$1" send-keys -t t n; sleep 0.3; tmux -L "$1" capture-pane -p -t t | grep -q "is not available here"' _ "$TUI_SOCK"
fi
send p
check_screen "p: back to the first page" "page 1, contracts 1-$page"
assert_screen_contains "$first"
send F8
check_screen "F8: next page" "page 2,"
send F7
check_screen "F7: previous page" "page 1,"

# hiragana is folded to katakana by the db layer
send /
send C-u
type_text てすと
send Enter
check_screen "hiragana prefix finds the katakana names" "page 1, contracts 1-$page"
send /
send C-u
type_text ヤマダ
send Enter
check_screen "short result: one page" "page 1, contracts 1-2"
check "short result: no 'more' marker" bash -c '! tmux -L "$1" capture-pane -p -t t | grep -q "more: PgDn"' _ "$TUI_SOCK"
send /
send C-u
type_text ンンン
send Enter
check_screen "no match says so" "no contract's kana name starts with ンンン"

# Down moves through the list; Enter opens the selected row
send /
send C-u
type_text ヤマダ
send Enter
wait_for "page 1, contracts 1-2"
send Down
send Enter
check_screen "Down + Enter opens the second row" "Contract 9800000002"
