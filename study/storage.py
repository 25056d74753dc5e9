"""Where a study lives: a local folder, or any URI that pyarrow's file systems open (``s3://bucket/prefix``,
``gs://bucket/prefix``). Ray Tune writes its experiments and checkpoints there itself; this module
writes and reads the study's own files (``ganstudy.json``, ``progress.log``, the report) the same way.

An S3-compatible endpoint (MinIO, Ceph, a local test server) comes from the standard
``AWS_ENDPOINT_URL`` variable, credentials from the usual AWS variables or profile. A GCS emulator
comes from ``STORAGE_EMULATOR_HOST``, the variable Google's own client libraries read (pyarrow's GCS
client does not: the file system is built here, without credentials, as an emulator wants); real GCS
takes Google's default credentials.

Writes are whole objects: on a local disk a temporary file renamed over the target, on an object
store a single upload that becomes visible only once complete. So an interrupted run never leaves
half a file, and ``ganstudy.json`` is written before any trial starts, which is what ``resume`` needs.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

from study.errors import UserError

CHECKPOINT_PREFIX = "checkpoint_"  # Tune's checkpoint folders: model and optimizer states, large
SAMPLES_PREFIX = "samples."  # a final checkpoint's samples (samples.npz, samples.png): the report draws them
COPY_THREADS = 16  # parallel requests when copying a study out of an object store
EMULATOR_RETRY_S = 3  # an emulator that does not answer: fail within seconds (pyarrow's default is 15 min)


def report_reads(rel: str) -> bool:
    """Does the report read this file of a study (a path relative to the study folder)? Everything but
    checkpoints, and of a checkpoint only its samples."""
    parts = PurePosixPath(rel).parts
    in_checkpoint = any(part.startswith(CHECKPOINT_PREFIX) for part in parts[:-1])
    return not in_checkpoint or parts[-1].startswith(SAMPLES_PREFIX)


class Location:
    """A study folder: ``str()`` is what users type (an absolute path or a URI)."""

    def __init__(self, fs, path: str, uri: str):
        self.fs, self.path, self.uri = fs, path.rstrip("/"), uri.rstrip("/")

    @property
    def is_local(self) -> bool:
        from pyarrow.fs import LocalFileSystem

        return isinstance(self.fs, LocalFileSystem)

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    def local_path(self) -> Path:
        assert self.is_local
        return Path(self.path)

    def __truediv__(self, name: str) -> Location:
        return Location(self.fs, f"{self.path}/{name}", f"{self.uri}/{name}")

    def __str__(self) -> str:
        return self.uri

    def for_tune(self) -> dict:
        """Where Ray Tune keeps an experiment of this study: ``{"storage_path": ..., "storage_filesystem":
        ...}`` (the file system itself for a store, so that Tune's workers use the same endpoint)."""
        if self.is_local:
            return {"storage_path": self.path}
        return {"storage_path": self.path, "storage_filesystem": self.fs}

    def __repr__(self) -> str:
        return f"Location({self.uri!r})"

    # -- reading and writing whole files -------------------------------------------------------
    def _type(self, path: str):
        try:
            return self.fs.get_file_info(path).type
        except OSError as e:
            raise UserError(self.uri, _describe(e, self.uri)) from None

    def exists(self) -> bool:
        """Anything is stored there (a file, or a folder with something in it)."""
        from pyarrow.fs import FileSelector, FileType

        kind = self._type(self.path)
        if kind == FileType.File:
            return True
        if kind == FileType.NotFound:
            return False
        try:
            return bool(self.fs.get_file_info(FileSelector(self.path, recursive=False)))
        except OSError as e:
            raise UserError(self.uri, _describe(e, self.uri)) from None

    def is_file(self, name: str) -> bool:
        from pyarrow.fs import FileType

        return self._type(f"{self.path}/{name}") == FileType.File

    def read_text(self, name: str) -> str:
        with self.fs.open_input_stream(f"{self.path}/{name}") as f:
            return f.read().decode()

    def write_text(self, name: str, text: str) -> None:
        target = f"{self.path}/{name}"
        if self.is_local:
            Path(self.path).mkdir(parents=True, exist_ok=True)
            tmp = Path(self.path) / f".{name}.tmp"
            tmp.write_text(text)
            os.replace(tmp, target)
        else:  # one upload; the object appears only when it is complete
            with self.fs.open_output_stream(target) as f:
                f.write(text.encode())

    def append_text(self, name: str, text: str) -> None:
        """Append to a small log (an object store cannot append: read it and write it back whole)."""
        if self.is_local:
            Path(self.path).mkdir(parents=True, exist_ok=True)
            with (Path(self.path) / name).open("a") as f:
                f.write(text)
            return
        old = self.read_text(name) if self.is_file(name) else ""
        self.write_text(name, old + text)

    # -- whole folders --------------------------------------------------------------------------
    def files(self) -> Iterator[tuple[str, str]]:
        """(path relative to this folder, full path) of every file below it."""
        from pyarrow.fs import FileSelector, FileType

        for info in self.fs.get_file_info(FileSelector(self.path, recursive=True, allow_not_found=True)):
            if info.type == FileType.File:
                yield info.path[len(self.path) + 1:], info.path

    def download(self, dest: Path, *, threads: int = COPY_THREADS) -> Path:
        """Copy what the report reads to ``dest``: every file outside the checkpoint folders, and from
        those only the final samples. Files are fetched in parallel: a study is thousands of small
        objects, and an object store's latency per request, not its bandwidth, bounds the copy."""
        wanted = [(rel, full) for rel, full in self.files() if report_reads(rel)]

        def fetch(item: tuple[str, str]) -> None:
            rel, full = item
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with self.fs.open_input_stream(full) as src, target.open("wb") as out:
                shutil.copyfileobj(src, out)

        dest.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(fetch, wanted))  # list(): re-raise the first failed copy here
        return dest

    def upload(self, source: Path, name: str) -> Location:
        """Copy the local folder ``source`` to ``name`` below this one."""
        target = self / name
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            with path.open("rb") as src, self.fs.open_output_stream(
                    f"{target.path}/{path.relative_to(source).as_posix()}") as out:
                shutil.copyfileobj(src, out)
        return target

    # -- checks -------------------------------------------------------------------------------
    def check_reachable(self) -> None:
        """The store answers, the bucket exists and the credentials may read it (``UserError`` if not).
        Reads only: nothing is written."""
        from pyarrow.fs import FileType

        if self.is_local:
            return
        bucket = self.path.split("/", 1)[0]
        kind = self._type(bucket)
        if kind == FileType.NotFound:
            raise UserError(self.uri, f"bucket {bucket!r} does not exist (or these credentials cannot see it); "
                                      f"create it first, or check the name{_endpoint_note(self.uri)}")
        self.exists()  # listing the prefix: needs read access, fails on wrong credentials


