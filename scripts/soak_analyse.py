#!/usr/bin/env python3
"""Pure analysis functions of the Partyline soak test (scripts/soak).

Everything here works on plain data -- journal records (dicts from journal.jsonl), emulator history
events (dicts from GET /sim/history), the driver's record of what it asked for, memory samples,
process results, file texts -- so it can be checked without a server:

    python3 scripts/soak_analyse.py --self-test     # synthetic cases, exit 0 when all pass
    python3 scripts/soak_analyse.py WORKDIR         # re-analyse a finished soak's files

Times are epoch seconds (floats) throughout; history times are parsed from ISO-8601 UTC.
"""

import base64
import json
import math
import os
import re
import sys
from collections import Counter, OrderedDict, defaultdict
from datetime import datetime, timezone

SECRET = "soak-secret-do-not-print"
CLIENT_ID = "soak"

# Check thresholds (the soak's promises).
OVERRUN_LIMIT_S = 2.0  # a lease must be visibly reverted within 2 s of its end
STANDING_MARGIN_S = 5.0  # a lease ended this long before the end of the soak and still muted = standing
MATCH_SLACK_S = 1.0  # clock slack when pairing a journal mute with the emulator's "muted" event
LEAK_LIMIT_MIB_PER_H = 20.0
LEAK_MIN_MINUTES = 20.0
MEMORY_WARMUP_S = 120.0
ORPHAN_MARGIN_S = 5.0
EARLY_TOLERANCE_S = 1.0  # an unmute requested this long before the lease end is early  # intents without outcome this close to the stop are "when stopping"


# --------------------------------------------------------------------------------------------- util


def parse_time(value):
    """ISO-8601 UTC ('2026-11-26T10:03:17.067Z', with or without fraction/offset) -> epoch float."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    s = value.strip()
    if s.endswith("Z") or s.endswith("z"):
        s = s[:-1] + "+00:00"
    # Python 3.11's fromisoformat takes any fraction length; pad/trim for older ones.
    m = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", s)
    if m and m.group(2):
        frac = (m.group(2) + "000000")[:7]
        s = m.group(1) + frac + m.group(3)
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def iso(t):
    if t is None:
        return None
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a list; None when empty."""
    if not values:
        return None
    v = sorted(values)
    k = max(1, math.ceil(p / 100.0 * len(v)))
    return v[min(k, len(v)) - 1]


def distribution(values):
    if not values:
        return {"count": 0, "worst": None, "p50": None, "p99": None}
    return {
        "count": len(values),
        "worst": round(max(values), 3),
        "p50": round(percentile(values, 50), 3),
        "p99": round(percentile(values, 99), 3),
    }


def parse_jsonl(text):
    """Parses JSON Lines; returns (records, bad_line_numbers). A torn last line counts as bad."""
    records, bad = [], []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            o = json.loads(line)
        except ValueError:
            bad.append(n)
            continue
        if isinstance(o, dict):
            records.append(o)
        else:
            bad.append(n)
    return records, bad


def normalise_history(events):
    """History events with parsed times: adds 't' (time) and 'req' (requestedAt) as epoch floats."""
    out = []
    for i, e in enumerate(events):
        e = dict(e)
        e["t"] = parse_time(e.get("time"))
        e["req"] = parse_time(e.get("requestedAt")) if e.get("requestedAt") else None
        e["_i"] = i
        out.append(e)
    return out


def _by_participant(history):
    by = defaultdict(list)
    for e in history:
        by[e.get("participantId")].append(e)
    return by


def _first_disconnect(history):
    first = {}
    for e in history:
        if e.get("event") == "disconnected":
            pid = e.get("participantId")
            if pid not in first or e["t"] < first[pid]:
                first[pid] = e["t"]
    return first


def _intents_outcomes(journal):
    intents = [r for r in journal if r.get("kind") == "intent"]
    outcomes = {}
    for r in journal:
        if r.get("kind") == "outcome":
            outcomes[r.get("id")] = r
    return intents, outcomes


def _check(name, ok, summary, **details):
    d = {"name": name, "ok": bool(ok), "summary": summary}
    d.update(details)
    return d


# ----------------------------------------------------------------------------- 1. lease overruns


