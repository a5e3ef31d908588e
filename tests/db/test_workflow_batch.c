/* The batch side of the request workflow: request_execute and run-due as an
 * otp_batch login. Eligibility by date (simulated by moving a request's dates
 * as superuser, since the batch never accepts a future as-of day), UNLOCK and
 * RESET execution on the token, idempotence, two concurrent run-due runs, the
 * failures a run reports, and the overdue view. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/workflow.h"
#include "tests/lib/dbfix.h"
#include "tests/lib/testlib.h"

static struct db *teller, *sup, *batch, *teller34, *helpdesk;
static char login_batch[64];

static int init(void)
{
	if (dbfix_suite_init() != 0)
		return -1;
	dbfix_staff("wb_teller", "012", "otp_teller");
	dbfix_staff("wb_teller34", "034", "otp_teller");
	dbfix_staff("wb_sup", "012", "otp_supervisor");
	otp_strlcpy(login_batch, dbfix_staff("wb_batch", "000", "otp_batch"), sizeof login_batch);
	dbfix_staff("wb_batch2", "000", "otp_batch");
	dbfix_staff("wb_helpdesk", "000", "otp_helpdesk");
	teller = dbfix_connect_as("wb_teller");
	teller34 = dbfix_connect_as("wb_teller34");
	sup = dbfix_connect_as("wb_sup");
	batch = dbfix_connect_as("wb_batch");
	helpdesk = dbfix_connect_as("wb_helpdesk");
	return teller && teller34 && sup && batch && helpdesk ? 0 : -1;
}

static int cleanup(void)
{
	db_close(teller);
	db_close(teller34);
	db_close(sup);
	db_close(batch);
	db_close(helpdesk);
	return 0;
}

/* Today in Japan and the day before, as the server sees them. */
static void today(char out[DB_DATE_LEN], int offset)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT ((now() AT TIME ZONE 'Asia/Tokyo')::date + %d)::text", offset);
	dbfix_value(sql, out, DB_DATE_LEN);
}

/* A new 012 contract whose token is in `state` (ID in a static buffer). */
static const char *new_contract(const char *state)
{
	static int next;
	static char id[16];
	char sql[1024];
	bool locked = strcmp(state, "LOCKED") == 0;
	snprintf(id, sizeof id, "01278%05d", ++next);
	snprintf(sql, sizeof sql,
		 "INSERT INTO otp.contract (contract_id, name_kanji, name_kana, address, branch_code, opened)"
		 " VALUES ('%s', '一括%d', 'イッカツ%05d', '東京都中央区8-%d', '012', '2021-01-01');"
		 "INSERT INTO otp.token (contract_id, credential_id, state, failure_count, locked_at, registered_at)"
		 " VALUES ('%s', 'WFLB%s', '%s', %d, %s, now() - interval '30 days')",
		 id, next, next, next, id, id + 2, state, locked ? 5 : 0, locked ? "now() - interval '2 hours'" : "NULL");
	CU_ASSERT_EQUAL_FATAL(dbfix_sql(sql), 0);
	return id;
}

/* Submit (teller) and approve (supervisor) a request; receipt in rcpt. */
static void approved(const char *contract, enum db_req_kind kind, char rcpt[DB_RECEIPT_LEN])
{
	struct db_request_new r = {
		.contract_id = contract, .kind = kind, .form_no = "B-1", .doc_type = "mynumber_card",
		.name_matched = true, .address_matched = true, .seal_match = true,
	};
	struct db_receipt out;
	struct db_outcome o;
	struct otp_err err;
	int rc = db_request_submit(teller, &r, &out, &err);
	if (rc != 0)
		fprintf(stderr, "\n  submit %s: %s", contract, err.message);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(db_request_approve(sup, out.receipt_no, &o, &err), 0);
	otp_strlcpy(rcpt, out.receipt_no, DB_RECEIPT_LEN);
}

/* Make a request eligible `eligible_offset` days from today (superuser: the
 * simulated passing of business days). */
