/* otpctl token: the token life cycle from the command line: provisioning
 * (otpauth URI and a terminal QR code for the customer's app), registration
 * and exchange, stop, PSKC import of vendor tokens, bulk seeding of demo
 * tokens, and the demo-only current code. Secrets appear only on the
 * terminal during provisioning and are wiped from memory afterwards; they
 * never go to stderr, logs or audit details. There is deliberately no
 * command that shows a stored seed. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <qrencode.h>

#include "cli/cli.h"
#include "db/db.h"
#include "db/token.h"

static int token_main(int argc, char **argv);

const struct cli_cmd cmd_token = {
	.name = "token",
	.usage = "otpctl token provision CONTRACT [--no-qr] [--issuer NAME] [--prefix ABCD] [--digits N]\n"
		 "                         [--period S] [--algo sha1|sha256|sha512] [--key-dir DIR]\n"
		 "       otpctl token register CONTRACT CREDENTIAL CODE [--time UNIX] [--key-dir DIR]\n"
		 "       otpctl token stop CONTRACT CODE [--time UNIX] [--key-dir DIR]\n"
		 "       otpctl token import-pskc FILE [--password P | --password-stdin | --key-file K]\n"
		 "                         [--prefix ABCD] [--vendor NAME] [--dry-run] [--key-dir DIR]\n"
		 "       otpctl token provision-missing [--key-dir DIR]\n"
		 "       otpctl token demo-code CONTRACT [--time UNIX] [--key-dir DIR]   (demo cluster only)",
	.summary = "provision, register, exchange, stop and import tokens",
	.run = token_main,
};

/* Options every subcommand may take; each uses what it needs. */
struct token_opts {
	const char *key_dir;
	const char *issuer;
	const char *prefix;
	const char *vendor;
	const char *password;
	const char *key_file;
	bool password_stdin;
	bool no_qr;
	bool dry_run;
	int64_t time;
	struct db_provision_opts prov;
	int nargs;
	char *args[4];
};

/* ---- QR code --------------------------------------------------------------- */

/* Print text as a QR code with Unicode half blocks, two module rows per
 * line, light modules drawn (for the usual dark terminal background) with a
 * quiet zone of two modules: a 130-character URI fits in 47 columns. */
static int print_qr(FILE *out, const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	if (!q)
		return -1;
	const int quiet = 2, w = q->width, size = w + 2 * quiet;
	for (int y = 0; y < size; y += 2) {
		for (int x = 0; x < size; x++) {
			bool top = true, bottom = true;	/* light */
			int mx = x - quiet, my = y - quiet;
			if (mx >= 0 && mx < w && my >= 0 && my < w)
				top = !(q->data[my * w + mx] & 1);
			if (mx >= 0 && mx < w && my + 1 >= 0 && my + 1 < w)
				bottom = !(q->data[(my + 1) * w + mx] & 1);
			if (y + 1 >= size)
				bottom = false;
			fputs(top && bottom ? "\xe2\x96\x88" : top ? "\xe2\x96\x80" : bottom ? "\xe2\x96\x84" : " ", out);
		}
		fputc('\n', out);
	}
	OPENSSL_cleanse(q->data, (size_t)w * (size_t)w);
	QRcode_free(q);
	return 0;
}

/* ---- subcommands ------------------------------------------------------------- */

static int64_t now_or(int64_t t)
{
	return t >= 0 ? t : (int64_t)time(NULL);
}

static int with_keyring(const struct token_opts *o, struct db_keyring **kr)
{
	struct otp_err err;
	if (db_keyring_open(kr, o->key_dir, &err) != 0)
		return cli_error(&err);
	return CLI_OK;
}

static int do_provision(struct token_opts *o)
{
	struct db_keyring *kr = NULL;
	struct db_provisioned p;
	struct otp_err err;
	int rc = with_keyring(o, &kr);
	if (rc != CLI_OK)
		return rc;
	struct db *db = cli_connect();
	if (!db) {
		db_keyring_close(kr);
		return CLI_CONNECT;
	}
	if (o->issuer)
		o->prov.issuer = o->issuer;
	if (o->prefix)
		o->prov.prefix = o->prefix;
	if (db_token_provision(db, kr, o->args[0], &o->prov, &p, &err) != 0) {
		rc = cli_error(&err);
	} else {
		printf("%s\n", p.message);
		printf("credential: %s\n", p.credential_id);
		printf("enrolment URI (show to the customer only; never copy it anywhere):\n%s\n", p.uri);
		if (!o->no_qr && print_qr(stdout, p.uri) != 0)
			fprintf(stderr, "warning: could not draw the QR code\n");
		printf("the token stays %s until the customer registers this credential with a code\n",
		       strcmp(p.mode, "exchange") == 0 ? "as it is" : "UNREGISTERED");
		fflush(stdout);
		db_provisioned_wipe(&p);
		rc = CLI_OK;
	}
	db_close(db);
	db_keyring_close(kr);
	return rc;
}

