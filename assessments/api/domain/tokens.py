"""API tokens as values: the secret's shape, its hash, and the role a token acts with.

Pure: no Django. A token's secret is 256 random bits behind a recognisable prefix (so secret
scanners and people can tell what it is); the table keeps only its SHA-256.
"""

import secrets

from assessments.workspaces.domain.secrets import secret_hash

TOKEN_PREFIX = "srk_"  # noqa: S105 - a prefix, not a secret
# How much of the secret the token page shows to tell tokens apart (never enough to use it).
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 6
# Ranks of the workspace roles, lowest first (a copy of the workspaces' order, kept pure).
ROLE_ORDER = ("viewer", "contributor", "consultant", "owner")


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


# The table keeps the secret's hash, made as invitation links' are.
token_hash = secret_hash


def shown_prefix(secret: str) -> str:
    return secret[:SHOWN_PREFIX_LENGTH]


def looks_like_token(secret: str) -> bool:
    return secret.startswith(TOKEN_PREFIX) and 20 <= len(secret) <= 100


def lower_role(first: str, second: str) -> str:
    """The lower of two roles: a token acts with its own role, never above its maker's."""
    return min(first, second, key=ROLE_ORDER.index)
