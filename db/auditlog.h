/* db/auditlog: the database side of the tamper-evident audit log: the
 * sealer's call, checkpoints, the verifier's row stream (binary COPY fed to
 * audit/'s verifier in batches), archives, exports, the auditors' search and
 * exception report. Everything runs through otp_api views and functions
 * (schema/040_audit.sql); no PGresult crosses this header. */
#ifndef OTPDESK_DB_AUDITLOG_H
#define OTPDESK_DB_AUDITLOG_H

#include <stdbool.h>
#include <stdio.h>

#include "audit/audit.h"
#include "db/db.h"

/* ---- sealing (otp_batch) -------------------------------------------------- */

struct db_audit_seal {
	long long sealed;		/* events sealed by this call */
	long long last_seq;		/* the chain head after it */
	long long backlog;		/* unsealed events left (counted up to 100000) */
	char last_hash[2 * AUDIT_HASH_LEN + 1];
	char oldest_unsealed[40];	/* "" when none */
	char note[256];			/* partition maintenance trouble, "" normally */
};

/* One sealer pass: otp_api.audit_seal(max_rows) in its own transaction. */
int db_audit_seal(struct db *db, int max_rows, struct db_audit_seal *out, struct otp_err *err);

/* ---- the chain head and checkpoints (otp_batch, otp_auditor) ------------- */

struct db_audit_head {
	long long seq;			/* 0: nothing sealed yet */
	unsigned char hash[AUDIT_HASH_LEN];
	char sealed_at[40];
	long long unsealed;
	char oldest_unsealed[40];
};

int db_audit_head(struct db *db, struct db_audit_head *out, struct otp_err *err);

/* Store a signed checkpoint (otp_api.audit_checkpoint_add). */
int db_audit_checkpoint_add(struct db *db, const struct audit_checkpoint *cp, struct db_outcome *out,
			    struct otp_err *err);

/* ---- verification (otp_auditor) ------------------------------------------ */

struct db_audit_verify_opts {
	long long from_seq;		/* > 0: start there, trusting that row's prev_hash */
	bool db_checkpoints;		/* also check the checkpoints stored in the database */
	int jobs;			/* > 1: a long healthy chain is read over this many connections */
	long long min_segment;		/* rows per connection at least (0: 100000) */
	/* called about once a second and at the end (may be NULL) */
	void (*progress)(void *ctx, long long rows, long long total, double seconds);
	void *ctx;
};

/* Verify the live chain into v (which may already hold keys, file
 * checkpoints and archive segments) in one REPEATABLE READ snapshot: loads
 * the database's checkpoints, checks every checkpoint signature, decides
 * where the rows start (where v stands after archives; else genesis; else
 * the archive record the live rows continue; else the first row), streams
 * the rows with COPY (FORMAT binary) and finishes v against the chain head.
 * rep is filled whenever the return is 0. */
int db_audit_verify(struct db *db, struct audit_verifier *v, const struct db_audit_verify_opts *o,
		    struct audit_report *rep, struct otp_err *err);

/* ---- search, export (otp_auditor) ---------------------------------------- */

/* Filters; NULL or "" means none. Times are anything PostgreSQL reads as
 * timestamptz ("2025-04-01", "2025-04-01 09:00"); Japan time unless a zone
 * is given. from is inclusive, to exclusive. */
struct db_audit_filter {
	const char *from;
	const char *to;
	const char *contract_id;
	const char *credential_id;
	const char *actor;
	const char *branch_code;
	const char *event;
	const char *outcome;		/* "success" or "refused" */
};

struct db_audit_row {
	long long seq;			/* 0: not sealed yet */
	long long event_id;
	char at[40];			/* "YYYY-MM-DD HH:MM:SS.ffffff" Japan time */
	char cursor[48];		/* at with full precision and zone: the keyset */
	char actor[64];
	char via_role[32];
	char event[64];
	char outcome[16];
	char reason_code[8];
	char client_app[64];
	char client_addr[64];
	char branch_code[8];
	char contract_id[16];
	char credential_id[16];
	bool has_request_id;
	long long request_id;
	char details[1024];		/* jsonb text, cut at 1023 bytes */
	char hash[2 * AUDIT_HASH_LEN + 1];	/* "" when not sealed */
};

