-- 040_audit: the tamper-evident audit log.
--
-- Writers only append (otp.audit(), unchanged). A sealer (otp_api.audit_seal,
-- run by otp_batch through `otpctl audit seal --follow`) later gives every
-- event a gap-free sequence number and hash = SHA-256(prev_hash || encoding),
-- in commit order, only for rows whose transactions can no longer be in
-- progress. The encoding is specified in docs/AUDIT-FORMAT.md; the C
-- verifier (audit/) recomputes it from that document alone.
--
-- What this file does:
--  * replaces otp.audit_event by a table partitioned by month (Japan time)
--    with the sealing columns prev_hash and sealed_at, copying existing rows;
--  * makes it append-only: privileges (none for any group) and triggers
--    (UPDATE only for the sealer's one-time setting of seq/prev_hash/hash/
--    sealed_at from NULL; DELETE and TRUNCATE raise). A superuser can still
--    disable triggers and edit rows: that is what the chain detects;
--  * the chain head (one row), signed checkpoints, archive records, the
--    staff-to-contract table of the exception report;
--  * the API: audit_seal, audit_checkpoint_add, audit_archive_record,
--    staff_contract_set (outcome functions), audit_search and
--    audit_exceptions (read-only, auditors), and the views auditors read.
--
-- The migration refuses to run if an object of another migration depends on
-- the old otp.audit_event (a view would silently keep reading the old table).

SET LOCAL ROLE otp_owner;

DO $$
DECLARE
    deps text;
BEGIN
    SELECT string_agg(DISTINCT r.ev_class::regclass::text, ', ') INTO deps
    FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
    WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = 'otp.audit_event'::regclass
      AND r.ev_class <> 'otp_api.audit_events'::regclass;
    IF deps IS NOT NULL THEN
        RAISE EXCEPTION '040_audit replaces otp.audit_event, but these views depend on it: %', deps
            USING HINT = 'create views on otp.audit_event in a migration numbered after 040';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_constraint WHERE confrelid = 'otp.audit_event'::regclass) THEN
        RAISE EXCEPTION '040_audit replaces otp.audit_event, but a foreign key references it';
    END IF;
    IF EXISTS (SELECT 1 FROM otp.audit_event WHERE seq IS NOT NULL OR hash IS NOT NULL) THEN
        RAISE EXCEPTION '040_audit: otp.audit_event already has sealed rows';
    END IF;
END
$$;

DROP VIEW otp_api.audit_events;
ALTER TABLE otp.audit_event RENAME TO audit_event_v1;
ALTER TABLE otp.audit_event_v1 RENAME CONSTRAINT audit_event_pkey TO audit_event_v1_pkey;
ALTER INDEX otp.audit_event_seq_key RENAME TO audit_event_v1_seq_key;
ALTER INDEX otp.audit_at_idx RENAME TO audit_v1_at_idx;
ALTER INDEX otp.audit_contract_idx RENAME TO audit_v1_contract_idx;
ALTER INDEX otp.audit_actor_idx RENAME TO audit_v1_actor_idx;

-- The columns of 001_core plus the sealer's prev_hash and sealed_at. seq,
-- prev_hash, hash and sealed_at are NULL until sealed, then all set at once.
CREATE TABLE otp.audit_event (
    event_id      bigint NOT NULL DEFAULT nextval('otp.audit_event_event_id_seq'),
    txid          xid8 NOT NULL DEFAULT pg_current_xact_id(),
    at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor         text NOT NULL,
    via_role      text,
    event         text NOT NULL,
    outcome       text NOT NULL CHECK (outcome IN ('success', 'refused')),
    reason_code   text,
    client_app    text NOT NULL DEFAULT '',
    client_addr   inet,
    branch_code   text,
    contract_id   text,
    credential_id text,
    request_id    bigint,
    details       jsonb NOT NULL DEFAULT '{}',
    seq           bigint CHECK (seq > 0),
    prev_hash     bytea CHECK (length(prev_hash) = 32),
    hash          bytea CHECK (length(hash) = 32),
    sealed_at     timestamptz,
    CONSTRAINT audit_event_sealed_together CHECK (
        (seq IS NULL) = (hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL)
        AND (seq IS NULL) = (sealed_at IS NULL)),
    PRIMARY KEY (event_id, at)
) PARTITION BY RANGE (at);
ALTER SEQUENCE otp.audit_event_event_id_seq OWNED BY otp.audit_event.event_id;

