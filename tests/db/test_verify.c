/* The reference verifier against a real database: concurrent submissions of
 * one valid code (exactly one wins), concurrent brute force (the counter
 * stops exactly at the threshold, nothing is accepted after LOCKED), clock
 * skew and drift, replay, unusable keys and seeds (clear error, token left
 * untouched, no secret in the message), and key rotation interrupted midway
 * and resumed. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/db/test_token_fix.h"
#include "tests/lib/dbfix.h"
#include "tests/lib/testlib.h"

#define NTHREADS 32

static int verify(const char *contract, const char *code, int64_t now, struct db_verify_result *r)
{
	struct otp_err err;
	int rc = db_verify(tokfix_verifier(), contract, code, now, r, &err);
	if (rc != 0)
		fprintf(stderr, "\n  verify %s: %s", contract, err.message);
	return rc;
}

/* ---- 32 connections at once ------------------------------------------------ */

struct racer {
	pthread_t thread;
	pthread_barrier_t *start;
	struct db *db;
	struct db_verifier *v;
	const char *contract;
	char codes[8][OTP_CODE_SIZE];
	int ncodes;
	int64_t now;
	struct db_verify_result results[8];
	int errors;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	pthread_barrier_wait(r->start);
	for (int i = 0; i < r->ncodes; i++) {
		struct otp_err err;
		if (db_verify(r->v, r->contract, r->codes[i], r->now, &r->results[i], &err) != 0) {
			fprintf(stderr, "\n  racer: %s", err.message);
			r->errors++;
		}
	}
	return NULL;
}

static struct racer *racers_open(void)
{
	struct racer *rs = calloc(NTHREADS, sizeof *rs);
	for (int i = 0; rs && i < NTHREADS; i++) {
		struct otp_err err;
		rs[i].db = dbfix_connect_as("tok_ver");
		if (!rs[i].db || db_verifier_new(&rs[i].v, rs[i].db, tokfix_key_dir(), &err) != 0)
			return NULL;
	}
	return rs;
}

static void racers_run(struct racer *rs)
{
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		rs[i].start = &start;
		rs[i].errors = 0;
		pthread_create(&rs[i].thread, NULL, race, &rs[i]);
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(rs[i].thread, NULL);
	pthread_barrier_destroy(&start);
}

static void racers_close(struct racer *rs)
{
	for (int i = 0; i < NTHREADS; i++) {
		db_verifier_close(rs[i].v);
		db_close(rs[i].db);
	}
	free(rs);
}

static void test_concurrent_same_code_one_winner(void)
{
	struct tokfix_token t;
	int64_t now = TOKFIX_T0;
	CU_ASSERT_EQUAL_FATAL(tokfix_active(&t, now), 0);
	struct racer *rs = racers_open();
	CU_ASSERT_PTR_NOT_NULL_FATAL(rs);
	for (int round = 1; round <= 4; round++) {
		int64_t at = now + 30 * round;
		char code[OTP_CODE_SIZE];
		tokfix_code_at(&t, at, code);
		for (int i = 0; i < NTHREADS; i++) {
			rs[i].contract = t.contract;
			rs[i].now = at;
			rs[i].ncodes = 1;
			strcpy(rs[i].codes[0], code);
		}
		racers_run(rs);
		int accepted = 0, replays = 0, errors = 0;
		for (int i = 0; i < NTHREADS; i++) {
			errors += rs[i].errors;
			accepted += rs[i].results[0].status == DB_VERIFY_ACCEPTED;
			replays += rs[i].results[0].status == DB_VERIFY_REJECTED &&
				   rs[i].results[0].reason == DB_FAILURE_REPLAY;
		}
		CU_ASSERT_EQUAL(errors, 0);
		CU_ASSERT_EQUAL(accepted, 1);
		CU_ASSERT_EQUAL(replays, NTHREADS - 1);
	}
	racers_close(rs);
	/* replays are recorded but not counted */
	CU_ASSERT_EQUAL(tokfix_count1("SELECT failure_count FROM otp.token WHERE contract_id = $1", t.contract), 0);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.failure WHERE contract_id = $1 AND reason = 'REPLAY'",
				      t.contract), 4 * (NTHREADS - 1));
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE contract_id = $1 AND event = 'otp.verify'"
				      " AND outcome = 'success'", t.contract), 4);
}

