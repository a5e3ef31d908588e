/* view_admin_branch: branches in the administration screen, two views. The
 * branch form (new or edit: code, Japanese and English names, head office,
 * own cutoff time or the policy's) saves with one db_branch_upsert after a
 * y/n question that lists what changes. The closing days view lists a
 * branch's own closing days (from a month ago on) and adds (date + reason) or
 * removes the selected one (db_branch_closing_day), each after y/n. The
 * server's checks are mirrored as you type; its refusal keeps the input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/admin_tui.h"
#include "tui/tui.h"

/* ---- shared helpers ------------------------------------------------------------ */

static void field_text(const struct tui_field *f, char *out, size_t size)
{
	char raw[512];
	if (tui_field_get(f, raw, sizeof raw) != 0)
		raw[0] = '\0';
	tui_text_ascii_fold(out, size, raw);
}

static bool valid_time(const char *t)
{
	return strlen(t) == 5 && t[2] == ':' && strspn(t, "0123456789:") == 5 &&
	       atoi(t) <= 23 && atoi(t + 3) <= 59;
}

/* YYYY-MM-DD naming a real day */
static bool valid_day(const char *t)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (strlen(t) != 10 || t[4] != '-' || t[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (t[i] < '0' || t[i] > '9'))
			return false;
	int y = atoi(t), m = atoi(t + 5), d = atoi(t + 8);
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(m == 2 && d == 29 && !leap);
}

static int chars(const char *utf8)
{
	int n = 0;
	for (const unsigned char *p = (const unsigned char *)utf8; *p; p++)
		n += (*p & 0xc0) != 0x80;
	return n;
}

static void draw_question(struct view *v, const char *q, int extra_rows)
{
	tui_confirm_draw(v, 72, 6 + extra_rows, q, _("y: yes, make the change   n: no"));
}

/* ---- the branch form ------------------------------------------------------------ */

enum bitem { B_CODE, B_NAME, B_NAME_EN, B_HEAD, B_CUTOFF, B_COUNT };

static const char *const blabels[B_COUNT] = {
	[B_CODE] = N_("Branch code"),
	[B_NAME] = N_("Name"),
	[B_NAME_EN] = N_("English name"),
	[B_HEAD] = N_("Head office"),
	[B_CUTOFF] = N_("Own cutoff"),
};

struct branch_form {
	bool is_new;
	struct db_branch old;
	struct tui_field f[B_COUNT];	/* B_HEAD unused */
	bool head;
	int focus;
	bool confirming, go;
};

static int branch_open(struct view *v, const void *arg, struct otp_err *err)
{
	(void)err;
	struct branch_form *s = v->state;
	tui_field_init(&s->f[B_CODE], 3, false);
	tui_field_init(&s->f[B_NAME], 60, false);
	tui_field_init(&s->f[B_NAME_EN], 60, false);
	tui_field_init(&s->f[B_CUTOFF], 5, false);
	s->is_new = arg == NULL;
	if (arg) {
		s->old = *(const struct db_branch *)arg;
		tui_field_set(&s->f[B_CODE], s->old.code);
		tui_field_set(&s->f[B_NAME], s->old.name);
		tui_field_set(&s->f[B_NAME_EN], s->old.name_en);
		tui_field_set(&s->f[B_CUTOFF], s->old.cutoff);
		s->head = s->old.head_office;
		s->focus = B_NAME;
		snprintf(v->title, sizeof v->title, _("Administration: branch %s"), s->old.code);
	}
	return 0;
}

static const char *bproblem(const struct branch_form *s, int item)
{
	char t[512];
	if (item == B_HEAD)
		return NULL;
	field_text(&s->f[item], t, sizeof t);
	switch (item) {
	case B_CODE:
		return strlen(t) == 3 && strspn(t, "0123456789") == 3 ? NULL : _("three digits, e.g. 012");
	case B_NAME:
	case B_NAME_EN:
		return chars(t) >= 1 && chars(t) <= 60 ? NULL : _("required, up to 60 characters");
	case B_CUTOFF:
		return !t[0] || valid_time(t) ? NULL : _("HH:MM, or empty for the policy's cutoff");
	default:
		return NULL;
	}
}

