"""Reconciliation and reports: manager exports, carrier bill import and matching,
chart summaries. ``service.ReportService`` is the entry point."""
