/* audit_checkpoint: Ed25519 keys and signed checkpoints (AUDIT-FORMAT.md
 * section 4). A checkpoint signs {seq, hash, time, key id} of the chain
 * head as one text line; the same line, with the signature, is what the
 * checkpoint file holds. Private key material lives only in OpenSSL
 * objects and in buffers wiped right after use. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "audit/audit_internal.h"

#define CP_PREFIX "otp-audit-checkpoint v1 "

struct audit_key {
	EVP_PKEY *pkey;
	bool priv;
	char id[AUDIT_KEYID_HEX + 1];
};

static int key_wrap(EVP_PKEY *pkey, bool priv, struct audit_key **out, struct otp_err *err)
{
	*out = NULL;
	if (!EVP_PKEY_is_a(pkey, "ED25519")) {
		EVP_PKEY_free(pkey);
		return otp_err_set(err, OTP_ERR_CRYPTO, "not an Ed25519 key");
	}
	unsigned char raw[32], digest[AUDIT_HASH_LEN];
	size_t len = sizeof raw;
	struct audit_sha s;
	if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != 32) {
		EVP_PKEY_free(pkey);
		return otp_err_set(err, OTP_ERR_CRYPTO, "cannot read the Ed25519 public key");
	}
	if (audit_sha_init(&s, err) != 0) {
		EVP_PKEY_free(pkey);
		return -1;
	}
	int rc = audit_sha2(&s, raw, sizeof raw, NULL, 0, digest);
	audit_sha_done(&s);
	struct audit_key *k = rc == 0 ? calloc(1, sizeof *k) : NULL;
	if (!k) {
		EVP_PKEY_free(pkey);
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	}
	k->pkey = pkey;
	k->priv = priv;
	audit_hex(digest, AUDIT_KEYID_HEX / 2, k->id);
	*out = k;
	return 0;
}

const char *audit_key_id(const struct audit_key *key)
{
	return key->id;
}

bool audit_key_is_private(const struct audit_key *key)
{
	return key->priv;
}

void audit_key_free(struct audit_key *key)
{
	if (key) {
		EVP_PKEY_free(key->pkey);
		free(key);
	}
}

int audit_key_dup(const struct audit_key *key, struct audit_key **out, struct otp_err *err)
{
	struct audit_key *k = calloc(1, sizeof *k);
	if (!k || EVP_PKEY_up_ref(key->pkey) != 1) {
		free(k);
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	}
	*k = *key;
	*out = k;
	return 0;
}

int audit_key_from_seed(const unsigned char seed[32], struct audit_key **out, struct otp_err *err)
{
	EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	if (!pkey)
		return otp_err_set(err, OTP_ERR_CRYPTO, "cannot make an Ed25519 key from the seed");
	return key_wrap(pkey, true, out, err);
}

/* Parse PEM text as a private key, else as a public key. */
static int key_from_pem(const char *pem, size_t len, struct audit_key **out, struct otp_err *err)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	bool priv = pkey != NULL;
	if (!pkey) {
		BIO_free(bio);
		bio = BIO_new_mem_buf(pem, (int)len);
		pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	}
	BIO_free(bio);
	if (!pkey)
		return otp_err_set(err, OTP_ERR_CRYPTO, "not a PEM Ed25519 private or public key");
	return key_wrap(pkey, priv, out, err);
}

int audit_key_from_pem(const char *pem, size_t len, struct audit_key **out, struct otp_err *err)
{
	return key_from_pem(pem, len, out, err);
}

int audit_key_load(const char *path, struct audit_key **out, struct otp_err *err)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return otp_err_set(err, OTP_ERR_IO, "cannot open key file %s: %s", path, strerror(errno));
	struct stat st;
	char buf[8192];
	ssize_t n = -1;
	if (fstat(fd, &st) == 0 && st.st_size < (off_t)sizeof buf)
		n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) {
		OPENSSL_cleanse(buf, sizeof buf);
		return otp_err_set(err, OTP_ERR_IO, "cannot read key file %s", path);
	}
	buf[n] = '\0';
	int rc = key_from_pem(buf, (size_t)n, out, err);
	OPENSSL_cleanse(buf, sizeof buf);
	if (rc != 0) {
		otp_err_hint(err, "%s should be signing.key or signing.pub made by otpctl audit keygen", path);
		return -1;
	}
	if ((*out)->priv && (st.st_mode & 077)) {
		audit_key_free(*out);
		*out = NULL;
		otp_err_set(err, OTP_ERR_CRYPTO, "private key %s is readable by other users", path);
		otp_err_hint(err, "chmod 600 %s", path);
		return -1;
	}
	return 0;
}

