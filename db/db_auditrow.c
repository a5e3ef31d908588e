/* db_auditrow: the verifier's audit rows from COPY (FORMAT binary) and
 * jsonb's stored form rendered as PostgreSQL's text output (db/auditrow.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/auditrow.h"

#define PG_EPOCH_US 946684800000000LL	/* 2000-01-01 - 1970-01-01 in microseconds */

/* ---- binary COPY decoding ------------------------------------------------- */

static const char copy_signature[11] = { 'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n', '\0' };

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Skip the file header when this message starts with it; -1 when malformed. */
int db_copy_skip_header(struct db_copy_in *b)
{
	if (b->end - b->p < 19 || memcmp(b->p, copy_signature, sizeof copy_signature) != 0)
		return -1;
	uint32_t ext = be32(b->p + 15);
	if ((size_t)(b->end - b->p) < 19 + (size_t)ext)
		return -1;
	b->p += 19 + ext;
	return 0;
}

/* The next field: its bytes, or len -1 for NULL. */
int db_copy_next_field(struct db_copy_in *b, const unsigned char **data, int *len)
{
	if (b->end - b->p < 4)
		return -1;
	int32_t n = (int32_t)be32(b->p);
	b->p += 4;
	if (n < 0) {
		*data = NULL;
		*len = -1;
		return 0;
	}
	if (b->end - b->p < n)
		return -1;
	*data = b->p;
	*len = n;
	b->p += n;
	return 0;
}

/* Start of a tuple: its field count, or -1 for the trailer, or -2 when malformed. */
int db_copy_tuple_start(struct db_copy_in *b)
{
	if (b->end - b->p < 2)
		return -2;
	int16_t n = (int16_t)((b->p[0] << 8) | b->p[1]);
	b->p += 2;
	return n;
}

static void set_text(struct audit_text *t, const unsigned char *d, int len)
{
	t->p = (const char *)d;
	t->len = len;
}

/* client_addr as the encoding wants it, text(inet): IPv4 is formatted here
 * from the binary inet (PostgreSQL's text() costs a third of the row's
 * server time); IPv6, whose compressed form follows PostgreSQL's own rules,
 * comes as text from the server (v6, NULL for IPv4). */
static int decode_inet(const unsigned char *d, int len, const unsigned char *v6, int v6len, char *buf, size_t size,
		       struct audit_text *out)
{
	if (len < 0) {
		*out = (struct audit_text){ NULL, -1 };
		return 0;
	}
	/* binary inet: family (2 = IPv4, 3 = IPv6), bits, is_cidr, address length, address */
	if (len == 8 && d[0] == 2 && d[3] == 4 && size >= 20) {
		/* "a.b.c.d/bits" (snprintf would cost as much as the hash) */
		char *p = buf;
		for (int i = 0; i < 5; i++) {
			unsigned v = d[i < 4 ? 4 + i : 1];
			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
			if (i < 4)
				*p++ = i < 3 ? '.' : '/';
		}
		*out = (struct audit_text){ buf, (int)(p - buf) };
		return 0;
	}
	if (v6len < 0)
		return -1;
	*out = (struct audit_text){ (const char *)v6, v6len };
	return 0;
}

/* ---- jsonb's stored form to its text output ------------------------------
 * The fast path reads details as `details::bytea` (migration 045: jsonb's
 * stored bytes, no conversion on the server) and renders here exactly what
 * PostgreSQL's jsonb output (JsonbToCString, escape_json, numeric_out)
 * prints for them. Only the canonical layout PostgreSQL writes is accepted
 * (little-endian, as on this platform; exact lengths; digits below 10000;
 * no NUL in strings): anything else returns -1 and the caller re-verifies
 * from details::text, so a row is never judged on a rendering PostgreSQL
 * would not give. */

#define JB_CMASK 0x0FFFFFFFu
#define JB_FSCALAR 0x10000000u
#define JB_FOBJECT 0x20000000u
#define JB_FARRAY 0x40000000u
#define JENTRY_OFFLENMASK 0x0FFFFFFFu
#define JENTRY_TYPEMASK 0x70000000u
#define JENTRY_HAS_OFF 0x80000000u
#define JENTRY_ISSTRING 0x00000000u
#define JENTRY_ISNUMERIC 0x10000000u
#define JENTRY_ISBOOL_FALSE 0x20000000u
#define JENTRY_ISBOOL_TRUE 0x30000000u
#define JENTRY_ISNULL 0x40000000u
#define JENTRY_ISCONTAINER 0x50000000u
#define JSONB_MAX_DEPTH 64
#define NUMERIC_MAX_GROUPS 1024	/* 4 decimal digits each; longer: the slow path */

