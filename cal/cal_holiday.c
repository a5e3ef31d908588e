/* cal_holiday: Japanese national holidays, 1980-2099. The law is data: one
 * table of dated rules (fixed day, n-th Monday, equinox) with the years each
 * applied, the one-off days of special laws and the Olympic moves as rules of
 * a single year. Substitute holidays (振替休日) and citizens' holidays
 * (国民の休日) are derived from the resulting "national holidays" (祝日)
 * by the rules in force in each year. Sources and amendment years are in
 * docs/CALENDAR.md; this file must never consult a clock or a database. */
#include <stdlib.h>

#include "cal/cal.h"

static const char *const names_ja[] = {
#define X(id, ja, en) [CAL_HOLIDAY_##id] = ja,
	CAL_HOLIDAY_KINDS(X)
#undef X
};

static const char *const names_en[] = {
#define X(id, ja, en) [CAL_HOLIDAY_##id] = en,
	CAL_HOLIDAY_KINDS(X)
#undef X
};

const char *cal_holiday_name_ja(enum cal_holiday_kind kind)
{
	return (unsigned)kind < CAL_HOLIDAY_KIND_COUNT ? names_ja[kind] : "?";
}

const char *cal_holiday_name_en(enum cal_holiday_kind kind)
{
	return (unsigned)kind < CAL_HOLIDAY_KIND_COUNT ? names_en[kind] : "?";
}

enum rule_how {
	FIXED,		/* month/day */
	NTH_MONDAY,	/* the day-th Monday of month (Happy Monday system) */
	VERNAL,		/* 春分日 by the formula */
	AUTUMNAL,	/* 秋分日 by the formula */
};

struct rule {
	enum cal_holiday_kind kind;
	short from, to;		/* years the rule applied, inclusive */
	enum rule_how how;
	signed char month, day;
};

#define EVER 9999

