/* cli: otpctl's command table and shared helpers. Each command lives in its
 * own cli/cmd_*.c and exports one const struct cli_cmd; cli/otpctl.c holds the
 * table. Results go to stdout, progress and errors to stderr. */
#ifndef OTPDESK_CLI_H
#define OTPDESK_CLI_H

#include "common/err.h"

/* Exit codes shared by every command (psql/pgbench convention). */
enum {
	CLI_OK = 0,
	CLI_ERROR = 1,
	CLI_CONNECT = 2,
	CLI_USAGE = 3,
};

struct cli_cmd {
	const char *name;	/* first word after otpctl */
	const char *usage;	/* one or more lines, each "otpctl NAME ..." */
	const char *summary;	/* one line for the command list */
	int (*run)(int argc, char **argv);	/* argv[0] is the command name */
};

/* Print "error: / detail: / hint:" lines for err to stderr; returns the exit
 * code that fits the error kind. */
int cli_error(const struct otp_err *err);
/* Print "usage:" with cmd's usage text to stderr; returns CLI_USAGE. */
int cli_usage(const struct cli_cmd *cmd);

struct db;
/* Connect with libpq conventions (PGHOST, PGSERVICE, ...) plus OTP_USER /
 * OTP_PASSWORD when set; on failure prints the error and returns NULL. */
struct db *cli_connect(void);

#endif
