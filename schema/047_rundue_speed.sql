-- 047_rundue_speed: the batch executes its requests in groups, one commit per
-- group, each request in its own subtransaction (docs/WORKFLOW.md, the batch).
--
-- run-due called otp_api.request_execute once per request, each call its own
-- transaction. Pipelining saved the round trips but not the commits: the
-- server flushes the WAL (synchronous_commit on) before it starts the next
-- call of the pipeline, so a connection executed at most one request per WAL
-- flush. On this host an fdatasync takes 0.5 ms when the disk is quiet and
-- 2.5-20 ms when other benchmarks write; the run went from 36 s to 5 minutes
-- for 100,000 requests with the same code. The function body itself costs
-- about 0.3 ms of server CPU.
--
--  * otp.request_execute_one: 030's request_execute body after the role and
--    date checks, unchanged (locks, re-checks, token change, request row,
--    audit event, the same outcomes and refusals).
--  * otp_api.request_execute: the same function as 030's (signature, checks,
--    results), now calling request_execute_one.
--  * otp_api.request_execute_batch(receipts, as_of): one role check and one
--    date check for the call; the request rows locked in ascending byte order
--    of the receipts whatever the order given, so two runs (or two workers)
--    that hold several request rows at once cannot deadlock. Then, in one
--    subtransaction, the common case set-based: the requests that would be
--    executed (APPROVED, eligible, no hold, token in the state the kind
--    needs) are, with one UPDATE of their tokens, one of their rows and one
--    INSERT of their audit events: the same rows, columns and details as
--    request_execute_one writes. Everything else (already executed,
--    refusals with their audit rows, unknown receipts), or everything when
--    that step raised, goes through request_execute_one one by one, each in
--    its own subtransaction (a BEGIN ... EXCEPTION block): an error of one
--    request rolls back that request alone and becomes its result row.
--    One result row per receipt, in the order given, `ref` = the receipt.
--    A profile of the one-by-one path showed the time going to statement
--    set-up, not to the rows: the CHECK constraints of otp.request
--    (stringToNode and planning of otp.has_my_number, per statement) and
--    SQL-language helpers parsed per call (otp.audit, otp.open_hold); the
--    set-based step pays these once per call instead of once per request.
--    At most 60 receipts a call: each subtransaction that writes takes a
--    subtransaction ID, and a transaction with more than 64 of them makes
--    every other backend's snapshot "overflowed" (slower visibility checks
--    for everybody, the verifier too) for as long as it runs.

SET LOCAL ROLE otp_owner;

-- Execute one request as `via` for the day p_as_of (already checked: not in
-- the future). The body of 030's otp_api.request_execute after its checks.
CREATE FUNCTION otp.request_execute_one(p_receipt_no text, p_as_of date, p_via text)
RETURNS otp_api.outcome
LANGUAGE plpgsql
SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    ev constant text := 'request.execute';
    r otp.request;
    t otp.token;
    h otp.fraud_hold;
    det jsonb;
BEGIN
    r := otp.request_lock(p_receipt_no);
    IF r.state = 'EXECUTED' THEN
        RETURN otp.success(otp.request_state_text(r), r.receipt_no, jsonb_build_object('already_executed', true));
    END IF;
    det := jsonb_build_object('receipt_no', r.receipt_no, 'kind', r.kind, 'as_of', p_as_of);
    IF r.state <> 'APPROVED' THEN
        RETURN otp.refuse(ev, 'OD003', otp.request_state_text(r) || ': only APPROVED requests are executed',
                          p_via, r.branch_code, r.contract_id, r.credential_id, r.request_id, det);
    END IF;
    IF r.eligible > p_as_of THEN
        RETURN otp.refuse(ev, 'OD003',
            format('request %s is eligible from %s, not yet on %s', r.receipt_no, r.eligible, p_as_of),
            p_via, r.branch_code, r.contract_id, r.credential_id, r.request_id, det);
    END IF;
    h := otp.open_hold(r.contract_id);
    IF h.hold_id IS NOT NULL THEN
        RETURN otp.refuse(ev, 'OD006',
            format('contract %s is under a fraud hold: request %s waits until it is lifted', r.contract_id, r.receipt_no),
            p_via, r.branch_code, r.contract_id, r.credential_id, r.request_id,
            det || jsonb_build_object('hold_id', h.hold_id));
    END IF;
    SELECT * INTO t FROM otp.token WHERE token_id = r.token_id FOR UPDATE;
    det := det || jsonb_build_object('token_state_before', t.state);
    IF (r.kind = 'UNLOCK' AND t.state <> 'LOCKED') OR
       (r.kind = 'RESET' AND t.state NOT IN ('ACTIVE', 'LOCKED', 'STOPPED')) THEN
        RETURN otp.refuse(ev, 'OD003',
            format('the token of contract %s is %s: the %s request %s no longer applies; cancel it',
                   r.contract_id, t.state, r.kind, r.receipt_no),
            p_via, r.branch_code, r.contract_id, t.credential_id, r.request_id, det);
    END IF;
    IF r.kind = 'UNLOCK' THEN
        UPDATE otp.token SET state = 'ACTIVE', failure_count = 0, locked_at = NULL WHERE token_id = t.token_id;
    ELSE
        UPDATE otp.token SET state = 'UNREGISTERED', credential_id = NULL, seed = NULL, key_version = NULL,
                             last_step = 0, drift = 0, failure_count = 0, locked_at = NULL, stopped_at = NULL
        WHERE token_id = t.token_id;
        det := det || jsonb_build_object('revoked_credential_id', t.credential_id);
    END IF;
    UPDATE otp.request SET state = 'EXECUTED', executed_by = session_user, executed_at = clock_timestamp(),
                           revoked_credential_id = CASE WHEN r.kind = 'RESET' THEN t.credential_id END
    WHERE request_id = r.request_id;
    PERFORM otp.audit(ev, 'success', p_via, r.branch_code, r.contract_id, t.credential_id, r.request_id, det);
    RETURN otp.success(format('request %s executed: %s of contract %s', r.receipt_no, r.kind, r.contract_id),
                       r.receipt_no,
                       jsonb_build_object('kind', r.kind, 'token_state',
                                          CASE WHEN r.kind = 'UNLOCK' THEN 'ACTIVE' ELSE 'UNREGISTERED' END));
