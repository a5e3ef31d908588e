/* otpctl request: submit, decide, cancel and read branch unlock/reset
 * requests (docs/WORKFLOW.md). Connects as the staff login in OTP_USER /
 * OTP_PASSWORD (or PGUSER ...); the database decides what that login may do
 * and audits it. Results on stdout (tab-separated), errors on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "db/workflow.h"

static int request_main(int argc, char **argv);

const struct cli_cmd cmd_request = {
	.name = "request",
	.usage = "otpctl request submit --contract ID --kind unlock|reset --form NO --doc TYPE [--doc2 TYPE]\n"
		 "                              [--doc-issued DATE] --name-match yes|no --address-match yes|no\n"
		 "                              --seal match|mismatch [--notes TEXT]\n"
		 "       otpctl request approve RECEIPT\n"
		 "       otpctl request reject RECEIPT --reason TEXT\n"
		 "       otpctl request cancel RECEIPT --reason TEXT\n"
		 "       otpctl request show RECEIPT\n"
		 "       otpctl request list [--state S] [--branch B] [--contract ID] [--newest-first] [--limit N]\n"
		 "       otpctl request doc-types",
	.summary = "unlock/reset requests: submit, approve, reject, cancel, show, list",
	.run = request_main,
};

/* An option --name VALUE (or a bare --name flag). */
struct opt {
	const char *name;
	const char **value;
	bool flag;		/* takes no value; *value becomes "1" */
};

/* Fill the options' values from argv[first..]; -1 (after a message) on an
 * unknown option, an extra argument or a missing value. */
static int parse_opts(int argc, char **argv, int first, const struct opt *opts, size_t nopts)
{
	for (int i = first; i < argc; i++) {
		size_t k;
		for (k = 0; k < nopts; k++)
			if (strcmp(argv[i], opts[k].name) == 0)
				break;
		if (k == nopts) {
			fprintf(stderr, "error: unknown option or extra argument: %s\n", argv[i]);
			return -1;
		}
		if (opts[k].flag) {
			*opts[k].value = "1";
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "error: %s needs a value\n", argv[i]);
			return -1;
		}
		*opts[k].value = argv[++i];
	}
	return 0;
}

/* yes/no, match/mismatch: 1, 0, or -1 when neither. */
static int yes_no(const char *s, const char *yes, const char *no)
{
	if (s && strcmp(s, yes) == 0)
		return 1;
	if (s && strcmp(s, no) == 0)
		return 0;
	return -1;
}

static int with_db(int (*fn)(struct db *db, void *arg), void *arg)
{
	struct db *db = cli_connect();
	if (!db)
		return CLI_CONNECT;
	int rc = fn(db, arg);
	db_close(db);
	return rc;
}

/* ---- submit ------------------------------------------------------------ */

static int do_submit(struct db *db, void *arg)
{
	const struct db_request_new *req = arg;
	struct db_receipt r;
	struct otp_err err;
	if (db_request_submit(db, req, &r, &err) != 0)
		return cli_error(&err);
	printf("receipt\t%s\nday1\t%s\neligible\t%s\ndue\t%s\n", r.receipt_no, r.day1, r.eligible, r.due);
	return CLI_OK;
}

static int submit(int argc, char **argv)
{
	const char *contract = NULL, *kind = NULL, *form = NULL, *doc = NULL, *doc2 = NULL, *issued = NULL;
	const char *name = NULL, *addr = NULL, *seal = NULL, *notes = NULL;
	const struct opt opts[] = {
		{ "--contract", &contract, false }, { "--kind", &kind, false }, { "--form", &form, false },
		{ "--doc", &doc, false }, { "--doc2", &doc2, false }, { "--doc-issued", &issued, false },
		{ "--name-match", &name, false }, { "--address-match", &addr, false }, { "--seal", &seal, false },
		{ "--notes", &notes, false },
	};
	if (parse_opts(argc, argv, 1, opts, sizeof opts / sizeof opts[0]) != 0)
		return cli_usage(&cmd_request);
	int k = db_req_kind_parse(kind);
	int nm = yes_no(name, "yes", "no"), am = yes_no(addr, "yes", "no"), sm = yes_no(seal, "match", "mismatch");
	if (!contract || !form || !doc || k < 0 || nm < 0 || am < 0 || sm < 0) {
		fprintf(stderr, "error: --contract, --kind unlock|reset, --form, --doc, --name-match yes|no,"
				" --address-match yes|no and --seal match|mismatch are required\n");
		return cli_usage(&cmd_request);
	}
	struct db_request_new req = {
		.contract_id = contract, .kind = (enum db_req_kind)k, .form_no = form, .doc_type = doc,
		.doc2_type = doc2, .doc_issued = issued, .name_matched = nm == 1, .address_matched = am == 1,
		.seal_match = sm == 1, .notes = notes,
	};
	return with_db(do_submit, &req);
}

