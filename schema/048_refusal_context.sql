-- 048_refusal_context: a refused decision on a request names the request.
--
-- request_approve, request_reject and request_cancel start with the group
-- check; a login without the group was refused through otp.refuse_role,
-- whose audit row names no branch, contract or request. So an auditor who
-- filters the log on a contract did not see that a teller tried to approve
-- a request of it (and whether it was the teller's own submission). Now
-- each of the three is a thin wrapper: the group check first, and a refusal
-- that names the request (branch, contract, credential, request, receipt and
-- "own_request": the caller submitted it) when the receipt exists; otherwise
-- the decision as before, in the unchanged function, moved to schema otp.
-- The outcome and message are the same as before (OD001).
SET LOCAL ROLE otp_owner;

-- The role refusal of a decision on p_receipt_no, naming the request.
CREATE FUNCTION otp.refuse_role_request(p_event text, p_allowed text[], p_receipt_no text)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    r otp.request;
BEGIN
    SELECT * INTO r FROM otp.request WHERE receipt_no = p_receipt_no;
    IF NOT FOUND THEN
        RETURN otp.refuse_role(p_event, p_allowed);
    END IF;
    RETURN otp.refuse(p_event, 'OD001',
        format('%s is not permitted for %s (requires %s)', p_event, session_user,
               array_to_string(p_allowed, ' or ')),
        NULL, r.branch_code, r.contract_id, r.credential_id, r.request_id,
        jsonb_build_object('groups', to_jsonb(otp.my_groups()), 'receipt_no', r.receipt_no,
                           'own_request', r.submitted_by = session_user));
END
$$;

-- The decisions themselves move to schema otp, unchanged (their own group
-- check stays, now always passed); nobody but the wrappers calls them.
ALTER FUNCTION otp_api.request_approve(text) RENAME TO request_approve_decide;
ALTER FUNCTION otp_api.request_approve_decide(text) SET SCHEMA otp;
ALTER FUNCTION otp_api.request_reject(text, text) RENAME TO request_reject_decide;
ALTER FUNCTION otp_api.request_reject_decide(text, text) SET SCHEMA otp;
ALTER FUNCTION otp_api.request_cancel(text, text) RENAME TO request_cancel_decide;
ALTER FUNCTION otp_api.request_cancel_decide(text, text) SET SCHEMA otp;
REVOKE ALL ON FUNCTION otp.request_approve_decide(text), otp.request_reject_decide(text, text),
    otp.request_cancel_decide(text, text) FROM PUBLIC,
    otp_teller, otp_supervisor, otp_helpdesk, otp_auditor, otp_admin, otp_verifier, otp_batch;

CREATE FUNCTION otp_api.request_approve(p_receipt_no text)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_supervisor'];
BEGIN
    IF otp.acting_role(allowed) IS NULL THEN
        RETURN otp.refuse_role_request('request.approve', allowed, p_receipt_no);
    END IF;
    RETURN otp.request_approve_decide(p_receipt_no);
END
$$;

CREATE FUNCTION otp_api.request_reject(p_receipt_no text, p_reason text)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_supervisor'];
BEGIN
    IF otp.acting_role(allowed) IS NULL THEN
        RETURN otp.refuse_role_request('request.reject', allowed, p_receipt_no);
    END IF;
    RETURN otp.request_reject_decide(p_receipt_no, p_reason);
END
$$;

CREATE FUNCTION otp_api.request_cancel(p_receipt_no text, p_reason text)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_supervisor', 'otp_teller'];
BEGIN
    IF otp.acting_role(allowed) IS NULL THEN
        RETURN otp.refuse_role_request('request.cancel', allowed, p_receipt_no);
    END IF;
    RETURN otp.request_cancel_decide(p_receipt_no, p_reason);
END
$$;

REVOKE ALL ON FUNCTION otp_api.request_approve(text), otp_api.request_reject(text, text),
    otp_api.request_cancel(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION otp_api.request_approve(text), otp_api.request_reject(text, text),
    otp_api.request_cancel(text, text)
TO otp_teller, otp_supervisor, otp_helpdesk, otp_auditor, otp_admin, otp_verifier, otp_batch;
