SET LOCAL ROLE otp_owner;

-- 021_verify_hot_path: otp_api.verify_record, the second round trip of every
-- verification, rewritten for speed (020_token.sql had the first version and
-- was already applied in other databases, so it is replaced here rather than
-- edited). Same signature, same results, same rows written.
--
-- Measured on PostgreSQL 15 (docs/VERIFIER.md, "Performance"): most of the
-- server time of a verification went into two nested SECURITY DEFINER calls,
-- otp.acting_role() and otp.audit(): each sets search_path on entry and exit,
-- and otp.audit, a SQL function, is planned again in every transaction. This
-- version does the same two things inline:
--  * the role check is otp.acting_role's rule for one group: session_user is
--    an active staff member and a direct member of otp_verifier;
--  * the audit event is one INSERT with exactly the columns otp.audit() fills
--    (keep the two in step), written once at the end whatever the result.
-- Refusals of other callers still go through otp.refuse_role (audited).

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
    -- otp.acting_role(ARRAY['otp_verifier']), inline (see above)
    IF NOT (EXISTS (SELECT 1 FROM otp.staff WHERE login = session_user AND active)
            AND EXISTS (SELECT 1 FROM pg_auth_members m
                        WHERE m.roleid = 'otp_verifier'::regrole AND m.member = session_user::regrole)) THEN
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
    SELECT lock_threshold, auto_unlock_minutes INTO thr, auto_min FROM otp.policy;

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
    -- otp.audit('otp.verify', ...), inline (see above)
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
