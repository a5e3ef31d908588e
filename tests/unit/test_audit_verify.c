/* The verifier's damage classification on synthetic chains: a chain of 30
 * events is built in memory, damaged the way an attacker with superuser
 * rights could (change, delete, insert, reorder, truncate, rewrite, forge a
 * checkpoint), and fed to the verifier; each case must come back with the
 * right kind and first sequence number. */
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "tests/lib/testlib.h"

#define N 30
#define BASE_US 1743465600000000LL	/* 2025-04-01 09:00 Japan time */

static char details[N + 8][32];

/* Event i (seq i + 1), with plausible values. */
static void fill(struct audit_event *e, int i)
{
	memset(e, 0, sizeof *e);
	e->seq = i + 1;
	e->event_id = 100 + i;
	e->at_us = BASE_US + (int64_t)i * 1000000;
	e->actor = (struct audit_text){ "teller01", 8 };
	e->via_role = (struct audit_text){ "otp_teller", 10 };
	e->event = (struct audit_text){ "request.submit", 14 };
	e->outcome = (struct audit_text){ "success", 7 };
	e->reason_code = (struct audit_text){ NULL, -1 };
	e->client_app = (struct audit_text){ "otpdesk", 7 };
	e->client_addr = (struct audit_text){ "192.0.2.10/32", 13 };
	e->branch_code = (struct audit_text){ "012", 3 };
	e->contract_id = (struct audit_text){ "0120000001", 10 };
	e->credential_id = (struct audit_text){ NULL, -1 };
	e->has_request_id = true;
	e->request_id = i;
	snprintf(details[i % (N + 8)], sizeof details[0], "{\"n\": %d}", i);
	e->details = (struct audit_text){ details[i % (N + 8)], (int)strlen(details[i % (N + 8)]) };
	e->sealed = true;
}

/* Recompute prev_hash and hash of ev[from..n) from ev[from - 1] (or genesis). */
static void rehash(struct audit_event *ev, int from, int n)
{
	struct otp_err err;
	for (int i = from; i < n; i++) {
		if (i == 0)
			memset(ev[i].prev_hash, 0, AUDIT_HASH_LEN);
		else
			memcpy(ev[i].prev_hash, ev[i - 1].hash, AUDIT_HASH_LEN);
		audit_event_hash(ev[i].prev_hash, &ev[i], ev[i].hash, &err);
	}
}

static void chain(struct audit_event *ev, int n)
{
	for (int i = 0; i < n; i++)
		fill(&ev[i], i);
	rehash(ev, 0, n);
}

/* Recompute one row's own hash from its stored prev_hash (a careful forger). */
static void self_hash(struct audit_event *e)
{
	struct otp_err err;
	audit_event_hash(e->prev_hash, e, e->hash, &err);
}

static struct audit_key *test_key(int which)
{
	unsigned char seed[32];
	memset(seed, 0x40 + which, sizeof seed);
	struct audit_key *k = NULL;
	struct otp_err err;
	audit_key_from_seed(seed, &k, &err);
	return k;
}

static struct audit_checkpoint checkpoint_at(const struct audit_event *row, int64_t time, struct audit_key *k)
{
	struct audit_checkpoint cp = { .seq = row->seq, .time = time };
	memcpy(cp.hash, row->hash, AUDIT_HASH_LEN);
	struct otp_err err;
	audit_checkpoint_sign(&cp, k, &err);
	return cp;
}

struct run {
	enum audit_verify_mode mode;
	const struct audit_checkpoint *cps;
	int ncps;
	struct audit_key *key;
	bool head;		/* compare with a chain head */
	int64_t head_seq;
	const unsigned char *head_hash;
};

