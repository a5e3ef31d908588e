-- 042_audit_sealer: a sealer pass whose cost does not grow with the backlog.
--
-- 040/041 sorted every unsealed event by commit time on each pass: fine for
-- the usual backlog of a few thousand events, but after an outage (a
-- million unsealed events) every pass read and sorted all of them. Now a
-- pass looks at the oldest 4 * max_rows unsealed events by event_id (the
-- partial index audit_unsealed_idx, so a pass reads only what it may seal),
-- orders those by commit time, transaction and event_id, and seals the
-- first max_rows; the sort carries only the keys, and each chosen row is
-- read once to encode it. With a backlog below 4 * max_rows, which is the
-- normal case, this is exactly 041's order. The horizon and everything that
-- makes a sealed position final are unchanged (041). JIT compilation is
-- off: it cost more than the pass itself.

SET LOCAL ROLE otp_owner;

CREATE OR REPLACE FUNCTION otp_api.audit_seal(p_max_rows integer)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp SET jit = off
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_batch'];
    via text := otp.acting_role(allowed);
    head otp.audit_chain_head;
    horizon xid8;
    r record;
    s bigint;
    h bytea;
    ids bigint[] := '{}';
    ats timestamptz[] := '{}';
    seqs bigint[] := '{}';
    prevs bytea[] := '{}';
    hashes bytea[] := '{}';
    n integer := 0;
    changed integer;
    now_ timestamptz;
    note text;
    backlog bigint;
    oldest timestamptz;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role('audit.seal', allowed);
    END IF;
    IF p_max_rows IS NULL OR p_max_rows NOT BETWEEN 1 AND 1000000 THEN
        PERFORM otp.bad_input(format('max rows %s is outside 1..1000000', coalesce(p_max_rows::text, 'NULL')));
    END IF;
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        PERFORM otp.bad_input('the sealer must run in READ COMMITTED',
                              'each statement must see what the previous sealer committed');
    END IF;
    PERFORM set_config('otp.audit_sealing', 'on', true);
    SELECT * INTO head FROM otp.audit_chain_head FOR UPDATE;
    note := otp.audit_partitions_ahead();
    horizon := otp.audit_seal_horizon();
    s := head.seq;
    h := head.hash;
    FOR r IN
        WITH window_ AS (
            SELECT e.event_id, e.at, e.txid, e.xmin AS x
            FROM otp.audit_event e
            WHERE e.seq IS NULL
            ORDER BY e.event_id
            LIMIT 4 * p_max_rows
        ), chosen AS MATERIALIZED (
            SELECT w.event_id, w.at, pg_xact_commit_timestamp(w.x) AS cts, w.txid
            FROM window_ w
            WHERE w.txid < horizon
            ORDER BY 3 NULLS FIRST, 4, 1
            LIMIT p_max_rows
        )
        SELECT c.event_id, c.at,
               otp.audit_encoding_tail(e.event_id, e.at, e.actor, e.via_role, e.event, e.outcome,
                                       e.reason_code, e.client_app, e.client_addr, e.branch_code,
                                       e.contract_id, e.credential_id, e.request_id, e.details) AS tail
        FROM chosen c JOIN otp.audit_event e ON e.event_id = c.event_id AND e.at = c.at
        ORDER BY c.cts NULLS FIRST, c.txid, c.event_id
    LOOP
        s := s + 1;
        ids := array_append(ids, r.event_id);
        ats := array_append(ats, r.at);
        seqs := array_append(seqs, s);
        prevs := array_append(prevs, h);
        h := sha256(h || otp.audit_encoding_head(s) || r.tail);
        hashes := array_append(hashes, h);
        n := n + 1;
    END LOOP;
    IF n > 0 THEN
        now_ := clock_timestamp();
        UPDATE otp.audit_event e
           SET seq = u.seq, prev_hash = u.prev_hash, hash = u.hash, sealed_at = now_
          FROM unnest(ids, ats, seqs, prevs, hashes) AS u(event_id, at, seq, prev_hash, hash)
         WHERE e.event_id = u.event_id AND e.at = u.at AND e.seq IS NULL;
        GET DIAGNOSTICS changed = ROW_COUNT;
        IF changed <> n THEN
            RAISE EXCEPTION 'audit sealer: % of % events could not be sealed', n - changed, n;
        END IF;
        UPDATE otp.audit_chain_head SET seq = s, hash = h, sealed_at = now_;
    END IF;
    SELECT count(*), min(u.at) INTO backlog, oldest
    FROM (SELECT e.at FROM otp.audit_event e WHERE e.seq IS NULL LIMIT 100000) u;
    RETURN otp.success(format('%s events sealed, chain at seq %s', n, s), s::text,
                       jsonb_build_object('sealed', n, 'last_seq', s, 'last_hash', encode(h, 'hex'),
                                          'backlog', backlog, 'oldest_unsealed', oldest, 'note', note));
END
$$;
