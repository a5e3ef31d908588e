/* The token life cycle through the SQL API and db/token.h: provisioning,
 * registration, exchange, stop, PSKC import of stock credentials, bulk
 * seeding of seedless demo tokens, demo codes, auto-unlock, and the
 * refusals: wrong role (OD001, audited), wrong state, wrong code, fraud hold,
 * a provisional credential voided by wrong codes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/db/test_token_fix.h"
#include "tests/lib/dbfix.h"
#include "tests/lib/testlib.h"

#define DATA OTP_SRCDIR "/tests/data/pskc/"

static int reg(const char *contract, const char *credential, const char *code, int64_t now, struct otp_err *err)
{
	struct db_outcome out;
	return db_token_register(tokfix_verifier(), contract, credential, code, now, &out, err);
}

static enum db_verify_status verify_status(const char *contract, const char *code, int64_t now)
{
	struct db_verify_result r;
	struct otp_err err;
	if (db_verify(tokfix_verifier(), contract, code, now, &r, &err) != 0) {
		fprintf(stderr, "\n  verify %s: %s", contract, err.message);
		return DB_VERIFY_STATUS_COUNT;
	}
	return r.status;
}

static long long state_is(const char *contract, const char *state)
{
	const char *p[2] = { contract, state };
	char v[16];
	dbfix_valuep("SELECT count(*) FROM otp.token WHERE contract_id = $1 AND state = $2", 2, p, v, sizeof v);
	return atoll(v);
}

static void test_provision_register_verify(void)
{
	struct tokfix_token t;
	struct otp_err err;
	char code[OTP_CODE_SIZE];
	int64_t now = TOKFIX_T0;
	/* the fixture's UNREGISTERED contract (no credential yet) */
	CU_ASSERT_EQUAL_FATAL(tokfix_provision("0340000002", &t), 0);
	CU_ASSERT(otp_credential_valid(t.credential, &err));
	CU_ASSERT_EQUAL(t.seedlen, DB_SEED_LEN);
	CU_ASSERT_EQUAL(state_is("0340000002", "UNREGISTERED"), 1);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.token WHERE contract_id = $1 AND seed IS NOT NULL"
				      " AND key_version IS NOT NULL", "0340000002"), 1);
	/* not usable before registration */
	tokfix_code_at(&t, now, code);
	CU_ASSERT_EQUAL(verify_status("0340000002", code, now), DB_VERIFY_NOT_ACTIVE);
	/* a wrong code does not register, and counts against the credential */
	CU_ASSERT_EQUAL(reg("0340000002", t.credential, "000000", now, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD010");
	CU_ASSERT_EQUAL(state_is("0340000002", "UNREGISTERED"), 1);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT failure_count FROM otp.token WHERE contract_id = $1", "0340000002"), 1);
	/* the right code does */
	CU_ASSERT_EQUAL(reg("0340000002", t.credential, code, now, &err), 0);
	CU_ASSERT_EQUAL(state_is("0340000002", "ACTIVE"), 1);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT failure_count FROM otp.token WHERE contract_id = $1 AND registered_at"
				      " IS NOT NULL", "0340000002"), 0);
	tokfix_code_at(&t, now + 30, code);
	CU_ASSERT_EQUAL(verify_status("0340000002", code, now + 30), DB_VERIFY_ACCEPTED);
	/* audited, and no audit detail carries the seed */
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE contract_id = $1 AND event ="
				      " 'token.provision' AND outcome = 'success'", "0340000002"), 1);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE contract_id = $1 AND event ="
				      " 'token.register' AND outcome = 'success'", "0340000002"), 1);
	char b32[64];
	CU_ASSERT(otp_base32_encode(t.seed, t.seedlen, false, b32, sizeof b32, &err) > 0);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE details::text LIKE '%' || $1 || '%'", b32),
			0);
	/* provisioning an ACTIVE token's contract is an exchange: the token is unchanged */
	struct tokfix_token n;
	char before[2048], after[2048];
	tokfix_row("0340000002", before, sizeof before);
	CU_ASSERT_EQUAL_FATAL(tokfix_provision("0340000002", &n), 0);
	tokfix_row("0340000002", after, sizeof after);
	CU_ASSERT_STRING_EQUAL(before, after);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.pending_credential WHERE contract_id = $1", "0340000002"), 1);
}

