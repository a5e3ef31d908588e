/* test_calendar_cli: `otpctl calendar` as a user runs it — the real binary
 * next to this runner ($BUILD/bin/otpctl), its stdout, stderr and exit code.
 * --branch reads the test database (OTP_DSN) as a teller login. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cal/cal.h"
#include "tests/lib/dbfix.h"
#include "tests/lib/testlib.h"

static char otpctl[PATH_MAX];

static int suite_init(void)
{
	if (dbfix_suite_init() != 0)
		return -1;
	/* this runner is $BUILD/tests/db-tests; otpctl is $BUILD/bin/otpctl */
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(otpctl, sizeof otpctl, "%s/../bin/otpctl", exe);
	if (access(otpctl, X_OK) != 0) {
		fprintf(stderr, "test_calendar_cli: %s not built (make all)\n", otpctl);
		return -1;
	}
	dbfix_staff("clical", "034", "otp_teller");
	char login[64];
	snprintf(login, sizeof login, "t%ld_clical", (long)getpid());
	setenv("OTP_DSN", dbfix_conninfo(), 1);
	setenv("OTP_USER", login, 1);
	setenv("OTP_PASSWORD", DBFIX_PASSWORD, 1);
	return dbfix_sql("INSERT INTO otp.branch (code, name, name_en) VALUES ('903', '暦第三支店', 'Calendar Branch 3')"
			 " ON CONFLICT (code) DO NOTHING;"
			 "INSERT INTO otp.branch_closing_day (branch_code, day, reason, created_by)"
			 " VALUES ('903', '2026-11-25', 'test', 'test') ON CONFLICT DO NOTHING;");
}

struct run {
	int status;
	char out[8192];
	char err[2048];
};

/* Run otpctl with args (a fixed shell word list from this file). */
static void run(const char *args, struct run *r)
{
	char errfile[64], cmd[PATH_MAX + 512];
	snprintf(errfile, sizeof errfile, "/tmp/otpdesk-calcli-%ld.err", (long)getpid());
	snprintf(cmd, sizeof cmd, "'%s' %s 2>%s", otpctl, args, errfile);
	memset(r, 0, sizeof *r);
	FILE *p = popen(cmd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	size_t n = fread(r->out, 1, sizeof r->out - 1, p);
	r->out[n] = '\0';
	int st = pclose(p);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	FILE *e = fopen(errfile, "r");
	if (e) {
		n = fread(r->err, 1, sizeof r->err - 1, e);
		r->err[n] = '\0';
		fclose(e);
	}
	unlink(errfile);
}

static void test_holidays(void)
{
	struct run r;
	run("calendar holidays 2019", &r);
	CU_ASSERT_EQUAL(r.status, 0);
	/* the same list as the C module, line by line */
	char want[4096] = "";
	struct cal_holiday h[CAL_HOLIDAYS_MAX];
	struct otp_err err;
	int n = cal_holidays(2019, h, &err);
	for (int i = 0; i < n; i++) {
		char buf[CAL_DATE_LEN], line[256];
		snprintf(line, sizeof line, "%s\t%s\t%s\n", cal_format(h[i].day, buf), cal_holiday_name_ja(h[i].kind),
			 cal_holiday_name_en(h[i].kind));
		strcat(want, line);
	}
	CU_ASSERT_STRING_EQUAL(r.out, want);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "2019-04-30\t国民の休日\tCitizens' Holiday\n"));

	run("calendar holidays 2026", &r);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(strncmp(r.out, "2026-01-01\t元日\tNew Year's Day\n2026-01-12\t成人の日\t", 40) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "2026-05-06\t振替休日\tSubstitute Holiday\n"));

	static const char *const bad[] = { "calendar holidays 2100", "calendar holidays 1979",
					   "calendar holidays 20x6", "calendar holidays", "calendar holidays 2026 2027" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		run(bad[i], &r);
		CU_ASSERT_EQUAL(r.status, 3);
		CU_ASSERT_STRING_EQUAL(r.out, "");
		CU_ASSERT(strncmp(r.err, "error:", 6) == 0 || strncmp(r.err, "usage:", 6) == 0);
	}
}

