"""Validates a response against one of Tempest's response schemas, as Tempest's RestClient does.

Usage: /usr/bin/python3 validate_tempest_schema.py MODULE:NAME STATUS < body.json
       /usr/bin/python3 validate_tempest_schema.py --batch < [{"ref": "MODULE:NAME", "status": 200, "body": {...}}, ...]

MODULE:NAME is e.g. tempest.lib.api_schema.response.compute.v2_55.flavors:create_update_get_flavor_details.
An empty stdin means an empty body. Exit 0 when valid; 1 with the reason on stderr when not; 2 on bad usage.
"""
import importlib
import json
import sys

import jsonschema
from tempest.lib.common import rest_client
from tempest.lib import exceptions


class _Response(dict):
    """What validate_response reads of a response: its status (and headers, as a dict)."""

    def __init__(self, status):
        super().__init__()
        self.status = status


def check(ref, status, body):
    """None when valid, else the reason."""
    module_name, attribute = ref.split(':', 1)
    schema = getattr(importlib.import_module(module_name), attribute)
    if status not in schema['status_code']:
        return 'status %d is not one of %s' % (status, schema['status_code'])
    try:
        rest_client.RestClient.validate_response(schema, _Response(status), body)
    except (exceptions.TempestException, jsonschema.ValidationError) as error:
        return str(error)
    return None


def main(argv):
    if len(argv) == 2 and argv[1] == '--batch':
        failures = 0
        for item in json.load(sys.stdin):
            body = item.get('body')
            reason = check(item['ref'], int(item['status']), '' if body is None else body)
            if reason:
                failures += 1
                print('%s (status %s): %s\nbody: %s' % (item['ref'], item['status'], reason, json.dumps(body)[:4000]), file=sys.stderr)
        return 1 if failures else 0
    if len(argv) != 3 or ':' not in argv[1]:
        print(__doc__, file=sys.stderr)
        return 2
    text = sys.stdin.read()
    reason = check(argv[1], int(argv[2]), json.loads(text) if text.strip() else '')
    if reason:
        print(reason, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
