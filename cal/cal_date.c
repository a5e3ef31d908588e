/* cal_date: day numbers, weekdays, and the strict text forms of dates and
 * times that otpctl and the TUI accept. Pure arithmetic (the civil-date
 * algorithms of the proleptic Gregorian calendar); no locale, no time zone,
 * no libc time functions. */
#include <stdio.h>
#include <string.h>

#include "cal/cal.h"

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

bool cal_valid_ymd(int y, int m, int d)
{
	return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= month_days(y, m);
}

cal_day cal_from_ymd(int y, int m, int d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void cal_to_ymd(cal_day day, int *py, int *pm, int *pd)
{
	int z = day + 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	int doe = z - era * 146097;
	int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int mp = (5 * doy + 2) / 153;
	int d = doy - (153 * mp + 2) / 5 + 1;
	int m = mp < 10 ? mp + 3 : mp - 9;
	int y = yoe + era * 400 + (m <= 2);
	if (py)
		*py = y;
	if (pm)
		*pm = m;
	if (pd)
		*pd = d;
}

int cal_weekday(cal_day day)
{
	/* 1970-01-01 was a Thursday */
	int w = (day + 4) % 7;
	return w < 0 ? w + 7 : w;
}

cal_day cal_first_day(void)
{
	return cal_from_ymd(CAL_YEAR_MIN, 1, 1);
}

cal_day cal_last_day(void)
{
	return cal_from_ymd(CAL_YEAR_MAX, 12, 31);
}

char *cal_format(cal_day day, char buf[CAL_DATE_LEN])
{
	int y, m, d;
	cal_to_ymd(day, &y, &m, &d);
	if (y < 0 || y > 9999)
		y = 0;		/* not reachable from parsed dates; keeps the width */
	snprintf(buf, CAL_DATE_LEN, "%04d-%02d-%02d", y, m, d);
	return buf;
}

/* Read exactly n ASCII digits at s into *v; false if any is not a digit. */
static bool digits(const char *s, int n, int *v)
{
	int x = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return true;
}

/* Parse the date part (10 characters) of s; false when malformed. */
static bool parse_ymd(const char *s, int *y, int *m, int *d)
{
	return digits(s, 4, y) && s[4] == '-' && digits(s + 5, 2, m) && s[7] == '-' && digits(s + 8, 2, d);
}

static int bad_date(const char *s, struct otp_err *err)
{
	otp_err_set(err, OTP_ERR_USAGE, "not a valid date: '%.40s'", s ? s : "");
	otp_err_hint(err, "write dates as YYYY-MM-DD, e.g. 2026-04-01");
	return -1;
}

int cal_parse_date(const char *s, cal_day *out, struct otp_err *err)
{
	int y, m, d;
	if (!s || strlen(s) != 10 || !parse_ymd(s, &y, &m, &d) || !cal_valid_ymd(y, m, d))
		return bad_date(s, err);
	*out = cal_from_ymd(y, m, d);
	return 0;
}

int cal_parse_datetime(const char *s, cal_day *day, int *sec, struct otp_err *err)
{
	int y, mo, d, h, mi, se = 0;
	size_t len = s ? strlen(s) : 0;
	bool ok = (len == 16 || len == 19) && parse_ymd(s, &y, &mo, &d) && (s[10] == ' ' || s[10] == 'T') &&
		  digits(s + 11, 2, &h) && s[13] == ':' && digits(s + 14, 2, &mi) &&
		  (len == 16 || (s[16] == ':' && digits(s + 17, 2, &se)));
	if (!ok || !cal_valid_ymd(y, mo, d) || h > 23 || mi > 59 || se > 59) {
		otp_err_set(err, OTP_ERR_USAGE, "not a valid date and time: '%.40s'", s ? s : "");
		otp_err_hint(err, "write 'YYYY-MM-DD HH:MM' (Japan time), e.g. '2026-11-20 14:30'");
		return -1;
	}
	*day = cal_from_ymd(y, mo, d);
	*sec = h * 3600 + mi * 60 + se;
	return 0;
}
