/* Contract lookups through db/ as real staff logins: scoping by branch,
 * syntax errors before any query, not-found, keyset paging, failures. */
#include <stdio.h>
#include <string.h>

#include "tests/lib/dbfix.h"
#include "tests/lib/testlib.h"

static struct db *teller012, *helpdesk, *teller_ho;

static int init(void)
{
	if (dbfix_suite_init() != 0)
		return -1;
	dbfix_staff("lk_teller", "012", "otp_teller");
	dbfix_staff("lk_helpdesk", "000", "otp_helpdesk");
	dbfix_staff("lk_ho_teller", "000", "otp_teller");
	/* 30 more contracts in 012 named ヤマ… for paging */
	if (dbfix_sql("INSERT INTO otp.contract (contract_id, name_kanji, name_kana, branch_code, opened)"
		      " SELECT '01299' || lpad(g::text, 5, '0'), '山本' || g, 'ヤマモト' || lpad(g::text, 3, '0'), '012', '2020-01-01'"
		      " FROM generate_series(1, 30) g") != 0)
		return -1;
	teller012 = dbfix_connect_as("lk_teller");
	helpdesk = dbfix_connect_as("lk_helpdesk");
	teller_ho = dbfix_connect_as("lk_ho_teller");
	return teller012 && helpdesk && teller_ho ? 0 : -1;
}

static int cleanup(void)
{
	db_close(teller012);
	db_close(helpdesk);
	db_close(teller_ho);
	return 0;
}

static void test_whoami(void)
{
	struct db_whoami me;
	struct otp_err err;
	CU_ASSERT_EQUAL_FATAL(db_whoami(teller012, &me, &err), 0);
	CU_ASSERT_STRING_EQUAL(me.branch_code, "012");
	CU_ASSERT_STRING_EQUAL(me.branch_name, "中央支店");
	CU_ASSERT_EQUAL(me.roles, DB_ROLE(TELLER));
	CU_ASSERT_STRING_EQUAL(me.scope, "012");
	CU_ASSERT_EQUAL_FATAL(db_whoami(helpdesk, &me, &err), 0);
	CU_ASSERT_EQUAL(me.roles, DB_ROLE(HELPDESK));
	CU_ASSERT_STRING_EQUAL(me.scope, "*");
}

static void test_get_by_id(void)
{
	struct db_contract c;
	struct otp_err err;
	CU_ASSERT_EQUAL_FATAL(db_contract_get(teller012, "0120000002", &c, &err), 0);
	CU_ASSERT_STRING_EQUAL(c.name_kanji, "山田花子");
	CU_ASSERT_STRING_EQUAL(c.token_state, "LOCKED");
	CU_ASSERT_EQUAL(c.failure_count, 5);
	CU_ASSERT_EQUAL(c.lock_threshold, 5);
	CU_ASSERT(c.locked_at[0] != '\0');
	CU_ASSERT_STRING_EQUAL(c.credential_id, "TSTA00000026");
}

