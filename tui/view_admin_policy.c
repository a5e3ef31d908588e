/* view_admin_policy: change the bank's policy (lock threshold, verification
 * window, cutoff time, automatic unlock, idle lock). The form starts from the
 * values the administration screen loaded; the server's ranges are mirrored
 * as you type; saving shows every change as old → new and asks y/n, then one
 * call (db_policy_set) sends only the settings that changed. A refusal keeps
 * the form as typed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"

enum item { P_THRESHOLD, P_WINDOW, P_CUTOFF, P_AUTO, P_IDLE, P_COUNT };

struct setting {
	const char *label;	/* N_() */
	const char *unit;	/* N_() */
	int min, max;		/* numbers; min > max: a time HH:MM */
};

static const struct setting settings[P_COUNT] = {
	[P_THRESHOLD] = { N_("Lock threshold"), N_("failed attempts (1-10)"), 1, 10 },
	[P_WINDOW] = { N_("Verification window"), N_("time steps either side (0-10)"), 0, 10 },
	[P_CUTOFF] = { N_("Cutoff time"), N_("HH:MM, Japan time"), 1, 0 },
	[P_AUTO] = { N_("Automatic unlock"), N_("minutes (0 = off, up to 10080)"), 0, 10080 },
	[P_IDLE] = { N_("Idle lock"), N_("minutes (1-60)"), 1, 60 },
};

struct policy_form {
	struct db_policy old;
	struct tui_field f[P_COUNT];
	int focus;
	bool confirming, go;
};

static void old_text(const struct db_policy *p, int item, char *out, size_t size)
{
	switch (item) {
	case P_THRESHOLD: snprintf(out, size, "%d", p->lock_threshold); break;
	case P_WINDOW: snprintf(out, size, "%d", p->window_steps); break;
	case P_CUTOFF: snprintf(out, size, "%s", p->cutoff); break;
	case P_AUTO: snprintf(out, size, "%d", p->auto_unlock_minutes); break;
	default: snprintf(out, size, "%d", p->idle_lock_minutes); break;
	}
}

static int policy_open(struct view *v, const void *arg, struct otp_err *err)
{
	struct policy_form *s = v->state;
	if (!arg)
		return otp_err_set(err, OTP_ERR_INTERNAL, "no policy given");
	s->old = *(const struct db_policy *)arg;
	for (int i = 0; i < P_COUNT; i++) {
		char t[32];
		tui_field_init(&s->f[i], i == P_CUTOFF ? 5 : 5, false);
		old_text(&s->old, i, t, sizeof t);
		tui_field_set(&s->f[i], t);
	}
	return 0;
}

/* The field's value as typed (folded to ASCII). */
static void value_of(const struct policy_form *s, int item, char *out, size_t size)
{
	char raw[64];
	if (tui_field_get(&s->f[item], raw, sizeof raw) != 0)
		raw[0] = '\0';
	tui_text_ascii_fold(out, size, raw);
}

static bool parse_int(const char *t, int *out)
{
	if (!t[0] || strlen(t) > 6 || strspn(t, "0123456789") != strlen(t))
		return false;
	*out = atoi(t);
	return true;
}

static bool parse_time(const char *t, char *norm, size_t size)
{
	int h = 0, m = 0;
	char extra;
	if (strlen(t) < 4 || strlen(t) > 5 || sscanf(t, "%d:%d%c", &h, &m, &extra) != 2 || !strchr(t, ':') ||
	    strlen(strchr(t, ':') + 1) != 2 || h < 0 || h > 23 || m < 0 || m > 59)
		return false;
	snprintf(norm, size, "%02d:%02d", h, m);
	return true;
}

/* What is wrong with a field (translated), or NULL. */
static const char *problem(const struct policy_form *s, int item)
{
	char t[64], norm[8];
	int n;
	value_of(s, item, t, sizeof t);
	const struct setting *st = &settings[item];
	if (st->min > st->max)
		return parse_time(t, norm, sizeof norm) ? NULL : _("a time as HH:MM, e.g. 15:00");
	if (!parse_int(t, &n))
		return _("a whole number");
	if (n < st->min || n > st->max)
		return _(st->unit);
	return NULL;
}

