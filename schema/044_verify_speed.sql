SET LOCAL ROLE otp_owner;

-- 044_verify_speed: less work per verification (docs/VERIFIER.md, section 8).
--
-- Every verification writes one audit event and updates one token row; the
-- sealer later updates the event again (a non-HOT update: every index of the
-- partition gets a second entry). What was measured to cost, and what this
-- file does about it, keeping every property (race-free counters, every
-- verification audited in its own transaction, the chain, indexed search):
--
--  * otp.audit_event had two indexes on seq: the unique (seq) index of every
--    monthly partition (040's audit_partition_ensure) and the parent's
--    (seq, event_id). seq is unique, so the second only repeated the first.
--    It is dropped; the default partition, which had no unique seq index,
--    gets one, so seq order and lookups by seq stay indexed everywhere.
--  * The primary key was (event_id, at) and a second index (at, event_id)
--    served time-range search. One unique (at, event_id) does both: the
--    sealer's lookups give both columns, and nothing looks an event up by
--    event_id alone (the unsealed window has its own partial index). So the
--    key becomes (at, event_id) and audit_at_idx goes. Each event (and each
--    seal of it) now touches eight indexes instead of ten.
--  * otp.token is updated in place by every verification. With 020's
--    fillfactor 90 a page of ~40 token rows had room for about four new row
--    versions; after that updates left the page (non-HOT: four index
--    entries each). Fillfactor 70, and the table rewritten once so existing
--    pages get the room too.
--  * verify_record: the role check is one query instead of two, and the
--    policy is read in the same statement. Same signature, results, rows.
--
-- On a large audit table the key change rebuilds the key of every partition
-- (an exclusive lock on otp.audit_event for its duration: run it in a quiet
-- hour). The CLUSTER of otp.token is quick (one row per contract).

DROP INDEX otp.audit_seq_idx;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_index i
                   WHERE i.indrelid = 'otp.audit_event_default'::regclass AND i.indisunique
                     AND i.indkey::text = (SELECT attnum::text FROM pg_attribute
                                           WHERE attrelid = 'otp.audit_event_default'::regclass
                                             AND attname = 'seq')) THEN
        CREATE UNIQUE INDEX audit_event_default_seq_key ON otp.audit_event_default (seq);
    END IF;
END
$$;

ALTER TABLE otp.audit_event DROP CONSTRAINT audit_event_pkey;
ALTER TABLE otp.audit_event ADD CONSTRAINT audit_event_pkey PRIMARY KEY (at, event_id);
DROP INDEX otp.audit_at_idx;

ALTER TABLE otp.token SET (fillfactor = 70);
CLUSTER otp.token USING token_pkey;
ANALYZE otp.token;

-- As 021's, with the role check and the policy read in one statement.
CREATE OR REPLACE FUNCTION otp_api.verify_record(p_token_id bigint, p_credential text, p_step bigint,
                                                 p_drift integer, p_check text, p_client text)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    thr integer;
    auto_min integer;
    v_contract text;
    v_state text;
    v_cred text;
    v_count integer;
    v_reason text;		-- NULL: accepted
    v_result text;
    v_remaining integer;
    v_locked_now boolean := false;
    v_unlocked boolean := false;
    v_details jsonb;
