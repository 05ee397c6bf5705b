#!/usr/bin/env python3
"""Writes scenarios/kz-2019-07-21.json, its reduced variant (about a tenth of the hosts, same
shape) and their candidate-name files. Run it after changing the world; the files it writes
are committed, so `mitmlab run` never needs Python.

The world is what decides the figures: which server sits behind which router, which links
carry a box, and when each box is on. Nothing here writes a result. The routing is checked
below (every vantage-to-server path must be the unique cheapest one, so both directions of a
flow cross the same boxes); the counts each vantage *should* see are printed for the author,
and the run then measures what it measures.

Usage: scripts/make-kz-scenarios.py   (from anywhere; writes into scenarios/)
"""
import heapq
import ipaddress
import json
import math
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SCENARIOS = os.path.join(ROOT, "scenarios")

# facts.md §6: hosts intercepted from North America, by AS (459 in all).
AS_US_SEEN = [("AS9198", "Kazakhtelecom", 385), ("AS29555", "Mobile Telecom-Service", 32),
              ("AS48502", "ForteBank", 23), ("AS43601", "BankCenterCredit", 9),
              ("AS50482", "Kazakhtelecom", 7), ("AS60708", "KazNIC", 2),
              ("AS43934", "Interbank Settlement Centre", 1)]
# Illustrative address space per AS (informational labels; the run never checks them).
AS_SPACE = {"AS9198": "178.89.128.0/17", "AS29555": "37.150.0.0/16", "AS48502": "91.185.0.0/18",
            "AS43601": "217.196.16.0/20", "AS50482": "89.218.0.0/17", "AS60708": "194.110.32.0/20",
            "AS43934": "195.189.64.0/20"}
DOMAIN = {"AS9198": "telecom.kz.example", "AS29555": "mobile.kz.example", "AS48502": "fortebank.kz.example",
          "AS43601": "bcc.kz.example", "AS50482": "ktc2.kz.example", "AS60708": "kaznic.kz.example",
          "AS43934": "isc.kz.example"}

TARGETS = ["allo.google.com", "android.com", "cdninstagram.com", "dns.google.com", "docs.google.com",
           "encrypted.google.com", "facebook.com", "goo.gl", "google.com", "groups.google.com",
           "hangouts.google.com", "instagram.com", "mail.google.com", "mail.ru", "messages.android.com",
           "messenger.com", "news.google.com", "ok.ru", "picasa.google.com", "plus.google.com", "rukoeb.com",
           "sites.google.com", "sosalkino.tv", "tamtam.chat", "translate.google.com", "twitter.com",
           "video.google.com", "vk.com", "vk.me", "vkuseraudio.net", "vkuservideo.net", "www.facebook.com",
           "www.google.com", "www.instagram.com", "www.messenger.com", "www.youtube.com", "youtube.com"]
# Names close to the targets that the 2019 lists did not catch (facts §1: exact match).
NEAR_MISSES = ["maps.google.com", "images.google.com", "play.google.com", "drive.google.com",
               "accounts.google.com", "apis.google.com", "google.kz", "www.google.kz", "m.facebook.com",
               "static.xx.fbcdn.net", "fbcdn.net", "connect.facebook.net", "m.vk.com", "www.vk.com",
               "login.vk.com", "vk.ru", "www.ok.ru", "m.ok.ru", "e.mail.ru", "www.mail.ru", "i.instagram.com",
               "scontent.cdninstagram.com", "api.twitter.com", "mobile.twitter.com", "www.twitter.com",
               "t.co", "youtu.be", "m.youtube.com", "music.youtube.com", "i.ytimg.com", "gmail.com",
               "www.gmail.com", "yandex.kz", "yandex.ru", "www.yandex.ru", "telegram.org", "web.telegram.org",
               "whatsapp.com", "web.whatsapp.com", "www.messenger.com.example", "tamtam.chat.example",
               "android.com.example", "www.android.com", "developer.android.com", "source.android.com"]

# The interception period of 2019-07-22 (facts §1: stopped early on 07-22, resumed about 9 h
# later on fewer links). The stop falls during the TTL sweep of the KZ VPS's intercepted
# hosts; the sweep's start is chosen from its measured rate so that about 1,212 hosts are
# swept first (facts §7). Times are scenario times (the box sees them; the scanner does not).
STOP = "2019-07-22T02:00:00Z"
RESUME = "2019-07-22T11:00:00Z"
LAST = "2019-07-26T18:00:00Z"  # the next pause (facts §1); after every job here


