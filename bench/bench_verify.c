/* bench_verify: full-path verification throughput and latency (issue 10):
 * token read + AES-GCM unseal + HMAC window + never-backwards update + audit
 * event, with every verification ACCEPTED. Two commands share the plan:
 * `verify` drives db_verify (db/token.h) from N threads, each with its own
 * verifier connection; `verify-cli` drives N `otpctl verify --stdin`
 * processes. Both need a seeded bench database whose ACTIVE tokens have
 * sealed seeds, the key directory, the superuser (PG* env, set-up only) and
 * the verifier service login.
 *
 * Valid codes: the superuser reads the sealed seeds (db/bench.h), the
 * keyring unseals them, and the codes of R successive rounds are computed
 * before the clock starts. Round r verifies at now = base + r * period, so
 * every token accepts one fresh step per round (a step is accepted once);
 * base is past every token's last_step, so reruns keep working. Tokens are
 * split between the clients (no two clients share a token), each client
 * goes round by round through its own tokens. Never prints a code or seed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "bench/bench.h"
#include "db/bench.h"
#include "db/db.h"
#include "db/token.h"

#define DEFAULT_CLIENTS 8
#define DEFAULT_SECONDS 5.0
#define DEFAULT_TOKENS 20000L
/* Codes prepared per second of run: above any rate this verifier reaches on
 * a small machine; a client that runs out stops early (and says so). */
#define OPS_PER_SECOND_CAP 20000.0

struct vopts {
	int clients;
	double seconds;
	long tokens;
	const char *verifier;
	const char *key_dir;
	const char *otpctl;
};

/* The prepared codes: codes[r * ntok + t] is token t's code in round r. */
struct vplan {
	struct db_bench_token *tok;
	long ntok;
	int rounds;
	int64_t base;		/* now of round 0 */
	unsigned period;	/* now advances by this per round (max period) */
	char (*codes)[OTP_CODE_SIZE];
};

static const char *verifier_password(const char *login)
{
	const char *pw = getenv("OTP_VERIFIER_PASSWORD");
	return pw && *pw ? pw : login;	/* demo logins: password = login */
}

static int64_t round_now(const struct vplan *p, int r)
{
	return p->base + (int64_t)r * p->period;
}

static int64_t token_step(const struct db_bench_token *t, int64_t now)
{
	int64_t d = t->drift;
	if (d > OTP_DRIFT_MAX)
		d = OTP_DRIFT_MAX;
	if (d < -OTP_DRIFT_MAX)
		d = -OTP_DRIFT_MAX;
	return now / (int64_t)t->period + d;
}

static void plan_free(struct vplan *p)
{
	if (p->codes) {
		OPENSSL_cleanse(p->codes, (size_t)p->rounds * (size_t)p->ntok * OTP_CODE_SIZE);
		free(p->codes);
	}
	db_bench_tokens_free(p->tok, p->ntok);
	memset(p, 0, sizeof *p);
}

