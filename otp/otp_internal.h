/* otp_internal: what the files of otp/ share and nobody else may see: the
 * process-wide OpenSSL objects fetched once by otp_init. */
#ifndef OTPDESK_OTP_INTERNAL_H
#define OTPDESK_OTP_INTERNAL_H

#include <openssl/evp.h>

#include "otp/otp.h"

/* An unkeyed HMAC context with the digest of algo already set; only ever
 * duplicated (EVP_MAC_CTX_dup reads it), never used directly. NULL with err
 * set when OpenSSL could not provide it. */
const EVP_MAC_CTX *otp_hmac_template(enum otp_algo algo, struct otp_err *err);
/* The fetched AES-256-GCM cipher, or NULL with err set. */
EVP_CIPHER *otp_gcm_cipher(struct otp_err *err);
/* Digest length of algo in bytes. */
size_t otp_algo_len(enum otp_algo algo);

#endif
