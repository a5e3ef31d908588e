/* view_helpdesk: the helpdesk's answer to a caller who cannot log in. One
 * field takes a contract ID or a credential ID; the screen then says in plain
 * words what state the security code app is in and why (wrong codes with
 * their times), what the customer must do (which documents to bring, or
 * nothing because a request is under way, or "transfer to the fraud team"),
 * and when the unlock is expected (the request's eligible date, or the
 * server's due-date rule for a form handed in now). It is read-only except
 * for the fraud hold, which the helpdesk may set or lift with a reason after
 * a y/n confirmation; the server decides who may. It never shows a secret
 * (the db layer gives none). All database work happens in refresh(), driven
 * by the request flag the keys set, so a lost connection loses nothing typed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cal/cal.h"
#include "db/calendar.h"
#include "db/workflow.h"
#include "tui/tui.h"

#define MAX_FAILURES 50
#define MAX_REQUESTS 20
#define MAX_DOCS 16

enum hd_req { HR_NONE, HR_LOOKUP, HR_RELOAD, HR_HOLD };
enum hd_mode {
	M_SHOW,		/* the answer; keys scroll */
	M_INPUT,	/* typing a contract or credential ID */
	M_REASON,	/* the fraud hold dialog: typing the reason */
	M_CONFIRM,	/* the fraud hold dialog: y/n */
};

/* Everything the answer shows about one contract. */
struct answer {
	struct db_contract c;
	struct db_failure failures[MAX_FAILURES];
	int nf;
	struct db_request reqs[MAX_REQUESTS];
	int nreq;
	bool more_reqs;
	struct db_id_doc_type docs[MAX_DOCS];
	int ndocs;
	struct cal_due now_due;		/* a form handed in now */
	bool have_due;
	int cutoff;			/* the branch's cutoff, seconds after midnight */
	int auto_unlock;		/* the policy's automatic unlock, minutes (0: off) */
};

struct helpdesk {
	struct tui_scroll sc;		/* first: the answer's lines (tui_scroll_*) */
	struct tui_field query;
	struct tui_field reason;
	enum hd_mode mode;
	enum hd_req req;		/* what refresh() is to do */
	char pending[64];		/* the ID of an HR_LOOKUP, folded */
	bool hold_lift;			/* the dialog lifts (else sets) a hold */

	bool loaded;
	char missing[64];		/* the ID that was not found ("" if none) */
	struct answer a;

};

/* ---- words ------------------------------------------------------------------ */

/* "YYYY-MM-DD HH:MM" of a "YYYY-MM-DD HH:MM:SS" timestamp, into buf. */
static const char *minutes(const char *ts, char buf[20])
{
	otp_strlcpy(buf, ts, 17);
	return buf;
}

/* ---- open / close ----------------------------------------------------------- */

static int helpdesk_open(struct view *v, const void *arg, struct otp_err *err)
{
	(void)err;
	struct helpdesk *s = v->state;
	tui_field_init(&s->query, 40, false);
	tui_field_init(&s->reason, 120, false);
	if (arg && *(const char *)arg) {
		tui_field_set(&s->query, arg);
		otp_strlcpy(s->pending, arg, sizeof s->pending);
		s->req = HR_LOOKUP;
		s->mode = M_SHOW;
		v->stale = true;
	} else {
		s->mode = M_INPUT;
	}
	return 0;
}

static void helpdesk_close(struct view *v)
{
	struct helpdesk *s = v->state;
	tui_field_clear(&s->reason);
}

/* ---- refresh: the only database access ----------------------------------------- */

/* Read everything the answer needs about one contract (by contract or
 * credential ID) into s->a; s changes only when every read succeeded. */
static int load(struct view *v, const char *id, struct otp_err *err)
{
	struct helpdesk *s = v->state;
	struct db *db = v->app->db;
	struct answer *t = calloc(1, sizeof *t);
	struct db_request_page pg = { 0 };
	int rc = -1;
	if (!t)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	unsigned char first = (unsigned char)id[0];
	if (((first >= '0' && first <= '9') ? db_contract_get(db, id, &t->c, err)
					    : db_contract_by_credential(db, id, &t->c, err)) != 0)
		goto out;
	if (db_failures_recent(db, t->c.contract_id, t->failures, MAX_FAILURES, &t->nf, err) != 0)
		goto out;
	if (db_request_history(db, t->c.contract_id, NULL, MAX_REQUESTS, &pg, err) != 0)
		goto out;
	t->nreq = pg.n < MAX_REQUESTS ? pg.n : MAX_REQUESTS;
	if (t->nreq > 0)
		memcpy(t->reqs, pg.rows, (size_t)t->nreq * sizeof t->reqs[0]);
	t->more_reqs = pg.more;
	if (db_id_doc_types(db, t->docs, MAX_DOCS, &t->ndocs, err) != 0)
		goto out;
	/* the estimate and the policy are extras: without them the answer stands */
	struct otp_err e2;
	otp_err_clear(&e2);
	t->have_due = db_due_dates(db, NULL, t->c.branch_code, &t->now_due, &e2) == 0 &&
		      db_branch_cutoff(db, t->c.branch_code, &t->cutoff, &e2) == 0;
	struct db_policy pol;
	if (e2.kind != OTP_ERR_CONNLOST)
		t->auto_unlock = db_policy_get(db, &pol, &e2) == 0 ? pol.auto_unlock_minutes : 0;
	if (e2.kind == OTP_ERR_CONNLOST) {
		*err = e2;
		goto out;
	}
	s->a = *t;
	s->loaded = true;
	s->missing[0] = '\0';
	rc = 0;
out:
	db_request_page_free(&pg);
	free(t);
	return rc;
}

