/* test_token_fix: what the verifier and token tests share: one key
 * directory per test process (so every suite's seeds open under it, as in
 * production), staff logins for the verifier service, an administrator and
 * a teller, fresh contracts, and tokens provisioned through the real API
 * whose seeds the test learns from the otpauth URI, like a customer's app. */
#ifndef OTPDESK_TEST_TOKEN_FIX_H
#define OTPDESK_TEST_TOKEN_FIX_H

#include <stdint.h>

#include "db/token.h"
#include "otp/otp.h"

/* A fixed "now" far from the fixture's real timestamps; steps are 30 s. */
#define TOKFIX_T0 1800000000LL

struct tokfix_token {
	char contract[16];
	char credential[16];
	uint8_t seed[OTP_SECRET_MAX];
	size_t seedlen;
	enum otp_algo algo;
	unsigned digits, period;
};

/* Suite init: the database, the logins tok_ver (otp_verifier), tok_adm
 * (otp_admin), tok_tel (otp_teller, branch 012) and the key directory. */
int tokfix_init(void);
/* The shared key directory (seed-key.1 is created on first use). */
const char *tokfix_key_dir(void);
/* Shared connections (do not close): administrator, and a verifier. */
struct db *tokfix_admin(void);
struct db_verifier *tokfix_verifier(void);
/* A new contract of branch 012 with no token row; id gets its ID. */
void tokfix_contract(char id[16]);
/* Provision a credential for contract (as tok_adm) and learn its seed. */
int tokfix_provision(const char *contract, struct tokfix_token *t);
/* A new contract whose token is provisioned and registered at now. */
int tokfix_active(struct tokfix_token *t, int64_t now);
/* The code of t for a time step. */
void tokfix_code(const struct tokfix_token *t, int64_t step, char code[OTP_CODE_SIZE]);
/* The code of t at Unix time now. */
void tokfix_code_at(const struct tokfix_token *t, int64_t now, char code[OTP_CODE_SIZE]);
/* A one-value superuser query with one text parameter. */
long long tokfix_count1(const char *sql, const char *param);
/* The token row of a contract as text (for before/after comparisons). */
void tokfix_row(const char *contract, char *out, size_t size);

#endif
