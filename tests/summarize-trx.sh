#!/usr/bin/env bash
# Sums the <Counters> of every TRX file under DIR and prints, as its last line,
#   N passed, N failed, N skipped
# usage: tests/summarize-trx.sh DIR [TEST_EXIT_CODE]
# Exits non-zero when a test failed (failed, error, timeout or aborted), when TEST_EXIT_CODE
# (the test command's status) is non-zero, or when no test ran at all.
set -euo pipefail
dir=${1:?usage: summarize-trx.sh DIR [TEST_EXIT_CODE]}
test_rc=${2:-0}

passed=0 failed=0 skipped=0 files=0 unreadable=0
# The value of attribute $2 in the Counters element $1, 0 when absent.
counter() { sed -n "s/.*[[:space:]]$2=\"\([0-9]*\)\".*/\1/p" <<<"$1" | head -n1 | grep . || echo 0; }

if [[ -d $dir ]]; then
  while IFS= read -r -d '' trx; do
    counters=$(tr '\n' ' ' <"$trx" | grep -o '<Counters [^>]*>' | head -n1 || true)
    if [[ -z $counters ]]; then
      echo "summarize-trx: no <Counters> in $trx" >&2
      unreadable=$((unreadable + 1))
      continue
    fi
    files=$((files + 1))
    p=$(counter "$counters" passed)
    f=$(( $(counter "$counters" failed) + $(counter "$counters" error) + $(counter "$counters" timeout) + $(counter "$counters" aborted) ))
    # The VSTest TRX logger leaves notExecuted at 0 for skipped tests; they are total - executed.
    s=$(( $(counter "$counters" total) - $(counter "$counters" executed) ))
    ((s >= $(counter "$counters" notExecuted))) || s=$(counter "$counters" notExecuted)
    echo "$(basename "$trx"): $p passed, $f failed, $s skipped"
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  done < <(find "$dir" -name '*.trx' -type f -print0 | sort -z)
fi

status=0
if ((files == 0)); then
  echo "summarize-trx: no TRX file under $dir" >&2; status=1
elif ((passed + failed == 0)); then
  echo "summarize-trx: no test ran" >&2; status=1
fi
((failed == 0 && unreadable == 0)) || status=1
if [[ $test_rc != 0 ]]; then
  echo "summarize-trx: the test command exited with status $test_rc" >&2; status=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
