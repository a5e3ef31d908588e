/* view_lookup: find a contract. One search field: 10 digits look up a
 * contract ID, 4 letters + 8 digits a credential ID, anything else is a kana
 * name prefix listed a screenful at a time with keyset paging (a stack of
 * page-start keys gives "previous"). Full-width digits and letters are folded
 * to ASCII first. Malformed input gets the db layer's message; nothing is
 * guessed. Enter on a row opens the contract's detail screen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"

enum qkind { Q_NONE, Q_ID, Q_CREDENTIAL, Q_KANA };
enum req { R_NONE, R_SEARCH, R_NEXT, R_PREV, R_SAME };

struct page_key {
	char kana[192];		/* the last row of a page: the next one starts after it */
	char id[16];
	int offset;		/* index of the next page's first row in the whole result */
};

struct lookup {
	struct tui_field search;
	bool list_focus;
	enum req req;			/* what refresh() is to do */
	char pending[256];		/* the query of an R_SEARCH */

	enum qkind kind;		/* of the rows shown */
	char query[256];
	struct db_contract *rows;
	int n;
	bool more;			/* (kana) another page follows */
	bool searched;			/* a search ran: an empty list means "none" */
	int sel;

	struct page_key *keys;		/* keys[i]: the last row of page i */
	int cap;
	int page;			/* current page, 0-based */
	int page_size;
};

static int page_size_of(const struct view *v)
{
	int n = v->area.h - 4;	/* search, hint, headings, footer */
	return n < 1 ? 1 : n;
}

static int lookup_open(struct view *v, const void *arg, struct otp_err *err)
{
	(void)arg;
	(void)err;
	struct lookup *s = v->state;
	tui_field_init(&s->search, 60, false);
	s->page_size = page_size_of(v);
	return 0;
}

static void lookup_close(struct view *v)
{
	struct lookup *s = v->state;
	free(s->rows);
	free(s->keys);
}

static enum qkind classify(const char *q)
{
	unsigned char c = (unsigned char)q[0];
	if (c >= '0' && c <= '9')
		return Q_ID;
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
		return Q_CREDENTIAL;
	return Q_KANA;
}

/* Index of the current page's first row in the whole result. */
static int page_offset(const struct lookup *s)
{
	return s->page > 0 ? s->keys[s->page - 1].offset : 0;
}

static void set_rows(struct lookup *s, struct db_contract *rows, int n, bool more)
{
	free(s->rows);
	s->rows = rows;
	s->n = n;
	s->more = more;
	s->searched = true;
	if (s->sel >= n)
		s->sel = n ? n - 1 : 0;
}

static int push_key(struct lookup *s, int page, const struct db_contract *last, int offset)
{
	if (page >= s->cap) {
		int cap = s->cap ? s->cap * 2 : 16;
		struct page_key *k = realloc(s->keys, (size_t)cap * sizeof *k);
		if (!k)
			return -1;
		s->keys = k;
		s->cap = cap;
	}
	otp_strlcpy(s->keys[page].kana, last->name_kana, sizeof s->keys[page].kana);
	otp_strlcpy(s->keys[page].id, last->contract_id, sizeof s->keys[page].id);
	s->keys[page].offset = offset;
	return 0;
}

/* One kana page starting after the last row of page `page - 1`. */
static int kana_page(struct view *v, const char *prefix, int page, struct otp_err *err)
{
	struct lookup *s = v->state;
	struct db_contract after;
	const struct db_contract *ap = NULL;
	if (page > 0) {
		memset(&after, 0, sizeof after);
		otp_strlcpy(after.name_kana, s->keys[page - 1].kana, sizeof after.name_kana);
		otp_strlcpy(after.contract_id, s->keys[page - 1].id, sizeof after.contract_id);
		ap = &after;
	}
	struct db_contract_page pg;
	if (db_contract_search_kana(v->app->db, prefix, ap, s->page_size, &pg, err) != 0)
		return -1;
	set_rows(s, pg.rows, pg.n, pg.more);
	s->page = page;
	return 0;
}