static int jt_reserve(struct db_jtext *t, size_t n)
{
	if (t->len + n <= t->cap)
		return 0;
	size_t cap = t->cap ? t->cap : 256;
	while (cap < t->len + n)
		cap *= 2;
	char *p = realloc(t->p, cap);
	if (!p)
		return -1;
	t->p = p;
	t->cap = cap;
	return 0;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* escape_json: the string quoted, \" \\ \b \f \n \r \t, other control
 * characters as \u00xx (lower-case hex), everything else as is. */
static int render_string(struct db_jtext *t, const unsigned char *s, size_t n)
{
	if (jt_reserve(t, 6 * n + 2) != 0)
		return -1;
	static const char hex[] = "0123456789abcdef";
	char *o = t->p + t->len;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c >= 0x20 && c != '"' && c != '\\') {
			*o++ = (char)c;
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '\b': *o++ = 'b'; break;
		case '\f': *o++ = 'f'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case 0: return -1;	/* PostgreSQL would stop at it: not ours to guess */
		default:
			memcpy(o, "u00", 3);
			o[3] = hex[c >> 4];
			o[4] = hex[c & 15];
			o += 5;
		}
	}
	*o++ = '"';
	t->len = (size_t)(o - t->p);
	return 0;
}

/* numeric_out of a numeric varlena (header included) of exactly n bytes. */
static int render_numeric(struct db_jtext *t, const unsigned char *p, size_t n)
{
	size_t hdr;
	if (n >= 1 && (p[0] & 1) == 1 && p[0] != 1) {	/* 1-byte varlena header */
		if ((size_t)(p[0] >> 1) != n)
			return -1;
		hdr = 1;
	} else if (n >= 4 && (p[0] & 3) == 0) {		/* 4-byte header, not compressed */
		if ((size_t)(le32(p) >> 2) != n)
			return -1;
		hdr = 4;
	} else {
		return -1;
	}
	if (n < hdr + 2)
		return -1;
	unsigned head = le16(p + hdr);
	bool neg;
	int weight, dscale;
	size_t dig0;
	if ((head & 0xC000) == 0xC000) {
		return -1;	/* NaN, infinities: not in jsonb */
	} else if (head & 0x8000) {	/* short format */
		neg = (head & 0x2000) != 0;
		dscale = (int)((head & 0x1F80) >> 7);
		weight = (head & 0x0040) ? (int)(head & 0x003F) - 64 : (int)(head & 0x003F);
		dig0 = hdr + 2;
	} else {
		if (n < hdr + 4)
			return -1;
		neg = (head & 0xC000) == 0x4000;
		dscale = (int)(head & 0x3FFF);
		weight = (int16_t)le16(p + hdr + 2);
		dig0 = hdr + 4;
	}
	if ((n - dig0) % 2 != 0)
		return -1;
	int nd = (int)((n - dig0) / 2);
	if (nd > NUMERIC_MAX_GROUPS || weight > NUMERIC_MAX_GROUPS || weight < -NUMERIC_MAX_GROUPS ||
	    dscale > 4 * NUMERIC_MAX_GROUPS)
		return -1;
	for (int i = 0; i < nd; i++)
		if (le16(p + dig0 + 2 * (size_t)i) >= 10000)
			return -1;
	size_t most = 2 + 4 * (size_t)(weight > 0 ? weight + 1 : 1) + 1 + (size_t)dscale + 4;
	if (jt_reserve(t, most) != 0)
		return -1;
	char *o = t->p + t->len;
	if (neg)
		*o++ = '-';
	int d;
	if (weight < 0) {
		d = weight + 1;
		*o++ = '0';
	} else {
		for (d = 0; d <= weight; d++) {
			int dig = d < nd ? le16(p + dig0 + 2 * (size_t)d) : 0;
			bool putit = d > 0;
			int d1 = dig / 1000;
			dig -= d1 * 1000;
			putit |= d1 > 0;
			if (putit)
				*o++ = (char)('0' + d1);
			d1 = dig / 100;
			dig -= d1 * 100;
			putit |= d1 > 0;
			if (putit)
				*o++ = (char)('0' + d1);
			d1 = dig / 10;
			dig -= d1 * 10;
			putit |= d1 > 0;
			if (putit)
				*o++ = (char)('0' + d1);
			*o++ = (char)('0' + dig);
		}
	}
	if (dscale > 0) {
		*o++ = '.';
		char *end = o + dscale;
		for (int i = 0; i < dscale; d++, i += 4) {
			int dig = d >= 0 && d < nd ? le16(p + dig0 + 2 * (size_t)d) : 0;
			o[0] = (char)('0' + dig / 1000);
			o[1] = (char)('0' + dig / 100 % 10);
			o[2] = (char)('0' + dig / 10 % 10);
			o[3] = (char)('0' + dig % 10);
			o += 4;
		}
		o = end;
	}
	t->len = (size_t)(o - t->p);
	return 0;
}

