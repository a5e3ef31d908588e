/* otp_pskc: reading vendor token deliveries in PSKC (RFC 6030). Parses the
 * XML with libxml2 (no network, no DTD, no entity expansion) and decrypts
 * each secret with OpenSSL: plain values, pre-shared AES keys (RFC 6030
 * 6.1) and password-derived keys (PBKDF2, 6.2), AES-CBC (xmlenc) with the
 * container's HMAC ValueMAC checked over IV || ciphertext before anything is
 * decrypted. Pure: no database, no clock. Secrets never reach an error
 * message and every buffer that held one is wiped on every path. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "otp/otp.h"

#define URN_PREFIX "urn:ietf:params:xml:ns:keyprov:pskc:"
#define XMLENC "http://www.w3.org/2001/04/xmlenc#"
#define PBKDF2_URI_SUFFIX "#pbkdf2"
#define CIPHER_MAX (16 + 512)	/* IV + ciphertext of anything we accept */
#define ITER_MAX 10000000L

static const char *const kind_names[] = {
#define X(id, name) [OTP_PSKC_##id] = name,
	OTP_PSKC_KINDS(X)
#undef X
};

static const char *const protection_names[] = {
#define X(id, name) [OTP_PSKC_##id] = name,
	OTP_PSKC_PROTECTIONS(X)
#undef X
};

const char *otp_pskc_kind_name(enum otp_pskc_kind kind)
{
	return (unsigned)kind <= OTP_PSKC_OTHER ? kind_names[kind] : "?";
}

const char *otp_pskc_protection_name(enum otp_pskc_protection p)
{
	return (unsigned)p <= OTP_PSKC_PBE ? protection_names[p] : "?";
}

/* Block ciphers of xmlenc we decrypt: the URI's fragment, OpenSSL name, key length. */
static const struct {
	const char *fragment;
	const char *name;
	size_t keylen;
} ciphers[] = {
	{ "aes128-cbc", "AES-128-CBC", 16 },
	{ "aes192-cbc", "AES-192-CBC", 24 },
	{ "aes256-cbc", "AES-256-CBC", 32 },
};

/* MAC and PBKDF2 PRF algorithms: the URI's fragment and the digest. */
static const struct {
	const char *fragment;
	const char *digest;
} hmacs[] = {
	{ "hmac-sha1", "SHA1" },
	{ "hmac-sha224", "SHA224" },
	{ "hmac-sha256", "SHA256" },
	{ "hmac-sha384", "SHA384" },
	{ "hmac-sha512", "SHA512" },
};

/* ---- what one parse knows --------------------------------------------- */

struct ctx {
	const struct otp_pskc_auth *auth;
	enum otp_pskc_protection protection;
	/* PBKDF2 parameters (protection PBE) */
	uint8_t salt[64];
	size_t saltlen;
	long iterations;
	size_t want_keylen;	/* KeyLength, 0 when absent */
	const char *prf;	/* digest name */
	/* the encryption key, derived or copied once */
	uint8_t key[32];
	size_t keylen;
	/* MAC */
	xmlNode *mac_method;
	const char *mac_digest;
	uint8_t mackey[128];
	size_t mackeylen;
	bool mackey_ready;
	/* for messages: the KeyPackage being read */
	size_t pkg;
	char serial[OTP_PSKC_FIELD];
};

static void ctx_wipe(struct ctx *c)
{
	OPENSSL_cleanse(c->key, sizeof c->key);
	OPENSSL_cleanse(c->mackey, sizeof c->mackey);
}

/* Prefix of every message about a KeyPackage. */
static int pkg_fail(const struct ctx *c, struct otp_err *err, const char *what)
{
	if (c->pkg == 0)
		return otp_err_set(err, OTP_ERR_USAGE, "PSKC: %s", what);
	return otp_err_set(err, OTP_ERR_USAGE, "PSKC KeyPackage %zu%s%s%s: %s", c->pkg,
			   c->serial[0] ? " (serial " : "", c->serial, c->serial[0] ? ")" : "", what);
}

