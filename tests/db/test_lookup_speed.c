/* What 046_lookup_speed (and _2) must keep while making contract lookups cheap: the
 * plans the lookup functions run inside the server (read back through
 * auto_explain, custom and generic plans alike) are index scans, the kana page
 * an index range in keyset order with no sort and no row filter; and the
 * functions show each role exactly what otp_api.contracts shows it (a branch
 * teller never another branch's customer), refusing the groups the view is
 * not granted to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/dbfix.h"
#include "tests/lib/testlib.h"

static struct db *teller012, *teller034, *helpdesk;

/* 4,000 contracts in 012 and 034 (even g: 012), each name ワタナベ/ワダ/ノグチ/
 * ノムラ + one kana in both branches, several contracts a name (ties broken
 * by contract_id). */
static int init(void)
{
	if (dbfix_suite_init() != 0)
		return -1;
	dbfix_staff("ls_teller12", "012", "otp_teller");
	dbfix_staff("ls_teller34", "034", "otp_teller");
	dbfix_staff("ls_helpdesk", "000", "otp_helpdesk");
	dbfix_staff("ls_verifier", "000", "otp_verifier");
	dbfix_staff("ls_batch", "000", "otp_batch");
	dbfix_staff("ls_gone", "012", "otp_teller");
	if (dbfix_sql("INSERT INTO otp.contract (contract_id, name_kanji, name_kana, branch_code, opened)"
		      " SELECT CASE WHEN g % 2 = 0 THEN '0128' ELSE '0348' END || lpad(g::text, 6, '0'),"
		      "        '試験' || g,"
		      "        (ARRAY['ワタナベ', 'ワダ', 'ノグチ', 'ノムラ'])[(g / 2) % 4 + 1] || chr(12449 + (g / 7) % 80),"
		      "        CASE WHEN g % 2 = 0 THEN '012' ELSE '034' END, '2021-04-01'"
		      " FROM generate_series(1, 4000) g;"
		      "INSERT INTO otp.token (contract_id, credential_id, state, registered_at)"
		      " SELECT contract_id, 'LKSP' || right(contract_id, 8), 'ACTIVE', now()"
		      " FROM otp.contract WHERE contract_id ~ '^(0128|0348)';"
		      "ANALYZE otp.contract; ANALYZE otp.token") != 0)
		return -1;
	teller012 = dbfix_connect_as("ls_teller12");
	teller034 = dbfix_connect_as("ls_teller34");
	helpdesk = dbfix_connect_as("ls_helpdesk");
	return teller012 && teller034 && helpdesk ? 0 : -1;
}

static int cleanup(void)
{
	db_close(teller012);
	db_close(teller034);
	db_close(helpdesk);
	return 0;
}

/* ---- plans, as the functions run them --------------------------------- */

struct plans {
	char text[65536];
};

static void collect(void *arg, const PGresult *res)
{
	struct plans *p = arg;
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	size_t used = strlen(p->text);
	if (msg && used + strlen(msg) + 8 < sizeof p->text)
		snprintf(p->text + used, sizeof p->text - used, "%s\n@@\n", msg);
}

/* Run sql `times` times as staff login `name` (a superuser session with
 * SET SESSION AUTHORIZATION, so session_user is that login) under
 * auto_explain (analyze, buffers) with nested statements and plan_cache_mode `mode`; every
 * executed plan, the functions' own queries included, lands in out->text,
 * separated by "@@" lines. Returns 0, or -1 when a statement failed. */
