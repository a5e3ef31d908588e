/* bench_chain: the audit chain verifier of audit/ on synthetic sealed rows
 * built in memory in the canonical format (docs/AUDIT-FORMAT.md), against
 * raw SHA-256 over the same bytes (prev_hash || encoding of every row, one
 * reused EVP_MD_CTX, SHA-256 fetched once). The database figure (>= 1 M
 * events/s through `otpctl audit verify`) is timed by scripts/bench.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "audit/audit.h"
#include "bench/bench.h"

static int chain_main(int argc, char **argv);
static int audit_gen_main(int argc, char **argv);

const struct bench_cmd bench_chain = {
	.name = "chain",
	.usage = "otpbench chain [--seconds S] [--runs N] [--events N]",
	.summary = "audit chain verify events/s (in memory) vs raw SHA-256 over the same bytes",
	.run = chain_main,
};

/* Data-set helper for scripts/bench.sh, no figure: writes N sealed audit
 * events continuing a chain (seq, prev_hash) as COPY text for
 * otp.audit_event (columns: see AUDIT_GEN_COLUMNS), hashed with audit/'s
 * encoder, so `otpctl audit verify` has a 10-million-event chain without an
 * 18-minute sealer backlog. The head (last seq and hash) goes to --head. */
const struct bench_cmd bench_audit_gen = {
	.name = "audit-gen",
	.usage = "otpbench audit-gen --events N --start-seq S --prev HEX --event-id E --from-us T0 --to-us T1\n"
		 "                   [--ids FILE] --head FILE",
	.summary = "data set: sealed synthetic audit events as COPY text on stdout",
	.run = audit_gen_main,
};

#define BATCH 1024
#define TEXT_MAX 160

struct row_text {
	char actor[24], contract[16], credential[16], details[TEXT_MAX];
};

struct chain_state {
	size_t n;
	struct audit_event *ev;
	struct row_text *txt;
	unsigned char *bytes;		/* prev_hash || encoding of every row, back to back */
	size_t *off;			/* n + 1 offsets into bytes */
	EVP_MD *md;
	EVP_MD_CTX *ctx;
	volatile unsigned sink;
};

static struct audit_text text_of(const char *s)
{
	return (struct audit_text){ .p = s, .len = (int)strlen(s) };
}

static const struct audit_text null_text = { .p = NULL, .len = -1 };

/* Contract/credential pairs the rows name (from --ids, else made up). */
struct ids {
	char (*pair)[2][16];
	size_t n;
};

/* Fill row i like a day of verifications and branch work: verify events
 * with a result in details, some refused, request events with a request id.
 * details are written in jsonb's canonical text form (keys by length, then
 * bytewise; ", " and ": "), so the database stores exactly these bytes. */
static void make_row(size_t i, int64_t at_us, const struct ids *ids, struct audit_event *e, struct row_text *t)
{
	static const char *const results[] = { "ACCEPTED", "REJECTED", "REPLAY", "LOCKED" };
	bool verify = i % 5 != 0;
	snprintf(t->actor, sizeof t->actor, verify ? "ib_verifier" : "teller%03zu", i % 97);
	if (ids && ids->n) {
		size_t k = (i * 7919) % ids->n;
		snprintf(t->contract, sizeof t->contract, "%s", ids->pair[k][0]);
		snprintf(t->credential, sizeof t->credential, "%s", ids->pair[k][1]);
	} else {
		snprintf(t->contract, sizeof t->contract, "%010zu", 120000000 + (i * 7919) % 1000000);
		snprintf(t->credential, sizeof t->credential, "OTPD%08zu", 10000000 + (i * 7919) % 1000000);
	}
	if (verify)
		snprintf(t->details, sizeof t->details,
			 "{\"drift\": %d, \"client\": \"203.0.113.%zu\", \"reason\": \"%s\", \"result\": \"%s\", "
			 "\"counter\": %zu}",
			 (int)(i % 3) - 1, i % 250, i % 4 ? "WRONG_CODE" : "NONE", results[i % 4], i % 5);
	else
		snprintf(t->details, sizeof t->details,
			 "{\"kind\": \"UNLOCK\", \"note\": \"form checked\", \"receipt_no\": \"012-20250401-%04zu\"}",
			 i % 10000);
	*e = (struct audit_event){
		.seq = (int64_t)i + 1,
		.event_id = (int64_t)i + 1001,
		.at_us = at_us,
		.actor = text_of(t->actor),
		.via_role = text_of(verify ? "otp_verifier" : "otp_teller"),
		.event = text_of(verify ? "otp.verify" : "request.submit"),
		.outcome = text_of(i % 7 ? "success" : "refused"),
		.reason_code = i % 7 ? null_text : text_of("OD010"),
		.client_app = text_of(verify ? "ib-web" : "otpdesk"),
		.client_addr = text_of("192.0.2.10/32"),
		.branch_code = text_of("012"),
		.contract_id = text_of(t->contract),
		.credential_id = text_of(t->credential),
		.has_request_id = !verify,
		.request_id = (int64_t)i / 5,
		.details = text_of(t->details),
		.sealed = true,
	};
}

