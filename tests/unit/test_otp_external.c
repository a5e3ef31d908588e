/* otp/ against the outside world: a differential test against the oathtool
 * binary (a declared dependency; its absence fails the suite loudly) over
 * random secrets, times, algorithms, digit counts and periods from a fixed
 * seed, and `otpctl code` run as a program. Children are started with
 * posix_spawn and argument vectors we build: no shell. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "otp/otp.h"
#include "tests/lib/testlib.h"

extern char **environ;

#define OATHTOOL "/usr/bin/oathtool"
#define DIFF_CASES 2000
#define DIFF_SEED 0x6f7470646573ULL	/* "otpdes": change only on purpose */

struct run {
	int status;		/* exit code, or -1 when it did not exit normally */
	char out[256];
	char err[512];
};

static void read_all(int fd, char *buf, size_t size)
{
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, size - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || n + (size_t)r >= size - 1) {
			if (r > 0)
				n += (size_t)r;
			break;
		}
		n += (size_t)r;
	}
	buf[n] = '\0';
	char sink[256];	/* drain the rest so the child never blocks */
	while (read(fd, sink, sizeof sink) > 0)
		;
}

/* Run argv[0] with argv, stdin from input (NULL: /dev/null), capturing
 * stdout and stderr. Returns 0 when the program could be run. */
static int run_prog(char *const argv[], const char *input, struct run *r)
{
	int in[2], out[2], err[2];
	posix_spawn_file_actions_t fa;
	pid_t pid;

	memset(r, 0, sizeof *r);
	r->status = -1;
	if (pipe(in) != 0 || pipe(out) != 0 || pipe(err) != 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	int fds[] = { in[0], in[1], out[0], out[1], err[0], err[1] };
	for (size_t i = 0; i < 6; i++)
		posix_spawn_file_actions_addclose(&fa, fds[i]);
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (rc == 0 && input) {
		size_t len = strlen(input);
		if (write(in[1], input, len) != (ssize_t)len)
			rc = -1;
	}
	close(in[1]);
	if (rc == 0) {
		read_all(out[0], r->out, sizeof r->out);	/* outputs are a few lines: no deadlock */
		read_all(err[0], r->err, sizeof r->err);
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	}
	close(out[0]);
	close(err[0]);
	return rc == 0 ? 0 : -1;
}

static uint64_t rng_state;

static uint64_t rng(void)	/* splitmix64 */
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static void test_oathtool_differential(void)
{
	static const char *const modes[OTP_ALGO_COUNT] = {
		[OTP_ALGO_SHA1] = "--totp=SHA1", [OTP_ALGO_SHA256] = "--totp=SHA256", [OTP_ALGO_SHA512] = "--totp=SHA512",
	};
	if (access(OATHTOOL, X_OK) != 0) {
		fprintf(stderr, "\nFAIL: %s is missing; it is a declared dependency (apt-get install oathtool)\n",
			OATHTOOL);
		CU_FAIL_FATAL("oathtool is missing: install it (apt-get install oathtool)");
	}
	rng_state = DIFF_SEED;
	int mismatches = 0;
	for (int n = 0; n < DIFF_CASES && mismatches < 5; n++) {
		uint8_t secret[64], back[64];
		char b32[128], digits_arg[16], step_arg[32], now_arg[32], mine[OTP_CODE_SIZE];
		size_t len = 10 + (size_t)(rng() % 55), backlen = 0;
		for (size_t i = 0; i < len; i++)
			secret[i] = (uint8_t)rng();
		enum otp_algo algo = (enum otp_algo)(rng() % OTP_ALGO_COUNT);
		unsigned digits = OTP_DIGITS_MIN + (unsigned)(rng() % 3);
		unsigned period = rng() % 2 ? 60 : 30;
		int64_t now = (int64_t)(rng() % (1ULL << 34));
		bool pad = rng() % 2;
		struct otp_err err;

		/* Our base32 both ways, then the code from the decoded bytes. */
		CU_ASSERT_FATAL(otp_base32_encode(secret, len, pad, b32, sizeof b32, &err) > 0);
		CU_ASSERT_EQUAL_FATAL(otp_base32_decode(b32, back, sizeof back, &backlen, &err), 0);
		CU_ASSERT_FATAL(backlen == len && memcmp(back, secret, len) == 0);
		CU_ASSERT_EQUAL_FATAL(otp_totp(algo, back, backlen, period, now, digits, mine, &err), 0);

		snprintf(digits_arg, sizeof digits_arg, "--digits=%u", digits);
		snprintf(step_arg, sizeof step_arg, "--time-step-size=%us", period);
		snprintf(now_arg, sizeof now_arg, "--now=@%lld", (long long)now);
		char *argv[] = { OATHTOOL, (char *)modes[algo], digits_arg, step_arg, now_arg, "-b", b32, NULL };
		struct run r;
		CU_ASSERT_EQUAL_FATAL(run_prog(argv, NULL, &r), 0);
		CU_ASSERT_EQUAL(r.status, 0);
		r.out[strcspn(r.out, "\n")] = '\0';
		if (r.status != 0 || strcmp(r.out, mine) != 0) {
			mismatches++;
			fprintf(stderr, "\n  case %d: %s %s %s %s -b %s -> oathtool \"%s\" (%s), otp \"%s\"\n", n,
				modes[algo], digits_arg, step_arg, now_arg, b32, r.out, r.err, mine);
		}
	}
	CU_ASSERT_EQUAL(mismatches, 0);
}

/* build-x/tests/unit-tests -> build-x/bin/otpctl */
static int otpctl_path(char *buf, size_t size)
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
	snprintf(buf, size, "%s/../bin/otpctl", self);
	return access(buf, X_OK);
}

