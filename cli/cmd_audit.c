/* otpctl audit: the tamper-evident audit log's operations. The sealer and
 * checkpoints run as the batch service (or an auditor); verification,
 * search, export, the exception report and archiving as an auditor. This
 * file parses arguments, moves bytes between files and the db/ and audit/
 * layers, and prints: results on stdout, progress and errors on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "db/auditlog.h"
#include "db/db.h"

/* Exit code of verify when it found damage, and of exceptions when a
 * must-be-zero category is not zero. */
#define AUDIT_EXIT_DAMAGE 4

static int audit_main(int argc, char **argv);

const struct cli_cmd cmd_audit = {
	.name = "audit",
	.usage = "otpctl audit seal [--follow] [--interval MS] [--max-rows N]\n"
		 "       otpctl audit head\n"
		 "       otpctl audit keygen --dir DIR\n"
		 "       otpctl audit checkpoint --key FILE [--file PATH]\n"
		 "       otpctl audit verify [--checkpoint FILE]... [--pubkey FILE]... [--from SEQ]\n"
		 "                           [--archive FILE]... [--no-db-checkpoints] [--export FILE] [--jobs N] [--quiet]\n"
		 "       otpctl audit archive --before YYYY-MM FILE\n"
		 "       otpctl audit search [FILTERS] [--limit N] [--after CURSOR/EVENT_ID] [--all]\n"
		 "       otpctl audit export --format csv|jsonl [FILTERS] [--output FILE]\n"
		 "       otpctl audit exceptions [--from TIME] [--to TIME] [--burst N/MINUTES]\n"
		 "       otpctl audit staff-contract add|remove LOGIN CONTRACT_ID\n"
		 "  FILTERS: --from TIME --to TIME --contract ID --credential ID --actor LOGIN\n"
		 "           --branch CODE --event NAME --outcome success|refused\n"
		 "  verify exits 4 when it finds damage; exceptions exits 4 when a must-be-zero count is not 0",
	.summary = "audit log: sealer, checkpoints, verification, search, export, exceptions, archives",
	.run = audit_main,
};

/* ---- shared ---------------------------------------------------------------- */

#define FILTER_OPTIONS                                                                        \
	{ "from", required_argument, NULL, 'F' }, { "to", required_argument, NULL, 'T' },     \
	{ "contract", required_argument, NULL, 'c' }, { "credential", required_argument, NULL, 'C' }, \
	{ "actor", required_argument, NULL, 'a' }, { "branch", required_argument, NULL, 'b' }, \
	{ "event", required_argument, NULL, 'e' }, { "outcome", required_argument, NULL, 'o' }

/* Take a filter option; false when opt is not one. */
static bool filter_opt(int opt, struct db_audit_filter *f)
{
	switch (opt) {
	case 'F': f->from = optarg; return true;
	case 'T': f->to = optarg; return true;
	case 'c': f->contract_id = optarg; return true;
	case 'C': f->credential_id = optarg; return true;
	case 'a': f->actor = optarg; return true;
	case 'b': f->branch_code = optarg; return true;
	case 'e': f->event = optarg; return true;
	case 'o': f->outcome = optarg; return true;
	default: return false;
	}
}

static bool parse_ll(const char *s, long long min, long long max, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);	/* a signal cuts it short: the loop then stops */
}

/* ---- seal ------------------------------------------------------------------ */

