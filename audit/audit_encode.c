/* audit_encode: the canonical byte encoding of an audit event exactly as
 * docs/AUDIT-FORMAT.md section 2 specifies it, the chain step, and the small
 * codecs (hex, base64, ISO times) the file formats use. Written from the
 * format document only: nothing here may be derived from the SQL sealer. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit/audit_internal.h"

void audit_put_be64(unsigned char *p, int64_t v)
{
	uint64_t u = (uint64_t)v;
	for (int i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(u & 0xff);
		u >>= 8;
	}
}

static unsigned char *put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	return p + 4;
}

/* F(bytes): length then bytes; F(NULL): FF FF FF FF. */
static unsigned char *put_text(unsigned char *p, const struct audit_text *t)
{
	if (t->len < 0)
		return put_be32(p, 0xffffffffu);
	p = put_be32(p, (uint32_t)t->len);
	if (t->len)
		memcpy(p, t->p, (size_t)t->len);
	return p + t->len;
}

static unsigned char *put_int(unsigned char *p, int64_t v)
{
	p = put_be32(p, 8);
	audit_put_be64(p, v);
	return p + 8;
}

static size_t text_size(const struct audit_text *t)
{
	return 4 + (t->len > 0 ? (size_t)t->len : 0);
}

size_t audit_encode(const struct audit_event *ev, unsigned char *buf, size_t cap)
{
	static const struct audit_text tag = { AUDIT_FORMAT_TAG, sizeof AUDIT_FORMAT_TAG - 1 };
	const struct audit_text *texts[] = {
		&ev->actor, &ev->via_role, &ev->event, &ev->outcome, &ev->reason_code, &ev->client_app,
		&ev->client_addr, &ev->branch_code, &ev->contract_id, &ev->credential_id,
	};
	size_t need = text_size(&tag) + 3 * 12 + (ev->has_request_id ? 12 : 4) + text_size(&ev->details);
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		need += text_size(texts[i]);
	if (need > cap)
		return need;
	unsigned char *p = put_text(buf, &tag);
	p = put_int(p, ev->seq);
	p = put_int(p, ev->event_id);
	p = put_int(p, ev->at_us);
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		p = put_text(p, texts[i]);
	p = ev->has_request_id ? put_int(p, ev->request_id) : put_be32(p, 0xffffffffu);
	put_text(p, &ev->details);
	return need;
}

int audit_sha_init(struct audit_sha *s, struct otp_err *err)
{
	s->md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	s->ctx = EVP_MD_CTX_new();
	if (!s->md || !s->ctx) {
		audit_sha_done(s);
		return otp_err_set(err, OTP_ERR_CRYPTO, "SHA-256 is not available from OpenSSL");
	}
	return 0;
}

void audit_sha_done(struct audit_sha *s)
{
	EVP_MD_CTX_free(s->ctx);
	EVP_MD_free(s->md);
	s->ctx = NULL;
	s->md = NULL;
}

int audit_sha2(struct audit_sha *s, const void *a, size_t alen, const void *b, size_t blen,
	       unsigned char out[AUDIT_HASH_LEN])
{
	unsigned int n = 0;
	if (EVP_DigestInit_ex2(s->ctx, s->md, NULL) != 1 || EVP_DigestUpdate(s->ctx, a, alen) != 1 ||
	    (blen && EVP_DigestUpdate(s->ctx, b, blen) != 1) || EVP_DigestFinal_ex(s->ctx, out, &n) != 1 ||
	    n != AUDIT_HASH_LEN)
		return -1;
	return 0;
}

int audit_event_hash(const unsigned char prev[AUDIT_HASH_LEN], const struct audit_event *ev,
		     unsigned char out[AUDIT_HASH_LEN], struct otp_err *err)
{
	size_t n = audit_encode(ev, NULL, 0);
	unsigned char *buf = OPENSSL_malloc(n ? n : 1);
	if (!buf)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	audit_encode(ev, buf, n);
	struct audit_sha s;
	int rc = audit_sha_init(&s, err);
	if (rc == 0 && audit_sha2(&s, prev, AUDIT_HASH_LEN, buf, n, out) != 0)
		rc = otp_err_set(err, OTP_ERR_CRYPTO, "SHA-256 failed");
	audit_sha_done(&s);
	OPENSSL_free(buf);
	return rc;
}

