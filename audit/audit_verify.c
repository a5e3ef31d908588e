/* audit_verify: the chain verifier. Rows arrive in seq order in batches;
 * each is encoded (audit_encode), hashed with its stored prev_hash, and
 * checked for three things: its seq follows the previous one, its prev_hash
 * is the previous row's hash, and the hash it carries is the one computed.
 * At the first row that fails, the verifier keeps up to LOOKAHEAD more rows
 * and classifies the damage (modified, deleted, inserted, reordered) from
 * the failing row, the rows around it and re-encodings with other seq
 * values; signed checkpoints show what a consistent rewrite hides
 * (rewritten, truncated). The hot path allocates nothing and fetches no
 * algorithm: one SHA-256 context is reused for every row. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "audit/audit_internal.h"

#define HISTORY 8	/* verified rows remembered before a failure */
#define LOOKAHEAD 8	/* rows read after a failure to classify it */
#define MOVE_WINDOW 8	/* a moved row is looked for this far from its place */
/* An event more than this much newer than a checkpoint cannot have been in
 * the chain the checkpoint signed (the checkpoint's time is whole seconds,
 * from another host's clock). */
#define LATE_MARGIN_US (60LL * 1000000)

static const unsigned char zero_hash[AUDIT_HASH_LEN];

struct hist {
	int64_t seq;
	unsigned char prev[AUDIT_HASH_LEN];
	unsigned char hash[AUDIT_HASH_LEN];
};

/* A row kept for diagnosis: chain fields and its encoding. */
struct slot {
	int64_t seq;
	int64_t event_id;
	int64_t at_us;
	unsigned char prev[AUDIT_HASH_LEN];
	unsigned char hash[AUDIT_HASH_LEN];
	unsigned char *enc;
	size_t len;
	size_t cap;
};

struct cp_entry {
	struct audit_checkpoint cp;
	char source[96];
};

struct audit_verifier {
	enum audit_verify_mode mode;
	struct audit_sha sha;
	unsigned char *buf;		/* prev_hash || encoding of the row at hand */
	size_t cap;

	struct audit_key **keys;
	int nkeys;
	struct cp_entry *cps;
	int ncps, capcps;
	bool cps_sorted;
	int cp_next;			/* first checkpoint not yet passed */

	bool anchored;
	bool trust_first;
	int64_t end;			/* > 0: a segment ending at this seq */
	int64_t next_seq;
	unsigned char prev[AUDIT_HASH_LEN];
	int64_t last_good_cp;		/* seq of the last matching checkpoint or anchor */
	int64_t first_late;		/* first seq since then newer than the pending checkpoint */

	struct hist hist[HISTORY];
	int nhist;			/* entries used; hist[(hpos - k) % HISTORY] is k-th back */
	int hpos;

	bool diagnosing;
	struct slot fail;
	struct slot ahead[LOOKAHEAD];
	int nahead;

	bool done;
	char where[160];
	struct audit_report rep;
};

int audit_verifier_new(struct audit_verifier **out, enum audit_verify_mode mode, struct otp_err *err)
{
	otp_err_clear(err);
	struct audit_verifier *v = calloc(1, sizeof *v);
	if (!v)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	if (audit_sha_init(&v->sha, err) != 0) {
		free(v);
		return -1;
	}
	v->mode = mode;
	v->cps_sorted = true;
	otp_strlcpy(v->where, "input", sizeof v->where);
	*out = v;
	return 0;
}

void audit_verifier_free(struct audit_verifier *v)
{
	if (!v)
		return;
	audit_sha_done(&v->sha);
	free(v->buf);
	for (int i = 0; i < v->nkeys; i++)
		audit_key_free(v->keys[i]);
	free(v->keys);
	free(v->cps);
	free(v->fail.enc);
	for (int i = 0; i < LOOKAHEAD; i++)
		free(v->ahead[i].enc);
	free(v);
}

int audit_verifier_add_key(struct audit_verifier *v, const struct audit_key *key, struct otp_err *err)
{
	/* keep our own reference: the caller may free its key */
	struct audit_key *copy = NULL;
	struct audit_key **nk = realloc(v->keys, (size_t)(v->nkeys + 1) * sizeof *nk);
	if (!nk)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	v->keys = nk;
	if (audit_key_dup(key, &copy, err) != 0)
		return -1;
	v->keys[v->nkeys++] = copy;
	return 0;
}

