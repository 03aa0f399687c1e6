"""Rasa-side plumbing: channels besides REST (Telegram, off unless a token is set; socket.io for web
widgets), the credentials file Rasa is started with, and the event broker that reports those
channels' messages to the gateway. Loaded by module path from credentials/endpoints files.
"""
