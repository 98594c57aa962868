#!/usr/bin/env python3
"""Docker HEALTHCHECK of the classroom image: healthy when a Jupyter server started in this container answers.

Like docker-stacks' docker_healthcheck.py, it reads the servers' jpserver-*.json files from the Jupyter runtime
directory and asks each server's /api endpoint (which needs no token) on the loopback address. Exit status 0 when
one answers with its version, 1 otherwise. Run with the image's venv Python (it imports jupyter_core).
"""
import json
import sys
import urllib.request
from pathlib import Path

from jupyter_core.paths import jupyter_runtime_dir


def main() -> int:
    files = sorted(Path(jupyter_runtime_dir()).glob("jpserver-*.json"))
    if not files:
        print(f"no jpserver-*.json in {jupyter_runtime_dir()}: no Jupyter server running", file=sys.stderr)
        return 1
    for f in files:  # a stale file from a killed server may sit beside the live one
        try:
            info = json.loads(f.read_text())
            scheme = "https" if info.get("secure") else "http"
            url = f"{scheme}://127.0.0.1:{info['port']}{info.get('base_url', '/')}api"
            with urllib.request.urlopen(url, timeout=5) as r:
                version = json.load(r)["version"]
            print(f"ok: Jupyter server {version} at {url}")
            return 0
        except (OSError, ValueError, KeyError) as e:
            print(f"{f.name}: {e}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