int audit_verifier_add_checkpoint(struct audit_verifier *v, const struct audit_checkpoint *cp, const char *source,
				  struct otp_err *err)
{
	if (v->ncps == v->capcps) {
		int cap = v->capcps ? 2 * v->capcps : 16;
		struct cp_entry *n = realloc(v->cps, (size_t)cap * sizeof *n);
		if (!n)
			return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
		v->cps = n;
		v->capcps = cap;
	}
	struct cp_entry *e = &v->cps[v->ncps++];
	e->cp = *cp;
	otp_strlcpy(e->source, source ? source : "", sizeof e->source);
	v->cps_sorted = false;
	return 0;
}

int audit_verifier_load_checkpoints(struct audit_verifier *v, const char *path, struct otp_err *err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return otp_err_set(err, OTP_ERR_IO, "cannot open checkpoint file %s", path);
	char line[1024], src[96];
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		lineno++;
		const char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\r' || !*p)
			continue;
		struct audit_checkpoint cp;
		if (audit_checkpoint_parse(p, &cp, err) != 0) {
			char m[sizeof err->message];
			otp_strlcpy(m, err->message, sizeof m);
			rc = otp_err_set(err, OTP_ERR_USAGE, "%s line %d: %s", path, lineno, m);
			break;
		}
		snprintf(src, sizeof src, "%.80s:%d", path, lineno);
		rc = audit_verifier_add_checkpoint(v, &cp, src, err);
	}
	fclose(f);
	return rc;
}

static int cmp_cp(const void *a, const void *b)
{
	const struct cp_entry *x = a, *y = b;
	if (x->cp.seq != y->cp.seq)
		return x->cp.seq < y->cp.seq ? -1 : 1;
	if (x->cp.time != y->cp.time)
		return x->cp.time < y->cp.time ? -1 : 1;
	return memcmp(&x->cp, &y->cp, sizeof x->cp);
}

/* Sort by seq, then time; the same checkpoint from the file and the
 * database is kept once (the first source named). */
static void sort_cps(struct audit_verifier *v)
{
	if (v->cps_sorted)
		return;
	qsort(v->cps, (size_t)v->ncps, sizeof v->cps[0], cmp_cp);
	int n = 0;
	for (int i = 0; i < v->ncps; i++)
		if (n == 0 || memcmp(&v->cps[n - 1].cp, &v->cps[i].cp, sizeof v->cps[i].cp) != 0)
			v->cps[n++] = v->cps[i];
	v->ncps = n;
	v->cps_sorted = true;
}

int audit_verifier_damage(struct audit_verifier *v, enum audit_damage kind, int64_t seq, int64_t seq_to,
			  const char *fmt, ...)
{
	if (v->done)
		return 1;
	v->done = true;
	v->rep.damage = kind;
	v->rep.seq = seq;
	v->rep.seq_to = seq_to >= seq ? seq_to : seq;
	otp_strlcpy(v->rep.where, v->where, sizeof v->rep.where);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->rep.message, sizeof v->rep.message, fmt, ap);
	va_end(ap);
	return 1;
}

bool audit_verifier_done(const struct audit_verifier *v)
{
	return v->done;
}

bool audit_verifier_diagnosing(const struct audit_verifier *v)
{
	return v->diagnosing;
}

bool audit_verifier_fresh(const struct audit_verifier *v)
{
	return !v->anchored && !v->trust_first && v->rep.rows == 0;
}

bool audit_verifier_check_signatures(struct audit_verifier *v)
{
	sort_cps(v);
	v->rep.checkpoints = v->ncps;
	v->rep.signatures_checked = v->nkeys > 0;
	if (v->nkeys == 0)
		return true;
	for (int i = 0; i < v->ncps; i++) {
		const struct audit_checkpoint *cp = &v->cps[i].cp;
		const struct audit_key *key = NULL;
		for (int k = 0; k < v->nkeys && !key; k++)
			if (strcmp(audit_key_id(v->keys[k]), cp->key_id) == 0)
				key = v->keys[k];
		otp_strlcpy(v->where, v->cps[i].source, sizeof v->where);
		if (!key) {
			audit_verifier_damage(v, AUDIT_DAMAGE_FORGED_CHECKPOINT, cp->seq, cp->seq,
					      "checkpoint at seq %lld is signed with unknown key %s",
					      (long long)cp->seq, cp->key_id);
			return false;
		}
		if (!audit_checkpoint_verify(cp, key)) {
			audit_verifier_damage(v, AUDIT_DAMAGE_FORGED_CHECKPOINT, cp->seq, cp->seq,
					      "checkpoint at seq %lld has a bad signature for key %s",
					      (long long)cp->seq, cp->key_id);
			return false;
		}
	}
	return true;
}

