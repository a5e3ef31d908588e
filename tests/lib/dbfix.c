/* dbfix: a fresh database per test run; see dbfix.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "tests/lib/dbfix.h"
#include "tests/lib/testlib.h"

static char dbname[64];
static char conninfo[128];
static PGconn *admin_pg;	/* superuser, database postgres */
static PGconn *test_pg;		/* superuser, test database */
static int ready;

#define MAX_STAFF 64
static char staff_names[MAX_STAFF][64];
static int nstaff;

static PGconn *connect_db(const char *db, const char *user, const char *password)
{
	const char *keys[] = { "dbname", "user", "password", "fallback_application_name", NULL };
	const char *vals[] = { db, user, password, "otpdesk-tests", NULL };
	int k = 0;
	const char *kk[5], *vv[5];
	for (int i = 0; keys[i]; i++)
		if (vals[i]) {
			kk[k] = keys[i];
			vv[k++] = vals[i];
		}
	kk[k] = vv[k] = NULL;
	PGconn *c = PQconnectdbParams(kk, vv, 0);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "dbfix: cannot connect to %s: %s", db, PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, NULL, NULL);
	return c;
}

static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static int exec_on(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		fprintf(stderr, "dbfix: %s\n  in: %.300s\n", PQresultErrorMessage(r), sql);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

static int exec_params(PGconn *c, const char *sql, int n, const char *const *p)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		fprintf(stderr, "dbfix: %s\n  in: %.300s\n", PQresultErrorMessage(r), sql);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

/* Drop test databases and roles left behind by runs that died. */
static void drop_stale(void)
{
	PGresult *r = PQexec(admin_pg, "SELECT datname FROM pg_database WHERE datname ~ '^otptest_[0-9]+$'");
	for (int i = 0; r && i < PQntuples(r); i++) {
		const char *name = PQgetvalue(r, i, 0);
		long pid = strtol(name + 8, NULL, 10);
		if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		const char *p[1] = { name };
		char prefix[40];
		snprintf(prefix, sizeof prefix, "t%ld\\_%%", pid);
		const char *pp[1] = { prefix };
		PGresult *q = PQexecParams(admin_pg, "SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', $1::text)",
					   1, NULL, p, NULL, NULL, 0);
		if (PQresultStatus(q) == PGRES_TUPLES_OK)
			exec_on(admin_pg, PQgetvalue(q, 0, 0));
		PQclear(q);
		q = PQexecParams(admin_pg, "SELECT format('DROP ROLE IF EXISTS %I', rolname) FROM pg_roles WHERE rolname LIKE $1",
				 1, NULL, pp, NULL, NULL, 0);
		for (int j = 0; PQresultStatus(q) == PGRES_TUPLES_OK && j < PQntuples(q); j++)
			exec_on(admin_pg, PQgetvalue(q, j, 0));
		PQclear(q);
	}
	PQclear(r);
}

static void teardown(void)
{
	if (!ready)
		return;
	if (test_pg)
		PQfinish(test_pg);
	test_pg = NULL;
	if (getenv("OTP_TEST_KEEP_DB")) {
		fprintf(stderr, "dbfix: kept database %s\n", dbname);
		return;
	}
	char sql[160];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
	exec_on(admin_pg, sql);
	for (int i = 0; i < nstaff; i++) {
		const char *p[1] = { staff_names[i] };
		PGresult *q = PQexecParams(admin_pg, "SELECT format('DROP ROLE IF EXISTS %I', $1::text)", 1, NULL, p,
					   NULL, NULL, 0);
		if (PQresultStatus(q) == PGRES_TUPLES_OK)
			exec_on(admin_pg, PQgetvalue(q, 0, 0));
		PQclear(q);
	}
	PQfinish(admin_pg);
	admin_pg = NULL;
	ready = 0;
}

static const char *const base_data =
	"INSERT INTO otp.branch (code, name, name_en, head_office) VALUES"
	" ('000', '本店営業部', 'Head Office', true),"
	" ('012', '中央支店', 'Chuo Branch', false),"
	" ('034', '港支店', 'Minato Branch', false);"
	"INSERT INTO otp.contract (contract_id, name_kanji, name_kana, address, branch_code, opened) VALUES"
	" ('0120000001', '山田太郎', 'ヤマダタロウ', '東京都中央区1-1', '012', '2015-04-01'),"
	" ('0120000002', '山田花子', 'ヤマダハナコ', '東京都中央区1-2', '012', '2016-05-01'),"
	" ('0340000001', '佐藤一郎', 'サトウイチロウ', '東京都港区2-1', '034', '2017-06-01'),"
	" ('0340000002', '鈴木次郎', 'スズキジロウ', '東京都港区2-2', '034', '2018-07-01');"
	"INSERT INTO otp.token (contract_id, credential_id, state, failure_count, locked_at, registered_at) VALUES"
	" ('0120000001', 'TSTA00000018', 'ACTIVE', 0, NULL, now() - interval '100 days'),"
	" ('0120000002', 'TSTA00000026', 'LOCKED', 5, now() - interval '1 hour', now() - interval '200 days'),"
	" ('0340000001', 'TSTA00000034', 'ACTIVE', 1, NULL, now() - interval '300 days'),"
	" ('0340000002', NULL, 'UNREGISTERED', 0, NULL, NULL);"
	"INSERT INTO otp.failure (token_id, contract_id, at, reason, failure_no)"
	" SELECT t.token_id, t.contract_id, now() - (6 - g) * interval '5 minutes', 'WRONG_CODE', g"
	" FROM otp.token t, generate_series(1, 5) g WHERE t.contract_id = '0120000002';";

int dbfix_suite_init(void)
{
	if (ready)
		return 0;
	snprintf(dbname, sizeof dbname, "otptest_%ld", (long)getpid());
	snprintf(conninfo, sizeof conninfo, "dbname=%s", dbname);
	admin_pg = connect_db("postgres", NULL, NULL);
	if (!admin_pg) {
		fprintf(stderr, "dbfix: is the private cluster running and var/pgenv sourced? (make db)\n");
		return -1;
	}
	PQsetNoticeProcessor(admin_pg, quiet, NULL);
	drop_stale();
	char sql[160];
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", dbname);
	if (exec_on(admin_pg, sql) != 0)
		return -1;
	ready = 1;
	testlib_at_exit(teardown);

	struct db *db = NULL;
	struct otp_err err;
	struct db_conn_params p = { .conninfo = conninfo, .appname = "otpdesk-tests" };
	if (db_connect(&db, &p, &err) != 0) {
		fprintf(stderr, "dbfix: %s\n", err.message);
		return -1;
	}
	const char *dir = getenv("OTP_SCHEMA_DIR");
	int n = db_migrate(db, dir && *dir ? dir : OTP_SRCDIR "/schema", NULL, &err);
	db_close(db);
	if (n < 0) {
		fprintf(stderr, "dbfix: migrate: %s %s\n", err.message, err.detail);
		return -1;
	}
	test_pg = connect_db(dbname, NULL, NULL);
	if (!test_pg)
		return -1;
	PQsetNoticeProcessor(test_pg, quiet, NULL);
	return exec_on(test_pg, base_data);
}

const char *dbfix_dbname(void)
{
	return dbname;
}

const char *dbfix_conninfo(void)
{
	return conninfo;
}

PGconn *dbfix_pg(void)
{
	if (dbfix_suite_init() != 0)
		return NULL;
	return test_pg;
}

int dbfix_sql(const char *sql)
{
	PGconn *c = dbfix_pg();
	return c ? exec_on(c, sql) : -1;
}

int dbfix_sqlp(const char *sql, int nparams, const char *const *params)
{
	PGconn *c = dbfix_pg();
	return c ? exec_params(c, sql, nparams, params) : -1;
}

int dbfix_valuep(const char *sql, int nparams, const char *const *params, char *out, size_t size)
{
	out[0] = '\0';
	PGconn *c = dbfix_pg();
	if (!c)
		return -1;
	PGresult *r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "dbfix: %s\n  in: %.300s\n", PQresultErrorMessage(r), sql);
		PQclear(r);
		return -1;
	}
	if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		otp_strlcpy(out, PQgetvalue(r, 0, 0), size);
	PQclear(r);
	return 0;
}

