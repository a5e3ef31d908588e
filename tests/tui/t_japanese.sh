#!/usr/bin/env bash
# t_japanese: --lang ja translates the interface, and the result list stays
# aligned by display width: on every row the kana and state columns start at
# the same display column whatever the width of the kanji name before them.
. "$(dirname "$0")/lib.sh"

start_app --lang ja
check_screen "Japanese login form" "ログイン名"
assert_screen_contains "パスワード"
login || not_ok "login"
check_screen "Japanese header: role" "窓口"
check_screen "Japanese title" "契約照会"
type_text テスト
send Enter
check_screen "Japanese footer" "1ページ目"
rows=$(screen | grep -E '^ 98100000[0-9]{2} ')
check "result rows shown" test "$(printf '%s\n' "$rows" | grep -c .)" -ge 10
kana_cols=$(printf '%s\n' "$rows" | while IFS= read -r l; do display_col "$l" "テスト"; done | sort -u)
check "kana column aligned (columns: $(echo $kana_cols))" test "$(printf '%s\n' "$kana_cols" | grep -c .)" -eq 1
state_cols=$(printf '%s\n' "$rows" | while IFS= read -r l; do
	for s in 利用中 ロック中 停止中 未登録; do display_col "$l" "$s" && break; done; done | sort -u)
check "state column aligned (columns: $(echo $state_cols))" test "$(printf '%s\n' "$state_cols" | grep -c .)" -eq 1
fail_cols=$(printf '%s\n' "$rows" | while IFS= read -r l; do display_col "$l" "/5"; done | sort -u)
check "failures column aligned (columns: $(echo $fail_cols))" test "$(printf '%s\n' "$fail_cols" | grep -c .)" -eq 1
names=$(printf '%s\n' "$rows" | awk '{ print length($2) }' | sort -u | grep -c .)
check "the kanji names really differ in width" test "$names" -ge 3
send /
send C-u
type_text 12345
send Enter
check_screen "Japanese F-key bar" "F10 終了"
send F1
check_screen "Japanese help" "次のページ"
