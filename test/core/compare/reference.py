"""
Reference values for test/core/compare/*.test.ts, computed independently of the TypeScript code:
scipy 1.17 for the tests and distributions, brute-force enumeration for the exact U distribution,
and a Python replay of the bootstrap procedure (mulberry32, numpy's linear percentiles).

    python3 test/core/compare/reference.py      # prints JSON; the tests hard-code these numbers

Needs numpy and scipy; the tests themselves do not.
"""
import itertools
import json
import math
import os

import numpy as np
from scipy import special, stats

HERE = os.path.dirname(os.path.abspath(__file__))
fx = json.load(open(os.path.join(HERE, "fixtures.json")))
out = {}

# --- Mann-Whitney U: scipy.stats.mannwhitneyu(cand, base) ---------------------------------------
for name, methods in [("small", ["exact", "asymptotic"]), ("ties", ["asymptotic"]), ("medium", ["exact", "asymptotic"]), ("large", ["asymptotic"])]:
    b, c = fx[name]["base"], fx[name]["cand"]
    for m in methods:
        r = stats.mannwhitneyu(c, b, method=m)
        out[f"mw.{name}.{m}"] = {"u": float(r.statistic), "p": float(r.pvalue)}


def brute_force_p(b, c):
    """Two-sided exact p by enumerating every split of the pooled values (no ties)."""
    pooled = b + c
    n1, n2 = len(b), len(c)

    def u_of(cand_idx):
        cs = [pooled[i] for i in cand_idx]
        bs = [pooled[i] for i in range(len(pooled)) if i not in cand_idx]
        return sum(1 for x in cs for y in bs if x > y)

    u_obs = u_of(set(range(n1, n1 + n2)))
    big = max(u_obs, n1 * n2 - u_obs)
    us = [u_of(set(idx)) for idx in itertools.combinations(range(n1 + n2), n2)]
    return min(1.0, 2 * sum(1 for u in us if u >= big) / len(us))


out["mw.small.bruteforce"] = brute_force_p(fx["small"]["base"], fx["small"]["cand"])

# --- special functions ------------------------------------------------------------------------
out["erfc"] = {str(x): float(special.erfc(x)) for x in [0.3, 1.7, 2.5, 4.2, 6.0]}
out["norm.ppf"] = {str(p): float(stats.norm.ppf(p)) for p in [0.005, 0.025, 0.975, 0.995]}
out["t.two_sided_p"] = {f"{t},{df}": float(2 * stats.t.sf(t, df)) for t, df in [(2.1, 3), (1.3, 7.4), (3.9, 20)]}
out["t.quantile"] = {f"{p},{df}": float(stats.t.isf(p / 2, df)) for p, df in [(0.05, 4), (0.05, 5.62), (0.01, 30)]}

# --- proportions ------------------------------------------------------------------------------
tables = [(0, 50, 3, 50), (2, 200, 9, 180), (12, 40, 3, 45), (0, 30, 0, 30), (5, 5, 0, 7)]
out["fisher"] = {",".join(map(str, t)): float(stats.fisher_exact([[t[0], t[1] - t[0]], [t[2], t[3] - t[2]]]).pvalue) for t in tables}


def wilson(k, n, conf=0.95):
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=conf, method="wilson")
    return float(ci.low), float(ci.high)


out["wilson"] = {f"{k},{n}": wilson(k, n) for k, n in [(0, 50), (3, 50), (9, 180), (40, 40)]}
news = {}
for k1, n1, k2, n2 in tables[:3]:
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1)
    l2, u2 = wilson(k2, n2)
    d = p2 - p1
    news[f"{k1},{n1},{k2},{n2}"] = [d, d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2), d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)]
out["newcombe"] = news

# --- Welch's t on logs (throughput across runs) -----------------------------------------------
lb, lc = np.log(fx["throughput"]["base"]), np.log(fx["throughput"]["cand"])
w = stats.ttest_ind(lc, lb, equal_var=False)
va, vb = lb.var(ddof=1) / len(lb), lc.var(ddof=1) / len(lc)
df = (va + vb) ** 2 / (va**2 / (len(lb) - 1) + vb**2 / (len(lc) - 1))
se = math.sqrt(va + vb)
diff = lc.mean() - lb.mean()
tq = stats.t.ppf(0.975, df)
out["welch"] = {"p": float(w.pvalue), "df": float(df), "ratio": math.exp(diff), "lo": math.exp(diff - tq * se), "hi": math.exp(diff + tq * se)}


# --- the bootstrap, replayed ------------------------------------------------------------------
def mulberry32(seed):
    state = [seed & 0xFFFFFFFF]
    M = 0xFFFFFFFF

    def nxt():
        state[0] = (state[0] + 0x6D2B79F5) & M
        t = state[0]
        t = ((t ^ (t >> 15)) * (t | 1)) & M
        t = (t ^ ((t + (((t ^ (t >> 7)) * (t | 61)) & M)) & M)) & M
        return ((t ^ (t >> 14)) & M) / 4294967296

    return nxt


def replay(base_runs, cand_runs, qs, resamples, alpha, seed):
    """base_runs/cand_runs: runs -> requests -> values. Returns [(q, base, cand, lo, hi)]."""
    rnd = mulberry32(seed)
    rint = lambda n: math.floor(rnd() * n)

    def prepare(runs):
        groups, starts, sizes = [], [], []
        for run in runs:
            kept = [g for g in run if len(g) > 0]
            if not kept:
                continue
            starts.append(len(groups))
            sizes.append(len(kept))
            groups.extend(kept)
        return groups, starts, sizes

    def draw(prep):
        groups, starts, sizes = prep
        w = [0] * len(groups)
        if len(sizes) == 1:
            for _ in range(len(groups)):
                w[rint(len(groups))] += 1
        else:
            for _ in range(len(sizes)):
                j = rint(len(sizes))
                for _ in range(sizes[j]):
                    w[starts[j] + rint(sizes[j])] += 1
        return np.sort(np.concatenate([np.repeat(np.array(g, dtype=float), wi) for g, wi in zip(groups, w)]))

    pb, pc = prepare(base_runs), prepare(cand_runs)
    ratios = [[] for _ in qs]
    for _ in range(resamples):
        sb, sc = draw(pb), draw(pc)
        for k, q in enumerate(qs):
            ratios[k].append(np.quantile(sc, q) / np.quantile(sb, q))
    allb = np.sort(np.concatenate([np.array(g, dtype=float) for g in pb[0]]))
    allc = np.sort(np.concatenate([np.array(g, dtype=float) for g in pc[0]]))
    res = []
    for k, q in enumerate(qs):
        r = np.sort(np.array(ratios[k]))
        res.append([q, float(np.quantile(allb, q)), float(np.quantile(allc, q)), float(np.quantile(r, alpha / 2)), float(np.quantile(r, 1 - alpha / 2))])
    return res


qs = [0.5, 0.95, 0.99]
one = lambda xs: [[[x] for x in xs]]
out["boot.plain"] = replay(one(fx["boot"]["base"]), one(fx["boot"]["cand"]), qs, 1000, 0.05, 12345)
out["boot.itl"] = replay([fx["itl"]["base"]], [fx["itl"]["cand"]], qs, 500, 0.1, 777)
out["boot.runs"] = replay(fx["runs"]["base"], fx["runs"]["cand"], qs, 500, 0.05, 99)

print(json.dumps(out, indent=1))
