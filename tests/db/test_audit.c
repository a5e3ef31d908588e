/* The audit chain in the database: the SQL sealer and the C verifier agree
 * on the format's known answers; rows are append-only for everyone short of
 * a superuser who disables triggers; the sealer seals only finished
 * transactions, gap-free, and refuses other groups; and every kind of damage
 * a superuser can do is found by the verifier with the right first seq:
 * a modified field, a deleted middle row, deleted last rows, a forged row,
 * two rows swapped, a consistently rewritten suffix (only through a signed
 * checkpoint) and forged checkpoints. Each damage case restores the chain
 * afterwards (session_replication_role = replica skips the triggers). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "db/auditlog.h"
#include "tests/lib/dbfix.h"
#include "tests/lib/testlib.h"

static struct db *su;		/* superuser, struct db */
static struct db *batch;	/* an otp_batch login */
static struct audit_key *key;	/* the test signing key */

static struct db *connect_su(void)
{
	struct db *db = NULL;
	struct otp_err err;
	struct db_conn_params p = { .conninfo = dbfix_conninfo(), .appname = "otpdesk-tests" };
	if (db_connect(&db, &p, &err) != 0)
		fprintf(stderr, "connect: %s\n", err.message);
	return db;
}

static int init(void)
{
	if (dbfix_suite_init() != 0)
		return -1;
	dbfix_staff("audit_batch", "000", "otp_batch");
	dbfix_staff("audit_teller", "012", "otp_teller");
	su = connect_su();
	batch = dbfix_connect_as("audit_batch");
	unsigned char seed[32];
	memset(seed, 0x11, sizeof seed);
	struct otp_err err;
	if (audit_key_from_seed(seed, &key, &err) != 0)
		return -1;
	return su && batch ? 0 : -1;
}

static int cleanup(void)
{
	char cpfile[64];
	snprintf(cpfile, sizeof cpfile, "/tmp/otp-audit-test-%d.cp", (int)getpid());
	remove(cpfile);	/* left behind when a test failed */
	db_close(su);
	db_close(batch);
	audit_key_free(key);
	su = batch = NULL;
	key = NULL;
	return 0;
}

/* n events through otp.audit as the superuser. */
static void events(int n, const char *tag)
{
	char sql[512];
	snprintf(sql, sizeof sql,
		 "SELECT otp.audit('test.event', 'success', NULL, '012', '0120000001', NULL, g,"
		 " jsonb_build_object('tag', '%s', 'n', g)) FROM generate_series(1, %d) g",
		 tag, n);
	CU_ASSERT_EQUAL(dbfix_sql(sql), 0);
}

/* Seal until nothing is left; returns the head seq. */
static long long seal_all(void)
{
	struct db_audit_seal r;
	struct otp_err err;
	for (int i = 0; i < 400; i++) {
		if (i)
			usleep(25000);	/* a transaction elsewhere in the cluster may hold the horizon back */
		if (db_audit_seal(batch, 10000, &r, &err) != 0) {
			fprintf(stderr, "\n  seal: %s", err.message);
			CU_FAIL("seal failed");
			return -1;
		}
		if (r.sealed == 0 && r.backlog == 0)
			return r.last_seq;
	}
	CU_FAIL("sealer did not catch up");
	return -1;
}

static long long head_seq(void)
{
	return dbfix_count("SELECT seq FROM otp.audit_chain_head");
}

static struct audit_report verify_once(bool with_key, bool db_checkpoints, const char *cpfile, int jobs)
{
	struct audit_report rep;
	memset(&rep, 0, sizeof rep);
	struct audit_verifier *v;
	struct otp_err err;
	CU_ASSERT_EQUAL_FATAL(audit_verifier_new(&v, AUDIT_VERIFY_CHAIN, &err), 0);
	if (with_key)
		audit_verifier_add_key(v, key, &err);
	if (cpfile)
		CU_ASSERT_EQUAL(audit_verifier_load_checkpoints(v, cpfile, &err), 0);
	/* tiny segments, so that the parallel path runs on these short chains */
	struct db_audit_verify_opts o = { .db_checkpoints = db_checkpoints, .jobs = jobs, .min_segment = 3 };
	if (db_audit_verify(su, v, &o, &rep, &err) != 0) {
		fprintf(stderr, "\n  verify: %s", err.message);
		CU_FAIL("db_audit_verify failed");
	}
	audit_verifier_free(v);
	return rep;
}

