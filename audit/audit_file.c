/* audit_file: the verifier's readers for the files the audit log leaves
 * outside the database: archive segments (a header line, then one JSON
 * object per event) and exports (CSV with a header line, or JSON lines),
 * docs/AUDIT-FORMAT.md sections 5 and 6. Each event is decoded into a
 * struct audit_event whose strings point into the line just read, and fed
 * to the verifier at once. A malformed file is an error, not damage: the
 * verifier only judges what it could read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_internal.h"

#define ARCHIVE_FORMAT "otp-audit-archive-v1"

/* ---- a small JSON object reader ----------------------------------------- */

enum jtype { J_STRING, J_NUMBER, J_NULL, J_BOOL, J_RAW };

struct jvalue {
	enum jtype type;
	char *p;	/* decoded string, number text, or the raw text of an object/array */
	size_t len;
};

static char *skip_ws(char *p, char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static size_t put_utf8(char *out, uint32_t c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

static int hex4(const char *p, char *end, uint32_t *out)
{
	unsigned char b[2];
	if (end - p < 4 || audit_unhex(p, 4, b, 2) != 0)
		return -1;
	*out = (uint32_t)b[0] << 8 | b[1];
	return 0;
}

/* Decode the string starting after its opening quote at p, in place (the
 * decoded text is never longer). Returns the position after the closing quote. */
static char *json_string(char *p, char *end, struct jvalue *v)
{
	char *out = p;
	v->type = J_STRING;
	v->p = p;
	while (p < end && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p != '\\') {
			*out++ = *p++;
			continue;
		}
		if (++p >= end)
			return NULL;
		char c = *p++;
		switch (c) {
		case '"': case '\\': case '/': *out++ = c; break;
		case 'b': *out++ = '\b'; break;
		case 'f': *out++ = '\f'; break;
		case 'n': *out++ = '\n'; break;
		case 'r': *out++ = '\r'; break;
		case 't': *out++ = '\t'; break;
		case 'u': {
			uint32_t u, lo;
			if (hex4(p, end, &u) != 0)
				return NULL;
			p += 4;
			if (u >= 0xd800 && u < 0xdc00) {
				if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, end, &lo) != 0 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return NULL;
				p += 6;
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			} else if (u >= 0xdc00 && u < 0xe000) {
				return NULL;
			}
			out += put_utf8(out, u);
			break;
		}
		default:
			return NULL;
		}
	}
	if (p >= end)
		return NULL;
	v->len = (size_t)(out - v->p);
	return p + 1;
}

/* The raw text of an object or array starting at p (balanced, strings skipped). */
static char *json_raw(char *p, char *end, struct jvalue *v)
{
	int depth = 0;
	v->type = J_RAW;
	v->p = p;
	for (; p < end; p++) {
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			if (p >= end)
				return NULL;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			if (--depth == 0) {
				v->len = (size_t)(p + 1 - v->p);
				return p + 1;
			}
		}
	}
	return NULL;
}

static char *json_value(char *p, char *end, struct jvalue *v)
{
	if (p >= end)
		return NULL;
	if (*p == '"')
		return json_string(p + 1, end, v);
	if (*p == '{' || *p == '[')
		return json_raw(p, end, v);
	if (end - p >= 4 && memcmp(p, "null", 4) == 0) {
		v->type = J_NULL;
		v->p = p;
		v->len = 4;
		return p + 4;
	}
	if (end - p >= 4 && memcmp(p, "true", 4) == 0) {
		v->type = J_BOOL;
		v->p = p;
		v->len = 4;
		return p + 4;
	}
	if (end - p >= 5 && memcmp(p, "false", 5) == 0) {
		v->type = J_BOOL;
		v->p = p;
		v->len = 5;
		return p + 5;
	}
	v->type = J_NUMBER;
	v->p = p;
	while (p < end && (strchr("+-.eE", *p) || (*p >= '0' && *p <= '9')))
		p++;
	v->len = (size_t)(p - v->p);
	return v->len ? p : NULL;
}

