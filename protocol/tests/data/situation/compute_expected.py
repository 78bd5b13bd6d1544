#!/usr/bin/env python3
"""Writes fixture.json and expected.json for the situation-awareness fixture.

The expected numbers are computed here by hand-written formulas (independently of the
Rust code): see README.md for the query and the reasoning per field. Run from this
directory: `python3 compute_expected.py`.
"""
import json
import math

FROM = 1767225600  # 2026-01-01T00:00:00Z
DAY = 86400
TO = FROM + 4 * DAY
NOW = TO - 1  # inside the last bucket: 3 complete buckets -> no forecast, no alerts
HOUR = 3600
A, B, C = "aa" * 32, "bb" * 32, "cc" * 32
TS = "2026-01-01T00:00:00.000Z"
SECTORS = ["energy", "finance", "health"]
REGIONS = ["eu", "na"]
UNIT = ("one internal host or event of the reporting member (changes each count by at "
        "most 1), with the member's sector and region")


def sdo(kind, n, **kw):
    o = {"type": kind, "spec_version": "2.1",
         "id": f"{kind}--00000000-0000-4000-8000-{n:012d}",
         "created": TS, "modified": TS}
    o.update(kw)
    return o


def ref(kind, n):
    return f"{kind}--00000000-0000-4000-8000-{n:012d}"


I1, I2, M1, AP1, V1 = ref("indicator", 1), ref("indicator", 2), ref("malware", 1), \
    ref("attack-pattern", 1), ref("vulnerability", 1)


def receipt(scale, sector, region):
    entries = [{"path": "count", "mechanism": "discrete_laplace", "epsilon": 1.0 / scale,
                "scale": scale, "clamped_min": 0, "clamped_max": 999999999, "sensitivity": 1}]
    if sector:
        entries.append({"path": "x_shoal_sector", "mechanism": "randomized_response",
                        "epsilon": 1.0, "categories": SECTORS})
    if region:
        entries.append({"path": "x_shoal_region", "mechanism": "randomized_response",
                        "epsilon": 1.0, "categories": REGIONS})
    eps = sum(e["epsilon"] for e in entries)
    return {"version": 1, "privacy_unit": UNIT, "epsilon": eps, "entries": entries}


def item(publisher, community, at, obj, rec=None, cred=None):
    return {"publisher": publisher, "community": community, "published_at": at,
            "object": obj, "receipt": rec, "credibility": cred}


E, F = "energy-isac", "finance-isac"
items = [
    # 1
    item(A, E, FROM + 1 * HOUR, sdo("indicator", 1, name="C2 server",
         pattern="[ipv4-addr:value = '198.51.100.7']", pattern_type="stix",
         valid_from=TS, indicator_types=["malicious-activity"],
         kill_chain_phases=[{"kill_chain_name": "mitre-attack",
                             "phase_name": "command-and-control"}]), None, 0.8),
    # 2
    item(B, E, FROM + DAY + HOUR, sdo("indicator", 2,
         pattern="[domain-name:value = 'evil.example.net']", pattern_type="stix",
         valid_from=TS), None, 0.6),
    # 3: a copy of indicator 1 by B, published before the window
    item(B, E, FROM - DAY, sdo("indicator", 1, name="C2 server",
         pattern="[ipv4-addr:value = '198.51.100.7']", pattern_type="stix",
         valid_from=TS), None, 0.9),
    # 4
    item(A, E, FROM + 2 * HOUR, sdo("malware", 1, name="EvilRAT", is_family=True,
         malware_types=["remote-access-trojan"])),
    # 5
    item(A, F, FROM + 3 * HOUR, sdo("attack-pattern", 1, name="Spearphishing Attachment",
         external_references=[{"source_name": "mitre-attack", "external_id": "T1566.001",
                               "url": "https://attack.mitre.org/techniques/T1566/001"}],
         kill_chain_phases=[{"kill_chain_name": "mitre-attack",
                             "phase_name": "initial-access"}])),
    # 6
    item(C, F, FROM + 2 * DAY + HOUR, sdo("vulnerability", 1, name="CVE-2026-0001",
         external_references=[{"source_name": "cve", "external_id": "CVE-2026-0001"}]),
         None, 0.7),
    # 7-10: relationships
    item(A, E, FROM + 4 * HOUR, sdo("relationship", 1, relationship_type="indicates",
         source_ref=I1, target_ref=M1)),
    item(B, E, FROM + DAY + 2 * HOUR, sdo("relationship", 2, relationship_type="indicates",
         source_ref=I2, target_ref=M1)),
    item(A, E, FROM + 5 * HOUR, sdo("relationship", 3, relationship_type="uses",
         source_ref=M1, target_ref=AP1)),
    item(C, F, FROM + 2 * DAY + 2 * HOUR, sdo("relationship", 4,
         relationship_type="targets", source_ref=M1, target_ref=V1)),
    # 11: exact sighting (no receipt)
    item(B, E, FROM + DAY + 3 * HOUR, sdo("sighting", 1, sighting_of_ref=I1, count=5)),
    # 12: noised, scale 2
    item(C, F, FROM + 2 * DAY + 3 * HOUR, sdo("sighting", 2, sighting_of_ref=I1, count=7,
         x_shoal_sector="energy", x_shoal_region="eu"), receipt(2.0, True, True)),
    # 13: noised, scale 1, released as 0 (clamped)
    item(A, E, FROM + 3 * DAY + HOUR, sdo("sighting", 3, sighting_of_ref=I2, count=0,
         x_shoal_sector="finance", x_shoal_region="na"), receipt(1.0, True, True)),
    # 14: noised, scale 2
    item(C, F, FROM + 3 * DAY + 2 * HOUR, sdo("sighting", 4, sighting_of_ref=I1, count=3,
         x_shoal_sector="energy", x_shoal_region="eu"), receipt(2.0, True, True)),
    # 15: malformed (no type): counted in items and community, and in skipped
    item(C, F, FROM + 3 * DAY + 3 * HOUR, {"id": "x-broken--1", "name": "no type"}),
]

