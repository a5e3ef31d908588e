/* otpctl db: schema migrations and status, run with the owner's (superuser)
 * connection from var/pgenv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "db/db.h"

static int db_main(int argc, char **argv);

const struct cli_cmd cmd_db = {
	.name = "db",
	.usage = "otpctl db migrate [--dir DIR]\n"
		 "       otpctl db whoami",
	.summary = "apply schema migrations; show the connected staff member",
	.run = db_main,
};

static void print_line(const char *line)
{
	fprintf(stderr, "migrate: %s\n", line);
}

static const char *schema_dir(void)
{
	const char *d = getenv("OTP_SCHEMA_DIR");
	return d && *d ? d : OTP_SRCDIR "/schema";
}

static int migrate(int argc, char **argv)
{
	const char *dir = schema_dir();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else
			return cli_usage(&cmd_db);
	}
	struct db *db = cli_connect();
	if (!db)
		return CLI_CONNECT;
	struct otp_err err;
	int n = db_migrate(db, dir, print_line, &err);
	db_close(db);
	if (n < 0)
		return cli_error(&err);
	printf("%d migration%s applied\n", n, n == 1 ? "" : "s");
	return CLI_OK;
}

static int whoami(void)
{
	struct db *db = cli_connect();
	if (!db)
		return CLI_CONNECT;
	struct db_whoami me;
	struct otp_err err;
	int rc = db_whoami(db, &me, &err);
	db_close(db);
	if (rc != 0)
		return cli_error(&err);
	printf("login\t%s\nname\t%s\nbranch\t%s %s\nroles\t", me.login, me.display_name, me.branch_code,
	       me.branch_name);
	const char *sep = "";
	for (int b = 0; b < DB_ROLE_COUNT; b++)
		if (me.roles & (1u << b)) {
			printf("%s%s", sep, db_role_name((enum db_role_bit)b));
			sep = ",";
		}
	printf("\n");
	return CLI_OK;
}

static int db_main(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(&cmd_db);
	if (strcmp(argv[1], "migrate") == 0)
		return migrate(argc - 1, argv + 1);
	if (strcmp(argv[1], "whoami") == 0 && argc == 2)
		return whoami();
	return cli_usage(&cmd_db);
}
