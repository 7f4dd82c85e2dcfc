"""A leaderboard that cannot be fooled: one row per measurement, test sets by content, torn and
foreign lines never joined onto, and comparisons only of like with like."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from derainbench.errors import DerainBenchError
from derainbench.experiments.runner import evaluate_run
from derainbench.reporting.comparison import compare_runs
from derainbench.reporting.leaderboard import LeaderboardWarning, append_row, read_leaderboard
from derainbench.reporting.views import aggregate_seeds
from derainbench.training.loop import train
from tests.conftest import model_rows, tiny_config


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("integrity")
    return train(tiny_config(steps=2), root / "run").run.root


def test_re_evaluating_replaces_the_row_instead_of_adding_a_seed(trained, tmp_path) -> None:
    board = tmp_path / "board.csv"
    first = evaluate_run(trained, leaderboard=board, device="cpu")
    again = evaluate_run(trained, leaderboard=board, device="cpu")
    other = evaluate_run(trained, protocol="rgb", leaderboard=board, device="cpu")
    frame = model_rows(read_leaderboard(board))
    assert len(frame) == 2 and first.row["row_key"] == again.row["row_key"]
    assert other.row["row_key"] != first.row["row_key"]
    configs = aggregate_seeds(frame)
    assert (configs["n_seeds"] == 1).all()


def test_one_test_set_typed_two_ways_is_one_test_set(trained, tmp_path) -> None:
    from derainbench.datasets.toy_rain import write_toy_rain_set

    data = write_toy_rain_set(tmp_path / "toy", n_train=2, n_test=2, size=40)
    board = tmp_path / "board.csv"
    plain = evaluate_run(trained, test_data=str(data / "test"), leaderboard=board, device="cpu")
    typed_otherwise = str(data / "test" / ".." / "test")
    other = evaluate_run(trained, test_data=typed_otherwise, leaderboard=board, device="cpu")
    assert plain.row["test_data"] != other.row["test_data"]  # the labels differ...
    assert plain.row["test_set_id"] == other.row["test_set_id"]  # ...the content does not
    assert len(model_rows(read_leaderboard(board))) == 1
    assert len(read_leaderboard(board)) == 2  # and one rainy-input row for both typings


def test_compare_refuses_different_test_sets_whose_files_share_names(trained) -> None:
    records = [
        evaluate_run(trained, test_data=toy_test(seed), record=False, device="cpu")
        for seed in (0, 1)
    ]
    frames = [pd.read_csv(record.per_image_csv) for record in records]
    assert frames[0]["image"].tolist() == frames[1]["image"].tolist()  # same names...
    assert records[0].per_image_csv != records[1].per_image_csv  # ...neither file overwritten
    with pytest.raises(DerainBenchError, match="different test sets"):
        compare_runs(records[0].per_image_csv, records[1].per_image_csv)


def toy_test(seed: int) -> dict:
    return {"name": "toyrain-sk", "split": "test", "n": 3, "size": 40, "seed": seed}


def test_a_torn_last_line_is_dropped_not_joined_onto(tmp_path) -> None:
    board = tmp_path / "board.csv"
    append_row(board, {"run_id": "a", "psnr": 1.0, "row_key": "k1"})
    with board.open("a") as stream:
        stream.write("2026-11-29,b,half a ro")  # a writer killed mid-line
    with pytest.warns(LeaderboardWarning, match="dropped a torn last line"):
        append_row(board, {"run_id": "c", "psnr": 3.0, "row_key": "k3"})
    frame = read_leaderboard(board)
    assert list(frame["run_id"]) == ["a", "c"]


def test_foreign_lines_are_skipped_with_a_warning(tmp_path) -> None:
    board = tmp_path / "board.csv"
    append_row(board, {"run_id": "a", "psnr": 1.0, "row_key": "k1"})
    with board.open("a") as stream:
        stream.write("garbage,with,too,few,cells\n")
    append_row(board, {"run_id": "b", "psnr": 2.0, "row_key": "k2"})
    with pytest.warns(LeaderboardWarning, match="skipped 1 torn or foreign line"):
        frame = read_leaderboard(board)
    assert list(frame["run_id"]) == ["a", "b"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes anything")
def test_a_leaderboard_in_a_read_only_folder_can_be_read(tmp_path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    append_row(folder / "board.csv", {"run_id": "a", "psnr": 1.0, "row_key": "k"})
    (folder / "board.csv.lock").unlink(missing_ok=True)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        assert list(read_leaderboard(folder / "board.csv")["run_id"]) == ["a"]
    finally:
        folder.chmod(stat.S_IRWXU)


def test_reading_never_needs_the_lock_file(tmp_path, monkeypatch) -> None:
    from derainbench.reporting import leaderboard as store

    board = tmp_path / "board.csv"
    append_row(board, {"run_id": "a", "psnr": 1.0, "row_key": "k"})

    class Unwritable:
        def acquire(self):
            raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(store, "_lock", lambda path: Unwritable())
    assert list(read_leaderboard(board)["run_id"]) == ["a"]
