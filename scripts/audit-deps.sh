#!/usr/bin/env bash
# Audit the pinned dependencies (constraints.txt) for known vulnerabilities with pip-audit.
#
# pip-audit needs a vulnerability database: OSV (api.osv.dev) or PyPI's JSON API (pypi.org/pypi/NAME/VERSION/json).
# Both are on the network, so this is not part of .ci/run; it tries OSV, then PyPI, and says which pins could
# not be checked rather than passing silently.
#   scripts/audit-deps.sh            # python from $PYTHON, else .venv/bin/python, else python3
# Exit status: 0 every pin checked and none vulnerable; 1 a known vulnerability; 3 some pins could not be
# checked (listed); 4 no database reachable (nothing checked).
set -uo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-}"
if [ -z "$python" ]; then
  if [ -x .venv/bin/python ]; then python=.venv/bin/python; else python=python3; fi
fi
if ! "$python" -c "import pip_audit" 2>/dev/null; then
  echo "audit-deps: pip-audit is not installed; install it with: $python -m pip install -c constraints.txt pip-audit" >&2
  exit 4
fi

report="$(mktemp)"
trap 'rm -f "$report"' EXIT
# Only the pins: --no-deps (the file is complete), --disable-pip (no throwaway venv, no index access).
requirements="$(mktemp)"
trap 'rm -f "$report" "$requirements"' EXIT
grep -v '^#' constraints.txt > "$requirements"

for service in osv pypi; do
  "$python" -m pip_audit -r "$requirements" --no-deps --disable-pip -s "$service" -f json -o "$report" \
    --progress-spinner off 2>"$report.err"
  if [ -s "$report" ] && "$python" -c "import json,sys; json.load(open(sys.argv[1]))" "$report" 2>/dev/null; then
    break
  fi
  echo "audit-deps: $service unreachable ($(tail -n 1 "$report.err" | sed 's/.*Caused by //' | head -c 160))" >&2
  rm -f "$report.err"
  : > "$report"
done
rm -f "$report.err"
if [ ! -s "$report" ]; then
  echo "audit-deps: no vulnerability database reachable (OSV, PyPI); nothing was checked." >&2
  exit 4
fi

"$python" - "$report" "$service" <<'PY'
import json
import sys

report, service = json.load(open(sys.argv[1])), sys.argv[2]
dependencies = report["dependencies"]
skipped = [d for d in dependencies if "skip_reason" in d]
vulnerable = [d for d in dependencies if d.get("vulns")]
checked = len(dependencies) - len(skipped)
print(f"audit-deps ({service}): {len(dependencies)} pins, {checked} checked, {len(skipped)} not checked, "
      f"{sum(len(d['vulns']) for d in vulnerable)} known vulnerabilities")
for d in vulnerable:
    for v in d["vulns"]:
        fixed = ", ".join(v.get("fix_versions") or []) or "no fixed release"
        print(f"  VULNERABLE {d['name']}=={d['version']}: {v['id']} (fixed in {fixed})")
for d in skipped:
    print(f"  not checked {d['name']}: {d['skip_reason']}")
sys.exit(1 if vulnerable else 3 if skipped else 0)
PY
