/* db/auditrow: decoding the verifier's audit rows from COPY (FORMAT
 * binary), with the details column either as text or in jsonb's stored form
 * (migration 045), which is rendered here exactly as PostgreSQL's jsonb
 * output would print it. Private to db/ (db_auditlog.c reads the rows). */
#ifndef OTPDESK_DB_AUDITROW_H
#define OTPDESK_DB_AUDITROW_H

#include <stddef.h>

#include "audit/audit.h"

/* The columns of the verifier's COPY query, in its order. */
#define VERIFY_COLUMNS 18

/* One COPY data message being read. */
struct db_copy_in {
	const unsigned char *p;
	const unsigned char *end;
};

/* A growing text buffer for rendered details (free p when done). */
struct db_jtext {
	char *p;
	size_t len, cap;
};

/* The binary COPY header at the start of in: 0, or -1 when it is not one. */
int db_copy_skip_header(struct db_copy_in *in);
/* The field count of the tuple at in (-1: the end marker; -2: truncated). */
int db_copy_tuple_start(struct db_copy_in *in);
/* The next field: its bytes and length (-1 for NULL). 0, or -1 when truncated. */
int db_copy_next_field(struct db_copy_in *in, const unsigned char **data, int *len);
/* Decode one verifier row into ev (pointing into the message); addr holds
 * the formatted client address. With jt, details is jsonb's stored form,
 * rendered into jt: returns 1 when it cannot be (re-verify from the text
 * stream). 0: decoded; -1: malformed. */
int db_audit_decode_event(struct db_copy_in *in, struct audit_event *ev, char addr[24], struct db_jtext *jt);

#endif
