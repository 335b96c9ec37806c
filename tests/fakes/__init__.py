"""Hand-written fakes and shared test support (no mocks): a clock moved by hand, an
in-memory keyring, a loopback ESC/POS printer, the service slices some parts need, and a
signing POS client. Tests import these modules, never conftest or other test modules."""
