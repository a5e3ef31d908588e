-- 043_audit_exceptions: the exception report without quadratic plans.
--
-- 040's report referred to the closed-days list from inside a correlated
-- EXISTS; PostgreSQL inlined that single-use CTE, so each staff event
-- recomputed the distinct days of all staff events (a week of 10 million
-- events a quarter did not finish in 15 minutes). The CTEs are now
-- MATERIALIZED and the closed days are joined by hash. Same signature,
-- same rows.

SET LOCAL ROLE otp_owner;

CREATE OR REPLACE FUNCTION otp_api.audit_exceptions(p_from timestamptz, p_to timestamptz,
                                         p_burst_failures integer DEFAULT 5, p_burst_minutes integer DEFAULT 10)
RETURNS TABLE (kind text, at timestamptz, seq bigint, event_id bigint, actor text, branch_code text,
               contract_id text, request_id bigint, event text, detail text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp SET jit = off
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
    WITH ev AS MATERIALIZED (
        SELECT * FROM otp.audit_event e WHERE e.at >= p_from AND e.at < p_to
    ),
    service AS (  -- logins of the service groups: their events are not branch work
        SELECT me.rolname::text AS login FROM pg_auth_members m
        JOIN pg_roles gr ON gr.oid = m.roleid JOIN pg_roles me ON me.oid = m.member
        WHERE gr.rolname IN ('otp_batch', 'otp_verifier')
    ),
    staff_ev AS MATERIALIZED (
        SELECT e.*, (e.at AT TIME ZONE 'Asia/Tokyo') AS local,
               coalesce((SELECT b.code FROM otp.branch b WHERE b.code = e.branch_code),
                        (SELECT s.branch_code FROM otp.staff s WHERE s.login = e.actor)) AS cal_branch
        FROM ev e
        WHERE coalesce(e.via_role, '') NOT IN ('otp_batch', 'otp_verifier')
          AND e.actor NOT IN (SELECT login FROM service)
    ),
    closed AS MATERIALIZED (   -- business-day lookups once per (day, branch) seen within hours
        SELECT d.day, coalesce(d.cal_branch, '') AS cal_branch
        FROM (SELECT DISTINCT s.local::date AS day, s.cal_branch FROM staff_ev s
              WHERE extract(isodow FROM s.local) < 6
                AND s.local::time >= time '08:45' AND s.local::time < time '17:15') d
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
    LEFT JOIN closed c ON c.day = s.local::date AND c.cal_branch = coalesce(s.cal_branch, '')
    WHERE extract(isodow FROM s.local) >= 6
       OR s.local::time < time '08:45' OR s.local::time >= time '17:15'
       OR c.day IS NOT NULL
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

