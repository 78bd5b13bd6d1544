"""Write a MISP event built with PyMISP (as an analyst's tooling would) to argv[1]."""

import sys

from pymisp import MISPEvent, MISPObject, MISPSighting


def main():
    e = MISPEvent()
    e.info = "Phishing wave against regional utilities"
    e.add_tag("tlp:green")
    e.add_tag("type:OSINT")
    c2 = e.add_attribute("ip-dst", "198.51.100.77", to_ids=True, comment="C2 server")
    s = MISPSighting()
    s.from_dict(type="0", date_sighting=1795000000)
    c2.sightings.append(s)
    e.add_attribute("domain", "login-update.example", to_ids=True)
    e.add_attribute("url", "http://login-update.example/owa/", to_ids=True)
    e.add_attribute("sha256", "9f" * 32, to_ids=False)
    e.add_attribute("vulnerability", "CVE-2026-10001")
    e.add_attribute("text", "Seen by the night shift")
    f = MISPObject("file")
    f.add_attribute("filename", value="invoice.pdf.exe", to_ids=False)
    f.add_attribute("md5", value="d41d8cd98f00b204e9800998ecf8427e", to_ids=True)
    e.add_object(f)
    with open(sys.argv[1], "w") as out:
        out.write(e.to_json(indent=1))


if __name__ == "__main__":
    main()
