"""The model card: purpose, target, inputs and why, training data and period, performance, fairness
results, known limits, approval and review date. Built once as a list of blocks, rendered as one
self-contained HTML page here and as PDF by reports.pdf (``write_blocks``); texts in the active
language (Swedish or English)."""

from __future__ import annotations

import html

from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from pestrack.analytics import output

# Blocks: ("h", text) heading; ("p", text) paragraph; ("warn", [texts]) warning list;
# ("list", [texts]); ("table", [header], [[cells]]); ("img", alt, data_uri)


def _n(v, digits=3) -> str:
    if v is None:
        return "–"
    text = f"{v:.{digits}f}"
    return text.replace(".", ",") if (get_language() or "en").startswith("sv") else text


def _pct(v) -> str:
    return "–" if v is None else _n(100 * v, 1) + " %"


def _ci(ci) -> str:
    return "–" if not ci or ci[0] is None else f"{_pct(ci[0])}–{_pct(ci[1])}"


def _lang() -> str:
    return "sv" if (get_language() or "en").startswith("sv") else "en"


def curves_plot(audit: dict) -> str | None:
    """The ROC and precision-recall curves of the model (and of the true risk on synthetic data)."""
    if not audit.get("curves"):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (roc, pr) = plt.subplots(1, 2, figsize=(8.4, 4.0))
    roc.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
    for key, label, colour in (("curves", _("model"), "#2166ac"), ("curves_oracle", _("true risk"), "#b2182b")):
        c = audit.get(key)
        if c:
            roc.plot(c["roc"]["fpr"], c["roc"]["tpr"], color=colour, label=label)
            pr.plot(c["pr"]["recall"], c["pr"]["precision"], color=colour, label=label)
    roc.set_xlabel(_("false positive rate"))
    roc.set_ylabel(_("true positive rate"))
    roc.set_title(_("ROC curve"))
    pr.set_xlabel(_("recall (true positive rate)"))
    pr.set_ylabel(_("precision"))
    pr.set_title(_("Precision-recall curve"))
    pr.set_ylim(0, 1)
    roc.legend()
    fig.tight_layout()
    return output.png(fig)


def calibration_plot(audit: dict) -> str | None:
    if not audit.get("calibration"):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
    for key, label, colour in (
        ("calibration", _("model"), "#2166ac"),
        ("calibration_oracle", _("true risk"), "#b2182b"),
    ):
        bins = audit.get(key) or []
        if bins:
            ax.plot([b["predicted"] for b in bins], [b["observed"] for b in bins], "o-", color=colour, label=label)
    ax.set_xlabel(_("estimated share"))
    ax.set_ylabel(_("observed share"))
    ax.set_title(_("Calibration"))
    ax.legend()
    return output.png(fig)


FLAG_TEXT = {
    "calibration": lambda: _("estimate and observed share differ"),
    "selection_ratio": lambda: _("selected for intensive support at a different rate"),
    "tpr": lambda: _("true positive rate differs"),
    "fpr": lambda: _("false positive rate differs"),
    "proxy": lambda: _("input is a proxy for a protected characteristic"),
}


ATTRIBUTES = {
    "sex": lambda: _("Sex"),
    "born_abroad": lambda: _("Born abroad"),
    "age_band_at_start": lambda: _("Age band"),
    "target_group": lambda: _("Target group"),
}
VALUES = {
    "yes": lambda: _("yes"),
    "no": lambda: _("no"),
    "unknown": lambda: _("not recorded"),
    "woman": lambda: _("woman"),
    "man": lambda: _("man"),
    "(missing)": lambda: _("not recorded"),
    "True": lambda: _("yes"),
    "False": lambda: _("no"),
}
CODE_LISTS = ("education_level", "target_group", "entry_route", "referring_body", "programme")