/* Read the tokens, choose base and rounds, compute every code. */
static int plan_make(struct vplan *p, const struct vopts *o, struct otp_err *err)
{
	memset(p, 0, sizeof *p);
	struct db_conn_params cp = { .conninfo = getenv("OTP_DSN"), .appname = "otpbench" };
	struct db *db = NULL;
	if (db_connect(&db, &cp, err) != 0)
		return -1;
	int rc = db_bench_tokens(db, o->tokens, &p->tok, &p->ntok, err);
	db_close(db);
	if (rc != 0)
		return -1;
	if (p->ntok < o->clients) {
		otp_err_set(err, OTP_ERR_USAGE, "%ld ACTIVE tokens with seeds for %d clients", p->ntok, o->clients);
		otp_err_hint(err, "seed more contracts (otpctl demo seed) and run otpctl token provision-missing");
		return -1;
	}
	/* round 0: past every token's last_step and not before the real clock */
	int64_t base = (int64_t)time(NULL);
	p->period = 1;
	for (long i = 0; i < p->ntok; i++) {
		const struct db_bench_token *t = &p->tok[i];
		if (t->period == 0)
			return otp_err_set(err, OTP_ERR_INTERNAL, "token of %s has period 0", t->contract_id);
		if (t->period > p->period)
			p->period = t->period;
		while (token_step(t, base) <= t->last_step)
			base += (int64_t)(t->last_step - token_step(t, base) + 1) * t->period;
	}
	p->base = base;
	double want = OPS_PER_SECOND_CAP * o->seconds + (double)p->ntok;
	p->rounds = (int)(want / (double)p->ntok) + 2;
	p->codes = calloc((size_t)p->rounds * (size_t)p->ntok, OTP_CODE_SIZE);
	if (!p->codes)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory for %d rounds of %ld codes", p->rounds, p->ntok);

	struct db_keyring *kr = NULL;
	if (db_keyring_open(&kr, o->key_dir, err) != 0)
		return -1;
	rc = 0;
	for (long i = 0; rc == 0 && i < p->ntok; i++) {
		const struct db_bench_token *t = &p->tok[i];
		uint8_t seed[OTP_SECRET_MAX];
		size_t seedlen = 0;
		if (db_keyring_unseal(kr, t->credential_id, t->key_version, t->blob, t->bloblen, seed, sizeof seed,
				      &seedlen, err) != 0) {
			rc = -1;
			break;
		}
		struct otp_hmac *h = otp_hmac_new(t->algo, seed, seedlen, err);
		OPENSSL_cleanse(seed, sizeof seed);
		if (!h) {
			rc = -1;
			break;
		}
		for (int r = 0; rc == 0 && r < p->rounds; r++)
			rc = otp_hmac_hotp(h, (uint64_t)token_step(t, round_now(p, r)), t->digits,
					   p->codes[(size_t)r * (size_t)p->ntok + (size_t)i], err);
		otp_hmac_free(h);
	}
	db_keyring_close(kr);
	return rc;
}

static int parse_opts(int argc, char **argv, const char *usage, struct vopts *o, bool cli)
{
	*o = (struct vopts){ .clients = DEFAULT_CLIENTS, .seconds = DEFAULT_SECONDS, .tokens = DEFAULT_TOKENS,
			     .verifier = "demo_verifier" };
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--clients") == 0)
			o->clients = (int)bench_arg_long(argc, argv, &i);
		else if (strcmp(argv[i], "--seconds") == 0)
			o->seconds = bench_arg_double(argc, argv, &i);
		else if (strcmp(argv[i], "--tokens") == 0)
			o->tokens = bench_arg_long(argc, argv, &i);
		else if (strcmp(argv[i], "--verifier") == 0 && i + 1 < argc)
			o->verifier = argv[++i];
		else if (strcmp(argv[i], "--key-dir") == 0 && i + 1 < argc)
			o->key_dir = argv[++i];
		else if (cli && strcmp(argv[i], "--otpctl") == 0 && i + 1 < argc)
			o->otpctl = argv[++i];
		else {
			fprintf(stderr, "usage: %s\n", usage);
			return -1;
		}
	}
	if (o->clients < 1 || o->clients > 256 || o->seconds <= 0 || o->tokens < 1) {
		fprintf(stderr, "usage: %s\n  (1..256 clients, seconds > 0, tokens >= 1)\n", usage);
		return -1;
	}
	return 0;
}

/* ---- verify: the C API ---------------------------------------------------- */

struct vclient {
	int id;
	const struct vplan *plan;
	const struct vopts *o;
	struct db_verifier *v;
	double *lat;			/* seconds per timed verification */
	long nlat, cap;
	long attempts, accepted;
	long errors;
	bool ran_out;
	bool warm_failed;
	char first_problem[256];
	/* the client's ops: round-major over tokens id, id + clients, ... */
	long next_token, next_round;
};

static pthread_barrier_t start_line;
static _Atomic double deadline;	/* set by the main thread once all have warmed up */

/* The client's next (token, round), false when its codes are used up. */
static bool next_op(struct vclient *c, long *tok, int *round)
{
	if (c->next_round >= c->plan->rounds)
		return false;
	*tok = c->next_token;
	*round = (int)c->next_round;
	c->next_token += c->o->clients;
	if (c->next_token >= c->plan->ntok) {
		c->next_token = c->id;
		c->next_round++;
	}
	return true;
}

