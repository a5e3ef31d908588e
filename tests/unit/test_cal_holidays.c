/* test_cal_holidays: national holidays as whole-year known-answer tables
 * (written from the Cabinet Office's published lists, not from the code),
 * the equinox formula, the law's turning points, names, refused years. */
#include <string.h>

#include "cal/cal.h"
#include "tests/lib/testlib.h"

#define H(md, k) { md, CAL_HOLIDAY_##k }

struct hday {
	const char *md;		/* "MM-DD" */
	enum cal_holiday_kind kind;
};

struct hyear {
	int year;
	const struct hday *days;	/* terminated by { NULL } */
};

static const struct hday y1989[] = {
	H("01-01", NEW_YEAR), H("01-02", SUBSTITUTE), H("01-15", COMING_OF_AGE), H("01-16", SUBSTITUTE),
	H("02-11", FOUNDATION), H("02-24", SHOWA_FUNERAL), H("03-21", VERNAL_EQUINOX), H("04-29", GREENERY),
	H("05-03", CONSTITUTION), H("05-04", CITIZENS), H("05-05", CHILDREN), H("09-15", RESPECT_AGED),
	H("09-23", AUTUMNAL_EQUINOX), H("10-10", HEALTH_SPORTS), H("11-03", CULTURE),
	H("11-23", LABOUR_THANKSGIVING), H("12-23", EMPEROR_BIRTHDAY), { NULL, 0 },
};

static const struct hday y2000[] = {
	H("01-01", NEW_YEAR), H("01-10", COMING_OF_AGE), H("02-11", FOUNDATION), H("03-20", VERNAL_EQUINOX),
	H("04-29", GREENERY), H("05-03", CONSTITUTION), H("05-04", CITIZENS), H("05-05", CHILDREN),
	H("07-20", MARINE), H("09-15", RESPECT_AGED), H("09-23", AUTUMNAL_EQUINOX), H("10-09", HEALTH_SPORTS),
	H("11-03", CULTURE), H("11-23", LABOUR_THANKSGIVING), H("12-23", EMPEROR_BIRTHDAY), { NULL, 0 },
};

static const struct hday y2007[] = {
	H("01-01", NEW_YEAR), H("01-08", COMING_OF_AGE), H("02-11", FOUNDATION), H("02-12", SUBSTITUTE),
	H("03-21", VERNAL_EQUINOX), H("04-29", SHOWA), H("04-30", SUBSTITUTE), H("05-03", CONSTITUTION),
	H("05-04", GREENERY), H("05-05", CHILDREN), H("07-16", MARINE), H("09-17", RESPECT_AGED),
	H("09-23", AUTUMNAL_EQUINOX), H("09-24", SUBSTITUTE), H("10-08", HEALTH_SPORTS), H("11-03", CULTURE),
	H("11-23", LABOUR_THANKSGIVING), H("12-23", EMPEROR_BIRTHDAY), H("12-24", SUBSTITUTE), { NULL, 0 },
};

static const struct hday y2009[] = {
	H("01-01", NEW_YEAR), H("01-12", COMING_OF_AGE), H("02-11", FOUNDATION), H("03-20", VERNAL_EQUINOX),
	H("04-29", SHOWA), H("05-03", CONSTITUTION), H("05-04", GREENERY), H("05-05", CHILDREN),
	H("05-06", SUBSTITUTE), H("07-20", MARINE), H("09-21", RESPECT_AGED), H("09-22", CITIZENS),
	H("09-23", AUTUMNAL_EQUINOX), H("10-12", HEALTH_SPORTS), H("11-03", CULTURE),
	H("11-23", LABOUR_THANKSGIVING), H("12-23", EMPEROR_BIRTHDAY), { NULL, 0 },
};

