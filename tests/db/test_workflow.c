/* The request workflow through db/workflow.h as real staff logins: submit
 * with its identity, seal and document rules, the My Number guard, receipt
 * numbers, maker-checker (never the submitter, only supervisors of the branch
 * or the head office, concurrent approvals), reject, cancel and fraud holds.
 * Every refusal is checked for its SQLSTATE, its audit row and for having
 * stored nothing. The batch side is in test_workflow_batch.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/workflow.h"
#include "tests/lib/dbfix.h"
#include "tests/lib/testlib.h"

static struct db *teller, *teller34, *teller_ho, *sup, *sup2, *tsup, *sup34, *sup_ho, *helpdesk, *batch;
static char login_teller[64], login_sup[64], login_tsup[64];

static int init(void)
{
	if (dbfix_suite_init() != 0)
		return -1;
	otp_strlcpy(login_teller, dbfix_staff("wf_teller", "012", "otp_teller"), sizeof login_teller);
	dbfix_staff("wf_teller34", "034", "otp_teller");
	dbfix_staff("wf_teller_ho", "000", "otp_teller");
	otp_strlcpy(login_sup, dbfix_staff("wf_sup", "012", "otp_supervisor"), sizeof login_sup);
	dbfix_staff("wf_sup2", "012", "otp_supervisor");
	otp_strlcpy(login_tsup, dbfix_staff("wf_tsup", "012", "otp_teller,otp_supervisor"), sizeof login_tsup);
	dbfix_staff("wf_sup34", "034", "otp_supervisor");
	dbfix_staff("wf_sup_ho", "000", "otp_supervisor");
	dbfix_staff("wf_helpdesk", "000", "otp_helpdesk");
	dbfix_staff("wf_batch", "000", "otp_batch");
	teller = dbfix_connect_as("wf_teller");
	teller34 = dbfix_connect_as("wf_teller34");
	teller_ho = dbfix_connect_as("wf_teller_ho");
	sup = dbfix_connect_as("wf_sup");
	sup2 = dbfix_connect_as("wf_sup2");
	tsup = dbfix_connect_as("wf_tsup");
	sup34 = dbfix_connect_as("wf_sup34");
	sup_ho = dbfix_connect_as("wf_sup_ho");
	helpdesk = dbfix_connect_as("wf_helpdesk");
	batch = dbfix_connect_as("wf_batch");
	return teller && teller34 && teller_ho && sup && sup2 && tsup && sup34 && sup_ho && helpdesk && batch ? 0 : -1;
}

static int cleanup(void)
{
	struct db *all[] = { teller, teller34, teller_ho, sup, sup2, tsup, sup34, sup_ho, helpdesk, batch };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		db_close(all[i]);
	return 0;
}

/* A new contract of branch 012 whose token is in `state`; returns its ID
 * (static buffer, copy it). */
static const char *new_contract(const char *state)
{
	static int next;
	static char id[16];
	char sql[1024], cred[32];
	bool locked = strcmp(state, "LOCKED") == 0;
	snprintf(id, sizeof id, "01277%05d", ++next);
	if (strcmp(state, "UNREGISTERED") == 0)
		snprintf(cred, sizeof cred, "NULL");
	else
		snprintf(cred, sizeof cred, "'WFLA%s'", id + 2);
	snprintf(sql, sizeof sql,
		 "INSERT INTO otp.contract (contract_id, name_kanji, name_kana, address, branch_code, opened)"
		 " VALUES ('%s', '手続%d', 'テツヅキ%05d', '東京都中央区9-%d', '012', '2020-01-01');"
		 "INSERT INTO otp.token (contract_id, credential_id, state, failure_count, locked_at, registered_at)"
		 " VALUES ('%s', %s, '%s', %d, %s, now() - interval '30 days')",
		 id, next, next, next, id, cred, state, locked ? 5 : 0, locked ? "now()" : "NULL");
	CU_ASSERT_EQUAL_FATAL(dbfix_sql(sql), 0);
	return id;
}

static struct db_request_new unlock_req(const char *contract)
{
	struct db_request_new r = {
		.contract_id = contract, .kind = DB_REQ_UNLOCK, .form_no = "F-0001", .doc_type = "drivers_licence",
		.name_matched = true, .address_matched = true, .seal_match = true,
	};
	return r;
}

/* Submit an UNLOCK for contract as the 012 teller; the receipt in rcpt. */
static void submit_unlock(struct db *as, const char *contract, char rcpt[DB_RECEIPT_LEN])
{
	struct db_request_new r = unlock_req(contract);
	struct db_receipt out;
	struct otp_err err;
	int rc = db_request_submit(as, &r, &out, &err);
	if (rc != 0)
		fprintf(stderr, "\n  submit %s: %s", contract, err.message);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	otp_strlcpy(rcpt, out.receipt_no, DB_RECEIPT_LEN);
}

static long long count_p(const char *sql, const char *p1, const char *p2)
{
	char v[32];
	const char *p[2] = { p1, p2 };
	dbfix_valuep(sql, p2 ? 2 : (p1 ? 1 : 0), p, v, sizeof v);
	return atoll(v);
}

/* Audit events of `event` with `outcome` (and reason code, if not NULL) for a contract. */
static long long audit_n(const char *event, const char *outcome, const char *code, const char *contract)
{
	char v[32];
	const char *p[4] = { event, outcome, code ? code : "", contract };
	dbfix_valuep("SELECT count(*) FROM otp.audit_event WHERE event = $1 AND outcome = $2"
		     " AND ($3 = '' OR reason_code = $3) AND contract_id = $4",
		     4, p, v, sizeof v);
	return atoll(v);
}

/* Audit events of `event` refused with `code` whose actor is the fixture login `name`. */
static long long refusals_by(const char *event, const char *code, const char *name)
{
	char v[32], actor[64];
	snprintf(actor, sizeof actor, "t%ld_%s", (long)getpid(), name);
	const char *p[3] = { event, code, actor };
	dbfix_valuep("SELECT count(*) FROM otp.audit_event WHERE event = $1 AND outcome = 'refused'"
		     " AND reason_code = $2 AND actor = $3",
		     3, p, v, sizeof v);
	return atoll(v);
}

