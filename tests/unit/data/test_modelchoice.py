"""Which model for this data: a tokenizer that knows the texts' tokens, else TF-IDF; hub models said in the
person's language; coaching that names a model that reads the language, not a bigger one."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from tuneboard.data.model_choice import Reading, choose_model, coverage, data_script, recommend_model, run_reading
from tuneboard.errors import ModelLoadError
from tuneboard.evaluate.coaching import coach
from tuneboard.i18n import set_language

ROOT = Path(__file__).resolve().parents[3]
ZH = ROOT / "examples" / "zh_reviews.csv"
ENGLISH = ["the app is great and fast", "my password reset is broken", "please help with my order"]


def zh_texts() -> list[str]:
    with open(ZH, newline="", encoding="utf-8") as f:
        return [row[0] for row in list(csv.reader(f))[1:]]


def build_model(folder: Path, words: list[str]) -> Path:
    """A 1-layer random BERT whose WordPiece vocabulary is ``words`` (Han characters are words of their own)."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    vocab = list(dict.fromkeys(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]))
    core = Tokenizer(models.WordPiece({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    core.normalizer = normalizers.BertNormalizer(lowercase=True)  # puts spaces around each Han character
    core.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    PreTrainedTokenizerFast(tokenizer_object=core, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                            sep_token="[SEP]", mask_token="[MASK]").save_pretrained(folder)
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=len(vocab), hidden_size=8, num_hidden_layers=1, num_attention_heads=1,
                         intermediate_size=16, max_position_embeddings=64)).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def zh_model(tmp_path_factory) -> Path:
    chars = sorted({ch for text in zh_texts() for ch in text if not ch.isspace()})  # Han characters and punctuation
    return build_model(tmp_path_factory.mktemp("models") / "tiny-zh", chars)


@pytest.fixture
def english_tok(tiny_model: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


@pytest.fixture(autouse=True)
def _english():
    set_language("en")
    yield
    set_language("en")


def test_chinese_texts_are_told_from_english_ones() -> None:
    assert data_script(zh_texts()) == "zh"
    assert data_script(ENGLISH) is None


def test_english_texts_keep_the_model_the_person_has(english_tok) -> None:
    choice = choose_model(ENGLISH, "mine", ["other"], lambda source: english_tok)
    assert choice.model == "mine" and not choice.changed and choice.reason is None and choice.explain() == ""
    assert choice.shares["mine"] == 0.0


def test_chinese_texts_unknown_to_every_model_get_tfidf_with_the_reason_in_both_languages(english_tok) -> None:
    choice = choose_model(zh_texts(), "default", ["default", "other"], lambda source: english_tok)
    assert choice.model == "tfidf" and choice.changed and choice.shares["default"] > 0.9
    assert re.search(r"Preselected the TF-IDF model: your texts are mostly Chinese, and 99.2% of their tokens are "
                     r"unknown to all-MiniLM-L6-v2", choice.explain())
    set_language("zh")
    assert choice.explain().startswith("已预选 TF-IDF 模型：你的文本主要是中文，"
                                       "其中 99.2% 的词元是 all-MiniLM-L6-v2 不认识的")


def test_chinese_texts_get_the_model_whose_tokenizer_reads_them(english_tok, zh_model: Path) -> None:
    from transformers import AutoTokenizer

    tokenizers = {"default": english_tok, str(zh_model): AutoTokenizer.from_pretrained(zh_model)}
    choice = choose_model(zh_texts(), "default", ["default", str(zh_model)], tokenizers.__getitem__)
    assert choice.model == str(zh_model) and choice.shares[str(zh_model)] == 0.0
    assert choice.explain().startswith("Preselected tiny-zh: your texts are mostly Chinese")


def test_a_model_that_cannot_be_loaded_is_neither_kept_out_nor_chosen(english_tok) -> None:
    def load(source: str):
        if source == "hfl/rbt3":
            raise ModelLoadError("offline")
        return english_tok

    assert choose_model(zh_texts(), "hfl/rbt3", ["default"], load).model == "hfl/rbt3"  # not measurable: kept
    assert choose_model(zh_texts(), "default", ["hfl/rbt3"], load).model == "tfidf"


def test_the_bundled_model_does_not_read_the_chinese_example_and_a_chinese_model_in_the_folder_is_chosen(
        zh_model: Path, tmp_path: Path) -> None:
    empty = tmp_path / "nothing"
    choice = recommend_model(zh_texts(), "default", models_dir=empty)
    assert choice.model == "tfidf" and choice.shares["default"] > 0.5  # the bundled MiniLM: ~67 % [UNK]
    assert recommend_model(zh_texts(), "default", models_dir=zh_model.parent).model == str(zh_model)
    assert not recommend_model(ENGLISH, "default", models_dir=zh_model.parent).changed


def test_coverage_is_none_for_a_tokenizer_without_an_unknown_token(english_tok) -> None:
    class NoUnk:
        unk_token_id = None

        def __call__(self, texts, **kw):
            return {"input_ids": [[1, 2] for _ in texts]}

    assert coverage(["x"], NoUnk()) is None
    assert coverage(["zzz 好"], english_tok) > 0


def test_the_offline_hub_message_is_in_the_persons_language_to_its_end() -> None:
    from tuneboard.model.catalog import describe_model

    set_language("zh")
    with pytest.raises(ModelLoadError) as caught:
        describe_model("hfl/rbt3", allow_any_path=False)
    message = str(caught.value)
    assert "离线模式（HF_HUB_OFFLINE=1），且下载缓存中没有该模型" in message
    leftover = set(re.findall(r"[A-Za-z']{3,}", message)) - {"hfl", "Hugging", "Face", "hub", "download", "local",
                                                              "dir", "models", "HF_HUB_OFFLINE"}
    assert leftover <= {"HUB", "OFFLINE", "rbt"}, leftover  # the id hfl/rbt3 and the variable, as written


METRICS = {"main_metric": "accuracy", "higher_is_better": True, "accuracy": 0.833, "task": "single_label",
           "n_val": 60, "baseline": {"accuracy": 0.9}, "per_class": {}}


def test_coaching_names_a_model_that_reads_chinese_and_the_simple_model_never_a_bigger_one() -> None:
    tips = {tip["kind"]: tip for tip in coach([], METRICS, Reading(0.669, "zh"))}
    assert tips["language"]["title"] == "The model does not read this language"
    assert "66.9% of the validation texts' tokens are unknown" in tips["language"]["advice"]
    assert "hfl/rbt3, hfl/chinese-electra-180g-small-discriminator" in tips["language"]["advice"]
    assert "the simple model is the better one. Use it" in tips["baseline_wins"]["advice"]
    for tip in tips.values():
        assert not re.search(r"\b(larger|bigger) model\b(?! with the same vocabulary)", tip["advice"]), tip
    set_language("zh")
    zh = {tip["kind"]: tip for tip in coach([], METRICS, Reading(0.669, "zh"))}
    assert zh["language"]["title"] == "该模型读不懂这种语言" and "能读懂中文的模型" in zh["language"]["advice"]
    assert "更大的模型" not in zh["baseline_wins"]["advice"]


def test_coaching_says_nothing_about_language_when_the_model_reads_the_texts() -> None:
    assert "language" not in {tip["kind"] for tip in coach([], METRICS, Reading(0.01, None))}
    assert "language" not in {tip["kind"] for tip in coach([], METRICS)}


def test_a_runs_reading_comes_from_its_own_tokenizer_and_validation_texts(tiny_model: str, tmp_path: Path) -> None:
    import shutil

    import pandas as pd

    run = tmp_path / "run"
    shutil.copytree(tiny_model, run / "model")
    pd.DataFrame({"text": zh_texts()[:20], "label": ["a"] * 20}).to_parquet(run / "predictions.parquet")
    reading = run_reading(run)
    assert reading is not None and reading.poor and reading.script == "zh"
    pd.DataFrame({"text": ENGLISH, "label": ["a"] * 3}).to_parquet(run / "predictions.parquet")
    assert not run_reading(run).poor
    assert run_reading(tmp_path / "no-run") is None