static struct audit_report verify(const struct audit_event *ev, int n, const struct run *r)
{
	struct audit_verifier *v;
	struct otp_err err;
	struct audit_report rep;
	memset(&rep, 0, sizeof rep);
	CU_ASSERT_EQUAL_FATAL(audit_verifier_new(&v, r ? r->mode : AUDIT_VERIFY_CHAIN, &err), 0);
	if (r && r->key)
		audit_verifier_add_key(v, r->key, &err);
	for (int i = 0; r && i < r->ncps; i++)
		audit_verifier_add_checkpoint(v, &r->cps[i], "test", &err);
	if (audit_verifier_check_signatures(v)) {
		/* feed in uneven batches, as the database stream does */
		for (int i = 0; i < n;) {
			int k = n - i < 7 ? n - i : 7;
			if (audit_verifier_feed(v, ev + i, (size_t)k))
				break;
			i += k;
		}
	}
	audit_verifier_finish(v, r && r->head ? r->head_seq : 0, r && r->head ? r->head_hash : NULL, &rep);
	audit_verifier_free(v);
	return rep;
}

#define EXPECT(rep, kind, first)                                                                     \
	do {                                                                                         \
		struct audit_report r_ = (rep);                                                      \
		if (r_.damage != (kind) || r_.seq != (first))                                        \
			fprintf(stderr, "\n  %s:%d: got %s at %lld (%s)", __FILE__, __LINE__,         \
				audit_damage_name(r_.damage), (long long)r_.seq, r_.message);        \
		CU_ASSERT_EQUAL(r_.damage, (kind));                                                  \
		CU_ASSERT_EQUAL(r_.seq, (first));                                                    \
	} while (0)

static void test_intact_chain(void)
{
	struct audit_event ev[N];
	chain(ev, N);
	struct run r = { .head = true, .head_seq = N, .head_hash = ev[N - 1].hash };
	struct audit_report rep = verify(ev, N, &r);
	EXPECT(rep, AUDIT_DAMAGE_NONE, 0);
	CU_ASSERT_EQUAL(rep.rows, N);
	CU_ASSERT_EQUAL(rep.first_seq, 1);
	CU_ASSERT_EQUAL(rep.last_seq, N);
	CU_ASSERT_EQUAL(memcmp(rep.last_hash, ev[N - 1].hash, AUDIT_HASH_LEN), 0);
}

static void test_modified_field(void)
{
	struct audit_event ev[N];
	chain(ev, N);
	ev[9].outcome = (struct audit_text){ "refused", 7 };
	EXPECT(verify(ev, N, NULL), AUDIT_DAMAGE_MODIFIED, 10);
	chain(ev, N);
	ev[9].at_us += 1;	/* one microsecond */
	EXPECT(verify(ev, N, NULL), AUDIT_DAMAGE_MODIFIED, 10);
	chain(ev, N);
	ev[9].prev_hash[0] ^= 1;	/* the stored link itself */
	EXPECT(verify(ev, N, NULL), AUDIT_DAMAGE_MODIFIED, 10);
}

/* The forger re-hashed the changed row itself: the next row still records the old hash. */
static void test_modified_and_rehashed_row(void)
{
	struct audit_event ev[N];
	chain(ev, N);
	ev[9].actor = (struct audit_text){ "someone", 7 };
	self_hash(&ev[9]);
	EXPECT(verify(ev, N, NULL), AUDIT_DAMAGE_MODIFIED, 10);
	/* also when the changed row is the last one: the chain head still records the old hash */
	chain(ev, N);
	unsigned char head[AUDIT_HASH_LEN];
	memcpy(head, ev[N - 1].hash, AUDIT_HASH_LEN);
	ev[N - 1].actor = (struct audit_text){ "someone", 7 };
	self_hash(&ev[N - 1]);
	struct run r = { .head = true, .head_seq = N, .head_hash = head };
	struct audit_report rep = verify(ev, N, &r);
	CU_ASSERT_EQUAL(rep.damage, AUDIT_DAMAGE_REWRITTEN);
	CU_ASSERT_EQUAL(rep.seq_to, N);
}