/* Call fn for every member of the flat object in [p, end). */
static int json_object(char *p, char *end, int (*fn)(void *ctx, const char *key, size_t klen, struct jvalue *v),
		       void *ctx)
{
	p = skip_ws(p, end);
	if (p >= end || *p++ != '{')
		return -1;
	p = skip_ws(p, end);
	if (p < end && *p == '}')
		return skip_ws(p + 1, end) == end ? 0 : -1;
	for (;;) {
		struct jvalue k, v;
		p = skip_ws(p, end);
		if (p >= end || *p != '"' || !(p = json_string(p + 1, end, &k)))
			return -1;
		p = skip_ws(p, end);
		if (p >= end || *p++ != ':')
			return -1;
		p = skip_ws(p, end);
		if (!(p = json_value(p, end, &v)))
			return -1;
		if (fn(ctx, k.p, k.len, &v) != 0)
			return -1;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}')
			return skip_ws(p + 1, end) == end ? 0 : -1;
		return -1;
	}
}

static int to_int64(const char *p, size_t len, int64_t *out)
{
	char buf[24];
	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	char *e;
	errno = 0;
	long long v = strtoll(buf, &e, 10);
	if (*e || errno)
		return -1;
	*out = v;
	return 0;
}

/* ---- event columns, shared by the JSON and CSV readers ------------------ */

enum col {
	C_SEQ, C_PREV, C_HASH, C_EVENT_ID, C_AT, C_ACTOR, C_VIA, C_EVENT, C_OUTCOME, C_REASON, C_APP, C_ADDR,
	C_BRANCH, C_CONTRACT, C_CREDENTIAL, C_REQUEST, C_DETAILS, C_COUNT
};

static const char *const col_names[C_COUNT] = {
	[C_SEQ] = "seq", [C_PREV] = "prev_hash", [C_HASH] = "hash", [C_EVENT_ID] = "event_id", [C_AT] = "at",
	[C_ACTOR] = "actor", [C_VIA] = "via_role", [C_EVENT] = "event", [C_OUTCOME] = "outcome",
	[C_REASON] = "reason_code", [C_APP] = "client_app", [C_ADDR] = "client_addr", [C_BRANCH] = "branch_code",
	[C_CONTRACT] = "contract_id", [C_CREDENTIAL] = "credential_id", [C_REQUEST] = "request_id",
	[C_DETAILS] = "details",
};

static int col_of(const char *key, size_t klen)
{
	for (int c = 0; c < C_COUNT; c++)
		if (strlen(col_names[c]) == klen && memcmp(col_names[c], key, klen) == 0)
			return c;
	return -1;
}

struct ev_build {
	struct audit_event *ev;
	unsigned seen;		/* bit per column */
	char bad[96];
};

static struct audit_text *text_of(struct audit_event *ev, int c)
{
	switch (c) {
	case C_ACTOR: return &ev->actor;
	case C_VIA: return &ev->via_role;
	case C_EVENT: return &ev->event;
	case C_OUTCOME: return &ev->outcome;
	case C_REASON: return &ev->reason_code;
	case C_APP: return &ev->client_app;
	case C_ADDR: return &ev->client_addr;
	case C_BRANCH: return &ev->branch_code;
	case C_CONTRACT: return &ev->contract_id;
	case C_CREDENTIAL: return &ev->credential_id;
	case C_DETAILS: return &ev->details;
	default: return NULL;
	}
}

