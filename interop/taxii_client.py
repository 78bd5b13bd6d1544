"""Drive a Shoal node's TAXII 2.1 server with the OASIS taxii2-client (v21 API).

publish: discovery, API root, collections, then add_objects to the outbox and poll the
         status until complete; prints the status as JSON.
read:    discovery, then get_objects from the network collection page by page (as_pages,
         following more/next), with and without filters; prints counts as JSON and writes
         every object read to --dump as one STIX bundle.
"""

import argparse
import json
import sys

from taxii2client.v21 import Server, as_pages


def collection(api_root, title):
    for c in api_root.collections:
        if c.title == title:
            return c
    sys.exit(f"no collection titled {title!r}: {[c.title for c in api_root.collections]}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--mode", choices=["publish", "read"], required=True)
    p.add_argument("--objects", help="publish: a JSON file with a list of STIX objects")
    p.add_argument("--dump", help="read: write every object read here as a bundle")
    p.add_argument("--per-page", type=int, default=3)
    a = p.parse_args()

    server = Server(a.url + "/taxii2/", user="taxii2-client", password=a.token)
    roots = server.api_roots
    assert roots, "no API roots in discovery"
    root = server.default or roots[0]
    assert "application/taxii+json;version=2.1" in root.versions, root.versions
    out = {"title": server.title, "collections": sorted(c.title for c in root.collections)}

    if a.mode == "publish":
        outbox = collection(root, "outbox")
        assert outbox.can_write and not outbox.can_read
        with open(a.objects) as f:
            objects = json.load(f)
        status = outbox.add_objects(
            json.dumps({"objects": objects}), wait_for_completion=True, poll_interval=0.5, timeout=60
        )
        out["status"] = {
            "status": status.status,
            "total_count": status.total_count,
            "success_count": status.success_count,
            "failure_count": status.failure_count,
            "failures": status.failures,
        }
    else:
        network = collection(root, "network")
        assert network.can_read and not network.can_write
        pages, objects = 0, []
        for envelope in as_pages(network.get_objects, per_request=a.per_page):
            pages += 1
            objects.extend(envelope.get("objects", []))
        out["pages"] = pages
        out["objects"] = len(objects)
        out["distinct"] = len({o["id"] for o in objects})
        indicators = []
        for envelope in as_pages(network.get_objects, per_request=a.per_page, type="indicator"):
            indicators.extend(envelope.get("objects", []))
        out["indicators"] = len(indicators)
        manifest = network.get_manifest()
        out["manifest"] = len(manifest.get("objects", []))
        if indicators:
            one = network.get_object(indicators[0]["id"])
            out["by_id"] = len(one.get("objects", []))
            cut = manifest["objects"][-2]["date_added"]
            later = network.get_objects(added_after=cut)
            out["added_after"] = len(later.get("objects", []))
            out["expected_added_after"] = sum(
                1 for m in manifest["objects"] if m["date_added"] > cut
            )
        if a.dump:
            with open(a.dump, "w") as f:
                json.dump({"type": "bundle", "id": "bundle--0f6a1c1e-6c6d-4a4e-9a4b-0a0c6a0e2b11", "objects": objects}, f)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
