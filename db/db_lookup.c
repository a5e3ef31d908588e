/* db_lookup: contract lookups and failure history for the teller, helpdesk
 * and auditor screens. Each is one round trip to otp_api, scoped to the
 * caller's branch by the server: the contract lookups call the functions of
 * schema/046_lookup_speed.sql (an index scan each, where the security_barrier
 * view otp_api.contracts could not use the kana index), failures read the
 * scoped view. IDs are checked for syntax before the query is sent. */
#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "db/db_internal.h"

#define CONTRACT_COLS                                                                         \
	"contract_id, name_kanji, name_kana, address, branch_code, branch_name, opened::text,"   \
	" credential_id, token_state, failure_count, lock_threshold,"                           \
	" to_char(locked_at, 'YYYY-MM-DD HH24:MI:SS'), to_char(registered_at, 'YYYY-MM-DD HH24:MI:SS')," \
	" to_char(stopped_at, 'YYYY-MM-DD HH24:MI:SS'), fraud_hold_reason," \
	" to_char(fraud_hold_at, 'YYYY-MM-DD HH24:MI:SS')"

static const struct db_stmt S_BY_ID = {
	"contract_by_id",
	"SELECT " CONTRACT_COLS " FROM otp_api.contract_get($1)",
	1,
};

static const struct db_stmt S_BY_CREDENTIAL = {
	"contract_by_credential",
	"SELECT " CONTRACT_COLS " FROM otp_api.contract_by_credential($1)",
	1,
};

/* $1 prefix, $2/$3 the last row of the previous page, or ($1, '') for the
 * first (every name with the prefix sorts after it: contract IDs are never
 * empty), $4 limit + 1 (the extra row says whether another page follows). The
 * rows come in (name_kana, contract_id) order, as the function returns them.
 * (Since 046_lookup_speed_2 the function itself starts no earlier than
 * (prefix, ''); 046 alone started a ('', '') scan at the index's first
 * entry: 20-50 ms a page at 1 M contracts.) */
static const struct db_stmt S_BY_KANA = {
	"contract_by_kana",
	"SELECT " CONTRACT_COLS " FROM otp_api.contract_search_kana($1, $2, $3, $4)",
	4,
};

static const struct db_stmt S_FAILURES = {
	"failures_recent",
	"SELECT failure_id, to_char(at, 'YYYY-MM-DD HH24:MI:SS'), reason, failure_no, client"
	" FROM otp_api.failures WHERE contract_id = $1 ORDER BY at DESC, failure_id DESC LIMIT $2",
	2,
};

static void row_to_contract(const PGresult *res, int r, struct db_contract *c)
{
	memset(c, 0, sizeof *c);
	db_get(res, r, 0, c->contract_id, sizeof c->contract_id);
	db_get(res, r, 1, c->name_kanji, sizeof c->name_kanji);
	db_get(res, r, 2, c->name_kana, sizeof c->name_kana);
	db_get(res, r, 3, c->address, sizeof c->address);
	db_get(res, r, 4, c->branch_code, sizeof c->branch_code);
	db_get(res, r, 5, c->branch_name, sizeof c->branch_name);
	db_get(res, r, 6, c->opened, sizeof c->opened);
	db_get(res, r, 7, c->credential_id, sizeof c->credential_id);
	db_get(res, r, 8, c->token_state, sizeof c->token_state);
	c->failure_count = db_get_int(res, r, 9);
	c->lock_threshold = db_get_int(res, r, 10);
	db_get(res, r, 11, c->locked_at, sizeof c->locked_at);
	db_get(res, r, 12, c->registered_at, sizeof c->registered_at);
	db_get(res, r, 13, c->stopped_at, sizeof c->stopped_at);
	db_get(res, r, 14, c->fraud_hold_reason, sizeof c->fraud_hold_reason);
	db_get(res, r, 15, c->fraud_hold_at, sizeof c->fraud_hold_at);
}

