"""Renderers: the document tree as HTML for each output."""
