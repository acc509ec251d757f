"""Bulk import of persons, enrolments, participations, exits and follow-ups (``pestrack import``).

See docs/import-formats.md for the file formats and engine.py for how a file is checked and written.
"""