static bool is_window_code(const struct tokfix_token *t, int64_t now, const char *code)
{
	for (int64_t d = -2; d <= 2; d++) {
		char c[OTP_CODE_SIZE];
		tokfix_code(t, now / 30 + d, c);
		if (strcmp(c, code) == 0)
			return true;
	}
	return false;
}

static void test_concurrent_brute_force_locks_at_threshold(void)
{
	struct tokfix_token t;
	int64_t now = TOKFIX_T0;
	CU_ASSERT_EQUAL_FATAL(tokfix_active(&t, now), 0);
	long long threshold = tokfix_count1("SELECT lock_threshold FROM otp.policy", NULL);
	struct racer *rs = racers_open();
	CU_ASSERT_PTR_NOT_NULL_FATAL(rs);
	int64_t at = now + 60;
	unsigned seed = 20261124;
	for (int i = 0; i < NTHREADS; i++) {
		rs[i].contract = t.contract;
		rs[i].now = at;
		rs[i].ncodes = 4;
		for (int k = 0; k < 4; k++)
			do
				snprintf(rs[i].codes[k], OTP_CODE_SIZE, "%06u", (unsigned)rand_r(&seed) % 1000000u);
			while (is_window_code(&t, at, rs[i].codes[k]));
	}
	racers_run(rs);
	int rejected = 0, locked = 0, locked_now = 0, accepted = 0, errors = 0, max_count = 0;
	for (int i = 0; i < NTHREADS; i++) {
		errors += rs[i].errors;
		for (int k = 0; k < 4; k++) {
			const struct db_verify_result *r = &rs[i].results[k];
			accepted += r->status == DB_VERIFY_ACCEPTED;
			rejected += r->status == DB_VERIFY_REJECTED;
			locked += r->status == DB_VERIFY_LOCKED;
			locked_now += r->locked_now;
			if (r->failure_count > max_count)
				max_count = r->failure_count;
		}
	}
	CU_ASSERT_EQUAL(errors, 0);
	CU_ASSERT_EQUAL(accepted, 0);
	CU_ASSERT_EQUAL(rejected, threshold - 1);
	CU_ASSERT_EQUAL(locked, NTHREADS * 4 - (threshold - 1));
	CU_ASSERT_EQUAL(locked_now, 1);
	CU_ASSERT_EQUAL(max_count, threshold);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT failure_count FROM otp.token WHERE contract_id = $1", t.contract), threshold);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.token WHERE contract_id = $1 AND state = 'LOCKED'"
				      " AND locked_at IS NOT NULL", t.contract), 1);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.failure WHERE contract_id = $1 AND reason = 'WRONG_CODE'",
				      t.contract), threshold);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.failure WHERE contract_id = $1 AND reason = 'LOCKED'",
				      t.contract), NTHREADS * 4 - threshold);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT max(failure_no) FROM otp.failure WHERE contract_id = $1", t.contract),
			threshold);
	/* the right code after LOCKED: rejected as LOCKED, and recorded */
	char code[OTP_CODE_SIZE];
	struct db_verify_result r;
	tokfix_code_at(&t, at + 30, code);
	CU_ASSERT_EQUAL(verify(t.contract, code, at + 30, &r), 0);
	CU_ASSERT_EQUAL(r.status, DB_VERIFY_LOCKED);
	CU_ASSERT_EQUAL(r.reason, DB_FAILURE_LOCKED);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.failure WHERE contract_id = $1 AND reason = 'LOCKED'",
				      t.contract), NTHREADS * 4 - threshold + 1);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT last_step FROM otp.token WHERE contract_id = $1", t.contract), now / 30);
	racers_close(rs);
}

