"""Presenting `vidseek eval` reports: a terminal table, JSON files, and a recall@K plot."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from vidseek.core.errors import VidseekError
from vidseek.evaluation.metrics import IOU_THRESHOLDS, MOMENT_KS, RECALL_KS

Echo = Callable[[str], None]
RETRIEVAL_COLUMNS = [*(f"R@{k}" for k in RECALL_KS), "MdR", "MnR", "n"]
MOMENT_COLUMNS = [*(f"R@{k},IoU>={t}" for k in MOMENT_KS for t in IOU_THRESHOLDS), "mIoU", "n"]
NO_MATCH_COLUMNS = ["precision", "recall", "R@1 kept", "n_absent", "n_present"]
DIRECTIONS = {"t2v": "text→video", "v2t": "video→text"}


def load_report(path: Path) -> dict:
    """A report written by ``vidseek eval --json``."""
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VidseekError(f"cannot read eval report {path}: {exc}") from exc
    if not isinstance(report, dict) or "label" not in report:
        raise VidseekError(f"{path} is not a vidseek eval report (no 'label')")
    return report


def _cell(value: float | int, column: str) -> str:
    return f"{int(value):d}" if column in ("n", "n_absent", "n_present") else f"{value:.1f}"


def _rows(title: str, columns: list[str], rows: list[tuple[str, dict]], echo: Echo) -> None:
    width = max([len(title), *(len(name) for name, _ in rows)]) + 2
    headers = [c.replace(",IoU>=", " IoU≥") for c in columns]
    widths = [max(6, len(h)) for h in headers]
    echo(title.ljust(width) + "  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
    for name, metrics in rows:
        cells = [_cell(metrics.get(c, 0), c).rjust(w) for c, w in zip(columns, widths, strict=True)]
        echo(name.ljust(width) + "  ".join(cells))


def print_report(report: dict, echo: Echo) -> None:
    """The report as aligned tables: video retrieval, then moment retrieval, per language."""
    videos = report["videos"]
    echo(
        f"{report['label']}  (model {report['model']}; {videos['indexed']} videos indexed "
        f"of {videos['files']} files matched; {len(videos['missing'])} annotated ids missing)"
    )
    vr = report.get("video_retrieval")
    if vr:
        echo("")
        rows = [(DIRECTIONS[d], vr[d]) for d in DIRECTIONS]
        for lang, by_dir in vr.get("by_language", {}).items():
            rows += [(f"  {lang} {DIRECTIONS[d]}", by_dir[d]) for d in DIRECTIONS]
        title = f"video retrieval ({vr['n_videos']} videos, {vr['n_captions']} captions)"
        _rows(title, RETRIEVAL_COLUMNS, rows, echo)
    mr = report.get("moment_retrieval")
    if mr:
        echo("")
        rows = [
            ("all", mr["metrics"]),
            *((f"  {k}", v) for k, v in mr.get("by_language", {}).items()),
        ]
        _rows(f"moment retrieval ({mr['n_videos']} videos)", MOMENT_COLUMNS, rows, echo)
    nm = report.get("no_match")
    if nm:
        echo("")
        title = f"no match (cut-off {nm['min_confidence']:g}, {nm['n_texts']} texts)"
        _rows(title, NO_MATCH_COLUMNS, [("nothing matches", nm["metrics"])], echo)
    seconds = report.get("seconds", {})
    if seconds:
        echo(f"\nindexing {seconds['index']:.1f}s, searching {seconds['search']:.1f}s")


def recall_series(report: dict) -> dict[str, dict[str, float]]:
    """Panel name → {"R@k": value} for every recall@K the report has (what the plot shows)."""
    out: dict[str, dict[str, float]] = {}
    vr = report.get("video_retrieval")
    if vr:
        for direction, title in DIRECTIONS.items():
            out[title] = {f"R@{k}": vr[direction][f"R@{k}"] for k in RECALL_KS}
    mr = report.get("moment_retrieval")
    if mr:
        for t in IOU_THRESHOLDS:
            out[f"moments IoU≥{t}"] = {
                f"R@{k}": mr["metrics"][f"R@{k},IoU>={t}"] for k in MOMENT_KS
            }
    return out


def print_comparison(reports: Sequence[dict], echo: Echo) -> None:
    """One row per run: every recall@K side by side."""
    panels = list(dict.fromkeys(p for r in reports for p in recall_series(r)))
    columns = [(p, k) for p in panels for k in _ks(reports, p)]
    width = max(len(r["label"]) for r in reports) + 2
    headers = [f"{_short(p)} {k}" for p, k in columns]
    widths = [max(6, len(h)) for h in headers]
    echo("")
    echo("".ljust(width) + "  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
    for report in reports:
        series = recall_series(report)
        cells = [
            f"{series[p][k]:.1f}" if p in series and k in series[p] else "-" for p, k in columns
        ]
        echo(
            report["label"].ljust(width)
            + "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True))
        )


def _ks(reports: Sequence[dict], panel: str) -> list[str]:
    return list(dict.fromkeys(k for r in reports for k in recall_series(r).get(panel, {})))


def _short(panel: str) -> str:
    return {"text→video": "t2v", "video→text": "v2t"}.get(panel, panel.replace("moments ", "mom "))


def write_plot(reports: Sequence[dict], path: Path) -> None:
    """Grouped bars of recall@K, one panel per task, one colour per run; saved as PNG."""
    try:
        import matplotlib
    except ImportError as exc:
        raise VidseekError("--plot needs matplotlib: pip install 'vidseek[eval]'") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = list(dict.fromkeys(p for r in reports for p in recall_series(r)))
    if not panels:
        raise VidseekError("nothing to plot: the reports hold no recall values")
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8), squeeze=False)
    bar = 0.8 / len(reports)
    for ax, panel in zip(axes[0], panels, strict=True):
        ks = _ks(reports, panel)
        for i, report in enumerate(reports):
            values = [recall_series(report).get(panel, {}).get(k, 0.0) for k in ks]
            xs = [x + (i - (len(reports) - 1) / 2) * bar for x in range(len(ks))]
            bars = ax.bar(xs, values, bar, label=report["label"])
            ax.bar_label(bars, fmt="%.1f", fontsize=7, padding=1)
        ax.set_xticks(range(len(ks)), ks)
        ax.set_ylim(0, 105)
        ax.set_title(panel)
        ax.set_ylabel("recall (%)")
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(reports), 4), frameon=False)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
