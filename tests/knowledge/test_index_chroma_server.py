"""The vector store as a Chroma server (HESHI_CHROMA_URL): a real `chroma run` on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.kb import KnowledgeBase
from knowledge.settings import KnowledgeSettings
from tests.knowledge.index_fixtures import CharGramEmbeddings, sample_documents

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    executable = Path(sys.executable).parent / "chroma"
    if not executable.exists():
        pytest.skip("the chroma server command is not installed")
    port = _free_port()
    command = [str(executable), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1"]
    server = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("the chroma server did not start")
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_ingest_and_search_through_a_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    settings = KnowledgeSettings(data_dir=tmp_path / "data", chroma_url=chroma_url)
    kb = KnowledgeBase.open(settings, embeddings=CharGramEmbeddings())
    kb.ingest_documents(sample_documents())
    assert kb.stats()["vector_store"] == chroma_url
    assert not (kb.index_dir / "chroma").exists()  # nothing of the dense index on local disk
    assert kb.vectors.count() == kb.stats()["vectors"] > 0
    assert kb.search("拖欠劳动报酬 支付令", k=1)[0].unit.id == "law/中华人民共和国劳动合同法/30"
    assert {h.unit.scope for h in kb.search("邻里纠纷调解", k=20, community="QSC")} <= {"national", "QSC"}
