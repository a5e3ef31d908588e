/* seed: realistic demo data for otpdesk (branches, contracts, tokens in every
 * state, failures, fraud holds, one demo login per role), written straight
 * into the otp.* tables with the superuser connection of the private cluster.
 * It is a bootstrap tool, never a staff action: it bypasses the SQL API and
 * records a single 'demo.seed' audit event. Everything happens in one
 * transaction, so a failure leaves the database as it was. The generated data
 * is a pure function of (contracts, seed, now, lock threshold). */
#ifndef OTPDESK_DB_SEED_H
#define OTPDESK_DB_SEED_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "db/db.h"

#define DB_SEED_DEFAULT_CONTRACTS 2000L
#define DB_SEED_MAX_CONTRACTS     5000000L
#define DB_SEED_DEFAULT_SEED      20240401ULL
/* Credential IDs of demo tokens start with this prefix. */
#define DB_SEED_CREDENTIAL_PREFIX "OTPD"

/* The token states, in the order of db_seed_summary.state[]. */
#define DB_SEED_STATES(X)                    \
	X(ACTIVE,       "ACTIVE")            \
	X(LOCKED,       "LOCKED")            \
	X(UNREGISTERED, "UNREGISTERED")      \
	X(STOPPED,      "STOPPED")

enum db_seed_state {
#define X(id, name) DB_SEED_##id,
	DB_SEED_STATES(X)
#undef X
	DB_SEED_STATE_COUNT
};

/* "ACTIVE", "LOCKED", ... */
const char *db_seed_state_name(enum db_seed_state s);

/* Whether the secondary indexes and foreign keys of the loaded tables are
 * dropped before the COPYs and recreated after (inside the transaction). */
enum db_seed_bulk {
	DB_SEED_BULK_AUTO = 0,	/* from DB_SEED_BULK_MIN contracts on (measured faster at every size) */
	DB_SEED_BULK_ON,
	DB_SEED_BULK_OFF,
};
#define DB_SEED_BULK_MIN 1000L

struct db_seed_opts {
	long contracts;		/* 0..DB_SEED_MAX_CONTRACTS */
	uint64_t seed;		/* PRNG seed: same seed, same data */
	bool reset;		/* replace existing contracts instead of refusing */
	time_t now;		/* timestamps are relative to this; 0 = time(NULL) */
	enum db_seed_bulk bulk;
	/* Called with one line every 100,000 rows and per phase; may be NULL. */
	void (*progress)(void *arg, const char *line);
	void *progress_arg;
};

/* Fill opts with the defaults (DB_SEED_DEFAULT_CONTRACTS, DB_SEED_DEFAULT_SEED). */
void db_seed_opts_init(struct db_seed_opts *opts);

struct db_seed_summary {
	long contracts;
	long state[DB_SEED_STATE_COUNT];
	long failures;
	long fraud_holds;
	int branches;
	int staff;
	int roles_created;	/* demo login roles that did not exist before */
	int lock_threshold;	/* the policy's, used for LOCKED tokens */
	bool bulk;		/* indexes and foreign keys were rebuilt */
	char truncated[512];	/* with reset: the tables emptied, "" otherwise */
	double elapsed;		/* seconds, wall clock */
};

/* Seed the connected database. Needs a superuser connection (OTP_ERR_REFUSED
 * otherwise) and refuses, changing nothing, when otp.contract already has rows
 * unless opts->reset (then contracts, tokens, failures, fraud holds and every
 * table referencing them are truncated first, in the same transaction; the
 * audit log, staff and branches are kept: branches and the demo staff are
 * upserted). Demo login roles (cluster-wide) are created when missing with
 * password = login name; existing ones keep their password. */
int db_seed_run(struct db *db, const struct db_seed_opts *opts, struct db_seed_summary *out,
		struct otp_err *err);

/* The demo logins, for documentation and tests. */
struct db_seed_login {
	const char *login;	/* the password is the login name too */
	const char *group;
	const char *branch;
	const char *display_name;
};
/* The table of demo logins; *n gets its length. */
const struct db_seed_login *db_seed_logins(int *n);

#endif