static int cmd_seal(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' }, { "interval", required_argument, NULL, 'i' },
		{ "max-rows", required_argument, NULL, 'm' }, { 0, 0, 0, 0 },
	};
	bool follow = false;
	long long interval = 200, max_rows = 10000;
	int opt;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'f')
			follow = true;
		else if (opt == 'i' && parse_ll(optarg, 10, 60000, &interval))
			;
		else if (opt == 'm' && parse_ll(optarg, 1, 1000000, &max_rows))
			;
		else
			return cli_usage(&cmd_audit);
	}
	if (optind != argc)
		return cli_usage(&cmd_audit);
	struct db *db = cli_connect();
	if (!db)
		return CLI_CONNECT;
	struct otp_err err;
	struct db_audit_seal r;
	if (!follow) {
		int rc = db_audit_seal(db, (int)max_rows, &r, &err);
		db_close(db);
		if (rc != 0)
			return cli_error(&err);
		printf("sealed %lld events; chain at seq %lld (%s); %lld unsealed left\n", r.sealed, r.last_seq,
		       r.last_hash, r.backlog);
		if (r.note[0])
			fprintf(stderr, "warning: %s\n", r.note);
		return CLI_OK;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "seal: following every %lld ms (%lld events a pass, more while catching up); stop with SIGTERM\n",
		interval, max_rows);
	/* A full pass means a backlog: each pass sorts the whole backlog, so
	 * catching up takes bigger passes (the writers never wait for them). */
	long long pass = max_rows, minute_sealed = 0, backoff = 1000;
	time_t minute = time(NULL);
	char last_note[256] = "";
	int status = CLI_OK;
	while (!stop_requested) {
		if (db_audit_seal(db, (int)pass, &r, &err) != 0) {
			if (err.kind == OTP_ERR_REFUSED || err.kind == OTP_ERR_USAGE) {
				status = cli_error(&err);	/* not the batch login: retrying will not help */
				break;
			}
			fprintf(stderr, "seal: %s; retrying in %lld ms\n", err.message, backoff);
			sleep_ms(backoff);
			backoff = backoff < 30000 ? backoff * 2 : 30000;
			if (!db_connected(db) && db_reconnect(db, &err) != 0)
				fprintf(stderr, "seal: reconnect: %s\n", err.message);
			continue;
		}
		backoff = 1000;
		minute_sealed += r.sealed;
		if (r.note[0] && strcmp(r.note, last_note) != 0)
			fprintf(stderr, "seal: warning: %s\n", r.note);
		otp_strlcpy(last_note, r.note, sizeof last_note);
		time_t now = time(NULL);
		if (now - minute >= 60) {
			fprintf(stderr, "seal: %lld events sealed in the last %lld s; chain at seq %lld; %lld unsealed%s%s\n",
				minute_sealed, (long long)(now - minute), r.last_seq, r.backlog,
				r.oldest_unsealed[0] ? ", oldest at " : "", r.oldest_unsealed);
			minute = now;
			minute_sealed = 0;
		}
		if (r.sealed < pass) {
			pass = max_rows;
			sleep_ms(interval);
		} else if (pass < 200000) {
			pass = pass * 4 < 200000 ? pass * 4 : 200000;
		}
	}
	db_close(db);
	if (status == CLI_OK)
		fprintf(stderr, "seal: stopped; chain at seq %lld\n", r.last_seq);
	return status;
}

/* ---- head, keygen, checkpoint ----------------------------------------------- */

static int cmd_head(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return cli_usage(&cmd_audit);
	struct db *db = cli_connect();
	if (!db)
		return CLI_CONNECT;
	struct db_audit_head h;
	struct otp_err err;
	int rc = db_audit_head(db, &h, &err);
	db_close(db);
	if (rc != 0)
		return cli_error(&err);
	char hex[2 * AUDIT_HASH_LEN + 1];
	audit_hex(h.hash, AUDIT_HASH_LEN, hex);
	printf("seq\t%lld\nhash\t%s\nsealed_at\t%s\nunsealed\t%lld\noldest_unsealed\t%s\n", h.seq, hex, h.sealed_at,
	       h.unsealed, h.oldest_unsealed);
	return CLI_OK;
}

static int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = { { "dir", required_argument, NULL, 'd' }, { 0, 0, 0, 0 } };
	const char *dir = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'd')
			dir = optarg;
		else
			return cli_usage(&cmd_audit);
	}
	if (!dir || optind != argc)
		return cli_usage(&cmd_audit);
	char id[AUDIT_KEYID_HEX + 1];
	struct otp_err err;
	if (audit_key_generate(dir, id, &err) != 0)
		return cli_error(&err);
	printf("key id\t%s\nprivate key\t%s/signing.key (mode 0600: keep it on the checkpointing host only)\n"
	       "public key\t%s/signing.pub (give it to the auditors; keep it after rotation)\n",
	       id, dir, dir);
	return CLI_OK;
}

