"""Statistical profiling as decision support: a model of the chance that a person is not in work or
studies a year after enrolment, trained on the analytics tables, with its fairness audit, the cut-off
policy simulation, the model card and the monitoring of its use (docs/profiling.md).

A capability beside the spine: reads the analytics tables, imports only records and analytics."""
