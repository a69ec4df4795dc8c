"""`flask data import` on both MovieLens layouts: parsing, idempotence, all-or-nothing failures."""
import shutil
import zipfile
from pathlib import Path

import pytest

from recommender import store
from recommender.ingest.importer import import_release
from recommender.ingest.sources import read_widedeep_wheel

from .conftest import CSV_MINI, ML100K_MINI, snapshot


def run_import(app, source) -> object:
    return app.test_cli_runner().invoke(args=["data", "import", "--source", str(source)])


def movie(app, movie_id):
    db = store.connect(app.config["DATABASE"])
    try:
        return db["movies"].get(movie_id)
    finally:
        db.close()


def test_ml100k_layout_folder(empty_app):
    result = run_import(empty_app, ML100K_MINI)
    assert result.exit_code == 0, result.output
    assert "ml-100k layout" in result.output
    assert "30 movies, 30 users, 313 ratings" in result.output
    assert movie(empty_app, 6)["display_title"] == "The Godfather"
    assert movie(empty_app, 6)["year"] == 1972
    assert movie(empty_app, 6)["genres"] == "Action|Crime|Drama"


def test_latin1_titles_unknown_movie_and_duplicates(empty_app):
    run_import(empty_app, ML100K_MINI)
    cite = movie(empty_app, 11)
    assert cite["title"] == "Cité des enfants perdus, La (1995)"
    assert cite["display_title"] == "La Cité des enfants perdus"
    assert cite["search_key"] == "la cite des enfants perdus"
    unknown = movie(empty_app, 15)
    assert unknown["title"] == "unknown" and unknown["year"] is None and unknown["genres"] == "unknown"
    assert movie(empty_app, 13)["title"] == movie(empty_app, 14)["title"] == "Chasing Amy (1997)"
    assert movie(empty_app, 13)["genres"] != movie(empty_app, 14)["genres"]


def test_csv_layout_folder(empty_app):
    result = run_import(empty_app, CSV_MINI)
    assert result.exit_code == 0, result.output
    assert "ratings.csv layout" in result.output
    assert movie(empty_app, 15)["genres"] == ""
    assert movie(empty_app, 24)["display_title"] == "The Good, The Bad and The Ugly"
    db = store.connect(empty_app.config["DATABASE"])
    assert db.execute("SELECT count(*) FROM ratings WHERE rating * 2 % 2 = 1").fetchone()[0] > 0
    db.close()


def test_zip_source_and_second_run_adds_nothing(empty_app, tmp_path):
    archive = tmp_path / "ml-100k.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in ML100K_MINI.iterdir():
            zf.write(f, f"ml-100k/{f.name}")
    assert run_import(empty_app, archive).exit_code == 0
    before = snapshot(Path(empty_app.config["DATABASE"]))
    assert run_import(empty_app, archive).exit_code == 0
    assert snapshot(Path(empty_app.config["DATABASE"])) == before
    assert len(before["ratings"]) == 313 and len(before["users"]) == 30


def test_truncated_zip_fails_cleanly_and_leaves_store_untouched(app, tmp_path):
    archive = tmp_path / "ml-100k.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in ML100K_MINI.iterdir():
            zf.write(f, f"ml-100k/{f.name}")
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    before = snapshot(Path(app.config["DATABASE"]))
    result = run_import(app, archive)
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and result.output.startswith("error:")
    assert snapshot(Path(app.config["DATABASE"])) == before


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "u.data").unlink(), "missing u.data"),
    (lambda d: (d / "u.data").write_text((d / "u.data").read_text() + "1\t2\tfive\t880000000\n"), "rating"),
    (lambda d: (d / "u.data").write_text((d / "u.data").read_text() + "1\t999\t4\t880000000\n"), "movie 999"),
    (lambda d: (d / "u.data").write_text((d / "u.data").read_text() + "1\t2\t4\n"), "malformed"),
    (lambda d: (d / "u.item").write_bytes(b"1|Broken|x\n"), "u.item"),
])
def test_bad_release_changes_nothing(app, tmp_path, damage, message):
    broken = tmp_path / "broken"
    shutil.copytree(ML100K_MINI, broken)
    (broken / "u.data").write_text((broken / "u.data").read_text().replace("\t4\t", "\t3\t", 5))
    damage(broken)
    before = snapshot(Path(app.config["DATABASE"]))
    result = run_import(app, broken)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert snapshot(Path(app.config["DATABASE"])) == before


def test_missing_source(empty_app, tmp_path):
    result = run_import(empty_app, tmp_path / "nope")
    assert result.exit_code == 2 and "no such file" in result.output


@pytest.mark.ml100k
def test_real_ml100k_counts_and_idempotence(ml100k_wheel, tmp_path):
    db = store.connect(tmp_path / "movies.db")
    release = read_widedeep_wheel(ml100k_wheel)
    first = import_release(db, release).totals
    assert first == {"movies": 1682, "ratings": 100000, "users": 943}
    assert db.execute("SELECT count(*) FROM movies WHERE genres != ''").fetchone()[0] == 1682
    assert import_release(db, read_widedeep_wheel(ml100k_wheel)).totals == first
    assert db["movies"].get(127)["display_title"] == "The Godfather"


def test_accounts_leave_room_for_a_bigger_release(empty_app, tmp_path):
    """An account made after one import does not take a user id a later, bigger release uses."""
    from recommender.store import accounts

    assert run_import(empty_app, ML100K_MINI).exit_code == 0  # users 1-30
    db = store.connect(empty_app.config["DATABASE"])
    first = accounts.create(db, "early-bird", "a long enough password")
    second = accounts.create(db, "second-bird", "a long enough password")
    db.close()
    assert first.id == accounts.ACCOUNT_ID_FLOOR and second.id == first.id + 1
    bigger = tmp_path / "bigger"
    shutil.copytree(CSV_MINI, bigger)
    with open(bigger / "ratings.csv", "a") as f:
        f.write("31,1,4.0,964982703\n500000,2,3.5,964982704\n")
    result = run_import(empty_app, bigger)
    assert result.exit_code == 0, result.output
    db = store.connect(empty_app.config["DATABASE"])
    assert accounts.get(db, first.id).username == "early-bird"
    assert db.execute("SELECT count(*) FROM ratings WHERE user_id IN (31, 500000)").fetchone()[0] == 2
    db.close()
