/* view_admin_staff: the staff login forms of the administration screen, one
 * file, three entry points: a new login (login name, display name, branch,
 * groups, initial password twice), a login's groups, and a new password for a
 * login. The server's rules are mirrored as you type (login name pattern,
 * name length, known branch, at least one group, 8+ character password typed
 * the same twice) so mistakes show early, but the SQL API decides: its
 * refusal is shown and everything typed stays. Passwords are secret fields
 * (never displayed), go to the db layer only to become a SCRAM verifier, and
 * are wiped after the call and when the form closes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tui/tui.h"

enum mode { M_CREATE, M_GROUPS, M_PASSWORD };

/* the form's rows, in focus order */
enum item { I_LOGIN, I_NAME, I_BRANCH, I_PASS1, I_PASS2, I_GROUP0, I_COUNT = I_GROUP0 + DB_ROLE_COUNT };

#define MAX_BRANCHES 200

struct staff_form {
	enum mode mode;
	struct db_staff who;		/* M_GROUPS, M_PASSWORD: the login changed */
	unsigned old_groups;

	struct tui_field f[I_GROUP0];	/* the text fields by item */
	unsigned groups;		/* DB_ROLE() bits */
	int items[I_COUNT];		/* the rows this mode shows, in order */
	int nitems;
	int focus;			/* index into items */
	bool tried;			/* a save was attempted: show every problem */

	struct db_branch *branches;
	int nbranch;
	bool have_branches;

	bool confirming, go;
};

static const char *const item_labels[I_GROUP0] = {
	[I_LOGIN] = N_("Login name"),
	[I_NAME] = N_("Display name"),
	[I_BRANCH] = N_("Branch"),
	[I_PASS1] = N_("Password"),
	[I_PASS2] = N_("Password again"),
};

static unsigned parse_groups(const char *roles)
{
	unsigned bits = 0;
	for (int b = 0; b < DB_ROLE_COUNT; b++) {
		const char *name = db_role_name((enum db_role_bit)b);
		size_t len = strlen(name);
		for (const char *p = roles; (p = strstr(p, name)) != NULL; p += len)
			if ((p == roles || p[-1] == ',') && (p[len] == ',' || p[len] == '\0'))
				bits |= 1u << b;
	}
	return bits;
}

/* "otp_teller,otp_admin" for the db layer */
static void groups_csv(unsigned bits, char *out, size_t size)
{
	out[0] = '\0';
	for (int b = 0; b < DB_ROLE_COUNT; b++)
		if (bits & (1u << b)) {
			if (out[0])
				strncat(out, ",", size - strlen(out) - 1);
			strncat(out, db_role_name((enum db_role_bit)b), size - strlen(out) - 1);
		}
}

/* "teller, admin" for people */
static void groups_text(unsigned bits, char *out, size_t size)
{
	out[0] = '\0';
	for (int b = 0; b < DB_ROLE_COUNT; b++)
		if (bits & (1u << b)) {
			if (out[0])
				strncat(out, ", ", size - strlen(out) - 1);
			strncat(out, tui_role_label((enum db_role_bit)b), size - strlen(out) - 1);
		}
	if (!out[0])
		otp_strlcpy(out, _("(none)"), size);
}

static int form_open(struct view *v, enum mode mode, const struct db_staff *who, struct otp_err *err)
{
	struct staff_form *s = v->state;
	s->mode = mode;
	if (mode != M_CREATE) {
		if (!who)
			return otp_err_set(err, OTP_ERR_INTERNAL, "no staff login given");
		s->who = *who;
		s->old_groups = s->groups = parse_groups(who->roles);
	}
	tui_field_init(&s->f[I_LOGIN], 41, false);
	tui_field_init(&s->f[I_NAME], 60, false);
	tui_field_init(&s->f[I_BRANCH], 3, false);
	tui_field_init(&s->f[I_PASS1], 100, true);
	tui_field_init(&s->f[I_PASS2], 100, true);
	if (mode == M_CREATE) {
		static const int create_items[] = { I_LOGIN, I_NAME, I_BRANCH, I_PASS1, I_PASS2 };
		for (size_t i = 0; i < sizeof create_items / sizeof create_items[0]; i++)
			s->items[s->nitems++] = create_items[i];
		tui_field_set(&s->f[I_BRANCH], v->app->who.branch_code);
	}
	if (mode != M_PASSWORD)
		for (int b = 0; b < DB_ROLE_COUNT; b++)
			s->items[s->nitems++] = I_GROUP0 + b;
	if (mode == M_PASSWORD) {
		s->items[s->nitems++] = I_PASS1;
		s->items[s->nitems++] = I_PASS2;
		snprintf(v->title, sizeof v->title, _("Administration: new password for %s"), who->login);
	} else if (mode == M_GROUPS) {
		snprintf(v->title, sizeof v->title, _("Administration: groups of %s"), who->login);
	}
	s->branches = calloc(MAX_BRANCHES, sizeof *s->branches);
	if (!s->branches)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	v->stale = mode == M_CREATE;	/* the branch list, to check the code as it is typed */
	return 0;
}

