-- 001_core: roles, schemas and the core tables of otpdesk.
--
-- The database is the security boundary. An owner role (NOLOGIN) owns every
-- object; the group roles below get no INSERT/UPDATE/DELETE/TRUNCATE on any
-- table. They read through views in schema otp_api and change data only through
-- SECURITY DEFINER functions in otp_api that check session_user's membership and
-- write an audit event in the same transaction (002_api.sql).
--
-- Roles are cluster-wide: this file creates them only when missing, so several
-- databases (the demo and each test run) share one set of group roles.

DO $$
DECLARE
    r text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'otp_owner') THEN
        CREATE ROLE otp_owner NOLOGIN CREATEROLE;
    END IF;
    FOREACH r IN ARRAY ARRAY['otp_teller', 'otp_supervisor', 'otp_helpdesk', 'otp_auditor',
                             'otp_admin', 'otp_verifier', 'otp_batch']
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT', r);
        END IF;
    END LOOP;
END
$$;

-- The owner may grant the group roles to staff logins (staff_create).
GRANT otp_teller, otp_supervisor, otp_helpdesk, otp_auditor, otp_admin, otp_verifier, otp_batch
    TO otp_owner WITH ADMIN OPTION;

DO $$
BEGIN
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO otp_owner', current_database());
    EXECUTE format('GRANT CREATE ON DATABASE %I TO otp_owner', current_database());
    -- Branch hours, cutoffs and the dates staff see are Japan time.
    EXECUTE format('ALTER DATABASE %I SET timezone TO %L', current_database(), 'Asia/Tokyo');
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO otp_teller, otp_supervisor, otp_helpdesk, '
                   'otp_auditor, otp_admin, otp_verifier, otp_batch', current_database());
END
$$;
REVOKE ALL ON SCHEMA public FROM PUBLIC;

CREATE SCHEMA otp AUTHORIZATION otp_owner;      -- tables: nobody but the owner
CREATE SCHEMA otp_api AUTHORIZATION otp_owner;  -- views and functions staff use

SET LOCAL ROLE otp_owner;
ALTER DEFAULT PRIVILEGES FOR ROLE otp_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE otp_owner REVOKE USAGE ON TYPES FROM PUBLIC;
GRANT USAGE ON SCHEMA otp_api TO otp_teller, otp_supervisor, otp_helpdesk, otp_auditor,
    otp_admin, otp_verifier, otp_batch;

CREATE TABLE otp.branch (
    code          text PRIMARY KEY CHECK (code ~ '^[0-9]{3}$'),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    name_en       text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 60),
    head_office   boolean NOT NULL DEFAULT false,
    cutoff        time,             -- NULL: the policy's cutoff applies
    active        boolean NOT NULL DEFAULT true
);

-- Per-branch closing days beyond the national calendar (e.g. relocation).
CREATE TABLE otp.branch_closing_day (
    branch_code   text NOT NULL REFERENCES otp.branch,
    day           date NOT NULL,
    reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (branch_code, day)
);

-- One row per staff login role; the role itself holds password and groups.
CREATE TABLE otp.staff (
    login         text PRIMARY KEY CHECK (login ~ '^[a-z][a-z0-9_]{2,40}$'),
    display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 60),
    branch_code   text NOT NULL REFERENCES otp.branch,
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_by    text NOT NULL DEFAULT session_user
);

CREATE TABLE otp.contract (
    contract_id   text PRIMARY KEY CHECK (contract_id ~ '^[0-9]{10}$'),
    name_kanji    text NOT NULL CHECK (length(name_kanji) BETWEEN 1 AND 60),
    name_kana     text NOT NULL CHECK (length(name_kana) BETWEEN 1 AND 60),
    address       text NOT NULL DEFAULT '',
    branch_code   text NOT NULL REFERENCES otp.branch,
    opened        date NOT NULL
);
-- Kana prefix search with keyset pagination: (name_kana, contract_id).
CREATE INDEX contract_kana_idx ON otp.contract (name_kana, contract_id);
CREATE INDEX contract_branch_idx ON otp.contract (branch_code);

