"""Command line: ``python -m ai_pm_lab doctor`` checks this machine's setup and names the fix for each problem;
``python -m ai_pm_lab room serve`` runs a room for a workshop (see ai_pm_lab.room.server)."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from ai_pm_lab import doctor
from ai_pm_lab.room import server as room_server


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ai_pm_lab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("doctor", help="check the setup: exit code 0 when every required check passes, else 1")
    run.add_argument("--json", action="store_true", help="print the checks as JSON")
    room = commands.add_parser("room", help="run a room: learners' results on a facilitator's live page")
    room_commands = room.add_subparsers(dest="room_command", required=True)
    serve = room_commands.add_parser("serve", help="start the room server (prints the room code and addresses)")
    serve.add_argument("--data", default=None, help="folder for the room's database (default ./room-data); delete "
                                                    "it to delete the room")
    serve.add_argument("--host", default=None, help="where to listen: 127.0.0.1 (default: this computer only), "
                                                    "'lan' (this computer's local-network address), an address, "
                                                    "or 0.0.0.0 (every interface)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8765; 0 picks a free one)")
    serve.add_argument("--hub", action="store_true", help="run as a JupyterHub service (settings from the hub)")
    args = parser.parse_args(argv)
    if args.command == "room":
        room_server.serve(args.data or room_server.default_data_folder(), hub=args.hub, host=args.host, port=args.port)
        return 0
    checks = doctor.run_checks()
    if args.json:
        print(json.dumps([asdict(c) for c in checks], indent=1))
    else:
        print(doctor.report(checks))
        failed = [c.name for c in checks if c.required and not c.ok]
        print(f"\n{len(failed)} problem(s) to fix: {', '.join(failed)}" if failed else "\nReady: every required check "
              "passes.")
    return doctor.exit_code(checks)


if __name__ == "__main__":
    sys.exit(main())
