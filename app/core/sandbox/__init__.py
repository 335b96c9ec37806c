"""Protocol-faithful local simulators of each carrier, for tests and rehearsal mode.

``engine`` holds the carrier-neutral world (prices, orders, riders, an accelerated clock,
faults); ``<carrier>.py`` speaks that carrier's wire protocol over it and checks its
signatures; ``server`` mounts all six under ``/<carrier>/`` on one loopback port.
"""
