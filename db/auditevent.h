/* db/auditevent: one audit event in full, for the auditors' event detail
 * screen: every column of otp_api.audit_events including the chain fields
 * (prev_hash, hash, sealed_at) and the whole details JSON pretty-printed by
 * the server (db_audit_search cuts details at 1023 bytes and has no
 * prev_hash). Read through the auditors' view only; no PGresult crosses this
 * header. */
#ifndef OTPDESK_DB_AUDITEVENT_H
#define OTPDESK_DB_AUDITEVENT_H

#include "db/auditlog.h"

struct db_audit_event {
	struct db_audit_row row;	/* row.details holds the start of the compact JSON */
	char prev_hash[2 * AUDIT_HASH_LEN + 1];	/* "" when not sealed */
	char sealed_at[40];		/* "YYYY-MM-DD HH:MM:SS.ffffff" Japan time, "" when not sealed */
	char *details_pretty;		/* jsonb_pretty(details), malloc'd; never NULL after success */
};

/* The event with this event_id at this time (the row's cursor from
 * db_audit_search: the primary key is (event_id, at), so this reads one
 * partition's index). OTP_ERR_NOTFOUND when no such event; the view's
 * privilege refusal (not an auditor) as the server's error. */
int db_audit_event_get(struct db *db, long long event_id, const char *at, struct db_audit_event *out,
		       struct otp_err *err);
void db_audit_event_free(struct db_audit_event *ev);

#endif
