"""JuPei 聚配 — an aggregated same-city delivery desk for the counter PC."""

__version__ = "0.1.0"
