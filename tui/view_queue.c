/* view_queue: the branch queue. The requests in the signed-in member's scope
 * (the server decides the scope), in queue order: by due date, oldest
 * first, overdue ones marked and drawn in red. F6 switches between all open
 * requests, those waiting for approval, those approved and waiting for the
 * batch, and the closed ones (newest first); `/` searches by contract ID or
 * receipt number; PgDn/PgUp page with keyset paging; Enter opens the
 * request. The list is read again whenever the screen comes back on top. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/reqqueue.h"
#include "tui/tui.h"

enum req { R_NONE, R_FIRST, R_NEXT, R_PREV, R_SAME };

static const char *const set_label[DB_QUEUE_SET_COUNT] = {
	[DB_QUEUE_SUBMITTED] = N_("waiting for approval"),
	[DB_QUEUE_APPROVED] = N_("approved, waiting for execution"),
	[DB_QUEUE_OPEN] = N_("all open requests"),
	[DB_QUEUE_CLOSED] = N_("closed (newest first)"),
};

/* F6 goes round in this order */
static const enum db_queue_set set_cycle[] = { DB_QUEUE_OPEN, DB_QUEUE_SUBMITTED, DB_QUEUE_APPROVED,
					       DB_QUEUE_CLOSED };

struct queue {
	enum db_queue_set set;
	struct tui_field search;
	bool search_focus;
	char contract[16];		/* the search in force */
	char receipt[DB_RECEIPT_LEN];

	enum req req;
	struct db_request *rows;
	int n;
	bool has_next, has_prev;
	int page;			/* 0-based, for the footer */
	int first_no;			/* number of the first row shown (1-based) */
	int sel;
	bool loaded;
	char keep[DB_RECEIPT_LEN];	/* re-select this row after a reload */
};

static int page_size(const struct view *v)
{
	int n = v->area.h - 3;	/* filter/search line, headings, footer */
	return n < 1 ? 1 : n > 500 ? 500 : n;
}

static int queue_open(struct view *v, const void *arg, struct otp_err *err)
{
	(void)arg;
	(void)err;
	struct queue *s = v->state;
	tui_field_init(&s->search, 24, false);
	s->set = DB_QUEUE_OPEN;
	s->req = R_FIRST;
	v->stale = true;
	return 0;
}

static void queue_close(struct view *v)
{
	struct queue *s = v->state;
	free(s->rows);
}

static void take(struct queue *s, struct db_request_page *pg)
{
	free(s->rows);
	s->rows = pg->rows;
	s->n = pg->n;
	s->loaded = true;
	if (s->sel >= s->n)
		s->sel = s->n ? s->n - 1 : 0;
	if (s->keep[0])
		for (int i = 0; i < s->n; i++)
			if (strcmp(s->rows[i].receipt_no, s->keep) == 0)
				s->sel = i;
	s->keep[0] = '\0';
}

static int queue_refresh(struct view *v, struct otp_err *err)
{
	struct queue *s = v->state;
	struct db_queue_filter f = { .set = s->set, .contract_id = s->contract, .receipt_no = s->receipt };
	struct db_queue_key key;
	struct db_request_page pg;
	int limit = page_size(v);
	int rc = 0;
	memset(&key, 0, sizeof key);
	switch (s->req) {
	case R_NONE:
		return 0;
	case R_FIRST:
		rc = db_queue_list(v->app->db, &f, NULL, false, limit, &pg, err);
		if (rc == 0) {
			take(s, &pg);
			s->has_next = pg.more;
			s->has_prev = false;
			s->page = 0;
			s->first_no = 1;
			s->sel = 0;
		}
		break;
	case R_SAME:
	case R_NEXT:
	case R_PREV: {
		bool back = s->req == R_PREV;
		const struct db_request *at = NULL;
		if (s->req == R_NEXT && s->n > 0)
			at = &s->rows[s->n - 1];
		else if (s->n > 0)
			at = &s->rows[0];
		if (at) {
			otp_strlcpy(key.due, at->due, sizeof key.due);
			/* R_SAME reads from the first row shown, inclusive */
			key.request_id = at->request_id - (s->req == R_SAME ? (s->set == DB_QUEUE_CLOSED ? -1 : 1) : 0);
		}
		if (s->req == R_SAME && s->n > 0)
			otp_strlcpy(s->keep, s->rows[s->sel].receipt_no, sizeof s->keep);
		rc = db_queue_list(v->app->db, &f, at ? &key : NULL, back, limit, &pg, err);
		if (rc != 0)
			break;
		if (pg.n == 0 && s->req == R_SAME && at) {
			/* the page emptied (requests closed meanwhile): start again */
			db_request_page_free(&pg);
			s->req = R_FIRST;
			return queue_refresh(v, err);
		}
		if (s->req == R_NEXT) {
			s->first_no += s->n;
			s->page++;
			s->has_prev = true;
			s->has_next = pg.more;
			s->sel = 0;
		} else if (s->req == R_PREV) {
			s->page = pg.more && s->page > 0 ? s->page - 1 : 0;
			s->first_no = pg.more ? s->first_no - pg.n : 1;
			if (s->first_no < 1)
				s->first_no = 1;
			s->has_prev = pg.more;
			s->has_next = true;
			s->sel = 0;
		} else {
			s->has_next = pg.more;
		}
		take(s, &pg);
		break;
	}
	}
	if (rc != 0 && err->kind == OTP_ERR_CONNLOST)
		return -1;	/* s->req stays: retried after the reconnect */
	s->req = R_NONE;
	return rc;
}

