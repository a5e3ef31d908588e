/* db_core: connection, statement execution and the error translation that
 * every other db/ file uses. Passwords are wiped when the handle is closed;
 * no SQL here or anywhere in db/ is built by string concatenation. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "db/db_internal.h"

static const char *const role_names[] = {
#define X(id, name) [DB_ROLE_BIT_##id] = name,
	DB_ROLES(X)
#undef X
};

const char *db_role_name(enum db_role_bit bit)
{
	return (unsigned)bit < DB_ROLE_COUNT ? role_names[bit] : "?";
}

static void notice_receiver(void *arg, const PGresult *res)
{
	struct db *db = arg;
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	otp_strlcpy(db->notice, msg ? msg : "", sizeof db->notice);
}

const char *db_last_notice(struct db *db)
{
	static _Thread_local char copy[sizeof db->notice];
	otp_strlcpy(copy, db->notice, sizeof copy);
	db->notice[0] = '\0';
	return copy;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

static void free_secret(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static int open_conn(struct db *db, struct otp_err *err)
{
	const char *keys[8], *vals[8];
	int k = 0;

	if (db->conninfo) {
		keys[k] = "dbname";
		vals[k++] = db->conninfo;
	}
	if (db->user) {
		keys[k] = "user";
		vals[k++] = db->user;
	}
	if (db->password) {
		keys[k] = "password";
		vals[k++] = db->password;
	}
	keys[k] = "fallback_application_name";
	vals[k++] = db->appname ? db->appname : "otpdesk";
	keys[k] = "client_encoding";
	vals[k++] = "UTF8";
	keys[k] = "connect_timeout";
	vals[k++] = "10";
	keys[k] = NULL;
	vals[k] = NULL;

	db->conn = PQconnectdbParams(keys, vals, 1);
	db->nprepared = 0;
	if (!db->conn)
		return otp_err_set(err, OTP_ERR_CONNECT, "out of memory while connecting");
	if (PQstatus(db->conn) != CONNECTION_OK) {
		const char *m = PQerrorMessage(db->conn);
		otp_err_set(err, OTP_ERR_CONNECT, "%s", m);
		/* libpq messages end in a newline and may span lines */
		size_t n = strlen(err->message);
		while (n && (err->message[n - 1] == '\n' || err->message[n - 1] == ' '))
			err->message[--n] = '\0';
		if (strstr(m, "password authentication failed"))
			otp_err_hint(err, "check the login name and password");
		else if (strstr(m, "No such file") || strstr(m, "Connection refused"))
			otp_err_hint(err, "is the database running? (make db; or check PGHOST / the service name)");
		PQfinish(db->conn);
		db->conn = NULL;
		return -1;
	}
	PQsetNoticeReceiver(db->conn, notice_receiver, db);
	return 0;
}

int db_connect(struct db **out, const struct db_conn_params *p, struct otp_err *err)
{
	otp_err_clear(err);
	*out = NULL;
	struct db *db = calloc(1, sizeof *db);
	if (!db)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	db->conninfo = dup_or_null(p->conninfo);
	db->user = dup_or_null(p->user);
	db->password = dup_or_null(p->password);
	db->appname = dup_or_null(p->appname);
	if (open_conn(db, err) != 0) {
		db_close(db);
		return -1;
	}
	*out = db;
	return 0;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	if (db->conn)
		PQfinish(db->conn);
	free(db->conninfo);
	free(db->user);
	free_secret(db->password);
	free(db->appname);
	free(db);
}

bool db_connected(const struct db *db)
{
	return db && db->conn && PQstatus(db->conn) == CONNECTION_OK;
}

int db_reconnect(struct db *db, struct otp_err *err)
{
	otp_err_clear(err);
	if (db->conn)
		PQfinish(db->conn);
	db->conn = NULL;
	return open_conn(db, err);
}

