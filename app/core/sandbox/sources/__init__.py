"""Protocol-faithful simulators of the order platforms (美团外卖, 饿了么).

Written from shared/sources/*.md, never from the connectors: nothing here imports
``app.core.sources`` (a test enforces it), so a signing or mapping mistake in a
connector fails against its simulator instead of passing on both sides."""
