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
--    date check, then each receipt in its own subtransaction (a BEGIN ...
--    EXCEPTION block): an error of one request (OD002, OD004, anything
--    raised) rolls back that request alone and becomes its result row; the
--    others stay and commit together. Refusals are returned, as before, so
--    their audit rows commit with the group. One result row per receipt, in
--    the order given, `ref` = the receipt number. Receipts are locked in
--    ascending byte order whatever the order given, so two runs (or two
--    workers) that hold several request rows at once cannot deadlock.
--    At most 64 receipts a call: each request that writes takes a
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

-- Execute up to 64 requests (otp_batch) in the caller's transaction, each in
-- its own subtransaction: one result row per receipt, in the order given,
-- with ref = the receipt; a request that raised gets ok = false and the
-- error's SQLSTATE and message, and nothing of it stays. The role and the
-- as-of day are checked once for all (a refusal is one audited OD001 row;
-- a future day raises OD004 for the whole call).
CREATE FUNCTION otp_api.request_execute_batch(p_receipts text[], p_as_of date)
RETURNS SETOF otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_batch'];
    via text := otp.acting_role(allowed);
    v_today constant date := (clock_timestamp() AT TIME ZONE 'Asia/Tokyo')::date;
    v_as_of date := coalesce(p_as_of, v_today);
    n constant integer := coalesce(cardinality(p_receipts), 0);
    res otp_api.outcome[] := '{}';
    o otp_api.outcome;
    i integer;
BEGIN
    IF via IS NULL THEN
        RETURN NEXT otp.refuse_role('request.execute', allowed);
        RETURN;
    END IF;
    IF v_as_of > v_today THEN
        PERFORM otp.bad_input(format('as-of date %s is in the future (today is %s, Japan time)', v_as_of, v_today));
    END IF;
    IF coalesce(array_ndims(p_receipts), 1) <> 1 THEN
        PERFORM otp.bad_input('the receipts are a one-dimensional array');
    END IF;
    IF n > 64 THEN
        PERFORM otp.bad_input(format('%s receipts in one call; at most 64', n), 'split the list');
    END IF;
    FOR i IN SELECT k FROM generate_subscripts(p_receipts, 1) AS k
             ORDER BY p_receipts[k] COLLATE "C", k LOOP
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