/* ---- XML helpers ---------------------------------------------------------- */

static bool is_elem(const xmlNode *n, const char *local)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, local) == 0;
}

static xmlNode *child(const xmlNode *n, const char *local)
{
	if (!n)
		return NULL;
	for (xmlNode *c = n->children; c; c = c->next)
		if (is_elem(c, local))
			return c;
	return NULL;
}

/* The trimmed text of n into out (truncated to size); "" when n is NULL. */
static void text_of(const xmlNode *n, char *out, size_t size)
{
	out[0] = '\0';
	if (!n)
		return;
	xmlChar *t = xmlNodeGetContent(n);
	if (!t)
		return;
	const char *s = (const char *)t;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	size_t len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	if (len >= size)
		len = size - 1;
	memcpy(out, s, len);
	out[len] = '\0';
	OPENSSL_cleanse(t, strlen((const char *)t));	/* may be a plain secret */
	xmlFree(t);
}

static void attr_of(const xmlNode *n, const char *name, char *out, size_t size)
{
	out[0] = '\0';
	if (!n)
		return;
	xmlChar *a = xmlGetProp(n, (const xmlChar *)name);
	if (a) {
		otp_strlcpy(out, (const char *)a, size);
		xmlFree(a);
	}
}

/* The fragment of an algorithm URI ("...#aes128-cbc" -> "aes128-cbc"). */
static const char *fragment(const char *uri)
{
	const char *h = strrchr(uri, '#');
	return h ? h + 1 : uri;
}

/* Decode base64 text (whitespace anywhere) into out; -1 when malformed or too long. */
static int b64_decode(const char *in, uint8_t *out, size_t size, size_t *outlen)
{
	size_t n = strlen(in), k = 0;
	char *clean = malloc(n + 1);
	int rc = -1;
	if (!clean)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (in[i] != ' ' && in[i] != '\t' && in[i] != '\n' && in[i] != '\r')
			clean[k++] = in[i];
	clean[k] = '\0';
	if (k == 0 || k % 4 != 0 || k / 4 * 3 > size + 2)
		goto out;
	size_t pad = (clean[k - 1] == '=') + (k > 1 && clean[k - 2] == '=');
	uint8_t *tmp = malloc(k / 4 * 3);
	if (!tmp)
		goto out;
	int got = EVP_DecodeBlock(tmp, (const unsigned char *)clean, (int)k);
	if (got >= 0 && (size_t)got >= pad && (size_t)got - pad <= size) {
		*outlen = (size_t)got - pad;
		memcpy(out, tmp, *outlen);
		rc = 0;
	}
	OPENSSL_cleanse(tmp, k / 4 * 3);
	free(tmp);
out:
	OPENSSL_cleanse(clean, n + 1);
	free(clean);
	return rc;
}

/* ---- keys and decryption --------------------------------------------------- */

/* The encryption key for a cipher needing keylen bytes, derived or copied on first use. */
static int enc_key(struct ctx *c, size_t keylen, struct otp_err *err)
{
	char msg[256];
	if (c->keylen)
		goto check;
	if (c->protection == OTP_PSKC_PRESHARED) {
		if (!c->auth || !c->auth->key || !c->auth->keylen)
			return pkg_fail(c, err, "the container is encrypted with a pre-shared key: give the key file");
		if (c->auth->keylen > sizeof c->key)
			return pkg_fail(c, err, "the pre-shared key is too long");
		memcpy(c->key, c->auth->key, c->auth->keylen);
		c->keylen = c->auth->keylen;
	} else if (c->protection == OTP_PSKC_PBE) {
		if (!c->auth || !c->auth->password)
			return pkg_fail(c, err, "the container is encrypted with a password: give the password");
		size_t want = c->want_keylen ? c->want_keylen : keylen;
		if (want > sizeof c->key)
			return pkg_fail(c, err, "PBKDF2 KeyLength is too long");
		const EVP_MD *md = EVP_get_digestbyname(c->prf);
		if (!md || PKCS5_PBKDF2_HMAC(c->auth->password, (int)strlen(c->auth->password), c->salt, (int)c->saltlen,
					     (int)c->iterations, md, (int)want, c->key) != 1) {
			ERR_clear_error();
			return pkg_fail(c, err, "PBKDF2 key derivation failed");
		}
		c->keylen = want;
	} else {
		return pkg_fail(c, err, "an EncryptedValue, but the container has no EncryptionKey");
	}
check:
	if (c->keylen != keylen) {
		snprintf(msg, sizeof msg, "the encryption key has %zu bytes but the cipher needs %zu", c->keylen, keylen);
		return pkg_fail(c, err, msg);
	}
	return 0;
}

