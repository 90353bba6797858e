"""Prompt words in the output: how many a prompt's model wrote although the document lacks them.

    python bench/leaks.py --suite core-dev --prompt v35 --prompt v37 --engine xllamacpp

Every document of each suite is extracted by replaying its recordings (no model runs).  Per
prompt it prints the documents whose output has any of the prompt's own instruction words that
the document has no form of (`abstraction.evaluation.leakage.prompt_leaks`), counted over the
record and the ``dropped`` list (grounding drops most such values, but the model wrote them),
and how many of them are in the record itself (a default prompt must have none there).

Nothing here is a test: it reports what it measures.
"""

from __future__ import annotations

from replayed import parser, replay

from abstraction.core.documents import Document
from abstraction.core.prompts import default_prompts_dir, load_prompt
from abstraction.evaluation.leakage import prompt_leaks_by_document
from abstraction.evaluation.suite import load_suite


def main() -> None:
    args = parser(__doc__).parse_args()
    for name in args.suite:
        suite = load_suite(name)
        texts = {d.id: d.text for d in map(Document.from_path, suite.documents)}
        prompts = [load_prompt(v, default_prompts_dir()) for v in args.prompt]
        runs = replay(suite, prompts, args.engine)
        for prompt, run in zip(prompts, runs, strict=True):
            exts = run.extractions
            leaks = prompt_leaks_by_document(exts, prompt, texts)
            kept = {k: e.model_copy(update={"dropped": []}) for k, e in exts.items()}
            in_record = prompt_leaks_by_document(kept, prompt, texts)
            words = sum(map(len, leaks.values()))
            print(
                f"{name} {run.label}: {len(leaks)} of {len(exts)} documents with prompt words "
                f"({words} words, record and dropped); {len(in_record)} with any in the record"
            )
            for doc_id, found in leaks.items():
                print(f"    {doc_id}: {', '.join(found)}")


if __name__ == "__main__":
    main()