-- Indexes of every partition. Search is keyset-paginated on (at, event_id)
-- within one filter; the unsealed index is what the sealer scans.
CREATE INDEX audit_at_idx ON otp.audit_event (at, event_id);
CREATE INDEX audit_seq_idx ON otp.audit_event (seq, event_id);
CREATE INDEX audit_unsealed_idx ON otp.audit_event (event_id) WHERE seq IS NULL;
CREATE INDEX audit_contract_idx ON otp.audit_event (contract_id, at, event_id) WHERE contract_id IS NOT NULL;
CREATE INDEX audit_credential_idx ON otp.audit_event (credential_id, at, event_id) WHERE credential_id IS NOT NULL;
CREATE INDEX audit_actor_idx ON otp.audit_event (actor, at, event_id);
CREATE INDEX audit_branch_idx ON otp.audit_event (branch_code, at, event_id) WHERE branch_code IS NOT NULL;
CREATE INDEX audit_event_type_idx ON otp.audit_event (event, at, event_id);
CREATE INDEX audit_refused_idx ON otp.audit_event (at, event_id) WHERE outcome = 'refused';
CREATE INDEX audit_request_idx ON otp.audit_event (request_id, at, event_id) WHERE request_id IS NOT NULL;

-- Rows whose month has no partition yet. Normally empty: the sealer keeps
-- partitions for this month and the next two. A month whose rows are here
-- cannot get its partition until they are moved (superuser, see docs/AUDIT.md).
CREATE TABLE otp.audit_event_default PARTITION OF otp.audit_event DEFAULT;

---------------------------------------------------------------------------
-- Append-only.
---------------------------------------------------------------------------

-- Raises for every UPDATE except the sealer's one-time setting of the
-- sealing columns from NULL (no other column may change, byte for byte),
-- and for every DELETE and TRUNCATE.
CREATE FUNCTION otp.audit_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    same otp.audit_event;
    old_ otp.audit_event;
BEGIN
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME LIKE 'audit\_event%' THEN
        old_ := OLD;
        same := NEW;
        same.seq := OLD.seq;
        same.prev_hash := OLD.prev_hash;
        same.hash := OLD.hash;
        same.sealed_at := OLD.sealed_at;
        IF OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL AND OLD.sealed_at IS NULL
           AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
           AND NEW.sealed_at IS NOT NULL
           AND same *= old_
           AND current_setting('otp.audit_sealing', true) = 'on' THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = 'audit events are append-only: only the sealer sets seq, prev_hash, hash and sealed_at, once';
    END IF;
    RAISE EXCEPTION USING ERRCODE = '42501',
        MESSAGE = format('%s is append-only: %s is not allowed', TG_TABLE_NAME, TG_OP);
END
$$;

CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON otp.audit_event
    FOR EACH ROW EXECUTE FUNCTION otp.audit_append_only();
-- Statement triggers are not inherited: every partition gets its own.
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON otp.audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION otp.audit_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON otp.audit_event_default
    FOR EACH STATEMENT EXECUTE FUNCTION otp.audit_append_only();

-- The partition of the Japan-time month containing p_at: its name, created
-- (empty, then attached, so inserts are never blocked) when missing.
CREATE FUNCTION otp.audit_partition_ensure(p_at timestamptz) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    m timestamp := date_trunc('month', p_at AT TIME ZONE 'Asia/Tokyo');
    lo timestamptz := m AT TIME ZONE 'Asia/Tokyo';
    hi timestamptz := (m + interval '1 month') AT TIME ZONE 'Asia/Tokyo';
    name text := format('audit_event_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM'));
BEGIN
    IF to_regclass('otp.' || name) IS NOT NULL THEN
        RETURN name;
    END IF;
    EXECUTE format('CREATE TABLE otp.%I (LIKE otp.audit_event INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
    EXECUTE format('ALTER TABLE otp.%I ADD CONSTRAINT %I CHECK (at >= %L AND at < %L)',
                   name, name || '_month', lo, hi);
    EXECUTE format('CREATE UNIQUE INDEX %I ON otp.%I (seq)', name || '_seq_key', name);
    EXECUTE format('CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON otp.%I'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION otp.audit_append_only()', name);
    EXECUTE format('ALTER TABLE otp.audit_event ATTACH PARTITION otp.%I FOR VALUES FROM (%L) TO (%L)',
                   name, lo, hi);
    RETURN name;
END
$$;

-- Partitions for this month and the next two; NULL, or why one could not be
-- made (the sealer reports it and tries again on its next pass).
CREATE FUNCTION otp.audit_partitions_ahead() RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    k integer;
    m timestamp;
BEGIN
    FOR k IN 0..2 LOOP
        m := date_trunc('month', clock_timestamp() AT TIME ZONE 'Asia/Tokyo') + k * interval '1 month';
        IF to_regclass(format('otp.audit_event_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM'))) IS NULL THEN
            BEGIN
                PERFORM set_config('lock_timeout', '2s', true);
                PERFORM otp.audit_partition_ensure(m AT TIME ZONE 'Asia/Tokyo');
            EXCEPTION WHEN OTHERS THEN
                RETURN format('cannot create the audit partition for %s: %s', to_char(m, 'YYYY-MM'), SQLERRM);
            END;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

-- Partitions for the months of the rows to copy, and for now .. now + 2 months.
DO $$
DECLARE
    m timestamptz;
BEGIN
    FOR m IN SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'Asia/Tokyo') AT TIME ZONE 'Asia/Tokyo'
             FROM otp.audit_event_v1 LOOP
        PERFORM otp.audit_partition_ensure(m);
    END LOOP;
    PERFORM otp.audit_partition_ensure(clock_timestamp() + k * interval '1 month') FROM generate_series(0, 2) k;
