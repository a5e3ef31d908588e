/* db/calendar: the business-day calendar's database side. Fills otp.holiday
 * from the C module cal/ (the one source of the holiday law), reads a
 * branch's own closing days and cutoff (through otp_api views, so a staff
 * login may call these), and asks the server for due dates. Dates cross this
 * header as cal_day numbers; no PGresult does. */
#ifndef OTPDESK_DB_CALENDAR_H
#define OTPDESK_DB_CALENDAR_H

#include <stddef.h>

#include "cal/cal.h"
#include "db/db.h"

/* Make otp.holiday hold exactly cal_holidays() for from_year..to_year
 * (within CAL_YEAR_MIN..CAL_YEAR_MAX): one statement, so one round trip and
 * atomic; idempotent (an unchanged calendar writes nothing). Returns the
 * number of rows inserted, changed or deleted, or -1. A database without
 * otp.holiday yet (010_calendar.sql not applied) is left alone: returns 0.
 * Needs the owner's rights (db_migrate calls it as superuser). */
int db_calendar_sync(struct db *db, int from_year, int to_year, struct otp_err *err);

/* One branch's calendar as the cal_ functions take it: its cutoff (its own,
 * else the policy's) and its closing days in a range. */
struct db_branch_calendar {
	char code[4];
	struct cal_branch cal;	/* cal.closing points into days */
	cal_day *days;		/* malloc'd, ascending */
};

/* Load branch's calendar with its closing days in [from, to], in one round
 * trip. OTP_ERR_USAGE for a malformed code, OTP_ERR_NOTFOUND for an unknown
 * branch. Free with db_branch_calendar_free(). */
int db_branch_calendar(struct db *db, const char *branch, cal_day from, cal_day to,
		       struct db_branch_calendar *out, struct otp_err *err);
void db_branch_calendar_free(struct db_branch_calendar *bc);

/* The branch's own closing days in [from, to], ascending, in *days
 * (malloc'd, caller frees; NULL when *n == 0). Errors as db_branch_calendar. */
int db_branch_closing_days(struct db *db, const char *branch, cal_day from, cal_day to, cal_day **days,
			   size_t *n, struct otp_err *err);

/* The cutoff that applies to branch, in seconds after midnight Japan time:
 * otp.branch.cutoff when set, else otp.policy.cutoff. branch NULL gives the
 * policy's. */
int db_branch_cutoff(struct db *db, const char *branch, int *cutoff, struct otp_err *err);

/* The server's answer (otp_api.due_dates) for a form received at `received`
 * (PostgreSQL timestamptz text; give an offset such as "+09", NULL for
 * now) by branch (NULL: national calendar and policy cutoff). */
int db_due_dates(struct db *db, const char *received, const char *branch, struct cal_due *out,
		 struct otp_err *err);

#endif
