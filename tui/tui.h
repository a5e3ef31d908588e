/* tui: the internal API of otpdesk, the ncursesw terminal application.
 *
 * The program is a stack of views. Each screen is one file view_<name>.c that
 * exports one const struct view_ops: open/close (no I/O), refresh (the only
 * place a view touches the database), draw (pure rendering from the view's
 * state), key (first refusal on every key; returns a TUI_* bitset) and resize,
 * plus a table of key bindings from which the help screen and the F-key bar
 * are generated, so neither can drift from what the keys really do.
 *
 * The main loop (tui_loop.c) owns the terminal, the view stack, the status
 * line, the connection (lost-connection banner and reconnect), idle locking and
 * the global keys, which apply only when the active view ignored a key. Only
 * tui/ includes curses; data comes only through db/db.h. */
#ifndef OTPDESK_TUI_H
#define OTPDESK_TUI_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>
/* curses' refresh() macro would swallow view_ops.refresh: use wrefresh(stdscr) */
#undef refresh
#include <libintl.h>
#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

#include "common/err.h"
#include "db/db.h"
#include "db/workflow.h"

#define _(s) gettext(s)
#define N_(s) (s)

#define TUI_MIN_COLS 80
#define TUI_MIN_LINES 24
#define TUI_MAX_VIEWS 16

/* ---- keys ------------------------------------------------------------------
 * A key is an int: a character (a Unicode code point, < TUI_KEY_FN) or a
 * curses function key KEY_* tagged with TUI_KEY_FN. Enter, Backspace and Esc
 * are normalised by the loop to the constants below. */
#define TUI_KEY_FN 0x01000000
#define TUI_FN(code) (TUI_KEY_FN | (code))
#define TUI_KEY_F(n) TUI_FN(KEY_F(n))
#define TUI_KEY_ENTER TUI_FN(KEY_ENTER)
#define TUI_KEY_BACKSPACE TUI_FN(KEY_BACKSPACE)
#define TUI_KEY_ESC 0x1b
#define TUI_KEY_TAB '\t'
#define TUI_CTRL(c) ((c) & 0x1f)
#define TUI_KEY_NONE (-1)	/* the input timeout passed without a key */

/* true when key is a printable character a text field accepts */
bool tui_key_is_text(int key);

/* ---- what a key handler returns (bitset) ----------------------------------- */
enum {
	TUI_IGNORED = 0,	/* not mine: try the bindings, then the global keys */
	TUI_HANDLED = 1 << 0,	/* consumed */
	TUI_REDRAW = 1 << 1,	/* repaint the whole terminal (clearok) */
	TUI_REFRESH = 1 << 2,	/* run the view's refresh (database) before the next draw */
	TUI_BACK = 1 << 3,	/* close this view, show the one below */
	TUI_QUIT = 1 << 4,	/* leave the program */
};

struct tui_rect {
	int y, x, h, w;
};

struct view;
struct tui;

/* One key binding of a view (or of the global table); a table ends with an
 * entry whose keyname is NULL. The help screen lists every binding; those
 * with fkey 1..10 appear on the F-key bar, greyed while enabled() says no.
 * An entry with run == NULL only documents keys the view's key() handles
 * (text editing). */
struct tui_binding {
	int keys[4];			/* 0-terminated; TUI_KEY_F(n) etc. */
	const char *keyname;		/* N_("PgDn, n") as shown in the help */
	const char *help;		/* N_("next page") */
	int fkey;			/* 1..10: shown as F<n> on the bar; 0: not on the bar */
	const char *fkey_label;		/* N_("Next") */
	unsigned (*run)(struct view *v);
	bool (*enabled)(const struct view *v);	/* NULL: always enabled */
};

/* A documentation-only binding for views with text fields. */
#define TUI_FIELD_HELP                                                                        \
	{ { 0 }, N_("Left, Right, Home, End, BS, Del, Ctrl-U"), N_("edit the text field"), 0, NULL, NULL, \
	  NULL }