-- A contract's software token. One row per contract; RESET returns it to
-- UNREGISTERED. The seed columns are filled by the verifier migration.
CREATE TABLE otp.token (
    token_id      bigserial PRIMARY KEY,
    contract_id   text NOT NULL UNIQUE REFERENCES otp.contract,
    credential_id text UNIQUE CHECK (credential_id ~ '^[A-Z]{4}[0-9]{8}$'),
    state         text NOT NULL DEFAULT 'UNREGISTERED'
                  CHECK (state IN ('UNREGISTERED', 'ACTIVE', 'LOCKED', 'STOPPED')),
    failure_count integer NOT NULL DEFAULT 0 CHECK (failure_count >= 0),
    locked_at     timestamptz,
    last_step     bigint NOT NULL DEFAULT 0,
    drift         integer NOT NULL DEFAULT 0,
    registered_at timestamptz,
    stopped_at    timestamptz,
    seed          bytea,            -- AES-256-GCM blob (verifier issue)
    key_version   integer,
    algo          text NOT NULL DEFAULT 'sha1' CHECK (algo IN ('sha1', 'sha256', 'sha512')),
    digits        smallint NOT NULL DEFAULT 6 CHECK (digits BETWEEN 6 AND 8),
    period        smallint NOT NULL DEFAULT 30 CHECK (period BETWEEN 10 AND 120),
    CHECK ((state = 'LOCKED') = (locked_at IS NOT NULL)),
    CHECK (state = 'UNREGISTERED' OR credential_id IS NOT NULL)
);

-- Failed code entries (wrong code, replay, attempts on a locked token).
CREATE TABLE otp.failure (
    failure_id    bigserial PRIMARY KEY,
    token_id      bigint NOT NULL REFERENCES otp.token,
    contract_id   text NOT NULL,
    at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    reason        text NOT NULL CHECK (reason IN ('WRONG_CODE', 'REPLAY', 'MALFORMED', 'LOCKED', 'NOT_ACTIVE')),
    failure_no    integer,          -- the counter after this failure
    client        text NOT NULL DEFAULT ''
);
CREATE INDEX failure_contract_idx ON otp.failure (contract_id, at DESC, failure_id DESC);

-- Fraud holds block branch unlocks until lifted.
CREATE TABLE otp.fraud_hold (
    hold_id       bigserial PRIMARY KEY,
    contract_id   text NOT NULL REFERENCES otp.contract,
    reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    set_by        text NOT NULL,
    set_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    lifted_by     text,
    lifted_at     timestamptz,
    lift_reason   text
);
CREATE UNIQUE INDEX fraud_hold_open_idx ON otp.fraud_hold (contract_id) WHERE lifted_at IS NULL;

-- The bank's policy: exactly one row.
CREATE TABLE otp.policy (
    id                  boolean PRIMARY KEY DEFAULT true CHECK (id),
    lock_threshold      integer NOT NULL DEFAULT 5 CHECK (lock_threshold BETWEEN 1 AND 10),
    window_steps        integer NOT NULL DEFAULT 1 CHECK (window_steps BETWEEN 0 AND 10),
    cutoff              time NOT NULL DEFAULT '15:00',
    auto_unlock_minutes integer CHECK (auto_unlock_minutes IS NULL OR auto_unlock_minutes BETWEEN 1 AND 10080),
    idle_lock_minutes   integer NOT NULL DEFAULT 5 CHECK (idle_lock_minutes BETWEEN 1 AND 60),
    updated_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_by          text NOT NULL DEFAULT session_user
);
INSERT INTO otp.policy DEFAULT VALUES;

-- The audit log. Writers only append (otp.audit()); chaining (seq, hash) is
-- assigned later by a sealer in commit order (audit issue), so the business
-- transaction never waits on a chain head. txid tells the sealer which rows
-- may still belong to a transaction in progress.
CREATE TABLE otp.audit_event (
    event_id      bigserial PRIMARY KEY,
    txid          xid8 NOT NULL DEFAULT pg_current_xact_id(),
    at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor         text NOT NULL,
    via_role      text,             -- the group role the action was done as
    event         text NOT NULL,
    outcome       text NOT NULL CHECK (outcome IN ('success', 'refused')),
    reason_code   text,             -- SQLSTATE of a refusal
    client_app    text NOT NULL DEFAULT '',
    client_addr   inet,
    branch_code   text,
    contract_id   text,
    credential_id text,
    request_id    bigint,
    details       jsonb NOT NULL DEFAULT '{}',
    seq           bigint UNIQUE,    -- chain position, assigned by the sealer
    hash          bytea
);
CREATE INDEX audit_at_idx ON otp.audit_event (at, event_id);
CREATE INDEX audit_contract_idx ON otp.audit_event (contract_id, event_id) WHERE contract_id IS NOT NULL;
CREATE INDEX audit_actor_idx ON otp.audit_event (actor, event_id);
