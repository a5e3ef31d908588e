/* db/workflow: branch requests to UNLOCK or RESET a token under dual control,
 * fraud holds, and the batch that executes approved requests when they fall
 * due (schema/030_workflow.sql, docs/WORKFLOW.md). Every change is one call of
 * an otp_api function, which checks the caller's role, writes the audit event
 * and returns an outcome; a refusal arrives as OTP_ERR_REFUSED with the
 * OD-class SQLSTATE (OD001 role/branch, OD003 state, OD005 dual control, OD006
 * fraud hold) and invalid input as OTP_ERR_USAGE (OD004).
 *
 * Text the teller types is checked here for a My Number (12 consecutive
 * digits once spaces and hyphens are removed) before anything is sent, and
 * again by the server. No PGresult crosses this header. */
#ifndef OTPDESK_DB_WORKFLOW_H
#define OTPDESK_DB_WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>

#include "db/db.h"

/* Request kinds and states: id, the database's spelling. */
#define DB_REQ_KINDS(X)            \
	X(UNLOCK, "UNLOCK")        \
	X(RESET,  "RESET")

#define DB_REQ_STATES(X)               \
	X(SUBMITTED, "SUBMITTED")      \
	X(APPROVED,  "APPROVED")       \
	X(REJECTED,  "REJECTED")       \
	X(EXECUTED,  "EXECUTED")       \
	X(CANCELLED, "CANCELLED")

enum db_req_kind {
#define X(id, s) DB_REQ_##id,
	DB_REQ_KINDS(X)
#undef X
	DB_REQ_KIND_COUNT
};

enum db_req_state {
#define X(id, s) DB_REQ_##id,
	DB_REQ_STATES(X)
#undef X
	DB_REQ_STATE_COUNT
};

const char *db_req_kind_name(enum db_req_kind kind);
const char *db_req_state_name(enum db_req_state state);
/* Parse a kind or state name, case-insensitively; -1 when unknown. */
int db_req_kind_parse(const char *s);
int db_req_state_parse(const char *s);

/* true when text holds 12 consecutive ASCII or full-width digits once
 * spaces and hyphens between digits are removed: what must never be stored. */
bool db_has_my_number(const char *text);

#define DB_RECEIPT_LEN 24	/* "012-20261124-0007" and room for longer counters */
#define DB_DATE_LEN 11		/* "YYYY-MM-DD" */
#define DB_TS_LEN 20		/* "YYYY-MM-DD HH:MM:SS", Japan time */

/* ---- submit ------------------------------------------------------------ */

/* What the teller enters from the paper form and the checks at the counter. */
struct db_request_new {
	const char *contract_id;
	enum db_req_kind kind;
	const char *form_no;		/* as written: 1-20 of [0-9A-Za-z-] */
	const char *doc_type;		/* otp_api.id_document_types.code */
	const char *doc2_type;		/* NULL or "" when none */
	const char *doc_issued;		/* "YYYY-MM-DD" or NULL (required for a passport) */
	bool name_matched;
	bool address_matched;
	bool seal_match;		/* seal on the form == registered seal */
	const char *notes;		/* NULL or free text, at most 500 characters */
};

struct db_receipt {
	char receipt_no[DB_RECEIPT_LEN];
	char day1[DB_DATE_LEN];
	char eligible[DB_DATE_LEN];
	char due[DB_DATE_LEN];
	long long request_id;
};

/* Submit a request as the connected teller. A seal mismatch, a name or
 * address mismatch, a wrong token state, an open request for the same token
 * and a fraud hold are refused (and audited) with nothing stored. */
int db_request_submit(struct db *db, const struct db_request_new *req, struct db_receipt *out,
		      struct otp_err *err);

/* ---- decisions --------------------------------------------------------- */

/* Approve or reject (supervisor of the request's branch or the head office,
 * never the submitter); cancel (teller or supervisor, before execution).
 * reason: 1-500 characters. out may be NULL. */
int db_request_approve(struct db *db, const char *receipt_no, struct db_outcome *out, struct otp_err *err);
int db_request_reject(struct db *db, const char *receipt_no, const char *reason, struct db_outcome *out,
		      struct otp_err *err);
int db_request_cancel(struct db *db, const char *receipt_no, const char *reason, struct db_outcome *out,
		      struct otp_err *err);

/* ---- reading ----------------------------------------------------------- */