END
$$;

INSERT INTO otp.audit_event (event_id, txid, at, actor, via_role, event, outcome, reason_code, client_app,
                             client_addr, branch_code, contract_id, credential_id, request_id, details)
    SELECT event_id, txid, at, actor, via_role, event, outcome, reason_code, client_app,
           client_addr, branch_code, contract_id, credential_id, request_id, details
    FROM otp.audit_event_v1 ORDER BY event_id;
DROP TABLE otp.audit_event_v1;

---------------------------------------------------------------------------
-- The canonical encoding (docs/AUDIT-FORMAT.md, section 2). Every field is
-- F(bytes) = uint32 big-endian length || bytes, or FF FF FF FF for NULL;
-- integers are their 8 big-endian bytes, text is UTF-8.
---------------------------------------------------------------------------

CREATE FUNCTION otp.audit_field(b bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN b IS NULL THEN '\xffffffff'::bytea ELSE int4send(length(b)) || b END $$;

-- The first two fields: the format tag and the sequence number.
CREATE FUNCTION otp.audit_encoding_head(p_seq bigint) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT otp.audit_field(convert_to('otp-audit-v1', 'UTF8')) || otp.audit_field(int8send(p_seq)) $$;

-- The remaining fields, in the order of the format document.
CREATE FUNCTION otp.audit_encoding_tail(p_event_id bigint, p_at timestamptz, p_actor text, p_via_role text,
                                        p_event text, p_outcome text, p_reason_code text, p_client_app text,
                                        p_client_addr inet, p_branch_code text, p_contract_id text,
                                        p_credential_id text, p_request_id bigint, p_details jsonb)
RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT otp.audit_field(int8send(p_event_id))
        || otp.audit_field(int8send((extract(epoch FROM p_at) * 1000000)::bigint))
        || otp.audit_field(convert_to(p_actor, 'UTF8'))
        || otp.audit_field(convert_to(p_via_role, 'UTF8'))
        || otp.audit_field(convert_to(p_event, 'UTF8'))
        || otp.audit_field(convert_to(p_outcome, 'UTF8'))
        || otp.audit_field(convert_to(p_reason_code, 'UTF8'))
        || otp.audit_field(convert_to(p_client_app, 'UTF8'))
        || otp.audit_field(convert_to(text(p_client_addr), 'UTF8'))
        || otp.audit_field(convert_to(p_branch_code, 'UTF8'))
        || otp.audit_field(convert_to(p_contract_id, 'UTF8'))
        || otp.audit_field(convert_to(p_credential_id, 'UTF8'))
        || otp.audit_field(int8send(p_request_id))
        || otp.audit_field(convert_to(p_details::text, 'UTF8'))
$$;

-- The whole encoding of one event at sequence p_seq (tests, investigations).
CREATE FUNCTION otp.audit_encoding(p_seq bigint, e otp.audit_event) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT otp.audit_encoding_head(p_seq)
        || otp.audit_encoding_tail(e.event_id, e.at, e.actor, e.via_role, e.event, e.outcome, e.reason_code,
                                   e.client_app, e.client_addr, e.branch_code, e.contract_id,
                                   e.credential_id, e.request_id, e.details)
$$;

---------------------------------------------------------------------------
-- The chain head, checkpoints, archive records.
---------------------------------------------------------------------------

-- One row: the last sealed sequence number and its hash (0 and 32 zero
-- bytes, the genesis prev_hash, before the first event). Locked FOR UPDATE
-- by the sealer inside its own transaction only.
CREATE TABLE otp.audit_chain_head (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    seq         bigint NOT NULL CHECK (seq >= 0),
    hash        bytea NOT NULL CHECK (length(hash) = 32),
    sealed_at   timestamptz
);
INSERT INTO otp.audit_chain_head (seq, hash) VALUES (0, decode(repeat('00', 32), 'hex'));

CREATE FUNCTION otp.audit_head_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = otp, pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.seq >= OLD.seq AND current_setting('otp.audit_sealing', true) = 'on' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = format('the audit chain head allows no %s', TG_OP);
END
$$;
CREATE TRIGGER audit_chain_head_guard BEFORE UPDATE OR DELETE ON otp.audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION otp.audit_head_guard();
CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON otp.audit_chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION otp.audit_head_guard();

-- Signed checkpoints: {seq, hash, time, key id} signed with Ed25519 by
-- `otpctl audit checkpoint` (the key never reaches the database). The
-- message is the text line of docs/AUDIT-FORMAT.md section 4.
CREATE TABLE otp.audit_checkpoint (
    checkpoint_id bigserial PRIMARY KEY,
    seq           bigint NOT NULL CHECK (seq > 0),
    hash          bytea NOT NULL CHECK (length(hash) = 32),
    signed_at     timestamptz NOT NULL CHECK (signed_at = date_trunc('second', signed_at)),
    key_id        text NOT NULL CHECK (key_id ~ '^[0-9a-f]{16}$'),
    signature     bytea NOT NULL CHECK (length(signature) = 64),
    created_by    text NOT NULL DEFAULT session_user,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX audit_checkpoint_seq_idx ON otp.audit_checkpoint (seq);

-- Archived segments (`otpctl audit archive`): seq first_seq..last_seq are
-- in a file whose SHA-256 is recorded; partitions wholly inside archived
-- segments may be dropped (otp.audit_partition_drop).
CREATE TABLE otp.audit_archive (
    archive_id    bigserial PRIMARY KEY,
    before_month  date NOT NULL CHECK (extract(day FROM before_month) = 1),
    first_seq     bigint NOT NULL CHECK (first_seq > 0),
    last_seq      bigint NOT NULL,
    prev_hash     bytea NOT NULL CHECK (length(prev_hash) = 32),
    last_hash     bytea NOT NULL CHECK (length(last_hash) = 32),
    event_count   bigint NOT NULL,
    file_name     text NOT NULL,
    file_sha256   text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
    created_by    text NOT NULL DEFAULT session_user,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (last_seq >= first_seq AND event_count = last_seq - first_seq + 1)
);
CREATE UNIQUE INDEX audit_archive_first_idx ON otp.audit_archive (first_seq);

CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON otp.audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION otp.audit_append_only();
CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON otp.audit_checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION otp.audit_append_only();
CREATE TRIGGER audit_archive_append_only BEFORE UPDATE OR DELETE ON otp.audit_archive
    FOR EACH ROW EXECUTE FUNCTION otp.audit_append_only();
CREATE TRIGGER audit_archive_no_truncate BEFORE TRUNCATE ON otp.audit_archive
    FOR EACH STATEMENT EXECUTE FUNCTION otp.audit_append_only();

-- Staff members who are also customers: (login, contract) pairs kept by
-- administrators. The exception report lists every event a login made on
-- a contract linked to it. (Matching by name was rejected: staff display
-- names and customers' registered kanji names differ in form too often.)
CREATE TABLE otp.staff_contract (
    login         text NOT NULL REFERENCES otp.staff,
    contract_id   text NOT NULL REFERENCES otp.contract,
    created_by    text NOT NULL DEFAULT session_user,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (login, contract_id)
);
CREATE INDEX staff_contract_contract_idx ON otp.staff_contract (contract_id);

---------------------------------------------------------------------------
-- The sealer.
---------------------------------------------------------------------------

-- Seal up to p_max_rows events (otp_batch). Under the chain-head row lock,
-- taken in this transaction only, it takes the events whose writing
-- transaction is older than the snapshot's xmin (so finished, and no event
-- of such a transaction can appear later), orders them by commit time,
-- transaction and event_id, and gives them seq head+1, head+2, ... with
-- hash = sha256(prev_hash || encoding). data: sealed, last_seq, last_hash,
-- backlog (unsealed events left, counted up to 100000), oldest_unsealed,
-- note (partition maintenance trouble, else null).
CREATE FUNCTION otp_api.audit_seal(p_max_rows integer)
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
    -- Taken after the lock: every transaction below horizon has ended, and
    -- any transaction that writes later gets an xid >= horizon.
    horizon := pg_snapshot_xmin(pg_current_snapshot());
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

---------------------------------------------------------------------------
-- Checkpoints, archives, staff contracts (outcome functions).
---------------------------------------------------------------------------

-- Store a checkpoint signed by `otpctl audit checkpoint` (otp_batch,
-- otp_auditor). The database cannot check an Ed25519 signature; it checks
-- that seq is sealed with exactly this hash and that the time is current.
CREATE FUNCTION otp_api.audit_checkpoint_add(p_seq bigint, p_hash bytea, p_signed_at timestamptz,
                                             p_key_id text, p_signature bytea)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_batch', 'otp_auditor'];
    via text := otp.acting_role(allowed);
    id bigint;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role('audit.checkpoint', allowed);
    END IF;
    IF p_seq IS NULL OR p_hash IS NULL OR p_signed_at IS NULL OR p_key_id IS NULL OR p_signature IS NULL THEN
        PERFORM otp.bad_input('a checkpoint needs seq, hash, time, key id and signature');
    END IF;
    IF length(p_hash) <> 32 OR length(p_signature) <> 64 OR p_key_id !~ '^[0-9a-f]{16}$'
       OR p_signed_at <> date_trunc('second', p_signed_at) THEN
        PERFORM otp.bad_input('malformed checkpoint (hash 32 bytes, signature 64 bytes, key id 16 hex digits, whole seconds)');
    END IF;
    IF abs(extract(epoch FROM p_signed_at - clock_timestamp())) > 600 THEN
        PERFORM otp.bad_input(format('checkpoint time %s is more than 10 minutes from the server''s clock', p_signed_at));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM otp.audit_event WHERE seq = p_seq AND hash = p_hash) THEN
        PERFORM otp.bad_input(format('seq %s with this hash is not in the audit chain', p_seq));
    END IF;
    INSERT INTO otp.audit_checkpoint (seq, hash, signed_at, key_id, signature)
    VALUES (p_seq, p_hash, p_signed_at, p_key_id, p_signature) RETURNING checkpoint_id INTO id;
    PERFORM otp.audit('audit.checkpoint', 'success', via, NULL, NULL, NULL, NULL,
                      jsonb_build_object('seq', p_seq, 'hash', encode(p_hash, 'hex'), 'key_id', p_key_id));
    RETURN otp.success(format('checkpoint at seq %s stored', p_seq), id::text);
END
$$;

-- Record an archive segment written by `otpctl audit archive` (otp_auditor,
-- who alone reads the events): segments must follow each other without gap,
-- and the boundary hashes must be those of the chain.
CREATE FUNCTION otp_api.audit_archive_record(p_before date, p_first_seq bigint, p_last_seq bigint,
                                             p_prev_hash bytea, p_last_hash bytea, p_file_name text,
                                             p_file_sha256 text)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_auditor'];
    via text := otp.acting_role(allowed);
    prev otp.audit_archive;
    want_prev bytea;
    id bigint;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role('audit.archive', allowed);
    END IF;
    IF p_before IS NULL OR p_first_seq IS NULL OR p_last_seq IS NULL OR p_prev_hash IS NULL
       OR p_last_hash IS NULL OR coalesce(p_file_name, '') = '' OR p_file_sha256 IS NULL THEN
        PERFORM otp.bad_input('an archive record needs month, seq range, boundary hashes, file name and SHA-256');
    END IF;
    IF extract(day FROM p_before) <> 1 OR p_last_seq < p_first_seq OR p_file_sha256 !~ '^[0-9a-f]{64}$' THEN
        PERFORM otp.bad_input('malformed archive record');
    END IF;
    LOCK TABLE otp.audit_archive IN SHARE ROW EXCLUSIVE MODE;
    SELECT * INTO prev FROM otp.audit_archive ORDER BY last_seq DESC LIMIT 1;
    IF p_first_seq <> coalesce(prev.last_seq, 0) + 1 THEN
        PERFORM otp.bad_input(format('the segment must start at seq %s', coalesce(prev.last_seq, 0) + 1));
    END IF;
    want_prev := CASE WHEN prev.archive_id IS NULL THEN decode(repeat('00', 32), 'hex') ELSE prev.last_hash END;
    IF p_prev_hash <> want_prev
       OR NOT EXISTS (SELECT 1 FROM otp.audit_event WHERE seq = p_last_seq AND hash = p_last_hash) THEN
        PERFORM otp.bad_input('the segment''s boundary hashes are not those of the chain');
    END IF;
    INSERT INTO otp.audit_archive (before_month, first_seq, last_seq, prev_hash, last_hash, event_count,
                                   file_name, file_sha256)
    VALUES (p_before, p_first_seq, p_last_seq, p_prev_hash, p_last_hash, p_last_seq - p_first_seq + 1,
            p_file_name, p_file_sha256)
    RETURNING archive_id INTO id;
    PERFORM otp.audit('audit.archive', 'success', via, NULL, NULL, NULL, NULL,
                      jsonb_build_object('before', p_before, 'first_seq', p_first_seq, 'last_seq', p_last_seq,
                                         'file', p_file_name, 'sha256', p_file_sha256));
    RETURN otp.success(format('archive of seq %s..%s recorded', p_first_seq, p_last_seq), id::text);
END
$$;

-- Link (p_add) or unlink a staff login and a contract it holds as a customer (otp_admin).
CREATE FUNCTION otp_api.staff_contract_set(p_login text, p_contract text, p_add boolean)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_admin'];
    via text := otp.acting_role(allowed);
    b text;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role('staff.contract', allowed);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM otp.staff WHERE login = p_login) THEN
        RAISE EXCEPTION USING ERRCODE = 'OD002', MESSAGE = format('unknown staff login: %s', coalesce(p_login, '(null)'));
    END IF;
    SELECT branch_code INTO b FROM otp.contract WHERE contract_id = p_contract;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'OD002', MESSAGE = format('unknown contract: %s', coalesce(p_contract, '(null)'));
    END IF;
    IF coalesce(p_add, true) THEN
        INSERT INTO otp.staff_contract (login, contract_id) VALUES (p_login, p_contract) ON CONFLICT DO NOTHING;
    ELSE
        DELETE FROM otp.staff_contract WHERE login = p_login AND contract_id = p_contract;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'OD002',
                MESSAGE = format('%s is not linked to contract %s', p_login, p_contract);
        END IF;
    END IF;
    PERFORM otp.audit('staff.contract', 'success', via, b, p_contract, NULL, NULL,
                      jsonb_build_object('login', p_login, 'add', coalesce(p_add, true)));
    RETURN otp.success(format('%s %s contract %s', p_login,
                              CASE WHEN coalesce(p_add, true) THEN 'linked to' ELSE 'unlinked from' END, p_contract),
                       p_login);
