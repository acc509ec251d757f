"""``pestrack match`` (ranked places for a participant, candidates for a place, quality evaluation)
and ``pestrack allocate`` (fill many places at once); see docs/matching.md."""

from __future__ import annotations

import json
import time
from enum import Enum
from pathlib import Path

import typer

from pestrack.cli.console import err, out

match_app = typer.Typer(invoke_without_command=True, add_completion=False)


class Method(str, Enum):
    auto = "auto"
    dense = "dense"
    sparse = "sparse"


def _show(matcher, pairs, as_json: bool) -> None:
    explained = [matcher.explain(i, j) for i, j in pairs]
    if as_json:
        typer.echo(json.dumps(explained, ensure_ascii=False, indent=2, default=str))
        return
    for n, e in enumerate(explained, 1):
        place = matcher.places[[q.id for q in matcher.places].index(e["place"])]
        out.print(
            f"{n:2}. place {e['place']} '{place.title}' ({place.kind}) – participant {e['participant']}: "
            f"score {e['score']:.3f}"
        )
        for line in e["lines"]:
            out.print(f"      {line}")
        if e["requirements"]:
            out.print(f"      requirements: {'; '.join(e['requirements'])}")


@match_app.callback()
def match_cmd(
    ctx: typer.Context,
    participant: int = typer.Option(None, "--participant", help="Person id: the best places for them"),
    place: int = typer.Option(None, "--place", help="Place id: the best candidates for it"),
    top: int = typer.Option(10, "--top", min=1, max=100),
    as_json: bool = typer.Option(False, "--json", help="The explanations as JSON"),
):
    """Ranked places for a participant, or ranked candidates for a place, each with the reasons for its
    score; a pair that breaks a hard rule, or that has a placement under way or a hire, is never
    listed. Every person read is logged."""
    if ctx.invoked_subcommand:
        return
    if (participant is None) == (place is None):
        err.print("[red]error:[/] give --participant ID or --place ID")
        raise typer.Exit(2)
    from pestrack.matching import store
    from pestrack.matching.score import Matcher
    from pestrack.records.audit.log import Event, cli_actor, record_many

    actor = cli_actor()
    if participant is not None:
        found = store.places_for(participant, top)
        if found is None:
            err.print(f"[red]error:[/] no person with id {participant} and an open enrolment")
            raise typer.Exit(1)
        matcher, pairs = found
        if matcher is None:
            err.print("no open places")
            raise typer.Exit(0)
        record_many(
            [
                Event(
                    actor=actor,
                    action="read",
                    person_id=participant,
                    object_type="match_profile",
                    source="cli",
                    detail=f"match: {len(pairs)} places suggested",
                )
            ]
        )
        if not pairs:
            out.print(f"no other open place that person {participant} may take (hard rules, or proposed already)")
    else:
        places = store.openings([place])
        if not places:
            err.print(f"[red]error:[/] no place with id {place}")
            raise typer.Exit(1)
        people = store.participants()
        matcher = Matcher(people, places)
        done = store.already_proposed(place_ids=[place])
        best, _ = matcher.top_candidates(0, top + len(done))
        pairs = [(int(i), 0) for i in best if i >= 0 and (people[i].id, place) not in done][:top]
        record_many(
            [
                Event(
                    actor=actor,
                    action="read",
                    person_id=people[i].id,
                    object_type="match_profile",
                    source="cli",
                    detail=f"match: candidate for place {place}",
                )
                for i, _ in pairs
            ]
        )
        if not pairs:
            out.print(f"no other participant may take place {place} (hard rules, or proposed already)")
    _show(matcher, pairs, as_json)


@match_app.command("evaluate")
def evaluate_cmd(
    participants: int = typer.Option(2000, "--participants", min=10),
    places: int = typer.Option(1000, "--places", min=10),
    seed: int = typer.Option(0, "--seed"),
    as_json: bool = typer.Option(False, "--json"),
):
    """Quality on synthetic data with a hidden hiring rule: recall@10 of the matcher, with each score
    component left out and alone, against a keyword baseline and random order, in the same run."""
    from pestrack.matching.evaluate import evaluate, format_result

    result = evaluate(participants, places, seed)
    typer.echo(json.dumps(result, indent=2) if as_json else format_result(result))


def allocate_cmd(
    places: Path = typer.Option(..., "--places", help="CSV/XLSX of places (docs/matching.md)"),
    applicants: Path = typer.Option(..., "--applicants", help="CSV/XLSX of applicants"),
    out_file: Path = typer.Option(..., "--out", help="CSV: each applicant, the place allocated and why"),
    seed: int = typer.Option(0, "--seed", help="Seed of the tie-breaking lottery"),
    priority_bonus: float = typer.Option(
        0.25, "--priority-bonus", min=0, max=1, help="Score points added per priority tier of an applicant"
    ),
    method: Method = typer.Option(Method.auto, "--method"),
):
    """Allocate places to applicants: the highest total fit under the hard rules, with priorities and a
    seeded lottery for ties; writes a reason for every applicant."""
    import numpy as np  # here, not at the top: every `pestrack` command imports this module

    from pestrack.matching import files
    from pestrack.matching.allocate import Pairs, allocate, explain
    from pestrack.matching.score import Matcher
    from pestrack.records.codes.models import Code

    codes = {c.code: c.rules or {} for c in Code.objects.filter(list="place_type")}
    if not codes:
        err.print("[red]error:[/] no place types: load a profile first (pestrack init --profile NAME)")
        raise typer.Exit(2)
    try:
        opens = files.read_places(places, codes)
        people = files.read_applicants(applicants)
    except files.BadFile as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(2)
    started = time.perf_counter()
    matcher = Matcher(people, opens)
    pairs = Pairs(len(people), len(opens), matcher.scores)  # scored a block of applicants at a time
    priority = np.array([p.priority for p in people])
    alloc = allocate(
        pairs,
        None,
        [q.positions for q in opens],
        priority=priority,
        priority_bonus=priority_bonus,
        ids=[p.id for p in people],
        seed=seed,
        method=method.value,
    )

    def rule_counts(i):
        return {rule: int((~allowed[0]).sum()) for rule, allowed in matcher.rules([i]).items()}

    reasons = explain(alloc, pairs, None, priority, [p.id for p in people], [q.id for q in opens], rule_counts)
    files.write_allocation(out_file, people, opens, alloc, reasons)
    got = alloc.place_of >= 0
    positions = sum(q.positions for q in opens)
    out.print(
        f"allocated {int(got.sum())} of {len(people)} applicants to {positions} positions in {len(opens)} places "
        f"({alloc.method}, {time.perf_counter() - started:.1f} s); mean score of the allocated "
        f"{float(alloc.score[got].mean()) if got.any() else 0:.3f}; written to {out_file}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(
        match_app, name="match", help="Ranked places for a participant or candidates for a place; evaluation."
    )
    app.command("allocate")(allocate_cmd)
