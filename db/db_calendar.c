/* db_calendar: otp.holiday kept equal to the C calendar, and a branch's
 * closing days and cutoff read for the cal_ functions. Arrays travel as
 * PostgreSQL array literals in text parameters (never spliced into SQL);
 * dates as day numbers (date - '1970-01-01'), the same as cal_day. */
#include <stdlib.h>
#include <string.h>

#include "db/calendar.h"
#include "db/db_internal.h"

/* A growing text buffer for array literals. */
struct buf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (b->len + n + 1 > cap)
			cap *= 2;
		char *ns = realloc(b->s, cap);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_int(struct buf *b, long v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof tmp, "%ld", v);
	put(b, tmp, (size_t)n);
}

/* An element of a text[] literal: double-quoted, \ and " escaped. */
static void put_quoted(struct buf *b, const char *s)
{
	put(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			put(b, "\\", 1);
		put(b, s, 1);
	}
	put(b, "\"", 1);
}

/* $1 int[] day numbers, $2 int[] kinds, $3/$4 text[] names by kind (index
 * kind + 1), $5/$6 the first/last day number of the synced range. */
static const struct db_stmt S_SYNC = {
	"calendar_sync",
	"WITH src AS ("
	"  SELECT date '1970-01-01' + s.d AS day, ($3::text[])[s.k + 1] AS name_ja, ($4::text[])[s.k + 1] AS name_en"
	"  FROM unnest($1::int[], $2::int[]) AS s(d, k)),"
	" del AS ("
	"  DELETE FROM otp.holiday h"
	"  WHERE h.day BETWEEN date '1970-01-01' + $5::int AND date '1970-01-01' + $6::int"
	"    AND NOT EXISTS (SELECT 1 FROM src WHERE src.day = h.day)"
	"  RETURNING 1),"
	" ins AS ("
	"  INSERT INTO otp.holiday AS h (day, name_ja, name_en) SELECT day, name_ja, name_en FROM src"
	"  ON CONFLICT (day) DO UPDATE SET name_ja = EXCLUDED.name_ja, name_en = EXCLUDED.name_en"
	"  WHERE (h.name_ja, h.name_en) IS DISTINCT FROM (EXCLUDED.name_ja, EXCLUDED.name_en)"
	"  RETURNING 1)"
	" SELECT (SELECT count(*) FROM del) + (SELECT count(*) FROM ins)",
	6,
};

int db_calendar_sync(struct db *db, int from_year, int to_year, struct otp_err *err)
{
	otp_err_clear(err);
	if (from_year < CAL_YEAR_MIN || to_year > CAL_YEAR_MAX || from_year > to_year)
		return otp_err_set(err, OTP_ERR_USAGE, "years %d-%d are not within %d-%d", from_year, to_year,
				   CAL_YEAR_MIN, CAL_YEAR_MAX);
	struct buf days = { 0 }, kinds = { 0 }, ja = { 0 }, en = { 0 };
	puts_(&days, "{");
	puts_(&kinds, "{");
	for (int y = from_year; y <= to_year; y++) {
		struct cal_holiday h[CAL_HOLIDAYS_MAX];
		int n = cal_holidays(y, h, err);
		if (n < 0)
			goto fail;
		for (int i = 0; i < n; i++) {
			if (days.len > 1) {
				puts_(&days, ",");
				puts_(&kinds, ",");
			}
			put_int(&days, h[i].day);
			put_int(&kinds, h[i].kind);
		}
	}
	puts_(&days, "}");
	puts_(&kinds, "}");
	puts_(&ja, "{");
	puts_(&en, "{");
	for (int k = 0; k < CAL_HOLIDAY_KIND_COUNT; k++) {
		if (k) {
			puts_(&ja, ",");
			puts_(&en, ",");
		}
		put_quoted(&ja, cal_holiday_name_ja((enum cal_holiday_kind)k));
		put_quoted(&en, cal_holiday_name_en((enum cal_holiday_kind)k));
	}
	puts_(&ja, "}");
	puts_(&en, "}");
	if (days.oom || kinds.oom || ja.oom || en.oom) {
		otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
		goto fail;
	}
	char first[16], last[16];
	snprintf(first, sizeof first, "%d", cal_from_ymd(from_year, 1, 1));
	snprintf(last, sizeof last, "%d", cal_from_ymd(to_year, 12, 31));
	const char *params[6] = { days.s, kinds.s, ja.s, en.s, first, last };
	PGresult *res = db_exec_stmt(db, &S_SYNC, params, PGRES_TUPLES_OK, err);
	free(days.s);
	free(kinds.s);
	free(ja.s);
	free(en.s);
	if (res) {
		int changed = db_get_int(res, 0, 0);
		PQclear(res);
		return changed;
	}
	/* No otp.holiday (or no schema otp) yet: nothing to sync. */
	if (strcmp(err->sqlstate, "42P01") == 0 || strcmp(err->sqlstate, "3F000") == 0) {
		struct otp_err probe;
		PGresult *r = db_exec(db, "SELECT to_regclass('otp.holiday') IS NULL", 0, NULL, PGRES_TUPLES_OK,
				      &probe);
		bool absent = r && db_get_bool(r, 0, 0);
		PQclear(r);
		if (absent) {
			otp_err_clear(err);
			return 0;
		}
	}
	return -1;
fail:
	free(days.s);
	free(kinds.s);
	free(ja.s);
	free(en.s);
	return -1;
}

/* ---- branch calendars --------------------------------------------------- */

/* $1 branch code, $2/$3 day numbers of the range. Read through otp_api so
 * staff logins may call it. */
