/* db_auditlog: the audit log's calls (see db/auditlog.h). Bulk reads use
 * COPY ... TO STDOUT: the verifier's rows in binary format, decoded here
 * into struct audit_event batches that point into libpq's buffers; exports
 * as CSV or binary-wrapped JSON lines written straight to the file. COPY
 * takes no parameters, so values reach its query through transaction-local
 * settings (set_config(..., true)) read with current_setting(): the SQL
 * text stays constant and nothing is spliced into it. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/auditlog.h"
#include "db/auditrow.h"
#include "db/db_internal.h"

#define BATCH 1024		/* rows between progress reports */

/* ---- small helpers -------------------------------------------------------- */

/* Copy column col, cutting at a UTF-8 character boundary to fit. */
static void get_utf8(const PGresult *res, int row, int col, char *dst, size_t size)
{
	db_get(res, row, col, dst, size);
	const char *src = PQgetvalue(res, row, col);
	size_t n = strlen(dst);
	if (!PQgetisnull(res, row, col) && (size_t)PQgetlength(res, row, col) > n) {
		/* src[n] is the first byte left out: never keep half a character */
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
		dst[n] = '\0';
	}
}

/* A statement returning one otp_api.outcome row followed by extra columns:
 * the result when ok, else the refusal as an error. */
