"""Tests for app.core.printing."""
