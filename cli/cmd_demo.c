/* otpctl demo: load realistic demo data (db/seed.h) with the private
 * cluster's superuser connection. A bootstrap tool, not a staff action:
 * progress goes to stderr, one summary line to stdout. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "db/db.h"
#include "db/seed.h"

static int demo_main(int argc, char **argv);

const struct cli_cmd cmd_demo = {
	.name = "demo",
	.usage = "otpctl demo seed [--contracts N] [--seed S] [--reset] [--bulk auto|on|off]",
	.summary = "load demo branches, customers, tokens and one login per role",
	.run = demo_main,
};

static void print_progress(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "seed: %s\n", line);
}

/* Parse a whole decimal number in lo..hi. */
static int parse_num(const char *s, unsigned long long lo, unsigned long long hi, unsigned long long *out)
{
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int seed(int argc, char **argv)
{
	struct db_seed_opts opts;
	db_seed_opts_init(&opts);
	opts.progress = print_progress;
	for (int i = 1; i < argc; i++) {
		unsigned long long v;
		if (strcmp(argv[i], "--contracts") == 0 && i + 1 < argc) {
			if (parse_num(argv[++i], 0, DB_SEED_MAX_CONTRACTS, &v) != 0) {
				fprintf(stderr, "error: --contracts wants a number from 0 to %ld, not '%s'\n",
					DB_SEED_MAX_CONTRACTS, argv[i]);
				return CLI_USAGE;
			}
			opts.contracts = (long)v;
		} else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			if (parse_num(argv[++i], 0, UINT64_MAX, &v) != 0) {
				fprintf(stderr, "error: --seed wants a non-negative number, not '%s'\n", argv[i]);
				return CLI_USAGE;
			}
			opts.seed = v;
		} else if (strcmp(argv[i], "--bulk") == 0 && i + 1 < argc) {
			static const char *const modes[] = {
				[DB_SEED_BULK_AUTO] = "auto", [DB_SEED_BULK_ON] = "on", [DB_SEED_BULK_OFF] = "off",
			};
			const char *m = argv[++i];
			int k = 0;
			while (k < 3 && strcmp(m, modes[k]) != 0)
				k++;
			if (k == 3) {
				fprintf(stderr, "error: --bulk wants auto, on or off, not '%s'\n", m);
				return CLI_USAGE;
			}
			opts.bulk = (enum db_seed_bulk)k;
		} else if (strcmp(argv[i], "--reset") == 0) {
			opts.reset = true;
		} else {
			return cli_usage(&cmd_demo);
		}
	}

	struct db *db = cli_connect();
	if (!db)
		return CLI_CONNECT;
	struct db_seed_summary sum;
	struct otp_err err;
	int rc = db_seed_run(db, &opts, &sum, &err);
	db_close(db);
	if (rc != 0)
		return cli_error(&err);
	printf("seeded %ld contracts (", sum.contracts);
	for (int s = 0; s < DB_SEED_STATE_COUNT; s++)
		printf("%s%s %ld", s ? ", " : "", db_seed_state_name((enum db_seed_state)s), sum.state[s]);
	printf("), %ld failures, %ld fraud holds, %d branches, %d staff (%d roles created) in %.2f s\n",
	       sum.failures, sum.fraud_holds, sum.branches, sum.staff, sum.roles_created, sum.elapsed);
	return CLI_OK;
}

static int demo_main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "seed") == 0)
		return seed(argc - 1, argv + 1);
	return cli_usage(&cmd_demo);
}