static const struct hday y2015[] = {
	H("01-01", NEW_YEAR), H("01-12", COMING_OF_AGE), H("02-11", FOUNDATION), H("03-21", VERNAL_EQUINOX),
	H("04-29", SHOWA), H("05-03", CONSTITUTION), H("05-04", GREENERY), H("05-05", CHILDREN),
	H("05-06", SUBSTITUTE), H("07-20", MARINE), H("09-21", RESPECT_AGED), H("09-22", CITIZENS),
	H("09-23", AUTUMNAL_EQUINOX), H("10-12", HEALTH_SPORTS), H("11-03", CULTURE),
	H("11-23", LABOUR_THANKSGIVING), H("12-23", EMPEROR_BIRTHDAY), { NULL, 0 },
};

/* The ten-day Golden Week (Apr 27 Sat - May 6 Mon); no Emperor's Birthday. */
static const struct hday y2019[] = {
	H("01-01", NEW_YEAR), H("01-14", COMING_OF_AGE), H("02-11", FOUNDATION), H("03-21", VERNAL_EQUINOX),
	H("04-29", SHOWA), H("04-30", CITIZENS), H("05-01", ACCESSION_2019), H("05-02", CITIZENS),
	H("05-03", CONSTITUTION), H("05-04", GREENERY), H("05-05", CHILDREN), H("05-06", SUBSTITUTE),
	H("07-15", MARINE), H("08-11", MOUNTAIN), H("08-12", SUBSTITUTE), H("09-16", RESPECT_AGED),
	H("09-23", AUTUMNAL_EQUINOX), H("10-14", HEALTH_SPORTS), H("10-22", ENTHRONEMENT_2019),
	H("11-03", CULTURE), H("11-04", SUBSTITUTE), H("11-23", LABOUR_THANKSGIVING), { NULL, 0 },
};

/* Olympic moves: Marine Day Jul 23, Sports Day Jul 24, Mountain Day Aug 10. */
static const struct hday y2020[] = {
	H("01-01", NEW_YEAR), H("01-13", COMING_OF_AGE), H("02-11", FOUNDATION), H("02-23", EMPEROR_BIRTHDAY),
	H("02-24", SUBSTITUTE), H("03-20", VERNAL_EQUINOX), H("04-29", SHOWA), H("05-03", CONSTITUTION),
	H("05-04", GREENERY), H("05-05", CHILDREN), H("05-06", SUBSTITUTE), H("07-23", MARINE),
	H("07-24", SPORTS), H("08-10", MOUNTAIN), H("09-21", RESPECT_AGED), H("09-22", AUTUMNAL_EQUINOX),
	H("11-03", CULTURE), H("11-23", LABOUR_THANKSGIVING), { NULL, 0 },
};

/* Olympic moves again: Jul 22, Jul 23, Aug 8 (a Sunday, so Aug 9 substitutes). */
static const struct hday y2021[] = {
	H("01-01", NEW_YEAR), H("01-11", COMING_OF_AGE), H("02-11", FOUNDATION), H("02-23", EMPEROR_BIRTHDAY),
	H("03-20", VERNAL_EQUINOX), H("04-29", SHOWA), H("05-03", CONSTITUTION), H("05-04", GREENERY),
	H("05-05", CHILDREN), H("07-22", MARINE), H("07-23", SPORTS), H("08-08", MOUNTAIN),
	H("08-09", SUBSTITUTE), H("09-20", RESPECT_AGED), H("09-23", AUTUMNAL_EQUINOX), H("11-03", CULTURE),
	H("11-23", LABOUR_THANKSGIVING), { NULL, 0 },
};

static const struct hday y2024[] = {
	H("01-01", NEW_YEAR), H("01-08", COMING_OF_AGE), H("02-11", FOUNDATION), H("02-12", SUBSTITUTE),
	H("02-23", EMPEROR_BIRTHDAY), H("03-20", VERNAL_EQUINOX), H("04-29", SHOWA), H("05-03", CONSTITUTION),
	H("05-04", GREENERY), H("05-05", CHILDREN), H("05-06", SUBSTITUTE), H("07-15", MARINE),
	H("08-11", MOUNTAIN), H("08-12", SUBSTITUTE), H("09-16", RESPECT_AGED), H("09-22", AUTUMNAL_EQUINOX),
	H("09-23", SUBSTITUTE), H("10-14", SPORTS), H("11-03", CULTURE), H("11-04", SUBSTITUTE),
	H("11-23", LABOUR_THANKSGIVING), { NULL, 0 },
};

