/* otpbench: the benchmark driver (see bench/bench.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench.h"

/* One line per command, sorted by name. */
static const struct bench_cmd *const commands[] = {
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
