/* bench_audit_append: audit append throughput with the chain's sealer
 * running vs the same rows inserted into an unchained table (issue 10), and
 * the seal lag.
 *
 * Chained: N writer threads (own connections, a teller login) call the real
 * API path that writes exactly one audit event and nothing else: a refused
 * otp_api.audit_seal (role check, otp.refuse_role -> otp.audit -> INSERT into
 * the partitioned otp.audit_event, commit), while one sealer thread runs
 * db_audit_seal in a loop as `otpctl audit seal --follow` does (10,000 rows
 * a pass, 200 ms pause after a pass that was not full), as demo_batch.
 * After the writers stop, the sealer catches up (bounded) and the seal lag
 * sealed_at - at of the run's events is read from the table.
 * Plain: right after, the same N writers INSERT the same row (one prepared
 * statement) into public.bench_audit_plain, which has the audit table's
 * columns, defaults and constraints and the indexes of its current month
 * partition (read from the catalog), but no partitions, no chain and no sealer (created by the superuser in the bench database).
 * Between the two, for the analysis: "direct", the same row through
 * otp.audit() itself (superuser, no API role check) with the sealer running:
 * chained - direct is the API's cost, direct - plain the partitioned,
 * sealed table's. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "db/auditlog.h"
#include "db/bench.h"
#include "db/db.h"

#define DEFAULT_WRITERS 32
#define DEFAULT_SECONDS 5.0
#define SEAL_ROWS 10000
#define SEAL_PAUSE_US 200000
#define CATCH_UP_SECONDS 60.0

struct aopts {
	int writers;
	double seconds;
	const char *writer_login;	/* chained run */
	const char *batch_login;	/* sealer */
};

/* What a writer does once: one committed audit row, or -1 with err. */
typedef int (*append_fn)(struct db *db, struct otp_err *err);

struct variant {
	const char *name;
	bool superuser;			/* connect as the PG* user instead of writer_login */
	bool sealer;
	append_fn append;
};

static const struct variant variants[] = {
	{ .name = "chained", .superuser = false, .sealer = true, .append = db_bench_api_refusal },
	{ .name = "direct", .superuser = true, .sealer = true, .append = db_bench_audit_direct },
	{ .name = "plain", .superuser = true, .sealer = false, .append = db_bench_audit_plain_insert },
};
#define NVARIANT ((int)(sizeof variants / sizeof variants[0]))
#define CHAINED 0
#define DIRECT 1
#define PLAIN 2

struct writer {
	struct db *db;
	const struct variant *v;
	long long n;
	long long errors;
	char first_error[256];
};

static pthread_barrier_t start_line;
static _Atomic double deadline_bits;	/* double stored atomically */
static atomic_bool sealer_stop;

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct otp_err err;
	/* warm-up: prepare the statement (untimed, its row is not counted) */
	if (w->db && w->v->append(w->db, &err) != 0) {
		w->errors++;
		snprintf(w->first_error, sizeof w->first_error, "%s", err.message);
	}
	pthread_barrier_wait(&start_line);
	if (!w->db || w->errors)
		return NULL;
	while (bench_now() < atomic_load(&deadline_bits)) {
		if (w->v->append(w->db, &err) == 0)
			w->n++;
		else if (w->errors++ == 0)
			snprintf(w->first_error, sizeof w->first_error, "%s", err.message);
	}
	return NULL;
}

struct sealer {
	struct db *db;
	long long passes, sealed, errors;
	char first_error[256];
};

/* `otpctl audit seal --follow`: pass after pass, a pause after a short one. */
static void *sealer_main(void *arg)
{
	struct sealer *s = arg;
	struct db_audit_seal r;
	struct otp_err err;
	while (!atomic_load(&sealer_stop)) {
		int rc = db_audit_seal(s->db, SEAL_ROWS, &r, &err);
		s->passes++;
		if (rc != 0) {
			if (s->errors++ == 0)
				snprintf(s->first_error, sizeof s->first_error, "%s", err.message);
		} else {
			s->sealed += r.sealed;
		}
		if (rc != 0 || r.sealed < SEAL_ROWS)
			usleep(SEAL_PAUSE_US);
	}
	return NULL;
}

/* Seal what earlier runs left unsealed (untimed), so that the lag measured
 * is the run's own and not the age of an old backlog. */
static int seal_backlog(struct db *db, struct otp_err *err)
{
	struct db_audit_seal r;
	long long total = 0;
	double t0 = bench_now();
	do {
		if (db_audit_seal(db, 200000, &r, err) != 0)
			return -1;
		total += r.sealed;
	} while (r.sealed > 0 && r.backlog > 0);
	if (total)
		fprintf(stderr, "audit-append: sealed an earlier backlog of %lld events first (%.1f s, untimed)\n", total,
			bench_now() - t0);
	return 0;
}

