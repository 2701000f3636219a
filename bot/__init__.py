"""The interfaces (CLI, Discord) and the answering service they share."""
