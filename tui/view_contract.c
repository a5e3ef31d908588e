/* view_contract: one contract in detail: the customer, the token (state,
 * failures against the bank's threshold, when it locked, registered and
 * stopped), a banner for an open fraud hold and the recent failed attempts.
 * It shows only what the database holds: no placeholders for data that does
 * not exist yet. */
#include <stdio.h>
#include <string.h>

#include "tui/tui.h"

#define MAX_FAILURES 50

struct contract {
	char id[16];
	bool loaded;
	struct db_contract c;
	struct db_failure failures[MAX_FAILURES];
	int nf;
	int scroll;		/* first failure row shown */
	int rows_shown;		/* failure rows that fit (from the last draw) */
};

static int contract_open(struct view *v, const void *arg, struct otp_err *err)
{
	struct contract *s = v->state;
	if (!arg)
		return otp_err_set(err, OTP_ERR_INTERNAL, "no contract to show");
	otp_strlcpy(s->id, arg, sizeof s->id);
	snprintf(v->title, sizeof v->title, _("Contract %s"), s->id);
	v->stale = true;
	return 0;
}

static int contract_refresh(struct view *v, struct otp_err *err)
{
	struct contract *s = v->state;
	struct db_contract c;
	int nf = 0;
	if (db_contract_get(v->app->db, s->id, &c, err) != 0) {
		if (err->kind != OTP_ERR_CONNLOST)
			s->loaded = false;
		return -1;
	}
	if (db_failures_recent(v->app->db, s->id, s->failures, MAX_FAILURES, &nf, err) != 0)
		return -1;
	s->c = c;
	s->nf = nf;
	s->loaded = true;
	if (s->scroll > nf - 1)
		s->scroll = nf > 0 ? nf - 1 : 0;
	return 0;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static void pair(int y, int x, int lw, int vw, const char *label, const char *value, enum tui_style vs)
{
	tui_put(y, x, lw, TUI_S_LABEL, TUI_LEFT, label);
	tui_put(y, x + lw, vw, vs, TUI_LEFT, or_dash(value));
}

static int max_width(const char *const *labels, int n)
{
	int w = 0;
	for (int i = 0; i < n; i++)
		if (tui_text_width(labels[i]) > w)
			w = tui_text_width(labels[i]);
	return w;
}

static void contract_draw(struct view *v)
{
	struct contract *s = v->state;
	struct tui_rect a = v->area;
	int y = a.y, x = a.x + 1, w = a.w - 2;
	if (!s->loaded) {
		tui_put(y + 1, x, w, TUI_S_DIM, TUI_LEFT,
			v->stale ? _("loading…") : _("this contract could not be shown (see the status line)"));
		return;
	}
	const struct db_contract *c = &s->c;
	const char *left[] = { _("Name"), _("Kana"), _("Address"), _("Branch"), _("Credential ID"), _("Failures"),
			       _("Registered at") };
	const char *right[] = { _("Opened"), _("State"), _("Locked at"), _("Stopped at") };
	int lw = max_width(left, 7) + 2;
	int half = w / 2;
	int rx = x + half;
	int rlw = max_width(right, 4) + 2;
	char buf[512];

	tui_put(y++, x, w, TUI_S_HEADING, TUI_LEFT, _("Customer"));
	pair(y++, x, lw, w - lw, left[0], c->name_kanji, TUI_S_NORMAL);
	pair(y++, x, lw, w - lw, left[1], c->name_kana, TUI_S_NORMAL);
	pair(y++, x, lw, w - lw, left[2], c->address, TUI_S_NORMAL);
	snprintf(buf, sizeof buf, "%s %s", c->branch_code, c->branch_name);
	pair(y, x, lw, half - lw, left[3], buf, TUI_S_NORMAL);
	pair(y++, rx, rlw, w - half - rlw, right[0], c->opened, TUI_S_NORMAL);
	y++;

	tui_put(y++, x, w, TUI_S_HEADING, TUI_LEFT, _("Token"));
	pair(y, x, lw, half - lw, left[4], c->credential_id, TUI_S_NORMAL);
	pair(y++, rx, rlw, w - half - rlw, right[1], tui_state_label(c->token_state), tui_state_style(c->token_state));
	snprintf(buf, sizeof buf, _("%d (locks at %d)"), c->failure_count, c->lock_threshold);
	pair(y, x, lw, half - lw, left[5], buf, c->failure_count >= c->lock_threshold ? TUI_S_ERROR : TUI_S_NORMAL);
	pair(y++, rx, rlw, w - half - rlw, right[2], c->locked_at, TUI_S_NORMAL);
	pair(y, x, lw, half - lw, left[6], c->registered_at, TUI_S_NORMAL);
	pair(y++, rx, rlw, w - half - rlw, right[3], c->stopped_at, TUI_S_NORMAL);

	if (c->fraud_hold_reason[0]) {
		snprintf(buf, sizeof buf, _("FRAUD HOLD since %s: %s (branch unlocks are blocked)"), c->fraud_hold_at,
			 c->fraud_hold_reason);
		struct tui_rect hr = { y, x, 2, w };
		tui_clear_rect(hr, TUI_S_HOLD);
		y += tui_put_wrapped(hr, 0, TUI_S_HOLD, buf) > 1 ? 2 : 1;
	}
	y++;

	snprintf(buf, sizeof buf, _("Recent failed attempts (%d, newest first)"), s->nf);
	tui_put(y++, x, w, TUI_S_HEADING, TUI_LEFT, buf);
	int bottom = a.y + a.h;
	if (s->nf == 0) {
		tui_put(y, x + 1, w - 1, TUI_S_DIM, TUI_LEFT, _("(no failed attempts recorded)"));
		s->rows_shown = 0;
		return;
	}
	int tw = 19, nw = 4, rw = 22;
	tui_put(y, x, tw + 2, TUI_S_LABEL, TUI_LEFT, _("Time"));
	tui_put(y, x + tw + 2, nw + 2, TUI_S_LABEL, TUI_RIGHT, _("No."));
	tui_put(y, x + tw + nw + 5, rw + 1, TUI_S_LABEL, TUI_LEFT, _("Reason"));
	tui_put(y++, x + tw + nw + rw + 6, w - (tw + nw + rw + 6), TUI_S_LABEL, TUI_LEFT, _("Client"));
	int rows = bottom - y;
	if (rows < 1)
		rows = 1;
	s->rows_shown = rows;
	if (s->scroll > s->nf - rows)
		s->scroll = s->nf - rows > 0 ? s->nf - rows : 0;
	for (int i = s->scroll; i < s->nf && y < bottom; i++, y++) {
		const struct db_failure *f = &s->failures[i];
		char no[16];
		snprintf(no, sizeof no, "%d", f->failure_no);
		tui_put(y, x, tw + 2, TUI_S_NORMAL, TUI_LEFT, f->at);
		tui_put(y, x + tw + 2, nw + 2, TUI_S_NORMAL, TUI_RIGHT, f->failure_no ? no : "");
		tui_put(y, x + tw + nw + 5, rw + 1, TUI_S_NORMAL, TUI_LEFT, tui_reason_label(f->reason));
		tui_put(y, x + tw + nw + rw + 6, w - (tw + nw + rw + 6), TUI_S_DIM, TUI_LEFT, f->client);
	}
	if (s->scroll + rows < s->nf)
		tui_put(bottom - 1, x + w - 12, 12, TUI_S_DIM, TUI_RIGHT, _("(more: Down)"));
}

static unsigned scroll_by(struct view *v, int d)
{
	struct contract *s = v->state;
	int max = s->nf - (s->rows_shown > 0 ? s->rows_shown : 1);
	s->scroll += d;
	if (s->scroll > max)
		s->scroll = max;
	if (s->scroll < 0)
		s->scroll = 0;
	return TUI_HANDLED;
}

static unsigned do_down(struct view *v)
{
	return scroll_by(v, 1);
}

static unsigned do_up(struct view *v)
{
	return scroll_by(v, -1);
}

static unsigned do_pgdn(struct view *v)
{
	struct contract *s = v->state;
	return scroll_by(v, s->rows_shown > 1 ? s->rows_shown - 1 : 1);
}

static unsigned do_pgup(struct view *v)
{
	struct contract *s = v->state;
	return scroll_by(v, -(s->rows_shown > 1 ? s->rows_shown - 1 : 1));
}

static unsigned do_reload(struct view *v)
{
	(void)v;
	return TUI_HANDLED | TUI_REFRESH;
}

static const struct tui_binding contract_bindings[] = {
	{ { TUI_KEY_F(5) }, N_("F5"), N_("read the contract again"), 5, N_("Reload"), do_reload, NULL },
	{ { TUI_FN(KEY_DOWN), 'j' }, N_("Down, j"), N_("scroll the failed attempts down"), 0, NULL, do_down, NULL },
	{ { TUI_FN(KEY_UP), 'k' }, N_("Up, k"), N_("scroll the failed attempts up"), 0, NULL, do_up, NULL },
	{ { TUI_FN(KEY_NPAGE) }, N_("PgDn"), N_("next page of failed attempts"), 0, NULL, do_pgdn, NULL },
	{ { TUI_FN(KEY_PPAGE) }, N_("PgUp"), N_("previous page of failed attempts"), 0, NULL, do_pgup, NULL },
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

const struct view_ops view_contract_ops = {
	.name = "contract",
	.title = N_("Contract"),
	.state_size = sizeof(struct contract),
	.open = contract_open,
	.refresh = contract_refresh,
	.draw = contract_draw,
	.bindings = contract_bindings,
};
