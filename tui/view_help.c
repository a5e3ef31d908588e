/* view_help: a popup listing the keys of the screen below it and the global
 * keys, generated from the same binding tables the loop dispatches on, so the
 * help cannot describe a key that does something else. */
#include <stdio.h>
#include <string.h>

#include "tui/tui.h"

#define MAX_LINES 64

struct help_line {
	const char *keys;	/* NULL: a section heading in text */
	const char *text;
};

struct help {
	char title[200];
	struct help_line lines[MAX_LINES];
	int n;
	int scroll;
	int shown;		/* rows visible (from the last draw) */
	int rows;		/* rows of the laid-out help (from the last draw) */
};

static void add(struct help *s, const char *keys, const char *text)
{
	if (s->n < MAX_LINES)
		s->lines[s->n++] = (struct help_line){ keys, text };
}

static void add_table(struct help *s, const struct tui_binding *b)
{
	for (; b && b->keyname; b++)
		if (b->help)
			add(s, _(b->keyname), _(b->help));
}

static int help_open(struct view *v, const void *arg, struct otp_err *err)
{
	(void)err;
	struct help *s = v->state;
	const struct view *of = arg;
	snprintf(s->title, sizeof s->title, _("Keys: %s"), of ? of->title : "otpdesk");
	if (of && of->ops->bindings && of->ops->bindings->keyname)
		add_table(s, of->ops->bindings);
	add(s, NULL, "");
	add(s, NULL, _("Everywhere"));
	add_table(s, tui_global_bindings);
	return 0;
}

#define MAX_ROWS 160

/* The help laid out for a width: each entry wrapped in its two columns. */
struct layout {
	char keys[MAX_ROWS][96];
	char text[MAX_ROWS][192];
	bool heading[MAX_ROWS];
	int n;
};

struct collect {
	struct layout *l;
	int base, row;
	bool keys;
};

static void collect_line(void *arg, const char *text)
{
	struct collect *c = arg;
	int r = c->base + c->row++;
	if (r >= MAX_ROWS)
		return;
	if (r >= c->l->n) {
		c->l->keys[r][0] = c->l->text[r][0] = '\0';
		c->l->heading[r] = false;
		c->l->n = r + 1;
	}
	otp_strlcpy(c->keys ? c->l->keys[r] : c->l->text[r], text, c->keys ? sizeof c->l->keys[r] : sizeof c->l->text[r]);
}

static void lay_out(const struct help *s, struct layout *l, int kw, int tw)
{
	l->n = 0;
	for (int i = 0; i < s->n && l->n < MAX_ROWS; i++) {
		const struct help_line *h = &s->lines[i];
		int base = l->n;
		if (!h->keys) {
			struct collect c = { l, base, 0, false };
			tui_text_wrap(h->text, kw + tw, collect_line, &c);
			for (int r = base; r < l->n; r++)
				l->heading[r] = true;
			continue;
		}
		struct collect ck = { l, base, 0, true };
		tui_text_wrap(h->keys, kw - 2, collect_line, &ck);
		struct collect ct = { l, base, 0, false };
		tui_text_wrap(h->text, tw, collect_line, &ct);
	}
}

static void help_draw(struct view *v)
{
	struct help *s = v->state;
	struct tui_rect a = v->area;
	int w = a.w - 4 < 78 ? a.w - 4 : 78;
	int kw = 0;
	for (int i = 0; i < s->n; i++)
		if (s->lines[i].keys && tui_text_width(s->lines[i].keys) > kw)
			kw = tui_text_width(s->lines[i].keys);
	kw += 2;
	if (kw > (w - 4) * 2 / 5)
		kw = (w - 4) * 2 / 5;
	static struct layout l;
	lay_out(s, &l, kw, w - 4 - kw);
	int h = l.n + 3 < a.h ? l.n + 3 : a.h;
	struct tui_rect box = { a.y + (a.h - h) / 2, a.x + (a.w - w) / 2, h, w };
	struct tui_rect in = tui_box(box, s->title);
	s->shown = in.h - 1;
	s->rows = l.n;
	if (s->scroll > l.n - s->shown)
		s->scroll = l.n - s->shown > 0 ? l.n - s->shown : 0;
	for (int i = 0; i < s->shown && s->scroll + i < l.n; i++) {
		int r = s->scroll + i;
		if (l.heading[r]) {
			tui_put(in.y + i, in.x, in.w, TUI_S_HEADING, TUI_LEFT, l.text[r]);
			continue;
		}
		tui_put(in.y + i, in.x, kw, TUI_S_LABEL, TUI_LEFT, l.keys[r]);
		tui_put(in.y + i, in.x + kw, in.w - kw, TUI_S_NORMAL, TUI_LEFT, l.text[r]);
	}
	tui_put(in.y + in.h - 1, in.x, in.w, TUI_S_DIM, TUI_RIGHT,
		s->scroll + s->shown < l.n ? _("Down: more   any other key: close") : _("any key: close"));
}

/* Up/Down scroll; every other key closes the help. */
static unsigned help_key(struct view *v, int key)
{
	struct help *s = v->state;
	if (key == TUI_FN(KEY_DOWN) || key == TUI_FN(KEY_NPAGE)) {
		if (s->scroll + s->shown < s->rows)
			s->scroll += key == TUI_FN(KEY_DOWN) ? 1 : s->shown;
		return TUI_HANDLED;
	}
	if (key == TUI_FN(KEY_UP) || key == TUI_FN(KEY_PPAGE)) {
		s->scroll -= key == TUI_FN(KEY_UP) ? 1 : s->shown;
		if (s->scroll < 0)
			s->scroll = 0;
		return TUI_HANDLED;
	}
	if (key == TUI_CTRL('l'))
		return TUI_IGNORED;
	return TUI_HANDLED | TUI_BACK;
}

static const struct tui_binding help_bindings[] = {
	{ { 0 }, N_("Up, Down"), N_("scroll"), 0, NULL, NULL, NULL },
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

const struct view_ops view_help_ops = {
	.name = "help",
	.title = N_("Help"),
	.state_size = sizeof(struct help),
	.flags = VIEW_OVERLAY,
	.open = help_open,
	.draw = help_draw,
	.key = help_key,
	.bindings = help_bindings,
};