END
$$;

-- As 030's: execute one APPROVED request (otp_batch), same checks and results.
CREATE OR REPLACE FUNCTION otp_api.request_execute(p_receipt_no text, p_as_of date)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_batch'];
    via text := otp.acting_role(allowed);
    v_today constant date := (clock_timestamp() AT TIME ZONE 'Asia/Tokyo')::date;
    v_as_of date := coalesce(p_as_of, v_today);
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role('request.execute', allowed);
    END IF;
    IF v_as_of > v_today THEN
        PERFORM otp.bad_input(format('as-of date %s is in the future (today is %s, Japan time)', v_as_of, v_today));
    END IF;
    RETURN otp.request_execute_one(p_receipt_no, v_as_of, via);
END
$$;

-- Execute up to 60 requests (otp_batch) in the caller's transaction: one
-- result row per receipt, in the order given, with ref = the receipt. The
-- role and the as-of day are checked once for all (a refusal is one audited
-- OD001 row; a future day raises OD004 for the whole call). The request rows
-- are locked first, in byte order of the receipts. Then the common case in
-- a few statements for all: the APPROVED, eligible requests without a fraud
-- hold whose token (locked) is in the state their kind needs are executed
-- and audited exactly as request_execute_one would. Everything else (already
-- executed, refusals, unknown receipts, bad input), or everything when that
-- step raised, goes through request_execute_one one by one, each in its own
-- subtransaction: a request that raised gets ok = false with the error's
-- SQLSTATE and message, and nothing of it stays.
CREATE FUNCTION otp_api.request_execute_batch(p_receipts text[], p_as_of date)
RETURNS SETOF otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_batch'];
    ev constant text := 'request.execute';
    via text := otp.acting_role(allowed);
    v_today constant date := (clock_timestamp() AT TIME ZONE 'Asia/Tokyo')::date;
    v_as_of date := coalesce(p_as_of, v_today);
    n constant integer := coalesce(cardinality(p_receipts), 0);
    res otp_api.outcome[] := '{}';
    done boolean[] := '{}';
    ks integer[];
    outs otp_api.outcome[];
    o otp_api.outcome;
    i integer;