/* Write len bytes to a new file (refusing an existing one) with mode. */
static int write_new(const char *path, const void *data, size_t len, mode_t mode, struct otp_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		if (errno == EEXIST) {
			otp_err_set(err, OTP_ERR_IO, "%s exists: refusing to overwrite a key", path);
			otp_err_hint(err, "make a new key in another directory (old public keys stay valid)");
			return -1;
		}
		return otp_err_set(err, OTP_ERR_IO, "cannot create %s: %s", path, strerror(errno));
	}
	const char *p = data;
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, p + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	int ok = done == len && fchmod(fd, mode) == 0 && fsync(fd) == 0;
	if (close(fd) != 0)
		ok = 0;
	if (!ok) {
		unlink(path);
		return otp_err_set(err, OTP_ERR_IO, "cannot write %s: %s", path, strerror(errno));
	}
	return 0;
}

/* PEM of pkey (private or public) into a heap buffer the caller wipes and frees. */
static char *pem_of(EVP_PKEY *pkey, bool priv, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	if (!bio)
		return NULL;
	char *out = NULL;
	int ok = priv ? PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) : PEM_write_bio_PUBKEY(bio, pkey);
	char *data;
	long n = BIO_get_mem_data(bio, &data);
	if (ok == 1 && n > 0 && (out = malloc((size_t)n))) {
		memcpy(out, data, (size_t)n);
		*len = (size_t)n;
	}
	BIO_free(bio);
	return out;
}

int audit_key_generate(const char *dir, char key_id[AUDIT_KEYID_HEX + 1], struct otp_err *err)
{
	char keypath[4096], pubpath[4096];
	if (snprintf(keypath, sizeof keypath, "%s/signing.key", dir) >= (int)sizeof keypath ||
	    snprintf(pubpath, sizeof pubpath, "%s/signing.pub", dir) >= (int)sizeof pubpath)
		return otp_err_set(err, OTP_ERR_USAGE, "directory name too long");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return otp_err_set(err, OTP_ERR_IO, "cannot create %s: %s", dir, strerror(errno));
	if (access(keypath, F_OK) == 0 || access(pubpath, F_OK) == 0) {
		otp_err_set(err, OTP_ERR_IO, "%s already holds a key: refusing to overwrite it", dir);
		otp_err_hint(err, "make a new key in another directory (old public keys stay valid)");
		return -1;
	}
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!pkey)
		return otp_err_set(err, OTP_ERR_CRYPTO, "Ed25519 key generation failed");
	struct audit_key *k;
	if (key_wrap(pkey, true, &k, err) != 0)
		return -1;
	size_t plen = 0, klen = 0;
	char *pub = pem_of(k->pkey, false, &plen);
	char *priv = pem_of(k->pkey, true, &klen);
	int rc = -1;
	if (!pub || !priv)
		otp_err_set(err, OTP_ERR_CRYPTO, "cannot encode the new key");
	else if (write_new(keypath, priv, klen, 0600, err) == 0) {
		if (write_new(pubpath, pub, plen, 0644, err) == 0)
			rc = 0;
		else
			unlink(keypath);
	}
	if (priv) {
		OPENSSL_cleanse(priv, klen);
		free(priv);
	}
	free(pub);
	if (rc == 0)
		otp_strlcpy(key_id, k->id, AUDIT_KEYID_HEX + 1);
	audit_key_free(k);
	return rc;
}

/* ---- checkpoints ------------------------------------------------------- */

size_t audit_checkpoint_message(const struct audit_checkpoint *cp, char *buf, size_t size)
{
	char hash[2 * AUDIT_HASH_LEN + 1], when[24];
	audit_hex(cp->hash, AUDIT_HASH_LEN, hash);
	audit_format_utc(cp->time, when);
	int n = snprintf(buf, size, CP_PREFIX "seq=%lld hash=%s time=%s key=%s", (long long)cp->seq, hash, when,
			 cp->key_id);
	return n < 0 ? 0 : (size_t)n;
}

size_t audit_checkpoint_line(const struct audit_checkpoint *cp, char *buf, size_t size)
{
	char msg[256], sig[4 * ((AUDIT_SIG_LEN + 2) / 3) + 1];
	audit_checkpoint_message(cp, msg, sizeof msg);
	audit_b64(cp->sig, AUDIT_SIG_LEN, sig);
	int n = snprintf(buf, size, "%s sig=%s", msg, sig);
	return n < 0 ? 0 : (size_t)n;
}

/* The value of "name=" at *p up to the next space or end; advances *p. */
static int field(const char **p, const char *name, const char **val, size_t *len)
{
	size_t nl = strlen(name);
	if (strncmp(*p, name, nl) != 0 || (*p)[nl] != '=')
		return -1;
	*val = *p + nl + 1;
	const char *end = *val;
	while (*end && *end != ' ' && *end != '\r' && *end != '\n')
		end++;
	*len = (size_t)(end - *val);
	*p = *end == ' ' ? end + 1 : end;
	return 0;
}