static int plans_of(const char *name, const char *mode, const char *sql, int times, struct plans *out)
{
	char login[64], set[256];
	out->text[0] = '\0';
	snprintf(login, sizeof login, "t%ld_%s", (long)getpid(), name);	/* as dbfix_staff names it */
	PGconn *c = PQconnectdb(dbfix_conninfo());
	if (PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		return -1;
	}
	snprintf(set, sizeof set, "SET plan_cache_mode = %s; SET SESSION AUTHORIZATION %s", mode, login);
	const char *setup[] = {
		"LOAD 'auto_explain'",
		"SET auto_explain.log_min_duration = 0",
		"SET auto_explain.log_nested_statements = on",
		"SET auto_explain.log_analyze = on",
		"SET auto_explain.log_timing = off",
		"SET auto_explain.log_buffers = on",
		"SET client_min_messages = log",
		set,
	};
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof setup / sizeof setup[0]; i++) {
		PGresult *r = PQexec(c, setup[i]);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			fprintf(stderr, "\n  %s: %s", setup[i], PQerrorMessage(c));
			rc = -1;
		}
		PQclear(r);
	}
	PQsetNoticeReceiver(c, collect, out);
	for (int i = 0; rc == 0 && i < times; i++) {
		PGresult *r = PQexec(c, sql);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			fprintf(stderr, "\n  %s: %s", sql, PQerrorMessage(c));
			rc = -1;
		}
		PQclear(r);
	}
	PQfinish(c);
	return rc;
}

/* Whether a plan has a row filter on a scan (a line "Filter: ..."; a join's
 * "Join Filter" on the one-row fraud-hold lookup is not one). */
static int has_row_filter(const char *plan)
{
	for (const char *line = plan; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		while (*line == ' ')
			line++;
		if (strncmp(line, "Filter:", 7) == 0)
			return 1;
	}
	return 0;
}

/* Every logged plan of a statement on otp.contract_detail (the functions'
 * query) uses `index`, and has no Sort, no Seq Scan on a contract or token
 * table and, when no_filter, no Filter. Returns how many such plans there were,
 * or -1 when one broke a rule (printed). */
static int check_plans(const char *what, const struct plans *p, const char *index, int no_filter)
{
	int n = 0, bad = 0;
	const char *s = p->text;
	while (*s) {
		const char *end = strstr(s, "\n@@\n");
		size_t len = end ? (size_t)(end - s) : strlen(s);
		char *plan = strndup(s, len);
		if (plan && strstr(plan, "otp.contract_detail")) {
			n++;
			if (!strstr(plan, index) || strstr(plan, "Sort") || strstr(plan, "Seq Scan on contract") ||
			    strstr(plan, "Seq Scan on token") || (no_filter && has_row_filter(plan))) {
				fprintf(stderr, "\n  %s: not an index scan on %s without sort%s:\n%s", what, index,
					no_filter ? " or filter" : "", plan);
				bad++;
			}
		}
		free(plan);
		s = end ? end + 4 : s + len;
	}
	return bad ? -1 : n;
}

/* The most index and heap pages (shared hit + read) the scan on `index` took
 * in any logged plan of the functions' query, or -1 when there was none. */
static int max_scan_pages(const struct plans *p, const char *index)
{
	int most = -1;
	for (const char *s = strstr(p->text, index); s; s = strstr(s + 1, index)) {
		const char *b = strstr(s, "Buffers:"), *next = strstr(s, "\n@@\n");
		if (!b || (next && b > next))
			continue;
		const char *hit = strstr(b, "hit="), *read = strstr(b, "read="), *eol = strchr(b, '\n');
		int pages = (hit && (!eol || hit < eol) ? atoi(hit + 4) : 0) +
			    (read && (!eol || read < eol) ? atoi(read + 5) : 0);
		if (pages > most)
			most = pages;
	}
	return most;
}

static const char *const modes[] = { "force_custom_plan", "force_generic_plan", "auto" };

