/* The privilege matrix: the database is the security boundary, so these
 * tests pin down every grant. They fail when a grant is widened (a new write
 * privilege, a new readable object, a function callable by a group it does
 * not name) as well as when the API refuses a group it should serve.
 *
 * Adding a view or an API function means adding it to the tables below:
 * that is the deliberate step a reviewer sees. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/dbfix.h"
#include "tests/lib/testlib.h"

static const char *const groups[] = {
	"otp_teller", "otp_supervisor", "otp_helpdesk", "otp_auditor", "otp_admin", "otp_verifier", "otp_batch",
};
#define NGROUPS (int)(sizeof groups / sizeof groups[0])

/* Readable views in otp_api and the groups that may SELECT them. */
struct grant {
	const char *object;
	const char *groups;	/* comma-separated */
};

#define ALL_GROUPS "otp_teller,otp_supervisor,otp_helpdesk,otp_auditor,otp_admin,otp_verifier,otp_batch"
#define STAFF_READERS "otp_teller,otp_supervisor,otp_helpdesk,otp_auditor,otp_admin"

static const struct grant view_grants[] = {
	{ "whoami", ALL_GROUPS },
	{ "holidays", ALL_GROUPS },
	{ "branches", ALL_GROUPS },
	{ "branch_closing_days", ALL_GROUPS },
	{ "policy", ALL_GROUPS },
	{ "contracts", STAFF_READERS },
	{ "failures", STAFF_READERS },
	{ "staff", "otp_supervisor,otp_auditor,otp_admin" },
	{ "audit_events", "otp_auditor" },
	{ "audit_chain_head", "otp_auditor,otp_batch" },
	{ "audit_checkpoints", "otp_auditor,otp_batch" },
	{ "audit_archives", "otp_auditor,otp_batch" },
	{ "staff_contracts", "otp_admin,otp_auditor" },
	{ "requests", "otp_teller,otp_supervisor,otp_helpdesk,otp_auditor,otp_admin,otp_batch" },
	{ "requests_overdue", "otp_teller,otp_supervisor,otp_helpdesk,otp_auditor,otp_admin,otp_batch" },
	{ "id_document_types", ALL_GROUPS },
	{ "verifier_tokens", "otp_verifier" },
	{ "verifier_pending", "otp_verifier" },
	{ "sealed_seeds", "otp_admin" },
	{ "seedless_tokens", "otp_admin" },
};

/* Mutating API functions (returning otp_api.outcome) and the groups each names. */
static const struct grant api_functions[] = {
	{ "staff_create", "otp_admin" },
	{ "staff_set_active", "otp_admin" },
	{ "staff_set_groups", "otp_admin" },
	{ "staff_set_password", "otp_admin" },
	{ "branch_upsert", "otp_admin" },
	{ "branch_closing_day_set", "otp_admin" },
	{ "policy_set", "otp_admin" },
	{ "audit_seal", "otp_batch" },
	{ "audit_checkpoint_add", "otp_batch,otp_auditor" },
	{ "audit_archive_record", "otp_auditor" },
	{ "staff_contract_set", "otp_admin" },
	{ "request_submit", "otp_teller" },
	{ "request_approve", "otp_supervisor" },
	{ "request_reject", "otp_supervisor" },
	{ "request_cancel", "otp_teller,otp_supervisor" },
	{ "request_execute", "otp_batch" },
	{ "request_execute_batch", "otp_batch" },
	{ "fraud_hold_set", "otp_helpdesk,otp_admin" },
	{ "fraud_hold_lift", "otp_helpdesk,otp_admin" },
	{ "verify_record", "otp_verifier" },
	{ "token_provision", "otp_admin,otp_verifier" },
	{ "token_register", "otp_verifier" },
	{ "token_stop", "otp_verifier" },
	{ "token_seed_stage", "otp_admin" },
	{ "token_seed_apply", "otp_admin" },
	{ "token_import", "otp_admin" },
	{ "seed_rekey", "otp_admin" },
};