static int fetch_one(struct db *db, const struct db_stmt *stmt, const char *key, const char *what,
		     struct db_contract *out, struct otp_err *err)
{
	const char *params[1] = { key };
	PGresult *res = db_exec_stmt(db, stmt, params, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		otp_err_set(err, OTP_ERR_NOTFOUND, "no contract with %s %s", what, key);
		otp_err_hint(err, "check the number on the form; contracts of other branches are not shown");
		return -1;
	}
	row_to_contract(res, 0, out);
	PQclear(res);
	return 0;
}

int db_contract_get(struct db *db, const char *contract_id, struct db_contract *out, struct otp_err *err)
{
	otp_err_clear(err);
	if (otp_contract_id_check(contract_id, err) != 0)
		return -1;
	return fetch_one(db, &S_BY_ID, contract_id, "contract ID", out, err);
}

int db_contract_by_credential(struct db *db, const char *credential_id, struct db_contract *out,
			      struct otp_err *err)
{
	otp_err_clear(err);
	size_t n = credential_id ? strlen(credential_id) : 0;
	bool ok = n == 12;
	for (size_t i = 0; ok && i < n; i++)
		ok = i < 4 ? (credential_id[i] >= 'A' && credential_id[i] <= 'Z')
			   : (credential_id[i] >= '0' && credential_id[i] <= '9');
	if (!ok)
		return otp_err_set(err, OTP_ERR_USAGE,
				   "credential ID must be 4 capital letters and 8 digits (e.g. OTPD12345678)");
	return fetch_one(db, &S_BY_CREDENTIAL, credential_id, "credential ID", out, err);
}

int db_contract_search_kana(struct db *db, const char *prefix, const struct db_contract *after, int limit,
			    struct db_contract_page *out, struct otp_err *err)
{
	otp_err_clear(err);
	memset(out, 0, sizeof *out);
	char folded[256];
	if (otp_kana_fold(prefix ? prefix : "", folded, sizeof folded, err) != 0)
		return -1;
	if (!folded[0])
		return otp_err_set(err, OTP_ERR_USAGE, "type at least one kana of the customer's name");
	if (limit < 1 || limit > 500)
		return otp_err_set(err, OTP_ERR_USAGE, "page size %d is outside 1..500", limit);
	char lim[16];
	snprintf(lim, sizeof lim, "%d", limit + 1);
	const char *params[4] = { folded, after ? after->name_kana : folded, after ? after->contract_id : "", lim };
	PGresult *res = db_exec_stmt(db, &S_BY_KANA, params, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	int n;
	out->rows = db_page_alloc(res, limit, sizeof *out->rows, &n, &out->more, err);
	if (n < 0)
		return -1;
	for (int r = 0; r < n; r++)
		row_to_contract(res, r, &out->rows[r]);
	out->n = n;
	PQclear(res);
	return 0;
}

void db_contract_page_free(struct db_contract_page *page)
{
	free(page->rows);
	memset(page, 0, sizeof *page);
}

int db_failures_recent(struct db *db, const char *contract_id, struct db_failure *out, int max, int *n,
		       struct otp_err *err)
{
	otp_err_clear(err);
	*n = 0;
	if (otp_contract_id_check(contract_id, err) != 0)
		return -1;
	char lim[16];
	snprintf(lim, sizeof lim, "%d", max);
	const char *params[2] = { contract_id, lim };
	PGresult *res = db_exec_stmt(db, &S_FAILURES, params, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	int rows = PQntuples(res);
	for (int r = 0; r < rows && r < max; r++) {
		struct db_failure *f = &out[r];
		memset(f, 0, sizeof *f);
		f->failure_id = db_get_ll(res, r, 0);
		db_get(res, r, 1, f->at, sizeof f->at);
		db_get(res, r, 2, f->reason, sizeof f->reason);
		f->failure_no = db_get_int(res, r, 3);
		db_get(res, r, 4, f->client, sizeof f->client);
		(*n)++;
	}
	PQclear(res);
	return 0;
}