enum {
	VIEW_OVERLAY = 1 << 0,	/* a popup: the view below is drawn first */
	VIEW_NOBACK = 1 << 1,	/* Esc does not close it (login, lock screen) */
	VIEW_TIMED = 1 << 2,	/* refresh+draw time goes to OTP_TUI_TIMING */
	VIEW_SECURE = 1 << 3,	/* guards the session itself (login, lock): never idle-locked */
};

struct view_ops {
	const char *name;	/* "lookup": for logs and the timing file */
	const char *title;	/* N_("Contract lookup"): the title line */
	size_t state_size;	/* bytes of zeroed state allocated per instance (v->state) */
	unsigned flags;		/* VIEW_* */
	/* Set up state from arg (may be NULL); no I/O. Return -1 with err to refuse. */
	int (*open)(struct view *v, const void *arg, struct otp_err *err);
	/* Free what open/refresh allocated; wipe secrets. May be NULL. */
	void (*close)(struct view *v);
	/* Load or act on the database; called by the loop while v->stale.
	 * Returns 0, or -1 with err (OTP_ERR_CONNLOST keeps the view stale and
	 * retries after the reconnect). May be NULL. */
	int (*refresh)(struct view *v, struct otp_err *err);
	/* Render v->area from the view's state; may place the cursor with tui_cursor(). */
	void (*draw)(struct view *v);
	/* First refusal on a key; returns a TUI_* bitset. May be NULL. */
	unsigned (*key)(struct view *v, int key);
	/* v->area changed. May be NULL. */
	void (*resize)(struct view *v);
	const struct tui_binding *bindings;	/* ends with keyname == NULL; may be NULL */
};

struct view {
	const struct view_ops *ops;
	struct tui *app;
	void *state;
	struct tui_rect area;	/* where draw() may paint */
	bool stale;		/* refresh() wanted before the next draw */
	char title[160];	/* the title line (translated); views may change it */
};

/* ---- styles: colour pairs with a monochrome fallback ----------------------- */
#define TUI_STYLES(X)                                                            \
	X(NORMAL, -1, -1, A_NORMAL, A_NORMAL)                                     \
	X(HEADER, COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE)                     \
	X(TITLE, COLOR_CYAN, -1, A_BOLD, A_BOLD)                                  \
	X(LABEL, -1, -1, A_BOLD, A_BOLD)                                          \
	X(DIM, -1, -1, A_DIM, A_DIM)                                              \
	X(INFO, COLOR_GREEN, -1, A_NORMAL, A_NORMAL)                              \
	X(ERROR, COLOR_RED, -1, A_BOLD, A_BOLD)                                   \
	X(BANNER, COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD)             \
	X(HOLD, COLOR_YELLOW, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD)              \
	X(FKEY_NUM, -1, -1, A_NORMAL, A_NORMAL)                                   \
	X(FKEY_LABEL, COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE)               \
	X(FKEY_OFF, COLOR_BLACK, COLOR_WHITE, A_DIM, A_DIM)                       \
	X(SELECTED, COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE)                 \
	X(FIELD, -1, -1, A_UNDERLINE, A_UNDERLINE)                                \
	X(FIELD_FOCUS, COLOR_WHITE, COLOR_BLUE, A_UNDERLINE, A_REVERSE)           \
	X(HEADING, -1, -1, A_UNDERLINE | A_BOLD, A_UNDERLINE)                     \
	X(STATE_ACTIVE, COLOR_GREEN, -1, A_NORMAL, A_NORMAL)                      \
	X(STATE_LOCKED, COLOR_RED, -1, A_BOLD, A_BOLD)                            \
	X(STATE_STOPPED, COLOR_YELLOW, -1, A_NORMAL, A_UNDERLINE)                 \
	X(STATE_UNREGISTERED, -1, -1, A_DIM, A_DIM)                               \
	X(BOX, COLOR_CYAN, -1, A_NORMAL, A_NORMAL)

