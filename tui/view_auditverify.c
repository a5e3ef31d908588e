/* view_auditverify: verify the audit log's hash chain from otpdesk, with the
 * same public calls as `otpctl audit verify`: a fresh audit/ verifier, the
 * public keys and checkpoint files the auditor names (OTP_AUDIT_PUBKEY and
 * OTP_AUDIT_CHECKPOINTS, colon-separated paths; without keys the
 * signatures are not checked and the screen says so), then
 * db_audit_verify over the live table in one snapshot with the database's
 * checkpoints. Its progress callback (about once a second, on this thread)
 * paints a bar, the row count and the rate directly; the result is OK with
 * the number of events and the head's seq and hash, or the first failing
 * seq and the kind of damage. It never changes anything.
 *
 * arg: NULL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "db/auditlog.h"
#include "tui/tui.h"

enum phase { P_RUNNING, P_DONE, P_FAILED };

struct auditverify {
	enum phase phase;
	long long rows, total;
	double seconds;
	double started;
	struct audit_report rep;
	int nkeys, nfiles;
	char setup[640];	/* why the verification did not run (keys, files) */
	struct otp_err err;	/* db_audit_verify's error */
};

static int auditverify_open(struct view *v, const void *arg, struct otp_err *err)
{
	(void)arg;
	(void)err;
	struct auditverify *s = v->state;
	s->phase = P_RUNNING;
	v->stale = true;
	return 0;
}

static void auditverify_draw(struct view *v);

/* Paint the whole frame now: refresh() runs before the loop draws. */
static void paint(struct view *v)
{
	char t[200];
	snprintf(t, sizeof t, " %s", v->title);
	tui_put(1, 0, COLS, TUI_S_TITLE, TUI_LEFT, t);
	tui_clear_rect(v->area, TUI_S_NORMAL);
	auditverify_draw(v);
	wrefresh(stdscr);
}

static void progress(void *ctx, long long rows, long long total, double seconds)
{
	struct view *v = ctx;
	struct auditverify *s = v->state;
	s->rows = rows;
	s->total = total;
	s->seconds = seconds;
	paint(v);
}

/* Load the colon-separated files of env var name with load(); 0 or -1 with err. */
static int load_list(const char *name, struct audit_verifier *ver, int *count,
		     int (*load)(struct audit_verifier *, const char *, struct otp_err *), struct otp_err *err)
{
	const char *env = getenv(name);
	if (!env || !*env)
		return 0;
	char *copy = strdup(env);
	if (!copy)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	int rc = 0;
	for (char *save = NULL, *p = strtok_r(copy, ":", &save); p && rc == 0; p = strtok_r(NULL, ":", &save)) {
		rc = load(ver, p, err);
		if (rc == 0)
			(*count)++;
	}
	free(copy);
	return rc;
}

static int add_key_file(struct audit_verifier *ver, const char *path, struct otp_err *err)
{
	struct audit_key *k;
	if (audit_key_load(path, &k, err) != 0)
		return -1;
	int rc = audit_verifier_add_key(ver, k, err);
	audit_key_free(k);
	return rc;
}

static int auditverify_refresh(struct view *v, struct otp_err *err)
{
	struct auditverify *s = v->state;
	struct audit_verifier *ver = NULL;
	memset(&s->rep, 0, sizeof s->rep);
	s->rows = s->total = 0;
	s->seconds = 0;
	s->nkeys = s->nfiles = 0;
	s->setup[0] = '\0';
	otp_err_clear(&s->err);
	s->phase = P_RUNNING;
	s->started = tui_now();
	if (audit_verifier_new(&ver, AUDIT_VERIFY_CHAIN, err) != 0)
		goto setup_failed;
	if (load_list("OTP_AUDIT_PUBKEY", ver, &s->nkeys, add_key_file, err) != 0 ||
	    load_list("OTP_AUDIT_CHECKPOINTS", ver, &s->nfiles, audit_verifier_load_checkpoints, err) != 0)
		goto setup_failed;
	paint(v);
	int rc;
	if (!audit_verifier_check_signatures(ver)) {
		/* a forged or unknown-key checkpoint in a file: the report says which */
		audit_verifier_finish(ver, 0, NULL, &s->rep);
		rc = 0;
	} else {
		struct db_audit_verify_opts o = {
			.db_checkpoints = true, .jobs = 2, .progress = progress, .ctx = v,
		};
		rc = db_audit_verify(v->app->db, ver, &o, &s->rep, err);
	}
	audit_verifier_free(ver);
	s->seconds = tui_now() - s->started;
	if (rc != 0) {
		s->err = *err;
		s->phase = P_FAILED;
		return -1;
	}
	s->phase = P_DONE;
	return 0;
setup_failed:
	audit_verifier_free(ver);
	snprintf(s->setup, sizeof s->setup, "%s", err->message);
	s->err = *err;
	s->phase = P_FAILED;
	return -1;
}

