#!/usr/bin/env python3
"""Validates an OCDS 1.1 release package offline.

    .ci/validate-ocds.py FILE [--schemas DIR]

The release schema is the core one (../shared/schemas/ocds-1.1/release-schema.json) with the
lots and techniques extensions applied the way OCDS applies extensions: as JSON Merge Patches
(RFC 7386). The package is validated against release-package-schema.json, whose reference to
the release schema by URL is mapped to that patched local copy (no network), and every
release against the patched release schema (JSON Schema draft 4, as the schemas declare).
Open codelists the schema does not enforce are checked here for the codes we use, and so is
the package's referential integrity (parties referenced by id exist).

Prints each error with its JSON path; exits 1 on any error, 2 when it cannot run.
"""

import argparse
import copy
import json
import os
import sys
from pathlib import Path

try:
    import jsonschema
    from jsonschema import Draft4Validator
except ImportError:  # pragma: no cover - reported to the caller
    print("validate-ocds: the Python package 'jsonschema' is missing (pip install jsonschema)",
          file=sys.stderr)
    sys.exit(2)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCHEMAS = ROOT / ".." / "shared" / "schemas" / "ocds-1.1"
EXTENSIONS = ["ocds_lots_extension", "ocds_techniques_extension"]

# Closed codelists are enums in the schema already; these are the open ones (codes of OCDS
# 1.1.5), where the schema accepts any string but a typo would silently lose meaning.
PARTY_ROLES = {
    "buyer", "procuringEntity", "supplier", "tenderer", "funder", "enquirer", "payer",
    "payee", "reviewBody", "interestedParty",
}
RELATED_PROCESS = {
    "framework", "planning", "parent", "prior", "unsuccessfulProcess", "subContract",
    "replacementProcess", "renewalProcess",
}
CONTRACT_STATUS = {"pending", "active", "cancelled", "terminated"}
TENDER_STATUS = {"planning", "planned", "active", "cancelled", "unsuccessful", "complete",
                 "withdrawn"}
AWARD_STATUS = {"pending", "active", "cancelled", "unsuccessful"}
RELEASE_TAGS = {
    "planning", "planningUpdate", "tender", "tenderAmendment", "tenderUpdate",
    "tenderCancellation", "award", "awardUpdate", "awardCancellation", "contract",
    "contractUpdate", "contractAmendment", "implementation", "implementationUpdate",
    "contractTermination", "compiled",
}


