"""The HTTP API: OpenAI's Videos API on Azur (``create_app`` in :mod:`.app`)."""
