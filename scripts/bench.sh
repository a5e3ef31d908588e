#!/usr/bin/env bash
# bench.sh: `make bench`. Builds the data sets in dedicated bench_* databases
# of the private cluster, measures every figure of issue 10 twice, each
# beside its baseline measured back to back in the same run (pgbench on the
# same cluster, same protocol, same durability), prints the table and writes
# bench/results.json. docs/PERFORMANCE.md explains the figures.
#
#   BENCH_QUICK=1      small data, short runs (a smoke run, < 2 minutes)
#   BENCH_SECONDS=S    duration of each database run (full 20, quick 2: the
#                      quick run's 2 x 22 timed database runs must fit in 2 minutes)
#   BENCH_KEEP=0       rebuild the main data set even if a matching one exists
#   BENCH_ONLY="a b"   only these groups: micro auditverify lookup tui verify
#                      append rundue seed (the table shows what ran)
#   BENCH_OUT=FILE     results file (default bench/results.json; quick runs
#                      bench/results-quick.json)
#
# Progress goes to stderr; the table to stdout. Every figure line the
# measuring programs print is kept in $work/lines.jsonl (see bench/bench.h).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$top"
BUILD=${BUILD:-build}
QUICK=${BENCH_QUICK:-0}
OTPCTL=$top/$BUILD/bin/otpctl
OTPDESK=$top/$BUILD/bin/otpdesk
OTPBENCH=$top/$BUILD/bench/otpbench
# a quick run never overwrites the committed results of the last full run
if [ "${BENCH_QUICK:-0}" = 1 ]; then OUT=${BENCH_OUT:-bench/results-quick.json}; else OUT=${BENCH_OUT:-bench/results.json}; fi
ONLY=${BENCH_ONLY:-micro auditverify lookup tui verify append rundue seed}

if [ "$QUICK" = 1 ]; then
	MODE=quick
	SECS=${BENCH_SECONDS:-2}
	MICRO_SECS=0.5
	CONTRACTS=3000
	AUDIT_EVENTS=50000
	PGBENCH_SCALE=1
	RUNDUE_N=1000
	SEED_N=10000
	LOOKUP_SAMPLES=200
	CHAIN_EVENTS=20000
	TUI_SEARCHES=12
	S_CLIENTS="1"
	DB=bench_quick
else
	MODE=full
	SECS=${BENCH_SECONDS:-20}
	MICRO_SECS=5
	CONTRACTS=1000000
	AUDIT_EVENTS=10000000
	PGBENCH_SCALE=10
	RUNDUE_N=100000
	SEED_N=1000000
	LOOKUP_SAMPLES=2000
	CHAIN_EVENTS=50000
	TUI_SEARCHES=40
	S_CLIENTS="1 8 32"
	DB=bench_full
fi
PGB_DB=bench_pgbench
RUNS=2

for f in "$OTPCTL" "$OTPDESK" "$OTPBENCH"; do
	[ -x "$f" ] || { echo "error: $f missing (run: make BUILD=$BUILD all $BUILD/bench/otpbench)" >&2; exit 1; }
done
for t in pgbench psql tmux awk; do
	command -v "$t" >/dev/null || { echo "error: $t missing (run: make deps)" >&2; exit 1; }
done

scripts/pgctl start >/dev/null
# shellcheck disable=SC1091
. var/pgenv
export PGDATABASE=postgres

