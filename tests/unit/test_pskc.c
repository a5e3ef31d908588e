/* PSKC (RFC 6030) import: the RFC's own examples (Figures 2, 5, 6, 7) must
 * decode to the secrets the RFC states, a wrong password or pre-shared key
 * must fail clearly without a secret in the message, and hostile or broken
 * documents are refused. tests/data/pskc/totp-pbe.pskcxml (made with the
 * openssl tool by make-totp-pbe.sh) covers TOTP parameters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "otp/otp.h"
#include "tests/lib/testlib.h"

#define DATA OTP_SRCDIR "/tests/data/pskc/"
#define RFC_SECRET "12345678901234567890"

static const uint8_t rfc_psk[16] = {
	0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12,
};

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = calloc(1, 1 << 16);
	*len = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	return buf;
}

static void assert_secret(const struct otp_pskc_key *k, const char *want)
{
	CU_ASSERT_EQUAL(k->secret_len, strlen(want));
	CU_ASSERT(k->secret_len == strlen(want) && memcmp(k->secret, want, k->secret_len) == 0);
}

/* The message must not carry the secret in any form we know of. */
static void assert_no_secret(const struct otp_err *err)
{
	CU_ASSERT_PTR_NULL(strstr(err->message, RFC_SECRET));
	CU_ASSERT_PTR_NULL(strstr(err->message, "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA"));
	CU_ASSERT_PTR_NULL(strstr(err->message, "3132333435363738393031323334353637383930"));
	CU_ASSERT_PTR_NULL(strstr(err->message, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"));
}

static void test_figure2_plain(void)
{
	struct otp_pskc *p = NULL;
	struct otp_err err;
	CU_ASSERT_EQUAL_FATAL(otp_pskc_load(DATA "rfc6030-figure2.pskcxml", NULL, &p, &err), 0);
	CU_ASSERT_EQUAL(p->protection, OTP_PSKC_PLAIN);
	CU_ASSERT_EQUAL_FATAL(p->nkeys, 1);
	CU_ASSERT_STRING_EQUAL(p->keys[0].id, "12345678");
	CU_ASSERT_STRING_EQUAL(p->keys[0].issuer, "Issuer-A");
	CU_ASSERT_EQUAL(p->keys[0].kind, OTP_PSKC_HOTP);
	CU_ASSERT_STRING_EQUAL(p->keys[0].serial, "");
	assert_secret(&p->keys[0], "1234");
	otp_pskc_free(p);
}

static void test_figure5_plain_with_pin(void)
{
	struct otp_pskc *p = NULL;
	struct otp_err err;
	CU_ASSERT_EQUAL_FATAL(otp_pskc_load(DATA "rfc6030-figure5.pskcxml", NULL, &p, &err), 0);
	CU_ASSERT_EQUAL_FATAL(p->nkeys, 2);
	const struct otp_pskc_key *k = &p->keys[0];
	CU_ASSERT_STRING_EQUAL(k->serial, "987654321");
	CU_ASSERT_STRING_EQUAL(k->manufacturer, "Manufacturer");
	CU_ASSERT_EQUAL(k->kind, OTP_PSKC_HOTP);
	CU_ASSERT_EQUAL(k->digits, 8);
	CU_ASSERT(k->decimal);
	CU_ASSERT(k->has_counter);
	CU_ASSERT_EQUAL(k->counter, 0);
	CU_ASSERT_EQUAL(k->hash, OTP_ALGO_SHA1);
	assert_secret(k, RFC_SECRET);
	CU_ASSERT_EQUAL(p->keys[1].kind, OTP_PSKC_PIN);
	CU_ASSERT_STRING_EQUAL(p->keys[1].id, "123456781");
	assert_secret(&p->keys[1], "1234");
	/* The RFC 4226 Appendix D vector for this secret, counter 0, as 8 digits. */
	char code[OTP_CODE_SIZE];
	CU_ASSERT_EQUAL(otp_hotp(OTP_ALGO_SHA1, k->secret, k->secret_len, 0, 8, code, &err), 0);
	CU_ASSERT_STRING_EQUAL(code, "84755224");
	otp_pskc_free(p);
}

static void test_figure6_preshared_key(void)
{
	struct otp_pskc *p = NULL;
	struct otp_err err;
	struct otp_pskc_auth auth = { .key = rfc_psk, .keylen = sizeof rfc_psk };
	CU_ASSERT_EQUAL_FATAL(otp_pskc_load(DATA "rfc6030-figure6.pskcxml", &auth, &p, &err), 0);
	CU_ASSERT_EQUAL(p->protection, OTP_PSKC_PRESHARED);
	CU_ASSERT_STRING_EQUAL(p->key_name, "Pre-shared-key");
	CU_ASSERT_EQUAL_FATAL(p->nkeys, 1);
	assert_secret(&p->keys[0], RFC_SECRET);
	CU_ASSERT_STRING_EQUAL(p->keys[0].serial, "987654321");
	CU_ASSERT_EQUAL(p->keys[0].digits, 8);
	otp_pskc_free(p);
}

static void test_figure6_wrong_or_missing_key(void)
{
	struct otp_pskc *p = NULL;
	struct otp_err err;
	uint8_t wrong[16];
	memcpy(wrong, rfc_psk, sizeof wrong);
	wrong[15] ^= 1;
	struct otp_pskc_auth auth = { .key = wrong, .keylen = sizeof wrong };
	CU_ASSERT_EQUAL(otp_pskc_load(DATA "rfc6030-figure6.pskcxml", &auth, &p, &err), -1);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "pre-shared key"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "987654321"));	/* names the package */
	assert_no_secret(&err);
	CU_ASSERT_EQUAL(otp_pskc_load(DATA "rfc6030-figure6.pskcxml", NULL, &p, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "pre-shared key"));
	/* a 32-byte key for an AES-128 container */
	uint8_t longkey[32] = { 0 };
	struct otp_pskc_auth auth32 = { .key = longkey, .keylen = sizeof longkey };
	CU_ASSERT_EQUAL(otp_pskc_load(DATA "rfc6030-figure6.pskcxml", &auth32, &p, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "16"));
}

