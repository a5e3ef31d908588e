/* Sealing of token seeds (AES-256-GCM) and key files in otp/: round trips,
 * every kind of tampering refused with OTP_ERR_CRYPTO and no seed bytes in
 * any message, and the key file's modes and lengths. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "otp/otp.h"
#include "tests/lib/testlib.h"

static const uint8_t key1[OTP_SEAL_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const uint8_t key2[OTP_SEAL_KEY_LEN] = "0123456789abcdef0123456789abcdeF";
static const uint8_t seed[20] = "12345678901234567890";
#define CRED "OTPD00000013"

/* True when no field of err holds the seed in hex (either case), base32
 * (padded or not) or raw. */
static int err_is_clean(const struct otp_err *err)
{
	char hex[2 * sizeof seed + 1], HEX[sizeof hex], b32[64];
	struct otp_err e2;
	for (size_t i = 0; i < sizeof seed; i++) {
		snprintf(hex + 2 * i, 3, "%02x", seed[i]);
		snprintf(HEX + 2 * i, 3, "%02X", seed[i]);
	}
	otp_base32_encode(seed, sizeof seed, false, b32, sizeof b32, &e2);
	const char *fields[] = { err->message, err->detail, err->hint };
	for (size_t f = 0; f < 3; f++) {
		if (strstr(fields[f], hex) || strstr(fields[f], HEX) || strstr(fields[f], b32) ||
		    strstr(fields[f], "1234567890"))
			return 0;
		/* Even an 8-character piece of the base32 or hex is too much. */
		for (size_t i = 0; i + 8 <= strlen(b32); i++)
			if (memmem(fields[f], strlen(fields[f]), b32 + i, 8))
				return 0;
		for (size_t i = 0; i + 8 <= strlen(hex); i += 2)
			if (memmem(fields[f], strlen(fields[f]), hex + i, 8))
				return 0;
	}
	return 1;
}

static void test_round_trip(void)
{
	struct otp_err err;
	uint8_t blob[sizeof seed + OTP_SEAL_OVERHEAD], blob2[sizeof blob], out[OTP_SECRET_MAX];
	size_t bloblen = 0, outlen = 0;

	CU_ASSERT_EQUAL_FATAL(otp_seal(key1, CRED, seed, sizeof seed, blob, sizeof blob, &bloblen, &err), 0);
	CU_ASSERT_EQUAL(bloblen, sizeof seed + 29);
	CU_ASSERT_EQUAL(blob[0], OTP_SEAL_VERSION);
	CU_ASSERT_PTR_NULL(memmem(blob, bloblen, seed, 8));
	CU_ASSERT_EQUAL(otp_unseal(key1, CRED, blob, bloblen, out, sizeof out, &outlen, &err), 0);
	CU_ASSERT_EQUAL(outlen, sizeof seed);
	CU_ASSERT_EQUAL(memcmp(out, seed, sizeof seed), 0);
	/* A second seal of the same seed has a fresh nonce. */
	CU_ASSERT_EQUAL(otp_seal(key1, CRED, seed, sizeof seed, blob2, sizeof blob2, &bloblen, &err), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(blob + 1, blob2 + 1, OTP_SEAL_NONCE_LEN), 0);

	/* One sealer for many seeds of every length, sealed and opened. */
	struct otp_sealer *s = otp_sealer_new(key2, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	uint8_t big[OTP_SECRET_MAX], bigblob[OTP_SECRET_MAX + OTP_SEAL_OVERHEAD];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 7 + 3);
	for (size_t len = 1; len <= OTP_SECRET_MAX; len++) {
		CU_ASSERT_EQUAL(otp_sealer_seal(s, "ABCD12345674", big, len, bigblob, sizeof bigblob, &bloblen, &err), 0);
		CU_ASSERT_EQUAL(otp_sealer_unseal(s, "ABCD12345674", bigblob, bloblen, out, sizeof out, &outlen, &err), 0);
		CU_ASSERT_EQUAL(outlen, len);
		CU_ASSERT_EQUAL(memcmp(out, big, len), 0);
	}
	/* A failed unseal does not spoil the sealer. */
	bigblob[5] ^= 1;
	CU_ASSERT_EQUAL(otp_sealer_unseal(s, "ABCD12345674", bigblob, bloblen, out, sizeof out, &outlen, &err), -1);
	bigblob[5] ^= 1;
	CU_ASSERT_EQUAL(otp_sealer_unseal(s, "ABCD12345674", bigblob, bloblen, out, sizeof out, &outlen, &err), 0);
	otp_sealer_free(s);
	otp_sealer_free(NULL);
}

