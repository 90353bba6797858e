"""Plain data at the bottom of the stack: schema, documents, prompts, errors.

Nothing here imports a model SDK or any upper layer.
"""
