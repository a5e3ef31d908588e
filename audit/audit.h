/* audit: the independent verifier of otpdesk's tamper-evident audit log and
 * the signing side of its checkpoints. It knows the chain only from
 * docs/AUDIT-FORMAT.md and shares no code with the SQL sealer
 * (schema/040_audit.sql). It never talks to the database (db/auditlog.h
 * feeds it rows), never reads the clock (times are parameters) and never
 * includes libpq or curses. Files it reads and writes: key files,
 * checkpoint files, archive segments and exports. */
#ifndef OTPDESK_AUDIT_H
#define OTPDESK_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define AUDIT_HASH_LEN 32
#define AUDIT_SIG_LEN 64
#define AUDIT_KEYID_HEX 16	/* key id: first 8 bytes of SHA-256(raw public key), hex */
#define AUDIT_FORMAT_TAG "otp-audit-v1"

/* A text field as it came from the database or a file; len < 0 is SQL NULL.
 * Bytes are UTF-8 and need not be NUL-terminated. */
struct audit_text {
	const char *p;
	int len;
};

/* One event with the values the encoding covers, plus its chain fields. */
struct audit_event {
	int64_t seq;			/* chain position; 0 when not sealed */
	int64_t event_id;
	int64_t at_us;			/* microseconds since 1970-01-01 00:00:00 UTC */
	struct audit_text actor;
	struct audit_text via_role;
	struct audit_text event;
	struct audit_text outcome;
	struct audit_text reason_code;
	struct audit_text client_app;
	struct audit_text client_addr;	/* PostgreSQL text(inet): "192.0.2.1/32" */
	struct audit_text branch_code;
	struct audit_text contract_id;
	struct audit_text credential_id;
	bool has_request_id;
	int64_t request_id;
	struct audit_text details;	/* jsonb's text output (details::text) */
	bool sealed;			/* prev_hash and hash are valid */
	unsigned char prev_hash[AUDIT_HASH_LEN];
	unsigned char hash[AUDIT_HASH_LEN];
};

/* ---- the canonical encoding (AUDIT-FORMAT.md section 2) ---------------- */

/* Write the canonical encoding of ev at sequence number ev->seq into buf when
 * it fits in cap bytes; returns the encoding's length either way. */
size_t audit_encode(const struct audit_event *ev, unsigned char *buf, size_t cap);

/* hash = SHA-256(prev || audit_encode(ev)), the chain step. A convenience
 * for tools and tests (the verifier uses its own reusable context). */
int audit_event_hash(const unsigned char prev[AUDIT_HASH_LEN], const struct audit_event *ev,
		     unsigned char out[AUDIT_HASH_LEN], struct otp_err *err);

/* ---- hex, base64, times ------------------------------------------------ */

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void audit_hex(const unsigned char *in, size_t n, char *out);
/* Parse exactly 2n hex digits; 0 or -1. */
int audit_unhex(const char *in, size_t len, unsigned char *out, size_t n);
/* "YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+HH[:MM]|-HH[:MM])" (a space may replace T)
 * into microseconds since 1970 UTC; 0 or -1. */
int audit_parse_time(const char *s, size_t len, int64_t *us);
/* Seconds since 1970 as "YYYY-MM-DDTHH:MM:SSZ" (21 bytes). */
void audit_format_utc(int64_t secs, char out[24]);

/* ---- damage ------------------------------------------------------------ */

#define AUDIT_DAMAGE_KINDS(X)                                                                   \
	X(NONE,              "none",              "no damage found")                            \
	X(MODIFIED,          "modified",          "modified row")                               \
	X(DELETED,           "deleted",           "deleted row (gap in seq)")                   \
	X(INSERTED,          "inserted",          "inserted row")                               \
	X(REORDERED,         "reordered",         "reordered rows")                             \
	X(TRUNCATED,         "truncated",         "truncated tail")                             \
	X(REWRITTEN,         "rewritten",         "rewritten chain (differs from a signed checkpoint)") \
	X(FORGED_CHECKPOINT, "forged-checkpoint", "forged checkpoint (bad signature or unknown key)")

enum audit_damage {
#define X(id, name, text) AUDIT_DAMAGE_##id,
	AUDIT_DAMAGE_KINDS(X)
#undef X
	AUDIT_DAMAGE_COUNT
};

/* Short name ("deleted") and description ("deleted row (gap in seq)"). */
const char *audit_damage_name(enum audit_damage d);
const char *audit_damage_text(enum audit_damage d);

/* What a verification found. seq is the first failing sequence number;
 * seq_to the last of the damaged range when known (else seq). */
