/* view_audit: the auditors' log browser over otp_api.audit_search
 * (db_audit_search): newest first, a screenful a page, keyset paging on
 * (at, event_id) with a ring of page-start keys for PgUp, never OFFSET and
 * never a count, so a page costs the same over ten million events. A filter
 * form (F2) narrows by contract, credential ID, actor, branch, event type,
 * outcome and a time range; Enter opens an event in full, F6 verifies the
 * chain, F4 opens the exception report. The server decides who may read the
 * log: a refusal is shown in plain words in place of the list.
 *
 * arg: NULL, a contract ID (the contract filter is pre-set), or a filter
 * spec "key=value" lines joined by '\n' with keys contract, credential,
 * actor, branch, event, outcome, from, to (the exception report uses it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/auditlog.h"
#include "tui/tui.h"

/* The filter fields: id, spec key, label, characters accepted. */
#define AUDIT_FILTERS(X)                                         \
	X(CONTRACT, "contract", N_("Contract"), 10)              \
	X(CREDENTIAL, "credential", N_("Credential ID"), 12)     \
	X(ACTOR, "actor", N_("Actor (login)"), 63)               \
	X(BRANCH, "branch", N_("Branch"), 3)                     \
	X(EVENT, "event", N_("Event type"), 63)                  \
	X(OUTCOME, "outcome", N_("Outcome"), 8)                  \
	X(FROM, "from", N_("From"), 32)                          \
	X(TO, "to", N_("To (exclusive)"), 32)

enum filter_id {
#define X(id, key, label, max) F_##id,
	AUDIT_FILTERS(X)
#undef X
	F_COUNT
};

static const struct {
	const char *key;
	const char *label;
	int max;
} filter_info[F_COUNT] = {
#define X(id, k, l, m) [F_##id] = { .key = k, .label = l, .max = m },
	AUDIT_FILTERS(X)
#undef X
};

#define FILTER_LEN 72
#define KEY_RING 64	/* page-start keys kept for PgUp */

enum req { R_NONE, R_FIRST, R_NEXT, R_PREV, R_SAME };

struct page_key {
	char cursor[48];
	long long event_id;
};

struct audit {
	/* the filter in force, and the form that edits a copy of it */
	char filter[F_COUNT][FILTER_LEN];
	struct tui_field form[F_COUNT];
	bool editing;
	int focus;

	enum req req;
	struct db_audit_row *rows;
	int n;
	bool more;
	bool loaded;
	int sel;
	int page_size;

	/* keys[(p - 1) % KEY_RING]: the last row of page p - 1, where page p starts */
	struct page_key keys[KEY_RING];
	int page;
	int oldest_key;		/* the smallest page p >= 1 whose key is still kept */

	bool refused;		/* the server refused the search: say so in place of the list */
	char refusal[600];
};

static int page_size_of(const struct view *v)
{
	int n = v->area.h - 5;	/* filter line, headings, detail line, footer */
	return n < 1 ? 1 : n > 500 ? 500 : n;
}

/* Set the filter from a spec of "key=value" lines; unknown keys are ignored. */
static void parse_spec(struct audit *s, const char *spec)
{
	char buf[1024];
	otp_strlcpy(buf, spec, sizeof buf);
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		for (int f = 0; f < F_COUNT; f++)
			if (strcmp(line, filter_info[f].key) == 0)
				otp_strlcpy(s->filter[f], eq + 1, sizeof s->filter[f]);
	}
}

static void set_title(struct view *v)
{
	struct audit *s = v->state;
	if (s->filter[F_CONTRACT][0])
		snprintf(v->title, sizeof v->title, _("Audit log: contract %s"), s->filter[F_CONTRACT]);
	else
		snprintf(v->title, sizeof v->title, "%s", _("Audit log"));
}

