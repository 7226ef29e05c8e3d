"""The room: learners' results flow to a facilitator's live page, on JupyterHub or laptops in one room.

In a notebook: ``from ai_pm_lab import room; room.join("CODE", "http://ADDRESS:PORT/")`` (laptop room; on a hub the
kernel joins by itself). Exercise checks then report to the room; nothing is sent without joining. The server and its
store are ``room.server`` and ``room.store`` (``python -m ai_pm_lab room serve``).
"""
from ai_pm_lab.room.client import flush, join, leave, send, status

__all__ = ["flush", "join", "leave", "send", "status"]