struct audit_report {
	enum audit_damage damage;
	int64_t seq;
	int64_t seq_to;
	char where[160];		/* "database", a file name, a checkpoint's source */
	char anchor[160];		/* what the first row was linked to */
	char message[640];
	int64_t rows;			/* events whose hash was checked */
	int64_t first_seq;		/* first and last seq verified (0: none) */
	int64_t last_seq;
	unsigned char last_hash[AUDIT_HASH_LEN];
	int checkpoints;		/* checkpoints loaded */
	int checkpoints_matched;	/* compared with the chain and equal */
	int checkpoints_outside;	/* before the verified range (not compared) */
	bool signatures_checked;	/* false: no public key was given */
	int64_t gaps;			/* export mode: breaks in seq (a filtered export) */
	int64_t unsealed;		/* rows without seq (not part of the chain yet) */
	int64_t last_matched_seq;	/* seq of the last checkpoint that matched (0: none) */
	unsigned char first_prev_hash[AUDIT_HASH_LEN];	/* the first verified row's stored prev_hash */
	bool incomplete;		/* stopped by an internal error (out of memory): no verdict */
};

/* ---- keys and checkpoints (AUDIT-FORMAT.md section 4) ------------------- */

struct audit_key;	/* an Ed25519 key: a private (signing) key or a public key */

/* Make a key pair in dir (created 0700 when missing): signing.key (PKCS#8
 * PEM, mode 0600) and signing.pub (SubjectPublicKeyInfo PEM). Refuses to
 * overwrite either. key_id receives the new key's id. */
int audit_key_generate(const char *dir, char key_id[AUDIT_KEYID_HEX + 1], struct otp_err *err);
/* Load a PEM private or public key file. */
int audit_key_load(const char *path, struct audit_key **out, struct otp_err *err);
/* Load a public key from PEM text (tests, keys kept in configuration). */
int audit_key_from_pem(const char *pem, size_t len, struct audit_key **out, struct otp_err *err);
/* Make a private key from a raw 32-byte Ed25519 seed (known-answer tests). */
int audit_key_from_seed(const unsigned char seed[32], struct audit_key **out, struct otp_err *err);
const char *audit_key_id(const struct audit_key *key);
bool audit_key_is_private(const struct audit_key *key);
void audit_key_free(struct audit_key *key);

struct audit_checkpoint {
	int64_t seq;
	unsigned char hash[AUDIT_HASH_LEN];
	int64_t time;			/* seconds since 1970 UTC */
	char key_id[AUDIT_KEYID_HEX + 1];
	unsigned char sig[AUDIT_SIG_LEN];
};

/* The signed message "otp-audit-checkpoint v1 seq=N hash=HEX time=ISO key=ID";
 * returns its length (written when it fits, like snprintf). */
size_t audit_checkpoint_message(const struct audit_checkpoint *cp, char *buf, size_t size);
/* The file line: the message, " sig=" and the base64 signature (no newline). */
size_t audit_checkpoint_line(const struct audit_checkpoint *cp, char *buf, size_t size);
/* Parse one line (a trailing newline is allowed). */
int audit_checkpoint_parse(const char *line, struct audit_checkpoint *cp, struct otp_err *err);
/* Fill key_id and sig of cp (seq, hash, time set) with a private key. */
int audit_checkpoint_sign(struct audit_checkpoint *cp, const struct audit_key *key, struct otp_err *err);
/* true when cp carries key's id and a valid signature by it. */
bool audit_checkpoint_verify(const struct audit_checkpoint *cp, const struct audit_key *key);
/* Append cp's line to path (created 0644), flushed to disk. */
int audit_checkpoint_append(const char *path, const struct audit_checkpoint *cp, struct otp_err *err);

/* ---- the verifier ------------------------------------------------------- */

enum audit_verify_mode {
	AUDIT_VERIFY_CHAIN,	/* a whole chain: every seq must follow the previous one */
	AUDIT_VERIFY_EXPORT,	/* an export, maybe filtered: a jump in seq starts a new run */
};

struct audit_verifier;

int audit_verifier_new(struct audit_verifier **out, enum audit_verify_mode mode, struct otp_err *err);
void audit_verifier_free(struct audit_verifier *v);

/* Public keys that may sign checkpoints (a private key's public half also works). */
int audit_verifier_add_key(struct audit_verifier *v, const struct audit_key *key, struct otp_err *err);
/* A checkpoint to check the chain against; source names it in reports. */
int audit_verifier_add_checkpoint(struct audit_verifier *v, const struct audit_checkpoint *cp, const char *source,
				  struct otp_err *err);
