#!/usr/bin/env bash
# Code in the docs cannot rot: every ```cpp block in README.md and docs/ is quoted from a real
# file, named by the line above it:
#   <!-- snippet: examples/hello/main.cpp -->
# Each non-empty line of the block (spaces at either end aside; a line `// ...` marks lines left
# out) must be a line of that file, in the file's order. ```json blocks with a marker are checked
# the same way. Links to files of the tree must lead somewhere. Prints every block that does not
# match and every broken link, and fails; so does a README.md of more than 200 lines.
#   check_snippets.sh SOURCE_DIR
set -euo pipefail
cd "$1"
files=(README.md)
while IFS= read -r -d '' f; do files+=("$f"); done < <(find docs -name '*.md' -print0 2>/dev/null)
awk '
  function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t\r]+$/, "", s); return s }
  function check(   n, line, i, j, found) {
    if (source == "") {
      if (lang == "cpp") { printf "%s:%d: a cpp block without a <!-- snippet: FILE --> line above it\n", FILENAME, start; bad++ }
      return
    }
    n = 0
    while ((getline line < source) > 0) file_lines[++n] = trim(line)
    close(source)
    if (n == 0) { printf "%s:%d: snippet source %s is missing or empty\n", FILENAME, start, source; bad++; return }
    j = 1
    for (i = 1; i <= count; i++) {
      if (block[i] == "" || block[i] == "// ...") continue
      found = 0
      for (; j <= n; j++) if (file_lines[j] == block[i]) { found = 1; j++; break }
      if (!found) { printf "%s:%d: this line is not in %s (or not in its order there):\n  %s\n", FILENAME, start + i, source, block[i]; bad++; return }
    }
    checked++
  }
  FNR == 1 { inside = 0; previous = "" }
  FILENAME == "README.md" { readme_lines = FNR }
  {
    if (!inside && $0 ~ /^[ \t]*```[a-z]+/) {
      inside = 1; start = FNR; count = 0
      lang = trim($0); sub(/^```/, "", lang)
      source = ""
      if (match(previous, /<!-- snippet: [^ ]+ -->/)) { source = substr(previous, RSTART + 14, RLENGTH - 18) }
      if (lang != "cpp" && lang != "json") source = ""
    } else if (inside && $0 ~ /^[ \t]*```[ \t]*$/) {
      inside = 0; check()
    } else if (inside) {
      block[++count] = trim($0)
    } else {
      rest = $0
      gsub(/`[^`]*`/, "", rest) # code, not links
      while (match(rest, /\]\([^)]+\)/)) {
        target = substr(rest, RSTART + 2, RLENGTH - 3)
        rest = substr(rest, RSTART + RLENGTH)
        sub(/#.*/, "", target)
        if (target == "" || target ~ /^[a-z]+:/) continue
        dir = FILENAME; if (!sub(/\/[^\/]*$/, "", dir)) dir = "."
        if (system("test -e \"" dir "/" target "\"") != 0) { printf "%s:%d: the link to %s leads nowhere\n", FILENAME, FNR, target; bad++ }
      }
    }
    previous = $0
  }
  END {
    if (readme_lines > 200) { printf "README.md has %d lines: it stays within 200, the rest belongs in docs/\n", readme_lines; bad++ }
    printf "docs: %d quoted blocks match their files; %d problems\n", checked, bad
    exit bad > 0
  }
' "${files[@]}"