static int create_open(struct view *v, const void *arg, struct otp_err *err)
{
	(void)arg;
	return form_open(v, M_CREATE, NULL, err);
}

static int groups_open(struct view *v, const void *arg, struct otp_err *err)
{
	return form_open(v, M_GROUPS, arg, err);
}

static int password_open(struct view *v, const void *arg, struct otp_err *err)
{
	return form_open(v, M_PASSWORD, arg, err);
}

static void form_close(struct view *v)
{
	struct staff_form *s = v->state;
	tui_field_clear(&s->f[I_PASS1]);
	tui_field_clear(&s->f[I_PASS2]);
	free(s->branches);
}

/* ---- validation: the server's rules, mirrored ------------------------------ */

static bool login_ok(const char *l)
{
	size_t n = strlen(l);
	if (n < 3 || n > 41 || l[0] < 'a' || l[0] > 'z')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((l[i] >= 'a' && l[i] <= 'z') || (l[i] >= '0' && l[i] <= '9') || l[i] == '_'))
			return false;
	return true;
}

static const struct db_branch *find_branch(const struct staff_form *s, const char *code)
{
	for (int i = 0; i < s->nbranch; i++)
		if (strcmp(s->branches[i].code, code) == 0)
			return &s->branches[i];
	return NULL;
}

static bool item_shown(const struct staff_form *s, int item)
{
	for (int i = 0; i < s->nitems; i++)
		if (s->items[i] == item)
			return true;
	return false;
}

/* What is wrong with an item (translated), or NULL. Empty fields count only
 * after a save was tried. */
static const char *check_text(const struct staff_form *s, int item, const char *t)
{
	bool empty = t[0] == '\0';
	if (empty && !s->tried && item != I_PASS2)
		return NULL;
	switch (item) {
	case I_LOGIN:
		return login_ok(t) ? NULL
				   : _("lowercase letters, digits and _, 3 to 41 characters, starting with a letter");
	case I_NAME:
		return t[strspn(t, " ")] ? NULL : _("the name the others see is required");
	case I_BRANCH:
		if (strlen(t) != 3 || strspn(t, "0123456789") != 3)
			return _("three digits, e.g. 012");
		if (s->have_branches && !find_branch(s, t))
			return _("no such branch");
		return NULL;
	case I_PASS1:
		return strlen(t) >= 8 ? NULL : _("at least 8 characters");
	case I_PASS2: {
		char p1[512];
		bool same = tui_field_get(&s->f[I_PASS1], p1, sizeof p1) == 0 && strcmp(p1, t) == 0;
		OPENSSL_cleanse(p1, sizeof p1);
		if (same)
			return NULL;
		return empty && !s->tried ? NULL : _("the two passwords differ");
	}
	default:
		return NULL;
	}
}

/* What is wrong with an item (translated), or NULL. Empty fields count only
 * after a save was tried. */
static const char *problem(const struct staff_form *s, int item)
{
	char t[512];
	if (!item_shown(s, item) || item >= I_GROUP0)
		return NULL;
	if (tui_field_get(&s->f[item], t, sizeof t) != 0)
		return _("too long");
	const char *p = check_text(s, item, t);
	OPENSSL_cleanse(t, sizeof t);
	return p;
}

static const char *groups_problem(const struct staff_form *s)
{
	if (s->mode == M_PASSWORD)
		return NULL;
	return s->groups ? NULL : _("choose at least one group");
}

/* ---- refresh: the branch list, or the one change ------------------------------ */