void audit_verifier_set_source(struct audit_verifier *v, const char *where)
{
	if (!v->done)
		otp_strlcpy(v->where, where, sizeof v->where);
}

void audit_verifier_anchor(struct audit_verifier *v, int64_t next_seq, const unsigned char prev[AUDIT_HASH_LEN],
			   const char *what)
{
	v->anchored = true;
	v->trust_first = false;
	v->next_seq = next_seq;
	memcpy(v->prev, prev, AUDIT_HASH_LEN);
	v->nhist = 0;
	v->last_good_cp = next_seq - 1;
	v->first_late = 0;
	snprintf(v->rep.anchor, sizeof v->rep.anchor, "%s", what ? what : "given");
}

void audit_verifier_anchor_first_row(struct audit_verifier *v)
{
	v->trust_first = true;
}

void audit_verifier_peek(const struct audit_verifier *v, struct audit_report *rep)
{
	*rep = v->rep;
}

void audit_verifier_set_end(struct audit_verifier *v, int64_t end)
{
	v->end = end;
}

void audit_verifier_continue_from(struct audit_verifier *w, const struct audit_verifier *v)
{
	w->anchored = v->anchored;
	w->trust_first = v->trust_first;
	w->next_seq = v->next_seq;
	memcpy(w->prev, v->prev, AUDIT_HASH_LEN);
	w->last_good_cp = v->last_good_cp;
	w->first_late = v->first_late;
	memcpy(w->rep.anchor, v->rep.anchor, sizeof w->rep.anchor);
}

int audit_verifier_fork(const struct audit_verifier *v, int64_t end, struct audit_verifier **out,
			struct otp_err *err)
{
	struct audit_verifier *w;
	if (audit_verifier_new(&w, v->mode, err) != 0)
		return -1;
	int rc = 0;
	for (int i = 0; i < v->nkeys && rc == 0; i++)
		rc = audit_verifier_add_key(w, v->keys[i], err);
	for (int i = 0; i < v->ncps && rc == 0; i++)
		rc = audit_verifier_add_checkpoint(w, &v->cps[i].cp, v->cps[i].source, err);
	if (rc != 0) {
		audit_verifier_free(w);
		return -1;
	}
	w->trust_first = true;
	w->end = end;
	w->rep.signatures_checked = v->nkeys > 0;
	*out = w;
	return 0;
}

int64_t audit_verifier_next_seq(const struct audit_verifier *v)
{
	return v->anchored ? v->next_seq : 0;
}

void audit_verifier_last_hash(const struct audit_verifier *v, unsigned char out[AUDIT_HASH_LEN])
{
	memcpy(out, v->anchored ? v->prev : zero_hash, AUDIT_HASH_LEN);
}

/* ---- one row ------------------------------------------------------------ */

/* Encode ev into v->buf after its stored prev_hash; returns the encoding's length. */
static size_t encode_row(struct audit_verifier *v, const struct audit_event *ev)
{
	size_t need = audit_encode(ev, v->buf ? v->buf + AUDIT_HASH_LEN : NULL, v->cap > AUDIT_HASH_LEN ? v->cap - AUDIT_HASH_LEN : 0);
	if (need + AUDIT_HASH_LEN > v->cap) {
		size_t cap = (need + AUDIT_HASH_LEN) * 2;
		unsigned char *nb = realloc(v->buf, cap);
		if (!nb)
			return 0;
		v->buf = nb;
		v->cap = cap;
		audit_encode(ev, v->buf + AUDIT_HASH_LEN, v->cap - AUDIT_HASH_LEN);
	}
	memcpy(v->buf, ev->prev_hash, AUDIT_HASH_LEN);
	return need;
}

