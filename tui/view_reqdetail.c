/* view_reqdetail: one request with everything a supervisor needs to decide
 * it: contract and customer, kind and state, the identity documents and the
 * seal check with who made them, who submitted it and when, day 1 /
 * eligible / due, the notes, the history of decisions, execution and
 * cancellation, and a banner while the contract is under a fraud hold.
 *
 * Approve (y/n confirmation), Reject and Cancel (each with a required
 * reason) are offered to everyone: the server decides who may, and a refusal
 * is explained in plain words (the server's own text stays in the details,
 * F9). The request is read again after every action, successful or not. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/workflow.h"
#include "tui/tui.h"

enum act { ACT_NONE, ACT_APPROVE, ACT_REJECT, ACT_CANCEL };
enum mode { M_VIEW, M_CONFIRM, M_REASON };

#define MAX_LINES 48

struct line {
	char label[96];
	char value[1600];
	enum tui_style style;
	bool heading;
};

struct reqdetail {
	char receipt[DB_RECEIPT_LEN];
	bool loaded;
	struct db_request r;

	enum mode mode;
	enum act pending;		/* the action the prompt is for */
	enum act want;			/* what refresh() is to do */
	bool want_load;
	struct tui_field reason;	/* kept across refusals */

	int scroll;
	int shown;			/* body rows visible (from the last draw) */
	int nlines;
};

static int reqdetail_open(struct view *v, const void *arg, struct otp_err *err)
{
	struct reqdetail *s = v->state;
	if (!arg || !*(const char *)arg)
		return otp_err_set(err, OTP_ERR_INTERNAL, "no request to show");
	otp_strlcpy(s->receipt, arg, sizeof s->receipt);
	snprintf(v->title, sizeof v->title, _("Request %s"), s->receipt);
	tui_field_init(&s->reason, TUI_FIELD_MAX, false);
	s->want_load = true;
	v->stale = true;
	return 0;
}

/* ---- database ---------------------------------------------------------------- */

static int load(struct view *v, struct otp_err *err)
{
	struct reqdetail *s = v->state;
	struct db_request r;
	if (db_request_get(v->app->db, s->receipt, &r, err) != 0) {
		if (err->kind != OTP_ERR_CONNLOST)
			s->loaded = false;
		return -1;
	}
	s->r = r;
	s->loaded = true;
	return 0;
}

/* Say in plain words why the server refused what this member tried; the
 * server's own message moves to the detail (F9). */
static void plain_words(const struct view *v, enum act a, struct otp_err *err)
{
	const struct reqdetail *s = v->state;
	bool mine = s->loaded && strcmp(s->r.submitted_by, v->app->who.login) == 0;
	const char *plain = NULL;
	if (strcmp(err->sqlstate, "OD005") == 0) {
		plain = a == ACT_APPROVE ? _("you submitted this request; another supervisor must approve it")
					 : _("you submitted this request; another supervisor must decide it");
	} else if (strcmp(err->sqlstate, "OD001") == 0 && strstr(err->message, "is not permitted")) {
		if (a == ACT_CANCEL)
			plain = _("only tellers and supervisors may cancel a request");
		else if (mine)
			plain = _("you submitted this request, and only a supervisor other than you may approve or "
				  "reject it");
		else
			plain = _("only a supervisor may approve or reject a request; ask a supervisor of the branch");
	}
	if (!plain)
		return;
	char server[sizeof err->message];
	otp_strlcpy(server, err->message, sizeof server);
	if (err->detail[0]) {
		size_t l = strlen(server);
		snprintf(server + l, sizeof server - l, " / %s", err->detail);
	}
	otp_strlcpy(err->detail, server, sizeof err->detail);
	otp_strlcpy(err->message, plain, sizeof err->message);
}

static int act(struct view *v, struct otp_err *err)
{
	struct reqdetail *s = v->state;
	struct db_outcome out;
	char reason[TUI_FIELD_MAX * 4 + 1];
	if (tui_field_get(&s->reason, reason, sizeof reason) != 0)
		reason[0] = '\0';
	memset(&out, 0, sizeof out);
	switch (s->want) {
	case ACT_APPROVE:
		return db_request_approve(v->app->db, s->receipt, &out, err) == 0
			       ? (tui_status(v->app, _("approved: %s"), out.message), 0)
			       : -1;
	case ACT_REJECT:
		return db_request_reject(v->app->db, s->receipt, reason, &out, err) == 0
			       ? (tui_status(v->app, _("rejected: %s"), out.message), 0)
			       : -1;
	case ACT_CANCEL:
		return db_request_cancel(v->app->db, s->receipt, reason, &out, err) == 0
			       ? (tui_status(v->app, _("cancelled: %s"), out.message), 0)
			       : -1;
	case ACT_NONE:
		break;
	}
	return 0;
}