static void test_scoped_to_branch(void)
{
	struct db_contract c;
	struct otp_err err;
	/* a branch teller does not see another branch's customer */
	CU_ASSERT_EQUAL(db_contract_get(teller012, "0340000001", &c, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_NOTFOUND);
	/* head office and helpdesk see everyone */
	CU_ASSERT_EQUAL(db_contract_get(teller_ho, "0340000001", &c, &err), 0);
	CU_ASSERT_EQUAL(db_contract_get(helpdesk, "0340000001", &c, &err), 0);
	CU_ASSERT_STRING_EQUAL(c.branch_name, "港支店");
}

static void test_bad_input(void)
{
	struct db_contract c;
	struct otp_err err;
	CU_ASSERT_EQUAL(db_contract_get(teller012, "12345", &c, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "10 digits"));
	CU_ASSERT_EQUAL(db_contract_get(teller012, "0129999999", &c, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(db_contract_by_credential(teller012, "tsta0000002", &c, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	CU_ASSERT_EQUAL(db_contract_by_credential(teller012, "TSTA00000026", &c, &err), 0);
	CU_ASSERT_STRING_EQUAL(c.contract_id, "0120000002");
	/* SQL metacharacters are data, nothing else */
	struct db_contract_page page;
	CU_ASSERT_EQUAL(db_contract_search_kana(helpdesk, "ヤ'; DROP TABLE otp.contract; --", NULL, 10, &page, &err), 0);
	CU_ASSERT_EQUAL(page.n, 0);
	db_contract_page_free(&page);
	CU_ASSERT_EQUAL(dbfix_count("SELECT count(*) FROM otp.contract") >= 34, 1);
	CU_ASSERT_EQUAL(db_contract_search_kana(helpdesk, "  ", NULL, 10, &page, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
}

static void test_kana_paging(void)
{
	struct db_contract_page page;
	struct otp_err err;
	struct db_contract last;
	int seen = 0, pages = 0;
	CU_ASSERT_EQUAL_FATAL(db_contract_search_kana(teller012, "やまもと", NULL, 7, &page, &err), 0);
	for (;;) {
		pages++;
		for (int i = 0; i < page.n; i++) {
			if (seen > 0)
				CU_ASSERT(strcmp(page.rows[i].name_kana, last.name_kana) > 0);
			last = page.rows[i];
			seen++;
		}
		int more = page.more;
		db_contract_page_free(&page);
		if (!more)
			break;
		CU_ASSERT_EQUAL_FATAL(db_contract_search_kana(teller012, "ヤマモト", &last, 7, &page, &err), 0);
	}
	CU_ASSERT_EQUAL(seen, 30);
	CU_ASSERT_EQUAL(pages, 5);
	/* prefix ヤマダ finds exactly the two Yamadas */
	CU_ASSERT_EQUAL_FATAL(db_contract_search_kana(teller012, "ヤマダ", NULL, 50, &page, &err), 0);
	CU_ASSERT_EQUAL(page.n, 2);
	CU_ASSERT_FALSE(page.more);
	db_contract_page_free(&page);
}

static void test_failures(void)
{
	struct db_failure f[10];
	int n = 0;
	struct otp_err err;
	CU_ASSERT_EQUAL_FATAL(db_failures_recent(teller012, "0120000002", f, 10, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 5);
	CU_ASSERT_EQUAL(f[0].failure_no, 5);	/* newest first */
	CU_ASSERT_STRING_EQUAL(f[0].reason, "WRONG_CODE");
	CU_ASSERT_EQUAL(db_failures_recent(teller012, "0120000002", f, 2, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 2);
	/* not visible from another branch */
	CU_ASSERT_EQUAL(db_failures_recent(teller012, "0340000001", f, 10, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 0);
}

static void test_wrong_password(void)
{
	char login[64];
	snprintf(login, sizeof login, "%s", dbfix_staff("lk_teller", "012", "otp_teller"));
	struct db_conn_params p = { .conninfo = dbfix_conninfo(), .user = login, .password = "wrong-password" };
	struct db *db = NULL;
	struct otp_err err;
	CU_ASSERT_EQUAL(db_connect(&db, &p, &err), -1);
	CU_ASSERT_PTR_NULL(db);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_CONNECT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "password authentication failed"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.hint, "password"));
}

static void test_server_gone(void)
{
	struct db_conn_params p = { .conninfo = "host=/nonexistent-otpdesk dbname=x" };
	struct db *db = NULL;
	struct otp_err err;
	CU_ASSERT_EQUAL(db_connect(&db, &p, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_CONNECT);
	CU_ASSERT(err.hint[0] != '\0');
}

static void test_connection_lost_and_reconnect(void)
{
	struct db *db = dbfix_connect_as("lk_teller");
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	struct db_whoami me;
	struct otp_err err;
	CU_ASSERT_EQUAL(db_whoami(db, &me, &err), 0);
	char login[64];
	snprintf(login, sizeof login, "%s", me.login);
	const char *p[1] = { login };
	char v[16];
	dbfix_valuep("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = $1"
		     " AND application_name = 'otpdesk-tests'", 1, p, v, sizeof v);
	CU_ASSERT(strcmp(v, "0") != 0);
	struct db_contract c;
	CU_ASSERT_EQUAL(db_contract_get(db, "0120000001", &c, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_CONNLOST);
	CU_ASSERT_EQUAL(db_reconnect(db, &err), 0);
	CU_ASSERT_EQUAL(db_contract_get(db, "0120000001", &c, &err), 0);
	db_close(db);
}

TEST_SUITE(lookup, "db/lookup", init, cleanup,
	   TEST(test_whoami), TEST(test_get_by_id), TEST(test_scoped_to_branch), TEST(test_bad_input),
	   TEST(test_kana_paging), TEST(test_failures), TEST(test_wrong_password), TEST(test_server_gone),
	   TEST(test_connection_lost_and_reconnect))
