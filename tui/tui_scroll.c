/* tui_scroll: scrolling a view's text area by line, page and end. The
 * binding actions find the struct tui_scroll at the start of v->state. */
#include "tui/tui.h"

void tui_scroll_clamp(struct tui_scroll *sc)
{
	int max = sc->total - (sc->shown > 0 ? sc->shown : 1);
	if (sc->top > max)
		sc->top = max;
	if (sc->top < 0)
		sc->top = 0;
}

static unsigned scroll_by(struct view *v, int delta)
{
	struct tui_scroll *sc = v->state;
	sc->top += delta;
	tui_scroll_clamp(sc);
	return TUI_HANDLED;
}

static int page(const struct view *v)
{
	const struct tui_scroll *sc = v->state;
	return sc->shown > 1 ? sc->shown - 1 : 1;
}

unsigned tui_scroll_down(struct view *v)
{
	return scroll_by(v, 1);
}

unsigned tui_scroll_up(struct view *v)
{
	return scroll_by(v, -1);
}

unsigned tui_scroll_pgdn(struct view *v)
{
	return scroll_by(v, page(v));
}

unsigned tui_scroll_pgup(struct view *v)
{
	return scroll_by(v, -page(v));
}

unsigned tui_scroll_top(struct view *v)
{
	struct tui_scroll *sc = v->state;
	sc->top = 0;
	return TUI_HANDLED;
}

unsigned tui_scroll_end(struct view *v)
{
	struct tui_scroll *sc = v->state;
	sc->top = sc->total;
	tui_scroll_clamp(sc);
	return TUI_HANDLED;
}