static int do_hold(struct view *v, struct otp_err *err)
{
	struct helpdesk *s = v->state;
	char reason[1024];
	struct db_outcome out;
	if (tui_field_get(&s->reason, reason, sizeof reason) != 0)
		return otp_err_set(err, OTP_ERR_USAGE, "%s", _("the reason is too long"));
	int rc = s->hold_lift ? db_fraud_hold_lift(v->app->db, s->a.c.contract_id, reason, &out, err)
			      : db_fraud_hold_set(v->app->db, s->a.c.contract_id, reason, &out, err);
	memset(reason, 0, sizeof reason);
	if (rc != 0)
		return -1;
	tui_status(v->app, s->hold_lift ? _("fraud hold on contract %s lifted") : _("fraud hold set on contract %s"),
		   s->a.c.contract_id);
	tui_field_clear(&s->reason);
	s->mode = M_SHOW;
	return 0;
}

static int helpdesk_refresh(struct view *v, struct otp_err *err)
{
	struct helpdesk *s = v->state;
	int rc = 0;
	switch (s->req) {
	case HR_NONE:
		return 0;
	case HR_LOOKUP:
		rc = load(v, s->pending, err);
		if (rc == 0) {
			s->sc.top = 0;
			s->mode = M_SHOW;
			snprintf(v->title, sizeof v->title, _("Helpdesk status: %s"), s->a.c.contract_id);
		} else if (err->kind != OTP_ERR_CONNLOST) {
			s->loaded = false;
			otp_strlcpy(s->missing, s->pending, sizeof s->missing);
			s->mode = M_INPUT;
			otp_strlcpy(v->title, _("Helpdesk status"), sizeof v->title);
		}
		break;
	case HR_RELOAD:
		if (s->loaded)
			rc = load(v, s->a.c.contract_id, err);
		break;
	case HR_HOLD:
		rc = do_hold(v, err);
		if (rc == 0) {
			s->req = HR_RELOAD;	/* done: a lost connection now only re-reads */
			rc = load(v, s->a.c.contract_id, err);
		} else if (err->kind != OTP_ERR_CONNLOST) {
			s->mode = M_REASON;	/* the reason stays for another try */
		}
		break;
	}
	if (rc != 0 && err->kind == OTP_ERR_CONNLOST)
		return -1;	/* s->req stays: retried after the reconnect */
	s->req = HR_NONE;
	return rc;
}

/* ---- the answer in words ---------------------------------------------------- */

/* A pen writes the scrolling body line by line; only the lines inside the
 * window are painted, and n counts them all. */
struct pen {
	int x, w;		/* the body's columns */
	int top, rows;		/* screen row of the window and its height */
	int scroll;
	int n;
	enum tui_style st;
	int indent;		/* columns before the text */
	const char *bullet;	/* put before the first line of a paragraph */
	bool first;
};

static void pen_line(struct pen *p, enum tui_style st, int indent, const char *text)
{
	int i = p->n++ - p->scroll;
	if (i >= 0 && i < p->rows)
		tui_put(p->top + i, p->x + indent, p->w - indent, st, TUI_LEFT, text);
}

static void pen_wrapped_line(void *arg, const char *text)
{
	struct pen *p = arg;
	if (p->bullet && p->first) {
		char b[1024];
		snprintf(b, sizeof b, "%s%s", p->bullet, text);
		pen_line(p, p->st, p->indent - tui_text_width(p->bullet), b);
	} else {
		pen_line(p, p->st, p->indent, text);
	}
	p->first = false;
}

/* A paragraph, word-wrapped; with bullet, it hangs in front of the first line. */
static void pen_para(struct pen *p, enum tui_style st, const char *bullet, const char *text)
{
	p->st = st;
	p->bullet = bullet;
	p->indent = bullet ? tui_text_width(bullet) + 1 : 1;
	p->first = true;
	tui_text_wrap(text, p->w - p->indent, pen_wrapped_line, p);
}

static void pen_blank(struct pen *p)
{
	pen_line(p, TUI_S_NORMAL, 0, "");
}

/* Append text fitted to cols columns and one space to buf. */
static void cat_col(char *buf, size_t size, const char *text, int cols, enum tui_align align)
{
	size_t len = strlen(buf);
	if (len >= size)
		return;
	tui_text_fit(buf + len, size - len, text, cols, align);
	len = strlen(buf);
	if (len + 1 < size) {
		buf[len] = ' ';
		buf[len + 1] = '\0';
	}
}

