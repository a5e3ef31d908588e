/* otp: the pure one-time-password and seed-protection core of otpdesk.
 * HOTP (RFC 4226) and TOTP (RFC 6238) over HMAC-SHA1/256/512, base32
 * (RFC 4648), AES-256-GCM sealing of token seeds, key files, credential IDs
 * and otpauth:// URIs. Everything cryptographic goes through OpenSSL 3.
 * This layer never touches the database or the terminal, never reads the
 * clock (time is always a parameter) and never puts secret bytes into an
 * error message. Every function that holds key material wipes it with
 * OPENSSL_cleanse before returning, on every path. */
#ifndef OTPDESK_OTP_H
#define OTPDESK_OTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* ---- algorithms -------------------------------------------------------- */

/* X(id, name, digest length in bytes) */
#define OTP_ALGOS(X)                \
	X(SHA1,   "SHA1",   20)     \
	X(SHA256, "SHA256", 32)     \
	X(SHA512, "SHA512", 64)

enum otp_algo {
#define X(id, name, len) OTP_ALGO_##id,
	OTP_ALGOS(X)
#undef X
	OTP_ALGO_COUNT
};

#define OTP_DIGITS_MIN 6
#define OTP_DIGITS_MAX 8
#define OTP_CODE_SIZE (OTP_DIGITS_MAX + 1)	/* a code buffer with its NUL */
#define OTP_PERIOD_DEFAULT 30
#define OTP_PERIOD_MAX 86400		/* one step per day at most */
#define OTP_SECRET_MAX 128		/* bytes of HMAC key (RFC 4226 wants >= 16) */
#define OTP_WINDOW_MAX 10		/* steps either side of the expected one */
#define OTP_DRIFT_MAX 100000		/* steps (about 35 days at 30 s) */

/* Fetch the HMAC and AES-256-GCM implementations once per process. Every
 * function below calls it lazily (pthread_once), so calling it is optional;
 * doing so early turns a broken OpenSSL install into one clear error. */
int otp_init(struct otp_err *err);

/* "SHA1", "SHA256", "SHA512"; "?" for an unknown value. */
const char *otp_algo_name(enum otp_algo algo);
/* Parse "sha1", "SHA-256", ... (case-insensitive, optional hyphen). */
int otp_algo_parse(const char *s, enum otp_algo *out, struct otp_err *err);
/* Parse a decimal digit count in 6..8. */
int otp_parse_digits(const char *s, unsigned *out, struct otp_err *err);
/* Parse a TOTP period in seconds, 1..OTP_PERIOD_MAX ("30" or "30s"). */
int otp_parse_period(const char *s, unsigned *out, struct otp_err *err);
/* Parse a Unix time: decimal, >= 0, no sign, no trailing junk. */
int otp_parse_time(const char *s, int64_t *out, struct otp_err *err);

/* ---- HOTP / TOTP ------------------------------------------------------- */

/* A keyed HMAC: set up once per key (one key schedule), then any number of
 * codes for different counters cost one HMAC each. Not thread-safe; use one
 * per thread. The key bytes are not kept; otp_hmac_free wipes the state. */
struct otp_hmac;

/* Key a new HMAC context. keylen must be 1..OTP_SECRET_MAX. */
struct otp_hmac *otp_hmac_new(enum otp_algo algo, const uint8_t *key, size_t keylen, struct otp_err *err);
/* Wipe and free (NULL is fine). */
void otp_hmac_free(struct otp_hmac *h);
/* Key h again with another secret of its algorithm: one key set-up, no new
 * context. A verifier keeps one otp_hmac per algorithm and thread and calls
 * rekey, the check, then otp_hmac_wipe, instead of new/free per check. */
int otp_hmac_rekey(struct otp_hmac *h, const uint8_t *key, size_t keylen, struct otp_err *err);
/* Replace the key-derived state (the hashed pads) with that of an all-zero
 * key, so nothing of the last secret stays in the context between uses. */
void otp_hmac_wipe(struct otp_hmac *h);
/* The HOTP code for counter as a NUL-terminated string of digits chars. */
int otp_hmac_hotp(struct otp_hmac *h, uint64_t counter, unsigned digits, char code[OTP_CODE_SIZE],
		  struct otp_err *err);