def lease_overruns(journal, history, soak_end, limit=OVERRUN_LIMIT_S, standing_margin=STANDING_MARGIN_S,
                   slack=MATCH_SLACK_S, api_budget=120.0, early_tolerance=EARLY_TOLERANCE_S):
    """Check 1: how long after its end each lease was still visibly in force.

    A lease is a distinct (policy, directive, conversation, participant, leaseEnds) among mute intents.
    Intents whose outcome is `failed` opened no lease (the API refused: nothing took effect) and are
    counted apart. The lease's mute is the first `muted` event of that participant whose requestedAt
    falls between the intent and its outcome (+- slack); the lease's end is the first later
    `unmuted` (changed) or `disconnected` event of the participant. overrun = end time - leaseEnds.
    """
    intents, outcomes = _intents_outcomes(journal)
    by_pid = _by_participant(history)
    groups = OrderedDict()
    for r in intents:
        if r.get("action") != "mute" or r.get("leaseEnds") is None or not r.get("participant"):
            continue
        key = (r.get("policy"), r.get("directive"), r.get("conversation"), r.get("participant"),
               round(float(r["leaseEnds"]), 3))
        groups.setdefault(key, []).append(r)

    rows, early = [], []
    counts = Counter()
    visible, requested, reverted_visible = [], [], []
    for key, rs in groups.items():
        policy, directive, cid, pid, ends = key
        live = [r for r in rs if (outcomes.get(r.get("id")) or {}).get("status") != "failed"]
        if not live:
            counts["refused"] += 1
            continue
        live.sort(key=lambda r: r.get("t", 0))
        start = float(live[0].get("t", 0)) - slack
        stop = None
        for r in live:
            o = outcomes.get(r.get("id"))
            t = float(o["t"]) if o and o.get("t") is not None else float(r.get("t", 0)) + api_budget
            stop = t if stop is None else max(stop, t)
        stop += slack
        events = [e for e in by_pid.get(pid, []) if e.get("conversationId") in (None, cid)]
        muted = None
        for e in events:
            if e.get("event") == "muted":
                at = e["req"] if e.get("req") is not None else e["t"]
                if start <= at <= stop:
                    muted = e
                    break
        if muted is None:
            counts["never_muted"] += 1
            continue
        if muted.get("changed") is False:
            counts["muted_unchanged"] += 1
        end = None
        for e in events:
            if e["_i"] <= muted["_i"]:
                continue
            if (e.get("event") == "unmuted" and e.get("changed") is not False) or e.get("event") == "disconnected":
                end = e
                break
        row = {"policy": policy, "conversation": cid, "participant": pid, "leaseEnds": ends,
               "leaseEndsAt": iso(ends), "mutedAt": iso(muted["t"])}
        if end is None:
            if ends < soak_end - standing_margin:
                counts["standing"] += 1
                row.update(end="standing", overrun=round(soak_end - ends, 3))
                visible.append(soak_end - ends)
                rows.append(row)
            else:
                counts["open_at_end"] += 1
            continue
        over = end["t"] - ends
        visible.append(over)
        if end["event"] == "unmuted":
            counts["reverted"] += 1
            reverted_visible.append(over)
            req = end.get("req") if end.get("req") is not None else end["t"]
            requested.append(req - ends)
            row.update(end="unmuted", endAt=iso(end["t"]), overrun=round(over, 3),
                       requestOverrun=round(req - ends, 3))
            if req < ends - early_tolerance:
                counts["unmuted_early"] += 1
                early.append(dict(row, early=round(ends - req, 3)))
        else:
            counts["left_or_ended"] += 1
            row.update(end="disconnected", endAt=iso(end["t"]), overrun=round(over, 3))
        rows.append(row)

    worst = max(visible) if visible else None
    ok = worst is None or worst <= limit
    rows.sort(key=lambda r: -r.get("overrun", 0))
    judged = len(visible)
    summary = (
        f"{judged} leases judged, worst visible overrun "
        f"{'n/a' if worst is None else f'{worst:.3f}s'} (limit {limit}s); "
        f"{counts['standing']} standing, {counts['never_muted']} never muted, {counts['refused']} refused"
    )
    return _check(
        "lease_overrun", ok, summary,
        leases=len(groups), counts=dict(counts), limit=limit,
        visible=distribution(visible), reverted=distribution(reverted_visible),
        atRequest=distribution(requested), worstRows=rows[:10], earlyUnmutes=early)


def early_unmutes(overrun_check, tolerance=EARLY_TOLERANCE_S):
    """Extra check (not in the original brief): no lease is ended by an unmute requested before its end.

    The soak never removes a mute entry while its conversation is live (files go 60 s after the end),
    so an unmute requested more than `tolerance` before leaseEnds cut a mute short (for example a
    prune by a run holding an older copy of the policy files)."""
    early = sorted(overrun_check.get("earlyUnmutes", []), key=lambda r: -r["early"])
    summary = (f"{len(early)} mutes ended early by an unmute"
               + (f", worst {early[0]['early']}s before its lease end" if early else ""))
    return _check("no_early_unmute", not early, summary, tolerance=tolerance, count=len(early),
                  rows=early[:20])


# ---------------------------------------------------------------------------- 2. duplicates


def duplicates(journal, history):
    """Check 2: (a) one lease per directive and participant; (b) one `added` per (conversation, user)."""
    intents, outcomes = _intents_outcomes(journal)
    ends_live = defaultdict(set)
    ends_all = defaultdict(set)
    for r in intents:
        if r.get("action") != "mute" or r.get("leaseEnds") is None:
            continue
        key = (r.get("policy"), r.get("directive"), r.get("conversation"), r.get("participant"))
        v = round(float(r["leaseEnds"]), 3)
        ends_all[key].add(v)
        if (outcomes.get(r.get("id")) or {}).get("status") != "failed":
            ends_live[key].add(v)
    reopened = [
        {"policy": k[0], "directive": k[1], "conversation": k[2], "participant": k[3],
         "leaseEnds": sorted(v)}
        for k, v in ends_live.items() if len(v) > 1
    ]
    retried = sum(1 for k, v in ends_all.items() if len(v) > 1 and len(ends_live.get(k, ())) <= 1)

    user_of = {}
    for e in history:
        if e.get("userId"):
            user_of[e.get("participantId")] = e["userId"]
    added = Counter()
    unknown_user = 0
    for e in history:
        if e.get("event") != "added":
            continue
        u = e.get("userId") or user_of.get(e.get("participantId"))
        if not u:
            unknown_user += 1
            continue
        added[(e.get("conversationId"), u)] += 1
    dup_adds = [{"conversation": c, "user": u, "added": n} for (c, u), n in added.items() if n > 1]
    ok = not reopened and not dup_adds and unknown_user == 0
    summary = (
        f"{len(reopened)} leases re-opened, {len(dup_adds)} users added twice"
        + (f", {unknown_user} 'added' events without a user (cannot check)" if unknown_user else "")
        + f"; {sum(added.values())} adds seen"
    )
    return _check("no_duplicates", ok, summary, reopenedLeases=reopened[:20], reopenedCount=len(reopened),
                  retriedAfterFailure=retried, duplicateAdds=dup_adds[:20], duplicateAddCount=len(dup_adds),
                  addedEventsWithoutUser=unknown_user, addedEvents=sum(added.values()))


# ---------------------------------------------------------------------------------- 3. lost


