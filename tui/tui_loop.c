/* tui_loop: the view stack and the main loop. Each turn: apply navigation,
 * refresh the active view if it asked for data, draw header / title (or the
 * lost-connection banner) / view / status line / F-key bar, then wait up to a
 * second for a key. The active view gets first refusal on a key, then its
 * bindings, then the global bindings. Timeouts drive the reconnect attempts
 * and the idle lock. Nothing here touches the database except reconnecting. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui/tui.h"

#define RECONNECT_EVERY 2.0	/* seconds between reconnect attempts */
#define KEY_WAIT_MS 1000

double tui_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct view *top_view(struct tui *app)
{
	return app->depth ? app->stack[app->depth - 1] : NULL;
}

static struct tui_rect view_area(void)
{
	/* row 0 header, row 1 title/banner, LINES-2 status, LINES-1 F-keys */
	return (struct tui_rect){ 2, 0, LINES - 4 > 0 ? LINES - 4 : 0, COLS };
}

/* ---- navigation ------------------------------------------------------------ */

static struct view *view_new(struct tui *app, const struct view_ops *ops, const void *arg, struct otp_err *err)
{
	struct view *v = calloc(1, sizeof *v);
	if (!v) {
		otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	v->ops = ops;
	v->app = app;
	v->area = view_area();
	otp_strlcpy(v->title, ops->title ? _(ops->title) : "", sizeof v->title);
	if (ops->state_size) {
		v->state = calloc(1, ops->state_size);
		if (!v->state) {
			free(v);
			otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
			return NULL;
		}
	}
	if (ops->open && ops->open(v, arg, err) != 0) {
		free(v->state);
		free(v);
		return NULL;
	}
	return v;
}

static void view_free(struct view *v)
{
	if (!v)
		return;
	if (v->ops->close)
		v->ops->close(v);
	if (v->state) {
		memset(v->state, 0, v->ops->state_size);
		free(v->state);
	}
	free(v);
}

int tui_push(struct tui *app, const struct view_ops *ops, const void *arg)
{
	struct otp_err err;
	otp_err_clear(&err);
	int room = TUI_MAX_VIEWS - (app->npop < 0 ? 0 : app->depth - app->npop);
	if (app->npush >= (int)(sizeof app->push / sizeof app->push[0]) || app->npush >= room) {
		otp_err_set(&err, OTP_ERR_INTERNAL, "too many screens open");
		tui_error(app, &err);
		return -1;
	}
	struct view *v = view_new(app, ops, arg, &err);
	if (!v) {
		tui_error(app, &err);
		return -1;
	}
	app->push[app->npush++] = v;
	return 0;
}

int tui_replace_all(struct tui *app, const struct view_ops *ops, const void *arg)
{
	for (int i = 0; i < app->npush; i++)
		view_free(app->push[i]);
	app->npush = 0;
	app->npop = -1;
	return tui_push(app, ops, arg);
}

void tui_pop(struct tui *app)
{
	if (app->npop >= 0)
		app->npop++;
}

struct view *tui_view_below(struct tui *app, const struct view *v)
{
	for (int i = 1; i < app->depth; i++)
		if (app->stack[i] == v)
			return app->stack[i - 1];
	return NULL;
}

bool tui_has_view(const struct tui *app, const struct view_ops *ops)
{
	for (int i = 0; i < app->depth; i++)
		if (app->stack[i]->ops == ops)
			return true;
	for (int i = 0; i < app->npush; i++)
		if (app->push[i]->ops == ops)
			return true;
	return false;
}

static void apply_nav(struct tui *app)
{
	int pop = app->npop < 0 ? app->depth : app->npop;
	for (; pop > 0 && app->depth > 0; pop--)
		view_free(app->stack[--app->depth]);
	app->npop = 0;
	for (int i = 0; i < app->npush; i++) {
		if (app->depth < TUI_MAX_VIEWS)
			app->stack[app->depth++] = app->push[i];
		else
			view_free(app->push[i]);
	}
	app->npush = 0;
}

static void layout(struct tui *app)
{
	struct tui_rect a = view_area();
	for (int i = 0; i < app->depth; i++) {
		app->stack[i]->area = a;
		if (app->stack[i]->ops->resize)
			app->stack[i]->ops->resize(app->stack[i]);
	}
}

/* ---- status line ------------------------------------------------------------- */

void tui_status(struct tui *app, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(app->status, sizeof app->status, fmt, ap);
	va_end(ap);
	app->status_style = TUI_S_INFO;
}

void tui_error(struct tui *app, const struct otp_err *err)
{
	app->last_err = *err;
	app->have_err = true;
	const char *msg = err->message[0] ? err->message : tui_err_kind_text(err->kind);
	if (err->hint[0])
		snprintf(app->status, sizeof app->status, "%s (%s)", msg, err->hint);
	else
		snprintf(app->status, sizeof app->status, "%s", msg);
	/* libpq messages may span lines: the status line is one */
	for (char *p = app->status; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	app->status_style = TUI_S_ERROR;
}

void tui_cursor(struct tui *app, int y, int x)
{
	app->cursor_y = y;
	app->cursor_x = x;
}

void tui_logged_in(struct tui *app, struct db *db, const struct db_whoami *who, int policy_idle_secs)
{
	if (app->db && app->db != db)
		db_close(app->db);
	app->db = db;
	app->who = *who;
	app->logged_in = true;
	app->connlost = false;
	app->idle_lock_secs = app->opt.idle_lock > 0 ? app->opt.idle_lock
			      : policy_idle_secs > 0 ? policy_idle_secs : 5 * 60;
	app->last_input = tui_now();
}

/* ---- global keys ------------------------------------------------------------- */

static unsigned g_help(struct view *v)
{
	if (v->ops == &view_help_ops)
		return TUI_BACK;
	tui_push(v->app, &view_help_ops, v);
	return TUI_HANDLED;
}

static unsigned g_back(struct view *v)
{
	if ((v->ops->flags & VIEW_NOBACK) || v->app->depth < 2)
		return TUI_IGNORED;
	return TUI_BACK;
}

static unsigned g_errinfo(struct view *v)
{
	tui_push(v->app, &view_errinfo_ops, &v->app->last_err);
	return TUI_HANDLED;
}

static bool g_errinfo_enabled(const struct view *v)
{
	return v->app->have_err && v->ops != &view_errinfo_ops;
}

static unsigned g_quit(struct view *v)
{
	(void)v;
	return TUI_QUIT;
}

static unsigned g_redraw(struct view *v)
{
	(void)v;
	return TUI_REDRAW;
}

const struct tui_binding tui_global_bindings[] = {
	{ { TUI_KEY_F(1), '?' }, N_("F1, ?"), N_("help for this screen"), 1, N_("Help"), g_help, NULL },
	{ { TUI_KEY_ESC }, N_("Esc"), N_("back to the previous screen"), 0, NULL, g_back, NULL },
	{ { TUI_KEY_F(9) }, N_("F9"), N_("details of the last error (SQLSTATE, detail)"), 9, N_("Error"),
	  g_errinfo, g_errinfo_enabled },
	{ { TUI_KEY_F(10), 'q' }, N_("F10, q"), N_("quit otpdesk"), 10, N_("Quit"), g_quit, NULL },
	{ { TUI_CTRL('l') }, N_("Ctrl-L"), N_("redraw the screen"), 0, NULL, g_redraw, NULL },
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

static bool in_table(const struct tui_binding *b, int key)
{
	for (; b && b->keyname; b++)
		for (int k = 0; b->run && k < 4 && b->keys[k]; k++)
			if (b->keys[k] == key)
				return true;
	return false;
}

bool tui_key_bound(const struct view *v, int key)
{
	return in_table(v->ops->bindings, key) || in_table(tui_global_bindings, key);
}

static unsigned run_bindings(struct view *v, const struct tui_binding *b, int key)
{
	for (; b && b->keyname; b++)
		for (int k = 0; b->run && k < 4 && b->keys[k]; k++) {
			if (b->keys[k] != key)
				continue;
			if (b->enabled && !b->enabled(v)) {
				tui_status(v->app, _("%s is not available here"), _(b->keyname));
				return TUI_HANDLED;
			}
			unsigned r = b->run(v);
			return r ? r | TUI_HANDLED : TUI_IGNORED;
		}
	return TUI_IGNORED;
}

/* ---- drawing ------------------------------------------------------------------- */

static void draw_header(struct tui *app)
{
	char line[512];
	int n = snprintf(line, sizeof line, " otpdesk");
	if (app->logged_in) {
		char roles[160] = "";
		for (int b = 0; b < DB_ROLE_COUNT; b++)
			if (app->who.roles & (1u << b)) {
				if (roles[0])
					strncat(roles, ", ", sizeof roles - strlen(roles) - 1);
				strncat(roles, tui_role_label((enum db_role_bit)b), sizeof roles - strlen(roles) - 1);
			}
		const char *bname = app->ja || !app->who.branch_name_en[0] ? app->who.branch_name
									    : app->who.branch_name_en;
		/* narrower separators, then no branch name, until the roles fit */
		static const char *const fmts[] = { "  |  %s (%s)  |  %s %s  |  %s", " | %s (%s) | %s %s | %s",
						    " | %s (%s) | %s%s | %s" };
		for (size_t f = 0; f < sizeof fmts / sizeof *fmts; f++) {
			snprintf(line + n, sizeof line - (size_t)n, fmts[f], app->who.display_name, app->who.login,
				 app->who.branch_code, f == 2 ? "" : bname, roles);
			if (tui_text_width(line) <= COLS)
				break;
		}
	}
	tui_put(0, 0, COLS, TUI_S_HEADER, TUI_LEFT, line);
}

static void draw_title(struct tui *app, struct view *top)
{
	if (app->connlost) {
		char b[256];
		if (app->retries > 0)
			snprintf(b, sizeof b, _(" connection lost — reconnecting… (attempt %d)"), app->retries + 1);
		else
			snprintf(b, sizeof b, "%s", _(" connection lost — reconnecting…"));
		tui_put(1, 0, COLS, TUI_S_BANNER, TUI_LEFT, b);
		return;
	}
	/* a popup keeps the title of the screen it covers */
	for (int i = app->depth - 1; i > 0 && (top->ops->flags & VIEW_OVERLAY); i--)
		top = app->stack[i - 1];
	char t[200];
	snprintf(t, sizeof t, " %s", top->title);
	tui_put(1, 0, COLS, TUI_S_TITLE, TUI_LEFT, t);
}

static void draw_status(struct tui *app)
{
	char s[600];
	if (app->status_style == TUI_S_ERROR && app->status[0])
		snprintf(s, sizeof s, _(" %s  (F9: details)"), app->status);
	else
		snprintf(s, sizeof s, " %s", app->status);
	tui_put(LINES - 2, 0, COLS, app->status_style, TUI_LEFT, s);
}

static const struct tui_binding *fkey_binding(struct view *v, int n)
{
	for (const struct tui_binding *b = v->ops->bindings; b && b->keyname; b++)
		if (b->fkey == n && b->run)
			return b;
	for (const struct tui_binding *b = tui_global_bindings; b->keyname; b++)
		if (b->fkey == n && b->run)
			return b;
	return NULL;
}

/* The F-key bar: the F-keys that do something here, in order; greyed while
 * a binding's enabled() says no. When the labels do not fit the width, the
 * longest ones are cut a column at a time, so every key stays on the bar. */
static void draw_fkeys(struct view *v)
{
	const struct tui_binding *keys[10];
	int width[10], n_keys = 0, need = 0, y = LINES - 1;
	for (int n = 1; n <= 10; n++) {
		const struct tui_binding *b = fkey_binding(v, n);
		if (!b)
			continue;
		keys[n_keys] = b;
		width[n_keys] = 1 + tui_text_width(_(b->fkey_label));	/* " Label" */
		need += (n >= 10 ? 3 : 2) + width[n_keys] + 1;
		n_keys++;
	}
	while (need > COLS) {
		int widest = 0;
		for (int i = 1; i < n_keys; i++)
			if (width[i] > width[widest])
				widest = i;
		if (n_keys == 0 || width[widest] <= 2)
			break;
		width[widest]--;
		need--;
	}
	tui_put(y, 0, COLS, TUI_S_NORMAL, TUI_LEFT, "");
	int x = 0;
	for (int i = 0; i < n_keys && x < COLS; i++) {
		const struct tui_binding *b = keys[i];
		char num[8], label[64];
		snprintf(num, sizeof num, "F%d", b->fkey);
		snprintf(label, sizeof label, " %s", _(b->fkey_label));
		int nw = (int)strlen(num), lw = width[i];
		if (x + nw + lw > COLS)
			lw = COLS - x - nw;
		bool on = !b->enabled || b->enabled(v);
		tui_put(y, x, nw, TUI_S_FKEY_NUM, TUI_LEFT, num);
		if (lw > 0)
			tui_put(y, x + nw, lw, on ? TUI_S_FKEY_LABEL : TUI_S_FKEY_OFF, TUI_LEFT, label);
		x += nw + lw + 1;
	}
}

static void draw_frame(struct tui *app)
{
	if (app->redraw_all) {
		clearok(curscr, TRUE);
		app->redraw_all = false;
	}
	if (!tui_big_enough()) {
		tui_draw_too_small();
		wrefresh(stdscr);
		return;
	}
	erase();
	app->cursor_y = app->cursor_x = -1;
	struct view *top = top_view(app);
	draw_header(app);
	draw_title(app, top);
	/* draw from the lowest view that overlays cover */
	int first = app->depth - 1;
	while (first > 0 && (app->stack[first]->ops->flags & VIEW_OVERLAY))
		first--;
	for (int i = first; i < app->depth; i++) {
		if (i < app->depth - 1)
			app->cursor_y = app->cursor_x = -1;
		app->stack[i]->ops->draw(app->stack[i]);
	}
	if (top->ops->flags & VIEW_OVERLAY)
		app->cursor_y = app->cursor_x = -1;
	draw_status(app);
	draw_fkeys(top);
	if (app->cursor_y >= 0) {
		curs_set(1);
		move(app->cursor_y, app->cursor_x);
	} else {
		curs_set(0);
	}
	wrefresh(stdscr);
}

/* ---- refresh, reconnect, idle lock --------------------------------------------- */

/* Append one refresh+draw time in milliseconds to OTP_TUI_TIMING. */
static void record_timing(struct tui *app, double secs)
{
	if (!app->opt.timing || !*app->opt.timing)
		return;
	FILE *f = fopen(app->opt.timing, "a");
	if (!f)
		return;
	fprintf(f, "%.3f\n", secs * 1000.0);
	fclose(f);
}

static void lose_connection(struct tui *app, const struct otp_err *err)
{
	app->connlost = true;
	app->retries = 0;
	app->next_retry = tui_now();	/* first attempt at once, then every RECONNECT_EVERY */
	app->last_err = *err;
	app->have_err = true;
}

/* Run the active view's refresh while it is stale; navigation a refresh asks
 * for is applied and the new active view refreshed in turn. Returns the time
 * the refresh started (0 when none ran) for the timing of VIEW_TIMED views. */
static double refresh_stale(struct tui *app, const struct view_ops **timed)
{
	double t0 = 0;
	*timed = NULL;
	for (int round = 0; round < 4; round++) {
		apply_nav(app);
		struct view *top = top_view(app);
		if (!top || !top->stale)
			break;
		if (!top->ops->refresh) {
			top->stale = false;
			break;
		}
		/* while reconnecting only the session guards (unlock) may run: they
		 * open their own connection */
		if (app->connlost && app->logged_in && !(top->ops->flags & VIEW_SECURE))
			break;
		if (top->ops->flags & VIEW_TIMED) {
			t0 = tui_now();
			*timed = top->ops;
		}
		struct otp_err err;
		otp_err_clear(&err);
		if (top->ops->refresh(top, &err) == 0) {
			top->stale = false;
		} else if (err.kind == OTP_ERR_CONNLOST && app->logged_in) {
			lose_connection(app, &err);
		} else {
			top->stale = false;
			tui_error(app, &err);
		}
	}
	apply_nav(app);
	return t0;
}

static void tick(struct tui *app)
{
	double now = tui_now();
	if (app->connlost && app->db && now >= app->next_retry) {
		struct otp_err err;
		otp_err_clear(&err);
		if (db_reconnect(app->db, &err) == 0) {
			app->connlost = false;
			app->retries = 0;
			tui_status(app, "%s", _("reconnected to the database"));
		} else {
			app->retries++;
			app->next_retry = tui_now() + RECONNECT_EVERY;
			app->last_err = err;
			app->have_err = true;
		}
	}
	struct view *top = top_view(app);
	if (app->logged_in && top && !(top->ops->flags & VIEW_SECURE) && app->idle_lock_secs > 0 &&
	    now - app->last_input >= app->idle_lock_secs && !tui_has_view(app, &view_lock_ops)) {
		/* nothing of the session stays on the screen: status and last error too */
		app->status[0] = '\0';
		app->have_err = false;
		tui_push(app, &view_lock_ops, NULL);
	}
}

static void handle_key(struct tui *app, int key)
{
	if (key == TUI_FN(KEY_RESIZE)) {
		layout(app);
		app->redraw_all = true;
		return;
	}
	struct view *top = top_view(app);
	if (!tui_big_enough()) {
		/* nothing is visible: only quitting and redrawing make sense */
		if (key == TUI_KEY_F(10))
			app->quit = true;
		else if (key == TUI_CTRL('l'))
			app->redraw_all = true;
		return;
	}
	if (key != TUI_KEY_F(9) && key != TUI_CTRL('l') && !app->connlost) {
		app->status[0] = '\0';
		app->status_style = TUI_S_NORMAL;
	}
	unsigned r = top->ops->key ? top->ops->key(top, key) : TUI_IGNORED;
	if (!r)
		r = run_bindings(top, top->ops->bindings, key);
	if (!r)
		r = run_bindings(top, tui_global_bindings, key);
	if (r & TUI_REFRESH)
		top->stale = true;
	if (r & TUI_REDRAW)
		app->redraw_all = true;
	if ((r & TUI_BACK) && app->npop >= 0 && app->depth > 1)
		app->npop++;
	if (r & TUI_QUIT)
		app->quit = true;
}

int tui_run(struct tui *app)
{
	long frames = 0;
	app->last_input = tui_now();
	apply_nav(app);
	layout(app);
	while (!app->quit && !tui_signalled() && app->depth > 0) {
		const struct view_ops *timed;
		double t0 = refresh_stale(app, &timed);
		if (app->depth == 0)
			break;
		draw_frame(app);
		if (timed && t0 > 0)
			record_timing(app, tui_now() - t0);
		if (app->opt.frames > 0 && ++frames >= app->opt.frames)
			break;
		int key = tui_read_key(KEY_WAIT_MS);
		if (tui_signalled())
			break;
		if (key != TUI_KEY_NONE) {
			if (key != TUI_FN(KEY_RESIZE))
				app->last_input = tui_now();
			handle_key(app, key);
		}
		tick(app);
	}
	int sig = tui_signalled();
	for (int i = 0; i < app->npush; i++)
		view_free(app->push[i]);
	app->npush = 0;
	app->npop = -1;
	apply_nav(app);
	if (app->db)
		db_close(app->db);
	app->db = NULL;
	return sig ? 128 + sig : app->exit_code;
}