static void test_kana_page_is_an_index_range(void)
{
	static struct plans p;
	for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
		/* all branches: the kana index; first page and a later one */
		CU_ASSERT_EQUAL_FATAL(plans_of("ls_helpdesk", modes[m],
					       "SELECT * FROM otp_api.contract_search_kana('ワタ', NULL, NULL, 21);"
					       "SELECT * FROM otp_api.contract_search_kana('ワ', 'ワダカ', '0128000100', 21)",
					       4, &p), 0);
		CU_ASSERT_EQUAL(check_plans("kana, scope *", &p, "using contract_kana_c_idx", 1), 8);
		/* one branch: the branch's range of the (branch, kana) index */
		CU_ASSERT_EQUAL_FATAL(plans_of("ls_teller12", modes[m],
					       "SELECT * FROM otp_api.contract_search_kana('ノ', '', '', 51)", 8, &p), 0);
		CU_ASSERT_EQUAL(check_plans("kana, scope 012", &p, "using contract_branch_kana_idx", 1), 8);
	}
}

/* A first page, asked for as db_contract_search_kana does (after = (prefix,
 * '')) or with no keyset (''), starts at the prefix: a few index pages, not
 * every entry before the prefix (about 2,000 ノ… names sort before ワタ). */
static void test_first_page_starts_at_the_prefix(void)
{
	static struct plans p;
	for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
		CU_ASSERT_EQUAL_FATAL(plans_of("ls_helpdesk", modes[m],
					       "SELECT * FROM otp_api.contract_search_kana('ワタ', 'ワタ', '', 6);"
					       "SELECT * FROM otp_api.contract_search_kana('ワタ', '', '', 6)", 4, &p), 0);
		CU_ASSERT_EQUAL(check_plans("first page, scope *", &p, "using contract_kana_c_idx", 1), 8);
		int pages = max_scan_pages(&p, "using contract_kana_c_idx");
		CU_ASSERT(pages >= 2 && pages <= 12);
		CU_ASSERT_EQUAL_FATAL(plans_of("ls_teller12", modes[m],
					       "SELECT * FROM otp_api.contract_search_kana('ワタ', 'ワタ', '', 6);"
					       "SELECT * FROM otp_api.contract_search_kana('ワタ', NULL, NULL, 6)", 4, &p), 0);
		CU_ASSERT_EQUAL(check_plans("first page, scope 012", &p, "using contract_branch_kana_idx", 1), 8);
		int branch_pages = max_scan_pages(&p, "using contract_branch_kana_idx");
		CU_ASSERT(branch_pages >= 2 && branch_pages <= 12);
		if (pages > 12 || branch_pages > 12)
			fprintf(stderr, "\n  first page of ワタ (%s) read %d / %d pages", modes[m], pages, branch_pages);
	}
}

static void test_id_and_credential_are_index_scans(void)
{
	static struct plans p;
	for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
		CU_ASSERT_EQUAL_FATAL(plans_of("ls_teller12", modes[m],
					       "SELECT * FROM otp_api.contract_get('0128000002')", 7, &p), 0);
		CU_ASSERT_EQUAL(check_plans("contract ID", &p, "Index Scan using contract_pkey", 0), 7);
		CU_ASSERT_EQUAL_FATAL(plans_of("ls_helpdesk", modes[m],
					       "SELECT * FROM otp_api.contract_by_credential('LKSP28000002')", 7, &p), 0);
		CU_ASSERT_EQUAL(check_plans("credential", &p, "Index Scan using token_credential_id_key", 0), 7);
	}
}

/* ---- what each role sees ---------------------------------------------- */

/* All pages of prefix through db_contract_search_kana, page size `size`:
 * returns the number of rows, each strictly after the previous one in
 * (name_kana, contract_id) byte order and in branch `branch` (NULL: any). */
