/* view_auditexc: the auditors' exception report (db_audit_exceptions) for a
 * period, this month by default: each category with its count, the two
 * must-be-zero lines (unlocks executed without approval, requests approved
 * by their submitter) shown prominently whether or not they are zero, and
 * the list of the selected category. Enter on an item opens the log
 * browser filtered on it (its contract or actor, refused events where the
 * category is a refusal, within the report's period). It only reads.
 *
 * arg: NULL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/auditlog.h"
#include "tui/tui.h"

#define BURST_FAILURES 5
#define BURST_MINUTES 10

static const char *const kind_label[DB_AUDIT_EXC_COUNT] = {
	[DB_AUDIT_EXC_SELF_APPROVAL] = N_("self-approval attempts (refused)"),
	[DB_AUDIT_EXC_PRIVILEGE] = N_("refused privilege attempts"),
	[DB_AUDIT_EXC_OFF_HOURS] = N_("actions outside branch hours"),
	[DB_AUDIT_EXC_UNAPPROVED_EXECUTE] = N_("unlocks executed without approval (must be 0)"),
	[DB_AUDIT_EXC_SELF_APPROVED] = N_("approved by the submitter (must be 0)"),
	[DB_AUDIT_EXC_OVERDUE] = N_("overdue requests (now)"),
	[DB_AUDIT_EXC_FAILURE_BURST] = N_("bursts of failed codes per contract"),
	[DB_AUDIT_EXC_OWN_CONTRACT] = N_("staff acting on their own contract"),
};

struct auditexc {
	struct tui_field from, to;	/* the form */
	char cur_from[40], cur_to[40];	/* the period of the report shown */
	bool editing;
	int focus_field;
	bool loaded;
	struct db_audit_exceptions x;
	int cat;		/* the selected category */
	bool items;		/* the focus is on the list of the category's items */
	int item;		/* index among the category's items */
	int item_scroll;
	int item_rows;		/* item rows that fit (last draw) */
	char spec[600];		/* the browser's filter for an opened item */
};

/* "YYYY-MM-01" of this month and of the next, local (Japan) time. */
static void this_month(char *from, size_t fs, char *to, size_t ts)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	int y = tm.tm_year + 1900, m = tm.tm_mon + 1;
	snprintf(from, fs, "%04d-%02d-01", y, m);
	snprintf(to, ts, "%04d-%02d-01", m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1);
}

static int auditexc_open(struct view *v, const void *arg, struct otp_err *err)
{
	(void)arg;
	(void)err;
	struct auditexc *s = v->state;
	tui_field_init(&s->from, 32, false);
	tui_field_init(&s->to, 32, false);
	this_month(s->cur_from, sizeof s->cur_from, s->cur_to, sizeof s->cur_to);
	v->stale = true;
	return 0;
}

static void auditexc_close(struct view *v)
{
	struct auditexc *s = v->state;
	db_audit_exceptions_free(&s->x);
}

static int auditexc_refresh(struct view *v, struct otp_err *err)
{
	struct auditexc *s = v->state;
	struct db_audit_exceptions x;
	if (db_audit_exceptions(v->app->db, s->cur_from, s->cur_to, BURST_FAILURES, BURST_MINUTES, &x, err) != 0) {
		if (err->kind != OTP_ERR_CONNLOST) {
			db_audit_exceptions_free(&s->x);
			s->loaded = false;
		}
		return -1;
	}
	db_audit_exceptions_free(&s->x);
	s->x = x;
	s->loaded = true;
	s->item = s->item_scroll = 0;
	s->items = false;
	return 0;
}

/* ---- the items of a category -------------------------------------------------- */

static int items_of(const struct auditexc *s, int cat, const struct db_audit_exception **out, int max)
{
	int n = 0;
	for (int i = 0; i < s->x.n; i++)
		if ((int)s->x.rows[i].kind == cat) {
			if (out && n < max)
				out[n] = &s->x.rows[i];
			n++;
		}
	return n;
}

static const struct db_audit_exception *item_at(const struct auditexc *s, int idx)
{
	for (int i = 0, n = 0; i < s->x.n; i++)
		if ((int)s->x.rows[i].kind == s->cat && n++ == idx)
			return &s->x.rows[i];
	return NULL;
}

