/* view_admin: the administrator's screen, three tabs over one state: staff
 * logins (list; new login, groups, password, deactivate/reactivate), branches
 * (list; new/edit, closing days) and the bank's policy. The forms are their
 * own views (view_admin_staff.c, view_admin_branch.c, view_admin_policy.c);
 * the one change made here, (de)activating a login, is confirmed with y/n and
 * runs as one API call in refresh().
 *
 * Nothing here decides who may do what: each list is what the server's views
 * return to this login, each change what its SQL function accepts. A list the
 * server refuses shows the refusal in plain words in place of the list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"

#define ADMIN_MAX_STAFF 500
#define ADMIN_MAX_BRANCHES 200

enum tab { TAB_STAFF, TAB_BRANCHES, TAB_POLICY, TAB_COUNT };

static const char *const tab_names[TAB_COUNT] = {
	[TAB_STAFF] = N_("Staff"),
	[TAB_BRANCHES] = N_("Branches"),
	[TAB_POLICY] = N_("Policy"),
};

/* what one tab loaded: rows or the server's refusal */
struct load {
	bool loaded;
	bool failed;
	struct otp_err err;
};

struct admin {
	enum tab tab;

	struct db_staff *staff;
	int nstaff, staff_sel, staff_top;
	struct db_branch *branches;
	int nbranch, branch_sel, branch_top;
	struct db_policy policy;
	struct load load[TAB_COUNT];

	/* (de)activation: asked (confirming), then done in refresh (go) */
	bool confirming, go;
	char act_login[64];
	bool act_active;		/* the state to set */
	char keep_login[64];		/* reselect this login after a reload */

	bool finding;			/* '/': jump to the first row containing the text */
	struct tui_field find;
};

static int admin_open(struct view *v, const void *arg, struct otp_err *err)
{
	(void)arg;
	struct admin *s = v->state;
	s->staff = calloc(ADMIN_MAX_STAFF, sizeof *s->staff);
	s->branches = calloc(ADMIN_MAX_BRANCHES, sizeof *s->branches);
	if (!s->staff || !s->branches) {
		free(s->staff);
		free(s->branches);
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	}
	tui_field_init(&s->find, 40, false);
	v->stale = true;
	return 0;
}

static void admin_close(struct view *v)
{
	struct admin *s = v->state;
	free(s->staff);
	free(s->branches);
}

/* ---- refresh: the one change, then every tab's data ------------------------ */

static void load_failed(struct load *l, const struct otp_err *err)
{
	l->loaded = false;
	l->failed = true;
	l->err = *err;
}

static int reload(struct view *v, struct otp_err *first)
{
	struct admin *s = v->state;
	struct otp_err err;
	int rc = 0, n = 0;

	otp_err_clear(&err);
	if (db_staff_list(v->app->db, s->staff, ADMIN_MAX_STAFF, &n, &err) != 0) {
		if (err.kind == OTP_ERR_CONNLOST)
			goto lost;
		load_failed(&s->load[TAB_STAFF], &err);
		s->nstaff = 0;
		if (!rc)
			*first = err;
		rc = -1;
	} else {
		s->nstaff = n;
		s->load[TAB_STAFF] = (struct load){ .loaded = true };
		for (int i = 0; s->keep_login[0] && i < n; i++)
			if (strcmp(s->staff[i].login, s->keep_login) == 0)
				s->staff_sel = i;
		s->keep_login[0] = '\0';
		if (s->staff_sel >= n)
			s->staff_sel = n ? n - 1 : 0;
	}
	if (db_branch_list(v->app->db, s->branches, ADMIN_MAX_BRANCHES, &n, &err) != 0) {
		if (err.kind == OTP_ERR_CONNLOST)
			goto lost;
		load_failed(&s->load[TAB_BRANCHES], &err);
		s->nbranch = 0;
		if (!rc)
			*first = err;
		rc = -1;
	} else {
		s->nbranch = n;
		s->load[TAB_BRANCHES] = (struct load){ .loaded = true };
		if (s->branch_sel >= n)
			s->branch_sel = n ? n - 1 : 0;
	}
	if (db_policy_get(v->app->db, &s->policy, &err) != 0) {
		if (err.kind == OTP_ERR_CONNLOST)
			goto lost;
		load_failed(&s->load[TAB_POLICY], &err);
		if (!rc)
			*first = err;
		rc = -1;
	} else {
		s->load[TAB_POLICY] = (struct load){ .loaded = true };
	}
	return rc;
lost:
	*first = err;
	return -1;
}

