"""Decode + embed on a Ray cluster; results come back to the driver, whose writer commits them.

A pool of ``EmbedWorker`` actors each loads the model once (from the encoder's spec) and
decodes in its own isolated decoder process with the job's timeout, so a bad file costs one
``DecodeError``, never an actor. The driver keeps at most ``in_flight_per_worker`` files
queued per actor (``ray.wait``), so memory stays bounded however long the job is. An actor
that dies anyway (out of memory, node lost) fails its file and is replaced.

Install with ``pip install 'vidseek[ray]'``; the cluster's nodes need vidseek installed and
the videos at the same paths (shared storage).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from vidseek.core.errors import DecodeError, ModelMismatch, VidseekError
from vidseek.core.types import Encoder, ModelIdentity
from vidseek.indexer.embed import WorkItem, embed_video
from vidseek.indexer.executors import Result, isolated_default_decoder
from vidseek.indexer.frames import Decoder
from vidseek.indexer.options import IndexOptions

__all__ = ["EmbedWorker", "RayExecutor", "RayOptions"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide to run. ``address``: None joins ``$RAY_ADDRESS`` or starts a local
    instance, ``"local"`` always starts one, ``"auto"`` joins the cluster of this node,
    ``"ray://host:10001"`` joins a remote one."""

    address: str | None = None
    workers: int | None = None  # actors; default: cluster CPUs / cpus_per_worker
    cpus_per_worker: float = 1.0
    gpus_per_worker: float = 0.0
    in_flight_per_worker: int = 2
    init_kwargs: dict[str, Any] | None = None  # extra ray.init arguments (tests: num_cpus)


class EmbedWorker:
    """Holds one encoder and one isolated decoder; embeds files one at a time."""

    def __init__(
        self,
        spec: str,
        identity: ModelIdentity,
        batch_size: int,
        decoder_factory: Callable[[IndexOptions], Decoder] | None = None,
    ) -> None:
        from vidseek.core.models import load_encoder

        self.encoder = load_encoder(spec, batch_size=batch_size)
        diffs = self.encoder.identity.differences(identity)
        if diffs:
            raise ModelMismatch(f"{spec} loads another model on this node: {'; '.join(diffs)}")
        self.decoder_factory = decoder_factory or isolated_default_decoder
        self.decoder: Decoder | None = None
        self.options: IndexOptions | None = None

    def embed(self, item: WorkItem, options: IndexOptions) -> Result | str:
        """A ``VideoCommit``, or the decode error's message (exceptions may not pickle)."""
        if self.decoder is None or options != self.options:
            self._close_decoder()
            self.decoder, self.options = self.decoder_factory(options), options
        try:
            return embed_video(item, self.encoder, self.decoder, options)
        except DecodeError as exc:
            return str(exc) or type(exc).__name__

    def ready(self) -> bool:
        return True

    def _close_decoder(self) -> None:
        if self.decoder is not None:
            self.decoder.close()
        self.decoder = None


class RayExecutor:
    """The ``Executor`` that runs the mapper as Ray actor tasks (see module docstring)."""

    def __init__(
        self,
        options: RayOptions | None = None,
        *,
        decoder_factory: Callable[[IndexOptions], Decoder] | None = None,
    ) -> None:
        self.options = options or RayOptions()
        self.decoder_factory = decoder_factory

    def map(
        self,
        items: Iterable[WorkItem],
        encoder: Encoder,
        options: IndexOptions,
        on_frames: Callable[[int], None],
    ) -> Iterator[tuple[WorkItem, Result]]:
        ray = _import_ray()
        iterator = iter(items)
        first = next(iterator, None)
        if first is None:  # nothing to do: do not pay for starting Ray
            return
        started = self._connect(ray)
        pool = None
        try:
            pool = _Pool(ray, self, encoder, _hint(items))
            yield from pool.run(_chain(first, iterator), options, on_frames)
        finally:
            if pool is not None:
                pool.close()
            if started:
                ray.shutdown()

    def _connect(self, ray: Any) -> bool:
        """Join or start Ray; True if we started it (and so must shut it down)."""
        if ray.is_initialized():
            return False
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        kwargs.update(self.options.init_kwargs or {})
        try:
            ray.init(address=self.options.address, **kwargs)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise VidseekError(
                f"cannot start or reach Ray at {self.options.address}: {exc}"
            ) from exc
        return True