def lost(driver, history, grace, soak_end):
    """Check 3: every mute/add the driver asked for, given a fair chance, happened.

    driver = {"conversations": {cid: {"agents": [{"participant", "joinedAt"}], ...}},
              "mutes": [{"conversation", "participant", "writtenAt", ...}],
              "adds": [{"conversation", "user", "writtenAt", ...}]}
    A request is judged when, for `grace` seconds after it was written (and before the soak ended),
    its participant stayed connected (mutes) and some agent of the conversation that had joined by
    then stayed connected (the acting user; a conversation's end disconnects it).
    """
    disc = _first_disconnect(history)
    convs = driver.get("conversations", {})

    def agent_ok(cid, t0, t1):
        for a in convs.get(cid, {}).get("agents", []):
            if a.get("joinedAt", 0) <= t0 + 0.5:
                d = disc.get(a.get("participant"))
                if d is None or d > t1:
                    return True
        return False

    muted_at = {}
    for e in history:
        if e.get("event") == "muted" and e.get("changed") is not False:
            muted_at.setdefault(e.get("participantId"), []).append(e["t"])
    added = Counter()
    user_of = {e.get("participantId"): e.get("userId") for e in history if e.get("userId")}
    for e in history:
        if e.get("event") == "added":
            u = e.get("userId") or user_of.get(e.get("participantId"))
            added[(e.get("conversationId"), u)] += 1

    mc = Counter()
    lost_mutes, latencies = [], []
    for m in driver.get("mutes", []):
        w = m["writtenAt"]
        pid = m["participant"]
        if w + grace > soak_end:
            mc["too_late_to_judge"] += 1
            continue
        if not agent_ok(m["conversation"], w, w + grace):
            mc["no_agent"] += 1  # the conversation ended, or no acting user
            continue
        d = disc.get(pid)
        if d is not None and d <= w + grace:
            mc["participant_left"] += 1
            continue
        mc["judged"] += 1
        times = [t for t in muted_at.get(pid, []) if t >= w - MATCH_SLACK_S]
        if times:
            latencies.append(min(times) - w)
        else:
            lost_mutes.append(dict(m, writtenAtIso=iso(w)))

    ac = Counter()
    lost_adds, dup_adds = [], []
    for a in driver.get("adds", []):
        w = a["writtenAt"]
        if w + grace > soak_end:
            ac["too_late_to_judge"] += 1
            continue
        if not agent_ok(a["conversation"], w, w + grace):
            ac["conversation_ended"] += 1
            continue
        ac["judged"] += 1
        n = added[(a["conversation"], a["user"])]
        if n == 0:
            lost_adds.append(dict(a, writtenAtIso=iso(w)))
        elif n > 1:
            dup_adds.append(dict(a, added=n))
    ok = not lost_mutes and not lost_adds and not dup_adds
    summary = (
        f"mutes: {mc['judged']} judged, {len(lost_mutes)} lost; adds: {ac['judged']} judged, "
        f"{len(lost_adds)} lost, {len(dup_adds)} more than once (grace {grace:g}s)"
    )
    return _check("nothing_lost", ok, summary, grace=grace, mutes=dict(mc), adds=dict(ac),
                  muteLatency=distribution(latencies), lostMutes=lost_mutes[:20], lostMuteCount=len(lost_mutes),
                  lostAdds=lost_adds[:20], lostAddCount=len(lost_adds), repeatedAdds=dup_adds[:20])


# ----------------------------------------------------------------------------- 4. completeness


def journal_completeness(journal, stop_time, margin=ORPHAN_MARGIN_S, bad_lines=()):
    """Check 4: every intent has an outcome, except possibly intents made as the runs were stopped."""
    intents, outcomes = _intents_outcomes(journal)
    orphans_early, orphans_late = [], []
    for r in intents:
        if r.get("id") in outcomes:
            continue
        row = {"id": r.get("id"), "action": r.get("action"), "conversation": r.get("conversation"),
               "at": iso(r.get("t"))}
        if stop_time is not None and r.get("t", 0) >= stop_time - margin:
            orphans_late.append(row)
        else:
            orphans_early.append(row)
    by_intent = Counter(r.get("action") for r in intents)
    by_outcome = Counter(f"{r.get('action')}/{r.get('status')}" for r in journal if r.get("kind") == "outcome")
    by_conf = Counter(f"{r.get('action')}/{r.get('status')}" for r in journal if r.get("kind") == "confirmation")
    closes = Counter(r.get("action") for r in journal if r.get("kind") == "close")
    ok = not orphans_early and not list(bad_lines)
    summary = (
        f"{len(intents)} intents, {len(outcomes)} outcomes; {len(orphans_early)} intents without outcome "
        f"before the stop, {len(orphans_late)} at the stop; {len(list(bad_lines))} unreadable lines"
    )
    return _check("journal_complete", ok, summary, intents=dict(by_intent), outcomes=dict(sorted(by_outcome.items())),
                  confirmations=dict(sorted(by_conf.items())), closedLeases=dict(closes), orphansBeforeStop=orphans_early[:20],
                  orphansBeforeStopCount=len(orphans_early), orphansAtStop=orphans_late[:20],
                  badLines=list(bad_lines)[:20])


# -------------------------------------------------------------------------------- 5. memory


def slope_per_hour(points):
    """Least-squares slope of [(t seconds, value)] in value per hour; None with < 2 points or no span."""
    if len(points) < 2:
        return None
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    sxx = sum((t - mx) ** 2 for t, _ in points)
    if sxx == 0:
        return None
    sxy = sum((t - mx) * (v - my) for t, v in points)
    return sxy / sxx * 3600.0


def memory_trend(samples, key, warmup=MEMORY_WARMUP_S):
    """samples: [{"t": seconds since start, key: RSS KiB or None}] -> MiB figures and slope (MiB/h)."""
    pts = [(s["t"], s[key] / 1024.0) for s in samples if s.get(key) is not None]
    after = [p for p in pts if p[0] >= warmup]
    slope = slope_per_hour(after)
    return {
        "samples": len(pts),
        "firstAfterWarmupMiB": round(after[0][1], 1) if after else None,
        "lastMiB": round(pts[-1][1], 1) if pts else None,
        "maxMiB": round(max(v for _, v in pts), 1) if pts else None,
        "slopeMiBPerHour": None if slope is None else round(slope, 2),
    }