static enum otp_err_kind kind_of(const char *state)
{
	if (!state || !*state)
		return OTP_ERR_DB;
	if (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
	    strcmp(state, "57P03") == 0)
		return OTP_ERR_CONNLOST;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return OTP_ERR_RETRY;
	if (strcmp(state, "OD002") == 0)
		return OTP_ERR_NOTFOUND;
	if (strcmp(state, "OD004") == 0 || strncmp(state, "22", 2) == 0)
		return OTP_ERR_USAGE;
	if (strncmp(state, "OD", 2) == 0 || strcmp(state, "42501") == 0)
		return OTP_ERR_REFUSED;
	return OTP_ERR_DB;
}

/* libpq reports a server that vanished mid-request ("server closed the
 * connection unexpectedly", as after an immediate shutdown) without a
 * SQLSTATE while PQstatus() still says CONNECTION_OK. For such an error one
 * empty query tells a dead connection from a client-side error (outside a
 * pipeline, where a synchronous call is not allowed). */
static bool conn_dropped(struct db *db, const PGresult *res)
{
	if (!res || PQresultStatus(res) != PGRES_FATAL_ERROR || PQpipelineStatus(db->conn) != PQ_PIPELINE_OFF)
		return false;
	PGresult *probe = PQexec(db->conn, "");
	bool dead = PQresultStatus(probe) != PGRES_EMPTY_QUERY || PQstatus(db->conn) != CONNECTION_OK;
	PQclear(probe);
	return dead;
}

int db_fail(struct db *db, PGresult *res, struct otp_err *err)
{
	otp_err_clear(err);
	if (res && PQresultStatus(res) == PGRES_FATAL_ERROR &&
	    PQresultErrorField(res, PG_DIAG_SQLSTATE)) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
		err->kind = kind_of(state);
		otp_strlcpy(err->sqlstate, state, sizeof err->sqlstate);
		otp_strlcpy(err->message, msg ? msg : "", sizeof err->message);
		/* A unique violation's detail echoes key values: not for a teller's screen. */
		if (detail && strcmp(state, "23505") != 0)
			otp_strlcpy(err->detail, detail, sizeof err->detail);
		if (hint)
			otp_strlcpy(err->hint, hint, sizeof err->hint);
	} else if (!db->conn || PQstatus(db->conn) != CONNECTION_OK || conn_dropped(db, res)) {
		otp_err_set(err, OTP_ERR_CONNLOST, "database connection lost");
		otp_err_hint(err, "the server may have restarted; reconnecting");
	} else {
		const char *m = res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn);
		otp_err_set(err, OTP_ERR_DB, "%s", m && *m ? m : "unexpected result from the database");
		size_t n = strlen(err->message);
		while (n && err->message[n - 1] == '\n')
			err->message[--n] = '\0';
	}
	PQclear(res);
	return -1;
}

PGresult *db_exec(struct db *db, const char *sql, int nparams, const char *const *params,
		  ExecStatusType expect, struct otp_err *err)
{
	if (!db->conn) {
		otp_err_set(err, OTP_ERR_CONNLOST, "not connected to the database");
		return NULL;
	}
	PGresult *res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (res && PQresultStatus(res) == expect)
		return res;
	db_fail(db, res, err);
	return NULL;
}

static int ensure_prepared(struct db *db, const struct db_stmt *stmt, struct otp_err *err)
{
	for (int i = 0; i < db->nprepared; i++)
		if (db->prepared[i] == stmt)
			return 0;
	PGresult *res = PQprepare(db->conn, stmt->name, stmt->sql, stmt->nparams, NULL);
	if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
		return db_fail(db, res, err);
	PQclear(res);
	if (db->nprepared < DB_MAX_PREPARED)
		db->prepared[db->nprepared++] = stmt;
	return 0;
}

PGresult *db_exec_stmt(struct db *db, const struct db_stmt *stmt, const char *const *params,
		       ExecStatusType expect, struct otp_err *err)
{
	if (!db->conn) {
		otp_err_set(err, OTP_ERR_CONNLOST, "not connected to the database");
		return NULL;
	}
	if (db->nprepared >= DB_MAX_PREPARED)
		return db_exec(db, stmt->sql, stmt->nparams, params, expect, err);
	if (ensure_prepared(db, stmt, err) != 0)
		return NULL;
	PGresult *res = PQexecPrepared(db->conn, stmt->name, stmt->nparams, params, NULL, NULL, 0);
	if (res && PQresultStatus(res) == expect)
		return res;
	db_fail(db, res, err);
	return NULL;
}