static const struct hday y2025[] = {
	H("01-01", NEW_YEAR), H("01-13", COMING_OF_AGE), H("02-11", FOUNDATION), H("02-23", EMPEROR_BIRTHDAY),
	H("02-24", SUBSTITUTE), H("03-20", VERNAL_EQUINOX), H("04-29", SHOWA), H("05-03", CONSTITUTION),
	H("05-04", GREENERY), H("05-05", CHILDREN), H("05-06", SUBSTITUTE), H("07-21", MARINE),
	H("08-11", MOUNTAIN), H("09-15", RESPECT_AGED), H("09-23", AUTUMNAL_EQUINOX), H("10-13", SPORTS),
	H("11-03", CULTURE), H("11-23", LABOUR_THANKSGIVING), H("11-24", SUBSTITUTE), { NULL, 0 },
};

static const struct hday y2026[] = {
	H("01-01", NEW_YEAR), H("01-12", COMING_OF_AGE), H("02-11", FOUNDATION), H("02-23", EMPEROR_BIRTHDAY),
	H("03-20", VERNAL_EQUINOX), H("04-29", SHOWA), H("05-03", CONSTITUTION), H("05-04", GREENERY),
	H("05-05", CHILDREN), H("05-06", SUBSTITUTE), H("07-20", MARINE), H("08-11", MOUNTAIN),
	H("09-21", RESPECT_AGED), H("09-22", CITIZENS), H("09-23", AUTUMNAL_EQUINOX), H("10-12", SPORTS),
	H("11-03", CULTURE), H("11-23", LABOUR_THANKSGIVING), { NULL, 0 },
};

static const struct hday y2027[] = {
	H("01-01", NEW_YEAR), H("01-11", COMING_OF_AGE), H("02-11", FOUNDATION), H("02-23", EMPEROR_BIRTHDAY),
	H("03-21", VERNAL_EQUINOX), H("03-22", SUBSTITUTE), H("04-29", SHOWA), H("05-03", CONSTITUTION),
	H("05-04", GREENERY), H("05-05", CHILDREN), H("07-19", MARINE), H("08-11", MOUNTAIN),
	H("09-20", RESPECT_AGED), H("09-23", AUTUMNAL_EQUINOX), H("10-11", SPORTS), H("11-03", CULTURE),
	H("11-23", LABOUR_THANKSGIVING), { NULL, 0 },
};

static const struct hday y2033[] = {
	H("01-01", NEW_YEAR), H("01-10", COMING_OF_AGE), H("02-11", FOUNDATION), H("02-23", EMPEROR_BIRTHDAY),
	H("03-20", VERNAL_EQUINOX), H("03-21", SUBSTITUTE), H("04-29", SHOWA), H("05-03", CONSTITUTION),
	H("05-04", GREENERY), H("05-05", CHILDREN), H("07-18", MARINE), H("08-11", MOUNTAIN),
	H("09-19", RESPECT_AGED), H("09-23", AUTUMNAL_EQUINOX), H("10-10", SPORTS), H("11-03", CULTURE),
	H("11-23", LABOUR_THANKSGIVING), { NULL, 0 },
};

