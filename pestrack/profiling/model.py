"""The model: the declared inputs encoded, a logistic regression (the default: its coefficients are
the model, written out with their standard errors) or histogram gradient boosting for comparison,
saved to and loaded from a model folder.

A model folder holds ``model.json`` (everything a reader needs: profile, schema version, target,
inputs with reasons and encoding, coefficients, training period and validation) and, for boosting,
``boosting.pkl`` whose SHA-256 is in model.json and is checked before it is loaded."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pestrack.analytics import output
from pestrack.profiling.settings import ProfilingError, Settings

FORMAT = 1
KINDS = ("logistic", "boosting")
MISSING = "(missing)"
MAX_LEVELS = 100


def _values(table: pa.Table, column: str) -> np.ndarray:
    return table.column(column).to_numpy(zero_copy_only=False)


def encode_inputs(table: pa.Table, settings: Settings, source: str) -> list[dict]:
    """How each input is encoded, learnt from the training rows: numbers (and yes/no) as they are;
    codes one-hot against the most frequent one (the reference), missing as a level of its own."""
    out = []
    for inp in settings.inputs:
        col = table.column(inp.column)
        t = col.type
        if pa.types.is_boolean(t) or pa.types.is_integer(t) or pa.types.is_floating(t):
            if col.null_count:
                first = int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])
                raise ProfilingError(
                    f"{source}: row {first + 1}, input {inp.column!r}: missing value ({col.null_count} rows); "
                    "a numeric input must be known for every enrolment"
                )
            values = _values(table, inp.column).astype(float)
            out.append({"column": inp.column, "kind": "numeric", "reference": float(np.median(values))})
            continue
        values = np.asarray(col.fill_null(MISSING).cast(pa.string()).to_numpy(zero_copy_only=False), dtype=object)
        levels, counts = np.unique(values.astype(str), return_counts=True)
        if len(levels) > MAX_LEVELS:
            raise ProfilingError(f"{source}: input {inp.column!r} has {len(levels)} values; it looks like an id")
        order = np.argsort(-counts, kind="stable")
        out.append({"column": inp.column, "kind": "category", "levels": [str(levels[i]) for i in order]})
    return out


@dataclass
class Model:
    meta: dict
    booster: object | None = None
    _coef: np.ndarray | None = None

    @property
    def kind(self) -> str:
        return self.meta["kind"]

    @property
    def encoding(self) -> list[dict]:
        return self.meta["encoding"]

    @property
    def feature_names(self) -> list[str]:
        names = []
        for e in self.encoding:
            if e["kind"] == "numeric":
                names.append(e["column"])
            else:
                names += [f"{e['column']}={lv}" for lv in e["levels"][1:]]
        return names

    # --- encoding ---------------------------------------------------------------------------

    def codes(self, table: pa.Table, source: str = "data") -> dict[str, np.ndarray]:
        """Each input as numbers (numeric) or level indices (codes); a value the model never saw is
        refused: the data come from another profile or code list."""
        out = {}
        for e in self.encoding:
            c = e["column"]
            if c not in table.column_names:
                raise ProfilingError(f"{source}: the model's input {c!r} is missing from the data")
            col = table.column(c)
            if e["kind"] == "numeric":
                if col.null_count:
                    raise ProfilingError(f"{source}: input {c!r} has {col.null_count} missing values")
                out[c] = _values(table, c).astype(float)
                continue
            values = col.cast(pa.string()).fill_null(MISSING)
            index = pc.index_in(values, value_set=pa.array(e["levels"]))
            if index.null_count:
                bad = np.flatnonzero(index.is_null().to_numpy(zero_copy_only=False))
                value = values[int(bad[0])].as_py()
                raise ProfilingError(
                    f"{source}: row {int(bad[0]) + 1}, input {c!r}: value {value!r} was never seen in training "
                    f"({len(bad)} rows); the data seem to come from another profile or code list (model trained on "
                    f"profile {self.meta['profile']!r}): train the model again"
                )
            index = index.to_numpy(zero_copy_only=False)
            out[c] = index.astype(np.int64)
        return out

    def design(self, codes: dict[str, np.ndarray]) -> np.ndarray:
        """One-hot design matrix of the logistic model (no intercept column)."""
        n = len(next(iter(codes.values())))
        cols = []
        for e in self.encoding:
            v = codes[e["column"]]
            if e["kind"] == "numeric":
                cols.append(v[:, None])
            else:
                onehot = np.zeros((n, len(e["levels"]) - 1))
                rows = np.flatnonzero(v > 0)
                onehot[rows, v[rows] - 1] = 1.0
                cols.append(onehot)
        return np.hstack(cols) if cols else np.empty((n, 0))

    def ordinal(self, codes: dict[str, np.ndarray]) -> np.ndarray:
        return np.column_stack([codes[e["column"]].astype(float) for e in self.encoding])

    # --- prediction -------------------------------------------------------------------------

    def logit_of_codes(self, codes: dict[str, np.ndarray]) -> np.ndarray:
        if self.kind == "logistic":
            coef = self.meta["logistic"]
            return self.design(codes) @ np.asarray(coef["coef"]) + coef["intercept"]
        with _one_thread():
            return self.booster.decision_function(self.ordinal(codes))

    def predict(self, table: pa.Table, source: str = "data") -> np.ndarray:
        return 1 / (1 + np.exp(-self.logit_of_codes(self.codes(table, source))))

    def reasons(self, row: dict, limit: int = 3, least: float = 0.1) -> tuple[float, list[dict]]:
        """The estimate for one enrolment (input -> value) and its main reasons: for each input, how
        much the log-odds change from the typical value (the most frequent code, the median number)
        to this person's; the largest ``limit`` of at least ``least``, largest first."""
        table = pa.table({e["column"]: [row.get(e["column"])] for e in self.encoding})
        codes = self.codes(table, "the enrolment")
        base = float(self.logit_of_codes(codes)[0])
        out = []
        for e in self.encoding:
            c = e["column"]
            typical = dict(codes)
            typical[c] = np.array([e["reference"]]) if e["kind"] == "numeric" else np.array([0])
            effect = base - float(self.logit_of_codes(typical)[0])
            if abs(effect) >= least:
                out.append({"column": c, "value": row.get(c), "effect": effect})
        out.sort(key=lambda r: -abs(r["effect"]))
        return 1 / (1 + math.exp(-base)), out[:limit]

    # --- storage ----------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self.meta["id"]

    def seal(self) -> None:
        """The model's id: a hash of everything it is (coefficients, encoding, training, checksum)."""
        body = {k: v for k, v in self.meta.items() if k != "id"}
        self.meta["id"] = hashlib.sha256(json.dumps(output.json_safe(body), sort_keys=True).encode()).hexdigest()[:16]

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        if self.booster is not None:
            blob = pickle.dumps(self.booster)
            output.write_atomic(folder / "boosting.pkl", blob)
            self.meta["boosting_sha256"] = hashlib.sha256(blob).hexdigest()
        self.seal()
        output.write_atomic(folder / "model.json", output.to_json(self.meta))