static int keep_slot(struct slot *s, const struct audit_event *ev, const unsigned char *enc, size_t len)
{
	if (len > s->cap) {
		unsigned char *n = realloc(s->enc, len);
		if (!n)
			return -1;
		s->enc = n;
		s->cap = len;
	}
	memcpy(s->enc, enc, len);
	s->len = len;
	s->seq = ev->seq;
	s->event_id = ev->event_id;
	s->at_us = ev->at_us;
	memcpy(s->prev, ev->prev_hash, AUDIT_HASH_LEN);
	memcpy(s->hash, ev->hash, AUDIT_HASH_LEN);
	return 0;
}

/* Does the slot's data, placed at seq, hash to `hash` when linked to `prev`? */
static bool slot_verifies(struct audit_verifier *v, const struct slot *s, int64_t seq, const unsigned char *prev,
			  const unsigned char *hash)
{
	unsigned char out[AUDIT_HASH_LEN];
	unsigned char saved[8];
	if (s->len < AUDIT_SEQ_OFFSET + 8)
		return false;
	memcpy(saved, s->enc + AUDIT_SEQ_OFFSET, 8);
	audit_put_be64(s->enc + AUDIT_SEQ_OFFSET, seq);
	int rc = audit_sha2(&v->sha, prev, AUDIT_HASH_LEN, s->enc, s->len, out);
	memcpy(s->enc + AUDIT_SEQ_OFFSET, saved, 8);
	return rc == 0 && CRYPTO_memcmp(out, hash, AUDIT_HASH_LEN) == 0;
}

static bool self_at(struct audit_verifier *v, const struct slot *s, int64_t seq)
{
	return slot_verifies(v, s, seq, s->prev, s->hash);
}

static const struct hist *hist_back(const struct audit_verifier *v, int k)
{
	if (k < 1 || k > v->nhist)
		return NULL;
	return &v->hist[(v->hpos - k + HISTORY) % HISTORY];
}

/* ---- classification ----------------------------------------------------- */

/* Is a row among the failing one and those after it the event that was at seq e? */
static const struct slot *original_of(struct audit_verifier *v, int64_t e)
{
	if (self_at(v, &v->fail, e))
		return &v->fail;
	for (int j = 0; j < v->nahead; j++)
		if (v->ahead[j].seq != e && self_at(v, &v->ahead[j], e))
			return &v->ahead[j];
	return NULL;
}

/* A later row whose hash is the failing row's prev_hash: its predecessor moved after it. */
static const struct slot *predecessor_after(const struct audit_verifier *v)
{
	for (int j = 0; j < v->nahead; j++)
		if (memcmp(v->ahead[j].hash, v->fail.prev, AUDIT_HASH_LEN) == 0)
			return &v->ahead[j];
	return NULL;
}