static int admin_refresh(struct view *v, struct otp_err *err)
{
	struct admin *s = v->state;
	if (s->go) {
		struct db_outcome out;
		if (db_staff_set_active(v->app->db, s->act_login, s->act_active, &out, err) != 0) {
			if (err->kind != OTP_ERR_CONNLOST)
				s->go = false;	/* refused: nothing changed, the list stays */
			return -1;
		}
		s->go = false;
		otp_strlcpy(s->keep_login, s->act_login, sizeof s->keep_login);
		struct otp_err lerr;
		otp_err_clear(&lerr);
		reload(v, &lerr);
		tui_status(v->app, s->act_active ? _("login %s can sign in again") : _("login %s is deactivated"),
			   s->act_login);
		return 0;
	}
	return reload(v, err);
}

/* ---- keys ------------------------------------------------------------------- */

static const struct db_staff *sel_staff(const struct view *v)
{
	const struct admin *s = v->state;
	return s->tab == TAB_STAFF && s->nstaff > 0 ? &s->staff[s->staff_sel] : NULL;
}

static const struct db_branch *sel_branch(const struct view *v)
{
	const struct admin *s = v->state;
	return s->tab == TAB_BRANCHES && s->nbranch > 0 ? &s->branches[s->branch_sel] : NULL;
}

static bool can_new(const struct view *v)
{
	const struct admin *s = v->state;
	return s->tab == TAB_STAFF || s->tab == TAB_BRANCHES;
}

static bool can_edit(const struct view *v)
{
	const struct admin *s = v->state;
	return sel_staff(v) || sel_branch(v) || (s->tab == TAB_POLICY && s->load[TAB_POLICY].loaded);
}

static bool has_staff(const struct view *v)
{
	return sel_staff(v) != NULL;
}

static bool has_branch(const struct view *v)
{
	return sel_branch(v) != NULL;
}

static unsigned do_new(struct view *v)
{
	struct admin *s = v->state;
	if (s->tab == TAB_STAFF)
		tui_push(v->app, &view_admin_staff_ops, NULL);
	else if (s->tab == TAB_BRANCHES)
		tui_push(v->app, &view_admin_branch_ops, NULL);
	return TUI_HANDLED;
}

static unsigned do_edit(struct view *v)
{
	struct admin *s = v->state;
	if (sel_staff(v))
		tui_push(v->app, &view_admin_groups_ops, sel_staff(v));
	else if (sel_branch(v))
		tui_push(v->app, &view_admin_branch_ops, sel_branch(v));
	else if (s->tab == TAB_POLICY && s->load[TAB_POLICY].loaded)
		tui_push(v->app, &view_admin_policy_ops, &s->policy);
	return TUI_HANDLED;
}

static unsigned do_days(struct view *v)
{
	if (sel_branch(v))
		tui_push(v->app, &view_admin_days_ops, sel_branch(v));
	return TUI_HANDLED;
}

static unsigned do_password(struct view *v)
{
	if (sel_staff(v))
		tui_push(v->app, &view_admin_password_ops, sel_staff(v));
	return TUI_HANDLED;
}

static unsigned do_active(struct view *v)
{
	struct admin *s = v->state;
	const struct db_staff *st = sel_staff(v);
	if (!st)
		return TUI_HANDLED;
	otp_strlcpy(s->act_login, st->login, sizeof s->act_login);
	s->act_active = !st->active;
	s->confirming = true;
	return TUI_HANDLED;
}

static unsigned do_reload(struct view *v)
{
	(void)v;
	return TUI_HANDLED | TUI_REFRESH;
}

static unsigned set_tab(struct view *v, int tab)
{
	struct admin *s = v->state;
	s->tab = (enum tab)((tab + TAB_COUNT) % TAB_COUNT);
	return TUI_HANDLED;
}

static unsigned do_next_tab(struct view *v)
{
	struct admin *s = v->state;
	return set_tab(v, (int)s->tab + 1);
}

static unsigned do_prev_tab(struct view *v)
{
	struct admin *s = v->state;
	return set_tab(v, (int)s->tab - 1);
}

static int *sel_of(struct admin *s, int *n)
{
	if (s->tab == TAB_STAFF) {
		*n = s->nstaff;
		return &s->staff_sel;
	}
	if (s->tab == TAB_BRANCHES) {
		*n = s->nbranch;
		return &s->branch_sel;
	}
	*n = 0;
	return NULL;
}

