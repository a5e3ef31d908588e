/* view_auditevent: one audit event in full, opened from the audit log
 * browser: every column (who, through which group, from which client, on
 * which branch, contract, credential and request, the outcome and reason
 * code), its place in the chain (seq, sealed at, hash and prev hash) and the
 * whole details JSON, pretty-printed by the server and wrapped to the
 * window; the page scrolls. It only reads (db/auditevent.h).
 *
 * arg: the struct db_audit_row of the browser (event_id and cursor are used). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/auditevent.h"
#include "tui/tui.h"

struct auditevent {
	struct tui_scroll sc;	/* first: the event's lines (tui_scroll_*) */
	long long event_id;
	char cursor[48];
	bool loaded;
	struct db_audit_event ev;
};

static int auditevent_open(struct view *v, const void *arg, struct otp_err *err)
{
	struct auditevent *s = v->state;
	const struct db_audit_row *r = arg;
	if (!r)
		return otp_err_set(err, OTP_ERR_INTERNAL, "no audit event to show");
	s->event_id = r->event_id;
	otp_strlcpy(s->cursor, r->cursor, sizeof s->cursor);
	if (r->seq)
		snprintf(v->title, sizeof v->title, _("Audit event seq %lld"), r->seq);
	else
		snprintf(v->title, sizeof v->title, _("Audit event %lld (unsealed)"), r->event_id);
	v->stale = true;
	return 0;
}

static void auditevent_close(struct view *v)
{
	struct auditevent *s = v->state;
	db_audit_event_free(&s->ev);
}

static int auditevent_refresh(struct view *v, struct otp_err *err)
{
	struct auditevent *s = v->state;
	struct db_audit_event ev;
	if (db_audit_event_get(v->app->db, s->event_id, s->cursor, &ev, err) != 0)
		return -1;
	db_audit_event_free(&s->ev);
	s->ev = ev;
	s->loaded = true;
	if (ev.row.seq)
		snprintf(v->title, sizeof v->title, _("Audit event seq %lld"), ev.row.seq);
	return 0;
}

/* ---- drawing: a virtual page of lines, the window shows scroll.. ------------- */

struct page {
	struct view *v;
	int top;		/* screen row of the first visible line */
	int line;		/* the next line's number in the page */
	int x, w;
	const char *indent;	/* for wrapped JSON lines */
	enum tui_style style;
};

static bool visible(const struct page *p, int *y)
{
	struct auditevent *s = p->v->state;
	int r = p->line - s->sc.top;
	*y = p->top + r;
	return r >= 0 && r < s->sc.shown;
}

static void put_line(struct page *p, enum tui_style st, const char *text)
{
	int y;
	if (visible(p, &y))
		tui_put(y, p->x, p->w, st, TUI_LEFT, text);
	p->line++;
}

/* Label and value; a value wider than the room wraps under itself. */
struct lv_ctx {
	struct page *p;
	int lw;
	const char *label;
	enum tui_style vs;
	bool first;
};

static void lv_line(void *arg, const char *text)
{
	struct lv_ctx *c = arg;
	int y;
	if (visible(c->p, &y)) {
		tui_put(y, c->p->x, c->lw, TUI_S_LABEL, TUI_LEFT, c->first ? c->label : "");
		tui_put(y, c->p->x + c->lw, c->p->w - c->lw, c->vs, TUI_LEFT, text);
	}
	c->first = false;
	c->p->line++;
}

static void put_pair(struct page *p, int lw, const char *label, const char *value, enum tui_style vs)
{
	struct lv_ctx c = { p, lw, label, vs, true };
	tui_text_wrap(value && *value ? value : "-", p->w - lw, lv_line, &c);
}

static void json_line(void *arg, const char *text)
{
	struct page *p = arg;
	char buf[2048];
	snprintf(buf, sizeof buf, "%s%s", p->indent, text);
	put_line(p, p->style, buf);
}

