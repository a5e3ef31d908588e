/* otpctl staff / branch / policy: the administrator's commands. Every change
 * is an otp_api function call: the database checks the caller's role and
 * audits it; this file only parses arguments and prints outcomes. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "db/db.h"

static int staff_main(int argc, char **argv);
static int branch_main(int argc, char **argv);
static int policy_main(int argc, char **argv);

const struct cli_cmd cmd_staff = {
	.name = "staff",
	.usage = "otpctl staff list\n"
		 "       otpctl staff add LOGIN --name NAME --branch CODE --groups G1[,G2] [--password-stdin]\n"
		 "       otpctl staff deactivate LOGIN | activate LOGIN\n"
		 "       otpctl staff groups LOGIN G1[,G2]\n"
		 "       otpctl staff passwd LOGIN [--password-stdin]",
	.summary = "staff logins: create, (de)activate, groups, password (administrators)",
	.run = staff_main,
};

const struct cli_cmd cmd_branch = {
	.name = "branch",
	.usage = "otpctl branch list\n"
		 "       otpctl branch set CODE --name NAME --name-en NAME [--head-office] [--cutoff HH:MM]\n"
		 "       otpctl branch closing-day CODE YYYY-MM-DD --reason TEXT\n"
		 "       otpctl branch reopen-day CODE YYYY-MM-DD",
	.summary = "branches and their own closing days (administrators)",
	.run = branch_main,
};

const struct cli_cmd cmd_policy = {
	.name = "policy",
	.usage = "otpctl policy show\n"
		 "       otpctl policy set [--lock-threshold N] [--window STEPS] [--cutoff HH:MM]\n"
		 "                         [--auto-unlock MINUTES|off] [--idle-lock MINUTES]",
	.summary = "lock threshold, verification window, cutoff, idle lock (administrators)",
	.run = policy_main,
};

/* Read a password: from stdin (one line) when asked, else from the terminal
 * without echo. Returns a malloc'd string the caller wipes, or NULL. */
static char *read_password(int from_stdin, const char *prompt)
{
	char buf[256];
	struct termios old, quiet;
	int tty = !from_stdin && isatty(STDIN_FILENO);
	if (!from_stdin && !tty) {
		fprintf(stderr, "error: no terminal to read the password from\nhint: use --password-stdin\n");
		return NULL;
	}
	if (tty) {
		fprintf(stderr, "%s", prompt);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	char *got = fgets(buf, sizeof buf, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (!got) {
		fprintf(stderr, "error: no password given\n");
		return NULL;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	char *pw = strdup(buf);
	OPENSSL_cleanse(buf, sizeof buf);
	return pw;
}

static void free_password(char *pw)
{
	if (pw) {
		OPENSSL_cleanse(pw, strlen(pw));
		free(pw);
	}
}

/* Print an outcome or the error; returns the exit code. */
static int report(int rc, const struct db_outcome *out, const struct otp_err *err)
{
	if (rc != 0)
		return cli_error(err);
	printf("%s\n", out->message);
	return CLI_OK;
}

static int staff_list(struct db *db)
{
	static struct db_staff rows[1000];
	int n = 0;
	struct otp_err err;
	if (db_staff_list(db, rows, 1000, &n, &err) != 0)
		return cli_error(&err);
	for (int i = 0; i < n; i++)
		printf("%s\t%s\t%s\t%s\t%s\n", rows[i].login, rows[i].display_name, rows[i].branch_code,
		       rows[i].active ? "active" : "inactive", rows[i].roles);
	return CLI_OK;
}

static int staff_add(struct db *db, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' }, { "branch", required_argument, NULL, 'b' },
		{ "groups", required_argument, NULL, 'g' }, { "password-stdin", no_argument, NULL, 's' },
		{ 0, 0, 0, 0 },
	};
	const char *name = NULL, *branch = NULL, *groups = NULL;
	int from_stdin = 0, c;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'b': branch = optarg; break;
		case 'g': groups = optarg; break;
		case 's': from_stdin = 1; break;
		default: return cli_usage(&cmd_staff);
		}
	}
	if (optind != argc - 1 || !name || !branch || !groups)
		return cli_usage(&cmd_staff);
	char *pw = read_password(from_stdin, "password for the new login: ");
	if (!pw)
		return CLI_USAGE;
	struct db_outcome out;
	struct otp_err err;
	int rc = db_staff_create(db, argv[optind], name, branch, groups, pw, &out, &err);
	free_password(pw);
	return report(rc, &out, &err);
}

static int staff_main(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(&cmd_staff);
	const char *sub = argv[1];
	int known = !strcmp(sub, "list") || !strcmp(sub, "add") || !strcmp(sub, "deactivate") ||
		    !strcmp(sub, "activate") || !strcmp(sub, "groups") || !strcmp(sub, "passwd");
	if (!known)
		return cli_usage(&cmd_staff);
	if ((!strcmp(sub, "deactivate") || !strcmp(sub, "activate")) && argc != 3)
		return cli_usage(&cmd_staff);
	if (!strcmp(sub, "groups") && argc != 4)
		return cli_usage(&cmd_staff);
	if (!strcmp(sub, "passwd") && (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "--password-stdin"))))
		return cli_usage(&cmd_staff);
	struct db *db = cli_connect();
	if (!db)
		return CLI_CONNECT;
	struct db_outcome out;
	struct otp_err err;
	int rc;
	if (!strcmp(sub, "list")) {
		rc = staff_list(db);
	} else if (!strcmp(sub, "add")) {
		rc = staff_add(db, argc, argv);
	} else if (!strcmp(sub, "groups")) {
		rc = report(db_staff_set_groups(db, argv[2], argv[3], &out, &err), &out, &err);
	} else if (!strcmp(sub, "passwd")) {
		char *pw = read_password(argc == 4, "new password: ");
		rc = pw ? report(db_staff_set_password(db, argv[2], pw, &out, &err), &out, &err) : CLI_USAGE;
		free_password(pw);
	} else {
		rc = report(db_staff_set_active(db, argv[2], !strcmp(sub, "activate"), &out, &err), &out, &err);
	}
	db_close(db);
	return rc;
}

