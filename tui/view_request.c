/* view_request: the teller's form for a new UNLOCK or RESET request, filled
 * in from the paper form at the counter: contract, kind, form number, the
 * identity document(s) with their acceptance rules shown as the teller picks
 * one, the name/address/seal checks and notes. Input is checked as it is
 * typed (shapes only: the server decides everything else); F2 shows a
 * summary to confirm, and only then db_request_submit() runs, in refresh().
 * A refusal keeps every field and shows the server's reason; success shows
 * the receipt number to write on the paper form. A My Number typed into the
 * notes is flagged at once and never sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/workflow.h"
#include "tui/tui.h"

#define MAX_DOCS 32

enum field { F_CONTRACT, F_KIND, F_FORM, F_DOC, F_ISSUED, F_DOC2, F_NAME, F_ADDR, F_SEAL, F_NOTES, F_COUNT };
enum answer { ANS_UNSET, ANS_YES, ANS_NO };
enum mode { M_FORM, M_MENU, M_CONFIRM, M_DONE };

struct request {
	/* the form: everything the teller typed or chose, kept across refusals,
	 * lost connections and resizes */
	struct tui_field contract, form, issued, notes;
	enum db_req_kind kind;
	int doc;			/* index into docs, -1 none */
	int doc2;			/* index into docs, -1 none */
	enum answer ans[3];		/* name, address, seal */
	enum field focus;
	enum mode mode;
	int menu_for;			/* F_DOC or F_DOC2 while the menu is open */
	int menu_sel;

	/* what refresh() is to do */
	bool want_docs, want_contract, want_submit;

	/* loaded */
	struct db_id_doc_type docs[MAX_DOCS];
	int ndocs;
	bool docs_loaded;
	char loaded_id[16];		/* contract ID of c (or of the failed lookup) */
	bool contract_ok;
	char contract_msg[512];		/* why the lookup failed */
	struct db_contract c;

	struct db_receipt receipt;	/* M_DONE */
};

static const char *const answer_field_label[3] = { N_("Name matches"), N_("Address matches"), N_("Seal check") };

static int request_open(struct view *v, const void *arg, struct otp_err *err)
{
	(void)err;
	struct request *s = v->state;
	tui_field_init(&s->contract, 10, false);
	tui_field_init(&s->form, 20, false);
	tui_field_init(&s->issued, 10, false);
	tui_field_init(&s->notes, TUI_FIELD_MAX, false);
	s->doc = s->doc2 = -1;
	s->kind = DB_REQ_UNLOCK;
	s->want_docs = true;
	if (arg && *(const char *)arg) {
		tui_field_set(&s->contract, arg);
		s->want_contract = true;
		s->focus = F_KIND;
	}
	v->stale = true;
	return 0;
}

/* ---- pure checks of what was typed ---------------------------------------- */

/* The contract field folded to ASCII. */
static void contract_text(const struct request *s, char *out, size_t size)
{
	char raw[128];
	if (tui_field_get(&s->contract, raw, sizeof raw) != 0)
		raw[0] = '\0';
	tui_text_ascii_fold(out, size, raw);
}

