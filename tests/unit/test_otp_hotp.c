/* Known answers for otp/ HOTP and TOTP (RFC 4226 Appendix D, RFC 6238
 * Appendix B), the window check (drift, replay, malformed codes) and the
 * parsers of digits, period, time and algorithm names. */
#include <pthread.h>
#include <string.h>

#include "otp/otp.h"
#include "tests/lib/testlib.h"

#define SEED20 "12345678901234567890"
#define SEED32 "12345678901234567890123456789012"
#define SEED64 "1234567890123456789012345678901234567890123456789012345678901234"

static const uint8_t *seed_for(enum otp_algo algo, size_t *len)
{
	static const char *const seeds[OTP_ALGO_COUNT] = {
		[OTP_ALGO_SHA1] = SEED20, [OTP_ALGO_SHA256] = SEED32, [OTP_ALGO_SHA512] = SEED64,
	};
	*len = strlen(seeds[algo]);
	return (const uint8_t *)seeds[algo];
}

static void test_rfc4226_vectors(void)
{
	static const char *const want[10] = {
		"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489",
	};
	struct otp_err err;
	char code[OTP_CODE_SIZE];
	for (uint64_t c = 0; c < 10; c++) {
		CU_ASSERT_EQUAL_FATAL(otp_hotp(OTP_ALGO_SHA1, (const uint8_t *)SEED20, 20, c, 6, code, &err), 0);
		CU_ASSERT_STRING_EQUAL(code, want[c]);
	}
	/* The same through one reused context. */
	struct otp_hmac *h = otp_hmac_new(OTP_ALGO_SHA1, (const uint8_t *)SEED20, 20, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	for (uint64_t c = 10; c-- > 0;) {
		CU_ASSERT_EQUAL(otp_hmac_hotp(h, c, 6, code, &err), 0);
		CU_ASSERT_STRING_EQUAL(code, want[c]);
	}
	otp_hmac_free(h);
}

static void test_rfc6238_vectors(void)
{
	static const struct {
		int64_t time;
		enum otp_algo algo;
		const char *code;
	} v[] = {
		{ 59, OTP_ALGO_SHA1, "94287082" },
		{ 59, OTP_ALGO_SHA256, "46119246" },
		{ 59, OTP_ALGO_SHA512, "90693936" },
		{ 1111111109, OTP_ALGO_SHA1, "07081804" },
		{ 1111111109, OTP_ALGO_SHA256, "68084774" },
		{ 1111111109, OTP_ALGO_SHA512, "25091201" },
		{ 1111111111, OTP_ALGO_SHA1, "14050471" },
		{ 1111111111, OTP_ALGO_SHA256, "67062674" },
		{ 1111111111, OTP_ALGO_SHA512, "99943326" },
		{ 1234567890, OTP_ALGO_SHA1, "89005924" },
		{ 1234567890, OTP_ALGO_SHA256, "91819424" },
		{ 1234567890, OTP_ALGO_SHA512, "93441116" },
		{ 2000000000, OTP_ALGO_SHA1, "69279037" },
		{ 2000000000, OTP_ALGO_SHA256, "90698825" },
		{ 2000000000, OTP_ALGO_SHA512, "38618901" },
		{ 20000000000, OTP_ALGO_SHA1, "65353130" },
		{ 20000000000, OTP_ALGO_SHA256, "77737706" },
		{ 20000000000, OTP_ALGO_SHA512, "47863826" },
	};
	struct otp_err err;
	char code[OTP_CODE_SIZE];
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		size_t len;
		const uint8_t *seed = seed_for(v[i].algo, &len);
		CU_ASSERT_EQUAL_FATAL(otp_totp(v[i].algo, seed, len, 30, v[i].time, 8, code, &err), 0);
		CU_ASSERT_STRING_EQUAL(code, v[i].code);
		/* ... and each is accepted by the window check at that time. */
		struct otp_verify_params p = { .digits = 8, .period = 30, .window = 1, .last_step = -1 };
		int64_t step = -1;
		CU_ASSERT_EQUAL(otp_totp_verify(v[i].algo, seed, len, &p, v[i].time, v[i].code, &step, &err), OTP_MATCH);
		CU_ASSERT_EQUAL(step, v[i].time / 30);
	}
}