/* Base64 CipherData/CipherValue of an element with xenc children. */
static int cipher_value(struct ctx *c, const xmlNode *enc, uint8_t *buf, size_t size, size_t *len,
			struct otp_err *err)
{
	xmlNode *cv = child(child(enc, "CipherData"), "CipherValue");
	if (!cv)
		return pkg_fail(c, err, "EncryptedValue without CipherData/CipherValue");
	char text[CIPHER_MAX * 2];
	text_of(cv, text, sizeof text);
	if (b64_decode(text, buf, size, len) != 0)
		return pkg_fail(c, err, "CipherValue is not valid base64 (or too long)");
	return 0;
}

/* The cipher an EncryptionMethod names; index into ciphers[] or -1. */
static int enc_method(struct ctx *c, const xmlNode *enc, struct otp_err *err)
{
	char alg[160], msg[256];
	attr_of(child(enc, "EncryptionMethod"), "Algorithm", alg, sizeof alg);
	if (!alg[0])
		return pkg_fail(c, err, "EncryptedValue without an EncryptionMethod Algorithm");
	if (strncmp(alg, XMLENC, strlen(XMLENC)) == 0)
		for (size_t i = 0; i < sizeof ciphers / sizeof ciphers[0]; i++)
			if (strcmp(fragment(alg), ciphers[i].fragment) == 0)
				return (int)i;
	snprintf(msg, sizeof msg, "unsupported encryption algorithm %.120s (AES-128/192/256-CBC are supported)", alg);
	return pkg_fail(c, err, msg);
}

/* AES-CBC-decrypt IV || ciphertext into out (PKCS#7 padding removed). */
static int cbc_decrypt(struct ctx *c, int ci, const uint8_t *in, size_t inlen, uint8_t *out, size_t size,
		       size_t *outlen, const char *what, struct otp_err *err)
{
	char msg[256];
	if (inlen < 32 || inlen % 16 != 0 || inlen - 16 > size) {
		snprintf(msg, sizeof msg, "%s: ciphertext has an impossible length (%zu bytes)", what, inlen);
		return pkg_fail(c, err, msg);
	}
	if (enc_key(c, ciphers[ci].keylen, err) != 0)
		return -1;
	EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, ciphers[ci].name, NULL);
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0, rc = -1;
	if (cipher && x && EVP_DecryptInit_ex2(x, cipher, c->key, in, NULL) &&
	    EVP_DecryptUpdate(x, out, &l1, in + 16, (int)(inlen - 16)) && EVP_DecryptFinal_ex(x, out + l1, &l2) == 1) {
		*outlen = (size_t)(l1 + l2);
		rc = 0;
	} else {
		OPENSSL_cleanse(out, size);
		snprintf(msg, sizeof msg, "cannot decrypt %s: wrong %s, or the file is damaged", what,
			 c->protection == OTP_PSKC_PBE ? "password" : "pre-shared key");
		pkg_fail(c, err, msg);
	}
	ERR_clear_error();
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_free(cipher);
	return rc;
}

/* Decrypt the container's MACKey once. */
static int mac_key(struct ctx *c, struct otp_err *err)
{
	if (c->mackey_ready)
		return 0;
	xmlNode *mk = child(c->mac_method, "MACKey");
	if (!mk)
		return pkg_fail(c, err, "MACMethod without a MACKey (MACKeyReference is not supported)");
	uint8_t buf[CIPHER_MAX];
	size_t len = 0;
	int ci = enc_method(c, mk, err);
	int rc = -1;
	if (ci >= 0 && cipher_value(c, mk, buf, sizeof buf, &len, err) == 0 &&
	    cbc_decrypt(c, ci, buf, len, c->mackey, sizeof c->mackey, &c->mackeylen, "the MAC key", err) == 0) {
		c->mackey_ready = true;
		rc = 0;
	}
	OPENSSL_cleanse(buf, sizeof buf);
	return rc;
}

