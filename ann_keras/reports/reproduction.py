"""The reproduction summary that opens reports/: the paper's claims, ours beside them, and how we got there.

It follows the ML Reproducibility Challenge's form: the claims tested; for
each, the paper's number, ours measured the paper's way (mean ± standard
deviation over n seeds), the verdict and, where they differ, why; what we
changed or could not know; what was easy and what was hard; the compute;
the search protocol. Everything comes from the reports' own results.json
files (their resolved specs say why and what was hard) and from
reproduce.json, which `ann-keras reproduce` writes with its total time.
No TensorFlow here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import files, results
from ..errors import AnnKerasError
from ..results import RunResult
from . import formatting, metrics
from .page import Section

RECORD_FILE = "reproduce.json"      # written by `ann-keras reproduce`: what ran, on what, for how long
SUMMARY_JSON = "reproduction.json"  # the summary, machine-readable
SUMMARY_CSV = "reproduction.csv"    # its claims, one row each

# reproduce.json's shape: checked before a number from it reaches the page.
RECORD_SCHEMA = {
    "type": "object",
    "required": ["command", "seed", "started", "finished", "wall_time_s", "experiments"],
    "properties": {
        "command": {"type": "string"}, "seed": {"type": "integer"},
        "started": {"type": "string"}, "finished": {"type": "string"},
        "wall_time_s": {"type": "number", "minimum": 0},
        "hardware": {"type": "string"},
        "experiments": {"type": "array", "maxItems": 100, "items": {
            "type": "object", "required": ["report", "profile", "wall_time_s"],
            "properties": {"report": {"type": "string"}, "profile": {"type": "string"},
                           "wall_time_s": {"type": "number", "minimum": 0}}}},
    },
}


def write_record(reports_dir: Path, *, command: str, seed: int, started: str, finished: str, wall_time_s: float,
                 hardware: str, experiments: list[dict]) -> Path:
    """Write reproduce.json: the command, its machine and each experiment's report, profile and wall time."""
    path = Path(reports_dir) / RECORD_FILE
    files.write_json(path, {"command": command, "seed": seed, "started": started, "finished": finished,
                            "wall_time_s": round(wall_time_s, 1), "hardware": hardware, "experiments": experiments},
                     within=reports_dir)
    return path


def read_record(reports_dir: Path) -> tuple[dict | None, str | None]:
    """Return reproduce.json's record, or None and why it was left out (None, None where there is none)."""
    import jsonschema
    path = Path(reports_dir) / RECORD_FILE
    if not path.is_file():
        return None, None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.validate(record, RECORD_SCHEMA)
    except (OSError, ValueError, RecursionError, jsonschema.ValidationError) as error:
        return None, f"{path}: not an ann-keras record ({str(error).splitlines()[0][:100]})"
    return record, None


def load_reports(reports_dir: Path, folders: list[str]) -> tuple[dict[str, RunResult], list[str]]:
    """Return each report folder's results.json by folder name, and the folders left out with why."""
    loaded, skipped = {}, []
    for name in folders:
        try:
            loaded[name] = results.load(Path(reports_dir) / name)
        except AnnKerasError as error:
            skipped.append(f"{Path(reports_dir) / name}: {str(error).splitlines()[0][:160]}")
    return loaded, skipped


@dataclass
class Summary:
    """What the summary shows: its sections, and the same as data for reproduction.json and .csv."""

    sections: list[Section]
    data: dict = field(default_factory=dict)
    claims: pd.DataFrame = field(default_factory=pd.DataFrame)


