/* token: the reference OTP verifier and the token life cycle over the
 * database: verification (two round trips: read the token, check the code in
 * C, record the outcome with one SQL API call), registration / exchange,
 * stop, provisioning, PSKC import, bulk seeding of demo tokens and seed key
 * rotation. Seeds are sealed at rest (AES-256-GCM, otp/otp.h) under key files
 * outside the database: `<key dir>/seed-key.<version>`, mode 0600.
 *
 * Nothing here ever puts a seed, a code or a sealed blob into an error
 * message, a log line or an audit detail; seeds are wiped right after use.
 * docs/VERIFIER.md describes the algorithm, the results and the exit codes. */
#ifndef OTPDESK_DB_TOKEN_H
#define OTPDESK_DB_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "db/db.h"
#include "otp/otp.h"

/* ---- seed keys --------------------------------------------------------- */

#define DB_KEY_DIR_ENV "OTP_KEY_DIR"
#define DB_KEY_DIR_DEFAULT OTP_SRCDIR "/var/keys"
#define DB_KEY_FILE_PREFIX "seed-key."
#define DB_KEY_VERSION_MAX 9999
#define DB_KEYRING_MAX 64	/* key versions one process keeps open */

/* The key directory and the sealers of its key versions, each loaded from
 * its file on first use and then cached for the keyring's life (a verify
 * never reads a key file). Not thread-safe: one per thread/connection. */
struct db_keyring;

/* The directory in effect: dir when non-NULL and non-empty, else
 * $OTP_KEY_DIR, else DB_KEY_DIR_DEFAULT. */
const char *db_key_dir(const char *dir);
/* Open a keyring on a key directory (see db_key_dir); the directory need
 * not exist yet (then it has no versions). */
int db_keyring_open(struct db_keyring **out, const char *dir, struct otp_err *err);
/* Wipe every cached key schedule and free (NULL is fine). */
void db_keyring_close(struct db_keyring *kr);
const char *db_keyring_dir(const struct db_keyring *kr);
/* The highest key version present in the directory, 0 when none. Re-scans
 * the directory. */
int db_keyring_newest(struct db_keyring *kr, struct otp_err *err);
/* The versions present, ascending; returns how many (<= max) or -1. */
int db_keyring_versions(struct db_keyring *kr, int *out, int max, struct otp_err *err);
/* Create the key file of version newest + 1 (1 for an empty directory,
 * which is created mode 0700 when missing); *version gets it. */
int db_keyring_create(struct db_keyring *kr, int *version, struct otp_err *err);
/* The cached sealer of a key version; OTP_ERR_CRYPTO naming the version
 * when its file is missing, unreadable or has a bad mode. */
struct otp_sealer *db_keyring_sealer(struct db_keyring *kr, int version, struct otp_err *err);
/* Open a sealed seed of credential_id stored under key_version. Every
 * failure is OTP_ERR_CRYPTO naming the credential and the key version (and
 * never any byte of the seed); seed is wiped on failure. */
int db_keyring_unseal(struct db_keyring *kr, const char *credential_id, int key_version, const uint8_t *blob,
		      size_t bloblen, uint8_t *seed, size_t seedsize, size_t *seedlen, struct otp_err *err);

/* ---- verification ------------------------------------------------------ */

/* X(id, word, otpctl verify exit code) */
#define DB_VERIFY_STATUSES(X)                 \
	X(ACCEPTED,   "ACCEPTED",    0)       \
	X(REJECTED,   "REJECTED",   10)       \
	X(LOCKED,     "LOCKED",     11)       \
	X(NOT_ACTIVE, "NOT_ACTIVE", 12)       \
	X(UNKNOWN,    "UNKNOWN",    13)

enum db_verify_status {
#define X(id, word, code) DB_VERIFY_##id,
	DB_VERIFY_STATUSES(X)
#undef X
	DB_VERIFY_STATUS_COUNT
};

/* Why a code failed: the reason column of otp.failure. */
#define DB_FAILURE_REASONS(X)               \
	X(NONE,       "")                   \
	X(WRONG_CODE, "WRONG_CODE")         \
	X(MALFORMED,  "MALFORMED")          \
	X(REPLAY,     "REPLAY")             \
	X(LOCKED,     "LOCKED")             \
	X(NOT_ACTIVE, "NOT_ACTIVE")

enum db_failure_reason {
#define X(id, word) DB_FAILURE_##id,
	DB_FAILURE_REASONS(X)
#undef X
	DB_FAILURE_REASON_COUNT
};

const char *db_verify_status_name(enum db_verify_status s);
/* The exit code of `otpctl verify` for a status (0, 10..13). */
int db_verify_status_exit(enum db_verify_status s);
const char *db_failure_reason_name(enum db_failure_reason r);

struct db_verify_result {
	enum db_verify_status status;
	enum db_failure_reason reason;	/* NONE when ACCEPTED or UNKNOWN */
	int failure_count;		/* the counter after this attempt */
	int remaining;			/* wrong codes left before LOCKED */
	bool locked_now;		/* this very failure locked the token */
	bool auto_unlocked;		/* the policy's auto-unlock applied first */
	int64_t step;			/* matched step when ACCEPTED */
	int drift;			/* recorded drift when ACCEPTED */
	char credential_id[16];
};

/* A verifier: one database connection (the otp_verifier service login), its
 * prepared statements and a keyring. Not thread-safe: one per thread. */
struct db_verifier;

/* Connect (libpq conventions, see db_connect) and open the keyring. */
int db_verifier_open(struct db_verifier **out, const struct db_conn_params *params, const char *key_dir,
		     struct otp_err *err);
