"""Errors a user can cause; their message says what was wrong and what to do."""

from __future__ import annotations


class UserError(Exception):
    """Base of every error the interfaces show as a friendly message (CLI exit code 2)."""


class QuestionError(UserError):
    pass


class EmptyStoreError(UserError):
    pass