# what an error names, by store: the variables that set its endpoint, and where its credentials come from
_STORES = {
    "s3": (("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"), "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE"),
    "gs": (("STORAGE_EMULATOR_HOST",), "Google's default credentials, e.g. GOOGLE_APPLICATION_CREDENTIALS"),
}


def _store(uri: str) -> tuple[tuple[str, ...], str]:
    return _STORES.get(uri.partition("://")[0], ((), "the store's credentials"))


def _endpoint_note(uri: str) -> str:
    for name in _store(uri)[0]:
        if os.environ.get(name):
            return f" (endpoint {os.environ[name]} from {name})"
    return ""


def _describe(e: OSError, uri: str) -> str:
    text = " ".join(str(e).split())
    upper = text.upper()
    variables, credentials = _store(uri)
    if any(word in upper for word in ("ACCESS_DENIED", "INVALIDACCESSKEYID", "SIGNATUREDOESNOTMATCH", "FORBIDDEN",
                                      "PERMISSION_DENIED", "UNAUTHENTICATED")):
        return f"access denied; check the credentials ({credentials}){_endpoint_note(uri)}"
    if any(word in upper for word in ("NETWORK_CONNECTION", "COULD NOT CONNECT", "COULDN'T CONNECT", "RESOLVE",
                                      "TIMED OUT")):
        check = variables[-1] if variables else "the address"
        return f"the object store does not answer{_endpoint_note(uri)}; check {check} and the network"
    return text


def location(where: str | os.PathLike, *, arg: str | None = None) -> Location:
    """A local path (made absolute) or a URI pyarrow opens; ``UserError`` naming ``arg`` if neither."""
    text = os.fspath(where)
    if "://" not in text:
        path = Path(text).expanduser().resolve()
        from pyarrow.fs import LocalFileSystem

        return Location(LocalFileSystem(), str(path), str(path))
    from pyarrow import ArrowInvalid, ArrowNotImplementedError
    from pyarrow.fs import FileSystem, LocalFileSystem

    try:
        fs, path = _gcs_emulator(text) or FileSystem.from_uri(text)
    except (ArrowInvalid, ArrowNotImplementedError, ValueError) as e:
        detail = " ".join(str(e).split())
        raise UserError(arg or text, f"not a storage URI this installation can open ({detail})") from None
    except OSError as e:
        raise UserError(arg or text, _describe(e, text)) from None
    if isinstance(fs, LocalFileSystem):  # file:///...
        return Location(fs, str(Path(path).resolve()), str(Path(path).resolve()))
    return Location(fs, path, text.rstrip("/"))


def _gcs_emulator(uri: str):
    """(file system, path) of a ``gs://`` URI on the emulator STORAGE_EMULATOR_HOST names, or None."""
    host = os.environ.get("STORAGE_EMULATOR_HOST")
    if not host or not uri.startswith("gs://"):
        return None
    from datetime import timedelta

    from pyarrow.fs import GcsFileSystem

    scheme, _, endpoint = host.rpartition("://")
    return (GcsFileSystem(anonymous=True, scheme=scheme or "http", endpoint_override=endpoint.rstrip("/"),
                          retry_time_limit=timedelta(seconds=EMULATOR_RETRY_S)),
            uri[len("gs://"):].rstrip("/"))


class LocalCopy:
    """A study as a local folder for the report: the folder itself, or a temporary download of a URI."""

    def __init__(self, study: Location):
        self.study, self._tmp = study, None

    def __enter__(self) -> Path:
        if self.study.is_local:
            return self.study.local_path()
        self._tmp = tempfile.TemporaryDirectory(prefix="ganstudy-")
        return self.study.download(Path(self._tmp.name) / self.study.name)

    def __exit__(self, *exc) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