/* ---- hex and base64 ---------------------------------------------------- */

void audit_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int audit_unhex(const char *in, size_t len, unsigned char *out, size_t n)
{
	if (len != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void audit_b64(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64chars[(v >> 18) & 63];
		out[o++] = b64chars[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64chars[v & 63] : '=';
	}
	out[o] = '\0';
}

static int b64val(char c)
{
	const char *p = c ? strchr(b64chars, c) : NULL;
	return p ? (int)(p - b64chars) : -1;
}

int audit_unb64(const char *in, size_t len, unsigned char *out, size_t n)
{
	if (len != 4 * ((n + 2) / 3))
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		for (int k = 0; k < 4; k++)
			v[k] = in[i + k] == '=' ? 0 : b64val(in[i + k]);
		if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0)
			return -1;
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		unsigned char b[3] = { (unsigned char)(w >> 16), (unsigned char)(w >> 8), (unsigned char)w };
		for (int k = 0; k < 3; k++) {
			if (o < n)
				out[o++] = b[k];
			else if (b[k] != 0 || in[i + 1 + k] != '=')
				return -1;	/* non-canonical padding */
		}
	}
	return o == n ? 0 : -1;
}

/* ---- times ------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int digits(const char *s, size_t len, size_t pos, int n, int *out)
{
	if (pos + (size_t)n > len)
		return -1;
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = s[pos + (size_t)i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*out = v;
	return 0;
}

int audit_parse_time(const char *s, size_t len, int64_t *us)
{
	int y, mo, d, h, mi, se;
	if (digits(s, len, 0, 4, &y) || len < 19 || s[4] != '-' || digits(s, len, 5, 2, &mo) || s[7] != '-' ||
	    digits(s, len, 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') || digits(s, len, 11, 2, &h) ||
	    s[13] != ':' || digits(s, len, 14, 2, &mi) || s[16] != ':' || digits(s, len, 17, 2, &se))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	size_t p = 19;
	int64_t frac = 0;
	if (p < len && s[p] == '.') {
		int nd = 0;
		for (p++; p < len && s[p] >= '0' && s[p] <= '9'; p++, nd++) {
			if (nd >= 6)
				return -1;	/* more precision than the database has */
			frac = frac * 10 + (s[p] - '0');
		}
		if (nd == 0)
			return -1;
		for (; nd < 6; nd++)
			frac *= 10;
	}
	int64_t off = 0;
	if (p < len && s[p] == 'Z') {
		p++;
	} else if (p < len && (s[p] == '+' || s[p] == '-')) {
		int sign = s[p] == '-' ? -1 : 1, oh, om = 0;
		if (digits(s, len, p + 1, 2, &oh))
			return -1;
		p += 3;
		if (p < len && s[p] == ':') {
			if (digits(s, len, p + 1, 2, &om))
				return -1;
			p += 3;
		} else if (p + 2 <= len && digits(s, len, p, 2, &om) == 0) {
			p += 2;
		}
		off = sign * (oh * 3600 + om * 60);
	} else {
		return -1;	/* a time without its zone is ambiguous */
	}
	if (p != len)
		return -1;
	int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
	*us = secs * 1000000 + frac;
	return 0;
}

void audit_format_utc(int64_t secs, char out[24])
{
	time_t t = (time_t)secs;
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, 24, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
}

static const char *const damage_names[] = {
#define X(id, name, text) [AUDIT_DAMAGE_##id] = name,
	AUDIT_DAMAGE_KINDS(X)
#undef X
};

static const char *const damage_texts[] = {
#define X(id, name, text) [AUDIT_DAMAGE_##id] = text,
	AUDIT_DAMAGE_KINDS(X)
#undef X
};

const char *audit_damage_name(enum audit_damage d)
{
	return (unsigned)d < AUDIT_DAMAGE_COUNT ? damage_names[d] : "?";
}

const char *audit_damage_text(enum audit_damage d)
{
	return (unsigned)d < AUDIT_DAMAGE_COUNT ? damage_texts[d] : "?";
}
