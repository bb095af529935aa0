#!/usr/bin/env bash
# Builds the fuzz targets of fuzz/ (cargo-fuzz, libFuzzer) and runs each in
# turn, one process at a time. See docs/fuzzing.md.
#
#   scripts/fuzz.sh                  60 seconds per target
#   scripts/fuzz.sh 600              600 seconds per target
#   scripts/fuzz.sh --runs 20000     20,000 executions per target
#   scripts/fuzz.sh 300 template     only the named targets
#   scripts/fuzz.sh --keep-going 600 after a crash, start again (same corpus)
#                                    until the time is used: collects the crashes of a long run
#
# Prints per target the executions, the speed and whether anything was found;
# exits 1 when a target crashed, hung (a unit slower than 2 s) or ran out of
# memory (512 MB), with the input saved under fuzz/artifacts/<target>/.
# The growing corpus is kept in fuzz/corpus/<target>/ (not committed); the
# committed seeds are fuzz/seeds/<target>/.
#
# Environment: FUZZ_SANITIZER (default none: the crate is safe Rust; `address`
# needs a nightly toolchain), NIANBAO_FUZZ_SKIP_KNOWN=1 (the template target
# skips the known hostile families, see fuzz/fuzz_targets/template.rs),
# FUZZ_ARGS (more libFuzzer flags).
set -euo pipefail

cd "$(dirname "$0")/.."

seconds=60
runs=
keep_going=
usage() { echo "用法：scripts/fuzz.sh [--keep-going] [秒数 | --runs 次数] [目标…]" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
    --keep-going) keep_going=1 ;;
    --runs)
        [[ "${2:-}" =~ ^[0-9]+$ ]] || usage
        runs=$2
        shift
        ;;
    [0-9]*)
        [[ "$1" =~ ^[0-9]+$ ]] || usage
        seconds=$1
        ;;
    -*) usage ;;
    *) break ;;
    esac
    shift
done

all_targets=(toml json form form_xml template import_docx import_html import_text)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

max_len() {
    case "$1" in
    form) echo 65536 ;;
    form_xml) echo 98304 ;; # the largest sheet of the form is 72 KB
    template) echo 4096 ;;
    import_docx) echo 98304 ;; # our document.xml is 83 KB
    import_html | import_text) echo 32768 ;;
    *) echo 16384 ;;
    esac
}

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "== installing cargo-fuzz (about 2 minutes)"
    cargo install cargo-fuzz --locked
fi

sanitizer="${FUZZ_SANITIZER:-none}"
toolchain=()
if [ "$sanitizer" != none ]; then toolchain=(+nightly); fi

echo "== building the fuzz targets (sanitizer: $sanitizer, debug assertions on)"
start=$(date +%s)
build_log=$(mktemp)
trap 'rm -f "$build_log"' EXIT
build() {
    cargo "${toolchain[@]}" fuzz build --fuzz-dir fuzz -s "$sanitizer" --debug-assertions "$@" >"$build_log" 2>&1 ||
        { cat "$build_log" >&2; echo "模糊测试目标构建失败" >&2; exit 2; }
}
if [ "${#targets[@]}" -eq "${#all_targets[@]}" ]; then
    build
else
    for t in "${targets[@]}"; do build "$t"; done
fi
echo "   built in $(($(date +%s) - start)) s"

bin_dir="fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release"
failed=()
printf '%-10s %12s %9s %8s  %s\n' target executions exec/s seconds result
for t in "${targets[@]}"; do
    bin="$bin_dir/$t"
    [ -x "$bin" ] || { echo "没有模糊测试目标 $t（$bin）" >&2; exit 2; }
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    log="fuzz/artifacts/$t/last-run.log"
    : >"$log"
    dict=()
    if [ -f "fuzz/$t.dict" ]; then
        dict=(-dict="fuzz/$t.dict")
    elif [ -f "fuzz/${t%%_*}.dict" ]; then # import_docx, import_html, import_text: fuzz/import.dict
        dict=(-dict="fuzz/${t%%_*}.dict")
    fi
    t0=$(date +%s)
    execs=0
    crashes=0
    # One libFuzzer process at a time. With --keep-going, a run that found
    # something is restarted (same corpus) until the time or the runs are used up.
    while :; do
        if [ -n "$runs" ]; then
            mode=(-runs=$((runs - execs)))
        else
            mode=(-max_total_time=$((seconds - ($(date +%s) - t0))))
        fi
        one=$(mktemp)
        rc=0
        # shellcheck disable=SC2086
        "$bin" "fuzz/corpus/$t" "fuzz/seeds/$t" "${dict[@]}" "${mode[@]}" \
            -max_len="$(max_len "$t")" -rss_limit_mb=512 -timeout=2 \
            -print_final_stats=1 -artifact_prefix="fuzz/artifacts/$t/" \
            ${FUZZ_ARGS:-} >"$one" 2>&1 || rc=$?
        n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$one" | tail -1)
        # A crash ends libFuzzer before its final stats: take the last status line.
        [ -n "$n" ] || n=$(grep -oE '^#[0-9]+' "$one" | tail -1 | tr -d '#' || true)
        execs=$((execs + ${n:-0}))
        cat "$one" >>"$log"
        rm -f "$one"
        [ "$rc" -eq 0 ] && break
        crashes=$((crashes + 1))
        [ -n "$keep_going" ] || break
        if [ -n "$runs" ]; then
            [ "$execs" -lt "$runs" ] || break
        else
            [ $(($(date +%s) - t0)) -lt "$seconds" ] || break
        fi
    done
    secs=$(($(date +%s) - t0))
    speed=$((execs / (secs > 0 ? secs : 1)))
    if [ "$crashes" -eq 0 ]; then
        result=ok
    else
        kinds=$(grep -oE 'ERROR: libFuzzer: [a-z-]+|panicked at [^ ]+:[0-9]+|memory allocation of [0-9]+ bytes failed|overflowed its stack' "$log" |
            sed 's/ERROR: libFuzzer: //; s|panicked at .*/src/|panic |' | sort | uniq -c | sed 's/^ *//' | paste -sd ';' - || true)
        result="FOUND $crashes (${kinds:-exit $rc}) in fuzz/artifacts/$t/ — log: $log"
        failed+=("$t")
    fi
    printf '%-10s %12s %9s %8s  %s\n' "$t" "$execs" "$speed" "$secs" "$result"
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "模糊测试发现问题：${failed[*]}（输入见 fuzz/artifacts/<目标>/，复现：$bin_dir/<目标> <文件>）" >&2
    exit 1
fi