struct db_audit_page {
	struct db_audit_row *rows;
	int n;
	bool more;			/* another page follows */
};

/* Newest first, keyset-paginated on (at, event_id): after == NULL gives the
 * first page, else the page after that row. limit 1..500. */
int db_audit_search(struct db *db, const struct db_audit_filter *f, const struct db_audit_row *after, int limit,
		    struct db_audit_page *out, struct otp_err *err);
void db_audit_page_free(struct db_audit_page *page);

enum db_audit_format {
	DB_AUDIT_CSV,		/* COPY ... WITH (FORMAT csv, HEADER) */
	DB_AUDIT_JSONL,		/* one row_to_json object per line */
};

/* Write the matching events in seq order (unsealed ones last) with the
 * columns of docs/AUDIT-FORMAT.md section 6, so the file verifies on its
 * own (otpctl audit verify --export). *rows gets the count. */
int db_audit_export(struct db *db, const struct db_audit_filter *f, enum db_audit_format format, FILE *out,
		    long long *rows, struct otp_err *err);

/* ---- exception report (otp_auditor) -------------------------------------- */

#define DB_AUDIT_EXCEPTION_KINDS(X)                                                            \
	X(SELF_APPROVAL,      "self_approval",      "self-approval attempts (refused, OD005)") \
	X(PRIVILEGE,          "privilege",          "refused privilege attempts (OD001)")      \
	X(OFF_HOURS,          "off_hours",          "actions outside branch hours")            \
	X(UNAPPROVED_EXECUTE, "unapproved_execute", "executed without approval (must be 0)")   \
	X(SELF_APPROVED,      "self_approved",      "approved by the submitter (must be 0)")   \
	X(OVERDUE,            "overdue",            "overdue requests (now)")                  \
	X(FAILURE_BURST,      "failure_burst",      "bursts of failed codes per contract")     \
	X(OWN_CONTRACT,       "own_contract",       "staff acting on their own contract")

enum db_audit_exception_kind {
#define X(id, name, text) DB_AUDIT_EXC_##id,
	DB_AUDIT_EXCEPTION_KINDS(X)
#undef X
	DB_AUDIT_EXC_COUNT
};

const char *db_audit_exception_name(enum db_audit_exception_kind k);
const char *db_audit_exception_text(enum db_audit_exception_kind k);

struct db_audit_exception {
	enum db_audit_exception_kind kind;
	char at[32];			/* "YYYY-MM-DD HH:MM:SS" Japan time, "" if none */
	long long seq;			/* 0 when none */
	long long event_id;		/* 0 when none */
	char actor[64];
	char branch_code[8];
	char contract_id[16];
	long long request_id;		/* 0 when none */
	char event[64];
	char detail[512];
};

struct db_audit_exceptions {
	struct db_audit_exception *rows;
	int n;
	int count[DB_AUDIT_EXC_COUNT];
};

/* The report for from <= at < to (see db_audit_filter for the time syntax);
 * a burst is burst_failures failed codes of one contract within
 * burst_minutes. */
int db_audit_exceptions(struct db *db, const char *from, const char *to, int burst_failures, int burst_minutes,
			struct db_audit_exceptions *out, struct otp_err *err);
void db_audit_exceptions_free(struct db_audit_exceptions *list);

/* ---- archives (otp_auditor) ---------------------------------------------- */

/* Write the archive segment of every event before the Japan-time month
 * `month` ("YYYY-MM") not yet archived: its header line, then one JSON line
 * per event, in one snapshot. hdr gets the header written. Fails (nothing
 * to archive, unsealed events before month, a broken chain) before writing
 * anything when it can. */
int db_audit_archive_write(struct db *db, const char *month, FILE *out, struct audit_archive_header *hdr,
			   struct otp_err *err);
/* Record a written (and verified) segment: otp_api.audit_archive_record. */
int db_audit_archive_record(struct db *db, const struct audit_archive_header *hdr, const char *file_name,
			    const char *file_sha256, struct db_outcome *out, struct otp_err *err);

/* ---- staff holding contracts (otp_admin) ---------------------------------- */

/* Link (add) or unlink a staff login and a contract it holds as a customer. */
int db_audit_staff_contract_set(struct db *db, const char *login, const char *contract_id, bool add,
				struct db_outcome *out, struct otp_err *err);

#endif