def build(reports: dict[str, RunResult], record: dict | None) -> Summary:
    """Return the reproduction summary of `reports` (folder name -> results), with `record` from reproduce.json."""
    paper_frames = {name: metrics.paper_table(result) for name, result in reports.items()}
    reproduced = {name: r for name, r in reports.items() if not _is_extension(r) and _has_claims(paper_frames[name])}
    claims = _claims(reproduced, paper_frames)
    extensions = _extensions(reports, paper_frames)
    sections = [
        _opening(reports, record),
        _claims_section(claims),
        _extensions_section(extensions),
        _changes_section(reproduced),
        _easy_and_hard_section(reproduced),
        _compute_section(reports, record),
        _protocol_section(reports),
    ]
    data = {
        "record": record,
        "claims": _records(claims.drop(columns="shown")),
        "extensions": _records(extensions),
        "changes": {name: [note["title"] for note in r.spec.get("notes") or []] for name, r in reproduced.items()},
        "easy_and_hard": {name: {"easy": r.spec["paper"].get("easy", ""), "hard": r.spec["paper"].get("hard", "")}
                          for name, r in reproduced.items()},
        "compute": _records(_compute(reports, record)),
        "protocol": _records(_protocol(reports)),
    }
    return Summary([s for s in sections if s is not None], data, claims)


def write_data(summary: Summary, reports_dir: Path) -> None:
    """Write reproduction.json and reproduction.csv beside the index."""
    files.write_text(Path(reports_dir) / SUMMARY_JSON, json.dumps(summary.data, indent=1, allow_nan=False) + "\n",
                     within=reports_dir)
    files.write_text(Path(reports_dir) / SUMMARY_CSV, summary.claims.drop(columns="shown").to_csv(index=False),
                     within=reports_dir)


def _records(frame: pd.DataFrame) -> list[dict]:
    """Return a frame's rows as plain JSON values: numpy scalars as Python's, NaN (not measured) as null."""
    def plain(value):
        value = value.item() if hasattr(value, "item") else value
        return None if isinstance(value, float) and value != value else value
    return [{key: plain(value) for key, value in row.items()} for row in frame.to_dict("records")]


def _is_extension(result: RunResult) -> bool:
    return bool(result.spec["paper"].get("extension"))


def _has_claims(frame: pd.DataFrame) -> bool:
    return not frame.empty and bool((~frame["published"] & frame["paper"].notna()).any())


# ---------------------------------------------------------------- claims


CLAIM_COLUMNS = ["report", "profile", "setting", "measure", "paper", "ours", "ours_std", "seeds", "extension",
                 "difference", "noise", "verdict", "why"]


