"""Which chat model (if any) helps the instruction parser: settings from the environment, one builder.

    settings = LLMSettings.from_env()          # EDIT_LLM_PROVIDER=ollama|openai, off by default
    llm = load_chat_model(settings)            # None when off; a LangChain chat model otherwise
    parse_instruction(text, llm=llm)

Presets (package, class, default model, server) are data in prompts/llm_models.yaml. The two
provider packages are optional extras, imported only here and only when chosen.
"""
from __future__ import annotations

import dataclasses
import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Optional

from agent.parse.lexicon import load_yaml
from tools.errors import BadInputError, ModelUnavailableError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

Provider = Literal["none", "ollama", "openai"]
PROVIDERS: tuple[str, ...] = ("none", "ollama", "openai")
ENV_PREFIX = "EDIT_LLM_"


@dataclass(frozen=True)
class LLMSettings:
    """How to reach the parser's chat model. provider "none" (the default) means rules only.

    model/base_url default to the provider's preset; timeout_s bounds one parse (seconds);
    api_key_env names the environment variable holding the key (the key is never stored here).
    """

    provider: Provider = "none"
    model: Optional[str] = None
    base_url: Optional[str] = None
    timeout_s: float = 20.0
    temperature: float = 0.0
    api_key_env: Optional[str] = None

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise BadInputError(
                f"Unknown LLM provider {self.provider!r}; choose one of {', '.join(PROVIDERS)}.",
                zh=f"未知的大模型提供方 {self.provider!r}，可选：{'、'.join(PROVIDERS)}。")
        if not self.timeout_s > 0:
            raise BadInputError(f"timeout_s must be positive, got {self.timeout_s!r}.",
                                zh=f"timeout_s 必须大于 0，收到 {self.timeout_s!r}。")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "LLMSettings":
        """Settings from EDIT_LLM_PROVIDER, EDIT_LLM_MODEL, EDIT_LLM_BASE_URL, EDIT_LLM_TIMEOUT,
        EDIT_LLM_API_KEY_ENV (unset ones keep their defaults)."""
        env = os.environ if environ is None else environ
        get = lambda key: (env.get(ENV_PREFIX + key) or "").strip() or None  # noqa: E731
        timeout = get("TIMEOUT")
        try:
            timeout_s = float(timeout) if timeout else cls.timeout_s
        except ValueError:
            raise BadInputError(f"{ENV_PREFIX}TIMEOUT must be a number of seconds, got {timeout!r}.",
                                zh=f"{ENV_PREFIX}TIMEOUT 必须是秒数，收到 {timeout!r}。") from None
        return cls(provider=(get("PROVIDER") or "none").lower(), model=get("MODEL"),  # type: ignore[arg-type]
                   base_url=get("BASE_URL"), timeout_s=timeout_s, api_key_env=get("API_KEY_ENV"))

    def resolved(self) -> "LLMSettings":
        """These settings with the preset's model, server and key variable filled in."""
        if self.provider == "none":
            return self
        preset = load_yaml("llm_models.yaml")[self.provider]
        return dataclasses.replace(
            self, model=self.model or preset["model"], base_url=self.base_url or preset.get("base_url"),
            api_key_env=self.api_key_env or preset.get("api_key_env"))


def _import_class(provider: str):
    preset = load_yaml("llm_models.yaml")[provider]
    try:
        module = importlib.import_module(preset["module"])
    except ImportError as exc:
        raise ModelUnavailableError(
            f"The {provider} parser model needs the {preset['package']} package: "
            f"pip install {preset['package']}",
            zh=f"使用 {provider} 模型解析指令需要安装 {preset['package']}：pip install {preset['package']}") from exc
    return getattr(module, preset["class"])


def load_chat_model(settings: LLMSettings | None = None) -> "BaseChatModel | None":
    """The chat model `settings` describe (default: LLMSettings.from_env()), or None when off.

    Raises ModelUnavailableError when the provider's package is not installed or, for "openai"
    without a base_url, when the API key variable is empty.
    """
    s = (settings or LLMSettings.from_env()).resolved()
    if s.provider == "none":
        return None
    chat_class = _import_class(s.provider)
    if s.provider == "ollama":
        return chat_class(model=s.model, base_url=s.base_url, temperature=s.temperature,
                          client_kwargs={"timeout": s.timeout_s})
    key = os.environ.get(s.api_key_env or "", "")
    if not key and not s.base_url:
        raise ModelUnavailableError(
            f"The openai parser model needs an API key in ${s.api_key_env}.",
            zh=f"使用 openai 模型解析指令需要在环境变量 ${s.api_key_env} 中提供 API key。")
    return chat_class(model=s.model, base_url=s.base_url, api_key=key or "not-needed",
                      temperature=s.temperature, timeout=s.timeout_s, max_retries=1)