static void classify(struct audit_verifier *v)
{
	struct slot *f = &v->fail;
	const int64_t e = v->next_seq;
	const long long fe = (long long)f->event_id, E = (long long)e, F = (long long)f->seq;
	const bool link = memcmp(f->prev, v->prev, AUDIT_HASH_LEN) == 0;
	const bool self = self_at(v, f, f->seq);
	const struct hist *h1 = hist_back(v, 1), *h2 = hist_back(v, 2);
	const struct slot *s;

	v->diagnosing = false;
	if (f->seq < e) {
		audit_verifier_damage(v, AUDIT_DAMAGE_INSERTED, f->seq, f->seq,
				      "seq %lld appears again (event_id %lld): a row was inserted", F, fe);
		return;
	}
	if (f->seq > e) {
		if ((s = original_of(v, e)) != NULL) {
			audit_verifier_damage(v, AUDIT_DAMAGE_REORDERED, e, e,
					      "the event recorded at seq %lld now sits at seq %lld (event_id %lld)", E,
					      (long long)s->seq, (long long)s->event_id);
			return;
		}
		audit_verifier_damage(v, AUDIT_DAMAGE_DELETED, e, f->seq - 1,
				      "seq %lld..%lld missing: the chain jumps to seq %lld (event_id %lld)", E, F - 1, F, fe);
		return;
	}
	/* The failing row's predecessor comes later: rows were reordered. */
	if (!link && (s = predecessor_after(v)) != NULL) {
		audit_verifier_damage(v, AUDIT_DAMAGE_REORDERED, e, s->seq,
				      "seq %lld (event_id %lld) links to the row now at seq %lld: rows were reordered", E, fe,
				      (long long)s->seq);
		return;
	}
	/* An intruder: the next row was seq e before and links to where we stand. */
	if (v->nahead > 0 && memcmp(v->ahead[0].prev, v->prev, AUDIT_HASH_LEN) == 0 && self_at(v, &v->ahead[0], e)) {
		audit_verifier_damage(v, AUDIT_DAMAGE_INSERTED, e, e,
				      "seq %lld (event_id %lld) was inserted: the next row was seq %lld before and links to seq %lld",
				      E, fe, E, E - 1);
		return;
	}
	if (link && !self) {
		for (int j = 0; j < v->nahead; j++)
			if (slot_verifies(v, f, v->ahead[j].seq, v->ahead[j].prev, v->ahead[j].hash)) {
				audit_verifier_damage(v, AUDIT_DAMAGE_REORDERED, e, v->ahead[j].seq,
						      "the contents of seq %lld belong at seq %lld: rows were swapped", E,
						      (long long)v->ahead[j].seq);
				return;
			}
		audit_verifier_damage(v, AUDIT_DAMAGE_MODIFIED, e, e,
				      "seq %lld (event_id %lld) does not match its hash: its contents were changed", E, fe);
		return;
	}
	if (!link && self) {
		if (h1 && h2 && memcmp(f->prev, h2->hash, AUDIT_HASH_LEN) == 0) {
			audit_verifier_damage(v, AUDIT_DAMAGE_INSERTED, h1->seq, h1->seq,
					      "seq %lld links past seq %lld, which was inserted", E, (long long)h1->seq);
			return;
		}
		if (h1) {
			audit_verifier_damage(v, AUDIT_DAMAGE_MODIFIED, h1->seq, h1->seq,
					      "seq %lld was changed and re-hashed: seq %lld recorded another hash for it",
					      (long long)h1->seq, E);
			return;
		}
		audit_verifier_damage(v, AUDIT_DAMAGE_MODIFIED, e, e,
				      "seq %lld (event_id %lld) does not link to its anchor (%s)", E, fe, v->rep.anchor);
		return;
	}
	/* Neither linked nor self-consistent: was the row moved from another seq? */
	int64_t from = 0;
	for (int64_t d = 1; d <= MOVE_WINDOW && !from; d++) {
		if (self_at(v, f, e + d))
			from = e + d;
		else if (e - d >= 1 && self_at(v, f, e - d))
			from = e - d;
	}
	if (from > e) {
		if (original_of(v, e)) {
			audit_verifier_damage(v, AUDIT_DAMAGE_REORDERED, e, from,
					      "the event at seq %lld (event_id %lld) was seq %lld: rows were reordered", E, fe,
					      (long long)from);
			return;
		}
		audit_verifier_damage(v, AUDIT_DAMAGE_DELETED, e, from - 1,
				      "seq %lld..%lld deleted and the rows after renumbered (event_id %lld was seq %lld)",
				      E, (long long)from - 1, fe, (long long)from);
		return;
	}
	if (from > 0) {
		audit_verifier_damage(v, AUDIT_DAMAGE_INSERTED, from, e - 1,
				      "seq %lld..%lld inserted and the rows after renumbered (event_id %lld was seq %lld)",
				      (long long)from, E - 1, fe, (long long)from);
		return;
	}
	audit_verifier_damage(v, AUDIT_DAMAGE_MODIFIED, e, e,
			      "seq %lld (event_id %lld) matches neither its hash nor the previous row's", E, fe);
}

/* ---- checkpoints while streaming --------------------------------------- */