static void test_refused_parameters(void)
{
	struct otp_err err;
	char code[OTP_CODE_SIZE];
	const uint8_t *k = (const uint8_t *)SEED20;
	static const unsigned bad_digits[] = { 0, 5, 9, 10 };
	for (size_t i = 0; i < sizeof bad_digits / sizeof bad_digits[0]; i++) {
		CU_ASSERT_EQUAL(otp_hotp(OTP_ALGO_SHA1, k, 20, 0, bad_digits[i], code, &err), -1);
		CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "digits must be 6, 7 or 8"));
	}
	CU_ASSERT_EQUAL(otp_totp(OTP_ALGO_SHA1, k, 20, 0, 59, 6, code, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "period"));
	CU_ASSERT_EQUAL(otp_totp(OTP_ALGO_SHA1, k, 20, 30, -1, 6, code, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "1970"));
	CU_ASSERT_EQUAL(otp_hotp(OTP_ALGO_SHA1, k, 0, 0, 6, code, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "secret must be"));
	CU_ASSERT_EQUAL(otp_hotp(OTP_ALGO_SHA1, k, OTP_SECRET_MAX + 1, 0, 6, code, &err), -1);
	CU_ASSERT_EQUAL(otp_hotp((enum otp_algo)7, k, 20, 0, 6, code, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "algorithm"));
	/* 7 digits is the 8-digit code without its leading digit. */
	CU_ASSERT_EQUAL(otp_totp(OTP_ALGO_SHA1, k, 20, 30, 59, 7, code, &err), 0);
	CU_ASSERT_STRING_EQUAL(code, "4287082");
}

/* Fixture for the window tests: RFC seed, time 1111111111 (step 37037037). */
#define NOW 1111111111
#define STEP (NOW / 30)

static void code_at(int64_t step, unsigned digits, char code[OTP_CODE_SIZE])
{
	struct otp_err err;
	CU_ASSERT_EQUAL_FATAL(otp_hotp(OTP_ALGO_SHA1, (const uint8_t *)SEED20, 20, (uint64_t)step, digits, code, &err), 0);
}

static int verify(const struct otp_verify_params *p, int64_t now, const char *code, int64_t *step,
		  struct otp_err *err)
{
	*step = -42;
	return otp_totp_verify(OTP_ALGO_SHA1, (const uint8_t *)SEED20, 20, p, now, code, step, err);
}

static void test_verify_window(void)
{
	struct otp_verify_params p = { .digits = 6, .period = 30, .window = 1, .last_step = -1 };
	struct otp_err err;
	char code[OTP_CODE_SIZE];
	int64_t step;

	code_at(STEP, 6, code);
	CU_ASSERT_EQUAL(verify(&p, NOW, code, &step, &err), OTP_MATCH);
	CU_ASSERT_EQUAL(step, STEP);
	for (int off = -1; off <= 1; off += 2) {
		code_at(STEP + off, 6, code);
		CU_ASSERT_EQUAL(verify(&p, NOW, code, &step, &err), OTP_MATCH);
		CU_ASSERT_EQUAL(step, STEP + off);
	}
	for (int off = -2; off <= 2; off += 4) {
		code_at(STEP + off, 6, code);
		CU_ASSERT_EQUAL(verify(&p, NOW, code, &step, &err), OTP_NOMATCH);
		CU_ASSERT_EQUAL(step, -42);	/* untouched */
	}
	/* Window 0 takes only the exact step. */
	p.window = 0;
	code_at(STEP + 1, 6, code);
	CU_ASSERT_EQUAL(verify(&p, NOW, code, &step, &err), OTP_NOMATCH);
	/* The widest window reaches 10 steps; 11 is refused before any HMAC. */
	p.window = OTP_WINDOW_MAX;
	code_at(STEP - OTP_WINDOW_MAX, 6, code);
	CU_ASSERT_EQUAL(verify(&p, NOW, code, &step, &err), OTP_MATCH);
	CU_ASSERT_EQUAL(step, STEP - OTP_WINDOW_MAX);
	p.window = OTP_WINDOW_MAX + 1;
	CU_ASSERT_EQUAL(verify(&p, NOW, code, &step, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "window"));
}

