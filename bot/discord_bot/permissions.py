"""Who may change a server's articles: Manage Server, or the operator-configured role."""

from __future__ import annotations

import discord


def can_manage(
    user: discord.User | discord.Member, permissions: discord.Permissions, admin_role: str | None
) -> bool:
    """`permissions` are the user's resolved permissions in the channel of the request."""
    if not isinstance(user, discord.Member):
        return False
    if permissions.manage_guild or permissions.administrator:
        return True
    if admin_role:
        wanted = admin_role.strip().lower()
        # The role is configured by name or by id.
        return any(role.name.lower() == wanted or str(role.id) == wanted for role in user.roles)
    return False
