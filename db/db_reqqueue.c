/* db_reqqueue: the queue query of db/reqqueue.h. Two prepared statements
 * (rows after a key, rows before it); the direction of the order decides
 * which one a page uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "db/db_internal.h"
#include "db/reqqueue.h"

static const struct {
	const char *states;
	bool desc;
} sets[] = {
#define X(id, st, d) [DB_QUEUE_##id] = { st, d },
	DB_QUEUE_SETS(X)
#undef X
};

#define TS(col) "to_char(" col " AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI:SS')"
#define QUEUE_COLS                                                                                   \
	"request_id, receipt_no, branch_code, contract_id, name_kanji, name_kana, kind, state, "     \
	TS("received_at") ", day1::text, eligible::text, due::text, submitted_by, submitted_by_name," \
	" decided_by, decided_by_name, is_overdue, fraud_hold"

/* $1 states, $2 contract ('' any), $3 receipt ('' any), $4 a key given,
 * $5 key due, $6 key request_id, $7 limit + 1 */
#define QUEUE_WHERE                                                                             \
	" FROM otp_api.requests WHERE state = ANY ($1::text[]) AND ($2 = '' OR contract_id = $2)" \
	" AND ($3 = '' OR receipt_no = $3)"

static const struct db_stmt S_AFTER = {
	"rq_after",
	"SELECT " QUEUE_COLS QUEUE_WHERE
	" AND (NOT $4::boolean OR (due, request_id) > ($5::date, $6::bigint))"
	" ORDER BY due, request_id LIMIT $7",
	7,
};
static const struct db_stmt S_BEFORE = {
	"rq_before",
	"SELECT " QUEUE_COLS QUEUE_WHERE
	" AND (NOT $4::boolean OR (due, request_id) < ($5::date, $6::bigint))"
	" ORDER BY due DESC, request_id DESC LIMIT $7",
	7,
};

static void row_to_request(const PGresult *res, int r, struct db_request *q)
{
	char kind[16], state[16];
	int c = 0;
	memset(q, 0, sizeof *q);
	q->request_id = db_get_ll(res, r, c++);
#define S(field) db_get(res, r, c++, q->field, sizeof q->field)
	S(receipt_no);
	S(branch_code);
	S(contract_id);
	S(name_kanji);
	S(name_kana);
	db_get(res, r, c++, kind, sizeof kind);
	db_get(res, r, c++, state, sizeof state);
	S(received_at);
	S(day1);
	S(eligible);
	S(due);
	S(submitted_by);
	S(submitted_by_name);
	S(decided_by);
	S(decided_by_name);
#undef S
	q->is_overdue = db_get_bool(res, r, c++);
	q->fraud_hold = db_get_bool(res, r, c++);
	int k = db_req_kind_parse(kind), s = db_req_state_parse(state);
	q->kind = k < 0 ? DB_REQ_UNLOCK : (enum db_req_kind)k;
	q->state = s < 0 ? DB_REQ_SUBMITTED : (enum db_req_state)s;
}

int db_queue_list(struct db *db, const struct db_queue_filter *f, const struct db_queue_key *after,
		  bool backward, int limit, struct db_request_page *out, struct otp_err *err)
{
	otp_err_clear(err);
	memset(out, 0, sizeof *out);
	if ((unsigned)f->set >= DB_QUEUE_SET_COUNT)
		return otp_err_set(err, OTP_ERR_USAGE, "unknown queue filter %d", (int)f->set);
	if (limit < 1 || limit > 500)
		return otp_err_set(err, OTP_ERR_USAGE, "page size %d is outside 1..500", limit);
	const char *contract = f->contract_id ? f->contract_id : "";
	if (*contract && otp_contract_id_check(contract, err) != 0)
		return -1;
	if (after && after->due[0] && (strlen(after->due) != 10 || after->request_id < 0))
		return otp_err_set(err, OTP_ERR_USAGE, "invalid queue position");
	bool desc = sets[f->set].desc;
	/* rows after the key in a descending order lie before it in ascending terms */
	bool use_before = desc != backward;
	char id[32], lim[16];
	snprintf(id, sizeof id, "%lld", after ? after->request_id : 0LL);
	snprintf(lim, sizeof lim, "%d", limit + 1);
	bool have = after && after->due[0];
	const char *params[7] = {
		sets[f->set].states, contract, f->receipt_no ? f->receipt_no : "", have ? "true" : "false",
		have ? after->due : "2000-01-01", id, lim,
	};
	PGresult *res = db_exec_stmt(db, use_before ? &S_BEFORE : &S_AFTER, params, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	int n;
	out->rows = db_page_alloc(res, limit, sizeof *out->rows, &n, &out->more, err);
	if (n < 0)
		return -1;
	/* a backward page was read away from the key: put it back in queue order */
	for (int r = 0; r < n; r++)
		row_to_request(res, r, &out->rows[backward ? n - 1 - r : r]);
	out->n = n;
	PQclear(res);
	return 0;
}
