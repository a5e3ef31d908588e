/* tui_confirm: the y/n question a screen asks before it changes something. */
#include "tui/tui.h"

int tui_confirm_answer(int key, unsigned *ret)
{
	if (key == 'y' || key == 'Y') {
		*ret = TUI_HANDLED | TUI_REFRESH;
		return 1;
	}
	if (key == 'n' || key == 'N' || key == TUI_KEY_ESC) {
		*ret = TUI_HANDLED;
		return 0;
	}
	*ret = key == TUI_CTRL('l') || key == TUI_KEY_F(10) ? TUI_IGNORED : TUI_HANDLED;
	return -1;
}

struct tui_rect tui_confirm_box(const struct view *v, int maxw, int h)
{
	struct tui_rect a = v->area;
	int w = a.w - 8 < maxw ? a.w - 8 : maxw;
	struct tui_rect box = { a.y + a.h - h - 1, a.x + (a.w - w) / 2, h, w };
	tui_clear_rect(box, TUI_S_NORMAL);
	return tui_box(box, _("Please confirm"));
}

void tui_confirm_draw(const struct view *v, int maxw, int h, const char *q, const char *answers)
{
	struct tui_rect in = tui_confirm_box(v, maxw, h);
	int rows = tui_put_wrapped(in, 0, TUI_S_LABEL, q);
	tui_put(in.y + (rows < in.h - 1 ? rows + 1 : in.h - 1), in.x, in.w, TUI_S_INFO, TUI_LEFT, answers);
}