static void move_dates(const char *rcpt, int eligible_offset)
{
	char sql[512];
	snprintf(sql, sizeof sql,
		 "UPDATE otp.request SET day1 = (now() AT TIME ZONE 'Asia/Tokyo')::date + %d - 1,"
		 " eligible = (now() AT TIME ZONE 'Asia/Tokyo')::date + %d,"
		 " due = (now() AT TIME ZONE 'Asia/Tokyo')::date + %d + 1 WHERE receipt_no = '%s'",
		 eligible_offset, eligible_offset, eligible_offset, rcpt);
	CU_ASSERT_EQUAL_FATAL(dbfix_sql(sql), 0);
}

static long long count1(const char *sql, const char *p1)
{
	char v[32];
	const char *p[1] = { p1 };
	dbfix_valuep(sql, p1 ? 1 : 0, p, v, sizeof v);
	return atoll(v);
}

static long long exec_audits(const char *rcpt)
{
	return count1("SELECT count(*) FROM otp.audit_event WHERE event = 'request.execute' AND outcome = 'success'"
		      " AND details->>'receipt_no' = $1", rcpt);
}

static void test_execute_roles(void)
{
	char contract[16], rcpt[DB_RECEIPT_LEN];
	otp_strlcpy(contract, new_contract("LOCKED"), sizeof contract);
	approved(contract, DB_REQ_UNLOCK, rcpt);
	move_dates(rcpt, 0);
	struct db_outcome o;
	struct otp_err err;
	/* neither the teller nor the supervisor may execute: only the batch */
	CU_ASSERT_EQUAL(db_request_execute(teller, rcpt, NULL, NULL, &o, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD001");
	CU_ASSERT_EQUAL(db_request_execute(sup, rcpt, NULL, NULL, &o, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD001");
	CU_ASSERT_EQUAL(count1("SELECT count(*) FROM otp.request WHERE receipt_no = $1 AND state = 'APPROVED'", rcpt), 1);
	struct db_run_due due;
	CU_ASSERT_EQUAL(db_request_run_due(sup, NULL, NULL, &due, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD001");
	/* and never for a future day */
	char tomorrow[DB_DATE_LEN];
	today(tomorrow, 1);
	CU_ASSERT_EQUAL(db_request_execute(batch, rcpt, tomorrow, NULL, &o, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	struct db_run_due sum;
	CU_ASSERT_EQUAL(db_request_run_due(batch, tomorrow, NULL, &sum, &err), 0);
	CU_ASSERT(sum.due >= 1);		/* listed (with others due tomorrow), but... */
	CU_ASSERT_EQUAL(sum.failed, sum.due);	/* ...each call refuses the future day */
	CU_ASSERT_EQUAL(sum.executed, 0);
	CU_ASSERT_EQUAL(count1("SELECT count(*) FROM otp.request WHERE receipt_no = $1 AND state = 'APPROVED'", rcpt), 1);
	/* done today so that later runs start clean */
	bool already = true;
	CU_ASSERT_EQUAL(db_request_execute(batch, rcpt, NULL, &already, &o, &err), 0);
	CU_ASSERT_FALSE(already);
}

static void test_unlock_on_eligible_date(void)
{
	char contract[16], rcpt[DB_RECEIPT_LEN];
	otp_strlcpy(contract, new_contract("LOCKED"), sizeof contract);
	approved(contract, DB_REQ_UNLOCK, rcpt);
	struct db_outcome o;
	struct otp_err err;
	struct db_run_due sum;
	char d0[DB_DATE_LEN], dm1[DB_DATE_LEN];
	today(d0, 0);
	today(dm1, -1);

	/* as submitted, eligible on a later business day: today does nothing */
	CU_ASSERT_EQUAL(db_request_execute(batch, rcpt, d0, NULL, &o, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD003");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "eligible"));
	CU_ASSERT_EQUAL(db_request_run_due(batch, d0, NULL, &sum, &err), 0);
	CU_ASSERT_EQUAL(sum.due, 0);
	CU_ASSERT_EQUAL(count1("SELECT count(*) FROM otp.token WHERE contract_id = $1 AND state = 'LOCKED'", contract), 1);

	/* eligible today: the day before still does nothing ... */
	move_dates(rcpt, 0);
	CU_ASSERT_EQUAL(db_request_run_due(batch, dm1, NULL, &sum, &err), 0);
	CU_ASSERT_EQUAL(sum.due, 0);
	CU_ASSERT_EQUAL(exec_audits(rcpt), 0);
	/* ... and on the eligible date it is executed */
	CU_ASSERT_EQUAL_FATAL(db_request_run_due(batch, d0, NULL, &sum, &err), 0);
	CU_ASSERT_EQUAL(sum.due, 1);
	CU_ASSERT_EQUAL(sum.executed, 1);
	CU_ASSERT_EQUAL(sum.failed, 0);
	CU_ASSERT_STRING_EQUAL(sum.as_of, d0);

	/* UNLOCK: ACTIVE, counter cleared, lock time gone, credential kept */
	char v[128];
	const char *p[1] = { contract };
	dbfix_valuep("SELECT format('%s %s %s %s', state, failure_count, locked_at IS NULL, credential_id)"
		     " FROM otp.token WHERE contract_id = $1", 1, p, v, sizeof v);
	char expect[128];
	snprintf(expect, sizeof expect, "ACTIVE 0 t WFLB%s", contract + 2);
	CU_ASSERT_STRING_EQUAL(v, expect);
	struct db_request q;
	CU_ASSERT_EQUAL_FATAL(db_request_get(teller, rcpt, &q, &err), 0);
	CU_ASSERT_EQUAL(q.state, DB_REQ_EXECUTED);
	CU_ASSERT_STRING_EQUAL(q.executed_by, login_batch);
	CU_ASSERT(q.executed_at[0] != '\0');
	CU_ASSERT_STRING_EQUAL(q.token_state, "ACTIVE");
	CU_ASSERT_EQUAL(exec_audits(rcpt), 1);
	CU_ASSERT_EQUAL(count1("SELECT count(*) FROM otp.audit_event WHERE event = 'request.execute'"
			       " AND outcome = 'success' AND details->>'receipt_no' = $1 AND request_id IS NOT NULL"
			       " AND via_role = 'otp_batch' AND details->>'token_state_before' = 'LOCKED'", rcpt), 1);

	/* idempotent: once more is "already executed", with no second transition */
	bool already = false;
	CU_ASSERT_EQUAL(db_request_execute(batch, rcpt, NULL, &already, &o, &err), 0);
	CU_ASSERT(already);
	CU_ASSERT_PTR_NOT_NULL(strstr(o.message, "already executed"));
	CU_ASSERT_EQUAL(exec_audits(rcpt), 1);
	/* the executed request no longer blocks a new one */
	CU_ASSERT_EQUAL(count1("SELECT count(*) FROM otp.request WHERE contract_id = $1 AND state IN ('SUBMITTED', 'APPROVED')",
			       contract), 0);
}

static void test_reset_destroys_seed(void)
{
	char contract[16], rcpt[DB_RECEIPT_LEN], cred[16];
	otp_strlcpy(contract, new_contract("ACTIVE"), sizeof contract);
	snprintf(cred, sizeof cred, "WFLB%s", contract + 2);
	char sql[512];
	snprintf(sql, sizeof sql,
		 "UPDATE otp.token SET seed = '\\xdeadbeefcafe0123'::bytea, key_version = 1, last_step = 58000000,"
		 " drift = 1, failure_count = 2 WHERE contract_id = '%s'", contract);
	CU_ASSERT_EQUAL_FATAL(dbfix_sql(sql), 0);
	approved(contract, DB_REQ_RESET, rcpt);
	move_dates(rcpt, 0);
	struct db_outcome o;
	struct otp_err err;
	CU_ASSERT_EQUAL_FATAL(db_request_execute(batch, rcpt, NULL, NULL, &o, &err), 0);

	char v[256];
	const char *p[1] = { contract };
	dbfix_valuep("SELECT format('%s|%s|%s|%s|%s|%s|%s|%s|%s', state, seed IS NULL, credential_id IS NULL,"
		     " key_version IS NULL, last_step, drift, failure_count, locked_at IS NULL, stopped_at IS NULL)"
		     " FROM otp.token WHERE contract_id = $1", 1, p, v, sizeof v);
	CU_ASSERT_STRING_EQUAL(v, "UNREGISTERED|t|t|t|0|0|0|t|t");
	/* the revoked credential is on the request and in the audit, the seed nowhere */
	struct db_request q;
	CU_ASSERT_EQUAL_FATAL(db_request_get(teller, rcpt, &q, &err), 0);
	CU_ASSERT_STRING_EQUAL(q.revoked_credential_id, cred);
	CU_ASSERT_EQUAL(q.state, DB_REQ_EXECUTED);
	const char *ap[2] = { rcpt, cred };
	dbfix_valuep("SELECT count(*) FROM otp.audit_event WHERE event = 'request.execute' AND outcome = 'success'"
		     " AND details->>'receipt_no' = $1 AND details->>'revoked_credential_id' = $2"
		     " AND credential_id = $2", 2, ap, v, sizeof v);
	CU_ASSERT_STRING_EQUAL(v, "1");
	CU_ASSERT_EQUAL(count1("SELECT count(*) FROM otp.audit_event WHERE details::text ILIKE '%deadbeef%'", NULL), 0);

	/* a STOPPED token may be reset too; the credential is then free of it */
	otp_strlcpy(contract, new_contract("STOPPED"), sizeof contract);
	snprintf(sql, sizeof sql, "UPDATE otp.token SET stopped_at = now() WHERE contract_id = '%s'", contract);
	CU_ASSERT_EQUAL_FATAL(dbfix_sql(sql), 0);
	approved(contract, DB_REQ_RESET, rcpt);
	move_dates(rcpt, 0);
	CU_ASSERT_EQUAL(db_request_execute(batch, rcpt, NULL, NULL, &o, &err), 0);
	CU_ASSERT_EQUAL(count1("SELECT count(*) FROM otp.token WHERE contract_id = $1 AND state = 'UNREGISTERED'"
			       " AND stopped_at IS NULL AND credential_id IS NULL", contract), 1);
}

/* ---- concurrent runs ----------------------------------------------------- */

struct runner {
	struct db *db;
	const char *as_of;
	pthread_barrier_t *start;
	int rc;
	struct db_run_due sum;
};

static void *run_thread(void *arg)
{
	struct runner *r = arg;
	struct otp_err err;
	struct db_run_due_opts opts = { .workers = 2 };	/* two runs of two connections each */
	pthread_barrier_wait(r->start);
	r->rc = db_request_run_due(r->db, r->as_of, &opts, &r->sum, &err);
	return NULL;
}

static void test_concurrent_run_due(void)
{
	enum { N = 300 };
	static char rcpts[N][DB_RECEIPT_LEN];
	for (int i = 0; i < N; i++) {
		char contract[16];
		otp_strlcpy(contract, new_contract(i % 3 == 2 ? "ACTIVE" : "LOCKED"), sizeof contract);
		approved(contract, i % 3 == 2 ? DB_REQ_RESET : DB_REQ_UNLOCK, rcpts[i]);
	}
	CU_ASSERT_EQUAL_FATAL(dbfix_sql("UPDATE otp.request SET day1 = (now() AT TIME ZONE 'Asia/Tokyo')::date - 2,"
					" eligible = (now() AT TIME ZONE 'Asia/Tokyo')::date - 1,"
					" due = (now() AT TIME ZONE 'Asia/Tokyo')::date"
					" WHERE state = 'APPROVED' AND contract_id LIKE '01278%'"), 0);
	long long before = count1("SELECT count(*) FROM otp.audit_event WHERE event = 'request.execute'"
				  " AND outcome = 'success'", NULL);
	char d0[DB_DATE_LEN];
	today(d0, 0);
	struct db *b2 = dbfix_connect_as("wb_batch2");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b2);
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 2);
	struct runner ra = { .db = batch, .as_of = d0, .start = &start };
	struct runner rb = { .db = b2, .as_of = d0, .start = &start };
	pthread_t ta, tb;
	pthread_create(&ta, NULL, run_thread, &ra);
	pthread_create(&tb, NULL, run_thread, &rb);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_barrier_destroy(&start);
	db_close(b2);

	CU_ASSERT_EQUAL(ra.rc, 0);
	CU_ASSERT_EQUAL(rb.rc, 0);
	CU_ASSERT_EQUAL(ra.sum.failed, 0);
	CU_ASSERT_EQUAL(rb.sum.failed, 0);
	CU_ASSERT(ra.sum.due >= N && rb.sum.due >= N);
	/* every listed request done once: by one run, "already done" for the other */
	CU_ASSERT_EQUAL(ra.sum.executed + ra.sum.already, ra.sum.due);
	CU_ASSERT_EQUAL(rb.sum.executed + rb.sum.already, rb.sum.due);
	long long after = count1("SELECT count(*) FROM otp.audit_event WHERE event = 'request.execute'"
				 " AND outcome = 'success'", NULL);
	CU_ASSERT_EQUAL(after - before, ra.sum.executed + rb.sum.executed);
	int once = 0;
	for (int i = 0; i < N; i++)
		once += exec_audits(rcpts[i]) == 1 &&
			count1("SELECT count(*) FROM otp.request WHERE receipt_no = $1 AND state = 'EXECUTED'", rcpts[i]) == 1;
	CU_ASSERT_EQUAL(once, N);
	fprintf(stderr, "\n  two runs: %ld+%ld executed, %ld+%ld already done ", ra.sum.executed, rb.sum.executed,
		ra.sum.already, rb.sum.already);
	/* a third run finds nothing left */
	struct db_run_due sum;
	struct otp_err err;
	CU_ASSERT_EQUAL(db_request_run_due(batch, d0, NULL, &sum, &err), 0);
	CU_ASSERT_EQUAL(sum.due, 0);
}

struct fails {
	int n;
	char receipt[DB_RECEIPT_LEN];
	char sqlstate[6];
	long progress_calls;
};

static void on_fail(void *arg, const char *receipt, const struct otp_err *err)
{
	struct fails *f = arg;
	f->n++;
	otp_strlcpy(f->receipt, receipt, sizeof f->receipt);
	otp_strlcpy(f->sqlstate, err->sqlstate, sizeof f->sqlstate);
}

static void on_progress(void *arg, const struct db_run_due *s)
{
	(void)s;
	((struct fails *)arg)->progress_calls++;
}

/* A request that no longer applies (the token was unlocked meanwhile) or
 * whose contract came under a fraud hold is reported, not executed. */
static void test_run_due_reports_failures(void)
{
	char c1[16], c2[16], c3[16], r1[DB_RECEIPT_LEN], r2[DB_RECEIPT_LEN], r3[DB_RECEIPT_LEN];
	otp_strlcpy(c1, new_contract("LOCKED"), sizeof c1);
	otp_strlcpy(c2, new_contract("LOCKED"), sizeof c2);
	otp_strlcpy(c3, new_contract("LOCKED"), sizeof c3);
	approved(c1, DB_REQ_UNLOCK, r1);
	approved(c2, DB_REQ_UNLOCK, r2);
	approved(c3, DB_REQ_UNLOCK, r3);
	move_dates(r1, 0);
	move_dates(r2, 0);
	move_dates(r3, 0);
	char sql[256];
	snprintf(sql, sizeof sql, "UPDATE otp.token SET state = 'ACTIVE', locked_at = NULL WHERE contract_id = '%s'", c1);
	CU_ASSERT_EQUAL_FATAL(dbfix_sql(sql), 0);
	struct db_outcome o;
	struct otp_err err;
	CU_ASSERT_EQUAL_FATAL(db_fraud_hold_set(helpdesk, c2, "承認後に不正の疑い", &o, &err), 0);

	struct fails f = { 0 };
	struct db_run_due_opts hooks = { .progress = on_progress, .every = 1, .on_fail = on_fail, .arg = &f };
	struct db_run_due sum;
	CU_ASSERT_EQUAL(db_request_run_due(batch, NULL, &hooks, &sum, &err), 0);
	CU_ASSERT_EQUAL(sum.due, 3);
	CU_ASSERT_EQUAL(sum.executed, 1);
	CU_ASSERT_EQUAL(sum.failed, 2);
	CU_ASSERT_EQUAL(f.n, 2);
	CU_ASSERT(f.progress_calls >= 3);	/* every 1, and at the end */
	CU_ASSERT_EQUAL(count1("SELECT count(*) FROM otp.audit_event WHERE event = 'request.execute'"
			       " AND outcome = 'refused' AND reason_code = 'OD003' AND contract_id = $1", c1), 1);
	CU_ASSERT_EQUAL(count1("SELECT count(*) FROM otp.audit_event WHERE event = 'request.execute'"
			       " AND outcome = 'refused' AND reason_code = 'OD006' AND contract_id = $1", c2), 1);
	CU_ASSERT_EQUAL(count1("SELECT count(*) FROM otp.request WHERE receipt_no = $1 AND state = 'EXECUTED'", r3), 1);
	CU_ASSERT_EQUAL(count1("SELECT count(*) FROM otp.token WHERE contract_id = $1 AND state = 'LOCKED'", c2), 1);
	/* clean up: the two stay APPROVED until cancelled */
	CU_ASSERT_EQUAL(db_request_cancel(teller, r1, "既に解除済み", &o, &err), 0);
	CU_ASSERT_EQUAL(db_request_cancel(teller, r2, "不正調査中", &o, &err), 0);
	CU_ASSERT_EQUAL(db_fraud_hold_lift(helpdesk, c2, "調査終了", &o, &err), 0);
}

/* Run otp_api.request_execute_batch as the batch login; the result rows
 * "ok|code|ref|already" joined by ';' in out. */
static void batch_call(const char *array, char *out, size_t size)
{
	PGconn *c = dbfix_pg_as("wb_batch");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	const char *p[1] = { array };
	PGresult *r = PQexecParams(c, "SELECT ok, code, ref, coalesce(data->>'already_executed', '-')"
				   " FROM otp_api.request_execute_batch($1::text[], NULL)", 1, NULL, p, NULL, NULL, 0);
	CU_ASSERT_EQUAL_FATAL(PQresultStatus(r), PGRES_TUPLES_OK);
	size_t n = 0;
	out[0] = '\0';
	for (int i = 0; i < PQntuples(r); i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s|%s|%s|%s", i ? ";" : "", PQgetvalue(r, i, 0),
				      PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 3));
	PQclear(r);
	PQfinish(c);
}

/* One call, mixed: results in the order given with the receipt as ref; an
 * unknown or malformed receipt fails alone; a duplicate is "already
 * executed"; the set-based step writes what request_execute writes. */
static void test_execute_batch_mixed(void)
{
	char cu[16], cr[16], u[DB_RECEIPT_LEN], r[DB_RECEIPT_LEN];
	otp_strlcpy(cu, new_contract("LOCKED"), sizeof cu);
	otp_strlcpy(cr, new_contract("ACTIVE"), sizeof cr);
	approved(cu, DB_REQ_UNLOCK, u);
	approved(cr, DB_REQ_RESET, r);
	move_dates(u, 0);
	move_dates(r, 0);
	char arr[256], got[512], want[512];
	/* given out of byte order on purpose: results keep the order given */
	snprintf(arr, sizeof arr, "{%s,999-20000101-0001,%s,nonsense,%s}", r, u, r);
	batch_call(arr, got, sizeof got);
	snprintf(want, sizeof want, "t|00000|%s|-;f|OD002|999-20000101-0001|-;t|00000|%s|-;f|OD004|nonsense|-;t|00000|%s|true",
		 r, u, r);
	CU_ASSERT_STRING_EQUAL(got, want);
	CU_ASSERT_EQUAL(exec_audits(u), 1);
	CU_ASSERT_EQUAL(exec_audits(r), 1);
	char cred[16];
	snprintf(cred, sizeof cred, "WFLB%s", cr + 2);
	const char *ap[2] = { r, cred };
	char v[64];
	dbfix_valuep("SELECT count(*) FROM otp.audit_event WHERE event = 'request.execute' AND outcome = 'success'"
		     " AND details->>'receipt_no' = $1 AND details->>'revoked_credential_id' = $2 AND credential_id = $2"
		     " AND details->>'token_state_before' = 'ACTIVE' AND details->>'kind' = 'RESET' AND via_role = 'otp_batch'"
		     " AND request_id IS NOT NULL AND details ? 'as_of'", 2, ap, v, sizeof v);
	CU_ASSERT_STRING_EQUAL(v, "1");
	CU_ASSERT_EQUAL(count1("SELECT count(*) FROM otp.token WHERE contract_id = $1 AND state = 'UNREGISTERED'"
			       " AND credential_id IS NULL AND seed IS NULL", cr), 1);
	CU_ASSERT_EQUAL(count1("SELECT count(*) FROM otp.request WHERE receipt_no = $1 AND state = 'EXECUTED'"
			       " AND revoked_credential_id = 'WFLB' || substr(contract_id, 3)", r), 1);
	CU_ASSERT_EQUAL(count1("SELECT count(*) FROM otp.token WHERE contract_id = $1 AND state = 'ACTIVE'"
			       " AND failure_count = 0 AND locked_at IS NULL AND credential_id IS NOT NULL", cu), 1);
	/* more than 60 at once is refused as a whole */
	PGconn *c = dbfix_pg_as("wb_batch");
	PGresult *res = PQexec(c, "SELECT * FROM otp_api.request_execute_batch(array_fill('x'::text, ARRAY[61]), NULL)");
	CU_ASSERT_STRING_EQUAL(PQresultErrorField(res, PG_DIAG_SQLSTATE), "OD004");
	PQclear(res);
	PQfinish(c);
}

/* When the set-based step raises (here: a trigger refuses the audit event of
 * one contract), every request goes one by one: that one fails alone, the
 * others are executed and audited, each once. */
static void test_execute_batch_failure_isolated(void)
{
	enum { N = 5 };
	char contracts[N][16], rcpts[N][DB_RECEIPT_LEN];
	for (int i = 0; i < N; i++) {
		otp_strlcpy(contracts[i], new_contract("LOCKED"), sizeof contracts[i]);
		approved(contracts[i], DB_REQ_UNLOCK, rcpts[i]);
		move_dates(rcpts[i], 0);
	}
	char sql[1024];
	snprintf(sql, sizeof sql,
		 "CREATE FUNCTION public.wb_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
		 " IF NEW.contract_id = '%s' AND NEW.event = 'request.execute' THEN"
		 " RAISE EXCEPTION 'test: audit refused'; END IF; RETURN NEW; END $$;"
		 "CREATE TRIGGER wb_fail BEFORE INSERT ON otp.audit_event FOR EACH ROW EXECUTE FUNCTION public.wb_fail()",
		 contracts[2]);
	CU_ASSERT_EQUAL_FATAL(dbfix_sql(sql), 0);
	struct fails f = { 0 };
	struct db_run_due_opts hooks = { .on_fail = on_fail, .arg = &f };
	struct db_run_due sum;
	struct otp_err err;
	int rc = db_request_run_due(batch, NULL, &hooks, &sum, &err);
	CU_ASSERT_EQUAL(dbfix_sql("DROP TRIGGER wb_fail ON otp.audit_event; DROP FUNCTION public.wb_fail()"), 0);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(sum.due, N);
	CU_ASSERT_EQUAL(sum.executed, N - 1);
	CU_ASSERT_EQUAL(sum.failed, 1);
	CU_ASSERT_EQUAL(f.n, 1);
	CU_ASSERT_STRING_EQUAL(f.receipt, rcpts[2]);
	for (int i = 0; i < N; i++) {
		CU_ASSERT_EQUAL(exec_audits(rcpts[i]), i == 2 ? 0 : 1);
		CU_ASSERT_EQUAL(count1("SELECT count(*) FROM otp.request WHERE receipt_no = $1 AND state = 'EXECUTED'",
				       rcpts[i]), i == 2 ? 0 : 1);
	}
	/* nothing of the failed one stayed; the next run executes it */
	CU_ASSERT_EQUAL(count1("SELECT count(*) FROM otp.token WHERE contract_id = $1 AND state = 'LOCKED'", contracts[2]), 1);
	CU_ASSERT_EQUAL(db_request_run_due(batch, NULL, NULL, &sum, &err), 0);
	CU_ASSERT_EQUAL(sum.executed, 1);
	CU_ASSERT_EQUAL(exec_audits(rcpts[2]), 1);
}

static void test_overdue_view(void)
{
	/* an APPROVED request received ten days ago, due a week ago (superuser) */
	char contract[16];
	otp_strlcpy(contract, new_contract("LOCKED"), sizeof contract);
	char sql[2048];
	snprintf(sql, sizeof sql,
		 "INSERT INTO otp.request (receipt_no, branch_code, contract_id, token_id, kind, state, token_state,"
		 " credential_id, form_no, doc_type, name_matched, address_matched, id_checked_by, seal_result,"
		 " seal_checked_by, received_at, day1, eligible, due, submitted_by, decided_by, decided_at)"
		 " SELECT '012-19991231-0001', '012', t.contract_id, t.token_id, 'UNLOCK', 'APPROVED', 'LOCKED',"
		 " t.credential_id, 'OLD-1', 'drivers_licence', true, true, 'someone', 'MATCH', 'someone',"
		 " now() - interval '10 days', (now() AT TIME ZONE 'Asia/Tokyo')::date - 10,"
		 " (now() AT TIME ZONE 'Asia/Tokyo')::date - 9, (now() AT TIME ZONE 'Asia/Tokyo')::date - 8,"
		 " 'someone', 'another', now() - interval '10 days' FROM otp.token t WHERE t.contract_id = '%s'",
		 contract);
	CU_ASSERT_EQUAL_FATAL(dbfix_sql(sql), 0);
	/* one due yesterday is overdue too; one due today is not yet */
	char c2[16];
	otp_strlcpy(c2, new_contract("LOCKED"), sizeof c2);
	char r2[DB_RECEIPT_LEN];
	approved(c2, DB_REQ_UNLOCK, r2);
	snprintf(sql, sizeof sql,
		 "UPDATE otp.request SET day1 = (now() AT TIME ZONE 'Asia/Tokyo')::date - 2,"
		 " eligible = (now() AT TIME ZONE 'Asia/Tokyo')::date - 1, due = (now() AT TIME ZONE 'Asia/Tokyo')::date"
		 " WHERE receipt_no = '%s'", r2);
	CU_ASSERT_EQUAL_FATAL(dbfix_sql(sql), 0);

	struct db_request_filter f = { .overdue_only = true };
	struct db_request_page page;
	struct otp_err err;
	CU_ASSERT_EQUAL_FATAL(db_request_list(sup, &f, NULL, 100, &page, &err), 0);
	int found = 0, today_due = 0;
	for (int i = 0; i < page.n; i++) {
		CU_ASSERT(page.rows[i].is_overdue);
		found += strcmp(page.rows[i].receipt_no, "012-19991231-0001") == 0;
		today_due += strcmp(page.rows[i].receipt_no, r2) == 0;
	}
	CU_ASSERT_EQUAL(found, 1);
	CU_ASSERT_EQUAL(today_due, 0);
	db_request_page_free(&page);
	/* the view itself, and its scope: another branch's teller sees none of 012's */
	PGconn *c = dbfix_pg_as("wb_sup");
	PGresult *r = PQexec(c, "SELECT count(*) FROM otp_api.requests_overdue WHERE receipt_no = '012-19991231-0001'");
	CU_ASSERT_STRING_EQUAL(PQgetvalue(r, 0, 0), "1");
	PQclear(r);
	PQfinish(c);
	c = dbfix_pg_as("wb_teller34");
	r = PQexec(c, "SELECT count(*) FROM otp_api.requests_overdue WHERE branch_code = '012'");
	CU_ASSERT_STRING_EQUAL(PQgetvalue(r, 0, 0), "0");
	PQclear(r);
	PQfinish(c);
	/* once closed it is no longer overdue (cancelled rather than executed:
	 * the row was put in by hand, without the approval's audit event) */
	struct db_outcome o;
	CU_ASSERT_EQUAL(db_request_cancel(teller, "012-19991231-0001", "来店なし", &o, &err), 0);
	CU_ASSERT_EQUAL(count1("SELECT count(*) FROM otp.request WHERE receipt_no = '012-19991231-0001'"
			       " AND state = 'CANCELLED'", NULL), 1);
	CU_ASSERT_EQUAL(db_request_list(sup, &f, NULL, 100, &page, &err), 0);
	for (int i = 0; i < page.n; i++)
		CU_ASSERT_STRING_NOT_EQUAL(page.rows[i].receipt_no, "012-19991231-0001");
	db_request_page_free(&page);
	/* clean up the one due today */
	CU_ASSERT_EQUAL(db_request_cancel(teller, r2, "試験", &o, &err), 0);
}

TEST_SUITE(workflow_batch, "db/workflow_batch", init, cleanup,
	   TEST(test_execute_roles),
	   TEST(test_unlock_on_eligible_date),
	   TEST(test_reset_destroys_seed),
	   TEST(test_concurrent_run_due),
	   TEST(test_run_due_reports_failures),
	   TEST(test_execute_batch_mixed),
	   TEST(test_execute_batch_failure_isolated),
	   TEST(test_overdue_view))