static int cmd_checkpoint(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' }, { "file", required_argument, NULL, 'f' }, { 0, 0, 0, 0 },
	};
	const char *keyfile = NULL, *file = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'k')
			keyfile = optarg;
		else if (opt == 'f')
			file = optarg;
		else
			return cli_usage(&cmd_audit);
	}
	if (!keyfile || optind != argc)
		return cli_usage(&cmd_audit);
	struct otp_err err;
	struct audit_key *key;
	if (audit_key_load(keyfile, &key, &err) != 0)
		return cli_error(&err);
	if (!audit_key_is_private(key)) {
		audit_key_free(key);
		otp_err_set(&err, OTP_ERR_USAGE, "%s is a public key: checkpoints are signed with signing.key", keyfile);
		return cli_error(&err);
	}
	struct db *db = cli_connect();
	if (!db) {
		audit_key_free(key);
		return CLI_CONNECT;
	}
	struct db_audit_head h;
	struct audit_checkpoint cp;
	struct db_outcome out;
	int rc = db_audit_head(db, &h, &err);
	if (rc == 0 && h.seq == 0)
		rc = otp_err_set(&err, OTP_ERR_NOTFOUND, "nothing is sealed yet: no checkpoint to sign");
	if (rc == 0) {
		memset(&cp, 0, sizeof cp);
		cp.seq = h.seq;
		memcpy(cp.hash, h.hash, AUDIT_HASH_LEN);
		cp.time = (int64_t)time(NULL);
		rc = audit_checkpoint_sign(&cp, key, &err);
	}
	audit_key_free(key);
	if (rc == 0)
		rc = db_audit_checkpoint_add(db, &cp, &out, &err);
	db_close(db);
	if (rc == 0 && file)
		rc = audit_checkpoint_append(file, &cp, &err);
	if (rc != 0)
		return cli_error(&err);
	char line[512];
	audit_checkpoint_line(&cp, line, sizeof line);
	printf("%s\n", line);
	return CLI_OK;
}

/* ---- verify ------------------------------------------------------------------ */

static void verify_progress(void *ctx, long long rows, long long total, double seconds)
{
	bool quiet = *(bool *)ctx;
	if (quiet)
		return;
	double rate = seconds > 0 ? rows / seconds : 0;
	if (total > 0)
		fprintf(stderr, "verify: %lld/%lld events (%.0f%%), %.2f M events/s\n", rows, total,
			100.0 * (double)rows / (double)total, rate / 1e6);
	else
		fprintf(stderr, "verify: %lld events, %.2f M events/s\n", rows, rate / 1e6);
}

static int print_report(const struct audit_report *r, double seconds)
{
	char hex[2 * AUDIT_HASH_LEN + 1];
	audit_hex(r->last_hash, AUDIT_HASH_LEN, hex);
	printf("events\t%lld (seq %lld..%lld) in %.2f s\n", (long long)r->rows, (long long)r->first_seq,
	       (long long)r->last_seq, seconds);
	if (r->anchor[0])
		printf("anchor\t%s\n", r->anchor);
	if (r->rows)
		printf("last hash\t%s\n", hex);
	printf("checkpoints\t%d loaded, %d matched, %d before the verified range; signatures %s\n", r->checkpoints,
	       r->checkpoints_matched, r->checkpoints_outside,
	       r->signatures_checked ? "checked" : "NOT checked (no --pubkey)");
	if (r->gaps)
		printf("runs\t%lld breaks in seq (a filtered export: each run verified on its own)\n", (long long)r->gaps);
	if (r->unsealed)
		printf("unsealed\t%lld rows without seq (not verifiable yet)\n", (long long)r->unsealed);
	if (r->incomplete) {
		printf("result\tINCOMPLETE: %s\n", r->message);
		return CLI_ERROR;
	}
	if (r->damage == AUDIT_DAMAGE_NONE) {
		printf("result\tOK\n");
		return CLI_OK;
	}
	printf("result\tDAMAGED: %s at seq %lld", audit_damage_text(r->damage), (long long)r->seq);
	if (r->seq_to != r->seq)
		printf("..%lld", (long long)r->seq_to);
	printf("\ndamage\t%s\nfirst seq\t%lld\nwhere\t%s\ndetail\t%s\n", audit_damage_name(r->damage), (long long)r->seq,
	       r->where, r->message);
	return AUDIT_EXIT_DAMAGE;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#define MAX_FILES 64

/* --jobs when not given: two streams per online core (2 to 8). Only a
 * chain longer than jobs x 100 000 events is split (db_audit_verify). Each
 * stream is a server backend and a client thread that wait for each other
 * in turn; two of them per core keep it busy (measured in docs/AUDIT.md:
 * 4 streams on 2 cores 7-9 % faster than 2, 6 slower again). */
static long long default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 2 : n > 4 ? 8 : 2 * n;
}

