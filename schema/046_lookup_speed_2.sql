SET LOCAL ROLE otp_owner;

-- 046_lookup_speed_2: contract_search_kana's page, measured at 1 M contracts,
-- was not yet the plan 046 meant (046 was already applied in other
-- databases, so this file replaces the function rather than 046 changing):
--
--  * two lower bounds on name_kana (>= prefix and the keyset row
--    comparison) cannot be merged by the btree, which started the scan at
--    the row comparison: from ('', '') for a first page, i.e. at the first
--    entry of the index (20-50 ms a page instead of 0.1 ms);
--  * the planner estimates a narrow prefix range at about one row (the
--    histogram cannot resolve it), and for one row it preferred reading every
--    match, hashing the joins and sorting (4,907 rows read for 21 shown).
--
-- So the page now has one lower bound, the later of (prefix, '') and
-- (after_kana, after_id) (every name starting with prefix sorts after
-- (prefix, ''): contract IDs are never empty; with the upper bound
-- prefix || U+10FFFF it selects exactly the names starting with prefix),
-- and the keys are chosen on otp.contract alone (an ordered index-only scan
-- stopped at the limit, whatever the estimate) before each key's row is
-- read by primary key, in the keys' order (OFFSET 0 keeps that per-key
-- subquery from being merged into one join the planner might hash and
-- re-sort). Same signature, scope rule, rows and order as in 046.

CREATE OR REPLACE FUNCTION otp_api.contract_search_kana(p_prefix text, p_after_kana text, p_after_id text,
                                                        p_limit integer)
RETURNS SETOF otp_api.contracts
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    scope constant text := otp.contract_read_scope();
    upper_bound text;
    start_kana text := coalesce(p_after_kana, '');
    start_id text := coalesce(p_after_id, '');
BEGIN
    IF coalesce(p_prefix, '') = '' THEN
        PERFORM otp.bad_input('type at least one kana of the customer''s name');
    END IF;
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
        PERFORM otp.bad_input(format('page size %s is outside 1..1000', coalesce(p_limit::text, '(null)')));
    END IF;
    upper_bound := p_prefix || chr(1114111);
    IF (start_kana COLLATE "C", start_id) < (p_prefix COLLATE "C", '') THEN
        start_kana := p_prefix;
        start_id := '';
    END IF;
    IF scope = '' THEN
        RETURN;
    ELSIF scope = '*' THEN
        RETURN QUERY
            SELECT d.* FROM (
                SELECT c.contract_id, c.name_kana FROM otp.contract c
                WHERE (c.name_kana COLLATE "C", c.contract_id) > (start_kana, start_id)
                  AND c.name_kana COLLATE "C" < upper_bound
                ORDER BY c.name_kana COLLATE "C", c.contract_id
                LIMIT p_limit) k
            CROSS JOIN LATERAL (SELECT * FROM otp.contract_detail x WHERE x.contract_id = k.contract_id OFFSET 0) d
            ORDER BY k.name_kana COLLATE "C", k.contract_id;
    ELSE
        RETURN QUERY
            SELECT d.* FROM (
                SELECT c.contract_id, c.name_kana FROM otp.contract c
                WHERE c.branch_code = scope
                  AND (c.name_kana COLLATE "C", c.contract_id) > (start_kana, start_id)
                  AND c.name_kana COLLATE "C" < upper_bound
                ORDER BY c.name_kana COLLATE "C", c.contract_id
                LIMIT p_limit) k
            CROSS JOIN LATERAL (SELECT * FROM otp.contract_detail x WHERE x.contract_id = k.contract_id OFFSET 0) d
            ORDER BY k.name_kana COLLATE "C", k.contract_id;
    END IF;
END
$$;
