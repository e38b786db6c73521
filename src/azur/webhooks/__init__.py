"""Webhooks: signed events sent to the URLs users register, from a durable outbox in the database.

- :mod:`~azur.webhooks.events`: the event types and :func:`~azur.webhooks.events.emit`, which other
  modules call inside their own transaction (the job queue when a video completes or fails, batches later);
- :mod:`~azur.webhooks.endpoints`: registering, listing and removing a user's endpoints and their secrets;
- :mod:`~azur.webhooks.signing`: the Standard Webhooks signature (``webhook-id``, ``webhook-timestamp``,
  ``webhook-signature``) that ``openai.OpenAI(webhook_secret=...).webhooks.unwrap`` verifies;
- :mod:`~azur.webhooks.delivery`: the loop that claims due deliveries with a lease, sends them through
  :mod:`azur.outbound` (the SSRF guard) and retries with exponential backoff for ``retry_window_hours``.
"""