static int build(struct chain_state *st, struct otp_err *err)
{
	unsigned char prev[AUDIT_HASH_LEN] = { 0 };
	size_t total = 0;

	st->ev = calloc(st->n, sizeof *st->ev);
	st->txt = calloc(st->n, sizeof *st->txt);
	st->off = calloc(st->n + 1, sizeof *st->off);
	if (!st->ev || !st->txt || !st->off)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	for (size_t i = 0; i < st->n; i++) {
		struct audit_event *e = &st->ev[i];
		make_row(i, 1743465600000000LL + (int64_t)i * 8641, NULL, e, &st->txt[i]);
		memcpy(e->prev_hash, prev, sizeof prev);
		if (audit_event_hash(prev, e, e->hash, err) != 0)
			return -1;
		memcpy(prev, e->hash, sizeof prev);
		total += AUDIT_HASH_LEN + audit_encode(e, NULL, 0);
	}
	st->bytes = malloc(total);
	if (!st->bytes)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	size_t at = 0;
	for (size_t i = 0; i < st->n; i++) {
		st->off[i] = at;
		memcpy(st->bytes + at, st->ev[i].prev_hash, AUDIT_HASH_LEN);
		at += AUDIT_HASH_LEN;
		at += audit_encode(&st->ev[i], st->bytes + at, total - at);
	}
	st->off[st->n] = at;
	return 0;
}

/* One pass: a fresh verifier over the whole chain, which must verify. */
static int step_verify(void *arg, long n)
{
	struct chain_state *st = arg;
	struct otp_err err;
	for (long k = 0; k < n; k++) {
		struct audit_verifier *v;
		struct audit_report rep;
		if (audit_verifier_new(&v, AUDIT_VERIFY_CHAIN, &err) != 0)
			return -1;
		for (size_t i = 0; i < st->n; i += BATCH)
			if (audit_verifier_feed(v, st->ev + i, st->n - i < BATCH ? st->n - i : BATCH) != 0)
				break;
		audit_verifier_finish(v, (int64_t)st->n, st->ev[st->n - 1].hash, &rep);
		audit_verifier_free(v);
		if (rep.damage != AUDIT_DAMAGE_NONE || rep.rows != (int64_t)st->n) {
			fprintf(stderr, "otpbench: synthetic chain did not verify: %s\n", rep.message);
			return -1;
		}
	}
	return 0;
}

static int step_sha(void *arg, long n)
{
	struct chain_state *st = arg;
	unsigned char out[EVP_MAX_MD_SIZE];
	for (long k = 0; k < n; k++)
		for (size_t i = 0; i < st->n; i++) {
			if (!EVP_DigestInit_ex2(st->ctx, st->md, NULL) ||
			    !EVP_DigestUpdate(st->ctx, st->bytes + st->off[i], st->off[i + 1] - st->off[i]) ||
			    !EVP_DigestFinal_ex(st->ctx, out, NULL))
				return -1;
			st->sink += out[0];
		}
	return 0;
}

static int chain_main(int argc, char **argv)
{
	double seconds = 5;
	long runs = 2, events = 50000;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0)
			seconds = bench_arg_double(argc, argv, &i);
		else if (strcmp(argv[i], "--runs") == 0)
			runs = bench_arg_long(argc, argv, &i);
		else if (strcmp(argv[i], "--events") == 0)
			events = bench_arg_long(argc, argv, &i);
		else {
			fprintf(stderr, "usage: %s\n", bench_chain.usage);
			return 2;
		}
	}
	if (events < 1) {
		fprintf(stderr, "otpbench: --events must be at least 1\n");
		return 2;
	}
	struct chain_state st = { .n = (size_t)events };
	struct otp_err err;
	int rc = 1;
	if (build(&st, &err) != 0) {
		fprintf(stderr, "otpbench: building the chain: %s\n", err.message);
		goto out;
	}
	st.md = EVP_MD_fetch(NULL, "SHA256", NULL);
	st.ctx = EVP_MD_CTX_new();
	if (!st.md || !st.ctx) {
		fprintf(stderr, "otpbench: SHA-256 set-up failed\n");
		goto out;
	}
	fprintf(stderr, "otpbench: %zu synthetic events, %.0f bytes hashed per event\n", st.n,
		(double)st.off[st.n] / (double)st.n);
	struct bench_variant v[] = {
		{ .figure = "chain_verify", .unit = "events/s", .step = step_verify, .state = &st,
		  .ops_per_step = (long)st.n },
		{ .figure = "chain_sha256", .unit = "events/s", .step = step_sha, .state = &st,
		  .ops_per_step = (long)st.n },
	};
	rc = bench_interleave(v, sizeof v / sizeof v[0], seconds, (int)runs) == 0 ? 0 : 1;
out:
	EVP_MD_CTX_free(st.ctx);
	EVP_MD_free(st.md);
	free(st.bytes);
	free(st.off);
	free(st.txt);
	free(st.ev);
	return rc;
}

