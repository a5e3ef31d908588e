SET LOCAL ROLE otp_owner;

-- 020_token: the reference verifier's side of the database: reading a token
-- for verification, recording the outcome of a code, and the token life cycle
-- (provision, register / exchange, stop, PSKC import, bulk seeding, seed key
-- rotation). docs/VERIFIER.md explains the design; in short:
--
--  * A verify is two round trips. The verifier reads the token row through
--    otp_api.verifier_tokens (granted to otp_verifier only), unseals the seed
--    and checks the code in C, then makes ONE call to otp_api.verify_record.
--    That function changes the token with a single conditional UPDATE:
--      match:  last_step = step WHERE state = 'ACTIVE' AND last_step < step
--              (the counter never goes backwards: a replayed or concurrent
--              code finds the condition false and is recorded as REPLAY);
--      wrong:  failure_count + 1, LOCKED when it reaches the threshold,
--              WHERE state = 'ACTIVE' (the row lock lives only inside that
--              statement, so concurrent wrong codes can never push the count
--              past the threshold nor be evaluated after LOCKED).
--    No row lock is held while C computes.
--  * Seeds are AES-256-GCM blobs (otp/otp.h) sealed under a key file outside
--    the database; key_version says which. No SQL here ever sees a clear seed,
--    and no audit detail holds a seed, a code or a blob.
--  * Credentials provisioned for a contract whose token is already ACTIVE
--    (exchange), and vendor tokens imported from PSKC files and not yet
--    claimed by any contract (stock), wait in otp.pending_credential until
--    the customer registers one with a valid code.
--
-- SQLSTATE OD010 (ours): a one-time code was wrong (registration, stop).

-- Serials for new credential IDs (the check digit is computed in C by
-- otp_credential_make). Demo data may use any serial, so
-- otp_api.credential_serial_next skips serials already taken.
CREATE SEQUENCE otp.credential_serial MINVALUE 1 MAXVALUE 9999999 START 1000001 NO CYCLE;

-- Provisioned or imported credentials that are not any token's credential yet.
CREATE TABLE otp.pending_credential (
    credential_id text PRIMARY KEY CHECK (credential_id ~ '^[A-Z]{4}[0-9]{8}$'),
    contract_id   text UNIQUE REFERENCES otp.contract,  -- NULL: imported stock, not yet claimed
    seed          bytea NOT NULL,
    key_version   integer NOT NULL CHECK (key_version >= 1),
    algo          text NOT NULL DEFAULT 'sha1' CHECK (algo IN ('sha1', 'sha256', 'sha512')),
    digits        smallint NOT NULL DEFAULT 6 CHECK (digits BETWEEN 6 AND 8),
    period        smallint NOT NULL DEFAULT 30 CHECK (period BETWEEN 10 AND 120),
    failure_count integer NOT NULL DEFAULT 0 CHECK (failure_count >= 0),  -- wrong registration codes
    source        text NOT NULL CHECK (source IN ('provision', 'pskc')),
    vendor        text,
    vendor_serial text,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_by    text NOT NULL DEFAULT session_user,
    CHECK (source = 'pskc' OR contract_id IS NOT NULL)
);

ALTER TABLE otp.token ADD CONSTRAINT token_seed_version
    CHECK (seed IS NULL OR (key_version IS NOT NULL AND key_version >= 1));
-- Rotation walks the sealed seeds of one key version at a time.
CREATE INDEX token_key_version_idx ON otp.token (key_version, credential_id) WHERE seed IS NOT NULL;
-- Verification updates rows in place; leave room for HOT updates.
ALTER TABLE otp.token SET (fillfactor = 90);

-- Validate a sealed seed blob (format version 1, see otp/otp.h) without opening it.
CREATE FUNCTION otp.seed_blob_check(p_blob bytea, p_key_version integer) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = otp, pg_catalog, pg_temp
AS $$
BEGIN
    IF p_blob IS NULL OR length(p_blob) NOT BETWEEN 30 AND 157 OR get_byte(p_blob, 0) <> 1 THEN
        PERFORM otp.bad_input('sealed seed is not a version 1 AES-256-GCM blob');
    END IF;
    IF p_key_version IS NULL OR p_key_version < 1 THEN
        PERFORM otp.bad_input(format('invalid seed key version: %s', coalesce(p_key_version::text, '(null)')));
    END IF;
END
$$;

-- True when credential_id is some token's or some pending credential.
CREATE FUNCTION otp.credential_taken(p_credential text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = otp, pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM otp.token WHERE credential_id = p_credential)
        OR EXISTS (SELECT 1 FROM otp.pending_credential WHERE credential_id = p_credential)
$$;

