#!/usr/bin/env bash
# The Swift examples of the README and of the DocC articles are real files, compiled with the package
# (`Snippets/*.swift`, which SwiftPM builds as executables that are not products). This script checks
#   1. every ```swift block of README.md is preceded by `<!-- snippet: PATH -->` and equals PATH
#      (without the `// snippet.hide` … `// snippet.show` parts DocC hides as well);
#   2. the DocC articles (Sources/*/*.docc/*.md) hold no ```swift block, and every
#      `@Snippet(path: "delve-swift/Snippets/NAME")` names a file of Snippets/;
#   3. docs/examples/Package.swift parses (`swift package dump-package`) and names only products
#      this package has, and the target graph in docs/ARCHITECTURE.md equals Package.swift's;
#   4. with BIN_DIR (the build's bin path), runs every snippet in a scratch folder; the training example
#      must reach a test accuracy of at least 0.8 on the embedded digits.
#   scripts/check-snippets.sh [BIN_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-}"
swift="${SWIFT:-swift}"

python3 - <<'EOF'
import glob, re, sys

def visible(path):
    lines, shown = [], True
    for line in open(path, encoding="utf-8").read().splitlines():
        marker = line.strip()
        if marker == "// snippet.hide":
            shown = False
        elif marker == "// snippet.show":
            shown = True
        elif shown:
            lines.append(line)
    return "\n".join(lines).strip("\n")

failures = []
readme = open("README.md", encoding="utf-8").read().splitlines()
blocks = 0
i = 0
while i < len(readme):
    if readme[i].strip() == "```swift":
        start = i
        j = i + 1
        while j < len(readme) and readme[j].strip() != "```":
            j += 1
        body = "\n".join(readme[start + 1:j]).strip("\n")
        k = start - 1
        while k >= 0 and not readme[k].strip():
            k -= 1
        m = re.fullmatch(r"<!-- snippet: (\S+) -->", readme[k].strip()) if k >= 0 else None
        if not m:
            failures.append(f"README.md:{start + 1}: a ```swift block without a `<!-- snippet: PATH -->` line before it")
        else:
            try:
                source = visible(m.group(1))
            except OSError as error:
                failures.append(f"README.md:{start + 1}: {error}")
            else:
                if source != body:
                    import difflib
                    diff = "\n".join(difflib.unified_diff(source.splitlines(), body.splitlines(),
                                                          m.group(1), "README.md", lineterm=""))
                    failures.append(f"README.md:{start + 1}: differs from {m.group(1)}:\n{diff}")
        blocks += 1
        i = j
    i += 1

snippets = {p[len("Snippets/"):-len(".swift")] for p in glob.glob("Snippets/**/*.swift", recursive=True)}
articles = sorted(glob.glob("Sources/*/*.docc/**/*.md", recursive=True))
references = 0
for article in articles:
    for number, line in enumerate(open(article, encoding="utf-8").read().splitlines(), 1):
        if line.strip().startswith("```swift"):
            failures.append(f"{article}:{number}: a ```swift block; put the code in Snippets/ and use @Snippet(path:)")
        for name in re.findall(r'@Snippet\(path:\s*"delve-swift/Snippets/([^"]+)"', line):
            references += 1
            if name not in snippets:
                failures.append(f"{article}:{number}: no file Snippets/{name}.swift")
        if "@Snippet(" in line and "delve-swift/Snippets/" not in line:
            failures.append(f"{article}:{number}: @Snippet paths start with delve-swift/Snippets/")

if failures:
    print("check-snippets: FAILED", file=sys.stderr)
    for failure in failures:
        print("  " + failure, file=sys.stderr)
    sys.exit(1)
print(f"check-snippets: {blocks} README block(s) equal their files; {references} @Snippet reference(s) "
      f"in {len(articles)} article(s) resolve")
EOF

# 3. The dependency example: a manifest that parses and names existing products.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/consumer"
cp docs/examples/Package.swift "$work/consumer/Package.swift"
"$swift" package --package-path "$work/consumer" dump-package >"$work/consumer.json"
"$swift" package dump-package >"$work/package.json"
python3 - "$work/consumer.json" "$work/package.json" <<'EOF'
import json, sys
consumer, package = (json.load(open(p)) for p in sys.argv[1:3])
products = {p["name"] for p in package["products"]}
used = set()
for target in consumer["targets"]:
    for dependency in target.get("dependencies", []):
        product = dependency.get("product")
        if product and product[1] == package["name"]:
            used.add(product[0])
missing = sorted(used - products)
if missing or not used:
    print(f"check-snippets: docs/examples/Package.swift names no product or unknown ones: {missing}", file=sys.stderr)
    sys.exit(1)
print(f"check-snippets: docs/examples/Package.swift parses and uses existing products ({', '.join(sorted(used))})")

# docs/ARCHITECTURE.md's target graph (the block after `<!-- target-graph -->`) equals the manifest.
lines = open("docs/ARCHITECTURE.md", encoding="utf-8").read().splitlines()
start = lines.index("<!-- target-graph -->") + 2
documented = {}
for line in lines[start:]:
    if line.strip() == "```":
        break
    name, _, rest = line.partition("←")
    documented[name.strip()] = {d.split("(")[0].strip() for d in rest.split(",") if d.strip()}
def dependency_name(d):
    for kind in ("byName", "target", "product"):
        if kind in d:
            return d[kind][0]
actual = {t["name"]: {dependency_name(d) for d in t.get("dependencies", [])}
          for t in package["targets"] if t["type"] in ("regular", "executable") and t.get("dependencies")}
if documented != actual:
    print("check-snippets: docs/ARCHITECTURE.md's target graph differs from Package.swift:", file=sys.stderr)
    for name in sorted(set(documented) | set(actual)):
        if documented.get(name) != actual.get(name):
            print(f"  {name}: documented {sorted(documented.get(name, []))}, Package.swift {sorted(actual.get(name, []))}",
                  file=sys.stderr)
    sys.exit(1)
print(f"check-snippets: docs/ARCHITECTURE.md's target graph equals Package.swift ({len(actual)} targets)")
EOF

# 4. Run every snippet.
if [ -n "$bin" ]; then
  bin="$(cd "$bin" && pwd)"
  for file in Snippets/*.swift; do
    name="$(basename "$file" .swift)"
    [ -x "$bin/$name" ] || { echo "check-snippets: $bin/$name was not built" >&2; exit 1; }
    mkdir -p "$work/run-$name"
    if ! (cd "$work/run-$name" && "$bin/$name" >"$work/$name.out" 2>&1); then
      echo "check-snippets: snippet $name failed:" >&2
      tail -20 "$work/$name.out" >&2
      exit 1
    fi
  done
  python3 - "$work/run-TrackTrainingLoop/runs/my-run/statistics.jsonl" <<'EOF'
import json, sys
records = [json.loads(line) for line in open(sys.argv[1])]
accuracy = records[-1]["values"]["test-accuracy"]
if len(records) != 5 or not accuracy >= 0.8:
    print(f"check-snippets: TrackTrainingLoop wrote {len(records)} epochs, test accuracy {accuracy}", file=sys.stderr)
    sys.exit(1)
print(f"check-snippets: every snippet ran; TrackTrainingLoop: {len(records)} epochs, test accuracy {accuracy:.3f}")
EOF
fi