static int with_verifier(const struct token_opts *o, struct db **db, struct db_verifier **v)
{
	struct otp_err err;
	*db = cli_connect();
	if (!*db)
		return CLI_CONNECT;
	if (db_verifier_new(v, *db, o->key_dir, &err) != 0) {
		db_close(*db);
		return cli_error(&err);
	}
	return CLI_OK;
}

static int do_register(struct token_opts *o)
{
	struct db *db;
	struct db_verifier *v;
	struct db_outcome out;
	struct otp_err err;
	int rc = with_verifier(o, &db, &v);
	if (rc != CLI_OK)
		return rc;
	if (db_token_register(v, o->args[0], o->args[1], o->args[2], now_or(o->time), &out, &err) != 0)
		rc = cli_error(&err);
	else
		printf("%s\n", out.message);
	OPENSSL_cleanse(o->args[2], strlen(o->args[2]));
	db_verifier_close(v);
	db_close(db);
	return rc;
}

static int do_stop(struct token_opts *o)
{
	struct db *db;
	struct db_verifier *v;
	struct db_outcome out;
	struct db_verify_result vr;
	struct otp_err err;
	int rc = with_verifier(o, &db, &v);
	if (rc != CLI_OK)
		return rc;
	if (db_token_stop(v, o->args[0], o->args[1], now_or(o->time), &vr, &out, &err) != 0) {
		rc = cli_error(&err);
		if (vr.status == DB_VERIFY_REJECTED)
			fprintf(stderr, "note: %d attempt%s left before the token locks\n", vr.remaining,
				vr.remaining == 1 ? "" : "s");
	} else {
		printf("%s\n", out.message);
	}
	OPENSSL_cleanse(o->args[1], strlen(o->args[1]));
	db_verifier_close(v);
	db_close(db);
	return rc;
}

static char *read_secret_line(void)
{
	char buf[512];
	if (!fgets(buf, sizeof buf, stdin))
		return NULL;
	buf[strcspn(buf, "\r\n")] = '\0';
	char *s = strdup(buf);
	OPENSSL_cleanse(buf, sizeof buf);
	return s;
}

