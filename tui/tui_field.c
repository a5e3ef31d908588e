/* tui_field: a one-line text field holding wide characters, so Japanese input
 * edits and scrolls by character and by display column. A secret field shows
 * one '*' per character, never its content, and is wiped when cleared. */
#include <string.h>
#include <wctype.h>

#include <openssl/crypto.h>

#include "tui/tui.h"

bool tui_key_is_text(int key)
{
	return key >= 0x20 && key < TUI_KEY_FN && key != 0x7f && iswprint((wint_t)key);
}

void tui_field_init(struct tui_field *f, int max, bool secret)
{
	memset(f, 0, sizeof *f);
	f->max = max > 0 && max <= TUI_FIELD_MAX ? max : TUI_FIELD_MAX;
	f->secret = secret;
}

void tui_field_clear(struct tui_field *f)
{
	OPENSSL_cleanse(f->buf, sizeof f->buf);
	f->len = f->cur = f->scroll = 0;
}

void tui_field_set(struct tui_field *f, const char *utf8)
{
	tui_field_clear(f);
	mbstate_t st;
	memset(&st, 0, sizeof st);
	size_t n = strlen(utf8);
	while (n && f->len < f->max) {
		wchar_t wc;
		size_t len = mbrtowc(&wc, utf8, n, &st);
		if (len == (size_t)-1 || len == (size_t)-2 || len == 0)
			break;
		f->buf[f->len++] = wc;
		utf8 += len;
		n -= len;
	}
	f->buf[f->len] = L'\0';
	f->cur = f->len;
}

int tui_field_get(const struct tui_field *f, char *out, size_t size)
{
	mbstate_t st;
	memset(&st, 0, sizeof st);
	size_t o = 0;
	for (int i = 0; i < f->len; i++) {
		char mb[MB_LEN_MAX];
		size_t len = wcrtomb(mb, f->buf[i], &st);
		if (len == (size_t)-1)
			continue;
		if (o + len >= size) {
			if (size)
				out[0] = '\0';
			return -1;
		}
		memcpy(out + o, mb, len);
		o += len;
	}
	if (size)
		out[o] = '\0';
	return 0;
}

static void insert(struct tui_field *f, wchar_t wc)
{
	if (f->len >= f->max)
		return;
	memmove(f->buf + f->cur + 1, f->buf + f->cur, (size_t)(f->len - f->cur) * sizeof *f->buf);
	f->buf[f->cur++] = wc;
	f->buf[++f->len] = L'\0';
}

static void delete_at(struct tui_field *f, int at, int count)
{
	if (at < 0 || at >= f->len || count <= 0)
		return;
	if (at + count > f->len)
		count = f->len - at;
	memmove(f->buf + at, f->buf + at + count, (size_t)(f->len - at - count) * sizeof *f->buf);
	f->len -= count;
	OPENSSL_cleanse(f->buf + f->len, (size_t)count * sizeof *f->buf);
	f->buf[f->len] = L'\0';
}

bool tui_field_key(struct tui_field *f, int key)
{
	if (tui_key_is_text(key)) {
		insert(f, (wchar_t)key);
		return true;
	}
	switch (key) {
	case TUI_KEY_BACKSPACE:
		if (f->cur > 0) {
			delete_at(f, f->cur - 1, 1);
			f->cur--;
		}
		return true;
	case TUI_FN(KEY_DC):
	case TUI_CTRL('d'):
		delete_at(f, f->cur, 1);
		return true;
	case TUI_FN(KEY_LEFT):
	case TUI_CTRL('b'):
		if (f->cur > 0)
			f->cur--;
		return true;
	case TUI_FN(KEY_RIGHT):
	case TUI_CTRL('f'):
		if (f->cur < f->len)
			f->cur++;
		return true;
	case TUI_FN(KEY_HOME):
	case TUI_CTRL('a'):
		f->cur = 0;
		return true;
	case TUI_FN(KEY_END):
	case TUI_CTRL('e'):
		f->cur = f->len;
		return true;
	case TUI_CTRL('u'):
		delete_at(f, 0, f->cur);
		f->cur = 0;
		return true;
	case TUI_CTRL('k'):
		delete_at(f, f->cur, f->len - f->cur);
		return true;
	default:
		return false;
	}
}

static int char_cols(const struct tui_field *f, int i)
{
	if (f->secret)
		return 1;
	int w = wcwidth(f->buf[i]);
	return w < 0 ? 1 : w;
}

void tui_field_draw(struct tui *app, struct tui_field *f, int y, int x, int cols, bool focus)
{
	if (cols < 2)
		return;
	/* keep the cursor inside the visible part (one column kept for it at the end) */
	if (f->cur < f->scroll)
		f->scroll = f->cur;
	for (;;) {
		int w = 0;
		for (int i = f->scroll; i < f->cur; i++)
			w += char_cols(f, i);
		if (w <= cols - 1 || f->scroll >= f->cur)
			break;
		f->scroll++;
	}
	attr_t a = tui_style(focus ? TUI_S_FIELD_FOCUS : TUI_S_FIELD);
	attrset(a);
	int used = 0, cx = x;
	for (int i = f->scroll; i <= f->len; i++) {
		if (i == f->cur)
			cx = x + used;
		if (i == f->len)
			break;
		int w = char_cols(f, i);
		if (used + w > cols)
			break;
		if (f->secret) {
			mvaddch(y, x + used, '*');
		} else {
			cchar_t cc;
			wchar_t s[2] = { f->buf[i], L'\0' };
			setcchar(&cc, s, a, 0, NULL);
			mvadd_wch(y, x + used, &cc);
		}
		used += w;
	}
	for (; used < cols; used++)
		mvaddch(y, x + used, ' ');
	attrset(A_NORMAL);
	if (focus)
		tui_cursor(app, y, cx < x + cols ? cx : x + cols - 1);
}