static int walk(struct db *db, const char *prefix, int size, const char *branch)
{
	struct db_contract_page page;
	struct db_contract last;
	struct otp_err err;
	int seen = 0;
	if (db_contract_search_kana(db, prefix, NULL, size, &page, &err) != 0)
		return -1;
	for (;;) {
		for (int i = 0; i < page.n; i++) {
			const struct db_contract *c = &page.rows[i];
			int cmp = seen ? strcmp(c->name_kana, last.name_kana) : 1;
			if (cmp < 0 || (cmp == 0 && strcmp(c->contract_id, last.contract_id) <= 0) ||
			    strncmp(c->name_kana, prefix, strlen(prefix)) != 0 ||
			    (branch && strcmp(c->branch_code, branch) != 0)) {
				fprintf(stderr, "\n  row %s %s out of order, prefix or scope", c->contract_id, c->name_kana);
				db_contract_page_free(&page);
				return -1;
			}
			last = *c;
			seen++;
		}
		int more = page.more;
		db_contract_page_free(&page);
		if (!more)
			return seen;
		if (db_contract_search_kana(db, prefix, &last, size, &page, &err) != 0)
			return -1;
	}
}

static void test_kana_scoped_to_branch(void)
{
	long long all = dbfix_count("SELECT count(*) FROM otp.contract WHERE name_kana LIKE 'ワ%'");
	long long in012 = dbfix_count("SELECT count(*) FROM otp.contract WHERE name_kana LIKE 'ワ%' AND branch_code = '012'");
	CU_ASSERT(in012 >= 1000 && all > in012);
	CU_ASSERT_EQUAL(walk(teller012, "ワ", 50, "012"), in012);
	CU_ASSERT_EQUAL(walk(teller034, "ワ", 37, "034"), all - in012);
	CU_ASSERT_EQUAL(walk(helpdesk, "ワ", 50, NULL), all);
	/* a page that ends inside a run of equal names resumes after it exactly */
	CU_ASSERT_EQUAL(walk(helpdesk, "ノグチ", 3, NULL),
			dbfix_count("SELECT count(*) FROM otp.contract WHERE name_kana LIKE 'ノグチ%'"));
}

