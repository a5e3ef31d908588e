/* otpbench: the benchmark driver (see bench/bench.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench.h"

extern const struct bench_cmd bench_audit_append;
extern const struct bench_cmd bench_audit_gen;
extern const struct bench_cmd bench_chain;
extern const struct bench_cmd bench_lookup;
extern const struct bench_cmd bench_mkrequests;
extern const struct bench_cmd bench_seed_copy;
extern const struct bench_cmd bench_totp;
extern const struct bench_cmd bench_unseal;
extern const struct bench_cmd bench_verify;
extern const struct bench_cmd bench_verify_cli;

/* One line per command, sorted by name. */
static const struct bench_cmd *const commands[] = {
	&bench_audit_append,
	&bench_audit_gen,
	&bench_chain,
	&bench_lookup,
	&bench_mkrequests,
	&bench_seed_copy,
	&bench_totp,
	&bench_unseal,
	&bench_verify,
	&bench_verify_cli,
	NULL,
};

void bench_emit(const char *figure, double value, const char *unit, const char *extra_json)
{
	printf("{\"figure\":\"%s\",\"value\":%.6g,\"unit\":\"%s\"", figure, isfinite(value) ? value : 0.0, unit);
	if (extra_json && *extra_json)
		printf(",\"extra\":%s", extra_json);
	printf("}\n");
	fflush(stdout);
}

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define SLICE_SECONDS 0.1

int bench_interleave(struct bench_variant *v, size_t nv, double seconds, int runs)
{
	long *n = calloc(nv, sizeof *n);
	double *ops = calloc(nv, sizeof *ops), *cpu = calloc(nv, sizeof *cpu), *wall = calloc(nv, sizeof *wall);
	int rc = -1;

	if (!n || !ops || !cpu || !wall)
		goto out;
	/* Calibrate each step count to about one slice of CPU (warms caches too). */
	for (size_t k = 0; k < nv; k++) {
		double dt;
		n[k] = 1;
		for (;;) {
			double c0 = bench_cpu_now();
			if (v[k].step(v[k].state, n[k]) != 0)
				goto out;
			dt = bench_cpu_now() - c0;
			if (dt >= SLICE_SECONDS / 8 || n[k] > (1L << 40))
				break;
			n[k] *= 2;
		}
		long want = dt > 0 ? (long)((double)n[k] * SLICE_SECONDS / dt) : n[k];
		n[k] = want > 0 ? want : 1;
	}
	for (int r = 1; r <= runs; r++) {
		for (size_t k = 0; k < nv; k++)
			ops[k] = cpu[k] = wall[k] = 0;
		double start = bench_now();
		while (bench_now() - start < seconds) {
			for (size_t k = 0; k < nv; k++) {
				double w0 = bench_now(), c0 = bench_cpu_now();
				if (v[k].step(v[k].state, n[k]) != 0)
					goto out;
				cpu[k] += bench_cpu_now() - c0;
				wall[k] += bench_now() - w0;
				ops[k] += (double)n[k] * (double)v[k].ops_per_step;
			}
		}
		for (size_t k = 0; k < nv; k++) {
			char extra[256];
			snprintf(extra, sizeof extra,
				 "{\"run\":%d,\"ops\":%.0f,\"cpu_s\":%.4f,\"wall_s\":%.4f,\"ns_per_op\":%.1f}", r,
				 ops[k], cpu[k], wall[k], ops[k] > 0 ? cpu[k] * 1e9 / ops[k] : 0.0);
			bench_emit(v[k].figure, cpu[k] > 0 ? ops[k] / cpu[k] : 0.0, v[k].unit, extra);
			fprintf(stderr, "otpbench: run %d %-24s %12.0f %s (%.1f ns/op)\n", r, v[k].figure,
				cpu[k] > 0 ? ops[k] / cpu[k] : 0.0, v[k].unit, ops[k] > 0 ? cpu[k] * 1e9 / ops[k] : 0.0);
		}
	}
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "otpbench: a measured operation failed\n");
	free(n);
	free(ops);
	free(cpu);
	free(wall);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_percentile(double *samples, size_t n, double q)
{
	if (n == 0)
		return 0.0;
	qsort(samples, n, sizeof *samples, cmp_double);
	size_t k = (size_t)(q * (double)(n - 1) + 0.5);
	return samples[k < n ? k : n - 1];
}

static const char *arg_value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "otpbench: %s wants a value\n", argv[*i]);
		exit(2);
	}
	return argv[++*i];
}

double bench_arg_double(int argc, char **argv, int *i)
{
	const char *s = arg_value(argc, argv, i);
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	if (errno || end == s || *end || !(d >= 0)) {
		fprintf(stderr, "otpbench: %s wants a non-negative number, not '%s'\n", argv[*i - 1], s);
		exit(2);
	}
	return d;
}

long bench_arg_long(int argc, char **argv, int *i)
{
	const char *s = arg_value(argc, argv, i);
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0) {
		fprintf(stderr, "otpbench: %s wants a non-negative whole number, not '%s'\n", argv[*i - 1], s);
		exit(2);
	}
	return v;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: otpbench COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; commands[i]; i++)
		fprintf(f, "  %-14s %s\n      %s\n", commands[i]->name, commands[i]->summary, commands[i]->usage);
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; commands[i]; i++)
		if (strcmp(commands[i]->name, argv[1]) == 0)
			return commands[i]->run(argc - 1, argv + 1);
	fprintf(stderr, "otpbench: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