static void test_exchange(void)
{
	struct tokfix_token old, new, newer;
	struct otp_err err;
	char code[OTP_CODE_SIZE];
	int64_t now = TOKFIX_T0 + 300;
	CU_ASSERT_EQUAL_FATAL(tokfix_active(&old, TOKFIX_T0), 0);
	CU_ASSERT_EQUAL_FATAL(tokfix_provision(old.contract, &new), 0);
	CU_ASSERT_STRING_NOT_EQUAL(new.credential, old.credential);
	/* a second exchange provisioning replaces the first pending credential */
	CU_ASSERT_EQUAL_FATAL(tokfix_provision(old.contract, &newer), 0);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.pending_credential WHERE contract_id = $1", old.contract), 1);
	tokfix_code_at(&new, now, code);
	CU_ASSERT_EQUAL(reg(old.contract, new.credential, code, now, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD002");
	/* the old credential keeps working until the exchange is registered */
	tokfix_code_at(&old, now, code);
	CU_ASSERT_EQUAL(verify_status(old.contract, code, now), DB_VERIFY_ACCEPTED);
	/* the old token's code does not register the new credential */
	tokfix_code_at(&old, now + 30, code);
	CU_ASSERT_EQUAL(reg(old.contract, newer.credential, code, now + 30, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD010");
	tokfix_code_at(&newer, now + 30, code);
	CU_ASSERT_EQUAL(reg(old.contract, newer.credential, code, now + 30, &err), 0);
	const char *p[1] = { old.contract };
	char cred[16];
	dbfix_valuep("SELECT credential_id FROM otp.token WHERE contract_id = $1 AND state = 'ACTIVE'", 1, p, cred,
		     sizeof cred);
	CU_ASSERT_STRING_EQUAL(cred, newer.credential);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.pending_credential WHERE contract_id = $1", old.contract), 0);
	/* the registration step is spent; the next one verifies, the old token no longer does */
	CU_ASSERT_EQUAL(verify_status(old.contract, code, now + 30), DB_VERIFY_REJECTED);
	tokfix_code_at(&newer, now + 60, code);
	CU_ASSERT_EQUAL(verify_status(old.contract, code, now + 60), DB_VERIFY_ACCEPTED);
	tokfix_code_at(&old, now + 90, code);
	CU_ASSERT_EQUAL(verify_status(old.contract, code, now + 90), DB_VERIFY_REJECTED);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE contract_id = $1 AND event ="
				       " 'token.register' AND outcome = 'success' AND details->>'mode' = 'exchange'", old.contract), 1);
}

static void test_stop(void)
{
	struct tokfix_token t;
	struct db_verify_result vr;
	struct db_outcome out;
	struct otp_err err;
	char code[OTP_CODE_SIZE];
	int64_t now = TOKFIX_T0 + 600;
	CU_ASSERT_EQUAL_FATAL(tokfix_active(&t, TOKFIX_T0), 0);
	/* a wrong code: not stopped, and counted like any failed code */
	CU_ASSERT_EQUAL(db_token_stop(tokfix_verifier(), t.contract, "000000", now, &vr, &out, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD010");
	CU_ASSERT_EQUAL(vr.status, DB_VERIFY_REJECTED);
	CU_ASSERT_EQUAL(state_is(t.contract, "ACTIVE"), 1);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT failure_count FROM otp.token WHERE contract_id = $1", t.contract), 1);
	tokfix_code_at(&t, now, code);
	CU_ASSERT_EQUAL(db_token_stop(tokfix_verifier(), t.contract, code, now, &vr, &out, &err), 0);
	CU_ASSERT_EQUAL(vr.status, DB_VERIFY_ACCEPTED);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.token WHERE contract_id = $1 AND state = 'STOPPED'"
				      " AND stopped_at IS NOT NULL", t.contract), 1);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE contract_id = $1 AND event = 'token.stop'"
				      " AND outcome = 'success'", t.contract), 1);
	/* stopped: every code is refused, stopping again too, provisioning needs a branch reset */
	tokfix_code_at(&t, now + 30, code);
	CU_ASSERT_EQUAL(verify_status(t.contract, code, now + 30), DB_VERIFY_NOT_ACTIVE);
	CU_ASSERT_EQUAL(db_token_stop(tokfix_verifier(), t.contract, code, now + 30, &vr, &out, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD003");
	struct tokfix_token n;
	CU_ASSERT_EQUAL(tokfix_provision(t.contract, &n), -1);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE contract_id = $1 AND event ="
				      " 'token.provision' AND outcome = 'refused' AND reason_code = 'OD003'", t.contract), 1);
}

