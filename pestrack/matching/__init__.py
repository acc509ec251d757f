"""Matching participants with places and allocating places (docs/matching.md).

- esco: the similarities of the bundled ESCO occupations and skills (the vocabulary is records/employers/esco.py)
- score: vectorised scoring of participant–place pairs under the hard rules, with explanations
- allocate: fill many places at once, optimally under the hard rules, with reasons per applicant
- evaluate: quality on synthetic data with a hidden hiring rule, against a keyword baseline
- store: read participants and places from the records
"""