static int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "checkpoint", required_argument, NULL, 'c' }, { "pubkey", required_argument, NULL, 'p' },
		{ "from", required_argument, NULL, 'f' }, { "archive", required_argument, NULL, 'a' },
		{ "export", required_argument, NULL, 'e' }, { "no-db-checkpoints", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' }, { "jobs", required_argument, NULL, 'j' }, { 0, 0, 0, 0 },
	};
	long long jobs = default_jobs();
	const char *cps[MAX_FILES], *keys[MAX_FILES], *archives[MAX_FILES], *export = NULL;
	int ncps = 0, nkeys = 0, narch = 0, opt;
	long long from = 0;
	bool db_cps = true, quiet = false;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': if (ncps < MAX_FILES) cps[ncps++] = optarg; break;
		case 'p': if (nkeys < MAX_FILES) keys[nkeys++] = optarg; break;
		case 'a': if (narch < MAX_FILES) archives[narch++] = optarg; break;
		case 'e': export = optarg; break;
		case 'n': db_cps = false; break;
		case 'q': quiet = true; break;
		case 'j':
			if (!parse_ll(optarg, 1, 8, &jobs))
				return cli_usage(&cmd_audit);
			break;
		case 'f':
			if (!parse_ll(optarg, 1, INT64_MAX, &from))
				return cli_usage(&cmd_audit);
			break;
		default: return cli_usage(&cmd_audit);
		}
	}
	if (optind != argc || (export && (narch || from)))
		return cli_usage(&cmd_audit);
	struct otp_err err;
	struct audit_verifier *v;
	if (audit_verifier_new(&v, export ? AUDIT_VERIFY_EXPORT : AUDIT_VERIFY_CHAIN, &err) != 0)
		return cli_error(&err);
	int rc = 0;
	for (int i = 0; i < nkeys && rc == 0; i++) {
		struct audit_key *k;
		rc = audit_key_load(keys[i], &k, &err);
		if (rc == 0) {
			rc = audit_verifier_add_key(v, k, &err);
			audit_key_free(k);
		}
	}
	for (int i = 0; i < ncps && rc == 0; i++)
		rc = audit_verifier_load_checkpoints(v, cps[i], &err);
	if (rc != 0) {
		audit_verifier_free(v);
		return cli_error(&err);
	}
	double t0 = mono_s();
	struct audit_report rep;
	int done = 0;
	if (export) {
		if (audit_verifier_check_signatures(v))
			rc = audit_verify_export_file(v, export, &done, &err);
		if (rc == 0)
			audit_verifier_finish(v, 0, NULL, &rep);
	} else {
		bool signatures_ok = audit_verifier_check_signatures(v);
		for (int i = 0; i < narch && rc == 0 && signatures_ok && !done; i++) {
			struct audit_archive_header hdr;
			if (!quiet)
				fprintf(stderr, "verify: archive %s\n", archives[i]);
			rc = audit_verify_archive_file(v, archives[i], &hdr, NULL, &done, &err);
		}
		if (rc == 0 && (done || !signatures_ok)) {
			audit_verifier_finish(v, 0, NULL, &rep);
		} else if (rc == 0) {
			struct db *db = cli_connect();
			if (!db) {
				audit_verifier_free(v);
				return CLI_CONNECT;
			}
			struct db_audit_verify_opts o = {
				.from_seq = from, .db_checkpoints = db_cps, .jobs = (int)jobs, .progress = verify_progress,
				.ctx = &quiet,
			};
			rc = db_audit_verify(db, v, &o, &rep, &err);
			db_close(db);
		}
	}
	audit_verifier_free(v);
	if (rc != 0)
		return cli_error(&err);
	return print_report(&rep, mono_s() - t0);
}

/* ---- archive ------------------------------------------------------------------ */

