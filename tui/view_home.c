/* view_home: the menu of tasks (F4 from the lookup screen). Each entry names
 * the screen it opens and the groups whose work it is; the menu lists only
 * the entries of the signed-in member's groups, so a teller is not offered
 * the audit browser. This is a convenience, not a control: every screen's
 * data and every change still go through the SQL API, which decides. */
#include <stdio.h>
#include <string.h>

#include "tui/tui.h"

struct home_entry {
	int key;			/* the digit or letter that opens it */
	const char *label;		/* N_("Branch queue") */
	const char *help;		/* N_("requests waiting for approval or execution") */
	const struct view_ops *ops;
	unsigned roles;			/* DB_ROLE(...) bits; the entry shows for any of them */
};

#define STAFF_ALL                                                                                  \
	(DB_ROLE(TELLER) | DB_ROLE(SUPERVISOR) | DB_ROLE(HELPDESK) | DB_ROLE(AUDITOR) | DB_ROLE(ADMIN))

/* One line per screen; the views' own files say what arg NULL means. */
static const struct home_entry home_entries[] = {
	{ '1', N_("Contract lookup"), N_("find a contract by ID, credential ID or kana name"), &view_lookup_ops,
	  STAFF_ALL },
	{ '2', N_("New request"), N_("UNLOCK or RESET from the paper form"), &view_request_ops, DB_ROLE(TELLER) },
	{ '3', N_("Branch queue"), N_("requests waiting for approval or execution"), &view_queue_ops, DB_ROLE(TELLER) | DB_ROLE(SUPERVISOR) | DB_ROLE(ADMIN) },
	{ '4', N_("Helpdesk status"), N_("why a caller cannot log in"), &view_helpdesk_ops, DB_ROLE(HELPDESK) | DB_ROLE(TELLER) | DB_ROLE(SUPERVISOR) },
	{ '5', N_("Audit log"), N_("search the log, verify the chain, exceptions"), &view_audit_ops, DB_ROLE(AUDITOR) },
	{ '6', N_("Administration"), N_("staff logins, branches and closing days, policy"), &view_admin_ops, DB_ROLE(ADMIN) },
	{ 0, NULL, NULL, NULL, 0 },
};

#define HOME_MAX 16

struct home {
	const struct home_entry *shown[HOME_MAX];
	int n;
	int sel;
};

static int home_open(struct view *v, const void *arg, struct otp_err *err)
{
	struct home *s = v->state;
	(void)arg;
	(void)err;
	for (const struct home_entry *e = home_entries; e->label && s->n < HOME_MAX; e++)
		if (e->roles & v->app->who.roles)
			s->shown[s->n++] = e;
	return 0;
}

static void home_draw(struct view *v)
{
	struct home *s = v->state;
	struct tui_rect a = v->area;
	int x = a.x + 2, w = a.w - 4, lw = 0;
	for (int i = 0; i < s->n; i++) {
		int tw = tui_text_width(_(s->shown[i]->label));
		if (tw > lw)
			lw = tw;
	}
	lw += 6;
	tui_put(a.y + 1, x, w, TUI_S_HEADING, TUI_LEFT, _("What would you like to do?"));
	if (s->n == 0)
		tui_put(a.y + 3, x, w, TUI_S_DIM, TUI_LEFT, _("none of your groups has a task in otpdesk"));
	for (int i = 0; i < s->n && 3 + i < a.h; i++) {
		const struct home_entry *e = s->shown[i];
		int y = a.y + 3 + i;
		enum tui_style st = i == s->sel ? TUI_S_SELECTED : TUI_S_NORMAL;
		char head[160];
		snprintf(head, sizeof head, " %c  %s", e->key, _(e->label));
		tui_put(y, x, lw, st, TUI_LEFT, head);
		tui_put(y, x + lw, w - lw, i == s->sel ? TUI_S_SELECTED : TUI_S_DIM, TUI_LEFT, _(e->help));
	}
}

static unsigned open_entry(struct view *v, int i)
{
	struct home *s = v->state;
	if (i < 0 || i >= s->n)
		return TUI_HANDLED;
	s->sel = i;
	/* the lookup screen is below us already: go back to it */
	if (s->shown[i]->ops == &view_lookup_ops && tui_has_view(v->app, &view_lookup_ops))
		return TUI_HANDLED | TUI_BACK;
	tui_push(v->app, s->shown[i]->ops, NULL);
	return TUI_HANDLED;
}

static unsigned do_open(struct view *v)
{
	struct home *s = v->state;
	return open_entry(v, s->sel);
}

static unsigned do_down(struct view *v)
{
	struct home *s = v->state;
	if (s->sel < s->n - 1)
		s->sel++;
	return TUI_HANDLED;
}

static unsigned do_up(struct view *v)
{
	struct home *s = v->state;
	if (s->sel > 0)
		s->sel--;
	return TUI_HANDLED;
}

/* An entry's own key opens it. */
static unsigned home_key(struct view *v, int key)
{
	struct home *s = v->state;
	for (int i = 0; i < s->n; i++)
		if (key == s->shown[i]->key)
			return open_entry(v, i);
	return TUI_IGNORED;
}

static const struct tui_binding home_bindings[] = {
	{ { TUI_KEY_ENTER, TUI_KEY_F(3) }, N_("Enter, F3"), N_("open the selected task"), 3, N_("Open"), do_open,
	  NULL },
	{ { TUI_FN(KEY_DOWN), 'j' }, N_("Down, j"), N_("next task"), 0, NULL, do_down, NULL },
	{ { TUI_FN(KEY_UP), 'k' }, N_("Up, k"), N_("previous task"), 0, NULL, do_up, NULL },
	{ { 0 }, N_("1-9"), N_("open the task with that number"), 0, NULL, NULL, NULL },
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

const struct view_ops view_home_ops = {
	.name = "home",
	.title = N_("Menu"),
	.state_size = sizeof(struct home),
	.open = home_open,
	.draw = home_draw,
	.key = home_key,
	.bindings = home_bindings,
};
