"""``pestrack synth``: a fully synthetic population calibrated to published figures.

config.py reads the profile's synth.yaml, plan.py decides how many persons follow which path
through the target groups (so that the published table comes out exactly), population.py draws
the persons and their records, run.py draws scale N as N shards, store.py writes them into the
database with bulk inserts, to_parquet.py straight into the analytics tables (no database). Never imports
``pestrack.indicators``: the published figures are the oracle the engine must meet on its own.
"""