---------------------------------------------------------------------------
-- Read views
---------------------------------------------------------------------------

-- One row per token with what a verification needs. The only view that
-- returns a token's sealed seed to a login: granted to otp_verifier alone.
CREATE VIEW otp_api.verifier_tokens AS
    SELECT t.token_id, t.contract_id, t.credential_id, t.state, t.seed, t.key_version, t.algo,
           t.digits, t.period, t.last_step, t.drift, t.failure_count,
           p.lock_threshold, p.window_steps,
           (t.state = 'LOCKED' AND p.auto_unlock_minutes IS NOT NULL
            AND t.locked_at + make_interval(mins => p.auto_unlock_minutes) <= now()) AS unlock_due
    FROM otp.token t CROSS JOIN otp.policy p;

-- Credentials waiting for registration (exchange and stock), for the verifier.
CREATE VIEW otp_api.verifier_pending AS
    SELECT pc.credential_id, pc.contract_id, pc.seed, pc.key_version, pc.algo, pc.digits, pc.period,
           pc.failure_count, p.lock_threshold, p.window_steps
    FROM otp.pending_credential pc CROSS JOIN otp.policy p;

-- Every sealed seed with its key version, for key rotation (administrators).
CREATE VIEW otp_api.sealed_seeds AS
    SELECT 'token'::text AS held_by, credential_id, key_version, seed
    FROM otp.token WHERE seed IS NOT NULL
    UNION ALL
    SELECT 'pending'::text, credential_id, key_version, seed
    FROM otp.pending_credential;

-- Tokens with a credential ID but no seed (the demo seeder leaves seeds out).
CREATE VIEW otp_api.seedless_tokens AS
    SELECT token_id, contract_id, credential_id, state
    FROM otp.token WHERE seed IS NULL AND credential_id IS NOT NULL;

GRANT SELECT ON otp_api.verifier_tokens, otp_api.verifier_pending TO otp_verifier;
GRANT SELECT ON otp_api.sealed_seeds, otp_api.seedless_tokens TO otp_admin;

---------------------------------------------------------------------------
-- Verification
---------------------------------------------------------------------------