/* One verification; false (with first_problem set) unless ACCEPTED. */
static bool verify_op(struct vclient *c, long t, int r)
{
	const struct vplan *p = c->plan;
	char code[OTP_CODE_SIZE];
	memcpy(code, p->codes[(size_t)r * (size_t)p->ntok + (size_t)t], sizeof code);
	struct db_verify_result res;
	struct otp_err err;
	int rc = db_verify(c->v, p->tok[t].contract_id, code, round_now(p, r), &res, &err);
	OPENSSL_cleanse(code, sizeof code);
	if (rc != 0) {
		c->errors++;
		if (!c->first_problem[0])
			snprintf(c->first_problem, sizeof c->first_problem, "%s: error %s", p->tok[t].contract_id,
				 err.message);
		return false;
	}
	if (res.status != DB_VERIFY_ACCEPTED) {
		if (!c->first_problem[0])
			snprintf(c->first_problem, sizeof c->first_problem, "%s: %s %s (round %d)",
				 p->tok[t].contract_id, db_verify_status_name(res.status),
				 db_failure_reason_name(res.reason), r);
		return false;
	}
	return true;
}

static void *client_main(void *arg)
{
	struct vclient *c = arg;
	long t;
	int r;
	/* warm-up (prepares the statements, loads the key): untimed, still checked */
	if (c->v && next_op(c, &t, &r) && !verify_op(c, t, r))
		c->warm_failed = true;
	pthread_barrier_wait(&start_line);
	if (!c->v)
		return NULL;
	while (bench_now() < atomic_load(&deadline)) {
		if (!next_op(c, &t, &r)) {
			c->ran_out = true;
			break;
		}
		double t0 = bench_now();
		bool ok = verify_op(c, t, r);
		double dt = bench_now() - t0;
		c->attempts++;
		if (ok)
			c->accepted++;
		if (c->nlat < c->cap)
			c->lat[c->nlat++] = dt;
	}
	return NULL;
}

static int verify_main(int argc, char **argv);
static int verify_cli_main(int argc, char **argv);

const struct bench_cmd bench_verify = {
	.name = "verify",
	.usage = "otpbench verify [--clients N] [--seconds S] [--tokens T] [--verifier LOGIN] [--key-dir DIR]",
	.summary = "full-path verifications/s and latency through db_verify, N threads (all ACCEPTED)",
	.run = verify_main,
};

const struct bench_cmd bench_verify_cli = {
	.name = "verify-cli",
	.usage = "otpbench verify-cli [--clients N] [--seconds S] [--tokens T] [--otpctl PATH] [--verifier LOGIN] "
		 "[--key-dir DIR]",
	.summary = "full-path verifications/s through N `otpctl verify --stdin` processes (all ACCEPTED)",
	.run = verify_cli_main,
};