static int audit_open(struct view *v, const void *arg, struct otp_err *err)
{
	(void)err;
	struct audit *s = v->state;
	const char *a = arg;
	if (a && strchr(a, '='))
		parse_spec(s, a);
	else if (a)
		otp_strlcpy(s->filter[F_CONTRACT], a, sizeof s->filter[F_CONTRACT]);
	for (int f = 0; f < F_COUNT; f++)
		tui_field_init(&s->form[f], filter_info[f].max, false);
	s->page_size = page_size_of(v);
	s->oldest_key = 1;
	s->req = R_FIRST;
	set_title(v);
	v->stale = true;
	return 0;
}

static void audit_close(struct view *v)
{
	struct audit *s = v->state;
	free(s->rows);
	s->rows = NULL;
}

/* ---- data ------------------------------------------------------------------ */

static void filter_of(const struct audit *s, struct db_audit_filter *f)
{
	memset(f, 0, sizeof *f);
	f->contract_id = s->filter[F_CONTRACT];
	f->credential_id = s->filter[F_CREDENTIAL];
	f->actor = s->filter[F_ACTOR];
	f->branch_code = s->filter[F_BRANCH];
	f->event = s->filter[F_EVENT];
	f->outcome = s->filter[F_OUTCOME];
	f->from = s->filter[F_FROM];
	f->to = s->filter[F_TO];
}

static bool key_kept(const struct audit *s, int page)
{
	return page == 0 || (page >= s->oldest_key && page <= s->page + 1);
}

/* Read page `page` (its start key must be kept). */
static int load_page(struct view *v, int page, struct otp_err *err)
{
	struct audit *s = v->state;
	struct db_audit_filter f;
	struct db_audit_row after;
	const struct db_audit_row *ap = NULL;
	filter_of(s, &f);
	if (page > 0) {
		const struct page_key *k = &s->keys[(page - 1) % KEY_RING];
		memset(&after, 0, sizeof after);
		otp_strlcpy(after.cursor, k->cursor, sizeof after.cursor);
		after.event_id = k->event_id;
		ap = &after;
	}
	struct db_audit_page pg;
	if (db_audit_search(v->app->db, &f, ap, s->page_size, &pg, err) != 0)
		return -1;
	free(s->rows);
	s->rows = pg.rows;
	s->n = pg.n;
	s->more = pg.more;
	s->page = page;
	s->loaded = true;
	s->refused = false;
	s->refusal[0] = '\0';
	if (s->sel >= s->n)
		s->sel = s->n ? s->n - 1 : 0;
	return 0;
}

static int audit_refresh(struct view *v, struct otp_err *err)
{
	struct audit *s = v->state;
	int rc = 0;
	switch (s->req) {
	case R_NONE:
		return 0;
	case R_FIRST:
		s->oldest_key = 1;
		rc = load_page(v, 0, err);
		if (rc == 0)
			s->sel = 0;
		break;
	case R_SAME:
		rc = load_page(v, key_kept(s, s->page) ? s->page : 0, err);
		break;
	case R_NEXT:
		if (s->more && s->n > 0) {
			int next = s->page + 1;
			struct page_key *k = &s->keys[(next - 1) % KEY_RING];
			otp_strlcpy(k->cursor, s->rows[s->n - 1].cursor, sizeof k->cursor);
			k->event_id = s->rows[s->n - 1].event_id;
			if (next - KEY_RING + 1 > s->oldest_key)
				s->oldest_key = next - KEY_RING + 1;
			rc = load_page(v, next, err);
			if (rc == 0)
				s->sel = 0;
		}
		break;
	case R_PREV:
		if (s->page > 0) {
			int prev = s->page - 1;
			if (!key_kept(s, prev)) {
				tui_status(v->app, _("only the last %d page starts are kept: showing the newest events"),
					   KEY_RING);
				prev = 0;
			}
			rc = load_page(v, prev, err);
			if (rc == 0)
				s->sel = 0;
		}
		break;
	}
	if (rc != 0 && err->kind == OTP_ERR_CONNLOST)
		return -1;	/* s->req stays: retried after the reconnect */
	s->req = R_NONE;
	if (rc != 0 && (err->kind == OTP_ERR_REFUSED || err->kind == OTP_ERR_DB)) {
		s->refused = err->kind == OTP_ERR_REFUSED;
		snprintf(s->refusal, sizeof s->refusal, "%s", err->message);
		free(s->rows);
		s->rows = NULL;
		s->n = 0;
		s->more = false;
	}
	return rc;
}