/* One-shot HOTP (RFC 4226). */
int otp_hotp(enum otp_algo algo, const uint8_t *key, size_t keylen, uint64_t counter, unsigned digits,
	     char code[OTP_CODE_SIZE], struct otp_err *err);
/* The TOTP time step of now (T0 = 0): floor(now / period). now >= 0. */
int otp_totp_step(int64_t now, unsigned period, int64_t *step, struct otp_err *err);
/* One-shot TOTP (RFC 6238) for Unix time now. */
int otp_totp(enum otp_algo algo, const uint8_t *key, size_t keylen, unsigned period, int64_t now,
	     unsigned digits, char code[OTP_CODE_SIZE], struct otp_err *err);

/* Check a code syntactically: exactly digits ASCII digits. */
int otp_code_check(const char *code, unsigned digits, struct otp_err *err);

/* How a TOTP code is checked. The expected step is step(now) + drift; every
 * step in [expected - window, expected + window] (and >= 0) is computed. */
struct otp_verify_params {
	unsigned digits;	/* 6..8 */
	unsigned period;	/* seconds, 1..OTP_PERIOD_MAX */
	unsigned window;	/* 0..OTP_WINDOW_MAX steps either side */
	int64_t drift;		/* steps, |drift| <= OTP_DRIFT_MAX */
	int64_t last_step;	/* last accepted step; -1 when none */
};

enum otp_verdict {
	OTP_NOMATCH = 0,	/* no step of the window gives this code */
	OTP_MATCH = 1,		/* *step is set; it is > last_step */
	OTP_REPLAY = 2,		/* the code only matches steps <= last_step */
};

/* Verify code against a keyed HMAC: returns an enum otp_verdict, or -1 with
 * err set (malformed code or parameters, refused before any HMAC). Codes are
 * compared in constant time and every step of the window is evaluated, match
 * or not. When several fresh steps match (a 10^-digits coincidence), the one
 * nearest the expected step wins, the later one on a tie. */
int otp_hmac_totp_verify(struct otp_hmac *h, const struct otp_verify_params *p, int64_t now, const char *code,
			 int64_t *step, struct otp_err *err);
/* The same with key set-up and wipe: one key schedule + 2W+1 HMACs. */
int otp_totp_verify(enum otp_algo algo, const uint8_t *key, size_t keylen, const struct otp_verify_params *p,
		    int64_t now, const char *code, int64_t *step, struct otp_err *err);

/* ---- base32 (RFC 4648 section 6) -------------------------------------- */

/* Length of the encoding of n bytes, without the NUL. */
size_t otp_base32_encoded_len(size_t n, bool pad);
/* Upper-case encoding, with '=' padding when pad. outsize must hold the
 * encoding and its NUL. Returns the length written or -1. */
int otp_base32_encode(const uint8_t *in, size_t n, bool pad, char *out, size_t outsize, struct otp_err *err);
/* Decode: case-insensitive, spaces and hyphens ignored anywhere, '=' padding
 * optional but, when present, complete and only at the end. Non-zero unused
 * trailing bits are tolerated (as oathtool does). A bad character is named
 * with its 1-based position. out is wiped on failure. */
int otp_base32_decode(const char *in, uint8_t *out, size_t outsize, size_t *outlen, struct otp_err *err);

/* Read a base32 secret from a file ("-" = standard input), trailing
 * whitespace ignored, and decode it into 1..outsize bytes. */
int otp_secret_load(const char *path, uint8_t *out, size_t outsize, size_t *outlen, struct otp_err *err);

/* ---- sealing token seeds: AES-256-GCM --------------------------------- */

/* Blob format, version 1 (all lengths in bytes):
 *   [0]          version = 0x01
 *   [1..12]      nonce, 12 random bytes (RAND_bytes), new for every seal
 *   [13..13+n)   ciphertext, n = length of the seed
 *   [13+n..+16)  GCM tag, 16 bytes
 * The additional authenticated data is the credential ID string (without
 * its NUL), so a blob moved to another credential fails to open. */
