"""On PostgreSQL, refuse in the database itself to change or delete a signed journal entry.

An entry counts as signed when ``signed_at`` is set or it was written 24 hours ago or more
(records.journal.rules). Of a signed entry, only two changes pass: stamping ``signed_at`` on an
entry that had none (``pestrack journal autosign``), and emptying its texts (retention's
anonymisation). Deleting a signed entry is refused, whichever role asks. On SQLite (the embedded
single-user database) the rules in records.journal.rules are the guard.
"""
from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION pestrack_journal_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.signed_at IS NULL AND OLD.created_at > now() - interval '24 hours' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF NEW.person_id = OLD.person_id AND NEW.enrolment_id = OLD.enrolment_id AND NEW.kind_id = OLD.kind_id
           AND NEW.date = OLD.date AND NEW.author_id = OLD.author_id
           AND NEW.meeting_id IS NOT DISTINCT FROM OLD.meeting_id
           AND NEW.participation_id IS NOT DISTINCT FROM OLD.participation_id
           AND NEW.corrects_id IS NOT DISTINCT FROM OLD.corrects_id AND NEW.withdraws = OLD.withdraws
           AND NEW.created_at = OLD.created_at AND NEW.edited_at IS NOT DISTINCT FROM OLD.edited_at
           AND (NEW.text = OLD.text OR NEW.text = '')
           AND (NEW.correction_reason = OLD.correction_reason OR NEW.correction_reason = '')
           AND (OLD.signed_at IS NULL OR (NEW.signed_at = OLD.signed_at AND NEW.auto_signed = OLD.auto_signed))
        THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'pestrack: journal entry % is signed and cannot be changed or deleted (% refused)', OLD.id, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER journal_journalentry_signed_guard
    BEFORE UPDATE OR DELETE ON journal_journalentry FOR EACH ROW EXECUTE FUNCTION pestrack_journal_guard();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS journal_journalentry_signed_guard ON journal_journalentry;
DROP FUNCTION IF EXISTS pestrack_journal_guard();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("journal", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