int audit_checkpoint_parse(const char *line, struct audit_checkpoint *cp, struct otp_err *err)
{
	memset(cp, 0, sizeof *cp);
	if (strncmp(line, CP_PREFIX, sizeof CP_PREFIX - 1) != 0)
		return otp_err_set(err, OTP_ERR_USAGE, "not an otp-audit-checkpoint v1 line");
	const char *p = line + sizeof CP_PREFIX - 1, *v;
	size_t len;
	int64_t us;
	char num[24];
	if (field(&p, "seq", &v, &len) != 0 || len == 0 || len >= sizeof num || v[0] == '0')
		return otp_err_set(err, OTP_ERR_USAGE, "checkpoint: bad seq");
	for (size_t i = 0; i < len; i++)
		if (v[i] < '0' || v[i] > '9')
			return otp_err_set(err, OTP_ERR_USAGE, "checkpoint: bad seq");
	memcpy(num, v, len);
	num[len] = '\0';
	cp->seq = strtoll(num, NULL, 10);
	if (field(&p, "hash", &v, &len) != 0 || audit_unhex(v, len, cp->hash, AUDIT_HASH_LEN) != 0)
		return otp_err_set(err, OTP_ERR_USAGE, "checkpoint: bad hash");
	if (field(&p, "time", &v, &len) != 0 || len != 20 || v[19] != 'Z' || audit_parse_time(v, len, &us) != 0 ||
	    us % 1000000 != 0)
		return otp_err_set(err, OTP_ERR_USAGE, "checkpoint: bad time (YYYY-MM-DDTHH:MM:SSZ)");
	cp->time = us / 1000000;
	if (field(&p, "key", &v, &len) != 0 || len != AUDIT_KEYID_HEX)
		return otp_err_set(err, OTP_ERR_USAGE, "checkpoint: bad key id");
	for (size_t i = 0; i < len; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
			return otp_err_set(err, OTP_ERR_USAGE, "checkpoint: bad key id");
	memcpy(cp->key_id, v, len);
	if (field(&p, "sig", &v, &len) != 0 || audit_unb64(v, len, cp->sig, AUDIT_SIG_LEN) != 0)
		return otp_err_set(err, OTP_ERR_USAGE, "checkpoint: bad signature encoding");
	while (*p == '\r' || *p == '\n')
		p++;
	if (*p)
		return otp_err_set(err, OTP_ERR_USAGE, "checkpoint: unexpected text after the signature");
	/* Only the canonical spelling is accepted: the message must re-format identically. */
	char again[256];
	size_t n = audit_checkpoint_message(cp, again, sizeof again);
	if (n >= sizeof again || strncmp(line, again, n) != 0 || strncmp(line + n, " sig=", 5) != 0)
		return otp_err_set(err, OTP_ERR_USAGE, "checkpoint: not in canonical form");
	return 0;
}

int audit_checkpoint_sign(struct audit_checkpoint *cp, const struct audit_key *key, struct otp_err *err)
{
	if (!key->priv)
		return otp_err_set(err, OTP_ERR_USAGE, "signing needs the private key (signing.key)");
	otp_strlcpy(cp->key_id, key->id, sizeof cp->key_id);
	char msg[256];
	size_t mlen = audit_checkpoint_message(cp, msg, sizeof msg);
	size_t slen = AUDIT_SIG_LEN;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key->pkey) == 1 &&
		 EVP_DigestSign(ctx, cp->sig, &slen, (const unsigned char *)msg, mlen) == 1 && slen == AUDIT_SIG_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : otp_err_set(err, OTP_ERR_CRYPTO, "Ed25519 signing failed");
}

bool audit_checkpoint_verify(const struct audit_checkpoint *cp, const struct audit_key *key)
{
	if (strcmp(cp->key_id, key->id) != 0)
		return false;
	char msg[256];
	size_t mlen = audit_checkpoint_message(cp, msg, sizeof msg);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key->pkey) == 1 &&
		  EVP_DigestVerify(ctx, cp->sig, AUDIT_SIG_LEN, (const unsigned char *)msg, mlen) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

int audit_checkpoint_append(const char *path, const struct audit_checkpoint *cp, struct otp_err *err)
{
	char line[512];
	size_t n = audit_checkpoint_line(cp, line, sizeof line - 1);
	line[n++] = '\n';
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return otp_err_set(err, OTP_ERR_IO, "cannot open checkpoint file %s: %s", path, strerror(errno));
	ssize_t w = write(fd, line, n);
	int ok = w == (ssize_t)n && fsync(fd) == 0;
	if (close(fd) != 0)
		ok = 0;
	return ok ? 0 : otp_err_set(err, OTP_ERR_IO, "cannot append to %s: %s", path, strerror(errno));
}
