"""The Discord interface: slash commands and mentions, translated to the answering service."""