static void test_deleted_rows(void)
{
	struct audit_event ev[N];
	chain(ev, N);
	memmove(&ev[9], &ev[10], (N - 10) * sizeof ev[0]);	/* seq 10 gone */
	struct audit_report rep = verify(ev, N - 1, NULL);
	EXPECT(rep, AUDIT_DAMAGE_DELETED, 10);
	CU_ASSERT_EQUAL(rep.seq_to, 10);
	chain(ev, N);
	memmove(&ev[9], &ev[12], (N - 12) * sizeof ev[0]);	/* seq 10..12 gone */
	rep = verify(ev, N - 3, NULL);
	EXPECT(rep, AUDIT_DAMAGE_DELETED, 10);
	CU_ASSERT_EQUAL(rep.seq_to, 12);
	chain(ev, N);
	EXPECT(verify(ev + 1, N - 1, NULL), AUDIT_DAMAGE_DELETED, 1);	/* the first row */
}

/* Deleted, and the rows after renumbered to close the gap (hashes untouched). */
static void test_deleted_and_renumbered(void)
{
	struct audit_event ev[N];
	chain(ev, N);
	memmove(&ev[9], &ev[10], (N - 10) * sizeof ev[0]);
	for (int i = 9; i < N - 1; i++)
		ev[i].seq--;
	struct audit_report rep = verify(ev, N - 1, NULL);
	EXPECT(rep, AUDIT_DAMAGE_DELETED, 10);
}

static void test_inserted_rows(void)
{
	struct audit_event ev[N + 1];
	/* a second row claiming seq 10, well formed and linked */
	chain(ev, N);
	memmove(&ev[10], &ev[9], (N - 9) * sizeof ev[0]);
	fill(&ev[10], 9);
	ev[10].event_id = 999;
	ev[10].actor = (struct audit_text){ "forger", 6 };
	memcpy(ev[10].prev_hash, ev[8].hash, AUDIT_HASH_LEN);
	self_hash(&ev[10]);
	EXPECT(verify(ev, N + 1, NULL), AUDIT_DAMAGE_INSERTED, 10);

	/* a well-formed row at seq 10 and the rows after renumbered (not re-hashed) */
	chain(ev, N);
	memmove(&ev[10], &ev[9], (N - 9) * sizeof ev[0]);
	for (int i = 10; i <= N; i++)
		ev[i].seq++;
	fill(&ev[9], 9);
	ev[9].event_id = 999;
	ev[9].actor = (struct audit_text){ "forger", 6 };
	memcpy(ev[9].prev_hash, ev[8].hash, AUDIT_HASH_LEN);
	self_hash(&ev[9]);
	EXPECT(verify(ev, N + 1, NULL), AUDIT_DAMAGE_INSERTED, 10);

	/* a clumsy forgery at seq 10 (no valid hash), rows after renumbered */
	memset(ev[9].hash, 0x5a, AUDIT_HASH_LEN);
	EXPECT(verify(ev, N + 1, NULL), AUDIT_DAMAGE_INSERTED, 10);

	/* a row appended after the chain head */
	chain(ev, N);
	fill(&ev[N], N);
	rehash(ev, N, N + 1);
	struct run r = { .head = true, .head_seq = N, .head_hash = ev[N - 1].hash };
	EXPECT(verify(ev, N + 1, &r), AUDIT_DAMAGE_INSERTED, N + 1);
}

