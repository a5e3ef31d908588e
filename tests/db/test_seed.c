/* Demo data (db/seed.h): counts and shape of the generated rows, every token
 * state, locked tokens with their failures, katakana readings, credential
 * check digits, the demo.seed audit event, refusals (existing contracts
 * without --reset, a non-superuser) that change nothing, reproducibility per
 * PRNG seed, and the bulk path (indexes and foreign keys dropped and rebuilt).
 *
 * --reset empties the contract tables, and every other suite relies on the
 * fixture's four base contracts, so this suite seeds its own database
 * otptest_<pid>_seed (migrated like the fixture's, loaded with the same kind
 * of base data) on the same private cluster, and drops it at exit. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ids.h"
#include "db/seed.h"
#include "otp/otp.h"
#include "tests/lib/dbfix.h"
#include "tests/lib/testlib.h"

#define N_TEST 500
#define FIXED_NOW 1767225600	/* 2026-01-01 00:00 UTC */

static char seed_db[64];
static char seed_conninfo[96];
static PGconn *pg;		/* superuser, seed_db */
static struct db *su;		/* the same through db/ */

static void drop_db(const char *name)
{
	const char *p[1] = { name };
	PGresult *r = PQexecParams(dbfix_pg(), "SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', $1::text)", 1,
				   NULL, p, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		PQclear(PQexec(dbfix_pg(), PQgetvalue(r, 0, 0)));
	PQclear(r);
}

/* Databases of earlier runs that died before their exit hook. */
static void drop_stale(void)
{
	PGresult *r = PQexec(dbfix_pg(), "SELECT datname FROM pg_database WHERE datname ~ '^otptest_[0-9]+_seed$'");
	for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++) {
		const char *name = PQgetvalue(r, i, 0);
		long pid = strtol(name + 8, NULL, 10);
		if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		drop_db(name);
	}
	PQclear(r);
}

static void teardown(void)
{
	db_close(su);
	su = NULL;
	if (pg)
		PQfinish(pg);
	pg = NULL;
	if (seed_db[0] && !getenv("OTP_TEST_KEEP_DB"))
		drop_db(seed_db);
}