static int run_search(struct view *v, struct otp_err *err)
{
	struct lookup *s = v->state;
	const char *q = s->pending;
	enum qkind kind = classify(q);
	struct db_contract one;
	int rc;

	if (!q[0])
		return otp_err_set(err, OTP_ERR_USAGE, "%s",
				   _("type a contract ID, a credential ID or the start of the kana name"));
	switch (kind) {
	case Q_ID:
	case Q_CREDENTIAL: {
		char id[64];
		otp_strlcpy(id, q, sizeof id);
		if (kind == Q_CREDENTIAL)
			for (char *p = id; *p; p++)
				if (*p >= 'a' && *p <= 'z')
					*p = (char)(*p - 'a' + 'A');
		rc = kind == Q_ID ? db_contract_get(v->app->db, id, &one, err)
				  : db_contract_by_credential(v->app->db, id, &one, err);
		if (rc != 0)
			break;
		struct db_contract *row = malloc(sizeof *row);
		if (!row)
			return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
		*row = one;
		set_rows(s, row, 1, false);
		s->page = 0;
		break;
	}
	default:
		rc = kana_page(v, q, 0, err);
		break;
	}
	if (rc != 0) {
		if (err->kind != OTP_ERR_CONNLOST) {
			set_rows(s, NULL, 0, false);
			s->kind = Q_NONE;
			s->query[0] = '\0';
		}
		return -1;
	}
	s->kind = kind;
	otp_strlcpy(s->query, q, sizeof s->query);
	s->sel = 0;
	s->list_focus = s->n > 0;
	if (s->n == 0)
		tui_status(v->app, _("no contract's kana name starts with %s"), q);
	return 0;
}

static int lookup_refresh(struct view *v, struct otp_err *err)
{
	struct lookup *s = v->state;
	int rc = 0;
	switch (s->req) {
	case R_NONE:
		return 0;
	case R_SEARCH:
		rc = run_search(v, err);
		break;
	case R_SAME:
		if (s->kind == Q_KANA) {
			rc = kana_page(v, s->query, s->page, err);
		} else if (s->kind != Q_NONE) {
			otp_strlcpy(s->pending, s->query, sizeof s->pending);
			rc = run_search(v, err);
		}
		break;
	case R_NEXT:
		if (s->kind == Q_KANA && s->more && s->n > 0) {
			if (push_key(s, s->page, &s->rows[s->n - 1], page_offset(s) + s->n) != 0)
				return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
			rc = kana_page(v, s->query, s->page + 1, err);
			if (rc == 0)
				s->sel = 0;
		}
		break;
	case R_PREV:
		if (s->kind == Q_KANA && s->page > 0) {
			rc = kana_page(v, s->query, s->page - 1, err);
			if (rc == 0)
				s->sel = 0;
		}
		break;
	}
	if (rc != 0 && err->kind == OTP_ERR_CONNLOST)
		return -1;	/* s->req stays: retried after the reconnect */
	s->req = R_NONE;
	return rc;
}

/* ---- keys ----------------------------------------------------------------- */

static bool has_rows(const struct view *v)
{
	const struct lookup *s = v->state;
	return s->n > 0;
}

static bool has_next(const struct view *v)
{
	const struct lookup *s = v->state;
	return s->kind == Q_KANA && s->more;
}

static bool has_prev(const struct view *v)
{
	const struct lookup *s = v->state;
	return s->kind == Q_KANA && s->page > 0;
}

static bool has_query(const struct view *v)
{
	const struct lookup *s = v->state;
	return s->kind != Q_NONE;
}

static unsigned open_selected(struct view *v)
{
	struct lookup *s = v->state;
	if (s->n == 0)
		return TUI_HANDLED;
	tui_push(v->app, &view_contract_ops, s->rows[s->sel].contract_id);
	return TUI_HANDLED;
}

static unsigned do_enter(struct view *v)
{
	struct lookup *s = v->state;
	if (s->list_focus)
		return open_selected(v);
	char raw[512];
	if (tui_field_get(&s->search, raw, sizeof raw) != 0)
		raw[0] = '\0';
	tui_text_ascii_fold(s->pending, sizeof s->pending, raw);
	s->req = R_SEARCH;
	return TUI_HANDLED | TUI_REFRESH;
}

static unsigned do_focus_search(struct view *v)
{
	struct lookup *s = v->state;
	s->list_focus = false;
	s->search.cur = s->search.len;
	return TUI_HANDLED;
}

static unsigned do_toggle_focus(struct view *v)
{
	struct lookup *s = v->state;
	s->list_focus = s->n > 0 ? !s->list_focus : false;
	return TUI_HANDLED;
}

static unsigned do_reload(struct view *v)
{
	struct lookup *s = v->state;
	s->req = R_SAME;
	return TUI_HANDLED | TUI_REFRESH;
}

static unsigned do_next(struct view *v)
{
	struct lookup *s = v->state;
	s->req = R_NEXT;
	return TUI_HANDLED | TUI_REFRESH;
}

static unsigned do_prev(struct view *v)
{
	struct lookup *s = v->state;
	s->req = R_PREV;
	return TUI_HANDLED | TUI_REFRESH;
}

