/* A crash in the middle of writing loses no committed audit event and
 * leaves a verifiable chain. Runs on a THROWAWAY cluster of its own
 * (OTP_VAR=/tmp/otpcrash-<pid> scripts/pgctl start), never the shared one:
 * writers append events and a sealer seals while the server is stopped
 * with `-m immediate`; after restart (crash recovery) every event a writer
 * saw committed must be there, the sealer must catch up gap-free, and the
 * verifier must pass. The cluster is destroyed afterwards. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "audit/audit.h"
#include "db/auditlog.h"
#include "tests/lib/testlib.h"

#define WRITERS 8
#define BATCH_LOGIN "crash_batch"
#define BATCH_PASSWORD "crash-batch-password"

static char var[64];
static char conninfo[512];
static bool started;

static int pgctl(const char *action)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "OTP_VAR='%s' '%s/scripts/pgctl' %s >/dev/null 2>&1", var, OTP_SRCDIR, action);
	return system(cmd);
}

/* host, port and passfile of the throwaway cluster, from its pgenv. */
static int read_env(void)
{
	char path[128], line[512], host[256] = "", port[16] = "", passfile[256] = "";
	snprintf(path, sizeof path, "%s/pgenv", var);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		char *eq = strchr(line, '=');
		if (strncmp(line, "export ", 7) != 0 || !eq)
			continue;
		char *val = eq + 1;
		val[strcspn(val, "\n")] = '\0';
		if (*val == '\'') {
			val++;
			val[strcspn(val, "'")] = '\0';
		}
		*eq = '\0';
		if (strcmp(line + 7, "PGHOST") == 0)
			snprintf(host, sizeof host, "%s", val);
		else if (strcmp(line + 7, "PGPORT") == 0)
			snprintf(port, sizeof port, "%s", val);
		else if (strcmp(line + 7, "PGPASSFILE") == 0)
			snprintf(passfile, sizeof passfile, "%s", val);
	}
	fclose(f);
	snprintf(conninfo, sizeof conninfo, "host=%s port=%s user=otpsuper passfile=%s dbname=otpdesk", host, port,
		 passfile);
	return host[0] && port[0] ? 0 : -1;
}

static int init(void)
{
	snprintf(var, sizeof var, "/tmp/otpcrash-%d", (int)getpid());
	if (pgctl("start") != 0 || read_env() != 0) {
		fprintf(stderr, "crash test: cannot start a throwaway cluster in %s\n", var);
		pgctl("destroy");
		return -1;
	}
	started = true;
	struct db *db = NULL;
	struct otp_err err;
	struct db_conn_params p = { .conninfo = conninfo, .appname = "otpdesk-crash-test" };
	if (db_connect(&db, &p, &err) != 0 || db_migrate(db, OTP_SRCDIR "/schema", NULL, &err) < 0) {
		fprintf(stderr, "crash test: %s\n", err.message);
		db_close(db);
		return -1;
	}
	db_close(db);
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r = PQexec(c,
		"INSERT INTO otp.branch (code, name, name_en, head_office) VALUES ('000', '本店', 'Head Office', true);"
		"CREATE ROLE " BATCH_LOGIN " LOGIN PASSWORD '" BATCH_PASSWORD "';"
		"GRANT otp_batch TO " BATCH_LOGIN ";"
		"INSERT INTO otp.staff (login, display_name, branch_code) VALUES ('" BATCH_LOGIN "', 'batch', '000')");
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "crash test: %s", PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}

