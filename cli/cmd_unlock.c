/* otpctl unlock: the batch side of the request workflow. `run-due` executes
 * every APPROVED request whose eligible business day has come, 50 to a
 * transaction, each request on its own (a failure of one never undoes
 * another); it is idempotent and safe to run twice or concurrently
 * (systemd timer example: docs/otpctl-unlock.{service,timer}). It must run
 * as a login in otp_batch (OTP_USER / OTP_PASSWORD, or PGUSER ...).
 * Progress goes to stderr every 1000 requests, the summary line to stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "db/workflow.h"

static int unlock_main(int argc, char **argv);

/* Connections run-due uses by default (each executes its share, pipelined):
 * on 2 cores 2 were fastest (100k: 1 worker 24 s, 2 workers 15-24 s, 4
 * workers 17 s; docs/WORKFLOW.md). */
#define DEFAULT_WORKERS 2

const struct cli_cmd cmd_unlock = {
	.name = "unlock",
	.usage = "otpctl unlock run-due [--as-of DATE] [--workers N]\n"
		 "       otpctl unlock overdue",
	.summary = "batch: execute approved requests that are due; list overdue requests",
	.run = unlock_main,
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct run {
	double started;
};

static void progress(void *arg, const struct db_run_due *s)
{
	const struct run *run = arg;
	long done = s->executed + s->already + s->failed;
	fprintf(stderr, "run-due: %ld/%ld done (%ld executed, %ld already done, %ld failed) %.1f s\n", done, s->due,
		s->executed, s->already, s->failed, now_s() - run->started);
}

static void on_fail(void *arg, const char *receipt, const struct otp_err *err)
{
	(void)arg;
	fprintf(stderr, "run-due: %s: %s%s%s%s\n", receipt, err->message, err->sqlstate[0] ? " (SQLSTATE " : "",
		err->sqlstate, err->sqlstate[0] ? ")" : "");
}

static int run_due(int argc, char **argv)
{
	const char *as_of = NULL;
	long workers = DEFAULT_WORKERS;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--as-of") == 0 && i + 1 < argc) {
			as_of = argv[++i];
		} else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
			char *end;
			workers = strtol(argv[++i], &end, 10);
			if (*end || workers < 1 || workers > 16) {
				fprintf(stderr, "error: --workers must be 1 to 16\n");
				return cli_usage(&cmd_unlock);
			}
		} else {
			return cli_usage(&cmd_unlock);
		}
	}
	struct db *db = cli_connect();
	if (!db)
		return CLI_CONNECT;
	struct run run = { now_s() };
	struct db_run_due_opts hooks = {
		.progress = progress, .every = 1000, .on_fail = on_fail, .arg = &run, .workers = (int)workers,
	};
	struct db_run_due sum;
	struct otp_err err;
	int rc = db_request_run_due(db, as_of, &hooks, &sum, &err);
	db_close(db);
	if (sum.as_of[0])	/* the list was read: say what became of it, even after an error */
		printf("run-due %s: %ld due, %ld executed, %ld already done, %ld failed (%.1f s)\n", sum.as_of, sum.due,
		       sum.executed, sum.already, sum.failed, now_s() - run.started);
	if (rc != 0)
		return cli_error(&err);
	return sum.failed ? CLI_ERROR : CLI_OK;
}

static int overdue(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return cli_usage(&cmd_unlock);
	struct db *db = cli_connect();
	if (!db)
		return CLI_CONNECT;
	struct db_request_filter f = { .overdue_only = true };
	struct db_request last;
	bool have_last = false;
	int rc = CLI_OK;
	for (;;) {
		struct db_request_page page;
		struct otp_err err;
		if (db_request_list(db, &f, have_last ? &last : NULL, 500, &page, &err) != 0) {
			rc = cli_error(&err);
			break;
		}
		for (int i = 0; i < page.n; i++) {
			const struct db_request *q = &page.rows[i];
			printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", q->receipt_no, db_req_state_name(q->state),
			       db_req_kind_name(q->kind), q->branch_code, q->contract_id, q->received_at, q->eligible,
			       q->due);
		}
		bool more = page.more;
		if (page.n) {
			last = page.rows[page.n - 1];
			have_last = true;
		}
		db_request_page_free(&page);
		if (!more)
			break;
	}
	db_close(db);
	return rc;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} subcommands[] = {
	{ "run-due", run_due },
	{ "overdue", overdue },
};

static int unlock_main(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(&cmd_unlock);
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "error: unknown subcommand: unlock %s\n", argv[1]);
	return cli_usage(&cmd_unlock);
}
