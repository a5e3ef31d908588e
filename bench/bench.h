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

/* "--seconds 5" style option parsing helpers: value after argv[i] or exit 2. */
double bench_arg_double(int argc, char **argv, int *i);
long bench_arg_long(int argc, char **argv, int *i);

#endif