BEGIN
    IF via IS NULL THEN
        RETURN NEXT otp.refuse_role(ev, allowed);
        RETURN;
    END IF;
    IF v_as_of > v_today THEN
        PERFORM otp.bad_input(format('as-of date %s is in the future (today is %s, Japan time)', v_as_of, v_today));
    END IF;
    IF coalesce(array_ndims(p_receipts), 1) <> 1 THEN
        PERFORM otp.bad_input('the receipts are a one-dimensional array');
    END IF;
    IF n > 60 THEN
        PERFORM otp.bad_input(format('%s receipts in one call; at most 60', n), 'split the list');
    END IF;
    IF n = 0 THEN
        RETURN;
    END IF;

    -- Request rows first, in one order for every caller (no deadlock between
    -- runs); a token is locked only by whoever holds its open request.
    PERFORM 1 FROM otp.request WHERE receipt_no = ANY (p_receipts)
    ORDER BY receipt_no COLLATE "C" FOR UPDATE;

    BEGIN
        WITH rq AS MATERIALIZED (
            -- by the receipt key alone (the plan cannot stray to a scan)
            SELECT array_position(p_receipts, r.receipt_no) AS k, r.request_id, r.receipt_no, r.kind,
                   r.state, r.eligible, r.branch_code, r.contract_id, r.token_id
            FROM otp.request r WHERE r.receipt_no = ANY (p_receipts)
        ), g AS MATERIALIZED (
            SELECT rq.k, rq.request_id, rq.receipt_no, rq.kind, rq.branch_code, rq.contract_id, rq.token_id,
                   t.state AS token_state, t.credential_id
            FROM rq JOIN otp.token t ON t.token_id = rq.token_id
            WHERE rq.state = 'APPROVED' AND rq.eligible <= v_as_of
              AND ((rq.kind = 'UNLOCK' AND t.state = 'LOCKED')
                   OR (rq.kind = 'RESET' AND t.state IN ('ACTIVE', 'LOCKED', 'STOPPED')))
              AND NOT EXISTS (SELECT 1 FROM otp.fraud_hold h
                              WHERE h.contract_id = rq.contract_id AND h.lifted_at IS NULL)
            ORDER BY rq.receipt_no COLLATE "C"
            FOR UPDATE OF t
        ), tu AS (
            UPDATE otp.token t
            SET state = CASE WHEN g.kind = 'UNLOCK' THEN 'ACTIVE' ELSE 'UNREGISTERED' END,
                credential_id = CASE WHEN g.kind = 'UNLOCK' THEN t.credential_id END,
                seed = CASE WHEN g.kind = 'UNLOCK' THEN t.seed END,
                key_version = CASE WHEN g.kind = 'UNLOCK' THEN t.key_version END,
                last_step = CASE WHEN g.kind = 'UNLOCK' THEN t.last_step ELSE 0 END,
                drift = CASE WHEN g.kind = 'UNLOCK' THEN t.drift ELSE 0 END,
                failure_count = 0, locked_at = NULL,
                stopped_at = CASE WHEN g.kind = 'UNLOCK' THEN t.stopped_at END
            FROM g WHERE t.token_id = g.token_id
        ), ru AS (
            UPDATE otp.request r
            SET state = 'EXECUTED', executed_by = session_user, executed_at = clock_timestamp(),
                revoked_credential_id = CASE WHEN g.kind = 'RESET' THEN g.credential_id END
            FROM g WHERE r.request_id = g.request_id
        ), ae AS (
            -- otp.audit(ev, 'success', ...), inline: exactly the columns it fills
            INSERT INTO otp.audit_event (actor, via_role, event, outcome, reason_code, client_app, client_addr,
                                         branch_code, contract_id, credential_id, request_id, details)
            SELECT session_user, via, ev, 'success', NULL,
                   coalesce(current_setting('application_name', true), ''), inet_client_addr(),
                   g.branch_code, g.contract_id, g.credential_id, g.request_id,
                   jsonb_build_object('receipt_no', g.receipt_no, 'kind', g.kind, 'as_of', v_as_of,
                                      'token_state_before', g.token_state)
                   || CASE WHEN g.kind = 'RESET'
                           THEN jsonb_build_object('revoked_credential_id', g.credential_id)
                           ELSE '{}'::jsonb END
            FROM g ORDER BY g.receipt_no COLLATE "C"
        )
        SELECT array_agg(g.k),
               array_agg(ROW(true, '00000',
                             format('request %s executed: %s of contract %s', g.receipt_no, g.kind, g.contract_id),
                             g.receipt_no,
                             jsonb_build_object('kind', g.kind, 'token_state',
                                                CASE WHEN g.kind = 'UNLOCK' THEN 'ACTIVE' ELSE 'UNREGISTERED' END)
                            )::otp_api.outcome)
        INTO ks, outs FROM g;
        FOR i IN 1 .. coalesce(cardinality(ks), 0) LOOP
            res[ks[i]] := outs[i];
            done[ks[i]] := true;
        END LOOP;
    EXCEPTION WHEN OTHERS THEN
        res := '{}';	-- nothing of the step stays: all go one by one
        done := '{}';
    END;

    FOR i IN SELECT k FROM generate_subscripts(p_receipts, 1) AS k
             ORDER BY p_receipts[k] COLLATE "C", k LOOP
        CONTINUE WHEN coalesce(done[i], false);
        BEGIN
            o := otp.request_execute_one(p_receipts[i], v_as_of, via);
        EXCEPTION WHEN OTHERS THEN
            o := ROW(false, SQLSTATE, SQLERRM, NULL, '{}'::jsonb)::otp_api.outcome;
        END;
        o.ref := p_receipts[i];
        res[i] := o;
    END LOOP;
    FOR i IN SELECT k FROM generate_subscripts(p_receipts, 1) AS k ORDER BY k LOOP
        RETURN NEXT res[i];
    END LOOP;
END
$$;

GRANT EXECUTE ON FUNCTION otp_api.request_execute_batch(text[], date)
TO otp_teller, otp_supervisor, otp_helpdesk, otp_auditor, otp_admin, otp_verifier, otp_batch;
