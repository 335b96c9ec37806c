"""Order detail: items, customer, timeline, quote comparison and the order's actions."""