/* The open request (SUBMITTED or APPROVED), or NULL. */
static const struct db_request *open_request(const struct answer *s)
{
	for (int i = 0; i < s->nreq; i++)
		if (s->reqs[i].state == DB_REQ_SUBMITTED || s->reqs[i].state == DB_REQ_APPROVED)
			return &s->reqs[i];
	return NULL;
}

/* The photo IDs accepted today, from the bank's table, joined with ", ". */
static void accepted_docs(const struct view *v, char *buf, size_t size)
{
	const struct answer *s = &((const struct helpdesk *)v->state)->a;
	buf[0] = '\0';
	for (int i = 0; i < s->ndocs; i++) {
		if (!s->docs[i].accepted_today)
			continue;
		const char *name = v->app->ja || !s->docs[i].name_en[0] ? s->docs[i].name_ja : s->docs[i].name_en;
		if (buf[0])
			strncat(buf, _(", "), size - strlen(buf) - 1);
		strncat(buf, name, size - strlen(buf) - 1);
	}
}

/* The documents that may lack the address (the new passport), as advice. */
static void doc_notes(struct pen *p, const struct view *v)
{
	const struct answer *s = &((const struct helpdesk *)v->state)->a;
	char buf[1024];
	for (int i = 0; i < s->ndocs; i++) {
		const struct db_id_doc_type *d = &s->docs[i];
		if (!d->accepted_today || !d->no_address_if_issued_from[0])
			continue;
		snprintf(buf, sizeof buf,
			 _("A %s issued on or after %s shows no address: the customer also brings a second document "
			   "with the address."),
			 v->app->ja || !d->name_en[0] ? d->name_ja : d->name_en, d->no_address_if_issued_from);
		pen_para(p, TUI_S_NORMAL, "  ", buf);
	}
}

/* When a form handed in now would be carried out (the server's rule). */
static void estimate(struct pen *p, const struct view *v, bool reset)
{
	const struct answer *s = &((const struct helpdesk *)v->state)->a;
	if (!s->have_due)
		return;
	char elig[CAL_DATE_LEN], due[CAL_DATE_LEN], cut[8], buf[1024];
	cal_format(s->now_due.eligible, elig);
	cal_format(s->now_due.due, due);
	snprintf(cut, sizeof cut, "%02d:%02d", s->cutoff / 3600, s->cutoff % 3600 / 60);
	snprintf(buf, sizeof buf,
		 reset ? _("A form handed in at branch %s %s now would be carried out on %s (at the latest by the end "
			   "of %s); forms after %s count from the next business day.")
		       : _("A form handed in at branch %s %s now would be unlocked on %s (at the latest by the end of "
			   "%s); forms after %s count from the next business day."),
		 s->c.branch_code, s->c.branch_name, elig, due, cut);
	pen_para(p, TUI_S_NORMAL, "  ", buf);
}

/* Bring the form, the seal and a photo ID (unlock or reset). */
static void bring_form(struct pen *p, const struct view *v, bool reset)
{
	char docs[1024], buf[2048];
	accepted_docs(v, docs, sizeof docs);
	snprintf(buf, sizeof buf,
		 reset ? _("Bring the reset (re-registration) application form with the registered seal (届出印) and a "
			   "photo ID (%s) to a branch; the reset completes within 2–3 business days counting the "
			   "application day. Afterwards the customer registers the app again.")
		       : _("Bring the unlock application form with the registered seal (届出印) and a photo ID (%s) to a "
			   "branch; unlock completes within 2–3 business days counting the application day."),
		 docs);
	pen_para(p, TUI_S_NORMAL, "- ", buf);
	doc_notes(p, v);
	estimate(p, v, reset);
}

static void lost_phone(struct pen *p)
{
	pen_para(p, TUI_S_NORMAL, "- ",
		 _("Lost or replaced phone: not an unlock but a reset (re-registration), with the same form, seal and "
		   "photo ID; afterwards the customer registers the app again."));
}