static int form_refresh(struct view *v, struct otp_err *err)
{
	struct staff_form *s = v->state;
	if (!s->have_branches && s->mode == M_CREATE) {
		struct otp_err berr;
		otp_err_clear(&berr);
		if (db_branch_list(v->app->db, s->branches, MAX_BRANCHES, &s->nbranch, &berr) == 0)
			s->have_branches = true;
		else if (berr.kind == OTP_ERR_CONNLOST)
			return *err = berr, -1;
		/* else: the server checks the branch */
	}
	if (!s->go)
		return 0;

	char login[64], name[256], branch[16], pass[512], groups[256];
	struct db_outcome out;
	int rc = -1;
	groups_csv(s->groups, groups, sizeof groups);
	pass[0] = '\0';
	if (s->mode != M_GROUPS && tui_field_get(&s->f[I_PASS1], pass, sizeof pass) != 0)
		pass[0] = '\0';
	switch (s->mode) {
	case M_CREATE:
		if (tui_field_get(&s->f[I_LOGIN], login, sizeof login) != 0 ||
		    tui_field_get(&s->f[I_NAME], name, sizeof name) != 0 ||
		    tui_field_get(&s->f[I_BRANCH], branch, sizeof branch) != 0) {
			otp_err_set(err, OTP_ERR_USAGE, "%s", _("a field is too long"));
			break;
		}
		rc = db_staff_create(v->app->db, login, name, branch, groups, pass, &out, err);
		if (rc == 0)
			tui_status(v->app, _("login %s created in branch %s; it can sign in now"), login, branch);
		break;
	case M_GROUPS:
		otp_strlcpy(login, s->who.login, sizeof login);
		rc = db_staff_set_groups(v->app->db, login, groups, &out, err);
		if (rc == 0) {
			char t[256];
			groups_text(s->groups, t, sizeof t);
			tui_status(v->app, _("groups of %s are now: %s"), login, t);
		}
		break;
	case M_PASSWORD:
		otp_strlcpy(login, s->who.login, sizeof login);
		rc = db_staff_set_password(v->app->db, login, pass, &out, err);
		if (rc == 0)
			tui_status(v->app, _("new password set for %s"), login);
		break;
	}
	OPENSSL_cleanse(pass, sizeof pass);
	if (rc != 0 && err->kind == OTP_ERR_CONNLOST)
		return -1;	/* s->go stays: tried again after the reconnect */
	s->go = false;
	if (rc != 0)
		return -1;	/* the refusal goes to the status line; the input stays */
	tui_field_clear(&s->f[I_PASS1]);
	tui_field_clear(&s->f[I_PASS2]);
	struct view *below = tui_view_below(v->app, v);
	if (below)
		below->stale = true;	/* the list shows the change */
	tui_pop(v->app);
	return 0;
}

/* ---- keys ------------------------------------------------------------------------ */

static int cur_item(const struct staff_form *s)
{
	return s->items[s->focus];
}

static unsigned do_save(struct view *v)
{
	struct staff_form *s = v->state;
	s->tried = true;
	for (int i = 0; i < s->nitems; i++) {
		const char *p = problem(s, s->items[i]);
		if (p) {
			s->focus = i;
			tui_status(v->app, _("%s: %s"), _(item_labels[s->items[i]]), p);
			return TUI_HANDLED;
		}
	}
	const char *gp = groups_problem(s);
	if (gp) {
		for (int i = 0; i < s->nitems; i++)
			if (s->items[i] == I_GROUP0)
				s->focus = i;
		tui_status(v->app, "%s", gp);
		return TUI_HANDLED;
	}
	if (s->mode == M_GROUPS && s->groups == s->old_groups) {
		tui_status(v->app, "%s", _("the groups are as they were: nothing to save"));
		return TUI_HANDLED;
	}
	s->confirming = true;
	return TUI_HANDLED;
}

static unsigned do_next(struct view *v)
{
	struct staff_form *s = v->state;
	s->focus = (s->focus + 1) % s->nitems;
	return TUI_HANDLED;
}

static unsigned do_prev(struct view *v)
{
	struct staff_form *s = v->state;
	s->focus = (s->focus + s->nitems - 1) % s->nitems;
	return TUI_HANDLED;
}

/* Enter: the next row; on the last one, save. */
static unsigned do_enter(struct view *v)
{
	struct staff_form *s = v->state;
	if (s->focus == s->nitems - 1)
		return do_save(v);
	return do_next(v);
}