static long long requests_of(const char *contract)
{
	return count_p("SELECT count(*) FROM otp.request WHERE contract_id = $1", contract, NULL);
}

static void assert_refused(int rc, const struct otp_err *err, const char *sqlstate)
{
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_STRING_EQUAL(err->sqlstate, sqlstate);
	if (strcmp(err->sqlstate, sqlstate) != 0)
		fprintf(stderr, "\n  expected %s, got %s: %s", sqlstate, err->sqlstate, err->message);
}

/* ---- submit ------------------------------------------------------------- */

static void test_submit_unlock(void)
{
	char contract[16];
	otp_strlcpy(contract, new_contract("LOCKED"), sizeof contract);
	struct db_request_new r = unlock_req(contract);
	r.notes = "電話 03-1234-5678";	/* 10 digits: fine */
	struct db_receipt out;
	struct otp_err err;
	CU_ASSERT_EQUAL_FATAL(db_request_submit(teller, &r, &out, &err), 0);

	/* 012-YYYYMMDD-NNNN with today's Japan date */
	char today[16], expect[16];
	dbfix_value("SELECT to_char(now() AT TIME ZONE 'Asia/Tokyo', 'YYYYMMDD')", today, sizeof today);
	snprintf(expect, sizeof expect, "012-%s-", today);
	CU_ASSERT_EQUAL(strncmp(out.receipt_no, expect, 13), 0);
	CU_ASSERT_EQUAL(strlen(out.receipt_no), 17);
	CU_ASSERT(out.request_id > 0);

	/* the dates are the calendar's answer for the time of receipt */
	char v[64];
	const char *p[1] = { out.receipt_no };
	dbfix_valuep("SELECT format('%s %s %s', d.day1, d.eligible, d.due) FROM otp.request r,"
		     " otp.due_dates(r.received_at, r.branch_code) d WHERE r.receipt_no = $1", 1, p, v, sizeof v);
	char got[64];
	snprintf(got, sizeof got, "%s %s %s", out.day1, out.eligible, out.due);
	CU_ASSERT_STRING_EQUAL(got, v);
	CU_ASSERT(strcmp(out.day1, out.eligible) < 0 && strcmp(out.eligible, out.due) < 0);

	struct db_request q;
	CU_ASSERT_EQUAL_FATAL(db_request_get(teller, out.receipt_no, &q, &err), 0);
	CU_ASSERT_EQUAL(q.state, DB_REQ_SUBMITTED);
	CU_ASSERT_EQUAL(q.kind, DB_REQ_UNLOCK);
	CU_ASSERT_STRING_EQUAL(q.contract_id, contract);
	CU_ASSERT_STRING_EQUAL(q.branch_code, "012");
	CU_ASSERT_STRING_EQUAL(q.form_no, "F-0001");
	CU_ASSERT_STRING_EQUAL(q.doc_type, "drivers_licence");
	CU_ASSERT_STRING_EQUAL(q.doc_name_ja, "運転免許証");
	CU_ASSERT_STRING_EQUAL(q.seal_result, "MATCH");
	CU_ASSERT_STRING_EQUAL(q.seal_checked_by, login_teller);
	CU_ASSERT_STRING_EQUAL(q.id_checked_by, login_teller);
	CU_ASSERT_STRING_EQUAL(q.submitted_by, login_teller);
	CU_ASSERT_STRING_EQUAL(q.submitted_by_name, "staff wf_teller");
	CU_ASSERT_STRING_EQUAL(q.token_state_at_submit, "LOCKED");
	CU_ASSERT_STRING_EQUAL(q.notes, "電話 03-1234-5678");
	CU_ASSERT(q.name_matched && q.address_matched && !q.is_overdue && !q.fraud_hold);

	/* audited with receipt number, request ID, actor and client */
	char n[32];
	const char *ap[3] = { out.receipt_no, login_teller, contract };
	dbfix_valuep("SELECT count(*) FROM otp.audit_event a JOIN otp.request r ON r.request_id = a.request_id"
		     " WHERE a.event = 'request.submit' AND a.outcome = 'success' AND a.details->>'receipt_no' = $1"
		     "   AND r.receipt_no = $1 AND a.actor = $2 AND a.contract_id = $3 AND a.client_app = 'otpdesk-tests'"
		     "   AND a.via_role = 'otp_teller'",
		     3, ap, n, sizeof n);
	CU_ASSERT_STRING_EQUAL(n, "1");

	/* a branch-034 teller does not see it; head office does */
	CU_ASSERT_EQUAL(db_request_get(teller34, out.receipt_no, &q, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(db_request_get(teller_ho, out.receipt_no, &q, &err), 0);
}

static void test_duplicate_open_request_refused(void)
{
	char contract[16], rcpt[DB_RECEIPT_LEN];
	otp_strlcpy(contract, new_contract("LOCKED"), sizeof contract);
	submit_unlock(teller, contract, rcpt);
	struct db_request_new r = unlock_req(contract);
	struct db_receipt out;
	struct otp_err err;
	long long before = audit_n("request.submit", "refused", "OD003", contract);
	assert_refused(db_request_submit(teller, &r, &out, &err), &err, "OD003");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, rcpt));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "already open"));
	CU_ASSERT_EQUAL(audit_n("request.submit", "refused", "OD003", contract), before + 1);
	CU_ASSERT_EQUAL(requests_of(contract), 1);
	/* a RESET for the same token too: one open request per token */
	r.kind = DB_REQ_RESET;
	assert_refused(db_request_submit(teller, &r, &out, &err), &err, "OD003");
	CU_ASSERT_EQUAL(requests_of(contract), 1);
}