static int verify_main(int argc, char **argv)
{
	struct vopts o;
	if (parse_opts(argc, argv, bench_verify.usage, &o, false) != 0)
		return 2;
	struct vplan plan;
	struct otp_err err;
	double t0 = bench_now();
	if (plan_make(&plan, &o, &err) != 0) {
		fprintf(stderr, "otpbench verify: %s%s%s\n", err.message, err.hint[0] ? "\n  hint: " : "", err.hint);
		plan_free(&plan);
		return 1;
	}
	fprintf(stderr, "verify: %ld tokens, %d rounds of codes prepared in %.2f s; %d clients, %.1f s\n", plan.ntok,
		plan.rounds, bench_now() - t0, o.clients, o.seconds);

	struct vclient *cl = calloc((size_t)o.clients, sizeof *cl);
	pthread_t *th = calloc((size_t)o.clients, sizeof *th);
	if (!cl || !th) {
		fprintf(stderr, "otpbench verify: out of memory\n");
		return 1;
	}
	int status = 0;
	long per_client = (long)((double)plan.rounds * (double)plan.ntok / o.clients) + 2;
	for (int i = 0; i < o.clients; i++) {
		struct vclient *c = &cl[i];
		c->id = i;
		c->plan = &plan;
		c->o = &o;
		c->next_token = i;
		c->cap = per_client;
		c->lat = malloc((size_t)per_client * sizeof *c->lat);
		struct db_conn_params cp = { .conninfo = getenv("OTP_DSN"), .user = o.verifier,
					     .password = verifier_password(o.verifier), .appname = "otpbench-verify" };
		if (!c->lat || db_verifier_open(&c->v, &cp, o.key_dir, &err) != 0) {
			fprintf(stderr, "otpbench verify: client %d: %s\n", i, c->lat ? err.message : "out of memory");
			status = 1;
			break;
		}
	}
	if (status != 0) {
		for (int i = 0; i < o.clients; i++) {
			db_verifier_close(cl[i].v);
			free(cl[i].lat);
		}
		free(cl);
		free(th);
		plan_free(&plan);
		return status;
	}

	pthread_barrier_init(&start_line, NULL, (unsigned)o.clients + 1);
	for (int i = 0; i < o.clients; i++)
		pthread_create(&th[i], NULL, client_main, &cl[i]);
	atomic_store(&deadline, bench_now() + 1e9);	/* set for real once everyone has warmed up */
	pthread_barrier_wait(&start_line);
	double start = bench_now();
	atomic_store(&deadline, start + o.seconds);
	for (int i = 0; i < o.clients; i++)
		pthread_join(th[i], NULL);
	double elapsed = bench_now() - start;
	pthread_barrier_destroy(&start_line);

	long attempts = 0, accepted = 0, errors = 0, nlat = 0;
	bool ran_out = false;
	for (int i = 0; i < o.clients; i++) {
		attempts += cl[i].attempts;
		accepted += cl[i].accepted;
		errors += cl[i].errors;
		nlat += cl[i].nlat;
		ran_out |= cl[i].ran_out;
		if (cl[i].warm_failed)
			errors++;
		if (cl[i].first_problem[0])
			fprintf(stderr, "verify: client %d: %s\n", i, cl[i].first_problem);
	}
	double *lat = malloc(((size_t)nlat + 1) * sizeof *lat);
	long k = 0;
	for (int i = 0; lat && i < o.clients; i++)
		for (long j = 0; j < cl[i].nlat; j++)
			lat[k++] = cl[i].lat[j];
	double p50 = lat ? bench_percentile(lat, (size_t)k, 0.50) * 1e3 : 0;
	double p99 = lat ? bench_percentile(lat, (size_t)k, 0.99) * 1e3 : 0;
	free(lat);
	if (ran_out)
		fprintf(stderr, "verify: a client used up its prepared codes before %.1f s (raise OPS_PER_SECOND_CAP)\n",
			o.seconds);

	double rate = elapsed > 0 ? (double)attempts / elapsed : 0;
	char name[64], extra[512];
	snprintf(extra, sizeof extra,
		 "{\"clients\":%d,\"seconds\":%.3f,\"attempts\":%ld,\"accepted\":%ld,\"errors\":%ld,\"tokens\":%ld,"
		 "\"p50_ms\":%.3f,\"p99_ms\":%.3f}",
		 o.clients, elapsed, attempts, accepted, errors, plan.ntok, p50, p99);
	snprintf(name, sizeof name, "verify_api_c%d", o.clients);
	bench_emit(name, rate, "ops/s", extra);
	snprintf(name, sizeof name, "verify_api_c%d_p50", o.clients);
	bench_emit(name, p50, "ms", NULL);
	snprintf(name, sizeof name, "verify_api_c%d_p99", o.clients);
	bench_emit(name, p99, "ms", NULL);
	fprintf(stderr, "verify: %d clients: %ld verifications in %.2f s = %.0f/s, accepted %ld, p50 %.2f ms, p99 %.2f ms\n",
		o.clients, attempts, elapsed, rate, accepted, p50, p99);
	if (accepted != attempts || errors) {
		fprintf(stderr, "otpbench verify: %ld of %ld verifications were not ACCEPTED\n", attempts - accepted,
			attempts);
		status = 1;
	}
	for (int i = 0; i < o.clients; i++) {
		db_verifier_close(cl[i].v);
		free(cl[i].lat);
	}
	free(cl);
	free(th);
	plan_free(&plan);
	return status;
}

/* ---- verify-cli: otpctl verify --stdin processes --------------------------- */

