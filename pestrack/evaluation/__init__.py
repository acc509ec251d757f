"""Counterfactual impact evaluation: which measures work, estimated against comparable non-participants.

``data`` reads and checks the input, ``propensity`` fits the propensity score and common support,
``matching`` finds comparison units, ``estimators`` computes the effects and their confidence
intervals, ``diagnostics`` the balance, warnings and summary, ``report`` writes JSON and HTML,
``analytics`` builds an evaluation table from the analytics tables, ``instruments`` holds the Work
Ability Index, IPS fidelity and SROI calculations. See docs/evaluation.md.
"""