def merge_patch(target, patch):
    """RFC 7386 JSON Merge Patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def load(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def release_schema(schemas):
    schema = load(schemas / "release-schema.json")
    for extension in EXTENSIONS:
        schema = merge_patch(schema, load(schemas / f"{extension}.release-schema.json"))
    return schema


def package_validator(package_schema, patched):
    """A draft-4 validator of the package whose release $ref resolves to `patched`."""
    url = patched["id"]
    format_checker = Draft4Validator.FORMAT_CHECKER
    try:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT4

        resource = Resource.from_contents(patched, default_specification=DRAFT4)
        registry = Registry().with_resource(url, resource)
        return Draft4Validator(package_schema, registry=registry,
                               format_checker=format_checker)
    except ImportError:  # jsonschema < 4.18
        resolver = jsonschema.RefResolver.from_schema(package_schema, store={url: patched})
        return Draft4Validator(package_schema, resolver=resolver,
                               format_checker=format_checker)


def json_path(prefix, error):
    path = prefix
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def codelist_errors(index, release):
    """Open codelists and referential integrity, per release."""
    base = f"$.releases[{index}]"
    errors = []

    def check(path, value, codes, name):
        if value is not None and value not in codes:
            errors.append(f"{path}: {value!r} is not in the {name} codelist")

    for tag_index, tag in enumerate(release.get("tag") or []):
        check(f"{base}.tag[{tag_index}]", tag, RELEASE_TAGS, "releaseTag")
    party_ids = set()
    for party_index, party in enumerate(release.get("parties") or []):
        if isinstance(party, dict):
            party_ids.add(party.get("id"))
            for role_index, role in enumerate(party.get("roles") or []):
                check(f"{base}.parties[{party_index}].roles[{role_index}]", role, PARTY_ROLES,
                      "partyRole")

    def referenced(path, reference):
        if isinstance(reference, dict) and reference.get("id") not in party_ids:
            errors.append(f"{path}.id: {reference.get('id')!r} is not the id of a party")

    referenced(f"{base}.buyer", release.get("buyer"))
    tender = release.get("tender") or {}
    check(f"{base}.tender.status", tender.get("status"), TENDER_STATUS, "tenderStatus")
    referenced(f"{base}.tender.procuringEntity", tender.get("procuringEntity"))
    award_ids = set()
    for award_index, award in enumerate(release.get("awards") or []):
        award_ids.add(award.get("id"))
        check(f"{base}.awards[{award_index}].status", award.get("status"), AWARD_STATUS,
              "awardStatus")
        for supplier_index, supplier in enumerate(award.get("suppliers") or []):
            referenced(f"{base}.awards[{award_index}].suppliers[{supplier_index}]", supplier)
    for contract_index, contract in enumerate(release.get("contracts") or []):
        path = f"{base}.contracts[{contract_index}]"
        check(f"{path}.status", contract.get("status"), CONTRACT_STATUS, "contractStatus")
        if contract.get("awardID") not in award_ids:
            errors.append(f"{path}.awardID: {contract.get('awardID')!r} is not an award's id")
    for process_index, process in enumerate(release.get("relatedProcesses") or []):
        for kind_index, kind in enumerate(process.get("relationship") or []):
            check(f"{base}.relatedProcesses[{process_index}].relationship[{kind_index}]", kind,
                  RELATED_PROCESS, "relatedProcess")
    return errors


def validate(package, schemas):
    patched = release_schema(schemas)
    package_schema = load(schemas / "release-package-schema.json")
    messages = []
    for error in package_validator(package_schema, patched).iter_errors(package):
        messages.append(f"{json_path('$', error)}: {error.message}")
    releases = package.get("releases") if isinstance(package, dict) else None
    if isinstance(releases, list):
        release_validator = Draft4Validator(patched,
                                            format_checker=Draft4Validator.FORMAT_CHECKER)
        seen = set()
        for index, release in enumerate(releases):
            prefix = f"$.releases[{index}]"
            for error in release_validator.iter_errors(release):
                messages.append(f"{json_path(prefix, error)}: {error.message}")
            if isinstance(release, dict):
                key = (release.get("ocid"), release.get("id"))
                if key in seen:
                    messages.append(f"{prefix}.id: release {key[1]!r} of {key[0]!r} appears twice")
                seen.add(key)
                messages.extend(codelist_errors(index, release))
    # The package schema checks each release too: one line per problem is enough.
    return list(dict.fromkeys(messages))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="the release package (JSON)")
    parser.add_argument("--schemas", default=os.environ.get("OCDS_SCHEMA_DIR", DEFAULT_SCHEMAS),
                        help="folder of the OCDS 1.1 schemas and extension patches")
    args = parser.parse_args()
    schemas = Path(args.schemas)
    if not (schemas / "release-schema.json").exists():
        print(f"validate-ocds: no OCDS schemas in {schemas}", file=sys.stderr)
        return 2
    try:
        package = load(args.file)
    except (OSError, ValueError) as error:
        print(f"$: cannot read the package: {error}")
        return 1
    errors = validate(package, schemas)
    for message in errors:
        print(message)
    if errors:
        print(f"{len(errors)} error(s) in {args.file}", file=sys.stderr)
        return 1
    print(f"{args.file}: valid OCDS 1.1 release package "
          f"({len(package.get('releases', []))} releases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