/* ---- the filter form --------------------------------------------------------- */

static unsigned do_filter(struct view *v)
{
	struct audit *s = v->state;
	for (int f = 0; f < F_COUNT; f++)
		tui_field_set(&s->form[f], s->filter[f]);
	s->editing = true;
	s->focus = 0;
	return TUI_HANDLED;
}

/* "r", "ref", "refused" -> refused; "s"... -> success; "" -> none. */
static int outcome_of(const char *in, char *out, size_t size)
{
	static const char *const names[] = { "success", "refused" };
	static const char *const labels[] = { N_("Success"), N_("Refused") };
	if (!in[0]) {
		out[0] = '\0';
		return 0;
	}
	for (size_t i = 0; i < 2; i++)
		if (strncmp(names[i], in, strlen(in)) == 0 || strcasecmp(labels[i], in) == 0 ||
		    strcmp(_(labels[i]), in) == 0) {
			otp_strlcpy(out, names[i], size);
			return 0;
		}
	return -1;
}

static unsigned apply_form(struct view *v)
{
	struct audit *s = v->state;
	char val[F_COUNT][FILTER_LEN];
	for (int f = 0; f < F_COUNT; f++) {
		char raw[4 * TUI_FIELD_MAX + 1];
		if (tui_field_get(&s->form[f], raw, sizeof raw) != 0)
			raw[0] = '\0';
		tui_text_ascii_fold(val[f], sizeof val[f], raw);
	}
	char oc[16];
	if (outcome_of(val[F_OUTCOME], oc, sizeof oc) != 0) {
		struct otp_err e;
		otp_err_clear(&e);
		otp_err_set(&e, OTP_ERR_USAGE, "%s", _("outcome is success or refused (or empty for both)"));
		tui_error(v->app, &e);
		s->focus = F_OUTCOME;
		return TUI_HANDLED;
	}
	otp_strlcpy(val[F_OUTCOME], oc, sizeof val[F_OUTCOME]);
	for (char *p = val[F_CREDENTIAL]; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	memcpy(s->filter, val, sizeof s->filter);
	s->editing = false;
	set_title(v);
	s->req = R_FIRST;
	return TUI_HANDLED | TUI_REFRESH;
}

static unsigned form_key(struct view *v, int key)
{
	struct audit *s = v->state;
	switch (key) {
	case TUI_KEY_ENTER:
		return apply_form(v);
	case TUI_KEY_ESC:
		s->editing = false;	/* the filter in force stays */
		return TUI_HANDLED;
	case TUI_KEY_TAB:
	case TUI_FN(KEY_DOWN):
		s->focus = (s->focus + 1) % F_COUNT;
		return TUI_HANDLED;
	case TUI_FN(KEY_BTAB):
	case TUI_FN(KEY_UP):
		s->focus = (s->focus + F_COUNT - 1) % F_COUNT;
		return TUI_HANDLED;
	case TUI_KEY_F(1):
	case TUI_KEY_F(9):
	case TUI_KEY_F(10):
	case TUI_CTRL('l'):
		return TUI_IGNORED;
	case TUI_CTRL('x'):
		for (int f = 0; f < F_COUNT; f++)
			tui_field_clear(&s->form[f]);
		return TUI_HANDLED;
	default:
		tui_field_key(&s->form[s->focus], key);
		return TUI_HANDLED;	/* nothing else acts while the form is open */
	}
}

static unsigned audit_key(struct view *v, int key)
{
	struct audit *s = v->state;
	if (s->editing)
		return form_key(v, key);
	return TUI_IGNORED;
}

/* ---- keys -------------------------------------------------------------------- */

static bool has_rows(const struct view *v)
{
	const struct audit *s = v->state;
	return s->n > 0;
}

static bool has_next(const struct view *v)
{
	const struct audit *s = v->state;
	return s->more && s->n > 0;
}

static bool has_prev(const struct view *v)
{
	const struct audit *s = v->state;
	return s->page > 0;
}

static unsigned do_open(struct view *v)
{
	struct audit *s = v->state;
	if (s->n > 0)
		tui_push(v->app, &view_auditevent_ops, &s->rows[s->sel]);
	return TUI_HANDLED;
}

static unsigned do_req(struct view *v, enum req r)
{
	struct audit *s = v->state;
	s->req = r;
	return TUI_HANDLED | TUI_REFRESH;
}

static unsigned do_next(struct view *v)
{
	return do_req(v, R_NEXT);
}

static unsigned do_prev(struct view *v)
{
	return do_req(v, R_PREV);
}

static unsigned do_newest(struct view *v)
{
	return do_req(v, R_FIRST);
}

static unsigned do_reload(struct view *v)
{
	return do_req(v, R_SAME);
}

static unsigned do_clear(struct view *v)
{
	struct audit *s = v->state;
	memset(s->filter, 0, sizeof s->filter);
	set_title(v);
	return do_req(v, R_FIRST);
}

static unsigned do_move(struct view *v, int delta)
{
	struct audit *s = v->state;
	int sel = s->sel + delta;
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

static unsigned do_last(struct view *v)
{
	return do_move(v, 100000);
}

static unsigned do_verify(struct view *v)
{
	tui_push(v->app, &view_auditverify_ops, NULL);
	return TUI_HANDLED;
}

static unsigned do_report(struct view *v)
{
	tui_push(v->app, &view_auditexc_ops, NULL);
	return TUI_HANDLED;
}

static const struct tui_binding audit_bindings[] = {
	{ { TUI_KEY_ENTER, TUI_KEY_F(3) }, N_("Enter, F3"), N_("open the selected event in full"), 3, N_("Open"),
	  do_open, has_rows },
	{ { TUI_KEY_F(2), '/' }, N_("F2, /"), N_("filter: contract, credential, actor, branch, event, outcome, time"),
	  2, N_("Filter"), do_filter, NULL },
	{ { TUI_KEY_F(4) }, N_("F4"), N_("exception report"), 4, N_("Report"), do_report, NULL },
	{ { TUI_KEY_F(5), 'r' }, N_("F5, r"), N_("read the current page again"), 0, NULL, do_reload, NULL },
	{ { TUI_KEY_F(6) }, N_("F6"), N_("verify the hash chain"), 6, N_("Verify"), do_verify, NULL },
	{ { TUI_KEY_F(7), TUI_FN(KEY_PPAGE), 'p' }, N_("F7, PgUp, p"), N_("previous (newer) page"), 7, N_("Prev"),
	  do_prev, has_prev },
	{ { TUI_KEY_F(8), TUI_FN(KEY_NPAGE), 'n' }, N_("F8, PgDn, n"), N_("next (older) page"), 8, N_("Next"), do_next,
	  has_next },
	{ { TUI_FN(KEY_HOME), 'g' }, N_("Home, g"), N_("back to the newest events"), 0, NULL, do_newest, NULL },
	{ { TUI_FN(KEY_END), 'G' }, N_("End, G"), N_("last event on this page"), 0, NULL, do_last, has_rows },
	{ { TUI_FN(KEY_DOWN), 'j' }, N_("Down, j"), N_("next event"), 0, NULL, do_down, NULL },
	{ { TUI_FN(KEY_UP), 'k' }, N_("Up, k"), N_("previous event"), 0, NULL, do_up, NULL },
	{ { 'x' }, N_("x"), N_("clear every filter"), 0, NULL, do_clear, NULL },
	{ { 0 }, N_("Tab, Up, Down"), N_("in the filter form: next or previous field"), 0, NULL, NULL, NULL },
	{ { 0 }, N_("Enter, Esc, Ctrl-X"), N_("in the filter form: apply, cancel, empty every field"), 0, NULL, NULL,
	  NULL },
	TUI_FIELD_HELP,
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

/* ---- drawing ----------------------------------------------------------------- */

struct cols {
	int seq, at, event, outcome, actor, branch, contract, detail;
	bool full_date;
};

static int wmax(int a, const char *s)
{
	int w = tui_text_width(s);
	return w > a ? w : a;
}

static struct cols columns(int width)
{
	struct cols c = { .event = 16, .contract = 10 };
	c.seq = wmax(wmax(6, _("Seq")), _("unsealed"));
	c.outcome = wmax(wmax(wmax(0, _("Outcome")), _("Success")), _("Refused"));
	c.branch = wmax(3, _("Br"));
	c.full_date = width >= 110;
	c.at = c.full_date ? 19 : 14;
	int fixed = 1 + c.seq + 1 + c.at + 1 + c.event + 1 + c.outcome + 1 + c.branch + 1 + c.contract + 1;
	int rest = width - fixed;
	c.actor = rest < 8 ? 8 : rest > 16 ? 16 : rest;
	c.detail = rest - c.actor - 1;
	if (c.detail < 8) {
		c.actor = rest < 8 ? 8 : rest;
		c.detail = 0;
	}
	return c;
}

/* The short detail of an event: its reason code and the "message" of its
 * details when there is one, else the details JSON as stored. */
static void short_detail(const struct db_audit_row *r, char *out, size_t size)
{
	char msg[sizeof r->details] = "";
	const char *m = strstr(r->details, "\"message\": \"");
	if (m) {
		m += strlen("\"message\": \"");
		size_t j = 0;
		for (; *m && *m != '"' && j + 1 < sizeof msg; m++) {
			if (*m == '\\' && m[1])
				m++;
			msg[j++] = *m;
		}
		msg[j] = '\0';
	}
	const char *text = msg[0] ? msg : strcmp(r->details, "{}") == 0 ? "" : r->details;
	snprintf(out, size, "%s%s%s", r->reason_code, r->reason_code[0] && text[0] ? " " : "", text);
}

static const char *outcome_label(const char *o)
{
	if (strcmp(o, "refused") == 0)
		return _("Refused");
	if (strcmp(o, "success") == 0)
		return _("Success");
	return o;
}

/* One cell of w columns and the blank column after it, in style st. */
static void cell(int y, int *x, int w, enum tui_style text_style, enum tui_style st, enum tui_align al,
		 const char *text)
{
	tui_put(y, *x, w, text_style, al, text);
	tui_put(y, *x + w, 1, st, TUI_LEFT, "");
	*x += w + 1;
}

static void draw_row(struct view *v, int y, const struct cols *c, const struct db_audit_row *r, bool selected)
{
	enum tui_style st = selected ? TUI_S_SELECTED : TUI_S_NORMAL;
	bool refused = strcmp(r->outcome, "refused") == 0;
	int x = v->area.x;
	char seq[24], at[24], detail[1200];
	if (r->seq)
		snprintf(seq, sizeof seq, "%lld", r->seq);
	else
		snprintf(seq, sizeof seq, "%s", _("unsealed"));
	/* "YYYY-MM-DD HH:MM:SS" or, when narrow, "MM-DD HH:MM:SS" */
	snprintf(at, sizeof at, "%.19s", c->full_date ? r->at : r->at + (strlen(r->at) >= 5 ? 5 : 0));
	if (!c->full_date)
		at[14] = '\0';
	tui_put(y, x, 1, st, TUI_LEFT, "");
	x += 1;
	cell(y, &x, c->seq, r->seq || selected ? st : TUI_S_DIM, st, TUI_RIGHT, seq);
	cell(y, &x, c->at, st, st, TUI_LEFT, at);
	cell(y, &x, c->event, st, st, TUI_LEFT, r->event);
	cell(y, &x, c->outcome, refused ? TUI_S_ERROR : st, st, TUI_LEFT, outcome_label(r->outcome));
	cell(y, &x, c->actor, st, st, TUI_LEFT, r->actor);
	cell(y, &x, c->branch, st, st, TUI_LEFT, r->branch_code);
	cell(y, &x, c->contract, st, st, TUI_LEFT, r->contract_id);
	short_detail(r, detail, sizeof detail);
	if (v->area.x + v->area.w - x > 0)
		tui_put(y, x, v->area.x + v->area.w - x, st, TUI_LEFT, c->detail ? detail : "");
}

static void filter_summary(const struct audit *s, char *out, size_t size)
{
	out[0] = '\0';
	for (int f = 0; f < F_COUNT; f++) {
		if (!s->filter[f][0])
			continue;
		size_t len = strlen(out);
		snprintf(out + len, size - len, "%s%s=%s", len ? "  " : "", _(filter_info[f].label),
			 f == F_OUTCOME ? outcome_label(s->filter[f]) : s->filter[f]);
	}
}

static void draw_form(struct view *v)
{
	struct audit *s = v->state;
	struct tui_rect a = v->area;
	int lw = 0;
	for (int f = 0; f < F_COUNT; f++)
		lw = wmax(lw, _(filter_info[f].label));
	lw += 2;
	int w = a.w - 4 < 72 ? a.w - 4 : 72;
	int h = F_COUNT + 5;
	struct tui_rect box = { a.y + 1, a.x + (a.w - w) / 2, h, w };
	tui_clear_rect(box, TUI_S_NORMAL);
	struct tui_rect in = tui_box(box, _("Filter the audit log"));
	int fw = in.w - lw - 1 - 18;	/* room for the hint after the field */
	if (fw > 40)
		fw = 40;
	if (fw < 12)
		fw = in.w - lw - 1;
	static const char *const hints[F_COUNT] = {
		[F_CONTRACT] = N_("10 digits"),
		[F_CREDENTIAL] = N_("ABCD12345678"),
		[F_OUTCOME] = N_("success / refused"),
		[F_FROM] = N_("2025-04-01 09:00"),
		[F_TO] = N_("2025-05-01"),
	};
	for (int f = 0; f < F_COUNT; f++) {
		tui_put(in.y + f, in.x, lw, TUI_S_LABEL, TUI_LEFT, _(filter_info[f].label));
		int hx = in.x + lw + fw + 1;
		if (hints[f] && in.x + in.w - hx > 4)
			tui_put(in.y + f, hx, in.x + in.w - hx, TUI_S_DIM, TUI_LEFT, _(hints[f]));
	}
	tui_put(in.y + F_COUNT + 1, in.x, in.w, TUI_S_DIM, TUI_LEFT,
		_("Enter: apply   Esc: cancel   Tab: next field   Ctrl-X: empty all"));
	/* the focused field last: it places the cursor */
	for (int f = 0; f < F_COUNT; f++)
		if (f != s->focus)
			tui_field_draw(v->app, &s->form[f], in.y + f, in.x + lw, fw, false);
	tui_field_draw(v->app, &s->form[s->focus], in.y + s->focus, in.x + lw, fw, true);
}

static void audit_draw(struct view *v)
{
	struct audit *s = v->state;
	struct tui_rect a = v->area;
	char line[1400];

	filter_summary(s, line, sizeof line);
	const char *fl = _("Filter:");
	int flw = tui_text_width(fl) + 1;
	tui_put(a.y, a.x + 1, flw, TUI_S_LABEL, TUI_LEFT, fl);
	tui_put(a.y, a.x + 1 + flw, a.w - 2 - flw, line[0] ? TUI_S_INFO : TUI_S_DIM, TUI_LEFT,
		line[0] ? line : _("none: every event, newest first (F2 sets a filter)"));

	struct cols c = columns(a.w);
	int y = a.y + 1, x = a.x + 1;
	tui_put(y, a.x, a.w, TUI_S_HEADING, TUI_LEFT, "");
	const enum tui_style hs = TUI_S_HEADING;
	cell(y, &x, c.seq, hs, hs, TUI_RIGHT, _("Seq"));
	cell(y, &x, c.at, hs, hs, TUI_LEFT, _("Time"));
	cell(y, &x, c.event, hs, hs, TUI_LEFT, _("Event"));
	cell(y, &x, c.outcome, hs, hs, TUI_LEFT, _("Outcome"));
	cell(y, &x, c.actor, hs, hs, TUI_LEFT, _("Actor"));
	cell(y, &x, c.branch, hs, hs, TUI_LEFT, _("Br"));
	cell(y, &x, c.contract, hs, hs, TUI_LEFT, _("Contract"));
	if (c.detail)
		tui_put(y, x, a.x + a.w - x, TUI_S_HEADING, TUI_LEFT, _("Detail"));

	int rows = a.h - 5;
	for (int i = 0; i < s->n && i < rows; i++)
		draw_row(v, y + 1 + i, &c, &s->rows[i], i == s->sel);
	if (!s->loaded && !s->refusal[0]) {
		tui_put(y + 1, a.x + 2, a.w - 4, TUI_S_DIM, TUI_LEFT, _("loading…"));
	} else if (s->refusal[0] && s->n == 0) {
		struct tui_rect r = { y + 2, a.x + 2, rows - 1, a.w - 4 };
		int row = tui_put_wrapped(r, 0, TUI_S_ERROR,
					  s->refused ? _("The server refused to show the audit log:")
						     : _("The audit log could not be read:"));
		row += tui_put_wrapped(r, row, TUI_S_NORMAL, s->refusal);
		if (s->refused)
			tui_put_wrapped(r, row + 1, TUI_S_DIM,
					_("Only members of the auditors' group (otp_auditor) may read it."));
	} else if (s->n == 0) {
		tui_put(y + 1, a.x + 2, a.w - 4, TUI_S_DIM, TUI_LEFT, _("(no events match the filter)"));
	}

	/* the selected event's detail, then where we are */
	if (s->n > 0) {
		char d[1200];
		short_detail(&s->rows[s->sel], d, sizeof d);
		snprintf(line, sizeof line, "%s %s  %s", _("Detail:"), s->rows[s->sel].at, d);
		tui_put(a.y + a.h - 2, a.x + 1, a.w - 2, TUI_S_DIM, TUI_LEFT, line);
		snprintf(line, sizeof line, _("page %d, %d events%s%s   Enter: details"), s->page + 1, s->n,
			 s->more ? _(", older: PgDn") : _(", no older events"), s->page > 0 ? _(", newer: PgUp") : "");
		tui_put(a.y + a.h - 1, a.x + 1, a.w - 2, TUI_S_DIM, TUI_LEFT, line);
	}
	if (s->editing)
		draw_form(v);
}

static void audit_resize(struct view *v)
{
	struct audit *s = v->state;
	int ps = page_size_of(v);
	if (ps == s->page_size)
		return;
	/* the current page keeps its start and is read again at the new size */
	s->page_size = ps;
	if (s->loaded && s->req == R_NONE)
		s->req = R_SAME;
	v->stale = true;
}

const struct view_ops view_audit_ops = {
	.name = "audit",
	.title = N_("Audit log"),
	.state_size = sizeof(struct audit),
	.flags = VIEW_TIMED,
	.open = audit_open,
	.close = audit_close,
	.refresh = audit_refresh,
	.draw = audit_draw,
	.key = audit_key,
	.resize = audit_resize,
	.bindings = audit_bindings,
};
