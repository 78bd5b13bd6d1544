"""Validate STIX 2.1 files with the OASIS stix2-validator; print every result (errors
and SHOULD-level warnings); exit 1 if any file is invalid."""

import sys

from stix2validator import ValidationOptions, print_results, validate_file


def main():
    options = ValidationOptions(version="2.1")
    ok = True
    for path in sys.argv[1:]:
        results = validate_file(path, options)
        print_results(results)
        ok = ok and results.is_valid
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
