-- 002_api: the SQL API's building blocks (role check, audit writer, refusal),
-- the read views staff use, and the administration functions.
--
-- Conventions every API function follows:
--  * SECURITY DEFINER, owned by otp_owner, search_path pinned to otp, pg_catalog, pg_temp;
--  * first statement: otp.acting_role(ARRAY[...groups allowed...]); NULL means
--    refused: the function writes a 'refused' audit event and returns an
--    outcome with ok = false and an OD-class SQLSTATE. (A raised error would
--    roll the refusal's audit event back with it.)
--  * invalid input (malformed ID, unknown contract) raises an OD-class error
--    and changes nothing;
--  * success writes a 'success' audit event in the same transaction and
--    returns an outcome with ok = true.
--
-- SQLSTATEs of class OD:
--   OD001 not permitted for the caller's roles     OD004 invalid input
--   OD002 not found                                 OD005 dual control violated
--   OD003 wrong state for this action               OD006 blocked by a fraud hold

SET LOCAL ROLE otp_owner;

CREATE TYPE otp_api.outcome AS (
    ok       boolean,
    code     text,      -- '00000' on success, else an OD-class SQLSTATE
    message  text,
    ref      text,      -- what the action created or touched (receipt no., login, ...)
    data     jsonb
);
GRANT USAGE ON TYPE otp_api.outcome TO otp_teller, otp_supervisor, otp_helpdesk, otp_auditor,
    otp_admin, otp_verifier, otp_batch;

-- The group roles of otpdesk, in the order acting_role() prefers them.
CREATE FUNCTION otp.group_roles() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ARRAY['otp_admin', 'otp_supervisor', 'otp_teller', 'otp_helpdesk',
                   'otp_auditor', 'otp_verifier', 'otp_batch'] $$;

-- The first of `allowed` that session_user (an active staff member) belongs
-- to, or NULL when none: the one place that decides who may do what.
CREATE FUNCTION otp.acting_role(allowed text[]) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    g text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM otp.staff WHERE login = session_user AND active) THEN
        RETURN NULL;
    END IF;
    FOREACH g IN ARRAY allowed LOOP
        IF EXISTS (SELECT 1 FROM pg_auth_members m
                   JOIN pg_roles gr ON gr.oid = m.roleid
                   JOIN pg_roles me ON me.oid = m.member
                   WHERE gr.rolname = g AND me.rolname = session_user) THEN
            RETURN g;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

-- The groups session_user belongs to (direct membership, as staff are granted).
CREATE FUNCTION otp.my_groups() RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(gr.rolname ORDER BY array_position(otp.group_roles(), gr.rolname::text)), '{}')
    FROM pg_auth_members m
    JOIN pg_roles gr ON gr.oid = m.roleid
    JOIN pg_roles me ON me.oid = m.member
    WHERE me.rolname = session_user AND gr.rolname = ANY (otp.group_roles())
$$;

-- Which branch's customers session_user may see: '*' for all (head office,
-- helpdesk, auditors, administrators, services), a branch code, or '' (none:
-- not an active staff member).
CREATE FUNCTION otp.my_scope() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    s otp.staff;
    ho boolean;
BEGIN
    SELECT * INTO s FROM otp.staff WHERE login = session_user AND active;
    IF NOT FOUND THEN
        RETURN '';
    END IF;
    IF otp.my_groups() && ARRAY['otp_helpdesk', 'otp_auditor', 'otp_admin', 'otp_verifier', 'otp_batch'] THEN
        RETURN '*';
    END IF;
    SELECT head_office INTO ho FROM otp.branch WHERE code = s.branch_code;
    RETURN CASE WHEN ho THEN '*' ELSE s.branch_code END;
END
$$;

-- Append one audit event. Only SECURITY DEFINER API functions call this.
CREATE FUNCTION otp.audit(p_event text, p_outcome text, p_via_role text,
                          p_branch text DEFAULT NULL, p_contract text DEFAULT NULL,
                          p_credential text DEFAULT NULL, p_request bigint DEFAULT NULL,
                          p_details jsonb DEFAULT '{}', p_reason_code text DEFAULT NULL)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
    INSERT INTO otp.audit_event (actor, via_role, event, outcome, reason_code, client_app,
                                 client_addr, branch_code, contract_id, credential_id,
                                 request_id, details)
    VALUES (session_user, p_via_role, p_event, p_outcome, p_reason_code,
            coalesce(current_setting('application_name', true), ''), inet_client_addr(),
            p_branch, p_contract, p_credential, p_request, coalesce(p_details, '{}'));