struct db_request {
	long long request_id;
	char receipt_no[DB_RECEIPT_LEN];
	char branch_code[4];
	char branch_name[128];
	char contract_id[16];
	char name_kanji[192];
	char name_kana[192];
	enum db_req_kind kind;
	enum db_req_state state;
	char token_state_at_submit[16];
	char token_state[16];		/* now */
	char credential_id[16];		/* at submission */
	char form_no[24];
	char doc_type[48];
	char doc_name_ja[128];
	char doc_name_en[128];
	char doc_issued[DB_DATE_LEN];
	char doc2_type[48];		/* "" when none */
	char doc2_name_ja[128];
	char doc2_name_en[128];
	bool name_matched;
	bool address_matched;
	char id_checked_by[64];
	char seal_result[12];
	char seal_checked_by[64];
	char received_at[DB_TS_LEN];
	char day1[DB_DATE_LEN];
	char eligible[DB_DATE_LEN];
	char due[DB_DATE_LEN];
	char submitted_by[64];
	char submitted_by_name[128];
	char decided_by[64];		/* approver or rejecter, "" when none */
	char decided_by_name[128];
	char decided_at[DB_TS_LEN];
	char reject_reason[1536];
	char executed_by[64];
	char executed_at[DB_TS_LEN];
	char revoked_credential_id[16];
	char cancelled_by[64];
	char cancelled_by_name[128];
	char cancelled_at[DB_TS_LEN];
	char cancel_reason[1536];
	char notes[1536];
	bool is_overdue;		/* open past the end of its due date */
	bool fraud_hold;		/* the contract is under a hold now */
};

/* One request by receipt number; OTP_ERR_NOTFOUND when unknown or out of
 * the caller's scope. */
int db_request_get(struct db *db, const char *receipt_no, struct db_request *out, struct otp_err *err);

/* Which requests a list shows; "" or NULL fields do not filter. */
struct db_request_filter {
	const char *state;		/* a state name */
	const char *branch;		/* a branch code */
	const char *contract_id;
	bool overdue_only;
	bool newest_first;		/* history order; else oldest first (queue) */
};

struct db_request_page {
	struct db_request *rows;
	int n;
	bool more;			/* another page follows */
};

/* A page of requests, keyset-paginated on request_id: after == NULL gives the
 * first page, else the page after that row. limit 1..500. Free the page
 * with db_request_page_free(). */
int db_request_list(struct db *db, const struct db_request_filter *filter, const struct db_request *after,
		    int limit, struct db_request_page *out, struct otp_err *err);
/* A contract's requests, newest first (a shorthand for db_request_list). */
int db_request_history(struct db *db, const char *contract_id, const struct db_request *after, int limit,
		       struct db_request_page *out, struct otp_err *err);
void db_request_page_free(struct db_request_page *page);

/* ---- identity document types ------------------------------------------- */

struct db_id_doc_type {
	char code[48];
	char name_ja[128];
	char name_en[128];
	bool has_address;
	char no_address_if_issued_from[DB_DATE_LEN];	/* "" when always has the address */
	char accepted_from[DB_DATE_LEN];		/* "" when no limit */
	char accepted_until[DB_DATE_LEN];
	bool accepted_today;
	char note[512];
};

/* The table of document types in display order; *n <= max. */
int db_id_doc_types(struct db *db, struct db_id_doc_type *out, int max, int *n, struct otp_err *err);

/* ---- fraud holds (helpdesk, admin) -------------------------------------- */

int db_fraud_hold_set(struct db *db, const char *contract_id, const char *reason, struct db_outcome *out,
		      struct otp_err *err);
int db_fraud_hold_lift(struct db *db, const char *contract_id, const char *reason, struct db_outcome *out,
		       struct otp_err *err);

/* ---- batch (otp_batch) -------------------------------------------------- */

/* Execute one APPROVED request eligible on or before as_of ("YYYY-MM-DD",
 * NULL for today in Japan). *already (may be NULL) says it had been executed
 * before: then nothing changed. */
int db_request_execute(struct db *db, const char *receipt_no, const char *as_of, bool *already,
		       struct db_outcome *out, struct otp_err *err);

struct db_run_due {
	char as_of[DB_DATE_LEN];	/* the day used (today when none given) */
	long due;			/* APPROVED and eligible when listed */
	long executed;
	long already;			/* executed meanwhile by another run */
	long failed;			/* refused or errors; each reported to on_fail */
};

struct db_run_due_opts {
	/* every `every` requests (0: never) and once at the end when anything
	 * was due; called with the run's lock held, from any worker's thread */
	void (*progress)(void *arg, const struct db_run_due *sofar);
	long every;
	/* one call per request that was refused or failed (same lock) */
	void (*on_fail)(void *arg, const char *receipt_no, const struct otp_err *err);
	void *arg;
	/* connections working in parallel (0 or 1: only db; more are opened
	 * with db's parameters, at most 16) */
	int workers;
};

/* The batch: list APPROVED requests eligible on or before as_of (NULL: today,
 * Japan time) in one query, sorted by receipt, then execute them in groups
 * of 50 per call of otp_api.request_execute_batch (one transaction per
 * group, several groups in flight per connection); a request the group step
 * cannot take is executed alone in its own subtransaction, so one failure
 * never loses the others. Safe to run twice or concurrently: the server
 * locks each request row and re-checks its state, so each request is
 * executed exactly once. Returns 0 when the run went through (sum->failed
 * may be > 0), -1 when it could not list or lost a connection (sum holds the
 * counts so far; reconnect db before using it again). opts may be NULL. */
int db_request_run_due(struct db *db, const char *as_of, const struct db_run_due_opts *opts,
		       struct db_run_due *sum, struct otp_err *err);

#endif
