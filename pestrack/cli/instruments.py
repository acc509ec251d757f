"""pestrack instruments: Work Ability Index change, IPS fidelity reviews and outcomes, SROI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer

from pestrack.cli.console import err

app = typer.Typer(no_args_is_help=True)


def _fail(message: str) -> None:
    err.print(f"error: {message}", highlight=False, markup=False)
    raise typer.Exit(2)


def _emit(doc: dict, out: Path | None) -> None:
    from pestrack.analytics.output import json_safe

    text = json.dumps(json_safe(doc), indent=2, ensure_ascii=False, default=str)
    if out is None:
        print(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        err.print(f"written: {out}", highlight=False, markup=False)


@app.command("wai")
def wai_cmd(
    data: Path = typer.Option(..., "--data", help="CSV or Parquet: one row per assessment"),
    person: str = typer.Option("person_key", "--person", help="Column of the participant"),
    date: str = typer.Option("date", "--date", help="Column of the assessment date"),
    score: str = typer.Option("score", "--score", help="Column of the WAI score 0-10"),
    profile: str | None = typer.Option(None, "--profile", help="Profile whose WAI bands to use"),
    out: Path = typer.Option(None, "--out", help="Write JSON here (default: standard output)"),
):
    """Work Ability Index single item: bands (0-4, 5-7, 8-10) and change per participant."""
    from pestrack.evaluation.data import EvaluationError, read_table
    from pestrack.evaluation.instruments import wai_bands, wai_change

    try:
        _emit(
            wai_change(read_table(data), wai_bands(profile), person=person, date=date, score=score, source=str(data)),
            out,
        )
    except EvaluationError as exc:
        _fail(str(exc))


@app.command("ips-import")
def ips_import_cmd(
    data: Path = typer.Argument(..., help="CSV: org_unit, review_date, item_1 ... item_25[, reviewers]"),
):
    """Store IPS fidelity reviews (one row per unit and review date). All rows or none; a row with the
    same unit and date as a stored review replaces it."""
    import csv

    from django.db import transaction

    from pestrack.records.audit.log import cli_actor, record
    from pestrack.records.fidelity import scale
    from pestrack.records.fidelity.models import FidelityReview
    from pestrack.records.org.models import OrgUnit

    if not data.exists():
        _fail(f"{data}: no such file")
    units = {u.code: u for u in OrgUnit.objects.all()}
    rows, problems = [], []
    with open(data, encoding="utf-8-sig", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            unit = units.get((row.get("org_unit") or "").strip())
            if unit is None:
                problems.append(f"{data}:{line}: org_unit {row.get('org_unit')!r} is not a unit code")
                continue
            try:
                day = dt.date.fromisoformat((row.get("review_date") or "").strip())
            except ValueError:
                problems.append(f"{data}:{line}: review_date {row.get('review_date')!r} is not a date (YYYY-MM-DD)")
                continue
            items = {no: row.get(f"item_{no}") for no in range(1, 26) if row.get(f"item_{no}") not in (None, "")}
            try:
                scale.check_items(items)
            except scale.FidelityError as exc:
                problems.append(f"{data}:{line}: {exc}")
                continue
            rows.append((unit, day, items, (row.get("reviewers") or "").strip()))
    if problems:
        _fail("nothing stored; " + "; ".join(problems))
    with transaction.atomic():
        for unit, day, items, reviewers in rows:
            review = FidelityReview.objects.filter(org_unit=unit, review_date=day).first() or FidelityReview(
                org_unit=unit, review_date=day
            )
            review.item_scores, review.reviewers = items, reviewers
            review.save()
        record(
            cli_actor(),
            "import",
            object_type="fidelity_review",
            detail=f"{len(rows)} IPS fidelity reviews from {data.name}",
            source="cli",
        )
    for unit, day, items, _ in rows:
        total = sum(int(v) for v in items.values())
        print(f"{unit.code} {day}: total {total}, {scale.category_names()[scale.category(total)]}")


@app.command("ips-outcomes")
def ips_outcomes_cmd(
    analytics: Path = typer.Option(Path("analytics"), "--analytics", help="Folder of analytics tables"),
    measure: str = typer.Option("ips", "--measure", help="The measure whose participants are compared"),
    outcome: str = typer.Option("work_or_studies_6m", "--outcome", help="Outcome, e.g. work_or_studies_12m"),
    out: Path = typer.Option(None, "--out", help="Write JSON here (default: standard output)"),
):
    """Outcomes of the measure's participants by the fidelity category of their unit."""
    from pestrack.evaluation.data import EvaluationError
    from pestrack.evaluation.fidelity import outcomes_by_fidelity, reviews_from_db

    try:
        _emit(outcomes_by_fidelity(analytics, reviews_from_db(), measure=measure, outcome=outcome), out)
    except EvaluationError as exc:
        _fail(str(exc))


@app.command("sroi")
def sroi_cmd(
    assumptions: Path = typer.Option(None, "--assumptions", help="YAML file of assumptions (name: value)"),
    set_: list[str] = typer.Option([], "--set", help="Change one assumption: --set effect=0.08"),
    evaluation: Path = typer.Option(
        None,
        "--evaluation",
        help="JSON of pestrack evaluate: its ATT is the effect and its treated count the participants",
    ),
    out: Path = typer.Option(None, "--out", help="Write JSON here (default: standard output)"),
):
    """Social return on investment of a measure, with every assumption listed in the output."""
    import yaml

    from pestrack.evaluation.data import EvaluationError
    from pestrack.evaluation.instruments import SroiAssumptions, sroi

    values: dict = {}
    try:
        if evaluation:
            doc = json.loads(evaluation.read_text(encoding="utf-8"))
            values.update(effect=doc["att"], participants=doc["n_treated_total"])
        if assumptions:
            loaded = yaml.safe_load(assumptions.read_text(encoding="utf-8")) or {}
            if not isinstance(loaded, dict):
                _fail(f"{assumptions}: must be a mapping of assumption name to value")
            values.update(loaded)
        for item in set_:
            key, sep, value = item.partition("=")
            if not sep:
                _fail(f"--set {item!r}: write name=value")
            values[key.strip()] = value.strip()
        _emit(sroi(SroiAssumptions.from_mapping(values, str(assumptions or "--set"))), out)
    except (OSError, KeyError, json.JSONDecodeError, yaml.YAMLError) as exc:
        _fail(f"cannot read the input: {exc}")
    except EvaluationError as exc:
        _fail(str(exc))