work=$(mktemp -d "${TMPDIR:-/tmp}/otpbench.XXXXXX")
LINES=$work/lines.jsonl
: > "$LINES"
tmux_sock="otpbench-$$"
cleanup() {
	tmux -L "$tmux_sock" kill-server 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

t_start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
# the code measured: HEAD when the run starts, "+dirty" when the binaries may
# hold uncommitted changes of the work tree
git_rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- common db otp audit cal cli tui bench schema 2>/dev/null || git_rev="$git_rev+dirty"
say() { printf 'bench: [%4ds] %s\n' "$(( $(date +%s) - t_start ))" "$*" >&2; }
want() { case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
now_s() { date +%s.%N; }

# emit FIGURE VALUE UNIT [EXTRA_JSON]: a figure measured by this script,
# in otpbench's line format.
emit() {
	if [ -n "${4:-}" ]; then
		printf '{"figure":"%s","value":%s,"unit":"%s","extra":%s}\n' "$1" "$2" "$3" "$4" >> "$LINES"
	else
		printf '{"figure":"%s","value":%s,"unit":"%s"}\n' "$1" "$2" "$3" >> "$LINES"
	fi
}

# ob CMD ARGS...: run otpbench, keep its figure lines, show them.
ob() {
	local out rc=0
	out=$("$OTPBENCH" "$@" 2> "$work/ob.err") || rc=$?
	if [ -s "$work/ob.err" ]; then sed 's/^/    /' "$work/ob.err" | tail -n 8 >&2; fi
	if [ $rc -ne 0 ]; then
		say "otpbench $1 failed (exit $rc)"
		return 0	# the table shows the figure as missing
	fi
	printf '%s\n' "$out" >> "$LINES"
}

# ---- data sets ---------------------------------------------------------------

as_login() { local l=$1; shift; OTP_USER=$l OTP_PASSWORD=$l "$@"; }

# seal_all DB: run sealer passes until nothing is left unsealed.
seal_all() {
	local out
	while :; do
		out=$(OTP_DSN="dbname=$1" as_login demo_batch "$OTPCTL" audit seal --max-rows 200000)
		case $out in *" 0 unsealed left"*) break ;; esac
	done
}

# fresh_db NAME: drop and create a migrated database.
fresh_db() {
	dropdb --if-exists "$1" >/dev/null 2>&1
	createdb "$1"
	OTP_DSN="dbname=$1" "$OTPCTL" db migrate >/dev/null 2>"$work/migrate.err" || { cat "$work/migrate.err" >&2; return 1; }
}

# The main data set: CONTRACTS contracts (otpctl demo seed), sealed seeds,
# AUDIT_EVENTS sealed audit events continuing the chain. Kept between runs
# when its marker matches (BENCH_KEEP=0 rebuilds it).
marker="contracts=$CONTRACTS audit=$AUDIT_EVENTS v1"
build_main() {
	say "data set $DB: $marker"
	fresh_db "$DB"
	[ -e var/keys/seed-key.1 ] || "$OTPCTL" keys init >/dev/null
	local t0
	t0=$(now_s)
	OTP_DSN="dbname=$DB" "$OTPCTL" demo seed --contracts "$CONTRACTS" >/dev/null 2>"$work/seed.err"
	say "  seeded $CONTRACTS contracts in $(awk -v a="$t0" -v b="$(now_s)" 'BEGIN{printf "%.1f", b-a}') s"
	t0=$(now_s)
	OTP_DSN="dbname=$DB" as_login demo_admin "$OTPCTL" token provision-missing >/dev/null 2>"$work/prov.err"
	say "  provisioned seeds in $(awk -v a="$t0" -v b="$(now_s)" 'BEGIN{printf "%.1f", b-a}') s"
	seal_all "$DB"
	# audit events: three months up to an hour ago, partitions first
	q -d "$DB" -c "SELECT otp.audit_partition_ensure(now() - g * interval '1 month') FROM generate_series(0, 3) g" >/dev/null
	q -d "$DB" -c "COPY (SELECT contract_id, credential_id FROM otp.token WHERE credential_id IS NOT NULL) TO STDOUT" > "$work/ids"
	local head_seq head_hex eid now_us
	IFS='|' read -r head_seq head_hex < <(q -d "$DB" -c "SELECT seq, encode(hash, 'hex') FROM otp.audit_chain_head")
	eid=$(q -d "$DB" -c "SELECT last_value + 1000 FROM otp.audit_event_event_id_seq")
	now_us=$(( $(date +%s) * 1000000 ))
	t0=$(now_s)
	"$OTPBENCH" audit-gen --events "$AUDIT_EVENTS" --start-seq $((head_seq + 1)) --prev "$head_hex" --event-id "$eid" \
		--from-us $((now_us - 85 * 86400 * 1000000)) --to-us $((now_us - 3600 * 1000000)) --ids "$work/ids" \
		--head "$work/head" |
		q -d "$DB" -c "COPY otp.audit_event (event_id, at, actor, via_role, event, outcome, reason_code, client_app,
			client_addr, branch_code, contract_id, credential_id, request_id, details, seq, prev_hash, hash, sealed_at)
			FROM STDIN"
	local last_seq last_hex last_eid
	read -r last_seq last_hex last_eid < "$work/head"
	q -d "$DB" -c "BEGIN; SET LOCAL otp.audit_sealing = on;
		UPDATE otp.audit_chain_head SET seq = $last_seq, hash = decode('$last_hex', 'hex'), sealed_at = now();
		SELECT setval('otp.audit_event_event_id_seq', $last_eid); COMMIT" >/dev/null
	q -d "$DB" -c "VACUUM ANALYZE" >/dev/null
	say "  $AUDIT_EVENTS sealed audit events loaded in $(awk -v a="$t0" -v b="$(now_s)" 'BEGIN{printf "%.1f", b-a}') s"
	q -d "$DB" -c "COMMENT ON DATABASE $DB IS '$marker'"
}