static void expect_crypto_refusal(const uint8_t *key, const char *cred, const uint8_t *blob, size_t bloblen)
{
	struct otp_err err;
	uint8_t out[OTP_SECRET_MAX];
	size_t outlen = 999;
	memset(out, 0x55, sizeof out);
	CU_ASSERT_EQUAL(otp_unseal(key, cred, blob, bloblen, out, sizeof out, &outlen, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_CRYPTO);
	CU_ASSERT_EQUAL(outlen, 999);
	CU_ASSERT(err_is_clean(&err));
	CU_ASSERT_PTR_NULL(memmem(out, sizeof out, seed, 4));	/* nothing decrypted is left behind */
}

static void test_tampering_refused(void)
{
	struct otp_err err;
	uint8_t blob[sizeof seed + OTP_SEAL_OVERHEAD];
	size_t bloblen;
	CU_ASSERT_EQUAL_FATAL(otp_seal(key1, CRED, seed, sizeof seed, blob, sizeof blob, &bloblen, &err), 0);

	expect_crypto_refusal(key2, CRED, blob, bloblen);		/* wrong key */
	expect_crypto_refusal(key1, "OTPD00000026", blob, bloblen);	/* wrong AAD */
	expect_crypto_refusal(key1, CRED "X", blob, bloblen);
	for (size_t byte = 0; byte < bloblen; byte++)			/* every bit of version, nonce, ciphertext, tag */
		for (int bit = 0; bit < 8; bit++) {
			blob[byte] ^= (uint8_t)(1u << bit);
			expect_crypto_refusal(key1, CRED, blob, bloblen);
			blob[byte] ^= (uint8_t)(1u << bit);
		}
	for (size_t len = 0; len < bloblen; len++)			/* truncated */
		expect_crypto_refusal(key1, CRED, blob, len);
	uint8_t longer[sizeof blob + 1];				/* extended */
	memcpy(longer, blob, bloblen);
	longer[bloblen] = 0;
	expect_crypto_refusal(key1, CRED, longer, bloblen + 1);

	/* The messages say what went wrong. */
	uint8_t out[64];
	size_t outlen;
	CU_ASSERT_EQUAL(otp_unseal(key2, CRED, blob, bloblen, out, sizeof out, &outlen, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "cannot open the sealed seed of credential " CRED));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.hint, "wrong seed key"));
	CU_ASSERT_EQUAL(otp_unseal(key1, CRED, blob, 10, out, sizeof out, &outlen, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "impossible length (10 bytes)"));
	blob[0] = 2;
	CU_ASSERT_EQUAL(otp_unseal(key1, CRED, blob, bloblen, out, sizeof out, &outlen, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "unknown format version 2"));
	blob[0] = 1;
	/* Usage mistakes. */
	CU_ASSERT_EQUAL(otp_unseal(key1, CRED, blob, bloblen, out, 19, &outlen, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	CU_ASSERT_EQUAL(otp_unseal(key1, "", blob, bloblen, out, sizeof out, &outlen, &err), -1);
	CU_ASSERT_EQUAL(otp_seal(key1, CRED, seed, 0, blob, sizeof blob, &bloblen, &err), -1);
	CU_ASSERT_EQUAL(otp_seal(key1, CRED, seed, sizeof seed, blob, sizeof blob - 1, &bloblen, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "49 bytes needed"));
	CU_ASSERT_EQUAL(otp_seal(key1, NULL, seed, sizeof seed, blob, sizeof blob, &bloblen, &err), -1);
	CU_ASSERT(err_is_clean(&err));
}

/* ---- key files ---- */

static char dir[64];

static int make_dir(void)
{
	strcpy(dir, "/tmp/otp-keytest.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);	/* our own mkdtemp name */
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *name, const void *data, size_t len, mode_t mode, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", dir, name);
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, data, len) == (ssize_t)len);
	CU_ASSERT_FATAL(fchmod(fd, mode) == 0);
	close(fd);
}