BEGIN
    -- otp.acting_role(ARRAY['otp_verifier']), inline: session_user is an
    -- active staff member and a direct member of otp_verifier. No row: refused.
    SELECT p.lock_threshold, p.auto_unlock_minutes INTO thr, auto_min
    FROM otp.policy p
    WHERE EXISTS (SELECT 1 FROM otp.staff s WHERE s.login = session_user AND s.active)
      AND EXISTS (SELECT 1 FROM pg_auth_members m
                  WHERE m.roleid = 'otp_verifier'::regrole AND m.member = session_user::regrole);
    IF NOT FOUND THEN
        RETURN otp.refuse_role('otp.verify', ARRAY['otp_verifier']);
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

    -- Optional automatic unlock (off by default: this bank unlocks at a branch).
    IF auto_min IS NOT NULL AND p_check <> 'UNCHECKED' THEN
        UPDATE otp.token SET state = 'ACTIVE', failure_count = 0, locked_at = NULL
        WHERE token_id = p_token_id AND credential_id = p_credential AND state = 'LOCKED'
          AND locked_at + make_interval(mins => auto_min) <= now()
        RETURNING contract_id INTO v_contract;
        IF FOUND THEN
            v_unlocked := true;
            PERFORM otp.audit('token.auto_unlock', 'success', 'otp_verifier', NULL, v_contract, p_credential, NULL,
                              jsonb_build_object('after_minutes', auto_min));
        END IF;
    END IF;

    IF p_check = 'MATCH' THEN
        -- never backwards: a replayed or concurrent code finds last_step >= p_step
        UPDATE otp.token SET last_step = p_step, drift = p_drift, failure_count = 0
        WHERE token_id = p_token_id AND credential_id = p_credential AND state = 'ACTIVE' AND last_step < p_step
        RETURNING contract_id INTO v_contract;
        IF FOUND THEN
            v_result := 'ACCEPTED';
            v_count := 0;
            v_remaining := thr;
            v_details := jsonb_build_object('result', 'ACCEPTED', 'drift', p_drift);
        END IF;
    ELSIF p_check IN ('WRONG_CODE', 'MALFORMED') THEN
        -- one statement: the row lock is held only here, so the counter stops at thr
        UPDATE otp.token SET failure_count = failure_count + 1,
               state = CASE WHEN failure_count + 1 >= thr THEN 'LOCKED' ELSE state END,
               locked_at = CASE WHEN failure_count + 1 >= thr THEN clock_timestamp() ELSE locked_at END
        WHERE token_id = p_token_id AND credential_id = p_credential AND state = 'ACTIVE'
        RETURNING contract_id, failure_count, state INTO v_contract, v_count, v_state;
        IF FOUND THEN
            v_reason := p_check;
            v_locked_now := v_state = 'LOCKED';
            v_result := CASE WHEN v_locked_now THEN 'LOCKED' ELSE 'REJECTED' END;
            v_remaining := greatest(thr - v_count, 0);
            v_details := jsonb_build_object('result', v_result, 'reason', v_reason, 'failure_no', v_count,
                                            'locked_now', v_locked_now);
        END IF;
    END IF;

    IF v_result IS NULL THEN
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
        v_remaining := CASE WHEN v_state = 'ACTIVE' THEN greatest(thr - v_count, 0) ELSE 0 END;
        v_details := jsonb_build_object('result', v_result, 'reason', v_reason, 'token_state', v_state);
    END IF;

    IF v_reason IS NOT NULL THEN
        INSERT INTO otp.failure (token_id, contract_id, reason, failure_no, client)
        VALUES (p_token_id, v_contract, v_reason, v_count, coalesce(p_client, ''));
    END IF;
    -- otp.audit('otp.verify', ...), inline: exactly the columns otp.audit() fills
    INSERT INTO otp.audit_event (actor, via_role, event, outcome, reason_code, client_app, client_addr,
                                 branch_code, contract_id, credential_id, request_id, details)
    VALUES (session_user, 'otp_verifier', 'otp.verify', CASE WHEN v_reason IS NULL THEN 'success' ELSE 'refused' END,
            NULL, coalesce(current_setting('application_name', true), ''), inet_client_addr(),
            NULL, v_contract, p_credential, NULL, v_details);
    RETURN ROW(true, '00000', v_result, v_result,
               jsonb_build_object('reason', v_reason, 'failure_count', v_count, 'remaining', v_remaining,
                                  'locked_now', v_locked_now, 'auto_unlocked', v_unlocked))::otp_api.outcome;
END
$$;