def dijkstra(graph, source):
    dist, count, prev = {source: 0}, {source: 1}, {}
    heap = [(0, source)]
    done = set()
    while heap:
        d, u = heapq.heappop(heap)
        if u in done:
            continue
        done.add(u)
        for v, c in graph[u]:
            nd = d + c
            if v not in dist or nd < dist[v]:
                dist[v], count[v], prev[v] = nd, count[u], u
                heapq.heappush(heap, (nd, v))
            elif nd == dist[v]:
                count[v] += count[u]
    return dist, count, prev


def split(total, weights):
    """Largest remainder split of total by weights (ties: first listed)."""
    s = sum(weights)
    exact = [total * w / s for w in weights]
    out = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - out[i]), i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


class Allocator:
    """Hands out aligned prefixes per AS, in order."""

    def __init__(self):
        self.next = {a: ipaddress.ip_network(p).network_address for a, p in AS_SPACE.items()}

    def take(self, as_label, count):
        blocks = 1
        while blocks * 254 < count:
            blocks *= 2
        size = blocks * 256
        start = int(self.next[as_label])
        start = (start + size - 1) // size * size
        net = ipaddress.ip_network(f"{ipaddress.ip_address(start)}/{32 - int(math.log2(size))}")
        if not net.subnet_of(ipaddress.ip_network(AS_SPACE[as_label])):
            sys.exit(f"{as_label}: address space {AS_SPACE[as_label]} exhausted")
        self.next[as_label] = ipaddress.ip_address(start + size)
        return str(net)


