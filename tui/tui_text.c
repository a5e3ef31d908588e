/* tui_text: display-width arithmetic for UTF-8 text. Japanese characters take
 * two terminal columns; every column computation in the TUI goes through
 * here so that tables line up and no character is ever split. Pure functions
 * over the current LC_CTYPE (a UTF-8 locale); no curses, no I/O. */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "tui/tui.h"

/* Decode one character at s (n bytes left). Sets *wc and *w (its columns) and
 * returns its length in bytes (>= 1); invalid bytes become '?' of width 1. */
static size_t next_char(const char *s, size_t n, wchar_t *wc, int *w)
{
	mbstate_t st;
	memset(&st, 0, sizeof st);
	size_t len = mbrtowc(wc, s, n, &st);
	if (len == (size_t)-1 || len == (size_t)-2 || len == 0) {
		*wc = L'?';
		*w = 1;
		return 1;
	}
	int cw = wcwidth(*wc);
	if (cw < 0) {	/* control or unprintable: shown as '?' */
		*wc = L'?';
		cw = 1;
	}
	*w = cw;
	return len;
}

int tui_text_width(const char *utf8)
{
	if (!utf8)
		return 0;
	size_t n = strlen(utf8);
	int cols = 0;
	while (n) {
		wchar_t wc;
		int w;
		size_t len = next_char(utf8, n, &wc, &w);
		cols += w;
		utf8 += len;
		n -= len;
	}
	return cols;
}

int tui_text_fit(char *dst, size_t size, const char *src, int cols, enum tui_align align)
{
	if (!size)
		return 0;
	if (!src)
		src = "";
	if (cols < 0)
		cols = 0;
	/* the fitting prefix (unprintables replaced by '?') */
	char body[1024];
	size_t o = 0, n = strlen(src);
	int used = 0;
	while (n) {
		wchar_t wc;
		int w;
		size_t len = next_char(src, n, &wc, &w);
		if (used + w > cols)
			break;
		if (wc == L'?' && (len != 1 || src[0] != '?')) {
			if (o + 1 >= sizeof body)
				break;
			body[o++] = '?';
		} else {
			if (o + len >= sizeof body)
				break;
			memcpy(body + o, src, len);
			o += len;
		}
		used += w;
		src += len;
		n -= len;
	}
	body[o] = '\0';
	int pad = cols - used, left = 0;
	if (align == TUI_RIGHT)
		left = pad;
	else if (align == TUI_CENTER)
		left = pad / 2;
	int right = pad - left;
	size_t d = 0;
	for (int i = 0; i < left && d + 1 < size; i++)
		dst[d++] = ' ';
	size_t blen = strlen(body);
	if (d + blen >= size)
		blen = size - d - 1;
	/* never cut inside a character when dst itself is too small */
	while (blen && ((unsigned char)body[blen] & 0xC0) == 0x80)
		blen--;
	memcpy(dst + d, body, blen);
	d += blen;
	for (int i = 0; i < right && d + 1 < size; i++)
		dst[d++] = ' ';
	dst[d] = '\0';
	return used;
}

/* Is wc a character after which a line may break inside a word (CJK)? */
static bool breaks_anywhere(wchar_t wc, int w)
{
	return w == 2 || (wc >= 0x3000 && wc <= 0x30FF);
}

/* Wrap one paragraph (no newline) of n bytes; returns the lines produced. */
static int wrap_paragraph(const char *p, size_t n, int cols, void (*line)(void *arg, const char *text),
			  void *arg)
{
	char buf[1024];
	int lines = 0;
	for (;;) {
		if (lines > 0)	/* a continuation line does not start with spaces */
			while (n && *p == ' ') {
				p++;
				n--;
			}
		if (!n)
			return lines ? lines : (line ? (line(arg, ""), 1) : 1);
		size_t i = 0, brk = 0;
		int used = 0;
		while (i < n) {
			wchar_t wc;
			int w;
			size_t len = next_char(p + i, n - i, &wc, &w);
			if (used + w > cols)
				break;
			used += w;
			i += len;
			if (wc == L' ' || breaks_anywhere(wc, w))
				brk = i;
		}
		size_t take = i;
		if (i < n && brk > 0 && p[i] != ' ')
			take = brk;
		if (take == 0) {	/* one character wider than cols */
			wchar_t wc;
			int w;
			take = next_char(p, n, &wc, &w);
		}
		size_t c = take < sizeof buf - 1 ? take : sizeof buf - 1;
		memcpy(buf, p, c);
		buf[c] = '\0';
		while (c && buf[c - 1] == ' ')
			buf[--c] = '\0';
		if (line)
			line(arg, buf);
		lines++;
		p += take;
		n -= take;
		if (!n)
			return lines;
	}
}

int tui_text_wrap(const char *src, int cols, void (*line)(void *arg, const char *text), void *arg)
{
	if (cols < 1)
		cols = 1;
	if (!src)
		src = "";
	int lines = 0;
	for (;;) {
		const char *nl = strchr(src, '\n');
		size_t n = nl ? (size_t)(nl - src) : strlen(src);
		lines += wrap_paragraph(src, n, cols, line, arg);
		if (!nl)
			return lines;
		src = nl + 1;
	}
}

void tui_text_ascii_fold(char *dst, size_t size, const char *src)
{
	if (!size)
		return;
	size_t o = 0, n = strlen(src);
	char tmp[1024];
	while (n) {
		wchar_t wc;
		int w;
		size_t len = next_char(src, n, &wc, &w);
		if (wc >= 0xFF01 && wc <= 0xFF5E && o + 1 < sizeof tmp) {
			tmp[o++] = (char)(wc - 0xFF01 + 0x21);
		} else if (wc == 0x3000 && o + 1 < sizeof tmp) {
			tmp[o++] = ' ';
		} else if (o + len < sizeof tmp) {
			memcpy(tmp + o, src, len);
			o += len;
		}
		src += len;
		n -= len;
	}
	tmp[o] = '\0';
	char *s = tmp;
	while (*s == ' ' || *s == '\t')
		s++;
	size_t l = strlen(s);
	while (l && (s[l - 1] == ' ' || s[l - 1] == '\t'))
		s[--l] = '\0';
	otp_strlcpy(dst, s, size);
}
