"""Small dialogs: awaitable confirm/input helpers, manual order entry, the PIN prompt."""
