"""``/v1/models``: the video models this server runs, as OpenAI's Models API shows models."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from azur.api.deps import ServicesDep, get_current_user
from azur.api.errors import not_found
from azur.api.schemas import ErrorBody, ModelCapabilities, ModelList, ModelPublic

router = APIRouter(prefix="/v1/models", tags=["models"], dependencies=[Depends(get_current_user)],
                   responses={401: {"model": ErrorBody}, 404: {"model": ErrorBody}})


def _models(services: ServicesDep) -> list[ModelPublic]:
    from azur.engine.backend import model_infos

    created = int(services.started_at)
    max_seconds = services.settings.max_seconds
    now_serving = services.serving()
    return [
        ModelPublic(
            id=info.name, created=created, owned_by="azur", ready=now_serving.serves(info.name), family=info.family,
            description=info.description, licence=info.licence, presets=info.presets, loras=info.loras,
            capabilities=ModelCapabilities(first_frame=info.supports_first_frame, sound=info.sound,
                                           max_seconds=min(info.max_seconds, max_seconds) if info.max_seconds else max_seconds),
        )
        for info in model_infos()
    ]


@router.get("")
def list_models(services: ServicesDep) -> ModelList:
    """Registered models, each ``ready`` when a running worker serves it; ``sora-2`` and ``sora-2-pro`` are
    accepted as names of the default one."""
    return ModelList(data=_models(services))


@router.get("/{model_id}")
def retrieve_model(model_id: str, services: ServicesDep) -> ModelPublic:
    for model in _models(services):
        if model.id == model_id:
            return model
    raise not_found(f"The model '{model_id}' does not exist.", param="model")
