/* db_workflow: the C side of the request workflow (db/workflow.h). Each change
 * is one otp_api call; reads go through the scoped view otp_api.requests. The
 * batch executes 50 requests a call (one commit; each request in its own
 * subtransaction on the server) and pipelines its calls (libpq pipeline
 * mode), so that 100,000 executions pay neither 100,000 round trips nor
 * 100,000 WAL flushes. Nothing here decides who may do what: the SQL
 * functions do, and audit it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/ids.h"
#include "db/db_internal.h"
#include "db/workflow.h"

static const char *const kind_names[] = {
#define X(id, s) [DB_REQ_##id] = s,
	DB_REQ_KINDS(X)
#undef X
};

static const char *const state_names[] = {
#define X(id, s) [DB_REQ_##id] = s,
	DB_REQ_STATES(X)
#undef X
};

const char *db_req_kind_name(enum db_req_kind kind)
{
	return (unsigned)kind < DB_REQ_KIND_COUNT ? kind_names[kind] : "?";
}

const char *db_req_state_name(enum db_req_state state)
{
	return (unsigned)state < DB_REQ_STATE_COUNT ? state_names[state] : "?";
}

int db_req_kind_parse(const char *s)
{
	for (int k = 0; s && k < DB_REQ_KIND_COUNT; k++)
		if (strcasecmp(s, kind_names[k]) == 0)
			return k;
	return -1;
}

int db_req_state_parse(const char *s)
{
	for (int k = 0; s && k < DB_REQ_STATE_COUNT; k++)
		if (strcasecmp(s, state_names[k]) == 0)
			return k;
	return -1;
}

/* ---- My Number guard ---------------------------------------------------- */

/* Separators that may stand between the digits of a written number (UTF-8):
 * the same set as otp.has_my_number() in schema/030_workflow.sql. */
static const char *const separators[] = {
	" ", "\t", "\n", "\r", "\f", "\v", "-",
	"\xe3\x80\x80",	/* U+3000 ideographic space */
	"\xe2\x80\x90", "\xe2\x80\x91", "\xe2\x80\x93", "\xe2\x80\x94", "\xe2\x80\x95",	/* dashes */
	"\xe2\x88\x92",	/* U+2212 minus */
	"\xef\xbc\x8d",	/* U+FF0D full-width hyphen-minus */
	"\xe3\x83\xbc",	/* U+30FC katakana long sound mark, often typed for a dash */
};

/* Length of the digit at s (ASCII or full-width), 0 when none. */
static size_t digit_at(const char *s)
{
	if (*s >= '0' && *s <= '9')
		return 1;
	if ((unsigned char)s[0] == 0xef && (unsigned char)s[1] == 0xbc && (unsigned char)s[2] >= 0x90 &&
	    (unsigned char)s[2] <= 0x99)
		return 3;
	return 0;
}

static size_t separator_at(const char *s)
{
	for (size_t i = 0; i < sizeof separators / sizeof separators[0]; i++) {
		size_t n = strlen(separators[i]);
		if (strncmp(s, separators[i], n) == 0)
			return n;
	}
	return 0;
}

bool db_has_my_number(const char *text)
{
	int run = 0;
	for (const char *p = text; p && *p;) {
		size_t n;
		if ((n = digit_at(p))) {
			if (++run >= 12)
				return true;
		} else if ((n = separator_at(p))) {
			/* between digits it does not break the run; before a non-digit
			 * the run is broken by that non-digit anyway */
		} else {
			run = 0;
			n = 1;
		}
		p += n;
	}
	return false;
}

static int refuse_my_number(const char *field, struct otp_err *err)
{
	otp_err_set(err, OTP_ERR_USAGE,
		    "%s contains 12 consecutive digits, which may be a My Number (個人番号); it was not sent", field);
	otp_err_hint(err, "never write down the individual number; the My Number card is recorded by its type only");
	otp_strlcpy(err->sqlstate, "OD004", sizeof err->sqlstate);
	return -1;
}

