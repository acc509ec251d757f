"""Published reports built from the indicator engine and the profile: the annual report
(``pestrack report annual``). See docs/reports.md."""
