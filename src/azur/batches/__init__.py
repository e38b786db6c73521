"""Batches of video requests (OpenAI's Batch API with ``endpoint="/v1/videos"``).

``lines.py`` reads an input file (OpenAI's batch JSONL); ``runner.py`` holds a batch's life in the
database: creation, the loop that submits its lines and notices its end, cancellation, and
:func:`~azur.batches.runner.finish`, which writes the output and error files.
"""