Z = 1.959963984540054


def dl_var(s):
    q = math.exp(-1 / s)
    return 2 * q / (1 - q) ** 2


def clamp_corr(s):
    q = math.exp(-1 / s)
    return -q / (1 - q)


def exact(v):
    return {"value": float(v), "ci_low": float(v), "ci_high": float(v), "exact": True}


def noised(v, var):
    h = Z * math.sqrt(var)
    return {"value": v, "ci_low": v - h, "ci_high": v + h, "exact": False}


def exact_series(key, pts):
    return {"key": key, "points": [exact(p) for p in pts], "total": exact(sum(pts))}


def est_series(key, pts):
    """pts: list of (value, variance, exact)."""
    def one(v, var, ex):
        return exact(v) if ex else noised(v, var)
    tv = sum(p[0] for p in pts)
    tvar = sum(p[1] for p in pts)
    tex = all(p[2] for p in pts)
    return {"key": key, "points": [one(*p) for p in pts], "total": one(tv, tvar, tex)}


# --- exact breakdowns (see README for which items count where) ---
breakdowns = [
    {"dimension": "type", "series": [
        exact_series("relationship", [2, 1, 1, 0]),
        exact_series("sighting", [0, 1, 1, 2]),
        exact_series("indicator", [1, 1, 0, 0]),
        exact_series("attack-pattern", [1, 0, 0, 0]),
        exact_series("malware", [1, 0, 0, 0]),
        exact_series("vulnerability", [0, 0, 1, 0]),
    ]},
    {"dimension": "community", "series": [
        exact_series("energy-isac", [4, 3, 0, 1]),
        exact_series("finance-isac", [1, 0, 3, 2]),
    ]},
    {"dimension": "technique", "series": [
        exact_series("T1566.001", [2, 0, 0, 0]),  # attack-pattern 1 + malware 1 (uses)
    ]},
    {"dimension": "kill_chain_phase", "series": [
        exact_series("initial-access", [2, 0, 0, 0]),       # attack-pattern 1 + malware 1
        exact_series("command-and-control", [1, 0, 0, 0]),  # indicator 1's own phase
    ]},
    {"dimension": "malware", "series": [
        # malware 1, indicator 1, attack-pattern 1 | indicator 2 | vulnerability 1
        exact_series("EvilRAT", [3, 1, 1, 0]),
    ]},
    {"dimension": "vulnerability", "series": [
        exact_series("CVE-2026-0001", [1, 0, 1, 0]),  # malware 1 (targets) + vulnerability 1
    ]},
]