static int exec_sql(const char *sql)
{
	PGresult *r = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		fprintf(stderr, "\n  test_seed: %s  in: %.200s\n", PQresultErrorMessage(r), sql);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

/* One value of a query on the seed database ("" for NULL / no row). */
static void value(const char *sql, char *out, size_t size)
{
	out[0] = '\0';
	PGresult *r = PQexec(pg, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fprintf(stderr, "\n  test_seed: %s  in: %.200s\n", PQresultErrorMessage(r), sql);
	else if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		otp_strlcpy(out, PQgetvalue(r, 0, 0), size);
	PQclear(r);
}

static long long count(const char *sql)
{
	char v[64];
	value(sql, v, sizeof v);
	return v[0] ? atoll(v) : -1;
}

/* A digest of everything the seed writes (IDs from sequences left out). */
static void fingerprint(char out[64])
{
	value("SELECT md5(string_agg(x, '|' ORDER BY x)) FROM ("
	      " SELECT concat_ws(',', 'c', contract_id, name_kanji, name_kana, address, branch_code, opened) x"
	      "   FROM otp.contract"
	      " UNION ALL SELECT concat_ws(',', 't', contract_id, credential_id, state, failure_count, locked_at,"
	      "   registered_at, stopped_at) FROM otp.token"
	      " UNION ALL SELECT concat_ws(',', 'f', contract_id, at, reason, failure_no, client) FROM otp.failure"
	      " UNION ALL SELECT concat_ws(',', 'h', contract_id, reason, set_by, set_at, lifted_at) FROM otp.fraud_hold"
	      " UNION ALL SELECT concat_ws(',', 'b', code, name, name_en, head_office) FROM otp.branch"
	      " UNION ALL SELECT concat_ws(',', 's', login, display_name, branch_code, active) FROM otp.staff) s",
	      out, 64);
}

/* Indexes and constraints of the seeded tables, as the catalog prints them. */
static void schema_fingerprint(char out[64])
{
	value("SELECT md5(string_agg(d, '|' ORDER BY d)) FROM ("
	      " SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) d FROM pg_constraint"
	      "  WHERE conrelid IN ('otp.contract'::regclass, 'otp.token'::regclass, 'otp.failure'::regclass)"
	      " UNION ALL SELECT pg_get_indexdef(indexrelid) FROM pg_index"
	      "  WHERE indrelid IN ('otp.contract'::regclass, 'otp.token'::regclass, 'otp.failure'::regclass)) s",
	      out, 64);
}

static const char *const base_data =
	"INSERT INTO otp.branch (code, name, name_en, head_office) VALUES"
	" ('000', '本店営業部', 'Head Office', true), ('012', '中央支店', 'Chuo Branch', false),"
	" ('034', '港支店', 'Minato Branch', false);"
	"INSERT INTO otp.contract (contract_id, name_kanji, name_kana, address, branch_code, opened) VALUES"
	" ('0129999991', '試験太郎', 'シケンタロウ', '東京都中央区1-1', '012', '2015-04-01'),"
	" ('0349999991', '試験花子', 'シケンハナコ', '東京都港区2-1', '034', '2017-06-01');"
	"INSERT INTO otp.token (contract_id, credential_id, state, failure_count, locked_at, registered_at) VALUES"
	" ('0129999991', 'TSTA00000018', 'ACTIVE', 0, NULL, now() - interval '100 days'),"
	" ('0349999991', 'TSTA00000026', 'LOCKED', 5, now() - interval '1 hour', now() - interval '200 days');"
	"INSERT INTO otp.failure (token_id, contract_id, reason, failure_no)"
	" SELECT token_id, contract_id, 'WRONG_CODE', g FROM otp.token, generate_series(1, 5) g"
	" WHERE contract_id = '0349999991';"
	/* another table referencing contracts: --reset empties what depends on
	 * demo data (row 1) and keeps the rest (row 2, like credential stock) */
	"CREATE TABLE public.seed_ref (id int PRIMARY KEY, contract_id text REFERENCES otp.contract,"
	" note text GENERATED ALWAYS AS ('row ' || id) STORED);"
	"INSERT INTO public.seed_ref (id, contract_id) VALUES (1, '0129999991'), (2, NULL);";

static int init(void)
{
	if (dbfix_suite_init() != 0)
		return -1;
	drop_stale();
	snprintf(seed_db, sizeof seed_db, "otptest_%ld_seed", (long)getpid());
	snprintf(seed_conninfo, sizeof seed_conninfo, "dbname=%s", seed_db);
	drop_db(seed_db);
	char sql[128];
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", seed_db);
	PGresult *r = PQexec(dbfix_pg(), sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "test_seed: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	testlib_at_exit(teardown);

	struct otp_err err;
	struct db_conn_params p = { .conninfo = seed_conninfo, .appname = "otpdesk-tests" };
	if (db_connect(&su, &p, &err) != 0) {
		fprintf(stderr, "test_seed: %s\n", err.message);
		return -1;
	}
	const char *dir = getenv("OTP_SCHEMA_DIR");
	if (db_migrate(su, dir && *dir ? dir : OTP_SRCDIR "/schema", NULL, &err) < 0) {
		fprintf(stderr, "test_seed: migrate: %s %s\n", err.message, err.detail);
		return -1;
	}
	const char *keys[] = { "dbname", NULL }, *vals[] = { seed_db, NULL };
	pg = PQconnectdbParams(keys, vals, 0);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "test_seed: %s", PQerrorMessage(pg));
		return -1;
	}
	PQsetNoticeProcessor(pg, NULL, NULL);
	return exec_sql(base_data);
}

static void opts_for(struct db_seed_opts *o, uint64_t seed, bool reset)
{
	db_seed_opts_init(o);
	o->contracts = N_TEST;
	o->seed = seed;
	o->reset = reset;
	o->now = FIXED_NOW;
}

/* ---- refusals ----------------------------------------------------------- */

static void test_refused_without_reset(void)
{
	char before[64], after[64];
	fingerprint(before);
	long long audits = count("SELECT count(*) FROM otp.audit_event");
	struct db_seed_opts o;
	struct db_seed_summary sum;
	struct otp_err err;
	opts_for(&o, 1, false);
	CU_ASSERT_EQUAL(db_seed_run(su, &o, &sum, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_REFUSED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "already has 2 contracts"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.hint, "--reset"));
	fingerprint(after);
	CU_ASSERT_STRING_EQUAL(before, after);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.audit_event"), audits);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.branch"), 3);
	/* the connection is usable afterwards (the transaction was rolled back) */
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.contract"), 2);
}