/* true when the item differs from the loaded policy; *num/time get the new value */
static bool changed(const struct policy_form *s, int item, int *num, char *time, size_t size)
{
	char t[64], o[32];
	value_of(s, item, t, sizeof t);
	old_text(&s->old, item, o, sizeof o);
	if (settings[item].min > settings[item].max) {
		if (!parse_time(t, time, size))
			return false;
		return strcmp(time, o) != 0;
	}
	if (!parse_int(t, num))
		return false;
	return *num != atoi(o);
}

static int policy_refresh(struct view *v, struct otp_err *err)
{
	struct policy_form *s = v->state;
	if (!s->go)
		return 0;
	int nv[P_COUNT];
	char cutoff[8] = "";
	for (int i = 0; i < P_COUNT; i++) {
		nv[i] = -1;
		int n;
		char t[8];
		if (changed(s, i, &n, t, sizeof t)) {
			if (i == P_CUTOFF)
				otp_strlcpy(cutoff, t, sizeof cutoff);
			else
				nv[i] = n;
		}
	}
	struct db_outcome out;
	int rc = db_policy_set(v->app->db, nv[P_THRESHOLD], nv[P_WINDOW], cutoff, nv[P_AUTO], nv[P_IDLE], &out, err);
	if (rc != 0 && err->kind == OTP_ERR_CONNLOST)
		return -1;
	s->go = false;
	if (rc != 0)
		return -1;	/* the server's reason on the status line; the form stays */
	tui_status(v->app, "%s", _("the policy is changed"));
	struct view *below = tui_view_below(v->app, v);
	if (below)
		below->stale = true;
	tui_pop(v->app);
	return 0;
}

static unsigned do_save(struct view *v)
{
	struct policy_form *s = v->state;
	int nchanged = 0;
	for (int i = 0; i < P_COUNT; i++) {
		const char *p = problem(s, i);
		if (p) {
			s->focus = i;
			tui_status(v->app, _("%s: %s"), _(settings[i].label), p);
			return TUI_HANDLED;
		}
		int n;
		char t[8];
		nchanged += changed(s, i, &n, t, sizeof t);
	}
	if (!nchanged) {
		tui_status(v->app, "%s", _("nothing changed: the policy is as it was"));
		return TUI_HANDLED;
	}
	s->confirming = true;
	return TUI_HANDLED;
}

static unsigned do_next(struct view *v)
{
	struct policy_form *s = v->state;
	s->focus = (s->focus + 1) % P_COUNT;
	return TUI_HANDLED;
}

static unsigned do_prev(struct view *v)
{
	struct policy_form *s = v->state;
	s->focus = (s->focus + P_COUNT - 1) % P_COUNT;
	return TUI_HANDLED;
}

static unsigned do_enter(struct view *v)
{
	struct policy_form *s = v->state;
	return s->focus == P_COUNT - 1 ? do_save(v) : do_next(v);
}

static unsigned policy_key(struct view *v, int key)
{
	struct policy_form *s = v->state;
	if (s->confirming) {
		unsigned ret;
		int a = tui_confirm_answer(key, &ret);
		if (a >= 0) {
			s->confirming = false;
			if (a == 1)
				s->go = true;
			else
				tui_status(v->app, "%s", _("not saved; the form is as you left it"));
		}
		return ret;
	}
	return tui_field_key(&s->f[s->focus], key) ? TUI_HANDLED : TUI_IGNORED;
}

