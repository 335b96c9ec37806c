"""JuPei Hub: the headless chain server on PostgreSQL (issue 16).

It receives the platforms' pushes for every store of a chain at one public address,
verifies them with the same source code the counter uses, and hands each store's pushes
to its counter PC by long-poll. Stateless: every fact lives in PostgreSQL, so several
hub processes can serve the same stores. No Qt anywhere in this package.
"""
