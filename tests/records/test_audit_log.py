"""The access log: hash chain (verify), scrubbing of identity numbers, and on PostgreSQL the
database's append-only guarantee."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from typer.testing import CliRunner

from pestrack.cli import app
from pestrack.records.audit import log
from pestrack.records.audit.models import AccessLogEntry, AuditAnchor

TABLE = "audit_accesslogentry"


def tamper(sql: str, params=()) -> None:
    """Change the log behind the application's back. On PostgreSQL that takes a superuser who
    switches the append-only trigger off first (the test's transaction rollback restores it)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER audit_accesslogentry_append_only")
        cur.execute(sql, params)
        if connection.vendor == "postgresql":
            cur.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER audit_accesslogentry_append_only")


@pytest.fixture
def entries(db) -> list[int]:
    for i in range(6):
        log.record("anna", "read", person_id=10 + i, object_type="person", source="10.0.0.1")
    return list(AccessLogEntry.objects.order_by("id").values_list("id", flat=True))


def verify_cli(*args: str):
    return CliRunner().invoke(app, ["audit", "verify", *args])


@pytest.mark.django_db
def test_intact_log_verifies_and_prints_head(entries):
    result = verify_cli()
    assert result.exit_code == 0, result.output
    head = AccessLogEntry.objects.order_by("-id").first().hash
    assert "entries checked: 6" in result.output and f"head hash: {head}" in result.output


@pytest.mark.django_db
def test_altered_detail_is_reported(entries):
    tamper(f"UPDATE {TABLE} SET detail = %s WHERE id = %s", ["nothing to see", entries[2]])
    result = log.verify()
    assert result.problems == [f"entry {entries[2]}: content does not match its hash (altered)"]
    cli = verify_cli()
    assert cli.exit_code == 1 and f"entry {entries[2]}" in cli.output


@pytest.mark.django_db
def test_altered_person_is_reported(entries):
    tamper(f"UPDATE {TABLE} SET person_id = 99 WHERE id = %s", [entries[4]])
    assert [p.split(":")[0] for p in log.verify().problems] == [f"entry {entries[4]}"]


@pytest.mark.django_db
def test_removed_entry_in_the_middle_is_reported(entries):
    tamper(f"DELETE FROM {TABLE} WHERE id = %s", [entries[3]])
    result = log.verify()
    assert not result.ok
    assert result.problems == [
        f"entry {entries[4]}: does not follow the entry before it (an entry was removed or altered)"
    ]


@pytest.mark.django_db
def test_removed_first_entries_without_anchor_are_reported(entries):
    tamper(f"DELETE FROM {TABLE} WHERE id <= %s", [entries[1]])
    result = log.verify()
    assert result.problems == [
        f"entry {entries[2]}: the entries before it are missing (removed without a retention purge)"
    ]


@pytest.mark.django_db
def test_removed_newest_entries_are_caught_only_by_a_recorded_head(entries):
    head = log.verify().head
    tamper(f"DELETE FROM {TABLE} WHERE id >= %s", [entries[4]])
    assert log.verify().ok  # a shorter chain is still a valid chain: the documented limit
    result = verify_cli("--head", head)
    assert result.exit_code == 1
    assert "newer entries were removed" in result.output


@pytest.mark.django_db
def test_recorded_head_still_present_is_ok(entries):
    head = log.verify().head
    log.record("erik", "read", person_id=1)
    assert verify_cli("--head", head).exit_code == 0


@pytest.mark.django_db
def test_verify_accepts_the_chain_after_a_retention_purge(db):
    old = timezone.now() - dt.timedelta(days=3000)
    for i in range(3):
        log.record("anna", "read", person_id=i, at=old + dt.timedelta(minutes=i))
    log.record("anna", "read", person_id=7)
    purged = log.purge_before(timezone.now() - dt.timedelta(days=5 * 365), "cli:test")
    assert purged.removed == 3
    result = log.verify()
    assert result.ok and result.started_after_purge and result.checked == 2


@pytest.mark.django_db
def test_identity_numbers_in_detail_are_scrubbed(db):
    log.record("anna", "search", detail="looked up 19900101-2389, 900101-2389, 199001012389 and 900101+2389")
    stored = AccessLogEntry.objects.get().detail
    assert stored == ("looked up [identity number], [identity number], [identity number] and [identity number]")
    assert log.verify().ok


@pytest.mark.django_db
def test_record_many_appends_one_chain(db):
    n = log.record_many(log.Event(actor="import", action="import", person_id=i) for i in range(12000))
    assert n == 12000 and AccessLogEntry.objects.count() == 12000
    # in the order given, across the multi-row INSERTs
    assert list(AccessLogEntry.objects.order_by("id").values_list("person_id", flat=True)) == list(range(12000))
    assert log.verify().ok


# --- PostgreSQL: the database itself refuses to change the log --------------------------------


def refused(sql: str, params=()) -> bool:
    """True when the database refuses the statement (run in a savepoint so the test goes on)."""
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, params)
    except DatabaseError as exc:
        assert "append-only" in str(exc)
        return True
    return False


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_refuses_update_delete_truncate_even_for_superuser(entries):
    with connection.cursor() as cur:
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cur.fetchone()[0] is True  # the strongest role there is
    assert refused(f"UPDATE {TABLE} SET detail = 'x' WHERE id = %s", [entries[0]])
    assert refused(f"DELETE FROM {TABLE} WHERE id = %s", [entries[-1]])
    assert refused(f"TRUNCATE {TABLE}")
    assert AccessLogEntry.objects.count() == 6 and log.verify().ok
    AuditAnchor.objects.create(last_removed_id=1, last_removed_hash="a" * 64, removed_count=1)
    assert refused("UPDATE audit_auditanchor SET removed_count = 0")
    assert refused("DELETE FROM audit_auditanchor")
    assert refused("TRUNCATE audit_auditanchor")


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_allows_insert_and_deleting_entries_older_than_two_years(entries):
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {TABLE} (at, actor, action, person_id, object_type, object_id, detail, source, "
            "prev_hash, hash) VALUES (now() - interval '3 years', 'old', 'read', 1, '', '', '', '', %s, %s) "
            "RETURNING id",
            [log.GENESIS, "f" * 64],
        )
        old_id = cur.fetchone()[0]
    assert AccessLogEntry.objects.filter(id=old_id).exists()
    assert not refused(f"DELETE FROM {TABLE} WHERE id = %s", [old_id])
    assert not AccessLogEntry.objects.filter(id=old_id).exists()
    assert refused(f"DELETE FROM {TABLE} WHERE at > now() - interval '1 year'")