/* The pretty JSON, each line wrapped under its own indentation. */
static void put_json(struct page *p, const char *json)
{
	char *copy = strdup(json);
	if (!copy)
		return;
	for (char *save = NULL, *ln = strtok_r(copy, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		size_t ind = strspn(ln, " ");
		char pad[64];
		if (ind > 40)
			ind = 40;
		memset(pad, ' ', ind);
		pad[ind] = '\0';
		p->indent = pad;
		tui_text_wrap(ln + ind, p->w - (int)ind, json_line, p);
	}
	free(copy);
}

static void auditevent_draw(struct view *v)
{
	struct auditevent *s = v->state;
	struct tui_rect a = v->area;
	int x = a.x + 1, w = a.w - 1;
	if (!s->loaded) {
		tui_put(a.y + 1, x, w, TUI_S_DIM, TUI_LEFT,
			v->stale ? _("loading…") : _("this event could not be shown (see the status line)"));
		return;
	}
	const struct db_audit_row *r = &s->ev.row;
	s->sc.shown = a.h - 1;
	struct page p = { .v = v, .top = a.y, .x = x, .w = w, .style = TUI_S_NORMAL };
	const char *labels[] = { _("Seq"), _("Event ID"), _("Time"), _("Sealed at"), _("Event"), _("Outcome"),
				 _("Actor"), _("Client"), _("Branch"), _("Contract"), _("Credential ID"), _("Request"),
				 _("Hash"), _("Prev hash") };
	int lw = 0;
	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
		if (tui_text_width(labels[i]) > lw)
			lw = tui_text_width(labels[i]);
	lw += 2;

	char buf[512];
	bool refused = strcmp(r->outcome, "refused") == 0;
	if (r->seq)
		snprintf(buf, sizeof buf, "%lld", r->seq);
	else
		snprintf(buf, sizeof buf, "%s", _("unsealed: not in the chain yet"));
	put_pair(&p, lw, _("Seq"), buf, r->seq ? TUI_S_NORMAL : TUI_S_DIM);
	snprintf(buf, sizeof buf, "%lld", r->event_id);
	put_pair(&p, lw, _("Event ID"), buf, TUI_S_NORMAL);
	put_pair(&p, lw, _("Time"), r->at, TUI_S_NORMAL);
	put_pair(&p, lw, _("Sealed at"), s->ev.sealed_at, TUI_S_NORMAL);
	put_pair(&p, lw, _("Event"), r->event, TUI_S_NORMAL);
	snprintf(buf, sizeof buf, "%s%s%s", refused ? _("Refused") : strcmp(r->outcome, "success") == 0 ? _("Success")
											    : r->outcome,
		 r->reason_code[0] ? "  " : "", r->reason_code);
	put_pair(&p, lw, _("Outcome"), buf, refused ? TUI_S_ERROR : TUI_S_INFO);
	snprintf(buf, sizeof buf, _("%s (acting as %s)"), r->actor, r->via_role[0] ? r->via_role : "-");
	put_pair(&p, lw, _("Actor"), buf, TUI_S_NORMAL);
	snprintf(buf, sizeof buf, "%s%s%s", r->client_app, r->client_app[0] && r->client_addr[0] ? "  " : "",
		 r->client_addr);
	put_pair(&p, lw, _("Client"), buf, TUI_S_NORMAL);
	put_pair(&p, lw, _("Branch"), r->branch_code, TUI_S_NORMAL);
	put_pair(&p, lw, _("Contract"), r->contract_id, TUI_S_NORMAL);
	put_pair(&p, lw, _("Credential ID"), r->credential_id, TUI_S_NORMAL);
	buf[0] = '\0';
	if (r->has_request_id)
		snprintf(buf, sizeof buf, "%lld", r->request_id);
	put_pair(&p, lw, _("Request"), buf, TUI_S_NORMAL);
	/* a hash on one line when it fits: with labels of their own width if needed */
	int hlw = lw;
	if (hlw + 2 * AUDIT_HASH_LEN > p.w) {
		hlw = tui_text_width(_("Hash")) > tui_text_width(_("Prev hash")) ? tui_text_width(_("Hash"))
										  : tui_text_width(_("Prev hash"));
		hlw += 1;
	}
	put_pair(&p, hlw, _("Hash"), r->hash, TUI_S_NORMAL);
	put_pair(&p, hlw, _("Prev hash"), s->ev.prev_hash, TUI_S_NORMAL);
	put_line(&p, TUI_S_NORMAL, "");
	put_line(&p, TUI_S_HEADING, _("Details (JSON)"));
	put_json(&p, s->ev.details_pretty);
	s->sc.total = p.line;

	int last = s->sc.top + s->sc.shown < s->sc.total ? s->sc.top + s->sc.shown : s->sc.total;
	snprintf(buf, sizeof buf, _("lines %d-%d of %d   Up/Down/PgUp/PgDn: scroll   Esc: back"), s->sc.top + 1, last,
		 s->sc.total);
	tui_put(a.y + a.h - 1, x, w, TUI_S_DIM, TUI_LEFT, buf);
}

static unsigned do_reload(struct view *v)
{
	(void)v;
	return TUI_HANDLED | TUI_REFRESH;
}

static const struct tui_binding auditevent_bindings[] = {
	{ { TUI_FN(KEY_DOWN), 'j' }, N_("Down, j"), N_("scroll down a line"), 0, NULL, tui_scroll_down, NULL },
	{ { TUI_FN(KEY_UP), 'k' }, N_("Up, k"), N_("scroll up a line"), 0, NULL, tui_scroll_up, NULL },
	{ { TUI_KEY_F(8), TUI_FN(KEY_NPAGE), ' ' }, N_("F8, PgDn, Space"), N_("scroll down a page"), 8, N_("Next"),
	  tui_scroll_pgdn, NULL },
	{ { TUI_KEY_F(7), TUI_FN(KEY_PPAGE) }, N_("F7, PgUp"), N_("scroll up a page"), 7, N_("Prev"), tui_scroll_pgup, NULL },
	{ { TUI_FN(KEY_HOME), 'g' }, N_("Home, g"), N_("top"), 0, NULL, tui_scroll_top, NULL },
	{ { TUI_FN(KEY_END), 'G' }, N_("End, G"), N_("bottom"), 0, NULL, tui_scroll_end, NULL },
	{ { TUI_KEY_F(5) }, N_("F5"), N_("read the event again (seq and hash once it is sealed)"), 5, N_("Reload"),
	  do_reload, NULL },
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

static void auditevent_resize(struct view *v)
{
	struct auditevent *s = v->state;
	s->sc.top = 0;
}

const struct view_ops view_auditevent_ops = {
	.name = "auditevent",
	.title = N_("Audit event"),
	.state_size = sizeof(struct auditevent),
	.open = auditevent_open,
	.close = auditevent_close,
	.refresh = auditevent_refresh,
	.draw = auditevent_draw,
	.resize = auditevent_resize,
	.bindings = auditevent_bindings,
};