def load(folder: Path) -> Model:
    folder = Path(folder)
    path = folder / "model.json"
    if not path.exists():
        raise ProfilingError(f"{folder}: no model.json (pestrack profiling train --out {folder})")
    try:
        meta = json.loads(path.read_text())
    except ValueError as exc:
        raise ProfilingError(f"{path}: not valid JSON ({exc})") from None
    if meta.get("format") != FORMAT or meta.get("kind") not in KINDS:
        raise ProfilingError(f"{path}: not a profiling model of format {FORMAT}")
    booster = None
    if meta["kind"] == "boosting":
        blob = (folder / "boosting.pkl").read_bytes() if (folder / "boosting.pkl").exists() else b""
        if hashlib.sha256(blob).hexdigest() != meta.get("boosting_sha256"):
            raise ProfilingError(f"{folder / 'boosting.pkl'}: missing or changed since training (checksum differs)")
        booster = pickle.loads(blob)  # noqa: S301 - checked against the checksum written at training
    return Model(meta, booster)


def fit(kind: str, table: pa.Table, y: np.ndarray, encoding: list[dict], source: str, seed: int = 0) -> Model:
    """Fit ``kind`` on the rows of ``table`` (target ``y``); the model's meta has the encoding and,
    for logistic regression, the coefficients with standard errors (from the observed information)."""
    if kind not in KINDS:
        raise ProfilingError(f"model must be one of {', '.join(KINDS)}, not {kind!r}")
    model = Model({"format": FORMAT, "kind": kind, "profile": "", "encoding": encoding})
    codes = model.codes(table, source)
    if kind == "logistic":
        from sklearn.linear_model import LogisticRegression

        X = model.design(codes)
        keep = independent_columns(X)
        lr = LogisticRegression(C=np.inf, solver="lbfgs", max_iter=1000, tol=1e-8)
        lr.fit(X[:, keep], y)
        coef = np.zeros(X.shape[1])
        coef[keep] = lr.coef_[0]
        intercept = float(lr.intercept_[0])
        p = 1 / (1 + np.exp(-(X @ coef + intercept)))
        X1 = np.hstack([np.ones((len(X), 1)), X[:, keep]])
        info = (X1 * (p * (1 - p))[:, None]).T @ X1
        se = np.full(X.shape[1], np.nan)
        try:
            cov = np.sqrt(np.maximum(np.diag(np.linalg.inv(info)), 0))
            intercept_se, se[keep] = float(cov[0]), cov[1:]
        except np.linalg.LinAlgError:
            intercept_se = float("nan")
        names = model.feature_names
        model.meta["logistic"] = {
            "intercept": intercept,
            "intercept_se": intercept_se,
            "features": names,
            "coef": coef.tolist(),
            "se": se.tolist(),
            # a column that is a combination of others in the training data (e.g. an entry route
            # that only one target group has): its coefficient is fixed at 0, as R's glm does
            "aliased": [names[j] for j in range(len(names)) if not keep[j]],
        }
    else:
        from sklearn.ensemble import HistGradientBoostingClassifier

        categorical = [e["kind"] == "category" for e in encoding]
        with _one_thread():
            model.booster = HistGradientBoostingClassifier(
                max_iter=100,
                learning_rate=0.1,
                categorical_features=categorical,
                early_stopping=False,
                random_state=seed,
            ).fit(model.ordinal(codes), y)
    return model


def _one_thread():
    """Gradient boosting on one OpenMP thread: with a handful of inputs the histograms are too small
    to share out (750,000 rows: 4.6 s on one thread), and on a busy machine the second thread's
    spinning made the same fit take 38 s."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="openmp")


def independent_columns(X: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Which columns to keep so that, with the intercept, none is a linear combination of the kept
    ones before it (Gram-matrix Gram-Schmidt: the columns are few, the rows many)."""
    X1 = np.hstack([np.ones((len(X), 1)), X])
    G = X1.T @ X1
    kept = [0]
    keep = np.zeros(X.shape[1], dtype=bool)
    for j in range(1, X1.shape[1]):
        S = np.array(kept)
        g = G[np.ix_(S, S)]
        r = G[j, j] - G[j, S] @ np.linalg.solve(g, G[S, j])
        if G[j, j] > 0 and r > tol * G[j, j]:
            kept.append(j)
            keep[j - 1] = True
    return keep


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
