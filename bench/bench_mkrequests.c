/* bench_mkrequests: a data helper for the batch figure (issue 10): N
 * APPROVED requests eligible on the as-of day in the bench database, so
 * `otpctl unlock run-due` can be timed. The rows are what request_submit and
 * request_approve would leave (receipt numbers from the branch counters, due
 * dates from the calendar, dual control by the demo teller and supervisor,
 * their two audit events), written in one superuser transaction
 * (db_bench_mkrequests). Prints no figure: a summary line on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "db/bench.h"
#include "db/db.h"

static int mkrequests_main(int argc, char **argv);

const struct bench_cmd bench_mkrequests = {
	.name = "mkrequests",
	.usage = "otpbench mkrequests --n N [--as-of YYYY-MM-DD]",
	.summary = "data helper: N APPROVED requests due on the as-of day (for timing otpctl unlock run-due)",
	.run = mkrequests_main,
};

static int mkrequests_main(int argc, char **argv)
{
	long n = -1;
	const char *as_of = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--n") == 0)
			n = bench_arg_long(argc, argv, &i);
		else if (strcmp(argv[i], "--as-of") == 0 && i + 1 < argc)
			as_of = argv[++i];
		else {
			fprintf(stderr, "usage: %s\n", bench_mkrequests.usage);
			return 2;
		}
	}
	if (n < 1) {
		fprintf(stderr, "usage: %s\n  (--n at least 1)\n", bench_mkrequests.usage);
		return 2;
	}
	struct otp_err err;
	struct db *db = NULL;
	struct db_conn_params p = { .conninfo = getenv("OTP_DSN"), .appname = "otpbench-mkrequests" };
	long made = 0;
	double t0 = bench_now();
	int rc = db_connect(&db, &p, &err);
	if (rc == 0)
		rc = db_bench_mkrequests(db, n, as_of, &made, &err);
	db_close(db);
	if (rc != 0) {
		fprintf(stderr, "otpbench mkrequests: %s%s%s\n", err.message, err.hint[0] ? "\n  hint: " : "", err.hint);
		return 1;
	}
	fprintf(stderr, "mkrequests: %ld APPROVED requests made in %.2f s\n", made, bench_now() - t0);
	if (made < n) {
		fprintf(stderr, "otpbench mkrequests: only %ld tokens could get a request (wanted %ld): seed more contracts\n",
			made, n);
		return 1;
	}
	return 0;
}
