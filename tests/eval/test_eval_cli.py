"""`rag-eval run` and `rag-eval compare` end to end, on the fake app and a fixture eval set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.cli import app
from tests.eval.eval_fixtures import write_corpus, write_eval_set

runner = CliRunner()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("inputs")
    corpus = write_corpus(folder / "corpus")
    eval_set = write_eval_set(folder / "eval_set.jsonl")
    return [
        "--app",
        "tests.eval.eval_fake_service:app",
        "--eval-set",
        str(eval_set),
        "--documents",
        str(corpus),
    ]


def gate_file(tmp_path: Path, minimum_hit: float) -> Path:
    path = tmp_path / "gate.toml"
    path.write_text(f'[shipped.min]\n"answer.hit" = {minimum_hit}\n"citations.validity" = 1.0\n')
    return path


def test_run_writes_the_run_directory_and_passes_a_met_gate(
    inputs: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    gate = gate_file(tmp_path, 0.6)
    result = runner.invoke(
        app, ["run", "--split", "all", *inputs, "--out", str(out), "--gate", "--config", str(gate)]
    )
    assert result.exit_code == 0, result.output
    assert "gate passed (shipped): all 2 thresholds met" in result.output
    assert "[3/4] q-pipeline fail: answer, faithfulness, citations_supported" in result.output
    assert {p.name for p in out.iterdir()} == {
        "results.jsonl",
        "summary.json",
        "report.md",
        "report.html",
    }
    summary = json.loads((out / "summary.json").read_text())
    assert summary["run"]["split"] == "all"
    assert summary["overall"]["questions"] == 4


def test_run_fails_a_gate_it_does_not_meet_and_says_which(
    inputs: list[str], tmp_path: Path
) -> None:
    gate = gate_file(tmp_path, 0.9)
    result = runner.invoke(
        app,
        [
            "run",
            "--split",
            "all",
            *inputs,
            "--out",
            str(tmp_path / "r"),
            "--gate",
            "--config",
            str(gate),
        ],
    )
    assert result.exit_code == 1, result.output
    assert "gate FAILED (shipped): 1 of 2 thresholds not met" in result.output
    assert "answer.hit = 0.6667 (needs >= 0.9)" in result.output


def test_run_on_one_split_asks_only_its_questions(inputs: list[str], tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--split", "dev", *inputs, "--out", str(tmp_path / "dev")])
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "dev" / "results.jsonl").read_text().splitlines()
    assert [json.loads(line)["item"]["id"] for line in lines] == ["q-bird", "q-consulate"]


def test_run_refuses_to_overwrite_a_run(inputs: list[str], tmp_path: Path) -> None:
    out = ["--split", "dev", *inputs, "--out", str(tmp_path / "once")]
    assert runner.invoke(app, ["run", *out]).exit_code == 0
    again = runner.invoke(app, ["run", *out])
    assert again.exit_code == 2
    assert "already holds a run" in again.output


def test_run_without_an_eval_set_says_how_to_fix_it(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--eval-set", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 2
    assert "no eval set at" in result.output and "--eval-set" in result.output


def test_compare_exits_1_on_a_regression_and_0_without(inputs: list[str], tmp_path: Path) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    assert runner.invoke(app, ["run", "--split", "all", *inputs, "--out", str(good)]).exit_code == 0
    assert runner.invoke(app, ["run", "--split", "all", *inputs, "--out", str(bad)]).exit_code == 0
    records = (bad / "results.jsonl").read_text().splitlines()
    first = json.loads(records[0])
    first["score"]["checks"]["answer"] = False  # as if the service had stopped answering it
    first["score"]["metrics"]["answer.hit"] = 0.0
    (bad / "results.jsonl").write_text("\n".join([json.dumps(first), *records[1:]]) + "\n")
    summary = json.loads((bad / "summary.json").read_text())
    summary["overall"]["metrics"]["answer.hit"] = 0.3333
    (bad / "summary.json").write_text(json.dumps(summary))

    same = runner.invoke(app, ["compare", str(good), str(good)])
    assert same.exit_code == 0, same.output
    assert "no regressions" in same.output
    worse = runner.invoke(app, ["compare", str(good), str(bad)])
    assert worse.exit_code == 1, worse.output
    assert "metric regressed: answer.hit 0.6667 -> 0.3333" in worse.output
    assert "question regressed: q-arab-league (answer)" in worse.output


def test_compare_of_a_folder_that_is_no_run_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["compare", str(tmp_path), str(tmp_path)])
    assert result.exit_code == 2
    assert "not a readable run directory" in result.output


def test_an_unknown_corpus_names_the_known_ones() -> None:
    result = runner.invoke(app, ["run", "--corpus", "no-such-corpus"])
    assert result.exit_code == 2
    assert "no eval corpus named 'no-such-corpus'" in result.output
    assert "shipped, apache-license, squad-complexity" in result.output


def test_all_corpora_run_in_process_only(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--all-corpora", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 2
    assert "--all-corpora runs each corpus in process" in result.output


def test_a_gate_without_the_corpus_tables_fails_before_asking(tmp_path: Path) -> None:
    gate = tmp_path / "gate.toml"
    gate.write_text('[shipped.min]\n"answer.hit" = 0.5\n')
    result = runner.invoke(
        app, ["run", "--corpus", "apache-license", "--gate", "--config", str(gate)]
    )
    assert result.exit_code == 2
    assert "no threshold for corpus 'apache-license'" in result.output