/* ---- keys ------------------------------------------------------------------ */

static bool has_rows(const struct view *v)
{
	const struct queue *s = v->state;
	return s->n > 0;
}

static bool can_next(const struct view *v)
{
	const struct queue *s = v->state;
	return s->has_next;
}

static bool can_prev(const struct view *v)
{
	const struct queue *s = v->state;
	return s->has_prev;
}

static unsigned do_open(struct view *v)
{
	struct queue *s = v->state;
	if (s->n == 0)
		return TUI_HANDLED;
	if (tui_push(v->app, &view_reqdetail_ops, s->rows[s->sel].receipt_no) == 0) {
		/* read the page again when we are back on top */
		s->req = R_SAME;
		v->stale = true;
	}
	return TUI_HANDLED;
}

static bool receipt_shape(const char *r)
{
	size_t n = strlen(r);
	if (n < 17 || n >= DB_RECEIPT_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((i == 3 || i == 12) ? r[i] != '-' : (r[i] < '0' || r[i] > '9'))
			return false;
	return true;
}

static unsigned do_enter(struct view *v)
{
	struct queue *s = v->state;
	if (!s->search_focus)
		return do_open(v);
	char raw[256], q[256];
	if (tui_field_get(&s->search, raw, sizeof raw) != 0)
		raw[0] = '\0';
	tui_text_ascii_fold(q, sizeof q, raw);
	size_t n = strlen(q);
	bool digits = n == 10 && strspn(q, "0123456789") == 10;
	if (!q[0]) {
		s->contract[0] = s->receipt[0] = '\0';
	} else if (digits) {
		otp_strlcpy(s->contract, q, sizeof s->contract);
		s->receipt[0] = '\0';
	} else if (receipt_shape(q)) {
		otp_strlcpy(s->receipt, q, sizeof s->receipt);
		s->contract[0] = '\0';
	} else {
		struct otp_err e;
		otp_err_set(&e, OTP_ERR_USAGE, "%s",
			    _("search for a contract ID (10 digits) or a receipt number (012-20261124-0007)"));
		tui_error(v->app, &e);
		return TUI_HANDLED;
	}
	s->search_focus = false;
	s->req = R_FIRST;
	return TUI_HANDLED | TUI_REFRESH;
}

static unsigned do_search(struct view *v)
{
	struct queue *s = v->state;
	s->search_focus = true;
	s->search.cur = s->search.len;
	return TUI_HANDLED;
}

static unsigned do_filter(struct view *v)
{
	struct queue *s = v->state;
	size_t n = sizeof set_cycle / sizeof set_cycle[0], i = 0;
	while (i < n && set_cycle[i] != s->set)
		i++;
	s->set = set_cycle[(i + 1) % n];
	s->req = R_FIRST;
	return TUI_HANDLED | TUI_REFRESH;
}

static unsigned do_reload(struct view *v)
{
	struct queue *s = v->state;
	s->req = s->n > 0 ? R_SAME : R_FIRST;
	return TUI_HANDLED | TUI_REFRESH;
}

static unsigned do_next(struct view *v)
{
	struct queue *s = v->state;
	s->req = R_NEXT;
	return TUI_HANDLED | TUI_REFRESH;
}

static unsigned do_prev(struct view *v)
{
	struct queue *s = v->state;
	s->req = R_PREV;
	return TUI_HANDLED | TUI_REFRESH;
}

static unsigned move_sel(struct view *v, int d)
{
	struct queue *s = v->state;
	if (s->search_focus) {
		if (d > 0)
			s->search_focus = false;
		return TUI_HANDLED;
	}
	int sel = s->sel + d;
	if (sel >= s->n)
		sel = s->n - 1;
	if (sel < 0)
		sel = 0;
	s->sel = sel;
	return TUI_HANDLED;
}

static unsigned do_down(struct view *v)
{
	return move_sel(v, 1);
}

static unsigned do_up(struct view *v)
{
	return move_sel(v, -1);
}

static unsigned do_home(struct view *v)
{
	return move_sel(v, -100000);
}

static unsigned do_end(struct view *v)
{
	return move_sel(v, 100000);
}

static const struct tui_binding queue_bindings[] = {
	{ { TUI_KEY_ENTER }, N_("Enter"), N_("open the selected request; in the search field: search"), 0, NULL,
	  do_enter, NULL },
	/* Enter does the same: F3 stays off the bar so the others fit in 80 columns */
	{ { TUI_KEY_F(3) }, N_("F3"), N_("open the selected request (approve, reject, cancel)"), 0, NULL, do_open,
	  has_rows },
	{ { TUI_KEY_F(2), '/' }, N_("F2, /"), N_("search by contract ID or receipt number (empty: all)"), 2,
	  N_("Search"), do_search, NULL },
	{ { TUI_KEY_F(5) }, N_("F5"), N_("read the queue again"), 5, N_("Reload"), do_reload, NULL },
	{ { TUI_KEY_F(6), 'f' }, N_("F6, f"), N_("show: all open / waiting for approval / approved / closed"), 6,
	  N_("Filter"), do_filter, NULL },
	{ { TUI_KEY_F(7), TUI_FN(KEY_PPAGE), 'p' }, N_("F7, PgUp, p"), N_("previous page"), 7, N_("Prev"), do_prev,
	  can_prev },
	{ { TUI_KEY_F(8), TUI_FN(KEY_NPAGE), 'n' }, N_("F8, PgDn, n"), N_("next page"), 8, N_("Next"), do_next,
	  can_next },
	{ { TUI_FN(KEY_DOWN), 'j' }, N_("Down, j"), N_("next request"), 0, NULL, do_down, NULL },
	{ { TUI_FN(KEY_UP), 'k' }, N_("Up, k"), N_("previous request"), 0, NULL, do_up, NULL },
	{ { TUI_FN(KEY_HOME), 'g' }, N_("Home, g"), N_("first request of the page"), 0, NULL, do_home, has_rows },
	{ { TUI_FN(KEY_END), 'G' }, N_("End, G"), N_("last request of the page"), 0, NULL, do_end, has_rows },
	TUI_FIELD_HELP,
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

/* The search field takes text while it has the focus (Esc leaves it). */
static unsigned queue_key(struct view *v, int key)
{
	struct queue *s = v->state;
	if (!s->search_focus)
		return TUI_IGNORED;
	if (key == TUI_KEY_ESC || key == TUI_KEY_TAB) {
		s->search_focus = false;
		return TUI_HANDLED;
	}
	return tui_field_key(&s->search, key) ? TUI_HANDLED : TUI_IGNORED;
}

/* ---- drawing ---------------------------------------------------------------- */

/* Translated short label of a request state. */
static const char *state_label(enum db_req_state st)
{
	static const char *const l[DB_REQ_STATE_COUNT] = {
		[DB_REQ_SUBMITTED] = N_("SUBMITTED"), [DB_REQ_APPROVED] = N_("APPROVED"),
		[DB_REQ_REJECTED] = N_("REJECTED"),   [DB_REQ_EXECUTED] = N_("EXECUTED"),
		[DB_REQ_CANCELLED] = N_("CANCELLED"),
	};
	return (unsigned)st < DB_REQ_STATE_COUNT ? _(l[st]) : "?";
}

struct cols {
	int mark, receipt, kind, contract, name, state, by, due;
};

static struct cols columns(int width)
{
	struct cols c = { .mark = 2, .receipt = 17, .kind = 6, .contract = 10, .due = 10 };
	c.state = tui_text_width(_("State"));
	for (int i = 0; i < DB_REQ_STATE_COUNT; i++)
		if (tui_text_width(state_label((enum db_req_state)i)) > c.state)
			c.state = tui_text_width(state_label((enum db_req_state)i));
	int rest = width - c.mark - c.receipt - c.kind - c.contract - c.state - c.due - 6;
	if (rest < 16)
		rest = 16;
	c.by = rest * 45 / 100;
	c.name = rest - c.by;
	return c;
}

static void draw_row(const struct view *v, int y, const struct cols *c, const struct db_request *r, bool sel)
{
	enum tui_style st = sel ? TUI_S_SELECTED : r->is_overdue ? TUI_S_ERROR : TUI_S_NORMAL;
	int x = v->area.x;
	tui_put(y, x, c->mark, st, TUI_LEFT, r->is_overdue ? "!" : r->fraud_hold ? "H" : "");
	x += c->mark;
	tui_put(y, x, c->receipt + 1, st, TUI_LEFT, r->receipt_no);
	x += c->receipt + 1;
	tui_put(y, x, c->kind + 1, st, TUI_LEFT, db_req_kind_name(r->kind));
	x += c->kind + 1;
	tui_put(y, x, c->contract + 1, st, TUI_LEFT, r->contract_id);
	x += c->contract + 1;
	tui_put(y, x, c->name + 1, st, TUI_LEFT, r->name_kanji);
	x += c->name + 1;
	tui_put(y, x, c->state + 1, st, TUI_LEFT, state_label(r->state));
	x += c->state + 1;
	tui_put(y, x, c->by + 1, st, TUI_LEFT, r->submitted_by_name[0] ? r->submitted_by_name : r->submitted_by);
	x += c->by + 1;
	tui_put(y, x, v->area.x + v->area.w - x, st, TUI_LEFT, r->due);
}

static void queue_draw(struct view *v)
{
	struct queue *s = v->state;
	struct tui_rect a = v->area;
	char buf[400];

	/* what is shown, and the search */
	snprintf(buf, sizeof buf, _("Showing: %s"), _(set_label[s->set]));
	int sw = tui_text_width(buf) + 3;
	if (sw > a.w / 2)
		sw = a.w / 2;
	tui_put(a.y, a.x + 1, sw, TUI_S_LABEL, TUI_LEFT, buf);
	const char *sl = _("Search");
	int slw = tui_text_width(sl) + 1;
	tui_put(a.y, a.x + 1 + sw, slw, TUI_S_LABEL, TUI_LEFT, sl);
	int fx = a.x + 1 + sw + slw, fw = 20;
	if (s->contract[0] || s->receipt[0]) {
		if (s->contract[0])
			snprintf(buf, sizeof buf, _("(only %s)"), s->contract);
		else
			snprintf(buf, sizeof buf, "%s", _("(only this receipt)"));
		tui_put(a.y, fx + fw + 1, a.x + a.w - fx - fw - 1, TUI_S_DIM, TUI_LEFT, buf);
	}

	struct cols c = columns(a.w);
	int y = a.y + 1, x = a.x + c.mark;
	tui_put(y, a.x, a.w, TUI_S_HEADING, TUI_LEFT, "");
	const char *heads[] = { _("Receipt no."), _("Kind"), _("Contract"), _("Name"), _("State"), _("Submitted by"),
				_("Due") };
	int widths[] = { c.receipt, c.kind, c.contract, c.name, c.state, c.by, c.due };
	for (int i = 0; i < 7; i++) {
		int w = i == 6 ? a.x + a.w - x : widths[i] + 1;
		tui_put(y, x, w, TUI_S_HEADING, TUI_LEFT, heads[i]);
		x += widths[i] + 1;
	}
	int rows = a.h - 3;
	for (int i = 0; i < s->n && i < rows; i++)
		draw_row(v, y + 1 + i, &c, &s->rows[i], !s->search_focus && i == s->sel);
	if (s->loaded && s->n == 0)
		tui_put(y + 1, a.x + 2, a.w - 4, TUI_S_DIM, TUI_LEFT, _("(no requests)"));
	else if (!s->loaded)
		tui_put(y + 1, a.x + 2, a.w - 4, TUI_S_DIM, TUI_LEFT, _("loading…"));

	buf[0] = '\0';
	if (s->n > 0) {
		int over = 0;
		for (int i = 0; i < s->n; i++)
			over += s->rows[i].is_overdue;
		snprintf(buf, sizeof buf, _("page %d, requests %d-%d%s%s"), s->page + 1, s->first_no,
			 s->first_no + s->n - 1, s->has_next ? _(" (more: PgDn)") : "",
			 s->has_prev ? _(" (previous: PgUp)") : "");
		if (over) {
			size_t l = strlen(buf);
			snprintf(buf + l, sizeof buf - l, _("   ! = overdue (%d on this page)"), over);
		}
	}
	tui_put(a.y + a.h - 1, a.x + 1, a.w - 2, TUI_S_DIM, TUI_LEFT, buf);
	tui_field_draw(v->app, &s->search, a.y, fx, fw, s->search_focus);
}

static void queue_resize(struct view *v)
{
	struct queue *s = v->state;
	if (s->n > page_size(v) || (s->has_next && s->n < page_size(v))) {
		s->req = R_SAME;
		v->stale = true;
	}
}

const struct view_ops view_queue_ops = {
	.name = "queue",
	.title = N_("Branch queue"),
	.state_size = sizeof(struct queue),
	.open = queue_open,
	.close = queue_close,
	.refresh = queue_refresh,
	.draw = queue_draw,
	.key = queue_key,
	.resize = queue_resize,
	.bindings = queue_bindings,
};
