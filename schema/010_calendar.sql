SET LOCAL ROLE otp_owner;

-- 010_calendar: the business-day calendar on the server.
--
-- otp.holiday holds the Japanese national holidays 1980-2099. It is not
-- written by hand: db_calendar_sync() (db/db_calendar.c) fills it from the C
-- module cal/ after every `otpctl db migrate`, so C and SQL share one source
-- of truth for the law. The functions below implement the same bank
-- calendar and due-date rule as cal/cal_business.c; tests/db/test_calendar.c
-- compares the two for every day of several years. Change both or neither.
--
-- Bank closing days: Saturdays, Sundays, national holidays, Dec 31 - Jan 3,
-- and the branch's own days in otp.branch_closing_day. A request received
-- (Japan time) on a business day of its branch before the branch's cutoff
-- (otp.branch.cutoff, else otp.policy.cutoff; the cutoff itself counts as
-- after) has that day as business day 1, else the next business day; it is
-- eligible on business day 2 and due by the end of business day 3.
--
-- Branch NULL means the national calendar with the policy's cutoff. An
-- unknown branch raises OD002; a day outside 1980-01-01..2099-12-31 (where
-- holidays are not known) raises OD004.

CREATE TABLE otp.holiday (
    day      date PRIMARY KEY CHECK (day BETWEEN '1980-01-01' AND '2099-12-31'),
    name_ja  text NOT NULL CHECK (length(name_ja) BETWEEN 1 AND 60),
    name_en  text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 60)
);

-- Raise OD002 unless branch is NULL or a known branch code.
CREATE FUNCTION otp.calendar_branch_check(branch text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = otp, pg_catalog, pg_temp
AS $$
BEGIN
    IF calendar_branch_check.branch IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM otp.branch b WHERE b.code = calendar_branch_check.branch) THEN
        RAISE EXCEPTION USING ERRCODE = 'OD002',
            MESSAGE = format('unknown branch: %s', calendar_branch_check.branch),
            HINT = 'branch codes are three digits, e.g. 012';
    END IF;
END
$$;

-- true when banks and the branch are open on day (the branch is not
-- checked here: callers check it once). This helper and the next one are
-- called once per day walked, so they carry no SET search_path (which costs
-- on every call); they name every object with its schema and run under the
-- pinned search_path of the functions that call them.
CREATE FUNCTION otp.calendar_open(day date, branch text) RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF calendar_open.day IS NULL OR calendar_open.day NOT BETWEEN date '1980-01-01' AND date '2099-12-31' THEN
        RAISE EXCEPTION USING ERRCODE = 'OD004',
            MESSAGE = format('%s is outside the calendar''s range 1980-01-01..2099-12-31',
                             coalesce(calendar_open.day::text, 'NULL'));
    END IF;
    RETURN extract(isodow FROM calendar_open.day) < 6
       AND to_char(calendar_open.day, 'MM-DD') NOT IN ('12-31', '01-01', '01-02', '01-03')
       AND NOT EXISTS (SELECT 1 FROM otp.holiday h WHERE h.day = calendar_open.day)
       AND NOT EXISTS (SELECT 1 FROM otp.branch_closing_day c
                       WHERE c.branch_code = calendar_open.branch AND c.day = calendar_open.day);
END
$$;

-- Moved by n business days, as cal_business_day_add(): n > 0 the n-th
-- business day after day, n < 0 the |n|-th before it, n = 0 day itself when
-- a business day, else the next one (branch not checked here).
CREATE FUNCTION otp.calendar_add(day date, n integer, branch text) RETURNS date
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    d date := calendar_add.day;
    step integer := CASE WHEN calendar_add.n < 0 THEN -1 ELSE 1 END;
    left_ integer := abs(calendar_add.n);
BEGIN
    IF calendar_add.n IS NULL THEN
        PERFORM otp.bad_input('the number of business days is required');
    END IF;
    IF left_ = 0 THEN
        WHILE NOT otp.calendar_open(d, calendar_add.branch) LOOP
            d := d + 1;
        END LOOP;
        RETURN d;
    END IF;
    PERFORM otp.calendar_open(d, calendar_add.branch);	-- the range check of day itself
    WHILE left_ > 0 LOOP
        d := d + step;
        IF otp.calendar_open(d, calendar_add.branch) THEN
            left_ := left_ - 1;
        END IF;
    END LOOP;
    RETURN d;
END
$$;

-- Is day a business day of branch (NULL: the national bank calendar)?
CREATE FUNCTION otp.is_business_day(day date, branch text) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = otp, pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM otp.calendar_branch_check(is_business_day.branch);
    RETURN otp.calendar_open(is_business_day.day, is_business_day.branch);
END
$$;

-- day moved by n business days of branch (see otp.calendar_add).
CREATE FUNCTION otp.business_day_add(day date, n integer, branch text) RETURNS date
LANGUAGE plpgsql STABLE SET search_path = otp, pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM otp.calendar_branch_check(business_day_add.branch);
    RETURN otp.calendar_add(business_day_add.day, business_day_add.n, business_day_add.branch);
END
$$;

-- Business day 1, the eligible day (2) and the due day (3) of a request
-- received at `received` by branch; the rule of cal_due().
CREATE FUNCTION otp.due_dates(received timestamptz, branch text)
RETURNS TABLE (day1 date, eligible date, due date)
LANGUAGE plpgsql STABLE SET search_path = otp, pg_catalog, pg_temp
AS $$
DECLARE
    at_jst timestamp := due_dates.received AT TIME ZONE 'Asia/Tokyo';
    cut time;
BEGIN
    IF due_dates.received IS NULL THEN
        PERFORM otp.bad_input('the time the form was received is required');
    END IF;
    PERFORM otp.calendar_branch_check(due_dates.branch);
    cut := coalesce((SELECT b.cutoff FROM otp.branch b WHERE b.code = due_dates.branch),
                    (SELECT p.cutoff FROM otp.policy p),
                    time '15:00');
    IF otp.calendar_open(at_jst::date, due_dates.branch) AND at_jst::time < cut THEN
        day1 := at_jst::date;
    ELSE
        day1 := otp.calendar_add(at_jst::date, 1, due_dates.branch);
    END IF;
    eligible := otp.calendar_add(day1, 1, due_dates.branch);
    due := otp.calendar_add(eligible, 1, due_dates.branch);
    RETURN NEXT;
END
$$;

-- What staff read and call. The holiday list is public knowledge; the due
-- dates only compute (no change, so no audit), but need the owner's rights
-- to read otp.holiday, otp.branch_closing_day and otp.policy.
CREATE VIEW otp_api.holidays AS
    SELECT day, name_ja, name_en FROM otp.holiday;

CREATE FUNCTION otp_api.due_dates(received timestamptz, branch text)
RETURNS TABLE (day1 date, eligible date, due date)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = otp, pg_catalog, pg_temp
AS $$ SELECT d.day1, d.eligible, d.due FROM otp.due_dates($1, $2) d $$;

GRANT SELECT ON otp_api.holidays
    TO otp_teller, otp_supervisor, otp_helpdesk, otp_auditor, otp_admin, otp_verifier, otp_batch;
GRANT EXECUTE ON FUNCTION otp_api.due_dates(timestamptz, text)
    TO otp_teller, otp_supervisor, otp_helpdesk, otp_auditor, otp_admin, otp_verifier, otp_batch;