static void test_reordered_rows(void)
{
	struct audit_event ev[N], tmp;
	/* seq values of 10 and 11 exchanged: read in seq order, the rows swap places */
	chain(ev, N);
	tmp = ev[9];
	ev[9] = ev[10];
	ev[10] = tmp;
	ev[9].seq = 10;
	ev[10].seq = 11;
	struct audit_report rep = verify(ev, N, NULL);
	EXPECT(rep, AUDIT_DAMAGE_REORDERED, 10);
	/* the contents exchanged, seq/prev_hash/hash left in place */
	chain(ev, N);
	tmp = ev[9];
	ev[9] = ev[10];
	ev[10] = tmp;
	ev[9].seq = 10;
	ev[10].seq = 11;
	memcpy(ev[9].prev_hash, tmp.prev_hash, AUDIT_HASH_LEN);
	memcpy(ev[9].hash, tmp.hash, AUDIT_HASH_LEN);
	struct audit_event orig[N];
	chain(orig, N);
	memcpy(ev[10].prev_hash, orig[10].prev_hash, AUDIT_HASH_LEN);
	memcpy(ev[10].hash, orig[10].hash, AUDIT_HASH_LEN);
	EXPECT(verify(ev, N, NULL), AUDIT_DAMAGE_REORDERED, 10);
}

static void test_truncated_tail(void)
{
	struct audit_event ev[N];
	chain(ev, N);
	/* the chain head still says N */
	struct run r = { .head = true, .head_seq = N, .head_hash = ev[N - 1].hash };
	struct audit_report rep = verify(ev, N - 5, &r);
	EXPECT(rep, AUDIT_DAMAGE_TRUNCATED, N - 4);
	CU_ASSERT_EQUAL(rep.seq_to, N);
	/* head reset too: only a checkpoint beyond the end shows it */
	struct audit_key *k = test_key(1);
	struct audit_checkpoint cp = checkpoint_at(&ev[N - 1], BASE_US / 1000000 + N + 1, k);
	struct run r2 = { .cps = &cp, .ncps = 1, .key = k, .head = true, .head_seq = N - 5, .head_hash = ev[N - 6].hash };
	EXPECT(verify(ev, N - 5, &r2), AUDIT_DAMAGE_TRUNCATED, N - 4);
	r2.cps = NULL;
	r2.ncps = 0;
	EXPECT(verify(ev, N - 5, &r2), AUDIT_DAMAGE_NONE, 0);	/* undetectable without it */
	audit_key_free(k);
}

/* A row changed and every hash after it recomputed: consistent, so only the
 * signed checkpoint shows it, between the last matching checkpoint and it. */
static void test_rewritten_suffix(void)
{
	struct audit_event ev[N];
	chain(ev, N);
	struct audit_key *k = test_key(2);
	struct audit_checkpoint cps[2] = {
		checkpoint_at(&ev[9], BASE_US / 1000000 + 11, k),
		checkpoint_at(&ev[19], BASE_US / 1000000 + 21, k),
	};
	ev[14].actor = (struct audit_text){ "someone", 7 };
	rehash(ev, 14, N);
	EXPECT(verify(ev, N, NULL), AUDIT_DAMAGE_NONE, 0);	/* consistent */
	struct run r = { .cps = cps, .ncps = 2, .key = k, .head = true, .head_seq = N, .head_hash = ev[N - 1].hash };
	struct audit_report rep = verify(ev, N, &r);
	EXPECT(rep, AUDIT_DAMAGE_REWRITTEN, 11);
	CU_ASSERT_EQUAL(rep.seq_to, 20);
	r.cps = &cps[1];
	r.ncps = 1;
	rep = verify(ev, N, &r);
	EXPECT(rep, AUDIT_DAMAGE_REWRITTEN, 1);
	CU_ASSERT_EQUAL(rep.checkpoints_matched, 0);
	audit_key_free(k);
}

/* The tail cut at seq 21 and new events chained on: rows at or before the
 * checkpoint's seq are newer than the checkpoint itself. */
static void test_truncated_and_reappended(void)
{
	struct audit_event ev[N];
	chain(ev, N);
	struct audit_key *k = test_key(3);
	struct audit_checkpoint cp = checkpoint_at(&ev[24], BASE_US / 1000000 + 26, k);
	for (int i = 20; i < N; i++)
		ev[i].at_us += 3600LL * 1000000;	/* written an hour later */
	rehash(ev, 20, N);
	struct run r = { .cps = &cp, .ncps = 1, .key = k };
	struct audit_report rep = verify(ev, N, &r);
	EXPECT(rep, AUDIT_DAMAGE_TRUNCATED, 21);
	CU_ASSERT_EQUAL(rep.seq_to, 25);
	audit_key_free(k);
}