static const char key1_hex[] = "3031323334353637383961626364656630313233343536373839616263646566";

static void test_key_file_forms(void)
{
	struct otp_err err;
	uint8_t key[OTP_SEAL_KEY_LEN];
	char path[128], text[80];

	write_file("raw", key1, sizeof key1, 0600, path, sizeof path);
	CU_ASSERT_EQUAL(otp_key_load(path, key, &err), 0);
	CU_ASSERT_EQUAL(memcmp(key, key1, sizeof key), 0);

	snprintf(text, sizeof text, "%s\n", key1_hex);
	write_file("hex-nl", text, strlen(text), 0400, path, sizeof path);
	memset(key, 0, sizeof key);
	CU_ASSERT_EQUAL(otp_key_load(path, key, &err), 0);
	CU_ASSERT_EQUAL(memcmp(key, key1, sizeof key), 0);

	for (size_t i = 0; i < 64; i++)
		text[i] = (char)(key1_hex[i] >= 'a' ? key1_hex[i] - 32 : key1_hex[i]);
	write_file("HEX", text, 64, 0600, path, sizeof path);
	memset(key, 0, sizeof key);
	CU_ASSERT_EQUAL(otp_key_load(path, key, &err), 0);
	CU_ASSERT_EQUAL(memcmp(key, key1, sizeof key), 0);
}

static void expect_key_refused(const char *path, enum otp_err_kind kind, const char *msg)
{
	struct otp_err err;
	uint8_t key[OTP_SEAL_KEY_LEN];
	CU_ASSERT_EQUAL(otp_key_load(path, key, &err), -1);
	CU_ASSERT_EQUAL(err.kind, kind);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, msg));
	if (!strstr(err.message, msg))
		fprintf(stderr, "\n  %s: got \"%s\", want \"%s\"\n", path, err.message, msg);
	CU_ASSERT_PTR_NULL(strstr(err.message, "303132"));
}

