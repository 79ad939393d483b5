# SPDX-License-Identifier: ISC
"""Validate events files against nfq-gateway/events.schema.json.

	/usr/bin/python3 t/lib/events-validate.py SCHEMA FILE...

One process for every file of a test: Debian's python3-jsonschema is what
/usr/bin/python3 imports.  Prints FILE:LINE: what is wrong, for each bad
line (the first 20), and exits 1 if there was one; an empty file is valid.
"""
import json
import sys

import jsonschema


def main():
	if len(sys.argv) < 3:
		sys.exit("usage: events-validate.py SCHEMA FILE...")
	with open(sys.argv[1]) as f:
		schema = json.load(f)
	cls = jsonschema.validators.validator_for(schema)
	cls.check_schema(schema)
	validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
	bad = 0
	for path in sys.argv[2:]:
		with open(path, encoding="utf-8", errors="strict") as f:
			for n, line in enumerate(f, 1):
				try:
					ev = json.loads(line)
				except ValueError as e:
					err = "not JSON: %s" % e
				else:
					best = jsonschema.exceptions.best_match(validator.iter_errors(ev))
					err = None if best is None else "%s: %s" % (
						"/".join(str(p) for p in best.absolute_path) or "(top)", best.message)
				if err:
					bad += 1
					if bad <= 20:
						print("%s:%d: %s\n\t%s" % (path, n, err, line.rstrip()[:300]))
	if bad:
		print("%d invalid event(s)" % bad)
	sys.exit(1 if bad else 0)


main()