static bool contract_valid(const char *id)
{
	if (strlen(id) != 10)
		return false;
	for (const char *p = id; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* A translated message about the contract ID as typed, "" when it is fine.
 * *bad says it is wrong (not merely incomplete). */
static void contract_msg(const char *id, char *msg, size_t size, bool *bad)
{
	*bad = false;
	msg[0] = '\0';
	size_t n = strlen(id);
	for (size_t i = 0; i < n; i++)
		if (id[i] < '0' || id[i] > '9') {
			*bad = true;
			snprintf(msg, size, _("'%c' at position %zu is not a digit"), id[i], i + 1);
			return;
		}
	if (n == 0)
		snprintf(msg, size, "%s", _("10 digits, from the paper form"));
	else if (n < 10)
		snprintf(msg, size, _("%zu of 10 digits"), n);
}

static void field_text(const struct tui_field *f, char *out, size_t size)
{
	if (tui_field_get(f, out, size) != 0)
		out[0] = '\0';
}

/* Form number: 1-20 of [0-9A-Za-z-]; msg "" when fine. */
static bool form_check(const char *form, char *msg, size_t size)
{
	msg[0] = '\0';
	if (!form[0]) {
		snprintf(msg, size, "%s", _("1-20 of A-Z a-z 0-9 -"));
		return false;
	}
	for (const char *p = form; *p; p++) {
		char c = *p;
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-')) {
			snprintf(msg, size, "%s", _("only A-Z a-z 0-9 and - allowed"));
			return false;
		}
	}
	if (db_has_my_number(form)) {
		snprintf(msg, size, "%s", _("12 digits: may be a My Number"));
		return false;
	}
	return true;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* A real calendar date YYYY-MM-DD. */
static bool date_valid(const char *d)
{
	if (strlen(d) != 10 || d[4] != '-' || d[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
			return false;
	int y = atoi(d), m = atoi(d + 5), day = atoi(d + 8);
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1900 || m < 1 || m > 12 || day < 1)
		return false;
	return day <= mdays[m - 1] + (m == 2 && leap(y));
}

static const struct db_id_doc_type *doc_of(const struct request *s, int i)
{
	return i >= 0 && i < s->ndocs ? &s->docs[i] : NULL;
}

/* The issue date is asked for documents whose address depends on it (passport). */
static bool needs_issued(const struct request *s)
{
	const struct db_id_doc_type *d = doc_of(s, s->doc);
	return d && d->no_address_if_issued_from[0];
}

/* 1: a second document showing the address is needed; 0: not; -1: cannot
 * tell yet (the issue date is missing). */
static int needs_doc2(const struct request *s)
{
	const struct db_id_doc_type *d = doc_of(s, s->doc);
	if (!d)
		return 0;
	if (!d->has_address)
		return 1;
	if (!d->no_address_if_issued_from[0])
		return 0;
	char iss[64];
	field_text(&s->issued, iss, sizeof iss);
	if (!date_valid(iss))
		return -1;
	return strcmp(iss, d->no_address_if_issued_from) >= 0;
}

/* A document that proves the address by itself may be the second one. */
static bool doc2_candidate(const struct db_id_doc_type *d)
{
	return d->has_address && !d->no_address_if_issued_from[0];
}

static const char *doc_name(const struct view *v, const struct db_id_doc_type *d, char *buf, size_t size)
{
	if (v->app->ja || !d->name_en[0])
		snprintf(buf, size, "%s", d->name_ja);
	else
		snprintf(buf, size, "%s (%s)", d->name_en, d->name_ja);
	return buf;
}

/* The rules of a document type in words, one line. */
static void doc_rules(const struct db_id_doc_type *d, char *buf, size_t size)
{
	char part[256];
	buf[0] = '\0';
	snprintf(part, sizeof part, "%s", d->accepted_today ? _("accepted today") : _("NOT accepted today"));
	strncat(buf, part, size - strlen(buf) - 1);
	if (d->accepted_from[0]) {
		snprintf(part, sizeof part, _("; accepted from %s"), d->accepted_from);
		strncat(buf, part, size - strlen(buf) - 1);
	}
	if (d->accepted_until[0]) {
		snprintf(part, sizeof part, _("; accepted until %s"), d->accepted_until);
		strncat(buf, part, size - strlen(buf) - 1);
	}
	if (!d->has_address)
		snprintf(part, sizeof part, "%s", _("; shows no address: a second document is needed"));
	else if (d->no_address_if_issued_from[0])
		snprintf(part, sizeof part,
			 _("; issue date needed: no address if issued on or after %s (then a second document)"),
			 d->no_address_if_issued_from);
	else
		snprintf(part, sizeof part, "%s", _("; shows the address"));
	strncat(buf, part, size - strlen(buf) - 1);
}

/* Every check before the confirmation; returns the field to fix (msg says
 * why) or F_COUNT when the form may be sent. */
static enum field form_ready(const struct request *s, char *msg, size_t size)
{
	char id[64], form[64], iss[64], notes[TUI_FIELD_MAX * 4 + 1];
	bool bad;
	contract_text(s, id, sizeof id);
	if (!contract_valid(id)) {
		contract_msg(id, msg, size, &bad);
		return F_CONTRACT;
	}
	if (!s->contract_ok || strcmp(s->loaded_id, id) != 0) {
		snprintf(msg, size, "%s", s->contract_msg[0] ? s->contract_msg : _("the contract is not loaded yet"));
		return F_CONTRACT;
	}
	field_text(&s->form, form, sizeof form);
	if (!form_check(form, msg, size)) {
		if (!form[0])
			snprintf(msg, size, "%s", _("type the form number printed on the paper form"));
		return F_FORM;
	}
	if (!doc_of(s, s->doc)) {
		snprintf(msg, size, "%s", _("choose the identity document the customer showed"));
		return F_DOC;
	}
	if (needs_issued(s)) {
		field_text(&s->issued, iss, sizeof iss);
		if (!date_valid(iss)) {
			snprintf(msg, size, "%s", _("type the document's issue date as YYYY-MM-DD"));
			return F_ISSUED;
		}
	}
	if (needs_doc2(s) == 1 && !doc_of(s, s->doc2)) {
		snprintf(msg, size, "%s", _("this document shows no address: choose a second document with the address"));
		return F_DOC2;
	}
	for (int i = 0; i < 3; i++)
		if (s->ans[i] == ANS_UNSET) {
			snprintf(msg, size, _("answer \"%s\" with y or n"), _(answer_field_label[i]));
			return (enum field)(F_NAME + i);
		}
	field_text(&s->notes, notes, sizeof notes);
	if (db_has_my_number(notes)) {
		snprintf(msg, size, "%s",
			 _("the notes hold 12 digits in a row, which may be a My Number: remove them (it is never stored)"));
		return F_NOTES;
	}
	msg[0] = '\0';
	return F_COUNT;
}

/* ---- database ---------------------------------------------------------------- */

static int do_submit(struct view *v, struct otp_err *err)
{
	struct request *s = v->state;
	char id[64], form[64], iss[64], notes[TUI_FIELD_MAX * 4 + 1], msg[512];
	if (form_ready(s, msg, sizeof msg) != F_COUNT) {
		s->mode = M_FORM;
		return otp_err_set(err, OTP_ERR_USAGE, "%s", msg);
	}
	contract_text(s, id, sizeof id);
	field_text(&s->form, form, sizeof form);
	field_text(&s->issued, iss, sizeof iss);
	field_text(&s->notes, notes, sizeof notes);
	const struct db_id_doc_type *d2 = needs_doc2(s) == 1 ? doc_of(s, s->doc2) : NULL;
	struct db_request_new rq = {
		.contract_id = id,
		.kind = s->kind,
		.form_no = form,
		.doc_type = s->docs[s->doc].code,
		.doc2_type = d2 ? d2->code : NULL,
		.doc_issued = needs_issued(s) ? iss : NULL,
		.name_matched = s->ans[0] == ANS_YES,
		.address_matched = s->ans[1] == ANS_YES,
		.seal_match = s->ans[2] == ANS_YES,
		.notes = notes[0] ? notes : NULL,
	};
	struct db_receipt r;
	if (db_request_submit(v->app->db, &rq, &r, err) != 0) {
		if (err->kind != OTP_ERR_CONNLOST)
			s->mode = M_FORM;	/* every field stays as typed */
		return -1;
	}
	s->receipt = r;
	s->mode = M_DONE;
	tui_status(v->app, _("request %s submitted: write the receipt number on the paper form"), r.receipt_no);
	return 0;
}

static int request_refresh(struct view *v, struct otp_err *err)
{
	struct request *s = v->state;
	if (s->want_docs) {
		if (db_id_doc_types(v->app->db, s->docs, MAX_DOCS, &s->ndocs, err) != 0) {
			if (err->kind != OTP_ERR_CONNLOST)
				s->want_docs = false;
			return -1;
		}
		s->docs_loaded = true;
		s->want_docs = false;
	}
	if (s->want_contract) {
		char id[64];
		contract_text(s, id, sizeof id);
		if (!contract_valid(id)) {
			s->want_contract = false;
		} else {
			struct db_contract c;
			if (db_contract_get(v->app->db, id, &c, err) != 0) {
				if (err->kind == OTP_ERR_CONNLOST)
					return -1;
				s->want_contract = false;
				s->contract_ok = false;
				otp_strlcpy(s->loaded_id, id, sizeof s->loaded_id);
				otp_strlcpy(s->contract_msg, err->message, sizeof s->contract_msg);
				return -1;
			}
			s->c = c;
			s->contract_ok = true;
			s->contract_msg[0] = '\0';
			otp_strlcpy(s->loaded_id, id, sizeof s->loaded_id);
			s->want_contract = false;
		}
	}
	if (s->want_submit) {
		int rc = do_submit(v, err);
		if (rc != 0 && err->kind == OTP_ERR_CONNLOST)
			return -1;	/* sent again after the reconnect */
		s->want_submit = false;
		return rc;
	}
	return 0;
}

/* ---- keys ------------------------------------------------------------------- */

static bool field_shown(const struct request *s, enum field f)
{
	if (f == F_ISSUED)
		return needs_issued(s);
	if (f == F_DOC2)
		return needs_doc2(s) != 0;
	return true;
}

static void move_focus(struct request *s, int d)
{
	int f = (int)s->focus;
	for (int i = 0; i < F_COUNT; i++) {
		f = (f + d + F_COUNT) % F_COUNT;
		if (field_shown(s, (enum field)f))
			break;
	}
	s->focus = (enum field)f;
}

/* After an edit of the contract field: look the contract up once it is a
 * valid ID different from the one shown. */
static unsigned contract_edited(struct view *v)
{
	struct request *s = v->state;
	char id[64];
	contract_text(s, id, sizeof id);
	if (contract_valid(id) && strcmp(id, s->loaded_id) != 0) {
		s->want_contract = true;
		return TUI_HANDLED | TUI_REFRESH;
	}
	if (!contract_valid(id)) {
		s->contract_ok = false;
		s->loaded_id[0] = '\0';
		s->contract_msg[0] = '\0';
	}
	return TUI_HANDLED;
}

/* Step a document choice: doc1 over every type, doc2 over none + the types
 * that show the address. */
static void cycle_doc(struct request *s, enum field f, int d)
{
	int *cur = f == F_DOC ? &s->doc : &s->doc2;
	int n = s->ndocs;
	if (n == 0)
		return;
	int i = *cur;
	for (int k = 0; k <= n; k++) {
		i += d;
		if (i < -1)
			i = n - 1;
		if (i >= n)
			i = -1;
		if (i == -1 ? f == F_DOC2 : (f == F_DOC || doc2_candidate(&s->docs[i])))
			break;
	}
	*cur = i;
}

static unsigned open_menu(struct view *v)
{
	struct request *s = v->state;
	if (s->ndocs == 0) {
		tui_status(v->app, "%s", _("the list of identity documents is not loaded"));
		return TUI_HANDLED;
	}
	s->mode = M_MENU;
	s->menu_for = s->focus;
	int cur = s->focus == F_DOC ? s->doc : s->doc2;
	s->menu_sel = cur >= 0 ? cur : 0;
	if (s->focus == F_DOC2 && cur < 0)
		s->menu_sel = -1;
	return TUI_HANDLED;
}

static bool menu_item_ok(const struct request *s, int i)
{
	if (i == -1)
		return s->menu_for == F_DOC2;
	return s->menu_for == F_DOC || doc2_candidate(&s->docs[i]);
}

static unsigned menu_key(struct view *v, int key)
{
	struct request *s = v->state;
	int d = 0;
	if (key == TUI_FN(KEY_DOWN) || key == 'j')
		d = 1;
	else if (key == TUI_FN(KEY_UP) || key == 'k')
		d = -1;
	if (d) {
		int i = s->menu_sel;
		for (int k = 0; k <= s->ndocs + 1; k++) {
			i += d;
			if (i < -1 || i >= s->ndocs)
				return TUI_HANDLED;	/* stay at the ends */
			if (menu_item_ok(s, i)) {
				s->menu_sel = i;
				break;
			}
		}
		return TUI_HANDLED;
	}
	if (key == TUI_KEY_ENTER || key == ' ') {
		if (s->menu_for == F_DOC)
			s->doc = s->menu_sel;
		else
			s->doc2 = s->menu_sel;
		s->mode = M_FORM;
		move_focus(s, 1);
		return TUI_HANDLED;
	}
	if (key == TUI_KEY_ESC) {
		s->mode = M_FORM;
		return TUI_HANDLED;
	}
	if (key == TUI_KEY_F(1) || key == TUI_KEY_F(10) || key == TUI_CTRL('l') || key == TUI_KEY_F(9))
		return TUI_IGNORED;
	return TUI_HANDLED;
}

static unsigned confirm_key(struct view *v, int key)
{
	struct request *s = v->state;
	if (key == 'y' || key == 'Y') {
		s->want_submit = true;
		return TUI_HANDLED | TUI_REFRESH;
	}
	if (key == 'n' || key == 'N' || key == TUI_KEY_ESC) {
		s->mode = M_FORM;
		tui_status(v->app, "%s", _("not submitted: the form is as you left it"));
		return TUI_HANDLED;
	}
	if (key == TUI_KEY_F(1) || key == TUI_KEY_F(10) || key == TUI_CTRL('l') || key == TUI_KEY_F(9))
		return TUI_IGNORED;
	return TUI_HANDLED;
}

static void reset_form(struct request *s)
{
	tui_field_clear(&s->contract);
	tui_field_clear(&s->form);
	tui_field_clear(&s->issued);
	tui_field_clear(&s->notes);
	s->kind = DB_REQ_UNLOCK;
	s->doc = s->doc2 = -1;
	memset(s->ans, 0, sizeof s->ans);
	s->contract_ok = false;
	s->loaded_id[0] = '\0';
	s->contract_msg[0] = '\0';
	s->focus = F_CONTRACT;
	s->mode = M_FORM;
	memset(&s->receipt, 0, sizeof s->receipt);
}

static unsigned request_key(struct view *v, int key)
{
	struct request *s = v->state;
	switch (s->mode) {
	case M_MENU:
		return menu_key(v, key);
	case M_CONFIRM:
		return confirm_key(v, key);
	case M_DONE:
		return TUI_IGNORED;
	case M_FORM:
		break;
	}
	struct tui_field *text = s->focus == F_CONTRACT ? &s->contract
				 : s->focus == F_FORM	? &s->form
				 : s->focus == F_ISSUED ? &s->issued
				 : s->focus == F_NOTES	? &s->notes
							: NULL;
	if (text) {
		/* navigation keys stay with the bindings */
		if (key == TUI_KEY_ENTER || key == TUI_KEY_TAB)
			return TUI_IGNORED;
		if (s->focus == F_CONTRACT && tui_key_is_text(key)) {
			/* full-width digits typed with an IME count as digits */
			if (key >= 0xFF10 && key <= 0xFF19)
				key = '0' + (key - 0xFF10);
		}
		if (!tui_field_key(text, key))
			return TUI_IGNORED;
		return s->focus == F_CONTRACT ? contract_edited(v) : TUI_HANDLED;
	}
	int ai = s->focus - F_NAME;
	switch (s->focus) {
	case F_KIND:
		if (key == ' ' || key == TUI_FN(KEY_LEFT) || key == TUI_FN(KEY_RIGHT)) {
			s->kind = s->kind == DB_REQ_UNLOCK ? DB_REQ_RESET : DB_REQ_UNLOCK;
			return TUI_HANDLED;
		}
		if (key == 'u' || key == 'U') {
			s->kind = DB_REQ_UNLOCK;
			return TUI_HANDLED;
		}
		if (key == 'r' || key == 'R') {
			s->kind = DB_REQ_RESET;
			return TUI_HANDLED;
		}
		break;
	case F_DOC:
	case F_DOC2:
		if (key == TUI_FN(KEY_LEFT) || key == TUI_FN(KEY_RIGHT) || key == ' ') {
			cycle_doc(s, s->focus, key == TUI_FN(KEY_LEFT) ? -1 : 1);
			return TUI_HANDLED;
		}
		if (key == TUI_KEY_ENTER)
			return open_menu(v);
		break;
	case F_NAME:
	case F_ADDR:
	case F_SEAL:
		if (key == 'y' || key == 'Y') {
			s->ans[ai] = ANS_YES;
			move_focus(s, 1);
			return TUI_HANDLED;
		}
		if (key == 'n' || key == 'N') {
			s->ans[ai] = ANS_NO;
			move_focus(s, 1);
			return TUI_HANDLED;
		}
		if (key == ' ' || key == TUI_FN(KEY_LEFT) || key == TUI_FN(KEY_RIGHT)) {
			s->ans[ai] = s->ans[ai] == ANS_YES ? ANS_NO : ANS_YES;
			return TUI_HANDLED;
		}
		break;
	default:
		break;
	}
	return TUI_IGNORED;
}

static bool in_form(const struct view *v)
{
	const struct request *s = v->state;
	return s->mode == M_FORM;
}

static bool is_done(const struct view *v)
{
	const struct request *s = v->state;
	return s->mode == M_DONE;
}

static unsigned do_next(struct view *v)
{
	struct request *s = v->state;
	if (s->mode != M_FORM)
		return TUI_IGNORED;
	move_focus(s, 1);
	return TUI_HANDLED;
}

static unsigned do_prev(struct view *v)
{
	struct request *s = v->state;
	if (s->mode != M_FORM)
		return TUI_IGNORED;
	move_focus(s, -1);
	return TUI_HANDLED;
}

static unsigned do_submit_key(struct view *v)
{
	struct request *s = v->state;
	char msg[512];
	if (s->mode != M_FORM)
		return TUI_HANDLED;
	enum field f = form_ready(s, msg, sizeof msg);
	if (f != F_COUNT) {
		s->focus = f;
		struct otp_err e;
		otp_err_clear(&e);
		otp_err_set(&e, OTP_ERR_USAGE, "%s", msg);
		tui_error(v->app, &e);
		return TUI_HANDLED;
	}
	s->mode = M_CONFIRM;
	return TUI_HANDLED;
}

static unsigned do_new(struct view *v)
{
	struct request *s = v->state;
	reset_form(s);
	tui_status(v->app, "%s", _("a new, empty form"));
	return TUI_HANDLED;
}

static unsigned do_open_request(struct view *v)
{
	struct request *s = v->state;
	if (s->mode == M_DONE && s->receipt.receipt_no[0])
		tui_push(v->app, &view_reqdetail_ops, s->receipt.receipt_no);
	return TUI_HANDLED;
}

static unsigned do_reload(struct view *v)
{
	struct request *s = v->state;
	char id[64];
	contract_text(s, id, sizeof id);
	s->want_docs = true;
	s->want_contract = contract_valid(id);
	if (s->want_contract)
		s->loaded_id[0] = '\0';
	return TUI_HANDLED | TUI_REFRESH;
}

static const struct tui_binding request_bindings[] = {
	{ { TUI_KEY_TAB, TUI_FN(KEY_DOWN), TUI_KEY_ENTER }, N_("Tab, Down, Enter"), N_("next field"), 0, NULL, do_next,
	  NULL },
	{ { TUI_FN(KEY_BTAB), TUI_FN(KEY_UP) }, N_("Shift-Tab, Up"), N_("previous field"), 0, NULL, do_prev, NULL },
	{ { 0 }, N_("Space, Left, Right"), N_("change a choice (kind, document, yes/no)"), 0, NULL, NULL, NULL },
	{ { 0 }, N_("u, r"), N_("request kind: UNLOCK or RESET"), 0, NULL, NULL, NULL },
	{ { 0 }, N_("y, n"), N_("answer a check: yes or no"), 0, NULL, NULL, NULL },
	{ { 0 }, N_("Enter (on a document)"), N_("the list of identity documents with their rules"), 0, NULL, NULL,
	  NULL },
	{ { TUI_KEY_F(2) }, N_("F2"), N_("submit: check the form, then confirm with y"), 2, N_("Submit"), do_submit_key,
	  in_form },
	{ { TUI_KEY_F(3) }, N_("F3"), N_("after submitting: open the request"), 3, N_("Open"), do_open_request,
	  is_done },
	{ { TUI_KEY_F(5) }, N_("F5"), N_("read the contract and the document list again"), 5, N_("Reload"), do_reload,
	  in_form },
	{ { TUI_KEY_F(6) }, N_("F6"), N_("start a new, empty form"), 6, N_("New"), do_new, NULL },
	TUI_FIELD_HELP,
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

/* ---- drawing ------------------------------------------------------------------ */

struct layout {
	int x, lw, vx, vw;	/* label column, value column */
};

static void label(const struct view *v, const struct layout *L, int y, enum field f, const char *text)
{
	const struct request *s = v->state;
	bool focus = s->mode == M_FORM && s->focus == f;
	char buf[160];
	snprintf(buf, sizeof buf, "%s%s", focus ? "> " : "  ", text);
	tui_put(y, L->x, L->lw, focus ? TUI_S_SELECTED : TUI_S_LABEL, TUI_LEFT, buf);
}

static void choice(int y, int x, bool on, bool focus, const char *text, int *w)
{
	char buf[160];
	snprintf(buf, sizeof buf, "(%c) %s", on ? '*' : ' ', text);
	int tw = tui_text_width(buf);
	tui_put(y, x, tw, on ? (focus ? TUI_S_FIELD_FOCUS : TUI_S_LABEL) : TUI_S_NORMAL, TUI_LEFT, buf);
	*w = tw + 3;
}

static void draw_answer(const struct view *v, const struct layout *L, int y, int i, const char *help)
{
	const struct request *s = v->state;
	bool focus = s->mode == M_FORM && (int)s->focus == F_NAME + i;
	int w, x = L->vx;
	label(v, L, y, (enum field)(F_NAME + i), _(answer_field_label[i]));
	choice(y, x, s->ans[i] == ANS_YES, focus, _("yes"), &w);
	x += w;
	choice(y, x, s->ans[i] == ANS_NO, focus, _("no"), &w);
	x += w;
	tui_put(y, x, L->vx + L->vw - x, s->ans[i] == ANS_NO ? TUI_S_ERROR : TUI_S_DIM, TUI_LEFT,
		s->ans[i] == ANS_NO ? _("mismatch: the server will refuse") : help);
}

static void draw_doc(const struct view *v, const struct layout *L, int y, enum field f, int idx,
		     const char *none_text)
{
	const struct request *s = v->state;
	bool focus = s->mode == M_FORM && s->focus == f;
	char name[300], buf[400];
	const struct db_id_doc_type *d = doc_of(s, idx);
	if (d)
		snprintf(buf, sizeof buf, "< %s >", doc_name(v, d, name, sizeof name));
	else
		snprintf(buf, sizeof buf, "< %s >", none_text);
	tui_put(y, L->vx, L->vw, focus ? TUI_S_FIELD_FOCUS : TUI_S_FIELD, TUI_LEFT, buf);
	if (focus)
		tui_cursor(v->app, y, L->vx + 2);
}

static void draw_contract_info(const struct view *v, const struct layout *L, int y)
{
	const struct request *s = v->state;
	char id[64], msg[512];
	bool bad;
	contract_text(s, id, sizeof id);
	int x = L->vx + 12, w = L->vx + L->vw - x;
	contract_msg(id, msg, sizeof msg, &bad);
	if (msg[0]) {
		tui_put(y, x, w, bad ? TUI_S_ERROR : TUI_S_DIM, TUI_LEFT, msg);
		return;
	}
	if (strcmp(s->loaded_id, id) != 0) {
		tui_put(y, x, w, TUI_S_DIM, TUI_LEFT, _("looking the contract up…"));
		return;
	}
	if (!s->contract_ok) {
		tui_put(y, x, w, TUI_S_ERROR, TUI_LEFT, s->contract_msg);
		return;
	}
	const struct db_contract *c = &s->c;
	char buf[600];
	snprintf(buf, sizeof buf, "%s  %s", c->name_kanji, c->name_kana);
	tui_put(y, x, w, TUI_S_LABEL, TUI_LEFT, buf);
	snprintf(buf, sizeof buf, _("branch %s %s   token: "), c->branch_code, c->branch_name);
	int bw = tui_text_width(buf);
	tui_put(y + 1, L->vx, bw, TUI_S_NORMAL, TUI_LEFT, buf);
	tui_put(y + 1, L->vx + bw, L->vw - bw, tui_state_style(c->token_state), TUI_LEFT,
		tui_state_label(c->token_state));
	if (c->fraud_hold_reason[0]) {
		int sw = tui_text_width(tui_state_label(c->token_state)) + 2;
		snprintf(buf, sizeof buf, _("FRAUD HOLD: %s"), c->fraud_hold_reason);
		tui_put(y + 1, L->vx + bw + sw, L->vw - bw - sw, TUI_S_HOLD, TUI_LEFT, buf);
	}
}

static void draw_menu(const struct view *v)
{
	const struct request *s = v->state;
	struct tui_rect a = v->area;
	int h = s->ndocs + 7 + (s->menu_for == F_DOC2);
	if (h > a.h)
		h = a.h;
	int w = a.w - 6 < 76 ? a.w - 6 : 76;
	struct tui_rect box = { a.y + 3, a.x + (a.w - w) / 2, h, w };
	if (box.y + h > a.y + a.h)
		box.y = a.y + a.h - h;
	tui_clear_rect((struct tui_rect){ box.y, a.x, box.h, a.w }, TUI_S_NORMAL);
	struct tui_rect in = tui_box(box, s->menu_for == F_DOC ? _("Identity document") : _("Second document"));
	tui_clear_rect(in, TUI_S_NORMAL);
	int row = 0;
	char name[300], buf[400];
	for (int i = s->menu_for == F_DOC2 ? -1 : 0; i < s->ndocs && row < in.h - 4; i++) {
		bool ok = menu_item_ok(s, i);
		if (i >= 0)
			doc_name(v, &s->docs[i], name, sizeof name);
		snprintf(buf, sizeof buf, " %s%s", i >= 0 ? name : _("(none)"),
			 i >= 0 && !s->docs[i].accepted_today ? _("  [not accepted today]") : "");
		enum tui_style st = i == s->menu_sel ? TUI_S_SELECTED : ok ? TUI_S_NORMAL : TUI_S_DIM;
		tui_put(in.y + row++, in.x, in.w, st, TUI_LEFT, buf);
	}
	const struct db_id_doc_type *d = doc_of(s, s->menu_sel);
	struct tui_rect r = { in.y + in.h - 4, in.x, 4, in.w };
	if (d) {
		doc_rules(d, buf, sizeof buf);
		char all[1024];
		snprintf(all, sizeof all, "%s%s%s", buf, d->note[0] ? ". " : "", d->note);
		tui_put_wrapped(r, 0, d->accepted_today ? TUI_S_INFO : TUI_S_ERROR, all);
	} else {
		tui_put_wrapped(r, 0, TUI_S_DIM, _("Up/Down: choose   Enter: take it   Esc: keep the old choice"));
	}
}

static void draw_confirm(const struct view *v)
{
	const struct request *s = v->state;
	struct tui_rect a = v->area;
	int w = a.w - 6 < 74 ? a.w - 6 : 74, h = a.h - 2 < 10 ? a.h - 2 : 10;
	struct tui_rect box = { a.y + (a.h - h) / 2, a.x + (a.w - w) / 2, h, w };
	tui_clear_rect((struct tui_rect){ box.y, a.x, box.h, a.w }, TUI_S_NORMAL);
	struct tui_rect in = tui_box(box, _("Submit this request?"));
	tui_clear_rect(in, TUI_S_NORMAL);
	char form[64], iss[64], notes[TUI_FIELD_MAX * 4 + 1], buf[800], n1[300], n2[300];
	field_text(&s->form, form, sizeof form);
	field_text(&s->issued, iss, sizeof iss);
	field_text(&s->notes, notes, sizeof notes);
	const struct db_id_doc_type *d1 = doc_of(s, s->doc);
	const struct db_id_doc_type *d2 = needs_doc2(s) == 1 ? doc_of(s, s->doc2) : NULL;
	const char *labels[] = { _("Contract"), _("Kind"), _("Form number"), _("Document"), _("Checks"), _("Notes") };
	int lw = 0;
	for (int i = 0; i < 6; i++)
		if (tui_text_width(labels[i]) > lw)
			lw = tui_text_width(labels[i]);
	lw += 2;
	int y = in.y, vw = in.w - lw;
	snprintf(buf, sizeof buf, "%s  %s  %s", s->c.contract_id, s->c.name_kanji, s->c.name_kana);
	tui_put(y, in.x, lw, TUI_S_LABEL, TUI_LEFT, labels[0]);
	tui_put(y++, in.x + lw, vw, TUI_S_NORMAL, TUI_LEFT, buf);
	tui_put(y, in.x, lw, TUI_S_LABEL, TUI_LEFT, labels[1]);
	tui_put(y++, in.x + lw, vw, s->kind == DB_REQ_RESET ? TUI_S_ERROR : TUI_S_NORMAL, TUI_LEFT,
		s->kind == DB_REQ_RESET ? _("RESET (the credential is revoked; the customer registers again)")
					: _("UNLOCK (the token becomes usable again)"));
	tui_put(y, in.x, lw, TUI_S_LABEL, TUI_LEFT, labels[2]);
	tui_put(y++, in.x + lw, vw, TUI_S_NORMAL, TUI_LEFT, form);
	if (d1) {
		doc_name(v, d1, n1, sizeof n1);
		if (needs_issued(s))
			snprintf(buf, sizeof buf, _("%s, issued %s"), n1, iss);
		else
			snprintf(buf, sizeof buf, "%s", n1);
		if (d2) {
			size_t l = strlen(buf);
			snprintf(buf + l, sizeof buf - l, " + %s", doc_name(v, d2, n2, sizeof n2));
		}
	}
	tui_put(y, in.x, lw, TUI_S_LABEL, TUI_LEFT, labels[3]);
	tui_put(y++, in.x + lw, vw, TUI_S_NORMAL, TUI_LEFT, buf);
	snprintf(buf, sizeof buf, _("name %s, address %s, seal %s"), s->ans[0] == ANS_YES ? _("yes") : _("no"),
		 s->ans[1] == ANS_YES ? _("yes") : _("no"), s->ans[2] == ANS_YES ? _("matches") : _("DOES NOT MATCH"));
	tui_put(y, in.x, lw, TUI_S_LABEL, TUI_LEFT, labels[4]);
	tui_put(y++, in.x + lw, vw, TUI_S_NORMAL, TUI_LEFT, buf);
	tui_put(y, in.x, lw, TUI_S_LABEL, TUI_LEFT, labels[5]);
	tui_put(y++, in.x + lw, vw, TUI_S_NORMAL, TUI_LEFT, notes[0] ? notes : "-");
	y++;
	tui_put(y, in.x, in.w, TUI_S_HEADING, TUI_LEFT, _("y: submit   n or Esc: back to the form"));
}

static void draw_done(const struct view *v)
{
	const struct request *s = v->state;
	struct tui_rect a = v->area;
	int w = a.w - 6 < 70 ? a.w - 6 : 70, h = a.h - 2 < 13 ? a.h - 2 : 13;
	struct tui_rect box = { a.y + 1, a.x + (a.w - w) / 2, h, w };
	struct tui_rect in = tui_box(box, _("Request submitted"));
	const struct db_receipt *r = &s->receipt;
	char buf[400];
	int y = in.y + 1;
	tui_put(y++, in.x, in.w, TUI_S_LABEL, TUI_CENTER, _("Receipt number"));
	snprintf(buf, sizeof buf, "  %s  ", r->receipt_no);
	int rw = tui_text_width(buf);
	tui_put(y - 0, in.x + (in.w - rw) / 2, rw, TUI_S_HEADER, TUI_LEFT, buf);
	y += 2;
	tui_put(y++, in.x, in.w, TUI_S_ERROR, TUI_CENTER, _("Write this receipt number on the paper form."));
	y++;
	snprintf(buf, sizeof buf, _("Day 1: %s    eligible: %s    due: %s"), r->day1, r->eligible, r->due);
	tui_put(y++, in.x, in.w, TUI_S_NORMAL, TUI_CENTER, buf);
	snprintf(buf, sizeof buf, _("%s of contract %s %s"), db_req_kind_name(s->kind), s->c.contract_id,
		 s->c.name_kanji);
	tui_put(y++, in.x, in.w, TUI_S_DIM, TUI_CENTER, buf);
	tui_put(y++, in.x, in.w, TUI_S_DIM, TUI_CENTER,
		_("Another supervisor approves it; the batch runs it when eligible."));
	y++;
	tui_put(y, in.x, in.w, TUI_S_DIM, TUI_CENTER, _("F3: open the request   F6: new request   Esc: back"));
}

static void request_draw(struct view *v)
{
	struct request *s = v->state;
	struct tui_rect a = v->area;
	if (s->mode == M_DONE) {
		draw_done(v);
		return;
	}
	static const char *const lab[] = { N_("Contract ID"), N_("Request kind"), N_("Form number"),
					   N_("Identity document"), N_("Issue date"), N_("Second document"),
					   N_("Name matches"), N_("Address matches"), N_("Seal check"), N_("Notes") };
	struct layout L = { .x = a.x + 1 };
	for (int i = 0; i < F_COUNT; i++)
		if (tui_text_width(_(lab[i])) > L.lw)
			L.lw = tui_text_width(_(lab[i]));
	L.lw += 4;
	L.vx = L.x + L.lw;
	L.vw = a.x + a.w - 1 - L.vx;
	int y = a.y;
	char buf[800], txt[TUI_FIELD_MAX * 4 + 1];
	int w;

	/* contract */
	label(v, &L, y, F_CONTRACT, _(lab[F_CONTRACT]));
	draw_contract_info(v, &L, y);
	y += 2;

	/* kind */
	bool kf = s->mode == M_FORM && s->focus == F_KIND;
	label(v, &L, y, F_KIND, _(lab[F_KIND]));
	choice(y, L.vx, s->kind == DB_REQ_UNLOCK, kf, "UNLOCK", &w);
	choice(y, L.vx + w, s->kind == DB_REQ_RESET, kf, "RESET", &w);
	y++;
	tui_put(y++, L.vx, L.vw, s->kind == DB_REQ_RESET ? TUI_S_ERROR : TUI_S_DIM, TUI_LEFT,
		s->kind == DB_REQ_RESET
			? _("RESET: lost or changed phone; revokes the credential")
			: _("UNLOCK: locked by wrong codes; same phone and credential"));

	/* form number */
	label(v, &L, y, F_FORM, _(lab[F_FORM]));
	field_text(&s->form, txt, sizeof txt);
	bool fok = form_check(txt, buf, sizeof buf);
	tui_put(y, L.vx + 22, L.vw - 22, !fok && txt[0] ? TUI_S_ERROR : TUI_S_DIM, TUI_LEFT, buf);
	y++;

	/* identity document and its rules */
	label(v, &L, y, F_DOC, _(lab[F_DOC]));
	y++;
	const struct db_id_doc_type *d = doc_of(s, s->doc);
	struct tui_rect rr = { y, L.vx, 2, L.vw };
	if (d) {
		char rules[600], all[1200];
		doc_rules(d, rules, sizeof rules);
		snprintf(all, sizeof all, "%s%s%s", rules, d->note[0] ? ". " : "", d->note);
		tui_put_wrapped(rr, 0, d->accepted_today ? TUI_S_DIM : TUI_S_ERROR, all);
	} else {
		tui_put_wrapped(rr, 0, TUI_S_DIM,
				s->docs_loaded ? _("Space/Left/Right: next type   Enter: the list with each type's rules")
					       : _("loading the document types…"));
	}
	y += 2;

	/* issue date */
	label(v, &L, y, F_ISSUED, _(lab[F_ISSUED]));
	if (needs_issued(s)) {
		field_text(&s->issued, txt, sizeof txt);
		if (!txt[0])
			tui_put(y, L.vx + 12, L.vw - 12, TUI_S_DIM, TUI_LEFT, _("YYYY-MM-DD, as printed on the document"));
		else if (!date_valid(txt))
			tui_put(y, L.vx + 12, L.vw - 12, strlen(txt) < 10 ? TUI_S_DIM : TUI_S_ERROR, TUI_LEFT,
				_("a date is YYYY-MM-DD, e.g. 2019-04-01"));
	} else {
		tui_put(y, L.vx, L.vw, TUI_S_DIM, TUI_LEFT, _("not needed for this document"));
	}
	y++;

	/* second document */
	label(v, &L, y, F_DOC2, _(lab[F_DOC2]));
	int n2 = needs_doc2(s);
	if (n2 == 0)
		tui_put(y, L.vx, L.vw, TUI_S_DIM, TUI_LEFT, _("not needed: the document shows the address"));
	else if (n2 < 0)
		tui_put(y, L.vx, L.vw, TUI_S_DIM, TUI_LEFT, _("depends on the issue date"));
	y++;

	draw_answer(v, &L, y++, 0, _("name on the document = contract"));
	draw_answer(v, &L, y++, 1, _("address on the document = contract"));
	draw_answer(v, &L, y++, 2, _("form seal = registered seal (届出印)"));

	/* notes */
	label(v, &L, y, F_NOTES, _(lab[F_NOTES]));
	field_text(&s->notes, txt, sizeof txt);
	y++;
	if (db_has_my_number(txt))
		tui_put(y, L.vx, L.vw, TUI_S_BANNER, TUI_LEFT,
			_("WARNING: may be a My Number (12 digits): never record it"));
	else
		tui_put(y, L.vx, L.vw, TUI_S_DIM, TUI_LEFT, _("optional; never a My Number (個人番号)"));
	y += 2;
	if (y < a.y + a.h)
		tui_put(y, L.x, a.w - 2, TUI_S_DIM, TUI_LEFT,
			_("Tab/Down: next field   Space: change a choice   y/n: answer   F2: submit"));

	/* the fields last, focused one at the very end: it places the cursor */
	int fy[F_COUNT] = { [F_CONTRACT] = a.y, [F_FORM] = a.y + 4, [F_DOC] = a.y + 5, [F_ISSUED] = a.y + 8,
			    [F_DOC2] = a.y + 9, [F_NOTES] = a.y + 13 };
	if (n2 != 0)
		draw_doc(v, &L, fy[F_DOC2], F_DOC2, s->doc2,
			 n2 > 0 ? _("choose a document that shows the address") : _("(none)"));
	draw_doc(v, &L, fy[F_DOC], F_DOC, s->doc, _("choose the document shown"));
	struct {
		enum field f;
		struct tui_field *t;
		int cols;
	} tf[] = {
		{ F_CONTRACT, &s->contract, 11 },
		{ F_FORM, &s->form, 21 },
		{ F_ISSUED, &s->issued, 11 },
		{ F_NOTES, &s->notes, L.vw },
	};
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < sizeof tf / sizeof tf[0]; i++) {
			bool focus = s->mode == M_FORM && s->focus == tf[i].f;
			if (focus != (pass == 1))
				continue;
			if (tf[i].f == F_ISSUED && !needs_issued(s))
				continue;
			tui_field_draw(v->app, tf[i].t, fy[tf[i].f], L.vx, tf[i].cols, focus);
		}
	if (s->mode == M_MENU)
		draw_menu(v);
	else if (s->mode == M_CONFIRM)
		draw_confirm(v);
}

const struct view_ops view_request_ops = {
	.name = "request",
	.title = N_("New request (UNLOCK / RESET)"),
	.state_size = sizeof(struct request),
	.open = request_open,
	.refresh = request_refresh,
	.draw = request_draw,
	.key = request_key,
	.bindings = request_bindings,
};