/* The browser's filter for an item: what identifies it within the period. */
static void spec_of(const struct auditexc *s, const struct db_audit_exception *e, char *out, size_t size)
{
	size_t n = 0;
	out[0] = '\0';
#define ADD(k, val)                                                               \
	do {                                                                      \
		if ((val)[0] && n < size)                                         \
			n += (size_t)snprintf(out + n, size - n, "%s=%s\n", k, val); \
	} while (0)
	ADD("contract", e->contract_id);
	switch (e->kind) {
	case DB_AUDIT_EXC_SELF_APPROVAL:
	case DB_AUDIT_EXC_PRIVILEGE:
		ADD("actor", e->actor);
		ADD("outcome", "refused");
		break;
	case DB_AUDIT_EXC_OFF_HOURS:
	case DB_AUDIT_EXC_OWN_CONTRACT:
		ADD("actor", e->actor);
		break;
	case DB_AUDIT_EXC_UNAPPROVED_EXECUTE:
	case DB_AUDIT_EXC_SELF_APPROVED:
	case DB_AUDIT_EXC_OVERDUE:
	case DB_AUDIT_EXC_FAILURE_BURST:
	case DB_AUDIT_EXC_COUNT:
		break;
	}
	if (e->kind != DB_AUDIT_EXC_OVERDUE) {
		ADD("from", s->cur_from);
		ADD("to", s->cur_to);
	}
#undef ADD
}

/* ---- keys --------------------------------------------------------------------- */

static unsigned do_enter(struct view *v)
{
	struct auditexc *s = v->state;
	if (!s->loaded)
		return TUI_HANDLED;
	if (!s->items) {
		if (s->x.count[s->cat] > 0)
			s->items = true;
		else
			tui_status(v->app, "%s", _("nothing in this category"));
		return TUI_HANDLED;
	}
	const struct db_audit_exception *e = item_at(s, s->item);
	if (!e)
		return TUI_HANDLED;
	spec_of(s, e, s->spec, sizeof s->spec);
	if (!s->spec[0] || (!e->contract_id[0] && !e->actor[0])) {
		tui_status(v->app, "%s", _("this item names no contract or login to look up in the log"));
		return TUI_HANDLED;
	}
	tui_push(v->app, &view_audit_ops, s->spec);
	return TUI_HANDLED;
}

static unsigned do_move(struct view *v, int delta)
{
	struct auditexc *s = v->state;
	if (!s->items) {
		int c = s->cat + delta;
		s->cat = c < 0 ? 0 : c >= DB_AUDIT_EXC_COUNT ? DB_AUDIT_EXC_COUNT - 1 : c;
		s->item = s->item_scroll = 0;
		return TUI_HANDLED;
	}
	int n = items_of(s, s->cat, NULL, 0);
	int i = s->item + delta;
	if (i < 0 && s->item == 0 && delta == -1) {
		s->items = false;	/* up from the first item: back to the categories */
		return TUI_HANDLED;
	}
	s->item = i < 0 ? 0 : i >= n ? (n ? n - 1 : 0) : i;
	return TUI_HANDLED;
}

static unsigned do_down(struct view *v)
{
	return do_move(v, 1);
}

static unsigned do_up(struct view *v)
{
	return do_move(v, -1);
}

static unsigned do_pgdn(struct view *v)
{
	struct auditexc *s = v->state;
	return do_move(v, s->items && s->item_rows > 1 ? s->item_rows - 1 : 1);
}

static unsigned do_pgup(struct view *v)
{
	struct auditexc *s = v->state;
	return do_move(v, -(s->items && s->item_rows > 1 ? s->item_rows - 1 : 1));
}

static unsigned do_tab(struct view *v)
{
	struct auditexc *s = v->state;
	s->items = !s->items && s->x.count[s->cat] > 0;
	return TUI_HANDLED;
}

static unsigned do_period(struct view *v)
{
	struct auditexc *s = v->state;
	tui_field_set(&s->from, s->cur_from);
	tui_field_set(&s->to, s->cur_to);
	s->editing = true;
	s->focus_field = 0;
	return TUI_HANDLED;
}

static unsigned do_reload(struct view *v)
{
	(void)v;
	return TUI_HANDLED | TUI_REFRESH;
}

