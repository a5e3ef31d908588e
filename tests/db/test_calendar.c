/* test_calendar: the server's calendar against the C module. otp.holiday
 * must equal cal_holidays() for every year; otp.is_business_day and
 * otp.due_dates must give the C answers for every day of several years at
 * several times of day, for the national calendar, a plain branch, a branch
 * with its own closing days and one with its own cutoff. Each comparison is
 * one query returning all rows, compared here in C. Also: idempotent sync,
 * what staff may read and call, and the refused inputs. */
#include <stdlib.h>
#include <string.h>

#include "cal/cal.h"
#include "db/calendar.h"
#include "tests/lib/dbfix.h"
#include "tests/lib/testlib.h"

/* Branches of this suite only, so other suites' closing days do not matter:
 * 901 has closing days, 902 closing days and a 16:00 cutoff. */
static const char *const setup_sql =
	"INSERT INTO otp.branch (code, name, name_en, cutoff) VALUES"
	" ('901', '暦支店', 'Calendar Branch', NULL),"
	" ('902', '暦第二支店', 'Calendar Branch 2', '16:00')"
	" ON CONFLICT (code) DO NOTHING;"
	"INSERT INTO otp.branch_closing_day (branch_code, day, reason, created_by) VALUES"
	" ('901', '2019-05-07', 'test', 'test'), ('901', '2020-07-22', 'test', 'test'),"
	" ('901', '2020-12-28', 'test', 'test'), ('901', '2020-12-29', 'test', 'test'),"
	" ('901', '2020-12-30', 'test', 'test'), ('901', '2021-08-10', 'test', 'test'),"
	" ('901', '2026-07-21', 'test', 'test'), ('901', '2026-11-25', 'test', 'test'),"
	" ('901', '2026-11-28', 'test', 'test'), ('901', '2026-12-30', 'test', 'test'),"
	" ('902', '2019-12-30', 'test', 'test'), ('902', '2021-01-04', 'test', 'test'),"
	" ('902', '2026-09-24', 'test', 'test')"
	" ON CONFLICT DO NOTHING;";

static int suite_init(void)
{
	if (dbfix_suite_init() != 0)
		return -1;
	return dbfix_sql(setup_sql);
}

static struct db *superuser_db(void)
{
	struct db_conn_params p = { .conninfo = dbfix_conninfo(), .appname = "otpdesk-tests" };
	struct db *db = NULL;
	struct otp_err err;
	if (db_connect(&db, &p, &err) != 0)
		fprintf(stderr, "\n  connect: %s\n", err.message);
	return db;
}

static PGresult *query(const char *sql)
{
	PGresult *r = PQexec(dbfix_pg(), sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "\n  %s\n", PQresultErrorMessage(r));
		PQclear(r);
		return NULL;
	}
	return r;
}

static int ival(const PGresult *r, int row, int col)
{
	return atoi(PQgetvalue(r, row, col));
}

