/* cal: the business-day calendar of otpdesk. Japanese national holidays
 * (国民の祝日に関する法律 and its amendments, the special laws for one-off
 * days and the Olympic moves), bank closing days, and the due-date rule of
 * branch requests. Everything here is pure: no database, no clock, no
 * locale; dates are day numbers and the time of day is a parameter, so the
 * same answers come from tests, the CLI, the TUI and the batch. The SQL side
 * (schema/010_calendar.sql) implements the same rule over otp.holiday, which
 * db_calendar_sync() fills from this module. See docs/CALENDAR.md. */
#ifndef OTPDESK_CAL_H
#define OTPDESK_CAL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

/* A date: days since 1970-01-01 in the proleptic Gregorian calendar (the
 * same number as PostgreSQL's `day - date '1970-01-01'`). */
typedef int cal_day;

/* Holidays are exact for these years only (the equinox formula's range). */
#define CAL_YEAR_MIN 1980
#define CAL_YEAR_MAX 2099

/* ---- dates ----------------------------------------------------------- */

/* true when y-m-d is a real date with 1 <= y <= 9999. */
bool cal_valid_ymd(int y, int m, int d);
/* Day number of a valid y-m-d (unchecked: call cal_valid_ymd first). */
cal_day cal_from_ymd(int y, int m, int d);
/* The y-m-d of a day number; any pointer may be NULL. */
void cal_to_ymd(cal_day day, int *y, int *m, int *d);
/* 0 = Sunday, 1 = Monday, ..., 6 = Saturday. */
int cal_weekday(cal_day day);
/* The first and last day the calendar knows: 1980-01-01 and 2099-12-31. */
cal_day cal_first_day(void);
cal_day cal_last_day(void);

#define CAL_DATE_LEN 11		/* "YYYY-MM-DD" and its NUL */
/* Write "YYYY-MM-DD" into buf; returns buf. */
char *cal_format(cal_day day, char buf[CAL_DATE_LEN]);
/* Parse exactly "YYYY-MM-DD" (a real date). OTP_ERR_USAGE otherwise. */
int cal_parse_date(const char *s, cal_day *out, struct otp_err *err);
/* Parse "YYYY-MM-DD HH:MM" or "YYYY-MM-DD HH:MM:SS" (also with 'T' between
 * date and time) into a day and seconds after midnight. OTP_ERR_USAGE
 * otherwise. The time is taken as Japan time by the callers. */
int cal_parse_datetime(const char *s, cal_day *day, int *sec, struct otp_err *err);

/* ---- national holidays ----------------------------------------------- */

/* Every kind of holiday: id, Japanese name, English name. */
#define CAL_HOLIDAY_KINDS(X)                                                                 \
	X(NEW_YEAR,            "元日",                       "New Year's Day")               \
	X(COMING_OF_AGE,       "成人の日",                   "Coming of Age Day")            \
	X(FOUNDATION,          "建国記念の日",               "National Foundation Day")      \
	X(EMPEROR_BIRTHDAY,    "天皇誕生日",                 "The Emperor's Birthday")       \
	X(VERNAL_EQUINOX,      "春分の日",                   "Vernal Equinox Day")           \
	X(SHOWA,               "昭和の日",                   "Showa Day")                    \
	X(GREENERY,            "みどりの日",                 "Greenery Day")                 \
	X(CONSTITUTION,        "憲法記念日",                 "Constitution Memorial Day")    \
	X(CHILDREN,            "こどもの日",                 "Children's Day")               \
	X(MARINE,              "海の日",                     "Marine Day")                   \
	X(MOUNTAIN,            "山の日",                     "Mountain Day")                 \
	X(RESPECT_AGED,        "敬老の日",                   "Respect for the Aged Day")     \
	X(AUTUMNAL_EQUINOX,    "秋分の日",                   "Autumnal Equinox Day")         \
	X(HEALTH_SPORTS,       "体育の日",                   "Health and Sports Day")        \
	X(SPORTS,              "スポーツの日",               "Sports Day")                   \
	X(CULTURE,             "文化の日",                   "Culture Day")                  \
	X(LABOUR_THANKSGIVING, "勤労感謝の日",               "Labour Thanksgiving Day")      \
	X(SHOWA_FUNERAL,       "昭和天皇の大喪の礼",         "Funeral of Emperor Showa")     \
	X(ENTHRONEMENT_1990,   "即位礼正殿の儀",             "Enthronement Ceremony")        \
	X(ROYAL_WEDDING,       "皇太子徳仁親王の結婚の儀",   "Wedding of Crown Prince Naruhito") \
	X(ACCESSION_2019,      "天皇の即位の日",             "Day of the Emperor's Accession") \
	X(ENTHRONEMENT_2019,   "即位礼正殿の儀の行われる日", "Enthronement Ceremony Day")    \
	X(SUBSTITUTE,          "振替休日",                   "Substitute Holiday")           \
	X(CITIZENS,            "国民の休日",                 "Citizens' Holiday")