static const struct db_stmt S_BRANCH = {
	"calendar_branch",
	"SELECT b.code,"
	" ceil(extract(epoch FROM coalesce(b.cutoff, (SELECT p.cutoff FROM otp_api.policy p), time '15:00')))::int,"
	" array_to_string(ARRAY(SELECT c.day - date '1970-01-01' FROM otp_api.branch_closing_days c"
	"   WHERE c.branch_code = b.code"
	"     AND c.day BETWEEN date '1970-01-01' + $2::int AND date '1970-01-01' + $3::int"
	"   ORDER BY c.day), ',')"
	" FROM otp_api.branches b WHERE b.code = $1",
	3,
};

static const struct db_stmt S_POLICY_CUTOFF = {
	"calendar_policy_cutoff",
	"SELECT ceil(extract(epoch FROM coalesce((SELECT p.cutoff FROM otp_api.policy p), time '15:00')))::int",
	0,
};

static int check_code(const char *branch, struct otp_err *err)
{
	bool ok = branch && strlen(branch) == 3;
	for (int i = 0; ok && i < 3; i++)
		ok = branch[i] >= '0' && branch[i] <= '9';
	if (!ok) {
		otp_err_set(err, OTP_ERR_USAGE, "not a branch code: '%.20s'", branch ? branch : "");
		otp_err_hint(err, "branch codes are three digits, e.g. 012");
		return -1;
	}
	return 0;
}

/* Parse "n,n,n" (possibly empty) into a malloc'd array. */
static int parse_days(const char *s, cal_day **out, size_t *n, struct otp_err *err)
{
	*out = NULL;
	*n = 0;
	if (!*s)
		return 0;
	size_t count = 1;
	for (const char *p = s; *p; p++)
		count += *p == ',';
	cal_day *v = malloc(count * sizeof *v);
	if (!v)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	size_t k = 0;
	const char *p = s;
	while (*p && k < count) {
		char *end;
		long day = strtol(p, &end, 10);
		if (end == p) {
			free(v);
			return otp_err_set(err, OTP_ERR_INTERNAL, "unexpected closing-day list from the database");
		}
		v[k++] = (cal_day)day;
		p = *end == ',' ? end + 1 : end;
	}
	*out = v;
	*n = k;
	return 0;
}

int db_branch_calendar(struct db *db, const char *branch, cal_day from, cal_day to,
		       struct db_branch_calendar *out, struct otp_err *err)
{
	otp_err_clear(err);
	memset(out, 0, sizeof *out);
	if (check_code(branch, err) != 0)
		return -1;
	char p2[16], p3[16];
	snprintf(p2, sizeof p2, "%d", from);
	snprintf(p3, sizeof p3, "%d", to);
	const char *params[3] = { branch, p2, p3 };
	PGresult *res = db_exec_stmt(db, &S_BRANCH, params, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		otp_err_set(err, OTP_ERR_NOTFOUND, "unknown branch: %s", branch);
		otp_err_hint(err, "check the code on the form; `otpctl branch list` shows the branches");
		return -1;
	}
	db_get(res, 0, 0, out->code, sizeof out->code);
	out->cal.cutoff = db_get_int(res, 0, 1);
	size_t n = 0;
	int rc = parse_days(PQgetvalue(res, 0, 2), &out->days, &n, err);
	PQclear(res);
	if (rc != 0)
		return -1;
	out->cal.closing = out->days;
	out->cal.nclosing = n;
	return 0;
}

void db_branch_calendar_free(struct db_branch_calendar *bc)
{
	free(bc->days);
	memset(bc, 0, sizeof *bc);
}

int db_branch_closing_days(struct db *db, const char *branch, cal_day from, cal_day to, cal_day **days,
			   size_t *n, struct otp_err *err)
{
	struct db_branch_calendar bc;
	*days = NULL;
	*n = 0;
	if (db_branch_calendar(db, branch, from, to, &bc, err) != 0)
		return -1;
	*days = bc.days;
	*n = bc.cal.nclosing;
	return 0;
}

int db_branch_cutoff(struct db *db, const char *branch, int *cutoff, struct otp_err *err)
{
	otp_err_clear(err);
	if (branch) {
		struct db_branch_calendar bc;
		/* an empty range: only the cutoff is wanted */
		if (db_branch_calendar(db, branch, 1, 0, &bc, err) != 0)
			return -1;
		*cutoff = bc.cal.cutoff;
		db_branch_calendar_free(&bc);
		return 0;
	}
	PGresult *res = db_exec_stmt(db, &S_POLICY_CUTOFF, NULL, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	*cutoff = db_get_int(res, 0, 0);
	PQclear(res);
	return 0;
}

/* ---- the server's due dates -------------------------------------------- */

static const struct db_stmt S_DUE = {
	"calendar_due",
	"SELECT d.day1 - date '1970-01-01', d.eligible - date '1970-01-01', d.due - date '1970-01-01'"
	" FROM otp_api.due_dates(coalesce($1::timestamptz, now()), $2) d",
	2,
};

int db_due_dates(struct db *db, const char *received, const char *branch, struct cal_due *out,
		 struct otp_err *err)
{
	otp_err_clear(err);
	if (branch && check_code(branch, err) != 0)
		return -1;
	const char *params[2] = { received, branch };
	PGresult *res = db_exec_stmt(db, &S_DUE, params, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	int rows = PQntuples(res);
	if (rows != 1) {
		PQclear(res);
		return otp_err_set(err, OTP_ERR_INTERNAL, "otp_api.due_dates returned %d rows", rows);
	}
	out->day1 = db_get_int(res, 0, 0);
	out->eligible = db_get_int(res, 0, 1);
	out->due = db_get_int(res, 0, 2);
	PQclear(res);
	return 0;
}
