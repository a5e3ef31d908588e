/* cli: the one error sink of otpctl and the shared connection helper. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "db/db.h"

int cli_error(const struct otp_err *err)
{
	if (err->sqlstate[0])
		fprintf(stderr, "error: %s (SQLSTATE %s)\n", err->message, err->sqlstate);
	else
		fprintf(stderr, "error: %s\n", err->message[0] ? err->message : otp_err_kind_text(err->kind));
	if (err->detail[0])
		fprintf(stderr, "detail: %s\n", err->detail);
	if (err->hint[0])
		fprintf(stderr, "hint: %s\n", err->hint);
	switch (err->kind) {
	case OTP_ERR_USAGE:
		return CLI_USAGE;
	case OTP_ERR_CONNECT:
	case OTP_ERR_CONNLOST:
		return CLI_CONNECT;
	default:
		return CLI_ERROR;
	}
}

int cli_usage(const struct cli_cmd *cmd)
{
	fprintf(stderr, "usage: %s\n", cmd->usage);
	return CLI_USAGE;
}

struct db *cli_connect(void)
{
	struct db_conn_params p = {
		.conninfo = getenv("OTP_DSN"),
		.user = getenv("OTP_USER"),
		.password = getenv("OTP_PASSWORD"),
		.appname = "otpctl",
	};
	struct db *db = NULL;
	struct otp_err err;
	if (db_connect(&db, &p, &err) != 0) {
		cli_error(&err);
		return NULL;
	}
	return db;
}
