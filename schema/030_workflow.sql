-- 030_workflow: branch requests to UNLOCK or RESET a customer's token, under
-- dual control (maker-checker), and the fraud holds that block them.
--
--   SUBMITTED --approve--> APPROVED --execute (batch, on/after eligible)--> EXECUTED
--       |  \--reject--> REJECTED            |
--       \------cancel------> CANCELLED <----/
--
-- A teller submits after checking the customer's identity document(s), the
-- seal on the paper form against the registered seal (届出印) and the form
-- itself; a supervisor of the same branch (or of the head office) who is not
-- the submitter approves or rejects; the batch executes approved requests on
-- their eligible business day (otp.due_dates, schema/010_calendar.sql).
--
-- This file must never store a My Number (個人番号): every free-text input is
-- refused (OD004, nothing stored) when it holds 12 consecutive digits, and the
-- My Number card is recorded by its type only. No document numbers are kept.
--
-- Refusals (role, dual control, wrong state, identity check, fraud hold) are
-- RETURNED as outcomes with ok = false and an audit row, per 002_api.sql;
-- malformed input raises OD004 and changes nothing.

SET LOCAL ROLE otp_owner;

---------------------------------------------------------------------------
-- My Number guard
---------------------------------------------------------------------------

-- true when t holds 12 consecutive digits once spaces and hyphens between
-- digits are removed (full-width digits, spaces and dashes count too).
CREATE FUNCTION otp.has_my_number(t text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(
        regexp_replace(translate(t, '０１２３４５６７８９', '0123456789'),
                       '([0-9])[[:space:]　‐‑–—―−－ー-]+(?=[0-9])', '\1', 'g') ~ '[0-9]{12}',
        false)
$$;

-- Raise OD004 when a free-text field may hold a My Number. The message names
-- the field, never its value.
CREATE FUNCTION otp.check_no_my_number(p_field text, p_value text) RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF otp.has_my_number(p_value) THEN
        RAISE EXCEPTION USING ERRCODE = 'OD004',
            MESSAGE = format('%s contains 12 consecutive digits, which may be a My Number (個人番号); '
                             'it was not stored', p_field),
            HINT = 'never write down the individual number; the My Number card is recorded by its type only';
    END IF;
END
$$;

---------------------------------------------------------------------------
-- Identity documents (table-driven; dates are the day of presentation,
-- Japan time)
---------------------------------------------------------------------------

CREATE TABLE otp.id_document_type (
    code            text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
    name_ja         text NOT NULL CHECK (length(name_ja) BETWEEN 1 AND 60),
    name_en         text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 80),
    has_address     boolean NOT NULL,   -- shows the holder's address
    -- issued on or after this day the document has no address (passports,
    -- 2020-02-04); its issue date must then be given
    no_address_if_issued_from date,
    accepted_from   date,               -- not accepted before this day
    accepted_until  date,               -- last day it is accepted
    sort_order      integer NOT NULL,
    note            text NOT NULL DEFAULT '',
    CHECK (accepted_from IS NULL OR accepted_until IS NULL OR accepted_from <= accepted_until)
);

INSERT INTO otp.id_document_type
    (code, name_ja, name_en, has_address, no_address_if_issued_from, accepted_from, accepted_until, sort_order, note)
VALUES
    ('drivers_licence', '運転免許証', 'Driver''s licence', true, NULL, NULL, NULL, 10, ''),
    ('mynumber_card', 'マイナンバーカード（表面のみ）', 'My Number card (front side only)', true, NULL, NULL, NULL, 20,
     'front side only: the individual number on the back is never copied or recorded'),
    ('residence_card', '在留カード・特別永住者証明書', 'Residence card / special permanent resident certificate',
     true, NULL, NULL, NULL, 30, ''),
    ('passport', 'パスポート', 'Passport', true, '2020-02-04', NULL, NULL, 40,
     'passports issued on or after 2020-02-04 have no address field (Ministry of Foreign Affairs); '
     'a second document showing the address is then required'),
    ('health_insurance_card', '健康保険証', 'Health insurance card (old card)', true, NULL, NULL, '2025-12-01', 50,
     'no new cards since 2024-12-02; accepted until 2025-12-01 (end of the one-year transition)'),
    ('eligibility_certificate', '資格確認書', 'Health insurance eligibility certificate', true, NULL, '2024-12-02', NULL, 60,
     'issued from 2024-12-02 to those without a My Number health insurance card');

-- Whether a document type is accepted when presented on `day`.
CREATE FUNCTION otp.id_document_accepted(d otp.id_document_type, day date) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$
    SELECT (d.accepted_from IS NULL OR day >= d.accepted_from)
       AND (d.accepted_until IS NULL OR day <= d.accepted_until)
$$;

---------------------------------------------------------------------------
-- Requests
---------------------------------------------------------------------------

-- Receipt numbers: one row per (branch, day), incremented in the submitting
-- transaction (the row lock serialises submitters of one branch for the rest
-- of their short transaction), so numbers are gap-free: a refused or failed
-- submit takes no number, a rolled-back one gives its number back.
CREATE TABLE otp.receipt_counter (
    branch_code   text NOT NULL REFERENCES otp.branch,
    day           date NOT NULL,
    last_no       integer NOT NULL CHECK (last_no > 0),
    PRIMARY KEY (branch_code, day)
);

