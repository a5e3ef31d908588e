-- 045_audit_verify: let the audit verifier read details in jsonb's stored
-- form. The hash covers details::text (AUDIT-FORMAT.md section 2), and
-- turning every row's jsonb into text was a third of the server's work
-- when verifying. With this binary-coercible cast, `details::bytea` costs
-- a copy: the verifier (db/db_auditlog.c) renders the text itself,
-- exactly as PostgreSQL's jsonb output does, on its fast path only; a row
-- it cannot render, or any damage, sends it back to the stream of
-- details::text, so the verdict is always taken on PostgreSQL's own text.
-- Nothing is stored and nothing that is hashed changes.
CREATE CAST (jsonb AS bytea) WITHOUT FUNCTION;