$$;

-- Record a refusal and build the outcome returned to the caller.
CREATE FUNCTION otp.refuse(p_event text, p_code text, p_message text, p_via_role text DEFAULT NULL,
                           p_branch text DEFAULT NULL, p_contract text DEFAULT NULL,
                           p_credential text DEFAULT NULL, p_request bigint DEFAULT NULL,
                           p_details jsonb DEFAULT '{}')
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM otp.audit(p_event, 'refused', p_via_role, p_branch, p_contract, p_credential,
                      p_request, coalesce(p_details, '{}') || jsonb_build_object('message', p_message),
                      p_code);
    RETURN ROW(false, p_code, p_message, NULL, '{}'::jsonb)::otp_api.outcome;
END
$$;

-- The refusal every function gives a caller outside its groups.
CREATE FUNCTION otp.refuse_role(p_event text, p_allowed text[]) RETURNS otp_api.outcome
LANGUAGE sql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
    SELECT otp.refuse(p_event, 'OD001',
        format('%s is not permitted for %s (requires %s)', p_event, session_user,
               array_to_string(p_allowed, ' or ')),
        NULL, NULL, NULL, NULL, NULL,
        jsonb_build_object('groups', to_jsonb(otp.my_groups())));
$$;

CREATE FUNCTION otp.success(p_message text, p_ref text DEFAULT NULL, p_data jsonb DEFAULT '{}')
RETURNS otp_api.outcome
LANGUAGE sql IMMUTABLE
AS $$ SELECT ROW(true, '00000', p_message, p_ref, coalesce(p_data, '{}'))::otp_api.outcome $$;

