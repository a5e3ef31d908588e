/* tui_main: otpdesk's entry point: options, locale and message catalogue,
 * then the terminal and the main loop starting at the login screen. */
#include <getopt.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tui/tui.h"

#define OTPDESK_VERSION "0.1.0"

#ifndef OTP_LOCALEDIR
#define OTP_LOCALEDIR "/usr/local/share/locale"
#endif

enum { EXIT_USAGE = 2 };

static void usage(FILE *out)
{
	fprintf(out, "%s",
		_("usage: otpdesk [OPTIONS]\n"
		  "\n"
		  "The branch-office terminal for one-time-password tokens.\n"
		  "\n"
		  "options:\n"
		  "  --dsn CONNINFO      database to use (conninfo, URI or service=NAME;\n"
		  "                      default: OTP_DSN, then libpq's PG* variables)\n"
		  "  --user NAME         pre-fill the login name\n"
		  "  --demo              pre-fill the demo login demo_teller\n"
		  "  --lang ja|en        language of the interface (default: LANG/LC_ALL)\n"
		  "  --idle-lock SECONDS lock the screen after SECONDS without a key\n"
		  "                      (default: the bank's policy, 5 minutes)\n"
		  "  -n N                exit after N frames (for tests)\n"
		  "  --version           print the version and exit\n"
		  "  --help              print this help and exit\n"));
}

static int setup_language(const char *lang)
{
	if (lang) {
		if (strcmp(lang, "ja") == 0) {
			setenv("LANGUAGE", "ja", 1);
			setenv("LC_ALL", "ja_JP.UTF-8", 1);
		} else if (strcmp(lang, "en") == 0) {
			setenv("LANGUAGE", "en", 1);
			setenv("LC_ALL", "C.UTF-8", 1);
		} else {
			return -1;
		}
	}
	if (!setlocale(LC_ALL, ""))
		setlocale(LC_ALL, "C.UTF-8");
	/* the screens need a UTF-8 character set for Japanese names */
	if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");

	const char *dir = getenv("OTP_LOCALEDIR");
	if (!dir || !*dir)
		dir = OTP_LOCALEDIR;
	char alt[PATH_MAX];
	if (access(dir, R_OK | X_OK) != 0) {
		/* installed: <prefix>/bin/otpdesk -> <prefix>/share/locale */
		ssize_t n = readlink("/proc/self/exe", alt, sizeof alt - 1);
		if (n > 0) {
			alt[n] = '\0';
			char *slash = strrchr(alt, '/');
			if (slash) {
				*slash = '\0';
				strncat(alt, "/../share/locale", sizeof alt - strlen(alt) - 1);
				if (access(alt, R_OK | X_OK) == 0)
					dir = alt;
			}
		}
	}
	bindtextdomain("otpdesk", dir);
	bind_textdomain_codeset("otpdesk", "UTF-8");
	textdomain("otpdesk");
	return 0;
}

/* Does the interface speak Japanese (LANGUAGE first, then LC_MESSAGES)? */
static bool speaks_japanese(void)
{
	const char *msgs = setlocale(LC_MESSAGES, NULL);
	bool c_locale = !msgs || strcmp(msgs, "C") == 0 || strcmp(msgs, "POSIX") == 0;
	const char *language = getenv("LANGUAGE");
	if (!c_locale && language && *language)
		return strncmp(language, "ja", 2) == 0;
	return msgs && strncmp(msgs, "ja", 2) == 0;
}

int main(int argc, char **argv)
{
	/* --lang must act before anything is translated: look for it first */
	const char *lang = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
			lang = argv[i + 1];
		else if (strncmp(argv[i], "--lang=", 7) == 0)
			lang = argv[i] + 7;
	}
	if (setup_language(lang) != 0) {
		setup_language(NULL);
		fprintf(stderr, _("otpdesk: --lang must be ja or en, not %s\n"), lang);
		return EXIT_USAGE;
	}

	static const struct option longopts[] = {
		{ "dsn", required_argument, NULL, 'd' },
		{ "user", required_argument, NULL, 'u' },
		{ "demo", no_argument, NULL, 'D' },
		{ "lang", required_argument, NULL, 'L' },
		{ "idle-lock", required_argument, NULL, 'i' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tui app;
	memset(&app, 0, sizeof app);
	app.opt.dsn = getenv("OTP_DSN");
	app.opt.timing = getenv("OTP_TUI_TIMING");
	int c;
	char *end;
	while ((c = getopt_long(argc, argv, "hn:V", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			app.opt.dsn = optarg;
			break;
		case 'u':
			app.opt.user = optarg;
			break;
		case 'D':
			app.opt.demo = true;
			break;
		case 'L':
			break;	/* done above */
		case 'i':
			app.opt.idle_lock = (int)strtol(optarg, &end, 10);
			if (*end || app.opt.idle_lock < 1 || app.opt.idle_lock > 24 * 3600) {
				fprintf(stderr, _("otpdesk: --idle-lock needs a number of seconds (1..86400)\n"));
				return EXIT_USAGE;
			}
			break;
		case 'n':
			app.opt.frames = strtol(optarg, &end, 10);
			if (*end || app.opt.frames < 1) {
				fprintf(stderr, _("otpdesk: -n needs a positive number of frames\n"));
				return EXIT_USAGE;
			}
			break;
		case 'V':
			printf("otpdesk %s\n", OTPDESK_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, _("otpdesk: unexpected argument: %s\n"), argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, _("otpdesk: needs a terminal (use otpctl for scripts)\n"));
		return 1;
	}
	app.ja = speaks_japanese();

	struct view_login_arg login = { .user = app.opt.user, .password = NULL };
	if (app.opt.demo) {
		/* demo logins use their login name as password (otpctl demo seed) */
		if (!login.user)
			login.user = "demo_teller";
		login.password = login.user;
	}
	if (tui_init() != 0)
		return 1;
	int rc = 1;
	if (tui_push(&app, &view_login_ops, &login) == 0)
		rc = tui_run(&app);
	tui_done();
	return rc;
}
