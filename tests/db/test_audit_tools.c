/* The auditors' tools on the audit log: keyset search, CSV/JSON-lines
 * exports that verify on their own (and fail to when edited), the
 * exception report (every kind, from events placed in March 2024 so the
 * range holds nothing else), and retention: archive segments of past
 * months, dropping an archived partition, and verification across archive
 * files and the live table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "db/auditlog.h"
#include "tests/lib/dbfix.h"
#include "tests/lib/testlib.h"

static struct db *su, *batch, *auditor;
static char tx[64];	/* a teller-and-supervisor login that misbehaves */

static int init(void)
{
	if (dbfix_suite_init() != 0)
		return -1;
	dbfix_staff("tools_batch", "000", "otp_batch");
	dbfix_staff("tools_auditor", "000", "otp_auditor");
	dbfix_staff("tools_admin", "000", "otp_admin");
	dbfix_staff("tools_teller", "012", "otp_teller");
	snprintf(tx, sizeof tx, "%s", dbfix_staff("tools_tx", "012", "otp_teller,otp_supervisor"));
	struct otp_err err;
	struct db_conn_params p = { .conninfo = dbfix_conninfo() };
	if (db_connect(&su, &p, &err) != 0)
		return -1;
	batch = dbfix_connect_as("tools_batch");
	auditor = dbfix_connect_as("tools_auditor");
	return batch && auditor ? 0 : -1;
}

static void tmpname(char *buf, size_t size, const char *what);