/* What happened: the state in words, with the failures and the requests. */
static void explain_state(struct pen *p, const struct view *v)
{
	const struct answer *s = &((const struct helpdesk *)v->state)->a;
	const struct db_contract *c = &s->c;
	char buf[2048], t[20];
	const char *st = c->token_state;
	int n = c->failure_count;
	if (strcmp(st, "LOCKED") == 0) {
		if (c->locked_at[0])
			snprintf(buf, sizeof buf,
				 n == 1 ? _("The security code app is LOCKED since %s after %d wrong code (the limit is %d).")
					: _("The security code app is LOCKED since %s after %d wrong codes (the limit is %d)."),
				 minutes(c->locked_at, t), n, c->lock_threshold);
		else
			snprintf(buf, sizeof buf,
				 n == 1 ? _("The security code app is LOCKED after %d wrong code (the limit is %d).")
					: _("The security code app is LOCKED after %d wrong codes (the limit is %d)."),
				 n, c->lock_threshold);
		pen_para(p, TUI_S_STATE_LOCKED, NULL, buf);
		if (s->auto_unlock > 0 && c->locked_at[0]) {
			cal_day d;
			int sec;
			struct otp_err e;
			if (cal_parse_datetime(c->locked_at, &d, &sec, &e) == 0) {
				long m = sec / 60 + s->auto_unlock;
				char day[CAL_DATE_LEN];
				cal_format(d + (int)(m / 1440), day);
				snprintf(buf, sizeof buf,
					 _("By the bank's policy the lock lifts by itself %d minutes after it was set, at "
					   "%s %02ld:%02ld."),
					 s->auto_unlock, day, m % 1440 / 60, m % 60);
				pen_para(p, TUI_S_NORMAL, NULL, buf);
			}
		}
	} else if (strcmp(st, "ACTIVE") == 0) {
		if (n == 0)
			snprintf(buf, sizeof buf, "%s",
				 _("The security code app is ACTIVE (working): no wrong code since the last successful "
				   "login."));
		else
			snprintf(buf, sizeof buf,
				 n == 1 ? _("The security code app is ACTIVE, but %d wrong code was entered since the last "
					    "successful login (it locks at %d).")
					: _("The security code app is ACTIVE, but %d wrong codes were entered since the last "
					    "successful login (it locks at %d)."),
				 n, c->lock_threshold);
		pen_para(p, TUI_S_STATE_ACTIVE, NULL, buf);
	} else if (strcmp(st, "STOPPED") == 0) {
		if (c->stopped_at[0])
			snprintf(buf, sizeof buf,
				 _("The security code app is STOPPED since %s: it cannot be used for login any more."),
				 minutes(c->stopped_at, t));
		else
			snprintf(buf, sizeof buf, "%s",
				 _("The security code app is STOPPED: it cannot be used for login any more."));
		pen_para(p, TUI_S_STATE_STOPPED, NULL, buf);
	} else {
		if (c->credential_id[0])
			snprintf(buf, sizeof buf,
				 _("The security code app is not registered yet (UNREGISTERED): credential %s waits for "
				   "the customer's registration."),
				 c->credential_id);
		else
			snprintf(buf, sizeof buf, "%s",
				 _("No security code app is registered for this contract (UNREGISTERED), and no "
				   "credential has been issued yet."));
		pen_para(p, TUI_S_NORMAL, NULL, buf);
	}
	if (s->nf > 0 && s->failures[0].at[0]) {
		const struct db_failure *f = &s->failures[0];
		snprintf(buf, sizeof buf, _("The last failed attempt was at %s (%s)."), minutes(f->at, t),
			 tui_reason_label(f->reason));
		pen_para(p, TUI_S_NORMAL, NULL, buf);
	}

	/* the requests: the open one, else the newest */
	const struct db_request *q = open_request(s);
	if (!q && s->nreq > 0)
		q = &s->reqs[0];
	if (!q)
		return;
	char rt[20];
	switch (q->state) {
	case DB_REQ_SUBMITTED:
		snprintf(buf, sizeof buf,
			 _("Request %s (%s) was received at branch %s on %s and waits for a supervisor's approval."),
			 q->receipt_no, tui_req_kind_label(q->kind), q->branch_code, minutes(q->received_at, rt));
		break;
	case DB_REQ_APPROVED:
		snprintf(buf, sizeof buf, _("Request %s (%s) was received at branch %s on %s and approved on %s."),
			 q->receipt_no, tui_req_kind_label(q->kind), q->branch_code, minutes(q->received_at, rt),
			 minutes(q->decided_at, t));
		break;
	case DB_REQ_EXECUTED:
		snprintf(buf, sizeof buf, _("The last request %s (%s) was carried out on %s."), q->receipt_no,
			 tui_req_kind_label(q->kind), minutes(q->executed_at, t));
		break;
	case DB_REQ_REJECTED:
		snprintf(buf, sizeof buf, _("The last request %s (%s) was rejected on %s: %s"), q->receipt_no,
			 tui_req_kind_label(q->kind), minutes(q->decided_at, t), q->reject_reason);
		break;
	case DB_REQ_CANCELLED:
		snprintf(buf, sizeof buf, _("The last request %s (%s) was cancelled on %s: %s"), q->receipt_no,
			 tui_req_kind_label(q->kind), minutes(q->cancelled_at, t), q->cancel_reason);
		break;
	default:
		return;
	}
	pen_para(p, TUI_S_NORMAL, NULL, buf);
}

