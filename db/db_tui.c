/* db_tui: reads for otpdesk's screens that no other db/ area offers (see
 * db/tui_queries.h). Read-only; one prepared statement each. */
#include "db/db_internal.h"
#include "db/tui_queries.h"

static const struct db_stmt S_IDLE_LOCK = {
	"tui_idle_lock",
	"SELECT idle_lock_minutes FROM otp_api.policy",
	0,
};

int db_tui_idle_lock_secs(struct db *db, int *secs, struct otp_err *err)
{
	otp_err_clear(err);
	*secs = 0;
	PGresult *res = db_exec_stmt(db, &S_IDLE_LOCK, NULL, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return otp_err_set(err, OTP_ERR_INTERNAL, "the policy table does not have exactly one row");
	}
	*secs = db_get_int(res, 0, 0) * 60;
	PQclear(res);
	return 0;
}