static int do_import(struct token_opts *o)
{
	uint8_t key[32];
	size_t keylen = 0;
	char *password = NULL;
	struct otp_pskc_auth auth = { 0 };
	struct otp_pskc *p = NULL;
	struct db_keyring *kr = NULL;
	struct db *db = NULL;
	struct db_import_row *rows = NULL;
	struct otp_err err;
	int rc = CLI_ERROR;

	if ((o->password != NULL) + o->password_stdin + (o->key_file != NULL) > 1) {
		fprintf(stderr, "error: give at most one of --password, --password-stdin, --key-file\n");
		return CLI_USAGE;
	}
	if (o->password_stdin) {
		password = read_secret_line();
		if (!password) {
			fprintf(stderr, "error: no password on standard input\n");
			return CLI_USAGE;
		}
		auth.password = password;
	} else if (o->password) {
		auth.password = o->password;
	} else if (o->key_file) {
		if (otp_pskc_key_load(o->key_file, key, sizeof key, &keylen, &err) != 0)
			return cli_error(&err);
		auth.key = key;
		auth.keylen = keylen;
	}
	if (otp_pskc_load(o->args[0], &auth, &p, &err) != 0) {
		rc = cli_error(&err);
		goto out;
	}
	fprintf(stderr, "%s: %zu key%s, protection: %s%s%s%s\n", o->args[0], p->nkeys, p->nkeys == 1 ? "" : "s",
		otp_pskc_protection_name(p->protection), p->key_name[0] ? " (" : "", p->key_name,
		p->key_name[0] ? ")" : "");
	if (o->dry_run) {
		for (size_t i = 0; i < p->nkeys; i++) {
			const struct otp_pskc_key *k = &p->keys[i];
			printf("%zu\tserial=%s\tkey=%s\t%s\t%s\tdigits=%u\tperiod=%u\tsecret=%zu bytes\n", i + 1,
			       k->serial[0] ? k->serial : "-", k->id[0] ? k->id : "-", otp_pskc_kind_name(k->kind),
			       otp_algo_name(k->hash), k->digits, k->period, k->secret_len);
		}
		rc = CLI_OK;
		goto out;
	}
	rc = with_keyring(o, &kr);
	if (rc != CLI_OK)
		goto out;
	rows = calloc(p->nkeys, sizeof *rows);
	if (!rows) {
		rc = CLI_ERROR;
		goto out;
	}
	db = cli_connect();
	if (!db) {
		rc = CLI_CONNECT;
		goto out;
	}
	struct db_import_opts io = { .prefix = o->prefix, .vendor = o->vendor, .source = o->args[0] };
	size_t n = 0;
	if (db_token_import(db, kr, p, &io, rows, p->nkeys, &n, &err) != 0) {
		rc = cli_error(&err);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		printf("%s\tserial=%s\tkey=%s%s\n", rows[i].credential_id, rows[i].serial[0] ? rows[i].serial : "-",
		       rows[i].key_id[0] ? rows[i].key_id : "-", rows[i].mapped ? "\t(new credential ID)" : "");
	fprintf(stderr, "%zu credential%s imported as stock: a customer registers one with contract, credential and code\n",
		n, n == 1 ? "" : "s");
	rc = CLI_OK;
out:
	OPENSSL_cleanse(key, sizeof key);
	if (password) {
		OPENSSL_cleanse(password, strlen(password));
		free(password);
	}
	free(rows);
	otp_pskc_free(p);
	db_close(db);
	db_keyring_close(kr);
	return rc;
}

static void progress_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

static int do_provision_missing(struct token_opts *o)
{
	struct db_keyring *kr = NULL;
	struct otp_err err;
	long count = 0;
	int rc = with_keyring(o, &kr);
	if (rc != CLI_OK)
		return rc;
	struct db *db = cli_connect();
	if (!db) {
		db_keyring_close(kr);
		return CLI_CONNECT;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (db_token_provision_missing(db, kr, &count, progress_line, NULL, &err) != 0) {
		rc = cli_error(&err);
	} else {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		printf("%ld seedless token%s given a sealed random seed (%.2f s)\n", count, count == 1 ? "" : "s", s);
	}
	db_close(db);
	db_keyring_close(kr);
	return rc;
}

static int do_demo_code(struct token_opts *o)
{
	struct db_keyring *kr = NULL;
	char code[OTP_CODE_SIZE], cred[16];
	struct otp_err err;
	int rc = with_keyring(o, &kr);
	if (rc != CLI_OK)
		return rc;
	struct db *db = cli_connect();
	if (!db) {
		db_keyring_close(kr);
		return CLI_CONNECT;
	}
	if (db_token_demo_code(db, kr, o->args[0], now_or(o->time), code, cred, &err) != 0) {
		rc = cli_error(&err);
	} else {
		printf("%s\n", code);
		fprintf(stderr, "demo code of %s (credential %s): demonstration data only\n", o->args[0], cred);
	}
	OPENSSL_cleanse(code, sizeof code);
	db_close(db);
	db_keyring_close(kr);
	return rc;
}

/* X(name, handler, positional arguments) */
static const struct {
	const char *name;
	int (*run)(struct token_opts *o);
	int nargs;
} subcommands[] = {
	{ "provision", do_provision, 1 },
	{ "register", do_register, 3 },
	{ "stop", do_stop, 2 },
	{ "import-pskc", do_import, 1 },
	{ "provision-missing", do_provision_missing, 0 },
	{ "demo-code", do_demo_code, 1 },
};

static int token_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key-dir", required_argument, NULL, 'k' },
		{ "no-qr", no_argument, NULL, 'Q' },
		{ "issuer", required_argument, NULL, 'i' },
		{ "prefix", required_argument, NULL, 'P' },
		{ "digits", required_argument, NULL, 'd' },
		{ "period", required_argument, NULL, 'p' },
		{ "algo", required_argument, NULL, 'a' },
		{ "time", required_argument, NULL, 't' },
		{ "password", required_argument, NULL, 'w' },
		{ "password-stdin", no_argument, NULL, 'W' },
		{ "key-file", required_argument, NULL, 'K' },
		{ "vendor", required_argument, NULL, 'V' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct token_opts o = { .time = -1 };
	struct otp_err err;
	int opt;

	db_provision_opts_init(&o.prov);
	if (argc < 2)
		return cli_usage(&cmd_token);
	const char *sub = argv[1];
	int which = -1;
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (strcmp(sub, subcommands[i].name) == 0)
			which = (int)i;
	if (which < 0) {
		fprintf(stderr, "error: unknown token subcommand: %s\n", sub);
		return cli_usage(&cmd_token);
	}
	optind = 2;
	opterr = 0;
	/* GNU getopt permutes, so options may follow the positional arguments. */
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'k': o.key_dir = optarg; break;
		case 'Q': o.no_qr = true; break;
		case 'i': o.issuer = optarg; break;
		case 'P': o.prefix = optarg; break;
		case 'V': o.vendor = optarg; break;
		case 'w': o.password = optarg; break;
		case 'W': o.password_stdin = true; break;
		case 'K': o.key_file = optarg; break;
		case 'n': o.dry_run = true; break;
		case 'd':
			if (otp_parse_digits(optarg, &o.prov.digits, &err) != 0)
				return cli_error(&err);
			break;
		case 'p':
			if (otp_parse_period(optarg, &o.prov.period, &err) != 0)
				return cli_error(&err);
			break;
		case 'a':
			if (otp_algo_parse(optarg, &o.prov.algo, &err) != 0)
				return cli_error(&err);
			break;
		case 't':
			if (otp_parse_time(optarg, &o.time, &err) != 0)
				return cli_error(&err);
			break;
		case 'h':
			printf("usage: %s\n", cmd_token.usage);
			return CLI_OK;
		default:
			return cli_usage(&cmd_token);
		}
	}
	o.nargs = argc - optind;
	if (o.nargs != subcommands[which].nargs)
		return cli_usage(&cmd_token);
	for (int i = 0; i < o.nargs; i++)
		o.args[i] = argv[optind + i];
	return subcommands[which].run(&o);
}