static void test_refusals(void)
{
	struct otp_err err;
	struct tokfix_token t;
	/* LOCKED (fixture 0120000002): no new credential before a branch unlock */
	CU_ASSERT_EQUAL(tokfix_provision("0120000002", &t), -1);
	/* a fraud hold blocks provisioning */
	char contract[16];
	tokfix_contract(contract);
	const char *cp[1] = { contract };
	dbfix_sqlp("INSERT INTO otp.fraud_hold (contract_id, reason, set_by) VALUES ($1, 'test', 'x')", 1, cp);
	CU_ASSERT_EQUAL(tokfix_provision(contract, &t), -1);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE contract_id = $1 AND reason_code = 'OD006'",
				      contract), 1);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.token WHERE contract_id = $1", contract), 0);
	/* wrong roles: refused with OD001 and audited */
	static const struct {
		const char *login, *call;
	} cases[] = {
		{ "tok_tel", "SELECT ok, code FROM otp_api.token_provision('0340000001', 'OTPD99999994', NULL, 1, 'sha1', 6, 30)" },
		{ "tok_tel", "SELECT ok, code FROM otp_api.token_register('0340000001', 'OTPD99999994', 1, 0)" },
		{ "tok_adm", "SELECT ok, code FROM otp_api.token_register('0340000001', 'OTPD99999994', 1, 0)" },
		{ "tok_adm", "SELECT ok, code FROM otp_api.token_stop('0340000001', 'OTPD99999994', 1, 0)" },
		{ "tok_adm", "SELECT ok, code FROM otp_api.verify_record(1, 'OTPD99999994', 1, 0, 'MATCH', '')" },
		{ "tok_ver", "SELECT ok, code FROM otp_api.token_seed_apply()" },
		{ "tok_ver", "SELECT ok, code FROM otp_api.seed_rekey('{}', '{}', '{}', '{}', 2)" },
		{ "tok_ver", "SELECT ok, code FROM otp_api.token_import('{}', '{}', 1, '{}', '{}', '{}', '{}', NULL, '')" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		PGconn *c = dbfix_pg_as(cases[i].login);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		const char *login = PQuser(c);
		long long before = tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE actor = $1 AND reason_code = 'OD001'",
						 login);
		PGresult *r = PQexec(c, cases[i].call);
		CU_ASSERT_EQUAL(PQresultStatus(r), PGRES_TUPLES_OK);
		if (PQresultStatus(r) == PGRES_TUPLES_OK) {
			CU_ASSERT_STRING_EQUAL(PQgetvalue(r, 0, 0), "f");
			CU_ASSERT_STRING_EQUAL(PQgetvalue(r, 0, 1), "OD001");
		}
		PQclear(r);
		CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE actor = $1 AND reason_code = 'OD001'",
					      login), before + 1);
		/* and no group reads seeds outside its own views */
		r = PQexec(c, "SELECT count(*) FROM otp_api.verifier_tokens");
		CU_ASSERT_EQUAL(PQresultStatus(r) == PGRES_TUPLES_OK, strcmp(cases[i].login, "tok_ver") == 0);
		PQclear(r);
		PQfinish(c);
	}
	/* a teller cannot provision through the C API either */
	struct db *tel = dbfix_connect_as("tok_tel");
	struct db_keyring *kr = NULL;
	struct db_provision_opts o;
	struct db_provisioned p;
	db_provision_opts_init(&o);
	CU_ASSERT_EQUAL_FATAL(db_keyring_open(&kr, tokfix_key_dir(), &err), 0);
	CU_ASSERT_EQUAL(db_token_provision(tel, kr, "0340000001", &o, &p, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_REFUSED);
	db_keyring_close(kr);
	db_close(tel);
}