/* What the customer must do, by hold, open request and state. */
static void advise(struct pen *p, const struct view *v)
{
	const struct answer *s = &((const struct helpdesk *)v->state)->a;
	const struct db_contract *c = &s->c;
	char buf[2048];
	if (c->fraud_hold_reason[0]) {
		pen_para(p, TUI_S_ERROR, "- ",
			 _("Do not promise an unlock: transfer the call to the fraud team. Branch unlocks and resets "
			   "are blocked while the fraud hold is open."));
		return;
	}
	const struct db_request *q = open_request(s);
	if (q) {
		bool reset = q->kind == DB_REQ_RESET;
		if (q->state == DB_REQ_APPROVED)
			snprintf(buf, sizeof buf,
				 reset ? _("Nothing more to bring: request %s is approved; the app will be reset on %s "
					   "and the customer then registers it again.")
				       : _("Nothing more to bring: request %s is approved; the app will be unlocked on "
					   "%s."),
				 q->receipt_no, q->eligible);
		else
			snprintf(buf, sizeof buf,
				 reset ? _("Nothing more to bring: request %s waits for approval; the app is expected to "
					   "be reset on %s (at the latest by the end of %s).")
				       : _("Nothing more to bring: request %s waits for approval; the app is expected to "
					   "be unlocked on %s (at the latest by the end of %s)."),
				 q->receipt_no, q->eligible, q->due);
		pen_para(p, TUI_S_INFO, "- ", buf);
		if (q->is_overdue) {
			snprintf(buf, sizeof buf,
				 _("The request is overdue (it was due by the end of %s): ask branch %s %s to check "
				   "it."),
				 q->due, q->branch_code, q->branch_name);
			pen_para(p, TUI_S_ERROR, "- ", buf);
		}
		return;
	}
	const char *st = c->token_state;
	if (strcmp(st, "LOCKED") == 0) {
		bring_form(p, v, false);
		lost_phone(p);
	} else if (strcmp(st, "STOPPED") == 0) {
		pen_para(p, TUI_S_NORMAL, "- ", _("A stopped app cannot be unlocked: it needs a reset (re-registration)."));
		bring_form(p, v, true);
	} else if (strcmp(st, "ACTIVE") == 0) {
		int left = c->lock_threshold - c->failure_count;
		if (c->failure_count > 0 && left > 0) {
			snprintf(buf, sizeof buf,
				 left == 1 ? _("%d more wrong code locks the app: %d of %d tries remain. Ask the customer to "
					       "enter the code the app shows at that moment and to check that the phone's "
					       "clock is set automatically.")
					   : _("%d more wrong codes lock the app: %d of %d tries remain. Ask the customer "
					       "to enter the code the app shows at that moment and to check that the "
					       "phone's clock is set automatically."),
				 left, left, c->lock_threshold);
			pen_para(p, TUI_S_NORMAL, "- ", buf);
		} else {
			pen_para(p, TUI_S_NORMAL, "- ",
				 _("Nothing to unlock. If the login still fails, the cause is not the security code app "
				   "(for example the login password)."));
		}
		lost_phone(p);
	} else {
		pen_para(p, TUI_S_NORMAL, "- ",
			 c->credential_id[0]
				 ? _("How to register: the customer signs in to internet banking with the login password, "
				     "chooses the security code app registration (利用登録), adds the credential to the app "
				     "with its QR code and enters the code the app then shows.")
				 : _("How to register: the bank first issues a credential with its QR code; then the "
				     "customer signs in to internet banking with the login password, chooses the security "
				     "code app registration (利用登録), adds the credential to the app and enters the code "
				     "the app then shows."));
	}
}

static void failures_table(struct pen *p, const struct view *v)
{
	const struct answer *s = &((const struct helpdesk *)v->state)->a;
	char buf[1024];
	snprintf(buf, sizeof buf, _("Failed attempts (%d, newest first)"), s->nf);
	pen_line(p, TUI_S_HEADING, 0, buf);
	if (s->nf == 0) {
		pen_line(p, TUI_S_DIM, 1, _("(no failed attempts recorded)"));
		return;
	}
	int rw = 22;
	buf[0] = '\0';
	cat_col(buf, sizeof buf, _("Time"), 19, TUI_LEFT);
	cat_col(buf, sizeof buf, _("No."), 4, TUI_RIGHT);
	cat_col(buf, sizeof buf, _("Reason"), rw, TUI_LEFT);
	cat_col(buf, sizeof buf, _("Client"), p->w - 1 - 19 - 4 - rw - 3 > 1 ? p->w - 1 - 19 - 4 - rw - 3 : 1,
		TUI_LEFT);
	pen_line(p, TUI_S_LABEL, 1, buf);
	for (int i = 0; i < s->nf; i++) {
		const struct db_failure *f = &s->failures[i];
		char no[16];
		snprintf(no, sizeof no, "%d", f->failure_no);
		buf[0] = '\0';
		cat_col(buf, sizeof buf, f->at, 19, TUI_LEFT);
		cat_col(buf, sizeof buf, f->failure_no ? no : "", 4, TUI_RIGHT);
		cat_col(buf, sizeof buf, tui_reason_label(f->reason), rw, TUI_LEFT);
		cat_col(buf, sizeof buf, f->client, p->w - 1 - 19 - 4 - rw - 3 > 1 ? p->w - 1 - 19 - 4 - rw - 3 : 1,
			TUI_LEFT);
		pen_line(p, TUI_S_NORMAL, 1, buf);
	}
}

