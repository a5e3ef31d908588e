/* bench_totp: the pure TOTP check of otp/ against its two baselines, in one
 * process, interleaved: the floor OpenSSL allows (EVP_MAC fetched once, one
 * context kept; per check one HMAC-SHA1 key set-up and three HMACs over 8
 * bytes) and liboath's oath_totp_validate with the same window. Worst case:
 * a code that matches no step of the +-1 window, so every step is computed.
 * Informative variants: the project's check plus the wipe db_verify does
 * after it, the one-shot otp_totp_verify (a context duplicate and free per
 * check), the floor plus a wipe, one that fetches EVP_MAC and makes a new
 * context per check (the trap), and the cost of a context duplicate + free.
 * liboath is linked into otpbench only, never into otpdesk. */
#include <stdio.h>
#include <string.h>

#include <liboath/oath.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "bench/bench.h"
#include "otp/otp.h"

static int totp_main(int argc, char **argv);

const struct bench_cmd bench_totp = {
	.name = "totp",
	.usage = "otpbench totp [--seconds S] [--runs N]",
	.summary = "pure TOTP check/s (+-1 window, no match) vs the EVP_MAC floor and liboath",
	.run = totp_main,
};

#define NOW 1750000000LL
#define PERIOD 30u
#define DIGITS 6u
#define WINDOW 1u

struct totp_state {
	uint8_t key[20];
	char code[OTP_CODE_SIZE];	/* matches no step of the window */
	EVP_MAC *mac;			/* floor: fetched once */
	EVP_MAC_CTX *ctx;		/* floor: one context, digest set once */
	struct otp_hmac *h;		/* the project's: one context, re-keyed per check */
	volatile unsigned sink;
};

/* The project's check as db_verify does it: the verifier's one HMAC
 * context re-keyed with this token's seed (otp_hmac_rekey, one key set-up)
 * and the window computed and compared (otp_hmac_totp_verify). */
static int check_once(struct totp_state *st, long i, bool wipe)
{
	struct otp_verify_params p = {
		.digits = DIGITS, .period = PERIOD, .window = WINDOW, .drift = 0, .last_step = -1,
	};
	struct otp_err err;
	int64_t s;
	st->key[0] = (uint8_t)i;	/* another token's seed each time */
	if (otp_hmac_rekey(st->h, st->key, sizeof st->key, &err) != 0) {
		fprintf(stderr, "otpbench: otp_hmac_rekey: %s\n", err.message);
		return -1;
	}
	int rc = otp_hmac_totp_verify(st->h, &p, NOW, st->code, &s, &err);
	if (rc < 0) {
		fprintf(stderr, "otpbench: otp_hmac_totp_verify: %s\n", err.message);
		return -1;
	}
	if (wipe)
		otp_hmac_wipe(st->h);
	st->sink += (unsigned)rc;
	return 0;
}

static int step_otp(void *arg, long n)
{
	for (long i = 0; i < n; i++)
		if (check_once(arg, i, false) != 0)
			return -1;
	return 0;
}

/* The same plus the wipe db_verify does after each check (re-keying with a
 * zero key, so no token's HMAC state outlives its verification). */
static int step_otp_wipe(void *arg, long n)
{
	for (long i = 0; i < n; i++)
		if (check_once(arg, i, true) != 0)
			return -1;
	return 0;
}

/* The one-shot API (otp_totp_verify: a context duplicate, the check, a
 * free), which the CLI's single codes use. */
static int step_oneshot(void *arg, long n)
{
	struct totp_state *st = arg;
	struct otp_verify_params p = {
		.digits = DIGITS, .period = PERIOD, .window = WINDOW, .drift = 0, .last_step = -1,
	};
	struct otp_err err;
	for (long i = 0; i < n; i++) {
		int64_t s;
		st->key[0] = (uint8_t)i;
		int rc = otp_totp_verify(OTP_ALGO_SHA1, st->key, sizeof st->key, &p, NOW, st->code, &s, &err);
		if (rc < 0) {
			fprintf(stderr, "otpbench: otp_totp_verify: %s\n", err.message);
			return -1;
		}
		st->sink += (unsigned)rc;
	}
	return 0;
}

