/* otpctl calendar: the national holidays, bank business days and the
 * due dates of a request, from the C calendar (cal/). Only --branch needs
 * the database, for the branch's own closing days and cutoff. Results go to
 * stdout, one item a line, tab-separated; counts and errors to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cal/cal.h"
#include "cli/cli.h"
#include "db/calendar.h"

static int calendar_main(int argc, char **argv);

const struct cli_cmd cmd_calendar = {
	.name = "calendar",
	.usage = "otpctl calendar holidays YEAR\n"
		 "       otpctl calendar business-days FROM TO [--branch CODE]\n"
		 "       otpctl calendar due 'YYYY-MM-DD HH:MM' [--branch CODE]",
	.summary = "national holidays, bank business days, due dates of a request",
	.run = calendar_main,
};

/* Positional arguments and the --branch option of one subcommand. */
struct args {
	const char *pos[2];
	int npos;
	const char *branch;
};

/* Split argv (after the subcommand) into want positional arguments and
 * --branch CODE / --branch=CODE; -1 on anything else. */
static int parse_args(int argc, char **argv, int want, bool branch_ok, struct args *a)
{
	memset(a, 0, sizeof *a);
	for (int i = 1; i < argc; i++) {
		if (branch_ok && strcmp(argv[i], "--branch") == 0 && i + 1 < argc && !a->branch)
			a->branch = argv[++i];
		else if (branch_ok && strncmp(argv[i], "--branch=", 9) == 0 && !a->branch)
			a->branch = argv[i] + 9;
		else if (argv[i][0] == '-' && argv[i][1] == '-')
			return -1;
		else if (a->npos < want)
			a->pos[a->npos++] = argv[i];
		else
			return -1;
	}
	return a->npos == want ? 0 : -1;
}

static int usage_error(const char *fmt, const char *arg)
{
	struct otp_err err;
	otp_err_set(&err, OTP_ERR_USAGE, fmt, arg);
	return cli_error(&err);
}

/* Load branch's calendar for [from, to]; prints the error and returns the
 * exit code on failure, CLI_OK on success. */
static int load_branch(const char *branch, cal_day from, cal_day to, struct db_branch_calendar *bc)
{
	struct db *db = cli_connect();
	if (!db)
		return CLI_CONNECT;
	struct otp_err err;
	int rc = db_branch_calendar(db, branch, from, to, bc, &err);
	db_close(db);
	return rc == 0 ? CLI_OK : cli_error(&err);
}

static int holidays(int argc, char **argv)
{
	struct args a;
	if (parse_args(argc, argv, 1, false, &a) != 0)
		return cli_usage(&cmd_calendar);
	const char *s = a.pos[0];
	bool digits = strlen(s) == 4;
	for (int i = 0; digits && i < 4; i++)
		digits = s[i] >= '0' && s[i] <= '9';
	if (!digits)
		return usage_error("not a year: '%.20s' (write four digits, e.g. 2026)", s);
	struct cal_holiday h[CAL_HOLIDAYS_MAX];
	struct otp_err err;
	int n = cal_holidays(atoi(s), h, &err);
	if (n < 0)
		return cli_error(&err);
	for (int i = 0; i < n; i++) {
		char buf[CAL_DATE_LEN];
		printf("%s\t%s\t%s\n", cal_format(h[i].day, buf), cal_holiday_name_ja(h[i].kind),
		       cal_holiday_name_en(h[i].kind));
	}
	return CLI_OK;
}

static int business_days(int argc, char **argv)
{
	struct args a;
	if (parse_args(argc, argv, 2, true, &a) != 0)
		return cli_usage(&cmd_calendar);
	cal_day from, to;
	struct otp_err err;
	if (cal_parse_date(a.pos[0], &from, &err) != 0 || cal_parse_date(a.pos[1], &to, &err) != 0)
		return cli_error(&err);
	if (from > to)
		return usage_error("FROM is after TO (%s)", a.pos[0]);
	/* both ends must be known to the calendar before any database work */
	if (cal_is_business_day(from, NULL, &err) < 0 || cal_is_business_day(to, NULL, &err) < 0)
		return cli_error(&err);
	struct db_branch_calendar bc = { 0 };
	if (a.branch) {
		int rc = load_branch(a.branch, from, to, &bc);
		if (rc != CLI_OK)
			return rc;
	}
	long count = 0;
	int rc = CLI_OK;
	for (cal_day d = from; d <= to; d++) {
		int b = cal_is_business_day(d, a.branch ? &bc.cal : NULL, &err);
		if (b < 0) {
			rc = cli_error(&err);
			break;
		}
		if (b) {
			char buf[CAL_DATE_LEN];
			printf("%s\n", cal_format(d, buf));
			count++;
		}
	}
	db_branch_calendar_free(&bc);
	if (rc == CLI_OK)
		fprintf(stderr, "%ld business day%s\n", count, count == 1 ? "" : "s");
	return rc;
}

static int due(int argc, char **argv)
{
	struct args a;
	if (parse_args(argc, argv, 1, true, &a) != 0)
		return cli_usage(&cmd_calendar);
	cal_day day;
	int sec;
	struct otp_err err;
	if (cal_parse_datetime(a.pos[0], &day, &sec, &err) != 0)
		return cli_error(&err);
	if (cal_is_business_day(day, NULL, &err) < 0)
		return cli_error(&err);
	struct db_branch_calendar bc = { 0 };
	if (a.branch) {
		int rc = load_branch(a.branch, day, cal_last_day(), &bc);
		if (rc != CLI_OK)
			return rc;
	}
	struct cal_due r;
	int rc = cal_due(day, sec, a.branch ? &bc.cal : NULL, &r, &err);
	db_branch_calendar_free(&bc);
	if (rc != 0)
		return cli_error(&err);
	char d1[CAL_DATE_LEN], d2[CAL_DATE_LEN], d3[CAL_DATE_LEN];
	printf("day1\t%s\neligible\t%s\ndue\t%s\n", cal_format(r.day1, d1), cal_format(r.eligible, d2),
	       cal_format(r.due, d3));
	return CLI_OK;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} subcommands[] = {
	{ "holidays", holidays },
	{ "business-days", business_days },
	{ "due", due },
};

static int calendar_main(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(&cmd_calendar);
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "error: unknown calendar subcommand: %s\n", argv[1]);
	return cli_usage(&cmd_calendar);
}
