/* otp_hotp: HOTP (RFC 4226), TOTP (RFC 6238) and the window check of a
 * candidate code. A struct otp_hmac is keyed once (a duplicate of the
 * per-algorithm template plus EVP_MAC_init with the key) and re-initialised
 * without a key for each counter, so a window of 2W+1 steps costs one key
 * set-up and 2W+1 HMACs. Codes are compared with CRYPTO_memcmp on fixed-size
 * buffers and the whole window is always evaluated. Never reads the clock. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "otp/otp_internal.h"

struct otp_hmac {
	EVP_MAC_CTX *ctx;
	enum otp_algo algo;
	size_t mdlen;
	bool fresh;		/* just keyed: no re-init needed before the next HMAC */
};

static const uint32_t powers_of_ten[OTP_DIGITS_MAX + 1] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
};

static int check_digits(unsigned digits, struct otp_err *err)
{
	if (digits < OTP_DIGITS_MIN || digits > OTP_DIGITS_MAX)
		return otp_err_set(err, OTP_ERR_USAGE, "digits must be %d, %d or %d (got %u)", OTP_DIGITS_MIN,
				   OTP_DIGITS_MIN + 1, OTP_DIGITS_MAX, digits);
	return 0;
}

static int check_period(unsigned period, struct otp_err *err)
{
	if (period < 1 || period > OTP_PERIOD_MAX)
		return otp_err_set(err, OTP_ERR_USAGE, "period must be from 1 to %d seconds (got %u)", OTP_PERIOD_MAX,
				   period);
	return 0;
}

static int crypto_fail(struct otp_err *err, const char *what)
{
	ERR_clear_error();	/* OpenSSL's queue may hold no secret, but say it our way */
	return otp_err_set(err, OTP_ERR_CRYPTO, "HMAC failed (%s)", what);
}

struct otp_hmac *otp_hmac_new(enum otp_algo algo, const uint8_t *key, size_t keylen, struct otp_err *err)
{
	const EVP_MAC_CTX *tpl = otp_hmac_template(algo, err);
	if (!tpl)
		return NULL;
	if (!key || keylen < 1 || keylen > OTP_SECRET_MAX) {
		otp_err_set(err, OTP_ERR_USAGE, "secret must be 1 to %d bytes long (got %zu)", OTP_SECRET_MAX,
			    key ? keylen : 0);
		return NULL;
	}
	struct otp_hmac *h = calloc(1, sizeof *h);
	if (!h) {
		otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	h->algo = algo;
	h->mdlen = otp_algo_len(algo);
	h->ctx = EVP_MAC_CTX_dup(tpl);
	if (!h->ctx || !EVP_MAC_init(h->ctx, key, keylen, NULL)) {
		crypto_fail(err, "key set-up");
		otp_hmac_free(h);
		return NULL;
	}
	h->fresh = true;
	return h;
}

int otp_hmac_rekey(struct otp_hmac *h, const uint8_t *key, size_t keylen, struct otp_err *err)
{
	if (!key || keylen < 1 || keylen > OTP_SECRET_MAX)
		return otp_err_set(err, OTP_ERR_USAGE, "secret must be 1 to %d bytes long (got %zu)", OTP_SECRET_MAX,
				   key ? keylen : 0);
	if (!h->ctx || !EVP_MAC_init(h->ctx, key, keylen, NULL))
		return crypto_fail(err, "key set-up");
	h->fresh = true;
	return 0;
}

void otp_hmac_wipe(struct otp_hmac *h)
{
	static const uint8_t zero[1];
	if (!h)
		return;
	/* HMAC keeps only the pads hashed from the key: a new key replaces them */
	if (!EVP_MAC_init(h->ctx, zero, sizeof zero, NULL)) {
		/* cannot happen with a working context; never leave the old state */
		EVP_MAC_CTX_free(h->ctx);
		h->ctx = NULL;
	}
	h->fresh = true;
}

void otp_hmac_free(struct otp_hmac *h)
{
	if (!h)
		return;
	EVP_MAC_CTX_free(h->ctx);	/* HMAC's free cleanses its pads */
	OPENSSL_cleanse(h, sizeof *h);
	free(h);
}

/* Dynamic truncation (RFC 4226 5.3) of the HMAC of counter into code,
 * zero-padded to digits characters and NUL-terminated. */
static int hotp_code(struct otp_hmac *h, uint64_t counter, unsigned digits, char code[OTP_CODE_SIZE],
		     struct otp_err *err)
{
	uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;
	int rc = -1;