static unsigned move_sel(struct view *v, int delta)
{
	struct admin *s = v->state;
	int n;
	int *sel = sel_of(s, &n);
	if (!sel || n == 0)
		return TUI_HANDLED;
	int i = *sel + delta;
	*sel = i < 0 ? 0 : i >= n ? n - 1 : i;
	return TUI_HANDLED;
}

static int list_rows(const struct view *v)
{
	int n = v->area.h - 5;	/* tabs, blank, headings, footer */
	return n < 1 ? 1 : n;
}

static unsigned do_down(struct view *v) { return move_sel(v, 1); }
static unsigned do_up(struct view *v) { return move_sel(v, -1); }
static unsigned do_pgdn(struct view *v) { return move_sel(v, list_rows(v)); }
static unsigned do_pgup(struct view *v) { return move_sel(v, -list_rows(v)); }
static unsigned do_home(struct view *v) { return move_sel(v, -1000000); }
static unsigned do_end(struct view *v) { return move_sel(v, 1000000); }

static unsigned do_find(struct view *v)
{
	struct admin *s = v->state;
	if (s->tab == TAB_POLICY)
		return TUI_HANDLED;
	tui_field_clear(&s->find);
	s->finding = true;
	return TUI_HANDLED;
}

/* Select the first row (from the top) whose login, code or name contains the text. */
static void find_row(struct admin *s)
{
	char t[256];
	if (tui_field_get(&s->find, t, sizeof t) != 0 || !t[0])
		return;
	if (s->tab == TAB_STAFF) {
		for (int i = 0; i < s->nstaff; i++)
			if (strstr(s->staff[i].login, t) || strstr(s->staff[i].display_name, t)) {
				s->staff_sel = i;
				return;
			}
	} else if (s->tab == TAB_BRANCHES) {
		for (int i = 0; i < s->nbranch; i++)
			if (strstr(s->branches[i].code, t) || strstr(s->branches[i].name, t) ||
			    strstr(s->branches[i].name_en, t)) {
				s->branch_sel = i;
				return;
			}
	}
}

/* While a y/n question is open it takes every key but redraw and quit; while
 * finding, the find field takes the text. */
static unsigned admin_key(struct view *v, int key)
{
	struct admin *s = v->state;
	if (s->finding && !s->confirming) {
		if (key == TUI_KEY_ENTER || key == TUI_KEY_ESC) {
			s->finding = false;
			return TUI_HANDLED;
		}
		if (tui_field_key(&s->find, key)) {
			find_row(s);
			return TUI_HANDLED;
		}
		s->finding = false;	/* another key: act on it */
	}
	if (s->confirming) {
		if (key == TUI_KEY_F(1))
			return TUI_IGNORED;	/* help over the question */
		unsigned ret;
		int a = tui_confirm_answer(key, &ret);
		if (a >= 0) {
			s->confirming = false;
			if (a == 1)
				s->go = true;
			else
				tui_status(v->app, "%s", _("nothing was changed"));
		}
		return ret;
	}
	if (key >= '1' && key < '1' + TAB_COUNT)
		return set_tab(v, key - '1');
	return TUI_IGNORED;
}

