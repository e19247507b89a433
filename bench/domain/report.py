#!/usr/bin/env python3
"""maildoc domain bench: the figures table and the check comparison (standard library only).

Reads what bench/domain-bench.sh left in its work dir (out/*.figures, out/checkdmarc.json,
out/maildoc-C.jsonl, data/expected.json, log/mix.txt) and prints Markdown to stdout. Exit code
0 when both goals are met (maildoc >= 30x checkdmarc's domains/s, maildoc's query
rate >= 1/2 of the NSD ceiling measured just before its run, the median of the runs), 1 otherwise.
"""

import argparse
import json
import os
import re
import sys

GOAL_SPEEDUP = 30.0
GOAL_CEILING = 0.5


def figures(path):
    f = {}
    with open(path) as fh:
        for part in fh.read().split():
            k, v = part.split("=", 1)
            f[k] = float(v)
    return f


# ----------------------------------------------------------------------------- maildoc
def maildoc_codes(path):
    """domain -> set of finding codes; and the number of lines with an error."""
    out, errors, lookup_failed = {}, 0, 0
    with open(path) as fh:
        for line in fh:
            r = json.loads(line)
            if "error" in r:
                errors += 1
                continue
            codes = {f["code"] for f in r.get("findings", [])}
            lookup_failed += "domain-lookup-failed" in codes
            out[r["domain"]] = codes
    return out, errors, lookup_failed


# ----------------------------------------------------------------------------- checkdmarc
def checkdmarc_codes(path):
    """domain -> set of maildoc-like codes read from checkdmarc's errors and warnings."""
    with open(path) as fh:
        results = json.load(fh)
    if isinstance(results, dict):
        results = [results]
    out = {}
    for r in results:
        c = set()
        spf = r.get("spf") or {}
        err = spf.get("error") or ""
        warn = " | ".join(spf.get("warnings") or [])
        if spf.get("valid") is False:
            if "include target" in err:
                c.add("spf-include-missing")
            elif "does not exist" in err and "SPF record" in err:
                c.add("spf-missing")
            elif "multiple SPF" in err:
                c.add("spf-multiple-records")
            elif "maximum DNS lookups" in err:
                c.add("spf-too-many-lookups")
            elif "void DNS lookups" in err:
                c.add("spf-void-lookups")
            else:
                c.add("spf-syntax-error")
        if "ptr mechanism should not be used" in warn:
            c.add("spf-ptr-deprecated")
        if re.search(r"\+all|\?all|too permissive|allows? any", warn):
            c.add("spf-too-permissive")

        dm = r.get("dmarc") or {}
        err = dm.get("error") or ""
        warn = " | ".join(dm.get("warnings") or [])
        if dm.get("valid") is False:
            if "A DMARC record does not exist" in err:
                c.add("dmarc-missing")
            elif "Multiple DMARC" in err:
                c.add("dmarc-multiple-records")
            else:
                c.add("dmarc-invalid")
        if "p tag value of none" in warn:
            c.add("dmarc-policy-none")
        if "does not indicate that it accepts DMARC reports" in warn:
            c.add("dmarc-rua-unauthorized")

        mx = r.get("mx") or {}
        hosts = {h.get("hostname") for h in mx.get("hosts") or []}
        for w in mx.get("warnings") or []:
            if "has no MX records" in w:
                c.add("mx-missing")
            elif "null MX" in w:
                c.add("mx-null")
            elif "CNAME alias" in w:
                c.add("mx-cname")
            elif "does not have any A or AAAA" in w:
                c.add("mx-host-unresolvable")
            elif "does not have any reverse DNS" in w:
                c.add("ptr-missing")
            elif "do not resolve to" in w:
                c.add("ptr-mismatch")
            elif "is not included in the MTA-STS policy" in w:
                c.add("mta-sts-mismatch")
            else:
                m = re.match(r"The domain (\S+) does not exist", w)
                if m and m.group(1).rstrip(".") in hosts:
                    c.add("mx-host-unresolvable")
        if mx.get("error"):
            c.add("mx-error")

        sts = r.get("mta_sts") or {}
        if sts.get("valid") is False and "MTA-STS DNS record does not exist" not in (sts.get("error") or ""):
            c.add("mta-sts-invalid")
        tr = r.get("smtp_tls_reporting") or {}
        if tr.get("valid") is False:
            c.add("tlsrpt-missing" if "does not exist" in (tr.get("error") or "") else "tlsrpt-invalid")
        out[r["domain"]] = c
    return out