static void test_verify_drift(void)
{
	struct otp_verify_params p = { .digits = 6, .period = 30, .window = 1, .drift = 3, .last_step = -1 };
	struct otp_err err;
	char code[OTP_CODE_SIZE];
	int64_t step;

	for (int off = 2; off <= 4; off++) {
		code_at(STEP + off, 6, code);
		CU_ASSERT_EQUAL(verify(&p, NOW, code, &step, &err), OTP_MATCH);
		CU_ASSERT_EQUAL(step, STEP + off);
	}
	code_at(STEP, 6, code);
	CU_ASSERT_EQUAL(verify(&p, NOW, code, &step, &err), OTP_NOMATCH);
	code_at(STEP + 5, 6, code);
	CU_ASSERT_EQUAL(verify(&p, NOW, code, &step, &err), OTP_NOMATCH);
	p.drift = -2;
	code_at(STEP - 3, 6, code);
	CU_ASSERT_EQUAL(verify(&p, NOW, code, &step, &err), OTP_MATCH);
	CU_ASSERT_EQUAL(step, STEP - 3);
	p.drift = OTP_DRIFT_MAX + 1;
	CU_ASSERT_EQUAL(verify(&p, NOW, code, &step, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "drift"));
	/* Near the epoch the window simply has fewer steps. */
	p.drift = -1;
	p.window = 2;
	code_at(0, 6, code);
	CU_ASSERT_EQUAL(verify(&p, 10, code, &step, &err), OTP_MATCH);
	CU_ASSERT_EQUAL(step, 0);
}

static void test_verify_replay(void)
{
	struct otp_verify_params p = { .digits = 6, .period = 30, .window = 1, .last_step = STEP };
	struct otp_err err;
	char code[OTP_CODE_SIZE];
	int64_t step;

	code_at(STEP, 6, code);	/* the step already used */
	CU_ASSERT_EQUAL(verify(&p, NOW, code, &step, &err), OTP_REPLAY);
	CU_ASSERT_EQUAL(step, -42);
	code_at(STEP - 1, 6, code);	/* an older one, inside the window */
	CU_ASSERT_EQUAL(verify(&p, NOW, code, &step, &err), OTP_REPLAY);
	code_at(STEP + 1, 6, code);	/* strictly later: accepted */
	CU_ASSERT_EQUAL(verify(&p, NOW, code, &step, &err), OTP_MATCH);
	CU_ASSERT_EQUAL(step, STEP + 1);
	p.last_step = STEP + 1;	/* ... once */
	CU_ASSERT_EQUAL(verify(&p, NOW, code, &step, &err), OTP_REPLAY);
	p.last_step = -2;
	CU_ASSERT_EQUAL(verify(&p, NOW, code, &step, &err), -1);
}

static void test_verify_malformed(void)
{
	static const struct {
		unsigned digits;
		const char *code;
		const char *msg;
	} v[] = {
		{ 6, "12345", "exactly 6 digits (got 5)" },
		{ 6, "", "exactly 6 digits (got 0)" },
		{ 6, "1234567", "exactly 6 digits (got more than 6)" },
		{ 6, "12a456", "non-digit at position 3" },
		{ 6, "12345 ", "non-digit at position 6" },
		{ 6, " 123456", "non-digit at position 1" },
		{ 6, "+12345", "non-digit at position 1" },
		{ 8, "1234567", "exactly 8 digits (got 7)" },
		{ 7, "abcdefg", "non-digit at position 1" },
	};
	struct otp_verify_params p = { .period = 30, .window = 1, .last_step = -1 };
	struct otp_err err;
	int64_t step;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		p.digits = v[i].digits;
		CU_ASSERT_EQUAL(verify(&p, NOW, v[i].code, &step, &err), -1);
		CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, v[i].msg));
	}
	CU_ASSERT_EQUAL(verify(&p, NOW, NULL, &step, &err), -1);
	p.digits = 5;
	CU_ASSERT_EQUAL(verify(&p, NOW, "12345", &step, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "digits must be"));
}

/* The comparison looks at every character: a code wrong only in its last
 * digit (or only in its first) is refused. No timing measurement here. */
static void test_verify_compares_whole_code(void)
{
	struct otp_verify_params p = { .digits = 8, .period = 30, .window = 1, .last_step = -1 };
	struct otp_err err;
	char code[OTP_CODE_SIZE], prev[OTP_CODE_SIZE], next[OTP_CODE_SIZE];
	int64_t step;

	code_at(STEP, 8, code);
	code_at(STEP - 1, 8, prev);
	code_at(STEP + 1, 8, next);
	for (int pos = 0; pos < 8; pos += 7) {
		for (char d = '0'; d <= '9'; d++) {
			char c[OTP_CODE_SIZE];
			memcpy(c, code, sizeof c);
			if (c[pos] == d)
				continue;
			c[pos] = d;
			if (strcmp(c, prev) == 0 || strcmp(c, next) == 0)
				continue;
			CU_ASSERT_EQUAL(verify(&p, NOW, c, &step, &err), OTP_NOMATCH);
		}
	}
	/* With 6 digits the code is the last 6 digits of the 8-digit one. */
	p.digits = 6;
	CU_ASSERT_EQUAL(verify(&p, NOW, code + 2, &step, &err), OTP_MATCH);
	CU_ASSERT_EQUAL(step, STEP);
	code_at(STEP, 6, code);
	CU_ASSERT_STRING_EQUAL(code, "050471");
}