/* Store column c's value (NULL when is_null). */
static int set_col(struct ev_build *b, int c, const char *p, size_t len, bool is_null)
{
	struct audit_event *ev = b->ev;
	struct audit_text *t = text_of(ev, c);
	b->seen |= 1u << c;
	if (t) {
		t->p = p;
		t->len = is_null ? -1 : (int)len;
		return 0;
	}
	switch (c) {
	case C_SEQ:
		ev->seq = 0;
		if (!is_null && to_int64(p, len, &ev->seq) != 0)
			goto bad;
		return 0;
	case C_EVENT_ID:
		if (is_null || to_int64(p, len, &ev->event_id) != 0)
			goto bad;
		return 0;
	case C_REQUEST:
		ev->has_request_id = !is_null;
		if (!is_null && to_int64(p, len, &ev->request_id) != 0)
			goto bad;
		return 0;
	case C_AT:
		if (is_null || audit_parse_time(p, len, &ev->at_us) != 0)
			goto bad;
		return 0;
	case C_PREV:
		if (!is_null && audit_unhex(p, len, ev->prev_hash, AUDIT_HASH_LEN) != 0)
			goto bad;
		return 0;
	case C_HASH:
		if (!is_null && audit_unhex(p, len, ev->hash, AUDIT_HASH_LEN) != 0)
			goto bad;
		return 0;
	default:
		return 0;
	}
bad:
	snprintf(b->bad, sizeof b->bad, "bad value in column %s", col_names[c]);
	return -1;
}

static int finish_event(struct ev_build *b, struct otp_err *err)
{
	const unsigned required = 1u << C_EVENT_ID | 1u << C_AT | 1u << C_ACTOR | 1u << C_EVENT | 1u << C_OUTCOME |
				  1u << C_DETAILS | 1u << C_SEQ | 1u << C_PREV | 1u << C_HASH;
	if ((b->seen & required) != required) {
		for (int c = 0; c < C_COUNT; c++)
			if ((required & (1u << c)) && !(b->seen & (1u << c)))
				return otp_err_set(err, OTP_ERR_USAGE, "column %s is missing", col_names[c]);
	}
	/* columns an export may leave out are NULL */
	for (int c = 0; c < C_COUNT; c++) {
		struct audit_text *t = text_of(b->ev, c);
		if (t && !(b->seen & (1u << c)))
			t->len = -1;
	}
	b->ev->sealed = b->ev->seq > 0;
	return 0;
}

static int json_member(void *ctx, const char *key, size_t klen, struct jvalue *v)
{
	struct ev_build *b = ctx;
	int c = col_of(key, klen);
	if (c < 0)
		return 0;	/* sealed_at and other extra columns are not encoded */
	/* details is never SQL NULL: a JSON null, boolean or number there is the
	 * jsonb value itself, its text as is (a top-level string would need its
	 * escapes back and is refused) */
	if (c == C_DETAILS)
		return v->type != J_STRING ? set_col(b, c, v->p, v->len, false) : -1;
	return set_col(b, c, v->p, v->len, v->type == J_NULL);
}

int audit_parse_json_event(char *line, size_t len, struct audit_event *ev, struct otp_err *err)
{
	memset(ev, 0, sizeof *ev);
	struct ev_build b = { .ev = ev };
	if (json_object(line, line + len, json_member, &b) != 0)
		return otp_err_set(err, OTP_ERR_USAGE, "not an audit event JSON object%s%s", b.bad[0] ? ": " : "",
				   b.bad);
	return finish_event(&b, err);
}

/* ---- archive headers ----------------------------------------------------- */

size_t audit_archive_header_line(const struct audit_archive_header *h, char *buf, size_t size)
{
	char prev[2 * AUDIT_HASH_LEN + 1], last[2 * AUDIT_HASH_LEN + 1];
	audit_hex(h->prev_hash, AUDIT_HASH_LEN, prev);
	audit_hex(h->last_hash, AUDIT_HASH_LEN, last);
	int n = snprintf(buf, size,
			 "{\"format\":\"" ARCHIVE_FORMAT "\",\"before\":\"%s\",\"first_seq\":%lld,\"last_seq\":%lld,"
			 "\"count\":%lld,\"prev_hash\":\"%s\",\"last_hash\":\"%s\"}\n",
			 h->before, (long long)h->first_seq, (long long)h->last_seq, (long long)h->count, prev, last);
	return n < 0 ? 0 : (size_t)n;
}

struct hdr_build {
	struct audit_archive_header *h;
	unsigned seen;
};