/* The period form takes the keys while it is open. */
static unsigned auditexc_key(struct view *v, int key)
{
	struct auditexc *s = v->state;
	if (!s->editing)
		return TUI_IGNORED;
	struct tui_field *f = s->focus_field ? &s->to : &s->from;
	switch (key) {
	case TUI_KEY_ENTER: {
		char a[160], b[160];
		if (tui_field_get(&s->from, a, sizeof a) != 0 || tui_field_get(&s->to, b, sizeof b) != 0)
			return TUI_HANDLED;
		tui_text_ascii_fold(s->cur_from, sizeof s->cur_from, a);
		tui_text_ascii_fold(s->cur_to, sizeof s->cur_to, b);
		if (!s->cur_from[0] || !s->cur_to[0])
			this_month(s->cur_from, sizeof s->cur_from, s->cur_to, sizeof s->cur_to);
		s->editing = false;
		return TUI_HANDLED | TUI_REFRESH;
	}
	case TUI_KEY_ESC:
		s->editing = false;
		return TUI_HANDLED;
	case TUI_KEY_TAB:
	case TUI_FN(KEY_BTAB):
	case TUI_FN(KEY_UP):
	case TUI_FN(KEY_DOWN):
		s->focus_field = !s->focus_field;
		return TUI_HANDLED;
	case TUI_KEY_F(1):
	case TUI_KEY_F(9):
	case TUI_KEY_F(10):
	case TUI_CTRL('l'):
		return TUI_IGNORED;
	default:
		tui_field_key(f, key);
		return TUI_HANDLED;
	}
}