static int cleanup(void)
{
	/* files a failed test left behind */
	static const char *const files[] = { "export.csv", "export.jsonl", "all.csv", "2024-01.jsonl",
					     "2024-02.jsonl", "bad.jsonl" };
	char path[128];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		tmpname(path, sizeof path, files[i]);
	db_close(su);
	db_close(batch);
	db_close(auditor);
	su = batch = auditor = NULL;
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

/* A temporary file name of this run (any old file of that name removed). */
static void tmpname(char *buf, size_t size, const char *what)
{
	snprintf(buf, size, "/tmp/otp-audit-tools-%d-%s", (int)getpid(), what);
	remove(buf);
}

/* Verify a file: an export (mode EXPORT) or archive segments then the live table. */
static struct audit_report verify_export(const char *path)
{
	struct audit_verifier *v;
	struct otp_err err;
	struct audit_report rep;
	memset(&rep, 0, sizeof rep);
	CU_ASSERT_EQUAL_FATAL(audit_verifier_new(&v, AUDIT_VERIFY_EXPORT, &err), 0);
	int done;
	if (audit_verify_export_file(v, path, &done, &err) != 0) {
		fprintf(stderr, "\n  %s", err.message);
		CU_FAIL("export file unreadable");
	}
	audit_verifier_finish(v, 0, NULL, &rep);
	audit_verifier_free(v);
	return rep;
}

static struct audit_report verify_live_jobs(const char *const *archives, int n, int jobs)
{
	struct audit_verifier *v;
	struct otp_err err;
	struct audit_report rep;
	memset(&rep, 0, sizeof rep);
	CU_ASSERT_EQUAL_FATAL(audit_verifier_new(&v, AUDIT_VERIFY_CHAIN, &err), 0);
	int done = 0;
	for (int i = 0; i < n && !done; i++) {
		struct audit_archive_header h;
		CU_ASSERT_EQUAL(audit_verify_archive_file(v, archives[i], &h, NULL, &done, &err), 0);
	}
	if (done) {
		audit_verifier_finish(v, 0, NULL, &rep);
	} else {
		struct db_audit_verify_opts o = { .db_checkpoints = true, .jobs = jobs, .min_segment = 3 };
		if (db_audit_verify(su, v, &o, &rep, &err) != 0) {
			fprintf(stderr, "\n  verify: %s", err.message);
			CU_FAIL("db_audit_verify");
		}
	}
	audit_verifier_free(v);
	return rep;
}

/* Archive segments (if any) then the live table, in one stream and in three
 * parallel segments: both must agree. */
static struct audit_report verify_live(const char *const *archives, int n)
{
	struct audit_report one = verify_live_jobs(archives, n, 1), par = verify_live_jobs(archives, n, 3);
	CU_ASSERT_EQUAL(par.damage, one.damage);
	CU_ASSERT_EQUAL(par.seq, one.seq);
	CU_ASSERT_EQUAL(par.rows, one.rows);
	CU_ASSERT_EQUAL(par.first_seq, one.first_seq);
	CU_ASSERT_EQUAL(par.last_seq, one.last_seq);
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

/* Replace the first occurrence of from by to (same length) in a file; true if done. */
static bool edit_file(const char *path, const char *from, const char *to)
{
	FILE *f = fopen(path, "r+");
	if (!f)
		return false;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	rewind(f);
	char *buf = malloc((size_t)size + 1);
	size_t n = buf ? fread(buf, 1, (size_t)size, f) : 0;
	char *p = NULL;
	if (buf) {
		buf[n] = '\0';
		p = strstr(buf, from);
	}
	if (p) {
		memcpy(p, to, strlen(to));
		rewind(f);
		fwrite(buf, 1, n, f);
	}
	free(buf);
	fclose(f);
	return p != NULL;
}

/* ---- search ------------------------------------------------------------------ */

static void test_search_pages_and_filters(void)
{
	CU_ASSERT_EQUAL(dbfix_sql("SELECT otp.audit('tools.search', CASE WHEN g % 10 = 0 THEN 'refused' ELSE 'success' END,"
				  " NULL, '034', '0340000001', NULL, g, jsonb_build_object('g', g, 's', 'a,b \"c\"'),"
				  " CASE WHEN g % 10 = 0 THEN 'OD001' END) FROM generate_series(1, 120) g"), 0);
	struct db_audit_filter f = { .event = "tools.search" };
	struct db_audit_page page;
	struct otp_err err;
	struct db_audit_row last;
	long long seen_sum = 0, prev_id = 1LL << 62;
	int pages = 0, rows = 0;
	bool have = false, ordered = true;
	do {
		CU_ASSERT_EQUAL_FATAL(db_audit_search(auditor, &f, have ? &last : NULL, 50, &page, &err), 0);
		for (int i = 0; i < page.n; i++) {
			ordered &= page.rows[i].event_id < prev_id;	/* one transaction: at ties, event_id decides */
			prev_id = page.rows[i].event_id;
			seen_sum += page.rows[i].request_id;
			CU_ASSERT_STRING_EQUAL(page.rows[i].contract_id, "0340000001");
		}
		rows += page.n;
		pages++;
		if (page.n) {
			last = page.rows[page.n - 1];
			have = true;
		}
		bool more = page.more;
		db_audit_page_free(&page);
		if (!more)
			break;
	} while (pages < 10);
	CU_ASSERT_EQUAL(pages, 3);
	CU_ASSERT_EQUAL(rows, 120);
	CU_ASSERT_EQUAL(seen_sum, 120 * 121 / 2);	/* each once */
	CU_ASSERT(ordered);
	f.outcome = "refused";
	f.contract_id = "0340000001";
	CU_ASSERT_EQUAL(db_audit_search(auditor, &f, NULL, 500, &page, &err), 0);
	CU_ASSERT_EQUAL(page.n, 12);
	CU_ASSERT_STRING_EQUAL(page.n ? page.rows[0].reason_code : "", "OD001");
	db_audit_page_free(&page);
	/* not an auditor: refused */
	struct db *t = dbfix_connect_as("tools_teller");
	CU_ASSERT_EQUAL(db_audit_search(t, &f, NULL, 10, &page, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD001");
	db_close(t);
}

/* ---- export ------------------------------------------------------------------ */

static void test_exports_verify_on_their_own(void)
{
	seal_all();
	char csv[128], jsonl[128], all[128];
	tmpname(csv, sizeof csv, "export.csv");
	tmpname(jsonl, sizeof jsonl, "export.jsonl");
	tmpname(all, sizeof all, "all.csv");
	struct db_audit_filter f = { .event = "tools.search" };
	struct otp_err err;
	long long rows = 0;
	FILE *out = fopen(csv, "w");
	CU_ASSERT_EQUAL(db_audit_export(auditor, &f, DB_AUDIT_CSV, out, &rows, &err), 0);
	fclose(out);
	CU_ASSERT_EQUAL(rows, 120);
	out = fopen(jsonl, "w");
	CU_ASSERT_EQUAL(db_audit_export(auditor, &f, DB_AUDIT_JSONL, out, &rows, &err), 0);
	fclose(out);
	CU_ASSERT_EQUAL(rows, 120);
	struct db_audit_filter none = { 0 };
	out = fopen(all, "w");
	CU_ASSERT_EQUAL(db_audit_export(auditor, &none, DB_AUDIT_CSV, out, &rows, &err), 0);
	fclose(out);
	struct audit_report rep = verify_export(csv);
	EXPECT(rep, AUDIT_DAMAGE_NONE, 0);
	CU_ASSERT_EQUAL(rep.rows, 120);
	rep = verify_export(jsonl);
	EXPECT(rep, AUDIT_DAMAGE_NONE, 0);
	CU_ASSERT_EQUAL(rep.rows, 120);
	rep = verify_export(all);
	EXPECT(rep, AUDIT_DAMAGE_NONE, 0);
	CU_ASSERT_EQUAL(rep.gaps, 0);	/* unfiltered: one run */
	CU_ASSERT(rep.rows >= 120);
	/* an edited export no longer verifies: at which seq is the first refused row */
	long long first_refused = dbfix_count("SELECT min(seq) FROM otp.audit_event WHERE event = 'tools.search'"
					      " AND outcome = 'refused'");
	CU_ASSERT_FATAL(edit_file(csv, "refused", "success"));
	EXPECT(verify_export(csv), AUDIT_DAMAGE_MODIFIED, first_refused);
	CU_ASSERT_FATAL(edit_file(jsonl, "\"refused\"", "\"success\""));
	EXPECT(verify_export(jsonl), AUDIT_DAMAGE_MODIFIED, first_refused);
	remove(csv);
	remove(jsonl);
	remove(all);
}

/* ---- exception report -------------------------------------------------------- */

static void test_exception_report(void)
{
	char sql[8192];
	CU_ASSERT_EQUAL_FATAL(dbfix_sql("SELECT otp.audit_partition_ensure('2024-03-15')"), 0);
	snprintf(sql, sizeof sql,
		 "INSERT INTO otp.branch_closing_day (branch_code, day, reason, created_by)"
		 "  VALUES ('012', '2024-03-05', 'relocation', 'test');"
		 "INSERT INTO otp.contract (contract_id, name_kanji, name_kana, branch_code, opened)"
		 "  VALUES ('0349999999', '監査太郎', 'カンサタロウ', '034', '2020-01-01');"
		 "INSERT INTO otp.token (contract_id, credential_id, state, registered_at)"
		 "  VALUES ('0349999999', 'TSTA99999990', 'ACTIVE', '2020-01-01');"
		 "INSERT INTO otp.audit_event (actor, via_role, event, outcome, reason_code, branch_code, contract_id,"
		 "                             request_id, at) VALUES"
		 /* 1 self_approval, 1 privilege */
		 " ('%1$s', 'otp_supervisor', 'request.approve', 'refused', 'OD005', '012', '0120000001', 9001, '2024-03-04 10:00+09'),"
		 " ('%1$s', NULL, 'staff.create', 'refused', 'OD001', NULL, NULL, NULL, '2024-03-04 10:01+09'),"
		 /* 1 unapproved execute; 9003 approved first, then executed */
		 " ('batch', 'otp_batch', 'request.execute', 'success', NULL, '012', '0120000001', 9002, '2024-03-04 10:02+09'),"
		 " ('%1$s', 'otp_supervisor', 'request.approve', 'success', NULL, '012', '0120000001', 9003, '2024-03-04 10:03+09'),"
		 " ('batch', 'otp_batch', 'request.execute', 'success', NULL, '012', '0120000001', 9003, '2024-03-04 10:04+09'),"
		 /* 1 self-approved: submitted and approved by the same login */
		 " ('%1$s', 'otp_teller', 'request.submit', 'success', NULL, '012', '0120000001', 9004, '2024-03-04 10:05+09'),"
		 " ('%1$s', 'otp_supervisor', 'request.approve', 'success', NULL, '012', '0120000001', 9004, '2024-03-04 10:06+09'),"
		 /* off hours: Saturday, after hours, a branch closing day, 08:44 and 17:15; 08:45 and 17:14 are in */
		 " ('%1$s', 'otp_teller', 'contract.view', 'success', NULL, '012', NULL, NULL, '2024-03-02 10:00+09'),"
		 " ('%1$s', 'otp_teller', 'contract.view', 'success', NULL, '012', NULL, NULL, '2024-03-04 20:00+09'),"
		 " ('%1$s', 'otp_teller', 'contract.view', 'success', NULL, '012', NULL, NULL, '2024-03-05 10:00+09'),"
		 " ('%1$s', 'otp_teller', 'contract.view', 'success', NULL, '012', NULL, NULL, '2024-03-04 08:44+09'),"
		 " ('%1$s', 'otp_teller', 'contract.view', 'success', NULL, '012', NULL, NULL, '2024-03-04 17:15+09'),"
		 " ('%1$s', 'otp_teller', 'contract.view', 'success', NULL, '012', NULL, NULL, '2024-03-04 08:45+09'),"
		 " ('%1$s', 'otp_teller', 'contract.view', 'success', NULL, '012', NULL, NULL, '2024-03-04 17:14+09'),"
		 /* the batch at night is not branch work */
		 " ('batch', 'otp_batch', 'batch.run', 'success', NULL, '034', NULL, NULL, '2024-03-02 03:00+09'),"
		 /* on a contract the login holds as a customer */
		 " ('%1$s', 'otp_teller', 'request.submit', 'success', NULL, '012', '0120000002', 9005, '2024-03-07 10:00+09');"
		 /* a burst: 6 failures within 10 minutes (reported once); 4 more spread out */
		 "INSERT INTO otp.failure (token_id, contract_id, at, reason, failure_no)"
		 " SELECT t.token_id, t.contract_id, at, 'WRONG_CODE', 1 FROM otp.token t,"
		 "  unnest(ARRAY['2024-03-06 10:00+09', '2024-03-06 10:02+09', '2024-03-06 10:04+09', '2024-03-06 10:06+09',"
		 "               '2024-03-06 10:08+09', '2024-03-06 10:09+09', '2024-03-06 15:00+09', '2024-03-06 15:11+09',"
		 "               '2024-03-06 15:22+09', '2024-03-06 15:33+09']::timestamptz[]) at"
		 " WHERE t.contract_id = '0349999999';"
		 /* an open request long past its due date */
		 "INSERT INTO otp.request (receipt_no, branch_code, contract_id, token_id, kind, state, token_state, form_no,"
		 "  doc_type, name_matched, address_matched, id_checked_by, seal_result, seal_checked_by, received_at, day1,"
		 "  eligible, due, submitted_by)"
		 " SELECT '034-20240301-9001', '034', '0349999999', token_id, 'UNLOCK', 'SUBMITTED', 'ACTIVE', 'F-1',"
		 "  'drivers_licence', true, true, '%1$s', 'MATCH', '%1$s', '2024-03-01 10:00+09', '2024-03-01',"
		 "  '2024-03-04', '2024-03-05', '%1$s' FROM otp.token WHERE contract_id = '0349999999'",
		 tx);
	CU_ASSERT_EQUAL_FATAL(dbfix_sql(sql), 0);
	struct db *admin = dbfix_connect_as("tools_admin");
	struct db_outcome out;
	struct otp_err err;
	CU_ASSERT_EQUAL(db_audit_staff_contract_set(admin, tx, "0120000002", true, &out, &err), 0);
	db_close(admin);

	struct db_audit_exceptions x;
	CU_ASSERT_EQUAL_FATAL(db_audit_exceptions(auditor, "2024-03-01", "2024-04-01", 5, 10, &x, &err), 0);
	static const int want[DB_AUDIT_EXC_COUNT] = {
		[DB_AUDIT_EXC_SELF_APPROVAL] = 1, [DB_AUDIT_EXC_PRIVILEGE] = 1, [DB_AUDIT_EXC_OFF_HOURS] = 5,
		[DB_AUDIT_EXC_UNAPPROVED_EXECUTE] = 1, [DB_AUDIT_EXC_SELF_APPROVED] = 1, [DB_AUDIT_EXC_FAILURE_BURST] = 1,
		[DB_AUDIT_EXC_OWN_CONTRACT] = 1,
	};
	for (int k = 0; k < DB_AUDIT_EXC_COUNT; k++) {
		if (k == DB_AUDIT_EXC_OVERDUE)
			continue;
		if (x.count[k] != want[k])
			fprintf(stderr, "\n  %s: %d, expected %d", db_audit_exception_name((enum db_audit_exception_kind)k),
				x.count[k], want[k]);
		CU_ASSERT_EQUAL(x.count[k], want[k]);
	}
	bool overdue = false, closing = false;
	for (int i = 0; i < x.n; i++) {
		overdue |= x.rows[i].kind == DB_AUDIT_EXC_OVERDUE && strstr(x.rows[i].detail, "034-20240301-9001");
		closing |= x.rows[i].kind == DB_AUDIT_EXC_OFF_HOURS && strstr(x.rows[i].detail, "business day");
		if (x.rows[i].kind == DB_AUDIT_EXC_UNAPPROVED_EXECUTE)
			CU_ASSERT_EQUAL(x.rows[i].request_id, 9002);
		if (x.rows[i].kind == DB_AUDIT_EXC_FAILURE_BURST)
			CU_ASSERT_STRING_EQUAL(x.rows[i].at, "2024-03-06 10:08:00");
	}
	CU_ASSERT(overdue);
	CU_ASSERT(closing);
	db_audit_exceptions_free(&x);
	/* a larger burst threshold finds none */
	CU_ASSERT_EQUAL(db_audit_exceptions(auditor, "2024-03-01", "2024-04-01", 7, 10, &x, &err), 0);
	CU_ASSERT_EQUAL(x.count[DB_AUDIT_EXC_FAILURE_BURST], 0);
	db_audit_exceptions_free(&x);
	/* tellers do not read it */
	struct db *t = dbfix_connect_as("tools_teller");
	CU_ASSERT_EQUAL(db_audit_exceptions(t, "2024-03-01", "2024-04-01", 5, 10, &x, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD001");
	db_close(t);
	CU_ASSERT_EQUAL(dbfix_sql("DELETE FROM otp.request WHERE receipt_no = '034-20240301-9001'"), 0);
}

/* ---- archives and retention ---------------------------------------------------- */

static int archive(const char *month, const char *path, struct audit_archive_header *hdr, struct otp_err *err)
{
	FILE *f = fopen(path, "w");
	int rc = db_audit_archive_write(auditor, month, f, hdr, err);
	fclose(f);
	if (rc != 0)
		return rc;
	char sha[65];
	int done = 0;
	struct audit_verifier *v;
	struct audit_archive_header check;
	struct audit_report rep;
	audit_verifier_new(&v, AUDIT_VERIFY_CHAIN, err);
	int vrc = audit_verify_archive_file(v, path, &check, sha, &done, err);
	if (vrc != 0)
		fprintf(stderr, "\n  archive %s: %s", path, err->message);
	CU_ASSERT_EQUAL(vrc, 0);
	audit_verifier_finish(v, 0, NULL, &rep);
	audit_verifier_free(v);
	EXPECT(rep, AUDIT_DAMAGE_NONE, 0);
	struct db_outcome out;
	return db_audit_archive_record(auditor, hdr, path, sha, &out, err);
}

static void test_archive_drop_and_verify_across(void)
{
	CU_ASSERT_EQUAL_FATAL(dbfix_sql("SELECT otp.audit_partition_ensure('2024-01-15'), otp.audit_partition_ensure('2024-02-15')"), 0);
	CU_ASSERT_EQUAL_FATAL(dbfix_sql(
		"INSERT INTO otp.audit_event (actor, event, outcome, at, details)"
		" SELECT 'archiver', 'tools.old', 'success', timestamptz '2024-01-10 10:00+09' + g * interval '1 hour',"
		"        jsonb_build_object('g', g) FROM generate_series(1, 20) g"), 0);
	CU_ASSERT_EQUAL_FATAL(dbfix_sql(
		"INSERT INTO otp.audit_event (actor, event, outcome, at, details)"
		" SELECT 'archiver', 'tools.old', 'success', timestamptz '2024-02-10 10:00+09' + g * interval '1 hour',"
		"        jsonb_build_object('g', g) FROM generate_series(1, 10) g"), 0);
	char a1[128], a2[128], bad[128];
	tmpname(a1, sizeof a1, "2024-01.jsonl");
	tmpname(a2, sizeof a2, "2024-02.jsonl");
	tmpname(bad, sizeof bad, "bad.jsonl");
	struct audit_archive_header h1, h2;
	struct otp_err err;
	/* unsealed events before the month: refused */
	CU_ASSERT_EQUAL(archive("2024-02", a1, &h1, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_REFUSED);
	long long head = seal_all();
	long long jan_last = dbfix_count("SELECT max(seq) FROM otp.audit_event WHERE at < '2024-02-01 00:00+09'");
	CU_ASSERT_EQUAL_FATAL(archive("2024-02", a1, &h1, &err), 0);
	CU_ASSERT_EQUAL(h1.first_seq, 1);
	CU_ASSERT_EQUAL(h1.last_seq, jan_last);
	CU_ASSERT(head > jan_last);
	/* nothing new before the same month */
	CU_ASSERT_EQUAL(archive("2024-02", a2, &h2, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_NOTFOUND);
	/* February is not archived yet: its partition stays */
	PGresult *r = PQexec(dbfix_pg(), "SELECT otp.audit_partition_drop('2024-02-01')");
	CU_ASSERT_EQUAL(PQresultStatus(r), PGRES_FATAL_ERROR);
	CU_ASSERT_STRING_EQUAL(PQresultErrorField(r, PG_DIAG_SQLSTATE), "OD003");
	PQclear(r);
	CU_ASSERT_EQUAL_FATAL(dbfix_sql("SELECT otp.audit_partition_drop('2024-01-01')"), 0);
	CU_ASSERT_EQUAL(dbfix_count("SELECT count(*) FROM otp.audit_event WHERE at < '2024-02-01 00:00+09'"), 0);

	/* live alone: anchored on the archive record; with the file: from genesis */
	struct audit_report rep = verify_live(NULL, 0);
	EXPECT(rep, AUDIT_DAMAGE_NONE, 0);
	CU_ASSERT_EQUAL(rep.first_seq, jan_last + 1);
	const char *files1[] = { a1 };
	rep = verify_live(files1, 1);
	EXPECT(rep, AUDIT_DAMAGE_NONE, 0);
	CU_ASSERT_EQUAL(rep.first_seq, 1);

	/* a second segment; then both files and the live table, as one chain */
	seal_all();
	CU_ASSERT_EQUAL_FATAL(archive("2024-03", a2, &h2, &err), 0);
	CU_ASSERT_EQUAL(h2.first_seq, jan_last + 1);
	CU_ASSERT_EQUAL(memcmp(h2.prev_hash, h1.last_hash, AUDIT_HASH_LEN), 0);
	CU_ASSERT_EQUAL_FATAL(dbfix_sql("SELECT otp.audit_partition_drop('2024-02-01')"), 0);
	const char *files2[] = { a1, a2 };
	rep = verify_live(files2, 2);
	EXPECT(rep, AUDIT_DAMAGE_NONE, 0);
	CU_ASSERT_EQUAL(rep.first_seq, 1);
	CU_ASSERT_EQUAL(rep.last_seq, dbfix_count("SELECT seq FROM otp.audit_chain_head"));
	/* a segment missing between them is a deletion */
	const char *only2[] = { a2 };
	rep = verify_live(only2, 1);
	EXPECT(rep, AUDIT_DAMAGE_NONE, 0);	/* alone, a segment anchors itself on its header */
	const char *skipped[] = { a1, a1 };
	EXPECT(verify_live(skipped, 2), AUDIT_DAMAGE_INSERTED, 1);

	/* an edited archive is found */
	char cmd[512];
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", a1, bad);
	CU_ASSERT_EQUAL(system(cmd), 0);
	CU_ASSERT_FATAL(edit_file(bad, "\"tools.old\"", "\"tools.new\""));
	const char *edited[] = { bad, a2 };
	rep = verify_live(edited, 2);
	CU_ASSERT_EQUAL(rep.damage, AUDIT_DAMAGE_MODIFIED);
	CU_ASSERT(rep.seq >= 1 && rep.seq <= jan_last);
	/* the database holds each segment's SHA-256 */
	char sha[65], stored[80];
	CU_ASSERT_EQUAL(audit_file_sha256(a1, sha, &err), 0);
	dbfix_value("SELECT file_sha256 FROM otp.audit_archive ORDER BY first_seq LIMIT 1", stored, sizeof stored);
	CU_ASSERT_STRING_EQUAL(sha, stored);
	remove(a1);
	remove(a2);
	remove(bad);
}

TEST_SUITE(audit_tools, "db/audit_tools", init, cleanup,
	   TEST(test_search_pages_and_filters),
	   TEST(test_exports_verify_on_their_own),
	   TEST(test_exception_report),
	   TEST(test_archive_drop_and_verify_across))