static int header_member(void *ctx, const char *key, size_t klen, struct jvalue *v)
{
	struct hdr_build *b = ctx;
	struct audit_archive_header *h = b->h;
#define KEY(s) (klen == sizeof s - 1 && memcmp(key, s, klen) == 0)
	if (KEY("format")) {
		b->seen |= 1;
		return v->type == J_STRING && v->len == sizeof ARCHIVE_FORMAT - 1 &&
				       memcmp(v->p, ARCHIVE_FORMAT, v->len) == 0 ? 0 : -1;
	}
	if (KEY("before")) {
		b->seen |= 2;
		if (v->type != J_STRING || v->len >= sizeof h->before)
			return -1;
		memcpy(h->before, v->p, v->len);
		h->before[v->len] = '\0';
		return 0;
	}
	if (KEY("first_seq")) {
		b->seen |= 4;
		return to_int64(v->p, v->len, &h->first_seq);
	}
	if (KEY("last_seq")) {
		b->seen |= 8;
		return to_int64(v->p, v->len, &h->last_seq);
	}
	if (KEY("count")) {
		b->seen |= 16;
		return to_int64(v->p, v->len, &h->count);
	}
	if (KEY("prev_hash")) {
		b->seen |= 32;
		return audit_unhex(v->p, v->len, h->prev_hash, AUDIT_HASH_LEN);
	}
	if (KEY("last_hash")) {
		b->seen |= 64;
		return audit_unhex(v->p, v->len, h->last_hash, AUDIT_HASH_LEN);
	}
#undef KEY
	return 0;
}

static int parse_header(char *line, size_t len, struct audit_archive_header *h, struct otp_err *err)
{
	memset(h, 0, sizeof *h);
	struct hdr_build b = { .h = h };
	if (json_object(line, line + len, header_member, &b) != 0 || b.seen != 127 || h->first_seq < 1 ||
	    h->last_seq < h->first_seq || h->count != h->last_seq - h->first_seq + 1)
		return otp_err_set(err, OTP_ERR_USAGE, "not an " ARCHIVE_FORMAT " header line");
	return 0;
}

/* ---- files ---------------------------------------------------------------- */

int audit_file_sha256(const char *path, char out[2 * AUDIT_HASH_LEN + 1], struct otp_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return otp_err_set(err, OTP_ERR_IO, "cannot open %s: %s", path, strerror(errno));
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[1 << 16], digest[AUDIT_HASH_LEN];
	unsigned int n = 0;
	int ok = md && ctx && EVP_DigestInit_ex2(ctx, md, NULL) == 1;
	size_t got;
	while (ok && (got = fread(buf, 1, sizeof buf, f)) > 0)
		ok = EVP_DigestUpdate(ctx, buf, got) == 1;
	ok = ok && !ferror(f) && EVP_DigestFinal_ex(ctx, digest, &n) == 1;
	fclose(f);
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	if (!ok)
		return otp_err_set(err, OTP_ERR_IO, "cannot hash %s", path);
	audit_hex(digest, AUDIT_HASH_LEN, out);
	return 0;
}

static size_t chomp(char *line, size_t n)
{
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return n;
}

