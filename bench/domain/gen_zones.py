#!/usr/bin/env python3
"""maildoc domain bench: generates the DNS world the bench serves (standard library only).

  gen_zones.py OUTDIR [--domains N] [--seed S] [--https-ip IP] [--ns-ip IP]

Writes, under OUTDIR (created; files in it are overwritten):

  nsd/zones/*.zone     one zone per domain (dNNNN.test) and the zones around them: the parent
                       "test." (delegations), mail providers (SPF include trees, shared MX
                       hosts), a shared-hosting company and a VPS range, two DMARC report
                       services, a DNS blocklist (dnsbl.test) and the reverse zones of the
                       documentation ranges 192.0.2/24, 198.51.100/24, 203.0.113/24 and
                       2001:db8::/32 (PTR records of every mail server address)
  nsd/zones.conf       the zone: clauses for nsd.conf
  domains.txt          the domains, one a line
  expected.json        for each domain the generated category of each check (the mix)
  mix.txt              the mix, counted, as text
  www/HOST/.well-known/mta-sts.txt   the MTA-STS policies (served over HTTPS by nginx in domain-bench.sh)
  mta-sts-hosts.txt    every mta-sts.<domain> name that resolves (the certificate's SANs)
  dnsperf.txt          "NAME TYPE" lines: the queries `maildoc domain` makes for the domains
                       (derived from the zone data), for dnsperf's ceiling measurement

Every name is under the reserved TLD .test (RFC 2606); every address of a mail server is in a
documentation range (never contacted: the bench does not connect to port 25). The only
addresses meant to be reached are --https-ip (the MTA-STS policy server) and --ns-ip (NSD),
both loopback. The mix is deterministic for a given seed: random.Random(seed), drawn in domain
order. DKIM keys are real RSA public keys made with the openssl CLI (random, but only their
length matters).
"""

import argparse
import base64
import ipaddress
import json
import os
import random
import subprocess
import sys
from collections import Counter

SERIAL = 2026112201
TTL = 3600
COMMON_SELECTORS = ["default", "google", "selector1", "selector2", "k1", "s1", "s2", "dkim", "mail"]


# --------------------------------------------------------------------------- records
CNAMES = {}  # alias -> target (the CNAME MX hosts)
ADDR = {}  # owner name -> its A/AAAA rdata, over every zone


class Zone:
    """One zone's records, written as an NSD zone file."""

    def __init__(self, origin, ns=("ns1.dnshost.test.", "ns2.dnshost.test.")):
        self.origin = origin
        self.ns = ns
        self.rrs = []  # (owner relative or "@", type, rdata text)

    def add(self, owner, rtype, rdata):
        self.rrs.append((owner, rtype, rdata))
        if rtype in ("A", "AAAA"):
            ADDR.setdefault(self.origin if owner == "@" else f"{owner}.{self.origin}", []).append(rdata)

    def txt(self, owner, text):
        self.add(owner, "TXT", txt_rdata(text))

    def render(self):
        out = [
            f"$ORIGIN {self.origin}.",
            f"$TTL {TTL}",
            f"@ IN SOA {self.ns[0]} hostmaster.{self.origin}. {SERIAL} 7200 3600 1209600 300",
        ]
        out += [f"@ IN NS {n}" for n in self.ns]
        out += [f"{o} IN {t} {r}" for (o, t, r) in self.rrs]
        return "\n".join(out) + "\n"


def txt_rdata(text):
    """A TXT rdata: the text cut into <=255-byte character-strings."""
    if '"' in text or "\\" in text:
        raise ValueError(f"unquotable TXT {text!r}")
    parts = [text[i : i + 255] for i in range(0, len(text), 255)] or [""]
    return " ".join(f'"{p}"' for p in parts)


# --------------------------------------------------------------------------- providers
# SPF include trees of the mail providers many domains use. lookups = the DNS-querying terms
# an SPF evaluation of "include:<name>" costs (the include itself counted).
PROVIDERS = {}


def spf_tree(zone, records):
    """records: {owner: text}; added to zone."""
    for owner, text in records.items():
        zone.txt(owner, text)


