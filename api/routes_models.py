"""``GET /models``: the model presets (``vidseek models list --json``) and the server's model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from vidseek.api.routes_system import public_model_label
from vidseek.api.services import Services, services

router = APIRouter(tags=["models"])


class PublishedMetric(BaseModel):
    benchmark: str = Field(description="What was measured, e.g. MSR-VTT text->video R@1.")
    value: float
    source: str = Field(description="Where the number is published.")


class PresetBackends(BaseModel):
    text: str = Field(description="What embeds query texts on this server: onnxruntime or torch.")
    image_cpu: str = Field(description="What embeds frames when indexing on CPU.")
    image_gpu: str = Field(description="What embeds frames on a GPU.")


class ModelPreset(BaseModel):
    name: str = Field(description="The preset's name: pass it as the model.")
    spec: str = Field(description="What it expands to (open_clip NAME:PRETRAINED).")
    description: str
    role: str = Field(description="english, multilingual, fast or offline.")
    params: int = Field(description="Parameters of both towers.")
    image_params: int
    image_gflops: float = Field(description="One frame at the input size, 1 per multiply-add.")
    embed_dim: int
    image_size: int
    context_length: int = Field(description="Text tokens a query is cut to.")
    tokenizer: str = Field(description="bytes, clip-bpe, or hf:REPO (a Hugging Face tokenizer).")
    languages: str
    metrics: list[PublishedMetric]
    text_backend: str
    backends: PresetBackends


class ModelsResponse(BaseModel):
    model: str | None = Field(description="This server's model (its library's), if set.")
    presets: list[ModelPreset]


@router.get("/models", response_model=ModelsResponse)
def models(svc: Annotated[Services, Depends(services)]) -> ModelsResponse:
    """The model presets: size, image cost, published results with sources, what runs them."""
    from vidseek.core.models.preset_info import preset_rows

    model = svc.state.library.model
    label = public_model_label(model.label) if model else None
    return ModelsResponse(model=label, presets=[ModelPreset(**row) for row in preset_rows()])
