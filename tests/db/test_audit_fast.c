/* The verifier's fast path reads details in jsonb's stored form (migration
 * 045's cast) and renders PostgreSQL's text output itself. These tests put
 * every shape of jsonb the renderer knows (nesting, the offset stride of 32
 * children, numerics of every scale and sign, escapes, padding before
 * aligned values, top-level scalars but strings, which the JSON-lines
 * reader of archives refuses) into sealed events and require the
 * fast path to accept them: one rendering that differs from details::text
 * by one byte would fail the hash and send the verifier to its slow path.
 * A value it refuses, and damage, must take the slow path and still give
 * the sequential verdict. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "db/auditlog.h"
#include "tests/lib/dbfix.h"
#include "tests/lib/testlib.h"

static struct db *su, *batch;

static int init(void)
{
	if (dbfix_suite_init() != 0)
		return -1;
	dbfix_staff("fast_batch", "000", "otp_batch");
	struct otp_err err;
	struct db_conn_params p = { .conninfo = dbfix_conninfo() };
	if (db_connect(&su, &p, &err) != 0)
		return -1;
	batch = dbfix_connect_as("fast_batch");
	return batch ? 0 : -1;
}

static int cleanup(void)
{
	db_close(su);
	db_close(batch);
	su = batch = NULL;
	return 0;
}

static long long seal_all(void)
{
	struct db_audit_seal r;
	struct otp_err err;
	for (int i = 0; i < 400; i++) {
		if (i)
			usleep(25000);
		if (db_audit_seal(batch, 10000, &r, &err) != 0) {
			fprintf(stderr, "\n  seal: %s", err.message);
			CU_FAIL("seal");
			return -1;
		}
		if (r.sealed == 0 && r.backlog == 0)
			return r.last_seq;
	}
	CU_FAIL("sealer did not catch up");
	return -1;
}

/* Verify from seq `from` (other suites' events before it are theirs). */
static struct audit_report verify_from(long long from, int jobs)
{
	struct audit_report rep;
	memset(&rep, 0, sizeof rep);
	struct audit_verifier *v;
	struct otp_err err;
	CU_ASSERT_EQUAL_FATAL(audit_verifier_new(&v, AUDIT_VERIFY_CHAIN, &err), 0);
	struct db_audit_verify_opts o = { .db_checkpoints = false, .jobs = jobs, .min_segment = 2, .from_seq = from };
	if (db_audit_verify(su, v, &o, &rep, &err) != 0) {
		fprintf(stderr, "\n  verify: %s", err.message);
		CU_FAIL("db_audit_verify failed");
	}
	audit_verifier_free(v);
	return rep;
}

/* The jsonb values of the events: each literal is one event's details. */
static const char *const shapes[] = {
	"{}", "[]", "null", "true", "false", "0", "-0.0", "12.500", "-0.001",
	"1e100", "1e-20", "-123456789.123456789", "10000", "99999999", "0.00001", "100000000.0000",
	"123456789012345678901234567890.5", "[1, [2, [3, {}]], []]",
	"{\"a\": {\"b\": {\"c\": [true, false, null, 1.5, \"x\"]}}, \"\": \"empty key\"}",
	"{\"kind\": \"UNLOCK\", \"receipt_no\": \"012-20250401-0001\"}",
	"{\"message\": \"山田 \\\"様\\\" は申請者です\", \"emoji\": \"🔐\", \"esc\": \"\\b\\f\\n\\r\\t\\\\/\\u0001\\u001f\\u007f\"}",
	"[\"s\", 1, \"ss\", 2.25, \"sss\", {\"k\": 3}, \"ssss\", [4], null, 5]",
	"{\"z\": 1, \"yy\": 2, \"xxx\": [], \"a\": \"\", \"bb\": {}, \"ccc\": -7}",
};