static int branch_refresh(struct view *v, struct otp_err *err)
{
	struct branch_form *s = v->state;
	if (!s->go)
		return 0;
	char code[8], name[256], name_en[256], cutoff[16];
	field_text(&s->f[B_CODE], code, sizeof code);
	field_text(&s->f[B_NAME], name, sizeof name);
	field_text(&s->f[B_NAME_EN], name_en, sizeof name_en);
	field_text(&s->f[B_CUTOFF], cutoff, sizeof cutoff);
	struct db_outcome out;
	int rc = db_branch_upsert(v->app->db, code, name, name_en, s->head, cutoff, &out, err);
	if (rc != 0 && err->kind == OTP_ERR_CONNLOST)
		return -1;
	s->go = false;
	if (rc != 0)
		return -1;
	tui_status(v->app, _("branch %s saved"), code);
	struct view *below = tui_view_below(v->app, v);
	if (below)
		below->stale = true;
	tui_pop(v->app);
	return 0;
}

static unsigned b_save(struct view *v)
{
	struct branch_form *s = v->state;
	for (int i = 0; i < B_COUNT; i++) {
		const char *p = bproblem(s, i);
		if (p) {
			s->focus = i;
			tui_status(v->app, _("%s: %s"), _(blabels[i]), p);
			return TUI_HANDLED;
		}
	}
	s->confirming = true;
	return TUI_HANDLED;
}

static unsigned b_next(struct view *v)
{
	struct branch_form *s = v->state;
	do
		s->focus = (s->focus + 1) % B_COUNT;
	while (s->focus == B_CODE && !s->is_new);
	return TUI_HANDLED;
}

static unsigned b_prev(struct view *v)
{
	struct branch_form *s = v->state;
	do
		s->focus = (s->focus + B_COUNT - 1) % B_COUNT;
	while (s->focus == B_CODE && !s->is_new);
	return TUI_HANDLED;
}

static unsigned b_enter(struct view *v)
{
	struct branch_form *s = v->state;
	return s->focus == B_COUNT - 1 ? b_save(v) : b_next(v);
}

static unsigned branch_key(struct view *v, int key)
{
	struct branch_form *s = v->state;
	unsigned ret;
	if (s->confirming) {
		int a = tui_confirm_answer(key, &ret);
		if (a >= 0) {
			s->confirming = false;
			s->go = a == 1;
			if (!a)
				tui_status(v->app, "%s", _("not saved; the form is as you left it"));
		}
		return ret;
	}
	if (s->focus == B_HEAD) {
		if (key == ' ') {
			s->head = !s->head;
			return TUI_HANDLED;
		}
		return TUI_IGNORED;
	}
	return tui_field_key(&s->f[s->focus], key) ? TUI_HANDLED : TUI_IGNORED;
}

