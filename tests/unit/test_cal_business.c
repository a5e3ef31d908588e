/* test_cal_business: day numbers and parsing, bank business days, and the
 * due-date rule on the cases the branches asked about (Friday before a
 * Monday holiday, Dec 28 after cutoff, the 2019 Golden Week, a branch's own
 * closing day, exactly at the cutoff), plus the refused inputs. */
#include <string.h>

#include "cal/cal.h"
#include "tests/lib/testlib.h"

static cal_day D(const char *s)
{
	cal_day d = 0;
	struct otp_err err;
	CU_ASSERT_EQUAL_FATAL(cal_parse_date(s, &d, &err), 0);
	return d;
}

static void test_day_numbers(void)
{
	CU_ASSERT_EQUAL(cal_from_ymd(1970, 1, 1), 0);
	CU_ASSERT_EQUAL(cal_from_ymd(2000, 3, 1), 11017);
	CU_ASSERT_EQUAL(cal_from_ymd(1969, 12, 31), -1);
	CU_ASSERT_EQUAL(cal_weekday(D("2026-01-01")), 4);	/* Thursday */
	CU_ASSERT_EQUAL(cal_weekday(D("2019-05-01")), 3);	/* Wednesday */
	CU_ASSERT_EQUAL(cal_weekday(D("1969-12-28")), 0);	/* Sunday, before day 0 */
	CU_ASSERT_EQUAL(cal_first_day(), D("1980-01-01"));
	CU_ASSERT_EQUAL(cal_last_day(), D("2099-12-31"));
	/* every day from 1900 to 2200 round-trips and follows the one before */
	cal_day prev = cal_from_ymd(1899, 12, 31);
	for (int y = 1900; y <= 2200; y++)
		for (int m = 1; m <= 12; m++)
			for (int d = 1; d <= 31; d++) {
				if (!cal_valid_ymd(y, m, d))
					continue;
				cal_day x = cal_from_ymd(y, m, d);
				int yy, mm, dd;
				cal_to_ymd(x, &yy, &mm, &dd);
				if (x != prev + 1 || yy != y || mm != m || dd != d) {
					CU_FAIL("day numbers do not round-trip");
					return;
				}
				prev = x;
			}
	CU_PASS("round trip");
}

static void test_parse(void)
{
	static const struct {
		const char *s;
		int ok;
	} dates[] = {
		{ "2026-11-20", 1 }, { "2024-02-29", 1 }, { "2000-02-29", 1 }, { "1900-02-29", 0 },
		{ "2023-02-29", 0 }, { "2026-02-30", 0 }, { "2026-13-01", 0 }, { "2026-00-10", 0 },
		{ "2026-04-31", 0 }, { "2026-4-1", 0 }, { "2026-04-01 ", 0 }, { "2026/04/01", 0 },
		{ "garbage", 0 }, { "", 0 }, { "0000-01-01", 0 }, { "２０２６-04-01", 0 },
	};
	for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
		cal_day d;
		struct otp_err err;
		int rc = cal_parse_date(dates[i].s, &d, &err);
		CU_ASSERT_EQUAL(rc, dates[i].ok ? 0 : -1);
		if (!dates[i].ok)
			CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
		if (dates[i].ok) {
			char buf[CAL_DATE_LEN];
			CU_ASSERT_STRING_EQUAL(cal_format(d, buf), dates[i].s);
		}
	}
	cal_day d;
	struct otp_err err;
	CU_ASSERT_EQUAL(cal_parse_date(NULL, &d, &err), -1);

	static const struct {
		const char *s;
		int ok, sec;
	} times[] = {
		{ "2026-11-20 14:30", 1, 52200 }, { "2026-11-20T14:30:59", 1, 52259 },
		{ "2026-11-20 00:00", 1, 0 }, { "2026-11-20 23:59:59", 1, 86399 },
		{ "2026-11-20 24:00", 0, 0 }, { "2026-11-20 14:60", 0, 0 }, { "2026-11-20 14:30:60", 0, 0 },
		{ "2026-11-20", 0, 0 }, { "2026-11-20 1430", 0, 0 }, { "2026-02-30 10:00", 0, 0 },
		{ "2026-11-20 14:30 ", 0, 0 }, { "2026-11-20x14:30", 0, 0 },
	};
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		int sec = -1;
		int rc = cal_parse_datetime(times[i].s, &d, &sec, &err);
		CU_ASSERT_EQUAL(rc, times[i].ok ? 0 : -1);
		if (times[i].ok) {
			CU_ASSERT_EQUAL(sec, times[i].sec);
			CU_ASSERT_EQUAL(d, D("2026-11-20"));
		}
	}
}