static int connect_as(struct db **db, const char *login, const char *appname, struct otp_err *err)
{
	struct db_conn_params p = { .conninfo = getenv("OTP_DSN"), .user = login, .password = login,
				    .appname = appname };
	return db_connect(db, &p, err);
}

/* Run one variant for o->seconds; *rate gets committed rows per second. */
static int run_variant(const struct variant *v, const struct aopts *o, struct db *su, double *rate,
		       long long *rows, double *lag50, double *lag99, double *lagmax)
{
	struct otp_err err;
	struct writer *w = calloc((size_t)o->writers, sizeof *w);
	pthread_t *th = calloc((size_t)o->writers, sizeof *th);
	struct sealer s = { 0 };
	pthread_t sth;
	long long since = 0;
	int status = 0;
	if (!w || !th) {
		fprintf(stderr, "otpbench audit-append: out of memory\n");
		free(w);
		free(th);
		return 1;
	}
	if (v->sealer && db_bench_audit_max_id(su, &since, &err) != 0) {
		fprintf(stderr, "otpbench audit-append: %s\n", err.message);
		status = 1;
	}
	for (int i = 0; status == 0 && i < o->writers; i++) {
		w[i].v = v;
		int rc = v->superuser ? connect_as(&w[i].db, NULL, "otpbench-append", &err)
				      : connect_as(&w[i].db, o->writer_login, "otpbench-append", &err);
		if (rc != 0) {
			fprintf(stderr, "otpbench audit-append: writer %d: %s\n", i, err.message);
			status = 1;
		}
	}
	if (status == 0 && v->sealer && connect_as(&s.db, o->batch_login, "otpbench-sealer", &err) != 0) {
		fprintf(stderr, "otpbench audit-append: sealer (%s): %s\n", o->batch_login, err.message);
		status = 1;
	}
	if (status == 0 && v->sealer && seal_backlog(s.db, &err) != 0) {
		fprintf(stderr, "otpbench audit-append: sealing the earlier backlog: %s\n", err.message);
		status = 1;
	}
	if (status != 0)
		goto out;

	atomic_store(&sealer_stop, false);
	if (v->sealer)
		pthread_create(&sth, NULL, sealer_main, &s);
	atomic_store(&deadline_bits, bench_now() + 1e9);
	pthread_barrier_init(&start_line, NULL, (unsigned)o->writers + 1);
	for (int i = 0; i < o->writers; i++)
		pthread_create(&th[i], NULL, writer_main, &w[i]);
	pthread_barrier_wait(&start_line);
	double start = bench_now();
	atomic_store(&deadline_bits, start + o->seconds);
	long long n = 0, errors = 0;
	for (int i = 0; i < o->writers; i++) {
		pthread_join(th[i], NULL);
		n += w[i].n;
		errors += w[i].errors;
		if (w[i].errors && errors == w[i].errors)
			fprintf(stderr, "audit-append %s: writer %d: %s\n", v->name, i, w[i].first_error);
	}
	double elapsed = bench_now() - start;
	pthread_barrier_destroy(&start_line);
	*rows = n;
	*rate = elapsed > 0 ? (double)n / elapsed : 0;
	if (errors) {
		fprintf(stderr, "otpbench audit-append: %s: %lld failed appends\n", v->name, errors);
		status = 1;
	}

	if (v->sealer) {
		/* let the sealer seal what the run wrote, then read the lag */
		long long sealed = 0, unsealed = 1;
		double until = bench_now() + CATCH_UP_SECONDS;
		while (status == 0 && bench_now() < until) {
			if (db_bench_seal_lag(su, since, v->superuser ? NULL : o->writer_login, lag50, lag99, lagmax, &sealed, &unsealed, &err) != 0) {
				fprintf(stderr, "otpbench audit-append: %s\n", err.message);
				status = 1;
				break;
			}
			if (unsealed == 0)
				break;
			usleep(250000);
		}
		atomic_store(&sealer_stop, true);
		pthread_join(sth, NULL);
		if (s.errors)
			fprintf(stderr, "audit-append: sealer: %lld failed passes: %s\n", s.errors, s.first_error);
		fprintf(stderr, "audit-append: sealer: %lld passes, %lld events sealed; run's events sealed %lld, unsealed %lld\n",
			s.passes, s.sealed, sealed, unsealed);
		if (status == 0 && unsealed != 0) {
			fprintf(stderr, "otpbench audit-append: %lld events still unsealed after %.0f s\n", unsealed,
				CATCH_UP_SECONDS);
			status = 1;
		}
	}
	fprintf(stderr, "audit-append %-7s: %d writers, %lld events in %.2f s = %.0f/s\n", v->name, o->writers, n, elapsed,
		*rate);
out:
	for (int i = 0; i < o->writers; i++)
		db_close(w[i].db);
	db_close(s.db);
	free(w);
	free(th);
	return status;
}

