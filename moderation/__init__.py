"""The moderation domain: validation, policy, storage and keys. Nothing here imports Flask."""
