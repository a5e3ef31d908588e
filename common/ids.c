/* ids: identifier syntax and kana folding. Pure functions, no I/O. */
#include <string.h>

#include "common/ids.h"

int otp_contract_id_check(const char *id, struct otp_err *err)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0)
		return otp_err_set(err, OTP_ERR_USAGE, "contract ID is empty");
	for (size_t i = 0; i < n; i++)
		if (id[i] < '0' || id[i] > '9') {
			otp_err_set(err, OTP_ERR_USAGE, "contract ID must be %d digits (found '%c' at position %zu)",
				    OTP_CONTRACT_ID_LEN, id[i], i + 1);
			return -1;
		}
	if (n != OTP_CONTRACT_ID_LEN)
		return otp_err_set(err, OTP_ERR_USAGE, "contract ID must be %d digits, not %zu", OTP_CONTRACT_ID_LEN, n);
	return 0;
}

/* Length of the UTF-8 sequence starting with byte c, 0 if invalid lead byte. */
static size_t utf8_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return 2;
	if (c >= 0xE0 && c <= 0xEF)
		return 3;
	if (c >= 0xF0 && c <= 0xF4)
		return 4;
	return 0;
}

int otp_kana_fold(const char *src, char *dst, size_t size, struct otp_err *err)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0;

	while (*s) {
		size_t len = utf8_len(*s);
		if (len == 0)
			return otp_err_set(err, OTP_ERR_USAGE, "name is not valid UTF-8");
		for (size_t i = 1; i < len; i++)
			if ((s[i] & 0xC0) != 0x80)
				return otp_err_set(err, OTP_ERR_USAGE, "name is not valid UTF-8");
		unsigned cp = len == 1 ? s[0]
			    : len == 2 ? ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu)
			    : len == 3 ? ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu)
				       : ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) |
						 (s[3] & 0x3Fu);
		s += len;
		if (cp == ' ' || cp == 0x3000)	/* spaces: names are stored without them */
			continue;
		if (cp >= 0x3041 && cp <= 0x3096)	/* hiragana -> katakana */
			cp += 0x60;
		if (o + 4 >= size)
			return otp_err_set(err, OTP_ERR_USAGE, "name is too long");
		if (cp < 0x80) {
			dst[o++] = (char)cp;
		} else if (cp < 0x800) {
			dst[o++] = (char)(0xC0 | (cp >> 6));
			dst[o++] = (char)(0x80 | (cp & 0x3F));
		} else if (cp < 0x10000) {
			dst[o++] = (char)(0xE0 | (cp >> 12));
			dst[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
			dst[o++] = (char)(0x80 | (cp & 0x3F));
		} else {
			dst[o++] = (char)(0xF0 | (cp >> 18));
			dst[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
			dst[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
			dst[o++] = (char)(0x80 | (cp & 0x3F));
		}
	}
	if (size)
		dst[o] = '\0';
	return 0;
}