CREATE FUNCTION otp.bad_input(p_message text, p_hint text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'OD004', MESSAGE = p_message, HINT = coalesce(p_hint, '');
END
$$;

---------------------------------------------------------------------------
-- Read views. Owned by otp_owner, so they read the tables with the owner's
-- rights; each filters rows to what session_user may see.
---------------------------------------------------------------------------

GRANT EXECUTE ON FUNCTION otp.group_roles(), otp.my_groups(), otp.my_scope()
    TO otp_teller, otp_supervisor, otp_helpdesk, otp_auditor, otp_admin, otp_verifier, otp_batch;

CREATE VIEW otp_api.whoami AS
    SELECT s.login, s.display_name, s.branch_code, b.name AS branch_name, b.name_en AS branch_name_en,
           array_to_string(otp.my_groups(), ',') AS roles, otp.my_scope() AS scope
    FROM otp.staff s JOIN otp.branch b ON b.code = s.branch_code
    WHERE s.login = session_user AND s.active;

CREATE VIEW otp_api.branches AS
    SELECT code, name, name_en, head_office, cutoff, active FROM otp.branch;

CREATE VIEW otp_api.branch_closing_days AS
    SELECT branch_code, day, reason, created_by, created_at FROM otp.branch_closing_day;

CREATE VIEW otp_api.policy AS
    SELECT lock_threshold, window_steps, cutoff, auto_unlock_minutes, idle_lock_minutes,
           updated_at, updated_by
    FROM otp.policy;

-- Contracts with their token, as a teller/helpdesk sees them. Never the seed.
CREATE VIEW otp_api.contracts WITH (security_barrier) AS
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
    LEFT JOIN otp.fraud_hold h ON h.contract_id = c.contract_id AND h.lifted_at IS NULL
    WHERE (SELECT otp.my_scope()) IN ('*', c.branch_code);

CREATE VIEW otp_api.failures WITH (security_barrier) AS
    SELECT f.failure_id, f.contract_id, f.at, f.reason, f.failure_no, f.client
    FROM otp.failure f
    JOIN otp.contract c ON c.contract_id = f.contract_id
    WHERE (SELECT otp.my_scope()) IN ('*', c.branch_code);

CREATE VIEW otp_api.staff AS
    SELECT s.login, s.display_name, s.branch_code, s.active, s.created_at, s.created_by,
           array_to_string(ARRAY(
               SELECT gr.rolname FROM pg_auth_members m
               JOIN pg_roles gr ON gr.oid = m.roleid JOIN pg_roles me ON me.oid = m.member
               WHERE me.rolname = s.login AND gr.rolname = ANY (otp.group_roles())
               ORDER BY gr.rolname), ',') AS roles
    FROM otp.staff s;

CREATE VIEW otp_api.audit_events AS
    SELECT event_id, seq, at, actor, via_role, event, outcome, reason_code, client_app,
           client_addr, branch_code, contract_id, credential_id, request_id, details
    FROM otp.audit_event;

GRANT SELECT ON otp_api.whoami, otp_api.branches, otp_api.branch_closing_days, otp_api.policy
    TO otp_teller, otp_supervisor, otp_helpdesk, otp_auditor, otp_admin, otp_verifier, otp_batch;
GRANT SELECT ON otp_api.contracts, otp_api.failures
    TO otp_teller, otp_supervisor, otp_helpdesk, otp_auditor, otp_admin;
GRANT SELECT ON otp_api.staff TO otp_admin, otp_auditor, otp_supervisor;
GRANT SELECT ON otp_api.audit_events TO otp_auditor;

---------------------------------------------------------------------------
-- Administration (otp_admin).
---------------------------------------------------------------------------

-- Create a staff login in the given groups. The password arrives as a SCRAM
-- verifier computed by the client (PQencryptPasswordConn), so the clear text
-- never reaches the server or its logs.
CREATE FUNCTION otp_api.staff_create(p_login text, p_display_name text, p_branch text,
                                     p_groups text[], p_scram text)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_admin'];
    via text := otp.acting_role(allowed);
    g text;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role('staff.create', allowed);
    END IF;
    IF p_login IS NULL OR p_login !~ '^[a-z][a-z0-9_]{2,40}$' THEN
        PERFORM otp.bad_input(format('invalid login name: %s', coalesce(p_login, '(null)')),
                              'lowercase letters, digits and _, 3 to 41 characters, starting with a letter');
    END IF;
    IF p_display_name IS NULL OR length(btrim(p_display_name)) = 0 THEN
        PERFORM otp.bad_input('display name is empty');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM otp.branch WHERE code = p_branch) THEN
        PERFORM otp.bad_input(format('unknown branch: %s', coalesce(p_branch, '(null)')));
    END IF;
    IF p_groups IS NULL OR cardinality(p_groups) = 0 OR NOT (p_groups <@ otp.group_roles()) THEN
        PERFORM otp.bad_input('groups must be a non-empty subset of ' || array_to_string(otp.group_roles(), ', '));
    END IF;
    IF p_scram IS NULL OR p_scram !~ '^SCRAM-SHA-256\$' THEN
        PERFORM otp.bad_input('password must be given as a SCRAM-SHA-256 verifier');
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_login) OR
       EXISTS (SELECT 1 FROM otp.staff WHERE login = p_login) THEN
        PERFORM otp.bad_input(format('login %s already exists', p_login));
    END IF;
    EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', p_login, p_scram);
    FOREACH g IN ARRAY p_groups LOOP
        EXECUTE format('GRANT %I TO %I', g, p_login);
    END LOOP;
    INSERT INTO otp.staff (login, display_name, branch_code) VALUES (p_login, btrim(p_display_name), p_branch);
    PERFORM otp.audit('staff.create', 'success', via, p_branch, NULL, NULL, NULL,
                      jsonb_build_object('login', p_login, 'groups', to_jsonb(p_groups)));
    RETURN otp.success(format('staff login %s created', p_login), p_login);
END
$$;

-- Activate or deactivate a staff login (deactivation also removes LOGIN).
CREATE FUNCTION otp_api.staff_set_active(p_login text, p_active boolean)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_admin'];
    via text := otp.acting_role(allowed);
    s otp.staff;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role('staff.set_active', allowed);
    END IF;
    SELECT * INTO s FROM otp.staff WHERE login = p_login FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'OD002', MESSAGE = format('unknown staff login: %s', coalesce(p_login, '(null)'));
    END IF;
    IF p_active IS NULL THEN
        PERFORM otp.bad_input('active must be true or false');
    END IF;
    IF p_login = session_user AND NOT p_active THEN
        RETURN otp.refuse('staff.set_active', 'OD005', 'an administrator cannot deactivate their own login', via,
                          s.branch_code, NULL, NULL, NULL, jsonb_build_object('login', p_login));
    END IF;
    UPDATE otp.staff SET active = p_active WHERE login = p_login;
    EXECUTE format('ALTER ROLE %I %s', p_login, CASE WHEN p_active THEN 'LOGIN' ELSE 'NOLOGIN' END);
    PERFORM otp.audit('staff.set_active', 'success', via, s.branch_code, NULL, NULL, NULL,
                      jsonb_build_object('login', p_login, 'active', p_active));
    RETURN otp.success(format('staff login %s %s', p_login, CASE WHEN p_active THEN 'activated' ELSE 'deactivated' END), p_login);
