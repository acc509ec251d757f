"""The user interface and the JSON API (thin: rules and access live in pestrack.records)."""