END
$$;

---------------------------------------------------------------------------
-- Retention (superuser / owner only: not granted to any group).
---------------------------------------------------------------------------

-- Drop the partition of the Japan-time month containing p_month once every
-- one of its events is sealed and inside a recorded archive segment.
CREATE FUNCTION otp.audit_partition_drop(p_month date) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    m timestamp := date_trunc('month', p_month::timestamp);
    name text := format('audit_event_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM'));
    archived bigint;
    unsealed bigint;
    last_seq bigint;
    rows_ bigint;
BEGIN
    IF to_regclass('otp.' || name) IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'OD002', MESSAGE = format('no audit partition %s', name);
    END IF;
    SELECT coalesce(max(a.last_seq), 0) INTO archived FROM otp.audit_archive a;
    EXECUTE format('SELECT count(*) FILTER (WHERE seq IS NULL), max(seq), count(*) FROM otp.%I', name)
        INTO unsealed, last_seq, rows_;
    IF unsealed > 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'OD003', MESSAGE = format('%s has %s unsealed events', name, unsealed);
    END IF;
    IF coalesce(last_seq, 0) > archived THEN
        RAISE EXCEPTION USING ERRCODE = 'OD003',
            MESSAGE = format('%s holds events up to seq %s but archives end at seq %s', name, last_seq, archived),
            HINT = 'run otpctl audit archive --before the following month first';
    END IF;
    EXECUTE format('ALTER TABLE otp.audit_event DETACH PARTITION otp.%I', name);
    EXECUTE format('DROP TABLE otp.%I', name);
    PERFORM otp.audit('audit.partition_drop', 'success', NULL, NULL, NULL, NULL, NULL,
                      jsonb_build_object('partition', name, 'events', rows_, 'last_seq', last_seq));
    RETURN format('%s dropped (%s events, all archived)', name, rows_);
