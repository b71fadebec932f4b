"""GPU decoding (``--gpu-decode``, indexer/decode_cuda.py): where the GPU cannot decode, the
CPU decoders take over without losing a frame; where it can, it gives the CPU's frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from tests.api_server import decoders_of_one_job
from tests.conftest import options_command
from vidseek.cli.main import cli
from vidseek.core.errors import DecodeError
from vidseek.indexer import decode_cuda
from vidseek.indexer.decode import FallbackDecoder, NotDecodable, PyAVDecoder, default_decoder
from vidseek.indexer.decode_cuda import CudaPyAVDecoder, cuda_decoding_built
from vidseek.indexer.executors import isolated_default_decoder
from vidseek.indexer.options import IndexOptions

NO_SUCH_GPU = "97"  # a CUDA device index no machine has: fails on GPU machines too

GPU = torch.cuda.is_available() and cuda_decoding_built()


def frames_of(decoder, path: Path, fps: float = 5.0) -> tuple[np.ndarray, np.ndarray, set[str]]:
    batches = list(decoder.frames(path, fps, short_side=96, batch_size=4))
    times = np.concatenate([b.times for b in batches])
    images = np.concatenate([b.images for b in batches])
    return times, images, {b.backend for b in batches}


def test_chain_puts_the_gpu_decoder_first():
    cpu = default_decoder().name  # "decord+pyav" where decord is installed
    assert cpu.endswith("pyav") and "cuda" not in cpu
    assert default_decoder(gpu=True).name == f"pyav-cuda+{cpu}"
    assert default_decoder(fast=True, gpu=True).name == f"pyav-cuda+pyav-fast+{cpu}"


def test_unusable_gpu_is_a_decode_error_not_a_bad_file(media):
    with pytest.raises(DecodeError, match="CUDA decoding unavailable") as caught:
        list(CudaPyAVDecoder(device=NO_SUCH_GPU).frames(media["mp4"], 1.0))
    assert not isinstance(caught.value, NotDecodable)  # NotDecodable would end the chain


@pytest.mark.parametrize("name", ["empty", "random", "truncated_mp4"])
def test_bad_files_are_reported_as_on_the_cpu(bad_media, name):
    with pytest.raises(NotDecodable) as on_gpu:
        list(CudaPyAVDecoder(device=NO_SUCH_GPU).frames(bad_media[name], 1.0))
    with pytest.raises(NotDecodable) as on_cpu:
        list(PyAVDecoder().frames(bad_media[name], 1.0))
    assert str(on_gpu.value) == str(on_cpu.value)


def test_cpu_decoders_take_over_every_frame(media):
    chain = FallbackDecoder([CudaPyAVDecoder(device=NO_SUCH_GPU), PyAVDecoder()])
    times, images, backends = frames_of(chain, media["mp4"])
    want_times, want_images, _ = frames_of(PyAVDecoder(), media["mp4"])
    np.testing.assert_array_equal(times, want_times)
    np.testing.assert_array_equal(images, want_images)
    assert backends == {"pyav"}


def test_isolated_gpu_decoder_has_no_address_space_cap():
    gpu = isolated_default_decoder(IndexOptions(gpu_decode=True))
    cpu = isolated_default_decoder(IndexOptions())
    assert gpu.memory_limit_bytes is None and cpu.memory_limit_bytes
    assert gpu.inner_factory().name.startswith("pyav-cuda+")
    assert not cpu.inner_factory().name.startswith("pyav-cuda")


def test_cli_flag_needs_a_gpu(monkeypatch: pytest.MonkeyPatch):
    command, seen = options_command()
    runner = CliRunner()
    assert "NVDEC" in runner.invoke(command, ["--help"]).output
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    refused = runner.invoke(command, ["--gpu-decode"])
    assert refused.exit_code == 2 and "needs an NVIDIA GPU" in refused.output
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(decode_cuda, "cuda_decoding_built", lambda: False)
    refused = runner.invoke(command, ["--gpu-decode"])
    assert refused.exit_code == 2 and "PyAV's FFmpeg has no CUDA" in refused.output
    monkeypatch.setattr(decode_cuda, "cuda_decoding_built", lambda: True)
    assert runner.invoke(command, ["--gpu-decode"]).exit_code == 0
    assert runner.invoke(command, []).exit_code == 0
    assert [o.gpu_decode for o in seen] == [True, False]


@pytest.mark.skipif(not GPU, reason="needs an NVIDIA GPU (run on a GPU machine)")
@pytest.mark.parametrize(
    ("name", "decoded_by"),
    [("mp4", "pyav-cuda"), ("mkv", "pyav-cuda"), ("mov", "pyav-cuda"), ("portrait", "pyav-cuda"),
     ("vfr", "pyav-cuda"),
     ("webm", "pyav")],  # VP9 at 160x120: below NVDEC's 128-pixel minimum for VP9
)  # fmt: skip
def test_gpu_gives_the_cpu_frames(media, name, decoded_by):
    chain = FallbackDecoder([CudaPyAVDecoder(), PyAVDecoder()])
    times, images, backends = frames_of(chain, media[name])
    want_times, want_images, _ = frames_of(PyAVDecoder(), media[name])
    assert backends == {decoded_by}
    np.testing.assert_array_equal(times, want_times)
    np.testing.assert_array_equal(images, want_images, err_msg=f"{name}: pixels differ")


def test_serve_flag_needs_a_gpu(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    result = CliRunner().invoke(cli, ["--library", str(tmp_path), "serve", "--gpu-decode"])
    assert result.exit_code == 2 and "needs an NVIDIA GPU" in result.output


@pytest.mark.skipif(GPU, reason="here the jobs really decode on the GPU")
@pytest.mark.parametrize("isolate", [True, False])
def test_server_jobs_fall_back_to_the_cpu_without_a_gpu(tmp_path, isolate):
    backends = decoders_of_one_job(tmp_path, isolate_decoding=isolate, gpu_decode=True)
    assert backends == [default_decoder().name.split("+")[0]]  # the first CPU decoder