static int cmd_archive(int argc, char **argv)
{
	static const struct option opts[] = { { "before", required_argument, NULL, 'b' }, { 0, 0, 0, 0 } };
	const char *month = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'b')
			month = optarg;
		else
			return cli_usage(&cmd_audit);
	}
	if (!month || optind != argc - 1)
		return cli_usage(&cmd_audit);
	const char *path = argv[optind];
	struct otp_err err;
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.partial", path) >= (int)sizeof tmp) {
		otp_err_set(&err, OTP_ERR_USAGE, "file name too long");
		return cli_error(&err);
	}
	if (access(path, F_OK) == 0) {
		otp_err_set(&err, OTP_ERR_IO, "%s exists: refusing to overwrite an archive", path);
		return cli_error(&err);
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		otp_err_set(&err, OTP_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
		if (errno == EEXIST)
			otp_err_hint(&err, "another archive run is writing it, or an earlier one died: remove it");
		return cli_error(&err);
	}
	FILE *out = fdopen(fd, "w");
	struct db *db = out ? cli_connect() : NULL;
	if (!db) {
		if (out)
			fclose(out);
		else
			close(fd);
		unlink(tmp);
		return CLI_CONNECT;
	}
	struct audit_archive_header hdr, check;
	int rc = db_audit_archive_write(db, month, out, &hdr, &err);
	if (fflush(out) != 0 || fsync(fd) != 0)
		rc = rc ? rc : otp_err_set(&err, OTP_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
	if (fclose(out) != 0)
		rc = rc ? rc : otp_err_set(&err, OTP_ERR_IO, "cannot write %s", tmp);
	char sha[2 * AUDIT_HASH_LEN + 1] = "";
	struct audit_report rep;
	memset(&rep, 0, sizeof rep);
	if (rc == 0) {
		/* read back what was written: only a verifiable segment is kept */
		struct audit_verifier *v;
		int done = 0;
		rc = audit_verifier_new(&v, AUDIT_VERIFY_CHAIN, &err);
		if (rc == 0) {
			rc = audit_verify_archive_file(v, tmp, &check, sha, &done, &err);
			audit_verifier_finish(v, 0, NULL, &rep);
			audit_verifier_free(v);
		}
		if (rc == 0 && rep.damage != AUDIT_DAMAGE_NONE)
			rc = otp_err_set(&err, OTP_ERR_REFUSED, "the segment does not verify: %s at seq %lld (%s)",
					 audit_damage_text(rep.damage), (long long)rep.seq, rep.message);
	}
	if (rc == 0 && link(tmp, path) != 0)
		rc = otp_err_set(&err, OTP_ERR_IO, "cannot create %s: %s", path, strerror(errno));
	unlink(tmp);
	if (rc == 0) {
		const char *base = strrchr(path, '/');
		struct db_outcome o;
		rc = db_audit_archive_record(db, &hdr, base ? base + 1 : path, sha, &o, &err);
		if (rc != 0)
			unlink(path);	/* not recorded: the next run writes it again */
	}
	db_close(db);
	if (rc != 0)
		return cli_error(&err);
	char prev[2 * AUDIT_HASH_LEN + 1], last[2 * AUDIT_HASH_LEN + 1];
	audit_hex(hdr.prev_hash, AUDIT_HASH_LEN, prev);
	audit_hex(hdr.last_hash, AUDIT_HASH_LEN, last);
	printf("archive\t%s\nbefore\t%s\nseq\t%lld..%lld (%lld events)\nprev_hash\t%s\nlast_hash\t%s\nsha256\t%s\n", path,
	       hdr.before, (long long)hdr.first_seq, (long long)hdr.last_seq, (long long)hdr.count, prev, last, sha);
	fprintf(stderr, "archive: recorded. The database owner may now drop partitions of months before %s:\n"
			"  SELECT otp.audit_partition_drop('YYYY-MM-01');\n", month);
	return CLI_OK;
}

/* ---- search, export -------------------------------------------------------------- */

static void print_row(const struct db_audit_row *r)
{
	char req[24] = "";
	if (r->has_request_id)
		snprintf(req, sizeof req, "%lld", r->request_id);
	char seq[24] = "-";
	if (r->seq)
		snprintf(seq, sizeof seq, "%lld", r->seq);
	printf("%s\t%lld\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", seq, r->event_id, r->at, r->actor, r->event,
	       r->outcome, r->reason_code, r->branch_code, r->contract_id, r->credential_id, req, r->details);
}

static int cmd_search(int argc, char **argv)
{
	static const struct option opts[] = {
		FILTER_OPTIONS, { "limit", required_argument, NULL, 'l' }, { "after", required_argument, NULL, 'A' },
		{ "all", no_argument, NULL, 'x' }, { 0, 0, 0, 0 },
	};
	struct db_audit_filter f = { 0 };
	long long limit = 50;
	bool all = false;
	struct db_audit_row after;
	bool have_after = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (filter_opt(opt, &f))
			continue;
		if (opt == 'l' && parse_ll(optarg, 1, 500, &limit))
			continue;
		if (opt == 'x') {
			all = true;
			continue;
		}
		if (opt == 'A') {
			const char *slash = strrchr(optarg, '/');
			memset(&after, 0, sizeof after);
			if (!slash || (size_t)(slash - optarg) >= sizeof after.cursor ||
			    !parse_ll(slash + 1, 1, INT64_MAX, &after.event_id))
				return cli_usage(&cmd_audit);
			memcpy(after.cursor, optarg, (size_t)(slash - optarg));
			have_after = true;
			continue;
		}
		return cli_usage(&cmd_audit);
	}
	if (optind != argc)
		return cli_usage(&cmd_audit);
	struct db *db = cli_connect();
	if (!db)
		return CLI_CONNECT;
	struct otp_err err;
	struct db_audit_page page;
	int rc = 0;
	printf("seq\tevent_id\tat\tactor\tevent\toutcome\treason\tbranch\tcontract\tcredential\trequest\tdetails\n");
	for (;;) {
		rc = db_audit_search(db, &f, have_after ? &after : NULL, (int)limit, &page, &err);
		if (rc != 0)
			break;
		for (int i = 0; i < page.n; i++)
			print_row(&page.rows[i]);
		bool more = page.more;
		if (page.n) {
			after = page.rows[page.n - 1];
			have_after = true;
		}
		db_audit_page_free(&page);
		if (!more)
			break;
		if (!all) {
			fprintf(stderr, "search: more rows follow: --after %s/%lld (or --all)\n", after.cursor, after.event_id);
			break;
		}
	}
	db_close(db);
	return rc ? cli_error(&err) : CLI_OK;
}