def build(scale, candidates_file, candidates_count):
    trusted_total = round(6736 * scale)
    # Path classes (who crosses which box), in trusted servers. The US crossing is exactly
    # the AS breakdown of facts §6 (scaled); the KZ VPS additionally crosses boxes on links
    # the US routes avoid.
    us_seen = split(round(459 * scale), [n for _, _, n in AS_US_SEEN])
    u1_total = round(300 * scale)                 # behind 95.56.243.92; both vantages; box resumes
    u1 = split(u1_total, us_seen)
    u2 = [a - b for a, b in zip(us_seen, u1)]    # behind 95.59.170.59; both vantages; box stays off
    u1[0] -= 1  # the bank of facts §1's example is listed by hand (below), in u1 and AS9198
    k1_total = round(100 * scale)                 # behind 95.56.243.92; KZ only; box resumes
    mob_total = round(80 * scale)                 # mobile aggregation, another link (the other 5%)
    k2_total = round(1598 * scale) - u1_total - sum(u2) - k1_total - mob_total
    # Every trusted server, by AS, in the proportions of facts §6.
    by_as = split(trusted_total, [n for _, _, n in AS_US_SEEN])
    rest = [t - a - b for t, a, b in zip(by_as, u1, u2)]
    rest[0] -= 1  # the listed bank
    rest[1] -= mob_total  # the mobile class is AS29555
    n_total = sum(rest) - k1_total - k2_total
    k1 = split(k1_total, rest)
    k2 = split(k2_total, [r - a for r, a in zip(rest, k1)])
    nn = [r - a - b for r, a, b in zip(rest, k1, k2)]
    assert sum(nn) == n_total and min(nn) >= 0, nn

    routers = [
        # The US vantage's way in: a transit network, then Kazakhtelecom's border toward Europe.
        ("us-dc", "198.51.100.1", "AS64500"), ("transit", "203.0.113.1", "AS64501"),
        ("ktc-border-eu", "212.154.193.1", "AS9198"),
        # The KZ VPS's way in: the first hops of facts §6's example traceroute.
        ("k1", "185.120.76.1", "AS9198"), ("k2", "88.204.195.89", "AS9198"), ("k3", "212.154.195.97", "AS9198"),
        # The routers either side of the boxes (facts §6): one address each, so four routers.
        ("b1", "92.47.151.210", "AS9198"), ("b2", "92.47.150.198", "AS9198"),
        ("a1", "95.56.243.92", "AS9198"), ("a2", "95.59.170.59", "AS9198"),
        # A core router with no box, which the US routes to most of the country take.
        ("core", "92.46.60.1", "AS9198"),
        # Distribution and access routers: servers sit 3 or 4 hops past a box (facts §7).
        ("du1", "178.89.110.198", "AS9198"), ("du1-acc", "178.89.110.206", "AS9198"),
        ("du1-acc2", "178.89.110.214", "AS9198"),
        ("dk1", "178.89.111.1", "AS9198"), ("dk1-acc", "178.89.111.9", "AS9198"),
        ("dk1-acc2", "178.89.111.17", "AS9198"),
        ("du2", "95.59.171.1", "AS9198"), ("du2-acc", "95.59.171.9", "AS9198"),
        ("du2-acc2", "95.59.171.17", "AS9198"),
        ("dk2", "95.59.172.1", "AS9198"), ("dk2-acc", "95.59.172.9", "AS9198"),
        ("dk2-acc2", "95.59.172.17", "AS9198"),
        ("dn", "92.46.61.1", "AS9198"), ("dn-acc", "92.46.61.9", "AS9198"), ("dn-acc2", "92.46.61.17", "AS9198"),
        # Mobile aggregation behind a box of its own (not between the facts §6 routers).
        ("m1", "37.151.0.1", "AS29555"), ("m1-acc", "37.151.0.9", "AS29555"), ("m1-acc2", "37.151.0.17", "AS29555"),
        # Regions where RIPE-Atlas-like probes live: one reaches the country through b2
        # only, five through the core.
        ("east", "92.47.160.1", "AS9198"),
    ] + [(f"region{i}", f"92.46.{70 + i}.1", "AS9198") for i in range(1, 6)]
    links = [
        ("us-dc", "transit", {"delay": "40ms"}), ("transit", "ktc-border-eu", {"delay": "60ms"}),
        ("ktc-border-eu", "b1", {"cost": 2}), ("ktc-border-eu", "core", {}),
        ("k1", "k2", {}), ("k2", "k3", {}),
        ("k3", "b1", {}), ("k3", "b2", {}), ("k3", "core", {"cost": 3}), ("k3", "m1", {"cost": 2}),
        ("b1", "a1", {"delay": "5ms"}), ("b2", "a2", {"delay": "5ms"}),
        ("b1", "a2", {"delay": "5ms", "cost": 2}), ("b2", "a1", {"delay": "5ms", "cost": 2}),
        ("a1", "du1", {}), ("a2", "du2", {}), ("a1", "dk1", {"cost": 2}), ("a2", "dk2", {"cost": 2}),
        ("core", "dk1", {"cost": 2}), ("core", "dk2", {"cost": 2}), ("core", "dn", {}), ("core", "m1", {"cost": 3}),
        ("du1", "du1-acc", {}), ("du1-acc", "du1-acc2", {}), ("dk1", "dk1-acc", {}), ("dk1-acc", "dk1-acc2", {}),
        ("du2", "du2-acc", {}), ("du2-acc", "du2-acc2", {}), ("dk2", "dk2-acc", {}), ("dk2-acc", "dk2-acc2", {}),
        ("dn", "dn-acc", {}), ("dn-acc", "dn-acc2", {}), ("m1", "m1-acc", {}), ("m1-acc", "m1-acc2", {}),
        ("east", "b2", {"delay": "4ms"}),
    ] + [(f"region{i}", "core", {"delay": "3ms"}) for i in range(1, 6)]

    def sched(resumes):
        active = [{"start": 0, "end": STOP}]
        if resumes:
            active.append({"start": RESUME, "end": LAST})
        return {"schedule": {"active": active}}

    bumps = [
        {"name": "box-b1-a1", "link": ["b1", "a1"], "engine": sched(True)},
        {"name": "box-b1-a2", "link": ["b1", "a2"], "engine": sched(False)},
        {"name": "box-b2-a1", "link": ["b2", "a1"], "engine": sched(True)},
        {"name": "box-b2-a2", "link": ["b2", "a2"], "engine": sched(False)},
        {"name": "box-mobile", "link": ["k3", "m1"], "engine": sched(False)},
    ]

    # Server groups: class x AS, split over the access routers (mostly 3 or 4 hops past the
    # box; a few at the distribution router, 2 hops). Untrusted servers (self-signed,
    # expired, unknown root) are mixed into every group: about 4% of the hosts, so condition
    # 3 of facts §1 is exercised on every box.
    alloc = Allocator()
    groups, by_class = [], {}
    classes = [("u1", "du1", u1), ("k1", "dk1", k1), ("u2", "du2", u2), ("k2", "dk2", k2), ("n", "dn", nn)]
    for cls, dist_router, counts in classes:
        for (as_label, _, _), count in zip(AS_US_SEEN, counts):
            if count == 0:
                continue
            # 45% at the access router, 50% one further, 5% at the distribution router.
            parts = split(count, [45, 50, 5]) if count >= 20 else [count, 0, 0]
            for where, part in zip(["acc", "acc2", ""], parts):
                if part == 0:
                    continue
                attach = f"{dist_router}-{where}" if where else dist_router
                untrusted = max(1, round(part * 0.04)) if part >= 10 else 0
                name = f"{cls}-{as_label[2:]}-{where or 'dist'}"
                mix = [{"kind": "trusted", "weight": part}]
                kinds = split(untrusted, [2, 1, 1]) if untrusted else []
                for kind, n in zip(["self_signed", "expired", "unknown_root"], kinds):
                    if n:
                        mix.append({"kind": kind, "weight": n})
                total = part + untrusted
                groups.append({"name": name, "count": total, "attach": attach, "as": as_label,
                               "prefix": alloc.take(as_label, total), "domain": DOMAIN[as_label], "mix": mix})
                by_class.setdefault(cls, []).append(name)
    mob_parts = split(mob_total, [50, 50])
    for where, part in zip(["acc", "acc2"], mob_parts):
        untrusted = max(1, round(part * 0.04))
        kinds = split(untrusted, [2, 1, 1])
        mix = [{"kind": "trusted", "weight": part}] + [
            {"kind": k, "weight": n} for k, n in zip(["self_signed", "expired", "unknown_root"], kinds) if n]
        name = f"mob-29555-{where}"
        groups.append({"name": name, "count": part + untrusted, "attach": f"m1-{where}", "as": "AS29555",
                       "prefix": alloc.take("AS29555", part + untrusted), "domain": DOMAIN["AS29555"], "mix": mix})
        by_class.setdefault("mob", []).append(name)
    all_groups = [g["name"] for g in groups]

    vantages = [
        {"name": "us-vps", "kind": "vps", "address": "198.51.100.7", "attach": "us-dc"},
        {"name": "kz-vps", "kind": "vps", "address": "185.120.77.10", "attach": "k1"},
        {"name": "kz-vps-2", "kind": "vps", "address": "92.46.71.200", "attach": "region1"},
    ]
    probes = []
    for i in range(1, 53):
        # Two probes live in the eastern region, whose only way in is through b2; the other
        # fifty are spread over the five core regions.
        attach = "east" if i in (17, 41) else f"region{(i - 1) % 5 + 1}"
        octet = 160 if attach == "east" else 70 + int(attach[-1])
        name = f"atlas-{i:02d}"
        vantages.append({"name": name, "kind": "atlas-probe", "address": f"92.47.{octet}.{100 + i}" if attach == "east"
                         else f"92.46.{octet}.{100 + i}", "attach": attach})
        probes.append((name, attach))

    # Two well-known servers abroad, for the VPSes' own connections (facts §7: neither VPS saw
    # interception on its own connections).
    servers = [
        {"name": "facebook.com", "address": "157.240.1.35", "attach": "transit", "as": "AS32934"},
        {"name": "google.com", "address": "172.217.16.14", "attach": "transit", "as": "AS15169"},
    ]
    # A Kazakh bank on the example path of facts §6 (hops 1-7, then the server): the
    # fingerprint job records what it receives, and the report draws its sweep.
    bank = {"name": "online.kazbank.example", "address": "178.89.112.10", "attach": "du1-acc", "as": "AS9198"}
    servers.append(bank)
    fp_server = bank["name"]
    scanned = {"servers": [bank["name"]], "groups": all_groups}

    snis = ["facebook.com", "google.com"]
    jobs = [
        {"name": "fingerprint", "kind": "fingerprint", "at": "2019-07-21T10:00:00Z", "server": fp_server,
         "duration": "30min"},
        {"name": "scan-us", "kind": "scan", "at": "2019-07-21T10:00:05Z", "vantage": "us-vps",
         "hosts": scanned, "snis": snis},
        {"name": "scan-kz", "kind": "scan", "at": "2019-07-21T10:30:00Z", "vantage": "kz-vps",
         "hosts": scanned, "snis": snis},
        {"name": "own-kz-vps", "kind": "scan", "at": "2019-07-21T11:00:00Z", "vantage": "kz-vps",
         "hosts": {"servers": ["facebook.com", "google.com"]}, "snis": snis},
        {"name": "own-kz-vps-2", "kind": "scan", "at": "2019-07-21T11:00:00Z", "vantage": "kz-vps-2",
         "hosts": {"servers": ["facebook.com", "google.com"]}, "snis": snis},
    ]
    for i, (name, attach) in enumerate(probes):
        targets = by_class["u1"] + by_class["k1"] if attach == "east" else by_class["n"]
        jobs.append({"name": name, "kind": "scan", "at": f"2019-07-21T12:{i // 6:02d}:{i % 6 * 10:02d}Z",
                     "vantage": name, "hosts": {"groups": targets, "sample": 4}, "snis": snis})
    jobs += [
        {"name": "discovery", "kind": "scan", "at": "2019-07-21T14:00:00Z", "vantage": "kz-vps",
         "hosts": {"from_job": "scan-kz", "verdict": "injected", "sample": 3}, "snis_file": candidates_file,
         "stop_at": "certificate"},
        {"name": "trace-kz", "kind": "trace", "at": TRACE_START[scale], "vantage": "kz-vps",
         "hosts": {"from_job": "scan-kz", "verdict": "injected"}, "sni": "www.facebook.com", "control_sni": "",
         "mode": "raw"},
        {"name": "scan-us-after", "kind": "scan", "at": "2019-07-22T11:30:00Z", "vantage": "us-vps",
         "hosts": scanned, "snis": snis},
        {"name": "scan-kz-after", "kind": "scan", "at": "2019-07-22T12:00:00Z", "vantage": "kz-vps",
         "hosts": scanned, "snis": snis},
    ]
    atlas_jobs = [p for p, _ in probes]
    report = {
        "title": "Kazakhstan, 2019-07-21 and 22: the scans, the sweep, the pause",
        "figures": {
            "trusted_hosts": {"job": "scan-us", "note": "the scan covers the untrusted hosts too (condition 3)"},
            "us_intercepted": {"job": "scan-us", "note": "of every host scanned, untrusted ones included"},
            "kz_intercepted": {"job": "scan-kz", "note": "of every host scanned, untrusted ones included"},
            "us_intercepted_after_pause": {"job": "scan-us-after"},
            "kz_intercepted_after_pause": {"job": "scan-kz-after"},
            "atlas_probes_intercepted": {"jobs": atlas_jobs, "note": "each probe scans 4 hosts"},
            "vps_own_connections_intercepted": {"jobs": ["own-kz-vps", "own-kz-vps-2"],
                                                "note": "each VPS to facebook.com and google.com abroad"},
            "swept_injected_before_server": {
                "job": "trace-kz", "note": "every host the scan found injected is swept; the boxes stop at "
                                           f"{STOP} partway, so the hosts swept after it show no injection"},
            "hops_before_server_3_or_4": {"job": "trace-kz"},
            "hop_pairs_known": {"job": "trace-kz"},
            "example_injection_hop": {"job": "trace-kz"},
            "targeted_names": {"job": "discovery",
                               "note": f"{candidates_count:,} candidate names against 3 intercepted hosts"},
        },
        "example_trace": {"job": "trace-kz", "host": bank["address"]},
    }
    doc = {
        "name": NAME[scale],
        "description": DESCRIPTION[scale],
        "start": "2019-07-21T10:00:00Z",
        "seed": 20190721,
        "shards": SHARDS[scale],
        "defaults": {"link": {"delay": "2ms", "rate": "10Gbps"}, "uplink": {"delay": "1ms", "rate": "1Gbps"}},
        "routers": [{"name": n, "address": a, "as": s} for n, a, s in routers],
        "links": [dict({"a": a, "b": b}, **p) for a, b, p in links],
        "bumps": bumps,
        "vantages": vantages,
        "pki": {"roots": ["mitmlab Fictional Root CA A", "mitmlab Fictional Root CA B"]},
        "servers": servers,
        "server_groups": groups,
        "jobs": jobs,
        "report": report,
    }

    # --- Routing check and the expected crossings (for the author; the run measures) ---
    graph = {n: [] for n, _, _ in routers}
    cost = {}
    for a, b, p in links:
        c = p.get("cost", 1)
        graph[a].append((b, c))
        graph[b].append((a, c))
    bump_links = {frozenset(bp["link"]): bp["name"] for bp in bumps}
    group_router = {g["name"]: g["attach"] for g in groups}
    trusted_in = {g["name"]: g["mix"][0]["weight"] for g in groups}
    group_router["(bank)"], trusted_in["(bank)"] = bank["attach"], 1

    def crossings(src, only=None):
        dist, count, prev = dijkstra(graph, src)
        out = {}
        for g, r in group_router.items():
            if only is not None and g not in only:
                continue
            if count[r] != 1:
                sys.exit(f"path {src} -> {r} is not unique ({count[r]} cheapest)")
            path, x = [r], r
            while x != src:
                x = prev[x]
                path.append(x)
            out[g] = [bump_links[frozenset(e)] for e in zip(path, path[1:]) if frozenset(e) in bump_links]
        return out

    resumes = {"box-b1-a1", "box-b2-a1"}
    for vantage, router, only in [("us-vps", "us-dc", None), ("kz-vps", "k1", None),
                                  ("atlas east (its targets)", "east", by_class["u1"] + by_class["k1"])] + [
            (f"atlas region{i} (its targets)", f"region{i}", by_class["n"]) for i in range(1, 6)]:
        cr = crossings(router, only)
        before = sum(trusted_in[g] for g, b in cr.items() if b)
        after = sum(trusted_in[g] for g, b in cr.items() if set(b) & resumes)
        print(f"{NAME[scale]}: {vantage}: paths cross a box to {before} trusted servers, "
              f"{after} after the pause", file=sys.stderr)
    print(f"{NAME[scale]}: {sum(trusted_in.values())} trusted servers, "
          f"{sum(g['count'] for g in groups)} in all", file=sys.stderr)
    return doc