# A kept data set gets the migrations added since it was built, as
# production would; when one it has applied was changed since (a migration
# still being written), it is rebuilt.
if [ "${BENCH_KEEP:-1}" = 1 ] && [ "$(q -d postgres -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$DB'")" = "$marker" ] &&
	OTP_DSN="dbname=$DB" "$OTPCTL" db migrate >/dev/null 2>"$work/migrate.err"; then
	say "data set $DB kept ($marker)"
else
	[ -s "$work/migrate.err" ] && { say "the kept data set cannot be migrated, rebuilding it:"; sed 's/^/    /' "$work/migrate.err" >&2; }
	build_main
fi
export OTP_DSN="dbname=$DB"
export OTP_KEY_DIR="$top/var/keys"

# ---- pgbench baselines -------------------------------------------------------

pgbench_init() {
	dropdb --if-exists "$PGB_DB" >/dev/null 2>&1
	createdb "$PGB_DB"
	pgbench -i -q -s "$PGBENCH_SCALE" "$PGB_DB" >/dev/null 2>&1
}

# pgb MODE(N|S) CLIENTS: one pgbench run, prepared protocol like the
# measured side (db/ prepares every statement); figure pgbench_<MODE>_c<C>,
# plus p50/p99 latency (ms) from the per-transaction log at 1 client.
pgb() {
	local mode=$1 c=$2 j=$2 opt=() out tps
	[ "$j" -gt 2 ] && j=2
	[ "$c" = 1 ] && opt=(-l --log-prefix="$work/pgblog")
	rm -f "$work"/pgblog*
	out=$(pgbench -n "-$mode" -M prepared -c "$c" -j "$j" -T "$SECS" "${opt[@]}" "$PGB_DB" 2>&1) || {
		say "pgbench -$mode -c $c failed"; printf '%s\n' "$out" | tail -3 >&2; return 0; }
	tps=$(printf '%s\n' "$out" | awk '/^tps = /{print $3; exit}')
	emit "pgbench_${mode}_c$c" "$tps" "ops/s" "{\"clients\":$c,\"seconds\":$SECS,\"protocol\":\"prepared\"}"
	if [ "$c" = 1 ]; then
		cat "$work"/pgblog* | awk '{print $3 / 1000.0}' | sort -n > "$work/lat"
		local n p50 p99
		n=$(wc -l < "$work/lat")
		p50=$(awk -v n="$n" 'NR == int(n * 0.50 + 0.5) {print; exit}' "$work/lat")
		p99=$(awk -v n="$n" 'NR == int(n * 0.99 + 0.5) {print; exit}' "$work/lat")
		emit "pgbench_${mode}_c1_p50" "${p50:-0}" "ms" "{\"samples\":$n}"
		emit "pgbench_${mode}_c1_p99" "${p99:-0}" "ms" "{\"samples\":$n}"
	fi
	say "  pgbench -$mode -c $c: $tps tps"
}