static void test_wrong_token_state_refused(void)
{
	struct db_request_new r = unlock_req("0120000001");	/* ACTIVE */
	struct db_receipt out;
	struct otp_err err;
	long long before = audit_n("request.submit", "refused", "OD003", "0120000001");
	long long rows = requests_of("0120000001");
	assert_refused(db_request_submit(teller, &r, &out, &err), &err, "OD003");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "ACTIVE"));
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_REFUSED);
	CU_ASSERT_EQUAL(audit_n("request.submit", "refused", "OD003", "0120000001"), before + 1);
	CU_ASSERT_EQUAL(requests_of("0120000001"), rows);

	/* RESET of an UNREGISTERED token: nothing to reset */
	char contract[16];
	otp_strlcpy(contract, new_contract("UNREGISTERED"), sizeof contract);
	r = unlock_req(contract);
	r.kind = DB_REQ_RESET;
	assert_refused(db_request_submit(teller, &r, &out, &err), &err, "OD003");
	CU_ASSERT_EQUAL(requests_of(contract), 0);
	/* RESET is fine for ACTIVE, LOCKED and STOPPED */
	const char *ok_states[] = { "ACTIVE", "LOCKED", "STOPPED" };
	for (int i = 0; i < 3; i++) {
		otp_strlcpy(contract, new_contract(ok_states[i]), sizeof contract);
		r = unlock_req(contract);
		r.kind = DB_REQ_RESET;
		CU_ASSERT_EQUAL(db_request_submit(teller, &r, &out, &err), 0);
	}
}

