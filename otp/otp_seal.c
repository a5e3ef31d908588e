/* otp_seal: token seeds at rest. A seed is sealed with AES-256-GCM under a
 * 32-byte key from a key file, with the credential ID as additional data so
 * a blob cannot be moved to another credential. A struct otp_sealer keeps
 * the AES key schedule for many seals/unseals. No error message ever holds
 * seed or key bytes; every buffer that held them is wiped on every path. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "otp/otp_internal.h"

struct otp_sealer {
	EVP_CIPHER_CTX *enc;	/* keyed for encryption, re-used with a new nonce */
	EVP_CIPHER_CTX *dec;	/* keyed for decryption */
};

static int gcm_fail(struct otp_err *err, const char *what)
{
	ERR_clear_error();
	return otp_err_set(err, OTP_ERR_CRYPTO, "AES-256-GCM %s failed", what);
}

/* A sealer keyed for encryption, decryption or both (the one-shot forms
 * need only one direction, so they pay for one key schedule). */
static struct otp_sealer *sealer_new(const uint8_t key[OTP_SEAL_KEY_LEN], bool enc, bool dec,
				     struct otp_err *err)
{
	EVP_CIPHER *gcm = otp_gcm_cipher(err);
	if (!gcm)
		return NULL;
	if (!key) {
		otp_err_set(err, OTP_ERR_USAGE, "no sealing key");
		return NULL;
	}
	struct otp_sealer *s = calloc(1, sizeof *s);
	if (!s) {
		otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	if ((enc && (!(s->enc = EVP_CIPHER_CTX_new()) || !EVP_EncryptInit_ex2(s->enc, gcm, key, NULL, NULL))) ||
	    (dec && (!(s->dec = EVP_CIPHER_CTX_new()) || !EVP_DecryptInit_ex2(s->dec, gcm, key, NULL, NULL)))) {
		gcm_fail(err, "key set-up");
		otp_sealer_free(s);
		return NULL;
	}
	return s;
}

struct otp_sealer *otp_sealer_new(const uint8_t key[OTP_SEAL_KEY_LEN], struct otp_err *err)
{
	return sealer_new(key, true, true, err);
}

void otp_sealer_free(struct otp_sealer *s)
{
	if (!s)
		return;
	EVP_CIPHER_CTX_free(s->enc);	/* cleanses the key schedule */
	EVP_CIPHER_CTX_free(s->dec);
	OPENSSL_cleanse(s, sizeof *s);
	free(s);
}

static int check_aad(const char *credential_id, struct otp_err *err)
{
	if (!credential_id || !*credential_id)
		return otp_err_set(err, OTP_ERR_USAGE, "a sealed seed needs its credential ID");
	return 0;
}

int otp_sealer_seal(struct otp_sealer *s, const char *credential_id, const uint8_t *seed, size_t seedlen,
		    uint8_t *blob, size_t blobsize, size_t *bloblen, struct otp_err *err)
{
	int len = 0;

	if (!s || !s->enc)
		return otp_err_set(err, OTP_ERR_USAGE, "no sealer");
	if (check_aad(credential_id, err) != 0)
		return -1;
	if (!seed || seedlen < 1 || seedlen > OTP_SECRET_MAX)
		return otp_err_set(err, OTP_ERR_USAGE, "seed must be 1 to %d bytes long (got %zu)", OTP_SECRET_MAX,
				   seed ? seedlen : 0);
	if (!blob || blobsize < seedlen + OTP_SEAL_OVERHEAD)
		return otp_err_set(err, OTP_ERR_USAGE, "sealed-seed buffer too small (%zu bytes needed)",
				   seedlen + OTP_SEAL_OVERHEAD);
	uint8_t *nonce = blob + 1, *ct = nonce + OTP_SEAL_NONCE_LEN, *tag = ct + seedlen;
	blob[0] = OTP_SEAL_VERSION;
	if (RAND_bytes(nonce, OTP_SEAL_NONCE_LEN) != 1) {
		ERR_clear_error();
		otp_err_set(err, OTP_ERR_CRYPTO, "no random bytes for the nonce");
		goto fail;
	}
	if (!EVP_EncryptInit_ex2(s->enc, NULL, NULL, nonce, NULL) ||
	    !EVP_EncryptUpdate(s->enc, NULL, &len, (const uint8_t *)credential_id, (int)strlen(credential_id)) ||
	    !EVP_EncryptUpdate(s->enc, ct, &len, seed, (int)seedlen) || (size_t)len != seedlen ||
	    !EVP_EncryptFinal_ex(s->enc, ct + len, &len) ||
	    !EVP_CIPHER_CTX_ctrl(s->enc, EVP_CTRL_AEAD_GET_TAG, OTP_SEAL_TAG_LEN, tag)) {
		gcm_fail(err, "encryption");
		goto fail;
	}
	*bloblen = seedlen + OTP_SEAL_OVERHEAD;
	return 0;
fail:
	OPENSSL_cleanse(blob, seedlen + OTP_SEAL_OVERHEAD);
	return -1;
}

int otp_sealer_unseal(struct otp_sealer *s, const char *credential_id, const uint8_t *blob, size_t bloblen,
		      uint8_t *seed, size_t seedsize, size_t *seedlen, struct otp_err *err)
{
	int len = 0;

	if (!s || !s->dec)
		return otp_err_set(err, OTP_ERR_USAGE, "no sealer");
	if (check_aad(credential_id, err) != 0)
		return -1;
	if (!blob || bloblen < OTP_SEAL_OVERHEAD + 1 || bloblen > OTP_SEAL_OVERHEAD + OTP_SECRET_MAX)
		return otp_err_set(err, OTP_ERR_CRYPTO, "sealed seed of credential %s has an impossible length (%zu bytes)",
				   credential_id, blob ? bloblen : 0);
	if (blob[0] != OTP_SEAL_VERSION)
		return otp_err_set(err, OTP_ERR_CRYPTO, "sealed seed of credential %s has unknown format version %u",
				   credential_id, blob[0]);
	size_t ctlen = bloblen - OTP_SEAL_OVERHEAD;
	if (!seed || seedsize < ctlen)
		return otp_err_set(err, OTP_ERR_USAGE, "seed buffer too small (%zu bytes needed)", ctlen);
	const uint8_t *nonce = blob + 1, *ct = nonce + OTP_SEAL_NONCE_LEN, *tag = ct + ctlen;
	uint8_t tagbuf[OTP_SEAL_TAG_LEN];
	memcpy(tagbuf, tag, sizeof tagbuf);	/* the ctrl takes a non-const pointer */
	if (!EVP_DecryptInit_ex2(s->dec, NULL, NULL, nonce, NULL) ||
	    !EVP_DecryptUpdate(s->dec, NULL, &len, (const uint8_t *)credential_id, (int)strlen(credential_id)) ||
	    !EVP_DecryptUpdate(s->dec, seed, &len, ct, (int)ctlen) || (size_t)len != ctlen ||
	    !EVP_CIPHER_CTX_ctrl(s->dec, EVP_CTRL_AEAD_SET_TAG, OTP_SEAL_TAG_LEN, tagbuf) ||
	    EVP_DecryptFinal_ex(s->dec, seed + len, &len) <= 0) {
		ERR_clear_error();
		OPENSSL_cleanse(seed, ctlen);
		otp_err_set(err, OTP_ERR_CRYPTO, "cannot open the sealed seed of credential %s", credential_id);
		otp_err_hint(err, "wrong seed key version, a seed sealed for another credential, or damaged data");
		return -1;
	}
	*seedlen = ctlen;
	return 0;
}

int otp_seal(const uint8_t key[OTP_SEAL_KEY_LEN], const char *credential_id, const uint8_t *seed, size_t seedlen,
	     uint8_t *blob, size_t blobsize, size_t *bloblen, struct otp_err *err)
{
	struct otp_sealer *s = sealer_new(key, true, false, err);
	if (!s)
		return -1;
	int rc = otp_sealer_seal(s, credential_id, seed, seedlen, blob, blobsize, bloblen, err);
	otp_sealer_free(s);
	return rc;
}

int otp_unseal(const uint8_t key[OTP_SEAL_KEY_LEN], const char *credential_id, const uint8_t *blob, size_t bloblen,
	       uint8_t *seed, size_t seedsize, size_t *seedlen, struct otp_err *err)
{
	struct otp_sealer *s = sealer_new(key, false, true, err);
	if (!s)
		return -1;
	int rc = otp_sealer_unseal(s, credential_id, blob, bloblen, seed, seedsize, seedlen, err);
	otp_sealer_free(s);
	return rc;
}

/* ---- key files ---------------------------------------------------------- */

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int otp_key_load(const char *path, uint8_t key[OTP_SEAL_KEY_LEN], struct otp_err *err)
{
	uint8_t buf[2 * OTP_SEAL_KEY_LEN + 8];
	size_t n = 0;
	int fd = -1, rc = -1;
	struct stat st;

	if (!path || !*path || !key)
		return otp_err_set(err, OTP_ERR_USAGE, "no key file given");
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		otp_err_set(err, OTP_ERR_IO, "cannot open key file %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		otp_err_set(err, OTP_ERR_IO, "cannot stat key file %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		otp_err_set(err, OTP_ERR_REFUSED, "key file %s is not a regular file", path);
		goto out;
	}
	unsigned mode = (unsigned)st.st_mode & 07777;
	if (mode != 0600 && mode != 0400) {
		otp_err_set(err, OTP_ERR_REFUSED, "key file %s has mode %04o; it must be 0600 or 0400", path, mode);
		otp_err_hint(err, "a key file must not be accessible to group or others: chmod 600 %s", path);
		goto out;
	}
	while (n < sizeof buf) {
		ssize_t r = read(fd, buf + n, sizeof buf - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			otp_err_set(err, OTP_ERR_IO, "cannot read key file %s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n == OTP_SEAL_KEY_LEN) {
		memcpy(key, buf, OTP_SEAL_KEY_LEN);
	} else if (n == 2 * OTP_SEAL_KEY_LEN || (n == 2 * OTP_SEAL_KEY_LEN + 1 && buf[n - 1] == '\n')) {
		for (size_t i = 0; i < OTP_SEAL_KEY_LEN; i++) {
			int hi = hex_value(buf[2 * i]), lo = hex_value(buf[2 * i + 1]);
			if (hi < 0 || lo < 0) {
				otp_err_set(err, OTP_ERR_USAGE, "key file %s: not a hex digit at position %zu", path,
					    2 * i + (hi < 0 ? 1 : 2));
				OPENSSL_cleanse(key, OTP_SEAL_KEY_LEN);
				goto out;
			}
			key[i] = (uint8_t)(hi << 4 | lo);
		}
	} else {
		otp_err_set(err, OTP_ERR_USAGE, "key file %s has %s%zu bytes; it must hold %d raw bytes or %d hex digits",
			    path, n == sizeof buf ? "at least " : "", n, OTP_SEAL_KEY_LEN, 2 * OTP_SEAL_KEY_LEN);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	OPENSSL_cleanse(buf, sizeof buf);
	return rc;
}

int otp_key_generate(const char *path, uint8_t key[OTP_SEAL_KEY_LEN], struct otp_err *err)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[OTP_SEAL_KEY_LEN];
	char text[2 * OTP_SEAL_KEY_LEN + 1];
	int fd = -1, rc = -1;
	bool created = false;

	if (!path || !*path)
		return otp_err_set(err, OTP_ERR_USAGE, "no key file given");
	if (RAND_bytes(raw, sizeof raw) != 1) {
		ERR_clear_error();
		otp_err_set(err, OTP_ERR_CRYPTO, "no random bytes for a new key");
		goto out;
	}
	for (size_t i = 0; i < sizeof raw; i++) {
		text[2 * i] = hex[raw[i] >> 4];
		text[2 * i + 1] = hex[raw[i] & 15];
	}
	text[sizeof text - 1] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		otp_err_set(err, OTP_ERR_IO, "cannot create key file %s: %s", path, strerror(errno));
		if (errno == EEXIST)
			otp_err_hint(err, "an existing key is never overwritten; choose a new version number");
		goto out;
	}
	created = true;
	if (fchmod(fd, 0600) != 0) {	/* the umask could have removed bits; never added any */
		otp_err_set(err, OTP_ERR_IO, "cannot set mode of key file %s: %s", path, strerror(errno));
		goto out;
	}
	for (size_t off = 0; off < sizeof text;) {
		ssize_t w = write(fd, text + off, sizeof text - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			otp_err_set(err, OTP_ERR_IO, "cannot write key file %s: %s", path, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0) {
		otp_err_set(err, OTP_ERR_IO, "cannot write key file %s: %s", path, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		otp_err_set(err, OTP_ERR_IO, "cannot write key file %s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (key)
		memcpy(key, raw, sizeof raw);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0 && created)
		unlink(path);
	OPENSSL_cleanse(raw, sizeof raw);
	OPENSSL_cleanse(text, sizeof text);
	return rc;
}
