/* db: the only code that talks to PostgreSQL. Everything here goes through
 * parameterised statements (PQexecParams or named prepared statements); no
 * PGresult or PGconn crosses this header. Errors come back as struct otp_err
 * with the server's SQLSTATE, message, detail and hint.
 *
 * Area headers beside this one (db/calendar.h, db/token.h, ...) extend the
 * API for one subject each; they share db/db_internal.h. */
#ifndef OTPDESK_DB_H
#define OTPDESK_DB_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

struct db;

/* conninfo: NULL or "" means libpq's defaults (PGHOST, PGSERVICE, ...);
 * otherwise a conninfo string, URI or service ("service=otpdesk") and multi-host
 * strings work as in psql. user/password override when non-NULL. */
struct db_conn_params {
	const char *conninfo;
	const char *user;
	const char *password;
	const char *appname;	/* fallback_application_name */
};

int db_connect(struct db **out, const struct db_conn_params *params, struct otp_err *err);
void db_close(struct db *db);
/* true while the connection is usable */
bool db_connected(const struct db *db);
/* Reconnect with the same parameters (after OTP_ERR_CONNLOST). */
int db_reconnect(struct db *db, struct otp_err *err);
/* The last NOTICE/WARNING the server sent, "" if none; cleared by reading. */
const char *db_last_notice(struct db *db);

/* ---- who am I ---------------------------------------------------------- */

#define DB_ROLES(X)                          \
	X(TELLER,     "otp_teller")          \
	X(SUPERVISOR, "otp_supervisor")      \
	X(HELPDESK,   "otp_helpdesk")        \
	X(AUDITOR,    "otp_auditor")         \
	X(ADMIN,      "otp_admin")           \
	X(VERIFIER,   "otp_verifier")        \
	X(BATCH,      "otp_batch")

enum db_role_bit {
#define X(id, name) DB_ROLE_BIT_##id,
	DB_ROLES(X)
#undef X
	DB_ROLE_COUNT
};
#define DB_ROLE(id) (1u << DB_ROLE_BIT_##id)

/* Name of a role bit ("otp_teller"). */
const char *db_role_name(enum db_role_bit bit);

struct db_whoami {
	char login[64];
	char display_name[128];
	char branch_code[4];
	char branch_name[128];
	char branch_name_en[128];
	char scope[4];		/* "*" all branches, else the branch code */
	unsigned roles;		/* DB_ROLE(...) bits */
};

/* The logged-in staff member; OTP_ERR_REFUSED when the login is not an
 * active staff member. */
int db_whoami(struct db *db, struct db_whoami *out, struct otp_err *err);

/* ---- contracts --------------------------------------------------------- */

struct db_contract {
	char contract_id[16];
	char name_kanji[192];
	char name_kana[192];
	char address[256];
	char branch_code[4];
	char branch_name[128];
	char opened[16];		/* YYYY-MM-DD */
	char credential_id[16];		/* "" when none */
	char token_state[16];		/* UNREGISTERED ACTIVE LOCKED STOPPED */
	int failure_count;
	int lock_threshold;
	char locked_at[32];		/* "YYYY-MM-DD HH:MM:SS" Japan time, "" if none */
	char registered_at[32];
	char stopped_at[32];
	char fraud_hold_reason[512];	/* "" when no hold */
	char fraud_hold_at[32];
};

/* Exact lookups. Malformed IDs fail with OTP_ERR_USAGE before any query;
 * unknown or out-of-scope ones with OTP_ERR_NOTFOUND. */
int db_contract_get(struct db *db, const char *contract_id, struct db_contract *out, struct otp_err *err);
int db_contract_by_credential(struct db *db, const char *credential_id, struct db_contract *out,
			      struct otp_err *err);

struct db_contract_page {
	struct db_contract *rows;
	int n;
	bool more;		/* another page follows */
};

/* Kana-name prefix search, keyset-paginated on (name_kana, contract_id):
 * after == NULL gives the first page, else the page after that row.
 * Hiragana in the prefix is folded to katakana. */