# ---- groups ------------------------------------------------------------------

group_micro() {
	say "in-process figures (${MICRO_SECS} s x $RUNS runs each, interleaved with their baselines)"
	ob totp --seconds "$MICRO_SECS" --runs "$RUNS"
	ob unseal --seconds "$MICRO_SECS" --runs "$RUNS"
	ob chain --seconds "$MICRO_SECS" --runs "$RUNS" --events "$CHAIN_EVENTS"
}

group_auditverify() {
	say "otpctl audit verify on $DB"
	local r out t0 t1 ev
	for r in $(seq "$RUNS"); do
		t0=$(now_s)
		out=$("$OTPCTL" audit verify --quiet 2>&1) || { say "audit verify failed: $out"; continue; }
		t1=$(now_s)
		ev=$(printf '%s\n' "$out" | awk '/^events/{print $2; exit}')
		emit audit_verify_db "$(awk -v e="$ev" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", e/(b-a)}')" "events/s" \
			"{\"events\":$ev,\"seconds\":$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}'),\"jobs\":2}"
		say "  run $r: $ev events in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s"
	done
}

group_lookup() {
	say "lookups (p50/p99) beside pgbench -S"
	local r c
	for r in $(seq "$RUNS"); do
		pgb S 1
		ob lookup --samples "$LOOKUP_SAMPLES"
	done
	for c in $S_CLIENTS; do
		[ "$c" = 1 ] && continue
		for r in $(seq "$RUNS"); do pgb S "$c"; done
	done
}