/* Read every line of a checkpoint file (blank lines and # comments skipped). */
int audit_verifier_load_checkpoints(struct audit_verifier *v, const char *path, struct otp_err *err);

/* Check every checkpoint's signature. false (and the report says
 * forged-checkpoint) when one has an unknown key or a bad signature. With
 * no key loaded nothing is checked and the report says so. */
bool audit_verifier_check_signatures(struct audit_verifier *v);

/* Where the chain continues: the next row must be next_seq, linked to prev.
 * Without a call the first row must be seq 1 linked to 32 zero bytes. */
void audit_verifier_anchor(struct audit_verifier *v, int64_t next_seq, const unsigned char prev[AUDIT_HASH_LEN],
			   const char *what);
/* Start at whatever the first row is, trusting its stored prev_hash (--from). */
void audit_verifier_anchor_first_row(struct audit_verifier *v);
/* A verifier with v's mode, keys and checkpoints and no rows, for one
 * segment of a chain verified in parallel: it starts at its first row
 * (trusting that row's stored prev_hash: the caller checks the link to the
 * previous segment) and leaves checkpoints after `end` to later segments
 * (end 0: it is the last segment). */
int audit_verifier_fork(const struct audit_verifier *v, int64_t end, struct audit_verifier **out,
			struct otp_err *err);
/* w starts exactly where v stands: v's anchor, genesis, or v's first row. */
void audit_verifier_continue_from(struct audit_verifier *w, const struct audit_verifier *v);
/* What v has verified so far (rows, range, checkpoints), before finishing. */
void audit_verifier_peek(const struct audit_verifier *v, struct audit_report *rep);
/* v sees the chain only up to seq `end`: checkpoints after it are not its business. */
void audit_verifier_set_end(struct audit_verifier *v, int64_t end);

/* The seq the next row must have (0 before any anchor or row). */
int64_t audit_verifier_next_seq(const struct audit_verifier *v);
/* The hash the next row must link to. */
void audit_verifier_last_hash(const struct audit_verifier *v, unsigned char out[AUDIT_HASH_LEN]);
/* Name the input being fed ("database", a file name) for reports. */
void audit_verifier_set_source(struct audit_verifier *v, const char *where);

/* Feed rows in seq order. Returns 0 to go on, 1 once damage has been found
 * and classified (feed no more; the report has it). */
int audit_verifier_feed(struct audit_verifier *v, const struct audit_event *rows, size_t n);

/* An archive segment ended: it claimed to end at last_seq with last_hash. */
int audit_verifier_segment_end(struct audit_verifier *v, int64_t last_seq, const unsigned char last_hash[AUDIT_HASH_LEN]);

/* All input is in. head_seq/head_hash: the chain head the database records
 * (head_hash NULL when unknown: archives or exports alone). Fills rep. */
void audit_verifier_finish(struct audit_verifier *v, int64_t head_seq, const unsigned char *head_hash,
			   struct audit_report *rep);

/* ---- files: archive segments and exports (AUDIT-FORMAT.md sections 5, 6) */

/* The first line of an archive segment. */
struct audit_archive_header {
	char before[16];		/* "YYYY-MM-01": events before this Japan-time month */
	int64_t first_seq;
	int64_t last_seq;
	int64_t count;
	unsigned char prev_hash[AUDIT_HASH_LEN];
	unsigned char last_hash[AUDIT_HASH_LEN];
};

/* Format an archive header line (with the newline). */
size_t audit_archive_header_line(const struct audit_archive_header *h, char *buf, size_t size);
/* Parse one JSON line of an export or archive into ev; the strings point into
 * line (which must stay alive, and is modified where escapes are decoded). */
int audit_parse_json_event(char *line, size_t len, struct audit_event *ev, struct otp_err *err);

/* Feed an archive segment file into v: checks its header against where the
 * chain stands (a first segment anchors it), every event, and its end.
 * *done = 1 once damage was found. The SHA-256 of the whole file goes to
 * file_sha256 (65 bytes) when not NULL. */
int audit_verify_archive_file(struct audit_verifier *v, const char *path, struct audit_archive_header *hdr,
			      char *file_sha256, int *done, struct otp_err *err);
/* Feed an export (CSV with header, or JSON lines) into v; *done as above. */
int audit_verify_export_file(struct audit_verifier *v, const char *path, int *done, struct otp_err *err);

/* SHA-256 of a file as hex (65 bytes). */
int audit_file_sha256(const char *path, char out[2 * AUDIT_HASH_LEN + 1], struct otp_err *err);

#endif