static void test_forged_checkpoints(void)
{
	struct audit_event ev[N];
	chain(ev, N);
	struct audit_key *good = test_key(4), *other = test_key(5);
	struct audit_checkpoint cps[2] = {
		checkpoint_at(&ev[9], BASE_US / 1000000 + 11, good),
		checkpoint_at(&ev[19], BASE_US / 1000000 + 21, other),	/* a key the auditor does not know */
	};
	struct run r = { .cps = cps, .ncps = 2, .key = good };
	EXPECT(verify(ev, N, &r), AUDIT_DAMAGE_FORGED_CHECKPOINT, 20);
	cps[1] = checkpoint_at(&ev[19], BASE_US / 1000000 + 21, good);
	cps[1].time += 1;	/* signature no longer matches */
	EXPECT(verify(ev, N, &r), AUDIT_DAMAGE_FORGED_CHECKPOINT, 20);
	cps[1].time -= 1;
	struct audit_report rep = verify(ev, N, &r);
	EXPECT(rep, AUDIT_DAMAGE_NONE, 0);
	CU_ASSERT_EQUAL(rep.checkpoints_matched, 2);
	CU_ASSERT(rep.signatures_checked);
	audit_key_free(good);
	audit_key_free(other);
}

/* An export filtered to some events: each run checks on its own. */
static void test_export_runs(void)
{
	struct audit_event ev[N], part[12];
	chain(ev, N);
	memcpy(&part[0], &ev[0], 5 * sizeof ev[0]);	/* seq 1..5 */
	memcpy(&part[5], &ev[11], 7 * sizeof ev[0]);	/* seq 12..18 */
	struct run r = { .mode = AUDIT_VERIFY_EXPORT };
	struct audit_report rep = verify(part, 12, &r);
	EXPECT(rep, AUDIT_DAMAGE_NONE, 0);
	CU_ASSERT_EQUAL(rep.gaps, 1);
	CU_ASSERT_EQUAL(rep.rows, 12);
	part[7].details = (struct audit_text){ "{\"n\": 0}", 8 };
	EXPECT(verify(part, 12, &r), AUDIT_DAMAGE_MODIFIED, 14);
	/* the same rows as a chain: the gap is a deletion */
	chain(ev, N);
	memcpy(&part[5], &ev[11], 7 * sizeof ev[0]);
	EXPECT(verify(part, 12, NULL), AUDIT_DAMAGE_DELETED, 6);
}

/* Unsealed rows are counted, not verified. */
static void test_unsealed_rows_skipped(void)
{
	struct audit_event ev[N + 2];
	chain(ev, N);
	fill(&ev[N], N);
	ev[N].sealed = false;
	ev[N].seq = 0;
	fill(&ev[N + 1], N + 1);
	ev[N + 1].sealed = false;
	ev[N + 1].seq = 0;
	struct audit_report rep = verify(ev, N + 2, NULL);
	EXPECT(rep, AUDIT_DAMAGE_NONE, 0);
	CU_ASSERT_EQUAL(rep.unsealed, 2);
}

TEST_SUITE(audit_verify, "unit/audit_verify", NULL, NULL,
	   TEST(test_intact_chain),
	   TEST(test_modified_field),
	   TEST(test_modified_and_rehashed_row),
	   TEST(test_deleted_rows),
	   TEST(test_deleted_and_renumbered),
	   TEST(test_inserted_rows),
	   TEST(test_reordered_rows),
	   TEST(test_truncated_tail),
	   TEST(test_rewritten_suffix),
	   TEST(test_truncated_and_reappended),
	   TEST(test_forged_checkpoints),
	   TEST(test_export_runs),
	   TEST(test_unsealed_rows_skipped))