def _claims(reports: dict[str, RunResult], frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Return one row per number the paper reports, ours measured its way beside it, from every report."""
    rows = []
    for name, result in reports.items():
        frame = frames[name]
        for row in frame[~frame["published"] & frame["paper"].notna()].to_dict("records"):
            rows.append(_claim(name, result, row))
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS + ["shown"])


def _claim(name: str, result: RunResult, row: dict) -> dict:
    shown = formatting.paper_display(pd.DataFrame([row])).iloc[0]
    configuration = "configuration" in row["measure"]
    return {"report": name, "profile": result.profile, "setting": row["setting"], "measure": row["measure"],
            "paper": row["paper"], "ours": row["ours"] if configuration else row["ours_mean"],
            "ours_std": None if configuration else row["ours_std"], "seeds": row["executions"],
            "extension": row.get("extension_mean"), "difference": row["difference"], "noise": row["noise"],
            "verdict": row["verdict"], "why": row.get("why", ""), "shown": shown}


def _claims_section(claims: pd.DataFrame) -> Section:
    said = set()

    def why_once(row) -> str:
        """A setting's reason once, on its first row that differs: the same words under each measure say nothing."""
        text = row["shown"]["why they differ"]
        if not text or (row["report"], row["setting"]) in said:
            return ""
        said.add((row["report"], row["setting"]))
        return text

    shown = pd.DataFrame([{
        "report (profile)": f"{row['report']} ({row['profile']})", "claim": f"{row['setting']}: {row['measure']}",
        "paper": row["shown"]["paper"], "ours, the paper's evaluation": row["shown"]["ours"],
        "noise (95%)": row["shown"]["noise (95%)"], "verdict": row["verdict"],
        "ours with recomputed batch-norm statistics (our extension)":
            row["shown"]["ours with recomputed batch-norm statistics (our extension)"],
        "why they differ": why_once(row),
    } for row in claims.to_dict("records")])
    table = formatting.table("claims", claims.drop(columns="shown"), shown if not shown.empty else None)
    table.csv = False   # reproduction.csv holds them
    return Section("claims", "Claims tested", tables=[table], paragraphs=[
        "Every number the paper reports, with ours measured the way the paper measured it: test accuracy with "
        "batch normalisation's moving averages, as the paper's PyTorch network and Keras evaluate by default. "
        "Ours is the mean ± standard deviation over the seeds (n = 1: one run, no spread). A difference inside "
        "the noise column, a 95% interval from the test split's size (a binomial proportion, the paper's too) and "
        "the seeds' spread, is \"level\". Where we also recomputed batch-norm statistics on clean training images, "
        "that number is our extension, with its gain in points, never the headline."])


# ---------------------------------------------------------------- beyond the paper


def _extensions(reports: dict[str, RunResult], frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Return what stands beside the paper as ours: recipes of our own and published results on other data."""
    rows = []
    for name, result in reports.items():
        frame = frames[name]
        published = frame[frame["published"]]
        for row in published.to_dict("records"):
            rows.append({"report": name, "profile": result.profile, "what": f"{row['setting']}: test accuracy",
                         "compared with": "published result", "theirs": row["paper"], "ours": row["ours_mean"],
                         "seeds": row["executions"], "noise": row["noise"], "verdict": row["verdict"]})
        if _is_extension(result):
            for row in frame[~frame["published"] & frame["paper"].notna()].to_dict("records"):
                rows.append({"report": name, "profile": result.profile, "what": f"{row['setting']}: {row['measure']}",
                             "compared with": "the paper's final model (another network: our extension)",
                             "theirs": row["paper"], "ours": row["ours_mean"], "seeds": row["executions"],
                             "noise": row["noise"], "verdict": row["verdict"]})
    return pd.DataFrame(rows, columns=["report", "profile", "what", "compared with", "theirs", "ours", "seeds",
                                       "noise", "verdict"])


def _extensions_section(extensions: pd.DataFrame) -> Section | None:
    if extensions.empty:
        return None
    shown = extensions.assign(
        theirs=[formatting.pct(v) if "accuracy" in w else formatting.num(v)
                for v, w in zip(extensions["theirs"], extensions["what"])],
        ours=[formatting.pct(v) if "accuracy" in w else formatting.num(v)
              for v, w in zip(extensions["ours"], extensions["what"])],
        noise=["" if formatting.is_nan(v) else f"± {100 * v:.1f} pts" for v in extensions["noise"]])
    shown["report"] = [f"{r} ({p})" for r, p in zip(shown["report"], shown["profile"])]
    table = formatting.table("extensions", extensions, shown.drop(columns="profile"))
    table.csv = False
    return Section("beyond", "Beyond the paper, labelled as ours", tables=[table], paragraphs=[
        "Not claims of the paper: a recipe of our own (cnn-fast, another network, set beside the paper's final "
        "number to show what two cores can do) and the recurrent networks the paper's section V names without an "
        "experiment, beside results published for the same data set."])


# ---------------------------------------------------------------- what we changed, what was hard


def _changes_section(reports: dict[str, RunResult]) -> Section:
    paragraphs = [
        "Each report's \"Where we differ and why\" gives the whole of each point; in short, by report:"]
    for name, result in reports.items():
        sizes = result.dataset["sizes"]
        titles = "; ".join(note["title"] for note in result.spec.get("notes") or [])
        paragraphs.append(f"{name} ({result.profile}): data {result.dataset['name']}, read from "
                          f"{formatting.beside_project(result.dataset['source'], result.spec.get('path', ''))}; "
                          f"{sizes['train']:,} training, {sizes['validation']:,} "
                          f"validation and {sizes['test']:,} test examples. {titles}.")
    return Section("changes", "What we changed or could not know", paragraphs=paragraphs)


def _easy_and_hard_section(reports: dict[str, RunResult]) -> Section | None:
    paragraphs = []
    for name, result in reports.items():
        paper = result.spec["paper"]
        if paper.get("easy"):
            paragraphs.append(f"{name}, easy: {paper['easy'].strip()}")
        if paper.get("hard"):
            paragraphs.append(f"{name}, hard: {paper['hard'].strip()}")
    return Section("easy-hard", "What was easy and what was hard", paragraphs=paragraphs) if paragraphs else None


# ---------------------------------------------------------------- compute and protocol


def _compute(reports: dict[str, RunResult], record: dict | None) -> pd.DataFrame:
    in_record = {e["report"]: e for e in (record or {}).get("experiments", [])}
    rows = []
    for name, result in reports.items():
        rows.append({"report": name, "profile": result.profile,
                     "hardware": formatting.hardware_text(result.environment["hardware"]),
                     # In make reproduce: the command's own measure of the experiment (a later invocation that
                     # found every stage finished would otherwise stand in for it).
                     "arithmetic": formatting.arithmetic(result),
                     "wall_time_min": in_record.get(name, {"wall_time_s": result.wall_time_s})["wall_time_s"] / 60,
                     "training_min": metrics.training_seconds(result) / 60,
                     "in make reproduce": "yes" if name in in_record else "", "finished": result.finished})
    return pd.DataFrame(rows, columns=["report", "profile", "hardware", "arithmetic", "wall_time_min",
                                       "training_min", "in make reproduce", "finished"])


def _opening(reports: dict[str, RunResult], record: dict | None) -> Section:
    paragraphs = [
        "What make reproduce reproduces of the paper \"Training Artificial Neural Networks\" (the MLP of its "
        "section II and the CNN of its section IV; the recurrent networks of its section V, which it names without "
        "an experiment, are ours), in the form the ML Reproducibility Challenge uses. Every number was produced by "
        "the code and the run its report names."]
    if record is not None:
        parts = ", ".join(f"{e['report']} ({e['profile']}) {e['wall_time_s'] / 60:.1f} min"
                          for e in record["experiments"])
        paragraphs.append(
            f"The last \"{record['command']}\" took {record['wall_time_s'] / 60:.1f} minutes in all on "
            f"{record.get('hardware') or 'a machine it did not record'} (seed {record['seed']}, finished "
            f"{record['finished']}): {parts}, the rest TensorFlow's start and writing the reports.")
    return Section("reproduced", "Reproduction summary", paragraphs=paragraphs)


def _compute_section(reports: dict[str, RunResult], record: dict | None) -> Section:
    frame = _compute(reports, record)
    shown = frame.assign(wall_time_min=[f"{v:.1f}" for v in frame["wall_time_min"]],
                         training_min=[f"{v:.1f}" for v in frame["training_min"]]).rename(
        columns={"wall_time_min": "wall time (min)", "training_min": "training (min)"})
    table = formatting.table("compute", frame, shown)
    table.csv = False
    return Section("compute", "Compute", tables=[table], paragraphs=[
        "Each report's machine and the arithmetic its final model trained in (what ran, not what the processor "
        "could do); its wall time, as `make reproduce` measured it for the reports it made, else in the invocation "
        "that finished the run; and the time of every training it records (resumed invocations included). Reports "
        "not marked \"in make reproduce\" come from other commands, each named in its report."])


def _protocol(reports: dict[str, RunResult]) -> pd.DataFrame:
    rows = []
    for name, result in reports.items():
        tuner, search = result.spec["tuner"], result.spec["search"]
        axes = "; ".join(f"{k} in {{{', '.join(metrics.display_value(k, v) for v in values)}}}"
                         for k, values in search.items() if len(values) > 1) or "none"
        folds = tuner.get("folds") or 0
        criterion = (f"mean {tuner['objective']} over {folds} folds" if folds > 1
                     else f"{tuner['objective']} on the validation split")
        rows.append({"report": name, "profile": result.profile, "search": tuner["name"] if result.kind == "tune"
                     else "none (train)", "axes": axes, "trials": len(result.trials),
                     "seeds per trial": tuner["executions"], "selected by": criterion})
    return pd.DataFrame(rows, columns=["report", "profile", "search", "axes", "trials", "seeds per trial",
                                       "selected by"])


def _protocol_section(reports: dict[str, RunResult]) -> Section:
    table = formatting.table("protocol", _protocol(reports))
    table.csv = False
    return Section("protocol", "Search protocol", tables=[table], paragraphs=[
        "What each search varied and over which values, how many trials and seeds it trained, and what chose "
        "the best configuration (never the test split)."])