def _rewrite_chain_from(first_id: int, detail: str) -> None:
    """What a superuser (or the owner, or anyone with the SQLite file) can do: change an entry and
    recompute every hash after it, so that the chain alone is valid again."""
    entries = list(AccessLogEntry.objects.filter(id__gte=first_id).order_by("id"))
    prev = (
        AccessLogEntry.objects.filter(id__lt=first_id).order_by("-id").values_list("hash", flat=True).first()
        or log.GENESIS
    )
    for e in entries:
        if e.id == first_id:
            e.detail = detail
        h = log._entry_hash(
            prev,
            log._iso(e.at),
            e.actor,
            e.actor_id,
            e.action,
            e.person_id,
            e.object_type,
            e.object_id,
            e.detail,
            e.source,
        )
        tamper(
            "UPDATE audit_accesslogentry SET detail = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [e.detail, prev, h, e.id],
        )
        prev = h


@pytest.mark.django_db
def test_an_external_anchor_catches_a_rewritten_chain(entries, tmp_path):
    anchors = tmp_path / "anchors.jsonl"
    out = CliRunner().invoke(app, ["audit", "anchor", "--to", str(anchors)])
    assert out.exit_code == 0, out.output
    log.record("later", "read", person_id=7)
    assert CliRunner().invoke(app, ["audit", "anchor", "--to", str(anchors)]).exit_code == 0
    [first, second] = log.read_anchors(anchors)
    assert (first.entry_id, first.count) == (entries[-1], len(entries)) and second.count == len(entries) + 1
    ok = verify_cli("--anchors", str(anchors))
    assert ok.exit_code == 0 and "anchors checked: 2 of 2" in ok.output
    _rewrite_chain_from(entries[1], "nothing to see")
    assert verify_cli().exit_code == 0  # the chain alone cannot tell
    caught = verify_cli("--anchors", str(anchors))
    assert caught.exit_code == 1
    assert f"entry {entries[-1]}: its hash is not the one anchored at" in caught.output