/* 国民の祝日 (and days the special laws made holidays), by the years they applied. */
static const struct rule rules[] = {
	{ CAL_HOLIDAY_NEW_YEAR, 1949, EVER, FIXED, 1, 1 },
	{ CAL_HOLIDAY_COMING_OF_AGE, 1949, 1999, FIXED, 1, 15 },
	{ CAL_HOLIDAY_COMING_OF_AGE, 2000, EVER, NTH_MONDAY, 1, 2 },	/* 1998 amendment */
	{ CAL_HOLIDAY_FOUNDATION, 1967, EVER, FIXED, 2, 11 },		/* 1966 amendment */
	{ CAL_HOLIDAY_EMPEROR_BIRTHDAY, 1949, 1988, FIXED, 4, 29 },
	{ CAL_HOLIDAY_EMPEROR_BIRTHDAY, 1989, 2018, FIXED, 12, 23 },	/* 1989 amendment */
	{ CAL_HOLIDAY_EMPEROR_BIRTHDAY, 2020, EVER, FIXED, 2, 23 },	/* 2017 abdication law; none in 2019 */
	{ CAL_HOLIDAY_VERNAL_EQUINOX, 1949, EVER, VERNAL, 3, 0 },
	{ CAL_HOLIDAY_GREENERY, 1989, 2006, FIXED, 4, 29 },		/* 1989 amendment */
	{ CAL_HOLIDAY_SHOWA, 2007, EVER, FIXED, 4, 29 },		/* 2005 amendment */
	{ CAL_HOLIDAY_CONSTITUTION, 1949, EVER, FIXED, 5, 3 },
	{ CAL_HOLIDAY_GREENERY, 2007, EVER, FIXED, 5, 4 },		/* 2005 amendment */
	{ CAL_HOLIDAY_CHILDREN, 1949, EVER, FIXED, 5, 5 },
	{ CAL_HOLIDAY_MARINE, 1996, 2002, FIXED, 7, 20 },		/* 1995 amendment */
	{ CAL_HOLIDAY_MARINE, 2003, 2019, NTH_MONDAY, 7, 3 },		/* 2001 amendment */
	{ CAL_HOLIDAY_MARINE, 2020, 2020, FIXED, 7, 23 },		/* Olympic special measures */
	{ CAL_HOLIDAY_MARINE, 2021, 2021, FIXED, 7, 22 },
	{ CAL_HOLIDAY_MARINE, 2022, EVER, NTH_MONDAY, 7, 3 },
	{ CAL_HOLIDAY_MOUNTAIN, 2016, 2019, FIXED, 8, 11 },		/* 2014 amendment */
	{ CAL_HOLIDAY_MOUNTAIN, 2020, 2020, FIXED, 8, 10 },		/* Olympic special measures */
	{ CAL_HOLIDAY_MOUNTAIN, 2021, 2021, FIXED, 8, 8 },
	{ CAL_HOLIDAY_MOUNTAIN, 2022, EVER, FIXED, 8, 11 },
	{ CAL_HOLIDAY_RESPECT_AGED, 1966, 2002, FIXED, 9, 15 },		/* 1966 amendment */
	{ CAL_HOLIDAY_RESPECT_AGED, 2003, EVER, NTH_MONDAY, 9, 3 },	/* 2001 amendment */
	{ CAL_HOLIDAY_AUTUMNAL_EQUINOX, 1948, EVER, AUTUMNAL, 9, 0 },
	{ CAL_HOLIDAY_HEALTH_SPORTS, 1966, 1999, FIXED, 10, 10 },	/* 1966 amendment */
	{ CAL_HOLIDAY_HEALTH_SPORTS, 2000, 2019, NTH_MONDAY, 10, 2 },	/* 1998 amendment */
	{ CAL_HOLIDAY_SPORTS, 2020, 2020, FIXED, 7, 24 },		/* 2018 renaming; Olympic moves */
	{ CAL_HOLIDAY_SPORTS, 2021, 2021, FIXED, 7, 23 },
	{ CAL_HOLIDAY_SPORTS, 2022, EVER, NTH_MONDAY, 10, 2 },
	{ CAL_HOLIDAY_CULTURE, 1948, EVER, FIXED, 11, 3 },
	{ CAL_HOLIDAY_LABOUR_THANKSGIVING, 1948, EVER, FIXED, 11, 23 },
	/* one-off days, each by its own law */
	{ CAL_HOLIDAY_SHOWA_FUNERAL, 1989, 1989, FIXED, 2, 24 },
	{ CAL_HOLIDAY_ENTHRONEMENT_1990, 1990, 1990, FIXED, 11, 12 },
	{ CAL_HOLIDAY_ROYAL_WEDDING, 1993, 1993, FIXED, 6, 9 },
	{ CAL_HOLIDAY_ACCESSION_2019, 2019, 2019, FIXED, 5, 1 },
	{ CAL_HOLIDAY_ENTHRONEMENT_2019, 2019, 2019, FIXED, 10, 22 },
};

/* The rules of the substitute holiday: from 1973-04-12 a 祝日 on a Sunday
 * makes the Monday a holiday (when the Monday is no 祝日 itself); from 2007
 * the first following day that is no 祝日. The citizens' holiday applies
 * from 1985-12-27: a day between two 祝日; until 2006 not on a Sunday or a
 * substitute holiday, from 2007 on any day that is no 祝日. All our years
 * are after both starts. */
#define SUBSTITUTE_2007 2007
#define CITIZENS_FROM 1986	/* in force from 1985-12-27: no such day left in 1985 */
#define CITIZENS_2007 2007

/* 春分日/秋分日 by the widely used approximation, valid 1980-2099:
 * floor(C + 0.242194 (y - 1980)) - floor((y - 1980) / 4), computed in
 * integers (millionths) so no rounding can move a day. */