static void test_my_number_guard_in_c(void)
{
	const struct {
		const char *text;
		bool refused;
	} cases[] = {
		{ "123456789012", true },
		{ "1234 5678 9012", true },
		{ "1234-5678-9012", true },
		{ "番号１２３４５６７８９０１２です", true },	/* full-width digits */
		{ "１２３４－５６７８－９０１２", true },
		{ "1234　5678　9012", true },		/* ideographic spaces */
		{ "x1234567890123", true },		/* 13 digits hold 12 */
		{ "12345678901", false },		/* 11 */
		{ "03-1234-5678", false },
		{ "F-2026-000123", false },
		{ "1234 5678 abc 9012", false },
		{ "", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bool got = db_has_my_number(cases[i].text);
		if (got != cases[i].refused)
			fprintf(stderr, "\n  db_has_my_number(\"%s\") = %d", cases[i].text, got);
		CU_ASSERT_EQUAL(got, cases[i].refused);
		/* the server agrees */
		char v[8];
		const char *p[1] = { cases[i].text };
		dbfix_valuep("SELECT otp.has_my_number($1)::text", 1, p, v, sizeof v);
		CU_ASSERT_STRING_EQUAL(v, cases[i].refused ? "true" : "false");
	}
	CU_ASSERT_FALSE(db_has_my_number(NULL));
}

/* The server refuses a My Number even when a client skips the C check. */
static void test_my_number_refused_by_server(void)
{
	char contract[16];
	otp_strlcpy(contract, new_contract("LOCKED"), sizeof contract);
	PGconn *c = dbfix_pg_as("wf_teller");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	const char *numbers[] = { "123456789012", "1234 5678 9012", "1234-5678-9012" };
	long long audits = count_p("SELECT count(*) FROM otp.audit_event", NULL, NULL);
	long long counters = count_p("SELECT coalesce(sum(last_no), 0) FROM otp.receipt_counter", NULL, NULL);
	for (int i = 0; i < 3; i++) {
		for (int field = 0; field < 2; field++) {
			const char *form = field == 0 ? numbers[i] : "F-1";
			const char *notes = field == 1 ? numbers[i] : "";
			const char *p[3] = { contract, form, notes };
			PGresult *r = PQexecParams(c,
				"SELECT * FROM otp_api.request_submit($1, 'UNLOCK', $2, 'drivers_licence', NULL, NULL,"
				" true, true, 'MATCH', $3)", 3, NULL, p, NULL, NULL, 0);
			CU_ASSERT_EQUAL(PQresultStatus(r), PGRES_FATAL_ERROR);
			const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
			CU_ASSERT_STRING_EQUAL(state ? state : "", "OD004");
			const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
			CU_ASSERT_PTR_NOT_NULL(msg && strstr(msg, "My Number"));
			CU_ASSERT_PTR_NULL(msg && strstr(msg, "5678"));	/* the value is never echoed */
			PQclear(r);
		}
	}
	PQfinish(c);
	/* nothing stored: no request, no audit row, no receipt number taken */
	CU_ASSERT_EQUAL(requests_of(contract), 0);
	CU_ASSERT_EQUAL(count_p("SELECT count(*) FROM otp.audit_event", NULL, NULL), audits);
	CU_ASSERT_EQUAL(count_p("SELECT coalesce(sum(last_no), 0) FROM otp.receipt_counter", NULL, NULL), counters);
	/* (other suites' events in the shared test database may hold long numbers) */
	CU_ASSERT_EQUAL(count_p("SELECT count(*) FROM otp.audit_event WHERE event LIKE 'request.%' AND "
				"details::text ~ '5678.?9012'", NULL, NULL), 0);

	/* through the C API the value never leaves the client */
	struct db_request_new rq = unlock_req(contract);
	struct db_receipt out;
	struct otp_err err;
	rq.form_no = "123456789012";
	CU_ASSERT_EQUAL(db_request_submit(teller, &rq, &out, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD004");
	rq.form_no = "F-1";
	rq.notes = "1234-5678-9012";
	CU_ASSERT_EQUAL(db_request_submit(teller, &rq, &out, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD004");
	CU_ASSERT_EQUAL(requests_of(contract), 0);
	/* and in reasons */
	struct db_outcome o;
	CU_ASSERT_EQUAL(db_fraud_hold_set(helpdesk, contract, "番号 1234 5678 9012", &o, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD004");
	CU_ASSERT_EQUAL(count_p("SELECT count(*) FROM otp.fraud_hold WHERE contract_id = $1", contract, NULL), 0);
}

static void test_seal_mismatch_refused(void)
{
	char contract[16];
	otp_strlcpy(contract, new_contract("LOCKED"), sizeof contract);
	struct db_request_new r = unlock_req(contract);
	r.seal_match = false;
	struct db_receipt out;
	struct otp_err err;
	long long before = audit_n("request.submit", "refused", "OD003", contract);
	assert_refused(db_request_submit(teller, &r, &out, &err), &err, "OD003");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "seal"));
	CU_ASSERT_EQUAL(requests_of(contract), 0);
	CU_ASSERT_EQUAL(audit_n("request.submit", "refused", "OD003", contract), before + 1);
	CU_ASSERT_EQUAL(count_p("SELECT count(*) FROM otp.audit_event WHERE contract_id = $1"
				" AND event = 'request.submit' AND details->>'seal' = 'MISMATCH' AND actor = $2",
				contract, login_teller), 1);

	/* name or address not matching the contract: refused the same way */
	r.seal_match = true;
	r.address_matched = false;
	assert_refused(db_request_submit(teller, &r, &out, &err), &err, "OD003");
	r.address_matched = true;
	r.name_matched = false;
	assert_refused(db_request_submit(teller, &r, &out, &err), &err, "OD003");
	CU_ASSERT_EQUAL(requests_of(contract), 0);
	CU_ASSERT_EQUAL(audit_n("request.submit", "refused", "OD003", contract), before + 3);
}

static void test_passport_rules(void)
{
	char contract[16];
	otp_strlcpy(contract, new_contract("LOCKED"), sizeof contract);
	struct db_request_new r = unlock_req(contract);
	struct db_receipt out;
	struct otp_err err;
	r.doc_type = "passport";
	/* the issue date decides whether it shows the address: required */
	CU_ASSERT_EQUAL(db_request_submit(teller, &r, &out, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	/* issued on 2020-02-04 (the first day without the address field), alone: refused */
	r.doc_issued = "2020-02-04";
	CU_ASSERT_EQUAL(db_request_submit(teller, &r, &out, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD004");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "second document"));
	/* a second document without a sure address will not do */
	r.doc2_type = "passport";
	CU_ASSERT_EQUAL(db_request_submit(teller, &r, &out, &err), -1);
	r.doc2_type = "health_insurance_card";	/* not accepted any more */
	CU_ASSERT_EQUAL(db_request_submit(teller, &r, &out, &err), -1);
	CU_ASSERT_EQUAL(requests_of(contract), 0);
	/* with a driver's licence as the second document: accepted */
	r.doc2_type = "drivers_licence";
	CU_ASSERT_EQUAL_FATAL(db_request_submit(teller, &r, &out, &err), 0);
	struct db_request q;
	CU_ASSERT_EQUAL(db_request_get(teller, out.receipt_no, &q, &err), 0);
	CU_ASSERT_STRING_EQUAL(q.doc_type, "passport");
	CU_ASSERT_STRING_EQUAL(q.doc2_type, "drivers_licence");
	CU_ASSERT_STRING_EQUAL(q.doc_issued, "2020-02-04");

	/* issued the day before (old format with the address field): alone is fine */
	otp_strlcpy(contract, new_contract("LOCKED"), sizeof contract);
	r = unlock_req(contract);
	r.doc_type = "passport";
	r.doc_issued = "2020-02-03";
	CU_ASSERT_EQUAL(db_request_submit(teller, &r, &out, &err), 0);
}

static void test_health_insurance_card_rules(void)
{
	char contract[16];
	otp_strlcpy(contract, new_contract("LOCKED"), sizeof contract);
	struct db_request_new r = unlock_req(contract);
	struct db_receipt out;
	struct otp_err err;
	/* (these tests run after 2025-12-01: the old card is no longer accepted) */
	r.doc_type = "health_insurance_card";
	CU_ASSERT_EQUAL(db_request_submit(teller, &r, &out, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD004");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "not accepted"));
	CU_ASSERT_EQUAL(requests_of(contract), 0);
	/* the boundary, by date: accepted through 2025-12-01, not from 2025-12-02 */
	char v[64];
	dbfix_value("SELECT string_agg(otp.id_document_accepted(d, x)::text, ',' ORDER BY x)"
		    " FROM otp.id_document_type d, unnest(ARRAY['2024-12-02', '2025-12-01', '2025-12-02']::date[]) x"
		    " WHERE d.code = 'health_insurance_card'", v, sizeof v);
	CU_ASSERT_STRING_EQUAL(v, "true,true,false");
	dbfix_value("SELECT string_agg(otp.id_document_accepted(d, x)::text, ',' ORDER BY x)"
		    " FROM otp.id_document_type d, unnest(ARRAY['2024-12-01', '2024-12-02', '2030-01-01']::date[]) x"
		    " WHERE d.code = 'eligibility_certificate'", v, sizeof v);
	CU_ASSERT_STRING_EQUAL(v, "false,true,true");
	/* the eligibility certificate (資格確認書) is accepted */
	r.doc_type = "eligibility_certificate";
	CU_ASSERT_EQUAL(db_request_submit(teller, &r, &out, &err), 0);

	/* the list the TUI shows */
	struct db_id_doc_type t[16];
	int n = 0;
	CU_ASSERT_EQUAL_FATAL(db_id_doc_types(teller, t, 16, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 6);
	int seen = 0;
	for (int i = 0; i < n; i++) {
		if (strcmp(t[i].code, "health_insurance_card") == 0) {
			CU_ASSERT_FALSE(t[i].accepted_today);
			CU_ASSERT_STRING_EQUAL(t[i].accepted_until, "2025-12-01");
			seen++;
		}
		if (strcmp(t[i].code, "passport") == 0) {
			CU_ASSERT_STRING_EQUAL(t[i].no_address_if_issued_from, "2020-02-04");
			seen++;
		}
		if (strcmp(t[i].code, "mynumber_card") == 0) {
			CU_ASSERT_STRING_EQUAL(t[i].name_ja, "マイナンバーカード（表面のみ）");
			seen++;
		}
	}
	CU_ASSERT_EQUAL(seen, 3);
	/* unknown type */
	r.doc_type = "library_card";
	CU_ASSERT_EQUAL(db_request_submit(teller, &r, &out, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
}

static void test_receipt_numbers_gap_free(void)
{
	char c1[16], c2[16], c3[16], c4[16];
	otp_strlcpy(c1, new_contract("LOCKED"), sizeof c1);
	otp_strlcpy(c2, new_contract("LOCKED"), sizeof c2);
	otp_strlcpy(c3, new_contract("LOCKED"), sizeof c3);
	otp_strlcpy(c4, new_contract("LOCKED"), sizeof c4);
	char r1[DB_RECEIPT_LEN], r2[DB_RECEIPT_LEN], r3[DB_RECEIPT_LEN];
	submit_unlock(teller, c1, r1);
	/* refused (seal), invalid (My Number, bad document) and failed submits take no number */
	struct db_request_new r = unlock_req(c2);
	struct db_receipt out;
	struct otp_err err;
	r.seal_match = false;
	CU_ASSERT_EQUAL(db_request_submit(teller, &r, &out, &err), -1);
	PGconn *c = dbfix_pg_as("wf_teller");
	const char *p[1] = { c2 };
	PQclear(PQexecParams(c, "SELECT * FROM otp_api.request_submit($1, 'UNLOCK', '123456789012',"
			     " 'drivers_licence', NULL, NULL, true, true, 'MATCH', '')", 1, NULL, p, NULL, NULL, 0));
	PQfinish(c);
	r = unlock_req(c2);
	r.doc_type = "health_insurance_card";
	CU_ASSERT_EQUAL(db_request_submit(teller, &r, &out, &err), -1);
	submit_unlock(teller, c3, r2);
	/* head office submits for a 012 contract: numbered in 012's series */
	submit_unlock(teller_ho, c4, r3);
	long n1 = strtol(r1 + 13, NULL, 10), n2 = strtol(r2 + 13, NULL, 10), n3 = strtol(r3 + 13, NULL, 10);
	CU_ASSERT_EQUAL(n2, n1 + 1);
	CU_ASSERT_EQUAL(n3, n2 + 1);
	CU_ASSERT_EQUAL(strncmp(r1, r3, 13), 0);
	/* the counter row agrees with the last number given */
	char v[32];
	dbfix_value("SELECT last_no FROM otp.receipt_counter WHERE branch_code = '012'"
		    " AND day = (now() AT TIME ZONE 'Asia/Tokyo')::date", v, sizeof v);
	CU_ASSERT_EQUAL(atol(v), n3);
	/* every number of today's 012 series exists, from 1 to last_no */
	CU_ASSERT_EQUAL(count_p("SELECT count(*) FROM otp.request WHERE receipt_no LIKE substr($1, 1, 13) || '%'",
				r1, NULL), n3);
}

static void test_submit_roles_and_branch(void)
{
	char contract[16];
	otp_strlcpy(contract, new_contract("LOCKED"), sizeof contract);
	struct db_request_new r = unlock_req(contract);
	struct db_receipt out;
	struct otp_err err;
	long long h0 = refusals_by("request.submit", "OD001", "wf_helpdesk");
	long long s0 = refusals_by("request.submit", "OD001", "wf_sup");
	long long t0 = refusals_by("request.submit", "OD001", "wf_teller34");
	/* helpdesk and a supervisor who is not a teller may not submit */
	assert_refused(db_request_submit(helpdesk, &r, &out, &err), &err, "OD001");
	assert_refused(db_request_submit(sup, &r, &out, &err), &err, "OD001");
	/* a teller of another branch may not submit for a 012 contract */
	assert_refused(db_request_submit(teller34, &r, &out, &err), &err, "OD001");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "012"));
	CU_ASSERT_EQUAL(refusals_by("request.submit", "OD001", "wf_helpdesk"), h0 + 1);
	CU_ASSERT_EQUAL(refusals_by("request.submit", "OD001", "wf_sup"), s0 + 1);
	CU_ASSERT_EQUAL(refusals_by("request.submit", "OD001", "wf_teller34"), t0 + 1);
	CU_ASSERT_EQUAL(requests_of(contract), 0);
	/* unknown contract */
	r.contract_id = "0129999999";
	CU_ASSERT_EQUAL(db_request_submit(teller, &r, &out, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_NOTFOUND);
}

/* ---- decisions ---------------------------------------------------------- */

/* A login without the group for a decision is refused (OD001) with an audit
 * row that names the request: branch, contract, request, receipt, and
 * whether the caller submitted it, so the log filtered on the contract
 * shows the attempt. An unknown receipt is refused the same way, naming
 * nothing. */
static void test_role_refusal_names_request(void)
{
	char contract[16], rcpt[DB_RECEIPT_LEN];
	otp_strlcpy(contract, new_contract("LOCKED"), sizeof contract);
	submit_unlock(teller, contract, rcpt);
	struct db_outcome o;
	struct otp_err err;
	assert_refused(db_request_approve(teller, rcpt, &o, &err), &err, "OD001");
	assert_refused(db_request_reject(helpdesk, rcpt, "no", &o, &err), &err, "OD001");
	assert_refused(db_request_cancel(helpdesk, rcpt, "no", &o, &err), &err, "OD001");
	CU_ASSERT_EQUAL(audit_n("request.approve", "refused", "OD001", contract), 1);
	CU_ASSERT_EQUAL(audit_n("request.reject", "refused", "OD001", contract), 1);
	CU_ASSERT_EQUAL(audit_n("request.cancel", "refused", "OD001", contract), 1);
	const char *p[1] = { rcpt };
	char v[256];
	dbfix_valuep("SELECT string_agg(e.event || ':' || (e.details->>'own_request') || ':' || e.branch_code"
		     " || ':' || (e.request_id = r.request_id)::text, ',' ORDER BY e.event)"
		     " FROM otp.audit_event e JOIN otp.request r ON r.contract_id = e.contract_id"
		     " WHERE r.receipt_no = $1 AND e.outcome = 'refused' AND e.details->>'receipt_no' = $1",
		     1, p, v, sizeof v);
	CU_ASSERT_STRING_EQUAL(v, "request.approve:true:012:true,request.cancel:false:012:true,"
				  "request.reject:false:012:true");
	/* the request is untouched */
	struct db_request q;
	CU_ASSERT_EQUAL_FATAL(db_request_get(sup, rcpt, &q, &err), 0);
	CU_ASSERT_EQUAL(q.state, DB_REQ_SUBMITTED);
	/* an unknown receipt: the plain role refusal */
	long long t0 = refusals_by("request.approve", "OD001", "wf_teller");
	assert_refused(db_request_approve(teller, "012-20990101-9999", &o, &err), &err, "OD001");
	CU_ASSERT_EQUAL(refusals_by("request.approve", "OD001", "wf_teller"), t0 + 1);
	CU_ASSERT_EQUAL(db_request_cancel(teller, rcpt, "test done", &o, &err), 0);
}

static void test_maker_checker(void)
{
	char contract[16], rcpt[DB_RECEIPT_LEN];
	otp_strlcpy(contract, new_contract("LOCKED"), sizeof contract);
	/* submitted by someone who is both teller and supervisor */
	submit_unlock(tsup, contract, rcpt);
	struct db_outcome o;
	struct otp_err err;

	/* the submitter may not approve, even as a supervisor */
	assert_refused(db_request_approve(tsup, rcpt, &o, &err), &err, "OD005");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "dual control"));
	CU_ASSERT_EQUAL(audit_n("request.approve", "refused", "OD005", contract), 1);
	assert_refused(db_request_reject(tsup, rcpt, "自分で却下", &o, &err), &err, "OD005");
	CU_ASSERT_EQUAL(audit_n("request.reject", "refused", "OD005", contract), 1);
	/* a teller may not approve; helpdesk may not approve or execute; a
	 * supervisor of another, non-head-office branch may not approve */
	long long t0 = refusals_by("request.approve", "OD001", "wf_teller");
	long long h0 = refusals_by("request.approve", "OD001", "wf_helpdesk");
	long long h1 = refusals_by("request.execute", "OD001", "wf_helpdesk");
	long long s0 = refusals_by("request.approve", "OD001", "wf_sup34");
	assert_refused(db_request_approve(teller, rcpt, &o, &err), &err, "OD001");
	assert_refused(db_request_approve(helpdesk, rcpt, &o, &err), &err, "OD001");
	CU_ASSERT_EQUAL(db_request_execute(helpdesk, rcpt, NULL, NULL, &o, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD001");
	assert_refused(db_request_approve(sup34, rcpt, &o, &err), &err, "OD001");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "branch 012"));
	CU_ASSERT_EQUAL(refusals_by("request.approve", "OD001", "wf_teller"), t0 + 1);
	CU_ASSERT_EQUAL(refusals_by("request.approve", "OD001", "wf_helpdesk"), h0 + 1);
	CU_ASSERT_EQUAL(refusals_by("request.execute", "OD001", "wf_helpdesk"), h1 + 1);
	CU_ASSERT_EQUAL(refusals_by("request.approve", "OD001", "wf_sup34"), s0 + 1);

	/* still SUBMITTED after all that */
	struct db_request q;
	CU_ASSERT_EQUAL_FATAL(db_request_get(sup, rcpt, &q, &err), 0);
	CU_ASSERT_EQUAL(q.state, DB_REQ_SUBMITTED);
	CU_ASSERT_EQUAL(audit_n("request.approve", "success", NULL, contract), 0);

	/* another supervisor of 012 approves */
	CU_ASSERT_EQUAL_FATAL(db_request_approve(sup, rcpt, &o, &err), 0);
	CU_ASSERT_EQUAL(db_request_get(sup, rcpt, &q, &err), 0);
	CU_ASSERT_EQUAL(q.state, DB_REQ_APPROVED);
	CU_ASSERT_STRING_EQUAL(q.decided_by, login_sup);
	CU_ASSERT_STRING_EQUAL(q.decided_by_name, "staff wf_sup");
	CU_ASSERT(q.decided_at[0] != '\0');
	CU_ASSERT_EQUAL(audit_n("request.approve", "success", NULL, contract), 1);
	CU_ASSERT_EQUAL(count_p("SELECT count(*) FROM otp.audit_event WHERE event = 'request.approve'"
				" AND outcome = 'success' AND details->>'receipt_no' = $1 AND actor = $2",
				rcpt, login_sup), 1);
	/* a second approval: wrong state, with who approved */
	assert_refused(db_request_approve(sup2, rcpt, &o, &err), &err, "OD003");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "already approved by"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, login_sup));

	/* the database itself refuses a decision by the submitter */
	const char *p[1] = { rcpt };
	PGresult *r = PQexecParams(dbfix_pg(), "UPDATE otp.request SET decided_by = submitted_by WHERE receipt_no = $1",
				   1, NULL, p, NULL, NULL, 0);
	CU_ASSERT_EQUAL(PQresultStatus(r), PGRES_FATAL_ERROR);
	PQclear(r);
}

static void test_head_office_supervisor_decides(void)
{
	char contract[16], rcpt[DB_RECEIPT_LEN];
	otp_strlcpy(contract, new_contract("LOCKED"), sizeof contract);
	submit_unlock(teller, contract, rcpt);
	struct db_outcome o;
	struct otp_err err;
	CU_ASSERT_EQUAL(db_request_approve(sup_ho, rcpt, &o, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(o.message, "approved"));
}

static void test_reject_and_cancel(void)
{
	char c1[16], c2[16], c3[16], r1[DB_RECEIPT_LEN], r2[DB_RECEIPT_LEN], r3[DB_RECEIPT_LEN];
	otp_strlcpy(c1, new_contract("LOCKED"), sizeof c1);
	otp_strlcpy(c2, new_contract("LOCKED"), sizeof c2);
	otp_strlcpy(c3, new_contract("LOCKED"), sizeof c3);
	submit_unlock(teller, c1, r1);
	submit_unlock(teller, c2, r2);
	submit_unlock(teller, c3, r3);
	struct db_outcome o;
	struct otp_err err;
	struct db_request q;

	/* reject needs a reason */
	CU_ASSERT_EQUAL(db_request_reject(sup, r1, "", &o, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	CU_ASSERT_EQUAL(db_request_reject(sup, r1, "印鑑の押印が不鮮明", &o, &err), 0);
	CU_ASSERT_EQUAL(db_request_get(sup, r1, &q, &err), 0);
	CU_ASSERT_EQUAL(q.state, DB_REQ_REJECTED);
	CU_ASSERT_STRING_EQUAL(q.reject_reason, "印鑑の押印が不鮮明");
	CU_ASSERT_EQUAL(audit_n("request.reject", "success", NULL, c1), 1);
	assert_refused(db_request_approve(sup2, r1, &o, &err), &err, "OD003");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "rejected"));
	/* a rejected request is closed: a new one may be submitted */
	char r1b[DB_RECEIPT_LEN];
	submit_unlock(teller, c1, r1b);

	/* cancel: helpdesk may not; a teller of the branch may, before execution */
	assert_refused(db_request_cancel(helpdesk, r2, "顧客取下げ", &o, &err), &err, "OD001");
	assert_refused(db_request_cancel(teller34, r2, "顧客取下げ", &o, &err), &err, "OD001");
	CU_ASSERT_EQUAL(db_request_cancel(teller, r2, "顧客取下げ", &o, &err), 0);
	CU_ASSERT_EQUAL(db_request_get(teller, r2, &q, &err), 0);
	CU_ASSERT_EQUAL(q.state, DB_REQ_CANCELLED);
	CU_ASSERT_STRING_EQUAL(q.cancelled_by, login_teller);
	CU_ASSERT_STRING_EQUAL(q.cancel_reason, "顧客取下げ");
	CU_ASSERT_EQUAL(audit_n("request.cancel", "success", NULL, c2), 1);
	assert_refused(db_request_cancel(teller, r2, "again", &o, &err), &err, "OD003");
	assert_refused(db_request_approve(sup, r2, &o, &err), &err, "OD003");

	/* a supervisor cancels an APPROVED one */
	CU_ASSERT_EQUAL(db_request_approve(sup, r3, &o, &err), 0);
	CU_ASSERT_EQUAL(db_request_cancel(sup2, r3, "顧客来店なし", &o, &err), 0);
	CU_ASSERT_EQUAL(db_request_get(teller, r3, &q, &err), 0);
	CU_ASSERT_EQUAL(q.state, DB_REQ_CANCELLED);
	/* the batch does not execute a cancelled request */
	CU_ASSERT_EQUAL(db_request_execute(batch, r3, NULL, NULL, &o, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD003");
	CU_ASSERT_EQUAL(count_p("SELECT count(*) FROM otp.token WHERE contract_id = $1 AND state = 'LOCKED'", c3, NULL), 1);

	/* unknown and malformed receipt numbers */
	CU_ASSERT_EQUAL(db_request_approve(sup, "012-19990101-0001", &o, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(db_request_approve(sup, "12-2026", &o, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
}

static void test_fraud_hold(void)
{
	char c1[16], c2[16], r1[DB_RECEIPT_LEN];
	otp_strlcpy(c1, new_contract("LOCKED"), sizeof c1);
	otp_strlcpy(c2, new_contract("LOCKED"), sizeof c2);
	submit_unlock(teller, c1, r1);	/* before the hold */
	struct db_outcome o;
	struct otp_err err;

	/* tellers and supervisors may not set holds */
	assert_refused(db_fraud_hold_set(teller, c1, "不正の疑い", &o, &err), &err, "OD001");
	assert_refused(db_fraud_hold_set(sup, c1, "不正の疑い", &o, &err), &err, "OD001");
	CU_ASSERT_EQUAL_FATAL(db_fraud_hold_set(helpdesk, c1, "不正送金の疑い（警察照会中）", &o, &err), 0);
	CU_ASSERT_EQUAL_FATAL(db_fraud_hold_set(helpdesk, c2, "なりすまし申告", &o, &err), 0);
	CU_ASSERT_EQUAL(audit_n("fraud_hold.set", "success", NULL, c1), 1);
	assert_refused(db_fraud_hold_set(helpdesk, c1, "二重", &o, &err), &err, "OD003");

	/* blocks submit and approve, audited */
	struct db_request_new r = unlock_req(c2);
	struct db_receipt out;
	assert_refused(db_request_submit(teller, &r, &out, &err), &err, "OD006");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "fraud hold"));
	CU_ASSERT_EQUAL(requests_of(c2), 0);
	CU_ASSERT_EQUAL(audit_n("request.submit", "refused", "OD006", c2), 1);
	assert_refused(db_request_approve(sup, r1, &o, &err), &err, "OD006");
	CU_ASSERT_EQUAL(audit_n("request.approve", "refused", "OD006", c1), 1);
	struct db_request q;
	CU_ASSERT_EQUAL(db_request_get(sup, r1, &q, &err), 0);
	CU_ASSERT_EQUAL(q.state, DB_REQ_SUBMITTED);
	CU_ASSERT(q.fraud_hold);

	/* lifting needs the right role and a reason */
	assert_refused(db_fraud_hold_lift(teller, c1, "解除", &o, &err), &err, "OD001");
	CU_ASSERT_EQUAL(db_fraud_hold_lift(helpdesk, c1, "", &o, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	CU_ASSERT_EQUAL(db_fraud_hold_lift(helpdesk, c1, "本人確認済み、警察照会終了", &o, &err), 0);
	CU_ASSERT_EQUAL(db_fraud_hold_lift(helpdesk, c2, "誤報", &o, &err), 0);
	assert_refused(db_fraud_hold_lift(helpdesk, c2, "again", &o, &err), &err, "OD003");
	CU_ASSERT_EQUAL(count_p("SELECT count(*) FROM otp.fraud_hold WHERE contract_id = $1 AND lifted_by IS NOT NULL"
				" AND lift_reason = '本人確認済み、警察照会終了'", c1, NULL), 1);
	CU_ASSERT_EQUAL(audit_n("fraud_hold.lift", "success", NULL, c1), 1);

	/* after lifting, both go through */
	CU_ASSERT_EQUAL(db_request_approve(sup, r1, &o, &err), 0);
	CU_ASSERT_EQUAL(db_request_submit(teller, &r, &out, &err), 0);
}

/* ---- concurrency -------------------------------------------------------- */

struct racer {
	PGconn *conn;
	const char *receipt;
	pthread_barrier_t *start;
	int ok;
	char code[8];
	char message[512];
};

static void *approve_thread(void *arg)
{
	struct racer *r = arg;
	const char *p[1] = { r->receipt };
	pthread_barrier_wait(r->start);
	PGresult *res = PQexecParams(r->conn, "SELECT ok, code, message FROM otp_api.request_approve($1)", 1, NULL, p,
				     NULL, NULL, 0);
	r->ok = -1;
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		r->ok = PQgetvalue(res, 0, 0)[0] == 't';
		snprintf(r->code, sizeof r->code, "%s", PQgetvalue(res, 0, 1));
		snprintf(r->message, sizeof r->message, "%s", PQgetvalue(res, 0, 2));
	} else {
		snprintf(r->message, sizeof r->message, "%s", PQresultErrorMessage(res));
	}
	PQclear(res);
	return NULL;
}

static void test_concurrent_approvals(void)
{
	PGconn *a = dbfix_pg_as("wf_sup"), *b = dbfix_pg_as("wf_sup2");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	int wins = 0, losses = 0;
	for (int round = 0; round < 20; round++) {
		char contract[16], rcpt[DB_RECEIPT_LEN];
		otp_strlcpy(contract, new_contract("LOCKED"), sizeof contract);
		submit_unlock(teller, contract, rcpt);
		pthread_barrier_t start;
		pthread_barrier_init(&start, NULL, 2);
		struct racer ra = { .conn = a, .receipt = rcpt, .start = &start };
		struct racer rb = { .conn = b, .receipt = rcpt, .start = &start };
		pthread_t ta, tb;
		pthread_create(&ta, NULL, approve_thread, &ra);
		pthread_create(&tb, NULL, approve_thread, &rb);
		pthread_join(ta, NULL);
		pthread_join(tb, NULL);
		pthread_barrier_destroy(&start);
		CU_ASSERT_EQUAL(ra.ok + rb.ok, 1);	/* exactly one winner, no errors */
		struct racer *loser = ra.ok ? &rb : &ra;
		CU_ASSERT_STRING_EQUAL(loser->code, "OD003");
		CU_ASSERT_PTR_NOT_NULL(strstr(loser->message, "already approved by"));
		wins += ra.ok == 1 || rb.ok == 1;
		losses += ra.ok == 0 || rb.ok == 0;
		/* one transition, one success audit */
		CU_ASSERT_EQUAL(audit_n("request.approve", "success", NULL, contract), 1);
		CU_ASSERT_EQUAL(audit_n("request.approve", "refused", "OD003", contract), 1);
		CU_ASSERT_EQUAL(count_p("SELECT count(*) FROM otp.request WHERE receipt_no = $1 AND state = 'APPROVED'",
					rcpt, NULL), 1);
	}
	CU_ASSERT_EQUAL(wins, 20);
	CU_ASSERT_EQUAL(losses, 20);
	PQfinish(a);
	PQfinish(b);
}

/* ---- lists ---------------------------------------------------------------- */

static void test_list_paging_and_history(void)
{
	char contract[16], rcpt[3][DB_RECEIPT_LEN];
	otp_strlcpy(contract, new_contract("LOCKED"), sizeof contract);
	struct db_outcome o;
	struct otp_err err;
	/* three requests for one contract: two cancelled, one open */
	for (int i = 0; i < 3; i++) {
		submit_unlock(teller, contract, rcpt[i]);
		if (i < 2)
			CU_ASSERT_EQUAL(db_request_cancel(teller, rcpt[i], "取下げ", &o, &err), 0);
	}
	struct db_request_page page;
	CU_ASSERT_EQUAL_FATAL(db_request_history(teller, contract, NULL, 2, &page, &err), 0);
	CU_ASSERT_EQUAL(page.n, 2);
	CU_ASSERT(page.more);
	CU_ASSERT_STRING_EQUAL(page.rows[0].receipt_no, rcpt[2]);	/* newest first */
	CU_ASSERT_STRING_EQUAL(page.rows[1].receipt_no, rcpt[1]);
	struct db_request last = page.rows[1];
	db_request_page_free(&page);
	CU_ASSERT_EQUAL_FATAL(db_request_history(teller, contract, &last, 2, &page, &err), 0);
	CU_ASSERT_EQUAL(page.n, 1);
	CU_ASSERT_FALSE(page.more);
	CU_ASSERT_STRING_EQUAL(page.rows[0].receipt_no, rcpt[0]);
	db_request_page_free(&page);

	/* the approval queue: SUBMITTED of branch 012, oldest first, paged */
	struct db_request_filter f = { .state = "submitted", .branch = "012" };
	long total = 0;
	long long prev = 0;
	bool have = false;
	int pages = 0;
	for (;;) {
		CU_ASSERT_EQUAL_FATAL(db_request_list(sup, &f, have ? &last : NULL, 3, &page, &err), 0);
		for (int i = 0; i < page.n; i++) {
			CU_ASSERT_EQUAL(page.rows[i].state, DB_REQ_SUBMITTED);
			CU_ASSERT(page.rows[i].request_id > prev);	/* ascending, no repeats across pages */
			prev = page.rows[i].request_id;
		}
		total += page.n;
		if (page.n) {
			last = page.rows[page.n - 1];
			have = true;
		}
		bool more = page.more;
		db_request_page_free(&page);
		pages++;
		if (!more || pages > 1000)
			break;
	}
	CU_ASSERT_EQUAL(total, count_p("SELECT count(*) FROM otp.request WHERE state = 'SUBMITTED' AND branch_code = '012'",
				       NULL, NULL));
	CU_ASSERT(pages > 1);
	/* a branch-034 supervisor sees none of 012's */
	CU_ASSERT_EQUAL(db_request_list(sup34, &f, NULL, 10, &page, &err), 0);
	CU_ASSERT_EQUAL(page.n, 0);
	db_request_page_free(&page);
	f.state = "bogus";
	CU_ASSERT_EQUAL(db_request_list(sup, &f, NULL, 10, &page, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
}

TEST_SUITE(workflow, "db/workflow", init, cleanup,
	   TEST(test_submit_unlock),
	   TEST(test_duplicate_open_request_refused),
	   TEST(test_wrong_token_state_refused),
	   TEST(test_my_number_guard_in_c),
	   TEST(test_my_number_refused_by_server),
	   TEST(test_seal_mismatch_refused),
	   TEST(test_passport_rules),
	   TEST(test_health_insurance_card_rules),
	   TEST(test_receipt_numbers_gap_free),
	   TEST(test_submit_roles_and_branch),
	   TEST(test_maker_checker),
	   TEST(test_role_refusal_names_request),
	   TEST(test_head_office_supervisor_decides),
	   TEST(test_reject_and_cancel),
	   TEST(test_fraud_hold),
	   TEST(test_concurrent_approvals),
	   TEST(test_list_paging_and_history))
