/* bench: the otpbench program behind `make bench` (scripts/bench.sh runs it).
 * Each figure family is one file bench/bench_<name>.c exporting one
 * `const struct bench_cmd bench_<name>`, listed in otpbench.c's table.
 * A command measures one thing (a figure and, where the issue asks, its
 * baseline in the same process, back to back) and prints one JSON object per
 * measured figure on stdout via bench_emit(); everything for humans goes to
 * stderr. scripts/bench.sh collects the lines into bench/results.json and
 * prints the table. Benchmarks are never part of `make check`. */
#ifndef OTPDESK_BENCH_H
#define OTPDESK_BENCH_H

#include <stddef.h>
#include <stdint.h>

struct bench_cmd {
	const char *name;	/* "totp" */
	const char *usage;	/* "otpbench totp [--seconds S]" */
	const char *summary;
	int (*run)(int argc, char **argv);	/* argv[0] = name; 0 ok, else exit status */
};

/* One measured figure as a JSON line on stdout:
 * {"figure":"totp_check","value":1.23e6,"unit":"ops/s","extra":{...}}
 * extra_json: NULL or a JSON object text ("{\"p99_ms\":1.2}") merged as "extra". */
void bench_emit(const char *figure, double value, const char *unit, const char *extra_json);

/* Monotonic clock in seconds. */
double bench_now(void);

/* Percentile q (0..1) of n samples (sorts samples in place). */
double bench_percentile(double *samples, size_t n, double q);

/* CPU seconds used by the calling thread (what "one core" figures divide by). */
double bench_cpu_now(void);

/* In-process figures measured back to back: each variant's step(state, n)
 * runs n operations (n >= 1) and returns 0, or -1 on failure. */
struct bench_variant {
	const char *figure;	/* JSON figure name, e.g. "totp_check" */
	const char *unit;	/* "checks/s" */
	int (*step)(void *state, long n);
	void *state;
	long ops_per_step;	/* operations one call with n = 1 counts (events per pass...) */
};

/* Run the variants interleaved in slices of about 0.1 s each (one, the next,
 * ..., round robin, so the machine's load changes hit all of them alike) for
 * `seconds` in total, `runs` times; after each run emit one line per variant
 * with value = operations per CPU second of this thread, and extra
 * {"run":r,"ops":..,"cpu_s":..,"wall_s":..,"ns_per_op":..}. Returns 0 or -1. */
int bench_interleave(struct bench_variant *v, size_t nv, double seconds, int runs);

/* "--seconds 5" style option parsing helpers: value after argv[i] or exit 2. */
double bench_arg_double(int argc, char **argv, int *i);
long bench_arg_long(int argc, char **argv, int *i);

#endif