def make_providers(zones, addr):
    """The providers' zones. addr(kind) hands out documentation addresses."""
    # bigmail.test: a Google-like provider. _spf includes three netblock records (4 lookups).
    z = Zone("bigmail.test")
    spf_tree(
        z,
        {
            "_spf": "v=spf1 include:_netblocks.bigmail.test include:_netblocks2.bigmail.test "
            "include:_netblocks3.bigmail.test ~all",
            "_netblocks": "v=spf1 ip4:192.0.2.0/26 ip4:198.51.100.240/29 ~all",
            "_netblocks2": "v=spf1 ip6:2001:db8:100::/48 ~all",
            "_netblocks3": "v=spf1 ip4:203.0.113.240/29 ~all",
        },
    )
    mx = []
    for i in range(1, 5):
        v4, v6 = addr("bigmail"), addr("v6")
        z.add(f"mx{i}", "A", v4)
        z.add(f"mx{i}", "AAAA", v6)
        ptr(zones, v4, f"mx{i}.bigmail.test.")
        ptr(zones, v6, f"mx{i}.bigmail.test.")
        mx.append(f"mx{i}.bigmail.test")
    z.add("@", "MX", "10 mx1.bigmail.test.")
    z.add("@", "A", "192.0.2.10")
    z.txt("@", "v=spf1 include:_spf.bigmail.test ~all")
    z.txt("_dmarc", "v=DMARC1; p=reject; rua=mailto:dmarc@bigmail.test")
    zones.append(z)
    PROVIDERS["bigmail"] = {"include": "_spf.bigmail.test", "lookups": 4, "mx": mx, "selectors": ["google"]}

    # officemx.test: a Microsoft-like provider: one include, per-domain MX host names.
    z = Zone("officemx.test")
    z.txt("spf.protection", "v=spf1 ip4:192.0.2.64/26 ip6:2001:db8:200::/48 -all")
    z.add("@", "A", "192.0.2.11")
    zones.append(z)
    PROVIDERS["officemx"] = {
        "include": "spf.protection.officemx.test",
        "lookups": 1,
        "zone": z,
        "ips": [addr("officemx") for _ in range(8)],
        "selectors": ["selector1", "selector2"],
    }
    for i, ip in enumerate(PROVIDERS["officemx"]["ips"]):
        ptr(zones, ip, f"mail-in{i + 1}.protection.officemx.test.")
        z.add(f"mail-in{i + 1}.protection", "A", ip)

    # mailchannel.test: a marketing sender with a chain of three records (3 lookups).
    z = Zone("mailchannel.test")
    spf_tree(
        z,
        {
            "spf": "v=spf1 include:spf-a.mailchannel.test ~all",
            "spf-a": "v=spf1 ip4:198.51.100.224/28 include:spf-b.mailchannel.test ~all",
            "spf-b": "v=spf1 ip4:203.0.113.224/28 ~all",
        },
    )
    zones.append(z)
    PROVIDERS["mailchannel"] = {"include": "spf.mailchannel.test", "lookups": 3, "selectors": ["k1"]}

    # crmcloud.test: a CRM's sender: an include with an a: and an include (3 lookups).
    z = Zone("crmcloud.test")
    spf_tree(
        z,
        {
            "_spf": "v=spf1 a:relay.crmcloud.test include:_spf2.crmcloud.test -all",
            "_spf2": "v=spf1 ip4:192.0.2.128/27 -all",
        },
    )
    z.add("relay", "A", "192.0.2.129")
    zones.append(z)
    PROVIDERS["crmcloud"] = {"include": "_spf.crmcloud.test", "lookups": 3, "selectors": ["s1"]}

    # bulksend.test: a transactional sender: addresses only (1 lookup).
    z = Zone("bulksend.test")
    z.txt("_spf", "v=spf1 ip4:198.51.100.192/27 ip4:203.0.113.192/27 -all")
    zones.append(z)
    PROVIDERS["bulksend"] = {"include": "_spf.bulksend.test", "lookups": 1, "selectors": ["s1", "s2"]}

    # legacysuite.test: an old marketing suite with five nested records (6 lookups).
    z = Zone("legacysuite.test")
    subs = {f"spf{i}": f"v=spf1 ip4:192.0.2.{160 + 4 * i}/30 ~all" for i in range(1, 6)}
    subs["_spf"] = "v=spf1 " + " ".join(f"include:spf{i}.legacysuite.test" for i in range(1, 6)) + " ~all"
    spf_tree(z, subs)
    zones.append(z)
    PROVIDERS["legacysuite"] = {"include": "_spf.legacysuite.test", "lookups": 6, "selectors": ["dkim"]}

    # jp-hosting.test: a Japanese shared-hosting company: shared MX, an include, customers'
    # a/mx terms. Its servers are numbered; each customer is on one.
    z = Zone("jp-hosting.test")
    z.txt("spf", "v=spf1 ip4:198.51.100.0/25 -all")
    servers = []
    for i in range(1, 41):
        ip = addr("hosting")
        z.add(f"sv{i}", "A", ip)
        ptr(zones, ip, f"sv{i}.jp-hosting.test.")
        servers.append((f"sv{i}.jp-hosting.test", ip))
    zones.append(z)
    PROVIDERS["jp-hosting"] = {"include": "spf.jp-hosting.test", "lookups": 1, "servers": servers, "selectors": ["default"]}


