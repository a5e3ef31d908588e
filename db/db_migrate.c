/* db_migrate: applies schema/NNN_name.sql in order, once each, recording a
 * SHA-256 of every applied file. A file changed after it was applied is an
 * error, never silently re-run. An advisory lock keeps two migrators apart. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "db/calendar.h"
#include "db/db_internal.h"

#define MIGRATE_LOCK "7262761220551"	/* arbitrary advisory lock key */

static const char *const bootstrap_sql =
	"CREATE SCHEMA IF NOT EXISTS otp_meta;"
	"REVOKE ALL ON SCHEMA otp_meta FROM PUBLIC;"
	"CREATE TABLE IF NOT EXISTS otp_meta.migration ("
	"  name text PRIMARY KEY,"
	"  sha256 text NOT NULL,"
	"  applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
	"  applied_by text NOT NULL DEFAULT session_user)";

static int is_migration_name(const char *n)
{
	size_t len = strlen(n);
	return len > 8 && n[0] >= '0' && n[0] <= '9' && n[1] >= '0' && n[1] <= '9' && n[2] >= '0' &&
	       n[2] <= '9' && n[3] == '_' && strcmp(n + len - 4, ".sql") == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_files(const char *dir, char ***names, int *count, struct otp_err *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return otp_err_set(err, OTP_ERR_IO, "cannot open schema directory %s: %s", dir, strerror(errno));
	int cap = 16, n = 0;
	char **v = malloc((size_t)cap * sizeof *v);
	struct dirent *e;
	while (v && (e = readdir(d))) {
		if (!is_migration_name(e->d_name))
			continue;
		if (n == cap) {
			char **nv = realloc(v, (size_t)(cap *= 2) * sizeof *v);
			if (!nv)
				break;
			v = nv;
		}
		v[n++] = strdup(e->d_name);
	}
	closedir(d);
	if (!v)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	qsort(v, (size_t)n, sizeof *v, cmp_str);
	*names = v;
	*count = n;
	return 0;
}

static char *read_file(const char *path, size_t *len, struct otp_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		otp_err_set(err, OTP_ERR_IO, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		char *nb = realloc(buf, (cap *= 2) + 1);
		if (!nb) {
			free(buf);
			buf = NULL;
		} else {
			buf = nb;
		}
	}
	int bad = ferror(f);
	fclose(f);
	if (!buf || bad) {
		free(buf);
		otp_err_set(err, OTP_ERR_IO, "cannot read %s", path);
		return NULL;
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', n)) {
		free(buf);
		otp_err_set(err, OTP_ERR_IO, "%s contains a NUL byte", path);
		return NULL;
	}
	*len = n;
	return buf;
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Apply one file unless recorded; 1 applied, 0 skipped, -1 error. */
static int apply_one(struct db *db, const char *dir, const char *name, struct otp_err *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	size_t len = 0;
	char *sql = read_file(path, &len, err);
	if (!sql)
		return -1;
	char hex[65];
	sha256_hex(sql, len, hex);

	const char *p1[1] = { name };
	PGresult *res = db_exec(db, "SELECT sha256 FROM otp_meta.migration WHERE name = $1", 1, p1,
				PGRES_TUPLES_OK, err);
	if (!res) {
		free(sql);
		return -1;
	}
	if (PQntuples(res) == 1) {
		int same = strcmp(PQgetvalue(res, 0, 0), hex) == 0;
		if (!same) {
			otp_err_set(err, OTP_ERR_USAGE, "%s was changed after it was applied", name);
			snprintf(err->detail, sizeof err->detail, "recorded sha256 %s, file now %s",
				 PQgetvalue(res, 0, 0), hex);
			otp_err_hint(err, "never edit an applied migration: add a new schema/NNN_*.sql instead");
		}
		PQclear(res);
		free(sql);
		return same ? 0 : -1;
	}
	PQclear(res);

	if (db_command(db, "BEGIN", err) != 0) {
		free(sql);
		return -1;
	}
	/* The migration file itself: a trusted multi-statement script. */
	PGresult *r = PQexec(db->conn, sql);
	free(sql);
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
		if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
			db_fail(db, r, err);
			char msg[sizeof err->message];
			otp_strlcpy(msg, err->message, sizeof msg);
			snprintf(err->message, sizeof err->message, "%s: %s", name, msg);
			struct otp_err ignore;
			db_command(db, "ROLLBACK", &ignore);
			return -1;
		}
	}
	PQclear(r);
	const char *p2[2] = { name, hex };
	res = NULL;
	if (db_command(db, "RESET ROLE", err) == 0)
		res = db_exec(db, "INSERT INTO otp_meta.migration (name, sha256) VALUES ($1, $2)", 2, p2,
			      PGRES_COMMAND_OK, err);
	if (!res) {
		struct otp_err ignore;
		db_command(db, "ROLLBACK", &ignore);
		return -1;
	}
	PQclear(res);
	if (db_command(db, "COMMIT", err) != 0)
		return -1;
	return 1;
}

int db_migrate(struct db *db, const char *dir, void (*progress)(const char *line), struct otp_err *err)
{
	otp_err_clear(err);
	const char *lock[1] = { MIGRATE_LOCK };
	PGresult *res = db_exec(db, "SELECT pg_advisory_lock($1::bigint)", 1, lock, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	PQclear(res);
	int applied = 0;
	char **names = NULL;
	int count = 0;
	res = PQexec(db->conn, bootstrap_sql);
	if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
		db_fail(db, res, err);
		applied = -1;
		goto out;
	}
	PQclear(res);
	if (list_files(dir, &names, &count, err) != 0) {
		applied = -1;
		goto out;
	}
	if (count == 0) {
		otp_err_set(err, OTP_ERR_IO, "no schema/NNN_*.sql files in %s", dir);
		applied = -1;
		goto out;
	}
	for (int i = 0; i < count; i++) {
		int rc = apply_one(db, dir, names[i], err);
		if (rc < 0) {
			applied = -1;
			break;
		}
		if (rc > 0) {
			applied++;
			if (progress) {
				char line[512];
				snprintf(line, sizeof line, "applied %s", names[i]);
				progress(line);
			}
		}
	}
	if (applied >= 0 && db_calendar_sync(db, CAL_YEAR_MIN, CAL_YEAR_MAX, err) < 0)	/* otp.holiday from cal/ */
		applied = -1;
out:
	for (int i = 0; i < count; i++)
		free(names[i]);
	free(names);
	struct otp_err ignore;
	res = db_exec(db, "SELECT pg_advisory_unlock($1::bigint)", 1, lock, PGRES_TUPLES_OK, &ignore);
	PQclear(res);
	return applied;
}
