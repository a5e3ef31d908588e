/* otpctl verify: the reference verifier from the command line, as the
 * internet-banking service account (OTP_USER / OTP_PASSWORD). One code:
 * one result word on stdout and a distinct exit code. --stdin: a stream of
 * "CONTRACT CODE" lines answered line by line over one connection with
 * prepared statements and cached key schedules (integration and benchmarks).
 * Codes are never echoed to the output or to error messages. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "db/db.h"
#include "db/token.h"

static int verify_main(int argc, char **argv);

const struct cli_cmd cmd_verify = {
	.name = "verify",
	.usage = "otpctl verify [--key-dir DIR] [--time UNIX] [--client TEXT] CONTRACT CODE\n"
		 "       otpctl verify --stdin [--key-dir DIR] [--time UNIX] [--client TEXT]\n"
		 "  exit: 0 ACCEPTED, 10 REJECTED, 11 LOCKED, 12 NOT_ACTIVE, 13 UNKNOWN,\n"
		 "        1 error, 2 connection, 3 usage (--stdin: 0 unless a line failed with ERROR)",
	.summary = "verify one-time codes (the internet-banking service account)",
	.run = verify_main,
};

/* "RESULT[ REASON][ remaining=N][ locked_now]" for a result (REASON only when it
 * says more than RESULT: "LOCKED", not "LOCKED LOCKED"). */
static void format_result(const struct db_verify_result *r, char *out, size_t size)
{
	int n = snprintf(out, size, "%s", db_verify_status_name(r->status));
	if (r->reason != DB_FAILURE_NONE && strcmp(db_failure_reason_name(r->reason), db_verify_status_name(r->status)) != 0 &&
	    n > 0 && (size_t)n < size)
		n += snprintf(out + n, size - (size_t)n, " %s", db_failure_reason_name(r->reason));
	if (r->status == DB_VERIFY_REJECTED && n > 0 && (size_t)n < size)
		n += snprintf(out + n, size - (size_t)n, " remaining=%d", r->remaining);
	if (r->locked_now && n > 0 && (size_t)n < size)
		snprintf(out + n, size - (size_t)n, " locked_now");
}

static int verify_one(struct db_verifier *v, const char *contract, char *code, int64_t fixed)
{
	struct db_verify_result r;
	struct otp_err err;
	int64_t now = fixed >= 0 ? fixed : (int64_t)time(NULL);
	int rc = db_verify(v, contract, code, now, &r, &err);
	OPENSSL_cleanse(code, strlen(code));
	if (rc != 0)
		return cli_error(&err);
	printf("%s\n", db_verify_status_name(r.status));
	if (r.reason == DB_FAILURE_MALFORMED)
		fprintf(stderr, "note: the code is not the token's number of digits; counted as a failed attempt\n");
	if (r.status == DB_VERIFY_REJECTED)
		fprintf(stderr, "note: %s, %d attempt%s left before the token locks\n", db_failure_reason_name(r.reason),
			r.remaining, r.remaining == 1 ? "" : "s");
	if (r.locked_now)
		fprintf(stderr, "note: this failure locked the token\n");
	return db_verify_status_exit(r.status);
}

/* The streaming protocol: see docs/VERIFIER.md. */
static int verify_stream(struct db_verifier *v, int64_t fixed)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int status = CLI_OK;
	char out[128];

	while ((len = getline(&line, &cap, stdin)) != -1) {
		char *save = NULL;
		char *contract = strtok_r(line, " \t\r\n", &save);
		char *code = contract ? strtok_r(NULL, " \t\r\n", &save) : NULL;
		if (!contract || contract[0] == '#')
			continue;
		if (!code || strtok_r(NULL, " \t\r\n", &save)) {
			printf("%s ERROR expected: CONTRACT CODE\n", contract);
			status = CLI_ERROR;
			OPENSSL_cleanse(line, (size_t)len);
			fflush(stdout);
			continue;
		}
		struct db_verify_result r;
		struct otp_err err;
		int64_t now = fixed >= 0 ? fixed : (int64_t)time(NULL);
		int rc = db_verify(v, contract, code, now, &r, &err);
		OPENSSL_cleanse(code, strlen(code));
		if (rc == 0) {
			format_result(&r, out, sizeof out);
			printf("%s %s\n", contract, out);
		} else {
			printf("%s ERROR %s\n", contract, err.message);
			status = CLI_ERROR;
			if (err.kind == OTP_ERR_CONNLOST) {
				/* Not retried: the record may have committed before the loss. */
				struct otp_err rerr;
				if (db_reconnect(db_verifier_db(v), &rerr) != 0) {
					fflush(stdout);
					free(line);
					return cli_error(&rerr);
				}
			}
		}
		fflush(stdout);
	}
	if (line) {
		OPENSSL_cleanse(line, cap);
		free(line);
	}
	return status;
}

static int verify_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "stdin", no_argument, NULL, 's' },
		{ "key-dir", required_argument, NULL, 'k' },
		{ "time", required_argument, NULL, 't' },
		{ "client", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key_dir = NULL, *client = NULL;
	bool stream = false;
	int64_t fixed = -1;
	struct otp_err err;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			stream = true;
			break;
		case 'k':
			key_dir = optarg;
			break;
		case 't':
			if (otp_parse_time(optarg, &fixed, &err) != 0)
				return cli_error(&err);
			break;
		case 'c':
			client = optarg;
			break;
		case 'h':
			printf("usage: %s\n", cmd_verify.usage);
			return CLI_OK;
		default:
			return cli_usage(&cmd_verify);
		}
	}
	if (stream ? optind != argc : optind + 2 != argc)
		return cli_usage(&cmd_verify);

	struct db *db = cli_connect();
	if (!db)
		return CLI_CONNECT;
	struct db_verifier *v = NULL;
	if (db_verifier_new(&v, db, key_dir, &err) != 0) {
		db_close(db);
		return cli_error(&err);
	}
	if (client)
		db_verifier_set_client(v, client);
	int rc = stream ? verify_stream(v, fixed) : verify_one(v, argv[optind], argv[optind + 1], fixed);
	db_verifier_close(v);
	db_close(db);
	return rc;
}
