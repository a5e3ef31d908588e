/* db_token: the reference verifier. A verification is two round trips: one
 * prepared read of the token (otp_api.verifier_tokens), the code check in C
 * (seed unsealed with a cached key schedule, one HMAC key set-up, the whole
 * window compared in constant time, seed wiped), and one prepared call of
 * otp_api.verify_record, which applies the outcome with a single conditional
 * UPDATE in its own transaction. No row lock is held while C computes; the
 * conditions of those UPDATEs (state = 'ACTIVE', last_step < step) make
 * concurrent and replayed codes safe. Registration and stop reuse the same
 * check. Also here: the keyring (key files -> cached sealers).
 *
 * Never puts a seed, code or blob into an error message or a log line. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "common/ids.h"
#include "db/db_internal.h"
#include "db/token.h"

/* ---- names ------------------------------------------------------------- */

static const struct {
	const char *word;
	int exit_code;
} status_tab[] = {
#define X(id, word, code) [DB_VERIFY_##id] = { word, code },
	DB_VERIFY_STATUSES(X)
#undef X
};

static const char *const reason_tab[] = {
#define X(id, word) [DB_FAILURE_##id] = word,
	DB_FAILURE_REASONS(X)
#undef X
};

const char *db_verify_status_name(enum db_verify_status s)
{
	return (unsigned)s < DB_VERIFY_STATUS_COUNT ? status_tab[s].word : "?";
}

int db_verify_status_exit(enum db_verify_status s)
{
	return (unsigned)s < DB_VERIFY_STATUS_COUNT ? status_tab[s].exit_code : 1;
}

const char *db_failure_reason_name(enum db_failure_reason r)
{
	return (unsigned)r < DB_FAILURE_REASON_COUNT ? reason_tab[r] : "?";
}

static int status_parse(const char *s, enum db_verify_status *out)
{
	for (int i = 0; i < DB_VERIFY_STATUS_COUNT; i++)
		if (strcmp(s, status_tab[i].word) == 0) {
			*out = (enum db_verify_status)i;
			return 0;
		}
	return -1;
}

static enum db_failure_reason reason_parse(const char *s)
{
	for (int i = 1; i < DB_FAILURE_REASON_COUNT; i++)
		if (strcmp(s, reason_tab[i]) == 0)
			return (enum db_failure_reason)i;
	return DB_FAILURE_NONE;
}

/* ---- keyring ------------------------------------------------------------ */

struct key_slot {
	int version;
	struct otp_sealer *sealer;
};

struct db_keyring {
	char dir[PATH_MAX];
	struct key_slot slots[DB_KEYRING_MAX];
	int nslots;
};

const char *db_key_dir(const char *dir)
{
	if (dir && *dir)
		return dir;
	const char *env = getenv(DB_KEY_DIR_ENV);
	return env && *env ? env : DB_KEY_DIR_DEFAULT;
}

int db_keyring_open(struct db_keyring **out, const char *dir, struct otp_err *err)
{
	*out = NULL;
	const char *d = db_key_dir(dir);
	if (strlen(d) + sizeof DB_KEY_FILE_PREFIX + 8 >= PATH_MAX)
		return otp_err_set(err, OTP_ERR_USAGE, "key directory path is too long");
	struct db_keyring *kr = calloc(1, sizeof *kr);
	if (!kr)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	otp_strlcpy(kr->dir, d, sizeof kr->dir);
	*out = kr;
	return 0;
}

void db_keyring_close(struct db_keyring *kr)
{
	if (!kr)
		return;
	for (int i = 0; i < kr->nslots; i++)
		otp_sealer_free(kr->slots[i].sealer);
	OPENSSL_cleanse(kr, sizeof *kr);
	free(kr);
}

const char *db_keyring_dir(const struct db_keyring *kr)
{
	return kr->dir;
}

