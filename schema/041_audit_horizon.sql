-- 041_audit_horizon: the sealer's horizon per database.
--
-- 040 sealed events of transactions older than the snapshot's xmin. That
-- xmin is cluster-wide: one long write transaction in ANY database of the
-- cluster (a bulk load, a forgotten psql session) stopped sealing here. Only
-- transactions of this database can write otp.audit_event, so the horizon
-- is now the oldest top-level xid of this database's running transactions
-- (sessions and prepared transactions), or the snapshot's xmax when none
-- runs. Why no event can later appear behind a sealed one:
--   1. xmax is read first: every xid below it is assigned; any transaction
--      that has no xid yet will get one >= xmax.
--   2. then the running transactions of this database are read (after
--      pg_stat_clear_snapshot(), so the backend list is read now). A
--      transaction of this database with an xid below the horizon is not
--      among them, so it has ended: its events are visible to the next
--      statement if it committed, and it can write no more.
--   3. every row carries its writer's top-level xid (txid), so "txid <
--      horizon" selects a set no transaction can add to any more.
-- Reading other sessions' xids needs pg_read_all_stats; without it the
-- function falls back to the cluster-wide snapshot xmin (always safe).

GRANT pg_read_all_stats TO otp_owner;

SET LOCAL ROLE otp_owner;

-- The horizon (see above): transactions of this database with txid below it
-- have all ended, and none that is yet to write can get an xid below it.
CREATE FUNCTION otp.audit_seal_horizon() RETURNS xid8
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    xmax xid8;
    xmax_b bigint;
    oldest xid8;
BEGIN
    xmax := pg_snapshot_xmax(pg_current_snapshot());
    IF NOT pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') THEN
        RETURN pg_snapshot_xmin(pg_current_snapshot());
    END IF;
    xmax_b := xmax::text::bigint;
    PERFORM pg_stat_clear_snapshot();
    -- running xids are 32-bit and within 2^31 of xmax: widen them against it
    SELECT min((xmax_b - ((xmax_b - s.x::text::bigint) % 4294967296 + 4294967296) % 4294967296)::text::xid8)
      INTO oldest
      FROM (SELECT a.backend_xid AS x FROM pg_stat_activity a
             WHERE a.datname = current_database() AND a.backend_xid IS NOT NULL
            UNION ALL
            SELECT p.transaction FROM pg_prepared_xacts p WHERE p.database = current_database()) s;
    RETURN coalesce(least(oldest, xmax), xmax);
END
$$;

-- As 040's, with the per-database horizon.
CREATE OR REPLACE FUNCTION otp_api.audit_seal(p_max_rows integer)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
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
        SELECT e.event_id, e.at,
               otp.audit_encoding_tail(e.event_id, e.at, e.actor, e.via_role, e.event, e.outcome,
                                       e.reason_code, e.client_app, e.client_addr, e.branch_code,
                                       e.contract_id, e.credential_id, e.request_id, e.details) AS tail
        FROM otp.audit_event e
        WHERE e.seq IS NULL AND e.txid < horizon
        ORDER BY pg_xact_commit_timestamp(e.xmin) NULLS FIRST, e.txid, e.event_id
        LIMIT p_max_rows
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
