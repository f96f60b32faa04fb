#!/bin/sh
# Run libFuzzer targets for a bounded time each and print TAP.
#
#   run.sh SRC_FUZZ_DIR OUT_DIR TARGET...
#
# SRC_FUZZ_DIR holds corpus/NAME/ (seeds, read only) and dict/NAME.dict;
# OUT_DIR gets work/NAME/ (inputs found in this run), logs/NAME.log and
# artifacts/NAME/ (crash-*, timeout-*, leak-*, oom-*: inputs to replay with
# "TARGET FILE").  FUZZ_SECONDS (default 30) bounds each target; FUZZ_FLAGS
# adds libFuzzer options.  Exit status 1 when any target fails.
set -u

src=$1 out=$2
shift 2
secs=${FUZZ_SECONDS:-30}
case $secs in
''|*[!0-9]*) echo "run.sh: FUZZ_SECONDS must be a whole number" >&2; exit 2;;
esac

# Belt and braces: the targets are built with -fno-sanitize-recover=all.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export UBSAN_OPTIONS

echo "1..$#"
n=0 failed=0
for t; do
	n=$((n + 1))
	name=$(basename "$t")
	work=$out/work/$name art=$out/artifacts/$name/ log=$out/logs/$name.log
	mkdir -p "$work" "$art" "$out/logs" || exit 2
	: >"$out/logs/$name.start" || exit 2	# artifacts newer: this run's
	set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$art"
	if [ -f "$src/dict/$name.dict" ]; then
		set -- "$@" -dict="$src/dict/$name.dict"
	fi
	seeds=
	[ -d "$src/corpus/$name" ] && seeds=$src/corpus/$name
	# No terminal, no stdin: a target must not wait on either.
	# shellcheck disable=SC2086
	"$t" "$@" ${FUZZ_FLAGS:-} "$work" $seeds </dev/null >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(sed -n 's/^#[0-9]*[	 ]*DONE.* cov: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		echo "ok $n - $name: ${execs:-?} runs in ${secs}s, ${cov:-?} edges"
		continue
	fi
	failed=$((failed + 1))
	why=$(grep -m 1 -E 'invariant failed|^==[0-9]+==ERROR|^SUMMARY|runtime error|ALARM|out-of-memory' "$log")
	echo "not ok $n - $name: exit $rc: ${why:-see the log}"
	find "$art" -type f -newer "$out/logs/$name.start" 2>/dev/null | while read -r a; do
		echo "# input: $a (replay: $t $a)"
	done
	echo "# log: $log"
	grep -E 'invariant failed|^==[0-9]+==ERROR|^SUMMARY|runtime error|^    #[0-9] ' "$log" |
	    head -n 12 | sed 's/^/#   /'
done
[ "$failed" -eq 0 ]
