"""Sending replies to an interaction or a channel, never allowing a mention to ping anyone."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from .render import Rendered

# Article text may contain "@everyone" or role and user mentions; none of them may ping.
NO_MENTIONS = discord.AllowedMentions.none()


async def reply_now(interaction: discord.Interaction, text: str, *, ephemeral: bool = True) -> None:
    """An immediate response (no deferral), or a follow-up if the interaction is answered."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(
            text, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
        )


async def follow_up_texts(
    interaction: discord.Interaction, texts: Sequence[str], *, ephemeral: bool
) -> None:
    for text in texts:
        await interaction.followup.send(text, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS)


async def follow_up_rendered(
    interaction: discord.Interaction, rendered: Sequence[Rendered], *, ephemeral: bool
) -> None:
    # The first follow-up replaces the "thinking…" message of the deferral.
    for content, embed in rendered:
        await interaction.followup.send(
            content or discord.utils.MISSING,
            embed=embed,
            ephemeral=ephemeral,
            allowed_mentions=NO_MENTIONS,
        )


async def finish_original_rendered(
    interaction: discord.Interaction, rendered: Sequence[Rendered], *, ephemeral: bool
) -> None:
    """Replace a streamed preview in the original response with the answer, then follow up."""
    if not rendered:
        return
    content, embed = rendered[0]
    # content=None clears the preview text when the answer is all in the embed.
    await interaction.edit_original_response(
        content=content, embed=embed, allowed_mentions=NO_MENTIONS
    )
    await follow_up_rendered(interaction, rendered[1:], ephemeral=ephemeral)


async def finish_message_rendered(
    message: discord.Message, channel: discord.abc.Messageable, rendered: Sequence[Rendered]
) -> None:
    """Replace a streamed preview message with the answer; further parts follow it."""
    if not rendered:
        return
    content, embed = rendered[0]
    await message.edit(content=content, embed=embed, allowed_mentions=NO_MENTIONS)
    await send_rendered(channel, rendered[1:])


async def send_rendered(
    channel: discord.abc.Messageable,
    rendered: Sequence[Rendered],
    *,
    reference: discord.Message | None = None,
) -> None:
    for index, (content, embed) in enumerate(rendered):
        await channel.send(
            content,
            embed=embed,
            allowed_mentions=NO_MENTIONS,
            reference=reference if index == 0 else None,
            mention_author=False,
        )


async def send_texts(
    channel: discord.abc.Messageable,
    texts: Sequence[str],
    *,
    reference: discord.Message | None = None,
) -> None:
    for index, text in enumerate(texts):
        await channel.send(
            text,
            allowed_mentions=NO_MENTIONS,
            reference=reference if index == 0 else None,
            mention_author=False,
        )
