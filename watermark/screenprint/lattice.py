"""Lattice search: the mark lattice's scale and rotation from the spectrum of the image.

Marks sit on a square lattice, so the spectrum of the mark response has two orthogonal peaks
of equal length. Spectra of overlapping windows are summed (perspective moves the peaks
across a page; small windows keep them sharp) and whitened radially (text and moiré put
their energy at other frequencies and in stripes, not in an orthogonal pair). Harmonics,
the older dot pattern's lattice and lattices derived from harmonics are ranked so that the
marks' own lattice comes first as often as possible.
"""

from __future__ import annotations


import numpy as np

from mijian.watermark.pattern_lattice import Lattice  # the same two frequencies and strength

LEGACY_RATIO = 1.5 / (8 * 25.4 / 150)
"""Pitch of this lattice over that of the older dot pattern (1.5 mm over 8 px at 150 dpi)."""


SKEW_DEG = float(np.degrees(np.arctan2(1, 2)))
"""Angle of a lattice's (2, 1) frequencies to its own axes (26.57 degrees)."""


def _spectrum(resp: np.ndarray) -> tuple[np.ndarray, int]:
    """Summed magnitude spectra (rfft, rows shifted to centre) of overlapping windows."""
    size = int(min(512, 2 ** int(np.log2(min(resp.shape)))))
    win = np.outer(np.hanning(size), np.hanning(size)).astype(np.float32)
    stride = max(size // 2, 1)
    ys = sorted({*range(0, resp.shape[0] - size + 1, stride), resp.shape[0] - size})
    xs = sorted({*range(0, resp.shape[1] - size + 1, stride), resp.shape[1] - size})
    spec = np.zeros((size, size // 2 + 1))
    for y0 in ys:
        for x0 in xs:
            part = resp[y0:y0 + size, x0:x0 + size]
            spec += np.abs(np.fft.rfft2((part - part.mean()) * win))
    return np.fft.fftshift(spec, axes=0), size


def find_lattices(resp: np.ndarray, pitch_range: tuple[float, float], limit: int = 3) -> list[Lattice]:
    """Candidate lattices (orthogonal pairs of spectral peaks within the pitch range), best
    first; strength is the product of the two peaks over the local spectral floor."""
    if min(resp.shape) < 64:
        return []
    spec, size = _spectrum(resp)
    fy = (np.arange(size) - size // 2) / size
    fx = np.arange(spec.shape[1]) / size
    rad = np.hypot(fy[:, None], fx[None, :])
    ring = np.clip((rad * 128).astype(int), 0, 128)
    floor = np.bincount(ring.ravel(), spec.ravel(), 129) / np.maximum(np.bincount(ring.ravel(), None, 129), 1)
    norm = spec / np.maximum(floor[ring], 1e-12)
    band = (rad >= 1 / pitch_range[1]) & (rad <= min(1 / pitch_range[0], 0.45))
    norm = np.where(band, norm, 0.0)
    padded = np.pad(norm, 1)
    peak = norm > 0
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                peak &= norm >= padded[1 + dy:1 + dy + norm.shape[0], 1 + dx:1 + dx + norm.shape[1]]
    idx = np.flatnonzero(peak.ravel())
    idx = idx[np.argsort(norm.ravel()[idx])[::-1][:30]]
    found = []
    for flat in idx:
        iy, ix = divmod(int(flat), norm.shape[1])
        oy = _vertex(spec, iy, ix, 0)
        ox = _vertex(spec, iy, ix, 1)
        found.append((float(norm[iy, ix]), np.array([(ix + ox) / size, (iy - size // 2 + oy) / size])))
    cands = []
    for i, (ma, ka) in enumerate(found):
        for mb, kb in found[i + 1:]:
            la, lb = np.linalg.norm(ka), np.linalg.norm(kb)
            if abs(la - lb) > 0.08 * max(la, lb) or abs(float(ka @ kb)) > 0.15 * la * lb:
                continue
            a, b = (ka, kb) if abs(ka[0]) >= abs(kb[0]) else (kb, ka)
            a = a if a[0] > 0 else -a
            b = b if b[1] > 0 else -b
            cands.append(Lattice(a, b, ma * mb))
    return _rank(cands, norm, size, limit)


def _rank(cands: list[Lattice], norm: np.ndarray, size: int, limit: int) -> list[Lattice]:
    """The candidates strongest first, then harmonics and the older pattern's lattice last,
    without near-duplicates, at most ``limit``."""
    cands.sort(key=lambda c: -c.strength)
    # a square mark also puts energy at twice the lattice frequency and on its diagonals
    # (45 degrees, 1.414 times), and any lattice of dots has its (2, 1) frequencies (26.6
    # degrees, 2.236 times): a candidate standing so to another, not much weaker than
    # itself, comes after the others. The (2, 1) pair of the older dot pattern's crisp
    # lattice came first on an invoice page, where the rules leave the faint marks little
    # paper, and its sites never decoded
    def harmonic(c: Lattice) -> bool:
        for d in cands:
            if d.strength < 0.3 * c.strength:  # a harmonic is weaker than its fundamental
                continue
            turn = abs((c.angle_deg - d.angle_deg + 45) % 90 - 45)
            ratio = d.pitch / c.pitch
            if ((turn < 2 and abs(ratio - 2) < 0.06)
                    or (abs(turn - 45) < 2 and abs(ratio - 2 ** 0.5) < 0.04)
                    or (abs(turn - SKEW_DEG) < 2 and abs(ratio - 5 ** 0.5) < 0.06)):
                return True
        return False

    # the page may also carry the older dot pattern (watermark.pattern: 1.355 mm, and its
    # diagonal at 45 degrees); a candidate that stands to another at that pitch ratio and
    # angle is taken for it and comes last
    def legacy(c: Lattice) -> bool:
        for d in cands:
            if d.strength < 0.3 * c.strength:  # a stray peak does not make c the older one
                continue
            turn = abs((c.angle_deg - d.angle_deg + 45) % 90 - 45)
            ratio = d.pitch / c.pitch
            if (turn < 2 and abs(ratio - LEGACY_RATIO) < 0.03 * LEGACY_RATIO) or (
                    abs(turn - 45) < 2 and abs(ratio - LEGACY_RATIO * 2 ** 0.5) < 0.04 * LEGACY_RATIO):
                return True
        return False

    cands += _companions(cands[:6], norm, size)
    cands += [d for c in cands[:6] for d in _derived(c, norm, size)]
    cands.sort(key=lambda c: -c.strength)
    rank = {id(c): (legacy(c), harmonic(c)) for c in cands}
    cands.sort(key=lambda c: rank[id(c)])
    out: list[Lattice] = []
    for c in cands:
        if all(np.linalg.norm(c.k1 - o.k1) > 0.02 * np.linalg.norm(o.k1) for o in out):
            out.append(c)
        if len(out) >= limit:
            break
    return out


def _peak_near(norm: np.ndarray, size: int, k: np.ndarray) -> float:
    """The whitened spectrum's largest value within a bin of frequency ``k`` or of ``-k``
    (the half spectrum holds one of them; near a vertical frequency, both), 0 outside."""
    best = 0.0
    for kk in (k, -k):
        ix, iy = round(kk[0] * size), round(kk[1] * size) + size // 2
        if ix < -1 or ix + 2 > norm.shape[1] or iy < 1 or iy + 2 > norm.shape[0]:
            continue
        best = max(best, float(norm[iy - 1:iy + 2, max(ix - 1, 0):ix + 2].max()))
    return best


def _derived(c: Lattice, norm: np.ndarray, size: int) -> list[Lattice]:
    """Lattices of which ``c`` may be a harmonic, where the spectrum has both peaks.

    Where text covers much of a page, the whitened peak of the lattice itself can fall
    below two of its relatives: its second harmonic (half the pitch; a mark's edges are
    sharper than its spacing) and the pair at 45 degrees and 1.414 times the pitch (the
    keyed layout leaves a faint checkerboard bias). From the first the lattice is ``k / 2``,
    from the second ``(k1 - k2, k1 + k2)``; each is kept only where its own two peaks stand
    above the floor, and ranked with the others by strength (the harmonic rule of
    :func:`_rank` then puts the candidate it came from after it)."""
    out = []
    for k1, k2 in ((c.k1 / 2, c.k2 / 2), (c.k1 - c.k2, c.k1 + c.k2)):
        peaks = [_peak_near(norm, size, k) for k in (k1, k2)]
        if min(peaks) > 3.0:
            a, b = (k1, k2) if abs(k1[0]) >= abs(k2[0]) else (k2, k1)
            a = a if a[0] > 0 else -a
            b = b if b[1] > 0 else -b
            out.append(Lattice(a, b, peaks[0] * peaks[1]))
    return out


def _companions(cands: list[Lattice], norm: np.ndarray, size: int) -> list[Lattice]:
    """Lattices this pattern would form beside a strong candidate taken for the older dot
    pattern (same angle, pitch LEGACY_RATIO times larger) where the spectrum shows a peak
    there too: on a small crop the older pattern's crisp dots can outshine the faint marks,
    and its lattice then tells exactly where to look."""
    out = []
    half = size // 2
    for c in cands:
        k1, k2 = c.k1 / LEGACY_RATIO, c.k2 / LEGACY_RATIO
        found = []
        for k in (k1, k2):
            kk = k if k[0] >= 0 else -k
            ix, iy = int(round(kk[0] * size)), int(round(kk[1] * size)) + half
            if not (1 <= ix < norm.shape[1] - 2 and 2 <= iy < norm.shape[0] - 2):
                break
            found.append(float(norm[iy - 1:iy + 2, ix - 1:ix + 2].max()))
        if len(found) == 2 and min(found) > 4.0:
            out.append(Lattice(k1, k2, found[0] * found[1]))
    return out


def _vertex(spec: np.ndarray, iy: int, ix: int, axis: int) -> float:
    """Sub-bin offset of a spectral peak along one axis (parabola through three bins)."""
    n = spec.shape[axis]
    i = iy if axis == 0 else ix
    if not 0 < i < n - 1:
        return 0.0
    get = (lambda d: spec[iy + d, ix]) if axis == 0 else (lambda d: spec[iy, ix + d])
    a, b, c = get(-1), get(0), get(1)
    den = a - 2 * b + c
    return 0.0 if den >= 0 else float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))
