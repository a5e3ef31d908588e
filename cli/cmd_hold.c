/* otpctl hold: set and lift fraud holds on a contract (helpdesk, admin). A
 * hold blocks branch unlock/reset requests from submission to execution
 * until it is lifted; both steps need a reason and are audited. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "db/workflow.h"

static int hold_main(int argc, char **argv);

const struct cli_cmd cmd_hold = {
	.name = "hold",
	.usage = "otpctl hold set CONTRACT --reason TEXT\n"
		 "       otpctl hold lift CONTRACT --reason TEXT",
	.summary = "set or lift a fraud hold on a contract",
	.run = hold_main,
};

static const struct {
	const char *name;
	int (*fn)(struct db *, const char *, const char *, struct db_outcome *, struct otp_err *);
} actions[] = {
	{ "set", db_fraud_hold_set },
	{ "lift", db_fraud_hold_lift },
};

static int hold_main(int argc, char **argv)
{
	/* hold ACTION CONTRACT --reason TEXT */
	if (argc != 5 || strcmp(argv[3], "--reason") != 0)
		return cli_usage(&cmd_hold);
	for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
		if (strcmp(argv[1], actions[i].name) != 0)
			continue;
		struct db *db = cli_connect();
		if (!db)
			return CLI_CONNECT;
		struct db_outcome out;
		struct otp_err err;
		int rc = actions[i].fn(db, argv[2], argv[4], &out, &err);
		db_close(db);
		if (rc != 0)
			return cli_error(&err);
		printf("%s\n", out.message);
		return CLI_OK;
	}
	return cli_usage(&cmd_hold);
}