/* The version a directory entry names, or 0 when it is not a key file. */
static int entry_version(const char *name)
{
	size_t plen = strlen(DB_KEY_FILE_PREFIX);
	if (strncmp(name, DB_KEY_FILE_PREFIX, plen) != 0)
		return 0;
	const char *p = name + plen;
	if (!*p || strlen(p) > 4 || *p == '0')
		return 0;
	int v = 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (*p - '0');
	}
	return v <= DB_KEY_VERSION_MAX ? v : 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int db_keyring_versions(struct db_keyring *kr, int *out, int max, struct otp_err *err)
{
	DIR *d = opendir(kr->dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return otp_err_set(err, OTP_ERR_IO, "cannot read key directory %s: %s", kr->dir, strerror(errno));
	}
	int n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		int v = entry_version(e->d_name);
		if (v > 0 && n < max)
			out[n++] = v;
	}
	closedir(d);
	qsort(out, (size_t)n, sizeof *out, cmp_int);
	return n;
}

int db_keyring_newest(struct db_keyring *kr, struct otp_err *err)
{
	int v[DB_KEYRING_MAX * 4];
	int n = db_keyring_versions(kr, v, (int)(sizeof v / sizeof v[0]), err);
	if (n < 0)
		return -1;
	return n ? v[n - 1] : 0;
}

static void key_path(const struct db_keyring *kr, int version, char *out, size_t size)
{
	snprintf(out, size, "%s/%s%d", kr->dir, DB_KEY_FILE_PREFIX, version);
}

int db_keyring_create(struct db_keyring *kr, int *version, struct otp_err *err)
{
	int newest = db_keyring_newest(kr, err);
	if (newest < 0)
		return -1;
	if (newest >= DB_KEY_VERSION_MAX)
		return otp_err_set(err, OTP_ERR_REFUSED, "key version %d is the last one possible", newest);
	if (mkdir(kr->dir, 0700) != 0 && errno != EEXIST)
		return otp_err_set(err, OTP_ERR_IO, "cannot create key directory %s: %s", kr->dir, strerror(errno));
	char path[PATH_MAX];
	key_path(kr, newest + 1, path, sizeof path);
	if (otp_key_generate(path, NULL, err) != 0)
		return -1;
	*version = newest + 1;
	return 0;
}

struct otp_sealer *db_keyring_sealer(struct db_keyring *kr, int version, struct otp_err *err)
{
	for (int i = 0; i < kr->nslots; i++)
		if (kr->slots[i].version == version)
			return kr->slots[i].sealer;
	if (version < 1 || version > DB_KEY_VERSION_MAX) {
		otp_err_set(err, OTP_ERR_CRYPTO, "invalid seed key version %d", version);
		return NULL;
	}
	if (kr->nslots == DB_KEYRING_MAX) {
		otp_err_set(err, OTP_ERR_CRYPTO, "more than %d seed key versions in use", DB_KEYRING_MAX);
		return NULL;
	}
	char path[PATH_MAX];
	uint8_t key[OTP_SEAL_KEY_LEN];
	struct otp_err why;
	key_path(kr, version, path, sizeof path);
	otp_err_clear(&why);
	if (otp_key_load(path, key, &why) != 0) {
		otp_err_set(err, OTP_ERR_CRYPTO, "seed key version %d is not usable: %s", version, why.message);
		otp_err_hint(err, "%s", why.hint[0] ? why.hint : "restore the key file from the key backup (mode 0600)");
		return NULL;
	}
	struct otp_sealer *s = otp_sealer_new(key, err);
	OPENSSL_cleanse(key, sizeof key);
	if (!s)
		return NULL;
	kr->slots[kr->nslots].version = version;
	kr->slots[kr->nslots++].sealer = s;
	return s;
}

int db_keyring_unseal(struct db_keyring *kr, const char *credential_id, int key_version, const uint8_t *blob,
		      size_t bloblen, uint8_t *seed, size_t seedsize, size_t *seedlen, struct otp_err *err)
{
	struct otp_err why;
	otp_err_clear(&why);
	struct otp_sealer *s = db_keyring_sealer(kr, key_version, &why);
	if (!s) {
		otp_err_set(err, OTP_ERR_CRYPTO, "cannot open the seed of credential %s (key version %d): %s", credential_id,
			    key_version, why.message);
		otp_err_hint(err, "%s", why.hint);
		return -1;
	}
	if (otp_sealer_unseal(s, credential_id, blob, bloblen, seed, seedsize, seedlen, &why) != 0) {
		OPENSSL_cleanse(seed, seedsize);
		otp_err_set(err, OTP_ERR_CRYPTO, "cannot open the seed of credential %s (key version %d)", credential_id,
			    key_version);
		otp_err_hint(err, "the key file of version %d is not the one this seed was sealed with, or the stored "
			     "seed is damaged; nothing was changed", key_version);
		return -1;
	}
	return 0;
}