# --------------------------------------------------------------------------- reverse DNS
REVERSE = {}  # reverse zone name -> Zone
PTRS = {}  # address -> its PTR names
PTR_KIND = {}  # VPS address -> confirmed / mismatch / missing


def reverse_zone_of(ip):
    a = ipaddress.ip_address(ip)
    if a.version == 4:
        o = str(a).split(".")
        return f"{o[2]}.{o[1]}.{o[0]}.in-addr.arpa", o[3]
    # 2001:db8::/32 -> 8.b.d.0.1.0.0.2.ip6.arpa
    nibbles = a.exploded.replace(":", "")[::-1]
    full = ".".join(nibbles)
    return "8.b.d.0.1.0.0.2.ip6.arpa", full[: -len(".8.b.d.0.1.0.0.2")]


def ptr(zones, ip, name):
    zname, owner = reverse_zone_of(ip)
    z = REVERSE.get(zname)
    if z is None:
        z = Zone(zname)
        REVERSE[zname] = z
        zones.append(z)
    z.add(owner, "PTR", name)
    PTRS.setdefault(ip, []).append(name.rstrip("."))


class Addresses:
    """Hands out documentation addresses by kind, deterministically."""

    def __init__(self):
        self.pools = {
            "bigmail": iter(f"192.0.2.{i}" for i in range(20, 40)),
            "officemx": iter(f"192.0.2.{i}" for i in range(70, 90)),
            "hosting": iter(f"198.51.100.{i}" for i in range(1, 120)),
            "vps": iter([f"198.51.100.{i}" for i in range(120, 190)] + [f"203.0.113.{i}" for i in range(1, 190)]),
            "v6": iter(f"2001:db8:100::{i:x}" for i in range(1, 200)),
        }

    def __call__(self, kind):
        return next(self.pools[kind])


# --------------------------------------------------------------------------- DKIM keys
def dkim_keys(workdir):
    """RSA public keys (base64 DER SubjectPublicKeyInfo) by bit length; made once, kept."""
    keys = {}
    cache = os.path.join(workdir, "dkim-keys.json")
    if os.path.exists(cache):
        with open(cache) as f:
            keys = {int(k): v for k, v in json.load(f).items()}
    for bits, n in ((2048, 3), (1024, 3), (512, 1)):
        have = keys.get(bits, [])
        while len(have) < n:
            key = subprocess.run(
                ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}"],
                check=True,
                capture_output=True,
            ).stdout
            der = subprocess.run(
                ["openssl", "pkey", "-pubout", "-outform", "DER"], input=key, check=True, capture_output=True
            ).stdout
            have.append(base64.b64encode(der).decode())
        keys[bits] = have
    with open(cache, "w") as f:
        json.dump(keys, f)
    return keys


# --------------------------------------------------------------------------- the mix
def pick(rng, weights):
    names = list(weights)
    return rng.choices(names, weights=[weights[n] for n in names])[0]