static int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		FILTER_OPTIONS, { "format", required_argument, NULL, 'm' }, { "output", required_argument, NULL, 'O' },
		{ 0, 0, 0, 0 },
	};
	struct db_audit_filter f = { 0 };
	const char *format = NULL, *output = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (filter_opt(opt, &f))
			continue;
		if (opt == 'm')
			format = optarg;
		else if (opt == 'O')
			output = optarg;
		else
			return cli_usage(&cmd_audit);
	}
	if (optind != argc || !format || (strcmp(format, "csv") != 0 && strcmp(format, "jsonl") != 0))
		return cli_usage(&cmd_audit);
	struct otp_err err;
	FILE *out = stdout;
	if (output && !(out = fopen(output, "w"))) {
		otp_err_set(&err, OTP_ERR_IO, "cannot create %s: %s", output, strerror(errno));
		return cli_error(&err);
	}
	struct db *db = cli_connect();
	if (!db) {
		if (output)
			fclose(out);
		return CLI_CONNECT;
	}
	long long rows = 0;
	int rc = db_audit_export(db, &f, strcmp(format, "csv") == 0 ? DB_AUDIT_CSV : DB_AUDIT_JSONL, out, &rows, &err);
	db_close(db);
	if (fflush(out) != 0 && rc == 0)
		rc = otp_err_set(&err, OTP_ERR_IO, "cannot write the export");
	if (output && fclose(out) != 0 && rc == 0)
		rc = otp_err_set(&err, OTP_ERR_IO, "cannot write %s", output);
	if (rc != 0)
		return cli_error(&err);
	fprintf(stderr, "export: %lld events%s%s (verify with: otpctl audit verify --export FILE)\n", rows,
		output ? " to " : "", output ? output : "");
	return CLI_OK;
}

/* ---- exceptions ------------------------------------------------------------------ */