/* Before the Happy Monday system, Emperor Showa's birthday on Apr 29. */
static const struct hday y1985[] = {
	H("01-01", NEW_YEAR), H("01-15", COMING_OF_AGE), H("02-11", FOUNDATION), H("03-21", VERNAL_EQUINOX),
	H("04-29", EMPEROR_BIRTHDAY), H("05-03", CONSTITUTION), H("05-05", CHILDREN), H("05-06", SUBSTITUTE),
	H("09-15", RESPECT_AGED), H("09-16", SUBSTITUTE), H("09-23", AUTUMNAL_EQUINOX), H("10-10", HEALTH_SPORTS),
	H("11-03", CULTURE), H("11-04", SUBSTITUTE), H("11-23", LABOUR_THANKSGIVING), { NULL, 0 },
};

static const struct hyear years[] = {
	{ 1985, y1985 }, { 1989, y1989 }, { 2000, y2000 }, { 2007, y2007 }, { 2009, y2009 },
	{ 2015, y2015 }, { 2019, y2019 }, { 2020, y2020 }, { 2021, y2021 }, { 2024, y2024 },
	{ 2025, y2025 }, { 2026, y2026 }, { 2027, y2027 }, { 2033, y2033 },
};

static cal_day ymd(int y, int m, int d)
{
	CU_ASSERT_FATAL(cal_valid_ymd(y, m, d));
	return cal_from_ymd(y, m, d);
}

static void test_whole_years(void)
{
	for (size_t i = 0; i < sizeof years / sizeof years[0]; i++) {
		const struct hyear *e = &years[i];
		struct cal_holiday got[CAL_HOLIDAYS_MAX];
		struct otp_err err;
		int n = cal_holidays(e->year, got, &err);
		int want = 0;
		while (e->days[want].md)
			want++;
		CU_ASSERT_EQUAL(n, want);
		if (n != want)
			fprintf(stderr, "\n  %d: %d holidays, expected %d\n", e->year, n, want);
		for (int k = 0; k < want && k < n; k++) {
			char buf[CAL_DATE_LEN], exp[CAL_DATE_LEN];
			snprintf(exp, sizeof exp, "%04d-%s", e->year, e->days[k].md);
			cal_format(got[k].day, buf);
			CU_ASSERT_STRING_EQUAL(buf, exp);
			CU_ASSERT_EQUAL(got[k].kind, e->days[k].kind);
			if (strcmp(buf, exp) != 0 || got[k].kind != e->days[k].kind)
				fprintf(stderr, "\n  %s %s: expected %s %s\n", buf, cal_holiday_name_en(got[k].kind),
					exp, cal_holiday_name_en(e->days[k].kind));
		}
	}
}

/* Equinox days from the formula, against the Cabinet Office's dates. */
static void test_equinoxes(void)
{
	static const struct {
		int year, vernal, autumnal;
	} eq[] = {
		{ 1980, 20, 23 }, { 1984, 20, 23 }, { 1992, 20, 23 }, { 2011, 21, 23 }, { 2012, 20, 22 },
		{ 2016, 20, 22 }, { 2023, 21, 23 }, { 2024, 20, 22 }, { 2025, 20, 23 }, { 2026, 20, 23 },
		{ 2044, 20, 22 }, { 2048, 20, 22 }, { 2092, 19, 22 }, { 2099, 20, 23 },
	};
	for (size_t i = 0; i < sizeof eq / sizeof eq[0]; i++) {
		enum cal_holiday_kind k = CAL_HOLIDAY_KIND_COUNT;
		struct otp_err err;
		CU_ASSERT_EQUAL(cal_holiday_on(ymd(eq[i].year, 3, eq[i].vernal), &k, &err), 1);
		CU_ASSERT_EQUAL(k, CAL_HOLIDAY_VERNAL_EQUINOX);
		CU_ASSERT_EQUAL(cal_holiday_on(ymd(eq[i].year, 9, eq[i].autumnal), &k, &err), 1);
		CU_ASSERT_EQUAL(k, CAL_HOLIDAY_AUTUMNAL_EQUINOX);
	}
}