int audit_verify_archive_file(struct audit_verifier *v, const char *path, struct audit_archive_header *hdr,
			      char *file_sha256, int *done, struct otp_err *err)
{
	otp_err_clear(err);
	*done = audit_verifier_done(v);
	FILE *f = fopen(path, "r");
	if (!f)
		return otp_err_set(err, OTP_ERR_IO, "cannot open archive %s: %s", path, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	int rc = 0;
	long lineno = 1;
	if (n <= 0 || parse_header(line, chomp(line, (size_t)n), hdr, err) != 0) {
		rc = otp_err_set(err, OTP_ERR_USAGE, "%s: not an audit archive segment (bad header line)", path);
		goto out;
	}
	char what[200];
	audit_verifier_set_source(v, path);
	if (audit_verifier_fresh(v)) {
		static const unsigned char zero[AUDIT_HASH_LEN];
		bool genesis = hdr->first_seq == 1 && memcmp(hdr->prev_hash, zero, AUDIT_HASH_LEN) == 0;
		snprintf(what, sizeof what, "%s (archive %.150s)", genesis ? "genesis" : "the prev_hash of the first archive's header", path);
		audit_verifier_anchor(v, hdr->first_seq, hdr->prev_hash, what);
	} else if (!audit_verifier_diagnosing(v) && !audit_verifier_done(v)) {
		int64_t next = audit_verifier_next_seq(v);
		unsigned char last[AUDIT_HASH_LEN];
		audit_verifier_last_hash(v, last);
		if (hdr->first_seq > next)
			audit_verifier_damage(v, AUDIT_DAMAGE_DELETED, next, hdr->first_seq - 1,
					      "seq %lld..%lld are in no archive segment (this one starts at seq %lld)",
					      (long long)next, (long long)hdr->first_seq - 1, (long long)hdr->first_seq);
		else if (hdr->first_seq < next)
			audit_verifier_damage(v, AUDIT_DAMAGE_INSERTED, hdr->first_seq, next - 1,
					      "this segment starts at seq %lld, inside the previous one (which ends at seq %lld)",
					      (long long)hdr->first_seq, (long long)next - 1);
		else if (memcmp(last, hdr->prev_hash, AUDIT_HASH_LEN) != 0)
			audit_verifier_damage(v, AUDIT_DAMAGE_MODIFIED, hdr->first_seq, hdr->first_seq,
					      "this segment's prev_hash is not the previous segment's last hash");
	}
	while (!audit_verifier_done(v) && (n = getline(&line, &cap, f)) > 0) {
		lineno++;
		size_t len = chomp(line, (size_t)n);
		if (!len)
			continue;
		struct audit_event ev;
		if (audit_parse_json_event(line, len, &ev, err) != 0) {
			char m[256];
			otp_strlcpy(m, err->message, sizeof m);
			rc = otp_err_set(err, OTP_ERR_USAGE, "%s line %ld: %s", path, lineno, m);
			goto out;
		}
		audit_verifier_feed(v, &ev, 1);
	}
	if (ferror(f)) {
		rc = otp_err_set(err, OTP_ERR_IO, "cannot read %s", path);
		goto out;
	}
	audit_verifier_segment_end(v, hdr->last_seq, hdr->last_hash);
	if (file_sha256)
		rc = audit_file_sha256(path, file_sha256, err);
out:
	free(line);
	fclose(f);
	*done = audit_verifier_done(v);
	return rc;
}

/* ---- CSV (PostgreSQL COPY ... WITH (FORMAT csv, HEADER)) ------------------ */

/* Split one CSV record in place; fields[i] / lens[i] / quoted[i]. Returns
 * the number of fields or -1. An unquoted empty field is NULL. */
static int csv_split(char *rec, size_t len, char **fields, size_t *lens, bool *quoted, int max)
{
	char *p = rec, *end = rec + len;
	int n = 0;
	for (;;) {
		if (n == max)
			return -1;
		char *out = p;
		fields[n] = p;
		quoted[n] = false;
		if (p < end && *p == '"') {
			quoted[n] = true;
			p++;
			for (;;) {
				if (p >= end)
					return -1;
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"') {
						*out++ = '"';
						p += 2;
						continue;
					}
					p++;
					break;
				}
				*out++ = *p++;
			}
			lens[n] = (size_t)(out - fields[n]);
		} else {
			while (p < end && *p != ',')
				p++;
			lens[n] = (size_t)(p - fields[n]);
		}
		n++;
		if (p >= end)
			return n;
		if (*p != ',')
			return -1;
		p++;
	}
}

/* Are the quotes of [p, p+n) balanced (a record may span lines)? */
static bool quotes_closed(const char *p, size_t n)
{
	bool in = false;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '"')
			in = !in;
	return !in;
}