/* Compare checkpoints at seq with the row just accepted; false on mismatch. */
static bool pass_checkpoints(struct audit_verifier *v, int64_t seq, int64_t at_us, const unsigned char *hash)
{
	while (v->cp_next < v->ncps && v->cps[v->cp_next].cp.seq < seq) {
		v->rep.checkpoints_outside++;	/* before where this verification started */
		v->cp_next++;
	}
	if (v->cp_next >= v->ncps)
		return true;
	const struct cp_entry *pending = &v->cps[v->cp_next];
	if (!v->first_late && at_us > pending->cp.time * 1000000 + LATE_MARGIN_US)
		v->first_late = seq;
	bool matched = false;
	while (v->cp_next < v->ncps && v->cps[v->cp_next].cp.seq == seq) {
		const struct cp_entry *c = &v->cps[v->cp_next++];
		if (memcmp(c->cp.hash, hash, AUDIT_HASH_LEN) == 0) {
			v->rep.checkpoints_matched++;
			v->rep.last_matched_seq = seq;
			matched = true;
			continue;
		}
		char when[24];
		audit_format_utc(c->cp.time, when);
		otp_strlcpy(v->where, c->source, sizeof v->where);
		if (v->first_late)
			audit_verifier_damage(v, AUDIT_DAMAGE_TRUNCATED, v->first_late, seq,
					      "the checkpoint signed %s at seq %lld does not match; seq %lld onwards are newer "
					      "than it: the tail was cut and re-appended",
					      when, (long long)seq, (long long)v->first_late);
		else
			audit_verifier_damage(v, AUDIT_DAMAGE_REWRITTEN, v->last_good_cp + 1, seq,
					      "the chain up to seq %lld differs from the checkpoint signed %s: a row in "
					      "seq %lld..%lld was changed and the chain re-hashed",
					      (long long)seq, when, (long long)v->last_good_cp + 1, (long long)seq);
		return false;
	}
	if (matched) {
		v->last_good_cp = seq;
		v->first_late = 0;
	}
	return true;
}

static void accept(struct audit_verifier *v, const struct audit_event *ev)
{
	struct hist *h = &v->hist[v->hpos];
	h->seq = ev->seq;
	memcpy(h->prev, ev->prev_hash, AUDIT_HASH_LEN);
	memcpy(h->hash, ev->hash, AUDIT_HASH_LEN);
	v->hpos = (v->hpos + 1) % HISTORY;
	if (v->nhist < HISTORY)
		v->nhist++;
	memcpy(v->prev, ev->hash, AUDIT_HASH_LEN);
	v->next_seq = ev->seq + 1;
	if (!v->rep.first_seq) {
		v->rep.first_seq = ev->seq;
		memcpy(v->rep.first_prev_hash, ev->prev_hash, AUDIT_HASH_LEN);
	}
	v->rep.last_seq = ev->seq;
	v->rep.rows++;
}

static void start_at(struct audit_verifier *v, const struct audit_event *ev)
{
	sort_cps(v);
	if (v->trust_first) {
		audit_verifier_anchor(v, ev->seq, ev->prev_hash, "the first row's stored prev_hash (not anchored)");
	} else {
		audit_verifier_anchor(v, 1, zero_hash, "genesis (seq 1, 32 zero bytes)");
	}
}

int audit_verifier_feed(struct audit_verifier *v, const struct audit_event *rows, size_t n)
{
	for (size_t i = 0; i < n && !v->done; i++) {
		const struct audit_event *ev = &rows[i];
		if (!ev->sealed || ev->seq <= 0) {
			v->rep.unsealed++;
			continue;
		}
		size_t len = encode_row(v, ev);
		if (!len) {
			v->rep.incomplete = true;
			audit_verifier_damage(v, AUDIT_DAMAGE_NONE, ev->seq, ev->seq, "out of memory");
			break;
		}
		if (v->diagnosing) {
			if (keep_slot(&v->ahead[v->nahead], ev, v->buf + AUDIT_HASH_LEN, len) == 0)
				v->nahead++;
			if (v->nahead == LOOKAHEAD)
				classify(v);
			continue;
		}
		if (!v->anchored)
			start_at(v, ev);
		if (v->mode == AUDIT_VERIFY_EXPORT && ev->seq > v->next_seq) {
			/* a filtered export: a new run starts, linked to what the row says */
			v->rep.gaps++;
			v->next_seq = ev->seq;
			memcpy(v->prev, ev->prev_hash, AUDIT_HASH_LEN);
			v->nhist = 0;
			v->last_good_cp = ev->seq - 1;
			v->first_late = 0;
		}
		unsigned char computed[AUDIT_HASH_LEN];
		bool ok = ev->seq == v->next_seq && memcmp(ev->prev_hash, v->prev, AUDIT_HASH_LEN) == 0 &&
			  audit_sha2(&v->sha, v->buf, AUDIT_HASH_LEN + len, NULL, 0, computed) == 0 &&
			  memcmp(computed, ev->hash, AUDIT_HASH_LEN) == 0;
		if (ok) {
			accept(v, ev);
			if (!pass_checkpoints(v, ev->seq, ev->at_us, ev->hash))
				break;
			continue;
		}
		if (keep_slot(&v->fail, ev, v->buf + AUDIT_HASH_LEN, len) != 0) {
			v->rep.incomplete = true;
			audit_verifier_damage(v, AUDIT_DAMAGE_NONE, ev->seq, ev->seq, "out of memory");
			break;
		}
		otp_strlcpy(v->rep.where, v->where, sizeof v->rep.where);
		v->diagnosing = true;
		v->nahead = 0;
	}
	return v->done ? 1 : 0;
}