static void test_exact_lookups_scoped(void)
{
	struct db_contract c;
	struct otp_err err;
	/* 0128000002 is 012's, 0348000001 is 034's */
	CU_ASSERT_EQUAL(db_contract_get(teller012, "0128000002", &c, &err), 0);
	CU_ASSERT_STRING_EQUAL(c.credential_id, "LKSP28000002");
	CU_ASSERT_STRING_EQUAL(c.branch_name, "中央支店");
	CU_ASSERT_EQUAL(db_contract_get(teller012, "0348000001", &c, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(db_contract_by_credential(teller012, "LKSP48000001", &c, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(db_contract_by_credential(teller034, "LKSP48000001", &c, &err), 0);
	CU_ASSERT_STRING_EQUAL(c.contract_id, "0348000001");
	CU_ASSERT_EQUAL(db_contract_get(helpdesk, "0348000001", &c, &err), 0);
	CU_ASSERT_EQUAL(db_contract_by_credential(helpdesk, "LKSP28000002", &c, &err), 0);
	CU_ASSERT_STRING_EQUAL(c.contract_id, "0128000002");
}

/* The functions' rows equal the view's, row for row and column for column,
 * for each role, for a kana prefix and for exact keys. */
static void test_same_rows_as_the_view(void)
{
	static const char *const who[] = { "ls_teller12", "ls_teller34", "ls_helpdesk" };
	static const char *const pairs[][2] = {
		{ "SELECT string_agg(f::text, '|') FROM otp_api.contract_search_kana('ノム', '', '', 1000) f",
		  "SELECT string_agg(v::text, '|' ORDER BY name_kana, contract_id) FROM otp_api.contracts v"
		  " WHERE name_kana LIKE 'ノム%'" },
		{ "SELECT string_agg(f::text, '|') FROM (SELECT * FROM otp_api.contract_get('0128000004')"
		  " UNION ALL SELECT * FROM otp_api.contract_get('0348000003')"
		  " UNION ALL SELECT * FROM otp_api.contract_by_credential('LKSP48000005')"
		  " UNION ALL SELECT * FROM otp_api.contract_by_credential('TSTA00000026')) f",
		  "SELECT string_agg(v::text, '|' ORDER BY k) FROM (VALUES ('0128000004', 1), ('0348000003', 2),"
		  " ('0348000005', 3), ('0120000002', 4)) w(id, k) JOIN otp_api.contracts v ON v.contract_id = w.id" },
	};
	for (size_t w = 0; w < sizeof who / sizeof who[0]; w++) {
		PGconn *c = dbfix_pg_as(who[w]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
			PGresult *a = PQexec(c, pairs[k][0]), *b = PQexec(c, pairs[k][1]);
			CU_ASSERT_EQUAL_FATAL(PQresultStatus(a), PGRES_TUPLES_OK);
			CU_ASSERT_EQUAL_FATAL(PQresultStatus(b), PGRES_TUPLES_OK);
			CU_ASSERT(strlen(PQgetvalue(b, 0, 0)) > 0 || k == 1);
			CU_ASSERT_STRING_EQUAL(PQgetvalue(a, 0, 0), PQgetvalue(b, 0, 0));
			PQclear(a);
			PQclear(b);
		}
		PQfinish(c);
	}
}

/* Groups without SELECT on otp_api.contracts are refused (OD001), an
 * inactive staff member sees nothing, bad input raises OD004. */
static void test_refusals(void)
{
	static const char *const calls[] = {
		"SELECT * FROM otp_api.contract_get('0128000002')",
		"SELECT * FROM otp_api.contract_by_credential('LKSP28000002')",
		"SELECT * FROM otp_api.contract_search_kana('ワ', '', '', 10)",
	};
	static const char *const refused[] = { "ls_verifier", "ls_batch" };
	for (size_t w = 0; w < 2; w++) {
		PGconn *c = dbfix_pg_as(refused[w]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		for (size_t k = 0; k < sizeof calls / sizeof calls[0]; k++) {
			PGresult *r = PQexec(c, calls[k]);
			const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
			CU_ASSERT(state && strcmp(state, "OD001") == 0);
			PQclear(r);
		}
		PQfinish(c);
	}
	PGconn *gone = dbfix_pg_as("ls_gone");
	CU_ASSERT_PTR_NOT_NULL_FATAL(gone);
	const char *p[1] = { PQuser(gone) };
	CU_ASSERT_EQUAL(dbfix_sqlp("UPDATE otp.staff SET active = false WHERE login = $1", 1, p), 0);
	for (size_t k = 0; k < sizeof calls / sizeof calls[0]; k++) {
		PGresult *r = PQexec(gone, calls[k]);
		CU_ASSERT_EQUAL(PQresultStatus(r), PGRES_TUPLES_OK);
		CU_ASSERT_EQUAL(PQntuples(r), 0);
		PQclear(r);
	}
	PQfinish(gone);
	static const char *const bad[] = {
		"SELECT * FROM otp_api.contract_search_kana('', '', '', 10)",
		"SELECT * FROM otp_api.contract_search_kana(NULL, '', '', 10)",
		"SELECT * FROM otp_api.contract_search_kana('ワ', '', '', 0)",
		"SELECT * FROM otp_api.contract_search_kana('ワ', '', '', 1001)",
	};
	PGconn *c = dbfix_pg_as("ls_helpdesk");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		PGresult *r = PQexec(c, bad[k]);
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		CU_ASSERT(state && strcmp(state, "OD004") == 0);
		PQclear(r);
	}
	PQfinish(c);
}

TEST_SUITE(lookup_speed, "db/lookup_speed", init, cleanup,
	   TEST(test_kana_page_is_an_index_range), TEST(test_first_page_starts_at_the_prefix),
	   TEST(test_id_and_credential_are_index_scans),
	   TEST(test_kana_scoped_to_branch), TEST(test_exact_lookups_scoped), TEST(test_same_rows_as_the_view),
	   TEST(test_refusals))
