"""Results pages for unit managers and analysts: the goals and indicators dashboard, one page per
indicator (trend and breakdowns as charts with their tables), the pseudonymised rows behind an
indicator, and the annual report. See docs/results.md."""