enum tui_style {
#define X(id, fg, bg, cattr, mattr) TUI_S_##id,
	TUI_STYLES(X)
#undef X
	TUI_S_COUNT
};

/* The curses attribute of a style (colour when the terminal has colours and
 * NO_COLOR is unset, else the monochrome variant). */
attr_t tui_style(enum tui_style s);
/* Style of a token state ("LOCKED" -> TUI_S_STATE_LOCKED). */
enum tui_style tui_state_style(const char *state);
/* Translated label of a token state. */
const char *tui_state_label(const char *state);
/* Translated short name of a staff role ("teller"). */
const char *tui_role_label(enum db_role_bit bit);
/* Translated failure reason ("WRONG_CODE" -> "wrong code"). */
const char *tui_reason_label(const char *reason);

/* ---- the application --------------------------------------------------------- */

struct tui_options {
	const char *dsn;	/* --dsn / OTP_DSN: conninfo, URI or service */
	const char *user;	/* --user: pre-filled login name */
	bool demo;		/* --demo: pre-fill demo_teller/demo_teller */
	int idle_lock;		/* --idle-lock SECONDS; 0: the bank's policy (default 5 min) */
	const char *timing;	/* OTP_TUI_TIMING: file for lookup refresh+draw times */
	long frames;		/* -n N: exit after N frames (0: run until quit) */
};

struct tui {
	struct tui_options opt;
	struct db *db;			/* NULL until logged in */
	struct db_whoami who;
	bool logged_in;
	bool ja;			/* the UI speaks Japanese (branch names, dates) */
	int idle_lock_secs;

	struct view *stack[TUI_MAX_VIEWS];
	int depth;

	/* navigation requested during a callback, applied by the loop after it */
	struct view *push[4];
	int npush;
	int npop;			/* views to close; -1: all */

	/* the status line and the last error (F9 shows its details) */
	char status[512];
	enum tui_style status_style;
	struct otp_err last_err;
	bool have_err;

	/* lost connection */
	bool connlost;
	double next_retry;
	int retries;

	double last_input;		/* monotonic seconds */
	bool quit;
	bool redraw_all;
	int cursor_y, cursor_x;		/* set by draw via tui_cursor(); -1: hidden */
	int exit_code;
};

/* The main loop over the views app->push holds; returns the exit status
 * (128 + signal number when a signal ended it). */
int tui_run(struct tui *app);

/* Monotonic clock in seconds. */
double tui_now(void);

/* Open a view of ops with arg and put it on top of the stack once the current
 * callback returns. Returns 0, or -1 with the error shown in the status line. */
int tui_push(struct tui *app, const struct view_ops *ops, const void *arg);
/* Close every view and open ops as the only one (after login/logout). */
int tui_replace_all(struct tui *app, const struct view_ops *ops, const void *arg);
/* Close the active view once the current callback returns. */
void tui_pop(struct tui *app);
/* The view just below v on the stack, or NULL. */
struct view *tui_view_below(struct tui *app, const struct view *v);