static const struct tui_binding policy_bindings[] = {
	{ { TUI_KEY_F(2) }, N_("F2"), N_("save: shows old → new and asks y/n"), 2, N_("Save"), do_save, NULL },
	{ { TUI_KEY_ENTER }, N_("Enter"), N_("next field; on the last one: save"), 0, NULL, do_enter, NULL },
	{ { TUI_KEY_TAB, TUI_FN(KEY_DOWN) }, N_("Tab, Down"), N_("next field"), 0, NULL, do_next, NULL },
	{ { TUI_FN(KEY_BTAB), TUI_FN(KEY_UP) }, N_("Shift-Tab, Up"), N_("previous field"), 0, NULL, do_prev, NULL },
	{ { 0 }, N_("y, n"), N_("answer the question (yes: save; no: back to the form)"), 0, NULL, NULL, NULL },
	TUI_FIELD_HELP,
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

static void draw_confirm(struct view *v)
{
	struct policy_form *s = v->state;
	int n = 0;
	for (int i = 0; i < P_COUNT; i++) {
		int num;
		char t[8];
		n += changed(s, i, &num, t, sizeof t);
	}
	struct tui_rect in = tui_confirm_box(v, 64, n + 5);
	tui_put(in.y, in.x, in.w, TUI_S_LABEL, TUI_LEFT, _("Change the policy for every branch?"));
	int row = 1, lw = 0;
	for (int i = 0; i < P_COUNT; i++)
		if (tui_text_width(_(settings[i].label)) > lw)
			lw = tui_text_width(_(settings[i].label));
	lw += 2;
	for (int i = 0; i < P_COUNT; i++) {
		int num;
		char t[8], o[32], nv[32];
		if (!changed(s, i, &num, t, sizeof t))
			continue;
		old_text(&s->old, i, o, sizeof o);
		if (i == P_CUTOFF)
			otp_strlcpy(nv, t, sizeof nv);
		else
			snprintf(nv, sizeof nv, "%d", num);
		tui_put(in.y + row, in.x + 1, lw, TUI_S_NORMAL, TUI_LEFT, _(settings[i].label));
		tui_putf(in.y + row, in.x + 1 + lw, in.w - lw - 1, TUI_S_NORMAL, "%s → %s", o, nv);
		row++;
	}
	tui_put(in.y + row + 1, in.x, in.w, TUI_S_INFO, TUI_LEFT, _("y: yes, save   n: no, back to the form"));
}

static void policy_draw(struct view *v)
{
	struct policy_form *s = v->state;
	struct tui_rect a = v->area;
	int x = a.x + 2, w = a.w - 4, lw = 0;
	for (int i = 0; i < P_COUNT; i++)
		if (tui_text_width(_(settings[i].label)) > lw)
			lw = tui_text_width(_(settings[i].label));
	lw += 3;
	int fw = 8, y = a.y + 1;
	tui_put(y, x, w, TUI_S_HEADING, TUI_LEFT, _("The bank's policy (applies to every branch)"));
	y += 2;
	for (int i = 0; i < P_COUNT; i++, y += 2) {
		char o[32], now[96];
		tui_put(y, x, lw, TUI_S_LABEL, TUI_LEFT, _(settings[i].label));
		if (i != s->focus || s->confirming)
			tui_field_draw(v->app, &s->f[i], y, x + lw, fw, false);
		const char *p = problem(s, i);
		tui_put(y, x + lw + fw + 2, w - lw - fw - 2, p ? TUI_S_ERROR : TUI_S_DIM, TUI_LEFT,
			p ? p : _(settings[i].unit));
		old_text(&s->old, i, o, sizeof o);
		snprintf(now, sizeof now, _("now: %s"), o);
		tui_put(y + 1, x + lw, w - lw, TUI_S_DIM, TUI_LEFT, now);
	}
	if (!s->confirming)
		tui_field_draw(v->app, &s->f[s->focus], a.y + 3 + 2 * s->focus, x + lw, fw, true);
	tui_put(a.y + a.h - 1, x, w, TUI_S_DIM, TUI_LEFT, _("Tab: next field   F2: save   Esc: cancel"));
	if (s->confirming)
		draw_confirm(v);
}

const struct view_ops view_admin_policy_ops = {
	.name = "admin_policy",
	.title = N_("Administration: policy"),
	.state_size = sizeof(struct policy_form),
	.open = policy_open,
	.refresh = policy_refresh,
	.draw = policy_draw,
	.key = policy_key,
	.bindings = policy_bindings,
};