/* ---- skew, drift, replay ------------------------------------------------------ */

static void test_clock_skew_and_drift(void)
{
	struct tokfix_token a, b, c;
	struct db_verify_result r;
	char code[OTP_CODE_SIZE];
	int64_t now = TOKFIX_T0 + 600, cur = now / 30;
	CU_ASSERT_EQUAL_FATAL(tokfix_active(&a, TOKFIX_T0), 0);
	CU_ASSERT_EQUAL_FATAL(tokfix_active(&b, TOKFIX_T0), 0);
	CU_ASSERT_EQUAL_FATAL(tokfix_active(&c, TOKFIX_T0), 0);

	/* one step late (the phone's clock is behind) and one early */
	tokfix_code(&a, cur - 1, code);
	CU_ASSERT_EQUAL(verify(a.contract, code, now, &r), 0);
	CU_ASSERT_EQUAL(r.status, DB_VERIFY_ACCEPTED);
	CU_ASSERT_EQUAL(r.drift, -1);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT drift FROM otp.token WHERE contract_id = $1", a.contract), -1);
	tokfix_code(&b, cur + 1, code);
	CU_ASSERT_EQUAL(verify(b.contract, code, now, &r), 0);
	CU_ASSERT_EQUAL(r.status, DB_VERIFY_ACCEPTED);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT drift FROM otp.token WHERE contract_id = $1", b.contract), 1);

	/* two steps off: outside the default window of one step */
	CU_ASSERT_EQUAL(tokfix_count1("SELECT window_steps FROM otp.policy", NULL), 1);
	tokfix_code(&c, cur + 2, code);
	CU_ASSERT_EQUAL(verify(c.contract, code, now, &r), 0);
	CU_ASSERT_EQUAL(r.status, DB_VERIFY_REJECTED);
	CU_ASSERT_EQUAL(r.reason, DB_FAILURE_WRONG_CODE);
	tokfix_code(&c, cur - 2, code);
	CU_ASSERT_EQUAL(verify(c.contract, code, now, &r), 0);
	CU_ASSERT_EQUAL(r.status, DB_VERIFY_REJECTED);
	CU_ASSERT_EQUAL(r.remaining, 3);

	/* drift is learnt from an accepted code and centres the next window */
	tokfix_code(&c, cur + 1, code);
	CU_ASSERT_EQUAL(verify(c.contract, code, now, &r), 0);
	CU_ASSERT_EQUAL(r.status, DB_VERIFY_ACCEPTED);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT failure_count FROM otp.token WHERE contract_id = $1", c.contract), 0);
	tokfix_code(&c, cur + 2, code);	/* rejected a moment ago, now inside the window */
	CU_ASSERT_EQUAL(verify(c.contract, code, now, &r), 0);
	CU_ASSERT_EQUAL(r.status, DB_VERIFY_ACCEPTED);
	CU_ASSERT_EQUAL(r.drift, 2);
	tokfix_code(&c, cur + 4, code);	/* 30 s later the phone is 3 steps ahead */
	CU_ASSERT_EQUAL(verify(c.contract, code, now + 30, &r), 0);
	CU_ASSERT_EQUAL(r.status, DB_VERIFY_ACCEPTED);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT drift FROM otp.token WHERE contract_id = $1", c.contract), 3);
	tokfix_code(&c, cur + 1, code);	/* and the real time's code is now too far behind */
	CU_ASSERT_EQUAL(verify(c.contract, code, now + 30, &r), 0);
	CU_ASSERT_EQUAL(r.status, DB_VERIFY_REJECTED);
}

