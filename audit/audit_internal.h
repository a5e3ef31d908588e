/* audit_internal: what the audit/ files share and nothing outside audit/
 * may include: one reusable SHA-256 context, base64, and the pieces of the
 * encoding the verifier patches (the seq field). */
#ifndef OTPDESK_AUDIT_INTERNAL_H
#define OTPDESK_AUDIT_INTERNAL_H

#include <openssl/evp.h>

#include "audit/audit.h"

/* Offset and size of the seq value inside an encoding: after the format
 * tag's field (4 + 12 bytes) and the seq field's own length (4 bytes). */
#define AUDIT_SEQ_OFFSET (4 + (sizeof AUDIT_FORMAT_TAG - 1) + 4)

/* SHA-256 with the algorithm fetched once and one context reused. */
struct audit_sha {
	EVP_MD *md;
	EVP_MD_CTX *ctx;
};

int audit_sha_init(struct audit_sha *s, struct otp_err *err);
void audit_sha_done(struct audit_sha *s);
/* out = SHA-256(a || b); 0 or -1. */
int audit_sha2(struct audit_sha *s, const void *a, size_t alen, const void *b, size_t blen,
	       unsigned char out[AUDIT_HASH_LEN]);

/* Standard base64 with padding; out needs 4*ceil(n/3)+1 bytes. */
void audit_b64(const unsigned char *in, size_t n, char *out);
/* Decode exactly n bytes from standard padded base64 of length len; 0 or -1. */
int audit_unb64(const char *in, size_t len, unsigned char *out, size_t n);

/* Record damage found outside the row stream (file headers, segment
 * boundaries): the first damage wins; returns 1. */
int audit_verifier_damage(struct audit_verifier *v, enum audit_damage kind, int64_t seq, int64_t seq_to,
			  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* true once damage was recorded. */
bool audit_verifier_done(const struct audit_verifier *v);
/* true while rows after a failure are being collected. */
bool audit_verifier_diagnosing(const struct audit_verifier *v);
/* A second reference to key (the verifier keeps keys the caller may free). */
int audit_key_dup(const struct audit_key *key, struct audit_key **out, struct otp_err *err);
/* true before any row was accepted and no anchor was set. */
bool audit_verifier_fresh(const struct audit_verifier *v);

/* Write v as 8 big-endian bytes. */
void audit_put_be64(unsigned char *p, int64_t v);

#endif
