"""Independent FHIR tooling against a running frmo (run by crates/frmo-web/tests/it/fhir.rs).

usage: check.py BASE_URL ORGANIZATION_OID EXPECTED_ORGANIZATIONS

- PyPI `fhir.resources` (its R4B models: R4B changed nothing in these resources) validates every
  kind of resource served and every kind of Bundle (searchset, history), the CapabilityStatement
  and an OperationOutcome;
- PyPI `fhirpy` searches (identifier, name, town, postal code, branches, organization), pages through every organization by
  following `next` links, and mirrors the register through `Organization/_history`, which must end
  with the organizations the register's own REST API lists, each at its current version;
- `_since` returns exactly the versions in force from that moment.
Prints `validated: …` and `mirrored: N` on success; any failed check raises.
"""

import collections
import json
import sys
import urllib.error
import urllib.request

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from fhirpy import SyncFHIRClient

MODELS = {
    "Bundle": Bundle,
    "CapabilityStatement": CapabilityStatement,
    "HealthcareService": HealthcareService,
    "Location": Location,
    "OperationOutcome": OperationOutcome,
    "Organization": Organization,
    "Practitioner": Practitioner,
    "PractitionerRole": PractitionerRole,
}
INN = "https://fhir.ru/ig/core/systems/inn"

validated = collections.Counter()


def plain(data):
    """fhirpy's AttrDict (and anything else) as plain JSON data."""
    return json.loads(json.dumps(data))


def validate(data):
    """Validates a resource (and a Bundle's every entry) with fhir.resources' models."""
    data = plain(data)
    kind = data["resourceType"]
    MODELS[kind].model_validate(data)
    validated[kind if kind != "Bundle" else f"Bundle/{data['type']}"] += 1
    for entry in data.get("entry", []):
        validate(entry["resource"])
    return data


def http(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request) as response:
            body = response.read()
            return response.status, response.headers, json.loads(body) if body else None
    except urllib.error.HTTPError as error:
        body = error.read()
        return error.code, error.headers, json.loads(body) if body else None


def main():
    base, oid, expected = sys.argv[1].rstrip("/"), sys.argv[2], int(sys.argv[3])
    client = SyncFHIRClient(base)

    # Every kind of resource and Bundle, validated.
    statement = validate(client.execute("metadata", method="get"))
    types = {r["type"] for r in statement["rest"][0]["resource"]}
    assert types == {"Organization", "Location", "Practitioner", "PractitionerRole", "HealthcareService"}, types
    organization = validate(client.execute("Organization", method="get", params={
        "_id": oid, "_include": "Organization:partof",
        "_revinclude": ["Location:organization", "HealthcareService:organization"]}))
    kinds = {e["resource"]["resourceType"] for e in organization["entry"]}
    assert kinds == {"Organization", "Location", "HealthcareService"}, kinds
    services = client.resources("HealthcareService").search(organization=oid).fetch_all()
    assert services and all(s["providedBy"]["reference"] == f"Organization/{oid}" for s in services), services
    workers = validate(client.execute("Practitioner", method="get", params={
        "organization": f"Organization/{oid}", "_revinclude": "PractitionerRole:practitioner"}))
    assert any(e["resource"]["resourceType"] == "PractitionerRole" for e in workers["entry"]), workers
    for entry in workers["entry"]:
        text = json.dumps(entry["resource"], ensure_ascii=False)
        assert "birthDate" not in text and "systems/snils" not in text, f"personal data to anonymous: {text}"
    validate(client.execute("PractitionerRole", method="get", params={
        "organization": oid, "_include": ["PractitionerRole:practitioner", "PractitionerRole:location"]}))
    status, _, outcome = http(f"{base}/Organization?unknown-parameter=1")
    assert status == 400, status
    validate(outcome)

    # Searches through fhirpy.
    by_inn = client.resources("Organization").search(identifier=f"{INN}|6317006620").fetch()
    assert [o.id for o in by_inn] == [oid], by_inn
    found = client.resources("Organization").search(name="университета").fetch_all()
    assert oid in [o.id for o in found], found
    for params in ({"address-city": "Самара"}, {"address-postalcode": "443001"}, {"address-city:contains": "амар"}):
        town = validate(client.execute("Organization", method="get", params={**params, "_count": 100}))
        ids = [e["resource"]["id"] for e in town.get("entry", [])]
        assert oid in ids and town["total"] == len(ids), (params, town)
    branches = validate(client.execute("Organization", method="get", params={"partof": f"Organization/{oid}"}))
    assert all(e["resource"]["partOf"]["reference"] == f"Organization/{oid}" for e in branches.get("entry", []))
    places = client.resources("Location").search(organization=f"Organization/{oid}").limit(3).fetch_all()
    assert len(places) > 3 and all(p["managingOrganization"]["reference"] == f"Organization/{oid}" for p in places)
    for place in places:
        validate(place)
    every = client.resources("Organization").limit(7).fetch_all()
    ids = [o.id for o in every]
    assert len(ids) == len(set(ids)) == expected, (len(ids), len(set(ids)), expected)
    current = {o.id: o["meta"]["versionId"] for o in every}

    # A consumer's mirror through the history feed ends as the register is now.
    mirror = {}
    moments = []
    url = f"{base}/Organization/_history?_count=10"
    while url:
        page = validate(client.execute(url, method="get"))
        for entry in page["entry"]:
            resource = entry["resource"]
            mirror[resource["id"]] = resource
            moments.append(resource["meta"]["lastUpdated"])
        url = next((l["url"] for l in page.get("link", []) if l["relation"] == "next"), None)
    assert {k: v["meta"]["versionId"] for k, v in mirror.items()} == current, "mirror differs from the register"
    register = base.rsplit("/fhir/", 1)[0]
    status, _, listed = http(f"{register}/api/v1/organizations?limit=100")
    assert status == 200 and listed["total"] == expected, listed
    assert {item["oid"] for item in listed["items"]} == set(mirror), "mirror differs from the REST API"

    # `_since`: exactly the versions in force from that moment.
    moments.sort()
    since = moments[len(moments) // 2]
    recent = validate(client.execute("Organization/_history", method="get", params={"_since": since, "_count": 100}))
    got = sorted(e["resource"]["meta"]["lastUpdated"] for e in recent["entry"])
    assert got == [m for m in moments if m >= since], (got, since)

    # ETag / If-None-Match.
    status, headers, _ = http(f"{base}/Organization/{oid}")
    status, _, _ = http(f"{base}/Organization/{oid}", {"If-None-Match": headers["ETag"]})
    assert status == 304, status

    print("validated:", dict(sorted(validated.items())))
    print("mirrored:", len(mirror))


if __name__ == "__main__":
    main()
