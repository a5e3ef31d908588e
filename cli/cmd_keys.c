/* otpctl keys: the seed keys. `init` creates key version 1 in the key
 * directory (no database needed); `rotate` creates version N+1 and re-seals
 * every seed under it in batches, each its own transaction, so an
 * interrupted rotation leaves every seed readable under its recorded version
 * and a second run finishes the job; `status` lists key files and how many
 * seeds each version seals. Key bytes are never printed. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "db/db.h"
#include "db/token.h"

static int keys_main(int argc, char **argv);

const struct cli_cmd cmd_keys = {
	.name = "keys",
	.usage = "otpctl keys init [--key-dir DIR]\n"
		 "       otpctl keys rotate [--batch N] [--max-batches N] [--key-dir DIR]\n"
		 "       otpctl keys status [--key-dir DIR]\n"
		 "  key directory: --key-dir, else $OTP_KEY_DIR, else " DB_KEY_DIR_DEFAULT,
	.summary = "seed keys: create, rotate (re-seal every seed), status (administrators)",
	.run = keys_main,
};

struct keys_opts {
	const char *key_dir;
	int batch;
	long max_batches;
};

static int do_init(const struct keys_opts *o)
{
	struct db_keyring *kr = NULL;
	struct otp_err err;
	int version = 0, rc = CLI_OK;
	if (db_keyring_open(&kr, o->key_dir, &err) != 0)
		return cli_error(&err);
	int newest = db_keyring_newest(kr, &err);
	if (newest < 0) {
		rc = cli_error(&err);
	} else if (newest > 0) {
		printf("key version %d exists already in %s: nothing to do\n", newest, db_keyring_dir(kr));
	} else if (db_keyring_create(kr, &version, &err) != 0) {
		rc = cli_error(&err);
	} else {
		printf("created key version %d: %s/%s%d (mode 0600); back it up outside this machine\n", version,
		       db_keyring_dir(kr), DB_KEY_FILE_PREFIX, version);
	}
	db_keyring_close(kr);
	return rc;
}

static void progress_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

static int do_rotate(const struct keys_opts *o)
{
	struct db_keyring *kr = NULL;
	struct db_rotate_stats st;
	struct otp_err err;
	int rc = CLI_OK;
	if (db_keyring_open(&kr, o->key_dir, &err) != 0)
		return cli_error(&err);
	struct db *db = cli_connect();
	if (!db) {
		db_keyring_close(kr);
		return CLI_CONNECT;
	}
	if (db_keys_rotate(db, kr, o->batch, o->max_batches, &st, progress_line, NULL, &err) != 0) {
		rc = cli_error(&err);
		fprintf(stderr, "hint: every seed is still readable under its recorded key version; run rotate again\n");
	} else if (st.remaining > 0) {
		printf("key version %d: %ld seeds re-sealed in %ld batches; %ld still under older versions "
		       "(run rotate again to finish)\n", st.version, st.resealed, st.batches, st.remaining);
	} else {
		printf("key version %d: %ld seeds re-sealed in %ld batches; rotation complete\n", st.version, st.resealed,
		       st.batches);
	}
	db_close(db);
	db_keyring_close(kr);
	return rc;
}

static int do_status(const struct keys_opts *o)
{
	struct db_keyring *kr = NULL;
	struct db_key_count counts[256];
	int versions[256], n = 0;
	struct otp_err err;
	if (db_keyring_open(&kr, o->key_dir, &err) != 0)
		return cli_error(&err);
	int nv = db_keyring_versions(kr, versions, 256, &err);
	if (nv < 0) {
		db_keyring_close(kr);
		return cli_error(&err);
	}
	printf("key directory: %s\n", db_keyring_dir(kr));
	for (int i = 0; i < nv; i++) {
		struct otp_err kerr;
		bool ok = db_keyring_sealer(kr, versions[i], &kerr) != NULL;
		printf("  version %d: %s\n", versions[i], ok ? "ok" : kerr.message);
	}
	if (nv == 0)
		printf("  no keys (otpctl keys init creates version 1)\n");
	db_keyring_close(kr);
	struct db *db = cli_connect();
	if (!db)
		return CLI_CONNECT;
	int rc = CLI_OK;
	if (db_keys_status(db, counts, 256, &n, &err) != 0) {
		rc = cli_error(&err);
	} else {
		printf("sealed seeds:\n");
		for (int i = 0; i < n; i++)
			printf("  version %d  %-8s %ld\n", counts[i].version, counts[i].held_by, counts[i].count);
		if (n == 0)
			printf("  none\n");
	}
	db_close(db);
	return rc;
}

static const struct {
	const char *name;
	int (*run)(const struct keys_opts *o);
} subcommands[] = {
	{ "init", do_init },
	{ "rotate", do_rotate },
	{ "status", do_status },
};

static int keys_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key-dir", required_argument, NULL, 'k' },
		{ "batch", required_argument, NULL, 'b' },
		{ "max-batches", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct keys_opts o = { .batch = 1000 };
	int opt;
	char *end;

	if (argc < 2)
		return cli_usage(&cmd_keys);
	int which = -1;
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			which = (int)i;
	if (which < 0) {
		fprintf(stderr, "error: unknown keys subcommand: %s\n", argv[1]);
		return cli_usage(&cmd_keys);
	}
	optind = 2;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			o.key_dir = optarg;
			break;
		case 'b':
			o.batch = (int)strtol(optarg, &end, 10);
			if (*end || o.batch < 1 || o.batch > 100000) {
				fprintf(stderr, "error: --batch must be 1 to 100000\n");
				return CLI_USAGE;
			}
			break;
		case 'm':
			o.max_batches = strtol(optarg, &end, 10);
			if (*end || o.max_batches < 1) {
				fprintf(stderr, "error: --max-batches must be a positive number\n");
				return CLI_USAGE;
			}
			break;
		case 'h':
			printf("usage: %s\n", cmd_keys.usage);
			return CLI_OK;
		default:
			return cli_usage(&cmd_keys);
		}
	}
	if (optind != argc)
		return cli_usage(&cmd_keys);
	return subcommands[which].run(&o);
}