/* ---- approve / reject / cancel ------------------------------------------ */

struct decision {
	const char *receipt;
	const char *reason;
	int (*fn)(struct db *, const char *, const char *, struct db_outcome *, struct otp_err *);
};

static int approve_fn(struct db *db, const char *receipt, const char *reason, struct db_outcome *out,
		      struct otp_err *err)
{
	(void)reason;
	return db_request_approve(db, receipt, out, err);
}

static int do_decision(struct db *db, void *arg)
{
	const struct decision *d = arg;
	struct db_outcome out;
	struct otp_err err;
	if (d->fn(db, d->receipt, d->reason, &out, &err) != 0)
		return cli_error(&err);
	printf("%s\n", out.message);
	return CLI_OK;
}

static int decision(int argc, char **argv, bool needs_reason,
		    int (*fn)(struct db *, const char *, const char *, struct db_outcome *, struct otp_err *))
{
	const char *reason = NULL;
	const struct opt opts[] = { { "--reason", &reason, false } };
	if (argc < 2 || parse_opts(argc, argv, 2, opts, needs_reason ? 1 : 0) != 0)
		return cli_usage(&cmd_request);
	if (needs_reason && !reason) {
		fprintf(stderr, "error: --reason is required\n");
		return cli_usage(&cmd_request);
	}
	struct decision d = { argv[1], reason, fn };
	return with_db(do_decision, &d);
}

static int approve(int argc, char **argv)
{
	return decision(argc, argv, false, approve_fn);
}

static int reject(int argc, char **argv)
{
	return decision(argc, argv, true, db_request_reject);
}

static int cancel(int argc, char **argv)
{
	return decision(argc, argv, true, db_request_cancel);
}

/* ---- show / list --------------------------------------------------------- */

static void print_request(const struct db_request *q)
{
	const struct {
		const char *key, *value;
	} rows[] = {
		{ "receipt", q->receipt_no },
		{ "state", db_req_state_name(q->state) },
		{ "kind", db_req_kind_name(q->kind) },
		{ "branch", q->branch_code },
		{ "branch_name", q->branch_name },
		{ "contract", q->contract_id },
		{ "name", q->name_kanji },
		{ "name_kana", q->name_kana },
		{ "token_state", q->token_state },
		{ "token_state_at_submit", q->token_state_at_submit },
		{ "credential", q->credential_id },
		{ "form_no", q->form_no },
		{ "doc", q->doc_type },
		{ "doc_name", q->doc_name_ja },
		{ "doc_issued", q->doc_issued },
		{ "doc2", q->doc2_type },
		{ "doc2_name", q->doc2_name_ja },
		{ "name_matched", q->name_matched ? "yes" : "no" },
		{ "address_matched", q->address_matched ? "yes" : "no" },
		{ "id_checked_by", q->id_checked_by },
		{ "seal", q->seal_result },
		{ "seal_checked_by", q->seal_checked_by },
		{ "received_at", q->received_at },
		{ "day1", q->day1 },
		{ "eligible", q->eligible },
		{ "due", q->due },
		{ "overdue", q->is_overdue ? "yes" : "no" },
		{ "fraud_hold", q->fraud_hold ? "yes" : "no" },
		{ "submitted_by", q->submitted_by },
		{ "submitted_by_name", q->submitted_by_name },
		{ "decided_by", q->decided_by },
		{ "decided_by_name", q->decided_by_name },
		{ "decided_at", q->decided_at },
		{ "reject_reason", q->reject_reason },
		{ "executed_by", q->executed_by },
		{ "executed_at", q->executed_at },
		{ "revoked_credential", q->revoked_credential_id },
		{ "cancelled_by", q->cancelled_by },
		{ "cancelled_at", q->cancelled_at },
		{ "cancel_reason", q->cancel_reason },
		{ "notes", q->notes },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		printf("%s\t%s\n", rows[i].key, rows[i].value);
}

static int do_show(struct db *db, void *arg)
{
	struct db_request q;
	struct otp_err err;
	if (db_request_get(db, arg, &q, &err) != 0)
		return cli_error(&err);
	print_request(&q);
	return CLI_OK;
}

static int show(int argc, char **argv)
{
	if (argc != 2)
		return cli_usage(&cmd_request);
	return with_db(do_show, argv[1]);
}

struct listing {
	struct db_request_filter filter;
	long limit;		/* 0: all */
};

/* One line per request (the columns of docs/WORKFLOW.md "otpctl request list"). */
static void print_line(const struct db_request *q)
{
	printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", q->receipt_no, db_req_state_name(q->state),
	       db_req_kind_name(q->kind), q->branch_code, q->contract_id, q->received_at, q->eligible, q->due,
	       q->submitted_by, q->decided_by, q->is_overdue ? "overdue" : "");
}