class _Pool:
    """The actors of one ``map`` call and the bounded queue of work in flight."""

    def __init__(self, ray: Any, owner: RayExecutor, encoder: Encoder, n_items: int | None):
        self.ray = ray
        opts = owner.options
        total = ray.cluster_resources()
        fits = int(float(total.get("CPU", 1.0)) // max(opts.cpus_per_worker, 0.01))
        if opts.gpus_per_worker > 0:
            fits = min(fits, int(float(total.get("GPU", 0.0)) // opts.gpus_per_worker))
        if fits < 1:
            raise VidseekError(f"the Ray cluster has no room for a worker ({total})")
        n = min(opts.workers or fits, fits)  # actors that cannot be placed would wait forever
        if opts.workers and opts.workers > fits:
            log.warning("the Ray cluster fits %d workers now; using %d", fits, fits)
        if n_items:
            n = min(n, n_items)
        self.actor_class = ray.remote(num_cpus=opts.cpus_per_worker, num_gpus=opts.gpus_per_worker)(
            EmbedWorker
        )
        self.args = (
            encoder.identity.label,
            encoder.identity,
            encoder.batch_size,
            owner.decoder_factory,
        )
        self.per_actor = max(1, opts.in_flight_per_worker)
        self.actors = [self._new_actor() for _ in range(n)]
        self._check_ready()

    def _new_actor(self) -> Any:
        return self.actor_class.remote(*self.args)

    def _check_ready(self) -> None:
        """Surface a model that will not load on the workers before any file is sent."""
        try:
            self.ray.get([a.ready.remote() for a in self.actors])
        except self.ray.exceptions.RayActorError as exc:
            self.close()
            raise VidseekError(f"Ray workers could not start: {_first_line(exc)}") from exc

    def run(
        self, items: Iterator[WorkItem], options: IndexOptions, on_frames: Callable[[int], None]
    ) -> Iterator[tuple[WorkItem, Result]]:
        """Keep every actor fed, up to ``per_actor`` files each; yield results as they come.

        When an actor dies, every file queued on it fails with it; each is retried once, alone
        on a fresh actor, so only the file that really kills its worker ends up failed."""
        ray = self.ray
        load = [0] * len(self.actors)
        solo: set[int] = set()  # slots running a retry, which gets its actor to itself
        retry: deque[WorkItem] = deque()
        tried: dict[int, int] = {}  # id(item) → deaths it was queued in
        pending: dict[Any, tuple[WorkItem, int, Any]] = {}
        exhausted = False
        while True:
            while retry and (free := [i for i, n in enumerate(load) if n == 0]):
                self._submit(pending, load, retry.popleft(), free[0], options)
                solo.add(free[0])
            while not exhausted and not retry:
                open_slots = [i for i, n in enumerate(load) if i not in solo and n < self.per_actor]
                if not open_slots:
                    break
                item = next(items, None)
                if item is None:
                    exhausted = True
                    break
                self._submit(pending, load, item, min(open_slots, key=load.__getitem__), options)
            if not pending:
                return
            done, _ = ray.wait(list(pending), num_returns=1)
            item, slot, actor = pending.pop(done[0])
            load[slot] -= 1
            solo.discard(slot)
            try:
                result = self._result(done[0])
            except ray.exceptions.RayActorError as exc:
                if self.actors[slot] is actor:  # first news of this death: replace the actor
                    log.warning("a Ray worker died (embedding %s); replacing it", item.path)
                    self.actors[slot] = self._new_actor()
                tried[id(item)] = tried.get(id(item), 0) + 1
                if tried[id(item)] < 2:
                    retry.append(item)
                    continue
                result = DecodeError(f"the Ray worker embedding this file died: {_first_line(exc)}")
            tried.pop(id(item), None)
            if not isinstance(result, DecodeError):
                on_frames(len(result.frame_times))
            yield item, result

    def _submit(
        self,
        pending: dict[Any, tuple[WorkItem, int, Any]],
        load: list[int],
        item: WorkItem,
        slot: int,
        options: IndexOptions,
    ) -> None:
        actor = self.actors[slot]
        pending[actor.embed.remote(item, options)] = (item, slot, actor)
        load[slot] += 1

    def _result(self, ref: Any) -> Result:
        """The task's result; raises ``RayActorError`` if its actor died."""
        ray = self.ray
        try:
            value = ray.get(ref)
        except ray.exceptions.RayTaskError as exc:  # not an actor death: a bug, one file
            return DecodeError(f"embedding failed on a Ray worker: {_first_line(exc)}")
        return DecodeError(value) if isinstance(value, str) else value

    def close(self) -> None:
        for actor in self.actors:
            try:
                self.ray.kill(actor)
            except Exception:  # noqa: BLE001 - best effort: the actor may be gone already
                pass


def _chain(first: WorkItem, rest: Iterator[WorkItem]) -> Iterator[WorkItem]:
    yield first
    yield from rest


def _hint(items: Iterable[WorkItem]) -> int | None:
    try:
        return len(items)  # type: ignore[arg-type]
    except TypeError:
        return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise VidseekError("--executor ray needs Ray: pip install 'vidseek[ray]'") from exc
    return ray
