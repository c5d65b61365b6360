"""Reads: plain rows or dataclasses for lists, pages, dashboards and exports; no writes."""
