"""Which collections a server or a DM may read and write: each server only its own."""

from __future__ import annotations

from dataclasses import dataclass


def guild_collection(guild_id: int) -> str:
    return f"guild-{guild_id}"


@dataclass(frozen=True)
class Scope:
    """Where a request comes from: a server (guild_id) or a DM (None)."""

    guild_id: int | None
    shared_collection: str | None = None

    @property
    def own_collection(self) -> str | None:
        """The collection this place writes to; DMs write nowhere."""
        return None if self.guild_id is None else guild_collection(self.guild_id)

    @property
    def search_collections(self) -> list[str]:
        """The server's own collection plus the shared one; a DM sees only the shared one."""
        names = [self.own_collection] if self.own_collection else []
        if self.shared_collection and self.shared_collection not in names:
            names.append(self.shared_collection)
        return names