static void test_refused_for_non_superuser(void)
{
	const char *login = dbfix_staff("sd_admin", "000", "otp_admin");
	/* dbfix made the staff row in its own database; the role is cluster-wide */
	const char *lp[1] = { login };
	PGresult *ins = PQexecParams(pg, "INSERT INTO otp.staff (login, display_name, branch_code)"
				     " VALUES ($1, 'seed admin', '000') ON CONFLICT DO NOTHING", 1, NULL, lp, NULL, NULL, 0);
	CU_ASSERT_EQUAL_FATAL(PQresultStatus(ins), PGRES_COMMAND_OK);
	PQclear(ins);
	struct db *db = NULL;
	struct otp_err err;
	struct db_conn_params p = { .conninfo = seed_conninfo, .user = login, .password = DBFIX_PASSWORD };
	CU_ASSERT_EQUAL_FATAL(db_connect(&db, &p, &err), 0);
	char before[64], after[64];
	fingerprint(before);
	struct db_seed_opts o;
	struct db_seed_summary sum;
	opts_for(&o, 1, true);
	CU_ASSERT_EQUAL(db_seed_run(db, &o, &sum, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_REFUSED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "superuser"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.hint, "var/pgenv"));
	db_close(db);
	fingerprint(after);
	CU_ASSERT_STRING_EQUAL(before, after);
}

static void test_bad_count(void)
{
	struct db_seed_opts o;
	struct db_seed_summary sum;
	struct otp_err err;
	opts_for(&o, 1, true);
	o.contracts = -1;
	CU_ASSERT_EQUAL(db_seed_run(su, &o, &sum, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	o.contracts = DB_SEED_MAX_CONTRACTS + 1;
	CU_ASSERT_EQUAL(db_seed_run(su, &o, &sum, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.contract"), 2);
}

/* ---- the seeded data ----------------------------------------------------- */

static struct db_seed_summary seeded;

static void test_reset_and_seed(void)
{
	struct db_seed_opts o;
	struct otp_err err;
	opts_for(&o, 42, true);
	o.now = 0;	/* the real clock: "recent" below means recent now */
	CU_ASSERT_EQUAL_FATAL(db_seed_run(su, &o, &seeded, &err), 0);
	CU_ASSERT_EQUAL(seeded.contracts, N_TEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(seeded.truncated, "otp.contract"));
	CU_ASSERT_PTR_NOT_NULL(strstr(seeded.truncated, "public.seed_ref (kept 1 unrelated rows)"));
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM public.seed_ref WHERE id = 2 AND contract_id IS NULL"
			      " AND note = 'row 2'"), 1);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM public.seed_ref"), 1);
	CU_ASSERT_FALSE(seeded.bulk);
	/* the old contracts are gone, the new ones are all there */
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.contract WHERE contract_id LIKE '%999999_'"), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.contract"), N_TEST);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.token"), N_TEST);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.failure"), seeded.failures);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.failure WHERE contract_id LIKE '%999999_'"), 0);
	long total = 0;
	for (int s = 0; s < DB_SEED_STATE_COUNT; s++) {
		const char *sp[1] = { db_seed_state_name((enum db_seed_state)s) };
		PGresult *r = PQexecParams(pg, "SELECT count(*) FROM otp.token WHERE state = $1", 1, NULL, sp, NULL,
					   NULL, 0);
		CU_ASSERT_EQUAL_FATAL(PQresultStatus(r), PGRES_TUPLES_OK);
		CU_ASSERT(seeded.state[s] > 0);
		CU_ASSERT_EQUAL(atoll(PQgetvalue(r, 0, 0)), seeded.state[s]);
		PQclear(r);
		total += seeded.state[s];
	}
	CU_ASSERT_EQUAL(total, N_TEST);
	/* roughly the intended mix: 83 % active, 5 % locked, 8 % unregistered, 4 % stopped */
	CU_ASSERT(seeded.state[DB_SEED_ACTIVE] > N_TEST * 70 / 100 && seeded.state[DB_SEED_ACTIVE] < N_TEST * 92 / 100);
	CU_ASSERT(seeded.state[DB_SEED_LOCKED] >= 10 && seeded.state[DB_SEED_LOCKED] <= 50);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.branch"), 20);
	CU_ASSERT_EQUAL(seeded.branches, 20);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.branch WHERE head_office"), 1);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.branch WHERE code = '000' AND head_office"
			      " AND name = '本店営業部'"), 1);
	/* contracts spread over the branches */
	CU_ASSERT_EQUAL(count("SELECT count(DISTINCT branch_code) FROM otp.contract"), 20);
}

