/* db_bench: the database side of otpbench's load commands (db/bench.h).
 * Set-up reads and baselines run as the private cluster's superuser and
 * refuse any other connection; the measured paths (a refused API call, the
 * plain insert baseline) are single prepared statements. Everything goes
 * through PQexecParams or prepared statements; errors through db_fail.
 * Never used by otpctl or otpdesk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "db/bench.h"
#include "db/db_internal.h"

static int need_superuser(struct db *db, struct otp_err *err)
{
	PGresult *res = db_exec(db, "SELECT current_setting('is_superuser')", 0, NULL, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	bool super = strcmp(PQgetvalue(res, 0, 0), "on") == 0;
	PQclear(res);
	if (!super) {
		otp_err_set(err, OTP_ERR_REFUSED, "otpbench set-up needs the private cluster's superuser (connected as %s)",
			    PQuser(db->conn));
		otp_err_hint(err, ". var/pgenv, and point OTP_DSN at a bench database");
		return -1;
	}
	return 0;
}

/* ---- verify ------------------------------------------------------------ */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode lower-case hex into out; -1 when malformed or too long. */
static int unhex(const char *s, uint8_t *out, size_t size, size_t *len)
{
	size_t n = strlen(s);
	if (n % 2 || n / 2 > size)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

int db_bench_tokens(struct db *db, long max, struct db_bench_token **out, long *n, struct otp_err *err)
{
	*out = NULL;
	*n = 0;
	if (need_superuser(db, err) != 0)
		return -1;
	char lim[24];
	snprintf(lim, sizeof lim, "%ld", max);
	const char *p[1] = { lim };
	PGresult *res = db_exec(db,
		"SELECT contract_id, credential_id, encode(seed, 'hex'), key_version, algo, digits, period,"
		"       last_step, drift"
		"  FROM otp.token WHERE state = 'ACTIVE' AND seed IS NOT NULL AND credential_id IS NOT NULL"
		" ORDER BY contract_id LIMIT $1::bigint",
		1, p, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	long rows = PQntuples(res);
	struct db_bench_token *t = calloc((size_t)rows + 1, sizeof *t);
	if (!t) {
		PQclear(res);
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	}
	for (long i = 0; i < rows; i++) {
		struct db_bench_token *k = &t[i];
		db_get(res, (int)i, 0, k->contract_id, sizeof k->contract_id);
		db_get(res, (int)i, 1, k->credential_id, sizeof k->credential_id);
		if (unhex(PQgetvalue(res, (int)i, 2), k->blob, sizeof k->blob, &k->bloblen) != 0 ||
		    otp_algo_parse(PQgetvalue(res, (int)i, 4), &k->algo, err) != 0) {
			otp_err_set(err, OTP_ERR_CRYPTO, "the stored seed of contract %s cannot be read", k->contract_id);
			PQclear(res);
			db_bench_tokens_free(t, rows);
			return -1;
		}
		k->key_version = db_get_int(res, (int)i, 3);
		k->digits = (unsigned)db_get_int(res, (int)i, 5);
		k->period = (unsigned)db_get_int(res, (int)i, 6);
		k->last_step = db_get_ll(res, (int)i, 7);
		k->drift = db_get_int(res, (int)i, 8);
	}
	PQclear(res);
	*out = t;
	*n = rows;
	return 0;
}

void db_bench_tokens_free(struct db_bench_token *t, long n)
{
	if (!t)
		return;
	OPENSSL_cleanse(t, (size_t)n * sizeof *t);
	free(t);
}

/* ---- lookup -------------------------------------------------------------- */

static const char *const key_sql[] = {
	[DB_BENCH_KEY_CONTRACT] = "SELECT contract_id FROM otp.contract ORDER BY random() LIMIT $1::bigint",
	[DB_BENCH_KEY_CREDENTIAL] = "SELECT credential_id FROM otp.token WHERE credential_id IS NOT NULL"
				    " ORDER BY random() LIMIT $1::bigint",
	[DB_BENCH_KEY_KANA] = "SELECT left(name_kana, 2) FROM otp.contract ORDER BY random() LIMIT $1::bigint",
};

int db_bench_random_keys(struct db *db, enum db_bench_keys kind, long n, char ***out, long *got,
			 struct otp_err *err)
{
	*out = NULL;
	*got = 0;
	if ((unsigned)kind > DB_BENCH_KEY_KANA)
		return otp_err_set(err, OTP_ERR_USAGE, "unknown key kind");
	if (need_superuser(db, err) != 0)
		return -1;
	char lim[24];
	snprintf(lim, sizeof lim, "%ld", n);
	const char *p[1] = { lim };
	PGresult *res = db_exec(db, key_sql[kind], 1, p, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	long rows = PQntuples(res);
	if (rows == 0) {
		PQclear(res);
		return otp_err_set(err, OTP_ERR_NOTFOUND, "no keys to sample: is the database seeded?");
	}
	char **s = calloc((size_t)n + 1, sizeof *s);
	if (!s) {
		PQclear(res);
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	}
	for (long i = 0; i < n; i++)	/* fewer rows than n: cycle through them */
		if (!(s[i] = strdup(PQgetvalue(res, (int)(i % rows), 0)))) {
			PQclear(res);
			db_bench_strings_free(s, i);
			return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
		}
	PQclear(res);
	*out = s;
	*got = n;
	return 0;
}

void db_bench_strings_free(char **s, long n)
{
	if (!s)
		return;
	for (long i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

int db_bench_sizes(struct db *db, long long *contracts, long long *audit_events, struct otp_err *err)
{
	PGresult *res = db_exec(db,
		"SELECT (SELECT count(*) FROM otp.contract),"
		"       (SELECT CASE WHEN est > 1000000 THEN est ELSE (SELECT count(*) FROM otp.audit_event) END"
		"          FROM (SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint AS est"
		"                  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
		"                 WHERE i.inhparent = 'otp.audit_event'::regclass) e)",
		0, NULL, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	*contracts = db_get_ll(res, 0, 0);
	*audit_events = db_get_ll(res, 0, 1);
	PQclear(res);
	return 0;
}

/* ---- audit append ----------------------------------------------------------- */

static const char *const plain_setup[] = {
	"DROP TABLE IF EXISTS public.bench_audit_plain",
	"DROP SEQUENCE IF EXISTS public.bench_audit_plain_seq",
	"CREATE SEQUENCE public.bench_audit_plain_seq",
	"CREATE TABLE public.bench_audit_plain (LIKE otp.audit_event INCLUDING DEFAULTS INCLUDING CONSTRAINTS)",
	"ALTER TABLE public.bench_audit_plain ALTER COLUMN event_id SET DEFAULT nextval('public.bench_audit_plain_seq')",
	NULL,
};

/* The indexes of the partition that takes this month's events (created
 * when missing, as the sealer would), rewritten for the plain table: the
 * same shape whatever migrations did to the audit table's indexes. */
static const char plain_indexes_sql[] =
	"SELECT regexp_replace(pg_get_indexdef(i.indexrelid),"
	"                      '^CREATE (UNIQUE )?INDEX \\S+ ON (ONLY )?\\S+',"
	"                      'CREATE \\1INDEX bench_audit_plain_' || i.n || ' ON public.bench_audit_plain')"
	"  FROM (SELECT indexrelid, row_number() OVER (ORDER BY indexrelid) AS n FROM pg_index"
	"         WHERE indrelid = format('otp.%I', otp.audit_partition_ensure(clock_timestamp()))::regclass) i"
	" ORDER BY i.n";

int db_bench_audit_plain_setup(struct db *db, int *nindexes, struct otp_err *err)
{
	*nindexes = 0;
	if (need_superuser(db, err) != 0)
		return -1;
	for (int i = 0; plain_setup[i]; i++) {
		PGresult *res = db_exec(db, plain_setup[i], 0, NULL, PGRES_COMMAND_OK, err);
		if (!res)
			return -1;
		PQclear(res);
	}
	PGresult *defs = db_exec(db, plain_indexes_sql, 0, NULL, PGRES_TUPLES_OK, err);
	if (!defs)
		return -1;
	for (int i = 0; i < PQntuples(defs); i++) {
		PGresult *res = db_exec(db, PQgetvalue(defs, i, 0), 0, NULL, PGRES_COMMAND_OK, err);
		if (!res) {
			PQclear(defs);
			return -1;
		}
		PQclear(res);
		(*nindexes)++;
	}
	PQclear(defs);
	return 0;
}

/* The row otp.refuse_role writes for a teller refused audit.seal. */
static const struct db_stmt S_PLAIN_INSERT = {
	"bench_plain_insert",
	"INSERT INTO public.bench_audit_plain (actor, via_role, event, outcome, reason_code, client_app,"
	" client_addr, branch_code, contract_id, credential_id, request_id, details)"
	" VALUES (session_user, NULL, 'audit.seal', 'refused', 'OD001',"
	" coalesce(current_setting('application_name', true), ''), inet_client_addr(), NULL, NULL, NULL, NULL,"
	" jsonb_build_object('groups', '[\"otp_teller\"]'::jsonb,"
	"   'message', 'audit.seal is not permitted for demo_teller (requires otp_batch)'))",
	0,
};

int db_bench_audit_plain_insert(struct db *db, struct otp_err *err)
{
	PGresult *res = db_exec_stmt(db, &S_PLAIN_INSERT, NULL, PGRES_COMMAND_OK, err);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

static const struct db_stmt S_API_REFUSAL = {
	"bench_api_refusal",
	"SELECT ok, code FROM otp_api.audit_seal(1)",
	0,
};

int db_bench_api_refusal(struct db *db, struct otp_err *err)
{
	PGresult *res = db_exec_stmt(db, &S_API_REFUSAL, NULL, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	bool refused = PQntuples(res) == 1 && !db_get_bool(res, 0, 0) && strcmp(PQgetvalue(res, 0, 1), "OD001") == 0;
	PQclear(res);
	if (!refused)
		return otp_err_set(err, OTP_ERR_INTERNAL, "otp_api.audit_seal was not refused: use a login outside otp_batch");
	return 0;
}

static const struct db_stmt S_AUDIT_DIRECT = {
	"bench_audit_direct",
	"SELECT otp.audit('audit.seal', 'refused', NULL, NULL, NULL, NULL, NULL,"
	" jsonb_build_object('groups', '[\"otp_teller\"]'::jsonb,"
	"   'message', 'audit.seal is not permitted for demo_teller (requires otp_batch)'), 'OD001')",
	0,
};

int db_bench_audit_direct(struct db *db, struct otp_err *err)
{
	PGresult *res = db_exec_stmt(db, &S_AUDIT_DIRECT, NULL, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

int db_bench_audit_max_id(struct db *db, long long *id, struct otp_err *err)
{
	PGresult *res = db_exec(db, "SELECT coalesce(max(event_id), 0) FROM otp.audit_event", 0, NULL,
				PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	*id = db_get_ll(res, 0, 0);
	PQclear(res);
	return 0;
}

int db_bench_seal_lag(struct db *db, long long since_id, const char *login, double *p50, double *p99,
		      double *max, long long *sealed, long long *unsealed, struct otp_err *err)
{
	char since[24];
	snprintf(since, sizeof since, "%lld", since_id);
	const char *p[2] = { since, login };
	PGresult *res = db_exec(db,
		"SELECT coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY lag), 0),"
		"       coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY lag), 0),"
		"       coalesce(max(lag), 0), count(lag), count(*) - count(lag)"
		"  FROM (SELECT extract(epoch FROM sealed_at - at)::float8 AS lag FROM otp.audit_event"
		"         WHERE event_id > $1::bigint AND actor = coalesce($2, session_user)"
		"           AND event = 'audit.seal') e",
		2, p, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	*p50 = strtod(PQgetvalue(res, 0, 0), NULL);
	*p99 = strtod(PQgetvalue(res, 0, 1), NULL);
	*max = strtod(PQgetvalue(res, 0, 2), NULL);
	*sealed = db_get_ll(res, 0, 3);
	*unsealed = db_get_ll(res, 0, 4);
	PQclear(res);
	return 0;
}

/* ---- seed copy ----------------------------------------------------------------- */

int db_bench_create_database(struct db *db, const char *name, struct otp_err *err)
{
	if (need_superuser(db, err) != 0)
		return -1;
	const char *p[1] = { name };
	PGresult *res = db_exec(db, "SELECT format('CREATE DATABASE %I', $1::text)", 1, p, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	char *sql = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!sql)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	res = db_exec(db, sql, 0, NULL, PGRES_COMMAND_OK, err);
	free(sql);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

int db_bench_drop_database(struct db *db, const char *name, struct otp_err *err)
{
	if (need_superuser(db, err) != 0)
		return -1;
	const char *p[1] = { name };
	PGresult *res = db_exec(db, "SELECT format('DROP DATABASE IF EXISTS %I (FORCE)', $1::text)", 1, p,
				PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	char *sql = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!sql)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	res = db_exec(db, sql, 0, NULL, PGRES_COMMAND_OK, err);
	free(sql);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

/* The columns each table gets from the seed (db_seed.c), in load order;
 * branches first (upserted by the seed, present before the baseline's clock
 * starts). */
static const struct {
	const char *table;
	const char *copy_out;
	const char *copy_in;
} seed_tables[] = {
	{ "otp.branch", "COPY otp.branch (code, name, name_en, head_office, cutoff, active) TO STDOUT",
	  "COPY otp.branch (code, name, name_en, head_office, cutoff, active) FROM STDIN" },
	{ "otp.contract", "COPY otp.contract (contract_id, name_kanji, name_kana, address, branch_code, opened) TO STDOUT",
	  "COPY otp.contract (contract_id, name_kanji, name_kana, address, branch_code, opened) FROM STDIN" },
	{ "otp.token",
	  "COPY otp.token (token_id, contract_id, credential_id, state, failure_count, locked_at, registered_at,"
	  " stopped_at) TO STDOUT",
	  "COPY otp.token (token_id, contract_id, credential_id, state, failure_count, locked_at, registered_at,"
	  " stopped_at) FROM STDIN" },
	{ "otp.failure", "COPY otp.failure (token_id, contract_id, at, reason, failure_no, client) TO STDOUT",
	  "COPY otp.failure (token_id, contract_id, at, reason, failure_no, client) FROM STDIN" },
	{ "otp.fraud_hold", "COPY otp.fraud_hold (contract_id, reason, set_by, set_at) TO STDOUT",
	  "COPY otp.fraud_hold (contract_id, reason, set_by, set_at) FROM STDIN" },
};
#define NSEED_TABLES ((int)(sizeof seed_tables / sizeof seed_tables[0]))

const char *const db_bench_seed_tables[] = {
	"otp.branch", "otp.contract", "otp.token", "otp.failure", "otp.fraud_hold", NULL,
};

static int seed_table(const char *table)
{
	for (int i = 0; i < NSEED_TABLES; i++)
		if (strcmp(seed_tables[i].table, table) == 0)
			return i;
	return -1;
}

int db_bench_copy_out(struct db *db, const char *table, FILE *f, long long *rows, struct otp_err *err)
{
	int t = seed_table(table);
	if (t < 0)
		return otp_err_set(err, OTP_ERR_USAGE, "not a table the seed loads: %s", table);
	if (need_superuser(db, err) != 0)
		return -1;
	PGresult *res = PQexec(db->conn, seed_tables[t].copy_out);
	if (!res || PQresultStatus(res) != PGRES_COPY_OUT)
		return db_fail(db, res, err);
	PQclear(res);
	char *buf;
	int len, rc = 0;
	long long n = 0;
	while ((len = PQgetCopyData(db->conn, &buf, 0)) > 0) {
		if (rc == 0 && fwrite(buf, 1, (size_t)len, f) != (size_t)len)
			rc = otp_err_set(err, OTP_ERR_IO, "cannot write the copy of %s", table);
		n++;
		PQfreemem(buf);
	}
	if (len == -2 && rc == 0)
		rc = db_fail(db, NULL, err);
	while ((res = PQgetResult(db->conn))) {
		if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK) {
			rc = db_fail(db, res, err);
			continue;
		}
		PQclear(res);
	}
	if (rc == 0 && fflush(f) != 0)
		rc = otp_err_set(err, OTP_ERR_IO, "cannot write the copy of %s", table);
	*rows = n;
	return rc;
}

int db_bench_copy_in(struct db *db, const char *table, FILE *f, long long rows, struct otp_err *err)
{
	int t = seed_table(table);
	if (t < 0)
		return otp_err_set(err, OTP_ERR_USAGE, "not a table the seed loads: %s", table);
	PGresult *res = PQexec(db->conn, seed_tables[t].copy_in);
	if (!res || PQresultStatus(res) != PGRES_COPY_IN)
		return db_fail(db, res, err);
	PQclear(res);
	static char buf[1 << 18];
	size_t got;
	const char *abort_msg = NULL;
	while ((got = fread(buf, 1, sizeof buf, f)) > 0)
		if (PQputCopyData(db->conn, buf, (int)got) != 1) {
			abort_msg = "send failed";
			break;
		}
	if (!abort_msg && ferror(f))
		abort_msg = "read failed";
	if (PQputCopyEnd(db->conn, abort_msg) != 1)
		return db_fail(db, NULL, err);
	int rc = 0;
	while ((res = PQgetResult(db->conn))) {
		if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK) {
			rc = db_fail(db, res, err);
			continue;
		}
		if (rc == 0 && strtoll(PQcmdTuples(res), NULL, 10) != rows)
			rc = otp_err_set(err, OTP_ERR_INTERNAL, "COPY %s stored %s rows, expected %lld", table,
					 PQcmdTuples(res), rows);
		PQclear(res);
	}
	if (rc == 0 && abort_msg)
		rc = otp_err_set(err, OTP_ERR_IO, "COPY %s: %s", table, abort_msg);
	return rc;
}

int db_bench_tx(struct db *db, const char *what, struct otp_err *err)
{
	if (strcmp(what, "BEGIN") != 0 && strcmp(what, "COMMIT") != 0 && strcmp(what, "ROLLBACK") != 0)
		return otp_err_set(err, OTP_ERR_USAGE, "db_bench_tx: %s is not BEGIN, COMMIT or ROLLBACK", what);
	return db_command(db, what, err);
}

/* ---- batch ------------------------------------------------------------------- */

/* Candidate tokens (LOCKED first: UNLOCK; then ACTIVE and STOPPED: RESET),
 * each request received on the latest day (looking back up to three weeks)
 * whose eligible date is on or before as_of, numbered after the branch's
 * receipt counter of that day, submitted and approved by the demo logins. */
static const char *const mkrequests_sql[] = {
	"CREATE TEMP TABLE bench_req ON COMMIT DROP AS"
	" WITH cand AS ("
	"   SELECT t.token_id, t.contract_id, t.credential_id, t.state, c.branch_code,"
	"          CASE WHEN t.state = 'LOCKED' THEN 'UNLOCK' ELSE 'RESET' END AS kind"
	"     FROM otp.token t JOIN otp.contract c USING (contract_id)"
	"    WHERE t.state IN ('LOCKED', 'ACTIVE', 'STOPPED')"
	"      AND NOT EXISTS (SELECT 1 FROM otp.request r WHERE r.token_id = t.token_id"
	"                       AND r.state IN ('SUBMITTED', 'APPROVED'))"
	"      AND NOT EXISTS (SELECT 1 FROM otp.fraud_hold h WHERE h.contract_id = t.contract_id"
	"                       AND h.lifted_at IS NULL)"
	"    ORDER BY t.state <> 'LOCKED', t.token_id"
	"    LIMIT $1::bigint),"
	" asof AS (SELECT coalesce($2::date, (clock_timestamp() AT TIME ZONE 'Asia/Tokyo')::date) AS d),"
	" recv AS ("
	"   SELECT b.code AS branch_code, x.received, x.day1, x.eligible, x.due"
	"     FROM otp.branch b, asof,"
	"     LATERAL (SELECT r.received, dd.day1, dd.eligible, dd.due"
	"                FROM generate_series(2, 21) k,"
	"                     LATERAL (SELECT ((asof.d - k) + time '10:00') AT TIME ZONE 'Asia/Tokyo' AS received) r,"
	"                     LATERAL otp.due_dates(r.received, b.code) dd"
	"               WHERE dd.eligible <= asof.d ORDER BY k LIMIT 1) x"
	"    WHERE b.code IN (SELECT branch_code FROM cand))"
	" SELECT q.*, nextval(pg_get_serial_sequence('otp.request', 'request_id')) AS request_id,"
	"        format('%s-%s-%s', q.branch_code, to_char(q.rday, 'YYYYMMDD'),"
	"               lpad(q.no::text, greatest(4, length(q.no::text)), '0')) AS receipt_no"
	"   FROM (SELECT cand.*, recv.received, recv.day1, recv.eligible, recv.due,"
	"                (recv.received AT TIME ZONE 'Asia/Tokyo')::date AS rday,"
	"                row_number() OVER (PARTITION BY cand.branch_code ORDER BY cand.token_id)"
	"                  + coalesce((SELECT rc.last_no FROM otp.receipt_counter rc"
	"                               WHERE rc.branch_code = cand.branch_code"
	"                                 AND rc.day = (recv.received AT TIME ZONE 'Asia/Tokyo')::date), 0) AS no"
	"           FROM cand JOIN recv USING (branch_code)) q",
	"INSERT INTO otp.receipt_counter AS rc (branch_code, day, last_no)"
	" SELECT branch_code, rday, max(no) FROM bench_req GROUP BY 1, 2"
	" ON CONFLICT (branch_code, day) DO UPDATE SET last_no = EXCLUDED.last_no",
	"INSERT INTO otp.request (request_id, receipt_no, branch_code, contract_id, token_id, kind, state, token_state,"
	"   credential_id, form_no, doc_type, name_matched, address_matched, id_checked_by, seal_result,"
	"   seal_checked_by, received_at, day1, eligible, due, submitted_by, decided_by, decided_at)"
	" SELECT request_id, receipt_no, branch_code, contract_id, token_id, kind, 'APPROVED', state, credential_id,"
	"        'BENCH-' || token_id, (SELECT code FROM otp.id_document_type WHERE has_address AND no_address_if_issued_from IS NULL"
	"           AND accepted_until IS NULL ORDER BY sort_order LIMIT 1), true, true,"
	"        'demo_teller', 'MATCH', 'demo_teller', received, day1, eligible, due, 'demo_teller',"
	"        'demo_supervisor', received + interval '2 hours'"
	"   FROM bench_req",
	"INSERT INTO otp.audit_event (at, actor, via_role, event, outcome, client_app, branch_code, contract_id,"
	"   credential_id, request_id, details)"
	" SELECT received, 'demo_teller', 'otp_teller', 'request.submit', 'success', 'otpbench', branch_code,"
	"        contract_id, credential_id, request_id,"
	"        jsonb_build_object('kind', kind, 'receipt_no', receipt_no, 'day1', day1, 'eligible', eligible,"
	"                           'due', due, 'bench', true)"
	"   FROM bench_req"
	" UNION ALL"
	" SELECT received + interval '2 hours', 'demo_supervisor', 'otp_supervisor', 'request.approve', 'success',"
	"        'otpbench', branch_code, contract_id, credential_id, request_id,"
	"        jsonb_build_object('receipt_no', receipt_no, 'bench', true)"
	"   FROM bench_req",
	NULL,
};

int db_bench_mkrequests(struct db *db, long n, const char *as_of, long *made, struct otp_err *err)
{
	*made = 0;
	if (need_superuser(db, err) != 0)
		return -1;
	char lim[24];
	snprintf(lim, sizeof lim, "%ld", n);
	const char *p[2] = { lim, as_of && *as_of ? as_of : NULL };
	if (db_command(db, "BEGIN", err) != 0)
		return -1;
	int rc = 0;
	for (int i = 0; rc == 0 && mkrequests_sql[i]; i++) {
		PGresult *res = db_exec(db, mkrequests_sql[i], i == 0 ? 2 : 0, i == 0 ? p : NULL, PGRES_COMMAND_OK, err);
		if (!res) {
			rc = -1;
			break;
		}
		if (i == 2)
			*made = strtol(PQcmdTuples(res), NULL, 10);
		PQclear(res);
	}
	if (rc == 0)
		rc = db_command(db, "COMMIT", err);
	if (rc != 0 && db_connected(db)) {
		struct otp_err ignored;
		db_command(db, "ROLLBACK", &ignored);
		*made = 0;
	}
	return rc;
}
