"""Confirmation: --yes, else ask on a terminal, else refuse (the Console records the refusal)."""

from __future__ import annotations

import sys

import click


def confirmed(yes: bool, question: str) -> bool:
    if yes:
        return True
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return False  # no terminal to ask on: the Console refuses with exit 3
    return click.confirm(question, default=False, err=True)