/* ---- the token row ------------------------------------------------------ */

#define BLOB_MAX (OTP_SEAL_OVERHEAD + OTP_SECRET_MAX)

/* What a verification reads: a row of otp_api.verifier_tokens (or of the
 * registration read, which fills a subset). */
struct tok {
	long long token_id;
	char credential[16];
	char state[16];
	uint8_t blob[BLOB_MAX];
	size_t bloblen;
	bool has_seed;
	int key_version;
	enum otp_algo algo;
	unsigned digits, period, window;
	int64_t last_step;
	int drift;
	int failure_count;
	int threshold;
	bool unlock_due;
};

/* Copy a bytea column value (text output format) into out; -1 when it is
 * not valid bytea text or longer than size. */
static int bytea_copy(const char *text, uint8_t *out, size_t size, size_t *len)
{
	size_t n = 0;
	unsigned char *raw = PQunescapeBytea((const unsigned char *)text, &n);
	if (!raw || n > size) {
		PQfreemem(raw);
		return -1;
	}
	memcpy(out, raw, n);
	*len = n;
	PQfreemem(raw);
	return 0;
}

/* Fill the seed and parameters of t from columns seed, key_version, algo,
 * digits, period starting at col. */
static int get_seed_cols(const PGresult *res, int col, struct tok *t, struct otp_err *err)
{
	t->has_seed = !PQgetisnull(res, 0, col);
	if (t->has_seed && bytea_copy(PQgetvalue(res, 0, col), t->blob, sizeof t->blob, &t->bloblen) != 0)
		return otp_err_set(err, OTP_ERR_CRYPTO, "the stored seed of credential %s is damaged (not a sealed blob)",
				   t->credential);
	t->key_version = db_get_int(res, 0, col + 1);
	if (otp_algo_parse(PQgetvalue(res, 0, col + 2), &t->algo, err) != 0)
		return -1;
	t->digits = (unsigned)db_get_int(res, 0, col + 3);
	t->period = (unsigned)db_get_int(res, 0, col + 4);
	return 0;
}

struct db_verifier {
	struct db *db;
	bool own_db;
	struct db_keyring *kr;
	char client[128];
	/* one HMAC context per algorithm, re-keyed for each check and wiped
	 * after it (no context set-up per verification) */
	struct otp_hmac *hmac[OTP_ALGO_COUNT];
};

/* v's HMAC context for algo keyed with seed; NULL with err. */
static struct otp_hmac *verifier_hmac(struct db_verifier *v, enum otp_algo algo, const uint8_t *seed, size_t len,
				      struct otp_err *err)
{
	if (!v->hmac[algo])
		return v->hmac[algo] = otp_hmac_new(algo, seed, len, err);
	return otp_hmac_rekey(v->hmac[algo], seed, len, err) == 0 ? v->hmac[algo] : NULL;
}

/* Check code against t's seed at now. Returns OTP_MATCH (with *step and
 * *drift), OTP_NOMATCH, OTP_REPLAY, CHECK_MALFORMED, or -1 with err. */