static void test_figure7_pbe(void)
{
	struct otp_pskc *p = NULL;
	struct otp_err err;
	struct otp_pskc_auth auth = { .password = "qwerty" };
	CU_ASSERT_EQUAL_FATAL(otp_pskc_load(DATA "rfc6030-figure7.pskcxml", &auth, &p, &err), 0);
	CU_ASSERT_EQUAL(p->protection, OTP_PSKC_PBE);
	CU_ASSERT_STRING_EQUAL(p->key_name, "My Password 1");
	CU_ASSERT_EQUAL_FATAL(p->nkeys, 1);
	CU_ASSERT_STRING_EQUAL(p->keys[0].manufacturer, "TokenVendorAcme");
	CU_ASSERT_STRING_EQUAL(p->keys[0].id, "123456");
	CU_ASSERT_STRING_EQUAL(p->keys[0].issuer, "Example-Issuer");
	assert_secret(&p->keys[0], RFC_SECRET);
	otp_pskc_free(p);
}

static void test_figure7_wrong_password(void)
{
	static const char *const wrong[] = { "qwertz", "", "QWERTY", "qwerty " };
	struct otp_pskc *p = NULL;
	struct otp_err err;
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
		struct otp_pskc_auth auth = { .password = wrong[i] };
		CU_ASSERT_EQUAL(otp_pskc_load(DATA "rfc6030-figure7.pskcxml", &auth, &p, &err), -1);
		CU_ASSERT_PTR_NULL(p);
		CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "wrong password"));
		assert_no_secret(&err);
	}
	CU_ASSERT_EQUAL(otp_pskc_load(DATA "rfc6030-figure7.pskcxml", NULL, &p, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "password"));
}

/* Altering the ciphertext or the MAC is caught by the ValueMAC check. */
static void test_tampered_mac_or_ciphertext(void)
{
	size_t len = 0;
	char *xml = slurp(DATA "rfc6030-figure7.pskcxml", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
	struct otp_pskc_auth auth = { .password = "qwerty" };
	struct otp_pskc *p = NULL;
	struct otp_err err;
	char *mac = strstr(xml, "LP6xMvjtypbfT9PdkJhBZ+D6O4w=");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mac);
	mac[0] = 'M';
	CU_ASSERT_EQUAL(otp_pskc_parse(xml, len, &auth, &p, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "ValueMAC does not match"));
	mac[0] = 'L';
	char *ct = strstr(xml, "oTvo+S22");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ct);
	ct[0] = 'p';
	CU_ASSERT_EQUAL(otp_pskc_parse(xml, len, &auth, &p, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "ValueMAC does not match"));
	ct[0] = 'o';
	CU_ASSERT_EQUAL(otp_pskc_parse(xml, len, &auth, &p, &err), 0);
	otp_pskc_free(p);
	free(xml);
}

static void test_totp_delivery(void)
{
	struct otp_pskc *p = NULL;
	struct otp_err err;
	struct otp_pskc_auth auth = { .password = "otpdesk-test-password" };
	CU_ASSERT_EQUAL_FATAL(otp_pskc_load(DATA "totp-pbe.pskcxml", &auth, &p, &err), 0);
	CU_ASSERT_EQUAL_FATAL(p->nkeys, 3);
	CU_ASSERT_EQUAL(p->keys[0].kind, OTP_PSKC_TOTP);
	CU_ASSERT_STRING_EQUAL(p->keys[0].serial, "HWTK00000014");
	CU_ASSERT_EQUAL(p->keys[0].period, 30);
	CU_ASSERT_EQUAL(p->keys[0].digits, 6);
	assert_secret(&p->keys[0], RFC_SECRET);
	assert_secret(&p->keys[1], "abcdefghijklmnopqrst");
	CU_ASSERT_EQUAL(p->keys[2].hash, OTP_ALGO_SHA256);
	CU_ASSERT_EQUAL(p->keys[2].digits, 8);
	CU_ASSERT_EQUAL(p->keys[2].period, 60);
	assert_secret(&p->keys[2], "12345678901234567890123456789012");
	/* RFC 6238 Appendix B: SHA256 at T = 59 with a 30 s step is 46119246; with
	 * this key's 60 s step, T = 119 is the same counter (1). */
	char code[OTP_CODE_SIZE];
	CU_ASSERT_EQUAL(otp_totp(p->keys[2].hash, p->keys[2].secret, p->keys[2].secret_len, p->keys[2].period, 119, 8,
				 code, &err), 0);
	CU_ASSERT_STRING_EQUAL(code, "46119246");
	otp_pskc_free(p);
}