	for (int i = 7; i >= 0; i--, counter >>= 8)
		msg[i] = (uint8_t)(counter & 0xff);
	if (!h->fresh && !EVP_MAC_init(h->ctx, NULL, 0, NULL)) {
		crypto_fail(err, "re-initialisation");
		goto out;
	}
	h->fresh = false;
	if (!EVP_MAC_update(h->ctx, msg, sizeof msg) || !EVP_MAC_final(h->ctx, mac, &maclen, sizeof mac) ||
	    maclen != h->mdlen) {
		crypto_fail(err, "computation");
		goto out;
	}
	unsigned off = mac[maclen - 1] & 0x0f;
	uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
		       ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
	bin %= powers_of_ten[digits];
	for (unsigned i = digits; i-- > 0; bin /= 10)
		code[i] = (char)('0' + bin % 10);
	code[digits] = '\0';
	OPENSSL_cleanse(&bin, sizeof bin);
	rc = 0;
out:
	OPENSSL_cleanse(mac, sizeof mac);
	OPENSSL_cleanse(msg, sizeof msg);
	return rc;
}

int otp_hmac_hotp(struct otp_hmac *h, uint64_t counter, unsigned digits, char code[OTP_CODE_SIZE],
		  struct otp_err *err)
{
	if (check_digits(digits, err) != 0)
		return -1;
	return hotp_code(h, counter, digits, code, err);
}

int otp_hotp(enum otp_algo algo, const uint8_t *key, size_t keylen, uint64_t counter, unsigned digits,
	     char code[OTP_CODE_SIZE], struct otp_err *err)
{
	if (check_digits(digits, err) != 0)
		return -1;
	struct otp_hmac *h = otp_hmac_new(algo, key, keylen, err);
	if (!h)
		return -1;
	int rc = hotp_code(h, counter, digits, code, err);
	otp_hmac_free(h);
	return rc;
}

int otp_totp_step(int64_t now, unsigned period, int64_t *step, struct otp_err *err)
{
	if (check_period(period, err) != 0)
		return -1;
	if (now < 0)
		return otp_err_set(err, OTP_ERR_USAGE, "time must not be before 1970 (got %lld)", (long long)now);
	*step = now / (int64_t)period;
	return 0;
}

int otp_totp(enum otp_algo algo, const uint8_t *key, size_t keylen, unsigned period, int64_t now,
	     unsigned digits, char code[OTP_CODE_SIZE], struct otp_err *err)
{
	int64_t step;
	if (otp_totp_step(now, period, &step, err) != 0)
		return -1;
	return otp_hotp(algo, key, keylen, (uint64_t)step, digits, code, err);
}

int otp_code_check(const char *code, unsigned digits, struct otp_err *err)
{
	if (check_digits(digits, err) != 0)
		return -1;
	if (!code)
		return otp_err_set(err, OTP_ERR_USAGE, "no code given");
	size_t n = 0;
	for (; code[n] && n <= digits; n++)
		if (code[n] < '0' || code[n] > '9')
			return otp_err_set(err, OTP_ERR_USAGE, "code must be %u digits (found a non-digit at position %zu)",
					   digits, n + 1);
	if (n != digits)
		return otp_err_set(err, OTP_ERR_USAGE, "code must be exactly %u digits (got %s%zu)", digits,
				   n > digits ? "more than " : "", n > digits ? (size_t)digits : n);
	return 0;
}

static int check_verify_params(const struct otp_verify_params *p, int64_t now, const char *code,
			       struct otp_err *err)
{
	if (!p)
		return otp_err_set(err, OTP_ERR_USAGE, "no verification parameters");
	if (otp_code_check(code, p->digits, err) != 0 || check_period(p->period, err) != 0)
		return -1;
	if (p->window > OTP_WINDOW_MAX)
		return otp_err_set(err, OTP_ERR_USAGE, "window must be 0 to %d steps (got %u)", OTP_WINDOW_MAX,
				   p->window);
	if (p->drift < -OTP_DRIFT_MAX || p->drift > OTP_DRIFT_MAX)
		return otp_err_set(err, OTP_ERR_USAGE, "drift must be within +/-%d steps (got %lld)", OTP_DRIFT_MAX,
				   (long long)p->drift);
	if (p->last_step < -1)
		return otp_err_set(err, OTP_ERR_USAGE, "last accepted step must be -1 (none) or >= 0");
	if (now < 0)
		return otp_err_set(err, OTP_ERR_USAGE, "time must not be before 1970 (got %lld)", (long long)now);
	if (now / (int64_t)p->period > INT64_MAX - OTP_DRIFT_MAX - OTP_WINDOW_MAX)
		return otp_err_set(err, OTP_ERR_USAGE, "time is too far in the future (%lld)", (long long)now);
	return 0;
}

/* 1 when the fixed-size buffers are equal, 0 otherwise, in constant time. */
static uint32_t ct_equal(const char *a, const char *b, size_t n)
{
	uint32_t d = (uint32_t)CRYPTO_memcmp(a, b, n);	/* 0 or any non-zero value */
	return 1u ^ ((d | (0u - d)) >> 31);
}

int otp_hmac_totp_verify(struct otp_hmac *h, const struct otp_verify_params *p, int64_t now, const char *code,
			 int64_t *step, struct otp_err *err)
{
	if (!h)
		return otp_err_set(err, OTP_ERR_USAGE, "no HMAC context");
	if (check_verify_params(p, now, code, err) != 0)
		return -1;

	/* Both sides zero-padded to the same fixed size for CRYPTO_memcmp. */
	char want[OTP_CODE_SIZE] = { 0 }, got[OTP_CODE_SIZE];
	memcpy(want, code, p->digits);
	int64_t center = now / (int64_t)p->period + p->drift;
	int64_t found = -1;
	uint32_t have_fresh = 0, have_replay = 0;
	int rc = -1;

	/* Nearest first: 0, +1, -1, +2, -2, ... so the first fresh match wins. */
	for (unsigned i = 0; i < 2 * p->window + 1; i++) {
		int64_t off = (i & 1) ? (int64_t)(i + 1) / 2 : -(int64_t)(i / 2);
		int64_t s = center + off;
		if (s < 0)
			continue;	/* before the epoch: no such step (public) */
		memset(got, 0, sizeof got);
		if (hotp_code(h, (uint64_t)s, p->digits, got, err) != 0)
			goto out;
		uint32_t eq = ct_equal(want, got, sizeof got);
		uint32_t is_fresh = s > p->last_step;	/* last_step is not secret */
		uint32_t take = eq & is_fresh & (have_fresh ^ 1u);
		found ^= (found ^ s) & -(int64_t)take;
		have_fresh |= take;
		have_replay |= eq & (is_fresh ^ 1u);
	}
	if (have_fresh) {
		*step = found;
		rc = OTP_MATCH;
	} else {
		rc = have_replay ? OTP_REPLAY : OTP_NOMATCH;
	}
out:
	OPENSSL_cleanse(want, sizeof want);
	OPENSSL_cleanse(got, sizeof got);
	return rc;
}

int otp_totp_verify(enum otp_algo algo, const uint8_t *key, size_t keylen, const struct otp_verify_params *p,
		    int64_t now, const char *code, int64_t *step, struct otp_err *err)
{
	/* Refuse malformed input before any key set-up. */
	if (check_verify_params(p, now, code, err) != 0)
		return -1;
	struct otp_hmac *h = otp_hmac_new(algo, key, keylen, err);
	if (!h)
		return -1;
	int rc = otp_hmac_totp_verify(h, p, now, code, step, err);
	otp_hmac_free(h);
	return rc;
}
