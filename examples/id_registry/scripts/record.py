"""Record the example's model answers: one live run of the embedded model on the three texts.

`examples/id_registry/recordings` is what ``--replay`` answers from.  On a shared CPU one
request to the embedded model can take longer than the client's default 600 s timeout, so this
script opens the client with a longer one; otherwise it is ``abstraction extract`` (the same
pipeline, prompt and client settings, so the same request bodies: the CLI replays them).
Run from the repository root::

    nice -n 19 python -m examples.id_registry.scripts.record
"""

from __future__ import annotations

from pathlib import Path

from abstraction.client import open_client, resolve_config
from abstraction.core.documents import Document
from abstraction.core.prompts import load_prompt
from abstraction.extraction.output import write_extraction
from abstraction.extraction.pipeline import extractor_for

HERE = Path(__file__).resolve().parents[1]
OUT = Path("out") / "idreg-live"


def main() -> None:
    config = resolve_config(
        recording_dir=HERE / "recordings", recording_mode="record", timeout=4 * 3600.0
    )
    prompt = load_prompt("v1", HERE / "prompts")
    extract = extractor_for(config)
    with open_client(config) as client:
        for path in sorted((HERE / "texts").glob("*.txt")):
            ext = extract(Document.from_path(path), prompt=prompt, client=client)
            written = write_extraction(OUT, ext)
            print(written, ext.status, ext.grounding, ext.provenance.timings, flush=True)


if __name__ == "__main__":
    main()