NAME = {1.0: "kz-2019-07-21", 0.1: "kz-2019-07-21-reduced"}
# The full scenario is simulated as copies of the world in parallel processes, each with a
# share of the servers (scenarios/README.md, Shards); the reduced one, which CI runs, in one.
# 10 divides the scans' concurrency (100) and the sweep's (10), so the copies together keep
# as many connections open as one process; the three discovery hosts fall in three copies;
# and smaller copies taking turns on the cores (mitmlab run --parallel) spend less CPU.
SHARDS = {1.0: 10, 0.1: 1}
DESCRIPTION = {
    1.0: "Kazakhstan, 2019-07-21 to 22 (facts.md §1, §6, §7): 6,736 servers with browser-trusted certificates "
         "over the ASes of facts §6, plus untrusted ones; boxes on links between 92.47.151.210 / 92.47.150.198 "
         "and 95.56.243.92 / 95.59.170.59 and on one mobile link. A US VPS and a Kazakh VPS scan with SNI "
         "facebook.com and google.com; 52 Atlas-like probes scan a few hosts each; the Kazakh VPS tries "
         "10,000 candidate names and sweeps its intercepted hosts by TTL while the boxes stop early on "
         "07-22; two boxes resume 9 hours later and both VPSes scan again. Generated by "
         "scripts/make-kz-scenarios.py.",
    0.1: "The kz-2019-07-21 world at about a tenth of the hosts (same routers, boxes, schedules and jobs; "
         "1,000 candidate names): what CI runs on every change, its results kept under "
         "results/kz-2019-07-21-reduced. Generated by scripts/make-kz-scenarios.py.",
}
# When the sweep starts: chosen after measuring its rate so that the boxes' stop at STOP
# falls after about 1,212 (full) or 121 (reduced) hosts (see scenarios/README.md).
TRACE_START = {1.0: "2019-07-22T01:55:10Z", 0.1: "2019-07-22T01:59:31Z"}


