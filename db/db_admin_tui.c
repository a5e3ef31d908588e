/* db_admin_tui: reads for otpdesk's administration screens that db_admin.c
 * does not offer (see db/admin_tui.h). Read-only, through the otp_api views
 * the server grants; one prepared statement each. */
#include <stdio.h>
#include <string.h>

#include "db/admin_tui.h"
#include "db/db_internal.h"

static const struct db_stmt S_CLOSING_DAYS = {
	"admin_tui_closing_days",
	"SELECT to_char(day, 'YYYY-MM-DD'), reason, created_by FROM otp_api.branch_closing_days"
	" WHERE branch_code = $1 AND day >= coalesce(nullif($2, '')::date, '-infinity'::date)"
	" ORDER BY day LIMIT $3",
	3,
};

int db_admin_closing_days(struct db *db, const char *branch, const char *from, struct db_closing_day *out,
			  int max, int *n, struct otp_err *err)
{
	otp_err_clear(err);
	*n = 0;
	if (max < 1)
		return 0;
	char lim[16];
	snprintf(lim, sizeof lim, "%d", max);
	const char *params[3] = { branch, from ? from : "", lim };
	PGresult *res = db_exec_stmt(db, &S_CLOSING_DAYS, params, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	for (int r = 0; r < PQntuples(res) && r < max; r++) {
		struct db_closing_day *d = &out[r];
		db_get(res, r, 0, d->day, sizeof d->day);
		db_get(res, r, 1, d->reason, sizeof d->reason);
		db_get(res, r, 2, d->created_by, sizeof d->created_by);
		(*n)++;
	}
	PQclear(res);
	return 0;
}
