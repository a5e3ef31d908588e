/* err: the one error type of otpdesk. Every layer reports failure by filling
 * a struct otp_err; every face (CLI, TUI) shows it through one function.
 * Database errors carry the server's SQLSTATE, message, detail and hint as-is;
 * refusals by the SQL API carry our own OD-class SQLSTATE. */
#ifndef OTPDESK_ERR_H
#define OTPDESK_ERR_H

#include <stddef.h>

#define OTP_ERR_KINDS(X)                                              \
	X(OK,        "ok")                                            \
	X(USAGE,     "invalid input")                                 \
	X(CONNECT,   "cannot connect to the database")                \
	X(CONNLOST,  "database connection lost")                      \
	X(DB,        "database error")                                \
	X(REFUSED,   "refused")                                       \
	X(NOTFOUND,  "not found")                                     \
	X(RETRY,     "transaction conflict, try again")               \
	X(IO,        "input/output error")                            \
	X(CRYPTO,    "cryptographic failure")                         \
	X(INTERNAL,  "internal error")

enum otp_err_kind {
#define X(id, text) OTP_ERR_##id,
	OTP_ERR_KINDS(X)
#undef X
};

struct otp_err {
	enum otp_err_kind kind;
	char sqlstate[6];	/* "" when the error did not come from the server */
	char message[512];
	char detail[512];
	char hint[256];
};

/* Name of an error kind ("refused", "database error", ...). */
const char *otp_err_kind_text(enum otp_err_kind kind);
/* Reset to OTP_ERR_OK with empty strings. */
void otp_err_clear(struct otp_err *err);
/* Set kind and a printf-style message; detail, hint and SQLSTATE are cleared.
 * Always returns -1 so callers can `return otp_err_set(...)`. */
int otp_err_set(struct otp_err *err, enum otp_err_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Set the hint of an error already filled in. */
void otp_err_hint(struct otp_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Bounded copy that always terminates dst (dst_size > 0); returns strlen(src). */
size_t otp_strlcpy(char *dst, const char *src, size_t dst_size);

#endif