MX_MIX = {"bigmail": 28, "officemx": 20, "jp-hosting": 16, "self": 15, "self2": 5, "null": 3, "none": 6, "unresolvable": 4, "cname": 3}
SPF_MIX = {
    "ok": 50, "over-limit": 6, "syntax": 4, "multiple": 3, "none": 12, "permissive": 3, "ptr": 2,
    "redirect": 3, "void": 2, "include-missing": 2, "ip-only": 13,
}
DMARC_MIX = {"reject": 20, "quarantine": 13, "none-policy": 25, "missing": 30, "invalid": 5, "multiple": 2, "pct": 5}
RUA_MIX = {"own": 40, "svc-wildcard": 25, "agg-authorised": 8, "agg-unauthorised": 7, "none": 20}
DKIM_MIX = {"2048": 50, "1024": 25, "none": 17, "revoked": 2, "testing": 3, "short": 1, "two": 2}
MTA_STS_MIX = {"none": 92, "enforce": 5, "testing": 1, "mismatch": 1, "invalid-policy": 0.4, "no-policy": 0.3, "no-host": 0.3}
PTR_MIX = {"confirmed": 85, "mismatch": 8, "missing": 7}
LISTED_SHARE = 0.04  # of the self-hosted/VPS addresses, on the blocklist


def spf_lookups(terms):
    return sum(PROVIDERS[t]["lookups"] if t in PROVIDERS else 1 for t in terms)


