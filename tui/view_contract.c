/* view_contract: one contract in detail: the customer, the token (state,
 * failures against the bank's threshold, when it locked, registered and
 * stopped), the open request with its due date, a banner for an open fraud
 * hold, and below them one scrolling list of the recent failed attempts and
 * the history of requests (newest first). It shows only what the database
 * holds: no placeholders for data that does not exist yet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/workflow.h"
#include "tui/tui.h"

#define MAX_FAILURES 50
#define MAX_REQUESTS 50

struct contract {
	struct tui_scroll sc;	/* first: the failures and requests lists (tui_scroll_*) */
	char id[16];
	bool loaded;
	struct db_contract c;
	struct db_failure failures[MAX_FAILURES];
	int nf;
	struct db_request_page reqs;	/* newest first */
};

static int contract_open(struct view *v, const void *arg, struct otp_err *err)
{
	struct contract *s = v->state;
	if (!arg)
		return otp_err_set(err, OTP_ERR_INTERNAL, "no contract to show");
	otp_strlcpy(s->id, arg, sizeof s->id);
	snprintf(v->title, sizeof v->title, _("Contract %s"), s->id);
	v->stale = true;
	return 0;
}

static void contract_close(struct view *v)
{
	struct contract *s = v->state;
	db_request_page_free(&s->reqs);
}

