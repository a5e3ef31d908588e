/* otpctl: the command-line face of otpdesk. This file holds only the command
 * table and the dispatcher; each command is one cli/cmd_*.c. A command is
 * found by its full name or a unique prefix (tmux's habit). */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

extern const struct cli_cmd cmd_audit;
extern const struct cli_cmd cmd_branch;
extern const struct cli_cmd cmd_calendar;
extern const struct cli_cmd cmd_code;
extern const struct cli_cmd cmd_db;
extern const struct cli_cmd cmd_demo;
extern const struct cli_cmd cmd_hold;
extern const struct cli_cmd cmd_keys;
extern const struct cli_cmd cmd_policy;
extern const struct cli_cmd cmd_request;
extern const struct cli_cmd cmd_staff;
extern const struct cli_cmd cmd_token;
extern const struct cli_cmd cmd_unlock;
extern const struct cli_cmd cmd_verify;

/* Keep sorted by name: the list printed by `otpctl help` follows this order. */
static const struct cli_cmd *const commands[] = {
	&cmd_audit,
	&cmd_branch,
	&cmd_calendar,
	&cmd_code,
	&cmd_db,
	&cmd_demo,
	&cmd_hold,
	&cmd_keys,
	&cmd_policy,
	&cmd_request,
	&cmd_staff,
	&cmd_token,
	&cmd_unlock,
	&cmd_verify,
	NULL,
};

static void list_commands(FILE *out)
{
	fprintf(out, "usage: otpctl COMMAND [ARGS]\n\ncommands:\n");
	for (const struct cli_cmd *const *c = commands; *c; c++)
		fprintf(out, "  %-10s %s\n", (*c)->name, (*c)->summary);
	fprintf(out, "\n`otpctl help COMMAND` shows a command's usage.\n");
}

static const struct cli_cmd *find_command(const char *name)
{
	const struct cli_cmd *found = NULL;
	size_t len = strlen(name);
	int matches = 0;

	for (const struct cli_cmd *const *c = commands; *c; c++) {
		if (strcmp((*c)->name, name) == 0)
			return *c;
		if (strncmp((*c)->name, name, len) == 0) {
			found = *c;
			matches++;
		}
	}
	if (matches == 1)
		return found;
	if (matches > 1) {
		fprintf(stderr, "error: ambiguous command: %s, could be:", name);
		for (const struct cli_cmd *const *c = commands; *c; c++)
			if (strncmp((*c)->name, name, len) == 0)
				fprintf(stderr, " %s", (*c)->name);
		fprintf(stderr, "\n");
	} else {
		fprintf(stderr, "error: unknown command: %s\n", name);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	if (argc < 2) {
		list_commands(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		if (argc > 2) {
			const struct cli_cmd *c = find_command(argv[2]);
			if (!c)
				return CLI_USAGE;
			printf("usage: %s\n", c->usage);
			return CLI_OK;
		}
		list_commands(stdout);
		return CLI_OK;
	}
	const struct cli_cmd *cmd = find_command(argv[1]);
	if (!cmd) {
		list_commands(stderr);
		return CLI_USAGE;
	}
	return cmd->run(argc - 1, argv + 1);
}