/* Status line: an informative message. */
void tui_status(struct tui *app, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Status line: an error (message and hint); F9 shows SQLSTATE and detail. */
void tui_error(struct tui *app, const struct otp_err *err);
/* Translated heading for an error kind ("cannot connect to the database"). */
const char *tui_err_kind_text(enum otp_err_kind kind);

/* Place the terminal cursor (screen coordinates) for this frame. */
void tui_cursor(struct tui *app, int y, int x);

/* Logged in: app takes ownership of db; policy_idle_secs is the bank's idle
 * lock (used unless --idle-lock was given). */
void tui_logged_in(struct tui *app, struct db *db, const struct db_whoami *who, int policy_idle_secs);
/* Is a view of ops anywhere on the stack? */
bool tui_has_view(const struct tui *app, const struct view_ops *ops);

/* Is key bound in v's bindings or the global ones? */
bool tui_key_bound(const struct view *v, int key);

/* The global key bindings (help, back, error details, quit, redraw). */
extern const struct tui_binding tui_global_bindings[];

/* ---- terminal (tui_screen.c) ------------------------------------------------- */

/* Put the terminal in curses mode; installs SIGINT/SIGTERM/SIGHUP handlers and
 * an atexit fallback, so every exit path restores the terminal. */
int tui_init(void);
/* Restore the terminal; safe to call more than once and from atexit. */
void tui_done(void);
/* The signal that asked us to stop, or 0. */
int tui_signalled(void);
/* Read one key (normalised; TUI_KEY_NONE after timeout_ms without a key). */
int tui_read_key(int timeout_ms);
/* Screen size check for TUI_MIN_COLS x TUI_MIN_LINES. */
bool tui_big_enough(void);
/* Paint the centered "enlarge the window" message (and nothing else). */
void tui_draw_too_small(void);

/* Draw text at (y, x) padded or cut to exactly cols display columns. */
enum tui_align { TUI_LEFT, TUI_RIGHT, TUI_CENTER };
void tui_put(int y, int x, int cols, enum tui_style s, enum tui_align align, const char *utf8);
/* Same with printf formatting. */
void tui_putf(int y, int x, int cols, enum tui_style s, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A box with an optional title; returns the inner rect. */
struct tui_rect tui_box(struct tui_rect r, const char *title);
/* Fill a rect with blanks of style s. */
void tui_clear_rect(struct tui_rect r, enum tui_style s);
/* Word-wrap utf8 into r starting at row, in style s; returns rows used. */
int tui_put_wrapped(struct tui_rect r, int row, enum tui_style s, const char *utf8);

/* ---- text helpers (tui_text.c): display width of UTF-8 ---------------------- */

/* Display columns of a UTF-8 string (invalid bytes and unprintables count 1). */
int tui_text_width(const char *utf8);
/* Write into dst (size bytes) the longest prefix of src fitting cols columns,
 * never splitting a character, padded with spaces to exactly cols columns
 * according to align. Returns the columns of text before padding. */
int tui_text_fit(char *dst, size_t size, const char *src, int cols, enum tui_align align);
/* Split src into lines of at most cols columns, breaking at spaces where
 * possible and anywhere in CJK text. Calls line(arg, text) for each line;
 * returns the number of lines. */
int tui_text_wrap(const char *src, int cols, void (*line)(void *arg, const char *text), void *arg);
/* Fold full-width ASCII (０-９, Ａ-Ｚ, ａ-ｚ) to ASCII and trim spaces. */
void tui_text_ascii_fold(char *dst, size_t size, const char *src);

/* ---- a one-line text field (tui_field.c) ------------------------------------ */

#define TUI_FIELD_MAX 128

struct tui_field {
	wchar_t buf[TUI_FIELD_MAX + 1];
	int len;		/* characters */
	int cur;		/* cursor index */
	int max;		/* characters accepted */
	int scroll;		/* first character shown */
	bool secret;		/* shown as '*' and wiped on clear */
};

void tui_field_init(struct tui_field *f, int max, bool secret);
/* Replace the content with a UTF-8 string (cursor at the end). */
void tui_field_set(struct tui_field *f, const char *utf8);
/* The content as UTF-8; returns -1 when it does not fit. */
int tui_field_get(const struct tui_field *f, char *out, size_t size);
/* Empty the field (wiping the old content). */
void tui_field_clear(struct tui_field *f);
/* Editing keys: text, Backspace, Delete, Left/Right, Home/End, Ctrl-A/E/U/K.
 * Returns true when the key was consumed. */
bool tui_field_key(struct tui_field *f, int key);
/* Draw at (y, x) in cols columns; with focus, places the cursor. */
void tui_field_draw(struct tui *app, struct tui_field *f, int y, int x, int cols, bool focus);

/* ---- a scrolled area (tui_scroll.c) ------------------------------------------ */

/* A view whose state BEGINS with a struct tui_scroll can use the tui_scroll_*
 * functions directly as binding actions; its draw() sets shown and total. */
struct tui_scroll {
	int top;		/* first line shown */
	int shown;		/* lines that fit (from the last draw) */
	int total;		/* lines in all (from the last draw) */
};

/* Keep top within 0 .. total - shown (after a resize or a reload). */
void tui_scroll_clamp(struct tui_scroll *sc);
/* Binding actions: a line, a page (less one line), the top, the end. */
unsigned tui_scroll_down(struct view *v);
unsigned tui_scroll_up(struct view *v);
unsigned tui_scroll_pgdn(struct view *v);
unsigned tui_scroll_pgup(struct view *v);
unsigned tui_scroll_top(struct view *v);
unsigned tui_scroll_end(struct view *v);

/* ---- y/n questions (tui_confirm.c) -------------------------------------------- */

/* A key while a y/n question is open: 1 yes (*ret: handled + refresh), 0 no
 * (n, Esc; *ret: handled), -1 any other key (*ret: swallowed, except Ctrl-L
 * and F10, which go on to the loop). */
int tui_confirm_answer(int key, unsigned *ret);
/* The "Please confirm" box, h rows and at most maxw columns, at the bottom
 * of v's area; returns its inner rect. */
struct tui_rect tui_confirm_box(const struct view *v, int maxw, int h);
/* That box with question q (wrapped) and the answers line under it. */
void tui_confirm_draw(const struct view *v, int maxw, int h, const char *q, const char *answers);

/* ---- words shared by screens (tui_words.c) ---------------------------------- */

/* Translated request kind ("UNLOCK") and state ("APPROVED"). */
const char *tui_req_kind_label(enum db_req_kind kind);
const char *tui_req_state_label(enum db_req_state state);
/* Display columns of the widest translated kind (kinds) or state label. */
int tui_req_label_width(bool kinds);

/* ---- the screens ------------------------------------------------------------ */

extern const struct view_ops view_login_ops;
extern const struct view_ops view_lookup_ops;
extern const struct view_ops view_contract_ops;
extern const struct view_ops view_help_ops;
extern const struct view_ops view_errinfo_ops;
extern const struct view_ops view_lock_ops;
extern const struct view_ops view_home_ops;		/* arg: NULL; the task menu */
extern const struct view_ops view_request_ops;		/* arg: contract ID or NULL; new UNLOCK/RESET */
extern const struct view_ops view_queue_ops;		/* arg: NULL; the branch's requests */
extern const struct view_ops view_reqdetail_ops;	/* arg: receipt number; approve/reject/cancel */
extern const struct view_ops view_helpdesk_ops;		/* arg: contract ID or NULL; caller status */
extern const struct view_ops view_audit_ops;		/* arg: contract ID or NULL; log browser */
extern const struct view_ops view_auditevent_ops, view_auditverify_ops, view_auditexc_ops; /* audit: event, verify, report */
extern const struct view_ops view_admin_ops;		/* arg: NULL; staff, branches, policy */
extern const struct view_ops view_admin_staff_ops;	/* arg: NULL; new staff login form */
extern const struct view_ops view_admin_groups_ops;	/* arg: const struct db_staff *; its groups */
extern const struct view_ops view_admin_password_ops;	/* arg: const struct db_staff *; new password */
extern const struct view_ops view_admin_branch_ops;	/* arg: const struct db_branch * or NULL (new) */
extern const struct view_ops view_admin_days_ops;	/* arg: const struct db_branch *; closing days */
extern const struct view_ops view_admin_policy_ops;	/* arg: const struct db_policy *; change it */

/* The login view's argument. */
struct view_login_arg {
	const char *user;
	const char *password;	/* only for --demo: the demo password convention */
};

#endif