static int reqdetail_refresh(struct view *v, struct otp_err *err)
{
	struct reqdetail *s = v->state;
	int rc = 0;
	if (s->want != ACT_NONE) {
		enum act a = s->want;
		rc = act(v, err);
		if (rc != 0 && err->kind == OTP_ERR_CONNLOST)
			return -1;	/* tried again after the reconnect */
		s->want = ACT_NONE;
		s->mode = M_VIEW;
		if (rc == 0)
			tui_field_clear(&s->reason);
		else
			plain_words(v, a, err);
		s->want_load = true;
	}
	if (s->want_load) {
		struct otp_err lerr;
		otp_err_clear(&lerr);
		if (load(v, rc == 0 ? err : &lerr) != 0) {
			struct otp_err *e = rc == 0 ? err : &lerr;
			if (e->kind == OTP_ERR_CONNLOST) {
				if (rc != 0)
					*err = lerr;
				return -1;	/* the action is done; only the reload is pending */
			}
			s->want_load = false;
			return -1;
		}
		s->want_load = false;
	}
	return rc;
}

/* ---- keys ---------------------------------------------------------------------- */

static bool is_open_request(const struct view *v)
{
	const struct reqdetail *s = v->state;
	return s->loaded && (s->r.state == DB_REQ_SUBMITTED || s->r.state == DB_REQ_APPROVED);
}

static bool is_submitted(const struct view *v)
{
	const struct reqdetail *s = v->state;
	return s->loaded && s->r.state == DB_REQ_SUBMITTED;
}

static unsigned do_approve(struct view *v)
{
	struct reqdetail *s = v->state;
	s->mode = M_CONFIRM;
	s->pending = ACT_APPROVE;
	return TUI_HANDLED;
}

static unsigned ask_reason(struct view *v, enum act a)
{
	struct reqdetail *s = v->state;
	if (s->pending != a)
		tui_field_clear(&s->reason);
	s->mode = M_REASON;
	s->pending = a;
	return TUI_HANDLED;
}

static unsigned do_reject(struct view *v)
{
	return ask_reason(v, ACT_REJECT);
}

static unsigned do_cancel(struct view *v)
{
	return ask_reason(v, ACT_CANCEL);
}

static unsigned do_reload(struct view *v)
{
	struct reqdetail *s = v->state;
	s->want_load = true;
	return TUI_HANDLED | TUI_REFRESH;
}

static unsigned scroll_by(struct view *v, int d)
{
	struct reqdetail *s = v->state;
	/* wrapped lines make rows > lines: allow scrolling up to the last line */
	int max = s->nlines - 1;
	s->scroll += d;
	if (s->scroll > max)
		s->scroll = max;
	if (s->scroll < 0)
		s->scroll = 0;
	return TUI_HANDLED;
}

static unsigned do_down(struct view *v)
{
	return scroll_by(v, 1);
}

static unsigned do_up(struct view *v)
{
	return scroll_by(v, -1);
}

static unsigned do_pgdn(struct view *v)
{
	struct reqdetail *s = v->state;
	return scroll_by(v, s->shown > 1 ? s->shown - 1 : 1);
}

static unsigned do_pgup(struct view *v)
{
	struct reqdetail *s = v->state;
	return scroll_by(v, -(s->shown > 1 ? s->shown - 1 : 1));
}