#define OTP_SEAL_VERSION 1
#define OTP_SEAL_KEY_LEN 32
#define OTP_SEAL_NONCE_LEN 12
#define OTP_SEAL_TAG_LEN 16
#define OTP_SEAL_OVERHEAD (1 + OTP_SEAL_NONCE_LEN + OTP_SEAL_TAG_LEN)

/* A keyed sealer: one AES key schedule reused for many seals and unseals.
 * Not thread-safe; one per thread. otp_sealer_free wipes it. */
struct otp_sealer;

struct otp_sealer *otp_sealer_new(const uint8_t key[OTP_SEAL_KEY_LEN], struct otp_err *err);
void otp_sealer_free(struct otp_sealer *s);
/* Seal seedlen (1..OTP_SECRET_MAX) bytes; blobsize >= seedlen + OTP_SEAL_OVERHEAD. */
int otp_sealer_seal(struct otp_sealer *s, const char *credential_id, const uint8_t *seed, size_t seedlen,
		    uint8_t *blob, size_t blobsize, size_t *bloblen, struct otp_err *err);
/* Open a blob; any wrong key, AAD, bit or length is OTP_ERR_CRYPTO and seed
 * is wiped. seedsize >= bloblen - OTP_SEAL_OVERHEAD. */
int otp_sealer_unseal(struct otp_sealer *s, const char *credential_id, const uint8_t *blob, size_t bloblen,
		      uint8_t *seed, size_t seedsize, size_t *seedlen, struct otp_err *err);
/* One-shot forms of the two above. */
int otp_seal(const uint8_t key[OTP_SEAL_KEY_LEN], const char *credential_id, const uint8_t *seed, size_t seedlen,
	     uint8_t *blob, size_t blobsize, size_t *bloblen, struct otp_err *err);
int otp_unseal(const uint8_t key[OTP_SEAL_KEY_LEN], const char *credential_id, const uint8_t *blob, size_t bloblen,
	       uint8_t *seed, size_t seedsize, size_t *seedlen, struct otp_err *err);

/* Load a 32-byte key file: exactly 32 raw bytes, or 64 hex digits with an
 * optional final newline. The file must be a regular file of mode 0600 or
 * 0400; anything readable or writable by group/other is refused. */
int otp_key_load(const char *path, uint8_t key[OTP_SEAL_KEY_LEN], struct otp_err *err);
/* Create a new key file (O_CREAT|O_EXCL, mode 0600, 64 hex digits and a
 * newline) from RAND_bytes. key may be NULL; otherwise it receives the key. */
int otp_key_generate(const char *path, uint8_t key[OTP_SEAL_KEY_LEN], struct otp_err *err);

/* ---- credential IDs ---------------------------------------------------- */

/* "OTPD12345678": 4 upper-case letters, 7 digits of serial, 1 check digit
 * (Luhn over the digit expansion of the first 11 characters, A=10 .. Z=35,
 * as in ISIN). */
#define OTP_CREDENTIAL_LEN 12
#define OTP_CREDENTIAL_SERIAL_MAX 9999999u

/* True when id is well-formed with a matching check digit; otherwise false
 * with err saying what is wrong (and a hint for lower-case letters). */
bool otp_credential_valid(const char *id, struct otp_err *err);
/* Make the ID for prefix (4 upper-case letters) and serial 0..9999999. */
int otp_credential_make(const char *prefix, uint32_t serial, char out[OTP_CREDENTIAL_LEN + 1],
			struct otp_err *err);

/* ---- otpauth:// URIs (Google Authenticator Key Uri Format) ------------ */

struct otp_uri {
	const char *issuer;	/* UTF-8, no ':'; may be NULL or "" */
	const char *account;	/* UTF-8, no ':'; required */
	const uint8_t *secret;
	size_t secret_len;	/* 1..OTP_SECRET_MAX */
	enum otp_algo algo;
	unsigned digits;
	unsigned period;
};

/* otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1
 * &digits=6&period=30 with issuer and account percent-encoded (RFC 3986
 * unreserved characters kept, every other UTF-8 byte as %XX) and the secret
 * unpadded. The result holds the secret: wipe it after use. Returns the
 * length written or -1. */
int otp_uri_build(const struct otp_uri *u, char *out, size_t outsize, struct otp_err *err);