static int append_main(int argc, char **argv);

const struct bench_cmd bench_audit_append = {
	.name = "audit-append",
	.usage = "otpbench audit-append [--clients N] [--seconds S] [--login TELLER] [--batch-login BATCH]",
	.summary = "audit events/s through the API with the sealer running vs plain inserts, and the seal lag",
	.run = append_main,
};

static int append_main(int argc, char **argv)
{
	struct aopts o = { .writers = DEFAULT_WRITERS, .seconds = DEFAULT_SECONDS, .writer_login = "demo_teller",
			   .batch_login = "demo_batch" };
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--clients") == 0)
			o.writers = (int)bench_arg_long(argc, argv, &i);
		else if (strcmp(argv[i], "--seconds") == 0)
			o.seconds = bench_arg_double(argc, argv, &i);
		else if (strcmp(argv[i], "--login") == 0 && i + 1 < argc)
			o.writer_login = argv[++i];
		else if (strcmp(argv[i], "--batch-login") == 0 && i + 1 < argc)
			o.batch_login = argv[++i];
		else {
			fprintf(stderr, "usage: %s\n", bench_audit_append.usage);
			return 2;
		}
	}
	if (o.writers < 1 || o.writers > 128 || o.seconds <= 0) {
		fprintf(stderr, "usage: %s\n  (1..128 writers, seconds > 0)\n", bench_audit_append.usage);
		return 2;
	}

	struct otp_err err;
	struct db *su = NULL;
	struct db_conn_params sp = { .conninfo = getenv("OTP_DSN"), .appname = "otpbench" };
	int nindexes = 0;
	if (db_connect(&su, &sp, &err) != 0 || db_bench_audit_plain_setup(su, &nindexes, &err) != 0) {
		fprintf(stderr, "otpbench audit-append: %s%s%s\n", err.message, err.hint[0] ? "\n  hint: " : "", err.hint);
		db_close(su);
		return 1;
	}
	fprintf(stderr, "audit-append: bench_audit_plain has the %d indexes of this month's audit partition\n", nindexes);
	double rate[NVARIANT] = { 0 }, lag50[NVARIANT] = { 0 }, lag99[NVARIANT] = { 0 }, lagmax[NVARIANT] = { 0 };
	long long rows[NVARIANT] = { 0 };
	int status = 0;
	for (int k = 0; status == 0 && k < NVARIANT; k++)
		status = run_variant(&variants[k], &o, su, &rate[k], &rows[k], &lag50[k], &lag99[k], &lagmax[k]);
	db_close(su);
	if (status != 0)
		return status;

	char extra[256];
	snprintf(extra, sizeof extra, "{\"writers\":%d,\"seconds\":%.1f,\"events\":%lld,\"path\":\"otp_api refusal\"}",
		 o.writers, o.seconds, rows[CHAINED]);
	bench_emit("audit_append_chained", rate[CHAINED], "events/s", extra);
	snprintf(extra, sizeof extra, "{\"writers\":%d,\"seconds\":%.1f,\"events\":%lld,\"path\":\"otp.audit()\"}",
		 o.writers, o.seconds, rows[DIRECT]);
	bench_emit("audit_append_direct", rate[DIRECT], "events/s", extra);
	snprintf(extra, sizeof extra,
		 "{\"writers\":%d,\"seconds\":%.1f,\"events\":%lld,\"table\":\"bench_audit_plain\",\"indexes\":%d}",
		 o.writers, o.seconds, rows[PLAIN], nindexes);
	bench_emit("audit_append_plain", rate[PLAIN], "events/s", extra);
	double ratio = rate[PLAIN] > 0 ? rate[CHAINED] / rate[PLAIN] : 0;
	bench_emit("audit_append_ratio", ratio, "x", NULL);
	snprintf(extra, sizeof extra, "{\"events\":%lld,\"max_s\":%.3f}", rows[CHAINED], lagmax[CHAINED]);
	bench_emit("audit_seal_lag_p50", lag50[CHAINED], "s", extra);
	bench_emit("audit_seal_lag_p99", lag99[CHAINED], "s", extra);
	fprintf(stderr, "audit-append: chained/plain %.2f (direct/plain %.2f), seal lag p50 %.3f s, p99 %.3f s, max %.3f s\n",
		ratio, rate[PLAIN] > 0 ? rate[DIRECT] / rate[PLAIN] : 0, lag50[CHAINED], lag99[CHAINED], lagmax[CHAINED]);
	return 0;
}