static void test_replay_and_malformed(void)
{
	struct tokfix_token t;
	struct db_verify_result r;
	char code[OTP_CODE_SIZE];
	int64_t now = TOKFIX_T0 + 90;
	CU_ASSERT_EQUAL_FATAL(tokfix_active(&t, TOKFIX_T0), 0);
	tokfix_code_at(&t, now, code);
	CU_ASSERT_EQUAL(verify(t.contract, code, now, &r), 0);
	CU_ASSERT_EQUAL(r.status, DB_VERIFY_ACCEPTED);
	CU_ASSERT_STRING_EQUAL(r.credential_id, t.credential);
	CU_ASSERT_EQUAL(verify(t.contract, code, now, &r), 0);
	CU_ASSERT_EQUAL(r.status, DB_VERIFY_REJECTED);
	CU_ASSERT_EQUAL(r.reason, DB_FAILURE_REPLAY);
	CU_ASSERT_EQUAL(verify(t.contract, code, now + 10, &r), 0);	/* same step, later */
	CU_ASSERT_EQUAL(r.reason, DB_FAILURE_REPLAY);
	/* the code of the registration step is spent too */
	tokfix_code_at(&t, TOKFIX_T0, code);
	CU_ASSERT_EQUAL(verify(t.contract, code, TOKFIX_T0, &r), 0);
	CU_ASSERT_EQUAL(r.reason, DB_FAILURE_REPLAY);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.failure WHERE contract_id = $1 AND reason = 'REPLAY'",
				      t.contract), 3);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT failure_count FROM otp.token WHERE contract_id = $1", t.contract), 0);
	/* malformed codes count as failures */
	static const char *const bad[] = { "12345", "1234567", "12a456", "" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CU_ASSERT_EQUAL(verify(t.contract, bad[i], now + 30, &r), 0);
		CU_ASSERT_EQUAL(r.status, i + 1 < 5 ? DB_VERIFY_REJECTED : DB_VERIFY_LOCKED);
		CU_ASSERT_EQUAL(r.reason, DB_FAILURE_MALFORMED);
		CU_ASSERT_EQUAL(r.failure_count, (int)i + 1);
	}
	/* a right code resets the counter */
	tokfix_code_at(&t, now + 30, code);
	CU_ASSERT_EQUAL(verify(t.contract, code, now + 30, &r), 0);
	CU_ASSERT_EQUAL(r.status, DB_VERIFY_ACCEPTED);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT failure_count FROM otp.token WHERE contract_id = $1", t.contract), 0);
	/* nothing in the audit trail carries a code */
	const char *p[2] = { t.contract, code };
	char n[32];
	dbfix_valuep("SELECT count(*) FROM otp.audit_event WHERE contract_id = $1 AND details::text LIKE '%' || $2 || '%'",
		     2, p, n, sizeof n);
	CU_ASSERT_STRING_EQUAL(n, "0");
}