static int equinox_day(int year, long c_millionths)
{
	long k = year - 1980;
	return (int)((c_millionths + 242194L * k) / 1000000L - k / 4);
}

static cal_day nth_monday(int year, int month, int n)
{
	cal_day first = cal_from_ymd(year, month, 1);
	int to_monday = (8 - cal_weekday(first)) % 7;	/* days to the first Monday */
	return first + to_monday + 7 * (n - 1);
}

static cal_day rule_day(const struct rule *r, int year)
{
	switch (r->how) {
	case NTH_MONDAY:
		return nth_monday(year, r->month, r->day);
	case VERNAL:
		return cal_from_ymd(year, 3, equinox_day(year, 20843100L));
	case AUTUMNAL:
		return cal_from_ymd(year, 9, equinox_day(year, 23248800L));
	case FIXED:
	default:
		return cal_from_ymd(year, r->month, r->day);
	}
}

static int cmp_holiday(const void *a, const void *b)
{
	const struct cal_holiday *x = a, *y = b;
	return (x->day > y->day) - (x->day < y->day);
}

static bool in_list(const struct cal_holiday *h, int n, cal_day day)
{
	for (int i = 0; i < n; i++)
		if (h[i].day == day)
			return true;
	return false;
}

int cal_holidays(int year, struct cal_holiday out[CAL_HOLIDAYS_MAX], struct otp_err *err)
{
	if (year < CAL_YEAR_MIN || year > CAL_YEAR_MAX) {
		otp_err_set(err, OTP_ERR_USAGE, "year %d is outside the calendar's range %d-%d", year, CAL_YEAR_MIN,
			    CAL_YEAR_MAX);
		otp_err_hint(err, "the equinox formula and the holiday law are only known for these years");
		return -1;
	}
	int n = 0;
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		if (year >= rules[i].from && year <= rules[i].to && n < CAL_HOLIDAYS_MAX)
			out[n++] = (struct cal_holiday){ .day = rule_day(&rules[i], year), .kind = rules[i].kind };
	qsort(out, (size_t)n, sizeof *out, cmp_holiday);
	int nbase = n;	/* out[0..nbase) are the 祝日, sorted */

	/* 振替休日 */
	for (int i = 0; i < nbase; i++) {
		if (cal_weekday(out[i].day) != 0)
			continue;
		cal_day next = out[i].day + 1;
		if (year >= SUBSTITUTE_2007)
			while (in_list(out, nbase, next))
				next++;
		else if (in_list(out, nbase, next))
			continue;
		if (n < CAL_HOLIDAYS_MAX)
			out[n++] = (struct cal_holiday){ .day = next, .kind = CAL_HOLIDAY_SUBSTITUTE };
	}
	int nsub = n;

	/* 国民の休日: a day between two 祝日 */
	for (int i = 0; year >= CITIZENS_FROM && i + 1 < nbase; i++) {
		cal_day mid = out[i].day + 1;
		if (out[i + 1].day != mid + 1)
			continue;
		if (year < CITIZENS_2007 && (cal_weekday(mid) == 0 || in_list(out + nbase, nsub - nbase, mid)))
			continue;
		if (year >= CITIZENS_2007 && in_list(out + nbase, nsub - nbase, mid))
			continue;
		if (n < CAL_HOLIDAYS_MAX)
			out[n++] = (struct cal_holiday){ .day = mid, .kind = CAL_HOLIDAY_CITIZENS };
	}
	qsort(out, (size_t)n, sizeof *out, cmp_holiday);
	return n;
}

int cal_holiday_on(cal_day day, enum cal_holiday_kind *kind, struct otp_err *err)
{
	int y;
	cal_to_ymd(day, &y, NULL, NULL);
	struct cal_holiday h[CAL_HOLIDAYS_MAX];
	int n = cal_holidays(y, h, err);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (h[i].day == day) {
			if (kind)
				*kind = h[i].kind;
			return 1;
		}
	return 0;
}
