/* otpctl code: print the TOTP code of a base32 secret for a given time (now
 * by default), one line, nothing else. The secret may come from a file or
 * standard input so it need not appear in the process list; when it is
 * given on the command line, the argument is wiped once decoded. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "otp/otp.h"

static int code_main(int argc, char **argv);

const struct cli_cmd cmd_code = {
	.name = "code",
	.usage = "otpctl code --secret BASE32|- [--algo sha1|sha256|sha512] [--digits 6|7|8]\n"
		 "                   [--period SECONDS] [--time UNIX]\n"
		 "       otpctl code --secret-file FILE [...]",
	.summary = "print the TOTP code of a base32 secret (now or at --time)",
	.run = code_main,
};

static int code_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "secret", required_argument, NULL, 's' },
		{ "secret-file", required_argument, NULL, 'f' },
		{ "algo", required_argument, NULL, 'a' },
		{ "digits", required_argument, NULL, 'd' },
		{ "period", required_argument, NULL, 'p' },
		{ "time", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint8_t key[OTP_SECRET_MAX];
	size_t keylen = 0;
	char code[OTP_CODE_SIZE];
	char *secret_arg = NULL;
	const char *secret_file = NULL;
	enum otp_algo algo = OTP_ALGO_SHA1;
	unsigned digits = OTP_DIGITS_MIN, period = OTP_PERIOD_DEFAULT;
	int64_t now = -1;
	struct otp_err err;
	int opt, rc = CLI_USAGE;

	otp_err_clear(&err);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
		case 'f':
			if (secret_arg || secret_file) {
				otp_err_set(&err, OTP_ERR_USAGE, "give the secret only once");
				goto fail;
			}
			if (opt == 's')
				secret_arg = optarg;
			else
				secret_file = optarg;
			break;
		case 'a':
			if (otp_algo_parse(optarg, &algo, &err) != 0)
				goto fail;
			break;
		case 'd':
			if (otp_parse_digits(optarg, &digits, &err) != 0)
				goto fail;
			break;
		case 'p':
			if (otp_parse_period(optarg, &period, &err) != 0)
				goto fail;
			break;
		case 't':
			if (otp_parse_time(optarg, &now, &err) != 0)
				goto fail;
			break;
		case 'h':
			printf("usage: %s\n", cmd_code.usage);
			rc = CLI_OK;
			goto out;
		case ':':
			otp_err_set(&err, OTP_ERR_USAGE, "option %s needs a value", argv[optind - 1]);
			goto fail;
		default:
			otp_err_set(&err, OTP_ERR_USAGE, "unknown option %s", argv[optind - 1]);
			goto fail;
		}
	}
	if (optind < argc) {
		otp_err_set(&err, OTP_ERR_USAGE, "unexpected argument \"%s\"", argv[optind]);
		goto fail;
	}
	if (!secret_arg && !secret_file) {
		otp_err_set(&err, OTP_ERR_USAGE, "no secret given");
		otp_err_hint(&err, "use --secret BASE32, --secret - (standard input) or --secret-file FILE");
		goto fail;
	}
	if (secret_file || strcmp(secret_arg, "-") == 0) {
		if (otp_secret_load(secret_file ? secret_file : "-", key, sizeof key, &keylen, &err) != 0)
			goto fail;
	} else {
		int drc = otp_base32_decode(secret_arg, key, sizeof key, &keylen, &err);
		OPENSSL_cleanse(secret_arg, strlen(secret_arg));	/* out of /proc/PID/cmdline */
		if (drc != 0)
			goto fail;
		if (keylen == 0) {
			otp_err_set(&err, OTP_ERR_USAGE, "secret is empty");
			goto fail;
		}
	}
	if (now < 0)
		now = (int64_t)time(NULL);
	if (otp_totp(algo, key, keylen, period, now, digits, code, &err) != 0)
		goto fail;
	printf("%s\n", code);
	rc = fflush(stdout) == 0 ? CLI_OK : CLI_ERROR;
	goto out;
fail:
	rc = cli_error(&err);
out:
	OPENSSL_cleanse(key, sizeof key);
	OPENSSL_cleanse(code, sizeof code);
	return rc;
}
