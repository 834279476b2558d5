"""How stored secrets (invitation links, API tokens) are kept: only their hash.

Pure: no Django. Both kinds of secret are 256 random bits, so a plain SHA-256 needs no salt
or slow hash to make the stored value useless to someone who reads the table.
"""

import hashlib


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