END
$$;

---------------------------------------------------------------------------
-- What auditors (and the batch) read.
---------------------------------------------------------------------------

CREATE VIEW otp_api.audit_events AS
    SELECT event_id, seq, at, actor, via_role, event, outcome, reason_code, client_app,
           client_addr, branch_code, contract_id, credential_id, request_id, details,
           prev_hash, hash, sealed_at
    FROM otp.audit_event;

CREATE VIEW otp_api.audit_chain_head AS
    SELECT h.seq, h.hash, h.sealed_at,
           (SELECT count(*) FROM otp.audit_event e WHERE e.seq IS NULL) AS unsealed,
           (SELECT min(e.at) FROM otp.audit_event e WHERE e.seq IS NULL) AS oldest_unsealed
    FROM otp.audit_chain_head h;

CREATE VIEW otp_api.audit_checkpoints AS
    SELECT checkpoint_id, seq, hash, signed_at, extract(epoch FROM signed_at)::bigint AS signed_epoch,
           key_id, signature, created_by, created_at
    FROM otp.audit_checkpoint;

CREATE VIEW otp_api.audit_archives AS
    SELECT archive_id, before_month, first_seq, last_seq, prev_hash, last_hash, event_count,
           file_name, file_sha256, created_by, created_at
    FROM otp.audit_archive;

