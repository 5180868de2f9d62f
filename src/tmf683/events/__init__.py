"""Hub events (TMF630 Part 2 notifications): internal to tmf683.

Import what you need from :mod:`tmf683`; the modules here are its implementation:

- ``envelopes``: the four TMF683 event envelopes and the subscription queries on them;
- ``publish``: hub registrations, in-process subscribers, and the outbox rows written
  in the store's transaction of each change;
- ``dispatch``: the dispatcher that sends due outbox rows, with retries;
- ``command``: the ``tmf683-dispatcher`` command.
"""
