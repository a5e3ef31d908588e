/* view_errinfo: a popup with everything known about the last error: its
 * kind, the server's SQLSTATE, message, detail and hint. The status line
 * shows only message and hint; this is where a helpdesk call starts. */
#include <stdio.h>
#include <string.h>

#include "tui/tui.h"

struct errinfo {
	struct otp_err err;
};

static int errinfo_open(struct view *v, const void *arg, struct otp_err *err)
{
	struct errinfo *s = v->state;
	if (!arg)
		return otp_err_set(err, OTP_ERR_INTERNAL, "no error to show");
	s->err = *(const struct otp_err *)arg;
	return 0;
}

static void errinfo_draw(struct view *v)
{
	struct errinfo *s = v->state;
	struct tui_rect a = v->area;
	int w = a.w - 4 < 74 ? a.w - 4 : 74;
	const char *labels[] = { _("Kind"), _("SQLSTATE"), _("Message"), _("Detail"), _("Hint") };
	int lw = 0;
	for (int i = 0; i < 5; i++)
		if (tui_text_width(labels[i]) > lw)
			lw = tui_text_width(labels[i]);
	lw += 2;
	const char *values[] = {
		tui_err_kind_text(s->err.kind),
		s->err.sqlstate[0] ? s->err.sqlstate : _("(none: the error arose in otpdesk, not on the server)"),
		s->err.message,
		s->err.detail[0] ? s->err.detail : "-",
		s->err.hint[0] ? s->err.hint : "-",
	};
	int need = 1;	/* the closing line */
	for (int i = 0; i < 5; i++)
		need += tui_text_wrap(values[i], w - 4 - lw, NULL, NULL);
	int h = need + 2 < a.h - 2 ? need + 2 : a.h - 2;
	struct tui_rect box = { a.y + (a.h - h) / 2, a.x + (a.w - w) / 2, h, w };
	struct tui_rect in = tui_box(box, _("Error details"));
	int row = 0;
	for (int i = 0; i < 5 && row < in.h - 1; i++) {
		tui_put(in.y + row, in.x, lw, TUI_S_LABEL, TUI_LEFT, labels[i]);
		struct tui_rect r = { in.y, in.x + lw, in.h - 1, in.w - lw };
		row += tui_put_wrapped(r, row, i == 2 ? TUI_S_ERROR : TUI_S_NORMAL, values[i]);
	}
	tui_put(in.y + in.h - 1, in.x, in.w, TUI_S_DIM, TUI_RIGHT, _("any key: close"));
}

/* Any key closes the popup (Ctrl-L still redraws). */
static unsigned errinfo_key(struct view *v, int key)
{
	(void)v;
	return key == TUI_CTRL('l') ? TUI_IGNORED : TUI_HANDLED | TUI_BACK;
}

const struct view_ops view_errinfo_ops = {
	.name = "errinfo",
	.title = N_("Error details"),
	.state_size = sizeof(struct errinfo),
	.flags = VIEW_OVERLAY,
	.open = errinfo_open,
	.draw = errinfo_draw,
	.key = errinfo_key,
};