static void test_reused_context(void)
{
	struct otp_err err;
	struct otp_hmac *h = otp_hmac_new(OTP_ALGO_SHA512, (const uint8_t *)SEED64, 64, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	struct otp_verify_params p = { .digits = 8, .period = 30, .window = 2, .last_step = -1 };
	int64_t step;
	CU_ASSERT_EQUAL(otp_hmac_totp_verify(h, &p, 59, "90693936", &step, &err), OTP_MATCH);
	CU_ASSERT_EQUAL(step, 1);
	CU_ASSERT_EQUAL(otp_hmac_totp_verify(h, &p, 20000000000, "47863826", &step, &err), OTP_MATCH);
	CU_ASSERT_EQUAL(step, 20000000000 / 30);
	CU_ASSERT_EQUAL(otp_hmac_totp_verify(h, &p, 20000000000, "47863827", &step, &err), OTP_NOMATCH);
	char code[OTP_CODE_SIZE];
	CU_ASSERT_EQUAL(otp_hmac_hotp(h, 1234567890 / 30, 8, code, &err), 0);
	CU_ASSERT_STRING_EQUAL(code, "93441116");
	CU_ASSERT_EQUAL(otp_hmac_hotp(h, 0, 9, code, &err), -1);
	otp_hmac_free(h);
	otp_hmac_free(NULL);
	CU_ASSERT_EQUAL(otp_init(&err), 0);
}

static void test_parsers(void)
{
	struct otp_err err;
	enum otp_algo a;
	unsigned u;
	int64_t t;

	static const struct {
		const char *s;
		enum otp_algo a;
	} algos[] = {
		{ "sha1", OTP_ALGO_SHA1 }, { "SHA1", OTP_ALGO_SHA1 }, { "SHA-1", OTP_ALGO_SHA1 },
		{ "sha256", OTP_ALGO_SHA256 }, { "Sha-256", OTP_ALGO_SHA256 }, { "sha512", OTP_ALGO_SHA512 },
	};
	for (size_t i = 0; i < sizeof algos / sizeof algos[0]; i++) {
		CU_ASSERT_EQUAL(otp_algo_parse(algos[i].s, &a, &err), 0);
		CU_ASSERT_EQUAL(a, algos[i].a);
	}
	static const char *const bad_algos[] = { "", "md5", "sha384", "sha", "sha1x", "sha-1-1-1-1-1-1-1-1-1" };
	for (size_t i = 0; i < sizeof bad_algos / sizeof bad_algos[0]; i++) {
		CU_ASSERT_EQUAL(otp_algo_parse(bad_algos[i], &a, &err), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "unknown algorithm"));
	}
	CU_ASSERT_STRING_EQUAL(otp_algo_name(OTP_ALGO_SHA256), "SHA256");
	CU_ASSERT_STRING_EQUAL(otp_algo_name((enum otp_algo)9), "?");

	CU_ASSERT_EQUAL(otp_parse_digits("7", &u, &err), 0);
	CU_ASSERT_EQUAL(u, 7);
	static const char *const bad_digits[] = { "5", "9", "", "6x", "-6", "+6", " 6", "99999999999999999999" };
	for (size_t i = 0; i < sizeof bad_digits / sizeof bad_digits[0]; i++) {
		CU_ASSERT_EQUAL(otp_parse_digits(bad_digits[i], &u, &err), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "digits must be 6, 7 or 8"));
	}

	CU_ASSERT_EQUAL(otp_parse_period("60", &u, &err), 0);
	CU_ASSERT_EQUAL(u, 60);
	CU_ASSERT_EQUAL(otp_parse_period("30s", &u, &err), 0);
	CU_ASSERT_EQUAL(u, 30);
	static const char *const bad_periods[] = { "0", "-30", "", "30m", "86401", "4294967296", "1.5" };
	for (size_t i = 0; i < sizeof bad_periods / sizeof bad_periods[0]; i++) {
		CU_ASSERT_EQUAL(otp_parse_period(bad_periods[i], &u, &err), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "period must be"));
	}

	CU_ASSERT_EQUAL(otp_parse_time("0", &t, &err), 0);
	CU_ASSERT_EQUAL(t, 0);
	CU_ASSERT_EQUAL(otp_parse_time("9223372036854775807", &t, &err), 0);
	CU_ASSERT_EQUAL(t, INT64_MAX);
	static const char *const bad_times[] = { "-1", "", "abc", "59s", "9223372036854775808", "1e9", " 59" };
	for (size_t i = 0; i < sizeof bad_times / sizeof bad_times[0]; i++) {
		CU_ASSERT_EQUAL(otp_parse_time(bad_times[i], &t, &err), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "time must be"));
	}
	CU_ASSERT_EQUAL(otp_totp_step(INT64_MAX, 1, &t, &err), 0);
	CU_ASSERT_EQUAL(t, INT64_MAX);
}

