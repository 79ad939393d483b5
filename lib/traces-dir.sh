#!/bin/sh
# SPDX-License-Identifier: ISC
# traces-dir.sh: print the absolute path of the shared packet captures (the
# folder with a README.md that the replay tests and the benchmarks read):
# $POTEMKIN_TRACES if it holds them, else ../shared/traces beside this
# checkout.  Without them: a message on stderr, and exit status 1.
#
#	traces=$(sh lib/traces-dir.sh) || exit 1
unset CDPATH
top=$(cd "$(dirname "$0")/.." && pwd) || exit 1
for d in "${POTEMKIN_TRACES:-}" "$top/../shared/traces"; do
	if [ -n "$d" ] && [ -f "$d/README.md" ]; then
		(cd "$d" && pwd) && exit 0
	fi
done
echo "no shared captures: set POTEMKIN_TRACES or put them in ../shared/traces" >&2
exit 1