static void requests_table(struct pen *p, const struct view *v)
{
	const struct answer *s = &((const struct helpdesk *)v->state)->a;
	char buf[1024], t[20];
	snprintf(buf, sizeof buf, s->more_reqs ? _("Requests (newest %d, more exist)") : _("Requests (%d, newest first)"),
		 s->nreq);
	pen_line(p, TUI_S_HEADING, 0, buf);
	if (s->nreq == 0) {
		pen_line(p, TUI_S_DIM, 1, _("(no requests)"));
		return;
	}
	int kw = tui_req_label_width(true), sw = tui_req_label_width(false);
	if (kw < tui_text_width(_("Kind")))
		kw = tui_text_width(_("Kind"));
	if (sw < tui_text_width(_("State")))
		sw = tui_text_width(_("State"));
	buf[0] = '\0';
	cat_col(buf, sizeof buf, _("Receipt"), 17, TUI_LEFT);
	cat_col(buf, sizeof buf, _("Kind"), kw, TUI_LEFT);
	cat_col(buf, sizeof buf, _("State"), sw, TUI_LEFT);
	cat_col(buf, sizeof buf, _("Received"), 16, TUI_LEFT);
	cat_col(buf, sizeof buf, _("Eligible"), 10, TUI_LEFT);
	cat_col(buf, sizeof buf, _("Due"), 10, TUI_LEFT);
	pen_line(p, TUI_S_LABEL, 1, buf);
	for (int i = 0; i < s->nreq; i++) {
		const struct db_request *q = &s->reqs[i];
		buf[0] = '\0';
		cat_col(buf, sizeof buf, q->receipt_no, 17, TUI_LEFT);
		cat_col(buf, sizeof buf, tui_req_kind_label(q->kind), kw, TUI_LEFT);
		cat_col(buf, sizeof buf, tui_req_state_label(q->state), sw, TUI_LEFT);
		cat_col(buf, sizeof buf, minutes(q->received_at, t), 16, TUI_LEFT);
		cat_col(buf, sizeof buf, q->eligible, 10, TUI_LEFT);
		cat_col(buf, sizeof buf, q->due, 10, TUI_LEFT);
		pen_line(p, q->is_overdue ? TUI_S_ERROR : TUI_S_NORMAL, 1, buf);
	}
}

/* The whole body; returns its lines. */
static int body(struct pen *p, const struct view *v)
{
	const struct answer *s = &((const struct helpdesk *)v->state)->a;
	const struct db_contract *c = &s->c;
	char buf[1024];
	if (c->fraud_hold_reason[0]) {
		snprintf(buf, sizeof buf, _("FRAUD HOLD since %s: %s"), c->fraud_hold_at, c->fraud_hold_reason);
		pen_para(p, TUI_S_HOLD, NULL, buf);
	}
	pen_line(p, TUI_S_HEADING, 0, _("What happened"));
	explain_state(p, v);
	pen_blank(p);
	pen_line(p, TUI_S_HEADING, 0, _("What the customer must do"));
	advise(p, v);
	pen_blank(p);
	failures_table(p, v);
	pen_blank(p);
	requests_table(p, v);
	return p->n;
}

/* ---- drawing ---------------------------------------------------------------- */

static void draw_dialog(struct view *v)
{
	struct helpdesk *s = v->state;
	struct tui_rect a = v->area;
	int w = a.w - 4 < 70 ? a.w - 4 : 70;
	int h = 9;
	struct tui_rect box = { a.y + (a.h - h) / 2, a.x + (a.w - w) / 2, h, w };
	char title[160], buf[1024];
	snprintf(title, sizeof title, s->hold_lift ? _("Lift the fraud hold on %s") : _("Set a fraud hold on %s"),
		 s->a.c.contract_id);
	struct tui_rect in = tui_box(box, title);
	tui_clear_rect(in, TUI_S_NORMAL);
	const char *label = _("Reason");
	int lw = tui_text_width(label) + 2;
	tui_put(in.y, in.x, in.w, TUI_S_DIM, TUI_LEFT,
		s->hold_lift ? _("Why is the hold lifted? (required; recorded in the audit log)")
			     : _("Why is fraud suspected? (required; recorded in the audit log)"));
	tui_put(in.y + 2, in.x, lw, TUI_S_LABEL, TUI_LEFT, label);
	if (s->mode == M_CONFIRM) {
		char reason[512];
		if (tui_field_get(&s->reason, reason, sizeof reason) != 0)
			reason[0] = '\0';
		tui_put(in.y + 2, in.x + lw, in.w - lw, TUI_S_NORMAL, TUI_LEFT, reason);
		snprintf(buf, sizeof buf,
			 s->hold_lift ? _("Lift the fraud hold on contract %s? (y: yes, n: no)")
				      : _("Set a fraud hold on contract %s? (y: yes, n: no)"),
			 s->a.c.contract_id);
		tui_put(in.y + 4, in.x, in.w, TUI_S_ERROR, TUI_LEFT, buf);
		tui_put(in.y + in.h - 1, in.x, in.w, TUI_S_DIM, TUI_LEFT, _("y: confirm   n, Esc: back to the reason"));
	} else {
		tui_put(in.y + in.h - 1, in.x, in.w, TUI_S_DIM, TUI_LEFT, _("Enter: continue   Esc: cancel"));
		tui_field_draw(v->app, &s->reason, in.y + 2, in.x + lw, in.w - lw, true);
	}
}