#define CHECK_MALFORMED 3
static int check_code(struct db_verifier *v, const struct tok *t, const char *code, int64_t now, int64_t *step,
		      int *drift, struct otp_err *err)
{
	struct otp_err syntax;
	if (otp_code_check(code, t->digits, &syntax) != 0)
		return CHECK_MALFORMED;
	if (!t->has_seed) {
		otp_err_set(err, OTP_ERR_REFUSED, "the token of credential %s has no seed", t->credential);
		otp_err_hint(err, "provision it (otpctl token provision, or token provision-missing for demo data)");
		return -1;
	}
	uint8_t seed[OTP_SECRET_MAX];
	size_t seedlen = 0;
	if (db_keyring_unseal(v->kr, t->credential, t->key_version, t->blob, t->bloblen, seed, sizeof seed, &seedlen,
			      err) != 0)
		return -1;
	struct otp_hmac *h = verifier_hmac(v, t->algo, seed, seedlen, err);
	OPENSSL_cleanse(seed, sizeof seed);
	if (!h)
		return -1;
	int64_t d = t->drift;
	if (d > OTP_DRIFT_MAX)
		d = OTP_DRIFT_MAX;
	if (d < -OTP_DRIFT_MAX)
		d = -OTP_DRIFT_MAX;
	struct otp_verify_params p = {
		.digits = t->digits,
		.period = t->period,
		.window = t->window > OTP_WINDOW_MAX ? OTP_WINDOW_MAX : t->window,
		.drift = d,
		.last_step = t->last_step,
	};
	int64_t s = -1;
	int rc = otp_hmac_totp_verify(h, &p, now, code, &s, err);
	otp_hmac_wipe(h);
	if (rc == OTP_MATCH) {
		*step = s;
		int64_t nd = s - now / (int64_t)t->period;
		*drift = (int)(nd > OTP_DRIFT_MAX ? OTP_DRIFT_MAX : nd < -OTP_DRIFT_MAX ? -OTP_DRIFT_MAX : nd);
	}
	return rc;
}

/* ---- the verifier ------------------------------------------------------- */

int db_verifier_new(struct db_verifier **out, struct db *db, const char *key_dir, struct otp_err *err)
{
	*out = NULL;
	if (otp_init(err) != 0)
		return -1;
	struct db_verifier *v = calloc(1, sizeof *v);
	if (!v)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	if (db_keyring_open(&v->kr, key_dir, err) != 0) {
		free(v);
		return -1;
	}
	v->db = db;
	*out = v;
	return 0;
}

int db_verifier_open(struct db_verifier **out, const struct db_conn_params *params, const char *key_dir,
		     struct otp_err *err)
{
	struct db *db = NULL;
	*out = NULL;
	if (db_connect(&db, params, err) != 0)
		return -1;
	if (db_verifier_new(out, db, key_dir, err) != 0) {
		db_close(db);
		return -1;
	}
	(*out)->own_db = true;
	return 0;
}

void db_verifier_close(struct db_verifier *v)
{
	if (!v)
		return;
	db_keyring_close(v->kr);
	for (int i = 0; i < OTP_ALGO_COUNT; i++)
		otp_hmac_free(v->hmac[i]);
	if (v->own_db)
		db_close(v->db);
	free(v);
}

struct db *db_verifier_db(struct db_verifier *v)
{
	return v->db;
}

void db_verifier_set_client(struct db_verifier *v, const char *client)
{
	otp_strlcpy(v->client, client ? client : "", sizeof v->client);
}

static const struct db_stmt S_VREAD = {
	"verifier_read",
	"SELECT token_id, credential_id, state, seed, key_version, algo, digits, period,"
	" last_step, drift, failure_count, lock_threshold, window_steps, unlock_due"
	" FROM otp_api.verifier_tokens WHERE contract_id = $1",
	1,
};

static const struct db_stmt S_VRECORD = {
	"verifier_record",
	"SELECT ok, code, message, ref, data->>'reason', (data->>'failure_count')::int,"
	" (data->>'remaining')::int, (data->>'locked_now')::boolean, (data->>'auto_unlocked')::boolean"
	" FROM otp_api.verify_record($1, $2, $3, $4, $5, $6)",
	6,
};

static int check_contract(const char *contract_id, struct otp_err *err)
{
	return otp_contract_id_check(contract_id ? contract_id : "", err);
}