def memory_check(samples, run_minutes, limit=LEAK_LIMIT_MIB_PER_H, min_minutes=LEAK_MIN_MINUTES):
    """Check 5: the watch's RSS does not grow by more than `limit` MiB/h (judged on runs >= min_minutes)."""
    watch = memory_trend(samples, "watch")
    sim = memory_trend(samples, "sim")
    slope = watch["slopeMiBPerHour"]
    judged = run_minutes >= min_minutes and slope is not None
    ok = not (judged and slope > limit)
    why = "" if judged else (f" (not judged: run shorter than {min_minutes:g} min)" if slope is not None
                             else " (not judged: too few samples after the first 2 min)")
    summary = (
        f"watch RSS {_fmt(watch['firstAfterWarmupMiB'])} -> {_fmt(watch['lastMiB'])} MiB "
        f"(max {_fmt(watch['maxMiB'])}), slope {_fmt(slope, ' MiB/h')}{why}; "
        f"emulator {_fmt(sim['lastMiB'], ' MiB')}, slope {_fmt(sim['slopeMiBPerHour'], ' MiB/h')}"
    )
    return _check("memory", ok, summary, watch=watch, emulator=sim, judged=judged, limitMiBPerHour=limit)


# ------------------------------------------------------------------------------ 6. processes


def process_health(watch, applies):
    """Check 6. watch = {"exit": int|None, "killed": bool, "diedEarly": bool}; applies = [{"exit", "timedOut"}]."""
    codes = Counter()
    crashed = []
    for a in applies:
        if a.get("timedOut"):
            codes["timeout"] += 1
            crashed.append(a)
            continue
        c = a.get("exit")
        codes[str(c)] += 1
        if c not in (0, 1):
            crashed.append(a)
    problems = []
    if watch.get("diedEarly"):
        problems.append(f"watch exited during the soak (exit {watch.get('exit')})")
    if watch.get("killed"):
        problems.append("watch did not stop within 30 s of SIGTERM (killed)")
    elif watch.get("exit") != 0 and not watch.get("diedEarly"):
        problems.append(f"watch exit code {watch.get('exit')} after SIGTERM")
    if crashed:
        problems.append(f"{len(crashed)} apply runs crashed or timed out")
    ok = not problems
    summary = (f"watch exit {watch.get('exit')}; applies: "
               + (", ".join(f"exit {k}: {v}" for k, v in sorted(codes.items())) or "none")
               + ("; " + "; ".join(problems) if problems else ""))
    return _check("processes", ok, summary, watch=watch, applyExitCodes=dict(codes), applies=len(applies),
                  crashedApplies=crashed[:20])


# --------------------------------------------------------------------------------- 7. secrets

TOKEN_SHAPE = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")
BEARER = re.compile(r"(?i)bearer[\s:=\"']+[A-Za-z0-9._~+/-]{16,}")
ACCESS_TOKEN = re.compile(r"(?i)\"?access_token\"?\s*[:=]\s*\"?[A-Za-z0-9._~+/-]{8,}")


def looks_like_token(s):
    """A 43-character URL-safe string with upper case, lower case and digits (the emulator's tokens)."""
    return (len(s) == 43 and re.search(r"[A-Z]", s) is not None and re.search(r"[a-z]", s) is not None
            and re.search(r"[0-9]", s) is not None)


def redact(text, secret=SECRET):
    """Text safe to repeat in a report: the secret, bearer tokens and token-shaped strings masked."""
    text = text.replace(secret, "***")
    text = BEARER.sub("Bearer ***", text)
    text = ACCESS_TOKEN.sub("access_token ***", text)
    return TOKEN_SHAPE.sub(lambda m: "***" if looks_like_token(m.group(0)) else m.group(0), text)


def secret_scan(texts, secret=SECRET, client_id=CLIENT_ID, known_tokens=()):
    """Check 7. texts = {name: text}. Finds the client secret, Basic credentials, bearer tokens."""
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    findings = []
    for name, text in texts.items():
        for n, line in enumerate(text.splitlines(), 1):
            kinds = []
            if secret in line:
                kinds.append("client secret")
            if basic in line:
                kinds.append("Basic credentials")
            for t in known_tokens:
                if t and t in line:
                    kinds.append("a minted token")
            if BEARER.search(line):
                kinds.append("bearer token")
            if ACCESS_TOKEN.search(line):
                kinds.append("access_token")
            if any(looks_like_token(m.group(0)) for m in TOKEN_SHAPE.finditer(line)):
                kinds.append("token-shaped string")
            for k in kinds:
                findings.append({"file": name, "line": n, "kind": k})
    ok = not findings
    summary = (f"{len(texts)} files scanned, " +
               ("nothing found" if ok else f"{len(findings)} findings: "
                + ", ".join(sorted({f"{f['kind']} in {f['file']}" for f in findings})[:5])))
    return _check("no_secrets", ok, summary, files=sorted(texts), findings=findings[:50])


# ------------------------------------------------------------------------------------ stats


def request_stats(requests):
    """From GET /sim/requests: totals by route/status, 429s and injected faults (500/503/504/reset)."""
    routes = []
    statuses = Counter()
    for r in (requests or {}).get("routes", []):
        st = {str(k): int(v) for k, v in (r.get("statuses") or {}).items()}
        statuses.update(st)
        routes.append({"route": r.get("route"), "total": r.get("total"), "statuses": st})
    routes.sort(key=lambda r: -(r["total"] or 0))
    faults = sum(statuses.get(k, 0) for k in ("500", "503", "504", "reset"))
    return {"total": (requests or {}).get("total"), "statuses": dict(sorted(statuses.items())),
            "rateLimited429": statuses.get("429", 0), "injectedFaults": faults, "routes": routes}


def journal_stats(journal):
    """Outcomes of mutes, reverts/prunes and adds by status."""
    out = defaultdict(Counter)
    for r in journal:
        if r.get("kind") == "outcome":
            out[r.get("action")][r.get("status")] += 1
    return {a: dict(c) for a, c in sorted(out.items())}


def history_stats(history):
    return dict(Counter(e.get("event") for e in history))


# ---------------------------------------------------------------------------------- analyse


