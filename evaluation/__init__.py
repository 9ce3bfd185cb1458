"""Evaluation entry points behind `make eval-*` (not part of the installed package)."""
