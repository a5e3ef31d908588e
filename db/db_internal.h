/* db_internal: what the db/ files share and nothing outside db/ may include.
 * The one place a PGresult becomes a struct otp_err is db_fail(). */
#ifndef OTPDESK_DB_INTERNAL_H
#define OTPDESK_DB_INTERNAL_H

#include <libpq-fe.h>

#include "db/db.h"

#define DB_MAX_PREPARED 64

struct db {
	PGconn *conn;
	char *conninfo;
	char *user;
	char *password;
	char *appname;
	char notice[512];
	/* statements prepared on this connection (reset on reconnect) */
	const struct db_stmt *prepared[DB_MAX_PREPARED];
	int nprepared;
};

/* A statement prepared on first use and reused for the connection's life. */
struct db_stmt {
	const char *name;
	const char *sql;
	int nparams;
};

/* Fill err from res (or from the connection when res is NULL) and PQclear
 * res. Returns -1. */
int db_fail(struct db *db, PGresult *res, struct otp_err *err);

/* Run sql with text parameters; returns the result when its status is
 * `expect`, else fills err and returns NULL. */
PGresult *db_exec(struct db *db, const char *sql, int nparams, const char *const *params,
		  ExecStatusType expect, struct otp_err *err);

/* The same through a named prepared statement. */
PGresult *db_exec_stmt(struct db *db, const struct db_stmt *stmt, const char *const *params,
		       ExecStatusType expect, struct otp_err *err);

/* Run a statement returning one otp_api.outcome row (SELECT * FROM otp_api.f(...)).
 * ok = false becomes an OTP_ERR_REFUSED error with the outcome's code as SQLSTATE. */
int db_call(struct db *db, const struct db_stmt *stmt, const char *const *params,
	    struct db_outcome *out, struct otp_err *err);

/* Run a parameterless command (BEGIN, COMMIT, ...) expecting PGRES_COMMAND_OK. */
int db_command(struct db *db, const char *sql, struct otp_err *err);

/* Copy column col of row 0..n into dst ("" for NULL). */
void db_get(const PGresult *res, int row, int col, char *dst, size_t size);
int db_get_int(const PGresult *res, int row, int col);
long long db_get_ll(const PGresult *res, int row, int col);
bool db_get_bool(const PGresult *res, int row, int col);

/* The rows of a keyset page read with LIMIT limit + 1: *n (at most limit)
 * rows to keep, *more when one more came back, and a zeroed array of *n
 * elements of elem bytes to fill (NULL when *n is 0). Out of memory: NULL,
 * *n = -1, err set and res cleared. */
void *db_page_alloc(PGresult *res, int limit, size_t elem, int *n, bool *more, struct otp_err *err);

#endif