static unsigned toggle(struct view *v, int bit)
{
	struct staff_form *s = v->state;
	s->groups ^= 1u << bit;
	return TUI_HANDLED;
}

static unsigned form_key(struct view *v, int key)
{
	struct staff_form *s = v->state;
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
	int item = cur_item(s);
	if (item >= I_GROUP0) {
		if (key == ' ')
			return toggle(v, item - I_GROUP0);
		if (key >= '1' && key < '1' + DB_ROLE_COUNT)
			return toggle(v, key - '1');
		return TUI_IGNORED;
	}
	return tui_field_key(&s->f[item], key) ? TUI_HANDLED : TUI_IGNORED;
}

static const struct tui_binding form_bindings[] = {
	{ { TUI_KEY_F(2) }, N_("F2"), N_("save (asks y/n first)"), 2, N_("Save"), do_save, NULL },
	{ { TUI_KEY_ENTER }, N_("Enter"), N_("next field; on the last one: save"), 0, NULL, do_enter, NULL },
	{ { TUI_KEY_TAB, TUI_FN(KEY_DOWN) }, N_("Tab, Down"), N_("next field"), 0, NULL, do_next, NULL },
	{ { TUI_FN(KEY_BTAB), TUI_FN(KEY_UP) }, N_("Shift-Tab, Up"), N_("previous field"), 0, NULL, do_prev, NULL },
	{ { 0 }, N_("Space, 1-7"), N_("on the groups: switch a group on or off"), 0, NULL, NULL, NULL },
	{ { 0 }, N_("y, n"), N_("answer the question (yes: save; no: back to the form)"), 0, NULL, NULL, NULL },
	TUI_FIELD_HELP,
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

/* ---- drawing ----------------------------------------------------------------------- */

static void draw_confirm(struct view *v)
{
	struct staff_form *s = v->state;
	char q[1024], g[256], og[256], name[256] = "", login[64] = "", branch[16] = "";
	groups_text(s->groups, g, sizeof g);
	switch (s->mode) {
	case M_CREATE:
		tui_field_get(&s->f[I_LOGIN], login, sizeof login);
		tui_field_get(&s->f[I_NAME], name, sizeof name);
		tui_field_get(&s->f[I_BRANCH], branch, sizeof branch);
		snprintf(q, sizeof q, _("Create login %s for %s in branch %s, groups: %s?"), login, name, branch, g);
		break;
	case M_GROUPS:
		groups_text(s->old_groups, og, sizeof og);
		snprintf(q, sizeof q, _("Groups of %s (%s): %s → %s?"), s->who.login, s->who.display_name, og, g);
		break;
	case M_PASSWORD:
		snprintf(q, sizeof q, _("Set the new password for %s (%s)? The old one stops working."), s->who.login,
			 s->who.display_name);
		break;
	}
	tui_confirm_draw(v, 72, 6, q, _("y: yes, save   n: no, back to the form"));
}

static void form_draw(struct view *v)
{
	struct staff_form *s = v->state;
	struct tui_rect a = v->area;
	int x = a.x + 2, w = a.w - 4, lw = 0;
	for (int i = 0; i < I_GROUP0; i++)
		if (tui_text_width(_(item_labels[i])) > lw)
			lw = tui_text_width(_(item_labels[i]));
	if (tui_text_width(_("Groups")) > lw)
		lw = tui_text_width(_("Groups"));
	lw += 3;
	int fw = w - lw < 42 ? w - lw : 42;
	int y = a.y + 1;

	if (s->mode == M_CREATE) {
		tui_put(y, x, w, TUI_S_HEADING, TUI_LEFT, _("New staff login"));
	} else {
		char t[512];
		snprintf(t, sizeof t, _("%s (%s), branch %s"), s->who.display_name, s->who.login, s->who.branch_code);
		tui_put(y, x, w, TUI_S_HEADING, TUI_LEFT, t);
	}
	y += 2;
	int focus_item = cur_item(s);
	int cy = -1, cx = -1;
	bool groups_heading = false;
	for (int i = 0; i < s->nitems; i++, y++) {
		int item = s->items[i];
		bool focus = i == s->focus && !s->confirming;
		if (item >= I_GROUP0) {
			int b = item - I_GROUP0;
			if (!groups_heading) {
				tui_put(y, x, lw, TUI_S_LABEL, TUI_LEFT, _("Groups"));
				groups_heading = true;
			}
			char t[160];
			snprintf(t, sizeof t, "[%s] %d %s", s->groups & (1u << b) ? "x" : " ", b + 1,
				 tui_role_label((enum db_role_bit)b));
			tui_put(y, x + lw, 20, focus ? TUI_S_FIELD_FOCUS : TUI_S_NORMAL, TUI_LEFT, t);
			tui_put(y, x + lw + 21, w - lw - 21, TUI_S_DIM, TUI_LEFT, db_role_name((enum db_role_bit)b));
			if (focus) {
				cy = y;
				cx = x + lw + 1;
			}
			continue;
		}
		tui_put(y, x, lw, TUI_S_LABEL, TUI_LEFT, _(item_labels[item]));
		if (focus)
			focus_item = item;
		else
			tui_field_draw(v->app, &s->f[item], y, x + lw, fw, false);
		const char *p = problem(s, item);
		int px = x + lw + fw + 1;
		if (item == I_BRANCH && !p && s->have_branches) {
			char code[16];
			const struct db_branch *br = NULL;
			if (tui_field_get(&s->f[I_BRANCH], code, sizeof code) == 0)
				br = find_branch(s, code);
			if (br)
				tui_put(y, px, x + w - px, TUI_S_DIM, TUI_LEFT, v->app->ja ? br->name : br->name_en);
		}
		if (p)
			tui_put(y, px, x + w - px, TUI_S_ERROR, TUI_LEFT, "!");
		if (focus) {
			cy = y;
			cx = x + lw;
		}
	}
	/* the focused field last, so the cursor ends there */
	if (focus_item < I_GROUP0 && cy >= 0 && !s->confirming)
		tui_field_draw(v->app, &s->f[focus_item], cy, cx, fw, true);
	else if (cy >= 0)
		tui_cursor(v->app, cy, cx);

	/* what is wrong, the focused item's problem first */
	y++;
	struct tui_rect pr = { y, x, a.y + a.h - 1 - y, w };
	int row = 0;
	const char *fp = problem(s, focus_item);
	char line[512];
	if (fp) {
		snprintf(line, sizeof line, _("%s: %s"), _(item_labels[focus_item]), fp);
		row += tui_put_wrapped(pr, row, TUI_S_ERROR, line);
	}
	for (int i = 0; i < I_GROUP0 && row < pr.h; i++) {
		const char *p = problem(s, i);
		if (!p || i == focus_item)
			continue;
		snprintf(line, sizeof line, _("%s: %s"), _(item_labels[i]), p);
		row += tui_put_wrapped(pr, row, TUI_S_ERROR, line);
	}
	if (groups_problem(s) && (s->tried || focus_item >= I_GROUP0) && row < pr.h)
		tui_put_wrapped(pr, row, TUI_S_ERROR, groups_problem(s));
	tui_put(a.y + a.h - 1, x, w, TUI_S_DIM, TUI_LEFT,
		s->mode == M_PASSWORD ? _("Tab: next field   F2: save   Esc: cancel")
				      : _("Tab: next field   Space: group on/off   F2: save   Esc: cancel"));
	if (s->confirming)
		draw_confirm(v);
}

const struct view_ops view_admin_staff_ops = {
	.name = "admin_staff",
	.title = N_("Administration: new staff login"),
	.state_size = sizeof(struct staff_form),
	.open = create_open,
	.close = form_close,
	.refresh = form_refresh,
	.draw = form_draw,
	.key = form_key,
	.bindings = form_bindings,
};

const struct view_ops view_admin_groups_ops = {
	.name = "admin_groups",
	.title = N_("Administration: groups"),
	.state_size = sizeof(struct staff_form),
	.open = groups_open,
	.close = form_close,
	.refresh = form_refresh,
	.draw = form_draw,
	.key = form_key,
	.bindings = form_bindings,
};

const struct view_ops view_admin_password_ops = {
	.name = "admin_password",
	.title = N_("Administration: new password"),
	.state_size = sizeof(struct staff_form),
	.open = password_open,
	.close = form_close,
	.refresh = form_refresh,
	.draw = form_draw,
	.key = form_key,
	.bindings = form_bindings,
};