/* ---- drawing ------------------------------------------------------------------ */

static void bar(int y, int x, int w, long long rows, long long total)
{
	if (w < 10)
		return;
	char b[512];
	int inner = w - 2 < (int)sizeof b - 3 ? w - 2 : (int)sizeof b - 3;
	int fill = total > 0 ? (int)((double)inner * (double)rows / (double)total) : 0;
	if (fill > inner)
		fill = inner;
	b[0] = '[';
	for (int i = 0; i < inner; i++)
		b[1 + i] = i < fill ? '#' : '.';
	b[1 + inner] = ']';
	b[2 + inner] = '\0';
	tui_put(y, x, w, TUI_S_INFO, TUI_LEFT, b);
}

/* A label and its value wrapped in the rest of the width; returns the rows used. */
static int line(int y, int x, int w, int lw, int rows, const char *label, enum tui_style st, const char *value)
{
	tui_put(y, x, lw, TUI_S_LABEL, TUI_LEFT, label);
	if (rows < 1)
		rows = 1;
	struct tui_rect r = { y, x + lw, rows, w - lw };
	int n = tui_put_wrapped(r, 0, st, value);
	return n < 1 ? 1 : n;
}

static void auditverify_draw(struct view *v)
{
	struct auditverify *s = v->state;
	struct tui_rect a = v->area;
	int x = a.x + 2, w = a.w - 3, y = a.y + 1, bottom = a.y + a.h - 1;
	char buf[700];
	const char *labels[] = { _("Result"), _("Events"), _("Head"), _("Anchor"), _("Checkpoints"), _("Signatures"),
				 _("Unsealed"), _("Damage"), _("First bad seq"), _("Where"), _("Detail") };
	int lw = 0;
	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
		if (tui_text_width(labels[i]) > lw)
			lw = tui_text_width(labels[i]);
	lw += 2;

	struct tui_rect intro = { y, x, 2, w };
	y += tui_put_wrapped(intro, 0, TUI_S_DIM,
			     _("Every sealed event is re-hashed and linked to the one before, from the first to the "
			       "chain head."));
	y++;
	if (s->phase == P_RUNNING) {
		double rate = s->seconds > 0 ? (double)s->rows / s->seconds : 0;
		if (s->total > 0)
			snprintf(buf, sizeof buf, _("verifying… %lld of %lld events (%.0f%%), %.0f events/s"), s->rows,
				 s->total, 100.0 * (double)s->rows / (double)s->total, rate);
		else
			snprintf(buf, sizeof buf, _("verifying… %lld events, %.0f events/s"), s->rows, rate);
		tui_put(y++, x, w, TUI_S_NORMAL, TUI_LEFT, buf);
		bar(y++, x, w, s->rows, s->total);
		return;
	}
	if (s->phase == P_FAILED) {
		y += line(y, x, w, lw, bottom - y, _("Result"), TUI_S_ERROR,
		     s->setup[0] ? _("NOT RUN: a key or checkpoint file could not be read")
				 : _("NOT RUN: the verification could not be done"));
		struct tui_rect r = { y, x + lw, a.y + a.h - 1 - y, w - lw };
		int row = tui_put_wrapped(r, 0, TUI_S_NORMAL, s->err.message);
		if (s->err.hint[0])
			tui_put_wrapped(r, row, TUI_S_DIM, s->err.hint);
		tui_put(a.y + a.h - 1, x, w, TUI_S_DIM, TUI_LEFT, _("F5: try again   Esc: back"));
		return;
	}
	const struct audit_report *r = &s->rep;
	char hex[2 * AUDIT_HASH_LEN + 1];
	audit_hex(r->last_hash, AUDIT_HASH_LEN, hex);
	if (r->incomplete) {
		snprintf(buf, sizeof buf, _("INCOMPLETE: %s"), r->message);
		y += line(y, x, w, lw, bottom - y, _("Result"), TUI_S_ERROR, buf);
	} else if (r->damage == AUDIT_DAMAGE_NONE) {
		y += line(y, x, w, lw, bottom - y, _("Result"), TUI_S_INFO, _("OK: the chain is intact"));
	} else {
		snprintf(buf, sizeof buf, _("DAMAGED: %s"), audit_damage_text(r->damage));
		y += line(y, x, w, lw, bottom - y, _("Result"), TUI_S_BANNER, buf);
	}
	snprintf(buf, sizeof buf, _("%lld events verified (seq %lld..%lld) in %.2f s"), (long long)r->rows,
		 (long long)r->first_seq, (long long)r->last_seq, s->seconds);
	y += line(y, x, w, lw, bottom - y, _("Events"), TUI_S_NORMAL, buf);
	if (r->rows) {
		snprintf(buf, sizeof buf, _("seq %lld"), (long long)r->last_seq);
		y += line(y, x, w, lw, bottom - y, _("Head"), TUI_S_NORMAL, buf);
		tui_put(y++, x, w, TUI_S_NORMAL, TUI_LEFT, hex);	/* the whole hash, under its label */
	}
	if (r->anchor[0])
		y += line(y, x, w, lw, bottom - y, _("Anchor"), TUI_S_NORMAL, r->anchor);
	snprintf(buf, sizeof buf, _("%d loaded, %d matched, %d before the verified range"), r->checkpoints,
		 r->checkpoints_matched, r->checkpoints_outside);
	y += line(y, x, w, lw, bottom - y, _("Checkpoints"), TUI_S_NORMAL, buf);
	if (r->signatures_checked)
		snprintf(buf, sizeof buf, _("checked with %d public key(s)"), s->nkeys);
	else
		snprintf(buf, sizeof buf, "%s",
			 _("NOT checked: no public key available (set OTP_AUDIT_PUBKEY to the audit key file)"));
	y += line(y, x, w, lw, bottom - y, _("Signatures"), r->signatures_checked ? TUI_S_NORMAL : TUI_S_ERROR, buf);
	if (r->unsealed) {
		snprintf(buf, sizeof buf, _("%lld events not sealed yet (not in the chain)"), (long long)r->unsealed);
		y += line(y, x, w, lw, bottom - y, _("Unsealed"), TUI_S_DIM, buf);
	}
	if (r->damage != AUDIT_DAMAGE_NONE && !r->incomplete) {
		y++;
		snprintf(buf, sizeof buf, "%s (%s)", audit_damage_text(r->damage), audit_damage_name(r->damage));
		y += line(y, x, w, lw, bottom - y, _("Damage"), TUI_S_ERROR, buf);
		if (r->seq_to != r->seq)
			snprintf(buf, sizeof buf, "%lld..%lld", (long long)r->seq, (long long)r->seq_to);
		else
			snprintf(buf, sizeof buf, "%lld", (long long)r->seq);
		y += line(y, x, w, lw, bottom - y, _("First bad seq"), TUI_S_ERROR, buf);
		y += line(y, x, w, lw, bottom - y, _("Where"), TUI_S_NORMAL, r->where);
		struct tui_rect rr = { y, x + lw, a.y + a.h - 1 - y, w - lw };
		tui_put(y, x, lw, TUI_S_LABEL, TUI_LEFT, _("Detail"));
		tui_put_wrapped(rr, 0, TUI_S_NORMAL, r->message);
	}
	tui_put(a.y + a.h - 1, x, w, TUI_S_DIM, TUI_LEFT, _("F5: verify again   Esc: back to the log"));
}

static unsigned do_again(struct view *v)
{
	(void)v;
	return TUI_HANDLED | TUI_REFRESH;
}

static const struct tui_binding auditverify_bindings[] = {
	{ { TUI_KEY_F(5), 'r' }, N_("F5, r"), N_("verify again"), 5, N_("Again"), do_again, NULL },
	{ { 0 }, N_("OTP_AUDIT_PUBKEY"), N_("public key files for checkpoint signatures (colon-separated)"), 0, NULL,
	  NULL, NULL },
	{ { 0 }, N_("OTP_AUDIT_CHECKPOINTS"), N_("checkpoint files kept outside the database (colon-separated)"), 0,
	  NULL, NULL, NULL },
	{ { 0 }, NULL, NULL, 0, NULL, NULL, NULL },
};

const struct view_ops view_auditverify_ops = {
	.name = "auditverify",
	.title = N_("Audit chain verification"),
	.state_size = sizeof(struct auditverify),
	.open = auditverify_open,
	.refresh = auditverify_refresh,
	.draw = auditverify_draw,
	.bindings = auditverify_bindings,
};