static void helpdesk_draw(struct view *v)
{
	struct helpdesk *s = v->state;
	struct tui_rect a = v->area;
	int x = a.x + 1, w = a.w - 2;
	const char *label = _("Contract or credential ID");
	int lw = tui_text_width(label) + 2;
	int fw = w - lw < 24 ? w - lw : 24;
	tui_put(a.y, x, lw, TUI_S_LABEL, TUI_LEFT, label);
	tui_put(a.y, x + lw + fw + 1, w - lw - fw - 1, TUI_S_DIM, TUI_LEFT,
		s->mode == M_INPUT ? _("Enter: show") : _("/: another caller"));

	if (!s->loaded) {
		struct tui_rect r = { a.y + 2, x, a.h - 2, w };
		int row = 0;
		if (s->missing[0]) {
			char buf[512];
			snprintf(buf, sizeof buf,
				 _("No contract was found for %s. Ask the caller to read the number again: the contract "
				   "ID has 10 digits, the credential ID 4 letters and 8 digits (shown in the app)."),
				 s->missing);
			row += tui_put_wrapped(r, row, TUI_S_ERROR, buf) + 1;
		}
		tui_put_wrapped(r, row, TUI_S_DIM,
				v->stale ? _("loading…")
					 : _("Type the caller's contract ID (10 digits) or credential ID (ABCD12345678) "
					     "and press Enter. Helpdesk hours: weekdays 8:45–17:15."));
		tui_field_draw(v->app, &s->query, a.y, x + lw, fw, s->mode == M_INPUT);
		return;
	}

	const struct db_contract *c = &s->a.c;
	char buf[512];
	snprintf(buf, sizeof buf, "%s  %s  %s  %s %s", c->contract_id, c->name_kanji, c->name_kana, c->branch_code,
		 c->branch_name);
	tui_put(a.y + 1, x, w, TUI_S_LABEL, TUI_LEFT, buf);
	snprintf(buf, sizeof buf, _("Credential %s   wrong codes %d of %d"), c->credential_id[0] ? c->credential_id : "-",
		 c->failure_count, c->lock_threshold);
	int sl = tui_text_width(tui_state_label(c->token_state)) + 2;
	tui_put(a.y + 2, x, sl, tui_state_style(c->token_state), TUI_LEFT, tui_state_label(c->token_state));
	tui_put(a.y + 2, x + sl, w - sl, TUI_S_NORMAL, TUI_LEFT, buf);

	/* count the lines first: with more than fit, the last row says so */
	struct pen count = { .x = x, .w = w, .top = a.y + 3, .rows = 0 };
	int total = body(&count, v);
	int rows = a.h - 3 > 1 ? a.h - 3 : 1;
	if (total > rows && rows > 1)
		rows--;
	if (s->sc.top > total - rows)
		s->sc.top = total - rows > 0 ? total - rows : 0;
	s->sc.shown = rows;
	s->sc.total = total;
	struct pen p = { .x = x, .w = w, .top = a.y + 3, .rows = rows, .scroll = s->sc.top };
	body(&p, v);
	if (s->sc.top + rows < total)
		tui_put(a.y + a.h - 1, x, w, TUI_S_DIM, TUI_RIGHT, _("(more: Down, PgDn)"));
	/* the dialog last: its field places the cursor */
	tui_field_draw(v->app, &s->query, a.y, x + lw, fw, s->mode == M_INPUT);
	if (s->mode == M_REASON || s->mode == M_CONFIRM)
		draw_dialog(v);
}

/* ---- keys ----------------------------------------------------------------- */

static bool is_loaded(const struct view *v)
{
	const struct helpdesk *s = v->state;
	return s->loaded;
}

static unsigned do_search(struct view *v)
{
	struct helpdesk *s = v->state;
	tui_field_clear(&s->query);
	s->mode = M_INPUT;
	return TUI_HANDLED;
}

static unsigned do_reload(struct view *v)
{
	struct helpdesk *s = v->state;
	s->req = HR_RELOAD;
	return TUI_HANDLED | TUI_REFRESH;
}

static unsigned do_detail(struct view *v)
{
	struct helpdesk *s = v->state;
	tui_push(v->app, &view_contract_ops, s->a.c.contract_id);
	return TUI_HANDLED;
}

static unsigned do_hold_dialog(struct view *v)
{
	struct helpdesk *s = v->state;
	s->hold_lift = s->a.c.fraud_hold_reason[0] != '\0';
	tui_field_clear(&s->reason);
	s->mode = M_REASON;
	return TUI_HANDLED;
}

