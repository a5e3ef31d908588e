/* Base32 of otp/: RFC 4648 section 10 vectors both ways, the forms people
 * type (lower case, no padding, spaces, hyphens) and the refused inputs with
 * their messages. */
#include <string.h>

#include "otp/otp.h"
#include "tests/lib/testlib.h"

static const struct {
	const char *plain;
	const char *b32;
} rfc[] = {
	{ "", "" },
	{ "f", "MY======" },
	{ "fo", "MZXQ====" },
	{ "foo", "MZXW6===" },
	{ "foob", "MZXW6YQ=" },
	{ "fooba", "MZXW6YTB" },
	{ "foobar", "MZXW6YTBOI======" },
};

static void test_rfc4648_encode(void)
{
	struct otp_err err;
	char out[64];
	for (size_t i = 0; i < sizeof rfc / sizeof rfc[0]; i++) {
		size_t n = strlen(rfc[i].plain);
		CU_ASSERT_EQUAL(otp_base32_encode((const uint8_t *)rfc[i].plain, n, true, out, sizeof out, &err),
				(int)strlen(rfc[i].b32));
		CU_ASSERT_STRING_EQUAL(out, rfc[i].b32);
		CU_ASSERT_EQUAL(otp_base32_encoded_len(n, true), strlen(rfc[i].b32));
		/* Unpadded: the same without the '='. */
		int len = otp_base32_encode((const uint8_t *)rfc[i].plain, n, false, out, sizeof out, &err);
		CU_ASSERT_EQUAL((size_t)len, strcspn(rfc[i].b32, "="));
		CU_ASSERT_EQUAL(strncmp(out, rfc[i].b32, (size_t)len), 0);
		CU_ASSERT_EQUAL(out[len], '\0');
	}
	/* The buffer must hold the NUL too. */
	CU_ASSERT_EQUAL(otp_base32_encode((const uint8_t *)"foobar", 6, true, out, 16, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "17 bytes needed"));
}

static void expect_decode(const char *in, const char *plain)
{
	struct otp_err err;
	uint8_t out[64];
	size_t n = 999;
	int rc = otp_base32_decode(in, out, sizeof out, &n, &err);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc != 0) {
		fprintf(stderr, "\n  decode \"%s\": %s\n", in, err.message);
		return;
	}
	CU_ASSERT_EQUAL(n, strlen(plain));
	CU_ASSERT_EQUAL(memcmp(out, plain, n), 0);
}

static void test_rfc4648_decode(void)
{
	for (size_t i = 0; i < sizeof rfc / sizeof rfc[0]; i++) {
		char buf[64];
		expect_decode(rfc[i].b32, rfc[i].plain);
		/* lower case */
		for (size_t j = 0; j <= strlen(rfc[i].b32); j++)
			buf[j] = (char)(rfc[i].b32[j] >= 'A' && rfc[i].b32[j] <= 'Z' ? rfc[i].b32[j] + 32 : rfc[i].b32[j]);
		expect_decode(buf, rfc[i].plain);
		/* padding left out */
		size_t n = strcspn(rfc[i].b32, "=");
		memcpy(buf, rfc[i].b32, n);
		buf[n] = '\0';
		expect_decode(buf, rfc[i].plain);
	}
}

static void test_typed_forms(void)
{
	expect_decode("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", "12345678901234567890");
	expect_decode("gezd-gnbv-gy3t-qojq-gezd-gnbv-gy3t-qojq", "12345678901234567890");
	expect_decode("  MZxW6 - yTBoi ====== ", "foobar");
	expect_decode("MZXW6 = = =", "foo");
	expect_decode("mzxw6ytb mzxw6ytb", "foobafooba");
	/* Non-zero unused trailing bits are tolerated, as oathtool does:
	 * MZXW6YTBOJ and MZXW6YTBOI both give "foobar". */
	expect_decode("MZXW6YTBOJ", "foobar");
	expect_decode("MZ", "f");
	expect_decode("MZXR", "fo");
	expect_decode("MZXW6YR", "foob");
}

static void expect_refused(const char *in, const char *msg)
{
	struct otp_err err;
	uint8_t out[64];
	size_t n = 999;
	memset(out, 0xAA, sizeof out);
	CU_ASSERT_EQUAL(otp_base32_decode(in, out, sizeof out, &n, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	CU_ASSERT_EQUAL(n, 999);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, msg));
	if (!strstr(err.message, msg))
		fprintf(stderr, "\n  decode \"%s\": got \"%s\", want \"%s\"\n", in, err.message, msg);
	/* Whatever was decoded before the error is wiped. */
	CU_ASSERT_EQUAL(out[0] == 0xAA || out[0] == 0, 1);
}

static void test_refused(void)
{
	expect_refused("GEZDGNBVGY3TQOJ1", "invalid base32 character '1' at position 16");
	expect_refused("0EZDGNBV", "invalid base32 character '0' at position 1");
	expect_refused("GEZD GNB8", "invalid base32 character '8' at position 9");
	expect_refused("MZXW6YTB!", "invalid base32 character '!' at position 9");
	expect_refused("MZXW6YTB_x", "invalid base32 character '_' at position 9");
	expect_refused("MZXW\t6YTB", "invalid base32 character byte 0x09 at position 5");
	expect_refused("MZXW\xc3\xa9", "invalid base32 character byte 0xc3 at position 5");
	expect_refused("M", "invalid base32 length: 1 characters");
	expect_refused("MZX", "invalid base32 length: 3 characters");
	expect_refused("MZXW6Y", "invalid base32 length: 6 characters");
	expect_refused("MZXW6YTBO", "invalid base32 length: 9 characters");
	expect_refused("MZXW6Y==", "invalid base32 length: 6 characters");
	expect_refused("MZ=XW6", "'X' at position 4 follows '=' padding");
	expect_refused("MZXW6YTBOI=", "invalid base32 padding: 1 '=' after 10 characters (expected 6)");
	expect_refused("========", "invalid base32 padding: 8 '='");
	expect_refused(NULL, "no base32 input");
	/* Output too small: 20 bytes into 19. */
	struct otp_err err;
	uint8_t out[19];
	size_t n;
	CU_ASSERT_EQUAL(otp_base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", out, sizeof out, &n, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "more than 19 bytes"));
	/* A hint for the digits people confuse with letters. */
	CU_ASSERT_EQUAL(otp_base32_decode("GEZDGNB0", out, sizeof out, &n, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.hint, "0 is O"));
}

static void test_round_trip(void)
{
	struct otp_err err;
	uint8_t in[64], back[64];
	char text[128];
	uint32_t x = 12345;
	for (size_t len = 0; len <= sizeof in; len++) {
		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			in[i] = (uint8_t)(x >> 16);
		}
		for (int pad = 0; pad <= 1; pad++) {
			size_t n = 0;
			CU_ASSERT_EQUAL(otp_base32_encode(in, len, pad, text, sizeof text, &err),
					(int)otp_base32_encoded_len(len, pad));
			CU_ASSERT_EQUAL(otp_base32_decode(text, back, sizeof back, &n, &err), 0);
			CU_ASSERT_EQUAL(n, len);
			CU_ASSERT_EQUAL(memcmp(in, back, len), 0);
		}
	}
}

TEST_SUITE(otp_base32, "otp/base32", NULL, NULL,
	   TEST(test_rfc4648_encode),
	   TEST(test_rfc4648_decode),
	   TEST(test_typed_forms),
	   TEST(test_refused),
	   TEST(test_round_trip))
