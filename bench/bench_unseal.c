/* bench_unseal: opening one sealed seed with the project's cached sealer
 * (otp_sealer_unseal, as the verifier does per verification) against the
 * floor: an EVP_DecryptInit/Update/Final loop on one reused, keyed
 * AES-256-GCM context, same blob, same AAD. A third, informative variant is
 * the one-shot otp_unseal (new context and key schedule per call). */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "bench/bench.h"
#include "otp/otp.h"

static int unseal_main(int argc, char **argv);

const struct bench_cmd bench_unseal = {
	.name = "unseal",
	.usage = "otpbench unseal [--seconds S] [--runs N]",
	.summary = "AES-256-GCM unseal of one seed vs a reused EVP_Decrypt context",
	.run = unseal_main,
};

#define CRED "OTPD00000018"

struct unseal_state {
	uint8_t key[OTP_SEAL_KEY_LEN];
	uint8_t blob[20 + OTP_SEAL_OVERHEAD];
	size_t bloblen;
	struct otp_sealer *sealer;
	EVP_CIPHER *gcm;
	EVP_CIPHER_CTX *ctx;	/* floor: keyed once */
	volatile unsigned sink;
};

static int step_sealer(void *arg, long n)
{
	struct unseal_state *st = arg;
	uint8_t seed[OTP_SECRET_MAX];
	size_t len;
	struct otp_err err;
	for (long i = 0; i < n; i++) {
		if (otp_sealer_unseal(st->sealer, CRED, st->blob, st->bloblen, seed, sizeof seed, &len, &err) != 0) {
			fprintf(stderr, "otpbench: unseal: %s\n", err.message);
			return -1;
		}
		st->sink += seed[0];
	}
	return 0;
}

static int step_floor(void *arg, long n)
{
	struct unseal_state *st = arg;
	uint8_t seed[OTP_SECRET_MAX];
	size_t ctlen = st->bloblen - OTP_SEAL_OVERHEAD;
	const uint8_t *nonce = st->blob + 1, *ct = nonce + OTP_SEAL_NONCE_LEN;
	uint8_t tag[OTP_SEAL_TAG_LEN];
	memcpy(tag, ct + ctlen, sizeof tag);
	for (long i = 0; i < n; i++) {
		int len;
		if (!EVP_DecryptInit_ex2(st->ctx, NULL, NULL, nonce, NULL) ||
		    !EVP_DecryptUpdate(st->ctx, NULL, &len, (const uint8_t *)CRED, (int)strlen(CRED)) ||
		    !EVP_DecryptUpdate(st->ctx, seed, &len, ct, (int)ctlen) ||
		    !EVP_CIPHER_CTX_ctrl(st->ctx, EVP_CTRL_AEAD_SET_TAG, OTP_SEAL_TAG_LEN, tag) ||
		    EVP_DecryptFinal_ex(st->ctx, seed + len, &len) <= 0)
			return -1;
		st->sink += seed[0];
	}
	return 0;
}

static int step_oneshot(void *arg, long n)
{
	struct unseal_state *st = arg;
	uint8_t seed[OTP_SECRET_MAX];
	size_t len;
	struct otp_err err;
	for (long i = 0; i < n; i++) {
		if (otp_unseal(st->key, CRED, st->blob, st->bloblen, seed, sizeof seed, &len, &err) != 0)
			return -1;
		st->sink += seed[0];
	}
	return 0;
}

static int unseal_main(int argc, char **argv)
{
	double seconds = 5;
	long runs = 2;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0)
			seconds = bench_arg_double(argc, argv, &i);
		else if (strcmp(argv[i], "--runs") == 0)
			runs = bench_arg_long(argc, argv, &i);
		else {
			fprintf(stderr, "usage: %s\n", bench_unseal.usage);
			return 2;
		}
	}
	struct unseal_state st = { .sink = 0 };
	struct otp_err err;
	uint8_t seed[20];
	for (size_t i = 0; i < sizeof st.key; i++)
		st.key[i] = (uint8_t)(7 * i + 1);
	for (size_t i = 0; i < sizeof seed; i++)
		seed[i] = (uint8_t)(0x31 + i);
	st.sealer = otp_sealer_new(st.key, &err);
	if (!st.sealer ||
	    otp_sealer_seal(st.sealer, CRED, seed, sizeof seed, st.blob, sizeof st.blob, &st.bloblen, &err) != 0) {
		fprintf(stderr, "otpbench: sealer: %s\n", err.message);
		return 1;
	}
	st.gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	st.ctx = EVP_CIPHER_CTX_new();
	if (!st.gcm || !st.ctx || !EVP_DecryptInit_ex2(st.ctx, st.gcm, st.key, NULL, NULL)) {
		fprintf(stderr, "otpbench: AES-256-GCM set-up failed\n");
		return 1;
	}
	struct bench_variant v[] = {
		{ .figure = "unseal", .unit = "unseals/s", .step = step_sealer, .state = &st, .ops_per_step = 1 },
		{ .figure = "unseal_floor", .unit = "unseals/s", .step = step_floor, .state = &st, .ops_per_step = 1 },
		{ .figure = "unseal_oneshot", .unit = "unseals/s", .step = step_oneshot, .state = &st,
		  .ops_per_step = 1 },
	};
	int rc = bench_interleave(v, sizeof v / sizeof v[0], seconds, (int)runs);
	EVP_CIPHER_CTX_free(st.ctx);
	EVP_CIPHER_free(st.gcm);
	otp_sealer_free(st.sealer);
	return rc == 0 ? 0 : 1;
}