/* The value of a Data child (Secret, Counter, TimeInterval, ...): PlainValue
 * (base64 when b64, else text) or EncryptedValue (MAC-checked, decrypted).
 * *present = false when the element or both forms are absent. */
static int data_value(struct ctx *c, const xmlNode *item, bool b64, uint8_t *out, size_t size, size_t *len,
		      bool *present, const char *what, struct otp_err *err)
{
	char msg[256];
	*present = false;
	*len = 0;
	if (!item)
		return 0;
	xmlNode *plain = child(item, "PlainValue"), *enc = child(item, "EncryptedValue");
	if (plain) {
		char text[2 * OTP_SECRET_MAX + 8];
		text_of(plain, text, sizeof text);
		int rc = 0;
		if (b64) {
			if (b64_decode(text, out, size, len) != 0) {
				snprintf(msg, sizeof msg, "%s: PlainValue is not valid base64 (or too long)", what);
				rc = pkg_fail(c, err, msg);
			}
		} else {
			*len = otp_strlcpy((char *)out, text, size);
		}
		OPENSSL_cleanse(text, sizeof text);
		*present = rc == 0;
		return rc;
	}
	if (!enc)
		return 0;
	int ci = enc_method(c, enc, err);
	if (ci < 0)
		return -1;
	uint8_t buf[CIPHER_MAX];
	size_t blen = 0;
	int rc = -1;
	if (cipher_value(c, enc, buf, sizeof buf, &blen, err) != 0)
		goto out;
	xmlNode *vmac = child(item, "ValueMAC");
	if (!c->mac_method || !vmac) {
		snprintf(msg, sizeof msg, "%s is encrypted without %s: refusing an unauthenticated value", what,
			 c->mac_method ? "a ValueMAC" : "a MACMethod");
		pkg_fail(c, err, msg);
		goto out;
	}
	if (mac_key(c, err) != 0)
		goto out;
	char mtext[256];
	uint8_t want[EVP_MAX_MD_SIZE], got[EVP_MAX_MD_SIZE];
	size_t wantlen = 0;
	unsigned gotlen = 0;
	text_of(vmac, mtext, sizeof mtext);
	if (b64_decode(mtext, want, sizeof want, &wantlen) != 0) {
		snprintf(msg, sizeof msg, "%s: ValueMAC is not valid base64", what);
		pkg_fail(c, err, msg);
		goto out;
	}
	const EVP_MD *md = EVP_get_digestbyname(c->mac_digest);
	if (!md || !HMAC(md, c->mackey, (int)c->mackeylen, buf, blen, got, &gotlen)) {
		ERR_clear_error();
		pkg_fail(c, err, "HMAC computation failed");
		goto out;
	}
	bool ok = wantlen == gotlen && CRYPTO_memcmp(want, got, gotlen) == 0;
	OPENSSL_cleanse(got, sizeof got);
	if (!ok) {
		snprintf(msg, sizeof msg, "%s: the ValueMAC does not match: wrong %s, or the file was altered", what,
			 c->protection == OTP_PSKC_PBE ? "password" : "pre-shared key");
		pkg_fail(c, err, msg);
		goto out;
	}
	if (cbc_decrypt(c, ci, buf, blen, out, size, len, what, err) != 0)
		goto out;
	*present = true;
	rc = 0;
out:
	OPENSSL_cleanse(buf, sizeof buf);
	return rc;
}

