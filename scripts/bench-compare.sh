#!/usr/bin/env bash
# bench-compare.sh OLD.json [NEW.json]: `make bench-compare OLD=old.json`.
# For every figure of NEW (default bench/results.json) that OLD also has,
# prints the mean of its runs in both, new/old, and its ratio to its
# baseline in both runs (that ratio is the comparable one: the baselines
# absorb a slower or busier machine). Lower is better for times (unit s, ms).
# Reads the one-figure-per-line layout scripts/bench.sh writes; needs only awk.
set -euo pipefail
old=${1:-}
new=${2:-bench/results.json}
if [ -z "$old" ]; then
	echo "usage: make bench-compare OLD=old-results.json   (or: scripts/bench-compare.sh OLD [NEW])" >&2
	exit 3
fi
for f in "$old" "$new"; do
	[ -r "$f" ] || { echo "error: cannot read $f" >&2; exit 1; }
done

awk '
function field(l, key,   re) {
	re = "\"" key "\": (\"[^\"]*\"|\\[[^]]*\\]|null|true|false|[-0-9.eE+]+)"
	if (!match(l, re)) return ""
	return substr(l, RSTART + length(key) + 4, RLENGTH - length(key) - 4)
}
function unq(s) { gsub(/^"|"$/, "", s); return s }
function mean(a,   n, i, s, parts) {
	gsub(/[][]/, "", a)
	if (a == "" || a == "null") return ""
	n = split(a, parts, ",")
	for (i = 1; i <= n; i++) s += parts[i]
	return s / n
}
function fmt(v) {
	if (v == "") return "-"
	if (v >= 100000) return sprintf("%.3gM", v / 1e6)
	if (v >= 1000) return sprintf("%.1fk", v / 1e3)
	if (v >= 10) return sprintf("%.1f", v)
	return sprintf("%.3g", v)
}
FNR == 1 { file++ }
/"label": / {
	label = unq(field($0, "label"))
	v = mean(field($0, "runs")); r = mean(field($0, "ratio")); u = unq(field($0, "unit")); k = unq(field($0, "kind"))
	if (file == 1) { ov[label] = v; orat[label] = r; next }
	order[++n] = label; nv[label] = v; nrat[label] = r; unit[label] = u; kind[label] = k
}
/"mode": / && file == 1 { omode = unq(field($0, "mode")) }
/"mode": / && file == 2 { nmode = unq(field($0, "mode")) }
/"date": / && file == 1 { odate = unq(field($0, "date")) }
/"date": / && file == 2 { ndate = unq(field($0, "date")) }
END {
	printf "old: %s (%s)   new: %s (%s)\n", odate, omode, ndate, nmode
	if (omode != nmode) printf "warning: comparing a %s run with a %s run: data sizes differ\n", omode, nmode
	printf "%-48s %10s %10s %9s   %-15s %s\n", "figure", "old", "new", "new/old", "vs baseline", "verdict"
	for (i = 1; i <= n; i++) {
		l = order[i]
		if (!(l in ov) || ov[l] == "" || nv[l] == "") { printf "%-48s %10s %10s %9s   %-15s %s\n", l, "-", fmt(nv[l]), "-", "-", "new figure"; continue }
		q = ov[l] > 0 ? nv[l] / ov[l] : 0
		lower = (unit[l] == "s" || unit[l] == "ms")
		rat = (orat[l] != "" && nrat[l] != "") ? sprintf("%.2f -> %.2f", orat[l], nrat[l]) : "-"
		# judge on the baseline ratio when there is one, else on the value;
		# times and latencies (and le/inv ratios) have their own direction
		if (orat[l] != "" && nrat[l] != "" && orat[l] > 0 && nrat[l] > 0) {
			d = nrat[l] / orat[l]
			if (kind[l] == "le" || (kind[l] != "inv" && lower)) d = 1 / d
		} else {
			d = q
			if (lower && d > 0) d = 1 / d
		}
		verdict = d < 0.9 ? "WORSE" : (d > 1.1 ? "better" : "same")
		printf "%-48s %10s %10s %9.2f   %-15s %s\n", l, fmt(ov[l]), fmt(nv[l]), q, rat, verdict
	}
}' "$old" "$new"
