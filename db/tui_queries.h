/* tui_queries: the few reads otpdesk's screens need beyond db/db.h. Same
 * conventions as db.h: prepared statements with parameters, errors as
 * struct otp_err, no libpq type in this header. */
#ifndef OTPDESK_TUI_QUERIES_H
#define OTPDESK_TUI_QUERIES_H

#include "common/err.h"
#include "db/db.h"

/* The bank's idle-lock policy (otp_api.policy.idle_lock_minutes), in seconds. */
int db_tui_idle_lock_secs(struct db *db, int *secs, struct otp_err *err);

#endif