static void test_every_shape_takes_the_fast_path(void)
{
	long long from = seal_all() + 1;
	char sql[4096];
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
		const char *p[1] = { shapes[i] };
		snprintf(sql, sizeof sql, "SELECT otp.audit('fast.shape', 'success', NULL, '012', NULL, NULL, %zu, $1::jsonb)", i);
		char out[8];
		CU_ASSERT_EQUAL(dbfix_valuep(sql, 1, p, out, sizeof out), 0);
	}
	/* more than 32 children: JEntries with offsets every 32 (HAS_OFF), keys and array */
	CU_ASSERT_EQUAL(dbfix_sql("SELECT otp.audit('fast.wide', 'success', NULL, NULL, NULL, NULL, NULL,"
				  " (SELECT jsonb_object_agg('k' || g, CASE WHEN g % 3 = 0 THEN to_jsonb(g * 1.25)"
				  "  WHEN g % 3 = 1 THEN to_jsonb(repeat('v', g)) ELSE jsonb_build_array(g, 'x') END)"
				  "  FROM generate_series(1, 75) g))"), 0);
	CU_ASSERT_EQUAL(dbfix_sql("SELECT otp.audit('fast.wide', 'success', NULL, NULL, NULL, NULL, NULL,"
				  " (SELECT jsonb_agg(CASE WHEN g % 2 = 0 THEN to_jsonb(g / 7.0) ELSE to_jsonb(repeat('w', g % 5)) END)"
				  "  FROM generate_series(1, 100) g))"), 0);
	/* numbers from table columns (short varlena headers inside the jsonb) and long strings */
	CU_ASSERT_EQUAL(dbfix_sql("SELECT otp.audit('fast.numbers', 'success', NULL, NULL, NULL, NULL, g,"
				  " jsonb_build_object('n', (g * 37 - 500)::numeric / 8, 'big', power(10::numeric, g % 40),"
				  "  'small', 1 / power(10::numeric, g % 30), 'text', repeat('長', g * 10)))"
				  " FROM generate_series(1, 60) g"), 0);
	long long last = seal_all();
	CU_ASSERT_FATAL(last >= from + 80);
	struct audit_report one = verify_from(from, 1), par = verify_from(from, 3);
	CU_ASSERT_EQUAL(one.damage, AUDIT_DAMAGE_NONE);
	CU_ASSERT_EQUAL(par.damage, AUDIT_DAMAGE_NONE);
	CU_ASSERT_EQUAL(one.rows, last - from + 1);
	CU_ASSERT_EQUAL(par.rows, last - from + 1);
	/* accepted by the fast path, not by the re-check of details::text */
	if (!strstr(one.where, "one stream") || !strstr(par.where, "parallel"))
		fprintf(stderr, "\n  fast path not taken: '%s', '%s'", one.where, par.where);
	CU_ASSERT_PTR_NOT_NULL(strstr(one.where, "one stream"));
	CU_ASSERT_PTR_NOT_NULL(strstr(par.where, "parallel"));
}

static void test_unrenderable_value_takes_the_text_path(void)
{
	long long from = seal_all() + 1;
	/* 5000 digits: more than the renderer takes; PostgreSQL's own text decides */
	CU_ASSERT_EQUAL(dbfix_sql("SELECT otp.audit('fast.huge', 'success', NULL, NULL, NULL, NULL, NULL,"
				  " jsonb_build_object('n', ('1' || repeat('0', 5000))::numeric))"), 0);
	CU_ASSERT_EQUAL(dbfix_sql("SELECT otp.audit('fast.after', 'success', NULL, NULL, NULL, NULL, NULL, '{\"k\": 1}')"), 0);
	long long last = seal_all();
	struct audit_report rep = verify_from(from, 1);
	CU_ASSERT_EQUAL(rep.damage, AUDIT_DAMAGE_NONE);
	CU_ASSERT_EQUAL(rep.rows, last - from + 1);
	/* verified by the sequential stream, which names no segments */
	CU_ASSERT_PTR_NULL(strstr(rep.where, "one stream"));
	CU_ASSERT_PTR_NULL(strstr(rep.where, "parallel"));
}

static void test_damage_in_details_is_found_through_the_text_path(void)
{
	long long from = seal_all() + 1;
	CU_ASSERT_EQUAL(dbfix_sql("SELECT otp.audit('fast.tamper', 'success', NULL, NULL, NULL, NULL, g,"
				  " jsonb_build_object('g', g, 'amount', g * 1.5)) FROM generate_series(1, 12) g"), 0);
	long long last = seal_all();
	long long victim = from + 5;
	char sql[512];
	/* one number changed, nothing re-hashed */
	snprintf(sql, sizeof sql,
		 "SET session_replication_role = replica;"
		 " UPDATE otp.audit_event SET details = jsonb_set(details, '{amount}', '1.51') WHERE seq = %lld;"
		 " RESET session_replication_role", victim);
	CU_ASSERT_EQUAL_FATAL(dbfix_sql(sql), 0);
	struct audit_report one = verify_from(from, 1), par = verify_from(from, 3);
	CU_ASSERT_EQUAL(one.damage, AUDIT_DAMAGE_MODIFIED);
	CU_ASSERT_EQUAL(one.seq, victim);
	CU_ASSERT_EQUAL(par.damage, AUDIT_DAMAGE_MODIFIED);
	CU_ASSERT_EQUAL(par.seq, victim);
	/* put it back for the suites after this one */
	snprintf(sql, sizeof sql,
		 "SET session_replication_role = replica;"
		 " UPDATE otp.audit_event SET details = jsonb_build_object('g', %lld, 'amount', %lld * 1.5) WHERE seq = %lld;"
		 " RESET session_replication_role", victim - from + 1, victim - from + 1, victim);
	CU_ASSERT_EQUAL_FATAL(dbfix_sql(sql), 0);
	struct audit_report again = verify_from(from, 1);
	CU_ASSERT_EQUAL(again.damage, AUDIT_DAMAGE_NONE);
	CU_ASSERT_EQUAL(again.rows, last - from + 1);
}

TEST_SUITE(audit_fast, "db/audit_fast", init, cleanup,
	   TEST(test_every_shape_takes_the_fast_path),
	   TEST(test_unrenderable_value_takes_the_text_path),
	   TEST(test_damage_in_details_is_found_through_the_text_path))