/* Verify the live chain as the superuser (with the test key, the stored
 * checkpoints, a checkpoint file), in one stream and in three parallel
 * segments: both must say the same. */
static struct audit_report verify_db(bool with_key, bool db_checkpoints, const char *cpfile)
{
	struct audit_report one = verify_once(with_key, db_checkpoints, cpfile, 1);
	struct audit_report par = verify_once(with_key, db_checkpoints, cpfile, 3);
	if (one.damage != par.damage || one.seq != par.seq || one.rows != par.rows)
		fprintf(stderr, "\n  parallel verify differs: %s at %lld (%lld rows) vs %s at %lld (%lld rows)",
			audit_damage_name(par.damage), (long long)par.seq, (long long)par.rows,
			audit_damage_name(one.damage), (long long)one.seq, (long long)one.rows);
	CU_ASSERT_EQUAL(par.damage, one.damage);
	CU_ASSERT_EQUAL(par.seq, one.seq);
	CU_ASSERT_EQUAL(par.seq_to, one.seq_to);
	if (one.damage == AUDIT_DAMAGE_NONE) {
		if (one.rows >= 9)	/* 3 segments of at least 3 rows: the fast path ran */
			CU_ASSERT_PTR_NOT_NULL(strstr(par.where, "parallel"));
		CU_ASSERT_EQUAL(par.rows, one.rows);
		CU_ASSERT_EQUAL(par.last_seq, one.last_seq);
		CU_ASSERT_EQUAL(par.checkpoints_matched, one.checkpoints_matched);
		CU_ASSERT_EQUAL(memcmp(par.last_hash, one.last_hash, AUDIT_HASH_LEN), 0);
	}
	return one;
}

#define EXPECT(rep, kind, first)                                                                     \
	do {                                                                                         \
		struct audit_report r_ = (rep);                                                      \
		if (r_.damage != (kind) || r_.seq != (first))                                        \
			fprintf(stderr, "\n  %s:%d: expected %s at %lld, got %s at %lld (%s)", __FILE__, \
				__LINE__, audit_damage_name(kind), (long long)(first),               \
				audit_damage_name(r_.damage), (long long)r_.seq, r_.message);        \
		CU_ASSERT_EQUAL(r_.damage, (kind));                                                  \
		CU_ASSERT_EQUAL(r_.seq, (first));                                                    \
	} while (0)

/* Sign the current head and store the checkpoint (and append it to cpfile). */
static struct audit_checkpoint checkpoint_now(const char *cpfile)
{
	struct db_audit_head h;
	struct otp_err err;
	struct audit_checkpoint cp;
	memset(&cp, 0, sizeof cp);
	CU_ASSERT_EQUAL_FATAL(db_audit_head(batch, &h, &err), 0);
	cp.seq = h.seq;
	memcpy(cp.hash, h.hash, AUDIT_HASH_LEN);
	cp.time = (int64_t)time(NULL);
	CU_ASSERT_EQUAL_FATAL(audit_checkpoint_sign(&cp, key, &err), 0);
	struct db_outcome out;
	if (db_audit_checkpoint_add(batch, &cp, &out, &err) != 0)
		fprintf(stderr, "\n  checkpoint: %s", err.message);
	if (cpfile)
		CU_ASSERT_EQUAL(audit_checkpoint_append(cpfile, &cp, &err), 0);
	return cp;
}

/* ---- damage cases work on a copy they restore -------------------------- */

static void snapshot(void)
{
	CU_ASSERT_EQUAL_FATAL(dbfix_sql("CREATE TEMP TABLE saved_event AS SELECT * FROM otp.audit_event;"
					 "CREATE TEMP TABLE saved_head AS SELECT * FROM otp.audit_chain_head;"
					 "CREATE TEMP TABLE saved_cp AS SELECT * FROM otp.audit_checkpoint"), 0);
}

