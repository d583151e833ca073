"""No pickle from anywhere a user controls: the product code loads checkpoints with weights_only=True,
imports no pickle, and a checkpoint that carries code is refused without running it."""
import ast
import builtins
import json
from pathlib import Path

import pytest
import torch

from tools.errors import ModelUnavailableError

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("tools", "agent", "ui")
UNSAFE_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "joblib", "shelve", "marshal"}


def product_files() -> list[Path]:
    return sorted(p for folder in PRODUCT for p in (ROOT / folder).rglob("*.py"))


def keyword(call: ast.Call, name: str):
    return next((k.value for k in call.keywords if k.arg == name), None)


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else "?"


def findings(path: Path, root: Path = ROOT) -> list[str]:
    """Unsafe deserialisation in one file: torch.load without weights_only=True, pickle-like imports,
    yaml.load / numpy allow_pickle / pandas read_pickle / trust_remote_code=True."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found += [f"{where} imports {a.name}" for a in node.names if a.name.split(".")[0] in UNSAFE_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in UNSAFE_MODULES:
            found.append(f"{where} imports from {node.module}")
        elif isinstance(node, ast.Call):
            name = dotted(node.func)
            weights_only = keyword(node, "weights_only")
            if name.endswith("torch.load") or name == "load" and weights_only is not None:
                if not (isinstance(weights_only, ast.Constant) and weights_only.value is True):
                    found.append(f"{where} {name}(...) without weights_only=True")
            if name.endswith(("jit.load", "read_pickle", "yaml.load", "yaml.unsafe_load", "yaml.full_load")):
                found.append(f"{where} {name}(...)")
            for flag in ("allow_pickle", "trust_remote_code"):
                value = keyword(node, flag)
                if value is not None and not (isinstance(value, ast.Constant) and value.value is False):
                    found.append(f"{where} {name}(..., {flag}=...)")
    return found


def test_the_scanner_sees_what_it_looks_for(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import pickle\nfrom dill import loads\nimport torch\n"
                   "torch.load('x.pt')\ntorch.load('x.pt', weights_only=False)\nnp.load('a', allow_pickle=True)\n"
                   "yaml.load(text)\nAutoModel.from_pretrained('x', trust_remote_code=True)\n"
                   "torch.load('y.pt', map_location='cpu', weights_only=True)\n")
    assert len(findings(bad, tmp_path)) == 7, findings(bad, tmp_path)


def test_the_product_code_deserialises_nothing_unsafely():
    files = product_files()
    assert len(files) > 20 and any(p.name == "models.py" for p in files)
    problems = [problem for path in files for problem in findings(path)]
    assert problems == [], "\n".join(problems)


# ------------------------------------------------------------------------- a checkpoint with code
class Payload:
    """Unpickling this creates `marker` (a harmless stand-in for any code a checkpoint could run)."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return builtins.open, (self.marker, "w")


def evil_checkpoint(path: Path, marker: Path) -> Path:
    torch.save({"state_dict": {"weight": torch.zeros(1)}, "extra": Payload(marker)}, path)
    return path


def test_a_sam_checkpoint_that_carries_code_is_refused_without_running_it(tmp_path):
    from tools.load_sam import load_sam

    marker = tmp_path / "ran"
    path = evil_checkpoint(tmp_path / "sam_vit_b.pth", marker)
    with pytest.raises(ModelUnavailableError) as caught:
        load_sam(str(path), "tiny", "cpu")
    assert not marker.exists() and "\n" not in caught.value.message


@pytest.mark.parametrize("layout", ["cn_clip's own file name", "config with cn_clip's structures",
                                    "config with model_info"])
def test_a_cn_clip_checkpoint_that_carries_code_is_refused_without_running_it(tmp_path, layout):
    from tools.load_clip import load_cn_clip

    marker, folder = tmp_path / "ran", tmp_path / "clip"
    folder.mkdir()
    if layout == "cn_clip's own file name":
        evil_checkpoint(folder / "clip_cn_vit-b-16.pt", marker)
    else:
        evil_checkpoint(folder / "model.pt", marker)
        config = ({"vision_model_name": "ViT-B-16", "text_model_name": "RoBERTa-wwm-ext-base-chinese"}
                  if layout == "config with cn_clip's structures" else {"model_info": {"embed_dim": 8}})
        (folder / "config.json").write_text(json.dumps(dict(config, input_resolution=224)))
    with pytest.raises(ModelUnavailableError):
        load_cn_clip(str(folder), "cpu")
    assert not marker.exists()


def test_a_preset_override_with_such_a_checkpoint_is_refused_at_first_use(model_cache, tmp_path):
    from tools.models import load_models

    marker = tmp_path / "ran"
    path = evil_checkpoint(tmp_path / "sam.pth", marker)
    models = load_models("tiny", overrides={"sam": str(path)})
    with pytest.raises(ModelUnavailableError):
        models.segmenter()
    assert not marker.exists()
