/* bench_seed_copy: the baseline of `otpctl demo seed --contracts N` (issue
 * 10): what PostgreSQL itself needs to load the same rows from files, as
 * docs/DEMO.md describes it. Untimed: the rows are made by the seed itself
 * (db_seed_run into a scratch database, or taken from --from DB) and copied
 * out to files (COPY TO STDOUT: branches, contracts, tokens, failures, fraud
 * holds, with the seed's columns); a fresh database is migrated and gets the
 * branches. Timed: ONE transaction of COPY FROM STDIN of the files into
 * otp.contract, otp.token, otp.failure and otp.fraud_hold with the schema's
 * indexes and foreign keys in place (a DBA's `psql -1 \copy ... from file`).
 * The scratch databases are dropped at the end; the superuser (PG* env) is
 * needed throughout, and the cluster's host/port come from the PG* env. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "db/bench.h"
#include "db/db.h"
#include "db/seed.h"

static int seed_copy_main(int argc, char **argv);

const struct bench_cmd bench_seed_copy = {
	.name = "seed-copy",
	.usage = "otpbench seed-copy [--contracts N] [--from DB]",
	.summary = "baseline for otpctl demo seed: COPY of the same rows from files into a fresh database",
	.run = seed_copy_main,
};

static const char *schema_dir(void)
{
	const char *d = getenv("OTP_SCHEMA_DIR");
	return d && *d ? d : OTP_SRCDIR "/schema";
}

/* Connect as the superuser to database name (host, port, user: PG* env). */
static int connect_db(struct db **db, const char *name, struct otp_err *err)
{
	char conninfo[160];
	snprintf(conninfo, sizeof conninfo, "dbname=%s", name);
	struct db_conn_params p = { .conninfo = conninfo, .appname = "otpbench-seed-copy" };
	return db_connect(db, &p, err);
}

static int create_migrated(struct db *admin, const char *name, struct otp_err *err)
{
	struct db *db = NULL;
	if (db_bench_create_database(admin, name, err) != 0 || connect_db(&db, name, err) != 0)
		return -1;
	int rc = db_migrate(db, schema_dir(), NULL, err) < 0 ? -1 : 0;
	db_close(db);
	return rc;
}

#define NTABLES 5	/* db_bench_seed_tables: branch, contract, token, failure, fraud_hold */

static int seed_copy_main(int argc, char **argv)
{
	long contracts = DB_SEED_DEFAULT_CONTRACTS;
	const char *from = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--contracts") == 0)
			contracts = bench_arg_long(argc, argv, &i);
		else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			from = argv[++i];
		else {
			fprintf(stderr, "usage: %s\n", bench_seed_copy.usage);
			return 2;
		}
	}
	if (contracts > DB_SEED_MAX_CONTRACTS || (from && strlen(from) > 63)) {
		fprintf(stderr, "usage: %s\n  (contracts 0..%ld)\n", bench_seed_copy.usage, DB_SEED_MAX_CONTRACTS);
		return 2;
	}

	struct otp_err err;
	struct db *admin = NULL, *src = NULL, *dst = NULL;
	char src_name[64], dst_name[64];
	snprintf(src_name, sizeof src_name, "otpbench_copysrc_%d", (int)getpid());
	snprintf(dst_name, sizeof dst_name, "otpbench_copydst_%d", (int)getpid());
	FILE *files[NTABLES] = { NULL };
	long long rows[NTABLES] = { 0 };
	bool made_src = false, made_dst = false;
	double seed_s = 0, copy_s = 0;
	int status = 1;
	struct db_conn_params ap = { .conninfo = getenv("OTP_DSN"), .appname = "otpbench-seed-copy" };

	if (db_connect(&admin, &ap, &err) != 0)
		goto fail;
	if (from) {
		if (connect_db(&src, from, &err) != 0)
			goto fail;
		fprintf(stderr, "seed-copy: rows from database %s\n", from);
	} else {
		made_src = true;
		if (create_migrated(admin, src_name, &err) != 0 || connect_db(&src, src_name, &err) != 0)
			goto fail;
		struct db_seed_opts so;
		struct db_seed_summary sum;
		db_seed_opts_init(&so);
		so.contracts = contracts;
		if (db_seed_run(src, &so, &sum, &err) != 0)
			goto fail;
		seed_s = sum.elapsed;
		fprintf(stderr, "seed-copy: seeded %ld contracts into %s in %.2f s (untimed)\n", sum.contracts, src_name,
			seed_s);
	}
	for (int t = 0; t < NTABLES; t++) {
		if (!(files[t] = tmpfile())) {
			otp_err_set(&err, OTP_ERR_IO, "tmpfile: %s", strerror(errno));
			goto fail;
		}
		if (db_bench_copy_out(src, db_bench_seed_tables[t], files[t], &rows[t], &err) != 0)
			goto fail;
		rewind(files[t]);
	}
	db_close(src);
	src = NULL;
	fprintf(stderr, "seed-copy: files: %lld branches, %lld contracts, %lld tokens, %lld failures, %lld fraud holds\n",
		rows[0], rows[1], rows[2], rows[3], rows[4]);

	made_dst = true;
	if (create_migrated(admin, dst_name, &err) != 0 || connect_db(&dst, dst_name, &err) != 0)
		goto fail;
	if (db_bench_copy_in(dst, db_bench_seed_tables[0], files[0], rows[0], &err) != 0)	/* branches: untimed */
		goto fail;

	double t0 = bench_now();
	if (db_bench_tx(dst, "BEGIN", &err) != 0)
		goto fail;
	for (int t = 1; t < NTABLES; t++)
		if (db_bench_copy_in(dst, db_bench_seed_tables[t], files[t], rows[t], &err) != 0)
			goto fail;
	if (db_bench_tx(dst, "COMMIT", &err) != 0)
		goto fail;
	copy_s = bench_now() - t0;

	long long total = rows[1] + rows[2] + rows[3] + rows[4];
	char extra[384];
	snprintf(extra, sizeof extra,
		 "{\"contracts\":%lld,\"tokens\":%lld,\"failures\":%lld,\"fraud_holds\":%lld,\"rows\":%lld,"
		 "\"source\":\"%s\",\"seed_s\":%.3f}",
		 rows[1], rows[2], rows[3], rows[4], total, from ? from : "scratch seed", seed_s);
	bench_emit("seed_copy_baseline", copy_s, "s", extra);
	fprintf(stderr, "seed-copy: COPY of %lld rows from files in one transaction: %.2f s\n", total, copy_s);
	status = 0;
	goto out;
fail:
	fprintf(stderr, "otpbench seed-copy: %s%s%s\n", err.message, err.hint[0] ? "\n  hint: " : "", err.hint);
out:
	db_close(src);
	db_close(dst);
	for (int t = 0; t < NTABLES; t++)
		if (files[t])
			fclose(files[t]);
	if (admin) {
		struct otp_err e2;
		if (made_src && db_bench_drop_database(admin, src_name, &e2) != 0)
			fprintf(stderr, "otpbench seed-copy: cannot drop %s: %s\n", src_name, e2.message);
		if (made_dst && db_bench_drop_database(admin, dst_name, &e2) != 0)
			fprintf(stderr, "otpbench seed-copy: cannot drop %s: %s\n", dst_name, e2.message);
	}
	db_close(admin);
	return status;
}
