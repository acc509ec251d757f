"""The indicator engine: indicator definitions as data (YAML in the profile), validated against the
analytics schema and the profile's code lists, compiled to one SQL query per indicator and run on a
pluggable engine (DuckDB embedded, PostgreSQL). See docs/indicators.md."""