static PGresult *outcome_result(struct db *db, const struct db_stmt *stmt, const char *const *params,
				struct otp_err *err)
{
	PGresult *res = db_exec_stmt(db, stmt, params, PGRES_TUPLES_OK, err);
	if (!res)
		return NULL;
	if (PQntuples(res) != 1 || PQnfields(res) < 5) {
		PQclear(res);
		otp_err_set(err, OTP_ERR_INTERNAL, "%s: unexpected result shape", stmt->name);
		return NULL;
	}
	if (!db_get_bool(res, 0, 0)) {
		otp_err_set(err, OTP_ERR_REFUSED, "%s", PQgetvalue(res, 0, 2));
		db_get(res, 0, 1, err->sqlstate, sizeof err->sqlstate);
		PQclear(res);
		return NULL;
	}
	return res;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Set the transaction-local settings a COPY query reads (names[i] = values[i]). */
static const struct db_stmt S_SET4 = {
	"audit_set4",
	"SELECT set_config($1, coalesce($2, ''), true), set_config($3, coalesce($4, ''), true),"
	" set_config($5, coalesce($6, ''), true), set_config($7, coalesce($8, ''), true)",
	8,
};

static int set_params(struct db *db, int n, const char *const *names, const char *const *values,
		      struct otp_err *err)
{
	for (int i = 0; i < n; i += 4) {
		const char *p[8];
		for (int k = 0; k < 4; k++) {
			p[2 * k] = i + k < n ? names[i + k] : "otp_audit.unused";
			p[2 * k + 1] = i + k < n ? values[i + k] : "";
		}
		PGresult *res = db_exec_stmt(db, &S_SET4, p, PGRES_TUPLES_OK, err);
		if (!res)
			return -1;
		PQclear(res);
	}
	return 0;
}

static void rollback_quietly(struct db *db)
{
	if (db->conn && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		PQclear(PQexec(db->conn, "ROLLBACK"));
}

/* Start a COPY TO STDOUT; 0 or -1. */
static int copy_start(struct db *db, const char *sql, struct otp_err *err)
{
	PGresult *res = PQexec(db->conn, sql);
	if (!res || PQresultStatus(res) != PGRES_COPY_OUT)
		return db_fail(db, res, err);
	PQclear(res);
	return 0;
}

/* After PQgetCopyData returned -1 or -2: the COPY's own result. */
static int copy_finish(struct db *db, bool cancelled, struct otp_err *err)
{
	int rc = 0;
	PGresult *res;
	while ((res = PQgetResult(db->conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0 && !cancelled)
			rc = db_fail(db, res, err);
		else
			PQclear(res);
	}
	if (rc == 0 && PQstatus(db->conn) != CONNECTION_OK)
		rc = db_fail(db, NULL, err);
	return rc;
}

static void copy_cancel(struct db *db)
{
	PGcancel *c = PQgetCancel(db->conn);
	char buf[256];
	if (c) {
		PQcancel(c, buf, sizeof buf);
		PQfreeCancel(c);
	}
}

/* ---- sealing, head, checkpoints ------------------------------------------- */

static const struct db_stmt S_SEAL = {
	"audit_seal",
	"SELECT o.ok, o.code, o.message, o.ref, o.data,"
	" (o.data ->> 'sealed')::bigint, (o.data ->> 'last_seq')::bigint, (o.data ->> 'backlog')::bigint,"
	" o.data ->> 'last_hash', to_char((o.data ->> 'oldest_unsealed')::timestamptz, 'YYYY-MM-DD HH24:MI:SS.MS'),"
	" o.data ->> 'note'"
	" FROM otp_api.audit_seal($1::integer) o",
	1,
};

int db_audit_seal(struct db *db, int max_rows, struct db_audit_seal *out, struct otp_err *err)
{
	otp_err_clear(err);
	memset(out, 0, sizeof *out);
	char n[16];
	snprintf(n, sizeof n, "%d", max_rows);
	const char *p[1] = { n };
	PGresult *res = outcome_result(db, &S_SEAL, p, err);
	if (!res)
		return -1;
	out->sealed = db_get_ll(res, 0, 5);
	out->last_seq = db_get_ll(res, 0, 6);
	out->backlog = db_get_ll(res, 0, 7);
	db_get(res, 0, 8, out->last_hash, sizeof out->last_hash);
	db_get(res, 0, 9, out->oldest_unsealed, sizeof out->oldest_unsealed);
	db_get(res, 0, 10, out->note, sizeof out->note);
	PQclear(res);
	return 0;
}

static const struct db_stmt S_HEAD = {
	"audit_head",
	"SELECT seq, encode(hash, 'hex'), to_char(sealed_at, 'YYYY-MM-DD HH24:MI:SS.MS'), unsealed,"
	" to_char(oldest_unsealed, 'YYYY-MM-DD HH24:MI:SS.MS') FROM otp_api.audit_chain_head",
	0,
};

static int head_from(const PGresult *res, struct db_audit_head *out, struct otp_err *err)
{
	memset(out, 0, sizeof *out);
	if (PQntuples(res) != 1)
		return otp_err_set(err, OTP_ERR_INTERNAL, "the audit chain head is missing");
	out->seq = db_get_ll(res, 0, 0);
	if (audit_unhex(PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1), out->hash, AUDIT_HASH_LEN) != 0)
		return otp_err_set(err, OTP_ERR_INTERNAL, "the audit chain head's hash is malformed");
	db_get(res, 0, 2, out->sealed_at, sizeof out->sealed_at);
	out->unsealed = db_get_ll(res, 0, 3);
	db_get(res, 0, 4, out->oldest_unsealed, sizeof out->oldest_unsealed);
	return 0;
}

int db_audit_head(struct db *db, struct db_audit_head *out, struct otp_err *err)
{
	otp_err_clear(err);
	PGresult *res = db_exec_stmt(db, &S_HEAD, NULL, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	int rc = head_from(res, out, err);
	PQclear(res);
	return rc;
}

static const struct db_stmt S_CHECKPOINT_ADD = {
	"audit_checkpoint_add",
	"SELECT * FROM otp_api.audit_checkpoint_add($1::bigint, decode($2, 'hex'), to_timestamp($3::bigint),"
	" $4, decode($5, 'hex'))",
	5,
};

int db_audit_checkpoint_add(struct db *db, const struct audit_checkpoint *cp, struct db_outcome *out,
			    struct otp_err *err)
{
	char seq[24], t[24], hash[2 * AUDIT_HASH_LEN + 1], sig[2 * AUDIT_SIG_LEN + 1];
	snprintf(seq, sizeof seq, "%lld", (long long)cp->seq);
	snprintf(t, sizeof t, "%lld", (long long)cp->time);
	audit_hex(cp->hash, AUDIT_HASH_LEN, hash);
	audit_hex(cp->sig, AUDIT_SIG_LEN, sig);
	const char *p[5] = { seq, hash, t, cp->key_id, sig };
	return db_call(db, &S_CHECKPOINT_ADD, p, out, err);
}

/* ---- verification --------------------------------------------------------- */

static const struct db_stmt S_CHECKPOINTS = {
	"audit_checkpoints",
	"SELECT checkpoint_id, seq, encode(hash, 'hex'), signed_epoch, key_id, encode(signature, 'hex')"
	" FROM otp_api.audit_checkpoints ORDER BY seq, checkpoint_id",
	0,
};

/* The last archive record, and how many rows of its range the live table
 * still holds (all of them until partitions are dropped). */
static const struct db_stmt S_ARCHIVE_ANCHOR = {
	"audit_archive_anchor",
	"SELECT a.last_seq, encode(a.last_hash, 'hex'), a.file_name,"
	" (SELECT count(*) FROM otp_api.audit_events e WHERE e.seq BETWEEN 1 AND a.last_seq)"
	" FROM otp_api.audit_archives a ORDER BY a.last_seq DESC LIMIT 1",
	0,
};

#define VERIFY_SELECT(details)                                                                          \
	"COPY (SELECT seq, event_id, at, actor, via_role, event, outcome, reason_code, client_app,"      \
	" client_addr, branch_code, contract_id, credential_id, request_id, " details ", prev_hash, hash," \
	" CASE WHEN family(client_addr) = 6 THEN text(client_addr) END"                                 \
	" FROM otp_api.audit_events"                                                                    \
	" WHERE seq BETWEEN current_setting('otp_audit.from')::bigint AND current_setting('otp_audit.to')::bigint" \
	" ORDER BY seq) TO STDOUT (FORMAT binary)"	/* by seq alone: each partition's unique index, no re-sort */

/* The verdict's stream: details as PostgreSQL prints it. */
static const char *const verify_copy_sql = VERIFY_SELECT("details::text");
/* The fast path's: details as stored (migration 045's cast), rendered by
 * render_jsonb; the server's jsonb-to-text was a third of its work. */
static const char *const verify_fast_sql = VERIFY_SELECT("details::bytea");

static const struct db_stmt S_FAST_CAST = {
	"audit_fast_cast",
	"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_cast WHERE castsource = 'pg_catalog.jsonb'::pg_catalog.regtype"
	" AND casttarget = 'pg_catalog.bytea'::pg_catalog.regtype AND castmethod = 'b')",
	0,
};

static int load_db_checkpoints(struct db *db, struct audit_verifier *v, struct otp_err *err)
{
	PGresult *res = db_exec_stmt(db, &S_CHECKPOINTS, NULL, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	int rc = 0;
	for (int r = 0; r < PQntuples(res) && rc == 0; r++) {
		struct audit_checkpoint cp;
		memset(&cp, 0, sizeof cp);
		cp.seq = db_get_ll(res, r, 1);
		cp.time = db_get_ll(res, r, 3);
		db_get(res, r, 4, cp.key_id, sizeof cp.key_id);
		char src[64];
		snprintf(src, sizeof src, "database checkpoint %s", PQgetvalue(res, r, 0));
		if (audit_unhex(PQgetvalue(res, r, 2), (size_t)PQgetlength(res, r, 2), cp.hash, AUDIT_HASH_LEN) != 0 ||
		    audit_unhex(PQgetvalue(res, r, 5), (size_t)PQgetlength(res, r, 5), cp.sig, AUDIT_SIG_LEN) != 0) {
			/* a damaged row cannot carry a valid signature: keep it so it is reported */
			memset(cp.sig, 0, sizeof cp.sig);
		}
		rc = audit_verifier_add_checkpoint(v, &cp, src, err);
	}
	PQclear(res);
	return rc;
}

/* Decide where the live rows start: *from is the first seq to read. With
 * --from, that row's stored prev_hash is trusted; after archive files, where
 * they ended; else genesis, unless archived partitions were dropped: then
 * the last archive record is the anchor (its range is verified from the
 * archive files, --archive). */
static int choose_start(struct db *db, struct audit_verifier *v, const struct db_audit_verify_opts *o,
			long long *from, struct otp_err *err)
{
	if (o->from_seq > 0) {
		if (audit_verifier_next_seq(v) == 0)
			audit_verifier_anchor_first_row(v);
		*from = o->from_seq;
		return 0;
	}
	if (audit_verifier_next_seq(v) > 0) {	/* archive segments came first */
		*from = audit_verifier_next_seq(v);
		return 0;
	}
	*from = 1;
	PGresult *res = db_exec_stmt(db, &S_ARCHIVE_ANCHOR, NULL, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	unsigned char hash[AUDIT_HASH_LEN];
	long long last = PQntuples(res) == 1 ? db_get_ll(res, 0, 0) : 0;
	if (last > 0 && db_get_ll(res, 0, 3) < last &&
	    audit_unhex(PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1), hash, AUDIT_HASH_LEN) == 0) {
		char what[200];
		snprintf(what, sizeof what,
			 "the database's record of archive %.80s (seq 1..%lld are in archives: give --archive to verify them)",
			 PQgetvalue(res, 0, 2), last);
		audit_verifier_anchor(v, last + 1, hash, what);
		*from = last + 1;
	}
	PQclear(res);
	return 0;	/* else genesis: the verifier's default */
}

/* Rows streamed so far by every segment, and who reports them. */
struct progress {
	const struct db_audit_verify_opts *o;
	atomic_llong rows;
	long long total;
	double t0;
	double last;
};

static void progress_add(struct progress *p, long long n, bool reporter)
{
	long long rows = atomic_fetch_add(&p->rows, n) + n;
	if (!reporter || !p->o->progress)
		return;
	double t = now_s();
	if (t - p->last >= 1.0) {
		p->o->progress(p->o->ctx, rows, p->total, t - p->t0);
		p->last = t;
	}
}

/* Stream the rows with lo <= seq <= hi into v, in seq order; stops (and
 * cancels the COPY) once v has found damage, or (fast: details in stored
 * form) at a row it cannot render, setting *doubt. Each row is decoded in place,
 * fed and freed at once: libpq's next row then reuses the same buffer, hot
 * in cache (holding a batch of rows cost more in malloc and cache misses
 * than the per-call overhead it saved). */
static int stream_rows(struct db *db, struct audit_verifier *v, long long lo, long long hi, struct progress *pg,
		       bool reporter, bool fast, bool *doubt, struct otp_err *err)
{
	char lot[24], hit[24];
	snprintf(lot, sizeof lot, "%lld", lo);
	snprintf(hit, sizeof hit, "%lld", hi);
	const char *names[2] = { "otp_audit.from", "otp_audit.to" }, *values[2] = { lot, hit };
	if (set_params(db, 2, names, values, err) != 0 ||
	    copy_start(db, fast ? verify_fast_sql : verify_copy_sql, err) != 0)
		return -1;
	struct db_jtext jt = { NULL, 0, 0 };
	struct audit_event ev;
	char addr[24];
	bool header = false, stop = false, bad = false;
	long long unreported = 0;
	int dr;
	char *buf;
	int len;
	while ((len = PQgetCopyData(db->conn, &buf, 0)) > 0) {
		struct db_copy_in in = { (const unsigned char *)buf, (const unsigned char *)buf + len };
		if (stop || bad) {
			/* cancelled: drain */
		} else if (!header && db_copy_skip_header(&in) != 0) {
			bad = true;
		} else {
			header = true;
			int nf = db_copy_tuple_start(&in);
			if (nf == -1) {
				/* the trailer */
			} else if (nf != VERIFY_COLUMNS) {
				bad = true;
			} else if ((dr = db_audit_decode_event(&in, &ev, addr, fast ? &jt : NULL)) != 0) {
				bad = dr < 0;
				stop = *doubt = dr > 0;
			} else {
				stop = audit_verifier_feed(v, &ev, 1) != 0;
				if (++unreported == BATCH) {
					progress_add(pg, unreported, reporter);
					unreported = 0;
				}
			}
			if (stop || bad)
				copy_cancel(db);
		}
		PQfreemem(buf);
	}
	if (unreported)
		progress_add(pg, unreported, reporter);
	free(jt.p);
	int rc = copy_finish(db, stop || bad, err);
	if (rc == 0 && bad)
		rc = otp_err_set(err, OTP_ERR_INTERNAL, "unexpected row format in the verifier's COPY stream");
	return rc;
}

/* ---- parallel verification -------------------------------------------------
 * With jobs > 1 and a long chain, the seq range is cut into segments, each
 * streamed over its own connection (importing the main transaction's
 * snapshot, as pg_dump -j does) into its own verifier. That is only the
 * fast path for a healthy chain: it is accepted when every segment verifies
 * and each one links to the previous (seq and hash). Anything else (damage,
 * a broken or empty boundary) is verified again sequentially in the same
 * snapshot, so the first failing seq and the kind of damage are exactly
 * what the sequential verifier reports. */

#define MAX_JOBS 8
#define MIN_SEGMENT 100000	/* rows per segment below which one stream is used */

struct segment {
	struct db *db;			/* its own connection, in the main snapshot */
	struct audit_verifier *v;
	long long lo, hi;
	struct progress *pg;
	bool reporter;
	bool fast;			/* details in stored form (render_jsonb) */
	bool doubt;			/* a row it could not render */
	int rc;
	struct otp_err err;
};

static void *segment_main(void *arg)
{
	struct segment *s = arg;
	s->rc = stream_rows(s->db, s->v, s->lo, s->hi, s->pg, s->reporter, s->fast, &s->doubt, &s->err);
	return NULL;
}

static const struct db_stmt S_EXPORT_SNAPSHOT = {
	"audit_export_snapshot",
	"SELECT pg_export_snapshot()",
	0,
};

/* A second connection with the same parameters, in the exported snapshot. */
static struct db *join_snapshot(struct db *db, const char *snapshot, struct otp_err *err)
{
	struct db_conn_params p = { .conninfo = db->conninfo, .user = db->user, .password = db->password,
				    .appname = db->appname };
	struct db *w = NULL;
	if (db_connect(&w, &p, err) != 0)
		return NULL;
	/* SET TRANSACTION SNAPSHOT takes no parameter: the id (made by the server) is quoted by libpq */
	char *lit = PQescapeLiteral(w->conn, snapshot, strlen(snapshot));
	char sql[160];
	snprintf(sql, sizeof sql, "SET TRANSACTION SNAPSHOT %s", lit ? lit : "''");
	PQfreemem(lit);
	if (db_command(w, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err) != 0 || db_command(w, sql, err) != 0) {
		db_close(w);
		return NULL;
	}
	return w;
}

/* Try the parallel fast path. Returns 1 with *rep filled when the chain
 * verified in segments; 0 when the caller must verify sequentially; -1 on
 * error. v is not touched. */
static int verify_parallel(struct db *db, struct audit_verifier *v, const struct db_audit_verify_opts *o,
			   long long from, const struct db_audit_head *head, bool fast, struct progress *pg,
			   struct audit_report *rep, struct otp_err *err)
{
	int jobs = o->jobs > MAX_JOBS ? MAX_JOBS : o->jobs < 1 ? 1 : o->jobs;
	long long n = head->seq - from + 1, minseg = o->min_segment > 0 ? o->min_segment : MIN_SEGMENT;
	while (jobs > 1 && n < (long long)jobs * minseg)
		jobs--;
	/* one segment is worth its own connection only for the stored-form details */
	if (n < minseg || (jobs == 1 && !fast))
		return 0;
	PGresult *res = db_exec_stmt(db, &S_EXPORT_SNAPSHOT, NULL, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	char snapshot[64];
	db_get(res, 0, 0, snapshot, sizeof snapshot);
	PQclear(res);

	struct segment seg[MAX_JOBS];
	pthread_t th[MAX_JOBS];
	memset(seg, 0, sizeof seg);
	int made = 0, rc = 0;
	for (int k = 0; k < jobs && rc == 0; k++, made++) {
		struct segment *s = &seg[k];
		s->lo = from + n * k / jobs;
		s->hi = k == jobs - 1 ? INT64_MAX : from + n * (k + 1) / jobs - 1;
		s->pg = pg;
		s->reporter = k == 0;
		s->fast = fast;
		rc = audit_verifier_fork(v, k == jobs - 1 ? 0 : s->hi, &s->v, err);
		if (rc == 0 && k == 0)
			audit_verifier_continue_from(s->v, v);	/* the first segment starts where v stands */
		/* every segment on its own connection: a segment that stops early
		 * cancels its COPY, which must not abort the main transaction the
		 * sequential re-check would run in */
		s->db = rc == 0 ? join_snapshot(db, snapshot, err) : NULL;
		if (rc == 0 && !s->db)
			rc = -1;
	}
	bool started[MAX_JOBS] = { false };
	for (int k = 0; k < made && rc == 0; k++) {
		if (pthread_create(&th[k], NULL, segment_main, &seg[k]) != 0)
			rc = otp_err_set(err, OTP_ERR_INTERNAL, "cannot start a verifier thread");
		else
			started[k] = true;
	}
	for (int k = 0; k < made; k++)
		if (started[k])
			pthread_join(th[k], NULL);
	int verdict = rc == 0 ? 1 : -1;
	struct audit_report r[MAX_JOBS];
	for (int k = 0; k < made && verdict == 1; k++) {
		if (seg[k].rc != 0) {
			*err = seg[k].err;
			verdict = -1;
			break;
		}
		bool last = k == made - 1;
		audit_verifier_finish(seg[k].v, last ? head->seq : 0, last ? head->hash : NULL, &r[k]);
		if (seg[k].doubt || r[k].damage != AUDIT_DAMAGE_NONE || r[k].incomplete || r[k].rows == 0)
			verdict = 0;
		else if (k > 0 && (r[k].first_seq != r[k - 1].last_seq + 1 ||
				   memcmp(r[k].first_prev_hash, r[k - 1].last_hash, AUDIT_HASH_LEN) != 0))
			verdict = 0;	/* the segments do not link */
	}
	if (verdict == 1) {
		/* what v verified before (archive segments), then the segments */
		struct audit_report before;
		audit_verifier_peek(v, &before);
		*rep = r[made - 1];
		rep->first_seq = before.rows ? before.first_seq : r[0].first_seq;
		memcpy(rep->first_prev_hash, before.rows ? before.first_prev_hash : r[0].first_prev_hash, AUDIT_HASH_LEN);
		rep->rows = before.rows;
		rep->checkpoints_matched = before.checkpoints_matched;
		rep->unsealed = before.unsealed;
		rep->last_matched_seq = before.last_matched_seq;
		for (int k = 0; k < made; k++) {
			rep->rows += r[k].rows;
			rep->checkpoints_matched += r[k].checkpoints_matched;
			rep->unsealed += r[k].unsealed;
			if (r[k].last_matched_seq > rep->last_matched_seq)
				rep->last_matched_seq = r[k].last_matched_seq;
		}
		rep->checkpoints_outside = before.rows ? before.checkpoints_outside : r[0].checkpoints_outside;
		snprintf(rep->anchor, sizeof rep->anchor, "%s", r[0].anchor);
		if (made > 1)
			snprintf(rep->where, sizeof rep->where, "database (%d parallel segments)", made);
		else
			snprintf(rep->where, sizeof rep->where, "database (one stream)");
	}
	for (int k = 0; k < made; k++) {
		audit_verifier_free(seg[k].v);
		if (seg[k].db) {
			rollback_quietly(seg[k].db);
			db_close(seg[k].db);
		}
	}
	return verdict;
}

int db_audit_verify(struct db *db, struct audit_verifier *v, const struct db_audit_verify_opts *o,
		    struct audit_report *rep, struct otp_err *err)
{
	otp_err_clear(err);
	memset(rep, 0, sizeof *rep);
	if (db_command(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err) != 0)
		return -1;
	struct db_audit_head head;
	PGresult *res = db_exec_stmt(db, &S_HEAD, NULL, PGRES_TUPLES_OK, err);
	int rc = res ? head_from(res, &head, err) : -1;
	PQclear(res);
	if (rc == 0 && o->db_checkpoints)
		rc = load_db_checkpoints(db, v, err);
	if (rc != 0) {
		rollback_quietly(db);
		return -1;
	}
	if (!audit_verifier_check_signatures(v)) {
		rollback_quietly(db);
		audit_verifier_finish(v, head.seq, head.hash, rep);
		return 0;
	}
	long long from = 1;
	if (choose_start(db, v, o, &from, err) != 0) {
		rollback_quietly(db);
		return -1;
	}
	audit_verifier_set_source(v, "database");
	struct progress pg = { .o = o, .total = head.seq - from + 1, .t0 = now_s() };
	pg.last = pg.t0;
	atomic_init(&pg.rows, 0);
	bool stored_form = false;
	res = db_exec_stmt(db, &S_FAST_CAST, NULL, PGRES_TUPLES_OK, err);
	if (res) {
		stored_form = db_get_bool(res, 0, 0);
		PQclear(res);
	} else {
		rollback_quietly(db);
		return -1;
	}
	int fast = verify_parallel(db, v, o, from, &head, stored_form, &pg, rep, err);
	if (fast < 0) {
		rollback_quietly(db);
		return -1;
	}
	if (fast == 0) {
		atomic_store(&pg.rows, 0);
		bool doubt = false;
		rc = stream_rows(db, v, from, INT64_MAX, &pg, true, false, &doubt, err);
	}
	if (rc == 0)
		rc = db_command(db, "COMMIT", err);
	if (rc != 0) {
		rollback_quietly(db);
		return -1;
	}
	if (o->progress)
		o->progress(o->ctx, atomic_load(&pg.rows), pg.total, now_s() - pg.t0);
	if (fast == 0)
		audit_verifier_finish(v, head.seq, head.hash, rep);
	return 0;
}

/* ---- search and export ---------------------------------------------------- */

static const struct db_stmt S_SEARCH = {
	"audit_search",
	"SELECT seq, event_id, to_char(at, 'YYYY-MM-DD HH24:MI:SS.US'),"
	" to_char(at, 'YYYY-MM-DD\"T\"HH24:MI:SS.USTZH:TZM'), actor, via_role, event, outcome, reason_code,"
	" client_app, text(client_addr), branch_code, contract_id, credential_id, request_id, details::text,"
	" encode(hash, 'hex')"
	" FROM otp_api.audit_search($1::timestamptz, $2::timestamptz, $3, $4, $5, $6, $7, $8,"
	"                           $9::timestamptz, $10::bigint, $11::integer, 'newest')",
	11,
};

static const char *nz(const char *s)
{
	return s && *s ? s : NULL;
}

int db_audit_search(struct db *db, const struct db_audit_filter *f, const struct db_audit_row *after, int limit,
		    struct db_audit_page *out, struct otp_err *err)
{
	otp_err_clear(err);
	memset(out, 0, sizeof *out);
	if (limit < 1 || limit > 500)
		return otp_err_set(err, OTP_ERR_USAGE, "page size %d is outside 1..500", limit);
	char lim[16], aid[24];
	snprintf(lim, sizeof lim, "%d", limit + 1);
	snprintf(aid, sizeof aid, "%lld", after ? after->event_id : 0LL);
	const char *p[11] = {
		nz(f->from), nz(f->to), nz(f->contract_id), nz(f->credential_id), nz(f->actor), nz(f->branch_code),
		nz(f->event), nz(f->outcome), after ? after->cursor : NULL, after ? aid : NULL, lim,
	};
	PGresult *res = db_exec_stmt(db, &S_SEARCH, p, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	int n;
	out->rows = db_page_alloc(res, limit, sizeof *out->rows, &n, &out->more, err);
	if (n < 0)
		return -1;
	for (int r = 0; r < n; r++) {
		struct db_audit_row *w = &out->rows[r];
		w->seq = db_get_ll(res, r, 0);
		w->event_id = db_get_ll(res, r, 1);
		db_get(res, r, 2, w->at, sizeof w->at);
		db_get(res, r, 3, w->cursor, sizeof w->cursor);
		get_utf8(res, r, 4, w->actor, sizeof w->actor);
		db_get(res, r, 5, w->via_role, sizeof w->via_role);
		get_utf8(res, r, 6, w->event, sizeof w->event);
		db_get(res, r, 7, w->outcome, sizeof w->outcome);
		db_get(res, r, 8, w->reason_code, sizeof w->reason_code);
		get_utf8(res, r, 9, w->client_app, sizeof w->client_app);
		db_get(res, r, 10, w->client_addr, sizeof w->client_addr);
		db_get(res, r, 11, w->branch_code, sizeof w->branch_code);
		db_get(res, r, 12, w->contract_id, sizeof w->contract_id);
		db_get(res, r, 13, w->credential_id, sizeof w->credential_id);
		w->has_request_id = !PQgetisnull(res, r, 14);
		w->request_id = db_get_ll(res, r, 14);
		get_utf8(res, r, 15, w->details, sizeof w->details);
		db_get(res, r, 16, w->hash, sizeof w->hash);
	}
	out->n = n;
	PQclear(res);
	return 0;
}

void db_audit_page_free(struct db_audit_page *page)
{
	free(page->rows);
	memset(page, 0, sizeof *page);
}

/* The export/archive columns (AUDIT-FORMAT.md section 6). */
#define EXPORT_COLUMNS                                                                                    \
	"seq, encode(prev_hash, 'hex') AS prev_hash, encode(hash, 'hex') AS hash, event_id,"              \
	" to_char(at, 'YYYY-MM-DD\"T\"HH24:MI:SS.USTZH:TZM') AS at, actor, via_role, event, outcome,"     \
	" reason_code, client_app, text(client_addr) AS client_addr, branch_code, contract_id,"           \
	" credential_id, request_id, details,"                                                            \
	" to_char(sealed_at, 'YYYY-MM-DD\"T\"HH24:MI:SS.USTZH:TZM') AS sealed_at"

#define FILTERED_EVENTS                                                                                   \
	" FROM otp_api.audit_search(nullif(current_setting('otp_audit.from'), '')::timestamptz,"          \
	" nullif(current_setting('otp_audit.to'), '')::timestamptz,"                                      \
	" nullif(current_setting('otp_audit.contract'), ''), nullif(current_setting('otp_audit.credential'), ''),"\
	" nullif(current_setting('otp_audit.actor'), ''), nullif(current_setting('otp_audit.branch'), ''),"\
	" nullif(current_setting('otp_audit.event'), ''), nullif(current_setting('otp_audit.outcome'), ''),"\
	" NULL, NULL, NULL, 'seq')"

static const char *const export_csv_sql =
	"COPY (SELECT " EXPORT_COLUMNS FILTERED_EVENTS ") TO STDOUT WITH (FORMAT csv, HEADER)";
static const char *const export_jsonl_sql =
	"COPY (SELECT row_to_json(x)::text FROM (SELECT " EXPORT_COLUMNS FILTERED_EVENTS ") x)"
	" TO STDOUT (FORMAT binary)";

/* Copy a COPY stream to out: CSV as it comes, binary one-text-column rows
 * as lines. *rows counts data rows. */
static int copy_to_file(struct db *db, bool binary_lines, FILE *out, long long *rows, struct otp_err *err)
{
	char *buf;
	int len;
	bool header = false, bad = false, ioerr = false;
	long long n = 0;
	while ((len = PQgetCopyData(db->conn, &buf, 0)) > 0) {
		if (bad || ioerr) {
			PQfreemem(buf);
			continue;
		}
		if (!binary_lines) {
			ioerr = fwrite(buf, 1, (size_t)len, out) != (size_t)len;
			n++;
		} else {
			struct db_copy_in in = { (const unsigned char *)buf, (const unsigned char *)buf + len };
			const unsigned char *d;
			int dl;
			if (!header && db_copy_skip_header(&in) != 0)
				bad = true;
			header = true;
			int nf = bad ? -2 : db_copy_tuple_start(&in);
			if (nf == 1 && db_copy_next_field(&in, &d, &dl) == 0 && dl >= 0) {
				ioerr = fwrite(d, 1, (size_t)dl, out) != (size_t)dl || fputc('\n', out) == EOF;
				n++;
			} else if (nf != -1) {
				bad = true;
			}
		}
		PQfreemem(buf);
		if (bad || ioerr)
			copy_cancel(db);
	}
	int rc = copy_finish(db, bad || ioerr, err);
	if (rc == 0 && bad)
		rc = otp_err_set(err, OTP_ERR_INTERNAL, "unexpected row format in a COPY stream");
	if (rc == 0 && ioerr)
		rc = otp_err_set(err, OTP_ERR_IO, "cannot write the output file");
	*rows = binary_lines ? n : (n > 0 ? n - 1 : 0);	/* CSV: the header line is a row too */
	return rc;
}

int db_audit_export(struct db *db, const struct db_audit_filter *f, enum db_audit_format format, FILE *out,
		    long long *rows, struct otp_err *err)
{
	otp_err_clear(err);
	*rows = 0;
	static const char *const names[8] = {
		"otp_audit.from", "otp_audit.to", "otp_audit.contract", "otp_audit.credential",
		"otp_audit.actor", "otp_audit.branch", "otp_audit.event", "otp_audit.outcome",
	};
	const char *values[8] = { f->from, f->to, f->contract_id, f->credential_id, f->actor, f->branch_code,
				  f->event, f->outcome };
	if (db_command(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err) != 0)
		return -1;
	int rc = set_params(db, 8, names, values, err);
	if (rc == 0)
		rc = copy_start(db, format == DB_AUDIT_CSV ? export_csv_sql : export_jsonl_sql, err);
	if (rc == 0)
		rc = copy_to_file(db, format == DB_AUDIT_JSONL, out, rows, err);
	if (rc == 0)
		rc = db_command(db, "COMMIT", err);
	if (rc != 0)
		rollback_quietly(db);
	return rc;
}

/* ---- exception report ----------------------------------------------------- */

static const char *const exc_names[] = {
#define X(id, name, text) [DB_AUDIT_EXC_##id] = name,
	DB_AUDIT_EXCEPTION_KINDS(X)
#undef X
};

static const char *const exc_texts[] = {
#define X(id, name, text) [DB_AUDIT_EXC_##id] = text,
	DB_AUDIT_EXCEPTION_KINDS(X)
#undef X
};

const char *db_audit_exception_name(enum db_audit_exception_kind k)
{
	return (unsigned)k < DB_AUDIT_EXC_COUNT ? exc_names[k] : "?";
}

const char *db_audit_exception_text(enum db_audit_exception_kind k)
{
	return (unsigned)k < DB_AUDIT_EXC_COUNT ? exc_texts[k] : "?";
}

static const struct db_stmt S_EXCEPTIONS = {
	"audit_exceptions",
	"SELECT kind, to_char(at, 'YYYY-MM-DD HH24:MI:SS'), seq, event_id, actor, branch_code, contract_id,"
	" request_id, event, detail"
	" FROM otp_api.audit_exceptions($1::timestamptz, $2::timestamptz, $3::integer, $4::integer)",
	4,
};

int db_audit_exceptions(struct db *db, const char *from, const char *to, int burst_failures, int burst_minutes,
			struct db_audit_exceptions *out, struct otp_err *err)
{
	otp_err_clear(err);
	memset(out, 0, sizeof *out);
	char bf[16], bm[16];
	snprintf(bf, sizeof bf, "%d", burst_failures);
	snprintf(bm, sizeof bm, "%d", burst_minutes);
	const char *p[4] = { from, to, bf, bm };
	PGresult *res = db_exec_stmt(db, &S_EXCEPTIONS, p, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	int n = PQntuples(res);
	out->rows = n ? calloc((size_t)n, sizeof *out->rows) : NULL;
	if (n && !out->rows) {
		PQclear(res);
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	}
	for (int r = 0; r < n; r++) {
		struct db_audit_exception *x = &out->rows[out->n];
		const char *kind = PQgetvalue(res, r, 0);
		int k;
		for (k = 0; k < DB_AUDIT_EXC_COUNT && strcmp(kind, exc_names[k]) != 0; k++)
			;
		if (k == DB_AUDIT_EXC_COUNT)
			continue;	/* a kind this build does not know: newer server */
		x->kind = (enum db_audit_exception_kind)k;
		db_get(res, r, 1, x->at, sizeof x->at);
		x->seq = db_get_ll(res, r, 2);
		x->event_id = db_get_ll(res, r, 3);
		get_utf8(res, r, 4, x->actor, sizeof x->actor);
		db_get(res, r, 5, x->branch_code, sizeof x->branch_code);
		db_get(res, r, 6, x->contract_id, sizeof x->contract_id);
		x->request_id = db_get_ll(res, r, 7);
		get_utf8(res, r, 8, x->event, sizeof x->event);
		get_utf8(res, r, 9, x->detail, sizeof x->detail);
		out->count[k]++;
		out->n++;
	}
	PQclear(res);
	return 0;
}

void db_audit_exceptions_free(struct db_audit_exceptions *list)
{
	free(list->rows);
	memset(list, 0, sizeof *list);
}

/* ---- archives ------------------------------------------------------------- */

/* The segment to write: $1 'YYYY-MM'. Returns month start, the unsealed
 * events before it, the first seq not archived and its prev hash (from the
 * last archive record, else genesis), the last seq before the month, its
 * hash, and the stored prev_hash of the first seq (cross-check). */
static const struct db_stmt S_ARCHIVE_PLAN = {
	"audit_archive_plan",
	"WITH a AS (SELECT last_seq, last_hash FROM otp_api.audit_archives ORDER BY last_seq DESC LIMIT 1),"
	" s AS (SELECT coalesce((SELECT last_seq FROM a), 0) + 1 AS first_seq,"
	"              coalesce((SELECT last_hash FROM a), decode(repeat('00', 32), 'hex')) AS prev_hash),"
	" e AS (SELECT ev.seq, ev.hash FROM otp_api.audit_events ev"
	"       WHERE ev.at < to_date($1, 'YYYY-MM')::timestamp AT TIME ZONE 'Asia/Tokyo' AND ev.seq IS NOT NULL"
	"       ORDER BY ev.seq DESC LIMIT 1)"
	" SELECT to_char(to_date($1, 'YYYY-MM'), 'YYYY-MM-DD'), NULL,"
	"  (SELECT count(*) FROM otp_api.audit_events ev"
	"   WHERE ev.seq IS NULL AND ev.at < to_date($1, 'YYYY-MM')::timestamp AT TIME ZONE 'Asia/Tokyo'),"
	"  s.first_seq, encode(s.prev_hash, 'hex'), e.seq, encode(e.hash, 'hex'),"
	"  (SELECT encode(ev.prev_hash, 'hex') FROM otp_api.audit_events ev WHERE ev.seq = s.first_seq LIMIT 1),"
	"  to_char(to_date($1, 'YYYY-MM'), 'YYYY-MM') = $1"
	" FROM s LEFT JOIN e ON true",
	1,
};

static const char *const archive_copy_sql =
	"COPY (SELECT row_to_json(x)::text FROM (SELECT " EXPORT_COLUMNS " FROM otp_api.audit_events"
	" WHERE seq BETWEEN current_setting('otp_audit.lo')::bigint AND current_setting('otp_audit.hi')::bigint"
	" ORDER BY seq, event_id) x) TO STDOUT (FORMAT binary)";

int db_audit_archive_write(struct db *db, const char *month, FILE *out, struct audit_archive_header *hdr,
			   struct otp_err *err)
{
	otp_err_clear(err);
	memset(hdr, 0, sizeof *hdr);
	if (!month || strlen(month) != 7 || month[4] != '-')
		return otp_err_set(err, OTP_ERR_USAGE, "month must be YYYY-MM, e.g. 2025-04");
	if (db_command(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err) != 0)
		return -1;
	const char *p[1] = { month };
	PGresult *res = db_exec_stmt(db, &S_ARCHIVE_PLAN, p, PGRES_TUPLES_OK, err);
	int rc = res ? 0 : -1;
	if (rc == 0 && (PQntuples(res) != 1 || !db_get_bool(res, 0, 8)))
		rc = otp_err_set(err, OTP_ERR_USAGE, "month must be YYYY-MM, e.g. 2025-04");
	if (rc == 0 && db_get_ll(res, 0, 2) > 0) {
		rc = otp_err_set(err, OTP_ERR_REFUSED, "%lld events before %s are not sealed yet",
				 db_get_ll(res, 0, 2), month);
		otp_err_hint(err, "is the sealer running? (otpctl audit seal --follow)");
	}
	if (rc == 0 && (PQgetisnull(res, 0, 5) || db_get_ll(res, 0, 5) < db_get_ll(res, 0, 3))) {
		rc = otp_err_set(err, OTP_ERR_NOTFOUND, "nothing to archive before %s", month);
		otp_err_hint(err, "events up to seq %lld are already archived", db_get_ll(res, 0, 3) - 1);
	}
	if (rc == 0) {
		db_get(res, 0, 0, hdr->before, sizeof hdr->before);
		hdr->first_seq = db_get_ll(res, 0, 3);
		hdr->last_seq = db_get_ll(res, 0, 5);
		hdr->count = hdr->last_seq - hdr->first_seq + 1;
		if (audit_unhex(PQgetvalue(res, 0, 4), (size_t)PQgetlength(res, 0, 4), hdr->prev_hash, AUDIT_HASH_LEN) ||
		    audit_unhex(PQgetvalue(res, 0, 6), (size_t)PQgetlength(res, 0, 6), hdr->last_hash, AUDIT_HASH_LEN))
			rc = otp_err_set(err, OTP_ERR_INTERNAL, "malformed hashes in the archive plan");
		else if (PQgetisnull(res, 0, 7) || strcmp(PQgetvalue(res, 0, 7), PQgetvalue(res, 0, 4)) != 0) {
			rc = otp_err_set(err, OTP_ERR_REFUSED,
					 "seq %lld does not link to the last archived segment: the chain is damaged",
					 (long long)hdr->first_seq);
			otp_err_hint(err, "run otpctl audit verify");
		}
	}
	PQclear(res);
	char line[512], lo[24], hi[24];
	if (rc == 0) {
		size_t n = audit_archive_header_line(hdr, line, sizeof line);
		if (fwrite(line, 1, n, out) != n)
			rc = otp_err_set(err, OTP_ERR_IO, "cannot write the archive file");
	}
	if (rc == 0) {
		snprintf(lo, sizeof lo, "%lld", (long long)hdr->first_seq);
		snprintf(hi, sizeof hi, "%lld", (long long)hdr->last_seq);
		const char *names[2] = { "otp_audit.lo", "otp_audit.hi" }, *values[2] = { lo, hi };
		rc = set_params(db, 2, names, values, err);
	}
	long long rows = 0;
	if (rc == 0)
		rc = copy_start(db, archive_copy_sql, err);
	if (rc == 0)
		rc = copy_to_file(db, true, out, &rows, err);
	if (rc == 0 && rows != hdr->count) {
		rc = otp_err_set(err, OTP_ERR_REFUSED, "seq %lld..%lld holds %lld rows, not %lld: the chain is damaged",
				 (long long)hdr->first_seq, (long long)hdr->last_seq, rows, (long long)hdr->count);
		otp_err_hint(err, "run otpctl audit verify");
	}
	if (rc == 0)
		rc = db_command(db, "COMMIT", err);
	if (rc != 0)
		rollback_quietly(db);
	return rc;
}

static const struct db_stmt S_ARCHIVE_RECORD = {
	"audit_archive_record",
	"SELECT * FROM otp_api.audit_archive_record($1::date, $2::bigint, $3::bigint, decode($4, 'hex'),"
	" decode($5, 'hex'), $6, $7)",
	7,
};

int db_audit_archive_record(struct db *db, const struct audit_archive_header *hdr, const char *file_name,
			    const char *file_sha256, struct db_outcome *out, struct otp_err *err)
{
	char first[24], last[24], prev[2 * AUDIT_HASH_LEN + 1], lh[2 * AUDIT_HASH_LEN + 1];
	snprintf(first, sizeof first, "%lld", (long long)hdr->first_seq);
	snprintf(last, sizeof last, "%lld", (long long)hdr->last_seq);
	audit_hex(hdr->prev_hash, AUDIT_HASH_LEN, prev);
	audit_hex(hdr->last_hash, AUDIT_HASH_LEN, lh);
	const char *p[7] = { hdr->before, first, last, prev, lh, file_name, file_sha256 };
	return db_call(db, &S_ARCHIVE_RECORD, p, out, err);
}

/* ---- staff holding contracts ---------------------------------------------- */

static const struct db_stmt S_STAFF_CONTRACT = {
	"staff_contract_set",
	"SELECT * FROM otp_api.staff_contract_set($1, $2, $3::boolean)",
	3,
};

int db_audit_staff_contract_set(struct db *db, const char *login, const char *contract_id, bool add,
				struct db_outcome *out, struct otp_err *err)
{
	const char *p[3] = { login, contract_id, add ? "true" : "false" };
	return db_call(db, &S_STAFF_CONTRACT, p, out, err);
}
