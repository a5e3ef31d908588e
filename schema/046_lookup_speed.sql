SET LOCAL ROLE otp_owner;

-- 046_lookup_speed: contract lookups as scoped functions that use an index
-- range in the order they return (issue 10: p99 < 2 ms at 1 M contracts).
--
-- otp_api.contracts is a security_barrier view: its scope filter
-- (my_scope() IN ('*', branch_code)) runs before any caller condition that
-- is not leakproof, and text's < and >= are not. A kana prefix search through
-- it therefore read every contract of the prefix, joined it, and sorted the
-- lot for the first page (300 k contracts: p50 104 ms, p99 473 ms).
--
-- The three lookups become SECURITY DEFINER functions instead. Each applies
-- the view's rule itself (the caller's scope from otp.my_scope(): '*' = all
-- branches, a branch code, '' = nothing; groups that may not read
-- otp_api.contracts are refused) inside a query on a plain view the planner
-- may flatten, so the page is an index range scan on (name_kana, contract_id)
-- in keyset order, stopped after the limit:
--
--  * otp_api.contract_get(id), otp_api.contract_by_credential(credential):
--    one row at most, by the contract's primary key / the token's unique
--    credential index;
--  * otp_api.contract_search_kana(prefix, after_kana, after_id, limit):
--    names starting with prefix, after (after_kana, after_id), in
--    (name_kana, contract_id) order. Scope '*' reads contract_kana_c_idx;
--    a branch scope reads contract_branch_kana_idx (branch first), so a
--    branch teller's page reads only that branch's entries, never filters.
--
-- The kana order is code-point order (COLLATE "C"), whatever the database's
-- locale: the prefix's upper bound prefix || U+10FFFF is only a bound in that
-- order. The old (name_kana, contract_id) index had the database's collation
-- and served nothing else (the view could not use it); it is replaced.
--
-- The rows are the view's rows (RETURNS SETOF otp_api.contracts, from
-- otp.contract_detail, the view's query without the scope filter); the view
-- stays for the screens that list a few contracts by other keys.

CREATE INDEX contract_kana_c_idx ON otp.contract (name_kana COLLATE "C", contract_id);
CREATE INDEX contract_branch_kana_idx ON otp.contract (branch_code, name_kana COLLATE "C", contract_id);
DROP INDEX otp.contract_kana_idx;

-- otp_api.contracts without its scope filter: only the functions below read
-- it, each with the caller's scope in its WHERE clause. Not granted to anyone.
CREATE VIEW otp.contract_detail AS
    SELECT c.contract_id, c.name_kanji, c.name_kana, c.address, c.branch_code,
           b.name AS branch_name, c.opened,
           t.credential_id, coalesce(t.state, 'UNREGISTERED') AS token_state,
           coalesce(t.failure_count, 0) AS failure_count,
           (SELECT p.lock_threshold FROM otp.policy p) AS lock_threshold,
           t.locked_at, t.registered_at, t.stopped_at,
           h.reason AS fraud_hold_reason, h.set_at AS fraud_hold_at
    FROM otp.contract c
    JOIN otp.branch b ON b.code = c.branch_code
    LEFT JOIN otp.token t ON t.contract_id = c.contract_id
    LEFT JOIN otp.fraud_hold h ON h.contract_id = c.contract_id AND h.lifted_at IS NULL;

-- The scope of session_user's contract reads, as otp_api.contracts applies
-- it: '*', a branch code, or '' (not an active staff member: sees nothing).
-- An active member of none of the groups granted SELECT on the view
-- (verifier, batch) is refused with OD001: a read changes nothing, so
-- nothing is audited (as audit_search).
CREATE FUNCTION otp.contract_read_scope() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    scope text := otp.my_scope();
BEGIN
    IF scope <> '' AND NOT (otp.my_groups() && ARRAY['otp_teller', 'otp_supervisor', 'otp_helpdesk',
                                                     'otp_auditor', 'otp_admin']) THEN
        RAISE EXCEPTION USING ERRCODE = 'OD001',
            MESSAGE = 'reading contracts requires otp_teller, otp_supervisor, otp_helpdesk, otp_auditor or otp_admin';
    END IF;
    RETURN scope;
END
$$;

-- The contract p_contract_id if the caller may see it (no row otherwise).
CREATE FUNCTION otp_api.contract_get(p_contract_id text)
RETURNS SETOF otp_api.contracts
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    scope constant text := otp.contract_read_scope();
BEGIN
    RETURN QUERY
        SELECT * FROM otp.contract_detail d
        WHERE d.contract_id = p_contract_id AND (scope = '*' OR d.branch_code = scope);
END
$$;

-- The contract whose token has credential p_credential_id, if the caller may
-- see it (no row otherwise).
CREATE FUNCTION otp_api.contract_by_credential(p_credential_id text)
RETURNS SETOF otp_api.contracts
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    scope constant text := otp.contract_read_scope();
BEGIN
    RETURN QUERY
        SELECT * FROM otp.contract_detail d
        WHERE d.credential_id = p_credential_id AND (scope = '*' OR d.branch_code = scope);
END
$$;

-- Contracts the caller may see whose kana name starts with p_prefix, in
-- (name_kana, contract_id) code-point order, after (p_after_kana,
-- p_after_id) (NULL or '' for the first page), at most p_limit (1..1000).
-- An empty prefix or a bad limit raises OD004.
CREATE FUNCTION otp_api.contract_search_kana(p_prefix text, p_after_kana text, p_after_id text, p_limit integer)
RETURNS SETOF otp_api.contracts
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    scope constant text := otp.contract_read_scope();
    upper_bound text;
    after_kana constant text := coalesce(p_after_kana, '');
    after_id constant text := coalesce(p_after_id, '');
BEGIN
    IF coalesce(p_prefix, '') = '' THEN
        PERFORM otp.bad_input('type at least one kana of the customer''s name');
    END IF;
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
        PERFORM otp.bad_input(format('page size %s is outside 1..1000', coalesce(p_limit::text, '(null)')));
    END IF;
    upper_bound := p_prefix || chr(1114111);
    IF scope = '' THEN
        RETURN;
    ELSIF scope = '*' THEN
        RETURN QUERY
            SELECT * FROM otp.contract_detail d
            WHERE d.name_kana COLLATE "C" >= p_prefix AND d.name_kana COLLATE "C" < upper_bound
              AND (d.name_kana COLLATE "C", d.contract_id) > (after_kana, after_id)
            ORDER BY d.name_kana COLLATE "C", d.contract_id
            LIMIT p_limit;
    ELSE
        RETURN QUERY
            SELECT * FROM otp.contract_detail d
            WHERE d.branch_code = scope
              AND d.name_kana COLLATE "C" >= p_prefix AND d.name_kana COLLATE "C" < upper_bound
              AND (d.name_kana COLLATE "C", d.contract_id) > (after_kana, after_id)
            ORDER BY d.name_kana COLLATE "C", d.contract_id
            LIMIT p_limit;
    END IF;
END
$$;

GRANT EXECUTE ON FUNCTION otp_api.contract_get(text), otp_api.contract_by_credential(text),
    otp_api.contract_search_kana(text, text, text, integer)
    TO otp_teller, otp_supervisor, otp_helpdesk, otp_auditor, otp_admin, otp_verifier, otp_batch;
