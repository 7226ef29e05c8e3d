#!/usr/bin/env bash
# Build the course image for JupyterHub with repo2docker: the same build mybinder.org runs, with the course files in
# /srv/ai-pm-lab (a learner's persistent home would hide /home/jovyan; deploy/z2jh/values.yaml copies them in).
#
#   IMAGE=ghcr.io/OWNER/ai-pm-lab-course deploy/build-image.sh          # build; prints IMAGE:TAG
#   IMAGE=ghcr.io/OWNER/ai-pm-lab-course PUSH=1 deploy/build-image.sh   # build and push (docker login first)
#
# Needs Docker and the course's .venv (make setup: it pins jupyter-repo2docker). TAG defaults to the commit.
# postBuild runs every lesson once during the build (the warm response cache; about as long as one Run All of the eight
# lessons at one thread; AI_PM_LAB_WARM=0 at the top of postBuild skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE="${IMAGE:-ghcr.io/ai-pm-lab/ai-pm-lab-course}"
TAG="${TAG:-$(git rev-parse --short=12 HEAD)}"
.venv/bin/jupyter-repo2docker --no-run --user-name jovyan --user-id 1000 --target-repo-dir /srv/ai-pm-lab \
    --image-name "$IMAGE:$TAG" ${PUSH:+--push} .
# postBuild ran every lesson once, so the image ships a warm response cache: say how large it and the image are
# (mybinder.org and a hub's pre-puller pull the whole image onto each node).
if docker image inspect "$IMAGE:$TAG" > /dev/null 2>&1; then
    docker run --rm --entrypoint sh "$IMAGE:$TAG" -c \
        'du -h /srv/ai-pm-lab/notebooks/outputs/cache 2>/dev/null || echo "no warm response cache (AI_PM_LAB_WARM=0?)"'
    docker image inspect -f '{{.Size}}' "$IMAGE:$TAG" | awk '{printf "image size: %.2f GB\n", $1 / 1e9}'
fi
echo "$IMAGE:$TAG"
