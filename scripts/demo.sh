#!/usr/bin/env bash
# demo.sh: the end of `make demo`. Migrates the demo database, seeds it once
# (2,000 contracts, one login per role) and opens otpdesk as the demo teller.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$top"
BUILD=${BUILD:-build}
# shellcheck disable=SC1091
. var/pgenv
"$BUILD/bin/otpctl" db migrate
contracts=$(psql -X -qAt -c 'SELECT count(*) FROM otp.contract')
if [ "$contracts" = "0" ]; then
	"$BUILD/bin/otpctl" demo seed --contracts "${DEMO_CONTRACTS:-2000}"
fi
# Seeds for the demo tokens (encrypted under var/keys), so `otpctl verify` works.
[ -e var/keys/seed-key.1 ] || "$BUILD/bin/otpctl" keys init
OTP_USER=demo_admin OTP_PASSWORD=demo_admin "$BUILD/bin/otpctl" token provision-missing
if [ ! -t 0 ] || [ ! -t 1 ]; then
	echo "demo: database ready; not a terminal, so otpdesk is not opened."
	echo "demo: run it with: . var/pgenv && $BUILD/bin/otpdesk --demo"
	exit 0
fi
# The staff login replaces the superuser of var/pgenv; the socket stays.
unset PGUSER PGPASSFILE
exec "$BUILD/bin/otpdesk" --demo