static void test_unknown_and_not_active(void)
{
	struct db_verify_result r;
	struct otp_err err;
	CU_ASSERT_EQUAL(verify("0999999999", "123456", TOKFIX_T0, &r), 0);
	CU_ASSERT_EQUAL(r.status, DB_VERIFY_UNKNOWN);
	CU_ASSERT_EQUAL(db_verify(tokfix_verifier(), "12345", "123456", TOKFIX_T0, &r, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	/* fixture: 0120000002 LOCKED */
	long long before = tokfix_count1("SELECT count(*) FROM otp.failure WHERE contract_id = $1", "0120000002");
	CU_ASSERT_EQUAL(verify("0120000002", "123456", TOKFIX_T0, &r), 0);
	CU_ASSERT_EQUAL(r.status, DB_VERIFY_LOCKED);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.failure WHERE contract_id = $1 AND reason = 'LOCKED'",
				      "0120000002"), 1);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.failure WHERE contract_id = $1", "0120000002"), before + 1);
	/* provisioned but not registered yet */
	struct tokfix_token t;
	char code[OTP_CODE_SIZE], fresh[16];
	tokfix_contract(fresh);
	CU_ASSERT_EQUAL_FATAL(tokfix_provision(fresh, &t), 0);
	tokfix_code_at(&t, TOKFIX_T0, code);
	CU_ASSERT_EQUAL(verify(fresh, code, TOKFIX_T0, &r), 0);
	CU_ASSERT_EQUAL(r.status, DB_VERIFY_NOT_ACTIVE);
	CU_ASSERT_EQUAL(r.reason, DB_FAILURE_NOT_ACTIVE);
	/* a stopped token rejects its right code */
	CU_ASSERT_EQUAL_FATAL(tokfix_active(&t, TOKFIX_T0), 0);
	const char *p[1] = { t.contract };
	PGresult *res = PQexecParams(dbfix_pg(), "UPDATE otp.token SET state = 'STOPPED', stopped_at = now()"
				     " WHERE contract_id = $1", 1, NULL, p, NULL, NULL, 0);
	PQclear(res);
	tokfix_code_at(&t, TOKFIX_T0 + 30, code);
	CU_ASSERT_EQUAL(verify(t.contract, code, TOKFIX_T0 + 30, &r), 0);
	CU_ASSERT_EQUAL(r.status, DB_VERIFY_NOT_ACTIVE);
	/* only the verifier service may verify: others are refused by the grants */
	struct db *tel = dbfix_connect_as("tok_tel");
	struct db_verifier *v = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(tel);
	CU_ASSERT_EQUAL_FATAL(db_verifier_new(&v, tel, tokfix_key_dir(), &err), 0);
	CU_ASSERT_EQUAL(db_verify(v, t.contract, code, TOKFIX_T0 + 30, &r, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_REFUSED);
	db_verifier_close(v);
	db_close(tel);
}

/* ---- keys and seeds that cannot be used ----------------------------------------- */

/* err must name the credential and the key version and hold no form of the seed. */
static void assert_crypto_error(const struct otp_err *err, const struct tokfix_token *t, const char *version)
{
	char all[2048], hex[2 * OTP_SECRET_MAX + 1], b32[256];
	struct otp_err e2;
	CU_ASSERT_EQUAL(err->kind, OTP_ERR_CRYPTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err->message, t->credential));
	CU_ASSERT_PTR_NOT_NULL(strstr(err->message, version));
	snprintf(all, sizeof all, "%s|%s|%s", err->message, err->detail, err->hint);
	for (size_t i = 0; i < t->seedlen; i++)
		sprintf(hex + 2 * i, "%02x", t->seed[i]);
	CU_ASSERT_EQUAL_FATAL(otp_base32_encode(t->seed, t->seedlen, false, b32, sizeof b32, &e2) > 0, 1);
	CU_ASSERT_PTR_NULL(strstr(all, hex));
	CU_ASSERT_PTR_NULL(strcasestr(all, b32));
	CU_ASSERT_PTR_NULL(memmem(all, strlen(all), t->seed, 8));
}

