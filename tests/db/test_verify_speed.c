/* What 044_verify_speed must keep while making a verification cheaper: the
 * audit partitions carry no redundant index (one unique seq index, the key
 * (at, event_id) doubling as the time index), every search filter still has
 * its index and a page is an ordered index scan with no sort, verifications (success
 * and failure) each write one audit event that the sealer chains and that
 * rehashes to the stored hash, and the token table leaves room for HOT
 * updates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/db/test_token_fix.h"
#include "tests/lib/dbfix.h"
#include "tests/lib/testlib.h"

/* No partition of otp.audit_event has two indexes with the same key columns
 * and predicate, nor a (seq, ...) index besides the unique (seq) one; every
 * partition has the unique seq index and the primary key (at, event_id). */
static void test_audit_indexes(void)
{
	CU_ASSERT_EQUAL(dbfix_count("SELECT count(*) FROM (SELECT i.indrelid, i.indkey::text, pg_get_expr(i.indpred, i.indrelid)"
				    " FROM pg_index i JOIN pg_inherits h ON h.inhrelid = i.indrelid"
				    " WHERE h.inhparent = 'otp.audit_event'::regclass"
				    " GROUP BY 1, 2, 3 HAVING count(*) > 1) d"),
			0);
	long long parts = dbfix_count("SELECT count(*) FROM pg_inherits WHERE inhparent = 'otp.audit_event'::regclass");
	CU_ASSERT(parts >= 2);
	/* indexes whose first column is seq: exactly one per partition, unique, on seq alone */
	CU_ASSERT_EQUAL(dbfix_count("SELECT count(*) FROM pg_index i JOIN pg_inherits h ON h.inhrelid = i.indrelid"
				    " WHERE h.inhparent = 'otp.audit_event'::regclass AND i.indnatts = 1 AND i.indisunique"
				    " AND i.indpred IS NULL"
				    " AND (SELECT attname FROM pg_attribute WHERE attrelid = i.indrelid"
				    "      AND attnum = i.indkey[0]) = 'seq'"),
			parts);
	CU_ASSERT_EQUAL(dbfix_count("SELECT count(*) FROM pg_index i JOIN pg_inherits h ON h.inhrelid = i.indrelid"
				    " WHERE h.inhparent = 'otp.audit_event'::regclass AND i.indnatts > 1"
				    " AND (SELECT attname FROM pg_attribute WHERE attrelid = i.indrelid"
				    "      AND attnum = i.indkey[0]) = 'seq'"),
			0);
	char key[128];
	dbfix_value("SELECT pg_get_constraintdef(oid) FROM pg_constraint"
		    " WHERE conrelid = 'otp.audit_event'::regclass AND contype = 'p'",
		    key, sizeof key);
	CU_ASSERT_STRING_EQUAL(key, "PRIMARY KEY (at, event_id)");
	/* a new partition (as the sealer creates them) gets the same set */
	CU_ASSERT_EQUAL(dbfix_sql("SELECT otp.audit_partition_ensure(timestamptz '2031-05-15 12:00+09')"), 0);
	CU_ASSERT_EQUAL(dbfix_count("SELECT count(*) FROM pg_index WHERE indrelid = 'otp.audit_event_y2031m05'::regclass"),
			dbfix_count("SELECT count(*) FROM pg_index WHERE indrelid = "
				    "(SELECT inhrelid FROM pg_inherits WHERE inhparent = 'otp.audit_event'::regclass"
				    "  AND inhrelid::regclass::text <> 'otp.audit_event_default' LIMIT 1)"));
	CU_ASSERT_EQUAL(dbfix_sql("ALTER TABLE otp.audit_event DETACH PARTITION otp.audit_event_y2031m05"), 0);
	CU_ASSERT_EQUAL(dbfix_sql("DROP TABLE otp.audit_event_y2031m05"), 0);
}

/* Every partition has, for each search filter, an index that answers it in
 * keyset order: (column, at, event_id) for the column filters, the partial
 * (at, event_id) WHERE outcome = 'refused' for refusals, and the key
 * (at, event_id) for a time range alone. Returns how many partitions lack
 * the index whose key columns are cols (and predicate pred, NULL: any). */
static long long partitions_without(const char *cols, const char *pred)
{
	const char *params[2] = { cols, pred };
	char out[32];
	dbfix_valuep("SELECT count(*) FROM pg_inherits h WHERE h.inhparent = 'otp.audit_event'::regclass"
		     " AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = h.inhrelid"
		     "   AND (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(i.indkey) WITH ORDINALITY k(att, n)"
		     "        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.att) = $1"
		     "   AND ($2::text IS NULL OR pg_get_expr(i.indpred, i.indrelid) = $2))",
		     2, params, out, sizeof out);
	return atoll(out);
}

/* The plan of one search page (newest first, keyset, 51 rows) for a value
 * that is rare, as most searched values are: no sequential scan, no sort,
 * no row filter: the filter's index answers it in order. */