int audit_verifier_segment_end(struct audit_verifier *v, int64_t last_seq, const unsigned char last_hash[AUDIT_HASH_LEN])
{
	if (v->done || v->diagnosing)
		return v->done;
	int64_t at = v->anchored ? v->next_seq - 1 : 0;
	if (at < last_seq)
		return audit_verifier_damage(v, AUDIT_DAMAGE_TRUNCATED, at + 1, last_seq,
					     "the segment says it ends at seq %lld but its rows end at seq %lld",
					     (long long)last_seq, (long long)at);
	if (at > last_seq)
		return audit_verifier_damage(v, AUDIT_DAMAGE_INSERTED, last_seq + 1, at,
					     "the segment says it ends at seq %lld but has rows up to seq %lld",
					     (long long)last_seq, (long long)at);
	if (memcmp(v->prev, last_hash, AUDIT_HASH_LEN) != 0)
		return audit_verifier_damage(v, AUDIT_DAMAGE_MODIFIED, last_seq, last_seq,
					     "the segment's recorded last hash differs from seq %lld's", (long long)last_seq);
	return 0;
}

void audit_verifier_finish(struct audit_verifier *v, int64_t head_seq, const unsigned char *head_hash,
			   struct audit_report *rep)
{
	sort_cps(v);
	if (v->diagnosing && !v->done)
		classify(v);
	int64_t last = v->anchored ? v->next_seq - 1 : 0;
	if (!v->done && v->mode == AUDIT_VERIFY_CHAIN) {
		/* checkpoints beyond the end: the tail is gone */
		while (v->cp_next < v->ncps && v->cps[v->cp_next].cp.seq <= last)
			v->cp_next++;
		if (v->cp_next < v->ncps && (!v->end || v->cps[v->cp_next].cp.seq <= v->end)) {
			const struct cp_entry *c = &v->cps[v->cp_next];
			char when[24];
			audit_format_utc(c->cp.time, when);
			otp_strlcpy(v->where, c->source, sizeof v->where);
			audit_verifier_damage(v, AUDIT_DAMAGE_TRUNCATED, last + 1, c->cp.seq,
					      "a checkpoint signed %s is at seq %lld but the chain ends at seq %lld", when,
					      (long long)c->cp.seq, (long long)last);
		}
	}
	if (!v->done && head_hash) {
		otp_strlcpy(v->where, "chain head", sizeof v->where);
		unsigned char here[AUDIT_HASH_LEN];
		audit_verifier_last_hash(v, here);
		if (head_seq > last)
			audit_verifier_damage(v, AUDIT_DAMAGE_TRUNCATED, last + 1, head_seq,
					      "the chain head is at seq %lld but the rows end at seq %lld",
					      (long long)head_seq, (long long)last);
		else if (head_seq < last)
			audit_verifier_damage(v, AUDIT_DAMAGE_INSERTED, head_seq + 1, last,
					      "rows after the chain head (seq %lld) up to seq %lld were inserted",
					      (long long)head_seq, (long long)last);
		else if (memcmp(here, head_hash, AUDIT_HASH_LEN) != 0)
			audit_verifier_damage(v, AUDIT_DAMAGE_REWRITTEN, v->last_good_cp + 1, head_seq,
					      "the chain head records another hash for seq %lld", (long long)head_seq);
	}
	v->rep.checkpoints = v->ncps;
	v->rep.signatures_checked = v->nkeys > 0;
	memcpy(v->rep.last_hash, v->anchored ? v->prev : zero_hash, AUDIT_HASH_LEN);
	if (!v->done) {
		v->rep.damage = AUDIT_DAMAGE_NONE;
		otp_strlcpy(v->rep.message, "the chain verifies", sizeof v->rep.message);
	}
	*rep = v->rep;
}