/* Functions outside otp_api that groups may execute (called by views). */
static const char *const helper_functions[] = {
	"otp.group_roles", "otp.my_groups", "otp.my_scope",
};

/* Read-only functions in otp_api (not returning outcome): callable by all groups. */
static const char *const readonly_api_functions[] = {
	"audit_search",
	"audit_exceptions",
	"contract_get",
	"contract_by_credential",
	"contract_search_kana",
	"credential_serial_next",
	"due_dates",
};

static int in_list(const char *list, const char *item)
{
	size_t n = strlen(item);
	for (const char *p = list; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && strncmp(p, item, n) == 0)
			return 1;
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

static const struct grant *find_grant(const struct grant *tab, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tab[i].object, name) == 0)
			return &tab[i];
	return NULL;
}

static int init(void)
{
	if (dbfix_suite_init() != 0)
		return -1;
	for (int g = 0; g < NGROUPS; g++)
		dbfix_staff(groups[g] + 4, "012", groups[g]);	/* t<pid>_teller, ... */
	return 0;
}

/* No group holds a write privilege on any relation of any schema. */
static void test_no_write_privilege_anywhere(void)
{
	PGconn *c = dbfix_pg();
	PGresult *r = PQexec(c,
		"SELECT g.rolname, n.nspname || '.' || cl.relname, p.priv"
		" FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace"
		" CROSS JOIN (VALUES ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE'), ('REFERENCES'), ('TRIGGER')) p(priv)"
		" CROSS JOIN pg_roles g"
		" WHERE g.rolname LIKE 'otp\\_%' AND g.rolname <> 'otp_owner'"
		"   AND cl.relkind IN ('r', 'v', 'm', 'p', 'f')"
		"   AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
		"   AND has_table_privilege(g.oid, cl.oid, p.priv)");
	CU_ASSERT_EQUAL_FATAL(PQresultStatus(r), PGRES_TUPLES_OK);
	for (int i = 0; i < PQntuples(r); i++)
		fprintf(stderr, "\n  widened: %s has %s on %s", PQgetvalue(r, i, 0), PQgetvalue(r, i, 2),
			PQgetvalue(r, i, 1));
	CU_ASSERT_EQUAL(PQntuples(r), 0);
	PQclear(r);
}

/* For every group x every table x INSERT/UPDATE/DELETE/TRUNCATE: the attempt,
 * made through a real login of that group, is refused with 42501. */
static void test_write_attempts_refused(void)
{
	PGconn *su = dbfix_pg();
	PGresult *tabs = PQexec(su,
		"SELECT format('%I.%I', n.nspname, c.relname), c.relkind FROM pg_class c"
		" JOIN pg_namespace n ON n.oid = c.relnamespace"
		" WHERE n.nspname IN ('otp', 'otp_api', 'otp_meta', 'public') AND c.relkind IN ('r', 'v', 'p')"
		" ORDER BY 1");
	CU_ASSERT_EQUAL_FATAL(PQresultStatus(tabs), PGRES_TUPLES_OK);
	CU_ASSERT(PQntuples(tabs) >= 9);
	int attempts = 0, refused = 0;
	for (int g = 0; g < NGROUPS; g++) {
		PGconn *c = dbfix_pg_as(groups[g] + 4);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		for (int t = 0; t < PQntuples(tabs); t++) {
			const char *rel = PQgetvalue(tabs, t, 0);
			int is_view = PQgetvalue(tabs, t, 1)[0] == 'v';
			const char *const forms[] = {
				"INSERT INTO %s DEFAULT VALUES", "UPDATE %s SET %s = %s",
				"DELETE FROM %s", "TRUNCATE %s",
			};
			for (int f = 0; f < 4; f++) {
				if (is_view && f == 3)
					continue;	/* views cannot be truncated at all */
				char sql[512];
				if (f == 1) {
					/* any column will do: the privilege check comes first */
					char col[128];
					const char *p[1] = { rel };
					dbfix_valuep("SELECT quote_ident(attname) FROM pg_attribute WHERE attrelid = $1::regclass"
						     " AND attnum > 0 AND NOT attisdropped ORDER BY attnum LIMIT 1",
						     1, p, col, sizeof col);
					snprintf(sql, sizeof sql, forms[f], rel, col, col);
				} else {
					snprintf(sql, sizeof sql, forms[f], rel);
				}
				PGresult *r = PQexec(c, sql);
				const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
				attempts++;
				/* 42501: permission denied; 55000: a view that is not updatable at all */
				if (PQresultStatus(r) == PGRES_FATAL_ERROR && state &&
				    (strcmp(state, "42501") == 0 || (is_view && strcmp(state, "55000") == 0)))
					refused++;
				else
					fprintf(stderr, "\n  NOT refused (%s): %s as %s", state ? state : "ok", sql, groups[g]);
				PQclear(r);
			}
		}
		PQfinish(c);
	}
	PQclear(tabs);
	CU_ASSERT(attempts > 200);
	CU_ASSERT_EQUAL(refused, attempts);
}

