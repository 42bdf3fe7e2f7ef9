"""LLM pre-labels driven like a person, against the fake OpenAI-compatible server on loopback: on Label an admin
(the one user of a single-user server) turns them on, types the server's address and model, reads what leaves
the machine, runs them, reads the agreement with their own labels and uses the labels; on Evaluate the LLM is
measured as a baseline beside a run's model. Both in English and in Chinese.

Every wait is an ``expect`` on something visible.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import sentiment_rows
from tests.fake_llm import FakeLLM
from tuneboard import i18n

from . import ui
from .conftest import ALICE, ARTIFACTS, BOB
from .harness import free_port, server_env, team_server, write_team_secrets
from .test_person import train_cli

pytestmark = pytest.mark.e2e
SLOW = 120_000  # the fake answers at once; the 2-core machine may not


def words(lang: str, *keys: str, **values: str) -> list[str]:
    i18n.set_language(lang)
    try:
        return [i18n.t(k, **values) for k in keys]
    finally:
        i18n.set_language("en")


def switch_language(page: Page, option: str) -> None:
    ui.key(page, "sidebar_language").get_by_role("combobox").click()
    page.get_by_role("option", name=option).click()
    ui.wait_idle(page)


def write_table(path: Path, n: int = 40, labeled: int = 16) -> Path:
    """A review table whose first ``labeled`` rows have their label and the rest wait for one."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("review", "sentiment"), *[(text, label if i < labeled else "")
                                                            for i, (text, label) in enumerate(sentiment_rows(n))]])
    return path


def fill_settings(page: Page, prefix: str, url: str) -> None:
    """The address, the model and a generous rate (the fake server minds no limit), typed and entered."""
    ui.set_input(page, f"{prefix}_base_url", url)
    ui.set_input(page, f"{prefix}_model", "fake-model")
    ui.set_input(page, f"{prefix}_rpm", "6000")


def test_an_admin_runs_llm_pre_labels_on_label_reads_the_agreement_and_uses_them(page: Page, tmp_path: Path,
                                                                                 runs_dir: Path, shot) -> None:
    data = write_table(tmp_path / "tickets_to_label.csv")
    with FakeLLM() as fake:
        ui.open_app(page)
        ui.go_to(page, "Data")
        ui.upload(page, data)
        expect(page.get_by_text("(uploaded file)")).to_be_visible()
        ui.go_to(page, "Label")
        page.get_by_text("LLM pre-labels", exact=True).click()
        toggle = ui.key(page, "llm_enabled")
        expect(toggle).to_be_visible()
        expect(ui.key(page, "llm_base_url")).to_have_count(0)  # off by default: no form, nothing sent
        toggle.get_by_text("Use an LLM for pre-labels").click()
        fill_settings(page, "llm", fake.url)
        host = fake.url.split("//")[1].split("/")[0]
        leaving = page.get_by_text("Data leaving this machine")
        expect(leaving).to_contain_text(host)
        expect(leaving).to_contain_text("review")  # the column that leaves
        assert fake.requests == []  # nothing sent before Run
        ui.key(page, "llm_run").get_by_role("button").click()
        expect(page.get_by_text("Agreement with your labels on")).to_be_visible(timeout=SLOW)
        ui.wait_idle(page)
        shot("data-llm-results", doc="llm-prelabels")
        assert fake.answers() >= 24 and all(r["body"]["model"] == "fake-model" for r in fake.requests)
        ui.key(page, "llm_use").get_by_role("button").click()
        expect(page.get_by_text("LLM labels saved")).to_be_visible()
        expect(page.get_by_text("fake-model", exact=False).first).to_be_visible()
        from tuneboard.labeling import LabelStore, table_sha  # the labels are in the store, with their provenance

        saved = [e for e in LabelStore(table_sha(data), runs_dir.parent / "labels.db").events() if e.source == "llm"]
        assert saved and all(e.row >= 16 and "fake-model" in e.note for e in saved)  # the person's rows kept

        page.reload()  # the answers already paid for are still there, with the settings that got them
        ui.wait_idle(page)
        page.get_by_text("LLM pre-labels", exact=True).click()
        expect(page.get_by_text("Agreement with your labels on")).to_be_visible()
        expect(ui.key(page, "llm_base_url").locator("input")).to_have_value(fake.url)
        answered = fake.answers()

        switch_language(page, "简体中文")
        title, enable, agree = words("zh", "llm.title", "llm.enable", "llm.run")
        expander = page.get_by_text(title, exact=True)
        expect(expander).to_be_visible()
        if not ui.key(page, "llm_enabled").is_visible():
            expander.click()
        expect(ui.key(page, "llm_enabled")).to_contain_text(enable)
        expect(page.get_by_text("将离开本机的数据")).to_contain_text(host)
        expect(ui.key(page, "llm_run")).to_contain_text(agree)
        agreement = page.get_by_text("在你标注过的")  # the agreement, in Chinese
        expect(agreement).to_be_visible()
        agreement.scroll_into_view_if_needed()
        shot("data-llm-zh")
        ui.expect_no_traceback(page)
        switch_language(page, "English")
        assert fake.answers() == answered  # nothing was sent again


