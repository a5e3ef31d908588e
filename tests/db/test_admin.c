/* Administration through the SQL API: staff logins, groups, passwords,
 * branches, closing days, policy — happy paths, refusals, bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/dbfix.h"
#include "tests/lib/testlib.h"

static struct db *admin;
static char new_login[64];

static int init(void)
{
	if (dbfix_suite_init() != 0)
		return -1;
	dbfix_staff("ad_admin", "000", "otp_admin");
	admin = dbfix_connect_as("ad_admin");
	snprintf(new_login, sizeof new_login, "t%ld_ad_new", (long)getpid());
	return admin ? 0 : -1;
}

static int cleanup(void)
{
	db_close(admin);
	/* the login created through the API is not one of dbfix's: drop it here */
	char sql[160];
	snprintf(sql, sizeof sql, "DROP OWNED BY %s; DROP ROLE IF EXISTS %s", new_login, new_login);
	PGconn *c = dbfix_pg();
	PQclear(PQexec(c, sql));
	return 0;
}

static long long audit_count(const char *event, const char *outcome)
{
	char n[32];
	const char *p[2] = { event, outcome };
	dbfix_valuep("SELECT count(*) FROM otp.audit_event WHERE event = $1 AND outcome = $2", 2, p, n, sizeof n);
	return atoll(n);
}