CREATE TABLE otp.request (
    request_id      bigserial PRIMARY KEY,
    receipt_no      text NOT NULL UNIQUE CHECK (receipt_no ~ '^[0-9]{3}-[0-9]{8}-[0-9]{4,}$'),
    branch_code     text NOT NULL REFERENCES otp.branch,
    contract_id     text NOT NULL REFERENCES otp.contract,
    token_id        bigint NOT NULL REFERENCES otp.token,
    kind            text NOT NULL CHECK (kind IN ('UNLOCK', 'RESET')),
    state           text NOT NULL DEFAULT 'SUBMITTED'
                    CHECK (state IN ('SUBMITTED', 'APPROVED', 'REJECTED', 'EXECUTED', 'CANCELLED')),
    token_state     text NOT NULL,      -- the token's state at submission
    credential_id   text,               -- the token's credential at submission
    form_no         text NOT NULL CHECK (form_no ~ '^[0-9A-Za-z-]{1,20}$'),
    -- identity check (本人確認): type(s) only, never a document number
    doc_type        text NOT NULL REFERENCES otp.id_document_type,
    doc_issued      date,
    doc2_type       text REFERENCES otp.id_document_type,
    name_matched    boolean NOT NULL CHECK (name_matched),
    address_matched boolean NOT NULL CHECK (address_matched),
    id_checked_by   text NOT NULL,
    -- seal check (印鑑照合): a MISMATCH is refused and exists only in the audit log
    seal_result     text NOT NULL CHECK (seal_result = 'MATCH'),
    seal_checked_by text NOT NULL,
    received_at     timestamptz NOT NULL,
    day1            date NOT NULL,
    eligible        date NOT NULL,
    due             date NOT NULL,
    submitted_by    text NOT NULL,
    decided_by      text,
    decided_at      timestamptz,
    reject_reason   text CHECK (length(reject_reason) BETWEEN 1 AND 500),
    executed_by     text,
    executed_at     timestamptz,
    revoked_credential_id text,         -- RESET: the credential it revoked
    cancelled_by    text,
    cancelled_at    timestamptz,
    cancel_reason   text CHECK (length(cancel_reason) BETWEEN 1 AND 500),
    notes           text NOT NULL DEFAULT '' CHECK (length(notes) <= 500),
    CHECK (day1 <= eligible AND eligible <= due),
    -- dual control, as a constraint too: nobody decides their own request
    CHECK (decided_by IS NULL OR decided_by <> submitted_by),
    CHECK ((decided_by IS NULL) = (decided_at IS NULL)),
    CHECK (state NOT IN ('APPROVED', 'REJECTED', 'EXECUTED') OR decided_by IS NOT NULL),
    CHECK ((state = 'REJECTED') = (reject_reason IS NOT NULL)),
    CHECK ((state = 'EXECUTED') = (executed_at IS NOT NULL AND executed_by IS NOT NULL)),
    CHECK ((state = 'CANCELLED') = (cancelled_at IS NOT NULL AND cancelled_by IS NOT NULL AND cancel_reason IS NOT NULL)),
    CHECK (NOT (otp.has_my_number(form_no) OR otp.has_my_number(notes) OR otp.has_my_number(reject_reason)
                OR otp.has_my_number(cancel_reason)))
);
-- At most one open request per token.
CREATE UNIQUE INDEX request_open_idx ON otp.request (token_id) WHERE state IN ('SUBMITTED', 'APPROVED');
CREATE INDEX request_due_idx ON otp.request (eligible, request_id) WHERE state = 'APPROVED';
CREATE INDEX request_branch_idx ON otp.request (branch_code, request_id);
CREATE INDEX request_contract_idx ON otp.request (contract_id, request_id);
CREATE INDEX request_state_idx ON otp.request (state, request_id);

-- The transitions of the diagram above and no others.
CREATE FUNCTION otp.request_guard() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.state IS DISTINCT FROM OLD.state AND NOT (
           (OLD.state = 'SUBMITTED' AND NEW.state IN ('APPROVED', 'REJECTED', 'CANCELLED'))
        OR (OLD.state = 'APPROVED' AND NEW.state IN ('EXECUTED', 'CANCELLED'))) THEN
        RAISE EXCEPTION USING ERRCODE = 'OD003',
            MESSAGE = format('request %s cannot go from %s to %s', OLD.receipt_no, OLD.state, NEW.state);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER request_guard BEFORE UPDATE ON otp.request
    FOR EACH ROW EXECUTE FUNCTION otp.request_guard();

-- "Display Name (login)" of a staff login, or the login alone.
CREATE FUNCTION otp.staff_label(p_login text) RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT coalesce((SELECT format('%s (%s)', display_name, login) FROM otp.staff WHERE login = p_login), p_login)
$$;

-- true when session_user (active staff) works at p_branch or at the head office.
CREATE FUNCTION otp.serves_branch(p_branch text) RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT EXISTS (SELECT 1 FROM otp.staff s JOIN otp.branch b ON b.code = s.branch_code
                   WHERE s.login = session_user AND s.active AND (s.branch_code = p_branch OR b.head_office))
$$;

-- The open fraud hold of a contract, if any (NULL row otherwise).
CREATE FUNCTION otp.open_hold(p_contract text) RETURNS otp.fraud_hold
LANGUAGE sql STABLE
AS $$
    SELECT * FROM otp.fraud_hold WHERE contract_id = p_contract AND lifted_at IS NULL
$$;

