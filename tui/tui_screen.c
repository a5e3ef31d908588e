/* tui_screen: the terminal. Setup and teardown live only here (tui_init /
 * tui_done); SIGINT, SIGTERM and SIGHUP only set a flag the loop reads, and
 * an atexit fallback restores the terminal on any other exit path, so the
 * terminal is never left raw. Also the drawing primitives every view uses. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"

static volatile sig_atomic_t got_signal;
static bool active;
static bool use_color;

static void on_signal(int sig)
{
	got_signal = sig;
}

int tui_signalled(void)
{
	return (int)got_signal;
}

static const struct {
	short fg, bg;
	attr_t color_attr, mono_attr;
} style_def[] = {
#define X(id, f, b, cattr, mattr) [TUI_S_##id] = { f, b, cattr, mattr },
	TUI_STYLES(X)
#undef X
};

attr_t tui_style(enum tui_style s)
{
	if ((unsigned)s >= TUI_S_COUNT)
		return A_NORMAL;
	if (!use_color)
		return style_def[s].mono_attr;
	attr_t a = style_def[s].color_attr;
	if (style_def[s].fg != -1 || style_def[s].bg != -1)
		a |= COLOR_PAIR((short)s + 1);
	return a;
}

static void setup_colors(void)
{
	const char *nc = getenv("NO_COLOR");
	use_color = has_colors() && !(nc && *nc);
	if (!use_color)
		return;
	start_color();
	use_default_colors();
	for (int s = 0; s < TUI_S_COUNT; s++)
		if (style_def[s].fg != -1 || style_def[s].bg != -1)
			init_pair((short)(s + 1), style_def[s].fg, style_def[s].bg);
}

int tui_init(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a signal interrupts the key wait at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!initscr()) {
		fprintf(stderr, "otpdesk: cannot initialise the terminal (TERM=%s)\n",
			getenv("TERM") ? getenv("TERM") : "");
		return -1;
	}
	active = true;
	atexit(tui_done);
	set_escdelay(25);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	intrflush(stdscr, FALSE);
	scrollok(stdscr, FALSE);
	curs_set(0);
	setup_colors();
	return 0;
}

void tui_done(void)
{
	if (!active)
		return;
	active = false;
	attrset(A_NORMAL);
	curs_set(1);
	endwin();
	fflush(stdout);
}

int tui_read_key(int timeout_ms)
{
	wint_t wch;
	timeout(timeout_ms);
	int r = get_wch(&wch);
	if (r == ERR)
		return TUI_KEY_NONE;
	if (r == KEY_CODE_YES) {
		if (wch == KEY_ENTER)
			return TUI_KEY_ENTER;
		if (wch == KEY_BACKSPACE)
			return TUI_KEY_BACKSPACE;
		return TUI_FN((int)wch);
	}
	switch (wch) {
	case '\r':
	case '\n':
		return TUI_KEY_ENTER;
	case 0x7f:
	case 0x08:
		return TUI_KEY_BACKSPACE;
	default:
		return (int)wch;
	}
}

bool tui_big_enough(void)
{
	return COLS >= TUI_MIN_COLS && LINES >= TUI_MIN_LINES;
}

struct wrap_ctx {
	char lines[16][256];
	int n;
};

static void collect_line(void *arg, const char *text)
{
	struct wrap_ctx *c = arg;
	if (c->n < 16)
		otp_strlcpy(c->lines[c->n], text, sizeof c->lines[0]);
	c->n++;
}

void tui_draw_too_small(void)
{
	erase();
	char msg[256];
	snprintf(msg, sizeof msg, _("enlarge the window (min %dx%d, now %dx%d)"), TUI_MIN_COLS, TUI_MIN_LINES,
		 COLS, LINES);
	struct wrap_ctx c = { .n = 0 };
	int width = COLS > 2 ? COLS - 2 : COLS;
	tui_text_wrap(msg, width, collect_line, &c);
	int n = c.n < 16 ? c.n : 16;
	int top = (LINES - n) / 2;
	if (top < 0)
		top = 0;
	for (int i = 0; i < n && top + i < LINES; i++) {
		int w = tui_text_width(c.lines[i]);
		int x = (COLS - w) / 2;
		tui_put(top + i, x < 0 ? 0 : x, w < COLS ? w : COLS, TUI_S_ERROR, TUI_LEFT, c.lines[i]);
	}
	curs_set(0);
}

void tui_put(int y, int x, int cols, enum tui_style s, enum tui_align align, const char *utf8)
{
	if (y < 0 || y >= LINES || x < 0 || x >= COLS || cols <= 0)
		return;
	if (x + cols > COLS)
		cols = COLS - x;
	/* the bottom-right cell would scroll some terminals: leave it */
	if (y == LINES - 1 && x + cols == COLS)
		cols--;
	if (cols <= 0)
		return;
	char buf[2048];
	tui_text_fit(buf, sizeof buf, utf8, cols, align);
	attrset(tui_style(s));
	mvaddstr(y, x, buf);
	attrset(A_NORMAL);
}

void tui_putf(int y, int x, int cols, enum tui_style s, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	tui_put(y, x, cols, s, TUI_LEFT, buf);
}

void tui_clear_rect(struct tui_rect r, enum tui_style s)
{
	for (int i = 0; i < r.h; i++)
		tui_put(r.y + i, r.x, r.w, s, TUI_LEFT, "");
}

struct tui_rect tui_box(struct tui_rect r, const char *title)
{
	tui_clear_rect(r, TUI_S_NORMAL);
	attrset(tui_style(TUI_S_BOX));
	mvaddch(r.y, r.x, ACS_ULCORNER);
	mvhline(r.y, r.x + 1, ACS_HLINE, r.w - 2);
	mvaddch(r.y, r.x + r.w - 1, ACS_URCORNER);
	mvvline(r.y + 1, r.x, ACS_VLINE, r.h - 2);
	mvvline(r.y + 1, r.x + r.w - 1, ACS_VLINE, r.h - 2);
	mvaddch(r.y + r.h - 1, r.x, ACS_LLCORNER);
	mvhline(r.y + r.h - 1, r.x + 1, ACS_HLINE, r.w - 2);
	mvaddch(r.y + r.h - 1, r.x + r.w - 1, ACS_LRCORNER);
	attrset(A_NORMAL);
	if (title && *title) {
		char t[256];
		snprintf(t, sizeof t, " %s ", title);
		int w = tui_text_width(t);
		if (w > r.w - 4)
			w = r.w - 4;
		tui_put(r.y, r.x + 2, w, TUI_S_TITLE, TUI_LEFT, t);
	}
	return (struct tui_rect){ r.y + 1, r.x + 2, r.h - 2, r.w - 4 };
}

struct put_wrap_ctx {
	struct tui_rect r;
	int row;
	int used;
	enum tui_style s;
};

static void put_wrapped_line(void *arg, const char *text)
{
	struct put_wrap_ctx *c = arg;
	if (c->row + c->used < c->r.h)
		tui_put(c->r.y + c->row + c->used, c->r.x, c->r.w, c->s, TUI_LEFT, text);
	c->used++;
}

int tui_put_wrapped(struct tui_rect r, int row, enum tui_style s, const char *utf8)
{
	struct put_wrap_ctx c = { r, row, 0, s };
	tui_text_wrap(utf8, r.w, put_wrapped_line, &c);
	return c.used;
}