int dbfix_value(const char *sql, char *out, size_t size)
{
	return dbfix_valuep(sql, 0, NULL, out, size);
}

long long dbfix_count(const char *sql)
{
	char v[64];
	if (dbfix_value(sql, v, sizeof v) != 0)
		return -1;
	return strtoll(v, NULL, 10);
}

const char *dbfix_staff(const char *name, const char *branch, const char *groups)
{
	static char login[64];
	snprintf(login, sizeof login, "t%ld_%s", (long)getpid(), name);
	PGconn *c = dbfix_pg();
	if (!c)
		return login;
	for (int i = 0; i < nstaff; i++)
		if (strcmp(staff_names[i], login) == 0)
			return login;
	const char *p[4] = { login, DBFIX_PASSWORD, groups, branch };
	char sql[512];
	PGresult *q = PQexecParams(c,
		"SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', $1::text, $2::text),"
		" (SELECT string_agg(format('GRANT %I TO %I', g, $1::text), ';') FROM unnest(string_to_array($3::text, ',')) g),"
		" $4::text",
		4, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(q) != PGRES_TUPLES_OK) {
		fprintf(stderr, "dbfix: %s", PQresultErrorMessage(q));
		PQclear(q);
		return login;
	}
	exec_on(c, PQgetvalue(q, 0, 0));
	exec_on(c, PQgetvalue(q, 0, 1));
	PQclear(q);
	snprintf(sql, sizeof sql, "staff %s", name);
	const char *sp[3] = { login, sql, branch };
	exec_params(c, "INSERT INTO otp.staff (login, display_name, branch_code) VALUES ($1, $2, $3)", 3, sp);
	if (nstaff < MAX_STAFF)
		otp_strlcpy(staff_names[nstaff++], login, sizeof staff_names[0]);
	return login;
}

struct db *dbfix_connect_as(const char *name)
{
	char login[64];
	snprintf(login, sizeof login, "t%ld_%s", (long)getpid(), name);
	struct db_conn_params p = {
		.conninfo = conninfo, .user = login, .password = DBFIX_PASSWORD, .appname = "otpdesk-tests",
	};
	struct db *db = NULL;
	struct otp_err err;
	if (db_connect(&db, &p, &err) != 0) {
		fprintf(stderr, "dbfix: connect as %s: %s\n", login, err.message);
		return NULL;
	}
	return db;
}

PGconn *dbfix_pg_as(const char *name)
{
	char login[64];
	snprintf(login, sizeof login, "t%ld_%s", (long)getpid(), name);
	PGconn *c = connect_db(dbname, login, DBFIX_PASSWORD);
	if (c)
		PQsetNoticeProcessor(c, quiet, NULL);
	return c;
}