# otpdesk's lookup screen in tmux, timed in the binary (OTP_TUI_TIMING):
# searches by contract ID, credential ID and kana prefix as demo_helpdesk.
group_tui() {
	say "otpdesk lookup-screen redraw ($TUI_SEARCHES searches x $RUNS)"
	local keys=() k r timing=$work/tui-timing
	mapfile -t keys < <(q -d "$DB" -c "
		(SELECT contract_id FROM otp.contract ORDER BY contract_id DESC LIMIT $((TUI_SEARCHES / 3)))
		UNION ALL (SELECT credential_id FROM otp.token WHERE credential_id IS NOT NULL LIMIT $((TUI_SEARCHES / 3)))
		UNION ALL (SELECT left(name_kana, 2) FROM otp.contract GROUP BY 1 ORDER BY count(*) DESC LIMIT $((TUI_SEARCHES / 3)))")
	for r in $(seq "$RUNS"); do
		rm -f "$timing"
		tmux -L "$tmux_sock" -f /dev/null kill-server 2>/dev/null || true
		tmux -L "$tmux_sock" -f /dev/null new-session -d -s t -x 100 -y 30 \
			"env -u PGUSER -u PGPASSFILE TERM=screen-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=Asia/Tokyo \
			 OTP_TUI_TIMING=$timing $OTPDESK --dsn dbname=$DB; sleep 30"
		tui_wait "Login name" || { say "otpdesk did not show its login"; return 0; }
		tmux -L "$tmux_sock" send-keys -t t -l demo_helpdesk; tmux -L "$tmux_sock" send-keys -t t Enter
		tmux -L "$tmux_sock" send-keys -t t -l demo_helpdesk; tmux -L "$tmux_sock" send-keys -t t Enter
		tui_wait "demo_helpdesk)" || { say "otpdesk login failed"; return 0; }
		local n0 i=0
		for k in "${keys[@]}"; do
			n0=$(tui_lines "$timing")
			if [ $i -gt 0 ]; then tmux -L "$tmux_sock" send-keys -t t /; tmux -L "$tmux_sock" send-keys -t t C-u; fi
			tmux -L "$tmux_sock" send-keys -t t -l "$k"
			tmux -L "$tmux_sock" send-keys -t t Enter
			tui_wait_lines "$timing" $((n0 + 1)) || say "  no redraw timed for '$k'"
			i=$((i + 1))
		done
		tmux -L "$tmux_sock" send-keys -t t F10
		sleep 0.3
		tmux -L "$tmux_sock" kill-server 2>/dev/null || true
		if [ -s "$timing" ]; then
			sort -n "$timing" > "$work/tui-sorted"
			local n p50 p95 max
			n=$(wc -l < "$work/tui-sorted")
			p50=$(awk -v n="$n" 'NR == int(n * 0.50 + 0.5) || (NR == 1 && n == 1) {print; exit}' "$work/tui-sorted")
			p95=$(awk -v n="$n" 'NR >= int(n * 0.95 + 0.5) {print; exit}' "$work/tui-sorted")
			max=$(tail -n 1 "$work/tui-sorted")
			emit tui_redraw_p50 "$p50" ms "{\"samples\":$n}"
			emit tui_redraw_p95 "$p95" ms "{\"samples\":$n,\"max_ms\":$max}"
			say "  run $r: $n redraws, p50 $p50 ms, p95 $p95 ms, max $max ms"
		fi
	done
}
tui_wait() {
	local end=$(( $(date +%s) + 15 ))
	while [ "$(date +%s)" -lt $end ]; do
		tmux -L "$tmux_sock" capture-pane -p -t t 2>/dev/null | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
tui_lines() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }
tui_wait_lines() {
	local end=$(( $(date +%s) + 15 ))
	while [ "$(date +%s)" -lt $end ]; do
		[ "$(tui_lines "$1")" -ge "$2" ] && { sleep 0.05; return 0; }
		sleep 0.05
	done
	return 1
}

# verify at 1, 8, 32 clients: pgbench -N, then the C API, then otpctl verify
# --stdin, back to back, twice.
group_verify() {
	say "verify transactions/s beside pgbench -N"
	local c r
	for c in 1 8 32; do
		for r in $(seq "$RUNS"); do
			pgb N "$c"
			ob verify --clients "$c" --seconds "$SECS"
			[ "$c" = 1 ] || ob verify-cli --clients "$c" --seconds "$SECS"
		done
	done
}

group_append() {
	say "sealing the backlog left by the verify runs (untimed)"
	local t0
	t0=$(now_s)
	seal_all "$DB"
	say "  sealed in $(awk -v a="$t0" -v b="$(now_s)" 'BEGIN{printf "%.1f", b-a}') s"
	say "audit append, 32 writers: chained (sealer running) vs plain insert"
	local r
	for r in $(seq "$RUNS"); do
		ob audit-append --clients 32 --seconds "$SECS"
	done
}

# run-due of RUNDUE_N approved requests in its own database (it resets
# tokens, which would change the main data set).
group_rundue() {
	local db=bench_rundue r out t0 t1 secs
	say "run-due of $RUNDUE_N approved requests ($db)"
	fresh_db "$db"
	for r in $(seq "$RUNS"); do
		OTP_DSN="dbname=$db" "$OTPCTL" demo seed --reset --contracts $((RUNDUE_N * 3 / 2)) >/dev/null 2>&1
		OTP_DSN="dbname=$db" "$OTPBENCH" mkrequests --n "$RUNDUE_N" >/dev/null 2>"$work/mkreq.err" ||
			{ say "mkrequests failed"; tail -3 "$work/mkreq.err" >&2; return 0; }
		t0=$(now_s)
		out=$(OTP_DSN="dbname=$db" as_login demo_batch "$OTPCTL" unlock run-due 2>"$work/rundue.err") ||
			{ say "run-due failed: $out"; tail -3 "$work/rundue.err" >&2; continue; }
		t1=$(now_s)
		secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')
		emit rundue_seconds "$secs" s "{\"requests\":$RUNDUE_N,\"progress_lines\":$(grep -c 'done' "$work/rundue.err" || true)}"
		say "  run $r: $out"
	done
	dropdb --if-exists "$db"
}

# otpctl demo seed --contracts SEED_N into a fresh database vs bload's
# seed-copy (COPY of the same rows from files), back to back, twice.
group_seed() {
	local db=bench_seed r t0 t1
	say "demo seed of $SEED_N contracts vs COPY from files"
	for r in $(seq "$RUNS"); do
		fresh_db "$db"
		t0=$(now_s)
		OTP_DSN="dbname=$db" "$OTPCTL" demo seed --contracts "$SEED_N" >/dev/null 2>&1 || { say "seed failed"; continue; }
		t1=$(now_s)
		emit seed_seconds "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')" s "{\"contracts\":$SEED_N}"
		say "  run $r: seed $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s"
		ob seed-copy --contracts "$SEED_N"
	done
	dropdb --if-exists "$db"
}

if want lookup || want verify; then
	say "pgbench data set $PGB_DB (scale $PGBENCH_SCALE)"
	pgbench_init
fi
for g in micro auditverify lookup tui verify append rundue seed; do
	want "$g" && "group_$g"
done
dropdb --if-exists "$PGB_DB" >/dev/null 2>&1 || true
duration=$(( $(date +%s) - t_start ))

# ---- the table and results.json ---------------------------------------------

# label | figure | baseline | kind | target | F. kinds: ge (figure/baseline
# >= t), le (figure/baseline <= t), inv (baseline/figure >= t: times), lt /
# ge_abs (the figure's own value < t / >= t; a baseline, when named, is
# shown), info (no target). F: the target is about the full data set's size,
# so a quick run's verdict is marked "(quick data)".
spec=$(cat <<'EOF'
verify C API, 8 clients (tx/s)|verify_api_c8|pgbench_N_c8|ge|1.0
verify C API, 32 clients (tx/s)|verify_api_c32|pgbench_N_c32|ge|1.0
verify otpctl --stdin, 8 clients (tx/s)|verify_cli_c8|pgbench_N_c8|ge|1.0
verify otpctl --stdin, 32 clients (tx/s)|verify_cli_c32|pgbench_N_c32|ge|1.0
verify C API, 1 client (tx/s)|verify_api_c1|pgbench_N_c1|info|
verify latency p50, 1 client (ms)|verify_api_c1_p50|pgbench_N_c1_p50|info|
verify latency p99, 1 client (ms)|verify_api_c1_p99|pgbench_N_c1_p99|le|1.0
TOTP check/s vs EVP_MAC floor|totp_check|totp_floor|ge|0.8
TOTP check/s vs liboath validate|totp_check|totp_liboath|ge|1.4
  (info) check + wipe (db_verify) vs floor|totp_check_wipe|totp_floor|info|
  (info) check + wipe (db_verify) vs liboath|totp_check_wipe|totp_liboath|info|
  (info) one-shot otp_totp_verify|totp_oneshot|totp_liboath|info|
  (info) floor + wipe by re-key|totp_floor_wipe|totp_liboath|info|
  (info) fetch + new ctx per check|totp_fetch_each|totp_liboath|info|
  (info) EVP_MAC_CTX_dup + free (ops/s)|totp_dup_free||info|
AES-256-GCM unseal/s vs reused ctx|unseal|unseal_floor|ge|0.5
  (info) one-shot otp_unseal|unseal_oneshot|unseal_floor|info|
lookup by contract ID p99 (ms)|lookup_contract_p99|pgbench_S_c1_p99|lt|2|F
lookup by credential ID p99 (ms)|lookup_credential_p99|pgbench_S_c1_p99|lt|2|F
lookup by kana prefix p99 (ms)|lookup_kana_p99|pgbench_S_c1_p99|lt|2|F
lookup by contract ID p50 (ms)|lookup_contract_p50|pgbench_S_c1_p50|info|
lookup by credential ID p50 (ms)|lookup_credential_p50|pgbench_S_c1_p50|info|
lookup by kana prefix p50 (ms)|lookup_kana_p50|pgbench_S_c1_p50|info|
pgbench -S, 8 clients (tx/s)|pgbench_S_c8||info|
pgbench -S, 32 clients (tx/s)|pgbench_S_c32||info|
audit append chained vs plain, 32 writers (ev/s)|audit_append_chained|audit_append_plain|ge|0.70
  (info) otp.audit() direct vs plain|audit_append_direct|audit_append_plain|info|
audit seal lag p99 (s)|audit_seal_lag_p99||lt|2
  (info) audit seal lag p50 (s)|audit_seal_lag_p50||info|
audit chain verify in memory (ev/s)|chain_verify|chain_sha256|ge|0.5
audit verify, database (ev/s)|audit_verify_db||ge_abs|1000000|F
run-due of approved requests (s)|rundue_seconds||lt|60|F
otpctl demo seed vs COPY (s)|seed_seconds|seed_copy_baseline|inv|0.5
otpctl demo seed (s)|seed_seconds||lt|60|F
otpdesk lookup redraw p95 (ms)|tui_redraw_p95||lt|50|F
otpdesk lookup redraw p50 (ms)|tui_redraw_p50||info|
EOF
)

machine_cores=$(nproc)
machine_mem=$(awk '/MemTotal/{printf "%.1f GB", $2 / 1048576}' /proc/meminfo)
machine_cpu=$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)
pg_version=$(q -d postgres -c "SHOW server_version")
pg_sb=$(q -d postgres -c "SHOW shared_buffers")
pg_sc=$(q -d postgres -c "SHOW synchronous_commit")
pg_fsync=$(q -d postgres -c "SHOW fsync")
load=$(cut -d' ' -f1-3 /proc/loadavg)

