"""The results pages, for the browser tests (axe): (user who may see it, URL). The data is the
``results_world`` fixture of tests/web/results/conftest.py (sample persons of 2022–2023)."""

INDICATOR = "jobbtorg_exit_work_or_studies"

PAGES = [
    ("ali", "/results/?year=2023&period=VB"),
    ("maria", "/results/?year=2023&period=T2"),
    ("ali", f"/results/indicators/{INDICATOR}/?year=2023&period=VB"),
    ("chef", f"/results/indicators/{INDICATOR}/?year=2023&period=VB"),
    ("ali", f"/results/indicators/{INDICATOR}/rows/?year=2023&period=VB"),
    ("lead", f"/results/indicators/{INDICATOR}/rows/?year=2023&period=VB&only=numerator"),
    ("ali", "/results/report/?year=2023&period=VB&lang=sv"),
    ("ali", "/results/report/2023/VB/en/view/"),
]
