"""Test helpers shipped with the course: a loopback fake provider server and a key-shaped-string scanner."""