static void test_otpctl_code(void)
{
	char prog[PATH_MAX + 32], file[] = "/tmp/otp-secret.XXXXXX";
	if (otpctl_path(prog, sizeof prog) != 0) {
		fprintf(stderr, "\nFAIL: otpctl not found next to the test runner (build it: make BUILD=...)\n");
		CU_FAIL_FATAL("otpctl binary missing");
	}
	int fd = mkstemp(file);
	CU_ASSERT_FATAL(fd >= 0);
	const struct {
		const char *args[8];
		const char *input;
		int status;
		const char *out;	/* exact stdout */
		const char *err;	/* substring of stderr */
	} v[] = {
		{ { "--secret", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "--digits", "8", "--time", "59" }, NULL, 0, "94287082\n", "" },
		{ { "--secret=gezd-gnbv-gy3t-qojq-gezd-gnbv-gy3t-qojq", "--time=1111111109" }, NULL, 0, "081804\n", "" },
		{ { "--secret", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA", "--algo", "sha256", "--digits", "8",
		    "--time", "20000000000" }, NULL, 0, "77737706\n", "" },
		{ { "--secret", "-", "--digits", "8", "--time", "59" }, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n", 0, "94287082\n", "" },
		{ { "--secret", "GEZDGNBVGY3TQOJQ", "--period", "60", "--digits", "7", "--time", "0" }, NULL, 0, NULL, "" },
		{ { "--secret", "GEZDGNBVGY3TQOJ1", "--time", "59" }, NULL, 3, "", "error: invalid base32 character '1' at position 16" },
		{ { "--secret", "GEZDGNBVG", "--time", "59" }, NULL, 3, "", "error: invalid base32 length" },
		{ { "--secret", "GEZDGNBVGY3TQOJQ", "--digits", "9" }, NULL, 3, "", "error: digits must be 6, 7 or 8" },
		{ { "--secret", "GEZDGNBVGY3TQOJQ", "--digits", "5" }, NULL, 3, "", "error: digits must be" },
		{ { "--secret", "GEZDGNBVGY3TQOJQ", "--period", "0" }, NULL, 3, "", "error: period must be" },
		{ { "--secret", "GEZDGNBVGY3TQOJQ", "--period", "-30" }, NULL, 3, "", "error: period must be" },
		{ { "--secret", "GEZDGNBVGY3TQOJQ", "--time", "-1" }, NULL, 3, "", "error: time must be" },
		{ { "--secret", "GEZDGNBVGY3TQOJQ", "--time", "soon" }, NULL, 3, "", "error: time must be" },
		{ { "--secret", "GEZDGNBVGY3TQOJQ", "--algo", "md5" }, NULL, 3, "", "error: unknown algorithm \"md5\"" },
		{ { "--secret", "" }, NULL, 3, "", "error: secret is empty" },
		{ { "--time", "59" }, NULL, 3, "", "error: no secret given" },
		{ { "--secret", "A", "--secret-file", "/x" }, NULL, 3, "", "error: give the secret only once" },
		{ { "--secret", "GEZDGNBVGY3TQOJQ", "extra" }, NULL, 3, "", "error: unexpected argument" },
		{ { "--secret" }, NULL, 3, "", "error: option --secret needs a value" },
		{ { "--frobnicate" }, NULL, 3, "", "error: unknown option --frobnicate" },
		{ { "--secret", "-" }, "", 3, "", "error: secret in standard input is empty" },
		{ { "--secret-file", "/nonexistent/secret" }, NULL, 1, "", "error: cannot open secret file" },
		{ { "--secret-file", file, "--digits", "8", "--time", "59" }, NULL, 0, "94287082\n", "" },
	};
	CU_ASSERT_FATAL(write(fd, "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ\r\n", 41) == 41);
	close(fd);
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char *argv[12] = { prog, "code" };
		int argc = 2;
		for (int a = 0; a < 8 && v[i].args[a]; a++)
			argv[argc++] = (char *)v[i].args[a];
		argv[argc] = NULL;
		struct run r;
		CU_ASSERT_EQUAL_FATAL(run_prog(argv, v[i].input, &r), 0);
		int ok = r.status == v[i].status && (!v[i].out || strcmp(r.out, v[i].out) == 0) && strstr(r.err, v[i].err) &&
			 (v[i].err[0] || r.err[0] == '\0');
		if (!v[i].out && r.status == 0)
			ok = ok && strlen(r.out) == 8 && r.out[7] == '\n';	/* one line, 7 digits */
		CU_ASSERT(ok);
		if (!ok)
			fprintf(stderr, "\n  otpctl case %zu (%s %s): exit %d, out \"%s\", err \"%s\"\n", i,
				argc > 2 ? argv[2] : "", argc > 3 ? argv[3] : "", r.status, r.out, r.err);
	}
	unlink(file);
}

TEST_SUITE(otp_external, "otp/external", NULL, NULL,
	   TEST(test_oathtool_differential),
	   TEST(test_otpctl_code))
