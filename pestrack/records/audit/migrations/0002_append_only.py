"""On PostgreSQL, make the access log append-only in the database itself.

A trigger refuses UPDATE and TRUNCATE always, and DELETE of entries younger than two years (the
floor under the profile's log retention), whichever role asks; anchors left by retention purges
can never be changed. SQLite has no roles; there the hash chain (``pestrack audit verify``) is
the guarantee.
"""
from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION pestrack_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- nested, not AND: PL/pgSQL does not short-circuit, and audit_auditanchor has no "at"
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_accesslogentry' THEN
        IF OLD.at < now() - interval '2 years' THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'pestrack: the access log is append-only (% on % refused)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_accesslogentry_append_only
    BEFORE UPDATE OR DELETE ON audit_accesslogentry FOR EACH ROW EXECUTE FUNCTION pestrack_audit_guard();
CREATE TRIGGER audit_accesslogentry_no_truncate
    BEFORE TRUNCATE ON audit_accesslogentry FOR EACH STATEMENT EXECUTE FUNCTION pestrack_audit_guard();
CREATE TRIGGER audit_auditanchor_append_only
    BEFORE UPDATE OR DELETE ON audit_auditanchor FOR EACH ROW EXECUTE FUNCTION pestrack_audit_guard();
CREATE TRIGGER audit_auditanchor_no_truncate
    BEFORE TRUNCATE ON audit_auditanchor FOR EACH STATEMENT EXECUTE FUNCTION pestrack_audit_guard();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS audit_accesslogentry_append_only ON audit_accesslogentry;
DROP TRIGGER IF EXISTS audit_accesslogentry_no_truncate ON audit_accesslogentry;
DROP TRIGGER IF EXISTS audit_auditanchor_append_only ON audit_auditanchor;
DROP TRIGGER IF EXISTS audit_auditanchor_no_truncate ON audit_auditanchor;
DROP FUNCTION IF EXISTS pestrack_audit_guard();
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
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