def analyse(journal, history_events, driver, soak_end, stop_time, samples, run_minutes, watch, applies,
            texts, requests, grace, bad_lines=(), known_tokens=(), extra_checks=()):
    """Runs every check; returns the report (a JSON-able dict with "ok" and "checks")."""
    history = normalise_history(history_events)
    overrun = lease_overruns(journal, history, soak_end)
    checks = [
        overrun,
        early_unmutes(overrun),
        duplicates(journal, history),
        lost(driver, history, grace, soak_end),
        journal_completeness(journal, stop_time, bad_lines=bad_lines),
        memory_check(samples, run_minutes),
        process_health(watch, applies),
        secret_scan(texts, known_tokens=known_tokens),
    ]
    checks.extend(extra_checks)
    return {
        "ok": all(c["ok"] for c in checks),
        "checks": checks,
        "requests": request_stats(requests),
        "journal": journal_stats(journal),
        "history": history_stats(history),
    }


def _fmt(v, unit=""):
    return "n/a" if v is None else f"{v}{unit}"


def format_report(report):
    """The human-readable report."""
    lines = []
    meta = report.get("run", {})
    lines.append("=" * 78)
    lines.append("Partyline soak report" + (f" -- {meta.get('minutes')} min, seed {meta.get('seed')}" if meta else ""))
    if meta:
        lines.append(f"  {meta.get('startedAt')} .. {meta.get('endedAt')}   work dir {meta.get('work')}")
        if meta.get("interrupted"):
            lines.append("  INTERRUPTED before the planned end")
    if report.get("error"):
        lines.append(f"  ERROR: {report['error']}")
    w = report.get("world")
    if w:
        lines.append(
            f"  world: {w.get('conversationsStarted', 0)} conversations started, {w.get('conversationsEnded', 0)} "
            f"ended ({w.get('liveAtEnd', 0)} live at the end), {w.get('joins', 0)} joins, {w.get('leaves', 0)} leaves, "
            f"{w.get('mutesWritten', 0)} mutes and {w.get('addsWritten', 0)} adds written, "
            f"{w.get('policyFilesDeleted', 0)} policy files deleted")
    lines.append("-" * 78)
    for c in report.get("checks", []):
        lines.append(f"[{'PASS' if c['ok'] else 'FAIL'}] {c['name']}: {c['summary']}")
        if c["name"] == "lease_overrun":
            for label, key in (("visible", "visible"), ("reverted only", "reverted"), ("at unmute request", "atRequest")):
                d = c[key]
                lines.append(f"       {label:18} n={d['count']} worst={_fmt(d['worst'], 's')} "
                             f"p50={_fmt(d['p50'], 's')} p99={_fmt(d['p99'], 's')}")
            lines.append(f"       ends: {c['counts']}")
            for r in c.get("worstRows", [])[:3]:
                if r.get("overrun", 0) > c["limit"]:
                    lines.append(f"       late: {r['policy']} participant {r['participant'][:8]} ended "
                                 f"{r['leaseEndsAt']} -> {r.get('end')} {r.get('endAt', '')} (+{r['overrun']}s)")
        elif c["name"] == "nothing_lost":
            d = c["muteLatency"]
            lines.append(f"       mute latency (policy written -> muted): n={d['count']} p50={_fmt(d['p50'], 's')} "
                         f"p99={_fmt(d['p99'], 's')} worst={_fmt(d['worst'], 's')}")
            lines.append(f"       mutes {c['mutes']}  adds {c['adds']}")
            for m in c.get("lostMutes", [])[:3]:
                lines.append(f"       lost mute: {m.get('policy')} participant {m['participant'][:8]} "
                             f"written {m['writtenAtIso']}")
            for a in c.get("lostAdds", [])[:3]:
                lines.append(f"       lost add: {a.get('policy')} user {a['user'][:8]} written {a['writtenAtIso']}")
        elif c["name"] == "journal_complete":
            lines.append(f"       outcomes: {c['outcomes']}")
            if c["confirmations"]:
                lines.append(f"       confirmations: {c['confirmations']}")
            if c.get("closedLeases"):
                lines.append(f"       leases closed without a revert: {c['closedLeases']}")
        elif c["name"] == "memory":
            for label in ("watch", "emulator"):
                m = c[label]
                lines.append(f"       {label:8} first after 2 min {_fmt(m['firstAfterWarmupMiB'], ' MiB')}, "
                             f"last {_fmt(m['lastMiB'], ' MiB')}, max {_fmt(m['maxMiB'], ' MiB')}, "
                             f"slope {_fmt(m['slopeMiBPerHour'], ' MiB/h')} ({m['samples']} samples)")
        elif c["name"] == "processes":
            for a in c.get("crashedApplies", [])[:3]:
                lines.append(f"       apply #{a.get('n')}: exit {a.get('exit')} timedOut={a.get('timedOut')} "
                             f"{(a.get('stderrTail') or '').strip()[-200:]}")
        elif c["name"] == "no_early_unmute":
            for r in c.get("rows", [])[:3]:
                lines.append(f"       early: {r['policy']} participant {r['participant'][:8]} lease to "
                             f"{r['leaseEndsAt']}, unmuted {r.get('endAt')} ({r['early']}s early)")
        elif c["name"] == "no_secrets":
            for f in c.get("findings", [])[:5]:
                lines.append(f"       {f['kind']} at {f['file']}:{f['line']}")
        elif c.get("details"):
            for d in c["details"][:5]:
                lines.append(f"       {d}")
    lines.append("-" * 78)
    rq = report.get("requests", {})
    lines.append(f"API requests: {rq.get('total')} total, {rq.get('rateLimited429')} answered 429, "
                 f"{rq.get('injectedFaults')} injected faults; statuses {rq.get('statuses')}")
    for r in rq.get("routes", [])[:12]:
        lines.append(f"  {r['total']:>7}  {r['route']}  {r['statuses']}")
    lines.append(f"journal outcomes by action/status: {report.get('journal')}")
    lines.append(f"emulator history events: {report.get('history')}")
    ap = report.get("applies")
    if ap:
        lines.append(f"apply runs: {ap.get('runs')} (exit codes {ap.get('exitCodes')}, skipped while one was "
                     f"running: {ap.get('skipped')}), duration p50 {_fmt(ap.get('durationP50'), 's')} "
                     f"max {_fmt(ap.get('durationMax'), 's')}")
    lines.append("=" * 78)
    reasons = [c["name"] for c in report.get("checks", []) if not c["ok"]]
    if meta.get("interrupted"):
        reasons.append("interrupted")
    if report.get("error"):
        reasons.append("error")
    lines.append("RESULT: " + ("PASS" if report.get("ok") else "FAIL (" + ", ".join(reasons) + ")"))
    return "\n".join(lines)