/* One HMAC over the 8-byte counter with the keyed context. */
static int floor_hmac(EVP_MAC_CTX *ctx, uint64_t counter, bool rekey_done, unsigned *sink)
{
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	size_t len;
	for (int i = 7; i >= 0; i--, counter >>= 8)
		msg[i] = (unsigned char)counter;
	if (!rekey_done && !EVP_MAC_init(ctx, NULL, 0, NULL))
		return -1;
	if (!EVP_MAC_update(ctx, msg, sizeof msg) || !EVP_MAC_final(ctx, mac, &len, sizeof mac))
		return -1;
	*sink += mac[len - 1];
	return 0;
}

static int step_floor(void *arg, long n)
{
	struct totp_state *st = arg;
	uint64_t step = (uint64_t)(NOW / PERIOD);
	for (long i = 0; i < n; i++) {
		unsigned sink = 0;
		st->key[0] = (uint8_t)i;
		if (!EVP_MAC_init(st->ctx, st->key, sizeof st->key, NULL) ||
		    floor_hmac(st->ctx, step, true, &sink) != 0 || floor_hmac(st->ctx, step + 1, false, &sink) != 0 ||
		    floor_hmac(st->ctx, step - 1, false, &sink) != 0)
			return -1;
		st->sink += sink;
	}
	return 0;
}

/* The floor plus what a safe reused context needs: re-keying with a zero
 * key after the check, so no token's HMAC state outlives its verification
 * (the cost of the fix proposed for otp_hmac_new's per-check dup/free). */
static int step_floor_wipe(void *arg, long n)
{
	struct totp_state *st = arg;
	static const uint8_t zero[20];
	if (step_floor(arg, n) != 0)
		return -1;
	for (long i = 0; i < n; i++)
		if (!EVP_MAC_init(st->ctx, zero, sizeof zero, NULL))
			return -1;
	return 0;
}

/* What otp_hmac_new/otp_hmac_free add to the floor: duplicating a keyless
 * HMAC-SHA1 template context and freeing the copy (no key, no HMAC). */
static int step_dup_only(void *arg, long n)
{
	struct totp_state *st = arg;
	for (long i = 0; i < n; i++) {
		EVP_MAC_CTX *c = EVP_MAC_CTX_dup(st->ctx);
		if (!c)
			return -1;
		EVP_MAC_CTX_free(c);
	}
	return 0;
}

static int step_liboath(void *arg, long n)
{
	struct totp_state *st = arg;
	for (long i = 0; i < n; i++) {
		st->key[0] = (uint8_t)i;
		int rc = oath_totp_validate((const char *)st->key, sizeof st->key, (time_t)NOW, PERIOD, 0, WINDOW,
					    st->code);
		if (rc != OATH_INVALID_OTP && rc < 0) {
			fprintf(stderr, "otpbench: oath_totp_validate: %s\n", oath_strerror(rc));
			return -1;
		}
		st->sink += (unsigned)rc;
	}
	return 0;
}

/* The trap: fetch, new context, digest parameter, key, three HMACs, free. */
static int step_fetch_each(void *arg, long n)
{
	struct totp_state *st = arg;
	uint64_t step = (uint64_t)(NOW / PERIOD);
	for (long i = 0; i < n; i++) {
		unsigned sink = 0;
		OSSL_PARAM params[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0),
			OSSL_PARAM_construct_end(),
		};
		EVP_MAC *mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
		EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
		st->key[0] = (uint8_t)i;
		int ok = ctx && EVP_MAC_init(ctx, st->key, sizeof st->key, params) &&
			 floor_hmac(ctx, step, true, &sink) == 0 && floor_hmac(ctx, step + 1, false, &sink) == 0 &&
			 floor_hmac(ctx, step - 1, false, &sink) == 0;
		EVP_MAC_CTX_free(ctx);
		EVP_MAC_free(mac);
		if (!ok)
			return -1;
		st->sink += sink;
	}
	return 0;
}

