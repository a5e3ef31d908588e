/* view_login: the sign-in form. Login name and password go to libpq together
 * with the --dsn/OTP_DSN connection string (PG* variables otherwise); a
 * refused or failed sign-in leaves the user on the form with libpq's message
 * and hint. Success needs an active staff record (db_whoami) with a staff
 * role; service accounts are refused. The password is never displayed and is
 * wiped as soon as the attempt is over. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "db/tui_queries.h"
#include "tui/tui.h"

#define STAFF_ROLES \
	(DB_ROLE(TELLER) | DB_ROLE(SUPERVISOR) | DB_ROLE(HELPDESK) | DB_ROLE(AUDITOR) | DB_ROLE(ADMIN))

struct login {
	struct tui_field name;
	struct tui_field pass;
	int focus;		/* 0 login name, 1 password */
	struct otp_err err;	/* the last failed attempt, shown in the form */
	bool have_err;
};

static int login_open(struct view *v, const void *arg, struct otp_err *err)
{
	(void)err;
	struct login *s = v->state;
	const struct view_login_arg *a = arg;
	tui_field_init(&s->name, 40, false);
	tui_field_init(&s->pass, 100, true);
	if (a && a->user)
		tui_field_set(&s->name, a->user);
	if (a && a->password)
		tui_field_set(&s->pass, a->password);
	s->focus = s->name.len ? 1 : 0;
	return 0;
}

static void login_close(struct view *v)
{
	struct login *s = v->state;
	tui_field_clear(&s->pass);
}

static void fail(struct login *s, const struct otp_err *err)
{
	s->err = *err;
	s->have_err = true;
	tui_field_clear(&s->pass);
	s->focus = 1;
}

static int login_refresh(struct view *v, struct otp_err *err)
{
	struct login *s = v->state;
	char name[160], pass[512];
	int rc = -1;
	struct db *db = NULL;

	s->have_err = false;
	if (tui_field_get(&s->name, name, sizeof name) != 0 || !name[0]) {
		otp_err_set(err, OTP_ERR_USAGE, "%s", _("type your login name"));
		s->focus = 0;
		return -1;
	}
	if (tui_field_get(&s->pass, pass, sizeof pass) != 0)
		pass[0] = '\0';
	struct db_conn_params p = {
		.conninfo = v->app->opt.dsn,
		.user = name,
		.password = pass[0] ? pass : NULL,
		.appname = "otpdesk",
	};
	if (db_connect(&db, &p, err) != 0) {
		fail(s, err);
		goto out;
	}
	struct db_whoami who;
	if (db_whoami(db, &who, err) != 0) {
		fail(s, err);
		goto out;
	}
	if (!(who.roles & STAFF_ROLES)) {
		otp_err_set(err, OTP_ERR_REFUSED, _("%s is a service account and cannot sign in to otpdesk"), who.login);
		otp_err_hint(err, "%s", _("sign in with your personal staff login"));
		fail(s, err);
		goto out;
	}
	int idle = 0;
	struct otp_err perr;
	if (db_tui_idle_lock_secs(db, &idle, &perr) != 0)
		idle = 0;	/* the default applies */
	tui_logged_in(v->app, db, &who, idle);
	db = NULL;
	tui_field_clear(&s->pass);
	tui_status(v->app, _("signed in as %s"), who.login);
	tui_replace_all(v->app, &view_lookup_ops, NULL);
	rc = 0;
out:
	if (db)
		db_close(db);
	OPENSSL_cleanse(pass, sizeof pass);
	return rc;
}

static unsigned login_switch(struct view *v)
{
	struct login *s = v->state;
	s->focus = !s->focus;
	return TUI_HANDLED;
}

static unsigned login_enter(struct view *v)
{
	struct login *s = v->state;
	if (s->focus == 0) {
		s->focus = 1;
		return TUI_HANDLED;
	}
	if (!s->name.len) {
		s->focus = 0;
		tui_status(v->app, "%s", _("type your login name"));
		return TUI_HANDLED;
	}
	return TUI_HANDLED | TUI_REFRESH;
}

/* Everything but the bindings below edits the focused field. */
static unsigned login_key(struct view *v, int key)
{
	struct login *s = v->state;
	return tui_field_key(s->focus ? &s->pass : &s->name, key) ? TUI_HANDLED : TUI_IGNORED;
}

static void login_draw(struct view *v)
{
	struct login *s = v->state;
	struct tui_rect a = v->area;
	int w = a.w - 4 < 66 ? a.w - 4 : 66;
	int h = a.h - 2 < 16 ? a.h - 2 : 16;
	struct tui_rect box = { a.y + (a.h - h) / 2, a.x + (a.w - w) / 2, h, w };
	struct tui_rect in = tui_box(box, _("Sign in to otpdesk"));

	const char *lname = _("Login name");
	const char *lpass = _("Password");
	int lw = tui_text_width(lname);
	if (tui_text_width(lpass) > lw)
		lw = tui_text_width(lpass);
	lw += 2;
	int fw = in.w - lw;
	if (fw > 32)
		fw = 32;
	tui_put(in.y + 1, in.x, lw, TUI_S_LABEL, TUI_LEFT, lname);
	tui_put(in.y + 2, in.x, lw, TUI_S_LABEL, TUI_LEFT, lpass);
	/* the focused field last, so the cursor ends there */
	tui_field_draw(v->app, s->focus ? &s->name : &s->pass, in.y + 1 + !s->focus, in.x + lw, fw, false);
	tui_field_draw(v->app, s->focus ? &s->pass : &s->name, in.y + 1 + s->focus, in.x + lw, fw, true);
	tui_put(in.y + 4, in.x, in.w, TUI_S_DIM, TUI_LEFT, _("Enter: next field / sign in   Tab: switch field"));

	if (!s->have_err)
		return;
	struct tui_rect er = { in.y + 6, in.x, in.h - 6, in.w };
	int row = 0;
	row += tui_put_wrapped(er, row, TUI_S_ERROR, tui_err_kind_text(s->err.kind));
	row += tui_put_wrapped(er, row, TUI_S_NORMAL, s->err.message);
	if (s->err.hint[0])
		tui_put_wrapped(er, row, TUI_S_DIM, s->err.hint);
}

static const struct tui_binding login_bindings[] = {
	{ { TUI_KEY_ENTER }, N_("Enter"), N_("next field; in the password field: sign in"), 0, NULL, login_enter, NULL },
	{ { TUI_KEY_TAB, TUI_FN(KEY_BTAB), TUI_FN(KEY_UP), TUI_FN(KEY_DOWN) }, N_("Tab, Up, Down"),
	  N_("switch between login name and password"), 0, NULL, login_switch, NULL },
	TUI_FIELD_HELP,
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

const struct view_ops view_login_ops = {
	.name = "login",
	.title = N_("Sign in"),
	.state_size = sizeof(struct login),
	.flags = VIEW_NOBACK | VIEW_SECURE,
	.open = login_open,
	.close = login_close,
	.refresh = login_refresh,
	.draw = login_draw,
	.key = login_key,
	.bindings = login_bindings,
};
