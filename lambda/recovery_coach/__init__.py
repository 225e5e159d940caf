"""Spine Recovery: an Alexa skill for people recovering at home from kyphoplasty."""
