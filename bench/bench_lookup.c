/* bench_lookup: contract lookup latency (issue 10) through db/db.h, as a
 * staff login at one client: by contract ID (db_contract_get), by
 * credential ID (db_contract_by_credential) and by kana prefix, first page
 * (db_contract_search_kana). Keys are drawn at random from the data (the
 * superuser samples them before the clock starts); the three kinds are
 * interleaved key by key so that they see the same moment of the machine.
 * Every lookup must find its contract (a kana page may be empty only if no
 * name starts with the prefix, which cannot happen for sampled prefixes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "db/bench.h"
#include "db/db.h"

#define DEFAULT_SAMPLES 2000L
#define KANA_PAGE 20

static int lookup_main(int argc, char **argv);

const struct bench_cmd bench_lookup = {
	.name = "lookup",
	.usage = "otpbench lookup [--samples K] [--login LOGIN]",
	.summary = "contract lookup p50/p99 by contract ID, credential ID and kana prefix (1 client)",
	.run = lookup_main,
};

enum kind { BY_CONTRACT, BY_CREDENTIAL, BY_KANA, NKIND };

static const struct {
	const char *figure;
	const char *what;
	enum db_bench_keys keys;
} kinds[NKIND] = {
	[BY_CONTRACT] = { "lookup_contract", "contract ID", DB_BENCH_KEY_CONTRACT },
	[BY_CREDENTIAL] = { "lookup_credential", "credential ID", DB_BENCH_KEY_CREDENTIAL },
	[BY_KANA] = { "lookup_kana", "kana prefix", DB_BENCH_KEY_KANA },
};

/* One lookup of key; 0 when it found at least one contract. */
static int look(struct db *db, enum kind k, const char *key, struct otp_err *err)
{
	struct db_contract c;
	struct db_contract_page page;
	switch (k) {
	case BY_CONTRACT:
		return db_contract_get(db, key, &c, err);
	case BY_CREDENTIAL:
		return db_contract_by_credential(db, key, &c, err);
	case BY_KANA:
		if (db_contract_search_kana(db, key, NULL, KANA_PAGE, &page, err) != 0)
			return -1;
		int n = page.n;
		db_contract_page_free(&page);
		return n > 0 ? 0 : otp_err_set(err, OTP_ERR_NOTFOUND, "no contract found");
	default:
		return otp_err_set(err, OTP_ERR_INTERNAL, "unknown lookup");
	}
}

static int lookup_main(int argc, char **argv)
{
	long samples = DEFAULT_SAMPLES;
	const char *login = "demo_helpdesk";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--samples") == 0)
			samples = bench_arg_long(argc, argv, &i);
		else if (strcmp(argv[i], "--login") == 0 && i + 1 < argc)
			login = argv[++i];
		else {
			fprintf(stderr, "usage: %s\n", bench_lookup.usage);
			return 2;
		}
	}
	if (samples < 1) {
		fprintf(stderr, "usage: %s\n  (samples >= 1)\n", bench_lookup.usage);
		return 2;
	}

	struct otp_err err;
	struct db *su = NULL, *db = NULL;
	struct db_conn_params sp = { .conninfo = getenv("OTP_DSN"), .appname = "otpbench" };
	const char *pw = getenv("OTP_LOOKUP_PASSWORD");
	struct db_conn_params lp = { .conninfo = getenv("OTP_DSN"), .user = login, .password = pw && *pw ? pw : login,
				     .appname = "otpbench-lookup" };
	char **keys[NKIND] = { NULL };
	long nkeys[NKIND] = { 0 };
	double *lat[NKIND] = { NULL };
	long long contracts = 0, events = 0;
	int status = 1;

	if (db_connect(&su, &sp, &err) != 0)
		goto fail;
	for (int k = 0; k < NKIND; k++)
		if (db_bench_random_keys(su, kinds[k].keys, samples, &keys[k], &nkeys[k], &err) != 0)
			goto fail;
	if (db_bench_sizes(su, &contracts, &events, &err) != 0)
		goto fail;
	db_close(su);
	su = NULL;
	if (db_connect(&db, &lp, &err) != 0)
		goto fail;
	for (int k = 0; k < NKIND; k++)
		if (!(lat[k] = malloc((size_t)samples * sizeof *lat[k]))) {
			otp_err_set(&err, OTP_ERR_INTERNAL, "out of memory");
			goto fail;
		}
	fprintf(stderr, "lookup: %ld keys of each kind as %s (%lld contracts, %lld audit events)\n", samples, login,
		contracts, events);

	/* warm-up: prepares the statements; untimed */
	for (int k = 0; k < NKIND; k++)
		if (look(db, (enum kind)k, keys[k][0], &err) != 0) {
			fprintf(stderr, "otpbench lookup: %s %s: ", kinds[k].what, keys[k][0]);
			goto fail;
		}
	double t_start = bench_now();
	for (long i = 0; i < samples; i++)
		for (int k = 0; k < NKIND; k++) {
			double t0 = bench_now();
			int rc = look(db, (enum kind)k, keys[k][i], &err);
			lat[k][i] = bench_now() - t0;
			if (rc != 0) {
				fprintf(stderr, "otpbench lookup: %s %s: ", kinds[k].what, keys[k][i]);
				goto fail;
			}
		}
	double total = bench_now() - t_start;

	for (int k = 0; k < NKIND; k++) {
		double p50 = bench_percentile(lat[k], (size_t)samples, 0.50) * 1e3;
		double p99 = bench_percentile(lat[k], (size_t)samples, 0.99) * 1e3;
		double max = lat[k][samples - 1] * 1e3;	/* sorted by bench_percentile */
		char name[64], extra[256];
		snprintf(extra, sizeof extra,
			 "{\"samples\":%ld,\"login\":\"%s\",\"contracts\":%lld,\"audit_events\":%lld,\"max_ms\":%.3f}",
			 samples, login, contracts, events, max);
		snprintf(name, sizeof name, "%s_p50", kinds[k].figure);
		bench_emit(name, p50, "ms", extra);
		snprintf(name, sizeof name, "%s_p99", kinds[k].figure);
		bench_emit(name, p99, "ms", extra);
		fprintf(stderr, "lookup by %-13s p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", kinds[k].what, p50, p99, max);
	}
	fprintf(stderr, "lookup: %ld lookups in %.2f s\n", samples * NKIND, total);
	status = 0;
	goto out;
fail:
	fprintf(stderr, "%s%s%s\n", err.message, err.hint[0] ? "\n  hint: " : "", err.hint);
out:
	db_close(su);
	db_close(db);
	for (int k = 0; k < NKIND; k++) {
		db_bench_strings_free(keys[k], nkeys[k]);
		free(lat[k]);
	}
	return status;
}