/* Many threads share the process-wide HMAC templates (each duplicates them
 * for its own key) and the lazy one-time fetch. */
static void *thread_body(void *arg)
{
	static const char *const want[OTP_ALGO_COUNT] = { "65353130", "77737706", "47863826" };
	long bad = 0;
	(void)arg;
	for (int i = 0; i < 300; i++) {
		enum otp_algo algo = (enum otp_algo)(i % OTP_ALGO_COUNT);
		size_t len;
		const uint8_t *seed = seed_for(algo, &len);
		char code[OTP_CODE_SIZE];
		struct otp_err err;
		struct otp_verify_params p = { .digits = 8, .period = 30, .window = 1, .last_step = -1 };
		int64_t step;
		if (otp_totp(algo, seed, len, 30, 20000000000, 8, code, &err) != 0 || strcmp(code, want[algo]) != 0 ||
		    otp_totp_verify(algo, seed, len, &p, 20000000000 + 30, want[algo], &step, &err) != OTP_MATCH)
			bad++;
	}
	return (void *)bad;
}

static void test_threads(void)
{
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, thread_body, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *bad;
		CU_ASSERT_EQUAL(pthread_join(t[i], &bad), 0);
		CU_ASSERT_PTR_NULL(bad);
	}
}

/* One context re-keyed for other secrets gives each secret's codes; after
 * a wipe it computes what an all-zero key gives, so no state of the last
 * secret is left; a bad key is refused and leaves the context usable. */
static void test_rekey_and_wipe(void)
{
	static const uint8_t other[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	static const uint8_t zero[1];
	struct otp_err err;
	char code[OTP_CODE_SIZE], want[OTP_CODE_SIZE];
	struct otp_hmac *h = otp_hmac_new(OTP_ALGO_SHA1, zero, sizeof zero, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	for (int round = 0; round < 3; round++) {
		CU_ASSERT_EQUAL(otp_hmac_rekey(h, (const uint8_t *)SEED20, 20, &err), 0);
		CU_ASSERT_EQUAL(otp_hmac_hotp(h, 0, 6, code, &err), 0);
		CU_ASSERT_STRING_EQUAL(code, "755224");
		CU_ASSERT_EQUAL(otp_hmac_hotp(h, 9, 6, code, &err), 0);
		CU_ASSERT_STRING_EQUAL(code, "520489");
		CU_ASSERT_EQUAL(otp_hmac_rekey(h, other, sizeof other, &err), 0);
		CU_ASSERT_EQUAL(otp_hotp(OTP_ALGO_SHA1, other, sizeof other, 5, 6, want, &err), 0);
		CU_ASSERT_EQUAL(otp_hmac_hotp(h, 5, 6, code, &err), 0);
		CU_ASSERT_STRING_EQUAL(code, want);
		otp_hmac_wipe(h);
		CU_ASSERT_EQUAL(otp_hotp(OTP_ALGO_SHA1, zero, sizeof zero, 5, 6, want, &err), 0);
		CU_ASSERT_EQUAL(otp_hmac_hotp(h, 5, 6, code, &err), 0);
		CU_ASSERT_STRING_EQUAL(code, want);
	}
	CU_ASSERT_EQUAL(otp_hmac_rekey(h, other, 0, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	CU_ASSERT_EQUAL(otp_hmac_rekey(h, (const uint8_t *)SEED20, 20, &err), 0);
	CU_ASSERT_EQUAL(otp_hmac_hotp(h, 1, 6, code, &err), 0);
	CU_ASSERT_STRING_EQUAL(code, "287082");
	otp_hmac_free(h);
}

TEST_SUITE(otp_hotp, "otp/hotp", NULL, NULL,
	   TEST(test_rekey_and_wipe),
	   TEST(test_rfc4226_vectors),
	   TEST(test_rfc6238_vectors),
	   TEST(test_refused_parameters),
	   TEST(test_verify_window),
	   TEST(test_verify_drift),
	   TEST(test_verify_replay),
	   TEST(test_verify_malformed),
	   TEST(test_verify_compares_whole_code),
	   TEST(test_reused_context),
	   TEST(test_parsers),
	   TEST(test_threads))
