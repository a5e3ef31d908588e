/* otp_base32: RFC 4648 base32 as people type it: any case, spaces and
 * hyphens anywhere, '=' padding optional. Errors name the offending
 * character and its position but never echo the rest of the input (it is a
 * secret). Partial output is wiped when decoding fails. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "otp/otp_internal.h"

static const char alphabet[32] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t otp_base32_encoded_len(size_t n, bool pad)
{
	if (pad)
		return (n + 4) / 5 * 8;
	return (n * 8 + 4) / 5;
}

int otp_base32_encode(const uint8_t *in, size_t n, bool pad, char *out, size_t outsize, struct otp_err *err)
{
	size_t need = otp_base32_encoded_len(n, pad);
	if (!out || outsize < need + 1 || need > INT32_MAX)
		return otp_err_set(err, OTP_ERR_USAGE, "base32 output buffer too small (%zu bytes needed)", need + 1);
	size_t o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = alphabet[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (5 - bits)) & 31];
	while (o < need)
		out[o++] = '=';
	out[o] = '\0';
	OPENSSL_cleanse(&acc, sizeof acc);
	return (int)o;
}

/* Value of c in the alphabet (either case), or -1. */
static int b32_value(unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		c = (unsigned char)(c - 'a' + 'A');
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

static void describe_char(unsigned char c, char *buf, size_t size)
{
	if (c >= 0x21 && c < 0x7f)
		snprintf(buf, size, "'%c'", c);
	else
		snprintf(buf, size, "byte 0x%02x", c);
}

int otp_base32_decode(const char *in, uint8_t *out, size_t outsize, size_t *outlen, struct otp_err *err)
{
	size_t ndata = 0, npad = 0, o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	int rc = -1;

	if (!in) {
		otp_err_set(err, OTP_ERR_USAGE, "no base32 input");
		goto out;
	}
	for (size_t i = 0; in[i]; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == ' ' || c == '-')
			continue;
		if (c == '=') {
			npad++;
			continue;
		}
		int v = b32_value(c);
		if (v < 0 || npad > 0) {
			char what[16];
			describe_char(c, what, sizeof what);
			if (v < 0)
				otp_err_set(err, OTP_ERR_USAGE, "invalid base32 character %s at position %zu", what, i + 1);
			else
				otp_err_set(err, OTP_ERR_USAGE,
					    "invalid base32: %s at position %zu follows '=' padding", what, i + 1);
			if (c == '0' || c == '1' || c == '8' || c == '9')
				otp_err_hint(err, "base32 uses the letters A-Z and the digits 2-7 (0 is O, 1 is I or L)");
			goto out;
		}
		ndata++;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outsize) {
				otp_err_set(err, OTP_ERR_USAGE, "base32 input decodes to more than %zu bytes", outsize);
				goto out;
			}
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* 8 characters carry 5 bytes; a final group of 1, 3 or 6 characters
	 * cannot end on a byte boundary. */
	static const int pad_for[8] = { 0, -1, 6, -1, 4, 3, -1, 1 };
	if (pad_for[ndata % 8] < 0) {
		otp_err_set(err, OTP_ERR_USAGE,
			    "invalid base32 length: %zu characters (a final group of 1, 3 or 6 characters is impossible)",
			    ndata);
		goto out;
	}
	if (npad > 0 && npad != (size_t)pad_for[ndata % 8]) {
		otp_err_set(err, OTP_ERR_USAGE, "invalid base32 padding: %zu '=' after %zu characters (expected %d)", npad,
			    ndata, pad_for[ndata % 8]);
		goto out;
	}
	*outlen = o;
	rc = 0;
out:
	if (rc != 0 && out)
		OPENSSL_cleanse(out, o);
	OPENSSL_cleanse(&acc, sizeof acc);
	return rc;
}

#define SECRET_FILE_MAX 1024	/* characters of base32 text accepted */

int otp_secret_load(const char *path, uint8_t *out, size_t outsize, size_t *outlen, struct otp_err *err)
{
	char buf[SECRET_FILE_MAX + 2];
	size_t n = 0;
	int fd = -1, rc = -1;
	bool is_stdin = path && strcmp(path, "-") == 0;
	const char *name = is_stdin ? "standard input" : path;

	if (!path || !*path) {
		otp_err_set(err, OTP_ERR_USAGE, "no secret file given");
		goto out;
	}
	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		otp_err_set(err, OTP_ERR_IO, "cannot open secret file %s: %s", path, strerror(errno));
		goto out;
	}
	while (n < sizeof buf - 1) {
		ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			otp_err_set(err, OTP_ERR_IO, "cannot read secret from %s: %s", name, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > SECRET_FILE_MAX) {
		otp_err_set(err, OTP_ERR_USAGE, "secret in %s is longer than %d characters", name, SECRET_FILE_MAX);
		goto out;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	if (memchr(buf, '\0', n)) {
		otp_err_set(err, OTP_ERR_USAGE, "secret in %s contains a NUL byte", name);
		goto out;
	}
	if (otp_base32_decode(buf, out, outsize, outlen, err) != 0)
		goto out;
	if (*outlen == 0) {
		otp_err_set(err, OTP_ERR_USAGE, "secret in %s is empty", name);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0 && !is_stdin)
		close(fd);
	OPENSSL_cleanse(buf, sizeof buf);
	return rc;
}