/* The law's turning points, one day each: 1 = holiday of that kind, 0 = none. */
static void test_turning_points(void)
{
	static const struct {
		const char *day;
		int holiday;
		enum cal_holiday_kind kind;
	} t[] = {
		{ "1986-05-04", 0, 0 },				/* Sunday: no citizens' holiday */
		{ "1987-05-04", 1, CAL_HOLIDAY_SUBSTITUTE },	/* May 3 was a Sunday */
		{ "1988-04-29", 1, CAL_HOLIDAY_EMPEROR_BIRTHDAY },
		{ "1988-05-04", 1, CAL_HOLIDAY_CITIZENS },	/* the first one */
		{ "1988-12-23", 0, 0 },
		{ "1990-11-12", 1, CAL_HOLIDAY_ENTHRONEMENT_1990 },
		{ "1992-05-04", 1, CAL_HOLIDAY_SUBSTITUTE },	/* May 3 Sunday */
		{ "1993-06-09", 1, CAL_HOLIDAY_ROYAL_WEDDING },
		{ "1995-07-20", 0, 0 },
		{ "1996-07-20", 1, CAL_HOLIDAY_MARINE },
		{ "1997-05-04", 0, 0 },				/* Sunday */
		{ "1999-01-15", 1, CAL_HOLIDAY_COMING_OF_AGE },
		{ "1999-10-10", 1, CAL_HOLIDAY_HEALTH_SPORTS },
		{ "1999-10-11", 1, CAL_HOLIDAY_SUBSTITUTE },
		{ "2000-01-15", 0, 0 },
		{ "2002-09-15", 1, CAL_HOLIDAY_RESPECT_AGED },
		{ "2002-09-16", 1, CAL_HOLIDAY_SUBSTITUTE },
		{ "2003-07-21", 1, CAL_HOLIDAY_MARINE },
		{ "2003-09-15", 1, CAL_HOLIDAY_RESPECT_AGED },
		{ "2006-04-29", 1, CAL_HOLIDAY_GREENERY },
		{ "2006-05-04", 1, CAL_HOLIDAY_CITIZENS },
		{ "2008-05-06", 1, CAL_HOLIDAY_SUBSTITUTE },	/* May 4 Sunday: 2007 rule */
		{ "2015-08-11", 0, 0 },
		{ "2016-08-11", 1, CAL_HOLIDAY_MOUNTAIN },
		{ "2018-12-23", 1, CAL_HOLIDAY_EMPEROR_BIRTHDAY },
		{ "2018-12-24", 1, CAL_HOLIDAY_SUBSTITUTE },
		{ "2019-02-23", 0, 0 },
		{ "2019-12-23", 0, 0 },
		{ "2020-10-12", 0, 0 },				/* Sports Day moved to Jul 24 */
		{ "2020-08-11", 0, 0 },
		{ "2021-07-19", 0, 0 },
		{ "2032-09-21", 1, CAL_HOLIDAY_CITIZENS },
		{ "2037-09-22", 1, CAL_HOLIDAY_CITIZENS },
		{ "2099-12-23", 0, 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		cal_day d;
		struct otp_err err;
		enum cal_holiday_kind k = CAL_HOLIDAY_KIND_COUNT;
		CU_ASSERT_EQUAL_FATAL(cal_parse_date(t[i].day, &d, &err), 0);
		int got = cal_holiday_on(d, &k, &err);
		CU_ASSERT_EQUAL(got, t[i].holiday);
		if (t[i].holiday)
			CU_ASSERT_EQUAL(k, t[i].kind);
		if (got != t[i].holiday || (got && k != t[i].kind))
			fprintf(stderr, "\n  %s: got %d %s\n", t[i].day, got, got ? cal_holiday_name_en(k) : "");
	}
}

/* Invariants over every year: sorted, distinct, within the year, at most
 * CAL_HOLIDAYS_MAX, every substitute right after a Sunday holiday chain,
 * every citizens' holiday between two holidays. */
static void test_every_year_invariants(void)
{
	for (int y = CAL_YEAR_MIN; y <= CAL_YEAR_MAX; y++) {
		struct cal_holiday h[CAL_HOLIDAYS_MAX];
		struct otp_err err;
		int n = cal_holidays(y, h, &err);
		CU_ASSERT_FATAL(n >= 12 && n < CAL_HOLIDAYS_MAX);
		for (int i = 0; i < n; i++) {
			int yy;
			cal_to_ymd(h[i].day, &yy, NULL, NULL);
			CU_ASSERT_EQUAL(yy, y);
			if (i)
				CU_ASSERT(h[i - 1].day < h[i].day);
			if (h[i].kind == CAL_HOLIDAY_SUBSTITUTE) {
				CU_ASSERT(cal_weekday(h[i].day) != 0);
				int j = i - 1;
				while (j >= 0 && h[j].day == h[j + 1].day - 1 && cal_weekday(h[j].day) != 0)
					j--;
				CU_ASSERT(j >= 0 && cal_weekday(h[j].day) == 0 && h[j].kind != CAL_HOLIDAY_SUBSTITUTE);
			}
			if (h[i].kind == CAL_HOLIDAY_CITIZENS)
				CU_ASSERT(i > 0 && i + 1 < n && h[i - 1].day == h[i].day - 1 &&
					  h[i + 1].day == h[i].day + 1);
		}
	}
}

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(cal_holiday_name_ja(CAL_HOLIDAY_SUBSTITUTE), "振替休日");
	CU_ASSERT_STRING_EQUAL(cal_holiday_name_en(CAL_HOLIDAY_SUBSTITUTE), "Substitute Holiday");
	CU_ASSERT_STRING_EQUAL(cal_holiday_name_ja(CAL_HOLIDAY_CITIZENS), "国民の休日");
	CU_ASSERT_STRING_EQUAL(cal_holiday_name_en(CAL_HOLIDAY_CITIZENS), "Citizens' Holiday");
	CU_ASSERT_STRING_EQUAL(cal_holiday_name_ja(CAL_HOLIDAY_SPORTS), "スポーツの日");
	CU_ASSERT_STRING_EQUAL(cal_holiday_name_ja(CAL_HOLIDAY_HEALTH_SPORTS), "体育の日");
	CU_ASSERT_STRING_EQUAL(cal_holiday_name_ja(CAL_HOLIDAY_SHOWA), "昭和の日");
	CU_ASSERT_STRING_EQUAL(cal_holiday_name_ja(CAL_HOLIDAY_GREENERY), "みどりの日");
	for (int k = 0; k < CAL_HOLIDAY_KIND_COUNT; k++) {
		CU_ASSERT(strlen(cal_holiday_name_ja((enum cal_holiday_kind)k)) > 0);
		CU_ASSERT(strlen(cal_holiday_name_en((enum cal_holiday_kind)k)) > 0);
	}
	CU_ASSERT_STRING_EQUAL(cal_holiday_name_en(CAL_HOLIDAY_KIND_COUNT), "?");
}

static void test_refused_years(void)
{
	struct cal_holiday h[CAL_HOLIDAYS_MAX];
	struct otp_err err;
	CU_ASSERT_EQUAL(cal_holidays(1979, h, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "1979"));
	CU_ASSERT_EQUAL(cal_holidays(2100, h, &err), -1);
	CU_ASSERT_EQUAL(cal_holiday_on(ymd(2100, 3, 20), NULL, &err), -1);
	CU_ASSERT_EQUAL(cal_holiday_on(ymd(1979, 12, 31), NULL, &err), -1);
	CU_ASSERT_EQUAL(cal_holidays(1980, h, &err), 12 + 1);	/* 1980: 12 祝日 + Nov 24 substitute */
	CU_ASSERT(cal_holidays(2099, h, &err) > 0);
}

TEST_SUITE(cal_holidays, "cal/holidays", NULL, NULL,
	   TEST(test_whole_years), TEST(test_equinoxes), TEST(test_turning_points),
	   TEST(test_every_year_invariants), TEST(test_names), TEST(test_refused_years))