/* The same over an existing connection, which the verifier borrows (the
 * caller closes it after db_verifier_close). */
int db_verifier_new(struct db_verifier **out, struct db *db, const char *key_dir, struct otp_err *err);
void db_verifier_close(struct db_verifier *v);
struct db *db_verifier_db(struct db_verifier *v);
/* Text stored with each failure (e.g. the customer's address); "" default. */
void db_verifier_set_client(struct db_verifier *v, const char *client);

/* Verify code for the contract's token at Unix time now. Returns 0 with
 * *out filled for every result (UNKNOWN included), -1 with err for a
 * malformed contract ID (OTP_ERR_USAGE), a seed that cannot be opened
 * (OTP_ERR_CRYPTO; the token is left untouched), a token without a seed, or
 * a database error. A code that is not exactly `digits` digits counts as a
 * failed attempt (reason MALFORMED). At most two round trips. */
int db_verify(struct db_verifier *v, const char *contract_id, const char *code, int64_t now,
	      struct db_verify_result *out, struct otp_err *err);

/* Register (or exchange to) credential_id for the contract with the
 * customer's current code of that credential. A wrong code is refused with
 * SQLSTATE OD010 and counted against the credential. */
int db_token_register(struct db_verifier *v, const char *contract_id, const char *credential_id, const char *code,
		      int64_t now, struct db_outcome *out, struct otp_err *err);
/* Stop the contract's ACTIVE token with a valid code. A wrong code is
 * recorded as a failed verification (it counts towards LOCKED), *vr says
 * how, and the call fails with SQLSTATE OD010. vr may be NULL. */
int db_token_stop(struct db_verifier *v, const char *contract_id, const char *code, int64_t now,
		  struct db_verify_result *vr, struct db_outcome *out, struct otp_err *err);

/* ---- provisioning (otp_admin or otp_verifier) --------------------------- */

struct db_provision_opts {
	const char *prefix;	/* credential prefix, 4 upper-case letters */
	const char *issuer;	/* otpauth issuer */
	enum otp_algo algo;
	unsigned digits;
	unsigned period;
};

#define DB_PROVISION_PREFIX "OTPD"
#define DB_PROVISION_ISSUER "otpdesk"
#define DB_SEED_LEN 20		/* bytes of a new seed (160 bits, as RFC 4226 recommends) */

void db_provision_opts_init(struct db_provision_opts *o);

struct db_provisioned {
	char credential_id[16];
	char mode[16];		/* "register" (token UNREGISTERED) or "exchange" (token ACTIVE) */
	char message[256];
	char uri[512];		/* otpauth:// URI holding the secret: wipe with db_provisioned_wipe */
};
void db_provisioned_wipe(struct db_provisioned *p);

/* Give the contract a new credential and random seed, sealed under the
 * newest key. The token stays as it is until the customer registers. */
int db_token_provision(struct db *db, struct db_keyring *kr, const char *contract_id,
		       const struct db_provision_opts *o, struct db_provisioned *out, struct otp_err *err);

/* Administrators: give every token that has a credential but no seed a
 * random seed sealed under the newest key, in one transaction and one audit
 * event. *count gets the number of tokens seeded. */
int db_token_provision_missing(struct db *db, struct db_keyring *kr, long *count,
			       void (*progress)(void *arg, const char *line), void *arg, struct otp_err *err);

/* Demo only: the current code of a contract's token. Needs a superuser
 * connection (the private cluster's owner) and refuses any other. */
int db_token_demo_code(struct db *db, struct db_keyring *kr, const char *contract_id, int64_t now,
		       char code[OTP_CODE_SIZE], char credential_id[16], struct otp_err *err);

/* ---- PSKC import (administrators) --------------------------------------- */

struct otp_pskc;

struct db_import_opts {
	const char *prefix;	/* for serials that are not credential IDs */
	const char *vendor;	/* stored with each credential; may be NULL */
	const char *source;	/* file name for the audit event */
};
#define DB_IMPORT_PREFIX "OTPV"

struct db_import_row {
	char credential_id[16];
	char serial[64];	/* the vendor's serial number, "" if none */
	char key_id[64];
	bool mapped;		/* the serial was not a credential ID: a new ID was made */
};

/* Import every key of a parsed PSKC container (TOTP keys only; anything
 * else is refused and nothing is imported) as unclaimed stock. rows gets
 * one entry per key (rows may be NULL); maxrows must be >= the key count. */
int db_token_import(struct db *db, struct db_keyring *kr, const struct otp_pskc *p, const struct db_import_opts *o,
		    struct db_import_row *rows, size_t maxrows, size_t *n, struct otp_err *err);

/* ---- key rotation (administrators) -------------------------------------- */

struct db_rotate_stats {
	int version;		/* the key version everything is sealed under afterwards */
	bool created;		/* this run created that key (false: resumed) */
	long resealed;
	long batches;
	long remaining;		/* seeds still under older versions (0 when complete) */
};

/* Re-seal every seed under the newest key, in batches of `batch` seeds, each
 * its own transaction; stops after max_batches (0 = no limit). When every
 * seed already uses the newest key, a new key version is created first;
 * otherwise the run resumes an interrupted rotation. */
int db_keys_rotate(struct db *db, struct db_keyring *kr, int batch, long max_batches, struct db_rotate_stats *st,
		   void (*progress)(void *arg, const char *line), void *arg, struct otp_err *err);

struct db_key_count {
	int version;
	char held_by[8];	/* "token" or "pending" */
	long count;
};
/* Sealed seeds per key version and holder; *n <= max. */
int db_keys_status(struct db *db, struct db_key_count *out, int max, int *n, struct otp_err *err);

#endif