static void test_contract_shape(void)
{
	PGresult *r = PQexec(pg, "SELECT contract_id, name_kana, branch_code, name_kanji, address FROM otp.contract");
	CU_ASSERT_EQUAL_FATAL(PQresultStatus(r), PGRES_TUPLES_OK);
	CU_ASSERT_EQUAL(PQntuples(r), N_TEST);
	int bad_id = 0, bad_kana = 0, bad_branch = 0, bad_addr = 0;
	for (int i = 0; i < PQntuples(r); i++) {
		struct otp_err err;
		const char *id = PQgetvalue(r, i, 0), *kana = PQgetvalue(r, i, 1);
		if (otp_contract_id_check(id, &err) != 0)
			bad_id++;
		if (strncmp(id, PQgetvalue(r, i, 2), 3) != 0)
			bad_branch++;
		/* stored folded: folding again changes nothing (no hiragana, no spaces) */
		char folded[256];
		if (otp_kana_fold(kana, folded, sizeof folded, &err) != 0 || strcmp(folded, kana) != 0)
			bad_kana++;
		if (strstr(PQgetvalue(r, i, 4), "丁目") == NULL)
			bad_addr++;
	}
	PQclear(r);
	CU_ASSERT_EQUAL(bad_id, 0);
	CU_ASSERT_EQUAL(bad_branch, 0);
	CU_ASSERT_EQUAL(bad_kana, 0);
	CU_ASSERT_EQUAL(bad_addr, 0);
	/* full-width katakana only (and the prolonged sound mark) */
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.contract WHERE name_kana !~ '^[ァ-ヺー]+$'"), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.contract WHERE name_kanji ~ '[ -~　ァ-ヺ]'"), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.contract WHERE address !~ '^(東京都|神奈川県|埼玉県|千葉県)'"), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.contract WHERE opened < '1990-01-01' OR opened > '2025-12-31'"),
			0);
	/* realistic: many different names, not one repeated */
	CU_ASSERT(count("SELECT count(DISTINCT name_kanji) FROM otp.contract") > N_TEST / 2);
}

static void test_token_shape(void)
{
	PGresult *r = PQexec(pg, "SELECT credential_id, state FROM otp.token");
	CU_ASSERT_EQUAL_FATAL(PQresultStatus(r), PGRES_TUPLES_OK);
	int bad = 0, with = 0;
	for (int i = 0; i < PQntuples(r); i++) {
		struct otp_err err;
		bool unregistered = strcmp(PQgetvalue(r, i, 1), "UNREGISTERED") == 0;
		if (PQgetisnull(r, i, 0)) {
			bad += !unregistered;
			continue;
		}
		with++;
		bad += unregistered;
		if (!otp_credential_valid(PQgetvalue(r, i, 0), &err) ||
		    strncmp(PQgetvalue(r, i, 0), DB_SEED_CREDENTIAL_PREFIX, 4) != 0)
			bad++;
	}
	PQclear(r);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(with, N_TEST - seeded.state[DB_SEED_UNREGISTERED]);
	/* seeds are left to the verifier's provisioning */
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.token WHERE seed IS NOT NULL OR key_version IS NOT NULL"), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.token WHERE registered_at >= now()"), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.token WHERE state <> 'UNREGISTERED' AND registered_at IS NULL"), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.token WHERE (state = 'STOPPED') <> (stopped_at IS NOT NULL)"), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.token WHERE stopped_at <= registered_at OR stopped_at >= now()"), 0);
	/* some ACTIVE tokens carry 1-3 recent failures, with rows to match */
	CU_ASSERT(count("SELECT count(*) FROM otp.token WHERE state = 'ACTIVE' AND failure_count BETWEEN 1 AND 3") > 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.token t WHERE state = 'ACTIVE' AND failure_count <>"
			      " (SELECT count(*) FROM otp.failure f WHERE f.token_id = t.token_id)"), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.token WHERE state IN ('UNREGISTERED', 'STOPPED')"
			      " AND failure_count <> 0"), 0);
}