# --- sighting volume ---
v2, v1 = dl_var(2.0), dl_var(1.0)
c13 = 0 + clamp_corr(1.0)  # a release of 0 at scale 1: 0 - q/(1-q)
total = [(0.0, 0.0, True), (5.0, 0.0, True), (7.0, v2, False), (c13 + 3.0, v1 + v2, False)]


def rr(k, eps=1.0):
    p = 1 / (1 + (k - 1) * math.exp(-eps))
    return p, p * math.exp(-eps)


def debias(counts, k):
    """Per category (value, design variance)."""
    p, q = rr(k)
    n = sum(counts)
    out = []
    for c in counts:
        v = (c - n * q) / (p - q)
        inside = min(max(v, 0.0), n)
        var = (inside * p * (1 - p) + (n - inside) * q * (1 - q)) / (p - q) ** 2
        out.append((v, var))
    return out


def cat_series(prefix, cats, per_bucket_counts):
    """per_bucket_counts: bucket -> counts list (None = no reports: exact 0)."""
    rows = {c: [] for c in cats}
    for counts in per_bucket_counts:
        if counts is None or sum(counts) == 0:
            for c in cats:
                rows[c].append((0.0, 0.0, True))
        else:
            for c, (v, var) in zip(cats, debias(counts, len(cats))):
                rows[c].append((v, var, False))
    series = [est_series(prefix + c, rows[c]) for c in cats]
    series.sort(key=lambda s: (-s["total"]["value"], s["key"]))
    hist = [[s["key"][len(prefix):], s["total"]] for s in series]
    return series, hist


# sectors: bucket 2 -> energy 1; bucket 3 -> energy 1, finance 1
sec_series, sec_hist = cat_series("sector:", SECTORS, [None, None, [1, 0, 0], [1, 1, 0]])
reg_series, reg_hist = cat_series("region:", REGIONS, [None, None, [1, 0], [1, 1]])

sightings = {"dimension": "sightings",
             "series": [est_series("total", total)] + sec_series + reg_series}

# --- top indicators ---
i1_var = 2 * v2
i1 = {"id": I1, "label": "C2 server", "credibility": 0.9, "sources": 3,
      "sightings": noised(15.0, i1_var), "score": 0.9 * (5 + 10), "new": False,
      # halves: 5 (exact) vs 7 + 3 (var 2·v2): 5 > 1.96·sqrt(2·v2 + 5 + 10)? no
      "accelerating": (10 - 5) > Z * math.sqrt(i1_var + 5 + 10)}
assert not i1["accelerating"]
i2 = {"id": I2, "label": "[domain-name:value = 'evil.example.net']", "credibility": 0.6,
      "sources": 2, "sightings": noised(c13, v1), "score": 0.0, "new": True,
      "accelerating": False}

# --- asset matches with inventory.json ---
inventory = {"ip_ranges": ["198.51.100.0/24"], "domains": ["example.net"],
             "software": ["cpe:2.3:a:acme:webserver:2.4:*:*:*:*:*:*:*"],
             "cves": ["CVE-2026-0001"]}
asset_matches = [
    {"asset": "198.51.100.0/24", "kind": "ip", "item_id": I1, "item_type": "indicator",
     "label": "C2 server", "publisher": A, "credibility": 0.8},
    {"asset": "CVE-2026-0001", "kind": "cve", "item_id": V1, "item_type": "vulnerability",
     "label": "CVE-2026-0001", "publisher": C, "credibility": 0.7},
    {"asset": "example.net", "kind": "domain", "item_id": I2, "item_type": "indicator",
     "label": "[domain-name:value = 'evil.example.net']", "publisher": B,
     "credibility": 0.6},
]

expected = {
    "query": {"from_unix": FROM, "to_unix": TO, "bucket_secs": DAY, "now_unix": NOW},
    "items": 14,
    "publishers": 3,
    "breakdowns": breakdowns,
    "sightings": sightings,
    "sectors": sec_hist,
    "regions": reg_hist,
    "top_indicators": [i1, i2],
    "forecast": None,
    "alerts": [],
    "asset_matches": asset_matches,
    "skipped": 1,
    "forecasts": [],  # 3 complete buckets: too little history
}

with open("fixture.json", "w") as f:
    json.dump(items, f, indent=1)
    f.write("\n")
with open("inventory.json", "w") as f:
    json.dump(inventory, f, indent=1)
    f.write("\n")
with open("expected.json", "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