static int render_container(struct db_jtext *t, const unsigned char *c, size_t n, int depth, bool top);

/* One child: type from its JEntry, bytes [off, off + len) of the data area. */
static int render_child(struct db_jtext *t, uint32_t type, const unsigned char *data, size_t off, size_t len, int depth)
{
	size_t pad = ((off + 3) & ~(size_t)3) - off;	/* numerics and containers are INTALIGNed */
	switch (type) {
	case JENTRY_ISSTRING:
		return render_string(t, data + off, len);
	case JENTRY_ISNUMERIC:
		return len > pad ? render_numeric(t, data + off + pad, len - pad) : -1;
	case JENTRY_ISBOOL_FALSE:
	case JENTRY_ISBOOL_TRUE:
	case JENTRY_ISNULL: {
		const char *w = type == JENTRY_ISNULL ? "null" : type == JENTRY_ISBOOL_TRUE ? "true" : "false";
		size_t wl = strlen(w);
		if (len != 0 || jt_reserve(t, wl) != 0)
			return -1;
		memcpy(t->p + t->len, w, wl);
		t->len += wl;
		return 0;
	}
	case JENTRY_ISCONTAINER:
		return len > pad ? render_container(t, data + off + pad, len - pad, depth + 1, false) : -1;
	default:
		return -1;
	}
}

static int put_str(struct db_jtext *t, const char *s, size_t n)
{
	if (jt_reserve(t, n) != 0)
		return -1;
	memcpy(t->p + t->len, s, n);
	t->len += n;
	return 0;
}

/* A JsonbContainer of exactly n bytes: `{"k": v, ...}`, `[v, ...]`, or the
 * raw scalar at the top. */
static int render_container(struct db_jtext *t, const unsigned char *c, size_t n, int depth, bool top)
{
	if (depth > JSONB_MAX_DEPTH || n < 4)
		return -1;
	uint32_t header = le32(c), count = header & JB_CMASK, flags = header & ~JB_CMASK;
	bool object = flags == JB_FOBJECT, scalar = flags == (JB_FARRAY | JB_FSCALAR);
	if (!object && !scalar && flags != JB_FARRAY)
		return -1;
	if (scalar && (!top || count != 1))
		return -1;
	size_t nchildren = object ? 2 * (size_t)count : count;
	if (nchildren > (n - 4) / 4)
		return -1;
	const unsigned char *je = c + 4, *data = je + 4 * nchildren;
	size_t datalen = n - 4 - 4 * nchildren;
	/* a child's JEntry holds its length, or (HAS_OFF) its end offset */
	size_t off = 0;
	if (!scalar && put_str(t, object ? "{" : "[", 1) != 0)
		return -1;
	size_t keys = object ? count : 0;
	/* an object's keys come first, then its values: walk both */
	size_t koff = 0, voff = 0;
	if (object) {
		for (size_t i = 0; i < keys; i++) {	/* the values' start: the end of the keys */
			uint32_t e = le32(je + 4 * i);
			size_t f = e & JENTRY_OFFLENMASK;
			voff = e & JENTRY_HAS_OFF ? f : voff + f;
		}
	}
	size_t vstart = voff;
	for (size_t i = 0; i < (object ? keys : nchildren); i++) {
		if (i > 0 && put_str(t, ", ", 2) != 0)
			return -1;
		if (object) {
			uint32_t ke = le32(je + 4 * i);
			size_t kf = ke & JENTRY_OFFLENMASK;
			size_t kend = ke & JENTRY_HAS_OFF ? kf : koff + kf;
			if ((ke & JENTRY_TYPEMASK) != JENTRY_ISSTRING || kend < koff || kend > datalen ||
			    render_string(t, data + koff, kend - koff) != 0 || put_str(t, ": ", 2) != 0)
				return -1;
			koff = kend;
			uint32_t ve = le32(je + 4 * (keys + i));
			size_t vf = ve & JENTRY_OFFLENMASK;
			size_t vend = ve & JENTRY_HAS_OFF ? vf : voff + vf;
			if (vend < voff || vend > datalen ||
			    render_child(t, ve & JENTRY_TYPEMASK, data, voff, vend - voff, depth) != 0)
				return -1;
			voff = vend;
			off = vend;
		} else {
			uint32_t e = le32(je + 4 * i);
			size_t f = e & JENTRY_OFFLENMASK;
			size_t end = e & JENTRY_HAS_OFF ? f : off + f;
			if (end < off || end > datalen ||
			    render_child(t, e & JENTRY_TYPEMASK, data, off, end - off, depth) != 0)
				return -1;
			off = end;
		}
	}
	if (object && koff != vstart)
		return -1;	/* the keys end where the values start */
	if (off != datalen)
		return -1;	/* PostgreSQL leaves no bytes after the last child */
	if (!scalar && put_str(t, object ? "}" : "]", 1) != 0)
		return -1;
	return 0;
}