static void restore(void)
{
	CU_ASSERT_EQUAL(dbfix_sql(
		"SET session_replication_role = replica;"
		"DELETE FROM otp.audit_event; INSERT INTO otp.audit_event SELECT * FROM saved_event;"
		"DELETE FROM otp.audit_chain_head; INSERT INTO otp.audit_chain_head SELECT * FROM saved_head;"
		"DELETE FROM otp.audit_checkpoint; INSERT INTO otp.audit_checkpoint SELECT * FROM saved_cp;"
		"SET session_replication_role = origin;"
		"DROP TABLE saved_event, saved_head, saved_cp"), 0);
	EXPECT(verify_db(true, true, NULL), AUDIT_DAMAGE_NONE, 0);
}

/* Run sql as the superuser with triggers skipped (what an attacker with superuser rights does). */
static void tamper(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void tamper(const char *fmt, ...)
{
	char body[4096], sql[4200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	snprintf(sql, sizeof sql, "SET session_replication_role = replica; %s; SET session_replication_role = origin",
		 body);
	CU_ASSERT_EQUAL(dbfix_sql(sql), 0);
}

/* ---- the tests ----------------------------------------------------------- */

/* The SQL encoding of the format document's vectors equals the C encoding. */
static void test_sql_and_c_agree_on_known_answers(void)
{
	char sql_hex[2048];
	CU_ASSERT_EQUAL_FATAL(dbfix_value(
		"SELECT encode(otp.audit_encoding_head(2) || otp.audit_encoding_tail(1002, '2025-04-01 09:00:01+09',"
		" 'super01', NULL, 'request.approve', 'refused', 'OD005', '', '2001:db8::1', NULL, NULL, NULL, NULL,"
		" '{\"message\": \"山田 \\\"様\\\" は申請者です\"}'), 'hex')", sql_hex, sizeof sql_hex), 0);
	struct audit_event ev = {
		.seq = 2, .event_id = 1002, .at_us = 1743465601000000LL,
		.actor = { "super01", 7 }, .via_role = { NULL, -1 }, .event = { "request.approve", 15 },
		.outcome = { "refused", 7 }, .reason_code = { "OD005", 5 }, .client_app = { "", 0 },
		.client_addr = { "2001:db8::1/128", 15 }, .branch_code = { NULL, -1 }, .contract_id = { NULL, -1 },
		.credential_id = { NULL, -1 }, .has_request_id = false,
		.details = { "{\"message\": \"山田 \\\"様\\\" は申請者です\"}",
			     (int)strlen("{\"message\": \"山田 \\\"様\\\" は申請者です\"}") },
	};
	unsigned char enc[1024];
	char c_hex[2049];
	size_t n = audit_encode(&ev, enc, sizeof enc);
	audit_hex(enc, n, c_hex);
	CU_ASSERT_STRING_EQUAL(sql_hex, c_hex);
}

/* Client addresses reach the encoding as text(inet) whichever way the
 * stream carries them (IPv4 formatted by the client, IPv6 as text). */
static void test_client_addresses(void)
{
	CU_ASSERT_EQUAL_FATAL(dbfix_sql(
		"INSERT INTO otp.audit_event (actor, event, outcome, client_addr) SELECT 'addr', 'test.addr', 'success', a::inet"
		" FROM unnest(ARRAY['192.0.2.10', '10.1.2.3/24', '0.0.0.0', '255.255.255.255', '2001:db8::1',"
		" '::ffff:1.2.3.4', '::1', 'fe80::1:2:3:4/64', '2001:db8:0:0:1:0:0:1']) a"), 0);
	long long last = seal_all();
	CU_ASSERT(last >= 9);
	EXPECT(verify_db(false, true, NULL), AUDIT_DAMAGE_NONE, 0);
	/* and a changed address is a changed row */
	snapshot();
	tamper("UPDATE otp.audit_event SET client_addr = '10.1.2.4/24' WHERE client_addr = '10.1.2.3/24'");
	long long k = dbfix_count("SELECT seq FROM otp.audit_event WHERE client_addr = '10.1.2.4/24'");
	EXPECT(verify_db(false, true, NULL), AUDIT_DAMAGE_MODIFIED, k);
	restore();
}

/* Nobody updates or deletes audit rows through normal means, the owner included. */
static void test_append_only(void)
{
	events(3, "append-only");
	long long last = seal_all();
	CU_ASSERT_FATAL(last >= 3);
	checkpoint_now(NULL);
	events(1, "unsealed");
	char sql[256];
	const char *const attempts[] = {
		"UPDATE otp.audit_event SET actor = 'x' WHERE seq = %lld",
		"UPDATE otp.audit_event SET seq = seq + 1000000 WHERE seq = %lld",
		"UPDATE otp.audit_event SET hash = NULL, seq = NULL, prev_hash = NULL, sealed_at = NULL WHERE seq = %lld",
		"UPDATE otp.audit_event SET seq = 99999999, prev_hash = hash, hash = hash, sealed_at = now()"
		" WHERE seq IS NULL AND %lld > 0",
		"DELETE FROM otp.audit_event WHERE seq = %lld",
		"TRUNCATE otp.audit_event /* %lld */",
		"UPDATE otp.audit_chain_head SET seq = %lld - 1",
		"DELETE FROM otp.audit_chain_head WHERE seq = %lld",
		"DELETE FROM otp.audit_checkpoint WHERE seq <= %lld",
		"TRUNCATE otp.audit_checkpoint /* %lld */",
	};
	PGconn *c = dbfix_pg();
	for (int as_owner = 0; as_owner < 2; as_owner++) {
		for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
			snprintf(sql, sizeof sql, attempts[i], last);
			PQclear(PQexec(c, as_owner ? "BEGIN; SET LOCAL ROLE otp_owner" : "BEGIN"));
			PGresult *r = PQexec(c, sql);
			const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
			if (PQresultStatus(r) != PGRES_FATAL_ERROR || !state || strcmp(state, "42501") != 0)
				fprintf(stderr, "\n  not refused%s: %s", as_owner ? " (owner)" : "", sql);
			CU_ASSERT_EQUAL(PQresultStatus(r), PGRES_FATAL_ERROR);
			CU_ASSERT_STRING_EQUAL(state ? state : "", "42501");
			PQclear(r);
			PQclear(PQexec(c, "ROLLBACK"));
		}
	}
	/* TRUNCATE of a partition directly */
	char part[128];
	dbfix_value("SELECT c.oid::regclass::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
		    " WHERE i.inhparent = 'otp.audit_event'::regclass AND c.relname <> 'audit_event_default' LIMIT 1",
		    part, sizeof part);
	snprintf(sql, sizeof sql, "TRUNCATE %s", part);
	PGresult *r = PQexec(c, sql);
	CU_ASSERT_EQUAL(PQresultStatus(r), PGRES_FATAL_ERROR);
	PQclear(r);
	EXPECT(verify_db(true, true, NULL), AUDIT_DAMAGE_NONE, 0);
}

/* Only finished transactions are sealed; the chain stays gap-free and an
 * event committed while an older transaction runs waits for it. */
static void test_sealer_waits_for_open_transactions(void)
{
	seal_all();
	long long before = head_seq();
	/* a superuser transaction stands for a business transaction still running */
	PGconn *old = PQconnectdb(dbfix_conninfo());
	CU_ASSERT_EQUAL_FATAL(PQstatus(old), CONNECTION_OK);
	PQclear(PQexec(old, "BEGIN"));
	PGresult *r = PQexec(old, "SELECT otp.audit('test.open', 'success', NULL)");
	CU_ASSERT_EQUAL(PQresultStatus(r), PGRES_TUPLES_OK);
	PQclear(r);
	events(2, "committed-after");	/* newer transactions, committed */
	/* an aborted transaction leaves nothing to seal */
	CU_ASSERT_EQUAL(dbfix_sql("BEGIN; SELECT otp.audit('test.aborted', 'success', NULL); ROLLBACK"), 0);
	struct db_audit_seal s;
	struct otp_err err;
	CU_ASSERT_EQUAL_FATAL(db_audit_seal(batch, 10000, &s, &err), 0);
	CU_ASSERT_EQUAL(s.last_seq, before);	/* nothing: the open transaction is older */
	CU_ASSERT(s.backlog >= 2);	/* the open transaction's event is not even visible */
	PQclear(PQexec(old, "COMMIT"));
	long long after = seal_all();
	CU_ASSERT_EQUAL(after, before + 3);
	CU_ASSERT_EQUAL(dbfix_count("SELECT count(*) FROM otp.audit_event WHERE event = 'test.aborted'"), 0);
	CU_ASSERT_EQUAL(dbfix_count("SELECT count(*) FROM otp.audit_event WHERE seq IS NULL"), 0);
	CU_ASSERT_EQUAL(dbfix_count("SELECT count(DISTINCT seq) - max(seq) FROM otp.audit_event"), 0);
	EXPECT(verify_db(true, true, NULL), AUDIT_DAMAGE_NONE, 0);
	PQfinish(old);
}

/* The sealer keeps partitions for this month and the next two. */
static void test_sealer_creates_partitions(void)
{
	char name[64];
	CU_ASSERT_EQUAL_FATAL(dbfix_value("SELECT format('otp.audit_event_y%sm%s',"
					  " to_char(m, 'YYYY'), to_char(m, 'MM')) FROM (SELECT date_trunc('month',"
					  " now() AT TIME ZONE 'Asia/Tokyo') + interval '2 months' AS m) x",
					  name, sizeof name), 0);
	char sql[160];
	snprintf(sql, sizeof sql, "DROP TABLE %s", name);
	CU_ASSERT_EQUAL_FATAL(dbfix_sql(sql), 0);	/* an empty future month */
	const char *p[1] = { name };
	char got[64];
	dbfix_valuep("SELECT coalesce(to_regclass($1)::text, 'missing')", 1, p, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "missing");
	struct db_audit_seal r;
	struct otp_err err;
	CU_ASSERT_EQUAL(db_audit_seal(batch, 100, &r, &err), 0);
	CU_ASSERT_STRING_EQUAL(r.note, "");
	dbfix_valuep("SELECT coalesce(to_regclass($1)::text, 'missing')", 1, p, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, name);
	/* attached as a partition, with its own TRUNCATE guard */
	CU_ASSERT_EQUAL(dbfix_valuep("SELECT count(*) FROM pg_inherits i JOIN pg_trigger t ON t.tgrelid = i.inhrelid"
				     " WHERE i.inhparent = 'otp.audit_event'::regclass AND i.inhrelid = $1::regclass"
				     " AND t.tgname = 'audit_event_no_truncate'", 1, p, got, sizeof got), 0);
	CU_ASSERT_STRING_EQUAL(got, "1");
}

/* The sealer is otp_batch's: others are refused (and audited); it runs in READ COMMITTED. */
static void test_sealer_refusals(void)
{
	struct db *t = dbfix_connect_as("audit_teller");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	struct db_audit_seal s;
	struct otp_err err;
	CU_ASSERT_EQUAL(db_audit_seal(t, 100, &s, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_REFUSED);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD001");
	db_close(t);
	PGconn *c = dbfix_pg_as("audit_batch");
	PGresult *r = PQexec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT * FROM otp_api.audit_seal(10)");
	CU_ASSERT_EQUAL(PQresultStatus(r), PGRES_FATAL_ERROR);
	CU_ASSERT_STRING_EQUAL(PQresultErrorField(r, PG_DIAG_SQLSTATE), "OD004");
	PQclear(r);
	PQfinish(c);
}

static void test_modified_field(void)
{
	events(10, "modify");
	long long last = seal_all();
	snapshot();
	tamper("UPDATE otp.audit_event SET details = details || '{\"amount\": 1}' WHERE seq = %lld", last - 4);
	EXPECT(verify_db(true, true, NULL), AUDIT_DAMAGE_MODIFIED, last - 4);
	restore();
}

static void test_deleted_middle_row(void)
{
	events(10, "delete-middle");
	long long last = seal_all();
	snapshot();
	tamper("DELETE FROM otp.audit_event WHERE seq = %lld", last - 5);
	struct audit_report rep = verify_db(true, true, NULL);
	EXPECT(rep, AUDIT_DAMAGE_DELETED, last - 5);
	CU_ASSERT_EQUAL(rep.seq_to, last - 5);
	restore();
}

static void test_deleted_last_rows(void)
{
	events(10, "delete-last");
	long long last = seal_all();
	char cpfile[64];
	snprintf(cpfile, sizeof cpfile, "/tmp/otp-audit-test-%d.cp", (int)getpid());
	remove(cpfile);
	checkpoint_now(cpfile);
	snapshot();
	/* the chain head still records the end */
	tamper("DELETE FROM otp.audit_event WHERE seq > %lld", last - 3);
	struct audit_report rep = verify_db(true, true, NULL);
	EXPECT(rep, AUDIT_DAMAGE_TRUNCATED, last - 2);
	/* and with the head moved back too, the checkpoint file still knows */
	tamper("UPDATE otp.audit_chain_head SET seq = %lld, hash = (SELECT hash FROM otp.audit_event WHERE seq = %lld);"
	       "DELETE FROM otp.audit_checkpoint WHERE seq > %lld", last - 3, last - 3, last - 3);
	EXPECT(verify_db(true, true, NULL), AUDIT_DAMAGE_NONE, 0);	/* the database alone cannot tell */
	rep = verify_db(true, true, cpfile);
	EXPECT(rep, AUDIT_DAMAGE_TRUNCATED, last - 2);
	restore();
	remove(cpfile);
}

/* A forged row slipped in at seq k: the rows from k on renumbered to make
 * room, the forged row well linked to k - 1 with a correct hash of its own. */
static void test_inserted_forged_row(void)
{
	events(10, "insert");
	long long last = seal_all();
	snapshot();
	long long k = last - 6;
	tamper("UPDATE otp.audit_event SET seq = seq + 1000000000000 WHERE seq >= %lld;"
	       "UPDATE otp.audit_event SET seq = seq - 999999999999 WHERE seq > 1000000000000;"
	       "INSERT INTO otp.audit_event (event_id, at, actor, event, outcome, details, seq, prev_hash, hash, sealed_at)"
	       " SELECT nextval('otp.audit_event_event_id_seq'), at, 'forger', 'request.approve', 'success', '{}', %lld,"
	       "        hash, hash, sealed_at FROM otp.audit_event WHERE seq = %lld;"
	       "UPDATE otp.audit_event e SET hash = sha256(prev_hash || otp.audit_encoding(seq, e))"
	       " WHERE seq = %lld AND actor = 'forger'",
	       k, k, k - 1, k);
	CU_ASSERT_EQUAL(dbfix_count("SELECT count(*) FROM otp.audit_event WHERE actor = 'forger'"), 1);
	EXPECT(verify_db(true, true, NULL), AUDIT_DAMAGE_INSERTED, k);
	restore();
}

static void test_swapped_rows(void)
{
	events(10, "swap");
	long long last = seal_all();
	snapshot();
	long long k = last - 7;
	tamper("UPDATE otp.audit_event SET seq = 900000000000 WHERE seq = %lld;"
	       "UPDATE otp.audit_event SET seq = %lld WHERE seq = %lld;"
	       "UPDATE otp.audit_event SET seq = %lld WHERE seq = 900000000000",
	       k, k, k + 1, k + 1);
	EXPECT(verify_db(true, true, NULL), AUDIT_DAMAGE_REORDERED, k);
	restore();
}

/* Triggers dropped, one row changed and every hash after it recomputed,
 * the chain head too: consistent, so only the signed checkpoint shows it. */
static void test_rewritten_suffix_needs_checkpoint(void)
{
	events(10, "rewrite-a");
	seal_all();
	char cpfile[64];
	snprintf(cpfile, sizeof cpfile, "/tmp/otp-audit-test-%d.cp", (int)getpid());
	remove(cpfile);
	struct audit_checkpoint early = checkpoint_now(cpfile);
	events(10, "rewrite-b");
	long long last = seal_all();
	struct audit_checkpoint cp = checkpoint_now(cpfile);
	CU_ASSERT_EQUAL(cp.seq, last);
	snapshot();
	long long k = last - 4;
	char sql[2048];
	snprintf(sql, sizeof sql,
		 "DROP TRIGGER audit_event_append_only ON otp.audit_event;"
		 "DROP TRIGGER audit_chain_head_guard ON otp.audit_chain_head;"
		 "UPDATE otp.audit_event SET details = '{\"tag\": \"rewritten\"}' WHERE seq = %lld;"
		 "DO $$ DECLARE r otp.audit_event; h bytea;"
		 " BEGIN SELECT prev_hash INTO h FROM otp.audit_event WHERE seq = %lld;"
		 "  FOR r IN SELECT * FROM otp.audit_event WHERE seq >= %lld ORDER BY seq LOOP"
		 "   UPDATE otp.audit_event SET prev_hash = h, hash = sha256(h || otp.audit_encoding(r.seq, r))"
		 "    WHERE seq = r.seq RETURNING hash INTO h;"
		 "  END LOOP;"
		 "  UPDATE otp.audit_chain_head SET hash = h; END $$;"
		 "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON otp.audit_event"
		 " FOR EACH ROW EXECUTE FUNCTION otp.audit_append_only();"
		 "CREATE TRIGGER audit_chain_head_guard BEFORE UPDATE OR DELETE ON otp.audit_chain_head"
		 " FOR EACH ROW EXECUTE FUNCTION otp.audit_head_guard()",
		 k, k, k);
	CU_ASSERT_EQUAL_FATAL(dbfix_sql(sql), 0);
	/* without checkpoints the rewrite is invisible */
	EXPECT(verify_db(false, false, NULL), AUDIT_DAMAGE_NONE, 0);
	/* the stored checkpoints show it, between the last matching one and the next */
	struct audit_report rep = verify_db(true, true, NULL);
	EXPECT(rep, AUDIT_DAMAGE_REWRITTEN, early.seq + 1);
	CU_ASSERT_EQUAL(rep.seq_to, cp.seq);
	/* and so does the checkpoint file, even when the stored ones are deleted */
	tamper("DELETE FROM otp.audit_checkpoint WHERE seq >= %lld", (long long)early.seq);
	rep = verify_db(true, true, cpfile);
	EXPECT(rep, AUDIT_DAMAGE_REWRITTEN, early.seq + 1);
	restore();
	remove(cpfile);
}

static void test_forged_checkpoint(void)
{
	events(5, "forged-cp");
	long long last = seal_all();
	checkpoint_now(NULL);
	/* a checkpoint inserted behind the API with a made-up signature */
	snapshot();
	tamper("INSERT INTO otp.audit_checkpoint (seq, hash, signed_at, key_id, signature)"
	       " SELECT seq, hash, date_trunc('second', now()), '%s', decode(repeat('ab', 64), 'hex')"
	       " FROM otp.audit_event WHERE seq = %lld", audit_key_id(key), last - 2);
	EXPECT(verify_db(true, true, NULL), AUDIT_DAMAGE_FORGED_CHECKPOINT, last - 2);
	restore();
	/* one signed with a key the auditor does not know */
	snapshot();
	tamper("INSERT INTO otp.audit_checkpoint (seq, hash, signed_at, key_id, signature)"
	       " SELECT seq, hash, date_trunc('second', now()), '0123456789abcdef', decode(repeat('ab', 64), 'hex')"
	       " FROM otp.audit_event WHERE seq = %lld", last - 1);
	EXPECT(verify_db(true, true, NULL), AUDIT_DAMAGE_FORGED_CHECKPOINT, last - 1);
	restore();
}

TEST_SUITE(audit_db, "db/audit", init, cleanup,
	   TEST(test_sql_and_c_agree_on_known_answers),
	   TEST(test_client_addresses),
	   TEST(test_append_only),
	   TEST(test_sealer_waits_for_open_transactions),
	   TEST(test_sealer_refusals),
	   TEST(test_sealer_creates_partitions),
	   TEST(test_modified_field),
	   TEST(test_deleted_middle_row),
	   TEST(test_deleted_last_rows),
	   TEST(test_inserted_forged_row),
	   TEST(test_swapped_rows),
	   TEST(test_rewritten_suffix_needs_checkpoint),
	   TEST(test_forged_checkpoint))