END
$$;

-- Replace a staff login's groups. Nobody changes their own groups.
CREATE FUNCTION otp_api.staff_set_groups(p_login text, p_groups text[])
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_admin'];
    via text := otp.acting_role(allowed);
    s otp.staff;
    g text;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role('staff.set_groups', allowed);
    END IF;
    SELECT * INTO s FROM otp.staff WHERE login = p_login FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'OD002', MESSAGE = format('unknown staff login: %s', coalesce(p_login, '(null)'));
    END IF;
    IF p_groups IS NULL OR cardinality(p_groups) = 0 OR NOT (p_groups <@ otp.group_roles()) THEN
        PERFORM otp.bad_input('groups must be a non-empty subset of ' || array_to_string(otp.group_roles(), ', '));
    END IF;
    IF p_login = session_user THEN
        RETURN otp.refuse('staff.set_groups', 'OD005', 'nobody may change their own groups', via,
                          s.branch_code, NULL, NULL, NULL, jsonb_build_object('login', p_login));
    END IF;
    FOREACH g IN ARRAY otp.group_roles() LOOP
        IF g = ANY (p_groups) THEN
            EXECUTE format('GRANT %I TO %I', g, p_login);
        ELSE
            EXECUTE format('REVOKE %I FROM %I', g, p_login);
        END IF;
    END LOOP;
    PERFORM otp.audit('staff.set_groups', 'success', via, s.branch_code, NULL, NULL, NULL,
                      jsonb_build_object('login', p_login, 'groups', to_jsonb(p_groups)));
    RETURN otp.success(format('groups of %s set', p_login), p_login);
END
$$;

-- Set a staff login's password (SCRAM verifier): an administrator for anyone,
-- any active staff member for their own login.
CREATE FUNCTION otp_api.staff_set_password(p_login text, p_scram text)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    via text := otp.acting_role(ARRAY['otp_admin']);
    s otp.staff;
BEGIN
    IF via IS NULL AND p_login IS DISTINCT FROM session_user::text THEN
        RETURN otp.refuse_role('staff.set_password', ARRAY['otp_admin']);
    END IF;
    IF via IS NULL THEN
        via := otp.acting_role(otp.group_roles());
        IF via IS NULL THEN
            RETURN otp.refuse_role('staff.set_password', ARRAY['otp_admin']);
        END IF;
    END IF;
    SELECT * INTO s FROM otp.staff WHERE login = p_login;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'OD002', MESSAGE = format('unknown staff login: %s', coalesce(p_login, '(null)'));
    END IF;
    IF p_scram IS NULL OR p_scram !~ '^SCRAM-SHA-256\$' THEN
        PERFORM otp.bad_input('password must be given as a SCRAM-SHA-256 verifier');
    END IF;
    EXECUTE format('ALTER ROLE %I PASSWORD %L', p_login, p_scram);
    PERFORM otp.audit('staff.set_password', 'success', via, s.branch_code, NULL, NULL, NULL,
                      jsonb_build_object('login', p_login));
    RETURN otp.success(format('password of %s changed', p_login), p_login);
END
$$;

-- Create or update a branch.
CREATE FUNCTION otp_api.branch_upsert(p_code text, p_name text, p_name_en text,
                                      p_head_office boolean, p_cutoff time)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_admin'];
    via text := otp.acting_role(allowed);
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role('branch.upsert', allowed);
    END IF;
    IF p_code IS NULL OR p_code !~ '^[0-9]{3}$' THEN
        PERFORM otp.bad_input(format('invalid branch code: %s', coalesce(p_code, '(null)')), 'three digits, e.g. 012');
    END IF;
    IF coalesce(length(btrim(p_name)), 0) = 0 OR coalesce(length(btrim(p_name_en)), 0) = 0 THEN
        PERFORM otp.bad_input('branch names (Japanese and English) are required');
    END IF;
    INSERT INTO otp.branch (code, name, name_en, head_office, cutoff)
    VALUES (p_code, btrim(p_name), btrim(p_name_en), coalesce(p_head_office, false), p_cutoff)
    ON CONFLICT (code) DO UPDATE
        SET name = EXCLUDED.name, name_en = EXCLUDED.name_en,
            head_office = EXCLUDED.head_office, cutoff = EXCLUDED.cutoff;
    PERFORM otp.audit('branch.upsert', 'success', via, p_code, NULL, NULL, NULL,
                      jsonb_build_object('name', p_name, 'name_en', p_name_en,
                                         'head_office', coalesce(p_head_office, false), 'cutoff', p_cutoff));
    RETURN otp.success(format('branch %s saved', p_code), p_code);