/* Check a receipt number's shape before any query: NNN-YYYYMMDD-NNNN... */
static int check_receipt(const char *r, struct otp_err *err)
{
	size_t n = r ? strlen(r) : 0;
	bool ok = n >= 17 && n < DB_RECEIPT_LEN;
	for (size_t i = 0; ok && i < n; i++)
		ok = (i == 3 || i == 12) ? r[i] == '-' : (r[i] >= '0' && r[i] <= '9');
	if (ok)
		return 0;
	if (r && db_has_my_number(r))
		return refuse_my_number("the receipt number", err);
	otp_err_set(err, OTP_ERR_USAGE, "invalid receipt number: %s", r ? r : "(none)");
	otp_err_hint(err, "branch-date-number, e.g. 012-20261124-0007");
	return -1;
}

static int check_date(const char *what, const char *d, struct otp_err *err)
{
	bool ok = d && strlen(d) == 10 && d[4] == '-' && d[7] == '-';
	for (int i = 0; ok && i < 10; i++)
		ok = i == 4 || i == 7 || (d[i] >= '0' && d[i] <= '9');
	if (!ok)
		return otp_err_set(err, OTP_ERR_USAGE, "%s must be a date YYYY-MM-DD", what);
	return 0;
}

static int check_reason(const char *reason, struct otp_err *err)
{
	if (db_has_my_number(reason))
		return refuse_my_number("the reason", err);
	if (!reason || !*reason)
		return otp_err_set(err, OTP_ERR_USAGE, "a reason is required");
	return 0;
}

/* The value of "key": "..." (or a bare number) in jsonb's text output. */
static void json_field(const char *json, const char *key, char *dst, size_t size)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\": ", key);
	dst[0] = '\0';
	const char *p = strstr(json, pat);
	if (!p)
		return;
	p += strlen(pat);
	bool quoted = *p == '"';
	if (quoted)
		p++;
	size_t n = 0;
	while (p[n] && (quoted ? p[n] != '"' : (p[n] != ',' && p[n] != '}')))
		n++;
	if (n >= size)
		n = size - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

/* ---- submit and decisions --------------------------------------------- */

static const struct db_stmt S_SUBMIT = {
	"wf_submit",
	"SELECT * FROM otp_api.request_submit($1, $2, $3, $4, $5, $6::date, $7::boolean, $8::boolean, $9, $10)",
	10,
};