static void test_key_missing_wrong_or_seed_corrupt(void)
{
	struct tokfix_token t;
	struct db_verify_result r;
	struct otp_err err;
	char code[OTP_CODE_SIZE], before[2048], after[2048];
	int64_t now = TOKFIX_T0 + 120;
	CU_ASSERT_EQUAL_FATAL(tokfix_active(&t, TOKFIX_T0), 0);
	tokfix_code_at(&t, now, code);
	char version[32];
	snprintf(version, sizeof version, "key version %lld",
		 tokfix_count1("SELECT key_version FROM otp.token WHERE contract_id = $1", t.contract));
	long long failures = tokfix_count1("SELECT count(*) FROM otp.failure WHERE contract_id = $1", t.contract);
	long long events = tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE contract_id = $1", t.contract);

	char empty[] = "/tmp/otpdesk-test-nokeys-XXXXXX", wrong[] = "/tmp/otpdesk-test-wrongkeys-XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(empty));
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(wrong));
	struct db_keyring *kr = NULL;
	int v = 0;
	CU_ASSERT_EQUAL(db_keyring_open(&kr, wrong, &err), 0);
	for (long long k = tokfix_count1("SELECT key_version FROM otp.token WHERE contract_id = $1", t.contract); k > 0; k--)
		CU_ASSERT_EQUAL(db_keyring_create(kr, &v, &err), 0);	/* same versions, other keys */
	db_keyring_close(kr);

	const char *dirs[2] = { empty, wrong };
	struct db *vdb = dbfix_connect_as("tok_ver");
	CU_ASSERT_PTR_NOT_NULL_FATAL(vdb);
	for (int i = 0; i < 2; i++) {
		struct db_verifier *ver = NULL;
		CU_ASSERT_EQUAL_FATAL(db_verifier_new(&ver, vdb, dirs[i], &err), 0);
		tokfix_row(t.contract, before, sizeof before);
		CU_ASSERT_EQUAL(db_verify(ver, t.contract, code, now, &r, &err), -1);
		assert_crypto_error(&err, &t, version);
		tokfix_row(t.contract, after, sizeof after);
		CU_ASSERT_STRING_EQUAL(before, after);
		db_verifier_close(ver);
	}
	/* a key file readable by others is refused, with the reason */
	char path[256];
	snprintf(path, sizeof path, "%s/seed-key.%d", wrong, v);
	chmod(path, 0644);
	struct db_verifier *ver = NULL;
	CU_ASSERT_EQUAL_FATAL(db_verifier_new(&ver, vdb, wrong, &err), 0);
	CU_ASSERT_EQUAL(db_verify(ver, t.contract, code, now, &r, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_CRYPTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "0644"));
	db_verifier_close(ver);

	/* a damaged stored seed (one flipped bit of the ciphertext) */
	const char *p[1] = { t.contract };
	PGresult *res = PQexecParams(dbfix_pg(), "UPDATE otp.token SET seed = set_byte(seed, 20, get_byte(seed, 20) # 1)"
				     " WHERE contract_id = $1", 1, NULL, p, NULL, NULL, 0);
	CU_ASSERT_EQUAL(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	tokfix_row(t.contract, before, sizeof before);
	CU_ASSERT_EQUAL(db_verify(tokfix_verifier(), t.contract, code, now, &r, &err), -1);
	assert_crypto_error(&err, &t, version);
	tokfix_row(t.contract, after, sizeof after);
	CU_ASSERT_STRING_EQUAL(before, after);
	/* nothing was recorded for any of these attempts */
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.failure WHERE contract_id = $1", t.contract), failures);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE contract_id = $1", t.contract), events);
	/* repaired (flipped back), the code verifies */
	res = PQexecParams(dbfix_pg(), "UPDATE otp.token SET seed = set_byte(seed, 20, get_byte(seed, 20) # 1)"
			   " WHERE contract_id = $1", 1, NULL, p, NULL, NULL, 0);
	PQclear(res);
	CU_ASSERT_EQUAL(verify(t.contract, code, now, &r), 0);
	CU_ASSERT_EQUAL(r.status, DB_VERIFY_ACCEPTED);

	db_close(vdb);
	snprintf(path, sizeof path, "%s/seed-key.%d", wrong, v);
	for (int k = v; k > 0; k--) {
		snprintf(path, sizeof path, "%s/seed-key.%d", wrong, k);
		unlink(path);
	}
	rmdir(wrong);
	rmdir(empty);
}

/* ---- rotation ------------------------------------------------------------------- */

#define NROT 7

