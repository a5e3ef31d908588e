/* admin_tui: reads the administrator's screens need beyond db/db.h (the
 * closing days of a branch). Same conventions as db.h: prepared statements
 * with parameters, errors as struct otp_err, no libpq type in this header. */
#ifndef OTPDESK_ADMIN_TUI_H
#define OTPDESK_ADMIN_TUI_H

#include "common/err.h"
#include "db/db.h"

struct db_closing_day {
	char day[16];		/* YYYY-MM-DD */
	char reason[832];	/* up to 200 characters */
	char created_by[64];
};

/* A branch's own closing days with their reasons (otp_api.branch_closing_days;
 * db/calendar.h has the bare dates) from `from`
 * ("YYYY-MM-DD", or NULL/"" for all) in date order; *n <= max. */
int db_admin_closing_days(struct db *db, const char *branch, const char *from, struct db_closing_day *out,
			  int max, int *n, struct otp_err *err);

#endif