static int do_list(struct db *db, void *arg)
{
	const struct listing *l = arg;
	struct db_request last;
	bool have_last = false;
	long shown = 0;
	for (;;) {
		struct db_request_page page;
		struct otp_err err;
		int want = 200;
		if (l->limit > 0 && l->limit - shown < want)
			want = (int)(l->limit - shown);
		if (db_request_list(db, &l->filter, have_last ? &last : NULL, want, &page, &err) != 0)
			return cli_error(&err);
		for (int i = 0; i < page.n; i++)
			print_line(&page.rows[i]);
		shown += page.n;
		bool more = page.more && (l->limit == 0 || shown < l->limit);
		if (page.n) {
			last = page.rows[page.n - 1];
			have_last = true;
		}
		db_request_page_free(&page);
		if (!more)
			break;
	}
	return CLI_OK;
}

static int list(int argc, char **argv)
{
	const char *state = NULL, *branch = NULL, *contract = NULL, *newest = NULL, *limit = NULL;
	const struct opt opts[] = {
		{ "--state", &state, false }, { "--branch", &branch, false }, { "--contract", &contract, false },
		{ "--newest-first", &newest, true }, { "--limit", &limit, false },
	};
	if (parse_opts(argc, argv, 1, opts, sizeof opts / sizeof opts[0]) != 0)
		return cli_usage(&cmd_request);
	struct listing l = {
		.filter = { .state = state, .branch = branch, .contract_id = contract, .newest_first = newest != NULL },
		.limit = limit ? strtol(limit, NULL, 10) : 0,
	};
	if (limit && l.limit <= 0) {
		fprintf(stderr, "error: --limit must be a positive number\n");
		return cli_usage(&cmd_request);
	}
	return with_db(do_list, &l);
}

static int do_doc_types(struct db *db, void *arg)
{
	(void)arg;
	struct db_id_doc_type t[32];
	int n;
	struct otp_err err;
	if (db_id_doc_types(db, t, 32, &n, &err) != 0)
		return cli_error(&err);
	for (int i = 0; i < n; i++)
		printf("%s\t%s\t%s\t%s\t%s\n", t[i].code, t[i].accepted_today ? "accepted" : "not-accepted",
		       t[i].has_address ? (t[i].no_address_if_issued_from[0] ? "address-if-issued-before" : "address")
					: "no-address",
		       t[i].name_ja, t[i].name_en);
	return CLI_OK;
}

static int doc_types(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return cli_usage(&cmd_request);
	return with_db(do_doc_types, NULL);
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} subcommands[] = {
	{ "submit", submit }, { "approve", approve }, { "reject", reject }, { "cancel", cancel },
	{ "show", show },     { "list", list },       { "doc-types", doc_types },
};

static int request_main(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(&cmd_request);
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "error: unknown subcommand: request %s\n", argv[1]);
	return cli_usage(&cmd_request);
}