static const struct tui_binding branch_bindings[] = {
	{ { TUI_KEY_F(2) }, N_("F2"), N_("save (asks y/n first)"), 2, N_("Save"), b_save, NULL },
	{ { TUI_KEY_ENTER }, N_("Enter"), N_("next field; on the last one: save"), 0, NULL, b_enter, NULL },
	{ { TUI_KEY_TAB, TUI_FN(KEY_DOWN) }, N_("Tab, Down"), N_("next field"), 0, NULL, b_next, NULL },
	{ { TUI_FN(KEY_BTAB), TUI_FN(KEY_UP) }, N_("Shift-Tab, Up"), N_("previous field"), 0, NULL, b_prev, NULL },
	{ { 0 }, N_("Space"), N_("on Head office: yes or no"), 0, NULL, NULL, NULL },
	{ { 0 }, N_("y, n"), N_("answer the question (yes: save; no: back to the form)"), 0, NULL, NULL, NULL },
	TUI_FIELD_HELP,
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

static void b_confirm(struct view *v)
{
	struct branch_form *s = v->state;
	char q[1200], t[B_COUNT][256];
	for (int i = 0; i < B_COUNT; i++)
		if (i != B_HEAD)
			field_text(&s->f[i], t[i], sizeof t[i]);
	if (s->is_new) {
		snprintf(q, sizeof q, _("Save branch %s: %s / %s, head office: %s, cutoff: %s?"), t[B_CODE], t[B_NAME],
			 t[B_NAME_EN], s->head ? _("yes") : _("no"), t[B_CUTOFF][0] ? t[B_CUTOFF] : _("the policy's"));
		draw_question(v, q, 0);
		return;
	}
	int n = snprintf(q, sizeof q, _("Save branch %s?"), s->old.code);
	const char *olds[B_COUNT] = { s->old.code, s->old.name, s->old.name_en, NULL, s->old.cutoff };
	int changes = 0;
	for (int i = B_NAME; i < B_COUNT && n > 0 && (size_t)n < sizeof q; i++) {
		const char *o = i == B_HEAD ? (s->old.head_office ? _("yes") : _("no")) : olds[i];
		const char *nv = i == B_HEAD ? (s->head ? _("yes") : _("no")) : t[i];
		if (strcmp(o, nv) == 0)
			continue;
		n += snprintf(q + n, sizeof q - (size_t)n, "  %s: %s → %s", _(blabels[i]), o[0] ? o : "-",
			      nv[0] ? nv : "-");
		changes++;
	}
	if (!changes && (size_t)n < sizeof q)
		snprintf(q + n, sizeof q - (size_t)n, "  %s", _("(nothing changed)"));
	draw_question(v, q, 1);
}

static void branch_draw(struct view *v)
{
	struct branch_form *s = v->state;
	struct tui_rect a = v->area;
	int x = a.x + 2, w = a.w - 4, lw = 0;
	for (int i = 0; i < B_COUNT; i++)
		if (tui_text_width(_(blabels[i])) > lw)
			lw = tui_text_width(_(blabels[i]));
	lw += 3;
	int fw = 34;
	tui_put(a.y + 1, x, w, TUI_S_HEADING, TUI_LEFT, s->is_new ? _("New branch") : _("Edit branch"));
	int fy = -1;
	for (int i = 0; i < B_COUNT; i++) {
		int y = a.y + 3 + i;
		bool focus = i == s->focus && !s->confirming;
		tui_put(y, x, lw, TUI_S_LABEL, TUI_LEFT, _(blabels[i]));
		if (i == B_HEAD) {
			tui_put(y, x + lw, 7, focus ? TUI_S_FIELD_FOCUS : TUI_S_NORMAL, TUI_LEFT,
				s->head ? _("[x] yes") : _("[ ] no"));
			if (focus)
				tui_cursor(v->app, y, x + lw + 1);
			continue;
		}
		if (i == B_CODE && !s->is_new)
			tui_put(y, x + lw, fw, TUI_S_NORMAL, TUI_LEFT, s->old.code);
		else if (focus)
			fy = y;
		else
			tui_field_draw(v->app, &s->f[i], y, x + lw, i == B_CODE || i == B_CUTOFF ? 6 : fw, false);
		const char *p = bproblem(s, i);
		int px = x + lw + (i == B_CODE || i == B_CUTOFF ? 6 : fw) + 2;
		if (p && (i != B_CODE || s->is_new))
			tui_put(y, px, x + w - px, TUI_S_ERROR, TUI_LEFT, p);
		else if (i == B_CUTOFF)
			tui_put(y, px, x + w - px, TUI_S_DIM, TUI_LEFT, _("HH:MM, or empty for the policy's cutoff"));
	}
	if (fy >= 0)
		tui_field_draw(v->app, &s->f[s->focus], fy, x + lw,
			       s->focus == B_CODE || s->focus == B_CUTOFF ? 6 : fw, true);
	tui_put(a.y + a.h - 1, x, w, TUI_S_DIM, TUI_LEFT, _("Tab: next field   Space: head office   F2: save   Esc: cancel"));
	if (s->confirming)
		b_confirm(v);
}

const struct view_ops view_admin_branch_ops = {
	.name = "admin_branch",
	.title = N_("Administration: new branch"),
	.state_size = sizeof(struct branch_form),
	.open = branch_open,
	.refresh = branch_refresh,
	.draw = branch_draw,
	.key = branch_key,
	.bindings = branch_bindings,
};

/* ---- closing days ----------------------------------------------------------------- */

#define MAX_DAYS 400

enum dreq { D_NONE, D_ADD, D_REMOVE };
enum dfocus { DF_DAY, DF_REASON, DF_LIST };

struct days {
	struct db_branch branch;
	char from[16];			/* list from this day (a month ago) */
	struct db_closing_day *rows;
	int n, sel, top;
	bool loaded;
	struct tui_field day, reason;
	enum dfocus focus;
	enum dreq asking, req;		/* the question open; the change to make */
	char req_day[16];
};

static int days_open(struct view *v, const void *arg, struct otp_err *err)
{
	struct days *s = v->state;
	if (!arg)
		return otp_err_set(err, OTP_ERR_INTERNAL, "no branch given");
	s->branch = *(const struct db_branch *)arg;
	s->rows = calloc(MAX_DAYS, sizeof *s->rows);
	if (!s->rows)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	time_t now = time(NULL) - 31 * 86400;
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(s->from, sizeof s->from, "%Y-%m-%d", &tm);
	tui_field_init(&s->day, 10, false);
	tui_field_init(&s->reason, 100, false);
	snprintf(v->title, sizeof v->title, _("Administration: closing days of %s %s"), s->branch.code,
		 v->app->ja ? s->branch.name : s->branch.name_en);
	v->stale = true;
	return 0;
}

static void days_close(struct view *v)
{
	struct days *s = v->state;
	free(s->rows);
}

static const char *day_problem(const struct days *s, bool all)
{
	char t[64];
	field_text(&s->day, t, sizeof t);
	if (!t[0] && !all)
		return NULL;
	return valid_day(t) ? NULL : _("a date as YYYY-MM-DD, e.g. 2026-12-28");
}

static const char *reason_problem(const struct days *s, bool all)
{
	char t[512];
	field_text(&s->reason, t, sizeof t);
	if (!t[0] && !all)
		return NULL;
	return chars(t) >= 1 && chars(t) <= 200 ? NULL : _("a reason is required (up to 200 characters)");
}

static int days_refresh(struct view *v, struct otp_err *err)
{
	struct days *s = v->state;
	if (s->req != D_NONE) {
		char reason[512];
		struct db_outcome out;
		bool add = s->req == D_ADD;
		field_text(&s->reason, reason, sizeof reason);
		int rc = db_branch_closing_day(v->app->db, s->branch.code, s->req_day, add, add ? reason : NULL, &out,
					       err);
		if (rc != 0 && err->kind == OTP_ERR_CONNLOST)
			return -1;
		s->req = D_NONE;
		if (rc != 0)
			return -1;	/* the server's reason; the fields stay */
		tui_status(v->app, add ? _("%s is now a closing day of branch %s")
				       : _("%s is no longer a closing day of branch %s"),
			   s->req_day, s->branch.code);
		if (add) {
			tui_field_clear(&s->day);
			tui_field_clear(&s->reason);
			s->focus = DF_DAY;
		}
	}
	int n = 0;
	if (db_admin_closing_days(v->app->db, s->branch.code, s->from, s->rows, MAX_DAYS, &n, err) != 0)
		return -1;
	s->n = n;
	s->loaded = true;
	for (int i = 0; s->req_day[0] && i < n; i++)
		if (strcmp(s->rows[i].day, s->req_day) == 0)
			s->sel = i;
	if (s->sel >= n)
		s->sel = n ? n - 1 : 0;
	if (s->focus == DF_LIST && n == 0)
		s->focus = DF_DAY;
	return 0;
}

static unsigned d_add(struct view *v)
{
	struct days *s = v->state;
	const char *p = day_problem(s, true);
	if (p) {
		s->focus = DF_DAY;
		tui_status(v->app, _("%s: %s"), _("Day"), p);
		return TUI_HANDLED;
	}
	if ((p = reason_problem(s, true)) != NULL) {
		s->focus = DF_REASON;
		tui_status(v->app, _("%s: %s"), _("Reason"), p);
		return TUI_HANDLED;
	}
	field_text(&s->day, s->req_day, sizeof s->req_day);
	s->asking = D_ADD;
	return TUI_HANDLED;
}

static bool has_days(const struct view *v)
{
	const struct days *s = v->state;
	return s->n > 0;
}

static unsigned d_remove(struct view *v)
{
	struct days *s = v->state;
	if (s->n == 0)
		return TUI_HANDLED;
	otp_strlcpy(s->req_day, s->rows[s->sel].day, sizeof s->req_day);
	s->focus = DF_LIST;
	s->asking = D_REMOVE;
	return TUI_HANDLED;
}

static unsigned d_next(struct view *v)
{
	struct days *s = v->state;
	s->focus = (enum dfocus)((s->focus + 1) % (s->n ? 3 : 2));
	return TUI_HANDLED;
}

static unsigned d_prev(struct view *v)
{
	struct days *s = v->state;
	int k = s->n ? 3 : 2;
	s->focus = (enum dfocus)((s->focus + k - 1) % k);
	return TUI_HANDLED;
}

static unsigned d_enter(struct view *v)
{
	struct days *s = v->state;
	if (s->focus == DF_DAY) {
		s->focus = DF_REASON;
		return TUI_HANDLED;
	}
	if (s->focus == DF_REASON)
		return d_add(v);
	return TUI_HANDLED;
}

static unsigned d_move(struct view *v, int delta)
{
	struct days *s = v->state;
	if (s->focus != DF_LIST) {
		/* Down from the fields goes to the list; Up between the fields */
		if (delta > 0)
			return d_next(v);
		return d_prev(v);
	}
	int i = s->sel + delta;
	if (i < 0) {
		s->focus = DF_REASON;
		i = 0;
	}
	s->sel = i >= s->n ? s->n - 1 : i;
	return TUI_HANDLED;
}

static unsigned d_down(struct view *v) { return d_move(v, 1); }
static unsigned d_up(struct view *v) { return d_move(v, -1); }

static unsigned d_reload(struct view *v)
{
	(void)v;
	return TUI_HANDLED | TUI_REFRESH;
}

static unsigned days_key(struct view *v, int key)
{
	struct days *s = v->state;
	unsigned ret;
	if (s->asking != D_NONE) {
		int a = tui_confirm_answer(key, &ret);
		if (a == 1)
			s->req = s->asking;
		else if (a == 0)
			tui_status(v->app, "%s", _("nothing was changed"));
		if (a >= 0)
			s->asking = D_NONE;
		return ret;
	}
	if (s->focus == DF_LIST) {
		if (key == 'd' || key == TUI_FN(KEY_DC))
			return d_remove(v);
		return TUI_IGNORED;
	}
	return tui_field_key(s->focus == DF_DAY ? &s->day : &s->reason, key) ? TUI_HANDLED : TUI_IGNORED;
}

static const struct tui_binding days_bindings[] = {
	{ { TUI_KEY_F(2) }, N_("F2"), N_("add the day typed above (asks y/n)"), 2, N_("Add"), d_add, NULL },
	{ { TUI_KEY_F(8) }, N_("F8, Del, d"), N_("remove the selected closing day (asks y/n)"), 8, N_("Remove"),
	  d_remove, has_days },
	{ { TUI_KEY_F(5) }, N_("F5"), N_("load the list again"), 5, N_("Reload"), d_reload, NULL },
	{ { TUI_KEY_ENTER }, N_("Enter"), N_("next field; after the reason: add"), 0, NULL, d_enter, NULL },
	{ { TUI_KEY_TAB }, N_("Tab"), N_("day, reason, list"), 0, NULL, d_next, NULL },
	{ { TUI_FN(KEY_BTAB) }, N_("Shift-Tab"), N_("back"), 0, NULL, d_prev, NULL },
	{ { TUI_FN(KEY_DOWN) }, N_("Down"), N_("next field or day"), 0, NULL, d_down, NULL },
	{ { TUI_FN(KEY_UP) }, N_("Up"), N_("previous field or day"), 0, NULL, d_up, NULL },
	{ { 0 }, N_("y, n"), N_("answer the question (yes: make the change; no: leave it)"), 0, NULL, NULL, NULL },
	TUI_FIELD_HELP,
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

static void days_draw(struct view *v)
{
	struct days *s = v->state;
	struct tui_rect a = v->area;
	int x = a.x + 2, w = a.w - 4;
	const char *ld = _("Day"), *lr = _("Reason");
	int lw = tui_text_width(ld) > tui_text_width(lr) ? tui_text_width(ld) : tui_text_width(lr);
	lw += 3;
	bool ask = s->asking != D_NONE;
	tui_put(a.y, x, w, TUI_S_HEADING, TUI_LEFT, _("Add a closing day"));
	tui_put(a.y + 1, x, lw, TUI_S_LABEL, TUI_LEFT, ld);
	tui_put(a.y + 2, x, lw, TUI_S_LABEL, TUI_LEFT, lr);
	const char *dp = day_problem(s, false), *rp = reason_problem(s, false);
	tui_put(a.y + 1, x + lw + 12, w - lw - 12, dp ? TUI_S_ERROR : TUI_S_DIM, TUI_LEFT,
		dp ? dp : _("YYYY-MM-DD"));
	if (rp)
		tui_put(a.y + 3, x + lw, w - lw, TUI_S_ERROR, TUI_LEFT, rp);
	/* the focused field last, so the cursor ends there */
	tui_field_draw(v->app, s->focus == DF_DAY ? &s->reason : &s->day, a.y + (s->focus == DF_DAY ? 2 : 1), x + lw,
		       s->focus == DF_DAY ? w - lw : 10, false);
	if (s->focus != DF_LIST && !ask)
		tui_field_draw(v->app, s->focus == DF_DAY ? &s->day : &s->reason, a.y + (s->focus == DF_DAY ? 1 : 2),
			       x + lw, s->focus == DF_DAY ? 10 : w - lw, true);
	else
		tui_field_draw(v->app, s->focus == DF_DAY ? &s->day : &s->reason, a.y + (s->focus == DF_DAY ? 1 : 2),
			       x + lw, s->focus == DF_DAY ? 10 : w - lw, false);

	char head[160];
	snprintf(head, sizeof head, _("Closing days from %s (%d)"), s->from, s->n);
	tui_put(a.y + 5, x, w, TUI_S_HEADING, TUI_LEFT, head);
	int rows = a.h - 8;
	if (rows < 1)
		rows = 1;
	if (s->sel < s->top)
		s->top = s->sel;
	if (s->sel >= s->top + rows)
		s->top = s->sel - rows + 1;
	if (s->loaded && s->n == 0)
		tui_put(a.y + 6, x, w, TUI_S_DIM, TUI_LEFT, _("(no closing days of this branch's own)"));
	for (int i = s->top, r = 0; i < s->n && r < rows; i++, r++) {
		const struct db_closing_day *d = &s->rows[i];
		enum tui_style st = i == s->sel && s->focus == DF_LIST ? TUI_S_SELECTED : TUI_S_NORMAL;
		tui_put(a.y + 6 + r, x, 12, st, TUI_LEFT, d->day);
		tui_put(a.y + 6 + r, x + 12, w - 12 - 20, st, TUI_LEFT, d->reason);
		tui_put(a.y + 6 + r, x + w - 20, 20, i == s->sel && s->focus == DF_LIST ? st : TUI_S_DIM, TUI_LEFT,
			d->created_by);
	}
	tui_put(a.y + a.h - 1, x, w, TUI_S_DIM, TUI_LEFT,
		_("Tab: day / reason / list   F2: add   F8, d: remove   Esc: back"));
	if (ask) {
		char q[512], reason[512];
		field_text(&s->reason, reason, sizeof reason);
		if (s->asking == D_ADD)
			snprintf(q, sizeof q, _("Close branch %s on %s (%s)? Requests will not fall due that day."),
				 s->branch.code, s->req_day, reason);
		else
			snprintf(q, sizeof q, _("Open branch %s again on %s (no longer a closing day)?"), s->branch.code,
				 s->req_day);
		draw_question(v, q, 0);
	}
}

const struct view_ops view_admin_days_ops = {
	.name = "admin_days",
	.title = N_("Administration: closing days"),
	.state_size = sizeof(struct days),
	.open = days_open,
	.close = days_close,
	.refresh = days_refresh,
	.draw = days_draw,
	.key = days_key,
	.bindings = days_bindings,
};