def build(args):
    rng = random.Random(args.seed)
    out = args.outdir
    zones = []
    addr = Addresses()
    make_providers(zones, addr)
    keys = dkim_keys(out)

    # The VPS range: self-hosted mail servers. PTR kind per address decided up front.
    vps = Zone("vps-net.test")
    zones.append(vps)
    vps_hosts = []  # (ip, ptr kind, listed)
    for _ in range(200):
        ip = addr("vps")
        kind = pick(rng, PTR_MIX)
        generic = "vps-" + ip.replace(".", "-") + ".vps-net.test"
        if kind == "confirmed":
            vps.add(generic.split(".")[0], "A", ip)
            ptr(zones, ip, generic + ".")
        elif kind == "mismatch":
            # PTR to a name that does not resolve back (a generic name with no A record)
            ptr(zones, ip, "dyn-" + ip.replace(".", "-") + ".vps-net.test.")
        vps_hosts.append((ip, kind, rng.random() < LISTED_SHARE))
        PTR_KIND[ip] = kind

    # DMARC report services: one authorises every domain (wildcard), one only some.
    svc = Zone("dmarc-svc.test")
    svc.txt("*._report._dmarc", "v=DMARC1")
    svc.add("@", "MX", "10 mx.dmarc-svc.test.")
    svc.add("mx", "A", "192.0.2.200")
    ptr(zones, "192.0.2.200", "mx.dmarc-svc.test.")
    zones.append(svc)
    agg = Zone("agg-reports.test")
    agg.add("@", "MX", "10 in.agg-reports.test.")
    agg.add("in", "A", "192.0.2.201")
    ptr(zones, "192.0.2.201", "in.agg-reports.test.")
    zones.append(agg)

    # The blocklist.
    bl = Zone("dnsbl.test")
    zones.append(bl)
    listed_ips = set()
    for ip, _, listed in vps_hosts:
        if listed:
            listed_ips.add(ip)
            o = ip.split(".")
            owner = ".".join(reversed(o))
            bl.add(owner, "A", "127.0.0.2")
            bl.txt(owner, f"listed: spam source, see https://dnsbl.test/lookup?ip={ip}")
    jp_listed = PROVIDERS["jp-hosting"]["servers"][7]  # one shared-hosting server is listed too
    o = jp_listed[1].split(".")
    bl.add(".".join(reversed(o)), "A", "127.0.0.4")
    listed_ips.add(jp_listed[1])
    # Test entry required by convention (127.0.0.2 listed).
    bl.add("2.0.0.127", "A", "127.0.0.2")

    domains, expected = [], {}
    mta_hosts = []
    queries = []  # (name, type): what maildoc asks
    www = os.path.join(out, "www")

    for n in range(1, args.domains + 1):
        d = f"d{n:04d}.test"
        z = Zone(d)
        zones.append(z)
        domains.append(d)
        e = {}
        q = []
        mxk = pick(rng, MX_MIX)
        mx_hosts = []  # the MX host names (for the expectations and the query file)
        apex_ip = rng.choice(vps_hosts)[0]
        if rng.random() < 0.85:
            z.add("@", "A", apex_ip)
            z.add("www", "A", apex_ip)
        if mxk == "bigmail":
            hosts = PROVIDERS["bigmail"]["mx"]
            for i, h in enumerate(hosts[: rng.choice([1, 2, 4])]):
                z.add("@", "MX", f"{(i + 1) * 10} {h}.")
                mx_hosts.append(h)
        elif mxk == "officemx":
            host = f"{d.replace('.', '-')}.mail.protection"
            ip = rng.choice(PROVIDERS["officemx"]["ips"])
            PROVIDERS["officemx"]["zone"].add(host, "A", ip)
            z.add("@", "MX", f"0 {host}.officemx.test.")
            mx_hosts.append(f"{host}.officemx.test")
        elif mxk == "jp-hosting":
            name, ip = rng.choice(PROVIDERS["jp-hosting"]["servers"])
            z.add("@", "MX", f"10 {name}.")
            mx_hosts.append(name)
        elif mxk in ("self", "self2"):
            ip = rng.choice(vps_hosts)[0]
            z.add("mail", "A", ip)
            z.add("@", "MX", "10 mail." + d + ".")
            mx_hosts.append("mail." + d)
            if mxk == "self2":
                ip2 = rng.choice(vps_hosts)[0]
                z.add("mail2", "A", ip2)
                z.add("@", "MX", "20 mail2." + d + ".")
                mx_hosts.append("mail2." + d)
        elif mxk == "null":
            z.add("@", "MX", "0 .")
        elif mxk == "unresolvable":
            if rng.random() < 0.5:
                z.add("@", "MX", "10 mx." + d + ".")  # no address record
                mx_hosts.append("mx." + d)
            else:
                z.add("@", "MX", f"10 mx.gone-{n}.test.")  # NXDOMAIN at the parent
                mx_hosts.append(f"mx.gone-{n}.test")
        elif mxk == "cname":
            name, ip = rng.choice(PROVIDERS["jp-hosting"]["servers"])
            z.add("mail", "CNAME", name + ".")
            CNAMES["mail." + d] = name
            z.add("@", "MX", "10 mail." + d + ".")
            mx_hosts.append("mail." + d)
        e["mx"] = mxk

        # ---- SPF
        spk = pick(rng, SPF_MIX)
        base = {
            "bigmail": ["bigmail"], "officemx": ["officemx"], "jp-hosting": ["a", "mx", "jp-hosting"],
        }.get(mxk, ["a", "mx"])
        txts = []
        if spk == "ok":
            while True:
                terms = list(base)
                for p, share in (("mailchannel", 0.3), ("crmcloud", 0.2), ("bulksend", 0.25), ("legacysuite", 0.05)):
                    if rng.random() < share:
                        terms.append(p)
                if spf_lookups(terms) <= 10:
                    break
            txts.append(spf_text(terms, rng.choice(["~all", "-all", "-all"])))
        elif spk == "over-limit":
            terms = list(base) + ["legacysuite", "mailchannel", "crmcloud"]
            if spf_lookups(terms) <= 10:
                terms.append("bigmail" if "bigmail" not in terms else "bulksend")
            txts.append(spf_text(terms, "~all"))
        elif spk == "syntax":
            txts.append(
                rng.choice(
                    [
                        "v=spf1 ip4:192.0.2.300 -all",
                        "v=spf1 inclde:_spf.bigmail.test -all",
                        "v=spf1 include:_spf.bigmail.test ~al",
                        "v=spf1 ip4:198.51.100.0/33 -all",
                        "v=spf1 mx ip4 -all",
                    ]
                )
            )
        elif spk == "multiple":
            txts.append(spf_text(base, "~all"))
            txts.append("v=spf1 include:_spf.bulksend.test -all")
        elif spk == "permissive":
            txts.append(spf_text(base, rng.choice(["+all", "?all"])))
        elif spk == "ptr":
            txts.append("v=spf1 ptr mx ~all")
        elif spk == "redirect":
            txts.append("v=spf1 redirect=_spf.bigmail.test" if mxk == "bigmail" else "v=spf1 redirect=spf.jp-hosting.test")
        elif spk == "void":
            txts.append(f"v=spf1 a:old1.{d} a:old2.{d} a:old3.{d} mx -all")
        elif spk == "include-missing":
            txts.append("v=spf1 include:_spf.retired-esp.test mx -all")
        elif spk == "ip-only":
            txts.append(f"v=spf1 ip4:{apex_ip} -all")
        if rng.random() < 0.4:
            txts.append(rng.choice(["google-site-verification=" + f"{n:08x}bench", f"MS=ms{n:08d}", f"apple-domain-verification={n:06d}x"]))
        for t in txts:
            z.txt("@", t)
        e["spf"] = spk

        # ---- DMARC
        dk = pick(rng, DMARC_MIX)
        rua_kind = pick(rng, RUA_MIX)
        rua = {
            "own": f"; rua=mailto:dmarc@{d}",
            "svc-wildcard": "; rua=mailto:reports@dmarc-svc.test",
            "agg-authorised": "; rua=mailto:dmarc@agg-reports.test",
            "agg-unauthorised": "; rua=mailto:dmarc@agg-reports.test",
            "none": "",
        }[rua_kind]
        if rua_kind == "agg-authorised":
            agg.txt(f"{d}._report._dmarc", "v=DMARC1")
        if dk in ("reject", "quarantine"):
            z.txt("_dmarc", f"v=DMARC1; p={dk}{rua}" + rng.choice(["", "; adkim=s", "; aspf=r; adkim=r", "; sp=reject"]))
        elif dk == "pct":
            z.txt("_dmarc", f"v=DMARC1; p=quarantine; pct=50{rua}")
        elif dk == "none-policy":
            z.txt("_dmarc", f"v=DMARC1; p=none{rua}")
        elif dk == "invalid":
            z.txt(
                "_dmarc",
                rng.choice(
                    [
                        "v=DMARC1; p=rejct",
                        f"v=DMARC1; p=none; rua=dmarc@{d}",
                        "v=DMARC1 p=quarantine",
                        "p=none; v=DMARC1",
                        "v=DMARC1; p=quarantine; pct=150",
                    ]
                ),
            )
        elif dk == "multiple":
            z.txt("_dmarc", "v=DMARC1; p=none")
            z.txt("_dmarc", f"v=DMARC1; p=reject{rua}")
        e["dmarc"] = dk
        e["rua"] = rua_kind if dk in ("reject", "quarantine", "pct", "none-policy") else "n/a"

        # ---- DKIM at common selectors
        kk = pick(rng, DKIM_MIX)
        sels = {
            "bigmail": ["google"], "officemx": ["selector1"], "jp-hosting": ["default"],
        }.get(mxk, [rng.choice(["default", "k1", "s1", "dkim", "mail"])])
        if kk == "2048":
            z.txt(f"{sels[0]}._domainkey", f"v=DKIM1; k=rsa; p={rng.choice(keys[2048])}")
        elif kk == "1024":
            z.txt(f"{sels[0]}._domainkey", f"v=DKIM1; k=rsa; p={rng.choice(keys[1024])}")
        elif kk == "two":
            z.txt("selector1._domainkey", f"v=DKIM1; k=rsa; p={rng.choice(keys[2048])}")
            z.txt("selector2._domainkey", f"v=DKIM1; k=rsa; p={rng.choice(keys[2048])}")
        elif kk == "revoked":
            z.txt(f"{sels[0]}._domainkey", "v=DKIM1; k=rsa; p=")
        elif kk == "testing":
            z.txt(f"{sels[0]}._domainkey", f"v=DKIM1; t=y; k=rsa; p={rng.choice(keys[2048])}")
        elif kk == "short":
            z.txt(f"{sels[0]}._domainkey", f"v=DKIM1; k=rsa; p={keys[512][0]}")
        e["dkim"] = kk

        # ---- MTA-STS (only for domains whose MX hosts resolve) and TLS-RPT
        mk = pick(rng, MTA_STS_MIX) if mxk in ("bigmail", "officemx", "jp-hosting", "self", "self2") else "none"
        if mk != "none":
            z.txt("_mta-sts", f"v=STSv1; id=2026{n:06d}")
            if mk != "no-host":
                z.add("mta-sts", "A", args.https_ip)
                mta_hosts.append("mta-sts." + d)
            patterns = {"bigmail": ["*.bigmail.test"], "officemx": ["*.mail.protection.officemx.test"]}.get(
                mxk, mx_hosts
            )
            if mk == "mismatch":
                patterns = ["mx.other-provider.test"]
            body = None
            if mk in ("enforce", "mismatch"):
                body = "version: STSv1\nmode: enforce\n" + "".join(f"mx: {p}\n" for p in patterns) + "max_age: 604800\n"
            elif mk == "testing":
                body = "version: STSv1\nmode: testing\n" + "".join(f"mx: {p}\n" for p in patterns) + "max_age: 86400\n"
            elif mk == "invalid-policy":
                body = "version: STSv1\nmode: enforcing\n" + "".join(f"mx: {p}\n" for p in patterns)
            if body is not None:
                p = os.path.join(www, "mta-sts." + d, ".well-known")
                os.makedirs(p, exist_ok=True)
                with open(os.path.join(p, "mta-sts.txt"), "w") as f:
                    f.write(body.replace("\n", "\r\n"))
        e["mta_sts"] = mk
        tk = "none"
        if mk != "none" or rng.random() < 0.08:
            tk = "ok" if rng.random() < 0.9 else "invalid"
            z.txt("_smtp._tls", f"v=TLSRPTv1; rua=mailto:tlsrpt@{d}" if tk == "ok" else f"v=TLSRPTv1; rua=tlsrpt@{d}")
        e["tlsrpt"] = tk
        kinds = set()
        e["listed"] = False
        for h in mx_hosts:
            for ip in addresses_of(zones, h):
                kinds.add(PTR_KIND.get(ip, "confirmed"))
                e["listed"] = e["listed"] or ip in listed_ips
        # the problems among the MX addresses ("missing+mismatch" when both), else confirmed / n/a
        e["ptr"] = "+".join(sorted(kinds - {"confirmed"})) or ("confirmed" if kinds else "n/a")
        expected[d] = e

        # ---- what maildoc asks for this domain (the query file of the ceiling)
        q.append((d, "MX"))
        q.append((d, "TXT"))
        spf_queries(q, txts, d, mx_hosts)
        q.append((f"_dmarc.{d}", "TXT"))
        if rua_kind in ("svc-wildcard", "agg-authorised", "agg-unauthorised") and e["rua"] != "n/a":
            svcname = "dmarc-svc.test" if rua_kind == "svc-wildcard" else "agg-reports.test"
            q.append((f"{d}._report._dmarc.{svcname}", "TXT"))
        for s in COMMON_SELECTORS:
            q.append((f"{s}._domainkey.{d}", "TXT"))
        q.append((f"_mta-sts.{d}", "TXT"))
        if mk not in ("none",):
            q += [(f"mta-sts.{d}", "A"), (f"mta-sts.{d}", "AAAA")]
        q.append((f"_smtp._tls.{d}", "TXT"))
        for h in mx_hosts:
            q += [(h, "A"), (h, "AAAA"), (h, "CNAME"), (f"_25._tcp.{h}", "TLSA")]
            for ip in addresses_of(zones, h):
                q.append((reverse_name(ip), "PTR"))
                for name in PTRS.get(ip, []):
                    q += [(name, "A"), (name, "AAAA")]
                if ipaddress.ip_address(ip).version == 4:
                    q.append((".".join(reversed(ip.split("."))) + ".dnsbl.test", "A"))
        queries += q

    # The parent zone: a delegation of every zone under .test, with the name servers' glue.
    parent = Zone("test")
    for z in zones:
        if z.origin.endswith(".test") and z.origin.count(".") == 1:
            for nsname in z.ns:
                parent.add(z.origin[: -len(".test")], "NS", nsname)
    dnshost = Zone("dnshost.test")
    dnshost.add("ns1", "A", args.ns_ip)
    dnshost.add("ns2", "A", args.ns_ip)
    zones.append(dnshost)
    parent.add("dnshost", "NS", "ns1.dnshost.test.")
    parent.add("ns1.dnshost", "A", args.ns_ip)
    parent.add("ns2.dnshost", "A", args.ns_ip)
    zones.append(parent)

    zdir = os.path.join(out, "nsd", "zones")
    os.makedirs(zdir, exist_ok=True)
    conf = []
    for z in zones:
        fn = z.origin + ".zone"
        with open(os.path.join(zdir, fn), "w") as f:
            f.write(z.render())
        conf.append(f'zone:\n    name: "{z.origin}"\n    zonefile: "zones/{fn}"\n')
    with open(os.path.join(out, "nsd", "zones.conf"), "w") as f:
        f.write("\n".join(conf))
    with open(os.path.join(out, "domains.txt"), "w") as f:
        f.write("".join(d + "\n" for d in domains))
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"domains": expected, "listed_ips": sorted(listed_ips)}, f, indent=0, sort_keys=True)
    with open(os.path.join(out, "mta-sts-hosts.txt"), "w") as f:
        f.write("".join(h + "\n" for h in mta_hosts))
    with open(os.path.join(out, "dnsperf.txt"), "w") as f:
        f.write("".join(f"{n} {t}\n" for n, t in queries))
    mix = []
    for key in ("mx", "ptr", "listed", "spf", "dmarc", "rua", "dkim", "mta_sts", "tlsrpt"):
        c = Counter(e[key] for e in expected.values())
        mix.append(f"{key}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items(), key=lambda kv: -kv[1])))
    mix.append(f"zones: {len(zones)}; query file: {len(queries)} queries ({len(queries) / len(domains):.1f} per domain)")
    with open(os.path.join(out, "mix.txt"), "w") as f:
        f.write("\n".join(mix) + "\n")
    print("\n".join(mix))


def spf_text(terms, all_):
    out = ["v=spf1"]
    for t in terms:
        out.append(f"include:{PROVIDERS[t]['include']}" if t in PROVIDERS else t)
    out.append(all_)
    return " ".join(out)


# The records an include of each provider leads to, and the names its a: terms look up.
SPF_NESTED = {
    "_spf.bigmail.test": ["_netblocks.bigmail.test", "_netblocks2.bigmail.test", "_netblocks3.bigmail.test"],
    "spf.mailchannel.test": ["spf-a.mailchannel.test", "spf-b.mailchannel.test"],
    "_spf.crmcloud.test": ["_spf2.crmcloud.test"],
    "_spf.legacysuite.test": [f"spf{i}.legacysuite.test" for i in range(1, 6)],
}
SPF_NESTED_A = {"_spf.crmcloud.test": ["relay.crmcloud.test"]}


def spf_queries(q, txts, d, mx_hosts):
    """The lookups of an SPF evaluation of the domain's records (approximate: includes and
    redirects followed; a terms A+AAAA; mx terms the MX and A+AAAA of each host)."""
    for t in txts:
        if not t.startswith("v=spf1"):
            continue
        for term in t.split()[1:]:
            if term.startswith("include:") or term.startswith("redirect="):
                target = term.split(":", 1)[1] if term.startswith("include:") else term.split("=", 1)[1]
                q.append((target, "TXT"))
                q += [(x, "TXT") for x in SPF_NESTED.get(target, [])]
                for name in SPF_NESTED_A.get(target, []):
                    q += [(name, "A"), (name, "AAAA")]
            elif term == "a" or term.startswith("a:"):
                name = term[2:] or d
                q += [(name, "A"), (name, "AAAA")]
            elif term == "mx":
                q.append((d, "MX"))
                for h in mx_hosts:
                    q += [(h, "A"), (h, "AAAA")]


def addresses_of(zones, host):
    """The A/AAAA rdata of host in the generated zones (a CNAME followed once)."""
    del zones
    return ADDR.get(host, []) or ADDR.get(CNAMES.get(host, ""), [])


def reverse_name(ip):
    return ipaddress.ip_address(ip).reverse_pointer


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--domains", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--https-ip", default="127.0.0.80")
    ap.add_argument("--ns-ip", default="127.0.0.1")
    args = ap.parse_args()
    for ip in (args.https_ip, args.ns_ip):
        if not ipaddress.ip_address(ip).is_loopback:
            sys.exit(f"gen_zones: {ip} is not a loopback address")
    os.makedirs(args.outdir, exist_ok=True)
    build(args)


if __name__ == "__main__":
    main()