enum cal_holiday_kind {
#define X(id, ja, en) CAL_HOLIDAY_##id,
	CAL_HOLIDAY_KINDS(X)
#undef X
	CAL_HOLIDAY_KIND_COUNT
};

const char *cal_holiday_name_ja(enum cal_holiday_kind kind);
const char *cal_holiday_name_en(enum cal_holiday_kind kind);

struct cal_holiday {
	cal_day day;
	enum cal_holiday_kind kind;
};

/* No year has more holidays than this (2019 has 22). */
#define CAL_HOLIDAYS_MAX 32

/* The national holidays of `year`, in date order, including substitute
 * holidays and citizens' holidays. Returns the count, or -1 with
 * OTP_ERR_USAGE when year is outside CAL_YEAR_MIN..CAL_YEAR_MAX. */
int cal_holidays(int year, struct cal_holiday out[CAL_HOLIDAYS_MAX], struct otp_err *err);

/* 1 when day is a national holiday (kind may be NULL), 0 when not, -1
 * (OTP_ERR_USAGE) when day is outside the calendar's years. */
int cal_holiday_on(cal_day day, enum cal_holiday_kind *kind, struct otp_err *err);

/* ---- bank business days ---------------------------------------------- */

#define CAL_DEFAULT_CUTOFF (15 * 3600)	/* 15:00 Japan time, in seconds */

/* What one branch adds to the national calendar. NULL wherever a branch is
 * taken means: no closing days of its own and the default 15:00 cutoff. */
struct cal_branch {
	const cal_day *closing;	/* its own closing days, strictly ascending */
	size_t nclosing;
	int cutoff;		/* seconds after midnight, Japan time */
};

/* 1 when banks (and this branch) are open on day, 0 when closed: Saturday,
 * Sunday, national holiday, Dec 31 - Jan 3, or a closing day of the
 * branch. -1 (OTP_ERR_USAGE) outside the calendar's years, or
 * OTP_ERR_INTERNAL when the branch's closing days are not ascending. */
int cal_is_business_day(cal_day day, const struct cal_branch *br, struct otp_err *err);

/* *out = day moved by n business days: n > 0, the n-th business day after
 * day; n < 0, the |n|-th business day before it; n = 0, day itself when it
 * is a business day, else the next one. -1 when the walk leaves the
 * calendar's years. */
int cal_business_day_add(cal_day day, int n, const struct cal_branch *br, cal_day *out, struct otp_err *err);

/* The dates of a request received on `day` at `sec` seconds after midnight
 * (Japan time). */
struct cal_due {
	cal_day day1;		/* business day 1 */
	cal_day eligible;	/* business day 2: the batch may execute */
	cal_day due;		/* business day 3: executed by its end */
};

/* The due-date rule: day1 is the receiving day when it is a business day
 * of the branch and sec is before the branch's cutoff (the cutoff itself
 * counts as after), else the next business day; eligible and due are the
 * 2nd and 3rd business days counting day1 as the first. */
int cal_due(cal_day day, int sec, const struct cal_branch *br, struct cal_due *out, struct otp_err *err);

#endif
