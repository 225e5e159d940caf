"""Alexa skill as an HTTPS web service: request verification, WSGI app and server."""
