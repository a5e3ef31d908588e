/* view_lock: the idle lock. After the idle time the loop puts this opaque
 * view on top: nothing of the screens below is drawn and no key reaches them,
 * but they keep their state (a half-typed search survives). The password is
 * checked by opening a separate connection as the signed-in login; the
 * working connection is not touched. Only F10 (quit) and F1 get past it. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tui/tui.h"

struct lock {
	struct tui_field pass;
	struct otp_err err;
	bool have_err;
	int failures;
};

static int lock_open(struct view *v, const void *arg, struct otp_err *err)
{
	(void)arg;
	(void)err;
	struct lock *s = v->state;
	tui_field_init(&s->pass, 100, true);
	return 0;
}

static void lock_close(struct view *v)
{
	struct lock *s = v->state;
	tui_field_clear(&s->pass);
}

static int lock_refresh(struct view *v, struct otp_err *err)
{
	struct lock *s = v->state;
	char pass[512];
	if (tui_field_get(&s->pass, pass, sizeof pass) != 0)
		pass[0] = '\0';
	tui_field_clear(&s->pass);
	struct db_conn_params p = {
		.conninfo = v->app->opt.dsn,
		.user = v->app->who.login,
		.password = pass,
		.appname = "otpdesk-unlock",
	};
	struct db *check = NULL;
	int rc = db_connect(&check, &p, err);
	OPENSSL_cleanse(pass, sizeof pass);
	if (rc != 0) {
		s->err = *err;
		s->have_err = true;
		s->failures++;
		return -1;
	}
	db_close(check);
	s->have_err = false;
	tui_status(v->app, "%s", _("unlocked"));
	tui_pop(v->app);
	return 0;
}

static unsigned lock_enter(struct view *v)
{
	struct lock *s = v->state;
	if (!s->pass.len) {
		tui_status(v->app, "%s", _("type your password"));
		return TUI_HANDLED;
	}
	return TUI_HANDLED | TUI_REFRESH;
}

static const struct tui_binding lock_bindings[] = {
	{ { TUI_KEY_ENTER }, N_("Enter"), N_("unlock with your password"), 0, NULL, lock_enter, NULL },
	TUI_FIELD_HELP,
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

/* The field takes text; Enter, F1, F10 and Ctrl-L go on; every other key
 * stops here so nothing reaches the screens below. */
static unsigned lock_key(struct view *v, int key)
{
	struct lock *s = v->state;
	if (tui_field_key(&s->pass, key))
		return TUI_HANDLED;
	if (key == TUI_KEY_ENTER || key == TUI_KEY_F(1) || key == TUI_KEY_F(10) || key == TUI_CTRL('l'))
		return TUI_IGNORED;
	return TUI_HANDLED;
}

static void lock_draw(struct view *v)
{
	struct lock *s = v->state;
	struct tui_rect a = v->area;
	tui_clear_rect(a, TUI_S_NORMAL);
	int w = a.w - 4 < 64 ? a.w - 4 : 64;
	int h = a.h - 2 < 14 ? a.h - 2 : 14;
	struct tui_rect box = { a.y + (a.h - h) / 2, a.x + (a.w - w) / 2, h, w };
	struct tui_rect in = tui_box(box, _("Screen locked"));
	char buf[256];
	int secs = v->app->idle_lock_secs;
	if (secs % 60 == 0)
		snprintf(buf, sizeof buf, _("Locked after %d minutes without input."), secs / 60);
	else
		snprintf(buf, sizeof buf, _("Locked after %d seconds without input."), secs);
	tui_put(in.y, in.x, in.w, TUI_S_NORMAL, TUI_LEFT, buf);
	snprintf(buf, sizeof buf, _("Signed in: %s (%s)"), v->app->who.display_name, v->app->who.login);
	tui_put(in.y + 1, in.x, in.w, TUI_S_NORMAL, TUI_LEFT, buf);
	const char *label = _("Password");
	int lw = tui_text_width(label) + 2;
	tui_put(in.y + 3, in.x, lw, TUI_S_LABEL, TUI_LEFT, label);
	tui_put(in.y + 5, in.x, in.w, TUI_S_DIM, TUI_LEFT, _("Enter: unlock   F10: quit (sign out)"));
	if (s->have_err) {
		struct tui_rect er = { in.y + 7, in.x, in.h - 7, in.w };
		int row = tui_put_wrapped(er, 0, TUI_S_ERROR, s->err.message);
		if (s->err.hint[0])
			tui_put_wrapped(er, row, TUI_S_DIM, s->err.hint);
	}
	tui_field_draw(v->app, &s->pass, in.y + 3, in.x + lw, in.w - lw > 32 ? 32 : in.w - lw, true);
}

const struct view_ops view_lock_ops = {
	.name = "lock",
	.title = N_("Locked"),
	.state_size = sizeof(struct lock),
	.flags = VIEW_NOBACK | VIEW_SECURE,
	.open = lock_open,
	.close = lock_close,
	.refresh = lock_refresh,
	.draw = lock_draw,
	.key = lock_key,
	.bindings = lock_bindings,
};