static void test_registration_voided_by_wrong_codes(void)
{
	struct tokfix_token t;
	struct otp_err err;
	char contract[16], code[OTP_CODE_SIZE];
	long long threshold = tokfix_count1("SELECT lock_threshold FROM otp.policy", NULL);
	tokfix_contract(contract);
	CU_ASSERT_EQUAL_FATAL(tokfix_provision(contract, &t), 0);
	for (long long i = 0; i < threshold; i++) {
		CU_ASSERT_EQUAL(reg(contract, t.credential, "999999", TOKFIX_T0, &err), -1);
		CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD010");
	}
	tokfix_code_at(&t, TOKFIX_T0, code);
	CU_ASSERT_EQUAL(reg(contract, t.credential, code, TOKFIX_T0, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD003");
	CU_ASSERT_EQUAL(state_is(contract, "UNREGISTERED"), 1);
	/* a new provisioning starts afresh */
	CU_ASSERT_EQUAL_FATAL(tokfix_provision(contract, &t), 0);
	tokfix_code_at(&t, TOKFIX_T0, code);
	CU_ASSERT_EQUAL(reg(contract, t.credential, code, TOKFIX_T0, &err), 0);
	/* somebody else's credential is not registrable */
	struct tokfix_token other;
	char c2[16];
	tokfix_contract(c2);
	CU_ASSERT_EQUAL_FATAL(tokfix_provision(c2, &other), 0);
	tokfix_code_at(&other, TOKFIX_T0, code);
	CU_ASSERT_EQUAL(reg(contract, other.credential, code, TOKFIX_T0, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.sqlstate, "OD002");
}

static void test_pskc_import_and_register_stock(void)
{
	struct otp_pskc *p = NULL;
	struct otp_pskc_auth auth = { .password = "otpdesk-test-password" };
	struct db_keyring *kr = NULL;
	struct db_import_row rows[3];
	struct db_import_opts o = { .prefix = "OTPV", .source = "totp-pbe.pskcxml" };
	struct otp_err err;
	size_t n = 0;
	CU_ASSERT_EQUAL_FATAL(otp_pskc_load(DATA "totp-pbe.pskcxml", &auth, &p, &err), 0);
	CU_ASSERT_EQUAL_FATAL(db_keyring_open(&kr, tokfix_key_dir(), &err), 0);
	CU_ASSERT_EQUAL_FATAL(db_token_import(tokfix_admin(), kr, p, &o, rows, 3, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_STRING_EQUAL(rows[0].credential_id, "HWTK00000014");
	CU_ASSERT(!rows[0].mapped);
	CU_ASSERT(rows[1].mapped && rows[2].mapped);
	CU_ASSERT(strncmp(rows[1].credential_id, "OTPV", 4) == 0 && otp_credential_valid(rows[1].credential_id, &err));
	CU_ASSERT_STRING_EQUAL(rows[2].serial, "VND-000124");
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.pending_credential WHERE contract_id IS NULL AND source ="
				      " 'pskc' AND vendor = 'HardTokenVendor'", NULL), 3);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.pending_credential WHERE credential_id = $1 AND"
				      " vendor_serial = 'VND-000124' AND algo = 'sha256' AND digits = 8 AND period = 60",
				      rows[2].credential_id), 1);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE event = 'token.import'"
				      " AND (details->>'count')::int = 3", NULL), 1);
	/* importing the same file again changes nothing */
	long long pending = tokfix_count1("SELECT count(*) FROM otp.pending_credential", NULL);
	CU_ASSERT_EQUAL(db_token_import(tokfix_admin(), kr, p, &o, rows, 3, &n, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "already exists"));
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.pending_credential", NULL), pending);

	/* a customer claims a hardware token: a contract without a token row, and an ACTIVE one (exchange) */
	struct tokfix_token hw = { .algo = OTP_ALGO_SHA1, .digits = 6, .period = 30 };
	memcpy(hw.seed, p->keys[0].secret, p->keys[0].secret_len);
	hw.seedlen = p->keys[0].secret_len;
	tokfix_contract(hw.contract);
	char code[OTP_CODE_SIZE];
	tokfix_code_at(&hw, TOKFIX_T0, code);
	CU_ASSERT_EQUAL(reg(hw.contract, "HWTK00000014", code, TOKFIX_T0, &err), 0);
	tokfix_code_at(&hw, TOKFIX_T0 + 30, code);
	CU_ASSERT_EQUAL(verify_status(hw.contract, code, TOKFIX_T0 + 30), DB_VERIFY_ACCEPTED);
	struct tokfix_token sw, hw3 = { .algo = OTP_ALGO_SHA256, .digits = 8, .period = 60 };
	CU_ASSERT_EQUAL_FATAL(tokfix_active(&sw, TOKFIX_T0), 0);
	memcpy(hw3.seed, p->keys[2].secret, p->keys[2].secret_len);
	hw3.seedlen = p->keys[2].secret_len;
	tokfix_code_at(&hw3, TOKFIX_T0 + 120, code);
	CU_ASSERT_EQUAL(strlen(code), 8);
	CU_ASSERT_EQUAL(reg(sw.contract, rows[2].credential_id, code, TOKFIX_T0 + 120, &err), 0);
	tokfix_code_at(&hw3, TOKFIX_T0 + 180, code);
	CU_ASSERT_EQUAL(verify_status(sw.contract, code, TOKFIX_T0 + 180), DB_VERIFY_ACCEPTED);
	/* claimed once only */
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.pending_credential WHERE credential_id = $1",
				      rows[2].credential_id), 0);
	otp_pskc_free(p);

	/* HOTP keys (RFC 6030 Figure 5) cannot serve a TOTP verifier: nothing imported */
	CU_ASSERT_EQUAL_FATAL(otp_pskc_load(DATA "rfc6030-figure5.pskcxml", NULL, &p, &err), 0);
	CU_ASSERT_EQUAL(db_token_import(tokfix_admin(), kr, p, &o, NULL, 0, &n, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "not TOTP"));
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.pending_credential", NULL), pending - 2);
	otp_pskc_free(p);
	db_keyring_close(kr);
}

