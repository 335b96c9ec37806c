"""Head office (``python -m app --hq``): the desktop connected to a hub as a head-office
user; read-only across stores (issue 16 item 6)."""
