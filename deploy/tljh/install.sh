#!/usr/bin/env bash
# AI PM Lab on The Littlest JupyterHub (TLJH): one Ubuntu VM (22.04 or 24.04) for a small room.
# Run as root on a fresh VM with network access (learners reach it over HTTP(S); they need nothing installed):
#
#   sudo REPO=https://github.com/OWNER/NAME ADMIN=facilitator bash deploy/tljh/install.sh
#
# REPO is the course repository to serve (ai_pm_lab/data/course.toml names the published one). The script:
#   1. installs a C/C++ toolchain (llama.cpp is compiled once, portably) and an emoji font;
#   2. installs TLJH (JupyterHub + JupyterLab for every user) with ADMIN as its administrator;
#   3. clones the course to /opt/ai-pm-lab and installs its pinned requirements into a Python 3.11 environment
#      (/opt/ai-pm-lab/env), registered as the "Python 3" kernel every learner gets;
#   4. sets per-learner limits measured by deploy/capacity.py, idle culling, and a start page that copies the
#      course into each learner's home (nbgitpuller, which keeps their edits when the course is updated).
# Learners per VM size: deploy/capacity.md. Walk-through, HTTPS and passwords: docs/deploy.md.
set -euo pipefail

# >>> resources from deploy/capacity.py (measured; regenerate with: python deploy/capacity.py --write)
MEMORY_LIMIT=3328M
CPU_LIMIT=2
THREADS=2
# <<< resources

: "${REPO:?set REPO to the git URL of the course, e.g. REPO=https://github.com/OWNER/NAME}"
ADMIN="${ADMIN:-facilitator}"
BRANCH="${BRANCH:-main}"
COURSE=/opt/ai-pm-lab
ROOM_DATA="${ROOM_DATA:-/opt/ai-pm-lab-room}"   # the workshop room's database (one SQLite file)
ROOM_PORT=8090
NAME="$(basename "${REPO%.git}")"

apt-get update
apt-get install -y --no-install-recommends python3 python3-dev git curl ca-certificates build-essential cmake \
    fonts-noto-color-emoji

# TLJH itself (https://tljh.jupyter.org): JupyterHub, a user environment in /opt/tljh/user, tljh-config.
if [ ! -x /opt/tljh/user/bin/python ]; then
    curl -fsSL https://tljh.jupyter.org/bootstrap.py | python3 - --admin "$ADMIN"
fi

# The course and its pinned requirements, in their own Python 3.11 (the version the pins are checked on).
if [ -d "$COURSE/.git" ]; then
    git -C "$COURSE" fetch --depth 1 origin "$BRANCH" && git -C "$COURSE" reset --hard FETCH_HEAD
else
    git clone --depth 1 --branch "$BRANCH" "$REPO" "$COURSE"
fi
if [ ! -x "$COURSE/env/bin/python" ]; then
    /opt/tljh/user/bin/conda create -y -p "$COURSE/env" -c conda-forge python=3.11
fi
(cd "$COURSE" && "$COURSE/env/bin/python" -m pip install --upgrade "pip>=24" && \
    "$COURSE/env/bin/python" -m pip install -r requirements.txt)
# Every learner's "Python 3" kernel is the course environment; the hub's JupyterLab gets the widget front end.
"$COURSE/env/bin/python" -m ipykernel install --prefix /opt/tljh/user --name python3 --display-name "Python 3 (AI PM Lab)"
WIDGETS_VERSION="$("$COURSE/env/bin/python" -c 'import importlib.metadata as m; print(m.version("jupyterlab_widgets"))')"
/opt/tljh/user/bin/python -m pip install "jupyterlab_widgets==$WIDGETS_VERSION"
# A quick proof that the local model and the embeddings load (no key, no network).
(cd "$COURSE" && AI_PM_LAB_THREADS=1 "$COURSE/env/bin/python" -c \
    "import ai_pm_lab as lab; print(lab.describe_backend()); print(lab.generate('Say hi.', max_tokens=4).receipt())")

# Per-learner limits (measured), JupyterLab as the default, idle servers stopped after an hour.
tljh-config set limits.memory "$MEMORY_LIMIT"
tljh-config set limits.cpu "$CPU_LIMIT"
tljh-config set user_environment.default_app jupyterlab
tljh-config set services.cull.enabled true
tljh-config set services.cull.timeout 3600

# Each learner starts on week 1 of their own copy (nbgitpuller clones on first visit, merges updates later), and the
# local model uses as many threads as the CPU limit allows.
# The workshop room (docs/facilitator_guide.md): a service the hub starts and stops, at http://<VM>/services/room/,
# for hub admins and members of the "facilitators" group; learners' kernels send their results to it by themselves.
# Its data: one SQLite file in $ROOM_DATA (delete the folder to delete the room).
mkdir -p "$ROOM_DATA" && chmod 700 "$ROOM_DATA"
cat > /opt/tljh/config/jupyterhub_config.d/ai-pm-lab.py <<EOF
from urllib.parse import quote

c.Spawner.environment.update({"AI_PM_LAB_THREADS": "$THREADS", "AI_PM_LAB_ROOM": "hub",
                              "AI_PM_LAB_ROOM_URL": "http://127.0.0.1:$ROOM_PORT/services/room/"})
c.Spawner.default_url = ("/git-pull?repo=" + quote("$REPO", safe="") + "&branch=$BRANCH"
                         + "&urlpath=" + quote("lab/tree/$NAME/notebooks/week01_foundations.ipynb", safe=""))
c.JupyterHub.services.append({
    "name": "room", "url": "http://127.0.0.1:$ROOM_PORT", "oauth_no_confirm": True,
    "command": ["$COURSE/env/bin/python", "-m", "ai_pm_lab", "room", "serve", "--hub", "--data", "$ROOM_DATA"],
})
c.JupyterHub.load_roles.append({"name": "room-facilitators", "groups": ["facilitators"],
                               "scopes": ["access:services!service=room"]})
c.JupyterHub.load_groups.update({"facilitators": {"users": []}})
EOF
tljh-config reload
echo "AI PM Lab is served. Open http://<this VM's address>/ and log in as $ADMIN (the first login sets its password)."
echo "The room's page (for $ADMIN and the facilitators group): http://<this VM's address>/services/room/"