class Names:
    """Inputs, characteristics and codes in words, from the profile (no raw code values on the card)."""

    def __init__(self, model: dict):
        self.lang = _lang()
        self.inputs = {e["column"]: e["label"][self.lang] for e in model["encoding"]}
        self.codes: dict = {}
        try:
            from pestrack.records.codes.profile import read_profile

            for name, entries in read_profile(model["profile"]).codes.items():
                for c in entries:
                    self.codes[(name, c["code"])] = c["name_sv"] if self.lang == "sv" else c["name_en"]
        except Exception:  # noqa: BLE001 - a profile no longer installed: the codes as they are
            pass

    def value(self, column: str, value: str) -> str:
        if (column, value) in self.codes:
            return self.codes[(column, value)]
        if column == "referring_unit" or column == "org_unit":
            return value
        if value in VALUES:
            return VALUES[value]()
        if column == "age_band_at_start":
            return _("%(band)s years") % {"band": value}
        return value

    def term(self, feature: str) -> str:
        column, _sep, value = feature.partition("=")
        label = self.inputs.get(column, column)
        return f"{label}: {self.value(column, value)}" if _sep else label

    def attribute(self, attribute: str) -> str:
        return " · ".join(ATTRIBUTES[a]() if a in ATTRIBUTES else self.inputs.get(a, a) for a in attribute.split(" · "))

    def group(self, attribute: str, group: str) -> str:
        return " · ".join(self.value(a, v) for a, v in zip(attribute.split(" · "), group.split(" · ")))


def blocks(model: dict, audit: dict | None, approval: dict | None = None) -> list[tuple]:
    lang = _lang()
    names = Names(model)
    t = model["training"]
    v = model["validation"]
    out: list[tuple] = [
        (
            "p",
            _(
                "Decision support: the estimate is advice to the caseworker, who decides. It changes no record by itself."
            ),
        ),
        ("h", _("Purpose")),
        (
            "p",
            _(
                "To help caseworkers find, at enrolment, the persons who most likely need intensive support early. "
                "The estimate is shown with its main reasons; the caseworker records their own assessment."
            ),
        ),
        ("h", pgettext("model card", "Target")),
        ("p", model["target"]["label"][lang]),
        ("p", target_source(model["target"])),
        ("h", _("Inputs and why")),
        (
            "table",
            [_("Input"), _("Reason")],
            [[e["label"][lang], e["reason"][lang]] for e in model["encoding"]],
        ),
        (
            "p",
            _("Protected characteristics (never inputs, kept for the audit only): %(list)s")
            % {"list": ", ".join(names.attribute(p) for p in model.get("protected", []))},
        ),
        ("h", _("Model")),
        (
            "p",
            _("Kind: %(kind)s. Model id %(id)s, trained %(at)s on profile %(profile)s, analytics schema version %(v)s.")
            % {
                "kind": _("logistic regression") if model["kind"] == "logistic" else _("gradient boosting"),
                "id": model["id"],
                "at": model["created_at"][:10],
                "profile": model["profile"],
                "v": model["schema_version"],
            },
        ),
    ]
    if model["kind"] == "logistic":
        lg = model["logistic"]
        rows = [[_("(intercept)"), _n(lg["intercept"]), _n(lg["intercept_se"])]]
        rows += [[names.term(f), _n(c), _n(s)] for f, c, s in zip(lg["features"], lg["coef"], lg["se"])]
        out.append(("table", [_("Term"), _("Coefficient (log-odds)"), _("Standard error")], rows))
        references = [
            f"{names.inputs[e['column']]}: {names.value(e['column'], e['reference'])}"
            for e in model["encoding"]
            if e["kind"] == "category"
        ]
        out.append(
            ("p", _("Each code is compared with the most common one: %(list)s.") % {"list": "; ".join(references)})
        )
        if lg.get("aliased"):
            out.append(
                (
                    "p",
                    _("Left out (fixed at 0: the same as a combination of other inputs in the training data): %(list)s")
                    % {"list": ", ".join(names.term(f) for f in lg["aliased"])},
                )
            )
    out += [
        ("h", _("Training data and period")),
        (
            "p",
            _(
                "Trained on %(n)s enrolments that started %(first)s to %(last)s (cohorts %(cohorts)s); validated on "
                "%(vn)s enrolments of the next cohort (%(vfirst)s to %(vlast)s)."
            )
            % {
                "n": t["n"],
                "first": t["first_start"],
                "last": t["last_start"],
                "cohorts": ", ".join(map(str, t["cohorts"])),
                "vn": v["n"],
                "vfirst": v["first_start"],
                "vlast": v["last_start"],
            },
        ),
        ("h", _("Performance")),
    ]
    rows = []
    for kind, perf in v["comparison"].items():
        name = _("logistic regression") if kind == "logistic" else _("gradient boosting")
        rows.append(
            [
                name + " – " + _("training"),
                _n(perf["train"]["auc"]),
                _n(perf["train"]["pr_auc"]),
                _n(perf["train"]["brier"]),
            ]
        )
        rows.append([name + " – " + _("validation"), _n(perf["auc"]), _n(perf["pr_auc"]), _n(perf["brier"])])
    if v.get("auc_oracle") is not None:
        rows.append([_("true risk (synthetic data) – validation"), _n(v["auc_oracle"]), "–", "–"])
    out.append(("table", [_("Model"), _("ROC AUC"), _("PR AUC"), _("Brier score")], rows))
    if audit:
        out += _audit_blocks(audit, names)
    out += [
        ("h", _("Known limits")),
        (
            "list",
            [
                _("The estimate describes groups of past participants, not this person; it can be wrong for anyone."),
                _("It learns from past decisions and outcomes, including their inequalities."),
                _(
                    "Only what is recorded at enrolment is in it: the work history as the person tells it, "
                    "and the WAI where assessed within 30 days; health, care duties and motivation are not."
                ),
                _("It must be audited again on each new cohort; the monitoring page warns of drift."),
            ],
        ),
        ("h", _("Approval and review")),
    ]
    approval = approval or {}
    out.append(
        (
            "table",
            [_("Approved by"), _("Approved on"), _("Review date")],
            [
                [
                    approval.get("approved_by") or "–",
                    str(approval.get("approved_on") or "–"),
                    str(approval.get("review_on") or "–"),
                ]
            ],
        )
    )
    return out