# ----------------------------------------------------------------------------- comparison
# (check, expected field, generated category or predicate, codes that count as "found")
ROWS = [
    ("SPF: none", "spf", "none", {"spf-missing"}),
    ("SPF: syntax error", "spf", "syntax", {"spf-syntax-error"}),
    ("SPF: two records", "spf", "multiple", {"spf-multiple-records"}),
    ("SPF: over 10 lookups", "spf", "over-limit", {"spf-too-many-lookups"}),
    ("SPF: over 2 void lookups", "spf", "void", {"spf-void-lookups"}),
    ("SPF: include of a missing record", "spf", "include-missing", {"spf-include-missing", "spf-syntax-error", "spf-void-lookups"}),
    ("SPF: +all / ?all", "spf", "permissive", {"spf-too-permissive"}),
    ("SPF: ptr mechanism", "spf", "ptr", {"spf-ptr-deprecated"}),
    ("DMARC: none", "dmarc", "missing", {"dmarc-missing"}),
    ("DMARC: invalid", "dmarc", "invalid", {"dmarc-invalid", "dmarc-missing"}),
    ("DMARC: two records", "dmarc", "multiple", {"dmarc-multiple-records"}),
    ("DMARC: p=none", "dmarc", "none-policy", {"dmarc-policy-none"}),
    ("DMARC: rua elsewhere, not authorised", "rua", "agg-unauthorised", {"dmarc-rua-unauthorized"}),
    ("MX: none", "mx", "none", {"mx-missing"}),
    ("MX: null MX", "mx", "null", {"mx-null"}),
    ("MX: host does not resolve", "mx", "unresolvable", {"mx-host-unresolvable"}),
    ("MX: host is a CNAME", "mx", "cname", {"mx-cname"}),
    ("PTR: missing", "ptr", "missing", {"ptr-missing"}),
    ("PTR: not forward-confirmed", "ptr", "mismatch", {"ptr-mismatch"}),
    ("DKIM: no key at common selectors", "dkim", "none", {"dkim-key-missing"}),
    ("DKIM: 1024-bit key", "dkim", "1024", {"dkim-key-weak"}),
    ("DKIM: 512-bit key", "dkim", "short", {"dkim-key-weak", "dkim-key-invalid"}),
    ("DKIM: revoked key", "dkim", "revoked", {"dkim-key-revoked"}),
    ("DKIM: t=y", "dkim", "testing", {"dkim-testing"}),
    ("MTA-STS: policy invalid / 404 / no host", "mta_sts", ("invalid-policy", "no-policy", "no-host"), {"mta-sts-invalid"}),
    ("MTA-STS: MX not in policy", "mta_sts", "mismatch", {"mta-sts-mismatch"}),
    ("TLS-RPT: none", "tlsrpt", "none", {"tlsrpt-missing"}),
    ("TLS-RPT: invalid record", "tlsrpt", "invalid", {"tlsrpt-invalid", "tlsrpt-missing"}),
    ("DNSBL: an MX address listed", "listed", True, {"dnsbl-listed"}),
]


def in_category(e, field, cat):
    v = e.get(field)
    if field == "ptr":  # "missing+mismatch": the domain has both
        return cat in str(v).split("+")
    return v in cat if isinstance(cat, tuple) else v == cat


def compare(expected, tool, domains):
    """For each row: (generated, found among them, found elsewhere). "Elsewhere" leaves out
    the categories of other rows of the same field whose codes overlap (e.g. a 512-bit key
    is also a weak key; an invalid DMARC record may be read as none)."""
    rows = []
    for name, field, cat, codes in ROWS:
        neighbours = [c2 for (_, f2, c2, k2) in ROWS if f2 == field and c2 != cat and k2 & codes]
        gen = found = extra = 0
        for d in domains:
            got = bool(tool.get(d, set()) & codes)
            if in_category(expected[d], field, cat):
                gen += 1
                found += got
            elif not any(in_category(expected[d], field, c2) for c2 in neighbours):
                extra += got
        rows.append((name, gen, found, extra))
    return rows


def cell(gen, found, extra, applicable=True):
    if not applicable:
        return "not checked"
    s = f"{found}/{gen}"
    if extra:
        s += f" (+{extra} other)"
    return s


