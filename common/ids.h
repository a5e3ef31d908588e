/* ids: syntax of the identifiers staff type, checked before any lookup. */
#ifndef OTPDESK_IDS_H
#define OTPDESK_IDS_H

#include <stddef.h>

#include "common/err.h"

#define OTP_CONTRACT_ID_LEN 10

/* A contract ID is exactly 10 ASCII digits. */
int otp_contract_id_check(const char *id, struct otp_err *err);

/* Fold hiragana to katakana and ASCII space/ideographic space away, writing a
 * NUL-terminated UTF-8 string to dst. Returns -1 (OTP_ERR_USAGE) when src is
 * not valid UTF-8 or does not fit. */
int otp_kana_fold(const char *src, char *dst, size_t size, struct otp_err *err);

#endif