def _audit_blocks(audit: dict, names: Names) -> list[tuple]:
    d = audit["data"]
    out: list[tuple] = [
        ("h", _("Audit")),
        (
            "p",
            _("%(n)s enrolments that started %(first)s to %(last)s; cut-off %(cut)s.")
            % {"n": d["judged"], "first": d["first_start"], "last": d["last_start"], "cut": _n(audit["cutoff"], 2)},
        ),
    ]
    if d["in_sample"]:
        out.append(
            ("warn", [_("In-sample: these data overlap the training period, so the figures flatter the model.")])
        )
    summary = [
        [_("ROC AUC"), _n(audit["auc"]) + f" ({_n(audit['auc_ci'][0])}–{_n(audit['auc_ci'][1])})"],
        [_("PR AUC"), _n(audit["pr_auc"])],
        [_("Brier score"), _n(audit["brier"])],
    ]
    if audit.get("auc_oracle") is not None:
        summary.append([_("ROC AUC of the true risk (best possible)"), _n(audit["auc_oracle"])])
    out.append(("table", [pgettext("model card", "Measure"), _("Value")], summary))
    plot = curves_plot(audit)
    if plot:
        out.append(("img", _("ROC and precision-recall curves"), plot))
    plot = calibration_plot(audit)
    if plot:
        out.append(("img", _("Calibration"), plot))
    out.append(
        (
            "table",
            [_("Range of the estimate"), _("Enrolments"), _("Estimated share"), _("Observed share")],
            [
                [f"{_pct(b['bin'][0])}–{_pct(b['bin'][1])}", str(b["n"]), _pct(b["predicted"]), _pct(b["observed"])]
                for b in audit["calibration"]
            ],
        )
    )
    flags = audit.get("flags") or []
    if flags:
        out.append(("warn", [_flag_words(f, names) for f in flags]))
    else:
        out.append(("p", _("No group difference beyond the profile's limits.")))
    out.append(("h", _("Fairness by group")))
    rows = [
        [
            names.attribute(g["attribute"]),
            names.group(g["attribute"], g["group"]),
            str(g["n"]),
            f"{_pct(g['calibration']['predicted'])} / {_pct(g['calibration']['observed'])}",
            f"{_pct(g['tpr'])} ({_ci(g['tpr_ci'])})",
            f"{_pct(g['fpr'])} ({_ci(g['fpr_ci'])})",
            _pct(g["selection_rate"]),
            _n(g["selection_ratio"], 2),
            _pct(g["npv"]),
        ]
        for g in audit["groups"]
    ]
    out.append(
        (
            "table",
            [
                _("Characteristic"),
                _("Group"),
                _("Enrolments"),
                _("Estimated / observed"),
                _("TPR"),
                _("FPR"),
                _("Selected"),
                _("Ratio to the rest"),
                _("NPV"),
            ],
            rows,
        )
    )
    if audit["too_small"]:
        out.append(
            (
                "p",
                _("Too small to judge (no rates shown): %(list)s")
                % {
                    "list": "; ".join(
                        f"{names.attribute(s['attribute'])} = {names.group(s['attribute'], s['group'])} ({s['n']})"
                        for s in audit["too_small"]
                    )
                },
            )
        )
    strong = [x for x in audit.get("proxies", []) if x["proxy"]]
    if strong:
        out.append(
            (
                "warn",
                [
                    _("%(input)s is associated with %(protected)s (Cramér's V %(v)s)")
                    % {
                        "input": names.attribute(x["input"]),
                        "protected": names.attribute(x["protected"]),
                        "v": _n(x["cramers_v"], 2),
                    }
                    for x in strong
                ],
            )
        )
    return out


