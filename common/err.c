/* err: constructors for struct otp_err. No I/O here: showing an error is the
 * job of each face (cli/cli_error, tui/tui_error). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

static const char *const kind_text[] = {
#define X(id, text) [OTP_ERR_##id] = text,
	OTP_ERR_KINDS(X)
#undef X
};

const char *otp_err_kind_text(enum otp_err_kind kind)
{
	if ((size_t)kind < sizeof kind_text / sizeof kind_text[0])
		return kind_text[kind];
	return "unknown error";
}

void otp_err_clear(struct otp_err *err)
{
	if (!err)
		return;
	memset(err, 0, sizeof *err);
	err->kind = OTP_ERR_OK;
}

int otp_err_set(struct otp_err *err, enum otp_err_kind kind, const char *fmt, ...)
{
	if (!err)
		return -1;
	otp_err_clear(err);
	err->kind = kind;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return -1;
}

void otp_err_hint(struct otp_err *err, const char *fmt, ...)
{
	if (!err)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof err->hint, fmt, ap);
	va_end(ap);
}

size_t otp_strlcpy(char *dst, const char *src, size_t dst_size)
{
	size_t n = strlen(src);
	if (dst_size) {
		size_t c = n < dst_size - 1 ? n : dst_size - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}
