"""The analytics schema: every table, column, type and meaning. The one source for the extract,
for docs/analytics-schema.md (rendered by ``render_markdown``) and for definition checks."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

# The version of the tables' layout, written to each folder's manifest.json; raised when a column changes
# meaning, so that what was computed on one version (a profiling model) is not applied to another.
SCHEMA_VERSION = 1
DAYS_PER_MONTH = 30.4375  # 365.25 / 12: duration_months = duration_days / DAYS_PER_MONTH
# Bands of what is known at enrolment (profiling's inputs, docs/profiling.md): months since the person
# last worked, years lived in Sweden; the WAI assessment that counts as made at enrolment.
LAST_WORK_BANDS = ("never", "0-5", "6-11", "12-23", "24-59", "60-")
SWEDEN_BANDS = ("0-1", "2-4", "5-9", "10-")
WAI_DAYS = 30


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    meaning: str
    nullable: bool = True
    values: tuple[str, ...] | None = None  # the only values a text column may hold (checked on import)


@dataclass(frozen=True)
class Table:
    name: str
    grain: str
    columns: tuple[Column, ...]
    # The file's row order. The columns the indicators filter on come first, so that each row group
    # holds few of their values and a scan skips the groups whose min/max rule its filters out.
    sort_key: tuple[str, ...]
    register: bool = False  # imported from a register file (``pestrack analytics import``), not extracted
    # Labour-market information (pestrack/lmi): contract events and the positions derived from
    # them, written by ``pestrack lmi import`` / ``lmi synth``, never by the extract. Every row is
    # one version of what was known, valid from ``known_date`` until ``superseded_date``.
    lmi: bool = False

    @property
    def arrow(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type, nullable=c.nullable) for c in self.columns])


def _c(name, type_, meaning, nullable=True, values=None):
    return Column(name, type_, meaning, nullable, values)


S, D, I64, I32, B, F = pa.string(), pa.date32(), pa.int64(), pa.int32(), pa.bool_(), pa.float64()

PERSON_COLUMNS = (
    _c(
        "person_key",
        S,
        "Pseudonymous person id: keyed hash of the identity number (stable across extracts and "
        "register files pseudonymised with the same key)",
        False,
    ),
    _c("sex", S, "woman or man (sex as used for statistics)", False),
    _c("birth_year", I32, "Year of birth", False),
    _c("municipality", S, "Municipality code of registration (kommunkod)", False),
    _c("education_level", S, "Education level code of the profile"),
    _c("born_abroad", B, "Born outside Sweden"),
)
ENROLMENT_CONTEXT = (
    _c("programme", S, "Programme code of the profile", False),
    _c("org_unit", S, "Organisation unit code of the enrolment", False),
    _c("org_unit_path", S, "Materialised path of the unit in the organisation tree, /city/administration/unit/", False),
    _c("target_group", S, "Target group code", False),
)

TABLES: tuple[Table, ...] = (
    Table(
        "enrolments",
        "one row per enrolment (inskrivning)",
        (
            _c("enrolment_id", I64, "Enrolment id (opaque)", False),
            *PERSON_COLUMNS,
            *ENROLMENT_CONTEXT,
            _c("referring_unit", S, "Code of the unit or district that referred the person"),
            _c("referring_body", S, "Referring body code"),
            _c("entry_route", S, "Entry route code", False),
            _c("has_decision", B, "A Social Services Act decision is recorded", False),
            _c("start_date", D, "Enrolment start", False),
            _c("end_date", D, "Enrolment end (exit date); empty while open"),
            _c("exit_reason", S, "Exit reason code; empty while open"),
            _c("exit_outcome", S, "work, studies or other (from the exit reason's outcome rule); empty while open"),
            _c("age_at_start", I32, "Age in whole years on the start date", False),
            _c("age_band_at_start", S, "Age band (profile) on the start date", False),
            _c(
                "days_to_first_measure",
                I32,
                "Days from the enrolment's start to the start of its first current "
                "participation in a measure (the offer); empty when it has none",
            ),
            _c(
                "time_since_last_work",
                S,
                "Months from the month the person last worked to the start, as told at enrolment, banded "
                "(never: has never worked); empty when not recorded",
                values=LAST_WORK_BANDS,
            ),
            _c(
                "time_in_sweden",
                S,
                "Whole years lived in Sweden at the start, banded: from the arrival year for a person born "
                "abroad, the age for one born in Sweden; empty when the birth country, or the arrival year "
                "of a person born abroad, is not recorded",
                values=SWEDEN_BANDS,
            ),
            _c(
                "wai_band_at_start",
                S,
                f"Band (the instrument's bands rule) of the enrolment's first Work Ability Index assessment "
                f"(instrument wai) dated at most {WAI_DAYS} days after the start; empty when none",
            ),
        ),
        sort_key=("programme", "target_group", "start_date", "enrolment_id"),
    ),
    Table(
        "exits",
        "one row per ended enrolment (a withdrawn exit reopens the enrolment and leaves this table)",
        (
            _c("enrolment_id", I64, "Enrolment id (opaque)", False),
            *PERSON_COLUMNS,
            *ENROLMENT_CONTEXT,
            _c("entry_route", S, "Entry route code", False),
            _c("start_date", D, "Enrolment start", False),
            _c("exit_date", D, "Enrolment end", False),
            _c("exit_reason", S, "Exit reason code", False),
            _c("exit_outcome", S, "work, studies or other", False),
            _c("duration_days", I32, "Days from start to exit", False),
            _c("duration_months", F, f"Months from start to exit (days / {DAYS_PER_MONTH})", False),
            _c("age_at_exit", I32, "Age in whole years on the exit date", False),
            _c("age_band_at_exit", S, "Age band (profile) on the exit date", False),
        ),
        sort_key=("programme", "target_group", "exit_date", "enrolment_id"),
    ),
    Table(
        "participations",
        "one row per current participation in a measure (withdrawn ones left out)",
        (
            _c("participation_id", I64, "Participation id (opaque)", False),
            _c("enrolment_id", I64, "Enrolment id", False),
            *PERSON_COLUMNS,
            *ENROLMENT_CONTEXT,
            _c("measure", S, "Measure code", False),
            _c("provider_type", S, "Provider type code (own, procured, civil_society, arbetsformedlingen)"),
            _c("place_id", I64, "Place id when the measure is on a recorded place"),
            _c("start_date", D, "Start of the participation", False),
            _c("end_date", D, "End of the participation; empty while ongoing"),
            _c("age_at_start", I32, "Age in whole years on the start date", False),
            _c("age_band_at_start", S, "Age band on the start date", False),
        ),
        sort_key=("measure", "start_date", "participation_id"),
    ),
    Table(
        "followups",
        "one row per current follow-up of an ended enrolment, N months after exit (withdrawn ones left out)",
        (
            _c("enrolment_id", I64, "Enrolment id", False),
            *PERSON_COLUMNS,
            *ENROLMENT_CONTEXT,
            _c("exit_date", D, "Enrolment end", False),
            _c("exit_reason", S, "Exit reason code", False),
            _c("exit_outcome", S, "work, studies or other", False),
            _c("months", I32, "Months after exit", False),
            _c("reference_date", D, "Date the outcome refers to", False),
            _c("working", B, "Working; empty when unknown"),
            _c("studying", B, "Studying; empty when unknown"),
            _c("self_sufficient", B, "No social assistance (försörjningsstöd); empty when unknown"),
            _c("source", S, "register or survey", False),
        ),
        sort_key=("programme", "months", "exit_date", "enrolment_id"),
    ),
    Table(
        "outreach",
        "one row per outreach contact (no person identified)",
        (
            _c("contact_id", I64, "Contact id (opaque)", False),
            _c("date", D, "Date of the contact", False),
            _c("org_unit", S, "Organisation unit code", False),
            _c("org_unit_path", S, "Materialised path of the unit", False),
            _c("target_group", S, "Target group code"),
            _c("sex", S, "woman or man; empty when not recorded"),
            _c("age_band", S, "Age band as recorded"),
            _c("level", I32, "Outreach level 1 or 2", False),
            _c("outcome", S, "Outcome code of the contact (the profile's, e.g. enrolled, studies)"),
        ),
        sort_key=("date", "contact_id"),
    ),
    Table(
        "places",
        "one row per place provided (the profile's place types: vacancies, work placements, summer jobs)",
        (
            _c("place_id", I64, "Place id (opaque)", False),
            _c("kind", S, "Place type code", False),
            _c("employer_is_city", B, "The employer is a unit of the city", False),
            _c("employer_org_unit", S, "Code of the city unit when the employer is one"),
            _c("sector_code", S, "SNI/NACE code of the employer"),
            _c("positions", I32, "Number of positions", False),
            _c("start_date", D, "First day", False),
            _c("end_date", D, "Last day"),
            _c("status", S, "open, filled, closed or expired; empty when not recorded"),
            _c("positions_filled", I32, "Positions taken by hired placements; empty when placements are not recorded"),
        ),
        sort_key=("kind", "start_date", "place_id"),
    ),
    Table(
        "placements",
        "one row per participant proposed for a place (matching), with what came of it",
        (
            _c("placement_id", I64, "Placement id (opaque)", False),
            _c("place_id", I64, "Place id", False),
            _c("kind", S, "Place type code", False),
            _c("person_key", S, "Pseudonymous person id", False),
            _c("sex", S, "woman or man", False),
            _c("programme", S, "Programme of the enrolment open on the proposal date; empty when none"),
            _c("org_unit", S, "Organisation unit code of that enrolment"),
            _c(
                "status",
                S,
                "proposed, interviewed, hired, rejected or withdrawn",
                False,
                ("proposed", "interviewed", "hired", "rejected", "withdrawn"),
            ),
            _c("proposed_date", D, "Date the participant was proposed", False),
            _c("hired_date", D, "Date of hire; empty when not hired"),
            _c("ended_date", D, "Last day of the employment; empty while it lasts"),
            _c("hired", B, "The placement led to a hire", False),
            _c("first_for_person", B, "The person's first proposal (earliest proposal date, then id)", False),
            _c("days_enrolment_to_proposal", I32, "Days from the start of the open enrolment to the proposal"),
            _c(
                "retained_3m", B, "Hires: still employed 3 months after the hire; empty when not hired or not yet known"
            ),
            _c(
                "retained_6m", B, "Hires: still employed 6 months after the hire; empty when not hired or not yet known"
            ),
            _c("employer_satisfaction", I32, "Employer satisfaction 1–5; empty when not asked"),
        ),
        sort_key=("proposed_date", "placement_id"),
    ),
    Table(
        "survey_answers",
        "one row per answer to a participant survey question",
        (
            _c("survey", S, "Survey code", False),
            _c("question", S, "Question code", False),
            _c("date", D, "Date answered", False),
            _c("org_unit", S, "Organisation unit code"),
            _c("person_key", S, "Pseudonymous person id when the answer is linked to an enrolment"),
            _c("sex", S, "woman or man when linked"),
            _c("value", I32, "Answer on the question's scale"),
        ),
        sort_key=("survey", "question", "date"),
    ),
    Table(
        "course_results",
        "one row per course taken in municipal adult education (komvux: sfi, basic, "
        "upper-secondary, combination education) or higher vocational education (yh)",
        (
            _c(
                "person_key",
                S,
                "Pseudonymous person id (the register file's identity number, pseudonymised on import)",
                False,
            ),
            _c("sex", S, "woman or man", False, ("woman", "man")),
            _c("age_band", S, "Age band (profile) on the start date"),
            _c(
                "school_form",
                S,
                "sfi, grundlaggande (basic), gymnasial (upper-secondary), kombination "
                "(combination education: vocational course with Swedish) or yh",
                False,
                ("sfi", "grundlaggande", "gymnasial", "kombination", "yh"),
            ),
            _c(
                "orientation",
                S,
                "gymnasial courses: hogskoleforberedande (preparing for university) or yrkes (vocational)",
                True,
                ("hogskoleforberedande", "yrkes"),
            ),
            _c("course_code", S, "Course or programme code of the register"),
            _c("provider", S, "Education provider code"),
            _c("start_date", D, "Course start", False),
            _c("planned_end_date", D, "Planned end of the course"),
            _c("end_date", D, "Actual end (last day, completed or not); empty while ongoing"),
            _c("completed", B, "Fullföljd: the course was followed to its end (not dropped out)", False),
            _c("grade", S, "Grade A–F; empty when none was given", True, ("A", "B", "C", "D", "E", "F")),
            _c("passed", B, "A passing grade (A–E), or the yh programme's exam; empty when not graded"),
            _c("within_planned_time", B, "Passed no later than the planned end date"),
            _c("sfi_beginner", B, "sfi: the person's first sfi course (nybörjare)", False),
            _c("passed_within_two_years", B, "sfi beginners: passed an sfi course within two years of this start"),
            _c("exam", B, "yh: graduated with the programme's exam"),
        ),
        register=True,
        sort_key=("school_form", "orientation", "end_date"),
    ),
    Table(
        "education_followups",
        "one row per follow-up of a finished education, N months after its end "
        "(register data, e.g. SCB or the provider's survey)",
        (
            _c("person_key", S, "Pseudonymous person id", False),
            _c("sex", S, "woman or man", False, ("woman", "man")),
            _c(
                "school_form",
                S,
                "As in course_results",
                False,
                ("sfi", "grundlaggande", "gymnasial", "kombination", "yh"),
            ),
            _c("orientation", S, "As in course_results", True, ("hogskoleforberedande", "yrkes")),
            _c("end_date", D, "End of the education followed up", False),
            _c("months", I32, "Months after the end", False),
            _c("working", B, "In work at the follow-up; empty when unknown"),
            _c("studying", B, "Studying at the follow-up; empty when unknown"),
            _c("source", S, "Where the outcome comes from, e.g. scb or survey", False),
        ),
        register=True,
        sort_key=("school_form", "orientation", "months", "end_date"),
    ),
)

# The columns of a row that is one version of what was known (docs/lmi.md, "Revisions"): a query
# "as known on D" keeps the rows with known_date <= D and (superseded_date empty or > D).
KNOWLEDGE_COLUMNS = (
    _c("known_date", D, "Date this version became known (the communication's date of receipt)", False),
    _c("superseded_date", D, "Date a later version replaced this one; empty while it is the latest"),
)
CONTRACT_TYPES = (
    "permanent",
    "fixed_term",
    "probationary",
    "on_call",
    "temporary_agency",
    "apprenticeship",
    "subsidised",
)
CONTRACT_CONTEXT = (
    _c("person_key", S, "Pseudonymous person id (the same keyed hash as the other tables)", False),
    _c("sex", S, "woman or man", False, ("woman", "man")),
    _c("birth_year", I32, "Year of birth", False),
    _c("employer_key", S, "Pseudonymous employer id (keyed hash of the organisation number)", False),
    _c("sector", S, "SNI 2007 section (A–U) of the employer, from sector_code", False),
    _c("sector_code", S, "SNI 2007 code of the employer (2 to 5 digits)", False),
    _c("municipality", S, "Municipality code of the workplace (kommunkod)", False),
    _c("occupation", S, "SSYK 2012 code of the occupation (4 digits); empty when not reported"),
    _c("occupation_group", S, "SSYK 2012 major group (first digit of occupation); empty when not reported"),
    _c("esco_occupation", S, "ESCO occupation id when the communication gives one"),
    _c("contract_type", S, "Contract type code (profile, lmi/classifications.yaml)", False),
    _c("subsidy", S, "Kind of subsidised employment (profile code) when contract_type is subsidised"),
    _c("working_time_pct", I32, "Working time in percent of full time (1–100)", False),
    _c("full_time", B, "working_time_pct is 100", False),
)
LMI_TABLES = (
    Table(
        "contract_events",
        "one row per version of a contract event (hire, termination, conversion, extension, "
        "working-time change) communicated by an employer",
        (
            _c("event_id", S, "The event's id; its versions share it", False),
            _c("version", I32, "1 for the first communication, then 2, 3, … in order of knowledge", False),
            *KNOWLEDGE_COLUMNS,
            _c("communication_id", S, "Id of the communication this version came from", False),
            _c("cancelled", B, "This version withdraws the event (it counts nowhere while it is the latest)", False),
            _c(
                "kind",
                S,
                "hire, termination, conversion (of the contract type), extension (of a fixed term) "
                "or working_time (a change of working time)",
                False,
                ("hire", "termination", "conversion", "extension", "working_time"),
            ),
            _c("event_date", D, "Date of the event (a termination: the last day of the employment)", False),
            _c("employment_id", S, "The employment (contract) the event concerns: the hire's event id", False),
            *CONTRACT_CONTEXT,
            _c("age_band", S, "Age band (profile) on the event date", False),
            _c("previous_contract_type", S, "Conversions: the contract type before"),
            _c("termination_reason", S, "Terminations: reason code (profile)"),
            _c("planned_end_date", D, "Fixed-term contracts: the planned last day (hire, extension)"),
            _c(
                "position_change",
                I32,
                "+1 for a hire, -1 for a termination, 0 otherwise (the net balance is its sum over "
                "versions not cancelled)",
                False,
            ),
            _c(
                "flag",
                S,
                "Kept but flagged (docs/lmi.md): late (known more than 30 days after the event); "
                "empty when nothing was noted",
            ),
        ),
        sort_key=("kind", "event_date", "known_date"),
        lmi=True,
    ),
    Table(
        "positions",
        "one row per version of a stretch of one employment with one contract type and working "
        "time (a conversion or working-time change starts a new stretch), derived from contract_events",
        (
            _c("employment_id", S, "The employment (the hire's event id)", False),
            _c("segment", I32, "1, 2, … in order of start within the employment", False),
            *KNOWLEDGE_COLUMNS,
            *CONTRACT_CONTEXT,
            _c("age_band", S, "Age band (profile) on the stretch's start date", False),
            _c("start_date", D, "First day of the stretch", False),
            _c(
                "end_date",
                D,
                "The day the stretch stopped counting: the termination date, or the date the next "
                "stretch starts; empty while it lasts. A position is in the stock at the end of day D "
                "when start_date <= D and (end_date empty or end_date > D)",
            ),
        ),
        sort_key=("start_date", "known_date"),
        lmi=True,
    ),
)
# The shortages analysis of the labour-market observatory (docs/lmi.md, "Shortages"): register files
# keyed by the SSYK 2012 occupation, imported with ``pestrack analytics import`` like the course results.
LMI_REGISTERS = (
    Table(
        "vacancies",
        "one row per vacancy on offer: a job board's or the employment service's advertisement, or one "
        "of the places of the employer pages (source place)",
        (
            _c("vacancy_id", S, "The vacancy's id in its source", False),
            _c(
                "source",
                S,
                "Where it was advertised: a job board, the employment service or a place",
                False,
                ("job_board", "employment_service", "place"),
            ),
            _c("occupation", S, "SSYK 2012 code of the occupation (4 digits; the first is the major group)", False),
            _c("municipality", S, "Municipality code of the workplace (kommunkod)"),
            _c("positions", I32, "Positions on offer", False),
            _c("published_date", D, "First day it was open", False),
            _c("last_date", D, "Last day to apply; empty while open"),
        ),
        sort_key=("occupation", "published_date"),
        register=True,
        lmi=True,
    ),
    Table(
        "jobseeker_occupations",
        "one row per job-seeker and occupation they seek (sökt yrke) while registered",
        (
            _c(
                "person_key",
                S,
                "Pseudonymous person id (the register file's identity number, pseudonymised on import)",
                False,
            ),
            _c("occupation", S, "SSYK 2012 code of the occupation sought (4 digits)", False),
            _c("from_date", D, "First day the occupation was sought", False),
            _c("to_date", D, "Last day; empty while sought"),
        ),
        sort_key=("occupation", "from_date"),
        register=True,
        lmi=True,
    ),
)
TABLES = TABLES + LMI_TABLES + LMI_REGISTERS
RECORD_TABLES = tuple(t for t in TABLES if not t.register and not t.lmi)  # what ``pestrack analytics extract`` derives

BY_NAME = {t.name: t for t in TABLES}


def render_markdown() -> str:
    """docs/analytics-schema.md, generated from TABLES (a test keeps the file in step)."""
    out = [
        "# Analytics schema",
        "",
        "Generated from `pestrack/analytics/schema.py` (`pestrack analytics schema > docs/analytics-schema.md`);",
        "a test fails when this file and the code differ. `pestrack analytics extract --out DIR` writes one",
        "Parquet file per table, `DIR/<table>.parquet`, plus `DIR/manifest.json` (rows and content hash per",
        "table; a second extract rewrites only the tables whose content changed).",
        "",
        "No table holds a name, an identity number or an address. A person is `person_key`: an HMAC-SHA256",
        "under `PESTRACK_PSEUDONYM_KEY` of the identity number's keyed look-up hash, its first 71 bits written",
        "as 12 letters and digits (`[0-9A-Za-z]{12}`); the key lives in the",
        "environment, never with the data. Types are Arrow/Parquet types. Register tables (course results,",
        "education follow-ups) do not come from the records: they are imported from files, identity numbers",
        "pseudonymised on the way in with the same key, and an extract leaves them as they are.",
        "",
        "Each file's rows are sorted by the table's sort key, in row groups of 122,880 rows: the columns",
        "the indicators filter on come first, so a query reads only the row groups whose minimum and",
        "maximum can match its filters. Rows equal on the sort key are ordered by the other columns, so the",
        "same rows always give the same file, byte for byte. The order carries no meaning; the content hash",
        "does not depend on it.",
        "",
        "The record tables hold the current version of each entry: a corrected entry (docs/web.md,",
        '"Corrections and withdrawals") appears with its corrected values, a withdrawn participation or',
        "follow-up is left out, and a withdrawn exit or decision is no longer on its enrolment. The history",
        "of corrections stays in the records, not here.",
        "",
    ]
    for t in TABLES:
        origin = (
            "Imported from a register file: `pestrack analytics import --table " + t.name + " FILE --out DIR`. "
            if t.register
            else "Labour-market information: written by `pestrack lmi import` or `pestrack lmi synth` "
            "(docs/lmi.md); each row is one version of what was known. "
            if t.lmi
            else ""
        )
        order = f" Sorted by {', '.join(f'`{c}`' for c in t.sort_key)}." if t.sort_key else ""
        out += [
            f"## {t.name}",
            "",
            f"{origin}Grain: {t.grain}.{order}",
            "",
            "| column | type | null | meaning |",
            "|---|---|---|---|",
        ]
        out += [
            f"| `{c.name}` | {c.type} | {'yes' if c.nullable else 'no'} | {c.meaning}"
            + (f" (one of {', '.join(c.values)})" if c.values else "")
            + " |"
            for c in t.columns
        ]
        out.append("")
    return "\n".join(out)
