/* otp_uri: otpauth:// URIs in the Key Uri Format of Google Authenticator,
 * the payload of the enrolment QR code. Issuer and account are validated as
 * UTF-8 and percent-encoded byte by byte. The URI carries the secret, so the
 * temporary base32 text is wiped and the caller must wipe the result. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "otp/otp.h"

struct sbuf {
	char *p;
	size_t size, len;
	bool overflow;
};

static void put(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n >= b->size) {
		b->overflow = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct sbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
	       c == '_' || c == '~';
}

static void put_encoded(struct sbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (unreserved(*p)) {
			put(b, (const char *)p, 1);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			put(b, e, 3);
		}
	}
}

/* 0 when s is valid UTF-8 (no overlongs, surrogates or code points above
 * U+10FFFF) without control characters. */
static int check_text(const char *what, const char *s, struct otp_err *err)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned char c = *p;
		size_t len;
		unsigned cp;
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return otp_err_set(err, OTP_ERR_USAGE, "%s contains a control character", what);
			if (c == ':')
				return otp_err_set(err, OTP_ERR_USAGE, "%s must not contain ':'", what);
			p++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			len = 2, cp = c & 0x1Fu;
		} else if (c >= 0xE0 && c <= 0xEF) {
			len = 3, cp = c & 0x0Fu;
		} else if (c >= 0xF0 && c <= 0xF4) {
			len = 4, cp = c & 0x07u;
		} else {
			return otp_err_set(err, OTP_ERR_USAGE, "%s is not valid UTF-8", what);
		}
		for (size_t i = 1; i < len; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return otp_err_set(err, OTP_ERR_USAGE, "%s is not valid UTF-8", what);
			cp = (cp << 6) | (p[i] & 0x3Fu);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return otp_err_set(err, OTP_ERR_USAGE, "%s is not valid UTF-8", what);
		p += len;
	}
	return 0;
}

int otp_uri_build(const struct otp_uri *u, char *out, size_t outsize, struct otp_err *err)
{
	char b32[(OTP_SECRET_MAX * 8 + 4) / 5 + 1];
	char num[80];	/* "&algorithm=SHA512&digits=8&period=86400" and room */
	struct sbuf b = { .p = out, .size = outsize };
	int rc = -1;

	if (!u || !out || outsize == 0)
		return otp_err_set(err, OTP_ERR_USAGE, "no URI parameters or buffer");
	out[0] = '\0';
	bool has_issuer = u->issuer && *u->issuer;
	if (!u->account || !*u->account)
		return otp_err_set(err, OTP_ERR_USAGE, "an otpauth URI needs an account name");
	if ((has_issuer && check_text("issuer", u->issuer, err) != 0) || check_text("account name", u->account, err) != 0)
		return -1;
	if ((unsigned)u->algo >= OTP_ALGO_COUNT)
		return otp_err_set(err, OTP_ERR_USAGE, "unknown algorithm %d", (int)u->algo);
	if (u->digits < OTP_DIGITS_MIN || u->digits > OTP_DIGITS_MAX)
		return otp_err_set(err, OTP_ERR_USAGE, "digits must be %d, %d or %d (got %u)", OTP_DIGITS_MIN,
				   OTP_DIGITS_MIN + 1, OTP_DIGITS_MAX, u->digits);
	if (u->period < 1 || u->period > OTP_PERIOD_MAX)
		return otp_err_set(err, OTP_ERR_USAGE, "period must be from 1 to %d seconds (got %u)", OTP_PERIOD_MAX,
				   u->period);
	if (!u->secret || u->secret_len < 1 || u->secret_len > OTP_SECRET_MAX)
		return otp_err_set(err, OTP_ERR_USAGE, "secret must be 1 to %d bytes long", OTP_SECRET_MAX);
	if (otp_base32_encode(u->secret, u->secret_len, false, b32, sizeof b32, err) < 0)
		goto out;

	puts_(&b, "otpauth://totp/");
	if (has_issuer) {
		put_encoded(&b, u->issuer);
		puts_(&b, ":");
	}
	put_encoded(&b, u->account);
	puts_(&b, "?secret=");
	puts_(&b, b32);
	if (has_issuer) {
		puts_(&b, "&issuer=");
		put_encoded(&b, u->issuer);
	}
	snprintf(num, sizeof num, "&algorithm=%s&digits=%u&period=%u", otp_algo_name(u->algo), u->digits, u->period);
	puts_(&b, num);
	if (b.overflow) {
		OPENSSL_cleanse(out, outsize);
		otp_err_set(err, OTP_ERR_USAGE, "otpauth URI does not fit in %zu bytes", outsize);
		goto out;
	}
	rc = (int)b.len;
out:
	OPENSSL_cleanse(b32, sizeof b32);
	return rc;
}