static void test_provision_missing_and_demo_code(void)
{
	struct db_keyring *kr = NULL;
	struct otp_err err;
	long count = 0;
	long long seedless = tokfix_count1("SELECT count(*) FROM otp.token WHERE seed IS NULL AND credential_id IS NOT NULL",
					   NULL);
	CU_ASSERT(seedless >= 3);	/* the fixture's tokens */
	CU_ASSERT_EQUAL_FATAL(db_keyring_open(&kr, tokfix_key_dir(), &err), 0);
	long long events = tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE event = 'token.provision_missing'", NULL);
	CU_ASSERT_EQUAL_FATAL(db_token_provision_missing(tokfix_admin(), kr, &count, NULL, NULL, &err), 0);
	CU_ASSERT_EQUAL(count, seedless);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.token WHERE seed IS NULL AND credential_id IS NOT NULL",
				      NULL), 0);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE event = 'token.provision_missing'", NULL),
			events + 1);
	char n[32];
	snprintf(n, sizeof n, "%lld", seedless);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE event = 'token.provision_missing'"
				      " AND details->>'count' = $1", n), 1);
	/* again: nothing left to do */
	CU_ASSERT_EQUAL(db_token_provision_missing(tokfix_admin(), kr, &count, NULL, NULL, &err), 0);
	CU_ASSERT_EQUAL(count, 0);
	/* a verifier may not */
	struct db *vdb = dbfix_connect_as("tok_ver");
	CU_ASSERT_EQUAL(db_token_provision_missing(vdb, kr, &count, NULL, NULL, &err), -1);

	/* demo code: only with the superuser connection; it verifies (fixture 0120000001 is ACTIVE) */
	char code[OTP_CODE_SIZE], cred[16];
	int64_t now = TOKFIX_T0 + 3000;
	CU_ASSERT_EQUAL(db_token_demo_code(vdb, kr, "0120000001", now, code, cred, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_REFUSED);
	db_close(vdb);
	struct db *su = NULL;
	struct db_conn_params cp = { .conninfo = dbfix_conninfo(), .appname = "otpdesk-tests" };
	CU_ASSERT_EQUAL_FATAL(db_connect(&su, &cp, &err), 0);
	CU_ASSERT_EQUAL(db_token_demo_code(su, kr, "0120000001", now, code, cred, &err), 0);
	CU_ASSERT_STRING_EQUAL(cred, "TSTA00000018");
	CU_ASSERT_EQUAL(verify_status("0120000001", code, now), DB_VERIFY_ACCEPTED);
	db_close(su);
	db_keyring_close(kr);
}