# ----------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--domains", type=int, required=True)
    ap.add_argument("--concurrency", required=True)
    ap.add_argument("--checkdmarc-every", type=int, required=True)
    ap.add_argument("--checkdmarc-version", required=True)
    ap.add_argument("--maildoc-rev", required=True)
    ap.add_argument("--nsd-server-count", type=int, required=True)
    ap.add_argument("--ceiling-1", type=float, required=True)
    ap.add_argument("--ceiling-2", type=float, required=True)
    ap.add_argument("--dnsperf-seconds", type=int, required=True)
    ap.add_argument("--near-seconds", type=int, required=True)
    ap.add_argument("--cpus", type=int, required=True)
    ap.add_argument("--load", default="?")
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    w = a.workdir
    expected = json.load(open(os.path.join(w, "data", "expected.json")))["domains"]
    ceiling = max(a.ceiling_1, a.ceiling_2)

    cd_fig = figures(os.path.join(w, "out", "checkdmarc.figures"))
    cd = checkdmarc_codes(os.path.join(w, "out", "checkdmarc.json"))
    cd_n = len(cd)
    conc = [int(c) for c in a.concurrency.split()]
    md = {}
    for c in conc:
        codes, errors, failed = maildoc_codes(os.path.join(w, "out", f"maildoc-{c}.jsonl"))
        md[c] = (figures(os.path.join(w, "out", f"maildoc-{c}.figures")), codes, errors, failed)

    def walls(c):
        ws = []
        for r in range(1, a.repeat + 1):
            fp = os.path.join(w, "out", f"maildoc-{c}-{r}.figures")
            if os.path.exists(fp):
                ws.append(figures(fp)["wall"])
        return f" ({min(ws):.2f}–{max(ws):.2f})" if len(ws) > 1 else ""

    def row(name, n, conc_s, f, spread=""):
        cpu = f["user"] + f["sys"]
        dps = n / f["wall"]
        qps = f["queries"] / f["wall"]
        return (
            f"| {name} | {n} | {conc_s} | {f['wall']:.2f}{spread} | **{dps:.1f}** | {cpu:.1f} | {cpu / n * 1000:.2f} | "
            f"{f['rss_kb'] / 1024:.0f} | {f['queries']:.0f} | {f['queries'] / n:.1f} | {qps:.0f} | "
            f"{qps / f.get('ceiling_near', ceiling) * 100:.0f} % | {f['nsd_cpu']:.1f} | {f['others_cpu']:.1f} | "
            f"{f['https']:.0f} |"
        )

    def shares(c):
        """Each run's queries/s over the NSD ceiling measured just before it."""
        out = []
        for r in range(1, a.repeat + 1):
            fp = os.path.join(w, "out", f"maildoc-{c}-{r}.figures")
            if os.path.exists(fp):
                f = figures(fp)
                out.append(f["queries"] / f["wall"] / f["ceiling_near"])
        return sorted(out)

    best = max(conc, key=lambda c: a.domains / md[c][0]["wall"])
    bf = md[best][0]
    cd_dps = cd_n / cd_fig["wall"]
    md_dps = a.domains / bf["wall"]
    speedup = md_dps / cd_dps
    md_qps = bf["queries"] / bf["wall"]
    best_shares = shares(best)
    frac = best_shares[len(best_shares) // 2]

    p = print
    p("## maildoc domain --from vs checkdmarc\n")
    p(
        f"{a.domains} generated domains under .test, one authoritative NSD 4.6 on 127.0.0.1 in the network "
        f"namespace maildoc-bench (only lo: nothing leaves the machine), {a.cpus} CPUs shared by NSD, the "
        f"MTA-STS HTTPS server and the tool. maildoc {a.maildoc_rev}; checkdmarc {a.checkdmarc_version}"
        + (
            f", run over every {a.checkdmarc_every}. domain ({cd_n}): it is sequential and its rate is per domain"
            if a.checkdmarc_every > 1
            else f" over all {cd_n} domains"
        )
        + ". Queries are counted at NSD (nsd-control stats), CPU and peak RSS by GNU time, HTTPS requests "
        "at the MTA-STS server."
        + (
            f" maildoc ran {a.repeat} times at each concurrency: the median run is shown, the wall-time range "
            "in brackets.\n"
            if a.repeat > 1
            else "\n"
        )
    )
    p(
        "| tool | domains | concurrency | wall s | domains/s | CPU s (user+sys) | CPU ms/domain | peak RSS MB | "
        "DNS queries | queries/domain | queries/s | of NSD ceiling just before | NSD CPU s | others' CPU s | HTTPS requests |"
    )
    p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    p(row("checkdmarc", cd_n, "1 (sequential)", cd_fig))
    for c in conc:
        p(row("maildoc" + (" (best)" if c == best else ""), a.domains, str(c), md[c][0], walls(c)))
    p(
        f"| NSD ceiling (dnsperf, server-count 1) | | 8 clients, 1000 outstanding | {a.dnsperf_seconds} | | | | | | | "
        f"{a.ceiling_1:.0f} | | | | |"
    )
    p(
        f"| NSD ceiling (dnsperf, server-count 2) | | 8 clients, 1000 outstanding | {a.dnsperf_seconds} | | | | | | | "
        f"{a.ceiling_2:.0f} | | | | |"
    )
    p()
    p(
        f"NSD ran with server-count {a.nsd_server_count} (the better ceiling on this machine) for the tool runs. "
        "\"others' CPU\" is the machine's busy CPU time during the run minus the tool's, NSD's and the HTTPS "
        f"server's: other work competing for the {a.cpus} CPUs (load average at the start: {a.load}).\n"
    )
    p("| goal | measured | met |")
    p("|---|---|---|")
    p(
        f"| maildoc domains/s >= {GOAL_SPEEDUP:.0f} x checkdmarc's | {md_dps:.1f} / {cd_dps:.2f} = **{speedup:.1f} x** "
        f"(concurrency {best}) | {'yes' if speedup >= GOAL_SPEEDUP else 'NO'} |"
    )
    p(
        f"| maildoc queries/s >= {GOAL_CEILING:.0%} of NSD's ceiling (measured just before each run) | "
        f"runs at concurrency {best}: {', '.join(f'{x:.0%}' for x in best_shares)}; median **{frac:.0%}** | "
        f"{'yes' if frac >= GOAL_CEILING else 'NO'} |"
    )
    p()
    p(
        f"Against the ceiling measured once at the start ({ceiling:.0f} queries/s over {a.dnsperf_seconds} s), the "
        f"median run's {md_qps:.0f} queries/s is {md_qps / ceiling:.0%}. dnsperf ran {a.near_seconds} s right "
        "before each maildoc run (log/dnsperf-near-C-R.txt), since the machine's speed drifts between minutes."
    )
    cpu_q = (bf["user"] + bf["sys"]) / bf["queries"] * 1e6 if bf["queries"] else 0
    p()
    p(
        f"maildoc at concurrency {best}: {(bf['user'] + bf['sys']) / a.domains * 1000:.2f} ms CPU per domain, "
        f"{cpu_q:.0f} µs CPU per DNS query (user {bf['user']:.1f} s, sys {bf['sys']:.1f} s); "
        f"NSD spent {bf['nsd_cpu']:.1f} s CPU answering it. "
        f"Lines with an error: {md[best][2]}; domains with domain-lookup-failed: {md[best][3]}."
    )
    p()

    # ---- the checks
    sample = sorted(cd)
    md_rows = compare(expected, md[best][1], sorted(expected))
    cd_rows = compare(expected, cd, sample)
    p(f"### Same checks? Findings against the generated mix\n")
    p(
        "found/generated per category (maildoc over all domains, checkdmarc over the domains it ran); "
        "\"+N other\" = domains outside the category with that finding (a category's neighbours, e.g. an SPF "
        "record with a void `a` lookup, can rightly share a code).\n"
    )
    p("| check (generated category) | maildoc | checkdmarc |")
    p("|---|---|---|")
    not_in_cd = {"DKIM", "DNSBL"}
    for (name, g, f, x), (_, g2, f2, x2) in zip(md_rows, cd_rows):
        area = name.split(":")[0]
        p(f"| {name} | {cell(g, f, x)} | {cell(g2, f2, x2, area not in not_in_cd)} |")
    p()
    p("Mix generated (bench/domain/gen_zones.py, seed 5):\n")
    p("```")
    with open(os.path.join(w, "log", "mix.txt")) as fh:
        p(fh.read().rstrip())
    p("```")
    p()
    p(
        "Both: the zone's NS (maildoc finds the zone by its SOA), DNSSEC of the domain's zone and of each MX "
        "host's zone (the parent's DS, the DNSKEY it matches, the signature over the keys), the MTA-STS "
        "policy's Content-Type, BIMI (the record, DMARC at enforcement, the logo's SVG Tiny PS profile, the mark "
        "certificate's issuer among the Mark Verifying Authorities, its subject fields by mark type, dates, "
        "names and embedded logo; any --bimi-selector), MX and NS hosts against --approved-mx and --approved-ns, "
        "--parked domains (SPF -all, DMARC reject, no MX), DMARC tags RFC 9989 removed, other "
        "TXT records at _dmarc, the mark certificate's forbidden extensions, the DNSSEC signature of the "
        "domain's own records when it lies below its zone's top. maildoc also checks that "
        "each rua/ruf domain can take mail (MX, null MX, or an address). "
        "Checked by maildoc and not by checkdmarc: DKIM keys at common selectors (length, revoked, t=y), "
        "DNS blocklists of the MX addresses, the DMARC organisational domain (PSL), the sender-requirements "
        "verdict (Gmail/Yahoo, Japanese carriers), TLSA shape of the MX hosts; maildoc names the include "
        "chain that crosses the 10-lookup limit and the position of SPF syntax errors."
    )
    speed_ok = speedup >= GOAL_SPEEDUP
    ceil_ok = frac >= GOAL_CEILING
    return 0 if speed_ok and ceil_ok else 1


if __name__ == "__main__":
    sys.exit(main())