static void test_locked_tokens(void)
{
	char t[16];
	value("SELECT lock_threshold FROM otp.policy", t, sizeof t);
	CU_ASSERT_EQUAL(seeded.lock_threshold, atoi(t));
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.token WHERE state = 'LOCKED'"
			      " AND failure_count <> (SELECT lock_threshold FROM otp.policy)"), 0);
	/* locked within the last 10 days */
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.token WHERE state = 'LOCKED'"
			      " AND (locked_at >= now() OR locked_at < now() - interval '10 days'"
			      "      OR locked_at <= registered_at)"), 0);
	/* >= threshold failure rows each, WRONG_CODE numbered 1..threshold, the last at locked_at */
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.token t WHERE state = 'LOCKED' AND ("
			      " (SELECT count(*) FROM otp.failure f WHERE f.token_id = t.token_id) < t.failure_count"
			      " OR (SELECT array_agg(failure_no ORDER BY at, failure_id) FROM otp.failure f"
			      "     WHERE f.token_id = t.token_id AND reason = 'WRONG_CODE')"
			      "    <> (SELECT array_agg(g) FROM generate_series(1, t.failure_count) g)"
			      " OR (SELECT max(at) FROM otp.failure f WHERE f.token_id = t.token_id"
			      "     AND reason = 'WRONG_CODE') <> t.locked_at"
			      " OR EXISTS (SELECT 1 FROM otp.failure f WHERE f.token_id = t.token_id"
			      "     AND (reason = 'LOCKED') <> (at > t.locked_at)))"),
			0);
	/* some kept trying after the lock */
	CU_ASSERT(count("SELECT count(*) FROM otp.failure WHERE reason = 'LOCKED'") > 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.failure f JOIN otp.token t USING (token_id)"
			      " WHERE f.contract_id <> t.contract_id OR f.at >= now()"), 0);
}

static void test_fraud_holds_staff_audit(void)
{
	CU_ASSERT(seeded.fraud_holds >= 2);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.fraud_hold WHERE lifted_at IS NULL AND set_by = 'demo_helpdesk'"),
			seeded.fraud_holds);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.fraud_hold h JOIN otp.token t USING (contract_id)"
			      " WHERE t.state <> 'LOCKED' OR h.set_at < t.locked_at OR h.set_at > now()"), 0);
	/* one per role, in otp.staff and as login roles in their groups */
	int n;
	const struct db_seed_login *l = db_seed_logins(&n);
	CU_ASSERT_EQUAL(n, 8);
	CU_ASSERT_EQUAL(seeded.staff, n);
	for (int i = 0; i < n; i++) {
		char sql[512];
		snprintf(sql, sizeof sql,
			 "SELECT count(*) FROM otp.staff s JOIN pg_roles me ON me.rolname = s.login"
			 " JOIN pg_auth_members m ON m.member = me.oid JOIN pg_roles g ON g.oid = m.roleid"
			 " WHERE s.login = '%s' AND s.branch_code = '%s' AND s.active AND me.rolcanlogin"
			 " AND g.rolname = '%s'",
			 l[i].login, l[i].branch, l[i].group);
		CU_ASSERT_EQUAL(count(sql), 1);
	}
	/* the demo teller logs in with the documented password and sees branch 012 */
	struct db *db = NULL;
	struct otp_err err;
	struct db_conn_params p = { .conninfo = seed_conninfo, .user = "demo_teller", .password = "demo_teller" };
	CU_ASSERT_EQUAL_FATAL(db_connect(&db, &p, &err), 0);
	struct db_whoami me;
	CU_ASSERT_EQUAL(db_whoami(db, &me, &err), 0);
	CU_ASSERT_STRING_EQUAL(me.branch_code, "012");
	CU_ASSERT(me.roles & DB_ROLE(TELLER));
	db_close(db);
	/* one audit event, by the superuser, with the counts */
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.audit_event WHERE event = 'demo.seed' AND outcome = 'success'"
			      " AND actor = current_user AND (details->>'contracts')::int = 500"
			      " AND (details->'tokens'->>'LOCKED')::int > 0"),
			1);
}

