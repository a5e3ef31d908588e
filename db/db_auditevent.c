/* db_auditevent: one audit event in full (db/auditevent.h). A single
 * prepared statement on otp_api.audit_events by its primary key; the
 * details JSON is copied out of the PGresult at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/auditevent.h"
#include "db/db_internal.h"

/* $1 event_id, $2 at (timestamptz text). */
static const struct db_stmt S_EVENT = {
	"auditevent_get",
	"SELECT seq, event_id, to_char(at, 'YYYY-MM-DD HH24:MI:SS.US'),"
	" to_char(at, 'YYYY-MM-DD\"T\"HH24:MI:SS.USTZH:TZM'), actor, via_role, event, outcome, reason_code,"
	" client_app, text(client_addr), branch_code, contract_id, credential_id, request_id, details::text,"
	" encode(hash, 'hex'), encode(prev_hash, 'hex'), to_char(sealed_at, 'YYYY-MM-DD HH24:MI:SS.US'),"
	" jsonb_pretty(details)"
	" FROM otp_api.audit_events WHERE event_id = $1::bigint AND at = $2::timestamptz",
	2,
};

/* Copy a column, never keeping half a UTF-8 character when it is cut. */
static void get_text(const PGresult *res, int col, char *dst, size_t size)
{
	db_get(res, 0, col, dst, size);
	size_t n = strlen(dst);
	if (!PQgetisnull(res, 0, col) && (size_t)PQgetlength(res, 0, col) > n) {
		const char *src = PQgetvalue(res, 0, col);
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
		dst[n] = '\0';
	}
}

int db_audit_event_get(struct db *db, long long event_id, const char *at, struct db_audit_event *out,
		       struct otp_err *err)
{
	otp_err_clear(err);
	memset(out, 0, sizeof *out);
	if (!at || !*at)
		return otp_err_set(err, OTP_ERR_USAGE, "no event time given");
	char id[24];
	snprintf(id, sizeof id, "%lld", event_id);
	const char *p[2] = { id, at };
	PGresult *res = db_exec_stmt(db, &S_EVENT, p, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return otp_err_set(err, OTP_ERR_NOTFOUND, "no audit event %lld at %s", event_id, at);
	}
	struct db_audit_row *w = &out->row;
	w->seq = db_get_ll(res, 0, 0);
	w->event_id = db_get_ll(res, 0, 1);
	db_get(res, 0, 2, w->at, sizeof w->at);
	db_get(res, 0, 3, w->cursor, sizeof w->cursor);
	get_text(res, 4, w->actor, sizeof w->actor);
	db_get(res, 0, 5, w->via_role, sizeof w->via_role);
	get_text(res, 6, w->event, sizeof w->event);
	db_get(res, 0, 7, w->outcome, sizeof w->outcome);
	db_get(res, 0, 8, w->reason_code, sizeof w->reason_code);
	get_text(res, 9, w->client_app, sizeof w->client_app);
	db_get(res, 0, 10, w->client_addr, sizeof w->client_addr);
	db_get(res, 0, 11, w->branch_code, sizeof w->branch_code);
	db_get(res, 0, 12, w->contract_id, sizeof w->contract_id);
	db_get(res, 0, 13, w->credential_id, sizeof w->credential_id);
	w->has_request_id = !PQgetisnull(res, 0, 14);
	w->request_id = db_get_ll(res, 0, 14);
	get_text(res, 15, w->details, sizeof w->details);
	db_get(res, 0, 16, w->hash, sizeof w->hash);
	db_get(res, 0, 17, out->prev_hash, sizeof out->prev_hash);
	db_get(res, 0, 18, out->sealed_at, sizeof out->sealed_at);
	out->details_pretty = strdup(PQgetisnull(res, 0, 19) ? "" : PQgetvalue(res, 0, 19));
	PQclear(res);
	if (!out->details_pretty)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	return 0;
}

void db_audit_event_free(struct db_audit_event *ev)
{
	free(ev->details_pretty);
	memset(ev, 0, sizeof *ev);
}