/* <directory of this executable>/../bin/otpctl */
static int default_otpctl(char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	int w = snprintf(out, size, "%s/../bin/otpctl", self);
	return w > 0 && (size_t)w < size ? 0 : -1;
}

/* Write client c's input for round r ("CONTRACT CODE" lines) to path. */
static int write_round(const struct vplan *p, const struct vopts *o, int c, int r, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (long t = c; t < p->ntok; t += o->clients)
		fprintf(f, "%s %s\n", p->tok[t].contract_id, p->codes[(size_t)r * (size_t)p->ntok + (size_t)t]);
	return fclose(f) == 0 ? 0 : -1;
}

struct cliproc {
	pid_t pid;		/* 0: none running */
	int round;		/* the round it runs */
	bool done;		/* no more rounds to start */
};

static pid_t spawn_round(const char *otpctl, const struct vplan *p, const struct vopts *o, const char *dir, int c,
			 int r)
{
	char in[PATH_MAX], out[PATH_MAX], when[32];
	snprintf(in, sizeof in, "%s/in.%d.%d", dir, c, r);
	snprintf(out, sizeof out, "%s/out.%d.%d", dir, c, r);
	snprintf(when, sizeof when, "%lld", (long long)round_now(p, r));
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	int ifd = open(in, O_RDONLY);
	int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (ifd < 0 || ofd < 0 || dup2(ifd, 0) < 0 || dup2(ofd, 1) < 0)
		_exit(127);
	close(ifd);
	close(ofd);
	setenv("OTP_USER", o->verifier, 1);
	setenv("OTP_PASSWORD", verifier_password(o->verifier), 1);
	if (o->key_dir)
		setenv("OTP_KEY_DIR", o->key_dir, 1);
	execl(otpctl, "otpctl", "verify", "--stdin", "--time", when, "--client", "otpbench", (char *)NULL);
	_exit(127);
}

/* Count answered lines and ACCEPTED ones in client c's round r output. */
static void count_output(const char *dir, int c, int r, long *lines, long *accepted, char *problem, size_t psize)
{
	char path[PATH_MAX], line[256];
	snprintf(path, sizeof path, "%s/out.%d.%d", dir, c, r);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		if (!strchr(line, '\n'))
			break;	/* cut off by the stop: not an answer */
		(*lines)++;
		const char *sp = strchr(line, ' ');
		if (sp && strncmp(sp + 1, "ACCEPTED\n", 9) == 0)
			(*accepted)++;
		else if (!problem[0])
			snprintf(problem, psize, "client %d round %d: %.*s", c, r, (int)strcspn(line, "\n"), line);
	}
	fclose(f);
}

