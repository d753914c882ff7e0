"""examples/notebook.ipynb executed headless (nbclient + ipykernel), its outputs checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mailru_sync.testing._mailru_world import PRIMARY_UID, MailruWorld

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "notebook.ipynb"


def outputs_of(cell: Any) -> tuple[str, set[str]]:
    """The cell's printed text and the MIME types of its rich outputs."""
    text, kinds = [], set()
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            text.append(output["text"])
        elif output["output_type"] in ("execute_result", "display_data"):
            kinds.update(output["data"])
            text.append(output["data"].get("text/plain", ""))
        elif output["output_type"] == "error":
            raise AssertionError(f"{output['ename']}: {output['evalue']}")
    return "".join(text), kinds


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The notebook, run once headless for the tests of this module (a kernel costs seconds)."""
    nbformat = pytest.importorskip("nbformat")  # nbclient and ipykernel are in the test extra
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path_factory.mktemp("notebook"))}},
    )
    client.execute()
    return notebook


def test_the_notebook_runs_and_shows_the_whole_feed_and_every_photo(executed: Any) -> None:
    notebook = executed
    cells = [outputs_of(cell) for cell in notebook.cells if cell.cell_type == "code"]
    printed = "\n".join(text for text, _ in cells)

    world = MailruWorld(seed=0)  # the emulator the notebook starts is seeded the same way
    feed_count = len(world.feed(PRIMARY_UID))
    albums = world.albums[PRIMARY_UID].values()
    assert f"feed items: {feed_count}\n" in printed and feed_count == 581
    assert f"albums: {len(albums)}\n" in printed
    assert f"photos: {sum(len(a.photos) for a in albums)}\n" in printed
    assert f"logged in as uid {PRIMARY_UID}" in printed
    kinds = set().union(*(k for _, k in cells))
    assert "text/html" in kinds  # the pandas tables
    assert "author.location.city.name" in printed  # json_normalize flattened the nested JSON
    assert "image/png" in kinds  # the plot
    dumped = json.dumps(notebook.dict())
    for secret in (
        world.app.private_key,
        world.app.secret_key,
        world.credentials[PRIMARY_UID].password,
    ):
        assert secret not in dumped


def widget_texts(notebook: Any) -> list[str]:
    """The text of every HTML widget the run left in the notebook's saved widget state."""
    state = notebook.metadata.get("widgets", {})
    models = state.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    return [
        str(model["state"].get("value", "")).replace("\u2007", " ")
        for model in models.values()
        if model.get("model_name") == "HTMLModel"
    ]


def test_progress_bars_are_widgets_with_a_total_when_the_platform_gives_one(
    executed: Any,
) -> None:
    pytest.importorskip("ipywidgets")  # in the test extra (and the notebook extra)
    notebook = executed
    kinds = set().union(*(outputs_of(cell)[1] for cell in notebook.cells
                          if cell.cell_type == "code"))
    assert "application/vnd.jupyter.widget-view+json" in kinds  # tqdm.auto chose the widget
    texts = " | ".join(widget_texts(notebook))
    world = MailruWorld(seed=0)
    albums = world.albums[PRIMARY_UID].values()
    # An album's photos are answered whole: each bar knows its total. The feed reports none.
    for album in albums:
        assert f" {len(album.photos)}/{len(album.photos)} " in texts, texts
    assert f" {len(albums)}/{len(albums)} " in texts
    assert f" {len(world.feed(PRIMARY_UID))}/? " in texts