/* Groups reach no table directly: no USAGE on schema otp / otp_meta and no
 * privilege at all on their relations. */
static void test_no_access_to_private_schemas(void)
{
	long long n = dbfix_count(
		"SELECT count(*) FROM pg_roles g, pg_namespace n"
		" WHERE g.rolname LIKE 'otp\\_%' AND g.rolname <> 'otp_owner' AND n.nspname IN ('otp', 'otp_meta', 'public')"
		"   AND (has_schema_privilege(g.oid, n.oid, 'USAGE') OR has_schema_privilege(g.oid, n.oid, 'CREATE'))");
	CU_ASSERT_EQUAL(n, 0);
	n = dbfix_count(
		"SELECT count(*) FROM pg_roles g, pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
		" WHERE g.rolname LIKE 'otp\\_%' AND g.rolname <> 'otp_owner' AND n.nspname IN ('otp', 'otp_meta')"
		"   AND has_table_privilege(g.oid, c.oid, 'SELECT')");
	CU_ASSERT_EQUAL(n, 0);
	n = dbfix_count(
		"SELECT count(*) FROM pg_roles g, pg_namespace n"
		" WHERE g.rolname LIKE 'otp\\_%' AND g.rolname <> 'otp_owner' AND n.nspname = 'otp_api'"
		"   AND has_schema_privilege(g.oid, n.oid, 'CREATE')");
	CU_ASSERT_EQUAL(n, 0);
}

/* SELECT on views exactly as in view_grants: nothing more, nothing less. */
static void test_view_grants_exact(void)
{
	PGconn *c = dbfix_pg();
	PGresult *r = PQexec(c,
		"SELECT c.relname, g.rolname, has_table_privilege(g.oid, c.oid, 'SELECT')"
		" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, pg_roles g"
		" WHERE n.nspname = 'otp_api' AND c.relkind IN ('v', 'r', 'm')"
		"   AND g.rolname LIKE 'otp\\_%' AND g.rolname <> 'otp_owner' ORDER BY 1, 2");
	CU_ASSERT_EQUAL_FATAL(PQresultStatus(r), PGRES_TUPLES_OK);
	int bad = 0;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *view = PQgetvalue(r, i, 0), *grp = PQgetvalue(r, i, 1);
		int has = PQgetvalue(r, i, 2)[0] == 't';
		const struct grant *gr = find_grant(view_grants, sizeof view_grants / sizeof view_grants[0], view);
		if (!gr) {
			fprintf(stderr, "\n  view otp_api.%s is not in the privilege matrix", view);
			bad++;
			continue;
		}
		if (has != in_list(gr->groups, grp)) {
			fprintf(stderr, "\n  otp_api.%s: %s %s SELECT", view, grp, has ? "unexpectedly has" : "lacks");
			bad++;
		}
	}
	CU_ASSERT(PQntuples(r) >= (int)(sizeof view_grants / sizeof view_grants[0]) * NGROUPS);
	CU_ASSERT_EQUAL(bad, 0);
	PQclear(r);
}

