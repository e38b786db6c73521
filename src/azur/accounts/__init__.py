"""Users and their API keys (:mod:`.users`, :mod:`.keys`).

Plans are recorded on each user (``plan``, default "free") but not enforced yet; quotas, credits and the
usage ledger will live beside these modules (``plans.py``, ``ledger.py``), not inside them.
"""
