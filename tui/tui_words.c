/* tui_words: the vocabulary shared by several screens, translated in one
 * place: token states (label and colour), staff roles, failure reasons and
 * error kinds. Tables, not switch ladders; unknown values show as they are. */
#include <string.h>

#include "tui/tui.h"

static const struct {
	const char *state;
	const char *label;
	enum tui_style style;
} states[] = {
	{ "ACTIVE", N_("ACTIVE"), TUI_S_STATE_ACTIVE },
	{ "LOCKED", N_("LOCKED"), TUI_S_STATE_LOCKED },
	{ "STOPPED", N_("STOPPED"), TUI_S_STATE_STOPPED },
	{ "UNREGISTERED", N_("UNREGISTERED"), TUI_S_STATE_UNREGISTERED },
};

enum tui_style tui_state_style(const char *state)
{
	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
		if (strcmp(states[i].state, state) == 0)
			return states[i].style;
	return TUI_S_NORMAL;
}

const char *tui_state_label(const char *state)
{
	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
		if (strcmp(states[i].state, state) == 0)
			return _(states[i].label);
	return state;
}

static const char *const role_labels[] = {
	[DB_ROLE_BIT_TELLER] = N_("teller"),
	[DB_ROLE_BIT_SUPERVISOR] = N_("supervisor"),
	[DB_ROLE_BIT_HELPDESK] = N_("helpdesk"),
	[DB_ROLE_BIT_AUDITOR] = N_("auditor"),
	[DB_ROLE_BIT_ADMIN] = N_("admin"),
	[DB_ROLE_BIT_VERIFIER] = N_("verifier"),
	[DB_ROLE_BIT_BATCH] = N_("batch"),
};

const char *tui_role_label(enum db_role_bit bit)
{
	return (unsigned)bit < DB_ROLE_COUNT && role_labels[bit] ? _(role_labels[bit]) : "?";
}

static const struct {
	const char *reason;
	const char *label;
} reasons[] = {
	{ "WRONG_CODE", N_("wrong code") },
	{ "REPLAY", N_("code reused") },
	{ "MALFORMED", N_("malformed code") },
	{ "LOCKED", N_("attempt while locked") },
	{ "NOT_ACTIVE", N_("token not active") },
};

const char *tui_reason_label(const char *reason)
{
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (strcmp(reasons[i].reason, reason) == 0)
			return _(reasons[i].label);
	return reason;
}

static const char *const kind_texts[] = {
	[OTP_ERR_OK] = N_("ok"),
	[OTP_ERR_USAGE] = N_("invalid input"),
	[OTP_ERR_CONNECT] = N_("cannot connect to the database"),
	[OTP_ERR_CONNLOST] = N_("database connection lost"),
	[OTP_ERR_DB] = N_("database error"),
	[OTP_ERR_REFUSED] = N_("refused"),
	[OTP_ERR_NOTFOUND] = N_("not found"),
	[OTP_ERR_RETRY] = N_("transaction conflict, try again"),
	[OTP_ERR_IO] = N_("input/output error"),
	[OTP_ERR_CRYPTO] = N_("cryptographic failure"),
	[OTP_ERR_INTERNAL] = N_("internal error"),
};

const char *tui_err_kind_text(enum otp_err_kind kind)
{
	if ((size_t)kind < sizeof kind_texts / sizeof kind_texts[0] && kind_texts[kind])
		return _(kind_texts[kind]);
	return otp_err_kind_text(kind);
}

static const char *const req_kind_labels[] = {
	[DB_REQ_UNLOCK] = N_("UNLOCK"),
	[DB_REQ_RESET] = N_("RESET"),
};

static const char *const req_state_labels[] = {
	[DB_REQ_SUBMITTED] = N_("SUBMITTED"),
	[DB_REQ_APPROVED] = N_("APPROVED"),
	[DB_REQ_REJECTED] = N_("REJECTED"),
	[DB_REQ_EXECUTED] = N_("EXECUTED"),
	[DB_REQ_CANCELLED] = N_("CANCELLED"),
};

const char *tui_req_kind_label(enum db_req_kind kind)
{
	return (unsigned)kind < DB_REQ_KIND_COUNT ? _(req_kind_labels[kind]) : "?";
}

const char *tui_req_state_label(enum db_req_state state)
{
	return (unsigned)state < DB_REQ_STATE_COUNT ? _(req_state_labels[state]) : "?";
}

int tui_req_label_width(bool kinds)
{
	int w = 0, n = kinds ? DB_REQ_KIND_COUNT : DB_REQ_STATE_COUNT;
	for (int i = 0; i < n; i++) {
		const char *t = kinds ? tui_req_kind_label((enum db_req_kind)i) : tui_req_state_label((enum db_req_state)i);
		if (tui_text_width(t) > w)
			w = tui_text_width(t);
	}
	return w;
}
