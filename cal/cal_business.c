/* cal_business: bank business days and the due-date rule of branch
 * requests. A bank is closed on Saturdays, Sundays, national holidays and
 * Dec 31 - Jan 3; a branch also on its own closing days. The same rule is
 * implemented in SQL (schema/010_calendar.sql) and the two are compared
 * day by day in tests/db/test_calendar.c: change both or neither. */
#include "cal/cal.h"

static int out_of_range(cal_day day, struct otp_err *err)
{
	char buf[CAL_DATE_LEN];
	otp_err_set(err, OTP_ERR_USAGE, "%s is outside the calendar's range %d-01-01..%d-12-31",
		    cal_format(day, buf), CAL_YEAR_MIN, CAL_YEAR_MAX);
	return -1;
}

static int check_branch(const struct cal_branch *br, struct otp_err *err)
{
	if (!br)
		return 0;
	if (br->nclosing && !br->closing)
		return otp_err_set(err, OTP_ERR_INTERNAL, "branch closing days missing");
	for (size_t i = 1; i < br->nclosing; i++)
		if (br->closing[i - 1] >= br->closing[i])
			return otp_err_set(err, OTP_ERR_INTERNAL, "branch closing days are not strictly ascending");
	if (br->cutoff < 0 || br->cutoff > 24 * 3600)
		return otp_err_set(err, OTP_ERR_INTERNAL, "branch cutoff %d s is not a time of day", br->cutoff);
	return 0;
}

static bool branch_closed(const struct cal_branch *br, cal_day day)
{
	if (!br)
		return false;
	size_t lo = 0, hi = br->nclosing;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (br->closing[mid] < day)
			lo = mid + 1;
		else if (br->closing[mid] > day)
			hi = mid;
		else
			return true;
	}
	return false;
}

/* cal_is_business_day after the branch was checked. */
static int business(cal_day day, const struct cal_branch *br, struct otp_err *err)
{
	if (day < cal_first_day() || day > cal_last_day())
		return out_of_range(day, err);
	int wd = cal_weekday(day);
	if (wd == 0 || wd == 6)
		return 0;
	int m, d;
	cal_to_ymd(day, NULL, &m, &d);
	if ((m == 12 && d == 31) || (m == 1 && d <= 3))
		return 0;
	int h = cal_holiday_on(day, NULL, err);
	if (h != 0)
		return h < 0 ? -1 : 0;
	return branch_closed(br, day) ? 0 : 1;
}

int cal_is_business_day(cal_day day, const struct cal_branch *br, struct otp_err *err)
{
	if (check_branch(br, err) != 0)
		return -1;
	return business(day, br, err);
}

static int add(cal_day day, int n, const struct cal_branch *br, cal_day *out, struct otp_err *err)
{
	int step = n < 0 ? -1 : 1;
	int left = n < 0 ? -n : n;
	int b;
	if (n == 0) {
		while ((b = business(day, br, err)) == 0)
			day++;
		if (b < 0)
			return -1;
	}
	while (left > 0) {
		day += step;
		b = business(day, br, err);
		if (b < 0)
			return -1;
		left -= b;
	}
	*out = day;
	return 0;
}

int cal_business_day_add(cal_day day, int n, const struct cal_branch *br, cal_day *out, struct otp_err *err)
{
	if (check_branch(br, err) != 0)
		return -1;
	if (day < cal_first_day() || day > cal_last_day())
		return out_of_range(day, err);
	return add(day, n, br, out, err);
}

int cal_due(cal_day day, int sec, const struct cal_branch *br, struct cal_due *out, struct otp_err *err)
{
	if (check_branch(br, err) != 0)
		return -1;
	if (sec < 0 || sec >= 24 * 3600)
		return otp_err_set(err, OTP_ERR_USAGE, "time of day %d s is outside 00:00:00..23:59:59", sec);
	int cutoff = br ? br->cutoff : CAL_DEFAULT_CUTOFF;
	int b = business(day, br, err);
	if (b < 0)
		return -1;
	struct cal_due r;
	if (b == 1 && sec < cutoff)
		r.day1 = day;
	else if (add(day, 1, br, &r.day1, err) != 0)
		return -1;
	if (add(r.day1, 1, br, &r.eligible, err) != 0 || add(r.eligible, 1, br, &r.due, err) != 0)
		return -1;
	*out = r;
	return 0;
}
