#!/usr/bin/env bash
# Builds this repository's HEAD WITHOUT OpenTelemetry into DIR, to measure
# what tracing OFF costs in one sitting (docs/observability.md):
#
#   bash scripts/build-without-otel.sh /tmp/fc-no-otel
#   npm run bench -- --tracing --before /tmp/fc-no-otel
#
# The same commit with the only code that runs when tracing is off taken out:
# the three `import './tracing'` lines (each server.ts) and maths' `inSpan`
# around each operation. The W3C trace id (logs, traceresponse, footer) stays:
# it is not OpenTelemetry and is always on.
set -euo pipefail
dir=${1:?usage: bash scripts/build-without-otel.sh DIR}
[[ ! -e $dir ]] || { echo "$dir exists: give a new folder" >&2; exit 1; }
cd "$(dirname "$0")/.."
git clone -q --no-hardlinks . "$dir"
git -C "$dir" checkout -q --detach "$(git rev-parse HEAD)"
cd "$dir"
sed -i "/^import '.\/tracing';$/d" awesome-app/src/server.ts greetings/src/server.ts maths/src/server.ts
sed -i -e "/^import { inSpan } from '@friendly-calculator\/common\/tracing';$/d" \
  -e "s/return inSpan(\`maths.\${op}\`, { 'maths.operation': op }, () => calculate(op, x, y));/return calculate(op, x, y);/" \
  maths/src/routes/operations.ts
# Stop if the code moved on and a line above no longer matched.
if grep -rn "from './tracing'\|import './tracing'\|inSpan" awesome-app/src greetings/src maths/src; then
  echo "OpenTelemetry is still referenced above: update scripts/build-without-otel.sh" >&2
  exit 1
fi
git --no-pager diff --stat
npm ci --no-audit --no-fund --loglevel=error
npm run build
echo "built without OpenTelemetry in $dir: npm run bench -- --tracing --before $dir"