CREATE VIEW otp_api.staff_contracts AS
    SELECT login, contract_id, created_by, created_at FROM otp.staff_contract;

GRANT SELECT ON otp_api.audit_events TO otp_auditor;
GRANT SELECT ON otp_api.audit_chain_head, otp_api.audit_checkpoints, otp_api.audit_archives
    TO otp_auditor, otp_batch;
GRANT SELECT ON otp_api.staff_contracts TO otp_admin, otp_auditor;

-- Search (auditors): events matching every non-NULL filter, newest first
-- (p_order 'newest', keyset after (p_after_at, p_after_id)) or in chain
-- order (p_order 'seq': sealed events by seq, then unsealed by event_id).
-- Each filter has an index on (filter, at, event_id). NULL p_limit: all.
-- Not an auditor: raises OD001 (a read changes nothing, so nothing to audit).
CREATE FUNCTION otp_api.audit_search(p_from timestamptz, p_to timestamptz, p_contract text, p_credential text,
                                     p_actor text, p_branch text, p_event text, p_outcome text,
                                     p_after_at timestamptz, p_after_id bigint, p_limit integer,
                                     p_order text DEFAULT 'newest')
RETURNS SETOF otp_api.audit_events
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    q text := 'SELECT * FROM otp_api.audit_events WHERE true';
BEGIN
    IF otp.acting_role(ARRAY['otp_auditor']) IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'OD001', MESSAGE = 'searching the audit log requires otp_auditor';
    END IF;
    IF p_order IS NULL OR p_order NOT IN ('newest', 'seq') THEN
        PERFORM otp.bad_input('order must be newest or seq');
    END IF;
    IF p_outcome IS NOT NULL AND p_outcome NOT IN ('success', 'refused') THEN
        PERFORM otp.bad_input('outcome must be success or refused');
    END IF;
    IF p_limit IS NOT NULL AND p_limit < 1 THEN
        PERFORM otp.bad_input('limit must be positive');
    END IF;
    -- Fixed fragments only; every value is a parameter ($1..$11).
    IF p_from IS NOT NULL THEN q := q || ' AND at >= $1'; END IF;
    IF p_to IS NOT NULL THEN q := q || ' AND at < $2'; END IF;
    IF p_contract IS NOT NULL THEN q := q || ' AND contract_id = $3'; END IF;
    IF p_credential IS NOT NULL THEN q := q || ' AND credential_id = $4'; END IF;
    IF p_actor IS NOT NULL THEN q := q || ' AND actor = $5'; END IF;
    IF p_branch IS NOT NULL THEN q := q || ' AND branch_code = $6'; END IF;
    IF p_event IS NOT NULL THEN q := q || ' AND event = $7'; END IF;
    IF p_outcome IS NOT NULL THEN q := q || ' AND outcome = $8'; END IF;
    IF p_order = 'newest' THEN
        IF p_after_at IS NOT NULL THEN q := q || ' AND (at, event_id) < ($9, $10)'; END IF;
        q := q || ' ORDER BY at DESC, event_id DESC';
    ELSE
        q := q || ' ORDER BY seq NULLS LAST, event_id';
    END IF;
    IF p_limit IS NOT NULL THEN q := q || ' LIMIT $11'; END IF;
    RETURN QUERY EXECUTE q USING p_from, p_to, p_contract, p_credential, p_actor, p_branch, p_event,
                                 p_outcome, p_after_at, coalesce(p_after_id, 0), p_limit;