@pytest.mark.django_db
def test_anchor_refuses_a_broken_chain_and_needs_a_destination(entries, tmp_path):
    assert CliRunner().invoke(app, ["audit", "anchor"]).exit_code == 2
    tamper("UPDATE audit_accesslogentry SET detail = 'x' WHERE id = %s", [entries[0]])
    out = CliRunner().invoke(app, ["audit", "anchor", "--to", str(tmp_path / "a.jsonl")])
    assert out.exit_code == 1 and not (tmp_path / "a.jsonl").exists()
    (tmp_path / "bad.jsonl").write_text("not an anchor\n")
    assert verify_cli("--anchors", str(tmp_path / "bad.jsonl")).exit_code == 2


@pytest.mark.django_db
def test_a_feigned_retention_purge_does_not_hide_anchored_entries(entries, tmp_path):
    """Whoever may write the table may also write a purge's anchor into it: cutting the log up to an
    anchored entry and adding such an anchor left a valid chain, and `verify --anchors` counted the
    anchored entry as purged. A purge never removes an entry younger than the database's floor."""
    anchors = tmp_path / "anchors.jsonl"
    assert CliRunner().invoke(app, ["audit", "anchor", "--to", str(anchors)]).exit_code == 0
    last = AccessLogEntry.objects.get(id=entries[-1])
    tamper("DELETE FROM audit_accesslogentry WHERE id <= %s", [last.id])
    AuditAnchor.objects.create(last_removed_id=last.id, last_removed_hash=last.hash, removed_count=len(entries))
    log.record("cover", "read", person_id=1)
    assert verify_cli().exit_code == 0  # the chain alone cannot tell
    caught = verify_cli("--anchors", str(anchors))
    assert caught.exit_code == 1
    assert f"entry {last.id}, anchored at" in caught.output and "a purge feigned" in caught.output


@pytest.mark.django_db
def test_anchored_entries_removed_by_a_real_purge_are_counted_as_purged(db, tmp_path):
    old = timezone.now() - dt.timedelta(days=3000)
    for i in range(3):
        log.record("anna", "read", person_id=i, at=old + dt.timedelta(minutes=i))
    anchors = tmp_path / "anchors.jsonl"
    assert CliRunner().invoke(app, ["audit", "anchor", "--to", str(anchors)]).exit_code == 0
    [anchored] = log.read_anchors(anchors)
    assert anchored.entry_at.startswith(str((old + dt.timedelta(minutes=2)).year))
    log.record("anna", "read", person_id=7)
    assert log.purge_before(timezone.now() - dt.timedelta(days=5 * 365), "cli:test").removed == 3
    out = verify_cli("--anchors", str(anchors))
    assert out.exit_code == 0 and "1 older than the last retention purge" in out.output


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_superuser_can_pass_the_trigger_and_the_chain_tells(entries):
    """What docs/privacy.md says the database alone cannot promise: a superuser's session in
    replication mode fires no trigger, and the owner can disable it; the hash chain shows both."""
    with connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute(f"UPDATE {TABLE} SET detail = 'replica' WHERE id = %s", [entries[1]])
        cur.execute("SET LOCAL session_replication_role = origin")
    tamper(f"UPDATE {TABLE} SET detail = 'owner' WHERE id = %s", [entries[3]])
    assert AccessLogEntry.objects.get(id=entries[1]).detail == "replica"
    result = log.verify()
    assert f"entry {entries[1]}: content does not match its hash (altered)" in result.problems
    assert f"entry {entries[3]}: content does not match its hash (altered)" in result.problems