static void test_rotation_interrupted_and_resumed(void)
{
	struct tokfix_token t[NROT];
	struct db_keyring *kr = NULL;
	struct db_rotate_stats st;
	struct db_verify_result r;
	struct otp_err err;
	char code[OTP_CODE_SIZE];
	for (int i = 0; i < NROT; i++)
		CU_ASSERT_EQUAL_FATAL(tokfix_active(&t[i], TOKFIX_T0), 0);
	CU_ASSERT_EQUAL_FATAL(db_keyring_open(&kr, tokfix_key_dir(), &err), 0);
	int old = db_keyring_newest(kr, &err);
	long long seeds = tokfix_count1("SELECT count(*) FROM otp_api.sealed_seeds", NULL);
	CU_ASSERT(seeds >= NROT);

	/* interrupted: two batches of two, then stop */
	CU_ASSERT_EQUAL_FATAL(db_keys_rotate(tokfix_admin(), kr, 2, 2, &st, NULL, NULL, &err), 0);
	CU_ASSERT(st.created);
	CU_ASSERT_EQUAL(st.version, old + 1);
	CU_ASSERT_EQUAL(st.batches, 2);
	CU_ASSERT_EQUAL(st.resealed, 4);
	CU_ASSERT_EQUAL(st.remaining, seeds - 4);
	char vs[16];
	snprintf(vs, sizeof vs, "%d", old + 1);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp_api.sealed_seeds WHERE key_version = $1::int", vs), 4);
	/* every token verifies in between, whatever its key version (a fresh verifier) */
	struct db *vdb = dbfix_connect_as("tok_ver");
	struct db_verifier *v = NULL;
	CU_ASSERT_EQUAL_FATAL(db_verifier_new(&v, vdb, tokfix_key_dir(), &err), 0);
	for (int i = 0; i < NROT; i++) {
		tokfix_code_at(&t[i], TOKFIX_T0 + 30, code);
		CU_ASSERT_EQUAL(db_verify(v, t[i].contract, code, TOKFIX_T0 + 30, &r, &err), 0);
		CU_ASSERT_EQUAL(r.status, DB_VERIFY_ACCEPTED);
	}
	/* resumed: no new key, everything under the new version */
	CU_ASSERT_EQUAL_FATAL(db_keys_rotate(tokfix_admin(), kr, 2, 0, &st, NULL, NULL, &err), 0);
	CU_ASSERT(!st.created);
	CU_ASSERT_EQUAL(st.version, old + 1);
	CU_ASSERT_EQUAL(st.resealed, seeds - 4);
	CU_ASSERT_EQUAL(st.remaining, 0);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp_api.sealed_seeds WHERE key_version <> $1::int", vs), 0);
	CU_ASSERT(tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE event = 'token.rekey'", NULL) >= 2);
	for (int i = 0; i < NROT; i++) {
		tokfix_code_at(&t[i], TOKFIX_T0 + 60, code);
		CU_ASSERT_EQUAL(db_verify(v, t[i].contract, code, TOKFIX_T0 + 60, &r, &err), 0);
		CU_ASSERT_EQUAL(r.status, DB_VERIFY_ACCEPTED);
	}
	/* the verifier that cached the old key still opens new seeds (loads the new key once) */
	tokfix_code_at(&t[0], TOKFIX_T0 + 90, code);
	CU_ASSERT_EQUAL(verify(t[0].contract, code, TOKFIX_T0 + 90, &r), 0);
	CU_ASSERT_EQUAL(r.status, DB_VERIFY_ACCEPTED);
	db_verifier_close(v);
	db_close(vdb);
	db_keyring_close(kr);
}

TEST_SUITE(verify, "db/verify", tokfix_init, NULL,
	   TEST(test_concurrent_same_code_one_winner),
	   TEST(test_concurrent_brute_force_locks_at_threshold),
	   TEST(test_clock_skew_and_drift),
	   TEST(test_replay_and_malformed),
	   TEST(test_unknown_and_not_active),
	   TEST(test_key_missing_wrong_or_seed_corrupt),
	   TEST(test_rotation_interrupted_and_resumed))