END
$$;

-- The exception report (auditors) for events with p_from <= at < p_to:
--   self_approval       refused with OD005 (dual control)
--   privilege           refused with OD001 (not permitted)
--   off_hours           staff actions outside weekdays 08:45-17:15 Japan time
--                       or on a day that is not a business day of the branch
--   unapproved_execute  request.execute success without an earlier
--                       request.approve success for the same request (must be 0)
--   self_approved       request.approve success by the request's submitter (must be 0)
--   overdue             rows of otp_api.requests_overdue (current state)
--   failure_burst       p_burst_failures failed codes of one contract within
--                       p_burst_minutes (one row where the count is reached)
--   own_contract        events by a staff login on a contract linked to it
--                       in otp.staff_contract
-- Not an auditor: raises OD001.
CREATE FUNCTION otp_api.audit_exceptions(p_from timestamptz, p_to timestamptz,
                                         p_burst_failures integer DEFAULT 5, p_burst_minutes integer DEFAULT 10)
RETURNS TABLE (kind text, at timestamptz, seq bigint, event_id bigint, actor text, branch_code text,
               contract_id text, request_id bigint, event text, detail text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    win interval;
    ov record;
BEGIN
    IF otp.acting_role(ARRAY['otp_auditor']) IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'OD001', MESSAGE = 'the exception report requires otp_auditor';
    END IF;
    IF p_from IS NULL OR p_to IS NULL OR p_to <= p_from THEN
        PERFORM otp.bad_input('the report needs a time range with from < to');
    END IF;
    IF p_burst_failures IS NULL OR p_burst_failures < 2 OR p_burst_minutes IS NULL OR p_burst_minutes < 1 THEN
        PERFORM otp.bad_input('a failure burst is at least 2 failures within at least 1 minute');
    END IF;
    win := make_interval(mins => p_burst_minutes);

    RETURN QUERY
    WITH ev AS (
        SELECT * FROM otp.audit_event e WHERE e.at >= p_from AND e.at < p_to
    ),
    service AS (  -- logins of the service groups: their events are not branch work
        SELECT me.rolname::text AS login FROM pg_auth_members m
        JOIN pg_roles gr ON gr.oid = m.roleid JOIN pg_roles me ON me.oid = m.member
        WHERE gr.rolname IN ('otp_batch', 'otp_verifier')
    ),
    staff_ev AS (
        SELECT e.*, (e.at AT TIME ZONE 'Asia/Tokyo') AS local,
               coalesce((SELECT b.code FROM otp.branch b WHERE b.code = e.branch_code),
                        (SELECT s.branch_code FROM otp.staff s WHERE s.login = e.actor)) AS cal_branch
        FROM ev e
        WHERE coalesce(e.via_role, '') NOT IN ('otp_batch', 'otp_verifier')
          AND e.actor NOT IN (SELECT login FROM service)
    ),
    hours_days AS (   -- business-day lookups once per (day, branch)
        SELECT DISTINCT s.local::date AS day, s.cal_branch FROM staff_ev s
        WHERE extract(isodow FROM s.local) < 6
          AND s.local::time >= time '08:45' AND s.local::time < time '17:15'
    ),
    closed AS (
        SELECT d.day, d.cal_branch FROM hours_days d
        WHERE NOT otp.is_business_day(d.day, d.cal_branch)
    )
    SELECT 'self_approval'::text, e.at, e.seq, e.event_id, e.actor, e.branch_code, e.contract_id,
           e.request_id, e.event, coalesce(e.details ->> 'message', '')
    FROM ev e WHERE e.outcome = 'refused' AND e.reason_code = 'OD005'
    UNION ALL
    SELECT 'privilege', e.at, e.seq, e.event_id, e.actor, e.branch_code, e.contract_id,
           e.request_id, e.event, coalesce(e.details ->> 'message', '')
    FROM ev e WHERE e.outcome = 'refused' AND e.reason_code = 'OD001'
    UNION ALL
    SELECT 'off_hours', s.at, s.seq, s.event_id, s.actor, s.branch_code, s.contract_id,
           s.request_id, s.event,
           format('%s Japan time%s', to_char(s.local, 'Dy YYYY-MM-DD HH24:MI'),
                  CASE WHEN extract(isodow FROM s.local) >= 6 THEN ', weekend'
                       WHEN s.local::time < time '08:45' OR s.local::time >= time '17:15' THEN ', outside 08:45-17:15'
                       ELSE ', not a business day of branch ' || coalesce(s.cal_branch, '(national calendar)') END)
    FROM staff_ev s
    WHERE extract(isodow FROM s.local) >= 6
       OR s.local::time < time '08:45' OR s.local::time >= time '17:15'
       OR EXISTS (SELECT 1 FROM closed c WHERE c.day = s.local::date
                  AND c.cal_branch IS NOT DISTINCT FROM s.cal_branch)
    UNION ALL
    SELECT 'unapproved_execute', x.at, x.seq, x.event_id, x.actor, x.branch_code, x.contract_id,
           x.request_id, x.event, 'executed without an earlier approval'
    FROM ev x
    WHERE x.event = 'request.execute' AND x.outcome = 'success'
      AND NOT EXISTS (SELECT 1 FROM otp.audit_event a
                      WHERE a.request_id = x.request_id AND a.event = 'request.approve'
                        AND a.outcome = 'success' AND (a.at, a.event_id) < (x.at, x.event_id))
    UNION ALL
    SELECT 'self_approved', a.at, a.seq, a.event_id, a.actor, a.branch_code, a.contract_id,
           a.request_id, a.event, 'approved by the login that submitted it'
    FROM ev a
    WHERE a.event = 'request.approve' AND a.outcome = 'success' AND a.request_id IS NOT NULL
      AND EXISTS (SELECT 1 FROM otp.audit_event sub
                  WHERE sub.request_id = a.request_id AND sub.event = 'request.submit'
                    AND sub.outcome = 'success' AND sub.actor = a.actor)
    UNION ALL
    SELECT 'failure_burst', f.at, NULL::bigint, NULL::bigint, NULL::text, c.branch_code, f.contract_id,
           NULL::bigint, 'otp.failure',
           format('%s failed codes within %s minutes (failure_id %s, %s)', p_burst_failures, p_burst_minutes,
                  f.failure_id, f.reason)
    FROM (SELECT f0.*, count(*) OVER (PARTITION BY f0.contract_id ORDER BY f0.at
                                      RANGE BETWEEN win PRECEDING AND CURRENT ROW) AS n
          FROM otp.failure f0 WHERE f0.at >= p_from - win AND f0.at < p_to) f
    JOIN otp.contract c ON c.contract_id = f.contract_id
    WHERE f.n = p_burst_failures AND f.at >= p_from
    UNION ALL
    SELECT 'own_contract', e.at, e.seq, e.event_id, e.actor, e.branch_code, e.contract_id,
           e.request_id, e.event, format('%s acted on a contract linked to their own login', e.actor)
    FROM ev e JOIN otp.staff_contract sc ON sc.login = e.actor AND sc.contract_id = e.contract_id
    ORDER BY 2, 4;

    -- Read as jsonb so that a column added to the workflow's view (030) cannot break the report.
    IF to_regclass('otp_api.requests_overdue') IS NOT NULL THEN
        FOR ov IN EXECUTE 'SELECT to_jsonb(r) AS j FROM otp_api.requests_overdue r ORDER BY r.request_id' LOOP
            kind := 'overdue';
            at := (ov.j ->> 'received_at')::timestamptz;
            seq := NULL;
            event_id := NULL;
            actor := ov.j ->> 'submitted_by';
            branch_code := ov.j ->> 'branch_code';
            contract_id := ov.j ->> 'contract_id';
            request_id := (ov.j ->> 'request_id')::bigint;
            event := 'request.' || lower(coalesce(ov.j ->> 'state', 'open'));
            detail := format('%s %s %s, due %s', ov.j ->> 'receipt_no', ov.j ->> 'kind', ov.j ->> 'state',
                             ov.j ->> 'due');
            RETURN NEXT;
        END LOOP;
    END IF;
END
$$;

-- Every staff group may call every API function; the function decides.
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
             WHERE p.pronamespace = 'otp_api'::regnamespace
               AND p.proname IN ('audit_seal', 'audit_checkpoint_add', 'audit_archive_record',
                                 'staff_contract_set', 'audit_search', 'audit_exceptions')
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO otp_teller, otp_supervisor, otp_helpdesk, '
                       'otp_auditor, otp_admin, otp_verifier, otp_batch', f);
    END LOOP;
END
$$;