static void test_refused_documents(void)
{
	static const struct {
		const char *xml;
		const char *why;
	} cases[] = {
		{ "<KeyContainer Version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\"><KeyPackage>",
		  "not well-formed" },
		{ "<?xml version=\"1.0\"?><!DOCTYPE k [<!ENTITY e \"x\">]>"
		  "<KeyContainer Version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\"/>", "DOCTYPE" },
		{ "<KeyContainer Version=\"1.0\"/>", "not a PSKC KeyContainer" },
		{ "<KeyContainer Version=\"2.0\" xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\"><KeyPackage/></KeyContainer>",
		  "Version" },
		{ "<KeyContainer Version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\"></KeyContainer>",
		  "no KeyPackage" },
		{ "<KeyContainer Version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\"><KeyPackage/></KeyContainer>",
		  "no Key element" },
		{ "<KeyContainer Version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\"><KeyPackage><Key>"
		  "<Data><Secret><PlainValue>***</PlainValue></Secret></Data></Key></KeyPackage></KeyContainer>",
		  "base64" },
		/* encrypted without any EncryptionKey */
		{ "<KeyContainer Version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\" "
		  "xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\"><KeyPackage><Key><Data><Secret><EncryptedValue>"
		  "<xenc:EncryptionMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#aes128-cbc\"/>"
		  "<xenc:CipherData><xenc:CipherValue>AAECAwQFBgcICQoLDA0OD+cIHItlB3Wra1DUpxVvOx2lef1VmNPCMl8jwZqIUqGv"
		  "</xenc:CipherValue></xenc:CipherData></EncryptedValue></Secret></Data></Key></KeyPackage>"
		  "</KeyContainer>", "MACMethod" },
		/* an unsupported cipher */
		{ "<KeyContainer Version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\" "
		  "xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\"><KeyPackage><Key><Data><Secret><EncryptedValue>"
		  "<xenc:EncryptionMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#tripledes-cbc\"/>"
		  "</EncryptedValue></Secret></Data></Key></KeyPackage></KeyContainer>", "unsupported encryption" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct otp_pskc *p = (struct otp_pskc *)1;
		struct otp_err err;
		int rc = otp_pskc_parse(cases[i].xml, strlen(cases[i].xml), NULL, &p, &err);
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT_PTR_NULL(p);
		if (!strstr(err.message, cases[i].why)) {
			fprintf(stderr, "\n  case %zu: expected \"%s\" in: %s", i, cases[i].why, err.message);
			CU_FAIL("wrong refusal message");
		}
	}
}

static void test_key_file_load(void)
{
	char path[] = "/tmp/otpdesk-pskc-key-XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "12345678901234567890123456789012\n", 33), 33);
	close(fd);
	uint8_t key[32];
	size_t len = 0;
	struct otp_err err;
	CU_ASSERT_EQUAL(otp_pskc_key_load(path, key, sizeof key, &len, &err), 0);	/* mkstemp: 0600 */
	CU_ASSERT_EQUAL(len, 16);
	CU_ASSERT(memcmp(key, rfc_psk, 16) == 0);
	CU_ASSERT_EQUAL(chmod(path, 0644), 0);
	CU_ASSERT_EQUAL(otp_pskc_key_load(path, key, sizeof key, &len, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_REFUSED);
	CU_ASSERT_EQUAL(chmod(path, 0600), 0);
	fd = open(path, O_WRONLY | O_TRUNC);
	CU_ASSERT_EQUAL(write(fd, "1234", 4), 4);
	close(fd);
	CU_ASSERT_EQUAL(otp_pskc_key_load(path, key, sizeof key, &len, &err), -1);
	unlink(path);
}

TEST_SUITE(pskc, "otp/pskc", NULL, NULL,
	   TEST(test_figure2_plain),
	   TEST(test_figure5_plain_with_pin),
	   TEST(test_figure6_preshared_key),
	   TEST(test_figure6_wrong_or_missing_key),
	   TEST(test_figure7_pbe),
	   TEST(test_figure7_wrong_password),
	   TEST(test_tampered_mac_or_ciphertext),
	   TEST(test_totp_delivery),
	   TEST(test_refused_documents),
	   TEST(test_key_file_load))
