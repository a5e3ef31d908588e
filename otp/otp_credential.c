/* otp_credential: the IDs printed on tokens, "OTPD12345678": 4 upper-case
 * letters, a 7-digit serial and a check digit, so a mistyped ID is caught
 * before any lookup. The check digit is the ISIN one: letters become two
 * digits (A=10 .. Z=35) and Luhn runs over the resulting digit string.
 * Pure functions, no I/O. */
#include <stdio.h>
#include <string.h>

#include "otp/otp.h"

#define PREFIX_LEN 4

/* Luhn check digit for the digit expansion of the 11 characters of s. */
static int check_digit(const char *s)
{
	int digits[2 * (OTP_CREDENTIAL_LEN - 1)];
	int n = 0, sum = 0;

	for (int i = 0; i < OTP_CREDENTIAL_LEN - 1; i++) {
		if (s[i] >= 'A' && s[i] <= 'Z') {
			int v = s[i] - 'A' + 10;
			digits[n++] = v / 10;
			digits[n++] = v % 10;
		} else {
			digits[n++] = s[i] - '0';
		}
	}
	/* Double every second digit from the right, starting with the last
	 * one (the check digit will be appended to its right). */
	for (int i = n - 1, dbl = 1; i >= 0; i--, dbl ^= 1) {
		int d = digits[i] * (dbl ? 2 : 1);
		sum += d > 9 ? d - 9 : d;
	}
	return (10 - sum % 10) % 10;
}

static int is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static int is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool otp_credential_valid(const char *id, struct otp_err *err)
{
	static const char shape[] = "credential ID must be 4 letters and 8 digits, like OTPD12345678";
	size_t n = id ? strlen(id) : 0;

	if (n == 0) {
		otp_err_set(err, OTP_ERR_USAGE, "credential ID is empty");
		otp_err_hint(err, "%s", shape);
		return false;
	}
	if (n != OTP_CREDENTIAL_LEN) {
		otp_err_set(err, OTP_ERR_USAGE, "credential ID must be %d characters (got %zu)", OTP_CREDENTIAL_LEN, n);
		otp_err_hint(err, "%s", shape);
		return false;
	}
	bool lower = false;
	for (int i = 0; i < OTP_CREDENTIAL_LEN; i++) {
		char c = id[i];
		bool ok = i < PREFIX_LEN ? is_upper(c) : is_digit(c);
		if (i < PREFIX_LEN && is_lower(c)) {
			lower = true;
			continue;
		}
		if (!ok) {
			if (c > 0x20 && c < 0x7f)
				otp_err_set(err, OTP_ERR_USAGE, "credential ID needs a %s at position %d, not '%c'",
					    i < PREFIX_LEN ? "letter" : "digit", i + 1, c);
			else
				otp_err_set(err, OTP_ERR_USAGE, "credential ID needs a %s at position %d",
					    i < PREFIX_LEN ? "letter" : "digit", i + 1);
			otp_err_hint(err, "%s", shape);
			return false;
		}
	}
	if (lower) {
		char up[OTP_CREDENTIAL_LEN + 1];
		for (int i = 0; i <= OTP_CREDENTIAL_LEN; i++)
			up[i] = is_lower(id[i]) ? (char)(id[i] - 'a' + 'A') : id[i];
		otp_err_set(err, OTP_ERR_USAGE, "credential ID letters must be upper-case");
		if (check_digit(up) == up[OTP_CREDENTIAL_LEN - 1] - '0')
			otp_err_hint(err, "did you mean %s?", up);
		else
			otp_err_hint(err, "type the letters in upper case, like OTPD12345678");
		return false;
	}
	if (check_digit(id) != id[OTP_CREDENTIAL_LEN - 1] - '0') {
		otp_err_set(err, OTP_ERR_USAGE, "credential ID %s is mistyped (its check digit does not match)", id);
		otp_err_hint(err, "compare it character by character with the ID printed on the token");
		return false;
	}
	return true;
}

int otp_credential_make(const char *prefix, uint32_t serial, char out[OTP_CREDENTIAL_LEN + 1],
			struct otp_err *err)
{
	if (!prefix || strlen(prefix) != PREFIX_LEN || !is_upper(prefix[0]) || !is_upper(prefix[1]) ||
	    !is_upper(prefix[2]) || !is_upper(prefix[3]))
		return otp_err_set(err, OTP_ERR_USAGE, "credential prefix must be 4 upper-case letters (got \"%s\")",
				   prefix ? prefix : "");
	if (serial > OTP_CREDENTIAL_SERIAL_MAX)
		return otp_err_set(err, OTP_ERR_USAGE, "credential serial must be 0 to %u (got %u)",
				   OTP_CREDENTIAL_SERIAL_MAX, serial);
	char buf[OTP_CREDENTIAL_LEN + 2];
	snprintf(buf, sizeof buf, "%s%07u", prefix, serial);
	buf[OTP_CREDENTIAL_LEN - 1] = (char)('0' + check_digit(buf));
	buf[OTP_CREDENTIAL_LEN] = '\0';
	memcpy(out, buf, OTP_CREDENTIAL_LEN + 1);
	return 0;
}
