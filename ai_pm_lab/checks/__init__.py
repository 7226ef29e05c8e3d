"""Per-week exercise checks (each prints friendly feedback and records a pass/fail; none raises).

Importing the checks registers the room's listener: when the learner has joined a room, each check's verdict (and a
decision's choice and why) goes to it; otherwise the listener does nothing."""
from ai_pm_lab import exercises
from ai_pm_lab.room import client as room_client

exercises.add_listener(room_client.on_check)