int db_request_submit(struct db *db, const struct db_request_new *req, struct db_receipt *out,
		      struct otp_err *err)
{
	otp_err_clear(err);
	memset(out, 0, sizeof *out);
	const struct {
		const char *field, *value;
	} texts[] = {
		{ "the contract ID", req->contract_id }, { "the form number", req->form_no },
		{ "the notes field", req->notes }, { "the document type", req->doc_type },
		{ "the second document type", req->doc2_type },
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		if (db_has_my_number(texts[i].value))
			return refuse_my_number(texts[i].field, err);
	if (otp_contract_id_check(req->contract_id, err) != 0)
		return -1;
	if ((unsigned)req->kind >= DB_REQ_KIND_COUNT)
		return otp_err_set(err, OTP_ERR_USAGE, "the request kind must be UNLOCK or RESET");
	if (req->doc_issued && *req->doc_issued && check_date("the issue date", req->doc_issued, err) != 0)
		return -1;
	const char *params[10] = {
		req->contract_id,
		kind_names[req->kind],
		req->form_no,
		req->doc_type,
		req->doc2_type && *req->doc2_type ? req->doc2_type : NULL,
		req->doc_issued && *req->doc_issued ? req->doc_issued : NULL,
		req->name_matched ? "true" : "false",
		req->address_matched ? "true" : "false",
		req->seal_match ? "MATCH" : "MISMATCH",
		req->notes ? req->notes : "",
	};
	struct db_outcome o;
	if (db_call(db, &S_SUBMIT, params, &o, err) != 0)
		return -1;
	otp_strlcpy(out->receipt_no, o.ref, sizeof out->receipt_no);
	json_field(o.data, "day1", out->day1, sizeof out->day1);
	json_field(o.data, "eligible", out->eligible, sizeof out->eligible);
	json_field(o.data, "due", out->due, sizeof out->due);
	char id[32];
	json_field(o.data, "request_id", id, sizeof id);
	out->request_id = strtoll(id, NULL, 10);
	return 0;
}

static const struct db_stmt S_APPROVE = {
	"wf_approve", "SELECT * FROM otp_api.request_approve($1)", 1,
};
static const struct db_stmt S_REJECT = {
	"wf_reject", "SELECT * FROM otp_api.request_reject($1, $2)", 2,
};
static const struct db_stmt S_CANCEL = {
	"wf_cancel", "SELECT * FROM otp_api.request_cancel($1, $2)", 2,
};

int db_request_approve(struct db *db, const char *receipt_no, struct db_outcome *out, struct otp_err *err)
{
	otp_err_clear(err);
	if (check_receipt(receipt_no, err) != 0)
		return -1;
	const char *params[1] = { receipt_no };
	return db_call(db, &S_APPROVE, params, out, err);
}

static int decide_with_reason(struct db *db, const struct db_stmt *stmt, const char *receipt_no,
			      const char *reason, struct db_outcome *out, struct otp_err *err)
{
	otp_err_clear(err);
	if (check_receipt(receipt_no, err) != 0 || check_reason(reason, err) != 0)
		return -1;
	const char *params[2] = { receipt_no, reason };
	return db_call(db, stmt, params, out, err);
}

int db_request_reject(struct db *db, const char *receipt_no, const char *reason, struct db_outcome *out,
		      struct otp_err *err)
{
	return decide_with_reason(db, &S_REJECT, receipt_no, reason, out, err);
}

int db_request_cancel(struct db *db, const char *receipt_no, const char *reason, struct db_outcome *out,
		      struct otp_err *err)
{
	return decide_with_reason(db, &S_CANCEL, receipt_no, reason, out, err);
}

/* ---- reading ----------------------------------------------------------- */

#define TS(col) "to_char(" col " AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI:SS')"
#define REQUEST_COLS                                                                               \
	"request_id, receipt_no, branch_code, branch_name, contract_id, name_kanji, name_kana,"     \
	" kind, state, token_state_at_submit, token_state, credential_id, form_no,"                \
	" doc_type, doc_name_ja, doc_name_en, doc_issued::text, doc2_type, doc2_name_ja, doc2_name_en," \
	" name_matched, address_matched, id_checked_by, seal_result, seal_checked_by,"             \
	" " TS("received_at") ", day1::text, eligible::text, due::text,"                           \
	" submitted_by, submitted_by_name, decided_by, decided_by_name, " TS("decided_at") ","     \
	" reject_reason, executed_by, " TS("executed_at") ", revoked_credential_id,"               \
	" cancelled_by, cancelled_by_name, " TS("cancelled_at") ", cancel_reason, notes,"          \
	" is_overdue, fraud_hold"

static void row_to_request(const PGresult *res, int r, struct db_request *q)
{
	char kind[16], state[16];
	int c = 0;
	memset(q, 0, sizeof *q);
	q->request_id = db_get_ll(res, r, c++);
#define S(field) db_get(res, r, c++, q->field, sizeof q->field)
	S(receipt_no);
	S(branch_code);
	S(branch_name);
	S(contract_id);
	S(name_kanji);
	S(name_kana);
	db_get(res, r, c++, kind, sizeof kind);
	db_get(res, r, c++, state, sizeof state);
	S(token_state_at_submit);
	S(token_state);
	S(credential_id);
	S(form_no);
	S(doc_type);
	S(doc_name_ja);
	S(doc_name_en);
	S(doc_issued);
	S(doc2_type);
	S(doc2_name_ja);
	S(doc2_name_en);
	q->name_matched = db_get_bool(res, r, c++);
	q->address_matched = db_get_bool(res, r, c++);
	S(id_checked_by);
	S(seal_result);
	S(seal_checked_by);
	S(received_at);
	S(day1);
	S(eligible);
	S(due);
	S(submitted_by);
	S(submitted_by_name);
	S(decided_by);
	S(decided_by_name);
	S(decided_at);
	S(reject_reason);
	S(executed_by);
	S(executed_at);
	S(revoked_credential_id);
	S(cancelled_by);
	S(cancelled_by_name);
	S(cancelled_at);
	S(cancel_reason);
	S(notes);
#undef S
	q->is_overdue = db_get_bool(res, r, c++);
	q->fraud_hold = db_get_bool(res, r, c++);
	int k = db_req_kind_parse(kind), s = db_req_state_parse(state);
	q->kind = k < 0 ? DB_REQ_UNLOCK : (enum db_req_kind)k;
	q->state = s < 0 ? DB_REQ_SUBMITTED : (enum db_req_state)s;
}

static const struct db_stmt S_GET = {
	"wf_get", "SELECT " REQUEST_COLS " FROM otp_api.requests WHERE receipt_no = $1", 1,
};

int db_request_get(struct db *db, const char *receipt_no, struct db_request *out, struct otp_err *err)
{
	otp_err_clear(err);
	if (check_receipt(receipt_no, err) != 0)
		return -1;
	const char *params[1] = { receipt_no };
	PGresult *res = db_exec_stmt(db, &S_GET, params, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		otp_err_set(err, OTP_ERR_NOTFOUND, "no request with receipt number %s", receipt_no);
		otp_err_hint(err, "requests of other branches are not shown");
		return -1;
	}
	row_to_request(res, 0, out);
	PQclear(res);
	return 0;
}

/* $1 state, $2 branch, $3 contract ('' = any), $4 overdue only, $5 the last
 * request_id of the previous page, $6 limit + 1. */
#define LIST_WHERE                                                                        \
	" FROM otp_api.requests WHERE ($1 = '' OR state = $1) AND ($2 = '' OR branch_code = $2)" \
	" AND ($3 = '' OR contract_id = $3) AND (NOT $4::boolean OR is_overdue)"

static const struct db_stmt S_LIST_ASC = {
	"wf_list_asc",
	"SELECT " REQUEST_COLS LIST_WHERE " AND request_id > $5::bigint ORDER BY request_id LIMIT $6",
	6,
};
static const struct db_stmt S_LIST_DESC = {
	"wf_list_desc",
	"SELECT " REQUEST_COLS LIST_WHERE " AND request_id < $5::bigint ORDER BY request_id DESC LIMIT $6",
	6,
};

int db_request_list(struct db *db, const struct db_request_filter *f, const struct db_request *after,
		    int limit, struct db_request_page *out, struct otp_err *err)
{
	static const struct db_request_filter none;
	otp_err_clear(err);
	memset(out, 0, sizeof *out);
	if (!f)
		f = &none;
	if (limit < 1 || limit > 500)
		return otp_err_set(err, OTP_ERR_USAGE, "page size %d is outside 1..500", limit);
	char state[16] = "";
	if (f->state && *f->state) {
		int s = db_req_state_parse(f->state);
		if (s < 0)
			return otp_err_set(err, OTP_ERR_USAGE,
					   "unknown request state %s (SUBMITTED, APPROVED, REJECTED, EXECUTED, CANCELLED)",
					   f->state);
		otp_strlcpy(state, state_names[s], sizeof state);
	}
	if (f->contract_id && *f->contract_id && otp_contract_id_check(f->contract_id, err) != 0)
		return -1;
	char last[32], lim[16];
	if (after)
		snprintf(last, sizeof last, "%lld", after->request_id);
	else
		snprintf(last, sizeof last, "%s", f->newest_first ? "9223372036854775807" : "0");
	snprintf(lim, sizeof lim, "%d", limit + 1);
	const char *params[6] = {
		state, f->branch ? f->branch : "", f->contract_id ? f->contract_id : "",
		f->overdue_only ? "true" : "false", last, lim,
	};
	PGresult *res = db_exec_stmt(db, f->newest_first ? &S_LIST_DESC : &S_LIST_ASC, params, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	int n;
	out->rows = db_page_alloc(res, limit, sizeof *out->rows, &n, &out->more, err);
	if (n < 0)
		return -1;
	for (int r = 0; r < n; r++)
		row_to_request(res, r, &out->rows[r]);
	out->n = n;
	PQclear(res);
	return 0;
}

int db_request_history(struct db *db, const char *contract_id, const struct db_request *after, int limit,
		       struct db_request_page *out, struct otp_err *err)
{
	otp_err_clear(err);
	memset(out, 0, sizeof *out);
	if (otp_contract_id_check(contract_id, err) != 0)
		return -1;
	struct db_request_filter f = { .contract_id = contract_id, .newest_first = true };
	return db_request_list(db, &f, after, limit, out, err);
}

void db_request_page_free(struct db_request_page *page)
{
	free(page->rows);
	memset(page, 0, sizeof *page);
}

/* ---- document types --------------------------------------------------- */

static const struct db_stmt S_DOC_TYPES = {
	"wf_doc_types",
	"SELECT code, name_ja, name_en, has_address, no_address_if_issued_from::text, accepted_from::text,"
	" accepted_until::text, accepted_today, note FROM otp_api.id_document_types ORDER BY sort_order, code",
	0,
};

int db_id_doc_types(struct db *db, struct db_id_doc_type *out, int max, int *n, struct otp_err *err)
{
	otp_err_clear(err);
	*n = 0;
	PGresult *res = db_exec_stmt(db, &S_DOC_TYPES, NULL, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	for (int r = 0; r < PQntuples(res) && *n < max; r++) {
		struct db_id_doc_type *d = &out[(*n)++];
		memset(d, 0, sizeof *d);
		db_get(res, r, 0, d->code, sizeof d->code);
		db_get(res, r, 1, d->name_ja, sizeof d->name_ja);
		db_get(res, r, 2, d->name_en, sizeof d->name_en);
		d->has_address = db_get_bool(res, r, 3);
		db_get(res, r, 4, d->no_address_if_issued_from, sizeof d->no_address_if_issued_from);
		db_get(res, r, 5, d->accepted_from, sizeof d->accepted_from);
		db_get(res, r, 6, d->accepted_until, sizeof d->accepted_until);
		d->accepted_today = db_get_bool(res, r, 7);
		db_get(res, r, 8, d->note, sizeof d->note);
	}
	PQclear(res);
	return 0;
}

/* ---- fraud holds -------------------------------------------------------- */

static const struct db_stmt S_HOLD_SET = {
	"wf_hold_set", "SELECT * FROM otp_api.fraud_hold_set($1, $2)", 2,
};
static const struct db_stmt S_HOLD_LIFT = {
	"wf_hold_lift", "SELECT * FROM otp_api.fraud_hold_lift($1, $2)", 2,
};

static int hold_call(struct db *db, const struct db_stmt *stmt, const char *contract_id, const char *reason,
		     struct db_outcome *out, struct otp_err *err)
{
	otp_err_clear(err);
	if (otp_contract_id_check(contract_id, err) != 0 || check_reason(reason, err) != 0)
		return -1;
	const char *params[2] = { contract_id, reason };
	return db_call(db, stmt, params, out, err);
}

int db_fraud_hold_set(struct db *db, const char *contract_id, const char *reason, struct db_outcome *out,
		      struct otp_err *err)
{
	return hold_call(db, &S_HOLD_SET, contract_id, reason, out, err);
}

int db_fraud_hold_lift(struct db *db, const char *contract_id, const char *reason, struct db_outcome *out,
		       struct otp_err *err)
{
	return hold_call(db, &S_HOLD_LIFT, contract_id, reason, out, err);
}

/* ---- batch ---------------------------------------------------------------- */

#define EXECUTE_SQL "SELECT * FROM otp_api.request_execute($1, $2::date)"

static const struct db_stmt S_EXECUTE = { "wf_execute", EXECUTE_SQL, 2 };

int db_request_execute(struct db *db, const char *receipt_no, const char *as_of, bool *already,
		       struct db_outcome *out, struct otp_err *err)
{
	otp_err_clear(err);
	if (already)
		*already = false;
	if (check_receipt(receipt_no, err) != 0)
		return -1;
	if (as_of && *as_of && check_date("the as-of date", as_of, err) != 0)
		return -1;
	struct db_outcome tmp;
	if (!out)
		out = &tmp;
	const char *params[2] = { receipt_no, as_of && *as_of ? as_of : NULL };
	if (db_call(db, &S_EXECUTE, params, out, err) != 0)
		return -1;
	if (already)
		*already = strstr(out->data, "\"already_executed\": true") != NULL;
	return 0;
}

/* The first row carries the as-of day (NULL: today, Japan time), the others
 * the receipt numbers of the APPROVED requests eligible by then, in byte
 * order: the order in which otp_api.request_execute_batch locks them, so
 * that workers and concurrent runs take their row locks in one order. */
static const struct db_stmt S_DUE = {
	"wf_due",
	"WITH d AS MATERIALIZED (SELECT coalesce($1::date, (now() AT TIME ZONE 'Asia/Tokyo')::date) AS as_of)"
	" SELECT 0 AS o, (SELECT as_of FROM d)::text COLLATE \"C\" AS v"
	" UNION ALL"
	" SELECT 1, receipt_no COLLATE \"C\" FROM otp_api.requests"
	"  WHERE state = 'APPROVED' AND eligible <= (SELECT as_of FROM d)"
	" ORDER BY o, v",
	1,
};

/* Requests executed by one call (one transaction, one WAL flush; each
 * request its own subtransaction). The server takes at most 64: more
 * subtransactions would overflow every backend's snapshot cache. */
#define BATCH 50
/* Calls one connection may have in flight: the server works on the next
 * batch while the client reads the results of the previous one. */
#define PIPELINE_WINDOW 4
#define RUN_PREPARED "wf_run_due_batch"
#define BATCH_SQL "SELECT * FROM otp_api.request_execute_batch($1::text[], $2::date)"
#define MAX_WORKERS 16

/* What the workers of one run share; everything below `lock` is guarded by it. */
struct run {
	char *const *receipts;
	long n;
	const char *as_of;
	const struct db_run_due_opts *opts;
	pthread_mutex_t lock;
	long next;			/* first receipt not yet claimed */
	struct db_run_due *sum;
	bool stop;			/* a worker lost its connection */
	struct otp_err fatal;
};

struct worker {
	struct run *run;
	struct db *db;
	bool own_db;			/* opened for this run */
	int rc;
	struct otp_err err;
};

/* Claim up to BATCH receipts: [*from, *to); false when none are left. */
static bool claim(struct run *run, long *from, long *to)
{
	pthread_mutex_lock(&run->lock);
	bool ok = !run->stop && run->next < run->n;
	if (ok) {
		*from = run->next;
		run->next = *to = run->next + BATCH < run->n ? run->next + BATCH : run->n;
	}
	pthread_mutex_unlock(&run->lock);
	return ok;
}

enum result { EXECUTED, ALREADY, FAILED };

/* Count one request's result and report it (e: why it failed). */
static void count_one(struct run *run, enum result what, const char *receipt, const struct otp_err *e)
{
	const struct db_run_due_opts *o = run->opts;
	pthread_mutex_lock(&run->lock);
	struct db_run_due *sum = run->sum;
	if (what == EXECUTED)
		sum->executed++;
	else if (what == ALREADY)
		sum->already++;
	else
		sum->failed++;
	if (what == FAILED && o && o->on_fail)
		o->on_fail(o->arg, receipt, e);
	long done = sum->executed + sum->already + sum->failed;
	if (o && o->progress && o->every > 0 && done % o->every == 0 && done < run->n)
		o->progress(o->arg, sum);
	pthread_mutex_unlock(&run->lock);
}

/* Count the results of one batch call for receipts [from, to) and PQclear
 * res. Row k is receipt from + k (the server keeps the order and says so in
 * `ref`); a call that failed as a whole fails each of its requests. False
 * when the connection is gone (then *err says why). */
static bool count_batch(struct run *run, struct db *db, PGresult *res, long from, long to, struct otp_err *err)
{
	struct otp_err e;
	otp_err_clear(&e);
	long n = to - from;
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQnfields(res) >= 5 && PQntuples(res) == n) {
		for (long k = 0; k < n; k++) {
			const char *receipt = run->receipts[from + k];
			enum result what = FAILED;
			otp_err_clear(&e);
			if (strcmp(PQgetvalue(res, (int)k, 3), receipt) != 0) {
				otp_err_set(&e, OTP_ERR_INTERNAL, "result %ld of a batch is for %s, not %s", k,
					    PQgetvalue(res, (int)k, 3), receipt);
			} else if (db_get_bool(res, (int)k, 0)) {
				what = strstr(PQgetvalue(res, (int)k, 4), "\"already_executed\": true") ? ALREADY
													 : EXECUTED;
			} else {
				const char *code = PQgetvalue(res, (int)k, 1);
				/* refusals are OD codes; anything else was raised by that request alone */
				otp_err_set(&e, strncmp(code, "OD", 2) == 0 ? OTP_ERR_REFUSED : OTP_ERR_DB, "%s",
					    PQgetvalue(res, (int)k, 2));
				otp_strlcpy(e.sqlstate, code, sizeof e.sqlstate);
			}
			count_one(run, what, receipt, &e);
		}
		PQclear(res);
		return true;
	}
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
		otp_err_set(&e, OTP_ERR_INTERNAL, "a batch of %ld requests returned %d results", n, PQntuples(res));
		PQclear(res);
	} else {
		db_fail(db, res, &e);	/* clears res */
	}
	for (long i = from; i < to; i++)
		count_one(run, FAILED, run->receipts[i], &e);
	if (e.kind == OTP_ERR_CONNLOST || !db_connected(db)) {
		*err = e;
		return false;
	}
	return true;
}

static int pipeline_fail(struct db *db, struct otp_err *err)
{
	otp_err_set(err, OTP_ERR_CONNLOST, "batch pipeline failed: %s", PQerrorMessage(db->conn));
	size_t n = strlen(err->message);
	while (n && err->message[n - 1] == '\n')
		err->message[--n] = '\0';
	return -1;
}

/* Prepare the batch call on this connection (once: a second run on the
 * same connection finds it prepared). */
static int prepare_batch(struct db *db, struct otp_err *err)
{
	PGresult *res = PQprepare(db->conn, RUN_PREPARED, BATCH_SQL, 2, NULL);
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (res && (PQresultStatus(res) == PGRES_COMMAND_OK || (state && strcmp(state, "42P05") == 0))) {
		PQclear(res);
		return 0;
	}
	return db_fail(db, res, err);
}

/* The receipts [from, to) as a text[] literal, each element quoted. Returns
 * the literal in buf, or NULL when it does not fit. */
static char *array_literal(char *const *receipts, long from, long to, char *buf, size_t size)
{
	size_t n = 0;
	if (size < 3)
		return NULL;
	buf[n++] = '{';
	for (long i = from; i < to; i++) {
		if (i > from)
			buf[n++] = ',';
		buf[n++] = '"';
		for (const char *p = receipts[i]; *p; p++) {
			if (n + 4 >= size)
				return NULL;
			if (*p == '"' || *p == '\\')
				buf[n++] = '\\';
			buf[n++] = *p;
		}
		if (n + 3 >= size)
			return NULL;
		buf[n++] = '"';
	}
	buf[n++] = '}';
	buf[n] = '\0';
	return buf;
}

/* One connection's share of the run, pipelined: each call executes up to
 * BATCH requests and is followed by a sync, so each batch is its own
 * implicit transaction (one commit for BATCH requests), and up to
 * PIPELINE_WINDOW batches are in flight. A refusal or error of one request
 * never stops the others; a lost connection stops this worker. */
static int work(struct run *run, struct db *db, struct otp_err *err)
{
	if (prepare_batch(db, err) != 0)
		return -1;
	PGconn *c = db->conn;
	if (PQenterPipelineMode(c) != 1)
		return pipeline_fail(db, err);
	long inflight[PIPELINE_WINDOW][2];
	int head = 0, count = 0;
	char lit[BATCH * 160];
	for (;;) {
		long from, to;
		while (count < PIPELINE_WINDOW && claim(run, &from, &to)) {
			const char *params[2] = { array_literal(run->receipts, from, to, lit, sizeof lit), run->as_of };
			if (!params[0]) {
				otp_err_set(err, OTP_ERR_INTERNAL, "receipt number too long in batch");
				return -1;
			}
			if (!PQsendQueryPrepared(c, RUN_PREPARED, 2, params, NULL, NULL, 0) || !PQpipelineSync(c))
				return pipeline_fail(db, err);
			int slot = (head + count++) % PIPELINE_WINDOW;
			inflight[slot][0] = from;
			inflight[slot][1] = to;
		}
		if (count == 0)
			break;
		/* the oldest call's results up to NULL, then its sync */
		PGresult *first = NULL, *r;
		while ((r = PQgetResult(c)) != NULL) {
			if (!first)
				first = r;
			else
				PQclear(r);
		}
		from = inflight[head][0];
		to = inflight[head][1];
		head = (head + 1) % PIPELINE_WINDOW;
		count--;
		if (!count_batch(run, db, first, from, to, err))
			return -1;
		r = PQgetResult(c);
		ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
		PQclear(r);
		if (st != PGRES_PIPELINE_SYNC)
			return pipeline_fail(db, err);
	}
	if (PQexitPipelineMode(c) != 1)
		return pipeline_fail(db, err);
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	otp_err_clear(&w->err);
	w->rc = work(w->run, w->db, &w->err);
	if (w->rc != 0) {
		pthread_mutex_lock(&w->run->lock);
		if (!w->run->stop)
			w->run->fatal = w->err;
		w->run->stop = true;
		pthread_mutex_unlock(&w->run->lock);
	}
	return NULL;
}

/* Open another connection like db (same conninfo, login and password). */
static struct db *clone_db(const struct db *db, struct otp_err *err)
{
	struct db_conn_params p = {
		.conninfo = db->conninfo, .user = db->user, .password = db->password, .appname = db->appname,
	};
	struct db *c = NULL;
	return db_connect(&c, &p, err) == 0 ? c : NULL;
}

int db_request_run_due(struct db *db, const char *as_of, const struct db_run_due_opts *o,
		       struct db_run_due *sum, struct otp_err *err)
{
	otp_err_clear(err);
	memset(sum, 0, sizeof *sum);
	if (as_of && *as_of && check_date("the as-of date", as_of, err) != 0)
		return -1;
	int nworkers = o && o->workers > 1 ? (o->workers < MAX_WORKERS ? o->workers : MAX_WORKERS) : 1;
	/* Only the batch may execute; anyone else would just fill the audit log
	 * with one refusal per request (the server refuses each call anyway). */
	struct db_whoami me;
	if (db_whoami(db, &me, err) != 0)
		return -1;
	if (!(me.roles & DB_ROLE(BATCH))) {
		otp_err_set(err, OTP_ERR_REFUSED, "run-due needs a login in otp_batch; %s is not", me.login);
		otp_strlcpy(err->sqlstate, "OD001", sizeof err->sqlstate);
		otp_err_hint(err, "connect as the batch login (OTP_USER / OTP_PASSWORD)");
		return -1;
	}
	const char *params[1] = { as_of && *as_of ? as_of : NULL };
	PGresult *res = db_exec_stmt(db, &S_DUE, params, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	long n = 0;
	int rows = PQntuples(res);
	char **receipts = rows > 1 ? calloc((size_t)rows, sizeof *receipts) : NULL;
	if (rows > 1 && !receipts) {
		PQclear(res);
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	}
	for (int r = 0; r < rows; r++) {
		if (db_get_int(res, r, 0) == 0)
			db_get(res, r, 1, sum->as_of, sizeof sum->as_of);
		else
			receipts[n++] = PQgetvalue(res, r, 1);	/* valid until PQclear */
	}
	sum->due = n;
	struct run run = { .receipts = receipts, .n = n, .as_of = sum->as_of, .opts = o, .sum = sum };
	pthread_mutex_init(&run.lock, NULL);
	int rc = 0;
	if (n > 0) {
		if ((long)nworkers > (n + BATCH - 1) / BATCH)
			nworkers = (int)((n + BATCH - 1) / BATCH);
		struct worker w[MAX_WORKERS] = { { .run = &run, .db = db } };
		pthread_t tid[MAX_WORKERS];
		int started = 1;
		for (int k = 1; k < nworkers; k++) {
			w[k] = (struct worker){ .run = &run, .own_db = true };
			w[k].db = clone_db(db, &w[k].err);
			if (!w[k].db)
				break;	/* fewer workers: the run still goes through */
			if (pthread_create(&tid[k], NULL, worker_main, &w[k]) != 0) {
				db_close(w[k].db);
				break;
			}
			started++;
		}
		worker_main(&w[0]);
		for (int k = 1; k < started; k++) {
			pthread_join(tid[k], NULL);
			db_close(w[k].db);
		}
		if (run.stop) {
			*err = run.fatal;
			rc = -1;
		}
	}
	if (o && o->progress && n > 0)
		o->progress(o->arg, sum);
	pthread_mutex_destroy(&run.lock);
	free(receipts);
	PQclear(res);
	return rc;
}