static const struct tui_binding reqdetail_bindings[] = {
	{ { TUI_KEY_F(6), 'a' }, N_("F6, a"), N_("approve the request (supervisor; asks y/n)"), 6, N_("Approve"),
	  do_approve, is_submitted },
	{ { TUI_KEY_F(7), 'r' }, N_("F7, r"), N_("reject the request with a reason (supervisor)"), 7, N_("Reject"),
	  do_reject, is_submitted },
	{ { TUI_KEY_F(8), 'c' }, N_("F8, c"), N_("cancel the request with a reason (before it is executed)"), 8,
	  N_("CancelReq"), do_cancel, is_open_request },
	{ { TUI_KEY_F(5) }, N_("F5"), N_("read the request again"), 5, N_("Reload"), do_reload, NULL },
	{ { TUI_FN(KEY_DOWN), 'j' }, N_("Down, j"), N_("scroll down"), 0, NULL, do_down, NULL },
	{ { TUI_FN(KEY_UP), 'k' }, N_("Up, k"), N_("scroll up"), 0, NULL, do_up, NULL },
	{ { TUI_FN(KEY_NPAGE) }, N_("PgDn"), N_("next page"), 0, NULL, do_pgdn, NULL },
	{ { TUI_FN(KEY_PPAGE) }, N_("PgUp"), N_("previous page"), 0, NULL, do_pgup, NULL },
	{ { 0 }, N_("y, n"), N_("answer the approval question"), 0, NULL, NULL, NULL },
	{ { 0 }, N_("Enter, Esc"), N_("in the reason field: send it / leave it (the text is kept)"), 0, NULL, NULL,
	  NULL },
	TUI_FIELD_HELP,
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

static bool passes_through(int key)
{
	return key == TUI_KEY_F(1) || key == TUI_KEY_F(9) || key == TUI_KEY_F(10) || key == TUI_CTRL('l');
}

/* The prompts take the keys while they are open. */
static unsigned reqdetail_key(struct view *v, int key)
{
	struct reqdetail *s = v->state;
	switch (s->mode) {
	case M_VIEW:
		return TUI_IGNORED;
	case M_CONFIRM:
		if (key == 'y' || key == 'Y') {
			s->want = ACT_APPROVE;
			return TUI_HANDLED | TUI_REFRESH;
		}
		if (key == 'n' || key == 'N' || key == TUI_KEY_ESC) {
			s->mode = M_VIEW;
			tui_status(v->app, "%s", _("not approved"));
			return TUI_HANDLED;
		}
		return passes_through(key) ? TUI_IGNORED : TUI_HANDLED;
	case M_REASON:
		if (key == TUI_KEY_ESC) {
			s->mode = M_VIEW;
			return TUI_HANDLED;
		}
		if (key == TUI_KEY_ENTER) {
			char reason[TUI_FIELD_MAX * 4 + 1];
			if (tui_field_get(&s->reason, reason, sizeof reason) != 0 || !reason[strspn(reason, " ")]) {
				struct otp_err e;
				otp_err_set(&e, OTP_ERR_USAGE, "%s", _("a reason is required: type it, then Enter"));
				tui_error(v->app, &e);
				return TUI_HANDLED;
			}
			if (db_has_my_number(reason)) {
				struct otp_err e;
				otp_err_set(&e, OTP_ERR_USAGE, "%s",
					    _("the reason holds 12 digits in a row, which may be a My Number: remove them"));
				tui_error(v->app, &e);
				return TUI_HANDLED;
			}
			s->want = s->pending;
			return TUI_HANDLED | TUI_REFRESH;
		}
		if (passes_through(key))
			return TUI_IGNORED;
		tui_field_key(&s->reason, key);
		return TUI_HANDLED;
	}
	return TUI_IGNORED;
}

/* ---- drawing --------------------------------------------------------------------- */

static const char *state_label(enum db_req_state st)
{
	static const char *const l[DB_REQ_STATE_COUNT] = {
		[DB_REQ_SUBMITTED] = N_("SUBMITTED (waiting for approval)"),
		[DB_REQ_APPROVED] = N_("APPROVED (waiting for the batch)"),
		[DB_REQ_REJECTED] = N_("REJECTED"),
		[DB_REQ_EXECUTED] = N_("EXECUTED"),
		[DB_REQ_CANCELLED] = N_("CANCELLED"),
	};
	return (unsigned)st < DB_REQ_STATE_COUNT ? _(l[st]) : "?";
}

static void add(struct line *L, int *n, const char *label, enum tui_style st, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void add(struct line *L, int *n, const char *label, enum tui_style st, const char *fmt, ...)
{
	if (*n >= MAX_LINES)
		return;
	struct line *l = &L[(*n)++];
	va_list ap;
	memset(l, 0, sizeof *l);
	otp_strlcpy(l->label, label ? label : "", sizeof l->label);
	va_start(ap, fmt);
	vsnprintf(l->value, sizeof l->value, fmt, ap);
	va_end(ap);
	l->style = st;
}

static void heading(struct line *L, int *n, const char *text)
{
	if (*n >= MAX_LINES)
		return;
	struct line *l = &L[(*n)++];
	memset(l, 0, sizeof *l);
	otp_strlcpy(l->value, text, sizeof l->value);
	l->heading = true;
}

static const char *who(char *buf, size_t size, const char *name, const char *login)
{
	if (name && *name)
		snprintf(buf, size, "%s (%s)", name, login);
	else
		snprintf(buf, size, "%s", login && *login ? login : "-");
	return buf;
}

static const char *yes_no(bool b)
{
	return b ? _("yes") : _("no");
}

/* The request as lines: label + value. */
static int build(const struct view *v, struct line *L)
{
	const struct reqdetail *s = v->state;
	const struct db_request *r = &s->r;
	bool ja = v->app->ja;
	int n = 0;
	char w1[256], w2[256];

	add(L, &n, _("Kind"), r->kind == DB_REQ_RESET ? TUI_S_ERROR : TUI_S_LABEL, "%s",
	    r->kind == DB_REQ_RESET ? _("RESET: lost or changed phone; the credential is revoked")
				    : _("UNLOCK: the locked token becomes usable again"));
	add(L, &n, _("State"), r->is_overdue ? TUI_S_ERROR : TUI_S_LABEL, "%s%s", state_label(r->state),
	    r->is_overdue ? _("   OVERDUE: past the end of its due date") : "");
	add(L, &n, _("Contract"), TUI_S_NORMAL, "%s  %s  %s", r->contract_id, r->name_kanji, r->name_kana);
	add(L, &n, _("Branch"), TUI_S_NORMAL, "%s %s", r->branch_code, r->branch_name);
	add(L, &n, _("Token"), TUI_S_NORMAL, _("now %s; at submission %s; credential %s"),
	    tui_state_label(r->token_state), tui_state_label(r->token_state_at_submit),
	    r->credential_id[0] ? r->credential_id : "-");
	add(L, &n, _("Form number"), TUI_S_NORMAL, "%s", r->form_no);
	add(L, &n, _("Dates"), TUI_S_NORMAL, _("day 1 %s   eligible %s   due %s"), r->day1, r->eligible, r->due);
	add(L, &n, _("Submitted by"), TUI_S_NORMAL, _("%s at %s"),
	    who(w1, sizeof w1, r->submitted_by_name, r->submitted_by), r->received_at);

	heading(L, &n, _("Identity and seal check"));
	const char *d1 = ja || !r->doc_name_en[0] ? r->doc_name_ja : r->doc_name_en;
	if (r->doc_issued[0])
		add(L, &n, _("Document"), TUI_S_NORMAL, _("%s, issued %s"), d1, r->doc_issued);
	else
		add(L, &n, _("Document"), TUI_S_NORMAL, "%s", d1);
	if (r->doc2_type[0])
		add(L, &n, _("Second document"), TUI_S_NORMAL, "%s",
		    ja || !r->doc2_name_en[0] ? r->doc2_name_ja : r->doc2_name_en);
	add(L, &n, _("Name / address"), r->name_matched && r->address_matched ? TUI_S_NORMAL : TUI_S_ERROR,
	    _("name matches: %s, address matches: %s"), yes_no(r->name_matched), yes_no(r->address_matched));
	add(L, &n, _("ID checked by"), TUI_S_NORMAL, "%s", r->id_checked_by);
	add(L, &n, _("Seal (届出印)"), strcmp(r->seal_result, "MATCH") == 0 ? TUI_S_NORMAL : TUI_S_ERROR,
	    _("%s; checked by %s"),
	    strcmp(r->seal_result, "MATCH") == 0 ? _("matches the registered seal") : r->seal_result,
	    r->seal_checked_by);
	add(L, &n, _("Notes"), TUI_S_NORMAL, "%s", r->notes[0] ? r->notes : "-");

	heading(L, &n, _("History"));
	add(L, &n, r->received_at, TUI_S_NORMAL, _("submitted by %s"), w1);
	if (r->decided_by[0]) {
		who(w2, sizeof w2, r->decided_by_name, r->decided_by);
		if (r->state == DB_REQ_REJECTED)
		{
			add(L, &n, r->decided_at, TUI_S_ERROR, _("rejected by %s"), w2);
			add(L, &n, "", TUI_S_ERROR, _("reason: %s"), r->reject_reason);
		}
		else
			add(L, &n, r->decided_at, TUI_S_INFO, _("approved by %s"), w2);
	}
	if (r->executed_at[0]) {
		if (r->revoked_credential_id[0])
			add(L, &n, r->executed_at, TUI_S_INFO, _("executed by %s; credential %s revoked"), r->executed_by,
			    r->revoked_credential_id);
		else
			add(L, &n, r->executed_at, TUI_S_INFO, _("executed by %s"), r->executed_by);
	}
	if (r->cancelled_at[0]) {
		add(L, &n, r->cancelled_at, TUI_S_ERROR, _("cancelled by %s"),
		    who(w2, sizeof w2, r->cancelled_by_name, r->cancelled_by));
		add(L, &n, "", TUI_S_ERROR, _("reason: %s"), r->cancel_reason);
	}
	if (r->state == DB_REQ_SUBMITTED)
		add(L, &n, "", TUI_S_DIM, "%s", _("next: a supervisor other than the submitter approves or rejects it"));
	else if (r->state == DB_REQ_APPROVED)
		add(L, &n, "", TUI_S_DIM, _("next: the batch executes it from %s"), r->eligible);
	return n;
}

static void reqdetail_draw(struct view *v)
{
	struct reqdetail *s = v->state;
	struct tui_rect a = v->area;
	int x = a.x + 1, w = a.w - 2, y = a.y;
	if (!s->loaded) {
		tui_put(y + 1, x, w, TUI_S_DIM, TUI_LEFT,
			v->stale ? _("loading…") : _("this request could not be shown (see the status line)"));
		return;
	}
	const struct db_request *r = &s->r;
	char buf[400];
	if (r->fraud_hold) {
		snprintf(buf, sizeof buf, "%s",
			 _(" FRAUD HOLD on this contract: it cannot be approved or executed until the hold is lifted"));
		tui_put(y++, a.x, a.w, TUI_S_HOLD, TUI_LEFT, buf);
	}
	snprintf(buf, sizeof buf, _("%s request %s"), db_req_kind_name(r->kind), r->receipt_no);
	tui_put(y++, x, w, TUI_S_HEADING, TUI_LEFT, buf);

	static struct line lines[MAX_LINES];
	int n = build(v, lines);
	s->nlines = n;
	int lw = 0;
	for (int i = 0; i < n; i++)
		if (!lines[i].heading && tui_text_width(lines[i].label) > lw)
			lw = tui_text_width(lines[i].label);
	lw += 2;
	int prompt = s->mode == M_VIEW ? 0 : 3;
	int bottom = a.y + a.h - prompt;
	s->shown = bottom - y;
	if (s->scroll > n - 1)
		s->scroll = n > 0 ? n - 1 : 0;
	int i = s->scroll;
	bool cut = false;
	for (; i < n && y < bottom; i++) {
		if (lines[i].heading) {
			tui_put(y++, x, w, TUI_S_HEADING, TUI_LEFT, lines[i].value);
			continue;
		}
		/* long values (notes, reasons) wrap under themselves */
		tui_put(y, x, lw, TUI_S_LABEL, TUI_LEFT, lines[i].label);
		struct tui_rect vr = { y, x + lw, bottom - y, w - lw };
		int used = tui_put_wrapped(vr, 0, lines[i].style, lines[i].value);
		y += used > 0 ? used : 1;
		cut = y > bottom;
	}
	if ((i < n || cut) && prompt == 0)
	{
		int mw = tui_text_width(_("(more: Down)"));
		tui_put(bottom - 1, x + w - mw, mw, TUI_S_DIM, TUI_RIGHT, _("(more: Down)"));
	}
	if (!prompt)
		return;

	struct tui_rect pr = { bottom, a.x, prompt, a.w };
	tui_clear_rect(pr, TUI_S_NORMAL);
	tui_put(bottom, a.x, a.w, TUI_S_BOX, TUI_LEFT, "");
	if (s->mode == M_CONFIRM) {
		snprintf(buf, sizeof buf, _("Approve %s request %s for contract %s %s?"), db_req_kind_name(r->kind),
			 r->receipt_no, r->contract_id, r->name_kanji);
		tui_put(bottom + 1, x, w, TUI_S_HEADING, TUI_LEFT, buf);
		tui_put(bottom + 2, x, w, TUI_S_LABEL, TUI_LEFT, _("y: approve   n or Esc: do not approve"));
		return;
	}
	const char *what = s->pending == ACT_REJECT ? _("Reason for rejecting") : _("Reason for cancelling");
	int ww = tui_text_width(what) + 2;
	tui_put(bottom + 1, x, ww, TUI_S_LABEL, TUI_LEFT, what);
	tui_put(bottom + 2, x, w, TUI_S_DIM, TUI_LEFT,
		_("required; Enter: send   Esc: leave (the text is kept); never a My Number"));
	tui_field_draw(v->app, &s->reason, bottom + 1, x + ww, w - ww, true);
}

const struct view_ops view_reqdetail_ops = {
	.name = "reqdetail",
	.title = N_("Request"),
	.state_size = sizeof(struct reqdetail),
	.open = reqdetail_open,
	.refresh = reqdetail_refresh,
	.draw = reqdetail_draw,
	.key = reqdetail_key,
	.bindings = reqdetail_bindings,
};