static const struct tui_binding admin_bindings[] = {
	{ { '1', '2', '3' }, N_("1, 2, 3"), N_("show staff, branches or policy"), 0, NULL, NULL, NULL },
	{ { TUI_KEY_TAB, TUI_FN(KEY_RIGHT) }, N_("Tab, Right"), N_("next tab"), 0, NULL, do_next_tab, NULL },
	{ { TUI_FN(KEY_BTAB), TUI_FN(KEY_LEFT) }, N_("Shift-Tab, Left"), N_("previous tab"), 0, NULL, do_prev_tab,
	  NULL },
	{ { TUI_KEY_F(2), 'n' }, N_("F2, n"), N_("new staff login / new branch"), 2, N_("New"), do_new, can_new },
	{ { TUI_KEY_F(3), TUI_KEY_ENTER, 'e' }, N_("F3, Enter, e"),
	  N_("change the selected login's groups / edit the branch / change the policy"), 3, N_("Edit"), do_edit,
	  can_edit },
	{ { TUI_KEY_F(4), 'c' }, N_("F4, c"), N_("closing days of the selected branch"), 4, N_("Days"), do_days,
	  has_branch },
	{ { TUI_KEY_F(5), 'r' }, N_("F5, r"), N_("load the lists again"), 5, N_("Reload"), do_reload, NULL },
	{ { TUI_KEY_F(6), 'p' }, N_("F6, p"), N_("set a new password for the selected login"), 6, N_("Passwd"),
	  do_password, has_staff },
	{ { TUI_KEY_F(7), 'd' }, N_("F7, d"), N_("deactivate or reactivate the selected login (asks y/n)"), 7,
	  N_("On/Off"), do_active, has_staff },
	{ { '/' }, N_("/"), N_("find a login or branch by its text (Enter: done)"), 0, NULL, do_find, NULL },
	{ { TUI_FN(KEY_DOWN), 'j' }, N_("Down, j"), N_("next row"), 0, NULL, do_down, NULL },
	{ { TUI_FN(KEY_UP), 'k' }, N_("Up, k"), N_("previous row"), 0, NULL, do_up, NULL },
	{ { TUI_FN(KEY_NPAGE) }, N_("PgDn"), N_("next page of rows"), 0, NULL, do_pgdn, NULL },
	{ { TUI_FN(KEY_PPAGE) }, N_("PgUp"), N_("previous page of rows"), 0, NULL, do_pgup, NULL },
	{ { TUI_FN(KEY_HOME), 'g' }, N_("Home, g"), N_("first row"), 0, NULL, do_home, NULL },
	{ { TUI_FN(KEY_END), 'G' }, N_("End, G"), N_("last row"), 0, NULL, do_end, NULL },
	{ { 0 }, N_("y, n"), N_("answer the question (yes: make the change; no: leave it)"), 0, NULL, NULL, NULL },
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

/* ---- drawing ------------------------------------------------------------------ */

/* Translated group labels of a comma-separated list of group roles. */
static void group_labels(const char *roles, char *out, size_t size)
{
	out[0] = '\0';
	for (int b = 0; b < DB_ROLE_COUNT; b++) {
		const char *name = db_role_name((enum db_role_bit)b);
		size_t len = strlen(name);
		bool member = false;
		for (const char *p = roles; (p = strstr(p, name)) != NULL; p += len)
			if ((p == roles || p[-1] == ',') && (p[len] == ',' || p[len] == '\0'))
				member = true;
		if (!member)
			continue;
		if (out[0])
			strncat(out, ", ", size - strlen(out) - 1);
		strncat(out, tui_role_label((enum db_role_bit)b), size - strlen(out) - 1);
	}
}

static void draw_tabs(struct view *v)
{
	struct admin *s = v->state;
	struct tui_rect a = v->area;
	int x = a.x + 1;
	tui_put(a.y, a.x, a.w, TUI_S_NORMAL, TUI_LEFT, "");
	for (int t = 0; t < TAB_COUNT; t++) {
		char label[96];
		snprintf(label, sizeof label, " %d %s ", t + 1, _(tab_names[t]));
		int w = tui_text_width(label);
		if (x + w > a.x + a.w)
			break;
		tui_put(a.y, x, w, t == (int)s->tab ? TUI_S_SELECTED : TUI_S_DIM, TUI_LEFT, label);
		x += w + 1;
	}
}

/* The server refused or failed to give a tab's data: say so in plain words. */
static void draw_refusal(struct view *v, const struct load *l, int row)
{
	struct tui_rect a = v->area;
	struct tui_rect r = { a.y + row, a.x + 2, a.h - row - 1, a.w - 4 };
	int y = 0;
	if (l->err.kind == OTP_ERR_REFUSED) {
		y += tui_put_wrapped(r, y, TUI_S_ERROR, _("The database refused to show this to your login."));
		y += tui_put_wrapped(r, y, TUI_S_NORMAL, l->err.message);
		y++;
		y += tui_put_wrapped(r, y, TUI_S_NORMAL,
				     _("Staff logins, branches and the policy are managed by the administrators' "
				       "group (otp_admin). If something here needs changing, ask an administrator "
				       "at the head office."));
	} else {
		y += tui_put_wrapped(r, y, TUI_S_ERROR, tui_err_kind_text(l->err.kind));
		y += tui_put_wrapped(r, y, TUI_S_NORMAL, l->err.message);
	}
	if (l->err.hint[0])
		tui_put_wrapped(r, y, TUI_S_DIM, l->err.hint);
}

static int scroll_top(int sel, int top, int rows, int n)
{
	if (sel < top)
		top = sel;
	if (sel >= top + rows)
		top = sel - rows + 1;
	if (top > n - rows)
		top = n - rows;
	return top < 0 ? 0 : top;
}

static void draw_staff(struct view *v)
{
	struct admin *s = v->state;
	struct tui_rect a = v->area;
	int x = a.x + 1, w = a.w - 2;
	int wl = 19, wn = 18, wb = 7, wa = 9;
	int wg = w - wl - wn - wb - wa;
	int y = a.y + 2;
	char line[512];

	tui_put(y, x, wl, TUI_S_HEADING, TUI_LEFT, _("Login"));
	tui_put(y, x + wl, wn, TUI_S_HEADING, TUI_LEFT, _("Name"));
	tui_put(y, x + wl + wn, wb, TUI_S_HEADING, TUI_LEFT, _("Branch"));
	tui_put(y, x + wl + wn + wb, wg, TUI_S_HEADING, TUI_LEFT, _("Groups"));
	tui_put(y, x + wl + wn + wb + wg, wa, TUI_S_HEADING, TUI_LEFT, _("Status"));
	int rows = list_rows(v);
	s->staff_top = scroll_top(s->staff_sel, s->staff_top, rows, s->nstaff);
	for (int i = s->staff_top, r = 0; i < s->nstaff && r < rows; i++, r++) {
		const struct db_staff *st = &s->staff[i];
		bool sel = i == s->staff_sel;
		enum tui_style base = sel ? TUI_S_SELECTED : st->active ? TUI_S_NORMAL : TUI_S_DIM;
		int yy = y + 1 + r;
		tui_put(yy, x, wl, base, TUI_LEFT, st->login);
		tui_put(yy, x + wl, wn - 1, base, TUI_LEFT, st->display_name);
		tui_put(yy, x + wl + wn - 1, 1, base, TUI_LEFT, "");
		tui_put(yy, x + wl + wn, wb, base, TUI_LEFT, st->branch_code);
		group_labels(st->roles, line, sizeof line);
		tui_put(yy, x + wl + wn + wb, wg, base, TUI_LEFT, line[0] ? line : "-");
		tui_put(yy, x + wl + wn + wb + wg, wa, sel ? base : st->active ? TUI_S_INFO : TUI_S_ERROR, TUI_LEFT,
			st->active ? _("active") : _("inactive"));
	}
	int active = 0;
	for (int i = 0; i < s->nstaff; i++)
		active += s->staff[i].active;
	snprintf(line, sizeof line, _("%d logins, %d active.  n: new  Enter: groups  p: password  d: on/off"),
		 s->nstaff, active);
	tui_put(a.y + a.h - 1, x, w, TUI_S_DIM, TUI_LEFT, line);
}

static void draw_branches(struct view *v)
{
	struct admin *s = v->state;
	struct tui_rect a = v->area;
	int x = a.x + 1, w = a.w - 2;
	int wc = 6, wn = 20, wh = 12, wt = 10, wa = 10;
	int we = w - wc - wn - wh - wt - wa;
	int y = a.y + 2;
	char line[256];

	tui_put(y, x, wc, TUI_S_HEADING, TUI_LEFT, _("Code"));
	tui_put(y, x + wc, wn, TUI_S_HEADING, TUI_LEFT, _("Name"));
	tui_put(y, x + wc + wn, we, TUI_S_HEADING, TUI_LEFT, _("English name"));
	tui_put(y, x + wc + wn + we, wh, TUI_S_HEADING, TUI_LEFT, _("Head office"));
	tui_put(y, x + wc + wn + we + wh, wt, TUI_S_HEADING, TUI_LEFT, _("Cutoff"));
	tui_put(y, x + wc + wn + we + wh + wt, wa, TUI_S_HEADING, TUI_LEFT, _("Status"));
	int rows = list_rows(v);
	s->branch_top = scroll_top(s->branch_sel, s->branch_top, rows, s->nbranch);
	for (int i = s->branch_top, r = 0; i < s->nbranch && r < rows; i++, r++) {
		const struct db_branch *b = &s->branches[i];
		enum tui_style st = i == s->branch_sel ? TUI_S_SELECTED : b->active ? TUI_S_NORMAL : TUI_S_DIM;
		int yy = y + 1 + r;
		tui_put(yy, x, wc, st, TUI_LEFT, b->code);
		tui_put(yy, x + wc, wn, st, TUI_LEFT, b->name);
		tui_put(yy, x + wc + wn, we, st, TUI_LEFT, b->name_en);
		tui_put(yy, x + wc + wn + we, wh, st, TUI_LEFT, b->head_office ? _("yes") : "");
		if (b->cutoff[0])
			tui_put(yy, x + wc + wn + we + wh, wt, st, TUI_LEFT, b->cutoff);
		else
			tui_putf(yy, x + wc + wn + we + wh, wt, st, _("(%s)"), s->policy.cutoff);
		tui_put(yy, x + wc + wn + we + wh + wt, wa, st, TUI_LEFT, b->active ? _("open") : _("closed"));
	}
	snprintf(line, sizeof line, _("%d branches; (HH:MM): the policy's cutoff.  n: new  Enter: edit  c: days"),
		 s->nbranch);
	tui_put(a.y + a.h - 1, x, w, TUI_S_DIM, TUI_LEFT, line);
}

static void draw_policy(struct view *v)
{
	struct admin *s = v->state;
	struct tui_rect a = v->area;
	const struct db_policy *p = &s->policy;
	int x = a.x + 2, w = a.w - 4;
	char val[6][160];
	const char *labels[6] = {
		_("Lock threshold"), _("Verification window"), _("Cutoff time"),
		_("Automatic unlock"), _("Idle lock"), _("Last changed"),
	};
	snprintf(val[0], sizeof val[0], _("%d failed attempts lock a token"), p->lock_threshold);
	snprintf(val[1], sizeof val[1], _("±%d time steps accepted around the current one"), p->window_steps);
	snprintf(val[2], sizeof val[2], _("%s (later requests: from the next business day)"), p->cutoff);
	if (p->auto_unlock_minutes > 0)
		snprintf(val[3], sizeof val[3], _("after %d minutes"), p->auto_unlock_minutes);
	else
		snprintf(val[3], sizeof val[3], "%s", _("off (unlocking needs a request)"));
	snprintf(val[4], sizeof val[4], _("after %d minutes without a key"), p->idle_lock_minutes);
	snprintf(val[5], sizeof val[5], _("%s by %s"), p->updated_at, p->updated_by);
	int lw = 0;
	for (int i = 0; i < 6; i++)
		if (tui_text_width(labels[i]) > lw)
			lw = tui_text_width(labels[i]);
	lw += 3;
	for (int i = 0; i < 6; i++) {
		tui_put(a.y + 3 + i, x, lw, TUI_S_LABEL, TUI_LEFT, labels[i]);
		tui_put(a.y + 3 + i, x + lw, w - lw, i == 5 ? TUI_S_DIM : TUI_S_NORMAL, TUI_LEFT, val[i]);
	}
	tui_put(a.y + a.h - 1, a.x + 1, a.w - 2, TUI_S_DIM, TUI_LEFT, _("Enter: change the policy"));
}

static void draw_confirm(struct view *v)
{
	struct admin *s = v->state;
	const struct db_staff *st = sel_staff(v);
	char q[512];
	snprintf(q, sizeof q,
		 s->act_active ? _("Reactivate login %s (%s)? It can sign in again.")
			       : _("Deactivate login %s (%s)? It can no longer sign in."),
		 s->act_login, st ? st->display_name : "");
	tui_confirm_draw(v, 70, 6, q, _("y: yes, make the change   n: no"));
}

static void admin_draw(struct view *v)
{
	struct admin *s = v->state;
	draw_tabs(v);
	const struct load *l = &s->load[s->tab];
	if (l->failed && !l->loaded)
		draw_refusal(v, l, 2);
	else if (!l->loaded)
		tui_put(v->area.y + 2, v->area.x + 2, v->area.w - 4, TUI_S_DIM, TUI_LEFT, _("loading…"));
	else if (s->tab == TAB_STAFF)
		draw_staff(v);
	else if (s->tab == TAB_BRANCHES)
		draw_branches(v);
	else
		draw_policy(v);
	if (s->finding) {
		const char *fl = _("Find:");
		int lw = tui_text_width(fl) + 1;
		struct tui_rect a = v->area;
		tui_put(a.y + a.h - 1, a.x + 1, a.w - 2, TUI_S_NORMAL, TUI_LEFT, "");
		tui_put(a.y + a.h - 1, a.x + 1, lw, TUI_S_LABEL, TUI_LEFT, fl);
		tui_field_draw(v->app, &s->find, a.y + a.h - 1, a.x + 1 + lw, 30, true);
	}
	if (s->confirming)
		draw_confirm(v);
}

const struct view_ops view_admin_ops = {
	.name = "admin",
	.title = N_("Administration"),
	.state_size = sizeof(struct admin),
	.open = admin_open,
	.close = admin_close,
	.refresh = admin_refresh,
	.draw = admin_draw,
	.key = admin_key,
	.bindings = admin_bindings,
};