# -------------------------------------------------------------------------------- self-test


def _self_test():
    failures = []

    def expect(cond, what):
        if not cond:
            failures.append(what)
            print(f"  FAIL {what}")
        else:
            print(f"  ok   {what}")

    T = 1_800_000_000.0

    def ev(t, cid, pid, event, req=None, changed=None, user=None):
        e = {"time": iso(t), "conversationId": cid, "participantId": pid, "event": event}
        if req is not None:
            e["requestedAt"] = iso(req)
        if changed is not None:
            e["changed"] = changed
        if user:
            e["userId"] = user
        return e

    def intent(i, t, pid, ends, action="mute", cid="c1", policy="conv-c1", directive="d1", **kw):
        r = {"kind": "intent", "id": i, "t": t, "action": action, "conversation": cid, "participant": pid,
             "policy": policy, "directive": directive}
        if ends is not None:
            r["leaseEnds"] = ends
        r.update(kw)
        return r

    def outcome(i, t, status, action="mute", cid="c1", pid=None):
        return {"kind": "outcome", "id": i, "t": t, "action": action, "conversation": cid, "participant": pid,
                "status": status}

    print("parse_time / percentile")
    expect(abs(parse_time("2026-11-26T10:03:17.067Z") - datetime(2026, 11, 26, 10, 3, 17, 67000,
                                                                   tzinfo=timezone.utc).timestamp()) < 1e-6,
           "ISO with milliseconds")
    expect(parse_time("2026-11-26T10:03:17Z") == datetime(2026, 11, 26, 10, 3, 17, tzinfo=timezone.utc).timestamp(),
           "ISO without fraction")
    expect(abs(parse_time(iso(T + 0.25)) - (T + 0.25)) < 1e-3, "iso() round trip")
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50) == 5 and percentile(list(range(1, 101)), 99) == 99,
           "nearest-rank percentiles")
    recs, bad = parse_jsonl('{"a":1}\n\n{"b":2}\n{"torn":')
    expect(len(recs) == 2 and bad == [4], "jsonl with a torn last line")

    print("check 1: lease overrun")
    # p1: muted at T+0.3, lease ends T+30, unmute requested T+30.4 visible T+30.7 -> +0.7 s
    # p2: left at T+10 before its lease (T+60) ended -> negative overrun
    # p3: mute refused (outcome failed): no lease
    # p4: mute sent but never visible (participant left before the PATCH took effect): skipped, counted
    # p5: still muted at the end, lease ended T+100, soak ended T+200 -> standing, +100 s -> FAIL
    # p6: lease ends T+198: open at the end, not judged
    j = [
        intent("a", T, "p1", T + 30), outcome("a", T + 0.1, "ok", pid="p1"),
        intent("b", T, "p2", T + 60), outcome("b", T + 0.1, "ok", pid="p2"),
        intent("c", T, "p3", T + 60), outcome("c", T + 0.1, "failed", pid="p3"),
        intent("d", T, "p4", T + 60), outcome("d", T + 0.1, "unknown", pid="p4"),
        intent("r1", T + 30.3, "p1", None, action="revert"), outcome("r1", T + 30.5, "ok", "revert", pid="p1"),
    ]
    h = [
        ev(T + 0.3, "c1", "p1", "muted", req=T + 0.05, changed=True),
        ev(T + 0.3, "c1", "p2", "muted", req=T + 0.05, changed=True),
        ev(T + 10, "c1", "p2", "disconnected"),
        ev(T + 0.05, "c1", "p4", "disconnected"),
        ev(T + 30.7, "c1", "p1", "unmuted", req=T + 30.4, changed=True),
    ]
    r = lease_overruns(j, normalise_history(h), soak_end=T + 200)
    expect(r["ok"], "on-time revert and early leave pass")
    expect(r["visible"]["worst"] == 0.7 and r["atRequest"]["worst"] == 0.4, "visible +0.7 s, at request +0.4 s")
    expect(r["counts"].get("left_or_ended") == 1 and r["counts"].get("refused") == 1
           and r["counts"].get("never_muted") == 1, "counts: left 1, refused 1, never muted 1")
    j2 = j + [intent("e", T + 40, "p5", T + 100), outcome("e", T + 40.1, "ok", pid="p5"),
              intent("f", T + 40, "p6", T + 198), outcome("f", T + 40.1, "ok", pid="p6")]
    h2 = h + [ev(T + 40.3, "c1", "p5", "muted", req=T + 40.05, changed=True),
              ev(T + 40.3, "c1", "p6", "muted", req=T + 40.05, changed=True)]
    r = lease_overruns(j2, normalise_history(h2), soak_end=T + 200)
    expect(not r["ok"] and r["counts"].get("standing") == 1 and r["visible"]["worst"] == 100.0,
           "standing mute fails with overrun soak_end - leaseEnds")
    expect(r["counts"].get("open_at_end") == 1, "lease still running at the end is not judged")
    # Late revert: +2.5 s visible -> FAIL
    h3 = h[:-1] + [ev(T + 32.5, "c1", "p1", "unmuted", req=T + 32.2, changed=True)]
    r = lease_overruns(j, normalise_history(h3), soak_end=T + 200)
    expect(not r["ok"] and r["visible"]["worst"] == 2.5, "late revert (+2.5 s) fails")
    # An unmute that changed nothing does not end the lease; the later real one does.
    h4 = h[:-1] + [ev(T + 30.2, "c1", "p1", "unmuted", req=T + 29.9, changed=False),
                   ev(T + 31.0, "c1", "p1", "unmuted", req=T + 30.7, changed=True)]
    r = lease_overruns(j, normalise_history(h4), soak_end=T + 200)
    expect(r["visible"]["worst"] == 1.0, "unmuted with changed=false is not the end")
    # An unmute requested long before the lease end (a premature prune) is an early unmute.
    h6 = h[:-1] + [ev(T + 12.3, "c1", "p1", "unmuted", req=T + 12.0, changed=True)]
    r = lease_overruns(j, normalise_history(h6), soak_end=T + 200)
    e = early_unmutes(r)
    expect(r["ok"] and not e["ok"] and e["rows"][0]["early"] == 18.0, "unmute 18 s before the lease end fails")
    expect(early_unmutes(lease_overruns(j, normalise_history(h), soak_end=T + 200))["ok"],
           "an on-time revert is not early")
    # A failed mute and its retry (new leaseEnds): the failed one is no lease, the retry is matched to its
    # own muted event (not to the first intent's lease end).
    j5 = [intent("g", T, "p7", T + 30), outcome("g", T + 0.1, "failed", pid="p7"),
          intent("h", T + 20, "p7", T + 50), outcome("h", T + 20.1, "ok", pid="p7")]
    h5 = [ev(T + 20.3, "c1", "p7", "muted", req=T + 20.05, changed=True),
          ev(T + 50.6, "c1", "p7", "unmuted", req=T + 50.3, changed=True)]
    r = lease_overruns(j5, normalise_history(h5), soak_end=T + 200)
    expect(r["ok"] and r["visible"]["worst"] == 0.6 and r["counts"].get("refused") == 1,
           "failed mute then retry: judged on the retry's lease")

    print("check 2: duplicates")
    d = duplicates(j5, normalise_history(h5))
    expect(d["ok"] and d["retriedAfterFailure"] == 1, "retry after a refused mute is not a re-opened lease")
    j6 = [intent("i", T, "p8", T + 30), outcome("i", T + 0.1, "ok", pid="p8"),
          intent("k", T + 40, "p8", T + 70), outcome("k", T + 40.1, "ok", pid="p8")]
    d = duplicates(j6, [])
    expect(not d["ok"] and d["reopenedCount"] == 1, "two leases for one directive and participant fail")
    j7 = [intent("l", T, "p9", T + 30), outcome("l", T + 0.1, "ok", pid="p9"),
          intent("m", T + 10, "p9", T + 30), outcome("m", T + 10.1, "ok", pid="p9")]
    expect(duplicates(j7, [])["ok"], "a re-mute within the same lease (same leaseEnds) is fine")
    hadd = [ev(T, "c1", "x1", "added", user="u1"), ev(T + 1, "c1", "x1", "connected", user="u1"),
            ev(T + 5, "c2", "x2", "added", user="u1")]
    expect(duplicates([], normalise_history(hadd))["ok"], "one add per conversation and user passes")
    d = duplicates([], normalise_history(hadd + [ev(T + 9, "c1", "x3", "added", user="u1")]))
    expect(not d["ok"] and d["duplicateAddCount"] == 1, "the same user added twice to one conversation fails")
    d = duplicates([], normalise_history([ev(T, "c1", "x9", "added")]))
    expect(not d["ok"] and d["addedEventsWithoutUser"] == 1, "an 'added' without a user cannot pass silently")

    print("check 3: nothing lost")
    driver = {
        "conversations": {
            "c1": {"agents": [{"participant": "a1", "joinedAt": T - 10}]},
            "c2": {"agents": [{"participant": "a2", "joinedAt": T - 10}]},
        },
        "mutes": [
            {"conversation": "c1", "participant": "q1", "writtenAt": T, "policy": "conv-c1"},  # muted: fine
            {"conversation": "c1", "participant": "q2", "writtenAt": T, "policy": "conv-c1"},  # left at +10: skip
            {"conversation": "c2", "participant": "q3", "writtenAt": T, "policy": "conv-c2"},  # c2 ended +20: skip
            {"conversation": "c1", "participant": "q4", "writtenAt": T, "policy": "conv-c1"},  # never muted: LOST
            {"conversation": "c1", "participant": "q5", "writtenAt": T + 190, "policy": "conv-c1"},  # too late
        ],
        "adds": [
            {"conversation": "c1", "user": "u1", "writtenAt": T, "policy": "conv-c1"},  # added once: fine
            {"conversation": "c2", "user": "u2", "writtenAt": T, "policy": "conv-c2"},  # c2 ended: skip
        ],
    }
    hl = [ev(T + 12, "c1", "q1", "muted", req=T + 11.7, changed=True),
          ev(T + 10, "c1", "q2", "disconnected"),
          ev(T + 20, "c2", "a2", "disconnected"), ev(T + 20, "c2", "q3", "disconnected"),
          ev(T + 13, "c1", "x1", "added", user="u1")]
    lr = lost(driver, normalise_history(hl), grace=25, soak_end=T + 200)
    expect(not lr["ok"] and lr["lostMuteCount"] == 1 and lr["lostMutes"][0]["participant"] == "q4",
           "a mute never seen is lost; left/ended/too-late ones are not judged")
    expect(lr["mutes"] == {"judged": 2, "participant_left": 1, "no_agent": 1, "too_late_to_judge": 1},
           "mute exclusion counts")
    expect(lr["adds"] == {"judged": 1, "conversation_ended": 1} and lr["lostAddCount"] == 0, "adds judged")
    expect(lr["muteLatency"]["worst"] == 12.0, "mute latency from policy write to visible mute")
    driver["mutes"] = driver["mutes"][:3]
    lr = lost(driver, normalise_history(hl), grace=25, soak_end=T + 200)
    expect(lr["ok"], "without the lost mute the check passes")
    driver["adds"].append({"conversation": "c1", "user": "u3", "writtenAt": T, "policy": "conv-c1"})
    lr = lost(driver, normalise_history(hl), grace=25, soak_end=T + 200)
    expect(not lr["ok"] and lr["lostAddCount"] == 1, "an add never made is lost")

    print("check 4: journal completeness")
    jc = [intent("n1", T, "p1", T + 30), outcome("n1", T + 1, "ok", pid="p1"),
          intent("n2", T + 98, "p2", T + 130)]
    c = journal_completeness(jc, stop_time=T + 100)
    expect(c["ok"] and len(c["orphansAtStop"]) == 1, "an intent without outcome at the stop is allowed")
    c = journal_completeness(jc, stop_time=T + 300)
    expect(not c["ok"] and c["orphansBeforeStopCount"] == 1, "an intent without outcome mid-run fails")
    expect(c["outcomes"] == {"mute/ok": 1}, "outcome counts by action/status")

    print("check 5: memory")
    grow = [{"t": t, "watch": int((30 + 30.0 * t / 3600) * 1024), "sim": 50 * 1024} for t in range(0, 25 * 60, 10)]
    m = memory_check(grow, run_minutes=25)
    expect(not m["ok"] and abs(m["watch"]["slopeMiBPerHour"] - 30) < 0.1, "30 MiB/h over 25 min fails")
    m = memory_check(grow[: 10 * 6], run_minutes=10)
    expect(m["ok"] and not m["judged"], "the same growth over 10 min is only reported")
    flat = [{"t": t, "watch": (40 + (t // 10) % 3) * 1024, "sim": None} for t in range(0, 30 * 60, 10)]
    m = memory_check(flat, run_minutes=30)
    expect(m["ok"] and abs(m["watch"]["slopeMiBPerHour"]) < 1 and m["emulator"]["samples"] == 0,
           "flat RSS passes; missing samples tolerated")
    expect(m["watch"]["firstAfterWarmupMiB"] is not None and m["watch"]["maxMiB"] == 42.0, "first/max figures")

    print("check 6: processes")
    p = process_health({"exit": 0, "killed": False, "diedEarly": False},
                       [{"exit": 0}, {"exit": 1}, {"exit": 1}])
    expect(p["ok"] and p["applyExitCodes"] == {"0": 1, "1": 2}, "exit 1 from apply is not a failure")
    p = process_health({"exit": 0, "killed": False, "diedEarly": False}, [{"exit": -11}])
    expect(not p["ok"], "apply killed by a signal fails")
    p = process_health({"exit": 0, "killed": False, "diedEarly": False}, [{"exit": None, "timedOut": True}])
    expect(not p["ok"], "apply timeout fails")
    p = process_health({"exit": -9, "killed": True, "diedEarly": False}, [])
    expect(not p["ok"], "watch killed after SIGTERM fails")
    p = process_health({"exit": 1, "killed": False, "diedEarly": False}, [])
    expect(not p["ok"], "watch exit 1 fails")

    print("check 7: secrets")
    clean = {"journal.jsonl": '{"id":"r1abc-1a2b3c4d-0","conversation":"1a2b3c4d-0e3f-4032-8ec5-19c148eb8083",'
                              '"directive":"0123456789abcdef","correlationId":"ef10915e-a083-4f2f-8045-c624a143ada8"}',
             "watch.err": "watching 12 policies; full reconcile every 20s\n2026-11-26T10:00:00.000Z error: HTTP 503"}
    expect(secret_scan(clean)["ok"], "ids, digests and correlation ids are not tokens")
    tok = "Abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE"
    assert len(tok) == 43
    for name, text in (("secret", f"client soak with {SECRET}"),
                       ("token-shaped", f"token {tok} leaked"),
                       ("bearer", "Authorization: Bearer abcdefghijklmnopqrstuvwx"),
                       ("basic", "Authorization: Basic " + base64.b64encode(f"soak:{SECRET}".encode()).decode())):
        s = secret_scan({"watch.err": clean["watch.err"] + "\n" + text})
        expect(not s["ok"] and s["findings"][0]["line"] == 3, f"{name} found with its line")
    expect(not secret_scan({"x": "abc"}, known_tokens=["abc"])["ok"], "a known token literal is found")
    red = redact(f"{SECRET} Bearer abcdefghijklmnopqrstuvwx {tok} 1a2b3c4d-0e3f-4032-8ec5-19c148eb8083")
    expect(secret_scan({"r": red})["ok"] and "1a2b3c4d-0e3f" in red, "redact() masks secrets, keeps ids")

    print("stats and report")
    rs = request_stats({"total": 10, "routes": [
        {"route": "GET /api/v2/conversations/calls/{conversationId}", "total": 8,
         "statuses": {"200": 5, "429": 1, "503": 1, "reset": 1}},
        {"route": "POST /oauth/token", "total": 2, "statuses": {"200": 1, "500": 1}}]})
    expect(rs["rateLimited429"] == 1 and rs["injectedFaults"] == 3, "429 and fault counts")
    rep = analyse(j, h, {"conversations": {}, "mutes": [], "adds": []}, T + 200, T + 200, flat, 30,
                  {"exit": 0, "killed": False, "diedEarly": False}, [{"exit": 0}], clean,
                  {"total": 0, "routes": []}, 25)
    text = format_report(rep)
    expect(rep["ok"] and "RESULT: PASS" in text, "analyse + format_report on a passing run")
    json.dumps(rep)

    print()
    if failures:
        print(f"self-test: {len(failures)} FAILED")
        return 1
    print("self-test: all passed")
    return 0


def _reanalyse(work):
    """Re-runs the analysis on a finished soak's saved inputs (WORK/analysis-inputs.json)."""
    with open(os.path.join(work, "analysis-inputs.json")) as f:
        inputs = json.load(f)
    with open(os.path.join(work, "state", "journal.jsonl")) as f:
        journal, bad = parse_jsonl(f.read())
    with open(os.path.join(work, "sim-history.json")) as f:
        history = json.load(f).get("events", [])
    with open(os.path.join(work, "driver.json")) as f:
        driver = json.load(f)
    with open(os.path.join(work, "sim-requests.json")) as f:
        requests = json.load(f)
    report = analyse(journal, history, driver, inputs["soakEnd"], inputs["stopTime"], inputs["samples"],
                     inputs["runMinutes"], inputs["watch"], inputs["applies"], {}, requests, inputs["grace"],
                     bad_lines=bad)
    report["checks"] = [c for c in report["checks"] if c["name"] != "no_secrets"]
    report["ok"] = all(c["ok"] for c in report["checks"])
    print(format_report(report))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--self-test":
        sys.exit(_self_test())
    if len(sys.argv) == 2 and os.path.isdir(sys.argv[1]):
        sys.exit(_reanalyse(sys.argv[1]))
    print(__doc__)
    sys.exit(2)