/* Read the contract's token; *found = false when there is none. */
static int read_token(struct db_verifier *v, const char *contract_id, struct tok *t, bool *found,
		      struct otp_err *err)
{
	const char *params[1] = { contract_id };
	memset(t, 0, sizeof *t);
	*found = false;
	PGresult *res = db_exec_stmt(v->db, &S_VREAD, params, PGRES_TUPLES_OK, err);
	if (!res) {
		if (strcmp(err->sqlstate, "42501") == 0)
			otp_err_hint(err, "verification is for the verifier service login (group otp_verifier), "
				     "e.g. OTP_USER=demo_verifier in the demo");
		return -1;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		return 0;
	}
	t->token_id = db_get_ll(res, 0, 0);
	db_get(res, 0, 1, t->credential, sizeof t->credential);
	db_get(res, 0, 2, t->state, sizeof t->state);
	int rc = get_seed_cols(res, 3, t, err);
	t->last_step = db_get_ll(res, 0, 8);
	t->drift = db_get_int(res, 0, 9);
	t->failure_count = db_get_int(res, 0, 10);
	t->threshold = db_get_int(res, 0, 11);
	t->window = (unsigned)db_get_int(res, 0, 12);
	t->unlock_due = db_get_bool(res, 0, 13);
	PQclear(res);
	if (rc != 0)
		return -1;
	*found = true;
	return 0;
}

static const char *const check_words[] = {
	[OTP_NOMATCH] = "WRONG_CODE",
	[OTP_MATCH] = "MATCH",
	[OTP_REPLAY] = "REPLAY",
	[CHECK_MALFORMED] = "MALFORMED",
};

/* The second round trip: record what check_code found (verdict, or -1 for
 * UNCHECKED) and read back the result. */
static int record(struct db_verifier *v, const struct tok *t, int verdict, int64_t step, int drift,
		  struct db_verify_result *out, struct otp_err *err)
{
	char id[24], st[24], dr[16];
	snprintf(id, sizeof id, "%lld", t->token_id);
	snprintf(st, sizeof st, "%lld", (long long)step);
	snprintf(dr, sizeof dr, "%d", drift);
	bool match = verdict == OTP_MATCH;
	const char *params[6] = {
		id, t->credential, match ? st : NULL, match ? dr : NULL,
		verdict < 0 ? "UNCHECKED" : check_words[verdict], v->client,
	};
	PGresult *res = db_exec_stmt(v->db, &S_VRECORD, params, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return otp_err_set(err, OTP_ERR_INTERNAL, "verify_record: unexpected result shape");
	}
	if (!db_get_bool(res, 0, 0)) {
		otp_err_set(err, OTP_ERR_REFUSED, "%s", PQgetvalue(res, 0, 2));
		db_get(res, 0, 1, err->sqlstate, sizeof err->sqlstate);
		PQclear(res);
		return -1;
	}
	char word[32], reason[32];
	db_get(res, 0, 3, word, sizeof word);
	db_get(res, 0, 4, reason, sizeof reason);
	if (status_parse(word, &out->status) != 0) {
		PQclear(res);
		return otp_err_set(err, OTP_ERR_INTERNAL, "verify_record: unknown result %s", word);
	}
	out->reason = reason_parse(reason);
	out->failure_count = db_get_int(res, 0, 5);
	out->remaining = db_get_int(res, 0, 6);
	out->locked_now = db_get_bool(res, 0, 7);
	out->auto_unlocked = db_get_bool(res, 0, 8);
	PQclear(res);
	if (out->status == DB_VERIFY_ACCEPTED) {
		out->step = step;
		out->drift = drift;
	}
	return 0;
}

int db_verify(struct db_verifier *v, const char *contract_id, const char *code, int64_t now,
	      struct db_verify_result *out, struct otp_err *err)
{
	struct tok t;
	bool found;
	int rc = -1;

	otp_err_clear(err);
	memset(out, 0, sizeof *out);
	if (check_contract(contract_id, err) != 0)
		return -1;
	if (read_token(v, contract_id, &t, &found, err) != 0)
		goto out;
	if (!found) {
		out->status = DB_VERIFY_UNKNOWN;
		rc = 0;
		goto out;
	}
	otp_strlcpy(out->credential_id, t.credential, sizeof out->credential_id);
	int verdict = -1;	/* UNCHECKED: the state decides */
	int64_t step = 0;
	int drift = 0;
	if (strcmp(t.state, "ACTIVE") == 0 || t.unlock_due) {
		verdict = check_code(v, &t, code ? code : "", now, &step, &drift, err);
		if (verdict < 0)
			goto out;
	}
	rc = record(v, &t, verdict, step, drift, out, err);
out:
	OPENSSL_cleanse(t.blob, sizeof t.blob);
	return rc;
}