static void test_due(void)
{
	struct run r;
	run("calendar due '2026-11-20 16:00'", &r);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_STRING_EQUAL(r.out, "day1\t2026-11-24\neligible\t2026-11-25\ndue\t2026-11-26\n");
	run("calendar due '2026-11-24 15:00'", &r);
	CU_ASSERT_STRING_EQUAL(r.out, "day1\t2026-11-25\neligible\t2026-11-26\ndue\t2026-11-27\n");
	run("calendar due '2026-12-28 16:00'", &r);
	CU_ASSERT_STRING_EQUAL(r.out, "day1\t2026-12-29\neligible\t2026-12-30\ndue\t2027-01-04\n");
	/* the branch's own closing day, read from the database as a teller */
	run("calendar due '2026-11-20 16:00' --branch 903", &r);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_STRING_EQUAL(r.out, "day1\t2026-11-24\neligible\t2026-11-26\ndue\t2026-11-27\n");
	if (r.status)
		fprintf(stderr, "\n  %s", r.err);
	run("calendar due --branch=903 '2026-11-25 10:00'", &r);
	CU_ASSERT_STRING_EQUAL(r.out, "day1\t2026-11-26\neligible\t2026-11-27\ndue\t2026-11-30\n");

	run("calendar due '2026-11-20 16:00' --branch 999", &r);
	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "error: unknown branch: 999"));
	static const char *const bad[] = {
		"calendar due '2026-02-30 10:00'", "calendar due garbage", "calendar due '2026-11-20 25:00'",
		"calendar due '2099-12-30 10:00'", "calendar due '2026-11-20 16:00' --branch 12",
		"calendar due '2026-11-20 16:00' --branch", "calendar due '2026-11-20 16:00' --bogus",
		"calendar due '2026-11-20 16:00' extra",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		run(bad[i], &r);
		CU_ASSERT_EQUAL(r.status, 3);
		CU_ASSERT_STRING_EQUAL(r.out, "");
	}
	run("calendar due '2026-02-30 10:00'", &r);
	CU_ASSERT(strncmp(r.err, "error: ", 7) == 0);
	/* no database reachable: exit 2, but only when --branch needs it */
	setenv("OTP_DSN", "dbname=otpdesk_no_such_database", 1);
	run("calendar due '2026-11-20 16:00' --branch 903", &r);
	CU_ASSERT_EQUAL(r.status, 2);
	run("calendar due '2026-11-20 16:00'", &r);
	CU_ASSERT_EQUAL(r.status, 0);
	setenv("OTP_DSN", dbfix_conninfo(), 1);
}

static void test_business_days(void)
{
	struct run r;
	run("calendar business-days 2026-12-25 2027-01-08", &r);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_STRING_EQUAL(r.out, "2026-12-25\n2026-12-28\n2026-12-29\n2026-12-30\n2027-01-04\n"
				      "2027-01-05\n2027-01-06\n2027-01-07\n2027-01-08\n");
	CU_ASSERT_STRING_EQUAL(r.err, "9 business days\n");
	run("calendar business-days 2026-11-20 2026-11-30 --branch 903", &r);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_STRING_EQUAL(r.out, "2026-11-20\n2026-11-24\n2026-11-26\n2026-11-27\n2026-11-30\n");
	CU_ASSERT_STRING_EQUAL(r.err, "5 business days\n");
	run("calendar business-days 2026-05-02 2026-05-06", &r);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_STRING_EQUAL(r.out, "");
	CU_ASSERT_STRING_EQUAL(r.err, "0 business days\n");
	run("calendar business-days 2026-11-20 2026-11-30 --branch 999", &r);
	CU_ASSERT_EQUAL(r.status, 1);
	static const char *const bad[] = {
		"calendar business-days 2026-02-30 2026-03-31", "calendar business-days 2026-03-02 2026-03-01",
		"calendar business-days 2099-12-01 2100-01-31", "calendar business-days 2026-03-01",
		"calendar business-days x y", "calendar nonsense",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		run(bad[i], &r);
		CU_ASSERT_EQUAL(r.status, 3);
		CU_ASSERT_STRING_EQUAL(r.out, "");
	}
}

TEST_SUITE(db_calendar_cli, "db/calendar-cli", suite_init, NULL,
	   TEST(test_holidays), TEST(test_due), TEST(test_business_days))
