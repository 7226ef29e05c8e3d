#!/usr/bin/env bash
# Build the course image for JupyterHub with repo2docker: the same build mybinder.org runs, with the course files in
# /srv/ai-pm-lab (a learner's persistent home would hide /home/jovyan; deploy/z2jh/values.yaml copies them in).
#
#   IMAGE=ghcr.io/OWNER/ai-pm-lab-course deploy/build-image.sh          # build; prints IMAGE:TAG
#   IMAGE=ghcr.io/OWNER/ai-pm-lab-course PUSH=1 deploy/build-image.sh   # build and push (docker login first)
#
# Needs Docker and the course's .venv (make setup: it pins jupyter-repo2docker). TAG defaults to the commit.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE="${IMAGE:-ghcr.io/ai-pm-lab/ai-pm-lab-course}"
TAG="${TAG:-$(git rev-parse --short=12 HEAD)}"
.venv/bin/jupyter-repo2docker --no-run --user-name jovyan --user-id 1000 --target-repo-dir /srv/ai-pm-lab \
    --image-name "$IMAGE:$TAG" ${PUSH:+--push} .
echo "$IMAGE:$TAG"