/* An unsigned integer Data value: decimal text, or big-endian bytes when encrypted. */
static int data_uint(struct ctx *c, const xmlNode *item, uint64_t *v, bool *present, const char *what,
		     struct otp_err *err)
{
	uint8_t buf[32];
	size_t len = 0;
	char msg[160];
	bool plain = item && child(item, "PlainValue");
	if (data_value(c, item, false, buf, sizeof buf - 1, &len, present, what, err) != 0 || !*present)
		return *present ? -1 : 0;
	*v = 0;
	if (plain) {
		buf[len] = '\0';
		char *end = NULL;
		errno = 0;
		unsigned long long x = strtoull((const char *)buf, &end, 10);
		if (!len || errno || *end || buf[0] == '-') {
			snprintf(msg, sizeof msg, "%s is not an unsigned integer", what);
			return pkg_fail(c, err, msg);
		}
		*v = x;
	} else {
		if (len > 8) {
			snprintf(msg, sizeof msg, "%s is longer than 8 bytes", what);
			return pkg_fail(c, err, msg);
		}
		for (size_t i = 0; i < len; i++)
			*v = *v << 8 | buf[i];
	}
	return 0;
}

/* ---- container ---------------------------------------------------------------- */

static int read_encryption_key(struct ctx *c, const xmlNode *ek, struct otp_pskc *p, struct otp_err *err)
{
	char buf[160], msg[256];
	xmlNode *name = child(ek, "KeyName"), *dk = child(ek, "DerivedKey");
	if (dk) {
		c->protection = OTP_PSKC_PBE;
		text_of(child(dk, "MasterKeyName"), p->key_name, sizeof p->key_name);
		xmlNode *m = child(dk, "KeyDerivationMethod");
		attr_of(m, "Algorithm", buf, sizeof buf);
		size_t bl = strlen(buf), sl = strlen(PBKDF2_URI_SUFFIX);
		if (bl < sl || strcmp(buf + bl - sl, PBKDF2_URI_SUFFIX) != 0) {
			snprintf(msg, sizeof msg, "unsupported key derivation %.120s (PBKDF2 is supported)",
				 buf[0] ? buf : "(none)");
			return pkg_fail(c, err, msg);
		}
		xmlNode *params = child(m, "PBKDF2-params");
		xmlNode *salt = child(child(params, "Salt"), "Specified");
		if (!params || !salt)
			return pkg_fail(c, err, "PBKDF2 without parameters or a specified salt");
		text_of(salt, buf, sizeof buf);
		if (b64_decode(buf, c->salt, sizeof c->salt, &c->saltlen) != 0)
			return pkg_fail(c, err, "PBKDF2 salt is not valid base64 (or longer than 64 bytes)");
		text_of(child(params, "IterationCount"), buf, sizeof buf);
		char *end = NULL;
		c->iterations = strtol(buf, &end, 10);
		if (!buf[0] || *end || c->iterations < 1 || c->iterations > ITER_MAX)
			return pkg_fail(c, err, "PBKDF2 IterationCount missing or out of range");
		text_of(child(params, "KeyLength"), buf, sizeof buf);
		if (buf[0]) {
			long kl = strtol(buf, &end, 10);
			if (*end || (kl != 16 && kl != 24 && kl != 32))
				return pkg_fail(c, err, "PBKDF2 KeyLength must be 16, 24 or 32");
			c->want_keylen = (size_t)kl;
		}
		c->prf = "SHA1";
		attr_of(child(params, "PRF"), "Algorithm", buf, sizeof buf);
		if (buf[0]) {
			c->prf = NULL;
			for (size_t i = 0; i < sizeof hmacs / sizeof hmacs[0]; i++)
				if (strcmp(fragment(buf), hmacs[i].fragment) == 0)
					c->prf = hmacs[i].digest;
			if (!c->prf) {
				snprintf(msg, sizeof msg, "unsupported PBKDF2 PRF %.120s", buf);
				return pkg_fail(c, err, msg);
			}
		}
		return 0;
	}
	if (name) {
		c->protection = OTP_PSKC_PRESHARED;
		text_of(name, p->key_name, sizeof p->key_name);
		return 0;
	}
	return pkg_fail(c, err, "unsupported EncryptionKey (a pre-shared KeyName or a PBKDF2 DerivedKey is supported)");
}

