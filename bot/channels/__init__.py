"""Rasa input channels besides REST: Telegram (off unless a token is set) and socket.io for web widgets.

``credentials.py`` writes the credentials file Rasa is started with; ``telegram.py`` and
``socketio.py`` are thin subclasses of Rasa's own connectors (see each module for why).
"""
