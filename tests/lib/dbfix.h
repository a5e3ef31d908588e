/* dbfix: the database fixture of tests/db. The first call creates a fresh
 * database otptest_<pid> on the private cluster (PG* variables from
 * var/pgenv), applies every migration, loads a small base data set, and
 * arranges for the database and its test roles to be dropped at exit.
 *
 * Base data: branches 000 (head office), 012, 034; contracts
 *   0120000001 (012, token ACTIVE, credential TSTA00000001-ish),
 *   0120000002 (012, token LOCKED with 5 failures),
 *   0340000001 (034, token ACTIVE), 0340000002 (034, UNREGISTERED).
 * Tests create what else they need through dbfix_sql(). */
#ifndef OTPDESK_DBFIX_H
#define OTPDESK_DBFIX_H

#include <libpq-fe.h>

#include "db/db.h"

/* The test database's name and a conninfo string for it. */
const char *dbfix_dbname(void);
const char *dbfix_conninfo(void);

/* A superuser libpq connection to the test database (shared, do not close). */
PGconn *dbfix_pg(void);

/* Run SQL as superuser; returns 0, or -1 after printing the error. */
int dbfix_sql(const char *sql);
/* The same with text parameters ($1, $2, ...): one statement only. */
int dbfix_sqlp(const char *sql, int nparams, const char *const *params);
/* Run a one-value query as superuser and copy the value ("" for NULL or no row). */
int dbfix_value(const char *sql, char *out, size_t size);
/* The same with text parameters. */
int dbfix_valuep(const char *sql, int nparams, const char *const *params, char *out, size_t size);
long long dbfix_count(const char *sql);

/* Create (once) a staff login named t<pid>_<name> in branch `branch` and
 * groups `groups` (comma-separated, e.g. "otp_teller"), with a staff row,
 * bypassing the API (superuser). Returns the full login name (static). */
const char *dbfix_staff(const char *name, const char *branch, const char *groups);
/* Password every fixture login uses. */
#define DBFIX_PASSWORD "test-password-1"
/* Open a new db connection as that staff login (caller closes). */
struct db *dbfix_connect_as(const char *name);
/* The same as a raw libpq connection (caller PQfinish-es). */
PGconn *dbfix_pg_as(const char *name);

/* CUnit suite init usable directly: makes sure the database exists. */
int dbfix_suite_init(void);

#endif