static void test_business_days(void)
{
	struct otp_err err;
	static const struct {
		const char *day;
		int open;
	} t[] = {
		{ "2026-01-02", 0 }, { "2026-01-05", 1 }, { "2027-01-04", 1 }, { "2026-12-29", 1 },
		{ "2026-12-30", 1 }, { "2026-12-31", 0 }, { "2026-11-21", 0 }, { "2026-11-22", 0 },
		{ "2026-11-23", 0 }, { "2026-11-24", 1 }, { "2026-09-22", 0 }, { "2019-04-30", 0 },
		{ "2019-05-07", 1 }, { "2025-01-03", 0 }, { "2021-08-09", 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		CU_ASSERT_EQUAL(cal_is_business_day(D(t[i].day), NULL, &err), t[i].open);

	/* 2026: 365 days - 104 weekend days - 17 holidays on weekdays - Jan 2 and Dec 31 */
	int count = 0;
	for (cal_day d = D("2026-01-01"); d <= D("2026-12-31"); d++)
		count += cal_is_business_day(d, NULL, &err);
	CU_ASSERT_EQUAL(count, 242);

	cal_day out = 0;
	CU_ASSERT_EQUAL(cal_business_day_add(D("2026-11-20"), 1, NULL, &out, &err), 0);
	CU_ASSERT_EQUAL(out, D("2026-11-24"));
	CU_ASSERT_EQUAL(cal_business_day_add(D("2026-11-24"), -1, NULL, &out, &err), 0);
	CU_ASSERT_EQUAL(out, D("2026-11-20"));
	CU_ASSERT_EQUAL(cal_business_day_add(D("2026-11-21"), 0, NULL, &out, &err), 0);
	CU_ASSERT_EQUAL(out, D("2026-11-24"));
	CU_ASSERT_EQUAL(cal_business_day_add(D("2026-11-24"), 0, NULL, &out, &err), 0);
	CU_ASSERT_EQUAL(out, D("2026-11-24"));
	CU_ASSERT_EQUAL(cal_business_day_add(D("2019-04-26"), 1, NULL, &out, &err), 0);
	CU_ASSERT_EQUAL(out, D("2019-05-07"));
	CU_ASSERT_EQUAL(cal_business_day_add(D("2026-12-30"), 5, NULL, &out, &err), 0);
	CU_ASSERT_EQUAL(out, D("2027-01-08"));
	CU_ASSERT_EQUAL(cal_business_day_add(D("2027-01-04"), -2, NULL, &out, &err), 0);
	CU_ASSERT_EQUAL(out, D("2026-12-29"));

	/* the edges of the known years */
	CU_ASSERT_EQUAL(cal_business_day_add(D("2099-12-30"), 1, NULL, &out, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	CU_ASSERT_EQUAL(cal_business_day_add(D("1980-01-04"), -1, NULL, &out, &err), -1);
	CU_ASSERT_EQUAL(cal_is_business_day(D("2100-01-04"), NULL, &err), -1);
	CU_ASSERT_EQUAL(cal_is_business_day(D("1979-12-28"), NULL, &err), -1);
}

struct due_case {
	const char *what;
	const char *received;	/* Japan time */
	int branch;		/* 0 none, 1 closing days, 2 cutoff 16:00 */
	const char *day1, *eligible, *due;
};

static const cal_day *closing_days(size_t *n)
{
	static cal_day days[3];
	days[0] = cal_from_ymd(2026, 7, 21);
	days[1] = cal_from_ymd(2026, 11, 25);
	days[2] = cal_from_ymd(2026, 12, 30);
	*n = 3;
	return days;
}

static const struct due_case due_cases[] = {
	{ "Friday morning before a Monday holiday", "2026-07-17 10:00", 0,
	  "2026-07-17", "2026-07-21", "2026-07-22" },
	{ "Friday afternoon before a Monday holiday", "2026-07-17 15:30", 0,
	  "2026-07-21", "2026-07-22", "2026-07-23" },
	{ "Friday morning, Tuesday a branch closing day", "2026-07-17 10:00", 1,
	  "2026-07-17", "2026-07-22", "2026-07-23" },
	{ "Dec 28 after cutoff", "2026-12-28 16:00", 0, "2026-12-29", "2026-12-30", "2027-01-04" },
	{ "Dec 28 before cutoff", "2026-12-28 09:00", 0, "2026-12-28", "2026-12-29", "2026-12-30" },
	{ "Dec 28 after cutoff, Dec 30 closed at the branch", "2026-12-28 16:00", 1,
	  "2026-12-29", "2027-01-04", "2027-01-05" },
	{ "2019 Golden Week, before cutoff", "2019-04-26 14:00", 0, "2019-04-26", "2019-05-07", "2019-05-08" },
	{ "2019 Golden Week, after cutoff", "2019-04-26 15:30", 0, "2019-05-07", "2019-05-08", "2019-05-09" },
	{ "2019 Golden Week, on a holiday", "2019-05-01 10:00", 0, "2019-05-07", "2019-05-08", "2019-05-09" },
	{ "the brief's example", "2026-11-20 16:00", 0, "2026-11-24", "2026-11-25", "2026-11-26" },
	{ "a branch's own closing day ahead", "2026-11-20 16:00", 1, "2026-11-24", "2026-11-26", "2026-11-27" },
	{ "received on the branch's closing day", "2026-11-25 10:00", 1, "2026-11-26", "2026-11-27", "2026-11-30" },
	{ "exactly at cutoff counts as after", "2026-11-24 15:00", 0, "2026-11-25", "2026-11-26", "2026-11-27" },
	{ "a second before cutoff", "2026-11-24 14:59:59", 0, "2026-11-24", "2026-11-25", "2026-11-26" },
	{ "branch cutoff 16:00", "2026-11-24 15:00", 2, "2026-11-24", "2026-11-25", "2026-11-26" },
	{ "branch cutoff 16:00, exactly", "2026-11-24 16:00", 2, "2026-11-25", "2026-11-26", "2026-11-27" },
	{ "Saturday morning", "2026-11-21 09:00", 0, "2026-11-24", "2026-11-25", "2026-11-26" },
	{ "silver week", "2026-09-18 11:00", 0, "2026-09-18", "2026-09-24", "2026-09-25" },
	{ "Olympic 2021 Mountain Day substitute", "2021-08-06 16:00", 0, "2021-08-10", "2021-08-11", "2021-08-12" },
};

static void test_due_rule(void)
{
	size_t nclosing;
	const cal_day *closing = closing_days(&nclosing);
	const struct cal_branch branches[3] = {
		{ .closing = NULL, .nclosing = 0, .cutoff = CAL_DEFAULT_CUTOFF },
		{ .closing = closing, .nclosing = nclosing, .cutoff = CAL_DEFAULT_CUTOFF },
		{ .closing = NULL, .nclosing = 0, .cutoff = 16 * 3600 },
	};
	for (size_t i = 0; i < sizeof due_cases / sizeof due_cases[0]; i++) {
		const struct due_case *c = &due_cases[i];
		cal_day day;
		int sec;
		struct otp_err err;
		CU_ASSERT_EQUAL_FATAL(cal_parse_datetime(c->received, &day, &sec, &err), 0);
		struct cal_due due;
		CU_ASSERT_EQUAL_FATAL(cal_due(day, sec, &branches[c->branch], &due, &err), 0);
		char a[CAL_DATE_LEN], b[CAL_DATE_LEN], d[CAL_DATE_LEN];
		cal_format(due.day1, a);
		cal_format(due.eligible, b);
		cal_format(due.due, d);
		CU_ASSERT_STRING_EQUAL(a, c->day1);
		CU_ASSERT_STRING_EQUAL(b, c->eligible);
		CU_ASSERT_STRING_EQUAL(d, c->due);
		if (strcmp(a, c->day1) || strcmp(b, c->eligible) || strcmp(d, c->due))
			fprintf(stderr, "\n  %s: got %s %s %s\n", c->what, a, b, d);
		if (c->branch == 0) {	/* NULL branch = defaults */
			struct cal_due again;
			CU_ASSERT_EQUAL(cal_due(day, sec, NULL, &again, &err), 0);
			CU_ASSERT(again.day1 == due.day1 && again.eligible == due.eligible && again.due == due.due);
		}
	}
}

static void test_due_refused(void)
{
	struct otp_err err;
	struct cal_due due;
	CU_ASSERT_EQUAL(cal_due(D("2026-11-24"), -1, NULL, &due, &err), -1);
	CU_ASSERT_EQUAL(cal_due(D("2026-11-24"), 86400, NULL, &due, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	CU_ASSERT_EQUAL(cal_due(D("2099-12-29"), 36000, NULL, &due, &err), -1);	/* due in 2100 */
	CU_ASSERT_EQUAL(cal_due(D("1979-12-28"), 36000, NULL, &due, &err), -1);
	cal_day unsorted[2] = { D("2026-11-26"), D("2026-11-25") };
	struct cal_branch bad = { .closing = unsorted, .nclosing = 2, .cutoff = CAL_DEFAULT_CUTOFF };
	CU_ASSERT_EQUAL(cal_due(D("2026-11-24"), 0, &bad, &due, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_INTERNAL);
	cal_day out;
	CU_ASSERT_EQUAL(cal_business_day_add(D("2026-11-24"), 1, &bad, &out, &err), -1);
	CU_ASSERT_EQUAL(cal_is_business_day(D("2026-11-24"), &bad, &err), -1);
	struct cal_branch late = { .closing = NULL, .nclosing = 0, .cutoff = 25 * 3600 };
	CU_ASSERT_EQUAL(cal_due(D("2026-11-24"), 0, &late, &due, &err), -1);
	struct cal_branch missing = { .closing = NULL, .nclosing = 1, .cutoff = CAL_DEFAULT_CUTOFF };
	CU_ASSERT_EQUAL(cal_due(D("2026-11-24"), 0, &missing, &due, &err), -1);
}

TEST_SUITE(cal_business, "cal/business", NULL, NULL,
	   TEST(test_day_numbers), TEST(test_parse), TEST(test_business_days), TEST(test_due_rule),
	   TEST(test_due_refused))