static void test_again_without_reset_refused(void)
{
	char before[64], after[64];
	fingerprint(before);
	long long audits = count("SELECT count(*) FROM otp.audit_event");
	struct db_seed_opts o;
	struct db_seed_summary sum;
	struct otp_err err;
	opts_for(&o, 42, false);
	CU_ASSERT_EQUAL(db_seed_run(su, &o, &sum, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_REFUSED);
	CU_ASSERT_EQUAL(sum.contracts, 0);
	fingerprint(after);
	CU_ASSERT_STRING_EQUAL(before, after);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.audit_event"), audits);
}

static void test_same_seed_same_data(void)
{
	struct db_seed_opts o;
	struct db_seed_summary sum;
	struct otp_err err;
	char a[64], b[64], c[64];
	opts_for(&o, 7, true);
	CU_ASSERT_EQUAL_FATAL(db_seed_run(su, &o, &sum, &err), 0);
	CU_ASSERT_EQUAL(sum.roles_created, 0);	/* the demo logins exist by now */
	fingerprint(a);
	CU_ASSERT_EQUAL_FATAL(db_seed_run(su, &o, &sum, &err), 0);
	fingerprint(b);
	CU_ASSERT_STRING_EQUAL(a, b);
	opts_for(&o, 8, true);
	CU_ASSERT_EQUAL_FATAL(db_seed_run(su, &o, &sum, &err), 0);
	fingerprint(c);
	CU_ASSERT_STRING_NOT_EQUAL(a, c);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.contract"), N_TEST);
}

static void test_bulk_path(void)
{
	struct db_seed_opts o;
	struct db_seed_summary sum;
	struct otp_err err;
	char data_plain[64], data_bulk[64], schema_before[64], schema_after[64];
	opts_for(&o, 9, true);
	o.bulk = DB_SEED_BULK_OFF;
	CU_ASSERT_EQUAL_FATAL(db_seed_run(su, &o, &sum, &err), 0);
	CU_ASSERT_FALSE(sum.bulk);
	fingerprint(data_plain);
	schema_fingerprint(schema_before);
	o.bulk = DB_SEED_BULK_ON;
	CU_ASSERT_EQUAL_FATAL(db_seed_run(su, &o, &sum, &err), 0);
	CU_ASSERT_TRUE(sum.bulk);
	fingerprint(data_bulk);
	schema_fingerprint(schema_after);
	CU_ASSERT_STRING_EQUAL(data_plain, data_bulk);
	CU_ASSERT_STRING_EQUAL(schema_before, schema_after);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT convalidated"
			      " AND conrelid IN ('otp.token'::regclass, 'otp.failure'::regclass)"), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM pg_index WHERE NOT indisvalid AND indrelid = 'otp.contract'::regclass"),
			0);
}

/* The first seed of a fresh database (make demo): no --reset needed, and
 * rows of other tables that reference no contract are left alone. */
static void test_first_seed_of_empty_database(void)
{
	CU_ASSERT_EQUAL_FATAL(exec_sql("DELETE FROM otp.failure; DELETE FROM otp.fraud_hold; DELETE FROM otp.token;"
				       " DELETE FROM otp.contract"), 0);
	long long audits = count("SELECT count(*) FROM otp.audit_event WHERE event = 'demo.seed'");
	struct db_seed_opts o;
	struct db_seed_summary sum;
	struct otp_err err;
	opts_for(&o, 7, false);
	CU_ASSERT_EQUAL_FATAL(db_seed_run(su, &o, &sum, &err), 0);
	CU_ASSERT_STRING_EQUAL(sum.truncated, "");
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.contract"), N_TEST);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM public.seed_ref WHERE id = 2"), 1);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM otp.audit_event WHERE event = 'demo.seed'"), audits + 1);
	/* the same data as the --reset run with this seed */
	char a[64], b[64];
	fingerprint(a);
	opts_for(&o, 7, true);
	CU_ASSERT_EQUAL_FATAL(db_seed_run(su, &o, &sum, &err), 0);
	fingerprint(b);
	CU_ASSERT_STRING_EQUAL(a, b);
}

TEST_SUITE(seed, "db/seed", init, NULL,
	   TEST(test_refused_without_reset),
	   TEST(test_refused_for_non_superuser),
	   TEST(test_bad_count),
	   TEST(test_reset_and_seed),
	   TEST(test_contract_shape),
	   TEST(test_token_shape),
	   TEST(test_locked_tokens),
	   TEST(test_fraud_holds_staff_audit),
	   TEST(test_again_without_reset_refused),
	   TEST(test_same_seed_same_data),
	   TEST(test_bulk_path),
	   TEST(test_first_seed_of_empty_database))