static int load_ids(const char *path, struct ids *ids)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		return -1;
	}
	size_t cap = 0;
	char line[128];
	while (fgets(line, sizeof line, f)) {
		char a[16], b[16];
		if (sscanf(line, "%15s %15s", a, b) != 2)
			continue;
		if (ids->n == cap) {
			cap = cap ? 2 * cap : 4096;
			void *p = realloc(ids->pair, cap * sizeof *ids->pair);
			if (!p) {
				fclose(f);
				return -1;
			}
			ids->pair = p;
		}
		memcpy(ids->pair[ids->n][0], a, sizeof a);
		memcpy(ids->pair[ids->n][1], b, sizeof b);
		ids->n++;
	}
	fclose(f);
	return 0;
}

/* "2025-04-01 00:00:00.123456+00" */
static void put_ts(int64_t us)
{
	time_t secs = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	printf("%04d-%02d-%02d %02d:%02d:%02d.%06lld+00", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	       tm.tm_min, tm.tm_sec, (long long)(us % 1000000));
}

static void put_text(struct audit_text t)
{
	if (t.len < 0)
		fputs("\\N", stdout);
	else
		fwrite(t.p, 1, (size_t)t.len, stdout);	/* generated text has no tab, newline or backslash */
}

static void put_hex(const unsigned char *h)
{
	char hex[2 * AUDIT_HASH_LEN + 1];
	audit_hex(h, AUDIT_HASH_LEN, hex);
	printf("\\\\x%s", hex);
}

static int audit_gen_main(int argc, char **argv)
{
	long events = 0, start_seq = 1, event_id = 1;
	double from_us = 0, to_us = 0;
	const char *prev_hex = NULL, *ids_path = NULL, *head_path = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--events") == 0)
			events = bench_arg_long(argc, argv, &i);
		else if (strcmp(argv[i], "--start-seq") == 0)
			start_seq = bench_arg_long(argc, argv, &i);
		else if (strcmp(argv[i], "--event-id") == 0)
			event_id = bench_arg_long(argc, argv, &i);
		else if (strcmp(argv[i], "--from-us") == 0)
			from_us = bench_arg_double(argc, argv, &i);
		else if (strcmp(argv[i], "--to-us") == 0)
			to_us = bench_arg_double(argc, argv, &i);
		else if (strcmp(argv[i], "--prev") == 0 && i + 1 < argc)
			prev_hex = argv[++i];
		else if (strcmp(argv[i], "--ids") == 0 && i + 1 < argc)
			ids_path = argv[++i];
		else if (strcmp(argv[i], "--head") == 0 && i + 1 < argc)
			head_path = argv[++i];
		else {
			fprintf(stderr, "usage: %s\n", bench_audit_gen.usage);
			return 2;
		}
	}
	unsigned char prev[AUDIT_HASH_LEN];
	if (events < 1 || start_seq < 1 || !prev_hex || !head_path || to_us <= from_us ||
	    audit_unhex(prev_hex, strlen(prev_hex), prev, sizeof prev) != 0) {
		fprintf(stderr, "usage: %s\n", bench_audit_gen.usage);
		return 2;
	}
	struct ids ids = { 0 };
	if (ids_path && load_ids(ids_path, &ids) != 0)
		return 1;
	struct otp_err err;
	double step = (to_us - from_us) / (double)events;
	for (long i = 0; i < events; i++) {
		struct audit_event e;
		struct row_text t;
		make_row((size_t)i, (int64_t)(from_us + step * (double)i), &ids, &e, &t);
		e.seq = start_seq + i;
		e.event_id = event_id + i;
		memcpy(e.prev_hash, prev, sizeof prev);
		if (audit_event_hash(prev, &e, e.hash, &err) != 0) {
			fprintf(stderr, "otpbench: %s\n", err.message);
			free(ids.pair);
			return 1;
		}
		memcpy(prev, e.hash, sizeof prev);
		printf("%lld\t", (long long)e.event_id);
		put_ts(e.at_us);
		struct audit_text cols[] = { e.actor, e.via_role, e.event, e.outcome, e.reason_code, e.client_app,
					     e.client_addr, e.branch_code, e.contract_id, e.credential_id };
		for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
			putchar('\t');
			put_text(cols[k]);
		}
		if (e.has_request_id)
			printf("\t%lld\t", (long long)e.request_id);
		else
			fputs("\t\\N\t", stdout);
		put_text(e.details);
		printf("\t%lld\t", (long long)e.seq);
		put_hex(e.prev_hash);
		putchar('\t');
		put_hex(e.hash);
		putchar('\t');
		put_ts(e.at_us);
		putchar('\n');
	}
	free(ids.pair);
	FILE *f = fopen(head_path, "w");
	char hex[2 * AUDIT_HASH_LEN + 1];
	audit_hex(prev, sizeof prev, hex);
	if (!f || fprintf(f, "%lld %s %lld\n", (long long)(start_seq + events - 1), hex,
			  (long long)(event_id + events - 1)) < 0 || fclose(f) != 0) {
		perror(head_path);
		return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