printf '%s\n' "$spec" | awk -F'|' -v lines="$LINES" -v out="$OUT.tmp" \
	-v mode="$MODE" -v date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" -v secs="$SECS" -v duration="$duration" \
	-v cores="$machine_cores" -v mem="$machine_mem" -v cpu="$machine_cpu" -v pgv="$pg_version" \
	-v sb="$pg_sb" -v sc="$pg_sc" -v fsync="$pg_fsync" -v load="$load" -v load0="$load_start" -v rev="$git_rev" -v runs="$RUNS" \
	-v contracts="$CONTRACTS" -v events="$AUDIT_EVENTS" '
function num(s) { return s + 0 }
function fmt(v) {
	if (v == "") return "-"
	if (v >= 100000) return sprintf("%.3gM", v / 1e6)
	if (v >= 1000) return sprintf("%.1fk", v / 1e3)
	if (v >= 100) return sprintf("%.0f", v)
	if (v >= 10) return sprintf("%.1f", v)
	return sprintf("%.3g", v)
}
function range(name,   i, lo, hi) {
	if (!(name in cnt)) return "-"
	lo = hi = val[name, 1]
	for (i = 2; i <= cnt[name]; i++) { if (val[name, i] < lo) lo = val[name, i]; if (val[name, i] > hi) hi = val[name, i] }
	return fmt(lo) ".." fmt(hi)
}
function jarr(name,   i, s) {
	s = "["
	for (i = 1; i <= cnt[name]; i++) s = s (i > 1 ? "," : "") val[name, i]
	return s "]"
}
BEGIN {
	while ((getline l < lines) > 0) {
		if (!match(l, /"figure":"[^"]*"/)) continue
		f = substr(l, RSTART + 10, RLENGTH - 11)
		if (!match(l, /"value":[-0-9.eE+]*/)) continue
		v = substr(l, RSTART + 8, RLENGTH - 8)
		u = ""
		if (match(l, /"unit":"[^"]*"/)) u = substr(l, RSTART + 8, RLENGTH - 9)
		cnt[f]++; val[f, cnt[f]] = num(v); unit[f] = u
	}
	printf "%-48s %-17s %-17s %-13s %-9s %s\n", "figure", "min..max", "baseline", "ratio", "target", "met?"
	printf "%-48s %-17s %-17s %-13s %-9s %s\n", "------", "--------", "--------", "-----", "------", "----"
	printf "{\n  \"mode\": \"%s\",\n  \"date\": \"%s\",\n  \"commit\": \"%s\",\n  \"duration_s\": %d,\n", mode, date, rev, duration > out
	printf "  \"seconds_per_run\": %s,\n  \"runs\": %d,\n  \"data\": {\"contracts\": %d, \"audit_events\": %d},\n", secs, runs, contracts, events > out
	printf "  \"machine\": {\"cores\": %d, \"memory\": \"%s\", \"cpu\": \"%s\", \"load_at_start\": \"%s\", \"load_at_end\": \"%s\",\n", cores, mem, cpu, load0, load > out
	printf "    \"postgresql\": \"%s\", \"shared_buffers\": \"%s\", \"synchronous_commit\": \"%s\", \"fsync\": \"%s\"},\n", pgv, sb, sc, fsync > out
	printf "  \"figures\": [\n" > out
	nout = 0
}
{
	label = $1; fig = $2; base = $3; kind = $4; target = $5
	r = ""; met = ""; tgt = ""; rlo = ""; rhi = ""; ratios = "[]"
	have = (fig in cnt)
	if (base != "" && have && (base in cnt)) {
		n = cnt[fig] < cnt[base] ? cnt[fig] : cnt[base]
		ratios = "["
		for (i = 1; i <= n; i++) {
			a = val[fig, i]; b = val[base, i]
			q = (kind == "inv") ? (a > 0 ? b / a : 0) : (b > 0 ? a / b : 0)
			if (i == 1 || q < rlo) rlo = q
			if (i == 1 || q > rhi) rhi = q
			ratios = ratios (i > 1 ? "," : "") sprintf("%.4f", q)
		}
		ratios = ratios "]"
		r = sprintf("%.2f..%.2f", rlo, rhi)
	}
	# a target is met when every run meets it (the worse end of the range)
	if (kind == "ge" || kind == "inv") { tgt = ">= " target; if (rlo != "") met = (rlo >= target) ? "yes" : "NO" }
	else if (kind == "le") { tgt = "<= " target; if (rhi != "") met = (rhi <= target) ? "yes" : "NO" }
	else if (kind == "lt" && have) {
		tgt = "< " target; hi = val[fig, 1]
		for (i = 2; i <= cnt[fig]; i++) if (val[fig, i] > hi) hi = val[fig, i]
		met = (hi < target) ? "yes" : "NO"
	} else if (kind == "ge_abs" && have) {
		tgt = ">= " fmt(target); lo = val[fig, 1]
		for (i = 2; i <= cnt[fig]; i++) if (val[fig, i] < lo) lo = val[fig, i]
		met = (lo >= target) ? "yes" : "NO"
	} else if (kind == "lt") tgt = "< " target
	else if (kind == "ge_abs") tgt = ">= " fmt(target)
	if (met != "" && mode == "quick" && $6 == "F") met = met " (quick data)"
	if (!have) met = "not run"
	else if (base != "" && !(base in cnt) && (kind == "ge" || kind == "le" || kind == "inv")) met = "no baseline"
	printf "%-48s %-17s %-17s %-13s %-9s %s\n", label, range(fig), base == "" ? "-" : range(base), r == "" ? "-" : r, tgt == "" ? "-" : tgt, met == "" ? "-" : met
	if (!have) next
	printf "%s    {\"label\": \"%s\", \"figure\": \"%s\", \"unit\": \"%s\", \"runs\": %s,", nout++ ? ",\n" : "", label, fig, unit[fig], jarr(fig) > out
	printf " \"baseline\": %s, \"baseline_runs\": %s, \"ratio\": %s, \"kind\": \"%s\", \"target\": %s, \"met\": %s}", \
		base == "" ? "null" : "\"" base "\"", (base != "" && (base in cnt)) ? jarr(base) : "null", ratios, kind, \
		target == "" ? "null" : target, met ~ /^yes/ ? "true" : (met ~ /^NO/ ? "false" : "null") > out
}
END {
	printf "\n  ]\n}\n" > out
}'
mv "$OUT.tmp" "$OUT"
printf '\n%s run, %d s per database run, %d runs each; took %d s (%s). Machine: %s cores, %s, PostgreSQL %s (shared_buffers %s, synchronous_commit %s). Results: %s\n' \
	"$MODE" "$SECS" "$RUNS" "$duration" "$(date -u -d "@$duration" +%Mm%Ss)" "$machine_cores" "$machine_mem" "$pg_version" "$pg_sb" "$pg_sc" "$OUT"