static int cleanup(void)
{
	if (started)
		pgctl("destroy");
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", var);
	if (strncmp(var, "/tmp/otpcrash-", 14) == 0)
		(void)!system(cmd);
	started = false;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long acked[WRITERS];
static atomic_bool stop_sealer;

static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static void *writer_main(void *arg)
{
	int id = (int)(intptr_t)arg;
	PGconn *c = PQconnectdb(conninfo);
	PQsetNoticeProcessor(c, quiet, NULL);	/* "terminating connection due to immediate shutdown" is expected */
	char wid[16], num[24];
	snprintf(wid, sizeof wid, "%d", id);
	for (long long n = 0; PQstatus(c) == CONNECTION_OK; n++) {
		snprintf(num, sizeof num, "%lld", n);
		const char *p[2] = { wid, num };
		PGresult *r = PQexecParams(c, "SELECT otp.audit('crash.write', 'success', NULL, NULL, NULL, NULL, NULL,"
					      " jsonb_build_object('w', $1::int, 'n', $2::bigint))",
					   2, NULL, p, NULL, NULL, 0);
		bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
		PQclear(r);
		if (!ok)
			break;	/* the server went away */
		acked[id] = n + 1;
	}
	PQfinish(c);
	return NULL;
}

static struct db *connect_batch(void)
{
	struct db *db = NULL;
	struct otp_err err;
	struct db_conn_params p = { .conninfo = conninfo, .user = BATCH_LOGIN, .password = BATCH_PASSWORD };
	if (db_connect(&db, &p, &err) != 0)
		return NULL;
	return db;
}

static void *sealer_main(void *arg)
{
	(void)arg;
	struct db *db = connect_batch();
	struct db_audit_seal r;
	struct otp_err err;
	while (db && !atomic_load(&stop_sealer) && db_audit_seal(db, 10000, &r, &err) == 0)
		usleep(50000);
	db_close(db);
	return NULL;
}

static void test_crash_loses_no_committed_event(void)
{
	pthread_t wt[WRITERS], st;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&st, NULL, sealer_main, NULL), 0);
	for (int i = 0; i < WRITERS; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&wt[i], NULL, writer_main, (void *)(intptr_t)i), 0);
	double t0 = now_s();
	while (now_s() - t0 < 1.5)
		usleep(50000);
	CU_ASSERT_EQUAL(pgctl("immediate-stop"), 0);	/* a crash: no checkpoint, no clean shutdown */
	for (int i = 0; i < WRITERS; i++)
		pthread_join(wt[i], NULL);
	atomic_store(&stop_sealer, true);
	pthread_join(st, NULL);
	CU_ASSERT_EQUAL_FATAL(pgctl("start"), 0);	/* crash recovery */

	PGconn *c = PQconnectdb(conninfo);
	CU_ASSERT_EQUAL_FATAL(PQstatus(c), CONNECTION_OK);
	long long total = 0;
	for (int i = 0; i < WRITERS; i++) {
		char sql[256];
		snprintf(sql, sizeof sql,
			 "SELECT count(DISTINCT (details->>'n')::bigint) FROM otp.audit_event"
			 " WHERE event = 'crash.write' AND (details->>'w')::int = %d AND (details->>'n')::bigint < %lld",
			 i, acked[i]);
		PGresult *r = PQexec(c, sql);
		CU_ASSERT_EQUAL(PQresultStatus(r), PGRES_TUPLES_OK);
		long long present = PQresultStatus(r) == PGRES_TUPLES_OK ? atoll(PQgetvalue(r, 0, 0)) : -1;
		if (present != acked[i])
			fprintf(stderr, "\n  writer %d: %lld acknowledged, %lld present", i, acked[i], present);
		CU_ASSERT_EQUAL(present, acked[i]);
		PQclear(r);
		total += acked[i];
	}
	CU_ASSERT(total > 100);
	PGresult *r = PQexec(c, "SELECT count(*) FILTER (WHERE seq IS NOT NULL) FROM otp.audit_event");
	long long sealed_before = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);

	/* the sealer resumes where the chain head says */
	struct db *batch = connect_batch();
	CU_ASSERT_PTR_NOT_NULL_FATAL(batch);
	struct db_audit_seal s;
	struct otp_err err;
	do {
		CU_ASSERT_EQUAL_FATAL(db_audit_seal(batch, 10000, &s, &err), 0);
	} while (s.sealed > 0 || s.backlog > 0);
	db_close(batch);
	r = PQexec(c, "SELECT count(*), count(DISTINCT seq), coalesce(max(seq), 0), count(*) FILTER (WHERE seq IS NULL),"
		      " (SELECT seq FROM otp.audit_chain_head) FROM otp.audit_event");
	CU_ASSERT_EQUAL_FATAL(PQresultStatus(r), PGRES_TUPLES_OK);
	long long rows = atoll(PQgetvalue(r, 0, 0));
	CU_ASSERT_EQUAL(atoll(PQgetvalue(r, 0, 1)), rows);
	CU_ASSERT_EQUAL(atoll(PQgetvalue(r, 0, 2)), rows);
	CU_ASSERT_EQUAL(atoll(PQgetvalue(r, 0, 3)), 0);
	CU_ASSERT_EQUAL(atoll(PQgetvalue(r, 0, 4)), rows);
	PQclear(r);
	PQfinish(c);

	struct db *su = NULL;
	struct db_conn_params p = { .conninfo = conninfo };
	CU_ASSERT_EQUAL_FATAL(db_connect(&su, &p, &err), 0);
	struct audit_verifier *v;
	CU_ASSERT_EQUAL_FATAL(audit_verifier_new(&v, AUDIT_VERIFY_CHAIN, &err), 0);
	struct audit_report rep;
	struct db_audit_verify_opts o = { .db_checkpoints = true };
	CU_ASSERT_EQUAL(db_audit_verify(su, v, &o, &rep, &err), 0);
	CU_ASSERT_EQUAL(rep.damage, AUDIT_DAMAGE_NONE);
	CU_ASSERT_EQUAL(rep.rows, rows);
	audit_verifier_free(v);
	db_close(su);
	fprintf(stderr, "\n  audit crash: %lld events acknowledged before the crash, all present; %lld had been sealed;"
			" %lld sealed after recovery; chain verifies", total, sealed_before, rows);
}

TEST_SUITE(audit_crash, "db/audit_crash", init, cleanup,
	   TEST(test_crash_loses_no_committed_event))
