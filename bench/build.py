"""Build time by stage, peak memory and throughput of `rag-index build` on the real corpus.

    python bench/build.py [--corpus DIR]

Builds into a temporary folder (the service's index is left alone) and prints one table.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from indexer.building import build_index
from indexer.settings import IndexSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = IndexSettings(index_dir=Path(folder) / "index")
        if args.corpus:
            settings = settings.model_copy(update={"corpus_dir": args.corpus})
        started = time.perf_counter()
        report = build_index(settings)
        total = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stages = report.seconds
    print(f"documents {report.documents}, chunks {report.chunks}, sentences {report.sentences}")
    print(f"{'stage':<22}{'seconds':>10}")
    for stage, seconds in stages.items():
        print(f"{stage:<22}{seconds:>10.2f}")
    print(f"{'total':<22}{total:>10.2f}")
    embedding = stages["embedding chunks"] + stages["embedding sentences"]
    print(f"chunks/s (whole build)      {report.chunks / total:10.1f}")
    print(f"texts embedded/s            {(report.chunks + report.sentences) / embedding:10.1f}")
    print(f"peak memory (RSS, MiB)      {peak_mib:10.0f}")


if __name__ == "__main__":
    main()