/* ---- registration / exchange, stop -------------------------------------- */

/* The credential waiting for registration by the contract: its own
 * UNREGISTERED token's, its pending exchange credential, or unclaimed stock. */
static const struct db_stmt S_REG_READ = {
	"register_read",
	"SELECT credential_id, seed, key_version, algo, digits, period, window_steps"
	" FROM otp_api.verifier_tokens"
	" WHERE contract_id = $1 AND credential_id = $2 AND state = 'UNREGISTERED' AND seed IS NOT NULL"
	" UNION ALL"
	" SELECT credential_id, seed, key_version, algo, digits, period, window_steps"
	" FROM otp_api.verifier_pending WHERE credential_id = $2 AND (contract_id = $1 OR contract_id IS NULL)"
	" LIMIT 1",
	2,
};

static const struct db_stmt S_REGISTER = {
	"token_register",
	"SELECT * FROM otp_api.token_register($1, $2, $3, $4)",
	4,
};

static const struct db_stmt S_STOP = {
	"token_stop",
	"SELECT * FROM otp_api.token_stop($1, $2, $3, $4)",
	4,
};

int db_token_register(struct db_verifier *v, const char *contract_id, const char *credential_id, const char *code,
		      int64_t now, struct db_outcome *out, struct otp_err *err)
{
	struct tok t;
	int rc = -1;

	otp_err_clear(err);
	memset(&t, 0, sizeof t);
	if (check_contract(contract_id, err) != 0)
		return -1;
	if (!otp_credential_valid(credential_id, err))
		return -1;
	const char *rp[2] = { contract_id, credential_id };
	PGresult *res = db_exec_stmt(v->db, &S_REG_READ, rp, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	int verdict = OTP_NOMATCH;
	int64_t step = 0;
	int drift = 0;
	if (PQntuples(res) == 1) {
		db_get(res, 0, 0, t.credential, sizeof t.credential);
		int grc = get_seed_cols(res, 1, &t, err);
		t.window = (unsigned)db_get_int(res, 0, 6);
		t.last_step = -1;
		PQclear(res);
		if (grc != 0)
			goto out;
		verdict = check_code(v, &t, code ? code : "", now, &step, &drift, err);
		if (verdict < 0)
			goto out;
	} else {
		PQclear(res);	/* not waiting: the function refuses it, audited */
	}
	char st[24], dr[16];
	snprintf(st, sizeof st, "%lld", (long long)step);
	snprintf(dr, sizeof dr, "%d", drift);
	bool match = verdict == OTP_MATCH;
	const char *params[4] = { contract_id, credential_id, match ? st : NULL, match ? dr : NULL };
	rc = db_call(v->db, &S_REGISTER, params, out, err);
out:
	OPENSSL_cleanse(t.blob, sizeof t.blob);
	return rc;
}

int db_token_stop(struct db_verifier *v, const char *contract_id, const char *code, int64_t now,
		  struct db_verify_result *vr, struct db_outcome *out, struct otp_err *err)
{
	struct db_verify_result tmp;
	struct tok t;
	bool found;
	int rc = -1;

	otp_err_clear(err);
	if (!vr)
		vr = &tmp;
	memset(vr, 0, sizeof *vr);
	if (check_contract(contract_id, err) != 0)
		return -1;
	if (read_token(v, contract_id, &t, &found, err) != 0)
		goto out;
	if (!found) {
		vr->status = DB_VERIFY_UNKNOWN;
		otp_err_set(err, OTP_ERR_NOTFOUND, "contract %s has no token", contract_id);
		goto out;
	}
	otp_strlcpy(vr->credential_id, t.credential, sizeof vr->credential_id);
	int verdict = -1;
	int64_t step = 0;
	int drift = 0;
	if (strcmp(t.state, "ACTIVE") == 0) {
		verdict = check_code(v, &t, code ? code : "", now, &step, &drift, err);
		if (verdict < 0)
			goto out;
	}
	if (verdict == OTP_MATCH) {
		char st[24], dr[16];
		snprintf(st, sizeof st, "%lld", (long long)step);
		snprintf(dr, sizeof dr, "%d", drift);
		const char *params[4] = { contract_id, t.credential, st, dr };
		rc = db_call(v->db, &S_STOP, params, out, err);
		if (rc == 0) {
			vr->status = DB_VERIFY_ACCEPTED;
			vr->step = step;
			vr->drift = drift;
		}
		goto out;
	}
	/* Not stopped: the attempt is a failed verification like any other. */
	if (record(v, &t, verdict, step, drift, vr, err) != 0)
		goto out;
	if (verdict < 0) {
		otp_err_set(err, OTP_ERR_REFUSED, "the token of contract %s is %s: only an ACTIVE token can be stopped",
			    contract_id, t.state);
		otp_strlcpy(err->sqlstate, "OD003", sizeof err->sqlstate);
	} else {
		otp_err_set(err, OTP_ERR_REFUSED, "%s: the token is not stopped (%s)",
			    verdict == OTP_REPLAY ? "this code was already used" : "wrong code",
			    db_verify_status_name(vr->status));
		otp_strlcpy(err->sqlstate, "OD010", sizeof err->sqlstate);
	}
out:
	OPENSSL_cleanse(t.blob, sizeof t.blob);
	return rc;
}

/* ---- demo codes ----------------------------------------------------------- */

int db_token_demo_code(struct db *db, struct db_keyring *kr, const char *contract_id, int64_t now,
		       char code[OTP_CODE_SIZE], char credential_id[16], struct otp_err *err)
{
	struct tok t;
	int rc = -1;

	otp_err_clear(err);
	memset(&t, 0, sizeof t);
	code[0] = '\0';
	if (check_contract(contract_id, err) != 0)
		return -1;
	PGresult *res = db_exec(db, "SELECT current_setting('is_superuser')", 0, NULL, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	bool super = strcmp(PQgetvalue(res, 0, 0), "on") == 0;
	PQclear(res);
	if (!super) {
		otp_err_set(err, OTP_ERR_REFUSED, "demo codes are only for the private demo cluster's superuser");
		otp_err_hint(err, "this command exists for demonstrations; a real token's code is on the customer's phone");
		return -1;
	}
	const char *params[1] = { contract_id };
	res = db_exec(db,
		      "SELECT credential_id, seed, key_version, algo, digits, period, drift"
		      " FROM otp.token WHERE contract_id = $1",
		      1, params, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return otp_err_set(err, OTP_ERR_NOTFOUND, "contract %s has no token", contract_id);
	}
	db_get(res, 0, 0, t.credential, sizeof t.credential);
	int grc = get_seed_cols(res, 1, &t, err);
	t.drift = db_get_int(res, 0, 6);
	PQclear(res);
	if (grc != 0)
		goto out;
	if (!t.has_seed) {
		otp_err_set(err, OTP_ERR_REFUSED, "the token of contract %s has no seed", contract_id);
		otp_err_hint(err, "run: otpctl token provision-missing");
		goto out;
	}
	uint8_t seed[OTP_SECRET_MAX];
	size_t seedlen = 0;
	if (db_keyring_unseal(kr, t.credential, t.key_version, t.blob, t.bloblen, seed, sizeof seed, &seedlen, err) != 0)
		goto out;
	struct otp_hmac *h = otp_hmac_new(t.algo, seed, seedlen, err);
	OPENSSL_cleanse(seed, sizeof seed);
	if (!h)
		goto out;
	int64_t step = now / (int64_t)t.period + t.drift;
	rc = otp_hmac_hotp(h, (uint64_t)(step < 0 ? 0 : step), t.digits, code, err);
	otp_hmac_free(h);
	if (rc == 0)
		otp_strlcpy(credential_id, t.credential, 16);
out:
	OPENSSL_cleanse(t.blob, sizeof t.blob);
	return rc;
}