END
$$;

-- Add (p_add = true) or remove a branch's own closing day.
CREATE FUNCTION otp_api.branch_closing_day_set(p_branch text, p_day date, p_add boolean, p_reason text)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_admin'];
    via text := otp.acting_role(allowed);
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role('branch.closing_day', allowed);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM otp.branch WHERE code = p_branch) THEN
        RAISE EXCEPTION USING ERRCODE = 'OD002', MESSAGE = format('unknown branch: %s', coalesce(p_branch, '(null)'));
    END IF;
    IF p_day IS NULL THEN
        PERFORM otp.bad_input('closing day is required');
    END IF;
    IF coalesce(p_add, true) THEN
        IF coalesce(length(btrim(p_reason)), 0) = 0 THEN
            PERFORM otp.bad_input('a reason is required for a closing day');
        END IF;
        INSERT INTO otp.branch_closing_day (branch_code, day, reason, created_by)
        VALUES (p_branch, p_day, btrim(p_reason), session_user)
        ON CONFLICT (branch_code, day) DO UPDATE SET reason = EXCLUDED.reason;
    ELSE
        DELETE FROM otp.branch_closing_day WHERE branch_code = p_branch AND day = p_day;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'OD002',
                MESSAGE = format('branch %s has no closing day on %s', p_branch, p_day);
        END IF;
    END IF;
    PERFORM otp.audit('branch.closing_day', 'success', via, p_branch, NULL, NULL, NULL,
                      jsonb_build_object('day', p_day, 'add', coalesce(p_add, true), 'reason', p_reason));
    RETURN otp.success(format('closing day %s of branch %s %s', p_day, p_branch,
                              CASE WHEN coalesce(p_add, true) THEN 'saved' ELSE 'removed' END), p_branch);
END
$$;

-- Change the policy; NULL leaves a setting as it is, except auto-unlock,
-- where p_auto_unlock_minutes = 0 turns it off.
CREATE FUNCTION otp_api.policy_set(p_lock_threshold integer, p_window_steps integer, p_cutoff time,
                                   p_auto_unlock_minutes integer, p_idle_lock_minutes integer)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_admin'];
    via text := otp.acting_role(allowed);
    old otp.policy;
    new otp.policy;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role('policy.set', allowed);
    END IF;
    IF p_lock_threshold IS NOT NULL AND p_lock_threshold NOT BETWEEN 1 AND 10 THEN
        PERFORM otp.bad_input(format('lock threshold %s is outside 1..10', p_lock_threshold));
    END IF;
    IF p_window_steps IS NOT NULL AND p_window_steps NOT BETWEEN 0 AND 10 THEN
        PERFORM otp.bad_input(format('window %s is outside 0..10 steps', p_window_steps));
    END IF;
    IF p_auto_unlock_minutes IS NOT NULL AND p_auto_unlock_minutes NOT BETWEEN 0 AND 10080 THEN
        PERFORM otp.bad_input(format('auto-unlock %s minutes is outside 0..10080', p_auto_unlock_minutes));
    END IF;
    IF p_idle_lock_minutes IS NOT NULL AND p_idle_lock_minutes NOT BETWEEN 1 AND 60 THEN
        PERFORM otp.bad_input(format('idle lock %s minutes is outside 1..60', p_idle_lock_minutes));
    END IF;
    SELECT * INTO old FROM otp.policy FOR UPDATE;
    UPDATE otp.policy SET
        lock_threshold = coalesce(p_lock_threshold, lock_threshold),
        window_steps = coalesce(p_window_steps, window_steps),
        cutoff = coalesce(p_cutoff, cutoff),
        auto_unlock_minutes = CASE WHEN p_auto_unlock_minutes IS NULL THEN auto_unlock_minutes
                                   WHEN p_auto_unlock_minutes = 0 THEN NULL
                                   ELSE p_auto_unlock_minutes END,
        idle_lock_minutes = coalesce(p_idle_lock_minutes, idle_lock_minutes),
        updated_at = clock_timestamp(), updated_by = session_user
    RETURNING * INTO new;
    PERFORM otp.audit('policy.set', 'success', via, NULL, NULL, NULL, NULL,
                      jsonb_build_object('before', to_jsonb(old) - 'id', 'after', to_jsonb(new) - 'id'));
    RETURN otp.success('policy updated');
END
$$;

-- Every staff group may call every API function; the function itself decides
-- (so that a refusal is audited rather than rejected by the catalog).
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