int db_contract_search_kana(struct db *db, const char *prefix, const struct db_contract *after, int limit,
			    struct db_contract_page *out, struct otp_err *err);
void db_contract_page_free(struct db_contract_page *page);

struct db_failure {
	long long failure_id;
	char at[32];
	char reason[16];
	int failure_no;
	char client[64];
};

/* Most recent failures of a contract's token, newest first; *n <= max. */
int db_failures_recent(struct db *db, const char *contract_id, struct db_failure *out, int max, int *n,
		       struct otp_err *err);

/* ---- SQL API outcomes -------------------------------------------------- */

/* What an otp_api function returned. ok == false arrives as an error with
 * kind OTP_ERR_REFUSED and the OD-class SQLSTATE; ref is what the action
 * created (receipt number, login, ...). */
struct db_outcome {
	char message[512];
	char ref[128];
	char data[1024];	/* jsonb text */
};

/* ---- administration (db_admin.c) --------------------------------------- */

/* Create a staff login; the password is turned into a SCRAM verifier here,
 * so it never travels in clear. groups: comma-separated group role names. */
int db_staff_create(struct db *db, const char *login, const char *display_name, const char *branch,
		    const char *groups, const char *password, struct db_outcome *out, struct otp_err *err);

/* Activate or deactivate a staff login (deactivation also removes LOGIN). */
int db_staff_set_active(struct db *db, const char *login, bool active, struct db_outcome *out,
			struct otp_err *err);
/* Replace a staff login's groups (comma-separated). Nobody changes their own. */
int db_staff_set_groups(struct db *db, const char *login, const char *groups, struct db_outcome *out,
			struct otp_err *err);
/* Set a login's password: administrators for anyone, staff for themselves. */
int db_staff_set_password(struct db *db, const char *login, const char *password, struct db_outcome *out,
			  struct otp_err *err);

struct db_staff {
	char login[64];
	char display_name[128];
	char branch_code[4];
	bool active;
	char roles[160];	/* comma-separated group roles */
	char created_at[32];
};
/* Staff list (administrators, auditors, supervisors), by login; *n <= max. */
int db_staff_list(struct db *db, struct db_staff *out, int max, int *n, struct otp_err *err);

/* Create or update a branch; cutoff "HH:MM" or NULL/"" for the policy's. */
int db_branch_upsert(struct db *db, const char *code, const char *name, const char *name_en, bool head_office,
		     const char *cutoff, struct db_outcome *out, struct otp_err *err);

struct db_branch {
	char code[4];
	char name[128];
	char name_en[128];
	bool head_office;
	char cutoff[8];		/* "" when the policy's cutoff applies */
	bool active;
};
int db_branch_list(struct db *db, struct db_branch *out, int max, int *n, struct otp_err *err);

/* Add (add = true, reason required) or remove a branch's own closing day. */
int db_branch_closing_day(struct db *db, const char *branch, const char *day, bool add, const char *reason,
			  struct db_outcome *out, struct otp_err *err);

struct db_policy {
	int lock_threshold;
	int window_steps;
	char cutoff[8];			/* HH:MM */
	int auto_unlock_minutes;	/* 0 = off */
	int idle_lock_minutes;
	char updated_at[32];
	char updated_by[64];
};
int db_policy_get(struct db *db, struct db_policy *out, struct otp_err *err);
/* Change the policy: a negative number or NULL/"" leaves that setting as it
 * is; auto_unlock_minutes = 0 turns automatic unlock off. */
int db_policy_set(struct db *db, int lock_threshold, int window_steps, const char *cutoff,
		  int auto_unlock_minutes, int idle_lock_minutes, struct db_outcome *out, struct otp_err *err);

/* ---- migrations (db_migrate.c; superuser connection) ------------------- */

/* Apply schema/NNN_*.sql files from dir in name order, each in its own
 * transaction, recording name and SHA-256 in otp_meta.migration. Already
 * applied files are skipped; a changed applied file is an error. progress
 * (may be NULL) gets one line per applied file. Returns the count applied. */
int db_migrate(struct db *db, const char *dir, void (*progress)(const char *line), struct otp_err *err);

#endif
