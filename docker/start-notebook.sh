#!/usr/bin/env bash
# docker/start-notebook.sh: the classroom image's start command (docker-stacks' name for it). JupyterLab on port
# 8888 of every interface, files from $HOME (the tutorials, and work/ for the students' own files), the bpgo kernel
# as the default. Started through kernel/lab.sh, the same launcher as `make lab`.
# JUPYTER_PORT (docker-stacks' variable) moves the port, e.g. for containers on the host's network.
# Token authentication is on: Jupyter prints a random token in the log (`docker logs`), or uses JUPYTER_TOKEN.
# Extra arguments go to `jupyter lab`, e.g. a password:
#   start-notebook.sh --PasswordIdentityProvider.hashed_password='argon2:...'
set -euo pipefail
BPGO_SRC="${BPGO_SRC:-/opt/bpgo}"
exec "$BPGO_SRC/kernel/lab.sh" --ServerApp.root_dir="$HOME" --ip=0.0.0.0 --port="${JUPYTER_PORT:-8888}" --no-browser "$@"
