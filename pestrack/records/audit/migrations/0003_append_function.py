"""On PostgreSQL, append to the access log in one statement: ``pestrack_audit_append`` takes the
chain's lock, reads its head, and inserts the entries with their hashes, in the database.

Appending from Python held the lock over four round trips (lock, head, insert, commit), and under
load a server thread waited for the CPU between them while every other page waited for the lock.
The hashes are those of ``records.audit.log`` (``_entry_hash``): Python passes each entry's fields
after the previous hash, joined by the unit separator, and the function hashes them after it."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION pestrack_audit_append(
    p_at timestamptz[], p_actor text[], p_actor_id integer[], p_action text[], p_person_id bigint[],
    p_object_type text[], p_object_id text[], p_detail text[], p_source text[], p_payload text[]
) RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    prev text;
    h text;
    n integer := coalesce(array_length(p_payload, 1), 0);
BEGIN
    PERFORM pg_advisory_xact_lock(7744112023);
    -- a statement of its own after the lock: it sees the head as committed by then
    SELECT hash INTO prev FROM audit_accesslogentry ORDER BY id DESC LIMIT 1;
    IF prev IS NULL THEN
        SELECT last_removed_hash INTO prev FROM audit_auditanchor ORDER BY id DESC LIMIT 1;
        prev := coalesce(prev, repeat('0', 64));
    END IF;
    FOR i IN 1 .. n LOOP
        h := encode(sha256(convert_to(prev || chr(31) || p_payload[i], 'UTF8')), 'hex');
        INSERT INTO audit_accesslogentry
            (at, actor, actor_id, action, person_id, object_type, object_id, detail, source, prev_hash, hash)
        VALUES (p_at[i], p_actor[i], p_actor_id[i], p_action[i], p_person_id[i], p_object_type[i],
                p_object_id[i], p_detail[i], p_source[i], prev, h);
        prev := h;
    END LOOP;
    RETURN n;
END;
$$;
"""

BACKWARD = "DROP FUNCTION IF EXISTS pestrack_audit_append(timestamptz[], text[], integer[], text[], bigint[], text[], text[], text[], text[], text[]);"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]
    operations = [migrations.RunPython(forward, backward)]