static int branch_set(struct db *db, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' }, { "name-en", required_argument, NULL, 'e' },
		{ "head-office", no_argument, NULL, 'h' }, { "cutoff", required_argument, NULL, 'c' },
		{ 0, 0, 0, 0 },
	};
	const char *name = NULL, *name_en = NULL, *cutoff = NULL;
	int head = 0, c;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'e': name_en = optarg; break;
		case 'h': head = 1; break;
		case 'c': cutoff = optarg; break;
		default: return cli_usage(&cmd_branch);
		}
	}
	if (optind != argc - 1 || !name || !name_en)
		return cli_usage(&cmd_branch);
	struct db_outcome out;
	struct otp_err err;
	return report(db_branch_upsert(db, argv[optind], name, name_en, head, cutoff, &out, &err), &out, &err);
}

static int branch_main(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(&cmd_branch);
	const char *sub = argv[1];
	int closing = !strcmp(sub, "closing-day"), reopen = !strcmp(sub, "reopen-day");
	if (!strcmp(sub, "list") ? argc != 2
	    : closing	     ? (argc != 6 || strcmp(argv[4], "--reason"))
	    : reopen	     ? argc != 4
			     : strcmp(sub, "set") != 0)
		return cli_usage(&cmd_branch);
	struct db *db = cli_connect();
	if (!db)
		return CLI_CONNECT;
	struct db_outcome out;
	struct otp_err err;
	int rc;
	if (!strcmp(sub, "list")) {
		static struct db_branch rows[1000];
		int n = 0;
		rc = db_branch_list(db, rows, 1000, &n, &err) ? cli_error(&err) : CLI_OK;
		for (int i = 0; rc == CLI_OK && i < n; i++)
			printf("%s\t%s\t%s\t%s\t%s\n", rows[i].code, rows[i].name, rows[i].name_en,
			       rows[i].head_office ? "head-office" : "branch", rows[i].cutoff[0] ? rows[i].cutoff : "-");
	} else if (closing || reopen) {
		rc = report(db_branch_closing_day(db, argv[2], argv[3], closing, closing ? argv[5] : NULL, &out, &err),
			    &out, &err);
	} else {
		rc = branch_set(db, argc, argv);
	}
	db_close(db);
	return rc;
}

/* Parse a policy number option; returns -2 on error. */
static int parse_num(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 0 || v > 100000) {
		fprintf(stderr, "error: %s must be a non-negative number, not '%s'\n", what, s);
		return -2;
	}
	return (int)v;
}

static int policy_main(int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "show") && strcmp(argv[1], "set")) || (!strcmp(argv[1], "show") && argc != 2))
		return cli_usage(&cmd_policy);
	int threshold = -1, window = -1, autou = -1, idle = -1;
	const char *cutoff = NULL;
	if (!strcmp(argv[1], "set")) {
		static const struct option opts[] = {
			{ "lock-threshold", required_argument, NULL, 't' }, { "window", required_argument, NULL, 'w' },
			{ "cutoff", required_argument, NULL, 'c' }, { "auto-unlock", required_argument, NULL, 'a' },
			{ "idle-lock", required_argument, NULL, 'i' }, { 0, 0, 0, 0 },
		};
		int c;
		optind = 2;
		while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
			switch (c) {
			case 't': threshold = parse_num(optarg, "--lock-threshold"); break;
			case 'w': window = parse_num(optarg, "--window"); break;
			case 'c': cutoff = optarg; break;
			case 'a': autou = !strcmp(optarg, "off") ? 0 : parse_num(optarg, "--auto-unlock"); break;
			case 'i': idle = parse_num(optarg, "--idle-lock"); break;
			default: return cli_usage(&cmd_policy);
			}
		}
		if (optind != argc || threshold == -2 || window == -2 || autou == -2 || idle == -2)
			return CLI_USAGE;
		if (threshold < 0 && window < 0 && !cutoff && autou < 0 && idle < 0)
			return cli_usage(&cmd_policy);
	}
	struct db *db = cli_connect();
	if (!db)
		return CLI_CONNECT;
	struct db_outcome out;
	struct otp_err err;
	int rc;
	if (!strcmp(argv[1], "set")) {
		rc = report(db_policy_set(db, threshold, window, cutoff, autou, idle, &out, &err), &out, &err);
	} else {
		struct db_policy p;
		rc = db_policy_get(db, &p, &err) ? cli_error(&err) : CLI_OK;
		if (rc == CLI_OK) {
			printf("lock_threshold\t%d\nwindow_steps\t%d\ncutoff\t%s\n", p.lock_threshold, p.window_steps,
			       p.cutoff);
			if (p.auto_unlock_minutes)
				printf("auto_unlock_minutes\t%d\n", p.auto_unlock_minutes);
			else
				printf("auto_unlock_minutes\toff\n");
			printf("idle_lock_minutes\t%d\nupdated\t%s by %s\n", p.idle_lock_minutes, p.updated_at,
			       p.updated_by);
		}
	}
	db_close(db);
	return rc;
}