static void test_auto_unlock(void)
{
	struct tokfix_token t;
	char code[OTP_CODE_SIZE];
	struct db_verify_result r;
	struct otp_err err;
	int64_t now = TOKFIX_T0 + 900;
	CU_ASSERT_EQUAL_FATAL(tokfix_active(&t, TOKFIX_T0), 0);
	long long threshold = tokfix_count1("SELECT lock_threshold FROM otp.policy", NULL);
	for (long long i = 0; i < threshold; i++)
		CU_ASSERT_EQUAL(verify_status(t.contract, "000000", now), DB_VERIFY_REJECTED + (i + 1 == threshold));
	CU_ASSERT_EQUAL(state_is(t.contract, "LOCKED"), 1);
	/* off by default: a locked token stays locked however old the lock */
	static const char *const age_lock =
		"UPDATE otp.token SET locked_at = now() - $2::interval WHERE contract_id = $1";
	const char *p2d[2] = { t.contract, "2 days" };
	dbfix_sqlp(age_lock, 2, p2d);
	tokfix_code_at(&t, now, code);
	CU_ASSERT_EQUAL(verify_status(t.contract, code, now), DB_VERIFY_LOCKED);
	/* on: after N minutes the next code is evaluated on an unlocked token */
	dbfix_sql("UPDATE otp.policy SET auto_unlock_minutes = 30");
	const char *p10m[2] = { t.contract, "10 minutes" };
	dbfix_sqlp(age_lock, 2, p10m);
	CU_ASSERT_EQUAL(verify_status(t.contract, code, now), DB_VERIFY_LOCKED);	/* not yet */
	const char *p31m[2] = { t.contract, "31 minutes" };
	dbfix_sqlp(age_lock, 2, p31m);
	CU_ASSERT_EQUAL(db_verify(tokfix_verifier(), t.contract, code, now, &r, &err), 0);
	CU_ASSERT_EQUAL(r.status, DB_VERIFY_ACCEPTED);
	CU_ASSERT(r.auto_unlocked);
	CU_ASSERT_EQUAL(state_is(t.contract, "ACTIVE"), 1);
	CU_ASSERT_EQUAL(tokfix_count1("SELECT count(*) FROM otp.audit_event WHERE contract_id = $1 AND event ="
				      " 'token.auto_unlock'", t.contract), 1);
	dbfix_sql("UPDATE otp.policy SET auto_unlock_minutes = NULL");
}

TEST_SUITE(token, "db/token", tokfix_init, NULL,
	   TEST(test_provision_register_verify),
	   TEST(test_exchange),
	   TEST(test_stop),
	   TEST(test_refusals),
	   TEST(test_registration_voided_by_wrong_codes),
	   TEST(test_pskc_import_and_register_stock),
	   TEST(test_provision_missing_and_demo_code),
	   TEST(test_auto_unlock))