def test_evaluate_shows_the_llm_as_a_baseline_beside_the_model(page: Page, runs_dir: Path, e2e_model: Path,
                                                                tmp_path: Path, shot) -> None:
    data = tmp_path / "reviews.csv"
    with open(data, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("review", "sentiment"), *sentiment_rows(120)])
    run_id = train_cli(runs_dir, e2e_model, "llm-baseline", data=data)
    with FakeLLM() as fake:
        ui.open_app(page, f"/evaluate?run={run_id}")
        page.get_by_text("Compare with an LLM", exact=True).click()
        ui.key(page, "llmeval_enabled").get_by_text("Use an LLM for pre-labels").click()
        fill_settings(page, "llmeval", fake.url)
        expect(page.get_by_text("Data leaving this machine")).to_be_visible()
        ui.key(page, "llmeval_run").get_by_role("button").click()
        expect(page.get_by_text("An LLM as a baseline", exact=True)).to_be_visible(timeout=SLOW)
        expect(page.get_by_text("agrees with the LLM on")).to_be_visible()
        expect(page.get_by_text("LLM latency per text")).to_be_visible()
        ui.wait_idle(page)
        page.get_by_text("An LLM as a baseline", exact=True).scroll_into_view_if_needed()
        shot("evaluate-llm-baseline", doc="llm-baseline")
        stored = json.loads((runs_dir / run_id / "llm_baseline.json").read_text(encoding="utf-8"))
        assert stored["model"] == "fake-model" and stored["rows"] == fake.answers() > 0
        switch_language(page, "简体中文")
        title, = words("zh", "llm.eval.title")
        expect(page.get_by_text(title, exact=True)).to_be_visible()
        expect(page.get_by_text("与 LLM 的一致率为")).to_be_visible()
        page.get_by_text(title, exact=True).scroll_into_view_if_needed()
        shot("evaluate-llm-baseline-zh")
        ui.expect_no_traceback(page)
        switch_language(page, "English")


KEY = "sk-e2e-0123456789abcdefSECRET"


def test_on_a_team_server_only_the_admin_sends_texts_and_the_key_never_shows(browser: Browser, provider: str,
                                                                              tmp_path: Path) -> None:
    """Bob (a member) is told only an admin may; Alice (the admin) finds the server, the model and the key
    from the team's secrets file, runs pre-labels; the key reaches the LLM and nothing else."""
    data = write_table(tmp_path / "reviews_to_label.csv")
    port = free_port()
    with FakeLLM() as fake:
        secrets_file = write_team_secrets(tmp_path / "secrets.toml", f"http://127.0.0.1:{port}", provider)
        with open(secrets_file, "a", encoding="utf-8") as f:
            f.write(f'[llm]\napi_key = "{KEY}"\nbase_url = "{fake.url}"\nmodel = "fake-model"\n')
        work = tmp_path / "server"
        env = server_env(work, HOME=str(tmp_path), TUNEBOARD_ADMINS=ALICE["email"],
                         TUNEBOARD_UPLOADS_DIR=str(work / "uploads"))
        log = ARTIFACTS / "llm-team-server.log"
        log.unlink(missing_ok=True)
        with team_server(env, port, secrets_file, log) as url:
            contexts = [browser.new_context(base_url=url, viewport={"width": 1440, "height": 900}) for _ in range(2)]
            try:
                alice, bob = (c.new_page() for c in contexts)
                for page, user in ((bob, BOB), (alice, ALICE)):
                    page.set_default_timeout(30_000)
                    page.goto("/")
                    ui.log_in(page, provider, user)
                    ui.go_to(page, "Data")
                    ui.upload(page, data)
                    expect(page.get_by_text("(uploaded file)")).to_be_visible()
                    ui.go_to(page, "Label")
                    page.get_by_text("LLM pre-labels", exact=True).click()
                expect(bob.get_by_text("only an admin can use an LLM")).to_be_visible()
                expect(ui.key(bob, "llm_enabled")).to_have_count(0)
                bob.screenshot(path=str(ARTIFACTS / "llm-team-member.png"))

                ui.key(alice, "llm_enabled").get_by_text("Use an LLM for pre-labels").click()
                expect(ui.key(alice, "llm_base_url").locator("input")).to_have_value(fake.url)  # from the secrets
                expect(ui.key(alice, "llm_model").locator("input")).to_have_value("fake-model")
                expect(alice.get_by_text("read from the [llm] table")).to_be_visible()
                ui.set_input(alice, "llm_rpm", "6000")
                ui.key(alice, "llm_run").get_by_role("button").click()
                expect(alice.get_by_text("Agreement with your labels on")).to_be_visible(timeout=SLOW)
                alice.screenshot(path=str(ARTIFACTS / "llm-team-admin.png"))
                sent = {k.lower(): v for k, v in fake.requests[0]["headers"].items()}
                assert sent["authorization"] == f"Bearer {KEY}"
                for page in (alice, bob):
                    assert KEY not in page.content() and KEY[:8] not in page.content()
            finally:
                for c in contexts:
                    c.close()
        assert KEY not in log.read_text(encoding="utf-8", errors="replace")
        for path in work.rglob("*"):  # runs, uploads, preferences: the key is in none
            assert not path.is_file() or KEY.encode() not in path.read_bytes(), path
