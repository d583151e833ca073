"""Asking a LangChain chat model to read an instruction the rules were not sure about.

    parser = LLMParser(chat_model, timeout_s=20)
    commands = parser.parse("那只黑乎乎的小东西不要了", "zh")   # raises LLMOutputError on bad output

The model gets the prompt and few-shot examples of prompts/llm_parser.yaml and must answer with
`LLMPlan` ({"commands": [EditCommand, ...]}): through `with_structured_output` when the model supports
it, else as JSON text, validated by the same schema either way. The answer is then checked against
the message (a source the user never mentioned is refused), so injected text cannot smuggle commands
in. Nothing the model says is executed.
"""
from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.parse.commands import EditCommand, Language
from agent.parse.lexicon import load_yaml

MAX_STEPS = 8
MAX_FIELD_CHARS = 80
_BACKGROUND = {"背景", "background", "背景图", "backdrop"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
T = TypeVar("T")


class LLMPlan(BaseModel):
    """What the model must return: the steps of one instruction, in order."""

    model_config = ConfigDict(extra="forbid")

    commands: list[EditCommand] = Field(min_length=1, max_length=MAX_STEPS)


class LLMOutputError(ValueError):
    """The model answered, but not with a usable plan (bad JSON, wrong schema, ungrounded source)."""


def build_messages(text: str) -> list[BaseMessage]:
    """System prompt, few-shot pairs and the user's message, from prompts/llm_parser.yaml.

    The message is put between <<< and >>> as data; those markers inside it are broken up.
    """
    prompt = load_yaml("llm_parser.yaml")
    fill = lambda t: prompt["user"].replace("{text}", t.replace("<<<", "< < <").replace(">>>", "> > >"))  # noqa: E731
    messages: list[BaseMessage] = [SystemMessage(prompt["system"])]
    for example in prompt["examples"]:
        messages.append(HumanMessage(fill(example["text"])))
        messages.append(AIMessage(json.dumps({"commands": example["commands"]}, ensure_ascii=False)))
    messages.append(HumanMessage(fill(text)))
    return messages


def call_with_timeout(fn: Callable[[], T], timeout_s: float) -> T:
    """fn() run in a daemon thread; TimeoutError if it has not returned after `timeout_s` seconds
    (the thread is left to finish on its own: a model call cannot be interrupted safely)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    thread = threading.Thread(target=run, name="llm-parser", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise TimeoutError(f"the parser model did not answer within {timeout_s:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def plan_from_text(content: Any) -> LLMPlan:
    """An LLMPlan from a model's text answer: JSON, possibly in a ``` fence or after some words.

    A bare list of commands or a single command object is accepted too.
    """
    if isinstance(content, list):  # content blocks
        content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    text = str(content or "")
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start < 0:
        raise LLMOutputError(f"no JSON in the model's answer: {text[:80]!r}")
    try:
        data, _ = json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError as exc:
        raise LLMOutputError(f"invalid JSON from the model: {exc}") from None
    if isinstance(data, list):
        data = {"commands": data}
    elif isinstance(data, dict) and "action" in data:
        data = {"commands": [data]}
    return validate_plan(data)


def validate_plan(data: Any) -> LLMPlan:
    """`data` (an LLMPlan, a dict, or a model's structured output) validated against LLMPlan."""
    if isinstance(data, LLMPlan):
        return data
    if isinstance(data, BaseModel):
        data = data.model_dump()
    try:
        return LLMPlan.model_validate(data)
    except ValidationError as exc:
        raise LLMOutputError(f"the model's answer does not fit the schema: {exc.errors()[:3]}") from None


def _grounded(phrase: str, message: str) -> bool:
    """True when `phrase` shares a word (English) or a character (Chinese) with the message."""
    if phrase.lower() in _BACKGROUND:
        return True
    message = message.lower()
    han = [ch for ch in phrase if "\u3400" <= ch <= "\u9fff"]
    latin = [w for w in re.findall(r"[a-z0-9]+", phrase.lower()) if len(w) > 2 or w.isdigit()]
    return any(ch in message for ch in han) or any(w[:4] in message for w in latin)


def check_plan(plan: LLMPlan, message: str, language: Language) -> tuple[EditCommand, ...]:
    """The plan's commands, made safe to use for `message`.

    Every command gets `language`; text fields must be short and free of control characters; every
    source and exclude must come from the message. "none" steps next to real steps are dropped.
    Raises LLMOutputError when a check fails.
    """
    commands = []
    for command in plan.commands:
        for name in ("source", "target", "exclude"):
            value = getattr(command, name)
            if value is not None and (len(value) > MAX_FIELD_CHARS or _CONTROL.search(value) or not value.strip()):
                raise LLMOutputError(f"the model's {name} {value[:40]!r} is not a short phrase")
        for name in ("source", "exclude"):
            value = getattr(command, name)
            if value and not _grounded(value, message):
                raise LLMOutputError(f"the model's {name} {value!r} is not in the message")
        commands.append(command.model_copy(update={"language": language}))
    edits = [c for c in commands if c.action != "none"]
    return tuple(edits or commands[:1])


@dataclass
class LLMParser:
    """A chat model used as the parser's second opinion. `parse` is safe to call from several threads.

    model: any LangChain chat model (langchain-core BaseChatModel).
    timeout_s: longest wait for one answer, in seconds.
    method: passed to `with_structured_output` (e.g. "json_schema", "function_calling"); None = the
        model's default.
    """

    model: BaseChatModel
    timeout_s: float = 20.0
    method: Optional[str] = None
    _structured: Any = field(default=None, init=False, repr=False)

    def _runnable(self) -> Any:
        """The model wrapped for structured output, or None when it has no structured output."""
        if self._structured is None:
            kwargs = {"method": self.method} if self.method else {}
            try:
                self._structured = self.model.with_structured_output(LLMPlan, include_raw=True, **kwargs)
            except NotImplementedError:
                self._structured = False
        return self._structured or None

    def _plan(self, answer: Any) -> LLMPlan:
        if isinstance(answer, dict) and "raw" in answer:  # with_structured_output(include_raw=True)
            if answer.get("parsed") is not None:
                return validate_plan(answer["parsed"])
            raw = answer.get("raw")
            return plan_from_text(raw.content if isinstance(raw, BaseMessage) else raw)
        if isinstance(answer, BaseMessage):
            return plan_from_text(answer.content)
        if isinstance(answer, (dict, BaseModel)):
            return validate_plan(answer)
        return plan_from_text(answer)

    def parse(self, text: str, language: Language) -> tuple[EditCommand, ...]:
        """Commands for `text`, checked by `check_plan`.

        Raises LLMOutputError (unusable answer), TimeoutError, or whatever the model raised.
        """
        messages = build_messages(text)
        runnable = self._runnable() or self.model
        answer = call_with_timeout(lambda: runnable.invoke(messages), self.timeout_s)
        return check_plan(self._plan(answer), text, language)