/* A 6-digit code that no step of the window gives for the base key (other
 * key[0] values match it by a 10^-6 coincidence at most, which changes no
 * timing: every variant computes the whole window anyway). */
static int pick_code(struct totp_state *st)
{
	struct otp_err err;
	char c[3][OTP_CODE_SIZE];
	for (int d = -1; d <= 1; d++)
		if (otp_totp(OTP_ALGO_SHA1, st->key, sizeof st->key, PERIOD, NOW + d * (int64_t)PERIOD, DIGITS,
			     c[d + 1], &err) != 0)
			return -1;
	for (unsigned k = 0;; k++) {
		snprintf(st->code, sizeof st->code, "%06u", 123456u + k);
		if (strcmp(st->code, c[0]) && strcmp(st->code, c[1]) && strcmp(st->code, c[2]))
			return 0;
	}
}

static int totp_main(int argc, char **argv)
{
	double seconds = 5;
	long runs = 2;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0)
			seconds = bench_arg_double(argc, argv, &i);
		else if (strcmp(argv[i], "--runs") == 0)
			runs = bench_arg_long(argc, argv, &i);
		else {
			fprintf(stderr, "usage: %s\n", bench_totp.usage);
			return 2;
		}
	}
	struct totp_state st = { .sink = 0 };
	struct otp_err err;
	for (size_t i = 0; i < sizeof st.key; i++)
		st.key[i] = (uint8_t)(0x31 + i);
	if (otp_init(&err) != 0 || oath_init() != OATH_OK || pick_code(&st) != 0) {
		fprintf(stderr, "otpbench: set-up failed\n");
		return 1;
	}
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0),
		OSSL_PARAM_construct_end(),
	};
	st.mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	st.ctx = st.mac ? EVP_MAC_CTX_new(st.mac) : NULL;
	if (!st.ctx || !EVP_MAC_CTX_set_params(st.ctx, params)) {
		fprintf(stderr, "otpbench: EVP_MAC set-up failed\n");
		return 1;
	}
	st.h = otp_hmac_new(OTP_ALGO_SHA1, st.key, sizeof st.key, &err);
	if (!st.h) {
		fprintf(stderr, "otpbench: otp_hmac_new: %s\n", err.message);
		return 1;
	}
	struct bench_variant v[] = {
		{ .figure = "totp_check", .unit = "checks/s", .step = step_otp, .state = &st, .ops_per_step = 1 },
		{ .figure = "totp_check_wipe", .unit = "checks/s", .step = step_otp_wipe, .state = &st,
		  .ops_per_step = 1 },
		{ .figure = "totp_oneshot", .unit = "checks/s", .step = step_oneshot, .state = &st, .ops_per_step = 1 },
		{ .figure = "totp_floor", .unit = "checks/s", .step = step_floor, .state = &st, .ops_per_step = 1 },
		{ .figure = "totp_liboath", .unit = "checks/s", .step = step_liboath, .state = &st, .ops_per_step = 1 },
		{ .figure = "totp_floor_wipe", .unit = "checks/s", .step = step_floor_wipe, .state = &st,
		  .ops_per_step = 1 },
		{ .figure = "totp_dup_free", .unit = "ops/s", .step = step_dup_only, .state = &st, .ops_per_step = 1 },
		{ .figure = "totp_fetch_each", .unit = "checks/s", .step = step_fetch_each, .state = &st,
		  .ops_per_step = 1 },
	};
	int rc = bench_interleave(v, sizeof v / sizeof v[0], seconds, (int)runs);
	otp_hmac_free(st.h);
	EVP_MAC_CTX_free(st.ctx);
	EVP_MAC_free(st.mac);
	oath_done();
	return rc == 0 ? 0 : 1;
}
