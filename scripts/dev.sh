#!/usr/bin/env bash
# `npm run dev`: install what is missing, then run the developer stack in the foreground.
set -euo pipefail
here="$(dirname "$0")"
bash "$here/install.sh"
exec bash "$here/stack.sh" dev