static unsigned do_move(struct view *v, int delta)
{
	struct lookup *s = v->state;
	if (!s->list_focus) {
		if (delta > 0 && s->n > 0)
			s->list_focus = true;
		return TUI_HANDLED;
	}
	int sel = s->sel + delta;
	if (sel < 0) {
		if (s->sel == 0 && delta == -1)
			s->list_focus = false;	/* up from the first row: back to the field */
		sel = 0;
	}
	if (sel >= s->n)
		sel = s->n - 1;
	s->sel = sel < 0 ? 0 : sel;
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

static unsigned do_home(struct view *v)
{
	return do_move(v, -100000);
}

static unsigned do_end(struct view *v)
{
	return do_move(v, 100000);
}

static unsigned do_menu(struct view *v)
{
	tui_push(v->app, &view_home_ops, NULL);
	return TUI_HANDLED;
}

static const struct tui_binding lookup_bindings[] = {
	{ { TUI_KEY_ENTER }, N_("Enter"), N_("search; on a result: open the contract"), 0, NULL, do_enter, NULL },
	{ { TUI_KEY_F(3) }, N_("F3"), N_("open the selected contract"), 3, N_("Open"), open_selected, has_rows },
	{ { TUI_KEY_F(2), '/' }, N_("F2, /"), N_("go to the search field"), 2, N_("Search"), do_focus_search, NULL },
	{ { TUI_KEY_TAB }, N_("Tab"), N_("switch between the search field and the results"), 0, NULL,
	  do_toggle_focus, NULL },
	{ { TUI_KEY_F(4) }, N_("F4"), N_("the menu of your tasks (queue, requests, audit, administration)"), 4,
	  N_("Menu"), do_menu, NULL },
	{ { TUI_KEY_F(5) }, N_("F5"), N_("run the search again"), 5, N_("Reload"), do_reload, has_query },
	{ { TUI_KEY_F(7), TUI_FN(KEY_PPAGE), 'p' }, N_("F7, PgUp, p"), N_("previous page of names"), 7, N_("Prev"),
	  do_prev, has_prev },
	{ { TUI_KEY_F(8), TUI_FN(KEY_NPAGE), 'n' }, N_("F8, PgDn, n"), N_("next page of names"), 8, N_("Next"),
	  do_next, has_next },
	{ { TUI_FN(KEY_DOWN) }, N_("Down"), N_("next result"), 0, NULL, do_down, NULL },
	{ { TUI_FN(KEY_UP) }, N_("Up"), N_("previous result (from the first: the search field)"), 0, NULL, do_up, NULL },
	{ { TUI_FN(KEY_HOME), 'g' }, N_("Home, g"), N_("first result"), 0, NULL, do_home, has_rows },
	{ { TUI_FN(KEY_END), 'G' }, N_("End, G"), N_("last result"), 0, NULL, do_end, has_rows },
	TUI_FIELD_HELP,
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

/* The search field takes text while it has the focus; on the results, an
 * unbound character starts a new search. */
static unsigned lookup_key(struct view *v, int key)
{
	struct lookup *s = v->state;
	if (!s->list_focus) {
		if (key == '/')
			return TUI_IGNORED;
		return tui_field_key(&s->search, key) ? TUI_HANDLED : TUI_IGNORED;
	}
	if (tui_key_is_text(key) && !tui_key_bound(v, key)) {
		s->list_focus = false;
		tui_field_clear(&s->search);
		tui_field_key(&s->search, key);
		return TUI_HANDLED;
	}
	return TUI_IGNORED;
}

/* ---- drawing -------------------------------------------------------------- */

struct cols {
	int id, kanji, kana, branch, state, fail;
};

static struct cols columns(int width)
{
	struct cols c = { .id = 10, .fail = 5 };
	static const char *const st[] = { "ACTIVE", "LOCKED", "STOPPED", "UNREGISTERED" };
	c.state = tui_text_width(_("State"));
	for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
		if (tui_text_width(tui_state_label(st[i])) > c.state)
			c.state = tui_text_width(tui_state_label(st[i]));
	if (tui_text_width(_("Fails")) > c.fail)
		c.fail = tui_text_width(_("Fails"));
	int rest = width - 2 - c.id - c.state - c.fail - 5;
	if (rest < 24)
		rest = 24;
	c.kanji = rest * 30 / 100;
	c.kana = rest * 37 / 100;
	c.branch = rest - c.kanji - c.kana;
	return c;
}

static void draw_row(struct view *v, int y, const struct cols *c, const struct db_contract *r, bool selected)
{
	enum tui_style st = selected ? TUI_S_SELECTED : TUI_S_NORMAL;
	int x = v->area.x;
	char fails[32], branch[160];
	snprintf(fails, sizeof fails, "%d/%d", r->failure_count, r->lock_threshold);
	snprintf(branch, sizeof branch, "%s %s", r->branch_code, r->branch_name);
	tui_put(y, x, 1, st, TUI_LEFT, "");
	x += 1;
	tui_put(y, x, c->id + 1, st, TUI_LEFT, r->contract_id);
	x += c->id + 1;
	tui_put(y, x, c->kanji + 1, st, TUI_LEFT, r->name_kanji);
	x += c->kanji + 1;
	tui_put(y, x, c->kana + 1, st, TUI_LEFT, r->name_kana);
	x += c->kana + 1;
	tui_put(y, x, c->branch + 1, st, TUI_LEFT, branch);
	x += c->branch + 1;
	tui_put(y, x, c->state + 1, tui_state_style(r->token_state), TUI_LEFT, tui_state_label(r->token_state));
	x += c->state + 1;
	tui_put(y, x, v->area.x + v->area.w - x, st, TUI_LEFT, fails);
}

static void lookup_draw(struct view *v)
{
	struct lookup *s = v->state;
	struct tui_rect a = v->area;
	const char *label = _("Search");
	int lw = tui_text_width(label) + 2;
	tui_put(a.y, a.x + 1, lw, TUI_S_LABEL, TUI_LEFT, label);
	int fw = a.w - lw - 3 < 40 ? a.w - lw - 3 : 40;
	tui_put(a.y + 1, a.x + 1, a.w - 2, TUI_S_DIM, TUI_LEFT,
		_("contract ID (10 digits), credential ID (ABCD12345678) or kana name (ヤマダ)"));

	struct cols c = columns(a.w);
	int y = a.y + 2;
	char head[512];
	int x = a.x + 1;
	tui_put(y, a.x, a.w, TUI_S_HEADING, TUI_LEFT, "");
	tui_put(y, x, c.id + 1, TUI_S_HEADING, TUI_LEFT, _("Contract"));
	x += c.id + 1;
	tui_put(y, x, c.kanji + 1, TUI_S_HEADING, TUI_LEFT, _("Name"));
	x += c.kanji + 1;
	tui_put(y, x, c.kana + 1, TUI_S_HEADING, TUI_LEFT, _("Kana"));
	x += c.kana + 1;
	tui_put(y, x, c.branch + 1, TUI_S_HEADING, TUI_LEFT, _("Branch"));
	x += c.branch + 1;
	tui_put(y, x, c.state + 1, TUI_S_HEADING, TUI_LEFT, _("State"));
	x += c.state + 1;
	tui_put(y, x, a.x + a.w - x, TUI_S_HEADING, TUI_LEFT, _("Fails"));

	int rows = a.h - 4;
	for (int i = 0; i < s->n && i < rows; i++)
		draw_row(v, y + 1 + i, &c, &s->rows[i], s->list_focus && i == s->sel);
	if (s->searched && s->n == 0)
		tui_put(y + 1, a.x + 2, a.w - 4, TUI_S_DIM, TUI_LEFT, _("(no contracts)"));

	/* footer: where we are in the result */
	head[0] = '\0';
	if (s->kind == Q_KANA && s->n > 0) {
		int first = page_offset(s) + 1;
		snprintf(head, sizeof head, _("page %d, contracts %d-%d%s"), s->page + 1, first, first + s->n - 1,
			 s->more ? _(" (more: PgDn)") : "");
		if (s->page > 0)
			strncat(head, _("  (previous: PgUp)"), sizeof head - strlen(head) - 1);
	} else if (s->n == 1) {
		snprintf(head, sizeof head, "%s", _("1 contract; Enter opens it"));
	}
	tui_put(a.y + a.h - 1, a.x + 1, a.w - 2, TUI_S_DIM, TUI_LEFT, head);

	/* the field last: it places the cursor */
	tui_field_draw(v->app, &s->search, a.y, a.x + 1 + lw, fw, !s->list_focus);
}

static void lookup_resize(struct view *v)
{
	struct lookup *s = v->state;
	int ps = page_size_of(v);
	if (ps == s->page_size)
		return;
	/* the current page keeps its first row and is re-read at the new size */
	s->page_size = ps;
	if (s->kind == Q_KANA) {
		s->req = R_SAME;
		v->stale = true;
	}
}

const struct view_ops view_lookup_ops = {
	.name = "lookup",
	.title = N_("Contract lookup"),
	.state_size = sizeof(struct lookup),
	.flags = VIEW_NOBACK | VIEW_TIMED,
	.open = lookup_open,
	.close = lookup_close,
	.refresh = lookup_refresh,
	.draw = lookup_draw,
	.key = lookup_key,
	.resize = lookup_resize,
	.bindings = lookup_bindings,
};