static int search_plan_ok(const char *filter)
{
	char sql[1024], plan[8192] = "";
	snprintf(sql, sizeof sql,
		 "EXPLAIN (COSTS OFF) SELECT * FROM otp_api.audit_events WHERE %s"
		 " AND (at, event_id) < (now(), 9223372036854775807) ORDER BY at DESC, event_id DESC LIMIT 51",
		 filter);
	PGconn *c = dbfix_pg();
	PGresult *r = PQexec(c, "SET enable_seqscan = off; SET enable_sort = off; SET enable_bitmapscan = off");
	PQclear(r);
	r = PQexec(c, sql);
	for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++) {
		strncat(plan, PQgetvalue(r, i, 0), sizeof plan - strlen(plan) - 2);
		strcat(plan, "\n");
	}
	int ok = PQresultStatus(r) == PGRES_TUPLES_OK && !strstr(plan, "Seq Scan") && !strstr(plan, "Filter:") &&
		 !strstr(plan, "->  Sort") && strncmp(plan, "Sort", 4) != 0 && strncmp(plan, "Limit\n  ->  Sort", 16) != 0;
	PQclear(r);
	r = PQexec(c, "RESET enable_seqscan; RESET enable_sort; RESET enable_bitmapscan");
	PQclear(r);
	if (!ok)
		fprintf(stderr, "\n  search by %s is not an ordered index scan:\n%s", filter, plan);
	return ok;
}

static void test_search_indexed(void)
{
	static const char *const cols[] = {
		"contract_id,at,event_id", "credential_id,at,event_id", "actor,at,event_id",
		"branch_code,at,event_id", "event,at,event_id", "request_id,at,event_id", "at,event_id",
	};
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
		CU_ASSERT_EQUAL(partitions_without(cols[i], NULL), 0);
	CU_ASSERT_EQUAL(partitions_without("at,event_id", "(outcome = 'refused'::text)"), 0);
	CU_ASSERT_EQUAL(partitions_without("client_app,at,event_id", NULL),
			dbfix_count("SELECT count(*) FROM pg_inherits WHERE inhparent = 'otp.audit_event'::regclass"));

	static const char *const filters[] = {
		"contract_id = '0999999999'", "credential_id = 'ZZZZ99999999'", "actor = 'no_such_login'",
		"branch_code = '999'", "event = 'no.such.event'", "request_id = -1",
		"at >= now() - interval '7 days'",
	};
	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
		CU_ASSERT(search_plan_ok(filters[i]));
}

/* Accepted, wrong and replayed codes: one audit event each, all chained by
 * the sealer, every sealed hash equal to its recomputation. */
static void test_verify_events_chained(void)
{
	struct tokfix_token t;
	int64_t now = TOKFIX_T0 + 7 * 86400;
	CU_ASSERT_FATAL(tokfix_active(&t, now) == 0);
	long long before = tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE contract_id = $1 AND event = 'otp.verify'",
					 t.contract);
	char code[OTP_CODE_SIZE];
	struct db_verify_result r;
	struct otp_err err;
	int accepted = 0;
	for (int k = 1; k <= 5; k++) {
		tokfix_code_at(&t, now + 30 * k, code);
		CU_ASSERT_EQUAL(db_verify(tokfix_verifier(), t.contract, code, now + 30 * k, &r, &err), 0);
		accepted += r.status == DB_VERIFY_ACCEPTED;
		/* the same code again: a replay, recorded, not accepted */
		CU_ASSERT_EQUAL(db_verify(tokfix_verifier(), t.contract, code, now + 30 * k, &r, &err), 0);
		CU_ASSERT_EQUAL(r.status, DB_VERIFY_REJECTED);
		CU_ASSERT_EQUAL(r.reason, DB_FAILURE_REPLAY);
	}
	CU_ASSERT_EQUAL(accepted, 5);
	CU_ASSERT_EQUAL(db_verify(tokfix_verifier(), t.contract, "000000", now + 400, &r, &err), 0);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE contract_id = $1 AND event = 'otp.verify'",
				      t.contract) - before,
			11);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE contract_id = $1 AND event = 'otp.verify'"
				      " AND outcome = 'success'",
				      t.contract),
			5);

	dbfix_staff("spd_batch", "000", "otp_batch");
	PGconn *b = dbfix_pg_as("spd_batch");
	CU_ASSERT_FATAL(b != NULL);
	PGresult *res = PQexec(b, "SELECT ok FROM otp_api.audit_seal(1000000)");
	CU_ASSERT(PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "t") == 0);
	PQclear(res);
	PQfinish(b);
	/* other suites share this database (and tamper with its chain on
	 * purpose), so look at this contract's events only */
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE contract_id = $1 AND seq IS NULL",
				      t.contract),
			0);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(DISTINCT seq) FROM otp.audit_event WHERE contract_id = $1"
				      " AND event = 'otp.verify'",
				      t.contract) - before,
			11);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.audit_event e WHERE e.contract_id = $1"
				      " AND e.hash <> sha256(e.prev_hash || otp.audit_encoding(e.seq, e))",
				      t.contract),
			0);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.audit_event e JOIN otp.audit_event p ON p.seq = e.seq - 1"
				      " WHERE e.contract_id = $1 AND e.prev_hash <> p.hash",
				      t.contract),
			0);
}

/* Verification updates the token in place: the table keeps free room on
 * every page for HOT updates (044: fillfactor 70). */
static void test_token_fillfactor(void)
{
	char opts[128];
	dbfix_value("SELECT array_to_string(reloptions, ',') FROM pg_class WHERE oid = 'otp.token'::regclass", opts,
		    sizeof opts);
	CU_ASSERT_PTR_NOT_NULL(strstr(opts, "fillfactor=70"));
}

TEST_SUITE(verify_speed, "db/verify_speed", tokfix_init, NULL,
	   TEST(test_audit_indexes), TEST(test_search_indexed), TEST(test_verify_events_chained),
	   TEST(test_token_fillfactor));