-- Why a request is no longer open for a decision, in words.
CREATE FUNCTION otp.request_state_text(r otp.request) RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT format('request %s ', r.receipt_no) || CASE r.state
        WHEN 'SUBMITTED' THEN 'is waiting for approval'
        WHEN 'APPROVED' THEN format('was already approved by %s at %s', otp.staff_label(r.decided_by),
                                    to_char(r.decided_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI:SS'))
        WHEN 'REJECTED' THEN format('was already rejected by %s at %s', otp.staff_label(r.decided_by),
                                    to_char(r.decided_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI:SS'))
        WHEN 'EXECUTED' THEN format('was already executed at %s',
                                    to_char(r.executed_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI:SS'))
        WHEN 'CANCELLED' THEN format('was cancelled by %s at %s', otp.staff_label(r.cancelled_by),
                                     to_char(r.cancelled_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI:SS'))
        END
$$;

-- Check a receipt number's syntax (OD004) and return its request locked FOR
-- UPDATE, or raise OD002.
CREATE FUNCTION otp.request_lock(p_receipt_no text) RETURNS otp.request
LANGUAGE plpgsql
AS $$
DECLARE
    r otp.request;
BEGIN
    IF p_receipt_no IS NULL OR p_receipt_no !~ '^[0-9]{3}-[0-9]{8}-[0-9]{4,}$' THEN
        PERFORM otp.check_no_my_number('receipt number', p_receipt_no);
        PERFORM otp.bad_input(format('invalid receipt number: %s', coalesce(p_receipt_no, '(null)')),
                              'branch-date-number, e.g. 012-20261124-0007');
    END IF;
    SELECT * INTO r FROM otp.request WHERE receipt_no = p_receipt_no FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'OD002', MESSAGE = format('no request with receipt number %s', p_receipt_no);
    END IF;
    RETURN r;
END
$$;

-- A reason given for a reject, cancel or hold: 1..500 characters, no My Number.
CREATE FUNCTION otp.check_reason(p_field text, p_reason text) RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    PERFORM otp.check_no_my_number(p_field, p_reason);
    IF p_reason IS NULL OR length(btrim(p_reason)) = 0 THEN
        PERFORM otp.bad_input(format('%s is required', p_field));
    END IF;
    IF length(btrim(p_reason)) > 500 THEN
        PERFORM otp.bad_input(format('%s is longer than 500 characters', p_field));
    END IF;
    RETURN btrim(p_reason);
END
$$;

---------------------------------------------------------------------------
-- SQL API
---------------------------------------------------------------------------

-- Submit an UNLOCK or RESET request (otp_teller of the contract's branch or of
-- the head office). p_seal: MATCH or MISMATCH. Returns the receipt number as
-- ref and {receipt_no, request_id, day1, eligible, due} as data.
CREATE FUNCTION otp_api.request_submit(p_contract text, p_kind text, p_form_no text,
                                       p_doc_type text, p_doc2_type text, p_doc_issued date,
                                       p_name_matched boolean, p_address_matched boolean,
                                       p_seal text, p_notes text)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_teller'];
    via text := otp.acting_role(allowed);
    ev constant text := 'request.submit';
    v_kind text := upper(btrim(p_kind));
    v_seal text := upper(btrim(p_seal));
    v_notes text := coalesce(btrim(p_notes), '');
    v_doc2 text := nullif(btrim(p_doc2_type), '');
    v_received timestamptz := clock_timestamp();
    v_today date := (v_received AT TIME ZONE 'Asia/Tokyo')::date;
    c otp.contract;
    t otp.token;
    d1 otp.id_document_type;
    d2 otp.id_document_type;
    h otp.fraud_hold;
    o otp.request;
    v_day1 date;
    v_eligible date;
    v_due date;
    v_no integer;
    v_receipt text;
    v_id bigint;
    v_details jsonb;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role(ev, allowed);
    END IF;
    -- first, before any message could echo a value: no My Number anywhere
    PERFORM otp.check_no_my_number('the contract ID', p_contract);
    PERFORM otp.check_no_my_number('the form number', p_form_no);
    PERFORM otp.check_no_my_number('the notes field', p_notes);
    PERFORM otp.check_no_my_number('the document type', p_doc_type);
    PERFORM otp.check_no_my_number('the second document type', p_doc2_type);
    PERFORM otp.check_no_my_number('the request kind', p_kind);
    PERFORM otp.check_no_my_number('the seal result', p_seal);

    IF p_contract IS NULL OR p_contract !~ '^[0-9]{10}$' THEN
        PERFORM otp.bad_input(format('invalid contract ID: %s', coalesce(p_contract, '(null)')), 'ten digits');
    END IF;
    IF v_kind IS NULL OR v_kind NOT IN ('UNLOCK', 'RESET') THEN
        PERFORM otp.bad_input(format('invalid request kind: %s', coalesce(p_kind, '(null)')), 'UNLOCK or RESET');
    END IF;
    IF p_form_no IS NULL OR p_form_no !~ '^[0-9A-Za-z-]{1,20}$' THEN
        PERFORM otp.bad_input('invalid form number',
                              'as written on the paper form: 1 to 20 letters, digits or hyphens');
    END IF;
    IF length(v_notes) > 500 THEN
        PERFORM otp.bad_input('notes are longer than 500 characters');
    END IF;
    IF p_name_matched IS NULL OR p_address_matched IS NULL THEN
        PERFORM otp.bad_input('say whether the name and the address on the document match the contract');
    END IF;
    IF v_seal IS NULL OR v_seal NOT IN ('MATCH', 'MISMATCH') THEN
        PERFORM otp.bad_input(format('invalid seal check result: %s', coalesce(p_seal, '(null)')), 'MATCH or MISMATCH');
    END IF;

    SELECT * INTO d1 FROM otp.id_document_type WHERE code = p_doc_type;
    IF NOT FOUND THEN
        PERFORM otp.bad_input(format('unknown identity document type: %s', coalesce(p_doc_type, '(null)')),
            'one of ' || (SELECT string_agg(code, ', ' ORDER BY sort_order) FROM otp.id_document_type));
    END IF;
    IF NOT otp.id_document_accepted(d1, v_today) THEN
        PERFORM otp.bad_input(format('%s (%s) is not accepted on %s', d1.name_en, d1.name_ja, v_today),
                              nullif(d1.note, ''));
    END IF;
    IF p_doc_issued IS NOT NULL AND p_doc_issued > v_today THEN
        PERFORM otp.bad_input(format('the issue date %s is in the future', p_doc_issued));
    END IF;
    IF d1.no_address_if_issued_from IS NOT NULL AND p_doc_issued IS NULL THEN
        PERFORM otp.bad_input(format('the issue date of the %s is required', lower(d1.name_en)),
                              format('issued on or after %s it has no address field', d1.no_address_if_issued_from));
    END IF;
    IF v_doc2 IS NOT NULL THEN
        SELECT * INTO d2 FROM otp.id_document_type WHERE code = v_doc2;
        IF NOT FOUND THEN
            PERFORM otp.bad_input(format('unknown identity document type: %s', v_doc2),
                'one of ' || (SELECT string_agg(code, ', ' ORDER BY sort_order) FROM otp.id_document_type));
        END IF;
        IF d2.code = d1.code THEN
            PERFORM otp.bad_input('the second document must be of another type than the first');
        END IF;
        IF NOT otp.id_document_accepted(d2, v_today) THEN
            PERFORM otp.bad_input(format('%s (%s) is not accepted on %s', d2.name_en, d2.name_ja, v_today),
                                  nullif(d2.note, ''));
        END IF;
        IF NOT d2.has_address OR d2.no_address_if_issued_from IS NOT NULL THEN
            PERFORM otp.bad_input(format('%s cannot serve as the second document: it must show the address', d2.name_en));
        END IF;
    ELSIF NOT d1.has_address THEN
        PERFORM otp.bad_input(format('the %s shows no address: a second document showing the address is required',
                                     lower(d1.name_en)),
                              'e.g. a driver''s licence, residence card or eligibility certificate (--doc2)');
    ELSIF p_doc_issued >= d1.no_address_if_issued_from THEN
        PERFORM otp.bad_input(format('a %s issued on or after %s has no address field: a second document showing the address is required',
                                     lower(d1.name_en), d1.no_address_if_issued_from),
                              'e.g. a driver''s licence, residence card or eligibility certificate (--doc2)');
    END IF;

    SELECT * INTO c FROM otp.contract WHERE contract_id = p_contract;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'OD002', MESSAGE = format('no contract with ID %s', p_contract);
    END IF;
    v_details := jsonb_build_object('kind', v_kind, 'form_no', p_form_no, 'doc_type', d1.code,
                                    'doc2_type', d2.code, 'doc_issued', p_doc_issued,
                                    'name_matched', p_name_matched, 'address_matched', p_address_matched,
                                    'seal', v_seal);
    IF NOT otp.serves_branch(c.branch_code) THEN
        RETURN otp.refuse(ev, 'OD001',
            format('contract %s belongs to branch %s: only its own tellers or the head office may submit for it',
                   c.contract_id, c.branch_code),
            via, c.branch_code, c.contract_id, NULL, NULL, v_details);
    END IF;
    IF NOT (p_name_matched AND p_address_matched) THEN
        RETURN otp.refuse(ev, 'OD003',
            'identity check failed: the name and the address on the document must both match the contract',
            via, c.branch_code, c.contract_id, NULL, NULL, v_details);
    END IF;
    IF v_seal <> 'MATCH' THEN
        RETURN otp.refuse(ev, 'OD003',
            'seal check failed: the seal on the form does not match the registered seal (届出印); '
            'the request cannot go forward',
            via, c.branch_code, c.contract_id, NULL, NULL, v_details);
    END IF;
    h := otp.open_hold(c.contract_id);
    IF h.hold_id IS NOT NULL THEN
        RETURN otp.refuse(ev, 'OD006',
            format('contract %s is under a fraud hold since %s (%s): no unlock or reset until the helpdesk lifts it',
                   c.contract_id, to_char(h.set_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI'), h.reason),
            via, c.branch_code, c.contract_id, NULL, NULL, v_details || jsonb_build_object('hold_id', h.hold_id));
    END IF;

    -- The token row lock serialises submits for one token.
    SELECT * INTO t FROM otp.token WHERE contract_id = c.contract_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN otp.refuse(ev, 'OD003', format('contract %s has no token', c.contract_id),
                          via, c.branch_code, c.contract_id, NULL, NULL, v_details);
    END IF;
    IF v_kind = 'UNLOCK' AND t.state <> 'LOCKED' THEN
        RETURN otp.refuse(ev, 'OD003',
            format('an UNLOCK request needs a LOCKED token; the token of contract %s is %s', c.contract_id, t.state),
            via, c.branch_code, c.contract_id, t.credential_id, NULL, v_details);
    END IF;
    IF v_kind = 'RESET' AND t.state NOT IN ('ACTIVE', 'LOCKED', 'STOPPED') THEN
        RETURN otp.refuse(ev, 'OD003',
            format('a RESET request needs an ACTIVE, LOCKED or STOPPED token; the token of contract %s is %s',
                   c.contract_id, t.state),
            via, c.branch_code, c.contract_id, t.credential_id, NULL, v_details);
    END IF;
    SELECT * INTO o FROM otp.request WHERE token_id = t.token_id AND state IN ('SUBMITTED', 'APPROVED');
    IF FOUND THEN
        RETURN otp.refuse(ev, 'OD003',
            format('request %s (%s, %s) is already open for contract %s: at most one open request per token',
                   o.receipt_no, o.kind, o.state, c.contract_id),
            via, c.branch_code, c.contract_id, t.credential_id, o.request_id,
            v_details || jsonb_build_object('open_receipt_no', o.receipt_no));
    END IF;

    SELECT d.day1, d.eligible, d.due INTO v_day1, v_eligible, v_due
    FROM otp.due_dates(v_received, c.branch_code) d;
    IF v_day1 IS NULL THEN
        RAISE EXCEPTION 'otp.due_dates gave no dates for branch % at %', c.branch_code, v_received;
    END IF;

    INSERT INTO otp.receipt_counter AS rc (branch_code, day, last_no) VALUES (c.branch_code, v_today, 1)
    ON CONFLICT (branch_code, day) DO UPDATE SET last_no = rc.last_no + 1
    RETURNING rc.last_no INTO v_no;
    v_receipt := format('%s-%s-%s', c.branch_code, to_char(v_today, 'YYYYMMDD'),
                        lpad(v_no::text, greatest(4, length(v_no::text)), '0'));

    INSERT INTO otp.request (receipt_no, branch_code, contract_id, token_id, kind, token_state, credential_id,
                             form_no, doc_type, doc_issued, doc2_type, name_matched, address_matched,
                             id_checked_by, seal_result, seal_checked_by, received_at, day1, eligible, due,
                             submitted_by, notes)
    VALUES (v_receipt, c.branch_code, c.contract_id, t.token_id, v_kind, t.state, t.credential_id,
            p_form_no, d1.code, p_doc_issued, d2.code, p_name_matched, p_address_matched,
            session_user, v_seal, session_user, v_received, v_day1, v_eligible, v_due,
            session_user, v_notes)
    RETURNING request_id INTO v_id;

    PERFORM otp.audit(ev, 'success', via, c.branch_code, c.contract_id, t.credential_id, v_id,
                      v_details || jsonb_build_object('receipt_no', v_receipt, 'day1', v_day1,
                                                      'eligible', v_eligible, 'due', v_due));
    RETURN otp.success(format('request %s submitted (%s of contract %s): eligible %s, due %s',
                              v_receipt, v_kind, c.contract_id, v_eligible, v_due),
                       v_receipt,
                       jsonb_build_object('receipt_no', v_receipt, 'request_id', v_id, 'day1', v_day1,
                                          'eligible', v_eligible, 'due', v_due));
END
$$;

-- The checks approve and reject share: supervisor of the request's branch or
-- of the head office, never the submitter, request still SUBMITTED. Returns
-- the refusal, or NULL to go on.
CREATE FUNCTION otp.request_decision_refusal(ev text, via text, r otp.request) RETURNS otp_api.outcome
LANGUAGE plpgsql
AS $$
DECLARE
    det constant jsonb := jsonb_build_object('receipt_no', r.receipt_no, 'kind', r.kind, 'state', r.state);
BEGIN
    IF NOT otp.serves_branch(r.branch_code) THEN
        RETURN otp.refuse(ev, 'OD001',
            format('request %s belongs to branch %s: only its own supervisors or the head office may decide it',
                   r.receipt_no, r.branch_code),
            via, r.branch_code, r.contract_id, r.credential_id, r.request_id, det);
    END IF;
    IF r.submitted_by = session_user THEN
        RETURN otp.refuse(ev, 'OD005',
            format('dual control: %s submitted request %s and may not decide it; another supervisor must',
                   otp.staff_label(r.submitted_by), r.receipt_no),
            via, r.branch_code, r.contract_id, r.credential_id, r.request_id, det);
    END IF;
    IF r.state <> 'SUBMITTED' THEN
        RETURN otp.refuse(ev, 'OD003', otp.request_state_text(r),
                          via, r.branch_code, r.contract_id, r.credential_id, r.request_id, det);
    END IF;
    RETURN NULL;
END
$$;

-- Approve a SUBMITTED request (otp_supervisor, see request_decision_refusal).
-- Refused while the contract is under a fraud hold or when the token is no
-- longer in a state the request's kind applies to.
CREATE FUNCTION otp_api.request_approve(p_receipt_no text)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_supervisor'];
    via text := otp.acting_role(allowed);
    ev constant text := 'request.approve';
    r otp.request;
    t otp.token;
    h otp.fraud_hold;
    refusal otp_api.outcome;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role(ev, allowed);
    END IF;
    r := otp.request_lock(p_receipt_no);
    refusal := otp.request_decision_refusal(ev, via, r);
    IF refusal.code IS NOT NULL THEN
        RETURN refusal;
    END IF;
    h := otp.open_hold(r.contract_id);
    IF h.hold_id IS NOT NULL THEN
        RETURN otp.refuse(ev, 'OD006',
            format('contract %s is under a fraud hold since %s (%s): request %s cannot be approved until it is lifted',
                   r.contract_id, to_char(h.set_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI'), h.reason, r.receipt_no),
            via, r.branch_code, r.contract_id, r.credential_id, r.request_id,
            jsonb_build_object('receipt_no', r.receipt_no, 'hold_id', h.hold_id));
    END IF;
    SELECT * INTO t FROM otp.token WHERE token_id = r.token_id;
    IF (r.kind = 'UNLOCK' AND t.state <> 'LOCKED') OR
       (r.kind = 'RESET' AND t.state NOT IN ('ACTIVE', 'LOCKED', 'STOPPED')) THEN
        RETURN otp.refuse(ev, 'OD003',
            format('the token of contract %s is now %s: the %s request %s no longer applies; cancel it',
                   r.contract_id, t.state, r.kind, r.receipt_no),
            via, r.branch_code, r.contract_id, r.credential_id, r.request_id,
            jsonb_build_object('receipt_no', r.receipt_no, 'token_state', t.state));
    END IF;
    UPDATE otp.request SET state = 'APPROVED', decided_by = session_user, decided_at = clock_timestamp()
    WHERE request_id = r.request_id;
    PERFORM otp.audit(ev, 'success', via, r.branch_code, r.contract_id, r.credential_id, r.request_id,
                      jsonb_build_object('receipt_no', r.receipt_no, 'kind', r.kind, 'eligible', r.eligible));
    RETURN otp.success(format('request %s approved: the batch executes it from %s', r.receipt_no, r.eligible),
                       r.receipt_no, jsonb_build_object('eligible', r.eligible, 'due', r.due));
END
$$;

-- Reject a SUBMITTED request with a reason (otp_supervisor, same rules as approve).
CREATE FUNCTION otp_api.request_reject(p_receipt_no text, p_reason text)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_supervisor'];
    via text := otp.acting_role(allowed);
    ev constant text := 'request.reject';
    v_reason text;
    r otp.request;
    refusal otp_api.outcome;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role(ev, allowed);
    END IF;
    v_reason := otp.check_reason('the reason', p_reason);
    r := otp.request_lock(p_receipt_no);
    refusal := otp.request_decision_refusal(ev, via, r);
    IF refusal.code IS NOT NULL THEN
        RETURN refusal;
    END IF;
    UPDATE otp.request SET state = 'REJECTED', decided_by = session_user, decided_at = clock_timestamp(),
                           reject_reason = v_reason
    WHERE request_id = r.request_id;
    PERFORM otp.audit(ev, 'success', via, r.branch_code, r.contract_id, r.credential_id, r.request_id,
                      jsonb_build_object('receipt_no', r.receipt_no, 'kind', r.kind, 'reason', v_reason));
    RETURN otp.success(format('request %s rejected', r.receipt_no), r.receipt_no);
END
$$;

-- Cancel an open (SUBMITTED or APPROVED) request because the customer
-- withdrew it (otp_teller or otp_supervisor of its branch or the head office).
CREATE FUNCTION otp_api.request_cancel(p_receipt_no text, p_reason text)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_supervisor', 'otp_teller'];
    via text := otp.acting_role(allowed);
    ev constant text := 'request.cancel';
    v_reason text;
    r otp.request;
    det jsonb;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role(ev, allowed);
    END IF;
    v_reason := otp.check_reason('the reason', p_reason);
    r := otp.request_lock(p_receipt_no);
    det := jsonb_build_object('receipt_no', r.receipt_no, 'kind', r.kind, 'state', r.state);
    IF NOT otp.serves_branch(r.branch_code) THEN
        RETURN otp.refuse(ev, 'OD001',
            format('request %s belongs to branch %s: only its own staff or the head office may cancel it',
                   r.receipt_no, r.branch_code),
            via, r.branch_code, r.contract_id, r.credential_id, r.request_id, det);
    END IF;
    IF r.state NOT IN ('SUBMITTED', 'APPROVED') THEN
        RETURN otp.refuse(ev, 'OD003', otp.request_state_text(r),
                          via, r.branch_code, r.contract_id, r.credential_id, r.request_id, det);
    END IF;
    UPDATE otp.request SET state = 'CANCELLED', cancelled_by = session_user, cancelled_at = clock_timestamp(),
                           cancel_reason = v_reason
    WHERE request_id = r.request_id;
    PERFORM otp.audit(ev, 'success', via, r.branch_code, r.contract_id, r.credential_id, r.request_id,
                      det || jsonb_build_object('reason', v_reason));
    RETURN otp.success(format('request %s cancelled', r.receipt_no), r.receipt_no);
END
$$;

-- Execute one APPROVED request whose eligible date is on or before p_as_of
-- (otp_batch; NULL = today, Japan time; never a future day). Idempotent: an
-- EXECUTED request gives ok with data {"already_executed": true} and changes
-- nothing. UNLOCK: LOCKED -> ACTIVE with the counter cleared. RESET: the
-- credential is revoked and the seed destroyed; the token is UNREGISTERED.
CREATE FUNCTION otp_api.request_execute(p_receipt_no text, p_as_of date)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_batch'];
    via text := otp.acting_role(allowed);
    ev constant text := 'request.execute';
    v_today constant date := (clock_timestamp() AT TIME ZONE 'Asia/Tokyo')::date;
    v_as_of date := coalesce(p_as_of, v_today);
    r otp.request;
    t otp.token;
    h otp.fraud_hold;
    det jsonb;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role(ev, allowed);
    END IF;
    IF v_as_of > v_today THEN
        PERFORM otp.bad_input(format('as-of date %s is in the future (today is %s, Japan time)', v_as_of, v_today));
    END IF;
    r := otp.request_lock(p_receipt_no);
    IF r.state = 'EXECUTED' THEN
        RETURN otp.success(otp.request_state_text(r), r.receipt_no, jsonb_build_object('already_executed', true));
    END IF;
    det := jsonb_build_object('receipt_no', r.receipt_no, 'kind', r.kind, 'as_of', v_as_of);
    IF r.state <> 'APPROVED' THEN
        RETURN otp.refuse(ev, 'OD003', otp.request_state_text(r) || ': only APPROVED requests are executed',
                          via, r.branch_code, r.contract_id, r.credential_id, r.request_id, det);
    END IF;
    IF r.eligible > v_as_of THEN
        RETURN otp.refuse(ev, 'OD003',
            format('request %s is eligible from %s, not yet on %s', r.receipt_no, r.eligible, v_as_of),
            via, r.branch_code, r.contract_id, r.credential_id, r.request_id, det);
    END IF;
    h := otp.open_hold(r.contract_id);
    IF h.hold_id IS NOT NULL THEN
        RETURN otp.refuse(ev, 'OD006',
            format('contract %s is under a fraud hold: request %s waits until it is lifted', r.contract_id, r.receipt_no),
            via, r.branch_code, r.contract_id, r.credential_id, r.request_id,
            det || jsonb_build_object('hold_id', h.hold_id));
    END IF;
    SELECT * INTO t FROM otp.token WHERE token_id = r.token_id FOR UPDATE;
    det := det || jsonb_build_object('token_state_before', t.state);
    IF (r.kind = 'UNLOCK' AND t.state <> 'LOCKED') OR
       (r.kind = 'RESET' AND t.state NOT IN ('ACTIVE', 'LOCKED', 'STOPPED')) THEN
        RETURN otp.refuse(ev, 'OD003',
            format('the token of contract %s is %s: the %s request %s no longer applies; cancel it',
                   r.contract_id, t.state, r.kind, r.receipt_no),
            via, r.branch_code, r.contract_id, t.credential_id, r.request_id, det);
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
    PERFORM otp.audit(ev, 'success', via, r.branch_code, r.contract_id, t.credential_id, r.request_id, det);
    RETURN otp.success(format('request %s executed: %s of contract %s', r.receipt_no, r.kind, r.contract_id),
                       r.receipt_no,
                       jsonb_build_object('kind', r.kind, 'token_state',
                                          CASE WHEN r.kind = 'UNLOCK' THEN 'ACTIVE' ELSE 'UNREGISTERED' END));
END
$$;

-- Put a contract under a fraud hold (otp_helpdesk, otp_admin): blocks the
-- submission, approval and execution of branch unlocks and resets.
CREATE FUNCTION otp_api.fraud_hold_set(p_contract text, p_reason text)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_admin', 'otp_helpdesk'];
    via text := otp.acting_role(allowed);
    ev constant text := 'fraud_hold.set';
    v_reason text;
    c otp.contract;
    h otp.fraud_hold;
    v_id bigint;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role(ev, allowed);
    END IF;
    PERFORM otp.check_no_my_number('the contract ID', p_contract);
    v_reason := otp.check_reason('the reason', p_reason);
    IF p_contract IS NULL OR p_contract !~ '^[0-9]{10}$' THEN
        PERFORM otp.bad_input(format('invalid contract ID: %s', coalesce(p_contract, '(null)')), 'ten digits');
    END IF;
    -- the contract row lock serialises holds on one contract
    SELECT * INTO c FROM otp.contract WHERE contract_id = p_contract FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'OD002', MESSAGE = format('no contract with ID %s', p_contract);
    END IF;
    h := otp.open_hold(c.contract_id);
    IF h.hold_id IS NOT NULL THEN
        RETURN otp.refuse(ev, 'OD003',
            format('contract %s is already under a fraud hold set by %s at %s', c.contract_id,
                   otp.staff_label(h.set_by), to_char(h.set_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI')),
            via, c.branch_code, c.contract_id, NULL, NULL, jsonb_build_object('hold_id', h.hold_id));
    END IF;
    INSERT INTO otp.fraud_hold (contract_id, reason, set_by) VALUES (c.contract_id, v_reason, session_user)
    RETURNING hold_id INTO v_id;
    PERFORM otp.audit(ev, 'success', via, c.branch_code, c.contract_id, NULL, NULL,
                      jsonb_build_object('hold_id', v_id, 'reason', v_reason));
    RETURN otp.success(format('fraud hold set on contract %s', c.contract_id), c.contract_id,
                       jsonb_build_object('hold_id', v_id));
END
$$;

-- Lift a contract's fraud hold with a reason (otp_helpdesk, otp_admin).
CREATE FUNCTION otp_api.fraud_hold_lift(p_contract text, p_reason text)
RETURNS otp_api.outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    allowed constant text[] := ARRAY['otp_admin', 'otp_helpdesk'];
    via text := otp.acting_role(allowed);
    ev constant text := 'fraud_hold.lift';
    v_reason text;
    c otp.contract;
    h otp.fraud_hold;
BEGIN
    IF via IS NULL THEN
        RETURN otp.refuse_role(ev, allowed);
    END IF;
    PERFORM otp.check_no_my_number('the contract ID', p_contract);
    v_reason := otp.check_reason('the reason', p_reason);
    IF p_contract IS NULL OR p_contract !~ '^[0-9]{10}$' THEN
        PERFORM otp.bad_input(format('invalid contract ID: %s', coalesce(p_contract, '(null)')), 'ten digits');
    END IF;
    SELECT * INTO c FROM otp.contract WHERE contract_id = p_contract FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'OD002', MESSAGE = format('no contract with ID %s', p_contract);
    END IF;
    h := otp.open_hold(c.contract_id);
    IF h.hold_id IS NULL THEN
        RETURN otp.refuse(ev, 'OD003', format('contract %s is not under a fraud hold', c.contract_id),
                          via, c.branch_code, c.contract_id, NULL, NULL, '{}');
    END IF;
    UPDATE otp.fraud_hold SET lifted_by = session_user, lifted_at = clock_timestamp(), lift_reason = v_reason
    WHERE hold_id = h.hold_id;
    PERFORM otp.audit(ev, 'success', via, c.branch_code, c.contract_id, NULL, NULL,
                      jsonb_build_object('hold_id', h.hold_id, 'reason', v_reason, 'set_reason', h.reason,
                                         'set_by', h.set_by));
    RETURN otp.success(format('fraud hold on contract %s lifted', c.contract_id), c.contract_id,
                       jsonb_build_object('hold_id', h.hold_id));
END
$$;

GRANT EXECUTE ON FUNCTION
    otp_api.request_submit(text, text, text, text, text, date, boolean, boolean, text, text),
    otp_api.request_approve(text),
    otp_api.request_reject(text, text),
    otp_api.request_cancel(text, text),
    otp_api.request_execute(text, date),
    otp_api.fraud_hold_set(text, text),
    otp_api.fraud_hold_lift(text, text)
TO otp_teller, otp_supervisor, otp_helpdesk, otp_auditor, otp_admin, otp_verifier, otp_batch;

---------------------------------------------------------------------------
-- Views
---------------------------------------------------------------------------

-- Requests as the queue, approval and history screens show them, scoped to
-- the caller's branch (head office, helpdesk, auditors, admin, batch: all).
CREATE VIEW otp_api.requests WITH (security_barrier) AS
    SELECT r.request_id, r.receipt_no, r.branch_code, b.name AS branch_name,
           r.contract_id, c.name_kanji, c.name_kana,
           r.kind, r.state,
           r.token_state AS token_state_at_submit, coalesce(t.state, 'UNREGISTERED') AS token_state,
           r.credential_id, r.form_no,
           r.doc_type, d1.name_ja AS doc_name_ja, d1.name_en AS doc_name_en, r.doc_issued,
           r.doc2_type, d2.name_ja AS doc2_name_ja, d2.name_en AS doc2_name_en,
           r.name_matched, r.address_matched, r.id_checked_by, r.seal_result, r.seal_checked_by,
           r.received_at, r.day1, r.eligible, r.due,
           r.submitted_by, ss.display_name AS submitted_by_name,
           r.decided_by, sd.display_name AS decided_by_name, r.decided_at, r.reject_reason,
           r.executed_by, r.executed_at, r.revoked_credential_id,
           r.cancelled_by, sc.display_name AS cancelled_by_name, r.cancelled_at, r.cancel_reason,
           r.notes,
           (r.state IN ('SUBMITTED', 'APPROVED') AND (now() AT TIME ZONE 'Asia/Tokyo')::date > r.due) AS is_overdue,
           (h.hold_id IS NOT NULL) AS fraud_hold
    FROM otp.request r
    JOIN otp.branch b ON b.code = r.branch_code
    JOIN otp.contract c ON c.contract_id = r.contract_id
    LEFT JOIN otp.token t ON t.token_id = r.token_id
    JOIN otp.id_document_type d1 ON d1.code = r.doc_type
    LEFT JOIN otp.id_document_type d2 ON d2.code = r.doc2_type
    LEFT JOIN otp.staff ss ON ss.login = r.submitted_by
    LEFT JOIN otp.staff sd ON sd.login = r.decided_by
    LEFT JOIN otp.staff sc ON sc.login = r.cancelled_by
    LEFT JOIN otp.fraud_hold h ON h.contract_id = r.contract_id AND h.lifted_at IS NULL
    WHERE (SELECT otp.my_scope()) IN ('*', r.branch_code);

-- Open requests (SUBMITTED or APPROVED) past the end of their due date, Japan time.
CREATE VIEW otp_api.requests_overdue WITH (security_barrier) AS
    SELECT * FROM otp_api.requests WHERE is_overdue;

CREATE VIEW otp_api.id_document_types AS
    SELECT code, name_ja, name_en, has_address, no_address_if_issued_from, accepted_from, accepted_until,
           (coalesce(accepted_from <= (now() AT TIME ZONE 'Asia/Tokyo')::date, true) AND
            coalesce(accepted_until >= (now() AT TIME ZONE 'Asia/Tokyo')::date, true)) AS accepted_today,
           sort_order, note
    FROM otp.id_document_type d;

GRANT SELECT ON otp_api.requests, otp_api.requests_overdue
    TO otp_teller, otp_supervisor, otp_helpdesk, otp_auditor, otp_admin, otp_batch;
GRANT SELECT ON otp_api.id_document_types
    TO otp_teller, otp_supervisor, otp_helpdesk, otp_auditor, otp_admin, otp_verifier, otp_batch;