static int cmd_exceptions(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'F' }, { "to", required_argument, NULL, 'T' },
		{ "burst", required_argument, NULL, 'b' }, { 0, 0, 0, 0 },
	};
	char from[40], to[40];
	time_t now = time(NULL);
	audit_format_utc((int64_t)now - 30 * 86400, from);
	audit_format_utc((int64_t)now + 1, to);
	long long burst_n = 5, burst_min = 10;
	int opt;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'F')
			otp_strlcpy(from, optarg, sizeof from);
		else if (opt == 'T')
			otp_strlcpy(to, optarg, sizeof to);
		else if (opt == 'b') {
			char *slash = strchr(optarg, '/');
			if (!slash)
				return cli_usage(&cmd_audit);
			*slash = '\0';
			if (!parse_ll(optarg, 2, 1000, &burst_n) || !parse_ll(slash + 1, 1, 1440, &burst_min))
				return cli_usage(&cmd_audit);
		} else
			return cli_usage(&cmd_audit);
	}
	if (optind != argc)
		return cli_usage(&cmd_audit);
	struct db *db = cli_connect();
	if (!db)
		return CLI_CONNECT;
	struct otp_err err;
	struct db_audit_exceptions x;
	int rc = db_audit_exceptions(db, from, to, (int)burst_n, (int)burst_min, &x, &err);
	db_close(db);
	if (rc != 0)
		return cli_error(&err);
	printf("exceptions from %s to %s (burst: %lld failures in %lld minutes)\n\n", from, to, burst_n, burst_min);
	for (int k = 0; k < DB_AUDIT_EXC_COUNT; k++)
		printf("%-20s %6d  %s\n", db_audit_exception_name((enum db_audit_exception_kind)k), x.count[k],
		       db_audit_exception_text((enum db_audit_exception_kind)k));
	for (int k = 0; k < DB_AUDIT_EXC_COUNT; k++) {
		if (!x.count[k])
			continue;
		printf("\n== %s: %s\n", db_audit_exception_name((enum db_audit_exception_kind)k),
		       db_audit_exception_text((enum db_audit_exception_kind)k));
		printf("at\tseq\tactor\tbranch\tcontract\trequest\tevent\tdetail\n");
		for (int i = 0; i < x.n; i++) {
			const struct db_audit_exception *e = &x.rows[i];
			if ((int)e->kind != k)
				continue;
			char seq[24] = "-", req[24] = "-";
			if (e->seq)
				snprintf(seq, sizeof seq, "%lld", e->seq);
			if (e->request_id)
				snprintf(req, sizeof req, "%lld", e->request_id);
			printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e->at, seq, e->actor, e->branch_code, e->contract_id,
			       req, e->event, e->detail);
		}
	}
	int must_be_zero = x.count[DB_AUDIT_EXC_UNAPPROVED_EXECUTE] + x.count[DB_AUDIT_EXC_SELF_APPROVED];
	db_audit_exceptions_free(&x);
	if (must_be_zero) {
		fprintf(stderr, "exceptions: ATTENTION: %d requests executed without approval or approved by their "
				"submitter\n", must_be_zero);
		return AUDIT_EXIT_DAMAGE;
	}
	return CLI_OK;
}

/* ---- staff-contract ---------------------------------------------------------------- */

static int cmd_staff_contract(int argc, char **argv)
{
	if (argc != 4 || (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "remove") != 0))
		return cli_usage(&cmd_audit);
	struct db *db = cli_connect();
	if (!db)
		return CLI_CONNECT;
	struct db_outcome out;
	struct otp_err err;
	int rc = db_audit_staff_contract_set(db, argv[2], argv[3], strcmp(argv[1], "add") == 0, &out, &err);
	db_close(db);
	if (rc != 0)
		return cli_error(&err);
	printf("%s\n", out.message);
	return CLI_OK;
}

/* ---- dispatch ----------------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} subcommands[] = {
	{ "seal", cmd_seal },
	{ "head", cmd_head },
	{ "keygen", cmd_keygen },
	{ "checkpoint", cmd_checkpoint },
	{ "verify", cmd_verify },
	{ "archive", cmd_archive },
	{ "search", cmd_search },
	{ "export", cmd_export },
	{ "exceptions", cmd_exceptions },
	{ "staff-contract", cmd_staff_contract },
};

static int audit_main(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(&cmd_audit);
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0) {
			optind = 0;	/* getopt_long restarts on the subcommand's own arguments */
			return subcommands[i].run(argc - 1, argv + 1);
		}
	return cli_usage(&cmd_audit);
}