static int verify_cli_main(int argc, char **argv)
{
	struct vopts o;
	if (parse_opts(argc, argv, bench_verify_cli.usage, &o, true) != 0)
		return 2;
	char otpctl[PATH_MAX];
	if (o.otpctl)
		snprintf(otpctl, sizeof otpctl, "%s", o.otpctl);
	else if (default_otpctl(otpctl, sizeof otpctl) != 0) {
		fprintf(stderr, "otpbench verify-cli: cannot find otpctl: use --otpctl PATH\n");
		return 2;
	}
	if (access(otpctl, X_OK) != 0) {
		fprintf(stderr, "otpbench verify-cli: %s: %s\n", otpctl, strerror(errno));
		return 2;
	}
	struct vplan plan;
	struct otp_err err;
	if (plan_make(&plan, &o, &err) != 0) {
		fprintf(stderr, "otpbench verify-cli: %s%s%s\n", err.message, err.hint[0] ? "\n  hint: " : "", err.hint);
		plan_free(&plan);
		return 1;
	}
	char dir[] = "/tmp/otpbench-verify-XXXXXX";
	if (!mkdtemp(dir)) {
		fprintf(stderr, "otpbench verify-cli: mkdtemp: %s\n", strerror(errno));
		plan_free(&plan);
		return 1;
	}
	int status = 0;
	for (int c = 0; status == 0 && c < o.clients; c++)
		for (int r = 0; status == 0 && r < plan.rounds; r++) {
			char path[PATH_MAX];
			snprintf(path, sizeof path, "%s/in.%d.%d", dir, c, r);
			if (write_round(&plan, &o, c, r, path) != 0) {
				fprintf(stderr, "otpbench verify-cli: cannot write %s\n", path);
				status = 1;
			}
		}
	fprintf(stderr, "verify-cli: %ld tokens, %d rounds, %d clients, %.1f s, input files in %s\n", plan.ntok,
		plan.rounds, o.clients, o.seconds, dir);

	struct cliproc *pr = calloc((size_t)o.clients, sizeof *pr);
	double start = bench_now(), stop = start + o.seconds, end = 0;
	bool stopped = false;
	int running = 0;
	for (int c = 0; status == 0 && pr && c < o.clients; c++) {
		pr[c].pid = spawn_round(otpctl, &plan, &o, dir, c, 0);
		if (pr[c].pid < 0) {
			fprintf(stderr, "otpbench verify-cli: fork: %s\n", strerror(errno));
			status = 1;
			break;
		}
		running++;
	}
	/* each client runs its rounds one process after another until the stop */
	while (running > 0) {
		double now = bench_now();
		if (now >= stop && !stopped) {
			for (int c = 0; c < o.clients; c++)
				if (pr[c].pid > 0)
					kill(pr[c].pid, SIGTERM);
			stopped = true;
			end = stop;
		}
		int ws;
		pid_t pid = stopped ? waitpid(-1, &ws, 0) : waitpid(-1, &ws, WNOHANG);
		if (pid < 0)
			break;
		if (pid == 0) {
			usleep(2000);
			continue;
		}
		for (int c = 0; c < o.clients; c++) {
			if (pr[c].pid != pid)
				continue;
			running--;
			pr[c].pid = 0;
			if (!stopped && WIFEXITED(ws) && WEXITSTATUS(ws) != 0) {
				fprintf(stderr, "verify-cli: client %d round %d: otpctl exited %d\n", c, pr[c].round,
					WEXITSTATUS(ws));
				status = 1;
			}
			if (!stopped && pr[c].round + 1 < plan.rounds) {
				pr[c].round++;
				pr[c].pid = spawn_round(otpctl, &plan, &o, dir, c, pr[c].round);
				if (pr[c].pid > 0)
					running++;
			} else {
				pr[c].done = true;
				if (!stopped)
					fprintf(stderr, "verify-cli: client %d used up its codes early\n", c);
			}
		}
	}
	if (!stopped)	/* every client used up its codes before the stop */
		end = bench_now();
	double elapsed = end - start;

	long lines = 0, accepted = 0;
	char problem[256] = "";
	for (int c = 0; pr && c < o.clients; c++)
		for (int r = 0; r <= pr[c].round; r++)
			count_output(dir, c, r, &lines, &accepted, problem, sizeof problem);
	if (problem[0])
		fprintf(stderr, "verify-cli: %s\n", problem);
	double rate = elapsed > 0 ? (double)lines / elapsed : 0;
	char name[64], extra[256];
	snprintf(extra, sizeof extra,
		 "{\"clients\":%d,\"seconds\":%.3f,\"attempts\":%ld,\"accepted\":%ld,\"tokens\":%ld,\"rounds_prepared\":%d}",
		 o.clients, elapsed, lines, accepted, plan.ntok, plan.rounds);
	snprintf(name, sizeof name, "verify_cli_c%d", o.clients);
	bench_emit(name, rate, "ops/s", extra);
	fprintf(stderr, "verify-cli: %d clients: %ld verifications in %.2f s = %.0f/s, accepted %ld\n", o.clients, lines,
		elapsed, rate, accepted);
	if (accepted != lines) {
		fprintf(stderr, "otpbench verify-cli: %ld of %ld verifications were not ACCEPTED\n", lines - accepted, lines);
		status = 1;
	}

	/* remove the files (they hold valid codes) */
	for (int c = 0; c < o.clients; c++)
		for (int r = 0; r < plan.rounds; r++) {
			char path[PATH_MAX];
			snprintf(path, sizeof path, "%s/in.%d.%d", dir, c, r);
			unlink(path);
			snprintf(path, sizeof path, "%s/out.%d.%d", dir, c, r);
			unlink(path);
		}
	rmdir(dir);
	free(pr);
	plan_free(&plan);
	return status;
}
