/* otp_init: fetch the OpenSSL algorithms once per process and parse the
 * small values (algorithm, digits, period, time) that every face accepts
 * from people. Fetching is the expensive part of a key set-up, so it never
 * happens per code or per key. */
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>

#include "otp/otp_internal.h"

static const struct {
	const char *name;
	size_t len;
} algos[OTP_ALGO_COUNT] = {
#define X(id, nm, l) [OTP_ALGO_##id] = { .name = nm, .len = l },
	OTP_ALGOS(X)
#undef X
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static EVP_MAC *hmac;
static EVP_MAC_CTX *templates[OTP_ALGO_COUNT];
static EVP_CIPHER *gcm;
static const char *init_failed;		/* what could not be fetched */

static void fetch_all(void)
{
	hmac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	if (!hmac) {
		init_failed = "HMAC";
		return;
	}
	for (int a = 0; a < OTP_ALGO_COUNT; a++) {
		OSSL_PARAM params[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)algos[a].name, 0),
			OSSL_PARAM_construct_end(),
		};
		templates[a] = EVP_MAC_CTX_new(hmac);
		if (!templates[a] || !EVP_MAC_CTX_set_params(templates[a], params)) {
			init_failed = algos[a].name;
			return;
		}
	}
	gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	if (!gcm)
		init_failed = "AES-256-GCM";
}

int otp_init(struct otp_err *err)
{
	if (pthread_once(&once, fetch_all) != 0)
		return otp_err_set(err, OTP_ERR_INTERNAL, "cannot initialise the OTP module");
	if (init_failed) {
		otp_err_set(err, OTP_ERR_CRYPTO, "OpenSSL does not provide %s", init_failed);
		otp_err_hint(err, "check the OpenSSL 3 installation and its default provider");
		ERR_clear_error();
		return -1;
	}
	return 0;
}

const EVP_MAC_CTX *otp_hmac_template(enum otp_algo algo, struct otp_err *err)
{
	if ((unsigned)algo >= OTP_ALGO_COUNT) {
		otp_err_set(err, OTP_ERR_USAGE, "unknown HMAC algorithm %d", (int)algo);
		return NULL;
	}
	if (otp_init(err) != 0)
		return NULL;
	return templates[algo];
}

EVP_CIPHER *otp_gcm_cipher(struct otp_err *err)
{
	if (otp_init(err) != 0)
		return NULL;
	return gcm;
}

size_t otp_algo_len(enum otp_algo algo)
{
	return (unsigned)algo < OTP_ALGO_COUNT ? algos[algo].len : 0;
}

const char *otp_algo_name(enum otp_algo algo)
{
	return (unsigned)algo < OTP_ALGO_COUNT ? algos[algo].name : "?";
}

int otp_algo_parse(const char *s, enum otp_algo *out, struct otp_err *err)
{
	char buf[16];
	size_t n = s ? strlen(s) : 0, o = 0;

	if (n < sizeof buf) {
		for (size_t i = 0; i < n; i++)
			if (s[i] != '-')
				buf[o++] = s[i];
		buf[o] = '\0';
		for (int a = 0; a < OTP_ALGO_COUNT; a++)
			if (strcasecmp(buf, algos[a].name) == 0) {
				*out = (enum otp_algo)a;
				return 0;
			}
	}
	otp_err_set(err, OTP_ERR_USAGE, "unknown algorithm \"%s\"", s ? s : "");
	otp_err_hint(err, "use sha1, sha256 or sha512");
	return -1;
}

/* Parse an unsigned decimal with no sign, no spaces; *end gets the rest. */
static int parse_decimal(const char *s, uint64_t max, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	*end = p;
	return 0;
}

int otp_parse_digits(const char *s, unsigned *out, struct otp_err *err)
{
	uint64_t v;
	const char *end;

	if (!s || parse_decimal(s, 1000, &v, &end) != 0 || *end || v < OTP_DIGITS_MIN || v > OTP_DIGITS_MAX)
		return otp_err_set(err, OTP_ERR_USAGE, "digits must be %d, %d or %d (got \"%s\")", OTP_DIGITS_MIN,
				   OTP_DIGITS_MIN + 1, OTP_DIGITS_MAX, s ? s : "");
	*out = (unsigned)v;
	return 0;
}

int otp_parse_period(const char *s, unsigned *out, struct otp_err *err)
{
	uint64_t v;
	const char *end;

	if (!s || parse_decimal(s, UINT32_MAX, &v, &end) != 0 || (*end && strcmp(end, "s") != 0) || v < 1 ||
	    v > OTP_PERIOD_MAX)
		return otp_err_set(err, OTP_ERR_USAGE, "period must be a whole number of seconds from 1 to %d (got \"%s\")",
				   OTP_PERIOD_MAX, s ? s : "");
	*out = (unsigned)v;
	return 0;
}

int otp_parse_time(const char *s, int64_t *out, struct otp_err *err)
{
	uint64_t v;
	const char *end;

	if (!s || parse_decimal(s, INT64_MAX, &v, &end) != 0 || *end)
		return otp_err_set(err, OTP_ERR_USAGE,
				   "time must be a Unix time in seconds, a whole number >= 0 (got \"%s\")", s ? s : "");
	*out = (int64_t)v;
	return 0;
}
