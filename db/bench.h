/* db/bench: the database side of otpbench's load commands (bench/bench_*.c):
 * set-up reads and baselines that need the private cluster's superuser
 * (sealed seeds of ACTIVE tokens, random keys for lookups, an unchained
 * audit-shaped table, COPY out/in, synthetic approved requests). Never used by
 * otpctl or otpdesk; every function refuses a non-superuser connection
 * except the measured-path ones, which say which login they need. */
#ifndef OTPDESK_DB_BENCH_H
#define OTPDESK_DB_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "db/db.h"
#include "otp/otp.h"

/* ---- verify ---------------------------------------------------------- */

#define DB_BENCH_BLOB_MAX 256

/* An ACTIVE token with a sealed seed, as stored (the seed stays sealed). */
struct db_bench_token {
	char contract_id[16];
	char credential_id[16];
	uint8_t blob[DB_BENCH_BLOB_MAX];
	size_t bloblen;
	int key_version;
	enum otp_algo algo;
	unsigned digits;
	unsigned period;
	int64_t last_step;
	int drift;
};

/* Up to max ACTIVE tokens with a seed, by contract ID (superuser). *out is
 * malloc'ed (free with db_bench_tokens_free, which wipes the blobs). */
int db_bench_tokens(struct db *db, long max, struct db_bench_token **out, long *n, struct otp_err *err);
void db_bench_tokens_free(struct db_bench_token *t, long n);

/* ---- lookup ------------------------------------------------------------ */

/* What the lookup samples are drawn from (superuser). */
enum db_bench_keys {
	DB_BENCH_KEY_CONTRACT,		/* contract IDs */
	DB_BENCH_KEY_CREDENTIAL,	/* credential IDs of tokens */
	DB_BENCH_KEY_KANA,		/* 2-character prefixes of kana names */
};

/* n random keys present in the data (repeats possible); *out is an array
 * of n malloc'ed strings (free with db_bench_strings_free). */
int db_bench_random_keys(struct db *db, enum db_bench_keys kind, long n, char ***out, long *got,
			 struct otp_err *err);
void db_bench_strings_free(char **s, long n);

/* Row counts of otp.contract and otp.audit_event (estimates from pg_class
 * when above a million rows). */
int db_bench_sizes(struct db *db, long long *contracts, long long *audit_events, struct otp_err *err);

/* ---- audit append --------------------------------------------------------- */

/* (Re)create public.bench_audit_plain: otp.audit_event's columns, defaults
 * (its own sequence) and constraints, and the indexes of the month partition
 * that takes today's events (*nindexes of them); not partitioned, no chain
 * (superuser, in the bench database only). */
int db_bench_audit_plain_setup(struct db *db, int *nindexes, struct otp_err *err);
/* One plain INSERT into bench_audit_plain of the row a refused API call
 * writes (any login the superuser granted it to; here the superuser). */
int db_bench_audit_plain_insert(struct db *db, struct otp_err *err);
/* The measured API path: one call of otp_api.audit_seal by a login that is
 * not otp_batch (e.g. a teller). It is refused (OD001) and writes exactly
 * one 'refused' audit event, committed. Returns 0 when it was refused as
 * expected. */
int db_bench_api_refusal(struct db *db, struct otp_err *err);
/* The same row written by otp.audit() itself (the writer every API function
 * uses) into otp.audit_event, without the API's role check (superuser). */
int db_bench_audit_direct(struct db *db, struct otp_err *err);
/* The highest event_id in otp.audit_event (0 when empty). */
int db_bench_audit_max_id(struct db *db, long long *id, struct otp_err *err);
/* Seal lag (sealed_at - at, seconds) of the events after since_id written
 * by login (NULL: this connection's login): percentiles, and how many of
 * them are sealed / not yet. */
int db_bench_seal_lag(struct db *db, long long since_id, const char *login, double *p50, double *p99,
		      double *max, long long *sealed, long long *unsealed, struct otp_err *err);

/* ---- seed copy ---------------------------------------------------------- */

/* CREATE DATABASE name / DROP DATABASE IF EXISTS name (superuser; the name
 * is quoted by the server). */
int db_bench_create_database(struct db *db, const char *name, struct otp_err *err);
int db_bench_drop_database(struct db *db, const char *name, struct otp_err *err);

/* The tables the demo seed loads, in load order; NULL-terminated. */
extern const char *const db_bench_seed_tables[];

/* COPY table (the seed's columns) TO STDOUT into f; *rows gets the count. */
int db_bench_copy_out(struct db *db, const char *table, FILE *f, long long *rows, struct otp_err *err);
/* COPY table FROM STDIN out of f (rewound by the caller); checks *rows. */
int db_bench_copy_in(struct db *db, const char *table, FILE *f, long long rows, struct otp_err *err);
/* BEGIN / COMMIT / ROLLBACK / ANALYZE-free parameterless commands the copy
 * baseline needs: "BEGIN", "COMMIT", "ROLLBACK" only. */
int db_bench_tx(struct db *db, const char *what, struct otp_err *err);

/* ---- batch --------------------------------------------------------------- */

/* Create up to n APPROVED requests eligible on or before as_of (Japan date
 * "YYYY-MM-DD", NULL = today), as request_submit + request_approve would
 * (submitted by demo_teller, approved by demo_supervisor, with their two
 * audit events): UNLOCK for LOCKED tokens first, then RESET for ACTIVE and
 * STOPPED tokens; only tokens without an open request or fraud hold.
 * One transaction (superuser); *made gets the count. */
int db_bench_mkrequests(struct db *db, long n, const char *as_of, long *made, struct otp_err *err);

#endif