static unsigned do_submit_query(struct view *v)
{
	struct helpdesk *s = v->state;
	char raw[256];
	if (tui_field_get(&s->query, raw, sizeof raw) != 0)
		raw[0] = '\0';
	tui_text_ascii_fold(s->pending, sizeof s->pending, raw);
	if (!s->pending[0]) {
		tui_status(v->app, "%s", _("type a contract ID (10 digits) or a credential ID (ABCD12345678)"));
		return TUI_HANDLED;
	}
	for (char *c = s->pending; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	s->req = HR_LOOKUP;
	return TUI_HANDLED | TUI_REFRESH;
}

static unsigned key_reason(struct view *v, int key)
{
	struct helpdesk *s = v->state;
	if (key == TUI_KEY_ESC) {
		tui_field_clear(&s->reason);
		s->mode = M_SHOW;
		tui_status(v->app, "%s", _("cancelled: the fraud hold is unchanged"));
		return TUI_HANDLED;
	}
	if (key == TUI_KEY_ENTER) {
		char reason[512];
		if (tui_field_get(&s->reason, reason, sizeof reason) != 0 || !reason[0]) {
			tui_status(v->app, "%s", _("type the reason first"));
			return TUI_HANDLED;
		}
		s->mode = M_CONFIRM;
		return TUI_HANDLED;
	}
	if (tui_field_key(&s->reason, key))
		return TUI_HANDLED;
	/* the global keys (help, quit, error details) still work */
	return key == TUI_KEY_F(1) || key == TUI_KEY_F(9) || key == TUI_KEY_F(10) || key == TUI_CTRL('l')
		       ? TUI_IGNORED
		       : TUI_HANDLED;
}

static unsigned key_confirm(struct view *v, int key)
{
	struct helpdesk *s = v->state;
	if (key == 'y' || key == 'Y') {
		s->req = HR_HOLD;
		return TUI_HANDLED | TUI_REFRESH;
	}
	if (key == 'n' || key == 'N' || key == TUI_KEY_ESC) {
		s->mode = M_REASON;
		return TUI_HANDLED;
	}
	return key == TUI_KEY_F(1) || key == TUI_KEY_F(9) || key == TUI_KEY_F(10) || key == TUI_CTRL('l')
		       ? TUI_IGNORED
		       : TUI_HANDLED;
}

/* The dialog takes every key but the global ones; the ID field takes text
 * while it has the focus; on the answer, a typed character starts the next
 * caller's ID. */
static unsigned helpdesk_key(struct view *v, int key)
{
	struct helpdesk *s = v->state;
	switch (s->mode) {
	case M_REASON:
		return key_reason(v, key);
	case M_CONFIRM:
		return key_confirm(v, key);
	case M_INPUT:
		if (key == TUI_KEY_ENTER)
			return do_submit_query(v);
		if (key == TUI_KEY_ESC && s->loaded) {
			s->mode = M_SHOW;
			tui_field_set(&s->query, s->a.c.contract_id);
			return TUI_HANDLED;
		}
		if (key == '/')
			return TUI_HANDLED;
		return tui_field_key(&s->query, key) ? TUI_HANDLED : TUI_IGNORED;
	case M_SHOW:
		break;
	}
	if (tui_key_is_text(key) && !tui_key_bound(v, key) && key != ' ') {
		tui_field_clear(&s->query);
		tui_field_key(&s->query, key);
		s->mode = M_INPUT;
		return TUI_HANDLED;
	}
	return TUI_IGNORED;
}

static const struct tui_binding helpdesk_bindings[] = {
	{ { 0 }, N_("Enter"), N_("in the ID field: show that contract"), 0, NULL, NULL, NULL },
	{ { TUI_KEY_F(2), '/' }, N_("F2, /"), N_("another caller: type a contract or credential ID"), 2, N_("Search"),
	  do_search, NULL },
	{ { TUI_KEY_F(3) }, N_("F3"), N_("the contract's detail screen"), 3, N_("Detail"), do_detail, is_loaded },
	{ { TUI_KEY_F(5) }, N_("F5"), N_("read the contract again"), 5, N_("Reload"), do_reload, is_loaded },
	{ { TUI_KEY_F(6) }, N_("F6"), N_("set or lift a fraud hold (reason required, confirmed with y)"), 6,
	  N_("Hold"), do_hold_dialog, is_loaded },
	{ { TUI_FN(KEY_DOWN), 'j' }, N_("Down, j"), N_("scroll down"), 0, NULL, tui_scroll_down, NULL },
	{ { TUI_FN(KEY_UP), 'k' }, N_("Up, k"), N_("scroll up"), 0, NULL, tui_scroll_up, NULL },
	{ { TUI_FN(KEY_NPAGE), ' ' }, N_("PgDn, Space"), N_("next page"), 0, NULL, tui_scroll_pgdn, NULL },
	{ { TUI_FN(KEY_PPAGE) }, N_("PgUp"), N_("previous page"), 0, NULL, tui_scroll_pgup, NULL },
	{ { TUI_FN(KEY_HOME), 'g' }, N_("Home, g"), N_("top of the answer"), 0, NULL, tui_scroll_top, NULL },
	{ { TUI_FN(KEY_END), 'G' }, N_("End, G"), N_("end of the answer (failures and requests)"), 0, NULL, tui_scroll_end,
	  NULL },
	{ { 0 }, N_("y, n"), N_("in the hold dialog: confirm or go back"), 0, NULL, NULL, NULL },
	TUI_FIELD_HELP,
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

const struct view_ops view_helpdesk_ops = {
	.name = "helpdesk",
	.title = N_("Helpdesk status"),
	.state_size = sizeof(struct helpdesk),
	.open = helpdesk_open,
	.close = helpdesk_close,
	.refresh = helpdesk_refresh,
	.draw = helpdesk_draw,
	.key = helpdesk_key,
	.bindings = helpdesk_bindings,
};