-- Record what the verifier found for one code entry and apply it, in one
-- statement per case (see the top of this file). p_check is what C decided:
--   MATCH      the code matched step p_step (drift p_drift = step - now's step)
--   WRONG_CODE no step of the window matched
--   MALFORMED  not exactly `digits` digits (counted like a wrong code)
--   REPLAY     the code matched only steps already used
--   UNCHECKED  the token was not ACTIVE when read, so no code was computed
-- p_credential is the credential the code was checked against: if the token
-- was exchanged meanwhile, nothing is applied. Returns ok = true with ref =
-- the result (ACCEPTED, REJECTED, LOCKED, NOT_ACTIVE) and data = {reason,
-- failure_count, remaining, locked_now, auto_unlocked}. Every failure inserts an
-- otp.failure row; every call writes one 'otp.verify' audit event.
CREATE FUNCTION otp_api.verify_record(p_token_id bigint, p_credential text, p_step bigint, p_drift integer,
                                      p_check text, p_client text)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_verifier'];
    via text := otp.acting_role(allowed);
    thr integer;
    auto_min integer;
    v_contract text;
    v_state text;
    v_cred text;
    v_count integer;
    v_reason text;
    v_result text;
    v_unlocked boolean := false;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role('otp.verify', allowed);
    END IF;
    IF p_token_id IS NULL OR p_check IS NULL
       OR p_check NOT IN ('MATCH', 'WRONG_CODE', 'MALFORMED', 'REPLAY', 'UNCHECKED') THEN
        PERFORM otp.bad_input(format('invalid verification record: token %s, check %s',
                                     coalesce(p_token_id::text, '(null)'), coalesce(p_check, '(null)')),
                              'check is MATCH, WRONG_CODE, MALFORMED, REPLAY or UNCHECKED');
    END IF;
    IF p_check = 'MATCH' AND (p_step IS NULL OR p_step < 0 OR p_drift IS NULL) THEN
        PERFORM otp.bad_input('a MATCH needs the matched step and the drift');
    END IF;
    SELECT lock_threshold, auto_unlock_minutes INTO thr, auto_min FROM otp.policy;

    -- Optional automatic unlock (off by default: this bank unlocks at a branch).
    IF auto_min IS NOT NULL AND p_check <> 'UNCHECKED' THEN
        UPDATE otp.token SET state = 'ACTIVE', failure_count = 0, locked_at = NULL
        WHERE token_id = p_token_id AND credential_id = p_credential AND state = 'LOCKED'
          AND locked_at + make_interval(mins => auto_min) <= now()
        RETURNING contract_id INTO v_contract;
        IF FOUND THEN
            v_unlocked := true;
            PERFORM otp.audit('token.auto_unlock', 'success', via, NULL, v_contract, p_credential, NULL,
                              jsonb_build_object('after_minutes', auto_min));
        END IF;
    END IF;

    IF p_check = 'MATCH' THEN
        UPDATE otp.token SET last_step = p_step, drift = p_drift, failure_count = 0
        WHERE token_id = p_token_id AND credential_id = p_credential AND state = 'ACTIVE' AND last_step < p_step
        RETURNING contract_id INTO v_contract;
        IF FOUND THEN
            PERFORM otp.audit('otp.verify', 'success', via, NULL, v_contract, p_credential, NULL,
                              jsonb_build_object('result', 'ACCEPTED', 'drift', p_drift));
            RETURN ROW(true, '00000', 'ACCEPTED', 'ACCEPTED',
                       jsonb_build_object('reason', NULL, 'failure_count', 0, 'remaining', thr,
                                          'locked_now', false, 'auto_unlocked', v_unlocked))::otp_api.outcome;
        END IF;
    ELSIF p_check IN ('WRONG_CODE', 'MALFORMED') THEN
        UPDATE otp.token SET failure_count = failure_count + 1,
               state = CASE WHEN failure_count + 1 >= thr THEN 'LOCKED' ELSE state END,
               locked_at = CASE WHEN failure_count + 1 >= thr THEN clock_timestamp() ELSE locked_at END
        WHERE token_id = p_token_id AND credential_id = p_credential AND state = 'ACTIVE'
        RETURNING contract_id, failure_count, state INTO v_contract, v_count, v_state;
        IF FOUND THEN
            v_reason := p_check;
            v_result := CASE WHEN v_state = 'LOCKED' THEN 'LOCKED' ELSE 'REJECTED' END;
            INSERT INTO otp.failure (token_id, contract_id, reason, failure_no, client)
            VALUES (p_token_id, v_contract, v_reason, v_count, coalesce(p_client, ''));
            PERFORM otp.audit('otp.verify', 'refused', via, NULL, v_contract, p_credential, NULL,
                              jsonb_build_object('result', v_result, 'reason', v_reason, 'failure_no', v_count,
                                                 'locked_now', v_state = 'LOCKED'));
            RETURN ROW(true, '00000', v_result, v_result,
                       jsonb_build_object('reason', v_reason, 'failure_count', v_count,
                                          'remaining', greatest(thr - v_count, 0),
                                          'locked_now', v_state = 'LOCKED', 'auto_unlocked', v_unlocked))::otp_api.outcome;
        END IF;
    END IF;

    -- Nothing applied: replay, or the token is not (or no longer) ACTIVE.
    SELECT contract_id, state, credential_id, failure_count INTO v_contract, v_state, v_cred, v_count
    FROM otp.token WHERE token_id = p_token_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'OD002', MESSAGE = format('no token %s', p_token_id);
    END IF;
    IF v_state = 'LOCKED' THEN
        v_reason := 'LOCKED';
        v_result := 'LOCKED';
    ELSIF v_state = 'ACTIVE' AND v_cred IS NOT DISTINCT FROM p_credential AND p_check IN ('MATCH', 'REPLAY') THEN
        v_reason := 'REPLAY';	-- recorded, not counted: the code was right, only late
        v_result := 'REJECTED';
    ELSE
        v_reason := 'NOT_ACTIVE';	-- UNREGISTERED, STOPPED, or changed since it was read
        v_result := 'NOT_ACTIVE';
    END IF;
    INSERT INTO otp.failure (token_id, contract_id, reason, failure_no, client)
    VALUES (p_token_id, v_contract, v_reason, v_count, coalesce(p_client, ''));
    PERFORM otp.audit('otp.verify', 'refused', via, NULL, v_contract, p_credential, NULL,
                      jsonb_build_object('result', v_result, 'reason', v_reason, 'token_state', v_state));
    RETURN ROW(true, '00000', v_result, v_result,
               jsonb_build_object('reason', v_reason, 'failure_count', v_count,
                                  'remaining', CASE WHEN v_state = 'ACTIVE' THEN greatest(thr - v_count, 0) ELSE 0 END,
                                  'locked_now', false, 'auto_unlocked', v_unlocked))::otp_api.outcome;
END
$$;

---------------------------------------------------------------------------
-- Provisioning, registration, exchange, stop
---------------------------------------------------------------------------

-- The next free serial for a new credential ID with this prefix (the caller
-- adds the check digit and seals the seed with the ID as additional data).
-- Raises OD001 for callers other than administrators and the verifier.
CREATE FUNCTION otp_api.credential_serial_next(p_prefix text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    s bigint;
    lo text;
BEGIN
    IF otp.acting_role(ARRAY['otp_admin', 'otp_verifier']) IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'OD001',
            MESSAGE = format('credential serials are not available to %s (requires otp_admin or otp_verifier)', session_user);
    END IF;
    IF p_prefix IS NULL OR p_prefix !~ '^[A-Z]{4}$' THEN
        PERFORM otp.bad_input(format('invalid credential prefix: %s', coalesce(p_prefix, '(null)')),
                              'four upper-case letters, e.g. OTPD');
    END IF;
    LOOP
        s := nextval('otp.credential_serial');
        lo := p_prefix || lpad(s::text, 7, '0');
        -- any check digit: lo || '0' .. lo || '9' (':' sorts right after '9')
        EXIT WHEN NOT EXISTS (SELECT 1 FROM otp.token WHERE credential_id >= lo AND credential_id < lo || ':')
              AND NOT EXISTS (SELECT 1 FROM otp.pending_credential WHERE credential_id >= lo AND credential_id < lo || ':');
    END LOOP;
    RETURN s;
END
$$;

-- Store a newly provisioned credential for a contract: on the token itself
-- when it is UNREGISTERED (or the contract has no token row yet), as the
-- contract's pending credential when the token is ACTIVE (exchange; replaces
-- an earlier pending one). LOCKED and STOPPED tokens are refused (OD003), and
-- so is a contract under a fraud hold (OD006). The token stays as it is until
-- the customer registers the credential with a valid code.
CREATE FUNCTION otp_api.token_provision(p_contract text, p_credential text, p_seed bytea, p_key_version integer,
                                        p_algo text, p_digits integer, p_period integer)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_admin', 'otp_verifier'];
    via text := otp.acting_role(allowed);
    c otp.contract;
    t otp.token;
    mode text;
    replaced text;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role('token.provision', allowed);
    END IF;
    IF p_contract IS NULL OR p_contract !~ '^[0-9]{10}$' THEN
        PERFORM otp.bad_input(format('invalid contract ID: %s', coalesce(p_contract, '(null)')), 'ten digits');
    END IF;
    IF p_credential IS NULL OR p_credential !~ '^[A-Z]{4}[0-9]{8}$' THEN
        PERFORM otp.bad_input(format('invalid credential ID: %s', coalesce(p_credential, '(null)')),
                              'four upper-case letters and eight digits');
    END IF;
    PERFORM otp.seed_blob_check(p_seed, p_key_version);
    IF coalesce(p_algo, '') NOT IN ('sha1', 'sha256', 'sha512') OR coalesce(p_digits, 0) NOT BETWEEN 6 AND 8
       OR coalesce(p_period, 0) NOT BETWEEN 10 AND 120 THEN
        PERFORM otp.bad_input('token parameters out of range', 'algo sha1/sha256/sha512, 6 to 8 digits, period 10 to 120 s');
    END IF;
    SELECT * INTO c FROM otp.contract WHERE contract_id = p_contract;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'OD002', MESSAGE = format('no contract %s', p_contract);
    END IF;
    IF otp.credential_taken(p_credential) THEN
        PERFORM otp.bad_input(format('credential %s already exists', p_credential));
    END IF;
    SELECT * INTO t FROM otp.token WHERE contract_id = p_contract FOR UPDATE;
    IF EXISTS (SELECT 1 FROM otp.fraud_hold WHERE contract_id = p_contract AND lifted_at IS NULL) THEN
        RETURN otp.refuse('token.provision', 'OD006',
                          format('contract %s is under a fraud hold: no new credential', p_contract),
                          via, c.branch_code, p_contract, p_credential);
    END IF;
    IF t.token_id IS NULL OR t.state = 'UNREGISTERED' THEN
        mode := 'register';
        IF t.token_id IS NULL THEN
            INSERT INTO otp.token (contract_id, credential_id, state, seed, key_version, algo, digits, period)
            VALUES (p_contract, p_credential, 'UNREGISTERED', p_seed, p_key_version, p_algo, p_digits, p_period);
        ELSE
            replaced := t.credential_id;
            UPDATE otp.token SET credential_id = p_credential, seed = p_seed, key_version = p_key_version,
                   algo = p_algo, digits = p_digits, period = p_period, failure_count = 0, last_step = 0, drift = 0
            WHERE token_id = t.token_id;
        END IF;
        -- an exchange credential from before a RESET must not survive it
        DELETE FROM otp.pending_credential WHERE contract_id = p_contract;
    ELSIF t.state = 'ACTIVE' THEN
        mode := 'exchange';
        SELECT credential_id INTO replaced FROM otp.pending_credential WHERE contract_id = p_contract;
        DELETE FROM otp.pending_credential WHERE contract_id = p_contract;
        INSERT INTO otp.pending_credential (credential_id, contract_id, seed, key_version, algo, digits, period, source)
        VALUES (p_credential, p_contract, p_seed, p_key_version, p_algo, p_digits, p_period, 'provision');
    ELSE
        RETURN otp.refuse('token.provision', 'OD003',
                          format('the token of contract %s is %s: %s first', p_contract, t.state,
                                 CASE t.state WHEN 'LOCKED' THEN 'it must be unlocked at a branch'
                                              ELSE 'it must be reset at a branch' END),
                          via, c.branch_code, p_contract, p_credential);
    END IF;
    PERFORM otp.audit('token.provision', 'success', via, c.branch_code, p_contract, p_credential, NULL,
                      jsonb_build_object('mode', mode, 'key_version', p_key_version, 'algo', p_algo,
                                         'digits', p_digits, 'period', p_period, 'replaced', replaced));
    RETURN otp.success(format('credential %s provisioned for contract %s (%s)', p_credential, p_contract, mode),
                       p_credential, jsonb_build_object('mode', mode));
END
$$;

-- Register a credential for a contract (利用登録 / 交換): the verifier has
-- checked the customer's code against the credential's seed and passes the
-- matched step and drift; p_step NULL means the code was wrong. The credential
-- is the contract's UNREGISTERED token's own, the contract's pending exchange
-- credential (token ACTIVE), or an unclaimed imported one (token ACTIVE or
-- UNREGISTERED). Success makes it the token's credential, ACTIVE, atomically.
-- A wrong code counts against the credential; at the lock threshold the
-- credential is void (OD003) and a new one must be provisioned.
CREATE FUNCTION otp_api.token_register(p_contract text, p_credential text, p_step bigint, p_drift integer)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_verifier'];
    via text := otp.acting_role(allowed);
    ev constant text := 'token.register';
    c otp.contract;
    t otp.token;
    pc otp.pending_credential;
    src text;
    mode text;
    fails integer;
    thr integer;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role(ev, allowed);
    END IF;
    IF p_contract IS NULL OR p_contract !~ '^[0-9]{10}$' THEN
        PERFORM otp.bad_input(format('invalid contract ID: %s', coalesce(p_contract, '(null)')), 'ten digits');
    END IF;
    IF p_credential IS NULL OR p_credential !~ '^[A-Z]{4}[0-9]{8}$' THEN
        PERFORM otp.bad_input(format('invalid credential ID: %s', coalesce(p_credential, '(null)')));
    END IF;
    IF p_step IS NOT NULL AND (p_step < 0 OR p_drift IS NULL) THEN
        PERFORM otp.bad_input('a matched code needs its step and drift');
    END IF;
    SELECT * INTO c FROM otp.contract WHERE contract_id = p_contract;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'OD002', MESSAGE = format('no contract %s', p_contract);
    END IF;
    SELECT lock_threshold INTO thr FROM otp.policy;
    SELECT * INTO t FROM otp.token WHERE contract_id = p_contract FOR UPDATE;
    SELECT * INTO pc FROM otp.pending_credential WHERE credential_id = p_credential FOR UPDATE;
    IF t.token_id IS NOT NULL AND t.credential_id = p_credential AND t.state = 'UNREGISTERED' AND t.seed IS NOT NULL THEN
        src := 'token';
        mode := 'register';
        fails := t.failure_count;
    ELSIF pc.credential_id IS NOT NULL AND pc.contract_id = p_contract THEN
        src := 'pending';
        mode := 'exchange';
        fails := pc.failure_count;
        IF t.state IS DISTINCT FROM 'ACTIVE' THEN
            RETURN otp.refuse(ev, 'OD003',
                format('credential %s was provisioned to exchange an ACTIVE token; the token of contract %s is %s now: provision a new credential',
                       p_credential, p_contract, coalesce(t.state, 'missing')),
                via, c.branch_code, p_contract, p_credential);
        END IF;
    ELSIF pc.credential_id IS NOT NULL AND pc.contract_id IS NULL THEN
        src := 'pending';
        mode := 'stock';
        fails := pc.failure_count;
        IF t.token_id IS NOT NULL AND t.state NOT IN ('ACTIVE', 'UNREGISTERED') THEN
            RETURN otp.refuse(ev, 'OD003',
                format('the token of contract %s is %s: a new credential cannot be registered', p_contract, t.state),
                via, c.branch_code, p_contract, p_credential);
        END IF;
    ELSE
        RETURN otp.refuse(ev, 'OD002',
            format('credential %s is not waiting for registration by contract %s', p_credential, p_contract),
            via, c.branch_code, p_contract, p_credential);
    END IF;
    IF EXISTS (SELECT 1 FROM otp.fraud_hold WHERE contract_id = p_contract AND lifted_at IS NULL) THEN
        RETURN otp.refuse(ev, 'OD006', format('contract %s is under a fraud hold', p_contract),
                          via, c.branch_code, p_contract, p_credential);
    END IF;
    IF fails >= thr THEN
        RETURN otp.refuse(ev, 'OD003',
            format('credential %s is void after %s wrong codes: provision a new one', p_credential, fails),
            via, c.branch_code, p_contract, p_credential, NULL, jsonb_build_object('failures', fails));
    END IF;
    IF p_step IS NULL THEN
        IF src = 'token' THEN
            UPDATE otp.token SET failure_count = failure_count + 1 WHERE token_id = t.token_id;
        ELSE
            UPDATE otp.pending_credential SET failure_count = failure_count + 1 WHERE credential_id = p_credential;
        END IF;
        RETURN otp.refuse(ev, 'OD010',
            format('wrong code: credential %s is not registered (%s more wrong codes void it)', p_credential,
                   greatest(thr - fails - 1, 0)),
            via, c.branch_code, p_contract, p_credential, NULL,
            jsonb_build_object('mode', mode, 'failures', fails + 1, 'remaining', greatest(thr - fails - 1, 0)));
    END IF;
    IF src = 'token' THEN
        UPDATE otp.token SET state = 'ACTIVE', registered_at = clock_timestamp(), stopped_at = NULL,
               last_step = p_step, drift = p_drift, failure_count = 0, locked_at = NULL
        WHERE token_id = t.token_id;
    ELSE
        DELETE FROM otp.pending_credential WHERE credential_id = p_credential;
        IF t.token_id IS NULL THEN
            INSERT INTO otp.token (contract_id, credential_id, state, seed, key_version, algo, digits, period,
                                   last_step, drift, registered_at)
            VALUES (p_contract, pc.credential_id, 'ACTIVE', pc.seed, pc.key_version, pc.algo, pc.digits, pc.period,
                    p_step, p_drift, clock_timestamp());
        ELSE
            UPDATE otp.token SET credential_id = pc.credential_id, seed = pc.seed, key_version = pc.key_version,
                   algo = pc.algo, digits = pc.digits, period = pc.period, state = 'ACTIVE',
                   failure_count = 0, locked_at = NULL, last_step = p_step, drift = p_drift,
                   registered_at = clock_timestamp(), stopped_at = NULL
            WHERE token_id = t.token_id;
        END IF;
        -- a stock credential claimed by a contract voids that contract's own pending exchange
        DELETE FROM otp.pending_credential WHERE contract_id = p_contract;
    END IF;
    PERFORM otp.audit(ev, 'success', via, c.branch_code, p_contract, p_credential, NULL,
                      jsonb_build_object('mode', mode, 'previous_credential',
                                         CASE WHEN t.credential_id IS DISTINCT FROM p_credential THEN t.credential_id END,
                                         'vendor_serial', pc.vendor_serial, 'drift', p_drift));
    RETURN otp.success(format('credential %s registered for contract %s (%s)', p_credential, p_contract, mode),
                       p_credential, jsonb_build_object('mode', mode));
END
$$;

-- Stop the token (利用停止) after the verifier checked a code: p_step is the
-- matched step (it must be fresh, as for a verification). A pending exchange
-- credential of the contract is voided with it.
CREATE FUNCTION otp_api.token_stop(p_contract text, p_credential text, p_step bigint, p_drift integer)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_verifier'];
    via text := otp.acting_role(allowed);
    ev constant text := 'token.stop';
    c otp.contract;
    t otp.token;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role(ev, allowed);
    END IF;
    IF p_contract IS NULL OR p_contract !~ '^[0-9]{10}$' THEN
        PERFORM otp.bad_input(format('invalid contract ID: %s', coalesce(p_contract, '(null)')), 'ten digits');
    END IF;
    IF p_credential IS NULL OR p_step IS NULL OR p_step < 0 OR p_drift IS NULL THEN
        PERFORM otp.bad_input('stopping a token needs its credential and the step and drift of a matched code');
    END IF;
    SELECT * INTO c FROM otp.contract WHERE contract_id = p_contract;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'OD002', MESSAGE = format('no contract %s', p_contract);
    END IF;
    UPDATE otp.token SET state = 'STOPPED', stopped_at = clock_timestamp(), last_step = p_step, drift = p_drift,
           failure_count = 0
    WHERE contract_id = p_contract AND credential_id = p_credential AND state = 'ACTIVE' AND last_step < p_step
    RETURNING * INTO t;
    IF NOT FOUND THEN
        SELECT * INTO t FROM otp.token WHERE contract_id = p_contract;
        IF t.state = 'ACTIVE' AND t.credential_id = p_credential THEN
            INSERT INTO otp.failure (token_id, contract_id, reason, failure_no)
            VALUES (t.token_id, p_contract, 'REPLAY', t.failure_count);
            RETURN otp.refuse(ev, 'OD010', 'this code was already used: the token is not stopped',
                              via, c.branch_code, p_contract, p_credential);
        END IF;
        RETURN otp.refuse(ev, 'OD003',
                          format('the token of contract %s is %s: only an ACTIVE token can be stopped', p_contract,
                                 coalesce(t.state, 'missing')),
                          via, c.branch_code, p_contract, p_credential);
    END IF;
    DELETE FROM otp.pending_credential WHERE contract_id = p_contract;
    PERFORM otp.audit(ev, 'success', via, c.branch_code, p_contract, p_credential, NULL, '{}');
    RETURN otp.success(format('the token of contract %s is stopped', p_contract), p_credential);
END
$$;

---------------------------------------------------------------------------
-- Bulk seeding, import and key rotation (administrators)
---------------------------------------------------------------------------

-- Stage sealed seeds for seedless tokens in this transaction (a temporary
-- table dropped at commit); nothing changes until token_seed_apply.
CREATE FUNCTION otp_api.token_seed_stage(p_credentials text[], p_seeds bytea[], p_key_version integer)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_admin'];
    via text := otp.acting_role(allowed);
    n bigint;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role('token.provision_missing', allowed);
    END IF;
    IF p_credentials IS NULL OR p_seeds IS NULL OR cardinality(p_credentials) <> cardinality(p_seeds)
       OR p_key_version IS NULL OR p_key_version < 1 THEN
        PERFORM otp.bad_input('staging needs credentials and seeds of the same length and a key version');
    END IF;
    CREATE TEMPORARY TABLE IF NOT EXISTS seed_stage (
        credential_id text PRIMARY KEY, seed bytea NOT NULL, key_version integer NOT NULL
    ) ON COMMIT DROP;
    INSERT INTO pg_temp.seed_stage (credential_id, seed, key_version)
    SELECT u.c, u.s, p_key_version FROM unnest(p_credentials, p_seeds) AS u(c, s)
    WHERE u.c IS NOT NULL AND u.s IS NOT NULL AND length(u.s) BETWEEN 30 AND 157 AND get_byte(u.s, 0) = 1
    ON CONFLICT (credential_id) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN otp.success(format('%s seeds staged', n), n::text);
END
$$;

-- Give every staged seed to its token when that token still has no seed, in
-- one UPDATE; one audit event with the count.
CREATE FUNCTION otp_api.token_seed_apply()
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_admin'];
    via text := otp.acting_role(allowed);
    staged bigint;
    n bigint;
    versions jsonb;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role('token.provision_missing', allowed);
    END IF;
    IF to_regclass('pg_temp.seed_stage') IS NULL THEN
        PERFORM otp.bad_input('no seeds are staged in this transaction',
                              'call otp_api.token_seed_stage first, in the same transaction');
    END IF;
    EXECUTE 'SELECT count(*), jsonb_agg(DISTINCT key_version) FROM pg_temp.seed_stage' INTO staged, versions;
    EXECUTE 'UPDATE otp.token t SET seed = s.seed, key_version = s.key_version FROM pg_temp.seed_stage s'
            ' WHERE t.credential_id = s.credential_id AND t.seed IS NULL';
    GET DIAGNOSTICS n = ROW_COUNT;
    EXECUTE 'DROP TABLE pg_temp.seed_stage';
    PERFORM otp.audit('token.provision_missing', 'success', via, NULL, NULL, NULL, NULL,
                      jsonb_build_object('count', n, 'staged', staged, 'key_versions', versions));
    RETURN otp.success(format('%s seedless tokens given a seed', n), n::text,
                       jsonb_build_object('count', n, 'staged', staged));
END
$$;

-- Store credentials imported from a PSKC file as unclaimed stock (pending,
-- no contract). All or nothing: a credential that exists already raises OD004.
CREATE FUNCTION otp_api.token_import(p_credentials text[], p_seeds bytea[], p_key_version integer, p_algos text[],
                                     p_digits integer[], p_periods integer[], p_vendor_serials text[],
                                     p_vendor text, p_source text)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_admin'];
    via text := otp.acting_role(allowed);
    n integer := coalesce(cardinality(p_credentials), 0);
    i integer;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role('token.import', allowed);
    END IF;
    IF n = 0 OR cardinality(p_seeds) <> n OR cardinality(p_algos) <> n OR cardinality(p_digits) <> n
       OR cardinality(p_periods) <> n OR cardinality(p_vendor_serials) <> n THEN
        PERFORM otp.bad_input('import needs non-empty arrays of the same length');
    END IF;
    FOR i IN 1 .. n LOOP
        IF p_credentials[i] IS NULL OR p_credentials[i] !~ '^[A-Z]{4}[0-9]{8}$' THEN
            PERFORM otp.bad_input(format('invalid credential ID: %s', coalesce(p_credentials[i], '(null)')));
        END IF;
        PERFORM otp.seed_blob_check(p_seeds[i], p_key_version);
        IF otp.credential_taken(p_credentials[i]) THEN
            PERFORM otp.bad_input(format('credential %s already exists (serial %s)', p_credentials[i],
                                         coalesce(p_vendor_serials[i], '-')),
                                  'was this file imported before? nothing was imported');
        END IF;
    END LOOP;
    INSERT INTO otp.pending_credential (credential_id, contract_id, seed, key_version, algo, digits, period,
                                        source, vendor, vendor_serial)
    SELECT u.c, NULL, u.s, p_key_version, u.a, u.d, u.p, 'pskc', p_vendor, u.v
    FROM unnest(p_credentials, p_seeds, p_algos, p_digits, p_periods, p_vendor_serials) AS u(c, s, a, d, p, v);
    PERFORM otp.audit('token.import', 'success', via, NULL, NULL, NULL, NULL,
                      jsonb_build_object('count', n, 'source', p_source, 'vendor', p_vendor,
                                         'key_version', p_key_version,
                                         'first', p_credentials[1], 'last', p_credentials[n]));
    RETURN otp.success(format('%s credentials imported', n), n::text, jsonb_build_object('count', n));
END
$$;

-- Replace sealed seeds by the same seeds sealed under key p_new_version. A
-- row changes only while it still holds exactly the old blob under the old
-- version, so a batch can be re-run or race with anything. One audit event.
CREATE FUNCTION otp_api.seed_rekey(p_credentials text[], p_old_versions integer[], p_old_seeds bytea[],
                                   p_new_seeds bytea[], p_new_version integer)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_admin'];
    via text := otp.acting_role(allowed);
    n integer := coalesce(cardinality(p_credentials), 0);
    nt bigint;
    np bigint;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role('token.rekey', allowed);
    END IF;
    IF p_new_version IS NULL OR p_new_version < 1 OR cardinality(p_old_versions) <> n
       OR cardinality(p_old_seeds) <> n OR cardinality(p_new_seeds) <> n THEN
        PERFORM otp.bad_input('rekeying needs arrays of the same length and the new key version');
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(p_new_seeds) s WHERE s IS NULL OR length(s) NOT BETWEEN 30 AND 157
               OR get_byte(s, 0) <> 1) THEN
        PERFORM otp.bad_input('a new sealed seed is not a version 1 blob');
    END IF;
    UPDATE otp.token t SET seed = u.ns, key_version = p_new_version
    FROM unnest(p_credentials, p_old_versions, p_old_seeds, p_new_seeds) AS u(c, ov, os, ns)
    WHERE t.credential_id = u.c AND t.key_version = u.ov AND t.seed = u.os AND u.ov <> p_new_version;
    GET DIAGNOSTICS nt = ROW_COUNT;
    UPDATE otp.pending_credential t SET seed = u.ns, key_version = p_new_version
    FROM unnest(p_credentials, p_old_versions, p_old_seeds, p_new_seeds) AS u(c, ov, os, ns)
    WHERE t.credential_id = u.c AND t.key_version = u.ov AND t.seed = u.os AND u.ov <> p_new_version;
    GET DIAGNOSTICS np = ROW_COUNT;
    PERFORM otp.audit('token.rekey', 'success', via, NULL, NULL, NULL, NULL,
                      jsonb_build_object('tokens', nt, 'pending', np, 'submitted', n, 'key_version', p_new_version));
    RETURN otp.success(format('%s seeds re-sealed under key version %s', nt + np, p_new_version),
                       (nt + np)::text, jsonb_build_object('tokens', nt, 'pending', np));
END
$$;

-- Every otp_api function is executable by every group; each decides itself.
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
             WHERE p.pronamespace = 'otp_api'::regnamespace
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO otp_teller, otp_supervisor, otp_helpdesk, '
                       'otp_auditor, otp_admin, otp_verifier, otp_batch', f);
    END LOOP;
END
$$;