static int contract_refresh(struct view *v, struct otp_err *err)
{
	struct contract *s = v->state;
	struct db_contract c;
	int nf = 0;
	if (db_contract_get(v->app->db, s->id, &c, err) != 0) {
		if (err->kind != OTP_ERR_CONNLOST)
			s->loaded = false;
		return -1;
	}
	if (db_failures_recent(v->app->db, s->id, s->failures, MAX_FAILURES, &nf, err) != 0)
		return -1;
	struct db_request_page reqs;
	if (db_request_history(v->app->db, s->id, NULL, MAX_REQUESTS, &reqs, err) != 0)
		return -1;
	db_request_page_free(&s->reqs);
	s->reqs = reqs;
	s->c = c;
	s->nf = nf;
	s->loaded = true;
	return 0;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static void pair(int y, int x, int lw, int vw, const char *label, const char *value, enum tui_style vs)
{
	tui_put(y, x, lw, TUI_S_LABEL, TUI_LEFT, label);
	tui_put(y, x + lw, vw, vs, TUI_LEFT, or_dash(value));
}

static int max_width(const char *const *labels, int n)
{
	int w = 0;
	for (int i = 0; i < n; i++)
		if (tui_text_width(labels[i]) > w)
			w = tui_text_width(labels[i]);
	return w;
}

/* The open request (SUBMITTED or APPROVED; at most one), or NULL. */
static const struct db_request *open_request(const struct contract *s)
{
	for (int i = 0; i < s->reqs.n; i++)
		if (s->reqs.rows[i].state == DB_REQ_SUBMITTED || s->reqs.rows[i].state == DB_REQ_APPROVED)
			return &s->reqs.rows[i];
	return NULL;
}

/* A window of list lines: line() gives the screen row of the next line, or -1
 * when it is scrolled out of view. */
struct window {
	int top, rows, scroll, n;
};

static int line(struct window *wn)
{
	int i = wn->n++ - wn->scroll;
	return i >= 0 && i < wn->rows ? wn->top + i : -1;
}

/* Columns for the request kind (kinds) or state column: its widest word or head. */
static int widest(bool kinds, const char *head)
{
	int w = tui_req_label_width(kinds), hw = tui_text_width(head);
	return w > hw ? w : hw;
}

/* The recent failed attempts, then the history of requests, as one list
 * scrolled by the arrow keys, from row y to the bottom of the view. */
static void draw_lists(struct view *v, int y, int x, int w)
{
	struct contract *s = v->state;
	struct tui_rect a = v->area;
	int bottom = a.y + a.h;
	char buf[512], t[20];
	int total = 1 + (s->nf ? 1 + s->nf : 1) + 1 + 1 + (s->reqs.n ? 1 + s->reqs.n : 1);
	int rows = bottom - y;
	if (rows < 1)
		rows = 1;
	if (total > rows && rows > 1)
		rows--;	/* the last row says there is more */
	if (s->sc.top > total - rows)
		s->sc.top = total - rows > 0 ? total - rows : 0;
	s->sc.shown = rows;
	s->sc.total = total;
	struct window wn = { y, rows, s->sc.top, 0 };
	int r;

	snprintf(buf, sizeof buf, _("Recent failed attempts (%d, newest first)"), s->nf);
	if ((r = line(&wn)) >= 0)
		tui_put(r, x, w, TUI_S_HEADING, TUI_LEFT, buf);
	int tw = 19, nw = 4, rw = 22;
	if (s->nf == 0) {
		if ((r = line(&wn)) >= 0)
			tui_put(r, x + 1, w - 1, TUI_S_DIM, TUI_LEFT, _("(no failed attempts recorded)"));
	} else if ((r = line(&wn)) >= 0) {
		tui_put(r, x, tw + 2, TUI_S_LABEL, TUI_LEFT, _("Time"));
		tui_put(r, x + tw + 2, nw + 2, TUI_S_LABEL, TUI_RIGHT, _("No."));
		tui_put(r, x + tw + nw + 5, rw + 1, TUI_S_LABEL, TUI_LEFT, _("Reason"));
		tui_put(r, x + tw + nw + rw + 6, w - (tw + nw + rw + 6), TUI_S_LABEL, TUI_LEFT, _("Client"));
	}
	for (int i = 0; i < s->nf; i++) {
		if ((r = line(&wn)) < 0)
			continue;
		const struct db_failure *f = &s->failures[i];
		char no[16];
		snprintf(no, sizeof no, "%d", f->failure_no);
		tui_put(r, x, tw + 2, TUI_S_NORMAL, TUI_LEFT, f->at);
		tui_put(r, x + tw + 2, nw + 2, TUI_S_NORMAL, TUI_RIGHT, f->failure_no ? no : "");
		tui_put(r, x + tw + nw + 5, rw + 1, TUI_S_NORMAL, TUI_LEFT, tui_reason_label(f->reason));
		tui_put(r, x + tw + nw + rw + 6, w - (tw + nw + rw + 6), TUI_S_DIM, TUI_LEFT, f->client);
	}
	line(&wn);	/* a blank line */

	snprintf(buf, sizeof buf, s->reqs.more ? _("Requests (newest %d, more exist)") : _("Requests (%d, newest first)"),
		 s->reqs.n);
	if ((r = line(&wn)) >= 0)
		tui_put(r, x, w, TUI_S_HEADING, TUI_LEFT, buf);
	/* receipt, kind, state, received, eligible, due */
	int cw[6] = { 17, widest(true, _("Kind")),
		      widest(false, _("State")), 16, 10, 10 };
	if (s->reqs.n == 0) {
		if ((r = line(&wn)) >= 0)
			tui_put(r, x + 1, w - 1, TUI_S_DIM, TUI_LEFT, _("(no requests)"));
	} else if ((r = line(&wn)) >= 0) {
		const char *head[6] = { _("Receipt"), _("Kind"), _("State"), _("Received"), _("Eligible"), _("Due") };
		for (int k = 0, cx = x; k < 6 && cx < x + w; cx += cw[k] + 1, k++)
			tui_put(r, cx, cw[k] + 1 < x + w - cx ? cw[k] + 1 : x + w - cx, TUI_S_LABEL, TUI_LEFT, head[k]);
	}
	for (int i = 0; i < s->reqs.n; i++) {
		if ((r = line(&wn)) < 0)
			continue;
		const struct db_request *q = &s->reqs.rows[i];
		otp_strlcpy(t, q->received_at, 17);
		const char *cell[6] = { q->receipt_no, tui_req_kind_label(q->kind), tui_req_state_label(q->state), t, q->eligible,
					q->due };
		enum tui_style st = q->is_overdue ? TUI_S_ERROR : TUI_S_NORMAL;
		for (int k = 0, cx = x; k < 6 && cx < x + w; cx += cw[k] + 1, k++)
			tui_put(r, cx, cw[k] + 1 < x + w - cx ? cw[k] + 1 : x + w - cx, st, TUI_LEFT, cell[k]);
	}
	if (s->sc.top + rows < total)
	{
		int mw = tui_text_width(_("(more: Down)"));
		tui_put(bottom - 1, x + w - mw, mw, TUI_S_DIM, TUI_RIGHT, _("(more: Down)"));
	}
}

static void contract_draw(struct view *v)
{
	struct contract *s = v->state;
	struct tui_rect a = v->area;
	int y = a.y, x = a.x + 1, w = a.w - 2;
	if (!s->loaded) {
		tui_put(y + 1, x, w, TUI_S_DIM, TUI_LEFT,
			v->stale ? _("loading…") : _("this contract could not be shown (see the status line)"));
		return;
	}
	const struct db_contract *c = &s->c;
	const char *left[] = { _("Name"), _("Kana"), _("Address"), _("Branch"), _("Credential ID"), _("Failures"),
			       _("Registered at"), _("Open request"), _("Due date") };
	const char *right[] = { _("Opened"), _("State"), _("Locked at"), _("Stopped at") };
	int lw = max_width(left, 9) + 2;
	int half = w / 2;
	int rx = x + half;
	int rlw = max_width(right, 4) + 2;
	char buf[512];

	tui_put(y++, x, w, TUI_S_HEADING, TUI_LEFT, _("Customer"));
	pair(y++, x, lw, w - lw, left[0], c->name_kanji, TUI_S_NORMAL);
	pair(y++, x, lw, w - lw, left[1], c->name_kana, TUI_S_NORMAL);
	pair(y++, x, lw, w - lw, left[2], c->address, TUI_S_NORMAL);
	snprintf(buf, sizeof buf, "%s %s", c->branch_code, c->branch_name);
	pair(y, x, lw, half - lw, left[3], buf, TUI_S_NORMAL);
	pair(y++, rx, rlw, w - half - rlw, right[0], c->opened, TUI_S_NORMAL);
	y++;

	tui_put(y++, x, w, TUI_S_HEADING, TUI_LEFT, _("Token"));
	pair(y, x, lw, half - lw, left[4], c->credential_id, TUI_S_NORMAL);
	pair(y++, rx, rlw, w - half - rlw, right[1], tui_state_label(c->token_state), tui_state_style(c->token_state));
	snprintf(buf, sizeof buf, _("%d (locks at %d)"), c->failure_count, c->lock_threshold);
	pair(y, x, lw, half - lw, left[5], buf, c->failure_count >= c->lock_threshold ? TUI_S_ERROR : TUI_S_NORMAL);
	pair(y++, rx, rlw, w - half - rlw, right[2], c->locked_at, TUI_S_NORMAL);
	pair(y, x, lw, half - lw, left[6], c->registered_at, TUI_S_NORMAL);
	pair(y++, rx, rlw, w - half - rlw, right[3], c->stopped_at, TUI_S_NORMAL);

	const struct db_request *q = open_request(s);
	if (q) {
		snprintf(buf, sizeof buf, "%s  %s  %s", q->receipt_no, tui_req_kind_label(q->kind), tui_req_state_label(q->state));
		pair(y++, x, lw, w - lw, left[7], buf, TUI_S_INFO);
		snprintf(buf, sizeof buf, _("%s (eligible from %s)%s"), q->due, q->eligible,
			 q->is_overdue ? _("  OVERDUE") : "");
		pair(y++, x, lw, w - lw, left[8], buf, q->is_overdue ? TUI_S_ERROR : TUI_S_NORMAL);
	} else {
		pair(y++, x, lw, w - lw, left[7], _("none"), TUI_S_DIM);
	}

	if (c->fraud_hold_reason[0]) {
		snprintf(buf, sizeof buf, _("FRAUD HOLD since %s: %s (branch unlocks are blocked)"), c->fraud_hold_at,
			 c->fraud_hold_reason);
		struct tui_rect hr = { y, x, 2, w };
		tui_clear_rect(hr, TUI_S_HOLD);
		y += tui_put_wrapped(hr, 0, TUI_S_HOLD, buf) > 1 ? 2 : 1;
	}
	y++;
	draw_lists(v, y, x, w);
}

static unsigned do_reload(struct view *v)
{
	(void)v;
	return TUI_HANDLED | TUI_REFRESH;
}

static bool has_open_request(const struct view *v)
{
	return open_request(v->state) != NULL;
}

static unsigned do_new_request(struct view *v)
{
	struct contract *s = v->state;
	v->stale = true;	/* read again when we come back: the screen may change it */
	tui_push(v->app, &view_request_ops, s->id);
	return TUI_HANDLED;
}

static unsigned do_open_request(struct view *v)
{
	const struct db_request *r = open_request(v->state);
	if (r) {
		tui_push(v->app, &view_reqdetail_ops, r->receipt_no);
		v->stale = true;	/* read again when we come back */
	}
	return TUI_HANDLED;
}

static unsigned do_status(struct view *v)
{
	struct contract *s = v->state;
	v->stale = true;	/* read again when we come back: the screen may change it */
	tui_push(v->app, &view_helpdesk_ops, s->id);
	return TUI_HANDLED;
}

static unsigned do_audit(struct view *v)
{
	struct contract *s = v->state;
	tui_push(v->app, &view_audit_ops, s->id);
	return TUI_HANDLED;
}

/* The keys to other screens are offered to everyone: the server decides
 * whether the signed-in member may submit, decide or read the audit log. */
static const struct tui_binding contract_bindings[] = {
	{ { TUI_KEY_F(2) }, N_("F2"), N_("new UNLOCK or RESET request for this contract (teller)"), 2, N_("Request"),
	  do_new_request, NULL },
	{ { TUI_KEY_F(3) }, N_("F3"), N_("open the contract's open request (approve, reject, cancel)"), 3,
	  N_("OpenReq"), do_open_request, has_open_request },
	{ { TUI_KEY_F(4) }, N_("F4"), N_("helpdesk status: the state in plain words"), 4, N_("Helpdesk"), do_status,
	  NULL },
	{ { TUI_KEY_F(5) }, N_("F5"), N_("read the contract again"), 5, N_("Reload"), do_reload, NULL },
	{ { TUI_KEY_F(6) }, N_("F6"), N_("the audit log of this contract (auditor)"), 6, N_("Audit"), do_audit, NULL },
	{ { TUI_FN(KEY_DOWN), 'j' }, N_("Down, j"), N_("scroll the failed attempts and requests down"), 0, NULL, tui_scroll_down, NULL },
	{ { TUI_FN(KEY_UP), 'k' }, N_("Up, k"), N_("scroll the failed attempts and requests up"), 0, NULL, tui_scroll_up, NULL },
	{ { TUI_FN(KEY_NPAGE) }, N_("PgDn"), N_("next page of failed attempts and requests"), 0, NULL, tui_scroll_pgdn, NULL },
	{ { TUI_FN(KEY_PPAGE) }, N_("PgUp"), N_("previous page of failed attempts and requests"), 0, NULL, tui_scroll_pgup, NULL },
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

const struct view_ops view_contract_ops = {
	.name = "contract",
	.title = N_("Contract"),
	.state_size = sizeof(struct contract),
	.open = contract_open,
	.close = contract_close,
	.refresh = contract_refresh,
	.draw = contract_draw,
	.bindings = contract_bindings,
};