static void test_holiday_table_is_the_c_calendar(void)
{
	PGresult *r = query("SELECT day - date '1970-01-01', name_ja, name_en FROM otp.holiday ORDER BY day");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	int row = 0, rows = PQntuples(r), bad = 0;
	for (int y = CAL_YEAR_MIN; y <= CAL_YEAR_MAX; y++) {
		struct cal_holiday h[CAL_HOLIDAYS_MAX];
		struct otp_err err;
		int n = cal_holidays(y, h, &err);
		for (int i = 0; i < n; i++, row++) {
			if (row >= rows || ival(r, row, 0) != h[i].day ||
			    strcmp(PQgetvalue(r, row, 1), cal_holiday_name_ja(h[i].kind)) != 0 ||
			    strcmp(PQgetvalue(r, row, 2), cal_holiday_name_en(h[i].kind)) != 0) {
				if (bad++ < 5) {
					char buf[CAL_DATE_LEN];
					fprintf(stderr, "\n  %s %s missing or different in otp.holiday\n",
						cal_format(h[i].day, buf), cal_holiday_name_ja(h[i].kind));
				}
			}
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(row, rows);
	CU_ASSERT(rows > 2000);
	PQclear(r);
}

static void test_sync_is_idempotent_and_repairs(void)
{
	struct db *db = superuser_db();
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	struct otp_err err;
	CU_ASSERT_EQUAL(db_calendar_sync(db, CAL_YEAR_MIN, CAL_YEAR_MAX, &err), 0);
	/* three kinds of damage: a missing day, a wrong name, a day that is none */
	CU_ASSERT_EQUAL(dbfix_sql("DELETE FROM otp.holiday WHERE day = '2026-09-22';"
				  "UPDATE otp.holiday SET name_en = 'Wrong' WHERE day = '2019-05-01';"
				  "INSERT INTO otp.holiday VALUES ('2026-06-01', '偽', 'Fake');"
				  "INSERT INTO otp.holiday VALUES ('1985-06-03', '偽', 'Fake');"), 0);
	/* a sync of 2019-2026 repairs its own years and leaves 1985 alone */
	CU_ASSERT_EQUAL(db_calendar_sync(db, 2019, 2026, &err), 3);
	CU_ASSERT_EQUAL(dbfix_count("SELECT count(*) FROM otp.holiday WHERE day = '2026-09-22'"
				    " AND name_ja = '国民の休日' AND name_en = 'Citizens'' Holiday'"), 1);
	CU_ASSERT_EQUAL(dbfix_count("SELECT count(*) FROM otp.holiday WHERE day = '2019-05-01'"
				    " AND name_en = 'Day of the Emperor''s Accession'"), 1);
	CU_ASSERT_EQUAL(dbfix_count("SELECT count(*) FROM otp.holiday WHERE day = '2026-06-01'"), 0);
	CU_ASSERT_EQUAL(dbfix_count("SELECT count(*) FROM otp.holiday WHERE day = '1985-06-03'"), 1);
	CU_ASSERT_EQUAL(db_calendar_sync(db, CAL_YEAR_MIN, CAL_YEAR_MAX, &err), 1);
	CU_ASSERT_EQUAL(db_calendar_sync(db, CAL_YEAR_MIN, CAL_YEAR_MAX, &err), 0);
	/* refused ranges */
	CU_ASSERT_EQUAL(db_calendar_sync(db, 1979, 2000, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	CU_ASSERT_EQUAL(db_calendar_sync(db, 2000, 2100, &err), -1);
	CU_ASSERT_EQUAL(db_calendar_sync(db, 2001, 2000, &err), -1);
	db_close(db);
}

/* Loads the three calendars the C side needs. */
struct branches {
	struct db_branch_calendar b000, b901, b902;
};

static int load_branches(struct db *db, struct branches *b)
{
	struct otp_err err;
	cal_day from = cal_first_day(), to = cal_last_day();
	if (db_branch_calendar(db, "000", from, to, &b->b000, &err) != 0 ||
	    db_branch_calendar(db, "901", from, to, &b->b901, &err) != 0 ||
	    db_branch_calendar(db, "902", from, to, &b->b902, &err) != 0) {
		fprintf(stderr, "\n  %s\n", err.message);
		return -1;
	}
	return 0;
}

static void free_branches(struct branches *b)
{
	db_branch_calendar_free(&b->b000);
	db_branch_calendar_free(&b->b901);
	db_branch_calendar_free(&b->b902);
}

static const struct cal_branch *pick(const struct branches *b, const char *code)
{
	if (!*code)
		return NULL;
	if (strcmp(code, "000") == 0)
		return &b->b000.cal;
	if (strcmp(code, "901") == 0)
		return &b->b901.cal;
	return &b->b902.cal;
}

static void test_branch_calendars_load(void)
{
	struct db *db = superuser_db();
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	struct branches b;
	CU_ASSERT_EQUAL_FATAL(load_branches(db, &b), 0);
	CU_ASSERT_EQUAL(b.b000.cal.nclosing, 0);
	CU_ASSERT_EQUAL(b.b000.cal.cutoff, 15 * 3600);
	CU_ASSERT_EQUAL(b.b901.cal.nclosing, 10);
	CU_ASSERT_EQUAL(b.b901.cal.cutoff, 15 * 3600);
	CU_ASSERT_EQUAL(b.b902.cal.nclosing, 3);
	CU_ASSERT_EQUAL(b.b902.cal.cutoff, 16 * 3600);
	CU_ASSERT_STRING_EQUAL(b.b901.code, "901");
	char buf[CAL_DATE_LEN];
	CU_ASSERT_STRING_EQUAL(cal_format(b.b901.cal.closing[0], buf), "2019-05-07");
	CU_ASSERT_STRING_EQUAL(cal_format(b.b901.cal.closing[9], buf), "2026-12-30");
	free_branches(&b);

	struct otp_err err;
	cal_day *days = NULL;
	size_t n = 99;
	cal_day from, to;
	cal_parse_date("2020-12-29", &from, &err);
	cal_parse_date("2021-12-31", &to, &err);
	CU_ASSERT_EQUAL(db_branch_closing_days(db, "901", from, to, &days, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 3);	/* 2020-12-29, 2020-12-30, 2021-08-10 */
	if (n == 3)
		CU_ASSERT_STRING_EQUAL(cal_format(days[2], buf), "2021-08-10");
	free(days);
	CU_ASSERT_EQUAL(db_branch_closing_days(db, "000", from, to, &days, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_PTR_NULL(days);

	int cutoff = 0;
	CU_ASSERT_EQUAL(db_branch_cutoff(db, "902", &cutoff, &err), 0);
	CU_ASSERT_EQUAL(cutoff, 16 * 3600);
	CU_ASSERT_EQUAL(db_branch_cutoff(db, NULL, &cutoff, &err), 0);
	CU_ASSERT_EQUAL(cutoff, 15 * 3600);
	/* the policy's cutoff applies where the branch has none */
	CU_ASSERT_EQUAL_FATAL(dbfix_sql("UPDATE otp.policy SET cutoff = '14:30'"), 0);
	CU_ASSERT_EQUAL(db_branch_cutoff(db, "901", &cutoff, &err), 0);
	CU_ASSERT_EQUAL(cutoff, 14 * 3600 + 1800);
	CU_ASSERT_EQUAL(db_branch_cutoff(db, NULL, &cutoff, &err), 0);
	CU_ASSERT_EQUAL(cutoff, 14 * 3600 + 1800);
	CU_ASSERT_EQUAL(db_branch_cutoff(db, "902", &cutoff, &err), 0);
	CU_ASSERT_EQUAL(cutoff, 16 * 3600);
	struct cal_due due;
	CU_ASSERT_EQUAL(db_due_dates(db, "2026-11-24 14:45+09", "901", &due, &err), 0);
	CU_ASSERT_STRING_EQUAL(cal_format(due.day1, buf), "2026-11-26");	/* after 14:30; 11-25 closed */
	CU_ASSERT_EQUAL(dbfix_sql("UPDATE otp.policy SET cutoff = '15:00'"), 0);

	/* unknown and malformed branches */
	struct db_branch_calendar bc;
	CU_ASSERT_EQUAL(db_branch_calendar(db, "999", from, to, &bc, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_NOTFOUND);
	CU_ASSERT_EQUAL(db_branch_calendar(db, "12", from, to, &bc, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	CU_ASSERT_EQUAL(db_branch_cutoff(db, "x12", &cutoff, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	db_close(db);
}

/* Every day of 2019-2021 and 2026, at 09:00, 14:59, 15:00, 18:00 Japan time,
 * for no branch, 000, 901 and 902: the server's otp.due_dates against cal_due. */
static void test_due_dates_agree_with_c(void)
{
	struct db *db = superuser_db();
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	struct branches b;
	CU_ASSERT_EQUAL_FATAL(load_branches(db, &b), 0);
	PGresult *r = query(
		"SELECT g::date - date '1970-01-01', extract(epoch FROM t)::int, coalesce(br, ''),"
		"       x.day1 - date '1970-01-01', x.eligible - date '1970-01-01', x.due - date '1970-01-01'"
		" FROM (VALUES (date '2019-01-01', date '2021-12-31'), (date '2026-01-01', date '2026-12-31')) AS rg(a, z),"
		"      generate_series(rg.a, rg.z, interval '1 day') AS g,"
		"      unnest(ARRAY[time '09:00', time '14:59', time '15:00', time '18:00']) AS t,"
		"      unnest(ARRAY[NULL, '000', '901', '902']) AS br,"
		"      otp.due_dates((g::date + t) AT TIME ZONE 'Asia/Tokyo', br) AS x");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	int rows = PQntuples(r), bad = 0;
	CU_ASSERT_EQUAL(rows, (365 * 3 + 1 + 365) * 4 * 4);
	for (int i = 0; i < rows; i++) {
		cal_day day = ival(r, i, 0);
		int sec = ival(r, i, 1);
		struct cal_due c;
		struct otp_err err;
		int rc = cal_due(day, sec, pick(&b, PQgetvalue(r, i, 2)), &c, &err);
		if (rc != 0 || c.day1 != ival(r, i, 3) || c.eligible != ival(r, i, 4) || c.due != ival(r, i, 5)) {
			if (bad++ < 5) {
				char d0[CAL_DATE_LEN], d1[CAL_DATE_LEN], d2[CAL_DATE_LEN], d3[CAL_DATE_LEN];
				char s1[CAL_DATE_LEN], s2[CAL_DATE_LEN], s3[CAL_DATE_LEN];
				fprintf(stderr, "\n  %s %05d branch '%s': C %s %s %s, SQL %s %s %s\n",
					cal_format(day, d0), sec, PQgetvalue(r, i, 2), cal_format(c.day1, d1),
					cal_format(c.eligible, d2), cal_format(c.due, d3), cal_format(ival(r, i, 3), s1),
					cal_format(ival(r, i, 4), s2), cal_format(ival(r, i, 5), s3));
			}
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	PQclear(r);
	free_branches(&b);
	db_close(db);
}

/* Every day 1980-2099: otp.is_business_day against cal_is_business_day. */
static void test_business_days_agree_with_c(void)
{
	struct db *db = superuser_db();
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	struct branches b;
	CU_ASSERT_EQUAL_FATAL(load_branches(db, &b), 0);
	PGresult *r = query("SELECT g::date - date '1970-01-01', otp.is_business_day(g::date, NULL),"
			    "       otp.is_business_day(g::date, '901')"
			    " FROM generate_series(date '1980-01-01', date '2099-12-31', interval '1 day') AS g");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	int rows = PQntuples(r), bad = 0;
	CU_ASSERT_EQUAL(rows, cal_last_day() - cal_first_day() + 1);
	for (int i = 0; i < rows; i++) {
		struct otp_err err;
		cal_day day = ival(r, i, 0);
		int nat = cal_is_business_day(day, NULL, &err);
		int br = cal_is_business_day(day, &b.b901.cal, &err);
		if (nat != (PQgetvalue(r, i, 1)[0] == 't') || br != (PQgetvalue(r, i, 2)[0] == 't')) {
			char d[CAL_DATE_LEN];
			if (bad++ < 5)
				fprintf(stderr, "\n  %s: C %d %d, SQL %s %s\n", cal_format(day, d), nat, br,
					PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	PQclear(r);

	/* business_day_add for n = -3..3 from every day of 2026 (branch 901) */
	r = query("SELECT g::date - date '1970-01-01', n, otp.business_day_add(g::date, n, '901') - date '1970-01-01'"
		  " FROM generate_series(date '2026-01-01', date '2026-12-31', interval '1 day') AS g,"
		  "      generate_series(-3, 3) AS n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	rows = PQntuples(r);
	bad = 0;
	CU_ASSERT_EQUAL(rows, 365 * 7);
	for (int i = 0; i < rows; i++) {
		struct otp_err err;
		cal_day out = 0;
		int rc = cal_business_day_add(ival(r, i, 0), ival(r, i, 1), &b.b901.cal, &out, &err);
		if (rc != 0 || out != ival(r, i, 2))
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	PQclear(r);
	free_branches(&b);
	db_close(db);
}

/* The four cases of the rule, asked of the server by a teller. */
static void test_staff_read_and_compute(void)
{
	dbfix_staff("calteller", "012", "otp_teller");
	struct db *db = dbfix_connect_as("calteller");
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	static const struct {
		const char *received, *branch, *day1, *eligible, *due;
	} t[] = {
		{ "2026-07-17 10:00+09", NULL, "2026-07-17", "2026-07-21", "2026-07-22" },
		{ "2026-12-28 16:00+09", NULL, "2026-12-29", "2026-12-30", "2027-01-04" },
		{ "2019-04-26 14:00+09", "000", "2019-04-26", "2019-05-07", "2019-05-08" },
		{ "2026-11-20 16:00+09", "901", "2026-11-24", "2026-11-26", "2026-11-27" },
		{ "2026-11-24 06:00Z", NULL, "2026-11-25", "2026-11-26", "2026-11-27" },	/* 15:00 JST */
		{ "2026-11-24 15:00+09", "902", "2026-11-24", "2026-11-25", "2026-11-26" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct cal_due due;
		struct otp_err err;
		int rc = db_due_dates(db, t[i].received, t[i].branch, &due, &err);
		CU_ASSERT_EQUAL(rc, 0);
		if (rc != 0) {
			fprintf(stderr, "\n  %s: %s\n", t[i].received, err.message);
			continue;
		}
		char a[CAL_DATE_LEN], b[CAL_DATE_LEN], c[CAL_DATE_LEN];
		CU_ASSERT_STRING_EQUAL(cal_format(due.day1, a), t[i].day1);
		CU_ASSERT_STRING_EQUAL(cal_format(due.eligible, b), t[i].eligible);
		CU_ASSERT_STRING_EQUAL(cal_format(due.due, c), t[i].due);
	}
	struct cal_due now;
	struct otp_err err;
	CU_ASSERT_EQUAL(db_due_dates(db, NULL, "012", &now, &err), 0);
	CU_ASSERT(now.day1 <= now.eligible && now.eligible < now.due);

	/* the teller reads the branch calendar through otp_api */
	struct db_branch_calendar bc;
	CU_ASSERT_EQUAL(db_branch_calendar(db, "901", cal_first_day(), cal_last_day(), &bc, &err), 0);
	CU_ASSERT_EQUAL(bc.cal.nclosing, 10);
	db_branch_calendar_free(&bc);
	CU_ASSERT_EQUAL(db_due_dates(db, "2026-11-24 10:00+09", "999", &now, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_NOTFOUND);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD002");
	CU_ASSERT_EQUAL(db_due_dates(db, "2099-12-30 10:00+09", NULL, &now, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD004");
	CU_ASSERT_EQUAL(db_due_dates(db, "2026-02-30 10:00+09", NULL, &now, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	/* nor may a teller write the calendar */
	CU_ASSERT_EQUAL(db_calendar_sync(db, 2026, 2026, &err), -1);
	db_close(db);

	PGconn *pg = dbfix_pg_as("calteller");
	CU_ASSERT_PTR_NOT_NULL_FATAL(pg);
	PGresult *r = PQexec(pg, "SELECT count(*) FROM otp_api.holidays WHERE day BETWEEN '2026-01-01' AND '2026-12-31'");
	CU_ASSERT_EQUAL(PQresultStatus(r), PGRES_TUPLES_OK);
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		CU_ASSERT_STRING_EQUAL(PQgetvalue(r, 0, 0), "18");
	PQclear(r);
	static const char *const denied[] = {
		"SELECT count(*) FROM otp.holiday",
		"SELECT otp.is_business_day(date '2026-11-24', NULL)",
		"SELECT * FROM otp.due_dates(now(), NULL)",
		"DELETE FROM otp_api.holidays",
	};
	for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
		r = PQexec(pg, denied[i]);
		CU_ASSERT_EQUAL(PQresultStatus(r), PGRES_FATAL_ERROR);
		const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		CU_ASSERT(st && strcmp(st, "42501") == 0);
		PQclear(r);
	}
	PQfinish(pg);
}

/* Each of the seven groups may read the holidays and ask for due dates. */
static void test_every_group_granted(void)
{
	static const char *const groups[] = { "otp_teller", "otp_supervisor", "otp_helpdesk", "otp_auditor",
					      "otp_admin", "otp_verifier", "otp_batch" };
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
		const char *p[1] = { groups[i] };
		char v[16];
		CU_ASSERT_EQUAL(dbfix_valuep("SELECT has_table_privilege($1, 'otp_api.holidays', 'SELECT')"
					     " AND has_function_privilege($1, 'otp_api.due_dates(timestamptz, text)', 'EXECUTE')"
					     " AND NOT has_table_privilege($1, 'otp_api.holidays', 'INSERT')",
					     1, p, v, sizeof v), 0);
		CU_ASSERT_STRING_EQUAL(v, "t");
	}
	char v[16];
	CU_ASSERT_EQUAL(dbfix_value("SELECT has_function_privilege('public', 'otp_api.due_dates(timestamptz, text)', 'EXECUTE')",
				    v, sizeof v), 0);
	CU_ASSERT_STRING_EQUAL(v, "f");
	/* the definer function pins its search_path */
	CU_ASSERT_EQUAL(dbfix_count("SELECT count(*) FROM pg_proc WHERE proname = 'due_dates'"
				    " AND pronamespace = 'otp_api'::regnamespace AND prosecdef"
				    " AND proconfig @> ARRAY['search_path=otp, pg_catalog, pg_temp']"), 1);
}

TEST_SUITE(db_calendar, "db/calendar", suite_init, NULL,
	   TEST(test_holiday_table_is_the_c_calendar), TEST(test_sync_is_idempotent_and_repairs),
	   TEST(test_branch_calendars_load), TEST(test_due_dates_agree_with_c),
	   TEST(test_business_days_agree_with_c), TEST(test_staff_read_and_compute),
	   TEST(test_every_group_granted))