/* details as jsonb's text output from its stored bytes, into t (reset). */
static int render_jsonb(struct db_jtext *t, const unsigned char *d, int len)
{
	t->len = 0;
	return len >= 4 ? render_container(t, d, (size_t)len, 0, true) : -1;
}

/* Decode one verifier row (the columns of verify_copy_sql, in order); addr
 * holds the formatted IPv4 address until the row is fed. With jt, details
 * is jsonb's stored form (verify_fast_sql), rendered into jt: 1 when it
 * cannot be (the caller falls back to the text stream). -1: malformed. */
int db_audit_decode_event(struct db_copy_in *b, struct audit_event *ev, char addr[24], struct db_jtext *jt)
{
	const unsigned char *d[VERIFY_COLUMNS];
	int len[VERIFY_COLUMNS];
	for (int i = 0; i < VERIFY_COLUMNS; i++)
		if (db_copy_next_field(b, &d[i], &len[i]) != 0)
			return -1;
	memset(ev, 0, sizeof *ev);
	if (len[0] != 8 || len[1] != 8 || len[2] != 8)
		return -1;
	ev->seq = be64(d[0]);
	ev->event_id = be64(d[1]);
	ev->at_us = be64(d[2]) + PG_EPOCH_US;
	struct audit_text *texts[] = {
		&ev->actor, &ev->via_role, &ev->event, &ev->outcome, &ev->reason_code, &ev->client_app,
		NULL, &ev->branch_code, &ev->contract_id, &ev->credential_id,
	};
	for (int i = 0; i < 10; i++)
		if (texts[i])
			set_text(texts[i], d[3 + i], len[3 + i]);
	if (decode_inet(d[9], len[9], d[17], len[17], addr, 24, &ev->client_addr) != 0)
		return -1;
	ev->has_request_id = len[13] == 8;
	if (ev->has_request_id)
		ev->request_id = be64(d[13]);
	if (len[14] < 0)
		return -1;
	if (jt) {
		if (render_jsonb(jt, d[14], len[14]) != 0 || jt->len > INT32_MAX)
			return 1;
		set_text(&ev->details, (const unsigned char *)jt->p, (int)jt->len);
	} else {
		set_text(&ev->details, d[14], len[14]);
	}
	ev->sealed = true;
	/* a missing or short hash cannot match anything: the verifier reports it */
	memset(ev->prev_hash, 0xff, AUDIT_HASH_LEN);
	memset(ev->hash, 0xff, AUDIT_HASH_LEN);
	if (len[15] == AUDIT_HASH_LEN)
		memcpy(ev->prev_hash, d[15], AUDIT_HASH_LEN);
	if (len[16] == AUDIT_HASH_LEN)
		memcpy(ev->hash, d[16], AUDIT_HASH_LEN);
	return 0;
}
