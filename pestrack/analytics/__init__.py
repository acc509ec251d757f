"""Analytics tables: documented, pseudonymised Parquet files derived from the records.

No names, identity numbers or addresses leave the records layer; a person appears only as
``person_key``, a keyed hash whose key (``PESTRACK_PSEUDONYM_KEY``) lives outside the data.
"""