int db_call(struct db *db, const struct db_stmt *stmt, const char *const *params,
	    struct db_outcome *out, struct otp_err *err)
{
	otp_err_clear(err);
	PGresult *res = db_exec_stmt(db, stmt, params, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	if (PQntuples(res) != 1 || PQnfields(res) < 5) {
		PQclear(res);
		return otp_err_set(err, OTP_ERR_INTERNAL, "%s: unexpected result shape", stmt->name);
	}
	struct db_outcome tmp;
	if (!out)
		out = &tmp;
	memset(out, 0, sizeof *out);
	db_get(res, 0, 2, out->message, sizeof out->message);
	db_get(res, 0, 3, out->ref, sizeof out->ref);
	db_get(res, 0, 4, out->data, sizeof out->data);
	if (!db_get_bool(res, 0, 0)) {
		otp_err_set(err, OTP_ERR_REFUSED, "%s", out->message);
		db_get(res, 0, 1, err->sqlstate, sizeof err->sqlstate);
		err->kind = kind_of(err->sqlstate) == OTP_ERR_DB ? OTP_ERR_REFUSED : kind_of(err->sqlstate);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

int db_command(struct db *db, const char *sql, struct otp_err *err)
{
	PGresult *res = db_exec(db, sql, 0, NULL, PGRES_COMMAND_OK, err);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

void db_get(const PGresult *res, int row, int col, char *dst, size_t size)
{
	if (PQgetisnull(res, row, col))
		dst[0] = '\0';
	else
		otp_strlcpy(dst, PQgetvalue(res, row, col), size);
}

int db_get_int(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : atoi(PQgetvalue(res, row, col));
}

void *db_page_alloc(PGresult *res, int limit, size_t elem, int *n, bool *more, struct otp_err *err)
{
	*n = PQntuples(res);
	*more = *n > limit;
	if (*more)
		*n = limit;
	if (*n == 0)
		return NULL;
	void *rows = calloc((size_t)*n, elem);
	if (!rows) {
		PQclear(res);
		*n = -1;
		otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	}
	return rows;
}

long long db_get_ll(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

bool db_get_bool(const PGresult *res, int row, int col)
{
	return !PQgetisnull(res, row, col) && PQgetvalue(res, row, col)[0] == 't';
}

/* ---- whoami ------------------------------------------------------------ */

static const struct db_stmt S_WHOAMI = {
	"whoami",
	"SELECT login, display_name, branch_code, branch_name, branch_name_en, roles, scope"
	" FROM otp_api.whoami",
	0,
};

int db_whoami(struct db *db, struct db_whoami *out, struct otp_err *err)
{
	otp_err_clear(err);
	memset(out, 0, sizeof *out);
	PGresult *res = db_exec_stmt(db, &S_WHOAMI, NULL, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		otp_err_set(err, OTP_ERR_REFUSED, "this login is not an active otpdesk staff member");
		otp_err_hint(err, "ask an administrator to create or reactivate your staff record");
		return -1;
	}
	db_get(res, 0, 0, out->login, sizeof out->login);
	db_get(res, 0, 1, out->display_name, sizeof out->display_name);
	db_get(res, 0, 2, out->branch_code, sizeof out->branch_code);
	db_get(res, 0, 3, out->branch_name, sizeof out->branch_name);
	db_get(res, 0, 4, out->branch_name_en, sizeof out->branch_name_en);
	db_get(res, 0, 6, out->scope, sizeof out->scope);
	char roles[256];
	db_get(res, 0, 5, roles, sizeof roles);
	PQclear(res);
	for (char *save = NULL, *tok = strtok_r(roles, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		for (int b = 0; b < DB_ROLE_COUNT; b++)
			if (strcmp(tok, role_names[b]) == 0)
				out->roles |= 1u << b;
	return 0;
}
