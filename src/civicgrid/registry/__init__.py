"""The base registry (一标三实): addresses, housing, households, people, organisations, places."""
