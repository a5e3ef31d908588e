/* db/reqqueue: the branch queue of otpdesk: requests in the caller's scope
 * (otp_api.requests decides the scope) in queue order, by due date, with a
 * choice of states and a search by contract ID or receipt number. Keyset
 * paging on (due, request_id) both ways, so a page never skips or repeats a
 * row however many requests there are. db_request_list() pages on request_id
 * alone and filters one state; this is what a screen sorted by due date
 * needs. Read-only; no PGresult crosses this header. */
#ifndef OTPDESK_DB_REQQUEUE_H
#define OTPDESK_DB_REQQUEUE_H

#include <stdbool.h>

#include "db/workflow.h"

/* Which requests the queue shows: id, the states it covers (a PostgreSQL
 * text array), newest first or not. */
#define DB_QUEUE_SETS(X)                                                      \
	X(SUBMITTED, "{SUBMITTED}", false)                                    \
	X(APPROVED,  "{APPROVED}", false)                                     \
	X(OPEN,      "{SUBMITTED,APPROVED}", false)                           \
	X(CLOSED,    "{REJECTED,EXECUTED,CANCELLED}", true)

enum db_queue_set {
#define X(id, states, desc) DB_QUEUE_##id,
	DB_QUEUE_SETS(X)
#undef X
	DB_QUEUE_SET_COUNT
};

struct db_queue_filter {
	enum db_queue_set set;
	const char *contract_id;	/* NULL or "": any */
	const char *receipt_no;		/* NULL or "": any */
};

/* The position of a row in the queue order. */
struct db_queue_key {
	char due[DB_DATE_LEN];
	long long request_id;
};

/* One page of the queue: the rows after `after` (NULL: the first page), or,
 * with backward, the rows before it (still returned in queue order);
 * out->more says more rows lie in that direction. The OPEN, SUBMITTED and
 * APPROVED sets run by due date oldest first; CLOSED newest first. Rows
 * carry the queue's columns (receipt, branch, contract, names, kind, state,
 * received, day 1, eligible, due, submitter, decider, overdue, fraud hold);
 * the others are empty. limit 1..500; free with db_request_page_free(). */
int db_queue_list(struct db *db, const struct db_queue_filter *filter, const struct db_queue_key *after,
		  bool backward, int limit, struct db_request_page *out, struct otp_err *err);

#endif
