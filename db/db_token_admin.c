/* db_token_admin: putting seeds into the database and keeping them sealed:
 * provisioning a new credential, bulk seeding of demo tokens, PSKC import
 * and seed key rotation. Seeds come from RAND_bytes (or a PSKC file), are
 * sealed in C under the newest key with the credential ID as additional
 * data, and travel to the server only as sealed blobs; the clear seed is
 * wiped right after sealing (provisioning keeps it only in the otpauth URI
 * it hands to the caller). Batches are arrays passed to one SQL API call. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "common/ids.h"
#include "db/db_internal.h"
#include "db/token.h"

#define BLOB_MAX (OTP_SEAL_OVERHEAD + OTP_SECRET_MAX)
#define SEED_BATCH 10000	/* provision-missing: seeds staged per call */

/* ---- a growing string for array parameters ------------------------------ */

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_reserve(struct sbuf *b, size_t more)
{
	if (b->oom || b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *np = malloc(cap);
	if (!np) {
		b->oom = true;
		return;
	}
	if (b->p) {
		memcpy(np, b->p, b->len + 1);
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	} else {
		np[0] = '\0';
	}
	b->p = np;
	b->cap = cap;
}

static void sb_put(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);
	sb_reserve(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	sb_put(b, tmp);
}

/* Append a bytea array element: "\\x0a1b..." (quoted for an array literal). */
static void sb_bytea_elem(struct sbuf *b, const uint8_t *v, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	sb_reserve(b, 2 * n + 6);
	if (b->oom)
		return;
	char *o = b->p + b->len;
	*o++ = '"';
	*o++ = '\\';
	*o++ = '\\';
	*o++ = 'x';
	for (size_t i = 0; i < n; i++) {
		*o++ = hex[v[i] >> 4];
		*o++ = hex[v[i] & 15];
	}
	*o++ = '"';
	*o = '\0';
	b->len = (size_t)(o - b->p);
}

/* Append a quoted text array element, or NULL when s is NULL. */
static void sb_text_elem(struct sbuf *b, const char *s)
{
	if (!s) {
		sb_put(b, "NULL");
		return;
	}
	sb_reserve(b, 2 * strlen(s) + 2);
	if (b->oom)
		return;
	char *o = b->p + b->len;
	*o++ = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			*o++ = '\\';
		*o++ = *s;
	}
	*o++ = '"';
	*o = '\0';
	b->len = (size_t)(o - b->p);
}