static const struct tui_binding auditexc_bindings[] = {
	{ { TUI_KEY_ENTER, TUI_KEY_F(3) }, N_("Enter, F3"), N_("on a category: its items; on an item: the log filtered on it"),
	  3, N_("Open"), do_enter, NULL },
	{ { TUI_KEY_F(2), '/' }, N_("F2, /"), N_("change the period (from, to)"), 2, N_("Period"), do_period, NULL },
	{ { TUI_KEY_F(5), 'r' }, N_("F5, r"), N_("run the report again"), 5, N_("Reload"), do_reload, NULL },
	{ { TUI_KEY_TAB }, N_("Tab"), N_("switch between the categories and the items"), 0, NULL, do_tab, NULL },
	{ { TUI_FN(KEY_DOWN), 'j' }, N_("Down, j"), N_("next category or item"), 0, NULL, do_down, NULL },
	{ { TUI_FN(KEY_UP), 'k' }, N_("Up, k"), N_("previous category or item"), 0, NULL, do_up, NULL },
	{ { TUI_KEY_F(8), TUI_FN(KEY_NPAGE) }, N_("F8, PgDn"), N_("next page of items"), 8, N_("Next"), do_pgdn, NULL },
	{ { TUI_KEY_F(7), TUI_FN(KEY_PPAGE) }, N_("F7, PgUp"), N_("previous page of items"), 7, N_("Prev"), do_pgup,
	  NULL },
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

/* ---- drawing -------------------------------------------------------------------- */

static void draw_item(int y, int x, int w, const struct db_audit_exception *e, bool sel)
{
	enum tui_style st = sel ? TUI_S_SELECTED : TUI_S_NORMAL;
	char at[24], who[80];
	snprintf(at, sizeof at, "%.16s", e->at);
	snprintf(who, sizeof who, "%s", e->actor[0] ? e->actor : "-");
	int cx = x;
	tui_put(y, cx, 17, st, TUI_LEFT, at[0] ? at : "-");
	cx += 17;
	tui_put(y, cx, 18, st, TUI_LEFT, who);
	cx += 18;
	tui_put(y, cx, 4, st, TUI_LEFT, e->branch_code);
	cx += 4;
	tui_put(y, cx, 11, st, TUI_LEFT, e->contract_id);
	cx += 11;
	char rest[700];
	bool same = e->event[0] && strncmp(e->detail, e->event, strlen(e->event)) == 0;
	snprintf(rest, sizeof rest, "%s%s%s", same ? "" : e->event, !same && e->event[0] && e->detail[0] ? "  " : "",
		 e->detail);
	if (x + w - cx > 0)
		tui_put(y, cx, x + w - cx, st, TUI_LEFT, rest);
}

static void auditexc_draw(struct view *v)
{
	struct auditexc *s = v->state;
	struct tui_rect a = v->area;
	int x = a.x + 1, w = a.w - 2, y = a.y;
	char buf[600];
	snprintf(buf, sizeof buf, _("Period: %s to %s (exclusive)   burst: %d failures in %d min"),
		 s->cur_from, s->cur_to, BURST_FAILURES, BURST_MINUTES);
	tui_put(y++, x, w, TUI_S_LABEL, TUI_LEFT, buf);
	if (!s->loaded) {
		tui_put(y + 1, x, w, TUI_S_DIM, TUI_LEFT,
			v->stale ? _("running the report…") : _("the report could not be made (see the status line)"));
		goto form;
	}
	int bad = s->x.count[DB_AUDIT_EXC_UNAPPROVED_EXECUTE] + s->x.count[DB_AUDIT_EXC_SELF_APPROVED];
	if (bad)
		snprintf(buf, sizeof buf,
			 _(" ATTENTION: executed without approval %d, approved by the submitter %d: must be 0 "),
			 s->x.count[DB_AUDIT_EXC_UNAPPROVED_EXECUTE], s->x.count[DB_AUDIT_EXC_SELF_APPROVED]);
	else
		snprintf(buf, sizeof buf, "%s",
			 _(" Must be 0: executed without approval 0, approved by the submitter 0: OK "));
	tui_put(y++, x, w, bad ? TUI_S_BANNER : TUI_S_INFO, TUI_LEFT, buf);

	for (int k = 0; k < DB_AUDIT_EXC_COUNT; k++) {
		bool must = k == DB_AUDIT_EXC_UNAPPROVED_EXECUTE || k == DB_AUDIT_EXC_SELF_APPROVED;
		bool sel = k == s->cat;
		enum tui_style st = sel && !s->items ? TUI_S_SELECTED : TUI_S_NORMAL;
		char cnt[16];
		snprintf(cnt, sizeof cnt, "%6d", s->x.count[k]);
		tui_put(y, x, 2, st, TUI_LEFT, sel ? ">" : "");
		tui_put(y, x + 2, 7, must && s->x.count[k] ? TUI_S_ERROR : s->x.count[k] ? TUI_S_LABEL : st, TUI_LEFT,
			cnt);
		tui_put(y, x + 9, w - 9, st, TUI_LEFT, _(kind_label[k]));
		y++;
	}
	snprintf(buf, sizeof buf, "%s (%d)", _(kind_label[s->cat]), s->x.count[s->cat]);
	tui_put(y++, x, w, TUI_S_HEADING, TUI_LEFT, buf);
	s->item_rows = a.y + a.h - 1 - y;
	if (s->item_rows < 1)
		s->item_rows = 1;
	if (s->item < s->item_scroll)
		s->item_scroll = s->item;
	if (s->item >= s->item_scroll + s->item_rows)
		s->item_scroll = s->item - s->item_rows + 1;
	int n = 0;
	for (int i = 0; i < s->x.n; i++) {
		const struct db_audit_exception *e = &s->x.rows[i];
		if ((int)e->kind != s->cat)
			continue;
		int r = n - s->item_scroll;
		if (r >= 0 && r < s->item_rows)
			draw_item(y + r, x, w, e, s->items && n == s->item);
		n++;
	}
	if (n == 0)
		tui_put(y, x + 2, w - 2, TUI_S_DIM, TUI_LEFT, _("(none)"));
	tui_put(a.y + a.h - 1, x, w, TUI_S_DIM, TUI_LEFT,
		s->items ? _("Enter: the log filtered on this item   Tab/Up: back to the categories")
			 : _("Up/Down: category   Enter/Tab: its items   F2: period"));
form:
	if (!s->editing)
		return;
	struct tui_rect box = { a.y + 2, a.x + (a.w - 56) / 2, 7, 56 };
	tui_clear_rect(box, TUI_S_NORMAL);
	struct tui_rect in = tui_box(box, _("Period of the report"));
	const char *lf = _("From"), *lt = _("To (exclusive)");
	int lw = tui_text_width(lf) > tui_text_width(lt) ? tui_text_width(lf) : tui_text_width(lt);
	lw += 2;
	tui_put(in.y, in.x, lw, TUI_S_LABEL, TUI_LEFT, lf);
	tui_put(in.y + 1, in.x, lw, TUI_S_LABEL, TUI_LEFT, lt);
	tui_put(in.y + 3, in.x, in.w, TUI_S_DIM, TUI_LEFT, _("Enter: run   Esc: cancel   Tab: other field"));
	tui_field_draw(v->app, s->focus_field ? &s->from : &s->to, in.y + !s->focus_field, in.x + lw, 24, false);
	tui_field_draw(v->app, s->focus_field ? &s->to : &s->from, in.y + s->focus_field, in.x + lw, 24, true);
}

const struct view_ops view_auditexc_ops = {
	.name = "auditexc",
	.title = N_("Audit exception report"),
	.state_size = sizeof(struct auditexc),
	.flags = VIEW_TIMED,
	.open = auditexc_open,
	.close = auditexc_close,
	.refresh = auditexc_refresh,
	.draw = auditexc_draw,
	.key = auditexc_key,
	.bindings = auditexc_bindings,
};
