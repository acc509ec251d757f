"""Labour-market information (docs/lmi.md): employers' contract events as analytics tables with
their revisions, the synthetic regional labour market, durability and pathways after a PES exit.
A capability beside the spine: it reads records and analytics only; the flows and stocks are
indicator definitions (profiles/<name>/lmi/indicators.yaml) run by the indicator engine."""
