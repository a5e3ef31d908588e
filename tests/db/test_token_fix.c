/* test_token_fix: see test_token_fix.h. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "tests/db/test_token_fix.h"
#include "tests/lib/dbfix.h"
#include "tests/lib/testlib.h"

static char key_dir[128];
static struct db *admin;
static struct db_verifier *verifier;
static struct db *verifier_db;
static int next_contract = 1;

static void cleanup(void)
{
	db_verifier_close(verifier);
	db_close(verifier_db);
	db_close(admin);
	verifier = NULL;
	verifier_db = admin = NULL;
	DIR *d = opendir(key_dir);
	if (d) {
		char path[512];
		for (struct dirent *e; (e = readdir(d)) != NULL;)
			if (e->d_name[0] != '.') {
				snprintf(path, sizeof path, "%s/%s", key_dir, e->d_name);
				unlink(path);
			}
		closedir(d);
		rmdir(key_dir);
	}
}

const char *tokfix_key_dir(void)
{
	if (key_dir[0])
		return key_dir;
	snprintf(key_dir, sizeof key_dir, "/tmp/otpdesk-test-keys-%ld", (long)getpid());
	struct db_keyring *kr = NULL;
	struct otp_err err;
	int v = 0;
	if (db_keyring_open(&kr, key_dir, &err) == 0 && db_keyring_newest(kr, &err) == 0 &&
	    db_keyring_create(kr, &v, &err) != 0)
		fprintf(stderr, "tokfix: %s\n", err.message);
	db_keyring_close(kr);
	testlib_at_exit(cleanup);
	return key_dir;
}

int tokfix_init(void)
{
	if (dbfix_suite_init() != 0)
		return -1;
	dbfix_staff("tok_ver", "000", "otp_verifier");
	dbfix_staff("tok_adm", "000", "otp_admin");
	dbfix_staff("tok_tel", "012", "otp_teller");
	tokfix_key_dir();
	struct otp_err err;
	if (!admin && !(admin = dbfix_connect_as("tok_adm")))
		return -1;
	if (!verifier) {
		verifier_db = dbfix_connect_as("tok_ver");
		if (!verifier_db || db_verifier_new(&verifier, verifier_db, key_dir, &err) != 0)
			return -1;
	}
	return 0;
}

struct db *tokfix_admin(void)
{
	return admin;
}

struct db_verifier *tokfix_verifier(void)
{
	return verifier;
}

void tokfix_contract(char id[16])
{
	char sql[256];
	snprintf(id, 16, "0129%06d", next_contract++);
	snprintf(sql, sizeof sql,
		 "INSERT INTO otp.contract (contract_id, name_kanji, name_kana, branch_code, opened)"
		 " VALUES ('%s', '試験太郎', 'シケンタロウ', '012', '2020-04-01')", id);
	dbfix_sql(sql);
}

int tokfix_provision(const char *contract, struct tokfix_token *t)
{
	struct db_keyring *kr = NULL;
	struct db_provision_opts o;
	struct db_provisioned p;
	struct otp_err err;
	int rc = -1;

	memset(t, 0, sizeof *t);
	otp_strlcpy(t->contract, contract, sizeof t->contract);
	db_provision_opts_init(&o);
	if (db_keyring_open(&kr, key_dir, &err) != 0)
		return -1;
	if (db_token_provision(admin, kr, contract, &o, &p, &err) != 0)
		goto out;	/* some tests expect refusals */
	otp_strlcpy(t->credential, p.credential_id, sizeof t->credential);
	const char *s = strstr(p.uri, "secret=");
	char b32[256];
	if (!s)
		goto out;
	s += strlen("secret=");
	size_t n = strcspn(s, "&");
	if (n >= sizeof b32)
		goto out;
	memcpy(b32, s, n);
	b32[n] = '\0';
	if (otp_base32_decode(b32, t->seed, sizeof t->seed, &t->seedlen, &err) != 0)
		goto out;
	t->algo = o.algo;
	t->digits = o.digits;
	t->period = o.period;
	rc = 0;
out:
	db_provisioned_wipe(&p);
	db_keyring_close(kr);
	return rc;
}

void tokfix_code(const struct tokfix_token *t, int64_t step, char code[OTP_CODE_SIZE])
{
	struct otp_err err;
	if (otp_hotp(t->algo, t->seed, t->seedlen, (uint64_t)step, t->digits, code, &err) != 0)
		strcpy(code, "x");
}

void tokfix_code_at(const struct tokfix_token *t, int64_t now, char code[OTP_CODE_SIZE])
{
	tokfix_code(t, now / (int64_t)t->period, code);
}

int tokfix_active(struct tokfix_token *t, int64_t now)
{
	char contract[16], code[OTP_CODE_SIZE];
	struct db_outcome out;
	struct otp_err err;
	tokfix_contract(contract);
	if (tokfix_provision(contract, t) != 0)
		return -1;
	tokfix_code_at(t, now, code);
	if (db_token_register(verifier, contract, t->credential, code, now, &out, &err) != 0) {
		fprintf(stderr, "\n  tokfix: register %s: %s", contract, err.message);
		return -1;
	}
	return 0;
}

long long tokfix_count1(const char *sql, const char *param)
{
	char v[64];
	const char *p[1] = { param };
	if (dbfix_valuep(sql, param ? 1 : 0, param ? p : NULL, v, sizeof v) != 0)
		return -1;
	return strtoll(v, NULL, 10);
}

void tokfix_row(const char *contract, char *out, size_t size)
{
	const char *p[1] = { contract };
	dbfix_valuep("SELECT t::text FROM otp.token t WHERE contract_id = $1", 1, p, out, size);
}