def _flag_words(f: dict, names: Names) -> str:
    if f["what"] == "proxy":  # attribute: the input, group: the protected characteristic
        return f"{names.attribute(f['attribute'])} ({names.attribute(f['group'])}): {FLAG_TEXT['proxy']()}"
    return f"{names.attribute(f['attribute'])} = {names.group(f['attribute'], f['group'])}: {FLAG_TEXT[f['what']]()}"


def target_source(target: dict) -> str:
    """Where the outcome the model learnt from came from: contract events or exits and follow-ups."""
    source = target.get("source") or {}
    contracts = source.get("contract_events")
    if contracts and contracts.get("enrolments"):
        return _(
            "Work is taken from employers' contract events where they cover the day (%(first)s to %(last)s): an "
            "employment covering that day counts as work, whatever the exit or a follow-up says. This was so for "
            "%(n)d of the %(total)d enrolments with a known outcome; for the others, and for studies, the outcome "
            "comes from the exit and the follow-ups."
        ) % {
            "first": contracts["covers_from"],
            "last": contracts["covers_to"],
            "n": contracts["enrolments"],
            "total": source.get("labelled", 0),
        }
    return _(
        "The outcome comes from the exit and the follow-ups: a follow-up near that day decides; without one, an "
        "enrolment still open then or ended for another reason than work or studies counts as not in work or "
        "studies. No contract events covered these enrolments."
    )


def title(model: dict) -> str:
    return _("Model card: %(target)s") % {"target": model["target"]["label"][_lang()]}


def body_html(items: list[tuple]) -> str:
    e = html.escape
    parts = []
    for b in items:
        kind = b[0]
        if kind == "h":
            parts.append(f"<h2>{e(b[1])}</h2>")
        elif kind == "p":
            parts.append(f"<p>{e(b[1])}</p>")
        elif kind in ("warn", "list"):
            items_html = "".join(f"<li>{e(x)}</li>" for x in b[1])
            parts.append(
                f"<div class='warn'><ul>{items_html}</ul></div>" if kind == "warn" else f"<ul>{items_html}</ul>"
            )
        elif kind == "table":
            head = "".join(f"<th>{e(h)}</th>" for h in b[1])
            body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in b[2])
            parts.append(f"<table><tr>{head}</tr>{body}</table>")
        elif kind == "img":
            parts.append(f"<img alt='{e(b[1])}' src='{b[2]}'>")
    return "\n".join(parts)


def to_html(model: dict, audit: dict | None, approval: dict | None = None) -> str:
    e = html.escape
    name = title(model)
    return (
        f"<!doctype html><html lang='{_lang()}'><head><meta charset='utf-8'><title>{e(name)}</title>"
        f"<style>{output.CSS}</style></head><body><h1>{e(name)}</h1>\n{body_html(blocks(model, audit, approval))}"
        "</body></html>"
    )