static void test_key_file_refused(void)
{
	char path[128], text[80];
	memset(text, 'x', sizeof text);
	static const mode_t modes[] = { 0644, 0640, 0604, 0660, 0700, 0666, 0200, 04600 };
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		char want[64];
		write_file("mode", key1, sizeof key1, modes[i], path, sizeof path);
		snprintf(want, sizeof want, "has mode %04o; it must be 0600 or 0400", (unsigned)modes[i]);
		expect_key_refused(path, OTP_ERR_REFUSED, want);
	}
	struct otp_err err;
	uint8_t key[OTP_SEAL_KEY_LEN];
	write_file("mode", key1, sizeof key1, 0644, path, sizeof path);
	otp_key_load(path, key, &err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.hint, "chmod 600"));

	write_file("short", key1, 31, 0600, path, sizeof path);
	expect_key_refused(path, OTP_ERR_USAGE, "has 31 bytes; it must hold 32 raw bytes or 64 hex digits");
	write_file("long", text, 33, 0600, path, sizeof path);
	expect_key_refused(path, OTP_ERR_USAGE, "has 33 bytes");
	write_file("hex63", key1_hex, 63, 0600, path, sizeof path);
	expect_key_refused(path, OTP_ERR_USAGE, "has 63 bytes");
	snprintf(text, sizeof text, "%s\n\n", key1_hex);
	write_file("hex2nl", text, 66, 0600, path, sizeof path);
	expect_key_refused(path, OTP_ERR_USAGE, "has 66 bytes");
	snprintf(text, sizeof text, "%s ", key1_hex);
	write_file("hexsp", text, 65, 0600, path, sizeof path);
	expect_key_refused(path, OTP_ERR_USAGE, "has 65 bytes");
	memset(text, 'A', sizeof text);
	write_file("huge", text, sizeof text, 0600, path, sizeof path);
	expect_key_refused(path, OTP_ERR_USAGE, "has at least 72 bytes");
	write_file("empty", "", 0, 0600, path, sizeof path);
	expect_key_refused(path, OTP_ERR_USAGE, "has 0 bytes");
	snprintf(text, sizeof text, "%s", key1_hex);
	text[10] = 'g';
	write_file("badhex", text, 64, 0600, path, sizeof path);
	expect_key_refused(path, OTP_ERR_USAGE, "not a hex digit at position 11");

	snprintf(path, sizeof path, "%s/missing", dir);
	expect_key_refused(path, OTP_ERR_IO, "cannot open key file");
	expect_key_refused(dir, OTP_ERR_REFUSED, "not a regular file");
	char link[128];
	write_file("raw", key1, sizeof key1, 0600, path, sizeof path);
	snprintf(link, sizeof link, "%s/link", dir);
	CU_ASSERT_EQUAL(symlink(path, link), 0);
	expect_key_refused(link, OTP_ERR_IO, "cannot open key file");	/* O_NOFOLLOW */
}

static void test_key_generate(void)
{
	struct otp_err err;
	uint8_t made[OTP_SEAL_KEY_LEN], loaded[OTP_SEAL_KEY_LEN], other[OTP_SEAL_KEY_LEN];
	char path[128], path2[128];
	struct stat st;

	snprintf(path, sizeof path, "%s/seed-key.1", dir);
	snprintf(path2, sizeof path2, "%s/seed-key.2", dir);
	mode_t old = umask(0);	/* even a permissive umask gives 0600 */
	int rc = otp_key_generate(path, made, &err);
	umask(old);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL(st.st_size, 65);
	CU_ASSERT_EQUAL(otp_key_load(path, loaded, &err), 0);
	CU_ASSERT_EQUAL(memcmp(made, loaded, sizeof made), 0);
	/* Never overwrites. */
	CU_ASSERT_EQUAL(otp_key_generate(path, other, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "File exists"));
	CU_ASSERT_EQUAL(otp_key_load(path, loaded, &err), 0);
	CU_ASSERT_EQUAL(memcmp(made, loaded, sizeof made), 0);
	/* Two keys differ; NULL out is fine. */
	CU_ASSERT_EQUAL(otp_key_generate(path2, NULL, &err), 0);
	CU_ASSERT_EQUAL(otp_key_load(path2, other, &err), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(made, other, sizeof made), 0);
	/* A seed sealed under one opens with the key as loaded from the file. */
	uint8_t blob[sizeof seed + OTP_SEAL_OVERHEAD], out[sizeof seed];
	size_t bloblen, outlen;
	CU_ASSERT_EQUAL(otp_seal(made, CRED, seed, sizeof seed, blob, sizeof blob, &bloblen, &err), 0);
	CU_ASSERT_EQUAL(otp_unseal(loaded, CRED, blob, bloblen, out, sizeof out, &outlen, &err), 0);
	expect_crypto_refusal(other, CRED, blob, bloblen);
	snprintf(path, sizeof path, "%s/no/such/dir/key", dir);
	CU_ASSERT_EQUAL(otp_key_generate(path, NULL, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_IO);
}

TEST_SUITE(otp_seal, "otp/seal", make_dir, remove_dir,
	   TEST(test_round_trip),
	   TEST(test_tampering_refused),
	   TEST(test_key_file_forms),
	   TEST(test_key_file_refused),
	   TEST(test_key_generate))