/* ---- PSKC key containers (RFC 6030), otp_pskc.c ----------------------- */

/* What a Key's Algorithm URN names (urn:ietf:params:xml:ns:keyprov:pskc:NAME). */
#define OTP_PSKC_KINDS(X)           \
	X(HOTP,  "hotp")            \
	X(TOTP,  "totp")            \
	X(PIN,   "pin")             \
	X(OTHER, "other")

enum otp_pskc_kind {
#define X(id, name) OTP_PSKC_##id,
	OTP_PSKC_KINDS(X)
#undef X
};

/* How the container protects its secrets. */
#define OTP_PSKC_PROTECTIONS(X)             \
	X(PLAIN,     "plain")               \
	X(PRESHARED, "pre-shared key")      \
	X(PBE,       "password (PBKDF2)")

enum otp_pskc_protection {
#define X(id, name) OTP_PSKC_##id,
	OTP_PSKC_PROTECTIONS(X)
#undef X
};

#define OTP_PSKC_FIELD 64
#define OTP_PSKC_MAX_KEYS 100000
#define OTP_PSKC_MAX_BYTES (64L * 1024 * 1024)

struct otp_pskc_key {
	char id[OTP_PSKC_FIELD];		/* Key/@Id */
	char serial[OTP_PSKC_FIELD];		/* DeviceInfo/SerialNo, "" when absent */
	char manufacturer[OTP_PSKC_FIELD];
	char issuer[OTP_PSKC_FIELD];
	char algorithm[128];			/* Key/@Algorithm as written */
	enum otp_pskc_kind kind;
	enum otp_algo hash;			/* from AlgorithmParameters/Suite; SHA1 when absent */
	unsigned digits;			/* ResponseFormat/@Length, 0 when absent */
	bool decimal;				/* ResponseFormat/@Encoding DECIMAL (or absent) */
	unsigned period;			/* Data/TimeInterval, 0 when absent */
	bool has_counter;
	uint64_t counter;			/* Data/Counter */
	size_t secret_len;			/* 0: the Key has no secret */
	uint8_t secret[OTP_SECRET_MAX];		/* wiped by otp_pskc_free */
};

struct otp_pskc {
	struct otp_pskc_key *keys;		/* one per KeyPackage/Key, in file order */
	size_t nkeys;
	enum otp_pskc_protection protection;
	char key_name[OTP_PSKC_FIELD];		/* ds:KeyName or xenc11:MasterKeyName, "" if none */
};

/* What opens an encrypted container: a password for PBE containers, or the
 * pre-shared AES key (16, 24 or 32 bytes) for pre-shared-key ones. */
struct otp_pskc_auth {
	const char *password;
	const uint8_t *key;
	size_t keylen;
};

/* Parse a PSKC document (no network, no external entities) and decrypt
 * every secret: AES-128/192/256-CBC (xmlenc) under the pre-shared key or a
 * PBKDF2-derived one, with the container's HMAC-SHA1/SHA256 ValueMAC checked
 * in constant time before decryption. A wrong password or key, a bad MAC, an
 * unsupported algorithm or a malformed document is an error naming the
 * KeyPackage (1-based) and its serial; nothing is returned then. The secrets
 * are never in an error message. auth may be NULL for plain containers. */
int otp_pskc_parse(const char *xml, size_t len, const struct otp_pskc_auth *auth, struct otp_pskc **out,
		   struct otp_err *err);
/* The same for a file ("-" = standard input), at most OTP_PSKC_MAX_BYTES. */
int otp_pskc_load(const char *path, const struct otp_pskc_auth *auth, struct otp_pskc **out, struct otp_err *err);
/* Wipe every secret and free (NULL is fine). */
void otp_pskc_free(struct otp_pskc *p);
/* Load a pre-shared PSKC key file: 16, 24 or 32 raw bytes, or as many bytes
 * in hex (one optional final newline); mode 0600 or 0400 as for key files. */
int otp_pskc_key_load(const char *path, uint8_t *key, size_t size, size_t *keylen, struct otp_err *err);
const char *otp_pskc_kind_name(enum otp_pskc_kind kind);
const char *otp_pskc_protection_name(enum otp_pskc_protection p);

#endif
