"""Naive reference implementations written straight from the paper's equations, with explicit loops."""

import math

import torch


def naive_standardize(z):
    b, d = z.shape
    out = torch.empty_like(z, dtype=torch.float64)
    for k in range(d):
        col = z[:, k].double()
        mean = sum(col[i] for i in range(b)) / b
        var = sum((col[i] - mean) ** 2 for i in range(b)) / b
        for i in range(b):
            out[i, k] = (col[i] - mean) / math.sqrt(var + 1e-5)
    return out


def naive_corr(a, b):
    sa, sb = naive_standardize(a), naive_standardize(b)
    bsz, d = a.shape
    c = torch.zeros(d, d, dtype=torch.float64)
    for k in range(d):
        for l in range(d):
            c[k, l] = sum(sa[i, k] * sb[i, l] for i in range(bsz)) / bsz
    return c


def naive_objective(c, lambd):
    d = c.shape[0]
    total = 0.0
    for k in range(d):
        for l in range(d):
            total += (c[k, l] - 1) ** 2 if k == l else lambd * c[k, l] ** 2
    return float(total)


def naive_mv_bt(za, zb, lambd):
    n = za.shape[0]
    c_bar = sum(naive_corr(za[i], zb[i]) for i in range(n)) / n
    return naive_objective(c_bar, lambd)


def naive_vl_align(z_views, z_fused, z_text, tau):
    n, b, _ = z_views.shape

    def cos(u, v):
        return float(torch.dot(u.double(), v.double()) / (u.double().norm() * v.double().norm()))

    def log_softmax_diag(vis):
        total = 0.0
        for bi in range(b):
            scores = [cos(vis[bi], z_text[j]) / tau for j in range(b)]
            log_denominator = math.log(sum(math.exp(s) for s in scores))
            total += scores[bi] - log_denominator
        return total

    total = sum(log_softmax_diag(z_views[i]) for i in range(n)) + log_softmax_diag(z_fused)
    return -total / ((n + 1) * b)


def naive_redundancy_min(z_fused, z_text, lambd):
    return naive_objective(naive_corr(z_fused, z_text), lambd)


def naive_class_aware_vl_align(z_views, z_fused, z_text, classes, tau):
    """Every text of the same class is a positive; each row averages -log softmax over its positives."""
    n, b, _ = z_views.shape

    def cos(u, v):
        return float(torch.dot(u.double(), v.double()) / (u.double().norm() * v.double().norm()))

    def rows(vis):
        total = 0.0
        for bi in range(b):
            scores = [cos(vis[bi], z_text[j]) / tau for j in range(b)]
            log_denominator = math.log(sum(math.exp(s) for s in scores))
            positives = [j for j in range(b) if int(classes[j]) == int(classes[bi])]
            total += sum(scores[j] - log_denominator for j in positives) / len(positives)
        return total

    total = sum(rows(z_views[i]) for i in range(n)) + rows(z_fused)
    return -total / ((n + 1) * b)
