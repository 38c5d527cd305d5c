"""Bearer tokens from configuration, each with a role, looked up in constant time.

REGISTRY_TOKENS and the file named by REGISTRY_TOKENS_FILE hold entries of the form
``ROLE:TOKEN``. In the variable, entries are separated by commas or white space. In
the file, each line contains one entry, and blank lines and lines starting with ``#``
are skipped. Parse errors name the entry's position, never the token itself.
"""

import enum
import hashlib
import hmac
import re

# RFC 6750 token68 characters. 32 characters of a random URL-safe alphabet carry
# about 190 bits, far beyond guessing.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")
MIN_TOKEN_LENGTH = 32
MAX_TOKEN_LENGTH = 512


class Role(enum.IntEnum):
    """A token's role. Each role may do everything the lower ones may."""

    READ = 1
    WORKER = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def parse_token_entries(text: str, source: str, *, lines: bool) -> list[tuple]:
    """Parse ``ROLE:TOKEN`` entries into (Role, token) pairs.

    Raises ValueError naming ``source`` and the entry's position, never the token.
    """
    if lines:
        entries = [
            line.strip()
            for line in text.splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]
    else:
        entries = [entry for entry in re.split(r"[\s,]+", text) if entry]
    pairs = []
    for position, entry in enumerate(entries, start=1):
        where = f"{source} entry {position}"
        role_name, separator, token = entry.partition(":")
        if not separator:
            raise ValueError(
                f"{where} has no ':'; write each entry as ROLE:TOKEN with ROLE one"
                " of read, worker, admin"
            )
        try:
            role = Role[role_name.strip().upper()]
        except KeyError:
            raise ValueError(
                f"{where} has role {role_name!r}; use read, worker or admin"
            ) from None
        if not MIN_TOKEN_LENGTH <= len(token) <= MAX_TOKEN_LENGTH:
            raise ValueError(
                f"{where} has a token of {len(token)} characters; use"
                f" {MIN_TOKEN_LENGTH} to {MAX_TOKEN_LENGTH}, for example the output"
                " of: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        if not TOKEN_PATTERN.match(token):
            raise ValueError(
                f"{where} has a token with characters outside A-Z a-z 0-9 - . _ ~ + /"
                " (and trailing =); generate one with secrets.token_urlsafe"
            )
        pairs.append((role, token))
    return pairs


class TokenTable:
    """The configured tokens, kept only as SHA-256 digests."""

    def __init__(self, pairs: list[tuple]) -> None:
        by_digest: dict[bytes, Role] = {}
        for role, token in pairs:
            digest = _digest(token)
            if digest in by_digest and by_digest[digest] != role:
                raise ValueError(
                    "the same token is configured with two roles"
                    f" ({by_digest[digest].label} and {role.label}); give each"
                    " token one role"
                )
            by_digest[digest] = role
        self._entries = list(by_digest.items())

    @classmethod
    def from_config(cls, tokens_text: str, tokens_file_text: str) -> "TokenTable":
        pairs = parse_token_entries(tokens_text, "REGISTRY_TOKENS", lines=False)
        pairs += parse_token_entries(
            tokens_file_text, "REGISTRY_TOKENS_FILE", lines=True
        )
        return cls(pairs)

    @property
    def enabled(self) -> bool:
        return bool(self._entries)

    def role_counts(self) -> dict[str, int]:
        counts = {role.label: 0 for role in Role}
        for _digest_value, role in self._entries:
            counts[role.label] += 1
        return counts

    def lookup(self, token: str) -> Role | None:
        """Return the role of ``token``, or None when no configured token matches.

        The presented token is hashed, and its digest is compared with every
        configured digest by hmac.compare_digest without stopping at a match, so the
        time taken does not depend on which token matched or how much of it did.
        """
        presented = _digest(token)
        found: Role | None = None
        for digest, role in self._entries:
            if hmac.compare_digest(presented, digest):
                found = role
        return found
