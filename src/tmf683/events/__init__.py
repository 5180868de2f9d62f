"""Hub events (TMF630 Part 2 notifications): internal to tmf683.

Import what you need from :mod:`tmf683`; the modules here are its implementation,
each with one job, each using only the ones above it:

- ``envelopes``: the four TMF683 event envelopes, their rules on both sides (built by
  the publisher, checked by a listener: ``validate_event``), the subscription queries
  on them and the callback rules;
- ``publish``: hub registrations, in-process subscribers, and the outbox rows written
  in the store's transaction of each change;
- ``token``: the bearer token sent with deliveries, read from a file that may be
  rotated (``TokenFile``);
- ``transport``: one HTTP POST of one event (``post_json``), bounded in time, no
  redirects;
- ``dispatch``: the dispatcher that sends due outbox rows, with retries and backoff,
  and owns its threads (``start``/``close``);
- ``command``: the ``tmf683-dispatcher`` command and the delivery options it shares
  with ``tmf683-server``.
"""
