"""Checkpoint files: a full round trip (weights, optimizer, RNG, counters), no pickle, atomic replacement."""
import json
import random
from collections import deque

import numpy as np
import pytest
import torch

from tuneboard.errors import RunError
from tuneboard.predict.batching import length_batches
from tuneboard.train.checkpoint import (
    LATEST,
    Checkpoint,
    EpochPosition,
    epoch_queue,
    latest_checkpoint,
    load_checkpoint,
    restore_rng,
    save_checkpoint,
)


def model_and_optimizer(seed):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Dropout(0.5), torch.nn.Linear(8, 3))
    opt = torch.optim.AdamW([{"params": [model[0].weight, model[2].weight], "weight_decay": 0.01},
                             {"params": [model[0].bias, model[2].bias], "weight_decay": 0.0}], lr=1e-2)
    return model, opt


def train_steps(model, opt, n):
    for _ in range(n):
        loss = model(torch.randn(4, 6)).pow(2).mean()
        loss.backward()
        opt.step()
        opt.zero_grad()


def draws():
    return random.random(), float(np.random.rand()), torch.rand(3).tolist()


def state(**kw):
    base = dict(position=EpochPosition(epoch=2, order_batch_size=16, batches_done=3, samples_done=48),
                progress={"seen": 368, "step": 23, "tokens": 9000, "train_time": 1.5, "cpu_time": 2.5, "elapsed": 4.0},
                batch_size=8, lr_scale=1.0,
                best={"metrics": {"accuracy": 0.9, "per_class": {"a": {"f1": 0.8}}}, "step": 20, "epoch": 2.0},
                best_scores=np.arange(12, dtype=np.float32).reshape(4, 3),
                best_weights={"0.weight": torch.ones(8, 6)}, extra={"patience_left": 2})
    return Checkpoint(**{**base, **kw})


def test_round_trip_restores_weights_optimizer_rng_and_counters(tmp_path):
    model, opt = model_and_optimizer(0)
    train_steps(model, opt, 3)
    random.seed(7), np.random.seed(7), torch.manual_seed(7)
    save_checkpoint(tmp_path, model, opt, state())
    expected_weights = {k: v.clone() for k, v in model.state_dict().items()}
    train_steps(model, opt, 2)  # the saved state is needed to get the same next steps
    expected_next = {k: v.clone() for k, v in model.state_dict().items()}
    random.seed(7), np.random.seed(7), torch.manual_seed(7)
    expected_draws = draws()

    fresh, fresh_opt = model_and_optimizer(1)  # other weights, an optimizer with no state
    saved = load_checkpoint(tmp_path, fresh, fresh_opt)
    for k, v in fresh.state_dict().items():
        assert torch.equal(v, expected_weights[k]), k
    assert saved.position == EpochPosition(2, 16, 3, 48) and saved.step == 23 and saved.batch_size == 8
    assert saved.best["metrics"]["per_class"] == {"a": {"f1": 0.8}} and saved.extra == {"patience_left": 2}
    assert np.array_equal(saved.best_scores, np.arange(12, dtype=np.float32).reshape(4, 3))
    assert torch.equal(saved.best_weights["0.weight"], torch.ones(8, 6))
    restore_rng(saved.rng)
    train_steps(fresh, fresh_opt, 2)  # same RNG (data, dropout), same Adam moments -> same weights
    for k, v in fresh.state_dict().items():
        assert torch.equal(v, expected_next[k]), k
    assert fresh_opt.param_groups[0]["betas"] == opt.param_groups[0]["betas"]
    random.seed(1), np.random.seed(1), torch.manual_seed(1)
    restore_rng(saved.rng)
    assert draws() == expected_draws


def test_files_are_safetensors_and_json_only_and_older_checkpoints_go(tmp_path):
    model, opt = model_and_optimizer(0)
    train_steps(model, opt, 1)
    first = save_checkpoint(tmp_path, model, opt, state())
    (tmp_path / ".tmp-step-0000001-dead").mkdir()  # left by a kill mid-write
    second = save_checkpoint(tmp_path, model, opt, state(best_weights=None, best=None, best_scores=None))
    assert not first.exists() and sorted(p.name for p in tmp_path.iterdir()) == sorted([LATEST, second.name])
    assert {p.suffix for p in second.iterdir()} == {".safetensors", ".json"}
    for f in second.glob("*.safetensors"):
        header = int.from_bytes(f.read_bytes()[:8], "little")  # a safetensors file: length, then a JSON header
        json.loads(f.read_bytes()[8:8 + header])
    saved = load_checkpoint(tmp_path, *model_and_optimizer(1))
    assert saved.best is None and saved.best_weights is None and saved.best_scores is None


def test_no_or_torn_pointer_means_no_checkpoint_and_damage_is_a_one_line_error(tmp_path):
    model, opt = model_and_optimizer(0)
    assert load_checkpoint(tmp_path, model, opt) is None
    path = save_checkpoint(tmp_path, model, opt, state())
    (tmp_path / LATEST).write_text('{"dir": "step-')
    assert latest_checkpoint(tmp_path) is None
    (tmp_path / LATEST).write_text(json.dumps({"dir": "../../etc"}))
    assert latest_checkpoint(tmp_path) is None
    (tmp_path / LATEST).write_text(json.dumps({"dir": path.name}))
    (path / "optimizer.safetensors").write_bytes(b"\x80\x04not a safetensors file")
    with pytest.raises(RunError, match="cannot be read") as e:
        load_checkpoint(tmp_path, model, opt)
    assert "\n" not in str(e.value)


def test_epoch_queue_gives_the_rest_of_the_epoch_as_the_loop_would_have_trained_it():
    lengths = np.random.default_rng(0).integers(3, 60, size=203)
    full = length_batches(lengths, 16, shuffle=True, seed=45)
    assert list(epoch_queue(lengths, EpochPosition(3, 16), 16, seed=42)) == full
    done = full[:5]
    pos = EpochPosition(3, 16, batches_done=5, samples_done=sum(map(len, done)))
    assert list(epoch_queue(lengths, pos, 16, seed=42)) == full[5:]
    # out of memory at batch 5: the loop re-cut the rest at 8 and trained 4 of those before the checkpoint
    rest = [i for b in full[5:] for i in b]
    recut = deque(rest[i:i + 8] for i in range(0, len(rest), 8))
    trained = [recut.popleft() for _ in range(4)]
    pos = EpochPosition(3, 16, batches_done=9, samples_done=pos.samples_done + sum(map(len, trained)))
    assert list(epoch_queue(lengths, pos, 8, seed=42)) == list(recut)