static int read_mac_method(struct ctx *c, xmlNode *mm, struct otp_err *err)
{
	char alg[160], msg[256];
	attr_of(mm, "Algorithm", alg, sizeof alg);
	for (size_t i = 0; i < sizeof hmacs / sizeof hmacs[0]; i++)
		if (strcmp(fragment(alg), hmacs[i].fragment) == 0)
			c->mac_digest = hmacs[i].digest;
	if (!c->mac_digest) {
		snprintf(msg, sizeof msg, "unsupported MAC algorithm %.120s", alg[0] ? alg : "(none)");
		return pkg_fail(c, err, msg);
	}
	c->mac_method = mm;
	return 0;
}

static enum otp_algo suite_algo(const char *suite)
{
	char up[64];
	size_t k = 0;
	for (const char *s = suite; *s && k < sizeof up - 1; s++)
		if (*s != '-' && *s != '_')
			up[k++] = (char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s);
	up[k] = '\0';
	if (strstr(up, "SHA512"))
		return OTP_ALGO_SHA512;
	if (strstr(up, "SHA256"))
		return OTP_ALGO_SHA256;
	return OTP_ALGO_SHA1;
}

static int read_package(struct ctx *c, const xmlNode *pkg, struct otp_pskc_key *k, struct otp_err *err)
{
	char buf[160], msg[256];
	xmlNode *dev = child(pkg, "DeviceInfo");
	text_of(child(dev, "SerialNo"), k->serial, sizeof k->serial);
	text_of(child(dev, "Manufacturer"), k->manufacturer, sizeof k->manufacturer);
	otp_strlcpy(c->serial, k->serial, sizeof c->serial);
	xmlNode *key = child(pkg, "Key");
	if (!key)
		return pkg_fail(c, err, "no Key element");
	attr_of(key, "Id", k->id, sizeof k->id);
	attr_of(key, "Algorithm", k->algorithm, sizeof k->algorithm);
	k->kind = OTP_PSKC_OTHER;
	if (strncmp(k->algorithm, URN_PREFIX, strlen(URN_PREFIX)) == 0)
		for (int i = OTP_PSKC_HOTP; i < OTP_PSKC_OTHER; i++)
			if (strcmp(k->algorithm + strlen(URN_PREFIX), kind_names[i]) == 0)
				k->kind = (enum otp_pskc_kind)i;
	text_of(child(key, "Issuer"), k->issuer, sizeof k->issuer);
	xmlNode *ap = child(key, "AlgorithmParameters");
	text_of(child(ap, "Suite"), buf, sizeof buf);
	k->hash = suite_algo(buf);
	xmlNode *rf = child(ap, "ResponseFormat");
	k->decimal = true;
	if (rf) {
		attr_of(rf, "Length", buf, sizeof buf);
		char *end = NULL;
		long len = strtol(buf, &end, 10);
		if (!buf[0] || *end || len < 1 || len > 64)
			return pkg_fail(c, err, "ResponseFormat Length missing or out of range");
		k->digits = (unsigned)len;
		attr_of(rf, "Encoding", buf, sizeof buf);
		k->decimal = !buf[0] || strcmp(buf, "DECIMAL") == 0;
	}
	xmlNode *data = child(key, "Data");
	bool present = false;
	if (data_value(c, child(data, "Secret"), true, k->secret, sizeof k->secret, &k->secret_len, &present,
		       "the secret", err) != 0)
		return -1;
	uint64_t v = 0;
	if (data_uint(c, child(data, "Counter"), &v, &present, "the counter", err) != 0)
		return -1;
	k->has_counter = present;
	k->counter = present ? v : 0;
	if (data_uint(c, child(data, "TimeInterval"), &v, &present, "the time interval", err) != 0)
		return -1;
	if (present) {
		if (v < 1 || v > OTP_PERIOD_MAX) {
			snprintf(msg, sizeof msg, "time interval %llu is out of range", (unsigned long long)v);
			return pkg_fail(c, err, msg);
		}
		k->period = (unsigned)v;
	}
	return 0;
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

void otp_pskc_free(struct otp_pskc *p)
{
	if (!p)
		return;
	if (p->keys) {
		OPENSSL_cleanse(p->keys, p->nkeys * sizeof *p->keys);
		free(p->keys);
	}
	free(p);
}

int otp_pskc_parse(const char *xml, size_t len, const struct otp_pskc_auth *auth, struct otp_pskc **out,
		   struct otp_err *err)
{
	struct ctx c = { .auth = auth, .protection = OTP_PSKC_PLAIN };
	struct otp_pskc *p = NULL;
	xmlParserCtxtPtr pc = NULL;
	xmlDocPtr doc = NULL;
	int rc = -1;

	*out = NULL;
	if (!xml || len == 0)
		return otp_err_set(err, OTP_ERR_USAGE, "PSKC: empty document");
	if (len > (size_t)OTP_PSKC_MAX_BYTES)
		return otp_err_set(err, OTP_ERR_USAGE, "PSKC: document larger than %ld bytes", OTP_PSKC_MAX_BYTES);
	pthread_once(&xml_once, xml_init);
	pc = xmlNewParserCtxt();
	if (!pc)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	doc = xmlCtxtReadMemory(pc, xml, (int)len, "pskc.xml", NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (!doc) {
		const xmlError *e = xmlCtxtGetLastError(pc);
		char m[200] = "";
		if (e && e->message) {
			otp_strlcpy(m, e->message, sizeof m);
			m[strcspn(m, "\n")] = '\0';
		}
		otp_err_set(err, OTP_ERR_USAGE, "PSKC: not well-formed XML (line %d): %s", e ? e->line : 0, m);
		goto out;
	}
	if (doc->intSubset || doc->extSubset) {
		otp_err_set(err, OTP_ERR_USAGE, "PSKC: documents with a DOCTYPE are refused");
		goto out;
	}
	xmlNode *root = xmlDocGetRootElement(doc);
	if (!is_elem(root, "KeyContainer") || !root->ns ||
	    strcmp((const char *)root->ns->href, "urn:ietf:params:xml:ns:keyprov:pskc") != 0) {
		otp_err_set(err, OTP_ERR_USAGE, "PSKC: the root element is not a PSKC KeyContainer");
		otp_err_hint(err, "expected <KeyContainer xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\" Version=\"1.0\">");
		goto out;
	}
	char version[16];
	attr_of(root, "Version", version, sizeof version);
	if (strcmp(version, "1.0") != 0) {
		otp_err_set(err, OTP_ERR_USAGE, "PSKC: unsupported KeyContainer Version \"%s\" (1.0 is supported)", version);
		goto out;
	}
	p = calloc(1, sizeof *p);
	if (!p) {
		otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
		goto out;
	}
	size_t npkg = 0;
	for (xmlNode *n = root->children; n; n = n->next) {
		if (is_elem(n, "EncryptionKey")) {
			if (read_encryption_key(&c, n, p, err) != 0)
				goto out;
		} else if (is_elem(n, "MACMethod")) {
			if (read_mac_method(&c, n, err) != 0)
				goto out;
		} else if (is_elem(n, "KeyPackage")) {
			npkg++;
		}
	}
	p->protection = c.protection;
	if (npkg == 0) {
		otp_err_set(err, OTP_ERR_USAGE, "PSKC: the container holds no KeyPackage");
		goto out;
	}
	if (npkg > OTP_PSKC_MAX_KEYS) {
		otp_err_set(err, OTP_ERR_USAGE, "PSKC: more than %d KeyPackages", OTP_PSKC_MAX_KEYS);
		goto out;
	}
	p->keys = calloc(npkg, sizeof *p->keys);
	if (!p->keys) {
		otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (xmlNode *n = root->children; n; n = n->next) {
		if (!is_elem(n, "KeyPackage"))
			continue;
		c.pkg = p->nkeys + 1;
		c.serial[0] = '\0';
		if (read_package(&c, n, &p->keys[p->nkeys], err) != 0)
			goto out;
		p->nkeys++;
	}
	*out = p;
	p = NULL;
	rc = 0;
out:
	ctx_wipe(&c);
	otp_pskc_free(p);
	if (doc)
		xmlFreeDoc(doc);
	xmlFreeParserCtxt(pc);
	return rc;
}

/* Read a whole file ("-" = stdin) of at most max bytes into a malloc'd buffer. */
static int slurp(const char *path, long max, char **buf, size_t *len, struct otp_err *err)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return otp_err_set(err, OTP_ERR_IO, "cannot open %s: %s", path, strerror(errno));
	size_t cap = 65536, n = 0;
	char *b = malloc(cap);
	int rc = -1;
	if (!b) {
		otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (;;) {
		if (n == cap) {
			if ((long)cap >= max) {
				otp_err_set(err, OTP_ERR_USAGE, "%s is larger than %ld bytes", path, max);
				goto out;
			}
			char *nb = malloc(cap * 2);
			if (!nb) {
				otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
				goto out;
			}
			memcpy(nb, b, n);
			OPENSSL_cleanse(b, cap);
			free(b);
			b = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			otp_err_set(err, OTP_ERR_IO, "cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*buf = b;
	*len = n;
	b = NULL;
	cap = 0;
	rc = 0;
out:
	if (b) {
		OPENSSL_cleanse(b, cap);
		free(b);
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

int otp_pskc_load(const char *path, const struct otp_pskc_auth *auth, struct otp_pskc **out, struct otp_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	*out = NULL;
	if (!path || !*path)
		return otp_err_set(err, OTP_ERR_USAGE, "no PSKC file given");
	if (slurp(path, OTP_PSKC_MAX_BYTES, &buf, &len, err) != 0)
		return -1;
	int rc = otp_pskc_parse(buf, len, auth, out, err);
	if (rc != 0 && strncmp(err->message, "PSKC", 4) == 0) {
		char m[sizeof err->message];
		otp_strlcpy(m, err->message, sizeof m);
		snprintf(err->message, sizeof err->message, "%s: %s", path, m);
	}
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

static int hexdigit(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : ch - 'A' + 10;
}

int otp_pskc_key_load(const char *path, uint8_t *key, size_t size, size_t *keylen, struct otp_err *err)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0, total = 0;
	int rc = -1;
	if (!path || !*path)
		return otp_err_set(err, OTP_ERR_USAGE, "no key file given");
	if (stat(path, &st) != 0)
		return otp_err_set(err, OTP_ERR_IO, "cannot open key file %s: %s", path, strerror(errno));
	unsigned mode = (unsigned)st.st_mode & 07777;
	if (!S_ISREG(st.st_mode) || (mode != 0600 && mode != 0400)) {
		otp_err_set(err, OTP_ERR_REFUSED, "key file %s must be a regular file of mode 0600 or 0400 (it is %04o)",
			    path, mode);
		otp_err_hint(err, "chmod 600 %s", path);
		return -1;
	}
	if (slurp(path, 256, &buf, &total, err) != 0)
		return -1;
	n = total;
	/* Hex wins: 32 hex digits are a 16-byte key, not 32 raw bytes. */
	if (n && buf[n - 1] == '\n' && all_hex(buf, n - 1))
		n--;
	if (all_hex(buf, n) && n % 2 == 0 && (n / 2 == 16 || n / 2 == 24 || n / 2 == 32) && n / 2 <= size) {
		for (size_t i = 0; i < n / 2; i++)
			key[i] = (uint8_t)(hexdigit(buf[2 * i]) << 4 | hexdigit(buf[2 * i + 1]));
		*keylen = n / 2;
		rc = 0;
	} else if ((total == 16 || total == 24 || total == 32) && total <= size) {
		memcpy(key, buf, total);
		*keylen = total;
		rc = 0;
	} else {
		otp_err_set(err, OTP_ERR_USAGE, "key file %s must hold a 16, 24 or 32-byte AES key (raw or hex)", path);
	}
	OPENSSL_cleanse(buf, total);
	free(buf);
	return rc;
}
