/* db_admin: administration calls of the SQL API (staff, branches, policy).
 * Passwords are hashed into SCRAM verifiers on the client with
 * PQencryptPasswordConn, so clear text never reaches the server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "db/db_internal.h"

static const struct db_stmt S_STAFF_CREATE = {
	"staff_create",
	"SELECT * FROM otp_api.staff_create($1, $2, $3, string_to_array($4, ','), $5)",
	5,
};

int db_staff_create(struct db *db, const char *login, const char *display_name, const char *branch,
		    const char *groups, const char *password, struct db_outcome *out, struct otp_err *err)
{
	otp_err_clear(err);
	if (!password || strlen(password) < 8)
		return otp_err_set(err, OTP_ERR_USAGE, "password must have at least 8 characters");
	char *scram = PQencryptPasswordConn(db->conn, password, login ? login : "", "scram-sha-256");
	if (!scram)
		return db_fail(db, NULL, err);
	const char *params[5] = { login, display_name, branch, groups, scram };
	int rc = db_call(db, &S_STAFF_CREATE, params, out, err);
	OPENSSL_cleanse(scram, strlen(scram));
	PQfreemem(scram);
	return rc;
}

static const struct db_stmt S_STAFF_ACTIVE = {
	"staff_set_active", "SELECT * FROM otp_api.staff_set_active($1, $2::boolean)", 2,
};
static const struct db_stmt S_STAFF_GROUPS = {
	"staff_set_groups", "SELECT * FROM otp_api.staff_set_groups($1, string_to_array($2, ','))", 2,
};
static const struct db_stmt S_STAFF_PASSWORD = {
	"staff_set_password", "SELECT * FROM otp_api.staff_set_password($1, $2)", 2,
};
static const struct db_stmt S_STAFF_LIST = {
	"staff_list",
	"SELECT login, display_name, branch_code, active, roles,"
	" to_char(created_at, 'YYYY-MM-DD HH24:MI') FROM otp_api.staff ORDER BY login LIMIT $1",
	1,
};
static const struct db_stmt S_BRANCH_UPSERT = {
	"branch_upsert",
	"SELECT * FROM otp_api.branch_upsert($1, $2, $3, $4::boolean, nullif($5, '')::time)",
	5,
};
static const struct db_stmt S_BRANCH_LIST = {
	"branch_list",
	"SELECT code, name, name_en, head_office, coalesce(to_char(cutoff, 'HH24:MI'), ''), active"
	" FROM otp_api.branches ORDER BY code LIMIT $1",
	1,
};
static const struct db_stmt S_CLOSING_DAY = {
	"branch_closing_day_set",
	"SELECT * FROM otp_api.branch_closing_day_set($1, $2::date, $3::boolean, $4)",
	4,
};
static const struct db_stmt S_POLICY_GET = {
	"policy_get",
	"SELECT lock_threshold, window_steps, to_char(cutoff, 'HH24:MI'), coalesce(auto_unlock_minutes, 0),"
	" idle_lock_minutes, to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS'), updated_by FROM otp_api.policy",
	0,
};
static const struct db_stmt S_POLICY_SET = {
	"policy_set",
	"SELECT * FROM otp_api.policy_set($1::integer, $2::integer, nullif($3, '')::time, $4::integer, $5::integer)",
	5,
};

int db_staff_set_active(struct db *db, const char *login, bool active, struct db_outcome *out,
			struct otp_err *err)
{
	const char *params[2] = { login, active ? "true" : "false" };
	return db_call(db, &S_STAFF_ACTIVE, params, out, err);
}

int db_staff_set_groups(struct db *db, const char *login, const char *groups, struct db_outcome *out,
			struct otp_err *err)
{
	const char *params[2] = { login, groups };
	return db_call(db, &S_STAFF_GROUPS, params, out, err);
}

int db_staff_set_password(struct db *db, const char *login, const char *password, struct db_outcome *out,
			  struct otp_err *err)
{
	otp_err_clear(err);
	if (!password || strlen(password) < 8)
		return otp_err_set(err, OTP_ERR_USAGE, "password must have at least 8 characters");
	char *scram = PQencryptPasswordConn(db->conn, password, login ? login : "", "scram-sha-256");
	if (!scram)
		return db_fail(db, NULL, err);
	const char *params[2] = { login, scram };
	int rc = db_call(db, &S_STAFF_PASSWORD, params, out, err);
	OPENSSL_cleanse(scram, strlen(scram));
	PQfreemem(scram);
	return rc;
}

int db_staff_list(struct db *db, struct db_staff *out, int max, int *n, struct otp_err *err)
{
	otp_err_clear(err);
	*n = 0;
	char lim[16];
	snprintf(lim, sizeof lim, "%d", max);
	const char *params[1] = { lim };
	PGresult *res = db_exec_stmt(db, &S_STAFF_LIST, params, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	for (int r = 0; r < PQntuples(res) && r < max; r++) {
		struct db_staff *s = &out[r];
		db_get(res, r, 0, s->login, sizeof s->login);
		db_get(res, r, 1, s->display_name, sizeof s->display_name);
		db_get(res, r, 2, s->branch_code, sizeof s->branch_code);
		s->active = db_get_bool(res, r, 3);
		db_get(res, r, 4, s->roles, sizeof s->roles);
		db_get(res, r, 5, s->created_at, sizeof s->created_at);
		(*n)++;
	}
	PQclear(res);
	return 0;
}

int db_branch_upsert(struct db *db, const char *code, const char *name, const char *name_en, bool head_office,
		     const char *cutoff, struct db_outcome *out, struct otp_err *err)
{
	const char *params[5] = { code, name, name_en, head_office ? "true" : "false", cutoff ? cutoff : "" };
	return db_call(db, &S_BRANCH_UPSERT, params, out, err);
}

int db_branch_list(struct db *db, struct db_branch *out, int max, int *n, struct otp_err *err)
{
	otp_err_clear(err);
	*n = 0;
	char lim[16];
	snprintf(lim, sizeof lim, "%d", max);
	const char *params[1] = { lim };
	PGresult *res = db_exec_stmt(db, &S_BRANCH_LIST, params, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	for (int r = 0; r < PQntuples(res) && r < max; r++) {
		struct db_branch *b = &out[r];
		db_get(res, r, 0, b->code, sizeof b->code);
		db_get(res, r, 1, b->name, sizeof b->name);
		db_get(res, r, 2, b->name_en, sizeof b->name_en);
		b->head_office = db_get_bool(res, r, 3);
		db_get(res, r, 4, b->cutoff, sizeof b->cutoff);
		b->active = db_get_bool(res, r, 5);
		(*n)++;
	}
	PQclear(res);
	return 0;
}

int db_branch_closing_day(struct db *db, const char *branch, const char *day, bool add, const char *reason,
			  struct db_outcome *out, struct otp_err *err)
{
	const char *params[4] = { branch, day, add ? "true" : "false", reason };
	return db_call(db, &S_CLOSING_DAY, params, out, err);
}

int db_policy_get(struct db *db, struct db_policy *out, struct otp_err *err)
{
	otp_err_clear(err);
	memset(out, 0, sizeof *out);
	PGresult *res = db_exec_stmt(db, &S_POLICY_GET, NULL, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return otp_err_set(err, OTP_ERR_INTERNAL, "the policy row is missing");
	}
	out->lock_threshold = db_get_int(res, 0, 0);
	out->window_steps = db_get_int(res, 0, 1);
	db_get(res, 0, 2, out->cutoff, sizeof out->cutoff);
	out->auto_unlock_minutes = db_get_int(res, 0, 3);
	out->idle_lock_minutes = db_get_int(res, 0, 4);
	db_get(res, 0, 5, out->updated_at, sizeof out->updated_at);
	db_get(res, 0, 6, out->updated_by, sizeof out->updated_by);
	PQclear(res);
	return 0;
}

/* A non-negative number as text, or NULL (keep the setting). */
static const char *opt_int(int v, char *buf, size_t size)
{
	if (v < 0)
		return NULL;
	snprintf(buf, size, "%d", v);
	return buf;
}

int db_policy_set(struct db *db, int lock_threshold, int window_steps, const char *cutoff,
		  int auto_unlock_minutes, int idle_lock_minutes, struct db_outcome *out, struct otp_err *err)
{
	char a[16], b[16], c[16], d[16];
	const char *params[5] = {
		opt_int(lock_threshold, a, sizeof a), opt_int(window_steps, b, sizeof b), cutoff ? cutoff : "",
		opt_int(auto_unlock_minutes, c, sizeof c), opt_int(idle_lock_minutes, d, sizeof d),
	};
	return db_call(db, &S_POLICY_SET, params, out, err);
}