static void test_staff_create_and_login(void)
{
	struct db_outcome out;
	struct otp_err err;
	long long before = audit_count("staff.create", "success");
	CU_ASSERT_EQUAL_FATAL(db_staff_create(admin, new_login, "新人 窓口", "012", "otp_teller", "correct horse 1",
					      &out, &err), 0);
	CU_ASSERT_STRING_EQUAL(out.ref, new_login);
	CU_ASSERT_EQUAL(audit_count("staff.create", "success"), before + 1);
	/* the clear password never reached the server: the role holds a SCRAM verifier */
	char v[256];
	const char *p[1] = { new_login };
	dbfix_valuep("SELECT rolpassword FROM pg_authid WHERE rolname = $1", 1, p, v, sizeof v);
	CU_ASSERT_EQUAL(strncmp(v, "SCRAM-SHA-256$", 14), 0);
	dbfix_valuep("SELECT count(*) FROM otp.audit_event WHERE details::text LIKE '%correct horse%'", 0, NULL, v,
		     sizeof v);
	CU_ASSERT_STRING_EQUAL(v, "0");

	struct db_conn_params cp = { .conninfo = dbfix_conninfo(), .user = new_login, .password = "correct horse 1" };
	struct db *db = NULL;
	CU_ASSERT_EQUAL_FATAL(db_connect(&db, &cp, &err), 0);
	struct db_whoami me;
	CU_ASSERT_EQUAL(db_whoami(db, &me, &err), 0);
	CU_ASSERT_STRING_EQUAL(me.display_name, "新人 窓口");
	CU_ASSERT_EQUAL(me.roles, DB_ROLE(TELLER));
	/* staff change their own password */
	CU_ASSERT_EQUAL(db_staff_set_password(db, new_login, "another horse 2", &out, &err), 0);
	/* but not someone else's */
	CU_ASSERT_EQUAL(db_staff_set_password(db, "postgres", "another horse 2", &out, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_REFUSED);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD001");
	db_close(db);
	cp.password = "another horse 2";
	CU_ASSERT_EQUAL(db_connect(&db, &cp, &err), 0);
	db_close(db);
}

static void test_staff_create_bad_input(void)
{
	struct db_outcome out;
	struct otp_err err;
	long long staff = dbfix_count("SELECT count(*) FROM otp.staff");
	CU_ASSERT_EQUAL(db_staff_create(admin, "Bad Login", "x", "012", "otp_teller", "password-123", &out, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD004");
	CU_ASSERT_EQUAL(db_staff_create(admin, "okname1", "x", "999", "otp_teller", "password-123", &out, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "unknown branch"));
	CU_ASSERT_EQUAL(db_staff_create(admin, "okname1", "x", "012", "otp_owner", "password-123", &out, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD004");
	CU_ASSERT_EQUAL(db_staff_create(admin, "okname1", "x", "012", "otp_teller", "short", &out, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	CU_ASSERT_EQUAL(db_staff_create(admin, new_login, "x", "012", "otp_teller", "password-123", &out, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "already exists"));
	CU_ASSERT_EQUAL(dbfix_count("SELECT count(*) FROM otp.staff"), staff);
	CU_ASSERT_EQUAL(dbfix_count("SELECT count(*) FROM pg_roles WHERE rolname = 'okname1'"), 0);
}

static void test_groups_and_deactivation(void)
{
	struct db_outcome out;
	struct otp_err err;
	struct db_whoami me;
	CU_ASSERT_EQUAL(db_whoami(admin, &me, &err), 0);
	/* nobody changes their own groups or deactivates themselves; both audited */
	long long refused = audit_count("staff.set_groups", "refused");
	CU_ASSERT_EQUAL(db_staff_set_groups(admin, me.login, "otp_admin,otp_auditor", &out, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD005");
	CU_ASSERT_EQUAL(audit_count("staff.set_groups", "refused"), refused + 1);
	CU_ASSERT_EQUAL(db_staff_set_active(admin, me.login, false, &out, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD005");

	CU_ASSERT_EQUAL(db_staff_set_groups(admin, new_login, "otp_teller,otp_supervisor", &out, &err), 0);
	struct db_staff rows[64];
	int n = 0;
	CU_ASSERT_EQUAL(db_staff_list(admin, rows, 64, &n, &err), 0);
	int found = 0;
	for (int i = 0; i < n; i++)
		if (!strcmp(rows[i].login, new_login)) {
			found = 1;
			CU_ASSERT_STRING_EQUAL(rows[i].roles, "otp_supervisor,otp_teller");
		}
	CU_ASSERT(found);

	CU_ASSERT_EQUAL(db_staff_set_active(admin, new_login, false, &out, &err), 0);
	struct db_conn_params cp = { .conninfo = dbfix_conninfo(), .user = new_login, .password = "another horse 2" };
	struct db *db = NULL;
	CU_ASSERT_EQUAL(db_connect(&db, &cp, &err), -1);	/* NOLOGIN now */
	CU_ASSERT_EQUAL(db_staff_set_active(admin, new_login, true, &out, &err), 0);
	CU_ASSERT_EQUAL(db_connect(&db, &cp, &err), 0);
	db_close(db);
	CU_ASSERT_EQUAL(db_staff_set_active(admin, "nosuchlogin", false, &out, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_NOTFOUND);
}

static void test_branch_and_closing_days(void)
{
	struct db_outcome out;
	struct otp_err err;
	CU_ASSERT_EQUAL(db_branch_upsert(admin, "056", "駅前支店", "Ekimae Branch", false, "14:30", &out, &err), 0);
	struct db_branch b[16];
	int n = 0;
	CU_ASSERT_EQUAL(db_branch_list(admin, b, 16, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_STRING_EQUAL(b[3].code, "056");
	CU_ASSERT_STRING_EQUAL(b[3].cutoff, "14:30");
	CU_ASSERT_EQUAL(db_branch_upsert(admin, "56", "x", "x", false, NULL, &out, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD004");
	CU_ASSERT_EQUAL(db_branch_upsert(admin, "057", "x", "x", false, "25:00", &out, &err), -1);
	CU_ASSERT_EQUAL(dbfix_count("SELECT count(*) FROM otp.branch WHERE code = '057'"), 0);

	CU_ASSERT_EQUAL(db_branch_closing_day(admin, "056", "2026-12-07", true, "移転作業", &out, &err), 0);
	CU_ASSERT_EQUAL(dbfix_count("SELECT count(*) FROM otp.branch_closing_day WHERE branch_code = '056'"), 1);
	CU_ASSERT_EQUAL(db_branch_closing_day(admin, "056", "2026-12-07", true, "", &out, &err), -1);
	CU_ASSERT_EQUAL(db_branch_closing_day(admin, "056", "2026-12-07", false, NULL, &out, &err), 0);
	CU_ASSERT_EQUAL(db_branch_closing_day(admin, "056", "2026-12-07", false, NULL, &out, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(db_branch_closing_day(admin, "999", "2026-12-07", true, "x", &out, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(db_branch_closing_day(admin, "056", "2026-02-30", true, "x", &out, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
}

static void test_policy(void)
{
	struct db_outcome out;
	struct otp_err err;
	struct db_policy p;
	CU_ASSERT_EQUAL_FATAL(db_policy_get(admin, &p, &err), 0);
	CU_ASSERT_EQUAL(p.lock_threshold, 5);
	CU_ASSERT_EQUAL(p.window_steps, 1);
	CU_ASSERT_STRING_EQUAL(p.cutoff, "15:00");
	CU_ASSERT_EQUAL(p.auto_unlock_minutes, 0);
	CU_ASSERT_EQUAL(db_policy_set(admin, 11, -1, NULL, -1, -1, &out, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD004");
	CU_ASSERT_EQUAL(db_policy_set(admin, 0, -1, NULL, -1, -1, &out, &err), -1);
	CU_ASSERT_EQUAL(db_policy_set(admin, 3, 2, "14:00", 30, -1, &out, &err), 0);
	CU_ASSERT_EQUAL(db_policy_get(admin, &p, &err), 0);
	CU_ASSERT_EQUAL(p.lock_threshold, 3);
	CU_ASSERT_EQUAL(p.window_steps, 2);
	CU_ASSERT_STRING_EQUAL(p.cutoff, "14:00");
	CU_ASSERT_EQUAL(p.auto_unlock_minutes, 30);
	CU_ASSERT_EQUAL(db_policy_set(admin, 5, 1, "15:00", 0, -1, &out, &err), 0);
	CU_ASSERT_EQUAL(db_policy_get(admin, &p, &err), 0);
	CU_ASSERT_EQUAL(p.auto_unlock_minutes, 0);
	CU_ASSERT_EQUAL(p.lock_threshold, 5);
	/* before/after in the audit details */
	CU_ASSERT_EQUAL(dbfix_count("SELECT count(*) FROM otp.audit_event WHERE event = 'policy.set'"
				    " AND outcome = 'success' AND details->'before'->>'lock_threshold' = '3'"), 1);
}

TEST_SUITE(admin, "db/admin", init, cleanup,
	   TEST(test_staff_create_and_login), TEST(test_staff_create_bad_input),
	   TEST(test_groups_and_deactivation), TEST(test_branch_and_closing_days), TEST(test_policy))
