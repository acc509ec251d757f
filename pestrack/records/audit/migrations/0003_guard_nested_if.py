"""Fix the append-only guard of 0002: PL/pgSQL does not short-circuit ``AND``, so reading
``OLD.at`` on audit_auditanchor (which has no such column) failed with 'record "old" has no field
"at"' instead of the intended refusal. The conditions are nested now; what is refused is unchanged.
"""
from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION pestrack_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_accesslogentry' THEN
        IF OLD.at < now() - interval '2 years' THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'pestrack: the access log is append-only (% on % refused)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