static void sb_reset(struct sbuf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

static void sb_free(struct sbuf *b)
{
	if (b->p) {
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	memset(b, 0, sizeof *b);
}

static void hex_param(char *out, const uint8_t *v, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	*out++ = '\\';
	*out++ = 'x';
	for (size_t i = 0; i < n; i++) {
		*out++ = hex[v[i] >> 4];
		*out++ = hex[v[i] & 15];
	}
	*out = '\0';
}

static const char *algo_sql(enum otp_algo a)
{
	return a == OTP_ALGO_SHA256 ? "sha256" : a == OTP_ALGO_SHA512 ? "sha512" : "sha1";
}

/* The newest key version and its sealer; a clear error when there is none. */
static struct otp_sealer *newest_sealer(struct db_keyring *kr, int *version, struct otp_err *err)
{
	int v = db_keyring_newest(kr, err);
	if (v < 0)
		return NULL;
	if (v == 0) {
		otp_err_set(err, OTP_ERR_REFUSED, "no seed key in %s", db_keyring_dir(kr));
		otp_err_hint(err, "create one with: otpctl keys init (or set OTP_KEY_DIR / --key-dir)");
		return NULL;
	}
	*version = v;
	return db_keyring_sealer(kr, v, err);
}

/* ---- provisioning --------------------------------------------------------- */

static const struct db_stmt S_SERIAL = {
	"credential_serial_next",
	"SELECT otp_api.credential_serial_next($1)",
	1,
};

static const struct db_stmt S_PROVISION = {
	"token_provision",
	"SELECT * FROM otp_api.token_provision($1, $2, $3, $4, $5, $6, $7)",
	7,
};

void db_provision_opts_init(struct db_provision_opts *o)
{
	memset(o, 0, sizeof *o);
	o->prefix = DB_PROVISION_PREFIX;
	o->issuer = DB_PROVISION_ISSUER;
	o->algo = OTP_ALGO_SHA1;
	o->digits = 6;
	o->period = OTP_PERIOD_DEFAULT;
}

void db_provisioned_wipe(struct db_provisioned *p)
{
	OPENSSL_cleanse(p->uri, sizeof p->uri);
}

/* A new credential ID with prefix from the server's serial sequence. */
static int new_credential(struct db *db, const char *prefix, char out[OTP_CREDENTIAL_LEN + 1], struct otp_err *err)
{
	const char *params[1] = { prefix };
	PGresult *res = db_exec_stmt(db, &S_SERIAL, params, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	long long serial = PQntuples(res) == 1 ? db_get_ll(res, 0, 0) : -1;
	PQclear(res);
	if (serial < 0 || serial > OTP_CREDENTIAL_SERIAL_MAX)
		return otp_err_set(err, OTP_ERR_INTERNAL, "no credential serial from the server");
	return otp_credential_make(prefix, (uint32_t)serial, out, err);
}

int db_token_provision(struct db *db, struct db_keyring *kr, const char *contract_id,
		       const struct db_provision_opts *o, struct db_provisioned *out, struct otp_err *err)
{
	uint8_t seed[DB_SEED_LEN], blob[BLOB_MAX];
	char blobhex[2 * BLOB_MAX + 3], ver[16], digits[8], period[8];
	size_t bloblen = 0;
	int version = 0, rc = -1;

	otp_err_clear(err);
	memset(out, 0, sizeof *out);
	if (otp_contract_id_check(contract_id ? contract_id : "", err) != 0)
		return -1;
	if (o->digits < 6 || o->digits > 8 || o->period < 10 || o->period > 120)
		return otp_err_set(err, OTP_ERR_USAGE, "tokens have 6 to 8 digits and a period of 10 to 120 seconds");
	struct otp_sealer *s = newest_sealer(kr, &version, err);
	if (!s)
		return -1;
	if (new_credential(db, o->prefix, out->credential_id, err) != 0)
		return -1;
	if (RAND_bytes(seed, sizeof seed) != 1) {
		ERR_clear_error();
		otp_err_set(err, OTP_ERR_CRYPTO, "no random bytes for a seed");
		goto out;
	}
	if (otp_sealer_seal(s, out->credential_id, seed, sizeof seed, blob, sizeof blob, &bloblen, err) != 0)
		goto out;
	hex_param(blobhex, blob, bloblen);
	snprintf(ver, sizeof ver, "%d", version);
	snprintf(digits, sizeof digits, "%u", o->digits);
	snprintf(period, sizeof period, "%u", o->period);
	const char *params[7] = { contract_id, out->credential_id, blobhex, ver, algo_sql(o->algo), digits, period };
	struct db_outcome oc;
	if (db_call(db, &S_PROVISION, params, &oc, err) != 0)
		goto out;
	otp_strlcpy(out->message, oc.message, sizeof out->message);
	otp_strlcpy(out->mode, strstr(oc.data, "exchange") ? "exchange" : "register", sizeof out->mode);
	struct otp_uri u = {
		.issuer = o->issuer,
		.account = out->credential_id,
		.secret = seed,
		.secret_len = sizeof seed,
		.algo = o->algo,
		.digits = o->digits,
		.period = o->period,
	};
	if (otp_uri_build(&u, out->uri, sizeof out->uri, err) < 0) {
		db_provisioned_wipe(out);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(seed, sizeof seed);
	OPENSSL_cleanse(blobhex, sizeof blobhex);
	return rc;
}

/* ---- bulk seeding of seedless (demo) tokens -------------------------------- */

static const struct db_stmt S_SEEDLESS = {
	"seedless_tokens",
	"SELECT credential_id FROM otp_api.seedless_tokens WHERE credential_id > $1 ORDER BY credential_id LIMIT $2",
	2,
};

static const struct db_stmt S_SEED_STAGE = {
	"token_seed_stage",
	"SELECT * FROM otp_api.token_seed_stage($1::text[], $2::bytea[], $3)",
	3,
};

static const struct db_stmt S_SEED_APPLY = {
	"token_seed_apply",
	"SELECT * FROM otp_api.token_seed_apply()",
	0,
};

int db_token_provision_missing(struct db *db, struct db_keyring *kr, long *count,
			       void (*progress)(void *arg, const char *line), void *arg, struct otp_err *err)
{
	struct sbuf creds = { 0 }, seeds = { 0 };
	uint8_t seed[DB_SEED_LEN], blob[BLOB_MAX];
	char last[16] = "", limit[16], ver[16], line[160];
	int version = 0, rc = -1;
	bool in_tx = false;
	long staged = 0;

	otp_err_clear(err);
	*count = 0;
	struct otp_sealer *s = newest_sealer(kr, &version, err);
	if (!s)
		return -1;
	snprintf(limit, sizeof limit, "%d", SEED_BATCH);
	snprintf(ver, sizeof ver, "%d", version);
	if (db_command(db, "BEGIN", err) != 0)
		return -1;
	in_tx = true;
	for (;;) {
		const char *p[2] = { last, limit };
		PGresult *res = db_exec_stmt(db, &S_SEEDLESS, p, PGRES_TUPLES_OK, err);
		if (!res)
			goto out;
		int n = PQntuples(res);
		if (n == 0) {
			PQclear(res);
			break;
		}
		sb_reset(&creds);
		sb_reset(&seeds);
		sb_put(&creds, "{");
		sb_put(&seeds, "{");
		for (int i = 0; i < n; i++) {
			const char *cred = PQgetvalue(res, i, 0);
			size_t bloblen = 0;
			if (RAND_bytes(seed, sizeof seed) != 1) {
				ERR_clear_error();
				PQclear(res);
				otp_err_set(err, OTP_ERR_CRYPTO, "no random bytes for a seed");
				goto out;
			}
			int src = otp_sealer_seal(s, cred, seed, sizeof seed, blob, sizeof blob, &bloblen, err);
			OPENSSL_cleanse(seed, sizeof seed);
			if (src != 0) {
				PQclear(res);
				goto out;
			}
			if (i) {
				sb_put(&creds, ",");
				sb_put(&seeds, ",");
			}
			sb_put(&creds, cred);
			sb_bytea_elem(&seeds, blob, bloblen);
		}
		otp_strlcpy(last, PQgetvalue(res, n - 1, 0), sizeof last);
		PQclear(res);
		sb_put(&creds, "}");
		sb_put(&seeds, "}");
		if (creds.oom || seeds.oom) {
			otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
			goto out;
		}
		const char *sp[3] = { creds.p, seeds.p, ver };
		if (db_call(db, &S_SEED_STAGE, sp, NULL, err) != 0)
			goto out;
		staged += n;
		if (progress) {
			snprintf(line, sizeof line, "provision-missing: %ld seeds sealed and staged", staged);
			progress(arg, line);
		}
		if (n < SEED_BATCH)
			break;
	}
	if (staged > 0) {
		struct db_outcome oc;
		if (db_call(db, &S_SEED_APPLY, NULL, &oc, err) != 0)
			goto out;
		*count = strtol(oc.ref, NULL, 10);
	}
	if (db_command(db, "COMMIT", err) != 0)
		goto out;
	in_tx = false;
	rc = 0;
out:
	if (in_tx) {
		struct otp_err ignore;
		db_command(db, "ROLLBACK", &ignore);
	}
	OPENSSL_cleanse(blob, sizeof blob);
	sb_free(&creds);
	sb_free(&seeds);
	return rc;
}

/* ---- PSKC import ------------------------------------------------------------- */

static const struct db_stmt S_IMPORT = {
	"token_import",
	"SELECT * FROM otp_api.token_import($1::text[], $2::bytea[], $3, $4::text[], $5::int[], $6::int[],"
	" $7::text[], $8, $9)",
	9,
};

/* Why a key cannot become a verifier credential, or NULL when it can. */
static const char *import_refusal(const struct otp_pskc_key *k, char *buf, size_t size)
{
	if (k->kind != OTP_PSKC_TOTP)
		snprintf(buf, size, "algorithm %s is not TOTP (the verifier checks TOTP codes only)",
			 k->algorithm[0] ? k->algorithm : "(none)");
	else if (k->secret_len < 16)
		snprintf(buf, size, "the secret has %zu bytes; at least 16 are required", k->secret_len);
	else if (!k->decimal)
		snprintf(buf, size, "the response encoding is not DECIMAL");
	else if (k->digits && (k->digits < 6 || k->digits > 8))
		snprintf(buf, size, "codes of %u digits (6 to 8 are supported)", k->digits);
	else if (k->period && (k->period < 10 || k->period > 120))
		snprintf(buf, size, "a time step of %u s (10 to 120 s are supported)", k->period);
	else
		return NULL;
	return buf;
}

int db_token_import(struct db *db, struct db_keyring *kr, const struct otp_pskc *p, const struct db_import_opts *o,
		    struct db_import_row *rows, size_t maxrows, size_t *n, struct otp_err *err)
{
	struct sbuf creds = { 0 }, seeds = { 0 }, algos = { 0 }, digits = { 0 }, periods = { 0 }, serials = { 0 };
	struct db_import_row *r = NULL;
	uint8_t blob[BLOB_MAX];
	char why[200], ver[16];
	int version = 0, rc = -1;

	otp_err_clear(err);
	*n = 0;
	if (!p || p->nkeys == 0)
		return otp_err_set(err, OTP_ERR_USAGE, "the PSKC container holds no keys");
	if (rows && maxrows < p->nkeys)
		return otp_err_set(err, OTP_ERR_USAGE, "room for %zu rows, %zu keys", maxrows, p->nkeys);
	for (size_t i = 0; i < p->nkeys; i++)
		if (import_refusal(&p->keys[i], why, sizeof why))
			return otp_err_set(err, OTP_ERR_USAGE, "KeyPackage %zu (serial %s) cannot be imported: %s; nothing was imported",
					   i + 1, p->keys[i].serial[0] ? p->keys[i].serial : "-", why);
	struct otp_sealer *s = newest_sealer(kr, &version, err);
	if (!s)
		return -1;
	r = calloc(p->nkeys, sizeof *r);
	if (!r)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	for (size_t i = 0; i < p->nkeys; i++) {
		const struct otp_pskc_key *k = &p->keys[i];
		struct otp_err ignore;
		otp_strlcpy(r[i].serial, k->serial, sizeof r[i].serial);
		otp_strlcpy(r[i].key_id, k->id, sizeof r[i].key_id);
		if (otp_credential_valid(k->serial, &ignore)) {
			otp_strlcpy(r[i].credential_id, k->serial, sizeof r[i].credential_id);
		} else {
			r[i].mapped = true;
			if (new_credential(db, o && o->prefix ? o->prefix : DB_IMPORT_PREFIX, r[i].credential_id, err) != 0)
				goto out;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(r[j].credential_id, r[i].credential_id) == 0) {
				otp_err_set(err, OTP_ERR_USAGE, "KeyPackages %zu and %zu both have serial %s; nothing was imported",
					    j + 1, i + 1, r[i].credential_id);
				goto out;
			}
	}
	sb_put(&creds, "{");
	sb_put(&seeds, "{");
	sb_put(&algos, "{");
	sb_put(&digits, "{");
	sb_put(&periods, "{");
	sb_put(&serials, "{");
	for (size_t i = 0; i < p->nkeys; i++) {
		const struct otp_pskc_key *k = &p->keys[i];
		size_t bloblen = 0;
		if (otp_sealer_seal(s, r[i].credential_id, k->secret, k->secret_len, blob, sizeof blob, &bloblen, err) != 0)
			goto out;
		const char *sep = i ? "," : "";
		sb_printf(&creds, "%s%s", sep, r[i].credential_id);
		sb_put(&seeds, sep);
		sb_bytea_elem(&seeds, blob, bloblen);
		sb_printf(&algos, "%s%s", sep, algo_sql(k->hash));
		sb_printf(&digits, "%s%u", sep, k->digits ? k->digits : 6);
		sb_printf(&periods, "%s%u", sep, k->period ? k->period : OTP_PERIOD_DEFAULT);
		sb_put(&serials, sep);
		sb_text_elem(&serials, k->serial[0] ? k->serial : NULL);
	}
	sb_put(&creds, "}");
	sb_put(&seeds, "}");
	sb_put(&algos, "}");
	sb_put(&digits, "}");
	sb_put(&periods, "}");
	sb_put(&serials, "}");
	if (creds.oom || seeds.oom || algos.oom || digits.oom || periods.oom || serials.oom) {
		otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
		goto out;
	}
	snprintf(ver, sizeof ver, "%d", version);
	const char *vendor = o && o->vendor ? o->vendor : p->keys[0].manufacturer[0] ? p->keys[0].manufacturer : NULL;
	const char *params[9] = {
		creds.p, seeds.p, ver, algos.p, digits.p, periods.p, serials.p, vendor, o && o->source ? o->source : "",
	};
	if (db_call(db, &S_IMPORT, params, NULL, err) != 0)
		goto out;
	if (rows)
		memcpy(rows, r, p->nkeys * sizeof *r);
	*n = p->nkeys;
	rc = 0;
out:
	OPENSSL_cleanse(blob, sizeof blob);
	free(r);
	sb_free(&creds);
	sb_free(&seeds);
	sb_free(&algos);
	sb_free(&digits);
	sb_free(&periods);
	sb_free(&serials);
	return rc;
}

/* ---- key rotation ------------------------------------------------------------ */

static const struct db_stmt S_KEY_RANGE = {
	"sealed_seed_range",
	"SELECT count(*) FILTER (WHERE key_version < $1), coalesce(max(key_version), 0) FROM otp_api.sealed_seeds",
	1,
};

static const struct db_stmt S_OLD_SEEDS = {
	"sealed_seeds_old",
	"SELECT credential_id, key_version, seed FROM otp_api.sealed_seeds"
	" WHERE key_version < $1 AND credential_id > $2 ORDER BY credential_id LIMIT $3",
	3,
};

static const struct db_stmt S_REKEY = {
	"seed_rekey",
	"SELECT * FROM otp_api.seed_rekey($1::text[], $2::int[], $3::bytea[], $4::bytea[], $5)",
	5,
};

static const struct db_stmt S_KEY_STATUS = {
	"sealed_seed_status",
	"SELECT key_version, held_by, count(*) FROM otp_api.sealed_seeds GROUP BY 1, 2 ORDER BY 1, 2",
	0,
};

/* Seeds under versions below v, and the highest version any seed uses. */
static int key_range(struct db *db, int v, long *older, int *maxv, struct otp_err *err)
{
	char vs[16];
	snprintf(vs, sizeof vs, "%d", v);
	const char *p[1] = { vs };
	PGresult *res = db_exec_stmt(db, &S_KEY_RANGE, p, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	*older = (long)db_get_ll(res, 0, 0);
	*maxv = db_get_int(res, 0, 1);
	PQclear(res);
	return 0;
}

struct rekey_arrays {
	struct sbuf creds, olds, oldseeds, newseeds;
};

/* Start ("{") and finish ("}") the four array literals of a batch; finishing
 * returns -1 when memory ran out. */
static void rekey_arrays_open(struct rekey_arrays *a)
{
	struct sbuf *all[4] = { &a->creds, &a->olds, &a->oldseeds, &a->newseeds };
	for (int i = 0; i < 4; i++) {
		sb_reset(all[i]);
		sb_put(all[i], "{");
	}
}

static int rekey_arrays_close(struct rekey_arrays *a)
{
	struct sbuf *all[4] = { &a->creds, &a->olds, &a->oldseeds, &a->newseeds };
	bool oom = false;
	for (int i = 0; i < 4; i++) {
		sb_put(all[i], "}");
		oom |= all[i]->oom;
	}
	return oom ? -1 : 0;
}

/* Open one stored seed (bytea text) under its version, seal it again under
 * ns and append both blobs to the batch's arrays. */
static int reseal_one(struct db_keyring *kr, struct otp_sealer *ns, const char *cred, int ov, const char *blobtext,
		      bool first, struct rekey_arrays *a, struct otp_err *err)
{
	uint8_t seed[OTP_SECRET_MAX], nblob[BLOB_MAX];
	size_t bloblen = 0, seedlen = 0, nbloblen = 0;
	int rc = -1;
	unsigned char *blob = PQunescapeBytea((const unsigned char *)blobtext, &bloblen);
	if (!blob)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	if (db_keyring_unseal(kr, cred, ov, blob, bloblen, seed, sizeof seed, &seedlen, err) == 0 &&
	    otp_sealer_seal(ns, cred, seed, seedlen, nblob, sizeof nblob, &nbloblen, err) == 0) {
		const char *sep = first ? "" : ",";
		sb_printf(&a->creds, "%s%s", sep, cred);
		sb_printf(&a->olds, "%s%d", sep, ov);
		sb_put(&a->oldseeds, sep);
		sb_bytea_elem(&a->oldseeds, blob, bloblen);
		sb_put(&a->newseeds, sep);
		sb_bytea_elem(&a->newseeds, nblob, nbloblen);
		rc = 0;
	}
	OPENSSL_cleanse(seed, sizeof seed);
	PQfreemem(blob);
	return rc;
}

int db_keys_rotate(struct db *db, struct db_keyring *kr, int batch, long max_batches, struct db_rotate_stats *st,
		   void (*progress)(void *arg, const char *line), void *arg, struct otp_err *err)
{
	struct rekey_arrays a = { 0 };
	char last[16] = "", vs[16], lim[16], line[200];
	int rc = -1;

	otp_err_clear(err);
	memset(st, 0, sizeof *st);
	if (batch < 1 || batch > 100000)
		return otp_err_set(err, OTP_ERR_USAGE, "batch size must be 1 to 100000");
	int newest = db_keyring_newest(kr, err);
	if (newest < 0)
		return -1;
	if (newest == 0) {
		otp_err_set(err, OTP_ERR_REFUSED, "no seed key in %s", db_keyring_dir(kr));
		otp_err_hint(err, "create the first one with: otpctl keys init");
		return -1;
	}
	long older = 0;
	int maxv = 0;
	if (key_range(db, newest, &older, &maxv, err) != 0)
		return -1;
	if (maxv > newest) {
		otp_err_set(err, OTP_ERR_REFUSED, "seeds are sealed under key version %d, but %s has keys up to version %d only",
			    maxv, db_keyring_dir(kr), newest);
		otp_err_hint(err, "use the key directory the verifier uses (--key-dir / OTP_KEY_DIR)");
		return -1;
	}
	if (older == 0) {
		if (db_keyring_create(kr, &st->version, err) != 0)
			return -1;
		st->created = true;
		if (progress) {
			snprintf(line, sizeof line, "rotate: created key version %d in %s", st->version, db_keyring_dir(kr));
			progress(arg, line);
		}
	} else {
		st->version = newest;
		if (progress) {
			snprintf(line, sizeof line, "rotate: resuming: %ld seeds still under versions below %d", older, newest);
			progress(arg, line);
		}
	}
	struct otp_sealer *ns = db_keyring_sealer(kr, st->version, err);
	if (!ns)
		return -1;
	snprintf(vs, sizeof vs, "%d", st->version);
	snprintf(lim, sizeof lim, "%d", batch);
	for (;;) {
		if (max_batches > 0 && st->batches >= max_batches)
			break;
		const char *p[3] = { vs, last, lim };
		PGresult *res = db_exec_stmt(db, &S_OLD_SEEDS, p, PGRES_TUPLES_OK, err);
		if (!res)
			goto out;
		int n = PQntuples(res);
		if (n == 0) {
			PQclear(res);
			break;
		}
		rekey_arrays_open(&a);
		for (int i = 0; i < n; i++) {
			if (reseal_one(kr, ns, PQgetvalue(res, i, 0), db_get_int(res, i, 1), PQgetvalue(res, i, 2), i == 0, &a,
				       err) != 0) {
				PQclear(res);
				goto out;
			}
		}
		otp_strlcpy(last, PQgetvalue(res, n - 1, 0), sizeof last);
		PQclear(res);
		if (rekey_arrays_close(&a) != 0) {
			otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
			goto out;
		}
		const char *rp[5] = { a.creds.p, a.olds.p, a.oldseeds.p, a.newseeds.p, vs };
		struct db_outcome oc;
		if (db_call(db, &S_REKEY, rp, &oc, err) != 0)
			goto out;
		st->resealed += strtol(oc.ref, NULL, 10);
		st->batches++;
		if (progress) {
			snprintf(line, sizeof line, "rotate: batch %ld: %ld seeds re-sealed under version %d so far",
				 st->batches, st->resealed, st->version);
			progress(arg, line);
		}
	}
	if (key_range(db, st->version, &st->remaining, &maxv, err) != 0)
		goto out;
	rc = 0;
out:
	sb_free(&a.creds);
	sb_free(&a.olds);
	sb_free(&a.oldseeds);
	sb_free(&a.newseeds);
	return rc;
}

int db_keys_status(struct db *db, struct db_key_count *out, int max, int *n, struct otp_err *err)
{
	otp_err_clear(err);
	*n = 0;
	PGresult *res = db_exec_stmt(db, &S_KEY_STATUS, NULL, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res) && *n < max; i++) {
		out[*n].version = db_get_int(res, i, 0);
		db_get(res, i, 1, out[*n].held_by, sizeof out[*n].held_by);
		out[*n].count = (long)db_get_ll(res, i, 2);
		(*n)++;
	}
	PQclear(res);
	return 0;
}
