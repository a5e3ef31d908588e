/* db_admin: administration calls of the SQL API (staff, branches, policy).
 * Passwords are hashed into SCRAM verifiers on the client with
 * PQencryptPasswordConn, so clear text never reaches the server. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "db/db_internal.h"

static const struct db_stmt S_STAFF_CREATE = {
	"staff_create",
	"SELECT * FROM otp_api.staff_create($1, $2, $3, string_to_array($4, ','), $5)",
	5,
};

int db_staff_create(struct db *db, const char *login, const char *display_name, const char *branch,
		    const char *groups, const char *password, struct db_outcome *out, struct otp_err *err)
{
	otp_err_clear(err);
	if (!password || strlen(password) < 8)
		return otp_err_set(err, OTP_ERR_USAGE, "password must have at least 8 characters");
	char *scram = PQencryptPasswordConn(db->conn, password, login ? login : "", "scram-sha-256");
	if (!scram)
		return db_fail(db, NULL, err);
	const char *params[5] = { login, display_name, branch, groups, scram };
	int rc = db_call(db, &S_STAFF_CREATE, params, out, err);
	OPENSSL_cleanse(scram, strlen(scram));
	PQfreemem(scram);
	return rc;
}