/* EXECUTE outside otp_api only on the view helpers; every otp_api function is
 * either a mutating API function or a listed read-only one. */
static void test_function_inventory(void)
{
	PGconn *c = dbfix_pg();
	PGresult *r = PQexec(c,
		"SELECT DISTINCT n.nspname || '.' || p.proname, n.nspname = 'otp_api',"
		"       p.prorettype = 'otp_api.outcome'::regtype, p.prosecdef,"
		"       coalesce(array_to_string(p.proconfig, ','), '')"
		" FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace, pg_roles g"
		" WHERE n.nspname IN ('otp', 'otp_api', 'otp_meta', 'public')"
		"   AND g.rolname LIKE 'otp\\_%' AND g.rolname <> 'otp_owner'"
		"   AND has_function_privilege(g.oid, p.oid, 'EXECUTE')");
	CU_ASSERT_EQUAL_FATAL(PQresultStatus(r), PGRES_TUPLES_OK);
	int bad = 0;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *fn = PQgetvalue(r, i, 0);
		int api = PQgetvalue(r, i, 1)[0] == 't';
		int outcome = PQgetvalue(r, i, 2)[0] == 't';
		int secdef = PQgetvalue(r, i, 3)[0] == 't';
		const char *config = PQgetvalue(r, i, 4);
		int listed = 0;
		if (!api) {
			for (size_t k = 0; k < sizeof helper_functions / sizeof helper_functions[0]; k++)
				listed |= strcmp(fn, helper_functions[k]) == 0;
		} else if (outcome) {
			listed = find_grant(api_functions, sizeof api_functions / sizeof api_functions[0],
					    fn + strlen("otp_api.")) != NULL;
		} else {
			for (size_t k = 0; k < sizeof readonly_api_functions / sizeof readonly_api_functions[0]; k++)
				listed |= strcmp(fn + strlen("otp_api."), readonly_api_functions[k]) == 0;
		}
		if (!listed) {
			fprintf(stderr, "\n  function %s is executable by a group but not in the matrix", fn);
			bad++;
		}
		if (secdef && !strstr(config, "search_path=")) {
			fprintf(stderr, "\n  SECURITY DEFINER function %s has no pinned search_path", fn);
			bad++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	PQclear(r);
}

/* Every mutating API function: a group it does not name is refused (OD001)
 * with a 'refused' audit row; a group it names gets past the role check. */
static void test_api_functions_refuse_unnamed_groups(void)
{
	PGconn *su = dbfix_pg();
	PGresult *fns = PQexec(su,
		"SELECT p.proname, format('SELECT ok, code FROM %s(%s)', p.oid::regproc,"
		"  coalesce((SELECT string_agg('NULL::' || format_type(t, NULL), ', ' ORDER BY o)"
		"            FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY a(t, o)), ''))"
		" FROM pg_proc p WHERE p.pronamespace = 'otp_api'::regnamespace"
		"   AND p.prorettype = 'otp_api.outcome'::regtype ORDER BY 1");
	CU_ASSERT_EQUAL_FATAL(PQresultStatus(fns), PGRES_TUPLES_OK);
	CU_ASSERT(PQntuples(fns) >= (int)(sizeof api_functions / sizeof api_functions[0]));
	int checked = 0, bad = 0;
	for (int g = 0; g < NGROUPS; g++) {
		PGconn *c = dbfix_pg_as(groups[g] + 4);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		char login[64];
		PGresult *who = PQexec(c, "SELECT session_user");
		snprintf(login, sizeof login, "%s", PQgetvalue(who, 0, 0));
		PQclear(who);
		const char *lp[1] = { login };
		for (int f = 0; f < PQntuples(fns); f++) {
			const char *name = PQgetvalue(fns, f, 0), *call = PQgetvalue(fns, f, 1);
			const struct grant *gr = find_grant(api_functions, sizeof api_functions / sizeof api_functions[0], name);
			if (!gr) {
				fprintf(stderr, "\n  API function %s is not in the privilege matrix", name);
				bad++;
				continue;
			}
			char before[32], after[32];
			dbfix_valuep("SELECT count(*) FROM otp.audit_event WHERE actor = $1 AND outcome = 'refused'"
				     " AND reason_code = 'OD001'", 1, lp, before, sizeof before);
			PGresult *r = PQexec(c, call);
			int refused = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
				      PQgetvalue(r, 0, 0)[0] == 'f' && strcmp(PQgetvalue(r, 0, 1), "OD001") == 0;
			PQclear(r);
			dbfix_valuep("SELECT count(*) FROM otp.audit_event WHERE actor = $1 AND outcome = 'refused'"
				     " AND reason_code = 'OD001'", 1, lp, after, sizeof after);
			int audited = atoll(after) == atoll(before) + 1;
			int named = in_list(gr->groups, groups[g]);
			checked++;
			if (!named && !(refused && audited)) {
				fprintf(stderr, "\n  %s as %s: %s", name, groups[g],
					refused ? "refused but not audited" : "NOT refused");
				bad++;
			}
			if (named && refused) {
				fprintf(stderr, "\n  %s refuses %s, which it names", name, groups[g]);
				bad++;
			}
		}
		PQfinish(c);
	}
	PQclear(fns);
	CU_ASSERT(checked >= NGROUPS * (int)(sizeof api_functions / sizeof api_functions[0]));
	CU_ASSERT_EQUAL(bad, 0);
}

/* A deactivated staff member is refused even while still in a group. */
static void test_inactive_staff_refused(void)
{
	dbfix_staff("gone_admin", "000", "otp_admin");
	PGconn *c = dbfix_pg_as("gone_admin");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	char login[64];
	snprintf(login, sizeof login, "%s", PQuser(c));
	const char *p[1] = { login };
	PGresult *r = PQexecParams(dbfix_pg(), "UPDATE otp.staff SET active = false WHERE login = $1", 1, NULL, p,
				   NULL, NULL, 0);
	CU_ASSERT_EQUAL(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	r = PQexec(c, "SELECT ok, code FROM otp_api.policy_set(3, NULL, NULL, NULL, NULL)");
	CU_ASSERT_EQUAL_FATAL(PQresultStatus(r), PGRES_TUPLES_OK);
	CU_ASSERT_STRING_EQUAL(PQgetvalue(r, 0, 0), "f");
	CU_ASSERT_STRING_EQUAL(PQgetvalue(r, 0, 1), "OD001");
	PQclear(r);
	CU_ASSERT_EQUAL(dbfix_count("SELECT lock_threshold FROM otp.policy"), 5);
	r = PQexec(c, "SELECT count(*) FROM otp_api.contracts");
	CU_ASSERT_EQUAL(PQresultStatus(r), PGRES_TUPLES_OK);
	CU_ASSERT_STRING_EQUAL(PQgetvalue(r, 0, 0), "0");	/* sees nothing */
	PQclear(r);
	PQfinish(c);
}

TEST_SUITE(privileges, "db/privileges", init, NULL,
	   TEST(test_no_write_privilege_anywhere),
	   TEST(test_write_attempts_refused),
	   TEST(test_no_access_to_private_schemas),
	   TEST(test_view_grants_exact),
	   TEST(test_function_inventory),
	   TEST(test_api_functions_refuse_unnamed_groups),
	   TEST(test_inactive_staff_refused))