static int verify_csv(struct audit_verifier *v, FILE *f, const char *path, char *first, size_t flen,
		      struct otp_err *err)
{
	char *fields[64];
	size_t lens[64];
	bool quoted[64];
	int map[64];
	int nf = csv_split(first, flen, fields, lens, quoted, 64);
	if (nf < 1)
		return otp_err_set(err, OTP_ERR_USAGE, "%s: bad CSV header", path);
	for (int i = 0; i < nf; i++)
		map[i] = col_of(fields[i], lens[i]);
	char *rec = NULL, *line = NULL;
	size_t rcap = 0, lcap = 0, rlen = 0;
	ssize_t n;
	long lineno = 1;
	int rc = 0;
	while (!audit_verifier_done(v) && (n = getline(&line, &lcap, f)) > 0) {
		lineno++;
		if (rlen + (size_t)n + 1 > rcap) {
			size_t nc = (rlen + (size_t)n + 1) * 2;
			char *nr = realloc(rec, nc);
			if (!nr) {
				rc = otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
				break;
			}
			rec = nr;
			rcap = nc;
		}
		memcpy(rec + rlen, line, (size_t)n);
		rlen += (size_t)n;
		rec[rlen] = '\0';
		if (!quotes_closed(rec, rlen))
			continue;	/* a quoted field goes on on the next line */
		size_t len = rlen;
		if (len && rec[len - 1] == '\n')
			len--;
		if (len && rec[len - 1] == '\r')
			len--;
		rlen = 0;
		if (!len)
			continue;
		int k = csv_split(rec, len, fields, lens, quoted, 64);
		if (k != nf) {
			rc = otp_err_set(err, OTP_ERR_USAGE, "%s line %ld: %d fields, the header has %d", path, lineno, k, nf);
			break;
		}
		struct audit_event ev;
		memset(&ev, 0, sizeof ev);
		struct ev_build b = { .ev = &ev };
		for (int i = 0; i < nf && rc == 0; i++)
			if (map[i] >= 0 && set_col(&b, map[i], fields[i], lens[i], lens[i] == 0 && !quoted[i]) != 0)
				rc = otp_err_set(err, OTP_ERR_USAGE, "%s line %ld: %s", path, lineno, b.bad);
		if (rc == 0 && finish_event(&b, err) != 0) {
			char m[256];
			otp_strlcpy(m, err->message, sizeof m);
			rc = otp_err_set(err, OTP_ERR_USAGE, "%s line %ld: %s", path, lineno, m);
		}
		if (rc != 0)
			break;
		audit_verifier_feed(v, &ev, 1);
	}
	if (rc == 0 && rlen)
		rc = otp_err_set(err, OTP_ERR_USAGE, "%s: the last record has an unclosed quote", path);
	free(rec);
	free(line);
	return rc;
}

int audit_verify_export_file(struct audit_verifier *v, const char *path, int *done, struct otp_err *err)
{
	otp_err_clear(err);
	FILE *f = fopen(path, "r");
	if (!f)
		return otp_err_set(err, OTP_ERR_IO, "cannot open export %s: %s", path, strerror(errno));
	audit_verifier_set_source(v, path);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	int rc = 0;
	if (n <= 0) {
		rc = otp_err_set(err, OTP_ERR_USAGE, "%s is empty", path);
	} else if (line[0] == '{') {
		long lineno = 0;
		do {
			lineno++;
			size_t len = chomp(line, (size_t)n);
			if (!len)
				continue;
			struct audit_event ev;
			if (audit_parse_json_event(line, len, &ev, err) != 0) {
				char m[256];
				otp_strlcpy(m, err->message, sizeof m);
				rc = otp_err_set(err, OTP_ERR_USAGE, "%s line %ld: %s", path, lineno, m);
				break;
			}
			audit_verifier_feed(v, &ev, 1);
		} while (!audit_verifier_done(v) && (n = getline(&line, &cap, f)) > 0);
	} else {
		rc = verify_csv(v, f, path, line, chomp(line, (size_t)n), err);
	}
	if (rc == 0 && ferror(f))
		rc = otp_err_set(err, OTP_ERR_IO, "cannot read %s", path);
	free(line);
	fclose(f);
	*done = audit_verifier_done(v);
	return rc;
}