def candidates(count):
    names = list(TARGETS) + [n for n in NEAR_MISSES if n not in TARGETS]
    i = 1
    while len(names) < count:
        names.append(f"site{i:05d}.top-sites.example")
        i += 1
    # A fixed interleaving, so the targets are not all at the top of the list.
    names.sort(key=lambda n: (hash_name(n), n))
    return names[:count]


def hash_name(n):
    h = 1469598103934665603
    for ch in n.encode():
        h = ((h ^ ch) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def main():
    for scale, count in [(1.0, 10000), (0.1, 1000)]:
        cfile = f"{NAME[scale]}-candidates.txt"
        names = candidates(count)
        assert all(t in names for t in TARGETS)
        with open(os.path.join(SCENARIOS, cfile), "w") as f:
            f.write(f"# {count} candidate SNI values for the domain discovery job of {NAME[scale]}.json:\n"
                    "# the 37 targets of facts.md §2, names close to them that the 2019 lists did not\n"
                    "# name, and fictional filler. Generated by scripts/make-kz-scenarios.py.\n")
            f.write("\n".join(names) + "\n")
        doc = build(scale, cfile, count)
        with open(os.path.join(SCENARIOS, NAME[scale] + ".json"), "w") as f:
            f.write("// Generated by scripts/make-kz-scenarios.py: edit that, not this file.\n")
            f.write(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
